//! Table 二's decision counts (行政许可, 行政处罚, 行政强制: 本年处理决定数量) from an export of
//! the 双公示 system (行政许可和行政处罚信用信息公示): one row per decision, counted per
//! deciding agency and year.
//!
//! Columns (the first row names them; others are ignored):
//!
//! - the decision's date: `决定日期`, `许可决定日期` or `处罚决定日期` (YYYY-MM-DD);
//! - the deciding agency: `决定机关`, `许可机关` or `处罚机关`;
//! - its kind: `决定类别` (行政许可, 行政处罚 or 行政强制); without that column, a file with
//!   `许可决定日期` is all 行政许可 and one with `处罚决定日期` all 行政处罚 (the 双公示 system
//!   exports the two separately).
//!
//! Only the kinds the file has a column or rows for are counted, so that importing the
//! licensing file and then the penalty file does not zero the other's count.

use std::collections::BTreeMap;

use chrono::Datelike;

use crate::limits::parse_iso_date;

/// A kind of decision table 二 counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DecisionKind {
    Licensing,
    Penalty,
    Enforcement,
}

impl DecisionKind {
    pub fn label(self) -> &'static str {
        match self {
            DecisionKind::Licensing => "行政许可",
            DecisionKind::Penalty => "行政处罚",
            DecisionKind::Enforcement => "行政强制",
        }
    }

    fn from_label(text: &str) -> Option<Self> {
        [
            DecisionKind::Licensing,
            DecisionKind::Penalty,
            DecisionKind::Enforcement,
        ]
        .into_iter()
        .find(|k| k.label() == text)
    }
}

/// The decisions of one agency and year, by kind; `None` for a kind the file does not cover.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecisionCounts {
    pub agency: String,
    pub year: i32,
    pub licensing: Option<i64>,
    pub penalty: Option<i64>,
    pub enforcement: Option<i64>,
}

const DATE_COLUMNS: [&str; 3] = ["决定日期", "许可决定日期", "处罚决定日期"];
const AGENCY_COLUMNS: [&str; 3] = ["决定机关", "许可机关", "处罚机关"];
const KIND_COLUMN: &str = "决定类别";

fn column(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}')))
}

/// Count the rows (the first is the header) per agency, year and kind; every error names its
/// row (counted from 1, the header being row 1) and column.
pub fn count_decisions(rows: &[Vec<String>]) -> Result<Vec<DecisionCounts>, Vec<String>> {
    let Some((header, rows)) = rows.split_first() else {
        return Err(vec!["文件是空的：第1行应为列名".into()]);
    };
    let date = column(header, &DATE_COLUMNS);
    let agency = column(header, &AGENCY_COLUMNS);
    let kind = column(header, &[KIND_COLUMN]);
    let mut errors = Vec::new();
    if date.is_none() {
        errors.push(format!(
            "第1行：缺少决定日期列（{}）",
            DATE_COLUMNS.join("、")
        ));
    }
    if agency.is_none() {
        errors.push(format!(
            "第1行：缺少决定机关列（{}）",
            AGENCY_COLUMNS.join("、")
        ));
    }
    let fixed_kind = match (kind, date.map(|d| header[d].trim())) {
        (Some(_), _) => None,
        (None, Some("许可决定日期")) => Some(DecisionKind::Licensing),
        (None, Some("处罚决定日期")) => Some(DecisionKind::Penalty),
        (None, None) => None,
        (None, Some(_)) => {
            errors.push(format!(
                "第1行：缺少「{KIND_COLUMN}」列（或用「许可决定日期」「处罚决定日期」列指明类别）"
            ));
            None
        }
    };
    let (Some(date), Some(agency)) = (date, agency) else {
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut counts: BTreeMap<(String, i32), BTreeMap<DecisionKind, i64>> = BTreeMap::new();
    let mut kinds_seen = std::collections::BTreeSet::new();
    if let Some(k) = fixed_kind {
        kinds_seen.insert(k);
    }
    for (i, row) in rows.iter().enumerate() {
        let n = i + 2;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| row.get(c).map(|s| s.trim()).unwrap_or("");
        let decided_on = match parse_iso_date(cell(date)) {
            Ok(d) => d,
            Err(problem) => {
                errors.push(format!("第{n}行「{}」列：{problem}", header[date].trim()));
                continue;
            }
        };
        let by = cell(agency);
        if by.is_empty() {
            errors.push(format!("第{n}行「{}」列：必填", header[agency].trim()));
            continue;
        }
        let kind = match (fixed_kind, kind) {
            (Some(k), _) => k,
            (None, Some(c)) => match DecisionKind::from_label(cell(c)) {
                Some(k) => k,
                None => {
                    errors.push(format!(
                        "第{n}行「{KIND_COLUMN}」列：「{}」应为行政许可、行政处罚或行政强制",
                        cell(c)
                    ));
                    continue;
                }
            },
            (None, None) => continue,
        };
        kinds_seen.insert(kind);
        *counts
            .entry((by.to_string(), decided_on.year()))
            .or_default()
            .entry(kind)
            .or_default() += 1;
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let covered = |k: DecisionKind, of: &BTreeMap<DecisionKind, i64>| {
        kinds_seen
            .contains(&k)
            .then(|| of.get(&k).copied().unwrap_or(0))
    };
    Ok(counts
        .into_iter()
        .map(|((agency, year), of)| DecisionCounts {
            agency,
            year,
            licensing: covered(DecisionKind::Licensing, &of),
            penalty: covered(DecisionKind::Penalty, &of),
            enforcement: covered(DecisionKind::Enforcement, &of),
        })
        .collect())
}

/// The rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes doubled, line
/// breaks); a UTF-8 byte-order mark is dropped.
pub fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(csv: &str) -> Vec<Vec<String>> {
        parse_csv(csv)
    }

    #[test]
    fn decisions_are_counted_per_agency_year_and_kind() {
        let csv = "\u{feff}序号,决定类别,决定文书号,决定日期,决定机关\r\n\
                   1,行政许可,\"安审批〔2024〕1号, 附\",2024-01-05,甲局\r\n\
                   2,行政许可,x,2024-02-05,甲局\r\n\
                   3,行政处罚,x,2024-03-05,甲局\r\n\
                   4,行政许可,x,2023-12-31,甲局\r\n\
                   5,行政许可,x,2024-03-05,乙局\r\n";
        let counts = count_decisions(&rows(csv)).unwrap();
        assert_eq!(
            counts,
            vec![
                DecisionCounts {
                    agency: "乙局".into(),
                    year: 2024,
                    licensing: Some(1),
                    penalty: Some(0),
                    enforcement: None
                },
                DecisionCounts {
                    agency: "甲局".into(),
                    year: 2023,
                    licensing: Some(1),
                    penalty: Some(0),
                    enforcement: None
                },
                DecisionCounts {
                    agency: "甲局".into(),
                    year: 2024,
                    licensing: Some(2),
                    penalty: Some(1),
                    enforcement: None
                },
            ]
        );
    }

    #[test]
    fn a_penalty_export_counts_penalties_only() {
        let counts = count_decisions(&rows(
            "行政相对人名称,处罚决定日期,处罚机关\n某公司,2024-05-01,甲局\n",
        ))
        .unwrap();
        assert_eq!(counts[0].penalty, Some(1));
        assert_eq!(counts[0].licensing, None);
    }

    #[test]
    fn errors_name_the_row_and_column() {
        let errors = count_decisions(&rows(
            "决定类别,决定日期,决定机关\n行政许可,2024-1-5,甲局\n行政确认,2024-01-05,甲局\n行政许可,2024-01-05,\n",
        ))
        .unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("第2行「决定日期」列："), "{errors:?}");
        assert!(errors[1].contains("第3行「决定类别」列：「行政确认」"));
        assert!(errors[2].starts_with("第4行「决定机关」列：必填"));
        let errors = count_decisions(&rows("日期,机关\n")).unwrap_err();
        assert_eq!(errors.len(), 2);
    }

    #[test]
    fn csv_quotes_and_line_breaks() {
        assert_eq!(
            parse_csv("a,\"b,\"\"c\"\"\nd\"\n1,2"),
            vec![
                vec!["a".to_string(), "b,\"c\"\nd".into()],
                vec!["1".into(), "2".into()]
            ]
        );
    }
}
