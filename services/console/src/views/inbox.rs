//! 审批箱 for approvers and signers: the drafted decisions of the user's agency waiting for
//! approval, oldest first, each with its age and the draft letter, approved or returned
//! (with a reason) here. Separation of duties (no one approves their own draft) is the
//! approval service's check; its refusal is shown beside the decision.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use ogi_core::access::Permission;
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::{Header, outcome_label, summary};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// Approvers and signers: who may approve or return a drafted reply.
pub fn may_approve(signed_in: &SignedIn) -> bool {
    super::holds(signed_in, Permission::ReplyApprove)
}

/// A decision waiting for approval.
pub struct Pending {
    pub case_id: String,
    pub reference: String,
    pub applicant: String,
    pub request: String,
    pub received_on: String,
    pub due_on: String,
    pub drafted_on: String,
    /// Calendar days since it was drafted.
    pub age_days: i64,
    pub outcome: String,
    pub legal_basis: String,
    pub reply_text: String,
    pub approvals_given: u32,
    /// A refused approval or return of this decision.
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
pub struct InboxPage {
    pub header: Header,
    pub today: String,
    pub pending: Vec<Pending>,
    pub done: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "denied.html")]
pub struct DeniedPage {
    pub header: Header,
    pub title: String,
    pub message: String,
}

/// The page a user without the screen's role gets (403).
pub fn denied(signed_in: &SignedIn, title: &str, message: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        DeniedPage {
            header: Header::of(signed_in),
            title: title.to_string(),
            message: message.to_string(),
        },
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct InboxQuery {
    #[serde(default)]
    done: String,
    #[serde(default)]
    reference: String,
}

pub async fn page(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<InboxQuery>,
) -> Response {
    if !may_approve(&signed_in) {
        return denied(
            &signed_in,
            "审批箱",
            "审批箱供审核人和签批领导使用，您的角色无权审批答复意见。",
        );
    }
    let done = match query.done.as_str() {
        "approved" => format!("已审批通过：{}", query.reference),
        "returned" => format!("已退回：{}", query.reference),
        _ => String::new(),
    };
    render(&signed_in, &state, done, None).await
}

/// The inbox, with a refused decision's message beside it.
async fn render(
    signed_in: &SignedIn,
    state: &AppState,
    done: String,
    refused: Option<(&str, String)>,
) -> Response {
    let today = super::today_in_china();
    let mut page = InboxPage {
        header: Header::of(signed_in),
        today: today.to_string(),
        pending: Vec::new(),
        done,
        error: String::new(),
    };
    let t = signed_in.token.as_str();
    let listed = state
        .services
        .approval
        .clone()
        .list_cases(as_user(
            t,
            pb::ListCasesRequest {
                agency: signed_in.user.agency.clone(),
                stage: "drafted".to_string(),
                ..Default::default()
            },
        ))
        .await;
    let cases = match listed {
        Ok(r) => r.into_inner().cases,
        Err(status) => {
            page.error = explain(&status);
            Vec::new()
        }
    };
    for summary_row in cases {
        let case_id = summary_row.case_id.clone();
        let file = state
            .services
            .approval
            .clone()
            .get_case(as_user(
                t,
                pb::GetCaseRequest {
                    case_id: case_id.clone(),
                },
            ))
            .await;
        let app = state
            .services
            .intake
            .clone()
            .get_application(as_user(
                t,
                pb::GetApplicationRequest {
                    case_id: case_id.clone(),
                    ..Default::default()
                },
            ))
            .await;
        let (file, app) = match (file, app) {
            (Ok(f), Ok(a)) => (f.into_inner(), a.into_inner()),
            (Err(status), _) | (_, Err(status)) => {
                page.error = explain(&status);
                continue;
            }
        };
        let case: Option<ogi_core::case::Case> = serde_json::from_str(&file.case_state_json).ok();
        let Some(draft) = case.as_ref().and_then(|c| c.draft()) else {
            continue;
        };
        let error = match &refused {
            Some((id, message)) if *id == case_id => message.clone(),
            _ => String::new(),
        };
        page.pending.push(Pending {
            case_id: case_id.clone(),
            reference: app.reference,
            applicant: app.applicant.unwrap_or_default().name,
            request: summary(&app.request.unwrap_or_default().description, 80),
            received_on: app.received_on,
            due_on: summary_row.due_on,
            drafted_on: draft.drafted_on.to_string(),
            age_days: (today - draft.drafted_on).num_days().max(0),
            outcome: outcome_label(draft.outcome.code()),
            legal_basis: draft.legal_basis.clone(),
            reply_text: draft.reply_text.clone(),
            approvals_given: draft.approvals.len() as u32,
            error,
        });
    }
    page.pending
        .sort_by(|a, b| (&a.drafted_on, &a.case_id).cmp(&(&b.drafted_on, &b.case_id)));
    // A refusal of a decision no longer listed is said at the top.
    if let Some((case_id, message)) = refused
        && !page.pending.iter().any(|p| p.case_id == case_id)
    {
        page.error = if page.error.is_empty() {
            message
        } else {
            format!("{message}；{}", page.error)
        };
    }
    page.into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    reference: String,
}

/// `POST /inbox/{case_id}/approve`
pub async fn approve(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    decide(signed_in, state, case_id, form, false).await
}

/// `POST /inbox/{case_id}/return`
pub async fn return_decision(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Response {
    decide(signed_in, state, case_id, form, true).await
}

async fn decide(
    signed_in: SignedIn,
    state: AppState,
    case_id: String,
    form: DecisionForm,
    send_back: bool,
) -> Response {
    if !may_approve(&signed_in) {
        return denied(
            &signed_in,
            "审批箱",
            "审批箱供审核人和签批领导使用，您的角色无权审批答复意见。",
        );
    }
    let on = form.on.trim().to_string();
    let refused = if on.is_empty() {
        Some("请填写日期（审批的法定日期）。".to_string())
    } else if send_back && form.reason.trim().is_empty() {
        Some("退回须写明理由。".to_string())
    } else {
        let context = Some(pb::CommandContext {
            actor: signed_in.user.username.clone(),
            on,
            command_id: String::new(),
        });
        let mut approval = state.services.approval.clone();
        let t = signed_in.token.as_str();
        let result = if send_back {
            approval
                .return_decision(as_user(
                    t,
                    pb::ReturnDecisionRequest {
                        context,
                        case_id: case_id.clone(),
                        reason: form.reason.trim().to_string(),
                    },
                ))
                .await
                .map(drop)
        } else {
            approval
                .approve_decision(as_user(
                    t,
                    pb::ApproveDecisionRequest {
                        context,
                        case_id: case_id.clone(),
                    },
                ))
                .await
                .map(drop)
        };
        result.err().map(|status| explain(&status))
    };
    match refused {
        None => {
            let done = if send_back { "returned" } else { "approved" };
            let reference: String = form.reference.chars().take(64).collect();
            let reference = super::percent_encode(&reference);
            Redirect::to(&format!("/inbox?done={done}&reference={reference}")).into_response()
        }
        Some(message) => {
            let action = if send_back { "退回" } else { "审批通过" };
            let message = format!("{action}未保存：{message}");
            render(&signed_in, &state, String::new(), Some((&case_id, message))).await
        }
    }
}
