//! The console's settings: where it listens, where the services are, how sessions behave.
//! Flags, else environment variables (the service addresses share the CLI's names).

use std::net::SocketAddr;

use clap::Parser;

#[derive(Debug, Clone, Parser)]
#[command(name = "ogi-console", version, about = "ogi 办理平台（网页）")]
pub struct ConsoleConfig {
    /// 监听地址
    #[arg(long, env = "OGI_CONSOLE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// 账户服务地址
    #[arg(
        long,
        env = "OGI_ACCOUNTS_ADDR",
        default_value = "http://127.0.0.1:50056"
    )]
    pub accounts: String,
    /// 登记服务地址
    #[arg(
        long,
        env = "OGI_INTAKE_ADDR",
        default_value = "http://127.0.0.1:50051"
    )]
    pub intake: String,
    /// 审核服务地址
    #[arg(
        long,
        env = "OGI_VALIDATION_ADDR",
        default_value = "http://127.0.0.1:50052"
    )]
    pub validation: String,
    /// 办理审批服务地址
    #[arg(
        long,
        env = "OGI_APPROVAL_ADDR",
        default_value = "http://127.0.0.1:50053"
    )]
    pub approval: String,
    /// 答复送达服务地址
    #[arg(
        long,
        env = "OGI_PUBLISHING_ADDR",
        default_value = "http://127.0.0.1:50054"
    )]
    pub publishing: String,
    /// 年度报告服务地址
    #[arg(
        long,
        env = "OGI_REPORTING_ADDR",
        default_value = "http://127.0.0.1:50055"
    )]
    pub reporting: String,
    /// 经 HTTPS 提供服务时设置：会话 Cookie 加 Secure 标记
    #[arg(long, env = "OGI_CONSOLE_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// 闲置多少分钟后自动退出登录
    #[arg(long, env = "OGI_CONSOLE_IDLE_MINUTES", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=480))]
    pub idle_minutes: u32,
}
