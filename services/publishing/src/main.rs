use ogi_platform::cli::ServiceBinary;

const BINARY: ServiceBinary = ServiceBinary {
    name: "ogi-publishing",
    about: "ogi 答复送达服务：生成答复书并登记送达。",
    port: 50054,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (config, telemetry) = BINARY.configure();
    let result = ogi_publishing::run(config).await;
    telemetry.shutdown().await;
    result
}
