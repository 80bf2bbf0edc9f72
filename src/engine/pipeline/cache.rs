//! Phase 6 (lookup) and part of phase 9 (store): the stage's response cache (ops.md §1).
//! A stage without `cacheClusterEnabled` has no cache: lookups miss and nothing is stored.

use super::{InvokeResponse, RequestContext};
use crate::engine::Gateway;

pub fn lookup(_gw: &Gateway, _ctx: &mut RequestContext<'_>) -> Option<InvokeResponse> {
    None
}

pub fn store(_gw: &Gateway, _ctx: &RequestContext<'_>, _response: &InvokeResponse) {}
