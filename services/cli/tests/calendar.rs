//! `ogi calendar workdays-after` agrees with an independent reading of the official calendar
//! (the upstream spec's `spec/calendar/china-workdays.toml` when `../shared` is beside the
//! repository, else the project's copy, which a core test keeps equal to it) on hundreds of
//! random date/count pairs over every year of the 2019 Regulations.

use std::collections::HashSet;
use std::process::Command;

use chrono::{Datelike, Days, NaiveDate, Weekday};

struct Reference {
    holidays: HashSet<NaiveDate>,
    adjusted: HashSet<NaiveDate>,
}

impl Reference {
    fn load() -> Reference {
        let upstream =
            ogi_testkit::workspace_root().join("../shared/spec/calendar/china-workdays.toml");
        let path = if upstream.exists() {
            upstream
        } else {
            eprintln!("../shared is not present: reading the project's copy of the calendar");
            ogi_testkit::workspace_root().join("services/core/data/china-workdays.toml")
        };
        let text = std::fs::read_to_string(&path).unwrap();
        let value: toml::Value = toml::from_str(&text).unwrap();
        let date = |v: &toml::Value| {
            v.as_datetime()
                .unwrap()
                .to_string()
                .parse::<NaiveDate>()
                .unwrap()
        };
        let mut holidays = HashSet::new();
        let mut adjusted = HashSet::new();
        for year in value["year"].as_array().unwrap() {
            for h in year["holidays"].as_array().unwrap() {
                let (mut d, to) = (date(&h["from"]), date(&h["to"]));
                while d <= to {
                    holidays.insert(d);
                    d = d + Days::new(1);
                }
            }
            for d in year["adjusted_workdays"].as_array().unwrap() {
                adjusted.insert(date(d));
            }
        }
        Reference { holidays, adjusted }
    }

    fn is_workday(&self, d: NaiveDate) -> bool {
        self.adjusted.contains(&d)
            || (!matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&d))
    }

    fn workdays_after(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let (mut d, mut left) = (start, n);
        while left > 0 {
            d = d + Days::new(1);
            if self.is_workday(d) {
                left -= 1;
            }
        }
        d
    }
}

fn ogi(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ogi"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn the_worked_example() {
    let (code, out, _) = ogi(&["calendar", "workdays-after", "2024-09-27", "20"]);
    assert_eq!(code, 0);
    assert_eq!(out.split_whitespace().next(), Some("2024-10-30"));
}

#[test]
fn hundreds_of_random_pairs_agree_with_the_official_calendar() {
    let reference = Reference::load();
    // The Regulations as revised took effect on 2019-05-15.
    let first = NaiveDate::from_ymd_opt(2019, 5, 15).unwrap();
    let last = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
    // A fixed-seed generator so a failure can be reproduced.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let span = (last - first).num_days() as u64 - 60;
    let mut years = std::collections::BTreeSet::new();
    for _ in 0..400 {
        // Stay far enough from the end of 2026 that the answer is inside the loaded years.
        let start = first + Days::new(next() % span);
        years.insert(start.year());
        let n = (next() % 31) as u32;
        let (code, out, err) = ogi(&[
            "calendar",
            "workdays-after",
            &start.to_string(),
            &n.to_string(),
        ]);
        assert_eq!(code, 0, "{err}");
        let expected = reference.workdays_after(start, n).to_string();
        assert_eq!(
            out.split_whitespace().next(),
            Some(expected.as_str()),
            "{start} + {n}"
        );
        assert!(
            !out.contains("暂定"),
            "{start} + {n} is inside the loaded years"
        );
    }
    // Every year 2019–2026 was drawn.
    assert_eq!(years.len(), 8, "{years:?}");
}

#[test]
fn the_courts_example_counts_the_2022_national_day_make_up_days() {
    // Received 2022-09-30; Saturday 8 and Sunday 9 October 2022 were working days.
    let (code, out, err) = ogi(&["calendar", "workdays-after", "2022-09-30", "20"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "2022-11-02");
    let (_, explained, _) = ogi(&["calendar", "explain", "2022-09-30", "20"]);
    assert!(
        explained.contains("计入调休上班日：2022-10-08、2022-10-09"),
        "{explained}"
    );
}

/// `ogi calendar check` with no system running: the file is judged (exit 0 or 1), and the
/// comparison with open cases is said to be skipped.
fn check(file: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ogi"))
        .args(["calendar", "check", file.to_str().unwrap()])
        // A port nothing listens on: no running system.
        .env("OGI_APPROVAL_ADDR", "http://127.0.0.1:1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn calendar_check_judges_a_file_before_it_is_loaded() {
    let shipped = ogi_testkit::workspace_root().join("services/core/data/china-workdays.toml");
    let (code, out) = check(&shipped);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2019年度：节假日7个"), "{out}");
    assert!(
        out.contains("2020年度：节假日6个（共30天），调休上班日6天"),
        "{out}"
    );
    assert!(out.contains("未比较在办案件的答复期限"), "{out}");

    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(&shipped).unwrap();
    // 2024-10-12 (Saturday) was a make-up working day; put it inside National Day.
    let clash = dir.path().join("clash.toml");
    std::fs::write(
        &clash,
        text.replace(
            "{ name = \"国庆节\", from = 2024-10-01, to = 2024-10-07 }",
            "{ name = \"国庆节\", from = 2024-10-01, to = 2024-10-12 }",
        ),
    )
    .unwrap();
    let (code, out) = check(&clash);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("2024年度：调休上班日2024-10-12落在节假日「国庆节」内"),
        "{out}"
    );

    // A year without its Spring Festival is incomplete.
    let partial = dir.path().join("partial.toml");
    std::fs::write(
        &partial,
        "[[year]]\nyear = 2027\nholidays = [{ name = \"元旦\", from = 2027-01-01, to = 2027-01-01 }]\nadjusted_workdays = []\n",
    )
    .unwrap();
    let (code, out) = check(&partial);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2027年度的安排不完整：缺少春节"), "{out}");
}

#[test]
fn outside_the_loaded_years_the_answer_is_provisional() {
    let (code, out, _) = ogi(&["calendar", "workdays-after", "2027-01-01", "5"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("2027-01-08"), "{out}");
    assert!(out.contains("暂定"), "{out}");
}

#[test]
fn a_new_year_can_be_loaded_at_run_time() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("2027.toml");
    std::fs::write(
        &file,
        "[[year]]\nyear = 2027\nholidays = [{ name = \"元旦\", from = 2027-01-01, to = 2027-01-03 }]\nadjusted_workdays = []\n",
    )
    .unwrap();
    let (code, out, err) = ogi(&[
        "calendar",
        "--calendar",
        file.to_str().unwrap(),
        "workdays-after",
        "2026-12-31",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "2027-01-04");
}

#[test]
fn explain_names_the_holidays_and_adjusted_days() {
    let (code, out, _) = ogi(&["calendar", "explain", "2024-09-27", "20"]);
    assert_eq!(code, 0);
    assert!(out.contains("2024-10-01至2024-10-07（国庆节）"), "{out}");
    assert!(out.contains("2024-09-29"), "{out}");
    assert!(out.contains("2024-10-30"), "{out}");
}

#[test]
fn a_bad_date_is_named_in_chinese() {
    let (code, _, err) = ogi(&["calendar", "workdays-after", "2024-02-30", "3"]);
    assert_eq!(code, 2);
    assert!(err.contains("起算日期「2024-02-30」不是有效日期"), "{err}");
}
