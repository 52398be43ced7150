//! `ogi-console`: the web console (办理平台) of ogi.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = ogi_console::config::ConsoleConfig::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match ogi_console::serve(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("办理平台启动失败：{e:#}");
            std::process::ExitCode::from(2)
        }
    }
}
