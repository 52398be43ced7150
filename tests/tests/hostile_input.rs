//! Input a hostile client sends — oversized, implausible, malformed, invisible — is refused with
//! a clear Chinese error naming the field (and the limit), and nothing is stored
//! (issue 11's findings 1, 3, 5, 6, 7, 8 and 10).

use ogi_e2e::{Authed, Backend, System, stdout};
use ogi_platform::error::field_violations;
use ogi_proto::v1 as pb;
use pb::approval_service_client::ApprovalServiceClient;
use pb::intake_service_client::IntakeServiceClient;
use pb::reporting_service_client::ReportingServiceClient;
use pb::validation_service_client::ValidationServiceClient;
use tonic::Code;

const AGENCY: &str = "测试局";

/// A channel to `name` carrying the local operator's token, the agency registered first.
fn channel(system: &System, name: &str) -> Authed {
    system.register_agency(AGENCY);
    system.operator_channel(name)
}

fn context(on: &str, key: &str) -> Option<pb::CommandContext> {
    Some(pb::CommandContext {
        actor: "测试员".into(),
        on: on.into(),
        command_id: key.into(),
    })
}

fn application(reference: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        context: context("2026-03-02", ""),
        agency: AGENCY.into(),
        reference: reference.into(),
        channel: "online".into(),
        received_on: "2026-03-02".into(),
        applicant: Some(pb::Applicant {
            r#type: "natural_person".into(),
            name: "张三".into(),
            id_type: "resident_id_card".into(),
            id_number: "11010519491231002X".into(),
            phone: Some("13800000000".into()),
            address: None,
            email: None,
        }),
        request: Some(pb::InformationRequest {
            description: "申请公开2025年度部门预算执行情况".into(),
            form: "electronic".into(),
            delivery: "email".into(),
        }),
        identity_check_warning_only: false,
    }
}

/// The refusal must be INVALID_ARGUMENT with a violation of `field` whose reason contains
/// `reason` (Chinese, naming the limit where there is one).
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T, tonic::Status>, field: &str, reason: &str) {
    let status = result.expect_err("must be refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{field}: {status:?}");
    let violations = field_violations(&status);
    assert!(
        violations
            .iter()
            .any(|(f, r)| f == field && r.contains(reason)),
        "{field} / {reason}: {violations:?}"
    );
}

async fn stored_applications(intake: &mut IntakeServiceClient<Authed>) -> usize {
    intake
        .list_applications(pb::ListApplicationsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .applications
        .len()
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_input_is_refused_by_field_and_nothing_is_stored() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let mut intake = IntakeServiceClient::new(channel(&system, "intake"));
    let mut validation = ValidationServiceClient::new(channel(&system, "validation"));
    let mut approval = ApprovalServiceClient::new(channel(&system, "approval"));
    let mut reporting = ReportingServiceClient::new(channel(&system, "reporting"));

    // Finding 1: an oversized description (the bus carries 1 MiB) is refused at the edge,
    // naming the field and the limit; a request over the gRPC limit is refused too.
    let mut big = application("BIG-1");
    big.request.as_mut().unwrap().description = "申".repeat(200_000);
    assert_refused(
        intake.submit_application(big).await,
        "request.description",
        "最多10000个字符",
    );
    let mut huge = application("BIG-2");
    huge.request.as_mut().unwrap().description = "x".repeat(1_200_000);
    let status = intake.submit_application(huge).await.unwrap_err();
    assert_eq!(status.code(), Code::OutOfRange, "{status:?}");

    // Finding 6: dates strictly YYYY-MM-DD, within the regulations' era and the horizon.
    for (bad, reason) in [
        (" 2024-01-01", "格式不对"),
        ("2024-1-1", "格式不对"),
        ("-2024-01-01", "格式不对"),
        ("0000-01-01", "不在可受理的范围内"),
        ("9999-12-31", "不在可受理的范围内"),
    ] {
        let mut req = application("DATE-1");
        req.received_on = bad.into();
        assert_refused(intake.submit_application(req).await, "received_on", reason);
    }

    // Finding 7: control characters, bidi overrides, invisible-only names; long references
    // and actors; phone and e-mail.
    for (name, reason) in [
        ("张\u{0}三", "控制字符"),
        ("\u{1b}[2J\u{1b}[31m张三", "控制字符"),
        ("张\u{202E}三", "文字方向控制字符"),
        ("\u{200B}\u{200C}\u{200D}", "不可见字符"),
    ] {
        let mut req = application("NAME-1");
        req.applicant.as_mut().unwrap().name = name.into();
        assert_refused(
            intake.submit_application(req).await,
            "applicant.name",
            reason,
        );
    }
    let long = "编".repeat(10_000);
    assert_refused(
        intake.submit_application(application(&long)).await,
        "reference",
        "最多64个字符",
    );
    let mut req = application("ACTOR-1");
    req.context = Some(pb::CommandContext {
        actor: long.clone(),
        on: "2026-03-02".into(),
        command_id: String::new(),
    });
    assert_refused(
        intake.submit_application(req).await,
        "context.actor",
        "最多64个字符",
    );
    let mut req = application("PHONE-1");
    req.applicant.as_mut().unwrap().phone = Some("call me maybe".into());
    assert_refused(
        intake.submit_application(req).await,
        "applicant.phone",
        "不是有效的电话号码",
    );
    let mut req = application("MAIL-1");
    req.applicant.as_mut().unwrap().email = Some("nobody".into());
    assert_refused(
        intake.submit_application(req).await,
        "applicant.email",
        "不是有效的电子邮箱地址",
    );
    assert_eq!(
        stored_applications(&mut intake).await,
        0,
        "nothing refused is stored"
    );

    // One good application, accepted, to try the handler's steps on.
    let case_id = intake
        .submit_application(application("GOOD-1"))
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .case_id;
    let started = std::time::Instant::now();
    loop {
        let accepted = validation
            .accept_application(pb::AcceptApplicationRequest {
                context: context("2026-03-02", ""),
                case_id: case_id.clone(),
            })
            .await;
        match accepted {
            Ok(_) => break,
            Err(s) if s.code() == Code::NotFound && started.elapsed().as_secs() < 20 => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(s) => panic!("accept: {s:?}"),
        }
    }
    let get_case = |mut approval: ApprovalServiceClient<Authed>, case_id: String| async move {
        approval
            .get_case(pb::GetCaseRequest { case_id })
            .await
            .map(|r| r.into_inner())
    };
    let started = std::time::Instant::now();
    let before = loop {
        match get_case(approval.clone(), case_id.clone()).await {
            Ok(file) => break file,
            Err(s) if s.code() == Code::NotFound && started.elapsed().as_secs() < 20 => {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(s) => panic!("get case: {s:?}"),
        }
    };

    // Finding 1 again: a draft reply of 1.2 MB characters' worth is refused by field.
    assert_refused(
        approval
            .draft_decision(pb::DraftDecisionRequest {
                context: context("2026-03-10", ""),
                case_id: case_id.clone(),
                outcome_code: "disclosed".into(),
                legal_basis: "第二十七条".into(),
                reply_text: "答".repeat(300_000),
                other_agency: String::new(),
            })
            .await,
        "reply_text",
        "最多20000个字符",
    );
    // Finding 6: a step in 2099.
    assert_refused(
        approval
            .start_consultation(pb::StartConsultationRequest {
                context: context("2099-01-05", ""),
                case_id: case_id.clone(),
                kind: "third_party".into(),
                party: "某公司".into(),
            })
            .await,
        "context.on",
        "不在可受理的范围内",
    );
    // Finding 5: fees have a domain bound.
    for (basis, field) in [
        (pb::notify_fee_request::Basis::Pages(u32::MAX), "pages"),
        (
            pb::notify_fee_request::Basis::AmountYuan("99999999999999999999999.99".into()),
            "amount_yuan",
        ),
        (
            pb::notify_fee_request::Basis::NthInMonth(u32::MAX),
            "nth_in_month",
        ),
    ] {
        assert_refused(
            approval
                .notify_fee(pb::NotifyFeeRequest {
                    context: context("2026-03-10", ""),
                    case_id: case_id.clone(),
                    basis: Some(basis),
                })
                .await,
            field,
            "上限",
        );
    }
    let after = get_case(approval.clone(), case_id.clone()).await.unwrap();
    assert_eq!(before, after, "refused steps changed nothing");

    // Finding 3 (years and table 二): year 0, -1, 100000 and the empty agency are refused;
    // negative counts and unknown fields of table 二 are refused.
    for year in [0, -1, 100_000] {
        assert_refused(
            reporting
                .lock_report(pb::LockReportRequest {
                    agency: AGENCY.into(),
                    year,
                })
                .await,
            "year",
            "不在可受理的范围内",
        );
    }
    assert_refused(
        reporting
            .lock_report(pb::LockReportRequest {
                agency: String::new(),
                year: 2026,
            })
            .await,
        "agency",
        "必填",
    );
    for (json, field) in [
        (
            format!(r#"{{"agency":"{AGENCY}","year":2026,"penalty_decisions":-5}}"#),
            "penalty_decisions",
        ),
        (
            format!(
                r#"{{"agency":"{AGENCY}","year":2026,"padding":"{}"}}"#,
                "x".repeat(1000)
            ),
            "padding",
        ),
        (
            format!(r#"{{"agency":"{AGENCY}","year":2026,"fees_10k_yuan":"-3.00"}}"#),
            "fees_10k_yuan",
        ),
    ] {
        let status = reporting
            .set_active_disclosure(pb::SetActiveDisclosureRequest { json, merge: false })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert!(
            field_violations(&status).iter().any(|(f, _)| f == field),
            "{field}: {status:?}"
        );
    }
    let report = reporting
        .get_annual_report(pb::GetAnnualReportRequest {
            agencies: vec![AGENCY.into()],
            year: 2026,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!report.locked, "no refused lock was stored");
    let json: serde_json::Value = serde_json::from_str(&report.json).unwrap();
    assert!(
        json.get("active_disclosure").is_none_or(|a| a.is_null()),
        "no refused table 二 was stored: {}",
        json["active_disclosure"]
    );
    assert_eq!(stored_applications(&mut intake).await, 1);

    // Finding 8: a long query is a field error, not INTERNAL; page tokens are signed.
    assert_refused(
        intake
            .list_applications(pb::ListApplicationsRequest {
                query: "查".repeat(5_000),
                ..Default::default()
            })
            .await,
        "query",
        "最多100个字符",
    );
    intake
        .submit_application(application("GOOD-2"))
        .await
        .unwrap();
    // Finding 8: a search finds by name, reference and request — not by an identity number
    // or a telephone, and `%` and `_` match only themselves.
    let found = |query: &str| {
        let mut intake = intake.clone();
        let query = query.to_string();
        async move {
            intake
                .list_applications(pb::ListApplicationsRequest {
                    query,
                    page_size: 100,
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .applications
                .len()
        }
    };
    assert_eq!(found("张三").await, 2);
    assert_eq!(found("GOOD-").await, 2);
    assert_eq!(found("部门预算").await, 2);
    for hidden in ["11010519491231002X", "13800000000", "%", "_", "GOOD_1"] {
        assert_eq!(found(hidden).await, 0, "{hidden} must find nothing");
    }
    let first = intake
        .list_applications(pb::ListApplicationsRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.applications.len(), 1);
    assert!(
        !first
            .next_page_token
            .contains(&first.applications[0].case_id)
    );
    let second = intake
        .list_applications(pb::ListApplicationsRequest {
            page_size: 1,
            page_token: first.next_page_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.applications.len(), 1);
    assert_ne!(
        second.applications[0].case_id,
        first.applications[0].case_id
    );
    for forged in [
        first.applications[0].case_id.clone(),
        "garbage".to_string(),
        format!("{}0", first.next_page_token),
    ] {
        assert_refused(
            intake
                .list_applications(pb::ListApplicationsRequest {
                    page_size: 1,
                    page_token: forged,
                    ..Default::default()
                })
                .await,
            "page_token",
            "分页标记无效",
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn import_refuses_an_oversized_or_non_utf8_line_by_number_and_goes_on() {
    // Findings 1 and 10: one line of 2 MB and one that is not UTF-8 are refused by number,
    // without storing anything of them, and the next line is imported.
    let system = System::start(Backend::Sqlite).await.unwrap();
    let text = std::fs::read_to_string(ogi_e2e::fixture()).unwrap();
    let good: Vec<&str> = text.lines().take(2).collect();
    let oversized = good[1].replacen(
        "\"description\": \"",
        &format!("\"description\": \"{}", "申".repeat(700_000)),
        1,
    );
    let mut file = Vec::new();
    file.extend_from_slice(good[0].as_bytes());
    file.push(b'\n');
    file.extend_from_slice(oversized.as_bytes());
    file.push(b'\n');
    file.extend_from_slice(b"{\"ref\": \"\xc3\x28\"}\n");
    file.extend_from_slice(good[1].as_bytes());
    file.push(b'\n');
    let path = system.dir.path().join("hostile.jsonl");
    std::fs::write(&path, &file).unwrap();
    let out = system.ogi(&["import", path.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("第2行") && text.contains("超过每行上限"),
        "{text}"
    );
    assert!(text.contains("第3行") && text.contains("UTF-8"), "{text}");
    assert!(text.contains("新导入2条"), "{text}");
    let exported = stdout(&system.ogi(&["export"]));
    assert_eq!(
        exported.lines().count(),
        2,
        "only the good lines are stored"
    );

    // `ogi records validate` says the same without a running system.
    let out = system.ogi(&["records", "validate", path.to_str().unwrap()]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("第2行") && text.contains("超过每行上限"),
        "{text}"
    );
    assert!(text.contains("第3行") && text.contains("UTF-8"), "{text}");
}
