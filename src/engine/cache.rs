//! The per-stage response cache (ops.md §1): a moka cache bounded in bytes (a weigher counts
//! the key, the body and the headers of each entry) with a per-entry TTL (the method's
//! `cacheTtlInSeconds`).
//!
//! AWS sizes a cache cluster in GB (`cacheClusterSize` 0.5 … 237); here a GB stands for
//! `EngineConfig::cache_bytes_per_gb` bytes (16 MiB by default, so the smallest 0.5 GB cluster
//! holds 8 MiB). A stage's cache lives as long as its size and `cacheClusterEnabled` stay the
//! same: route-map rebuilds hand the same cache to the new live stage; resizing recreates it
//! empty, as on AWS.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use moka::Expiry;
use moka::sync::Cache;

use crate::model::CACHE_CLUSTER_SIZES;

/// Responses larger than this are served but not stored (ops.md §1.2).
pub const MAX_CACHEABLE_BYTES: usize = 1_048_576;

/// Bytes per GB of `cacheClusterSize` by default: 0.5 GB → 8 MiB.
pub const DEFAULT_CACHE_BYTES_PER_GB: u64 = 16 * 1024 * 1024;

/// A stored response.
#[derive(Debug)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub ttl: Duration,
}

struct PerEntryTtl;

impl Expiry<Arc<str>, Arc<CachedResponse>> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &Arc<str>,
        value: &Arc<CachedResponse>,
        _created_at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// Counters of one cache, as a console or a test reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: u64,
    pub weighted_bytes: u64,
    pub capacity_bytes: u64,
}

pub struct StageCache {
    /// The `cacheClusterSize` it was built for.
    pub size: String,
    pub capacity_bytes: u64,
    /// foldhash, randomly seeded per cache: cheaper than SipHash on every cached request.
    entries: Cache<Arc<str>, Arc<CachedResponse>, foldhash::fast::RandomState>,
}

impl std::fmt::Debug for StageCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageCache")
            .field("size", &self.size)
            .field("capacity_bytes", &self.capacity_bytes)
            .finish()
    }
}

/// The byte bound of a `cacheClusterSize` (unknown or absent sizes count as AWS's default 0.5).
pub fn capacity_bytes(size: Option<&str>, bytes_per_gb: u64) -> u64 {
    let gb = size
        .filter(|s| CACHE_CLUSTER_SIZES.contains(s))
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.5);
    (gb * bytes_per_gb as f64) as u64
}

fn weight(key: &Arc<str>, value: &Arc<CachedResponse>) -> u32 {
    let headers: usize = value
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    u32::try_from(key.len() + value.body.len() + headers + 64).unwrap_or(u32::MAX)
}

impl StageCache {
    pub fn new(size: Option<&str>, bytes_per_gb: u64) -> StageCache {
        let capacity_bytes = capacity_bytes(size, bytes_per_gb);
        let entries = Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(weight)
            .expire_after(PerEntryTtl)
            .build_with_hasher(foldhash::fast::RandomState::default());
        StageCache {
            size: size.unwrap_or("0.5").to_string(),
            capacity_bytes,
            entries,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        self.entries.get(key)
    }

    /// Stores a response unless it is too large (> 1 MiB) or the TTL is zero.
    pub fn insert(&self, key: Arc<str>, response: CachedResponse) -> bool {
        if response.body.len() > MAX_CACHEABLE_BYTES || response.ttl.is_zero() {
            return false;
        }
        self.entries.insert(key, Arc::new(response));
        true
    }

    pub fn flush(&self) {
        self.entries.invalidate_all();
    }

    /// Exact counters (runs moka's pending maintenance first).
    pub fn stats(&self) -> CacheStats {
        self.entries.run_pending_tasks();
        CacheStats {
            entries: self.entries.entry_count(),
            weighted_bytes: self.entries.weighted_size(),
            capacity_bytes: self.capacity_bytes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(len: usize, ttl: Duration) -> CachedResponse {
        CachedResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; len]),
            ttl,
        }
    }

    #[test]
    fn sizes_map_to_bytes() {
        assert_eq!(
            capacity_bytes(Some("0.5"), DEFAULT_CACHE_BYTES_PER_GB),
            8 * 1024 * 1024
        );
        assert_eq!(capacity_bytes(Some("1.6"), 1000), 1600);
        assert_eq!(capacity_bytes(None, 1000), 500);
    }

    #[test]
    fn capacity_is_a_byte_bound_and_big_responses_are_not_stored() {
        let cache = StageCache::new(Some("0.5"), 200_000); // 100 kB
        assert!(!cache.insert(
            Arc::from("big"),
            response(MAX_CACHEABLE_BYTES + 1, Duration::from_secs(60))
        ));
        for i in 0..500 {
            cache.insert(
                Arc::from(format!("k{i}")),
                response(1000, Duration::from_secs(60)),
            );
        }
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= 100_000, "{stats:?}");
        assert!(stats.entries > 10, "{stats:?}");
        cache.flush();
        assert_eq!(cache.stats().entries, 0);
    }
}
