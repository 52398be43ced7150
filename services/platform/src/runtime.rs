//! The life of a service process: open its database (migrations), connect to NATS (streams),
//! run the outbox relay and its consumers, serve gRPC with health and reflection, and drain
//! on SIGTERM.
//!
//! Task policy: the relay and every consumer are cancelled by the root token; a consumer that
//! fails is logged and restarted after a pause; the gRPC server stops taking calls on the
//! first signal, health turns NOT_SERVING, and in-flight calls get `shutdown_grace_secs`.
//!
//! With `admin_listen` set, the admin endpoints ([`crate::admin`]) come up before the
//! migrations, report ready once the gRPC listener is bound, not ready from the first signal,
//! and stop after the gRPC server. Every gRPC call is counted ([`crate::metrics`]).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tonic::service::Routes;

use crate::admin::{self, Admin};
use crate::auth::{self, Auth};
use crate::bus::{self, ConsumerSpec, EventHandler, OutboxRelay};
use crate::config::ServiceConfig;
use crate::metrics;
use crate::store::{self, ServiceSchema};

/// The gRPC health name that serves while the outbox has no dead letters.
pub const OUTBOX_HEALTH: &str = "ogi.v1.Outbox";

/// What a service needs from the platform while it runs.
#[derive(Clone)]
pub struct ServiceContext {
    pub db: DatabaseConnection,
    pub js: async_nats::jetstream::Context,
    /// Wake the outbox relay after a commit that wrote events.
    pub outbox: Arc<Notify>,
    pub config: ServiceConfig,
    /// Token verification and the audit sink.
    pub auth: Arc<Auth>,
    pub cancel: CancellationToken,
    /// The admin server, when `admin_listen` is set.
    pub admin: Option<Admin>,
    /// The consumers spawned so far (for the pending gauge of `/metrics`).
    pub(crate) consumers: Arc<Mutex<Vec<ConsumerSpec>>>,
    /// The outbox's dead letters, as the relay sees them.
    pub dead_letters: tokio::sync::watch::Receiver<bus::DeadLetters>,
}

impl ServiceContext {
    /// Call after committing a transaction that appended to the outbox.
    pub fn published(&self) {
        self.outbox.notify_one();
    }
}

/// Open storage and messaging for `service`.
pub async fn start(
    service: &'static str,
    schema: ServiceSchema,
    config: ServiceConfig,
    cancel: CancellationToken,
) -> anyhow::Result<ServiceContext> {
    // Live during the migrations, ready only once serving.
    let admin = match config.admin_listen {
        Some(addr) if !config.migrate_only => Some(Admin::start(addr, cancel.clone()).await?),
        _ => None,
    };
    crate::convert::set_year_horizon(config.year_horizon);
    let db = store::open(&config.database_url, schema).await?;
    if config.migrate_only {
        tracing::info!(service, "migrations applied, exiting (migrate-only)");
        std::process::exit(0);
    }
    let js = bus::connect(&config.nats_url).await?;
    bus::ensure_streams(&js, config.stream_replicas).await?;
    let relay = OutboxRelay::new(db.clone(), js.clone());
    let outbox = relay.waker();
    let dead_letters = relay.dead_letters();
    tokio::spawn(relay.run(cancel.clone(), Duration::from_millis(500)));
    let consumers = Arc::new(Mutex::new(Vec::new()));
    if let Some(admin) = &admin {
        admin.attach(admin::Sources {
            db: db.clone(),
            js: js.clone(),
            schema,
            consumers: Arc::clone(&consumers),
            dead_letters: dead_letters.clone(),
        });
    }
    tracing::info!(service, database = %redact_url(&config.database_url), nats = %redact_url(&config.nats_url), "service storage and bus ready");
    let auth = Auth::new(&config, db.clone(), cancel.clone())?;
    Ok(ServiceContext {
        auth,
        db,
        js,
        outbox,
        config,
        cancel,
        admin,
        consumers,
        dead_letters,
    })
}

/// Run a consumer for the life of the service, restarting it after a failure.
pub fn spawn_consumer(ctx: &ServiceContext, spec: ConsumerSpec, handler: Arc<dyn EventHandler>) {
    // Its counters read 0 from the start, not from its first delivery.
    metrics::global().consumer(&spec.durable);
    ctx.consumers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(spec.clone());
    let ctx = ctx.clone();
    tokio::spawn(async move {
        while !ctx.cancel.is_cancelled() {
            let result = bus::run_consumer(
                ctx.db.clone(),
                ctx.js.clone(),
                spec.clone(),
                handler.clone(),
                ctx.cancel.clone(),
            )
            .await;
            if let Err(error) = result {
                tracing::warn!(%error, consumer = %spec.durable, "consumer failed, restarting");
                tokio::select! {
                    _ = ctx.cancel.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    });
}

/// Serve `routes` with gRPC health (per service name) and reflection until cancelled, counting
/// every call; then stop the admin server.
pub async fn serve(
    ctx: &ServiceContext,
    service_names: &[&'static str],
    routes: Routes,
) -> anyhow::Result<()> {
    let served = serve_grpc(ctx, service_names, routes).await;
    if let Some(admin) = &ctx.admin {
        admin.shutdown().await;
    }
    served
}

async fn serve_grpc(
    ctx: &ServiceContext,
    service_names: &[&'static str],
    routes: Routes,
) -> anyhow::Result<()> {
    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    for name in service_names {
        reporter
            .set_service_status(*name, tonic_health::ServingStatus::Serving)
            .await;
    }
    // Reflection lists only what this process serves (and health), so grpcurl shows the truth.
    let reflection = || {
        let mut builder = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(ogi_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .with_service_name("grpc.health.v1.Health");
        for name in service_names {
            builder = builder.with_service_name(*name);
        }
        builder
    };
    let reflection_v1 = reflection().build_v1()?;
    let reflection_v1alpha = reflection().build_v1alpha()?;
    let routes = routes
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    // The method label of the request metrics: the paths the protos name, nothing else.
    let known_methods = Arc::new(metrics::grpc_methods(&[
        ogi_proto::FILE_DESCRIPTOR_SET,
        tonic_health::pb::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
    ]));
    // Count every call, unknown paths included (the fallback is inside the router). The layer
    // goes on the router rather than `Server::builder().layer`: axum's middleware takes axum
    // bodies, which the router converts to.
    // Every call but health, reflection and sign-in needs a token; counted either way.
    let routes = Routes::from(
        routes
            .into_axum_router()
            // tonic's own English statuses (a request over the size limit, an undecodable
            // body) reach the user in Chinese.
            .layer(axum::middleware::from_fn(
                crate::error::chinese_transport_statuses,
            ))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&ctx.auth),
                auth::require_token,
            ))
            .layer(axum::middleware::from_fn_with_state(
                known_methods,
                metrics::track_grpc,
            )),
    );
    // `ogi.v1.Outbox` serves while no event waits as a dead letter (what `ogi status` reads).
    {
        let reporter = reporter.clone();
        let mut dead_letters = ctx.dead_letters.clone();
        let cancel = ctx.cancel.clone();
        tokio::spawn(async move {
            loop {
                let status = if dead_letters.borrow_and_update().count == 0 {
                    tonic_health::ServingStatus::Serving
                } else {
                    tonic_health::ServingStatus::NotServing
                };
                reporter.set_service_status(OUTBOX_HEALTH, status).await;
                tokio::select! {
                    _ = cancel.cancelled() => break,
                    changed = dead_letters.changed() => if changed.is_err() { break },
                }
            }
        });
    }
    let listener = tokio::net::TcpListener::bind(ctx.config.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "grpc listening");
    if let Some(admin) = &ctx.admin {
        admin.set_ready();
    }
    let cancel = ctx.cancel.clone();
    let names: Vec<&'static str> = service_names.to_vec();
    let grace = Duration::from_secs(ctx.config.shutdown_grace_secs);
    let drained = CancellationToken::new();
    let server = tonic::transport::Server::builder()
        .add_routes(routes)
        .serve_with_incoming_shutdown(tokio_stream_listener(listener), {
            let drained = drained.clone();
            async move {
                cancel.cancelled().await;
                for name in names {
                    reporter
                        .set_service_status(name, tonic_health::ServingStatus::NotServing)
                        .await;
                }
                reporter
                    .set_service_status("", tonic_health::ServingStatus::NotServing)
                    .await;
                drained.cancel();
            }
        });
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result?,
        _ = async { drained.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!("grace period over, exiting with calls in flight");
        }
    }
    Ok(())
}

fn tokio_stream_listener(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let next = listener.accept().await.map(|(stream, _)| {
            let _ = stream.set_nodelay(true);
            stream
        });
        Some((next, listener))
    })
}

/// A database URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}
