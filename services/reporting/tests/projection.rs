//! The count from the projections (reply counters, open cases grouped) equals the count of the cases one
//! by one (`Tally::from_cases`), year after year, on SQLite and on PostgreSQL: cases received
//! in one year and replied to in the next, open cases, fees, reviews concluded or pending at
//! the end of a year.

use ogi_core::report::{ReportCase, Tally};
use ogi_core::synth::synthesize;
use ogi_platform::store::{self, ServiceSchema};
use ogi_reporting::projection::{ProjectedCase, tally, write_cases, write_review};
use sea_orm::DatabaseConnection;

const AGENCY: &str = "测试市测试区人民政府";

/// Three years of synthetic cases, every seventh left open, and another agency's beside them.
fn cases() -> Vec<(String, String, ReportCase)> {
    let mut out = Vec::new();
    for (agency, seed) in [(AGENCY, 1u64), ("另一个机关", 2)] {
        for year in 2023..=2025 {
            for (i, record) in synthesize(agency, year, 400, seed * 100 + year as u64)
                .iter()
                .enumerate()
            {
                let mut case = ReportCase::from(record);
                if i % 7 == 3 {
                    case.reply = None;
                    case.fee_collected_yuan = None;
                }
                out.push((format!("{agency}-{year}-{i}"), agency.to_string(), case));
            }
        }
    }
    out
}

async fn suite(db: DatabaseConnection) {
    let cases = cases();
    let projected: Vec<ProjectedCase> = cases
        .iter()
        .map(|(id, agency, case)| ProjectedCase {
            case_id: id.clone(),
            agency: agency.clone(),
            applicant_type: case.applicant_type,
            received_on: case.received_on,
            reply: case.reply,
            fee_yuan: case.fee_collected_yuan.map(|f| f.to_string()),
        })
        .collect();
    write_cases(&db, &projected).await.unwrap();
    for (id, agency, case) in &cases {
        for review in &case.reviews {
            write_review(&db, id, agency, review).await.unwrap();
        }
    }
    let ours: Vec<&ReportCase> = cases
        .iter()
        .filter(|(_, agency, _)| agency == AGENCY)
        .map(|(_, _, case)| case)
        .collect();
    assert!(ours.iter().any(|c| c.fee_collected_yuan.is_some()), "fees");
    assert!(ours.iter().any(|c| !c.reviews.is_empty()), "reviews");
    for year in 2022..=2026 {
        let expected = Tally::from_cases(year, ours.iter().copied());
        let got = tally(&db, AGENCY, year).await.unwrap();
        assert_eq!(got, expected, "{year}");
    }
}

#[tokio::test]
async fn grouped_count_equals_case_by_case_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = store::sqlite_url(&dir.path().join("reporting.db"));
    suite(store::open(&url, ServiceSchema::Reporting).await.unwrap()).await;
}

#[tokio::test]
async fn grouped_count_equals_case_by_case_on_postgres() {
    let pg = ogi_testkit::PgDatabase::create().await.unwrap();
    suite(
        store::open(&pg.url, ServiceSchema::Reporting)
            .await
            .unwrap(),
    )
    .await;
}
