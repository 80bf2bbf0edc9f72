//! Phase record: always runs once the stage is known. Counts the request in the metric series
//! of its route (resource path = the route's path or `$default`, method = its verb or `ANY`)
//! and queues the stage's access-log line values (v2 `$context` variables) for the log
//! thread. Nothing here blocks or does I/O.

use std::sync::Arc;
use std::time::Duration;

use super::HttpContext;
use super::mapping::context_value;
use crate::engine::Gateway;
use crate::engine::context::InvokeResponse;
use crate::engine::logs::{AccessValues, RequestLog, StageLog, Summary};
use crate::engine::metrics::{Observation, UNMATCHED};
use crate::engine::types::Variant;

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
    let subscribed = gw.inner.logs.subscribed();
    let others = match log.format.as_ref() {
        Some(format) => format
            .other_names()
            .map(|name| access_value(ctx, response, latency, name))
            .collect(),
        None if subscribed => Vec::new(),
        None => return,
    };
    gw.inner
        .logs
        .submit(request_log(log, ctx, response, latency, others, subscribed));
}

/// The log thread's record of one HTTP API request: the same [`RequestLog`] as REST requests,
/// with the access-log values the request task evaluated (`others`, in the format's order)
/// and, for a listening console, its summary line.
fn request_log(
    target: Arc<StageLog>,
    ctx: &mut HttpContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
    others: Vec<Option<String>>,
    subscribed: bool,
) -> RequestLog {
    let access = target.format.as_ref().map(|f| AccessValues {
        status: response.status.as_u16(),
        response_length: response.body.len() as u64,
        latency_ms: latency.as_millis() as u64,
        method: ctx.req.method.clone(),
        resource_path: if f.uses_resource_path() {
            ctx.route().map(|r| r.route_key.clone())
        } else {
            None
        },
        caller: None,
        user: None,
        others,
    });
    RequestLog {
        variant: Variant::Base,
        request_id: ctx.request_id.clone(),
        extended_request_id: ctx.request_id.clone(),
        request_time: std::mem::take(&mut ctx.request_time),
        source_ip: ctx.req.source_ip.to_string(),
        epoch_millis: ctx.epoch_millis + latency.as_millis() as i64,
        access,
        execution: Vec::new(),
        summary: subscribed.then(|| Summary {
            http_method: ctx.req.method.clone(),
            path: ctx.raw_path(),
            status: response.status.as_u16(),
            latency,
            resource_path: ctx.route().map(|r| r.route_key.clone()),
            error: ctx.error.clone(),
        }),
        target,
    }
}

/// `$context.X` as HTTP API access logs see it.
pub fn access_value(
    ctx: &HttpContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
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
