//! The agency registry is where an agency's letters come from (issue 11, "Agencies are a
//! registry"): the document-number prefix and the reconsideration body registered with
//! `ogi admin agency add` are the ones the letters of that agency's cases bear — not the
//! publishing service's guess from the agency's name.

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, fixture, stderr, stdout};
use ogi_proto::v1 as pb;
use pb::intake_service_client::IntakeServiceClient;
use pb::publishing_service_client::PublishingServiceClient;

const ANJU: &str = "遂宁市安居区人民政府";

#[tokio::test(flavor = "multi_thread")]
async fn letters_bear_the_registered_prefix_and_reconsideration_body() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    // Neither is what the name would give (安府信公, 遂宁市人民政府).
    let out = system.ogi(&[
        "admin",
        "agency",
        "add",
        ANJU,
        "--letter-prefix",
        "安居府信公",
        "--reconsideration-body",
        "遂宁市司法局",
    ]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    // One closed case of the Anju history, replied (and served) under the registry.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let first = text.lines().next().unwrap();
    let path = system.dir.path().join("one.jsonl");
    std::fs::write(&path, format!("{first}\n")).unwrap();
    let out = system.ogi(&["import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    let mut intake = IntakeServiceClient::new(system.operator_channel("intake"));
    let case_id = intake
        .get_application(pb::GetApplicationRequest {
            agency: ANJU.into(),
            reference: "AJ2023-00001".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .case_id;
    let mut publishing = PublishingServiceClient::new(system.operator_channel("publishing"));
    let start = Instant::now();
    let letter = loop {
        match publishing
            .get_letter(pb::GetLetterRequest {
                case_id: case_id.clone(),
            })
            .await
        {
            Ok(letter) if !letter.get_ref().served_on.is_empty() => break letter.into_inner(),
            _ if start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("no served letter: {other:?}"),
        }
    };
    assert!(
        letter.document_number.starts_with("安居府信公〔2024〕"),
        "{}",
        letter.document_number
    );
    assert!(
        letter.text.contains("向遂宁市司法局申请行政复议"),
        "{}",
        letter.text
    );
    assert!(!letter.text.contains("向遂宁市人民政府申请行政复议"));
}
