//! Typed service configuration, layered: built-in defaults → TOML file → environment → flags.
//! The environment and flags are read by each binary's clap parser (`env = "OGI_…"`), which
//! hands its values here as [`Overrides`]; [`ServiceConfig::validate`] runs at start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use ogi_core::deadline::DeadlinePolicy;

/// The configuration every service has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceConfig {
    /// gRPC listen address.
    pub listen: SocketAddr,
    /// Admin HTTP address (`/livez`, `/readyz`, `/metrics`); no admin server when unset.
    pub admin_listen: Option<SocketAddr>,
    /// Database URL: `sqlite://file?mode=rwc` or `postgres://…`.
    pub database_url: String,
    /// NATS URL.
    pub nats_url: String,
    /// The accounts service, whose keys verify every call's token (`http://host:50056`).
    pub accounts_url: String,
    /// A production deployment: the all-roles local operator of `ogi dev` is refused.
    pub production: bool,
    /// Stream replicas (1 on one server, 3 on a cluster).
    pub stream_replicas: usize,
    /// Extra calendar years (a file shaped like china-workdays.toml), loaded over the shipped ones.
    pub calendar_file: Option<PathBuf>,
    /// Seconds allowed for in-flight work after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// JSON log lines.
    pub log_json: bool,
    /// OpenTelemetry collector to send traces to, over OTLP/gRPC (`http://otel-collector:4317`);
    /// no trace export when unset.
    pub otlp_endpoint: Option<String>,
    /// Statutory periods and the project rules (补正 period, fee pause…).
    pub deadlines: DeadlinePolicy,
    /// The last plausible year of any date or report year (from 2008, the regulations' era, up
    /// to this); a configured horizon, because no rule reads the wall clock.
    pub year_horizon: i32,
    /// The key that signs list page tokens (HMAC); a random one per process when unset, so a
    /// page token then holds only against the replica that issued it.
    pub page_token_key: Option<String>,
    /// Per-agency settings (行政机关), by the agency's name as printed on the report.
    pub agencies: std::collections::BTreeMap<String, AgencySettings>,
    /// Sign-in timing: how often keys and ended sessions are re-read, and (for tests and
    /// drills) lifetimes in seconds that override the security policy's.
    pub auth: AuthSettings,
    /// Migrate the database and exit (set by `--migrate-only`, never from the file).
    #[serde(skip)]
    pub migrate_only: bool,
}

/// What an agency configures; an agency not listed gets the defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgencySettings {
    /// Approval levels a draft decision passes (审批层级), at least 1.
    pub approval_levels: u32,
    /// Document-number prefix of its letters (e.g. 安府信公).
    pub document_prefix: Option<String>,
    /// Review organ (复议机关) and court for the remedy clause.
    pub review_organ: Option<String>,
    pub court: Option<String>,
    /// The parent agency (a department under a district government).
    pub parent: Option<String>,
}

impl Default for AgencySettings {
    fn default() -> Self {
        Self {
            approval_levels: 1,
            document_prefix: None,
            review_organ: None,
            court: None,
            parent: None,
        }
    }
}

/// Sign-in timing of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// Seconds between two reads of the accounts service's public keys and ended sessions: a
    /// disabled user or changed roles are refused everywhere within this (1 to 60).
    pub revocation_refresh_secs: u64,
    /// Accounts only: access tokens live this many seconds instead of the security policy's
    /// `token_minutes` (tests and drills).
    pub token_lifetime_secs: Option<u64>,
    /// Accounts only: sessions last this many seconds instead of the policy's
    /// `session_max_hours` (tests and drills).
    pub session_lifetime_secs: Option<u64>,
    /// Accounts only: the signing keys as files (a mounted Kubernetes Secret) instead of the
    /// database: Ed25519 private keys `<key id>.pem` (PKCS#8) and a file `current` naming the
    /// key that signs; the others only verify. Re-read on every use: rotation is editing the
    /// Secret (deploy/README.md).
    pub signing_keys_dir: Option<PathBuf>,
    /// Accounts only: single sign-on through the agency's OpenID Connect provider.
    pub oidc: Option<OidcSettings>,
}

/// An agency's OpenID Connect provider (统一身份认证), for `ogi login --sso`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The issuer, exactly as in its ID tokens (`https://sso.example.gov.cn/realms/agency`);
    /// its discovery document is at `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// ogi's client id at the provider.
    pub client_id: String,
    /// ogi's client secret, if the provider gave one (else the environment variable
    /// OGI_OIDC_CLIENT_SECRET, if set).
    #[serde(default)]
    pub client_secret: Option<String>,
    /// The ID token claim holding the ogi user name (the user must exist in ogi).
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
}

fn default_username_claim() -> String {
    "preferred_username".into()
}

impl Default for AuthSettings {
    fn default() -> Self {
        AuthSettings {
            revocation_refresh_secs: 60,
            token_lifetime_secs: None,
            session_lifetime_secs: None,
            signing_keys_dir: None,
            oidc: None,
        }
    }
}

impl ServiceConfig {
    /// The settings of `agency`, defaults when not configured.
    pub fn agency(&self, agency: &str) -> AgencySettings {
        self.agencies.get(agency).cloned().unwrap_or_default()
    }

    /// `agency` and every configured agency below it (whose `parent` chain leads to it), in
    /// name order after `agency` itself.
    pub fn with_subordinates(&self, agency: &str) -> Vec<String> {
        let mut out = vec![agency.to_string()];
        let mut i = 0;
        while i < out.len() {
            let head = out[i].clone();
            for (name, settings) in &self.agencies {
                if settings.parent.as_deref() == Some(head.as_str()) && !out.contains(name) {
                    out.push(name.clone());
                }
            }
            i += 1;
        }
        out
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_listen: None,
            database_url: "sqlite://ogi.db?mode=rwc".into(),
            nats_url: "nats://127.0.0.1:4222".into(),
            accounts_url: "http://127.0.0.1:50056".into(),
            production: false,
            stream_replicas: 1,
            calendar_file: None,
            shutdown_grace_secs: 20,
            log_json: false,
            otlp_endpoint: None,
            deadlines: DeadlinePolicy::default(),
            year_horizon: ogi_core::limits::DEFAULT_YEAR_HORIZON,
            page_token_key: None,
            agencies: Default::default(),
            auth: AuthSettings::default(),
            migrate_only: false,
        }
    }
}

/// Values from the environment or flags; `None` keeps the lower layer.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
    pub database_url: Option<String>,
    pub nats_url: Option<String>,
    pub accounts_url: Option<String>,
    pub calendar_file: Option<PathBuf>,
    pub log_json: Option<bool>,
    pub otlp_endpoint: Option<String>,
}

/// A configuration that cannot be used, with the reason in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("无法读取配置文件 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("配置文件 {path} 格式错误：{source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("配置项 {field} 无效：{reason}")]
    Invalid { field: &'static str, reason: String },
}

impl ServiceConfig {
    /// Layer `defaults` → `file` → `overrides`, then validate.
    pub fn load(
        defaults: ServiceConfig,
        file: Option<&Path>,
        overrides: Overrides,
    ) -> Result<ServiceConfig, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.into(),
                    source,
                })?;
                // Fields missing from the file keep the service's defaults.
                let mut base =
                    toml::Table::try_from(&defaults).map_err(|e| ConfigError::Invalid {
                        field: "defaults",
                        reason: e.to_string(),
                    })?;
                let file_table: toml::Table =
                    toml::from_str(&text).map_err(|source| ConfigError::Parse {
                        path: path.into(),
                        source,
                    })?;
                for (k, v) in file_table {
                    base.insert(k, v);
                }
                base.try_into().map_err(|source| ConfigError::Parse {
                    path: path.into(),
                    source,
                })?
            }
            None => defaults,
        };
        if let Some(v) = overrides.listen {
            config.listen = v;
        }
        if let Some(v) = overrides.admin_listen {
            config.admin_listen = Some(v);
        }
        if let Some(v) = overrides.database_url {
            config.database_url = v;
        }
        if let Some(v) = overrides.nats_url {
            config.nats_url = v;
        }
        if let Some(v) = overrides.accounts_url {
            config.accounts_url = v;
        }
        if let Some(v) = overrides.calendar_file {
            config.calendar_file = Some(v);
        }
        if let Some(v) = overrides.log_json {
            config.log_json = v;
        }
        if let Some(v) = overrides.otlp_endpoint {
            config.otlp_endpoint = Some(v);
        }
        config.validate()?;
        Ok(config)
    }

    /// Check what can be checked before connecting anywhere.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.database_url.starts_with("sqlite:") || self.database_url.starts_with("postgres"))
        {
            return Err(ConfigError::Invalid {
                field: "database_url",
                reason: format!(
                    "应以 sqlite: 或 postgres:// 开头，实际为「{}」",
                    self.database_url
                ),
            });
        }
        if !(self.nats_url.starts_with("nats://") || self.nats_url.starts_with("tls://")) {
            return Err(ConfigError::Invalid {
                field: "nats_url",
                reason: format!("应以 nats:// 开头，实际为「{}」", self.nats_url),
            });
        }
        if !(self.accounts_url.starts_with("http://") || self.accounts_url.starts_with("https://"))
        {
            return Err(ConfigError::Invalid {
                field: "accounts_url",
                reason: format!(
                    "应以 http:// 或 https:// 开头，实际为「{}」",
                    self.accounts_url
                ),
            });
        }
        if !(1..=60).contains(&self.auth.revocation_refresh_secs) {
            return Err(ConfigError::Invalid {
                field: "auth.revocation_refresh_secs",
                reason: "应为1至60秒（停用用户须在一分钟内处处生效）".into(),
            });
        }
        if self.auth.token_lifetime_secs == Some(0) || self.auth.session_lifetime_secs == Some(0) {
            return Err(ConfigError::Invalid {
                field: "auth",
                reason: "登录凭据与会话的有效期须大于0秒".into(),
            });
        }
        if !(1..=5).contains(&self.stream_replicas) {
            return Err(ConfigError::Invalid {
                field: "stream_replicas",
                reason: "应为1至5".into(),
            });
        }
        let d = &self.deadlines;
        if d.reply_days == 0 || d.correction_notice_days == 0 || d.max_extension_days > 20 {
            return Err(ConfigError::Invalid {
                field: "deadlines",
                reason: "答复期限与补正告知期限须大于0，延期不得超过20个工作日（第三十三条）"
                    .into(),
            });
        }
        if !(ogi_core::limits::FIRST_YEAR..=9999).contains(&self.year_horizon) {
            return Err(ConfigError::Invalid {
                field: "year_horizon",
                reason: format!(
                    "应为{}至9999之间的年份，实际为{}",
                    ogi_core::limits::FIRST_YEAR,
                    self.year_horizon
                ),
            });
        }
        if let Some((name, _)) = self.agencies.iter().find(|(_, a)| a.approval_levels == 0) {
            return Err(ConfigError::Invalid {
                field: "agencies.approval_levels",
                reason: format!("{name}的审批层级至少为1"),
            });
        }
        // The hierarchy (上级机关) must end: no agency may be its own ancestor.
        for name in self.agencies.keys() {
            let mut seen = vec![name.as_str()];
            let mut at = name.as_str();
            while let Some(parent) = self.agencies.get(at).and_then(|a| a.parent.as_deref()) {
                if seen.contains(&parent) {
                    return Err(ConfigError::Invalid {
                        field: "agencies.parent",
                        reason: format!("{name}的上级机关形成循环：{}→{parent}", seen.join("→")),
                    });
                }
                seen.push(parent);
                at = parent;
            }
        }
        if let Some(endpoint) = &self.otlp_endpoint {
            check_otlp_endpoint(endpoint).map_err(|reason| ConfigError::Invalid {
                field: "otlp_endpoint",
                reason,
            })?;
        }
        if let Some(path) = &self.calendar_file
            && !path.exists()
        {
            return Err(ConfigError::Invalid {
                field: "calendar_file",
                reason: format!("文件 {} 不存在", path.display()),
            });
        }
        Ok(())
    }
}

/// An OTLP/gRPC endpoint is an http:// or https:// URL with a host and no path (gRPC puts the
/// method in the path); the reason in Chinese when it is not.
fn check_otlp_endpoint(endpoint: &str) -> Result<(), String> {
    let example = "如 http://otel-collector:4317";
    if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
        return Err(format!(
            "应为以 http:// 或 https:// 开头的 OTLP/gRPC 地址（{example}），实际为「{endpoint}」"
        ));
    }
    let uri: tonic::codegen::http::Uri = endpoint
        .parse()
        .map_err(|e| format!("「{endpoint}」不是有效的地址：{e}"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("「{endpoint}」缺少主机名（{example}）"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(format!(
            "OTLP/gRPC 地址不带路径（{example}；/v1/traces 是 OTLP/HTTP 的路径），实际为「{endpoint}」"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("intake.toml");
        std::fs::write(&file, "nats_url = \"nats://10.0.0.1:4222\"\nshutdown_grace_secs = 5\n[deadlines]\nfee_notice_pauses_clock = false\n").unwrap();
        let overrides = Overrides {
            nats_url: Some("nats://127.0.0.1:5000".into()),
            ..Default::default()
        };
        let c = ServiceConfig::load(ServiceConfig::default(), Some(&file), overrides).unwrap();
        assert_eq!(
            c.nats_url, "nats://127.0.0.1:5000",
            "flags win over the file"
        );
        assert_eq!(c.shutdown_grace_secs, 5, "the file wins over defaults");
        assert!(!c.deadlines.fee_notice_pauses_clock);
        assert_eq!(
            c.deadlines.reply_days, 20,
            "unset policy fields keep their defaults"
        );
    }

    #[test]
    fn admin_listen_is_off_unless_configured() {
        assert_eq!(ServiceConfig::default().admin_listen, None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("approval.toml");
        std::fs::write(&file, "admin_listen = \"0.0.0.0:9464\"\n").unwrap();
        let c = ServiceConfig::load(ServiceConfig::default(), Some(&file), Overrides::default())
            .unwrap();
        assert_eq!(c.admin_listen, Some(([0, 0, 0, 0], 9464).into()));
        let overrides = Overrides {
            admin_listen: Some(([127, 0, 0, 1], 9000).into()),
            ..Default::default()
        };
        let c = ServiceConfig::load(ServiceConfig::default(), Some(&file), overrides).unwrap();
        assert_eq!(c.admin_listen, Some(([127, 0, 0, 1], 9000).into()));
    }

    #[test]
    fn otlp_endpoint_is_off_unless_configured_and_must_be_a_grpc_url() {
        assert_eq!(ServiceConfig::default().otlp_endpoint, None);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("intake.toml");
        std::fs::write(&file, "otlp_endpoint = \"http://collector:4317\"\n").unwrap();
        let c = ServiceConfig::load(ServiceConfig::default(), Some(&file), Overrides::default())
            .unwrap();
        assert_eq!(c.otlp_endpoint.as_deref(), Some("http://collector:4317"));
        let overrides = Overrides {
            otlp_endpoint: Some("https://collector.example:4317/".into()),
            ..Default::default()
        };
        let c = ServiceConfig::load(ServiceConfig::default(), Some(&file), overrides).unwrap();
        assert_eq!(
            c.otlp_endpoint.as_deref(),
            Some("https://collector.example:4317/"),
            "flags and environment win over the file"
        );
        for bad in [
            "collector:4317",
            "grpc://collector:4317",
            "http://",
            "http://collector:4318/v1/traces",
            "",
        ] {
            let overrides = Overrides {
                otlp_endpoint: Some(bad.into()),
                ..Default::default()
            };
            let err = ServiceConfig::load(ServiceConfig::default(), None, overrides).unwrap_err();
            assert!(
                matches!(
                    err,
                    ConfigError::Invalid {
                        field: "otlp_endpoint",
                        ..
                    }
                ),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("otlp_endpoint"), "{err}");
        }
    }

    #[test]
    fn bad_values_are_named() {
        let overrides = Overrides {
            database_url: Some("mysql://x".into()),
            ..Default::default()
        };
        let err = ServiceConfig::load(ServiceConfig::default(), None, overrides).unwrap_err();
        assert!(err.to_string().contains("database_url"), "{err}");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        std::fs::write(&file, "listen_addr = 1\n").unwrap();
        let err = ServiceConfig::load(ServiceConfig::default(), Some(&file), Overrides::default())
            .unwrap_err();
        assert!(matches!(err, ConfigError::Parse { .. }), "{err}");
    }

    #[test]
    fn the_hierarchy_gives_subordinates_and_refuses_cycles() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.toml");
        std::fs::write(
            &file,
            r#"
[agencies."区教育局"]
parent = "区人民政府"
[agencies."区第一中学"]
parent = "区教育局"
[agencies."区卫健局"]
parent = "区人民政府"
[agencies."市人民政府"]
"#,
        )
        .unwrap();
        let config =
            ServiceConfig::load(ServiceConfig::default(), Some(&file), Overrides::default())
                .unwrap();
        assert_eq!(
            config.with_subordinates("区人民政府"),
            ["区人民政府", "区卫健局", "区教育局", "区第一中学"]
        );
        assert_eq!(config.with_subordinates("区第一中学"), ["区第一中学"]);
        std::fs::write(
            &file,
            "[agencies.\"甲\"]\nparent = \"乙\"\n[agencies.\"乙\"]\nparent = \"甲\"\n",
        )
        .unwrap();
        let err = ServiceConfig::load(ServiceConfig::default(), Some(&file), Overrides::default())
            .unwrap_err();
        assert!(err.to_string().contains("循环"), "{err}");
    }
}
