//! 案件详情: the application as received (identity number and phone masked unless the
//! service unmasks them for this user), the screening and correction findings, the stage,
//! the reply deadline with its explanation, and the case's history.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ogi_proto::v1 as pb;

use super::steps::Step;
use super::{Header, applicant_type_label, channel_label, outcome_label, stage_label};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

pub struct Dated {
    pub on: String,
    pub text: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
pub struct CasePage {
    pub header: Header,
    pub case_id: String,
    pub reference: String,
    pub receipt_number: String,
    pub agency: String,
    pub channel: String,
    pub received_on: String,
    pub applicant_type: String,
    pub applicant_name: String,
    pub id_number: String,
    pub phone: String,
    pub description: String,
    pub identity_check: String,
    pub suggestions: Vec<String>,
    pub correction: Vec<String>,
    pub stage: String,
    pub due_on: String,
    pub provisional: bool,
    pub deadline_steps: Vec<Dated>,
    pub outcome: String,
    pub replied_on: String,
    pub overdue: bool,
    pub history: Vec<Dated>,
    pub notices: Vec<String>,
    /// The steps open now, as forms.
    pub steps: Vec<Step>,
    /// A refused step's message, shown above the forms.
    pub step_error: String,
    /// The step just taken.
    pub done: String,
    /// Draft outcomes: (code, label).
    pub outcomes: Vec<(&'static str, &'static str)>,
    pub today: String,
    /// The reply letter, once the decision is approved.
    pub letter: Option<Letter>,
}

/// The reply letter (答复书) as publishing rendered it.
pub struct Letter {
    pub title: String,
    pub document_number: String,
    pub text: String,
    pub served_on: String,
    /// 送达方式, in Chinese.
    pub method: String,
}

/// How a reply may be served (送达方式): (code, label).
pub const SERVICE_METHODS: [(&str, &str); 5] = [
    ("pickup", "当面领取"),
    ("mail", "邮寄"),
    ("email", "电子邮件"),
    ("online", "网上"),
    ("fax", "传真"),
];

#[derive(serde::Deserialize)]
pub struct CaseQuery {
    #[serde(default)]
    done: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "not_found.html")]
pub struct NotFoundPage {
    pub header: Header,
    pub message: String,
}

pub async fn page(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    Query(query): Query<CaseQuery>,
) -> Response {
    let done = match query.done.as_str() {
        "register" => "登记（回执编号见下）",
        key => Step::ALL
            .into_iter()
            .find(|s| s.key() == key)
            .map_or("", Step::label),
    };
    render(&signed_in, &state, &case_id, "", done).await
}

/// The case page, with a refused step's message or the name of the step just saved.
pub async fn render(
    signed_in: &SignedIn,
    state: &AppState,
    case_id: &str,
    step_error: &str,
    done: &str,
) -> Response {
    let case_id = case_id.to_string();
    let token = signed_in.token.clone();
    let mut intake = state.services.intake.clone();
    let app = match intake
        .get_application(as_user(
            &token,
            pb::GetApplicationRequest {
                case_id: case_id.clone(),
                ..Default::default()
            },
        ))
        .await
    {
        Ok(r) => r.into_inner(),
        Err(status) => {
            let code = match status.code() {
                tonic::Code::NotFound => StatusCode::NOT_FOUND,
                tonic::Code::PermissionDenied => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_GATEWAY,
            };
            let page = NotFoundPage {
                header: Header::of(signed_in),
                message: explain(&status),
            };
            return (code, page).into_response();
        }
    };
    let applicant = app.applicant.clone().unwrap_or_default();
    let mut page = CasePage {
        header: Header::of(signed_in),
        case_id: case_id.clone(),
        reference: app.reference.clone(),
        receipt_number: app.receipt_number.clone(),
        agency: app.agency.clone(),
        channel: channel_label(&app.channel),
        received_on: app.received_on.clone(),
        applicant_type: applicant_type_label(&applicant.r#type),
        applicant_name: applicant.name.clone(),
        id_number: applicant.id_number.clone(),
        phone: applicant.phone.clone().unwrap_or_default(),
        description: app.request.clone().unwrap_or_default().description,
        identity_check: String::new(),
        suggestions: Vec::new(),
        correction: Vec::new(),
        stage: "待受理".to_string(),
        due_on: String::new(),
        provisional: false,
        deadline_steps: Vec::new(),
        outcome: String::new(),
        replied_on: String::new(),
        overdue: false,
        history: Vec::new(),
        notices: Vec::new(),
        steps: Vec::new(),
        step_error: step_error.to_string(),
        done: done.to_string(),
        outcomes: ogi_core::codes::OutcomeCode::ALL
            .iter()
            .map(|o| (o.code(), o.short_label()))
            .collect(),
        today: super::today_in_china().to_string(),
        letter: None,
    };
    let mut validation_state = String::new();
    let mut stage_code = String::new();
    let mut clock = String::new();
    let mut validation = state.services.validation.clone();
    match validation
        .get_findings(as_user(
            &token,
            pb::GetFindingsRequest {
                case_id: case_id.clone(),
            },
        ))
        .await
    {
        Ok(r) => {
            let f = r.into_inner();
            validation_state = f.state.clone();
            page.identity_check = f.identity_check;
            page.suggestions = f.suggestions.into_iter().map(|s| s.reason).collect();
            if f.state == "awaiting_correction" {
                page.stage = "补正中".to_string();
            }
            if !f.correction_requested_on.is_empty() {
                page.correction.push(format!(
                    "{} 发出补正通知，补正期限 {}：{}",
                    f.correction_requested_on,
                    f.correction_due_on,
                    f.correction_items.join("；")
                ));
            }
        }
        Err(status) if status.code() == tonic::Code::NotFound => {}
        Err(status) => page.notices.push(explain(&status)),
    }
    let mut approval = state.services.approval.clone();
    match approval
        .get_case(as_user(
            &token,
            pb::GetCaseRequest {
                case_id: case_id.clone(),
            },
        ))
        .await
    {
        Ok(r) => {
            let file = r.into_inner();
            page.stage = stage_label(&file.stage);
            stage_code = file.stage.clone();
            if let Some(d) = file.deadline {
                clock = d.state.clone();
                page.due_on = d.due_on;
                page.provisional = d.provisional;
                page.deadline_steps = d
                    .steps
                    .into_iter()
                    .map(|s| Dated {
                        on: s.on,
                        text: s.text,
                    })
                    .collect();
            }
            page.outcome = outcome_label(&file.outcome_code);
            page.replied_on = file.replied_on;
            page.overdue = file.overdue;
            page.history = file
                .history
                .into_iter()
                .map(|h| Dated {
                    on: h.on,
                    text: h.text,
                })
                .collect();
        }
        // Not yet accepted: the case is still with registration and validation.
        Err(status) if status.code() == tonic::Code::NotFound => {}
        Err(status) => page.notices.push(explain(&status)),
    }
    if matches!(stage_code.as_str(), "approved" | "closed") {
        let mut publishing = state.services.publishing.clone();
        match publishing
            .get_letter(as_user(
                &token,
                pb::GetLetterRequest {
                    case_id: case_id.clone(),
                },
            ))
            .await
        {
            Ok(r) => {
                let l = r.into_inner();
                page.letter = Some(Letter {
                    title: l.title,
                    document_number: l.document_number,
                    text: l.text,
                    served_on: l.served_on,
                    method: SERVICE_METHODS
                        .iter()
                        .find(|(code, _)| *code == l.method)
                        .map_or("其他", |(_, label)| label)
                        .to_string(),
                });
            }
            // Approved a moment ago: the letter is being rendered.
            Err(status) if status.code() == tonic::Code::NotFound => page
                .notices
                .push("答复书正在生成，请稍后刷新。".to_string()),
            Err(status) => page.notices.push(explain(&status)),
        }
    }
    page.steps = Step::open_now(&validation_state, &stage_code, &clock)
        .into_iter()
        .filter(|step| super::holds(signed_in, step.permission()))
        .collect();
    page.into_response()
}
