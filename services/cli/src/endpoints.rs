//! Where the services listen: the addresses `ogi dev` uses by default, overridden by flags or
//! the environment (OGI_INTAKE_ADDR, …).

use std::sync::{Arc, RwLock};

use clap::Args;
use ogi_proto::v1::{
    accounts_service_client::AccountsServiceClient, approval_service_client::ApprovalServiceClient,
    case_arrival_service_client::CaseArrivalServiceClient,
    intake_service_client::IntakeServiceClient, publishing_service_client::PublishingServiceClient,
    reporting_service_client::ReportingServiceClient,
    validation_service_client::ValidationServiceClient,
};
use tonic::body::Body;
use tonic::codegen::http;
use tonic::codegen::{BoxFuture, Context, Poll, Service};
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::credentials::{self, Credential};

pub const SERVICES: [(&str, &str, u16); 6] = [
    ("accounts", "ogi.v1.AccountsService", 50056),
    ("intake", "ogi.v1.IntakeService", 50051),
    ("validation", "ogi.v1.ValidationService", 50052),
    ("approval", "ogi.v1.ApprovalService", 50053),
    ("publishing", "ogi.v1.PublishingService", 50054),
    ("reporting", "ogi.v1.ReportingService", 50055),
];

/// What a person calls each service (same order as [`SERVICES`]).
pub const SERVICE_NAMES: [&str; 6] = [
    "账户服务",
    "申请登记服务",
    "审核服务",
    "办理审批服务",
    "答复送达服务",
    "年度报告服务",
];

/// What to do when a service cannot be reached.
pub const START_HINT: &str = "系统未启动？请先运行 make run 或 ogi dev";

/// The message for a service that cannot be reached: which one, where, and what to do.
pub fn unreachable_message(service: &str, addr: &str) -> String {
    format!("无法连接{service} {addr}：{START_HINT}")
}

#[derive(Debug, Clone, Args)]
pub struct Endpoints {
    /// 账户服务地址
    #[arg(
        long,
        global = true,
        env = "OGI_ACCOUNTS_ADDR",
        default_value = "http://127.0.0.1:50056"
    )]
    pub accounts: String,
    /// 登记服务地址
    #[arg(
        long,
        global = true,
        env = "OGI_INTAKE_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub intake: String,
    /// 审核服务地址
    #[arg(
        long,
        global = true,
        env = "OGI_VALIDATION_ADDR",
        default_value = "http://127.0.0.1:50052"
    )]
    pub validation: String,
    /// 办理审批服务地址
    #[arg(
        long,
        global = true,
        env = "OGI_APPROVAL_ADDR",
        default_value = "http://127.0.0.1:50053"
    )]
    pub approval: String,
    /// 答复送达服务地址
    #[arg(
        long,
        global = true,
        env = "OGI_PUBLISHING_ADDR",
        default_value = "http://127.0.0.1:50054"
    )]
    pub publishing: String,
    /// 年度报告服务地址
    #[arg(
        long,
        global = true,
        env = "OGI_REPORTING_ADDR",
        default_value = "http://127.0.0.1:50055"
    )]
    pub reporting: String,
}

impl Endpoints {
    pub fn all(&self) -> [(&'static str, &'static str, &str); 6] {
        [
            ("accounts", SERVICES[0].1, &self.accounts),
            ("intake", SERVICES[1].1, &self.intake),
            ("validation", SERVICES[2].1, &self.validation),
            ("approval", SERVICES[3].1, &self.approval),
            ("publishing", SERVICES[4].1, &self.publishing),
            ("reporting", SERVICES[5].1, &self.reporting),
        ]
    }
}

/// A channel to one service whose transport failures (refused, reset, unreachable) become an
/// UNAVAILABLE status naming the service, its address and the fix, so that every command
/// reports them alike and no transport string reaches the user. Answers of the service
/// itself, errors included, pass unchanged.
#[derive(Clone)]
pub struct ServiceChannel {
    inner: Channel,
    unreachable: std::sync::Arc<str>,
}

impl ServiceChannel {
    fn unavailable(&self) -> tonic::Status {
        tonic::Status::unavailable(self.unreachable.to_string())
    }
}

impl Service<http::Request<Body>> for ServiceChannel {
    type Response = http::Response<Body>;
    type Error = tonic::Status;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(|_| self.unavailable())
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let status = self.unavailable();
        let call = self.inner.call(request);
        Box::pin(async move {
            call.await.map_err(|error| {
                if timed_out(&error) {
                    tonic::Status::deadline_exceeded(format!(
                        "服务在{}秒内没有答复，请稍后重试",
                        CALL_TIMEOUT.as_secs()
                    ))
                } else {
                    status
                }
            })
        })
    }
}

/// Whether a transport error is the call's deadline ([`CALL_TIMEOUT`]) passing.
fn timed_out(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(error) = source {
        if error.is::<tonic::TimeoutExpired>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// The token every call carries, replaced when it is refreshed.
#[derive(Clone, Default)]
pub struct Bearer(Arc<RwLock<Option<MetadataValue<Ascii>>>>);

impl Bearer {
    pub fn set(&self, token: &str) -> anyhow::Result<()> {
        let value: MetadataValue<Ascii> = format!("Bearer {token}").parse()?;
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some(value);
        Ok(())
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = self.0.read().unwrap_or_else(|e| e.into_inner()).clone() {
            request.metadata_mut().insert("authorization", value);
        }
        Ok(request)
    }
}

pub type Authed = InterceptedService<ServiceChannel, Bearer>;

/// Connected clients of every service (channels connect lazily), carrying the token.
#[derive(Clone)]
pub struct Clients {
    pub accounts: AccountsServiceClient<Authed>,
    pub intake: IntakeServiceClient<Authed>,
    pub validation: ValidationServiceClient<Authed>,
    pub approval: ApprovalServiceClient<Authed>,
    pub publishing: PublishingServiceClient<Authed>,
    pub reporting: ReportingServiceClient<Authed>,
    /// Waiting on validation, approval and publishing for a case to reach them.
    pub arrivals: Arrivals,
    pub bearer: Bearer,
    credential: Arc<tokio::sync::Mutex<Option<Credential>>>,
}

/// `AwaitCase` on the services that keep case files.
#[derive(Clone)]
pub struct Arrivals {
    pub validation: CaseArrivalServiceClient<Authed>,
    pub approval: CaseArrivalServiceClient<Authed>,
    pub publishing: CaseArrivalServiceClient<Authed>,
}

/// The deadline of every call `ogi` makes (a call that waits on the server, `AwaitCase`,
/// waits at most 30 s of it), and of connecting.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A lazily connecting channel to the service `index` of [`SERVICES`] at `addr`; every call on
/// it has the deadline [`CALL_TIMEOUT`].
pub fn channel(index: usize, addr: &str) -> anyhow::Result<ServiceChannel> {
    let service = SERVICE_NAMES[index];
    let endpoint = Endpoint::from_shared(addr.to_string()).map_err(|_| {
        anyhow::anyhow!(
            "{service}的地址「{addr}」无效：应形如 http://127.0.0.1:{}",
            SERVICES[index].2
        )
    })?;
    Ok(ServiceChannel {
        inner: endpoint
            .timeout(CALL_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .connect_lazy(),
        unreachable: unreachable_message(service, addr).into(),
    })
}

/// Refresh the access token this long before it expires.
const REFRESH_AHEAD_SECS: i64 = 120;

impl Clients {
    /// Clients with no credential (sign-in calls only).
    pub fn anonymous(e: &Endpoints) -> anyhow::Result<Clients> {
        let bearer = Bearer::default();
        let authed = |index: usize, addr: &str| -> anyhow::Result<Authed> {
            Ok(InterceptedService::new(
                channel(index, addr)?,
                bearer.clone(),
            ))
        };
        let validation = authed(2, &e.validation)?;
        let approval = authed(3, &e.approval)?;
        let publishing = authed(4, &e.publishing)?;
        Ok(Clients {
            accounts: AccountsServiceClient::new(authed(0, &e.accounts)?),
            intake: IntakeServiceClient::new(authed(1, &e.intake)?),
            arrivals: Arrivals {
                validation: CaseArrivalServiceClient::new(validation.clone()),
                approval: CaseArrivalServiceClient::new(approval.clone()),
                publishing: CaseArrivalServiceClient::new(publishing.clone()),
            },
            validation: ValidationServiceClient::new(validation),
            approval: ApprovalServiceClient::new(approval),
            publishing: PublishingServiceClient::new(publishing),
            reporting: ReportingServiceClient::new(authed(5, &e.reporting)?),
            bearer,
            credential: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }

    /// Clients signed in with the credential of `ogi login` (under OGI_CONFIG_DIR), its token
    /// refreshed whenever it is about to expire.
    pub async fn new(e: &Endpoints) -> anyhow::Result<Clients> {
        let credential = credentials::load()?.ok_or_else(|| {
            anyhow::anyhow!(
                "尚未登录：请先运行 ogi login --username 用户名（凭据目录 {}）",
                credentials::config_dir().display()
            )
        })?;
        let clients = Self::anonymous(e)?;
        clients.bearer.set(&credential.access_token)?;
        *clients.credential.lock().await = Some(credential);
        clients.refresh_if_due(false).await?;
        let background = clients.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                if let Err(error) = background.refresh_if_due(false).await {
                    eprintln!("警告：{error:#}");
                }
            }
        });
        Ok(clients)
    }

    /// Get a fresh access token when the current one is about to expire (or at once with
    /// `force`, e.g. after registering agencies, so that the token's scope includes them).
    pub async fn refresh_if_due(&self, force: bool) -> anyhow::Result<()> {
        let mut guard = self.credential.lock().await;
        let Some(credential) = guard.as_mut() else {
            return Ok(());
        };
        let now = chrono::Utc::now().timestamp();
        if !force && credential.access_expires_at - REFRESH_AHEAD_SECS > now {
            return Ok(());
        }
        let mut accounts = self.accounts.clone();
        let fresh = accounts
            .refresh(ogi_proto::v1::RefreshRequest {
                session_token: credential.session_token.clone(),
            })
            .await
            .map_err(|s| anyhow::anyhow!("{}", s.message()))?
            .into_inner();
        credential.access_token = fresh.access_token;
        credential.access_expires_at = fresh.access_expires_at;
        self.bearer.set(&credential.access_token)?;
        credentials::save(credential)?;
        Ok(())
    }
}

/// Ask one service's gRPC health; `Ok(true)` when SERVING.
/// Whether the service at `addr` holds outbox events it cannot publish (dead letters): its
/// health of `ogi.v1.Outbox` is NOT_SERVING. A service that does not report it counts as clear.
pub async fn has_dead_letters(addr: &str) -> bool {
    let Ok(channel) = Endpoint::from_shared(addr.to_string()) else {
        return false;
    };
    let Ok(channel) = channel
        .connect_timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
    else {
        return false;
    };
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest {
        service: "ogi.v1.Outbox".to_string(),
    };
    matches!(
        client.check(request).await.map(|r| r.into_inner().status),
        Ok(s) if s == tonic_health::pb::health_check_response::ServingStatus::NotServing as i32
    )
}

pub async fn healthy(addr: &str, service: &str) -> bool {
    let Ok(channel) = Endpoint::from_shared(addr.to_string()) else {
        return false;
    };
    let Ok(channel) = channel
        .connect_timeout(std::time::Duration::from_secs(2))
        .connect()
        .await
    else {
        return false;
    };
    let mut client = tonic_health::pb::health_client::HealthClient::new(channel);
    let request = tonic_health::pb::HealthCheckRequest {
        service: service.to_string(),
    };
    matches!(
        client.check(request).await.map(|r| r.into_inner().status),
        Ok(s) if s == tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    )
}
