//! `ApprovalService/ListCases`: an agency's cases found by reference, receipt number,
//! applicant or request text, filtered by stage, outcome, receipt dates and due dates, in
//! server-side pages that report the true total.

use ogi_e2e::{Backend, System, fixture, stdout};
use ogi_proto::v1::{self as pb, approval_service_client::ApprovalServiceClient};

const AGENCY: &str = "遂宁市安居区人民政府";

async fn approval(system: &System) -> ApprovalServiceClient<tonic::transport::Channel> {
    let port = system
        .services
        .iter()
        .find(|s| s.name == "approval")
        .unwrap()
        .port;
    let channel = tonic::transport::Endpoint::from_shared(format!("http://127.0.0.1:{port}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    ApprovalServiceClient::new(channel)
}

fn request(f: impl FnOnce(&mut pb::ListCasesRequest)) -> pb::ListCasesRequest {
    let mut r = pb::ListCasesRequest {
        agency: AGENCY.to_string(),
        ..Default::default()
    };
    f(&mut r);
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_are_found_filtered_and_paged_with_the_true_total() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let records: Vec<serde_json::Value> = std::fs::read_to_string(fixture())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let out = system.ogi(&["import", fixture().to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    let mut client = approval(&system).await;

    // Every imported case reaches approval (accepted, or closed as abandoned); wait for the
    // last of them to arrive, then the total is exact.
    let all = records.len() as u64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let listed = loop {
        let r = client
            .list_cases(request(|_| {}))
            .await
            .unwrap()
            .into_inner();
        if r.total == all || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(listed.total, all);
    assert_eq!(listed.cases.len(), 50, "the default page size");

    // Pages: the last one holds the rest, every page reports the same total.
    let size = 50u32;
    let last_page = all.div_ceil(u64::from(size)) as u32;
    let last = client
        .list_cases(request(|r| {
            r.page_size = size;
            r.page = last_page;
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(last.total, all);
    assert_eq!(
        last.cases.len() as u64,
        all - u64::from(size) * u64::from(last_page - 1)
    );

    // By reference, and by applicant name: the record's own values.
    let record = &records[records.len() / 2];
    let reference = record["ref"].as_str().unwrap();
    let found = client
        .list_cases(request(|r| r.query = reference.to_string()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(found.total, 1);
    assert_eq!(found.cases[0].reference, reference);
    assert_eq!(
        found.cases[0].outcome_code,
        record["outcome"]["code"].as_str().unwrap()
    );
    let name = record["applicant"]["name"].as_str().unwrap();
    let by_name = client
        .list_cases(request(|r| r.query = name.to_string()))
        .await
        .unwrap()
        .into_inner();
    let expected = records
        .iter()
        .filter(|r| r["applicant"]["name"].as_str().unwrap().contains(name))
        .count() as u64;
    assert!(by_name.total >= expected, "{} < {expected}", by_name.total);
    assert!(by_name.cases.iter().any(|c| c.reference == reference));
    // An identity number finds nothing: it is not searched.
    let id = record["applicant"]["id_number"]
        .as_str()
        .unwrap_or_default();
    if !id.is_empty() {
        let none = client
            .list_cases(request(|r| r.query = id.to_string()))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(none.total, 0);
    }

    // By outcome: as many as the records say.
    let outcome = record["outcome"]["code"].as_str().unwrap();
    let with_outcome = records
        .iter()
        .filter(|r| r["outcome"]["code"] == outcome)
        .count() as u64;
    let r = client
        .list_cases(request(|r| {
            r.outcome = outcome.to_string();
            r.page_size = 200;
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.total, with_outcome);
    assert!(r.cases.iter().all(|c| c.outcome_code == outcome));

    // A live case: overdue and due-soon are counted from the given day, never the clock.
    let out = system.ogi(&[
        "submit",
        "--agency",
        AGENCY,
        "--channel",
        "online",
        "--received-on",
        "2026-03-02",
        "--name",
        "王建华",
        "--id-number",
        "510904198507120038",
        "--phone",
        "13800000017",
        "--description",
        "申请公开2025年老旧小区改造资金明细",
    ]);
    assert!(out.status.success());
    let id = stdout(&out).lines().next().unwrap().trim().to_string();
    let out = system.ogi(&["accept", &id, "--on", "2026-03-03"]);
    assert!(out.status.success());
    let live = |due: &'static str, today: &'static str| {
        request(move |r| {
            r.due = due.to_string();
            r.today = today.to_string();
            r.due_within_days = 30;
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let soon = loop {
        let r = client
            .list_cases(live("due_soon", "2026-03-03"))
            .await
            .unwrap()
            .into_inner();
        if r.total > 0 || std::time::Instant::now() > deadline {
            break r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(
        soon.total, 1,
        "only the live case is due; the imported ones are replied"
    );
    assert_eq!(soon.cases[0].case_id, id);
    assert_eq!(soon.cases[0].stage, "in_progress");
    assert!(soon.cases[0].working_days_left.unwrap() > 0);
    let overdue = client
        .list_cases(live("overdue", "2026-12-01"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue.total, 1);
    assert!(overdue.cases[0].working_days_left.unwrap() < 0);
    let in_progress = client
        .list_cases(request(|r| r.stage = "in_progress".into()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(in_progress.total, 1);

    // Bad filters are named.
    for (bad, field) in [
        (request(|r| r.stage = "nowhere".into()), "stage"),
        (request(|r| r.due = "overdue".into()), "today"),
        (request(|r| r.query = "字".repeat(101)), "query"),
        (request(|r| r.agency.clear()), "agency"),
    ] {
        let status = client.list_cases(bad).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let text = ogi_platform::error::describe_status(&status);
        assert!(text.contains(field), "{field}: {text}");
    }
}
