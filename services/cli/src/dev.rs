//! `ogi dev`: the whole system on one machine — SQLite files under the data directory, or a
//! database per service on a PostgreSQL server (`--postgres`), and a nats-server it starts
//! itself unless one is given (`--nats-url`) — until Ctrl-C. Every service also serves its
//! admin endpoints (`/livez`, `/readyz`, `/metrics`) on loopback, as on Kubernetes.

mod storage;

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio::process::{Child, Command};

use crate::endpoints::{self, Endpoints, SERVICES};
use storage::{Postgres, Storage};

/// The admin ports of intake, validation, approval, publishing and reporting by default.
const DEFAULT_ADMIN_PORTS: [u16; 6] = [9096, 9091, 9092, 9093, 9094, 9095];

/// Where the web console (办理平台) listens by default.
const DEFAULT_CONSOLE_PORT: u16 = 8080;

#[derive(Debug, Args)]
pub struct DevArgs {
    /// 数据目录（SQLite 数据文件、自带 nats-server 的存储、各服务日志）
    #[arg(long, default_value = ".ogi-data")]
    pub data_dir: PathBuf,
    /// 使用已有的 NATS（不自行启动 nats-server），如 nats://127.0.0.1:4222
    #[arg(long, env = "OGI_NATS_URL")]
    pub nats_url: Option<String>,
    /// 自行启动的 nats-server 端口
    #[arg(long, default_value_t = 14222)]
    pub nats_port: u16,
    /// 改用 PostgreSQL：postgres://用户@主机:端口，每个服务一个数据库，不存在时自动创建
    #[arg(long, value_name = "URL")]
    pub postgres: Option<String>,
    /// 使用 PostgreSQL 时的数据库名前缀（ogi_ → ogi_intake、ogi_validation……）
    #[arg(long, default_value = "ogi_", requires = "postgres")]
    pub database_prefix: String,
    /// 各服务管理端点（/livez、/readyz、/metrics）在 127.0.0.1 上的端口，依次为账户、登记、审核、办理审批、答复送达、年度报告服务
    #[arg(long, value_delimiter = ',', default_values_t = DEFAULT_ADMIN_PORTS)]
    pub admin_ports: Vec<u16>,
    /// 办理平台（网页）在 127.0.0.1 上的端口
    #[arg(long, default_value_t = DEFAULT_CONSOLE_PORT)]
    pub console_port: u16,
    /// 数据为新建时导入的案件记录文件（同一目录下有 catalogue.jsonl 时一并导入主动公开目录）
    #[arg(long)]
    pub load_fixture_if_new: Option<PathBuf>,
}

/// A nats-server ≥ 2.10: OGI_NATS_SERVER, then .tools/bin beside the workspace, then PATH.
fn find_nats_server() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("OGI_NATS_SERVER") {
        return Ok(PathBuf::from(p));
    }
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1) {
            candidates.push(dir.join(".tools/bin/nats-server"));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path).map(|d| d.join("nats-server")));
    }
    candidates.into_iter().find(|c| c.is_file()).context(
        "找不到 nats-server（需要 2.10 以上版本）：请运行 make tools 或设置 OGI_NATS_SERVER",
    )
}

fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name(name);
    anyhow::ensure!(
        path.is_file(),
        "找不到服务程序 {}：请先运行 cargo build --workspace --bins",
        path.display()
    );
    Ok(path)
}

async fn wait_port(port: u16, deadline: Duration) -> anyhow::Result<()> {
    let start = tokio::time::Instant::now();
    while start.elapsed() < deadline {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("端口 {port} 在 {deadline:?} 内没有就绪")
}

pub async fn run(
    options: DevArgs,
    endpoints: &Endpoints,
) -> anyhow::Result<std::process::ExitCode> {
    anyhow::ensure!(
        options.admin_ports.len() == SERVICES.len(),
        "--admin-ports：应依次给出{}个端口（账户、登记、审核、办理审批、答复送达、年度报告服务），收到{}个",
        SERVICES.len(),
        options.admin_ports.len()
    );
    // Options are checked before anything is created.
    let postgres = options
        .postgres
        .as_deref()
        .map(|url| Postgres::new(url, &options.database_prefix))
        .transpose()?;
    let data_dir = &options.data_dir;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("无法创建数据目录 {}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize()?;
    let storage = match postgres {
        Some(pg) => Storage::Postgres(pg),
        None => Storage::sqlite(&data_dir),
    };
    let mut children: Vec<(&str, Child)> = Vec::new();

    let nats_url = match &options.nats_url {
        Some(url) => url.clone(),
        None => {
            let server = find_nats_server()?;
            let store = data_dir.join("nats");
            let child = Command::new(&server)
                .args([
                    "-a",
                    "127.0.0.1",
                    "-p",
                    &options.nats_port.to_string(),
                    "-js",
                    "--store_dir",
                ])
                .arg(&store)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(data_dir.join("nats-server.log"))?)
                .kill_on_drop(true)
                .spawn()
                .with_context(|| format!("无法启动 {}", server.display()))?;
            children.push(("nats-server", child));
            wait_port(options.nats_port, Duration::from_secs(10)).await?;
            format!("nats://127.0.0.1:{}", options.nats_port)
        }
    };

    let operator_password = dev_operator_password(&data_dir)?;
    let mut is_new = false;
    let mut admin_addrs = Vec::new();
    for (((name, _, _), (_, _, addr)), admin_port) in SERVICES
        .iter()
        .zip(endpoints.all())
        .zip(&options.admin_ports)
    {
        let database = storage.prepare(name).await?;
        // The fixture is loaded when intake's data is new.
        if *name == "intake" {
            is_new = database.created;
        }
        let listen = addr.trim_start_matches("http://").to_string();
        let admin_listen = format!("127.0.0.1:{admin_port}");
        let log = std::fs::File::create(data_dir.join(format!("{name}.log")))?;
        let mut command = Command::new(sibling_binary(&format!("ogi-{name}"))?);
        if *name == "accounts" {
            // The all-roles local operator exists only in dev mode.
            command
                .arg("--dev-operator")
                .env("OGI_DEV_OPERATOR_PASSWORD", &operator_password);
        }
        let child = command
            .args([
                "--listen",
                &listen,
                "--admin-listen",
                &admin_listen,
                "--database-url",
                &database.url,
                "--nats-url",
                &nats_url,
                "--accounts-url",
                &endpoints.accounts,
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        children.push((name, child));
        admin_addrs.push(format!("http://{admin_listen}"));
    }
    let start = tokio::time::Instant::now();
    for (name, service, addr) in endpoints.all() {
        while !endpoints::healthy(addr, service).await {
            none_exited(&data_dir, &mut children)?;
            anyhow::ensure!(
                start.elapsed() < Duration::from_secs(60),
                "{name} 服务在60秒内未就绪，见 {}",
                data_dir.join(format!("{name}.log")).display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let console = start_console(&data_dir, endpoints, options.console_port)?;
    children.push(("console", console));
    wait_console(&data_dir, &mut children, options.console_port).await?;
    sign_in_operator(endpoints, &operator_password).await?;
    println!("ogi 已启动，数据目录 {}", data_dir.display());
    println!(
        "  本机操作员 operator 已登录（凭据目录 {}；密码见 {}）",
        crate::credentials::config_dir().display(),
        data_dir.join("operator-password").display()
    );
    println!("  NATS        {nats_url}");
    if let Some(databases) = storage.describe() {
        println!("  PostgreSQL  {databases}");
    }
    for ((name, _, addr), admin) in endpoints.all().into_iter().zip(&admin_addrs) {
        println!("  {name:<11} {addr:<24} 管理 {admin}");
    }
    println!(
        "  {:<11} http://127.0.0.1:{}",
        "console", options.console_port
    );
    println!(
        "办理平台：在浏览器中打开 http://127.0.0.1:{}，用 ogi admin user add 建立的账户登录",
        options.console_port
    );
    println!(
        "管理端点：/livez 存活、/readyz 就绪、/metrics 指标（Prometheus），如 curl {}/metrics",
        admin_addrs[0]
    );
    if is_new && let Some(fixture) = &options.load_fixture_if_new {
        println!("新数据目录：导入 {}", fixture.display());
        let clients = endpoints::Clients::new(endpoints).await?;
        let summary = crate::import::import_file(&clients, fixture, true).await?;
        println!("{summary}");
        // The agency's proactive-disclosure catalogue, when the fixture has one beside it.
        let catalogue = fixture.with_file_name("catalogue.jsonl");
        if catalogue.is_file() {
            println!("导入主动公开目录 {}", catalogue.display());
            match crate::catalogue_cmd::import_file(&clients, &catalogue, "ogi dev").await? {
                Ok(summary) => println!("{summary}"),
                Err(errors) => anyhow::bail!(
                    "{} 有误，未导入：{}",
                    catalogue.display(),
                    errors.join("；")
                ),
            }
        }
    }
    println!("按 Ctrl-C 停止。");

    let cancel = tokio_util_like_signal();
    tokio::select! {
        _ = cancel => {}
        (name, status) = first_exit(&mut children) => {
            eprintln!("{name} 意外退出（{status}），正在停止其余服务");
        }
    }
    for (name, child) in children.iter_mut().rev() {
        if let Some(pid) = child.id() {
            // SIGTERM first: services drain and exit.
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        match tokio::time::timeout(Duration::from_secs(25), child.wait()).await {
            Ok(_) => {}
            Err(_) => {
                eprintln!("{name} 未在宽限期内退出，强制结束");
                let _ = child.kill().await;
            }
        }
    }
    println!("ogi 已停止。");
    Ok(std::process::ExitCode::SUCCESS)
}

/// The web console, on loopback, calling the services at their addresses.
fn start_console(
    data_dir: &std::path::Path,
    endpoints: &Endpoints,
    port: u16,
) -> anyhow::Result<Child> {
    let log = std::fs::File::create(data_dir.join("console.log"))?;
    let mut command = Command::new(sibling_binary("ogi-console")?);
    command.args(["--listen", &format!("127.0.0.1:{port}")]);
    for (name, _, addr) in endpoints.all() {
        command.arg(format!("--{name}")).arg(addr);
    }
    Ok(command
        .stdout(Stdio::null())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()?)
}

/// Wait until the console accepts connections; a console that exits (its port taken, say)
/// stops `ogi dev` with the last line of its log.
async fn wait_console(
    data_dir: &std::path::Path,
    children: &mut [(&'static str, Child)],
    port: u16,
) -> anyhow::Result<()> {
    let start = tokio::time::Instant::now();
    loop {
        none_exited(data_dir, children)?;
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(30),
            "办理平台在30秒内未就绪，见 {}",
            data_dir.join("console.log").display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The local operator's password, kept in the data directory (readable by its owner only) so
/// that `ogi login --username operator` works again later.
fn dev_operator_password(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let path = data_dir.join("operator-password");
    if let Ok(text) = std::fs::read_to_string(&path)
        && !text.trim().is_empty()
    {
        return Ok(text.trim().to_string());
    }
    let password = format!("Dev-{}", uuid::Uuid::now_v7().simple());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(&path)
        .with_context(|| format!("无法写入 {}", path.display()))?
        .write_all(password.as_bytes())?;
    Ok(password)
}

/// Sign the CLI in as the local operator (as kind writes a kubeconfig).
async fn sign_in_operator(endpoints: &Endpoints, password: &str) -> anyhow::Result<()> {
    let clients = endpoints::Clients::anonymous(endpoints)?;
    let response = clients
        .accounts
        .clone()
        .login(ogi_proto::v1::LoginRequest {
            username: "operator".into(),
            password: password.into(),
        })
        .await
        .map_err(|s| anyhow::anyhow!("本机操作员登录失败：{}", s.message()))?
        .into_inner();
    crate::credentials::save(&crate::credentials::Credential {
        username: "operator".into(),
        accounts: endpoints.accounts.clone(),
        access_token: response.access_token,
        access_expires_at: response.access_expires_at,
        session_token: response.session_token,
        session_expires_at: response.session_expires_at,
    })
}

async fn tokio_util_like_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// While starting: an error naming a child that has exited and its log's last line.
fn none_exited(
    data_dir: &std::path::Path,
    children: &mut [(&'static str, Child)],
) -> anyhow::Result<()> {
    if let Some((exited, status)) = exited(children) {
        let log = data_dir.join(format!("{exited}.log"));
        let last = std::fs::read_to_string(&log).unwrap_or_default();
        let last = last.lines().last().unwrap_or_default().to_string();
        anyhow::bail!(
            "{exited} 启动失败（{status}），见 {}：{last}",
            log.display()
        );
    }
    Ok(())
}

/// A child that has exited, if any.
fn exited(children: &mut [(&'static str, Child)]) -> Option<(&'static str, String)> {
    children
        .iter_mut()
        .find_map(|(name, child)| match child.try_wait() {
            Ok(Some(status)) => Some((*name, status.to_string())),
            _ => None,
        })
}

async fn first_exit(children: &mut [(&'static str, Child)]) -> (&'static str, String) {
    loop {
        if let Some(exit) = exited(children) {
            return exit;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
