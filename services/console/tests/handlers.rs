//! The console's routes in process: what anyone can reach without signing in, the security
//! headers on every response, and the refusal of cross-site form posts. (Journeys through
//! the running services are in the end-to-end and browser tests.)

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use ogi_console::config::ConsoleConfig;
use tower::ServiceExt;

/// A console whose services are all at an address nothing listens on.
fn console() -> axum::Router {
    let nowhere = "http://127.0.0.1:1";
    let config = ConsoleConfig::parse_from([
        "ogi-console",
        "--accounts",
        nowhere,
        "--intake",
        nowhere,
        "--validation",
        nowhere,
        "--approval",
        nowhere,
        "--publishing",
        nowhere,
        "--reporting",
        nowhere,
    ]);
    ogi_console::router(ogi_console::AppState::new(&config).unwrap())
}

async fn send(request: Request<Body>) -> (StatusCode, axum::http::HeaderMap, String) {
    let response = console().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn the_sign_in_page_has_its_labelled_fields_and_the_security_headers() {
    let (status, headers, body) = send(get("/login")).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "<label for=\"username\">用户名</label>",
        "<label for=\"password\">密码</label>",
        "<button type=\"submit\">登录</button>",
        "lang=\"zh-CN\"",
    ] {
        assert!(body.contains(text), "{text} missing: {body}");
    }
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["cache-control"], "no-store");
}

#[tokio::test]
async fn every_page_sends_a_stranger_to_sign_in() {
    for uri in [
        "/",
        "/cases",
        "/cases?q=C2024",
        "/cases/0190a0b0-0000-7000-8000-000000000000",
    ] {
        let (status, headers, _) = send(get(uri)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(headers[header::LOCATION], "/login?reason=signin", "{uri}");
    }
    // An htmx request is redirected by header, so the sign-in form never lands in a table.
    let request = Request::get("/cases?q=x")
        .header("HX-Request", "true")
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["hx-redirect"], "/login?reason=signin");
    assert!(body.is_empty());
}

#[tokio::test]
async fn a_session_the_accounts_service_does_not_confirm_is_no_session() {
    let request = Request::get("/")
        .header(header::COOKIE, "ogi_session=forged-or-ended")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(request).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], "/login?reason=ended");
    // The stale cookie is cleared, HttpOnly and SameSite=Strict.
    let cleared = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("ogi_session=;"), "{cleared}");
    assert!(cleared.contains("HttpOnly") && cleared.contains("SameSite=Strict"));
}

fn login_post(fetch_site: Option<&str>, origin: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post("/login")
        .header(header::HOST, "console.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(site) = fetch_site {
        r = r.header("sec-fetch-site", site);
    }
    if let Some(origin) = origin {
        r = r.header(header::ORIGIN, origin);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test]
async fn cross_site_form_posts_are_refused() {
    let form = "username=a&password=b";
    for (site, origin) in [
        (Some("cross-site"), None),
        (Some("same-site"), Some("https://console.example")),
        (None, Some("https://evil.example")),
        (None, None),
    ] {
        let (status, _, body) = send(login_post(site, origin, form)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{site:?} {origin:?}");
        assert!(body.contains("拒绝跨站提交"), "{body}");
    }
}

#[tokio::test]
async fn the_sign_in_form_names_what_is_missing_and_what_failed() {
    let (status, _, body) =
        send(login_post(Some("same-origin"), None, "username=&password=")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("请输入用户名和密码。"), "{body}");
    // With the accounts service down, the user reads that the system is unreachable, in
    // Chinese, never a transport string.
    let (status, _, body) = send(login_post(
        None,
        Some("http://console.example"),
        "username=zhang&password=secret",
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("role=\"alert\""), "{body}");
    assert!(!body.contains("transport error"), "{body}");
    assert!(
        body.contains("value=\"zhang\""),
        "the username is kept: {body}"
    );
}

#[tokio::test]
async fn htmx_and_the_stylesheet_are_served_and_nothing_else() {
    let (status, headers, body) = send(get("/static/htmx-2.0.8.min.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(body.contains("htmx"));
    let (status, _, _) = send(get("/static/console.css")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(get("/static/..%2Fsecret")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
