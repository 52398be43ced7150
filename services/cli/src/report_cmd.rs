//! `ogi report …`: the annual report (政府信息公开工作年度报告) from the reporting service, and
//! the consistency check (勾稽关系) of any report JSON.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: Option<ReportCommand>,
    #[command(flatten)]
    pub generate: Generate,
}

#[derive(Debug, Args)]
pub struct Generate {
    /// 行政机关（可多次给出，生成汇总报告）
    #[arg(long = "agency")]
    pub agencies: Vec<String>,
    /// 报告年度
    #[arg(long)]
    pub year: Option<i32>,
    /// json、html、md、docx 或 xlsx（docx、xlsx 须用 -o 写入文件）
    #[arg(long, default_value = "json")]
    pub format: String,
    /// 汇总报告的名称
    #[arg(long, default_value = "")]
    pub rollup_name: String,
    /// 连同配置中所属的下级机关一并汇总（各服务配置 agencies.<机关>.parent）
    #[arg(long)]
    pub with_subordinates: bool,
    /// 输出文件（缺省为标准输出）
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// 检查年度报告 JSON 的勾稽关系：列出每一项不符（行、列、两边数值）；有不符时退出码为1
    Check {
        file: PathBuf,
        /// 上一年度报告 JSON（核对上年结转）
        #[arg(long)]
        previous: Option<PathBuf>,
        /// 报告正文（核对文字中引用的数字）
        #[arg(long)]
        narrative: Option<PathBuf>,
    },
    /// 录入表二（主动公开情况）数据：格式同 active-disclosure.json；或 .csv、.xlsx 格式的双公示系统导出
    /// （每行一项决定，列名见 README），按机关和年度统计行政许可、行政处罚、行政强制决定数，其余数字保持原录入
    ActiveDisclosure { file: PathBuf },
    /// 录入第五、六部分正文
    Narrative {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        year: i32,
        #[arg(long, default_value = "")]
        section_five: String,
        #[arg(long, default_value = "")]
        section_six: String,
    },
    /// 锁定某年度报告：数字按发布时冻结，此后案件变动只显示为差异
    Lock {
        #[arg(long)]
        agency: String,
        #[arg(long)]
        year: i32,
    },
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("无法读取文件 {}", path.display()))
}

/// `ogi report check`: the consistency checks of the core crate, in this process — a report
/// file is judged with nothing running. Exit code 0 when consistent (warnings allowed), 1 with a
/// failed check, 2 (through the caller) when a file cannot be read or is not a report.
pub fn check(
    file: &PathBuf,
    previous: Option<&PathBuf>,
    narrative: Option<&PathBuf>,
) -> anyhow::Result<ExitCode> {
    use ogi_core::report::{self, AnnualReport, Severity};
    let report: AnnualReport = serde_json::from_str(&read(file)?)
        .map_err(|e| anyhow::anyhow!("字段 json：不是有效的年度报告JSON：{e}"))?;
    let previous: Option<AnnualReport> = previous
        .map(|p| {
            serde_json::from_str(&read(p)?).map_err(|e| anyhow::anyhow!("字段 previous_json：{e}"))
        })
        .transpose()?;
    let narrative = narrative.map(read).transpose()?;
    let failures = report::check(&report, previous.as_ref(), narrative.as_deref());
    let errors = failures
        .iter()
        .filter(|f| f.severity != Severity::Warning)
        .count();
    let mut out = std::io::stdout().lock();
    for f in &failures {
        writeln!(
            out,
            "{} [{}] {}／{}：{} ≠ {}（{}）",
            if f.severity == Severity::Warning {
                "警告"
            } else {
                "不符"
            },
            f.check,
            f.row,
            f.column,
            f.left,
            f.right,
            f.message
        )?;
    }
    writeln!(
        out,
        "{}：{}项不符，{}项警告",
        file.display(),
        errors,
        failures.len() - errors
    )?;
    Ok(if errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn run(clients: &Clients, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let mut c = clients.reporting.clone();
    let fail = |s: tonic::Status| anyhow::anyhow!(describe_status(&s));
    match args.command {
        Some(ReportCommand::Check {
            file,
            previous,
            narrative,
        }) => check(&file, previous.as_ref(), narrative.as_ref()),
        Some(ReportCommand::ActiveDisclosure { file }) => {
            if let Some(rows) = crate::decisions_file::rows(&file)? {
                return crate::decisions_file::enter(clients, &file, &rows).await;
            }
            c.set_active_disclosure(pb::SetActiveDisclosureRequest {
                json: read(&file)?,
                merge: false,
            })
            .await
            .map_err(fail)?;
            println!("已录入表二数据：{}", file.display());
            Ok(ExitCode::SUCCESS)
        }
        Some(ReportCommand::Narrative {
            agency,
            year,
            section_five,
            section_six,
        }) => {
            c.set_narrative(pb::SetNarrativeRequest {
                agency,
                year,
                section_one_extra: String::new(),
                section_five,
                section_six,
            })
            .await
            .map_err(fail)?;
            println!("已录入正文");
            Ok(ExitCode::SUCCESS)
        }
        Some(ReportCommand::Lock { agency, year }) => {
            c.lock_report(pb::LockReportRequest {
                agency: agency.clone(),
                year,
            })
            .await
            .map_err(fail)?;
            println!("{agency} {year}年度报告已锁定");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let g = args.generate;
            anyhow::ensure!(!g.agencies.is_empty(), "请用 --agency 给出行政机关");
            let year = g.year.context("请用 --year 给出报告年度")?;
            let binary = matches!(g.format.as_str(), "docx" | "xlsx");
            anyhow::ensure!(
                !binary || g.output.is_some() || !std::io::stdout().is_terminal(),
                "{} 是二进制文件，请用 -o 指定输出文件",
                g.format
            );
            let r = c
                .get_annual_report(pb::GetAnnualReportRequest {
                    agencies: g.agencies,
                    year,
                    format: g.format.clone(),
                    rollup_name: g.rollup_name,
                    with_subordinates: g.with_subordinates,
                })
                .await
                .map_err(fail)?
                .into_inner();
            if r.agencies.len() > 1 {
                eprintln!("汇总{}个机关：{}", r.agencies.len(), r.agencies.join("、"));
            }
            for d in &r.differences {
                if r.locked {
                    eprintln!("差异（报告已锁定）：{d}");
                } else {
                    eprintln!("差异：{d}");
                }
            }
            let document = if binary {
                r.document
            } else if g.format == "json" {
                r.json.into_bytes()
            } else {
                r.body.into_bytes()
            };
            match g.output {
                Some(path) => {
                    std::fs::write(&path, &document)
                        .with_context(|| format!("无法写入 {}", path.display()))?;
                    eprintln!("已写入 {}", path.display());
                }
                None => {
                    let mut out = std::io::stdout().lock();
                    out.write_all(&document)?;
                    if !binary {
                        out.write_all(b"\n")?;
                    }
                    out.flush()?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
