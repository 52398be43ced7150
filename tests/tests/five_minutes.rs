//! A newcomer's first hour: the README's "Five minutes with ogi" block, run line for line
//! against a system with the demo agency's cases (what `make run` starts); finding cases by
//! reference, applicant and filters, and every code shown as its Chinese label.

use std::process::Command;
use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System, fixture, stderr, stdout};
use serde_json::Value;

const AGENCY: &str = "遂宁市安居区人民政府";

fn published() -> Value {
    let path = ogi_testkit::workspace_root().join("examples/anju-2024/published-tables.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The fenced block under the README's "Five minutes with ogi" heading.
fn readme_block() -> String {
    let readme = std::fs::read_to_string(ogi_testkit::workspace_root().join("README.md")).unwrap();
    let section = readme
        .split_once("## Five minutes with ogi")
        .expect("the README has its five minutes")
        .1;
    let block = section.split_once("```sh\n").unwrap().1;
    block.split_once("```").unwrap().0.to_string()
}

/// The demo cases imported, and the report's projections caught up with all of them.
async fn demo_system() -> System {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let out = system.ogi(&["import", fixture().to_str().unwrap()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let total = published()["applications"]["rows"]["total_processed"][6].clone();
    let start = Instant::now();
    loop {
        let out = system.ogi(&["report", "--agency", AGENCY, "--year", "2024"]);
        let report: Value = serde_json::from_str(&stdout(&out)).unwrap_or_default();
        if report["applications"]["rows"]["total_processed"][6] == total {
            return system;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "projections behind: {}",
            stdout(&out)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_walk_through_runs_as_written() {
    let system = demo_system().await;
    let block = readme_block();
    let (first, rest) = block.split_once('\n').unwrap();
    assert_eq!(
        first, "ogi=target/debug/ogi",
        "the block starts by naming the binary"
    );
    // Paste it as a newcomer would, with ogi pointed at this system instead of make run's.
    let script = format!(
        "set -euo pipefail\nogi={}\n{}",
        ogi_testkit::binary("ogi").display(),
        rest.replace("/tmp/", &format!("{}/", system.dir.path().display()))
    );
    let mut command = Command::new("bash");
    command
        .env("OGI_CONFIG_DIR", system.operator_config_dir())
        .args(["-c", &script])
        .current_dir(ogi_testkit::workspace_root());
    for pair in system.endpoint_args().chunks(2) {
        let service = pair[0].trim_start_matches("--").to_uppercase();
        command.env(format!("OGI_{service}_ADDR"), &pair[1]);
    }
    let out = command.output().unwrap();
    let (text, errors) = (stdout(&out), stderr(&out));
    assert!(out.status.success(), "{text}\n{errors}");
    assert!(!errors.contains("panicked"), "{errors}");
    // What the newcomer sees: the case found and opened by its reference, in Chinese.
    assert!(text.contains("AJ2024-00042"), "{text}");
    assert!(text.contains("本机关编号 AJ2024-00042"), "{text}");
    assert!(text.contains("阶段：已办结"), "{text}");
    assert!(text.contains("：0项不符，0项警告"), "{text}");
    // Services log plain text to files: no colour codes.
    assert!(
        !system.logs().contains('\u{1b}'),
        "ANSI colour in a log file"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_are_found_by_reference_applicant_and_filters() {
    let system = demo_system().await;
    let demo: Vec<ogi_core::records::CaseRecord> =
        ogi_core::records::parse_jsonl(&std::fs::read_to_string(fixture()).unwrap())
            .records
            .into_iter()
            .map(|(_, r)| r)
            .collect();
    let json = |args: &[&str]| -> Vec<Value> {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = system.ogi(&all);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        serde_json::from_str(&stdout(&out)).unwrap()
    };
    let rows = published()["applications"]["rows"].clone();

    // By reference: one case, codes kept in JSON.
    let case = &demo[41];
    let found = json(&["cases", "search", &case.reference]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["ref"], case.reference.as_str());
    assert_eq!(found[0]["channel"], case.channel.code());
    assert_eq!(found[0]["stage"], "closed");
    assert_eq!(
        found[0]["outcome"],
        case.outcome.unwrap().code.code(),
        "{found:?}"
    );
    // By applicant name: every case of that applicant.
    let name = &case.applicant.name;
    let by_name = json(&["cases", "search", name]);
    let expected = demo.iter().filter(|r| &r.applicant.name == name).count();
    assert_eq!(by_name.len(), expected);
    // Never by identity number or telephone; % and _ are themselves.
    assert_eq!(
        json(&["cases", "search", &case.applicant.id_number]),
        Vec::<Value>::new()
    );
    let phone = case.applicant.phone.clone().unwrap();
    assert_eq!(json(&["cases", "search", &phone]), Vec::<Value>::new());
    assert_eq!(json(&["cases", "search", "%"]), Vec::<Value>::new());
    assert_eq!(json(&["cases", "search", "_"]), Vec::<Value>::new());

    // Filters, counted against the published tables.
    let partially = json(&[
        "cases",
        "list",
        "--agency",
        AGENCY,
        "--outcome",
        "partially_disclosed",
    ]);
    assert_eq!(
        Some(partially.len() as u64),
        rows["partially_disclosed"][6].as_u64()
    );
    let december = json(&[
        "cases",
        "list",
        "--received-from",
        "2023-12-01",
        "--received-to",
        "2023-12-31",
    ]);
    assert_eq!(
        Some(december.len() as u64),
        rows["carried_over"][6].as_u64()
    );
    assert_eq!(
        json(&["cases", "list", "--stage", "in_progress"]),
        Vec::<Value>::new()
    );
    assert_eq!(
        json(&["cases", "list", "--overdue-on", "2025-06-30"]),
        Vec::<Value>::new()
    );
    let all = json(&["cases", "list"]);
    assert_eq!(all.len(), demo.len());

    // The table: Chinese labels, no codes.
    let out = system.ogi(&["cases", "search", &case.reference]);
    let table = stdout(&out);
    assert!(
        table.contains("已办结") && table.contains("自然人"),
        "{table}"
    );
    assert!(
        !table.contains("closed") && !table.contains("natural_person"),
        "{table}"
    );

    // ogi show by reference and by receipt number: every code as its label.
    let receipt = found[0]["receipt_number"].as_str().unwrap().to_string();
    for key in [case.reference.as_str(), receipt.as_str()] {
        let out = system.ogi(&["show", key]);
        let text = stdout(&out);
        assert!(out.status.success(), "{}", stderr(&out));
        for code in [
            case.channel.code(),
            case.applicant.applicant_type.code(),
            case.outcome.unwrap().code.code(),
            "closed",
            "accepted",
            case.request.form.code(),
        ] {
            assert!(!text.contains(&format!("（{code}")), "{code} in {text}");
            assert!(!text.contains(&format!("：{code}")), "{code} in {text}");
        }
        assert!(text.contains(case.channel.label()), "{text}");
        assert!(
            text.contains(case.applicant.applicant_type.column_label()),
            "{text}"
        );
        assert!(
            text.contains(case.outcome.unwrap().code.short_label()),
            "{text}"
        );
        assert!(text.contains("审核状态：已受理"), "{text}");
    }
    let out = system.ogi(&["show", "AJ1999-99999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("找不到案件「AJ1999-99999」"),
        "{}",
        stderr(&out)
    );

    // A reader that goes away after one line: no panic.
    let mut args = vec!["show".to_string(), case.reference.clone()];
    args.extend(system.endpoint_args());
    let out = Command::new("bash")
        .env("OGI_CONFIG_DIR", system.operator_config_dir())
        .args([
            "-c",
            "\"$0\" \"$@\" | head -1",
            ogi_testkit::binary("ogi").to_str().unwrap(),
        ])
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}
