//! A whole ogi system for a test: a private nats-server, the service binaries on free ports
//! (accounts first), each with its own SQLite file or PostgreSQL database, and the `ogi`
//! command pointed at them, signed in as the all-roles local operator of dev mode (its
//! credential under the system's own `OGI_CONFIG_DIR`). Everything is stopped and removed on
//! drop.
//!
//! [`System::start_on`] runs the services on a NATS the test provides (a
//! [`ogi_testkit::NatsCluster`], say) instead of a private nats-server.

pub mod dev;
pub mod scrape;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ogi_testkit::{NatsServer, PgDatabase, binary, free_port};

pub const SERVICES: [&str; 6] = [
    "accounts",
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

/// The NATS a system runs on: its own [`NatsServer`] ([`System::start`]) or servers the test
/// provides ([`System::start_on`]).
///
/// Dereferences to the private [`NatsServer`], so `system.nats.restart()` works as before;
/// that panics on a system started with [`System::start_on`], which has none.
pub struct Nats {
    /// The NATS URL, or comma-separated URLs on a system started with [`System::start_on`].
    pub url: String,
    server: Option<NatsServer>,
}

impl Nats {
    /// The private server, if the system started one.
    pub fn server(&mut self) -> Option<&mut NatsServer> {
        self.server.as_mut()
    }

    /// The URLs, one per server.
    pub fn urls(&self) -> Vec<&str> {
        self.url
            .split(',')
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .collect()
    }
}

impl std::ops::Deref for Nats {
    type Target = NatsServer;

    fn deref(&self) -> &NatsServer {
        self.server
            .as_ref()
            .expect("this system runs on external NATS (System::start_on): no private server")
    }
}

impl std::ops::DerefMut for Nats {
    fn deref_mut(&mut self) -> &mut NatsServer {
        self.server
            .as_mut()
            .expect("this system runs on external NATS (System::start_on): no private server")
    }
}

/// Adds `authorization: Bearer <token>` to every call.
#[derive(Clone)]
pub struct Bearer(tonic::metadata::MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

/// A channel carrying a token.
pub type Authed =
    tonic::service::interceptor::InterceptedService<tonic::transport::Channel, Bearer>;

pub struct System {
    pub nats: Nats,
    pub services: Vec<Service>,
    pub dir: tempfile::TempDir,
    /// The `--config` file every service gets, on a system started with extra configuration.
    config: Option<PathBuf>,
    /// The local operator's password (dev mode).
    pub operator_password: String,
    _databases: Vec<PgDatabase>,
}

impl System {
    pub async fn start(backend: Backend) -> anyhow::Result<System> {
        Self::start_with(backend, false, None).await
    }

    /// Like [`System::start`], every service reading `config` (TOML, e.g. an agency
    /// hierarchy) as its `--config` file.
    pub async fn start_with_config(backend: Backend, config: &str) -> anyhow::Result<System> {
        Self::start_with(backend, false, Some(config)).await
    }

    /// Like [`System::start`], every service also serving its admin endpoints (`/livez`,
    /// `/readyz`, `/metrics`) on a free port: see [`System::admin_port`].
    pub async fn start_with_admin(backend: Backend) -> anyhow::Result<System> {
        Self::start_with(backend, true, None).await
    }

    /// Like [`System::start`], on NATS servers the test runs (`nats_urls`, comma-separated,
    /// e.g. [`ogi_testkit::NatsCluster::urls`]) instead of a private nats-server, every service
    /// reading `extra_config` (TOML, e.g. `stream_replicas = 3`) as its `--config` file.
    ///
    /// A service's `--nats-url` takes one URL (async-nats parses it as a single address), so
    /// the services are spread over the URLs in turn: service `i` gets URL `i mod n`. Each
    /// learns the other cluster members from its server's INFO and fails over to them. The
    /// first service starts alone and declares the streams before the others start.
    pub async fn start_on(
        backend: Backend,
        nats_urls: String,
        extra_config: Option<&str>,
    ) -> anyhow::Result<System> {
        let nats = Nats {
            url: nats_urls,
            server: None,
        };
        anyhow::ensure!(!nats.urls().is_empty(), "no NATS URL given");
        Self::start_all(backend, false, nats, extra_config).await
    }

    async fn start_with(
        backend: Backend,
        admin: bool,
        config: Option<&str>,
    ) -> anyhow::Result<System> {
        let server = NatsServer::start()?;
        let nats = Nats {
            url: server.url.clone(),
            server: Some(server),
        };
        Self::start_all(backend, admin, nats, config).await
    }

    async fn start_all(
        backend: Backend,
        admin: bool,
        nats: Nats,
        extra_config: Option<&str>,
    ) -> anyhow::Result<System> {
        let external = nats.server.is_none();
        let dir = tempfile::tempdir()?;
        let config = extra_config.map(|text| write(dir.path(), "services.toml", text));
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
            config,
            operator_password: format!("Dev-{}", uuid::Uuid::now_v7().simple()),
            _databases: databases,
        };
        let first = if external {
            // Clustered JetStream answers only one of several concurrent creates of the same
            // stream; the other creators' requests time out, and a service whose stream
            // declaration fails exits at start. So on external NATS (a cluster) the first
            // service declares the streams alone; the others then find them.
            system.start_service(0)?;
            system.wait_streams_declared(0, Duration::from_secs(60))?;
            1
        } else {
            0
        };
        for i in first..system.services.len() {
            system.start_service(i)?;
        }
        system.wait_healthy(Duration::from_secs(60))?;
        system.sign_in_operator()?;
        Ok(system)
    }

    /// Sign the system's `ogi` in as the local operator, as `ogi dev` does.
    pub fn sign_in_operator(&self) -> anyhow::Result<()> {
        let out = self.ogi_with_stdin(
            &self.operator_config_dir(),
            &["login", "--username", "operator", "--password-stdin"],
            &format!("{}\n", self.operator_password),
        );
        anyhow::ensure!(
            out.status.success(),
            "operator sign-in failed: {}{}\n{}",
            stdout(&out),
            stderr(&out),
            self.logs()
        );
        Ok(())
    }

    /// Register an agency in the registry as the local operator (commands for an agency not
    /// registered are refused).
    pub fn register_agency(&self, name: &str) {
        let out = self.ogi(&["admin", "agency", "add", name]);
        assert!(
            out.status.success() || stderr(&out).contains("已登记"),
            "{}{}",
            stdout(&out),
            stderr(&out)
        );
    }

    /// The local operator's current access token (from the credential `ogi` keeps).
    pub fn operator_token(&self) -> String {
        let text = std::fs::read_to_string(self.operator_config_dir().join("credentials.json"))
            .expect("the operator's credential");
        let credential: serde_json::Value = serde_json::from_str(&text).expect("credential JSON");
        credential["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }

    /// A channel to service `name` whose calls carry the local operator's token, for tests
    /// that call the gRPC API directly.
    pub fn operator_channel(&self, name: &str) -> Authed {
        let service = &self.services[self.index(name)];
        let channel =
            tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{}", service.port))
                .expect("endpoint")
                .connect_lazy();
        let value = format!("Bearer {}", self.operator_token())
            .parse()
            .expect("token as metadata");
        tonic::service::interceptor::InterceptedService::new(channel, Bearer(value))
    }

    /// The `OGI_CONFIG_DIR` of the local operator's credential.
    pub fn operator_config_dir(&self) -> PathBuf {
        self.dir.path().join("ogi-config")
    }

    /// The accounts service's address.
    pub fn accounts_url(&self) -> String {
        format!(
            "http://127.0.0.1:{}",
            self.services[self.index("accounts")].port
        )
    }

    /// Waits until service `i` has logged that its storage and bus are ready (its streams are
    /// declared); fails with its log if it exits first.
    fn wait_streams_declared(&mut self, i: usize, deadline: Duration) -> anyhow::Result<()> {
        let start = Instant::now();
        loop {
            let s = &mut self.services[i];
            let log = std::fs::read_to_string(&s.log).unwrap_or_default();
            if log.contains("service storage and bus ready") {
                return Ok(());
            }
            if let Some(child) = s.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                anyhow::bail!("{} exited at start ({status}):\n{log}", s.name);
            }
            if start.elapsed() > deadline {
                anyhow::bail!("{} did not declare its streams:\n{log}", s.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The admin HTTP port of service `name` (the system must have been started with admin
    /// ports).
    pub fn admin_port(&self, name: &str) -> u16 {
        self.services[self.index(name)]
            .admin_port
            .expect("system started with admin ports")
    }

    /// The gRPC port of the service that serves `service` (`IntakeService` → intake).
    pub fn port_of(&self, service: &str) -> u16 {
        let short = service.trim_end_matches("Service").to_lowercase();
        self.services
            .iter()
            .find(|s| s.name == short)
            .unwrap_or_else(|| panic!("no service for {service}"))
            .port
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
        let nats_url = self.nats_url_of(i);
        let config: Vec<String> = self
            .config
            .iter()
            .flat_map(|path| ["--config".to_owned(), path.display().to_string()])
            .collect();
        let accounts_url = self.accounts_url();
        let operator_password = self.operator_password.clone();
        let s = &mut self.services[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&s.log)?;
        let admin: Vec<String> = s
            .admin_port
            .map(|port| vec!["--admin-listen".into(), format!("127.0.0.1:{port}")])
            .unwrap_or_default();
        let mut command = Command::new(binary(&format!("ogi-{}", s.name)));
        if s.name == "accounts" {
            command
                .arg("--dev-operator")
                .env("OGI_DEV_OPERATOR_PASSWORD", &operator_password);
        }
        let child = command
            .args([
                "--accounts-url",
                &accounts_url,
                "--listen",
                &format!("127.0.0.1:{}", s.port),
                "--database-url",
                &s.database_url,
                "--nats-url",
                &nats_url,
            ])
            .args(admin)
            .args(config)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        s.child = Some(child);
        Ok(())
    }

    /// The one NATS URL service `i` is given: the URLs in turn.
    fn nats_url_of(&self, i: usize) -> String {
        let urls = self.nats.urls();
        urls[i % urls.len()].to_owned()
    }

    /// The `--nats-url` service `name` runs with.
    pub fn nats_url(&self, name: &str) -> String {
        self.nats_url_of(self.index(name))
    }

    /// A JetStream context on the system's NATS, connected to any of its URLs (so it works
    /// while one node of a cluster is down).
    /// With user names and passwords in the URLs (a server with authentication), it signs in
    /// as the first URL's user.
    pub async fn jetstream(&self) -> anyhow::Result<async_nats::jetstream::Context> {
        let addrs = self
            .nats
            .urls()
            .iter()
            .map(|u| u.parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()?;
        let mut options = async_nats::ConnectOptions::new();
        if let Some(addr) = addrs.iter().find(|a| a.has_user_pass()) {
            options = options.user_and_password(
                addr.username().unwrap_or_default().to_string(),
                addr.password().unwrap_or_default().to_string(),
            );
        }
        let client = options.connect(addrs).await?;
        Ok(async_nats::jetstream::new(client))
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

    /// Run the `ogi` command against this system, signed in as the local operator.
    pub fn ogi(&self, args: &[&str]) -> Output {
        self.ogi_in(&self.operator_config_dir(), args)
    }

    /// Run `ogi` with the credential under `config_dir` (another user's `OGI_CONFIG_DIR`).
    pub fn ogi_in(&self, config_dir: &Path, args: &[&str]) -> Output {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.endpoint_args());
        Command::new(binary("ogi"))
            .args(all)
            .env("OGI_CONFIG_DIR", config_dir)
            .output()
            .expect("run ogi")
    }

    /// Run `ogi` under `config_dir` with `input` on its standard input.
    pub fn ogi_with_stdin(&self, config_dir: &Path, args: &[&str], input: &str) -> Output {
        use std::io::Write;
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.endpoint_args());
        let mut child = Command::new(binary("ogi"))
            .args(all)
            .env("OGI_CONFIG_DIR", config_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ogi");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("run ogi")
    }

    /// Add a user as the local operator (initial password `Initial-Pass-2024`) and sign them
    /// in under their own `OGI_CONFIG_DIR` (returned), changing the initial password to
    /// [`CHANGED_PASSWORD`].
    pub fn add_user_signed_in(&self, username: &str, agency: &str, roles: &[&str]) -> PathBuf {
        let mut args = vec![
            "admin",
            "user",
            "add",
            "--username",
            username,
            "--agency",
            agency,
            "--password-stdin",
        ];
        for role in roles {
            args.extend(["--role", role]);
        }
        let out = self.ogi_with_stdin(&self.operator_config_dir(), &args, "Initial-Pass-2024\n");
        assert!(
            out.status.success(),
            "user add {username}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        let dir = self.dir.path().join(format!("config-{username}"));
        let out = self.ogi_with_stdin(
            &dir,
            &["login", "--username", username, "--password-stdin"],
            &format!("Initial-Pass-2024\n{CHANGED_PASSWORD}\n"),
        );
        assert!(
            out.status.success() && stdout(&out).contains("已登录"),
            "login {username}: {}{}",
            stdout(&out),
            stderr(&out)
        );
        dir
    }

    /// `ogi audit list --format json` (with `filters`) as the auditor signed in under
    /// `auditor`, polled until `done` holds of the entries or `deadline` passes; the last list.
    pub fn audit_until(
        &self,
        auditor: &Path,
        filters: &[&str],
        deadline: Duration,
        done: impl Fn(&[serde_json::Value]) -> bool,
    ) -> Vec<serde_json::Value> {
        let start = Instant::now();
        let mut args = vec!["audit", "list", "--format", "json"];
        args.extend(filters);
        loop {
            let out = self.ogi_in(auditor, &args);
            assert!(
                out.status.success(),
                "audit list: {}{}",
                stdout(&out),
                stderr(&out)
            );
            let entries: Vec<serde_json::Value> =
                serde_json::from_str(&stdout(&out)).expect("audit list JSON");
            if done(&entries) || start.elapsed() > deadline {
                return entries;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Start a stopped service again without waiting for the system to be healthy (when
    /// another service is still down).
    pub fn start_again(&mut self, name: &str) -> anyhow::Result<()> {
        let i = self.index(name);
        anyhow::ensure!(self.services[i].child.is_none(), "{name} is running");
        self.start_service(i)
    }

    /// Start `ogi` in the background (for killing services while it runs).
    pub fn ogi_spawn(&self, args: &[&str]) -> Child {
        let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        all.extend(self.endpoint_args());
        Command::new(binary("ogi"))
            .args(all)
            .env("OGI_CONFIG_DIR", self.operator_config_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ogi")
    }

    /// Poll a subject's count until it reaches `expected` or `deadline` passes; the last count.
    /// A count above `expected` returns at once (something was applied twice).
    pub async fn wait_for_count(
        &self,
        stream: &str,
        subject: &str,
        expected: u64,
        deadline: Duration,
    ) -> u64 {
        let start = Instant::now();
        loop {
            let n = self.count_subject(stream, subject).await.unwrap_or(0);
            if n >= expected || start.elapsed() > deadline {
                return n;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Finish an import that a restarted service interrupted: wait for the first run, run the
    /// same file again (it resumes; nothing is applied twice) and insist that it succeeds,
    /// then wait until `cases` replies are served. Returns how many are.
    pub async fn finish_import(&self, mut first: Child, path: &Path, cases: u64) -> u64 {
        let status = first.wait().unwrap();
        let printed = first
            .stdout
            .take()
            .map(|out| std::io::read_to_string(out).unwrap_or_default())
            .unwrap_or_default();
        let out = self.ogi(&["import", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "first: {status} {printed}\nsecond: {}\n{}\n{}",
            stdout(&out),
            stderr(&out),
            self.logs()
        );
        self.wait_for_count(
            "OGI_PUBLISHING",
            "ogi.publishing.reply.served",
            cases,
            Duration::from_secs(60),
        )
        .await
    }

    /// Messages on a subject in its stream, counted by the server.
    pub async fn count_subject(&self, stream: &str, subject: &str) -> anyhow::Result<u64> {
        let js = self.jetstream().await?;
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

/// Every method of every ogi service in the descriptor set, as (service name, gRPC path):
/// `("IntakeService", "/ogi.v1.IntakeService/SubmitApplication")`.
pub fn every_rpc() -> Vec<(String, String)> {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(ogi_proto::FILE_DESCRIPTOR_SET)
        .expect("the descriptor set");
    let mut out = Vec::new();
    for file in &set.file {
        for service in &file.service {
            let name = service.name();
            for method in &service.method {
                out.push((
                    name.to_string(),
                    format!("/{}.{name}/{}", file.package(), method.name()),
                ));
            }
        }
    }
    out
}

/// The password [`System::add_user_signed_in`] sets at the first sign-in.
pub const CHANGED_PASSWORD: &str = "Changed-Pass-2025!";

pub fn fixture() -> PathBuf {
    ogi_testkit::workspace_root().join("examples/anju-2024/cases.jsonl")
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
