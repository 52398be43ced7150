//! The consistency checks (勾稽关系) of `annual-report.md`: every failure names its row, its
//! column and both sides, so that a unit can find and correct the figure.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::narrative::{Target, quoted_figures};
use super::{
    ActiveDisclosure, AnnualReport, COLUMN_COUNT, Cell, DocumentCounts, Row, RowKey, TOTAL_COLUMN,
    column_label,
};
use crate::codes::{ReviewKind, ReviewResult};

/// How serious a failed check is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The report is wrong and must not be published as is.
    Error,
    /// A figure to look at (documents in force).
    Warning,
}

/// One failed check. In the JSON form the check's id is the key `rule`
/// (`report.schema.json`); `check` is accepted on reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCheck {
    /// The stable id of the check: `missing_figure`, `negative_figure`, `column_balance`,
    /// `total_processed_sum`, `row_total`, `review_total`, `carried_over_previous`,
    /// `previous_year`, `narrative_figure`, `documents_in_force`.
    #[serde(rename = "rule", alias = "check")]
    pub check: String,
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// The row, as the report prints it.
    #[serde(default)]
    pub row: String,
    /// The column, as the report prints it.
    #[serde(default)]
    pub column: String,
    /// The figure found (the left side of the equation).
    #[serde(default)]
    pub left: String,
    /// The figure it should equal (the right side).
    #[serde(default)]
    pub right: String,
    /// What is wrong, in Chinese, with both sides.
    pub message: String,
}

fn default_severity() -> Severity {
    Severity::Error
}

/// What is known of the year before.
pub(super) struct Previous<'a> {
    pub year: Option<i32>,
    pub carried_forward: Option<&'a Row>,
    pub active: Option<&'a ActiveDisclosure>,
}

impl Previous<'_> {
    pub fn none() -> Self {
        Previous {
            year: None,
            carried_forward: None,
            active: None,
        }
    }
}

/// Every check of `annual-report.md` on `report`: the table sums, blanks, last year's
/// carried-forward row and documents in force (when `previous_year` is given) and the
/// figures quoted in `narrative` (when given). Empty when all hold.
pub fn check(
    report: &AnnualReport,
    previous_year: Option<&AnnualReport>,
    narrative: Option<&str>,
) -> Vec<FailedCheck> {
    let mut failures = Vec::new();
    let previous = match previous_year {
        Some(p) if p.year != report.year - 1 => {
            failures.push(FailedCheck {
                check: "previous_year".into(),
                severity: Severity::Error,
                row: String::new(),
                column: String::new(),
                left: p.year.to_string(),
                right: (report.year - 1).to_string(),
                message: format!(
                    "用于跨年度核对的是{}年度报告，应为上一年度（{}年度）的报告",
                    p.year,
                    report.year - 1
                ),
            });
            Previous::none()
        }
        Some(p) => Previous {
            year: Some(p.year),
            carried_forward: Some(&p.applications.rows.carried_forward),
            active: p.active_disclosure.as_ref(),
        },
        None => Previous::none(),
    };
    failures.extend(run(report, &previous, narrative));
    failures
}

/// The checks, with what is known of the year before.
pub(super) fn run(
    report: &AnnualReport,
    previous: &Previous<'_>,
    narrative: Option<&str>,
) -> Vec<FailedCheck> {
    let mut out = Checks(Vec::new());
    out.figures(report);
    out.table_three(report);
    out.table_four(report);
    if let Some(last) = previous.carried_forward {
        out.carried_over(report, last, previous.year);
    }
    if let (Some(now), Some(before)) = (&report.active_disclosure, previous.active) {
        out.documents_in_force("规章", &now.rules, &before.rules);
        out.documents_in_force(
            "行政规范性文件",
            &now.normative_documents,
            &before.normative_documents,
        );
    }
    if let Some(text) = narrative {
        out.narrative(report, text);
    }
    out.0
}

struct Checks(Vec<FailedCheck>);

fn review_label(kind: ReviewKind) -> &'static str {
    match kind {
        ReviewKind::Review => "行政复议",
        ReviewKind::LitigationDirect => "行政诉讼（未经复议直接起诉）",
        ReviewKind::LitigationAfterReview => "行政诉讼（复议后起诉）",
    }
}

impl Checks {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        check: &str,
        severity: Severity,
        row: impl Into<String>,
        column: impl Into<String>,
        left: impl Into<String>,
        right: impl Into<String>,
        message: String,
    ) {
        self.0.push(FailedCheck {
            check: check.into(),
            severity,
            row: row.into(),
            column: column.into(),
            left: left.into(),
            right: right.into(),
            message,
        });
    }

    /// A blank is a failure; so is a negative count.
    fn figure(&mut self, row: &str, column: &str, cell: Cell) {
        match cell {
            None => self.push(
                "missing_figure",
                Severity::Error,
                row,
                column,
                "空",
                "应填数字",
                format!("「{row}」行「{column}」列为空：缺少数字（没有的应填0）"),
            ),
            Some(v) if v < 0 => self.push(
                "negative_figure",
                Severity::Error,
                row,
                column,
                v.to_string(),
                "≥0",
                format!("「{row}」行「{column}」列为{v}：件数不能为负数"),
            ),
            Some(_) => {}
        }
    }

    fn figures(&mut self, report: &AnnualReport) {
        if let Some(active) = &report.active_disclosure {
            for (row, docs) in [
                ("规章", &active.rules),
                ("行政规范性文件", &active.normative_documents),
            ] {
                self.figure(row, "本年制发件数", docs.issued);
                self.figure(row, "本年废止件数", docs.repealed);
                self.figure(row, "现行有效件数", docs.in_force);
            }
            self.figure("行政许可", "本年处理决定数量", active.licensing_decisions);
            self.figure("行政处罚", "本年处理决定数量", active.penalty_decisions);
            self.figure("行政强制", "本年处理决定数量", active.enforcement_decisions);
            if active.fees_10k_yuan.is_none() {
                self.figure("行政事业性收费", "本年收费金额（单位：万元）", None);
            }
        }
        for (key, row) in report.applications.rows.iter() {
            let label = key.qualified_label();
            for (column, cell) in row.iter().enumerate() {
                self.figure(&label, column_label(column), *cell);
            }
        }
        for kind in ReviewKind::ALL {
            let counts = report.reviews_and_litigation.get(*kind);
            for result in ReviewResult::ALL {
                self.figure(
                    review_label(*kind),
                    result.column_label(),
                    counts.get(*result),
                );
            }
            self.figure(review_label(*kind), "总计", counts.total);
        }
        if report.fees_collected_yuan.is_none() {
            self.figure("六、其他需要报告的事项", "信息处理费（元）", None);
        }
    }

    fn table_three(&mut self, report: &AnnualReport) {
        let rows = &report.applications.rows;
        for column in 0..COLUMN_COUNT {
            let label = column_label(column);
            // (1) 第一项加第二项之和，等于第三项加第四项之和.
            if let (Some(new), Some(over), Some(done), Some(forward)) = (
                rows.new[column],
                rows.carried_over[column],
                rows.total_processed[column],
                rows.carried_forward[column],
            ) && new + over != done + forward
            {
                self.push(
                    "column_balance",
                    Severity::Error,
                    "第一项加第二项之和，等于第三项加第四项之和",
                    label,
                    (new + over).to_string(),
                    (done + forward).to_string(),
                    format!(
                        "「{label}」列：本年新收{new}件＋上年结转{over}件＝{}件，\
                         不等于办理结果总计{done}件＋结转下年度继续办理{forward}件＝{}件",
                        new + over,
                        done + forward
                    ),
                );
            }
            // (2) （七）总计 = the sum of the 21 outcome rows.
            let outcome_sum: Cell = rows.outcomes.iter().map(|r| r[column]).sum();
            if let (Some(done), Some(sum)) = (rows.total_processed[column], outcome_sum)
                && done != sum
            {
                self.push(
                    "total_processed_sum",
                    Severity::Error,
                    RowKey::TotalProcessed.label(),
                    label,
                    done.to_string(),
                    sum.to_string(),
                    format!(
                        "「{label}」列：（七）总计为{done}件，但（一）至（六）各项办理结果之和为{sum}件"
                    ),
                );
            }
        }
        // (3) per row: 总计 = the six applicant columns.
        for (key, row) in rows.iter() {
            let sum: Cell = row[..TOTAL_COLUMN].iter().copied().sum();
            if let (Some(total), Some(sum)) = (row[TOTAL_COLUMN], sum)
                && total != sum
            {
                let label = key.qualified_label();
                self.push(
                    "row_total",
                    Severity::Error,
                    label.clone(),
                    column_label(TOTAL_COLUMN),
                    total.to_string(),
                    sum.to_string(),
                    format!(
                        "「{label}」行：总计为{total}件，但自然人与法人或其他组织各列之和为{sum}件"
                    ),
                );
            }
        }
    }

    /// (4) table 四: each 总计 = 维持 + 纠正 + 其他 + 尚未审结.
    fn table_four(&mut self, report: &AnnualReport) {
        for kind in ReviewKind::ALL {
            let c = report.reviews_and_litigation.get(*kind);
            if let (Some(u), Some(k), Some(o), Some(p), Some(total)) =
                (c.upheld, c.corrected, c.other, c.pending, c.total)
                && u + k + o + p != total
            {
                let label = review_label(*kind);
                self.push(
                    "review_total",
                    Severity::Error,
                    label,
                    "总计",
                    total.to_string(),
                    (u + k + o + p).to_string(),
                    format!(
                        "{label}：总计为{total}件，但结果维持{u}件＋结果纠正{k}件＋其他结果{o}件＋尚未审结{p}件＝{}件",
                        u + k + o + p
                    ),
                );
            }
        }
    }

    /// (5) this year's 上年结转 = last year's 结转下年度继续办理, per column.
    fn carried_over(&mut self, report: &AnnualReport, last: &Row, last_year: Option<i32>) {
        let last_year = last_year.unwrap_or(report.year - 1);
        let now_row = &report.applications.rows.carried_over;
        for (column, (now, before)) in now_row.iter().zip(last).enumerate() {
            if let (Some(now), Some(before)) = (*now, *before)
                && now != before
            {
                let label = column_label(column);
                self.push(
                    "carried_over_previous",
                    Severity::Error,
                    RowKey::CarriedOver.label(),
                    label,
                    now.to_string(),
                    before.to_string(),
                    format!(
                        "「{label}」列：本年度上年结转{now}件，不等于{last_year}年度报告结转下年度继续办理{before}件"
                    ),
                );
            }
        }
    }

    /// (7) documents in force at year end = a year earlier + issued − repealed (a warning).
    fn documents_in_force(&mut self, row: &str, now: &DocumentCounts, before: &DocumentCounts) {
        if let (Some(in_force), Some(earlier), Some(issued), Some(repealed)) =
            (now.in_force, before.in_force, now.issued, now.repealed)
        {
            let expected = earlier + issued - repealed;
            if in_force != expected {
                self.push(
                    "documents_in_force",
                    Severity::Warning,
                    row,
                    "现行有效件数",
                    in_force.to_string(),
                    expected.to_string(),
                    format!(
                        "{row}：现行有效{in_force}件，但上年现行有效{earlier}件＋本年制发{issued}件－本年废止{repealed}件＝{expected}件"
                    ),
                );
            }
        }
    }

    /// (6) every figure quoted in the narrative equals the table's.
    fn narrative(&mut self, report: &AnnualReport, text: &str) {
        let rows = &report.applications.rows;
        let reviews = &report.reviews_and_litigation;
        for quoted in quoted_figures(text) {
            let (row, column, table): (String, &str, Option<Decimal>) = match quoted.target {
                Target::Row(key) => (
                    key.qualified_label(),
                    "总计",
                    rows.get(key)[TOTAL_COLUMN].map(Decimal::from),
                ),
                Target::Group(group) => (
                    group.to_string(),
                    "总计",
                    rows.group_sum(group, TOTAL_COLUMN).map(Decimal::from),
                ),
                Target::Review(kind) => (
                    review_label(kind).to_string(),
                    "总计",
                    reviews.get(kind).total.map(Decimal::from),
                ),
                Target::Litigation => (
                    "行政诉讼".to_string(),
                    "总计",
                    reviews
                        .litigation_direct
                        .total
                        .zip(reviews.litigation_after_review.total)
                        .map(|(a, b)| Decimal::from(a + b)),
                ),
                Target::Fees => (
                    "六、其他需要报告的事项".to_string(),
                    "信息处理费（元）",
                    report.fees_collected_yuan,
                ),
            };
            if table == Some(quoted.value) {
                continue;
            }
            let table_text = table.map_or_else(|| "空".to_string(), |v| v.normalize().to_string());
            let unit = if matches!(quoted.target, Target::Fees) {
                "元"
            } else {
                "件"
            };
            let value = quoted.value.normalize();
            self.push(
                "narrative_figure",
                Severity::Error,
                row.clone(),
                column,
                value.to_string(),
                table_text.clone(),
                format!(
                    "正文「{}」为{value}{unit}，与表格「{row}」{column}{table_text}{unit}不一致",
                    quoted.quote
                ),
            );
        }
    }
}
