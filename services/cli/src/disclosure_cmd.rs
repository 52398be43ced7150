//! `ogi disclosure …`: Art. 44 (依申请公开转主动公开) — the candidates among a year's replies,
//! and publishing one to the catalogue in one step.

use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Subcommand;
use ogi_core::codes::OutcomeCode;
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;
use crate::table::Table;

#[derive(Debug, Subcommand)]
pub enum DisclosureCommand {
    /// 列出主动公开候选：同一年度内多名申请人申请同一信息、已予以公开或部分公开的申请（第四十四条）
    Candidates {
        #[arg(long)]
        agency: String,
        /// 答复年度
        #[arg(long)]
        year: i32,
        /// 至少几名不同申请人
        #[arg(long, default_value_t = 3)]
        min_applicants: u32,
        /// 申请内容相似度阈值（0–1，缺省0.75；见 README）
        #[arg(long)]
        min_similarity: Option<f64>,
        /// table（缺省）或 json
        #[arg(long, default_value = "table")]
        format: String,
    },
    /// 将一个候选（以候选编号，即公开该信息的答复书文号指明）登入主动公开目录（类别 released_information）
    Publish {
        /// 候选编号（ogi disclosure candidates 列出的编号）
        candidate: String,
        #[arg(long)]
        agency: String,
        /// 候选所在的答复年度
        #[arg(long)]
        year: i32,
        /// 主动公开日期（YYYY-MM-DD）
        #[arg(long)]
        on: NaiveDate,
        /// 目录中的标题（缺省为申请内容）
        #[arg(long, default_value = "")]
        title: String,
        /// 目录中的编号（缺省为候选编号）
        #[arg(long, default_value = "")]
        number: String,
        /// 公开网址
        #[arg(long, default_value = "")]
        url: String,
        /// 与列出候选时相同的阈值
        #[arg(long, default_value_t = 3)]
        min_applicants: u32,
        #[arg(long)]
        min_similarity: Option<f64>,
        #[arg(long, env = "OGI_ACTOR", default_value = "政府信息公开办公室")]
        actor: String,
    },
}

fn outcome_label(code: &str) -> String {
    code.parse::<OutcomeCode>()
        .map(|o| o.short_label().to_string())
        .unwrap_or_else(|_| code.to_string())
}

fn candidate_json(c: &pb::DisclosureCandidate) -> serde_json::Value {
    let application = |a: &pb::CandidateApplication| {
        serde_json::json!({
            "case_id": a.case_id,
            "applicant_name": a.applicant_name,
            "request": a.request,
            "outcome_code": a.outcome_code,
            "replied_on": a.replied_on,
            "document_number": a.document_number,
        })
    };
    serde_json::json!({
        "id": c.id,
        "request": c.request,
        "applicants": c.applicants,
        "min_similarity": (c.min_similarity * 1000.0).round() / 1000.0,
        "released_by": c.released_by.as_ref().map(application),
        "applications": c.applications.iter().map(application).collect::<Vec<_>>(),
        "published_as": Some(&c.published_as).filter(|p| !p.is_empty()),
    })
}

pub async fn run(clients: &Clients, command: DisclosureCommand) -> anyhow::Result<ExitCode> {
    let mut c = clients.publishing.clone();
    let fail = |s: tonic::Status| anyhow::anyhow!(describe_status(&s));
    match command {
        DisclosureCommand::Candidates {
            agency,
            year,
            min_applicants,
            min_similarity,
            format,
        } => {
            anyhow::ensure!(
                matches!(format.as_str(), "table" | "json"),
                "不支持的格式「{format}」，可用 table、json"
            );
            let candidates = c
                .list_disclosure_candidates(pb::ListDisclosureCandidatesRequest {
                    agency: agency.clone(),
                    year,
                    min_applicants,
                    min_similarity: min_similarity.unwrap_or(0.0),
                })
                .await
                .map_err(fail)?
                .into_inner()
                .candidates;
            if format == "json" {
                let all: Vec<_> = candidates.iter().map(candidate_json).collect();
                println!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(ExitCode::SUCCESS);
            }
            for (i, cand) in candidates.iter().enumerate() {
                println!("候选{}：{}", i + 1, cand.request);
                println!("  候选编号：{}", cand.id);
                println!(
                    "  申请人：{}名，申请{}件（申请内容相似度不低于{:.2}）",
                    cand.applicants,
                    cand.applications.len(),
                    cand.min_similarity
                );
                if let Some(r) = &cand.released_by {
                    println!(
                        "  公开该信息的答复：{}（{}，{}，案件{}）",
                        r.document_number,
                        outcome_label(&r.outcome_code),
                        r.replied_on,
                        r.case_id
                    );
                }
                if !cand.published_as.is_empty() {
                    println!("  已登入主动公开目录：{}", cand.published_as);
                }
                let mut table = Table::new([
                    "案件",
                    "申请人",
                    "答复日期",
                    "答复书文号",
                    "办理结果",
                    "申请内容",
                ]);
                for a in &cand.applications {
                    table.row([
                        a.case_id.clone(),
                        a.applicant_name.clone(),
                        a.replied_on.clone(),
                        a.document_number.clone(),
                        outcome_label(&a.outcome_code),
                        a.request.clone(),
                    ]);
                }
                for line in table.to_string().lines() {
                    println!("  {line}");
                }
                println!();
            }
            println!(
                "{agency} {year}年度：主动公开候选{}个（至少{min_applicants}名申请人）",
                candidates.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        DisclosureCommand::Publish {
            candidate,
            agency,
            year,
            on,
            title,
            number,
            url,
            min_applicants,
            min_similarity,
            actor,
        } => {
            let response = c
                .publish_candidate(pb::PublishCandidateRequest {
                    context: Some(pb::CommandContext {
                        actor,
                        on: on.to_string(),
                        command_id: String::new(),
                    }),
                    agency: agency.clone(),
                    year,
                    candidate_id: candidate,
                    title,
                    number,
                    url,
                    min_applicants,
                    min_similarity: min_similarity.unwrap_or(0.0),
                })
                .await
                .map_err(fail)?
                .into_inner();
            let d = response.document.unwrap_or_default();
            let what = match response.result.as_str() {
                "added" => "已登入主动公开目录",
                "corrected" => "已更正主动公开目录中的",
                _ => "主动公开目录中已有，未作改变：",
            };
            println!(
                "{what}「{}」（编号{}，{}公开）",
                d.title, d.number, d.published_on
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
