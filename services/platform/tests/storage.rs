//! One repository test suite, run on SQLite and on a fresh PostgreSQL database.

mod common;

use chrono::{NaiveDate, Utc};
use ogi_platform::bus::{self, Delivery};
use ogi_platform::events;
use ogi_platform::store::{self, ServiceSchema, entities::*, repo};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, EntityTrait, PaginatorTrait, Set, TransactionTrait,
};

use common::{CountingEffect, FailingEffect, effects, event};

/// `db` holds intake's tables, `cases` approval's (one database per service).
async fn suite(db: DatabaseConnection, cases: DatabaseConnection) {
    // Migrations are idempotent.
    store::migrate(&db, ServiceSchema::Intake).await.unwrap();
    store::migrate(&db, ServiceSchema::Intake).await.unwrap();
    store::migrate(&cases, ServiceSchema::Approval)
        .await
        .unwrap();
    store::migrate(&cases, ServiceSchema::Approval)
        .await
        .unwrap();

    // Outbox: a rolled-back transaction leaves no event; a committed one does.
    let txn = db.begin().await.unwrap();
    bus::append_outbox(&txn, &event("c-1")).await.unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(bus::outbox_backlog(&db).await.unwrap(), 0);
    let e = event("c-1");
    let txn = db.begin().await.unwrap();
    bus::append_outbox(&txn, &e).await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(bus::outbox_backlog(&db).await.unwrap(), 1);
    let row = outbox::Entity::find().one(&db).await.unwrap().unwrap();
    assert_eq!(row.subject, "ogi.validation.application.corrected");
    assert_eq!(events::decode(&row.payload).unwrap(), e);
    // The same event id cannot enter the outbox twice.
    let txn = db.begin().await.unwrap();
    assert!(bus::append_outbox(&txn, &e).await.is_err());
    txn.rollback().await.unwrap();

    // Inbox: the second delivery of one event is a no-op.
    assert_eq!(
        bus::apply_once(&db, "t", &CountingEffect, &e)
            .await
            .unwrap(),
        Delivery::Applied
    );
    assert_eq!(
        bus::apply_once(&db, "t", &CountingEffect, &e)
            .await
            .unwrap(),
        Delivery::Duplicate
    );
    // Another consumer applies it on its own.
    assert_eq!(
        bus::apply_once(&db, "u", &CountingEffect, &e)
            .await
            .unwrap(),
        Delivery::Applied
    );
    // A failed effect leaves neither effect nor inbox row.
    let f = event("c-1");
    assert!(bus::apply_once(&db, "t", &FailingEffect, &f).await.is_err());
    assert_eq!(
        bus::apply_once(&db, "t", &CountingEffect, &f)
            .await
            .unwrap(),
        Delivery::Applied
    );
    assert_eq!(effects(&db).await, 3, "three applied deliveries, no more");
    assert_eq!(inbox::Entity::find().count(&db).await.unwrap(), 3);

    // A batch in one transaction: an id already applied, and one twice in the batch, are
    // skipped; a failing effect rolls the whole batch back, effects and inbox rows alike.
    let (g, h) = (event("c-1"), event("c-1"));
    let batch = [e.clone(), g.clone(), g.clone(), h.clone()];
    assert!(
        bus::apply_batch(&db, "t", &FailingEffect, &batch)
            .await
            .is_err()
    );
    assert_eq!(inbox::Entity::find().count(&db).await.unwrap(), 3);
    assert_eq!(
        bus::apply_batch(&db, "t", &CountingEffect, &batch)
            .await
            .unwrap(),
        vec![
            Delivery::Duplicate,
            Delivery::Applied,
            Delivery::Duplicate,
            Delivery::Applied
        ]
    );
    assert_eq!(effects(&db).await, 5, "two more applied in the batch");
    assert_eq!(inbox::Entity::find().count(&db).await.unwrap(), 5);

    // Counters: per scope and year, from 1.
    assert_eq!(
        repo::next_number(&db, "receipt:甲局", 2024).await.unwrap(),
        1
    );
    assert_eq!(
        repo::next_number(&db, "receipt:甲局", 2024).await.unwrap(),
        2
    );
    assert_eq!(
        repo::next_number(&db, "receipt:甲局", 2025).await.unwrap(),
        1
    );
    assert_eq!(
        repo::next_number(&db, "receipt:乙局", 2024).await.unwrap(),
        1
    );

    // Applications: (agency, reference) is unique.
    let app = |case_id: &str, receipt: &str| applications::ActiveModel {
        case_id: Set(case_id.into()),
        agency: Set("甲局".into()),
        reference: Set("AJ2024-00017".into()),
        receipt_number: Set(receipt.into()),
        channel: Set("online".into()),
        received_on: Set(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap()),
        record: Set("{}".into()),
        status: Set("received".into()),
        version: Set(1),
        created_at: Set(Utc::now()),
    };
    app("a", "R1").insert(&db).await.unwrap();
    assert!(
        app("b", "R2").insert(&db).await.is_err(),
        "same agency and reference"
    );
    // Receipt numbers (回执编号) are unique per agency: another agency issues the same one.
    let other = applications::ActiveModel {
        case_id: Set("c".into()),
        agency: Set("乙局".into()),
        ..app("c", "R1")
    };
    other.insert(&db).await.unwrap();
    let same_receipt = applications::ActiveModel {
        reference: Set("AJ2024-00018".into()),
        ..app("d", "R1")
    };
    assert!(
        same_receipt.insert(&db).await.is_err(),
        "same agency and receipt number"
    );

    // Case files: optimistic concurrency.
    let db = cases;
    let file = case_files::Model {
        case_id: "c-1".into(),
        agency: "甲局".into(),
        stage: "in_progress".into(),
        received_on: NaiveDate::from_ymd_opt(2024, 3, 5).unwrap(),
        due_on: NaiveDate::from_ymd_opt(2024, 4, 2),
        state: "{}".into(),
        version: 1,
        updated_at: Utc::now(),
    };
    assert!(repo::save_case_file(&db, file.clone(), None).await.unwrap());
    assert!(
        !repo::save_case_file(&db, file.clone(), None).await.unwrap(),
        "insert twice"
    );
    let v2 = case_files::Model {
        version: 2,
        stage: "drafted".into(),
        ..file.clone()
    };
    assert!(
        repo::save_case_file(&db, v2.clone(), Some(1))
            .await
            .unwrap()
    );
    assert!(
        !repo::save_case_file(&db, v2, Some(1)).await.unwrap(),
        "stale version"
    );
    let stored = case_files::Entity::find_by_id("c-1")
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.version, stored.stage.as_str()), (2, "drafted"));
}

#[tokio::test]
async fn storage_suite_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = store::connect(&store::sqlite_url(&dir.path().join("intake.db")))
        .await
        .unwrap();
    let cases = store::connect(&store::sqlite_url(&dir.path().join("approval.db")))
        .await
        .unwrap();
    suite(db, cases).await;
}

#[tokio::test]
async fn storage_suite_on_postgres() {
    let intake = ogi_testkit::PgDatabase::create().await.unwrap();
    let approval = ogi_testkit::PgDatabase::create().await.unwrap();
    let db = store::connect(&intake.url).await.unwrap();
    let cases = store::connect(&approval.url).await.unwrap();
    suite(db.clone(), cases.clone()).await;
    db.close().await.unwrap();
    cases.close().await.unwrap();
}

/// Replicas starting together on one PostgreSQL database migrate in turn: all of them start.
#[tokio::test(flavor = "multi_thread")]
async fn replicas_migrating_together_on_postgres_take_turns() {
    for schema in [ServiceSchema::Intake, ServiceSchema::Reporting] {
        let pg = ogi_testkit::PgDatabase::create().await.unwrap();
        let opened = futures::future::join_all((0..4).map(|_| store::open(&pg.url, schema))).await;
        for db in opened {
            db.unwrap();
        }
    }
}

/// m0005 on a database with applications in it (SQLite rebuilds the table): the rows stay, and
/// afterwards another agency may issue the same receipt number.
async fn receipt_numbers_become_per_agency(url: &str) {
    use ogi_platform::store::migrations::IntakeMigrator;
    use sea_orm_migration::MigratorTrait;
    let db = store::connect(url).await.unwrap();
    // Up to m0003 (messaging, counters, applications), as an earlier release left it.
    IntakeMigrator::up(&db, Some(3)).await.unwrap();
    let app = |case_id: &str, agency: &str| applications::ActiveModel {
        case_id: Set(case_id.into()),
        agency: Set(agency.into()),
        reference: Set(format!("{case_id}-ref")),
        receipt_number: Set("2024-00001".into()),
        channel: Set("online".into()),
        received_on: Set(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap()),
        record: Set("{\"kept\":true}".into()),
        status: Set("received".into()),
        version: Set(1),
        created_at: Set(Utc::now()),
    };
    app("a", "甲局").insert(&db).await.unwrap();
    assert!(app("b", "乙局").insert(&db).await.is_err(), "before m0005");
    store::migrate(&db, ServiceSchema::Intake).await.unwrap();
    let kept = applications::Entity::find_by_id("a".to_string())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.record, "{\"kept\":true}");
    app("b", "乙局").insert(&db).await.unwrap();
    assert!(app("c", "甲局").insert(&db).await.is_err(), "same agency");
}

#[tokio::test]
async fn receipt_numbers_become_per_agency_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    receipt_numbers_become_per_agency(&store::sqlite_url(&dir.path().join("intake.db"))).await;
}

#[tokio::test]
async fn receipt_numbers_become_per_agency_on_postgres() {
    let pg = ogi_testkit::PgDatabase::create().await.unwrap();
    receipt_numbers_become_per_agency(&pg.url).await;
}

#[tokio::test]
async fn postgres_connections_time_out_stuck_statements_and_transactions() {
    use sea_orm::{ConnectionTrait, Statement};
    let pg = ogi_testkit::PgDatabase::create().await.unwrap();
    let db = store::connect(&pg.url).await.unwrap();
    for (setting, expected) in [
        ("statement_timeout", "1min"),
        ("idle_in_transaction_session_timeout", "1min"),
    ] {
        let row = db
            .query_one(Statement::from_string(
                db.get_database_backend(),
                format!("SHOW {setting}"),
            ))
            .await
            .unwrap()
            .unwrap();
        let value: String = row.try_get_by_index(0).unwrap();
        assert_eq!(value, expected, "{setting}");
    }
}
