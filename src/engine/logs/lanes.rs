//! The hand-off of finished requests to the log thread: one lane per group of submitting
//! threads instead of one channel message per request.
//!
//! A request thread pushes its record into its own lane (a `Vec` behind a mutex nobody else
//! takes, except the log thread once per [`super::DRAIN`]) and takes a handed-back record
//! from the same lane to refill: no channel, no wake-up, no atomic shared between the
//! serving threads. The log thread swaps each lane's queue out whole, so what it pays per
//! request is the handling, not the transport. Each lane is bounded ([`LANE_CAPACITY`]:
//! beyond it the record is dropped and counted, as a full queue did); the lanes together
//! hold at most [`super::LOG_QUEUE_CAPACITY`] records.
//!
//! Order: the records of one drain are put in the order their requests ended (each record
//! travels with that instant; a stable sort, linear when they already are), so the files
//! read as the single queue wrote them.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use super::record::RequestLog;

/// Lanes per gateway. Threads are given lanes round-robin on their first record, so the
/// serving threads (one per CPU) each have their own on a machine with up to this many CPUs.
pub(super) const LANES: usize = 8;
/// Records one lane holds before the log thread drains it (beyond: dropped and counted).
pub(super) const LANE_CAPACITY: usize = super::LOG_QUEUE_CAPACITY / LANES;
/// Handled records one lane keeps for reuse.
const LANE_SPARE: usize = 512;

/// A finished request and when it ended (the order across lanes).
type Queued = (Instant, Box<RequestLog>);

/// A drained record: when it ended, the lane it came from (where it goes back to be reused),
/// the record.
pub(super) type Drained = (Instant, usize, Box<RequestLog>);

/// Handled records by the lane they came from (see [`Lanes::drain`]; boxed as in [`Lane`]).
#[allow(clippy::vec_box)]
pub(super) type Handled = [Vec<Box<RequestLog>>; LANES];

#[derive(Default)]
pub(super) struct Lane {
    /// Records waiting for the log thread, in submission order.
    queue: Vec<Queued>,
    /// Records the log thread is done with, for requests to refill. Boxed: a record moves
    /// between lanes, the log thread and back as one pointer, not as its ~300 bytes.
    #[allow(clippy::vec_box)]
    spare: Vec<Box<RequestLog>>,
}

pub(super) struct Lanes {
    lanes: [Mutex<Lane>; LANES],
    /// Bit `i`: lane `i` has had a record (the log thread skips the others without locking
    /// them, so an idle gateway's drain costs a load).
    active: AtomicUsize,
}

fn lock(m: &Mutex<Lane>) -> MutexGuard<'_, Lane> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Gives each thread a lane index on its first record.
static NEXT_LANE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static LANE: Cell<Option<usize>> = const { Cell::new(None) };
}

fn this_thread_lane() -> usize {
    LANE.with(|l| match l.get() {
        Some(i) => i,
        None => {
            let i = NEXT_LANE.fetch_add(1, Ordering::Relaxed) % LANES;
            l.set(Some(i));
            i
        }
    })
}

impl Lanes {
    pub(super) fn new() -> Lanes {
        Lanes {
            lanes: std::array::from_fn(|_| Mutex::new(Lane::default())),
            active: AtomicUsize::new(0),
        }
    }

    /// Queues the record `make` builds (from a handed-back record when the lane has one;
    /// `None`: nothing to queue). `false`: the lane is full and nothing was queued (`make` is
    /// not called).
    pub(super) fn push(
        &self,
        ended: Instant,
        make: impl FnOnce(Option<Box<RequestLog>>) -> Option<Box<RequestLog>>,
    ) -> bool {
        let i = this_thread_lane();
        // Read-mostly: set once per lane.
        if self.active.load(Ordering::Relaxed) & (1 << i) == 0 {
            self.active.fetch_or(1 << i, Ordering::Relaxed);
        }
        let mut lane = lock(&self.lanes[i]);
        if lane.queue.len() >= LANE_CAPACITY {
            return false;
        }
        let spare = lane.spare.pop();
        if let Some(record) = make(spare) {
            lane.queue.push((ended, record));
        }
        true
    }

    /// Moves every queued record into `into` (empty on entry), ordered by when the requests
    /// ended across lanes; the records of the previous drain (`handled`, by lane) go back to
    /// their lanes for reuse (beyond a lane's [`LANE_SPARE`] they are freed here).
    pub(super) fn drain(&self, into: &mut Vec<Drained>, handled: &mut Handled) {
        let active = self.active.load(Ordering::Relaxed);
        for (i, (m, back)) in self.lanes.iter().zip(handled.iter_mut()).enumerate() {
            if active & (1 << i) == 0 {
                continue;
            }
            let mut lane = lock(m);
            if !back.is_empty() {
                let room = LANE_SPARE.saturating_sub(lane.spare.len());
                let keep = back.len().min(room);
                lane.spare.extend(back.drain(..keep));
            }
            if !lane.queue.is_empty() {
                // Drained under the lock (pointer copies): the lane keeps its buffer.
                into.extend(lane.queue.drain(..).map(|(ended, r)| (ended, i, r)));
            }
            drop(lane);
            // Beyond the lane's spares: freed here, outside the lock.
            back.clear();
        }
        if into.len() > 1 {
            // Stable, and linear on what is already in order (one lane's records, or lanes
            // that did not overlap): equal instants keep their lane's order. Also orders two
            // threads sharing a lane by when their requests ended.
            into.sort_by_key(|(ended, _, _)| *ended);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::logs::StageLog;
    use std::sync::Arc;
    use std::time::Duration;

    fn record(id: &str) -> Box<RequestLog> {
        let target = Arc::new(StageLog {
            api_id: "a".into(),
            stage: "s".into(),
            format: None,
        });
        let mut r = Box::new(RequestLog::empty(target));
        r.request_id = id.to_string();
        r
    }

    #[test]
    fn records_from_several_threads_drain_in_the_order_they_ended() {
        let lanes = Arc::new(Lanes::new());
        let t0 = Instant::now();
        // Thread k submits records k, k+4, k+8, ...: ended at t0 + n µs.
        let handles: Vec<_> = (0..4)
            .map(|k| {
                let lanes = lanes.clone();
                std::thread::spawn(move || {
                    for n in (k..40).step_by(4) {
                        let at = t0 + Duration::from_micros(n as u64);
                        assert!(lanes.push(at, |_| Some(record(&n.to_string()))));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().ok();
        }
        let mut out = Vec::new();
        let mut handled: Handled = Default::default();
        lanes.drain(&mut out, &mut handled);
        let ids: Vec<String> = out.iter().map(|(_, _, r)| r.request_id.clone()).collect();
        let expected: Vec<String> = (0..40).map(|n: usize| n.to_string()).collect();
        assert_eq!(ids, expected);
        // Handed back, each goes to the lane it came from: this thread's pushes refill the
        // records of its own lane (none here: the four threads had other lanes, unless the
        // round-robin came back to this one).
        let mine = this_thread_lane();
        let expected_reuse = out.iter().filter(|(_, lane, _)| *lane == mine).count();
        for (_, lane, r) in out.drain(..) {
            handled[lane].push(r);
        }
        lanes.drain(&mut out, &mut handled);
        assert!(out.is_empty() && handled.iter().all(Vec::is_empty));
        let mut reused = 0;
        for _ in 0..40 {
            lanes.push(t0, |spare| {
                reused += usize::from(spare.is_some());
                Some(spare.unwrap_or_else(|| record("new")))
            });
        }
        assert_eq!(reused, expected_reuse);
        // Records handed back to this thread's lane are refilled by its next pushes.
        lanes.drain(&mut out, &mut handled);
        assert_eq!(out.len(), 40);
        for (_, lane, r) in out.drain(..) {
            handled[lane].push(r);
        }
        lanes.drain(&mut out, &mut handled);
        let mut reused = 0;
        for _ in 0..40 {
            lanes.push(t0, |spare| {
                reused += usize::from(spare.is_some());
                Some(spare.unwrap_or_else(|| record("new")))
            });
        }
        assert_eq!(reused, 40);
    }

    #[test]
    fn a_full_lane_refuses_records() {
        let lanes = Lanes::new();
        let now = Instant::now();
        for _ in 0..LANE_CAPACITY {
            assert!(lanes.push(now, |_| Some(record("x"))));
        }
        let mut called = false;
        assert!(!lanes.push(now, |_| {
            called = true;
            Some(record("y"))
        }));
        assert!(!called);
        let (mut out, mut handled) = (Vec::new(), Handled::default());
        lanes.drain(&mut out, &mut handled);
        assert_eq!(out.len(), LANE_CAPACITY);
        assert!(lanes.push(now, |_| Some(record("z"))));
    }
}
