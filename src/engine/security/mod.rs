//! The security layer (execution.md §4, model.md §15): resource policies, AWS_IAM (SigV4
//! against configured credentials), Lambda TOKEN/REQUEST authorizers with their result cache,
//! and Cognito-style JWT authorizers verified against configured JWKS.
//!
//! Everything per request is read from state built once: resource policies (parsed when their
//! deployment is compiled, `CompiledDeployment::resource_policy`), compiled
//! identity-validation expressions, cached authorizer results (bounded in bytes) and JWKS.

pub mod iam;
pub mod jwks;
pub mod jwt;
pub mod lambda_authorizer;
pub mod shared_cache;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use regex::Regex;

pub use super::context::AuthorizerContext;
use super::context::RequestContext;
use super::resource_policy::Policy;
pub use super::types::{IamCredential, JwksSource};

/// Key of one cached authorizer result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthCacheKey {
    pub api_id: Arc<str>,
    pub stage: String,
    pub authorizer_id: String,
    pub identity: String,
}

/// A cached Lambda authorizer result.
#[derive(Debug)]
pub struct CachedAuthorization {
    pub output: Arc<lambda_authorizer::AuthorizerOutput>,
    pub ttl: Duration,
    /// Bytes of the function's answer the output was parsed from (its share of the bound).
    pub output_bytes: usize,
}

/// The default byte bound of the Lambda authorizer result cache (every stage and authorizer
/// together; `EngineConfig::authorizer_cache_bytes`):
/// each entry weighs its key, the function's answer and [`AUTHORIZER_ENTRY_OVERHEAD`]. A flood
/// of distinct tokens evicts older results (moka's TinyLFU policy) instead of growing memory.
pub const AUTHORIZER_CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// What an authorizer cache entry costs beyond its strings (the parsed policy's structure,
/// moka's bookkeeping).
pub const AUTHORIZER_ENTRY_OVERHEAD: usize = 512;

/// The weight of one authorizer cache entry, in bytes (saturating at `u32::MAX`).
pub fn authorizer_entry_weight(key: &AuthCacheKey, value: &CachedAuthorization) -> u32 {
    let bytes = key.api_id.len()
        + key.stage.len()
        + key.authorizer_id.len()
        + key.identity.len()
        + value.output_bytes
        + AUTHORIZER_ENTRY_OVERHEAD;
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

/// Entries and weighed bytes of the authorizer result cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthorizerCacheStats {
    pub entries: u64,
    pub weighted_bytes: u64,
    pub capacity_bytes: u64,
}

struct PerEntryTtl;

impl moka::Expiry<AuthCacheKey, Arc<CachedAuthorization>> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &AuthCacheKey,
        value: &Arc<CachedAuthorization>,
        _now: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The security layer's shared state.
pub struct Security {
    pub(crate) authorizer_cache: moka::sync::Cache<AuthCacheKey, Arc<CachedAuthorization>>,
    authorizer_cache_capacity: u64,
    iam: arc_swap::ArcSwap<HashMap<String, IamCredential>>,
    /// The credential local Lambda workers get in their environment (generated per process,
    /// always accepted besides the configured `[iam]` ones), so that a handler's unchanged
    /// boto3 client can sign `@connections` calls.
    worker: IamCredential,
    pub(crate) jwks: jwks::JwksRegistry,
    regexes: RwLock<HashMap<String, Option<Arc<Regex>>>>,
}

impl Default for Security {
    fn default() -> Security {
        Security::new(AUTHORIZER_CACHE_BYTES)
    }
}

impl Security {
    /// With an authorizer result cache bounded at `authorizer_cache_bytes`.
    pub fn new(authorizer_cache_bytes: u64) -> Security {
        let worker = worker_credential();
        Security {
            authorizer_cache_capacity: authorizer_cache_bytes,
            authorizer_cache: moka::sync::Cache::builder()
                .max_capacity(authorizer_cache_bytes)
                .weigher(|k: &AuthCacheKey, v: &Arc<CachedAuthorization>| {
                    authorizer_entry_weight(k, v)
                })
                .expire_after(PerEntryTtl)
                .support_invalidation_closures()
                .build(),
            iam: arc_swap::ArcSwap::from_pointee(HashMap::from([(
                worker.access_key_id.clone(),
                worker.clone(),
            )])),
            worker,
            jwks: jwks::JwksRegistry::default(),
            regexes: RwLock::new(HashMap::new()),
        }
    }

    pub fn set_iam_credentials(&self, credentials: Vec<IamCredential>) {
        let mut map: HashMap<String, IamCredential> = credentials
            .into_iter()
            .map(|c| (c.access_key_id.clone(), c))
            .collect();
        map.insert(self.worker.access_key_id.clone(), self.worker.clone());
        self.iam.store(Arc::new(map));
    }

    /// The local Lambda workers' credential.
    pub fn worker_credential(&self) -> &IamCredential {
        &self.worker
    }

    /// The credentials SigV4 checks accept: the configured `[iam]` ones and the workers'.
    pub fn iam_credentials(&self) -> Arc<HashMap<String, IamCredential>> {
        self.iam.load_full()
    }

    /// The authorizer result cache's size, after moka's pending evictions have run.
    pub fn authorizer_cache_stats(&self) -> AuthorizerCacheStats {
        self.authorizer_cache.run_pending_tasks();
        AuthorizerCacheStats {
            entries: self.authorizer_cache.entry_count(),
            weighted_bytes: self.authorizer_cache.weighted_size(),
            capacity_bytes: self.authorizer_cache_capacity,
        }
    }

    /// Drops the stage's cached authorizer results (FlushStageAuthorizersCache).
    pub fn flush_stage(&self, api_id: &str, stage: &str) {
        let (api, stage) = (api_id.to_string(), stage.to_string());
        // Only fails when invalidation closures are not enabled, which they are.
        let _ = self
            .authorizer_cache
            .invalidate_entries_if(move |k, _| &*k.api_id == api.as_str() && k.stage == stage);
    }

    /// The deployment's resource policy (parsed when the deployment was compiled; a stored
    /// policy that does not parse denies everything).
    pub fn resource_policy(&self, ctx: &RequestContext<'_>) -> Option<Arc<Policy>> {
        ctx.deployment.as_ref()?.resource_policy.clone()
    }

    /// A compiled whole-match regex for an identity validation expression (`None`: invalid).
    pub fn regex(&self, expr: &str) -> Option<Arc<Regex>> {
        if let Some(r) = self
            .regexes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(expr)
        {
            return r.clone();
        }
        let compiled = Regex::new(&format!("^(?:{expr})$")).ok().map(Arc::new);
        self.regexes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(expr.to_string(), compiled.clone());
        compiled
    }
}

/// `arn:aws:execute-api:{region}:{acct}:{apiId}/{stage}/{VERB}/{path}` with the request path
/// without its leading `/` (execution.md §3).
pub fn method_arn(ctx: &RequestContext<'_>) -> String {
    let verb = ctx
        .header("x-http-method-override")
        .map(str::to_ascii_uppercase)
        .unwrap_or_else(|| ctx.req.method.as_str().to_string());
    format!(
        "arn:aws:execute-api:{}:{}:{}/{}/{}/{}",
        super::REGION,
        super::ACCOUNT_ID,
        ctx.req.api_id,
        ctx.req.stage,
        verb,
        ctx.req.path.trim_start_matches('/')
    )
}

/// The method ARN with the account masked (`********` + last 4 digits), as resource-policy
/// denials print it.
pub fn masked_arn(arn: &str) -> String {
    let account = super::ACCOUNT_ID;
    let masked = format!("********{}", &account[account.len().saturating_sub(4)..]);
    arn.replacen(&format!(":{account}:"), &format!(":{masked}:"), 1)
}

/// A fresh credential for local Lambda workers: `ASIAGWTUI` + 11 random characters, a
/// 40-character secret, user `gwtui-lambda`.
fn worker_credential() -> IamCredential {
    use rand::Rng as _;
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const ANY: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| char::from(set[rng.random_range(0..set.len())]))
            .collect()
    };
    IamCredential {
        access_key_id: format!("ASIAGWTUI{}", pick(UPPER, 11)),
        secret_access_key: pick(ANY, 40),
        user: Some("gwtui-lambda".into()),
        session_token: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(output_bytes: usize) -> Arc<CachedAuthorization> {
        let output = lambda_authorizer::parse_output(
            br#"{"principalId":"p","policyDocument":{"Version":"2012-10-17","Statement":[]}}"#,
        )
        .unwrap_or_else(|| panic!("valid output"));
        Arc::new(CachedAuthorization {
            output: Arc::new(output),
            ttl: Duration::from_secs(300),
            output_bytes,
        })
    }

    #[test]
    fn the_authorizer_cache_is_bounded_in_bytes_under_distinct_tokens() {
        let security = Security::default();
        // 64 KiB answers: the bound holds ~256 of them; 3,000 distinct tokens go through.
        for i in 0..3_000 {
            security.authorizer_cache.insert(
                AuthCacheKey {
                    api_id: Arc::from("api"),
                    stage: "test".into(),
                    authorizer_id: "a1".into(),
                    identity: format!("token-{i}"),
                },
                cached(64 * 1024),
            );
        }
        let stats = security.authorizer_cache_stats();
        assert!(stats.weighted_bytes <= AUTHORIZER_CACHE_BYTES, "{stats:?}");
        assert!(stats.entries <= 256, "{stats:?}");
        assert!(stats.entries > 50, "{stats:?}");
    }
}
