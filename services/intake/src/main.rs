use clap::Parser;
use ogi_platform::{cli::ServiceArgs, config::ServiceConfig};

/// ogi 登记服务：登记政府信息公开申请并出具回执编号。
#[derive(Parser)]
#[command(name = "ogi-intake", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let defaults = ServiceConfig {
        listen: ([127, 0, 0, 1], 50051).into(),
        database_url: "sqlite://intake.db?mode=rwc".into(),
        ..Default::default()
    };
    let config = args.service.resolve(defaults)?;
    ogi_platform::telemetry::init(config.log_json);
    ogi_intake::run(config).await
}
