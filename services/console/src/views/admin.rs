//! 系统管理, split by the three administrator roles (三员): users and roles for the system
//! administrator (sysadmin: list, add, disable and enable, reset a password, grant and revoke
//! roles, through the accounts service), the security policy for the security administrator
//! (secadmin: shown), and the audit trail with filters and its export for the auditor. Each
//! page checks its role here and the accounts service checks it again.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use super::cases::encode;
use super::supervision::forbidden;
use super::{Header, role_label};
use crate::AppState;
use crate::grpc::{as_user, explain};
use crate::session::SignedIn;

/// The roles an administrator may grant, business roles first.
pub const ROLES: [&str; 9] = [
    "registrar",
    "handler",
    "approver",
    "signer",
    "office",
    "viewer",
    "sysadmin",
    "secadmin",
    "auditor",
];

pub fn scope_label(code: &str) -> &'static str {
    match code {
        "own" => "本机关",
        "subtree" => "本机关及下级机关",
        "assigned" => "本人承办的案件",
        "all" => "全部机关",
        _ => "其他",
    }
}

fn holds(signed_in: &SignedIn, role: &str) -> bool {
    signed_in.user.roles.iter().any(|r| r == role)
}

pub struct UserRow {
    pub username: String,
    pub agency: String,
    pub department: String,
    pub roles: String,
    pub role_codes: Vec<String>,
    pub scope: String,
    pub status: String,
    pub enabled: bool,
}

impl UserRow {
    pub fn holds(&self, role: &&str) -> bool {
        self.role_codes.iter().any(|r| r == *role)
    }
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct UsersQuery {
    pub agency: String,
    pub done: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_users.html")]
pub struct UsersPage {
    pub header: Header,
    pub agency: String,
    pub users: Vec<UserRow>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub error: String,
    pub notice: String,
    pub form: NewUser,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct NewUser {
    pub username: String,
    pub agency: String,
    pub department: String,
    pub scope: String,
    pub password: String,
}

fn role_choices() -> Vec<(&'static str, &'static str)> {
    ROLES.iter().map(|r| (*r, role_label(r))).collect()
}

async fn users_page(
    state: &AppState,
    signed_in: &SignedIn,
    agency: &str,
    error: String,
    notice: String,
    form: NewUser,
) -> UsersPage {
    let mut page = UsersPage {
        header: Header::of(signed_in),
        agency: agency.to_string(),
        users: Vec::new(),
        roles: role_choices(),
        error,
        notice,
        form,
    };
    let mut accounts = state.services.accounts.clone();
    match accounts
        .list_users(as_user(
            &signed_in.token,
            pb::ListUsersRequest {
                agency: agency.to_string(),
            },
        ))
        .await
    {
        Ok(r) => {
            page.users = r
                .into_inner()
                .users
                .into_iter()
                .map(|u| UserRow {
                    status: if !u.enabled {
                        "已停用".into()
                    } else if !u.locked_until.is_empty() {
                        format!("已锁定至 {}", u.locked_until)
                    } else if u.must_change_password {
                        "待修改初始密码".into()
                    } else {
                        "正常".into()
                    },
                    roles: u
                        .roles
                        .iter()
                        .map(|r| role_label(r))
                        .collect::<Vec<_>>()
                        .join("、"),
                    role_codes: u.roles,
                    scope: scope_label(&u.scope).into(),
                    enabled: u.enabled,
                    username: u.username,
                    agency: u.agency,
                    department: u.department,
                })
                .collect();
        }
        Err(status) if page.error.is_empty() => page.error = explain(&status),
        Err(_) => {}
    }
    page
}

fn done_notice(done: &str) -> String {
    match done {
        "added" => "已添加用户；初始密码须在首次登录时修改。",
        "enabled" => "已启用该用户。",
        "disabled" => "已停用该用户；其会话将在一分钟内结束。",
        "password" => "已重置密码；该用户须在下次登录时修改。",
        "granted" => "已授予角色。",
        "revoked" => "已撤销角色。",
        _ => "",
    }
    .to_string()
}

const SYSADMIN_ONLY: &str = "用户与角色管理仅供系统管理员使用。";

pub async fn users(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<UsersQuery>,
) -> Response {
    if !holds(&signed_in, "sysadmin") {
        return forbidden(&signed_in, "用户与角色", SYSADMIN_ONLY);
    }
    let agency: String = query.agency.trim().chars().take(100).collect();
    users_page(
        &state,
        &signed_in,
        &agency,
        String::new(),
        done_notice(&query.done),
        NewUser::default(),
    )
    .await
    .into_response()
}

/// The form's first problem, in Chinese.
fn check_new_user(form: &NewUser, roles: &[String]) -> Result<(), String> {
    if form.username.trim().is_empty() {
        return Err("请填写用户名。".into());
    }
    if form.username.chars().count() > 64 || form.username.chars().any(char::is_whitespace) {
        return Err("用户名不得含空格，且不超过 64 个字。".into());
    }
    if form.agency.trim().is_empty() {
        return Err("请填写所属机关。".into());
    }
    if roles.is_empty() {
        return Err("请至少选择一个角色。".into());
    }
    if let Some(r) = roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
        return Err(format!("未知的角色「{r}」。"));
    }
    if !["", "own", "subtree", "assigned"].contains(&form.scope.as_str()) {
        return Err("请选择列表中的权限范围。".into());
    }
    if form.password.is_empty() {
        return Err("请填写初始密码。".into());
    }
    Ok(())
}

/// 添加用户.
pub async fn add_user(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    if !holds(&signed_in, "sysadmin") {
        return forbidden(&signed_in, "用户与角色", SYSADMIN_ONLY);
    }
    let value = |k: &str| {
        fields
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let form = NewUser {
        username: value("username").trim().to_string(),
        agency: value("agency").trim().to_string(),
        department: value("department").trim().to_string(),
        scope: value("scope"),
        password: value("password"),
    };
    let roles: Vec<String> = fields
        .iter()
        .filter(|(k, _)| k == "role")
        .map(|(_, v)| v.clone())
        .collect();
    let again = |error: String, form: NewUser| {
        let state = state.clone();
        let signed_in = &signed_in;
        async move {
            let mut kept = form;
            kept.password.clear();
            users_page(&state, signed_in, "", error, String::new(), kept)
                .await
                .into_response()
        }
    };
    if let Err(e) = check_new_user(&form, &roles) {
        return again(e, form).await;
    }
    let mut accounts = state.services.accounts.clone();
    match accounts
        .add_user(as_user(
            &signed_in.token,
            pb::AddUserRequest {
                username: form.username.clone(),
                agency: form.agency.clone(),
                department: form.department.clone(),
                roles,
                scope: form.scope.clone(),
                password: form.password.clone(),
            },
        ))
        .await
    {
        Ok(_) => Redirect::to("/admin/users?done=added").into_response(),
        Err(status) => again(explain(&status), form).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserChange {
    /// `enable`, `disable`, `password`, `grant`, `revoke`.
    pub action: String,
    pub password: String,
    pub role: String,
}

/// One change to a user: enable or disable, reset the password, grant or revoke a role.
pub async fn change_user(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Path(username): Path<String>,
    Form(change): Form<UserChange>,
) -> Response {
    if !holds(&signed_in, "sysadmin") {
        return forbidden(&signed_in, "用户与角色", SYSADMIN_ONLY);
    }
    let refuse = |error: String| {
        let state = state.clone();
        let signed_in = &signed_in;
        async move {
            users_page(
                &state,
                signed_in,
                "",
                error,
                String::new(),
                NewUser::default(),
            )
            .await
            .into_response()
        }
    };
    let mut accounts = state.services.accounts.clone();
    let token = &signed_in.token;
    let result = match change.action.as_str() {
        "enable" | "disable" => accounts
            .set_user_enabled(as_user(
                token,
                pb::SetUserEnabledRequest {
                    username: username.clone(),
                    enabled: change.action == "enable",
                },
            ))
            .await
            .map(|_| {
                if change.action == "enable" {
                    "enabled"
                } else {
                    "disabled"
                }
            }),
        "password" => {
            if change.password.is_empty() {
                return refuse(format!("请为 {username} 填写新的初始密码。")).await;
            }
            accounts
                .reset_password(as_user(
                    token,
                    pb::ResetPasswordRequest {
                        username: username.clone(),
                        password: change.password.clone(),
                    },
                ))
                .await
                .map(|_| "password")
        }
        "grant" | "revoke" => {
            if !ROLES.contains(&change.role.as_str()) {
                return refuse("请选择列表中的角色。".into()).await;
            }
            let request = as_user(
                token,
                pb::ChangeRolesRequest {
                    username: username.clone(),
                    roles: vec![change.role.clone()],
                },
            );
            if change.action == "grant" {
                accounts.grant_roles(request).await.map(|_| "granted")
            } else {
                accounts.revoke_roles(request).await.map(|_| "revoked")
            }
        }
        _ => return refuse("未知的操作。".into()).await,
    };
    match result {
        Ok(done) => Redirect::to(&format!("/admin/users?done={done}")).into_response(),
        Err(status) => refuse(format!("{username}：{}", explain(&status))).await,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_policy.html")]
pub struct PolicyPage {
    pub header: Header,
    pub idle_minutes: u64,
}

/// 安全策略 (secadmin): what this console enforces; the sign-in rules live in the accounts
/// service, whose settings are changed there (no policy call yet).
pub async fn policy(signed_in: SignedIn, State(state): State<AppState>) -> Response {
    if !holds(&signed_in, "secadmin") {
        return forbidden(&signed_in, "安全策略", "安全策略仅供安全管理员使用。");
    }
    PolicyPage {
        header: Header::of(&signed_in),
        idle_minutes: state.sessions.idle().as_secs() / 60,
    }
    .into_response()
}

/// Entries a page of the audit trail shows.
pub const AUDIT_PAGE: u32 = 100;
/// The most entries an export holds; a longer trail is refused with the reason, never cut.
pub const MAX_AUDIT_EXPORT: usize = 50_000;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    pub actor: String,
    pub agency: String,
    pub case_id: String,
    pub from: String,
    pub to: String,
    pub after: String,
}

impl AuditQuery {
    fn to_query(&self) -> String {
        [
            ("actor", &self.actor),
            ("agency", &self.agency),
            ("case_id", &self.case_id),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
    }

    fn request(&self, page_size: u32, after_seq: i64) -> Result<pb::ListAuditRequest, String> {
        for (label, d) in [("起始日期", &self.from), ("截止日期", &self.to)] {
            if !d.is_empty() && chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                return Err(format!("{label}应为日期（YYYY-MM-DD）"));
            }
        }
        if !self.from.is_empty() && !self.to.is_empty() && self.from > self.to {
            return Err("起始日期不能晚于截止日期".into());
        }
        Ok(pb::ListAuditRequest {
            actor: self.actor.trim().chars().take(64).collect(),
            agency: self.agency.trim().chars().take(100).collect(),
            case_id: self.case_id.trim().chars().take(64).collect(),
            from: self.from.clone(),
            to: self.to.clone(),
            page_size,
            after_seq,
        })
    }
}

pub struct AuditRow {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub agency: String,
    pub action: String,
    pub case_id: String,
    pub target_agency: String,
    pub result: String,
    pub denied: bool,
    pub reason: String,
    pub source: String,
}

/// The Chinese name of an audited action.
pub fn action_label(code: &str) -> String {
    let known = match code {
        "session.login" => "登录",
        "session.login_failed" => "登录失败",
        "session.logout" => "退出登录",
        "user.create" => "添加用户",
        "session.change_password" => "修改密码",
        "session.refresh" => "续期会话",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    ogi_core::access::Permission::ALL
        .iter()
        .find(|p| p.code() == code)
        .map_or_else(|| code.to_string(), |p| p.label().to_string())
}

fn result_label(code: &str) -> &'static str {
    match code {
        "allowed" => "允许",
        "denied" => "拒绝",
        "failed" => "失败",
        _ => "其他",
    }
}

fn audit_row(e: pb::AuditEntry) -> AuditRow {
    AuditRow {
        seq: e.seq,
        at: chrono::DateTime::parse_from_rfc3339(&e.at)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or(e.at),
        actor: e.actor,
        agency: e.agency,
        action: action_label(&e.action),
        case_id: e.case_id,
        target_agency: e.target_agency,
        denied: e.result == "denied",
        result: result_label(&e.result).into(),
        reason: e.reason,
        source: e.source,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin_audit.html")]
pub struct AuditPage {
    pub header: Header,
    pub query: AuditQuery,
    pub filters: String,
    pub rows: Vec<AuditRow>,
    pub next_after: i64,
    pub error: String,
}

const AUDITOR_ONLY: &str = "审计日志仅供审计管理员查阅。";

/// 审计日志 (auditor): filtered by actor, agency, case and dates, a page at a time.
pub async fn audit(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Response {
    if !holds(&signed_in, "auditor") {
        return forbidden(&signed_in, "审计日志", AUDITOR_ONLY);
    }
    let mut page = AuditPage {
        header: Header::of(&signed_in),
        filters: query.to_query(),
        rows: Vec::new(),
        next_after: 0,
        error: String::new(),
        query: query.clone(),
    };
    let after = if query.after.is_empty() {
        Ok(0)
    } else {
        query
            .after
            .parse::<i64>()
            .map_err(|_| "页码参数无效".to_string())
    };
    let request = after.and_then(|after| query.request(AUDIT_PAGE, after));
    let request = match request {
        Ok(r) => r,
        Err(e) => {
            page.error = e;
            return page.into_response();
        }
    };
    let mut accounts = state.services.accounts.clone();
    match accounts
        .list_audit(as_user(&signed_in.token, request))
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            page.rows = r.entries.into_iter().map(audit_row).collect();
            page.next_after = r.next_after_seq;
        }
        Err(status) => page.error = explain(&status),
    }
    page.into_response()
}

/// The filtered audit trail as .xlsx.
pub async fn audit_export(
    signed_in: SignedIn,
    State(state): State<AppState>,
    Query(query): Query<AuditQuery>,
) -> Response {
    let refuse = |status: StatusCode, text: String| {
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response()
    };
    if !holds(&signed_in, "auditor") {
        return refuse(StatusCode::FORBIDDEN, AUDITOR_ONLY.into());
    }
    let mut accounts = state.services.accounts.clone();
    let mut rows = Vec::new();
    let mut after = 0;
    loop {
        let request = match query.request(500, after) {
            Ok(r) => r,
            Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
        };
        let r = match accounts
            .list_audit(as_user(&signed_in.token, request))
            .await
        {
            Ok(r) => r.into_inner(),
            Err(status) => return refuse(StatusCode::BAD_GATEWAY, explain(&status)),
        };
        rows.extend(r.entries.into_iter().map(audit_row));
        if rows.len() > MAX_AUDIT_EXPORT {
            return refuse(
                StatusCode::BAD_REQUEST,
                format!(
                    "符合条件的审计记录超过一次导出的上限 {MAX_AUDIT_EXPORT} 条，请缩小筛选范围后再导出。"
                ),
            );
        }
        if r.next_after_seq == 0 {
            break;
        }
        after = r.next_after_seq;
    }
    let cells: Vec<Vec<String>> = rows
        .into_iter()
        .map(|r| {
            vec![
                r.seq.to_string(),
                r.at,
                r.actor,
                r.agency,
                r.action,
                r.case_id,
                r.target_agency,
                r.result,
                r.reason,
                r.source,
            ]
        })
        .collect();
    let title = format!("审计日志（{} 条）", cells.len());
    let columns = [
        ("序号", 6.0),
        ("时间", 14.0),
        ("操作人", 8.0),
        ("操作人机关", 12.0),
        ("操作", 10.0),
        ("案件", 18.0),
        ("对象机关", 12.0),
        ("结果", 4.0),
        ("原因", 20.0),
        ("来源地址", 10.0),
    ];
    match ogi_core::report::list_to_xlsx(&title, &columns, &cells) {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"audit.xlsx\""),
            );
            response
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}
