//! `ogi records validate` on the Anju 2024 fixture and on a broken file.

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

fn fixture() -> std::path::PathBuf {
    ogi_testkit::workspace_root().join("../shared/fixtures/anju-2024/cases.jsonl")
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
        good[1]
            .replace(
                "\"outcome\": {\"code\": \"",
                "\"outcome\": {\"code\": \"bogus.",
            )
            .replace("C2024-00010", "X-1"),
        good[2]
            .replace(
                "\"received_on\": \"2023-12-14\"",
                "\"received_on\": \"2024-06-01\"",
            )
            .replace("C2024-00013", "X-2"),
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
