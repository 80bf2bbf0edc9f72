//! `@connections` across a cluster's nodes (`[cluster] redis`): a call for a connection this
//! node does not hold goes to the node that does, through Redis pub/sub. Each node subscribes
//! to its own channel, `{prefix}ws:{node id}`. The caller registers a waiter, then one script
//! ([`shared_registry::route`]) looks the owner up and publishes the call on the owner's
//! channel; the owner runs it on its socket exactly as a local call (so `POST` answers 200
//! only once the frame is in the connection's bounded send queue, and `DELETE` closes the
//! socket there, where `$disconnect` runs) and publishes the answer on the caller's channel.
//!
//! Bounded: at most [`MAX_IN_FLIGHT`] relayed calls wait on a node (then 429
//! `LimitExceededException`), an owner handles at most [`MAX_HANDLING`] at once (more are
//! dropped and their callers time out), a payload is at most 128 KB as locally, and a caller
//! waits at most `[cluster] websocket_relay_timeout_ms`. Redis unreachable, or no answer in
//! time: 500 `InternalServerErrorException` naming why (botocore's `apigatewaymanagementapi`
//! declares no error of its own for a failure inside the service); connections this node
//! holds keep working.
//!
//! Messages: `Q` + a JSON head + `\n` + the body (a call), `R` + a JSON head + `\n` + the body
//! (an answer).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, Semaphore, oneshot};

use super::connections_api::answer;
use super::limits::MAX_MESSAGE_BYTES;
use super::registry::Connection;
use super::shared_registry::{self, RegisterError, Routed};
use crate::engine::cluster::Cluster;
use crate::engine::pipeline::InvokeResponse;
use crate::engine::{Gateway, Inner};

/// Relayed calls a node may have waiting for an answer.
pub const MAX_IN_FLIGHT: usize = 1024;
/// Calls from other nodes an owner handles at once.
pub const MAX_HANDLING: usize = 1024;
/// A message's head is at most this long (ids, API, stage, node).
const MAX_HEAD: usize = 4096;
/// Between two attempts to subscribe again.
const RESUBSCRIBE_EVERY: Duration = Duration::from_millis(500);
/// A failed refresh is tried again after this long.
const RETRY_REFRESH: Duration = Duration::from_millis(250);
/// The subscriber pings Redis this often (a Redis that stopped answering is left).
const PING_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, Deserialize)]
struct CallHead {
    id: u64,
    from: String,
    op: String,
    api: String,
    stage: String,
    conn: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct AnswerHead {
    id: u64,
    status: u16,
    #[serde(rename = "type")]
    error_type: Option<String>,
}

/// An answer as the caller receives it.
#[derive(Debug)]
struct Answer {
    status: u16,
    error_type: Option<String>,
    body: Bytes,
}

fn encode<T: Serialize>(kind: u8, head: &T, body: &[u8]) -> Vec<u8> {
    let head = serde_json::to_vec(head).unwrap_or_default();
    let mut out = Vec::with_capacity(1 + head.len() + 1 + body.len());
    out.push(kind);
    out.extend_from_slice(&head);
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

/// `(kind, head, body)` of a message; `None` when it is not one of ours.
fn decode<'a, T: Deserialize<'a>>(message: &'a [u8]) -> Option<(u8, T, &'a [u8])> {
    let (&kind, rest) = message.split_first()?;
    let end = rest.iter().take(MAX_HEAD).position(|&b| b == b'\n')?;
    let head = serde_json::from_slice(&rest[..end]).ok()?;
    let body = &rest[end + 1..];
    (body.len() <= MAX_MESSAGE_BYTES).then_some((kind, head, body))
}

/// The relay of one node.
pub(crate) struct Relay {
    cluster: Arc<Cluster>,
    node_id: String,
    channel: String,
    started: AtomicBool,
    /// Until the subscriber's first attempt ends, callers wait for it (bounded).
    first_subscription_pending: AtomicBool,
    subscribed: AtomicBool,
    subscribed_changed: Notify,
    refresh_now: Notify,
    waiters: Mutex<HashMap<u64, oneshot::Sender<Answer>>>,
    next_id: AtomicU64,
    in_flight: Semaphore,
    handling: Arc<Semaphore>,
    timeout: Duration,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("channel", &self.channel)
            .finish()
    }
}

/// Removes a waiter however the call ends (answered, failed, timed out or cancelled).
struct Waiting<'a> {
    relay: &'a Relay,
    id: u64,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Ok(mut w) = self.relay.waiters.lock() {
            w.remove(&self.id);
        }
    }
}

fn gone() -> InvokeResponse {
    answer(
        StatusCode::GONE,
        Some("GoneException"),
        serde_json::json!({"message": null}),
    )
}

fn internal(message: String) -> InvokeResponse {
    answer(
        StatusCode::INTERNAL_SERVER_ERROR,
        Some("InternalServerErrorException"),
        serde_json::json!({ "message": message }),
    )
}

impl Relay {
    pub(crate) fn new(cluster: Arc<Cluster>, node_id: String) -> Relay {
        Relay {
            channel: shared_registry::channel(&cluster, &node_id),
            timeout: Duration::from_millis(cluster.settings.websocket_relay_timeout_ms),
            cluster,
            node_id,
            started: AtomicBool::new(false),
            first_subscription_pending: AtomicBool::new(true),
            subscribed: AtomicBool::new(false),
            subscribed_changed: Notify::new(),
            refresh_now: Notify::new(),
            waiters: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            in_flight: Semaphore::new(MAX_IN_FLIGHT),
            handling: Arc::new(Semaphore::new(MAX_HANDLING)),
        }
    }

    /// Starts the subscriber and the refresher (once, inside the runtime) and waits, at most
    /// the relay timeout, until this node listens on its channel.
    async fn ready(self: &Arc<Self>, gw: &Gateway) -> bool {
        if self.subscribed.load(Ordering::Acquire) {
            return true;
        }
        if self.started.swap(true, Ordering::AcqRel) {
            // The subscriber is retrying (every 500 ms): Redis is unreachable now.
            if !self.first_subscription_pending.load(Ordering::Acquire) {
                return false;
            }
        } else {
            let weak = Arc::downgrade(&gw.inner);
            tokio::spawn(subscriber(self.clone(), weak.clone()));
            tokio::spawn(refresher(self.clone(), weak));
        }
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let changed = self.subscribed_changed.notified();
            if self.subscribed.load(Ordering::Acquire) {
                return true;
            }
            if !self.first_subscription_pending.load(Ordering::Acquire) {
                return false;
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return self.subscribed.load(Ordering::Acquire);
            }
        }
    }

    /// Records a connection `$connect` accepted. `Err`: the upgrade is refused (closed mode,
    /// or the id is another node's); in open mode a connection Redis could not record is
    /// served (locally reachable) and recorded by the next refresh.
    pub(crate) async fn register(
        self: &Arc<Self>,
        gw: &Gateway,
        c: &Connection,
    ) -> Result<(), String> {
        let result = match self.ready(gw).await {
            true => shared_registry::register(&self.cluster, &self.node_id, c)
                .await
                .map_err(|e| match e {
                    RegisterError::Taken(_) => (true, e.to_string()),
                    RegisterError::Redis(e) => (false, e.to_string()),
                }),
            false => Err((false, format!("not subscribed to {}", self.channel))),
        };
        match result {
            Ok(()) => Ok(()),
            Err((true, why)) => Err(why),
            // `fail_open` counts the outcome and says which it is.
            Err((false, _)) if self.cluster.fail_open() => Ok(()),
            Err((false, why)) => Err(format!(
                "the cluster's connection registry (Redis) is unreachable: {why}"
            )),
        }
    }

    pub(crate) async fn unregister(&self, connection_id: &str) {
        shared_registry::unregister(&self.cluster, connection_id).await;
    }

    /// An `@connections` call for a connection this node does not hold.
    pub(crate) async fn call(
        self: &Arc<Self>,
        gw: &Gateway,
        method: &Method,
        api_id: &str,
        stage: &str,
        connection_id: &str,
        body: &Bytes,
    ) -> InvokeResponse {
        if !matches!(*method, Method::POST | Method::GET | Method::DELETE) {
            return answer(
                StatusCode::FORBIDDEN,
                Some("ForbiddenException"),
                serde_json::json!({"message": "Forbidden"}),
            );
        }
        if *method == Method::POST && body.len() > MAX_MESSAGE_BYTES {
            return answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                Some("PayloadTooLargeException"),
                serde_json::json!({"message": "Message too long"}),
            );
        }
        let stats = &self.cluster.stats;
        let Ok(_permit) = self.in_flight.try_acquire() else {
            return answer(
                StatusCode::TOO_MANY_REQUESTS,
                Some("LimitExceededException"),
                serde_json::json!({"message": "Too many @connections calls waiting for other nodes"}),
            );
        };
        stats.ws_relayed.fetch_add(1, Ordering::Relaxed);
        let failed = |message: String| {
            stats.ws_relay_failures.fetch_add(1, Ordering::Relaxed);
            internal(message)
        };
        if !self.ready(gw).await {
            return failed(
                "Internal server error: the cluster's connection registry (Redis) is unreachable"
                    .into(),
            );
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.insert(id, tx);
        }
        let _waiting = Waiting { relay: self, id };
        let head = CallHead {
            id,
            from: self.node_id.clone(),
            op: method.as_str().to_string(),
            api: api_id.to_string(),
            stage: stage.to_string(),
            conn: connection_id.to_string(),
        };
        let body: &[u8] = if *method == Method::POST { body } else { &[] };
        let message = encode(b'Q', &head, body);
        let routed =
            shared_registry::route(&self.cluster, &self.node_id, connection_id, &message).await;
        let owner = match routed {
            Err(e) => {
                return failed(format!(
                    "Internal server error: the cluster's connection registry is unreachable ({e})"
                ));
            }
            Ok(Routed::Unknown | Routed::Here) => return gone(),
            // The owner is not listening: the node is gone (its records expire) or between
            // two subscriptions; either way the connection cannot be reached.
            Ok(Routed::Published { listeners: 0, .. }) => return gone(),
            Ok(Routed::Published { owner, .. }) => owner,
        };
        match tokio::time::timeout(self.timeout, rx).await {
            Ok(Ok(a)) => {
                let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY);
                let mut r = answer(status, a.error_type.as_deref(), serde_json::Value::Null);
                r.body = a.body;
                r
            }
            Ok(Err(_)) => failed(format!(
                "Internal server error: lost the answer of node {owner} (this node's Redis subscription ended)"
            )),
            Err(_) => failed(format!(
                "Internal server error: node {owner} did not answer within {} ms",
                self.timeout.as_millis()
            )),
        }
    }

    /// A message on this node's channel: a call to serve, or an answer to hand over.
    fn on_message(&self, gw: &Gateway, payload: &[u8]) {
        match payload.first() {
            Some(b'Q') => {
                let Some((_, head, body)) = decode::<CallHead>(payload) else {
                    return;
                };
                let Ok(permit) = self.handling.clone().try_acquire_owned() else {
                    // The caller times out: an owner this busy would answer late anyway.
                    return;
                };
                let method = match head.op.as_str() {
                    "POST" => Method::POST,
                    "GET" => Method::GET,
                    "DELETE" => Method::DELETE,
                    _ => return,
                };
                let body = Bytes::copy_from_slice(body);
                let r =
                    gw.websocket_connection_op(&method, &head.api, &head.stage, &head.conn, &body);
                self.cluster
                    .stats
                    .ws_relay_served
                    .fetch_add(1, Ordering::Relaxed);
                let error_type = r
                    .headers
                    .get("x-amzn-errortype")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let reply = encode(
                    b'R',
                    &AnswerHead {
                        id: head.id,
                        status: r.status.as_u16(),
                        error_type,
                    },
                    &r.body,
                );
                let to = shared_registry::channel(&self.cluster, &head.from);
                let cluster = self.cluster.clone();
                tokio::spawn(async move {
                    let (to, reply) = (to.as_str(), reply.as_slice());
                    let _: Result<i64, _> = cluster
                        .run(|mut m| async move {
                            redis::cmd("PUBLISH")
                                .arg(to)
                                .arg(reply)
                                .query_async(&mut m)
                                .await
                        })
                        .await;
                    drop(permit);
                });
            }
            Some(b'R') => {
                let Some((_, head, body)) = decode::<AnswerHead>(payload) else {
                    return;
                };
                let waiter = self
                    .waiters
                    .lock()
                    .ok()
                    .and_then(|mut w| w.remove(&head.id));
                if let Some(tx) = waiter {
                    let _ = tx.send(Answer {
                        status: head.status,
                        error_type: head.error_type,
                        body: Bytes::copy_from_slice(body),
                    });
                }
            }
            _ => {}
        }
    }

    fn set_subscribed(&self, on: bool) {
        self.first_subscription_pending
            .store(false, Ordering::Release);
        self.subscribed.store(on, Ordering::Release);
        self.subscribed_changed.notify_waiters();
        if on {
            // A restarted Redis has lost the records: write them again now.
            self.refresh_now.notify_one();
        } else if let Ok(mut w) = self.waiters.lock() {
            // Answers sent to the old subscription are lost: fail their calls now.
            w.clear();
        }
    }
}

/// Listens on the node's channel, subscribing again after a failure, until the gateway is gone.
async fn subscriber(relay: Arc<Relay>, weak: Weak<Inner>) {
    loop {
        if weak.strong_count() == 0 {
            return;
        }
        let within = Duration::from_millis(relay.cluster.settings.redis_timeout_ms)
            .max(Duration::from_secs(1));
        let subscribed = relay.cluster.subscribe(&relay.channel, within).await;
        if subscribed.is_err()
            && relay
                .first_subscription_pending
                .swap(false, Ordering::AcqRel)
        {
            relay.subscribed_changed.notify_waiters();
        }
        if let Ok(pubsub) = subscribed {
            let (mut sink, mut stream) = pubsub.split();
            relay.set_subscribed(true);
            let mut ping = tokio::time::interval(PING_EVERY);
            ping.tick().await;
            loop {
                tokio::select! {
                    message = stream.next() => {
                        let Some(message) = message else { break };
                        let Some(inner) = weak.upgrade() else { return };
                        relay.on_message(&Gateway { inner }, message.get_payload_bytes());
                    }
                    _ = ping.tick() => {
                        if weak.strong_count() == 0 {
                            return;
                        }
                        // Subscribed, Redis answers PING with ["pong", ""]: any answer will do.
                        let pong = tokio::time::timeout(within, sink.ping::<redis::Value>()).await;
                        if !matches!(pong, Ok(Ok(_))) {
                            break;
                        }
                    }
                }
            }
            relay.set_subscribed(false);
        }
        tokio::time::sleep(RESUBSCRIBE_EVERY).await;
    }
}

/// Rewrites this node's records every [`shared_registry::REFRESH_EVERY`], at once after
/// each (re)subscription; a refresh that failed is retried every [`RETRY_REFRESH`] (after a
/// Redis restart, calls for this node's connections are 410 until its records are back).
async fn refresher(relay: Arc<Relay>, weak: Weak<Inner>) {
    let mut next = shared_registry::REFRESH_EVERY;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(next) => {}
            _ = relay.refresh_now.notified() => {}
        }
        let connections = match weak.upgrade() {
            Some(inner) => inner.websocket.registry.all(),
            None => return,
        };
        let failed = if connections.is_empty() {
            0
        } else {
            shared_registry::refresh(&relay.cluster, &relay.node_id, &connections).await
        };
        next = if failed == 0 {
            shared_registry::REFRESH_EVERY
        } else {
            RETRY_REFRESH
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::engine::cluster::{FailureMode, RedisSettings};

    /// Redis unreachable from the start (port 1: refused at once): relayed calls are a clear
    /// 500 at once, checks that need no Redis answer as on one node, and the failure mode
    /// decides whether a connection Redis cannot record is accepted.
    #[tokio::test]
    async fn without_redis_relayed_calls_fail_fast_and_the_failure_mode_decides_new_connections() {
        for mode in [FailureMode::Open, FailureMode::Closed] {
            let dir = tempfile::tempdir().unwrap();
            let mut config = EngineConfig::new(dir.path());
            config.cluster = Cluster::new(RedisSettings {
                redis: Some("redis://127.0.0.1:1".into()),
                redis_failure: mode,
                ..RedisSettings::default()
            })
            .unwrap();
            let gw = Gateway::open(config).unwrap();
            let relay = gw.inner.websocket.relay.clone().unwrap();
            let hi = Bytes::from_static(b"hi");
            let started = std::time::Instant::now();
            for _ in 0..3 {
                let r = relay
                    .call(&gw, &Method::POST, "api1", "prod", "abc=", &hi)
                    .await;
                assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
                assert_eq!(
                    r.headers.get("x-amzn-errortype").unwrap(),
                    "InternalServerErrorException"
                );
                assert!(
                    String::from_utf8_lossy(&r.body).contains("connection registry"),
                    "{:?}",
                    r.body
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{:?}",
                started.elapsed()
            );
            let big = Bytes::from(vec![b'x'; MAX_MESSAGE_BYTES + 1]);
            let r = relay
                .call(&gw, &Method::POST, "api1", "prod", "abc=", &big)
                .await;
            assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
            let r = relay
                .call(&gw, &Method::PUT, "api1", "prod", "abc=", &hi)
                .await;
            assert_eq!(r.status, StatusCode::FORBIDDEN);
            let counts = gw.cluster().unwrap().counts();
            assert_eq!((counts.ws_relayed, counts.ws_relay_failures), (3, 3));

            let registered = relay.register(&gw, &Connection::for_tests("new=")).await;
            match mode {
                FailureMode::Open => assert_eq!(registered, Ok(())),
                FailureMode::Closed => {
                    assert!(registered.is_err_and(|why| why.contains("unreachable")))
                }
            }
        }
    }

    #[test]
    fn messages_round_trip_and_foreign_ones_are_ignored() {
        let head = CallHead {
            id: 7,
            from: "node-a".into(),
            op: "POST".into(),
            api: "api1".into(),
            stage: "prod".into(),
            conn: "abc=".into(),
        };
        let m = encode(b'Q', &head, b"hello\nworld");
        let (kind, back, body) = decode::<CallHead>(&m).unwrap();
        assert_eq!((kind, back.id, back.conn.as_str()), (b'Q', 7, "abc="));
        assert_eq!(body, b"hello\nworld");
        assert!(decode::<CallHead>(b"").is_none());
        assert!(decode::<CallHead>(b"Qnot json\n").is_none());
        assert!(
            decode::<AnswerHead>(b"R{\"id\":1}").is_none(),
            "no separator"
        );
        let mut big = encode(b'Q', &head, &[]);
        big.extend(std::iter::repeat_n(b'x', MAX_MESSAGE_BYTES + 1));
        assert!(decode::<CallHead>(&big).is_none(), "over 128 KB");
    }
}
