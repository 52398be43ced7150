//! `ogi dev` in the production shape: on PostgreSQL (`--postgres`, a database per service,
//! created when missing) and a nats-server it did not start (`--nats-url`). It prints every
//! service's gRPC address and admin address; an import through it is reported, and `/metrics`
//! on the printed admin addresses counts it. Started again, it finds its databases and keeps
//! the cases.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ogi_e2e::dev::Dev;
use ogi_e2e::scrape::{self, http_get, metric, sample, scrape};
use ogi_e2e::{SERVICES, stderr, stdout, write};
use ogi_testkit::{NatsServer, PgDatabase, binary, free_port, pg_admin_url};
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::Value;

const AGENCY: &str = "开发区人民政府";
const CASES: i64 = 12;

/// `ogi ARGS --intake … --reporting …`
/// Where `ogi dev` keeps the local operator's credential in this test (not the user's own).
fn config_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("ogi-dev-test-{}", std::process::id()))
}

fn ogi(endpoints: &[String], args: &[&str]) -> std::process::Output {
    Command::new(binary("ogi"))
        .env("OGI_CONFIG_DIR", config_dir())
        .args(args)
        .args(endpoints)
        .output()
        .expect("run ogi")
}

/// Intake's answered gRPC calls and approval's applied events, as `/metrics` shows them.
fn counters(admin_ports: &[u16]) -> (f64, f64) {
    let intake = scrape(admin_ports[1]);
    let calls = metric(&intake, "ogi_grpc_requests_total", |k, v| {
        k != "method" || v.starts_with("/ogi.v1.IntakeService/")
    })
    .unwrap_or(0.0);
    let approval = scrape(admin_ports[3]);
    let applied = sample(
        &approval,
        "ogi_events_consumed_total",
        &[("consumer", "approval-validation"), ("result", "applied")],
    )
    .unwrap_or(0.0);
    (calls, applied)
}

/// Wait until no service has an unpublished outbox event or an unacknowledged message.
fn wait_settled(admin_ports: &[u16]) {
    let services: Vec<(&str, u16)> = SERVICES
        .into_iter()
        .zip(admin_ports.iter().copied())
        .collect();
    scrape::wait_settled(&services, Duration::from_secs(60));
}

/// The service databases whose names start with `prefix`.
async fn databases_named(prefix: &str) -> Vec<String> {
    let admin = Database::connect(pg_admin_url()).await.unwrap();
    let rows = admin
        .query_all(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname",
            [prefix.into()],
        ))
        .await
        .unwrap();
    admin.close().await.ok();
    rows.iter()
        .map(|r| r.try_get::<String>("", "datname").unwrap())
        .collect()
}

/// Poll the report until it counts `CASES` new applications.
fn wait_for_report(endpoints: &[String]) -> Value {
    let start = Instant::now();
    loop {
        let out = ogi(
            endpoints,
            &[
                "report", "--agency", AGENCY, "--year", "2025", "--format", "json",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap();
        if report["applications"]["rows"]["new"][6] == CASES {
            return report;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the report never counted {CASES} new applications: {report}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ogi_dev_on_postgresql_and_an_existing_nats_server() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let prefix = format!("ogi_test_dev_{}_{nanos}_", std::process::id());
    // Dropped at the end of the test, pass or fail: each drops its database.
    let _databases: Vec<PgDatabase> = SERVICES
        .iter()
        .map(|service| PgDatabase {
            url: String::new(),
            name: format!("{prefix}{service}"),
        })
        .collect();
    let grpc_ports: Vec<u16> = SERVICES.iter().map(|_| free_port()).collect();
    let admin_ports: Vec<u16> = SERVICES.iter().map(|_| free_port()).collect();
    let console_port = free_port();
    let endpoints: Vec<String> = SERVICES
        .iter()
        .zip(&grpc_ports)
        .flat_map(|(name, port)| [format!("--{name}"), format!("http://127.0.0.1:{port}")])
        .collect();
    let synth = ogi(
        &[],
        &[
            "records",
            "synth",
            "--cases",
            &CASES.to_string(),
            "--year",
            "2025",
            "--agency",
            AGENCY,
            "--seed",
            "5",
        ],
    );
    assert!(synth.status.success(), "{}", stderr(&synth));
    let cases = write(dir.path(), "cases.jsonl", &stdout(&synth));

    let data_dir = dir.path().join("data");
    let mut args: Vec<String> = [
        "--data-dir",
        data_dir.to_str().unwrap(),
        "--postgres",
        &pg_admin_url(),
        "--database-prefix",
        &prefix,
        "--nats-url",
        &nats.url,
        "--admin-ports",
        &admin_ports
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(","),
        "--console-port",
        &console_port.to_string(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(endpoints.iter().cloned());

    let mut dev = Dev::start(&config_dir(), &args);
    let printed = dev.read_until(|l| l == "按 Ctrl-C 停止。", Duration::from_secs(120));
    let text = printed.join("\n");
    assert!(
        printed
            .iter()
            .any(|l| l == &format!("  NATS        {}", nats.url)),
        "{text}"
    );
    let pg_line = printed
        .iter()
        .find(|l| l.starts_with("  PostgreSQL  "))
        .unwrap_or_else(|| panic!("no PostgreSQL line:\n{text}"));
    for service in SERVICES {
        assert!(pg_line.contains(&format!("{prefix}{service}")), "{pg_line}");
    }
    // Each service's line: its name, its gRPC address, 管理 and its admin address.
    for ((service, grpc), admin) in SERVICES.iter().zip(&grpc_ports).zip(&admin_ports) {
        let line = printed
            .iter()
            .find(|l| l.split_whitespace().next() == Some(service))
            .unwrap_or_else(|| panic!("no line for {service}:\n{text}"));
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            words,
            [
                *service,
                &format!("http://127.0.0.1:{grpc}"),
                "管理",
                &format!("http://127.0.0.1:{admin}")
            ],
            "{line}"
        );
        assert_eq!(
            http_get(*admin, "/readyz").unwrap(),
            (200, "ready\n".into()),
            "{service}"
        );
    }
    // The console's line: its name and its address, where the sign-in page answers.
    let console = format!("http://127.0.0.1:{console_port}");
    assert!(
        printed
            .iter()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["console", console.as_str()]),
        "no console line:\n{text}"
    );
    let (status, login) = http_get(console_port, "/login").unwrap();
    assert_eq!(status, 200, "{login}");
    assert!(login.contains("用户名"), "{login}");
    assert!(
        !text.contains("新数据目录"),
        "nothing to load without --load-fixture-if-new\n{text}"
    );
    let mut expected: Vec<String> = SERVICES.iter().map(|s| format!("{prefix}{s}")).collect();
    expected.sort();
    assert_eq!(
        databases_named(&prefix).await,
        expected,
        "a database per service, created by ogi dev"
    );
    assert!(
        !std::fs::read_dir(&data_dir).unwrap().any(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "db")),
        "no SQLite file on PostgreSQL"
    );
    assert!(
        !data_dir.join("nats").exists(),
        "no nats-server of its own with --nats-url"
    );

    let (calls_before, applied_before) = counters(&admin_ports);
    let out = ogi(&endpoints, &["import", cases.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}\n{}\n{}",
        stdout(&out),
        stderr(&out),
        logs(&data_dir)
    );
    assert!(
        stdout(&out).contains(&format!("新导入{CASES}条")),
        "{}",
        stdout(&out)
    );
    let report = wait_for_report(&endpoints);
    assert_eq!(report["checks"], Value::Array(vec![]), "{report}");
    let start = Instant::now();
    loop {
        let (calls, applied) = counters(&admin_ports);
        if calls >= calls_before + CASES as f64 && applied > applied_before {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "/metrics did not count the import: intake calls {calls_before} → {calls}, \
             approval applied {applied_before} → {applied}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Once every event is published and consumed (as /metrics shows), the report is final.
    wait_settled(&admin_ports);
    let report = wait_for_report(&endpoints);
    dev.stop();

    // Started again on the same databases: nothing is created or loaded, the cases are there.
    args.extend([
        "--load-fixture-if-new".to_string(),
        cases.display().to_string(),
    ]);
    let mut dev = Dev::start(&config_dir(), &args);
    let printed = dev.read_until(|l| l == "按 Ctrl-C 停止。", Duration::from_secs(120));
    assert!(
        !printed.iter().any(|l| l.contains("新数据目录")),
        "existing databases are not new: {printed:?}"
    );
    let start = Instant::now();
    loop {
        let again = wait_for_report(&endpoints);
        if again["applications"] == report["applications"] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "after a restart the report differs:\n{again}\nbefore:\n{report}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    dev.stop();
}

/// Given a bad `--postgres` or `--database-prefix`, `ogi dev` names the option and exits 2
/// before starting anything.
#[test]
fn ogi_dev_names_a_bad_postgres_option() {
    let dir = tempfile::tempdir().unwrap();
    for (args, option) in [
        (vec!["--postgres", "mysql://127.0.0.1:3306"], "--postgres："),
        (
            vec![
                "--postgres",
                "postgres://postgres@127.0.0.1:5432",
                "--database-prefix",
                "Ogi-",
            ],
            "--database-prefix：",
        ),
        (vec!["--admin-ports", "9091,9092"], "--admin-ports："),
    ] {
        let data_dir = dir.path().join("data");
        let out = Command::new(binary("ogi"))
            .arg("dev")
            .args(["--data-dir", data_dir.to_str().unwrap()])
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(option), "{args:?}: {}", stderr(&out));
        assert!(!data_dir.exists(), "{args:?}: nothing created");
    }
}

/// A service that cannot start (its admin port is taken) stops `ogi dev` at once, naming the
/// service and its log's last line, instead of waiting for a health check that never comes.
#[test]
fn ogi_dev_names_a_service_that_cannot_start() {
    let nats = NatsServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut admin_ports: Vec<String> = SERVICES.iter().map(|_| free_port().to_string()).collect();
    let intake = SERVICES.iter().position(|s| *s == "intake").unwrap();
    admin_ports[intake] = taken.local_addr().unwrap().port().to_string();
    let endpoints = SERVICES.iter().flat_map(|name| {
        [
            format!("--{name}"),
            format!("http://127.0.0.1:{}", free_port()),
        ]
    });
    let started = Instant::now();
    let out = Command::new(binary("ogi"))
        .arg("dev")
        .args(["--data-dir", dir.path().join("data").to_str().unwrap()])
        .args(["--nats-url", &nats.url])
        .args(["--admin-ports", &admin_ports.join(",")])
        .args(endpoints)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let error = stderr(&out);
    assert!(error.contains("intake 启动失败"), "{error}");
    assert!(error.contains("intake.log"), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

fn logs(data_dir: &Path) -> String {
    SERVICES
        .iter()
        .map(|s| {
            let log = std::fs::read_to_string(data_dir.join(format!("{s}.log")));
            format!("--- {s} ---\n{}", log.unwrap_or_default())
        })
        .collect::<Vec<_>>()
        .join("\n")
}
