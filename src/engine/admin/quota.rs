//! GetUsage (`GET /usageplans/{id}/usage`, model.md §11): per key and day, `[used, remaining]`
//! from the store, after the pending in-memory counts are flushed into it.

use std::collections::HashMap;

use indexmap::IndexMap;
use serde::Serialize;

use crate::engine::Gateway;
use crate::engine::quota::{day_string, parse_day, period_start};
use crate::model::AdminError;

/// Most days one GetUsage call may span.
pub const MAX_USAGE_DAYS: i64 = 366;

/// GetUsage's answer, in AWS's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UsageReport {
    pub usage_plan_id: String,
    pub start_date: String,
    pub end_date: String,
    /// Key id → one `[used, remaining]` per day from `startDate` to `endDate`. Without a quota
    /// `remaining` is 0. On the wire this member is `values` (botocore's `Usage.items` has
    /// `locationName: values`; SDKs read it as `items`).
    #[serde(rename = "values")]
    pub items: IndexMap<String, Vec<[i64; 2]>>,
}

impl Gateway {
    /// Writes the pending usage counts to the store now (also done every second and on
    /// shutdown), on a blocking thread: it waits for a write in progress and fsyncs.
    pub async fn flush_usage(&self) -> Result<(), AdminError> {
        let gw = self.clone();
        tokio::task::spawn_blocking(move || gw.flush_usage_blocking())
            .await
            .map_err(|e| AdminError::Internal(format!("usage flush failed: {e}")))?
    }

    fn flush_usage_blocking(&self) -> Result<(), AdminError> {
        crate::engine::traffic::flush_usage(&self.inner)
            .map_err(|e| AdminError::Internal(format!("usage could not be stored: {e}")))
    }

    /// Usage counters in memory: (those of existing usage-plan/API-key links, those of links
    /// that are gone, kept until their counts are stored). Bounded by the links, not by
    /// traffic.
    pub fn quota_counters(&self) -> (usize, usize) {
        self.inner.traffic.quotas.len()
    }

    /// GetUsage. The pending counts are flushed first (a store write, so it waits for a
    /// commit in progress), then the store is read; both on a blocking thread.
    pub async fn get_usage(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
        start_date: &str,
        end_date: &str,
    ) -> Result<UsageReport, AdminError> {
        let start = parse_day(start_date).ok_or_else(|| {
            AdminError::bad_request(format!(
                "Invalid start date specified: '{start_date}'. Must be yyyy-MM-dd"
            ))
        })?;
        let end = parse_day(end_date).ok_or_else(|| {
            AdminError::bad_request(format!(
                "Invalid end date specified: '{end_date}'. Must be yyyy-MM-dd"
            ))
        })?;
        if end < start {
            return Err(AdminError::bad_request(
                "The end date must not be before the start date",
            ));
        }
        if (end - start).whole_days() >= MAX_USAGE_DAYS {
            return Err(AdminError::bad_request(format!(
                "The date range must not exceed {MAX_USAGE_DAYS} days"
            )));
        }
        let gw = self.clone();
        let (plan_id, key_id) = (usage_plan_id.to_string(), key_id.map(str::to_string));
        tokio::task::spawn_blocking(move || {
            gw.usage_report(&plan_id, key_id.as_deref(), start, end)
        })
        .await
        .map_err(|e| AdminError::Internal(format!("GetUsage failed: {e}")))?
    }

    fn usage_report(
        &self,
        usage_plan_id: &str,
        key_id: Option<&str>,
        start: time::Date,
        end: time::Date,
    ) -> Result<UsageReport, AdminError> {
        self.flush_usage_blocking()?;
        let admin = self.snapshot();
        let plan = admin
            .usage_plans
            .get(usage_plan_id)
            .ok_or_else(|| AdminError::not_found("Invalid Usage Plan ID specified"))?;
        let keys: Vec<&String> = admin
            .usage_plan_keys
            .iter()
            .filter(|(p, k)| p == usage_plan_id && key_id.is_none_or(|id| id == k))
            .map(|(_, k)| k)
            .collect();
        // Whole history: remaining counts from each period's start, and the initial period
        // (with the offset) is the one of the key's first usage.
        let rows = self
            .lock_reader()
            .usage(usage_plan_id, key_id, "0000-01-01", &day_string(end))
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        // UpdateUsage's grants, by (key, period start).
        let grants: HashMap<(String, String), i64> = self
            .lock_reader()
            .usage_grants(usage_plan_id, key_id)
            .map_err(|e| AdminError::Internal(e.to_string()))?
            .into_iter()
            .map(|(k, period, g)| ((k, period), g))
            .collect();
        let mut by_key: HashMap<&str, Vec<(time::Date, i64)>> = HashMap::new();
        for (k, day, used) in &rows {
            if let Some(d) = parse_day(day) {
                by_key.entry(k.as_str()).or_default().push((d, *used));
            }
        }
        let mut items = IndexMap::new();
        for key in keys {
            let days = by_key
                .get(key.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default();
            let first = days.iter().find(|(_, n)| *n > 0).map(|(d, _)| *d);
            let mut series = Vec::new();
            let mut day = start;
            loop {
                let used: i64 = days.iter().filter(|(d, _)| *d == day).map(|(_, n)| n).sum();
                let remaining = match &plan.quota {
                    Some(q) => {
                        let from = period_start(q.period, day);
                        let in_period: i64 = days
                            .iter()
                            .filter(|(d, _)| *d >= from && *d <= day)
                            .map(|(_, n)| n)
                            .sum();
                        let initial = first.is_some_and(|f| period_start(q.period, f) == from);
                        let granted = grants
                            .get(&(key.clone(), day_string(from)))
                            .copied()
                            .unwrap_or(0);
                        let limit = q.limit - if initial { q.offset } else { 0 } + granted;
                        (limit - in_period).max(0)
                    }
                    None => 0,
                };
                series.push([used, remaining]);
                match day.next_day() {
                    Some(next) if next <= end => day = next,
                    _ => break,
                }
            }
            items.insert(key.clone(), series);
        }
        Ok(UsageReport {
            usage_plan_id: usage_plan_id.to_string(),
            start_date: day_string(start),
            end_date: day_string(end),
            items,
        })
    }
}
