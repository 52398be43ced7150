//! The annual report (政府信息公开工作年度报告, Art. 50; format 国办公开办函〔2021〕30号):
//! its tables counted from the cases, its JSON form, its consistency checks (勾稽关系), the
//! drafted narrative sentences and the Markdown and HTML documents
//! (`shared/spec/annual-report.md`, `shared/spec/report.schema.json`).
//!
//! - [`ReportCase`]: what the report needs of one case;
//! - [`Tally`]: the incremental count of tables 三 and 四 and the fees of section 六 for one
//!   year, mergeable for a government's summary;
//! - [`AnnualReport`]: the JSON form; every figure is a [`Cell`], so that a report handed in by
//!   another unit, with blanks, can be read and checked;
//! - [`check`]: every consistency check, each failure naming its row, column and both sides;
//! - [`draft_section_one_applications`], [`section_six_fees`]: the narrative sentences;
//! - [`to_markdown`], [`to_html`]: the documents, laid out as the format prints them.

mod check;
pub mod decisions;
mod docx;
mod narrative;
#[cfg(test)]
mod office_tests;
mod render;
mod table_two;
#[cfg(test)]
mod tests;
mod xlsx;

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{ApplicantType, OutcomeCode, ReviewKind, ReviewResult};
use crate::fees::parse_yuan;
use crate::records::{CaseRecord, HistoryEvent};

pub use check::{FailedCheck, Severity, check};
pub use docx::{letter_to_docx, to_docx};
pub use narrative::{Narrative, draft_section_one_applications, section_six_fees};
pub use render::{to_html, to_markdown};
pub use table_two::{
    CatalogueDifference, CountedDocuments, catalogue_differences, table_two_with_catalogue,
};
pub use xlsx::{list_to_xlsx, to_xlsx};

/// One figure of a table. `None` is a blank (a JSON `null` or a missing key) in a report handed
/// in for checking; a report computed from cases has no blanks.
pub type Cell = Option<i64>;

/// The number of columns of table 三: six applicant types and 总计.
pub const COLUMN_COUNT: usize = 7;

/// The index of the 总计 column of table 三.
pub const TOTAL_COLUMN: usize = 6;

/// One row of table 三: the six applicant columns, then 总计.
pub type Row = [Cell; COLUMN_COUNT];

/// The column codes of table 三, in order (`applications.columns` of the JSON form).
pub const COLUMN_CODES: [&str; COLUMN_COUNT] = [
    "natural_person",
    "commercial_enterprise",
    "research_institution",
    "social_welfare_org",
    "legal_service_institution",
    "other_org",
    "total",
];

/// The header of a column of table 三, verbatim (`自然人` … `其他`, `总计`).
pub fn column_label(column: usize) -> &'static str {
    ApplicantType::ALL
        .get(column)
        .map_or("总计", |t| t.column_label())
}

/// The note table 三 carries under its title.
pub const BALANCE_NOTE: &str =
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";

/// Why a report cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("年度不一致：{expected}年度报告不能使用{found}年度的统计")]
    YearMismatch { expected: i32, found: i32 },
    #[error("汇总报告至少需要一份下级机关的报告")]
    EmptyRollup,
}

// ---------------------------------------------------------------------------------------------
// The cases

/// What the annual report needs of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportCase {
    pub applicant_type: ApplicantType,
    pub received_on: NaiveDate,
    /// The outcome and the reply date (答复日期); `None` while the case is open.
    pub reply: Option<(OutcomeCode, NaiveDate)>,
    /// The information processing fee paid (信息处理费), in yuan.
    pub fee_collected_yuan: Option<Decimal>,
    pub reviews: Vec<ReportReview>,
}

/// A reconsideration or lawsuit over a case's reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportReview {
    pub kind: ReviewKind,
    pub filed_on: NaiveDate,
    pub result: ReviewResult,
    pub concluded_on: Option<NaiveDate>,
}

impl ReportReview {
    /// Its result as of 31 December of `year`: one not concluded by then is 尚未审结.
    pub fn result_at_end_of(&self, year: i32) -> ReviewResult {
        match self.concluded_on {
            Some(on) if on.year() <= year => self.result,
            _ => ReviewResult::Pending,
        }
    }
}

impl From<&CaseRecord> for ReportCase {
    fn from(record: &CaseRecord) -> Self {
        // The fee collected is the amount of the notice that was paid.
        let mut notified: Option<Decimal> = None;
        let mut collected: Option<Decimal> = None;
        for entry in &record.history {
            match &entry.event {
                HistoryEvent::FeeNotified { amount_yuan } => {
                    notified = parse_yuan(amount_yuan).ok();
                }
                HistoryEvent::FeePaid => {
                    if let Some(amount) = notified {
                        collected = Some(amount);
                    }
                }
                _ => {}
            }
        }
        ReportCase {
            applicant_type: record.applicant.applicant_type,
            received_on: record.received_on,
            reply: record.outcome.map(|o| (o.code, o.replied_on)),
            fee_collected_yuan: collected,
            reviews: record
                .reviews
                .iter()
                .map(|r| ReportReview {
                    kind: r.kind,
                    filed_on: r.filed_on,
                    result: r.result,
                    concluded_on: r.concluded_on,
                })
                .collect(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The count

const TYPES: usize = 6;
const OUTCOMES: usize = 21;

/// The count of one year's tables 三 and 四 and section 六's fees, case by case
/// (`annual-report.md`, counting rules). Tallies of the same year merge: a government's
/// summary adds its children's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    year: i32,
    new: [i64; TYPES],
    carried_over: [i64; TYPES],
    outcomes: [[i64; TYPES]; OUTCOMES],
    carried_forward: [i64; TYPES],
    /// By review kind, then result.
    reviews: [[i64; 4]; 3],
    fee_count: i64,
    fee_total: Decimal,
}

/// The counted tables of one year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tables {
    /// Table 三.
    pub applications: Applications,
    /// Table 四.
    pub reviews_and_litigation: ReviewsAndLitigation,
    /// Section 六.
    pub fees: FeeSummary,
}

/// The information processing fees of the year (section 六).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeSummary {
    /// The number of applications charged a fee.
    pub count: i64,
    /// The total paid, in yuan.
    pub total_yuan: Decimal,
}

impl Tally {
    /// An empty count for `year`.
    pub fn new(year: i32) -> Self {
        Tally {
            year,
            new: [0; TYPES],
            carried_over: [0; TYPES],
            outcomes: [[0; TYPES]; OUTCOMES],
            carried_forward: [0; TYPES],
            reviews: [[0; 4]; 3],
            fee_count: 0,
            fee_total: Decimal::ZERO,
        }
    }

    /// Count `cases` for `year`.
    pub fn from_cases<'a>(year: i32, cases: impl IntoIterator<Item = &'a ReportCase>) -> Self {
        let mut tally = Tally::new(year);
        for case in cases {
            tally.add(case);
        }
        tally
    }

    /// The year counted.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// Count one case: the rows it falls in for this year, its reviews filed in the year and
    /// its fee when it was replied to in the year.
    pub fn add(&mut self, case: &ReportCase) {
        self.add_many(case, 1);
    }

    /// Count `count` cases alike in everything the tables look at (applicant type, the years of
    /// receipt and reply, the outcome, the fee and reviews): how a projection grouped by those
    /// keys is counted without loading every case.
    pub fn add_many(&mut self, case: &ReportCase, count: i64) {
        let year = self.year;
        let column = case.applicant_type.index();
        let received = case.received_on.year();
        let replied = case.reply.map(|(_, on)| on.year());

        // 本年新收: received in the year.
        if received == year {
            self.new[column] += count;
        }
        // 上年结转: received before the year and not replied to before it began.
        if received < year && replied.is_none_or(|r| r >= year) {
            self.carried_over[column] += count;
        }
        // 办理结果: replied to in the year, by outcome; the fee goes with the reply.
        if let Some((outcome, on)) = case.reply
            && on.year() == year
        {
            self.outcomes[outcome.index()][column] += count;
            if let Some(fee) = case.fee_collected_yuan
                && fee > Decimal::ZERO
            {
                self.fee_count += count;
                self.fee_total += fee * Decimal::from(count);
            }
        }
        // 结转下年度: received by 31 December and not replied to by then.
        if received <= year && replied.is_none_or(|r| r > year) {
            self.carried_forward[column] += count;
        }
        // Table 四: filed in the year, with the result as of 31 December.
        for review in &case.reviews {
            if review.filed_on.year() == year {
                let result = review.result_at_end_of(year);
                self.reviews[review.kind.index()][result.index()] += count;
            }
        }
    }

    /// Add another count of the same year (a government's summary adds its children's).
    pub fn merge(&mut self, other: &Tally) -> Result<(), ReportError> {
        if other.year != self.year {
            return Err(ReportError::YearMismatch {
                expected: self.year,
                found: other.year,
            });
        }
        fn add<const N: usize>(a: &mut [i64; N], b: &[i64; N]) {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        }
        add(&mut self.new, &other.new);
        add(&mut self.carried_over, &other.carried_over);
        add(&mut self.carried_forward, &other.carried_forward);
        self.outcomes
            .iter_mut()
            .zip(&other.outcomes)
            .for_each(|(a, b)| add(a, b));
        self.reviews
            .iter_mut()
            .zip(&other.reviews)
            .for_each(|(a, b)| add(a, b));
        self.fee_count += other.fee_count;
        self.fee_total += other.fee_total;
        Ok(())
    }

    /// The tables as counted, with every total.
    pub fn tables(&self) -> Tables {
        let full = |cells: &[i64; TYPES]| -> Row {
            let mut row = [Some(0); COLUMN_COUNT];
            for (slot, value) in row.iter_mut().zip(cells) {
                *slot = Some(*value);
            }
            row[TOTAL_COLUMN] = Some(cells.iter().sum());
            row
        };
        let mut processed = [0; TYPES];
        for outcome in &self.outcomes {
            processed.iter_mut().zip(outcome).for_each(|(p, v)| *p += v);
        }
        let rows = ApplicationRows {
            new: full(&self.new),
            carried_over: full(&self.carried_over),
            outcomes: self.outcomes.map(|o| full(&o)),
            total_processed: full(&processed),
            carried_forward: full(&self.carried_forward),
        };
        let counts = |kind: ReviewKind| ReviewCounts::from_results(self.reviews[kind.index()]);
        Tables {
            applications: Applications { rows },
            reviews_and_litigation: ReviewsAndLitigation {
                review: counts(ReviewKind::Review),
                litigation_direct: counts(ReviewKind::LitigationDirect),
                litigation_after_review: counts(ReviewKind::LitigationAfterReview),
            },
            fees: FeeSummary {
                count: self.fee_count,
                total_yuan: self.fee_total,
            },
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table 三

/// A row of table 三, in the format's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowKey {
    /// 一、本年新收政府信息公开申请数量
    New,
    /// 二、上年结转政府信息公开申请数量
    CarriedOver,
    /// 三、本年度办理结果, one row per outcome
    Outcome(OutcomeCode),
    /// （七）总计
    TotalProcessed,
    /// 四、结转下年度继续办理
    CarriedForward,
}

impl RowKey {
    /// Every row, in the format's (and the JSON form's) order.
    pub fn all() -> impl Iterator<Item = RowKey> {
        [RowKey::New, RowKey::CarriedOver]
            .into_iter()
            .chain(OutcomeCode::ALL.iter().map(|c| RowKey::Outcome(*c)))
            .chain([RowKey::TotalProcessed, RowKey::CarriedForward])
    }

    /// The key of the row in the JSON form.
    pub fn code(self) -> &'static str {
        match self {
            RowKey::New => "new",
            RowKey::CarriedOver => "carried_over",
            RowKey::Outcome(c) => c.code(),
            RowKey::TotalProcessed => "total_processed",
            RowKey::CarriedForward => "carried_forward",
        }
    }

    /// The row label as the format prints it (`1.属于国家秘密` for a numbered sub-row).
    pub fn label(self) -> &'static str {
        match self {
            RowKey::New => "一、本年新收政府信息公开申请数量",
            RowKey::CarriedOver => "二、上年结转政府信息公开申请数量",
            RowKey::Outcome(c) => c.row_label(),
            RowKey::TotalProcessed => "（七）总计",
            RowKey::CarriedForward => "四、结转下年度继续办理",
        }
    }

    /// The label with its parent row where the label alone is ambiguous
    /// (`（三）不予公开 1.属于国家秘密`), for messages.
    pub fn qualified_label(self) -> String {
        match self {
            RowKey::Outcome(c) if c.group_label() != c.row_label() => {
                format!("{} {}", c.group_label(), c.row_label())
            }
            other => other.label().to_string(),
        }
    }
}

impl FromStr for RowKey {
    type Err = crate::codes::UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "new" => Ok(RowKey::New),
            "carried_over" => Ok(RowKey::CarriedOver),
            "total_processed" => Ok(RowKey::TotalProcessed),
            "carried_forward" => Ok(RowKey::CarriedForward),
            other => other
                .parse::<OutcomeCode>()
                .map(RowKey::Outcome)
                .map_err(|_| crate::codes::UnknownCode {
                    kind: "表三行",
                    value: other.to_string(),
                }),
        }
    }
}

/// The rows of table 三. Serialises with its keys in the format's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationRows {
    pub new: Row,
    pub carried_over: Row,
    /// One row per outcome, in [`OutcomeCode::ALL`] order.
    pub outcomes: [Row; OUTCOMES],
    pub total_processed: Row,
    pub carried_forward: Row,
}

impl Default for ApplicationRows {
    /// All blank.
    fn default() -> Self {
        ApplicationRows {
            new: [None; COLUMN_COUNT],
            carried_over: [None; COLUMN_COUNT],
            outcomes: [[None; COLUMN_COUNT]; OUTCOMES],
            total_processed: [None; COLUMN_COUNT],
            carried_forward: [None; COLUMN_COUNT],
        }
    }
}

impl ApplicationRows {
    /// One row.
    pub fn get(&self, key: RowKey) -> &Row {
        match key {
            RowKey::New => &self.new,
            RowKey::CarriedOver => &self.carried_over,
            RowKey::Outcome(c) => &self.outcomes[c.index()],
            RowKey::TotalProcessed => &self.total_processed,
            RowKey::CarriedForward => &self.carried_forward,
        }
    }

    /// One row, to change.
    pub fn get_mut(&mut self, key: RowKey) -> &mut Row {
        match key {
            RowKey::New => &mut self.new,
            RowKey::CarriedOver => &mut self.carried_over,
            RowKey::Outcome(c) => &mut self.outcomes[c.index()],
            RowKey::TotalProcessed => &mut self.total_processed,
            RowKey::CarriedForward => &mut self.carried_forward,
        }
    }

    /// Every row with its key, in order.
    pub fn iter(&self) -> impl Iterator<Item = (RowKey, &Row)> {
        RowKey::all().map(move |k| (k, self.get(k)))
    }

    /// The sum of the outcome rows of one group (`（三）不予公开`) in one column; `None` when a
    /// cell is blank.
    pub fn group_sum(&self, group: &str, column: usize) -> Cell {
        OutcomeCode::ALL
            .iter()
            .filter(|c| c.group_label() == group)
            .map(|c| self.outcomes[c.index()][column])
            .sum()
    }
}

impl Serialize for ApplicationRows {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4 + OUTCOMES))?;
        for (key, row) in self.iter() {
            map.serialize_entry(key.code(), row)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for ApplicationRows {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowsVisitor;
        impl<'de> Visitor<'de> for RowsVisitor {
            type Value = ApplicationRows;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("表三各行（键为行代码，值为7个数字的数组）")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut rows = ApplicationRows::default();
                let mut seen = Vec::new();
                while let Some(code) = map.next_key::<String>()? {
                    let key: RowKey = code.parse().map_err(de::Error::custom)?;
                    if seen.contains(&key) {
                        return Err(de::Error::custom(format!("表三的行「{code}」重复")));
                    }
                    seen.push(key);
                    // A blank row is a row of blanks.
                    let cells: Option<Vec<Cell>> = map.next_value()?;
                    let Some(cells) = cells else { continue };
                    if cells.len() != COLUMN_COUNT {
                        return Err(de::Error::custom(format!(
                            "表三的行「{code}」应有{COLUMN_COUNT}个数字，实有{}个",
                            cells.len()
                        )));
                    }
                    rows.get_mut(key).copy_from_slice(&cells);
                }
                Ok(rows)
            }
        }
        deserializer.deserialize_map(RowsVisitor)
    }
}

/// Table 三 (`applications` of the JSON form). Its `columns` are always [`COLUMN_CODES`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applications {
    pub rows: ApplicationRows,
}

impl Serialize for Applications {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("columns", &COLUMN_CODES)?;
        map.serialize_entry("rows", &self.rows)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for Applications {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            #[serde(default)]
            columns: Option<Vec<String>>,
            #[serde(default)]
            rows: Option<ApplicationRows>,
        }
        let raw = Raw::deserialize(deserializer)?;
        if let Some(columns) = raw.columns
            && columns != COLUMN_CODES
        {
            return Err(de::Error::custom(format!(
                "表三的列应为 {}，实为 {}",
                COLUMN_CODES.join(", "),
                columns.join(", ")
            )));
        }
        Ok(Applications {
            rows: raw.rows.unwrap_or_default(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Table 四

/// One column group of table 四: results as of 31 December, and 总计.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewCounts {
    #[serde(default)]
    pub upheld: Cell,
    #[serde(default)]
    pub corrected: Cell,
    #[serde(default)]
    pub other: Cell,
    #[serde(default)]
    pub pending: Cell,
    #[serde(default)]
    pub total: Cell,
}

impl ReviewCounts {
    /// Counts by result in [`ReviewResult::ALL`] order, with their total.
    pub fn from_results(counts: [i64; 4]) -> Self {
        ReviewCounts {
            upheld: Some(counts[0]),
            corrected: Some(counts[1]),
            other: Some(counts[2]),
            pending: Some(counts[3]),
            total: Some(counts.iter().sum()),
        }
    }

    /// The figure of one result.
    pub fn get(&self, result: ReviewResult) -> Cell {
        match result {
            ReviewResult::Upheld => self.upheld,
            ReviewResult::Corrected => self.corrected,
            ReviewResult::Other => self.other,
            ReviewResult::Pending => self.pending,
        }
    }

    /// The five figures in the format's column order (维持, 纠正, 其他, 尚未审结, 总计).
    pub fn cells(&self) -> [Cell; 5] {
        [
            self.upheld,
            self.corrected,
            self.other,
            self.pending,
            self.total,
        ]
    }

    fn add(&self, other: &ReviewCounts) -> ReviewCounts {
        ReviewCounts {
            upheld: add_cells(self.upheld, other.upheld),
            corrected: add_cells(self.corrected, other.corrected),
            other: add_cells(self.other, other.other),
            pending: add_cells(self.pending, other.pending),
            total: add_cells(self.total, other.total),
        }
    }
}

/// Table 四 (`reviews_and_litigation` of the JSON form).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewsAndLitigation {
    /// 行政复议
    #[serde(default)]
    pub review: ReviewCounts,
    /// 行政诉讼：未经复议直接起诉
    #[serde(default)]
    pub litigation_direct: ReviewCounts,
    /// 行政诉讼：复议后起诉
    #[serde(default)]
    pub litigation_after_review: ReviewCounts,
}

impl ReviewsAndLitigation {
    /// One column group.
    pub fn get(&self, kind: ReviewKind) -> &ReviewCounts {
        match kind {
            ReviewKind::Review => &self.review,
            ReviewKind::LitigationDirect => &self.litigation_direct,
            ReviewKind::LitigationAfterReview => &self.litigation_after_review,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Table 二

/// Documents under Art. 20(1): 本年制发, 本年废止, 现行有效.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentCounts {
    #[serde(default)]
    pub issued: Cell,
    #[serde(default)]
    pub repealed: Cell,
    #[serde(default)]
    pub in_force: Cell,
}

/// Table 二, as the agency enters it (`active_disclosure` of the JSON form).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveDisclosure {
    /// 规章
    #[serde(default)]
    pub rules: DocumentCounts,
    /// 行政规范性文件
    #[serde(default)]
    pub normative_documents: DocumentCounts,
    /// 行政许可, 本年处理决定数量
    #[serde(default)]
    pub licensing_decisions: Cell,
    /// 行政处罚
    #[serde(default)]
    pub penalty_decisions: Cell,
    /// 行政强制
    #[serde(default)]
    pub enforcement_decisions: Cell,
    /// 行政事业性收费, 万元, a decimal string.
    #[serde(default, with = "money")]
    pub fees_10k_yuan: Option<Decimal>,
}

/// Table 二 as an agency's entry file holds it: agency, year and the figures side by side
/// (`fixtures/anju-2024/active-disclosure.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveDisclosureEntry {
    pub agency: String,
    pub year: i32,
    #[serde(flatten)]
    pub figures: ActiveDisclosure,
}

/// Why an entry of table 二 is refused: the field at fault and the reason, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}：{reason}")]
pub struct EntryProblem {
    pub field: String,
    pub reason: String,
}

/// The fields an entry of table 二 has; anything else is refused, not stored.
const ENTRY_FIELDS: [&str; 8] = [
    "agency",
    "year",
    "rules",
    "normative_documents",
    "licensing_decisions",
    "penalty_decisions",
    "enforcement_decisions",
    "fees_10k_yuan",
];

/// The largest 行政事业性收费 table 二 takes, in 万元 (a hundred billion yuan).
pub const MAX_FEES_10K_YUAN: i64 = 10_000_000;

impl ActiveDisclosureEntry {
    /// Read an entry of table 二 strictly: no unknown field, the year within `years`, every
    /// count between 0 and [`crate::limits::MAX_TABLE_COUNT`], the fees between 0 and
    /// [`MAX_FEES_10K_YUAN`] 万元.
    pub fn parse(
        json: &str,
        years: crate::limits::YearRange,
    ) -> Result<ActiveDisclosureEntry, EntryProblem> {
        let problem = |field: &str, reason: String| EntryProblem {
            field: field.into(),
            reason,
        };
        let value: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| problem("json", format!("不是有效的JSON：{e}")))?;
        let object = value
            .as_object()
            .ok_or_else(|| problem("json", "应为一个JSON对象".into()))?;
        if let Some(unknown) = object.keys().find(|k| !ENTRY_FIELDS.contains(&k.as_str())) {
            let shown: String = unknown.chars().take(40).collect();
            return Err(problem(
                &shown,
                format!("表二没有这一项，可用的项为 {}", ENTRY_FIELDS.join("、")),
            ));
        }
        let entry: ActiveDisclosureEntry = serde_json::from_value(value)
            .map_err(|e| problem("json", format!("主动公开数据格式错误：{e}")))?;
        crate::limits::check_text(crate::limits::text::AGENCY, &entry.agency)
            .map_err(|e| problem("agency", e.to_string()))?;
        if entry.agency.trim().is_empty() {
            return Err(problem("agency", "必填".into()));
        }
        years
            .check_year(entry.year)
            .map_err(|e| problem("year", e.to_string()))?;
        let f = &entry.figures;
        let counts = [
            ("rules.issued", f.rules.issued),
            ("rules.repealed", f.rules.repealed),
            ("rules.in_force", f.rules.in_force),
            ("normative_documents.issued", f.normative_documents.issued),
            (
                "normative_documents.repealed",
                f.normative_documents.repealed,
            ),
            (
                "normative_documents.in_force",
                f.normative_documents.in_force,
            ),
            ("licensing_decisions", f.licensing_decisions),
            ("penalty_decisions", f.penalty_decisions),
            ("enforcement_decisions", f.enforcement_decisions),
        ];
        for (field, cell) in counts {
            if let Some(n) = cell
                && !(0..=crate::limits::MAX_TABLE_COUNT).contains(&n)
            {
                return Err(problem(
                    field,
                    format!(
                        "数量{n}不合理：应在0至{}之间",
                        crate::limits::MAX_TABLE_COUNT
                    ),
                ));
            }
        }
        if let Some(fees) = f.fees_10k_yuan
            && (fees.is_sign_negative() && !fees.is_zero()
                || fees > Decimal::from(MAX_FEES_10K_YUAN))
        {
            return Err(problem(
                "fees_10k_yuan",
                format!("收费金额{fees}万元不合理：应在0至{MAX_FEES_10K_YUAN}万元之间"),
            ));
        }
        Ok(entry)
    }
}

impl ActiveDisclosure {
    /// These figures, with `other`'s where these are blank.
    pub fn or(&self, other: &ActiveDisclosure) -> ActiveDisclosure {
        let docs = |a: &DocumentCounts, b: &DocumentCounts| DocumentCounts {
            issued: a.issued.or(b.issued),
            repealed: a.repealed.or(b.repealed),
            in_force: a.in_force.or(b.in_force),
        };
        ActiveDisclosure {
            rules: docs(&self.rules, &other.rules),
            normative_documents: docs(&self.normative_documents, &other.normative_documents),
            licensing_decisions: self.licensing_decisions.or(other.licensing_decisions),
            penalty_decisions: self.penalty_decisions.or(other.penalty_decisions),
            enforcement_decisions: self.enforcement_decisions.or(other.enforcement_decisions),
            fees_10k_yuan: self.fees_10k_yuan.or(other.fees_10k_yuan),
        }
    }

    fn add(&self, other: &ActiveDisclosure) -> ActiveDisclosure {
        let docs = |a: &DocumentCounts, b: &DocumentCounts| DocumentCounts {
            issued: add_cells(a.issued, b.issued),
            repealed: add_cells(a.repealed, b.repealed),
            in_force: add_cells(a.in_force, b.in_force),
        };
        ActiveDisclosure {
            rules: docs(&self.rules, &other.rules),
            normative_documents: docs(&self.normative_documents, &other.normative_documents),
            licensing_decisions: add_cells(self.licensing_decisions, other.licensing_decisions),
            penalty_decisions: add_cells(self.penalty_decisions, other.penalty_decisions),
            enforcement_decisions: add_cells(
                self.enforcement_decisions,
                other.enforcement_decisions,
            ),
            fees_10k_yuan: self
                .fees_10k_yuan
                .zip(other.fees_10k_yuan)
                .map(|(a, b)| a + b),
        }
    }

    /// A table of blanks (a child unit that entered no table 二, in a summary).
    fn blank() -> ActiveDisclosure {
        ActiveDisclosure::default()
    }
}

// ---------------------------------------------------------------------------------------------
// The report

/// The annual report in its JSON form (`report.schema.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReport {
    /// The administrative organ, as printed on the report.
    pub agency: String,
    pub year: i32,
    /// Table 二; absent until the agency enters it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_disclosure: Option<ActiveDisclosure>,
    /// Table 三.
    #[serde(default)]
    pub applications: Applications,
    /// Table 四.
    #[serde(default)]
    pub reviews_and_litigation: ReviewsAndLitigation,
    /// Section 六: the information processing fees paid in the year, yuan, a decimal string.
    #[serde(default, with = "money")]
    pub fees_collected_yuan: Option<Decimal>,
    /// Every failed consistency check; empty when all hold.
    #[serde(default)]
    pub checks: Vec<FailedCheck>,
}

impl AnnualReport {
    /// The report of `agency` for `year` from its count, with table 二 as entered and, when
    /// known, last year's 结转下年度 row (checked against this year's 上年结转). `checks` lists
    /// every failed check.
    pub fn from_tally(
        agency: impl Into<String>,
        year: i32,
        tally: &Tally,
        active: Option<ActiveDisclosure>,
        previous_carried_forward: Option<&Row>,
    ) -> Result<AnnualReport, ReportError> {
        if tally.year() != year {
            return Err(ReportError::YearMismatch {
                expected: year,
                found: tally.year(),
            });
        }
        let tables = tally.tables();
        let mut total = tables.fees.total_yuan;
        total.rescale(2);
        let mut report = AnnualReport {
            agency: agency.into(),
            year,
            active_disclosure: active,
            applications: tables.applications,
            reviews_and_litigation: tables.reviews_and_litigation,
            fees_collected_yuan: Some(total),
            checks: Vec::new(),
        };
        report.checks = check::run(
            &report,
            &check::Previous {
                year: Some(year - 1),
                carried_forward: previous_carried_forward,
                active: None,
            },
            None,
        );
        Ok(report)
    }

    /// A government's summary report (汇总): the sum of its children's reports of the same
    /// year, cell by cell. A blank in any child leaves the sum blank; table 二 is summed when
    /// any child has it (a child without it counts as blanks). `checks` is computed anew.
    pub fn rollup(
        name: impl Into<String>,
        reports: &[AnnualReport],
    ) -> Result<AnnualReport, ReportError> {
        let (first, rest) = reports.split_first().ok_or(ReportError::EmptyRollup)?;
        if let Some(other) = rest.iter().find(|r| r.year != first.year) {
            return Err(ReportError::YearMismatch {
                expected: first.year,
                found: other.year,
            });
        }
        let mut sum = first.clone();
        sum.agency = name.into();
        let any_active = reports.iter().any(|r| r.active_disclosure.is_some());
        if any_active && sum.active_disclosure.is_none() {
            sum.active_disclosure = Some(ActiveDisclosure::blank());
        }
        for report in rest {
            for key in RowKey::all() {
                let theirs = report.applications.rows.get(key);
                let ours = sum.applications.rows.get_mut(key);
                for (a, b) in ours.iter_mut().zip(theirs) {
                    *a = add_cells(*a, *b);
                }
            }
            let (a, b) = (
                &mut sum.reviews_and_litigation,
                &report.reviews_and_litigation,
            );
            a.review = a.review.add(&b.review);
            a.litigation_direct = a.litigation_direct.add(&b.litigation_direct);
            a.litigation_after_review = a.litigation_after_review.add(&b.litigation_after_review);
            sum.fees_collected_yuan = sum
                .fees_collected_yuan
                .zip(report.fees_collected_yuan)
                .map(|(a, b)| a + b);
            if any_active {
                let theirs = report
                    .active_disclosure
                    .clone()
                    .unwrap_or_else(ActiveDisclosure::blank);
                sum.active_disclosure = sum.active_disclosure.map(|ours| ours.add(&theirs));
            }
        }
        sum.checks = check::run(&sum, &check::Previous::none(), None);
        Ok(sum)
    }

    /// One figure of table 三.
    pub fn cell(&self, row: RowKey, column: usize) -> Cell {
        self.applications
            .rows
            .get(row)
            .get(column)
            .copied()
            .flatten()
    }

    /// Run every check again (with last year's report and the narrative when given) and keep
    /// the failures in `checks`.
    pub fn recheck(&mut self, previous_year: Option<&AnnualReport>, narrative: Option<&str>) {
        self.checks = check(self, previous_year, narrative);
    }
}

fn add_cells(a: Cell, b: Cell) -> Cell {
    a.zip(b).map(|(a, b)| a + b)
}

/// Money as a decimal string (`"6532.96"`), or `null`; a JSON integer is accepted on reading.
mod money {
    use std::str::FromStr;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serializer, de};

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(d) => s.serialize_str(&d.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Integer(i64),
        }
        match Option::<Raw>::deserialize(d)? {
            None => Ok(None),
            Some(Raw::Integer(i)) => Ok(Some(Decimal::from(i))),
            Some(Raw::Text(text)) => {
                let trimmed = text.trim();
                let valid = !trimmed.is_empty()
                    && trimmed
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
                valid
                    .then(|| Decimal::from_str(trimmed).ok())
                    .flatten()
                    .map(Some)
                    .ok_or_else(|| de::Error::custom(format!("金额「{text}」不是十进制数字")))
            }
        }
    }
}
