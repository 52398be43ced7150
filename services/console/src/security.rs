//! One middleware for every response's security headers, and the refusal of cross-site
//! state changes (CSRF): a POST must come from the console's own pages, as the browser's
//! `Sec-Fetch-Site` (or, from older browsers, `Origin`) says. Together with the
//! SameSite=Strict session cookie this is the fetch-metadata defence OWASP describes.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Scripts, styles and images only from the console itself; no frames, no plugins, forms
/// only to the console.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

pub async fn guard(request: Request, next: Next) -> Response {
    let state_changing = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let mut response = if state_changing && !same_origin(request.headers()) {
        (
            StatusCode::FORBIDDEN,
            "拒绝跨站提交：请从办理平台的页面提交表单。",
        )
            .into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    set(h, "cross-origin-opener-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=()",
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        // Pages carry personal data: never kept by the browser or a proxy.
        set(h, "cache-control", "no-store");
    }
    response
}

/// Whether a state-changing request comes from the console's own pages.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin") | Ok("none"));
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            origin_host == Some(host)
        }
        _ => false,
    }
}
