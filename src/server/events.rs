//! `GET /gwtui/events`: the engine's events as Server-Sent Events, for attached consoles.
//!
//! Events (each `data:` is one JSON line):
//! - `hello` — first on every stream: `{"boot": ..., "resync": bool, "replayed": N}`, its id
//!   the last change numbered so far (`{seq}@{boot}`). A client that reconnects sends the
//!   last id it saw as `Last-Event-ID`: the changes it missed follow the hello (`replayed`
//!   of them, from the ring of `server/event_replay.rs`), or, when they are no longer kept
//!   or the server restarted, `"resync": true` says to reload everything;
//! - `changed` — `{"apiId", "action", "target"}` after each committed admin change, with its
//!   id `{seq}@{boot}` (numbers without holes: a client can tell it missed one);
//! - `logs` — `[{"epochMillis", "level", "restApiId", "stage", "requestId", "message"}]`,
//!   access and execution lines, and local functions' output (`level` `FUNCTION`), with
//!   an id from the same numbering as `changed`: a client that reconnects is sent the
//!   lines it missed too, or, when they are no longer kept, first
//! - `missed` — `{"logs": {"toEpochMillis": T}}`: log lines written up to `T` while the
//!   client was away are no longer kept (the console shows the hole);
//! - `tick` — the metrics tick of the second that just closed;
//! - `dropped` — `{"dropped": N}`: N events were dropped because this subscriber did not
//!   read fast enough (the server never waits for a slow reader); reload to be sure.
//!
//! At most [`MAX_STREAMS`] streams at once (past them: 429). Each subscriber has a queue of
//! [`SUBSCRIBER_QUEUE`] events; a comment line every
//! [`KEEPALIVE`] lets either side notice a dead connection. The stream needs what every
//! management request needs (the browser checks and, with admin credentials, SigV4) and
//! ends when the server shuts down.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, request::Parts};
use hyper::body::Frame;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, watch};

use super::event_replay::{Numbered, Replay};
use crate::engine::{Gateway, GatewayEvent, LogLine};

/// Events one subscriber may have waiting before the server drops new ones for it.
pub const SUBSCRIBER_QUEUE: usize = 256;
/// How often an idle stream carries a comment line.
pub const KEEPALIVE: Duration = Duration::from_secs(10);
/// Streams one listener serves at once; past it a new one is refused with 429.
pub const MAX_STREAMS: usize = 64;
/// The path of the stream.
pub const PATH: &str = "/gwtui/events";

/// The body of an event stream: what the subscriber's task queued, until it ends.
pub struct EventBody {
    rx: mpsc::Receiver<Bytes>,
}

impl hyper::body::Body for EventBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.rx
            .poll_recv(cx)
            .map(|chunk| chunk.map(|b| Ok(Frame::data(b))))
    }
}

/// One line of the `logs` event.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireLog<'a> {
    epoch_millis: i64,
    level: &'a str,
    rest_api_id: &'a str,
    stage: &'a str,
    request_id: &'a str,
    message: &'a str,
}

impl<'a> From<&'a LogLine> for WireLog<'a> {
    fn from(l: &'a LogLine) -> WireLog<'a> {
        WireLog {
            epoch_millis: l.epoch_millis,
            level: l.kind.as_str(),
            rest_api_id: &l.rest_api_id,
            stage: &l.stage,
            request_id: &l.request_id,
            message: &l.message,
        }
    }
}

/// An SSE frame: `event: {name}`, an optional `id:`, one `data:` line.
fn frame(name: &str, id: Option<&str>, data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "null".into());
    let mut out = String::with_capacity(json.len() + name.len() + 24);
    out.push_str("event: ");
    out.push_str(name);
    out.push('\n');
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(id);
        out.push('\n');
    }
    out.push_str("data: ");
    out.push_str(&json);
    out.push_str("\n\n");
    Bytes::from(out)
}

/// The `missed` frame: log lines up to `to_epoch_millis` are no longer kept for a client
/// that reconnects.
pub(crate) fn missed_logs(to_epoch_millis: i64) -> Bytes {
    frame(
        "missed",
        None,
        &serde_json::json!({ "logs": { "toEpochMillis": to_epoch_millis } }),
    )
}

/// An engine event as an SSE frame with an event id.
pub(crate) fn encode_with_id(event: &GatewayEvent, id: Option<&str>) -> Bytes {
    match event {
        GatewayEvent::Changed {
            api_id,
            action,
            target,
        } => frame(
            "changed",
            id,
            &serde_json::json!({ "apiId": api_id, "action": action, "target": target }),
        ),
        GatewayEvent::Logs(batch) => {
            let lines: Vec<WireLog<'_>> = batch.iter().map(WireLog::from).collect();
            frame("logs", id, &lines)
        }
        GatewayEvent::MetricsTick(tick) => frame("tick", None, &**tick),
        GatewayEvent::FunctionLog { function, line } => {
            let message = format!("[{function}] {line}");
            let epoch_millis =
                (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64;
            frame(
                "logs",
                id,
                &[WireLog {
                    epoch_millis,
                    level: "FUNCTION",
                    rest_api_id: "",
                    stage: "",
                    request_id: "",
                    message: &message,
                }],
            )
        }
    }
}

/// The stream's answer: `text/event-stream`, fed by a task that ends when the client goes,
/// or `stop` turns true (server shutdown).
/// Counts the streams a listener serves; a slot is given back when its stream's task ends.
#[derive(Clone, Default)]
pub struct StreamSlots(Arc<AtomicUsize>);

/// One taken slot.
pub struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl StreamSlots {
    /// A slot, or `None` when [`MAX_STREAMS`] are taken.
    pub fn take(&self) -> Option<Slot> {
        self.0
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_STREAMS).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(self.0.clone()))
    }
}

pub fn respond(
    gw: &Gateway,
    parts: &Parts,
    replay: &Replay,
    stop: watch::Receiver<bool>,
    slot: Slot,
) -> Response<EventBody> {
    let last = parts
        .headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok());
    let gw_events = gw.subscribe();
    let start = replay.start(last);
    let boot = replay.boot();
    // Room for the backlog (at most the ring) on top of the live queue.
    let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE + 2 + start.backlog.len());
    let hello = frame(
        "hello",
        Some(&start.hello_id),
        &serde_json::json!({
            "boot": boot,
            "resync": start.resync,
            "replayed": start.backlog.len(),
        }),
    );
    // A fresh channel has room: the hello always goes first, then what was missed.
    let _ = tx.try_send(Bytes::from_static(b"retry: 1000\n\n"));
    let _ = tx.try_send(hello);
    for missed in start.backlog {
        let _ = tx.try_send(missed);
    }
    let live = start.live;
    tokio::spawn(async move {
        pump(gw_events, live, tx, stop).await;
        drop(slot);
    });
    let mut response = Response::new(EventBody { rx });
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    response
}

/// Copies engine events (ticks from the engine, numbered changes and log lines from the
/// replay rings) into one subscriber's queue without ever waiting for it: an event that finds the
/// queue full is counted, and the count goes out as `dropped` once there is room again.
async fn pump(
    mut events: broadcast::Receiver<GatewayEvent>,
    mut changes: broadcast::Receiver<Numbered>,
    tx: mpsc::Sender<Bytes>,
    mut stop: watch::Receiver<bool>,
) {
    let mut dropped: u64 = 0;
    let mut keepalive = tokio::time::interval(KEEPALIVE);
    keepalive.tick().await;
    loop {
        let next = tokio::select! {
            _ = tx.closed() => return,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
                continue;
            }
            _ = keepalive.tick() => Bytes::from_static(b": keepalive\n\n"),
            change = changes.recv() => match change {
                Ok(Numbered::Frame(frame)) => frame,
                Ok(Numbered::Gap) => {
                    dropped += 1;
                    continue;
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    dropped += n;
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            event = events.recv() => match event {
                Ok(event @ GatewayEvent::MetricsTick(_)) => encode_with_id(&event, None),
                // Numbered by the replay rings (above).
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    dropped += n;
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if dropped > 0 {
            match tx.try_send(frame(
                "dropped",
                None,
                &serde_json::json!({ "dropped": dropped }),
            )) {
                Ok(()) => dropped = 0,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    dropped += 1;
                    continue;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return,
            }
        }
        match tx.try_send(next) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => dropped += 1,
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_counted_and_their_slots_come_back() {
        let slots = StreamSlots::default();
        let taken: Vec<Slot> = (0..MAX_STREAMS).filter_map(|_| slots.take()).collect();
        assert_eq!(taken.len(), MAX_STREAMS);
        assert!(slots.take().is_none(), "one stream too many");
        drop(taken);
        assert!(slots.take().is_some());
    }

    /// A subscriber that stops reading holds at most `SUBSCRIBER_QUEUE` events; what did not
    /// fit is announced as `dropped N` when it reads again.
    #[tokio::test]
    async fn a_slow_subscriber_gets_a_dropped_count_not_unbounded_memory() {
        let (events_tx, events_rx) = broadcast::channel(4096);
        let (tx, mut rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        let (_stop_tx, stop_rx) = watch::channel(false);
        let replay = Replay::new("b".into(), 8, 8);
        let changes = replay.start(None).live;
        let task = tokio::spawn(pump(events_rx, changes, tx, stop_rx));
        let total = 3 * SUBSCRIBER_QUEUE;
        for i in 0..total {
            let tick = crate::engine::MetricsTick {
                epoch_second: i as i64,
                ..Default::default()
            };
            let _ = events_tx.send(GatewayEvent::MetricsTick(Arc::new(tick)));
        }
        // Let the pump drain the broadcast into the (full) queue.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !events_tx.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::task::yield_now().await;
        }
        tokio::task::yield_now().await;
        assert!(rx.len() <= SUBSCRIBER_QUEUE);
        let mut seen = 0;
        while let Ok(chunk) = rx.try_recv() {
            assert!(chunk.starts_with(b"event: tick"));
            seen += 1;
        }
        assert_eq!(seen, SUBSCRIBER_QUEUE);
        // One more event: the count of what was dropped goes first.
        replay.record(GatewayEvent::Changed {
            api_id: None,
            action: "Test".into(),
            target: "t".into(),
        });
        let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&first).to_string();
        assert_eq!(
            text,
            format!(
                "event: dropped\ndata: {{\"dropped\":{}}}\n\n",
                total - SUBSCRIBER_QUEUE
            )
        );
        let next = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .ok()
            .flatten()
            .unwrap_or_default();
        assert!(next.starts_with(b"event: changed"));
        drop(rx);
        drop(events_tx);
        let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    }
}
