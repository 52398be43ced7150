//! `ogi export [--agency A]`: every case as a case record (case-record.md), one per line, read
//! back from the services; export → import into an empty system → export gives the same lines.

use std::io::Write;

use chrono::NaiveDate;
use ogi_core::case::Case;
use ogi_core::records::{
    self, Applicant, CaseRecord, HistoryEntry, HistoryEvent, RecordOutcome, RequestDetails,
    ReviewRecord,
};
use ogi_platform::error::describe_status;
use ogi_proto::v1 as pb;

use crate::endpoints::Clients;

fn parse<T: std::str::FromStr>(field: &str, text: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e| anyhow::anyhow!("{field}「{text}」：{e}"))
}

async fn record_of(clients: &mut Clients, app: pb::Application) -> anyhow::Result<CaseRecord> {
    let a = app.applicant.clone().unwrap_or_default();
    let r = app.request.clone().unwrap_or_default();
    let mut history: Vec<HistoryEntry> = Vec::new();
    let mut outcome = None;
    let mut reviews = Vec::new();
    match clients
        .approval
        .get_case(pb::GetCaseRequest {
            case_id: app.case_id.clone(),
        })
        .await
    {
        Ok(file) => {
            let case: Case = serde_json::from_str(&file.into_inner().case_state_json)?;
            history = records::history_of(&case);
            outcome = case.reply().map(|r| RecordOutcome {
                code: r.outcome,
                replied_on: r.replied_on,
            });
            reviews = case
                .reviews()
                .iter()
                .map(|r| ReviewRecord {
                    kind: r.kind,
                    filed_on: r.filed_on,
                    result: r.result,
                    concluded_on: r.concluded_on,
                })
                .collect();
        }
        Err(s) if s.code() == tonic::Code::NotFound => {
            // Not accepted yet: the correction path lives in validation.
            if let Ok(f) = clients
                .validation
                .get_findings(pb::GetFindingsRequest {
                    case_id: app.case_id.clone(),
                })
                .await
            {
                let f = f.into_inner();
                if !f.correction_requested_on.is_empty() {
                    let due_on = if f.correction_due_on.is_empty() {
                        None
                    } else {
                        Some(parse::<NaiveDate>(
                            "correction_due_on",
                            &f.correction_due_on,
                        )?)
                    };
                    history.push(HistoryEntry {
                        on: parse("correction_requested_on", &f.correction_requested_on)?,
                        event: HistoryEvent::CorrectionRequested { due_on },
                    });
                }
            }
        }
        Err(s) => anyhow::bail!("{}：{}", app.reference, describe_status(&s)),
    }
    Ok(CaseRecord {
        reference: app.reference.clone(),
        agency: app.agency.clone(),
        received_on: parse("received_on", &app.received_on)?,
        channel: parse("channel", &app.channel)?,
        applicant: Applicant {
            applicant_type: parse("applicant.type", &a.r#type)?,
            name: a.name,
            id_type: parse("applicant.id_type", &a.id_type)?,
            id_number: a.id_number,
            phone: a.phone,
            address: a.address,
            email: a.email,
        },
        request: RequestDetails {
            description: r.description,
            form: parse("request.form", &r.form)?,
            delivery: parse("request.delivery", &r.delivery)?,
        },
        history,
        outcome,
        reviews,
    })
}

pub async fn export(clients: &Clients, agency: Option<&str>) -> anyhow::Result<usize> {
    let mut clients = clients.clone();
    let mut records = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = clients
            .intake
            .list_applications(pb::ListApplicationsRequest {
                agency: agency.unwrap_or_default().to_string(),
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .map_err(|s| anyhow::anyhow!(describe_status(&s)))?
            .into_inner();
        for app in page.applications {
            records.push(record_of(&mut clients, app).await?);
        }
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    records.sort_by(|a, b| {
        (&a.agency, a.received_on, &a.reference).cmp(&(&b.agency, b.received_on, &b.reference))
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for r in &records {
        writeln!(out, "{}", records::to_jsonl_line(r))?;
    }
    Ok(records.len())
}
