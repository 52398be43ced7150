//! `ogi report active-disclosure FILE.csv|FILE.xlsx`: table 二's decision counts (行政许可,
//! 行政处罚, 行政强制) from an export of the 双公示 system, one row per decision
//! (`ogi_core::report::decisions` names the columns), entered per agency and year beside the
//! figures already entered.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use calamine::{Data, Reader, Xlsx};
use ogi_core::report::decisions::{count_decisions, parse_csv};
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;

/// The rows of a .csv or .xlsx file (the first worksheet), `None` for another kind of file.
pub fn rows(path: &Path) -> anyhow::Result<Option<Vec<Vec<String>>>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("csv") => {
            let bytes =
                std::fs::read(path).with_context(|| format!("无法读取文件 {}", path.display()))?;
            let text = String::from_utf8(bytes).map_err(|_| {
                anyhow::anyhow!(
                    "{} 不是 UTF-8 编码的 CSV（请另存为“CSV UTF-8”）",
                    path.display()
                )
            })?;
            Ok(Some(parse_csv(&text)))
        }
        Some("xlsx") => {
            let mut book: Xlsx<_> = calamine::open_workbook(path)
                .with_context(|| format!("无法打开 Excel 文件 {}", path.display()))?;
            let range = book
                .worksheet_range_at(0)
                .with_context(|| format!("{} 没有工作表", path.display()))?
                .with_context(|| format!("无法读取 {} 的第一个工作表", path.display()))?;
            Ok(Some(
                range.rows().map(|r| r.iter().map(cell).collect()).collect(),
            ))
        }
        _ => Ok(None),
    }
}

/// A cell as text: dates as YYYY-MM-DD, whole numbers without a decimal point.
fn cell(data: &Data) -> String {
    match data {
        // An ISO date-time keeps its date.
        Data::DateTimeIso(s) => s.split('T').next().unwrap_or_default().to_string(),
        Data::String(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            // Excel's serial day: days since 1899-12-30.
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            (epoch + chrono::Duration::days(d.as_f64().floor() as i64)).to_string()
        }
        Data::Error(_) | Data::Empty => String::new(),
    }
}

fn figure(label: &str, value: Option<i64>) -> String {
    match value {
        Some(n) => format!("{label}{n}件"),
        None => format!("{label}未包含（保持原录入）"),
    }
}

/// Count the decisions and enter them per agency and year, keeping the other figures.
pub async fn enter(
    clients: &Clients,
    file: &Path,
    rows: &[Vec<String>],
) -> anyhow::Result<ExitCode> {
    let counts = match count_decisions(rows) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!("{}：{}处错误，未录入任何数字", file.display(), errors.len());
            return Ok(ExitCode::from(1));
        }
    };
    let mut c = clients.reporting.clone();
    for count in &counts {
        let mut entry = serde_json::json!({"agency": count.agency, "year": count.year});
        for (key, value) in [
            ("licensing_decisions", count.licensing),
            ("penalty_decisions", count.penalty),
            ("enforcement_decisions", count.enforcement),
        ] {
            if let Some(n) = value {
                entry[key] = n.into();
            }
        }
        c.set_active_disclosure(pb::SetActiveDisclosureRequest {
            json: entry.to_string(),
            merge: true,
        })
        .await
        .map_err(|s| {
            anyhow::anyhow!(
                "{} {}年度未录入：{}",
                count.agency,
                count.year,
                describe_status(&s)
            )
        })?;
        println!(
            "已录入表二：{} {}年度 {}，{}，{}",
            count.agency,
            count.year,
            figure("行政许可", count.licensing),
            figure("行政处罚", count.penalty),
            figure("行政强制", count.enforcement)
        );
    }
    println!("{}：共{}个机关年度", file.display(), counts.len());
    Ok(ExitCode::SUCCESS)
}
