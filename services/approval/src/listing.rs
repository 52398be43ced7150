//! The case list (案件列表) as one table beside the case files: a row a case with what the list
//! shows and filters on, written in the transaction that saves the case file. A page of an
//! agency's cases, its true total and the workbench counts are then indexed queries, whatever
//! the number of cases; only the rows of the page are looked at in Rust.
//!
//! Due dates in the rows are computed on the calendar loaded at start; [`refresh`] recomputes
//! the open cases' rows at start, so a newly loaded year changes the list as it changes
//! `GetCase`.

use chrono::NaiveDate;
use ogi_core::calendar::WorkCalendar;
use ogi_core::case::Stage;
use ogi_core::deadline::{ClockState, ReplyDeadline};
use ogi_platform::config::ServiceConfig;
use ogi_platform::error::ServiceError;
use ogi_platform::store::entities::{case_files, case_list};
use ogi_proto::v1 as pb;
use sea_orm::sea_query::{Expr, LikeExpr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::ApprovalFile;

/// Characters of the request kept for the list's 内容摘要.
pub const SUMMARY_CHARS: usize = 60;
/// The most rows one page holds.
pub const MAX_PAGE_SIZE: u32 = 500;
/// The most working days 即将到期 looks ahead.
pub const MAX_DUE_SOON_DAYS: u32 = 60;
/// The most words a search is split into.
pub const MAX_QUERY_WORDS: usize = 8;

/// The list row of a case file.
pub fn row(case_id: &str, file: &ApprovalFile, dl: &ReplyDeadline) -> case_list::Model {
    let facts = &file.facts;
    let reply = file.case.outcome();
    let search_text = [
        facts.reference.as_str(),
        facts.receipt_number.as_str(),
        facts.applicant_name.as_str(),
        facts.request_description.as_str(),
    ]
    .join("\n")
    .to_lowercase();
    case_list::Model {
        case_id: case_id.to_string(),
        agency: facts.agency.clone(),
        stage: file.case.stage().code().to_string(),
        received_on: facts.received_on,
        due_on: dl.due_on,
        provisional: dl.provisional,
        consulting: dl.state == ClockState::PausedForConsultation,
        outcome_code: reply.map(|(o, _)| o.code().to_string()).unwrap_or_default(),
        replied_on: reply.map(|(_, d)| d),
        replied_late: matches!((reply, dl.due_on), (Some((_, r)), Some(due)) if r > due),
        handler: file.handler.clone(),
        reference: facts.reference.clone(),
        receipt_number: facts.receipt_number.clone(),
        applicant_name: facts.applicant_name.clone(),
        id_number: facts.id_number.clone(),
        request_summary: facts
            .request_description
            .chars()
            .take(SUMMARY_CHARS)
            .collect(),
        search_text,
    }
}

/// Write a case's row (inside the transaction that saves its file).
pub async fn upsert<C: ConnectionTrait>(db: &C, row: case_list::Model) -> Result<(), ServiceError> {
    use case_list::Column as C;
    case_list::Entity::insert(case_list::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(C::CaseId)
                .update_columns([
                    C::Agency,
                    C::Stage,
                    C::ReceivedOn,
                    C::DueOn,
                    C::Provisional,
                    C::Consulting,
                    C::OutcomeCode,
                    C::RepliedOn,
                    C::RepliedLate,
                    C::Handler,
                    C::Reference,
                    C::ReceiptNumber,
                    C::ApplicantName,
                    C::IdNumber,
                    C::RequestSummary,
                    C::SearchText,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// List an application received but not yet accepted; a row already there (the case was
/// accepted first, the events crossing) is kept.
pub async fn insert_if_absent<C: ConnectionTrait>(
    db: &C,
    row: case_list::Model,
) -> Result<(), ServiceError> {
    case_list::Entity::insert(case_list::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(case_list::Column::CaseId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A correction notice went out for a listed, not yet accepted application: 补正中, no due
/// date while the clock waits. `false` when the case is not listed yet.
pub async fn mark_awaiting_correction<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
) -> Result<bool, ServiceError> {
    use case_list::Column as C;
    let updated = case_list::Entity::update_many()
        .col_expr(C::Stage, Expr::value(Stage::AwaitingCorrection.code()))
        .col_expr(C::DueOn, Expr::value(Option::<NaiveDate>::None))
        .col_expr(C::Provisional, Expr::value(false))
        .filter(C::CaseId.eq(case_id))
        .filter(C::Stage.eq(Stage::Received.code()))
        .exec(db)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(true);
    }
    Ok(case_list::Entity::find_by_id(case_id.to_string())
        .one(db)
        .await?
        .is_some())
}

/// A case's row of the list, if it is listed.
pub async fn listed<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
) -> Result<Option<case_list::Model>, ServiceError> {
    Ok(case_list::Entity::find_by_id(case_id.to_string())
        .one(db)
        .await?)
}

/// Give a listed case that has no case file yet (待受理, 补正中) to a handler.
pub async fn set_handler<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    handler: &str,
) -> Result<(), ServiceError> {
    case_list::Entity::update_many()
        .col_expr(case_list::Column::Handler, Expr::value(handler))
        .filter(case_list::Column::CaseId.eq(case_id))
        .exec(db)
        .await?;
    Ok(())
}

/// At start: rows for the case files that have none (files saved before the list existed)
/// and, on the calendar now loaded, fresh rows for every open case. Returns the rows written.
pub async fn refresh(
    db: &DatabaseConnection,
    calendar: &WorkCalendar,
    config: &ServiceConfig,
) -> Result<usize, ServiceError> {
    let listed = Query::select()
        .column(case_list::Column::CaseId)
        .from(case_list::Entity)
        .to_owned();
    let mut after = String::new();
    let mut written = 0;
    loop {
        let files = case_files::Entity::find()
            .filter(case_files::Column::CaseId.gt(after.clone()))
            .filter(
                Condition::any()
                    .add(case_files::Column::Stage.ne(Stage::Closed.code()))
                    .add(case_files::Column::CaseId.not_in_subquery(listed.clone())),
            )
            .order_by_asc(case_files::Column::CaseId)
            .limit(1000)
            .all(db)
            .await?;
        let Some(last) = files.last() else {
            return Ok(written);
        };
        after = last.case_id.clone();
        for f in files {
            let Ok(file) = serde_json::from_str::<ApprovalFile>(&f.state) else {
                continue;
            };
            let dl = crate::deadline_of(&file, calendar, config);
            upsert(db, row(&f.case_id, &file, &dl)).await?;
            written += 1;
        }
    }
}

/// What a list asks for, checked.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// The agencies whose cases are listed (never empty: the caller's scope at most).
    pub agencies: Vec<String>,
    pub case_ids: Vec<String>,
    pub stage: Option<String>,
    pub outcome_code: Option<String>,
    pub due_before: Option<NaiveDate>,
    pub overdue_on: Option<NaiveDate>,
    /// Open cases due in `[from, until)`.
    pub due_between: Option<(NaiveDate, NaiveDate)>,
    pub consulting: bool,
    /// Lower-cased words, each of which must occur.
    pub words: Vec<String>,
    /// A user name; `Some("")` for cases given to nobody.
    pub handler: Option<String>,
    pub received_from: Option<NaiveDate>,
    pub received_to: Option<NaiveDate>,
}

fn open() -> sea_orm::sea_query::SimpleExpr {
    case_list::Column::Stage.ne(Stage::Closed.code())
}

/// `%word%` with the LIKE wildcards in the word taken literally.
fn contains(word: &str) -> LikeExpr {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    LikeExpr::new(format!("%{escaped}%")).escape('\\')
}

impl Filter {
    fn condition(&self) -> Condition {
        use case_list::Column as C;
        let mut c = Condition::all().add(C::Agency.is_in(self.agencies.clone()));
        if !self.case_ids.is_empty() {
            c = c.add(C::CaseId.is_in(self.case_ids.clone()));
        }
        if let Some(stage) = &self.stage {
            c = c.add(C::Stage.eq(stage.clone()));
        }
        if let Some(outcome) = &self.outcome_code {
            c = c.add(C::OutcomeCode.eq(outcome.clone()));
        }
        if let Some(day) = self.due_before {
            c = c.add(open()).add(C::DueOn.lte(day));
        }
        if let Some(day) = self.overdue_on {
            c = c.add(open()).add(C::DueOn.lt(day));
        }
        if let Some((from, until)) = self.due_between {
            c = c
                .add(open())
                .add(C::DueOn.gte(from))
                .add(C::DueOn.lt(until));
        }
        if self.consulting {
            c = c.add(open()).add(C::Consulting.eq(true));
        }
        for word in &self.words {
            c = c.add(Expr::col(C::SearchText).like(contains(word)));
        }
        if let Some(handler) = &self.handler {
            c = c.add(C::Handler.eq(handler.clone()));
        }
        if let Some(day) = self.received_from {
            c = c.add(C::ReceivedOn.gte(day));
        }
        if let Some(day) = self.received_to {
            c = c.add(C::ReceivedOn.lte(day));
        }
        c
    }
}

/// The order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
    DueFirst,
    RepliedLatestFirst,
}

/// One page of the list and the number of rows the filter matches. `limit` 0: every row.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &Filter,
    offset: u64,
    limit: u64,
    order: Order,
) -> Result<(Vec<case_list::Model>, u64), ServiceError> {
    use case_list::Column as C;
    let query = case_list::Entity::find().filter(filter.condition());
    let total = query.clone().count(db).await?;
    let query = if order == Order::DueFirst {
        // NULLs last on both databases.
        query
            .order_by_asc(Expr::col(C::DueOn).is_null())
            .order_by_asc(C::DueOn)
            .order_by_asc(C::ReceivedOn)
            .order_by_asc(C::CaseId)
    } else if order == Order::RepliedLatestFirst {
        query
            .order_by_asc(Expr::col(C::RepliedOn).is_null())
            .order_by_desc(C::RepliedOn)
            .order_by_desc(C::CaseId)
    } else if order == Order::NewestFirst {
        query.order_by_desc(C::ReceivedOn).order_by_desc(C::CaseId)
    } else {
        query.order_by_asc(C::ReceivedOn).order_by_asc(C::CaseId)
    };
    let rows = if limit == 0 {
        query.all(db).await?
    } else {
        query.offset(offset).limit(limit).all(db).await?
    };
    Ok((rows, total))
}

/// A row as the list shows it; working days left counted from `today` for open cases.
pub fn summary(
    row: case_list::Model,
    calendar: &WorkCalendar,
    today: Option<NaiveDate>,
) -> pb::CaseSummary {
    let working_days_left = match (today, row.due_on) {
        (Some(today), Some(due)) if row.stage != Stage::Closed.code() => Some(if today <= due {
            calendar.workdays_between(today, due)
        } else {
            calendar
                .workdays_between(due, today)
                .max(1)
                .saturating_neg()
        }),
        _ => None,
    };
    pb::CaseSummary {
        case_id: row.case_id,
        agency: row.agency,
        stage: row.stage,
        received_on: row.received_on.to_string(),
        due_on: row.due_on.map(|d| d.to_string()).unwrap_or_default(),
        provisional: row.provisional,
        outcome_code: row.outcome_code,
        replied_on: row.replied_on.map(|d| d.to_string()).unwrap_or_default(),
        overdue: row.replied_late,
        handler: row.handler,
        reference: row.reference,
        receipt_number: row.receipt_number,
        applicant_name: row.applicant_name,
        request_summary: row.request_summary,
        working_days_left,
        consulting: row.consulting,
    }
}

/// The first day that is more than `n` working days after `today`: a case due before it (and
/// not before `today`) has at most `n` working days left.
pub fn due_soon_until(calendar: &WorkCalendar, today: NaiveDate, n: u32) -> NaiveDate {
    calendar.workdays_after(today, n.saturating_add(1)).date
}

/// The workbench counts over `agencies` on `today`.
pub async fn counts<C: ConnectionTrait>(
    db: &C,
    agencies: &[String],
    calendar: &WorkCalendar,
    today: NaiveDate,
    due_soon_days: u32,
) -> Result<pb::CaseCounts, ServiceError> {
    let base = Filter {
        agencies: agencies.to_vec(),
        ..Filter::default()
    };
    let count = |f: Filter| async move {
        case_list::Entity::find()
            .filter(f.condition())
            .count(db)
            .await
            .map_err(ServiceError::from)
    };
    let stage = |s: Stage| Filter {
        stage: Some(s.code().to_string()),
        ..base.clone()
    };
    let open_count = case_list::Entity::find()
        .filter(base.condition().add(open()))
        .count(db)
        .await?;
    Ok(pb::CaseCounts {
        received: count(stage(Stage::Received)).await?,
        awaiting_correction: count(stage(Stage::AwaitingCorrection)).await?,
        consulting: count(Filter {
            consulting: true,
            ..base.clone()
        })
        .await?,
        due_soon: count(Filter {
            due_between: Some((today, due_soon_until(calendar, today, due_soon_days))),
            ..base.clone()
        })
        .await?,
        overdue: count(Filter {
            overdue_on: Some(today),
            ..base.clone()
        })
        .await?,
        drafted: count(stage(Stage::Drafted)).await?,
        open: open_count,
        in_progress: count(stage(Stage::InProgress)).await?,
        approved: count(stage(Stage::Approved)).await?,
    })
}

/// The median and the 90th percentile (nearest rank) of `days`, sorted in place; 0 for none.
pub fn median_and_p90(days: &mut [i64]) -> (f64, f64) {
    if days.is_empty() {
        return (0.0, 0.0);
    }
    days.sort_unstable();
    let n = days.len();
    let median = if n % 2 == 1 {
        days[n / 2] as f64
    } else {
        (days[n / 2 - 1] + days[n / 2]) as f64 / 2.0
    };
    let rank = (n * 9).div_ceil(10).max(1);
    (median, days[rank - 1] as f64)
}

/// 督办: the replies served from `from` to `to` in `agencies`, by month of reply: how many,
/// how many on time, and the working days from receipt to reply (median, 90th percentile).
pub async fn reply_stats<C: ConnectionTrait>(
    db: &C,
    agencies: &[String],
    calendar: &WorkCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<pb::ReplyStatsResponse, ServiceError> {
    use case_list::Column as C;
    let replies: Vec<(NaiveDate, Option<NaiveDate>, bool)> = case_list::Entity::find()
        .select_only()
        .columns([C::ReceivedOn, C::RepliedOn, C::RepliedLate])
        .filter(C::Agency.is_in(agencies.to_vec()))
        .filter(C::Stage.eq(Stage::Closed.code()))
        .filter(C::RepliedOn.gte(from))
        .filter(C::RepliedOn.lte(to))
        .into_tuple()
        .all(db)
        .await?;
    let mut months: std::collections::BTreeMap<String, (u64, u64, Vec<i64>)> =
        std::collections::BTreeMap::new();
    let mut all_days = Vec::with_capacity(replies.len());
    let mut on_time = 0;
    for (received, replied, late) in replies {
        let Some(replied) = replied else { continue };
        let days = calendar.workdays_between(received, replied).max(0);
        let m = months
            .entry(replied.format("%Y-%m").to_string())
            .or_default();
        m.0 += 1;
        if !late {
            m.1 += 1;
            on_time += 1;
        }
        m.2.push(days);
        all_days.push(days);
    }
    let (median_days, p90_days) = median_and_p90(&mut all_days);
    Ok(pb::ReplyStatsResponse {
        months: months
            .into_iter()
            .map(|(month, (replied, on_time, mut days))| {
                let (median_days, p90_days) = median_and_p90(&mut days);
                pb::ReplyMonth {
                    month,
                    replied,
                    on_time,
                    median_days,
                    p90_days,
                }
            })
            .collect(),
        replied: all_days.len() as u64,
        on_time,
        median_days,
        p90_days,
    })
}
