//! `ogi dev`: the whole system on embedded defaults — SQLite files under the data directory and
//! a nats-server it starts itself unless one is configured — until Ctrl-C.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::endpoints::{self, Endpoints, SERVICES};

pub struct DevOptions {
    pub data_dir: PathBuf,
    pub nats_url: Option<String>,
    pub nats_port: u16,
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

fn sqlite_url(dir: &Path, name: &str) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.join(format!("{name}.db")).display()
    )
}

pub async fn run(
    options: DevOptions,
    endpoints: &Endpoints,
) -> anyhow::Result<std::process::ExitCode> {
    let data_dir = &options.data_dir;
    let is_new = !data_dir.join("intake.db").exists();
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("无法创建数据目录 {}", data_dir.display()))?;
    let data_dir = data_dir.canonicalize()?;
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
    for ((name, service, _), (_, _, addr)) in SERVICES.iter().zip(endpoints.all()) {
        let listen = addr.trim_start_matches("http://").to_string();
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
                "--database-url",
                &sqlite_url(&data_dir, name),
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
        let _ = service;
    }
    let start = tokio::time::Instant::now();
    for (name, service, addr) in endpoints.all() {
        while !endpoints::healthy(addr, service).await {
            anyhow::ensure!(
                start.elapsed() < Duration::from_secs(60),
                "{name} 服务在60秒内未就绪，见 {}",
                data_dir.join(format!("{name}.log")).display()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    sign_in_operator(endpoints, &operator_password).await?;
    println!("ogi 已启动，数据目录 {}", data_dir.display());
    println!(
        "  本机操作员 operator 已登录（凭据目录 {}；密码见 {}）",
        crate::credentials::config_dir().display(),
        data_dir.join("operator-password").display()
    );
    println!("  NATS        {nats_url}");
    for (name, _, addr) in endpoints.all() {
        println!("  {name:<11} {addr}");
    }
    if is_new && let Some(fixture) = &options.load_fixture_if_new {
        println!("新数据目录：导入 {}", fixture.display());
        let clients = endpoints::Clients::new(endpoints).await?;
        let summary = crate::import::import_file(&clients, fixture, true).await?;
        println!("{summary}");
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

/// The local operator's password, kept in the data directory (readable by its owner only) so
/// that `ogi login --username operator` works again later.
fn dev_operator_password(data_dir: &Path) -> anyhow::Result<String> {
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

async fn first_exit(children: &mut [(&'static str, Child)]) -> (&'static str, String) {
    loop {
        for (name, child) in children.iter_mut() {
            if let Ok(Some(status)) = child.try_wait() {
                return (name, status.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
