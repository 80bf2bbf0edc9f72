//! Change propagation and heartbeats. Every node runs one listener thread with a connection of
//! its own: `LISTEN gwtui_changes`, then for each wake-up the newest sequence number another
//! node announced (bursts coalesce: the notices pending at once become one), and every
//! [`HEARTBEAT`] an upsert of this node's row in `cluster_nodes`. After connecting (at start
//! and after every reconnect) it reports [`Notice::Connected`] so the node catches up from the
//! store (incrementally from its position, see [`super::delta`], else everything): notices sent
//! while it was away are not replayed by PostgreSQL.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use postgres::Client;

use super::{CHANNEL, PgTarget};
use crate::store::StoreError;

/// How often a node refreshes its `cluster_nodes` row.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// Wait between reconnect attempts.
const RETRY: Duration = Duration::from_millis(500);

/// This node as the `cluster_nodes` table shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRow {
    pub node_id: String,
    /// The node's management URL as it advertises it.
    pub url: String,
    pub version: String,
    pub started_ms: i64,
    pub seen_ms: i64,
}

/// What the listener tells the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Listening (again): catch up from the store.
    Connected,
    /// Another node committed the change with this audit sequence number (the newest of a
    /// burst).
    Changed { seq: i64 },
    /// The connection is gone or cannot be made; retrying.
    Disconnected(String),
    /// Nothing new (once per heartbeat): lets the node say it is gone.
    Idle,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Nodes not seen for this long are dropped from `cluster_nodes` (ids generated at each start
/// would otherwise pile up).
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// Refreshes this node's row, once it has a URL to advertise (a command-line process that
/// opens the store to make one change never appears), and forgets long-gone nodes.
fn beat(client: &mut Client, me: &Mutex<NodeRow>) -> Result<(), postgres::Error> {
    let me = me.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if me.url.is_empty() {
        return Ok(());
    }
    client.execute(
        "DELETE FROM cluster_nodes WHERE seen_ms < $1",
        &[&(now_ms() - FORGET_AFTER_MS)],
    )?;
    client.execute(
        "INSERT INTO cluster_nodes (node_id, url, version, started_ms, seen_ms)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (node_id) DO UPDATE SET url = excluded.url, version = excluded.version,
             started_ms = excluded.started_ms, seen_ms = excluded.seen_ms",
        &[&me.node_id, &me.url, &me.version, &me.started_ms, &now_ms()],
    )?;
    Ok(())
}

/// The newest sequence number among `payload`s (`<node id>:<seq>`) from other nodes.
pub fn newest_foreign(payloads: &[String], node_id: &str) -> Option<i64> {
    payloads
        .iter()
        .filter_map(|p| p.rsplit_once(':'))
        .filter(|(node, _)| *node != node_id)
        .filter_map(|(_, seq)| seq.parse::<i64>().ok())
        .max()
}

/// Starts the listener thread. `on` runs on it for every notice and returns `false` when the
/// node is gone (the thread then ends).
pub fn spawn(
    target: PgTarget,
    me: Arc<Mutex<NodeRow>>,
    mut on: impl FnMut(Notice) -> bool + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("gwtui-pg-listen".into())
        .spawn(move || {
            loop {
                let reason = match session(&target, &me, &mut on) {
                    Ok(()) => return,
                    Err(reason) => reason,
                };
                if !on(Notice::Disconnected(reason)) {
                    return;
                }
                std::thread::sleep(RETRY);
            }
        })
        .map(|_| ())
}

/// One connection's life: `Ok` when the node is gone, else why the connection ended.
fn session(
    target: &PgTarget,
    me: &Mutex<NodeRow>,
    on: &mut impl FnMut(Notice) -> bool,
) -> Result<(), String> {
    let mut client = target.connect().map_err(|e| e.to_string())?;
    let fail = |e: postgres::Error| target.unavailable(&super::describe(&e)).to_string();
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(fail)?;
    beat(&mut client, me).map_err(fail)?;
    let node_id = me.lock().unwrap_or_else(|p| p.into_inner()).node_id.clone();
    let mut last_beat = Instant::now();
    if !on(Notice::Connected) {
        return Ok(());
    }
    loop {
        let mut payloads = Vec::new();
        {
            let mut notifications = client.notifications();
            let mut waiting = notifications.timeout_iter(HEARTBEAT);
            match postgres::fallible_iterator::FallibleIterator::next(&mut waiting) {
                Ok(Some(n)) => payloads.push(n.payload().to_string()),
                Ok(None) => {}
                Err(e) => return Err(fail(e)),
            }
            drop(waiting);
            let mut pending = notifications.iter();
            while let Ok(Some(n)) =
                postgres::fallible_iterator::FallibleIterator::next(&mut pending)
            {
                payloads.push(n.payload().to_string());
            }
        }
        if let Some(seq) = newest_foreign(&payloads, &node_id)
            && !on(Notice::Changed { seq })
        {
            return Ok(());
        }
        if last_beat.elapsed() >= HEARTBEAT {
            beat(&mut client, me).map_err(fail)?;
            last_beat = Instant::now();
            if !on(Notice::Idle) {
                return Ok(());
            }
        }
        if client.is_closed() {
            return Err(target.unavailable(&"connection closed").to_string());
        }
    }
}

/// Every node that ever sent a heartbeat, oldest start first.
pub fn nodes(client: &mut Client) -> Result<Vec<NodeRow>, postgres::Error> {
    client
        .query(
            "SELECT node_id, url, version, started_ms, seen_ms FROM cluster_nodes
             ORDER BY started_ms, node_id",
            &[],
        )?
        .iter()
        .map(|r| {
            Ok(NodeRow {
                node_id: r.try_get(0)?,
                url: r.try_get(1)?,
                version: r.try_get(2)?,
                started_ms: r.try_get(3)?,
                seen_ms: r.try_get(4)?,
            })
        })
        .collect()
}

impl super::PgReader {
    /// The `cluster_nodes` rows.
    pub fn nodes(&self) -> Result<Vec<NodeRow>, StoreError> {
        self.with(nodes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_coalesce_to_the_newest_foreign_notice() {
        let p = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(newest_foreign(&p(&["a:3", "b:5", "a:9"]), "a"), Some(5));
        assert_eq!(newest_foreign(&p(&["a:3"]), "a"), None);
        assert_eq!(
            newest_foreign(&p(&["x:y:7", "junk", "b:nan"]), "a"),
            Some(7)
        );
        assert_eq!(newest_foreign(&[], "a"), None);
    }
}
