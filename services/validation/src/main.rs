use clap::Parser;
use ogi_platform::{cli::ServiceArgs, config::ServiceConfig};

/// ogi 审核服务：完整性审查、身份校验、筛查提示与补正流程。
#[derive(Parser)]
#[command(name = "ogi-validation", version)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let defaults = ServiceConfig {
        listen: ([127, 0, 0, 1], 50052).into(),
        database_url: "sqlite://validation.db?mode=rwc".into(),
        ..Default::default()
    };
    let config = args.service.resolve(defaults)?;
    ogi_platform::telemetry::init(config.log_json);
    ogi_validation::run(config).await
}
