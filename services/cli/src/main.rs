//! `ogi`: the command line of ogi (政府信息公开申请办理系统). Messages for users are in Chinese.

/// `println!` of this crate: like std's, but a closed pipe ends ogi quietly ([`output`]).
macro_rules! println {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` of this crate: like std's, but a closed pipe ends ogi quietly ([`output`]).
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

mod account_cmd;
mod calendar_cmd;
mod case_cmd;
mod cases_cmd;
mod catalogue_cmd;
mod credentials;
mod decisions_file;
mod dev;
mod disclosure_cmd;
mod endpoints;
mod export;
mod import;
mod output;
mod records_cmd;
mod report_cmd;
mod table;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// `ogi --version`: the release and the git commit it was built from (build.rs).
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "（提交 ",
    env!("OGI_GIT_COMMIT"),
    "）"
);

#[derive(Parser)]
#[command(
    name = "ogi",
    version = VERSION,
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
    /// 输出 shell 自动补全脚本，例如 source <(ogi completion bash)
    Completion {
        /// bash、zsh、fish（另有 elvish、powershell）
        shell: clap_complete::Shell,
    },
    /// 案件记录（JSON Lines）：校验、生成
    Records {
        #[command(subcommand)]
        command: records_cmd::RecordsCommand,
    },
    /// 在本机启动整个系统（SQLite 或 PostgreSQL，自带或已有的 nats-server），显示各服务的 gRPC 地址与管理端点，Ctrl-C 停止
    Dev(dev::DevArgs),
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
    /// 查找案件：list 按条件列出，search 按编号、申请人或申请内容查找
    Cases {
        #[command(subcommand)]
        command: cases_cmd::CasesCommand,
    },
    /// 政府信息公开工作年度报告：生成（--agency --year --format）、check 检查勾稽关系、录入与锁定
    Report(report_cmd::ReportArgs),
    /// 主动公开目录（规章、行政规范性文件）：import 导入、list 列出、repeal 登记废止
    Catalogue {
        #[command(subcommand)]
        command: catalogue_cmd::CatalogueCommand,
    },
    /// 依申请公开转主动公开（第四十四条）：candidates 列出候选、publish 登入主动公开目录
    Disclosure {
        #[command(subcommand)]
        command: disclosure_cmd::DisclosureCommand,
    },
    #[command(flatten)]
    Case(case_cmd::CaseCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Calendar { calendar, command } => {
            calendar_cmd::run(calendar.as_deref(), command, &cli.endpoints)
        }
        Command::Records { command } => records_cmd::run(command),
        Command::Completion { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "ogi", &mut script);
            print!("{}", String::from_utf8_lossy(&script));
            Ok(ExitCode::SUCCESS)
        }
        // Checking a report file is a pure computation: nothing needs to run.
        Command::Report(report_cmd::ReportArgs {
            command:
                Some(report_cmd::ReportCommand::Check {
                    file,
                    previous,
                    narrative,
                }),
            ..
        }) => report_cmd::check(&file, previous.as_ref(), narrative.as_ref()),
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
        // The reader of our output went away (`ogi … | head`): nothing more to say.
        Err(error) if output::is_closed_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            // An error may quote what a client typed: never raw to the terminal.
            eprintln!(
                "错误：{}",
                ogi_core::limits::escape_for_terminal(&format!("{error:#}"), true)
            );
            ExitCode::from(2)
        }
    }
}

/// `ogi status`: warn when the calendar the services count on ends before next year. The
/// State Council announces the next year's holidays in November or December, and an
/// operator must load it (`calendar_file`) before deadlines run into it. This operational
/// warning is the one place that reads today's date (in China); no legal rule does.
async fn warn_when_the_calendar_ends(endpoints: &endpoints::Endpoints) {
    use chrono::Datelike;
    // The calendar's years are read signed in; without a credential there is no warning.
    let Ok(clients) = endpoints::Clients::new(endpoints).await else {
        return;
    };
    let mut client = clients.approval.clone();
    let Ok(info) = client
        .get_calendar(ogi_proto::v1::GetCalendarRequest {})
        .await
        .map(|r| r.into_inner())
    else {
        return;
    };
    let china = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let next_year = chrono::Utc::now().with_timezone(&china).year() + 1;
    let last = info.years.iter().copied().max();
    if last.is_none_or(|last| last < next_year) {
        let loaded = last.map_or("没有任何年度".to_string(), |y| format!("只到{y}年"));
        println!(
            "警告：工作日历{loaded}，{next_year}年节假日安排尚未载入，跨入该年的答复期限按周末推算并标为暂定。\
             国务院公布后，请将其加入各服务的 calendar_file 并重启（载入前可用 ogi calendar check 检查）。"
        );
    }
}

/// The subcommands that talk to the running services.
async fn run_online(
    command: Command,
    endpoints: &endpoints::Endpoints,
) -> anyhow::Result<ExitCode> {
    match command {
        Command::Dev(args) => dev::run(args, endpoints).await,
        Command::Status => {
            let mut all = true;
            for (name, service, addr) in endpoints.all() {
                let ok = endpoints::healthy(addr, service).await;
                let stuck = ok && endpoints::has_dead_letters(addr).await;
                all &= ok && !stuck;
                println!(
                    "{name:<11} {addr:<24} {}",
                    match (ok, stuck) {
                        (false, _) => "不可用",
                        (true, true) =>
                            "有无法发布的事件（死信），其后的事件照常发布；原因见该服务的 /readyz",
                        (true, false) => "正常",
                    }
                );
            }
            if all {
                warn_when_the_calendar_ends(endpoints).await;
            } else {
                eprintln!("有服务不可用：{}", endpoints::START_HINT);
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
            println!(
                "{}",
                ogi_core::limits::escape_for_terminal(&summary.to_string(), true)
            );
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
        Command::Cases { command } => {
            let clients = endpoints::Clients::new(endpoints).await?;
            cases_cmd::run(&clients, command).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Catalogue { command } => {
            let clients = endpoints::Clients::new(endpoints).await?;
            catalogue_cmd::run(&clients, command).await
        }
        Command::Disclosure { command } => {
            let clients = endpoints::Clients::new(endpoints).await?;
            disclosure_cmd::run(&clients, command).await
        }
        Command::Case(command) => {
            let clients = endpoints::Clients::new(endpoints).await?;
            case_cmd::run(&clients, command).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Calendar { .. } | Command::Records { .. } | Command::Completion { .. } => {
            Ok(ExitCode::SUCCESS)
        }
    }
}
