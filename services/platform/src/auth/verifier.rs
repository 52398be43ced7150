//! Local token verification: the accounts service's public keys and its list of ended
//! sessions, re-read at most a minute apart (`auth.revocation_refresh_secs`) (and at once, at most every few seconds, when a
//! token names a key not seen yet, as after a rotation).

use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use ogi_proto::v1::accounts_service_client::AccountsServiceClient;
use ogi_proto::v1::{GetRevocationsRequest, GetSigningKeysRequest};
use tonic::transport::Channel;

use super::token::{self, Claims, TokenError};

/// How old the keys and revocations may be at most: a disabled user or changed roles take
/// effect everywhere within this (the default of `auth.revocation_refresh_secs`).
pub const REFRESH_EVERY: Duration = Duration::from_secs(60);
/// The least time between two reads forced by the same unknown key id.
const UNKNOWN_KEY_PAUSE: Duration = Duration::from_secs(5);
/// Unknown key ids remembered at most (the memory is cleared beyond).
const UNKNOWN_KEYS_KEPT: usize = 1024;

#[derive(Default)]
struct Known {
    keys: HashMap<String, Vec<u8>>,
    revoked: HashSet<String>,
    fetched_at: Option<Instant>,
    /// Key ids not found, and when they were last looked for.
    unknown: HashMap<String, Instant>,
}

pub struct Verifier {
    client: AccountsServiceClient<Channel>,
    known: RwLock<Known>,
    refreshing: tokio::sync::Mutex<()>,
    /// How old the keys and revocations may be (at most [`REFRESH_EVERY`]).
    refresh_every: Duration,
}

impl Verifier {
    pub fn new(accounts_url: &str, refresh_every: Duration) -> anyhow::Result<Verifier> {
        let channel = tonic::transport::Endpoint::from_shared(accounts_url.to_string())?
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .connect_lazy();
        Ok(Verifier {
            client: AccountsServiceClient::new(channel),
            known: RwLock::new(Known::default()),
            refreshing: tokio::sync::Mutex::new(()),
            refresh_every: refresh_every.min(REFRESH_EVERY),
        })
    }

    fn age(&self) -> Option<Duration> {
        self.known
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .fetched_at
            .map(|t| t.elapsed())
    }

    /// Re-read keys and revocations when older than `max_age`.
    async fn refresh(&self, max_age: Duration) -> Result<(), TokenError> {
        let _turn = self.refreshing.lock().await;
        if self.age().is_some_and(|a| a < max_age) {
            return Ok(());
        }
        self.fetch().await
    }

    /// A token names key `kid`, not known here: read the keys at once (a rotation), unless
    /// the same id was looked for a moment ago. A read under way is waited for.
    async fn look_for_key(&self, kid: &str) -> Result<(), TokenError> {
        let _turn = self.refreshing.lock().await;
        {
            let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
            if known.keys.contains_key(kid) {
                return Ok(());
            }
            if known
                .unknown
                .get(kid)
                .is_some_and(|at| at.elapsed() < UNKNOWN_KEY_PAUSE)
            {
                return Ok(());
            }
            if known.unknown.len() >= UNKNOWN_KEYS_KEPT {
                known.unknown.clear();
            }
            known.unknown.insert(kid.to_string(), Instant::now());
        }
        self.fetch().await
    }

    /// Read keys and revocations (the caller holds `refreshing`).
    async fn fetch(&self) -> Result<(), TokenError> {
        let unavailable = |e: tonic::Status| TokenError::Unavailable(e.message().to_string());
        let mut client = self.client.clone();
        let keys = client
            .get_signing_keys(GetSigningKeysRequest {})
            .await
            .map_err(unavailable)?
            .into_inner();
        let revoked = client
            .get_revocations(GetRevocationsRequest {})
            .await
            .map_err(unavailable)?
            .into_inner();
        let mut known = self.known.write().unwrap_or_else(|e| e.into_inner());
        known.keys = keys
            .keys
            .into_iter()
            .map(|k| (k.key_id, k.public_key))
            .collect();
        known.revoked = revoked.session_ids.into_iter().collect();
        known.fetched_at = Some(Instant::now());
        Ok(())
    }

    fn check(&self, token: &str, now: Option<i64>) -> Result<Claims, TokenError> {
        let known = self.known.read().unwrap_or_else(|e| e.into_inner());
        let claims = token::verify(token, &known.keys, now)?;
        if now.is_some() && known.revoked.contains(&claims.sid) {
            return Err(TokenError::Revoked);
        }
        Ok(claims)
    }

    /// The agency registry, read with the caller's token.
    async fn agencies(&self, token: &str) -> Result<Vec<ogi_proto::v1::Agency>, tonic::Status> {
        let mut request = tonic::Request::new(ogi_proto::v1::ListAgenciesRequest {});
        let value = format!("Bearer {token}")
            .parse()
            .map_err(|_| tonic::Status::unauthenticated(TokenError::Malformed.to_string()))?;
        request.metadata_mut().insert("authorization", value);
        Ok(self
            .client
            .clone()
            .list_agencies(request)
            .await?
            .into_inner()
            .agencies)
    }

    /// What the registry says about `agency`'s letters (its document-number prefix and its
    /// reconsideration body), read with the caller's token; empty fields when the agency is
    /// not registered or registered without them.
    pub async fn letterhead(
        &self,
        token: &str,
        agency: &str,
    ) -> Result<ogi_core::letters::RegisteredLetterhead, tonic::Status> {
        Ok(self
            .agencies(token)
            .await?
            .into_iter()
            .find(|a| a.name == agency)
            .map(|a| ogi_core::letters::RegisteredLetterhead {
                letter_prefix: a.letter_prefix,
                reconsideration_body: a.reconsideration_body,
            })
            .unwrap_or_default())
    }

    /// The agency registry's hierarchy, read with the caller's token.
    pub async fn registry(
        &self,
        token: &str,
    ) -> Result<ogi_core::access::Hierarchy, tonic::Status> {
        let list = self.agencies(token).await?;
        ogi_core::access::Hierarchy::new(
            list.into_iter()
                .map(|a| (a.name, Some(a.parent).filter(|p| !p.is_empty()))),
        )
        .map_err(|e| tonic::Status::internal(e.to_string()))
    }

    /// Verify `token` (signature, expiry, revocation) at `now` (unix seconds); with `now`
    /// `None`, the signature only.
    pub async fn verify(&self, token: &str, now: Option<i64>) -> Result<Claims, TokenError> {
        if self.age().is_none_or(|a| a >= self.refresh_every) {
            self.refresh(self.refresh_every).await?;
        }
        match self.check(token, now) {
            Err(TokenError::UnknownKey(kid)) => {
                self.look_for_key(&kid).await?;
                self.check(token, now)
            }
            other => other,
        }
    }
}
