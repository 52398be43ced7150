//! The command line every service binary shares: flags that read the environment, layered over
//! an optional TOML file and the service's defaults.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::config::{ConfigError, Overrides, ServiceConfig};
use crate::telemetry::TelemetryGuard;

#[derive(Debug, Parser)]
pub struct ServiceArgs {
    /// Configuration file (TOML); flags and environment override it.
    #[arg(long, env = "OGI_CONFIG")]
    pub config: Option<PathBuf>,
    /// gRPC listen address.
    #[arg(long, env = "OGI_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Admin HTTP address (/livez, /readyz, /metrics); off when unset.
    #[arg(long, env = "OGI_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// Database URL (sqlite://FILE?mode=rwc or postgres://…).
    #[arg(long, env = "OGI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// NATS URL.
    #[arg(long, env = "OGI_NATS_URL")]
    pub nats_url: Option<String>,
    /// The accounts service (verifies every call's token).
    #[arg(long, env = "OGI_ACCOUNTS_URL")]
    pub accounts_url: Option<String>,
    /// Extra calendar years (file shaped like china-workdays.toml).
    #[arg(long, env = "OGI_CALENDAR_FILE")]
    pub calendar_file: Option<PathBuf>,
    /// OpenTelemetry collector to send traces to, over OTLP/gRPC (http://HOST:4317); no trace
    /// export when unset. Without it, OTEL_EXPORTER_OTLP_ENDPOINT is used when set.
    #[arg(long, env = "OGI_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
    /// Log JSON lines.
    #[arg(long, env = "OGI_LOG_JSON", value_parser = clap::builder::BoolishValueParser::new())]
    pub log_json: Option<bool>,
    /// Apply the database migrations and exit (the migration Job of a release).
    #[arg(long, env = "OGI_MIGRATE_ONLY", value_parser = clap::builder::BoolishValueParser::new())]
    pub migrate_only: bool,
}

impl ServiceArgs {
    /// Resolve the configuration: `defaults` → file → environment/flags, validated.
    pub fn resolve(self, defaults: ServiceConfig) -> Result<ServiceConfig, ConfigError> {
        let migrate_only = self.migrate_only;
        let mut config = ServiceConfig::load(
            defaults,
            self.config.as_deref(),
            Overrides {
                listen: self.listen,
                admin_listen: self.admin_listen,
                database_url: self.database_url,
                nats_url: self.nats_url,
                accounts_url: self.accounts_url,
                calendar_file: self.calendar_file,
                log_json: self.log_json,
                otlp_endpoint: otlp_endpoint(
                    self.otlp_endpoint,
                    std::env::var(OTEL_EXPORTER_OTLP_ENDPOINT).ok(),
                ),
            },
        )?;
        config.migrate_only = migrate_only;
        Ok(config)
    }
}

/// The standard OpenTelemetry variable, read when neither `--otlp-endpoint` nor
/// `OGI_OTLP_ENDPOINT` is given (it is then the environment layer, over the file).
pub const OTEL_EXPORTER_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// The environment layer of `otlp_endpoint`: `--otlp-endpoint` / `OGI_OTLP_ENDPOINT` (`given`),
/// else `OTEL_EXPORTER_OTLP_ENDPOINT` (`standard`). Empty means unset, as OpenTelemetry reads
/// its variables, so `OGI_OTLP_ENDPOINT=""` in a ConfigMap turns nothing on.
fn otlp_endpoint(given: Option<String>, standard: Option<String>) -> Option<String> {
    let set = |v: &String| !v.trim().is_empty();
    given.filter(set).or(standard.filter(set))
}

/// The calendar a service uses: the shipped years plus the configured file.
pub fn load_calendar(config: &ServiceConfig) -> anyhow::Result<ogi_core::calendar::WorkCalendar> {
    let mut calendar = ogi_core::calendar::WorkCalendar::official();
    if let Some(path) = &config.calendar_file {
        let text = std::fs::read_to_string(path)?;
        calendar.load_toml(&text)?;
    }
    Ok(calendar)
}

/// What a service binary is: its name, one line of help, and its default gRPC port.
pub struct ServiceBinary {
    pub name: &'static str,
    pub about: &'static str,
    pub port: u16,
}

impl ServiceBinary {
    /// The defaults of this service: its port on loopback and a SQLite file named after it.
    pub fn defaults(&self) -> ServiceConfig {
        ServiceConfig {
            listen: ([127, 0, 0, 1], self.port).into(),
            database_url: format!(
                "sqlite://{}.db?mode=rwc",
                self.name.trim_start_matches("ogi-")
            ),
            ..Default::default()
        }
    }

    /// Parse the command line (flags and environment) into a validated configuration, and set
    /// up logging and trace export. A bad configuration is reported and the process exits with
    /// status 2. Call inside the tokio runtime; shut the returned guard down when the service
    /// has drained, so the last spans reach the collector.
    pub fn configure(&self) -> (ServiceConfig, TelemetryGuard) {
        use clap::{CommandFactory, FromArgMatches};
        let command = ServiceArgs::command()
            .name(self.name)
            .about(self.about)
            .version(env!("CARGO_PKG_VERSION"));
        let matches = command.get_matches();
        let args = ServiceArgs::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        self.start_with(args)
    }

    /// The configuration from already parsed arguments (a binary with flags of its own), and
    /// telemetry installed; on a bad configuration, the error in Chinese and exit code 2.
    pub fn start_with(&self, args: ServiceArgs) -> (ServiceConfig, TelemetryGuard) {
        match args.resolve(self.defaults()) {
            Ok(config) => {
                let telemetry = crate::telemetry::init(self.name, &config);
                (config, telemetry)
            }
            Err(error) => {
                eprintln!("{}：配置错误：{error}", self.name);
                std::process::exit(2);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_variable_counts_only_when_ogis_is_unset() {
        let ogi = || Some("http://ogi-collector:4317".to_string());
        let otel = || Some("http://collector:4317".to_string());
        assert_eq!(otlp_endpoint(None, None), None);
        assert_eq!(otlp_endpoint(Some(String::new()), Some(" ".into())), None);
        assert_eq!(otlp_endpoint(None, otel()), otel());
        assert_eq!(otlp_endpoint(Some(String::new()), otel()), otel());
        assert_eq!(otlp_endpoint(ogi(), otel()), ogi());
        assert_eq!(otlp_endpoint(ogi(), None), ogi());
    }

    #[test]
    fn the_flag_sets_the_endpoint() {
        let args =
            ServiceArgs::try_parse_from(["ogi-intake", "--otlp-endpoint", "http://127.0.0.1:4317"])
                .unwrap();
        let config = args.resolve(ServiceConfig::default()).unwrap();
        assert_eq!(
            config.otlp_endpoint.as_deref(),
            Some("http://127.0.0.1:4317")
        );
    }
}
