//! What the storage and bus tests share: an event, and effects that count in a counter row.
// Each test binary uses part of it.
#![allow(dead_code)]

use chrono::NaiveDate;
use ogi_platform::bus::{EventHandler, HandlerError};
use ogi_platform::events::{self, EventContext};
use ogi_platform::store::{entities::counters, repo};
use ogi_proto::v1::{ApplicationCorrected, EventEnvelope, event_envelope::Payload};
use sea_orm::{DatabaseConnection, DatabaseTransaction, EntityTrait};

/// A fresh event (new id) of `case`.
pub fn event(case: &str) -> EventEnvelope {
    let ctx = EventContext {
        case_id: case.into(),
        agency: "测试局".into(),
        actor: "test".into(),
    };
    events::envelope(
        &ctx,
        NaiveDate::from_ymd_opt(2024, 3, 5).unwrap(),
        1,
        Payload::ApplicationCorrected(ApplicationCorrected {}),
    )
}

/// An effect that counts: bumps a counter row.
pub struct CountingEffect;

#[async_trait::async_trait]
impl EventHandler for CountingEffect {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        _: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        repo::next_number(txn, "effects", 0).await?;
        Ok(())
    }
}

/// A failing effect: its transaction must leave nothing behind, inbox included.
pub struct FailingEffect;

#[async_trait::async_trait]
impl EventHandler for FailingEffect {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        _: &EventEnvelope,
    ) -> Result<(), HandlerError> {
        repo::next_number(txn, "effects", 0).await?;
        Err(HandlerError::Retry("not yet".into()))
    }
}

/// How many effects have been applied.
pub async fn effects(db: &DatabaseConnection) -> i64 {
    counters::Entity::find_by_id(("effects".to_string(), 0))
        .one(db)
        .await
        .unwrap()
        .map_or(0, |c| c.next)
}
