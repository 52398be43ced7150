//! Single sign-on through an agency's OpenID Connect provider: authorization code with PKCE.
//! The client (the CLI) holds the code verifier; this service keeps the state and nonce of
//! each sign-in under way, exchanges the code at the provider's token endpoint and checks the
//! ID token: its signature with the provider's published keys (JWKS, RS256 or ES256), the
//! issuer, the audience (ogi's client id), the nonce and the expiry.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ogi_platform::auth::sso;
use ogi_platform::config::OidcSettings;
use serde::Deserialize;

/// How long a sign-in may take between BeginSso and CompleteSso.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// Clock skew allowed on the ID token's expiry.
const LEEWAY_SECS: i64 = 60;

/// Why single sign-on failed, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("未配置单点登录（ogi.toml 的 [auth.oidc]）")]
    NotConfigured,
    #[error("回调地址「{0}」无效：只接受本机回环地址 http://127.0.0.1:端口/…")]
    BadRedirect(String),
    #[error("单点登录请求已失效或不存在：请重新运行 ogi login --sso")]
    UnknownState,
    #[error("统一身份认证服务不可用：{0}")]
    Provider(String),
    #[error("统一身份认证服务返回的身份令牌无效：{0}")]
    BadIdToken(String),
}

struct Pending {
    nonce: String,
    redirect_uri: String,
    code_challenge: String,
    at: Instant,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize, Clone)]
struct Jwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    id_token: Option<String>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Single sign-on with one provider.
pub struct Sso {
    settings: OidcSettings,
    client_secret: Option<String>,
    http: reqwest::Client,
    pending: Mutex<HashMap<String, Pending>>,
}

impl Sso {
    pub fn new(settings: OidcSettings) -> anyhow::Result<Sso> {
        let client_secret = settings.client_secret.clone().or_else(|| {
            std::env::var("OGI_OIDC_CLIENT_SECRET")
                .ok()
                .filter(|s| !s.is_empty())
        });
        Ok(Sso {
            settings,
            client_secret,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            pending: Mutex::new(HashMap::new()),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, SsoError> {
        let provider = |e: reqwest::Error| SsoError::Provider(format!("{url}：{e}"));
        self.http
            .get(url)
            .send()
            .await
            .map_err(provider)?
            .error_for_status()
            .map_err(provider)?
            .json()
            .await
            .map_err(provider)
    }

    async fn discovery(&self) -> Result<Discovery, SsoError> {
        let url = format!(
            "{}/.well-known/openid-configuration",
            self.settings.issuer.trim_end_matches('/')
        );
        let d: Discovery = self.get_json(&url).await?;
        if d.issuer != self.settings.issuer {
            return Err(SsoError::Provider(format!(
                "发现文档的 issuer「{}」与配置的「{}」不一致",
                d.issuer, self.settings.issuer
            )));
        }
        Ok(d)
    }

    /// The provider's authorization URL for a new sign-in, and its state.
    pub async fn begin(
        &self,
        redirect_uri: &str,
        code_challenge: &str,
    ) -> Result<(String, String), SsoError> {
        if !sso::is_loopback_redirect(redirect_uri) {
            return Err(SsoError::BadRedirect(redirect_uri.to_string()));
        }
        if code_challenge.len() != 43 {
            return Err(SsoError::Provider(
                "缺少 PKCE 校验码（code_challenge，S256）".into(),
            ));
        }
        let d = self.discovery().await?;
        let random = |n| sso::random_token(n).map_err(|e| SsoError::Provider(e.to_string()));
        let state = random(24)?;
        let nonce = random(24)?;
        let url = format!(
            "{}{}response_type=code&client_id={}&redirect_uri={}&scope={}&state={}&nonce={}&code_challenge={}&code_challenge_method=S256",
            d.authorization_endpoint,
            if d.authorization_endpoint.contains('?') {
                '&'
            } else {
                '?'
            },
            sso::percent_encode(&self.settings.client_id),
            sso::percent_encode(redirect_uri),
            sso::percent_encode("openid profile"),
            state,
            nonce,
            code_challenge,
        );
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, p| p.at.elapsed() < PENDING_FOR);
        pending.insert(
            state.clone(),
            Pending {
                nonce,
                redirect_uri: redirect_uri.to_string(),
                code_challenge: code_challenge.to_string(),
                at: Instant::now(),
            },
        );
        Ok((url, state))
    }

    /// Exchange the code and check the ID token; the ogi user name its claim names.
    pub async fn complete(
        &self,
        state: &str,
        code: &str,
        code_verifier: &str,
    ) -> Result<String, SsoError> {
        let pending = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(state)
            .filter(|p| p.at.elapsed() < PENDING_FOR)
            .ok_or(SsoError::UnknownState)?;
        if sso::code_challenge(code_verifier) != pending.code_challenge {
            return Err(SsoError::BadIdToken("PKCE 校验码与登录请求不符".into()));
        }
        let d = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", pending.redirect_uri.as_str()),
            ("client_id", self.settings.client_id.as_str()),
            ("code_verifier", code_verifier),
        ];
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret));
        }
        let provider = |e: reqwest::Error| SsoError::Provider(format!("{}：{e}", d.token_endpoint));
        let response = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(provider)?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(SsoError::Provider(format!(
                "令牌端点拒绝了授权码（{status}）：{}",
                body.chars().take(300).collect::<String>()
            )));
        }
        let tokens: TokenResponse = response.json().await.map_err(provider)?;
        let id_token = tokens
            .id_token
            .ok_or_else(|| SsoError::BadIdToken("令牌端点未返回 id_token".into()))?;
        let jwks: Jwks = self.get_json(&d.jwks_uri).await?;
        let claims = verify_id_token(&id_token, &jwks.keys)?;
        let now = chrono::Utc::now().timestamp();
        check_claims(&claims, &self.settings, &pending.nonce, now)?;
        claims
            .get(&self.settings.username_claim)
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .ok_or_else(|| {
                SsoError::BadIdToken(format!(
                    "缺少用户名声明「{}」",
                    self.settings.username_claim
                ))
            })
    }
}

fn bad(what: &str) -> SsoError {
    SsoError::BadIdToken(what.to_string())
}

fn b64(part: &str) -> Result<Vec<u8>, SsoError> {
    B64.decode(part.trim_end_matches('='))
        .map_err(|_| bad("不是 base64url 编码"))
}

/// Check the ID token's signature with the provider's keys; its claims.
fn verify_id_token(
    token: &str,
    keys: &[Jwk],
) -> Result<serde_json::Map<String, serde_json::Value>, SsoError> {
    let mut parts = token.split('.');
    let (Some(head), Some(body), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("不是 JWS 紧凑格式"));
    };
    let header: Header = serde_json::from_slice(&b64(head)?).map_err(|_| bad("头部无法解析"))?;
    let signing_input = format!("{head}.{body}");
    let signature = b64(sig)?;
    let candidates: Vec<&Jwk> = keys
        .iter()
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .collect();
    let verified = candidates.iter().any(|key| {
        verify_with(key, &header.alg, signing_input.as_bytes(), &signature).unwrap_or(false)
    });
    if !verified {
        return Err(bad(&format!(
            "签名无法以提供方公布的密钥核验（alg {}，kid {}）",
            header.alg,
            header.kid.as_deref().unwrap_or("无")
        )));
    }
    serde_json::from_slice(&b64(body)?).map_err(|_| bad("声明无法解析"))
}

fn verify_with(key: &Jwk, alg: &str, message: &[u8], signature: &[u8]) -> Option<bool> {
    use ring::signature as sig;
    match (alg, key.kty.as_str()) {
        ("RS256", "RSA") => {
            let n = B64.decode(key.n.as_deref()?).ok()?;
            let e = B64.decode(key.e.as_deref()?).ok()?;
            let public = sig::RsaPublicKeyComponents { n, e };
            Some(
                public
                    .verify(&sig::RSA_PKCS1_2048_8192_SHA256, message, signature)
                    .is_ok(),
            )
        }
        ("ES256", "EC") if key.crv.as_deref() == Some("P-256") => {
            let mut point = vec![4u8];
            point.extend(B64.decode(key.x.as_deref()?).ok()?);
            point.extend(B64.decode(key.y.as_deref()?).ok()?);
            Some(
                sig::UnparsedPublicKey::new(&sig::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, signature)
                    .is_ok(),
            )
        }
        _ => Some(false),
    }
}

/// Issuer, audience, nonce and expiry of verified claims.
fn check_claims(
    claims: &serde_json::Map<String, serde_json::Value>,
    settings: &OidcSettings,
    nonce: &str,
    now: i64,
) -> Result<(), SsoError> {
    if claims.get("iss").and_then(|v| v.as_str()) != Some(settings.issuer.as_str()) {
        return Err(bad("签发者（iss）与配置不符"));
    }
    let audience_ok = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => *a == settings.client_id,
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str() == Some(settings.client_id.as_str())),
        _ => false,
    };
    if !audience_ok {
        return Err(bad("受众（aud）不是 ogi 的客户端"));
    }
    if claims.get("nonce").and_then(|v| v.as_str()) != Some(nonce) {
        return Err(bad("nonce 与登录请求不符（可能是重放）"));
    }
    match claims.get("exp").and_then(|v| v.as_i64()) {
        Some(exp) if exp + LEEWAY_SECS > now => Ok(()),
        Some(_) => Err(bad("已过期")),
        None => Err(bad("缺少过期时间（exp）")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> OidcSettings {
        OidcSettings {
            issuer: "https://sso.example.gov.cn".into(),
            client_id: "ogi".into(),
            client_secret: None,
            username_claim: "preferred_username".into(),
        }
    }

    fn claims(v: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn issuer_audience_nonce_and_expiry_are_checked() {
        let ok = serde_json::json!({
            "iss": "https://sso.example.gov.cn", "aud": ["x", "ogi"], "nonce": "n1", "exp": 1000
        });
        assert!(check_claims(&claims(ok.clone()), &settings(), "n1", 900).is_ok());
        let e = |v: serde_json::Value, nonce: &str, now: i64| {
            check_claims(&claims(v), &settings(), nonce, now)
                .unwrap_err()
                .to_string()
        };
        let mut wrong_iss = ok.clone();
        wrong_iss["iss"] = "https://evil.example".into();
        assert!(e(wrong_iss, "n1", 900).contains("iss"));
        let mut wrong_aud = ok.clone();
        wrong_aud["aud"] = "other".into();
        assert!(e(wrong_aud, "n1", 900).contains("aud"));
        assert!(e(ok.clone(), "n2", 900).contains("nonce"));
        assert!(e(ok, "n1", 1100).contains("过期"));
    }

    #[test]
    fn a_token_that_no_published_key_signed_is_refused() {
        let key = ring::signature::EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            key.as_ref(),
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        use ring::signature::KeyPair;
        let public = pair.public_key().as_ref();
        let jwk = Jwk {
            kty: "EC".into(),
            kid: Some("k1".into()),
            n: None,
            e: None,
            crv: Some("P-256".into()),
            x: Some(B64.encode(&public[1..33])),
            y: Some(B64.encode(&public[33..65])),
        };
        let head = B64.encode(br#"{"alg":"ES256","kid":"k1"}"#);
        let body = B64.encode(br#"{"preferred_username":"cs-sso"}"#);
        let input = format!("{head}.{body}");
        let sig = pair
            .sign(&ring::rand::SystemRandom::new(), input.as_bytes())
            .unwrap();
        let token = format!("{input}.{}", B64.encode(sig.as_ref()));
        let c = verify_id_token(&token, std::slice::from_ref(&jwk)).unwrap();
        assert_eq!(c["preferred_username"], "cs-sso");
        let forged_body = B64.encode(br#"{"preferred_username":"operator"}"#);
        let forged = format!("{head}.{forged_body}.{}", B64.encode(sig.as_ref()));
        assert!(verify_id_token(&forged, &[jwk]).is_err());
    }
}
