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

/// A console whose services are unreachable, with a session of a user of the demo agency
/// holding `roles` already in its cache (as after a sign-in): the console's own checks and
/// messages, in process. What the services decide is in the browser journeys.
fn signed_in_console(roles: &[&str]) -> (axum::Router, String) {
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
    let state = ogi_console::AppState::new(&config).unwrap();
    let secret = format!("test-session-{}", roles.join("-"));
    let far = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 3600;
    state.sessions.remember(
        &secret,
        &ogi_proto::v1::LoginResponse {
            access_token: "a-token-no-service-checks-here".into(),
            access_expires_at: far,
            session_token: secret.clone(),
            session_expires_at: far,
            must_change_password: false,
            user: Some(ogi_proto::v1::User {
                username: "zhang".into(),
                agency: "遂宁市安居区人民政府".into(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                scope: "own".into(),
                enabled: true,
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    (ogi_console::router(state), secret)
}

async fn send_as(
    console: &axum::Router,
    secret: &str,
    method: &str,
    uri: &str,
    form: &str,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::COOKIE, format!("ogi_session={secret}"))
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap();
    let response = console.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn the_new_pages_send_a_stranger_to_sign_in() {
    for (method, uri) in [
        ("GET", "/inbox"),
        (
            "POST",
            "/inbox/0190a0b0-0000-7000-8000-000000000000/approve",
        ),
        ("POST", "/inbox/0190a0b0-0000-7000-8000-000000000000/return"),
        (
            "POST",
            "/cases/0190a0b0-0000-7000-8000-000000000000/preview",
        ),
        ("GET", "/report"),
        ("GET", "/report/2024/download/docx"),
        ("POST", "/report/2024/table-two"),
        ("POST", "/report/2024/narrative"),
        ("POST", "/report/2024/lock"),
    ] {
        let (status, headers, _) = send_as(&console(), "", method, uri, "").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{method} {uri}");
        assert_eq!(headers[header::LOCATION], "/login?reason=signin", "{uri}");
    }
}

#[tokio::test]
async fn a_handler_is_refused_the_inbox_and_the_report() {
    let (console, secret) = signed_in_console(&["handler"]);
    for (method, uri, form) in [
        ("GET", "/inbox", ""),
        ("POST", "/inbox/c1/approve", "on=2026-03-02"),
        ("POST", "/inbox/c1/return", "on=2026-03-02&reason=x"),
        ("GET", "/report", ""),
        ("GET", "/report/2024/download/xlsx", ""),
        ("POST", "/report/2024/table-two", "licensing=3"),
        ("POST", "/report/2024/narrative", "section_five=x"),
        ("POST", "/report/2024/lock", ""),
    ] {
        let (status, _, body) = send_as(&console, &secret, method, uri, form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {uri}: {body}");
        assert!(body.contains("无权访问"), "{uri}: {body}");
    }
    // Nor are they in the handler's navigation.
    let (_, _, body) = send_as(&console, &secret, "GET", "/inbox", "").await;
    assert!(!body.contains("href=\"/inbox\""), "{body}");
    assert!(!body.contains("href=\"/report\""), "{body}");
    assert!(body.contains("href=\"/register\""), "{body}");
}

#[tokio::test]
async fn a_viewer_reads_the_report_but_enters_nothing() {
    let (console, secret) = signed_in_console(&["viewer"]);
    let (status, _, body) = send_as(&console, &secret, "GET", "/report?year=2024", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("href=\"/report\""), "{body}");
    assert!(body.contains("/report/2024/download/docx"), "{body}");
    assert!(!body.contains("保存表二"), "{body}");
    assert!(
        body.contains("系统服务暂时无法连接"),
        "services down, said in Chinese: {body}"
    );
    for uri in ["/report/2024/table-two", "/report/2024/lock"] {
        let (status, _, body) = send_as(&console, &secret, "POST", uri, "licensing=1").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}: {body}");
    }
}

#[tokio::test]
async fn the_office_is_told_what_is_wrong_with_a_year_or_a_figure() {
    let (console, secret) = signed_in_console(&["office"]);
    let (status, _, body) = send_as(&console, &secret, "GET", "/report?year=abc", "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("年度应为2008年以后的四位年份。"), "{body}");
    assert!(
        body.contains("保存表二") && body.contains("锁定报告"),
        "{body}"
    );
    let (status, _, body) = send_as(
        &console,
        &secret,
        "POST",
        "/report/2024/table-two",
        "licensing=-3",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("行政许可（件）应为不小于0的整数，收到「-3」。"),
        "{body}"
    );
    let (status, _, _) = send_as(&console, &secret, "GET", "/report/2024/download/pdf", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send_as(&console, &secret, "GET", "/report/24/download/docx", "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_approver_inbox_names_what_is_missing_before_asking_the_service() {
    let (console, secret) = signed_in_console(&["approver"]);
    let (status, _, body) = send_as(&console, &secret, "GET", "/inbox", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<h1>审批箱</h1>"), "{body}");
    assert!(body.contains("系统服务暂时无法连接"), "{body}");
    let (status, _, body) = send_as(
        &console,
        &secret,
        "POST",
        "/inbox/c1/return",
        "on=2026-03-02&reason=+",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("退回未保存：退回须写明理由。"), "{body}");
    let (_, _, body) = send_as(&console, &secret, "POST", "/inbox/c1/approve", "on=").await;
    assert!(
        body.contains("审批通过未保存：请填写日期（审批的法定日期）。"),
        "{body}"
    );
    // With the service down, the approval is not saved, and the page says why in Chinese.
    let (_, _, body) = send_as(
        &console,
        &secret,
        "POST",
        "/inbox/c1/approve",
        "on=2026-03-02",
    )
    .await;
    assert!(
        body.contains("审批通过未保存：系统服务暂时无法连接"),
        "{body}"
    );
}

#[tokio::test]
async fn a_step_form_previews_its_due_date_or_says_why_not() {
    let (console, secret) = signed_in_console(&["handler"]);
    let uri = "/cases/c1/preview";
    for (form, expected) in [
        ("step=nonsense&on=2026-03-02", "未知的办理步骤。"),
        ("step=extend&on=", "填写日期后显示保存后的答复期限。"),
        (
            "step=correction_request&on=2026-03-02",
            "保存后答复期限停止计算，自收到补正材料之日起重新起算（第三十条）。",
        ),
        (
            "step=extend&on=2026-03-02&days=20",
            "无法预览答复期限：系统服务暂时无法连接",
        ),
    ] {
        let (status, _, body) = send_as(&console, &secret, "POST", uri, form).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        assert!(body.contains(expected), "{form}: {body}");
    }
}
