//! 登录: password sign-in through the accounts service, the forced password change, and
//! signing out.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use ogi_proto::v1 as pb;
use serde::Deserialize;

use crate::AppState;
use crate::grpc::explain;
use crate::session;

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub username: String,
    pub notice: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub username: String,
    pub error: String,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    reason: String,
}

pub async fn page(Query(q): Query<LoginQuery>) -> LoginPage {
    let notice = match q.reason.as_str() {
        "idle" => "长时间未操作，已自动退出登录，请重新登录。",
        "ended" => "会话已结束（已退出、账户被停用或权限已变更），请重新登录。",
        "signin" => "请先登录。",
        "out" => "已退出登录。",
        _ => "",
    };
    LoginPage {
        username: String::new(),
        notice: notice.to_string(),
        error: String::new(),
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let username = form.username.trim().to_string();
    if username.is_empty() || form.password.is_empty() {
        return LoginPage {
            username,
            notice: String::new(),
            error: "请输入用户名和密码。".to_string(),
        }
        .into_response();
    }
    let mut accounts = state.services.accounts.clone();
    match accounts
        .login(pb::LoginRequest {
            username: username.clone(),
            password: form.password,
        })
        .await
    {
        Ok(r) => {
            let login = r.into_inner();
            if login.must_change_password {
                return PasswordPage {
                    username,
                    error: String::new(),
                }
                .into_response();
            }
            signed_in(&state, &login)
        }
        Err(status) => LoginPage {
            username,
            notice: String::new(),
            error: explain(&status),
        }
        .into_response(),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let again = |error: &str| {
        PasswordPage {
            username: form.username.trim().to_string(),
            error: error.to_string(),
        }
        .into_response()
    };
    if form.new_password != form.confirm_password {
        return again("两次输入的新密码不一致。");
    }
    if form.new_password == form.password {
        return again("新密码不能与当前密码相同。");
    }
    let mut accounts = state.services.accounts.clone();
    match accounts
        .change_password(pb::ChangePasswordRequest {
            username: form.username.trim().to_string(),
            password: form.password.clone(),
            new_password: form.new_password.clone(),
        })
        .await
    {
        Ok(r) => signed_in(&state, &r.into_inner()),
        Err(status) => again(&explain(&status)),
    }
}

/// Store the new session in the cookie and go to the workbench.
fn signed_in(state: &AppState, login: &pb::LoginResponse) -> Response {
    state.sessions.remember(&login.session_token, login);
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::cookie(Some(&login.session_token), state.secure_cookies),
    );
    response
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(secret) = session::session_secret(&headers) {
        state.sessions.forget(&secret);
        let mut accounts = state.services.accounts.clone();
        let _ = accounts
            .logout(pb::LogoutRequest {
                session_token: secret,
            })
            .await;
    }
    let mut response = Redirect::to("/login?reason=out").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::cookie(None, state.secure_cookies),
    );
    response
}
