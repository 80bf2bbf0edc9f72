//! Token buckets (ops.md §2): capacity = burst limit, refilled at the rate limit in tokens per
//! second (fractional rates allowed), one token per request, full when created. A bucket takes
//! no lock: its level is one atomic word updated by compare-and-swap (see [`TokenBucket`]), so
//! the account bucket every request passes through is not a lock both workers queue on.
//!
//! Buckets are looked up by a stable key (`api/stage/method`, `plan/key`, ...) in a
//! [`BucketRegistry`] only while the route map is rebuilt, so a bucket survives every admin
//! change that leaves its scope in place; only its limits are updated.

pub mod lease;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use redis::Script;

use super::cluster::Cluster;
use lease::{LEASE_SCRIPT, Lease};

/// A token bucket kept as a "theoretical arrival time" (the generic cell rate algorithm, which
/// admits exactly what a token bucket admits): with `T` = 1 s / rate in nanoseconds and `B` the
/// burst, the bucket holds `B − max(0, tat − now) / T` tokens. Taking a token moves `tat` to
/// `max(tat, now) + T` when that leaves at least 0 tokens; giving one back moves it by `−T`.
/// Each is one compare-and-swap on `tat`, so no request waits for another.
///
/// Rate 0 (never refilled) keeps the clock at 0 and `T` at 1: `tat` counts the tokens taken.
///
/// `T` is rounded to the nanosecond: the rate is off by at most rate / 2e9 of itself (exact for
/// every rate that divides 1e9, such as AWS's 10,000). A take that runs while an admin
/// change replaces the limits may be judged by the new limits against the level before the
/// change (one request's accuracy at the moment of the change).
#[derive(Debug)]
pub struct TokenBucket {
    tat: AtomicU64,
    /// `T` in nanoseconds; 0 = rate 0.
    interval: AtomicU64,
    /// `B`, whole tokens.
    burst: AtomicU64,
    /// The limits as given, for [`TokenBucket::limits`].
    rate_bits: AtomicU64,
    burst_bits: AtomicU64,
    /// Serialises limit changes (admin operations only; the request path never takes it).
    change: Mutex<()>,
    /// Cluster mode: the lease on the bucket shared in Redis (`engine::throttle::lease`); the
    /// local level above is then only the fallback of a failed Redis call in open mode.
    lease: Option<Arc<Lease>>,
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

    /// `T` in nanoseconds (at least 1), or 0 for a rate that never refills.
    fn interval(self) -> u64 {
        if self.rate > 0.0 && self.rate.is_finite() {
            // An `as` cast saturates: a rate below 1e-10/s gives u64::MAX, never refilling in
            // practice.
            ((1e9 / self.rate).round() as u64).max(1)
        } else if self.rate > 0.0 {
            1
        } else {
            0
        }
    }

    fn whole_burst(self) -> u64 {
        // Saturating and NaN → 0.
        self.burst.floor() as u64
    }
}

fn nanos(now: Duration) -> u64 {
    u64::try_from(now.as_nanos()).unwrap_or(u64::MAX)
}

/// One bucket's parameters as read by a take.
#[derive(Clone, Copy)]
struct Params {
    interval: u64,
    burst: u64,
}

impl Params {
    /// (the clock, `T`) on the scale `tat` uses.
    fn scale(self, now: Duration) -> (u64, u64) {
        if self.interval == 0 {
            (0, 1)
        } else {
            (nanos(now), self.interval)
        }
    }

    /// The `tat` that leaves one more token than `tat` does, or `None` when none can be taken.
    fn take(self, tat: u64, now: Duration) -> Option<u64> {
        let (now, t) = self.scale(now);
        let base = tat.max(now);
        // At least one token: B − (base − now)/T ≥ 1, i.e. base − now ≤ (B − 1)·T.
        let allowance = u128::from(self.burst.checked_sub(1)?) * u128::from(t);
        (u128::from(base - now) <= allowance).then(|| base.saturating_add(t))
    }

    /// Tokens available at `now` (fractional while refilling).
    fn tokens(self, tat: u64, now: Duration) -> f64 {
        let (now, t) = self.scale(now);
        let owed = tat.saturating_sub(now) as f64 / t as f64;
        (self.burst as f64 - owed).max(0.0)
    }

    /// The `tat` holding `tokens` at `now` (capped at the burst; rate 0 keeps whole tokens).
    fn tat_for(self, tokens: f64, now: Duration) -> u64 {
        let (now, t) = self.scale(now);
        let missing = (self.burst as f64 - tokens.min(self.burst as f64)).max(0.0);
        let owed = if self.interval == 0 {
            missing.ceil()
        } else {
            (missing * t as f64).round()
        };
        now.saturating_add(owed as u64)
    }
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limits: Limits, now: Duration) -> TokenBucket {
        let params = Params {
            interval: limits.interval(),
            burst: limits.whole_burst(),
        };
        TokenBucket {
            tat: AtomicU64::new(params.scale(now).0),
            interval: AtomicU64::new(params.interval),
            burst: AtomicU64::new(params.burst),
            rate_bits: AtomicU64::new(limits.rate.to_bits()),
            burst_bits: AtomicU64::new(limits.burst.to_bits()),
            change: Mutex::new(()),
            lease: None,
        }
    }

    /// A full local bucket with the lease on its shared copy (cluster mode).
    pub fn with_lease(limits: Limits, now: Duration, lease: Arc<Lease>) -> TokenBucket {
        TokenBucket {
            lease: Some(lease),
            ..TokenBucket::new(limits, now)
        }
    }

    /// The lease on the shared bucket, in cluster mode.
    pub fn lease(&self) -> Option<&Arc<Lease>> {
        self.lease.as_ref()
    }

    fn params(&self) -> Params {
        Params {
            interval: self.interval.load(Ordering::Acquire),
            burst: self.burst.load(Ordering::Acquire),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&self, now: Duration) -> bool {
        let params = self.params();
        self.tat
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tat| {
                params.take(tat, now)
            })
            .is_ok()
    }

    /// Gives back a token taken by a request that a later scope rejected.
    pub fn refund(&self) {
        let t = self.params().interval.max(1);
        // Below `now` the bucket is full whatever `tat` says, so the cap at the burst holds.
        let _ = self
            .tat
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tat| {
                Some(tat.saturating_sub(t))
            });
    }

    /// New limits; the tokens already there are kept (capped at the new burst).
    pub fn set_limits(&self, limits: Limits, now: Duration) {
        let _change = self.change.lock().unwrap_or_else(|p| p.into_inner());
        if self.limits() == limits {
            return;
        }
        let old = self.params();
        let new = Params {
            interval: limits.interval(),
            burst: limits.whole_burst(),
        };
        self.rate_bits
            .store(limits.rate.to_bits(), Ordering::Release);
        self.burst_bits
            .store(limits.burst.to_bits(), Ordering::Release);
        self.interval.store(new.interval, Ordering::Release);
        self.burst.store(new.burst, Ordering::Release);
        let _ = self
            .tat
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |tat| {
                Some(new.tat_for(old.tokens(tat, now), now))
            });
    }

    /// Tokens available at `now` (tests check bucket levels with it). In cluster mode: the
    /// tokens this node holds on lease (the shared level is Redis's).
    #[cfg(test)]
    pub fn tokens(&self, now: Duration) -> f64 {
        if let Some(lease) = &self.lease {
            return lease.held().max(0) as f64;
        }
        self.params().tokens(self.tat.load(Ordering::Acquire), now)
    }

    pub fn limits(&self) -> Limits {
        Limits {
            rate: f64::from_bits(self.rate_bits.load(Ordering::Acquire)),
            burst: f64::from_bits(self.burst_bits.load(Ordering::Acquire)),
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
    /// Cluster mode: every bucket gets a lease on its shared copy under its scope key.
    shared: Option<(Arc<Cluster>, Arc<Script>)>,
}

impl BucketRegistry {
    /// A registry whose buckets are shared through `cluster` (none: node-local buckets).
    pub fn new(cluster: Option<Arc<Cluster>>) -> BucketRegistry {
        BucketRegistry {
            buckets: Mutex::default(),
            shared: cluster.map(|c| (c, Arc::new(Script::new(LEASE_SCRIPT)))),
        }
    }

    /// A bucket outside the registry (the account's), shared like the registry's.
    pub fn standalone(&self, key: &str, limits: Limits, now: Duration) -> TokenBucket {
        match &self.shared {
            Some((cluster, script)) => TokenBucket::with_lease(
                limits,
                now,
                Arc::new(Lease::new(cluster.clone(), key, script.clone())),
            ),
            None => TokenBucket::new(limits, now),
        }
    }

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
            .or_insert_with(|| match &self.shared {
                Some((cluster, script)) => Arc::new(TokenBucket::with_lease(
                    limits,
                    now,
                    Arc::new(Lease::new(cluster.clone(), &key, script.clone())),
                )),
                None => Arc::new(TokenBucket::new(limits, now)),
            })
            .clone();
        bucket.set_limits(limits, now);
        used.insert(key);
        bucket
    }

    /// Drops the buckets of scopes that no longer exist.
    pub fn retain(&self, used: &HashSet<String>) {
        self.lock().retain(|k, _| used.contains(k));
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.lock().len()
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
        assert_eq!(reg.len(), 0);
    }

    #[test]
    fn concurrent_takes_admit_exactly_the_burst() {
        // A frozen clock: nothing refills, so exactly `burst` of the 8 × 2,000 attempts win.
        let b = Arc::new(TokenBucket::new(Limits::new(1.0, 5_000), secs(1.0)));
        let won: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let b = &b;
                    s.spawn(move || (0..2_000).filter(|_| b.try_take(secs(1.0))).count())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        assert_eq!(won, 5_000);
        assert!(b.tokens(secs(1.0)).abs() < 1e-9);
    }

    #[test]
    fn accuracy_at_the_account_default() {
        // 10,000 rps with a burst of 5,000, offered 20,000 rps for 3 s: burst + rate × 3 s.
        let b = TokenBucket::new(Limits::new(10_000.0, 5_000), Duration::ZERO);
        let ok = (0..60_000u64)
            .filter(|i| b.try_take(Duration::from_micros(i * 50)))
            .count();
        assert!((34_999..=35_001).contains(&ok), "{ok}");
    }

    #[test]
    fn rate_zero_gives_the_burst_once_and_refunds_return() {
        let b = TokenBucket::new(Limits::new(0.0, 2), Duration::ZERO);
        assert!(b.try_take(secs(1.0)));
        b.refund();
        assert!(b.try_take(secs(2.0)));
        assert!(b.try_take(secs(3.0)));
        assert!(!b.try_take(secs(1_000_000.0)));
        b.refund();
        b.refund();
        b.refund();
        // Never above the burst.
        assert!((b.tokens(secs(5.0)) - 2.0).abs() < 1e-9);
    }

    #[test]
    fn refund_never_lifts_a_full_bucket_over_the_burst() {
        let b = TokenBucket::new(Limits::new(10.0, 2), secs(10.0));
        b.refund();
        b.refund();
        assert!(b.try_take(secs(10.0)));
        assert!(b.try_take(secs(10.0)));
        assert!(!b.try_take(secs(10.0)));
    }

    #[test]
    fn new_limits_keep_the_tokens_across_rate_zero_and_back() {
        let b = TokenBucket::new(Limits::new(10.0, 10), Duration::ZERO);
        for _ in 0..4 {
            assert!(b.try_take(Duration::ZERO));
        }
        // 6 left; a smaller burst caps them.
        b.set_limits(Limits::new(10.0, 5), Duration::ZERO);
        assert!((b.tokens(Duration::ZERO) - 5.0).abs() < 1e-6);
        assert_eq!(b.limits(), Limits::new(10.0, 5));
        // Half a second refills 5 (capped at 5); rate 0 keeps whole tokens.
        assert!(b.try_take(secs(0.45)));
        b.set_limits(Limits::new(0.0, 8), secs(0.45));
        assert!((b.tokens(secs(100.0)) - 4.0).abs() < 1e-6);
        // Back to a rate: refills from the 4 that were there.
        b.set_limits(Limits::new(1.0, 8), secs(100.0));
        assert!((b.tokens(secs(102.0)) - 6.0).abs() < 1e-6);
    }
}
