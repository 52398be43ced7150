//! 工作台: what is due in the user's agency — overdue cases and those due within three
//! working days, each with its due date and the working days left.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ogi_proto::v1 as pb;

use super::Header;
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// Working days within which a case counts as due soon (即将到期).
pub const DUE_SOON_DAYS: u32 = 3;

pub struct DueRow {
    pub case_id: String,
    pub due_on: String,
    pub provisional: bool,
    pub left: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "workbench.html")]
pub struct WorkbenchPage {
    pub header: Header,
    pub today: String,
    pub due_soon_days: u32,
    pub overdue: Vec<DueRow>,
    pub due_soon: Vec<DueRow>,
    pub error: String,
}

fn rows(cases: Vec<pb::DueCase>) -> Vec<DueRow> {
    cases
        .into_iter()
        .map(|d| DueRow {
            case_id: d.case_id,
            due_on: d.due_on,
            provisional: d.provisional,
            left: d.working_days_left,
        })
        .collect()
}

pub async fn page(signed_in: SignedIn, State(state): State<AppState>) -> Response {
    let today = super::today_in_china();
    let mut page = WorkbenchPage {
        header: Header::of(&signed_in),
        today: today.to_string(),
        due_soon_days: DUE_SOON_DAYS,
        overdue: Vec::new(),
        due_soon: Vec::new(),
        error: String::new(),
    };
    let mut approval = state.services.approval.clone();
    match approval
        .list_due(as_user(
            &signed_in.token,
            pb::ListDueRequest {
                agency: signed_in.user.agency.clone(),
                today: today.to_string(),
                within_days: DUE_SOON_DAYS,
            },
        ))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            page.overdue = rows(r.overdue);
            page.due_soon = rows(r.due_soon);
        }
        Err(status) => page.error = explain(&status),
    }
    page.into_response()
}
