use super::store::Metrics;
use super::*;
use crate::engine::live::Variant;
use std::time::Duration;

fn obs<'a>(
    stage: &'a str,
    variant: Variant,
    path: &'a str,
    status: u16,
    ms: u64,
) -> Observation<'a> {
    Observation {
        api_id: "api",
        stage,
        variant,
        resource_path: path,
        http_method: "GET",
        status,
        latency: Duration::from_millis(ms),
        integration_latency: (ms > 1).then(|| Duration::from_millis(ms - 1)),
        cache_hit: None,
        data_processed: 0,
    }
}

#[test]
fn harvest_files_seconds_aggregates_and_minutes() {
    let base = 1_700_000_000 - 1_700_000_000 % 60; // a minute boundary
    let m = Metrics::starting_after(base - 1);
    for i in 0..100 {
        m.record(&obs(
            "prod",
            Variant::Base,
            "/a",
            if i % 10 == 0 { 500 } else { 200 },
            i + 1,
        ));
    }
    m.record(&obs("prod", Variant::Canary, "/a", 404, 50));
    m.record(&obs("prod", Variant::Base, UNMATCHED, 403, 1));
    let tick = m.harvest(base);
    assert_eq!(tick.stages.len(), 2);
    assert_eq!(tick.stages[0].variant, Variant::Base);
    assert_eq!(tick.stages[0].bucket.count, 101);
    assert_eq!(tick.stages[0].bucket.error_5xx, 10);
    assert_eq!(tick.stages[0].bucket.error_4xx, 1);
    assert_eq!(tick.stages[1].bucket.error_4xx, 1);
    // p50 of 1..=100 ms (and one 1 ms) ≈ 50 ms within 3 significant digits.
    let p50 = tick.stages[0].bucket.latency_ms.p50;
    assert!((49.0..=51.0).contains(&p50), "{p50}");
    assert!((tick.stages[0].bucket.latency_ms.max - 100.0).abs() < 0.1);
    m.record(&obs("prod", Variant::Base, "/a", 200, 5));
    m.harvest(base + 61);

    let snap = m.snapshot("api", Duration::from_secs(300));
    assert_eq!(snap.step_seconds, 1);
    assert_eq!(snap.end_epoch_second, base + 61);
    assert_eq!(snap.series.len(), 3);
    let a = &snap.series[0];
    assert_eq!(
        (a.key.resource_path.as_str(), a.key.variant),
        (UNMATCHED, Variant::Base)
    );
    let base_a = &snap.series[1];
    assert_eq!(base_a.totals.count, 101);
    assert_eq!(base_a.buckets.len(), 300);
    assert_eq!(base_a.buckets[299].count, 1);
    assert_eq!(base_a.buckets[299 - 61].count, 100);
    let stage = snap
        .aggregates
        .iter()
        .find(|g| g.key.variant.is_none())
        .map(|g| g.totals.count);
    assert_eq!(stage, Some(103));
    // Minutes: the first minute is filed, the second still accumulating; both show.
    let day = m.snapshot("api", Duration::from_secs(86_400));
    assert_eq!(day.step_seconds, 60);
    assert_eq!(day.series[1].buckets.len(), 1440);
    assert_eq!(day.series[1].totals.count, 101);
    assert_eq!(day.series[1].buckets[1439].count, 1);
    assert_eq!(day.series[1].buckets[1438].count, 100);
    // Other APIs see nothing; totals are cumulative.
    assert!(
        m.snapshot("other", Duration::from_secs(60))
            .series
            .is_empty()
    );
    let totals = m.totals();
    assert_eq!(totals.iter().map(|t| t.requests).sum::<u64>(), 103);
    let t = totals
        .iter()
        .find(|t| t.key.resource_path == "/a" && t.key.variant == Variant::Base);
    let Some(t) = t else { panic!("series /a base") };
    assert_eq!(t.latency.count, 101);
    assert_eq!(t.latency.buckets.last().map(|b| b.1), Some(101));
    assert_eq!(t.integration_latency.count, 100);
}

#[test]
fn seconds_expire_after_an_hour() {
    let start = 1_800_000_000;
    let m = Metrics::starting_after(start - 1);
    m.record(&obs("s", Variant::Base, "/a", 200, 1));
    m.harvest(start);
    m.record(&obs("s", Variant::Base, "/a", 200, 1));
    m.harvest(start + SECOND_RETENTION);
    let snap = m.snapshot("api", Duration::from_secs(3600));
    assert_eq!(snap.series[0].totals.count, 1);
    let cold = lock(&m.cold);
    let track = cold.tracks.values().next().map(|t| t.seconds.len());
    assert_eq!(track, Some(1));
}

#[test]
fn shards_add_up_across_threads() {
    // More threads than shards, all on one series: every request is counted once, in the
    // cumulative totals, the Prometheus histogram and the harvested second.
    let base = 1_700_000_000;
    let m = Metrics::starting_after(base - 1);
    let threads = series::SHARDS + 2;
    std::thread::scope(|s| {
        for t in 0..threads {
            let m = &m;
            s.spawn(move || {
                for i in 0..250u64 {
                    let status = if i % 50 == 0 { 502 } else { 200 };
                    let mut o = obs("prod", Variant::Base, "/a", status, 1 + (t as u64 + i) % 7);
                    o.cache_hit = Some(i % 2 == 0);
                    o.data_processed = 3;
                    m.record(&o);
                }
            });
        }
    });
    let n = threads as u64 * 250;
    let totals = m.totals();
    assert_eq!(totals.len(), 1);
    let t = &totals[0];
    assert_eq!(t.requests, n);
    assert_eq!(t.error_5xx, threads as u64 * 5);
    assert_eq!(t.cache_hits + t.cache_misses, n);
    assert_eq!(t.data_processed, 3 * n);
    assert_eq!(t.latency.count, n);
    assert_eq!(t.latency.buckets.last().map(|b| b.1), Some(n));
    let tick = m.harvest(base);
    assert_eq!(tick.stages[0].bucket.count, n);
    assert_eq!(tick.stages[0].bucket.error_5xx, threads as u64 * 5);
    assert!((tick.stages[0].bucket.latency_ms.max - 7.0).abs() < 0.01);
    // Harvested: nothing pending, and the next second starts empty.
    assert_eq!(m.harvest(base + 1).stages.len(), 0);
}
