//! `ogi calendar …`: working days on the official calendar.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Subcommand;

use ogi_core::calendar::{WorkCalendar, check_calendar_file};
use ogi_proto::v1 as pb;

use crate::endpoints::Endpoints;

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
    /// 检查准备载入的日历文件（日期顺序、节假日与调休不冲突、调休为周末、年度完整），
    /// 并在系统运行时列出在办案件答复期限将发生的变化；有效退出码0，无效1，无法读取2
    Check {
        /// 日历文件（格式同 china-workdays.toml）
        file: std::path::PathBuf,
        /// 只比较该机关的在办案件
        #[arg(long)]
        agency: Option<String>,
    },
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

pub fn run(
    extra: Option<&Path>,
    command: CalendarCommand,
    endpoints: &Endpoints,
) -> anyhow::Result<ExitCode> {
    if let CalendarCommand::Check { file, agency } = command {
        return check(&file, agency.as_deref(), endpoints);
    }
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
        CalendarCommand::Check { .. } => {}
    }
    Ok(ExitCode::SUCCESS)
}

/// `ogi calendar check FILE`: the strict check of the file (exit 1 when it fails), then,
/// when the approval service answers, what loading it would change for open cases.
fn check(file: &Path, agency: Option<&str>, endpoints: &Endpoints) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取日历文件 {}", file.display()))?;
    let schedules = match check_calendar_file(&text) {
        Ok(s) => s,
        Err(e) => {
            println!("日历文件 {} 未通过检查：{e}", file.display());
            return Ok(ExitCode::from(1));
        }
    };
    println!("日历文件 {} 检查通过：", file.display());
    for s in &schedules {
        let holiday_days: i64 = s
            .holidays
            .iter()
            .map(|h| (h.to - h.from).num_days() + 1)
            .sum();
        println!(
            "  {}年度：节假日{}个（共{}天），调休上班日{}天",
            s.year,
            s.holidays.len(),
            holiday_days,
            s.adjusted_workdays.len()
        );
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(preview(&text, agency, endpoints));
    Ok(ExitCode::SUCCESS)
}

async fn preview(text: &str, agency: Option<&str>, endpoints: &Endpoints) {
    let addr = &endpoints.approval;
    let request = pb::PreviewCalendarRequest {
        calendar_toml: text.to_string(),
        agency: agency.unwrap_or_default().to_string(),
    };
    let answer = async {
        // The preview reads the cases in the caller's scope: signed in.
        let clients = crate::endpoints::Clients::new(endpoints).await?;
        let mut client = clients.approval.clone();
        anyhow::Ok(
            client
                .preview_calendar(request)
                .await
                .map_err(|s| anyhow::anyhow!("{}", s.message()))?
                .into_inner(),
        )
    }
    .await;
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            println!(
                "未能连接办理审批服务 {addr}（{e:#}），未比较在办案件的答复期限；\
                 系统运行时再次执行本命令可列出将变化的答复期限。"
            );
            return;
        }
    };
    let mark = |p: bool| if p { "（暂定）" } else { "" };
    println!(
        "在办案件{}件，载入后答复期限将变化的{}件{}",
        r.open_cases,
        r.changes.len(),
        if r.changes.is_empty() { "。" } else { "：" }
    );
    for c in &r.changes {
        println!(
            "  {}  {}  {}{} → {}{}",
            c.case_id,
            c.agency,
            c.due_before,
            mark(c.provisional_before),
            c.due_after,
            mark(c.provisional_after)
        );
    }
    if !r.changes.is_empty() {
        println!("载入方法：将文件设为各服务的 calendar_file 并重启服务。");
    }
}
