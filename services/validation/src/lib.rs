//! The validation service (审核): on every received application, the completeness check of
//! Art. 29 and screening suggestions with reasons (duplicate, petition/complaint wording,
//! request for a publication, the applicant's count this month); then the handler accepts the
//! application, or sends the correction notice (补正通知) — within 7 working days, all items at
//! once — records the corrected application (the reply clock restarts), or records that the
//! applicant did not correct in time (deemed abandoned → `other.correction_overdue`).

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use ogi_core::access::Permission;
use ogi_core::calendar::WorkCalendar;
use ogi_core::case::{Case, Command, Stage};
use ogi_core::codes::OutcomeCode;
use ogi_core::deadline;
use ogi_core::limits;
use ogi_platform::auth::{self, Caller};
use ogi_platform::bus::{self, ConsumerSpec, EventHandler, HandlerError};
use ogi_platform::casefile::{self, Index};
use ogi_platform::config::ServiceConfig;
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::{self, EventContext, Producer};
use ogi_platform::facts::CaseFacts;
use ogi_platform::runtime::{self, ServiceContext};
use ogi_platform::store::{
    ServiceSchema,
    entities::{applicant_cases, case_files},
};
use ogi_proto::v1::{self as pb, event_envelope::Payload, validation_service_server as server};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Validation's case file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidationFile {
    pub facts: CaseFacts,
    pub applicant_key: String,
    pub case: Case,
    pub completeness_problems: Vec<String>,
    pub suggestions: Vec<Suggestion>,
    pub correction_items: Vec<String>,
    pub abandoned: bool,
    /// The intake version (`case_version`) of the application the facts come from: a late
    /// delivery of an older version must not overwrite an amendment.
    #[serde(default)]
    pub received_version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Suggestion {
    pub kind: String,
    pub reason: String,
    pub suggested_outcome: Option<OutcomeCode>,
}

impl ValidationFile {
    fn state(&self) -> &'static str {
        use ogi_core::codes::ReviewState;
        if self.abandoned {
            return ReviewState::Abandoned.code();
        }
        match self.case.stage() {
            Stage::Received => ReviewState::Received.code(),
            Stage::AwaitingCorrection => ReviewState::AwaitingCorrection.code(),
            _ => ReviewState::Accepted.code(),
        }
    }
}

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let calendar = Arc::new(ogi_platform::cli::load_calendar(&config)?);
    let cancel = CancellationToken::new();
    ogi_platform::shutdown::on_signals(cancel.clone());
    let ctx = runtime::start("validation", ServiceSchema::Validation, config, cancel).await?;
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "validation".into(),
            stream: Producer::Intake.stream(),
            subjects: vec!["ogi.intake.application.received".into()],
        },
        Arc::new(OnReceived),
    );
    let service = Validation {
        ctx: ctx.clone(),
        calendar,
    };
    let routes = tonic::service::Routes::new(
        server::ValidationServiceServer::new(service)
            .max_decoding_message_size(ogi_core::limits::GRPC_MAX_MESSAGE_BYTES),
    );
    let routes = routes.add_service(runtime::case_arrival_service(&ctx));
    runtime::serve(
        &ctx,
        &[
            "ogi.v1.ValidationService",
            ogi_platform::arrivals::SERVICE_NAME,
        ],
        routes,
    )
    .await
}

/// Normalise a request for duplicate comparison: drop whitespace and punctuation.
pub fn normalise(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

const PETITION_WORDS: &[&str] = &[
    "举报",
    "投诉",
    "信访",
    "控告",
    "检举",
    "申诉",
    "要求查处",
    "追究责任",
];
const PUBLICATION_WORDS: &[&str] = &["公报", "报纸", "期刊", "杂志", "图书", "年鉴", "出版物"];

/// Completeness under Art. 29 on what the application carries.
fn completeness(facts: &CaseFacts) -> Vec<String> {
    let mut problems = Vec::new();
    if facts.applicant_name.trim().is_empty() {
        problems.push("申请人姓名或名称缺失（第二十九条第二款第（一）项）".to_string());
    }
    if facts.id_number.trim().is_empty() {
        problems.push("申请人身份证明缺失（第二十九条第二款第（一）项）".to_string());
    }
    if !facts.has_contact {
        problems.push("申请人联系方式缺失（第二十九条第二款第（一）项）".to_string());
    }
    if normalise(&facts.request_description).chars().count() < 6 {
        problems.push("所需政府信息的名称、文号或者便于查询的其他特征性描述不明确（第二十九条第二款第（二）项）".to_string());
    }
    problems
}

/// Screening suggestions; `others` are this agency's other case files of the same applicant.
fn screen(facts: &CaseFacts, others: &[(String, ValidationFile)]) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let request = normalise(&facts.request_description);
    if let Some((id, other)) = others
        .iter()
        .find(|(_, o)| normalise(&o.facts.request_description) == request)
    {
        out.push(Suggestion {
            kind: "duplicate".into(),
            reason: format!(
                "同一申请人已于{}提出相同申请（回执编号{}，案件{}）",
                other.facts.received_on, other.facts.receipt_number, id
            ),
            suggested_outcome: Some(OutcomeCode::NotProcessedDuplicate),
        });
    }
    if let Some(word) = PETITION_WORDS
        .iter()
        .find(|w| facts.request_description.contains(*w))
    {
        out.push(Suggestion {
            kind: "petition_complaint".into(),
            reason: format!(
                "申请内容含「{word}」，可能属于信访、举报、投诉类申请（第三十九条第一款）"
            ),
            suggested_outcome: Some(OutcomeCode::NotProcessedPetitionComplaint),
        });
    }
    if let Some(word) = PUBLICATION_WORDS
        .iter()
        .find(|w| facts.request_description.contains(*w))
    {
        out.push(Suggestion {
            kind: "publication".into(),
            reason: format!("申请内容含「{word}」，可能要求提供公开出版物（第三十九条第二款）"),
            suggested_outcome: Some(OutcomeCode::NotProcessedPublication),
        });
    }
    let month = (facts.received_on.year(), facts.received_on.month());
    let count = 1 + others
        .iter()
        .filter(|(_, o)| (o.facts.received_on.year(), o.facts.received_on.month()) == month)
        .count();
    if count > 10 {
        out.push(Suggestion {
            kind: "volume".into(),
            reason: format!("该申请人本月第{count}件申请：超过10件可按件收取信息处理费（国办函〔2020〕109号），明显超过合理范围的可要求说明理由（第三十五条）"),
            suggested_outcome: None,
        });
    }
    out
}

/// The same applicant's other case files at this agency.
async fn same_applicant<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    key: &str,
    except: &str,
) -> Result<Vec<(String, ValidationFile)>, sea_orm::DbErr> {
    let ids: Vec<String> = applicant_cases::Entity::find()
        .filter(applicant_cases::Column::Agency.eq(agency))
        .filter(applicant_cases::Column::ApplicantKey.eq(key))
        .filter(applicant_cases::Column::CaseId.ne(except))
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.case_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = case_files::Entity::find()
        .filter(case_files::Column::CaseId.is_in(ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|m| serde_json::from_str(&m.state).ok().map(|f| (m.case_id, f)))
        .collect())
}

fn index(file: &ValidationFile) -> Index<'_> {
    Index {
        agency: &file.facts.agency,
        stage: file.state(),
        received_on: file.facts.received_on,
        due_on: file.case.correction().and_then(|c| c.due_on),
    }
}

struct OnReceived;

#[async_trait::async_trait]
impl EventHandler for OnReceived {
    async fn handle(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        event: &pb::EventEnvelope,
    ) -> Result<(), HandlerError> {
        let Some(Payload::ApplicationReceived(received)) = &event.payload else {
            return Err(HandlerError::Ignore("not application.received".into()));
        };
        let app = received
            .application
            .as_ref()
            .ok_or_else(|| HandlerError::Reject("no application".into()))?;
        let facts = CaseFacts::from_proto(app).map_err(|e| HandlerError::Reject(e.to_string()))?;
        let existing = casefile::load::<ValidationFile, _>(txn, &event.case_id)
            .await
            .map_err(|e| HandlerError::Retry(e.to_string()))?;
        let others =
            same_applicant(txn, &facts.agency, &received.applicant_key, &event.case_id).await?;
        let (mut file, read_version) = match existing {
            // An amendment before validation acted: take the new facts.
            Some(loaded) if loaded.state.received_version >= event.case_version => {
                // Already reflected (the same version again, or an older one arriving late):
                // nothing to do, and not an error.
                tracing::debug!(
                    case_id = %event.case_id,
                    event_version = event.case_version,
                    here = loaded.state.received_version,
                    "application version already reflected"
                );
                return Ok(());
            }
            Some(loaded) if loaded.state.case.stage() == Stage::Received => {
                (loaded.state, Some(loaded.version))
            }
            Some(_) => return Ok(()),
            None => (
                ValidationFile {
                    facts: facts.clone(),
                    applicant_key: received.applicant_key.clone(),
                    case: Case::received(facts.received_on),
                    completeness_problems: vec![],
                    suggestions: vec![],
                    correction_items: vec![],
                    abandoned: false,
                    received_version: 0,
                },
                None,
            ),
        };
        file.case = Case::received(facts.received_on);
        file.completeness_problems = completeness(&facts);
        file.suggestions = screen(&facts, &others);
        file.facts = facts;
        file.received_version = event.case_version;
        applicant_cases::Entity::insert(applicant_cases::ActiveModel {
            agency: Set(file.facts.agency.clone()),
            applicant_key: Set(received.applicant_key.clone()),
            case_id: Set(event.case_id.clone()),
        })
        .on_conflict(
            OnConflict::columns([
                applicant_cases::Column::Agency,
                applicant_cases::Column::ApplicantKey,
                applicant_cases::Column::CaseId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        match casefile::save(txn, &event.case_id, index(&file), &file, read_version).await {
            Ok(_) => Ok(()),
            Err(e) => Err(HandlerError::Retry(e.to_string())),
        }
    }
}

pub struct Validation {
    ctx: ServiceContext,
    calendar: Arc<WorkCalendar>,
}

fn findings(
    case_id: &str,
    file: &ValidationFile,
    calendar: &WorkCalendar,
    policy: &deadline::DeadlinePolicy,
) -> pb::Findings {
    let correction = file.case.correction();
    pb::Findings {
        case_id: case_id.into(),
        state: file.state().into(),
        completeness_problems: file.completeness_problems.clone(),
        identity_check: "登记时已按证件类型校验".into(),
        suggestions: file.suggestions.iter().map(to_pb).collect(),
        correction_notice_due_on: deadline::correction_notice_due(
            calendar,
            policy,
            file.facts.received_on,
        )
        .date
        .to_string(),
        correction_items: file.correction_items.clone(),
        correction_due_on: correction
            .and_then(|c| c.due_on)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        correction_requested_on: correction
            .map(|c| c.requested_on.to_string())
            .unwrap_or_default(),
    }
}

fn to_pb(s: &Suggestion) -> pb::ScreeningSuggestion {
    pb::ScreeningSuggestion {
        kind: s.kind.clone(),
        reason: s.reason.clone(),
        suggested_outcome: s
            .suggested_outcome
            .map(|o| o.code().to_string())
            .unwrap_or_default(),
    }
}

enum Step {
    Accept,
    RequestCorrection {
        items: Vec<String>,
        due_on: Option<NaiveDate>,
    },
    Correct,
    Abandon,
}

impl Validation {
    async fn command(
        &self,
        ctx: &Option<pb::CommandContext>,
        case_id: &str,
        fingerprint: &str,
        step: Step,
    ) -> Result<pb::Findings, ServiceError> {
        let (actor, on, command_id) = convert::context(ctx)?;
        let policy = &self.ctx.config.deadlines;
        let txn = self.ctx.db.begin().await?;
        let loaded = casefile::require::<ValidationFile, _>(&txn, case_id, "审核服务").await?;
        if convert::command_seen(&txn, &command_id, fingerprint)
            .await?
            .is_some()
        {
            txn.rollback().await?;
            return Ok(findings(case_id, &loaded.state, &self.calendar, policy));
        }
        let mut file = loaded.state;
        if file.abandoned {
            return Err(ServiceError::invalid(
                "case_id",
                "申请已视为放弃，不能再办理",
            ));
        }
        let ectx = EventContext {
            case_id: case_id.into(),
            agency: file.facts.agency.clone(),
            actor,
        };
        let version = loaded.version as u64 + 1;
        let mut out = Vec::new();
        match step {
            Step::Accept => {
                file.case.handle(&Command::Accept { on })?;
                out.push(events::envelope(
                    &ectx,
                    on,
                    version,
                    Payload::ApplicationAccepted(accepted(case_id, &file, false)),
                ));
            }
            Step::RequestCorrection { items, due_on } => {
                if items.iter().all(|i| i.trim().is_empty())
                    && file.completeness_problems.is_empty()
                {
                    // Imported history may not list items; a live notice must.
                    if !ctx
                        .as_ref()
                        .is_some_and(|c| c.command_id.starts_with("import:"))
                    {
                        return Err(ServiceError::invalid(
                            "items",
                            "补正通知须一次性告知需要补正的事项",
                        ));
                    }
                }
                let due_on = due_on.unwrap_or_else(|| {
                    deadline::correction_period_due(&self.calendar, policy, on).date
                });
                file.case.handle(&Command::RequestCorrection {
                    on,
                    due_on: Some(due_on),
                })?;
                file.correction_items = if items.is_empty() {
                    file.completeness_problems.clone()
                } else {
                    items
                };
                out.push(events::envelope(
                    &ectx,
                    on,
                    version,
                    Payload::CorrectionRequested(pb::CorrectionRequested {
                        items: file.correction_items.clone(),
                        due_on: due_on.to_string(),
                    }),
                ));
            }
            Step::Correct => {
                file.case.handle(&Command::Correct { on })?;
                out.push(events::envelope(
                    &ectx,
                    on,
                    version,
                    Payload::ApplicationCorrected(pb::ApplicationCorrected {}),
                ));
                out.push(events::envelope(
                    &ectx,
                    on,
                    version,
                    Payload::ApplicationAccepted(accepted(case_id, &file, true)),
                ));
            }
            Step::Abandon => {
                let Some(correction) = file
                    .case
                    .correction()
                    .filter(|_| file.case.stage() == Stage::AwaitingCorrection)
                else {
                    return Err(ServiceError::invalid(
                        "case_id",
                        "未发出补正通知或已补正，不能视为放弃",
                    ));
                };
                if let Some(due) = correction.due_on
                    && on <= due
                {
                    return Err(ServiceError::invalid(
                        "context.on",
                        format!("补正期限{due}尚未届满，不能视为放弃"),
                    ));
                }
                file.abandoned = true;
                out.push(events::envelope(
                    &ectx,
                    on,
                    version,
                    Payload::ApplicationAbandoned(pb::ApplicationAbandoned {
                        outcome_code: OutcomeCode::OtherCorrectionOverdue.code().into(),
                        reason: "申请人无正当理由逾期不补正，视为放弃申请（第三十条）".into(),
                        application: Some(file.facts.to_proto(case_id)),
                        correction_requested_on: correction.requested_on.to_string(),
                        correction_due_on: correction
                            .due_on
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                    }),
                ));
            }
        }
        casefile::save(&txn, case_id, index(&file), &file, Some(loaded.version)).await?;
        for e in &out {
            bus::append_outbox(&txn, e).await?;
        }
        convert::command_applied(&txn, &command_id, fingerprint, None).await?;
        txn.commit().await?;
        self.ctx.published();
        Ok(findings(case_id, &file, &self.calendar, policy))
    }
}

fn accepted(
    case_id: &str,
    file: &ValidationFile,
    after_correction: bool,
) -> pb::ApplicationAccepted {
    let c = file.case.correction();
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    pb::ApplicationAccepted {
        after_correction,
        suggestions: file.suggestions.iter().map(to_pb).collect(),
        application: Some(file.facts.to_proto(case_id)),
        correction_requested_on: date(c.map(|c| c.requested_on)),
        correction_due_on: date(c.and_then(|c| c.due_on)),
        corrected_on: date(c.and_then(|c| c.corrected_on)),
    }
}

impl Validation {
    /// The caller, the request with the caller as its actor, and the case's agency.
    async fn begin<T>(
        &self,
        request: Request<T>,
        fields: impl FnOnce(&mut T) -> (&mut Option<pb::CommandContext>, &String),
    ) -> Result<(Caller, T, String), Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        let (context, case_id) = fields(&mut req);
        caller.stamp(context)?;
        let case_id = case_id.clone();
        let agency = casefile::agency_of(&self.ctx.db, &case_id, "审核服务").await?;
        Ok((caller, req, agency))
    }
}

#[tonic::async_trait]
impl server::ValidationService for Validation {
    async fn get_findings(
        &self,
        request: Request<pb::GetFindingsRequest>,
    ) -> Result<Response<pb::Findings>, Status> {
        let caller = auth::caller(&request)?;
        let case_id = request.into_inner().case_id;
        let loaded =
            casefile::require::<ValidationFile, _>(&self.ctx.db, &case_id, "审核服务").await?;
        caller.authorize(Permission::CaseRead, &loaded.state.facts.agency, &case_id)?;
        Ok(Response::new(findings(
            &case_id,
            &loaded.state,
            &self.calendar,
            &self.ctx.config.deadlines,
        )))
    }

    async fn accept_application(
        &self,
        request: Request<pb::AcceptApplicationRequest>,
    ) -> Result<Response<pb::Findings>, Status> {
        let (caller, req, agency) = self
            .begin(request, |r| (&mut r.context, &r.case_id))
            .await?;
        let case_id = req.case_id.clone();
        caller
            .run(Permission::CaseAccept, &agency, &case_id, async {
                let fingerprint = convert::fingerprint("accept_application", &req);
                Ok(Response::new(
                    self.command(&req.context, &req.case_id, &fingerprint, Step::Accept)
                        .await?,
                ))
            })
            .await
    }

    async fn request_correction(
        &self,
        request: Request<pb::RequestCorrectionRequest>,
    ) -> Result<Response<pb::Findings>, Status> {
        let (caller, req, agency) = self
            .begin(request, |r| (&mut r.context, &r.case_id))
            .await?;
        let case_id = req.case_id.clone();
        caller
            .run(Permission::CaseCorrection, &agency, &case_id, async {
                let fingerprint = convert::fingerprint("request_correction", &req);
                let due_on = convert::optional_date("due_on", &req.due_on)?;
                if req.items.len() > limits::MAX_CORRECTION_ITEMS {
                    return Err(ServiceError::invalid(
                        "items",
                        format!(
                            "补正事项最多{}项，实为{}项",
                            limits::MAX_CORRECTION_ITEMS,
                            req.items.len()
                        ),
                    )
                    .into());
                }
                for (i, item) in req.items.iter().enumerate() {
                    convert::text(&format!("items[{i}]"), limits::text::CORRECTION_ITEM, item)?;
                }
                Ok(Response::new(
                    self.command(
                        &req.context,
                        &req.case_id,
                        &fingerprint,
                        Step::RequestCorrection {
                            items: req.items.clone(),
                            due_on,
                        },
                    )
                    .await?,
                ))
            })
            .await
    }

    async fn record_correction(
        &self,
        request: Request<pb::RecordCorrectionRequest>,
    ) -> Result<Response<pb::Findings>, Status> {
        let (caller, req, agency) = self
            .begin(request, |r| (&mut r.context, &r.case_id))
            .await?;
        let case_id = req.case_id.clone();
        caller
            .run(Permission::CaseCorrection, &agency, &case_id, async {
                let fingerprint = convert::fingerprint("record_correction", &req);
                Ok(Response::new(
                    self.command(&req.context, &req.case_id, &fingerprint, Step::Correct)
                        .await?,
                ))
            })
            .await
    }

    async fn record_abandonment(
        &self,
        request: Request<pb::RecordAbandonmentRequest>,
    ) -> Result<Response<pb::Findings>, Status> {
        let (caller, req, agency) = self
            .begin(request, |r| (&mut r.context, &r.case_id))
            .await?;
        let case_id = req.case_id.clone();
        caller
            .run(Permission::CaseCorrection, &agency, &case_id, async {
                let fingerprint = convert::fingerprint("record_abandonment", &req);
                Ok(Response::new(
                    self.command(&req.context, &req.case_id, &fingerprint, Step::Abandon)
                        .await?,
                ))
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ogi_platform::bus::{Delivery, apply_once};
    use ogi_platform::store;

    fn received(case_id: &str, version: u64, description: &str) -> pb::EventEnvelope {
        let ctx = EventContext {
            case_id: case_id.into(),
            agency: "测试局".into(),
            actor: "test".into(),
        };
        let on = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        events::envelope(
            &ctx,
            on,
            version,
            Payload::ApplicationReceived(pb::ApplicationReceived {
                application: Some(pb::Application {
                    case_id: case_id.into(),
                    agency: "测试局".into(),
                    reference: "R-1".into(),
                    receipt_number: "1".into(),
                    channel: "online".into(),
                    received_on: on.to_string(),
                    applicant: Some(pb::Applicant {
                        r#type: "natural_person".into(),
                        name: "张三".into(),
                        id_type: "resident_id_card".into(),
                        id_number: "11010519491231002X".into(),
                        phone: Some("13800000000".into()),
                        address: None,
                        email: None,
                    }),
                    request: Some(pb::InformationRequest {
                        description: description.into(),
                        form: "electronic".into(),
                        delivery: "email".into(),
                    }),
                }),
                applicant_key: "key".into(),
            }),
        )
    }

    #[tokio::test]
    async fn a_late_original_does_not_overwrite_an_amendment() {
        let dir = tempfile::tempdir().unwrap();
        let db = store::open(
            &store::sqlite_url(&dir.path().join("validation.db")),
            ServiceSchema::Validation,
        )
        .await
        .unwrap();
        let amended = received("c-1", 2, "申请公开2025年度部门预算执行情况（修改后）");
        let original = received("c-1", 1, "申请公开2025年度部门预算执行情况");
        let apply = |e: pb::EventEnvelope| {
            let db = db.clone();
            async move {
                apply_once(&db, "validation", &OnReceived, &e)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(apply(amended.clone()).await, Delivery::Applied);
        // The original (version 1) arrives after the amendment (version 2): acknowledged, and
        // the amendment's facts stay.
        assert_eq!(apply(original).await, Delivery::Applied);
        let file = casefile::load::<ValidationFile, _>(&db, "c-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file.state.received_version, 2);
        assert!(
            file.state.facts.request_description.contains("修改后"),
            "{}",
            file.state.facts.request_description
        );
        // A newer amendment still replaces the facts before validation acted.
        let again = received("c-1", 3, "申请公开2024年度部门决算");
        assert_eq!(apply(again).await, Delivery::Applied);
        let file = casefile::load::<ValidationFile, _>(&db, "c-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(file.state.received_version, 3);
        assert_eq!(
            file.state.facts.request_description,
            "申请公开2024年度部门决算"
        );
    }
}
