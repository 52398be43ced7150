//! Where the services of `ogi dev` keep their data: a SQLite file each under the data
//! directory, or a database each on a PostgreSQL server (`--postgres`), created when missing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

/// PostgreSQL's limit on identifiers (database names), in bytes.
const MAX_IDENTIFIER_BYTES: usize = 63;

pub enum Storage {
    Sqlite { dir: PathBuf },
    Postgres(Postgres),
}

/// A PostgreSQL server and the prefix of the services' database names (`ogi_` → `ogi_intake`).
pub struct Postgres {
    /// scheme://authority of `--postgres`, without a database.
    server: String,
    /// The database to connect to for creating the others: the URL's own, else `postgres`.
    maintenance_db: String,
    /// The URL's query string, kept for every database (e.g. `sslmode=require`).
    query: Option<String>,
    prefix: String,
}

/// A service's database, ready for the service to migrate.
pub struct Prepared {
    pub url: String,
    /// Whether it did not exist before (a new SQLite file or a database just created).
    pub created: bool,
}

impl Storage {
    pub fn sqlite(dir: &Path) -> Storage {
        Storage::Sqlite {
            dir: dir.to_path_buf(),
        }
    }

    /// The database of `service`, created when missing.
    pub async fn prepare(&self, service: &str) -> anyhow::Result<Prepared> {
        match self {
            Storage::Sqlite { dir } => {
                let file = dir.join(format!("{service}.db"));
                Ok(Prepared {
                    created: !file.exists(),
                    url: format!("sqlite://{}?mode=rwc", file.display()),
                })
            }
            Storage::Postgres(pg) => pg.prepare(service).await,
        }
    }

    /// One line for the start-up summary: where the data is.
    pub fn describe(&self) -> Option<String> {
        match self {
            Storage::Sqlite { .. } => None,
            Storage::Postgres(pg) => Some(format!(
                "{}（每个服务一个数据库：{}）",
                redact_password(&pg.server),
                crate::endpoints::SERVICES
                    .iter()
                    .map(|(name, _, _)| pg.database_name(name))
                    .collect::<Vec<_>>()
                    .join("、")
            )),
        }
    }
}

impl Postgres {
    /// Parse `--postgres` (postgres://USER@HOST:PORT[/DB][?QUERY]) and `--database-prefix`;
    /// the error names the option and says what is wrong, in Chinese.
    pub fn new(url: &str, prefix: &str) -> anyhow::Result<Postgres> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .with_context(|| {
                format!("--postgres：「{url}」不是 PostgreSQL 地址，应为 postgres://用户@主机:端口")
            })?;
        let (base, query) = match rest.split_once('?') {
            Some((base, query)) => (base, Some(query.to_string())),
            None => (rest, None),
        };
        let (authority, database) = match base.split_once('/') {
            Some((authority, database)) => (authority, database),
            None => (base, ""),
        };
        anyhow::ensure!(
            !authority.is_empty(),
            "--postgres：「{url}」缺少主机，应为 postgres://用户@主机:端口"
        );
        let valid_prefix = prefix
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && prefix.starts_with(|c: char| c.is_ascii_lowercase() || c == '_');
        anyhow::ensure!(
            valid_prefix,
            "--database-prefix：「{prefix}」不可用，数据库名前缀只能由小写字母、数字和下划线组成，且以字母或下划线开头"
        );
        let longest = crate::endpoints::SERVICES
            .iter()
            .map(|(name, _, _)| prefix.len() + name.len())
            .max()
            .unwrap_or(0);
        anyhow::ensure!(
            longest <= MAX_IDENTIFIER_BYTES,
            "--database-prefix：「{prefix}」过长，加上服务名后超过 PostgreSQL 数据库名的{MAX_IDENTIFIER_BYTES}字节上限"
        );
        Ok(Postgres {
            server: format!("postgres://{authority}"),
            maintenance_db: if database.is_empty() {
                "postgres".into()
            } else {
                database.into()
            },
            query,
            prefix: prefix.into(),
        })
    }

    pub fn database_name(&self, service: &str) -> String {
        format!("{}{service}", self.prefix)
    }

    fn url_of(&self, database: &str) -> String {
        match &self.query {
            Some(query) => format!("{}/{database}?{query}", self.server),
            None => format!("{}/{database}", self.server),
        }
    }

    async fn prepare(&self, service: &str) -> anyhow::Result<Prepared> {
        let name = self.database_name(service);
        let admin = self.connect_maintenance().await?;
        let result = create_if_missing(&admin, &name).await;
        admin.close().await.ok();
        let created = result.with_context(|| {
            format!(
                "无法在 PostgreSQL {} 上创建数据库 {name}：该用户需要 CREATEDB 权限",
                redact_password(&self.server)
            )
        })?;
        Ok(Prepared {
            url: self.url_of(&name),
            created,
        })
    }

    async fn connect_maintenance(&self) -> anyhow::Result<DatabaseConnection> {
        let url = self.url_of(&self.maintenance_db);
        let mut options = ConnectOptions::new(url.clone());
        options
            .max_connections(1)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Database::connect(options).await.with_context(|| {
            format!(
                "无法连接 PostgreSQL {}：请确认服务器已启动、地址与用户正确",
                redact_password(&url)
            )
        })
    }
}

/// `CREATE DATABASE` unless it exists; whether it was created. Another `ogi dev` creating it
/// at the same moment counts as existing.
async fn create_if_missing(admin: &DatabaseConnection, name: &str) -> anyhow::Result<bool> {
    let exists = || async {
        let row = admin
            .query_one(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM pg_database WHERE datname = $1",
                [name.into()],
            ))
            .await?;
        Ok::<_, anyhow::Error>(row.is_some())
    };
    if exists().await? {
        return Ok(false);
    }
    // The name is checked (lowercase letters, digits, underscores), so quoting is enough.
    match admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
    {
        Ok(_) => Ok(true),
        Err(_) if exists().await? => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// The URL with its password, if any, replaced by `***`.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_per_service_on_the_given_server() {
        let pg = Postgres::new("postgres://ogi@db.example:5433", "ogi_").unwrap();
        assert_eq!(pg.database_name("intake"), "ogi_intake");
        assert_eq!(
            pg.url_of("ogi_intake"),
            "postgres://ogi@db.example:5433/ogi_intake"
        );
        assert_eq!(pg.maintenance_db, "postgres");

        let pg = Postgres::new("postgresql://u:secret@h:1/admin?sslmode=require", "x_").unwrap();
        assert_eq!(pg.maintenance_db, "admin");
        assert_eq!(
            pg.url_of("x_reporting"),
            "postgres://u:secret@h:1/x_reporting?sslmode=require"
        );
        assert_eq!(redact_password(&pg.server), "postgres://u:***@h:1");
        assert_eq!(
            redact_password("postgres://u@h:1/db"),
            "postgres://u@h:1/db"
        );
    }

    #[test]
    fn bad_options_are_named_in_the_error() {
        let error = |url: &str, prefix: &str| Postgres::new(url, prefix).err().unwrap().to_string();
        assert!(error("mysql://h", "ogi_").starts_with("--postgres："));
        assert!(error("postgres:///db", "ogi_").starts_with("--postgres："));
        assert!(error("postgres://h", "Ogi").starts_with("--database-prefix："));
        assert!(error("postgres://h", "ogi\"; DROP").starts_with("--database-prefix："));
        assert!(error("postgres://h", "1ogi").starts_with("--database-prefix："));
        assert!(error("postgres://h", &"a".repeat(60)).contains("63字节"));
    }
}
