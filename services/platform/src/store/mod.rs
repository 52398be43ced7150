//! Storage: one database per service, SQLite files by default and PostgreSQL in production.
//! The same migrations and the same repository test suite run on both.

pub mod entities;
pub mod migrations;
pub mod repo;

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

/// Which service's tables a database holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceSchema {
    Intake,
    Validation,
    Approval,
    Publishing,
    Reporting,
    Accounts,
}

/// Connect to `url` (`sqlite://path?mode=rwc` or `postgres://…`) and bring the schema up to date.
pub async fn open(url: &str, schema: ServiceSchema) -> anyhow::Result<DatabaseConnection> {
    let db = connect(url).await?;
    migrate(&db, schema).await?;
    Ok(db)
}

/// PostgreSQL's `statement_timeout` and `idle_in_transaction_session_timeout` on every
/// connection of a service.
pub const STATEMENT_TIMEOUT: &str = "60s";
pub const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

/// Connect without migrating.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        // SQLite allows one writer: one connection serialises the service's transactions
        // instead of failing them with SQLITE_BUSY. Code inside a transaction must use it.
        options.max_connections(1).min_connections(1);
    } else {
        // Four services share one PostgreSQL server (max_connections 100 by default); idle
        // connections are given back.
        options
            .max_connections(8)
            .min_connections(1)
            .idle_timeout(Duration::from_secs(30))
            // No statement and no open transaction holds a connection (and its locks) forever:
            // a stuck one fails, and its work is retried (consumers) or reported (commands).
            .map_sqlx_postgres_opts(|pg| {
                pg.options([
                    ("statement_timeout", STATEMENT_TIMEOUT),
                    (
                        "idle_in_transaction_session_timeout",
                        IDLE_IN_TRANSACTION_TIMEOUT,
                    ),
                ])
            });
    }
    let db = Database::connect(options).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        db.execute_unprepared(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
        )
        .await?;
    }
    Ok(db)
}

/// Apply the service's pending migrations.
///
/// On PostgreSQL, replicas of a service starting together (or beside the migration Job) take
/// turns: each holds a transaction-scoped advisory lock of its schema while it migrates, so
/// the second finds the work done instead of racing the first's `CREATE TABLE`.
pub async fn migrate(db: &DatabaseConnection, schema: ServiceSchema) -> anyhow::Result<()> {
    let turn = if db.get_database_backend() == DbBackend::Postgres {
        let txn = db.begin().await?;
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [MIGRATION_LOCK.wrapping_add(schema as i64).into()],
        ))
        .await?;
        Some(txn)
    } else {
        None
    };
    let migrated = run_migrations(db, schema).await;
    if let Some(txn) = turn {
        txn.commit().await?;
    }
    migrated
}

/// The advisory lock key of ogi's migrations ("ogi-migr" in ASCII), plus the schema's index.
const MIGRATION_LOCK: i64 = 0x6f67_692d_6d69_6772;

async fn run_migrations(db: &DatabaseConnection, schema: ServiceSchema) -> anyhow::Result<()> {
    use migrations::*;
    match schema {
        ServiceSchema::Intake => IntakeMigrator::up(db, None).await?,
        ServiceSchema::Validation => ValidationMigrator::up(db, None).await?,
        ServiceSchema::Approval => ApprovalMigrator::up(db, None).await?,
        ServiceSchema::Publishing => PublishingMigrator::up(db, None).await?,
        ServiceSchema::Reporting => ReportingMigrator::up(db, None).await?,
        ServiceSchema::Accounts => AccountsMigrator::up(db, None).await?,
    }
    Ok(())
}

/// The SQLite URL of a file, created when missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}
