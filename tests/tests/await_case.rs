//! Waiting on the server for a case (issue 10, step 2): `AwaitCase` answers as soon as the
//! case's event has been applied by the service, and says so plainly when the deadline passes.

use std::time::{Duration, Instant};

use ogi_e2e::{Backend, System};
use ogi_proto::v1 as pb;
use pb::case_arrival_service_client::CaseArrivalServiceClient;
use pb::intake_service_client::IntakeServiceClient;

fn application(reference: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        context: Some(pb::CommandContext {
            actor: "测试员".into(),
            on: "2026-03-02".into(),
            command_id: format!("await:{reference}"),
        }),
        agency: "测试局".into(),
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

fn wait_for(case_id: &str, stage: &str, timeout_ms: u32) -> pb::AwaitCaseRequest {
    pb::AwaitCaseRequest {
        case_id: case_id.into(),
        stage: stage.into(),
        timeout_ms,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_answers_when_the_case_arrives_or_the_deadline_passes() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency("测试局");
    let mut intake = IntakeServiceClient::new(system.operator_channel("intake"));
    let mut validation = CaseArrivalServiceClient::new(system.operator_channel("validation"));
    let mut approval = CaseArrivalServiceClient::new(system.operator_channel("approval"));

    // Asked right after the submission: the answer comes once validation has applied it.
    let case_id = intake
        .submit_application(application("AW-1"))
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .case_id;
    let arrived = validation
        .await_case(wait_for(&case_id, "", 20_000))
        .await
        .unwrap()
        .into_inner();
    assert!(arrived.arrived, "{arrived:?}");
    assert_eq!(arrived.stage, "received");

    // Not in approval until accepted: the call waits out its deadline and says so.
    let started = Instant::now();
    let answer = approval
        .await_case(wait_for(&case_id, "", 300))
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.arrived);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A waiting call is answered by the acceptance, well before its deadline.
    let waiting = {
        let mut approval = approval.clone();
        let case_id = case_id.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let answer = approval
                .await_case(wait_for(&case_id, "", 30_000))
                .await
                .unwrap()
                .into_inner();
            (answer, started.elapsed())
        })
    };
    let mut accept = pb::validation_service_client::ValidationServiceClient::new(
        system.operator_channel("validation"),
    );
    accept
        .accept_application(pb::AcceptApplicationRequest {
            context: Some(pb::CommandContext {
                actor: "测试员".into(),
                on: "2026-03-03".into(),
                command_id: "await:AW-1:accept".into(),
            }),
            case_id: case_id.clone(),
        })
        .await
        .unwrap();
    let (answer, took) = waiting.await.unwrap();
    assert!(answer.arrived, "{answer:?}");
    assert!(
        took < Duration::from_secs(20),
        "answered on arrival, not at the deadline: {took:?}"
    );

    // A stage not reached yet (the case is not closed) is not an arrival.
    let answer = approval
        .await_case(wait_for(&case_id, "closed", 200))
        .await
        .unwrap()
        .into_inner();
    assert!(!answer.arrived);
}
