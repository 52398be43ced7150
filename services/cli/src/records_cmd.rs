//! `ogi records …`: the case-record format (case-record.md).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use ogi_core::limits::escape_for_terminal;
use ogi_core::records;

#[derive(Subcommand)]
pub enum RecordsCommand {
    /// 校验案件记录文件：逐行报告错误（行号、字段、原因）；有错误时退出码为1
    Validate {
        /// JSON Lines 文件
        file: PathBuf,
        /// 以 JSON 输出结果
        #[arg(long)]
        json: bool,
    },
    /// 生成逼真的模拟案件记录（用于性能测试），或按已公开的年度报告生成演示案件，输出 JSON Lines
    Synth {
        /// 案件数
        #[arg(long, required_unless_present = "reproduce")]
        cases: Option<usize>,
        /// 收到申请的年度
        #[arg(long, required_unless_present = "reproduce")]
        year: Option<i32>,
        #[arg(long, default_value = "模拟区人民政府")]
        agency: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// 已公开年度报告的 JSON（表三、表四）：生成统计结果与之完全一致的案件，行政机关与年度取自该文件
        #[arg(long, value_name = "REPORT.json", conflicts_with_all = ["cases", "year", "agency"])]
        reproduce: Option<PathBuf>,
        /// 案件编号前缀（与 --reproduce 一起使用），编号为「前缀+收到年度-序号」
        #[arg(long, default_value = "AJ", requires = "reproduce")]
        ref_prefix: String,
    },
}

pub fn run(command: RecordsCommand) -> anyhow::Result<ExitCode> {
    match command {
        RecordsCommand::Synth {
            cases,
            year,
            agency,
            seed,
            reproduce,
            ref_prefix,
        } => {
            let generated = match (reproduce, cases, year) {
                (Some(file), _, _) => reproduced(&file, ref_prefix, seed)?,
                (None, Some(cases), Some(year)) => {
                    ogi_core::synth::synthesize(&agency, year, cases, seed)
                }
                _ => anyhow::bail!("请给出 --cases 和 --year，或 --reproduce 年度报告文件"),
            };
            use std::io::Write;
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            for r in generated {
                writeln!(out, "{}", records::to_jsonl_line(&r))?;
            }
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        RecordsCommand::Validate { file, json } => {
            let parsed = records::read_jsonl(std::io::BufReader::new(
                std::fs::File::open(&file)
                    .with_context(|| format!("无法读取文件 {}", file.display()))?,
            ))
            .with_context(|| format!("无法读取文件 {}", file.display()))?;
            let rejected: std::collections::BTreeSet<usize> =
                parsed.errors.iter().map(|e| e.line).collect();
            if json {
                let issue = |i: &records::LineIssue| serde_json::json!({"line": i.line, "ref": i.reference, "field": i.field, "reason": i.reason});
                let out = serde_json::json!({
                    "valid": parsed.records.len(),
                    "rejected_lines": rejected.len(),
                    "errors": parsed.errors.iter().map(issue).collect::<Vec<_>>(),
                    "warnings": parsed.warnings.iter().map(issue).collect::<Vec<_>>(),
                });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                for error in &parsed.errors {
                    println!("错误 {}", escape_for_terminal(&error.to_string(), false));
                }
                for warning in &parsed.warnings {
                    println!("警告 {}", escape_for_terminal(&warning.to_string(), false));
                }
                let agencies: std::collections::BTreeSet<&str> = parsed
                    .records
                    .iter()
                    .map(|(_, r)| r.agency.as_str())
                    .collect();
                println!(
                    "{}：有效记录{}条，错误{}行，警告{}条；涉及行政机关{}个（{}）",
                    file.display(),
                    parsed.records.len(),
                    rejected.len(),
                    parsed.warnings.len(),
                    agencies.len(),
                    escape_for_terminal(
                        &agencies.into_iter().collect::<Vec<_>>().join("、"),
                        false
                    ),
                );
            }
            Ok(if parsed.errors.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

/// The records reproducing the published report in `file`.
fn reproduced(
    file: &std::path::Path,
    ref_prefix: String,
    seed: u64,
) -> anyhow::Result<Vec<records::CaseRecord>> {
    use ogi_core::synth::reproduce::{ReproduceOptions, reproduce};
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("无法读取文件 {}", file.display()))?;
    let report: ogi_core::report::AnnualReport = serde_json::from_str(&text)
        .with_context(|| format!("{} 不是年度报告的 JSON 格式", file.display()))?;
    Ok(reproduce(&report, &ReproduceOptions { ref_prefix, seed })?)
}
