//! `ogi calendar workdays-after` agrees with an independent reading of the official calendar
//! (the copy ogi ships, services/core/data/china-workdays.toml, which a core test keeps equal
//! to the upstream spec) on hundreds of random date/count pairs.

use std::collections::HashSet;
use std::process::Command;

use chrono::{Datelike, Days, NaiveDate, Weekday};

struct Reference {
    holidays: HashSet<NaiveDate>,
    adjusted: HashSet<NaiveDate>,
}

impl Reference {
    fn load() -> Reference {
        let path = ogi_testkit::workspace_root().join("services/core/data/china-workdays.toml");
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
    let first = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    // A fixed-seed generator so a failure can be reproduced.
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..300 {
        // Stay far enough from the end of 2026 that the answer is inside the loaded years.
        let start = first + Days::new(next() % (365 * 4 - 60));
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
