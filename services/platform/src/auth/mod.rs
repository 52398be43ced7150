//! Nobody acts without signing in: every gRPC call but health, reflection and the accounts
//! service's own sign-in calls carries a token (`authorization: Bearer …`), verified here
//! locally ([`verifier`]); the handler then gets the [`Caller`] from the request, checks a
//! permission with the agency of the case or report (roles.md), and every command, refusal and
//! full view of personal data goes to the audit trail.

pub mod sso;
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
use prost::Message;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use tokio::sync::Notify;
use tonic::Status;

use self::token::TokenError;
use self::verifier::Verifier;
use crate::store::entities::audit_outbox;

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
    "/ogi.v1.AccountsService/BeginSso",
    "/ogi.v1.AccountsService/CompleteSso",
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
    /// Verify tokens with the accounts service at `config.accounts_url` (keys and ended
    /// sessions re-read every `config.auth.revocation_refresh_secs`) and send it the audit
    /// entries, kept in `db`'s audit outbox until it has recorded them.
    pub fn new(
        config: &crate::config::ServiceConfig,
        db: DatabaseConnection,
        cancel: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<Arc<Auth>> {
        Ok(Arc::new(Auth {
            verifier: Verifier::new(
                &config.accounts_url,
                Duration::from_secs(config.auth.revocation_refresh_secs),
            )?,
            audit: AuditSink::start(&config.accounts_url, db, cancel)?,
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
    /// The entries of this call, written to the audit outbox before it is answered.
    pending: Arc<std::sync::Mutex<PendingAudit>>,
}

#[derive(Default)]
struct PendingAudit {
    entries: Vec<AuditSubmission>,
    /// The call has been answered (a stream may still record): write at once.
    answered: bool,
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

    /// Add one entry to the audit trail: it is in this service's audit outbox before the call
    /// is answered ([`require_token`] writes it), and forwarded to the accounts service.
    pub fn record(
        &self,
        action: &str,
        agency: &str,
        case: &str,
        result: AuditResult,
        reason: &str,
    ) {
        let entry = submission(
            &self.token,
            action,
            agency,
            case,
            result,
            reason,
            &self.source,
        );
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        if pending.answered {
            let sink = self.audit.clone();
            tokio::spawn(async move { sink.write(vec![entry]).await });
        } else {
            pending.entries.push(entry);
        }
    }
}

/// An audit entry to submit, timed now (China Standard Time).
fn submission(
    token: &str,
    action: &str,
    agency: &str,
    case: &str,
    result: AuditResult,
    reason: &str,
    source: &str,
) -> AuditSubmission {
    AuditSubmission {
        id: uuid::Uuid::now_v7().to_string(),
        token: token.to_string(),
        at: chrono::Utc::now()
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("CST"))
            .to_rfc3339(),
        action: action.to_string(),
        case_id: case.to_string(),
        target_agency: agency.to_string(),
        result: result.code().to_string(),
        reason: reason.to_string(),
        source: source.to_string(),
    }
}

/// The action of an audited call refused for want of a valid token.
pub const UNAUTHENTICATED_ACTION: &str = "session.unauthenticated";

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
/// accounts service cannot be reached to read its keys) and audited as `denied`. The audit
/// entries of the call are in the audit outbox before the answer leaves.
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
    let token = bearer(request.headers())
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let now = chrono::Utc::now().timestamp();
    let verified = match &token {
        None => Err(TokenError::Missing),
        Some(token) => auth.verifier.verify(token, Some(now)).await,
    };
    let principal = verified.and_then(|claims| claims.principal());
    let principal = match principal {
        Ok(p) => p,
        Err(e) => return refuse(&auth, token.as_deref(), &path, &source, e).await,
    };
    let pending = Arc::new(std::sync::Mutex::new(PendingAudit::default()));
    request.extensions_mut().insert(Caller {
        principal,
        token: token.unwrap_or_default(),
        source,
        audit: auth.audit.clone(),
        pending: Arc::clone(&pending),
    });
    let response = next.run(request).await;
    let entries = {
        let mut pending = pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.answered = true;
        std::mem::take(&mut pending.entries)
    };
    if !entries.is_empty() {
        auth.audit.write(entries).await;
    }
    response
}

/// Answer a call without a valid token, audited as `denied`: the actor is the token's user
/// when its signature holds (an expired or ended session), else nobody.
async fn refuse(
    auth: &Auth,
    token: Option<&str>,
    path: &str,
    source: &str,
    error: TokenError,
) -> Response {
    let signed = match token {
        Some(t) if !matches!(error, TokenError::Unavailable(_)) => {
            auth.verifier.verify(t, None).await.is_ok()
        }
        _ => false,
    };
    let proof = if signed {
        token.unwrap_or_default()
    } else {
        ""
    };
    let reason = format!("{error}（{}）", path.trim_start_matches('/'));
    auth.audit
        .write(vec![submission(
            proof,
            UNAUTHENTICATED_ACTION,
            "",
            "",
            AuditResult::Denied,
            &reason,
            source,
        )])
        .await;
    status_response(match error {
        TokenError::Unavailable(_) => Status::unavailable(error.to_string()),
        e => Status::unauthenticated(e.to_string()),
    })
}

fn status_response(status: Status) -> Response {
    status.into_http::<axum::body::Body>().into_response()
}

/// Audit entries on their way to the accounts service: written to the service's own audit
/// outbox table (before the call is answered), forwarded in batches, deleted once recorded
/// (each has an id, so a resend is recorded once). A killed service forwards what it kept
/// when it starts again.
#[derive(Clone)]
pub struct AuditSink {
    db: DatabaseConnection,
    wake: Arc<Notify>,
}

/// Entries forwarded per call.
const AUDIT_BATCH: u64 = 200;

impl AuditSink {
    pub fn start(
        accounts_url: &str,
        db: DatabaseConnection,
        cancel: tokio_util::sync::CancellationToken,
    ) -> anyhow::Result<AuditSink> {
        let channel = tonic::transport::Endpoint::from_shared(accounts_url.to_string())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .connect_lazy();
        let sink = AuditSink {
            db,
            wake: Arc::new(Notify::new()),
        };
        tokio::spawn(
            sink.clone()
                .forward(AccountsServiceClient::new(channel), cancel),
        );
        Ok(sink)
    }

    /// Keep `entries` in the audit outbox (a failure is logged: the call has been made).
    pub async fn write(&self, entries: Vec<AuditSubmission>) {
        let now = chrono::Utc::now();
        let rows = entries.iter().map(|e| audit_outbox::ActiveModel {
            entry_id: Set(e.id.clone()),
            entry: Set(e.encode_to_vec()),
            created_at: Set(now),
            ..Default::default()
        });
        match audit_outbox::Entity::insert_many(rows).exec(&self.db).await {
            Ok(_) => self.wake.notify_one(),
            Err(error) => {
                tracing::error!(%error, entries = entries.len(), "audit entries not kept");
            }
        }
    }

    /// Forward the outbox to the accounts service until cancelled.
    async fn forward(
        self,
        mut client: AccountsServiceClient<tonic::transport::Channel>,
        cancel: tokio_util::sync::CancellationToken,
    ) {
        let pause = Duration::from_secs(1);
        loop {
            let rows = audit_outbox::Entity::find()
                .order_by_asc(audit_outbox::Column::Seq)
                .limit(AUDIT_BATCH)
                .all(&self.db)
                .await;
            let wait = match rows {
                Ok(rows) if rows.is_empty() => Some(Duration::from_secs(5)),
                Ok(rows) => {
                    let last = rows.last().map(|r| r.seq).unwrap_or_default();
                    let entries: Vec<AuditSubmission> = rows
                        .iter()
                        .filter_map(|r| AuditSubmission::decode(r.entry.as_slice()).ok())
                        .collect();
                    match client.record_audit(RecordAuditRequest { entries }).await {
                        Ok(_) => {
                            if let Err(error) = audit_outbox::Entity::delete_many()
                                .filter(audit_outbox::Column::Seq.lte(last))
                                .exec(&self.db)
                                .await
                            {
                                tracing::warn!(%error, "forwarded audit entries not cleared");
                                Some(pause)
                            } else {
                                None
                            }
                        }
                        Err(status) => {
                            tracing::warn!(error = %status.message(), pending = rows.len(), "audit entries not recorded yet, retrying");
                            Some(pause)
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "audit outbox not readable, retrying");
                    Some(pause)
                }
            };
            if let Some(wait) = wait {
                tokio::select! {
                    _ = self.wake.notified() => {}
                    _ = tokio::time::sleep(wait) => {}
                    _ = cancel.cancelled() => return,
                }
            } else if cancel.is_cancelled() {
                return;
            }
        }
    }
}
