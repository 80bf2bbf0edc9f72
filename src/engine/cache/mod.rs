//! The per-stage response cache (ops.md §1): bounded in bytes (each entry weighs its key, its
//! body, its headers and a fixed overhead) with a per-entry TTL (the method's `cacheTtlInSeconds`).
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
//! stats). An entry is one buffer (key, headers, body; see [`Slot`]) weighed at its length
//! plus [`ENTRY_OVERHEAD`], so the byte bound is close to the memory the entries really take;
//! a hit shares that buffer (the body and header values are slices of it, nothing is copied).
//! An entry's first hit also builds its headers as a map over that buffer, which later hits
//! copy (one clone instead of parsing each name and validating each value again). This replaced a moka cache whose lookup and insert, with their
//! bookkeeping, cost ~8 k instructions per missed request (now ~1.3 k).

pub mod shared;

use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use hashbrown::HashTable;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::clock::Clock;
use crate::model::CACHE_CLUSTER_SIZES;

/// Responses larger than this are served but not stored (ops.md §1.2).
pub const MAX_CACHEABLE_BYTES: usize = 1_048_576;

/// Bytes per GB of `cacheClusterSize` by default: 0.5 GB → 8 MiB.
pub const DEFAULT_CACHE_BYTES_PER_GB: u64 = 16 * 1024 * 1024;

/// Independently locked parts of one cache.
pub const SHARDS: usize = 16;

/// A response to store (what the pipeline hands to [`StageCache::insert`]; it is copied
/// into the entry's buffer).
#[derive(Debug, Clone, Copy)]
pub struct CachedResponse<'a> {
    pub status: StatusCode,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub ttl: Duration,
}

/// A stored response as a lookup hands it out: the entry's one buffer, shared (no copy).
#[derive(Debug, Clone)]
pub struct CacheHit {
    pub status: StatusCode,
    blob: Bytes,
    key_len: usize,
    body_start: usize,
    /// The headers as a map, when the entry has one built (see [`Slot::headers`]).
    map: Option<Arc<HeaderMap>>,
}

impl CacheHit {
    /// The stored headers: a copy of the entry's map when it has one (values shared, not
    /// copied), else rebuilt over the entry's buffer.
    pub fn headers(&self) -> HeaderMap {
        let Some(map) = &self.map else {
            return self.build_headers();
        };
        // Room for the headers every response then gets (request ids, content type): a
        // clone's entry vector is exactly full, and its first insert would reallocate it.
        let Ok(mut out) = HeaderMap::try_with_capacity(map.len() + 3) else {
            return HeaderMap::clone(map);
        };
        for (name, value) in map.iter() {
            out.append(name.clone(), value.clone());
        }
        out
    }

    /// The headers parsed from the entry's buffer (names parsed, values validated, slices of
    /// the buffer).
    fn build_headers(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        let mut at = self.key_len;
        while at < self.body_start {
            let Some((name, value, next)) = read_header(&self.blob, at) else {
                break;
            };
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(&self.blob[name]),
                HeaderValue::from_maybe_shared(self.blob.slice(value)),
            ) {
                map.append(name, value);
            }
            at = next;
        }
        map
    }

    #[cfg(test)]
    /// The stored body (a slice of the entry's buffer).
    pub fn body(&self) -> Bytes {
        self.blob.slice(self.body_start..)
    }

    /// The status, the headers (as [`CacheHit::headers`]) and the body, the hit's share of
    /// the entry's buffer moved into the body (no second reference taken and dropped).
    pub fn into_response(self) -> (StatusCode, HeaderMap, Bytes) {
        let headers = self.headers();
        let mut body = self.blob;
        bytes::Buf::advance(&mut body, self.body_start);
        (self.status, headers, body)
    }
}

/// Counters of one cache, as a console or a test reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: u64,
    pub weighted_bytes: u64,
    pub capacity_bytes: u64,
}

/// One entry. Its key, headers and body live in one buffer (`blob`: the key, then each
/// header as a 2-byte name length, a 4-byte value length, the name and the value, then the
/// body), so storing a response is one allocation and evicting it one free: under a flood
/// of distinct keys the entries being evicted are cold, and every separate block (key,
/// `Arc`, the header map's two tables, the body) was a cache miss when it was freed.
struct Slot {
    hash: u64,
    blob: Bytes,
    key_len: u32,
    body_start: u32,
    status: StatusCode,
    /// On the engine clock (`Clock::now`).
    expires: Duration,
    weight: u64,
    /// Which insertion into the shard the slot is (matches its entry in `Shard::order`).
    generation: u64,
    /// Read since it was stored or last given a second chance (CLOCK's reference bit).
    used: bool,
    /// The headers as a map (their values slices of `blob`), built by the entry's first hit
    /// so that later hits copy a map instead of parsing names and validating values again;
    /// entries never hit (a flood of distinct keys) never build one. Its memory is in the
    /// entry's weight from the start ([`map_weight`]).
    headers: Option<Arc<HeaderMap>>,
}

impl Slot {
    fn key(&self) -> &[u8] {
        &self.blob[..self.key_len as usize]
    }
}

/// What a built header map of `headers` headers adds to an entry: the `Arc`, the map's index
/// table and its entries (name, value, links), rounded up.
fn map_weight(headers: usize) -> u64 {
    if headers == 0 {
        0
    } else {
        128 + 112 * headers as u64
    }
}

/// The name range, the value range and where the next header starts, of the header encoded
/// at `at` (`None` if the buffer ends first; it never does for a buffer `encode` built).
fn read_header(
    blob: &[u8],
    at: usize,
) -> Option<(std::ops::Range<usize>, std::ops::Range<usize>, usize)> {
    let lens = blob.get(at..at + 6)?;
    let name_len = u16::from_le_bytes([lens[0], lens[1]]) as usize;
    let value_len = u32::from_le_bytes([lens[2], lens[3], lens[4], lens[5]]) as usize;
    let name = at + 6..at + 6 + name_len;
    let value = name.end..name.end + value_len;
    (value.end <= blob.len()).then_some((name, value.clone(), value.end))
}

/// The entry buffer for `key` and `response`, and where the body starts.
fn encode(key: &str, response: &CachedResponse) -> (Vec<u8>, usize) {
    let headers: usize = response
        .headers
        .iter()
        .map(|(n, v)| 6 + n.as_str().len() + v.len())
        .sum();
    let mut blob = Vec::with_capacity(key.len() + headers + response.body.len());
    blob.extend_from_slice(key.as_bytes());
    for (name, value) in response.headers {
        // Header names are short (hyper refuses names over 64 KiB) and values are bounded by
        // the 10 MB request/response limits, so the lengths fit their fields.
        let name = name.as_str().as_bytes();
        blob.extend_from_slice(&(name.len() as u16).to_le_bytes());
        blob.extend_from_slice(&(value.len() as u32).to_le_bytes());
        blob.extend_from_slice(name);
        blob.extend_from_slice(value.as_bytes());
    }
    let body_start = blob.len();
    blob.extend_from_slice(response.body);
    (blob, body_start)
}

/// Bytes before the entry buffer in a shared (Redis) value: status, key length, body start.
const SHARED_HEADER: usize = 10;

/// A response as a shared cache value: [`SHARED_HEADER`] then the entry buffer; `None` when
/// it is not stored (over [`MAX_CACHEABLE_BYTES`], zero TTL).
pub fn encode_shared(key: &str, response: &CachedResponse<'_>) -> Option<Vec<u8>> {
    if response.body.len() > MAX_CACHEABLE_BYTES || response.ttl.is_zero() {
        return None;
    }
    let (blob, body_start) = encode(key, response);
    let key_len = u32::try_from(key.len()).ok()?;
    let body_start = u32::try_from(body_start).ok()?;
    let mut out = Vec::with_capacity(SHARED_HEADER + blob.len());
    out.extend_from_slice(&response.status.as_u16().to_le_bytes());
    out.extend_from_slice(&key_len.to_le_bytes());
    out.extend_from_slice(&body_start.to_le_bytes());
    out.extend_from_slice(&blob);
    Some(out)
}

/// The hit a shared cache value holds for `key`; `None` unless it is a well-formed value
/// stored for exactly that key.
pub fn decode_shared(key: &str, value: Vec<u8>) -> Option<CacheHit> {
    let head = value.get(..SHARED_HEADER)?;
    let status = StatusCode::from_u16(u16::from_le_bytes([head[0], head[1]])).ok()?;
    let key_len = u32::from_le_bytes([head[2], head[3], head[4], head[5]]) as usize;
    let body_start = u32::from_le_bytes([head[6], head[7], head[8], head[9]]) as usize;
    let blob = Bytes::from(value).slice(SHARED_HEADER..);
    if key_len != key.len()
        || blob.get(..key_len) != Some(key.as_bytes())
        || body_start < key_len
        || body_start > blob.len()
    {
        return None;
    }
    Some(CacheHit {
        status,
        blob,
        key_len,
        body_start,
        map: None,
    })
}

/// What an entry costs beyond its buffer: the slot in the shard's table and its control
/// byte, its place in the insertion order and the allocator's header (rounded up).
const ENTRY_OVERHEAD: u64 = 128;

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
    fn purge_expired(&mut self, now: Duration) -> u64 {
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
    /// Cluster mode: the entries live in Redis (`engine::cache::shared`), not in the shards.
    pub shared: Option<shared::SharedCache>,
    pub capacity_bytes: u64,
    /// foldhash, randomly seeded per cache: cheaper than SipHash on every cached request.
    hasher: foldhash::fast::RandomState,
    /// The engine's clock (TTLs; tests step it).
    clock: Arc<dyn Clock>,
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

fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl StageCache {
    pub fn new(size: Option<&str>, bytes_per_gb: u64, clock: Arc<dyn Clock>) -> StageCache {
        StageCache {
            size: size.unwrap_or("0.5").to_string(),
            shared: None,
            capacity_bytes: capacity_bytes(size, bytes_per_gb),
            hasher: foldhash::fast::RandomState::default(),
            clock,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            weighted: AtomicU64::new(0),
        }
    }

    /// The same cache kept in Redis under `shared` (cluster mode).
    pub fn with_shared(mut self, shared: Option<shared::SharedCache>) -> Self {
        self.shared = shared;
        self
    }

    /// The key's hash and shard (the top bits; the shard's table uses the low ones).
    fn locate(&self, key: &str) -> (u64, usize) {
        let hash = self.hasher.hash_one(key);
        (hash, (hash >> 60) as usize % SHARDS)
    }

    #[cfg(test)]
    /// The entry for `key`, if stored and not expired now.
    pub fn get(&self, key: &str) -> Option<CacheHit> {
        self.get_at(key, None)
    }

    /// [`StageCache::get`] with expiry judged at `at` (the request's start, already read:
    /// the lookup reads no clock) when given.
    pub fn get_at(&self, key: &str, at: Option<std::time::Instant>) -> Option<CacheHit> {
        let (hash, i) = self.locate(key);
        let mut shard = lock(&self.shards[i]);
        let mut entry = shard
            .table
            .find_entry(hash, |s| s.key() == key.as_bytes())
            .ok()?;
        let now = match at {
            Some(at) => self.clock.at(at),
            None => self.clock.now(),
        };
        if entry.get().expires > now {
            let slot = entry.get_mut();
            slot.used = true;
            let mut hit = CacheHit {
                status: slot.status,
                blob: slot.blob.clone(),
                key_len: slot.key_len as usize,
                body_start: slot.body_start as usize,
                map: slot.headers.clone(),
            };
            if hit.map.is_none() && slot.key_len < slot.body_start {
                // The entry's first hit: its map, built once (under the shard's lock, so
                // two first hits do not both build it).
                let map = Arc::new(hit.build_headers());
                slot.headers = Some(map.clone());
                hit.map = Some(map);
            }
            return Some(hit);
        }
        let (slot, _) = entry.remove();
        drop(shard);
        self.weighted.fetch_sub(slot.weight, Ordering::Relaxed);
        None
    }

    /// Stores a response unless it is too large (> 1 MiB) or the TTL is zero, then evicts
    /// (CLOCK) while the cache is over its capacity.
    pub fn insert(&self, key: &str, response: CachedResponse<'_>) -> bool {
        if response.body.len() > MAX_CACHEABLE_BYTES || response.ttl.is_zero() {
            return false;
        }
        let (blob, body_start) = encode(key, &response);
        let (Ok(key_len), Ok(body_start)) = (u32::try_from(key.len()), u32::try_from(body_start))
        else {
            return false;
        };
        let w = blob.len() as u64 + ENTRY_OVERHEAD + map_weight(response.headers.len());
        let (hash, first) = self.locate(key);
        let Some(expires) = self.clock.now().checked_add(response.ttl) else {
            return false;
        };
        let replaced = {
            let mut shard = lock(&self.shards[first]);
            let generation = shard.next_generation;
            shard.next_generation += 1;
            shard.order.push_back((hash, generation));
            let slot = Slot {
                hash,
                blob: Bytes::from(blob),
                key_len,
                body_start,
                status: response.status,
                expires,
                weight: w,
                generation,
                used: false,
                headers: None,
            };
            self.weighted.fetch_add(w, Ordering::Relaxed);
            let replaced = match shard
                .table
                .entry(hash, |s| s.key() == key.as_bytes(), |s| s.hash)
            {
                hashbrown::hash_table::Entry::Occupied(mut e) => {
                    let old = std::mem::replace(e.get_mut(), slot);
                    self.weighted.fetch_sub(old.weight, Ordering::Relaxed);
                    Some(old)
                }
                hashbrown::hash_table::Entry::Vacant(e) => {
                    e.insert(slot);
                    None
                }
            };
            // Replaced and expired keys leave stale order entries behind; keep them bounded.
            if shard.order.len() > 2 * shard.table.len() + 64 {
                shard.compact();
            }
            replaced
        };
        // Freed outside the lock.
        drop(replaced);
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
        let now = self.clock.now();
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
    use crate::engine::clock::{ManualClock, SystemClock};

    #[test]
    fn shared_values_round_trip_and_refuse_other_keys() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        let r = CachedResponse {
            status: StatusCode::CREATED,
            headers: &headers,
            body: b"hello",
            ttl: Duration::from_secs(5),
        };
        let v = encode_shared("k1", &r).unwrap();
        assert!(decode_shared("k2", v.clone()).is_none());
        assert!(decode_shared("k1", v[..8].to_vec()).is_none());
        let hit = decode_shared("k1", v).unwrap();
        assert_eq!(hit.status, StatusCode::CREATED);
        assert_eq!(&hit.body()[..], b"hello");
        assert_eq!(hit.headers()["content-type"], "text/plain");
        let big = vec![0u8; MAX_CACHEABLE_BYTES + 1];
        assert!(encode_shared("k", &CachedResponse { body: &big, ..r }).is_none());
    }

    fn system() -> Arc<dyn Clock> {
        Arc::new(SystemClock::default())
    }

    static NO_HEADERS: std::sync::LazyLock<HeaderMap> = std::sync::LazyLock::new(HeaderMap::new);
    static BODY: [u8; MAX_CACHEABLE_BYTES + 1] = [b'x'; MAX_CACHEABLE_BYTES + 1];

    fn response(len: usize, ttl: Duration) -> CachedResponse<'static> {
        CachedResponse {
            status: StatusCode::OK,
            headers: &NO_HEADERS,
            body: &BODY[..len],
            ttl,
        }
    }

    fn weight(key: &str, response: &CachedResponse) -> u64 {
        encode(key, response).0.len() as u64 + ENTRY_OVERHEAD
    }

    #[test]
    fn a_hit_gives_back_status_headers_and_body_as_stored() {
        let cache = StageCache::new(Some("0.5"), 200_000, system());
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.append("x-custom", HeaderValue::from_static("one"));
        headers.append("x-custom", HeaderValue::from_static("two"));
        headers.insert("x-empty", HeaderValue::from_static(""));
        let stored = CachedResponse {
            status: StatusCode::CREATED,
            headers: &headers,
            body: b"{\"pets\":[1,2,3]}",
            ttl: Duration::from_secs(60),
        };
        assert!(cache.insert("k", stored));
        let hit = cache.get("k").unwrap();
        assert_eq!(hit.status, StatusCode::CREATED);
        assert_eq!(hit.headers(), headers);
        assert_eq!(hit.body(), Bytes::from_static(b"{\"pets\":[1,2,3]}"));
        // The first hit built the entry's map; later hits copy that same map, and it holds
        // what parsing the buffer gives, in the same order.
        let in_order = |m: &HeaderMap| {
            m.iter()
                .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
                .collect::<Vec<_>>()
        };
        let again = cache.get("k").unwrap();
        let (Some(first), Some(second)) = (&hit.map, &again.map) else {
            panic!("hits of an entry with headers carry its map");
        };
        assert!(Arc::ptr_eq(first, second));
        assert_eq!(in_order(&again.headers()), in_order(&hit.build_headers()));
        assert_eq!(in_order(&again.headers()), in_order(&headers));
        // The parts of a hit, the body moved out of the entry's buffer.
        let (status, parts_headers, body) = again.clone().into_response();
        assert_eq!(status, again.status);
        assert_eq!(in_order(&parts_headers), in_order(&headers));
        assert_eq!(body, again.body());
        // A replaced entry builds its own.
        let mut other = HeaderMap::new();
        other.insert("content-type", HeaderValue::from_static("text/plain"));
        assert!(cache.insert(
            "k",
            CachedResponse {
                headers: &other,
                ..stored
            }
        ));
        assert_eq!(cache.get("k").unwrap().headers(), other);
        assert!(cache.get("K").is_none());
        // An empty body and no headers.
        assert!(cache.insert("e", response(0, Duration::from_secs(60))));
        let hit = cache.get("e").unwrap();
        assert!(hit.headers().is_empty());
        assert!(hit.body().is_empty());
    }

    #[test]
    fn a_truncated_header_record_is_never_read_past_the_buffer() {
        assert!(read_header(&[1, 0, 0, 0], 0).is_none());
        assert!(read_header(&[1, 0, 5, 0, 0, 0, b'a', b'b'], 0).is_none());
        assert_eq!(
            read_header(&[1, 0, 1, 0, 0, 0, b'a', b'b'], 0),
            Some((6..7, 7..8, 8))
        );
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
        let cache = StageCache::new(Some("0.5"), 200_000, system()); // 100 kB
        assert!(!cache.insert(
            "big",
            response(MAX_CACHEABLE_BYTES + 1, Duration::from_secs(60))
        ));
        for i in 0..500 {
            cache.insert(&format!("k{i}"), response(1000, Duration::from_secs(60)));
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
        let cache = StageCache::new(Some("0.5"), 23_000, system());
        for i in 0..10 {
            cache.insert(&format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        assert_eq!(cache.stats().entries, 10);
        // Replacing does not grow the total; the replaced key is now the newest.
        cache.insert("k0", response(1000, Duration::from_secs(60)));
        let stats = cache.stats();
        assert_eq!(stats.entries, 10);
        assert_eq!(
            stats.weighted_bytes,
            10 * weight("k0", &response(1000, Duration::ZERO))
        );
        for i in 10..15 {
            cache.insert(&format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= stats.capacity_bytes, "{stats:?}");
        assert!(cache.get("k14").is_some());
        assert!(stats.entries >= 9, "{stats:?}");
        // Re-inserting one key forever does not grow the insertion order without bound.
        for _ in 0..10_000 {
            cache.insert("k14", response(1000, Duration::from_secs(60)));
        }
        let order: usize = cache.shards.iter().map(|s| lock(s).order.len()).sum();
        assert!(order < 2 * 10 + 64 * SHARDS, "{order}");
    }

    #[test]
    fn entries_read_since_they_last_came_up_outlive_unread_ones() {
        // One shard's worth of behaviour, whichever shards the keys land in: ~1,100 bytes an
        // entry, 10 fit.
        let cache = StageCache::new(Some("0.5"), 23_000, system());
        for i in 0..10 {
            cache.insert(&format!("k{i}"), response(1000, Duration::from_secs(60)));
        }
        // k0 and k1 are the oldest, but read after every insertion: they survive a hundred
        // more (the cache turns over ten times), which evict unread entries instead. Under
        // first-in-first-out they would be among the first to go.
        for _ in 0..8 {
            assert!(cache.get("k0").is_some());
            assert!(cache.get("k1").is_some());
        }
        for i in 10..110 {
            cache.insert(&format!("k{i}"), response(1000, Duration::from_secs(60)));
            assert!(cache.get("k0").is_some(), "k0 evicted at k{i}");
            assert!(cache.get("k1").is_some(), "k1 evicted at k{i}");
        }
        let stats = cache.stats();
        assert!(stats.weighted_bytes <= stats.capacity_bytes, "{stats:?}");
        assert!(stats.entries <= 10, "{stats:?}");
    }

    #[test]
    fn entries_expire_after_their_ttl() {
        let clock = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
        let cache = StageCache::new(Some("0.5"), 200_000, clock.clone());
        cache.insert("short", response(10, Duration::from_millis(30)));
        cache.insert("long", response(10, Duration::from_secs(60)));
        clock.advance(Duration::from_millis(29));
        assert!(cache.get("short").is_some());
        clock.advance(Duration::from_millis(1));
        assert!(cache.get("short").is_none(), "expired at exactly its TTL");
        assert!(cache.get("long").is_some());
        let stats = cache.stats();
        assert_eq!(stats.entries, 1);
        assert_eq!(
            stats.weighted_bytes,
            weight("long", &response(10, Duration::ZERO))
        );
        clock.advance(Duration::from_secs(60));
        assert_eq!(cache.stats().entries, 0, "stats drop expired entries");
        assert_eq!(cache.stats().weighted_bytes, 0);
        assert!(!cache.insert("zero", response(10, Duration::ZERO)));
    }

    #[test]
    fn a_lookup_at_the_requests_start_judges_expiry_then() {
        let clock = Arc::new(crate::engine::clock::SystemClock::default());
        let cache = StageCache::new(Some("0.5"), 200_000, clock);
        let before = std::time::Instant::now();
        cache.insert("k", response(10, Duration::from_secs(60)));
        assert!(cache.get_at("k", Some(std::time::Instant::now())).is_some());
        // Long after its TTL: expired, though the clock was not read.
        let later = std::time::Instant::now() + Duration::from_secs(61);
        assert!(cache.get_at("k", Some(later)).is_none());
        // Gone for good (removed when met expired).
        assert!(cache.get_at("k", Some(before)).is_none());
        // A manual clock ignores the instant and answers its own time.
        let manual = Arc::new(ManualClock::new(time::OffsetDateTime::UNIX_EPOCH));
        let cache = StageCache::new(Some("0.5"), 200_000, manual.clone());
        cache.insert("k", response(10, Duration::from_millis(30)));
        assert!(cache.get_at("k", Some(later)).is_some());
        manual.advance(Duration::from_millis(30));
        assert!(cache.get_at("k", Some(before)).is_none());
    }
}
