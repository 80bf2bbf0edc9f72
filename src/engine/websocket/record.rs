//! Metrics and logs of WebSocket requests. Metrics go through the shared metric series: each
//! connect, message and disconnect is one observation of its route (resource path = the route
//! key, method = the event type `CONNECT` / `MESSAGE` / `DISCONNECT`), so ConnectCount and
//! MessageCount are the counts of those series, ClientError the 4xx, ExecutionError /
//! IntegrationError the 5xx, and IntegrationLatency the integration's time. Logs: the stage's
//! `accessLogSettings.format` with the WebSocket `$context` variables (`connectionId`,
//! `eventType`, `routeKey`, `messageId`, `connectedAt`, `messageDirection`, `status`,
//! `integrationLatency`, `error.message`, …), and, when the stage's `defaultRouteSettings`
//! has a `loggingLevel`, execution-log lines per event (the wording is gwtui's: AWS does not
//! document its WebSocket execution log). Nothing here blocks or does I/O: the log thread
//! writes.

use std::sync::Arc;
use std::time::Duration;

use super::event::EventType;
use crate::engine::Gateway;
use crate::engine::live::Variant;
use crate::engine::logs::{
    AccessValues, Level, LogSettings, PendingLine, RequestLog, StageLog, Summary,
};
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

/// What the logs of one event name besides its outcome.
pub struct LogFacts<'a> {
    pub log: &'a Arc<StageLog>,
    pub logging: LogSettings,
    pub request_id: &'a str,
    pub message_id: Option<&'a str>,
    /// `-` for a refused connect (no connection was made).
    pub connection_id: &'a str,
    pub connected_at: i64,
    pub source_ip: String,
    pub user_agent: Option<&'a str>,
    /// Why it failed, for `$context.error.message` and the execution log.
    pub error: Option<&'a str>,
}

pub fn record(gw: &Gateway, o: &Outcome<'_>, facts: Option<&LogFacts<'_>>) {
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
    if o.status >= 500
        && let Ok(mut errors) = gw.inner.websocket.errors.lock()
    {
        let counts = errors
            .entry((
                o.api_id.to_string(),
                o.stage.to_string(),
                o.route_key.to_string(),
            ))
            .or_default();
        if o.integration_latency.is_some() {
            counts.integration += 1;
        } else {
            counts.execution += 1;
        }
    }
    let Some(f) = facts else {
        return;
    };
    let subscribed = gw.inner.logs.subscribed();
    let level = f.logging.level;
    if f.log.format.is_none() && level.is_none() && !subscribed {
        return;
    }
    let now = time::OffsetDateTime::now_utc();
    let epoch_millis = (now.unix_timestamp_nanos() / 1_000_000) as i64;
    let access = f.log.format.as_ref().map(|format| AccessValues {
        status: o.status,
        response_length: 0,
        latency_ms: o.latency.as_millis() as u64,
        method: http::Method::GET,
        resource_path: Some(Arc::from(o.route_key)),
        caller: None,
        user: None,
        others: format
            .other_names()
            .map(|name| access_value(o, f, name))
            .collect(),
    });
    let execution = level
        .map(|level| execution_lines(o, f, level, epoch_millis))
        .unwrap_or_default();
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    gw.inner.logs.submit(RequestLog {
        target: f.log.clone(),
        variant: Variant::Base,
        request_id: f.request_id.to_string(),
        extended_request_id: f.request_id.to_string(),
        request_time: now.format(format).unwrap_or_default(),
        source_ip: f.source_ip.clone(),
        epoch_millis,
        access,
        execution,
        summary: subscribed.then(|| Summary {
            http_method: http::Method::from_bytes(o.event_type.as_str().as_bytes())
                .unwrap_or(http::Method::GET),
            path: f.connection_id.to_string(),
            status: o.status,
            latency: o.latency,
            resource_path: Some(Arc::from(o.route_key)),
            error: f.error.map(str::to_string),
        }),
    });
}

/// `$context.X` of a WebSocket event, for access logs.
fn access_value(o: &Outcome<'_>, f: &LogFacts<'_>, name: &str) -> Option<String> {
    Some(match name {
        "connectionId" => f.connection_id.to_string(),
        "connectedAt" => f.connected_at.to_string(),
        "eventType" => o.event_type.as_str().to_string(),
        "routeKey" => o.route_key.to_string(),
        "messageId" => f.message_id?.to_string(),
        "messageDirection" => "IN".to_string(),
        "integrationLatency" | "integration.latency" => {
            o.integration_latency?.as_millis().to_string()
        }
        "responseLatency" => o.latency.as_millis().to_string(),
        "error.message" | "integrationErrorMessage" => f.error?.to_string(),
        "identity.userAgent" => f.user_agent?.to_string(),
        "requestTimeEpoch" => ((time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
            as i64)
            .to_string(),
        _ => return None,
    })
}

/// The execution-log lines of one event at `level` (ERROR keeps only the failures).
fn execution_lines(
    o: &Outcome<'_>,
    f: &LogFacts<'_>,
    level: Level,
    epoch_millis: i64,
) -> Vec<PendingLine> {
    let mut out = Vec::new();
    let mut info = |message: String| {
        if level == Level::Info {
            out.push(PendingLine {
                epoch_millis,
                level: Level::Info,
                message,
            });
        }
    };
    match (o.event_type, f.message_id) {
        (EventType::Message, Some(m)) => info(format!(
            "Received message {m} from connection {}, route selected: {}",
            f.connection_id, o.route_key
        )),
        (EventType::Connect, _) => info(format!(
            "Connecting {} from {}, route: $connect",
            f.connection_id, f.source_ip
        )),
        _ => info(format!(
            "{} of connection {}, route: {}",
            o.event_type.as_str(),
            f.connection_id,
            o.route_key
        )),
    }
    if let Some(l) = o.integration_latency {
        info(format!(
            "Received integration response. Integration latency: {} ms",
            l.as_millis()
        ));
    }
    info(format!("Completed with status: {}", o.status));
    if o.status >= 400 {
        out.push(PendingLine {
            epoch_millis,
            level: Level::Error,
            message: format!(
                "{} of connection {} failed with status {}: {}",
                o.event_type.as_str(),
                f.connection_id,
                o.status,
                f.error.unwrap_or("-")
            ),
        });
    }
    out
}
