//! The Lambda authorizer result cache across nodes: the function's answer (as it returned it)
//! under the stage's authorizer-cache generation in Redis with the authorizer's TTL, so a
//! result cached on one node authorizes on every node and FlushStageAuthorizersCache on any
//! node empties the stage everywhere (a new generation). The key is the authorizer id and the
//! SHA-256 of the node-local cache's identity (the token, or the identity sources' values). Answers over
//! [`MAX_SHARED_ANSWER_BYTES`] are not shared. Redis unreachable: a lookup misses (the
//! function is called), in both failure modes.

use std::sync::Arc;
use std::time::Duration;

use super::AuthCacheKey;
use crate::engine::cache::shared::SharedCache;
use crate::engine::cluster::Cluster;

/// Authorizer answers larger than this are not stored in Redis.
pub const MAX_SHARED_ANSWER_BYTES: usize = 64 * 1024;

fn stage_cache(cluster: &Arc<Cluster>, key: &AuthCacheKey) -> SharedCache {
    SharedCache::of_kind(
        cluster.clone(),
        "az",
        &format!("{}/{}", key.api_id, key.stage),
    )
}

/// The authorizer id, then the identity's SHA-256 (tokens are secrets: Redis never sees one).
fn entry_key(key: &AuthCacheKey) -> String {
    use sha2::Digest;
    let mut k = String::with_capacity(key.authorizer_id.len() + 72);
    crate::engine::cache_key::push_field(&mut k, &key.authorizer_id);
    k.push_str(&hex::encode(sha2::Sha256::digest(key.identity.as_bytes())));
    k
}

/// The cached answer for `key`, if any.
pub async fn get(cluster: &Arc<Cluster>, key: &AuthCacheKey) -> Option<Vec<u8>> {
    stage_cache(cluster, key).get_raw(&entry_key(key)).await
}

/// Caches `answer` for `ttl`.
pub async fn put(cluster: &Arc<Cluster>, key: &AuthCacheKey, answer: &[u8], ttl: Duration) {
    if answer.len() <= MAX_SHARED_ANSWER_BYTES && !ttl.is_zero() {
        stage_cache(cluster, key)
            .put_raw(&entry_key(key), answer, ttl)
            .await;
    }
}

/// FlushStageAuthorizersCache on every node.
pub async fn flush(
    cluster: &Arc<Cluster>,
    api_id: &str,
    stage: &str,
) -> Result<(), crate::engine::cluster::ClusterError> {
    SharedCache::of_kind(cluster.clone(), "az", &format!("{api_id}/{stage}"))
        .flush()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_keys_hide_the_token_and_keep_authorizers_apart() {
        let key = |authorizer: &str, identity: &str| AuthCacheKey {
            api_id: Arc::from("a"),
            stage: "s".into(),
            authorizer_id: authorizer.into(),
            identity: identity.into(),
        };
        let k = entry_key(&key("az1", "secret-token"));
        assert!(!k.contains("secret-token"));
        assert_ne!(k, entry_key(&key("az2", "secret-token")));
        assert_ne!(k, entry_key(&key("az1", "other")));
        assert_eq!(k, entry_key(&key("az1", "secret-token")));
    }
}
