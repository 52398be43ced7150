//! Reading request fields into domain values, with the field named in every error, and
//! command idempotency keys.

use std::str::FromStr;
use std::sync::atomic::{AtomicI32, Ordering};

use chrono::NaiveDate;
use ogi_core::codes::UnknownCode;
use ogi_core::limits::{self, TextRule, YearRange};
use ogi_proto::v1::CommandContext;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use crate::error::ServiceError;
use crate::store::entities::inbox;

/// The last plausible year of this process: the configuration's `year_horizon`, set once at
/// start ([`set_year_horizon`]); the wall clock is never read.
static YEAR_HORIZON: AtomicI32 = AtomicI32::new(limits::DEFAULT_YEAR_HORIZON);

/// Set the last plausible year (from the configuration).
pub fn set_year_horizon(last: i32) {
    YEAR_HORIZON.store(last, Ordering::Relaxed);
}

/// The plausible years: the regulations' era up to the configured horizon.
pub fn years() -> YearRange {
    YearRange::up_to(YEAR_HORIZON.load(Ordering::Relaxed))
}

/// A required date, written strictly as `YYYY-MM-DD`, in a plausible year.
pub fn date(field: &str, text: &str) -> Result<NaiveDate, ServiceError> {
    if text.is_empty() {
        return Err(ServiceError::invalid(field, "必填，格式为 YYYY-MM-DD"));
    }
    years()
        .parse_date(text)
        .map_err(|e| ServiceError::invalid(field, e.to_string()))
}

/// A report year within the plausible years.
pub fn year(field: &str, year: i32) -> Result<i32, ServiceError> {
    years()
        .check_year(year)
        .map_err(|e| ServiceError::invalid(field, e.to_string()))
}

/// A text within its rule (length, characters); may be empty.
pub fn text<'a>(field: &str, rule: TextRule, text: &'a str) -> Result<&'a str, ServiceError> {
    limits::check_text(rule, text).map_err(|e| ServiceError::invalid(field, e.to_string()))?;
    Ok(text)
}

/// A required text within its rule, trimmed.
pub fn required_text<'a>(
    field: &str,
    rule: TextRule,
    value: &'a str,
) -> Result<&'a str, ServiceError> {
    text(field, rule, value)?;
    required(field, value)
}

/// An optional text within its rule: `None` when empty or blank.
pub fn optional_text(
    field: &str,
    rule: TextRule,
    value: &Option<String>,
) -> Result<Option<String>, ServiceError> {
    match value {
        Some(v) if !v.trim().is_empty() => Ok(Some(text(field, rule, v)?.trim().to_string())),
        _ => Ok(None),
    }
}

/// A case id as a request names it (checked for size before any lookup).
pub fn case_id<'a>(field: &str, value: &'a str) -> Result<&'a str, ServiceError> {
    required_text(field, limits::text::CASE_ID, value)
}

/// An agency as a request names it: required, within the name's limit (checked before the
/// permission check, whose refusal would otherwise echo any text back).
pub fn agency<'a>(field: &str, value: &'a str) -> Result<&'a str, ServiceError> {
    required_text(field, limits::text::AGENCY, value)
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
pub fn code<T: FromStr<Err = UnknownCode>>(field: &str, value: &str) -> Result<T, ServiceError> {
    text(field, limits::text::CODE, value)?;
    value
        .parse()
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
    text("context.actor", limits::text::ACTOR, &ctx.actor)?;
    text(
        "context.command_id",
        limits::text::COMMAND_ID,
        &ctx.command_id,
    )?;
    let actor = if ctx.actor.trim().is_empty() {
        "unknown".to_string()
    } else {
        ctx.actor.clone()
    };
    Ok((actor, on, ctx.command_id.clone()))
}

const COMMANDS: &str = "command";

/// The fingerprint of a command: SHA-256 over its method and its request as encoded on the wire
/// (the idempotency key is in the request, so it is part of it). Stored with the key, so that
/// the key given again with another command is refused rather than answered as done.
pub fn fingerprint(method: &str, request: &impl prost::Message) -> String {
    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
    hash.update(method.as_bytes());
    hash.update(&[0]);
    hash.update(&request.encode_to_vec());
    hash.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What an idempotency key was stored with: the command's fingerprint and, for a command that
/// creates something (a submission), what it created.
struct KeyRecord {
    fingerprint: Option<String>,
    created: Option<String>,
}

impl KeyRecord {
    fn read(text: Option<&str>) -> KeyRecord {
        let (fingerprint, created) = match text {
            None => (None, None),
            Some(t) => match t.split_once(' ') {
                Some((f, c)) => (Some(f.to_string()), Some(c.to_string())),
                None => (Some(t.to_string()), None),
            },
        };
        KeyRecord {
            fingerprint,
            created,
        }
    }
}

/// Whether a command with this idempotency key was already applied here: `None` when not,
/// `Some(created)` when it was, with what it created (a case id, for a submission). The same
/// key with a different command (another method, another case, other values) is refused
/// with `ALREADY_EXISTS`, and nothing is done.
pub async fn command_seen<C: ConnectionTrait>(
    db: &C,
    command_id: &str,
    fingerprint: &str,
) -> Result<Option<Option<String>>, ServiceError> {
    if command_id.is_empty() {
        return Ok(None);
    }
    let Some(row) = inbox::Entity::find_by_id((COMMANDS.to_string(), command_id.to_string()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let record = KeyRecord::read(row.fingerprint.as_deref());
    match record.fingerprint {
        // Keys stored before fingerprints were kept answer as before.
        None => Ok(Some(record.created)),
        Some(stored) if stored == fingerprint => Ok(Some(record.created)),
        Some(_) => Err(ServiceError::AlreadyExists(format!(
            "幂等键「{}」已用于另一条命令（命令类型、案件或内容不同），本命令未执行；每条命令应使用新的幂等键",
            limits::escape_for_terminal(&command_id.chars().take(80).collect::<String>(), false)
        ))),
    }
}

/// Remember a command's idempotency key and fingerprint (and what it created) in the
/// transaction that applies it.
pub async fn command_applied<C: ConnectionTrait>(
    db: &C,
    command_id: &str,
    fingerprint: &str,
    created: Option<&str>,
) -> Result<(), ServiceError> {
    if command_id.is_empty() {
        return Ok(());
    }
    let stored = match created {
        Some(c) => format!("{fingerprint} {c}"),
        None => fingerprint.to_string(),
    };
    inbox::ActiveModel {
        consumer: Set(COMMANDS.to_string()),
        event_id: Set(command_id.to_string()),
        processed_at: Set(chrono::Utc::now()),
        fingerprint: Set(Some(stored)),
    }
    .insert(db)
    .await?;
    Ok(())
}
