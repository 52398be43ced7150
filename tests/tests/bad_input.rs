//! Bad input of every kind gets a clear error naming the field, and changes nothing.

use ogi_e2e::{Backend, System, fixture, stderr, stdout, write};

fn export_lines(system: &System) -> usize {
    stdout(&system.ogi(&["export"])).lines().count()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_is_refused_with_the_field_and_changes_nothing() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let text = std::fs::read_to_string(fixture()).unwrap();
    let good: Vec<&str> = text.lines().take(2).collect();
    // The second record changed by `change`, on one line again.
    let edit = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut record: serde_json::Value = serde_json::from_str(good[1]).unwrap();
        change(&mut record);
        record.to_string()
    };
    let lines = [
        good[0].to_string(),
        "{\"ref\": ".to_string(),
        edit(&|r| {
            r["ref"] = "BAD-1".into();
            let code = format!("bogus.{}", r["outcome"]["code"].as_str().unwrap());
            r["outcome"]["code"] = code.into();
        }),
        edit(&|r| {
            r["ref"] = "BAD-2".into();
            // Received a month after the reply.
            let replied: chrono::NaiveDate = r["outcome"]["replied_on"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            r["received_on"] = (replied + chrono::Days::new(30)).to_string().into();
        }),
        edit(&|r| {
            r["ref"] = "BAD-3".into();
            r["channel"] = "pigeon".into();
        }),
    ];
    let file = write(system.dir.path(), "bad.jsonl", &lines.join("\n"));
    let out = system.ogi(&["import", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(text.contains("第2行"), "malformed JSON: {text}");
    assert!(
        text.contains("第3行（BAD-1） outcome.code"),
        "unknown outcome code: {text}"
    );
    assert!(
        text.contains("第4行（BAD-2） outcome.replied_on"),
        "reply before receipt: {text}"
    );
    assert!(
        text.contains("第5行（BAD-3） channel"),
        "unknown channel: {text}"
    );
    assert!(
        text.contains("新导入1条"),
        "the good line is imported: {text}"
    );
    assert_eq!(export_lines(&system), 1);

    // A wrong identity check digit at intake is an error, and nothing is stored.
    system.register_agency("测试局");
    let base = [
        "submit",
        "--agency",
        "测试局",
        "--channel",
        "online",
        "--received-on",
        "2026-03-02",
        "--name",
        "张三",
        "--phone",
        "13800000000",
        "--description",
        "申请公开2025年度部门预算执行情况",
    ];
    let mut args = base.to_vec();
    args.extend(["--id-number", "110105194912310021"]);
    let out = system.ogi(&args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("applicant.id_number") && stderr(&out).contains("校验码应为「X」"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        export_lines(&system),
        1,
        "a refused application is not stored"
    );

    // A live case: a second extension, an unknown outcome, and a reply before receipt.
    let mut args = base.to_vec();
    args.extend(["--id-number", "11010519491231002X"]);
    let out = system.ogi(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let case_id = stdout(&out).lines().next().unwrap().to_string();
    let ok = system.ogi(&["accept", &case_id, "--on", "2026-03-02"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let too_long = system.ogi(&[
        "extend",
        &case_id,
        "--days",
        "30",
        "--approved-by",
        "李主任",
        "--on",
        "2026-03-20",
    ]);
    assert!(
        stderr(&too_long).contains("字段 days"),
        "{}",
        stderr(&too_long)
    );
    let ok = system.ogi(&[
        "extend",
        &case_id,
        "--days",
        "10",
        "--approved-by",
        "李主任",
        "--on",
        "2026-03-20",
    ]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = stdout(&system.ogi(&["show", &case_id]));
    for (args, field) in [
        (
            vec![
                "extend",
                &case_id,
                "--days",
                "5",
                "--approved-by",
                "李主任",
                "--on",
                "2026-03-25",
            ],
            "延期答复只能一次",
        ),
        (
            vec![
                "draft",
                &case_id,
                "--outcome",
                "withheld.secret",
                "--on",
                "2026-03-26",
            ],
            "outcome_code",
        ),
        (
            vec![
                "draft",
                &case_id,
                "--outcome",
                "disclosed",
                "--on",
                "2026-02-01",
            ],
            "on",
        ),
        (
            vec![
                "consult-reply",
                &case_id,
                "--kind",
                "third_party",
                "--on",
                "2026-03-26",
            ],
            "",
        ),
        (
            vec!["serve", &case_id, "--method", "email", "--on", "2026-03-26"],
            "",
        ),
    ] {
        let out = system.ogi(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?} must fail");
        assert!(stderr(&out).starts_with("错误："), "{}", stderr(&out));
        assert!(stderr(&out).contains(field), "{args:?}: {}", stderr(&out));
    }
    let after = stdout(&system.ogi(&["show", &case_id]));
    assert_eq!(before, after, "refused commands changed nothing");
}
