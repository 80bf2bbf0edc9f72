//! Cluster mode, the Redis half (`[cluster] redis = "redis://…"`): the traffic state several
//! `gwtui serve` nodes share: token buckets ([`lease`]), quota counters ([`quota`]), response
//! cache entries ([`cache`]) and Lambda authorizer results ([`authorizer`]).
//!
//! Every call goes through [`Cluster::run`]: bounded by `[cluster] redis_timeout_ms` and a
//! circuit breaker ([`breaker`]), so a Redis that is down or slow never holds a request longer
//! than one timeout, and none at all while the breaker is open. What a failed call means is
//! `[cluster] redis_failure`: `open` (the default) serves (throttles fall back to the node's own
//! bucket, quotas to the node's own counter, caches miss) and counts; `closed` answers 429 for
//! throttles and quotas (caches still simply miss). Without `[cluster] redis` nothing here
//! exists and the request path is the single-node one.

pub mod breaker;
pub mod info;
pub mod quota;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::Deserialize;

use breaker::{Admit, Breaker};

/// `[cluster] redis_failure`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailureMode {
    /// Serve, log and count (throttles and quotas fall back to the node's own state).
    #[default]
    Open,
    /// Refuse what cannot be checked: 429 for throttles and quotas.
    Closed,
}

/// The `[cluster]` section's Redis settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedisSettings {
    /// This node's id in `cluster_nodes`, change notices and the `node` metrics label;
    /// generated at each start when unset.
    pub node_id: Option<String>,
    /// `redis://host:port[/db]`, or `rediss://` for TLS (the server's certificate is
    /// verified, chain and host name); none = single-node mode.
    pub redis: Option<String>,
    /// PEM file of the CA(s) to trust for a `rediss://` server, instead of the system's
    /// (as `gwtui attach --ca-cert` does for an HTTPS server).
    pub redis_ca_cert: Option<std::path::PathBuf>,
    pub redis_failure: FailureMode,
    /// Per call (default 50 ms).
    pub redis_timeout_ms: u64,
    /// Consecutive failures that open the breaker (default 5).
    pub redis_breaker_failures: u32,
    /// How long an open breaker refuses calls before one probe (default 1000 ms).
    pub redis_breaker_cooldown_ms: u64,
    /// A token lease covers this long at the bucket's rate (default 10 ms; see [`lease`]).
    pub lease_ms: u64,
    /// Prefix of every key (default `gwtui:`), so clusters can share one Redis.
    pub redis_prefix: String,
    /// How long an `@connections` call waits for the node holding the connection to answer
    /// (default 1000 ms; see `websocket/relay.rs`).
    pub websocket_relay_timeout_ms: u64,
}

impl Default for RedisSettings {
    fn default() -> Self {
        RedisSettings {
            node_id: None,
            redis: None,
            redis_ca_cert: None,
            redis_failure: FailureMode::Open,
            redis_timeout_ms: 50,
            redis_breaker_failures: 5,
            redis_breaker_cooldown_ms: 1000,
            lease_ms: 10,
            redis_prefix: "gwtui:".into(),
            websocket_relay_timeout_ms: 1000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("invalid [cluster] redis URL: {0}")]
    Url(String),
    #[error("invalid [cluster] setting: {0}")]
    Setting(&'static str),
    #[error("[cluster] redis_ca_cert {path}: {reason}")]
    CaCert { path: String, reason: String },
    #[error("redis call timed out")]
    Timeout,
    #[error("redis unavailable (circuit breaker open)")]
    BreakerOpen,
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("redis returned an unexpected reply")]
    Reply,
}

impl ClusterError {
    /// Whether connecting failed because the server's TLS certificate is not trusted.
    pub fn is_untrusted_certificate(&self) -> bool {
        let text = match self {
            ClusterError::Redis(e) => format!("{e} {e:?}"),
            _ => return false,
        };
        text.contains("invalid peer certificate")
            || text.contains("UnknownIssuer")
            || text.contains("NotValidForName")
            || text.contains("BadSignature")
    }
}

/// Counters of the Redis side (`/metrics`, `gwtui info`).
#[derive(Debug, Default)]
pub struct ClusterStats {
    pub calls: AtomicU64,
    pub failures: AtomicU64,
    /// Calls not made because the breaker was open.
    pub refused: AtomicU64,
    /// Requests served without the shared check (open mode).
    pub fail_open: AtomicU64,
    /// Requests refused because the shared check failed (closed mode).
    pub fail_closed: AtomicU64,
    /// Token leases taken from Redis.
    pub lease_refills: AtomicU64,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    /// `@connections` calls sent to the node holding the connection.
    pub ws_relayed: AtomicU64,
    /// Relayed `@connections` calls that failed (Redis unreachable, no answer in time).
    pub ws_relay_failures: AtomicU64,
    /// `@connections` calls from other nodes served here.
    pub ws_relay_served: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClusterCounts {
    pub calls: u64,
    pub failures: u64,
    pub refused: u64,
    pub fail_open: u64,
    pub fail_closed: u64,
    pub lease_refills: u64,
    pub cache_hits: u64,
    pub cache_misses: u64,
    pub ws_relayed: u64,
    pub ws_relay_failures: u64,
    pub ws_relay_served: u64,
    pub breaker_opened: u64,
    pub breaker_open: bool,
}

/// The shared-state client of one node.
pub struct Cluster {
    pub settings: RedisSettings,
    /// The URL without credentials (what `gwtui info` shows).
    pub display_url: String,
    client: redis::Client,
    /// Made on first use, inside the runtime; it reconnects by itself.
    manager: OnceLock<ConnectionManager>,
    breaker: Breaker,
    timeout: Duration,
    /// The breaker's monotonic clock.
    epoch: Instant,
    pub stats: ClusterStats,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("redis", &self.display_url)
            .field("failure", &self.settings.redis_failure)
            .finish()
    }
}

/// The PEM of `[cluster] redis_ca_cert`, checked to hold at least one certificate.
fn read_ca(path: &std::path::Path) -> Result<Vec<u8>, ClusterError> {
    let bad = |reason: String| ClusterError::CaCert {
        path: path.display().to_string(),
        reason,
    };
    let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
    let text = std::str::from_utf8(&pem).map_err(|_| bad("not a PEM file".into()))?;
    match crate::tls::pem::certificates(text) {
        Ok(certs) if !certs.is_empty() => Ok(pem),
        Ok(_) => Err(bad("no certificate in the file".into())),
        Err(e) => Err(bad(e.to_string())),
    }
}

/// `redis://user:pass@host` → `redis://host`.
fn without_credentials(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, _)), Some(at)) => format!("{scheme}://{}", &url[at + 1..]),
        _ => url.to_string(),
    }
}

impl Cluster {
    /// `None` without `[cluster] redis`. Connects lazily (see [`Cluster::connect`]).
    pub fn new(settings: RedisSettings) -> Result<Option<Arc<Cluster>>, ClusterError> {
        let Some(url) = settings.redis.clone() else {
            return Ok(None);
        };
        let tls = url.starts_with("rediss://");
        if !tls && !url.starts_with("redis://") {
            return Err(ClusterError::Url(format!(
                "{}: use redis:// or rediss:// (TLS)",
                without_credentials(&url)
            )));
        }
        if url.contains('#') {
            // `#insecure` would turn certificate verification off: not offered.
            return Err(ClusterError::Url(format!(
                "{}: URL fragments (#insecure) are not supported; give the server's CA with redis_ca_cert",
                without_credentials(&url)
            )));
        }
        let root_cert = match &settings.redis_ca_cert {
            None => None,
            Some(_) if !tls => {
                return Err(ClusterError::Url(format!(
                    "{}: redis_ca_cert is for rediss:// (TLS) URLs",
                    without_credentials(&url)
                )));
            }
            Some(path) => Some(read_ca(path)?),
        };
        if settings.redis_timeout_ms == 0 || settings.redis_timeout_ms > 60_000 {
            return Err(ClusterError::Setting(
                "redis_timeout_ms must be between 1 and 60000",
            ));
        }
        if settings.lease_ms == 0 || settings.lease_ms > 10_000 {
            return Err(ClusterError::Setting(
                "lease_ms must be between 1 and 10000",
            ));
        }
        if settings.websocket_relay_timeout_ms == 0 || settings.websocket_relay_timeout_ms > 60_000
        {
            return Err(ClusterError::Setting(
                "websocket_relay_timeout_ms must be between 1 and 60000",
            ));
        }
        if settings.redis_prefix.len() > 64 {
            return Err(ClusterError::Setting("redis_prefix is at most 64 bytes"));
        }
        let bad =
            |e: redis::RedisError| ClusterError::Url(format!("{}: {e}", without_credentials(&url)));
        let client = match root_cert {
            None => redis::Client::open(url.as_str()).map_err(bad)?,
            Some(pem) => redis::Client::build_with_tls(
                url.as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem),
                },
            )
            .map_err(bad)?,
        };
        Ok(Some(Arc::new(Cluster {
            display_url: without_credentials(&url),
            client,
            manager: OnceLock::new(),
            breaker: Breaker::new(
                settings.redis_breaker_failures,
                Duration::from_millis(settings.redis_breaker_cooldown_ms),
            ),
            timeout: Duration::from_millis(settings.redis_timeout_ms),
            epoch: Instant::now(),
            stats: ClusterStats::default(),
            settings,
        })))
    }

    pub fn failure_mode(&self) -> FailureMode {
        self.settings.redis_failure
    }

    /// `prefix` + `rest`.
    pub fn key(&self, rest: &str) -> String {
        let mut k = String::with_capacity(self.settings.redis_prefix.len() + rest.len());
        k.push_str(&self.settings.redis_prefix);
        k.push_str(rest);
        k
    }

    fn manager(&self) -> Result<ConnectionManager, ClusterError> {
        if let Some(m) = self.manager.get() {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.timeout.max(Duration::from_millis(200))))
            .set_response_timeout(Some(self.timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(100));
        let m = ConnectionManager::new_lazy_with_config(self.client.clone(), config)?;
        Ok(self.manager.get_or_init(|| m).clone())
    }

    /// Connects and pings (at start, so the first requests find the connection made).
    pub async fn connect(&self) -> Result<(), ClusterError> {
        let mut m = self.manager()?;
        let pong: String = tokio::time::timeout(
            Duration::from_secs(2),
            redis::cmd("PING").query_async(&mut m),
        )
        .await
        .map_err(|_| ClusterError::Timeout)??;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(ClusterError::Reply)
        }
    }

    /// A subscriber connection of its own (pub/sub takes a connection over), connected and
    /// subscribed to `channel` within `within`.
    pub async fn subscribe(
        &self,
        channel: &str,
        within: Duration,
    ) -> Result<redis::aio::PubSub, ClusterError> {
        tokio::time::timeout(within, async {
            let mut pubsub = self.client.get_async_pubsub().await?;
            pubsub.subscribe(channel).await?;
            Ok::<_, redis::RedisError>(pubsub)
        })
        .await
        .map_err(|_| ClusterError::Timeout)?
        .map_err(ClusterError::Redis)
    }

    /// One Redis call, bounded by the timeout and the breaker.
    pub async fn run<T, F, Fut>(&self, call: F) -> Result<T, ClusterError>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if self.breaker.allow(self.epoch.elapsed()) == Admit::Refuse {
            self.stats.refused.fetch_add(1, Ordering::Relaxed);
            return Err(ClusterError::BreakerOpen);
        }
        self.stats.calls.fetch_add(1, Ordering::Relaxed);
        let result = match self.manager() {
            Ok(m) => match tokio::time::timeout(self.timeout, call(m)).await {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(ClusterError::Redis(e)),
                Err(_) => Err(ClusterError::Timeout),
            },
            Err(e) => Err(e),
        };
        match &result {
            Ok(_) => self.breaker.success(),
            Err(e) => {
                self.stats.failures.fetch_add(1, Ordering::Relaxed);
                if self.breaker.failure(self.epoch.elapsed()) {
                    eprintln!(
                        "gwtui: redis {} failing ({e}); circuit breaker open for {} ms, {} mode",
                        self.display_url,
                        self.settings.redis_breaker_cooldown_ms,
                        match self.settings.redis_failure {
                            FailureMode::Open => "fail-open",
                            FailureMode::Closed => "fail-closed",
                        }
                    );
                }
            }
        }
        result
    }

    /// A failed shared check decided by the failure mode: true = serve (counted either way).
    pub fn fail_open(&self) -> bool {
        match self.settings.redis_failure {
            FailureMode::Open => {
                self.stats.fail_open.fetch_add(1, Ordering::Relaxed);
                true
            }
            FailureMode::Closed => {
                self.stats.fail_closed.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    pub fn counts(&self) -> ClusterCounts {
        let s = &self.stats;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ClusterCounts {
            calls: l(&s.calls),
            failures: l(&s.failures),
            refused: l(&s.refused),
            fail_open: l(&s.fail_open),
            fail_closed: l(&s.fail_closed),
            lease_refills: l(&s.lease_refills),
            cache_hits: l(&s.cache_hits),
            cache_misses: l(&s.cache_misses),
            ws_relayed: l(&s.ws_relayed),
            ws_relay_failures: l(&s.ws_relay_failures),
            ws_relay_served: l(&s.ws_relay_served),
            breaker_opened: self.breaker.opened(),
            breaker_open: self.breaker.is_open(),
        }
    }
}

impl crate::engine::Gateway {
    /// The Redis side of cluster mode, when `[cluster] redis` is set.
    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.inner.traffic.cluster.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_and_urls() {
        assert!(Cluster::new(RedisSettings::default()).unwrap().is_none());
        let url = |u: &str| RedisSettings {
            redis: Some(u.into()),
            ..RedisSettings::default()
        };
        assert!(matches!(
            Cluster::new(url("http://x")),
            Err(ClusterError::Url(_))
        ));
        // TLS is accepted; turning its verification off is not.
        assert!(matches!(
            Cluster::new(url("rediss://127.0.0.1:1")),
            Ok(Some(_))
        ));
        assert!(matches!(
            Cluster::new(url("rediss://127.0.0.1:1/#insecure")),
            Err(ClusterError::Url(_))
        ));
        // A CA is for rediss:// only, and must be a readable PEM.
        let with_ca = |u: &str| RedisSettings {
            redis_ca_cert: Some("/nonexistent/ca.pem".into()),
            ..url(u)
        };
        assert!(matches!(
            Cluster::new(with_ca("redis://127.0.0.1:1")),
            Err(ClusterError::Url(m)) if m.contains("rediss://")
        ));
        assert!(matches!(
            Cluster::new(with_ca("rediss://127.0.0.1:1")),
            Err(ClusterError::CaCert { .. })
        ));
        let zero = RedisSettings {
            redis: Some("redis://127.0.0.1:1".into()),
            redis_timeout_ms: 0,
            ..RedisSettings::default()
        };
        assert!(matches!(Cluster::new(zero), Err(ClusterError::Setting(_))));
        assert_eq!(
            without_credentials("redis://u:secret@h:1/0"),
            "redis://h:1/0"
        );
    }

    #[tokio::test]
    async fn an_unreachable_redis_fails_fast_then_the_breaker_refuses() {
        // Port 1 on loopback: connection refused at once.
        let c = Cluster::new(RedisSettings {
            redis: Some("redis://127.0.0.1:1".into()),
            redis_breaker_failures: 2,
            ..RedisSettings::default()
        })
        .unwrap()
        .unwrap();
        let started = Instant::now();
        for _ in 0..10 {
            let r: Result<String, _> = c
                .run(|mut m| async move { redis::cmd("PING").query_async(&mut m).await })
                .await;
            assert!(r.is_err());
        }
        // Two bounded attempts, then refusals without a call.
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        let n = c.counts();
        assert_eq!(n.failures, 2);
        assert_eq!(n.refused, 8);
        assert!(n.breaker_open);
    }
}
