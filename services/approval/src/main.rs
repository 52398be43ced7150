use ogi_platform::cli::ServiceBinary;

const BINARY: ServiceBinary = ServiceBinary {
    name: "ogi-approval",
    about: "ogi 办理审批服务：答复期限、征求意见、延期、收费、答复意见与审批、复议诉讼登记。",
    port: 50053,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (config, telemetry) = BINARY.configure();
    let result = ogi_approval::run(config).await;
    telemetry.shutdown().await;
    result
}
