//! Phase 10, record: always runs, success or failure. Counts the request in its metric series
//! and queues its access-log values and execution-log lines for the log thread. Nothing here
//! blocks or does I/O (DESIGN.md hot-path rules).

use std::time::Duration;

use super::{InvokeResponse, RequestContext, respond};
use crate::engine::Gateway;
use crate::engine::logs::{AccessFormat, AccessValues, RequestLog, Summary};
use crate::engine::metrics::{Observation, UNMATCHED};

pub fn record(gw: &Gateway, ctx: &mut RequestContext<'_>, response: &InvokeResponse) {
    // Unknown API or stage: there is no stage to count or log the request at.
    let Some(has_format) = ctx.live.as_ref().map(|l| l.log.format.is_some()) else {
        return;
    };
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
    let subscribed = gw.inner.logs.subscribed();
    let logged = has_format || !ctx.log.lines.is_empty() || subscribed;
    // The log record first: its access-log values may read `$context.xrayTraceId`.
    if logged {
        gw.inner.logs.submit_with(ctx.started + latency, |spare| {
            let mut r = with_target(spare, ctx)?;
            fill(&mut r, ctx, response, latency, subscribed);
            Some(r)
        });
    }
    if let Some(xray) = ctx.xray.take() {
        let Some(stage) = ctx.live.as_ref().map(|l| l.log.clone()) else {
            return;
        };
        gw.inner.xray.submit(crate::engine::xray::Finished {
            xray,
            started: ctx.started,
            ended: ctx.started + latency,
            stage,
            // The log record copied it: the last reader.
            request_id: std::mem::take(&mut ctx.request_id),
            http_method: ctx.req.method.clone(),
            path: ctx.req.path.clone(),
            status: response.status.as_u16(),
        });
    }
}

/// The record to fill for `ctx`: a handed-back one (its stage target kept when it is the
/// same, as it is for every request of a stage: no reference count touched, and the
/// `StageLog` is shared by every thread) or a new one.
fn with_target(
    spare: Option<Box<RequestLog>>,
    ctx: &RequestContext<'_>,
) -> Option<Box<RequestLog>> {
    // Always there: `record` checked the stage first.
    let log = &ctx.live.as_ref()?.log;
    Some(match spare {
        Some(mut r) => {
            if !std::sync::Arc::ptr_eq(&r.target, log) {
                r.target = log.clone();
            }
            r
        }
        None => Box::new(RequestLog::empty(log.clone())),
    })
}

/// `dst` holding `src` (its buffer reused).
fn set(dst: &mut String, src: &str) {
    dst.clear();
    dst.push_str(src);
}

/// Writes what the record phase queues for `ctx` into `r` (a record handed back by the log
/// thread: every field is set). The request's strings are swapped in, not copied: the
/// context, dropped right after this phase, frees the record's old buffers instead of its
/// own (records go back to the lane of the thread that filled them, so a buffer is freed on
/// the thread that allocated it). The request id is copied when X-Ray still reads it.
fn fill(
    r: &mut RequestLog,
    ctx: &mut RequestContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
    subscribed: bool,
) {
    r.variant = ctx.variant;
    r.epoch_millis = ctx.request_time_epoch + latency.as_millis() as i64;
    match (r.target.format.as_ref(), &mut r.access) {
        (Some(format), Some(values)) => capture_into(values, format, ctx, response, latency),
        (Some(format), access) => {
            *access = Some(capture(format, ctx, response, latency));
        }
        (None, access) => *access = None,
    }
    // After the access values: a variable without a fast path may read these.
    if ctx.xray.is_some() {
        set(&mut r.request_id, &ctx.request_id);
    } else {
        std::mem::swap(&mut r.request_id, &mut ctx.request_id);
    }
    std::mem::swap(&mut r.extended_request_id, &mut ctx.extended_request_id);
    std::mem::swap(&mut r.request_time, &mut ctx.request_time);
    std::mem::swap(&mut r.source_ip, &mut ctx.identity.source_ip);
    r.execution = std::mem::take(&mut ctx.log.lines);
    r.summary = subscribed.then(|| Summary {
        http_method: ctx.req.method.clone(),
        path: ctx.req.path.clone(),
        status: response.status.as_u16(),
        latency,
        resource_path: ctx.method().map(|m| m.resource_path.clone()),
        error: ctx.error.as_ref().and_then(|e| e.log_reason()),
    });
}

#[cfg(test)]
/// What the record phase queues for `ctx`, in a new record.
fn request_log(
    target: std::sync::Arc<crate::engine::logs::StageLog>,
    ctx: &mut RequestContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
    subscribed: bool,
) -> RequestLog {
    let mut r = RequestLog::empty(target);
    fill(&mut r, ctx, response, latency, subscribed);
    r
}

/// The access-log values of `ctx` the stage's format needs (numbers and the method raw, the
/// resource path shared, the variables without a fast path as text).
fn capture(
    format: &AccessFormat,
    ctx: &mut RequestContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
) -> AccessValues {
    let others = format
        .other_names()
        .map(|name| access_value(ctx, response, latency, name))
        .collect();
    AccessValues {
        status: response.status.as_u16(),
        response_length: response.body.len() as u64,
        latency_ms: latency.as_millis() as u64,
        method: ctx.req.method.clone(),
        resource_path: if format.uses_resource_path() {
            ctx.method().map(|m| m.resource_path.clone())
        } else {
            None
        },
        // The record phase is the last to read the context: move, don't copy.
        caller: ctx.identity.caller.take(),
        user: ctx.identity.user.take(),
        others,
    }
}

/// [`capture`] into the values of an earlier request (the `others` vector's buffer kept).
fn capture_into(
    v: &mut AccessValues,
    format: &AccessFormat,
    ctx: &mut RequestContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
) {
    v.others.clear();
    v.others.extend(
        format
            .other_names()
            .map(|name| access_value(ctx, response, latency, name)),
    );
    v.status = response.status.as_u16();
    v.response_length = response.body.len() as u64;
    v.latency_ms = latency.as_millis() as u64;
    v.method = ctx.req.method.clone();
    v.resource_path = if format.uses_resource_path() {
        ctx.method().map(|m| m.resource_path.clone())
    } else {
        None
    };
    v.caller = ctx.identity.caller.take();
    v.user = ctx.identity.user.take();
}

/// `$context.X` as access logs see it: the log-only variables (mapping.md §2), then
/// everything [`respond::context_value`] knows.
pub fn access_value(
    ctx: &RequestContext<'_>,
    response: &InvokeResponse,
    latency: Duration,
    name: &str,
) -> Option<String> {
    let ms = |d: Duration| d.as_millis().to_string();
    match name {
        "status" => Some(response.status.as_u16().to_string()),
        "responseLength" => Some(response.body.len().to_string()),
        "responseLatency" => Some(ms(latency)),
        "integrationLatency" | "integration.latency" => ctx.integration_latency.map(ms),
        "integrationStatus" | "integration.integrationStatus" | "integration.status" => {
            ctx.integration_status.map(|s| s.to_string())
        }
        "integration.error" | "integrationErrorMessage" => ctx
            .error
            .as_ref()
            .filter(|e| e.status() >= 500)
            .and_then(|e| e.message()),
        _ => respond::context_value(ctx, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::logs::{ACCESS_LOG_CLF, ACCESS_LOG_CSV, ACCESS_LOG_JSON, ACCESS_LOG_XML};

    /// The pre-resolved renderer (captured values, formatted on the log thread) writes exactly
    /// what evaluating each variable by name with `access_value` and `render` did, for the
    /// presets and for any other `$context` variable, known or not.
    #[test]
    fn pre_resolved_formats_render_what_evaluating_by_name_renders() {
        use super::super::InvokeRequest;
        let mut headers = http::HeaderMap::new();
        headers.insert("user-agent", http::HeaderValue::from_static("test/1.0"));
        let req = InvokeRequest {
            method: http::Method::POST,
            api_id: "abc123".into(),
            stage: "prod".into(),
            path: "/pets/1".into(),
            query: Some("a=1&b=two".into()),
            headers,
            body: bytes::Bytes::from_static(b"{}"),
            source_ip: std::net::IpAddr::from([10, 1, 2, 3]),
            protocol: "HTTP/1.1",
            context_path: "/prod/pets/1".into(),
            base_path_matched: None,
            client_cert: None,
        };
        // Numbers of every width (the renderer writes them from a table of triples).
        let responses: Vec<(InvokeResponse, Duration)> = [
            (201, 11, 1042),
            (200, 0, 0),
            (504, 1000, 7),
            (404, 12_345, 123_456),
        ]
        .into_iter()
        .map(|(status, len, ms)| {
            let response = InvokeResponse {
                status: http::StatusCode::from_u16(status).unwrap_or_default(),
                headers: http::HeaderMap::new(),
                body: bytes::Bytes::from(vec![b'x'; len]),
            };
            (response, Duration::from_millis(ms))
        })
        .collect();
        let constants = "$context.protocol$context.protocol $context.status$context.protocol.\
            $context.responseLength[$context.protocol]$context.responseLatency";
        let custom = "$context.stage|$context.apiId|$context.path|$context.identity.userAgent|\
            $context.no.such.variable|$context.responseLatency|$context.integrationLatency|\
            $context.identity.caller|$context.identity.user|$context.httpMethod|\
            $context.resourcePath|$context.protocol|$context.status.|$context.requestTimeEpoch|\
            $context.domainName|$context.accountId|$context.deploymentId|$context.";
        let formats = [
            ACCESS_LOG_CLF,
            ACCESS_LOG_JSON,
            ACCESS_LOG_XML,
            ACCESS_LOG_CSV,
            custom,
            constants,
            "$context.protocol",
        ];
        // Every other record refills the previous one (as `Logs::submit_with` does with the
        // records the log thread hands back): nothing of the earlier request may show.
        let mut previous: Option<RequestLog> = None;
        let mut n = 0;
        for (identity, (response, latency)) in
            [false, true, false, true].into_iter().zip(&responses)
        {
            let (response, latency) = (response, *latency);
            for source in formats {
                n += 1;
                let mut ctx = respond::new_context(&req);
                if identity {
                    ctx.identity.caller = Some("AIDAEXAMPLE:caller".into());
                    ctx.identity.user = Some(String::new());
                }
                let format = AccessFormat::parse(source);
                let by_name: Vec<Option<String>> = format
                    .variables()
                    .map(|name| access_value(&ctx, response, latency, &name))
                    .collect();
                let expected = format.render(&by_name);
                let target = std::sync::Arc::new(crate::engine::logs::StageLog {
                    api_id: "abc123".into(),
                    stage: "prod".into(),
                    format: Some(format),
                });
                let record = match previous.take() {
                    Some(mut r) if n % 2 == 0 => {
                        r.target = target;
                        fill(&mut r, &mut ctx, response, latency, false);
                        r
                    }
                    _ => request_log(target, &mut ctx, response, latency, false),
                };
                let mut line = String::from("left over");
                line.clear();
                record.render_access(&mut line);
                assert_eq!(line, expected, "{source}");
                assert!(!line.contains("$context.requestId"), "{line}");
                previous = Some(record);
            }
        }
    }
}
