//! Nobody acts without signing in: every gRPC call but health, reflection and the accounts
//! service's own sign-in calls carries a token (`authorization: Bearer …`), verified here
//! locally ([`verifier`]); the handler then gets the [`Caller`] from the request, checks a
//! permission with the agency of the case or report (roles.md), and every command, refusal and
//! full view of personal data goes to the audit trail.

pub mod token;
pub mod verifier;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ogi_core::access::audit::AuditResult;
use ogi_core::access::{Permission, Principal};
use ogi_proto::v1::accounts_service_client::AccountsServiceClient;
use ogi_proto::v1::{AuditSubmission, CommandContext, RecordAuditRequest};
use tokio::sync::mpsc;
use tonic::Status;

use self::token::TokenError;
use self::verifier::Verifier;

/// gRPC paths that need no token: health, reflection, and the accounts calls that carry their
/// own proof (a password, a session secret, the actor's token inside each audit entry) or
/// publish public keys.
pub const PUBLIC_PATH_PREFIXES: &[&str] = &["/grpc.health.v1.Health/", "/grpc.reflection."];
pub const PUBLIC_METHODS: &[&str] = &[
    "/ogi.v1.AccountsService/Login",
    "/ogi.v1.AccountsService/ChangePassword",
    "/ogi.v1.AccountsService/Refresh",
    "/ogi.v1.AccountsService/Logout",
    "/ogi.v1.AccountsService/GetSigningKeys",
    "/ogi.v1.AccountsService/GetRevocations",
    "/ogi.v1.AccountsService/RecordAudit",
];

/// Whether a path is served without a token.
pub fn is_public(path: &str) -> bool {
    PUBLIC_PATH_PREFIXES.iter().any(|p| path.starts_with(p)) || PUBLIC_METHODS.contains(&path)
}

/// Token verification and the audit sink of one service.
pub struct Auth {
    verifier: Verifier,
    audit: AuditSink,
}

impl Auth {
    /// Verify tokens with the accounts service at `accounts_url` and send it the audit entries.
    pub fn new(
        accounts_url: &str,
        cancel: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Arc<Auth>> {
        Ok(Arc::new(Auth {
            verifier: Verifier::new(accounts_url)?,
            audit: AuditSink::start(accounts_url, cancel)?,
        }))
    }

    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }
}

/// The signed-in user of a call, as the handler sees it.
#[derive(Clone)]
pub struct Caller {
    pub principal: Principal,
    /// The raw token, which the audit entries carry as proof of the actor.
    pub token: String,
    /// The caller's address.
    pub source: String,
    audit: AuditSink,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("principal", &self.principal)
            .field("source", &self.source)
            .finish()
    }
}

/// The caller of a request (put there by [`require_token`]).
pub fn caller<T>(request: &tonic::Request<T>) -> Result<Caller, Status> {
    request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| Status::unauthenticated(TokenError::Missing.to_string()))
}

impl Caller {
    pub fn username(&self) -> &str {
        &self.principal.username
    }

    /// Write the signed-in user as the command's actor, whatever the caller wrote there
    /// (which is still refused when it breaks the field's limits, like any other field).
    pub fn stamp(&self, context: &mut Option<CommandContext>) -> Result<(), Status> {
        if let Some(ctx) = context.as_mut() {
            crate::convert::text("context.actor", ogi_core::limits::text::ACTOR, &ctx.actor)?;
            ctx.actor = self.principal.username.clone();
        }
        Ok(())
    }

    /// Check `permission` on `agency`'s cases or reports; a refusal is audited as `denied`
    /// and returned as PERMISSION_DENIED with the reason in Chinese.
    pub fn authorize(
        &self,
        permission: Permission,
        agency: &str,
        case: &str,
    ) -> Result<(), Status> {
        self.principal
            .authorize(permission, agency)
            .map_err(|denial| self.deny(permission.code(), agency, case, &denial.to_string()))
    }

    /// A command on `agency`'s case: checked, run, and audited as `allowed` or `failed`.
    pub async fn run<T, F>(
        &self,
        permission: Permission,
        agency: &str,
        case: &str,
        work: F,
    ) -> Result<T, Status>
    where
        F: std::future::Future<Output = Result<T, Status>>,
    {
        self.authorize(permission, agency, case)?;
        let result = work.await;
        self.outcome(permission, agency, case, result)
    }

    /// Audit a refusal and make its status.
    pub fn deny(&self, action: &str, agency: &str, case: &str, reason: &str) -> Status {
        self.record(action, agency, case, AuditResult::Denied, reason);
        Status::permission_denied(reason.to_string())
    }

    /// Audit what a command came to: `allowed` when it succeeded, `failed` with the reason
    /// otherwise. Returns the result unchanged.
    pub fn outcome<T>(
        &self,
        permission: Permission,
        agency: &str,
        case: &str,
        result: Result<T, Status>,
    ) -> Result<T, Status> {
        match &result {
            Ok(_) => self.record(permission.code(), agency, case, AuditResult::Allowed, ""),
            Err(status) => self.record(
                permission.code(),
                agency,
                case,
                AuditResult::Failed,
                status.message(),
            ),
        }
        result
    }

    /// Whether identity numbers and phones of `agency`'s applicants are shown in full to
    /// this caller; a full view is audited.
    pub fn full_view(&self, agency: &str, case: &str) -> bool {
        let full = self.principal.sees_full(agency);
        if full {
            self.record(
                Permission::ApplicantViewFull.code(),
                agency,
                case,
                AuditResult::Allowed,
                "",
            );
        }
        full
    }

    /// Send one entry to the audit trail.
    pub fn record(
        &self,
        action: &str,
        agency: &str,
        case: &str,
        result: AuditResult,
        reason: &str,
    ) {
        self.audit.send(AuditSubmission {
            id: uuid::Uuid::now_v7().to_string(),
            token: self.token.clone(),
            at: chrono::Utc::now()
                .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("CST"))
                .to_rfc3339(),
            action: action.to_string(),
            case_id: case.to_string(),
            target_agency: agency.to_string(),
            result: result.code().to_string(),
            reason: reason.to_string(),
            source: self.source.clone(),
        });
    }
}

/// The bearer token of a request's headers.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

/// The middleware: a call to a non-public path needs a valid token; the [`Caller`] is put in
/// the request's extensions. Anything else is answered UNAUTHENTICATED (UNAVAILABLE when the
/// accounts service cannot be reached to read its keys).
pub async fn require_token(
    State(auth): State<Arc<Auth>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    if is_public(&path) {
        return next.run(request).await;
    }
    let source = request
        .extensions()
        .get::<tonic::transport::server::TcpConnectInfo>()
        .and_then(|i| i.remote_addr())
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let token = match bearer(request.headers()) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => return status_response(Status::unauthenticated(TokenError::Missing.to_string())),
    };
    let now = chrono::Utc::now().timestamp();
    let claims = match auth.verifier.verify(&token, Some(now)).await {
        Ok(c) => c,
        Err(TokenError::Unavailable(e)) => {
            return status_response(Status::unavailable(TokenError::Unavailable(e).to_string()));
        }
        Err(e) => return status_response(Status::unauthenticated(e.to_string())),
    };
    let principal = match claims.principal() {
        Ok(p) => p,
        Err(e) => return status_response(Status::unauthenticated(e.to_string())),
    };
    request.extensions_mut().insert(Caller {
        principal,
        token,
        source,
        audit: auth.audit.clone(),
    });
    next.run(request).await
}

fn status_response(status: Status) -> Response {
    status.into_http::<axum::body::Body>().into_response()
}

/// Audit entries on their way to the accounts service: queued, sent in batches, resent until
/// recorded (each has an id, so a resend is recorded once). Entries still queued when the
/// process dies are lost.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::UnboundedSender<AuditSubmission>,
}

impl AuditSink {
    pub fn start(
        accounts_url: &str,
        cancel: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<AuditSink> {
        let channel = tonic::transport::Endpoint::from_shared(accounts_url.to_string())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .connect_lazy();
        let mut client = AccountsServiceClient::new(channel);
        let (tx, mut rx) = mpsc::unbounded_channel::<AuditSubmission>();
        tokio::spawn(async move {
            let mut batch: Vec<AuditSubmission> = Vec::new();
            loop {
                if batch.is_empty() {
                    tokio::select! {
                        next = rx.recv() => match next {
                            Some(e) => batch.push(e),
                            None => return,
                        },
                        _ = cancel.cancelled() => {
                            // Drain what is queued, one last try.
                            while let Ok(e) = rx.try_recv() { batch.push(e); }
                            if !batch.is_empty() {
                                let _ = client.record_audit(RecordAuditRequest { entries: batch }).await;
                            }
                            return;
                        }
                    }
                }
                while batch.len() < 200 {
                    match rx.try_recv() {
                        Ok(e) => batch.push(e),
                        Err(_) => break,
                    }
                }
                match client
                    .record_audit(RecordAuditRequest {
                        entries: batch.clone(),
                    })
                    .await
                {
                    Ok(_) => batch.clear(),
                    Err(status) => {
                        tracing::warn!(error = %status.message(), pending = batch.len(), "audit entries not recorded yet, retrying");
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = cancel.cancelled() => {}
                        }
                        if cancel.is_cancelled() {
                            let _ = client
                                .record_audit(RecordAuditRequest { entries: batch })
                                .await;
                            return;
                        }
                    }
                }
            }
        });
        Ok(AuditSink { tx })
    }

    pub fn send(&self, entry: AuditSubmission) {
        let _ = self.tx.send(entry);
    }
}
