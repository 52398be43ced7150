//! The case list (案件列表) as approval stores and queries it, on SQLite and PostgreSQL: a row
//! written from a case file, the filters, the text search (with LIKE wildcards taken
//! literally), paging with the true total, the orders, and the workbench counts.

use chrono::NaiveDate;
use ogi_approval::ApprovalFile;
use ogi_approval::listing::{self, Filter, Order};
use ogi_core::calendar::WorkCalendar;
use ogi_core::case::{Case, Command, ConsultationKind};
use ogi_core::codes::ApplicantType;
use ogi_core::deadline;
use ogi_platform::config::ServiceConfig;
use ogi_platform::facts::CaseFacts;
use ogi_platform::store::entities::case_list;
use ogi_platform::store::{self, ServiceSchema};
use sea_orm::DatabaseConnection;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const AGENCY: &str = "某市教育局";
const OTHER: &str = "某市财政局";

/// A list row as a case in `stage` of `agency` would have it.
fn model(i: u32, agency: &str, stage: &str, received: &str, due: Option<&str>) -> case_list::Model {
    let name = format!("申请人{i}");
    let request = format!("请公开第{i}号文件");
    let reference = format!("JY-2026-{i:05}");
    case_list::Model {
        case_id: format!("case-{i:05}"),
        agency: agency.into(),
        stage: stage.into(),
        received_on: d(received),
        due_on: due.map(d),
        provisional: false,
        consulting: false,
        outcome_code: String::new(),
        replied_on: None,
        replied_late: false,
        handler: String::new(),
        search_text: format!("{reference}\nR{i:05}\n{name}\n{request}").to_lowercase(),
        reference,
        receipt_number: format!("R{i:05}"),
        applicant_name: name,
        id_number: String::new(),
        request_summary: request,
    }
}

async fn fill(db: &DatabaseConnection) {
    // 30 open cases of the agency received on consecutive days, due 20 days later.
    for i in 0..30u32 {
        let received = d("2026-03-02") + chrono::Days::new(u64::from(i));
        let due = received + chrono::Days::new(20);
        let mut m = model(
            i,
            AGENCY,
            "in_progress",
            &received.to_string(),
            Some(&due.to_string()),
        );
        if i % 3 == 0 {
            m.handler = "zhang".into();
        }
        listing::upsert(db, m).await.unwrap();
    }
    let mut special = model(100, AGENCY, "received", "2026-04-10", Some("2026-05-12"));
    special.applicant_name = "王五".into();
    special.search_text = "jy-2026-00100\nr00100\n王五\n关于100%_达标的学校名单".into();
    listing::upsert(db, special).await.unwrap();
    let mut closed = model(101, AGENCY, "closed", "2026-01-05", Some("2026-02-02"));
    closed.replied_late = true;
    closed.outcome_code = "disclosed".into();
    listing::upsert(db, closed).await.unwrap();
    listing::upsert(
        db,
        model(200, OTHER, "in_progress", "2026-03-02", Some("2026-03-30")),
    )
    .await
    .unwrap();
}

fn ours() -> Filter {
    Filter {
        agencies: vec![AGENCY.into()],
        ..Filter::default()
    }
}

async fn check(db: &DatabaseConnection) {
    fill(db).await;
    // Paging: the true total, pages of the asked size, newest first.
    let (rows, total) = listing::page(db, &ours(), 0, 10, Order::NewestFirst)
        .await
        .unwrap();
    assert_eq!(total, 32);
    assert_eq!(rows.len(), 10);
    assert_eq!(rows[0].case_id, "case-00100");
    assert_eq!(rows[1].case_id, "case-00029");
    let (rows, _) = listing::page(db, &ours(), 30, 10, Order::NewestFirst)
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|r| r.case_id.as_str()).collect::<Vec<_>>(),
        ["case-00000", "case-00101"]
    );
    let (rows, _) = listing::page(db, &ours(), 0, 1, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(rows[0].case_id, "case-00101");
    // Another agency's cases are not in the list.
    let (all, total) = listing::page(db, &ours(), 0, 0, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(total as usize, all.len());
    assert!(all.iter().all(|r| r.agency == AGENCY));

    // Search: every word must occur, case-insensitive; % and _ are literal.
    let words = |q: &str| Filter {
        words: q
            .to_lowercase()
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        ..ours()
    };
    let ids = |rows: Vec<case_list::Model>| rows.into_iter().map(|r| r.case_id).collect::<Vec<_>>();
    let (rows, total) = listing::page(db, &words("jy-2026-00007"), 0, 50, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!((ids(rows), total), (vec!["case-00007".to_string()], 1));
    let (rows, _) = listing::page(db, &words("王五 100%_达标"), 0, 50, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(ids(rows), ["case-00100"]);
    let (_, total) = listing::page(db, &words("0%_"), 0, 50, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(total, 1, "the wildcards of the query are taken literally");
    let (_, total) = listing::page(db, &words("第1号 王五"), 0, 50, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(total, 0, "both words must occur");
    let (_, total) = listing::page(db, &words("r0001"), 0, 50, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(total, 10, "receipt numbers R00010–R00019");

    // Handler, stage, received dates, outcome.
    let f = Filter {
        handler: Some("zhang".into()),
        ..ours()
    };
    assert_eq!(
        listing::page(db, &f, 0, 50, Order::OldestFirst)
            .await
            .unwrap()
            .1,
        10
    );
    let f = Filter {
        handler: Some(String::new()),
        ..ours()
    };
    assert_eq!(
        listing::page(db, &f, 0, 50, Order::OldestFirst)
            .await
            .unwrap()
            .1,
        22
    );
    let f = Filter {
        stage: Some("received".into()),
        ..ours()
    };
    assert_eq!(
        ids(listing::page(db, &f, 0, 50, Order::OldestFirst)
            .await
            .unwrap()
            .0),
        ["case-00100"]
    );
    let f = Filter {
        received_from: Some(d("2026-03-10")),
        received_to: Some(d("2026-03-12")),
        ..ours()
    };
    assert_eq!(
        ids(listing::page(db, &f, 0, 50, Order::OldestFirst)
            .await
            .unwrap()
            .0),
        ["case-00008", "case-00009", "case-00010"]
    );
    let f = Filter {
        outcome_code: Some("disclosed".into()),
        ..ours()
    };
    assert_eq!(
        ids(listing::page(db, &f, 0, 50, Order::OldestFirst)
            .await
            .unwrap()
            .0),
        ["case-00101"]
    );

    // Due state: overdue on 2026-03-25 are the open cases due before it (the closed one,
    // due in February, is not); by due date, earliest first.
    let f = Filter {
        overdue_on: Some(d("2026-03-25")),
        ..ours()
    };
    let (rows, total) = listing::page(db, &f, 0, 50, Order::DueFirst).await.unwrap();
    assert_eq!(total, 3, "{rows:?}");
    assert_eq!(ids(rows), ["case-00000", "case-00001", "case-00002"]);
    let cal = WorkCalendar::official();
    // 2026-03-25 is a Wednesday: ≤ 3 working days left means due by Monday 03-30.
    let until = listing::due_soon_until(&cal, d("2026-03-25"), 3);
    assert_eq!(until, d("2026-03-31"));
    let f = Filter {
        due_between: Some((d("2026-03-25"), until)),
        ..ours()
    };
    let (rows, _) = listing::page(db, &f, 0, 50, Order::DueFirst).await.unwrap();
    assert_eq!(
        ids(rows),
        [
            "case-00003",
            "case-00004",
            "case-00005",
            "case-00006",
            "case-00007",
            "case-00008"
        ]
    );

    let counts = listing::counts(db, &[AGENCY.to_string()], &cal, d("2026-03-25"), 3)
        .await
        .unwrap();
    assert_eq!(counts.received, 1);
    assert_eq!(counts.overdue, 3);
    assert_eq!(counts.due_soon, 6);
    assert_eq!(counts.open, 31);
    assert_eq!(counts.drafted, 0);
    let both = [AGENCY.to_string(), OTHER.to_string()];
    let counts = listing::counts(db, &both, &cal, d("2026-03-25"), 3)
        .await
        .unwrap();
    assert_eq!(counts.open, 32);

    // A row keeps up with its case: upsert replaces it.
    let mut m = model(5, AGENCY, "drafted", "2026-03-07", Some("2026-03-27"));
    m.handler = "li".into();
    listing::upsert(db, m).await.unwrap();
    let f = Filter {
        stage: Some("drafted".into()),
        handler: Some("li".into()),
        ..ours()
    };
    assert_eq!(
        ids(listing::page(db, &f, 0, 50, Order::OldestFirst)
            .await
            .unwrap()
            .0),
        ["case-00005"]
    );
}

/// A row made from a case file: search text, stage, consultation pause and handler.
#[test]
fn a_row_says_what_its_case_file_says() {
    let facts = CaseFacts {
        agency: AGENCY.into(),
        reference: "JY-2026-00042".into(),
        receipt_number: "R00042".into(),
        received_on: d("2026-03-02"),
        channel: "online".into(),
        applicant_type: ApplicantType::NaturalPerson,
        applicant_name: "Zhang San".into(),
        id_type: String::new(),
        id_number: "510904********0038".into(),
        has_contact: true,
        request_description: "请公开".repeat(30),
        form: String::new(),
        delivery: String::new(),
    };
    let mut case = Case::received(d("2026-03-02"));
    case.handle(&Command::Accept {
        on: d("2026-03-03"),
    })
    .unwrap();
    case.handle(&Command::Consult {
        on: d("2026-03-04"),
        kind: ConsultationKind::ALL[0],
    })
    .unwrap();
    let file = ApprovalFile {
        facts,
        case,
        other_agency: None,
        fee_basis: None,
        history: vec![],
        drafted_by: String::new(),
        letterhead: Default::default(),
        handler: "zhang".into(),
    };
    let config = ServiceConfig::default();
    let dl = deadline::reply_deadline(
        &WorkCalendar::official(),
        &config.deadlines,
        file.case.received_on(),
        &file.case.clock_events(),
    );
    let row = listing::row("c1", &file, &dl);
    assert_eq!(row.stage, "in_progress");
    assert!(row.consulting);
    assert_eq!(row.due_on, None, "the clock is paused");
    assert_eq!(row.handler, "zhang");
    assert!(row.search_text.contains("zhang san") && row.search_text.contains("r00042"));
    assert_eq!(row.request_summary.chars().count(), listing::SUMMARY_CHARS);
}

#[tokio::test]
async fn the_list_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("approval.db").display()
    );
    let db = store::open(&url, ServiceSchema::Approval).await.unwrap();
    check(&db).await;
}

#[tokio::test]
async fn the_list_on_postgresql() {
    let pg = ogi_testkit::PgDatabase::create().await.unwrap();
    let db = store::open(&pg.url, ServiceSchema::Approval).await.unwrap();
    check(&db).await;
    db.close().await.unwrap();
}

#[test]
fn median_and_90th_percentile_by_nearest_rank() {
    assert_eq!(listing::median_and_p90(&mut []), (0.0, 0.0));
    assert_eq!(listing::median_and_p90(&mut [7]), (7.0, 7.0));
    assert_eq!(listing::median_and_p90(&mut [4, 1, 3, 2]), (2.5, 4.0));
    let mut days: Vec<i64> = (1..=20).rev().collect();
    assert_eq!(listing::median_and_p90(&mut days), (10.5, 18.0));
}

#[tokio::test]
async fn reply_figures_by_month_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("approval.db").display()
    );
    let db = store::open(&url, ServiceSchema::Approval).await.unwrap();
    // Received on Monday 2026-03-02; replied 5, 10 and 25 working days later (the last
    // late), and one in April; one outside the period and one of another agency.
    let cal = WorkCalendar::official();
    let replied = |i: u32, agency: &str, n: u32, late: bool| {
        let mut m = model(i, agency, "closed", "2026-03-02", Some("2026-03-30"));
        m.replied_on = Some(cal.workdays_after(d("2026-03-02"), n).date);
        m.replied_late = late;
        m
    };
    for m in [
        replied(1, AGENCY, 5, false),
        replied(2, AGENCY, 10, false),
        replied(3, AGENCY, 25, true),
        replied(4, AGENCY, 30, true),
        replied(5, AGENCY, 200, true),
        replied(6, OTHER, 1, false),
    ] {
        listing::upsert(&db, m).await.unwrap();
    }
    let stats = listing::reply_stats(
        &db,
        &[AGENCY.to_string()],
        &cal,
        d("2026-03-01"),
        d("2026-06-30"),
    )
    .await
    .unwrap();
    let months: Vec<(&str, u64, u64)> = stats
        .months
        .iter()
        .map(|m| (m.month.as_str(), m.replied, m.on_time))
        .collect();
    assert_eq!(months, [("2026-03", 2, 2), ("2026-04", 2, 0)]);
    assert_eq!(stats.replied, 4);
    assert_eq!(stats.on_time, 2);
    assert_eq!(stats.median_days, 17.5);
    assert_eq!(stats.p90_days, 30.0);
    assert_eq!(
        (stats.months[0].median_days, stats.months[0].p90_days),
        (7.5, 10.0)
    );
}

/// Applications are listed from receipt (待受理) and while awaiting correction (补正中); the
/// row of an accepted case is never taken back by a late receipt or correction event.
#[tokio::test]
async fn received_and_awaiting_correction_before_the_case_file_opens() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("approval.db").display()
    );
    let db = store::open(&url, ServiceSchema::Approval).await.unwrap();
    assert!(
        !listing::mark_awaiting_correction(&db, "case-00001")
            .await
            .unwrap(),
        "not listed yet"
    );
    listing::insert_if_absent(
        &db,
        model(1, AGENCY, "received", "2026-03-02", Some("2026-03-30")),
    )
    .await
    .unwrap();
    assert!(
        listing::mark_awaiting_correction(&db, "case-00001")
            .await
            .unwrap()
    );
    let (rows, _) = listing::page(&db, &ours(), 0, 0, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(
        (rows[0].stage.as_str(), rows[0].due_on),
        ("awaiting_correction", None)
    );
    // Accepted: the case file's row replaces it; late events change nothing.
    listing::upsert(
        &db,
        model(1, AGENCY, "in_progress", "2026-03-02", Some("2026-04-01")),
    )
    .await
    .unwrap();
    listing::insert_if_absent(
        &db,
        model(1, AGENCY, "received", "2026-03-02", Some("2026-03-30")),
    )
    .await
    .unwrap();
    assert!(
        listing::mark_awaiting_correction(&db, "case-00001")
            .await
            .unwrap()
    );
    let (rows, total) = listing::page(&db, &ours(), 0, 0, Order::OldestFirst)
        .await
        .unwrap();
    assert_eq!(total, 1);
    assert_eq!(
        (rows[0].stage.as_str(), rows[0].due_on),
        ("in_progress", Some(d("2026-04-01")))
    );
}
