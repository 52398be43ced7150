//! Single sign-on (issue 8): `ogi login --sso` against a real OpenID Connect provider running
//! here (oauth2-mock-server under Node, tests/oidc): authorization code with PKCE, the ID
//! token checked by the accounts service (JWKS, issuer, audience, nonce), the user its claim
//! names signed in; a user ogi does not know is refused. Skipped only when `node` is absent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, stderr, stdout};
use ogi_testkit::{binary, free_port, workspace_root};

const CHUANSHAN: &str = "遂宁市船山区人民政府";

/// The provider process, killed on drop.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn node_present() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn start_provider(username_file: &Path) -> Provider {
    let dir = workspace_root().join("tests/oidc");
    assert!(
        dir.join("node_modules/oauth2-mock-server").exists(),
        "tests/oidc/node_modules is missing: `make test` installs it (npm ci in tests/oidc)"
    );
    let mut child = Command::new("node")
        .arg(dir.join("provider.mjs"))
        .arg(free_port().to_string())
        .arg(username_file)
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the OIDC provider");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let issuer = line
        .trim()
        .strip_prefix("ready ")
        .unwrap_or_else(|| panic!("provider did not start: {line:?}"))
        .to_string();
    Provider { child, issuer }
}

/// A GET of `url` (http://host:port/path): the status and the Location header.
fn get(url: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = TcpStream::connect(host).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // The CLI's one-shot page may answer and close before the whole request is written.
    let _ = write!(
        stream,
        "GET {} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n",
        if path.is_empty() { "/" } else { path }
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = response
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
        })
        .map(|(_, v)| v.trim().to_string());
    (status, location)
}

/// `ogi login --sso` under `config_dir`, driven as a browser would: open the printed address
/// at the provider (which approves at once) and follow its redirect to the CLI's loopback.
fn sso_login(system: &System, config_dir: &Path) -> std::process::Output {
    let mut args = vec!["login".to_string(), "--sso".to_string()];
    args.extend(system.endpoint_args());
    let mut child = Command::new(binary("ogi"))
        .args(&args)
        .env("OGI_CONFIG_DIR", config_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut printed = String::new();
    let start = Instant::now();
    let url = loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap_or(0) == 0 {
            break None;
        }
        printed.push_str(&line);
        if line.starts_with("http://") {
            break Some(line.trim().to_string());
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{printed}");
    };
    if let Some(url) = url {
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        assert!(url.contains("nonce="), "{url}");
        let (status, location) = get(&url);
        assert_eq!(status, 302, "the provider's authorization answer to {url}");
        let callback = location.expect("a redirect");
        assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
        let (status, _) = get(&callback);
        assert_eq!(status, 200, "the CLI's loopback page");
    }
    let mut rest = String::new();
    let _ = err.read_to_string(&mut rest);
    let mut out = child.wait_with_output().unwrap();
    out.stderr = format!("{printed}{rest}").into_bytes();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_through_the_agencys_openid_connect_provider() {
    if !node_present() {
        println!("skipped: node is not installed (the OIDC provider of this test runs on Node)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let who = dir.path().join("username");
    std::fs::write(&who, "cs-sso").unwrap();
    let provider = start_provider(&who);
    let config = format!(
        "[auth.oidc]\nissuer = {:?}\nclient_id = \"ogi\"\nclient_secret = \"ogi-client-secret\"\n",
        provider.issuer
    );
    let system = System::start_with_config(Backend::Sqlite, &config)
        .await
        .unwrap();
    system.register_agency(CHUANSHAN);
    system.add_user_signed_in("cs-sso", CHUANSHAN, &["handler"]);

    let config_dir = dir.path().join("config-sso");
    let out = sso_login(&system, &config_dir);
    assert!(
        out.status.success(),
        "{}{}\n{}",
        stdout(&out),
        stderr(&out),
        system.logs()
    );
    assert!(stdout(&out).contains("已登录：cs-sso"), "{}", stdout(&out));
    let whoami = system.ogi_in(&config_dir, &["whoami"]);
    assert!(stdout(&whoami).contains(CHUANSHAN), "{}", stderr(&whoami));
    let export = system.ogi_in(&config_dir, &["export"]);
    assert!(export.status.success(), "{}", stderr(&export));

    // Someone the provider knows and ogi does not.
    std::fs::write(&who, "stranger").unwrap();
    let refused = sso_login(&system, &dir.path().join("config-stranger"));
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("未在 ogi 中开通"),
        "{}",
        stderr(&refused)
    );

    // Both are in the audit trail.
    let auditor = system.add_user_signed_in("cs-auditor", CHUANSHAN, &["auditor"]);
    let entries = system.audit_until(&auditor, &[], Duration::from_secs(20), |e| {
        e.iter().any(|e| e["actor"] == "stranger")
    });
    assert!(
        entries.iter().any(|e| e["actor"] == "cs-sso"
            && e["action"] == "session.login"
            && e["reason"] == "单点登录"),
        "{entries:#?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["actor"] == "stranger" && e["result"] == "denied"),
        "{entries:#?}"
    );
}
