//! 案件列表: the agency's applications, searched by reference, receipt number, applicant or
//! request text (搜索), paged on the server. htmx swaps the table as the user types; without
//! JavaScript the form submits and the whole page comes back.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::{Header, channel_label, summary};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

pub const PAGE_SIZE: u32 = 50;
/// The longest search text the form takes.
pub const MAX_QUERY_CHARS: usize = 100;

#[derive(Deserialize)]
pub struct CasesQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

pub struct CaseRow {
    pub case_id: String,
    pub reference: String,
    pub receipt_number: String,
    pub applicant: String,
    pub summary: String,
    pub channel: String,
    pub received_on: String,
}

pub struct CaseTable {
    pub rows: Vec<CaseRow>,
    pub q: String,
    pub from: String,
    pub to: String,
    pub next_page: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub header: Header,
    pub table: CaseTable,
}

#[derive(Template, WebTemplate)]
#[template(path = "cases_partial.html")]
pub struct CasesPartial {
    pub table: CaseTable,
}

fn row(app: pb::Application) -> CaseRow {
    let applicant = app.applicant.unwrap_or_default();
    let request = app.request.unwrap_or_default();
    CaseRow {
        case_id: app.case_id,
        reference: app.reference,
        receipt_number: app.receipt_number,
        applicant: applicant.name,
        summary: summary(&request.description, 40),
        channel: channel_label(&app.channel),
        received_on: app.received_on,
    }
}

pub async fn list(
    signed_in: SignedIn,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<CasesQuery>,
) -> Response {
    let q: String = query.q.trim().chars().take(MAX_QUERY_CHARS).collect();
    let mut table = CaseTable {
        rows: Vec::new(),
        q: q.clone(),
        from: query.from.clone(),
        to: query.to.clone(),
        next_page: String::new(),
        error: String::new(),
    };
    let mut intake = state.services.intake.clone();
    match intake
        .list_applications(as_user(
            &signed_in.token,
            pb::ListApplicationsRequest {
                agency: signed_in.user.agency.clone(),
                query: q,
                received_from: query.from,
                received_to: query.to,
                page_size: PAGE_SIZE,
                page_token: query.page,
            },
        ))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            table.rows = r.applications.into_iter().map(row).collect();
            table.next_page = r.next_page_token;
        }
        Err(status) => table.error = explain(&status),
    }
    if headers.contains_key("HX-Request") {
        CasesPartial { table }.into_response()
    } else {
        CasesPage {
            header: Header::of(&signed_in),
            table,
        }
        .into_response()
    }
}
