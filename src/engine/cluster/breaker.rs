//! The circuit breaker in front of Redis: after `threshold` consecutive failed calls it opens
//! and no call is made for `cooldown`; then one call (the probe) goes through: its success
//! closes the breaker, its failure opens it for another cool-down. So a Redis that is down or
//! slow costs each request at most one bounded timeout until the breaker opens, and nothing
//! (an immediate "unavailable") while it is open. Lock-free: three atomic words.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug)]
pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    /// Consecutive failures since the last success.
    failures: AtomicU32,
    /// While open: until when, in nanoseconds on the caller's clock; 0 = closed.
    open_until: AtomicU64,
    /// A probe is in flight (half-open).
    probing: AtomicBool,
    /// Times the breaker opened.
    opened: AtomicU64,
}

/// What [`Breaker::allow`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Closed: call.
    Call,
    /// Half-open: this call is the probe.
    Probe,
    /// Open: do not call.
    Refuse,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Breaker {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            probing: AtomicBool::new(false),
            opened: AtomicU64::new(0),
        }
    }

    /// Whether a call may be made at `now` (a monotonic clock).
    pub fn allow(&self, now: Duration) -> Admit {
        let until = self.open_until.load(Ordering::Acquire);
        if until == 0 {
            return Admit::Call;
        }
        if nanos(now) < until {
            return Admit::Refuse;
        }
        if self
            .probing
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            Admit::Probe
        } else {
            Admit::Refuse
        }
    }

    /// A call succeeded: closed again.
    pub fn success(&self) {
        self.failures.store(0, Ordering::Release);
        self.open_until.store(0, Ordering::Release);
        self.probing.store(false, Ordering::Release);
    }

    /// A call failed at `now`; true when this failure opened the breaker.
    pub fn failure(&self, now: Duration) -> bool {
        let n = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        let was_probe = self.probing.swap(false, Ordering::AcqRel);
        if was_probe || (n >= self.threshold && self.open_until.load(Ordering::Acquire) == 0) {
            self.open_until
                .store(nanos(now.saturating_add(self.cooldown)), Ordering::Release);
            if !was_probe {
                self.opened.fetch_add(1, Ordering::Relaxed);
            }
            return !was_probe;
        }
        false
    }

    pub fn is_open(&self) -> bool {
        self.open_until.load(Ordering::Acquire) != 0
    }

    /// Times it opened (a failed probe that reopens it is not counted again).
    pub fn opened(&self) -> u64 {
        self.opened.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn opens_after_the_threshold_and_refuses_during_the_cooldown() {
        let b = Breaker::new(3, ms(1000));
        assert_eq!(b.allow(ms(0)), Admit::Call);
        assert!(!b.failure(ms(1)));
        assert!(!b.failure(ms(2)));
        assert_eq!(b.allow(ms(3)), Admit::Call);
        assert!(b.failure(ms(3)));
        assert!(b.is_open());
        assert_eq!(b.allow(ms(4)), Admit::Refuse);
        assert_eq!(b.allow(ms(1002)), Admit::Refuse);
        assert_eq!(b.opened(), 1);
    }

    #[test]
    fn one_probe_after_the_cooldown_closes_or_reopens() {
        let b = Breaker::new(1, ms(100));
        assert!(b.failure(ms(0)));
        // Only one caller probes.
        assert_eq!(b.allow(ms(100)), Admit::Probe);
        assert_eq!(b.allow(ms(100)), Admit::Refuse);
        // A failed probe reopens for another cool-down.
        assert!(!b.failure(ms(110)));
        assert_eq!(b.allow(ms(150)), Admit::Refuse);
        assert_eq!(b.allow(ms(210)), Admit::Probe);
        b.success();
        assert!(!b.is_open());
        assert_eq!(b.allow(ms(211)), Admit::Call);
        assert_eq!(b.opened(), 1);
    }

    #[test]
    fn a_success_resets_the_consecutive_count() {
        let b = Breaker::new(2, ms(100));
        assert!(!b.failure(ms(0)));
        b.success();
        assert!(!b.failure(ms(1)));
        assert!(!b.is_open());
        assert!(b.failure(ms(2)));
    }
}
