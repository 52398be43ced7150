//! `make bench`: import N synthetic cases through the full pipeline, on PostgreSQL and on the
//! embedded SQLite default, and report cases per second beside the raw rate of single-row
//! commits on the same database and of JetStream publishes on the same server, measured in
//! the same run; then the latency of a live step (submit → accepted with its due date visible
//! in approval), with the system idle and while an import runs. The ratios are the figures
//! that count (the machine is shared); nothing here asserts a time.
//!
//! - OGI_BENCH_CASES: cases per import (default 2000);
//! - OGI_BENCH_BACKENDS: `postgres,sqlite` (default both);
//! - OGI_BENCH_LIVE_STEPS: live steps measured idle, and at most as many during an import
//!   (default 200).

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, stdout, write};
use ogi_proto::v1 as pb;
use pb::approval_service_client::ApprovalServiceClient;
use pb::intake_service_client::IntakeServiceClient;
use pb::validation_service_client::ValidationServiceClient;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// The aims of issue 10, printed beside the figures.
const AIM_RATIO: f64 = 0.25;
const AIM_CASES_PER_SECOND: f64 = 1000.0;
const AIM_LIVE_P99_IDLE_MS: f64 = 25.0;
const AIM_LIVE_P99_BUSY_MS: f64 = 100.0;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Single-row transactions a second on `url`, connected as the services connect.
async fn single_row_commits_per_second(url: &str, n: usize) -> anyhow::Result<f64> {
    let db = ogi_platform::store::connect(url).await?;
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

/// Publishes a second awaiting each acknowledgement, and pipelined 256 at a time.
async fn jetstream_publishes_per_second(url: &str, n: usize) -> anyhow::Result<(f64, f64)> {
    let js = async_nats::jetstream::new(async_nats::connect(url).await?);
    js.get_or_create_stream(async_nats::jetstream::stream::Config {
        name: "BENCH".into(),
        subjects: vec!["bench.>".into()],
        ..Default::default()
    })
    .await?;
    let payload = vec![b'x'; 300];
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
    js.delete_stream("BENCH").await?;
    Ok((sync, n as f64 / start.elapsed().as_secs_f64()))
}

/// A synthetic agency-year written as a case-record file; returns its path.
fn synth_file(system: &System, cases: usize, year: i32) -> std::path::PathBuf {
    let records = system.ogi(&[
        "records",
        "synth",
        "--cases",
        &cases.to_string(),
        "--year",
        &year.to_string(),
    ]);
    write(
        system.dir.path(),
        &format!("synth-{year}.jsonl"),
        &stdout(&records),
    )
}

const LIVE_AGENCY: &str = "基准测试局";

fn live_application(reference: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        context: Some(pb::CommandContext {
            actor: "基准".into(),
            on: "2026-03-02".into(),
            command_id: format!("live:{reference}:submit"),
        }),
        agency: LIVE_AGENCY.into(),
        reference: reference.into(),
        channel: "online".into(),
        received_on: "2026-03-02".into(),
        applicant: Some(pb::Applicant {
            r#type: "natural_person".into(),
            name: "张三".into(),
            id_type: "resident_id_card".into(),
            id_number: "11010519491231002X".into(),
            phone: Some("13800000000".into()),
            address: None,
            email: None,
        }),
        request: Some(pb::InformationRequest {
            description: format!("申请公开2025年度部门预算执行情况（{reference}）"),
            form: "electronic".into(),
            delivery: "email".into(),
        }),
        identity_check_warning_only: false,
    }
}

struct Live {
    intake: IntakeServiceClient<ogi_e2e::Authed>,
    validation: ValidationServiceClient<ogi_e2e::Authed>,
    approval: ApprovalServiceClient<ogi_e2e::Authed>,
}

impl Live {
    fn new(system: &System) -> Live {
        system.register_agency(LIVE_AGENCY);
        Live {
            intake: IntakeServiceClient::new(system.operator_channel("intake")),
            validation: ValidationServiceClient::new(system.operator_channel("validation")),
            approval: ApprovalServiceClient::new(system.operator_channel("approval")),
        }
    }

    /// One live step, as a handler sees it: submit, accept as soon as validation has the case,
    /// and look until approval shows the case with its due date. Polls every millisecond: the
    /// figure is how soon the system makes the step visible.
    async fn step(&mut self, reference: &str) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let submitted = self
            .intake
            .submit_application(live_application(reference))
            .await?
            .into_inner();
        let case_id = submitted.application.unwrap_or_default().case_id;
        let accept = pb::AcceptApplicationRequest {
            context: Some(pb::CommandContext {
                actor: "基准".into(),
                on: "2026-03-03".into(),
                command_id: format!("live:{reference}:accept"),
            }),
            case_id: case_id.clone(),
        };
        loop {
            match self.validation.accept_application(accept.clone()).await {
                Ok(_) => break,
                Err(s) if s.code() == tonic::Code::NotFound => {}
                Err(s) => anyhow::bail!("accept {case_id}: {s}"),
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "accept timed out"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        loop {
            let request = pb::GetCaseRequest {
                case_id: case_id.clone(),
            };
            match self.approval.get_case(request).await {
                Ok(file)
                    if file
                        .get_ref()
                        .deadline
                        .as_ref()
                        .is_some_and(|d| !d.due_on.is_empty()) =>
                {
                    break;
                }
                Ok(_) => {}
                Err(s) if s.code() == tonic::Code::NotFound => {}
                Err(s) => anyhow::bail!("get case {case_id}: {s}"),
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(60),
                "approval timed out"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        Ok(started.elapsed())
    }
}

/// (p50, p99) in milliseconds.
fn percentiles(samples: &mut [Duration]) -> (f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    samples.sort();
    let p = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    (p(0.5), p(0.99))
}

async fn bench(backend: Backend, cases: usize, live_steps: usize) -> anyhow::Result<()> {
    let name = match backend {
        Backend::Postgres => "PostgreSQL",
        Backend::Sqlite => "SQLite",
    };
    let system = System::start(backend).await?;
    let commits = match backend {
        Backend::Postgres => {
            let scratch = ogi_testkit::PgDatabase::create().await?;
            single_row_commits_per_second(&scratch.url, 2000).await?
        }
        Backend::Sqlite => {
            let path = system.dir.path().join("bench-commits.db");
            single_row_commits_per_second(&ogi_platform::store::sqlite_url(&path), 2000).await?
        }
    };
    let (publish_sync, publish_pipelined) =
        jetstream_publishes_per_second(&system.nats.url, 5000).await?;

    // The import alone, for its rate.
    let file = synth_file(&system, cases, 2025);
    let start = Instant::now();
    let out = system.ogi(&["import", "--stats", file.to_str().unwrap()]);
    let took = start.elapsed().as_secs_f64();
    anyhow::ensure!(
        out.status.success(),
        "import failed: {}\n{}",
        stdout(&out),
        ogi_e2e::stderr(&out)
    );
    let rate = cases as f64 / took;

    // Live steps on the idle system, then while a second import runs.
    let mut live = Live::new(&system);
    for i in 0..5 {
        live.step(&format!("warm-{i}")).await?;
    }
    let mut idle = Vec::with_capacity(live_steps);
    for i in 0..live_steps {
        idle.push(live.step(&format!("idle-{i}")).await?);
    }
    let busy_file = synth_file(&system, cases, 2024);
    let mut import = system.ogi_spawn(&["import", "--stats", busy_file.to_str().unwrap()]);
    let mut busy = Vec::with_capacity(live_steps);
    let busy_start = Instant::now();
    while busy.len() < live_steps && import.try_wait()?.is_none() {
        busy.push(live.step(&format!("busy-{}", busy.len())).await?);
    }
    let status = import.wait()?;
    let busy_took = busy_start.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "the second import failed ({status})");
    let (idle_p50, idle_p99) = percentiles(&mut idle);
    let (busy_p50, busy_p99) = percentiles(&mut busy);

    println!(
        "ogi pipeline benchmark on {name} ({cases} synthetic cases, {} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("  single-row commits, same {name:<10}     {commits:>10.0} /s");
    println!("  JetStream publishes awaiting each ack    {publish_sync:>10.0} /s");
    println!("  JetStream publishes pipelined (256)      {publish_pipelined:>10.0} /s");
    println!(
        "  full pipeline (import → served)          {rate:>10.1} cases/s  ({took:.1} s; aim {AIM_CASES_PER_SECOND:.0})"
    );
    println!(
        "  ratio cases/s ÷ commits/s                {:>10.3}  (aim ≥ {AIM_RATIO})",
        rate / commits
    );
    println!(
        "  ratio cases/s ÷ sync publishes/s         {:>10.3}",
        rate / publish_sync
    );
    println!(
        "  live step, idle ({} steps)               p50 {idle_p50:>7.1} ms  p99 {idle_p99:>7.1} ms  (aim p99 ≤ {AIM_LIVE_P99_IDLE_MS} ms)",
        idle.len()
    );
    println!(
        "  live step, during an import ({} steps)   p50 {busy_p50:>7.1} ms  p99 {busy_p99:>7.1} ms  (aim p99 ≤ {AIM_LIVE_P99_BUSY_MS} ms; that import {:.1} cases/s)",
        busy.len(),
        cases as f64 / busy_took
    );
    println!(
        "\nper-step latency of the import (client side, includes waiting for the case to arrive):"
    );
    print!(
        "{}",
        stdout(&out)
            .lines()
            .skip_while(|l| !l.starts_with("步骤"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    println!("\n");
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("pipeline benchmark: skipped outside `cargo bench` (make bench)");
        return Ok(());
    }
    let cases = env_usize("OGI_BENCH_CASES", 2000);
    let live_steps = env_usize("OGI_BENCH_LIVE_STEPS", 200);
    let backends = std::env::var("OGI_BENCH_BACKENDS").unwrap_or_else(|_| "postgres,sqlite".into());
    for backend in backends.split(',').map(str::trim) {
        let backend = match backend {
            "postgres" => Backend::Postgres,
            "sqlite" => Backend::Sqlite,
            other => anyhow::bail!("OGI_BENCH_BACKENDS: unknown backend {other}"),
        };
        bench(backend, cases, live_steps).await?;
    }
    Ok(())
}
