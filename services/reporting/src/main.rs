use clap::Parser;
use ogi_platform::cli::{ServiceArgs, ServiceBinary};

const BINARY: ServiceBinary = ServiceBinary {
    name: "ogi-reporting",
    about: "ogi 年度报告服务：由案件事件生成政府信息公开工作年度报告。",
    port: 50055,
};

/// ogi 年度报告服务：由案件事件生成政府信息公开工作年度报告。
#[derive(Parser)]
#[command(name = "ogi-reporting", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
    /// Drop the projections and rebuild them by replaying the event streams from the start.
    #[arg(long)]
    rebuild: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let config = args.service.resolve(BINARY.defaults())?;
    let telemetry = ogi_platform::telemetry::init(BINARY.name, &config);
    let result = ogi_reporting::run(config, args.rebuild).await;
    telemetry.shutdown().await;
    result
}
