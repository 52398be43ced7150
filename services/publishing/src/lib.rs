//! The publishing service (答复与送达): on `decision.approved` it numbers and renders the reply
//! letter (答复书/告知书) for the outcome, from the template citing the articles of
//! `outcomes.toml`; `ServeReply` records how and when it was served (送达) and publishes
//! `reply.served`, which closes the case with its reply date.
//!
//! It also keeps each agency's proactive-disclosure catalogue (主动公开目录, [`catalogue`]) and
//! finds the Art. 44 candidates among the replies it served ([`candidates`]).

pub mod candidates;
pub mod catalogue;

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use ogi_core::access::Permission;
use ogi_core::codes::{ApplicantType, Delivery, OutcomeCode};
use ogi_core::letters::{self, AgencyLetterhead, LetterFacts, RegisteredLetterhead};
use ogi_platform::auth;
use ogi_platform::bus::{self, ConsumerSpec, EventHandler, HandlerError};
use ogi_platform::casefile::{self, Index};
use ogi_platform::config::ServiceConfig;
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::{self, EventContext, Producer};
use ogi_platform::runtime::{self, ServiceContext};
use ogi_platform::store::{ServiceSchema, repo};
use ogi_proto::v1::{self as pb, event_envelope::Payload, publishing_service_server as server};
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

/// Publishing's case file: the letter and its service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LetterFile {
    pub agency: String,
    pub applicant_type: ApplicantType,
    pub received_on: NaiveDate,
    pub approved_on: NaiveDate,
    pub facts: LetterFacts,
    pub title: String,
    pub text: String,
    pub fee_collected_yuan: Option<String>,
    pub served: Option<(NaiveDate, Delivery)>,
    /// What the agency registry said about the letter's prefix and reconsideration body when
    /// the decision was approved (re-rendering at service keeps them).
    #[serde(default)]
    pub registered: RegisteredLetterhead,
}

pub async fn run(config: ServiceConfig) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    ogi_platform::shutdown::on_signals(cancel.clone());
    let ctx = runtime::start("publishing", ServiceSchema::Publishing, config, cancel).await?;
    runtime::spawn_consumer(
        &ctx,
        ConsumerSpec {
            durable: "publishing".into(),
            stream: Producer::Approval.stream(),
            subjects: vec!["ogi.approval.decision.approved".into()],
        },
        Arc::new(OnApproved {
            config: ctx.config.clone(),
        }),
    );
    let routes = tonic::service::Routes::new(
        server::PublishingServiceServer::new(Publishing { ctx: ctx.clone() })
            .max_decoding_message_size(ogi_core::limits::GRPC_MAX_MESSAGE_BYTES),
    );
    runtime::serve(&ctx, &["ogi.v1.PublishingService"], routes).await
}

/// The agency's letterhead: the registry's prefix and reconsideration body where registered,
/// else the configured settings, else the guess from the name.
fn letterhead(
    config: &ServiceConfig,
    agency: &str,
    registered: &RegisteredLetterhead,
) -> AgencyLetterhead {
    configured_letterhead(config, agency).with_registered(registered)
}

fn configured_letterhead(config: &ServiceConfig, agency: &str) -> AgencyLetterhead {
    let settings = config.agency(agency);
    let mut head = AgencyLetterhead::default_for(agency);
    if let Some(p) = settings.document_prefix {
        head.document_prefix = p;
    }
    if let Some(r) = settings.review_organ {
        head.review_organ = r;
    }
    if let Some(c) = settings.court {
        head.court = c;
    }
    head
}

fn index(file: &LetterFile) -> Index<'_> {
    Index {
        agency: &file.agency,
        stage: if file.served.is_some() {
            "served"
        } else {
            "approved"
        },
        received_on: file.received_on,
        due_on: None,
    }
}

struct OnApproved {
    config: ServiceConfig,
}

#[async_trait::async_trait]
impl EventHandler for OnApproved {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &pb::EventEnvelope,
    ) -> Result<(), HandlerError> {
        let Some(Payload::DecisionApproved(d)) = &event.payload else {
            return Err(HandlerError::Ignore("not decision.approved".into()));
        };
        let reject = |e: ServiceError| HandlerError::Reject(e.to_string());
        let approved_on = convert::date("legal_date", &event.legal_date).map_err(reject)?;
        let existing = casefile::load::<LetterFile, _>(txn, &event.case_id)
            .await
            .map_err(|e| HandlerError::Retry(e.to_string()))?;
        if existing.as_ref().is_some_and(|f| f.state.served.is_some()) {
            return Ok(());
        }
        let number =
            repo::next_number(txn, &format!("letter:{}", event.agency), approved_on.year()).await?;
        let registered = RegisteredLetterhead {
            letter_prefix: d.letter_prefix.clone(),
            reconsideration_body: d.reconsideration_body.clone(),
        };
        let head = letterhead(&self.config, &event.agency, &registered);
        let facts = LetterFacts {
            outcome: convert::code("outcome_code", &d.outcome_code).map_err(reject)?,
            applicant_name: d.applicant_name.clone(),
            received_on: convert::date("received_on", &d.received_on).map_err(reject)?,
            request_description: d.request_description.clone(),
            replied_on: approved_on,
            document_number: letters::document_number(
                &head.document_prefix,
                approved_on.year(),
                number,
            ),
            legal_basis: d.legal_basis.clone(),
            reply_text: d.reply_text.clone(),
            other_agency: Some(d.other_agency.clone()).filter(|s| !s.is_empty()),
            fee_amount_yuan: Some(d.fee_amount_yuan.clone()).filter(|s| !s.is_empty()),
        };
        let letter = letters::render(&head, &facts);
        let file = LetterFile {
            agency: event.agency.clone(),
            applicant_type: convert::code("applicant_type", &d.applicant_type).map_err(reject)?,
            received_on: facts.received_on,
            approved_on,
            title: letter.title,
            text: letter.text,
            fee_collected_yuan: (d.fee_paid && facts.outcome != OutcomeCode::OtherFeeOverdue)
                .then(|| d.fee_amount_yuan.clone()),
            facts,
            served: None,
            registered,
        };
        casefile::save(
            txn,
            &event.case_id,
            index(&file),
            &file,
            existing.map(|l| l.version),
        )
        .await
        .map_err(|e| HandlerError::Retry(e.to_string()))?;
        Ok(())
    }
}

pub struct Publishing {
    ctx: ServiceContext,
}

fn view(case_id: &str, f: &LetterFile) -> pb::ReplyLetter {
    pb::ReplyLetter {
        case_id: case_id.into(),
        document_number: f.facts.document_number.clone(),
        outcome_code: f.facts.outcome.code().into(),
        title: f.title.clone(),
        text: f.text.clone(),
        served_on: f.served.map(|(d, _)| d.to_string()).unwrap_or_default(),
        method: f
            .served
            .map(|(_, m)| m.code().to_string())
            .unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl server::PublishingService for Publishing {
    async fn get_letter(
        &self,
        request: Request<pb::GetLetterRequest>,
    ) -> Result<Response<pb::ReplyLetter>, Status> {
        let caller = auth::caller(&request)?;
        let case_id = request.into_inner().case_id;
        let loaded = casefile::require::<LetterFile, _>(
            &self.ctx.db,
            &case_id,
            "答复送达服务（答复意见尚未审批完成）",
        )
        .await?;
        caller.authorize(Permission::CaseRead, &loaded.state.agency, &case_id)?;
        Ok(Response::new(view(&case_id, &loaded.state)))
    }

    async fn serve_reply(
        &self,
        request: Request<pb::ServeReplyRequest>,
    ) -> Result<Response<pb::ReplyLetter>, Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        // The delivery method is checked before the case is looked up.
        convert::code::<Delivery>("method", &req.method)?;
        let agency = casefile::agency_of(
            &self.ctx.db,
            &req.case_id,
            "答复送达服务（答复意见尚未审批完成）",
        )
        .await?;
        let case_id = req.case_id.clone();
        caller
            .run(Permission::CaseServe, &agency, &case_id, self.serve(req))
            .await
    }

    async fn import_catalogue(
        &self,
        request: Request<pb::ImportCatalogueRequest>,
    ) -> Result<Response<pb::ImportCatalogueResponse>, Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        if req.documents.is_empty() {
            return Err(ServiceError::invalid("documents", "至少一份文件").into());
        }
        for (i, d) in req.documents.iter().enumerate() {
            convert::agency(&format!("documents[{i}].agency"), &d.agency)?;
        }
        // The catalogue (主动公开目录) is the office's: each document's agency in scope.
        let mut agencies: Vec<String> = req.documents.iter().map(|d| d.agency.clone()).collect();
        agencies.sort();
        agencies.dedup();
        for agency in &agencies {
            caller.authorize(Permission::ReportEnter, agency, "")?;
        }
        let agency = agencies.join("、");
        caller
            .run(Permission::ReportEnter, &agency, "", async {
                Ok(Response::new(catalogue::import(&self.ctx, req).await?))
            })
            .await
    }

    async fn repeal_document(
        &self,
        request: Request<pb::RepealDocumentRequest>,
    ) -> Result<Response<pb::RepealDocumentResponse>, Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        let agency = convert::agency("agency", &req.agency)?.to_string();
        caller
            .run(Permission::ReportEnter, &agency, "", async {
                Ok(Response::new(catalogue::repeal(&self.ctx, req).await?))
            })
            .await
    }

    async fn list_catalogue(
        &self,
        request: Request<pb::ListCatalogueRequest>,
    ) -> Result<Response<pb::ListCatalogueResponse>, Status> {
        // The catalogue is published information: any signed-in user.
        auth::caller(&request)?;
        Ok(Response::new(
            catalogue::list(&self.ctx, request.into_inner()).await?,
        ))
    }

    async fn list_disclosure_candidates(
        &self,
        request: Request<pb::ListDisclosureCandidatesRequest>,
    ) -> Result<Response<pb::ListDisclosureCandidatesResponse>, Status> {
        let caller = auth::caller(&request)?;
        convert::agency("agency", &request.get_ref().agency)?;
        caller.authorize(Permission::CaseRead, &request.get_ref().agency, "")?;
        Ok(Response::new(
            candidates::list(&self.ctx, request.into_inner()).await?,
        ))
    }

    async fn publish_candidate(
        &self,
        request: Request<pb::PublishCandidateRequest>,
    ) -> Result<Response<pb::PublishCandidateResponse>, Status> {
        let caller = auth::caller(&request)?;
        let mut req = request.into_inner();
        caller.stamp(&mut req.context)?;
        let agency = convert::agency("agency", &req.agency)?.to_string();
        caller
            .run(Permission::ReportEnter, &agency, "", async {
                Ok(Response::new(candidates::publish(&self.ctx, req).await?))
            })
            .await
    }
}

impl Publishing {
    async fn serve(&self, req: pb::ServeReplyRequest) -> Result<Response<pb::ReplyLetter>, Status> {
        let (actor, on, command_id) = convert::context(&req.context)?;
        let fingerprint = convert::fingerprint("serve_reply", &req);
        let method: Delivery = convert::code("method", &req.method)?;
        let txn = self.ctx.db.begin().await.map_err(ServiceError::from)?;
        let loaded = casefile::require::<LetterFile, _>(
            &txn,
            &req.case_id,
            "答复送达服务（答复意见尚未审批完成）",
        )
        .await?;
        let mut file = loaded.state;
        if convert::command_seen(&txn, &command_id, &fingerprint)
            .await?
            .is_some()
        {
            return Ok(Response::new(view(&req.case_id, &file)));
        }
        if let Some((served_on, _)) = file.served {
            return Err(
                ServiceError::invalid("case_id", format!("答复已于{served_on}送达")).into(),
            );
        }
        if on < file.approved_on {
            return Err(ServiceError::invalid(
                "context.on",
                format!("送达日期{on}早于审批完成日期{}", file.approved_on),
            )
            .into());
        }
        // The letter bears the date it is served.
        file.facts.replied_on = on;
        let letter = letters::render(
            &letterhead(&self.ctx.config, &file.agency, &file.registered),
            &file.facts,
        );
        file.text = letter.text;
        file.served = Some((on, method));
        casefile::save(
            &txn,
            &req.case_id,
            index(&file),
            &file,
            Some(loaded.version),
        )
        .await?;
        let ectx = EventContext {
            case_id: req.case_id.clone(),
            agency: file.agency.clone(),
            actor,
        };
        let served = pb::ReplyServed {
            outcome_code: file.facts.outcome.code().into(),
            replied_on: on.to_string(),
            document_number: file.facts.document_number.clone(),
            method: method.code().into(),
            applicant_type: file.applicant_type.code().into(),
            received_on: file.received_on.to_string(),
            fee_collected_yuan: file.fee_collected_yuan.clone().unwrap_or_default(),
        };
        bus::append_outbox(
            &txn,
            &events::envelope(
                &ectx,
                on,
                loaded.version as u64 + 1,
                Payload::ReplyServed(served),
            ),
        )
        .await
        .map_err(ServiceError::from)?;
        convert::command_applied(&txn, &command_id, &fingerprint, None).await?;
        txn.commit().await.map_err(ServiceError::from)?;
        self.ctx.published();
        Ok(Response::new(view(&req.case_id, &file)))
    }
}
