//! A private nats-server with JetStream for one test.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::{free_port, workspace_root};

/// The oldest nats-server whose JetStream API async-nats 0.45 works with.
const MIN_VERSION: (u64, u64) = (2, 10);
/// How long to wait for a started server to accept clients.
const READY_DEADLINE: Duration = Duration::from_secs(10);
/// How many fresh ports `start` tries when the port was taken meanwhile.
const START_ATTEMPTS: usize = 3;

/// A `nats-server -js` process on 127.0.0.1 with its own store directory.
///
/// Dropping it kills the process (SIGKILL), waits for it and removes the
/// temporary directory. Use [`NatsServer::stop`] and [`NatsServer::restart`]
/// for crash/restart tests: the port and the store survive a restart.
pub struct NatsServer {
    /// `nats://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
    binary: PathBuf,
    child: Option<Child>,
    store_dir: PathBuf,
    log_path: PathBuf,
    /// A configuration file (`-c`), for servers started with [`NatsServer::start_with_config`].
    config: Option<PathBuf>,
    // Dropped last (fields drop in declaration order), after the process is dead.
    dir: TempDir,
}

impl NatsServer {
    /// Finds a nats-server ≥ 2.10 (`$OGI_NATS_SERVER`, then
    /// `<workspace>/.tools/bin/nats-server`, then `PATH`), starts it with
    /// JetStream on a free port and waits until it greets clients.
    pub fn start() -> anyhow::Result<NatsServer> {
        Self::start_inner(None)
    }

    /// Like [`NatsServer::start`], the server also reading `config` (nats-server
    /// configuration, e.g. an `authorization` block with users and permissions).
    pub fn start_with_config(config: &str) -> anyhow::Result<NatsServer> {
        Self::start_inner(Some(config))
    }

    fn start_inner(config: Option<&str>) -> anyhow::Result<NatsServer> {
        let binary = nats_server_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("ogi-nats-")
            .tempdir()
            .context("create a temporary directory for nats-server")?;
        let store_dir = dir.path().join("store");
        std::fs::create_dir(&store_dir).context("create the JetStream store directory")?;
        let log_path = dir.path().join("nats-server.log");
        let config = match config {
            Some(text) => {
                let path = dir.path().join("nats-server.conf");
                std::fs::write(&path, text).context("write the nats-server configuration")?;
                Some(path)
            }
            None => None,
        };

        let mut server = NatsServer {
            url: String::new(),
            port: 0,
            binary,
            child: None,
            store_dir,
            log_path,
            config,
            dir,
        };
        let mut last_err = None;
        for _ in 0..START_ATTEMPTS {
            server.port = free_port();
            server.url = format!("nats://127.0.0.1:{}", server.port);
            match server.spawn_and_wait() {
                Ok(()) => return Ok(server),
                Err(err) => {
                    server.kill();
                    // Another process may have taken the port between
                    // free_port() and the server's bind: try another one.
                    if !server.log_tail().contains("address already in use") {
                        return Err(err);
                    }
                    last_err = Some(err);
                }
            }
        }
        Err(last_err.expect("at least one attempt"))
    }

    /// The JetStream store directory (kept across [`NatsServer::restart`]).
    pub fn store_dir(&self) -> &Path {
        &self.store_dir
    }

    /// The file that receives the server's stdout and stderr.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether the server process is running (not stopped, not exited).
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.as_mut().map(Child::try_wait), Some(Ok(None)))
    }

    /// Kills the server (SIGKILL, like a crash) and waits for it to exit.
    /// Does nothing when it is already stopped.
    pub fn stop(&mut self) {
        self.kill();
    }

    /// Stops the server if it runs, then starts it again on the same port
    /// with the same store directory and waits until it greets clients.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.kill();
        self.spawn_and_wait().inspect_err(|_| self.kill())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Errors mean it has already exited; wait() reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn spawn_and_wait(&mut self) -> anyhow::Result<()> {
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .with_context(|| format!("open {}", self.log_path.display()))?;
        let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut command = Command::new(&self.binary);
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        let child = command
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "--store_dir",
            ])
            .arg(&self.store_dir)
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("clone the log file handle")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawn {}", self.binary.display()))?;
        self.child = Some(child);
        self.wait_ready(log_offset)
    }

    /// Polls until the server has logged that it is ready and sends its INFO
    /// greeting on a fresh connection.
    fn wait_ready(&mut self, log_offset: u64) -> anyhow::Result<()> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait().context("check nats-server")?
            {
                bail!(
                    "nats-server exited during startup ({status}) on port {}; its log:\n{}",
                    self.port,
                    read_from(&self.log_path, log_offset)
                );
            }
            // "Server is ready" in our own log proves that our process owns
            // the port (not a process that took it meanwhile); the greeting
            // proves that it serves clients.
            if read_from(&self.log_path, log_offset).contains("Server is ready") && greets(addr) {
                return Ok(());
            }
            if started.elapsed() >= READY_DEADLINE {
                bail!(
                    "nats-server did not accept clients on {addr} within {READY_DEADLINE:?}; its log:\n{}",
                    read_from(&self.log_path, log_offset)
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    fn log_tail(&self) -> String {
        read_from(&self.log_path, 0)
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
        // `dir` is removed when the TempDir field drops, after this.
    }
}

impl std::fmt::Debug for NatsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsServer")
            .field("url", &self.url)
            .field("port", &self.port)
            .field("binary", &self.binary)
            .field("pid", &self.child.as_ref().map(Child::id))
            .field("dir", &self.dir.path())
            .finish()
    }
}

/// True if a connection to `addr` succeeds and the first line is `INFO {..}`.
pub(crate) fn greets(addr: SocketAddr) -> bool {
    let Ok(stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    if stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .is_err()
    {
        return false;
    }
    let mut line = String::new();
    matches!(BufReader::new(stream).read_line(&mut line), Ok(n) if n > 0)
        && line.starts_with("INFO ")
}

pub(crate) fn read_from(path: &Path, offset: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path)
        && file.seek(SeekFrom::Start(offset)).is_ok()
    {
        let _ = file.read_to_string(&mut text);
    }
    text
}

const HINT: &str = "run `make tools` (it installs nats-server into .tools/bin) \
                    or set OGI_NATS_SERVER to a nats-server >= 2.10";

/// The nats-server binary to use, looked up and version-checked once.
pub(crate) fn nats_server_binary() -> anyhow::Result<PathBuf> {
    static FOUND: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    FOUND
        .get_or_init(|| find_nats_server().map_err(|err| format!("{err:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

fn find_nats_server() -> anyhow::Result<PathBuf> {
    let binary = if let Some(path) = std::env::var_os("OGI_NATS_SERVER").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        if !path.is_file() {
            bail!("OGI_NATS_SERVER={} does not exist; {HINT}", path.display());
        }
        path
    } else {
        let tools = workspace_root().join(".tools/bin/nats-server");
        if tools.is_file() {
            tools
        } else {
            search_path("nats-server").with_context(|| {
                format!(
                    "no nats-server found (OGI_NATS_SERVER, {}, PATH); {HINT}",
                    tools.display()
                )
            })?
        }
    };

    check_version(&binary)?;
    Ok(binary)
}

/// Fails unless `binary --version` reports a nats-server >= [`MIN_VERSION`].
fn check_version(binary: &Path) -> anyhow::Result<()> {
    let output = Command::new(binary)
        .arg("--version")
        .output()
        .with_context(|| format!("run `{} --version`; {HINT}", binary.display()))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let version = parse_version(&text).with_context(|| {
        format!(
            "cannot read a version from `{} --version` ({:?}); {HINT}",
            binary.display(),
            text.trim()
        )
    })?;
    if (version.0, version.1) < MIN_VERSION {
        bail!(
            "{} is nats-server {}.{}.{}, but ogi needs >= {}.{} for JetStream; {HINT}",
            binary.display(),
            version.0,
            version.1,
            version.2,
            MIN_VERSION.0,
            MIN_VERSION.1
        );
    }
    Ok(())
}

fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Parses `nats-server: v2.15.1` (or any text with `vMAJOR.MINOR.PATCH`).
fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let (start, _) = text
        .match_indices('v')
        .find(|(i, _)| text[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?;
    let mut parts = text[start + 1..]
        .split(|c: char| !c.is_ascii_digit())
        .take(3)
        .map(|s| s.parse::<u64>().ok());
    Some((parts.next()??, parts.next()??, parts.next()??))
}

#[cfg(test)]
mod tests {
    use super::{check_version, parse_version};
    use std::os::unix::fs::PermissionsExt;
    use std::path::PathBuf;

    /// A fake `nats-server` script that prints `version_line`.
    fn fake_server(dir: &tempfile::TempDir, version_line: &str) -> PathBuf {
        let path = dir.path().join("nats-server");
        std::fs::write(&path, format!("#!/bin/sh\necho '{version_line}'\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        // A process forked concurrently by another test thread may briefly
        // hold the write handle (ETXTBSY until it execs): wait that out.
        for _ in 0..100 {
            match std::process::Command::new(&path).output() {
                Err(err) if err.raw_os_error() == Some(26) => {
                    std::thread::sleep(std::time::Duration::from_millis(10))
                }
                _ => break,
            }
        }
        path
    }

    #[test]
    fn rejects_old_servers_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let old = fake_server(&dir, "nats-server: v2.9.10");
        let err = check_version(&old).unwrap_err().to_string();
        assert!(
            err.contains("2.9.10") && err.contains("make tools"),
            "{err}"
        );
    }

    #[test]
    fn accepts_new_servers() {
        let dir = tempfile::tempdir().unwrap();
        check_version(&fake_server(&dir, "nats-server: v2.10.0")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        check_version(&fake_server(&dir, "nats-server: v3.0.1")).unwrap();
    }

    #[test]
    fn rejects_garbage_and_missing_binaries() {
        let dir = tempfile::tempdir().unwrap();
        let err = check_version(&fake_server(&dir, "hello"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("cannot read a version"), "{err}");
        let err = check_version(&dir.path().join("missing")).unwrap_err();
        assert!(format!("{err:#}").contains("make tools"), "{err:#}");
    }

    #[test]
    fn parses_versions() {
        assert_eq!(parse_version("nats-server: v2.15.1\n"), Some((2, 15, 1)));
        assert_eq!(parse_version("nats-server: v2.9.10"), Some((2, 9, 10)));
        assert_eq!(parse_version("nats-server: v2.11.0-RC.1"), Some((2, 11, 0)));
        assert_eq!(parse_version("garbage"), None);
    }
}
