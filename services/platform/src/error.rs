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

/// A status as a user reads it: each field violation as `字段 f：原因`, else the message
/// (tonic's own English statuses — a request over the size limit, a body that is not the
/// method's message — in Chinese, see [`transport_status_in_chinese`]).
pub fn describe_status(status: &Status) -> String {
    let violations = field_violations(status);
    if violations.is_empty() {
        return match transport_status_in_chinese(status.code(), status.message()) {
            Some((_, message)) => message,
            None => status.message().to_string(),
        };
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

/// tonic's own statuses, which it words in English before any ogi code runs, as a user reads
/// them: a request (or answer) over the gRPC size limit stays `OUT_OF_RANGE` and says how big
/// it was and which limit it passed; a body that does not decode as the method's message is
/// `INVALID_ARGUMENT` (tonic says `INTERNAL`, but the fault is the caller's). `None` for any
/// other status.
pub fn transport_status_in_chinese(code: Code, message: &str) -> Option<(Code, String)> {
    match code {
        Code::OutOfRange if message.contains("message length too large") => {
            // "Error, decoded message length too large: found N bytes, the limit is: M bytes"
            let number_after = |marker: &str| -> Option<usize> {
                let rest = &message[message.find(marker)? + marker.len()..];
                let digits: String = rest
                    .trim_start()
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().ok()
            };
            let what = if message.contains("encoded") {
                "发出的消息"
            } else {
                "请求"
            };
            let text = match (number_after("found"), number_after("limit is:")) {
                (Some(found), Some(limit)) => format!(
                    "{what}过大：{found}字节（{}），超过了每个请求{limit}字节（{}）的上限；请缩短内容或分批提交",
                    size_in_words(found),
                    size_in_words(limit)
                ),
                _ => format!("{what}过大，超过了每个请求的大小上限；请缩短内容或分批提交"),
            };
            Some((Code::OutOfRange, text))
        }
        Code::Internal if message.starts_with("failed to decode Protobuf message") => Some((
            Code::InvalidArgument,
            "请求无法解析：不是该接口的有效请求消息（字段类型或长度不对）".to_string(),
        )),
        _ => None,
    }
}

/// Middleware of every service: a trailers-only answer (status in the headers) carrying one
/// of tonic's own English statuses is rewritten as [`transport_status_in_chinese`] words it, so
/// that any client — the CLI, the console, grpcurl — shows the user Chinese.
pub async fn chinese_transport_statuses(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let Some(code) = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32)
    else {
        return response;
    };
    let message = headers
        .get("grpc-message")
        .map(|v| {
            percent_encoding::percent_decode(v.as_bytes())
                .decode_utf8_lossy()
                .into_owned()
        })
        .unwrap_or_default();
    let rewritten = match transport_status_in_chinese(code, &message) {
        Some((code, text)) => Some((code, text)),
        // A message that echoes a huge input would make the headers too large for the client
        // (HTTP/2 drops the connection): it is cut.
        None if message.chars().count() > MAX_STATUS_MESSAGE_CHARS => Some((
            code,
            format!(
                "{}……（消息过长，已截断）",
                message
                    .chars()
                    .take(MAX_STATUS_MESSAGE_CHARS)
                    .collect::<String>()
            ),
        )),
        None => None,
    };
    // Field violations that echo a huge input likewise: dropped, the message still says it.
    if headers
        .get("grpc-status-details-bin")
        .is_some_and(|v| v.len() > MAX_STATUS_DETAILS_BYTES)
    {
        headers.remove("grpc-status-details-bin");
    }
    if let Some((code, text)) = rewritten {
        let encoded =
            percent_encoding::utf8_percent_encode(&text, GRPC_MESSAGE_ESCAPED).to_string();
        if let Ok(value) = axum::http::HeaderValue::from_str(&encoded) {
            headers.insert("grpc-status", axum::http::HeaderValue::from(code as i32));
            headers.insert("grpc-message", value);
        }
    }
    response
}

/// The longest status message a service sends, in characters.
const MAX_STATUS_MESSAGE_CHARS: usize = 500;

/// The largest status details (base64, in a header) a service sends.
const MAX_STATUS_DETAILS_BYTES: usize = 8 * 1024;

/// What the gRPC protocol escapes in `grpc-message` (besides everything outside ASCII).
const GRPC_MESSAGE_ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'?')
    .add(b'{')
    .add(b'}');

/// A byte count as a person reads it: `1 MiB`, `1.1 MiB`, `512 KiB`, `300 字节`.
fn size_in_words(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB {
        if bytes.is_multiple_of(MIB) {
            format!("{} MiB", bytes / MIB)
        } else {
            format!("约{:.1} MiB", bytes as f64 / MIB as f64)
        }
    } else if bytes >= KIB {
        if bytes.is_multiple_of(KIB) {
            format!("{} KiB", bytes / KIB)
        } else {
            format!("约{:.1} KiB", bytes as f64 / KIB as f64)
        }
    } else {
        format!("{bytes}字节")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_oversized_request_is_described_in_chinese_with_its_size_and_the_limit() {
        // The very text tonic 0.14 sends (codec/decode.rs).
        let status = Status::out_of_range(
            "Error, decoded message length too large: found 1200034 bytes, the limit is: 1048576 bytes",
        );
        let text = describe_status(&status);
        assert_eq!(
            text,
            "请求过大：1200034字节（约1.1 MiB），超过了每个请求1048576字节（1 MiB）的上限；请缩短内容或分批提交"
        );
        let (code, _) = transport_status_in_chinese(status.code(), status.message()).unwrap();
        assert_eq!(code, Code::OutOfRange);
    }

    #[test]
    fn an_undecodable_body_is_the_callers_fault_in_chinese() {
        let status = Status::internal(
            "failed to decode Protobuf message: SubmitApplicationRequest.agency: invalid wire type",
        );
        let (code, text) = transport_status_in_chinese(status.code(), status.message()).unwrap();
        assert_eq!(code, Code::InvalidArgument);
        assert!(text.starts_with("请求无法解析"), "{text}");
        assert_eq!(describe_status(&status), text);
    }

    #[test]
    fn other_statuses_are_left_as_they_are() {
        for status in [
            Status::out_of_range("年度不在范围内"),
            Status::internal("内部错误：数据库不可用"),
            Status::not_found("案件不存在"),
        ] {
            assert_eq!(
                transport_status_in_chinese(status.code(), status.message()),
                None
            );
            assert_eq!(describe_status(&status), status.message());
        }
        assert_eq!(size_in_words(300), "300字节");
        assert_eq!(size_in_words(512 * 1024), "512 KiB");
    }
}
