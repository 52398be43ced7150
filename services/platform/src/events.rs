//! Event envelopes: every event carries its id (UUID v7), case, agency, legal date, the time it
//! was recorded and the actor. The legal date is data from the command; `recorded_at` is the
//! only wall-clock time, and no rule reads it.

use chrono::{NaiveDate, Utc};
use ogi_proto::v1::{EventEnvelope, event_envelope::Payload};
use prost::Message;

/// The producing service of an event, which names its stream and subject prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Producer {
    Intake,
    Validation,
    Approval,
    Publishing,
}

impl Producer {
    pub const ALL: [Producer; 4] = [
        Producer::Intake,
        Producer::Validation,
        Producer::Approval,
        Producer::Publishing,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Producer::Intake => "intake",
            Producer::Validation => "validation",
            Producer::Approval => "approval",
            Producer::Publishing => "publishing",
        }
    }

    /// The JetStream stream holding this producer's events (`OGI_INTAKE`, …).
    pub fn stream(self) -> String {
        format!("OGI_{}", self.name().to_uppercase())
    }

    /// The subject filter of the stream (`ogi.intake.>`).
    pub fn subjects(self) -> String {
        format!("ogi.{}.>", self.name())
    }
}

/// The event name of a payload (`application.received`) and the service that produces it.
pub fn event_name(payload: &Payload) -> (Producer, &'static str) {
    use Producer::*;
    match payload {
        Payload::ApplicationReceived(_) => (Intake, "application.received"),
        Payload::ApplicationAccepted(_) => (Validation, "application.accepted"),
        Payload::CorrectionRequested(_) => (Validation, "application.correction_requested"),
        Payload::ApplicationCorrected(_) => (Validation, "application.corrected"),
        Payload::ApplicationAbandoned(_) => (Validation, "application.abandoned"),
        Payload::ConsultationStarted(_) => (Approval, "case.consultation_started"),
        Payload::ConsultationReplied(_) => (Approval, "case.consultation_replied"),
        Payload::CaseExtended(_) => (Approval, "case.extended"),
        Payload::FeeNotified(_) => (Approval, "case.fee_notified"),
        Payload::FeePaid(_) => (Approval, "case.fee_paid"),
        Payload::DecisionDrafted(_) => (Approval, "case.decision_drafted"),
        Payload::DecisionReturned(_) => (Approval, "case.decision_returned"),
        Payload::ApprovalGiven(_) => (Approval, "case.approval_given"),
        Payload::DecisionApproved(_) => (Approval, "decision.approved"),
        Payload::ReviewRecorded(_) => (Approval, "review.recorded"),
        Payload::ReplyServed(_) => (Publishing, "reply.served"),
        Payload::CatalogueDocumentRecorded(_) => (Publishing, "catalogue.document_recorded"),
        Payload::CatalogueDocumentRepealed(_) => (Publishing, "catalogue.document_repealed"),
    }
}

/// The NATS subject of an envelope: `ogi.<service>.<event>`.
pub fn subject_of(envelope: &EventEnvelope) -> Option<String> {
    let (producer, name) = event_name(envelope.payload.as_ref()?);
    Some(format!("ogi.{}.{}", producer.name(), name))
}

/// Who and when, for building envelopes.
#[derive(Debug, Clone)]
pub struct EventContext {
    pub case_id: String,
    pub agency: String,
    pub actor: String,
}

/// A new envelope with a fresh UUID v7 event id.
pub fn envelope(
    ctx: &EventContext,
    legal_date: NaiveDate,
    case_version: u64,
    payload: Payload,
) -> EventEnvelope {
    let now = Utc::now();
    EventEnvelope {
        event_id: uuid::Uuid::now_v7().to_string(),
        case_id: ctx.case_id.clone(),
        agency: ctx.agency.clone(),
        legal_date: legal_date.to_string(),
        recorded_at: Some(prost_types::Timestamp {
            seconds: now.timestamp(),
            nanos: now.timestamp_subsec_nanos() as i32,
        }),
        actor: ctx.actor.clone(),
        case_version,
        payload: Some(payload),
    }
}

/// Encode for the outbox.
pub fn encode(envelope: &EventEnvelope) -> Vec<u8> {
    envelope.encode_to_vec()
}

/// Decode from a message.
pub fn decode(bytes: &[u8]) -> Result<EventEnvelope, prost::DecodeError> {
    EventEnvelope::decode(bytes)
}
