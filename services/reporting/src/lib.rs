//! The reporting service (年度报告): consumes every case event into its own projections — one
//! row per case (applicant type, receipt date, outcome and reply date, fee collected) and one
//! per review or lawsuit — and answers, per agency and year, the annual report of
//! `annual-report.md` computed by the counting rules (`ogi_core::report`). It can drop its
//! projections and rebuild them by replaying the streams (`--rebuild`).
//!
//! For an agency whose proactive-disclosure catalogue is kept (publishing's `catalogue.*`
//! events, projected by [`catalogue`]), table 二's 制发 / 废止 / 现行有效 are counted from it;
//! figures entered for those cells that differ are refused on entry, or reported as
//! differences when the catalogue came later.

pub mod catalogue;
pub mod projection;

use std::sync::Arc;

use ogi_core::access::Permission;
use ogi_core::limits::{self, text};
use ogi_core::report::{
    self, ActiveDisclosure, ActiveDisclosureEntry, AnnualReport, CatalogueDifference,
    CountedDocuments, FailedCheck, Narrative, Severity, catalogue_differences,
    table_two_with_catalogue,
};
use ogi_platform::auth;
use ogi_platform::config::ServiceConfig;
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::runtime::{self, ServiceContext};
use ogi_platform::store::ServiceSchema;
use ogi_platform::store::entities::{
    inbox, report_cases, report_catalogue, report_entries, report_reply_counts, report_reviews,
};
use ogi_proto::v1::{self as pb, reporting_service_server as server};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use projection::{Projector, consumers, tally};

pub async fn run(config: ServiceConfig, rebuild: bool) -> anyhow::Result<()> {
    let cancel = CancellationToken::new();
    ogi_platform::shutdown::on_signals(cancel.clone());
    let ctx = runtime::start("reporting", ServiceSchema::Reporting, config, cancel).await?;
    if rebuild {
        drop_projections(&ctx).await?;
    }
    for spec in consumers() {
        runtime::spawn_consumer(&ctx, spec, Arc::new(Projector));
    }
    runtime::spawn_consumer(
        &ctx,
        catalogue::consumer(),
        Arc::new(catalogue::CatalogueProjector),
    );
    let routes = tonic::service::Routes::new(
        server::ReportingServiceServer::new(Reporting { ctx: ctx.clone() })
            .max_decoding_message_size(ogi_core::limits::GRPC_MAX_MESSAGE_BYTES),
    );
    runtime::serve(&ctx, &["ogi.v1.ReportingService"], routes).await
}

/// Empty the projections and their inboxes and delete the durable consumers, so that they are
/// created anew and replay each stream from its first message.
async fn drop_projections(ctx: &ServiceContext) -> anyhow::Result<()> {
    report_cases::Entity::delete_many().exec(&ctx.db).await?;
    report_reviews::Entity::delete_many().exec(&ctx.db).await?;
    report_reply_counts::Entity::delete_many()
        .exec(&ctx.db)
        .await?;
    report_catalogue::Entity::delete_many()
        .exec(&ctx.db)
        .await?;
    for spec in consumers().into_iter().chain([catalogue::consumer()]) {
        inbox::Entity::delete_many()
            .filter(inbox::Column::Consumer.eq(spec.durable.clone()))
            .exec(&ctx.db)
            .await?;
        let stream = ctx.js.get_stream(&spec.stream).await?;
        // A consumer that does not exist yet is fine.
        let _ = stream.delete_consumer(&spec.durable).await;
    }
    tracing::info!("projections dropped, replaying the streams");
    Ok(())
}

pub struct Reporting {
    ctx: ServiceContext,
}

/// The most agencies one summary (汇总) names.
const MAX_AGENCIES_PER_REPORT: usize = 500;

/// A report JSON within [`limits::REPORT_JSON_MAX_BYTES`].
fn report_json_size(field: &str, json: &str) -> Result<(), ServiceError> {
    if json.len() > limits::REPORT_JSON_MAX_BYTES {
        return Err(ServiceError::invalid(
            field,
            format!(
                "超过长度上限：年度报告JSON最多{}字节，实为{}字节",
                limits::REPORT_JSON_MAX_BYTES,
                json.len()
            ),
        ));
    }
    Ok(())
}

async fn entry<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    year: i32,
    kind: &str,
) -> Result<Option<String>, ServiceError> {
    Ok(
        report_entries::Entity::find_by_id((agency.to_string(), year, kind.to_string()))
            .one(db)
            .await?
            .map(|e| e.body),
    )
}

async fn put_entry<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    year: i32,
    kind: &str,
    body: String,
) -> Result<(), ServiceError> {
    report_entries::Entity::insert(report_entries::ActiveModel {
        agency: Set(agency.into()),
        year: Set(year),
        kind: Set(kind.into()),
        body: Set(body),
        updated_at: Set(chrono::Utc::now()),
    })
    .on_conflict(
        OnConflict::columns([
            report_entries::Column::Agency,
            report_entries::Column::Year,
            report_entries::Column::Kind,
        ])
        .update_columns([
            report_entries::Column::Body,
            report_entries::Column::UpdatedAt,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct EnteredNarrative {
    section_one_extra: String,
    section_five: String,
    section_six: String,
}

/// A report as the cases and the catalogue make it now.
struct Computed {
    report: AnnualReport,
    narrative: Narrative,
    /// Figures entered for table 二 that differ from the catalogue's count.
    catalogue_differences: Vec<CatalogueDifference>,
}

async fn entered_table_two<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    year: i32,
) -> Result<Option<ActiveDisclosure>, ServiceError> {
    match entry(db, agency, year, "active_disclosure").await? {
        Some(body) => Ok(Some(
            serde_json::from_str::<ActiveDisclosureEntry>(&body)
                .map_err(|e| ServiceError::Internal(e.to_string()))?
                .figures,
        )),
        None => Ok(None),
    }
}

impl Reporting {
    /// Table 二 of a year: counted from the catalogue where it is kept (with the entered
    /// figures that differ), else as entered; and the count itself.
    async fn table_two(
        &self,
        agency: &str,
        year: i32,
        kept: Option<&[ogi_core::catalogue::count::DocumentDates]>,
    ) -> Result<
        (
            Option<ActiveDisclosure>,
            Vec<CatalogueDifference>,
            Option<CountedDocuments>,
        ),
        ServiceError,
    > {
        let entered = entered_table_two(&self.ctx.db, agency, year).await?;
        Ok(match kept {
            Some(documents) => {
                let counted = CountedDocuments::count(documents, year);
                let (table, differences) = table_two_with_catalogue(entered, &counted);
                (Some(table), differences, Some(counted))
            }
            None => (entered, Vec::new(), None),
        })
    }

    /// The report as the cases make it now, with table 二 counted from the catalogue or as
    /// entered, and every check run.
    async fn compute(&self, agency: &str, year: i32) -> Result<Computed, ServiceError> {
        let db = &self.ctx.db;
        let kept = catalogue::kept_documents(db, agency).await?;
        let (active, catalogue_differences, counted) =
            self.table_two(agency, year, kept.as_deref()).await?;
        // Last year's table 二 as published when locked, else as counted or entered now.
        let previous_active = match entry(db, agency, year - 1, "locked").await? {
            Some(body) => {
                serde_json::from_str::<AnnualReport>(&body)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?
                    .active_disclosure
            }
            None => self.table_two(agency, year - 1, kept.as_deref()).await?.0,
        };
        let current = tally(db, agency, year).await?;
        let previous = tally(db, agency, year - 1).await?;
        let mut previous_report = AnnualReport::from_tally(agency, year - 1, &previous, None, None)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let mut report = AnnualReport::from_tally(agency, year, &current, active, None)
            .map_err(|e| ServiceError::Internal(e.to_string()))?;
        let entered: EnteredNarrative = entry(db, agency, year, "narrative")
            .await?
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or_default();
        let fees = current.tables().fees;
        let mut section_one = report::draft_section_one_applications(&report);
        if let Some(counted) = &counted {
            section_one = format!("{}\n{section_one}", counted.sentence(year));
        }
        if !entered.section_one_extra.is_empty() {
            section_one = format!("{}\n{section_one}", entered.section_one_extra);
        }
        let mut section_six = report::section_six_fees(fees.count, fees.total_yuan);
        if !entered.section_six.is_empty() {
            section_six = format!("{}\n{section_six}", entered.section_six);
        }
        let narrative = Narrative {
            section_one,
            section_five: entered.section_five,
            section_six,
        };
        // Last year's cases only count for the cross-year check when it has cases at all; its
        // table 二 counts for the documents in force whenever it is known.
        let has_previous = previous_report
            .applications
            .rows
            .iter()
            .any(|(_, row)| row.iter().any(|c| c.unwrap_or(0) != 0));
        if !has_previous {
            previous_report.applications = Default::default();
        }
        previous_report.active_disclosure = previous_active;
        let compare = has_previous || previous_report.active_disclosure.is_some();
        report.recheck(
            compare.then_some(&previous_report),
            Some(&format!(
                "{}\n{}",
                narrative.section_one, narrative.section_six
            )),
        );
        report
            .checks
            .extend(catalogue_differences.iter().map(difference_check));
        Ok(Computed {
            report,
            narrative,
            catalogue_differences,
        })
    }
}

/// An entered figure that differs from the catalogue's count, as a warning of the report.
fn difference_check(d: &CatalogueDifference) -> FailedCheck {
    FailedCheck {
        check: "catalogue_difference".into(),
        severity: Severity::Warning,
        row: d.row.into(),
        column: d.column.into(),
        left: d.entered.to_string(),
        right: d.counted.to_string(),
        message: d.to_string(),
    }
}

/// The document formats of `ogi report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DocumentFormat {
    Json,
    Html,
    Markdown,
    Docx,
    Xlsx,
}

impl DocumentFormat {
    fn parse(text: &str) -> Result<Self, ServiceError> {
        Ok(match text {
            "" | "json" => Self::Json,
            "html" => Self::Html,
            "md" | "markdown" => Self::Markdown,
            "docx" => Self::Docx,
            "xlsx" => Self::Xlsx,
            other => {
                return Err(ServiceError::invalid(
                    "format",
                    format!("不支持的格式「{other}」，可用 json、html、md、docx、xlsx"),
                ));
            }
        })
    }

    /// The text body (html, md) and the binary document (docx, xlsx) of the report.
    fn render(
        self,
        report: &AnnualReport,
        narrative: &Narrative,
    ) -> Result<(String, Vec<u8>), ServiceError> {
        Ok(match self {
            Self::Json => (String::new(), Vec::new()),
            Self::Html => (report::to_html(report, narrative), Vec::new()),
            Self::Markdown => (report::to_markdown(report, narrative), Vec::new()),
            Self::Docx => (String::new(), report::to_docx(report, narrative)),
            Self::Xlsx => (
                String::new(),
                report::to_xlsx(report, narrative).map_err(ServiceError::Internal)?,
            ),
        })
    }
}

fn to_json(report: &AnnualReport) -> Result<String, ServiceError> {
    serde_json::to_string_pretty(report).map_err(|e| ServiceError::Internal(e.to_string()))
}

/// Cell-by-cell differences between a locked report and the current figures.
fn differences(locked: &AnnualReport, now: &AnnualReport) -> Vec<String> {
    let mut out = Vec::new();
    if let (Some(a), Some(b)) = (&locked.active_disclosure, &now.active_disclosure) {
        for (row, x, y) in [
            ("规章", &a.rules, &b.rules),
            (
                "行政规范性文件",
                &a.normative_documents,
                &b.normative_documents,
            ),
        ] {
            for (column, p, q) in [
                ("本年制发件数", x.issued, y.issued),
                ("本年废止件数", x.repealed, y.repealed),
                ("现行有效件数", x.in_force, y.in_force),
            ] {
                if p != q {
                    out.push(format!(
                        "表二「{row}」{column}：已锁定{}，现为{}",
                        fmt_cell(p),
                        fmt_cell(q)
                    ));
                }
            }
        }
    }
    for ((key, a), (_, b)) in locked
        .applications
        .rows
        .iter()
        .zip(now.applications.rows.iter())
    {
        for (col, (x, y)) in a.iter().zip(b.iter()).enumerate() {
            if x != y {
                out.push(format!(
                    "{}／{}：已锁定{}，现为{}",
                    key.label(),
                    report::column_label(col),
                    fmt_cell(*x),
                    fmt_cell(*y)
                ));
            }
        }
    }
    out
}

fn fmt_cell(c: Option<i64>) -> String {
    c.map_or_else(|| "空".into(), |v| v.to_string())
}

#[tonic::async_trait]
impl server::ReportingService for Reporting {
    async fn get_annual_report(
        &self,
        request: Request<pb::GetAnnualReportRequest>,
    ) -> Result<Response<pb::AnnualReport>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        if req.agencies.is_empty() {
            return Err(ServiceError::invalid("agencies", "至少给出一个行政机关").into());
        }
        if req.agencies.len() > MAX_AGENCIES_PER_REPORT {
            return Err(ServiceError::invalid(
                "agencies",
                format!("一次最多汇总{MAX_AGENCIES_PER_REPORT}个行政机关"),
            )
            .into());
        }
        for (i, agency) in req.agencies.iter().enumerate() {
            convert::required_text(&format!("agencies[{i}]"), text::AGENCY, agency)?;
        }
        convert::year("year", req.year)?;
        convert::text("rollup_name", text::AGENCY, &req.rollup_name)?;
        let mut agencies: Vec<String> = Vec::new();
        // The hierarchy of the roll-up: the agency registry, and the configured one.
        let registry = if req.with_subordinates {
            Some(self.ctx.auth.verifier().registry(&caller.token).await?)
        } else {
            None
        };
        for agency in &req.agencies {
            let covered = if let Some(registry) = &registry {
                let mut covered = self.ctx.config.with_subordinates(agency);
                for a in registry.subtree(agency) {
                    if !covered.contains(&a) {
                        covered.push(a);
                    }
                }
                covered
            } else {
                vec![agency.clone()]
            };
            for a in covered {
                if !agencies.contains(&a) {
                    agencies.push(a);
                }
            }
        }
        for agency in &agencies {
            caller.authorize(Permission::ReportRead, agency, "")?;
        }
        let format = DocumentFormat::parse(&req.format)?;
        let mut reports = Vec::new();
        let mut narrative = None;
        let mut diffs = Vec::new();
        let mut locked = false;
        for agency in &agencies {
            let Computed {
                report: now,
                narrative: n,
                catalogue_differences,
            } = self.compute(agency, req.year).await?;
            diffs.extend(
                catalogue_differences
                    .iter()
                    .map(|d| format!("{agency}：{d}")),
            );
            let report = match entry(&self.ctx.db, agency, req.year, "locked").await? {
                Some(body) => {
                    locked = true;
                    let frozen: AnnualReport = serde_json::from_str(&body)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    diffs.extend(
                        differences(&frozen, &now)
                            .into_iter()
                            .map(|d| format!("{agency}：{d}")),
                    );
                    frozen
                }
                None => now,
            };
            narrative.get_or_insert(n);
            reports.push(report);
        }
        let (report, narrative) = if reports.len() == 1 {
            (
                reports.remove(0),
                narrative.unwrap_or_else(|| Narrative {
                    section_one: String::new(),
                    section_five: String::new(),
                    section_six: String::new(),
                }),
            )
        } else {
            let name = if !req.rollup_name.is_empty() {
                req.rollup_name.clone()
            } else if req.with_subordinates && req.agencies.len() == 1 {
                format!("{}（含所属{}个机关汇总）", agencies[0], agencies.len() - 1)
            } else {
                format!("{}等{}个机关汇总", agencies[0], agencies.len())
            };
            let sum = AnnualReport::rollup(name, &reports)
                .map_err(|e| ServiceError::Internal(e.to_string()))?;
            let n = Narrative {
                section_one: report::draft_section_one_applications(&sum),
                section_five: String::new(),
                section_six: String::new(),
            };
            (sum, n)
        };
        let (body, document) = format.render(&report, &narrative)?;
        let entered_narrative = match agencies.as_slice() {
            [agency] => {
                let entered: EnteredNarrative = entry(&self.ctx.db, agency, req.year, "narrative")
                    .await?
                    .and_then(|b| serde_json::from_str(&b).ok())
                    .unwrap_or_default();
                Some(pb::EnteredNarrative {
                    section_one_extra: entered.section_one_extra,
                    section_five: entered.section_five,
                    section_six: entered.section_six,
                })
            }
            _ => None,
        };
        Ok(Response::new(pb::AnnualReport {
            json: to_json(&report)?,
            body,
            differences: diffs,
            locked,
            document,
            agencies,
            entered_narrative,
        }))
    }

    async fn check_report(
        &self,
        request: Request<pb::CheckReportRequest>,
    ) -> Result<Response<pb::CheckReportResponse>, Status> {
        // Any signed-in user may check a report JSON: it reads no stored data.
        auth::caller(&request)?;
        let req = request.into_inner();
        report_json_size("json", &req.json)?;
        report_json_size("previous_json", &req.previous_json)?;
        convert::text("narrative", text::NARRATIVE, &req.narrative)?;
        let report: AnnualReport = serde_json::from_str(&req.json)
            .map_err(|e| ServiceError::invalid("json", format!("不是有效的年度报告JSON：{e}")))?;
        let previous: Option<AnnualReport> = if req.previous_json.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str(&req.previous_json)
                    .map_err(|e| ServiceError::invalid("previous_json", e.to_string()))?,
            )
        };
        let narrative = Some(req.narrative.as_str()).filter(|n| !n.is_empty());
        let failures = report::check(&report, previous.as_ref(), narrative)
            .into_iter()
            .map(|f| pb::FailedCheck {
                check: f.check,
                row: f.row,
                column: f.column,
                left: f.left,
                right: f.right,
                message: f.message,
                severity: serde_json::to_value(f.severity)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(pb::CheckReportResponse { failures }))
    }

    async fn set_active_disclosure(
        &self,
        request: Request<pb::SetActiveDisclosureRequest>,
    ) -> Result<Response<pb::SetActiveDisclosureResponse>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        report_json_size("json", &req.json)?;
        let mut entry = ActiveDisclosureEntry::parse(&req.json, convert::years())
            .map_err(|e| ServiceError::invalid(e.field, e.reason))?;
        let agency = entry.agency.clone();
        caller
            .run(Permission::ReportEnter, &agency, "", async move {
                if let Some(documents) = catalogue::kept_documents(&self.ctx.db, &entry.agency).await? {
                    let counted = CountedDocuments::count(&documents, entry.year);
                    let refused = catalogue_differences(&entry.figures, &counted);
                    if !refused.is_empty() {
                        let listed: Vec<String> = refused
                            .iter()
                            .map(|d| {
                                format!(
                                    "「{}」{}录入{}件，目录统计为{}件",
                                    d.row, d.column, d.entered, d.counted
                                )
                            })
                            .collect();
                        return Err(ServiceError::invalid(
                            "json",
                            format!(
                                "{}已建立主动公开目录，表二的规章和行政规范性文件件数按目录统计，与录入不符：{}。请删去这几项（或与目录一致）后再录入，或更正目录",
                                entry.agency,
                                listed.join("；")
                            ),
                        )
                        .into());
                    }
                }
                // Checked above as given: figures kept from an earlier entry that differ from the
                // catalogue now are reported as differences with the report, not refused here.
                if req.merge
                    && let Some(known) = entered_table_two(&self.ctx.db, &entry.agency, entry.year).await?
                {
                    entry.figures = entry.figures.or(&known);
                }
                // Stored as read, so that nothing but the known figures is kept.
                let body =
                    serde_json::to_string(&entry).map_err(|e| ServiceError::Internal(e.to_string()))?;
                put_entry(
                    &self.ctx.db,
                    &entry.agency,
                    entry.year,
                    "active_disclosure",
                    body,
                )
                .await?;
                Ok(Response::new(pb::SetActiveDisclosureResponse {}))
            })
            .await
    }

    async fn set_narrative(
        &self,
        request: Request<pb::SetNarrativeRequest>,
    ) -> Result<Response<pb::SetNarrativeResponse>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        convert::required_text("agency", text::AGENCY, &req.agency)?;
        convert::year("year", req.year)?;
        convert::text("section_one_extra", text::NARRATIVE, &req.section_one_extra)?;
        convert::text("section_five", text::NARRATIVE, &req.section_five)?;
        convert::text("section_six", text::NARRATIVE, &req.section_six)?;
        caller.authorize(Permission::ReportEnter, &req.agency, "")?;
        let agency = req.agency.clone();
        let result = self.set_narrative_of(req).await;
        caller.outcome(Permission::ReportEnter, &agency, "", result)
    }

    async fn lock_report(
        &self,
        request: Request<pb::LockReportRequest>,
    ) -> Result<Response<pb::AnnualReport>, Status> {
        let caller = auth::caller(&request)?;
        let req = request.into_inner();
        convert::required_text("agency", text::AGENCY, &req.agency)?;
        convert::year("year", req.year)?;
        let agency = req.agency.clone();
        caller
            .run(Permission::ReportLock, &agency, "", self.lock(req))
            .await
    }
}

impl Reporting {
    async fn set_narrative_of(
        &self,
        req: pb::SetNarrativeRequest,
    ) -> Result<Response<pb::SetNarrativeResponse>, Status> {
        let body = serde_json::to_string(&EnteredNarrative {
            section_one_extra: req.section_one_extra,
            section_five: req.section_five,
            section_six: req.section_six,
        })
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
        put_entry(&self.ctx.db, &req.agency, req.year, "narrative", body).await?;
        Ok(Response::new(pb::SetNarrativeResponse {}))
    }

    async fn lock(&self, req: pb::LockReportRequest) -> Result<Response<pb::AnnualReport>, Status> {
        if entry(&self.ctx.db, &req.agency, req.year, "locked")
            .await?
            .is_some()
        {
            return Err(
                ServiceError::invalid("year", format!("{}年度报告已锁定", req.year)).into(),
            );
        }
        let report = self.compute(&req.agency, req.year).await?.report;
        let json = to_json(&report)?;
        put_entry(&self.ctx.db, &req.agency, req.year, "locked", json.clone()).await?;
        Ok(Response::new(pb::AnnualReport {
            json,
            body: String::new(),
            differences: vec![],
            locked: true,
            document: Vec::new(),
            agencies: vec![req.agency],
            entered_narrative: None,
        }))
    }
}
