//! The console's real-browser journeys (`tests/browser`, `node --test` with playwright-core
//! driving Debian's chromium) against a fresh `ogi dev`, as `make run` starts it: a temporary
//! data directory, free ports, the demo agency's cases loaded. Users are made as an
//! administrator makes them (`ogi admin user add`, an initial password to change at first
//! sign-in). A failing journey leaves its screenshot under `target/tmp/browser-screenshots`.
//!
//! `make test` installs chromium, the CJK fonts and the pinned npm packages first
//! (`scripts/install-browser.sh`); run alone, this test needs them installed.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use ogi_e2e::dev::Dev;
use ogi_e2e::{SERVICES, fixture, stderr, stdout};
use ogi_testkit::{binary, free_port, workspace_root};

/// The demo agency of the fixture (examples/anju-2024).
const DEMO_AGENCY: &str = "遂宁市安居区人民政府";
const OTHER_AGENCY: &str = "遂宁市船山区人民政府";
/// A demo case the handler finds by its reference.
const FIXTURE_REFERENCE: &str = "AJ2024-00042";

/// `ogi ARGS` against the dev system, signed in as its local operator; `stdin` is piped in.
fn ogi(config: &Path, endpoints: &[String], args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(binary("ogi"))
        .env("OGI_CONFIG_DIR", config)
        .args(args)
        .args(endpoints)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ogi");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "ogi {args:?}: {}{}",
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A user with an initial password, as `ogi admin user add` makes one, and the environment
/// variables that hand it to the journeys (`NAME` and `NAME_PASSWORD`).
struct User {
    username: &'static str,
    agency: &'static str,
    role: &'static str,
    password: &'static str,
    env: &'static str,
}

/// console.test.mjs's users (OGI_CASE_…), then office.test.mjs's (a user each of its own:
/// journeys change initial passwords).
const USERS: [User; 7] = [
    User {
        username: "zhangwei",
        agency: DEMO_AGENCY,
        role: "handler",
        password: "Initial#Pass2026",
        env: "OGI_CASE_HANDLER",
    },
    User {
        username: "wangfang",
        agency: DEMO_AGENCY,
        role: "approver",
        password: "Approver#Pass2026",
        env: "OGI_CASE_APPROVER",
    },
    User {
        username: "chenjing",
        agency: DEMO_AGENCY,
        role: "office",
        password: "Office#Pass2026",
        env: "OGI_CASE_OFFICE",
    },
    User {
        username: "lisi",
        agency: OTHER_AGENCY,
        role: "handler",
        password: "Other#Pass2026x",
        env: "OGI_CASE_OTHER",
    },
    User {
        username: "dengji",
        agency: DEMO_AGENCY,
        role: "registrar",
        password: "Registrar#Pass2026",
        env: "OGI_REGISTRAR",
    },
    User {
        username: "gongkai",
        agency: DEMO_AGENCY,
        role: "office",
        password: "Gongkai#Pass2026",
        env: "OGI_OFFICE",
    },
    User {
        username: "zhaoqiang",
        agency: DEMO_AGENCY,
        role: "handler",
        password: "Zhaoqiang#Pass2026",
        env: "OGI_HANDLER",
    },
];

#[test]
fn the_console_journeys_pass_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("operator");
    let console_port = free_port();
    let endpoints: Vec<String> = SERVICES
        .iter()
        .flat_map(|name| {
            [
                format!("--{name}"),
                format!("http://127.0.0.1:{}", free_port()),
            ]
        })
        .collect();
    let admin_ports: Vec<String> = SERVICES.iter().map(|_| free_port().to_string()).collect();
    let mut args: Vec<String> = [
        "--data-dir",
        dir.path().join("data").to_str().unwrap(),
        "--nats-port",
        &free_port().to_string(),
        "--admin-ports",
        &admin_ports.join(","),
        "--console-port",
        &console_port.to_string(),
        "--load-fixture-if-new",
        fixture().to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(endpoints.iter().cloned());
    let mut dev = Dev::start(&config, &args);
    dev.read_until(|l| l == "按 Ctrl-C 停止。", Duration::from_secs(180));

    ogi(
        &config,
        &endpoints,
        &[
            "admin",
            "agency",
            "add",
            OTHER_AGENCY,
            "--letter-prefix",
            "船府信公",
        ],
        "",
    );
    for u in &USERS {
        ogi(
            &config,
            &endpoints,
            &[
                "admin",
                "user",
                "add",
                "--username",
                u.username,
                "--agency",
                u.agency,
                "--role",
                u.role,
                "--password-stdin",
            ],
            &format!("{}\n", u.password),
        );
    }

    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let mut node = Command::new("node");
    // One file after another: each file's journeys build on the system as the last left it.
    node.args(["--test", "--test-concurrency=1"])
        .arg(workspace_root().join("tests/browser/"))
        .env(
            "OGI_CONSOLE_URL",
            format!("http://127.0.0.1:{console_port}"),
        )
        .env("OGI_FIXTURE_REFERENCE", FIXTURE_REFERENCE)
        .env("OGI_DEMO_AGENCY", DEMO_AGENCY)
        .env("OGI_SCREENSHOTS", &screenshots);
    for u in &USERS {
        node.env(u.env, u.username)
            .env(format!("{}_PASSWORD", u.env), u.password);
    }
    // office.test.mjs takes its handler's current password (changed at its first sign-in).
    node.env("OGI_HANDLER_NEW_PASSWORD", USERS[6].password);
    let out = node
        .output()
        .expect("run node --test (node 20 and scripts/install-browser.sh's packages are needed)");
    let (text, errors) = (stdout(&out), stderr(&out));
    assert!(
        out.status.success(),
        "browser journeys failed (screenshots in {}):\n{text}\n{errors}",
        screenshots.display()
    );
    println!("{text}");
    dev.stop();
}
