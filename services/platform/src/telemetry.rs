//! Logging through tracing: lowercase messages with structured fields; JSON when asked.
//!
//! With `otlp_endpoint` set, spans also go to an OpenTelemetry collector over OTLP/gRPC: a
//! `tracing-opentelemetry` layer feeds a batch span processor on the tokio runtime, whose
//! exporter sends to the endpoint with the resource `service.name = ogi-<service>`. Without
//! it nothing of OpenTelemetry is installed and logging is as it always was. Export never
//! stops a service: a failed export drops its spans and logs one warning until exports
//! succeed again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing::Metadata;
use tracing_subscriber::filter::{EnvFilter, FilterExt as _, filter_fn};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{Layer, Registry, fmt};

use crate::config::ServiceConfig;

/// Whether log lines may be coloured: only on a terminal, and never when `NO_COLOR` is set to
/// anything but the empty string (<https://no-color.org>). A log file or a pipe gets plain text.
pub fn use_colour(is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && no_color.is_none_or(|v| v.is_empty())
}

/// How long the exit waits for the last spans to reach the collector. Kept well inside the
/// pods' margin (terminationGracePeriodSeconds less preStop and shutdown_grace_secs).
const FLUSH_AT_EXIT: Duration = Duration::from_secs(3);

/// Install the global subscriber for the service `service` (its binary name, `ogi-intake`):
/// JSON lines when `log_json`, else text, filtered by `RUST_LOG` (default `info`); with
/// `otlp_endpoint`, trace export too. Call inside the tokio runtime (the exporter's channel
/// and batch task live there). A second init (in tests) keeps the first subscriber.
pub fn init(service: &str, config: &ServiceConfig) -> TelemetryGuard {
    use std::io::IsTerminal as _;
    let colour = use_colour(
        std::io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    );
    let fmt = fmt::layer().with_writer(std::io::stderr).with_ansi(colour);
    let fmt = if config.log_json {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    };
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        vec![fmt.with_filter(env_filter()).boxed()];
    let mut provider = None;
    let mut not_exporting = None;
    if let Some(endpoint) = &config.otlp_endpoint {
        match tracer_provider(service, endpoint) {
            Ok(built) => {
                let tracer = built.tracer("ogi");
                layers.push(
                    tracing_opentelemetry::layer()
                        .with_tracer(tracer)
                        .with_filter(env_filter().and(filter_fn(exportable)))
                        .boxed(),
                );
                provider = Some(built);
            }
            Err(error) => not_exporting = Some(error),
        }
    }
    if tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_err()
    {
        // Another subscriber was there first (a second init in tests): nothing would reach
        // this provider. Its shutdown blocks until the batch task answers, so not here.
        if let Some(provider) = provider {
            std::thread::spawn(move || drop(provider.shutdown()));
        }
        return TelemetryGuard { provider: None };
    }
    match (&config.otlp_endpoint, not_exporting) {
        (Some(endpoint), Some(error)) => {
            tracing::warn!(%endpoint, %error, "trace export not started, running without it");
        }
        (Some(endpoint), None) => tracing::info!(%endpoint, "exporting traces over otlp/grpc"),
        (None, _) => {}
    }
    TelemetryGuard { provider }
}

/// Keeps the trace pipeline of [`init`]; [`TelemetryGuard::shutdown`] sends what is buffered.
#[must_use = "shut the guard down when the service exits, or the last spans are lost"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Export the buffered spans and stop the exporter, waiting at most a few seconds: call
    /// once the service has drained, before the process exits. Nothing to do without export.
    pub async fn shutdown(self) {
        let Some(provider) = self.provider else {
            return;
        };
        // The SDK's shutdown blocks its caller until the batch task on the runtime has
        // exported; a thread of its own keeps the runtime's workers free for that, and is not
        // waited for at exit if the collector does not answer in time.
        let (done, finished) = tokio::sync::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("otel-shutdown".into())
            .spawn(move || {
                let _ = done.send(provider.shutdown());
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "trace export at exit not attempted");
            return;
        }
        match tokio::time::timeout(FLUSH_AT_EXIT, finished).await {
            Ok(Ok(Ok(()))) => tracing::debug!("trace export flushed"),
            Ok(Ok(Err(error))) => tracing::warn!(%error, "trace export at exit failed"),
            Ok(Err(_)) => tracing::warn!("trace export at exit ended without an answer"),
            Err(_) => tracing::warn!(
                seconds = FLUSH_AT_EXIT.as_secs(),
                "trace export at exit timed out, last spans dropped"
            ),
        }
    }
}

/// `RUST_LOG`, or `info`.
fn env_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Spans of the export's own transport (and of OpenTelemetry itself) are not exported: with
/// `RUST_LOG=debug` each export would otherwise make spans for the next one.
fn exportable(metadata: &Metadata<'_>) -> bool {
    exportable_target(metadata.target())
}

fn exportable_target(target: &str) -> bool {
    const TRANSPORT: [&str; 7] = [
        "h2",
        "hyper",
        "hyper_util",
        "tonic",
        "tower",
        "rustls",
        "opentelemetry",
    ];
    !TRANSPORT.iter().any(|prefix| {
        target
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with("::") || rest.starts_with('_'))
    })
}

/// The tracer provider sending the spans of `service` to `endpoint`.
fn tracer_provider(service: &str, endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    if tokio::runtime::Handle::try_current().is_err() {
        anyhow::bail!("no tokio runtime to export from");
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()?;
    let exporter = WarnOnFailure {
        inner: exporter,
        endpoint: endpoint.to_string(),
        failing: Arc::new(AtomicBool::new(false)),
    };
    // Batches go out every 5 s, or at 512 spans (the OTEL_BSP_* variables change that).
    let processor =
        BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
    // OTEL_RESOURCE_ATTRIBUTES adds attributes (deployment.environment, k8s.pod.name…); the
    // service name is always ours.
    let resource = Resource::builder()
        .with_service_name(service.to_string())
        .with_attribute(opentelemetry::KeyValue::new(
            "service.version",
            env!("CARGO_PKG_VERSION"),
        ))
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_resource(resource)
        .build())
}

/// The OTLP exporter, logging one warning when exports start failing (collector down,
/// unreachable, refusing) and one line when they work again, instead of an error per batch.
#[derive(Debug)]
struct WarnOnFailure<E> {
    inner: E,
    endpoint: String,
    failing: Arc<AtomicBool>,
}

impl<E: SpanExporter> SpanExporter for WarnOnFailure<E> {
    fn export(&self, batch: Vec<SpanData>) -> impl Future<Output = OTelSdkResult> + Send {
        let spans = batch.len();
        let exported = self.inner.export(batch);
        let failing = Arc::clone(&self.failing);
        let endpoint = self.endpoint.clone();
        async move {
            let result = exported.await;
            match &result {
                Err(error) if !failing.swap(true, Ordering::Relaxed) => {
                    tracing::warn!(%endpoint, %error, spans, "trace export failed, spans dropped until it works again");
                }
                Ok(()) if failing.swap(false, Ordering::Relaxed) => {
                    tracing::info!(%endpoint, "trace export works again");
                }
                _ => {}
            }
            result
        }
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.inner.set_resource(resource);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        use std::ffi::OsStr;
        assert!(use_colour(true, None));
        assert!(
            use_colour(true, Some(OsStr::new(""))),
            "an empty NO_COLOR is unset"
        );
        assert!(!use_colour(true, Some(OsStr::new("1"))));
        assert!(
            !use_colour(false, None),
            "a log file or a pipe gets plain text"
        );
        assert!(!use_colour(false, Some(OsStr::new("1"))));
    }

    #[test]
    fn the_exports_own_transport_is_not_exported() {
        for target in [
            "h2::proto",
            "hyper",
            "hyper_util::client",
            "tonic::transport",
            "tower::buffer",
            "opentelemetry_sdk",
        ] {
            assert!(!exportable_target(target), "{target}");
        }
        for target in ["ogi_platform::bus", "ogi_intake", "sqlx::query", "towel"] {
            assert!(exportable_target(target), "{target}");
        }
    }
}
