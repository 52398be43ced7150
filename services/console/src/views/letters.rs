//! 文书: a case's reply letter (答复书) as a print view (A4, print stylesheet) and as .docx,
//! and the log of served letters (送达记录) of the agency, latest first. The letter is the one
//! the publishing service rendered and numbered; nothing is re-worded here.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::case::{NotFoundPage, SERVICE_METHODS};
use super::cases::{PAGE_SIZE, mask_name};
use super::{Header, outcome_label};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// How a line of a letter is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// The agency and the document number over the title: centred.
    Head,
    Title,
    /// The salutation: flush left.
    Salutation,
    Body,
    /// The agency and the date under the text: right-aligned.
    Closing,
}

pub struct LetterLine {
    pub kind: LineKind,
    pub text: String,
}

impl LetterLine {
    pub fn class(&self) -> &'static str {
        match self.kind {
            LineKind::Head => "head",
            LineKind::Title => "title",
            LineKind::Salutation => "salutation",
            LineKind::Body => "body",
            LineKind::Closing => "closing",
        }
    }
}

/// The letter's lines as the renderer wrote them (agency, title, number, salutation, body,
/// closing), each with how it is set — the same reading the .docx makes.
pub fn letter_lines(title: &str, text: &str) -> Vec<LetterLine> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let heading = lines
        .iter()
        .position(|l| *l == title)
        .map_or(0, |i| (i + 2).min(lines.len()));
    let agency = lines.first().copied().unwrap_or_default();
    let closing = lines.len() >= 2
        && lines[lines.len() - 2] == agency
        && lines[lines.len() - 1].ends_with('日');
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| LetterLine {
            kind: if i < heading && *line == title {
                LineKind::Title
            } else if i < heading {
                LineKind::Head
            } else if closing && i + 2 >= lines.len() {
                LineKind::Closing
            } else if i == heading {
                LineKind::Salutation
            } else {
                LineKind::Body
            },
            text: line.to_string(),
        })
        .collect()
}

fn method_label(code: &str) -> String {
    SERVICE_METHODS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(
            || {
                if code.is_empty() {
                    String::new()
                } else {
                    "其他方式".into()
                }
            },
            |(_, l)| l.to_string(),
        )
}

#[derive(Template, WebTemplate)]
#[template(path = "letter.html")]
pub struct LetterPage {
    pub header: Header,
    pub case_id: String,
    pub title: String,
    pub document_number: String,
    pub lines: Vec<LetterLine>,
    pub served_on: String,
    pub method: String,
}

async fn letter(
    state: &AppState,
    signed_in: &SignedIn,
    case_id: &str,
) -> Result<pb::ReplyLetter, Response> {
    let mut publishing = state.services.publishing.clone();
    match publishing
        .get_letter(as_user(
            &signed_in.token,
            pb::GetLetterRequest {
                case_id: case_id.to_string(),
            },
        ))
        .await
    {
        Ok(r) => Ok(r.into_inner()),
        Err(status) => {
            let code = match status.code() {
                tonic::Code::NotFound => StatusCode::NOT_FOUND,
                tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
                tonic::Code::InvalidArgument => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            Err((
                code,
                NotFoundPage {
                    header: Header::of(signed_in),
                    message: explain(&status),
                },
            )
                .into_response())
        }
    }
}

/// The reply letter, set for printing on A4.
pub async fn print(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
) -> Response {
    let l = match letter(&state, &signed_in, &case_id).await {
        Ok(l) => l,
        Err(refused) => return refused,
    };
    LetterPage {
        header: Header::of(&signed_in),
        lines: letter_lines(&l.title, &l.text),
        case_id,
        title: l.title,
        document_number: l.document_number,
        served_on: l.served_on,
        method: method_label(&l.method),
    }
    .into_response()
}

/// The reply letter as .docx.
pub async fn docx(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
) -> Response {
    let l = match letter(&state, &signed_in, &case_id).await {
        Ok(l) => l,
        Err(refused) => return refused,
    };
    let agency = l.text.lines().next().unwrap_or_default().trim().to_string();
    let bytes = ogi_core::report::letter_to_docx(&l.title, &l.text, &agency);
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"reply-letter.docx\""),
    );
    response
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogQuery {
    pub page: String,
}

pub struct ServedRow {
    pub case_id: String,
    pub reference: String,
    pub applicant: String,
    pub outcome: String,
    pub replied_on: String,
    pub late: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "letters.html")]
pub struct LogPage {
    pub header: Header,
    pub rows: Vec<ServedRow>,
    pub total: u64,
    pub page: u32,
    pub pages: u64,
    pub error: String,
}

/// 送达记录: the agency's served replies, latest first, each with its letter.
pub async fn log(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<LogQuery>,
) -> Response {
    let mut page = LogPage {
        header: Header::of(&signed_in),
        rows: Vec::new(),
        total: 0,
        page: 1,
        pages: 0,
        error: String::new(),
    };
    if !query.page.is_empty() {
        match query.page.parse::<u32>() {
            Ok(n) if (1..=100_000).contains(&n) => page.page = n,
            _ => {
                page.error = "页码应为正整数".into();
                return (StatusCode::OK, page).into_response();
            }
        }
    }
    let mut approval = state.services.approval.clone();
    match approval
        .list_cases(as_user(
            &signed_in.token,
            pb::ListCasesRequest {
                agency: signed_in.user.agency.clone(),
                stage: "closed".into(),
                page_size: PAGE_SIZE,
                offset: (page.page - 1).saturating_mul(PAGE_SIZE),
                by_reply_date: true,
                ..Default::default()
            },
        ))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            page.total = r.total;
            page.pages = r.total.div_ceil(u64::from(PAGE_SIZE));
            page.rows = r
                .cases
                .into_iter()
                .map(|c| ServedRow {
                    reference: if c.reference.is_empty() {
                        c.case_id.clone()
                    } else {
                        c.reference
                    },
                    case_id: c.case_id,
                    applicant: mask_name(&c.applicant_name),
                    outcome: outcome_label(&c.outcome_code),
                    replied_on: c.replied_on,
                    late: c.overdue,
                })
                .collect();
        }
        Err(status) => page.error = explain(&status),
    }
    page.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_reads_as_head_title_salutation_body_closing() {
        let text = "某区人民政府\n政府信息公开申请答复书\n安府信公〔2026〕86号\n李强：\n本机关于……\n经审查，现答复如下：\n某区人民政府\n2026年7月1日";
        let kinds: Vec<LineKind> = letter_lines("政府信息公开申请答复书", text)
            .iter()
            .map(|l| l.kind)
            .collect();
        use LineKind::*;
        assert_eq!(
            kinds,
            [Head, Title, Head, Salutation, Body, Body, Closing, Closing]
        );
    }
}
