//! Metrics of WebSocket requests through the shared metric series: each connect, message and
//! disconnect is one observation of its route (resource path = the route key, method = the
//! event type `CONNECT` / `MESSAGE` / `DISCONNECT`), so ConnectCount and MessageCount are the
//! counts of those series, ClientError the 4xx, ExecutionError / IntegrationError the 5xx,
//! and IntegrationLatency the integration's time. Nothing here blocks or does I/O.

use std::time::Duration;

use super::event::EventType;
use crate::engine::Gateway;
use crate::engine::live::Variant;
use crate::engine::metrics::Observation;

/// One request's outcome.
pub struct Outcome<'a> {
    pub api_id: &'a str,
    pub stage: &'a str,
    pub route_key: &'a str,
    pub event_type: EventType,
    /// 200 when it went through; 4xx a client error (no route, invalid body, refused
    /// connect); 5xx an integration or execution error.
    pub status: u16,
    pub latency: Duration,
    pub integration_latency: Option<Duration>,
    pub bytes: u64,
}

pub fn record(gw: &Gateway, o: &Outcome<'_>) {
    gw.inner.metrics.record(&Observation {
        api_id: o.api_id,
        stage: o.stage,
        variant: Variant::Base,
        resource_path: o.route_key,
        http_method: o.event_type.as_str(),
        status: o.status,
        latency: o.latency,
        integration_latency: o.integration_latency,
        cache_hit: None,
        data_processed: o.bytes,
    });
}
