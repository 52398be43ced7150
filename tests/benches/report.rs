//! `make bench`: the annual report from the reporting service's projections on PostgreSQL, and
//! a full rebuild of the projections by replaying the streams. Nothing here asserts a time;
//! it prints the figures and their ratio to the aims of the reporting issue:
//!
//! - one agency-year's report through `GetAnnualReport` with a million synthetic cases in the
//!   projections (aim ≤ 10 ms), beside the same count done case by case (every row loaded);
//! - `ogi-reporting --rebuild` replaying N events (aim: 5 million in ≤ 60 s).
//!
//! OGI_BENCH_REPORT_CASES (default 1 000 000) and OGI_BENCH_REBUILD_EVENTS (default 1 000 000;
//! set 5000000 for the full aim) size the runs.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use ogi_core::codes::{ApplicantType, OutcomeCode};
use ogi_core::report::{ReportCase, Tally};
use ogi_core::synth::synthesize;
use ogi_e2e::{Authed, Backend, Bearer, System};
use ogi_platform::events::{self, EventContext};
use ogi_platform::store::entities::{report_cases, report_reviews};
use ogi_platform::store::{self, ServiceSchema};
use ogi_proto::v1::{self as pb, event_envelope::Payload};
use ogi_reporting::projection::{ProjectedCase, write_cases};
use ogi_testkit::{NatsServer, PgDatabase, binary, free_port, poll_until};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, Set, TransactionTrait,
};

const AGENCIES: usize = 100;
const YEARS: std::ops::RangeInclusive<i32> = 2023..=2026;
const REPORT_AIM_MS: f64 = 10.0;
const REBUILD_AIM_EVENTS_PER_SECOND: f64 = 5_000_000.0 / 60.0;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn agency(i: usize) -> String {
    format!("基准市第{i:03}局")
}

/// A reporting service on `database_url` and `nats_url`, with `extra` flags.
struct Reporting {
    child: Child,
    port: u16,
}

impl Reporting {
    fn start(
        database_url: &str,
        nats_url: &str,
        accounts_url: &str,
        extra: &[&str],
    ) -> anyhow::Result<Reporting> {
        let port = free_port();
        let child = Command::new(binary("ogi-reporting"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--accounts-url", accounts_url])
            .args(["--database-url", database_url, "--nats-url", nats_url])
            .args(extra)
            .env(
                "RUST_LOG",
                std::env::var("OGI_BENCH_RUST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdout(Stdio::null())
            .spawn()?;
        Ok(Reporting { child, port })
    }

    /// A client whose calls carry `token` (every call is authenticated).
    async fn client(
        &self,
        token: &str,
    ) -> anyhow::Result<pb::reporting_service_client::ReportingServiceClient<Authed>> {
        let url = format!("http://127.0.0.1:{}", self.port);
        let channel = poll_until(Duration::from_secs(60), "the reporting service", || async {
            tonic::transport::Endpoint::from_shared(url.clone())
                .ok()?
                .connect()
                .await
                .ok()
        })
        .await?;
        let bearer = Bearer::new(token)?;
        Ok(pb::reporting_service_client::ReportingServiceClient::new(
            tonic::service::interceptor::InterceptedService::new(channel, bearer),
        ))
    }
}

impl Drop for Reporting {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fill the projections with `total` synthetic cases spread over the agencies and years, their
/// reviews included, in bulk.
async fn fill(db: &DatabaseConnection, total: usize) -> anyhow::Result<()> {
    let per = total / (AGENCIES * YEARS.count());
    for a in 0..AGENCIES {
        let name = agency(a);
        for year in YEARS {
            let records = synthesize(&name, year, per, (a as u64) * 10_000 + year as u64);
            let mut cases = Vec::with_capacity(records.len());
            let mut reviews = Vec::new();
            for (i, record) in records.iter().enumerate() {
                let case_id = format!("{a}-{year}-{i}");
                let mut case = ReportCase::from(record);
                // Some cases are still open at the end of the data.
                if i % 11 == 5 {
                    case.reply = None;
                    case.fee_collected_yuan = None;
                }
                for (seq, r) in case.reviews.iter().enumerate() {
                    reviews.push(report_reviews::ActiveModel {
                        case_id: Set(case_id.clone()),
                        seq: Set(seq as i32),
                        agency: Set(name.clone()),
                        kind: Set(r.kind.code().into()),
                        filed_on: Set(r.filed_on),
                        result: Set(r.result.code().into()),
                        concluded_on: Set(r.concluded_on),
                    });
                }
                cases.push(ProjectedCase {
                    case_id,
                    agency: name.clone(),
                    applicant_type: case.applicant_type,
                    received_on: case.received_on,
                    reply: case.reply,
                    fee_yuan: case.fee_collected_yuan.map(|f| f.to_string()),
                });
            }
            let txn = db.begin().await?;
            write_cases(&txn, &cases).await?;
            for chunk in reviews.chunks(1000) {
                report_reviews::Entity::insert_many(chunk.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            txn.commit().await?;
        }
    }
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// The same count done the slow way: every case row of the agency-year loaded and counted.
async fn case_by_case(db: &DatabaseConnection, agency: &str, year: i32) -> anyhow::Result<Tally> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
    let rows = report_cases::Entity::find()
        .filter(report_cases::Column::Agency.eq(agency))
        .filter(report_cases::Column::ReceivedOn.lte(end))
        .filter(
            Condition::any()
                .add(report_cases::Column::RepliedOn.is_null())
                .add(report_cases::Column::RepliedOn.gte(start)),
        )
        .all(db)
        .await?;
    let cases: Vec<ReportCase> = rows
        .iter()
        .map(|r| ReportCase {
            applicant_type: r.applicant_type.parse().unwrap(),
            received_on: r.received_on,
            reply: r
                .outcome
                .as_ref()
                .zip(r.replied_on)
                .map(|(o, on)| (o.parse().unwrap(), on)),
            fee_collected_yuan: r.fee_yuan.as_deref().and_then(|f| f.parse().ok()),
            reviews: vec![],
        })
        .collect();
    Ok(Tally::from_cases(year, &cases))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

async fn report_bench(nats: &NatsServer, accounts: &System) -> anyhow::Result<()> {
    let total = env_usize("OGI_BENCH_REPORT_CASES", 1_000_000);
    let pg = PgDatabase::create().await?;
    let db = store::open(&pg.url, ServiceSchema::Reporting).await?;
    let started = Instant::now();
    fill(&db, total).await?;
    let rows = report_cases::Entity::find().count(&db).await?;
    println!(
        "report: {rows} synthetic cases of {AGENCIES} agencies in {}–{} written to the projections in {:.1?}",
        YEARS.start(),
        YEARS.end(),
        started.elapsed()
    );
    let service = Reporting::start(&pg.url, &nats.url, &accounts.accounts_url(), &[])?;
    let mut client = service.client(&accounts.operator_token()).await?;
    let request = |agencies: Vec<String>, year: i32| pb::GetAnnualReportRequest {
        agencies,
        year,
        format: "json".into(),
        ..Default::default()
    };
    for a in 0..5 {
        client
            .get_annual_report(request(vec![agency(a)], 2024))
            .await?;
    }
    let mut times = Vec::new();
    for a in 0..AGENCIES {
        for year in [2024, 2025] {
            let t = Instant::now();
            let report = client
                .get_annual_report(request(vec![agency(a)], year))
                .await?
                .into_inner();
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(report.json.contains("\"year\""));
        }
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
    println!(
        "report: GetAnnualReport of one agency-year (~{} cases a year; the report counts this year and last), {} calls: mean {mean:.2} ms, p50 {p50:.2} ms, p95 {p95:.2} ms; p95 / aim {REPORT_AIM_MS} ms = {:.2}",
        total / (AGENCIES * YEARS.count()),
        times.len(),
        p95 / REPORT_AIM_MS
    );
    let mut grouped = Vec::new();
    for a in 0..20 {
        let t = Instant::now();
        let tally = ogi_reporting::projection::tally(&db, &agency(a), 2025).await?;
        grouped.push(t.elapsed().as_secs_f64() * 1000.0);
        // The same table 三 as counting the rows one by one (reviews are not in those rows).
        assert_eq!(
            tally.tables().applications,
            case_by_case(&db, &agency(a), 2025)
                .await?
                .tables()
                .applications
        );
    }
    let grouped_mean = grouped.iter().sum::<f64>() / grouped.len() as f64;
    println!(
        "report: one year's count from the projections, in process (the report needs two): mean {grouped_mean:.2} ms"
    );
    let mut slow = Vec::new();
    for a in 0..20 {
        let t = Instant::now();
        let tally = case_by_case(&db, &agency(a), 2025).await?;
        slow.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(tally.year(), 2025);
    }
    let slow_mean = slow.iter().sum::<f64>() / slow.len() as f64;
    println!(
        "report: the same year's count case by case (rows loaded, one year only): mean {slow_mean:.2} ms; whole report grouped / one count case by case = {:.2}",
        mean / slow_mean
    );
    let all: Vec<String> = (0..AGENCIES).map(agency).collect();
    let t = Instant::now();
    let rollup = client
        .get_annual_report(request(all, 2025))
        .await?
        .into_inner();
    println!(
        "report: summary of all {AGENCIES} agencies for 2025 ({} agencies): {:.1?}",
        rollup.agencies.len(),
        t.elapsed()
    );
    Ok(())
}

/// Publish `cases` received and served events (two per case) on the streams, pipelined.
async fn publish_events(nats: &NatsServer, cases: usize) -> anyhow::Result<()> {
    let js = ogi_platform::bus::connect(&nats.url).await?;
    ogi_platform::bus::ensure_streams(&js, 1).await?;
    let mut pending = std::collections::VecDeque::new();
    for i in 0..cases {
        let ctx = EventContext {
            case_id: format!("case-{i}"),
            agency: agency(i % AGENCIES),
            actor: "bench".into(),
        };
        let received = NaiveDate::from_ymd_opt(2023 + (i % 3) as i32, 1 + (i % 12) as u32, 10)
            .unwrap_or_default();
        let replied = received + chrono::Days::new(15 + (i % 20) as u64);
        let applicant_type = ApplicantType::ALL[if i % 5 == 0 { 1 } else { 0 }].code();
        let outcome = OutcomeCode::ALL[i % OutcomeCode::ALL.len()].code();
        let application = pb::Application {
            case_id: ctx.case_id.clone(),
            agency: ctx.agency.clone(),
            received_on: received.to_string(),
            applicant: Some(pb::Applicant {
                r#type: applicant_type.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let batch = [
            events::envelope(
                &ctx,
                received,
                1,
                Payload::ApplicationReceived(pb::ApplicationReceived {
                    application: Some(application),
                    applicant_key: String::new(),
                }),
            ),
            events::envelope(
                &ctx,
                replied,
                2,
                Payload::ReplyServed(pb::ReplyServed {
                    outcome_code: outcome.into(),
                    replied_on: replied.to_string(),
                    applicant_type: applicant_type.into(),
                    received_on: received.to_string(),
                    method: "mail".into(),
                    document_number: format!("基准〔{}〕{i}号", replied.year()),
                    fee_collected_yuan: String::new(),
                }),
            ),
        ];
        for event in batch {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", event.event_id.as_str());
            let subject = events::subject_of(&event).unwrap_or_default();
            pending.push_back(
                js.publish_with_headers(subject, headers, events::encode(&event).into())
                    .await?,
            );
            if pending.len() >= 512
                && let Some(ack) = pending.pop_front()
            {
                ack.await?;
            }
        }
    }
    for ack in pending {
        ack.await?;
    }
    Ok(())
}

async fn rebuild_bench(nats: &NatsServer, accounts: &System) -> anyhow::Result<()> {
    let total = env_usize("OGI_BENCH_REBUILD_EVENTS", 1_000_000);
    let cases = total / 2;
    let started = Instant::now();
    publish_events(nats, cases).await?;
    println!(
        "rebuild: {} events ({cases} cases received and served) published in {:.1?}",
        cases * 2,
        started.elapsed()
    );
    let pg = PgDatabase::create().await?;
    let db = store::open(&pg.url, ServiceSchema::Reporting).await?;
    let started = Instant::now();
    let _service = Reporting::start(&pg.url, &nats.url, &accounts.accounts_url(), &["--rebuild"])?;
    poll_until(Duration::from_secs(3600), "the rebuild", || async {
        let replied = report_cases::Entity::find()
            .filter(report_cases::Column::RepliedOn.is_not_null())
            .count(&db)
            .await
            .ok()?;
        (replied as usize >= cases).then_some(())
    })
    .await?;
    let took = started.elapsed().as_secs_f64();
    let rate = (cases * 2) as f64 / took;
    println!(
        "rebuild: {} events replayed into the projections in {took:.1} s = {rate:.0} events/s; 5 million events would take {:.0} s; aim rate / measured rate = {:.2}",
        cases * 2,
        5_000_000.0 / rate,
        REBUILD_AIM_EVENTS_PER_SECOND / rate
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("report benchmark: skipped outside `cargo bench` (make bench)");
        return Ok(());
    }
    // The accounts service that verifies the calls' tokens, and its signed-in operator (a
    // whole small system on SQLite; its other services stay idle).
    let accounts = System::start(Backend::Sqlite).await?;
    let nats = NatsServer::start()?;
    report_bench(&nats, &accounts).await?;
    rebuild_bench(&nats, &accounts).await?;
    Ok(())
}
