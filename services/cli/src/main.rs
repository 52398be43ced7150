//! `ogi`: the command line of ogi (政府信息公开申请办理系统). Messages for users are in Chinese.

mod account_cmd;
mod calendar_cmd;
mod case_cmd;
mod credentials;
mod dev;
mod endpoints;
mod export;
mod import;
mod records_cmd;
mod report_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ogi",
    version,
    about = "ogi：政府信息公开申请办理与年度报告系统"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    endpoints: endpoints::Endpoints,
}

#[derive(Subcommand)]
enum Command {
    /// 工作日历：按国务院节假日安排（含调休）计算工作日
    Calendar {
        /// 追加载入的日历文件（格式同 china-workdays.toml），用于尚未内置的年度
        #[arg(long, global = true, env = "OGI_CALENDAR_FILE")]
        calendar: Option<PathBuf>,
        #[command(subcommand)]
        command: calendar_cmd::CalendarCommand,
    },
    /// 案件记录（JSON Lines）：校验
    Records {
        #[command(subcommand)]
        command: records_cmd::RecordsCommand,
    },
    /// 在本机启动整个系统（SQLite 数据文件与自带的 nats-server），Ctrl-C 停止
    Dev {
        /// 数据目录
        #[arg(long, default_value = ".ogi-data")]
        data_dir: PathBuf,
        /// 使用已有的 NATS（不自行启动 nats-server）
        #[arg(long, env = "OGI_NATS_URL")]
        nats_url: Option<String>,
        /// 自行启动的 nats-server 端口
        #[arg(long, default_value_t = 14222)]
        nats_port: u16,
        /// 数据目录为新建时导入的案件记录文件
        #[arg(long)]
        load_fixture_if_new: Option<PathBuf>,
    },
    /// 检查各服务健康状态；全部正常时退出码为0
    Status,
    /// 登录（凭据保存在 OGI_CONFIG_DIR，默认 ~/.config/ogi）
    Login(account_cmd::LoginArgs),
    /// 退出登录
    Logout,
    /// 当前登录的用户、机关、角色与权限范围
    Whoami,
    /// 系统管理：用户与行政机关名录
    Admin {
        #[command(subcommand)]
        command: account_cmd::AdminCommand,
    },
    /// 审计日志：列出与校验（审计管理员）
    Audit {
        #[command(subcommand)]
        command: account_cmd::AuditCommand,
    },
    /// 按案件记录的日期，通过各服务逐条重放导入（已存在的编号不变）
    Import {
        file: PathBuf,
        /// 输出吞吐量与各步骤延迟分位数
        #[arg(long)]
        stats: bool,
    },
    /// 导出案件记录（JSON Lines，与导入格式相同）
    Export {
        #[arg(long)]
        agency: Option<String>,
    },
    /// 政府信息公开工作年度报告：生成（--agency --year --format）、check 检查勾稽关系、录入与锁定
    Report(report_cmd::ReportArgs),
    #[command(flatten)]
    Case(case_cmd::CaseCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Calendar { calendar, command } => calendar_cmd::run(calendar.as_deref(), command),
        Command::Records { command } => records_cmd::run(command),
        command => match tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt.block_on(run_online(command, &cli.endpoints)),
            Err(e) => Err(e.into()),
        },
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("错误：{error:#}");
            ExitCode::from(2)
        }
    }
}

/// The subcommands that talk to the running services.
async fn run_online(
    command: Command,
    endpoints: &endpoints::Endpoints,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Dev {
            data_dir,
            nats_url,
            nats_port,
            load_fixture_if_new,
        } => {
            dev::run(
                dev::DevOptions {
                    data_dir,
                    nats_url,
                    nats_port,
                    load_fixture_if_new,
                },
                endpoints,
            )
            .await
        }
        Command::Status => {
            let mut all = true;
            for (name, service, addr) in endpoints.all() {
                let ok = endpoints::healthy(addr, service).await;
                all &= ok;
                println!(
                    "{name:<11} {addr:<24} {}",
                    if ok { "正常" } else { "不可用" }
                );
            }
            Ok(if all {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Login(args) => account_cmd::login(endpoints, args).await,
        Command::Logout => account_cmd::logout(endpoints).await,
        Command::Whoami => account_cmd::whoami(&endpoints::Clients::new(endpoints).await?).await,
        Command::Admin { command } => {
            account_cmd::admin(&endpoints::Clients::new(endpoints).await?, command).await
        }
        Command::Audit { command } => {
            account_cmd::audit(&endpoints::Clients::new(endpoints).await?, command).await
        }
        Command::Import { file, stats } => {
            let clients = endpoints::Clients::new(endpoints).await?;
            let started = std::time::Instant::now();
            let summary = import::import_file(&clients, &file, stats).await?;
            let took = started.elapsed();
            println!("{summary}");
            if stats {
                println!(
                    "用时 {:.2} 秒，{:.1} 件/秒",
                    took.as_secs_f64(),
                    summary.imported as f64 / took.as_secs_f64()
                );
                print!("{}", import::latency_report());
            }
            Ok(if summary.ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Export { agency } => {
            let clients = endpoints::Clients::new(endpoints).await?;
            let n = export::export(&clients, agency.as_deref()).await?;
            eprintln!("已导出{n}条案件记录");
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => {
            let clients = endpoints::Clients::new(endpoints).await?;
            report_cmd::run(&clients, args).await
        }
        Command::Case(command) => {
            let clients = endpoints::Clients::new(endpoints).await?;
            case_cmd::run(&clients, command).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { .. } | Command::Records { .. } => Ok(ExitCode::SUCCESS),
    }
}
