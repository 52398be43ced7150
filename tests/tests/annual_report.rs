//! The annual report from the cases: the Anju 2024 fixture imported through the services gives
//! tables 三 and 四 equal to the published ones cell for cell, and table 二 once entered; the
//! check passes it and fails a copy with one cell changed; a rebuild from the streams gives the
//! same figures; the HTML carries the published cells.

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, fixture, stderr, stdout, write};
use serde_json::Value;

const AGENCY: &str = "遂宁市安居区人民政府";

/// A file of the demo agency's published report (examples/anju-2024).
fn example(name: &str) -> std::path::PathBuf {
    ogi_testkit::workspace_root()
        .join("examples/anju-2024")
        .join(name)
}

/// Poll the report until the projections have caught up with all 168 cases.
fn report_when_complete(system: &System) -> Value {
    let start = Instant::now();
    loop {
        let out = system.ogi(&[
            "report", "--agency", AGENCY, "--year", "2024", "--format", "json",
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let reviews = v["reviews_and_litigation"]["review"]["total"]
            .as_i64()
            .unwrap_or(0)
            + v["reviews_and_litigation"]["litigation_direct"]["total"]
                .as_i64()
                .unwrap_or(0);
        if v["applications"]["rows"]["total_processed"][6] == 168 && reviews == 17 {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "projections did not catch up: {v}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_anju_2024_report_equals_the_published_one() {
    let mut system = System::start(Backend::Sqlite).await.unwrap();
    let out = system.ogi(&["import", fixture().to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let published: Value =
        serde_json::from_str(&std::fs::read_to_string(example("published-tables.json")).unwrap())
            .unwrap();

    let report = report_when_complete(&system);
    assert_eq!(report["applications"], published["applications"]);
    assert_eq!(
        report["reviews_and_litigation"],
        published["reviews_and_litigation"]
    );
    assert_eq!(report["fees_collected_yuan"], "0.00");
    assert_eq!(
        report["checks"],
        Value::Array(vec![]),
        "a generated report passes every check"
    );

    // Table 二 once entered.
    let out = system.ogi(&[
        "report",
        "active-disclosure",
        example("active-disclosure.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = report_when_complete(&system);
    assert_eq!(report["active_disclosure"], published["active_disclosure"]);

    // The check passes the report and fails a copy with one cell changed.
    let file = write(
        system.dir.path(),
        "report.json",
        &serde_json::to_string_pretty(&report).unwrap(),
    );
    let out = system.ogi(&["report", "check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stdout(&out));
    let mut broken = report.clone();
    broken["applications"]["rows"]["disclosed"][0] = Value::from(80);
    let file = write(
        system.dir.path(),
        "broken.json",
        &serde_json::to_string(&broken).unwrap(),
    );
    let out = system.ogi(&["report", "check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("自然人"),
        "names the column: {}",
        stdout(&out)
    );

    // The HTML shows the published cells.
    let html = stdout(&system.ogi(&[
        "report", "--agency", AGENCY, "--year", "2024", "--format", "html",
    ]));
    for needle in [
        "一、本年新收政府信息公开申请数量",
        "予以公开",
        "6532.96",
        "40069",
        "<td>154</td>",
        "（本列数据的勾稽关系为",
    ] {
        assert!(html.contains(needle), "html lacks {needle}");
    }

    // The office documents through `ogi report -o`, read back: the .xlsx's table 三 sheet has
    // the 予以公开 row with its figures as numbers, the .docx's text the published cells.
    let written = |format: &str| {
        let path = system.dir.path().join(format!("报告.{format}"));
        let out = system.ogi(&[
            "report",
            "--agency",
            AGENCY,
            "--year",
            "2024",
            "--format",
            format,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        path
    };
    let xlsx = written("xlsx");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&xlsx).unwrap();
    use calamine::Reader as _;
    let three = book.worksheet_range("三、依申请公开").unwrap();
    let disclosed: Vec<f64> = three
        .rows()
        .find(|row| row.iter().any(|c| *c == "（一）予以公开"))
        .expect("a 予以公开 row")
        .iter()
        .filter_map(|c| match c {
            calamine::Data::Float(f) => Some(*f),
            calamine::Data::Int(i) => Some(*i as f64),
            _ => None,
        })
        .collect();
    assert_eq!(disclosed, [79.0, 0.0, 0.0, 0.0, 0.0, 0.0, 79.0]);
    let docx = written("docx");
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&docx).unwrap()).unwrap();
    let document = std::io::read_to_string(archive.by_name("word/document.xml").unwrap()).unwrap();
    for needle in [
        "遂宁市安居区人民政府2024年政府信息公开工作年度报告",
        "6532.96",
        "40069",
    ] {
        assert!(document.contains(needle), "docx lacks {needle}");
    }
    // A binary format is not written to a terminal; with -o omitted and stdout a pipe it is.
    let piped = system.ogi(&[
        "report", "--agency", AGENCY, "--year", "2024", "--format", "xlsx",
    ]);
    assert!(piped.status.success() && piped.stdout.starts_with(b"PK"));

    // Drop the projections and replay the streams: the same figures.
    system.restart_with("reporting", &["--rebuild"]).unwrap();
    let rebuilt = report_when_complete(&system);
    assert_eq!(rebuilt, report);
}

/// A district government's summary over its departments, from the configured hierarchy
/// (`parent`): every cell the sum of the three agencies' own reports, and every check passes.
#[tokio::test(flavor = "multi_thread")]
async fn a_government_summary_adds_its_departments() {
    const GOVERNMENT: &str = "测试区人民政府";
    const DEPARTMENTS: [&str; 2] = ["测试区教育局", "测试区卫生健康局"];
    let config = DEPARTMENTS
        .iter()
        .map(|d| format!("[agencies.\"{d}\"]\nparent = \"{GOVERNMENT}\"\n"))
        .collect::<String>();
    let system = System::start_with_config(Backend::Sqlite, &config)
        .await
        .unwrap();
    let mut expected_total = 0;
    for (i, agency) in std::iter::once(GOVERNMENT).chain(DEPARTMENTS).enumerate() {
        let cases = 12 + 5 * i;
        expected_total += cases;
        let synth = system.ogi(&[
            "records",
            "synth",
            "--cases",
            &cases.to_string(),
            "--year",
            "2024",
            "--agency",
            agency,
            "--seed",
            &(7 + i).to_string(),
        ]);
        let file = write(system.dir.path(), &format!("{i}.jsonl"), &stdout(&synth));
        let out = system.ogi(&["import", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stdout(&out));
    }
    let report = |args: &[&str]| -> Value {
        let mut all = vec!["report", "--year", "2024", "--format", "json"];
        all.extend_from_slice(args);
        let out = system.ogi(&all);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    // Wait until the projections hold every case (received in 2024: new applications).
    let start = Instant::now();
    let summary = loop {
        let v = report(&["--agency", GOVERNMENT, "--with-subordinates"]);
        if v["applications"]["rows"]["new"][6] == expected_total as i64 {
            break v;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{v}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(summary["checks"], Value::Array(vec![]), "{summary}");
    let parts: Vec<Value> = std::iter::once(GOVERNMENT)
        .chain(DEPARTMENTS)
        .map(|a| report(&["--agency", a]))
        .collect();
    let rows = summary["applications"]["rows"].as_object().unwrap();
    assert!(rows.len() > 20);
    for (row, cells) in rows {
        for (col, cell) in cells.as_array().unwrap().iter().enumerate() {
            let sum: i64 = parts
                .iter()
                .map(|p| p["applications"]["rows"][row][col].as_i64().unwrap_or(0))
                .sum();
            assert_eq!(cell.as_i64(), Some(sum), "{row}[{col}]");
        }
    }
    // Naming the agencies gives the same figures as the configured hierarchy.
    let named = report(&[
        "--agency",
        GOVERNMENT,
        "--agency",
        DEPARTMENTS[0],
        "--agency",
        DEPARTMENTS[1],
    ]);
    assert_eq!(named["applications"], summary["applications"]);
}
