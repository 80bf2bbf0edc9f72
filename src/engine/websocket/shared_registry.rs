//! The connection registry shared by a cluster's nodes (`[cluster] redis`): one Redis key per
//! open connection, `{prefix}ws:conn:{connectionId}`, whose value is the owning node's id, a
//! tab, then what `GET @connections` describes (`connectedAt`, `identity`, `lastActiveAt`) as
//! JSON. The owner writes it after `$connect` succeeded (`SET … NX` in [`REGISTER_SCRIPT`]: a
//! connection id another node holds is never taken over), rewrites it every [`REFRESH_EVERY`] with a
//! [`RECORD_TTL`] (so a node that dies leaves records for at most that long; a connection lives
//! at most `max_duration`, 2 h, and so do its refreshes) and deletes it when the connection
//! ends. [`ROUTE_SCRIPT`] looks the owner up and publishes a relayed call on its channel in one
//! round trip (see `relay.rs`).

use std::sync::OnceLock;
use std::sync::atomic::Ordering;
use std::time::Duration;

use redis::Script;
use serde_json::json;

use super::registry::Connection;
use crate::engine::cluster::{Cluster, ClusterError};

/// How long a record lives without a refresh.
pub const RECORD_TTL: Duration = Duration::from_secs(60);
/// How often the owner rewrites its records (a third of the TTL: two refreshes may fail).
pub const REFRESH_EVERY: Duration = Duration::from_secs(20);
/// Records rewritten per pipelined call.
const REFRESH_BATCH: usize = 500;

/// KEYS[1] = the record; ARGV = channel prefix, this node's id, the message. Returns
/// `{n, owner}`: n = -1 no record (owner ""), -2 the record names this node, else the number
/// of subscribers that received the message on the owner's channel (0: the owner is not
/// listening, so the node is gone or reconnecting).
pub const ROUTE_SCRIPT: &str = r#"
local v = redis.call('GET', KEYS[1])
if not v then return {-1, ''} end
local node = string.match(v, '^([^\t]*)')
if node == ARGV[2] then return {-2, node} end
return {redis.call('PUBLISH', ARGV[1] .. node, ARGV[3]), node}
"#;

/// KEYS[1] = the record; ARGV = the value, the TTL in ms, this node's id. `SET NX`, except
/// that a record this node already wrote (its refresher may have been first) is kept: 1 when
/// the record is this node's, 0 when another node holds the id.
pub const REGISTER_SCRIPT: &str = r#"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[3] + 1) == ARGV[3] .. '\t' then return 1 end
return 0
"#;

fn register_script() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| Script::new(REGISTER_SCRIPT))
}

fn route_script() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| Script::new(ROUTE_SCRIPT))
}

/// The record's key.
pub fn key(cluster: &Cluster, connection_id: &str) -> String {
    cluster.key(&format!("ws:conn:{connection_id}"))
}

/// A node's channel: `{prefix}ws:{node id}`.
pub fn channel(cluster: &Cluster, node_id: &str) -> String {
    cluster.key(&format!("ws:{node_id}"))
}

/// The record's value: `{node}\t{json}`.
pub fn record(node_id: &str, c: &Connection) -> String {
    let data = json!({
        "apiId": c.api_id,
        "stage": c.stage,
        "connectedAt": c.connected_at,
        "identity": {"sourceIp": c.source_ip.to_string(), "userAgent": c.user_agent},
        "lastActiveAt": c.last_active_at.load(Ordering::Relaxed),
    });
    format!("{node_id}\t{data}")
}

/// Why a connection could not be registered.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(transparent)]
    Redis(#[from] ClusterError),
    #[error("connection id {0} is already registered by another node")]
    Taken(String),
}

/// Records a new connection ([`REGISTER_SCRIPT`], the TTL).
pub async fn register(
    cluster: &Cluster,
    node_id: &str,
    c: &Connection,
) -> Result<(), RegisterError> {
    let key = key(cluster, &c.connection_id);
    let value = record(node_id, c);
    let (key, value) = (key.as_str(), value.as_str());
    let ttl = RECORD_TTL.as_millis() as u64;
    let node_id = node_id.to_string();
    let node_id = node_id.as_str();
    let mine: i64 = cluster
        .run(|mut m| async move {
            register_script()
                .key(key)
                .arg(value)
                .arg(ttl)
                .arg(node_id)
                .invoke_async(&mut m)
                .await
        })
        .await?;
    match mine {
        1 => Ok(()),
        _ => Err(RegisterError::Taken(c.connection_id.clone())),
    }
}

/// Deletes a closed connection's record (best effort: the TTL removes it otherwise).
pub async fn unregister(cluster: &Cluster, connection_id: &str) {
    let key = key(cluster, connection_id);
    let key = key.as_str();
    let _: Result<i64, _> = cluster
        .run(|mut m| async move { redis::cmd("DEL").arg(key).query_async(&mut m).await })
        .await;
}

/// Rewrites the records of `connections` (all this node holds) with a fresh TTL and their
/// `lastActiveAt`: after a restarted Redis this registers them again. Returns how many batches
/// failed.
pub async fn refresh(
    cluster: &Cluster,
    node_id: &str,
    connections: &[std::sync::Arc<Connection>],
) -> usize {
    let ttl = RECORD_TTL.as_millis() as u64;
    let mut failed = 0;
    for batch in connections.chunks(REFRESH_BATCH) {
        let mut pipe = redis::pipe();
        for c in batch {
            if c.closed.load(Ordering::Acquire) {
                continue;
            }
            pipe.cmd("SET")
                .arg(key(cluster, &c.connection_id))
                .arg(record(node_id, c))
                .arg("PX")
                .arg(ttl)
                .ignore();
        }
        let pipe = &pipe;
        let done: Result<(), _> = cluster
            .run(|mut m| async move { pipe.query_async(&mut m).await })
            .await;
        if done.is_err() {
            failed += 1;
        }
    }
    failed
}

/// Where [`route`] sent a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routed {
    /// No node holds the connection.
    Unknown,
    /// The record names this node (which does not hold it any more).
    Here,
    /// Published on the owner's channel; `listeners` received it (0: the owner is not
    /// listening).
    Published { owner: String, listeners: i64 },
}

/// Looks up the connection's owner and publishes `message` on its channel (one round trip).
pub async fn route(
    cluster: &Cluster,
    node_id: &str,
    connection_id: &str,
    message: &[u8],
) -> Result<Routed, ClusterError> {
    let key = key(cluster, connection_id);
    let prefix = cluster.key("ws:");
    let (key, prefix) = (key.as_str(), prefix.as_str());
    let (n, owner): (i64, String) = cluster
        .run(|mut m| async move {
            route_script()
                .key(key)
                .arg(prefix)
                .arg(node_id)
                .arg(message)
                .invoke_async(&mut m)
                .await
        })
        .await?;
    Ok(match n {
        -1 => Routed::Unknown,
        -2 => Routed::Here,
        listeners => Routed::Published { owner, listeners },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::cluster::RedisSettings;

    #[test]
    fn a_record_names_its_node_first_then_what_get_connection_describes() {
        let c = Connection::for_tests("abc=");
        let r = record("node-a", &c);
        let (node, data) = r.split_once('\t').unwrap();
        assert_eq!(node, "node-a");
        let v: serde_json::Value = serde_json::from_str(data).unwrap();
        assert_eq!(v["identity"]["sourceIp"], "10.0.0.7");
        assert_eq!(v["connectedAt"], 1_000);
        assert_eq!(v["lastActiveAt"], 2_000);
        let cluster = Cluster::new(RedisSettings {
            redis: Some("redis://127.0.0.1:1".into()),
            ..RedisSettings::default()
        })
        .unwrap()
        .unwrap();
        assert_eq!(key(&cluster, "abc="), "gwtui:ws:conn:abc=");
        assert_eq!(channel(&cluster, "node-a"), "gwtui:ws:node-a");
        assert!(REFRESH_EVERY * 2 < RECORD_TTL);
    }
}
