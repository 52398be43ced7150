use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;

use super::*;
use crate::codes::{ApplicantType, OutcomeCode, ReviewKind, ReviewResult};
use crate::records::parse_jsonl;

const FIXTURES: &str = "../../examples/anju-2024";
const AGENCY: &str = "遂宁市安居区人民政府";

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(FIXTURES)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn fixture_cases() -> Vec<ReportCase> {
    let parsed = parse_jsonl(&fixture("cases.jsonl"));
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    // One record per application: this year's new ones and those carried over.
    let rows = &published()["applications"]["rows"];
    let applications = rows["new"][TOTAL_COLUMN].as_u64().unwrap()
        + rows["carried_over"][TOTAL_COLUMN].as_u64().unwrap();
    assert_eq!(parsed.records.len() as u64, applications);
    parsed
        .records
        .iter()
        .map(|(_, r)| ReportCase::from(r))
        .collect()
}

fn published() -> Value {
    serde_json::from_str(&fixture("published-tables.json")).unwrap()
}

fn published_report() -> AnnualReport {
    serde_json::from_str(&fixture("published-tables.json")).unwrap()
}

fn entered_active() -> ActiveDisclosureEntry {
    serde_json::from_str(&fixture("active-disclosure.json")).unwrap()
}

fn anju_report() -> AnnualReport {
    let tally = Tally::from_cases(2024, &fixture_cases());
    AnnualReport::from_tally(AGENCY, 2024, &tally, Some(entered_active().figures), None).unwrap()
}

fn d(text: &str) -> NaiveDate {
    text.parse().unwrap()
}

fn ids(failures: &[FailedCheck]) -> Vec<&str> {
    failures.iter().map(|f| f.check.as_str()).collect()
}

/// Half-width punctuation as the portal's text export has it, to the report's full width.
fn full_width(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            ',' => '，',
            ':' => '：',
            ';' => '；',
            other => other,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Counting

#[test]
fn fixture_cases_give_the_published_tables_three_and_four() {
    let report = anju_report();
    let published = published();
    assert_eq!(
        serde_json::to_value(&report.applications).unwrap(),
        published["applications"]
    );
    assert_eq!(
        serde_json::to_value(report.reviews_and_litigation).unwrap(),
        published["reviews_and_litigation"]
    );
    assert_eq!(
        serde_json::to_value(&report).unwrap()["fees_collected_yuan"],
        published["fees_collected_yuan"]
    );
    assert!(report.checks.is_empty(), "{:#?}", report.checks);
}

#[test]
fn entered_table_two_equals_the_published() {
    let entry = entered_active();
    assert_eq!(entry.agency, AGENCY);
    assert_eq!(entry.year, 2024);
    let report = anju_report();
    assert_eq!(
        serde_json::to_value(&report.active_disclosure).unwrap(),
        published()["active_disclosure"]
    );
    // The whole report equals the published one read back (the fixture's `source` aside).
    assert_eq!(report, published_report());
    // And the entry file round-trips in its own shape.
    let again: Value = serde_json::to_value(&entry).unwrap();
    let original: Value = serde_json::from_str(&fixture("active-disclosure.json")).unwrap();
    assert_eq!(again, original);
}

#[test]
fn counting_rules_at_the_year_boundaries() {
    let case = |received: &str, reply: Option<(OutcomeCode, &str)>| ReportCase {
        applicant_type: ApplicantType::CommercialEnterprise,
        received_on: d(received),
        reply: reply.map(|(c, on)| (c, d(on))),
        fee_collected_yuan: None,
        reviews: Vec::new(),
    };
    let cases = [
        // Replied on the last day of the year before: not carried over.
        case("2023-12-01", Some((OutcomeCode::Disclosed, "2023-12-31"))),
        // Replied on 1 January: carried over, processed.
        case("2023-12-20", Some((OutcomeCode::Disclosed, "2024-01-01"))),
        // Received before, still open: carried over and forward.
        case("2023-11-01", None),
        // New, replied on 31 December: processed.
        case("2024-12-31", Some((OutcomeCode::OtherOther, "2024-12-31"))),
        // New, replied the next year: carried forward.
        case("2024-12-30", Some((OutcomeCode::Disclosed, "2025-01-02"))),
        // Received the next year: not counted.
        case("2025-01-01", None),
    ];
    let tables = Tally::from_cases(2024, &cases).tables();
    let rows = &tables.applications.rows;
    let col = ApplicantType::CommercialEnterprise.index();
    assert_eq!(rows.new[col], Some(2));
    assert_eq!(rows.carried_over[col], Some(2));
    assert_eq!(
        rows.get(RowKey::Outcome(OutcomeCode::Disclosed))[col],
        Some(1)
    );
    assert_eq!(
        rows.get(RowKey::Outcome(OutcomeCode::OtherOther))[col],
        Some(1)
    );
    assert_eq!(rows.total_processed[col], Some(2));
    assert_eq!(rows.carried_forward[col], Some(2));
    assert_eq!(rows.new[TOTAL_COLUMN], Some(2));
    assert_eq!(rows.new[0], Some(0));
}

#[test]
fn reviews_count_in_the_year_filed_with_the_result_at_year_end() {
    let review = |kind, filed: &str, result, concluded: Option<&str>| ReportReview {
        kind,
        filed_on: d(filed),
        result,
        concluded_on: concluded.map(d),
    };
    let case = ReportCase {
        applicant_type: ApplicantType::NaturalPerson,
        received_on: d("2023-10-01"),
        reply: Some((
            OutcomeCode::WithheldInternalAffairs,
            "2023-10-20".parse().unwrap(),
        )),
        fee_collected_yuan: None,
        reviews: vec![
            // Filed the year before: not in 2024.
            review(
                ReviewKind::Review,
                "2023-12-01",
                ReviewResult::Upheld,
                Some("2024-02-01"),
            ),
            // Concluded the next year: pending at 31 December.
            review(
                ReviewKind::Review,
                "2024-03-01",
                ReviewResult::Corrected,
                Some("2025-01-05"),
            ),
            review(
                ReviewKind::LitigationDirect,
                "2024-03-01",
                ReviewResult::Other,
                Some("2024-12-31"),
            ),
            review(
                ReviewKind::LitigationAfterReview,
                "2024-05-01",
                ReviewResult::Pending,
                None,
            ),
        ],
    };
    let tables = Tally::from_cases(2024, [&case]).tables();
    let r = tables.reviews_and_litigation;
    assert_eq!(r.review, ReviewCounts::from_results([0, 0, 0, 1]));
    assert_eq!(
        r.litigation_direct,
        ReviewCounts::from_results([0, 0, 1, 0])
    );
    assert_eq!(
        r.litigation_after_review,
        ReviewCounts::from_results([0, 0, 0, 1])
    );
    let r2023 = Tally::from_cases(2023, [&case])
        .tables()
        .reviews_and_litigation;
    // At the end of 2023 the review filed in December was still pending.
    assert_eq!(r2023.review, ReviewCounts::from_results([0, 0, 0, 1]));
}

const FEE_RECORD: &str = r#"{"ref": "AJ2024-00017", "agency": "遂宁市安居区人民政府", "received_on": "2024-03-05", "channel": "online", "applicant": {"type": "natural_person", "name": "王建华", "id_type": "resident_id_card", "id_number": "510904198507120038", "phone": "13800000017", "address": "四川省遂宁市安居区……", "email": null}, "request": {"description": "申请公开……", "form": "electronic", "delivery": "email"}, "history": [{"on": "2024-03-07", "event": "correction_requested", "due_on": "2024-03-21"}, {"on": "2024-03-12", "event": "corrected"}, {"on": "2024-03-20", "event": "third_party_consulted"}, {"on": "2024-03-28", "event": "third_party_replied"}, {"on": "2024-04-01", "event": "extended", "days": 20}, {"on": "2024-04-02", "event": "fee_notified", "amount_yuan": "300.00"}, {"on": "2024-04-08", "event": "fee_paid"}], "outcome": {"code": "partially_disclosed", "replied_on": "2024-04-20"}, "reviews": [{"kind": "review", "filed_on": "2024-05-10", "result": "upheld", "concluded_on": "2024-07-01"}]}"#;

#[test]
fn fees_paid_are_counted_in_the_reply_year() {
    let parsed = parse_jsonl(FEE_RECORD);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let case = ReportCase::from(&parsed.records[0].1);
    assert_eq!(case.fee_collected_yuan, Some(Decimal::new(300, 0)));
    assert_eq!(case.reviews.len(), 1);

    let tally = Tally::from_cases(2024, [&case]);
    let tables = tally.tables();
    assert_eq!(tables.fees.count, 1);
    assert_eq!(tables.fees.total_yuan, Decimal::new(300, 0));
    let report = AnnualReport::from_tally("某局", 2024, &tally, None, None).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["fees_collected_yuan"], "300.00");
    assert!(json.get("active_disclosure").is_none());
    assert_eq!(
        section_six_fees(tables.fees.count, tables.fees.total_yuan),
        "本年度共对1件政府信息公开申请收取信息处理费共计300.00元。"
    );
    assert_eq!(
        section_six_fees(0, Decimal::ZERO),
        "本年度未收取信息处理费。"
    );
    // The fee sentence is a quoted figure too.
    let sentence = section_six_fees(1, Decimal::new(300, 0));
    assert!(check(&report, None, Some(&sentence)).is_empty());
    let failures = check(&report, None, Some("本年度未收取信息处理费。"));
    assert_eq!(ids(&failures), ["narrative_figure"]);
    assert_eq!(failures[0].left, "0");
    assert_eq!(failures[0].right, "300");

    // Replied the next year: the fee belongs to that year's report.
    let mut late = case.clone();
    late.reply = Some((OutcomeCode::PartiallyDisclosed, d("2025-01-03")));
    assert_eq!(Tally::from_cases(2024, [&late]).tables().fees.count, 0);
    assert_eq!(Tally::from_cases(2025, [&late]).tables().fees.count, 1);
}

// ---------------------------------------------------------------------------------------------
// The JSON form

#[test]
fn rows_serialise_in_the_format_order() {
    let text = serde_json::to_string(&anju_report()).unwrap();
    let mut keys = vec!["new".to_string(), "carried_over".to_string()];
    keys.extend(OutcomeCode::ALL.iter().map(|c| c.code().to_string()));
    keys.extend(["total_processed".to_string(), "carried_forward".to_string()]);
    assert_eq!(keys.len(), 25);
    let mut last = text.find("\"rows\"").unwrap();
    for key in &keys {
        let at = text[last..]
            .find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} missing or out of order"))
            + last;
        last = at;
    }
    // The top-level keys too, as the spec shows them.
    let order = [
        "\"agency\"",
        "\"year\"",
        "\"active_disclosure\"",
        "\"applications\"",
        "\"columns\"",
        "\"rows\"",
        "\"reviews_and_litigation\"",
        "\"fees_collected_yuan\"",
        "\"checks\"",
    ];
    let positions: Vec<usize> = order.iter().map(|k| text.find(k).unwrap()).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

#[test]
fn reports_round_trip_and_schema_shape() {
    let report = anju_report();
    let text = serde_json::to_string_pretty(&report).unwrap();
    let back: AnnualReport = serde_json::from_str(&text).unwrap();
    assert_eq!(back, report);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["applications"]["columns"],
        serde_json::json!(COLUMN_CODES)
    );
    let rows = value["applications"]["rows"].as_object().unwrap();
    assert_eq!(rows.len(), 25);
    assert!(rows.values().all(|r| r.as_array().unwrap().len() == 7));
    assert_eq!(value["active_disclosure"]["fees_10k_yuan"], "6532.96");
    assert_eq!(value["checks"], serde_json::json!([]));
}

#[test]
fn bad_shapes_are_refused_with_a_reason() {
    let mut value = published();
    value["applications"]["rows"]["new"] = serde_json::json!([1, 2, 3]);
    let err = serde_json::from_value::<AnnualReport>(value).unwrap_err();
    assert!(err.to_string().contains("应有7个数字，实有3个"), "{err}");

    let mut value = published();
    value["applications"]["rows"]["withheld.secret"] = serde_json::json!([0, 0, 0, 0, 0, 0, 0]);
    let err = serde_json::from_value::<AnnualReport>(value).unwrap_err();
    assert!(err.to_string().contains("withheld.secret"), "{err}");

    let mut value = published();
    value["applications"]["columns"] = serde_json::json!(["total"]);
    assert!(serde_json::from_value::<AnnualReport>(value).is_err());
}

// ---------------------------------------------------------------------------------------------
// Checks

#[test]
fn the_published_report_passes_every_check() {
    let report = published_report();
    assert!(check(&report, None, None).is_empty());
    // Its whole published text, narrative included, quotes the tables' figures.
    let text = fixture("published-report.txt");
    assert_eq!(check(&report, None, Some(&text)), []);
    // It quotes ten figures: the nine of 依申请公开 and section 六's fees.
    let quoted: Vec<String> = super::narrative::quoted_figures(&text)
        .into_iter()
        .map(|q| q.quote)
        .collect();
    assert_eq!(
        quoted,
        [
            "新收到政府信息公开申请155件",
            "上年结转13件",
            "办结168件",
            "予以公开79件",
            "部分公开15件",
            "不予公开20件",
            "无法提供54件",
            "行政复议10件",
            "行政诉讼7件",
            "未收取信息处理费",
        ]
    );
}

#[test]
fn a_changed_cell_fails_naming_row_column_and_both_sides() {
    let mut report = published_report();
    report
        .applications
        .rows
        .get_mut(RowKey::Outcome(OutcomeCode::Disclosed))[0] = Some(80);
    let failures = check(&report, None, None);
    assert_eq!(ids(&failures), ["total_processed_sum", "row_total"]);
    let sum = &failures[0];
    assert_eq!(sum.row, "（七）总计");
    assert_eq!(sum.column, "自然人");
    assert_eq!((sum.left.as_str(), sum.right.as_str()), ("167", "168"));
    assert!(sum.message.contains("167") && sum.message.contains("168"));
    let row = &failures[1];
    assert_eq!(row.row, "（一）予以公开");
    assert_eq!(row.column, "总计");
    assert_eq!((row.left.as_str(), row.right.as_str()), ("79", "80"));
    assert_eq!(row.severity, Severity::Error);

    // A changed balance: carried forward one more in every place it adds up but the column.
    let mut report = published_report();
    report.applications.rows.carried_forward[5] = Some(1);
    report.applications.rows.carried_forward[6] = Some(1);
    let failures = check(&report, None, None);
    assert_eq!(ids(&failures), ["column_balance", "column_balance"]);
    assert_eq!(failures[0].column, "其他");
    assert_eq!(
        (failures[0].left.as_str(), failures[0].right.as_str()),
        ("1", "2")
    );
    assert_eq!(failures[1].column, "总计");
    assert_eq!(
        (failures[1].left.as_str(), failures[1].right.as_str()),
        ("168", "169")
    );
    assert!(
        failures[1]
            .message
            .contains("本年新收155件＋上年结转13件＝168件")
    );

    // Table 四.
    let mut report = published_report();
    report.reviews_and_litigation.litigation_direct.total = Some(8);
    let failures = check(&report, None, None);
    assert_eq!(ids(&failures), ["review_total"]);
    assert_eq!(failures[0].row, "行政诉讼（未经复议直接起诉）");
    assert_eq!(
        (failures[0].left.as_str(), failures[0].right.as_str()),
        ("8", "7")
    );

    // The failures are in the JSON form under `rule`, as the schema has it.
    report.recheck(None, None);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["checks"][0]["rule"], "review_total");
    assert_eq!(json["checks"][0]["severity"], "error");
    let back: AnnualReport = serde_json::from_value(json).unwrap();
    assert_eq!(back.checks, report.checks);
}

#[test]
fn blanks_are_failures() {
    let mut value = published();
    value["applications"]["rows"]["new"][0] = Value::Null;
    value["applications"]["rows"]["carried_forward"] = Value::Null;
    value["reviews_and_litigation"]["review"]["upheld"] = Value::Null;
    value["reviews_and_litigation"]["litigation_after_review"]
        .as_object_mut()
        .unwrap()
        .remove("total");
    value["active_disclosure"]["penalty_decisions"] = Value::Null;
    value["fees_collected_yuan"] = Value::Null;
    let report: AnnualReport = serde_json::from_value(value).unwrap();
    let failures = check(&report, None, None);
    let missing: Vec<(&str, &str)> = failures
        .iter()
        .filter(|f| f.check == "missing_figure")
        .map(|f| (f.row.as_str(), f.column.as_str()))
        .collect();
    assert_eq!(missing.len(), 1 + 7 + 1 + 1 + 1 + 1, "{missing:?}");
    assert!(missing.contains(&("一、本年新收政府信息公开申请数量", "自然人")));
    assert!(missing.contains(&("四、结转下年度继续办理", "法律服务机构")));
    assert!(missing.contains(&("行政复议", "结果维持")));
    assert!(missing.contains(&("行政诉讼（复议后起诉）", "总计")));
    assert!(missing.contains(&("行政处罚", "本年处理决定数量")));
    assert!(missing.contains(&("六、其他需要报告的事项", "信息处理费（元）")));
    // Sums with a blank are not checked again: only the blanks fail.
    assert!(failures.iter().all(|f| f.check == "missing_figure"));
    assert!(failures[0].message.contains("为空"));

    // A report with no tables at all is all blanks.
    let bare: AnnualReport =
        serde_json::from_str(r#"{"agency": "某镇人民政府", "year": 2024}"#).unwrap();
    assert_eq!(check(&bare, None, None).len(), 25 * 7 + 15 + 1);
}

fn report_2023() -> AnnualReport {
    // The demo cases received in 2023 (the published 上年结转) and a few more of 2023.
    let mut cases: Vec<ReportCase> = fixture_cases()
        .into_iter()
        .filter(|c| c.received_on < d("2024-01-01"))
        .collect();
    let carried_over = &published()["applications"]["rows"]["carried_over"];
    assert_eq!(
        Some(cases.len() as u64),
        carried_over[TOTAL_COLUMN].as_u64()
    );
    for day in ["2023-03-01", "2023-06-15"] {
        cases.push(ReportCase {
            applicant_type: ApplicantType::OtherOrg,
            received_on: d(day),
            reply: Some((
                OutcomeCode::UnavailableNotHeld,
                d(day) + chrono::Days::new(10),
            )),
            fee_collected_yuan: None,
            reviews: Vec::new(),
        });
    }
    let tally = Tally::from_cases(2023, &cases);
    let active = ActiveDisclosure {
        normative_documents: DocumentCounts {
            issued: Some(2),
            repealed: Some(0),
            in_force: Some(13),
        },
        ..entered_active().figures
    };
    AnnualReport::from_tally(AGENCY, 2023, &tally, Some(active), None).unwrap()
}

#[test]
fn across_years_carried_over_is_last_years_carried_forward() {
    let previous = report_2023();
    assert!(previous.checks.is_empty(), "{:#?}", previous.checks);
    assert_eq!(
        previous.applications.rows.carried_forward[TOTAL_COLUMN],
        Some(13)
    );
    let report = anju_report();
    assert_eq!(check(&report, Some(&previous), None), []);

    // Given at generation, the same check.
    let tally = Tally::from_cases(2024, &fixture_cases());
    let generated = AnnualReport::from_tally(
        AGENCY,
        2024,
        &tally,
        None,
        Some(&previous.applications.rows.carried_forward),
    )
    .unwrap();
    assert!(generated.checks.is_empty());

    let mut wrong = previous.clone();
    wrong.applications.rows.carried_forward[0] = Some(12);
    wrong.applications.rows.carried_forward[6] = Some(12);
    let failures = check(&report, Some(&wrong), None);
    assert_eq!(
        ids(&failures),
        ["carried_over_previous", "carried_over_previous"]
    );
    assert_eq!(failures[0].row, "二、上年结转政府信息公开申请数量");
    assert_eq!(failures[0].column, "自然人");
    assert_eq!(
        (failures[0].left.as_str(), failures[0].right.as_str()),
        ("13", "12")
    );
    assert!(failures[0].message.contains("2023年度"));
    let generated = AnnualReport::from_tally(
        AGENCY,
        2024,
        &tally,
        None,
        Some(&wrong.applications.rows.carried_forward),
    )
    .unwrap();
    assert_eq!(ids(&generated.checks), ids(&failures));

    // Not last year's report.
    let mut old = previous.clone();
    old.year = 2022;
    assert_eq!(ids(&check(&report, Some(&old), None)), ["previous_year"]);
}

#[test]
fn documents_in_force_are_a_warning() {
    let previous = report_2023();
    let report = anju_report();
    // 13 in force, none issued, 5 repealed: 8. Holds.
    assert!(check(&report, Some(&previous), None).is_empty());
    let mut before = previous.clone();
    if let Some(a) = before.active_disclosure.as_mut() {
        a.normative_documents.in_force = Some(12);
    }
    let failures = check(&report, Some(&before), None);
    assert_eq!(ids(&failures), ["documents_in_force"]);
    let warning = &failures[0];
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(warning.row, "行政规范性文件");
    assert_eq!(warning.column, "现行有效件数");
    assert_eq!((warning.left.as_str(), warning.right.as_str()), ("8", "7"));
    assert_eq!(
        serde_json::to_value(warning).unwrap()["severity"],
        "warning"
    );
}

// ---------------------------------------------------------------------------------------------
// Narrative

const ANJU_SENTENCE: &str = "全年新收到政府信息公开申请155件，上年结转13件，共办结168件。其中：予以公开79件，部分公开15件，不予公开20件，本机关无法提供54件。因政府信息公开引发行政复议10件、行政诉讼7件。";

#[test]
fn the_drafted_paragraph_is_the_published_one() {
    let report = anju_report();
    let draft = draft_section_one_applications(&report);
    assert_eq!(draft, ANJU_SENTENCE);
    let published = full_width(&fixture("published-report.txt"));
    assert!(published.contains(&draft));
    assert_eq!(check(&report, None, Some(&draft)), []);
}

#[test]
fn narrative_figures_are_checked() {
    let report = anju_report();
    let text = ANJU_SENTENCE
        .replace("155件", "17件")
        .replace("不予公开20件", "不予公开19件")
        .replace("行政诉讼7件", "行政诉讼6件");
    let failures = check(&report, None, Some(&text));
    assert_eq!(ids(&failures), ["narrative_figure"; 3]);
    assert_eq!(failures[0].row, "一、本年新收政府信息公开申请数量");
    assert_eq!(failures[0].column, "总计");
    assert_eq!(
        (failures[0].left.as_str(), failures[0].right.as_str()),
        ("17", "155")
    );
    assert!(
        failures[0].message.contains("新收到政府信息公开申请17件"),
        "{}",
        failures[0].message
    );
    assert_eq!(failures[1].row, "（三）不予公开");
    assert_eq!(
        (failures[1].left.as_str(), failures[1].right.as_str()),
        ("19", "20")
    );
    assert_eq!(failures[2].row, "行政诉讼");

    // Half-width punctuation and full-width digits read the same.
    let text = "全年新收到政府信息公开申请１５５件,上年结转13件,结转下年度继续办理2件。";
    let failures = check(&report, None, Some(text));
    assert_eq!(ids(&failures), ["narrative_figure"]);
    assert_eq!(failures[0].row, "四、结转下年度继续办理");

    // Other figures of section 一 are not taken for the tables'.
    let text = "收到并办理区人大代表建议提案9件，办件回复率均达100%，全年主动公开信息17448条。";
    assert!(check(&report, None, Some(text)).is_empty());
}

#[test]
fn drafts_for_other_years() {
    let mut report = anju_report();
    let rows = &mut report.applications.rows;
    rows.carried_forward = [
        Some(2),
        Some(0),
        Some(0),
        Some(0),
        Some(0),
        Some(0),
        Some(2),
    ];
    rows.new = [
        Some(156),
        Some(0),
        Some(0),
        Some(0),
        Some(0),
        Some(1),
        Some(157),
    ];
    rows.get_mut(RowKey::Outcome(OutcomeCode::NotProcessedDuplicate))[0] = Some(3);
    rows.get_mut(RowKey::Outcome(OutcomeCode::NotProcessedDuplicate))[6] = Some(3);
    rows.get_mut(RowKey::Outcome(OutcomeCode::Disclosed))[0] = Some(76);
    rows.get_mut(RowKey::Outcome(OutcomeCode::Disclosed))[6] = Some(76);
    report.recheck(None, None);
    assert!(report.checks.is_empty(), "{:#?}", report.checks);
    let draft = draft_section_one_applications(&report);
    assert_eq!(
        draft,
        "全年新收到政府信息公开申请157件，上年结转13件，共办结168件。其中：予以公开76件，部分公开15件，\
         不予公开20件，本机关无法提供54件，不予处理3件；结转下年度继续办理2件。\
         因政府信息公开引发行政复议10件、行政诉讼7件。"
    );
    assert!(check(&report, None, Some(&draft)).is_empty());

    let empty =
        AnnualReport::from_tally("某镇人民政府", 2024, &Tally::new(2024), None, None).unwrap();
    let draft = draft_section_one_applications(&empty);
    assert_eq!(
        draft,
        "全年未收到政府信息公开申请，无上年结转申请。全年未发生因政府信息公开引发的行政复议、行政诉讼。"
    );
    assert!(check(&empty, None, Some(&draft)).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Documents

fn narrative_of(report: &AnnualReport) -> Narrative {
    Narrative {
        section_one: format!(
            "（二）依申请公开\n{}",
            draft_section_one_applications(report)
        ),
        section_five: "一是重视力度不够。".into(),
        section_six: section_six_fees(0, Decimal::ZERO),
    }
}

/// The text of every `<td>` of the page, in order.
fn cells(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<td") {
        let open_end = rest[start..].find('>').unwrap() + start + 1;
        let close = rest[open_end..].find("</td>").unwrap() + open_end;
        out.push(
            rest[open_end..close]
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&"),
        );
        rest = &rest[close..];
    }
    out
}

/// The non-empty lines of the published text between two headings.
fn published_between(from: &str, to: &str) -> String {
    let text = fixture("published-report.txt");
    let start = text.find(from).unwrap() + from.len();
    let end = text[start..].find(to).unwrap() + start;
    full_width(&text[start..end])
}

#[test]
fn html_tables_read_as_the_published_ones() {
    let report = anju_report();
    let html = to_html(&report, &narrative_of(&report));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>遂宁市安居区人民政府2024年政府信息公开工作年度报告</title>"));
    let cells = cells(&html);
    let joined: String = cells.iter().map(|c| full_width(c)).collect();
    let expected = [
        published_between(
            "二、主动公开政府信息情况",
            "三、收到和处理政府信息公开申请情况",
        ),
        published_between(
            "三、收到和处理政府信息公开申请情况",
            "四、政府信息公开行政复议、行政诉讼情况",
        ),
        published_between(
            "四、政府信息公开行政复议、行政诉讼情况",
            "五、存在的主要问题及改进情况",
        ),
    ]
    .concat();
    assert_eq!(joined, expected);
    // Merged header cells as in the format.
    for merged in [
        "<td colspan=\"7\" class=\"h\">申请人情况</td>",
        "<td rowspan=\"2\" class=\"h\">自然人</td>",
        "<td colspan=\"5\" class=\"h\">法人或其他组织</td>",
        "<td rowspan=\"2\" class=\"h\">总计</td>",
        "<td rowspan=\"22\" class=\"l\">三、本年度办理结果</td>",
        "<td rowspan=\"8\" class=\"l\">（三）不予公开</td>",
        "<td rowspan=\"3\" class=\"l\">（四）无法提供</td>",
        "<td rowspan=\"5\" class=\"l\">（五）不予处理</td>",
        "<td rowspan=\"3\" class=\"l\">（六）其他处理</td>",
        "<td colspan=\"5\" class=\"h\">行政复议</td>",
        "<td colspan=\"10\" class=\"h\">行政诉讼</td>",
        "<td colspan=\"5\" class=\"h\">未经复议直接起诉</td>",
        "<td colspan=\"5\" class=\"h\">复议后起诉</td>",
        "<td colspan=\"4\" class=\"h\">第二十条第（一）项</td>",
    ] {
        assert!(html.contains(merged), "{merged}");
    }
    // Every table row of 三 has 10 grid columns once spans are counted: 7 figures each.
    let t3 = &html[html.find("<table class=\"t3\">").unwrap()..];
    let t3 = &t3[..t3.find("</table>").unwrap()];
    assert_eq!(t3.matches("<tr>").count(), 3 + 2 + 22 + 1);
    assert!(html.contains(&format!("<p>{ANJU_SENTENCE}</p>")));
    assert!(html.contains("<p>本年度未收取信息处理费。</p>"));
}

#[test]
fn html_escapes_what_the_agency_typed() {
    let mut report = anju_report();
    report.agency = "某局<script>".into();
    let narrative = Narrative {
        section_one: "a & b".into(),
        ..Narrative::default()
    };
    let html = to_html(&report, &narrative);
    assert!(!html.contains("<script>"));
    assert!(html.contains("某局&lt;script&gt;"));
    assert!(html.contains("<p>a &amp; b</p>"));
}

#[test]
fn markdown_has_every_table() {
    let report = anju_report();
    let md = to_markdown(&report, &narrative_of(&report));
    assert!(md.starts_with("# 遂宁市安居区人民政府2024年政府信息公开工作年度报告\n"));
    for line in [
        "| 第二十条第（一）项 | 本年制发件数 | 本年废止件数 | 现行有效件数 |",
        "| 行政规范性文件 | 0 | 5 | 8 |",
        "| 行政事业性收费 | 6532.96 |",
        "| 申请人情况 | 自然人 | 法人或其他组织 |  |  |  |  | 总计 |",
        "|  |  | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 |  |",
        "| 一、本年新收政府信息公开申请数量 | 154 | 0 | 0 | 0 | 0 | 1 | 155 |",
        "| 2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 1 | 1 |",
        "| （七）总计 | 167 | 0 | 0 | 0 | 0 | 1 | 168 |",
        "| 四、结转下年度继续办理 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |",
        "| 8 | 1 | 1 | 0 | 10 | 5 | 0 | 2 | 0 | 7 | 0 | 0 | 0 | 0 | 0 |",
        BALANCE_NOTE,
        "## 六、其他需要报告的事项\n\n本年度未收取信息处理费。",
    ] {
        assert!(md.contains(line), "missing: {line}\n{md}");
    }
}

// ---------------------------------------------------------------------------------------------
// Summaries

#[test]
fn rollups_add_the_children() {
    let cases = fixture_cases();
    let (a, b) = cases.split_at(60);
    let ta = Tally::from_cases(2024, a);
    let tb = Tally::from_cases(2024, b);
    let ra =
        AnnualReport::from_tally("甲", 2024, &ta, Some(entered_active().figures), None).unwrap();
    let rb = AnnualReport::from_tally("乙", 2024, &tb, None, None).unwrap();
    let sum = AnnualReport::rollup(AGENCY, &[ra.clone(), rb.clone()]).unwrap();
    let whole = anju_report();
    assert_eq!(sum.applications, whole.applications);
    assert_eq!(sum.reviews_and_litigation, whole.reviews_and_litigation);
    assert_eq!(sum.fees_collected_yuan, whole.fees_collected_yuan);
    // A child without table 二 leaves the summary's table 二 blank: a failure, not an undercount.
    assert!(sum.checks.iter().all(|f| f.check == "missing_figure"));
    assert_eq!(sum.checks.len(), 10);

    let mut merged = ta.clone();
    merged.merge(&tb).unwrap();
    assert_eq!(merged, Tally::from_cases(2024, &cases));

    assert_eq!(
        merged.merge(&Tally::new(2023)),
        Err(ReportError::YearMismatch {
            expected: 2024,
            found: 2023
        })
    );
    assert_eq!(
        AnnualReport::rollup("x", &[]),
        Err(ReportError::EmptyRollup)
    );
    let mut other_year = rb.clone();
    other_year.year = 2023;
    assert!(AnnualReport::rollup("x", &[ra, other_year]).is_err());
    assert_eq!(
        AnnualReport::from_tally("x", 2023, &merged, None, None),
        Err(ReportError::YearMismatch {
            expected: 2023,
            found: 2024
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Properties

fn arb_case() -> impl Strategy<Value = ReportCase> {
    let date = |days: i64| d("2022-01-01") + chrono::Duration::days(days);
    (
        0..ApplicantType::ALL.len(),
        0i64..(4 * 366),
        proptest::option::weighted(0.8, (0..OutcomeCode::ALL.len(), 0i64..90)),
        proptest::option::weighted(0.2, 1i64..100_000),
        proptest::collection::vec(
            (
                0..ReviewKind::ALL.len(),
                0i64..400,
                0..ReviewResult::ALL.len(),
                proptest::option::of(0i64..400),
            ),
            0..3,
        ),
    )
        .prop_map(move |(t, received, reply, fee, reviews)| {
            let received_on = date(received);
            let reply = reply.map(|(o, after)| {
                (
                    OutcomeCode::ALL[o],
                    received_on + chrono::Duration::days(after),
                )
            });
            let replied = reply.map_or(received_on, |(_, on)| on);
            ReportCase {
                applicant_type: ApplicantType::ALL[t],
                received_on,
                reply,
                fee_collected_yuan: fee.map(|cents| Decimal::new(cents, 2)),
                reviews: reviews
                    .into_iter()
                    .map(|(k, filed, r, concluded)| {
                        let filed_on = replied + chrono::Duration::days(filed);
                        ReportReview {
                            kind: ReviewKind::ALL[k],
                            filed_on,
                            result: ReviewResult::ALL[r],
                            concluded_on: concluded.map(|c| filed_on + chrono::Duration::days(c)),
                        }
                    })
                    .collect(),
            }
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn computed_reports_pass_every_check(
        cases in proptest::collection::vec(arb_case(), 0..80),
        year in 2022i32..=2025,
    ) {
        let previous = AnnualReport::from_tally(
            "某局", year - 1, &Tally::from_cases(year - 1, &cases), None, None,
        ).unwrap();
        let tally = Tally::from_cases(year, &cases);
        let report = AnnualReport::from_tally(
            "某局", year, &tally, None, Some(&previous.applications.rows.carried_forward),
        ).unwrap();
        prop_assert!(previous.checks.is_empty(), "{:?}", previous.checks);
        prop_assert!(report.checks.is_empty(), "{:?}", report.checks);
        let fees = tally.tables().fees;
        let narrative = format!(
            "{}{}",
            draft_section_one_applications(&report),
            section_six_fees(fees.count, fees.total_yuan),
        );
        prop_assert_eq!(check(&report, Some(&previous), Some(&narrative)), vec![]);
        // The JSON form reads back the same.
        let text = serde_json::to_string(&report).unwrap();
        prop_assert_eq!(serde_json::from_str::<AnnualReport>(&text).unwrap(), report);
    }

    #[test]
    fn rollup_of_two_tallies_is_the_tally_of_the_union(
        a in proptest::collection::vec(arb_case(), 0..40),
        b in proptest::collection::vec(arb_case(), 0..40),
        year in 2022i32..=2025,
    ) {
        let ta = Tally::from_cases(year, &a);
        let tb = Tally::from_cases(year, &b);
        let union: Vec<ReportCase> = a.iter().chain(&b).cloned().collect();
        let tu = Tally::from_cases(year, &union);

        let mut merged = ta.clone();
        merged.merge(&tb).unwrap();
        prop_assert_eq!(&merged, &tu);

        let ra = AnnualReport::from_tally("甲", year, &ta, None, None).unwrap();
        let rb = AnnualReport::from_tally("乙", year, &tb, None, None).unwrap();
        let ru = AnnualReport::from_tally("汇总", year, &tu, None, None).unwrap();
        let sum = AnnualReport::rollup("汇总", &[ra, rb]).unwrap();
        prop_assert_eq!(sum, ru);
    }
}

#[test]
fn table_two_entry_refuses_negative_counts_unknown_fields_and_implausible_years() {
    let years = crate::limits::YearRange::default();
    let ok = r#"{"agency":"某区政府","year":2024,"rules":{"issued":1},"licensing_decisions":3,"fees_10k_yuan":"12.50"}"#;
    assert!(ActiveDisclosureEntry::parse(ok, years).is_ok());
    let negative = r#"{"agency":"某区政府","year":2024,"penalty_decisions":-5}"#;
    assert_eq!(
        ActiveDisclosureEntry::parse(negative, years)
            .unwrap_err()
            .field,
        "penalty_decisions"
    );
    let unknown = r#"{"agency":"某区政府","year":2024,"padding":"xxxxxxxx"}"#;
    assert_eq!(
        ActiveDisclosureEntry::parse(unknown, years)
            .unwrap_err()
            .field,
        "padding"
    );
    let fee = r#"{"agency":"某区政府","year":2024,"fees_10k_yuan":"-1.00"}"#;
    assert_eq!(
        ActiveDisclosureEntry::parse(fee, years).unwrap_err().field,
        "fees_10k_yuan"
    );
    for year in ["0", "-1", "100000"] {
        let text = format!(r#"{{"agency":"某区政府","year":{year}}}"#);
        assert_eq!(
            ActiveDisclosureEntry::parse(&text, years)
                .unwrap_err()
                .field,
            "year"
        );
    }
}
