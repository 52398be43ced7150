//! The admin HTTP endpoints of a service, on their own address (`admin_listen`, off by default):
//!
//! - `GET /livez`: 200 `ok` while the process runs, from before the migrations on;
//! - `GET /readyz`: 200 once storage, the bus and the gRPC listener are up, 503 before that,
//!   from the first SIGTERM on (while the service drains), and while an outbox event waits as
//!   a dead letter (the body gives the count and the oldest one's reason);
//! - `GET /metrics`: the Prometheus text format — the counters of [`crate::metrics`] and
//!   gauges read on scrape: the outbox backlog, each consumer's pending messages, cases by
//!   stage.
//!
//! The server starts before the migrations (so a slow migration is live but not ready) and
//! stops after the gRPC server has drained.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::sea_query::Expr;
use sea_orm::{DatabaseConnection, EntityTrait, QuerySelect};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::{self, ConsumerSpec};
use crate::metrics::{self, family, sample};
use crate::store::ServiceSchema;
use crate::store::entities::case_files;

/// How long one scrape-time query may take before its gauge is left out of the scrape.
const SCRAPE_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the admin server may take to close its connections at exit.
const STOP_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/metrics` reads on scrape, known once storage and the bus are up.
pub struct Sources {
    pub db: DatabaseConnection,
    pub js: async_nats::jetstream::Context,
    pub schema: ServiceSchema,
    /// The consumers the service runs, as it spawns them.
    pub consumers: Arc<Mutex<Vec<ConsumerSpec>>>,
    /// The outbox's dead letters, as the relay sees them.
    pub dead_letters: tokio::sync::watch::Receiver<bus::DeadLetters>,
}

struct AdminState {
    ready: AtomicBool,
    /// The service's root token: cancelled means draining.
    draining: CancellationToken,
    sources: OnceLock<Sources>,
}

/// A running admin server; clones share it.
#[derive(Clone)]
pub struct Admin {
    state: Arc<AdminState>,
    stop: CancellationToken,
    task: Arc<Mutex<Option<JoinHandle<()>>>>,
    addr: SocketAddr,
}

impl Admin {
    /// Bind `addr` and serve the admin endpoints until [`Admin::shutdown`]. Not ready yet.
    pub async fn start(addr: SocketAddr, draining: CancellationToken) -> anyhow::Result<Admin> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("bind admin address {addr}: {e}"))?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AdminState {
            ready: AtomicBool::new(false),
            draining,
            sources: OnceLock::new(),
        });
        let router = Router::new()
            .route("/livez", get(livez))
            .route("/readyz", get(readyz))
            .route("/metrics", get(metrics_text))
            .with_state(state.clone());
        let stop = CancellationToken::new();
        let task = tokio::spawn({
            let stop = stop.clone();
            async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(stop.cancelled_owned())
                    .await;
                if let Err(error) = served {
                    tracing::warn!(%error, "admin server failed");
                }
            }
        });
        tracing::info!(%addr, "admin listening");
        Ok(Admin {
            state,
            stop,
            task: Arc::new(Mutex::new(Some(task))),
            addr,
        })
    }

    /// The bound address (the port when configured as 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Give `/metrics` the database and the bus (once; later calls are ignored).
    pub fn attach(&self, sources: Sources) {
        let _ = self.state.sources.set(sources);
    }

    /// Report ready (until draining starts).
    pub fn set_ready(&self) {
        self.state.ready.store(true, Ordering::Release);
    }

    /// Stop serving, waiting briefly for open connections.
    pub async fn shutdown(&self) {
        self.stop.cancel();
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = task
            && tokio::time::timeout(STOP_TIMEOUT, task).await.is_err()
        {
            tracing::warn!("admin server did not stop in time");
        }
    }
}

async fn livez() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<Arc<AdminState>>) -> (StatusCode, String) {
    if state.draining.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n".into());
    }
    if !state.ready.load(Ordering::Acquire) {
        return (StatusCode::SERVICE_UNAVAILABLE, "starting\n".into());
    }
    // An event that cannot be published waits for an operator: not ready, saying why.
    let dead = state
        .sources
        .get()
        .map(|s| s.dead_letters.borrow().clone())
        .unwrap_or_default();
    if dead.count > 0 {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "dead letters: {}\n{}\n",
                dead.count,
                dead.first_reason.unwrap_or_default()
            ),
        );
    }
    (StatusCode::OK, "ready\n".into())
}

async fn metrics_text(State(state): State<Arc<AdminState>>) -> impl IntoResponse {
    let mut out = String::with_capacity(16 * 1024);
    family(
        &mut out,
        "ogi_up",
        "gauge",
        "1 while the service process runs",
    );
    sample(&mut out, "ogi_up", &[], 1);
    metrics::global().render(&mut out);
    if let Some(sources) = state.sources.get() {
        let (backlog, pending, cases) = tokio::join!(
            bounded(bus::outbox_backlog(&sources.db)),
            consumer_pending(sources),
            cases_by_stage(sources),
        );
        family(
            &mut out,
            "ogi_outbox_backlog",
            "gauge",
            "outbox events not yet published",
        );
        match backlog {
            Ok(n) => sample(&mut out, "ogi_outbox_backlog", &[], n),
            Err(error) => tracing::debug!(%error, "outbox backlog left out of the scrape"),
        }
        family(
            &mut out,
            "ogi_outbox_dead_letters",
            "gauge",
            "outbox events set aside because they cannot be published (the service is not ready while any waits)",
        );
        sample(
            &mut out,
            "ogi_outbox_dead_letters",
            &[],
            sources.dead_letters.borrow().count,
        );
        family(
            &mut out,
            "ogi_consumer_pending",
            "gauge",
            "messages a durable consumer has not acknowledged yet (pending plus in flight)",
        );
        for (consumer, n) in pending {
            sample(
                &mut out,
                "ogi_consumer_pending",
                &[("consumer", consumer.as_str())],
                n,
            );
        }
        if let Some(cases) = cases {
            family(
                &mut out,
                "ogi_cases",
                "gauge",
                "case files of this service by stage",
            );
            for (stage, n) in cases {
                sample(&mut out, "ogi_cases", &[("stage", stage.as_str())], n);
            }
        }
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
}

/// A scrape-time query with [`SCRAPE_QUERY_TIMEOUT`], its error as text.
async fn bounded<T, E: std::fmt::Display>(
    query: impl Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(SCRAPE_QUERY_TIMEOUT, query).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// `num_pending + num_ack_pending` of every consumer the service runs; a consumer whose info
/// cannot be read is left out.
async fn consumer_pending(sources: &Sources) -> Vec<(String, u64)> {
    let specs: Vec<ConsumerSpec> = sources
        .consumers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let reads = specs.into_iter().map(|spec| async move {
        let info = bounded(async {
            let stream = sources.js.get_stream_no_info(&spec.stream).await?;
            let info = stream.consumer_info(&spec.durable).await?;
            Ok::<_, anyhow::Error>(info)
        })
        .await;
        match info {
            Ok(info) => Some((spec.durable, info.num_pending + info.num_ack_pending as u64)),
            Err(error) => {
                tracing::debug!(%error, consumer = %spec.durable, "consumer pending left out of the scrape");
                None
            }
        }
    });
    futures::future::join_all(reads)
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Case files by stage, for the services that keep them (validation, approval, publishing);
/// `None` for the others or when the query fails.
async fn cases_by_stage(sources: &Sources) -> Option<Vec<(String, i64)>> {
    match sources.schema {
        ServiceSchema::Validation | ServiceSchema::Approval | ServiceSchema::Publishing => {}
        ServiceSchema::Intake | ServiceSchema::Reporting | ServiceSchema::Accounts => return None,
    }
    let query = case_files::Entity::find()
        .select_only()
        .column(case_files::Column::Stage)
        .column_as(Expr::col(case_files::Column::CaseId).count(), "n")
        .group_by(case_files::Column::Stage)
        .into_tuple::<(String, i64)>()
        .all(&sources.db);
    match bounded(query).await {
        Ok(rows) => Some(rows),
        Err(error) => {
            tracing::debug!(%error, "cases by stage left out of the scrape");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).await.unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        (status, body.to_string())
    }

    #[tokio::test]
    async fn live_at_once_ready_when_told_not_ready_when_draining() {
        let draining = CancellationToken::new();
        let admin = Admin::start(([127, 0, 0, 1], 0).into(), draining.clone())
            .await
            .unwrap();
        let addr = admin.local_addr();
        assert_eq!(get(addr, "/livez").await, (200, "ok\n".into()));
        assert_eq!(
            get(addr, "/readyz").await.0,
            503,
            "not ready before serving"
        );
        let (status, text) = get(addr, "/metrics").await;
        assert_eq!(status, 200);
        assert!(text.lines().any(|l| l == "ogi_up 1"), "{text}");
        assert!(
            !text.contains("ogi_outbox_backlog"),
            "no storage gauges before storage is up"
        );
        admin.set_ready();
        assert_eq!(get(addr, "/readyz").await.0, 200);
        draining.cancel();
        assert_eq!(get(addr, "/readyz").await, (503, "draining\n".into()));
        assert_eq!(get(addr, "/livez").await.0, 200, "live while draining");
        assert_eq!(get(addr, "/nothing").await.0, 404);
        admin.shutdown().await;
        assert!(tokio::net::TcpStream::connect(addr).await.is_err());
    }
}
