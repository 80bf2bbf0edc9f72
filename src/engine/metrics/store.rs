//! The metrics store of one gateway: the series index requests record through, and the
//! history snapshots read.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use super::history::{Cold, TrackKey};
use super::series::{Index, Series};
use super::{
    AggregateSeries, MAX_WINDOW, MetricSeries, MetricsSnapshot, Observation, SECOND_RETENTION,
    SeriesKey, SeriesTotals, lock, now_epoch_second,
};

/// The metrics store of one gateway.
pub(crate) struct Metrics {
    pub(super) enabled: AtomicBool,
    /// foldhash (randomly seeded): the series lookup hashes five strings per request, and
    /// SipHash cost ~400 instructions of it.
    pub(super) hasher: foldhash::fast::RandomState,
    pub(super) index: ArcSwap<Index>,
    pub(super) insert: Mutex<()>,
    pub(super) cold: Mutex<Cold>,
}

impl Metrics {
    pub(crate) fn new() -> Metrics {
        Metrics::starting_after(now_epoch_second() - 1)
    }

    /// A store whose newest closed second is `second` (harvests never go back before it).
    pub(super) fn starting_after(second: i64) -> Metrics {
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

    /// The series and aggregates of one API over the last `window` (clamped to 1 s..24 h).
    pub(crate) fn snapshot(&self, api_id: &str, window: Duration) -> MetricsSnapshot {
        let cold = lock(&self.cold);
        let end = cold.last_second;
        let (step, start, n) = grid(end, window);
        let mut snap = MetricsSnapshot {
            rest_api_id: api_id.to_string(),
            end_epoch_second: end,
            step_seconds: step,
            series: Vec::new(),
            aggregates: Vec::new(),
            cluster: None,
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

/// The buckets of a snapshot of `window` (clamped to 1 s..24 h) ending at `end`:
/// `(step seconds, first bucket's epoch second, number of buckets)`.
pub(crate) fn grid(end: i64, window: Duration) -> (i64, i64, usize) {
    let window = window.clamp(Duration::from_secs(1), MAX_WINDOW).as_secs() as i64;
    if window <= SECOND_RETENTION {
        (1, end - window + 1, window as usize)
    } else {
        let n = (window + 59) / 60;
        let first_minute = end.div_euclid(60) - n + 1;
        (60, first_minute * 60, n as usize)
    }
}
