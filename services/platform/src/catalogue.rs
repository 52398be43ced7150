//! Catalogue documents (主动公开目录) between their domain form and the contracts' message,
//! and the event key of a document.

use ogi_core::catalogue::{CatalogueDocument, FieldError};
use ogi_proto::v1 as pb;

use crate::error::ServiceError;

fn date_text(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The message of a document.
pub fn to_message(d: &CatalogueDocument) -> pb::CatalogueDocument {
    pb::CatalogueDocument {
        agency: d.agency.clone(),
        kind: d.kind.code().into(),
        number: d.number.clone(),
        title: d.title.clone(),
        issued_on: d.issued_on.to_string(),
        published_on: date_text(d.published_on),
        valid_until: date_text(d.valid_until),
        repealed_on: date_text(d.repealed_on),
        repealed_by: d.repealed_by.clone().unwrap_or_default(),
        url: d.url.clone().unwrap_or_default(),
    }
}

/// The document of a message, every field checked as an imported record's are; the errors
/// name each wrong field.
pub fn from_message(m: &pb::CatalogueDocument) -> Result<CatalogueDocument, Vec<FieldError>> {
    let mut object = serde_json::Map::new();
    for (field, value) in [
        ("agency", &m.agency),
        ("kind", &m.kind),
        ("number", &m.number),
        ("title", &m.title),
        ("issued_on", &m.issued_on),
        ("published_on", &m.published_on),
        ("valid_until", &m.valid_until),
        ("repealed_on", &m.repealed_on),
        ("repealed_by", &m.repealed_by),
        ("url", &m.url),
    ] {
        if !value.is_empty() {
            object.insert(field.into(), serde_json::Value::String(value.clone()));
        }
    }
    CatalogueDocument::from_object(&object)
}

/// [`from_message`] as a service error naming the field under `prefix` (`documents[3]`).
pub fn from_message_in(
    prefix: &str,
    m: &pb::CatalogueDocument,
) -> Result<CatalogueDocument, ServiceError> {
    from_message(m).map_err(|errors| {
        let first = errors
            .first()
            .cloned()
            .unwrap_or_else(|| FieldError::new("", "无效"));
        let reasons: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        let field = if first.field.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", first.field)
        };
        ServiceError::invalid(
            field,
            format!("文号「{}」：{}", m.number, reasons.join("；")),
        )
    })
}

/// The `case_id` of a document's events: `catalogue/<agency>/<number>`.
pub fn event_key(agency: &str, number: &str) -> String {
    format!("catalogue/{agency}/{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_goes_through_its_message_unchanged() {
        let d = CatalogueDocument::parse(
            r#"{"agency": "甲", "kind": "normative_document", "number": "甲规〔2021〕1号", "title": "办法", "issued_on": "2021-06-15", "valid_until": "2026-06-14"}"#,
        )
        .unwrap();
        assert_eq!(from_message(&to_message(&d)).unwrap(), d);
        let mut bad = to_message(&d);
        bad.issued_on = "2021-02-30".into();
        let error = from_message_in("documents[0]", &bad).unwrap_err();
        assert!(
            error.to_string().contains("documents[0].issued_on"),
            "{error}"
        );
    }
}
