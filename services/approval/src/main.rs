use clap::Parser;
use ogi_platform::{cli::ServiceArgs, config::ServiceConfig};

/// ogi 办理审批服务：答复期限、征求意见、延期、收费、答复意见与审批、复议诉讼登记。
#[derive(Parser)]
#[command(name = "ogi-approval", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let defaults = ServiceConfig {
        listen: ([127, 0, 0, 1], 50053).into(),
        database_url: "sqlite://approval.db?mode=rwc".into(),
        ..Default::default()
    };
    let config = args.service.resolve(defaults)?;
    ogi_platform::telemetry::init(config.log_json);
    ogi_approval::run(config).await
}
