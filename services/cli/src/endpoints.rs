//! Where the services listen: the addresses `ogi dev` uses by default, overridden by flags or
//! the environment (OGI_INTAKE_ADDR, …).

use clap::Args;
use ogi_proto::v1::{
    approval_service_client::ApprovalServiceClient, intake_service_client::IntakeServiceClient,
    publishing_service_client::PublishingServiceClient,
    reporting_service_client::ReportingServiceClient,
    validation_service_client::ValidationServiceClient,
};
use tonic::transport::{Channel, Endpoint};

pub const SERVICES: [(&str, &str, u16); 5] = [
    ("intake", "ogi.v1.IntakeService", 50051),
    ("validation", "ogi.v1.ValidationService", 50052),
    ("approval", "ogi.v1.ApprovalService", 50053),
    ("publishing", "ogi.v1.PublishingService", 50054),
    ("reporting", "ogi.v1.ReportingService", 50055),
];

#[derive(Debug, Clone, Args)]
pub struct Endpoints {
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
    pub fn all(&self) -> [(&'static str, &'static str, &str); 5] {
        [
            ("intake", SERVICES[0].1, &self.intake),
            ("validation", SERVICES[1].1, &self.validation),
            ("approval", SERVICES[2].1, &self.approval),
            ("publishing", SERVICES[3].1, &self.publishing),
            ("reporting", SERVICES[4].1, &self.reporting),
        ]
    }
}

/// Connected clients of every service (channels connect lazily).
#[derive(Clone)]
pub struct Clients {
    pub intake: IntakeServiceClient<Channel>,
    pub validation: ValidationServiceClient<Channel>,
    pub approval: ApprovalServiceClient<Channel>,
    pub publishing: PublishingServiceClient<Channel>,
    pub reporting: ReportingServiceClient<Channel>,
}

pub fn channel(addr: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(addr.to_string())?.connect_lazy())
}

impl Clients {
    pub fn new(e: &Endpoints) -> anyhow::Result<Clients> {
        Ok(Clients {
            intake: IntakeServiceClient::new(channel(&e.intake)?),
            validation: ValidationServiceClient::new(channel(&e.validation)?),
            approval: ApprovalServiceClient::new(channel(&e.approval)?),
            publishing: PublishingServiceClient::new(channel(&e.publishing)?),
            reporting: ReportingServiceClient::new(channel(&e.reporting)?),
        })
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
