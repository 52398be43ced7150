//! The message bus over NATS JetStream.
//!
//! - [`ensure_streams`] declares one file-backed stream per producing service;
//! - [`append_outbox`] writes an event in the caller's transaction (the outbox);
//! - [`OutboxRelay`] publishes the outbox in order with the event id as `Nats-Msg-Id`, so
//!   JetStream drops a duplicate publish inside its duplicate window;
//! - [`run_consumer`] drives a durable pull consumer: each event is applied in one transaction
//!   with an inbox row of its id, so a redelivery is a no-op, and acknowledged after commit.
//!
//! Both count what they do in [`metrics::global`], and run in spans naming the events they
//! handle (`publish_outbox` / `publish_event`, `apply_event`, `apply_batch`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind, consumer::pull, stream};
use futures::{FutureExt, StreamExt};
use ogi_proto::v1::EventEnvelope;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use crate::events::{self, Producer};
use crate::metrics;
use crate::store::entities::{inbox, outbox};

/// How long JetStream remembers message ids to drop duplicates.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(2 * 60 * 60);

/// Connect to NATS and return the JetStream context. `url` may list several servers of a
/// cluster, comma-separated; the client also learns the others from the server.
pub async fn connect(url: &str) -> anyhow::Result<jetstream::Context> {
    let servers = url
        .split(',')
        .map(|u| u.trim().parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow::anyhow!("nats url {}: {e}", crate::runtime::redact_url(url)))?;
    let mut options = async_nats::ConnectOptions::new()
        .name("ogi")
        .retry_on_initial_connect();
    // The service's own NATS user (nats://user:password@host): async-nats does not take the
    // credentials from the URL by itself.
    if let Some(server) = servers.iter().find(|s| s.has_user_pass()) {
        options = options.user_and_password(
            server.username().unwrap_or_default().to_string(),
            server.password().unwrap_or_default().to_string(),
        );
    }
    let client = options.connect(servers).await?;
    Ok(jetstream::new(client))
}

/// Declare the stream of every producing service (idempotent). `replicas` is 1 on one server
/// and 3 on a cluster.
pub async fn ensure_streams(js: &jetstream::Context, replicas: usize) -> anyhow::Result<()> {
    for producer in Producer::ALL {
        let config = stream::Config {
            name: producer.stream(),
            subjects: vec![producer.subjects()],
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            num_replicas: replicas,
            ..Default::default()
        };
        // Several services creating the same replicated stream at once on a fresh cluster get
        // request timeouts while the cluster places it: try again for a while.
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            match js.get_or_create_stream(config.clone()).await {
                Ok(_) => break,
                Err(error) if started.elapsed() < Duration::from_secs(60) => {
                    tracing::warn!(stream = %producer.stream(), %error, "declare stream failed, retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                Err(error) => anyhow::bail!("declare stream {}: {error}", producer.stream()),
            }
        }
    }
    Ok(())
}

/// Write `envelope` to the outbox in the caller's transaction.
pub async fn append_outbox<C: ConnectionTrait>(
    txn: &C,
    envelope: &EventEnvelope,
) -> Result<(), sea_orm::DbErr> {
    let subject = events::subject_of(envelope)
        .ok_or_else(|| sea_orm::DbErr::Custom("event without payload".into()))?;
    outbox::ActiveModel {
        event_id: Set(envelope.event_id.clone()),
        subject: Set(subject),
        payload: Set(events::encode(envelope)),
        created_at: Set(chrono::Utc::now()),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Publish one event with its id as `Nats-Msg-Id` and wait for the stream's acknowledgement.
/// Returns `true` when JetStream reports the message as a duplicate it dropped.
pub async fn publish(
    js: &jetstream::Context,
    subject: String,
    event_id: &str,
    payload: Vec<u8>,
) -> anyhow::Result<bool> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(async_nats::header::NATS_MESSAGE_ID, event_id);
    let ack = js
        .publish_with_headers(subject, headers, payload.into())
        .await?
        .await?;
    Ok(ack.duplicate)
}

/// The outbox's dead letters as the relay last saw them: how many wait, and why the oldest
/// could not be published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeadLetters {
    pub count: u64,
    pub first_reason: Option<String>,
}

/// How often the relay reads the dead letters again (an operator may have cleared them).
const DEAD_LETTER_RECHECK: Duration = Duration::from_secs(30);

/// Publishes a database's outbox to JetStream, oldest first.
#[derive(Clone)]
pub struct OutboxRelay {
    db: DatabaseConnection,
    js: jetstream::Context,
    wake: Arc<Notify>,
    batch: u64,
    dead_letters: Arc<tokio::sync::watch::Sender<DeadLetters>>,
}

impl OutboxRelay {
    pub fn new(db: DatabaseConnection, js: jetstream::Context) -> Self {
        Self {
            db,
            js,
            wake: Arc::new(Notify::new()),
            batch: 256,
            dead_letters: Arc::new(tokio::sync::watch::Sender::new(DeadLetters::default())),
        }
    }

    /// A handle that wakes the relay after a commit, so events go out at once.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The dead letters as the relay sees them, updated when it sets one aside (and every
    /// half minute): `/readyz` and the gRPC health of `ogi.v1.Outbox` follow it.
    pub fn dead_letters(&self) -> tokio::sync::watch::Receiver<DeadLetters> {
        self.dead_letters.subscribe()
    }

    /// Read the dead letters from the database into [`OutboxRelay::dead_letters`].
    pub async fn refresh_dead_letters(&self) -> Result<(), sea_orm::DbErr> {
        let (count, first_reason) = dead_letters(&self.db).await?;
        self.dead_letters.send_if_modified(|now| {
            let next = DeadLetters {
                count,
                first_reason,
            };
            let changed = *now != next;
            *now = next;
            changed
        });
        Ok(())
    }

    /// Publish everything pending now; returns how many events were published. An event that
    /// can never be published (larger than the bus carries, refused by the stream) is set aside
    /// as a dead letter with its reason, counted, and the events after it go on; a failure of
    /// the bus itself (timeout, disconnection) stops the round, to be retried.
    pub async fn publish_pending(&self) -> anyhow::Result<usize> {
        let mut total = 0;
        loop {
            let rows = outbox::Entity::find()
                .filter(outbox::Column::PublishedAt.is_null())
                .filter(outbox::Column::DeadLetter.is_null())
                .order_by_asc(outbox::Column::Seq)
                .limit(self.batch)
                .all(&self.db)
                .await?;
            if rows.is_empty() {
                return Ok(total);
            }
            let batch = tracing::info_span!("publish_outbox", batch.size = rows.len());
            // Pipeline the publishes, then wait for every acknowledgement before marking.
            let mut acks = Vec::with_capacity(rows.len());
            let mut dead = Vec::new();
            let mut failure = None;
            for row in &rows {
                // From the publish to the stream's acknowledgement.
                let span = tracing::info_span!(
                    parent: &batch,
                    "publish_event",
                    event.id = %row.event_id,
                    event.subject = %row.subject,
                );
                let mut headers = async_nats::HeaderMap::new();
                headers.insert(async_nats::header::NATS_MESSAGE_ID, row.event_id.as_str());
                let sent = self
                    .js
                    .publish_with_headers(row.subject.clone(), headers, row.payload.clone().into())
                    .instrument(span.clone())
                    .await;
                match sent {
                    Ok(ack) => acks.push((row, Some(ack), span)),
                    Err(error) if never_publishable(error.kind()) => {
                        dead.push((row, dead_letter_reason(row, &error)));
                        acks.push((row, None, span));
                    }
                    Err(error) => {
                        failure = Some(anyhow::Error::from(error));
                        break;
                    }
                }
            }
            // Mark the leading run of events that are settled (acknowledged or dead): the rest
            // is published again next round, its duplicates dropped by `Nats-Msg-Id`.
            let mut settled = Vec::with_capacity(acks.len());
            let mut in_order = true;
            for (row, ack, span) in acks {
                let Some(ack) = ack else {
                    continue;
                };
                match ack.into_future().instrument(span).await {
                    Ok(_) if in_order => settled.push(row.seq),
                    Ok(_) => {}
                    Err(error) if never_publishable(error.kind()) => {
                        dead.push((row, dead_letter_reason(row, &error)));
                    }
                    Err(error) => {
                        in_order = false;
                        failure.get_or_insert(anyhow::Error::from(error));
                    }
                }
            }
            let any_dead = !dead.is_empty();
            for (row, reason) in &dead {
                tracing::error!(event_id = %row.event_id, subject = %row.subject, %reason, "event cannot be published, set aside as a dead letter");
                outbox::Entity::update_many()
                    .col_expr(
                        outbox::Column::DeadLetter,
                        sea_orm::sea_query::Expr::value(reason.clone()),
                    )
                    .filter(outbox::Column::Seq.eq(row.seq))
                    .exec(&self.db)
                    .await?;
                metrics::global().outbox_dead_lettered(1);
            }
            let published = settled.len();
            outbox::Entity::update_many()
                .col_expr(
                    outbox::Column::PublishedAt,
                    sea_orm::sea_query::Expr::value(chrono::Utc::now()),
                )
                .filter(outbox::Column::Seq.is_in(settled))
                .exec(&self.db)
                .await?;
            metrics::global().outbox_published(published as u64);
            if any_dead {
                self.refresh_dead_letters().await?;
            }
            total += published;
            if let Some(error) = failure {
                return Err(error);
            }
        }
    }

    /// Run until cancelled: publish on every wake-up, and at least every `interval`.
    /// Failure policy: a failed round is logged and retried after `interval`; nothing is lost,
    /// because rows are marked published only after JetStream acknowledged them. An event that
    /// can never be published is a dead letter (see [`OutboxRelay::publish_pending`]) and does
    /// not hold up the ones after it.
    pub async fn run(self, cancel: CancellationToken, interval: Duration) {
        let mut checked: Option<Instant> = None;
        loop {
            if checked.is_none_or(|at| at.elapsed() >= DEAD_LETTER_RECHECK) {
                match self.refresh_dead_letters().await {
                    Ok(()) => checked = Some(Instant::now()),
                    Err(error) => tracing::warn!(%error, "reading the dead letters failed"),
                }
            }
            match self.publish_pending().await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(published = n, "outbox published"),
                Err(error) => tracing::warn!(%error, "outbox publish failed, will retry"),
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(interval) => {}
            }
        }
        // Drain what is committed before exiting.
        if let Err(error) = self.publish_pending().await {
            tracing::warn!(%error, "outbox drain on shutdown failed");
        }
    }
}

/// Whether a publish failed for the event itself (it will fail the same way every time) rather
/// than for the bus (which a retry may get past).
fn never_publishable(kind: jetstream::context::PublishErrorKind) -> bool {
    use jetstream::context::PublishErrorKind as K;
    match kind {
        K::MaxPayloadExceeded | K::WrongLastMessageId | K::WrongLastSequence => true,
        K::StreamNotFound | K::TimedOut | K::BrokenPipe | K::MaxAckPending | K::Other => false,
    }
}

/// The reason a dead letter records, in Chinese with the bus's own words.
fn dead_letter_reason(row: &outbox::Model, error: &jetstream::context::PublishError) -> String {
    format!(
        "事件 {}（{}，{}字节）无法发布到消息总线：{error}",
        row.event_id,
        row.subject,
        row.payload.len()
    )
}

/// Number of outbox rows waiting to be published (the backlog; dead letters are not waiting).
pub async fn outbox_backlog(db: &DatabaseConnection) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    outbox::Entity::find()
        .filter(outbox::Column::PublishedAt.is_null())
        .filter(outbox::Column::DeadLetter.is_null())
        .count(db)
        .await
}

/// The outbox's dead letters: how many, and the reason of the oldest.
pub async fn dead_letters(
    db: &DatabaseConnection,
) -> Result<(u64, Option<String>), sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    let waiting = outbox::Entity::find().filter(outbox::Column::DeadLetter.is_not_null());
    let count = waiting.clone().count(db).await?;
    let first = waiting
        .order_by_asc(outbox::Column::Seq)
        .one(db)
        .await?
        .and_then(|row| row.dead_letter);
    Ok((count, first))
}

/// What a consumer handler tells the loop.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Try again later (the case is not there yet, a version conflict, a database hiccup).
    #[error("retry: {0}")]
    Retry(String),
    /// The event can never be applied; it is logged and terminated so it does not block.
    #[error("rejected: {0}")]
    Reject(String),
    /// The event is not for this consumer (another kind, or already reflected): acknowledged
    /// and logged at DEBUG only, since nothing is wrong. ERROR is for what an operator must act on.
    #[error("ignored: {0}")]
    Ignore(String),
}

impl From<sea_orm::DbErr> for HandlerError {
    fn from(e: sea_orm::DbErr) -> Self {
        HandlerError::Retry(e.to_string())
    }
}

/// The effect of an event on a service's own tables, applied inside the given transaction.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &EventEnvelope,
    ) -> Result<(), HandlerError>;

    /// How many deliveries that are already waiting may be applied in one transaction. 1 (the
    /// default) applies each on its own; a projection that replays whole streams raises it.
    fn max_batch(&self) -> usize {
        1
    }

    /// Apply several events, in stream order, inside one transaction. The default applies
    /// them one after another; a handler can write them in bulk instead.
    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&EventEnvelope],
    ) -> Result<(), HandlerError> {
        for event in events {
            self.handle(txn, event).await?;
        }
        Ok(())
    }
}

/// A durable pull consumer: which stream, which subjects, under what name.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    pub durable: String,
    pub stream: String,
    pub subjects: Vec<String>,
}

/// What happened to one delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Applied,
    Duplicate,
    Retry,
    Rejected,
    /// Not for this consumer; acknowledged without effect.
    Ignored,
}

/// Apply one event exactly once: skip if its id is in the inbox, else run the handler and
/// record the id, all in one transaction.
#[tracing::instrument(
    name = "apply_event",
    skip_all,
    fields(
        consumer = consumer,
        event.id = %event.event_id,
        event.subject = %events::subject_of(event).unwrap_or_default(),
    )
)]
pub async fn apply_once<H: EventHandler + ?Sized>(
    db: &DatabaseConnection,
    consumer: &str,
    handler: &H,
    event: &EventEnvelope,
) -> Result<Delivery, HandlerError> {
    let txn = db.begin().await?;
    let seen = inbox::Entity::find_by_id((consumer.to_string(), event.event_id.clone()))
        .one(&txn)
        .await?
        .is_some();
    if seen {
        txn.rollback().await?;
        return Ok(Delivery::Duplicate);
    }
    handler.handle(&txn, event).await?;
    inbox::ActiveModel {
        consumer: Set(consumer.to_string()),
        event_id: Set(event.event_id.clone()),
        processed_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Delivery::Applied)
}

/// Apply a batch of events exactly once, in one transaction: the ones whose ids are in the
/// inbox (or earlier in the batch) are skipped, the rest go to [`EventHandler::handle_batch`]
/// and their ids into the inbox. Any error rolls the whole batch back.
#[tracing::instrument(
    skip_all,
    fields(
        consumer = consumer,
        batch.size = events.len(),
        event.first_id = events.first().map_or("", |e| e.event_id.as_str()),
        event.last_id = events.last().map_or("", |e| e.event_id.as_str()),
    )
)]
pub async fn apply_batch<H: EventHandler + ?Sized>(
    db: &DatabaseConnection,
    consumer: &str,
    handler: &H,
    events: &[EventEnvelope],
) -> Result<Vec<Delivery>, HandlerError> {
    let txn = db.begin().await?;
    let ids: Vec<String> = events.iter().map(|e| e.event_id.clone()).collect();
    let mut seen: std::collections::HashSet<String> = inbox::Entity::find()
        .select_only()
        .column(inbox::Column::EventId)
        .filter(inbox::Column::Consumer.eq(consumer))
        .filter(inbox::Column::EventId.is_in(ids))
        .into_tuple::<String>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let mut deliveries = Vec::with_capacity(events.len());
    let mut fresh = Vec::with_capacity(events.len());
    for event in events {
        if seen.insert(event.event_id.clone()) {
            deliveries.push(Delivery::Applied);
            fresh.push(event);
        } else {
            deliveries.push(Delivery::Duplicate);
        }
    }
    if !fresh.is_empty() {
        handler.handle_batch(&txn, &fresh).await?;
        let now = chrono::Utc::now();
        // Three columns a row: well under SQLite's and PostgreSQL's parameter limits.
        for chunk in fresh.chunks(1000) {
            inbox::Entity::insert_many(chunk.iter().map(|event| inbox::ActiveModel {
                consumer: Set(consumer.to_string()),
                event_id: Set(event.event_id.clone()),
                processed_at: Set(now),
                ..Default::default()
            }))
            .exec_without_returning(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(deliveries)
}

/// Apply the decoded deliveries `batch`: together when the handler takes batches and more than
/// one is waiting, else (and when the batch fails as a whole) one by one, so that a retry or a
/// rejection concerns only its own event.
async fn apply_deliveries(
    db: &DatabaseConnection,
    consumer: &str,
    handler: &dyn EventHandler,
    batch: &[EventEnvelope],
) -> Vec<Delivery> {
    if batch.len() > 1 {
        match apply_batch(db, consumer, handler, batch).await {
            Ok(deliveries) => {
                tracing::debug!(consumer, size = batch.len(), "batch applied");
                return deliveries;
            }
            Err(error) => {
                tracing::debug!(
                    ?error,
                    consumer,
                    size = batch.len(),
                    "batch failed, applying one by one"
                );
            }
        }
    }
    let mut deliveries = Vec::with_capacity(batch.len());
    for event in batch {
        deliveries.push(match apply_once(db, consumer, handler, event).await {
            Ok(delivery) => delivery,
            Err(HandlerError::Retry(reason)) => {
                tracing::debug!(%reason, event_id = %event.event_id, "event will be retried");
                Delivery::Retry
            }
            Err(HandlerError::Reject(reason)) => {
                tracing::error!(%reason, event_id = %event.event_id, consumer, "event rejected");
                Delivery::Rejected
            }
            Err(HandlerError::Ignore(reason)) => {
                tracing::debug!(%reason, event_id = %event.event_id, consumer, "event ignored");
                Delivery::Ignored
            }
        });
    }
    deliveries
}

/// Consume `spec` until cancelled. Failure policy: a handler asking to retry gets the message
/// redelivered after a short delay; a rejected or undecodable message is terminated and logged;
/// a broken consumer stream is re-opened after a pause.
pub async fn run_consumer(
    db: DatabaseConnection,
    js: jetstream::Context,
    spec: ConsumerSpec,
    handler: Arc<dyn EventHandler>,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let stream = js.get_stream(&spec.stream).await?;
    let consumer = stream
        .get_or_create_consumer(
            &spec.durable,
            pull::Config {
                durable_name: Some(spec.durable.clone()),
                filter_subjects: spec.subjects.clone(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(30),
                max_ack_pending: 1024,
                ..Default::default()
            },
        )
        .await?;
    let counted = metrics::global().consumer(&spec.durable);
    let max_batch = handler.max_batch().max(1);
    while !cancel.is_cancelled() {
        let mut messages = match consumer.messages().await {
            Ok(m) => m,
            Err(error) => {
                tracing::warn!(%error, consumer = %spec.durable, "consumer stream failed, reopening");
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                next = messages.next() => next,
            };
            let Some(message) = next else { break };
            let mut messages_in_batch = vec![message];
            // Whatever else has already arrived joins the batch, without waiting for more.
            while messages_in_batch.len() < max_batch {
                match messages.next().now_or_never() {
                    Some(Some(more)) => messages_in_batch.push(more),
                    _ => break,
                }
            }
            let received = Instant::now();
            let mut deliverable = Vec::with_capacity(messages_in_batch.len());
            let mut events = Vec::with_capacity(messages_in_batch.len());
            let mut broken = false;
            for message in messages_in_batch {
                let message = match message {
                    Ok(m) => m,
                    Err(error) => {
                        tracing::warn!(%error, consumer = %spec.durable, "consumer delivery failed");
                        broken = true;
                        continue;
                    }
                };
                match events::decode(&message.payload) {
                    Ok(event) => {
                        events.push(event);
                        deliverable.push(message);
                    }
                    Err(error) => {
                        tracing::error!(%error, subject = %message.subject, "undecodable event");
                        if let Err(error) = message.ack_with(AckKind::Term).await {
                            tracing::warn!(%error, "acknowledgement failed");
                        }
                        counted.record(Delivery::Rejected, received.elapsed());
                    }
                }
            }
            let outcomes = apply_deliveries(&db, &spec.durable, handler.as_ref(), &events).await;
            for (message, outcome) in deliverable.into_iter().zip(outcomes) {
                let ack = match outcome {
                    Delivery::Applied | Delivery::Duplicate | Delivery::Ignored => {
                        message.ack().await
                    }
                    Delivery::Retry => {
                        message
                            .ack_with(AckKind::Nak(Some(Duration::from_millis(200))))
                            .await
                    }
                    Delivery::Rejected => message.ack_with(AckKind::Term).await,
                };
                if let Err(error) = ack {
                    // The effect is committed; a redelivery will be a no-op.
                    tracing::warn!(%error, "acknowledgement failed");
                }
                counted.record(outcome, received.elapsed());
            }
            if broken {
                break;
            }
        }
    }
    Ok(())
}
