//! Token buckets (ops.md §2): capacity = burst limit, refilled at the rate limit in tokens per
//! second (fractional rates allowed), one token per request, full when created. Each bucket
//! has its own small lock; nothing on the request path takes a lock shared by all buckets.
//!
//! Buckets are looked up by a stable key (`api/stage/method`, `plan/key`, ...) in a
//! [`BucketRegistry`] only while the route map is rebuilt, so a bucket survives every admin
//! change that leaves its scope in place; only its limits are updated.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Debug)]
struct BucketState {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Duration,
}

impl BucketState {
    fn refill(&mut self, now: Duration) {
        let elapsed = now.saturating_sub(self.last);
        self.last = self.last.max(now);
        self.tokens = (self.tokens + self.rate * elapsed.as_secs_f64()).min(self.burst);
    }
}

#[derive(Debug)]
pub struct TokenBucket {
    state: Mutex<BucketState>,
}

/// The limits of one scope: `rate` tokens per second, `burst` tokens at most.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub rate: f64,
    pub burst: f64,
}

impl Limits {
    pub fn new(rate: f64, burst: i64) -> Limits {
        Limits {
            rate: rate.max(0.0),
            burst: burst.max(0) as f64,
        }
    }
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limits: Limits, now: Duration) -> TokenBucket {
        TokenBucket {
            state: Mutex::new(BucketState {
                rate: limits.rate,
                burst: limits.burst,
                tokens: limits.burst,
                last: now,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BucketState> {
        // The state is two numbers updated together; a panic cannot leave it inconsistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes one token if there is one.
    pub fn try_take(&self, now: Duration) -> bool {
        let mut s = self.lock();
        s.refill(now);
        if s.tokens >= 1.0 {
            s.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Gives back a token taken by a request that a later scope rejected.
    pub fn refund(&self) {
        let mut s = self.lock();
        s.tokens = (s.tokens + 1.0).min(s.burst);
    }

    /// New limits; the tokens already there are kept (capped at the new burst).
    pub fn set_limits(&self, limits: Limits, now: Duration) {
        let mut s = self.lock();
        s.refill(now);
        if s.rate != limits.rate || s.burst != limits.burst {
            s.rate = limits.rate;
            s.burst = limits.burst;
            s.tokens = s.tokens.min(limits.burst);
        }
    }

    /// Tokens available at `now` (the console shows bucket levels).
    pub fn tokens(&self, now: Duration) -> f64 {
        let mut s = self.lock();
        s.refill(now);
        s.tokens
    }

    pub fn limits(&self) -> Limits {
        let s = self.lock();
        Limits {
            rate: s.rate,
            burst: s.burst,
        }
    }
}

/// Takes a token from each bucket in order; on the first empty one, gives back the tokens
/// already taken (a rejected request consumes nothing) and returns false.
pub fn take_all(buckets: &[&TokenBucket], now: Duration) -> bool {
    for (i, bucket) in buckets.iter().enumerate() {
        if !bucket.try_take(now) {
            for taken in &buckets[..i] {
                taken.refund();
            }
            return false;
        }
    }
    true
}

/// Every bucket by its scope key. Only the route-map rebuild (an admin operation) touches it.
#[derive(Debug, Default)]
pub struct BucketRegistry {
    buckets: Mutex<HashMap<String, Arc<TokenBucket>>>,
}

impl BucketRegistry {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Arc<TokenBucket>>> {
        self.buckets.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The bucket of `key` with `limits`, created full if new; `used` records the key for
    /// [`BucketRegistry::retain`].
    pub fn bucket(
        &self,
        key: String,
        limits: Limits,
        now: Duration,
        used: &mut HashSet<String>,
    ) -> Arc<TokenBucket> {
        let mut map = self.lock();
        let bucket = map
            .entry(key.clone())
            .or_insert_with(|| Arc::new(TokenBucket::new(limits, now)))
            .clone();
        bucket.set_limits(limits, now);
        used.insert(key);
        bucket
    }

    /// Drops the buckets of scopes that no longer exist.
    pub fn retain(&self, used: &HashSet<String>) {
        self.lock().retain(|k, _| used.contains(k));
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn starts_full_then_refills_at_the_rate() {
        let b = TokenBucket::new(Limits::new(2.0, 3), Duration::ZERO);
        assert!((0..3).all(|_| b.try_take(Duration::ZERO)));
        assert!(!b.try_take(Duration::ZERO));
        assert!(!b.try_take(secs(0.49)));
        assert!(b.try_take(secs(0.5)));
        assert!(!b.try_take(secs(0.5)));
        // Never more than the burst.
        assert!((b.tokens(secs(100.0)) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn fractional_rate_and_zero_burst() {
        let b = TokenBucket::new(Limits::new(0.1, 1), Duration::ZERO);
        assert!(b.try_take(Duration::ZERO));
        assert!(!b.try_take(secs(9.9)));
        assert!(b.try_take(secs(10.0)));
        let zero = TokenBucket::new(Limits::new(100.0, 0), Duration::ZERO);
        assert!(!zero.try_take(secs(5.0)));
    }

    #[test]
    fn accuracy_at_100_rps_over_10_s() {
        let b = TokenBucket::new(Limits::new(100.0, 10), Duration::ZERO);
        let mut ok = 0;
        // 1000 attempts per second, for 10 s.
        for i in 0..10_000u64 {
            if b.try_take(Duration::from_micros(i * 1000)) {
                ok += 1;
            }
        }
        // burst + rate × ~10 s (the last attempt is at 9.999 s).
        assert!((1008..=1010).contains(&ok), "{ok}");
    }

    #[test]
    fn rejected_requests_consume_nothing_in_earlier_scopes() {
        let first = TokenBucket::new(Limits::new(0.0, 5), Duration::ZERO);
        let second = TokenBucket::new(Limits::new(0.0, 1), Duration::ZERO);
        assert!(take_all(&[&first, &second], Duration::ZERO));
        assert!(!take_all(&[&first, &second], Duration::ZERO));
        assert!((first.tokens(Duration::ZERO) - 4.0).abs() < 1e-9);
    }

    #[test]
    fn registry_keeps_buckets_across_rebuilds() {
        let reg = BucketRegistry::default();
        let mut used = HashSet::new();
        let a = reg.bucket("a".into(), Limits::new(1.0, 2), Duration::ZERO, &mut used);
        assert!(a.try_take(Duration::ZERO));
        let mut used = HashSet::new();
        let again = reg.bucket("a".into(), Limits::new(1.0, 2), Duration::ZERO, &mut used);
        assert!(Arc::ptr_eq(&a, &again));
        assert!((again.tokens(Duration::ZERO) - 1.0).abs() < 1e-9);
        reg.retain(&HashSet::new());
        assert!(reg.is_empty());
    }
}
