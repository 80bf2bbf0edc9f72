//! Live metrics (ops.md §4): `Count`, `4XXError`, `5XXError`, `CacheHitCount`,
//! `CacheMissCount`, `Latency` and `IntegrationLatency` per (API, stage, variant, resource,
//! method), in 1-second buckets kept for an hour and 1-minute buckets kept for 24 hours, with
//! the same numbers aggregated per (stage, variant) and per stage.
//!
//! Hot path (DESIGN.md): a request finds its series through a read-mostly index
//! (`ArcSwap` of a map; a new series is inserted rarely, under a writer mutex, by swapping a
//! copied map) and records into that series alone — a per-series mutex around the current
//! second's counters and HDR histograms (uncontended unless many requests hit the same method
//! at the same instant) plus lock-free atomics for the cumulative Prometheus counters. No
//! global lock is taken.
//!
//! A background thread (the "roller") wakes just after each second boundary, takes every
//! series' current second (swapping in fresh histograms), files it into that series' history,
//! merges it into the stage and (stage, variant) aggregates exactly (HDR `add`), folds the
//! seconds into minutes, and hands a [`MetricsTick`] to the gateway to publish. Percentiles
//! are computed there, once per second, never on the request path.
//!
//! Requests whose path or verb matched no method still count at the stage level: they are
//! recorded in the series with an empty `resource_path` and `http_method`
//! ([`UNMATCHED`]). Requests for an unknown API or stage are not recorded (there is no stage
//! to count them at).

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::live::Variant;

/// How long 1-second buckets are kept.
pub const SECOND_RETENTION: i64 = 3600;
/// How long 1-minute buckets are kept.
pub const MINUTE_RETENTION: i64 = 24 * 3600;
/// The largest window [`super::Gateway::metrics_snapshot`] answers.
pub const MAX_WINDOW: Duration = Duration::from_secs(MINUTE_RETENTION as u64);
/// HDR histograms: 3 significant digits, microsecond resolution, values clamped to 60 s.
pub const HDR_SIGNIFICANT_DIGITS: u8 = 3;
pub const HDR_HIGHEST_MICROS: u64 = 60_000_000;
/// The `resource_path` and `http_method` of the series that counts requests no method matched.
pub const UNMATCHED: &str = "";
/// Upper bounds (seconds) of the Prometheus histograms' fixed buckets (plus `+Inf`). They are
/// cumulative counters kept beside, and independent of, the HDR histograms.
pub const PROMETHEUS_BUCKETS: [f64; 15] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// One bucket (a second, or a minute for windows over an hour) of one series.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Bucket {
    /// `Count`: requests received.
    #[serde(rename = "Count")]
    pub count: u64,
    /// `4XXError`: responses with a 4xx status.
    #[serde(rename = "4XXError")]
    pub error_4xx: u64,
    /// `5XXError`: responses with a 5xx status.
    #[serde(rename = "5XXError")]
    pub error_5xx: u64,
    #[serde(rename = "CacheHitCount")]
    pub cache_hit: u64,
    #[serde(rename = "CacheMissCount")]
    pub cache_miss: u64,
    /// `Latency`: request received → response returned.
    #[serde(rename = "Latency")]
    pub latency_ms: Percentiles,
    /// `IntegrationLatency`: the backend call alone (zero when no backend was called).
    #[serde(rename = "IntegrationLatency")]
    pub integration_latency_ms: Percentiles,
    /// `DataProcessed` (HTTP APIs): request plus response body bytes.
    #[serde(rename = "DataProcessed")]
    pub data_processed: u64,
}

/// Identifies a series within one API.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesKey {
    pub stage: String,
    #[serde(serialize_with = "variant_name")]
    pub variant: Variant,
    /// Resource template path (`/pets/{petId}`); [`UNMATCHED`] for requests no method matched.
    pub resource_path: String,
    /// The method's declared verb (may be `ANY`); [`UNMATCHED`] for unmatched requests.
    pub http_method: String,
}

/// Identifies an aggregate: a whole stage (`variant: None`) or one variant of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateKey {
    pub stage: String,
    #[serde(serialize_with = "optional_variant_name")]
    pub variant: Option<Variant>,
}

/// Sums over a snapshot's window (percentiles are not summed: see the buckets or the
/// aggregates' buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Totals {
    #[serde(rename = "Count")]
    pub count: u64,
    #[serde(rename = "4XXError")]
    pub error_4xx: u64,
    #[serde(rename = "5XXError")]
    pub error_5xx: u64,
    #[serde(rename = "CacheHitCount")]
    pub cache_hit: u64,
    #[serde(rename = "CacheMissCount")]
    pub cache_miss: u64,
    #[serde(rename = "DataProcessed")]
    pub data_processed: u64,
}

impl Totals {
    fn add(&mut self, b: &Bucket) {
        self.count += b.count;
        self.error_4xx += b.error_4xx;
        self.error_5xx += b.error_5xx;
        self.cache_hit += b.cache_hit;
        self.cache_miss += b.cache_miss;
        self.data_processed += b.data_processed;
    }
}

/// One series over the window: `buckets[i]` covers `start_epoch_second + i * step_seconds`
/// (contiguous, oldest first; an interval with no traffic is a default bucket).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricSeries {
    #[serde(flatten)]
    pub key: SeriesKey,
    pub start_epoch_second: i64,
    pub totals: Totals,
    pub buckets: Vec<Bucket>,
}

/// A stage or (stage, variant) aggregate over the window, same layout as [`MetricSeries`].
/// Its percentiles are exact (merged histograms), not averages of the series'.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateSeries {
    #[serde(flatten)]
    pub key: AggregateKey,
    pub start_epoch_second: i64,
    pub totals: Totals,
    pub buckets: Vec<Bucket>,
}

/// What [`super::Gateway::metrics_snapshot`] returns. Shaped like the console's
/// `tui::metrics::MetricsSnapshot` (same field names; the console's `Percentiles` has no
/// `max`, its `Variant` is the same two cases), so filling it is a field-by-field copy.
/// Windows up to an hour use 1-second buckets; longer windows (up to 24 h) 1-minute buckets.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsSnapshot {
    pub rest_api_id: String,
    /// The newest complete second in the snapshot (the right edge of every chart).
    pub end_epoch_second: i64,
    /// Seconds per bucket: 1 or 60.
    pub step_seconds: i64,
    /// Series with traffic in the window, sorted by key.
    pub series: Vec<MetricSeries>,
    /// Per stage (`variant: None`) and per (stage, variant), sorted by key.
    pub aggregates: Vec<AggregateSeries>,
}

/// One (stage, variant) over the second just closed, for [`MetricsTick`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTick {
    pub rest_api_id: String,
    pub stage: String,
    #[serde(serialize_with = "variant_name")]
    pub variant: Variant,
    pub bucket: Bucket,
}

/// Published each second as `GatewayEvent::MetricsTick`: the second just closed, per
/// (API, stage, variant) that had traffic. Cheap: consoles that need the full series call
/// [`super::Gateway::metrics_snapshot`].
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsTick {
    pub epoch_second: i64,
    pub stages: Vec<StageTick>,
    /// Log records dropped so far because the log queue was full.
    pub log_records_dropped: u64,
}

/// Cumulative counters of one series since the process started, for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesTotals {
    pub rest_api_id: String,
    pub key: SeriesKey,
    pub requests: u64,
    pub error_4xx: u64,
    pub error_5xx: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    /// Request plus response body bytes (DataProcessed).
    pub data_processed: u64,
    pub latency: FixedHistogram,
    pub integration_latency: FixedHistogram,
}

/// A Prometheus-style histogram: cumulative counts per upper bound (seconds, the last
/// `f64::INFINITY`), sum in seconds, count.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FixedHistogram {
    pub buckets: Vec<(f64, u64)>,
    pub sum_seconds: f64,
    pub count: u64,
}

/// What the record phase observed about one request.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub variant: Variant,
    pub resource_path: &'a str,
    pub http_method: &'a str,
    pub status: u16,
    pub latency: Duration,
    /// `None` when no backend was called (MOCK, cache hit, failure before the integration).
    pub integration_latency: Option<Duration>,
    /// `None` when caching is off for the method.
    pub cache_hit: Option<bool>,
    /// Request plus response body bytes (DataProcessed).
    pub data_processed: u64,
}

fn variant_name<S: serde::Serializer>(v: &Variant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

fn optional_variant_name<S: serde::Serializer>(
    v: &Option<Variant>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(v.as_str()),
        None => s.serialize_none(),
    }
}

pub(crate) fn now_epoch_second() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn new_histogram() -> Histogram<u32> {
    // Auto-resizing: starts small and grows to the largest value seen (bounded by the clamp
    // in `record_micros`), so idle or fast series stay cheap.
    Histogram::new(HDR_SIGNIFICANT_DIGITS)
        .expect("3 significant digits is a valid HDR configuration")
}

fn record_micros(h: &mut Histogram<u32>, d: Duration) {
    let us = (d.as_micros() as u64).clamp(1, HDR_HIGHEST_MICROS);
    // Only fails on counter overflow of a u32 within one interval; dropping the sample is fine.
    let _ = h.record(us);
}

fn percentiles(h: &Histogram<u32>) -> Percentiles {
    if h.is_empty() {
        return Percentiles::default();
    }
    let mut q = h.value_at_quantiles([0.5, 0.9, 0.99]);
    let ms = |us: Option<u64>| us.unwrap_or(0) as f64 / 1000.0;
    Percentiles {
        p50: ms(q.next()),
        p90: ms(q.next()),
        p99: ms(q.next()),
        max: h.max() as f64 / 1000.0,
    }
}

// ---------------------------------------------------------------------------------------
// Hot side: what requests touch.
// ---------------------------------------------------------------------------------------

/// The current second of one series.
struct Current {
    count: u64,
    error_4xx: u64,
    error_5xx: u64,
    cache_hit: u64,
    cache_miss: u64,
    data_processed: u64,
    latency: Histogram<u32>,
    integration: Histogram<u32>,
}

impl Current {
    fn new() -> Current {
        Current {
            count: 0,
            error_4xx: 0,
            error_5xx: 0,
            cache_hit: 0,
            cache_miss: 0,
            data_processed: 0,
            latency: new_histogram(),
            integration: new_histogram(),
        }
    }
}

/// Lock-free cumulative Prometheus histogram.
struct PromHistogram {
    buckets: [AtomicU64; PROMETHEUS_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl PromHistogram {
    fn new() -> PromHistogram {
        PromHistogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = PROMETHEUS_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(PROMETHEUS_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    fn read(&self) -> FixedHistogram {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(PROMETHEUS_BUCKETS.len() + 1);
        for (i, b) in self.buckets.iter().enumerate() {
            cumulative += b.load(Ordering::Relaxed);
            buckets.push((
                PROMETHEUS_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY),
                cumulative,
            ));
        }
        FixedHistogram {
            buckets,
            sum_seconds: self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            count: cumulative,
        }
    }
}

struct Series {
    api_id: String,
    key: SeriesKey,
    current: Mutex<Current>,
    requests: AtomicU64,
    error_4xx: AtomicU64,
    error_5xx: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    data_processed: AtomicU64,
    latency: PromHistogram,
    integration: PromHistogram,
}

impl Series {
    fn new(api_id: &str, key: SeriesKey) -> Series {
        Series {
            api_id: api_id.to_string(),
            key,
            current: Mutex::new(Current::new()),
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

    fn matches(&self, o: &Observation<'_>) -> bool {
        self.key.variant == o.variant
            && self.key.http_method == o.http_method
            && self.key.resource_path == o.resource_path
            && self.key.stage == o.stage
            && self.api_id == o.api_id
    }

    fn record(&self, o: &Observation<'_>) {
        let is_4xx = (400..500).contains(&o.status);
        let is_5xx = o.status >= 500;
        {
            let mut c = lock(&self.current);
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
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.data_processed
            .fetch_add(o.data_processed, Ordering::Relaxed);
        if is_4xx {
            self.error_4xx.fetch_add(1, Ordering::Relaxed);
        }
        if is_5xx {
            self.error_5xx.fetch_add(1, Ordering::Relaxed);
        }
        match o.cache_hit {
            Some(true) => {
                self.cache_hits.fetch_add(1, Ordering::Relaxed);
            }
            Some(false) => {
                self.cache_misses.fetch_add(1, Ordering::Relaxed);
            }
            None => {}
        }
        self.latency.observe(o.latency);
        if let Some(il) = o.integration_latency {
            self.integration.observe(il);
        }
    }

    /// Takes the current second (leaving a fresh one), or `None` if it saw no request.
    fn take(&self) -> Option<Current> {
        let mut c = lock(&self.current);
        if c.count == 0 {
            return None;
        }
        Some(std::mem::replace(&mut *c, Current::new()))
    }

    fn totals(&self) -> SeriesTotals {
        SeriesTotals {
            rest_api_id: self.api_id.clone(),
            key: self.key.clone(),
            requests: self.requests.load(Ordering::Relaxed),
            error_4xx: self.error_4xx.load(Ordering::Relaxed),
            error_5xx: self.error_5xx.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            data_processed: self.data_processed.load(Ordering::Relaxed),
            latency: self.latency.read(),
            integration_latency: self.integration.read(),
        }
    }
}

/// The index's keys are already hashes.
#[derive(Default)]
struct IdentityHasher(u64);

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

type Index = HashMap<u64, Vec<Arc<Series>>, BuildHasherDefault<IdentityHasher>>;

// ---------------------------------------------------------------------------------------
// Cold side: history, owned by the roller, read by snapshots.
// ---------------------------------------------------------------------------------------

/// A stored interval: counters and percentiles in microseconds (compact: histories are
/// sparse, only intervals with traffic are stored).
#[derive(Debug, Clone, Copy)]
struct Stored {
    at: i64,
    count: u32,
    error_4xx: u32,
    error_5xx: u32,
    cache_hit: u32,
    cache_miss: u32,
    data_processed: u64,
    latency_us: [u32; 4],
    integration_us: [u32; 4],
}

fn us4(p: Percentiles) -> [u32; 4] {
    [p.p50, p.p90, p.p99, p.max].map(|ms| (ms * 1000.0).round().clamp(0.0, u32::MAX as f64) as u32)
}

fn ms4(us: [u32; 4]) -> Percentiles {
    Percentiles {
        p50: f64::from(us[0]) / 1000.0,
        p90: f64::from(us[1]) / 1000.0,
        p99: f64::from(us[2]) / 1000.0,
        max: f64::from(us[3]) / 1000.0,
    }
}

impl Stored {
    fn bucket(&self) -> Bucket {
        Bucket {
            count: u64::from(self.count),
            error_4xx: u64::from(self.error_4xx),
            error_5xx: u64::from(self.error_5xx),
            cache_hit: u64::from(self.cache_hit),
            cache_miss: u64::from(self.cache_miss),
            data_processed: self.data_processed,
            latency_ms: ms4(self.latency_us),
            integration_latency_ms: ms4(self.integration_us),
        }
    }
}

/// One interval being accumulated (a second's merge of series, or a minute).
struct Interval {
    count: u64,
    error_4xx: u64,
    error_5xx: u64,
    cache_hit: u64,
    cache_miss: u64,
    data_processed: u64,
    latency: Histogram<u32>,
    integration: Histogram<u32>,
}

impl Interval {
    fn new() -> Interval {
        Interval {
            count: 0,
            error_4xx: 0,
            error_5xx: 0,
            cache_hit: 0,
            cache_miss: 0,
            data_processed: 0,
            latency: new_histogram(),
            integration: new_histogram(),
        }
    }

    fn from_current(c: Current) -> Interval {
        Interval {
            count: c.count,
            error_4xx: c.error_4xx,
            error_5xx: c.error_5xx,
            cache_hit: c.cache_hit,
            cache_miss: c.cache_miss,
            data_processed: c.data_processed,
            latency: c.latency,
            integration: c.integration,
        }
    }

    fn add(&mut self, o: &Interval) {
        self.count += o.count;
        self.error_4xx += o.error_4xx;
        self.error_5xx += o.error_5xx;
        self.cache_hit += o.cache_hit;
        self.cache_miss += o.cache_miss;
        self.data_processed += o.data_processed;
        // Both auto-resize, so adding cannot run out of range.
        let _ = self.latency.add(&o.latency);
        let _ = self.integration.add(&o.integration);
    }

    fn bucket(&self) -> Bucket {
        Bucket {
            count: self.count,
            error_4xx: self.error_4xx,
            error_5xx: self.error_5xx,
            cache_hit: self.cache_hit,
            cache_miss: self.cache_miss,
            data_processed: self.data_processed,
            latency_ms: percentiles(&self.latency),
            integration_latency_ms: percentiles(&self.integration),
        }
    }

    fn stored(&self, at: i64) -> Stored {
        let b = self.bucket();
        let c = |n: u64| n.min(u64::from(u32::MAX)) as u32;
        Stored {
            at,
            count: c(b.count),
            error_4xx: c(b.error_4xx),
            error_5xx: c(b.error_5xx),
            cache_hit: c(b.cache_hit),
            cache_miss: c(b.cache_miss),
            data_processed: b.data_processed,
            latency_us: us4(b.latency_ms),
            integration_us: us4(b.integration_latency_ms),
        }
    }
}

/// The history of one series or aggregate.
struct Track {
    seconds: VecDeque<Stored>,
    minutes: VecDeque<Stored>,
    /// The minute being accumulated: (epoch minute, interval).
    minute: Option<(i64, Interval)>,
    last_active: i64,
}

impl Track {
    fn new() -> Track {
        Track {
            seconds: VecDeque::new(),
            minutes: VecDeque::new(),
            minute: None,
            last_active: 0,
        }
    }

    fn push_second(&mut self, second: i64, interval: Interval) {
        self.last_active = second;
        self.roll_minute(second);
        // A late harvest can repeat a second: fold it into the stored one's counters.
        match self.seconds.back_mut() {
            Some(last) if last.at >= second => {
                let s = interval.stored(last.at);
                last.count += s.count;
                last.error_4xx += s.error_4xx;
                last.error_5xx += s.error_5xx;
                last.cache_hit += s.cache_hit;
                last.cache_miss += s.cache_miss;
                last.data_processed += s.data_processed;
                for i in 0..4 {
                    last.latency_us[i] = last.latency_us[i].max(s.latency_us[i]);
                    last.integration_us[i] = last.integration_us[i].max(s.integration_us[i]);
                }
            }
            _ => self.seconds.push_back(interval.stored(second)),
        }
        while self
            .seconds
            .front()
            .is_some_and(|s| s.at <= second - SECOND_RETENTION)
        {
            self.seconds.pop_front();
        }
        let minute = second.div_euclid(60);
        match &mut self.minute {
            Some((m, acc)) if *m == minute => acc.add(&interval),
            slot => *slot = Some((minute, interval)),
        }
    }

    /// Files the accumulated minute once `second` is past it.
    fn roll_minute(&mut self, second: i64) {
        let minute = second.div_euclid(60);
        if let Some((m, _)) = &self.minute
            && *m < minute
            && let Some((m, acc)) = self.minute.take()
        {
            self.minutes.push_back(acc.stored(m * 60));
            while self
                .minutes
                .front()
                .is_some_and(|s| s.at <= second - MINUTE_RETENTION)
            {
                self.minutes.pop_front();
            }
        }
    }

    /// Contiguous buckets for `[start, start + n * step)`; `None` if all empty.
    fn window(&self, start: i64, n: usize, step: i64) -> Option<(Vec<Bucket>, Totals)> {
        let mut buckets = vec![Bucket::default(); n];
        let mut totals = Totals::default();
        let end = start + n as i64 * step;
        let mut any = false;
        let source = if step == 1 {
            &self.seconds
        } else {
            &self.minutes
        };
        for s in source.iter().filter(|s| s.at >= start && s.at < end) {
            let b = s.bucket();
            totals.add(&b);
            buckets[((s.at - start) / step) as usize] = b;
            any = true;
        }
        if step != 1
            && let Some((m, acc)) = &self.minute
        {
            let at = m * 60;
            if at >= start && at < end && acc.count > 0 {
                let b = acc.bucket();
                totals.add(&b);
                buckets[((at - start) / step) as usize] = b;
                any = true;
            }
        }
        any.then_some((buckets, totals))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum TrackKey {
    Series(String, SeriesKey),
    Aggregate(String, AggregateKey),
}

struct Cold {
    tracks: HashMap<TrackKey, Track>,
    /// The newest second harvested.
    last_second: i64,
    ticks: u64,
}

/// The metrics store of one gateway.
pub(crate) struct Metrics {
    enabled: AtomicBool,
    /// foldhash (randomly seeded): the series lookup hashes five strings per request, and
    /// SipHash cost ~400 instructions of it.
    hasher: foldhash::fast::RandomState,
    index: ArcSwap<Index>,
    insert: Mutex<()>,
    cold: Mutex<Cold>,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        Metrics::starting_after(now_epoch_second() - 1)
    }

    /// A store whose newest closed second is `second` (harvests never go back before it).
    fn starting_after(second: i64) -> Metrics {
        Metrics {
            enabled: AtomicBool::new(true),
            hasher: foldhash::fast::RandomState::default(),
            index: ArcSwap::from_pointee(Index::default()),
            insert: Mutex::new(()),
            cold: Mutex::new(Cold {
                tracks: HashMap::new(),
                last_second: second,
                ticks: 0,
            }),
        }
    }

    pub(crate) fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
    }

    pub(crate) fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    fn hash(&self, o: &Observation<'_>) -> u64 {
        self.hasher
            .hash_one((o.api_id, o.stage, o.variant, o.resource_path, o.http_method))
    }

    /// Records one request into its series (request path: no global lock).
    pub(crate) fn record(&self, o: &Observation<'_>) {
        if !self.enabled() {
            return;
        }
        let h = self.hash(o);
        if let Some(series) = self
            .index
            .load()
            .get(&h)
            .and_then(|v| v.iter().find(|s| s.matches(o)))
        {
            series.record(o);
            return;
        }
        self.insert_series(h, o).record(o);
    }

    /// Adds a series (rare: the first request of a method on a stage and variant).
    fn insert_series(&self, h: u64, o: &Observation<'_>) -> Arc<Series> {
        let _guard = lock(&self.insert);
        let current = self.index.load_full();
        if let Some(s) = current
            .get(&h)
            .and_then(|v| v.iter().find(|s| s.matches(o)))
        {
            return s.clone();
        }
        let series = Arc::new(Series::new(
            o.api_id,
            SeriesKey {
                stage: o.stage.to_string(),
                variant: o.variant,
                resource_path: o.resource_path.to_string(),
                http_method: o.http_method.to_string(),
            },
        ));
        let mut next = (*current).clone();
        next.entry(h).or_default().push(series.clone());
        self.index.store(Arc::new(next));
        series
    }

    /// Closes `second`: files every series' current interval and the aggregates, rolls
    /// minutes, and returns the tick to publish.
    pub(crate) fn harvest(&self, second: i64) -> MetricsTick {
        let index = self.index.load_full();
        let mut cold = lock(&self.cold);
        let second = second.max(cold.last_second);
        let mut aggregates: HashMap<(String, AggregateKey), Interval> = HashMap::new();
        for series in index.values().flatten() {
            let Some(current) = series.take() else {
                continue;
            };
            let interval = Interval::from_current(current);
            for variant in [Some(series.key.variant), None] {
                aggregates
                    .entry((
                        series.api_id.clone(),
                        AggregateKey {
                            stage: series.key.stage.clone(),
                            variant,
                        },
                    ))
                    .or_insert_with(Interval::new)
                    .add(&interval);
            }
            cold.tracks
                .entry(TrackKey::Series(series.api_id.clone(), series.key.clone()))
                .or_insert_with(Track::new)
                .push_second(second, interval);
        }
        let mut stages = Vec::new();
        for ((api_id, key), interval) in aggregates {
            if let Some(variant) = key.variant {
                stages.push(StageTick {
                    rest_api_id: api_id.clone(),
                    stage: key.stage.clone(),
                    variant,
                    bucket: interval.bucket(),
                });
            }
            cold.tracks
                .entry(TrackKey::Aggregate(api_id, key))
                .or_insert_with(Track::new)
                .push_second(second, interval);
        }
        stages.sort_by(|a, b| {
            (&a.rest_api_id, &a.stage, a.variant.as_str()).cmp(&(
                &b.rest_api_id,
                &b.stage,
                b.variant.as_str(),
            ))
        });
        for track in cold.tracks.values_mut() {
            track.roll_minute(second);
        }
        cold.last_second = second;
        cold.ticks += 1;
        if cold.ticks.is_multiple_of(60) {
            self.prune(&mut cold, second);
        }
        MetricsTick {
            epoch_second: second,
            stages,
            log_records_dropped: 0,
        }
    }

    /// Forgets series idle for longer than the longest retention (e.g. of deleted stages).
    fn prune(&self, cold: &mut Cold, second: i64) {
        let horizon = second - MINUTE_RETENTION - 60;
        cold.tracks.retain(|_, t| t.last_active > horizon);
        let index = self.index.load_full();
        let stale = |s: &Arc<Series>| {
            !cold
                .tracks
                .contains_key(&TrackKey::Series(s.api_id.clone(), s.key.clone()))
                && lock(&s.current).count == 0
        };
        if index.values().flatten().any(stale) {
            let _guard = lock(&self.insert);
            let current = self.index.load_full();
            let mut next = Index::default();
            for (h, list) in current.iter() {
                let kept: Vec<Arc<Series>> = list.iter().filter(|s| !stale(s)).cloned().collect();
                if !kept.is_empty() {
                    next.insert(*h, kept);
                }
            }
            self.index.store(Arc::new(next));
        }
    }

    /// The series and aggregates of one API over the last `window` (clamped to 1 s..24 h).
    pub(crate) fn snapshot(&self, api_id: &str, window: Duration) -> MetricsSnapshot {
        let window = window.clamp(Duration::from_secs(1), MAX_WINDOW).as_secs() as i64;
        let cold = lock(&self.cold);
        let end = cold.last_second;
        let (step, start, n) = if window <= SECOND_RETENTION {
            (1, end - window + 1, window as usize)
        } else {
            let n = (window + 59) / 60;
            let first_minute = end.div_euclid(60) - n + 1;
            (60, first_minute * 60, n as usize)
        };
        let mut snap = MetricsSnapshot {
            rest_api_id: api_id.to_string(),
            end_epoch_second: end,
            step_seconds: step,
            series: Vec::new(),
            aggregates: Vec::new(),
        };
        for (key, track) in &cold.tracks {
            match key {
                TrackKey::Series(a, k) if a == api_id => {
                    if let Some((buckets, totals)) = track.window(start, n, step) {
                        snap.series.push(MetricSeries {
                            key: k.clone(),
                            start_epoch_second: start,
                            totals,
                            buckets,
                        });
                    }
                }
                TrackKey::Aggregate(a, k) if a == api_id => {
                    if let Some((buckets, totals)) = track.window(start, n, step) {
                        snap.aggregates.push(AggregateSeries {
                            key: k.clone(),
                            start_epoch_second: start,
                            totals,
                            buckets,
                        });
                    }
                }
                _ => {}
            }
        }
        snap.series.sort_by(|a, b| a.key.cmp(&b.key));
        snap.aggregates.sort_by(|a, b| a.key.cmp(&b.key));
        snap
    }

    /// Cumulative counters of every series, sorted by (API, key), for `/metrics`.
    pub(crate) fn totals(&self) -> Vec<SeriesTotals> {
        let index = self.index.load_full();
        let mut all: Vec<SeriesTotals> = index.values().flatten().map(|s| s.totals()).collect();
        all.sort_by(|a, b| (&a.rest_api_id, &a.key).cmp(&(&b.rest_api_id, &b.key)));
        all
    }
}

/// Runs the roller until the gateway is dropped: wakes a few milliseconds after each second
/// boundary, harvests the second that just ended and hands the tick to `publish`.
pub(crate) fn spawn_roller<F>(metrics: std::sync::Weak<Metrics>, publish: F) -> std::io::Result<()>
where
    F: Fn(MetricsTick) + Send + 'static,
{
    std::thread::Builder::new()
        .name("gwtui-metrics".into())
        .spawn(move || {
            loop {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let into_second = Duration::from_nanos(u64::from(now.subsec_nanos()));
                std::thread::sleep(Duration::from_secs(1) - into_second + Duration::from_millis(3));
                let Some(metrics) = metrics.upgrade() else {
                    return;
                };
                let closed = now_epoch_second() - 1;
                let tick = metrics.harvest(closed);
                drop(metrics);
                publish(tick);
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs<'a>(
        stage: &'a str,
        variant: Variant,
        path: &'a str,
        status: u16,
        ms: u64,
    ) -> Observation<'a> {
        Observation {
            api_id: "api",
            stage,
            variant,
            resource_path: path,
            http_method: "GET",
            status,
            latency: Duration::from_millis(ms),
            integration_latency: (ms > 1).then(|| Duration::from_millis(ms - 1)),
            cache_hit: None,
            data_processed: 0,
        }
    }

    #[test]
    fn harvest_files_seconds_aggregates_and_minutes() {
        let base = 1_700_000_000 - 1_700_000_000 % 60; // a minute boundary
        let m = Metrics::starting_after(base - 1);
        for i in 0..100 {
            m.record(&obs(
                "prod",
                Variant::Base,
                "/a",
                if i % 10 == 0 { 500 } else { 200 },
                i + 1,
            ));
        }
        m.record(&obs("prod", Variant::Canary, "/a", 404, 50));
        m.record(&obs("prod", Variant::Base, UNMATCHED, 403, 1));
        let tick = m.harvest(base);
        assert_eq!(tick.stages.len(), 2);
        assert_eq!(tick.stages[0].variant, Variant::Base);
        assert_eq!(tick.stages[0].bucket.count, 101);
        assert_eq!(tick.stages[0].bucket.error_5xx, 10);
        assert_eq!(tick.stages[0].bucket.error_4xx, 1);
        assert_eq!(tick.stages[1].bucket.error_4xx, 1);
        // p50 of 1..=100 ms (and one 1 ms) ≈ 50 ms within 3 significant digits.
        let p50 = tick.stages[0].bucket.latency_ms.p50;
        assert!((49.0..=51.0).contains(&p50), "{p50}");
        assert!((tick.stages[0].bucket.latency_ms.max - 100.0).abs() < 0.1);
        m.record(&obs("prod", Variant::Base, "/a", 200, 5));
        m.harvest(base + 61);

        let snap = m.snapshot("api", Duration::from_secs(300));
        assert_eq!(snap.step_seconds, 1);
        assert_eq!(snap.end_epoch_second, base + 61);
        assert_eq!(snap.series.len(), 3);
        let a = &snap.series[0];
        assert_eq!(
            (a.key.resource_path.as_str(), a.key.variant),
            (UNMATCHED, Variant::Base)
        );
        let base_a = &snap.series[1];
        assert_eq!(base_a.totals.count, 101);
        assert_eq!(base_a.buckets.len(), 300);
        assert_eq!(base_a.buckets[299].count, 1);
        assert_eq!(base_a.buckets[299 - 61].count, 100);
        let stage = snap
            .aggregates
            .iter()
            .find(|g| g.key.variant.is_none())
            .map(|g| g.totals.count);
        assert_eq!(stage, Some(103));
        // Minutes: the first minute is filed, the second still accumulating; both show.
        let day = m.snapshot("api", Duration::from_secs(86_400));
        assert_eq!(day.step_seconds, 60);
        assert_eq!(day.series[1].buckets.len(), 1440);
        assert_eq!(day.series[1].totals.count, 101);
        assert_eq!(day.series[1].buckets[1439].count, 1);
        assert_eq!(day.series[1].buckets[1438].count, 100);
        // Other APIs see nothing; totals are cumulative.
        assert!(
            m.snapshot("other", Duration::from_secs(60))
                .series
                .is_empty()
        );
        let totals = m.totals();
        assert_eq!(totals.iter().map(|t| t.requests).sum::<u64>(), 103);
        let t = totals
            .iter()
            .find(|t| t.key.resource_path == "/a" && t.key.variant == Variant::Base);
        let Some(t) = t else { panic!("series /a base") };
        assert_eq!(t.latency.count, 101);
        assert_eq!(t.latency.buckets.last().map(|b| b.1), Some(101));
        assert_eq!(t.integration_latency.count, 100);
    }

    #[test]
    fn seconds_expire_after_an_hour() {
        let start = 1_800_000_000;
        let m = Metrics::starting_after(start - 1);
        m.record(&obs("s", Variant::Base, "/a", 200, 1));
        m.harvest(start);
        m.record(&obs("s", Variant::Base, "/a", 200, 1));
        m.harvest(start + SECOND_RETENTION);
        let snap = m.snapshot("api", Duration::from_secs(3600));
        assert_eq!(snap.series[0].totals.count, 1);
        let cold = lock(&m.cold);
        let track = cold.tracks.values().next().map(|t| t.seconds.len());
        assert_eq!(track, Some(1));
    }
}
