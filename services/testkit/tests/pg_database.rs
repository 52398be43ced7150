//! PgDatabase against the machine's PostgreSQL: create, use, drop.

use std::time::Duration;

use ogi_testkit::{PgDatabase, pg_admin_url, poll_until};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

async fn database_exists(name: &str) -> bool {
    let admin = Database::connect(pg_admin_url())
        .await
        .expect("admin connection");
    let row = admin
        .query_one(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT 1 AS one FROM pg_database WHERE datname = $1",
            [name.into()],
        ))
        .await
        .expect("query pg_database");
    admin.close().await.ok();
    row.is_some()
}

async fn wait_until_gone(name: &str) {
    poll_until(
        Duration::from_secs(10),
        &format!("database {name} to be dropped"),
        || async { (!database_exists(name).await).then_some(()) },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn creates_a_usable_database_and_drops_it() {
    let db = PgDatabase::create().await.expect("create test database");
    let name = db.name.clone();
    assert!(name.starts_with("ogi_test_"), "{name}");
    assert!(db.url.ends_with(&format!("/{name}")), "{}", db.url);
    assert!(database_exists(&name).await);

    let conn = db.connect().await.unwrap();
    conn.execute_unprepared("CREATE TABLE t (id integer primary key); INSERT INTO t VALUES (1)")
        .await
        .unwrap();
    let row = conn
        .query_one(Statement::from_string(
            DbBackend::Postgres,
            "SELECT current_database() AS db, count(*) AS n FROM t",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<String>("", "db").unwrap(), name);
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);

    // Dropped even while a connection to it is still open (WITH (FORCE)).
    drop(db);
    wait_until_gone(&name).await;
    drop(conn);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_are_distinct() {
    let a = PgDatabase::create().await.unwrap();
    let b = PgDatabase::create().await.unwrap();
    assert_ne!(a.name, b.name);
    assert_ne!(a.url, b.url);
}

#[test]
fn drops_outside_a_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = runtime.block_on(PgDatabase::create()).unwrap();
    let name = db.name.clone();
    assert!(runtime.block_on(database_exists(&name)));
    drop(db);
    runtime.block_on(wait_until_gone(&name));
}
