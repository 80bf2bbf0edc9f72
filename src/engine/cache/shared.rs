//! Stage response caches across nodes: entries in Redis under the stage's current generation,
//! with the method's TTL (`PX`); a flush on any node increments the generation, so every node's
//! next lookup misses (the old generation's entries expire by their TTL, at most an hour).
//! Lookup = one script (read the generation, then the entry), store = one script (the entry
//! under the current generation; a miss's response waits for it, so the next request on any
//! node finds the entry), flush = one `INCR`. Keys are the stage's cache keys exactly as
//! `engine::cache_key` builds them; values are bounded as in the node-local cache
//! (responses over 1 MiB are not stored). Redis unreachable: a lookup misses and a store is
//! dropped (counted), in both failure modes.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use redis::Script;

use super::{CacheHit, CachedResponse, decode_shared, encode_shared};
use crate::engine::cluster::Cluster;

/// KEYS[1] = the stage's generation key; ARGV[1] = the cache key. The entry or nil.
const GET_SCRIPT: &str = r#"
local g = redis.call('GET', KEYS[1]) or '0'
return redis.call('GET', KEYS[1] .. ':' .. g .. ':' .. ARGV[1])
"#;

/// KEYS[1] = the generation key; ARGV = cache key, value, TTL in ms.
const PUT_SCRIPT: &str = r#"
local g = redis.call('GET', KEYS[1]) or '0'
redis.call('SET', KEYS[1] .. ':' .. g .. ':' .. ARGV[1], ARGV[2], 'PX', ARGV[3])
return 1
"#;

fn scripts() -> &'static (Script, Script) {
    static S: OnceLock<(Script, Script)> = OnceLock::new();
    S.get_or_init(|| (Script::new(GET_SCRIPT), Script::new(PUT_SCRIPT)))
}

/// One stage's (or a canary's own) cache in Redis.
#[derive(Debug, Clone)]
pub struct SharedCache {
    cluster: Arc<Cluster>,
    /// `{prefix}cache:{api}/{stage}[/canary]`: the generation; entries are `…:{gen}:{key}`.
    generation_key: Arc<str>,
}

impl SharedCache {
    pub fn new(cluster: Arc<Cluster>, scope: &str) -> SharedCache {
        SharedCache::of_kind(cluster, "cache", scope)
    }

    /// A generation-scoped cache of another kind (`az` for authorizer results).
    pub fn of_kind(cluster: Arc<Cluster>, kind: &str, scope: &str) -> SharedCache {
        SharedCache {
            generation_key: Arc::from(cluster.key(&format!("{kind}:{scope}"))),
            cluster,
        }
    }

    /// The raw value under `key` in the current generation.
    pub async fn get_raw(&self, key: &str) -> Option<Vec<u8>> {
        let gen_key = &*self.generation_key;
        let reply: Result<Option<Vec<u8>>, _> = self
            .cluster
            .run(
                |mut m| async move { scripts().0.key(gen_key).arg(key).invoke_async(&mut m).await },
            )
            .await;
        reply.ok().flatten()
    }

    /// Stores a raw value under `key` in the current generation for `ttl`.
    pub async fn put_raw(&self, key: &str, value: &[u8], ttl: Duration) {
        let ttl_ms = ttl.as_millis().clamp(1, 3_600_000) as u64;
        let gen_key = &*self.generation_key;
        let _: Result<i64, _> = self
            .cluster
            .run(|mut m| async move {
                scripts()
                    .1
                    .key(gen_key)
                    .arg(key)
                    .arg(value)
                    .arg(ttl_ms)
                    .invoke_async(&mut m)
                    .await
            })
            .await;
    }

    pub async fn get(&self, key: &str) -> Option<CacheHit> {
        let hit = self.get_raw(key).await.and_then(|v| decode_shared(key, v));
        let counter = if hit.is_some() {
            &self.cluster.stats.cache_hits
        } else {
            &self.cluster.stats.cache_misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        hit
    }

    /// Stores the response under the stage's current generation (dropped, and counted as a
    /// failed call, when Redis cannot be reached).
    pub async fn put(&self, key: &str, response: &CachedResponse<'_>) {
        if let Some(value) = encode_shared(key, response) {
            self.put_raw(key, &value, response.ttl).await;
        }
    }

    /// Empties the stage on every node (a new generation); the error when Redis cannot be
    /// reached.
    pub async fn flush(&self) -> Result<(), crate::engine::cluster::ClusterError> {
        let gen_key = &*self.generation_key;
        self.cluster
            .run(|mut m| async move {
                redis::cmd("INCR")
                    .arg(gen_key)
                    .query_async::<i64>(&mut m)
                    .await
            })
            .await
            .map(|_| ())
    }
}
