//! `ogi import FILE.jsonl`: replays each case record through the running services with the
//! record's own dates — the same commands a handler would give — so imported history is
//! indistinguishable from live work. Every command carries an idempotency key derived from the
//! record (`import:<agency>:<ref>:<step>`), so importing a record twice, or resuming an import
//! that was interrupted, changes nothing that is already there.

use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use futures::StreamExt;
use ogi_core::case::ConsultationKind;
use ogi_core::codes::OutcomeCode;
use ogi_core::fees;
use ogi_core::records::{self, CaseRecord, HistoryEvent, LineIssue};
use ogi_platform::error::{describe_status, field_violations};
use ogi_proto::v1 as pb;
use tonic::Code;

use crate::endpoints::{Authed, Clients};
use pb::case_arrival_service_client::CaseArrivalServiceClient;

/// How many records are replayed at once.
const CONCURRENCY: usize = 128;

/// How long the import waits for a case to reach a service before giving the command anyway
/// (which then answers NOT_FOUND and is asked again until [`until_arrived`] gives up).
const ARRIVAL_WAIT: Duration = Duration::from_secs(60);

/// Latency of each kind of call, for `ogi import --stats` and the benchmark.
static LATENCIES: std::sync::Mutex<std::collections::BTreeMap<&'static str, Vec<Duration>>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

fn record_latency(step: &'static str, took: Duration) {
    if let Ok(mut map) = LATENCIES.lock() {
        map.entry(step).or_default().push(took);
    }
}

/// Per-step latency percentiles (p50, p95, p99) in milliseconds, one line per step.
pub fn latency_report() -> String {
    let Ok(map) = LATENCIES.lock() else {
        return String::new();
    };
    let mut out =
        String::from("步骤                          次数      p50(ms)  p95(ms)  p99(ms)\n");
    for (step, samples) in map.iter() {
        let mut s = samples.clone();
        s.sort();
        let p = |q: f64| s[((s.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
        out.push_str(&format!(
            "{step:<28} {:>6} {:>10.2} {:>8.2} {:>8.2}\n",
            s.len(),
            p(0.5),
            p(0.95),
            p(0.99)
        ));
    }
    out
}

pub struct ImportSummary {
    pub total: usize,
    pub imported: usize,
    pub unchanged: usize,
    pub rejected: Vec<LineIssue>,
    pub warnings: Vec<LineIssue>,
    pub agencies: BTreeSet<String>,
    /// Agencies the import registered (the caller may register agencies).
    pub registered: BTreeSet<String>,
}

impl ImportSummary {
    pub fn ok(&self) -> bool {
        self.rejected.is_empty()
    }
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in &self.warnings {
            writeln!(f, "警告 {w}")?;
        }
        for e in &self.rejected {
            writeln!(f, "拒绝 {e}")?;
        }
        if !self.registered.is_empty() {
            writeln!(
                f,
                "新登记行政机关：{}",
                self.registered
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("、")
            )?;
        }
        let lines: BTreeSet<usize> = self.rejected.iter().map(|e| e.line).collect();
        write!(
            f,
            "导入完成：共{}条记录，新导入{}条，已存在未改变{}条，拒绝{}行，警告{}条；涉及行政机关：{}",
            self.total,
            self.imported,
            self.unchanged,
            lines.len(),
            self.warnings.len(),
            self.agencies.iter().cloned().collect::<Vec<_>>().join("、")
        )
    }
}

fn ctx(on: chrono::NaiveDate, key: String) -> Option<pb::CommandContext> {
    Some(pb::CommandContext {
        actor: "import".into(),
        on: on.to_string(),
        command_id: key,
    })
}

/// Call `f` until it stops answering NOT_FOUND (the case's event is still on its way) or the
/// deadline passes.
async fn until_arrived<T, F, Fut>(mut f: F) -> Result<T, tonic::Status>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, tonic::Status>>,
{
    let start = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match f().await {
            Err(s)
                if matches!(s.code(), Code::NotFound | Code::Unavailable | Code::Aborted)
                    && start.elapsed() < Duration::from_secs(60) =>
            {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// Wait on a service until the case has reached it (at `stage`, when not empty): the service
/// answers as soon as the case's event is applied there (`AwaitCase`), so the import neither
/// polls nor idles. Gives up quietly after [`ARRIVAL_WAIT`] or on a service that does not wait
/// (the command that follows then says what is wrong).
async fn await_case(
    arrivals: &CaseArrivalServiceClient<Authed>,
    step: &'static str,
    case_id: &str,
    stage: &str,
) {
    let started = tokio::time::Instant::now();
    loop {
        let mut client = arrivals.clone();
        let answer = client
            .await_case(pb::AwaitCaseRequest {
                case_id: case_id.to_string(),
                stage: stage.to_string(),
                timeout_ms: 30_000,
            })
            .await;
        match answer {
            Ok(r) if r.get_ref().arrived => break,
            Ok(_) => {}
            Err(s) if matches!(s.code(), Code::Unavailable | Code::Aborted) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => break,
        }
        if started.elapsed() >= ARRIVAL_WAIT {
            break;
        }
    }
    record_latency(step, started.elapsed());
}

fn issue(line: usize, record: &CaseRecord, field: &str, status: &tonic::Status) -> LineIssue {
    let violations = field_violations(status);
    let (field, reason) = match violations.first() {
        Some((f, r)) => (
            format!("{field}.{f}").trim_start_matches('.').to_string(),
            r.clone(),
        ),
        None => (field.to_string(), describe_status(status)),
    };
    LineIssue {
        line,
        reference: Some(record.reference.clone()),
        field,
        reason,
    }
}

/// The consultation kind code of a consultation history event.
fn consulted_party(event: &HistoryEvent) -> String {
    let kind = match event {
        HistoryEvent::ThirdPartyConsulted | HistoryEvent::ThirdPartyReplied => {
            ConsultationKind::ThirdParty
        }
        _ => ConsultationKind::OtherAgency,
    };
    kind.code().to_string()
}

/// Replay one record; `Ok(true)` when something was created.
pub async fn replay(
    clients: &Clients,
    line: usize,
    record: &CaseRecord,
) -> Result<bool, LineIssue> {
    let mut c = clients.clone();
    let key = |step: &str| format!("import:{}:{}:{step}", record.agency, record.reference);
    let a = &record.applicant;
    let submit = pb::SubmitApplicationRequest {
        context: ctx(record.received_on, key("submit")),
        agency: record.agency.clone(),
        reference: record.reference.clone(),
        channel: record.channel.code().into(),
        received_on: record.received_on.to_string(),
        applicant: Some(pb::Applicant {
            r#type: a.applicant_type.code().into(),
            name: a.name.clone(),
            id_type: a.id_type.code().into(),
            id_number: a.id_number.clone(),
            phone: a.phone.clone(),
            address: a.address.clone(),
            email: a.email.clone(),
        }),
        request: Some(pb::InformationRequest {
            description: record.request.description.clone(),
            form: record.request.form.code().into(),
            delivery: record.request.delivery.code().into(),
        }),
        identity_check_warning_only: true,
    };
    let submitted = until_arrived(|| {
        let mut intake = c.intake.clone();
        let submit = submit.clone();
        async move { intake.submit_application(submit).await }
    })
    .await
    .map_err(|s| issue(line, record, "", &s))?
    .into_inner();
    let application = submitted.application.unwrap_or_default();
    let case_id = application.case_id.clone();
    // Already present: resume where it stopped. A closed case still gets whichever of its
    // reviews an interrupted import had not recorded yet.
    let closed = !submitted.created
        && c.approval
            .get_case(pb::GetCaseRequest {
                case_id: case_id.clone(),
            })
            .await
            .is_ok_and(|r| r.into_inner().stage == "closed");

    macro_rules! call {
        ($client:ident . $method:ident ( $req:expr ), $field:expr) => {{
            let req = $req;
            let started = std::time::Instant::now();
            let result = until_arrived(|| {
                let mut client = c.$client.clone();
                let req = req.clone();
                async move { client.$method(req).await }
            })
            .await;
            record_latency(stringify!($method), started.elapsed());
            result
                .map_err(|s| issue(line, record, $field, &s))?
                .into_inner()
        }};
    }
    'handling: {
        if closed {
            break 'handling;
        }
        await_case(&c.arrivals.validation, "await_validation", &case_id, "").await;
        // Validation: correction path or acceptance.
        let requested = record.history.iter().find_map(|h| match &h.event {
            HistoryEvent::CorrectionRequested { due_on } => Some((h.on, *due_on)),
            _ => None,
        });
        let corrected = record
            .history
            .iter()
            .find(|h| matches!(h.event, HistoryEvent::Corrected))
            .map(|h| h.on);
        match requested {
            Some((on, due_on)) => {
                call!(
                    validation.request_correction(pb::RequestCorrectionRequest {
                        context: ctx(on, key("correction_requested")),
                        case_id: case_id.clone(),
                        items: vec![],
                        due_on: due_on.map(|d| d.to_string()).unwrap_or_default(),
                    }),
                    "history"
                );
                if let Some(on) = corrected {
                    call!(
                        validation.record_correction(pb::RecordCorrectionRequest {
                            context: ctx(on, key("corrected")),
                            case_id: case_id.clone()
                        }),
                        "history"
                    );
                } else if let Some(outcome) = &record.outcome
                    && outcome.code == OutcomeCode::OtherCorrectionOverdue
                {
                    call!(
                        validation.record_abandonment(pb::RecordAbandonmentRequest {
                            context: ctx(outcome.replied_on, key("abandoned")),
                            case_id: case_id.clone()
                        }),
                        "outcome"
                    );
                }
            }
            None => {
                call!(
                    validation.accept_application(pb::AcceptApplicationRequest {
                        context: ctx(record.received_on, key("accepted")),
                        case_id: case_id.clone()
                    }),
                    "received_on"
                );
            }
        }

        // Approval: the handling history, in order.
        // The case reaches approval once accepted, at once or after its correction.
        if requested.is_none() || corrected.is_some() {
            await_case(&c.arrivals.approval, "await_approval", &case_id, "").await;
        }
        for (i, h) in record.history.iter().enumerate() {
            let field = format!("history[{i}]");
            let k = key(&format!("h{i}"));
            let id = case_id.clone();
            match &h.event {
                HistoryEvent::CorrectionRequested { .. } | HistoryEvent::Corrected => {}
                HistoryEvent::ThirdPartyConsulted | HistoryEvent::OtherAgencyConsulted => {
                    let kind = consulted_party(&h.event);
                    call!(
                        approval.start_consultation(pb::StartConsultationRequest {
                            context: ctx(h.on, k),
                            case_id: id,
                            kind,
                            party: String::new()
                        }),
                        &field
                    );
                }
                HistoryEvent::ThirdPartyReplied | HistoryEvent::OtherAgencyReplied => {
                    let kind = consulted_party(&h.event);
                    call!(
                        approval.record_consultation_reply(pb::RecordConsultationReplyRequest {
                            context: ctx(h.on, k),
                            case_id: id,
                            kind,
                            opinion: String::new()
                        }),
                        &field
                    );
                }
                HistoryEvent::Extended { days } => {
                    call!(
                        approval.extend(pb::ExtendRequest {
                            context: ctx(h.on, k),
                            case_id: id,
                            days: *days,
                            approved_by: String::new(),
                            reason: String::new()
                        }),
                        &field
                    );
                }
                HistoryEvent::FeeNotified { amount_yuan } => {
                    let amount = fees::parse_yuan(amount_yuan)
                        .map(fees::format_yuan)
                        .unwrap_or_else(|_| amount_yuan.clone());
                    call!(
                        approval.notify_fee(pb::NotifyFeeRequest {
                            context: ctx(h.on, k),
                            case_id: id,
                            basis: Some(pb::notify_fee_request::Basis::AmountYuan(amount))
                        }),
                        &field
                    );
                }
                HistoryEvent::FeePaid => {
                    call!(
                        approval.record_fee_payment(pb::RecordFeePaymentRequest {
                            context: ctx(h.on, k),
                            case_id: id
                        }),
                        &field
                    );
                }
            }
        }

        // The decision, its approval chain, and service.
        let Some(outcome) = &record.outcome else {
            return Ok(submitted.created);
        };
        if outcome.code != OutcomeCode::OtherCorrectionOverdue {
            call!(
                approval.draft_decision(pb::DraftDecisionRequest {
                    context: ctx(outcome.replied_on, key("draft")),
                    case_id: case_id.clone(),
                    outcome_code: outcome.code.code().into(),
                    legal_basis: String::new(),
                    reply_text: String::new(),
                    other_agency: String::new(),
                }),
                "outcome.code"
            );
            for level in 1..=10 {
                let file = call!(
                    approval.approve_decision(pb::ApproveDecisionRequest {
                        context: ctx(outcome.replied_on, key(&format!("approve{level}"))),
                        case_id: case_id.clone()
                    }),
                    "outcome"
                );
                if file.stage != "drafted" {
                    break;
                }
            }
        }
        await_case(&c.arrivals.publishing, "await_publishing", &case_id, "").await;
        call!(
            publishing.serve_reply(pb::ServeReplyRequest {
                context: ctx(outcome.replied_on, key("served")),
                case_id: case_id.clone(),
                method: record.request.delivery.code().into(),
            }),
            "outcome.replied_on"
        );
    }

    // Reviews and lawsuits are recorded once the case is closed.
    if !record.reviews.is_empty() {
        await_case(&c.arrivals.approval, "await_closed", &case_id, "closed").await;
        let start = tokio::time::Instant::now();
        loop {
            let stage = c
                .approval
                .get_case(pb::GetCaseRequest {
                    case_id: case_id.clone(),
                })
                .await
                .map(|r| r.into_inner().stage);
            if matches!(stage.as_deref(), Ok("closed")) {
                break;
            }
            if start.elapsed() > Duration::from_secs(60) {
                return Err(LineIssue {
                    line,
                    reference: Some(record.reference.clone()),
                    field: "reviews".into(),
                    reason: "等待案件办结超时".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (i, r) in record.reviews.iter().enumerate() {
            call!(
                approval.record_review(pb::RecordReviewRequest {
                    context: ctx(r.filed_on, key(&format!("review{i}"))),
                    case_id: case_id.clone(),
                    kind: r.kind.code().into(),
                    filed_on: r.filed_on.to_string(),
                    result: r.result.code().into(),
                    concluded_on: r.concluded_on.map(|d| d.to_string()).unwrap_or_default(),
                }),
                &format!("reviews[{i}]")
            );
        }
    }
    let _ = &mut c;
    Ok(submitted.created)
}

/// Register the agencies named in imported history that the registry lacks, when the caller
/// may register agencies; returns those registered and those left unregistered.
async fn register_agencies(
    clients: &Clients,
    agencies: &BTreeSet<String>,
) -> anyhow::Result<(BTreeSet<String>, BTreeSet<String>)> {
    let mut accounts = clients.accounts.clone();
    let known: BTreeSet<String> = accounts
        .list_agencies(pb::ListAgenciesRequest {})
        .await
        .map_err(|s| anyhow::anyhow!("无法读取行政机关名录：{}", describe_status(&s)))?
        .into_inner()
        .agencies
        .into_iter()
        .map(|a| a.name)
        .collect();
    let mut registered = BTreeSet::new();
    let mut refused = BTreeSet::new();
    for name in agencies.difference(&known) {
        match accounts
            .add_agency(pb::Agency {
                name: name.clone(),
                ..Default::default()
            })
            .await
        {
            Ok(_) => {
                registered.insert(name.clone());
            }
            Err(s) if s.code() == Code::AlreadyExists => {}
            Err(s) if s.code() == Code::PermissionDenied => {
                refused.insert(name.clone());
            }
            Err(s) => anyhow::bail!("无法登记行政机关「{name}」：{}", describe_status(&s)),
        }
    }
    if !registered.is_empty() {
        // The token's scope is computed from the registry when it is issued.
        clients.refresh_if_due(true).await?;
    }
    Ok((registered, refused))
}

/// Import a file: bad lines are reported and the rest imported.
pub async fn import_file(
    clients: &Clients,
    path: &Path,
    quiet: bool,
) -> anyhow::Result<ImportSummary> {
    let parsed = records::read_jsonl(std::io::BufReader::new(
        std::fs::File::open(path).with_context(|| format!("无法读取文件 {}", path.display()))?,
    ))
    .with_context(|| format!("无法读取文件 {}", path.display()))?;
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(parsed.records.len() as u64)
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 条 {per_sec} 剩余{eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summary = ImportSummary {
        total: parsed.records.len()
            + parsed
                .errors
                .iter()
                .map(|e| e.line)
                .collect::<BTreeSet<_>>()
                .len(),
        imported: 0,
        unchanged: 0,
        rejected: parsed.errors.clone(),
        warnings: parsed.warnings.clone(),
        agencies: parsed
            .records
            .iter()
            .map(|(_, r)| r.agency.clone())
            .collect(),
        registered: BTreeSet::new(),
    };
    let (registered, refused) = register_agencies(clients, &summary.agencies).await?;
    summary.registered = registered;
    for (line, record) in parsed
        .records
        .iter()
        .filter(|(_, r)| refused.contains(&r.agency))
    {
        summary.rejected.push(LineIssue {
            line: *line,
            reference: Some(record.reference.clone()),
            field: "agency".into(),
            reason: format!(
                "行政机关「{}」未登记，当前用户无权登记机关：请系统管理员先运行 ogi admin agency add",
                record.agency
            ),
        });
    }
    let replayable = parsed
        .records
        .iter()
        .filter(|(_, r)| !refused.contains(&r.agency));
    let results: Vec<Result<bool, LineIssue>> = futures::stream::iter(replayable)
        .map(|(line, record)| {
            let bar = bar.clone();
            async move {
                let started = std::time::Instant::now();
                let r = replay(clients, *line, record).await;
                record_latency("whole_case", started.elapsed());
                bar.inc(1);
                r
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    bar.finish_and_clear();
    for r in results {
        match r {
            Ok(true) => summary.imported += 1,
            Ok(false) => summary.unchanged += 1,
            Err(issue) => summary.rejected.push(issue),
        }
    }
    summary.rejected.sort_by_key(|e| e.line);
    Ok(summary)
}
