//! The shapes the metrics store hands out: snapshots for consoles, the per-second tick,
//! cumulative totals for `/metrics`, and what the record phase observes about a request.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::engine::live::Variant;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

/// One bucket (a second, or a minute for windows over an hour) of one series.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeriesKey {
    pub stage: String,
    pub variant: Variant,
    /// Resource template path (`/pets/{petId}`); [`UNMATCHED`](super::UNMATCHED) for requests no method matched.
    pub resource_path: String,
    /// The method's declared verb (may be `ANY`); [`UNMATCHED`](super::UNMATCHED) for unmatched requests.
    pub http_method: String,
}

/// Identifies an aggregate: a whole stage (`variant: None`) or one variant of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateKey {
    pub stage: String,
    pub variant: Option<Variant>,
}

/// Sums over a snapshot's window (percentiles are not summed: see the buckets or the
/// aggregates' buckets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
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
    pub(crate) fn add(&mut self, b: &Bucket) {
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
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
    /// Cluster mode: which nodes' traffic the snapshot holds (`None`: this node's alone,
    /// as on a single node). See `Gateway::cluster_metrics_snapshot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<MetricsCoverage>,
}

/// Cluster mode: which nodes a snapshot covers, so a console says "2 of 3 nodes" rather than
/// silently undercounting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsCoverage {
    /// `cluster` (every node's traffic merged) or the id of the one node shown.
    pub scope: String,
    /// Every node that may hold traffic of the window (up, stale, or down but seen within
    /// the window), this one included, sorted by id.
    pub nodes: Vec<NodeCoverage>,
}

/// One node of a [`MetricsCoverage`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCoverage {
    pub node_id: String,
    /// The node that answered.
    pub this_node: bool,
    /// `up`, `stale` or `down` (its heartbeat's age).
    pub health: String,
    /// Its traffic is in the snapshot.
    pub included: bool,
    /// Why it is not (unreachable, timed out, down...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl MetricsCoverage {
    /// How many nodes' traffic the snapshot holds.
    pub fn included(&self) -> usize {
        self.nodes.iter().filter(|n| n.included).count()
    }

    /// Whether this is the merged view of the whole cluster.
    pub fn is_cluster(&self) -> bool {
        self.scope == CLUSTER_SCOPE
    }
}

/// [`MetricsCoverage::scope`] of the merged view.
pub const CLUSTER_SCOPE: &str = "cluster";

/// One (stage, variant) over the second just closed, for [`MetricsTick`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StageTick {
    pub rest_api_id: String,
    pub stage: String,
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
