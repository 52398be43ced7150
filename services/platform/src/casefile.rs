//! A service's case file (案卷) in its `case_files` table: the service's own state as JSON, read
//! and written inside a transaction with an optimistic-concurrency version.

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, EntityTrait};
use serde::{Serialize, de::DeserializeOwned};

use crate::error::ServiceError;
use crate::store::{entities::case_files, repo};

/// A loaded case file and the version it was read at.
pub struct Loaded<S> {
    pub state: S,
    pub version: i64,
}

/// Load a case file, `None` when the case has not reached this service (yet).
pub async fn load<S: DeserializeOwned, C: ConnectionTrait>(
    db: &C,
    case_id: &str,
) -> Result<Option<Loaded<S>>, ServiceError> {
    let Some(model) = case_files::Entity::find_by_id(case_id.to_string())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let state = serde_json::from_str(&model.state)
        .map_err(|e| ServiceError::Internal(format!("case file {case_id}: {e}")))?;
    Ok(Some(Loaded {
        state,
        version: model.version,
    }))
}

/// Load or fail with NOT_FOUND, naming the service the case has not reached.
pub async fn require<S: DeserializeOwned, C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    service: &str,
) -> Result<Loaded<S>, ServiceError> {
    crate::convert::case_id("case_id", case_id)?;
    load(db, case_id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("案件 {case_id} 尚未到达{service}")))
}

/// The agency of a case file, for the permission check before a command or read; NOT_FOUND,
/// naming the service, when the case has not reached it.
pub async fn agency_of<C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    service: &str,
) -> Result<String, ServiceError> {
    crate::convert::case_id("case_id", case_id)?;
    case_files::Entity::find_by_id(case_id.to_string())
        .one(db)
        .await?
        .map(|m| m.agency)
        .ok_or_else(|| ServiceError::NotFound(format!("案件 {case_id} 尚未到达{service}")))
}

/// What the table indexes beside the JSON state.
pub struct Index<'a> {
    pub agency: &'a str,
    pub stage: &'a str,
    pub received_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
}

/// Save; `read_version` is `None` for a new file. A concurrent change is a [`ServiceError::Conflict`].
pub async fn save<S: Serialize, C: ConnectionTrait>(
    db: &C,
    case_id: &str,
    index: Index<'_>,
    state: &S,
    read_version: Option<i64>,
) -> Result<i64, ServiceError> {
    let version = read_version.unwrap_or(0) + 1;
    let model = case_files::Model {
        case_id: case_id.to_string(),
        agency: index.agency.to_string(),
        stage: index.stage.to_string(),
        received_on: index.received_on,
        due_on: index.due_on,
        state: serde_json::to_string(state).map_err(|e| ServiceError::Internal(e.to_string()))?,
        version,
        updated_at: Utc::now(),
    };
    if repo::save_case_file(db, model, read_version).await? {
        Ok(version)
    } else {
        Err(ServiceError::Conflict)
    }
}
