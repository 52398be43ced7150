//! One catalogue document as a JSON Lines record:
//!
//! ```json
//! {"agency": "遂宁市安居区人民政府", "kind": "normative_document", "number": "安府规〔2021〕3号",
//!  "title": "…管理办法", "issued_on": "2021-06-15", "published_on": "2021-06-18",
//!  "valid_until": null, "repealed_on": "2024-09-30", "repealed_by": "安府规〔2024〕1号",
//!  "url": "https://…"}
//! ```
//!
//! Reading checks every field and names each one that is wrong, in Chinese, so that an import
//! can report a file's errors line by line before it stores anything.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::codes::UnknownCode;
use crate::limits::{check_text, parse_iso_date, text};

/// What a catalogue document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// 规章 (only governments with rule-making power issue them).
    Rule,
    /// 行政规范性文件.
    NormativeDocument,
    /// Information released on application and then published proactively (Art. 44).
    ReleasedInformation,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [
        DocumentKind::Rule,
        DocumentKind::NormativeDocument,
        DocumentKind::ReleasedInformation,
    ];

    /// The stable code (`rule`, `normative_document`, `released_information`).
    pub const fn code(self) -> &'static str {
        match self {
            DocumentKind::Rule => "rule",
            DocumentKind::NormativeDocument => "normative_document",
            DocumentKind::ReleasedInformation => "released_information",
        }
    }

    /// The label users read.
    pub const fn label(self) -> &'static str {
        match self {
            DocumentKind::Rule => "规章",
            DocumentKind::NormativeDocument => "行政规范性文件",
            DocumentKind::ReleasedInformation => "依申请公开转主动公开的信息",
        }
    }

    /// Whether table 二 (Art. 20(1)) counts documents of this kind.
    pub const fn counted_in_table_two(self) -> bool {
        matches!(self, DocumentKind::Rule | DocumentKind::NormativeDocument)
    }
}

impl FromStr for DocumentKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| UnknownCode {
                kind: "目录文件类别",
                value: s.to_string(),
            })
    }
}

impl fmt::Display for DocumentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One rule, normative document or released information of an agency's catalogue. The number
/// (文号) is unique per agency; a new record for the same number is a correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogueDocument {
    pub agency: String,
    pub kind: DocumentKind,
    /// 文号.
    pub number: String,
    pub title: String,
    /// The date it was made (成文/印发日期).
    pub issued_on: NaiveDate,
    pub published_on: Option<NaiveDate>,
    /// The last day of a fixed validity period (有效期至).
    pub valid_until: Option<NaiveDate>,
    /// The date the repeal took effect; none while in force.
    pub repealed_on: Option<NaiveDate>,
    /// The number of the document that repealed it.
    pub repealed_by: Option<String>,
    pub url: Option<String>,
}

/// A field that is missing or wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "字段 {}：{}", self.field, self.reason)
        }
    }
}

const FIELDS: [&str; 10] = [
    "agency",
    "kind",
    "number",
    "title",
    "issued_on",
    "published_on",
    "valid_until",
    "repealed_on",
    "repealed_by",
    "url",
];

/// Reads the fields of one JSON object, collecting every error.
struct Fields<'a> {
    object: &'a Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Fields<'_> {
    fn text(&mut self, field: &str) -> Option<String> {
        match self.object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) if s.trim().is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().to_string()),
            Some(other) => {
                self.errors
                    .push(FieldError::new(field, format!("应为文字，实为 {other}")));
                None
            }
        }
    }

    /// Missing, null or blank.
    fn absent(&self, field: &str) -> bool {
        match self.object.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        }
    }

    fn required(&mut self, field: &str) -> String {
        if self.absent(field) {
            self.errors.push(FieldError::new(field, "必填"));
        }
        // A value of the wrong type is reported by `text`.
        self.text(field).unwrap_or_default()
    }

    /// A date written strictly as `YYYY-MM-DD` (any year: catalogues reach back before the
    /// 2008 Regulations).
    fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let text = self.text(field)?;
        match parse_iso_date(&text) {
            Ok(d) => Some(d),
            Err(problem) => {
                self.errors
                    .push(FieldError::new(field, problem.to_string()));
                None
            }
        }
    }
}

impl CatalogueDocument {
    /// Read one JSON Lines record, checking every field: the errors name each wrong field.
    pub fn parse(line: &str) -> Result<CatalogueDocument, Vec<FieldError>> {
        let value: Value = serde_json::from_str(line)
            .map_err(|e| vec![FieldError::new("", format!("不是有效的 JSON：{e}"))])?;
        let Value::Object(object) = &value else {
            return Err(vec![FieldError::new("", "每行应为一个 JSON 对象（{…}）")]);
        };
        Self::from_object(object)
    }

    /// Read a record from a JSON object.
    pub fn from_object(object: &Map<String, Value>) -> Result<CatalogueDocument, Vec<FieldError>> {
        let mut fields = Fields {
            object,
            errors: Vec::new(),
        };
        for key in object.keys() {
            if !FIELDS.contains(&key.as_str()) {
                fields.errors.push(FieldError::new(
                    key.clone(),
                    format!("未知字段，可用字段为 {}", FIELDS.join("、")),
                ));
            }
        }
        let agency = fields.required("agency");
        let kind_text = fields.required("kind");
        let kind = if kind_text.is_empty() {
            None
        } else {
            match kind_text.parse::<DocumentKind>() {
                Ok(k) => Some(k),
                Err(_) => {
                    fields.errors.push(FieldError::new(
                        "kind",
                        format!(
                            "未知的类别「{kind_text}」，应为 rule（规章）、normative_document（行政规范性文件）或 released_information（依申请公开转主动公开的信息）"
                        ),
                    ));
                    None
                }
            }
        };
        let number = fields.required("number");
        let title = fields.required("title");
        let issued_on = fields.date("issued_on");
        if issued_on.is_none() && fields.absent("issued_on") {
            fields.errors.push(FieldError::new("issued_on", "必填"));
        }
        let published_on = fields.date("published_on");
        let valid_until = fields.date("valid_until");
        let repealed_on = fields.date("repealed_on");
        let repealed_by = fields.text("repealed_by");
        let url = fields.text("url");
        let mut errors = fields.errors;
        match (kind, issued_on) {
            (Some(kind), Some(issued_on)) if errors.is_empty() => {
                let document = CatalogueDocument {
                    agency,
                    kind,
                    number,
                    title,
                    issued_on,
                    published_on,
                    valid_until,
                    repealed_on,
                    repealed_by,
                    url,
                };
                document.check()?;
                Ok(document)
            }
            _ => {
                if errors.is_empty() {
                    errors.push(FieldError::new("", "记录不完整"));
                }
                Err(errors)
            }
        }
    }

    /// The rules that tie the fields together (a document is not repealed before it was
    /// made, nor repealed by itself); empty when all hold.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        for (field, value) in [
            ("agency", &self.agency),
            ("number", &self.number),
            ("title", &self.title),
        ] {
            if value.trim().is_empty() {
                errors.push(FieldError::new(field, "必填"));
            }
        }
        for (field, rule, value) in [
            ("agency", text::AGENCY, Some(&self.agency)),
            ("number", text::DOCUMENT_NUMBER, Some(&self.number)),
            ("title", text::DOCUMENT_TITLE, Some(&self.title)),
            (
                "repealed_by",
                text::DOCUMENT_NUMBER,
                self.repealed_by.as_ref(),
            ),
            ("url", text::URL, self.url.as_ref()),
        ] {
            if let Some(value) = value
                && let Err(problem) = check_text(rule, value)
            {
                errors.push(FieldError::new(field, problem.to_string()));
            }
        }
        for (field, date, what) in [
            ("published_on", self.published_on, "公开日期"),
            ("valid_until", self.valid_until, "有效期截止日期"),
            ("repealed_on", self.repealed_on, "废止日期"),
        ] {
            if let Some(date) = date
                && date < self.issued_on
            {
                errors.push(FieldError::new(
                    field,
                    format!("{what}{date}早于成文日期{}", self.issued_on),
                ));
            }
        }
        if self.repealed_by.is_some() && self.repealed_on.is_none() {
            errors.push(FieldError::new(
                "repealed_by",
                "给出了废止文件文号，但没有废止日期（repealed_on）",
            ));
        }
        if self.repealed_by.as_deref() == Some(self.number.as_str()) {
            errors.push(FieldError::new("repealed_by", "文件不能由其自身废止"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The JSON Lines record (the import format).
    pub fn to_json_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The day it stopped being in force, if it did: the repeal, or the end of its validity
    /// period, whichever came first.
    pub fn ended_on(&self) -> Option<NaiveDate> {
        match (self.repealed_on, self.valid_until) {
            (Some(r), Some(v)) => Some(r.min(v)),
            (r, v) => r.or(v),
        }
    }

    /// Whether it is in force on `day`: made by then, not repealed on or before it, and
    /// within its validity period (which includes its last day).
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.issued_on <= day
            && self.repealed_on.is_none_or(|r| r > day)
            && self.valid_until.is_none_or(|v| v >= day)
    }

    /// Its status on `day`, as users read it (现行有效, 已废止, 已失效, 尚未印发).
    pub fn status_on(&self, day: NaiveDate) -> &'static str {
        if self.issued_on > day {
            "尚未印发"
        } else if self.repealed_on.is_some_and(|r| r <= day) {
            "已废止"
        } else if self.valid_until.is_some_and(|v| v < day) {
            "已失效"
        } else {
            "现行有效"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const GOOD: &str = r#"{"agency": "遂宁市安居区人民政府", "kind": "normative_document", "number": "安府规〔2021〕3号", "title": "遂宁市安居区农村集体资产管理办法", "issued_on": "2021-06-15", "published_on": "2021-06-18", "valid_until": null, "repealed_on": "2024-09-30", "repealed_by": "安府规〔2024〕1号", "url": "https://example.gov.cn/1"}"#;

    #[test]
    fn the_spec_record_reads_and_writes_back() {
        let doc = CatalogueDocument::parse(GOOD).unwrap();
        assert_eq!(doc.kind, DocumentKind::NormativeDocument);
        assert_eq!(doc.repealed_on, Some(day("2024-09-30")));
        assert_eq!(doc.valid_until, None);
        let again = CatalogueDocument::parse(&doc.to_json_line()).unwrap();
        assert_eq!(again, doc);
    }

    #[test]
    fn every_wrong_field_is_named_in_chinese() {
        let errors = CatalogueDocument::parse(
            r#"{"agency": "", "kind": "decree", "number": "x", "title": 3, "issued_on": "2021-13-01", "colour": "red"}"#,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        for field in ["colour", "agency", "kind", "title", "issued_on"] {
            assert!(fields.contains(&field), "{field} not named: {errors:?}");
        }
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            text.iter().any(|t| t.contains("不是日历上存在的日期")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|t| t.contains("未知的类别「decree」")),
            "{text:?}"
        );
    }

    #[test]
    fn a_missing_issue_date_is_required() {
        let errors = CatalogueDocument::parse(
            r#"{"agency": "甲", "kind": "rule", "number": "1", "title": "t"}"#,
        )
        .unwrap_err();
        assert_eq!(errors, vec![FieldError::new("issued_on", "必填")]);
    }

    #[test]
    fn dates_before_the_issue_date_are_refused() {
        let errors = CatalogueDocument::parse(
            r#"{"agency": "甲", "kind": "rule", "number": "1", "title": "t", "issued_on": "2022-01-10", "repealed_on": "2021-01-01", "repealed_by": "1"}"#,
        )
        .unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].reason.contains("早于成文日期2022-01-10"));
        assert_eq!(errors[1].field, "repealed_by");
    }

    #[test]
    fn texts_are_held_to_the_limits() {
        let long = "办".repeat(501);
        let errors = CatalogueDocument::parse(&format!(
            r#"{{"agency": "甲", "kind": "rule", "number": "1\u0007", "title": "{long}", "issued_on": "2020-01-01"}}"#
        ))
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["number", "title"], "{errors:?}");
        assert!(errors[1].reason.contains("最多500个字符"), "{errors:?}");
    }

    #[test]
    fn not_json_says_so() {
        let errors = CatalogueDocument::parse("{agency").unwrap_err();
        assert!(errors[0].reason.starts_with("不是有效的 JSON"));
        let errors = CatalogueDocument::parse("[1]").unwrap_err();
        assert!(errors[0].reason.contains("JSON 对象"));
    }

    #[test]
    fn in_force_on_a_day() {
        let mut doc = CatalogueDocument::parse(GOOD).unwrap();
        assert!(!doc.in_force_on(day("2021-06-14")));
        assert!(doc.in_force_on(day("2021-06-15")));
        assert!(doc.in_force_on(day("2024-09-29")));
        assert!(!doc.in_force_on(day("2024-09-30")), "repealed that day");
        assert_eq!(doc.status_on(day("2024-10-01")), "已废止");
        doc.repealed_on = None;
        doc.repealed_by = None;
        doc.valid_until = Some(day("2023-06-14"));
        assert!(doc.in_force_on(day("2023-06-14")), "its last valid day");
        assert!(!doc.in_force_on(day("2023-06-15")));
        assert_eq!(doc.status_on(day("2023-06-15")), "已失效");
        assert_eq!(doc.ended_on(), Some(day("2023-06-14")));
    }
}
