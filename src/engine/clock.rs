//! The time source of the traffic controls (token buckets, quota periods). Injected through
//! `EngineConfig::clock` so tests can step time deterministically; the default is the system
//! clock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use time::OffsetDateTime;

pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Monotonic time since an arbitrary origin (token-bucket refills).
    fn now(&self) -> Duration;
    /// [`Clock::now`] as it was at `instant` (a time the caller already read, such as when
    /// its request started: no second clock read). A clock that does not follow `Instant`
    /// (tests') answers its `now`.
    fn at(&self, instant: Instant) -> Duration {
        let _ = instant;
        self.now()
    }
    /// Wall-clock UTC (quota periods, usage days).
    fn utc(&self) -> OffsetDateTime;
}

/// The real clocks: `Instant` for refills, the system time for quota periods.
#[derive(Debug)]
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    fn at(&self, instant: Instant) -> Duration {
        instant.saturating_duration_since(self.origin)
    }

    fn utc(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests). `utc()` is the start instant plus the time
/// advanced so far.
#[derive(Debug)]
pub struct ManualClock {
    start_utc: OffsetDateTime,
    elapsed_nanos: AtomicU64,
}

impl ManualClock {
    pub fn new(start_utc: OffsetDateTime) -> ManualClock {
        ManualClock {
            start_utc,
            elapsed_nanos: AtomicU64::new(0),
        }
    }

    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.elapsed_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        Duration::from_nanos(self.elapsed_nanos.load(Ordering::SeqCst))
    }

    fn utc(&self) -> OffsetDateTime {
        self.start_utc + self.now()
    }
}
