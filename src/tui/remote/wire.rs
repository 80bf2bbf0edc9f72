//! `GET /gwtui/metrics`'s JSON (the engine's snapshot: AWS's metric names per bucket, `step`
//! seconds per bucket) read into the console's [`MetricsSnapshot`].

use serde::Deserialize;

use crate::tui::metrics::{Bucket, MetricSeries, MetricsSnapshot, Percentiles, SeriesKey, Variant};

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
struct WirePercentiles {
    p50: f64,
    p90: f64,
    p99: f64,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
struct WireBucket {
    #[serde(rename = "Count")]
    count: u64,
    #[serde(rename = "4XXError")]
    error_4xx: u64,
    #[serde(rename = "5XXError")]
    error_5xx: u64,
    #[serde(rename = "CacheHitCount")]
    cache_hit: u64,
    #[serde(rename = "CacheMissCount")]
    cache_miss: u64,
    #[serde(rename = "Latency")]
    latency_ms: WirePercentiles,
    #[serde(rename = "IntegrationLatency")]
    integration_latency_ms: WirePercentiles,
    #[serde(rename = "DataProcessed")]
    data_processed: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireSeries {
    stage: String,
    variant: String,
    resource_path: String,
    http_method: String,
    start_epoch_second: i64,
    buckets: Vec<WireBucket>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Snapshot {
    rest_api_id: String,
    end_epoch_second: i64,
    step_seconds: i64,
    series: Vec<WireSeries>,
    /// Cluster mode: which nodes answered (`GET /gwtui/metrics?node=`).
    cluster: Option<crate::engine::MetricsCoverage>,
}

fn percentiles(p: WirePercentiles) -> Percentiles {
    Percentiles {
        p50: p.p50,
        p90: p.p90,
        p99: p.p99,
    }
}

impl Snapshot {
    /// The console's shape: a minute bucket (windows over an hour) sits at its minute's first
    /// second with the other 59 left empty, as the in-process backend lays it out.
    pub fn into_console(self) -> MetricsSnapshot {
        let step = self.step_seconds.clamp(1, 60) as usize;
        let series = self
            .series
            .into_iter()
            .map(|s| {
                let mut buckets = vec![Bucket::default(); s.buckets.len() * step];
                for (i, b) in s.buckets.iter().enumerate() {
                    buckets[i * step] = Bucket {
                        count: b.count,
                        error_4xx: b.error_4xx,
                        error_5xx: b.error_5xx,
                        cache_hit: b.cache_hit,
                        cache_miss: b.cache_miss,
                        latency_ms: percentiles(b.latency_ms),
                        integration_latency_ms: percentiles(b.integration_latency_ms),
                        data_processed: b.data_processed,
                    };
                }
                MetricSeries {
                    key: SeriesKey {
                        stage: s.stage,
                        variant: if s.variant == "canary" {
                            Variant::Canary
                        } else {
                            Variant::Base
                        },
                        resource_path: s.resource_path,
                        http_method: s.http_method,
                    },
                    start_epoch_second: s.start_epoch_second,
                    buckets,
                }
            })
            .collect();
        MetricsSnapshot {
            rest_api_id: self.rest_api_id,
            end_epoch_second: self.end_epoch_second,
            series,
            // Set by the caller, which asks the server whether the id is an HTTP API.
            http_api: false,
            websocket: false,
            cluster: self.cluster,
        }
    }
}
