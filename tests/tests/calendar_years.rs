//! A deadline that runs into a year whose holidays are not loaded says so (`ogi show`,
//! `ogi due`); `ogi calendar check` judges a file an operator is about to load and shows
//! what it changes for open cases; `ogi status` warns when the calendar ends too soon.

use ogi_e2e::{Backend, System, stdout, write};

/// A made-up but complete 2027 schedule (not an announced one): 元旦 on Friday 1 January.
const MADE_UP_2027: &str = r#"[[year]]
year = 2027
holidays = [
  { name = "元旦", from = 2027-01-01, to = 2027-01-01 },
  { name = "春节", from = 2027-02-06, to = 2027-02-12 },
  { name = "清明节", from = 2027-04-05, to = 2027-04-05 },
  { name = "劳动节", from = 2027-05-01, to = 2027-05-05 },
  { name = "端午节", from = 2027-06-09, to = 2027-06-09 },
  { name = "中秋节", from = 2027-09-15, to = 2027-09-15 },
  { name = "国庆节", from = 2027-10-01, to = 2027-10-07 },
]
adjusted_workdays = [2027-02-13]
"#;

fn submit(system: &System, received_on: &str) -> String {
    system.register_agency("测试局");
    let out = system.ogi(&[
        "submit",
        "--agency",
        "测试局",
        "--channel",
        "online",
        "--received-on",
        received_on,
        "--name",
        "王建华",
        "--id-number",
        "510904198507120038",
        "--phone",
        "13800000017",
        "--description",
        "申请公开2026年度部门预算执行情况",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out).lines().next().unwrap().trim().to_string()
}

/// Run `ogi show` until the approval service has the case with a reply deadline.
fn show_with_deadline(system: &System, id: &str) -> String {
    let start = std::time::Instant::now();
    loop {
        let out = system.ogi(&["show", id]);
        let text = stdout(&out);
        if text.contains("答复期限：") {
            return text;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(30),
            "no deadline shown: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deadline_running_into_an_unloaded_year_is_provisional_until_it_is_loaded() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    // Received Tuesday 2026-12-15: the 20th working day falls in 2027, whose holidays the
    // shipped calendar does not have: weekends only gives 2027-01-12, provisional.
    let crossing = submit(&system, "2026-12-15");
    let out = system.ogi(&["accept", &crossing, "--on", "2026-12-16"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Received and due inside 2026: not provisional.
    let inside = submit(&system, "2026-09-01");
    let out = system.ogi(&["accept", &inside, "--on", "2026-09-02"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let shown = show_with_deadline(&system, &crossing);
    assert!(
        shown.contains("答复期限：2027-01-12（该年度节假日安排未载入，仅按周末推算，结果为暂定）"),
        "{shown}"
    );
    let shown_inside = show_with_deadline(&system, &inside);
    let line = shown_inside
        .lines()
        .find(|l| l.starts_with("答复期限："))
        .unwrap();
    assert!(!line.contains("暂定"), "{shown_inside}");

    let due = stdout(&system.ogi(&[
        "due",
        "--agency",
        "测试局",
        "--today",
        "2026-12-31",
        "--within",
        "30",
    ]));
    assert!(
        due.lines()
            .any(|l| l.contains(&crossing) && l.contains("2027-01-12（暂定）")),
        "{due}"
    );

    // The operator checks the announced (here: made-up) 2027 file before loading it: it
    // passes, and the crossing case's due date moves past 元旦; the other does not change.
    let dir = system.dir.path();
    let good = write(dir, "2027.toml", MADE_UP_2027);
    let out = system.ogi(&["calendar", "check", good.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("检查通过"), "{text}");
    assert!(text.contains("2027年度：节假日7个"), "{text}");
    assert!(
        text.contains("在办案件2件，载入后答复期限将变化的1件"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "{crossing}  测试局  2027-01-12（暂定） → 2027-01-13\n"
        )),
        "{text}"
    );
    assert!(!text.contains(&inside), "{text}");

    // A holiday on an adjusted working day is refused, with the date and the holiday.
    let bad = write(
        dir,
        "bad.toml",
        &MADE_UP_2027.replace("[2027-02-13]", "[2027-02-06]"),
    );
    let out = system.ogi(&["calendar", "check", bad.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("调休上班日2027-02-06落在节假日「春节」内"),
        "{text}"
    );
    assert!(!text.contains("在办案件"), "{text}");

    // The shipped calendar ends with 2026; this test runs in 2026 or later, so next year is
    // never loaded and `ogi status` warns (it still exits 0: the services are healthy).
    let out = system.ogi(&["status"]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("警告：工作日历只到2026年"),
        "{}",
        stdout(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_loaded_year_ends_the_provisional_mark_and_the_status_warning() {
    let dir = tempfile::tempdir().unwrap();
    // Every year up to 2099 loaded (a made-up schedule repeated) keeps `ogi status` quiet
    // whatever year the test runs in.
    let mut file = String::new();
    for year in 2027..=2099 {
        // Adjusted working days are weekend days of their own year: keep 2027's only.
        let schedule = if year == 2027 {
            MADE_UP_2027.to_string()
        } else {
            MADE_UP_2027
                .replace("[2027-02-13]", "[]")
                .replace("2027", &year.to_string())
        };
        file.push_str(&schedule);
    }
    let path = write(dir.path(), "far.toml", &file);
    let config = format!("calendar_file = {:?}\n", path.to_str().unwrap());
    let system = System::start_with_config(Backend::Sqlite, &config)
        .await
        .unwrap();
    let id = submit(&system, "2026-12-15");
    let out = system.ogi(&["accept", &id, "--on", "2026-12-16"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = show_with_deadline(&system, &id);
    assert!(shown.contains("答复期限：2027-01-13\n"), "{shown}");
    assert!(!shown.contains("暂定"), "{shown}");
    let out = system.ogi(&["status"]);
    assert!(out.status.success());
    assert!(!stdout(&out).contains("警告"), "{}", stdout(&out));
}
