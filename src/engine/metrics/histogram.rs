//! Latency histograms: the HDR ones behind each interval's percentiles, and the fixed-bucket
//! cumulative ones behind `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::{
    FixedHistogram, HDR_HIGHEST_MICROS, HDR_SIGNIFICANT_DIGITS, PROMETHEUS_BUCKETS, Percentiles,
};

pub(super) fn new_histogram() -> Histogram<u32> {
    // Auto-resizing: starts small and grows to the largest value seen (bounded by the clamp
    // in `record_micros`), so idle or fast series stay cheap.
    Histogram::new(HDR_SIGNIFICANT_DIGITS)
        .expect("3 significant digits is a valid HDR configuration")
}

pub(super) fn record_micros(h: &mut Histogram<u32>, d: Duration) {
    let us = (d.as_micros() as u64).clamp(1, HDR_HIGHEST_MICROS);
    // Only fails on counter overflow of a u32 within one interval; dropping the sample is fine.
    let _ = h.record(us);
}

pub(super) fn percentiles(h: &Histogram<u32>) -> Percentiles {
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

/// Lock-free cumulative Prometheus histogram (one per series shard).
pub(super) struct PromHistogram {
    buckets: [AtomicU64; PROMETHEUS_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl PromHistogram {
    pub(super) fn new() -> PromHistogram {
        PromHistogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub(super) fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let i = PROMETHEUS_BUCKETS
            .iter()
            .position(|le| secs <= *le)
            .unwrap_or(PROMETHEUS_BUCKETS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
    }

    /// The sum of several histograms (a series' shards) as one.
    pub(super) fn read_all<'a>(
        all: impl Iterator<Item = &'a PromHistogram> + Clone,
    ) -> FixedHistogram {
        let mut cumulative = 0;
        let mut buckets = Vec::with_capacity(PROMETHEUS_BUCKETS.len() + 1);
        for i in 0..=PROMETHEUS_BUCKETS.len() {
            cumulative += all
                .clone()
                .map(|h| h.buckets[i].load(Ordering::Relaxed))
                .sum::<u64>();
            buckets.push((
                PROMETHEUS_BUCKETS.get(i).copied().unwrap_or(f64::INFINITY),
                cumulative,
            ));
        }
        let sum_micros: u64 = all.map(|h| h.sum_micros.load(Ordering::Relaxed)).sum();
        FixedHistogram {
            buckets,
            sum_seconds: sum_micros as f64 / 1e6,
            count: cumulative,
        }
    }
}
