//! JSON Web Key Sets for JWT authorizers: one provider per configured `[jwks."ARN"]` source
//! (a file or a URL), its key set cached for [`JWKS_TTL`].
//!
//! Fetching is hardened for the hot path:
//! - **single flight**: one fetch per provider at a time; requests that needed the keys while it
//!   ran take its outcome instead of fetching again (so a burst of tokens with an unknown `kid`
//!   costs one fetch);
//! - an unknown `kid` refetches a fresh set at most every [`JWKS_REFRESH_MIN`];
//! - a fetch is bounded in time ([`JWKS_FETCH_TIMEOUT`]) and size ([`MAX_JWKS_BYTES`]);
//! - a failed fetch is not retried for [`JWKS_RETRY_AFTER`] (requests fail fast meanwhile);
//! - a key set past its TTL is never used: if the refetch fails, tokens are refused;
//! - requests read the cache and the provider map without locking (`ArcSwap`); the async
//!   single-flight lock is per provider and taken only to fetch, so a slow or failing provider
//!   stalls no other.
//!
//! The provider map is built from the config only (no request adds to it), so it is bounded by
//! the config.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::JwkSet;

use super::JwksSource;

/// How long a fetched (or read) key set is used.
pub const JWKS_TTL: Duration = Duration::from_secs(600);
/// An unknown `kid` refetches a key set at most this often.
pub const JWKS_REFRESH_MIN: Duration = Duration::from_secs(30);
/// The longest one JWKS fetch (connect, headers and body) may take.
pub const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed fetch, the provider is not asked again for this long.
pub const JWKS_RETRY_AFTER: Duration = Duration::from_secs(5);
/// The largest JWKS document accepted (Cognito's are under 2 KB).
pub const MAX_JWKS_BYTES: usize = 1 << 20;

/// What the last fetch left; replaced whole, only by the fetch holding the single-flight lock.
#[derive(Default)]
struct State {
    /// The last key set fetched and when.
    keys: Option<(Instant, Arc<JwkSet>)>,
    /// The last fetch's failure and when it ended (cleared by a success).
    failure: Option<(Instant, String)>,
    /// Completed fetches, so a waiter can tell that one ran while it waited.
    attempts: u64,
}

/// One JWKS source with its cached key set.
pub(crate) struct Provider {
    pub(crate) source: JwksSource,
    state: ArcSwap<State>,
    /// Held while fetching: the single-flight lock (the only writer of `state`).
    fetching: tokio::sync::Mutex<()>,
    /// Fetches started (read by the tests).
    fetches: std::sync::atomic::AtomicU64,
}

/// What the cache can answer without fetching.
enum Cached {
    Hit(Arc<JwkSet>),
    Failed(String),
    Miss { attempts: u64 },
}

impl Provider {
    pub(crate) fn new(source: JwksSource) -> Provider {
        Provider {
            source,
            state: ArcSwap::from_pointee(State::default()),
            fetching: tokio::sync::Mutex::new(()),
            fetches: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn cached(&self, kid: &str, now: Instant) -> Cached {
        let state = self.state.load();
        if let Some((at, set)) = &state.keys {
            let age = now.saturating_duration_since(*at);
            if age < JWKS_TTL && (set.find(kid).is_some() || age < JWKS_REFRESH_MIN) {
                return Cached::Hit(set.clone());
            }
        }
        if let Some((at, error)) = &state.failure
            && now.saturating_duration_since(*at) < JWKS_RETRY_AFTER
        {
            return Cached::Failed(error.clone());
        }
        Cached::Miss {
            attempts: state.attempts,
        }
    }

    /// The key set to look `kid` up in: the cached one while fresh (and, for an unknown
    /// `kid`, younger than [`JWKS_REFRESH_MIN`]), else a refetched one. `now` is the request's
    /// time; a fetch's outcome is dated by it (so a set counts as older, never younger).
    pub(crate) async fn key_set(
        &self,
        http: &reqwest::Client,
        kid: &str,
        now: Instant,
    ) -> Result<Arc<JwkSet>, String> {
        let seen = match self.cached(kid, now) {
            Cached::Hit(set) => return Ok(set),
            Cached::Failed(error) => return Err(error),
            Cached::Miss { attempts } => attempts,
        };
        let _flight = self.fetching.lock().await;
        let before = self.state.load_full();
        if before.attempts != seen {
            // A fetch completed while this request waited: take its outcome.
            return match (&before.failure, &before.keys) {
                (Some((_, error)), _) => Err(error.clone()),
                (None, Some((_, set))) => Ok(set.clone()),
                (None, None) => Err("the key set is unavailable".into()),
            };
        }
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let outcome = self.fetch(http).await.map(Arc::new);
        let attempts = before.attempts + 1;
        let after = match &outcome {
            Ok(set) => State {
                keys: Some((now, set.clone())),
                failure: None,
                attempts,
            },
            Err(error) => State {
                keys: before.keys.clone(),
                failure: Some((now, error.clone())),
                attempts,
            },
        };
        self.state.store(Arc::new(after));
        outcome
    }

    /// Fetches started so far.
    #[cfg(test)]
    fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn fetch(&self, http: &reqwest::Client) -> Result<JwkSet, String> {
        let bytes = if let Some(file) = &self.source.file {
            let bytes = tokio::fs::read(file)
                .await
                .map_err(|e| format!("cannot read JWKS {}: {e}", file.display()))?;
            if bytes.len() > MAX_JWKS_BYTES {
                return Err(format!(
                    "JWKS {} is larger than {MAX_JWKS_BYTES} bytes",
                    file.display()
                ));
            }
            bytes
        } else if let Some(url) = &self.source.url {
            fetch_url(http, url).await?
        } else {
            return Err("the JWKS source names neither a file nor a url".into());
        };
        serde_json::from_slice(&bytes).map_err(|e| format!("malformed JWKS: {e}"))
    }
}

async fn fetch_url(http: &reqwest::Client, url: &str) -> Result<Vec<u8>, String> {
    let mut response = http
        .get(url)
        .timeout(JWKS_FETCH_TIMEOUT)
        .send()
        .await
        .map_err(|e| format!("cannot fetch JWKS {url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("JWKS {url} answered {}", response.status()));
    }
    let too_large = || format!("JWKS {url} is larger than {MAX_JWKS_BYTES} bytes");
    if response
        .content_length()
        .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("cannot read JWKS {url}: {e}"))?
    {
        if body.len() + chunk.len() > MAX_JWKS_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// JWKS sources by provider ARN (or user-pool id), with their cached key sets.
#[derive(Default)]
pub struct JwksRegistry {
    providers: ArcSwap<HashMap<String, Arc<Provider>>>,
}

impl JwksRegistry {
    pub fn set(&self, sources: Vec<(String, JwksSource)>) {
        let map = sources
            .into_iter()
            .map(|(k, source)| (k, Arc::new(Provider::new(source))))
            .collect();
        self.providers.store(Arc::new(map));
    }

    pub(crate) fn provider(&self, arn: &str) -> Option<Arc<Provider>> {
        let providers = self.providers.load();
        providers
            .get(arn)
            .or_else(|| pool_id(arn).and_then(|id| providers.get(id)))
            .cloned()
    }
}

/// `arn:aws:cognito-idp:{region}:{acct}:userpool/{poolId}` → `poolId`.
pub(crate) fn pool_id(arn: &str) -> Option<&str> {
    arn.rsplit_once(":userpool/").map(|(_, id)| id)
}

#[cfg(test)]
#[path = "jwks_tests.rs"]
mod tests;
