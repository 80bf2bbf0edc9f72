//! `GET /metrics`: the engine's cumulative per-series counters in the Prometheus/OpenMetrics
//! text format, through `prometheus-client`. A collector reads
//! [`Gateway::metrics_totals`] at scrape time, so the request path never touches a
//! `prometheus-client` family (whose map sits behind a lock).

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use super::Body;
use crate::engine::ClusterCounts;
use crate::engine::Gateway;
use crate::engine::{FixedHistogram, SeriesTotals};

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The labels of every series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct SeriesLabels {
    pub api_id: String,
    pub stage: String,
    pub resource: String,
    pub method: String,
    /// `base` or `canary`.
    pub variant: String,
}

impl SeriesLabels {
    fn of(t: &SeriesTotals) -> SeriesLabels {
        SeriesLabels {
            api_id: t.rest_api_id.clone(),
            stage: t.key.stage.clone(),
            resource: t.key.resource_path.clone(),
            method: t.key.http_method.clone(),
            variant: t.key.variant.as_str().to_string(),
        }
    }
}

/// The labels of the WebSocket families (CloudWatch's `ApiId`, `Stage`, `Route`).
#[derive(Debug, Clone, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
pub struct RouteLabels {
    pub api_id: String,
    pub stage: String,
    pub route: String,
}

/// A WebSocket route's counts under CloudWatch's names.
#[derive(Debug, Clone, Copy, Default)]
struct WebSocketCounts {
    connect: u64,
    message: u64,
    client_error: u64,
    integration_error: u64,
    execution_error: u64,
}

#[derive(Debug)]
struct GatewayCollector {
    series: Vec<(SeriesLabels, SeriesTotals)>,
    websocket: Vec<(RouteLabels, WebSocketCounts)>,
    log_records_dropped: u64,
    /// Cluster mode's Redis counters.
    cluster: Option<ClusterCounts>,
}

type WebSocketCounterOf = fn(&WebSocketCounts) -> u64;

/// WebSocket APIs' metrics under CloudWatch's names (each connect, message and disconnect is
/// also a request of the generic families, method `CONNECT` / `MESSAGE` / `DISCONNECT`, whose
/// `gwtui_integration_latency` is IntegrationLatency).
const WEBSOCKET_COUNTERS: [(&str, &str, WebSocketCounterOf); 5] = [
    (
        "gwtui_websocket_connect_count",
        "Messages sent to the $connect route (ConnectCount).",
        |c| c.connect,
    ),
    (
        "gwtui_websocket_message_count",
        "Messages received and routed (MessageCount).",
        |c| c.message,
    ),
    (
        "gwtui_websocket_client_errors",
        "Events answered 4xx before the integration: no route, invalid body, refused connect (ClientError).",
        |c| c.client_error,
    ),
    (
        "gwtui_websocket_integration_errors",
        "Events whose integration failed or answered an error (IntegrationError).",
        |c| c.integration_error,
    ),
    (
        "gwtui_websocket_execution_errors",
        "Events that failed without an integration call (ExecutionError).",
        |c| c.execution_error,
    ),
];

/// The `route` label of a stage's messages sent to its clients.
const OUTBOUND_ROUTE: &str = "$outbound";

/// The WebSocket families' values from the generic series and the engine's error counts.
fn websocket_counts(gw: &Gateway, series: &[SeriesTotals]) -> Vec<(RouteLabels, WebSocketCounts)> {
    let mut out = std::collections::BTreeMap::<RouteLabels, WebSocketCounts>::new();
    for t in series {
        let method = t.key.http_method.as_str();
        if !matches!(method, "CONNECT" | "MESSAGE" | "DISCONNECT")
            || !gw.is_websocket_api(&t.rest_api_id)
        {
            continue;
        }
        let c = out
            .entry(RouteLabels {
                api_id: t.rest_api_id.clone(),
                stage: t.key.stage.clone(),
                route: t.key.resource_path.clone(),
            })
            .or_default();
        match method {
            "CONNECT" => c.connect += t.requests,
            "MESSAGE" => c.message += t.requests,
            _ => {}
        }
        c.client_error += t.error_4xx;
    }
    // MessageCount counts both directions: the messages sent to clients of a stage have no
    // route, so they are the stage's `route="$outbound"` series (a `$` key no route can have).
    for m in gw.websocket_outbound_messages() {
        let c = out
            .entry(RouteLabels {
                api_id: m.api_id,
                stage: m.stage,
                route: OUTBOUND_ROUTE.to_string(),
            })
            .or_default();
        c.message += m.count;
    }
    for e in gw.websocket_route_errors() {
        let c = out
            .entry(RouteLabels {
                api_id: e.api_id,
                stage: e.stage,
                route: e.route_key,
            })
            .or_default();
        c.integration_error += e.counts.integration;
        c.execution_error += e.counts.execution;
    }
    out.into_iter().collect()
}

type ClusterCounterOf = fn(&ClusterCounts) -> u64;

const CLUSTER_COUNTERS: [(&str, &str, ClusterCounterOf); 12] = [
    (
        "gwtui_redis_calls",
        "Calls made to Redis (cluster mode).",
        |c| c.calls,
    ),
    (
        "gwtui_redis_failures",
        "Redis calls that failed or timed out.",
        |c| c.failures,
    ),
    (
        "gwtui_redis_refused",
        "Redis calls not made because the circuit breaker was open.",
        |c| c.refused,
    ),
    (
        "gwtui_redis_fail_open",
        "Requests served without the shared check ([cluster] redis_failure = open).",
        |c| c.fail_open,
    ),
    (
        "gwtui_redis_fail_closed",
        "Requests refused because the shared check failed ([cluster] redis_failure = closed).",
        |c| c.fail_closed,
    ),
    (
        "gwtui_redis_lease_refills",
        "Token leases taken from the shared buckets.",
        |c| c.lease_refills,
    ),
    (
        "gwtui_redis_breaker_opened",
        "Times the Redis circuit breaker opened.",
        |c| c.breaker_opened,
    ),
    (
        "gwtui_redis_cache_hits",
        "Shared response cache lookups that hit.",
        |c| c.cache_hits,
    ),
    (
        "gwtui_redis_cache_misses",
        "Shared response cache lookups that missed (or could not ask Redis).",
        |c| c.cache_misses,
    ),
    (
        "gwtui_redis_ws_relayed",
        "@connections calls sent to the node holding the connection.",
        |c| c.ws_relayed,
    ),
    (
        "gwtui_redis_ws_relay_failures",
        "Relayed @connections calls that failed (Redis unreachable or no answer in time).",
        |c| c.ws_relay_failures,
    ),
    (
        "gwtui_redis_ws_relay_served",
        "@connections calls from other nodes served by this node.",
        |c| c.ws_relay_served,
    ),
];

type CounterOf = fn(&SeriesTotals) -> u64;
type HistogramOf = fn(&SeriesTotals) -> &FixedHistogram;

const COUNTERS: [(&str, &str, CounterOf); 6] = [
    ("gwtui_requests", "Requests received (Count).", |t| {
        t.requests
    }),
    (
        "gwtui_4xx_errors",
        "Responses with a 4xx status (4XXError).",
        |t| t.error_4xx,
    ),
    (
        "gwtui_5xx_errors",
        "Responses with a 5xx status (5XXError).",
        |t| t.error_5xx,
    ),
    (
        "gwtui_cache_hits",
        "Responses served from the stage cache (CacheHitCount).",
        |t| t.cache_hits,
    ),
    (
        "gwtui_cache_misses",
        "Responses served by the backend with caching on (CacheMissCount).",
        |t| t.cache_misses,
    ),
    (
        "gwtui_data_processed_bytes",
        "Request plus response body bytes (DataProcessed).",
        |t| t.data_processed,
    ),
];

const HISTOGRAMS: [(&str, &str, HistogramOf); 2] = [
    (
        "gwtui_latency",
        "Request received to response returned (Latency).",
        |t| &t.latency,
    ),
    (
        "gwtui_integration_latency",
        "The backend call alone (IntegrationLatency).",
        |t| &t.integration_latency,
    ),
];

fn encode_histogram(
    encoder: &mut MetricEncoder<'_>,
    h: &FixedHistogram,
) -> Result<(), std::fmt::Error> {
    // The engine's buckets are cumulative; the encoder wants each bucket's own count.
    let mut previous = 0;
    let per_bucket: Vec<(f64, u64)> = h
        .buckets
        .iter()
        .map(|(le, cumulative)| {
            let own = cumulative.saturating_sub(previous);
            previous = *cumulative;
            (*le, own)
        })
        .collect();
    encoder.encode_histogram::<SeriesLabels>(h.sum_seconds, h.count, &per_bucket, None)
}

impl Collector for GatewayCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, value) in COUNTERS {
            let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (labels, totals) in &self.series {
                let family = metric.encode_family(labels)?;
                prometheus_client::encoding::EncodeMetric::encode(
                    &ConstCounter::new(value(totals)),
                    family,
                )?;
            }
        }
        for (name, help, value) in HISTOGRAMS {
            let mut metric = encoder.encode_descriptor(
                name,
                help,
                Some(&Unit::Seconds),
                MetricType::Histogram,
            )?;
            for (labels, totals) in &self.series {
                let mut family = metric.encode_family(labels)?;
                encode_histogram(&mut family, value(totals))?;
            }
        }
        for (name, help, value) in WEBSOCKET_COUNTERS {
            let mut metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (labels, counts) in &self.websocket {
                let family = metric.encode_family(labels)?;
                prometheus_client::encoding::EncodeMetric::encode(
                    &ConstCounter::new(value(counts)),
                    family,
                )?;
            }
        }
        let metric = encoder.encode_descriptor(
            "gwtui_log_records_dropped",
            "Log records dropped because the log queue was full.",
            None,
            MetricType::Counter,
        )?;
        prometheus_client::encoding::EncodeMetric::encode(
            &ConstCounter::new(self.log_records_dropped),
            metric,
        )?;
        if let Some(c) = &self.cluster {
            for (name, help, value) in CLUSTER_COUNTERS {
                let metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
                prometheus_client::encoding::EncodeMetric::encode(
                    &ConstCounter::new(value(c)),
                    metric,
                )?;
            }
            let metric = encoder.encode_descriptor(
                "gwtui_redis_breaker_open",
                "1 while the Redis circuit breaker is open.",
                None,
                MetricType::Gauge,
            )?;
            prometheus_client::encoding::EncodeMetric::encode(
                &ConstGauge::new(i64::from(c.breaker_open)),
                metric,
            )?;
        }
        Ok(())
    }
}

/// The exposition text for the gateway's current totals.
pub fn render(gw: &Gateway) -> Result<String, std::fmt::Error> {
    let totals = gw.metrics_totals();
    let websocket = websocket_counts(gw, &totals);
    let series = totals
        .into_iter()
        .map(|t| (SeriesLabels::of(&t), t))
        .collect();
    // Cluster mode: every series carries the node that counted it.
    let mut registry = match gw.node_id() {
        Some(node) => Registry::with_labels(std::iter::once((
            std::borrow::Cow::Borrowed("node"),
            std::borrow::Cow::Owned(node.to_string()),
        ))),
        None => Registry::default(),
    };
    registry.register_collector(Box::new(GatewayCollector {
        series,
        websocket,
        log_records_dropped: gw.log_records_dropped(),
        cluster: gw.cluster().map(|c| c.counts()),
    }));
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry)?;
    Ok(text)
}

/// The `/metrics` response.
pub fn respond(gw: &Gateway) -> Response<Body> {
    match render(gw) {
        Ok(text) => {
            let mut r = Response::new(Full::new(Bytes::from(text)));
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                HeaderValue::from_static(CONTENT_TYPE),
            );
            r
        }
        Err(_) => super::plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "{\"message\":\"cannot encode metrics\"}",
        ),
    }
}
