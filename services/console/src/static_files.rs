//! The console's static files, compiled in: htmx (pinned, one file) and the stylesheet.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// htmx 2.0.8 from the npm package `htmx.org` (dist/htmx.min.js), vendored unchanged; a test
/// checks its SHA-256.
pub const HTMX_FILE: &str = "htmx-2.0.8.min.js";
pub const HTMX: &str = include_str!("../static/htmx-2.0.8.min.js");
#[cfg(test)]
pub const HTMX_SHA256: &str = "22283ef68cb7545914f0a88a1bdedc7256a703d1d580c1d255217d0a50d31313";
pub const STYLESHEET: &str = include_str!("../static/console.css");

pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, kind) = match file.as_str() {
        HTMX_FILE => (HTMX, "text/javascript; charset=utf-8"),
        "console.css" => (STYLESHEET, "text/css; charset=utf-8"),
        _ => return (StatusCode::NOT_FOUND, "没有这个文件").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, kind),
            // Names change with their content (htmx) or are small (the stylesheet).
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    #[test]
    fn vendored_htmx_is_the_pinned_release() {
        let digest = Sha256::digest(super::HTMX.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, super::HTMX_SHA256);
    }
}
