//! Test support for ogi: real processes and real databases, no mocks.
//!
//! - [`NatsServer`]: a private `nats-server` with JetStream on a free port and
//!   its own store directory, killed and cleaned up on drop.
//! - [`NatsCluster`]: n routed nats-servers with clustered JetStream (`node0`…), for
//!   failover tests: kill and restart single nodes.
//! - [`PgDatabase`]: a fresh PostgreSQL database per test, dropped on drop.
//! - [`poll_until`]: wait for a condition with a deadline instead of sleeping.
//! - [`workspace_root`], [`free_port`], [`binary`]: small helpers.
//!
//! Tests that need PostgreSQL or nats-server fail (they do not skip) when the
//! service or binary is missing: run `make tools` and see the Makefile.

mod cluster;
mod nats;
mod pg;

use std::future::Future;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use cluster::NatsCluster;
pub use nats::NatsServer;
pub use pg::{PgDatabase, pg_admin_url};

/// The workspace root: the nearest ancestor of the running test's manifest directory (cargo
/// sets `CARGO_MANIFEST_DIR` when it runs a test), else of this crate's as it was compiled,
/// that holds `Cargo.lock` or a `Cargo.toml` with a `[workspace]` table. The running test's
/// comes first so that a build copied from another checkout reads this checkout's files.
pub fn workspace_root() -> PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let running = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from);
        let start = running
            .as_deref()
            .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")));
        find_workspace_root(start).unwrap_or_else(|| {
            panic!(
                "no workspace root (Cargo.lock or [workspace] Cargo.toml) above {}",
                start.display()
            )
        })
    })
    .clone()
}

fn find_workspace_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| {
            dir.join("Cargo.lock").is_file()
                || std::fs::read_to_string(dir.join("Cargo.toml"))
                    .map(|text| text.lines().any(|line| line.trim() == "[workspace]"))
                    .unwrap_or(false)
        })
        .map(Path::to_path_buf)
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read
/// the port, release it), never one this process was handed before: the
/// kernel may offer a released port again at once, and two services of one
/// system given the same port fail to start. Another process may still take
/// it before you do; that is rare.
pub fn free_port() -> u16 {
    static HANDED_OUT: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|listener| listener.local_addr())
            .map(|addr| addr.port())
            .expect("bind 127.0.0.1:0 to find a free port");
        if !handed_out.contains(&port) {
            handed_out.push(port);
            return port;
        }
    }
}

/// Calls `f` until it returns `Some`, sleeping briefly (5 ms, doubling up to
/// 100 ms) between attempts; fails naming `what` once `deadline` has passed.
/// `f` is always called at least once.
pub async fn poll_until<F, Fut, T>(deadline: Duration, what: &str, mut f: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        if let Some(value) = f().await {
            return Ok(value);
        }
        let elapsed = started.elapsed();
        if elapsed >= deadline {
            anyhow::bail!(
                "timed out after {:.1?} ({attempts} attempts) waiting for {what}",
                elapsed
            );
        }
        tokio::time::sleep(pause.min(deadline - elapsed)).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// The path of a workspace binary target built by cargo, e.g. `binary("ogi")`.
///
/// Uses `CARGO_BIN_EXE_<name>` when set in the environment; otherwise looks in
/// the profile directory of the running test executable (`target/<profile>/`,
/// the parent of its `deps/` directory), so it honours `CARGO_TARGET_DIR`.
///
/// Panics with a hint when the binary is not there: cargo builds a package's
/// binaries only for that package's own integration tests, so run
/// `cargo build --workspace --bins` first (`make test` does).
pub fn binary(name: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(format!("CARGO_BIN_EXE_{name}")) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("current_exe");
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    // target/<profile>/deps/<test>-<hash> for unit and integration tests;
    // target/<profile>/<name> for a binary that calls this itself.
    let candidates: Vec<PathBuf> = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(&file))
        .collect();
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "binary `{name}` not found (looked at {}); build it with \
                 `cargo build --workspace --bins` (make test does)",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_workspace_root() {
        let root = workspace_root();
        assert!(root.join("Cargo.toml").is_file());
        assert!(root.join("services/testkit/Cargo.toml").is_file());
    }

    #[test]
    fn free_port_is_bindable() {
        let port = free_port();
        assert_ne!(port, 0);
        TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("port is free");
    }

    #[test]
    #[should_panic(expected = "cargo build --workspace --bins")]
    fn binary_explains_a_missing_binary() {
        binary("ogi-testkit-no-such-binary");
    }

    #[tokio::test]
    async fn poll_until_returns_value_and_times_out() {
        let mut calls = 0;
        let got = poll_until(Duration::from_secs(5), "third call", || {
            calls += 1;
            let n = calls;
            async move { (n >= 3).then_some(n) }
        })
        .await
        .unwrap();
        assert_eq!(got, 3);

        let err = poll_until(Duration::from_millis(50), "never", || async { None::<()> })
            .await
            .unwrap_err();
        assert!(err.to_string().contains("never"), "{err}");
    }
}
