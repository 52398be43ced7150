//! Access tokens: compact JWS (JWT) signed with Ed25519 (`alg` EdDSA), the key named by `kid`
//! so that a rotated key's tokens stay verifiable while they live.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ogi_core::access::{Principal, Role, Scope};
use ring::signature::{self, Ed25519KeyPair, KeyPair};
use serde::{Deserialize, Serialize};

/// The issuer of every token.
pub const ISSUER: &str = "ogi-accounts";

/// What a token says about its user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The user name.
    pub sub: String,
    /// The session the token belongs to (revocation is by session).
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
    pub agency: String,
    #[serde(default)]
    pub department: String,
    pub roles: Vec<String>,
    pub scope: String,
    /// The agencies the scope reaches.
    pub agencies: Vec<String>,
}

impl Claims {
    pub fn principal(&self) -> Result<Principal, TokenError> {
        let roles = self
            .roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| TokenError::Malformed)?;
        let scope: Scope = self.scope.parse().map_err(|_| TokenError::Malformed)?;
        Ok(Principal {
            username: self.sub.clone(),
            agency: self.agency.clone(),
            department: self.department.clone(),
            roles,
            scope,
            agencies: self.agencies.clone(),
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    typ: String,
    kid: String,
}

/// Why a token is not accepted, in Chinese (UNAUTHENTICATED).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("缺少登录凭据：请先运行 ogi login 登录")]
    Missing,
    #[error("登录凭据格式无效：请重新运行 ogi login 登录")]
    Malformed,
    #[error("登录凭据的签名密钥未知（{0}）：请重新运行 ogi login 登录")]
    UnknownKey(String),
    #[error("登录凭据签名无效")]
    BadSignature,
    #[error("登录已过期：请重新运行 ogi login 登录")]
    Expired,
    #[error("会话已结束（用户被停用、角色变更或已退出）：请重新运行 ogi login 登录")]
    Revoked,
    #[error("账户服务不可用，无法核验登录凭据：{0}")]
    Unavailable(String),
}

/// An Ed25519 signing key with its id.
pub struct SigningKeyPair {
    pub kid: String,
    pkcs8: Vec<u8>,
    pair: Ed25519KeyPair,
}

impl SigningKeyPair {
    /// A new random key.
    pub fn generate(kid: String) -> anyhow::Result<SigningKeyPair> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| anyhow::anyhow!("cannot generate an Ed25519 key"))?;
        SigningKeyPair::from_pkcs8(kid, pkcs8.as_ref())
    }

    /// A stored key (PKCS#8 v2 DER).
    pub fn from_pkcs8(kid: String, pkcs8: &[u8]) -> anyhow::Result<SigningKeyPair> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
            .map_err(|e| anyhow::anyhow!("signing key {kid} is not an Ed25519 PKCS#8 key: {e}"))?;
        Ok(SigningKeyPair {
            kid,
            pkcs8: pkcs8.to_vec(),
            pair,
        })
    }

    /// A key from a PEM file (`-----BEGIN PRIVATE KEY-----`, PKCS#8 v1 as `openssl genpkey
    /// -algorithm ed25519` writes it, or v2).
    pub fn from_pem(kid: String, pem: &str) -> anyhow::Result<SigningKeyPair> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| anyhow::anyhow!("signing key {kid}: not PEM: {e}"))?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| anyhow::anyhow!("signing key {kid} is not an Ed25519 PKCS#8 key: {e}"))?;
        Ok(SigningKeyPair {
            kid,
            pkcs8: der,
            pair,
        })
    }

    /// The key as PEM (PKCS#8 v2).
    pub fn to_pem(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.pkcs8);
        let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PRIVATE KEY-----\n");
        out
    }

    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The raw 32-byte public key.
    pub fn public_key(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            typ: "JWT".into(),
            kid: self.kid.clone(),
        };
        let head = B64.encode(serde_json::to_vec(&header).unwrap_or_default());
        let body = B64.encode(serde_json::to_vec(claims).unwrap_or_default());
        let signing_input = format!("{head}.{body}");
        let sig = self.pair.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", B64.encode(sig.as_ref()))
    }
}

/// The key id a token names, without verifying anything.
pub fn key_id(token: &str) -> Result<String, TokenError> {
    let head = token.split('.').next().ok_or(TokenError::Malformed)?;
    let bytes = B64.decode(head).map_err(|_| TokenError::Malformed)?;
    let header: Header = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    if header.alg != "EdDSA" {
        return Err(TokenError::Malformed);
    }
    Ok(header.kid)
}

/// Verify a token's signature with `keys` (key id → raw public key) and, when `now` is given,
/// its expiry (unix seconds).
pub fn verify(
    token: &str,
    keys: &HashMap<String, Vec<u8>>,
    now: Option<i64>,
) -> Result<Claims, TokenError> {
    let kid = key_id(token)?;
    let public = keys.get(&kid).ok_or(TokenError::UnknownKey(kid))?;
    let (signing_input, sig) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let sig = B64.decode(sig).map_err(|_| TokenError::Malformed)?;
    signature::UnparsedPublicKey::new(&signature::ED25519, public)
        .verify(signing_input.as_bytes(), &sig)
        .map_err(|_| TokenError::BadSignature)?;
    let body = signing_input
        .split('.')
        .nth(1)
        .ok_or(TokenError::Malformed)?;
    let bytes = B64.decode(body).map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)?;
    if claims.iss != ISSUER {
        return Err(TokenError::Malformed);
    }
    if let Some(now) = now
        && now >= claims.exp
    {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims {
        Claims {
            iss: ISSUER.into(),
            sub: "wang".into(),
            sid: "s1".into(),
            iat: 1000,
            exp,
            agency: "遂宁市安居区人民政府".into(),
            department: String::new(),
            roles: vec!["handler".into()],
            scope: "own".into(),
            agencies: vec!["遂宁市安居区人民政府".into()],
        }
    }

    #[test]
    fn a_signed_token_verifies_until_it_expires() {
        let key = SigningKeyPair::generate("k1".into()).unwrap();
        let keys = HashMap::from([(key.kid.clone(), key.public_key())]);
        let token = key.sign(&claims(2000));
        let c = verify(&token, &keys, Some(1999)).unwrap();
        assert_eq!(c.principal().unwrap().username, "wang");
        assert_eq!(verify(&token, &keys, Some(2000)), Err(TokenError::Expired));
        assert!(verify(&token, &keys, None).is_ok(), "expiry not asked");
    }

    #[test]
    fn tampering_and_unknown_keys_are_refused() {
        let key = SigningKeyPair::generate("k1".into()).unwrap();
        let other = SigningKeyPair::generate("k1".into()).unwrap();
        let keys = HashMap::from([(key.kid.clone(), key.public_key())]);
        let token = other.sign(&claims(2000));
        assert_eq!(
            verify(&token, &keys, Some(0)),
            Err(TokenError::BadSignature)
        );
        let mut forged = claims(2000);
        forged.roles = vec!["office".into()];
        let good = key.sign(&claims(2000));
        let (head, rest) = good.split_once('.').unwrap();
        let sig = rest.rsplit_once('.').unwrap().1;
        let body = B64.encode(serde_json::to_vec(&forged).unwrap());
        assert_eq!(
            verify(&format!("{head}.{body}.{sig}"), &keys, Some(0)),
            Err(TokenError::BadSignature)
        );
        let rotated = SigningKeyPair::generate("k2".into()).unwrap();
        assert_eq!(
            verify(&rotated.sign(&claims(2000)), &keys, Some(0)),
            Err(TokenError::UnknownKey("k2".into()))
        );
        assert_eq!(
            verify("garbage", &keys, Some(0)),
            Err(TokenError::Malformed)
        );
    }

    #[test]
    fn a_stored_key_signs_like_the_original() {
        let key = SigningKeyPair::generate("k1".into()).unwrap();
        let again = SigningKeyPair::from_pkcs8("k1".into(), key.pkcs8()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let from_pem = SigningKeyPair::from_pem("k1".into(), &key.to_pem()).unwrap();
        assert_eq!(from_pem.public_key(), key.public_key());
        // As `openssl genpkey -algorithm ed25519` writes it (PKCS#8 v1, no public key).
        let openssl = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIOrhoId6GAbnM5UPiySe1KrJMOt3EmoyIXiOXPa5VWqt\n-----END PRIVATE KEY-----\n";
        let v1 = SigningKeyPair::from_pem("k2".into(), openssl).unwrap();
        assert_eq!(v1.public_key().len(), 32);
        assert!(SigningKeyPair::from_pem("k3".into(), "not a key").is_err());
    }
}
