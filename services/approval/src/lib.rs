//! The approval service (办理与审批): the case file while it is handled — the reply deadline
//! and its explanation, consultations (征求意见, clock paused), the one extension (延期答复),
//! fee notices (收费通知), the handler's draft decision and the agency's approval chain, and
//! reviews and lawsuits (行政复议、行政诉讼) on closed cases. Publishes `case.*`,
//! `decision.approved` and `review.recorded`; closes the case on `reply.served`.

pub mod listing;

use std::sync::Arc;

use chrono::NaiveDate;
use ogi_core::access::Permission;
use ogi_core::calendar::WorkCalendar;
use ogi_core::case::{Case, CaseEvent, Command, ConsultationKind, Stage};
use ogi_core::codes::{OutcomeCode, ReviewKind, ReviewResult};
use ogi_core::deadline::{self, ClockState, ReplyDeadline};
use ogi_core::fees::{self, FeeBasis};
use ogi_core::letters::RegisteredLetterhead;
use ogi_core::limits::text;
use ogi_platform::auth::{self, Caller};
use ogi_platform::bus::{self, ConsumerSpec, EventHandler, HandlerError};
use ogi_platform::casefile::{self, Index};
use ogi_platform::config::ServiceConfig;
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::{self, EventContext, Producer};
use ogi_platform::facts::CaseFacts;
use ogi_platform::runtime::{self, ServiceContext};
use ogi_platform::store::{ServiceSchema, entities::case_files};
use ogi_proto::v1::{self as pb, approval_service_server as server, event_envelope::Payload};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Approval's case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApprovalFile {
    pub facts: CaseFacts,
    pub case: Case,
    /// The agency an `unavailable.not_held` reply names (Art. 36(5)).
    pub other_agency: Option<String>,
    /// The basis of the fee notice, in Chinese.
    pub fee_basis: Option<String>,
    /// Who did what, in Chinese, dated.
    pub history: Vec<(NaiveDate, String)>,
    /// Who drafted the decision (separation of duties: not its approver).
    #[serde(default)]
    pub drafted_by: String,
    /// What the agency registry said about the agency's letters when the decision was
    /// approved (carried to the publishing service on `decision.approved`).
    #[serde(default)]
    pub letterhead: RegisteredLetterhead,
    /// Who the case is given to (承办人, 分办/改派); empty: nobody yet.
    #[serde(default)]
    pub handler: String,
}

/// Save a case file and its row of the case list, in the caller's transaction.
async fn save_file<C: sea_orm::ConnectionTrait>(
    db: &C,
    case_id: &str,
    file: &ApprovalFile,
    dl: &ReplyDeadline,
    read_version: Option<i64>,
) -> Result<i64, ServiceError> {
    if read_version.is_none() && file.handler.is_empty() {
        // Opening the file of a case given to a handler while it was only listed.
        if let Some(row) = listing::listed(db, case_id).await?
            && !row.handler.is_empty()
        {
            let mut file = file.clone();
            let on = file
                .history
                .last()
                .map_or(file.facts.received_on, |(d, _)| *d);
            file.history
                .push((on, format!("受理前已分办给 {}", row.handler)));
            file.handler = row.handler;
            let version = casefile::save(db, case_id, index(&file, dl), &file, None).await?;
            listing::upsert(db, listing::row(case_id, &file, dl)).await?;
            return Ok(version);
        }
    }
    let version = casefile::save(db, case_id, index(file, dl), file, read_version).await?;
    listing::upsert(db, listing::row(case_id, file, dl)).await?;
    Ok(version)
}

fn stage_code(stage: Stage) -> &'static str {
    stage.code()
}

pub struct Approval {
    ctx: ServiceContext,
    calendar: Arc<WorkCalendar>,
}

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let calendar = Arc::new(ogi_platform::cli::load_calendar(&config)?);
    let cancel = CancellationToken::new();
    ogi_platform::shutdown::on_signals(cancel.clone());
    let ctx = runtime::start("approval", ServiceSchema::Approval, config, cancel).await?;
    // The case list on the calendar loaded now (and for files saved before it existed).
    let refreshed = listing::refresh(&ctx.db, &calendar, &ctx.config).await?;
    tracing::info!(refreshed, "case list refreshed");
    let handler = Arc::new(OnPipelineEvent {
        config: ctx.config.clone(),
        calendar: calendar.clone(),
    });
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "approval-validation".into(),
            stream: Producer::Validation.stream(),
            subjects: vec![
                "ogi.validation.application.accepted".into(),
                "ogi.validation.application.abandoned".into(),
            ],
        },
        handler.clone(),
    );
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "approval-publishing".into(),
            stream: Producer::Publishing.stream(),
            subjects: vec!["ogi.publishing.reply.served".into()],
        },
        handler.clone(),
    );
    // The case list shows applications from receipt (待受理) and while awaiting correction.
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "approval-list-intake".into(),
            stream: Producer::Intake.stream(),
            subjects: vec!["ogi.intake.application.received".into()],
        },
        handler.clone(),
    );
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "approval-list-validation".into(),
            stream: Producer::Validation.stream(),
            subjects: vec!["ogi.validation.application.correction_requested".into()],
        },
        handler,
    );
    let routes = tonic::service::Routes::new(
        server::ApprovalServiceServer::new(Approval {
            ctx: ctx.clone(),
            calendar,
        })
        .max_decoding_message_size(ogi_core::limits::GRPC_MAX_MESSAGE_BYTES),
    );
    let routes = routes.add_service(runtime::case_arrival_service(&ctx));
    runtime::serve(
        &ctx,
        &[
            "ogi.v1.ApprovalService",
            ogi_platform::arrivals::SERVICE_NAME,
        ],
        routes,
    )
    .await
}

/// The case ids one list query takes (an intake search's hits are listed a slice at a time).
const CASE_IDS_PER_QUERY: usize = 500;

/// The agencies a list or count covers: `agency` (checked), or with `subordinates` (or no
/// agency) every agency in the caller's scope.
fn agencies_in_scope(
    caller: &Caller,
    agency: &str,
    subordinates: bool,
) -> Result<Vec<String>, Status> {
    if !agency.is_empty() {
        convert::text("agency", text::AGENCY, agency)?;
        caller.authorize(Permission::CaseRead, agency, "")?;
        if !subordinates {
            return Ok(vec![agency.to_string()]);
        }
    } else if !caller.principal.has(Permission::CaseRead) {
        return Err(caller.deny(
            Permission::CaseRead.code(),
            "",
            "",
            &ogi_core::access::Denial::Permission(Permission::CaseRead).to_string(),
        ));
    }
    Ok(caller.principal.agencies.clone())
}

/// The largest calendar file `PreviewCalendar` takes (a year is about 1 KiB).
const MAX_CALENDAR_FILE_BYTES: usize = 256 * 1024;

pub(crate) fn deadline_of(
    file: &ApprovalFile,
    calendar: &WorkCalendar,
    config: &ServiceConfig,
) -> ReplyDeadline {
    deadline::reply_deadline(
        calendar,
        &config.deadlines,
        file.case.received_on(),
        &file.case.clock_events(),
    )
}

fn index<'a>(file: &'a ApprovalFile, deadline: &ReplyDeadline) -> Index<'a> {
    Index {
        agency: &file.facts.agency,
        stage: stage_code(file.case.stage()),
        received_on: file.facts.received_on,
        due_on: deadline.due_on,
    }
}

/// The event payloads of the domain events a command produced.
fn payloads(
    file: &ApprovalFile,
    clock: (&WorkCalendar, &ServiceConfig),
    events: &[CaseEvent],
    extension_note: (&str, &str),
    new_due: Option<NaiveDate>,
) -> Vec<(NaiveDate, Payload)> {
    let mut out = Vec::new();
    for e in events {
        let payload = match e {
            CaseEvent::ConsultationStarted { kind, on } => {
                Payload::ConsultationStarted(pb::ConsultationStarted {
                    kind: kind.code().into(),
                    party: String::new(),
                    // The consulted party answers within 15 working days (Art. 32, 34).
                    reply_due_on: deadline::consultation_reply_due(
                        clock.0,
                        &clock.1.deadlines,
                        *on,
                    )
                    .date
                    .to_string(),
                })
            }
            CaseEvent::ConsultationReplied { kind, .. } => {
                Payload::ConsultationReplied(pb::ConsultationReplied {
                    kind: kind.code().into(),
                    opinion: String::new(),
                })
            }
            CaseEvent::Extended { days, .. } => Payload::CaseExtended(pb::CaseExtended {
                days: *days,
                approved_by: extension_note.0.into(),
                reason: extension_note.1.into(),
                new_due_on: new_due.map(|d| d.to_string()).unwrap_or_default(),
            }),
            CaseEvent::FeeNotified { amount, .. } => Payload::FeeNotified(pb::FeeNotified {
                amount_yuan: fees::format_yuan(*amount),
                basis: file.fee_basis.clone().unwrap_or_default(),
                pay_by: String::new(),
            }),
            CaseEvent::FeePaid { .. } => Payload::FeePaid(pb::FeePaid {
                amount_yuan: file
                    .case
                    .fee()
                    .map(|f| fees::format_yuan(f.amount))
                    .unwrap_or_default(),
            }),
            CaseEvent::Drafted {
                outcome,
                legal_basis,
                reply_text,
                ..
            } => Payload::DecisionDrafted(pb::DecisionDrafted {
                outcome_code: outcome.code().into(),
                legal_basis: legal_basis.clone(),
                reply_text: reply_text.clone(),
            }),
            CaseEvent::Returned { reason, .. } => Payload::DecisionReturned(pb::DecisionReturned {
                reason: reason.clone(),
            }),
            CaseEvent::ApprovalGiven { level, .. } => {
                Payload::ApprovalGiven(pb::ApprovalGiven { level: *level })
            }
            CaseEvent::Approved { .. } => {
                let Some(draft) = file.case.draft() else {
                    continue;
                };
                Payload::DecisionApproved(pb::DecisionApproved {
                    outcome_code: draft.outcome.code().into(),
                    legal_basis: draft.legal_basis.clone(),
                    reply_text: draft.reply_text.clone(),
                    received_on: file.facts.received_on.to_string(),
                    applicant_name: file.facts.applicant_name.clone(),
                    request_description: file.facts.request_description.clone(),
                    other_agency: file.other_agency.clone().unwrap_or_default(),
                    fee_amount_yuan: file
                        .case
                        .fee()
                        .map(|f| fees::format_yuan(f.amount))
                        .unwrap_or_default(),
                    applicant_type: file.facts.applicant_type.code().into(),
                    fee_paid: file.case.fee().is_some_and(|f| f.paid_on.is_some()),
                    letter_prefix: file.letterhead.letter_prefix.clone(),
                    reconsideration_body: file.letterhead.reconsideration_body.clone(),
                })
            }
            CaseEvent::ReviewRecorded {
                filed_on,
                kind,
                result,
                concluded_on,
            } => Payload::ReviewRecorded(pb::ReviewRecorded {
                kind: kind.code().into(),
                filed_on: filed_on.to_string(),
                result: result.code().into(),
                concluded_on: concluded_on.map(|d| d.to_string()).unwrap_or_default(),
            }),
            // Acceptance, correction and service are other services' events.
            CaseEvent::Accepted { .. }
            | CaseEvent::CorrectionRequested { .. }
            | CaseEvent::Corrected { .. }
            | CaseEvent::Served { .. } => continue,
        };
        out.push((e.date(), payload));
    }
    out
}

fn describe(e: &CaseEvent) -> String {
    match e {
        CaseEvent::Accepted { .. } => "受理".into(),
        CaseEvent::CorrectionRequested { due_on, .. } => format!(
            "发出补正通知{}",
            due_on
                .map(|d| format!("，补正期限至{d}"))
                .unwrap_or_default()
        ),
        CaseEvent::Corrected { .. } => "收到补正材料，答复期限重新起算".into(),
        CaseEvent::ConsultationStarted { kind, .. } => {
            format!("{}，期间不计入答复期限", kind.label())
        }
        CaseEvent::ConsultationReplied { kind, .. } => format!("{}答复意见收到", kind.party()),
        CaseEvent::Extended { days, .. } => format!("延期答复{days}个工作日"),
        CaseEvent::FeeNotified { amount, .. } => {
            format!("发出收费通知，金额{}元", fees::format_yuan(*amount))
        }
        CaseEvent::FeePaid { .. } => "申请人缴纳信息处理费".into(),
        CaseEvent::Drafted { outcome, .. } => format!("拟定答复意见：{}", outcome.short_label()),
        CaseEvent::Returned { reason, .. } => format!("答复意见被退回：{reason}"),
        CaseEvent::ApprovalGiven { level, .. } => format!("第{level}级审批通过"),
        CaseEvent::Approved { .. } => "答复意见审批完成".into(),
        CaseEvent::Served { outcome, .. } => format!("答复送达，办结（{}）", outcome.short_label()),
        CaseEvent::ReviewRecorded { kind, result, .. } => {
            format!("登记{}，结果：{}", kind.label(), result.column_label())
        }
    }
}

/// Apply commands to a file, recording its history; the whole batch or nothing.
fn apply_all(
    file: &mut ApprovalFile,
    commands: &[Command],
) -> Result<Vec<CaseEvent>, ServiceError> {
    let mut case = file.case.clone();
    let mut all = Vec::new();
    for c in commands {
        all.extend(case.handle(c)?);
    }
    file.case = case;
    for e in &all {
        file.history.push((e.date(), describe(e)));
    }
    Ok(all)
}

struct OnPipelineEvent {
    config: ServiceConfig,
    calendar: Arc<WorkCalendar>,
}

#[async_trait::async_trait]
impl EventHandler for OnPipelineEvent {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &pb::EventEnvelope,
    ) -> Result<(), HandlerError> {
        let on = NaiveDate::parse_from_str(&event.legal_date, "%Y-%m-%d")
            .map_err(|e| HandlerError::Reject(e.to_string()))?;
        let reject = |e: ServiceError| HandlerError::Reject(e.to_string());
        let date = |s: &str| convert::optional_date("event", s).map_err(reject);
        let opening = matches!(
            event.payload,
            Some(Payload::ApplicationAccepted(_)) | Some(Payload::ApplicationAbandoned(_))
        );
        if opening
            && casefile::load::<ApprovalFile, _>(txn, &event.case_id)
                .await
                .map_err(|e| HandlerError::Retry(e.to_string()))?
                .is_some()
        {
            return Ok(()); // already opened (the same event under another message id)
        }
        match &event.payload {
            Some(Payload::ApplicationReceived(received)) => {
                // 待受理: on the case list from receipt; the case file opens on acceptance.
                let app = received
                    .application
                    .as_ref()
                    .ok_or_else(|| HandlerError::Reject("no application".into()))?;
                let facts = CaseFacts::from_proto(app).map_err(reject)?;
                let file = ApprovalFile {
                    case: Case::received(facts.received_on),
                    facts,
                    other_agency: None,
                    fee_basis: None,
                    history: vec![],
                    drafted_by: String::new(),
                    letterhead: RegisteredLetterhead::default(),
                    handler: String::new(),
                };
                let dl = deadline_of(&file, &self.calendar, &self.config);
                listing::insert_if_absent(txn, listing::row(&event.case_id, &file, &dl))
                    .await
                    .map_err(|e| HandlerError::Retry(e.to_string()))?;
                Ok(())
            }
            Some(Payload::CorrectionRequested(_)) => {
                // 补正中: the clock waits for the correction.
                match listing::mark_awaiting_correction(txn, &event.case_id)
                    .await
                    .map_err(|e| HandlerError::Retry(e.to_string()))?
                {
                    true => Ok(()),
                    false => Err(HandlerError::Retry("case not listed yet".into())),
                }
            }
            Some(Payload::ApplicationAccepted(a)) => {
                let app = a
                    .application
                    .as_ref()
                    .ok_or_else(|| HandlerError::Reject("no application".into()))?;
                let facts = CaseFacts::from_proto(app).map_err(reject)?;
                let mut file = ApprovalFile {
                    case: Case::received(facts.received_on),
                    facts,
                    other_agency: None,
                    fee_basis: None,
                    history: vec![],
                    drafted_by: String::new(),
                    letterhead: RegisteredLetterhead::default(),
                    handler: String::new(),
                };
                let mut commands = Vec::new();
                if let Some(requested) = date(&a.correction_requested_on)? {
                    commands.push(Command::RequestCorrection {
                        on: requested,
                        due_on: date(&a.correction_due_on)?,
                    });
                    commands.push(Command::Correct {
                        on: date(&a.corrected_on)?.unwrap_or(on),
                    });
                } else {
                    commands.push(Command::Accept { on });
                }
                apply_all(&mut file, &commands).map_err(reject)?;
                let dl = deadline_of(&file, &self.calendar, &self.config);
                save_file(txn, &event.case_id, &file, &dl, None)
                    .await
                    .map_err(|e| HandlerError::Retry(e.to_string()))?;
                Ok(())
            }
            Some(Payload::ApplicationAbandoned(a)) => {
                // Deemed abandoned: the notice (告知书) is drafted and approved by the system.
                let app = a
                    .application
                    .as_ref()
                    .ok_or_else(|| HandlerError::Reject("no application".into()))?;
                let facts = CaseFacts::from_proto(app).map_err(reject)?;
                let levels = self.config.agency(&facts.agency).approval_levels;
                let mut file = ApprovalFile {
                    case: Case::received(facts.received_on),
                    facts,
                    other_agency: None,
                    fee_basis: None,
                    history: vec![],
                    drafted_by: String::new(),
                    letterhead: RegisteredLetterhead::default(),
                    handler: String::new(),
                };
                let requested = date(&a.correction_requested_on)?.unwrap_or(on);
                let mut commands = vec![
                    Command::RequestCorrection {
                        on: requested,
                        due_on: date(&a.correction_due_on)?,
                    },
                    Command::Draft {
                        on,
                        outcome: OutcomeCode::OtherCorrectionOverdue,
                        legal_basis: "第三十条".into(),
                        reply_text: a.reason.clone(),
                    },
                ];
                commands.extend((0..levels).map(|_| Command::Approve {
                    on,
                    levels_required: levels,
                }));
                let produced = apply_all(&mut file, &commands).map_err(reject)?;
                let dl = deadline_of(&file, &self.calendar, &self.config);
                save_file(txn, &event.case_id, &file, &dl, None)
                    .await
                    .map_err(|e| HandlerError::Retry(e.to_string()))?;
                let ectx = EventContext {
                    case_id: event.case_id.clone(),
                    agency: file.facts.agency.clone(),
                    actor: "system".into(),
                };
                for (d, p) in payloads(
                    &file,
                    (&self.calendar, &self.config),
                    &produced,
                    ("", ""),
                    None,
                ) {
                    bus::append_outbox(txn, &events::envelope(&ectx, d, file.case.version(), p))
                        .await?;
                }
                Ok(())
            }
            Some(Payload::ReplyServed(served)) => {
                let Some(loaded) = casefile::load::<ApprovalFile, _>(txn, &event.case_id)
                    .await
                    .map_err(|e| HandlerError::Retry(e.to_string()))?
                else {
                    return Err(HandlerError::Retry("case not here yet".into()));
                };
                let mut file = loaded.state;
                if file.case.stage() == Stage::Closed {
                    return Ok(());
                }
                let replied_on = convert::date("replied_on", &served.replied_on).map_err(reject)?;
                apply_all(&mut file, &[Command::Serve { on: replied_on }]).map_err(reject)?;
                let dl = deadline_of(&file, &self.calendar, &self.config);
                save_file(txn, &event.case_id, &file, &dl, Some(loaded.version))
                    .await
                    .map_err(|e| HandlerError::Retry(e.to_string()))?;
                Ok(())
            }
            _ => Err(HandlerError::Ignore("unexpected event".into())),
        }
    }
}

fn deadline_view(dl: &ReplyDeadline) -> pb::Deadline {
    let state = match dl.state {
        ClockState::Running => "running",
        ClockState::PausedForConsultation => "paused_for_consultation",
        ClockState::PausedForFee => "paused_for_fee",
        ClockState::AwaitingCorrection { .. } => "awaiting_correction",
    };
    pb::Deadline {
        state: state.into(),
        due_on: dl.due_on.map(|d| d.to_string()).unwrap_or_default(),
        provisional: dl.provisional,
        steps: dl
            .steps
            .iter()
            .map(|s| pb::DeadlineStep {
                on: s.on.to_string(),
                text: s.text.clone(),
            })
            .collect(),
    }
}

fn case_view(
    case_id: &str,
    file: &ApprovalFile,
    calendar: &WorkCalendar,
    config: &ServiceConfig,
) -> pb::CaseFile {
    let dl = deadline_of(file, calendar, config);
    let reply = file.case.outcome();
    pb::CaseFile {
        case_id: case_id.into(),
        agency: file.facts.agency.clone(),
        stage: stage_code(file.case.stage()).into(),
        received_on: file.facts.received_on.to_string(),
        deadline: Some(deadline_view(&dl)),
        outcome_code: reply.map(|(o, _)| o.code().to_string()).unwrap_or_default(),
        replied_on: reply.map(|(_, d)| d.to_string()).unwrap_or_default(),
        version: file.case.version(),
        history: file
            .history
            .iter()
            .map(|(d, t)| pb::DeadlineStep {
                on: d.to_string(),
                text: t.clone(),
            })
            .collect(),
        overdue: matches!((reply, dl.due_on), (Some((_, replied)), Some(due)) if replied > due),
        case_state_json: serde_json::to_string(&file.case).unwrap_or_default(),
    }
}

impl Approval {
    /// Run one handler command on a case: decide, save, publish, in one transaction.
    async fn command<F>(
        &self,
        context: &Option<pb::CommandContext>,
        case_id: &str,
        fingerprint: &str,
        build: F,
    ) -> Result<pb::CaseFile, ServiceError>
    where
        F: FnOnce(
            &mut ApprovalFile,
            NaiveDate,
            &ServiceConfig,
        ) -> Result<(Vec<Command>, (String, String)), ServiceError>,
    {
        let (actor, on, command_id) = convert::context(context)?;
        let txn = self.ctx.db.begin().await?;
        let loaded = casefile::require::<ApprovalFile, _>(&txn, case_id, "办理审批服务").await?;
        if convert::command_seen(&txn, &command_id, fingerprint)
            .await?
            .is_some()
        {
            txn.rollback().await?;
            return Ok(case_view(
                case_id,
                &loaded.state,
                &self.calendar,
                &self.ctx.config,
            ));
        }
        let mut file = loaded.state;
        let (commands, note) = build(&mut file, on, &self.ctx.config)?;
        let produced = apply_all(&mut file, &commands)?;
        let dl = deadline_of(&file, &self.calendar, &self.ctx.config);
        save_file(&txn, case_id, &file, &dl, Some(loaded.version)).await?;
        let ectx = EventContext {
            case_id: case_id.into(),
            agency: file.facts.agency.clone(),
            actor,
        };
        for (d, p) in payloads(
            &file,
            (&self.calendar, &self.ctx.config),
            &produced,
            (&note.0, &note.1),
            dl.due_on,
        ) {
            bus::append_outbox(&txn, &events::envelope(&ectx, d, file.case.version(), p)).await?;
        }
        convert::command_applied(&txn, &command_id, fingerprint, None).await?;
        txn.commit().await?;
        self.ctx.published();
        Ok(case_view(case_id, &file, &self.calendar, &self.ctx.config))
    }
}

impl Approval {
    /// A handler step that is one domain command on its legal date, with nothing else to record.
    async fn single(
        &self,
        context: &Option<pb::CommandContext>,
        case_id: &str,
        fingerprint: &str,
        make: impl FnOnce(NaiveDate) -> Command,
    ) -> Reply<pb::CaseFile> {
        let file = self
            .command(context, case_id, fingerprint, |_, on, _| {
                Ok((vec![make(on)], Default::default()))
            })
            .await?;
        Ok(Response::new(file))
    }
}

fn consultation_kind(text: &str) -> Result<ConsultationKind, ServiceError> {
    ConsultationKind::ALL
        .iter()
        .copied()
        .find(|k| k.code() == text)
        .ok_or_else(|| {
            ServiceError::invalid(
                "kind",
                format!("未知的征求意见类型「{text}」，应为 third_party 或 other_agency"),
            )
        })
}

type Reply<T> = Result<Response<T>, Status>;

/// A command request: its context (the actor is set from the token) and case.
trait CaseCommand {
    fn parts(&mut self) -> (&mut Option<pb::CommandContext>, &String);
}

macro_rules! case_command {
    ($($t:ty),*) => {
        $(impl CaseCommand for $t {
            fn parts(&mut self) -> (&mut Option<pb::CommandContext>, &String) {
                (&mut self.context, &self.case_id)
            }
        })*
    };
}

case_command!(
    pb::StartConsultationRequest,
    pb::RecordConsultationReplyRequest,
    pb::ExtendRequest,
    pb::NotifyFeeRequest,
    pb::RecordFeePaymentRequest,
    pb::DraftDecisionRequest,
    pb::ReturnDecisionRequest,
    pb::ApproveDecisionRequest,
    pb::RecordReviewRequest
);

impl Approval {
    /// The caller, the request with the caller as its actor, the case's agency and id.
    async fn begin<T: CaseCommand>(
        &self,
        request: Request<T>,
    ) -> Result<(Caller, Request<T>, String, String), Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        let (context, case_id) = req.parts();
        caller.stamp(context)?;
        let case_id = case_id.clone();
        let agency = casefile::agency_of(&self.ctx.db, &case_id, "办理审批服务").await?;
        if caller.principal.scope == ogi_core::access::Scope::Assigned {
            let loaded =
                casefile::require::<ApprovalFile, _>(&self.ctx.db, &case_id, "办理审批服务")
                    .await?;
            self.check_assigned(&caller, &loaded.state, &case_id)?;
        }
        Ok((caller, Request::new(req), agency, case_id))
    }

    /// The `assigned` scope: a case not given to the caller is refused (audited).
    fn check_assigned(
        &self,
        caller: &Caller,
        file: &ApprovalFile,
        case_id: &str,
    ) -> Result<(), Status> {
        caller
            .principal
            .check_assigned(&file.handler)
            .map_err(|denial| {
                caller.deny(
                    Permission::CaseRead.code(),
                    &file.facts.agency,
                    case_id,
                    &denial.to_string(),
                )
            })
    }
}

#[tonic::async_trait]
impl server::ApprovalService for Approval {
    async fn start_consultation(
        &self,
        request: Request<pb::StartConsultationRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseConsult,
                &agency,
                &case_id,
                self.do_start_consultation(request),
            )
            .await
    }

    async fn record_consultation_reply(
        &self,
        request: Request<pb::RecordConsultationReplyRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseConsult,
                &agency,
                &case_id,
                self.do_record_consultation_reply(request),
            )
            .await
    }

    async fn extend(&self, request: Request<pb::ExtendRequest>) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseExtend,
                &agency,
                &case_id,
                self.do_extend(request),
            )
            .await
    }

    async fn notify_fee(&self, request: Request<pb::NotifyFeeRequest>) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseFee,
                &agency,
                &case_id,
                self.do_notify_fee(request),
            )
            .await
    }

    async fn record_fee_payment(
        &self,
        request: Request<pb::RecordFeePaymentRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseFee,
                &agency,
                &case_id,
                self.do_record_fee_payment(request),
            )
            .await
    }

    async fn draft_decision(
        &self,
        request: Request<pb::DraftDecisionRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseDraft,
                &agency,
                &case_id,
                self.do_draft_decision(request),
            )
            .await
    }

    async fn return_decision(
        &self,
        request: Request<pb::ReturnDecisionRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::ReplyReturn,
                &agency,
                &case_id,
                self.do_return_decision(request),
            )
            .await
    }

    async fn record_review(
        &self,
        request: Request<pb::RecordReviewRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller
            .run(
                Permission::CaseReview,
                &agency,
                &case_id,
                self.do_record_review(request),
            )
            .await
    }

    async fn approve_decision(
        &self,
        request: Request<pb::ApproveDecisionRequest>,
    ) -> Reply<pb::CaseFile> {
        let (caller, request, agency, case_id) = self.begin(request).await?;
        caller.authorize(Permission::ReplyApprove, &agency, &case_id)?;
        // Separation of duties; history imported by the local operator (who replays every
        // step of a closed case) is the one exception.
        let importing = request
            .get_ref()
            .context
            .as_ref()
            .is_some_and(|c| c.command_id.starts_with("import:"))
            && caller.principal.scope == ogi_core::access::Scope::All;
        if !importing
            && let Some(loaded) = casefile::load::<ApprovalFile, _>(&self.ctx.db, &case_id).await?
            && let Err(denial) = caller.principal.check_not_drafter(&loaded.state.drafted_by)
        {
            return Err(caller.deny(
                Permission::ReplyApprove.code(),
                &agency,
                &case_id,
                &denial.to_string(),
            ));
        }
        // The letter this approval releases carries the registry's prefix and body.
        let letterhead = self
            .ctx
            .auth
            .verifier()
            .letterhead(&caller.token, &agency)
            .await?;
        let result = self.do_approve_decision(request, letterhead).await;
        caller.outcome(Permission::ReplyApprove, &agency, &case_id, result)
    }

    async fn get_case(&self, request: Request<pb::GetCaseRequest>) -> Reply<pb::CaseFile> {
        let caller = auth::caller(&request)?;
        let case_id = request.into_inner().case_id;
        let loaded =
            casefile::require::<ApprovalFile, _>(&self.ctx.db, &case_id, "办理审批服务").await?;
        caller.authorize(Permission::CaseRead, &loaded.state.facts.agency, &case_id)?;
        self.check_assigned(&caller, &loaded.state, &case_id)?;
        Ok(Response::new(case_view(
            &case_id,
            &loaded.state,
            &self.calendar,
            &self.ctx.config,
        )))
    }

    async fn list_due(&self, request: Request<pb::ListDueRequest>) -> Reply<pb::ListDueResponse> {
        let caller = auth::caller(&request)?;
        let agency = request.get_ref().agency.clone();
        convert::agency("agency", &agency)?;
        caller.authorize(Permission::CaseRead, &agency, "")?;
        self.do_list_due(request).await
    }

    async fn list_cases(
        &self,
        request: Request<pb::ListCasesRequest>,
    ) -> Reply<pb::ListCasesResponse> {
        let caller = auth::caller(&request)?;
        let req = request.get_ref();
        let agencies = agencies_in_scope(&caller, &req.agency, req.subordinates)?;
        let assigned_only = (caller.principal.scope == ogi_core::access::Scope::Assigned)
            .then(|| caller.username().to_string());
        self.do_list_cases(request.into_inner(), agencies, assigned_only)
            .await
    }

    async fn count_cases(&self, request: Request<pb::CountCasesRequest>) -> Reply<pb::CaseCounts> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let agencies = agencies_in_scope(&caller, &req.agency, req.subordinates)?;
        let today = convert::date("today", &req.today)?;
        if req.due_soon_days > listing::MAX_DUE_SOON_DAYS {
            return Err(ServiceError::invalid(
                "due_soon_days",
                format!("不得超过 {} 个工作日", listing::MAX_DUE_SOON_DAYS),
            )
            .into());
        }
        Ok(Response::new(
            listing::counts(
                &self.ctx.db,
                &agencies,
                &self.calendar,
                today,
                req.due_soon_days,
            )
            .await?,
        ))
    }

    async fn reply_stats(
        &self,
        request: Request<pb::ReplyStatsRequest>,
    ) -> Reply<pb::ReplyStatsResponse> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let agencies = agencies_in_scope(&caller, &req.agency, req.subordinates)?;
        let from = convert::date("replied_from", &req.replied_from)?;
        let to = convert::date("replied_to", &req.replied_to)?;
        if from > to || (to - from).num_days() > 3660 {
            return Err(ServiceError::invalid(
                "replied_from",
                "起始日不能晚于截止日，且期间不超过十年",
            )
            .into());
        }
        Ok(Response::new(
            listing::reply_stats(&self.ctx.db, &agencies, &self.calendar, from, to).await?,
        ))
    }

    async fn assign_cases(
        &self,
        request: Request<pb::AssignCasesRequest>,
    ) -> Reply<pb::AssignCasesResponse> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        self.do_assign_cases(&caller, req).await
    }

    async fn preview_deadline(
        &self,
        request: Request<pb::PreviewDeadlineRequest>,
    ) -> Reply<pb::DeadlinePreview> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let loaded = casefile::load::<ApprovalFile, _>(&self.ctx.db, &req.case_id).await?;
        match &loaded {
            Some(loaded) => caller.authorize(
                Permission::CaseRead,
                &loaded.state.facts.agency,
                &req.case_id,
            )?,
            // Not accepted yet: working-day arithmetic on the dates given, no case data.
            None if caller.principal.has(Permission::CaseRead) => {}
            None => {
                return Err(caller.deny(
                    Permission::CaseRead.code(),
                    "",
                    &req.case_id,
                    &ogi_core::access::Denial::Permission(Permission::CaseRead).to_string(),
                ));
            }
        }
        Ok(Response::new(
            self.do_preview_deadline(&req, loaded.map(|l| l.state))?,
        ))
    }

    async fn get_calendar(
        &self,
        request: Request<pb::GetCalendarRequest>,
    ) -> Reply<pb::CalendarInfo> {
        // The years of the calendar are no one's data: any signed-in user.
        auth::caller(&request)?;
        self.do_get_calendar(request).await
    }

    async fn preview_calendar(
        &self,
        request: Request<pb::PreviewCalendarRequest>,
    ) -> Reply<pb::PreviewCalendarResponse> {
        let caller = auth::caller(&request)?;
        let agency = request.get_ref().agency.clone();
        if !agency.is_empty() {
            caller.authorize(Permission::CaseRead, &agency, "")?;
        } else if !caller.principal.has(Permission::CaseRead) {
            return Err(caller.deny(
                Permission::CaseRead.code(),
                "",
                "",
                &ogi_core::access::Denial::Permission(Permission::CaseRead).to_string(),
            ));
        }
        let mut preview = self.do_preview_calendar(request).await?;
        // Only the cases in the caller's scope.
        preview
            .get_mut()
            .changes
            .retain(|c| caller.principal.reaches(&c.agency));
        Ok(preview)
    }
}

impl Approval {
    async fn do_list_due(
        &self,
        request: Request<pb::ListDueRequest>,
    ) -> Reply<pb::ListDueResponse> {
        let req = request.into_inner();
        let today = convert::date("today", &req.today)?;
        convert::text("agency", text::AGENCY, &req.agency)?;
        let rows = case_files::Entity::find()
            .filter(case_files::Column::Agency.eq(req.agency.clone()))
            .filter(case_files::Column::Stage.ne("closed"))
            .all(&self.ctx.db)
            .await
            .map_err(ServiceError::from)?;
        let mut out = pb::ListDueResponse::default();
        for row in rows {
            let Ok(file) = serde_json::from_str::<ApprovalFile>(&row.state) else {
                continue;
            };
            // Recomputed on the current calendar, so a newly loaded year changes the answer.
            let dl = deadline_of(&file, &self.calendar, &self.ctx.config);
            let (Some(due), Some(left)) = (dl.due_on, dl.working_days_left(&self.calendar, today))
            else {
                continue;
            };
            let item = pb::DueCase {
                case_id: row.case_id.clone(),
                due_on: due.to_string(),
                working_days_left: left,
                provisional: dl.provisional,
            };
            if left < 0 {
                out.overdue.push(item);
            } else if left <= i64::from(req.within_days) {
                out.due_soon.push(item);
            }
        }
        out.due_soon.sort_by_key(|d| d.working_days_left);
        out.overdue.sort_by_key(|d| d.working_days_left);
        Ok(Response::new(out))
    }

    async fn do_list_cases(
        &self,
        req: pb::ListCasesRequest,
        agencies: Vec<String>,
        assigned_only: Option<String>,
    ) -> Reply<pb::ListCasesResponse> {
        let stage = (!req.stage.is_empty())
            .then(|| {
                Stage::ALL
                    .iter()
                    .find(|s| s.code() == req.stage)
                    .map(|s| s.code().to_string())
                    .ok_or_else(|| {
                        ServiceError::invalid("stage", format!("未知的阶段代码「{}」", req.stage))
                    })
            })
            .transpose()?;
        let outcome: Option<OutcomeCode> = (!req.outcome_code.is_empty())
            .then(|| convert::code("outcome_code", &req.outcome_code))
            .transpose()?;
        convert::text("query", text::QUERY, &req.query)?;
        convert::text("handler", text::ACTOR, &req.handler)?;
        if req.page_size > listing::MAX_PAGE_SIZE {
            return Err(ServiceError::invalid(
                "page_size",
                format!("每页不得超过 {} 条", listing::MAX_PAGE_SIZE),
            )
            .into());
        }
        if req.due_soon_days > listing::MAX_DUE_SOON_DAYS {
            return Err(ServiceError::invalid(
                "due_soon_days",
                format!("不得超过 {} 个工作日", listing::MAX_DUE_SOON_DAYS),
            )
            .into());
        }
        let today = convert::optional_date("today", &req.today)?;
        let due_soon_on = convert::optional_date("due_soon_on", &req.due_soon_on)?;
        let words: Vec<String> = req
            .query
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if words.len() > listing::MAX_QUERY_WORDS {
            return Err(ServiceError::invalid(
                "query",
                format!("搜索词不得超过 {} 个", listing::MAX_QUERY_WORDS),
            )
            .into());
        }
        let handler = match req.handler.as_str() {
            "" => None,
            "-" => Some(String::new()),
            h => Some(h.to_string()),
        };
        let filter = listing::Filter {
            agencies,
            case_ids: Vec::new(),
            stage,
            outcome_code: outcome.map(|o| o.code().to_string()),
            due_before: convert::optional_date("due_before", &req.due_before)?,
            overdue_on: convert::optional_date("overdue_on", &req.overdue_on)?,
            due_between: due_soon_on.map(|d| {
                (
                    d,
                    listing::due_soon_until(&self.calendar, d, req.due_soon_days),
                )
            }),
            consulting: req.consulting,
            words,
            handler: assigned_only.or(handler),
            received_from: convert::optional_date("received_from", &req.received_from)?,
            received_to: convert::optional_date("received_to", &req.received_to)?,
        };
        let (rows, total) = if req.case_ids.len() <= CASE_IDS_PER_QUERY {
            let filter = listing::Filter {
                case_ids: req.case_ids,
                ..filter
            };
            listing::page(
                &self.ctx.db,
                &filter,
                u64::from(req.offset),
                u64::from(req.page_size),
                if req.by_due_date {
                    listing::Order::DueFirst
                } else if req.by_reply_date {
                    listing::Order::RepliedLatestFirst
                } else if req.newest_first {
                    listing::Order::NewestFirst
                } else {
                    listing::Order::OldestFirst
                },
            )
            .await?
        } else if req.page_size == 0 {
            // An intake search's many ids: a query a slice, every row.
            let mut rows = Vec::new();
            for ids in req.case_ids.chunks(CASE_IDS_PER_QUERY) {
                let filter = listing::Filter {
                    case_ids: ids.to_vec(),
                    ..filter.clone()
                };
                rows.extend(
                    listing::page(&self.ctx.db, &filter, 0, 0, listing::Order::OldestFirst)
                        .await?
                        .0,
                );
            }
            rows.sort_by(|a, b| (a.received_on, &a.case_id).cmp(&(b.received_on, &b.case_id)));
            if req.newest_first {
                rows.reverse();
            }
            let total = rows.len() as u64;
            (rows, total)
        } else {
            return Err(ServiceError::invalid(
                "case_ids",
                format!("分页查询时最多列出 {CASE_IDS_PER_QUERY} 个案件"),
            )
            .into());
        };
        let cases = rows
            .into_iter()
            .map(|r| listing::summary(r, &self.calendar, today))
            .collect();
        Ok(Response::new(pb::ListCasesResponse { cases, total }))
    }

    async fn do_assign_cases(
        &self,
        caller: &Caller,
        req: pb::AssignCasesRequest,
    ) -> Reply<pb::AssignCasesResponse> {
        let handler = convert::required_text("handler", text::ACTOR, req.handler.trim())?;
        if req.case_ids.is_empty() {
            return Err(ServiceError::invalid("case_ids", "请至少选择一个案件").into());
        }
        if req.case_ids.len() > listing::MAX_PAGE_SIZE as usize {
            return Err(ServiceError::invalid(
                "case_ids",
                format!("一次最多分办 {} 个案件", listing::MAX_PAGE_SIZE),
            )
            .into());
        }
        let (actor, on, _) = convert::context(&req.context)?;
        let txn = self.ctx.db.begin().await.map_err(ServiceError::from)?;
        let mut assigned = Vec::new();
        let mut changed = Vec::new();
        for case_id in &req.case_ids {
            convert::case_id("case_ids", case_id)?;
            let Some(loaded) = casefile::load::<ApprovalFile, _>(&txn, case_id).await? else {
                // Received or awaiting correction: listed, its case file not open yet; the
                // handler is kept on the list and carried into the file when it opens.
                let row = listing::listed(&txn, case_id)
                    .await?
                    .ok_or_else(|| ServiceError::NotFound(format!("案件 {case_id} 不存在")))?;
                caller.authorize(Permission::CaseAssign, &row.agency, case_id)?;
                if row.handler == handler {
                    continue;
                }
                listing::set_handler(&txn, case_id, handler).await?;
                changed.push((row.agency, case_id.clone()));
                assigned.push(pb::CaseAssignment {
                    case_id: case_id.clone(),
                    previous_handler: row.handler,
                });
                continue;
            };
            let agency = loaded.state.facts.agency.clone();
            caller.authorize(Permission::CaseAssign, &agency, case_id)?;
            let mut file = loaded.state;
            if file.case.stage() == Stage::Closed {
                return Err(ServiceError::invalid(
                    "case_ids",
                    format!("案件 {} 已办结，不能分办或改派", file.facts.reference),
                )
                .into());
            }
            let previous = std::mem::replace(&mut file.handler, handler.to_string());
            if previous == handler {
                continue;
            }
            let note = if previous.is_empty() {
                format!("{actor} 分办给 {handler}")
            } else {
                format!("{actor} 改派：{previous} → {handler}")
            };
            file.history.push((on, note));
            let dl = deadline_of(&file, &self.calendar, &self.ctx.config);
            save_file(&txn, case_id, &file, &dl, Some(loaded.version)).await?;
            changed.push((agency, case_id.clone()));
            assigned.push(pb::CaseAssignment {
                case_id: case_id.clone(),
                previous_handler: previous,
            });
        }
        txn.commit().await.map_err(ServiceError::from)?;
        for (agency, case_id) in changed {
            caller.record(
                Permission::CaseAssign.code(),
                &agency,
                &case_id,
                ogi_core::access::audit::AuditResult::Allowed,
                &format!("承办人：{handler}"),
            );
        }
        Ok(Response::new(pb::AssignCasesResponse { assigned }))
    }

    async fn do_get_calendar(
        &self,
        _request: Request<pb::GetCalendarRequest>,
    ) -> Reply<pb::CalendarInfo> {
        Ok(Response::new(pb::CalendarInfo {
            years: self.calendar.years(),
        }))
    }

    async fn do_preview_calendar(
        &self,
        request: Request<pb::PreviewCalendarRequest>,
    ) -> Reply<pb::PreviewCalendarResponse> {
        let req = request.into_inner();
        if req.calendar_toml.len() > MAX_CALENDAR_FILE_BYTES {
            return Err(ServiceError::invalid(
                "calendar_toml",
                format!("日历文件超过{}KiB上限", MAX_CALENDAR_FILE_BYTES / 1024),
            )
            .into());
        }
        let mut candidate = (*self.calendar).clone();
        candidate
            .load_toml(&req.calendar_toml)
            .map_err(|e| ServiceError::invalid("calendar_toml", e.to_string()))?;
        let mut query = case_files::Entity::find().filter(case_files::Column::Stage.ne("closed"));
        if !req.agency.is_empty() {
            query = query.filter(case_files::Column::Agency.eq(req.agency.clone()));
        }
        let rows = query.all(&self.ctx.db).await.map_err(ServiceError::from)?;
        let mut out = pb::PreviewCalendarResponse::default();
        for row in rows {
            let Ok(file) = serde_json::from_str::<ApprovalFile>(&row.state) else {
                continue;
            };
            let before = deadline_of(&file, &self.calendar, &self.ctx.config);
            let Some(due_before) = before.due_on else {
                continue;
            };
            out.open_cases += 1;
            let after = deadline_of(&file, &candidate, &self.ctx.config);
            if after.due_on != before.due_on || after.provisional != before.provisional {
                out.changes.push(pb::DueDateChange {
                    case_id: row.case_id.clone(),
                    agency: row.agency.clone(),
                    due_before: due_before.to_string(),
                    provisional_before: before.provisional,
                    due_after: after.due_on.map(|d| d.to_string()).unwrap_or_default(),
                    provisional_after: after.provisional,
                });
            }
        }
        out.changes
            .sort_by(|a, b| (&a.due_before, &a.case_id).cmp(&(&b.due_before, &b.case_id)));
        Ok(Response::new(out))
    }

    /// The deadline before and after the step, on a copy of the case file (or, before
    /// acceptance, of a case received on the given day).
    fn do_preview_deadline(
        &self,
        req: &pb::PreviewDeadlineRequest,
        file: Option<ApprovalFile>,
    ) -> Result<pb::DeadlinePreview, ServiceError> {
        let on = convert::date("on", &req.on)?;
        let config = &self.ctx.config;
        let mut case = match &file {
            Some(file) => file.case.clone(),
            None => Case::received(convert::date("received_on", &req.received_on)?),
        };
        let commands = match (req.step.as_str(), file.is_some()) {
            ("accept", false) => vec![Command::Accept { on }],
            ("correction_received", false) => vec![
                Command::RequestCorrection {
                    on: convert::date("correction_requested_on", &req.correction_requested_on)?,
                    due_on: None,
                },
                Command::Correct { on },
            ],
            ("consult", true) => vec![Command::Consult {
                on,
                kind: consultation_kind(&req.kind)?,
            }],
            ("consult_reply", true) => vec![Command::ConsultationReplied {
                on,
                kind: consultation_kind(&req.kind)?,
            }],
            ("extend", true) => vec![Command::Extend {
                on,
                days: req.days,
                max_days: config.deadlines.max_extension_days,
            }],
            ("accept" | "correction_received", true) => {
                return Err(ServiceError::invalid("step", "该申请已受理"));
            }
            ("consult" | "consult_reply" | "extend", false) => {
                return Err(ServiceError::invalid("step", "该申请尚未受理"));
            }
            (other, _) => {
                return Err(ServiceError::invalid(
                    "step",
                    format!(
                        "未知的步骤「{other}」，应为 accept、correction_received、consult、consult_reply 或 extend"
                    ),
                ));
            }
        };
        let deadline = |case: &Case| {
            deadline::reply_deadline(
                &self.calendar,
                &config.deadlines,
                case.received_on(),
                &case.clock_events(),
            )
        };
        let before = file.as_ref().map(|_| deadline_view(&deadline(&case)));
        for command in &commands {
            case.handle(command)?;
        }
        Ok(pb::DeadlinePreview {
            before,
            after: Some(deadline_view(&deadline(&case))),
        })
    }

    async fn do_start_consultation(
        &self,
        request: Request<pb::StartConsultationRequest>,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("start_consultation", &req);
        let kind = consultation_kind(&req.kind)?;
        convert::text("party", text::PARTY, &req.party)?;
        self.single(&req.context, &req.case_id, &fingerprint, |on| {
            Command::Consult { on, kind }
        })
        .await
    }

    async fn do_record_consultation_reply(
        &self,
        request: Request<pb::RecordConsultationReplyRequest>,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("record_consultation_reply", &req);
        let kind = consultation_kind(&req.kind)?;
        convert::text("opinion", text::OPINION, &req.opinion)?;
        self.single(&req.context, &req.case_id, &fingerprint, |on| {
            Command::ConsultationReplied { on, kind }
        })
        .await
    }

    async fn do_extend(&self, request: Request<pb::ExtendRequest>) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("extend", &req);
        convert::text("approved_by", text::PARTY, &req.approved_by)?;
        convert::text("reason", text::REASON, &req.reason)?;
        let imported = req
            .context
            .as_ref()
            .is_some_and(|c| c.command_id.starts_with("import:"));
        if req.approved_by.trim().is_empty() && !imported {
            return Err(ServiceError::invalid(
                "approved_by",
                "延期答复须经政府信息公开工作机构负责人同意（第三十三条）",
            )
            .into());
        }
        let days = req.days;
        Ok(Response::new(
            self.command(&req.context, &req.case_id, &fingerprint, |_, on, config| {
                Ok((
                    vec![Command::Extend {
                        on,
                        days,
                        max_days: config.deadlines.max_extension_days,
                    }],
                    (req.approved_by.clone(), req.reason.clone()),
                ))
            })
            .await?,
        ))
    }

    async fn do_notify_fee(&self, request: Request<pb::NotifyFeeRequest>) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("notify_fee", &req);
        let (amount, basis) = match req.basis {
            Some(pb::notify_fee_request::Basis::NthInMonth(n)) => {
                let b = FeeBasis::PerApplication { nth_in_month: n }
                    .checked()
                    .map_err(|e| ServiceError::invalid("nth_in_month", e.to_string()))?;
                (b.fee(), b.explain())
            }
            Some(pb::notify_fee_request::Basis::Pages(pages)) => {
                let b = FeeBasis::PerPage { pages }
                    .checked()
                    .map_err(|e| ServiceError::invalid("pages", e.to_string()))?;
                (b.fee(), b.explain())
            }
            Some(pb::notify_fee_request::Basis::AmountYuan(text)) => {
                let amount = fees::parse_yuan(&text)
                    .map_err(|e| ServiceError::invalid("amount_yuan", e.to_string()))?;
                (amount, format!("收费金额{}元", fees::format_yuan(amount)))
            }
            None => {
                return Err(ServiceError::invalid(
                    "basis",
                    "须给出按件（nth_in_month）、按量（pages）或金额（amount_yuan）之一",
                )
                .into());
            }
        };
        if amount.is_zero() {
            return Err(ServiceError::invalid(
                "basis",
                "按该标准不应收费（免费额度内），无须发出收费通知",
            )
            .into());
        }
        Ok(Response::new(
            self.command(&req.context, &req.case_id, &fingerprint, |file, on, _| {
                file.fee_basis = Some(basis);
                Ok((vec![Command::NotifyFee { on, amount }], Default::default()))
            })
            .await?,
        ))
    }

    async fn do_record_fee_payment(
        &self,
        request: Request<pb::RecordFeePaymentRequest>,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("record_fee_payment", &req);
        self.single(&req.context, &req.case_id, &fingerprint, |on| {
            Command::PayFee { on }
        })
        .await
    }

    async fn do_draft_decision(
        &self,
        request: Request<pb::DraftDecisionRequest>,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("draft_decision", &req);
        let outcome: OutcomeCode = convert::code("outcome_code", &req.outcome_code)?;
        let drafter = req
            .context
            .as_ref()
            .map(|c| c.actor.clone())
            .unwrap_or_default();
        convert::text("legal_basis", text::LEGAL_BASIS, &req.legal_basis)?;
        convert::text("reply_text", text::REPLY_TEXT, &req.reply_text)?;
        convert::text("other_agency", text::AGENCY, &req.other_agency)?;
        Ok(Response::new(
            self.command(&req.context, &req.case_id, &fingerprint, |file, on, _| {
                file.other_agency = Some(req.other_agency.clone()).filter(|s| !s.trim().is_empty());
                file.drafted_by = drafter;
                Ok((
                    vec![Command::Draft {
                        on,
                        outcome,
                        legal_basis: req.legal_basis.clone(),
                        reply_text: req.reply_text.clone(),
                    }],
                    Default::default(),
                ))
            })
            .await?,
        ))
    }

    async fn do_return_decision(
        &self,
        request: Request<pb::ReturnDecisionRequest>,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("return_decision", &req);
        let reason = convert::text("reason", text::REASON, &req.reason)?.to_string();
        self.single(&req.context, &req.case_id, &fingerprint, |on| {
            Command::Return { on, reason }
        })
        .await
    }

    async fn do_approve_decision(
        &self,
        request: Request<pb::ApproveDecisionRequest>,
        letterhead: RegisteredLetterhead,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("approve_decision", &req);
        Ok(Response::new(
            self.command(
                &req.context,
                &req.case_id,
                &fingerprint,
                |file, on, config| {
                    file.letterhead = letterhead;
                    let levels_required = config.agency(&file.facts.agency).approval_levels;
                    Ok((
                        vec![Command::Approve {
                            on,
                            levels_required,
                        }],
                        Default::default(),
                    ))
                },
            )
            .await?,
        ))
    }

    async fn do_record_review(
        &self,
        request: Request<pb::RecordReviewRequest>,
    ) -> Reply<pb::CaseFile> {
        let req = request.into_inner();
        let fingerprint = convert::fingerprint("record_review", &req);
        let kind: ReviewKind = convert::code("kind", &req.kind)?;
        let result: ReviewResult = convert::code("result", &req.result)?;
        let filed_on = convert::date("filed_on", &req.filed_on)?;
        let concluded_on = convert::optional_date("concluded_on", &req.concluded_on)?;
        self.single(&req.context, &req.case_id, &fingerprint, |_| {
            Command::RecordReview {
                filed_on,
                kind,
                result,
                concluded_on,
            }
        })
        .await
    }
}
