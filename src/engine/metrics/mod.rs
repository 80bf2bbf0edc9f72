//! Live metrics (ops.md §4): `Count`, `4XXError`, `5XXError`, `CacheHitCount`,
//! `CacheMissCount`, `Latency` and `IntegrationLatency` per (API, stage, variant, resource,
//! method), in 1-second buckets kept for an hour and 1-minute buckets kept for 24 hours, with
//! the same numbers aggregated per (stage, variant) and per stage.
//!
//! Hot path (DESIGN.md): a request finds its series through a read-mostly index
//! (`ArcSwap` of a map; a new series is inserted rarely, under a writer mutex, by swapping a
//! copied map) and records into that series alone — a per-series mutex around the current
//! second's counters and HDR histograms plus lock-free atomics for the cumulative Prometheus
//! counters, all split into per-thread shards so that workers serving the same method do not
//! contend. No global lock is taken.
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
//!
//! Files: `shapes` (what the store hands out), `series` (the hot side), `histogram`,
//! `history` (the cold side), `store` (the index and snapshots), `roller` (the harvest thread).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

mod histogram;
mod history;
mod roller;
mod series;
mod shapes;
mod store;
#[cfg(test)]
mod tests;

pub(crate) use roller::spawn_roller;
pub use shapes::*;
pub(crate) use store::{Metrics, grid};

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
