//! `ogi cases list|search`: finding cases — intake searches the applications (reference,
//! receipt number, applicant, request; never identity numbers or telephones), approval filters
//! the case files (stage, outcome, due date, overdue) — and `ogi show`'s lookup of a case by
//! its id, reference or receipt number.

use std::collections::HashMap;

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use ogi_core::codes::{CodeList, label};
use ogi_core::limits::escape_for_terminal;
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;

#[derive(Debug, Clone, Subcommand)]
pub enum CasesCommand {
    /// 列出案件（可按机关、阶段、期限、收到日期、办理结果筛选）
    List(Filters),
    /// 按本机关编号、回执编号、申请人或申请内容查找案件（不按证件号码、电话查找）
    Search {
        /// 查找的文字
        query: String,
        #[command(flatten)]
        filters: Filters,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// 表格（中文标签）
    Table,
    /// JSON（保留代码，供脚本使用）
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct Filters {
    /// 行政机关
    #[arg(long)]
    agency: Option<String>,
    /// 阶段：received awaiting_correction in_progress drafted approved closed
    #[arg(long)]
    stage: Option<String>,
    /// 答复期限在此日或之前的未办结案件
    #[arg(long, value_name = "YYYY-MM-DD")]
    due_before: Option<NaiveDate>,
    /// 在此日已超过答复期限的未办结案件
    #[arg(long, value_name = "YYYY-MM-DD")]
    overdue_on: Option<NaiveDate>,
    /// 收到申请日期不早于
    #[arg(long, value_name = "YYYY-MM-DD")]
    received_from: Option<NaiveDate>,
    /// 收到申请日期不晚于
    #[arg(long, value_name = "YYYY-MM-DD")]
    received_to: Option<NaiveDate>,
    /// 办理结果代码，如 partially_disclosed
    #[arg(long)]
    outcome: Option<String>,
    /// 输出格式
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
}

fn fail(status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!(describe_status(&status))
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// Every application intake finds for `query` (all pages).
async fn applications(
    clients: &mut Clients,
    agency: &str,
    query: &str,
    filters: &Filters,
) -> anyhow::Result<Vec<pb::Application>> {
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = clients
            .intake
            .list_applications(pb::ListApplicationsRequest {
                agency: agency.to_string(),
                query: query.to_string(),
                received_from: date(filters.received_from),
                received_to: date(filters.received_to),
                page_size: 1000,
                page_token: page_token.clone(),
            })
            .await
            .map_err(fail)?
            .into_inner();
        found.extend(page.applications);
        if page.next_page_token.is_empty() {
            return Ok(found);
        }
        page_token = page.next_page_token;
    }
}

pub async fn run(clients: &Clients, command: CasesCommand) -> anyhow::Result<()> {
    let mut c = clients.clone();
    let (query, filters) = match command {
        CasesCommand::List(filters) => (String::new(), filters),
        CasesCommand::Search { query, filters } => (query, filters),
    };
    let agency = filters.agency.clone().unwrap_or_default();
    let apps = applications(&mut c, &agency, &query, &filters).await?;
    let case_ids: Vec<String> = apps.iter().map(|a| a.case_id.clone()).collect();
    let files = if case_ids.is_empty() {
        Vec::new()
    } else {
        c.approval
            .list_cases(pb::ListCasesRequest {
                agency,
                case_ids,
                stage: filters.stage.clone().unwrap_or_default(),
                outcome_code: filters.outcome.clone().unwrap_or_default(),
                due_before: date(filters.due_before),
                overdue_on: date(filters.overdue_on),
                ..Default::default()
            })
            .await
            .map_err(fail)?
            .into_inner()
            .cases
    };
    let by_id: HashMap<&str, &pb::Application> =
        apps.iter().map(|a| (a.case_id.as_str(), a)).collect();
    let rows: Vec<(&pb::Application, &pb::CaseSummary)> = files
        .iter()
        .filter_map(|f| by_id.get(f.case_id.as_str()).map(|a| (*a, f)))
        .collect();
    match filters.format {
        Format::Json => {
            let cases: Vec<serde_json::Value> = rows
                .iter()
                .map(|(a, f)| {
                    serde_json::json!({
                        "case_id": f.case_id,
                        "agency": a.agency,
                        "ref": a.reference,
                        "receipt_number": a.receipt_number,
                        "received_on": a.received_on,
                        "channel": a.channel,
                        "applicant": a.applicant.as_ref().map(|p| serde_json::json!({
                            "type": p.r#type,
                            "name": p.name,
                        })),
                        "description": a.request.as_ref().map(|r| r.description.clone()),
                        "stage": f.stage,
                        "due_on": (!f.due_on.is_empty()).then_some(&f.due_on),
                        "outcome": (!f.outcome_code.is_empty()).then_some(&f.outcome_code),
                        "replied_on": (!f.replied_on.is_empty()).then_some(&f.replied_on),
                        "overdue": f.overdue,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&cases)?);
        }
        Format::Table => {
            let shown = |t: &str| escape_for_terminal(t, false);
            println!("本机关编号\t回执编号\t收到日期\t申请人\t阶段\t答复期限\t办理结果\t案件ID");
            for (a, f) in &rows {
                let applicant = a.applicant.clone().unwrap_or_default();
                let outcome = if f.outcome_code.is_empty() {
                    String::new()
                } else {
                    format!(
                        "{}（{}答复{}）",
                        label(CodeList::Outcome, &f.outcome_code),
                        f.replied_on,
                        if f.overdue { "，逾期" } else { "" }
                    )
                };
                println!(
                    "{}\t{}\t{}\t{}（{}）\t{}\t{}\t{}\t{}",
                    shown(&a.reference),
                    shown(&a.receipt_number),
                    shown(&a.received_on),
                    shown(&applicant.name),
                    shown(label(CodeList::ApplicantType, &applicant.r#type)),
                    shown(label(CodeList::Stage, &f.stage)),
                    shown(&f.due_on),
                    shown(&outcome),
                    shown(&f.case_id),
                );
            }
            eprintln!("共{}件", rows.len());
        }
    }
    Ok(())
}

/// The application `key` names: a case id, or a reference or receipt number (of `agency`
/// when given). More than one match (the same reference at two agencies) asks for `--agency`.
pub async fn find_case(
    clients: &mut Clients,
    key: &str,
    agency: Option<&str>,
) -> anyhow::Result<pb::Application> {
    let by_id = clients
        .intake
        .get_application(pb::GetApplicationRequest {
            case_id: key.to_string(),
            ..Default::default()
        })
        .await;
    match by_id {
        Ok(app) => return Ok(app.into_inner()),
        Err(status)
            if status.code() != tonic::Code::NotFound
                && status.code() != tonic::Code::InvalidArgument =>
        {
            return Err(fail(status));
        }
        Err(_) => {}
    }
    let filters = Filters {
        agency: None,
        stage: None,
        due_before: None,
        overdue_on: None,
        received_from: None,
        received_to: None,
        outcome: None,
        format: Format::Table,
    };
    let found: Vec<pb::Application> =
        applications(clients, agency.unwrap_or_default(), key, &filters)
            .await?
            .into_iter()
            .filter(|a| a.reference == key || a.receipt_number == key)
            .collect();
    match found.len() {
        1 => Ok(found.into_iter().next().unwrap_or_default()),
        0 => anyhow::bail!("找不到案件「{key}」：请给出案件ID、本机关编号或回执编号"),
        _ => anyhow::bail!(
            "「{key}」对应{}件案件（{}）：请用 --agency 指明行政机关",
            found.len(),
            found
                .iter()
                .map(|a| a.agency.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ),
    }
}
