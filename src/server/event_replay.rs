//! The replay rings of `GET /gwtui/events`: every `changed` event and every `logs` batch
//! gets a sequence number (its SSE id is `{seq}@{boot}`, one numbering for both), and the
//! last [`REPLAY_RING`] changes and the last [`LOG_REPLAY_LINES`] log lines are kept, so
//! that a client that reconnects with `Last-Event-ID` is sent exactly what it missed
//! instead of reloading everything or losing the log lines of the outage. When a change it
//! missed is no longer kept (or the server restarted: another boot id), the stream says so
//! (`hello` with `"resync": true`); when log lines it missed are no longer kept, a `missed`
//! event says up to when (the console shows "logs from … to … were missed"). Metric ticks
//! are not replayed: the console reads the metric series from the server's snapshot
//! (`/gwtui/metrics`) every second, which covers any outage.
//!
//! One recorder task per listener reads the engine's broadcast and numbers the events under
//! the rings' lock; a stream subscribes to the numbered events and copies its backlog from
//! the rings under the same lock, so nothing falls between the two and nothing is sent
//! twice. The rings keep the engine's events (shared `Arc`s); a frame is encoded when a
//! stream is there to send it to.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use crate::engine::{Gateway, GatewayEvent};

/// Change events a listener keeps for clients that reconnect.
pub const REPLAY_RING: usize = 1024;
/// Log lines a listener keeps for clients that reconnect (about a minute of a busy demo).
pub const LOG_REPLAY_LINES: usize = 8192;
/// Numbered events a stream may lag behind before it is told to re-sync.
const LIVE_QUEUE: usize = 1024;

/// What a stream receives from the recorder.
#[derive(Debug, Clone)]
pub enum Numbered {
    /// A `changed` or `logs` frame, its id included.
    Frame(Bytes),
    /// The recorder itself fell behind the engine: changes were lost, every stream must
    /// re-sync.
    Gap,
}

/// One kept event: its number, its time (the newest line's, for logs) and the event.
#[derive(Debug)]
struct Kept {
    seq: u64,
    epoch_millis: i64,
    lines: usize,
    event: GatewayEvent,
}

#[derive(Debug)]
struct Ring {
    /// The number the next event gets (the first is 1; 0 means "none yet").
    next: u64,
    changes: VecDeque<Kept>,
    capacity: usize,
    /// The newest change no longer kept: a client behind it must re-sync.
    changes_evicted: u64,
    logs: VecDeque<Kept>,
    log_lines: usize,
    log_capacity: usize,
    /// The newest log batch no longer kept (number, time of its newest line).
    logs_evicted: Option<(u64, i64)>,
}

/// Where a new stream starts.
pub struct Start {
    /// The numbered events from here on.
    pub live: broadcast::Receiver<Numbered>,
    /// What the client missed (empty for a fresh client), oldest first: the numbered
    /// frames, after a `missed` frame when log lines it missed are no longer kept.
    pub backlog: Vec<Bytes>,
    /// The client's position could not be resumed: it must reload everything.
    pub resync: bool,
    /// The id of the `hello` event: the last event numbered so far.
    pub hello_id: String,
}

/// One listener's numbered events.
#[derive(Debug, Clone)]
pub struct Replay {
    boot: Arc<str>,
    ring: Arc<Mutex<Ring>>,
    tx: broadcast::Sender<Numbered>,
    /// Signalled by the first stream: from then on the recorder keeps log lines too (a
    /// server no console ever attached to builds no console log batches).
    logs_wanted: Arc<tokio::sync::Notify>,
}

fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

impl Replay {
    /// Rings of `capacity` changes and `log_lines` log lines (each at least 1) for the
    /// listener with boot id `boot`.
    pub fn new(boot: Arc<str>, capacity: usize, log_lines: usize) -> Replay {
        let capacity = capacity.max(1);
        Replay {
            boot,
            ring: Arc::new(Mutex::new(Ring {
                next: 1,
                changes: VecDeque::with_capacity(capacity.min(REPLAY_RING)),
                capacity,
                changes_evicted: 0,
                logs: VecDeque::new(),
                log_lines: 0,
                log_capacity: log_lines.max(1),
                logs_evicted: None,
            })),
            tx: broadcast::channel(LIVE_QUEUE).0,
            logs_wanted: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub fn boot(&self) -> &str {
        &self.boot
    }

    /// Numbers engine change events and log lines until the engine closes or `stop` turns
    /// true.
    pub fn spawn_recorder(&self, gw: &Gateway, mut stop: watch::Receiver<bool>) {
        // Change events only until a console first attaches: until then this receiver does
        // not make every request build the consoles' log batches (docs/PERFORMANCE.md,
        // "Data plane, round 4"); from then on it keeps the log lines for replay.
        let mut events = gw.subscribe_changes();
        let replay = self.clone();
        let logs_wanted = self.logs_wanted.clone();
        tokio::spawn(async move {
            let mut logs = false;
            loop {
                tokio::select! {
                    changed = stop.changed() => {
                        if changed.is_err() || *stop.borrow() {
                            return;
                        }
                    }
                    () = logs_wanted.notified(), if !logs => {
                        events.include_logs();
                        logs = true;
                    }
                    event = events.recv() => match event {
                        Ok(GatewayEvent::MetricsTick(_)) => {}
                        Ok(event) => replay.record(event),
                        Err(broadcast::error::RecvError::Lagged(_)) => replay.gap(),
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
    }

    /// Numbers one change or log batch, keeps it, and sends it to the live streams (metric
    /// ticks are not numbered: they are ignored here).
    pub fn record(&self, event: GatewayEvent) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        let (epoch_millis, lines) = match &event {
            GatewayEvent::Changed { .. } => (now_millis(), 0),
            GatewayEvent::Logs(batch) => (
                batch
                    .iter()
                    .map(|l| l.epoch_millis)
                    .max()
                    .unwrap_or_else(now_millis),
                batch.len(),
            ),
            GatewayEvent::FunctionLog { .. } => (now_millis(), 1),
            GatewayEvent::MetricsTick(_) => return,
        };
        let seq = ring.next;
        ring.next += 1;
        // Encoded once for every live stream, and only when one is listening.
        let frame = (self.tx.receiver_count() > 0)
            .then(|| super::events::encode_with_id(&event, Some(&self.id(seq))));
        let kept = Kept {
            seq,
            epoch_millis,
            lines,
            event,
        };
        if matches!(kept.event, GatewayEvent::Changed { .. }) {
            if ring.changes.len() == ring.capacity
                && let Some(old) = ring.changes.pop_front()
            {
                ring.changes_evicted = old.seq;
            }
            ring.changes.push_back(kept);
        } else {
            ring.log_lines += kept.lines;
            ring.logs.push_back(kept);
            while ring.log_lines > ring.log_capacity && ring.logs.len() > 1 {
                if let Some(old) = ring.logs.pop_front() {
                    ring.log_lines -= old.lines;
                    ring.logs_evicted = Some((old.seq, old.epoch_millis));
                }
            }
        }
        // No stream listening is fine.
        if let Some(frame) = frame {
            let _ = self.tx.send(Numbered::Frame(frame));
        }
    }

    /// Events were lost before they were numbered: nobody can resume across this point.
    fn gap(&self) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        ring.changes.clear();
        // A client that saw the last number must not resume from it either.
        ring.changes_evicted = ring.next;
        ring.next += 1;
        let _ = self.tx.send(Numbered::Gap);
    }

    fn id(&self, seq: u64) -> String {
        format!("{seq}@{}", self.boot)
    }

    /// Subscribes a stream whose client sent `last_event_id` (none for a first connection).
    pub fn start(&self, last_event_id: Option<&str>) -> Start {
        self.logs_wanted.notify_one();
        let ring = match self.ring.lock() {
            Ok(ring) => ring,
            Err(poisoned) => poisoned.into_inner(),
        };
        let live = self.tx.subscribe();
        let last = ring.next - 1;
        let hello_id = self.id(last);
        let Some(after) = last_event_id else {
            return Start {
                live,
                backlog: Vec::new(),
                resync: false,
                hello_id,
            };
        };
        let resumable = after
            .split_once('@')
            .filter(|(_, boot)| *boot == &*self.boot)
            .and_then(|(seq, _)| seq.parse::<u64>().ok())
            .filter(|seq| *seq <= last && *seq >= ring.changes_evicted);
        let Some(after) = resumable else {
            return Start {
                live,
                backlog: Vec::new(),
                resync: true,
                hello_id,
            };
        };
        let mut backlog = Vec::new();
        if let Some((seq, to)) = ring.logs_evicted
            && seq > after
        {
            backlog.push(super::events::missed_logs(to));
        }
        let mut kept: Vec<&Kept> = ring
            .changes
            .iter()
            .chain(ring.logs.iter())
            .filter(|k| k.seq > after)
            .collect();
        kept.sort_unstable_by_key(|k| k.seq);
        backlog.extend(
            kept.into_iter()
                .map(|k| super::events::encode_with_id(&k.event, Some(&self.id(k.seq)))),
        );
        Start {
            live,
            backlog,
            resync: false,
            hello_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(n: usize) -> GatewayEvent {
        GatewayEvent::Changed {
            api_id: None,
            action: "Test".into(),
            target: format!("t{n}"),
        }
    }

    fn ids(frames: &[Bytes]) -> Vec<String> {
        frames
            .iter()
            .filter_map(|f| {
                let text = String::from_utf8_lossy(f).to_string();
                text.lines()
                    .find_map(|l| l.strip_prefix("id: ").map(str::to_string))
            })
            .collect()
    }

    #[test]
    fn a_client_resumes_after_the_last_id_it_saw() {
        let r = Replay::new("b1".into(), 4, 4);
        let fresh = r.start(None);
        assert_eq!(fresh.hello_id, "0@b1");
        assert!(!fresh.resync && fresh.backlog.is_empty());
        for n in 0..3 {
            r.record(change(n));
        }
        let resumed = r.start(Some("1@b1"));
        assert!(!resumed.resync);
        assert_eq!(ids(&resumed.backlog), ["2@b1", "3@b1"]);
        assert_eq!(resumed.hello_id, "3@b1");
        // Nothing missed: nothing to replay, no re-sync.
        let current = r.start(Some("3@b1"));
        assert!(!current.resync && current.backlog.is_empty());
        // From the hello of a fresh stream, before any change.
        assert_eq!(ids(&r.start(Some("0@b1")).backlog).len(), 3);
    }

    #[test]
    fn a_gap_beyond_the_ring_or_another_boot_is_a_resync() {
        let r = Replay::new("b1".into(), 4, 4);
        for n in 0..10 {
            r.record(change(n));
        }
        // 6..=10 kept would need 5 slots; the ring holds 7..=10.
        assert!(r.start(Some("5@b1")).resync);
        let edge = r.start(Some("6@b1"));
        assert!(!edge.resync);
        assert_eq!(ids(&edge.backlog), ["7@b1", "8@b1", "9@b1", "10@b1"]);
        for bad in ["3@b0", "b1", "x@b1", "11@b1", ""] {
            let s = r.start(Some(bad));
            assert!(s.resync && s.backlog.is_empty(), "{bad}");
        }
        // The recorder lost events: nobody resumes across that point.
        r.gap();
        assert!(r.start(Some("10@b1")).resync);
    }

    fn logs(first_ms: i64, n: usize) -> GatewayEvent {
        let lines: Vec<crate::engine::LogLine> = (0..n)
            .map(|i| crate::engine::LogLine {
                epoch_millis: first_ms + i as i64,
                kind: crate::engine::LogKind::Access,
                rest_api_id: "a".into(),
                stage: "s".into(),
                request_id: format!("r{i}"),
                message: "GET / 200".into(),
            })
            .collect();
        GatewayEvent::Logs(lines.into())
    }

    fn names(frames: &[Bytes]) -> Vec<String> {
        frames
            .iter()
            .filter_map(|f| {
                let text = String::from_utf8_lossy(f).to_string();
                text.lines()
                    .find_map(|l| l.strip_prefix("event: ").map(str::to_string))
            })
            .collect()
    }

    /// Log batches share the changes' numbering: a client gets both back in order; a
    /// change ring full of older changes does not stop it resuming logs.
    #[test]
    fn log_lines_are_replayed_in_order_with_the_changes() {
        let r = Replay::new("b1".into(), 4, 100);
        r.record(change(0));
        r.record(logs(1_000, 3));
        r.record(change(1));
        r.record(GatewayEvent::FunctionLog {
            function: "f".into(),
            line: "hi".into(),
        });
        // A tick is not numbered.
        r.record(GatewayEvent::MetricsTick(Default::default()));
        let s = r.start(Some("1@b1"));
        assert!(!s.resync);
        assert_eq!(ids(&s.backlog), ["2@b1", "3@b1", "4@b1"]);
        assert_eq!(names(&s.backlog), ["logs", "changed", "logs"]);
        assert_eq!(s.hello_id, "4@b1");
    }

    /// Log lines past the ring's line budget are dropped oldest first; a client that missed
    /// some is told up to when, then gets what is kept.
    #[test]
    fn log_lines_beyond_the_ring_are_announced_as_missed() {
        let r = Replay::new("b1".into(), 4, 10);
        for n in 0..5 {
            r.record(logs(1_000 * (n + 1), 4));
        }
        // 20 lines for a budget of 10: batches 1..=3 are gone (the newest at 3_003 ms).
        let s = r.start(Some("0@b1"));
        assert!(!s.resync, "logs alone never force a reload");
        assert_eq!(names(&s.backlog), ["missed", "logs", "logs"]);
        let missed = String::from_utf8_lossy(&s.backlog[0]).to_string();
        assert!(
            missed.contains(r#"{"logs":{"toEpochMillis":3003}}"#),
            "{missed}"
        );
        assert_eq!(ids(&s.backlog), ["4@b1", "5@b1"]);
        // A client that saw batch 3 missed nothing that is gone.
        let s = r.start(Some("3@b1"));
        assert_eq!(names(&s.backlog), ["logs", "logs"]);
        // One batch larger than the budget is still kept whole.
        r.record(logs(9_000, 50));
        assert_eq!(names(&r.start(Some("5@b1")).backlog), ["logs"]);
    }

    #[tokio::test]
    async fn live_streams_get_what_is_numbered_after_they_start() {
        let r = Replay::new("b1".into(), 4, 4);
        r.record(change(0));
        let mut s = r.start(Some("0@b1"));
        assert_eq!(ids(&s.backlog), ["1@b1"]);
        r.record(change(1));
        match s.live.recv().await {
            Ok(Numbered::Frame(f)) => assert_eq!(ids(&[f]), ["2@b1"]),
            other => panic!("{other:?}"),
        }
    }
}
