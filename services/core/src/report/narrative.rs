//! The narrative: the sentences drafted from the figures (section 一's 依申请公开 paragraph,
//! section 六's fees), and the reading of the figures a narrative quotes, for check (6).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{AnnualReport, Cell, RowKey, TOTAL_COLUMN};
use crate::codes::{OutcomeCode, ReviewKind};
use crate::fees::format_yuan;

/// The narrative sections of a report, as the agency edits them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Narrative {
    /// 一、总体情况 (paragraphs separated by line breaks).
    pub section_one: String,
    /// 五、存在的主要问题及改进情况.
    pub section_five: String,
    /// 六、其他需要报告的事项.
    pub section_six: String,
}

fn figure(cell: Cell) -> String {
    cell.map_or_else(|| "—".to_string(), |v| v.to_string())
}

/// The outcome groups as the narrative names them, in the order of the table.
const GROUP_NAMES: [(OutcomeCode, &str); 6] = [
    (OutcomeCode::Disclosed, "予以公开"),
    (OutcomeCode::PartiallyDisclosed, "部分公开"),
    (OutcomeCode::WithheldStateSecret, "不予公开"),
    (OutcomeCode::UnavailableNotHeld, "本机关无法提供"),
    (OutcomeCode::NotProcessedPetitionComplaint, "不予处理"),
    (OutcomeCode::OtherCorrectionOverdue, "其他处理"),
];

/// The figures of section 一's 依申请公开 paragraph, in the words of the Anju 2024 report:
/// 「全年新收到政府信息公开申请155件，上年结转13件，共办结168件。其中：予以公开79件，部分公开15件，
/// 不予公开20件，本机关无法提供54件。因政府信息公开引发行政复议10件、行政诉讼7件。」
/// Outcome groups with no case are left out, as the published text does; cases carried
/// forward and reviews are named when there are any.
pub fn draft_section_one_applications(report: &AnnualReport) -> String {
    let rows = &report.applications.rows;
    let total = |key: RowKey| rows.get(key)[TOTAL_COLUMN];
    let (new, over, done, forward) = (
        total(RowKey::New),
        total(RowKey::CarriedOver),
        total(RowKey::TotalProcessed),
        total(RowKey::CarriedForward),
    );
    let mut text = String::new();
    if [new, over, done, forward].iter().all(|c| *c == Some(0)) {
        text.push_str("全年未收到政府信息公开申请，无上年结转申请。");
    } else {
        text.push_str(&format!(
            "全年新收到政府信息公开申请{}件，上年结转{}件，共办结{}件。",
            figure(new),
            figure(over),
            figure(done)
        ));
        let parts: Vec<String> = GROUP_NAMES
            .iter()
            .filter_map(|(head, name)| {
                let value = rows.group_sum(head.group_label(), TOTAL_COLUMN);
                (value != Some(0)).then(|| format!("{name}{}件", figure(value)))
            })
            .collect();
        let forward_clause =
            (forward != Some(0)).then(|| format!("结转下年度继续办理{}件。", figure(forward)));
        match (parts.is_empty(), forward_clause) {
            (false, Some(clause)) => {
                text.push_str(&format!("其中：{}；{clause}", parts.join("，")));
            }
            (false, None) => text.push_str(&format!("其中：{}。", parts.join("，"))),
            (true, Some(clause)) => text.push_str(&clause),
            (true, None) => {}
        }
    }
    let reviews = &report.reviews_and_litigation;
    let review = reviews.review.total;
    let litigation = reviews
        .litigation_direct
        .total
        .zip(reviews.litigation_after_review.total)
        .map(|(a, b)| a + b);
    if review == Some(0) && litigation == Some(0) {
        text.push_str("全年未发生因政府信息公开引发的行政复议、行政诉讼。");
    } else {
        text.push_str(&format!(
            "因政府信息公开引发行政复议{}件、行政诉讼{}件。",
            figure(review),
            figure(litigation)
        ));
    }
    text
}

/// Section 六's sentence on information processing fees: 「本年度未收取信息处理费。」 when none
/// was charged, else the number of applications charged and the total.
pub fn section_six_fees(count: i64, total_yuan: Decimal) -> String {
    if count == 0 && total_yuan.is_zero() {
        "本年度未收取信息处理费。".to_string()
    } else {
        format!(
            "本年度共对{count}件政府信息公开申请收取信息处理费共计{}元。",
            format_yuan(total_yuan)
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the figures a narrative quotes

/// What a quoted figure stands for in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// A row of table 三, 总计 column.
    Row(RowKey),
    /// An outcome group (`（三）不予公开`), 总计 column.
    Group(&'static str),
    /// One column group of table 四, 总计.
    Review(ReviewKind),
    /// 行政诉讼: both litigation groups of table 四.
    Litigation,
    /// Section 六: the fees paid, yuan.
    Fees,
}

/// A figure found in the narrative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Quoted {
    /// The words quoted, as written.
    pub quote: String,
    pub target: Target,
    pub value: Decimal,
}

struct Pattern {
    keyword: &'static str,
    target: Target,
    /// The figure is only read when the words between keyword and figure say 申请.
    needs_application: bool,
    /// The phrase states a zero by itself (「本年度未收取信息处理费」).
    implies_zero: bool,
}

fn patterns() -> Vec<Pattern> {
    let p = |keyword, target, needs_application, implies_zero| Pattern {
        keyword,
        target,
        needs_application,
        implies_zero,
    };
    let group = |code: OutcomeCode| Target::Group(code.group_label());
    let mut list = vec![
        p(
            "未收到政府信息公开申请",
            Target::Row(RowKey::New),
            false,
            true,
        ),
        p("新收到", Target::Row(RowKey::New), true, false),
        p("新收", Target::Row(RowKey::New), true, false),
        p("收到", Target::Row(RowKey::New), true, false),
        p(
            "上一年度结转",
            Target::Row(RowKey::CarriedOver),
            false,
            false,
        ),
        p("上年度结转", Target::Row(RowKey::CarriedOver), false, false),
        p("上年结转", Target::Row(RowKey::CarriedOver), false, false),
        p("办结", Target::Row(RowKey::TotalProcessed), false, false),
        p(
            "结转下一年度",
            Target::Row(RowKey::CarriedForward),
            false,
            false,
        ),
        p(
            "结转至下一年度",
            Target::Row(RowKey::CarriedForward),
            false,
            false,
        ),
        p(
            "结转至下年度",
            Target::Row(RowKey::CarriedForward),
            false,
            false,
        ),
        p(
            "结转到下年度",
            Target::Row(RowKey::CarriedForward),
            false,
            false,
        ),
        p(
            "结转下年度",
            Target::Row(RowKey::CarriedForward),
            false,
            false,
        ),
        p("予以公开", group(OutcomeCode::Disclosed), false, false),
        p(
            "部分公开",
            group(OutcomeCode::PartiallyDisclosed),
            false,
            false,
        ),
        p(
            "不予公开",
            group(OutcomeCode::WithheldStateSecret),
            false,
            false,
        ),
        p(
            "无法提供",
            group(OutcomeCode::UnavailableNotHeld),
            false,
            false,
        ),
        p(
            "不予处理",
            group(OutcomeCode::NotProcessedPetitionComplaint),
            false,
            false,
        ),
        p(
            "其他处理",
            group(OutcomeCode::OtherCorrectionOverdue),
            false,
            false,
        ),
        p("行政复议", Target::Review(ReviewKind::Review), false, false),
        p(
            "未经复议直接起诉",
            Target::Review(ReviewKind::LitigationDirect),
            false,
            false,
        ),
        p(
            "复议后起诉",
            Target::Review(ReviewKind::LitigationAfterReview),
            false,
            false,
        ),
        p("行政诉讼", Target::Litigation, false, false),
        p("未收取信息处理费", Target::Fees, false, true),
        p("收取信息处理费", Target::Fees, false, false),
    ];
    // The longest keyword wins where several start at the same place.
    list.sort_by_key(|p| std::cmp::Reverse(p.keyword.chars().count()));
    list
}

/// Words that may stand between a keyword and its figure (「收到政府信息公开申请155件」,
/// 「结转下年度继续办理0件」, 「收取信息处理费共计300.00元」), longest first.
const FILLERS: [&str; 17] = [
    "政府信息公开申请",
    "信息公开申请",
    "继续办理",
    "公开申请",
    "申请",
    "共计",
    "合计",
    "总计",
    "数量",
    "办理",
    "案件",
    "共",
    "的",
    "为",
    "了",
    "计",
    "数",
];

fn normalize(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '．' => '.',
        other => other,
    }
}

fn starts_with(text: &[char], at: usize, word: &str) -> bool {
    let mut rest = text.get(at..).unwrap_or_default().iter();
    word.chars().all(|w| rest.next() == Some(&w))
}

/// The figures a narrative quotes: each keyword of the report's vocabulary followed, after a few
/// filler words, by a number and its unit (件, or 元 for fees).
pub(super) fn quoted_figures(text: &str) -> Vec<Quoted> {
    let chars: Vec<char> = text.chars().map(normalize).collect();
    let patterns = patterns();
    let mut found = Vec::new();
    let mut at = 0;
    'scan: while at < chars.len() {
        for pattern in &patterns {
            if !starts_with(&chars, at, pattern.keyword) {
                continue;
            }
            let after = at + pattern.keyword.chars().count();
            if pattern.implies_zero {
                found.push(Quoted {
                    quote: chars[at..after].iter().collect(),
                    target: pattern.target,
                    value: Decimal::ZERO,
                });
                at = after;
                continue 'scan;
            }
            if let Some((value, end)) = read_figure(&chars, after, pattern) {
                found.push(Quoted {
                    quote: chars[at..end].iter().collect(),
                    target: pattern.target,
                    value,
                });
                at = end;
                continue 'scan;
            }
        }
        at += 1;
    }
    found
}

/// Fillers, a number and its unit from `at`: the figure and the end of the quote.
fn read_figure(chars: &[char], mut at: usize, pattern: &Pattern) -> Option<(Decimal, usize)> {
    let mut said_application = false;
    loop {
        while chars.get(at).is_some_and(|c| *c == ' ' || *c == '\u{3000}') {
            at += 1;
        }
        match FILLERS.iter().find(|f| starts_with(chars, at, f)) {
            Some(filler) => {
                said_application |= filler.contains("申请");
                at += filler.chars().count();
            }
            None => break,
        }
    }
    if pattern.needs_application && !said_application {
        return None;
    }
    let money = matches!(pattern.target, Target::Fees);
    let start = at;
    while chars
        .get(at)
        .is_some_and(|c| c.is_ascii_digit() || (money && *c == '.' && at > start))
    {
        at += 1;
    }
    if at == start {
        return None;
    }
    let number: String = chars[start..at].iter().collect();
    let unit = if money { '元' } else { '件' };
    if chars.get(at) != Some(&unit) {
        return None;
    }
    let value: Decimal = number.trim_end_matches('.').parse().ok()?;
    Some((value, at + 1))
}
