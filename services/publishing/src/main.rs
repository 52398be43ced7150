use clap::Parser;
use ogi_platform::{cli::ServiceArgs, config::ServiceConfig};

/// ogi 答复送达服务：生成答复书并登记送达。
#[derive(Parser)]
#[command(name = "ogi-publishing", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let defaults = ServiceConfig {
        listen: ([127, 0, 0, 1], 50054).into(),
        database_url: "sqlite://publishing.db?mode=rwc".into(),
        ..Default::default()
    };
    let config = args.service.resolve(defaults)?;
    ogi_platform::telemetry::init(config.log_json);
    ogi_publishing::run(config).await
}
