//! Phase 2, variant: base or canary, drawn once per request by the canary weight.

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::types::Variant;

pub fn run(gw: &Gateway, ctx: &mut RequestContext<'_>) {
    let Some(live) = ctx.live.clone() else { return };
    let Some(canary) = &live.canary else { return };
    if canary.percent_traffic <= 0.0 {
        return;
    }
    if gw.inner.draw.next_unit() * 100.0 < canary.percent_traffic {
        ctx.variant = Variant::Canary;
        ctx.deployment = Some(canary.deployment.clone());
        ctx.stage_variables = canary.variables.clone();
    }
}
