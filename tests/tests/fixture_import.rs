//! The Anju 2024 fixture through the real services: imported twice → 168 cases, every one closed
//! with its recorded outcome; export gives the records back; export → import → export is stable.

use std::collections::BTreeMap;
use std::time::Duration;

use ogi_core::records::{self, CaseRecord};
use ogi_e2e::{Backend, System, fixture, stderr, stdout, write};

fn by_ref(text: &str) -> BTreeMap<String, CaseRecord> {
    let parsed = records::parse_jsonl(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed
        .records
        .into_iter()
        .map(|(_, r)| (r.reference.clone(), normalise(r)))
        .collect()
}

/// Same-day history entries may come back in the procedure's order; compare as sorted lists.
fn normalise(mut r: CaseRecord) -> CaseRecord {
    for h in &mut r.history {
        if let records::HistoryEvent::FeeNotified { amount_yuan } = &mut h.event {
            *amount_yuan =
                ogi_core::fees::format_yuan(ogi_core::fees::parse_yuan(amount_yuan).unwrap());
        }
    }
    r.history.sort_by_key(|h| serde_json::to_string(h).unwrap());
    r
}

async fn import_twice_and_export(backend: Backend) {
    let system = System::start(backend).await.unwrap();
    let path = fixture();
    let out = system.ogi(&["import", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}\n{}\n{}",
        stdout(&out),
        stderr(&out),
        system.logs()
    );
    assert!(stdout(&out).contains("新导入168条"), "{}", stdout(&out));
    let out = system.ogi(&["import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("新导入0条，已存在未改变168条"),
        "{}",
        stdout(&out)
    );

    let exported = system.ogi(&["export"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let expected = by_ref(&std::fs::read_to_string(&path).unwrap());
    let got = by_ref(&stdout(&exported));
    assert_eq!(got.len(), 168);
    for (reference, record) in &expected {
        assert_eq!(got.get(reference), Some(record), "{reference}");
    }
    // One reply served per case, none twice.
    assert_eq!(
        system
            .wait_for_count(
                "OGI_PUBLISHING",
                "ogi.publishing.reply.served",
                168,
                Duration::from_secs(30)
            )
            .await,
        168
    );

    // Export → import into an empty system → export gives the same lines.
    drop(system);
    let other = System::start(backend).await.unwrap();
    let file = write(other.dir.path(), "export.jsonl", &stdout(&exported));
    let out = other.ogi(&["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    let again = other.ogi(&["export"]);
    assert_eq!(stdout(&again), stdout(&exported));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fixture_imports_twice_on_sqlite() {
    import_twice_and_export(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fixture_imports_twice_on_postgres() {
    import_twice_and_export(Backend::Postgres).await;
}

/// An import interrupted after a case was closed but before its reviews were recorded: the
/// next import of the file records them (a closed case is not skipped as a whole), once.
#[tokio::test(flavor = "multi_thread")]
async fn a_closed_case_gets_the_reviews_an_interrupted_import_left_out() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let fixture = records::parse_jsonl(&std::fs::read_to_string(fixture()).unwrap());
    let (_, full) = fixture
        .records
        .iter()
        .find(|(_, r)| !r.reviews.is_empty())
        .expect("a fixture case with a review")
        .clone();
    let mut interrupted = full.clone();
    interrupted.reviews.clear();
    for (name, record) in [("first.jsonl", &interrupted), ("again.jsonl", &full)] {
        let file = write(system.dir.path(), name, &records::to_jsonl_line(record));
        let out = system.ogi(&["import", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stdout(&out));
    }
    let reviews = full.reviews.len() as u64;
    assert_eq!(
        system
            .wait_for_count(
                "OGI_APPROVAL",
                "ogi.approval.review.recorded",
                reviews,
                Duration::from_secs(30)
            )
            .await,
        reviews
    );
    let exported = records::parse_jsonl(&stdout(&system.ogi(&["export"])));
    assert_eq!(exported.records.len(), 1);
    assert_eq!(exported.records[0].1.reviews, full.reviews);
}
