//! The catalogue projection on SQLite and PostgreSQL: each event is applied once (its id in the
//! inbox), an event older than the document's stored version changes nothing, and only rules
//! and normative documents make a catalogue "kept" for table 二.

use chrono::NaiveDate;
use ogi_core::catalogue::{CatalogueDocument, DocumentKind};
use ogi_core::report::CountedDocuments;
use ogi_platform::bus::{Delivery, apply_once};
use ogi_platform::catalogue::{event_key, to_message};
use ogi_platform::events::{EventContext, envelope};
use ogi_platform::store::{self, ServiceSchema};
use ogi_proto::v1::{self as pb, event_envelope::Payload};
use ogi_reporting::catalogue::{CatalogueProjector, consumer, kept_documents};
use sea_orm::DatabaseConnection;

const AGENCY: &str = "测试市测试区人民政府";

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn document(kind: DocumentKind, number: &str, repealed_on: Option<&str>) -> CatalogueDocument {
    CatalogueDocument {
        agency: AGENCY.into(),
        kind,
        number: number.into(),
        title: "办法".into(),
        issued_on: day("2020-01-10"),
        published_on: None,
        valid_until: None,
        repealed_on: repealed_on.map(day),
        repealed_by: None,
        url: None,
    }
}

fn event(d: &CatalogueDocument, version: u64) -> pb::EventEnvelope {
    let ctx = EventContext {
        case_id: event_key(&d.agency, &d.number),
        agency: d.agency.clone(),
        actor: "测试".into(),
    };
    let payload = if d.repealed_on.is_some() {
        Payload::CatalogueDocumentRepealed(pb::CatalogueDocumentRepealed {
            document: Some(to_message(d)),
        })
    } else {
        Payload::CatalogueDocumentRecorded(pb::CatalogueDocumentRecorded {
            document: Some(to_message(d)),
            correction: version > 1,
        })
    };
    envelope(&ctx, d.repealed_on.unwrap_or(d.issued_on), version, payload)
}

async fn apply(db: &DatabaseConnection, e: &pb::EventEnvelope) -> Delivery {
    apply_once(db, &consumer().durable, &CatalogueProjector, e)
        .await
        .unwrap()
}

async fn repealed_in_2024(db: &DatabaseConnection) -> i64 {
    let docs = kept_documents(db, AGENCY).await.unwrap().unwrap();
    CountedDocuments::count(&docs, 2024)
        .normative_documents
        .repealed
}

async fn suite(db: DatabaseConnection) {
    let info = document(DocumentKind::ReleasedInformation, "信息1", None);
    assert_eq!(apply(&db, &event(&info, 1)).await, Delivery::Applied);
    assert!(
        kept_documents(&db, AGENCY).await.unwrap().is_none(),
        "released information alone is no catalogue of documents"
    );

    let recorded = event(&document(DocumentKind::NormativeDocument, "规1", None), 1);
    let repealed = event(
        &document(DocumentKind::NormativeDocument, "规1", Some("2024-09-30")),
        2,
    );
    assert_eq!(apply(&db, &recorded).await, Delivery::Applied);
    assert_eq!(repealed_in_2024(&db).await, 0);
    assert_eq!(apply(&db, &repealed).await, Delivery::Applied);
    assert_eq!(repealed_in_2024(&db).await, 1);
    assert_eq!(apply(&db, &recorded).await, Delivery::Duplicate, "inbox");
    // The first record again under another event id: older than what is stored.
    let stale = event(&document(DocumentKind::NormativeDocument, "规1", None), 1);
    assert_eq!(apply(&db, &stale).await, Delivery::Applied);
    assert_eq!(
        repealed_in_2024(&db).await,
        1,
        "an older version changes nothing"
    );
    let docs = kept_documents(&db, AGENCY).await.unwrap().unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(
        CountedDocuments::count(&docs, 2023)
            .normative_documents
            .in_force,
        1
    );
}

#[tokio::test]
async fn catalogue_projection_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = store::sqlite_url(&dir.path().join("reporting.db"));
    suite(store::open(&url, ServiceSchema::Reporting).await.unwrap()).await;
}

#[tokio::test]
async fn catalogue_projection_on_postgres() {
    let pg = ogi_testkit::PgDatabase::create().await.unwrap();
    suite(
        store::open(&pg.url, ServiceSchema::Reporting)
            .await
            .unwrap(),
    )
    .await;
}
