//! The gRPC services the console calls, and how it calls them as the signed-in user.

use ogi_proto::v1::{
    accounts_service_client::AccountsServiceClient, approval_service_client::ApprovalServiceClient,
    intake_service_client::IntakeServiceClient, publishing_service_client::PublishingServiceClient,
    reporting_service_client::ReportingServiceClient,
    validation_service_client::ValidationServiceClient,
};
use tonic::transport::{Channel, Endpoint};

use crate::config::ConsoleConfig;

/// Clients of every service; channels connect on first use, so the console starts (and
/// shows its sign-in page) before the services answer.
#[derive(Clone)]
pub struct Services {
    pub accounts: AccountsServiceClient<Channel>,
    pub intake: IntakeServiceClient<Channel>,
    pub validation: ValidationServiceClient<Channel>,
    pub approval: ApprovalServiceClient<Channel>,
    pub publishing: PublishingServiceClient<Channel>,
    pub reporting: ReportingServiceClient<Channel>,
}

fn channel(addr: &str) -> anyhow::Result<Channel> {
    Ok(Endpoint::from_shared(addr.to_string())?
        .connect_timeout(std::time::Duration::from_secs(3))
        .timeout(std::time::Duration::from_secs(30))
        .connect_lazy())
}

impl Services {
    pub fn connect_lazy(c: &ConsoleConfig) -> anyhow::Result<Services> {
        Ok(Services {
            accounts: AccountsServiceClient::new(channel(&c.accounts)?),
            intake: IntakeServiceClient::new(channel(&c.intake)?),
            validation: ValidationServiceClient::new(channel(&c.validation)?),
            approval: ApprovalServiceClient::new(channel(&c.approval)?),
            publishing: PublishingServiceClient::new(channel(&c.publishing)?),
            reporting: ReportingServiceClient::new(channel(&c.reporting)?),
        })
    }
}

/// A request carrying the user's access token, as every service expects it.
pub fn as_user<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    if let Ok(value) = format!("Bearer {token}").parse() {
        request.metadata_mut().insert("authorization", value);
    }
    request
}

/// A service's refusal as the user reads it: its Chinese message, the fields named; a
/// transport failure says which part of the system did not answer.
pub fn explain(status: &tonic::Status) -> String {
    match status.code() {
        tonic::Code::Unavailable | tonic::Code::DeadlineExceeded | tonic::Code::Unknown
            if status.message().contains("transport") || status.message().contains("connect") =>
        {
            "系统服务暂时无法连接，请稍后重试或联系系统管理员".to_string()
        }
        _ => ogi_platform::error::describe_status(status),
    }
}
