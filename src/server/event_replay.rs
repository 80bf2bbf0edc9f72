//! The replay ring of `GET /gwtui/events`: every `changed` event gets a sequence number
//! (its SSE id is `{seq}@{boot}`) and the last [`REPLAY_RING`] of them are kept, so that a
//! client that reconnects with `Last-Event-ID` is sent exactly what it missed instead of
//! reloading everything. When what it missed is no longer in the ring (or the server
//! restarted: another boot id), the stream says so (`hello` with `"resync": true`).
//!
//! One recorder task per listener reads the engine's broadcast and numbers the change
//! events under the ring's lock; a stream subscribes to the numbered events and copies its
//! backlog from the ring under the same lock, so nothing falls between the two and nothing
//! is sent twice.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};

use crate::engine::{Gateway, GatewayEvent};

/// Change events a listener keeps for clients that reconnect.
pub const REPLAY_RING: usize = 1024;
/// Numbered events a stream may lag behind before it is told to re-sync.
const LIVE_QUEUE: usize = 1024;

/// What a stream receives from the recorder.
#[derive(Debug, Clone)]
pub enum Numbered {
    /// A `changed` frame, its id included.
    Frame(Bytes),
    /// The recorder itself fell behind the engine: changes were lost, every stream must
    /// re-sync.
    Gap,
}

#[derive(Debug)]
struct Ring {
    /// The number the next change gets (the first is 1; 0 means "none yet").
    next: u64,
    events: VecDeque<(u64, Bytes)>,
    capacity: usize,
}

/// Where a new stream starts.
pub struct Start {
    /// The numbered events from here on.
    pub live: broadcast::Receiver<Numbered>,
    /// What the client missed (empty for a fresh client), oldest first.
    pub backlog: Vec<Bytes>,
    /// The client's position could not be resumed: it must reload everything.
    pub resync: bool,
    /// The id of the `hello` event: the last change numbered so far.
    pub hello_id: String,
}

/// One listener's numbered change events.
#[derive(Debug, Clone)]
pub struct Replay {
    boot: Arc<str>,
    ring: Arc<Mutex<Ring>>,
    tx: broadcast::Sender<Numbered>,
}

impl Replay {
    /// A ring of `capacity` events (at least 1) for the listener with boot id `boot`.
    pub fn new(boot: Arc<str>, capacity: usize) -> Replay {
        let capacity = capacity.max(1);
        Replay {
            boot,
            ring: Arc::new(Mutex::new(Ring {
                next: 1,
                events: VecDeque::with_capacity(capacity.min(REPLAY_RING)),
                capacity,
            })),
            tx: broadcast::channel(LIVE_QUEUE).0,
        }
    }

    pub fn boot(&self) -> &str {
        &self.boot
    }

    /// Numbers engine change events until the engine closes or `stop` turns true.
    pub fn spawn_recorder(&self, gw: &Gateway, mut stop: watch::Receiver<bool>) {
        // Change events only: this receiver does not turn on the consoles' log batches.
        let mut events = gw.subscribe_changes();
        let replay = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    changed = stop.changed() => {
                        if changed.is_err() || *stop.borrow() {
                            return;
                        }
                    }
                    event = events.recv() => match event {
                        Ok(event @ GatewayEvent::Changed { .. }) => replay.record(&event),
                        Ok(_) => {}
                        Err(broadcast::error::RecvError::Lagged(_)) => replay.gap(),
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
    }

    /// Numbers one change, keeps it, and sends it to the live streams.
    pub fn record(&self, event: &GatewayEvent) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        let seq = ring.next;
        ring.next += 1;
        let frame = super::events::encode_with_id(event, Some(&self.id(seq)));
        if ring.events.len() == ring.capacity {
            ring.events.pop_front();
        }
        ring.events.push_back((seq, frame.clone()));
        // No stream listening is fine.
        let _ = self.tx.send(Numbered::Frame(frame));
    }

    /// Changes were lost before they were numbered: nobody can resume across this point.
    fn gap(&self) {
        let Ok(mut ring) = self.ring.lock() else {
            return;
        };
        ring.events.clear();
        // A client that saw the last number must not resume from it either.
        ring.next += 1;
        let _ = self.tx.send(Numbered::Gap);
    }

    fn id(&self, seq: u64) -> String {
        format!("{seq}@{}", self.boot)
    }

    /// Subscribes a stream whose client sent `last_event_id` (none for a first connection).
    pub fn start(&self, last_event_id: Option<&str>) -> Start {
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
        let first_kept = ring.events.front().map_or(ring.next, |(seq, _)| *seq);
        let resumable = after
            .split_once('@')
            .filter(|(_, boot)| *boot == &*self.boot)
            .and_then(|(seq, _)| seq.parse::<u64>().ok())
            .filter(|seq| *seq <= last && seq + 1 >= first_kept);
        match resumable {
            Some(after) => Start {
                live,
                backlog: ring
                    .events
                    .iter()
                    .filter(|(seq, _)| *seq > after)
                    .map(|(_, frame)| frame.clone())
                    .collect(),
                resync: false,
                hello_id,
            },
            None => Start {
                live,
                backlog: Vec::new(),
                resync: true,
                hello_id,
            },
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
        let r = Replay::new("b1".into(), 4);
        let fresh = r.start(None);
        assert_eq!(fresh.hello_id, "0@b1");
        assert!(!fresh.resync && fresh.backlog.is_empty());
        for n in 0..3 {
            r.record(&change(n));
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
        let r = Replay::new("b1".into(), 4);
        for n in 0..10 {
            r.record(&change(n));
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

    #[tokio::test]
    async fn live_streams_get_what_is_numbered_after_they_start() {
        let r = Replay::new("b1".into(), 4);
        r.record(&change(0));
        let mut s = r.start(Some("0@b1"));
        assert_eq!(ids(&s.backlog), ["1@b1"]);
        r.record(&change(1));
        match s.live.recv().await {
            Ok(Numbered::Frame(f)) => assert_eq!(ids(&[f]), ["2@b1"]),
            other => panic!("{other:?}"),
        }
    }
}
