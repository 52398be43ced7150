//! The statutory steps of a case, one small form each on the case page. A step is a POST
//! validated by the service it belongs to; success redirects back to the case (post,
//! redirect, get), a refusal shows the case page again with the service's Chinese message.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use ogi_core::access::Permission;
use ogi_proto::v1 as pb;
use serde::Deserialize;

use askama::Template;
use askama_web::WebTemplate;

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

    /// What the step needs (roles.md): the page offers it only to a user who has it.
    pub fn permission(self) -> Permission {
        match self {
            Step::Accept => Permission::CaseAccept,
            Step::RequestCorrection | Step::CorrectionReceived | Step::CorrectionOverdue => {
                Permission::CaseCorrection
            }
            Step::Consult | Step::ConsultReply => Permission::CaseConsult,
            Step::Extend => Permission::CaseExtend,
            Step::Draft => Permission::CaseDraft,
            Step::Approve => Permission::ReplyApprove,
            Step::Return => Permission::ReplyReturn,
            Step::Serve => Permission::CaseServe,
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

/// What a step form says, before saving, the step will make of the reply deadline.
#[derive(Template, WebTemplate)]
#[template(path = "step_preview.html")]
pub struct StepPreview {
    pub text: String,
    pub steps: Vec<case::Dated>,
    pub error: String,
}

impl StepPreview {
    fn text(text: impl Into<String>) -> StepPreview {
        StepPreview {
            text: text.into(),
            steps: Vec::new(),
            error: String::new(),
        }
    }

    fn error(error: impl Into<String>) -> StepPreview {
        StepPreview {
            text: String::new(),
            steps: Vec::new(),
            error: error.into(),
        }
    }
}

/// A due date as the page shows it, 暂定 when the calendar of its year is not loaded.
fn due_text(deadline: &pb::Deadline) -> String {
    let provisional = if deadline.provisional {
        "（暂定）"
    } else {
        ""
    };
    format!("{}{provisional}", deadline.due_on)
}

/// `POST /cases/{id}/preview`: the step form's fields in, the new due date out (htmx swaps
/// it under the form as its fields change). Nothing is saved.
pub async fn preview(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(case_id): Path<String>,
    Form(form): Form<StepForm>,
) -> StepPreview {
    let Some(step) = Step::from_key(&form.step) else {
        return StepPreview::error("未知的办理步骤。");
    };
    match preview_step(&signed_in, &state, &case_id, step, &form).await {
        Ok(p) => p,
        Err(message) => StepPreview::error(message),
    }
}

async fn preview_step(
    signed_in: &SignedIn,
    state: &AppState,
    case_id: &str,
    step: Step,
    f: &StepForm,
) -> Result<StepPreview, String> {
    let t = signed_in.token.as_str();
    let on = f.on.trim().to_string();
    if on.is_empty() {
        return Ok(StepPreview::text("填写日期后显示保存后的答复期限。"));
    }
    let rpc_step = match step {
        Step::Accept => "accept",
        Step::CorrectionReceived => "correction_received",
        Step::Consult => "consult",
        Step::ConsultReply => "consult_reply",
        Step::Extend => "extend",
        Step::RequestCorrection => {
            return Ok(StepPreview::text(
                "保存后答复期限停止计算，自收到补正材料之日起重新起算（第三十条）。",
            ));
        }
        Step::CorrectionOverdue => {
            return Ok(StepPreview::text(
                "保存后视为申请人放弃申请，案件办结，不再计算答复期限（第三十条）。",
            ));
        }
        Step::Draft | Step::Approve | Step::Return | Step::Serve => {
            let file = state
                .services
                .approval
                .clone()
                .get_case(as_user(
                    t,
                    pb::GetCaseRequest {
                        case_id: case_id.to_string(),
                    },
                ))
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            let deadline = file.deadline.unwrap_or_default();
            if deadline.due_on.is_empty() {
                return Ok(StepPreview::text("本步骤不改变答复期限。"));
            }
            let due = due_text(&deadline);
            let text = if step == Step::Serve {
                if on.as_str() <= deadline.due_on.as_str() {
                    format!("保存后答复期限不变（{due}）：于 {on} 送达为按期答复。")
                } else {
                    format!("保存后答复期限不变（{due}）：于 {on} 送达已逾期。")
                }
            } else {
                format!("保存后答复期限不变：{due}。")
            };
            return Ok(StepPreview::text(text));
        }
    };
    let mut request = pb::PreviewDeadlineRequest {
        case_id: case_id.to_string(),
        step: rpc_step.to_string(),
        on,
        days: f.days.trim().parse().unwrap_or(0),
        kind: f.kind.clone(),
        received_on: String::new(),
        correction_requested_on: String::new(),
    };
    if matches!(step, Step::Accept | Step::CorrectionReceived) {
        // Not yet with approval: the received date from intake, the notice's from validation.
        let app = state
            .services
            .intake
            .clone()
            .get_application(as_user(
                t,
                pb::GetApplicationRequest {
                    case_id: case_id.to_string(),
                    ..Default::default()
                },
            ))
            .await
            .map_err(|s| explain(&s))?
            .into_inner();
        request.received_on = app.received_on;
        if step == Step::CorrectionReceived {
            let findings = state
                .services
                .validation
                .clone()
                .get_findings(as_user(
                    t,
                    pb::GetFindingsRequest {
                        case_id: case_id.to_string(),
                    },
                ))
                .await
                .map_err(|s| explain(&s))?
                .into_inner();
            request.correction_requested_on = findings.correction_requested_on;
        }
    }
    let preview = state
        .services
        .approval
        .clone()
        .preview_deadline(as_user(t, request))
        .await
        .map_err(|s| explain(&s))?
        .into_inner();
    let after = preview.after.unwrap_or_default();
    let before = preview
        .before
        .filter(|b| !b.due_on.is_empty())
        .map(|b| format!("（现为 {}）", due_text(&b)))
        .unwrap_or_default();
    let text = match after.state.as_str() {
        "paused_for_consultation" => {
            format!("保存后答复期限暂停计算：征求意见期间不计入答复期限{before}。")
        }
        "paused_for_fee" => format!("保存后答复期限暂停计算：缴费期间不计入{before}。"),
        _ if after.due_on.is_empty() => "保存后答复期限暂停计算。".to_string(),
        _ => format!("保存后答复期限：{}{before}", due_text(&after)),
    };
    Ok(StepPreview {
        text,
        steps: after
            .steps
            .into_iter()
            .map(|s| case::Dated {
                on: s.on,
                text: s.text,
            })
            .collect(),
        error: String::new(),
    })
}
