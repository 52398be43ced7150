//! 工作台: the counts of the user's agency's open cases — 待受理, 补正中, 征求意见中, 即将到期
//! (≤ 3 working days), 已逾期, 待审批 — each linking to its filtered case list, and the first
//! overdue and due-soon cases by due date.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use ogi_proto::v1 as pb;

use super::Header;
use super::cases::DUE_SOON_DAYS;
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// Cases shown under each heading (the rest are one click away in the list).
pub const SHOWN: u32 = 10;

pub struct DueRow {
    pub case_id: String,
    pub reference: String,
    pub due_on: String,
    pub provisional: bool,
    pub left: i64,
}

/// One count of the workbench and the list it opens.
pub struct Tile {
    pub label: String,
    pub count: u64,
    pub href: &'static str,
    /// `late`, `soon` or empty: how the count is marked.
    pub class: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "workbench.html")]
pub struct WorkbenchPage {
    pub header: Header,
    pub today: String,
    pub tiles: Vec<Tile>,
    pub overdue: Vec<DueRow>,
    pub overdue_total: u64,
    pub due_soon: Vec<DueRow>,
    pub due_soon_total: u64,
    pub error: String,
}

fn rows(cases: Vec<pb::CaseSummary>) -> Vec<DueRow> {
    cases
        .into_iter()
        .map(|c| DueRow {
            reference: if c.reference.is_empty() {
                c.case_id.clone()
            } else {
                c.reference
            },
            case_id: c.case_id,
            due_on: c.due_on,
            provisional: c.provisional,
            left: c.working_days_left.unwrap_or_default(),
        })
        .collect()
}

pub async fn page(signed_in: SignedIn, State(state): State<AppState>) -> Response {
    let today = super::today_in_china().to_string();
    let mut page = WorkbenchPage {
        header: Header::of(&signed_in),
        today: today.clone(),
        tiles: Vec::new(),
        overdue: Vec::new(),
        overdue_total: 0,
        due_soon: Vec::new(),
        due_soon_total: 0,
        error: String::new(),
    };
    let mut approval = state.services.approval.clone();
    let agency = signed_in.user.agency.clone();
    let counts = approval
        .count_cases(as_user(
            &signed_in.token,
            pb::CountCasesRequest {
                agency: agency.clone(),
                today: today.clone(),
                due_soon_days: DUE_SOON_DAYS,
                subordinates: false,
            },
        ))
        .await;
    let counts = match counts {
        Ok(c) => c.into_inner(),
        Err(status) => {
            page.error = explain(&status);
            return page.into_response();
        }
    };
    page.tiles = vec![
        Tile {
            label: "待受理".into(),
            count: counts.received,
            href: "/cases?stage=received",
            class: "",
        },
        Tile {
            label: "补正中".into(),
            count: counts.awaiting_correction,
            href: "/cases?stage=awaiting_correction",
            class: "",
        },
        Tile {
            label: "征求意见中".into(),
            count: counts.consulting,
            href: "/cases?consulting=1",
            class: "",
        },
        Tile {
            label: format!("即将到期（{DUE_SOON_DAYS}个工作日内）"),
            count: counts.due_soon,
            href: "/cases?due=soon",
            class: "soon",
        },
        Tile {
            label: "已逾期".into(),
            count: counts.overdue,
            href: "/cases?due=overdue",
            class: "late",
        },
        Tile {
            label: "待审批".into(),
            count: counts.drafted,
            href: "/cases?stage=drafted",
            class: "",
        },
    ];
    for overdue in [true, false] {
        let mut request = pb::ListCasesRequest {
            agency: agency.clone(),
            page_size: SHOWN,
            by_due_date: true,
            today: today.clone(),
            ..Default::default()
        };
        if overdue {
            request.overdue_on = today.clone();
        } else {
            request.due_soon_on = today.clone();
            request.due_soon_days = DUE_SOON_DAYS;
        }
        match approval
            .list_cases(as_user(&signed_in.token, request))
            .await
        {
            Ok(r) => {
                let r = r.into_inner();
                if overdue {
                    page.overdue = rows(r.cases);
                    page.overdue_total = r.total;
                } else {
                    page.due_soon = rows(r.cases);
                    page.due_soon_total = r.total;
                }
            }
            Err(status) => page.error = explain(&status),
        }
    }
    page.into_response()
}
