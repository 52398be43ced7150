//! A service killed with SIGKILL in the middle of an import and started again: every case
//! completes and none is applied twice — counted on the event streams, not just the final state.

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, fixture, stdout};

async fn kill_in_the_middle(backend: Backend, victim: &str) {
    let mut system = System::start(backend).await.unwrap();
    let path = fixture();
    let import = system.ogi_spawn(&["import", path.to_str().unwrap()]);
    // Wait until the import is well under way.
    let start = Instant::now();
    while system
        .count_subject("OGI_INTAKE", "ogi.intake.application.received")
        .await
        .unwrap()
        < 40
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "import did not start\n{}",
            system.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    system.kill(victim);
    system.restart(victim).unwrap();
    // Whatever the first run could not finish, a second run resumes; nothing is applied twice.
    let served = system.finish_import(import, &path, 168).await;
    assert_eq!(served, 168, "every case served exactly once");
    for (stream, subject) in [
        ("OGI_INTAKE", "ogi.intake.application.received"),
        ("OGI_VALIDATION", "ogi.validation.application.accepted"),
        ("OGI_APPROVAL", "ogi.approval.decision.approved"),
        ("OGI_APPROVAL", "ogi.approval.review.recorded"),
    ] {
        let expected = if subject.ends_with("review.recorded") {
            17
        } else {
            168
        };
        // A command's event is published by its service's outbox relay after the command
        // returns, so the last ones may still be on their way: wait for them, then insist on
        // the exact number (a doubled event would show as more).
        let n = system
            .wait_for_count(stream, subject, expected, Duration::from_secs(30))
            .await;
        assert_eq!(n, expected, "{subject}");
    }
    // Every case is closed with its recorded outcome.
    let exported = system.ogi(&["export"]);
    let parsed = ogi_core::records::parse_jsonl(&stdout(&exported));
    assert_eq!(parsed.records.len(), 168);
    let fixture = ogi_core::records::parse_jsonl(&std::fs::read_to_string(&path).unwrap());
    for (_, expected) in &fixture.records {
        let got = parsed
            .records
            .iter()
            .find(|(_, r)| r.reference == expected.reference)
            .map(|(_, r)| r)
            .unwrap();
        assert_eq!(got.outcome, expected.outcome, "{}", expected.reference);
        assert_eq!(got.reviews, expected.reviews, "{}", expected.reference);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_killed_during_an_import_on_postgres() {
    kill_in_the_middle(Backend::Postgres, "approval").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn validation_killed_during_an_import_on_sqlite() {
    kill_in_the_middle(Backend::Sqlite, "validation").await;
}
