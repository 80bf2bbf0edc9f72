//! Phase 4b, throttling and quotas (execution.md §6, ops.md §2–3). Token buckets in AWS's
//! order: usage-plan method (for this key), usage-plan key, stage method, account. The first
//! empty bucket rejects with THROTTLED and the tokens already taken are given back (a rejected
//! request consumes nothing). Then the key's quota: used up → QUOTA_EXCEEDED, again giving the
//! tokens back. Methods that do not require an API key skip the usage-plan scopes and quota.

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::cluster::quota as shared_quota;
use crate::engine::error::GatewayError;
use crate::engine::throttle::lease::{refund_all, take_all_shared};
use crate::engine::throttle::{TokenBucket, take_all};

pub async fn run(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    let (Some(live), Some(route), Some(method)) =
        (ctx.live.as_ref(), ctx.route.as_ref(), ctx.method())
    else {
        return Ok(());
    };
    let Some(mt) = live
        .traffic
        .variant(ctx.variant)
        .methods
        .get(route.method_index)
    else {
        return Ok(());
    };
    let traffic = &gw.inner.traffic;
    let routes = gw.inner.routes.load();
    let plan = match (&ctx.identity.api_key, method.method.api_key_required) {
        (Some(value), true) => routes.api_keys.get(value).and_then(|k| {
            k.plans
                .iter()
                .find(|p| p.stage(&ctx.req.api_id, &ctx.req.stage).is_some())
        }),
        _ => None,
    };
    let mut scopes: [Option<&TokenBucket>; 4] = [None; 4];
    if let Some(plan) = plan {
        scopes[0] = plan
            .stage(&ctx.req.api_id, &ctx.req.stage)
            .and_then(|s| s.method_buckets.get(&*mt.usage_plan_key))
            .map(|b| &**b);
        scopes[1] = plan.key_bucket.as_deref();
    }
    scopes[2] = Some(&mt.bucket);
    scopes[3] = Some(&traffic.account);
    let mut buckets: [&TokenBucket; 4] = [&traffic.account; 4];
    let mut n = 0;
    for b in scopes.into_iter().flatten() {
        buckets[n] = b;
        n += 1;
    }
    let buckets = &buckets[..n];
    let Some(cluster) = &traffic.cluster else {
        if !take_all(buckets, traffic.clock.now()) {
            return Err(GatewayError::Throttled);
        }
        if let Some(plan) = plan
            && !plan.counter.try_acquire(traffic.clock.utc())
        {
            for b in buckets {
                b.refund();
            }
            return Err(GatewayError::QuotaExceeded);
        }
        return Ok(());
    };
    // The Redis calls are boxed: a future is as large as its largest state, and every
    // request's future is moved whole (docs/PERFORMANCE.md, "Data plane, round 4").
    let Some(leased) = Box::pin(take_all_shared(cluster, buckets, traffic.clock.now())).await
    else {
        return Err(GatewayError::Throttled);
    };
    if let Some(plan) = plan
        && !Box::pin(shared_quota::acquire(
            cluster,
            &plan.counter,
            traffic.clock.utc(),
        ))
        .await
    {
        refund_all(buckets, leased);
        return Err(GatewayError::QuotaExceeded);
    }
    Ok(())
}
