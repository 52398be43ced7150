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

/// m0006 on a database whose case rows were written before the reply counters existed: the
/// counters are filled from them, and the count is the same as case by case.
async fn counters_are_filled_from_earlier_rows(url: &str) {
    use ogi_platform::store::entities::report_cases;
    use ogi_platform::store::migrations::ReportingMigrator;
    use sea_orm::{EntityTrait, Set};
    use sea_orm_migration::MigratorTrait;
    let db = store::connect(url).await.unwrap();
    ReportingMigrator::up(&db, Some(2)).await.unwrap();
    let cases = cases();
    let ours: Vec<&ReportCase> = cases
        .iter()
        .filter(|(_, agency, _)| agency == AGENCY)
        .map(|(_, _, case)| case)
        .collect();
    let rows: Vec<report_cases::ActiveModel> = cases
        .iter()
        .map(|(id, agency, case)| report_cases::ActiveModel {
            case_id: Set(id.clone()),
            agency: Set(agency.clone()),
            applicant_type: Set(case.applicant_type.code().into()),
            received_on: Set(case.received_on),
            outcome: Set(case.reply.map(|(o, _)| o.code().into())),
            replied_on: Set(case.reply.map(|(_, on)| on)),
            fee_yuan: Set(case.fee_collected_yuan.map(|f| f.to_string())),
        })
        .collect();
    for chunk in rows.chunks(500) {
        report_cases::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&db)
            .await
            .unwrap();
    }
    store::migrate(&db, ServiceSchema::Reporting).await.unwrap();
    for year in 2022..=2026 {
        let expected = Tally::from_cases(year, ours.iter().copied());
        let got = tally(&db, AGENCY, year).await.unwrap();
        // No reviews were written here: compare table 三 and the fees.
        assert_eq!(
            got.tables().applications,
            expected.tables().applications,
            "{year}"
        );
        assert_eq!(got.tables().fees, expected.tables().fees, "{year}");
    }
}

#[tokio::test]
async fn counters_are_filled_from_earlier_rows_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    counters_are_filled_from_earlier_rows(&store::sqlite_url(&dir.path().join("r.db"))).await;
}

#[tokio::test]
async fn counters_are_filled_from_earlier_rows_on_postgres() {
    let pg = ogi_testkit::PgDatabase::create().await.unwrap();
    counters_are_filled_from_earlier_rows(&pg.url).await;
}
