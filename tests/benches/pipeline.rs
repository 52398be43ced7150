//! `make bench`: import N synthetic cases through the full pipeline on PostgreSQL and report
//! cases per second and per-step latency percentiles, beside the raw rate of single-row commits
//! on the same PostgreSQL and of JetStream publishes on the same server, measured in the same
//! run. The ratios are the figures that count; nothing here asserts a time.
//!
//! OGI_BENCH_CASES sets N (default 2000).

use std::time::Instant;

use ogi_e2e::{Backend, System, stdout, write};
use sea_orm::{ConnectionTrait, Database, Statement, TransactionTrait};

async fn single_row_commits_per_second(url: &str, n: usize) -> anyhow::Result<f64> {
    let db = Database::connect(url).await?;
    db.execute_unprepared(
        "CREATE TABLE bench_commits (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)",
    )
    .await?;
    let start = Instant::now();
    for i in 0..n {
        let txn = db.begin().await?;
        txn.execute(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO bench_commits (id, payload) VALUES ($1, $2)",
            [(i as i64).into(), "x".repeat(200).into()],
        ))
        .await?;
        txn.commit().await?;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

async fn jetstream_publishes_per_second(url: &str, n: usize) -> anyhow::Result<(f64, f64)> {
    let js = async_nats::jetstream::new(async_nats::connect(url).await?);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: "BENCH".into(),
        subjects: vec!["bench.>".into()],
        ..Default::default()
    })
    .await?;
    let payload = bytes_of(300);
    let start = Instant::now();
    for i in 0..n {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("s{i}").as_str());
        js.publish_with_headers("bench.sync", headers, payload.clone().into())
            .await?
            .await?;
    }
    let sync = n as f64 / start.elapsed().as_secs_f64();
    let start = Instant::now();
    let mut acks = Vec::with_capacity(256);
    for i in 0..n {
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", format!("p{i}").as_str());
        acks.push(
            js.publish_with_headers("bench.pipelined", headers, payload.clone().into())
                .await?,
        );
        if acks.len() == 256 {
            for a in acks.drain(..) {
                a.await?;
            }
        }
    }
    for a in acks {
        a.await?;
    }
    Ok((sync, n as f64 / start.elapsed().as_secs_f64()))
}

fn bytes_of(n: usize) -> Vec<u8> {
    vec![b'x'; n]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("pipeline benchmark: skipped outside `cargo bench` (make bench)");
        return Ok(());
    }
    let cases: usize = std::env::var("OGI_BENCH_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let system = System::start(Backend::Postgres).await?;

    let scratch = ogi_testkit::PgDatabase::create().await?;
    let commits = single_row_commits_per_second(&scratch.url, 2000).await?;
    let (publish_sync, publish_pipelined) =
        jetstream_publishes_per_second(&system.nats.url, 5000).await?;

    let records = system.ogi(&[
        "records",
        "synth",
        "--cases",
        &cases.to_string(),
        "--year",
        "2025",
    ]);
    let file = write(system.dir.path(), "synth.jsonl", &stdout(&records));
    let start = Instant::now();
    let out = system.ogi(&["import", "--stats", file.to_str().unwrap()]);
    let took = start.elapsed().as_secs_f64();
    anyhow::ensure!(out.status.success(), "import failed: {}", stdout(&out));
    let rate = cases as f64 / took;

    println!(
        "ogi pipeline benchmark ({cases} synthetic cases, PostgreSQL, {} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("  single-row commits, same PostgreSQL      {commits:>10.0} /s");
    println!("  JetStream publishes awaiting each ack    {publish_sync:>10.0} /s");
    println!("  JetStream publishes pipelined (256)      {publish_pipelined:>10.0} /s");
    println!("  full pipeline (import → served)          {rate:>10.1} cases/s  ({took:.1} s)");
    println!(
        "  ratio cases/s ÷ commits/s                {:>10.3}",
        rate / commits
    );
    println!(
        "  ratio cases/s ÷ sync publishes/s         {:>10.3}",
        rate / publish_sync
    );
    println!("\nper-step latency (client side, includes waiting for the case to arrive):");
    print!(
        "{}",
        stdout(&out)
            .lines()
            .skip_while(|l| !l.starts_with("步骤"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!();
    Ok(())
}
