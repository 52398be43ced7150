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
    /// 删除统计投影，从事件流起点重放重建（数字与重建前相同）
    #[arg(long)]
    rebuild: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (config, telemetry) = BINARY.start_with(args.service);
    let result = ogi_reporting::run(config, args.rebuild).await;
    telemetry.shutdown().await;
    result
}
