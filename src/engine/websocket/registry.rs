//! The connection registry: connection id → handle, in 64 shards each behind its own mutex
//! (held for a map lookup or insert only; a connection's messages never touch it).
//! Bounded by [`WebSocketLimits::max_connections`](super::limits::WebSocketLimits).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Utf8Bytes;

const SHARDS: usize = 64;

/// What the connection's writer sends. Both forms share their bytes (an `@connections`
/// POST's body goes to the socket without a copy).
#[derive(Debug)]
pub enum Outbound {
    Text(Utf8Bytes),
    Binary(Bytes),
}

impl Outbound {
    pub fn text(s: String) -> Outbound {
        Outbound::Text(Utf8Bytes::from(s))
    }
}

/// Why a connection is being closed from the server's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// `DELETE @connections/{id}`.
    Deleted,
    /// The send queue was full: the client does not read.
    SlowClient,
}

/// One open connection, as the `@connections` API and the console see it.
#[derive(Debug)]
pub struct Connection {
    pub connection_id: String,
    pub api_id: String,
    pub stage: String,
    /// Epoch milliseconds.
    pub connected_at: i64,
    pub last_active_at: AtomicI64,
    pub source_ip: IpAddr,
    pub user_agent: Option<String>,
    pub messages_in: AtomicU64,
    pub messages_out: AtomicU64,
    /// The stage's count of messages sent to clients (MessageCount counts both directions),
    /// shared by every connection of the stage: [`super::Shared::outbound_counter`].
    pub(crate) stage_messages_out: Arc<AtomicU64>,
    /// The route key of the last message routed (`None` before the first).
    pub(crate) last_route: Mutex<Option<Arc<str>>>,
    pub(crate) sender: mpsc::Sender<Outbound>,
    pub(crate) close: Notify,
    pub(crate) close_reason: Mutex<Option<CloseReason>>,
    pub(crate) closed: AtomicBool,
}

/// Why a send was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The connection is gone (410).
    Gone,
}

impl Connection {
    /// A connection of API `api1`, stage `prod`, from 10.0.0.7 (`tests`), connected at 1,000
    /// and last active at 2,000 (epoch ms), for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests(connection_id: &str) -> Connection {
        Connection {
            connection_id: connection_id.into(),
            api_id: "api1".into(),
            stage: "prod".into(),
            connected_at: 1_000,
            last_active_at: AtomicI64::new(2_000),
            source_ip: IpAddr::from([10, 0, 0, 7]),
            user_agent: Some("tests".into()),
            messages_in: AtomicU64::new(0),
            messages_out: AtomicU64::new(0),
            stage_messages_out: Arc::default(),
            last_route: Mutex::new(None),
            sender: mpsc::channel(1).0,
            close: Notify::new(),
            close_reason: Mutex::new(None),
            closed: AtomicBool::new(false),
        }
    }

    pub(crate) fn touch(&self) {
        self.last_active_at
            .store(super::epoch_millis(), Ordering::Relaxed);
    }

    /// Queues a message without waiting. A full queue disconnects the client (it is not
    /// reading) and the message is dropped.
    pub fn send(&self, message: Outbound) -> Result<(), SendError> {
        if self.closed.load(Ordering::Acquire) {
            return Err(SendError::Gone);
        }
        match self.sender.try_send(message) {
            Ok(()) => {
                self.messages_out.fetch_add(1, Ordering::Relaxed);
                self.stage_messages_out.fetch_add(1, Ordering::Relaxed);
                self.touch();
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.request_close(CloseReason::SlowClient);
                Err(SendError::Gone)
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(SendError::Gone),
        }
    }

    /// Asks the connection's task to close (the first reason wins).
    pub fn request_close(&self, reason: CloseReason) {
        if let Ok(mut r) = self.close_reason.lock()
            && r.is_none()
        {
            *r = Some(reason);
        }
        self.closed.store(true, Ordering::Release);
        self.close.notify_one();
    }

    /// Records the route the last message took (the console's LAST ROUTE column).
    pub(crate) fn set_last_route(&self, route_key: &Arc<str>) {
        if let Ok(mut r) = self.last_route.lock() {
            *r = Some(route_key.clone());
        }
    }

    pub fn last_route(&self) -> Option<Arc<str>> {
        self.last_route.lock().ok().and_then(|r| r.clone())
    }

    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason.lock().ok().and_then(|r| *r)
    }
}

/// One shard: connection id → connection.
type Shard = Mutex<HashMap<String, Arc<Connection>>>;

pub struct Registry {
    shards: Box<[Shard]>,
    count: AtomicUsize,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            count: AtomicUsize::new(0),
        }
    }
}

fn shard_of(id: &str) -> usize {
    // FNV-1a: ids are random already, any spread will do.
    let mut h: u64 = 0xcbf29ce484222325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    (h % SHARDS as u64) as usize
}

impl Registry {
    /// Reserves a slot for a connection being opened; `false` at the cap.
    pub fn reserve(&self, max: usize) -> bool {
        self.count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .is_ok()
    }

    /// Gives back a reserved slot (the connection did not open).
    pub fn release(&self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }

    /// Registers a connection whose slot was reserved.
    pub fn insert(&self, c: Arc<Connection>) {
        if let Ok(mut shard) = self.shards[shard_of(&c.connection_id)].lock() {
            shard.insert(c.connection_id.clone(), c);
        }
    }

    /// Removes a connection and gives back its slot.
    pub fn remove(&self, id: &str) -> Option<Arc<Connection>> {
        let removed = self.shards[shard_of(id)]
            .lock()
            .ok()
            .and_then(|mut s| s.remove(id));
        if removed.is_some() {
            self.release();
        }
        removed
    }

    pub fn get(&self, id: &str) -> Option<Arc<Connection>> {
        self.shards[shard_of(id)]
            .lock()
            .ok()
            .and_then(|s| s.get(id).cloned())
    }

    pub fn len(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Every open connection (cluster mode refreshes their shared records; takes each shard
    /// briefly).
    pub fn all(&self) -> Vec<Arc<Connection>> {
        let mut out = Vec::with_capacity(self.len());
        for shard in self.shards.iter() {
            if let Ok(s) = shard.lock() {
                out.extend(s.values().cloned());
            }
        }
        out
    }

    /// Every open connection of an API's stage (for the console; takes each shard briefly).
    pub fn list(&self, api_id: &str, stage: Option<&str>) -> Vec<Arc<Connection>> {
        let mut out = Vec::new();
        for shard in self.shards.iter() {
            if let Ok(s) = shard.lock() {
                out.extend(
                    s.values()
                        .filter(|c| c.api_id == api_id && stage.is_none_or(|st| c.stage == st))
                        .cloned(),
                );
            }
        }
        out.sort_by_key(|c| c.connected_at);
        out
    }
}
