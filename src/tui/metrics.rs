//! The metrics snapshot the dashboard and the canary view render from.
//!
//! The engine fills it from its per-(stage, variant, resource, method) 1-second buckets:
//! one [`MetricSeries`] per key, with `buckets[i]` covering the second
//! `start_epoch_second + i` (contiguous, oldest first; a second with no traffic is a
//! default bucket). Latency percentiles are in milliseconds and describe that one second.
//! A snapshot usually carries the last 24 h at most; the console shows a window of it.

/// Which deployment of a stage served a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Variant {
    #[default]
    Base,
    Canary,
}

/// Latency percentiles of one second, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
}

/// One second of one series.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Bucket {
    /// `Count`: requests received.
    pub count: u64,
    /// `4XXError`: responses with a 4xx status.
    pub error_4xx: u64,
    /// `5XXError`: responses with a 5xx status.
    pub error_5xx: u64,
    /// `CacheHitCount` / `CacheMissCount`.
    pub cache_hit: u64,
    pub cache_miss: u64,
    /// `Latency`: from request received to response sent.
    pub latency_ms: Percentiles,
    /// `IntegrationLatency`: the backend call alone.
    pub integration_latency_ms: Percentiles,
    /// `DataProcessed` (HTTP APIs): request plus response body bytes.
    pub data_processed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SeriesKey {
    pub stage: String,
    pub variant: Variant,
    /// Resource path, e.g. `/pets/{petId}`.
    pub resource_path: String,
    pub http_method: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricSeries {
    pub key: SeriesKey,
    /// Epoch second of `buckets[0]`.
    pub start_epoch_second: i64,
    pub buckets: Vec<Bucket>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct MetricsSnapshot {
    pub rest_api_id: String,
    /// The newest complete second in the snapshot (the right edge of every chart).
    pub end_epoch_second: i64,
    pub series: Vec<MetricSeries>,
    /// An HTTP API's (v2): the dashboard charts DataProcessed instead of the cache.
    pub http_api: bool,
    /// A WebSocket API's: the dashboard uses CloudWatch's WebSocket names (ConnectCount,
    /// MessageCount, ClientError, Integration/ExecutionError).
    pub websocket: bool,
    /// Cluster mode: which nodes' traffic this is (`None` on a single node).
    pub cluster: Option<crate::engine::MetricsCoverage>,
}

/// Which series to aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    pub stage: Option<String>,
    /// `(resource_path, http_method)`; `None` means every method.
    pub method: Option<(String, String)>,
    /// Only the series of this method (a WebSocket event type: `CONNECT`, `MESSAGE`).
    pub event: Option<String>,
}

/// Totals over a window, for the numbers beside the charts and the canary comparison.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Totals {
    pub count: u64,
    pub error_4xx: u64,
    pub error_5xx: u64,
    pub cache_hit: u64,
    pub cache_miss: u64,
    pub data_processed: u64,
    pub latency_ms: Percentiles,
    pub integration_latency_ms: Percentiles,
}

impl Totals {
    pub fn error_rate(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.error_4xx + self.error_5xx) as f64 * 100.0 / self.count as f64
        }
    }
}

/// One stage's recent traffic, both variants together: the APIs view's live columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StagePulse {
    pub stage: String,
    /// Requests per second over the newest `rate_seconds` of the window.
    pub requests_per_second: f64,
    /// 4xx and 5xx responses over the window, in percent of its requests.
    pub error_percent: f64,
    /// Latency p99 over the window (per-second p99s weighted by their requests), in ms.
    pub p99_ms: f64,
    /// Requests per column of the window, oldest first (the sparkline).
    pub trend: Vec<u64>,
}

/// `values` as a one-line bar chart, one character each, scaled to the largest (a column
/// with no requests is blank; one with any shows at least the lowest bar).
pub fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let i = ((v as f64 / max as f64) * (BARS.len() - 1) as f64).round() as usize;
                BARS[i.min(BARS.len() - 1)]
            }
        })
        .collect()
}

/// A window of one variant, folded into `columns` points for a chart.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folded {
    /// Seconds per column.
    pub step: i64,
    pub columns: Vec<Bucket>,
    pub totals: Totals,
}

impl MetricsSnapshot {
    /// The distinct stages, sorted.
    pub fn stages(&self) -> Vec<String> {
        let mut s: Vec<String> = self.series.iter().map(|m| m.key.stage.clone()).collect();
        s.sort();
        s.dedup();
        s
    }

    /// Each stage's last `window` seconds (base and canary together), sorted by stage.
    pub fn pulse(&self, window: i64, rate_seconds: i64, columns: usize) -> Vec<StagePulse> {
        let window = window.max(1);
        let columns = columns.clamp(1, window as usize);
        let step = (window as usize).div_ceil(columns);
        self.stages()
            .into_iter()
            .map(|stage| {
                let sel = Selection {
                    stage: Some(stage.clone()),
                    method: None,
                    event: None,
                };
                let base = self.fold(&sel, Variant::Base, window, window as usize);
                let canary = self.fold(&sel, Variant::Canary, window, window as usize);
                let per_second: Vec<u64> = base
                    .columns
                    .iter()
                    .zip(canary.columns.iter())
                    .map(|(b, c)| b.count + c.count)
                    .collect();
                let recent: u64 = per_second
                    .iter()
                    .rev()
                    .take(rate_seconds.max(1) as usize)
                    .sum();
                let (b, c) = (base.totals, canary.totals);
                let count = b.count + c.count;
                let errors = b.error_4xx + b.error_5xx + c.error_4xx + c.error_5xx;
                let (error_percent, p99_ms) = if count == 0 {
                    (0.0, 0.0)
                } else {
                    (
                        errors as f64 * 100.0 / count as f64,
                        (b.latency_ms.p99 * b.count as f64 + c.latency_ms.p99 * c.count as f64)
                            / count as f64,
                    )
                };
                StagePulse {
                    stage,
                    requests_per_second: recent as f64 / rate_seconds.max(1) as f64,
                    error_percent,
                    p99_ms,
                    trend: per_second.chunks(step).map(|c| c.iter().sum()).collect(),
                }
            })
            .collect()
    }

    /// The distinct `(resource_path, http_method)` pairs of a stage, sorted.
    pub fn methods(&self, stage: Option<&str>) -> Vec<(String, String)> {
        let mut m: Vec<(String, String)> = self
            .series
            .iter()
            .filter(|s| stage.is_none_or(|st| s.key.stage == st))
            .map(|s| (s.key.resource_path.clone(), s.key.http_method.clone()))
            .collect();
        m.sort();
        m.dedup();
        m
    }

    /// Folds the last `window` seconds of the selected series of one variant into at most
    /// `columns` points. Counts add up; percentiles are count-weighted means of the
    /// per-second percentiles (an approximation: exact merging needs the histograms).
    pub fn fold(&self, sel: &Selection, variant: Variant, window: i64, columns: usize) -> Folded {
        let window = window.max(1);
        let columns = columns.clamp(1, window as usize);
        let step = (window + columns as i64 - 1) / columns as i64;
        let columns = ((window + step - 1) / step) as usize;
        let start = self.end_epoch_second - window + 1;
        let mut acc = vec![Acc::default(); columns];
        let mut total = Acc::default();
        for s in &self.series {
            if s.key.variant != variant
                || sel.stage.as_ref().is_some_and(|st| &s.key.stage != st)
                || sel
                    .method
                    .as_ref()
                    .is_some_and(|(p, m)| &s.key.resource_path != p || &s.key.http_method != m)
                || sel.event.as_ref().is_some_and(|e| &s.key.http_method != e)
            {
                continue;
            }
            let first = (start - s.start_epoch_second).max(0) as usize;
            let last = (self.end_epoch_second - s.start_epoch_second + 1).max(0) as usize;
            let last = last.min(s.buckets.len());
            for (i, b) in s.buckets.iter().enumerate().take(last).skip(first) {
                let sec = s.start_epoch_second + i as i64;
                let col = ((sec - start) / step) as usize;
                if let Some(a) = acc.get_mut(col) {
                    a.add(b);
                }
                total.add(b);
            }
        }
        Folded {
            step,
            columns: acc.iter().map(Acc::finish).collect(),
            totals: {
                let t = total.finish();
                Totals {
                    count: t.count,
                    error_4xx: t.error_4xx,
                    error_5xx: t.error_5xx,
                    cache_hit: t.cache_hit,
                    cache_miss: t.cache_miss,
                    data_processed: t.data_processed,
                    latency_ms: t.latency_ms,
                    integration_latency_ms: t.integration_latency_ms,
                }
            },
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    b: Bucket,
    weighted: [f64; 6],
}

impl Acc {
    fn add(&mut self, b: &Bucket) {
        self.b.count += b.count;
        self.b.error_4xx += b.error_4xx;
        self.b.error_5xx += b.error_5xx;
        self.b.cache_hit += b.cache_hit;
        self.b.cache_miss += b.cache_miss;
        self.b.data_processed += b.data_processed;
        let w = b.count as f64;
        let l = b.latency_ms;
        let il = b.integration_latency_ms;
        for (slot, v) in self
            .weighted
            .iter_mut()
            .zip([l.p50, l.p90, l.p99, il.p50, il.p90, il.p99])
        {
            *slot += v * w;
        }
    }

    fn finish(&self) -> Bucket {
        let mut b = self.b;
        if b.count > 0 {
            let n = b.count as f64;
            let w = self.weighted.map(|x| x / n);
            b.latency_ms = Percentiles {
                p50: w[0],
                p90: w[1],
                p99: w[2],
            };
            b.integration_latency_ms = Percentiles {
                p50: w[3],
                p90: w[4],
                p99: w[5],
            };
        }
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(stage: &str, variant: Variant, start: i64, n: usize) -> MetricSeries {
        MetricSeries {
            key: SeriesKey {
                stage: stage.into(),
                variant,
                resource_path: "/pets".into(),
                http_method: "GET".into(),
            },
            start_epoch_second: start,
            buckets: (0..n)
                .map(|i| Bucket {
                    count: 2,
                    error_5xx: u64::from(i % 2 == 0),
                    latency_ms: Percentiles {
                        p50: 10.0,
                        p90: 20.0,
                        p99: 30.0,
                    },
                    ..Default::default()
                })
                .collect(),
        }
    }

    #[test]
    fn fold_sums_counts_and_weights_percentiles() {
        let snap = MetricsSnapshot {
            rest_api_id: "a".into(),
            end_epoch_second: 1099,
            series: vec![
                series("prod", Variant::Base, 1000, 100),
                series("prod", Variant::Canary, 1000, 100),
            ],
            http_api: false,
            websocket: false,
            cluster: None,
        };
        let f = snap.fold(&Selection::default(), Variant::Base, 60, 30);
        assert_eq!(f.step, 2);
        assert_eq!(f.columns.len(), 30);
        assert_eq!(f.totals.count, 120);
        assert_eq!(f.totals.error_5xx, 30);
        assert!((f.totals.latency_ms.p99 - 30.0).abs() < 1e-9);
        assert!((f.totals.error_rate() - 25.0).abs() < 1e-9);
        let none = snap.fold(
            &Selection {
                stage: Some("dev".into()),
                method: None,
                event: None,
            },
            Variant::Base,
            60,
            30,
        );
        assert_eq!(none.totals.count, 0);
        assert_eq!(
            snap.methods(Some("prod")),
            vec![("/pets".to_string(), "GET".to_string())]
        );
    }
}
