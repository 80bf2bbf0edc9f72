//! Usage-plan quotas and usage counters (ops.md §3, model.md §11).
//!
//! One [`QuotaCounter`] per (usage plan, API key). Requests are counted in memory only: the
//! request path never touches the store. A background thread moves the pending per-day counts
//! into the store every `EngineConfig::usage_flush_interval` (1 s by default) and the engine
//! flushes once more when it shuts down (the last `Gateway` handle is dropped, or
//! [`crate::engine::Gateway::flush_usage`]). On open, each counter starts from the store's count
//! for its current period. A SIGKILL therefore loses at most the requests counted since the
//! last flush (about one second's worth); a clean shutdown loses nothing.
//!
//! Periods are UTC calendar periods: DAY starts at 00:00 UTC, WEEK on Monday 00:00 UTC (ISO
//! weeks; AWS does not document the start day), MONTH on the 1st at 00:00 UTC. `offset` is
//! subtracted from `limit` in the key's initial period, taken to be the first period in which
//! the key has any recorded usage under the plan.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::model::{QuotaPeriod, QuotaSettings};

/// Request counts per UTC day, oldest first.
pub type DayCounts = Vec<(Date, i64)>;

/// `YYYY-MM-DD`, the store's usage day.
pub fn day_string(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

pub fn parse_day(s: &str) -> Option<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

/// The first day of the period containing `date`.
pub fn period_start(period: QuotaPeriod, date: Date) -> Date {
    match period {
        QuotaPeriod::Day => date,
        QuotaPeriod::Week => date
            .checked_sub(time::Duration::days(i64::from(
                date.weekday().number_days_from_monday(),
            )))
            .unwrap_or(date),
        QuotaPeriod::Month => date.replace_day(1).unwrap_or(date),
    }
}

/// What the store says about a (plan, key) when its counter is created.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadedUsage {
    /// Requests already counted in the current period.
    pub used_in_period: i64,
    /// Whether the key has usage before the current period (so this is not its initial one).
    pub used_before: bool,
    /// Requests UpdateUsage gave back (or, negative, took) for the current period.
    pub granted: i64,
}

#[derive(Debug)]
struct CounterState {
    quota: Option<QuotaSettings>,
    /// The period `used_in_period` belongs to (by its quota's period, or the day without one).
    period_start: Date,
    used_in_period: i64,
    initial_period: bool,
    /// UpdateUsage's adjustment of the current period's limit.
    granted: i64,
    /// Counts not yet in the store, per day, oldest first.
    pending: DayCounts,
}

impl CounterState {
    fn period(&self) -> QuotaPeriod {
        self.quota
            .as_ref()
            .map(|q| q.period)
            .unwrap_or(QuotaPeriod::Day)
    }

    fn roll(&mut self, today: Date) {
        let start = period_start(self.period(), today);
        if start != self.period_start {
            if self.used_in_period > 0 {
                self.initial_period = false;
            }
            self.period_start = start;
            self.used_in_period = 0;
            self.granted = 0;
        }
    }

    fn limit(&self) -> Option<i64> {
        self.quota
            .as_ref()
            .map(|q| q.limit - if self.initial_period { q.offset } else { 0 } + self.granted)
    }
}

#[derive(Debug)]
pub struct QuotaCounter {
    pub usage_plan_id: String,
    pub key_id: String,
    state: Mutex<CounterState>,
}

impl QuotaCounter {
    pub fn new(
        usage_plan_id: &str,
        key_id: &str,
        quota: Option<QuotaSettings>,
        now: OffsetDateTime,
        loaded: LoadedUsage,
    ) -> QuotaCounter {
        let period = quota.as_ref().map(|q| q.period).unwrap_or(QuotaPeriod::Day);
        QuotaCounter {
            usage_plan_id: usage_plan_id.to_string(),
            key_id: key_id.to_string(),
            state: Mutex::new(CounterState {
                quota,
                period_start: period_start(period, now.date()),
                used_in_period: loaded.used_in_period,
                initial_period: !loaded.used_before,
                granted: loaded.granted,
                pending: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, CounterState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts one request unless the quota for the current period is used up.
    pub fn try_acquire(&self, now: OffsetDateTime) -> bool {
        let today = now.date();
        let mut s = self.lock();
        s.roll(today);
        if let Some(limit) = s.limit()
            && s.used_in_period >= limit
        {
            return false;
        }
        s.used_in_period += 1;
        match s.pending.last_mut() {
            Some((day, n)) if *day == today => *n += 1,
            _ => s.pending.push((today, 1)),
        }
        true
    }

    /// Cluster mode: (period start, period kind, limit, count so far) when a quota applies.
    pub fn quota_state(&self, now: OffsetDateTime) -> Option<(Date, QuotaPeriod, i64, i64)> {
        let mut s = self.lock();
        s.roll(now.date());
        let limit = s.limit()?;
        Some((s.period_start, s.period(), limit, s.used_in_period))
    }

    /// Counts one request the shared counter admitted (cluster mode): the count is this
    /// node's to store, the check was Redis's.
    pub fn record(&self, now: OffsetDateTime) {
        let today = now.date();
        let mut s = self.lock();
        s.roll(today);
        s.used_in_period += 1;
        match s.pending.last_mut() {
            Some((day, n)) if *day == today => *n += 1,
            _ => s.pending.push((today, 1)),
        }
    }

    /// A plan change: new quota settings (the count of the current period is kept when the
    /// period kind stays the same).
    pub fn set_quota(
        &self,
        quota: Option<QuotaSettings>,
        now: OffsetDateTime,
        reload: impl FnOnce(QuotaPeriod, Date) -> LoadedUsage,
    ) {
        let mut s = self.lock();
        if s.quota == quota {
            return;
        }
        let old_period = s.period();
        s.quota = quota;
        let period = s.period();
        if period != old_period {
            let start = period_start(period, now.date());
            let loaded = reload(period, start);
            let pending_in_period: i64 = s
                .pending
                .iter()
                .filter(|(d, _)| *d >= start)
                .map(|(_, n)| n)
                .sum();
            s.period_start = start;
            s.used_in_period = loaded.used_in_period + pending_in_period;
            s.initial_period = !loaded.used_before;
            s.granted = loaded.granted;
        }
    }

    #[cfg(test)]
    /// (used in the current period, its limit) — the limit is `None` without a quota.
    pub fn used(&self, now: OffsetDateTime) -> (i64, Option<i64>) {
        let mut s = self.lock();
        s.roll(now.date());
        (s.used_in_period, s.limit())
    }

    /// UpdateUsage: the grant that leaves `remaining` requests in the current period, as
    /// (period start, granted) for the store; `None` without a quota. Nothing changes until
    /// [`QuotaCounter::set_granted`].
    pub fn grant_for(&self, remaining: i64, now: OffsetDateTime) -> Option<(Date, i64)> {
        let mut s = self.lock();
        s.roll(now.date());
        let base = s.limit()? - s.granted;
        Some((s.period_start, remaining - (base - s.used_in_period)))
    }

    /// Applies a stored grant (ignored once its period is over).
    pub fn set_granted(&self, period_start: Date, granted: i64, now: OffsetDateTime) {
        let mut s = self.lock();
        s.roll(now.date());
        if s.period_start == period_start {
            s.granted = granted;
        }
    }

    /// Takes the counts not yet stored.
    pub fn take_pending(&self) -> DayCounts {
        std::mem::take(&mut self.lock().pending)
    }

    /// Whether it holds counts not yet stored.
    pub fn has_pending(&self) -> bool {
        !self.lock().pending.is_empty()
    }

    /// Puts back counts a failed flush could not store.
    pub fn restore_pending(&self, mut rows: DayCounts) {
        let mut s = self.lock();
        rows.append(&mut s.pending);
        s.pending = rows;
    }
}

/// Every counter by (plan, key). Touched by route rebuilds and flushes, never by requests.
///
/// Bounded by the (usage plan, API key) links that exist: a route-map rebuild passes the links
/// it served to [`QuotaLedger::retain`], and the counters of links that are gone (a deleted key
/// or plan, a key removed from a plan) leave the ledger. One that still holds counts not yet
/// stored is kept aside until a flush has stored them ([`QuotaLedger::prune_retired`]); a
/// link made again before that takes its counter back, so no count is lost or counted twice.
#[derive(Debug, Default)]
pub struct QuotaLedger {
    state: Mutex<LedgerState>,
}

#[derive(Debug, Default)]
struct LedgerState {
    live: HashMap<(String, String), Arc<QuotaCounter>>,
    /// Counters of links that are gone, kept until their pending counts are stored.
    retired: Vec<Arc<QuotaCounter>>,
}

impl QuotaLedger {
    fn lock(&self) -> MutexGuard<'_, LedgerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The counter of (plan, key), created from the store's usage (`load`) if new.
    pub fn counter(
        &self,
        usage_plan_id: &str,
        key_id: &str,
        quota: Option<&QuotaSettings>,
        now: OffsetDateTime,
        load: impl Fn(QuotaPeriod, Date) -> LoadedUsage,
    ) -> Arc<QuotaCounter> {
        let mut state = self.lock();
        let k = (usage_plan_id.to_string(), key_id.to_string());
        if let Some(c) = state.live.get(&k) {
            c.set_quota(quota.cloned(), now, &load);
            return c.clone();
        }
        if let Some(i) = state
            .retired
            .iter()
            .position(|c| c.usage_plan_id == usage_plan_id && c.key_id == key_id)
        {
            let c = state.retired.swap_remove(i);
            c.set_quota(quota.cloned(), now, &load);
            state.live.insert(k, c.clone());
            return c;
        }
        let period = quota.map(|q| q.period).unwrap_or(QuotaPeriod::Day);
        let loaded = load(period, period_start(period, now.date()));
        let counter = Arc::new(QuotaCounter::new(
            usage_plan_id,
            key_id,
            quota.cloned(),
            now,
            loaded,
        ));
        state.live.insert(k, counter.clone());
        counter
    }

    /// The counter of (plan, key), if the key is live in the plan.
    pub fn get(&self, usage_plan_id: &str, key_id: &str) -> Option<Arc<QuotaCounter>> {
        self.lock()
            .live
            .get(&(usage_plan_id.to_string(), key_id.to_string()))
            .cloned()
    }

    /// Keeps the counters of the (plan, key) links in `links`; the others are dropped, or
    /// kept aside while they hold counts not yet stored.
    pub fn retain(&self, links: &HashSet<(String, String)>) {
        let mut state = self.lock();
        let LedgerState { live, retired } = &mut *state;
        live.retain(|k, c| {
            let keep = links.contains(k);
            if !keep && c.has_pending() {
                retired.push(c.clone());
            }
            keep
        });
    }

    /// Drops the set-aside counters whose counts are all stored (after a flush).
    pub fn prune_retired(&self) {
        self.lock().retired.retain(|c| c.has_pending());
    }

    /// Every counter, set-aside ones included (what a flush stores).
    pub fn all(&self) -> Vec<Arc<QuotaCounter>> {
        let state = self.lock();
        state
            .live
            .values()
            .chain(state.retired.iter())
            .cloned()
            .collect()
    }

    /// (counters of existing links, set-aside counters).
    pub fn len(&self) -> (usize, usize) {
        let state = self.lock();
        (state.live.len(), state.retired.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn quota(limit: i64, offset: i64, period: QuotaPeriod) -> Option<QuotaSettings> {
        Some(QuotaSettings {
            limit,
            offset,
            period,
        })
    }

    #[test]
    fn periods_are_utc_calendar_periods_weeks_from_monday() {
        let sunday = time::macros::date!(2024 - 03 - 17);
        assert_eq!(
            period_start(QuotaPeriod::Week, sunday),
            time::macros::date!(2024 - 03 - 11)
        );
        assert_eq!(
            period_start(QuotaPeriod::Week, time::macros::date!(2024 - 03 - 11)),
            time::macros::date!(2024 - 03 - 11)
        );
        assert_eq!(
            period_start(QuotaPeriod::Month, sunday),
            time::macros::date!(2024 - 03 - 01)
        );
        assert_eq!(period_start(QuotaPeriod::Day, sunday), sunday);
    }

    #[test]
    fn limit_offset_and_rollover() {
        let t0 = datetime!(2024-03-17 23:59:00 UTC);
        let c = QuotaCounter::new(
            "p",
            "k",
            quota(3, 1, QuotaPeriod::Day),
            t0,
            LoadedUsage::default(),
        );
        // Initial period: limit 3 - offset 1.
        assert!(c.try_acquire(t0));
        assert!(c.try_acquire(t0));
        assert!(!c.try_acquire(t0));
        // Next UTC day: the full limit.
        let t1 = datetime!(2024-03-18 00:00:01 UTC);
        assert!((0..3).all(|_| c.try_acquire(t1)));
        assert!(!c.try_acquire(t1));
        let pending = c.take_pending();
        assert_eq!(pending, vec![(t0.date(), 2), (t1.date(), 3)]);
    }

    #[test]
    fn loaded_usage_counts_against_the_period() {
        let t0 = datetime!(2024-03-17 12:00:00 UTC);
        let c = QuotaCounter::new(
            "p",
            "k",
            quota(5, 0, QuotaPeriod::Month),
            t0,
            LoadedUsage {
                used_in_period: 4,
                used_before: true,
                granted: 0,
            },
        );
        assert!(c.try_acquire(t0));
        assert!(!c.try_acquire(t0));
        assert_eq!(c.used(t0), (5, Some(5)));
    }

    fn ledger_counter(ledger: &QuotaLedger, plan: &str, key: &str) -> Arc<QuotaCounter> {
        ledger.counter(
            plan,
            key,
            quota(10, 0, QuotaPeriod::Day).as_ref(),
            datetime!(2024-03-17 12:00:00 UTC),
            |_, _| LoadedUsage::default(),
        )
    }

    #[test]
    fn counters_of_links_that_are_gone_leave_the_ledger_once_their_counts_are_stored() {
        let ledger = QuotaLedger::default();
        let t = datetime!(2024-03-17 12:00:00 UTC);
        for i in 0..100 {
            ledger_counter(&ledger, "p", &format!("k{i}"));
        }
        let busy = ledger_counter(&ledger, "p", "k1");
        assert!(busy.try_acquire(t));
        assert_eq!(ledger.len(), (100, 0));
        // Only k0 and k1 are still linked; k2 had a count, not stored yet.
        let k2 = ledger_counter(&ledger, "p", "k2");
        assert!(k2.try_acquire(t));
        let links: HashSet<(String, String)> = [("p", "k0"), ("p", "k1")]
            .iter()
            .map(|(p, k)| (p.to_string(), k.to_string()))
            .collect();
        ledger.retain(&links);
        assert_eq!(ledger.len(), (2, 1), "k2 waits for its count to be stored");
        assert_eq!(ledger.all().len(), 3, "a flush still sees k2");
        ledger.prune_retired();
        assert_eq!(ledger.len(), (2, 1), "not stored yet");
        assert_eq!(k2.take_pending(), vec![(t.date(), 1)]);
        ledger.prune_retired();
        assert_eq!(ledger.len(), (2, 0));
    }

    #[test]
    fn a_link_made_again_before_the_flush_takes_its_counter_back() {
        let ledger = QuotaLedger::default();
        let t = datetime!(2024-03-17 12:00:00 UTC);
        let c = ledger_counter(&ledger, "p", "k");
        assert!(c.try_acquire(t));
        ledger.retain(&HashSet::new());
        assert_eq!(ledger.len(), (0, 1));
        let again = ledger_counter(&ledger, "p", "k");
        assert!(Arc::ptr_eq(&c, &again));
        assert_eq!(ledger.len(), (1, 0));
        assert_eq!(again.used(t), (1, Some(10)));
    }

    #[test]
    fn update_usage_sets_what_remains_in_the_period_only() {
        let t0 = datetime!(2024-03-17 12:00:00 UTC);
        let c = QuotaCounter::new(
            "p",
            "k",
            quota(5, 0, QuotaPeriod::Day),
            t0,
            LoadedUsage {
                used_in_period: 5,
                used_before: true,
                granted: 0,
            },
        );
        assert!(!c.try_acquire(t0));
        let (start, granted) = c.grant_for(2, t0).unwrap_or((t0.date(), -1));
        assert_eq!((start, granted), (t0.date(), 2));
        assert!(!c.try_acquire(t0), "nothing changes before set_granted");
        c.set_granted(start, granted, t0);
        assert!(c.try_acquire(t0) && c.try_acquire(t0));
        assert!(!c.try_acquire(t0));
        // Lowering it takes requests away; the next period starts from the plan's limit.
        assert_eq!(c.grant_for(0, t0).map(|(_, g)| g), Some(2));
        assert_eq!(c.grant_for(4, t0).map(|(_, g)| g), Some(6));
        let t1 = datetime!(2024-03-18 00:00:01 UTC);
        assert_eq!(c.used(t1), (0, Some(5)));
        let unlimited = QuotaCounter::new("p", "k", None, t0, LoadedUsage::default());
        assert_eq!(unlimited.grant_for(3, t0), None);
    }
}
