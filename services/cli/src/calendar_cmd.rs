//! `ogi calendar …`: working days on the official calendar.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;
use ogi_core::calendar::WorkCalendar;

#[derive(Subcommand)]
pub enum CalendarCommand {
    /// 输出 DATE 之后第 N 个工作日（起算日不计入）；第一个词为 ISO 日期
    WorkdaysAfter {
        /// 起算日期，如 2024-09-27
        date: String,
        /// 工作日数
        n: u32,
    },
    /// 说明 DATE 之后第 N 个工作日如何得出：跳过的节假日、周末与计入的调休上班日
    Explain { date: String, n: u32 },
    /// 某一天是工作日、周末、节假日还是调休上班日
    Day { date: String },
    /// 已载入的年度
    Years,
}

fn parse_date(field: &str, text: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .with_context(|| format!("{field}「{text}」不是有效日期，应为 YYYY-MM-DD"))
}

fn load(extra: Option<&Path>) -> anyhow::Result<WorkCalendar> {
    let mut calendar = WorkCalendar::official();
    if let Some(path) = extra {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("无法读取日历文件 {}", path.display()))?;
        calendar
            .load_toml(&text)
            .with_context(|| format!("日历文件 {} 有误", path.display()))?;
    }
    Ok(calendar)
}

pub fn run(extra: Option<&Path>, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    let calendar = load(extra)?;
    match command {
        CalendarCommand::WorkdaysAfter { date, n } => {
            let start = parse_date("起算日期", &date)?;
            let count = calendar.workdays_after(start, n);
            if count.provisional {
                println!(
                    "{} （暂定：该年度节假日安排未载入，仅按周末推算）",
                    count.date
                );
            } else {
                println!("{}", count.date);
            }
        }
        CalendarCommand::Explain { date, n } => {
            let start = parse_date("起算日期", &date)?;
            println!("{}", calendar.explain_workdays_after(start, n));
        }
        CalendarCommand::Day { date } => {
            let day = parse_date("日期", &date)?;
            let kind = calendar.day_kind(day);
            let loaded = if calendar.is_loaded(chrono::Datelike::year(&day)) {
                ""
            } else {
                "（该年度未载入，暂定）"
            };
            println!("{day} {kind}{loaded}");
        }
        CalendarCommand::Years => {
            let years: Vec<String> = calendar.years().iter().map(|y| y.to_string()).collect();
            println!("{}", years.join(" "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
