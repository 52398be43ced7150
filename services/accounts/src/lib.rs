//! The accounts service (账户): users with roles and scope, the agency registry, password
//! sign-in with lockout, sessions, Ed25519 signing keys (rotated without downtime) and the
//! hash-chained audit trail (roles.md). Every other service verifies its tokens locally.

pub mod audit;
pub mod entities;
pub mod keys;
pub mod oidc;
pub mod secrets;
mod service;

use std::sync::Arc;

use ogi_platform::config::ServiceConfig;
use ogi_platform::runtime;
use ogi_platform::store::ServiceSchema;
use ogi_proto::v1::accounts_service_server::AccountsServiceServer;
use tokio_util::sync::CancellationToken;

pub use service::Accounts;

/// The user name of the all-roles local operator of `ogi dev`.
pub const DEV_OPERATOR: &str = "operator";

/// Run the service; with `dev_operator` (its password), create or refresh the local operator.
pub async fn run(config: ServiceConfig, dev_operator: Option<String>) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    ogi_platform::shutdown::on_signals(cancel.clone());
    let ctx = runtime::start("accounts", ServiceSchema::Accounts, config, cancel).await?;
    let keys = match &ctx.config.auth.signing_keys_dir {
        Some(dir) => keys::KeyRing::from_dir(dir)?,
        None => keys::KeyRing::load_or_create(&ctx.db).await?,
    };
    let accounts = Accounts {
        ctx: ctx.clone(),
        keys: Arc::new(tokio::sync::RwLock::new(keys)),
        chain: Arc::new(audit::Chain::new(ctx.db.clone())),
        sso: match &ctx.config.auth.oidc {
            Some(settings) => Some(Arc::new(oidc::Sso::new(settings.clone())?)),
            None => None,
        },
    };
    if let Some(password) = dev_operator {
        accounts.ensure_dev_operator(&password).await?;
    }
    let routes = tonic::service::Routes::new(
        AccountsServiceServer::new(accounts)
            .max_decoding_message_size(ogi_core::limits::GRPC_MAX_MESSAGE_BYTES),
    );
    runtime::serve(&ctx, &["ogi.v1.AccountsService"], routes).await
}
