//! The intake service (登记): logs an application with its channel and statutory receipt date
//! (Art. 31), issues a receipt number (回执编号) unique per agency and year, and publishes
//! `application.received`. Applications can be amended until validation has acted on them.

use std::sync::Arc;

use chrono::{Datelike, Utc};
use ogi_core::access::Permission;
use ogi_core::codes::{ApplicantType, Channel, Delivery, IdType, RequestForm};
use ogi_core::identity;
use ogi_core::limits::{self, text};
use ogi_core::records::{Applicant, RequestDetails};
use ogi_platform::auth;
use ogi_platform::bus::{self, ConsumerSpec, EventHandler, HandlerError};
use ogi_platform::config::ServiceConfig;
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::{self, EventContext, Producer};
use ogi_platform::runtime::{self, ServiceContext};
use ogi_platform::store::{ServiceSchema, entities::applications, repo};
use ogi_proto::v1::{self as pb, event_envelope::Payload, intake_service_server as server};
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// The application as intake stores it (the case-record fields it owns).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredApplication {
    pub reference: String,
    pub agency: String,
    pub receipt_number: String,
    pub received_on: chrono::NaiveDate,
    pub channel: Channel,
    pub applicant: Applicant,
    pub request: RequestDetails,
}

/// Status of an application at intake: amendable until validation acts.
const OPEN: &str = "received";
const LOCKED: &str = "locked";

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    ogi_platform::shutdown::on_signals(cancel.clone());
    let ctx = runtime::start("intake", ServiceSchema::Intake, config, cancel).await?;
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "intake".into(),
            stream: Producer::Validation.stream(),
            subjects: vec![
                "ogi.validation.application.accepted".into(),
                "ogi.validation.application.correction_requested".into(),
                "ogi.validation.application.abandoned".into(),
            ],
        },
        Arc::new(LockOnValidation),
    );
    let routes = tonic::service::Routes::new(
        server::IntakeServiceServer::new(Intake {
            page_tokens: PageTokens::new(ctx.config.page_token_key.as_deref())?,
            ctx: ctx.clone(),
        })
        .max_decoding_message_size(limits::GRPC_MAX_MESSAGE_BYTES),
    );
    runtime::serve(&ctx, &["ogi.v1.IntakeService"], routes).await
}

/// Opaque page tokens: the last case id of a page with an HMAC-SHA256 over it, so that a token
/// the service did not issue (or one altered) is refused rather than silently used.
pub struct PageTokens {
    key: ring::hmac::Key,
}

impl PageTokens {
    /// With the configured key, or a random one for this process when none is configured.
    pub fn new(configured: Option<&str>) -> anyhow::Result<Self> {
        let secret = match configured {
            Some(k) if !k.is_empty() => k.as_bytes().to_vec(),
            _ => {
                let mut random = [0u8; 32];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random)
                    .map_err(|_| anyhow::anyhow!("no random source for the page token key"))?;
                random.to_vec()
            }
        };
        Ok(PageTokens {
            key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret),
        })
    }

    /// The token of the page after `case_id`.
    pub fn seal(&self, case_id: &str) -> String {
        let tag = ring::hmac::sign(&self.key, case_id.as_bytes());
        format!("{}.{}", hex(case_id.as_bytes()), hex(&tag.as_ref()[..16]))
    }

    /// The case id a token names, when the service issued it.
    pub fn open(&self, token: &str) -> Option<String> {
        let (id, tag) = token.split_once('.')?;
        let id = unhex(id)?;
        let tag = unhex(tag)?;
        let full = ring::hmac::sign(&self.key, &id);
        // The truncated tags compared in constant time.
        (tag.len() == 16 && ring_eq(&full.as_ref()[..16], &tag)).then_some(())?;
        String::from_utf8(id).ok()
    }
}

fn ring_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Once validation accepted the application or asked for correction, it can no longer be amended.
struct LockOnValidation;

#[async_trait::async_trait]
impl EventHandler for LockOnValidation {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &pb::EventEnvelope,
    ) -> Result<(), HandlerError> {
        applications::Entity::update_many()
            .col_expr(
                applications::Column::Status,
                sea_orm::sea_query::Expr::value(LOCKED),
            )
            .filter(applications::Column::CaseId.eq(event.case_id.clone()))
            .exec(txn)
            .await?;
        Ok(())
    }
}

pub struct Intake {
    pub ctx: ServiceContext,
    /// Signs the page tokens of `ListApplications`.
    pub page_tokens: PageTokens,
}

struct Checked {
    channel: Channel,
    received_on: chrono::NaiveDate,
    applicant: Applicant,
    request: RequestDetails,
    warnings: Vec<String>,
}

fn check_fields(
    channel: &str,
    received_on: &str,
    applicant: Option<&pb::Applicant>,
    request: Option<&pb::InformationRequest>,
    identity_warning_only: bool,
) -> Result<Checked, ServiceError> {
    let channel: Channel = convert::code("channel", channel)?;
    let received_on = convert::date("received_on", received_on)?;
    let a = applicant.ok_or_else(|| ServiceError::invalid("applicant", "必填"))?;
    let applicant_type: ApplicantType = convert::code("applicant.type", &a.r#type)?;
    let id_type: IdType = convert::code("applicant.id_type", &a.id_type)?;
    let name = convert::required_text("applicant.name", text::APPLICANT_NAME, &a.name)?.to_string();
    let id_number = convert::required_text("applicant.id_number", text::ID_NUMBER, &a.id_number)?
        .to_uppercase();
    let phone = convert::optional_text("applicant.phone", text::PHONE, &a.phone)?;
    if let Some(phone) = &phone {
        limits::check_phone(phone)
            .map_err(|e| ServiceError::invalid("applicant.phone", e.to_string()))?;
    }
    let email = convert::optional_text("applicant.email", text::EMAIL, &a.email)?;
    if let Some(email) = &email {
        limits::check_email(email)
            .map_err(|e| ServiceError::invalid("applicant.email", e.to_string()))?;
    }
    let address = convert::optional_text("applicant.address", text::ADDRESS, &a.address)?;
    let mut warnings = Vec::new();
    if let Err(e) = identity::check_identity(id_type, &id_number) {
        if identity_warning_only {
            warnings.push(format!("applicant.id_number：{e}"));
        } else {
            return Err(ServiceError::invalid("applicant.id_number", e.to_string()));
        }
    }
    let r = request.ok_or_else(|| ServiceError::invalid("request", "必填"))?;
    let description =
        convert::required_text("request.description", text::DESCRIPTION, &r.description)?
            .to_string();
    let form: RequestForm = convert::code("request.form", &r.form)?;
    let delivery: Delivery = convert::code("request.delivery", &r.delivery)?;
    Ok(Checked {
        channel,
        received_on,
        applicant: Applicant {
            applicant_type,
            name,
            id_type,
            id_number,
            phone,
            address,
            email,
        },
        request: RequestDetails {
            description,
            form,
            delivery,
        },
        warnings,
    })
}

/// What of a submission differs from the application stored under its reference, in Chinese;
/// `None` when it is the same application.
fn differences(stored: &StoredApplication, submitted: &Checked) -> Option<String> {
    let mut differs = Vec::new();
    if stored.received_on != submitted.received_on {
        differs.push("收到申请日期");
    }
    if stored.channel != submitted.channel {
        differs.push("申请渠道");
    }
    let (a, b) = (&stored.applicant, &submitted.applicant);
    if a.name != b.name || a.applicant_type != b.applicant_type {
        differs.push("申请人");
    }
    if a.id_type != b.id_type || a.id_number != b.id_number {
        differs.push("证件");
    }
    if a.phone != b.phone || a.email != b.email || a.address != b.address {
        differs.push("联系方式");
    }
    if stored.request != submitted.request {
        differs.push("申请内容");
    }
    (!differs.is_empty()).then(|| differs.join("、"))
}

/// The application as events and other services see it: the identity number masked.
pub fn to_proto(case_id: &str, app: &StoredApplication, mask: bool) -> pb::Application {
    let a = &app.applicant;
    let masked = |v: &Option<String>, f: fn(&str) -> String| {
        v.as_deref()
            .map(|s| if mask { f(s) } else { s.to_string() })
    };
    pb::Application {
        case_id: case_id.to_string(),
        agency: app.agency.clone(),
        reference: app.reference.clone(),
        receipt_number: app.receipt_number.clone(),
        channel: app.channel.code().into(),
        received_on: app.received_on.to_string(),
        applicant: Some(pb::Applicant {
            r#type: a.applicant_type.code().into(),
            name: a.name.clone(),
            id_type: a.id_type.code().into(),
            id_number: if mask {
                identity::mask_id_number(&a.id_number)
            } else {
                a.id_number.clone()
            },
            phone: masked(&a.phone, identity::mask_phone),
            address: a.address.clone(),
            email: a.email.clone(),
        }),
        request: Some(pb::InformationRequest {
            description: app.request.description.clone(),
            form: app.request.form.code().into(),
            delivery: app.request.delivery.code().into(),
        }),
    }
}

/// `text` for a LIKE pattern with `\\` as the escape character: `%`, `_` and `\\` match
/// themselves.
fn like_escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether a search finds the application: by its reference, receipt number, applicant name
/// or request — never by an identity number, telephone, address or e-mail.
fn matches_query(app: &StoredApplication, query: &str) -> bool {
    [
        app.reference.as_str(),
        app.receipt_number.as_str(),
        app.applicant.name.as_str(),
        app.request.description.as_str(),
    ]
    .iter()
    .any(|field| field.contains(query))
}

fn stored(model: &applications::Model) -> Result<StoredApplication, ServiceError> {
    serde_json::from_str(&model.record)
        .map_err(|e| ServiceError::Internal(format!("stored application {}: {e}", model.case_id)))
}

fn received_event(
    case_id: &str,
    app: &StoredApplication,
    actor: &str,
    version: u64,
) -> pb::EventEnvelope {
    let ctx = EventContext {
        case_id: case_id.into(),
        agency: app.agency.clone(),
        actor: actor.into(),
    };
    events::envelope(
        &ctx,
        app.received_on,
        version,
        Payload::ApplicationReceived(pb::ApplicationReceived {
            application: Some(to_proto(case_id, app, true)),
            applicant_key: identity::applicant_key(app.applicant.id_type, &app.applicant.id_number),
        }),
    )
}

impl Intake {
    async fn find(
        &self,
        txn: &DatabaseTransaction,
        agency: &str,
        reference: &str,
    ) -> Result<Option<applications::Model>, ServiceError> {
        Ok(applications::Entity::find()
            .filter(applications::Column::Agency.eq(agency))
            .filter(applications::Column::Reference.eq(reference))
            .one(txn)
            .await?)
    }
}

#[tonic::async_trait]
impl server::IntakeService for Intake {
    async fn submit_application(
        &self,
        request: Request<pb::SubmitApplicationRequest>,
    ) -> Result<Response<pb::SubmitApplicationResponse>, Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        let agency = convert::required_text("agency", text::AGENCY, &req.agency)?.to_string();
        caller
            .run(
                Permission::CaseSubmit,
                &agency,
                "",
                self.submit(req, agency.clone(), caller.principal.sees_full(&agency)),
            )
            .await
    }

    async fn amend_application(
        &self,
        request: Request<pb::AmendApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        convert::case_id("case_id", &req.case_id)?;
        let agency = applications::Entity::find_by_id(req.case_id.clone())
            .one(&self.ctx.db)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::NotFound(format!("申请 {} 不存在", req.case_id)))?
            .agency;
        let case_id = req.case_id.clone();
        let full = caller.principal.sees_full(&agency);
        caller
            .run(
                Permission::CaseAmend,
                &agency,
                &case_id,
                self.amend(req, full),
            )
            .await
    }

    async fn get_application(
        &self,
        request: Request<pb::GetApplicationRequest>,
    ) -> Result<Response<pb::Application>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        convert::text("case_id", text::CASE_ID, &req.case_id)?;
        convert::text("agency", text::AGENCY, &req.agency)?;
        convert::text("reference", text::REFERENCE, &req.reference)?;
        if req.case_id.is_empty() && (req.agency.is_empty() || req.reference.is_empty()) {
            return Err(
                ServiceError::invalid("case_id", "必填（或同时给出 agency 与 reference）").into(),
            );
        }
        let query = if !req.case_id.is_empty() {
            applications::Entity::find_by_id(req.case_id.clone())
        } else {
            applications::Entity::find()
                .filter(applications::Column::Agency.eq(req.agency.clone()))
                .filter(applications::Column::Reference.eq(req.reference.clone()))
        };
        let model = query
            .one(&self.ctx.db)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::NotFound("申请不存在".into()))?;
        caller.authorize(Permission::CaseRead, &model.agency, &model.case_id)?;
        let full = caller.full_view(&model.agency, &model.case_id);
        Ok(Response::new(to_proto(
            &model.case_id,
            &stored(&model)?,
            !full,
        )))
    }

    async fn list_applications(
        &self,
        request: Request<pb::ListApplicationsRequest>,
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let caller = auth::caller(&request)?;
        if !request.get_ref().agency.is_empty() {
            caller.authorize(Permission::CaseRead, &request.get_ref().agency, "")?;
        } else if !caller.principal.has(Permission::CaseRead) {
            return Err(caller.deny(
                Permission::CaseRead.code(),
                "",
                "",
                &ogi_core::access::Denial::Permission(Permission::CaseRead).to_string(),
            ));
        }
        let mut response = self
            .list(request.into_inner(), &caller.principal.agencies)
            .await?;
        // Identity numbers and phones in full only for agencies where the caller may see
        // them; one audit entry per agency listed in full.
        let mut full_agencies: Vec<(String, bool)> = Vec::new();
        for app in &mut response.get_mut().applications {
            let full = match full_agencies.iter().find(|(a, _)| *a == app.agency) {
                Some((_, f)) => *f,
                None => {
                    let f = caller.full_view(&app.agency, "");
                    full_agencies.push((app.agency.clone(), f));
                    f
                }
            };
            if !full && let Some(a) = app.applicant.as_mut() {
                a.id_number = identity::mask_id_number(&a.id_number);
                a.phone = a.phone.as_deref().map(identity::mask_phone);
                a.email = a.email.as_deref().map(ogi_core::access::mask_email);
            }
        }
        Ok(response)
    }
}

impl Intake {
    async fn submit(
        &self,
        req: pb::SubmitApplicationRequest,
        agency: String,
        full: bool,
    ) -> Result<Response<pb::SubmitApplicationResponse>, Status> {
        let (actor, _on, command_id) = convert::context(&req.context)?;
        let fingerprint = convert::fingerprint("submit_application", &req);
        convert::text("reference", text::REFERENCE, &req.reference)?;
        let checked = check_fields(
            &req.channel,
            &req.received_on,
            req.applicant.as_ref(),
            req.request.as_ref(),
            req.identity_check_warning_only,
        )?;
        let txn = self.ctx.db.begin().await.map_err(ServiceError::from)?;
        // The same key again: the application it created, unchanged (a different command
        // under the key is refused by `command_seen`).
        if let Some(created) = convert::command_seen(&txn, &command_id, &fingerprint).await? {
            let existing = match created {
                Some(case_id) => applications::Entity::find_by_id(case_id)
                    .one(&txn)
                    .await
                    .map_err(ServiceError::from)?,
                None => None,
            };
            txn.rollback().await.map_err(ServiceError::from)?;
            let existing = existing.ok_or_else(|| {
                ServiceError::AlreadyExists(format!(
                    "幂等键「{command_id}」已用过，但找不到它登记的申请；请换用新的幂等键"
                ))
            })?;
            let app = stored(&existing)?;
            return Ok(Response::new(pb::SubmitApplicationResponse {
                application: Some(to_proto(&existing.case_id, &app, false)),
                created: false,
                warnings: checked.warnings,
            }));
        }
        let reference = req.reference.trim().to_string();
        if !reference.is_empty()
            && let Some(existing) = self.find(&txn, &agency, &reference).await?
        {
            txn.rollback().await.map_err(ServiceError::from)?;
            let app = stored(&existing)?;
            // The same application again is answered as it stands; another one under the
            // same reference is refused, saying what differs.
            if let Some(differs) = differences(&app, &checked) {
                return Err(ServiceError::AlreadyExists(format!(
                    "案件编号「{reference}」已用于{agency}的另一份申请（回执编号{}），{differs}与之不同；未作任何更改。修改已登记的申请请用更正（amend），新申请请用新的案件编号",
                    app.receipt_number
                ))
                .into());
            }
            return Ok(Response::new(pb::SubmitApplicationResponse {
                application: Some(to_proto(&existing.case_id, &app, !full)),
                created: false,
                warnings: checked.warnings,
            }));
        }
        let year = checked.received_on.year();
        let n = repo::next_number(&txn, &format!("receipt:{agency}"), year)
            .await
            .map_err(ServiceError::from)?;
        let receipt_number = format!("{year}-{n:05}");
        let case_id = uuid::Uuid::now_v7().to_string();
        let app = StoredApplication {
            reference: if reference.is_empty() {
                receipt_number.clone()
            } else {
                reference
            },
            agency: agency.clone(),
            receipt_number: receipt_number.clone(),
            received_on: checked.received_on,
            channel: checked.channel,
            applicant: checked.applicant,
            request: checked.request,
        };
        applications::ActiveModel {
            case_id: Set(case_id.clone()),
            agency: Set(agency),
            reference: Set(app.reference.clone()),
            receipt_number: Set(receipt_number),
            channel: Set(app.channel.code().into()),
            received_on: Set(app.received_on),
            record: Set(
                serde_json::to_string(&app).map_err(|e| ServiceError::Internal(e.to_string()))?
            ),
            status: Set(OPEN.into()),
            version: Set(1),
            created_at: Set(Utc::now()),
        }
        .insert(&txn)
        .await
        .map_err(ServiceError::from)?;
        bus::append_outbox(&txn, &received_event(&case_id, &app, &actor, 1))
            .await
            .map_err(ServiceError::from)?;
        convert::command_applied(&txn, &command_id, &fingerprint, Some(&case_id)).await?;
        txn.commit().await.map_err(ServiceError::from)?;
        self.ctx.published();
        tracing::info!(case_id = %case_id, agency = %app.agency, receipt = %app.receipt_number, "application received");
        Ok(Response::new(pb::SubmitApplicationResponse {
            application: Some(to_proto(&case_id, &app, !full)),
            created: true,
            warnings: checked.warnings,
        }))
    }

    async fn amend(
        &self,
        req: pb::AmendApplicationRequest,
        full: bool,
    ) -> Result<Response<pb::Application>, Status> {
        let (actor, _on, _) = convert::context(&req.context)?;
        convert::case_id("case_id", &req.case_id)?;
        let txn = self.ctx.db.begin().await.map_err(ServiceError::from)?;
        let model = applications::Entity::find_by_id(req.case_id.clone())
            .one(&txn)
            .await
            .map_err(ServiceError::from)?
            .ok_or_else(|| ServiceError::NotFound(format!("申请 {} 不存在", req.case_id)))?;
        if model.status != OPEN {
            return Err(ServiceError::invalid(
                "case_id",
                "审核服务已受理或已发出补正通知，申请不能再修改",
            )
            .into());
        }
        let mut app = stored(&model)?;
        let channel = if req.channel.is_empty() {
            app.channel.code().to_string()
        } else {
            req.channel.clone()
        };
        let received_on = if req.received_on.is_empty() {
            app.received_on.to_string()
        } else {
            req.received_on.clone()
        };
        let current = to_proto(&model.case_id, &app, false);
        let checked = check_fields(
            &channel,
            &received_on,
            req.applicant.as_ref().or(current.applicant.as_ref()),
            req.request.as_ref().or(current.request.as_ref()),
            false,
        )?;
        app.channel = checked.channel;
        app.received_on = checked.received_on;
        app.applicant = checked.applicant;
        app.request = checked.request;
        let version = model.version + 1;
        let mut active: applications::ActiveModel = model.into();
        active.channel = Set(app.channel.code().into());
        active.received_on = Set(app.received_on);
        active.record =
            Set(serde_json::to_string(&app).map_err(|e| ServiceError::Internal(e.to_string()))?);
        active.version = Set(version);
        active.update(&txn).await.map_err(ServiceError::from)?;
        bus::append_outbox(
            &txn,
            &received_event(&req.case_id, &app, &actor, version as u64),
        )
        .await
        .map_err(ServiceError::from)?;
        txn.commit().await.map_err(ServiceError::from)?;
        self.ctx.published();
        Ok(Response::new(to_proto(&req.case_id, &app, !full)))
    }

    /// A page of applications, of `req.agency` or else of the agencies in scope, unmasked.
    async fn list(
        &self,
        req: pb::ListApplicationsRequest,
        in_scope: &[String],
    ) -> Result<Response<pb::ListApplicationsResponse>, Status> {
        let page_size = if req.page_size == 0 {
            100
        } else {
            req.page_size.min(1000)
        } as u64;
        convert::text("agency", text::AGENCY, &req.agency)?;
        convert::text("query", text::QUERY, &req.query)?;
        convert::text("page_token", text::PAGE_TOKEN, &req.page_token)?;
        let after = if req.page_token.is_empty() {
            None
        } else {
            Some(self.page_tokens.open(&req.page_token).ok_or_else(|| {
                ServiceError::invalid(
                    "page_token",
                    "分页标记无效（不是本服务发出的，或已被改动），请从第一页重新查询",
                )
            })?)
        };
        let mut query = applications::Entity::find().order_by_asc(applications::Column::CaseId);
        if !req.agency.is_empty() {
            query = query.filter(applications::Column::Agency.eq(req.agency.clone()));
        } else {
            query = query.filter(applications::Column::Agency.is_in(in_scope.to_vec()));
        }
        if let Some(from) = convert::optional_date("received_from", &req.received_from)? {
            query = query.filter(applications::Column::ReceivedOn.gte(from));
        }
        if let Some(to) = convert::optional_date("received_to", &req.received_to)? {
            query = query.filter(applications::Column::ReceivedOn.lte(to));
        }
        if !req.query.is_empty() {
            // `%` and `_` in the query are themselves; the stored record is narrowed in the
            // database and matched exactly on its searchable fields below.
            let like = || LikeExpr::new(format!("%{}%", like_escaped(&req.query))).escape('\\');
            query = query.filter(
                Condition::any()
                    .add(applications::Column::Reference.like(like()))
                    .add(applications::Column::ReceiptNumber.like(like()))
                    .add(applications::Column::Record.like(like())),
            );
        }
        if let Some(after) = after {
            query = query.filter(applications::Column::CaseId.gt(after));
        }
        let rows = query
            .limit(page_size + 1)
            .all(&self.ctx.db)
            .await
            .map_err(ServiceError::from)?;
        let more = rows.len() as u64 > page_size;
        let rows = &rows[..rows.len().min(page_size as usize)];
        let mut applications = Vec::new();
        for m in rows {
            let app = stored(m)?;
            if req.query.is_empty() || matches_query(&app, &req.query) {
                applications.push(to_proto(&m.case_id, &app, false));
            }
        }
        Ok(Response::new(pb::ListApplicationsResponse {
            next_page_token: if more {
                rows.last()
                    .map(|m| self.page_tokens.seal(&m.case_id))
                    .unwrap_or_default()
            } else {
                String::new()
            },
            applications,
        }))
    }
}
