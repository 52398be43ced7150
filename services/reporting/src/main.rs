use clap::Parser;
use ogi_platform::{cli::ServiceArgs, config::ServiceConfig};

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
    let defaults = ServiceConfig {
        listen: ([127, 0, 0, 1], 50055).into(),
        database_url: "sqlite://reporting.db?mode=rwc".into(),
        ..Default::default()
    };
    let config = args.service.resolve(defaults)?;
    ogi_platform::telemetry::init(config.log_json);
    ogi_reporting::run(config, args.rebuild).await
}
