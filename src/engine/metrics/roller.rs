//! The roller: a thread that wakes just after each second boundary, harvests the second that
//! ended from every series into the history and the aggregates, and hands the tick on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::history::{Cold, Interval, Track, TrackKey};
use super::series::{Index, Series};
use super::store::Metrics;
use super::{AggregateKey, MINUTE_RETENTION, MetricsTick, StageTick, lock, now_epoch_second};

impl Metrics {
    /// Closes `second`: files every series' current interval and the aggregates, rolls
    /// minutes, and returns the tick to publish.
    pub(crate) fn harvest(&self, second: i64) -> MetricsTick {
        let index = self.index.load_full();
        let mut cold = lock(&self.cold);
        let second = second.max(cold.last_second);
        let mut aggregates: HashMap<(String, AggregateKey), Interval> = HashMap::new();
        for series in index.values().flatten() {
            let Some(interval) = series.take() else {
                continue;
            };
            for variant in [Some(series.key.variant), None] {
                aggregates
                    .entry((
                        series.api_id.clone(),
                        AggregateKey {
                            stage: series.key.stage.clone(),
                            variant,
                        },
                    ))
                    .or_insert_with(Interval::new)
                    .add(&interval);
            }
            cold.tracks
                .entry(TrackKey::Series(series.api_id.clone(), series.key.clone()))
                .or_insert_with(Track::new)
                .push_second(second, interval);
        }
        let mut stages = Vec::new();
        for ((api_id, key), interval) in aggregates {
            if let Some(variant) = key.variant {
                stages.push(StageTick {
                    rest_api_id: api_id.clone(),
                    stage: key.stage.clone(),
                    variant,
                    bucket: interval.bucket(),
                });
            }
            cold.tracks
                .entry(TrackKey::Aggregate(api_id, key))
                .or_insert_with(Track::new)
                .push_second(second, interval);
        }
        stages.sort_by(|a, b| {
            (&a.rest_api_id, &a.stage, a.variant.as_str()).cmp(&(
                &b.rest_api_id,
                &b.stage,
                b.variant.as_str(),
            ))
        });
        for track in cold.tracks.values_mut() {
            track.roll_minute(second);
        }
        cold.last_second = second;
        cold.ticks += 1;
        if cold.ticks.is_multiple_of(60) {
            self.prune(&mut cold, second);
        }
        MetricsTick {
            epoch_second: second,
            stages,
            log_records_dropped: 0,
        }
    }

    /// Forgets series idle for longer than the longest retention (e.g. of deleted stages).
    fn prune(&self, cold: &mut Cold, second: i64) {
        let horizon = second - MINUTE_RETENTION - 60;
        cold.tracks.retain(|_, t| t.last_active > horizon);
        let index = self.index.load_full();
        let stale = |s: &Arc<Series>| {
            !cold
                .tracks
                .contains_key(&TrackKey::Series(s.api_id.clone(), s.key.clone()))
                && !s.has_pending()
        };
        if index.values().flatten().any(stale) {
            let _guard = lock(&self.insert);
            let current = self.index.load_full();
            let mut next = Index::default();
            for (h, list) in current.iter() {
                let kept: Vec<Arc<Series>> = list.iter().filter(|s| !stale(s)).cloned().collect();
                if !kept.is_empty() {
                    next.insert(*h, kept);
                }
            }
            self.index.store(Arc::new(next));
        }
    }
}

/// Runs the roller until the gateway is dropped: wakes a few milliseconds after each second
/// boundary, harvests the second that just ended and hands the tick to `publish`.
pub(crate) fn spawn_roller<F>(metrics: std::sync::Weak<Metrics>, publish: F) -> std::io::Result<()>
where
    F: Fn(MetricsTick) + Send + 'static,
{
    std::thread::Builder::new()
        .name("gwtui-metrics".into())
        .spawn(move || {
            loop {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default();
                let into_second = Duration::from_nanos(u64::from(now.subsec_nanos()));
                std::thread::sleep(Duration::from_secs(1) - into_second + Duration::from_millis(3));
                let Some(metrics) = metrics.upgrade() else {
                    return;
                };
                let closed = now_epoch_second() - 1;
                let tick = metrics.harvest(closed);
                drop(metrics);
                publish(tick);
            }
        })?;
    Ok(())
}
