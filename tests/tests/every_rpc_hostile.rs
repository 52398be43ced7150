//! Every RPC of the descriptor set, sent what a hostile client sends (issue 11): a request over
//! the size limit, bytes that are not the method's message, the empty message, and values
//! oversized, malformed or out of range field by field. Each answer is a clear refusal — a
//! client-error code, a Chinese message, the field named — and nothing stored changes.
//!
//! The table of hostile values is keyed by full method name and checked against the descriptor
//! set: an RPC added without its hostile cases fails this test. One system serves the whole
//! suite, signed in as the all-roles local operator.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes};
use ogi_core::limits::GRPC_MAX_MESSAGE_BYTES;
use ogi_e2e::{Authed, Backend, System, every_rpc};
use ogi_platform::error::field_violations;
use ogi_proto::v1 as pb;
use prost::Message;
use tonic::Code;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};

const AGENCY: &str = "测试局";
const UNREGISTERED: &str = "从未登记的机关";

/// An agency nobody may act for (not registered, so in no one's scope): refused as out of
/// scope, naming it.
const OUT_OF_SCOPE: &[Code] = &[Code::PermissionDenied, Code::InvalidArgument];

/// Request and answer bodies as raw bytes, so that any bytes can be sent to any method.
#[derive(Default)]
struct RawCodec;

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCodec;
    type Decoder = RawCodec;

    fn encoder(&mut self) -> RawCodec {
        RawCodec
    }

    fn decoder(&mut self) -> RawCodec {
        RawCodec
    }
}

impl Encoder for RawCodec {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawCodec {
    type Item = Bytes;
    type Error = tonic::Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// What a hostile request must get.
#[derive(Debug, Clone)]
enum Expect {
    /// INVALID_ARGUMENT or OUT_OF_RANGE naming this field (a field violation, or the message).
    Field(&'static str),
    /// A refusal with one of these codes and a Chinese message (no field to name: an unknown
    /// user, a forged session).
    Refused(&'static [Code]),
    /// Answered, or refused clearly: a harmless request (a filter that matches nothing, the
    /// logout of a session that does not exist). Nothing changes either way.
    Answered,
}

/// One hostile request to a method.
struct Hostile {
    what: &'static str,
    body: Vec<u8>,
    expect: Expect,
}

fn field(what: &'static str, message: impl Message, field: &'static str) -> Hostile {
    Hostile {
        what,
        body: message.encode_to_vec(),
        expect: Expect::Field(field),
    }
}

fn answered(what: &'static str, message: impl Message) -> Hostile {
    Hostile {
        what,
        body: message.encode_to_vec(),
        expect: Expect::Answered,
    }
}

fn refused(what: &'static str, message: impl Message, codes: &'static [Code]) -> Hostile {
    Hostile {
        what,
        body: message.encode_to_vec(),
        expect: Expect::Refused(codes),
    }
}

/// What the empty message (every field at its default) must get.
enum Empty {
    /// Refused, naming this field.
    Refused(&'static str),
    /// Refused without a field (sign-in, sessions).
    RefusedWith(&'static [Code]),
    /// Answered: a read or a list with no filter. Nothing changes either way.
    Answered,
    /// Not sent: the empty message is a command with an effect (rotating the signing key,
    /// stamping the security policy); the oversized and malformed bodies still are.
    NotSent,
}

/// The hostile cases of one method.
struct Cases {
    empty: Empty,
    values: Vec<Hostile>,
}

fn cases(empty: Empty, values: Vec<Hostile>) -> Cases {
    Cases { empty, values }
}

fn ctx(on: &str) -> Option<pb::CommandContext> {
    Some(pb::CommandContext {
        actor: "测试员".into(),
        on: on.into(),
        command_id: String::new(),
    })
}

fn ok_ctx() -> Option<pb::CommandContext> {
    ctx("2026-03-10")
}

fn long(n: usize) -> String {
    "长".repeat(n)
}

fn application(reference: &str) -> pb::SubmitApplicationRequest {
    pb::SubmitApplicationRequest {
        context: ctx("2026-03-02"),
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

fn document(number: &str) -> pb::CatalogueDocument {
    pb::CatalogueDocument {
        agency: AGENCY.into(),
        kind: "normative_document".into(),
        number: number.into(),
        title: "测试局关于规范信息公开工作的通知".into(),
        issued_on: "2025-01-10".into(),
        published_on: "2025-01-12".into(),
        valid_until: String::new(),
        repealed_on: String::new(),
        repealed_by: String::new(),
        url: "https://example.gov.cn/doc/1".into(),
    }
}

/// The hostile cases of every method, keyed by gRPC path. `case_id` is an accepted case.
/// `amendable` is an application not yet accepted.
fn table(case_id: &str, amendable: &str) -> BTreeMap<&'static str, Cases> {
    use Code::*;
    let c = || case_id.to_string();
    let a = || amendable.to_string();
    let mut t = BTreeMap::new();

    // IntakeService
    t.insert(
        "/ogi.v1.IntakeService/SubmitApplication",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "200,000-character description",
                    {
                        let mut r = application("H-1");
                        r.request.as_mut().unwrap().description = long(200_000);
                        r
                    },
                    "request.description",
                ),
                field(
                    "malformed date",
                    {
                        let mut r = application("H-2");
                        r.received_on = "2026-13-45".into();
                        r
                    },
                    "received_on",
                ),
                field(
                    "date before the regulations' era",
                    {
                        let mut r = application("H-3");
                        r.received_on = "1999-01-01".into();
                        r
                    },
                    "received_on",
                ),
                field(
                    "unknown channel",
                    {
                        let mut r = application("H-4");
                        r.channel = "carrier-pigeon".into();
                        r
                    },
                    "channel",
                ),
                field(
                    "escape sequence in the name",
                    {
                        let mut r = application("H-5");
                        r.applicant.as_mut().unwrap().name = "\u{1b}[2J张三".into();
                        r
                    },
                    "applicant.name",
                ),
                refused(
                    "unregistered agency",
                    {
                        let mut r = application("H-6");
                        r.agency = UNREGISTERED.into();
                        r
                    },
                    OUT_OF_SCOPE,
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.IntakeService/AmendApplication",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "10,000-character case id",
                    pb::AmendApplicationRequest {
                        context: ok_ctx(),
                        case_id: long(10_000),
                        ..Default::default()
                    },
                    "case_id",
                ),
                field(
                    "malformed date",
                    pb::AmendApplicationRequest {
                        context: ok_ctx(),
                        case_id: a(),
                        received_on: "2026/03/02".into(),
                        ..Default::default()
                    },
                    "received_on",
                ),
                field(
                    "200,000-character description",
                    pb::AmendApplicationRequest {
                        context: ok_ctx(),
                        case_id: a(),
                        request: Some(pb::InformationRequest {
                            description: long(200_000),
                            form: "electronic".into(),
                            delivery: "email".into(),
                        }),
                        ..Default::default()
                    },
                    "request.description",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.IntakeService/GetApplication",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "10,000-character case id",
                    pb::GetApplicationRequest {
                        case_id: long(10_000),
                        ..Default::default()
                    },
                    "case_id",
                ),
                field(
                    "10,000-character reference",
                    pb::GetApplicationRequest {
                        agency: AGENCY.into(),
                        reference: long(10_000),
                        ..Default::default()
                    },
                    "reference",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.IntakeService/ListApplications",
        cases(
            Empty::Answered,
            vec![
                field(
                    "5,000-character query",
                    pb::ListApplicationsRequest {
                        query: long(5_000),
                        ..Default::default()
                    },
                    "query",
                ),
                field(
                    "malformed date",
                    pb::ListApplicationsRequest {
                        received_from: "2024-1-1".into(),
                        ..Default::default()
                    },
                    "received_from",
                ),
                field(
                    "forged page token",
                    pb::ListApplicationsRequest {
                        page_token: c(),
                        ..Default::default()
                    },
                    "page_token",
                ),
            ],
        ),
    );

    // ValidationService
    t.insert(
        "/ogi.v1.ValidationService/GetFindings",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "10,000-character case id",
                pb::GetFindingsRequest {
                    case_id: long(10_000),
                },
                "case_id",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ValidationService/AcceptApplication",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "malformed date",
                    pb::AcceptApplicationRequest {
                        context: ctx("2026/03/03"),
                        case_id: c(),
                    },
                    "context.on",
                ),
                field(
                    "10,000-character actor",
                    pb::AcceptApplicationRequest {
                        context: Some(pb::CommandContext {
                            actor: long(10_000),
                            on: "2026-03-03".into(),
                            command_id: String::new(),
                        }),
                        case_id: c(),
                    },
                    "context.actor",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ValidationService/RequestCorrection",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "51 correction items",
                    pb::RequestCorrectionRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        items: vec!["请补充身份证明".into(); 51],
                        due_on: "2026-03-20".into(),
                    },
                    "items",
                ),
                field(
                    "malformed due date",
                    pb::RequestCorrectionRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        items: vec!["请补充身份证明".into()],
                        due_on: "tomorrow".into(),
                    },
                    "due_on",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ValidationService/RecordCorrection",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "year 0",
                pb::RecordCorrectionRequest {
                    context: ctx("0000-01-01"),
                    case_id: c(),
                },
                "context.on",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ValidationService/RecordAbandonment",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "NUL in the case id",
                pb::RecordAbandonmentRequest {
                    context: ok_ctx(),
                    case_id: format!("{}\u{0}", c()),
                },
                "case_id",
            )],
        ),
    );

    // CaseArrivalService (served by validation, approval and publishing)
    t.insert(
        "/ogi.v1.CaseArrivalService/AwaitCase",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "10,000-character case id",
                    pb::AwaitCaseRequest {
                        case_id: long(10_000),
                        stage: String::new(),
                        timeout_ms: 10,
                    },
                    "case_id",
                ),
                field(
                    "NUL in the case id",
                    pb::AwaitCaseRequest {
                        case_id: format!("{}\u{0}", c()),
                        stage: String::new(),
                        timeout_ms: 10,
                    },
                    "case_id",
                ),
                field(
                    "10,000-character stage",
                    pb::AwaitCaseRequest {
                        case_id: c(),
                        stage: long(10_000),
                        timeout_ms: 10,
                    },
                    "stage",
                ),
            ],
        ),
    );

    // ApprovalService
    t.insert(
        "/ogi.v1.ApprovalService/GetCase",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "10,000-character case id",
                pb::GetCaseRequest {
                    case_id: long(10_000),
                },
                "case_id",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/ListDue",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "malformed date",
                    pb::ListDueRequest {
                        agency: AGENCY.into(),
                        today: "2024-1-1".into(),
                        within_days: 5,
                    },
                    "today",
                ),
                field(
                    "10,000-character agency",
                    pb::ListDueRequest {
                        agency: long(10_000),
                        ..Default::default()
                    },
                    "agency",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/ListCases",
        cases(
            Empty::Answered,
            vec![
                field(
                    "unknown stage",
                    pb::ListCasesRequest {
                        stage: "bogus".into(),
                        ..Default::default()
                    },
                    "stage",
                ),
                field(
                    "malformed date",
                    pb::ListCasesRequest {
                        due_before: "soon".into(),
                        ..Default::default()
                    },
                    "due_before",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/CountCases",
        cases(
            Empty::Answered,
            vec![field(
                "malformed date",
                pb::CountCasesRequest {
                    agency: AGENCY.into(),
                    today: "2024-1-1".into(),
                    ..Default::default()
                },
                "today",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/AssignCases",
        cases(
            Empty::Refused("handler"),
            vec![
                field(
                    "10,000-character case id",
                    pb::AssignCasesRequest {
                        context: ok_ctx(),
                        case_ids: vec![long(10_000)],
                        handler: "operator".into(),
                    },
                    "case_id",
                ),
                field(
                    "escape sequence in the handler",
                    pb::AssignCasesRequest {
                        context: ok_ctx(),
                        case_ids: vec![c()],
                        handler: "\u{1b}[2Jzhang".into(),
                    },
                    "handler",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/ReplyStats",
        cases(
            Empty::Answered,
            vec![field(
                "malformed date",
                pb::ReplyStatsRequest {
                    agency: AGENCY.into(),
                    replied_from: "2024/01/01".into(),
                    ..Default::default()
                },
                "replied_from",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/StartConsultation",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "unknown kind",
                    pb::StartConsultationRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        kind: "bogus".into(),
                        party: "某公司".into(),
                    },
                    "kind",
                ),
                field(
                    "10,000-character party",
                    pb::StartConsultationRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        kind: "third_party".into(),
                        party: long(10_000),
                    },
                    "party",
                ),
                field(
                    "a step in 2099",
                    pb::StartConsultationRequest {
                        context: ctx("2099-01-05"),
                        case_id: c(),
                        kind: "third_party".into(),
                        party: "某公司".into(),
                    },
                    "context.on",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/RecordConsultationReply",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "unknown kind",
                    pb::RecordConsultationReplyRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        kind: "bogus".into(),
                        opinion: "同意公开".into(),
                    },
                    "kind",
                ),
                field(
                    "100,000-character opinion",
                    pb::RecordConsultationReplyRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        kind: "third_party".into(),
                        opinion: long(100_000),
                    },
                    "opinion",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/Extend",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "4294967295 days",
                    pb::ExtendRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        days: u32::MAX,
                        approved_by: "局长".into(),
                        reason: "需要调取档案".into(),
                    },
                    "days",
                ),
                field(
                    "100,000-character reason",
                    pb::ExtendRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        days: 20,
                        approved_by: "局长".into(),
                        reason: long(100_000),
                    },
                    "reason",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/NotifyFee",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "4294967295 pages",
                    pb::NotifyFeeRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        basis: Some(pb::notify_fee_request::Basis::Pages(u32::MAX)),
                    },
                    "pages",
                ),
                field(
                    "negative amount",
                    pb::NotifyFeeRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        basis: Some(pb::notify_fee_request::Basis::AmountYuan("-5".into())),
                    },
                    "amount_yuan",
                ),
                field(
                    "no basis",
                    pb::NotifyFeeRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        basis: None,
                    },
                    "basis",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/RecordFeePayment",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "malformed date",
                pb::RecordFeePaymentRequest {
                    context: ctx("20260310"),
                    case_id: c(),
                },
                "context.on",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/DraftDecision",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "300,000-character reply",
                    pb::DraftDecisionRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        outcome_code: "disclosed".into(),
                        legal_basis: "第二十七条".into(),
                        reply_text: long(300_000),
                        other_agency: String::new(),
                    },
                    "reply_text",
                ),
                field(
                    "unknown outcome",
                    pb::DraftDecisionRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        outcome_code: "bogus".into(),
                        legal_basis: "第二十七条".into(),
                        reply_text: "经审查，予以公开。".into(),
                        other_agency: String::new(),
                    },
                    "outcome_code",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/ReturnDecision",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "100,000-character reason",
                pb::ReturnDecisionRequest {
                    context: ok_ctx(),
                    case_id: c(),
                    reason: long(100_000),
                },
                "reason",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/ApproveDecision",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "a day before the era",
                pb::ApproveDecisionRequest {
                    context: ctx("2007-12-31"),
                    case_id: c(),
                },
                "context.on",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/RecordReview",
        cases(
            Empty::Refused("case_id"),
            vec![
                field(
                    "unknown kind",
                    pb::RecordReviewRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        kind: "bogus".into(),
                        filed_on: "2026-03-20".into(),
                        result: String::new(),
                        concluded_on: String::new(),
                    },
                    "kind",
                ),
                field(
                    "malformed filing date",
                    pb::RecordReviewRequest {
                        context: ok_ctx(),
                        case_id: c(),
                        kind: "review".into(),
                        filed_on: "-2024-01-01".into(),
                        result: "pending".into(),
                        concluded_on: String::new(),
                    },
                    "filed_on",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/GetCalendar",
        cases(Empty::Answered, vec![]),
    );
    t.insert(
        "/ogi.v1.ApprovalService/PreviewDeadline",
        cases(
            Empty::Refused("on"),
            vec![
                field(
                    "unknown step",
                    pb::PreviewDeadlineRequest {
                        case_id: c(),
                        step: "bogus".into(),
                        on: "2026-03-10".into(),
                        ..Default::default()
                    },
                    "step",
                ),
                field(
                    "4294967295 days",
                    pb::PreviewDeadlineRequest {
                        case_id: c(),
                        step: "extend".into(),
                        on: "2026-03-10".into(),
                        days: u32::MAX,
                        ..Default::default()
                    },
                    "days",
                ),
                field(
                    "a date in 2099",
                    pb::PreviewDeadlineRequest {
                        case_id: c(),
                        step: "consult".into(),
                        on: "2099-01-05".into(),
                        kind: "third_party".into(),
                        ..Default::default()
                    },
                    "on",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ApprovalService/PreviewCalendar",
        cases(
            Empty::Refused("calendar_toml"),
            vec![
                field(
                    "not TOML",
                    pb::PreviewCalendarRequest {
                        calendar_toml: "[[[ \u{0} not toml".into(),
                        agency: String::new(),
                    },
                    "calendar_toml",
                ),
                field(
                    "600,000-byte calendar",
                    pb::PreviewCalendarRequest {
                        calendar_toml: format!("# {}", "x".repeat(600_000)),
                        agency: String::new(),
                    },
                    "calendar_toml",
                ),
            ],
        ),
    );

    // PublishingService
    t.insert(
        "/ogi.v1.PublishingService/GetLetter",
        cases(
            Empty::Refused("case_id"),
            vec![field(
                "10,000-character case id",
                pb::GetLetterRequest {
                    case_id: long(10_000),
                },
                "case_id",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.PublishingService/ServeReply",
        cases(
            Empty::Refused("method"),
            vec![field(
                "unknown delivery method",
                pb::ServeReplyRequest {
                    context: ok_ctx(),
                    case_id: c(),
                    method: "bogus".into(),
                },
                "method",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.PublishingService/ImportCatalogue",
        cases(
            Empty::Refused("documents"),
            vec![
                field(
                    "100,000-character title",
                    pb::ImportCatalogueRequest {
                        context: ok_ctx(),
                        documents: vec![pb::CatalogueDocument {
                            title: long(100_000),
                            ..document("测信〔2025〕9号")
                        }],
                    },
                    "title",
                ),
                field(
                    "malformed date",
                    pb::ImportCatalogueRequest {
                        context: ok_ctx(),
                        documents: vec![pb::CatalogueDocument {
                            issued_on: "2025-1-10".into(),
                            ..document("测信〔2025〕8号")
                        }],
                    },
                    "issued_on",
                ),
                refused(
                    "unregistered agency",
                    pb::ImportCatalogueRequest {
                        context: ok_ctx(),
                        documents: vec![pb::CatalogueDocument {
                            agency: UNREGISTERED.into(),
                            ..document("测信〔2025〕7号")
                        }],
                    },
                    OUT_OF_SCOPE,
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.PublishingService/RepealDocument",
        cases(
            Empty::Refused("agency"),
            vec![field(
                "10,000-character repealing number",
                pb::RepealDocumentRequest {
                    context: ok_ctx(),
                    agency: AGENCY.into(),
                    number: "测信〔2025〕1号".into(),
                    repealed_by: long(10_000),
                },
                "repealed_by",
            )],
        ),
    );
    t.insert(
        "/ogi.v1.PublishingService/ListCatalogue",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "malformed date",
                    pb::ListCatalogueRequest {
                        agency: AGENCY.into(),
                        in_force_on: "yesterday".into(),
                        kind: String::new(),
                    },
                    "in_force_on",
                ),
                field(
                    "unknown kind",
                    pb::ListCatalogueRequest {
                        agency: AGENCY.into(),
                        in_force_on: String::new(),
                        kind: "bogus".into(),
                    },
                    "kind",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.PublishingService/ListDisclosureCandidates",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "year -1",
                    pb::ListDisclosureCandidatesRequest {
                        agency: AGENCY.into(),
                        year: -1,
                        ..Default::default()
                    },
                    "year",
                ),
                field(
                    "similarity 2.0",
                    pb::ListDisclosureCandidatesRequest {
                        agency: AGENCY.into(),
                        year: 2026,
                        min_applicants: 2,
                        min_similarity: 2.0,
                    },
                    "min_similarity",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.PublishingService/PublishCandidate",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "year 100000",
                    pb::PublishCandidateRequest {
                        context: ok_ctx(),
                        agency: AGENCY.into(),
                        year: 100_000,
                        candidate_id: "x".into(),
                        title: "标题".into(),
                        number: "测信〔2026〕1号".into(),
                        url: "https://example.gov.cn/x".into(),
                        min_applicants: 2,
                        min_similarity: 0.8,
                    },
                    "year",
                ),
                field(
                    "unknown candidate",
                    pb::PublishCandidateRequest {
                        context: ok_ctx(),
                        agency: AGENCY.into(),
                        year: 2026,
                        candidate_id: "\u{1b}[2J".into(),
                        title: "标题".into(),
                        number: "测信〔2026〕1号".into(),
                        url: "https://example.gov.cn/x".into(),
                        min_applicants: 2,
                        min_similarity: 0.8,
                    },
                    "candidate_id",
                ),
            ],
        ),
    );

    // ReportingService
    t.insert(
        "/ogi.v1.ReportingService/GetAnnualReport",
        cases(
            Empty::Refused("agencies"),
            vec![
                field(
                    "year -1",
                    pb::GetAnnualReportRequest {
                        agencies: vec![AGENCY.into()],
                        year: -1,
                        ..Default::default()
                    },
                    "year",
                ),
                field(
                    "unknown format",
                    pb::GetAnnualReportRequest {
                        agencies: vec![AGENCY.into()],
                        year: 2026,
                        format: "exe".into(),
                        ..Default::default()
                    },
                    "format",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ReportingService/CheckReport",
        cases(
            Empty::Refused("json"),
            vec![
                field(
                    "not JSON",
                    pb::CheckReportRequest {
                        json: "{\"agency\": ".into(),
                        ..Default::default()
                    },
                    "json",
                ),
                field(
                    "500,000-byte JSON",
                    pb::CheckReportRequest {
                        json: format!("{{\"padding\": \"{}\"}}", "x".repeat(500_000)),
                        ..Default::default()
                    },
                    "json",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ReportingService/SetActiveDisclosure",
        cases(
            Empty::Refused("json"),
            vec![
                field(
                    "negative count",
                    pb::SetActiveDisclosureRequest {
                        json: format!(
                            r#"{{"agency":"{AGENCY}","year":2026,"penalty_decisions":-5}}"#
                        ),
                        merge: false,
                    },
                    "penalty_decisions",
                ),
                field(
                    "year 0",
                    pb::SetActiveDisclosureRequest {
                        json: format!(r#"{{"agency":"{AGENCY}","year":0}}"#),
                        merge: false,
                    },
                    "year",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ReportingService/SetNarrative",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "100,000-character section",
                    pb::SetNarrativeRequest {
                        agency: AGENCY.into(),
                        year: 2026,
                        section_five: long(100_000),
                        ..Default::default()
                    },
                    "section_five",
                ),
                field(
                    "year 0",
                    pb::SetNarrativeRequest {
                        agency: AGENCY.into(),
                        year: 0,
                        section_five: "无".into(),
                        ..Default::default()
                    },
                    "year",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.ReportingService/LockReport",
        cases(
            Empty::Refused("agency"),
            vec![
                field(
                    "year -1",
                    pb::LockReportRequest {
                        agency: AGENCY.into(),
                        year: -1,
                    },
                    "year",
                ),
                refused(
                    "unregistered agency",
                    pb::LockReportRequest {
                        agency: UNREGISTERED.into(),
                        year: 2026,
                    },
                    OUT_OF_SCOPE,
                ),
            ],
        ),
    );

    // AccountsService
    const SIGN_IN: &[Code] = &[Unauthenticated, InvalidArgument];
    t.insert(
        "/ogi.v1.AccountsService/Login",
        cases(
            Empty::RefusedWith(SIGN_IN),
            vec![refused(
                "10,000-character user name",
                pb::LoginRequest {
                    username: long(10_000),
                    password: "x".into(),
                },
                SIGN_IN,
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/ChangePassword",
        cases(
            Empty::RefusedWith(SIGN_IN),
            vec![refused(
                "unknown user",
                pb::ChangePasswordRequest {
                    username: "nobody-at-all".into(),
                    password: "x".into(),
                    new_password: "Another-Pass-2026!".into(),
                },
                SIGN_IN,
            )],
        ),
    );
    // Single sign-on: refused while no provider is configured, and for a redirect off the
    // loopback or a state the service did not issue in any case.
    const SSO: &[Code] = &[FailedPrecondition, InvalidArgument, Unauthenticated];
    t.insert(
        "/ogi.v1.AccountsService/BeginSso",
        cases(
            Empty::RefusedWith(SSO),
            vec![refused(
                "redirect off the loopback",
                pb::BeginSsoRequest {
                    redirect_uri: "https://evil.example/callback".into(),
                    code_challenge: "x".repeat(43),
                },
                SSO,
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/CompleteSso",
        cases(
            Empty::RefusedWith(SSO),
            vec![refused(
                "forged state",
                pb::CompleteSsoRequest {
                    state: "forged".into(),
                    code: "x".into(),
                    code_verifier: "y".repeat(43),
                },
                SSO,
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/Refresh",
        cases(
            Empty::RefusedWith(SIGN_IN),
            vec![refused(
                "forged session",
                pb::RefreshRequest {
                    session_token: "forged.session.token".into(),
                },
                SIGN_IN,
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/Logout",
        cases(
            // Signing out a session that does not exist does nothing.
            Empty::Answered,
            vec![answered(
                "forged session",
                pb::LogoutRequest {
                    session_token: "forged.session.token".into(),
                },
            )],
        ),
    );
    for method in [
        "WhoAmI",
        "GetSigningKeys",
        "GetRevocations",
        "ListAgencies",
        "VerifyAudit",
    ] {
        let path: &'static str = format!("/ogi.v1.AccountsService/{method}").leak();
        t.insert(path, cases(Empty::Answered, vec![]));
    }
    t.insert(
        "/ogi.v1.AccountsService/GetSecurityPolicy",
        cases(Empty::Answered, vec![]),
    );
    t.insert(
        "/ogi.v1.AccountsService/SetSecurityPolicy",
        cases(
            // Not sent: an empty change is recorded as a change (updated_at, updated_by),
            // harmless but a stored change; the accounts service owns that.
            Empty::NotSent,
            vec![
                field(
                    "4294967295-character passwords",
                    pb::SetSecurityPolicyRequest {
                        password_min_length: Some(u32::MAX),
                        ..Default::default()
                    },
                    "password_min_length",
                ),
                field(
                    "tokens that never live",
                    pb::SetSecurityPolicyRequest {
                        token_minutes: Some(0),
                        ..Default::default()
                    },
                    "token_minutes",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/RotateSigningKey",
        cases(Empty::NotSent, vec![]),
    );
    t.insert(
        "/ogi.v1.AccountsService/AddUser",
        cases(
            Empty::Refused("username"),
            vec![
                field(
                    "unknown role",
                    pb::AddUserRequest {
                        username: "hostile-1".into(),
                        agency: AGENCY.into(),
                        roles: vec!["overlord".into()],
                        password: "Initial-Pass-2024".into(),
                        ..Default::default()
                    },
                    "roles",
                ),
                field(
                    "unregistered agency",
                    pb::AddUserRequest {
                        username: "hostile-2".into(),
                        agency: UNREGISTERED.into(),
                        roles: vec!["handler".into()],
                        password: "Initial-Pass-2024".into(),
                        ..Default::default()
                    },
                    "agency",
                ),
                field(
                    "escape sequence in the user name",
                    pb::AddUserRequest {
                        username: "\u{1b}[31mhostile".into(),
                        agency: AGENCY.into(),
                        roles: vec!["handler".into()],
                        password: "Initial-Pass-2024".into(),
                        ..Default::default()
                    },
                    "username",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/ListUsers",
        cases(
            Empty::Answered,
            // A filter that matches nobody.
            vec![answered(
                "10,000-character agency",
                pb::ListUsersRequest {
                    agency: long(10_000),
                },
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/SetUserEnabled",
        cases(
            Empty::Refused("username"),
            vec![refused(
                "unknown user",
                pb::SetUserEnabledRequest {
                    username: "nobody-at-all".into(),
                    enabled: false,
                },
                &[NotFound, InvalidArgument],
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/ResetPassword",
        cases(
            Empty::Refused("username"),
            vec![refused(
                "unknown user",
                pb::ResetPasswordRequest {
                    username: "nobody-at-all".into(),
                    password: "Initial-Pass-2024".into(),
                },
                &[NotFound, InvalidArgument],
            )],
        ),
    );
    for method in ["GrantRoles", "RevokeRoles"] {
        let path: &'static str = format!("/ogi.v1.AccountsService/{method}").leak();
        t.insert(
            path,
            cases(
                Empty::Refused("username"),
                vec![refused(
                    "unknown role of an unknown user",
                    pb::ChangeRolesRequest {
                        username: "nobody-at-all".into(),
                        roles: vec!["overlord".into()],
                    },
                    &[NotFound, InvalidArgument],
                )],
            ),
        );
    }
    t.insert(
        "/ogi.v1.AccountsService/AddAgency",
        cases(
            Empty::Refused("name"),
            vec![
                field(
                    "10,000-character name",
                    pb::Agency {
                        name: long(10_000),
                        ..Default::default()
                    },
                    "name",
                ),
                field(
                    "NUL in the name",
                    pb::Agency {
                        name: "测试\u{0}局".into(),
                        ..Default::default()
                    },
                    "name",
                ),
                field(
                    "unknown parent",
                    pb::Agency {
                        name: "新测试局".into(),
                        parent: UNREGISTERED.into(),
                        ..Default::default()
                    },
                    "parent",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/UpdateAgency",
        cases(
            Empty::Refused("name"),
            vec![
                refused(
                    "unregistered agency",
                    pb::Agency {
                        name: UNREGISTERED.into(),
                        letter_prefix: "伪信公".into(),
                        ..Default::default()
                    },
                    &[NotFound, InvalidArgument],
                ),
                // Its refusal echoes the name: cut to a message the client can take.
                field(
                    "10,000-character name",
                    pb::Agency {
                        name: long(10_000),
                        letter_prefix: "伪信公".into(),
                        ..Default::default()
                    },
                    "name",
                ),
            ],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/RecordAudit",
        cases(
            Empty::Answered,
            // An entry whose token does not verify is not recorded (the answer counts it out).
            vec![answered(
                "forged token",
                pb::RecordAuditRequest {
                    entries: vec![pb::AuditSubmission {
                        id: "x".into(),
                        token: "forged".into(),
                        at: "2026-03-02T00:00:00Z".into(),
                        action: "case.read".into(),
                        result: "allowed".into(),
                        ..Default::default()
                    }],
                },
            )],
        ),
    );
    t.insert(
        "/ogi.v1.AccountsService/ListAudit",
        cases(
            Empty::Answered,
            vec![field(
                "malformed date",
                pb::ListAuditRequest {
                    from: "last week".into(),
                    ..Default::default()
                },
                "from",
            )],
        ),
    );
    t
}

fn show<T: std::fmt::Debug>(answer: Result<tonic::Response<T>, tonic::Status>) -> String {
    match answer {
        Ok(r) => format!("{:?}", r.into_inner()),
        Err(s) => format!("refused {:?} {}", s.code(), s.message()),
    }
}

/// Everything stored that a hostile request could change, as the services show it.
async fn snapshot(system: &System, case_id: &str) -> Vec<String> {
    let ch = |name: &str| system.operator_channel(name);
    let mut intake = pb::intake_service_client::IntakeServiceClient::new(ch("intake"));
    let mut validation =
        pb::validation_service_client::ValidationServiceClient::new(ch("validation"));
    let mut approval = pb::approval_service_client::ApprovalServiceClient::new(ch("approval"));
    let mut publishing =
        pb::publishing_service_client::PublishingServiceClient::new(ch("publishing"));
    let mut reporting = pb::reporting_service_client::ReportingServiceClient::new(ch("reporting"));
    let mut accounts = pb::accounts_service_client::AccountsServiceClient::new(ch("accounts"));
    vec![
        show(
            intake
                .list_applications(pb::ListApplicationsRequest {
                    page_size: 1000,
                    ..Default::default()
                })
                .await,
        ),
        show(
            validation
                .get_findings(pb::GetFindingsRequest {
                    case_id: case_id.into(),
                })
                .await,
        ),
        show(
            approval
                .list_cases(pb::ListCasesRequest {
                    agency: AGENCY.into(),
                    ..Default::default()
                })
                .await,
        ),
        show(
            approval
                .get_case(pb::GetCaseRequest {
                    case_id: case_id.into(),
                })
                .await,
        ),
        show(
            publishing
                .list_catalogue(pb::ListCatalogueRequest {
                    agency: AGENCY.into(),
                    ..Default::default()
                })
                .await,
        ),
        show(
            reporting
                .get_annual_report(pb::GetAnnualReportRequest {
                    agencies: vec![AGENCY.into()],
                    year: 2026,
                    ..Default::default()
                })
                .await,
        ),
        show(accounts.list_agencies(pb::ListAgenciesRequest {}).await),
        show(accounts.list_users(pb::ListUsersRequest::default()).await),
        show(
            accounts
                .get_signing_keys(pb::GetSigningKeysRequest {})
                .await,
        ),
        show(
            accounts
                .get_security_policy(pb::GetSecurityPolicyRequest {})
                .await,
        ),
    ]
}

/// Send `body` to `path` as raw bytes with the operator's token.
async fn send(channel: Authed, path: &str, body: Vec<u8>) -> Result<Bytes, tonic::Status> {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready()
        .await
        .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
    grpc.unary(
        tonic::Request::new(Bytes::from(body)),
        path.parse().unwrap(),
        RawCodec,
    )
    .await
    .map(|r| r.into_inner())
}

/// At most 400 characters of `text`, for a readable failure.
fn cut(text: &str) -> String {
    text.chars().take(400).collect()
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What is wrong with `result` for `expect`, if anything.
fn judge(result: &Result<Bytes, tonic::Status>, expect: &Expect) -> Option<String> {
    let status = match (result, expect) {
        (Ok(_), Expect::Answered) => return None,
        (Ok(_), _) => return Some("answered OK".into()),
        (Err(s), _) => s,
    };
    if !has_chinese(status.message()) {
        return Some(format!("message not in Chinese: {status:?}"));
    }
    match expect {
        Expect::Field(f) => {
            // FAILED_PRECONDITION is the procedure's refusal (an extension beyond the
            // statutory maximum), which names its field too.
            if !matches!(
                status.code(),
                Code::InvalidArgument | Code::OutOfRange | Code::FailedPrecondition
            ) {
                return Some(format!(
                    "code {:?}, message {}",
                    status.code(),
                    status.message()
                ));
            }
            let violations = field_violations(status);
            let named = violations
                .iter()
                .any(|(v, _)| v == f || v.ends_with(&format!(".{f}")))
                || status.message().contains(f);
            (!named).then(|| format!("{f} not named: {} {violations:?}", status.message()))
        }
        Expect::Answered => matches!(
            status.code(),
            Code::Internal | Code::Unknown | Code::Unavailable | Code::DataLoss
        )
        .then(|| format!("code {:?}: {}", status.code(), status.message())),
        Expect::Refused(codes) => (!codes.contains(&status.code())).then(|| {
            format!(
                "code {:?} not in {codes:?}: {}",
                status.code(),
                status.message()
            )
        }),
    }
}

/// Bytes that are no protobuf message: field 1, length-delimited, with a length far beyond
/// the body.
const MALFORMED: &[u8] = &[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, b'x'];

/// A body just over the gRPC size limit: one unknown field (number 15) of filler.
fn oversized() -> Vec<u8> {
    let len = GRPC_MAX_MESSAGE_BYTES + 1;
    let mut body = Vec::with_capacity(len + 8);
    prost::encoding::encode_key(15, prost::encoding::WireType::LengthDelimited, &mut body);
    prost::encoding::encode_varint(len as u64, &mut body);
    body.resize(body.len() + len, b'x');
    body
}

async fn accepted_case(system: &System) -> String {
    let mut intake =
        pb::intake_service_client::IntakeServiceClient::new(system.operator_channel("intake"));
    let mut validation = pb::validation_service_client::ValidationServiceClient::new(
        system.operator_channel("validation"),
    );
    let mut approval = pb::approval_service_client::ApprovalServiceClient::new(
        system.operator_channel("approval"),
    );
    let case_id = intake
        .submit_application(application("GOOD-1"))
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .case_id;
    let start = Instant::now();
    loop {
        match validation
            .accept_application(pb::AcceptApplicationRequest {
                context: ctx("2026-03-03"),
                case_id: case_id.clone(),
            })
            .await
        {
            Ok(_) => break,
            Err(s) if s.code() == Code::NotFound && start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("accept: {s:?}"),
        }
    }
    let start = Instant::now();
    loop {
        match approval
            .get_case(pb::GetCaseRequest {
                case_id: case_id.clone(),
            })
            .await
        {
            Ok(_) => break,
            Err(s) if s.code() == Code::NotFound && start.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(s) => panic!("get case: {s:?}"),
        }
    }
    let mut publishing = pb::publishing_service_client::PublishingServiceClient::new(
        system.operator_channel("publishing"),
    );
    publishing
        .import_catalogue(pb::ImportCatalogueRequest {
            context: ok_ctx(),
            documents: vec![document("测信〔2025〕1号")],
        })
        .await
        .unwrap();
    case_id
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rpc_refuses_hostile_input_clearly_and_changes_nothing() {
    let system = System::start(Backend::Sqlite).await.unwrap();
    system.register_agency(AGENCY);
    let case_id = accepted_case(&system).await;
    let mut intake =
        pb::intake_service_client::IntakeServiceClient::new(system.operator_channel("intake"));
    let amendable = intake
        .submit_application(application("GOOD-2"))
        .await
        .unwrap()
        .into_inner()
        .application
        .unwrap()
        .case_id;
    let table = table(&case_id, &amendable);

    // The table covers the descriptor set exactly: a new RPC needs its hostile cases here.
    let rpcs = every_rpc();
    let methods: Vec<&str> = rpcs.iter().map(|(_, p)| p.as_str()).collect();
    let missing: Vec<&&str> = methods
        .iter()
        .filter(|m| !table.contains_key(**m))
        .collect();
    assert!(
        missing.is_empty(),
        "RPCs without hostile cases: {missing:?}"
    );
    let stale: Vec<&&str> = table.keys().filter(|k| !methods.contains(k)).collect();
    assert!(
        stale.is_empty(),
        "hostile cases of RPCs that do not exist: {stale:?}"
    );

    let oversized = oversized();
    let mut failures = Vec::new();
    let mut sent = 0;
    let before = snapshot(&system, &case_id).await;
    for shown in &before {
        assert!(!shown.starts_with("refused"), "{shown}");
    }
    for (service, path) in &rpcs {
        let channel = system.operator_channel(&ogi_e2e::serving(service));
        let entry = &table[path.as_str()];
        let mut requests: Vec<(&str, Vec<u8>, Expect)> = vec![
            (
                "a body over the size limit",
                oversized.clone(),
                Expect::Refused(&[Code::OutOfRange]),
            ),
            (
                "bytes that are no message",
                MALFORMED.to_vec(),
                Expect::Refused(&[Code::InvalidArgument]),
            ),
        ];
        match entry.empty {
            Empty::Refused(f) => requests.push(("the empty message", Vec::new(), Expect::Field(f))),
            Empty::RefusedWith(codes) => {
                requests.push(("the empty message", Vec::new(), Expect::Refused(codes)))
            }
            Empty::Answered => requests.push(("the empty message", Vec::new(), Expect::Answered)),
            Empty::NotSent => {}
        }
        for h in &entry.values {
            requests.push((h.what, h.body.clone(), h.expect.clone()));
        }
        for (what, body, expect) in requests {
            let result = send(channel.clone(), path, body).await;
            sent += 1;
            if let Some(wrong) = judge(&result, &expect) {
                failures.push(format!("{path} {what}: {wrong}"));
            }
            let now = snapshot(&system, &case_id).await;
            if now != before {
                let changed: Vec<String> = before
                    .iter()
                    .zip(&now)
                    .filter(|(b, n)| b != n)
                    .map(|(b, n)| format!("before {}\n  after {}", cut(b), cut(n)))
                    .collect();
                panic!(
                    "{path} {what} changed what is stored:\n{}",
                    changed.join("\n")
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} hostile requests were not refused clearly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The user of the CLI reads it in Chinese too: a table 二 file over the limit.
    let big = system.dir.path().join("active-disclosure.json");
    std::fs::write(
        &big,
        format!(
            r#"{{"agency":"{AGENCY}","year":2026,"padding":"{}"}}"#,
            "x".repeat(GRPC_MAX_MESSAGE_BYTES)
        ),
    )
    .unwrap();
    let out = system.ogi(&["report", "active-disclosure", big.to_str().unwrap()]);
    let said = ogi_e2e::stderr(&out);
    assert!(!out.status.success());
    assert!(
        said.contains("请求过大") && said.contains("1 MiB") && said.contains("上限"),
        "{said}"
    );
    assert!(!said.contains("too large"), "{said}");

    // The limit is named in the answer to an oversized body, with the size.
    let status = send(
        system.operator_channel("intake"),
        "/ogi.v1.IntakeService/SubmitApplication",
        oversized.clone(),
    )
    .await
    .unwrap_err();
    assert!(
        status
            .message()
            .contains(&GRPC_MAX_MESSAGE_BYTES.to_string())
            && status.message().contains(&oversized.len().to_string())
            && status.message().contains("上限"),
        "{status:?}"
    );
}
