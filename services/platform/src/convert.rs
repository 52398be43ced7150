//! Reading request fields into domain values, with the field named in every error, and
//! command idempotency keys.

use std::str::FromStr;

use chrono::NaiveDate;
use ogi_core::codes::UnknownCode;
use ogi_proto::v1::CommandContext;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::error::ServiceError;
use crate::store::entities::inbox;

/// A required ISO date.
pub fn date(field: &str, text: &str) -> Result<NaiveDate, ServiceError> {
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "必填，格式为 YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        ServiceError::invalid(field, format!("「{text}」不是有效日期，应为 YYYY-MM-DD"))
    })
}

/// An optional ISO date (empty = none).
pub fn optional_date(field: &str, text: &str) -> Result<Option<NaiveDate>, ServiceError> {
    if text.is_empty() {
        Ok(None)
    } else {
        date(field, text).map(Some)
    }
}

/// A code of a closed list.
pub fn code<T: FromStr<Err = UnknownCode>>(field: &str, text: &str) -> Result<T, ServiceError> {
    text.parse()
        .map_err(|e: UnknownCode| ServiceError::invalid(field, e.to_string()))
}

/// A required non-empty text.
pub fn required<'a>(field: &str, text: &'a str) -> Result<&'a str, ServiceError> {
    let t = text.trim();
    if t.is_empty() {
        Err(ServiceError::invalid(field, "必填"))
    } else {
        Ok(t)
    }
}

/// The command context: actor and legal date.
pub fn context(ctx: &Option<CommandContext>) -> Result<(String, NaiveDate, String), ServiceError> {
    let ctx = ctx
        .as_ref()
        .ok_or_else(|| ServiceError::invalid("context", "缺少命令上下文（操作人与日期）"))?;
    let on = date("context.on", &ctx.on)?;
    let actor = if ctx.actor.trim().is_empty() {
        "unknown".to_string()
    } else {
        ctx.actor.clone()
    };
    Ok((actor, on, ctx.command_id.clone()))
}

const COMMANDS: &str = "command";

/// `true` when a command with this idempotency key was already applied here.
pub async fn command_seen<C: ConnectionTrait>(
    db: &C,
    command_id: &str,
) -> Result<bool, ServiceError> {
    if command_id.is_empty() {
        return Ok(false);
    }
    Ok(
        inbox::Entity::find_by_id((COMMANDS.to_string(), command_id.to_string()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// Remember a command's idempotency key in the transaction that applies it.
pub async fn command_applied<C: ConnectionTrait>(
    db: &C,
    command_id: &str,
) -> Result<(), ServiceError> {
    if command_id.is_empty() {
        return Ok(());
    }
    inbox::ActiveModel {
        consumer: Set(COMMANDS.to_string()),
        event_id: Set(command_id.to_string()),
        processed_at: Set(chrono::Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}
