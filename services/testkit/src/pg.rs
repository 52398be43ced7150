//! A fresh PostgreSQL database for one test.

use std::time::Duration;

use anyhow::Context;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// The admin connection URL used to create and drop test databases:
/// `$OGI_TEST_PG_ADMIN_URL`, by default `postgres://postgres@127.0.0.1:5432/postgres`.
pub fn pg_admin_url() -> String {
    std::env::var("OGI_TEST_PG_ADMIN_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database `ogi_test_<uuid>` created for one test and dropped
/// (`DROP DATABASE .. WITH (FORCE)`, closing open connections) on drop.
#[derive(Debug)]
pub struct PgDatabase {
    /// Connection URL of this database, for `sea_orm::Database::connect`.
    pub url: String,
    /// The database name, `ogi_test_<uuid simple>`.
    pub name: String,
}

impl PgDatabase {
    /// Creates a new, empty database through the admin URL ([`pg_admin_url`]).
    /// Fails (it does not skip) when PostgreSQL cannot be reached.
    pub async fn create() -> anyhow::Result<PgDatabase> {
        let admin_url = pg_admin_url();
        let name = format!("ogi_test_{}", uuid::Uuid::now_v7().simple());
        let url = database_url(&admin_url, &name)?;

        let admin = connect_admin(&admin_url).await?;
        let created = admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .with_context(|| format!("CREATE DATABASE {name}"));
        admin.close().await.ok();
        created?;
        Ok(PgDatabase { url, name })
    }

    /// Opens a sea-orm connection to this database.
    pub async fn connect(&self) -> anyhow::Result<DatabaseConnection> {
        Database::connect(&self.url)
            .await
            .with_context(|| format!("connect to test database {}", self.name))
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop is synchronous and may run inside (or outside) a tokio runtime,
        // so drop the database from a thread with its own small runtime.
        let name = self.name.clone();
        let result = std::thread::Builder::new()
            .name("ogi-testkit-dropdb".to_owned())
            .spawn(move || -> anyhow::Result<()> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("build a runtime")?;
                runtime.block_on(async {
                    let admin = connect_admin(&pg_admin_url()).await?;
                    let dropped = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await
                        .with_context(|| format!("DROP DATABASE {name}"));
                    admin.close().await.ok();
                    dropped.map(|_| ())
                })
            })
            .map_err(anyhow::Error::from)
            .and_then(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the drop thread panicked")))
            });
        if let Err(err) = result {
            eprintln!(
                "ogi-testkit: could not drop test database {}: {err:#}",
                self.name
            );
        }
    }
}

async fn connect_admin(admin_url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(admin_url.to_owned());
    options
        .max_connections(1)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    Database::connect(options).await.with_context(|| {
        format!(
            "connect to PostgreSQL at {admin_url} (set OGI_TEST_PG_ADMIN_URL; \
             tests need a running PostgreSQL, they do not skip without one)"
        )
    })
}

/// `admin_url` with its path (the database name) replaced by `name`; the
/// query string, if any, is kept.
fn database_url(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let scheme_end = base
        .find("://")
        .map(|i| i + 3)
        .with_context(|| format!("not a URL: {admin_url}"))?;
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..authority_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn replaces_the_database_in_the_url() {
        let url = |admin| database_url(admin, "db1").unwrap();
        assert_eq!(
            url("postgres://postgres@127.0.0.1:5432/postgres"),
            "postgres://postgres@127.0.0.1:5432/db1"
        );
        assert_eq!(
            url("postgres://u:p@h:1/postgres?sslmode=disable"),
            "postgres://u:p@h:1/db1?sslmode=disable"
        );
        assert_eq!(url("postgres://h"), "postgres://h/db1");
        assert!(database_url("nonsense", "db1").is_err());
    }
}
