//! One event that cannot be published never stalls a service (issue 11, finding 1): it is set
//! aside as a dead letter with its reason, counted, `/readyz` and `ogi status` say so, and the
//! events after it flow. And an idempotency key is bound to its command (finding 2).

use std::time::{Duration, Instant};

use ogi_e2e::scrape::{http_get, sample};
use ogi_e2e::{Authed, Backend, System, stdout};
use ogi_platform::store::entities::outbox;
use ogi_proto::v1 as pb;
use pb::approval_service_client::ApprovalServiceClient;
use pb::intake_service_client::IntakeServiceClient;
use pb::validation_service_client::ValidationServiceClient;
use sea_orm::{ActiveModelTrait, ColumnTrait, Database, EntityTrait, QueryFilter, Set};
use tonic::Code;

/// A channel to `name` carrying the local operator's token, the test agency registered.
fn channel(system: &System, name: &str) -> Authed {
    system.register_agency("测试局");
    system.operator_channel(name)
}

fn database_url(system: &System, name: &str) -> String {
    system
        .services
        .iter()
        .find(|s| s.name == name)
        .expect("known service")
        .database_url
        .clone()
}

fn context(on: &str, key: &str) -> Option<pb::CommandContext> {
    Some(pb::CommandContext {
        actor: "测试员".into(),
        on: on.into(),
        command_id: key.into(),
    })
}

fn application(reference: &str, key: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        context: context("2026-03-02", key),
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

/// Poll `check` until it holds or 30 s pass.
async fn eventually<F: FnMut() -> bool>(what: &str, mut check: F) {
    let start = Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out: {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unpublishable_event_is_a_dead_letter_and_later_events_flow() {
    let system = System::start_with_admin(Backend::Sqlite).await.unwrap();
    let admin = system.admin_port("intake");
    eventually("intake ready", || {
        http_get(admin, "/readyz").is_ok_and(|(code, _)| code == 200)
    })
    .await;

    // An event stored before the limits existed, larger than the bus carries (1 MiB): the
    // relay could never publish it, and retried it forever, in front of every later event.
    let db = Database::connect(database_url(&system, "intake"))
        .await
        .unwrap();
    outbox::ActiveModel {
        event_id: Set("0190aaaa-0000-7000-8000-000000000001".into()),
        subject: Set("ogi.intake.application.received".into()),
        payload: Set(vec![b'x'; 1_200_000]),
        created_at: Set(chrono::Utc::now()),
        published_at: Set(None),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();

    // A later application still reaches validation.
    let mut intake = IntakeServiceClient::new(channel(&system, "intake"));
    let case_id = intake
        .submit_application(application("DL-1", ""))
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .case_id;
    let mut validation = ValidationServiceClient::new(channel(&system, "validation"));
    let start = Instant::now();
    loop {
        let found = validation
            .get_findings(pb::GetFindingsRequest {
                case_id: case_id.clone(),
            })
            .await;
        match found {
            Ok(_) => break,
            Err(s) if s.code() == Code::NotFound => {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "the event after a dead letter must flow"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(s) => panic!("{s:?}"),
        }
    }

    // The dead letter is recorded with its reason, counted, and makes the service not ready.
    let row = outbox::Entity::find()
        .filter(outbox::Column::EventId.eq("0190aaaa-0000-7000-8000-000000000001"))
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let reason = row.dead_letter.expect("set aside with its reason");
    assert!(
        reason.contains("无法发布到消息总线") && reason.contains("1200000字节"),
        "{reason}"
    );
    assert!(row.published_at.is_none());
    eventually("readyz reports the dead letter", || {
        http_get(admin, "/readyz")
            .is_ok_and(|(code, body)| code == 503 && body.contains("dead letters: 1"))
    })
    .await;
    let (_, body) = http_get(admin, "/readyz").unwrap();
    assert!(body.contains("无法发布到消息总线"), "{body}");
    let (_, metrics) = http_get(admin, "/metrics").unwrap();
    assert_eq!(sample(&metrics, "ogi_outbox_dead_letters", &[]), Some(1.0));
    assert_eq!(
        sample(&metrics, "ogi_outbox_dead_lettered_total", &[]),
        Some(1.0)
    );
    assert_eq!(sample(&metrics, "ogi_outbox_backlog", &[]), Some(0.0));

    // `ogi status` says so (and exits 1), naming the service.
    let status = system.ogi(&["status"]);
    let text = stdout(&status);
    assert_eq!(status.status.code(), Some(1), "{text}");
    let intake_line = text.lines().find(|l| l.starts_with("intake")).unwrap();
    assert!(intake_line.contains("死信"), "{text}");
    assert!(
        text.lines()
            .filter(|l| l.starts_with("validation"))
            .all(|l| l.contains("正常")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idempotency_key_is_bound_to_its_command() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    let mut intake = IntakeServiceClient::new(channel(&system, "intake"));
    let mut validation = ValidationServiceClient::new(channel(&system, "validation"));
    let mut approval = ApprovalServiceClient::new(channel(&system, "approval"));

    // Submit honours the key: the same submission again is the same application.
    let first = intake
        .submit_application(application("", "key-submit-1"))
        .await
        .unwrap()
        .into_inner();
    assert!(first.created);
    let again = intake
        .submit_application(application("", "key-submit-1"))
        .await
        .unwrap()
        .into_inner();
    assert!(!again.created, "the key was applied once");
    assert_eq!(again.application, first.application);
    // The key with another submission is refused.
    let mut other = application("", "key-submit-1");
    other.request.as_mut().unwrap().description = "申请公开另一份文件的全文内容".into();
    let refused = intake.submit_application(other).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    assert!(refused.message().contains("幂等键"), "{refused:?}");

    // The same reference with another body is refused, never silently answered.
    intake
        .submit_application(application("REF-1", ""))
        .await
        .unwrap();
    let mut changed = application("REF-1", "");
    changed.applicant.as_mut().unwrap().name = "李四".into();
    let refused = intake.submit_application(changed).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    assert!(
        refused.message().contains("REF-1") && refused.message().contains("申请人"),
        "{refused:?}"
    );
    let same = intake
        .submit_application(application("REF-1", ""))
        .await
        .unwrap()
        .into_inner();
    assert!(
        !same.created,
        "the same application again is answered as it stands"
    );

    // A handler's key: reused for another command (a return sent with the draft's key) or on
    // another case is refused, and nothing is done.
    let case_id = first.application.unwrap().case_id;
    let other_case = same.application.unwrap().case_id;
    for id in [&case_id, &other_case] {
        let start = Instant::now();
        loop {
            match validation
                .accept_application(pb::AcceptApplicationRequest {
                    context: context("2026-03-03", &format!("accept-{id}")),
                    case_id: id.clone(),
                })
                .await
            {
                Ok(_) => break,
                Err(s) if s.code() == Code::NotFound && start.elapsed().as_secs() < 30 => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(s) => panic!("{s:?}"),
            }
        }
    }
    let draft = |case_id: &str| pb::DraftDecisionRequest {
        context: context("2026-03-10", "key-draft-1"),
        case_id: case_id.into(),
        outcome_code: "disclosed".into(),
        legal_basis: "第二十七条".into(),
        reply_text: "经审查，予以公开。".into(),
        other_agency: String::new(),
    };
    let start = Instant::now();
    let drafted = loop {
        match approval.draft_decision(draft(&case_id)).await {
            Ok(r) => break r.into_inner(),
            Err(s) if s.code() == Code::NotFound && start.elapsed().as_secs() < 30 => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(s) => panic!("{s:?}"),
        }
    };
    assert_eq!(drafted.stage, "drafted");
    // The same draft again: answered as done.
    let replay = approval.draft_decision(draft(&case_id)).await.unwrap();
    assert_eq!(replay.into_inner().version, drafted.version);
    // A return under the draft's key: refused, the case still drafted.
    let refused = approval
        .return_decision(pb::ReturnDecisionRequest {
            context: context("2026-03-10", "key-draft-1"),
            case_id: case_id.clone(),
            reason: "请补充理由".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    // The draft's key on another case: refused, that case not drafted.
    let start = Instant::now();
    let refused = loop {
        match approval.draft_decision(draft(&other_case)).await {
            Err(s) if s.code() == Code::NotFound && start.elapsed().as_secs() < 30 => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => break other.unwrap_err(),
        }
    };
    assert_eq!(refused.code(), Code::AlreadyExists, "{refused:?}");
    let now = approval
        .get_case(pb::GetCaseRequest {
            case_id: case_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (now.stage.as_str(), now.version),
        ("drafted", drafted.version)
    );
    let other = approval
        .get_case(pb::GetCaseRequest {
            case_id: other_case,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(other.stage, "in_progress");
}
