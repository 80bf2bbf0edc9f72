//! Quotas across nodes: one counter per (usage plan, API key, period) in Redis, checked and
//! incremented by one atomic script ([`QUOTA_SCRIPT`]), so a quota of N admits exactly N
//! whichever nodes the requests reach. One round trip, only for requests that carry a key
//! under a quota. The count a node admits is also counted by its own
//! [`QuotaCounter`], whose pending counts the usage flusher stores as in single-node mode
//! (GetUsage and durability are unchanged); a counter missing from Redis (a restarted
//! Redis) is seeded with the node's count for the period.

use std::sync::OnceLock;

use redis::Script;
use time::OffsetDateTime;

use super::Cluster;
use crate::engine::quota::{QuotaCounter, day_string};
use crate::model::QuotaPeriod;

/// KEYS[1] = the counter; ARGV = limit, seed, TTL in seconds. Returns the new count, or -1
/// when the quota is used up (nothing counted).
pub const QUOTA_SCRIPT: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
local n = tonumber(redis.call('GET', KEYS[1]))
if n >= tonumber(ARGV[1]) then return -1 end
return redis.call('INCR', KEYS[1])
"#;

fn script() -> &'static Script {
    static S: OnceLock<Script> = OnceLock::new();
    S.get_or_init(|| Script::new(QUOTA_SCRIPT))
}

/// Seconds a period's counter is kept: the period and a day.
fn ttl_secs(period: QuotaPeriod) -> u64 {
    let days = match period {
        QuotaPeriod::Day => 2,
        QuotaPeriod::Week => 8,
        QuotaPeriod::Month => 32,
    };
    days * 86_400
}

/// Counts one request against the key's quota across the cluster: false when it is used up
/// (or, in closed mode, when Redis cannot be asked). Without a quota, counts locally.
pub async fn acquire(cluster: &Cluster, counter: &QuotaCounter, now: OffsetDateTime) -> bool {
    let Some((start, period, limit, used)) = counter.quota_state(now) else {
        return counter.try_acquire(now);
    };
    let key = cluster.key(&format!(
        "quota:{}/{}/{}",
        counter.usage_plan_id,
        counter.key_id,
        day_string(start)
    ));
    let key = key.as_str();
    let reply: Result<i64, _> = cluster
        .run(|mut m| async move {
            script()
                .key(key)
                .arg(limit)
                .arg(used)
                .arg(ttl_secs(period))
                .invoke_async(&mut m)
                .await
        })
        .await;
    match reply {
        Ok(n) if n > 0 => {
            counter.record(now);
            true
        }
        Ok(_) => false,
        Err(_) => cluster.fail_open() && counter.try_acquire(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_outlive_their_period() {
        assert!(ttl_secs(QuotaPeriod::Day) > 86_400);
        assert!(ttl_secs(QuotaPeriod::Week) > 7 * 86_400);
        assert!(ttl_secs(QuotaPeriod::Month) > 31 * 86_400);
    }
}
