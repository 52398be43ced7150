//! An event a consumer has no use for is not an error (issue 11, finding 9): importing history
//! made every consumer log each event it ignores at ERROR — 900 lines for 168 cases — which
//! hid the real errors. Consumers now take only the subjects they handle, an event they still
//! do not handle is counted as ignored and logged at DEBUG (services/platform/tests/bus.rs,
//! `an_ignored_event_is_acknowledged_counted_and_logged_at_debug_only`), and the services'
//! logs at the default level hold no ERROR line after a clean import.

use std::time::Duration;

use ogi_e2e::scrape::{metric, scrape, wait_settled};
use ogi_e2e::{Backend, SERVICES, System, fixture, stderr, stdout};

#[tokio::test(flavor = "multi_thread")]
async fn an_import_logs_no_error_for_the_events_consumers_ignore() {
    let system = System::start_with_admin(Backend::Sqlite).await.unwrap();
    // 40 cases of the Anju history: every kind of event, each consumer ignoring some.
    let text = std::fs::read_to_string(fixture()).unwrap();
    let lines: Vec<&str> = text.lines().take(40).collect();
    let path = system.dir.path().join("forty.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = system.ogi(&["import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));

    let services: Vec<(&str, u16)> = SERVICES
        .iter()
        .map(|name| (*name, system.admin_port(name)))
        .collect();
    wait_settled(&services, Duration::from_secs(60));

    // The import went through the pipeline (the test would prove nothing otherwise) ...
    let applied: f64 = services
        .iter()
        .filter_map(|(_, port)| {
            metric(&scrape(*port), "ogi_events_consumed_total", |k, v| {
                k != "result" || v == "applied"
            })
        })
        .sum();
    assert!(applied >= 40.0 * 4.0, "{applied} events applied");
    let ignored: f64 = services
        .iter()
        .filter_map(|(_, port)| {
            metric(&scrape(*port), "ogi_events_consumed_total", |k, v| {
                k != "result" || v == "ignored"
            })
        })
        .sum();
    // ... and nothing of a clean import — an event a consumer ignores least of all — is an
    // ERROR.
    let logs = system.logs();
    let errors: Vec<&str> = logs.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(
        errors.is_empty(),
        "{} ERROR lines after a clean import ({ignored} events ignored):\n{}",
        errors.len(),
        errors
            .iter()
            .take(20)
            .copied()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        !logs.contains("event ignored"),
        "ignored events are logged at DEBUG only"
    );
}
