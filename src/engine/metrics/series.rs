//! The hot side: one series per (API, stage, variant, resource, method), which requests record
//! into. A series is split into [`SHARDS`] cache-line-aligned shards and a thread records into
//! its own shard, so two workers serving the same method do not pass one lock and one set of
//! counter cache lines back and forth on every request. Readers (the roller, `/metrics`) add
//! the shards up.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::histogram::{PromHistogram, record_micros};
use super::history::Interval;
use super::{Observation, SeriesKey, SeriesTotals, lock};

/// Shards per series: at least the worker threads of a small machine. More threads than
/// shards share shards (still correct; they contend as before).
pub(super) const SHARDS: usize = 4;

/// The shard of the calling thread: threads are numbered in the order they first record.
fn shard_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SHARD: usize = NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS;
    }
    SHARD.with(|s| *s)
}

/// One thread's (or a few threads') part of a series. Aligned to two cache lines so that
/// neighbouring shards never share one (adjacent-line prefetch included).
#[repr(align(128))]
struct Shard {
    /// This second's counters and HDR histograms; `None` until the shard's first request, so
    /// shards no thread uses cost no histograms.
    current: Mutex<Option<Interval>>,
    requests: AtomicU64,
    error_4xx: AtomicU64,
    error_5xx: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    data_processed: AtomicU64,
    latency: PromHistogram,
    integration: PromHistogram,
}

impl Shard {
    fn new() -> Shard {
        Shard {
            current: Mutex::new(None),
            requests: AtomicU64::new(0),
            error_4xx: AtomicU64::new(0),
            error_5xx: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
            data_processed: AtomicU64::new(0),
            latency: PromHistogram::new(),
            integration: PromHistogram::new(),
        }
    }
}

pub(super) struct Series {
    pub(super) api_id: String,
    pub(super) key: SeriesKey,
    shards: [Shard; SHARDS],
}

impl Series {
    pub(super) fn new(api_id: &str, key: SeriesKey) -> Series {
        Series {
            api_id: api_id.to_string(),
            key,
            shards: std::array::from_fn(|_| Shard::new()),
        }
    }

    pub(super) fn matches(&self, o: &Observation<'_>) -> bool {
        self.key.variant == o.variant
            && self.key.http_method == o.http_method
            && self.key.resource_path == o.resource_path
            && self.key.stage == o.stage
            && self.api_id == o.api_id
    }

    pub(super) fn record(&self, o: &Observation<'_>) {
        let shard = &self.shards[shard_index()];
        let is_4xx = (400..500).contains(&o.status);
        let is_5xx = o.status >= 500;
        {
            let mut guard = lock(&shard.current);
            let c = guard.get_or_insert_with(Interval::new);
            c.count += 1;
            c.error_4xx += u64::from(is_4xx);
            c.error_5xx += u64::from(is_5xx);
            c.data_processed += o.data_processed;
            match o.cache_hit {
                Some(true) => c.cache_hit += 1,
                Some(false) => c.cache_miss += 1,
                None => {}
            }
            record_micros(&mut c.latency, o.latency);
            if let Some(il) = o.integration_latency {
                record_micros(&mut c.integration, il);
            }
        }
        shard.requests.fetch_add(1, Ordering::Relaxed);
        shard
            .data_processed
            .fetch_add(o.data_processed, Ordering::Relaxed);
        if is_4xx {
            shard.error_4xx.fetch_add(1, Ordering::Relaxed);
        }
        if is_5xx {
            shard.error_5xx.fetch_add(1, Ordering::Relaxed);
        }
        match o.cache_hit {
            Some(true) => {
                shard.cache_hits.fetch_add(1, Ordering::Relaxed);
            }
            Some(false) => {
                shard.cache_misses.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
        shard.latency.observe(o.latency);
        if let Some(il) = o.integration_latency {
            shard.integration.observe(il);
        }
    }

    /// Takes the current second of every shard (leaving fresh ones where there was traffic)
    /// merged into one interval, or `None` if the series saw no request.
    pub(super) fn take(&self) -> Option<Interval> {
        let mut merged: Option<Interval> = None;
        for shard in &self.shards {
            let mut guard = lock(&shard.current);
            let Some(c) = guard.as_mut() else { continue };
            if c.count == 0 {
                continue;
            }
            let taken = std::mem::replace(c, Interval::new());
            drop(guard);
            match &mut merged {
                Some(m) => m.add(&taken),
                None => merged = Some(taken),
            }
        }
        merged
    }

    /// Whether any shard holds requests of a second not yet harvested.
    pub(super) fn has_pending(&self) -> bool {
        self.shards
            .iter()
            .any(|s| lock(&s.current).as_ref().is_some_and(|c| c.count > 0))
    }

    pub(super) fn totals(&self) -> SeriesTotals {
        let sum = |f: fn(&Shard) -> &AtomicU64| {
            self.shards
                .iter()
                .map(|s| f(s).load(Ordering::Relaxed))
                .sum()
        };
        SeriesTotals {
            rest_api_id: self.api_id.clone(),
            key: self.key.clone(),
            requests: sum(|s| &s.requests),
            error_4xx: sum(|s| &s.error_4xx),
            error_5xx: sum(|s| &s.error_5xx),
            cache_hits: sum(|s| &s.cache_hits),
            cache_misses: sum(|s| &s.cache_misses),
            data_processed: sum(|s| &s.data_processed),
            latency: PromHistogram::read_all(self.shards.iter().map(|s| &s.latency)),
            integration_latency: PromHistogram::read_all(
                self.shards.iter().map(|s| &s.integration),
            ),
        }
    }
}

/// The index's keys are already hashes.
#[derive(Default)]
pub(super) struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(super) type Index = HashMap<u64, Vec<Arc<Series>>, BuildHasherDefault<IdentityHasher>>;
