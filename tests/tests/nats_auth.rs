//! NATS with authentication (issue 8, deployment): a nats-server running the `authorization`
//! block of deploy/nats/values.yaml, every service signed in as its own user. The whole system
//! works so (the fixture goes from intake to the report), a wrong password is refused, and a
//! service's user cannot publish another service's events.

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, SERVICES, System, fixture, stderr, stdout};
use ogi_testkit::{NatsServer, workspace_root};

const ANJU: &str = "遂宁市安居区人民政府";

/// The `authorization` block of the NATS Helm values (written as JSON there), each
/// `<< $OGI_NATS_<USER> >>` replaced by the password `pw-<user>`.
fn authorization() -> serde_json::Value {
    let values = std::fs::read_to_string(workspace_root().join("deploy/nats/values.yaml")).unwrap();
    let start = values
        .find("authorization: {")
        .expect("an authorization block")
        + 15;
    let mut depth = 0;
    let mut end = start;
    for (i, c) in values[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = start + i + 1;
                    break;
                }
            }
            _ => {}
        }
    }
    let mut block: serde_json::Value = serde_json::from_str(&values[start..end]).unwrap();
    for user in block["users"].as_array_mut().unwrap() {
        let name = user["user"].as_str().unwrap().to_string();
        assert_eq!(
            user["password"],
            format!("<< $OGI_NATS_{} >>", name.to_uppercase()),
            "{user}"
        );
        user["password"] = format!("pw-{name}").into();
    }
    block
}

fn url(server: &NatsServer, user: &str, password: &str) -> String {
    format!("nats://{user}:{password}@127.0.0.1:{}", server.port)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_service_signs_in_to_nats_as_itself_and_publishes_only_its_own_events() {
    let block = authorization();
    let server = NatsServer::start_with_config(&format!("authorization: {block}\n")).unwrap();

    // A wrong password and no password are refused.
    let refused =
        async_nats::ConnectOptions::with_user_and_password("intake".into(), "wrong".into())
            .connect(server.url.as_str())
            .await;
    assert!(refused.is_err(), "a wrong password was let in");
    assert!(
        async_nats::connect(server.url.as_str()).await.is_err(),
        "no password was let in"
    );

    // A service's user cannot publish another service's events.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let intake =
        async_nats::ConnectOptions::with_user_and_password("intake".into(), "pw-intake".into())
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(event.to_string());
                }
            })
            .connect(server.url.as_str())
            .await
            .unwrap();
    intake
        .publish("ogi.validation.application.accepted", "forged".into())
        .await
        .unwrap();
    intake.flush().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let violation = loop {
        let event = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        if event.contains("Permissions Violation") || Instant::now() > deadline {
            break event;
        }
    };
    assert!(
        violation.contains("Permissions Violation")
            && violation.contains("ogi.validation.application.accepted"),
        "{violation:?}"
    );

    // The whole system, each service with its own user (SERVICES order).
    let urls: Vec<String> = SERVICES
        .iter()
        .map(|s| url(&server, s, &format!("pw-{s}")))
        .collect();
    let system = System::start_on(Backend::Sqlite, urls.join(","), None)
        .await
        .unwrap();
    let out = system.ogi(&["import", fixture().to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        system
            .wait_for_count(
                "OGI_PUBLISHING",
                "ogi.publishing.reply.served",
                168,
                Duration::from_secs(60)
            )
            .await,
        168,
        "{}",
        system.logs()
    );
    let report = system.ogi(&["report", "--agency", ANJU, "--year", "2024"]);
    assert!(report.status.success(), "{}", stderr(&report));
    let log = std::fs::read_to_string(server.log_path()).unwrap();
    assert!(
        !log.contains("Permissions Violation for Publish to \"ogi."),
        "{log}"
    );
    assert!(!log.contains("Authorization Violation"), "{log}");
}
