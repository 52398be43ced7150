//! A private three-node (or n-node) NATS cluster with clustered JetStream for one test.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tempfile::TempDir;

use crate::free_port;
use crate::nats::{greets, nats_server_binary, read_from};

/// The cluster name every node is started with.
pub const CLUSTER_NAME: &str = "ogi";
/// How long to wait for one started node to accept clients.
const READY_DEADLINE: Duration = Duration::from_secs(10);
/// How long to wait for JetStream to be served by the whole cluster (a meta leader elected,
/// every node current, a replicated stream placeable).
const JETSTREAM_DEADLINE: Duration = Duration::from_secs(45);
/// How many fresh sets of ports `start` tries when a port was taken meanwhile.
const START_ATTEMPTS: usize = 3;
/// The stream `start` creates (and deletes) to prove that replicated streams can be placed.
const PROBE_STREAM: &str = "OGI_TESTKIT_CLUSTER_PROBE";

/// `n` `nats-server -js` processes on 127.0.0.1 routed into one cluster ([`CLUSTER_NAME`]),
/// named `node0` … `node<n-1>`, each with its own client, cluster and monitoring port and its
/// own store directory.
///
/// [`NatsCluster::start`] returns once JetStream is served: a meta leader is elected, every
/// node reports healthy, and a stream with `n` replicas can be created. Dropping the cluster
/// kills every node (SIGKILL), waits for them and removes the directory. [`NatsCluster::kill`]
/// and [`NatsCluster::restart`] crash and revive single nodes; ports and stores survive.
pub struct NatsCluster {
    nodes: Vec<Node>,
    binary: PathBuf,
    // Dropped last (fields drop in declaration order), after the processes are dead.
    dir: TempDir,
}

struct Node {
    name: String,
    port: u16,
    cluster_port: u16,
    monitor_port: u16,
    store_dir: PathBuf,
    log_path: PathBuf,
    child: Option<Child>,
}

impl Node {
    fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Errors mean it has already exited; wait() reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl NatsCluster {
    /// Finds nats-server like [`crate::NatsServer::start`] does, starts `n` routed nodes with
    /// JetStream on free ports and waits until the cluster serves JetStream with `n` replicas.
    pub fn start(n: usize) -> anyhow::Result<NatsCluster> {
        if n == 0 {
            bail!("a NATS cluster needs at least one node");
        }
        let binary = nats_server_binary()?;
        let dir = tempfile::Builder::new()
            .prefix("ogi-nats-cluster-")
            .tempdir()
            .context("create a temporary directory for the NATS cluster")?;
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let name = format!("node{i}");
            let store_dir = dir.path().join(&name).join("store");
            std::fs::create_dir_all(&store_dir)
                .with_context(|| format!("create the JetStream store directory of {name}"))?;
            nodes.push(Node {
                log_path: dir.path().join(&name).join("nats-server.log"),
                name,
                port: 0,
                cluster_port: 0,
                monitor_port: 0,
                store_dir,
                child: None,
            });
        }
        let mut cluster = NatsCluster { nodes, binary, dir };

        let mut last_err = None;
        for _ in 0..START_ATTEMPTS {
            cluster.assign_ports();
            match cluster.spawn_all() {
                Ok(()) => {
                    last_err = None;
                    break;
                }
                Err(err) => {
                    cluster.kill_all();
                    // Another process may have taken a port between free_port() and the
                    // server's bind: try a fresh set.
                    let taken = (0..n).any(|i| {
                        read_from(&cluster.nodes[i].log_path, 0).contains("address already in use")
                    });
                    if !taken {
                        return Err(err);
                    }
                    last_err = Some(err);
                }
            }
        }
        if let Some(err) = last_err {
            return Err(err);
        }
        cluster
            .wait_jetstream()
            .with_context(|| format!("the cluster's logs:\n{}", cluster.logs()))?;
        Ok(cluster)
    }

    /// The number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Always false: a cluster has at least one node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every node's client URL, comma-separated (`nats://127.0.0.1:P0,nats://127.0.0.1:P1,…`).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(Node::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Node `i`'s client URL.
    pub fn url(&self, i: usize) -> String {
        self.nodes[i].url()
    }

    /// Node `i`'s server name (`node<i>`), as JetStream reports it (e.g. a stream's leader).
    pub fn server_name(&self, i: usize) -> &str {
        &self.nodes[i].name
    }

    /// The index of the node with server name `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.nodes.iter().position(|node| node.name == name)
    }

    /// Node `i`'s monitoring port (`/healthz`, `/jsz`, `/varz` …).
    pub fn monitor_port(&self, i: usize) -> u16 {
        self.nodes[i].monitor_port
    }

    /// Node `i`'s JetStream store directory (kept across [`NatsCluster::restart`]).
    pub fn store_dir(&self, i: usize) -> &Path {
        &self.nodes[i].store_dir
    }

    /// The file that receives node `i`'s stdout and stderr.
    pub fn log_path(&self, i: usize) -> &Path {
        &self.nodes[i].log_path
    }

    /// Every node's log, each under a `--- node<i> ---` header.
    pub fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|node| format!("--- {} ---\n{}", node.name, read_from(&node.log_path, 0)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Whether node `i` is running (not killed, not exited).
    pub fn is_running(&mut self, i: usize) -> bool {
        matches!(
            self.nodes[i].child.as_mut().map(Child::try_wait),
            Some(Ok(None))
        )
    }

    /// Kills node `i` (SIGKILL, like a crash) and waits for it to exit. Does nothing when it
    /// is already stopped.
    pub fn kill(&mut self, i: usize) {
        self.nodes[i].kill();
    }

    /// Stops node `i` if it runs, starts it again with the same ports and store, and waits
    /// until it accepts clients and reports healthy (`/healthz`: in contact with a meta leader
    /// and its JetStream assets caught up).
    pub fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        self.nodes[i].kill();
        let result = self
            .spawn(i)
            .and_then(|offset| self.wait_ready(i, offset))
            .and_then(|()| self.wait_healthy(i, JETSTREAM_DEADLINE));
        result.inspect_err(|_| self.nodes[i].kill())
    }

    fn assign_ports(&mut self) {
        let mut used = std::collections::BTreeSet::new();
        let mut fresh = || loop {
            let port = free_port();
            if used.insert(port) {
                return port;
            }
        };
        for node in &mut self.nodes {
            node.port = fresh();
            node.cluster_port = fresh();
            node.monitor_port = fresh();
        }
    }

    fn spawn_all(&mut self) -> anyhow::Result<()> {
        let mut offsets = Vec::with_capacity(self.nodes.len());
        for i in 0..self.nodes.len() {
            offsets.push(self.spawn(i)?);
        }
        for (i, offset) in offsets.into_iter().enumerate() {
            self.wait_ready(i, offset)?;
        }
        Ok(())
    }

    /// Spawns node `i`; returns the offset of its log where this run's output begins.
    fn spawn(&mut self, i: usize) -> anyhow::Result<u64> {
        let routes = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, node)| format!("nats://127.0.0.1:{}", node.cluster_port))
            .collect::<Vec<_>>()
            .join(",");
        let node = &self.nodes[i];
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log_path)
            .with_context(|| format!("open {}", node.log_path.display()))?;
        let log_offset = log.metadata().map(|m| m.len()).unwrap_or(0);
        let mut command = Command::new(&self.binary);
        command
            .args(["-a", "127.0.0.1", "-p", &node.port.to_string()])
            .args(["-n", &node.name])
            .args(["-m", &node.monitor_port.to_string()])
            .args(["-js", "--store_dir"])
            .arg(&node.store_dir)
            .args(["--cluster_name", CLUSTER_NAME])
            .args([
                "--cluster",
                &format!("nats://127.0.0.1:{}", node.cluster_port),
            ]);
        if !routes.is_empty() {
            command.args(["--routes", &routes]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone().context("clone the log file handle")?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawn {} as {}", self.binary.display(), node.name))?;
        self.nodes[i].child = Some(child);
        Ok(log_offset)
    }

    /// Polls until node `i` has logged that it is ready and greets a fresh client connection.
    fn wait_ready(&mut self, i: usize, log_offset: u64) -> anyhow::Result<()> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.nodes[i].port));
        let started = Instant::now();
        let mut pause = Duration::from_millis(2);
        loop {
            let node = &mut self.nodes[i];
            if let Some(child) = node.child.as_mut()
                && let Some(status) = child.try_wait().context("check nats-server")?
            {
                bail!(
                    "nats-server {} exited during startup ({status}); its log:\n{}",
                    node.name,
                    read_from(&node.log_path, log_offset)
                );
            }
            // "Server is ready" in our own log proves that our process owns the port; the
            // greeting proves that it serves clients.
            if read_from(&node.log_path, log_offset).contains("Server is ready") && greets(addr) {
                return Ok(());
            }
            if started.elapsed() >= READY_DEADLINE {
                bail!(
                    "nats-server {} did not accept clients on {addr} within {READY_DEADLINE:?}; its log:\n{}",
                    node.name,
                    read_from(&node.log_path, log_offset)
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Polls node `i`'s `/healthz` until it answers 200 (JetStream in contact with a meta
    /// leader and current).
    fn wait_healthy(&mut self, i: usize, deadline: Duration) -> anyhow::Result<()> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            let node = &mut self.nodes[i];
            if let Some(child) = node.child.as_mut()
                && let Some(status) = child.try_wait().context("check nats-server")?
            {
                bail!(
                    "nats-server {} exited ({status}); its log:\n{}",
                    node.name,
                    read_from(&node.log_path, 0)
                );
            }
            let (healthy, answer) = healthz(node.monitor_port);
            if healthy {
                return Ok(());
            }
            if started.elapsed() >= deadline {
                bail!(
                    "nats-server {} not healthy within {deadline:?}; /healthz said: {answer}",
                    node.name
                );
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Waits until every node is healthy and a stream with one replica per node can be
    /// created (and deletes it again).
    fn wait_jetstream(&mut self) -> anyhow::Result<()> {
        let started = Instant::now();
        for i in 0..self.nodes.len() {
            let left = JETSTREAM_DEADLINE.saturating_sub(started.elapsed());
            self.wait_healthy(i, left)?;
        }
        let urls: Vec<String> = self.nodes.iter().map(Node::url).collect();
        let replicas = self.nodes.len();
        let left = JETSTREAM_DEADLINE.saturating_sub(started.elapsed());
        // A runtime of its own on a thread of its own, so this works inside and outside tokio.
        std::thread::Builder::new()
            .name("ogi-testkit-cluster-probe".to_owned())
            .spawn(move || -> anyhow::Result<()> {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("build a runtime")?
                    .block_on(probe_replicated_stream(urls, replicas, left))
            })
            .context("spawn the probe thread")?
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the probe thread panicked")))
    }

    fn kill_all(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
    }
}

impl Drop for NatsCluster {
    fn drop(&mut self) {
        self.kill_all();
        // `dir` is removed when the TempDir field drops, after this.
    }
}

impl std::fmt::Debug for NatsCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<String> = self
            .nodes
            .iter()
            .map(|node| {
                format!(
                    "{} {} (cluster {}, monitor {}, pid {:?})",
                    node.name,
                    node.url(),
                    node.cluster_port,
                    node.monitor_port,
                    node.child.as_ref().map(Child::id)
                )
            })
            .collect();
        f.debug_struct("NatsCluster")
            .field("nodes", &nodes)
            .field("binary", &self.binary)
            .field("dir", &self.dir.path())
            .finish()
    }
}

/// `GET /healthz` on 127.0.0.1:`port`: whether it answered 200, and what it answered.
fn healthz(port: u16) -> (bool, String) {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return (false, format!("no connection to {addr}"));
    };
    if stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .is_err()
        || stream
            .write_all(b"GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            .is_err()
    {
        return (false, "request failed".into());
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let healthy = answer
        .lines()
        .next()
        .is_some_and(|status| status.split_whitespace().nth(1) == Some("200"));
    let body = answer
        .split_once("\r\n\r\n")
        .map_or(answer.as_str(), |(_, body)| body)
        .trim()
        .to_owned();
    (healthy, body)
}

/// Creates [`PROBE_STREAM`] with `replicas` replicas until that succeeds, then deletes it.
async fn probe_replicated_stream(
    urls: Vec<String>,
    replicas: usize,
    deadline: Duration,
) -> anyhow::Result<()> {
    use async_nats::jetstream::{self, stream};

    let started = Instant::now();
    let mut pause = Duration::from_millis(20);
    loop {
        let attempt = async {
            let client = async_nats::ConnectOptions::new()
                .name("ogi-testkit")
                .connection_timeout(Duration::from_secs(2))
                .request_timeout(Some(Duration::from_secs(3)))
                .connect(urls.clone())
                .await?;
            let js = jetstream::new(client);
            js.get_or_create_stream(stream::Config {
                name: PROBE_STREAM.to_owned(),
                subjects: vec![format!("{}.>", PROBE_STREAM.to_lowercase())],
                storage: stream::StorageType::Memory,
                num_replicas: replicas,
                ..Default::default()
            })
            .await?;
            js.delete_stream(PROBE_STREAM).await?;
            anyhow::Ok(())
        };
        let last_error = match attempt.await {
            Ok(()) => return Ok(()),
            Err(err) => format!("{err:#}"),
        };
        if started.elapsed() >= deadline {
            bail!(
                "the cluster did not accept a stream with {replicas} replicas within {deadline:?}: {last_error}"
            );
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use async_nats::jetstream::{self, stream};

    use super::NatsCluster;
    use crate::poll_until;

    #[test]
    fn needs_a_node() {
        assert!(NatsCluster::start(0).is_err());
    }

    /// The stream leader dies: publishing goes on on the two survivors, and the restarted node
    /// catches up.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_killed_leader_fails_over_and_rejoins() {
        let mut cluster = NatsCluster::start(3).unwrap();
        assert_eq!(cluster.len(), 3);
        assert_eq!(cluster.urls().split(',').count(), 3);
        assert_eq!(cluster.index_of("node2"), Some(2));
        let urls: Vec<String> = cluster.urls().split(',').map(str::to_owned).collect();
        let js = jetstream::new(async_nats::connect(urls).await.unwrap());
        let mut stream = js
            .create_stream(stream::Config {
                name: "T".into(),
                subjects: vec!["t.>".into()],
                num_replicas: 3,
                ..Default::default()
            })
            .await
            .unwrap();
        for _ in 0..10 {
            js.publish("t.x", "x".into()).await.unwrap().await.unwrap();
        }
        let leader = stream
            .info()
            .await
            .unwrap()
            .cluster
            .clone()
            .unwrap()
            .leader
            .unwrap();
        let victim = cluster.index_of(&leader).unwrap();
        cluster.kill(victim);
        assert!(!cluster.is_running(victim));

        // A publish that timed out may still have been stored: give each one an id, so a
        // retry is dropped as a duplicate.
        for i in 0..10 {
            poll_until(
                Duration::from_secs(30),
                "a publish after the leader died",
                || {
                    let js = js.clone();
                    async move {
                        let mut headers = async_nats::HeaderMap::new();
                        headers.insert(
                            async_nats::header::NATS_MESSAGE_ID,
                            format!("m{i}").as_str(),
                        );
                        js.publish_with_headers("t.x", headers, "y".into())
                            .await
                            .ok()?
                            .await
                            .ok()
                    }
                },
            )
            .await
            .unwrap();
        }
        let info = stream.info().await.unwrap().clone();
        assert_eq!(info.state.messages, 20);
        let new_leader = info.cluster.unwrap().leader.unwrap();
        assert_ne!(new_leader, leader);

        cluster.restart(victim).unwrap();
        assert!(cluster.is_running(victim));
        let caught_up = poll_until(Duration::from_secs(30), "the restarted replica", || {
            let stream = js.get_stream("T");
            let name = leader.clone();
            async move {
                let info = stream.await.ok()?.info().await.ok()?.clone();
                let replicas = info.cluster?.replicas;
                replicas
                    .iter()
                    .find(|peer| peer.name == name)
                    .filter(|peer| peer.current && !peer.offline)
                    .map(|_| replicas.len())
            }
        })
        .await
        .unwrap();
        assert_eq!(caught_up, 2, "a leader and two followers");
    }
}
