//! Table 二 for an agency whose catalogue is kept: the Art. 20(1) rows (规章, 行政规范性文件)
//! are counted from the catalogue ([`crate::catalogue::count_documents`]); figures the agency
//! entered for those cells are never silently preferred: each one that differs from the count
//! is reported as a difference. The other cells stay as entered.

use std::fmt;

use super::{ActiveDisclosure, DocumentCounts};
use crate::catalogue::DocumentKind;
use crate::catalogue::count::{CatalogueCounts, DocumentDates, count_documents};

/// Table 二's Art. 20(1) rows counted from a catalogue for a year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountedDocuments {
    pub rules: CatalogueCounts,
    pub normative_documents: CatalogueCounts,
}

impl CountedDocuments {
    /// Count `documents` for `year`.
    pub fn count(documents: &[DocumentDates], year: i32) -> Self {
        CountedDocuments {
            rules: count_documents(documents, DocumentKind::Rule, year),
            normative_documents: count_documents(documents, DocumentKind::NormativeDocument, year),
        }
    }

    /// The rows as table 二 prints them, with their labels.
    fn rows(&self) -> [(&'static str, &CatalogueCounts); 2] {
        [
            (DocumentKind::Rule.label(), &self.rules),
            (
                DocumentKind::NormativeDocument.label(),
                &self.normative_documents,
            ),
        ]
    }

    /// The sentence of section 一 saying what was counted and how: expired documents are
    /// counted under 废止.
    pub fn sentence(&self, year: i32) -> String {
        let row = |label: &str, c: &CatalogueCounts| {
            let expired = if c.expired > 0 {
                format!("（其中有效期届满失效{}件）", c.expired)
            } else {
                String::new()
            };
            format!(
                "{label}本年制发{}件、本年废止{}件{expired}、现行有效{}件",
                c.issued, c.repealed, c.in_force
            )
        };
        let rows: Vec<String> = self.rows().iter().map(|(l, c)| row(l, c)).collect();
        format!(
            "按主动公开目录统计，{year}年度{}。本年废止件数包括有效期届满失效的文件。",
            rows.join("；")
        )
    }
}

/// A figure entered for table 二 that differs from the catalogue's count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueDifference {
    /// 规章 or 行政规范性文件.
    pub row: &'static str,
    /// 本年制发件数, 本年废止件数 or 现行有效件数.
    pub column: &'static str,
    pub entered: i64,
    pub counted: i64,
}

impl fmt::Display for CatalogueDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "表二「{}」{}：录入{}件，按主动公开目录统计为{}件（报告采用目录统计）",
            self.row, self.column, self.entered, self.counted
        )
    }
}

const COLUMNS: [&str; 3] = ["本年制发件数", "本年废止件数", "现行有效件数"];

fn cells(c: &DocumentCounts) -> [Option<i64>; 3] {
    [c.issued, c.repealed, c.in_force]
}

fn counted_cells(c: &CatalogueCounts) -> [i64; 3] {
    [c.issued, c.repealed, c.in_force]
}

/// The entered figures that differ from the count (blanks are not differences).
pub fn catalogue_differences(
    entered: &ActiveDisclosure,
    counted: &CountedDocuments,
) -> Vec<CatalogueDifference> {
    let mut out = Vec::new();
    for ((row, counts), entered) in counted
        .rows()
        .iter()
        .zip([&entered.rules, &entered.normative_documents])
    {
        for ((column, e), c) in COLUMNS
            .iter()
            .zip(cells(entered))
            .zip(counted_cells(counts))
        {
            if let Some(e) = e
                && e != c
            {
                out.push(CatalogueDifference {
                    row,
                    column,
                    entered: e,
                    counted: c,
                });
            }
        }
    }
    out
}

/// Table 二 with the Art. 20(1) rows counted, the other cells as entered (blank when nothing
/// was entered), and the entered figures that differed.
pub fn table_two_with_catalogue(
    entered: Option<ActiveDisclosure>,
    counted: &CountedDocuments,
) -> (ActiveDisclosure, Vec<CatalogueDifference>) {
    let mut table = entered.unwrap_or_default();
    let differences = catalogue_differences(&table, counted);
    let as_cells = |c: &CatalogueCounts| DocumentCounts {
        issued: Some(c.issued),
        repealed: Some(c.repealed),
        in_force: Some(c.in_force),
    };
    table.rules = as_cells(&counted.rules);
    table.normative_documents = as_cells(&counted.normative_documents);
    (table, differences)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn doc(kind: DocumentKind, issued: &str, repealed: Option<&str>) -> DocumentDates {
        DocumentDates {
            kind,
            issued_on: issued.parse::<NaiveDate>().unwrap(),
            valid_until: None,
            repealed_on: repealed.map(|r| r.parse().unwrap()),
        }
    }

    fn anju() -> Vec<DocumentDates> {
        let mut docs: Vec<DocumentDates> = (0..8)
            .map(|_| doc(DocumentKind::NormativeDocument, "2021-03-01", None))
            .collect();
        docs.extend((0..5).map(|_| {
            doc(
                DocumentKind::NormativeDocument,
                "2019-05-01",
                Some("2024-06-30"),
            )
        }));
        docs.push(doc(DocumentKind::ReleasedInformation, "2024-02-01", None));
        docs
    }

    #[test]
    fn counted_cells_replace_the_entered_ones_and_the_rest_stay() {
        let counted = CountedDocuments::count(&anju(), 2024);
        let entered = ActiveDisclosure {
            normative_documents: DocumentCounts {
                issued: Some(0),
                repealed: Some(4),
                in_force: None,
            },
            licensing_decisions: Some(40069),
            ..ActiveDisclosure::default()
        };
        let (table, differences) = table_two_with_catalogue(Some(entered), &counted);
        assert_eq!(
            table.normative_documents,
            DocumentCounts {
                issued: Some(0),
                repealed: Some(5),
                in_force: Some(8)
            }
        );
        assert_eq!(table.rules.in_force, Some(0));
        assert_eq!(table.licensing_decisions, Some(40069));
        assert_eq!(table.penalty_decisions, None);
        assert_eq!(
            differences,
            vec![CatalogueDifference {
                row: "行政规范性文件",
                column: "本年废止件数",
                entered: 4,
                counted: 5
            }]
        );
        assert_eq!(
            differences[0].to_string(),
            "表二「行政规范性文件」本年废止件数：录入4件，按主动公开目录统计为5件（报告采用目录统计）"
        );
    }

    #[test]
    fn without_an_entry_the_other_cells_are_blank() {
        let counted = CountedDocuments::count(&anju(), 2025);
        let (table, differences) = table_two_with_catalogue(None, &counted);
        assert!(differences.is_empty());
        assert_eq!(table.normative_documents.repealed, Some(0));
        assert_eq!(table.normative_documents.in_force, Some(8));
        assert_eq!(table.fees_10k_yuan, None);
    }

    #[test]
    fn the_sentence_says_how_expired_documents_were_counted() {
        let mut docs = anju();
        docs[0].valid_until = Some("2024-03-31".parse().unwrap());
        let text = CountedDocuments::count(&docs, 2024).sentence(2024);
        assert!(
            text.contains(
                "行政规范性文件本年制发0件、本年废止6件（其中有效期届满失效1件）、现行有效7件"
            ),
            "{text}"
        );
        assert!(text.contains("规章本年制发0件、本年废止0件、现行有效0件"));
    }
}
