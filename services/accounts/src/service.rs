//! The AccountsService RPCs.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use ogi_core::access::audit::{AuditEntry, AuditResult};
use ogi_core::access::policy::SecurityPolicy;
use ogi_core::access::{self, Hierarchy, Permission, Role, Scope};
use ogi_platform::auth::{self, Caller, token};
use ogi_platform::error::ServiceError;
use ogi_platform::runtime::ServiceContext;
use ogi_proto::v1::{self as pb, accounts_service_server as server};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use tonic::{Request, Response, Status};

use crate::audit::{Chain, now_cst};
use crate::entities::{agencies, security_policy, sessions, signing_keys, users};
use crate::keys::KeyRing;
use crate::{DEV_OPERATOR, secrets};

type Reply<T> = Result<Response<T>, Status>;

pub struct Accounts {
    pub ctx: ServiceContext,
    pub keys: Arc<tokio::sync::RwLock<KeyRing>>,
    pub chain: Arc<Chain>,
    /// Single sign-on, when configured.
    pub sso: Option<Arc<crate::oidc::Sso>>,
}

fn internal(e: impl std::fmt::Display) -> Status {
    ServiceError::Internal(e.to_string()).into()
}

fn db(e: sea_orm::DbErr) -> Status {
    ServiceError::from(e).into()
}

fn roles_of(user: &users::Model) -> Vec<Role> {
    user.roles
        .split(',')
        .filter_map(|r| r.parse().ok())
        .collect()
}

fn source_of<T>(request: &Request<T>) -> String {
    request
        .remote_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default()
}

/// A user name: 2–64 letters, digits, `.`, `_` or `-`.
fn check_username(name: &str) -> Result<(), Status> {
    let ok = (2..=64).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::invalid(
            "username",
            format!("「{name}」无效：用户名为2至64个字母、数字、点、下划线或连字符"),
        )
        .into())
    }
}

fn parse_roles(codes: &[String]) -> Result<Vec<Role>, Status> {
    let mut roles = Vec::new();
    for code in codes {
        let role: Role = code
            .parse()
            .map_err(|e: access::AccessError| ServiceError::invalid("roles", e.to_string()))?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    access::check_roles(&roles).map_err(|e| ServiceError::invalid("roles", e.to_string()))?;
    Ok(roles)
}

fn join_roles(roles: &[Role]) -> String {
    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(",")
}

fn login_failed() -> Status {
    Status::unauthenticated("用户名或密码错误")
}

impl Accounts {
    /// The security policy in force: secadmin's, else the defaults of roles.md.
    pub async fn policy(&self) -> Result<SecurityPolicy, Status> {
        let row = security_policy::Entity::find_by_id(security_policy::ROW)
            .one(&self.ctx.db)
            .await
            .map_err(db)?;
        match row {
            None => Ok(SecurityPolicy::default()),
            Some(row) => serde_json::from_str(&row.policy).map_err(internal),
        }
    }

    /// Read the signing keys again: from the mounted Secret when configured (rotation is
    /// editing it), else from the database (another replica may have rotated).
    async fn reload_keys(&self) -> Result<(), Status> {
        let ring = match &self.ctx.config.auth.signing_keys_dir {
            Some(dir) => KeyRing::from_dir(dir).map_err(|e| {
                tracing::error!(error = %e, "signing keys not readable");
                Status::unavailable(format!("签名密钥无法读取：{e}"))
            })?,
            None => KeyRing::load_or_create(&self.ctx.db)
                .await
                .map_err(internal)?,
        };
        *self.keys.write().await = ring;
        Ok(())
    }

    /// How long an access token lives: the policy's, unless the configuration sets seconds.
    fn token_lifetime(&self, policy: &SecurityPolicy) -> Duration {
        match self.ctx.config.auth.token_lifetime_secs {
            Some(secs) => Duration::seconds(secs as i64),
            None => Duration::minutes(policy.token_minutes),
        }
    }

    /// How long a session lasts: the policy's, unless the configuration sets seconds.
    fn session_lifetime(&self, policy: &SecurityPolicy) -> Duration {
        match self.ctx.config.auth.session_lifetime_secs {
            Some(secs) => Duration::seconds(secs as i64),
            None => Duration::hours(policy.session_max_hours),
        }
    }

    async fn policy_view(&self) -> Result<pb::SecurityPolicy, Status> {
        let row = security_policy::Entity::find_by_id(security_policy::ROW)
            .one(&self.ctx.db)
            .await
            .map_err(db)?;
        let p = self.policy().await?;
        Ok(pb::SecurityPolicy {
            password_min_length: p.password_min_length as u32,
            password_min_classes: p.password_min_classes as u32,
            lockout_threshold: p.max_failures,
            lockout_minutes: p.lockout_minutes as u32,
            token_minutes: p.token_minutes as u32,
            idle_minutes: p.session_idle_minutes as u32,
            session_max_hours: p.session_max_hours as u32,
            updated_at: row
                .as_ref()
                .map(|r| r.updated_at.to_rfc3339())
                .unwrap_or_default(),
            updated_by: row.map(|r| r.updated_by).unwrap_or_default(),
        })
    }

    async fn hierarchy(&self) -> Result<Hierarchy, Status> {
        let rows = agencies::Entity::find()
            .all(&self.ctx.db)
            .await
            .map_err(db)?;
        Hierarchy::new(rows.into_iter().map(|a| (a.name, a.parent)))
            .map_err(|e| internal(e.to_string()))
    }

    async fn user(&self, username: &str) -> Result<Option<users::Model>, Status> {
        users::Entity::find_by_id(username.to_string())
            .one(&self.ctx.db)
            .await
            .map_err(db)
    }

    async fn require_user(&self, username: &str) -> Result<users::Model, Status> {
        self.user(username).await?.ok_or_else(|| {
            ServiceError::invalid("username", format!("用户「{username}」不存在")).into()
        })
    }

    async fn user_view(&self, user: &users::Model, now: DateTime<Utc>) -> Result<pb::User, Status> {
        let scope: Scope = user.scope.parse().unwrap_or_default();
        let agencies = self.hierarchy().await?.reach(&user.agency, scope);
        let locked_until = self
            .policy()
            .await?
            .locked_until(user.failures.max(0) as u32, user.last_failure_at, now)
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Ok(pb::User {
            username: user.username.clone(),
            agency: user.agency.clone(),
            department: user.department.clone(),
            roles: roles_of(user)
                .iter()
                .map(|r| r.code().to_string())
                .collect(),
            scope: user.scope.clone(),
            enabled: user.enabled,
            must_change_password: user.must_change_password,
            locked_until,
            agencies,
        })
    }

    /// An access token for `user` in `session`.
    async fn access_token(
        &self,
        user: &users::Model,
        session: &sessions::Model,
        now: DateTime<Utc>,
    ) -> Result<(String, i64), Status> {
        let view = self.user_view(user, now).await?;
        let exp = (now + self.token_lifetime(&self.policy().await?))
            .min(session.expires_at)
            .timestamp();
        let claims = token::Claims {
            iss: token::ISSUER.into(),
            sub: user.username.clone(),
            sid: session.id.clone(),
            iat: now.timestamp(),
            exp,
            agency: user.agency.clone(),
            department: user.department.clone(),
            roles: view.roles.clone(),
            scope: user.scope.clone(),
            agencies: view.agencies.clone(),
        };
        self.reload_keys().await?;
        let signed = self.keys.read().await.current.sign(&claims);
        Ok((signed, exp))
    }

    /// A new session with its first token.
    async fn sign_in(
        &self,
        user: &users::Model,
        now: DateTime<Utc>,
    ) -> Result<pb::LoginResponse, Status> {
        let policy = self.policy().await?;
        let (secret, hash) = secrets::new_session_secret().map_err(internal)?;
        let session = sessions::ActiveModel {
            id: Set(uuid::Uuid::now_v7().to_string()),
            secret_hash: Set(hash),
            username: Set(user.username.clone()),
            created_at: Set(now),
            expires_at: Set(now + self.session_lifetime(&policy)),
            ended_at: Set(None),
        }
        .insert(&self.ctx.db)
        .await
        .map_err(db)?;
        let (access_token, access_expires_at) = self.access_token(user, &session, now).await?;
        Ok(pb::LoginResponse {
            access_token,
            access_expires_at,
            session_token: secret,
            session_expires_at: session.expires_at.timestamp(),
            must_change_password: false,
            user: Some(self.user_view(user, now).await?),
            idle_minutes: policy.session_idle_minutes as u32,
        })
    }

    /// End every live session of `username` (disabled, roles changed, password reset): their
    /// tokens are refused everywhere at the services' next refresh, within a minute.
    async fn end_sessions(&self, username: &str, now: DateTime<Utc>) -> Result<(), Status> {
        sessions::Entity::update_many()
            .col_expr(
                sessions::Column::EndedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(sessions::Column::Username.eq(username))
            .filter(sessions::Column::EndedAt.is_null())
            .exec(&self.ctx.db)
            .await
            .map_err(db)?;
        Ok(())
    }

    fn entry(
        &self,
        actor: &str,
        agency: &str,
        action: &str,
        result: AuditResult,
        reason: &str,
        source: &str,
    ) -> AuditEntry {
        AuditEntry {
            at: now_cst(),
            actor: actor.into(),
            agency: agency.into(),
            action: action.into(),
            case: String::new(),
            target_agency: String::new(),
            result,
            reason: reason.into(),
            source: source.into(),
        }
    }

    /// Check the password of `username`, counting failures and locking; the user on success.
    async fn check_password(
        &self,
        username: &str,
        password: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<users::Model, Status> {
        let policy = self.policy().await?;
        let Some(user) = self.user(username).await? else {
            self.chain
                .record(self.entry(
                    username,
                    "",
                    "session.login_failed",
                    AuditResult::Denied,
                    "用户不存在",
                    source,
                ))
                .await;
            return Err(login_failed());
        };
        let failures = user.failures.max(0) as u32;
        if let Some(until) = policy.locked_until(failures, user.last_failure_at, now) {
            let reason = format!(
                "连续{}次登录失败，账户已锁定至 {}",
                policy.max_failures,
                until
                    .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("CST"))
                    .format("%Y-%m-%d %H:%M:%S")
            );
            self.chain
                .record(self.entry(
                    username,
                    &user.agency,
                    "session.login_failed",
                    AuditResult::Denied,
                    &reason,
                    source,
                ))
                .await;
            return Err(Status::unauthenticated(reason));
        }
        if !secrets::password_matches(password, &user.password_hash) {
            let failures = policy.failures_after_failure(failures, user.last_failure_at, now);
            let mut row: users::ActiveModel = user.clone().into();
            row.failures = Set(failures as i32);
            row.last_failure_at = Set(Some(now));
            row.update(&self.ctx.db).await.map_err(db)?;
            let locked = failures >= policy.max_failures;
            let reason = if locked {
                format!(
                    "密码错误；连续{failures}次登录失败，账户锁定{}分钟",
                    policy.lockout_minutes
                )
            } else {
                "密码错误".to_string()
            };
            self.chain
                .record(self.entry(
                    username,
                    &user.agency,
                    "session.login_failed",
                    AuditResult::Denied,
                    &reason,
                    source,
                ))
                .await;
            return Err(if locked {
                Status::unauthenticated(format!("用户名或密码错误；{reason}"))
            } else {
                login_failed()
            });
        }
        if !user.enabled {
            self.chain
                .record(self.entry(
                    username,
                    &user.agency,
                    "session.login_failed",
                    AuditResult::Denied,
                    "账户已停用",
                    source,
                ))
                .await;
            return Err(Status::unauthenticated("账户已停用：请联系系统管理员"));
        }
        if user.failures != 0 {
            let mut row: users::ActiveModel = user.clone().into();
            row.failures = Set(0);
            row.last_failure_at = Set(None);
            return row.update(&self.ctx.db).await.map_err(db);
        }
        Ok(user)
    }

    /// Create or refresh the all-roles local operator (dev mode only; the binary refuses it
    /// under a production configuration).
    pub async fn ensure_dev_operator(&self, password: &str) -> anyhow::Result<()> {
        let now = Utc::now();
        let hash = secrets::hash_password(password)?;
        let all = join_roles(&Role::ALL);
        match self
            .user(DEV_OPERATOR)
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?
        {
            Some(existing) => {
                let mut row: users::ActiveModel = existing.into();
                row.password_hash = Set(hash);
                row.roles = Set(all);
                row.scope = Set(Scope::All.code().into());
                row.enabled = Set(true);
                row.must_change_password = Set(false);
                row.failures = Set(0);
                row.last_failure_at = Set(None);
                row.dev_operator = Set(true);
                row.update(&self.ctx.db).await?;
            }
            None => {
                users::ActiveModel {
                    username: Set(DEV_OPERATOR.into()),
                    agency: Set(String::new()),
                    department: Set(String::new()),
                    roles: Set(all),
                    scope: Set(Scope::All.code().into()),
                    password_hash: Set(hash),
                    enabled: Set(true),
                    must_change_password: Set(false),
                    failures: Set(0),
                    last_failure_at: Set(None),
                    dev_operator: Set(true),
                    created_at: Set(now),
                }
                .insert(&self.ctx.db)
                .await?;
            }
        }
        tracing::warn!("dev mode: the all-roles local operator `{DEV_OPERATOR}` is enabled");
        Ok(())
    }

    /// An admin change: checked, done, audited (`allowed`, `denied` or `failed`).
    async fn admin<T, F>(
        &self,
        caller: &Caller,
        permission: Permission,
        target: &str,
        work: F,
    ) -> Result<T, Status>
    where
        F: std::future::Future<Output = Result<T, Status>>,
    {
        caller.authorize(permission, "", target)?;
        let result = work.await;
        caller.outcome(permission, "", target, result)
    }

    async fn agency_must_exist(&self, name: &str, field: &str) -> Result<(), Status> {
        if agencies::Entity::find_by_id(name.to_string())
            .one(&self.ctx.db)
            .await
            .map_err(db)?
            .is_none()
        {
            return Err(ServiceError::invalid(
                field,
                format!("机关「{name}」未登记：请先由系统管理员运行 ogi admin agency add"),
            )
            .into());
        }
        Ok(())
    }

    async fn change_roles(
        &self,
        req: pb::ChangeRolesRequest,
        grant: bool,
    ) -> Result<pb::User, Status> {
        let now = Utc::now();
        let user = self.require_user(&req.username).await?;
        if user.dev_operator {
            return Err(ServiceError::invalid("username", "本机操作员的角色不可更改").into());
        }
        let changes = parse_roles_loose(&req.roles)?;
        let mut roles = roles_of(&user);
        for r in changes {
            if grant {
                if !roles.contains(&r) {
                    roles.push(r);
                }
            } else {
                roles.retain(|x| *x != r);
            }
        }
        access::check_roles(&roles).map_err(|e| ServiceError::invalid("roles", e.to_string()))?;
        let mut row: users::ActiveModel = user.into();
        row.roles = Set(join_roles(&roles));
        let user = row.update(&self.ctx.db).await.map_err(db)?;
        self.end_sessions(&user.username, now).await?;
        self.user_view(&user, now).await
    }
}

impl Accounts {
    /// Every signing key's public key by id, retired keys included.
    async fn all_keys(&self) -> Result<std::collections::HashMap<String, Vec<u8>>, Status> {
        let mut keys = self.keys.read().await.verifying_map();
        for row in signing_keys::Entity::find()
            .all(&self.ctx.db)
            .await
            .map_err(db)?
        {
            if !keys.contains_key(&row.kid)
                && let Ok(pair) = ogi_platform::auth::token::SigningKeyPair::from_pkcs8(
                    row.kid.clone(),
                    &row.pkcs8,
                )
            {
                keys.insert(row.kid, pair.public_key());
            }
        }
        Ok(keys)
    }
}

fn sso_status(e: crate::oidc::SsoError) -> Status {
    use crate::oidc::SsoError::*;
    match e {
        NotConfigured => Status::failed_precondition(e.to_string()),
        BadRedirect(_) => ServiceError::invalid("redirect_uri", e.to_string()).into(),
        Provider(_) => Status::unavailable(e.to_string()),
        UnknownState | BadIdToken(_) => Status::unauthenticated(e.to_string()),
    }
}

fn parse_roles_loose(codes: &[String]) -> Result<Vec<Role>, Status> {
    if codes.is_empty() {
        return Err(ServiceError::invalid("roles", "至少给出一个角色").into());
    }
    codes
        .iter()
        .map(|c| {
            c.parse::<Role>()
                .map_err(|e| ServiceError::invalid("roles", e.to_string()).into())
        })
        .collect()
}

fn agency_view(a: agencies::Model) -> pb::Agency {
    pb::Agency {
        name: a.name,
        code: a.code,
        letter_prefix: a.letter_prefix,
        reconsideration_body: a.reconsideration_body,
        parent: a.parent.unwrap_or_default(),
    }
}

#[tonic::async_trait]
impl server::AccountsService for Accounts {
    async fn login(&self, request: Request<pb::LoginRequest>) -> Reply<pb::LoginResponse> {
        let source = source_of(&request);
        let req = request.into_inner();
        let now = Utc::now();
        let user = self
            .check_password(&req.username, &req.password, &source, now)
            .await?;
        if user.must_change_password {
            self.chain
                .record(self.entry(
                    &user.username,
                    &user.agency,
                    "session.login",
                    AuditResult::Denied,
                    "须先修改初始密码",
                    &source,
                ))
                .await;
            return Ok(Response::new(pb::LoginResponse {
                must_change_password: true,
                user: Some(self.user_view(&user, now).await?),
                ..Default::default()
            }));
        }
        let response = self.sign_in(&user, now).await?;
        self.chain
            .record(self.entry(
                &user.username,
                &user.agency,
                "session.login",
                AuditResult::Allowed,
                "",
                &source,
            ))
            .await;
        Ok(Response::new(response))
    }

    async fn change_password(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Reply<pb::LoginResponse> {
        let source = source_of(&request);
        let req = request.into_inner();
        let now = Utc::now();
        let user = self
            .check_password(&req.username, &req.password, &source, now)
            .await?;
        if req.new_password == req.password {
            return Err(ServiceError::invalid("new_password", "新密码不得与原密码相同").into());
        }
        self.policy()
            .await?
            .check_password(&req.new_password)
            .map_err(|e| ServiceError::invalid("new_password", e.to_string()))?;
        let mut row: users::ActiveModel = user.into();
        row.password_hash = Set(secrets::hash_password(&req.new_password).map_err(internal)?);
        row.must_change_password = Set(false);
        let user = row.update(&self.ctx.db).await.map_err(db)?;
        self.chain
            .record(self.entry(
                &user.username,
                &user.agency,
                "session.change_password",
                AuditResult::Allowed,
                "",
                &source,
            ))
            .await;
        let response = self.sign_in(&user, now).await?;
        self.chain
            .record(self.entry(
                &user.username,
                &user.agency,
                "session.login",
                AuditResult::Allowed,
                "",
                &source,
            ))
            .await;
        Ok(Response::new(response))
    }

    async fn begin_sso(
        &self,
        request: Request<pb::BeginSsoRequest>,
    ) -> Reply<pb::BeginSsoResponse> {
        let req = request.into_inner();
        let sso = self.sso.as_ref().ok_or_else(|| {
            Status::failed_precondition(crate::oidc::SsoError::NotConfigured.to_string())
        })?;
        let (authorization_url, state) = sso
            .begin(&req.redirect_uri, &req.code_challenge)
            .await
            .map_err(sso_status)?;
        Ok(Response::new(pb::BeginSsoResponse {
            authorization_url,
            state,
        }))
    }

    async fn complete_sso(
        &self,
        request: Request<pb::CompleteSsoRequest>,
    ) -> Reply<pb::LoginResponse> {
        let source = source_of(&request);
        let req = request.into_inner();
        let now = Utc::now();
        let sso = self.sso.as_ref().ok_or_else(|| {
            Status::failed_precondition(crate::oidc::SsoError::NotConfigured.to_string())
        })?;
        let username = match sso
            .complete(&req.state, &req.code, &req.code_verifier)
            .await
        {
            Ok(u) => u,
            Err(e) => {
                self.chain
                    .record(self.entry(
                        "",
                        "",
                        "session.login_failed",
                        AuditResult::Denied,
                        &format!("单点登录：{e}"),
                        &source,
                    ))
                    .await;
                return Err(sso_status(e));
            }
        };
        let refuse = |reason: String| Status::unauthenticated(reason);
        let user = match self.user(&username).await? {
            Some(u) if u.enabled && !u.dev_operator => u,
            found => {
                let reason = match found {
                    None => {
                        format!("单点登录的用户「{username}」未在 ogi 中开通：请联系系统管理员")
                    }
                    Some(u) if u.dev_operator => "本机操作员不能经单点登录".to_string(),
                    Some(_) => "账户已停用：请联系系统管理员".to_string(),
                };
                self.chain
                    .record(self.entry(
                        &username,
                        "",
                        "session.login_failed",
                        AuditResult::Denied,
                        &format!("单点登录：{reason}"),
                        &source,
                    ))
                    .await;
                return Err(refuse(reason));
            }
        };
        let response = self.sign_in(&user, now).await?;
        self.chain
            .record(self.entry(
                &user.username,
                &user.agency,
                "session.login",
                AuditResult::Allowed,
                "单点登录",
                &source,
            ))
            .await;
        Ok(Response::new(response))
    }

    async fn refresh(&self, request: Request<pb::RefreshRequest>) -> Reply<pb::LoginResponse> {
        let req = request.into_inner();
        let now = Utc::now();
        let expired = || Status::unauthenticated("会话已结束或已过期：请重新运行 ogi login 登录");
        let session = sessions::Entity::find()
            .filter(sessions::Column::SecretHash.eq(secrets::secret_hash(&req.session_token)))
            .one(&self.ctx.db)
            .await
            .map_err(db)?
            .ok_or_else(expired)?;
        if session.ended_at.is_some() || session.expires_at <= now {
            return Err(expired());
        }
        let user = self.require_user(&session.username).await?;
        if !user.enabled {
            return Err(expired());
        }
        let (access_token, access_expires_at) = self.access_token(&user, &session, now).await?;
        Ok(Response::new(pb::LoginResponse {
            access_token,
            access_expires_at,
            session_token: String::new(),
            session_expires_at: session.expires_at.timestamp(),
            must_change_password: false,
            user: Some(self.user_view(&user, now).await?),
            idle_minutes: self.policy().await?.session_idle_minutes as u32,
        }))
    }

    async fn logout(&self, request: Request<pb::LogoutRequest>) -> Reply<pb::LogoutResponse> {
        let source = source_of(&request);
        let req = request.into_inner();
        let now = Utc::now();
        if let Some(session) = sessions::Entity::find()
            .filter(sessions::Column::SecretHash.eq(secrets::secret_hash(&req.session_token)))
            .one(&self.ctx.db)
            .await
            .map_err(db)?
            && session.ended_at.is_none()
        {
            let username = session.username.clone();
            let mut row: sessions::ActiveModel = session.into();
            row.ended_at = Set(Some(now));
            row.update(&self.ctx.db).await.map_err(db)?;
            self.chain
                .record(self.entry(
                    &username,
                    "",
                    "session.logout",
                    AuditResult::Allowed,
                    "",
                    &source,
                ))
                .await;
        }
        Ok(Response::new(pb::LogoutResponse {}))
    }

    async fn who_am_i(&self, request: Request<pb::WhoAmIRequest>) -> Reply<pb::User> {
        let caller = auth::caller(&request)?;
        let user = self.require_user(caller.username()).await?;
        Ok(Response::new(self.user_view(&user, Utc::now()).await?))
    }

    async fn get_signing_keys(
        &self,
        _request: Request<pb::GetSigningKeysRequest>,
    ) -> Reply<pb::SigningKeys> {
        // Another replica may have rotated, or the Secret changed: read the keys again.
        self.reload_keys().await?;
        Ok(Response::new(self.keys.read().await.published()))
    }

    async fn get_revocations(
        &self,
        _request: Request<pb::GetRevocationsRequest>,
    ) -> Reply<pb::Revocations> {
        // Sessions ended while a token of theirs could still be live.
        let since = Utc::now() - self.token_lifetime(&self.policy().await?) - Duration::minutes(5);
        let ended = sessions::Entity::find()
            .filter(sessions::Column::EndedAt.gt(since))
            .all(&self.ctx.db)
            .await
            .map_err(db)?;
        Ok(Response::new(pb::Revocations {
            session_ids: ended.into_iter().map(|s| s.id).collect(),
        }))
    }

    async fn rotate_signing_key(
        &self,
        request: Request<pb::RotateSigningKeyRequest>,
    ) -> Reply<pb::SigningKeys> {
        let caller = auth::caller(&request)?;
        let keys = self
            .admin(&caller, Permission::KeyRotate, "", async {
                if let Some(dir) = &self.ctx.config.auth.signing_keys_dir {
                    return Err(Status::failed_precondition(format!(
                        "签名密钥由挂载的密钥文件（Kubernetes Secret，{}）管理：请按 deploy/README.md 的步骤轮换",
                        dir.display()
                    )));
                }
                let ring = KeyRing::rotate(&self.ctx.db).await.map_err(internal)?;
                let published = ring.published();
                *self.keys.write().await = ring;
                Ok(published)
            })
            .await?;
        Ok(Response::new(keys))
    }

    async fn get_security_policy(
        &self,
        request: Request<pb::GetSecurityPolicyRequest>,
    ) -> Reply<pb::SecurityPolicy> {
        let caller = auth::caller(&request)?;
        caller.authorize(Permission::PolicyRead, "", "")?;
        Ok(Response::new(self.policy_view().await?))
    }

    async fn set_security_policy(
        &self,
        request: Request<pb::SetSecurityPolicyRequest>,
    ) -> Reply<pb::SecurityPolicy> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let policy = self
            .admin(&caller, Permission::PolicyUpdate, "", async {
                let mut p = self.policy().await?;
                if let Some(v) = req.password_min_length {
                    p.password_min_length = v as usize;
                }
                if let Some(v) = req.password_min_classes {
                    p.password_min_classes = v as usize;
                }
                if let Some(v) = req.lockout_threshold {
                    p.max_failures = v;
                }
                if let Some(v) = req.lockout_minutes {
                    p.lockout_minutes = i64::from(v);
                }
                if let Some(v) = req.token_minutes {
                    p.token_minutes = i64::from(v);
                }
                if let Some(v) = req.idle_minutes {
                    p.session_idle_minutes = i64::from(v);
                }
                if let Some(v) = req.session_max_hours {
                    p.session_max_hours = i64::from(v);
                }
                p.validate()
                    .map_err(|e| Status::from(ServiceError::invalid("policy", e)))?;
                let row = security_policy::ActiveModel {
                    id: Set(security_policy::ROW),
                    policy: Set(serde_json::to_string(&p).map_err(internal)?),
                    updated_at: Set(Utc::now()),
                    updated_by: Set(caller.username().to_string()),
                };
                security_policy::Entity::insert(row)
                    .on_conflict(
                        sea_orm::sea_query::OnConflict::column(security_policy::Column::Id)
                            .update_columns([
                                security_policy::Column::Policy,
                                security_policy::Column::UpdatedAt,
                                security_policy::Column::UpdatedBy,
                            ])
                            .to_owned(),
                    )
                    .exec(&self.ctx.db)
                    .await
                    .map_err(db)?;
                self.policy_view().await
            })
            .await?;
        Ok(Response::new(policy))
    }

    async fn add_user(&self, request: Request<pb::AddUserRequest>) -> Reply<pb::User> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let user = self
            .admin(
                &caller,
                Permission::UserCreate,
                &req.username.clone(),
                async {
                    check_username(&req.username)?;
                    if self.user(&req.username).await?.is_some() {
                        return Err(Status::already_exists(format!(
                            "用户「{}」已存在",
                            req.username
                        )));
                    }
                    let roles = parse_roles(&req.roles)?;
                    let scope: Scope = if req.scope.is_empty() {
                        Scope::Own
                    } else {
                        req.scope.parse().map_err(|e: access::AccessError| {
                            ServiceError::invalid("scope", e.to_string())
                        })?
                    };
                    if scope == Scope::All {
                        return Err(ServiceError::invalid(
                            "scope",
                            "「all」只属于本机开发模式的操作员",
                        )
                        .into());
                    }
                    self.agency_must_exist(&req.agency, "agency").await?;
                    self.policy()
                        .await?
                        .check_password(&req.password)
                        .map_err(|e| ServiceError::invalid("password", e.to_string()))?;
                    let now = Utc::now();
                    let user =
                        users::ActiveModel {
                            username: Set(req.username.clone()),
                            agency: Set(req.agency.clone()),
                            department: Set(req.department.trim().to_string()),
                            roles: Set(join_roles(&roles)),
                            scope: Set(scope.code().into()),
                            password_hash: Set(
                                secrets::hash_password(&req.password).map_err(internal)?
                            ),
                            enabled: Set(true),
                            must_change_password: Set(true),
                            failures: Set(0),
                            last_failure_at: Set(None),
                            dev_operator: Set(false),
                            created_at: Set(now),
                        }
                        .insert(&self.ctx.db)
                        .await
                        .map_err(db)?;
                    self.user_view(&user, now).await
                },
            )
            .await?;
        Ok(Response::new(user))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Reply<pb::ListUsersResponse> {
        let caller = auth::caller(&request)?;
        caller.authorize(Permission::UserList, "", "")?;
        let req = request.into_inner();
        let mut q = users::Entity::find().order_by_asc(users::Column::Username);
        if !req.agency.is_empty() {
            q = q.filter(users::Column::Agency.eq(req.agency.clone()));
        }
        let now = Utc::now();
        let mut out = Vec::new();
        for user in q.all(&self.ctx.db).await.map_err(db)? {
            out.push(self.user_view(&user, now).await?);
        }
        Ok(Response::new(pb::ListUsersResponse { users: out }))
    }

    async fn set_user_enabled(
        &self,
        request: Request<pb::SetUserEnabledRequest>,
    ) -> Reply<pb::User> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let permission = if req.enabled {
            Permission::UserEnable
        } else {
            Permission::UserDisable
        };
        let user = self
            .admin(&caller, permission, &req.username.clone(), async {
                let now = Utc::now();
                let user = self.require_user(&req.username).await?;
                if !req.enabled && user.username == caller.username() {
                    return Err(ServiceError::invalid("username", "不能停用自己的账户").into());
                }
                let mut row: users::ActiveModel = user.into();
                row.enabled = Set(req.enabled);
                if req.enabled {
                    row.failures = Set(0);
                    row.last_failure_at = Set(None);
                }
                let user = row.update(&self.ctx.db).await.map_err(db)?;
                if !req.enabled {
                    self.end_sessions(&user.username, now).await?;
                }
                self.user_view(&user, now).await
            })
            .await?;
        Ok(Response::new(user))
    }

    async fn reset_password(&self, request: Request<pb::ResetPasswordRequest>) -> Reply<pb::User> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let user = self
            .admin(
                &caller,
                Permission::UserResetPassword,
                &req.username.clone(),
                async {
                    let now = Utc::now();
                    let user = self.require_user(&req.username).await?;
                    self.policy()
                        .await?
                        .check_password(&req.password)
                        .map_err(|e| ServiceError::invalid("password", e.to_string()))?;
                    let mut row: users::ActiveModel = user.into();
                    row.password_hash =
                        Set(secrets::hash_password(&req.password).map_err(internal)?);
                    row.must_change_password = Set(true);
                    row.failures = Set(0);
                    row.last_failure_at = Set(None);
                    let user = row.update(&self.ctx.db).await.map_err(db)?;
                    self.end_sessions(&user.username, now).await?;
                    self.user_view(&user, now).await
                },
            )
            .await?;
        Ok(Response::new(user))
    }

    async fn grant_roles(&self, request: Request<pb::ChangeRolesRequest>) -> Reply<pb::User> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let target = req.username.clone();
        let user = self
            .admin(
                &caller,
                Permission::UserGrant,
                &target,
                self.change_roles(req, true),
            )
            .await?;
        Ok(Response::new(user))
    }

    async fn revoke_roles(&self, request: Request<pb::ChangeRolesRequest>) -> Reply<pb::User> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let target = req.username.clone();
        let user = self
            .admin(
                &caller,
                Permission::UserRevoke,
                &target,
                self.change_roles(req, false),
            )
            .await?;
        Ok(Response::new(user))
    }

    async fn add_agency(&self, request: Request<pb::Agency>) -> Reply<pb::Agency> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let agency = self
            .admin(&caller, Permission::AgencyAdd, &req.name.clone(), async {
                let name = req.name.trim().to_string();
                if name.is_empty()
                    || name.chars().count() > 100
                    || name.chars().any(char::is_control)
                {
                    return Err(ServiceError::invalid(
                        "name",
                        "机关名称必填，至多100个字符，不得含控制字符",
                    )
                    .into());
                }
                if agencies::Entity::find_by_id(name.clone())
                    .one(&self.ctx.db)
                    .await
                    .map_err(db)?
                    .is_some()
                {
                    return Err(Status::already_exists(format!("机关「{name}」已登记")));
                }
                let parent = Some(req.parent.trim().to_string()).filter(|p| !p.is_empty());
                if let Some(p) = &parent {
                    self.agency_must_exist(p, "parent").await?;
                }
                let row = agencies::ActiveModel {
                    name: Set(name),
                    code: Set(req.code.trim().to_string()),
                    letter_prefix: Set(req.letter_prefix.trim().to_string()),
                    reconsideration_body: Set(req.reconsideration_body.trim().to_string()),
                    parent: Set(parent),
                    created_at: Set(Utc::now()),
                }
                .insert(&self.ctx.db)
                .await
                .map_err(db)?;
                Ok(agency_view(row))
            })
            .await?;
        Ok(Response::new(agency))
    }

    async fn update_agency(&self, request: Request<pb::Agency>) -> Reply<pb::Agency> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        let agency = self
            .admin(
                &caller,
                Permission::AgencyUpdate,
                &req.name.clone(),
                async {
                    let existing = agencies::Entity::find_by_id(req.name.trim().to_string())
                        .one(&self.ctx.db)
                        .await
                        .map_err(db)?
                        .ok_or_else(|| {
                            Status::from(ServiceError::invalid(
                                "name",
                                format!("机关「{}」未登记", req.name),
                            ))
                        })?;
                    let parent = Some(req.parent.trim().to_string()).filter(|p| !p.is_empty());
                    if let Some(p) = &parent {
                        self.agency_must_exist(p, "parent").await?;
                        // The hierarchy must stay a tree.
                        let mut pairs: Vec<(String, Option<String>)> = agencies::Entity::find()
                            .all(&self.ctx.db)
                            .await
                            .map_err(db)?
                            .into_iter()
                            .map(|a| (a.name, a.parent))
                            .collect();
                        for pair in &mut pairs {
                            if pair.0 == existing.name {
                                pair.1 = parent.clone();
                            }
                        }
                        Hierarchy::new(pairs)
                            .map_err(|e| ServiceError::invalid("parent", e.to_string()))?;
                    }
                    let mut row: agencies::ActiveModel = existing.into();
                    row.code = Set(req.code.trim().to_string());
                    row.letter_prefix = Set(req.letter_prefix.trim().to_string());
                    row.reconsideration_body = Set(req.reconsideration_body.trim().to_string());
                    row.parent = Set(parent);
                    Ok(agency_view(row.update(&self.ctx.db).await.map_err(db)?))
                },
            )
            .await?;
        Ok(Response::new(agency))
    }

    async fn list_agencies(
        &self,
        request: Request<pb::ListAgenciesRequest>,
    ) -> Reply<pb::ListAgenciesResponse> {
        // Any signed-in user may read the registry (names are public).
        let _caller = auth::caller(&request)?;
        let rows = agencies::Entity::find()
            .order_by_asc(agencies::Column::Name)
            .all(&self.ctx.db)
            .await
            .map_err(db)?;
        Ok(Response::new(pb::ListAgenciesResponse {
            agencies: rows.into_iter().map(agency_view).collect(),
        }))
    }

    async fn record_audit(
        &self,
        request: Request<pb::RecordAuditRequest>,
    ) -> Reply<pb::RecordAuditResponse> {
        let req = request.into_inner();
        // Every key ever used, retired ones too: an entry kept in a service's outbox may have
        // waited through a rotation.
        let keys = self.all_keys().await?;
        let mut entries = Vec::new();
        for s in req.entries {
            let result = AuditResult::from_code(&s.result).ok_or_else(|| {
                Status::from(ServiceError::invalid(
                    "result",
                    format!("未知结果「{}」", s.result),
                ))
            })?;
            // The actor is whoever the token says, signature checked (a late entry may carry
            // an expired token). Without a token that holds, the entry is a refusal of nobody
            // (an unauthenticated call); anything else without an actor is not recorded.
            let (actor, agency) = match token::verify(&s.token, &keys, None) {
                Ok(claims) => (claims.sub, claims.agency),
                Err(_) if result == AuditResult::Denied => (String::new(), String::new()),
                Err(e) => {
                    tracing::warn!(error = %e, id = %s.id, "audit entry without a valid token refused");
                    continue;
                }
            };
            entries.push((
                s.id,
                AuditEntry {
                    at: s.at,
                    actor,
                    agency,
                    action: s.action,
                    case: s.case_id,
                    target_agency: s.target_agency,
                    result,
                    reason: s.reason,
                    source: s.source,
                },
            ));
        }
        let recorded = self.chain.append(entries).await.map_err(db)?;
        Ok(Response::new(pb::RecordAuditResponse { recorded }))
    }

    async fn list_audit(
        &self,
        request: Request<pb::ListAuditRequest>,
    ) -> Reply<pb::ListAuditResponse> {
        let caller = auth::caller(&request)?;
        caller.authorize(Permission::AuditRead, "", "")?;
        let req = request.into_inner();
        for (field, value) in [("from", &req.from), ("to", &req.to)] {
            if !value.is_empty() {
                ogi_platform::convert::date(field, value)?;
            }
        }
        Ok(Response::new(self.chain.list(&req).await.map_err(db)?))
    }

    async fn verify_audit(
        &self,
        request: Request<pb::VerifyAuditRequest>,
    ) -> Reply<pb::VerifyAuditResponse> {
        let caller = auth::caller(&request)?;
        caller.authorize(Permission::AuditRead, "", "")?;
        Ok(Response::new(self.chain.verify().await.map_err(db)?))
    }
}
