//! `gwtui info`'s cluster lines: the Redis settings, and the running server's Redis counters
//! (read from its `/metrics`).

use std::time::Duration;

use super::{FailureMode, RedisSettings};

/// The settings line; `None` in single-node mode.
pub fn describe(s: &RedisSettings) -> Option<String> {
    let url = s.redis.as_deref()?;
    let mut url = super::without_credentials(url);
    if url.starts_with("rediss://") {
        match &s.redis_ca_cert {
            Some(ca) => url.push_str(&format!(" over TLS, trusting {}", ca.display())),
            None => url.push_str(" over TLS, trusting the system's CAs"),
        }
    }
    Some(format!(
        "{url} (fail-{}, {} ms per call, breaker after {} failures for {} ms, {} ms token leases, {} ms for a relayed @connections call)",
        match s.redis_failure {
            FailureMode::Open => "open",
            FailureMode::Closed => "closed",
        },
        s.redis_timeout_ms,
        s.redis_breaker_failures,
        s.redis_breaker_cooldown_ms,
        s.lease_ms,
        s.websocket_relay_timeout_ms
    ))
}

/// Prints the backend and, when `server` (its base URL) answers, its `gwtui_redis_*` counters.
pub async fn print(s: &RedisSettings, server: Option<&str>) {
    let Some(line) = describe(s) else {
        println!("traffic state: this node only (no [cluster] redis)");
        return;
    };
    println!("traffic state: shared in redis {line}");
    let Some(base) = server else { return };
    let Ok(client) = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
    else {
        return;
    };
    let Ok(text) = async {
        client
            .get(format!("{}/metrics", base.trim_end_matches('/')))
            .send()
            .await?
            .text()
            .await
    }
    .await
    else {
        println!("redis counters: the server did not answer /metrics");
        return;
    };
    for line in text.lines().filter(|l| l.starts_with("gwtui_redis_")) {
        println!("redis counter: {line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_the_settings_without_credentials() {
        assert_eq!(describe(&RedisSettings::default()), None);
        let s = RedisSettings {
            redis: Some("redis://u:pw@127.0.0.1:6379".into()),
            redis_failure: FailureMode::Closed,
            ..RedisSettings::default()
        };
        let line = describe(&s).unwrap();
        assert!(
            line.starts_with("redis://127.0.0.1:6379 (fail-closed, 50 ms"),
            "{line}"
        );
        assert!(!line.contains("pw"));
    }
}
