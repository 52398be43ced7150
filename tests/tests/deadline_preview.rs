//! PreviewDeadline (what the console shows under each step form before saving): the due
//! date it names is the one the step then gives, before acceptance and after; the step is
//! checked as the real one would be; nothing is saved.

use std::time::{Duration, Instant};

use ogi_e2e::{Authed, Backend, System};
use ogi_platform::error::field_violations;
use ogi_proto::v1 as pb;
use pb::approval_service_client::ApprovalServiceClient;
use pb::intake_service_client::IntakeServiceClient;
use pb::validation_service_client::ValidationServiceClient;
use tonic::Code;

const AGENCY: &str = "测试局";
const RECEIVED: &str = "2026-03-02";

fn context(on: &str) -> Option<pb::CommandContext> {
    Some(pb::CommandContext {
        actor: "测试员".into(),
        on: on.into(),
        command_id: String::new(),
    })
}

async fn submit(intake: &mut IntakeServiceClient<Authed>) -> String {
    intake
        .submit_application(pb::SubmitApplicationRequest {
            context: context(RECEIVED),
            agency: AGENCY.into(),
            reference: String::new(),
            channel: "online".into(),
            received_on: RECEIVED.into(),
            applicant: Some(pb::Applicant {
                r#type: "natural_person".into(),
                name: "张三".into(),
                id_type: "resident_id_card".into(),
                id_number: "11010519491231002X".into(),
                phone: None,
                address: None,
                email: None,
            }),
            request: Some(pb::InformationRequest {
                description: "申请公开2025年度部门预算执行情况".into(),
                form: "electronic".into(),
                delivery: "email".into(),
            }),
            identity_check_warning_only: false,
        })
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .case_id
}

fn preview(case_id: &str, step: &str, on: &str) -> pb::PreviewDeadlineRequest {
    pb::PreviewDeadlineRequest {
        case_id: case_id.into(),
        step: step.into(),
        on: on.into(),
        received_on: RECEIVED.into(),
        ..Default::default()
    }
}

/// The case file once approval has it (acceptance reaches it through the bus).
async fn case_file(approval: &mut ApprovalServiceClient<Authed>, case_id: &str) -> pb::CaseFile {
    let started = Instant::now();
    loop {
        match approval
            .get_case(pb::GetCaseRequest {
                case_id: case_id.into(),
            })
            .await
        {
            Ok(file) => return file.into_inner(),
            Err(s) if s.code() == Code::NotFound && started.elapsed() < Duration::from_secs(20) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("get case: {s:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_previewed_due_date_is_the_one_the_step_gives() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency(AGENCY);
    let mut intake = IntakeServiceClient::new(system.operator_channel("intake"));
    let mut validation = ValidationServiceClient::new(system.operator_channel("validation"));
    let mut approval = ApprovalServiceClient::new(system.operator_channel("approval"));
    let case_id = submit(&mut intake).await;

    // Before acceptance: from the received date; nothing before.
    let accept = approval
        .preview_deadline(preview(&case_id, "accept", "2026-03-04"))
        .await
        .unwrap()
        .into_inner();
    assert!(accept.before.is_none(), "{accept:?}");
    let promised = accept.after.unwrap();
    assert_eq!(promised.state, "running");
    // 20 working days from 2 March 2026.
    assert_eq!(promised.due_on, "2026-03-30", "{promised:?}");
    assert!(!promised.steps.is_empty(), "explained: {promised:?}");
    // A step of the running clock is refused before acceptance, naming the step.
    let refused = approval
        .preview_deadline(preview(&case_id, "extend", "2026-03-04"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        field_violations(&refused)
            .iter()
            .any(|(f, r)| f == "step" && r.contains("尚未受理")),
        "{refused:?}"
    );

    validation
        .accept_application(pb::AcceptApplicationRequest {
            context: context("2026-03-04"),
            case_id: case_id.clone(),
        })
        .await
        .unwrap();
    let file = case_file(&mut approval, &case_id).await;
    assert_eq!(file.deadline.unwrap().due_on, promised.due_on);

    // An extension of 15 working days: the preview names the due date the extension gives.
    let mut extend = preview(&case_id, "extend", "2026-03-20");
    extend.days = 15;
    let previewed = approval
        .preview_deadline(extend.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(previewed.before.unwrap().due_on, "2026-03-30");
    let after = previewed.after.unwrap();
    assert_ne!(after.due_on, "2026-03-30");
    // Nothing was saved by the preview.
    let unchanged = case_file(&mut approval, &case_id).await;
    assert_eq!(unchanged.deadline.unwrap().due_on, "2026-03-30");
    let extended = approval
        .extend(pb::ExtendRequest {
            context: context("2026-03-20"),
            case_id: case_id.clone(),
            days: 15,
            approved_by: "李主任".into(),
            reason: "需要调取多个部门的资料".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(extended.deadline.unwrap().due_on, after.due_on);

    // The step is checked as the real one: a second extension is refused, as is acceptance.
    let again = approval.preview_deadline(extend).await.unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition, "{again:?}");
    assert!(again.message().contains("延期答复只能一次"), "{again:?}");
    let accepted = approval
        .preview_deadline(preview(&case_id, "accept", "2026-03-20"))
        .await
        .unwrap_err();
    assert!(
        field_violations(&accepted)
            .iter()
            .any(|(f, r)| f == "step" && r.contains("已受理")),
        "{accepted:?}"
    );
    // A consultation pauses the clock: no due date while it runs.
    let mut consult = preview(&case_id, "consult", "2026-03-23");
    consult.kind = "third_party".into();
    let paused = approval
        .preview_deadline(consult)
        .await
        .unwrap()
        .into_inner()
        .after
        .unwrap();
    assert_eq!(paused.state, "paused_for_consultation", "{paused:?}");
    let unknown = approval
        .preview_deadline(preview(&case_id, "approve", "2026-03-23"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::InvalidArgument, "{unknown:?}");
}
