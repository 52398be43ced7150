//! Every one of the 21 outcome codes reached through the services, with corrections,
//! consultations, an extension and fees on the way.

use std::time::Duration;

use ogi_core::codes::OutcomeCode;
use ogi_e2e::{Backend, System, stdout, write};

fn record(i: usize, code: OutcomeCode) -> String {
    let history = match code {
        OutcomeCode::OtherCorrectionOverdue => r#"[{"on": "2025-03-05", "event": "correction_requested", "due_on": "2025-03-26"}]"#.to_string(),
        OutcomeCode::UnavailableUnclearAfterCorrection => r#"[{"on": "2025-03-05", "event": "correction_requested", "due_on": "2025-03-26"}, {"on": "2025-03-10", "event": "corrected"}]"#.to_string(),
        OutcomeCode::OtherFeeOverdue => r#"[{"on": "2025-03-06", "event": "fee_notified", "amount_yuan": "300.00"}]"#.to_string(),
        OutcomeCode::WithheldThirdPartyRights | OutcomeCode::PartiallyDisclosed => r#"[{"on": "2025-03-05", "event": "correction_requested", "due_on": "2025-03-26"}, {"on": "2025-03-07", "event": "corrected"}, {"on": "2025-03-10", "event": "third_party_consulted"}, {"on": "2025-03-20", "event": "third_party_replied"}, {"on": "2025-03-21", "event": "extended", "days": 20}]"#.to_string(),
        OutcomeCode::Disclosed => r#"[{"on": "2025-03-05", "event": "other_agency_consulted"}, {"on": "2025-03-12", "event": "other_agency_replied"}, {"on": "2025-03-13", "event": "fee_notified", "amount_yuan": "1200.00"}, {"on": "2025-03-14", "event": "fee_paid"}]"#.to_string(),
        _ => "[]".to_string(),
    };
    let replied = if code == OutcomeCode::OtherCorrectionOverdue {
        "2025-04-10"
    } else {
        "2025-04-02"
    };
    format!(
        r#"{{"ref": "OUT-{i:02}", "agency": "测试区人民政府", "received_on": "2025-03-03", "channel": "online", "applicant": {{"type": "natural_person", "name": "申请人{i}", "id_type": "resident_id_card", "id_number": "510904198507120038", "phone": "13800000017", "address": null, "email": null}}, "request": {{"description": "申请公开测试事项{i}的相关文件", "form": "electronic", "delivery": "email"}}, "history": {history}, "outcome": {{"code": "{}", "replied_on": "{replied}"}}, "reviews": []}}"#,
        code.code()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn all_21_outcomes_through_the_services() {
    let system = System::start(Backend::Postgres).await.unwrap();
    let text: Vec<String> = OutcomeCode::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| record(i, *c))
        .collect();
    let file = write(system.dir.path(), "outcomes.jsonl", &text.join("\n"));
    let out = system.ogi(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}\n{}", stdout(&out), system.logs());
    let exported = ogi_core::records::parse_jsonl(&stdout(&system.ogi(&["export"])));
    assert_eq!(exported.records.len(), 21);
    for (i, code) in OutcomeCode::ALL.iter().enumerate() {
        let r = exported
            .records
            .iter()
            .map(|(_, r)| r)
            .find(|r| r.reference == format!("OUT-{i:02}"))
            .unwrap();
        assert_eq!(r.outcome.as_ref().map(|o| o.code), Some(*code));
    }
    assert_eq!(
        system
            .wait_for_count(
                "OGI_PUBLISHING",
                "ogi.publishing.reply.served",
                21,
                Duration::from_secs(30)
            )
            .await,
        21
    );
}
