//! Nobody acts without signing in (issue 8): every RPC refuses a call without a token, a user of
//! another agency can neither read, export nor log anything of the Anju government, each
//! refusal is in the audit trail as `denied`, and a hand-edited audit entry is found.

use std::path::Path;
use std::time::Duration;

use ogi_e2e::{Backend, System, every_rpc, fixture, stderr, stdout};
use ogi_platform::auth::is_public;
use ogi_platform::auth::token::TokenError;

const ANJU: &str = "遂宁市安居区人民政府";
const CHUANSHAN: &str = "遂宁市船山区人民政府";

/// A unary call with an empty message (every request decodes from it) and no credentials.
async fn call_without_token(port: u16, path: &str) -> tonic::Status {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    match grpc
        .unary(tonic::Request::new(()), path.parse().unwrap(), codec)
        .await
    {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_refuses_a_call_without_a_token() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let rpcs = every_rpc();
    assert!(rpcs.len() > 30, "{rpcs:?}");
    let mut public = Vec::new();
    for (service, path) in &rpcs {
        let status = call_without_token(system.port_of(service), path).await;
        if is_public(path) {
            // It carries its own proof (a password, a session secret, tokens inside the
            // entries) or publishes public keys: never refused for lack of a token.
            assert_ne!(
                status.message(),
                TokenError::Missing.to_string(),
                "{path}: {status:?}"
            );
            public.push(path.clone());
        } else {
            assert_eq!(
                status.code(),
                tonic::Code::Unauthenticated,
                "{path}: {status:?}"
            );
            assert_eq!(
                status.message(),
                TokenError::Missing.to_string(),
                "{path}: {status:?}"
            );
        }
    }
    // Only the accounts service's sign-in, key and audit intake calls go without a token.
    assert!(
        public
            .iter()
            .all(|p| p.starts_with("/ogi.v1.AccountsService/")),
        "{public:?}"
    );
    assert_eq!(
        public.len(),
        ogi_platform::auth::PUBLIC_METHODS.len(),
        "{public:?}"
    );
}

fn ok(out: &std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        stdout(out),
        stderr(out)
    );
    stdout(out)
}

fn add_and_sign_in(
    system: &System,
    username: &str,
    agency: &str,
    role: &str,
) -> std::path::PathBuf {
    system.add_user_signed_in(username, agency, &[role])
}

/// The audit entries of `actor` once `want` of them are there.
fn audit_of(system: &System, auditor: &Path, actor: &str, want: usize) -> Vec<serde_json::Value> {
    system.audit_until(
        auditor,
        &["--actor", actor],
        Duration::from_secs(20),
        |entries| entries.len() >= want,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn another_agencys_handler_is_refused_everything_of_anju_and_the_audit_trail_shows_it() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let imported = system.ogi(&["import", fixture().to_str().unwrap()]);
    let summary = ok(&imported, "import");
    assert!(
        summary.contains(&format!("新登记行政机关：{ANJU}")),
        "{summary}"
    );

    // A raw call with no credentials.
    let status = call_without_token(
        system.port_of("IntakeService"),
        "/ogi.v1.IntakeService/SubmitApplication",
    )
    .await;
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");

    // No credential at all: a clear message.
    let empty = tempfile::tempdir().unwrap();
    let out = system.ogi_in(
        empty.path(),
        &["report", "--agency", ANJU, "--year", "2024"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("尚未登录"), "{}", stderr(&out));

    // A handler of another agency.
    ok(
        &system.ogi(&[
            "admin",
            "agency",
            "add",
            CHUANSHAN,
            "--letter-prefix",
            "船府信公",
        ]),
        "agency add",
    );
    let handler = add_and_sign_in(&system, "cs-handler", CHUANSHAN, "handler");
    let whoami = ok(&system.ogi_in(&handler, &["whoami"]), "whoami");
    assert!(
        whoami.contains(CHUANSHAN) && whoami.contains("承办人"),
        "{whoami}"
    );

    let before = ok(
        &system.ogi(&["export", "--agency", ANJU]),
        "operator export",
    );
    let cases = before.lines().count();
    assert_eq!(cases, 168);

    let report = system.ogi_in(&handler, &["report", "--agency", ANJU, "--year", "2024"]);
    assert!(!report.status.success());
    assert!(
        stderr(&report).contains("查阅年度报告"),
        "{}",
        stderr(&report)
    );

    let export = system.ogi_in(&handler, &["export", "--agency", ANJU]);
    assert!(!export.status.success());
    assert!(
        stderr(&export).contains("无权访问该机关的案件"),
        "{}",
        stderr(&export)
    );
    let export_all = system.ogi_in(&handler, &["export"]);
    assert_eq!(ok(&export_all, "export in scope").lines().count(), 0);

    let submit = system.ogi_in(
        &handler,
        &[
            "submit",
            "--agency",
            ANJU,
            "--channel",
            "online",
            "--received-on",
            "2026-03-02",
            "--name",
            "王建华",
            "--id-number",
            "510904198507120038",
            "--phone",
            "13800000017",
            "--description",
            "申请公开安居区老旧小区改造资金使用明细",
        ],
    );
    assert!(!submit.status.success());
    assert!(
        stderr(&submit).contains("无权访问该机关的案件"),
        "{}",
        stderr(&submit)
    );
    let after = ok(
        &system.ogi(&["export", "--agency", ANJU]),
        "operator export",
    );
    assert_eq!(after.lines().count(), cases, "nothing stored");

    // The operator sees full numbers; the handler's own agency has none to show.
    assert!(after.contains("510904") || after.contains("\"id_number\""));

    // The auditor sees each refusal.
    let auditor = add_and_sign_in(&system, "cs-auditor", CHUANSHAN, "auditor");
    let entries = audit_of(&system, &auditor, "cs-handler", 5);
    let denied: Vec<&str> = entries
        .iter()
        .filter(|e| e["result"] == "denied")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["report.read", "case.read", "case.submit"] {
        assert!(
            denied.contains(&action),
            "{action} not denied in {entries:#?}"
        );
    }
    for e in &entries {
        assert_eq!(e["actor"], "cs-handler");
        assert_eq!(e["agency"], CHUANSHAN);
        for field in ["at", "action", "case", "result", "source"] {
            assert!(e.get(field).is_some(), "{field} missing: {e}");
        }
    }
    let handler_cannot_read = system.ogi_in(&handler, &["audit", "list"]);
    assert!(!handler_cannot_read.status.success());

    let verified = ok(&system.ogi_in(&auditor, &["audit", "verify"]), "verify");
    assert!(verified.contains("审计日志完整"), "{verified}");

    // Hand-edit one entry in the accounts database: verify finds it.
    let url = &system.services[0].database_url;
    let db = sea_orm::Database::connect(url.as_str()).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "UPDATE audit_log SET result = 'allowed' WHERE seq = \
         (SELECT MIN(seq) FROM audit_log WHERE actor = 'cs-handler' AND result = 'denied')",
    )
    .await
    .unwrap();
    let broken = system.ogi_in(&auditor, &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1), "{}", stdout(&broken));
    assert!(stdout(&broken).contains("被修改"), "{}", stdout(&broken));
}
