//! Sessions: the browser holds only the accounts service's session secret, in an HttpOnly,
//! SameSite=Strict cookie (Secure over HTTPS). The session itself lives in the accounts
//! service, so signing out, disabling a user or changing their roles ends it there for every
//! console replica. Each replica caches the short-lived access token it got for the session
//! and the time of the session's last request, for the idle sign-out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use ogi_proto::v1 as pb;
use sha2::{Digest, Sha256};

use crate::AppState;

pub const COOKIE: &str = "ogi_session";

/// How long before its expiry an access token is renewed.
const RENEW_BEFORE: i64 = 60;

struct Entry {
    access_token: String,
    access_expires_at: i64,
    user: pb::User,
    last_seen: Instant,
}

/// The access tokens of this replica's sessions, keyed by a hash of the session secret.
pub struct SessionCache {
    idle: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl SessionCache {
    pub fn new(idle: Duration) -> SessionCache {
        SessionCache {
            idle,
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remember a session just signed in or renewed.
    pub fn remember(&self, session_secret: &str, login: &pb::LoginResponse) {
        let user = login.user.clone().unwrap_or_default();
        self.lock().insert(
            key(session_secret),
            Entry {
                access_token: login.access_token.clone(),
                access_expires_at: login.access_expires_at,
                user,
                last_seen: Instant::now(),
            },
        );
    }

    /// How long a session may stay idle before it is signed out.
    pub fn idle(&self) -> Duration {
        self.idle
    }

    pub fn forget(&self, session_secret: &str) {
        self.lock().remove(&key(session_secret));
    }
}

fn key(session_secret: &str) -> String {
    let digest = Sha256::digest(session_secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The session secret in the request's cookies.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value that stores (or, with `None`, clears) the session secret.
pub fn cookie(secret: Option<&str>, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = match secret {
        Some(s) => format!("{COOKIE}={s}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The signed-in user of a request: what every page handler asks for first.
pub struct SignedIn {
    pub user: pb::User,
    pub token: String,
}

/// Why there is no signed-in user: the browser is sent to the sign-in page (htmx requests
/// by `HX-Redirect`, so a partial swap never shows the sign-in form inside a page).
pub struct SignInFirst {
    htmx: bool,
    reason: &'static str,
    clear_cookie: bool,
    secure: bool,
}

impl IntoResponse for SignInFirst {
    fn into_response(self) -> Response {
        let target = format!("/login?reason={}", self.reason);
        let mut response = if self.htmx {
            let mut r = StatusCode::OK.into_response();
            if let Ok(v) = HeaderValue::from_str(&target) {
                r.headers_mut().insert("HX-Redirect", v);
            }
            r
        } else {
            Redirect::to(&target).into_response()
        };
        if self.clear_cookie {
            response
                .headers_mut()
                .insert(header::SET_COOKIE, cookie(None, self.secure));
        }
        response
    }
}

/// What the cache knows of a request's session.
enum Cached {
    /// Idle longer than allowed: signed out.
    Idle,
    Fresh(SignedIn),
    /// Unknown to this replica, or its access token is about to expire.
    Renew,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = SignInFirst;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let reject = |reason, clear_cookie| SignInFirst {
            htmx: parts.headers.contains_key("HX-Request"),
            reason,
            clear_cookie,
            secure: state.secure_cookies,
        };
        let Some(secret) = session_secret(&parts.headers) else {
            return Err(reject("signin", false));
        };
        let cache = &state.sessions;
        let k = key(&secret);
        let cached = {
            let mut entries = cache.lock();
            match entries.get_mut(&k) {
                Some(e) if e.last_seen.elapsed() > cache.idle => {
                    entries.remove(&k);
                    Cached::Idle
                }
                Some(e) if e.access_expires_at - RENEW_BEFORE > now_unix() => {
                    e.last_seen = Instant::now();
                    Cached::Fresh(SignedIn {
                        user: e.user.clone(),
                        token: e.access_token.clone(),
                    })
                }
                _ => Cached::Renew,
            }
        };
        match cached {
            Cached::Idle => {
                let mut accounts = state.services.accounts.clone();
                let _ = accounts
                    .logout(pb::LogoutRequest {
                        session_token: secret.clone(),
                    })
                    .await;
                Err(reject("idle", true))
            }
            Cached::Fresh(signed_in) => Ok(signed_in),
            Cached::Renew => {
                let mut accounts = state.services.accounts.clone();
                match accounts
                    .refresh(pb::RefreshRequest {
                        session_token: secret.clone(),
                    })
                    .await
                {
                    Ok(r) => {
                        let login = r.into_inner();
                        cache.remember(&secret, &login);
                        Ok(SignedIn {
                            user: login.user.unwrap_or_default(),
                            token: login.access_token,
                        })
                    }
                    Err(_) => {
                        cache.forget(&secret);
                        Err(reject("ended", true))
                    }
                }
            }
        }
    }
}
