//! The outbox and the inbox against a real nats-server (started per test on a free port).

mod common;

use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt;
use ogi_platform::bus::{self, ConsumerSpec, Delivery};
use ogi_platform::events::{self, Producer};
use ogi_platform::store::{self, ServiceSchema, entities::*};
use ogi_testkit::{NatsServer, poll_until};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use tokio_util::sync::CancellationToken;

use common::{CountingEffect, effects, event};

async fn setup() -> (
    NatsServer,
    jetstream::Context,
    DatabaseConnection,
    tempfile::TempDir,
) {
    let nats = NatsServer::start().unwrap();
    let js = bus::connect(&nats.url).await.unwrap();
    bus::ensure_streams(&js, 1).await.unwrap();
    bus::ensure_streams(&js, 1).await.unwrap(); // idempotent
    let dir = tempfile::tempdir().unwrap();
    let db = store::open(
        &store::sqlite_url(&dir.path().join("svc.db")),
        ServiceSchema::Intake,
    )
    .await
    .unwrap();
    (nats, js, db, dir)
}

async fn stream_messages(js: &jetstream::Context, producer: Producer) -> u64 {
    js.get_stream(producer.stream())
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .state
        .messages
}

#[tokio::test]
async fn publishing_twice_stores_one_message() {
    let (_nats, js, db, _dir) = setup().await;
    let e = event("c-1");
    let subject = events::subject_of(&e).unwrap();
    assert!(
        !bus::publish(&js, subject.clone(), &e.event_id, events::encode(&e))
            .await
            .unwrap()
    );
    assert!(
        bus::publish(&js, subject, &e.event_id, events::encode(&e))
            .await
            .unwrap(),
        "duplicate reported"
    );
    assert_eq!(stream_messages(&js, Producer::Validation).await, 1);

    // The relay: commit three events, publish, then lose the "published" marks (a crash between
    // publish and mark) and publish again: the stream still holds each event once.
    for case in ["c-2", "c-3", "c-4"] {
        let txn = db.begin().await.unwrap();
        bus::append_outbox(&txn, &event(case)).await.unwrap();
        txn.commit().await.unwrap();
    }
    let relay = bus::OutboxRelay::new(db.clone(), js.clone());
    assert_eq!(relay.publish_pending().await.unwrap(), 3);
    assert_eq!(bus::outbox_backlog(&db).await.unwrap(), 0);
    for row in outbox::Entity::find().all(&db).await.unwrap() {
        let mut row: outbox::ActiveModel = row.into();
        row.published_at = Set(None);
        row.update(&db).await.unwrap();
    }
    assert_eq!(relay.publish_pending().await.unwrap(), 3);
    assert_eq!(stream_messages(&js, Producer::Validation).await, 4);
}

#[tokio::test]
async fn a_redelivered_event_has_one_effect() {
    let (_nats, js, db, _dir) = setup().await;
    let e = event("c-1");
    bus::publish(
        &js,
        events::subject_of(&e).unwrap(),
        &e.event_id,
        events::encode(&e),
    )
    .await
    .unwrap();
    let stream = js.get_stream(Producer::Validation.stream()).await.unwrap();
    let consumer = stream
        .get_or_create_consumer(
            "redelivery",
            pull::Config {
                durable_name: Some("redelivery".into()),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // First delivery: the effect commits, then the service "dies" before acknowledging (NAK).
    let mut batch = consumer
        .batch()
        .max_messages(1)
        .expires(Duration::from_secs(10))
        .messages()
        .await
        .unwrap();
    let first = batch.next().await.unwrap().unwrap();
    let decoded = events::decode(&first.payload).unwrap();
    assert_eq!(
        bus::apply_once(&db, "redelivery", &CountingEffect, &decoded)
            .await
            .unwrap(),
        Delivery::Applied
    );
    first.ack_with(AckKind::Nak(None)).await.unwrap();
    // Second delivery of the same message: a no-op, then acknowledged.
    let mut batch = consumer
        .batch()
        .max_messages(1)
        .expires(Duration::from_secs(10))
        .messages()
        .await
        .unwrap();
    let second = batch.next().await.unwrap().unwrap();
    assert_eq!(second.info().unwrap().delivered, 2, "this is a redelivery");
    let decoded = events::decode(&second.payload).unwrap();
    assert_eq!(
        bus::apply_once(&db, "redelivery", &CountingEffect, &decoded)
            .await
            .unwrap(),
        Delivery::Duplicate
    );
    second.ack().await.unwrap();
    assert_eq!(effects(&db).await, 1);
}

#[tokio::test]
async fn the_consumer_loop_applies_each_event_once() {
    let (_nats, js, db, _dir) = setup().await;
    let cancel = CancellationToken::new();
    let spec = ConsumerSpec {
        durable: "counting".into(),
        stream: Producer::Validation.stream(),
        subjects: vec!["ogi.validation.>".into()],
    };
    let task = tokio::spawn(bus::run_consumer(
        db.clone(),
        js.clone(),
        spec,
        Arc::new(CountingEffect),
        cancel.clone(),
    ));
    let e = event("c-1");
    let subject = events::subject_of(&e).unwrap();
    bus::publish(&js, subject.clone(), &e.event_id, events::encode(&e))
        .await
        .unwrap();
    // The same event again under another message id (as after an expired duplicate window).
    bus::publish(&js, subject.clone(), "another-msg-id", events::encode(&e))
        .await
        .unwrap();
    let other = event("c-2");
    bus::publish(&js, subject, &other.event_id, events::encode(&other))
        .await
        .unwrap();
    let stream = js.get_stream(Producer::Validation.stream()).await.unwrap();
    poll_until(
        Duration::from_secs(10),
        "all three deliveries acknowledged",
        || {
            let stream = stream.clone();
            async move {
                let mut consumer: jetstream::consumer::PullConsumer =
                    stream.get_consumer("counting").await.ok()?;
                let info = consumer.info().await.ok()?;
                (info.ack_floor.stream_sequence == 3).then_some(())
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(
        effects(&db).await,
        2,
        "two distinct events, one effect each"
    );
    cancel.cancel();
    task.await.unwrap().unwrap();
}

/// A consumer that is handed events it does not handle (issue 11, finding 9).
struct IgnoringEffect;

#[async_trait::async_trait]
impl bus::EventHandler for IgnoringEffect {
    async fn handle(
        &self,
        _: &sea_orm::DatabaseTransaction,
        _: &ogi_proto::v1::EventEnvelope,
    ) -> Result<(), bus::HandlerError> {
        Err(bus::HandlerError::Ignore("not for this consumer".into()))
    }
}

/// Log lines written while it is the default subscriber (of this thread: the test runs on a
/// current-thread runtime, so the consumer task logs here too).
#[derive(Clone, Default)]
struct CapturedLog(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLog {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn an_ignored_event_is_acknowledged_counted_and_logged_at_debug_only() {
    let log = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_nats, js, db, _dir) = setup().await;
    let e = event("c-ignored");
    let delivery = bus::apply_once(&db, "ignoring", &IgnoringEffect, &e).await;
    assert!(
        matches!(delivery, Err(bus::HandlerError::Ignore(_))),
        "{delivery:?}"
    );
    let cancel = CancellationToken::new();
    let task = tokio::spawn(bus::run_consumer(
        db.clone(),
        js.clone(),
        ConsumerSpec {
            durable: "ignoring".into(),
            stream: Producer::Validation.stream(),
            subjects: vec!["ogi.validation.>".into()],
        },
        Arc::new(IgnoringEffect),
        cancel.clone(),
    ));
    let subject = events::subject_of(&e).unwrap();
    bus::publish(&js, subject, &e.event_id, events::encode(&e))
        .await
        .unwrap();
    let stream = js.get_stream(Producer::Validation.stream()).await.unwrap();
    poll_until(
        Duration::from_secs(10),
        "the ignored event acknowledged",
        || {
            let stream = stream.clone();
            async move {
                let mut consumer: jetstream::consumer::PullConsumer =
                    stream.get_consumer("ignoring").await.ok()?;
                let info = consumer.info().await.ok()?;
                (info.ack_floor.stream_sequence == 1 && info.num_redelivered == 0).then_some(())
            }
        },
    )
    .await
    .unwrap();
    let counted = ogi_platform::metrics::global().consumer("ignoring");
    assert_eq!(counted.count(Delivery::Ignored), 1);
    assert_eq!(counted.count(Delivery::Rejected), 0);
    cancel.cancel();
    task.await.unwrap().unwrap();
    // Logged, at DEBUG, and nothing at WARN or ERROR: an operator has nothing to act on.
    let text = log.text();
    let ignored: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("event ignored"))
        .collect();
    assert!(!ignored.is_empty(), "{text}");
    assert!(ignored.iter().all(|l| l.contains("DEBUG")), "{text}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("ERROR") || l.contains(" WARN ")),
        "{text}"
    );
}
