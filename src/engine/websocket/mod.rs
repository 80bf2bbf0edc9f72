//! WebSocket APIs (API Gateway v2, `protocolType: WEBSOCKET`), the data plane: the upgrade
//! on the invoke URLs with `$connect` (authorization, then its integration, before the
//! upgrade completes; [`connect`]), one task per socket with a bounded send queue
//! ([`connection`]), route selection by expression ([`selection`], [`compiled`]), the
//! integrations ([`integration`], with the Lambda event of [`event`]), the connection
//! registry ([`registry`]), the `@connections` API ([`connections_api`]) and the limits
//! ([`limits`]). The control plane is the HTTP APIs' (`engine/http_api/admin`); a WebSocket
//! deployment's compiled form hangs off its `CompiledHttpApi`.

pub mod authorize;
pub mod aws;
pub mod connect;
pub mod connection;
pub mod connections_api;
pub mod event;
pub mod integration;
pub mod limits;
pub mod record;
pub mod registry;
pub(crate) mod relay;
pub mod shared_registry;
pub mod throttle;

use std::sync::Arc;

use std::sync::atomic::AtomicU64;

use arc_swap::ArcSwap;

// The compiled form lives with the rest of the live state (live/ never calls back here).
pub use crate::engine::live::websocket as compiled;
pub use crate::engine::live::websocket::selection;
pub use connect::UpgradeRequest;
pub use connections_api::ConnectionsRequest;
pub use limits::WebSocketLimits;

use crate::engine::Gateway;

/// The engine's WebSocket state: open connections and the limits.
pub struct Shared {
    pub registry: registry::Registry,
    limits: ArcSwap<WebSocketLimits>,
    /// Lambda authorizer decisions by (API, stage, authorizer, identity values), for
    /// `authorizerResultTtlInSeconds`.
    pub(crate) authorizer_results: authorize::ResultCache,
    /// IntegrationError and ExecutionError counts by (API, stage, route key): touched only
    /// when an event fails; as many keys as the deployed routes (plus `-` for no route).
    pub(crate) errors:
        std::sync::Mutex<std::collections::HashMap<(String, String, String), ErrorCounts>>,
    /// Cluster mode (`[cluster] redis`): the shared registry and `@connections` across nodes;
    /// `None` on a single node (nothing of it on the path then).
    pub(crate) relay: Option<Arc<relay::Relay>>,
    /// Messages sent to clients by (API, stage) (`@connections` posts, two-way replies, error
    /// frames): the outgoing half of CloudWatch's MessageCount ("the number of messages sent
    /// to the WebSocket API, either from or to the client"). A connection holds its stage's
    /// counter, so a send touches no lock; the map takes its lock once per connect and holds
    /// one entry per stage that ever had a connection.
    outbound: std::sync::Mutex<std::collections::HashMap<(String, String), Arc<AtomicU64>>>,
}

/// A route's 5xx outcomes split as CloudWatch splits them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErrorCounts {
    /// The integration was called and failed or answered an error (IntegrationError).
    pub integration: u64,
    /// The event failed before or without an integration call (ExecutionError).
    pub execution: u64,
}

/// One route's [`ErrorCounts`] (`/metrics`' `gwtui_websocket_*_errors`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteErrors {
    pub api_id: String,
    pub stage: String,
    pub route_key: String,
    pub counts: ErrorCounts,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            registry: registry::Registry::default(),
            limits: ArcSwap::default(),
            authorizer_results: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(std::time::Duration::from_secs(3600))
                .build(),
            errors: std::sync::Mutex::default(),
            relay: None,
            outbound: std::sync::Mutex::default(),
        }
    }
}

impl Shared {
    /// With `cluster` (cluster mode), connections are recorded in Redis under `node_id` and
    /// `@connections` reaches the other nodes' connections.
    pub(crate) fn new(
        cluster: Option<Arc<crate::engine::cluster::Cluster>>,
        node_id: &str,
    ) -> Shared {
        Shared {
            relay: cluster.map(|c| Arc::new(relay::Relay::new(c, node_id.to_string()))),
            ..Shared::default()
        }
    }

    pub fn limits(&self) -> WebSocketLimits {
        **self.limits.load()
    }

    /// The stage's outgoing-message counter (created on the stage's first connection).
    pub(crate) fn outbound_counter(&self, api_id: &str, stage: &str) -> Arc<AtomicU64> {
        match self.outbound.lock() {
            Ok(mut map) => map
                .entry((api_id.to_string(), stage.to_string()))
                .or_default()
                .clone(),
            // A panic elsewhere poisoned the map: count on a detached counter.
            Err(_) => Arc::default(),
        }
    }
}

/// Messages sent to the clients of one stage (the outgoing half of MessageCount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessages {
    pub api_id: String,
    pub stage: String,
    pub count: u64,
}

pub(crate) fn epoch_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// A connection as the console lists it (and `GET /gwtui/websocket/{api}/{stage}/connections`
/// answers it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSummary {
    pub connection_id: String,
    pub stage: String,
    pub source_ip: String,
    pub user_agent: Option<String>,
    /// Epoch milliseconds.
    pub connected_at: i64,
    pub last_active_at: i64,
    pub messages_in: u64,
    pub messages_out: u64,
    /// The route key of the last message (`-`: no route matched), `None` before the first.
    #[serde(default)]
    pub last_route: Option<String>,
}

impl Gateway {
    /// Sets the idle timeout, maximum duration, send queue and connection cap (new
    /// connections use them).
    pub fn set_websocket_limits(&self, limits: WebSocketLimits) {
        self.inner.websocket.limits.store(Arc::new(limits));
    }

    /// Is `api_id` a deployed-or-not WebSocket API?
    pub fn is_websocket_api(&self, api_id: &str) -> bool {
        self.inner
            .routes
            .load()
            .http_apis
            .get(api_id)
            .is_some_and(|a| a.websocket)
    }

    /// IntegrationError / ExecutionError counts of every WebSocket route that failed.
    pub fn websocket_route_errors(&self) -> Vec<RouteErrors> {
        let Ok(map) = self.inner.websocket.errors.lock() else {
            return Vec::new();
        };
        let mut out: Vec<RouteErrors> = map
            .iter()
            .map(|((api_id, stage, route_key), counts)| RouteErrors {
                api_id: api_id.clone(),
                stage: stage.clone(),
                route_key: route_key.clone(),
                counts: *counts,
            })
            .collect();
        out.sort_by(|a, b| {
            (&a.api_id, &a.stage, &a.route_key).cmp(&(&b.api_id, &b.stage, &b.route_key))
        });
        out
    }

    /// Messages sent to clients, by stage (`/metrics` adds them to MessageCount).
    pub fn websocket_outbound_messages(&self) -> Vec<OutboundMessages> {
        let Ok(map) = self.inner.websocket.outbound.lock() else {
            return Vec::new();
        };
        let mut out: Vec<OutboundMessages> = map
            .iter()
            .map(|((api_id, stage), n)| OutboundMessages {
                api_id: api_id.clone(),
                stage: stage.clone(),
                count: n.load(std::sync::atomic::Ordering::Relaxed),
            })
            .collect();
        out.sort_by(|a, b| (&a.api_id, &a.stage).cmp(&(&b.api_id, &b.stage)));
        out
    }

    /// How many connections are open (every API).
    pub fn websocket_connection_count(&self) -> usize {
        self.inner.websocket.registry.len()
    }

    /// The open connections of an API (one stage or all).
    pub fn websocket_connections(
        &self,
        api_id: &str,
        stage: Option<&str>,
    ) -> Vec<ConnectionSummary> {
        use std::sync::atomic::Ordering;
        self.inner
            .websocket
            .registry
            .list(api_id, stage)
            .into_iter()
            .map(|c| ConnectionSummary {
                connection_id: c.connection_id.clone(),
                stage: c.stage.clone(),
                source_ip: c.source_ip.to_string(),
                user_agent: c.user_agent.clone(),
                connected_at: c.connected_at,
                last_active_at: c.last_active_at.load(Ordering::Relaxed),
                messages_in: c.messages_in.load(Ordering::Relaxed),
                messages_out: c.messages_out.load(Ordering::Relaxed),
                last_route: c.last_route().map(|r| r.to_string()),
            })
            .collect()
    }
}
