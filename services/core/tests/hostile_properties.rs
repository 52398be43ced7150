//! Property tests standing in for fuzzing (issue 11): `cargo fuzz` needs a nightly toolchain,
//! and this project pins stable 1.95. Each property feeds arbitrary or mutated input to a
//! parser or a computation and asks that it answers (an error is an answer) without panicking.
//! Run longer with `PROPTEST_CASES=100000 cargo test -p ogi-core --test hostile_properties`.

use chrono::NaiveDate;
use ogi_core::calendar::WorkCalendar;
use ogi_core::codes::OutcomeCode;
use ogi_core::letters::{self, AgencyLetterhead, LetterFacts};
use ogi_core::records;
use ogi_core::report::{self, AnnualReport};
use proptest::prelude::*;

const EXAMPLE_RECORD: &str = r#"{"ref": "AJ2024-00017", "agency": "遂宁市安居区人民政府", "received_on": "2024-03-05", "channel": "online", "applicant": {"type": "natural_person", "name": "王建华", "id_type": "resident_id_card", "id_number": "510904198507120038", "phone": "13800000017", "address": "四川省遂宁市安居区……", "email": null}, "request": {"description": "申请公开……", "form": "electronic", "delivery": "email"}, "history": [{"on": "2024-03-07", "event": "correction_requested", "due_on": "2024-03-21"}, {"on": "2024-03-12", "event": "corrected"}, {"on": "2024-04-01", "event": "extended", "days": 20}, {"on": "2024-04-02", "event": "fee_notified", "amount_yuan": "300.00"}, {"on": "2024-04-08", "event": "fee_paid"}], "outcome": {"code": "partially_disclosed", "replied_on": "2024-04-20"}, "reviews": [{"kind": "review", "filed_on": "2024-05-10", "result": "upheld", "concluded_on": "2024-07-01"}]}"#;

const PUBLISHED_TABLES: &str = include_str!("../../../examples/anju-2024/published-tables.json");

/// `text` with `replacement` put over the bytes `at..at+len` (kept on char boundaries).
fn mutate(text: &str, at: usize, len: usize, replacement: &str) -> String {
    let mut start = at.min(text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + len).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{}{}", &text[..start], replacement, &text[end..])
}

fn hostile_fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("\"".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("null".to_string()),
        Just("\u{1b}[2J\u{202e}\u{0}".to_string()),
        Just(" 2024-1-1".to_string()),
        Just("0000-01-01".to_string()),
        Just("{".to_string()),
        Just("]".to_string()),
        "\\PC{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512)
    ))]

    /// The case-record parser: any bytes, and any mutation of a good record, give records or
    /// line errors, never a panic; a rejected line has at least one error with its number.
    #[test]
    fn case_record_parser_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        at in 0usize..1200,
        len in 0usize..40,
        fragment in hostile_fragment(),
    ) {
        let _ = records::read_jsonl(bytes.as_slice()).unwrap();
        let line = mutate(EXAMPLE_RECORD, at, len, &fragment);
        match records::parse_line(7, &line) {
            Ok(_) => {}
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                prop_assert!(errors.iter().all(|e| e.line == 7));
            }
        }
    }

    /// The report JSON check: a mutated annual report either is refused by serde or is
    /// checked without a panic.
    #[test]
    fn report_json_check_never_panics(
        at in 0usize..PUBLISHED_TABLES.len(),
        len in 0usize..20,
        fragment in hostile_fragment(),
    ) {
        let text = mutate(PUBLISHED_TABLES, at, len, &fragment);
        if let Ok(report) = serde_json::from_str::<AnnualReport>(&text) {
            let _ = report::check(&report, None, Some(&fragment));
        }
    }

    /// Calendar arithmetic: counting n working days from any date of the era lands after the
    /// start, is monotone in n, and never panics, including across unloaded years.
    #[test]
    fn working_days_are_monotone(
        days in 0i64..(366 * 40),
        n in 0u32..400,
    ) {
        let calendar = WorkCalendar::official();
        let start = NaiveDate::from_ymd_opt(2008, 1, 1).unwrap() + chrono::Duration::days(days);
        let a = calendar.workdays_after(start, n);
        let b = calendar.workdays_after(start, n + 1);
        prop_assert!(b.date > a.date);
        prop_assert!(a.date >= start);
    }

    /// The letter renderer: any outcome with hostile free text renders a letter that quotes
    /// the applicant's name, and never panics.
    #[test]
    fn letters_render_any_text(
        outcome in 0usize..OutcomeCode::ALL.len(),
        name in "\\PC{1,30}",
        text in "\\PC{0,300}",
        basis in "\\PC{0,40}",
    ) {
        let facts = LetterFacts {
            outcome: OutcomeCode::ALL[outcome],
            applicant_name: name.clone(),
            received_on: NaiveDate::from_ymd_opt(2024, 3, 5).unwrap(),
            request_description: text.clone(),
            replied_on: NaiveDate::from_ymd_opt(2024, 4, 1).unwrap(),
            document_number: letters::document_number("安府信公", 2024, 7),
            legal_basis: basis,
            reply_text: text,
            other_agency: Some("某局".into()),
            fee_amount_yuan: Some("100.00".into()),
        };
        let head = AgencyLetterhead {
            name: "某区人民政府".into(),
            document_prefix: "安府信公".into(),
            review_organ: "某市人民政府".into(),
            court: "某区人民法院".into(),
        };
        let letter = letters::render(&head, &facts);
        prop_assert!(letter.text.contains(name.trim()) || name.trim().is_empty());
    }
}
