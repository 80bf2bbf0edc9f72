//! Phase record: always runs once the stage is known. Counts the request in the metric series
//! of its route (resource path = the route's path or `$default`, method = its verb or `ANY`)
//! and queues the stage's access-log line values (v2 `$context` variables) for the log
//! thread. Nothing here blocks or does I/O.

use super::HttpContext;
use super::mapping::context_value;
use crate::engine::Gateway;
use crate::engine::live::Variant;
use crate::engine::metrics::{Observation, UNMATCHED};
use crate::engine::pipeline::InvokeResponse;

pub fn record(gw: &Gateway, ctx: &mut HttpContext<'_>, response: &InvokeResponse) {
    let latency = ctx.started.elapsed();
    let route = ctx.route();
    gw.inner.metrics.record(&Observation {
        api_id: &ctx.req.api_id,
        stage: &ctx.stage.stage_name,
        variant: Variant::Base,
        resource_path: route.map_or(UNMATCHED, |r| &r.metric_path),
        http_method: route.map_or(UNMATCHED, |r| &r.metric_verb),
        status: response.status.as_u16(),
        latency,
        integration_latency: ctx.integration_latency,
        cache_hit: None,
        data_processed: (ctx.req.body.len() + response.body.len()) as u64,
    });
    let log = ctx.stage.log.clone();
    let Some(format) = log.format.as_ref() else {
        if gw.inner.logs.subscribed() {
            gw.inner
                .logs
                .submit_http(log.clone(), ctx, response, latency, Vec::new());
        }
        return;
    };
    let others = format
        .other_names()
        .map(|name| access_value(ctx, response, latency, name))
        .collect();
    gw.inner
        .logs
        .submit_http(log.clone(), ctx, response, latency, others);
}

/// `$context.X` as HTTP API access logs see it.
pub fn access_value(
    ctx: &HttpContext<'_>,
    response: &InvokeResponse,
    latency: std::time::Duration,
    name: &str,
) -> Option<String> {
    match name {
        "status" => Some(response.status.as_u16().to_string()),
        "responseLength" => Some(response.body.len().to_string()),
        "responseLatency" => Some(latency.as_millis().to_string()),
        "dataProcessed" => Some((ctx.req.body.len() + response.body.len()).to_string()),
        _ => context_value(ctx, name),
    }
}
