use ogi_platform::cli::ServiceBinary;

const BINARY: ServiceBinary = ServiceBinary {
    name: "ogi-validation",
    about: "ogi 审核服务：完整性审查、身份校验、筛查提示与补正流程。",
    port: 50052,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (config, telemetry) = BINARY.configure();
    let result = ogi_validation::run(config).await;
    telemetry.shutdown().await;
    result
}
