//! One closed set of service errors, mapped to `tonic::Status` by an exhaustive match, with
//! field violations (`google.rpc.BadRequest`) so that the console and the CLI can say which
//! field is wrong and why, in Chinese.

use ogi_core::case::TransitionError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// Every error a service returns.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A field of the request is missing or malformed.
    #[error("{field}：{reason}")]
    InvalidField { field: String, reason: String },
    /// The case (or application) is not here — or not yet, when its event is in flight.
    #[error("{0}")]
    NotFound(String),
    /// The statutory procedure does not allow this command now.
    #[error("{0}")]
    Procedure(TransitionError),
    /// An idempotency key or a reference already stands for another command or application.
    #[error("{0}")]
    AlreadyExists(String),
    /// Somebody changed the case at the same time; retry on fresh state.
    #[error("案件已被同时修改，请重试")]
    Conflict,
    /// A database or bus failure.
    #[error("内部错误：{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ServiceError::InvalidField {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<sea_orm::DbErr> for ServiceError {
    fn from(e: sea_orm::DbErr) -> Self {
        ServiceError::Internal(e.to_string())
    }
}

impl From<TransitionError> for ServiceError {
    fn from(e: TransitionError) -> Self {
        ServiceError::Procedure(e)
    }
}

impl From<ServiceError> for Status {
    fn from(error: ServiceError) -> Status {
        let message = error.to_string();
        match error {
            ServiceError::InvalidField { field, reason } => Status::with_error_details(
                Code::InvalidArgument,
                message,
                ErrorDetails::with_bad_request_violation(field, reason),
            ),
            ServiceError::NotFound(_) => Status::not_found(message),
            ServiceError::Procedure(e) => {
                let mut details =
                    ErrorDetails::with_bad_request_violation(e.field(), message.clone());
                details.set_error_info(e.code(), "ogi", std::collections::HashMap::new());
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ServiceError::AlreadyExists(_) => Status::already_exists(message),
            ServiceError::Conflict => Status::aborted(message),
            ServiceError::Internal(_) => {
                tracing::error!(error = %message, "internal error");
                Status::internal(message)
            }
        }
    }
}

/// A status as a user reads it: each field violation as `字段 f：原因`, else the message.
pub fn describe_status(status: &Status) -> String {
    let violations = field_violations(status);
    if violations.is_empty() {
        return status.message().to_string();
    }
    violations
        .iter()
        .map(|(f, r)| format!("字段 {f}：{r}"))
        .collect::<Vec<_>>()
        .join("；")
}

/// The field violations of a status, as (field, reason).
pub fn field_violations(status: &Status) -> Vec<(String, String)> {
    status
        .get_details_bad_request()
        .map(|b| {
            b.field_violations
                .into_iter()
                .map(|v| (v.field, v.description))
                .collect()
        })
        .unwrap_or_default()
}
