//! The steps a case handler takes, one subcommand each, talking gRPC to the services.

use chrono::NaiveDate;
use clap::{Args, Subcommand};
use ogi_core::codes::{CodeList, label};
use ogi_core::limits::escape_for_terminal;
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;

#[derive(Debug, Clone, Args)]
pub struct On {
    /// 法定日期（YYYY-MM-DD）：该步骤实际发生的日期
    #[arg(long)]
    pub on: NaiveDate,
    /// 操作人
    #[arg(long, env = "OGI_ACTOR", default_value = "经办人")]
    pub actor: String,
}

impl On {
    fn ctx(&self) -> Option<pb::CommandContext> {
        Some(pb::CommandContext {
            actor: self.actor.clone(),
            on: self.on.to_string(),
            command_id: String::new(),
        })
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum CaseCommand {
    /// 登记申请，输出案件编号与回执编号
    Submit {
        #[arg(long)]
        agency: String,
        /// 本机关案件编号（缺省用回执编号）
        #[arg(long, default_value = "")]
        reference: String,
        /// 申请渠道：in_person mail online fax email
        #[arg(long)]
        channel: String,
        /// 收到申请之日（第三十一条）
        #[arg(long)]
        received_on: NaiveDate,
        /// 申请人类型：natural_person commercial_enterprise research_institution social_welfare_org legal_service_institution other_org
        #[arg(long = "type", default_value = "natural_person")]
        applicant_type: String,
        #[arg(long)]
        name: String,
        /// 证件类型：resident_id_card unified_social_credit_code passport other
        #[arg(long, default_value = "resident_id_card")]
        id_type: String,
        #[arg(long)]
        id_number: String,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        email: Option<String>,
        /// 所需信息的描述
        #[arg(long)]
        description: String,
        /// paper 或 electronic
        #[arg(long, default_value = "electronic")]
        form: String,
        /// pickup mail email online fax
        #[arg(long, default_value = "email")]
        delivery: String,
        #[arg(long, env = "OGI_ACTOR", default_value = "经办人")]
        actor: String,
    },
    /// 查看案件：申请、审核意见、答复期限及其计算说明、办理经过、答复书
    Show {
        /// 案件ID、本机关编号或回执编号
        case: String,
        /// 行政机关（本机关编号在几个机关重复时用以区分）
        #[arg(long)]
        agency: Option<String>,
    },
    /// 受理（申请完整）
    Accept {
        case_id: String,
        #[command(flatten)]
        on: On,
    },
    /// 补正：request 发出补正通知；received 收到补正材料；overdue 逾期未补正视为放弃
    Correction {
        #[command(subcommand)]
        step: CorrectionStep,
    },
    /// 征求意见：kind 为 third_party 或 other_agency
    Consult {
        case_id: String,
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = "")]
        party: String,
        #[command(flatten)]
        on: On,
    },
    /// 登记征求意见的答复
    ConsultReply {
        case_id: String,
        #[arg(long)]
        kind: String,
        #[arg(long, default_value = "")]
        opinion: String,
        #[command(flatten)]
        on: On,
    },
    /// 延期答复（一次，不超过20个工作日，须负责人同意）
    Extend {
        case_id: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        approved_by: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        on: On,
    },
    /// 收费：notify 发出收费通知（--pages 或 --nth 或 --amount）；paid 已缴费
    Fee {
        #[command(subcommand)]
        step: FeeStep,
    },
    /// 拟定答复意见
    Draft {
        case_id: String,
        #[arg(long)]
        outcome: String,
        #[arg(long, default_value = "")]
        basis: String,
        #[arg(long, default_value = "")]
        text: String,
        #[arg(long, default_value = "")]
        other_agency: String,
        #[command(flatten)]
        on: On,
    },
    /// 审批通过（一级）
    Approve {
        case_id: String,
        #[command(flatten)]
        on: On,
    },
    /// 审批退回
    Return {
        case_id: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        on: On,
    },
    /// 送达答复书：method 为 pickup mail email online fax
    Serve {
        case_id: String,
        #[arg(long)]
        method: String,
        #[command(flatten)]
        on: On,
    },
    /// 登记行政复议或行政诉讼
    Review {
        case_id: String,
        /// review litigation_direct litigation_after_review
        #[arg(long)]
        kind: String,
        #[arg(long)]
        filed_on: NaiveDate,
        /// upheld corrected other pending
        #[arg(long, default_value = "pending")]
        result: String,
        #[arg(long)]
        concluded_on: Option<NaiveDate>,
        #[command(flatten)]
        on: On,
    },
    /// 临近期限与已逾期的案件（按工作日）
    Due {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        today: NaiveDate,
        #[arg(long, default_value_t = 5)]
        within: u32,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum CorrectionStep {
    Request {
        case_id: String,
        #[arg(long = "item")]
        items: Vec<String>,
        #[arg(long)]
        due_on: Option<NaiveDate>,
        #[command(flatten)]
        on: On,
    },
    Received {
        case_id: String,
        #[command(flatten)]
        on: On,
    },
    Overdue {
        case_id: String,
        #[command(flatten)]
        on: On,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum FeeStep {
    Notify {
        case_id: String,
        #[arg(long)]
        pages: Option<u32>,
        #[arg(long)]
        nth: Option<u32>,
        #[arg(long)]
        amount: Option<String>,
        #[command(flatten)]
        on: On,
    },
    Paid {
        case_id: String,
        #[command(flatten)]
        on: On,
    },
}

/// A service's answer, kept whole so that "not arrived yet" can be retried.
#[derive(Debug)]
struct Refused(tonic::Status);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe_status(&self.0))
    }
}

impl std::error::Error for Refused {}

fn fail(status: tonic::Status) -> anyhow::Error {
    anyhow::Error::new(Refused(status))
}

/// Run a handler command; while the case's event is still on its way to the service that
/// handles this step (NOT_FOUND), try again for a few seconds. A refused command changed
/// nothing, so trying again is safe.
pub async fn run(clients: &Clients, command: CaseCommand) -> anyhow::Result<()> {
    let start = std::time::Instant::now();
    loop {
        match run_once(clients, &command).await {
            Err(e)
                if e.downcast_ref::<Refused>()
                    .is_some_and(|r| r.0.code() == tonic::Code::NotFound)
                    && start.elapsed() < std::time::Duration::from_secs(10) =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            other => return other,
        }
    }
}

/// A stored text as one line on a terminal: control characters, bidi overrides and other
/// invisible characters written as `\u{…}` escapes, never raw.
fn shown(text: &str) -> String {
    escape_for_terminal(text, false)
}

/// A stored multi-line text (a letter) on a terminal: line breaks kept, the rest as [`shown`].
fn shown_text(text: &str) -> String {
    escape_for_terminal(text, true)
}

fn print_case(file: &pb::CaseFile) {
    println!(
        "案件 {}  阶段：{}",
        shown(&file.case_id),
        shown(label(CodeList::Stage, &file.stage))
    );
    if let Some(d) = &file.deadline {
        if !d.due_on.is_empty() {
            println!(
                "答复期限：{}{}",
                d.due_on,
                if d.provisional {
                    ogi_core::calendar::PROVISIONAL_NOTE
                } else {
                    ""
                }
            );
        }
        for s in &d.steps {
            println!("  · {}", shown(&s.text));
        }
    }
    if !file.outcome_code.is_empty() {
        println!(
            "办理结果：{}，答复日期 {}{}",
            shown(label(CodeList::Outcome, &file.outcome_code)),
            file.replied_on,
            if file.overdue {
                "（逾期答复）"
            } else {
                ""
            }
        );
    }
}

fn print_findings(f: &pb::Findings) {
    println!(
        "案件 {}  审核状态：{}",
        shown(&f.case_id),
        shown(label(CodeList::ReviewState, &f.state))
    );
    println!("补正通知最迟发出日：{}", f.correction_notice_due_on);
    for p in &f.completeness_problems {
        println!("  缺项：{}", shown(p));
    }
    for s in &f.suggestions {
        println!("  筛查提示：{}", shown(&s.reason));
    }
    if !f.correction_items.is_empty() {
        println!(
            "  补正事项：{}；补正期限：{}",
            shown(&f.correction_items.join("；")),
            f.correction_due_on
        );
    }
}

async fn run_once(clients: &Clients, command: &CaseCommand) -> anyhow::Result<()> {
    let mut c = clients.clone();
    match command.clone() {
        CaseCommand::Submit {
            agency,
            reference,
            channel,
            received_on,
            applicant_type,
            name,
            id_type,
            id_number,
            phone,
            address,
            email,
            description,
            form,
            delivery,
            actor,
        } => {
            let r = c
                .intake
                .submit_application(pb::SubmitApplicationRequest {
                    context: Some(pb::CommandContext {
                        actor,
                        on: received_on.to_string(),
                        command_id: String::new(),
                    }),
                    agency,
                    reference,
                    channel,
                    received_on: received_on.to_string(),
                    applicant: Some(pb::Applicant {
                        r#type: applicant_type,
                        name,
                        id_type,
                        id_number,
                        phone,
                        address,
                        email,
                    }),
                    request: Some(pb::InformationRequest {
                        description,
                        form,
                        delivery,
                    }),
                    identity_check_warning_only: false,
                })
                .await
                .map_err(fail)?
                .into_inner();
            let app = r.application.unwrap_or_default();
            println!("{}", shown(&app.case_id));
            println!(
                "{}：回执编号 {}，本机关编号 {}",
                if r.created {
                    "已登记"
                } else {
                    "已存在（未改变）"
                },
                shown(&app.receipt_number),
                shown(&app.reference)
            );
        }
        CaseCommand::Show { case, agency } => {
            let app = crate::cases_cmd::find_case(&mut c, &case, agency.as_deref()).await?;
            let case_id = app.case_id.clone();
            let a = app.applicant.clone().unwrap_or_default();
            let request = app.request.clone().unwrap_or_default();
            println!(
                "{} 回执编号 {}  本机关编号 {}  收到申请：{}（{}）",
                shown(&app.agency),
                shown(&app.receipt_number),
                shown(&app.reference),
                shown(&app.received_on),
                shown(label(CodeList::Channel, &app.channel))
            );
            println!(
                "申请人：{}（{}）  申请内容：{}",
                shown(&a.name),
                shown(label(CodeList::ApplicantType, &a.r#type)),
                shown(&request.description)
            );
            println!(
                "获取形式：{}  获取方式：{}",
                shown(label(CodeList::RequestForm, &request.form)),
                shown(label(CodeList::Delivery, &request.delivery))
            );
            if let Ok(f) = c
                .validation
                .get_findings(pb::GetFindingsRequest {
                    case_id: case_id.clone(),
                })
                .await
            {
                print_findings(&f.into_inner());
            }
            if let Ok(file) = c
                .approval
                .get_case(pb::GetCaseRequest {
                    case_id: case_id.clone(),
                })
                .await
            {
                let file = file.into_inner();
                print_case(&file);
                for h in &file.history {
                    println!("  {} {}", shown(&h.on), shown(&h.text));
                }
            }
            if let Ok(letter) = c
                .publishing
                .get_letter(pb::GetLetterRequest { case_id })
                .await
            {
                let l = letter.into_inner();
                println!(
                    "\n{} {}\n{}",
                    shown(&l.title),
                    shown(&l.document_number),
                    shown_text(&l.text)
                );
            }
        }
        CaseCommand::Accept { case_id, on } => {
            let f = c
                .validation
                .accept_application(pb::AcceptApplicationRequest {
                    context: on.ctx(),
                    case_id,
                })
                .await
                .map_err(fail)?;
            print_findings(&f.into_inner());
        }
        CaseCommand::Correction { step } => {
            let f = match step {
                CorrectionStep::Request {
                    case_id,
                    items,
                    due_on,
                    on,
                } => {
                    c.validation
                        .request_correction(pb::RequestCorrectionRequest {
                            context: on.ctx(),
                            case_id,
                            items,
                            due_on: due_on.map(|d| d.to_string()).unwrap_or_default(),
                        })
                        .await
                }
                CorrectionStep::Received { case_id, on } => {
                    c.validation
                        .record_correction(pb::RecordCorrectionRequest {
                            context: on.ctx(),
                            case_id,
                        })
                        .await
                }
                CorrectionStep::Overdue { case_id, on } => {
                    c.validation
                        .record_abandonment(pb::RecordAbandonmentRequest {
                            context: on.ctx(),
                            case_id,
                        })
                        .await
                }
            };
            print_findings(&f.map_err(fail)?.into_inner());
        }
        CaseCommand::Consult {
            case_id,
            kind,
            party,
            on,
        } => {
            print_case(
                &c.approval
                    .start_consultation(pb::StartConsultationRequest {
                        context: on.ctx(),
                        case_id,
                        kind,
                        party,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::ConsultReply {
            case_id,
            kind,
            opinion,
            on,
        } => {
            print_case(
                &c.approval
                    .record_consultation_reply(pb::RecordConsultationReplyRequest {
                        context: on.ctx(),
                        case_id,
                        kind,
                        opinion,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::Extend {
            case_id,
            days,
            approved_by,
            reason,
            on,
        } => {
            print_case(
                &c.approval
                    .extend(pb::ExtendRequest {
                        context: on.ctx(),
                        case_id,
                        days,
                        approved_by,
                        reason,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::Fee { step } => {
            let file = match step {
                FeeStep::Notify {
                    case_id,
                    pages,
                    nth,
                    amount,
                    on,
                } => {
                    use pb::notify_fee_request::Basis;
                    let basis = match (pages, nth, amount) {
                        (Some(p), None, None) => Basis::Pages(p),
                        (None, Some(n), None) => Basis::NthInMonth(n),
                        (None, None, Some(a)) => Basis::AmountYuan(a),
                        _ => anyhow::bail!("请给出 --pages、--nth 或 --amount 之一"),
                    };
                    c.approval
                        .notify_fee(pb::NotifyFeeRequest {
                            context: on.ctx(),
                            case_id,
                            basis: Some(basis),
                        })
                        .await
                }
                FeeStep::Paid { case_id, on } => {
                    c.approval
                        .record_fee_payment(pb::RecordFeePaymentRequest {
                            context: on.ctx(),
                            case_id,
                        })
                        .await
                }
            };
            print_case(&file.map_err(fail)?.into_inner());
        }
        CaseCommand::Draft {
            case_id,
            outcome,
            basis,
            text,
            other_agency,
            on,
        } => {
            print_case(
                &c.approval
                    .draft_decision(pb::DraftDecisionRequest {
                        context: on.ctx(),
                        case_id,
                        outcome_code: outcome,
                        legal_basis: basis,
                        reply_text: text,
                        other_agency,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::Approve { case_id, on } => {
            print_case(
                &c.approval
                    .approve_decision(pb::ApproveDecisionRequest {
                        context: on.ctx(),
                        case_id,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::Return {
            case_id,
            reason,
            on,
        } => {
            print_case(
                &c.approval
                    .return_decision(pb::ReturnDecisionRequest {
                        context: on.ctx(),
                        case_id,
                        reason,
                    })
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::Serve {
            case_id,
            method,
            on,
        } => {
            let letter = c
                .publishing
                .serve_reply(pb::ServeReplyRequest {
                    context: on.ctx(),
                    case_id,
                    method,
                })
                .await
                .map_err(fail)?
                .into_inner();
            println!(
                "已送达：{} {}（{}，{}）\n{}",
                shown(&letter.title),
                shown(&letter.document_number),
                shown(&letter.served_on),
                shown(label(CodeList::Delivery, &letter.method)),
                shown_text(&letter.text)
            );
        }
        CaseCommand::Review {
            case_id,
            kind,
            filed_on,
            result,
            concluded_on,
            on,
        } => {
            let req = pb::RecordReviewRequest {
                context: on.ctx(),
                case_id,
                kind,
                filed_on: filed_on.to_string(),
                result,
                concluded_on: concluded_on.map(|d| d.to_string()).unwrap_or_default(),
            };
            print_case(
                &c.approval
                    .record_review(req)
                    .await
                    .map_err(fail)?
                    .into_inner(),
            );
        }
        CaseCommand::Due {
            agency,
            today,
            within,
        } => {
            let r = c
                .approval
                .list_due(pb::ListDueRequest {
                    agency,
                    today: today.to_string(),
                    within_days: within,
                })
                .await
                .map_err(fail)?
                .into_inner();
            println!(
                "已逾期{}件，{}个工作日内到期{}件",
                r.overdue.len(),
                within,
                r.due_soon.len()
            );
            for d in r.overdue.iter().chain(&r.due_soon) {
                println!(
                    "  {} 期限 {}{} 剩余 {} 个工作日",
                    d.case_id,
                    d.due_on,
                    if d.provisional { "（暂定）" } else { "" },
                    d.working_days_left
                );
            }
        }
    }
    Ok(())
}
