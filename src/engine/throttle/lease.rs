//! Shared token buckets with local leases (the approach of Tyk's distributed limiter: no
//! Redis round trip per request).
//!
//! The bucket itself lives in Redis as a GCRA "theoretical arrival time" (the same algorithm
//! as the node-local [`crate::engine::throttle::TokenBucket`], on Redis's own clock `TIME`, so
//! the nodes' clocks do not matter). [`LEASE_SCRIPT`] takes up to `n` tokens in one atomic step
//! and answers how many it granted, or, when the bucket is empty, how long until the next
//! token. A node serves requests from the tokens it holds (one atomic decrement, no lock, no
//! I/O), and when its lease falls to half a batch it takes the next batch in the background.
//! A request that finds the lease empty awaits one refill (bounded by the call timeout); when
//! Redis says the bucket is empty, requests are refused locally until the next token is due,
//! so an overloaded stage costs no Redis call per rejected request either.
//!
//! The batch is what the bucket's rate refills in `[cluster] lease_ms` (10 ms by default),
//! at least 1 and at most the burst: 1 token at 100 rps, 100 at 10,000 rps.
//!
//! Accuracy: every admitted request spent a token Redis granted, so the cluster never admits
//! more than the shared bucket (burst + rate × t) over any run; the tokens a node leased but
//! has not used yet are the only difference, so it may admit less: at most what the nodes hold
//! at the end, ≤ nodes × (1.5 × batch) (a node holds at most half a batch when it prefetches,
//! plus the batch). Leased tokens are spent later than Redis granted them, which shifts
//! admission by up to one lease window (`lease_ms`) in time, never adds any.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use redis::Script;

use super::{Limits, TokenBucket};
use crate::engine::cluster::{Cluster, ClusterError};

/// KEYS[1] = the bucket; ARGV = T in microseconds (0 = rate 0: the value counts the tokens
/// taken), burst, tokens wanted. Returns {granted, µs until the next token (0 when granted,
/// -1 never)}. The key expires once the bucket would be full again (absent = full).
pub const LEASE_SCRIPT: &str = r#"
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local want = tonumber(ARGV[3])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
if interval <= 0 then
  local n = math.min(want, burst - stored)
  if n <= 0 then return {0, -1} end
  redis.call('SET', KEYS[1], string.format('%d', stored + n))
  return {n, 0}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = stored
if tat < now then tat = now end
local avail = math.floor(burst - (tat - now) / interval + 1e-6)
local n = math.min(want, avail)
if n <= 0 then
  local wait = (tat - now) - (burst - 1) * interval
  if wait < 1 then wait = 1 end
  return {0, math.ceil(wait)}
end
tat = tat + n * interval
redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000) + 1000)
return {n, 0}
"#;

/// The lease a node holds on one shared bucket.
pub struct Lease {
    cluster: Arc<Cluster>,
    key: String,
    script: Arc<Script>,
    /// Tokens this node may still admit.
    tokens: AtomicI64,
    /// A background refill is in flight.
    prefetching: AtomicBool,
    /// Until when (ns since `epoch`) Redis said the bucket is empty; 0 = not known empty.
    empty_until: AtomicU64,
    epoch: Instant,
    /// Serialises refills of this lease on this node (a request that finds the lease empty
    /// waits for the refill in flight instead of making its own).
    refill: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Lease {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lease")
            .field("key", &self.key)
            .field("tokens", &self.tokens.load(Ordering::Relaxed))
            .finish()
    }
}

/// Tokens per refill for `limits` and a lease window.
pub fn batch(limits: Limits, window: Duration) -> i64 {
    let burst = limits.burst.floor().max(0.0);
    let per_window = (limits.rate.max(0.0) * window.as_secs_f64()).ceil();
    per_window.min(burst).clamp(1.0, 1_000_000.0) as i64
}

/// GCRA's T in microseconds (0 for a rate that never refills).
fn interval_micros(limits: Limits) -> f64 {
    if limits.rate > 0.0 && limits.rate.is_finite() {
        1e6 / limits.rate
    } else if limits.rate > 0.0 {
        1e-3
    } else {
        0.0
    }
}

impl Lease {
    /// The lease of the bucket `scope` (the registry's key: `stage/…`, `plan-key/…`, `account`).
    pub fn new(cluster: Arc<Cluster>, scope: &str, script: Arc<Script>) -> Lease {
        Lease {
            key: cluster.key(&format!("tb:{scope}")),
            cluster,
            script,
            tokens: AtomicI64::new(0),
            prefetching: AtomicBool::new(false),
            empty_until: AtomicU64::new(0),
            epoch: Instant::now(),
            refill: tokio::sync::Mutex::new(()),
        }
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn window(&self) -> Duration {
        Duration::from_millis(self.cluster.settings.lease_ms)
    }

    /// Takes a leased token (no I/O); starts a background refill when the lease runs low.
    pub fn take_local(self: &Arc<Self>, limits: Limits) -> bool {
        let taken = self
            .tokens
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                (t > 0).then_some(t - 1)
            });
        match taken {
            Ok(before) => {
                let b = batch(limits, self.window());
                if b > 1 && before - 1 <= b / 2 {
                    self.prefetch(limits);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// Gives back a token a later scope's rejection did not use.
    pub fn refund(&self) {
        self.tokens.fetch_add(1, Ordering::AcqRel);
    }

    /// Tokens held on lease (what [`super::TokenBucket::tokens`] reports in cluster mode).
    #[cfg(test)]
    pub fn held(&self) -> i64 {
        self.tokens.load(Ordering::Acquire)
    }

    fn known_empty(&self) -> bool {
        self.now_ns() < self.empty_until.load(Ordering::Acquire)
    }

    fn prefetch(self: &Arc<Self>, limits: Limits) {
        if self.known_empty()
            || self
                .prefetching
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.prefetching.store(false, Ordering::Release);
            return;
        };
        let lease = self.clone();
        runtime.spawn(async move {
            if let Ok(_guard) = lease.refill.try_lock() {
                let _ = lease.fetch(limits).await;
            }
            lease.prefetching.store(false, Ordering::Release);
        });
    }

    /// Takes a batch from Redis into the lease; the tokens granted.
    async fn fetch(&self, limits: Limits) -> Result<i64, ClusterError> {
        let want = batch(limits, self.window());
        let interval = interval_micros(limits);
        let burst = limits.burst.floor().max(0.0) as i64;
        let key = self.key.as_str();
        let script = &self.script;
        let (granted, wait): (i64, i64) = self
            .cluster
            .run(|mut m| async move {
                script
                    .key(key)
                    .arg(interval)
                    .arg(burst)
                    .arg(want)
                    .invoke_async(&mut m)
                    .await
            })
            .await?;
        self.cluster
            .stats
            .lease_refills
            .fetch_add(1, Ordering::Relaxed);
        if granted > 0 {
            self.tokens.fetch_add(granted, Ordering::AcqRel);
        } else {
            // Rate 0 (-1): empty for good, until the limits change (a later refill asks again
            // after a second).
            let wait = if wait < 0 { 1_000_000 } else { wait };
            let until = self
                .now_ns()
                .saturating_add(u64::try_from(wait).unwrap_or(0).saturating_mul(1000));
            self.empty_until.store(until, Ordering::Release);
        }
        Ok(granted)
    }

    /// A token for a request that found the lease empty: waits for the refill in flight or
    /// makes one. `Ok(false)`: the shared bucket is empty.
    pub async fn acquire(self: &Arc<Self>, limits: Limits) -> Result<bool, ClusterError> {
        if self.known_empty() {
            return Ok(false);
        }
        let _guard = self.refill.lock().await;
        if self.take_local(limits) {
            return Ok(true);
        }
        if self.known_empty() {
            return Ok(false);
        }
        self.fetch(limits).await?;
        Ok(self.take_local(limits))
    }
}

/// Cluster mode's [`crate::engine::throttle::take_all`]: a token from each bucket in order,
/// from its lease (awaiting a refill when the lease is empty); the first refusal gives back
/// what was taken. A failed Redis call is decided by the failure mode: open takes the token
/// from the node's own bucket instead (counted), closed refuses (counted). On success, which
/// tokens came from leases (for [`refund_all`]).
pub async fn take_all_shared(
    cluster: &Cluster,
    buckets: &[&TokenBucket],
    now: Duration,
) -> Option<u64> {
    // Bit i set: bucket i's token came from its lease (else from its local level).
    let mut leased: u64 = 0;
    let buckets = &buckets[..buckets.len().min(64)];
    for (i, bucket) in buckets.iter().enumerate() {
        let ok = match bucket.lease() {
            None => bucket.try_take(now),
            Some(lease) => {
                let limits = bucket.limits();
                if lease.take_local(limits) {
                    leased |= 1 << i;
                    true
                } else {
                    match lease.acquire(limits).await {
                        Ok(true) => {
                            leased |= 1 << i;
                            true
                        }
                        Ok(false) => false,
                        Err(_) => cluster.fail_open() && bucket.try_take(now),
                    }
                }
            }
        };
        if !ok {
            refund_all(&buckets[..i], leased);
            return None;
        }
    }
    Some(leased)
}

/// Gives back the tokens [`take_all_shared`] took (`leased` as it returned).
pub fn refund_all(buckets: &[&TokenBucket], leased: u64) {
    for (j, taken) in buckets.iter().take(64).enumerate() {
        match taken.lease() {
            Some(lease) if leased & (1 << j) != 0 => lease.refund(),
            _ => taken.refund(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_cover_the_lease_window_within_the_burst() {
        let w = Duration::from_millis(10);
        assert_eq!(batch(Limits::new(100.0, 10), w), 1);
        assert_eq!(batch(Limits::new(10_000.0, 5_000), w), 100);
        assert_eq!(batch(Limits::new(1_000_000.0, 50), w), 50);
        assert_eq!(batch(Limits::new(0.0, 5), w), 1);
        // Burst 0 still asks for one (Redis refuses it).
        assert_eq!(batch(Limits::new(10.0, 0), w), 1);
        assert_eq!(batch(Limits::new(250.0, 100), Duration::from_millis(20)), 5);
    }

    fn lease() -> Arc<Lease> {
        let c = Cluster::new(crate::engine::cluster::RedisSettings {
            redis: Some("redis://127.0.0.1:1".into()),
            ..Default::default()
        })
        .unwrap()
        .unwrap();
        Arc::new(Lease::new(
            c,
            "stage/a/b/*/*",
            Arc::new(Script::new(LEASE_SCRIPT)),
        ))
    }

    #[test]
    fn the_lease_accounts_every_token() {
        let l = lease();
        assert_eq!(l.key, "gwtui:tb:stage/a/b/*/*");
        let limits = Limits::new(100.0, 10);
        assert!(!l.take_local(limits));
        l.tokens.store(3, Ordering::Release);
        // Outside a runtime a low lease starts no refill; the three tokens are served.
        assert!((0..3).all(|_| l.take_local(limits)));
        assert!(!l.take_local(limits));
        l.refund();
        assert_eq!(l.held(), 1);
        assert!(l.take_local(limits));
        assert_eq!(l.held(), 0);
    }

    #[tokio::test]
    async fn known_empty_refuses_without_a_call() {
        let l = lease();
        l.empty_until
            .store(l.now_ns() + 60_000_000_000, Ordering::Release);
        assert!(!l.acquire(Limits::new(1.0, 1)).await.unwrap());
        assert_eq!(l.cluster.counts().calls, 0);
    }

    #[tokio::test]
    async fn a_failed_refill_is_an_error_not_a_token() {
        let l = lease();
        assert!(l.acquire(Limits::new(1.0, 1)).await.is_err());
        assert_eq!(l.held(), 0);
    }
}
