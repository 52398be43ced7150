//! `ogi` with nothing running: what needs no stored state works (report check, completion,
//! version), a service that cannot be reached is named with its address and the fix, and a
//! reader that goes away does not make ogi panic.

use std::io::Read;
use std::process::{Command, Output, Stdio};

/// A credential as `ogi login` leaves it, valid for an hour, so that the commands get as far
/// as calling the services (nothing is verified on this side).
fn signed_in_config_dir() -> std::path::PathBuf {
    // One folder per command: the tests run in parallel, and a credential rewritten while
    // another test's `ogi` reads it would be read half written.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("ogi-offline-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 3600;
    let credential = serde_json::json!({
        "username": "operator",
        "accounts": "http://127.0.0.1:1",
        "access_token": "not-checked-here",
        "access_expires_at": in_an_hour,
        "session_token": "not-checked-here",
        "session_expires_at": in_an_hour,
    });
    std::fs::write(dir.join("credentials.json"), credential.to_string()).unwrap();
    dir
}

/// Every service address points at a port where nothing listens.
fn ogi() -> (Command, Vec<String>) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ogi"));
    command.env("OGI_CONFIG_DIR", signed_in_config_dir());
    let mut addrs = Vec::new();
    for service in [
        "ACCOUNTS",
        "INTAKE",
        "VALIDATION",
        "APPROVAL",
        "PUBLISHING",
        "REPORTING",
    ] {
        let addr = format!("http://127.0.0.1:{}", ogi_testkit::free_port());
        command.env(format!("OGI_{service}_ADDR"), &addr);
        addrs.push(addr);
    }
    command.env_remove("NO_COLOR");
    (command, addrs)
}

fn run(args: &[&str]) -> (Output, Vec<String>) {
    let (mut command, addrs) = ogi();
    (command.args(args).output().unwrap(), addrs)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn example(name: &str) -> std::path::PathBuf {
    ogi_testkit::workspace_root()
        .join("examples/anju-2024")
        .join(name)
}

#[test]
fn report_check_judges_a_file_with_nothing_running() {
    let published = example("published-tables.json");
    let (out, _) = run(&["report", "check", published.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).ends_with("：0项不符，0项警告\n"),
        "{}",
        text(&out.stdout)
    );

    // One cell changed: both sums it breaks are listed with row, column and both sides.
    let dir = tempfile::tempdir().unwrap();
    let mut report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&published).unwrap()).unwrap();
    let disclosed = report["applications"]["rows"]["disclosed"][0]
        .as_i64()
        .unwrap();
    report["applications"]["rows"]["disclosed"][0] = (disclosed + 1).into();
    let wrong = dir.path().join("wrong.json");
    std::fs::write(&wrong, report.to_string()).unwrap();
    let (out, _) = run(&["report", "check", wrong.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains(&format!(
            "不符 [row_total] （一）予以公开／总计：{disclosed} ≠ {}",
            disclosed + 1
        )),
        "{stdout}"
    );
    assert!(stdout.contains("：2项不符，0项警告"), "{stdout}");

    // Unreadable: a missing file, and a file that is not a report.
    let (out, _) = run(&["report", "check", "/nonexistent/report.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("无法读取文件 /nonexistent/report.json"));
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{").unwrap();
    let (out, _) = run(&["report", "check", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("字段 json：不是有效的年度报告JSON"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_service_that_cannot_be_reached_is_named_with_its_address_and_the_fix() {
    let (out, addrs) = run(&["show", "0190c2a4-0000-7000-8000-000000000000"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "错误：无法连接申请登记服务 {}：系统未启动？请先运行 make run 或 ogi dev\n",
            addrs[1]
        )
    );
    let (out, addrs) = run(&[
        "report",
        "--agency",
        "遂宁市安居区人民政府",
        "--year",
        "2024",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "错误：无法连接年度报告服务 {}：系统未启动？请先运行 make run 或 ogi dev\n",
            addrs[5]
        )
    );
    let (out, _) = run(&["export"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("无法连接申请登记服务"), "{stderr}");
    assert!(
        !stderr.contains("transport") && !stderr.contains("tcp connect"),
        "{stderr}"
    );

    let (out, _) = run(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("请先运行 make run 或 ogi dev"),
        "{}",
        text(&out.stderr)
    );
}

/// Run `args` with standard output a pipe whose reader is already gone.
fn with_closed_pipe(args: &[&str]) -> Output {
    let (mut command, _) = ogi();
    let mut child = command
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout: Vec::new(),
        stderr: stderr.into_bytes(),
    }
}

#[test]
fn a_reader_that_goes_away_ends_ogi_quietly() {
    let published = example("published-tables.json");
    for args in [
        &["calendar", "explain", "2024-09-27", "20"][..],
        &["records", "synth", "--cases", "500", "--year", "2024"],
        &["report", "check", published.to_str().unwrap()],
        &["status"],
        &["completion", "bash"],
    ] {
        let out = with_closed_pipe(args);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(2), "{args:?}: {stderr}");
    }
}

#[test]
fn completion_scripts_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F _ogi"),
        ("zsh", "#compdef ogi"),
        ("fish", "complete -c ogi"),
    ] {
        let (out, _) = run(&["completion", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        assert!(script.contains(marker), "{shell}: {script}");
        for subcommand in ["report", "records", "calendar", "completion"] {
            assert!(script.contains(subcommand), "{shell} lacks {subcommand}");
        }
    }
    let (out, _) = run(&["completion", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn version_names_the_commit() {
    let (out, _) = run(&["--version"]);
    assert!(out.status.success());
    let version = text(&out.stdout);
    assert!(
        version.starts_with(&format!("ogi {}（提交 ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(ogi_testkit::workspace_root())
        .output();
    match head {
        Ok(head) if head.status.success() => {
            let head = text(&head.stdout).trim().to_string();
            assert!(version.contains(&head), "{version} lacks {head}");
        }
        _ => assert!(version.contains("unknown"), "{version}"),
    }
}
