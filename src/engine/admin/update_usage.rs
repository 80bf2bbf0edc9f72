//! UpdateUsage (`PATCH /usageplans/{id}/keys/{keyId}/usage`): "grants a temporary extension
//! to the remaining quota" of a key, with `replace /remaining N` (AWS's API reference). The
//! grant holds for the current quota period only; it is stored (schema v6, `usage_grants`),
//! audited, applied to the live counter, and counted by GetUsage. The answer is the key's
//! usage for today, GetUsage's shape (as AWS's CLI example shows).

use super::Actor;
use super::quota::UsageReport;
use crate::engine::Gateway;
use crate::engine::quota::day_string;
use crate::model::{AdminError, PatchOp, PatchOperation};
use crate::store::Change;

/// The new remaining count from UpdateUsage's operations (the last `/remaining` wins).
fn remaining_of(ops: &[PatchOperation]) -> Result<i64, AdminError> {
    let mut remaining = None;
    for op in ops {
        if op.path != "/remaining" {
            return Err(AdminError::bad_request(format!(
                "Invalid patch path '{}' specified for op '{}'. Must be one of: [/remaining]",
                op.path, op.op
            )));
        }
        if op.op != PatchOp::Replace {
            return Err(AdminError::bad_request(format!(
                "Invalid patch operation '{}' specified for path '/remaining'. Must be one of: [replace]",
                op.op
            )));
        }
        let v = op.value.as_deref().unwrap_or_default();
        let n = v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                AdminError::bad_request(format!(
                    "Invalid remaining value '{v}': must be a non-negative integer"
                ))
            })?;
        remaining = Some(n);
    }
    remaining.ok_or_else(|| AdminError::bad_request("No patch operation specified"))
}

impl Gateway {
    pub async fn update_usage(
        &self,
        actor: &Actor,
        usage_plan_id: &str,
        key_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<UsageReport, AdminError> {
        let remaining = remaining_of(&ops)?;
        self.flush_usage().await?;
        let (plan, key) = (usage_plan_id.to_string(), key_id.to_string());
        let gw = self.clone();
        let now = self.inner.config.clock.utc();
        let (period_start, granted) = self
            .admin_op(
                actor,
                "UpdateUsage",
                format!("usageplans/{usage_plan_id}/keys/{key_id}/usage"),
                None,
                move |txn| {
                    let usage = txn.usage();
                    let p = usage
                        .usage_plans
                        .get(&plan)
                        .ok_or_else(|| AdminError::not_found("Invalid Usage Plan ID specified"))?;
                    if !usage
                        .usage_plan_keys
                        .iter()
                        .any(|(pp, k)| *pp == plan && *k == key)
                    {
                        return Err(AdminError::not_found(
                            "Invalid Usage Plan Key identifier specified",
                        ));
                    }
                    if p.quota.is_none() {
                        return Err(AdminError::bad_request(format!(
                            "Usage Plan {plan} has no quota: there is no remaining quota to update"
                        )));
                    }
                    let counter = gw.inner.traffic.quotas.get(&plan, &key).ok_or_else(|| {
                        AdminError::Internal(format!("no live quota counter for key {key}"))
                    })?;
                    let (start, granted) = counter.grant_for(remaining, now).ok_or_else(|| {
                        AdminError::Internal("the plan's quota is not live".into())
                    })?;
                    txn.changes.push(Change::PutUsageGrant {
                        usage_plan_id: plan.clone(),
                        key_id: key.clone(),
                        period_start: day_string(start),
                        granted,
                    });
                    txn.detail = serde_json::json!({ "remaining": remaining });
                    Ok((start, granted))
                },
            )
            .await?;
        if let Some(counter) = self.inner.traffic.quotas.get(usage_plan_id, key_id) {
            counter.set_granted(period_start, granted, now);
        }
        let today = day_string(now.date());
        self.get_usage(usage_plan_id, Some(key_id), &today, &today)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(op: PatchOp, path: &str, value: &str) -> PatchOperation {
        PatchOperation {
            op,
            path: path.into(),
            value: Some(value.into()),
            from: None,
        }
    }

    #[test]
    fn only_replace_remaining_with_a_count() {
        assert_eq!(
            remaining_of(&[op(PatchOp::Replace, "/remaining", "50")]).ok(),
            Some(50)
        );
        for bad in [
            op(PatchOp::Replace, "/used", "1"),
            op(PatchOp::Add, "/remaining", "1"),
            op(PatchOp::Replace, "/remaining", "-1"),
            op(PatchOp::Replace, "/remaining", "x"),
        ] {
            assert!(remaining_of(&[bad]).is_err());
        }
        assert!(remaining_of(&[]).is_err());
    }
}
