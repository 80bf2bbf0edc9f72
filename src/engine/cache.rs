//! The per-stage response cache (ops.md §1): bounded in bytes (each entry weighs its key, its
//! body and its headers) with a per-entry TTL (the method's `cacheTtlInSeconds`).
//!
//! AWS sizes a cache cluster in GB (`cacheClusterSize` 0.5 … 237); here a GB stands for
//! `EngineConfig::cache_bytes_per_gb` bytes (16 MiB by default, so the smallest 0.5 GB cluster
//! holds 8 MiB). A stage's cache lives as long as its size and `cacheClusterEnabled` stay the
//! same: route-map rebuilds hand the same cache to the new live stage; resizing recreates it
//! empty, as on AWS.
//!
//! Hot path (DESIGN.md): the entries are split over [`SHARDS`] maps, each behind its own mutex
//! (a request locks one shard for one lookup or one insert, never the whole cache), and the
//! byte total is one atomic. When an insert takes the total over the capacity, entries are
//! evicted with the CLOCK (second-chance) policy, an LRU approximation: each shard keeps its
//! entries in insertion order, a hit marks its entry as used, and eviction takes the oldest
//! entry that was not used since it last came up, giving used ones another round (AWS does
//! not document its policy). Eviction starts with the shard after the inserting one, one
//! shard locked at a time. Expired entries are dropped when met (a lookup, an eviction, the
//! stats). A hit hands out the stored response behind an `Arc` (the body is `Bytes`, so
//! serving it copies nothing). This replaced a moka cache whose lookup and insert, with their
//! bookkeeping, cost ~8 k instructions per missed request (now ~1.3 k).

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use hashbrown::HashTable;
use http::{HeaderMap, StatusCode};

use crate::model::CACHE_CLUSTER_SIZES;

/// Responses larger than this are served but not stored (ops.md §1.2).
pub const MAX_CACHEABLE_BYTES: usize = 1_048_576;

/// Bytes per GB of `cacheClusterSize` by default: 0.5 GB → 8 MiB.
pub const DEFAULT_CACHE_BYTES_PER_GB: u64 = 16 * 1024 * 1024;

/// Independently locked parts of one cache.
pub const SHARDS: usize = 16;

/// A stored response.
#[derive(Debug)]
pub struct CachedResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub ttl: Duration,
}

/// Counters of one cache, as a console or a test reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: u64,
    pub weighted_bytes: u64,
    pub capacity_bytes: u64,
}

struct Slot {
    key: String,
    hash: u64,
    response: Arc<CachedResponse>,
    expires: Instant,
    weight: u64,
    /// Which insertion into the shard the slot is (matches its entry in `Shard::order`).
    generation: u64,
    /// Read since it was stored or last given a second chance (CLOCK's reference bit).
    used: bool,
}

/// What one [`Shard::evict_one`] did.
enum Eviction {
    /// Removed an entry of this weight.
    Evicted(u64),
    /// Every entry had been used: all lost their mark, none removed.
    SecondChances,
    Empty,
}

#[derive(Default)]
struct Shard {
    /// Slots found by the key's hash, computed once per request (it also picks the shard).
    table: HashTable<Slot>,
    /// (hash, generation) in insertion order; an entry whose slot was since replaced or
    /// removed is skipped when it comes up.
    order: VecDeque<(u64, u64)>,
    next_generation: u64,
}

impl Shard {
    /// One CLOCK step over this shard: removes the oldest entry not used since it last came
    /// up, and gives each used entry passed on the way a second chance (its mark cleared, to
    /// the back). Looks at each entry at most once, so a shard whose entries were all used
    /// evicts nothing this time (the caller moves on to the next shard, and comes back).
    fn evict_one(&mut self) -> Eviction {
        for _ in 0..self.order.len() {
            let Some((hash, generation)) = self.order.pop_front() else {
                break;
            };
            if let Ok(mut entry) = self.table.find_entry(hash, |s| s.generation == generation) {
                if std::mem::take(&mut entry.get_mut().used) {
                    self.order.push_back((hash, generation));
                    continue;
                }
                return Eviction::Evicted(entry.remove().0.weight);
            }
        }
        if self.table.is_empty() {
            Eviction::Empty
        } else {
            Eviction::SecondChances
        }
    }

    /// Drops the order entries of replaced or removed slots.
    fn compact(&mut self) {
        let Shard { table, order, .. } = self;
        order.retain(|(h, g)| table.find(*h, |s| s.generation == *g).is_some());
    }

    /// Drops expired entries; the weight removed.
    fn purge_expired(&mut self, now: Instant) -> u64 {
        let mut removed = 0;
        self.table.retain(|s| {
            let keep = s.expires > now;
            if !keep {
                removed += s.weight;
            }
            keep
        });
        self.compact();
        removed
    }
}

pub struct StageCache {
    /// The `cacheClusterSize` it was built for.
    pub size: String,
    pub capacity_bytes: u64,
    /// foldhash, randomly seeded per cache: cheaper than SipHash on every cached request.
    hasher: foldhash::fast::RandomState,
    shards: Box<[Mutex<Shard>]>,
    weighted: AtomicU64,
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

fn weight(key: &str, value: &CachedResponse) -> u64 {
    let headers: usize = value
        .headers
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    (key.len() + value.body.len() + headers + 64) as u64
}

fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl StageCache {
    pub fn new(size: Option<&str>, bytes_per_gb: u64) -> StageCache {
        StageCache {
            size: size.unwrap_or("0.5").to_string(),
            capacity_bytes: capacity_bytes(size, bytes_per_gb),
            hasher: foldhash::fast::RandomState::default(),
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            weighted: AtomicU64::new(0),
        }
    }

    /// The key's hash and shard (the top bits; the shard's table uses the low ones).
    fn locate(&self, key: &str) -> (u64, usize) {
        let hash = self.hasher.hash_one(key);
        (hash, (hash >> 60) as usize % SHARDS)
    }

    pub fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        let (hash, i) = self.locate(key);
        let mut shard = lock(&self.shards[i]);
        let mut entry = shard.table.find_entry(hash, |s| s.key == key).ok()?;
        if entry.get().expires > Instant::now() {
            let slot = entry.get_mut();
            slot.used = true;
            return Some(slot.response.clone());
        }
        let (slot, _) = entry.remove();
        self.weighted.fetch_sub(slot.weight, Ordering::Relaxed);
        None
    }

    /// Stores a response unless it is too large (> 1 MiB) or the TTL is zero, then evicts
    /// (CLOCK) while the cache is over its capacity.
    pub fn insert(&self, key: String, response: CachedResponse) -> bool {
        if response.body.len() > MAX_CACHEABLE_BYTES || response.ttl.is_zero() {
            return false;
        }
        let w = weight(&key, &response);
        let (hash, first) = self.locate(&key);
        let Some(expires) = Instant::now().checked_add(response.ttl) else {
            return false;
        };
        {
            let mut shard = lock(&self.shards[first]);
            let generation = shard.next_generation;
            shard.next_generation += 1;
            shard.order.push_back((hash, generation));
            let slot = Slot {
                key,
                hash,
                response: Arc::new(response),
                expires,
                weight: w,
                generation,
                used: false,
            };
            match shard.table.entry(hash, |s| s.key == slot.key, |s| s.hash) {
                hashbrown::hash_table::Entry::Occupied(mut e) => {
                    let old = std::mem::replace(e.get_mut(), slot);
                    self.weighted.fetch_sub(old.weight, Ordering::Relaxed);
                }
                hashbrown::hash_table::Entry::Vacant(e) => {
                    e.insert(slot);
                }
            }
            self.weighted.fetch_add(w, Ordering::Relaxed);
            // Replaced and expired keys leave stale order entries behind; keep them bounded.
            if shard.order.len() > 2 * shard.table.len() + 64 {
                shard.compact();
            }
        }
        // One shard locked at a time: no lock order to get wrong. The inserting shard comes
        // last, so the new entry (its newest) only goes if it alone is over the capacity.
        // Each shard in turn; a shard that evicts nothing has cleared its marks, so two
        // rounds without an eviction mean the cache is empty.
        let mut i = (first + 1) % SHARDS;
        let mut idle = 0;
        while self.weighted.load(Ordering::Relaxed) > self.capacity_bytes && idle < 2 * SHARDS {
            let eviction = lock(&self.shards[i]).evict_one();
            match eviction {
                Eviction::Evicted(w) => {
                    self.weighted.fetch_sub(w, Ordering::Relaxed);
                    idle = 0;
                }
                Eviction::SecondChances | Eviction::Empty => {
                    idle += 1;
                    i = (i + 1) % SHARDS;
                }
            }
        }
        true
    }

    pub fn flush(&self) {
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            let removed: u64 = shard.table.iter().map(|s| s.weight).sum();
            shard.table.clear();
            shard.order.clear();
            self.weighted.fetch_sub(removed, Ordering::Relaxed);
        }
    }

    /// Exact counters (expired entries are dropped first).
    pub fn stats(&self) -> CacheStats {
        let now = Instant::now();
        let mut entries = 0;
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            let removed = shard.purge_expired(now);
            self.weighted.fetch_sub(removed, Ordering::Relaxed);
            entries += shard.table.len() as u64;
        }
        CacheStats {
            entries,
            weighted_bytes: self.weighted.load(Ordering::Relaxed),
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
            "big".into(),
            response(MAX_CACHEABLE_BYTES + 1, Duration::from_secs(60))
        ));
        for i in 0..500 {
            cache.insert(format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= 100_000, "{stats:?}");
        assert!(stats.entries > 10, "{stats:?}");
        cache.flush();
        assert_eq!(cache.stats().entries, 0);
        assert_eq!(cache.stats().weighted_bytes, 0);
    }

    #[test]
    fn oldest_entries_go_first_and_replacing_a_key_keeps_the_weight_exact() {
        // ~1,100 bytes an entry: 10 fit in 11,500 bytes.
        let cache = StageCache::new(Some("0.5"), 23_000);
        for i in 0..10 {
            cache.insert(format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        assert_eq!(cache.stats().entries, 10);
        // Replacing does not grow the total; the replaced key is now the newest.
        cache.insert("k0".to_string(), response(1000, Duration::from_secs(60)));
        let stats = cache.stats();
        assert_eq!(stats.entries, 10);
        assert_eq!(
            stats.weighted_bytes,
            10 * weight("k0", &response(1000, Duration::ZERO))
        );
        for i in 10..15 {
            cache.insert(format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= stats.capacity_bytes, "{stats:?}");
        assert!(cache.get("k14").is_some());
        assert!(stats.entries >= 9, "{stats:?}");
        // Re-inserting one key forever does not grow the insertion order without bound.
        for _ in 0..10_000 {
            cache.insert("k14".to_string(), response(1000, Duration::from_secs(60)));
        }
        let order: usize = cache.shards.iter().map(|s| lock(s).order.len()).sum();
        assert!(order < 2 * 10 + 64 * SHARDS, "{order}");
    }

    #[test]
    fn entries_read_since_they_last_came_up_outlive_unread_ones() {
        // One shard's worth of behaviour, whichever shards the keys land in: ~1,100 bytes an
        // entry, 10 fit.
        let cache = StageCache::new(Some("0.5"), 23_000);
        for i in 0..10 {
            cache.insert(format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        // k0 and k1 are the oldest, but read after every insertion: they survive a hundred
        // more (the cache turns over ten times), which evict unread entries instead. Under
        // first-in-first-out they would be among the first to go.
        for _ in 0..8 {
            assert!(cache.get("k0").is_some());
            assert!(cache.get("k1").is_some());
        }
        for i in 10..110 {
            cache.insert(format!("k{i}"), response(1000, Duration::from_secs(60)));
            assert!(cache.get("k0").is_some(), "k0 evicted at k{i}");
            assert!(cache.get("k1").is_some(), "k1 evicted at k{i}");
        }
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= stats.capacity_bytes, "{stats:?}");
        assert!(stats.entries <= 10, "{stats:?}");
    }

    #[test]
    fn entries_expire_after_their_ttl() {
        let cache = StageCache::new(Some("0.5"), 200_000);
        cache.insert("short".into(), response(10, Duration::from_millis(30)));
        cache.insert("long".into(), response(10, Duration::from_secs(60)));
        assert!(cache.get("short").is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get("short").is_none());
        assert!(cache.get("long").is_some());
        let stats = cache.stats();
        assert_eq!(stats.entries, 1);
        assert_eq!(
            stats.weighted_bytes,
            weight("long", &response(10, Duration::ZERO))
        );
        assert!(!cache.insert("zero".into(), response(10, Duration::ZERO)));
    }
}
