//! A whole ogi system for a test: a private nats-server, the four service binaries on free
//! ports, each with its own SQLite file or PostgreSQL database, and the `ogi` command pointed at
//! them. Everything is stopped and removed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ogi_testkit::{NatsServer, PgDatabase, binary, free_port};

pub const SERVICES: [&str; 5] = [
    "intake",
    "validation",
    "approval",
    "publishing",
    "reporting",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct Service {
    pub name: &'static str,
    pub port: u16,
    /// The admin HTTP port (`--admin-listen`), when the system was started with admin ports.
    pub admin_port: Option<u16>,
    pub database_url: String,
    child: Option<Child>,
    log: PathBuf,
}

pub struct System {
    pub nats: NatsServer,
    pub services: Vec<Service>,
    pub dir: tempfile::TempDir,
    _databases: Vec<PgDatabase>,
}

impl System {
    pub async fn start(backend: Backend) -> anyhow::Result<System> {
        Self::start_with(backend, false).await
    }

    /// Like [`System::start`], every service also serving its admin endpoints (`/livez`,
    /// `/readyz`, `/metrics`) on a free port: see [`System::admin_port`].
    pub async fn start_with_admin(backend: Backend) -> anyhow::Result<System> {
        Self::start_with(backend, true).await
    }

    async fn start_with(backend: Backend, admin: bool) -> anyhow::Result<System> {
        let nats = NatsServer::start()?;
        let dir = tempfile::tempdir()?;
        let mut databases = Vec::new();
        let mut services = Vec::new();
        for name in SERVICES {
            let database_url = match backend {
                Backend::Sqlite => format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join(format!("{name}.db")).display()
                ),
                Backend::Postgres => {
                    let db = PgDatabase::create().await?;
                    let url = db.url.clone();
                    databases.push(db);
                    url
                }
            };
            services.push(Service {
                name,
                port: free_port(),
                admin_port: admin.then(free_port),
                database_url,
                child: None,
                log: dir.path().join(format!("{name}.log")),
            });
        }
        let mut system = System {
            nats,
            services,
            dir,
            _databases: databases,
        };
        for i in 0..system.services.len() {
            system.start_service(i)?;
        }
        system.wait_healthy(Duration::from_secs(60))?;
        Ok(system)
    }

    /// The admin HTTP port of service `name` (the system must have been started with admin
    /// ports).
    pub fn admin_port(&self, name: &str) -> u16 {
        self.services[self.index(name)]
            .admin_port
            .expect("system started with admin ports")
    }

    fn index(&self, name: &str) -> usize {
        self.services
            .iter()
            .position(|s| s.name == name)
            .expect("known service")
    }

    fn start_service(&mut self, i: usize) -> anyhow::Result<()> {
        self.start_service_with(i, &[])
    }

    fn start_service_with(&mut self, i: usize, extra: &[&str]) -> anyhow::Result<()> {
        let nats_url = self.nats.url.clone();
        let s = &mut self.services[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)?;
        let admin: Vec<String> = s
            .admin_port
            .map(|port| vec!["--admin-listen".into(), format!("127.0.0.1:{port}")])
            .unwrap_or_default();
        let child = Command::new(binary(&format!("ogi-{}", s.name)))
            .args([
                "--listen",
                &format!("127.0.0.1:{}", s.port),
                "--database-url",
                &s.database_url,
                "--nats-url",
                &nats_url,
            ])
            .args(admin)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        s.child = Some(child);
        Ok(())
    }

    /// SIGKILL a service (no drain at all).
    pub fn kill(&mut self, name: &str) {
        let i = self.index(name);
        if let Some(mut child) = self.services[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM a service and wait for it to exit; returns how long it took.
    pub fn terminate(&mut self, name: &str) -> anyhow::Result<Duration> {
        let i = self.index(name);
        let Some(mut child) = self.services[i].child.take() else {
            return Ok(Duration::ZERO);
        };
        let start = Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()?;
        child.wait()?;
        Ok(start.elapsed())
    }

    pub fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        let i = self.index(name);
        self.kill(name);
        self.start_service(i)?;
        self.wait_healthy(Duration::from_secs(60))
    }

    /// Restart a service with extra flags (e.g. `--rebuild`).
    pub fn restart_with(&mut self, name: &str, extra: &[&str]) -> anyhow::Result<()> {
        let i = self.index(name);
        self.kill(name);
        self.start_service_with(i, extra)?;
        self.wait_healthy(Duration::from_secs(60))
    }

    /// Poll `ogi status` until every service answers.
    pub fn wait_healthy(&self, deadline: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let out = self.ogi(&["status"]);
            if out.status.success() {
                return Ok(());
            }
            if start.elapsed() > deadline {
                anyhow::bail!(
                    "services not healthy: {}\n{}",
                    String::from_utf8_lossy(&out.stdout),
                    self.logs()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn logs(&self) -> String {
        self.services
            .iter()
            .map(|s| {
                format!(
                    "--- {} ---\n{}",
                    s.name,
                    std::fs::read_to_string(&s.log).unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn endpoint_args(&self) -> Vec<String> {
        self.services
            .iter()
            .flat_map(|s| {
                [
                    format!("--{}", s.name),
                    format!("http://127.0.0.1:{}", s.port),
                ]
            })
            .collect()
    }

    /// Run the `ogi` command against this system.
    pub fn ogi(&self, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.endpoint_args());
        Command::new(binary("ogi"))
            .args(all)
            .output()
            .expect("run ogi")
    }

    /// Start `ogi` in the background (for killing services while it runs).
    pub fn ogi_spawn(&self, args: &[&str]) -> Child {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.endpoint_args());
        Command::new(binary("ogi"))
            .args(all)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ogi")
    }

    /// Messages on a subject in its stream, counted by the server.
    pub async fn count_subject(&self, stream: &str, subject: &str) -> anyhow::Result<u64> {
        let client = async_nats::connect(&self.nats.url).await?;
        let js = async_nats::jetstream::new(client);
        let stream = js.get_stream(stream).await?;
        let info = stream.info_with_subjects(subject).await?;
        use futures::StreamExt;
        let mut total = 0;
        let mut info = info;
        while let Some(Ok((_, n))) = info.next().await {
            total += n as u64;
        }
        Ok(total)
    }
}

impl Drop for System {
    fn drop(&mut self) {
        for s in &mut self.services {
            if let Some(mut child) = s.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

pub fn fixture() -> PathBuf {
    ogi_testkit::workspace_root().join("../shared/fixtures/anju-2024/cases.jsonl")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}
