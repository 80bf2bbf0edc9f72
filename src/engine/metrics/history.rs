//! The cold side: each series' and aggregate's history (1-second buckets for an hour,
//! 1-minute buckets for a day), owned by the roller and read by snapshots.

use std::collections::{HashMap, VecDeque};

use super::histogram::{new_histogram, percentiles};
use super::{
    AggregateKey, Bucket, MINUTE_RETENTION, Percentiles, SECOND_RETENTION, SeriesKey, Totals,
};
use hdrhistogram::Histogram;

/// A stored interval: counters and percentiles in microseconds (compact: histories are
/// sparse, only intervals with traffic are stored).
#[derive(Debug, Clone, Copy)]
pub(super) struct Stored {
    pub(super) at: i64,
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
pub(super) struct Interval {
    pub(super) count: u64,
    pub(super) error_4xx: u64,
    pub(super) error_5xx: u64,
    pub(super) cache_hit: u64,
    pub(super) cache_miss: u64,
    pub(super) data_processed: u64,
    pub(super) latency: Histogram<u32>,
    pub(super) integration: Histogram<u32>,
}

impl Interval {
    pub(super) fn new() -> Interval {
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

    pub(super) fn add(&mut self, o: &Interval) {
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

    pub(super) fn bucket(&self) -> Bucket {
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
pub(super) struct Track {
    pub(super) seconds: VecDeque<Stored>,
    minutes: VecDeque<Stored>,
    /// The minute being accumulated: (epoch minute, interval).
    minute: Option<(i64, Interval)>,
    pub(super) last_active: i64,
}

impl Track {
    pub(super) fn new() -> Track {
        Track {
            seconds: VecDeque::new(),
            minutes: VecDeque::new(),
            minute: None,
            last_active: 0,
        }
    }

    pub(super) fn push_second(&mut self, second: i64, interval: Interval) {
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
    pub(super) fn roll_minute(&mut self, second: i64) {
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
    pub(super) fn window(&self, start: i64, n: usize, step: i64) -> Option<(Vec<Bucket>, Totals)> {
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
pub(super) enum TrackKey {
    Series(String, SeriesKey),
    Aggregate(String, AggregateKey),
}

pub(super) struct Cold {
    pub(super) tracks: HashMap<TrackKey, Track>,
    /// The newest second harvested.
    pub(super) last_second: i64,
    pub(super) ticks: u64,
}
