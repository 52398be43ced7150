//! The statutory steps of a case, one small form each on the case page. A step is a POST
//! validated by the service it belongs to; success redirects back to the case (post,
//! redirect, get), a refusal shows the case page again with the service's Chinese message.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::case;
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// A step the case page may offer: its key (the form's `step`) and its Chinese name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    RequestCorrection,
    CorrectionReceived,
    CorrectionOverdue,
    Consult,
    ConsultReply,
    Extend,
    Draft,
    Approve,
    Return,
    Serve,
}

impl Step {
    pub const ALL: [Step; 11] = [
        Step::Accept,
        Step::RequestCorrection,
        Step::CorrectionReceived,
        Step::CorrectionOverdue,
        Step::Consult,
        Step::ConsultReply,
        Step::Extend,
        Step::Draft,
        Step::Approve,
        Step::Return,
        Step::Serve,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Step::Accept => "accept",
            Step::RequestCorrection => "correction_request",
            Step::CorrectionReceived => "correction_received",
            Step::CorrectionOverdue => "correction_overdue",
            Step::Consult => "consult",
            Step::ConsultReply => "consult_reply",
            Step::Extend => "extend",
            Step::Draft => "draft",
            Step::Approve => "approve",
            Step::Return => "return",
            Step::Serve => "serve",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Step::Accept => "受理",
            Step::RequestCorrection => "补正通知",
            Step::CorrectionReceived => "收到补正",
            Step::CorrectionOverdue => "逾期未补正",
            Step::Consult => "征求意见",
            Step::ConsultReply => "征求意见回复",
            Step::Extend => "延期答复",
            Step::Draft => "拟稿并提交审批",
            Step::Approve => "审批通过",
            Step::Return => "退回",
            Step::Serve => "送达",
        }
    }

    fn from_key(key: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.key() == key)
    }

    /// The steps open now, from validation's state and approval's stage and clock.
    pub fn open_now(validation_state: &str, stage: &str, clock: &str) -> Vec<Step> {
        match (validation_state, stage) {
            ("received", _) => vec![Step::Accept, Step::RequestCorrection],
            ("awaiting_correction", _) => {
                vec![Step::CorrectionReceived, Step::CorrectionOverdue]
            }
            (_, "in_progress") => match clock {
                "paused_for_consultation" => vec![Step::ConsultReply],
                _ => vec![Step::Consult, Step::Extend, Step::Draft],
            },
            (_, "drafted") => vec![Step::Approve, Step::Return],
            (_, "approved") => vec![Step::Serve],
            _ => vec![],
        }
    }
}

/// Every field any step form has; each step reads its own.
#[derive(Debug, Default, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    step: String,
    #[serde(default)]
    on: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    party: String,
    #[serde(default)]
    opinion: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    approved_by: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    method: String,
}

pub async fn submit(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    Form(form): Form<StepForm>,
) -> Response {
    let Some(step) = Step::from_key(&form.step) else {
        return case::render(&signed_in, &state, &case_id, "未知的办理步骤。", "").await;
    };
    match take(&signed_in, &state, &case_id, step, &form).await {
        Ok(()) => Redirect::to(&format!("/cases/{case_id}?done={}", step.key())).into_response(),
        Err(message) => {
            let message = format!("{}未保存：{message}", step.label());
            case::render(&signed_in, &state, &case_id, &message, "").await
        }
    }
}

async fn take(
    signed_in: &SignedIn,
    state: &AppState,
    case_id: &str,
    step: Step,
    f: &StepForm,
) -> Result<(), String> {
    if f.on.trim().is_empty() {
        return Err("请填写日期（该步骤实际发生的法定日期）。".to_string());
    }
    let context = Some(pb::CommandContext {
        actor: signed_in.user.username.clone(),
        on: f.on.trim().to_string(),
        command_id: String::new(),
    });
    let t = signed_in.token.as_str();
    let case_id = case_id.to_string();
    let s = &state.services;
    let result = match step {
        Step::Accept => s
            .validation
            .clone()
            .accept_application(as_user(
                t,
                pb::AcceptApplicationRequest { context, case_id },
            ))
            .await
            .map(drop),
        Step::RequestCorrection => {
            let items: Vec<String> = f
                .items
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(String::from)
                .collect();
            if items.is_empty() {
                return Err("请填写需要补正的事项，每行一项。".to_string());
            }
            s.validation
                .clone()
                .request_correction(as_user(
                    t,
                    pb::RequestCorrectionRequest {
                        context,
                        case_id,
                        items,
                        due_on: String::new(),
                    },
                ))
                .await
                .map(drop)
        }
        Step::CorrectionReceived => s
            .validation
            .clone()
            .record_correction(as_user(t, pb::RecordCorrectionRequest { context, case_id }))
            .await
            .map(drop),
        Step::CorrectionOverdue => s
            .validation
            .clone()
            .record_abandonment(as_user(
                t,
                pb::RecordAbandonmentRequest { context, case_id },
            ))
            .await
            .map(drop),
        Step::Consult => s
            .approval
            .clone()
            .start_consultation(as_user(
                t,
                pb::StartConsultationRequest {
                    context,
                    case_id,
                    kind: f.kind.clone(),
                    party: f.party.trim().to_string(),
                },
            ))
            .await
            .map(drop),
        Step::ConsultReply => s
            .approval
            .clone()
            .record_consultation_reply(as_user(
                t,
                pb::RecordConsultationReplyRequest {
                    context,
                    case_id,
                    kind: f.kind.clone(),
                    opinion: f.opinion.trim().to_string(),
                },
            ))
            .await
            .map(drop),
        Step::Extend => {
            let Ok(days) = f.days.trim().parse::<u32>() else {
                return Err("延长的工作日数应为1至20的整数。".to_string());
            };
            s.approval
                .clone()
                .extend(as_user(
                    t,
                    pb::ExtendRequest {
                        context,
                        case_id,
                        days,
                        approved_by: f.approved_by.trim().to_string(),
                        reason: f.reason.trim().to_string(),
                    },
                ))
                .await
                .map(drop)
        }
        Step::Draft => s
            .approval
            .clone()
            .draft_decision(as_user(
                t,
                pb::DraftDecisionRequest {
                    context,
                    case_id,
                    outcome_code: f.outcome.clone(),
                    legal_basis: f.basis.trim().to_string(),
                    reply_text: f.text.trim().to_string(),
                    other_agency: String::new(),
                },
            ))
            .await
            .map(drop),
        Step::Approve => s
            .approval
            .clone()
            .approve_decision(as_user(t, pb::ApproveDecisionRequest { context, case_id }))
            .await
            .map(drop),
        Step::Return => s
            .approval
            .clone()
            .return_decision(as_user(
                t,
                pb::ReturnDecisionRequest {
                    context,
                    case_id,
                    reason: f.reason.trim().to_string(),
                },
            ))
            .await
            .map(drop),
        Step::Serve => s
            .publishing
            .clone()
            .serve_reply(as_user(
                t,
                pb::ServeReplyRequest {
                    context,
                    case_id,
                    method: f.method.clone(),
                },
            ))
            .await
            .map(drop),
    };
    result.map_err(|status| explain(&status))
}
