//! The proactive-disclosure catalogue through the real services: importing the Anju catalogue
//! (examples/anju-2024/catalogue.jsonl) gives the published table 二 (行政规范性文件 0 / 5 / 8,
//! 规章 all 0) by counting; importing it again changes nothing; a repeal dated in 2025 changes
//! the 2025 report and not 2024's; a bad file is refused by line and stores nothing; figures
//! entered by hand that differ from the count are refused; and three applicants asking for
//! the same document make an Art. 44 candidate, published to the catalogue in one step.

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, stderr, stdout, write};
use serde_json::{Value, json};

const AGENCY: &str = "遂宁市安居区人民政府";

fn catalogue_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/anju-2024/catalogue.jsonl")
}

fn report(system: &System, year: i32) -> Value {
    let out = system.ogi(&[
        "report",
        "--agency",
        AGENCY,
        "--year",
        &year.to_string(),
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn documents(issued: i64, repealed: i64, in_force: i64) -> Value {
    json!({"issued": issued, "repealed": repealed, "in_force": in_force})
}

/// Poll the year's report until its normative documents are `expected`.
fn wait_for_documents(system: &System, year: i32, expected: &Value) -> Value {
    let start = Instant::now();
    loop {
        let r = report(system, year);
        if r["active_disclosure"]["normative_documents"] == *expected {
            return r;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the projection did not reach {expected}: {r}\n{}",
            system.logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn catalogue_events(system: &System) -> u64 {
    system
        .count_subject("OGI_PUBLISHING", "ogi.publishing.catalogue.>")
        .await
        .unwrap()
}

fn applied(system: &System, args: &[&str]) -> String {
    let out = system.ogi(args);
    assert!(
        out.status.success(),
        "ogi {args:?}: {}\n{}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

async fn table_two_from_the_catalogue(backend: Backend) {
    let system = System::start(backend).await.unwrap();
    system.register_agency(AGENCY);
    let file = catalogue_file();
    let file = file.to_str().unwrap();

    let printed = applied(&system, &["catalogue", "import", file]);
    assert!(
        printed.contains("共15件，新增15件，更正0件，未变0件"),
        "{printed}"
    );
    let r2024 = wait_for_documents(&system, 2024, &documents(0, 5, 8));
    assert_eq!(r2024["active_disclosure"]["rules"], documents(0, 0, 0));
    let checks = r2024["checks"].as_array().unwrap();
    assert!(
        checks
            .iter()
            .all(|c| c["rule"] != "documents_in_force" && c["rule"] != "catalogue_difference"),
        "{checks:?}"
    );
    assert_eq!(catalogue_events(&system).await, 15);

    // The same file again changes nothing: no event, the same report.
    let printed = applied(&system, &["catalogue", "import", file]);
    assert!(printed.contains("新增0件，更正0件，未变15件"), "{printed}");
    assert_eq!(catalogue_events(&system).await, 15);
    assert_eq!(
        report(&system, 2024)["active_disclosure"],
        r2024["active_disclosure"]
    );

    // Listing: 8 in force at the end of 2024, in Chinese; JSON Lines in the import format.
    let listed = applied(
        &system,
        &[
            "catalogue",
            "list",
            "--agency",
            AGENCY,
            "--in-force-on",
            "2024-12-31",
        ],
    );
    assert!(listed.contains("现行有效的文件共8件"), "{listed}");
    assert!(listed.contains("行政规范性文件") && listed.contains("成文日期"));
    let lines = applied(
        &system,
        &["catalogue", "list", "--agency", AGENCY, "--format", "json"],
    );
    assert_eq!(lines.lines().count(), 15);
    let again = write(system.dir.path(), "listed.jsonl", &lines);
    let printed = applied(&system, &["catalogue", "import", again.to_str().unwrap()]);
    assert!(
        printed.contains("未变15件"),
        "the listing imports as is: {printed}"
    );

    // A repeal dated in 2025 changes the 2025 report, not 2024's.
    let before = report(&system, 2025)["active_disclosure"]["normative_documents"].clone();
    let (repealed, in_force) = (
        before["repealed"].as_i64().unwrap(),
        before["in_force"].as_i64().unwrap(),
    );
    applied(
        &system,
        &[
            "catalogue",
            "repeal",
            "安府规〔2021〕2号",
            "--agency",
            AGENCY,
            "--on",
            "2025-03-31",
            "--by",
            "安府发〔2025〕3号",
        ],
    );
    wait_for_documents(&system, 2025, &documents(0, repealed + 1, in_force - 1));
    assert_eq!(
        report(&system, 2024)["active_disclosure"]["normative_documents"],
        documents(0, 5, 8)
    );
    // …and re-importing last year's file does not undo it.
    let printed = applied(&system, &["catalogue", "import", file]);
    assert!(printed.contains("未变15件"), "{printed}");
    let out = system.ogi(&[
        "catalogue",
        "repeal",
        "安府规〔2021〕2号",
        "--agency",
        AGENCY,
        "--on",
        "2025-04-30",
    ]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("已于2025-03-31废止"),
        "{}",
        stderr(&out)
    );

    // A bad file is refused line by line and stores nothing.
    let bad = write(
        system.dir.path(),
        "bad.jsonl",
        &format!(
            "{}\n{}\n",
            json!({"agency": AGENCY, "kind": "normative_document", "number": "安府规〔2025〕1号", "title": "新办法", "issued_on": "2025-02-01"}),
            json!({"agency": AGENCY, "kind": "decree", "number": "安府规〔2025〕2号", "title": "另一办法", "issued_on": "2025-13-01"}),
        ),
    );
    let out = system.ogi(&["catalogue", "import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let errors = stderr(&out);
    assert!(errors.contains("第2行：字段 kind"), "{errors}");
    assert!(errors.contains("第2行：字段 issued_on"), "{errors}");
    assert!(errors.contains("未导入任何文件"), "{errors}");
    assert_eq!(
        catalogue_events(&system).await,
        16,
        "15 records and one repeal"
    );

    // Table 二 entered by hand: the document cells must agree with the catalogue.
    let mut entry = json!({
        "agency": AGENCY, "year": 2024,
        "rules": documents(0, 0, 0),
        "normative_documents": documents(0, 4, 8),
        "licensing_decisions": 40069, "penalty_decisions": 862,
        "enforcement_decisions": 20796, "fees_10k_yuan": "6532.96"
    });
    let entered = write(system.dir.path(), "active.json", &entry.to_string());
    let out = system.ogi(&["report", "active-disclosure", entered.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("「行政规范性文件」本年废止件数录入4件，目录统计为5件"),
        "{}",
        stderr(&out)
    );
    entry["normative_documents"] = documents(0, 5, 8);
    let entered = write(system.dir.path(), "active.json", &entry.to_string());
    applied(
        &system,
        &["report", "active-disclosure", entered.to_str().unwrap()],
    );
    let r = report(&system, 2024);
    assert_eq!(r["active_disclosure"]["licensing_decisions"], 40069);
    assert_eq!(
        r["active_disclosure"]["normative_documents"],
        documents(0, 5, 8)
    );
    assert_eq!(
        r["checks"],
        json!([]),
        "the whole report passes every check"
    );

    // The decision counts from a 双公示 export (CSV, then .xlsx), the other figures kept.
    let csv = write(
        system.dir.path(),
        "双公示.csv",
        &format!(
            "序号,决定类别,决定文书号,决定日期,决定机关\n\
             1,行政许可,\"安审批许〔2024〕1号, 附件\",2024-01-05,{AGENCY}\n\
             2,行政许可,安审批许〔2024〕2号,2024-02-05,{AGENCY}\n\
             3,行政处罚,安综执罚〔2024〕1号,2024-03-05,{AGENCY}\n\
             4,行政许可,安审批许〔2023〕9号,2023-12-29,{AGENCY}\n"
        ),
    );
    let printed = applied(
        &system,
        &["report", "active-disclosure", csv.to_str().unwrap()],
    );
    assert!(
        printed.contains("行政强制未包含（保持原录入）"),
        "{printed}"
    );
    let table = &report(&system, 2024)["active_disclosure"];
    assert_eq!(table["licensing_decisions"], 2);
    assert_eq!(table["penalty_decisions"], 1);
    assert_eq!(table["enforcement_decisions"], 20796, "kept");
    assert_eq!(table["fees_10k_yuan"], "6532.96", "kept");
    assert_eq!(table["normative_documents"], documents(0, 5, 8));
    assert_eq!(
        report(&system, 2023)["active_disclosure"]["licensing_decisions"],
        1
    );

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (col, name) in ["行政相对人名称", "处罚决定日期", "处罚机关"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, col as u16, *name).unwrap();
    }
    for row in 1..=3u32 {
        sheet.write_string(row, 0, format!("某公司{row}")).unwrap();
        sheet.write_string(row, 1, "2024-06-01").unwrap();
        sheet.write_string(row, 2, AGENCY).unwrap();
    }
    let xlsx = system.dir.path().join("处罚.xlsx");
    book.save(&xlsx).unwrap();
    applied(
        &system,
        &["report", "active-disclosure", xlsx.to_str().unwrap()],
    );
    let table = &report(&system, 2024)["active_disclosure"];
    assert_eq!(table["penalty_decisions"], 3);
    assert_eq!(
        table["licensing_decisions"], 2,
        "a penalty export leaves licensing alone"
    );

    let bad = write(
        system.dir.path(),
        "bad.csv",
        &format!("决定类别,决定日期,决定机关\n行政确认,2024-01-05,{AGENCY}\n"),
    );
    let out = system.ogi(&["report", "active-disclosure", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("第2行「决定类别」列"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        report(&system, 2024)["active_disclosure"]["penalty_decisions"],
        3
    );

    // 2024 locked, then a repeal moved into 2025: 2024 stays as locked and shows the difference;
    // 2025's documents in force no longer follow from 2024's as published (a warning).
    applied(
        &system,
        &["report", "lock", "--agency", AGENCY, "--year", "2024"],
    );
    let corrected = write(
        system.dir.path(),
        "corrected.jsonl",
        &json!({"agency": AGENCY, "kind": "normative_document", "number": "安府规〔2018〕1号",
                "title": "遂宁市安居区城市道路占用挖掘管理办法", "issued_on": "2018-03-02",
                "published_on": "2018-03-09", "repealed_on": "2025-01-15",
                "repealed_by": "安府发〔2025〕1号"})
        .to_string(),
    );
    let printed = applied(
        &system,
        &["catalogue", "import", corrected.to_str().unwrap()],
    );
    assert!(printed.contains("更正1件"), "{printed}");
    let r2025 = wait_for_documents(&system, 2025, &documents(0, repealed + 2, in_force - 1));
    let warning = r2025["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["rule"] == "documents_in_force")
        .unwrap_or_else(|| panic!("no documents_in_force warning: {r2025}"));
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["row"], "行政规范性文件");
    let out = system.ogi(&["report", "--agency", AGENCY, "--year", "2024"]);
    assert!(
        stderr(&out).contains("表二「行政规范性文件」本年废止件数：已锁定5，现为4"),
        "{}",
        stderr(&out)
    );
    let locked: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        locked["active_disclosure"]["normative_documents"],
        documents(0, 5, 8)
    );

    // A rebuild replays the catalogue events to the same figures.
    let mut system = system;
    system.restart_with("reporting", &["--rebuild"]).unwrap();
    wait_for_documents(&system, 2025, &documents(0, repealed + 2, in_force - 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn table_two_is_counted_from_the_catalogue_on_sqlite() {
    table_two_from_the_catalogue(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn table_two_is_counted_from_the_catalogue_on_postgres() {
    table_two_from_the_catalogue(Backend::Postgres).await;
}

/// A case record replied to with `outcome` on `replied_on`.
fn case(
    reference: &str,
    name: &str,
    id_number: &str,
    request: &str,
    outcome: &str,
    replied_on: &str,
) -> String {
    json!({
        "ref": reference, "agency": AGENCY, "received_on": "2024-03-01", "channel": "online",
        "applicant": {"type": "natural_person", "name": name, "id_type": "resident_id_card",
                      "id_number": id_number, "phone": "13800000017", "address": null, "email": null},
        "request": {"description": request, "form": "electronic", "delivery": "email"},
        "history": [], "outcome": {"code": outcome, "replied_on": replied_on}, "reviews": []
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_applicants_asking_for_the_same_document_are_a_candidate() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency(AGENCY);
    let document = "申请公开安居区2023年城镇老旧小区改造项目的立项批复文件";
    let records = [
        case(
            "A44-1",
            "高华",
            "51090419800502314X",
            document,
            "partially_disclosed",
            "2024-03-12",
        ),
        case(
            "A44-2",
            "叶秀",
            "51090420011129260X",
            &format!("请提供：{document}。"),
            "disclosed",
            "2024-03-14",
        ),
        case(
            "A44-3",
            "秦刚",
            "51090419880612758X",
            "安居区2023年城镇老旧小区改造项目立项批复文件",
            "disclosed",
            "2024-03-20",
        ),
        case(
            "A44-4",
            "赵超",
            "510904196811085936",
            document,
            "unavailable.not_held",
            "2024-03-21",
        ),
        case(
            "A44-5",
            "宋强",
            "510904198901309146",
            "申请公开三家镇红星村村务公开栏所载2023年度财务收支明细",
            "disclosed",
            "2024-03-22",
        ),
        case(
            "A44-6",
            "王建华",
            "510904198507120038",
            "申请公开三家镇龙泉村村务公开栏所载2023年度财务收支明细",
            "disclosed",
            "2024-03-22",
        ),
    ];
    let file = write(system.dir.path(), "cases.jsonl", &records.join("\n"));
    applied(&system, &["import", file.to_str().unwrap()]);
    assert_eq!(
        system
            .wait_for_count(
                "OGI_PUBLISHING",
                "ogi.publishing.reply.served",
                6,
                Duration::from_secs(60)
            )
            .await,
        6
    );

    let listed = applied(
        &system,
        &[
            "disclosure",
            "candidates",
            "--agency",
            AGENCY,
            "--year",
            "2024",
            "--format",
            "json",
        ],
    );
    let candidates: Value = serde_json::from_str(&listed).unwrap();
    let candidates = candidates.as_array().unwrap();
    assert_eq!(candidates.len(), 1, "{listed}");
    let c = &candidates[0];
    assert_eq!(c["applicants"], 3);
    let names: Vec<&str> = c["applications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["applicant_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["高华", "叶秀", "秦刚"],
        "not the reply that held nothing"
    );
    assert_eq!(
        c["released_by"]["applicant_name"], "叶秀",
        "the first full disclosure"
    );
    assert_eq!(c["released_by"]["outcome_code"], "disclosed");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["released_by"]["document_number"], id.as_str());

    let table = applied(
        &system,
        &[
            "disclosure",
            "candidates",
            "--agency",
            AGENCY,
            "--year",
            "2024",
        ],
    );
    assert!(table.contains("申请人：3名，申请3件"), "{table}");
    assert!(
        table.contains("公开该信息的答复") && table.contains("部分公开"),
        "{table}"
    );
    let none = applied(
        &system,
        &[
            "disclosure",
            "candidates",
            "--agency",
            AGENCY,
            "--year",
            "2024",
            "--min-applicants",
            "4",
        ],
    );
    assert!(none.contains("主动公开候选0个"), "{none}");

    // Published in one step; again changes nothing; table 二 does not count it.
    let printed = applied(
        &system,
        &[
            "disclosure",
            "publish",
            &id,
            "--agency",
            AGENCY,
            "--year",
            "2024",
            "--on",
            "2024-04-01",
        ],
    );
    assert!(printed.contains("已登入主动公开目录"), "{printed}");
    let printed = applied(
        &system,
        &[
            "disclosure",
            "publish",
            &id,
            "--agency",
            AGENCY,
            "--year",
            "2024",
            "--on",
            "2024-04-01",
        ],
    );
    assert!(printed.contains("未作改变"), "{printed}");
    let lines = applied(
        &system,
        &[
            "catalogue",
            "list",
            "--agency",
            AGENCY,
            "--kind",
            "released_information",
            "--format",
            "json",
        ],
    );
    let published: Value = serde_json::from_str(lines.trim()).unwrap();
    assert_eq!(published["title"], document);
    assert_eq!(published["number"], id.as_str());
    assert_eq!(published["issued_on"], "2024-03-14");
    assert_eq!(published["published_on"], "2024-04-01");
    let listed = applied(
        &system,
        &[
            "disclosure",
            "candidates",
            "--agency",
            AGENCY,
            "--year",
            "2024",
            "--format",
            "json",
        ],
    );
    let again: Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(again[0]["published_as"], id.as_str());
    assert!(
        report(&system, 2024).get("active_disclosure").is_none(),
        "released information is no rule or normative document: table 二 stays as entered"
    );
}
