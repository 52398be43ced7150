//! The reporting service's projections (投影): one row per case (applicant type, receipt date,
//! outcome and reply date, fee collected) and one per review or lawsuit, kept from the event
//! streams, and the count of an agency's year from them, grouped in the database.
//!
//! Events are applied in batches when several are waiting (a rebuild replays whole streams):
//! the batch is folded per case in memory and written with a few multi-row upserts.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use ogi_core::codes::{ApplicantType, OutcomeCode, ReviewKind, ReviewResult};
use ogi_core::report::{ReportCase, ReportReview, Tally};
use ogi_platform::bus::{ConsumerSpec, EventHandler, HandlerError};
use ogi_platform::convert;
use ogi_platform::error::ServiceError;
use ogi_platform::events::Producer;
use ogi_platform::store::entities::{report_cases, report_reply_counts, report_reviews};
use ogi_proto::v1::{self as pb, event_envelope::Payload};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};

/// How many waiting events one transaction applies.
const BATCH: usize = 500;
/// Rows per multi-row statement: 7 columns each, well under both databases' parameter limits.
const ROWS_PER_STATEMENT: usize = 1000;

/// The durable consumers of the reporting service, one per stream it reads.
pub fn consumers() -> Vec<ConsumerSpec> {
    vec![
        ConsumerSpec {
            durable: "reporting-intake".into(),
            stream: Producer::Intake.stream(),
            subjects: vec!["ogi.intake.application.received".into()],
        },
        ConsumerSpec {
            durable: "reporting-approval".into(),
            stream: Producer::Approval.stream(),
            subjects: vec!["ogi.approval.review.recorded".into()],
        },
        ConsumerSpec {
            durable: "reporting-publishing".into(),
            stream: Producer::Publishing.stream(),
            subjects: vec!["ogi.publishing.reply.served".into()],
        },
    ]
}

/// One case as the projection holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectedCase {
    pub case_id: String,
    pub agency: String,
    pub applicant_type: ApplicantType,
    pub received_on: NaiveDate,
    /// The outcome and reply date once the reply is served.
    pub reply: Option<(OutcomeCode, NaiveDate)>,
    /// The information processing fee collected, in yuan (a decimal string).
    pub fee_yuan: Option<String>,
}

impl ProjectedCase {
    fn model(&self) -> report_cases::ActiveModel {
        report_cases::ActiveModel {
            case_id: Set(self.case_id.clone()),
            agency: Set(self.agency.clone()),
            applicant_type: Set(self.applicant_type.code().into()),
            received_on: Set(self.received_on),
            outcome: Set(self.reply.map(|(code, _)| code.code().into())),
            replied_on: Set(self.reply.map(|(_, on)| on)),
            fee_yuan: Set(self.fee_yuan.clone()),
        }
    }
}

/// Write cases: new ones are inserted; for known ones a received application (or its
/// amendment) updates the applicant type and receipt date and keeps the reply, a served reply
/// updates everything and is counted in the reply counters. A case's reply is served once,
/// so each served case must be written once (the consumer's inbox sees to it).
pub async fn write_cases<C: ConnectionTrait>(
    db: &C,
    cases: &[ProjectedCase],
) -> Result<(), sea_orm::DbErr> {
    use report_cases::Column as C;
    let (served, received): (Vec<&ProjectedCase>, Vec<&ProjectedCase>) =
        cases.iter().partition(|c| c.reply.is_some());
    for (rows, columns) in [
        (received, vec![C::ApplicantType, C::ReceivedOn]),
        (
            served,
            vec![
                C::ApplicantType,
                C::ReceivedOn,
                C::Outcome,
                C::RepliedOn,
                C::FeeYuan,
            ],
        ),
    ] {
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            report_cases::Entity::insert_many(chunk.iter().map(|c| c.model()))
                .on_conflict(
                    OnConflict::column(C::CaseId)
                        .update_columns(columns.clone())
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        }
    }
    count_replies(db, cases).await
}

/// Add the served cases among `cases` to the reply counters.
async fn count_replies<C: ConnectionTrait>(
    db: &C,
    cases: &[ProjectedCase],
) -> Result<(), sea_orm::DbErr> {
    use report_reply_counts::Column as R;
    // One row per key: a multi-row upsert may not touch a row twice.
    let mut counts: BTreeMap<(String, i32, i32, &'static str, &'static str, String), i64> =
        BTreeMap::new();
    for case in cases {
        if let Some((outcome, replied_on)) = case.reply {
            *counts
                .entry((
                    case.agency.clone(),
                    case.received_on.year(),
                    replied_on.year(),
                    case.applicant_type.code(),
                    outcome.code(),
                    case.fee_yuan.clone().unwrap_or_default(),
                ))
                .or_default() += 1;
        }
    }
    let rows: Vec<report_reply_counts::ActiveModel> = counts
        .into_iter()
        .map(
            |((agency, received_year, replied_year, applicant_type, outcome, fee), n)| {
                report_reply_counts::ActiveModel {
                    agency: Set(agency),
                    received_year: Set(received_year),
                    replied_year: Set(replied_year),
                    applicant_type: Set(applicant_type.into()),
                    outcome: Set(outcome.into()),
                    fee_yuan: Set(fee),
                    cases: Set(n),
                }
            },
        )
        .collect();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        report_reply_counts::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([
                    R::Agency,
                    R::ReceivedYear,
                    R::RepliedYear,
                    R::ApplicantType,
                    R::Outcome,
                    R::FeeYuan,
                ])
                .value(
                    R::Cases,
                    Expr::col((report_reply_counts::Entity, R::Cases))
                        .add(Expr::cust("excluded.cases")),
                )
                .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Add a review or lawsuit of a case, numbered after the ones it already has.
pub async fn write_review<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    agency: &str,
    review: &ReportReview,
) -> Result<(), sea_orm::DbErr> {
    let seq = report_reviews::Entity::find()
        .filter(report_reviews::Column::CaseId.eq(case_id))
        .count(db)
        .await? as i32;
    report_reviews::Entity::insert(report_reviews::ActiveModel {
        case_id: Set(case_id.into()),
        seq: Set(seq),
        agency: Set(agency.into()),
        kind: Set(review.kind.code().into()),
        filed_on: Set(review.filed_on),
        result: Set(review.result.code().into()),
        concluded_on: Set(review.concluded_on),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// What one event says for the projections.
enum Fact {
    Case(ProjectedCase),
    Review(String, String, ReportReview),
}

fn fact(event: &pb::EventEnvelope) -> Result<Fact, HandlerError> {
    let reject = |e: ServiceError| HandlerError::Reject(e.to_string());
    match &event.payload {
        Some(Payload::ApplicationReceived(r)) => {
            let app = r
                .application
                .as_ref()
                .ok_or_else(|| HandlerError::Reject("no application".into()))?;
            Ok(Fact::Case(ProjectedCase {
                case_id: event.case_id.clone(),
                agency: event.agency.clone(),
                applicant_type: convert::code(
                    "applicant.type",
                    &app.applicant.clone().unwrap_or_default().r#type,
                )
                .map_err(reject)?,
                received_on: convert::date("received_on", &app.received_on).map_err(reject)?,
                reply: None,
                fee_yuan: None,
            }))
        }
        Some(Payload::ReplyServed(s)) => Ok(Fact::Case(ProjectedCase {
            case_id: event.case_id.clone(),
            agency: event.agency.clone(),
            applicant_type: convert::code("applicant_type", &s.applicant_type).map_err(reject)?,
            received_on: convert::date("received_on", &s.received_on).map_err(reject)?,
            reply: Some((
                convert::code("outcome_code", &s.outcome_code).map_err(reject)?,
                convert::date("replied_on", &s.replied_on).map_err(reject)?,
            )),
            fee_yuan: Some(s.fee_collected_yuan.clone()).filter(|f| !f.is_empty()),
        })),
        Some(Payload::ReviewRecorded(r)) => Ok(Fact::Review(
            event.case_id.clone(),
            event.agency.clone(),
            ReportReview {
                kind: convert::code::<ReviewKind>("kind", &r.kind).map_err(reject)?,
                filed_on: convert::date("filed_on", &r.filed_on).map_err(reject)?,
                result: convert::code::<ReviewResult>("result", &r.result).map_err(reject)?,
                concluded_on: convert::optional_date("concluded_on", &r.concluded_on)
                    .map_err(reject)?,
            },
        )),
        _ => Err(HandlerError::Ignore("unexpected event".into())),
    }
}

/// Keeps the projections from the events.
pub struct Projector;

impl Projector {
    async fn project(
        &self,
        txn: &DatabaseTransaction,
        events: &[&pb::EventEnvelope],
    ) -> Result<(), HandlerError> {
        // Folded per case, in stream order: an amendment after the reply (which does not
        // happen) would still keep the reply, as in the database.
        let mut cases: BTreeMap<String, ProjectedCase> = BTreeMap::new();
        let mut reviews = Vec::new();
        for event in events {
            match fact(event)? {
                Fact::Case(case) => match cases.get_mut(&case.case_id) {
                    Some(known) if case.reply.is_none() => {
                        known.applicant_type = case.applicant_type;
                        known.received_on = case.received_on;
                    }
                    _ => {
                        cases.insert(case.case_id.clone(), case);
                    }
                },
                Fact::Review(case_id, agency, review) => reviews.push((case_id, agency, review)),
            }
        }
        let cases: Vec<ProjectedCase> = cases.into_values().collect();
        write_cases(txn, &cases).await?;
        for (case_id, agency, review) in &reviews {
            write_review(txn, case_id, agency, review).await?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl EventHandler for Projector {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &pb::EventEnvelope,
    ) -> Result<(), HandlerError> {
        self.project(txn, &[event]).await
    }

    fn max_batch(&self) -> usize {
        BATCH
    }

    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&pb::EventEnvelope],
    ) -> Result<(), HandlerError> {
        self.project(txn, events).await
    }
}

fn parse_code<T: std::str::FromStr>(text: &str) -> Result<T, ServiceError> {
    text.parse()
        .map_err(|_| ServiceError::Internal(format!("stored code {text}")))
}

/// The count of one agency and year from the projections: the replied cases from their
/// counters (received by the year's end and replied in it or later), the cases still open
/// grouped in the database, and the reviews filed in the year grouped likewise. A report reads
/// a few dozen rows, however many cases an agency has.
pub async fn tally<C: ConnectionTrait>(
    db: &C,
    agency: &str,
    year: i32,
) -> Result<Tally, ServiceError> {
    let start = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| ServiceError::invalid("year", "无效年度"))?;
    let end = NaiveDate::from_ymd_opt(year, 12, 31)
        .ok_or_else(|| ServiceError::invalid("year", "无效年度"))?;
    // Stand-in dates for each class: before the year, in it, after it.
    let before = NaiveDate::from_ymd_opt(year - 1, 12, 31).unwrap_or(start);
    let after = NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(end);
    let stand_in = |y: i32| match y.cmp(&year) {
        std::cmp::Ordering::Less => before,
        std::cmp::Ordering::Equal => end,
        std::cmp::Ordering::Greater => after,
    };
    let mut tally = Tally::new(year);
    let replied = report_reply_counts::Entity::find()
        .filter(report_reply_counts::Column::Agency.eq(agency))
        .filter(report_reply_counts::Column::ReceivedYear.lte(year))
        .filter(report_reply_counts::Column::RepliedYear.gte(year))
        .all(db)
        .await?;
    for row in replied {
        let case = ReportCase {
            applicant_type: parse_code(&row.applicant_type)?,
            received_on: stand_in(row.received_year),
            reply: Some((parse_code(&row.outcome)?, stand_in(row.replied_year))),
            fee_collected_yuan: Some(row.fee_yuan.as_str())
                .filter(|f| !f.is_empty())
                .map(|f| {
                    f.parse()
                        .map_err(|_| ServiceError::Internal(format!("stored fee {f}")))
                })
                .transpose()?,
            reviews: vec![],
        };
        tally.add_many(&case, row.cases);
    }
    // The literal is formatted from a date, never from input text.
    let received_class = Expr::cust(format!(
        "CASE WHEN received_on < '{start}' THEN 0 ELSE 1 END"
    ));
    let open: Vec<(String, i32, i64)> = report_cases::Entity::find()
        .select_only()
        .column(report_cases::Column::ApplicantType)
        .column_as(received_class.clone(), "received_class")
        .column_as(report_cases::Column::CaseId.count(), "cases")
        .filter(report_cases::Column::Agency.eq(agency))
        .filter(report_cases::Column::RepliedOn.is_null())
        .filter(report_cases::Column::ReceivedOn.lte(end))
        .group_by(report_cases::Column::ApplicantType)
        .group_by(received_class)
        .into_tuple()
        .all(db)
        .await?;
    for (applicant_type, received_class, cases) in open {
        let case = ReportCase {
            applicant_type: parse_code(&applicant_type)?,
            received_on: if received_class == 0 { before } else { end },
            reply: None,
            fee_collected_yuan: None,
            reviews: vec![],
        };
        tally.add_many(&case, cases);
    }
    let concluded_class = Expr::cust(format!(
        "CASE WHEN concluded_on IS NOT NULL AND concluded_on <= '{end}' THEN 1 ELSE 0 END"
    ));
    let reviews: Vec<(String, String, i32, i64)> = report_reviews::Entity::find()
        .select_only()
        .column(report_reviews::Column::Kind)
        .column(report_reviews::Column::Result)
        .column_as(concluded_class.clone(), "concluded_class")
        .column_as(report_reviews::Column::CaseId.count(), "reviews")
        .filter(report_reviews::Column::Agency.eq(agency))
        .filter(report_reviews::Column::FiledOn.between(start, end))
        .group_by(report_reviews::Column::Kind)
        .group_by(report_reviews::Column::Result)
        .group_by(concluded_class)
        .into_tuple()
        .all(db)
        .await?;
    for (kind, result, concluded_class, count) in reviews {
        // A case that carries only its reviews: it adds nothing to table 三 of this year.
        let case = ReportCase {
            applicant_type: ApplicantType::NaturalPerson,
            received_on: after,
            reply: None,
            fee_collected_yuan: None,
            reviews: vec![ReportReview {
                kind: parse_code(&kind)?,
                filed_on: end,
                result: parse_code(&result)?,
                concluded_on: (concluded_class == 1).then_some(end),
            }],
        };
        tally.add_many(&case, count);
    }
    Ok(tally)
}
