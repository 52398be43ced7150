use clap::Parser;
use ogi_platform::cli::{ServiceArgs, ServiceBinary};

const BINARY: ServiceBinary = ServiceBinary {
    name: "ogi-accounts",
    about: "ogi 账户服务：用户、角色、机关名录、登录会话、签名密钥与审计日志。",
    port: 50056,
};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    service: ServiceArgs,
    /// 本机开发模式：创建拥有全部角色的本机操作员 operator（密码取自 OGI_DEV_OPERATOR_PASSWORD）；生产配置（production = true）拒绝
    #[arg(long, env = "OGI_DEV_OPERATOR", value_parser = clap::builder::BoolishValueParser::new())]
    dev_operator: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use clap::{CommandFactory, FromArgMatches};
    let command = Args::command()
        .name(BINARY.name)
        .about(BINARY.about)
        .version(env!("CARGO_PKG_VERSION"));
    let args = Args::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    let (config, telemetry) = BINARY.start_with(args.service);
    let dev_operator = if args.dev_operator {
        if config.production {
            eprintln!(
                "ogi-accounts：配置错误：生产配置（production = true）不允许创建本机操作员（--dev-operator）"
            );
            std::process::exit(2);
        }
        match std::env::var("OGI_DEV_OPERATOR_PASSWORD") {
            Ok(p) if !p.is_empty() => Some(p),
            _ => {
                eprintln!(
                    "ogi-accounts：配置错误：--dev-operator 需要环境变量 OGI_DEV_OPERATOR_PASSWORD"
                );
                std::process::exit(2);
            }
        }
    } else {
        None
    };
    let result = ogi_accounts::run(config, dev_operator).await;
    telemetry.shutdown().await;
    result
}
