use ogi_platform::cli::ServiceBinary;

const BINARY: ServiceBinary = ServiceBinary {
    name: "ogi-intake",
    about: "ogi 登记服务：登记政府信息公开申请并出具回执编号。",
    port: 50051,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (config, telemetry) = BINARY.configure();
    let result = ogi_intake::run(config).await;
    telemetry.shutdown().await;
    result
}
