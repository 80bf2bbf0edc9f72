//! Phase 10, record: always runs, success or failure. Publishes one request record for
//! consoles (metrics and access/execution logs are built from it).

use std::time::Duration;

use super::{InvokeResponse, RequestContext};
use crate::engine::{Gateway, GatewayEvent, RequestRecord};

pub fn record(gw: &Gateway, ctx: &RequestContext<'_>, response: &InvokeResponse) {
    let method = ctx.method();
    let record = RequestRecord {
        request_id: ctx.request_id.clone(),
        api_id: ctx.req.api_id.clone(),
        stage: ctx.req.stage.clone(),
        variant: ctx.variant,
        http_method: ctx.req.method.as_str().to_string(),
        resource_path: method.map(|m| m.resource_path.to_string()),
        path: ctx.req.path.clone(),
        status: response.status.as_u16(),
        latency: ctx.started.elapsed(),
        integration_latency: ctx.integration_latency.unwrap_or(Duration::ZERO),
        cache_hit: ctx.cache_hit,
        error: ctx.error.as_ref().and_then(|e| e.log_reason()),
        request_time_epoch: ctx.request_time_epoch,
        response_length: response.body.len(),
    };
    gw.publish(GatewayEvent::Request(std::sync::Arc::new(record)));
}
