//! Small repository operations shared by the services.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::{case_files, counters};

/// Take the next number of a yearly counter (receipt numbers per agency and year, letter
/// numbers…), starting at 1. Call inside the transaction that uses the number.
pub async fn next_number<C: ConnectionTrait>(db: &C, scope: &str, year: i32) -> Result<i64, DbErr> {
    counters::Entity::insert(counters::ActiveModel {
        scope: Set(scope.to_string()),
        year: Set(year),
        next: Set(1),
    })
    .on_conflict(
        OnConflict::columns([counters::Column::Scope, counters::Column::Year])
            .value(
                counters::Column::Next,
                Expr::col((counters::Entity, counters::Column::Next)).add(1),
            )
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    let row = counters::Entity::find_by_id((scope.to_string(), year))
        .one(db)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("counter {scope}/{year}")))?;
    Ok(row.next)
}

/// Save a case file if nobody else changed it since `expected_version` was read (optimistic
/// concurrency). Returns `false` on a conflict; the caller retries on fresh state.
pub async fn save_case_file<C: ConnectionTrait>(
    db: &C,
    file: case_files::Model,
    expected_version: Option<i64>,
) -> Result<bool, DbErr> {
    match expected_version {
        None => {
            let inserted = case_files::Entity::insert(case_files::ActiveModel::from(file))
                .on_conflict(
                    OnConflict::column(case_files::Column::CaseId)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
            Ok(inserted == 1)
        }
        Some(expected) => {
            let result = case_files::Entity::update_many()
                .col_expr(case_files::Column::Stage, Expr::value(file.stage))
                .col_expr(case_files::Column::DueOn, Expr::value(file.due_on))
                .col_expr(case_files::Column::State, Expr::value(file.state))
                .col_expr(case_files::Column::Version, Expr::value(file.version))
                .col_expr(case_files::Column::UpdatedAt, Expr::value(file.updated_at))
                .filter(case_files::Column::CaseId.eq(file.case_id))
                .filter(case_files::Column::Version.eq(expected))
                .exec(db)
                .await?;
            Ok(result.rows_affected == 1)
        }
    }
}
