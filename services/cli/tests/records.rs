//! `ogi records validate` on the Anju 2024 demo cases (examples/anju-2024) and on a broken file.

use std::process::Command;

fn validate(path: &std::path::Path) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ogi"))
        .args(["records", "validate"])
        .arg(path)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
    )
}

/// A record of the file, changed by `change`, on one line again.
fn edit(line: &str, change: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut record: serde_json::Value = serde_json::from_str(line).unwrap();
    change(&mut record);
    record.to_string()
}

fn fixture() -> std::path::PathBuf {
    ogi_testkit::workspace_root().join("examples/anju-2024/cases.jsonl")
}

#[test]
fn the_anju_fixture_has_168_valid_records() {
    let (code, out) = validate(&fixture());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("有效记录168条，错误0行"), "{out}");
}

#[test]
fn every_broken_line_is_listed_and_the_good_ones_kept() {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let good: Vec<&str> = text.lines().take(3).collect();
    let broken = [
        good[0].to_string(),
        "{not json".to_string(),
        edit(good[1], |r| {
            r["ref"] = "X-1".into();
            let code = format!("bogus.{}", r["outcome"]["code"].as_str().unwrap());
            r["outcome"]["code"] = code.into();
        }),
        edit(good[2], |r| {
            r["ref"] = "X-2".into();
            // Received a month after the reply.
            let replied: chrono::NaiveDate = r["outcome"]["replied_on"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            r["received_on"] = (replied + chrono::Days::new(30)).to_string().into();
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.jsonl");
    std::fs::write(&file, broken.join("\n")).unwrap();
    let (code, out) = validate(&file);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("第2行"), "malformed JSON: {out}");
    assert!(
        out.contains("第3行") && out.contains("outcome.code"),
        "unknown outcome: {out}"
    );
    assert!(
        out.contains("第4行") && out.contains("outcome.replied_on"),
        "reply before receipt: {out}"
    );
    assert!(
        !out.contains("第1行"),
        "the good line is not reported: {out}"
    );
    assert!(out.contains("有效记录1条，错误3行"), "{out}");
}
