//! Table 二's figures for Art. 20(1) counted from the catalogue (`catalogue.md`, counting):
//!
//! - 本年制发: documents made (`issued_on`) in the year;
//! - 本年废止: documents that stopped being in force in the year — repealed (`repealed_on`) or
//!   at the end of a validity period (`valid_until`, 失效) — each counted once, in the year of
//!   whichever came first; the expired ones are also counted apart, so that the report can say
//!   how 废止 was counted;
//! - 现行有效: documents made by 31 December and still in force at the close of that day (one
//!   repealed on 31 December, or whose validity ends that day, no longer is).
//!
//! So 现行有效(Y) = 现行有效(Y−1) + 制发(Y) − 废止(Y) holds for every catalogue whose dates are
//! consistent, which [`super::CatalogueDocument::check`] ensures.

use chrono::{Datelike, NaiveDate};

use super::{CatalogueDocument, DocumentKind};

/// What the count needs of a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentDates {
    pub kind: DocumentKind,
    pub issued_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub repealed_on: Option<NaiveDate>,
}

impl From<&CatalogueDocument> for DocumentDates {
    fn from(d: &CatalogueDocument) -> Self {
        DocumentDates {
            kind: d.kind,
            issued_on: d.issued_on,
            valid_until: d.valid_until,
            repealed_on: d.repealed_on,
        }
    }
}

impl DocumentDates {
    /// The year it stopped being in force, and whether by the end of its validity period.
    fn ended(&self) -> Option<(i32, bool)> {
        match (self.repealed_on, self.valid_until) {
            (Some(r), Some(v)) if v < r => Some((v.year(), true)),
            (Some(r), _) => Some((r.year(), false)),
            (None, Some(v)) => Some((v.year(), true)),
            (None, None) => None,
        }
    }
}

/// One row of table 二's Art. 20(1) part, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CatalogueCounts {
    /// 本年制发件数.
    pub issued: i64,
    /// 本年废止件数, the expired ones included.
    pub repealed: i64,
    /// Of `repealed`, those whose validity period ended (失效).
    pub expired: i64,
    /// 现行有效件数 at the end of the year.
    pub in_force: i64,
}

/// Count the documents of `kind` among `documents` for `year`.
pub fn count_documents<'a>(
    documents: impl IntoIterator<Item = &'a DocumentDates>,
    kind: DocumentKind,
    year: i32,
) -> CatalogueCounts {
    let mut counts = CatalogueCounts::default();
    for d in documents.into_iter().filter(|d| d.kind == kind) {
        let issued = d.issued_on.year();
        if issued == year {
            counts.issued += 1;
        }
        let ended = d.ended();
        if let Some((ended_year, expired)) = ended
            && ended_year == year
        {
            counts.repealed += 1;
            if expired {
                counts.expired += 1;
            }
        }
        if issued <= year && ended.is_none_or(|(y, _)| y > year) {
            counts.in_force += 1;
        }
    }
    counts
}

/// The documents in force on `day`.
pub fn documents_in_force_on<'a>(
    documents: impl IntoIterator<Item = &'a CatalogueDocument>,
    day: NaiveDate,
) -> impl Iterator<Item = &'a CatalogueDocument> {
    documents.into_iter().filter(move |d| d.in_force_on(day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn doc(issued: &str, valid_until: Option<&str>, repealed: Option<&str>) -> DocumentDates {
        DocumentDates {
            kind: DocumentKind::NormativeDocument,
            issued_on: day(issued),
            valid_until: valid_until.map(day),
            repealed_on: repealed.map(day),
        }
    }

    #[test]
    fn the_counting_rules_of_the_spec() {
        let docs = [
            doc("2021-06-15", None, Some("2024-09-30")), // repealed in 2024
            doc("2022-03-01", Some("2024-02-29"), None), // expired in 2024
            doc("2023-01-01", None, None),               // in force
            doc("2024-05-01", None, None),               // made in 2024
            doc("2024-12-31", None, None),               // made on the last day
            doc("2020-01-01", None, Some("2024-12-31")), // repealed on the last day
            doc("2020-01-01", Some("2024-12-31"), None), // valid through the last day
            doc("2019-01-01", Some("2023-06-30"), Some("2024-03-01")), // expired 2023, repealed later
            doc("2025-01-02", None, None),                             // made after the year
        ];
        let c = count_documents(&docs, DocumentKind::NormativeDocument, 2024);
        assert_eq!(c.issued, 2);
        assert_eq!(c.repealed, 4, "repealed or expired in 2024, each once");
        assert_eq!(c.expired, 2);
        assert_eq!(c.in_force, 3);
        assert_eq!(
            count_documents(&docs, DocumentKind::Rule, 2024),
            CatalogueCounts::default()
        );
        let before = count_documents(&docs, DocumentKind::NormativeDocument, 2023);
        assert_eq!(before.repealed, 1, "the one expired in 2023");
        assert_eq!(before.in_force, 5);
        assert_eq!(before.in_force + c.issued - c.repealed, c.in_force);
    }

    fn any_document() -> impl Strategy<Value = DocumentDates> {
        (
            0i64..3000,
            prop::option::of(0i64..3000),
            prop::option::of(0i64..3000),
        )
            .prop_map(|(issued, valid, repealed)| {
                let base = day("2018-01-01");
                let issued_on = base + chrono::Duration::days(issued);
                DocumentDates {
                    kind: DocumentKind::NormativeDocument,
                    issued_on,
                    // Consistent dates, as CatalogueDocument::check requires.
                    valid_until: valid.map(|v| issued_on + chrono::Duration::days(v)),
                    repealed_on: repealed.map(|r| issued_on + chrono::Duration::days(r)),
                }
            })
    }

    proptest! {
        /// 现行有效(Y) = 现行有效(Y−1) + 制发(Y) − 废止(Y) for every consistent catalogue.
        #[test]
        fn the_documents_in_force_balance(docs in prop::collection::vec(any_document(), 0..40), year in 2018i32..2030) {
            let now = count_documents(&docs, DocumentKind::NormativeDocument, year);
            let before = count_documents(&docs, DocumentKind::NormativeDocument, year - 1);
            prop_assert_eq!(now.in_force, before.in_force + now.issued - now.repealed);
        }
    }
}
