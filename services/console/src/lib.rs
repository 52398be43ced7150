//! The web console (办理平台): server-rendered pages in Chinese for case handlers, approvers
//! and the disclosure office. It is the only component a browser talks to; every page calls
//! the gRPC services with the signed-in user's token, so the services' permission and scope
//! checks apply to everything it shows or does.
//!
//! Layout (after kanidm and crates.io): one view module per feature under [`views`], each
//! page template with a `*_partial.html` twin that htmx swaps in; [`security`] sets the
//! headers of every response and refuses cross-site state changes; [`session`] turns the
//! session cookie into a [`session::SignedIn`] user, the explicit check each handler makes.

pub mod config;
mod grpc;
mod security;
mod session;
mod static_files;
mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use grpc::Services;
pub use session::SessionCache;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub sessions: Arc<SessionCache>,
    pub secure_cookies: bool,
}

impl AppState {
    pub fn new(config: &config::ConsoleConfig) -> anyhow::Result<AppState> {
        Ok(AppState {
            services: Services::connect_lazy(config)?,
            sessions: Arc::new(SessionCache::new(std::time::Duration::from_secs(
                u64::from(config.idle_minutes) * 60,
            ))),
            secure_cookies: config.secure_cookies,
        })
    }
}

/// The console's routes: sign-in pages, full pages, and the static files.
pub fn router(state: AppState) -> Router {
    let sign_in = Router::new()
        .route("/login", get(views::login::page).post(views::login::submit))
        .route("/password", post(views::login::change_password))
        .route("/logout", post(views::login::logout));
    let pages = Router::new()
        .route("/", get(views::workbench::page))
        .route("/cases", get(views::cases::list))
        .route("/cases/export.xlsx", get(views::cases::export))
        .route("/cases/assign", post(views::cases::assign))
        .route("/supervision", get(views::supervision::page))
        .route("/letters", get(views::letters::log))
        .route("/admin/users", get(views::admin::users))
        .route("/admin/users/new", post(views::admin::add_user))
        .route("/admin/users/{username}", post(views::admin::change_user))
        .route("/admin/policy", get(views::admin::policy))
        .route("/admin/audit", get(views::admin::audit))
        .route("/admin/audit/export.xlsx", get(views::admin::audit_export))
        .route("/cases/{case_id}/letter", get(views::letters::print))
        .route("/cases/{case_id}/letter.docx", get(views::letters::docx))
        .route(
            "/register",
            get(views::register::page).post(views::register::submit),
        )
        .route("/register/check-id", post(views::register::check_id))
        .route("/cases/{case_id}", get(views::case::page))
        .route("/cases/{case_id}/steps", post(views::steps::submit))
        .route("/cases/{case_id}/preview", post(views::steps::preview))
        .route("/inbox", get(views::inbox::page))
        .route("/inbox/{case_id}/approve", post(views::inbox::approve))
        .route(
            "/inbox/{case_id}/return",
            post(views::inbox::return_decision),
        )
        .route("/report", get(views::report::page))
        .route(
            "/report/{year}/table-two",
            post(views::report::enter_table_two),
        )
        .route(
            "/report/{year}/narrative",
            post(views::report::enter_narrative),
        )
        .route("/report/{year}/lock", post(views::report::lock))
        .route(
            "/report/{year}/download/{format}",
            get(views::report::download),
        );
    Router::new()
        .merge(sign_in)
        .merge(pages)
        .route("/static/{file}", get(static_files::serve))
        .layer(axum::middleware::from_fn(security::guard))
        .with_state(state)
}

/// Serve the console until Ctrl-C or SIGTERM.
pub async fn serve(config: config::ConsoleConfig) -> anyhow::Result<()> {
    let state = AppState::new(&config)?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "console listening");
    println!("console  http://{addr}");
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown())
    .await?;
    Ok(())
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
