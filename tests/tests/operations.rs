//! What an operator sees of the real services: `/livez` and `/readyz` on every admin port,
//! `/metrics` counting an import while it runs (events consumed, gRPC calls, cases by stage,
//! pending messages), and a service stopped with SIGTERM in the middle of the import draining
//! within its grace period, the import completing once it is back.

use std::time::{Duration, Instant};

use ogi_e2e::scrape::{http_get, metric, sample};
use ogi_e2e::{Backend, SERVICES, System, fixture};

fn scrape(system: &System, service: &str) -> String {
    let (status, text) = http_get(system.admin_port(service), "/metrics")
        .unwrap_or_else(|e| panic!("scrape {service}: {e}\n{}", system.logs()));
    assert_eq!(status, 200, "{text}");
    text
}

/// Poll `/readyz` of `service` until it answers 200.
fn wait_ready(system: &System, service: &str, deadline: Duration) {
    let start = Instant::now();
    loop {
        match http_get(system.admin_port(service), "/readyz") {
            Ok((200, _)) => return,
            other => assert!(
                start.elapsed() < deadline,
                "{service} not ready: {other:?}\n{}",
                system.logs()
            ),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_endpoints_through_an_import_and_a_drain() {
    let mut system = System::start_with_admin(Backend::Sqlite).await.unwrap();
    for service in SERVICES {
        let port = system.admin_port(service);
        assert_eq!(
            http_get(port, "/livez").unwrap(),
            (200, "ok\n".to_string()),
            "{service}"
        );
        wait_ready(&system, service, Duration::from_secs(10));
        let text = scrape(&system, service);
        assert_eq!(sample(&text, "ogi_up", &[]), Some(1.0), "{service}\n{text}");
        assert_eq!(
            sample(&text, "ogi_outbox_backlog", &[]),
            Some(0.0),
            "{service}\n{text}"
        );
        // Cases by stage only where there is a case-file table.
        let has_cases = text.contains("# TYPE ogi_cases gauge");
        assert_eq!(
            has_cases,
            !matches!(service, "intake" | "reporting" | "accounts"),
            "{service}\n{text}"
        );
    }
    let text = scrape(&system, "approval");
    for consumer in ["approval-validation", "approval-publishing"] {
        assert_eq!(
            sample(
                &text,
                "ogi_events_consumed_total",
                &[("consumer", consumer), ("result", "applied")]
            ),
            Some(0.0),
            "consumers are counted from their start\n{text}"
        );
        assert!(
            sample(&text, "ogi_consumer_pending", &[("consumer", consumer)]).is_some(),
            "{text}"
        );
    }

    // While the import runs, approval counts the events it applies and the calls it answers.
    let path = fixture();
    let import = system.ogi_spawn(&["import", path.to_str().unwrap()]);
    let start = Instant::now();
    let (applied, calls) = loop {
        let text = scrape(&system, "approval");
        let applied = sample(
            &text,
            "ogi_events_consumed_total",
            &[("consumer", "approval-validation"), ("result", "applied")],
        )
        .unwrap_or(0.0);
        let calls = metric(&text, "ogi_grpc_requests_total", |k, v| {
            k != "method" || v.starts_with("/ogi.v1.ApprovalService/")
        })
        .unwrap_or(0.0);
        if applied > 0.0 && calls > 0.0 {
            break (applied, calls);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "approval counted nothing\n{text}\n{}",
            system.logs()
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = scrape(&system, "approval");
    assert!(
        metric(&text, "ogi_grpc_request_duration_seconds_count", |k, v| {
            k != "method" || v.starts_with("/ogi.v1.ApprovalService/")
        })
        .unwrap_or(0.0)
            >= calls,
        "{text}"
    );
    assert!(
        sample(
            &text,
            "ogi_event_handling_duration_seconds_count",
            &[("consumer", "approval-validation")]
        )
        .unwrap_or(0.0)
            >= applied,
        "{text}"
    );

    // SIGTERM publishing in the middle: it drains within its grace period (20 s by default).
    let served_before = system
        .count_subject("OGI_PUBLISHING", "ogi.publishing.reply.served")
        .await
        .unwrap();
    let took = system.terminate("publishing").unwrap();
    assert!(
        took < Duration::from_secs(25),
        "publishing took {took:?} to exit\n{}",
        system.logs()
    );
    assert!(
        http_get(system.admin_port("publishing"), "/livez").is_err(),
        "the admin server stops with the service"
    );
    system.restart("publishing").unwrap();
    wait_ready(&system, "publishing", Duration::from_secs(30));

    // Whatever the first run could not finish, a second run resumes; nothing is applied twice.
    let served = system.finish_import(import, &path, 168).await;
    assert_eq!(served, 168, "every case served exactly once");

    // Once approval has taken every reply in, the gauges read on scrape settle: every case
    // closed, nothing pending, nothing left in the outbox.
    let start = Instant::now();
    loop {
        let text = scrape(&system, "approval");
        let closed = sample(&text, "ogi_cases", &[("stage", "closed")]);
        let pending = sample(
            &text,
            "ogi_consumer_pending",
            &[("consumer", "approval-publishing")],
        );
        let backlog = sample(&text, "ogi_outbox_backlog", &[]);
        if closed == Some(168.0) && pending == Some(0.0) && backlog == Some(0.0) {
            assert!(
                sample(
                    &text,
                    "ogi_events_consumed_total",
                    &[("consumer", "approval-publishing"), ("result", "applied")]
                )
                .unwrap_or(0.0)
                    > 0.0,
                "{text}"
            );
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "approval did not settle: closed {closed:?}, pending {pending:?}, backlog {backlog:?}\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if served_before < 168 {
        let text = scrape(&system, "publishing");
        assert!(
            sample(&text, "ogi_outbox_published_total", &[]).unwrap_or(0.0) > 0.0,
            "the restarted publishing published the rest ({served_before} before)\n{text}"
        );
    }
}
