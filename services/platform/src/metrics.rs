//! Process metrics: counters and histograms as atomics in one process-wide [`Registry`],
//! written in the Prometheus text exposition format (version 0.0.4) by hand.
//!
//! Label values come only from bounded sets: the gRPC methods named in the protos (anything
//! else is `other`), the seventeen gRPC status codes, the durable consumers a service declares,
//! the four delivery results. The gauges read on scrape (outbox backlog, consumer pending,
//! cases by stage) are written by [`crate::admin`] with the helpers here.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prost::Message as _;
use tracing::Instrument as _;

use crate::bus::Delivery;

/// Upper bounds (seconds) of the duration histograms' buckets; `+Inf` is implied.
pub const DURATION_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The method label of a gRPC path not named in the protos.
pub const OTHER_METHOD: &str = "other";

/// gRPC status codes in wire order (0–16), as label values.
const GRPC_CODES: [&str; 17] = [
    "ok",
    "cancelled",
    "unknown",
    "invalid_argument",
    "deadline_exceeded",
    "not_found",
    "already_exists",
    "permission_denied",
    "resource_exhausted",
    "failed_precondition",
    "aborted",
    "out_of_range",
    "unimplemented",
    "internal",
    "unavailable",
    "data_loss",
    "unauthenticated",
];

/// Delivery results in label order.
const DELIVERY_RESULTS: [(Delivery, &str); 5] = [
    (Delivery::Applied, "applied"),
    (Delivery::Duplicate, "duplicate"),
    (Delivery::Retry, "retry"),
    (Delivery::Rejected, "rejected"),
    (Delivery::Ignored, "ignored"),
];

fn delivery_index(delivery: Delivery) -> usize {
    match delivery {
        Delivery::Applied => 0,
        Delivery::Duplicate => 1,
        Delivery::Retry => 2,
        Delivery::Rejected => 3,
        Delivery::Ignored => 4,
    }
}

/// A histogram of durations with the fixed [`DURATION_BUCKETS`].
pub struct Histogram {
    /// Observations per bucket (not cumulative); the last one is above every bound.
    buckets: [AtomicU64; DURATION_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    pub const fn new() -> Self {
        Self {
            buckets: [const { AtomicU64::new(0) }; DURATION_BUCKETS.len() + 1],
            sum_nanos: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let index = DURATION_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(DURATION_BUCKETS.len());
        self.buckets[index].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Write `name_bucket`, `name_sum` and `name_count` with `labels` (already rendered,
    /// `key="value"` pairs joined by commas, possibly empty).
    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in DURATION_BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound:?}\"}} {cumulative}"
            );
        }
        // +Inf and _count are the same sum, so a scrape is consistent with itself.
        cumulative += self.buckets[DURATION_BUCKETS.len()].load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {cumulative}"
        );
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braces(labels));
    }
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

fn braces(labels: &str) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    }
}

/// The calls of one gRPC method: a counter per status code and a duration histogram.
pub struct GrpcMethod {
    codes: [AtomicU64; GRPC_CODES.len()],
    duration: Histogram,
}

impl GrpcMethod {
    fn new() -> Self {
        Self {
            codes: [const { AtomicU64::new(0) }; GRPC_CODES.len()],
            duration: Histogram::new(),
        }
    }

    pub fn record(&self, code: tonic::Code, elapsed: Duration) {
        let index = (code as usize).min(GRPC_CODES.len() - 1);
        self.codes[index].fetch_add(1, Ordering::Relaxed);
        self.duration.observe(elapsed);
    }
}

/// The deliveries of one durable consumer: a counter per result and a duration histogram.
pub struct ConsumerMetrics {
    results: [AtomicU64; DELIVERY_RESULTS.len()],
    duration: Histogram,
}

impl ConsumerMetrics {
    fn new() -> Self {
        Self {
            results: [const { AtomicU64::new(0) }; DELIVERY_RESULTS.len()],
            duration: Histogram::new(),
        }
    }

    /// Count one delivery and how long it took from receipt to acknowledgement.
    pub fn record(&self, delivery: Delivery, elapsed: Duration) {
        self.results[delivery_index(delivery)].fetch_add(1, Ordering::Relaxed);
        self.duration.observe(elapsed);
    }

    pub fn count(&self, delivery: Delivery) -> u64 {
        self.results[delivery_index(delivery)].load(Ordering::Relaxed)
    }
}

/// Every counter and histogram of the process.
pub struct Registry {
    grpc: RwLock<BTreeMap<String, Arc<GrpcMethod>>>,
    consumers: RwLock<BTreeMap<String, Arc<ConsumerMetrics>>>,
    outbox_published: AtomicU64,
    outbox_dead_lettered: AtomicU64,
}

static GLOBAL: Registry = Registry::new();

/// The registry of this process (one service per process).
pub fn global() -> &'static Registry {
    &GLOBAL
}

impl Registry {
    pub const fn new() -> Self {
        Self {
            grpc: RwLock::new(BTreeMap::new()),
            consumers: RwLock::new(BTreeMap::new()),
            outbox_published: AtomicU64::new(0),
            outbox_dead_lettered: AtomicU64::new(0),
        }
    }

    /// The series of gRPC method `method`, a path named in the protos or [`OTHER_METHOD`]:
    /// the caller keeps the label set bounded.
    pub fn grpc_method(&self, method: &str) -> Arc<GrpcMethod> {
        get_or_insert(&self.grpc, method, GrpcMethod::new)
    }

    /// The series of durable consumer `durable` (a name the service declares).
    pub fn consumer(&self, durable: &str) -> Arc<ConsumerMetrics> {
        get_or_insert(&self.consumers, durable, ConsumerMetrics::new)
    }

    /// Count events the outbox relay published (acknowledged by JetStream and marked).
    pub fn outbox_published(&self, events: u64) {
        self.outbox_published.fetch_add(events, Ordering::Relaxed);
    }

    /// Count events the relay set aside as dead letters.
    pub fn outbox_dead_lettered(&self, events: u64) {
        self.outbox_dead_lettered
            .fetch_add(events, Ordering::Relaxed);
    }

    /// Write every counter and histogram.
    pub fn render(&self, out: &mut String) {
        let grpc: Vec<(String, Arc<GrpcMethod>)> = read_all(&self.grpc);
        family(
            out,
            "ogi_grpc_requests_total",
            "counter",
            "grpc calls answered, by method and status code",
        );
        for (method, series) in &grpc {
            for (code, counter) in GRPC_CODES.iter().zip(&series.codes) {
                let n = counter.load(Ordering::Relaxed);
                if n > 0 {
                    sample(
                        out,
                        "ogi_grpc_requests_total",
                        &[("method", method), ("code", code)],
                        n,
                    );
                }
            }
        }
        family(
            out,
            "ogi_grpc_request_duration_seconds",
            "histogram",
            "time from a grpc call's arrival to its response headers, by method",
        );
        for (method, series) in &grpc {
            series.duration.write(
                out,
                "ogi_grpc_request_duration_seconds",
                &labels(&[("method", method)]),
            );
        }

        let consumers: Vec<(String, Arc<ConsumerMetrics>)> = read_all(&self.consumers);
        family(
            out,
            "ogi_events_consumed_total",
            "counter",
            "event deliveries handled, by durable consumer and result",
        );
        for (consumer, series) in &consumers {
            for ((_, result), counter) in DELIVERY_RESULTS.iter().zip(&series.results) {
                sample(
                    out,
                    "ogi_events_consumed_total",
                    &[("consumer", consumer), ("result", result)],
                    counter.load(Ordering::Relaxed),
                );
            }
        }
        family(
            out,
            "ogi_event_handling_duration_seconds",
            "histogram",
            "time from an event's delivery to its acknowledgement, by durable consumer",
        );
        for (consumer, series) in &consumers {
            series.duration.write(
                out,
                "ogi_event_handling_duration_seconds",
                &labels(&[("consumer", consumer)]),
            );
        }

        family(
            out,
            "ogi_outbox_published_total",
            "counter",
            "outbox events published to jetstream and marked published",
        );
        sample(
            out,
            "ogi_outbox_published_total",
            &[],
            self.outbox_published.load(Ordering::Relaxed),
        );
        family(
            out,
            "ogi_outbox_dead_lettered_total",
            "counter",
            "outbox events that could not be published and were set aside as dead letters",
        );
        sample(
            out,
            "ogi_outbox_dead_lettered_total",
            &[],
            self.outbox_dead_lettered.load(Ordering::Relaxed),
        );
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

fn get_or_insert<T>(
    map: &RwLock<BTreeMap<String, Arc<T>>>,
    key: &str,
    new: impl FnOnce() -> T,
) -> Arc<T> {
    if let Some(found) = map.read().unwrap_or_else(|e| e.into_inner()).get(key) {
        return found.clone();
    }
    map.write()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_string())
        .or_insert_with(|| Arc::new(new()))
        .clone()
}

fn read_all<T>(map: &RwLock<BTreeMap<String, Arc<T>>>) -> Vec<(String, Arc<T>)> {
    map.read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Write the `# HELP` and `# TYPE` lines of a metric family.
pub fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Write one sample line.
pub fn sample(
    out: &mut String,
    name: &str,
    label_pairs: &[(&str, &str)],
    value: impl std::fmt::Display,
) {
    let _ = writeln!(out, "{name}{} {value}", braces(&labels(label_pairs)));
}

/// `key="value"` pairs joined by commas, values escaped.
fn labels(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (key, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push_str("=\"");
        for c in value.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    }
    out
}

/// The gRPC paths (`/package.Service/Method`) of every service in the encoded file
/// descriptor sets: the method labels allowed.
pub fn grpc_methods(descriptor_sets: &[&[u8]]) -> BTreeSet<String> {
    let mut methods = BTreeSet::new();
    for encoded in descriptor_sets {
        let Ok(set) = prost_types::FileDescriptorSet::decode(*encoded) else {
            tracing::warn!("undecodable file descriptor set, its methods count as other");
            continue;
        };
        for file in set.file {
            let package = file.package.unwrap_or_default();
            for service in file.service {
                let service_name = service.name.unwrap_or_default();
                let qualified = if package.is_empty() {
                    service_name
                } else {
                    format!("{package}.{service_name}")
                };
                for method in service.method {
                    methods.insert(format!("/{qualified}/{}", method.name.unwrap_or_default()));
                }
            }
        }
    }
    methods
}

/// Tower middleware (through `axum::middleware::from_fn_with_state`) around the gRPC server:
/// counts each call by method and status and times it up to its response headers. The status
/// is the `grpc-status` header of a trailers-only response (how tonic answers an error), else
/// `ok`; every ogi method is unary, so a status in the trailers is always `ok`. A call the
/// client abandons counts as `cancelled`.
///
/// Each call runs in an `rpc` span (a server span when traces are exported) with the same
/// bounded fields: `rpc.service` and `rpc.method` from the protos (`other` for anything else)
/// and `rpc.grpc.status_code`; never the request's content.
pub async fn track_grpc(
    State(known): State<Arc<BTreeSet<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let method = if known.contains(path) {
        path
    } else {
        OTHER_METHOD
    };
    let (rpc_service, rpc_method) = method
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or((OTHER_METHOD, OTHER_METHOD));
    let span = tracing::info_span!(
        "rpc",
        otel.kind = "server",
        rpc.system = "grpc",
        rpc.service = rpc_service,
        rpc.method = rpc_method,
        rpc.grpc.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty,
    );
    let mut call = InFlight {
        series: global().grpc_method(method),
        started: Instant::now(),
        done: false,
    };
    let response = next.run(request).instrument(span.clone()).await;
    let code = match response.headers().get("grpc-status") {
        Some(value) => tonic::Code::from_bytes(value.as_bytes()),
        None if response.status().is_success() => tonic::Code::Ok,
        None => tonic::Code::Unknown,
    };
    span.record("rpc.grpc.status_code", code as i32);
    if server_error(code) {
        span.record("otel.status_code", "error");
    }
    call.series.record(code, call.started.elapsed());
    call.done = true;
    response
}

/// The codes that mark a server span as failed (OpenTelemetry's gRPC conventions): the others
/// are the client's doing or an answer.
fn server_error(code: tonic::Code) -> bool {
    use tonic::Code::*;
    matches!(
        code,
        Unknown | DeadlineExceeded | Unimplemented | Internal | Unavailable | DataLoss
    )
}

/// Counts a call dropped before it was answered as `cancelled`.
struct InFlight {
    series: Arc<GrpcMethod>,
    started: Instant,
    done: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.done {
            self.series
                .record(tonic::Code::Cancelled, self.started.elapsed());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_is_cumulative_and_consistent() {
        let h = Histogram::new();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.write(&mut out, "x_seconds", "consumer=\"a\"");
        assert!(
            out.contains("x_seconds_bucket{consumer=\"a\",le=\"0.001\"} 0\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{consumer=\"a\",le=\"0.005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{consumer=\"a\",le=\"0.05\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{consumer=\"a\",le=\"10.0\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{consumer=\"a\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(out.contains("x_seconds_count{consumer=\"a\"} 3\n"), "{out}");
        assert!(
            out.contains("x_seconds_sum{consumer=\"a\"} 60.033\n"),
            "{out}"
        );
    }

    #[test]
    fn registry_renders_bounded_series() {
        let r = Registry::new();
        r.grpc_method("/ogi.v1.ApprovalService/Approve")
            .record(tonic::Code::Ok, Duration::from_millis(2));
        r.grpc_method("/ogi.v1.ApprovalService/Approve")
            .record(tonic::Code::FailedPrecondition, Duration::from_millis(2));
        r.consumer("approval-validation")
            .record(Delivery::Applied, Duration::from_millis(1));
        r.outbox_published(3);
        let mut out = String::new();
        r.render(&mut out);
        for line in [
            "# TYPE ogi_grpc_requests_total counter",
            "ogi_grpc_requests_total{method=\"/ogi.v1.ApprovalService/Approve\",code=\"ok\"} 1",
            "ogi_grpc_requests_total{method=\"/ogi.v1.ApprovalService/Approve\",code=\"failed_precondition\"} 1",
            "ogi_grpc_request_duration_seconds_count{method=\"/ogi.v1.ApprovalService/Approve\"} 2",
            "ogi_events_consumed_total{consumer=\"approval-validation\",result=\"applied\"} 1",
            "ogi_events_consumed_total{consumer=\"approval-validation\",result=\"retry\"} 0",
            "ogi_event_handling_duration_seconds_count{consumer=\"approval-validation\"} 1",
            "ogi_outbox_published_total 3",
        ] {
            assert!(out.lines().any(|l| l == line), "missing {line}\n{out}");
        }
        assert!(
            !out.contains("code=\"cancelled\""),
            "zero codes are left out"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(labels(&[("a", "x\"y\\z\n")]), "a=\"x\\\"y\\\\z\\n\"");
    }

    #[test]
    fn methods_come_from_the_protos() {
        let methods = grpc_methods(&[ogi_proto::FILE_DESCRIPTOR_SET]);
        assert!(
            methods
                .iter()
                .any(|m| m.starts_with("/ogi.v1.ApprovalService/")),
            "{methods:?}"
        );
        assert!(methods.iter().all(|m| m.starts_with("/ogi.v1.")));
    }
}
