//! Phase 10, record: always runs, success or failure. Counts the request in its metric series
//! and queues its access-log values and execution-log lines for the log thread. Nothing here
//! blocks or does I/O (DESIGN.md hot-path rules).

use super::{InvokeResponse, RequestContext};
use crate::engine::Gateway;
use crate::engine::metrics::{Observation, UNMATCHED};

pub fn record(gw: &Gateway, ctx: &mut RequestContext<'_>, response: &InvokeResponse) {
    // Unknown API or stage: there is no stage to count or log the request at.
    if ctx.live.is_none() {
        return;
    }
    let latency = ctx.started.elapsed();
    let method = ctx.method();
    gw.inner.metrics.record(&Observation {
        api_id: &ctx.req.api_id,
        stage: &ctx.req.stage,
        variant: ctx.variant,
        resource_path: method.map_or(UNMATCHED, |m| &m.resource_path),
        http_method: method.map_or(UNMATCHED, |m| &m.http_method),
        status: response.status.as_u16(),
        latency,
        integration_latency: ctx.integration_latency,
        cache_hit: ctx.cache_hit,
        data_processed: (ctx.req.body.len() + response.body.len()) as u64,
    });
    // Before the log record moves the request id out of the context.
    gw.inner.xray.submit(ctx, response.status.as_u16());
    gw.inner.logs.submit(ctx, response, latency);
}
