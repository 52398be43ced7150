//! The case list, its export and 分办/改派, and the workbench, in process: a signed-in user
//! (a session this console replica knows) whose services do not answer, so what is checked is
//! the console's own part — who may use a screen, each validation message beside the list,
//! and the Chinese message when the services cannot be reached.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use clap::Parser;
use ogi_console::config::ConsoleConfig;
use ogi_proto::v1 as pb;
use tower::ServiceExt;

const SECRET: &str = "test-session-secret";

/// A console whose services are all at an address nothing listens on, with `roles` signed in.
fn console(roles: &[&str]) -> axum::Router {
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
    state.sessions.remember(
        SECRET,
        &pb::LoginResponse {
            access_token: "token".into(),
            access_expires_at: chrono::Utc::now().timestamp() + 3600,
            user: Some(pb::User {
                username: "zhang".into(),
                agency: "某市教育局".into(),
                roles: roles.iter().map(|r| r.to_string()).collect(),
                scope: "own".into(),
                enabled: true,
                agencies: vec!["某市教育局".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
    );
    ogi_console::router(state)
}

async fn send(
    roles: &[&str],
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = console(roles).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, headers, body.to_vec())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::COOKIE, format!("ogi_session={SECRET}"))
        .body(Body::empty())
        .unwrap()
}

fn post(uri: &str, form: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::COOKIE, format!("ogi_session={SECRET}"))
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form.to_string()))
        .unwrap()
}

async fn page(roles: &[&str], uri: &str) -> (StatusCode, String) {
    let (status, _, body) = send(roles, get(uri)).await;
    (status, String::from_utf8(body).unwrap())
}

#[tokio::test]
async fn the_case_list_has_its_labelled_filters_and_says_when_the_services_are_down() {
    let (status, body) = page(&["handler"], "/cases?q=JY-2026&stage=drafted&due=soon").await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "<label for=\"q\">搜索</label>",
        "<label for=\"stage\">当前环节</label>",
        "<label for=\"handler\">承办人</label>",
        "<label for=\"from\">收到日期自</label>",
        "<label for=\"outcome\">答复类型</label>",
        "<option value=\"drafted\" selected>待审批</option>",
        "<option value=\"soon\" selected>即将到期（3个工作日内）</option>",
        "value=\"JY-2026\"",
        "系统服务暂时无法连接",
    ] {
        assert!(body.contains(text), "{text} missing: {body}");
    }
    assert!(!body.contains("transport"), "{body}");
}

#[tokio::test]
async fn each_bad_filter_is_named_in_chinese() {
    for (uri, message) in [
        ("/cases?page=0", "页码应为正整数"),
        ("/cases?page=abc", "页码应为正整数"),
        (
            "/cases?from=2026-13-01",
            "收到日期（自）应为日期（YYYY-MM-DD）",
        ),
        (
            "/cases?to=yesterday",
            "收到日期（至）应为日期（YYYY-MM-DD）",
        ),
        (
            "/cases?from=2026-05-01&to=2026-04-01",
            "收到日期的起始日不能晚于截止日",
        ),
        ("/cases?stage=nonsense", "请选择列表中的环节"),
        ("/cases?outcome=nonsense", "请选择列表中的答复类型"),
        ("/cases?due=later", "请选择列表中的期限状态"),
    ] {
        let (status, body) = page(&["handler"], uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(body.contains(message), "{uri}: {message} missing: {body}");
        assert!(
            !body.contains("系统服务暂时无法连接"),
            "{uri}: checked before any call"
        );
    }
    let long = "x".repeat(65);
    let (_, body) = page(&["handler"], &format!("/cases?handler={long}")).await;
    assert!(body.contains("承办人不得超过 64 个字"), "{body}");
}

#[tokio::test]
async fn a_user_without_case_assign_may_not_assign() {
    // A handler may not 分办: no form, and a forged post is refused.
    let (status, _, body) = send(
        &["handler"],
        post("/cases/assign", "case_id=c1&assignee=li&back=q%3Dx"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let body = String::from_utf8(body).unwrap();
    assert!(body.contains("您没有分办、改派案件的权限。"), "{body}");
    assert!(
        body.contains("value=\"x\""),
        "the list keeps its filters: {body}"
    );
}

#[tokio::test]
async fn each_assignment_error_is_shown_beside_the_list() {
    for (form, message) in [
        ("assignee=li&back=", "请先勾选要分办或改派的案件。"),
        ("case_id=c1&assignee=&back=", "请填写承办人的用户名。"),
        (
            "case_id=c1&assignee=li+si&back=",
            "承办人的用户名不得含空格",
        ),
        (
            "case_id=c1&case_id=c2&assignee=li&back=stage%3Ddrafted",
            "系统服务暂时无法连接",
        ),
    ] {
        let (status, _, body) = send(&["office"], post("/cases/assign", form)).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(message), "{form}: {message} missing: {body}");
        assert!(body.contains("role=\"alert\""), "{form}");
    }
    // Cross-site posts never reach the handler.
    let request = Request::post("/cases/assign")
        .header(header::COOKIE, format!("ogi_session={SECRET}"))
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("case_id=c1&assignee=li"))
        .unwrap();
    let (status, _, _) = send(&["office"], request).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_export_refuses_bad_filters_and_says_when_the_services_are_down() {
    let (status, headers, body) = send(&["handler"], get("/cases/export.xlsx?due=later")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(String::from_utf8(body).unwrap(), "请选择列表中的期限状态");
    let (status, _, body) = send(&["handler"], get("/cases/export.xlsx")).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("系统服务暂时无法连接")
    );
}

#[tokio::test]
async fn strangers_are_sent_to_sign_in_from_the_new_routes() {
    for uri in ["/cases/export.xlsx", "/cases?due=overdue"] {
        let response = console(&[])
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{uri}");
    }
    let response = console(&[])
        .oneshot(
            Request::post("/cases/assign")
                .header("sec-fetch-site", "same-origin")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("case_id=c1&assignee=li"))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_workbench_says_when_the_services_are_down() {
    let (status, body) = page(&["handler"], "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>工作台</h1>"), "{body}");
    assert!(body.contains("系统服务暂时无法连接"), "{body}");
}

#[tokio::test]
async fn supervision_is_the_office_s_and_says_when_the_services_are_down() {
    for roles in [&["handler"][..], &["approver", "signer"], &["viewer"]] {
        let (status, body) = page(roles, "/supervision").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{roles:?}");
        assert!(body.contains("您的角色没有督办权限"), "{body}");
        assert!(
            !body.contains("href=\"/supervision\""),
            "no link for {roles:?}"
        );
    }
    let (status, body) = page(&["office"], "/supervision").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>督办"), "{body}");
    assert!(body.contains("系统服务暂时无法连接"), "{body}");
    assert!(
        body.contains("href=\"/supervision\""),
        "the office's nav links it"
    );
}

#[tokio::test]
async fn the_letter_routes_say_when_the_services_are_down_and_strangers_sign_in_first() {
    for uri in [
        "/cases/0190a0b0-0000-7000-8000-000000000000/letter",
        "/cases/0190a0b0-0000-7000-8000-000000000000/letter.docx",
    ] {
        let (status, body) = page(&["handler"], uri).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{uri}");
        assert!(body.contains("系统服务暂时无法连接"), "{uri}: {body}");
        let response = console(&[])
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{uri}");
    }
    let (status, body) = page(&["viewer"], "/letters").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>文书 · 送达记录</h1>"), "{body}");
    assert!(body.contains("系统服务暂时无法连接"), "{body}");
    let (_, body) = page(&["viewer"], "/letters?page=0").await;
    assert!(body.contains("页码应为正整数"), "{body}");
}

#[tokio::test]
async fn each_admin_page_is_its_admin_role_s_alone() {
    for (uri, role, refusal) in [
        (
            "/admin/users",
            "sysadmin",
            "用户与角色管理仅供系统管理员使用。",
        ),
        ("/admin/policy", "secadmin", "安全策略仅供安全管理员使用。"),
        ("/admin/audit", "auditor", "审计日志仅供审计管理员查阅。"),
    ] {
        for other in ["handler", "office", "sysadmin", "secadmin", "auditor"] {
            if other == role {
                continue;
            }
            let (status, body) = page(&[other], uri).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{uri} as {other}");
            assert!(body.contains(refusal), "{uri} as {other}: {body}");
        }
        let (status, body) = page(&[role], uri).await;
        assert_eq!(status, StatusCode::OK, "{uri} as {role}");
        assert!(!body.contains(refusal), "{uri}");
        assert!(
            body.contains(">系统管理</a>"),
            "{role}'s nav links 系统管理"
        );
    }
    // Posts too.
    for (uri, form) in [
        (
            "/admin/users/new",
            "username=a&agency=b&role=handler&password=x",
        ),
        ("/admin/users/zhang", "action=disable"),
    ] {
        let (status, _, _) = send(&["auditor"], post(uri, form)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{uri}");
    }
    let (status, _, body) = send(&["sysadmin"], get("/admin/audit/export.xlsx")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "审计日志仅供审计管理员查阅。"
    );
}

#[tokio::test]
async fn each_user_form_error_is_named() {
    for (form, message) in [
        (
            "username=&agency=b&role=handler&password=x",
            "请填写用户名。",
        ),
        (
            "username=a+b&agency=b&role=handler&password=x",
            "用户名不得含空格",
        ),
        (
            "username=a&agency=&role=handler&password=x",
            "请填写所属机关。",
        ),
        ("username=a&agency=b&password=x", "请至少选择一个角色。"),
        (
            "username=a&agency=b&role=king&password=x",
            "未知的角色「king」。",
        ),
        (
            "username=a&agency=b&role=handler&scope=everything&password=x",
            "请选择列表中的权限范围。",
        ),
        (
            "username=a&agency=b&role=handler&password=",
            "请填写初始密码。",
        ),
        (
            "username=a&agency=b&role=handler&password=x",
            "系统服务暂时无法连接",
        ),
    ] {
        let (status, _, body) = send(&["sysadmin"], post("/admin/users/new", form)).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(message), "{form}: {message} missing: {body}");
        assert!(
            !body.contains("value=\"x\""),
            "the password is never echoed: {form}"
        );
    }
    for (form, message) in [
        ("action=password&password=", "请为 zhang 填写新的初始密码。"),
        ("action=grant&role=king", "请选择列表中的角色。"),
        ("action=explode", "未知的操作。"),
        ("action=disable", "zhang：系统服务暂时无法连接"),
    ] {
        let (status, _, body) = send(&["sysadmin"], post("/admin/users/zhang", form)).await;
        assert_eq!(status, StatusCode::OK, "{form}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains(message), "{form}: {message} missing: {body}");
    }
}

#[tokio::test]
async fn the_audit_filters_are_checked_and_the_policy_shows_the_idle_timeout() {
    for (uri, message) in [
        (
            "/admin/audit?from=2026-13-01",
            "起始日期应为日期（YYYY-MM-DD）",
        ),
        ("/admin/audit?to=x", "截止日期应为日期（YYYY-MM-DD）"),
        (
            "/admin/audit?from=2026-05-01&to=2026-04-01",
            "起始日期不能晚于截止日期",
        ),
        ("/admin/audit?after=abc", "页码参数无效"),
        ("/admin/audit?actor=zhang", "系统服务暂时无法连接"),
    ] {
        let (_, body) = page(&["auditor"], uri).await;
        assert!(body.contains(message), "{uri}: {message} missing: {body}");
    }
    let (status, _, body) = send(&["auditor"], get("/admin/audit/export.xlsx?to=x")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "截止日期应为日期（YYYY-MM-DD）"
    );
    let (_, body) = page(&["secadmin"], "/admin/policy").await;
    assert!(body.contains("<dd id=\"idle\">30 分钟"), "{body}");
}
