//! Sign-in end to end (issue 8), on the real binaries: five wrong passwords lock an account,
//! an expired token is refused and the CLI asks to sign in again, a disabled user or changed
//! roles are refused everywhere within the revocation interval, a key rotation cuts nobody
//! off, the security administrator's policy takes effect at the next sign-in, and an audit
//! entry survives the service that made it being killed.

use std::path::Path;
use std::time::{Duration, Instant};

use ogi_e2e::{Backend, CHANGED_PASSWORD, System, stderr, stdout};
use ogi_platform::auth::token::{self, TokenError};

const ANJU: &str = "遂宁市安居区人民政府";
const CHUANSHAN: &str = "遂宁市船山区人民政府";

/// A call to `path` on `port` with an empty message and `token` (none when empty): the
/// status (OK when it succeeded).
async fn call_with_token(port: u16, path: &str, token: &str) -> tonic::Status {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let mut request = tonic::Request::new(());
    if !token.is_empty() {
        request
            .metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
    }
    match grpc.unary(request, path.parse().unwrap(), codec).await {
        Ok(_) => tonic::Status::ok(""),
        Err(status) => status,
    }
}

/// One token-checked read of each service.
const READS: [(&str, &str); 6] = [
    ("accounts", "/ogi.v1.AccountsService/WhoAmI"),
    ("intake", "/ogi.v1.IntakeService/ListApplications"),
    ("validation", "/ogi.v1.ValidationService/GetFindings"),
    ("approval", "/ogi.v1.ApprovalService/ListCases"),
    ("publishing", "/ogi.v1.PublishingService/ListCatalogue"),
    ("reporting", "/ogi.v1.ReportingService/GetAnnualReport"),
];

fn port(system: &System, name: &str) -> u16 {
    system
        .services
        .iter()
        .find(|s| s.name == name)
        .unwrap()
        .port
}

/// The statuses of [`READS`] with `token`, by service.
async fn reads_with(system: &System, token: &str) -> Vec<(&'static str, tonic::Status)> {
    let mut out = Vec::new();
    for (name, path) in READS {
        out.push((name, call_with_token(port(system, name), path, token).await));
    }
    out
}

/// The access token of the credential under `config_dir`.
fn token_in(config_dir: &Path) -> String {
    let text = std::fs::read_to_string(config_dir.join("credentials.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["access_token"].as_str().unwrap().to_string()
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

fn login(system: &System, dir: &Path, username: &str, password: &str) -> std::process::Output {
    system.ogi_with_stdin(
        dir,
        &["login", "--username", username, "--password-stdin"],
        &format!("{password}\n"),
    )
}

/// Poll `f` every 100 ms until it returns `Some`, at most `deadline`.
async fn poll<T, F, Fut>(deadline: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            start.elapsed() < deadline,
            "{what}: not within {deadline:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn five_wrong_passwords_lock_the_account_and_the_security_policy_changes_the_rules() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency(CHUANSHAN);
    let clerk = system.add_user_signed_in("cs-clerk", CHUANSHAN, &["registrar"]);

    for attempt in 1..=5 {
        let out = login(&system, &clerk, "cs-clerk", "Wrong-Pass-2025!");
        assert!(!out.status.success());
        let message = stderr(&out);
        if attempt < 5 {
            assert!(message.contains("用户名或密码错误"), "{message}");
            assert!(!message.contains("锁定"), "{attempt}: {message}");
        } else {
            assert!(
                message.contains("锁定10分钟"),
                "the fifth failure locks: {message}"
            );
        }
    }
    let locked = login(&system, &clerk, "cs-clerk", CHANGED_PASSWORD);
    assert!(!locked.status.success(), "the right password while locked");
    assert!(stderr(&locked).contains("已锁定至"), "{}", stderr(&locked));
    let users = ok(
        &system.ogi(&["admin", "user", "list", "--format", "json"]),
        "user list",
    );
    let users: Vec<serde_json::Value> = serde_json::from_str(&users).unwrap();
    let clerk_row = users.iter().find(|u| u["username"] == "cs-clerk").unwrap();
    assert_ne!(clerk_row["locked_until"], "", "{clerk_row}");

    // The security administrator changes the rules; the system administrator may not.
    let sec = system.add_user_signed_in("cs-sec", CHUANSHAN, &["secadmin"]);
    let sys = system.add_user_signed_in("cs-sys", CHUANSHAN, &["sysadmin"]);
    let refused = system.ogi_in(
        &sys,
        &["admin", "policy", "set", "--lockout-threshold", "3"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("policy.update"),
        "{}",
        stderr(&refused)
    );
    let refused = system.ogi_in(&sys, &["admin", "policy", "show"]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    let out = ok(
        &system.ogi_in(&sec, &["admin", "policy", "show", "--format", "json"]),
        "policy show",
    );
    let defaults: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(defaults["lockout_threshold"], 5);
    assert_eq!(defaults["password_min_length"], 10);
    assert_eq!(defaults["idle_minutes"], 30);
    let bad = system.ogi_in(
        &sec,
        &["admin", "policy", "set", "--lockout-threshold", "0"],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("3至10"), "{}", stderr(&bad));
    let set = ok(
        &system.ogi_in(
            &sec,
            &[
                "admin",
                "policy",
                "set",
                "--min-length",
                "17",
                "--lockout-threshold",
                "3",
                "--lockout-minutes",
                "2",
                "--idle-minutes",
                "15",
            ],
        ),
        "policy set",
    );
    assert!(set.contains("连续3次失败锁定2分钟"), "{set}");
    assert!(set.contains("15分钟"), "{set}");

    // At the next sign-in: three failures lock, for two minutes.
    let handler = system.add_user_signed_in("cs-handler", CHUANSHAN, &["handler"]);
    for attempt in 1..=3 {
        let out = login(&system, &handler, "cs-handler", "Wrong-Pass-2025!");
        assert!(!out.status.success());
        assert_eq!(
            stderr(&out).contains("锁定2分钟"),
            attempt == 3,
            "{attempt}: {}",
            stderr(&out)
        );
    }
    let locked = login(&system, &handler, "cs-handler", CHANGED_PASSWORD);
    assert!(stderr(&locked).contains("已锁定至"), "{}", stderr(&locked));
    // And a new password needs 17 characters now.
    let out = system.ogi_with_stdin(
        &system.operator_config_dir(),
        &[
            "admin",
            "user",
            "add",
            "--username",
            "cs-viewer",
            "--agency",
            CHUANSHAN,
            "--role",
            "viewer",
            "--password-stdin",
        ],
        "Sixteen-Chars-16\n",
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("密码至少17个字符，实际16个"),
        "{}",
        stderr(&out)
    );

    // Every failure, the lock, and both policy changes are in the audit trail.
    let auditor = system.add_user_signed_in("cs-auditor", CHUANSHAN, &["auditor"]);
    let entries = system.audit_until(
        &auditor,
        &["--actor", "cs-clerk"],
        Duration::from_secs(20),
        |e| {
            e.iter()
                .filter(|e| e["action"] == "session.login_failed")
                .count()
                >= 6
        },
    );
    let failed: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "session.login_failed")
        .collect();
    assert_eq!(failed.len(), 6, "{entries:#?}");
    assert!(failed.iter().all(|e| e["result"] == "denied"));
    assert!(failed[5]["reason"].as_str().unwrap().contains("已锁定至"));
    let sys_entries = system.audit_until(
        &auditor,
        &["--actor", "cs-sys"],
        Duration::from_secs(20),
        |e| e.iter().any(|e| e["action"] == "policy.update"),
    );
    assert!(
        sys_entries
            .iter()
            .any(|e| e["action"] == "policy.update" && e["result"] == "denied"),
        "{sys_entries:#?}"
    );
    let sec_entries = system.audit_until(
        &auditor,
        &["--actor", "cs-sec"],
        Duration::from_secs(20),
        |e| {
            e.iter()
                .any(|e| e["action"] == "policy.update" && e["result"] == "allowed")
        },
    );
    assert!(
        sec_entries
            .iter()
            .any(|e| e["action"] == "policy.update" && e["result"] == "allowed"),
        "{sec_entries:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_is_refused_and_the_cli_asks_to_sign_in_again() {
    let system = System::start_with_config(
        Backend::Sqlite,
        "[auth]\ntoken_lifetime_secs = 2\nsession_lifetime_secs = 8\n",
    )
    .await
    .unwrap();
    let dir = system.dir.path().join("config-expiry");
    ok(
        &login(&system, &dir, "operator", &system.operator_password),
        "login",
    );
    let token = token_in(&dir);

    let statuses = poll(Duration::from_secs(20), "token expiry", || async {
        let statuses = reads_with(&system, &token).await;
        statuses
            .iter()
            .all(|(_, s)| s.code() == tonic::Code::Unauthenticated)
            .then_some(statuses)
    })
    .await;
    for (service, status) in &statuses {
        assert_eq!(
            status.message(),
            TokenError::Expired.to_string(),
            "{service}: {status:?}"
        );
        assert!(status.message().contains("请重新运行 ogi login"));
    }

    // While the session lasts, the CLI refreshes its token by itself…
    ok(
        &login(&system, &dir, "operator", &system.operator_password),
        "login",
    );
    ok(
        &system.ogi_in(&dir, &["whoami"]),
        "whoami right after sign-in",
    );
    // …and once the session is over too, it asks to sign in again.
    let message = poll(Duration::from_secs(30), "session end", || async {
        let out = system.ogi_in(&dir, &["whoami"]);
        (!out.status.success()).then(|| stderr(&out))
    })
    .await;
    assert!(message.contains("请重新运行 ogi login"), "{message}");

    // The refused calls are audited as denied, under the token's user.
    system.sign_in_operator().unwrap();
    let entries = poll(
        Duration::from_secs(20),
        "audit of expired calls",
        || async {
            system.sign_in_operator().unwrap();
            let out = system.ogi(&["audit", "list", "--actor", "operator", "--format", "json"]);
            let entries: Vec<serde_json::Value> = serde_json::from_str(&stdout(&out)).ok()?;
            let refused: Vec<serde_json::Value> = entries
                .into_iter()
                .filter(|e| e["action"] == ogi_platform::auth::UNAUTHENTICATED_ACTION)
                .collect();
            (refused.len() >= READS.len()).then_some(refused)
        },
    )
    .await;
    for e in &entries {
        assert_eq!(e["result"], "denied");
        assert_eq!(e["source"], "127.0.0.1");
        assert!(e["reason"].as_str().unwrap().contains("登录已过期"), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_users_changed_roles_and_rotated_keys_take_effect_everywhere_in_time() {
    let system =
        System::start_with_config(Backend::Sqlite, "[auth]\nrevocation_refresh_secs = 1\n")
            .await
            .unwrap();
    system.register_agency(CHUANSHAN);
    system.register_agency(ANJU);

    // A disabled user is refused by every service within the interval.
    let handler = system.add_user_signed_in("cs-handler", CHUANSHAN, &["handler"]);
    let token = token_in(&handler);
    for (service, status) in reads_with(&system, &token).await {
        assert_ne!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{service}: {status:?}"
        );
    }
    ok(
        &system.ogi(&["admin", "user", "disable", "cs-handler"]),
        "disable",
    );
    let disabled_at = Instant::now();
    let statuses = poll(Duration::from_secs(20), "disabled user refused", || async {
        let statuses = reads_with(&system, &token).await;
        statuses
            .iter()
            .all(|(_, s)| s.code() == tonic::Code::Unauthenticated)
            .then_some(statuses)
    })
    .await;
    let took = disabled_at.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "refused everywhere after {took:?}"
    );
    for (service, status) in &statuses {
        assert_eq!(
            status.message(),
            TokenError::Revoked.to_string(),
            "{service}"
        );
    }
    let out = system.ogi_in(&handler, &["export"]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("请重新运行 ogi login"),
        "{}",
        stderr(&out)
    );
    let out = login(&system, &handler, "cs-handler", CHANGED_PASSWORD);
    assert!(stderr(&out).contains("账户已停用"), "{}", stderr(&out));

    // A role change: the report of the own agency is refused to a handler, open to the
    // office once it signs in again.
    let office = system.add_user_signed_in("cs-office", CHUANSHAN, &["handler"]);
    let refused = system.ogi_in(
        &office,
        &["report", "--agency", CHUANSHAN, "--year", "2024"],
    );
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("report.read"),
        "{}",
        stderr(&refused)
    );
    ok(
        &system.ogi(&["admin", "user", "grant", "cs-office", "--role", "office"]),
        "grant",
    );
    let message = poll(Duration::from_secs(20), "old session ended", || async {
        let out = system.ogi_in(&office, &["export"]);
        (!out.status.success()).then(|| stderr(&out))
    })
    .await;
    assert!(message.contains("角色变更"), "{message}");
    ok(
        &login(&system, &office, "cs-office", CHANGED_PASSWORD),
        "login again",
    );
    ok(
        &system.ogi_in(
            &office,
            &["report", "--agency", CHUANSHAN, "--year", "2024"],
        ),
        "the office reads its report",
    );
    let refused = system.ogi_in(&office, &["report", "--agency", ANJU, "--year", "2024"]);
    assert!(!refused.status.success(), "another agency's report");

    // Key rotation: tokens of the old key keep working, new ones are signed by the new key,
    // and every service takes them.
    let sec = system.add_user_signed_in("cs-sec", CHUANSHAN, &["secadmin"]);
    let old_token = token_in(&office);
    let old_kid = token::key_id(&old_token).unwrap();
    let sys = system.add_user_signed_in("cs-sys", CHUANSHAN, &["sysadmin"]);
    let refused = system.ogi_in(&sys, &["admin", "key", "rotate"]);
    assert!(
        !refused.status.success(),
        "only the security administrator rotates"
    );
    let rotated = ok(&system.ogi_in(&sec, &["admin", "key", "rotate"]), "rotate");
    assert!(rotated.contains("现用"), "{rotated}");
    for (service, status) in reads_with(&system, &old_token).await {
        assert_ne!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{service}: {status:?}"
        );
    }
    let viewer = system.add_user_signed_in("cs-viewer", CHUANSHAN, &["viewer"]);
    let new_token = token_in(&viewer);
    let new_kid = token::key_id(&new_token).unwrap();
    assert_ne!(new_kid, old_kid);
    assert!(rotated.contains(&new_kid), "{rotated}");
    for (service, status) in reads_with(&system, &new_token).await {
        assert_ne!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{service}: {status:?}"
        );
    }
    // Two rotations on, the first key is retired: its tokens are refused.
    ok(
        &system.ogi_in(&sec, &["admin", "key", "rotate"]),
        "rotate again",
    );
    ok(
        &system.ogi_in(&sec, &["admin", "key", "rotate"]),
        "rotate again",
    );
    let statuses = poll(Duration::from_secs(20), "retired key refused", || async {
        let statuses = reads_with(&system, &new_token).await;
        statuses
            .iter()
            .all(|(_, s)| s.code() == tonic::Code::Unauthenticated)
            .then_some(statuses)
    })
    .await;
    for (service, status) in &statuses {
        assert!(
            status.message().contains("签名密钥未知"),
            "{service}: {status:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn audit_entries_survive_a_killed_service_and_unauthenticated_calls_are_audited() {
    let mut system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency(CHUANSHAN);
    system.register_agency(ANJU);
    let handler = system.add_user_signed_in("cs-handler", CHUANSHAN, &["handler"]);
    let auditor = system.add_user_signed_in("cs-auditor", CHUANSHAN, &["auditor"]);
    let submit = [
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
        "--description",
        "申请公开安居区老旧小区改造资金使用明细",
    ];
    let first = system.ogi_in(&handler, &submit);
    assert!(
        stderr(&first).contains("无权访问该机关的案件"),
        "{}",
        stderr(&first)
    );

    // The accounts service is down: intake keeps the entries; then intake is killed.
    system.kill("accounts");
    let second = system.ogi_in(&handler, &submit);
    assert!(
        stderr(&second).contains("无权访问该机关的案件"),
        "{}",
        stderr(&second)
    );
    let anonymous = call_with_token(
        port(&system, "intake"),
        "/ogi.v1.IntakeService/SubmitApplication",
        "",
    )
    .await;
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    system.kill("intake");
    system.start_again("accounts").unwrap();
    system.start_again("intake").unwrap();
    system.wait_healthy(Duration::from_secs(60)).unwrap();

    let entries = system.audit_until(
        &auditor,
        &["--actor", "cs-handler"],
        Duration::from_secs(30),
        |e| e.iter().filter(|e| e["action"] == "case.submit").count() >= 2,
    );
    let denied: Vec<_> = entries
        .iter()
        .filter(|e| e["action"] == "case.submit" && e["result"] == "denied")
        .collect();
    assert_eq!(denied.len(), 2, "{entries:#?}");
    let all = system.audit_until(&auditor, &[], Duration::from_secs(30), |e| {
        e.iter().any(|e| {
            e["actor"] == ""
                && e["action"] == ogi_platform::auth::UNAUTHENTICATED_ACTION
                && e["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("IntakeService/SubmitApplication"))
        })
    });
    let refusal = all
        .iter()
        .find(|e| {
            e["action"] == ogi_platform::auth::UNAUTHENTICATED_ACTION
                && e["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("IntakeService/SubmitApplication"))
        })
        .unwrap_or_else(|| panic!("the unauthenticated call is not audited: {all:#?}"));
    assert_eq!(refusal["result"], "denied");
    assert_eq!(refusal["actor"], "");
    assert_eq!(refusal["source"], "127.0.0.1");
    assert!(refusal["reason"].as_str().unwrap().contains("缺少登录凭据"));
    let verified = ok(&system.ogi_in(&auditor, &["audit", "verify"]), "verify");
    assert!(verified.contains("审计日志完整"), "{verified}");
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_keys_from_a_mounted_secret_rotate_by_editing_it() {
    let keys = tempfile::tempdir().unwrap();
    let write_key = |kid: &str| {
        let key = token::SigningKeyPair::generate(kid.to_string()).unwrap();
        std::fs::write(keys.path().join(format!("{kid}.pem")), key.to_pem()).unwrap();
    };
    write_key("2026-01");
    std::fs::write(keys.path().join("current"), "2026-01\n").unwrap();
    let config = format!(
        "[auth]\nrevocation_refresh_secs = 1\nsigning_keys_dir = {:?}\n",
        keys.path().display().to_string()
    );
    let system = System::start_with_config(Backend::Sqlite, &config)
        .await
        .unwrap();
    let old_token = system.operator_token();
    assert_eq!(token::key_id(&old_token).unwrap(), "2026-01");

    // Step 1: the new key is added; step 2: it is made current.
    write_key("2026-07");
    std::fs::write(keys.path().join("current"), "2026-07").unwrap();
    let dir = system.dir.path().join("config-after-rotation");
    ok(
        &login(&system, &dir, "operator", &system.operator_password),
        "login",
    );
    let new_token = token_in(&dir);
    assert_eq!(token::key_id(&new_token).unwrap(), "2026-07");
    for token in [&old_token, &new_token] {
        for (service, status) in reads_with(&system, token).await {
            assert_ne!(
                status.code(),
                tonic::Code::Unauthenticated,
                "{service}: {status:?}"
            );
        }
    }
    let refused = system.ogi(&["admin", "key", "rotate"]);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("Kubernetes Secret"),
        "{}",
        stderr(&refused)
    );

    // Step 3: the old key is removed; its tokens are refused everywhere.
    std::fs::remove_file(keys.path().join("2026-01.pem")).unwrap();
    poll(
        Duration::from_secs(20),
        "old key's tokens refused",
        || async {
            reads_with(&system, &old_token)
                .await
                .iter()
                .all(|(_, s)| s.code() == tonic::Code::Unauthenticated)
                .then_some(())
        },
    )
    .await;
    for (service, status) in reads_with(&system, &new_token).await {
        assert_ne!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{service}: {status:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_handler_with_the_assigned_scope_reaches_only_the_cases_given_to_them() {
    use ogi_proto::v1 as pb;
    use ogi_proto::v1::approval_service_client::ApprovalServiceClient;

    let system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency(ANJU);
    for name in ["王建华", "李秀英"] {
        let out = system.ogi(&[
            "submit",
            "--agency",
            ANJU,
            "--channel",
            "online",
            "--received-on",
            "2026-03-02",
            "--name",
            name,
            "--id-number",
            "510904198507120038",
            "--description",
            "申请公开安居区老旧小区改造资金使用明细",
        ]);
        ok(&out, "submit");
    }
    let out = system.ogi_with_stdin(
        &system.operator_config_dir(),
        &[
            "admin",
            "user",
            "add",
            "--username",
            "anju-assigned",
            "--agency",
            ANJU,
            "--role",
            "handler",
            "--scope",
            "assigned",
            "--password-stdin",
        ],
        "Initial-Pass-2024\n",
    );
    ok(&out, "add");
    let dir = system.dir.path().join("config-assigned");
    let out = system.ogi_with_stdin(
        &dir,
        &["login", "--username", "anju-assigned", "--password-stdin"],
        &format!("Initial-Pass-2024\n{CHANGED_PASSWORD}\n"),
    );
    ok(&out, "login");

    let mut operator = ApprovalServiceClient::new(system.operator_channel("approval"));
    let all = poll(Duration::from_secs(30), "cases in approval", || {
        let mut operator = operator.clone();
        async move {
            let cases = operator
                .list_cases(pb::ListCasesRequest {
                    agency: ANJU.into(),
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .cases;
            (cases.len() == 2).then_some(cases)
        }
    })
    .await;
    let (given, other) = (all[0].case_id.clone(), all[1].case_id.clone());
    for case_id in [&given, &other] {
        poll(Duration::from_secs(30), "accepted", || async {
            system
                .ogi(&["accept", case_id, "--on", "2026-03-03"])
                .status
                .success()
                .then_some(())
        })
        .await;
        poll(Duration::from_secs(30), "case file in approval", || {
            let mut operator = operator.clone();
            let case_id = case_id.clone();
            async move {
                operator
                    .get_case(pb::GetCaseRequest { case_id })
                    .await
                    .ok()
                    .map(|_| ())
            }
        })
        .await;
    }
    operator
        .assign_cases(pb::AssignCasesRequest {
            context: Some(pb::CommandContext {
                on: "2026-03-03".into(),
                ..Default::default()
            }),
            case_ids: vec![given.clone()],
            handler: "anju-assigned".into(),
        })
        .await
        .unwrap();

    let channel = tonic::transport::Endpoint::from_shared(format!(
        "http://127.0.0.1:{}",
        port(&system, "approval")
    ))
    .unwrap()
    .connect_lazy();
    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", token_in(&dir)).parse().unwrap();
    let mut handler =
        ApprovalServiceClient::with_interceptor(channel, move |mut r: tonic::Request<()>| {
            r.metadata_mut().insert("authorization", bearer.clone());
            Ok(r)
        });
    let listed = handler
        .list_cases(pb::ListCasesRequest {
            agency: ANJU.into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .cases;
    assert_eq!(
        listed.iter().map(|c| c.case_id.clone()).collect::<Vec<_>>(),
        vec![given.clone()]
    );
    handler
        .get_case(pb::GetCaseRequest {
            case_id: given.clone(),
        })
        .await
        .unwrap();
    let refused = handler
        .get_case(pb::GetCaseRequest {
            case_id: other.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    assert!(refused.message().contains("本人承办的案件"), "{refused:?}");
    let refused = handler
        .start_consultation(pb::StartConsultationRequest {
            case_id: other.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{refused:?}");
    assert!(refused.message().contains("本人承办的案件"), "{refused:?}");
}
