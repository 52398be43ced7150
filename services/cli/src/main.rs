//! `ogi`: the command line of ogi (政府信息公开申请办理系统). Messages for users are in Chinese.

mod calendar_cmd;
mod records_cmd;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Calendar { calendar, command } => calendar_cmd::run(calendar.as_deref(), command),
        Command::Records { command } => records_cmd::run(command),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("错误：{error:#}");
            ExitCode::from(2)
        }
    }
}
