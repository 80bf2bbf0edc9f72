//! The request pipeline: one [`RequestContext`] carried through fixed, named phases in AWS's
//! order (DESIGN.md; execution.md §2). Each phase is a module. `record` always runs.

pub mod api_key;
pub mod auth;
pub mod cache;
pub mod integration_request;
pub mod integration_response;
mod mock_status;
pub mod record;
pub mod remapped_headers;
pub mod respond;
pub mod route;
pub mod throttle;
pub mod validation;
pub mod variant;

use std::sync::Arc;
use std::time::Duration;

use super::Gateway;
pub(crate) use super::binary;
pub use super::context::{
    Identity, InvokeRequest, InvokeResponse, MAX_BODY_BYTES, RequestContext, title_case,
};
use super::error::GatewayError;
use super::live::LiveStage;
use super::logs::{
    ExecutionLog, Level, LogSettings, headers_for_log, java_map, method_response_headers_for_log,
};

/// Runs the whole pipeline for one request. Never fails: every error becomes its gateway
/// response.
pub async fn run(gw: &Gateway, req: &InvokeRequest) -> InvokeResponse {
    let mut ctx = respond::new_context(req);
    let outcome = execute(gw, &mut ctx).await;
    let response = conclude(&mut ctx, outcome);
    record::record(gw, &mut ctx, &response);
    response
}

/// What TestInvokeMethod gets back from the pipeline: the response, the request's
/// execution-log lines (every line, at INFO with data trace) and how long it took.
#[derive(Debug)]
pub struct TestRun {
    pub response: InvokeResponse,
    pub request_id: String,
    pub log: ExecutionLog,
    pub latency: Duration,
    /// The method failed: the response is a gateway response (an error).
    pub failed: bool,
}

/// TestInvokeMethod (model.md; the AWS console's "Test" button): runs `req` against `live`,
/// a stage built for this one call from the API's current, undeployed definition. As on AWS,
/// authorization, API keys, throttling and the cache are skipped, every execution-log line
/// is kept, and nothing is recorded (no metrics, no access log).
/// A path that leads elsewhere than `resource_path` still runs the method, with no path
/// parameters, as AWS's test does.
pub async fn run_test(
    gw: &Gateway,
    req: &InvokeRequest,
    live: Arc<LiveStage>,
    resource_path: &str,
) -> TestRun {
    let mut ctx = respond::new_context(req);
    ctx.stage_variables = live.variables.clone();
    ctx.deployment = Some(live.deployment.clone());
    ctx.live = Some(live);
    ctx.log.settings = LogSettings {
        level: Some(Level::Info),
        data_trace: true,
    };
    let outcome = async {
        if route::resolve_method(&mut ctx).is_err() {
            route::resolve_method_at(&mut ctx, resource_path)?;
        }
        log_method_request(&mut ctx);
        integrate(gw, &mut ctx).await
    }
    .await;
    let response = conclude(&mut ctx, outcome);
    TestRun {
        response,
        latency: ctx.started.elapsed(),
        failed: ctx.error.is_some(),
        request_id: ctx.request_id,
        log: ctx.log,
    }
}

/// Turns the phases' outcome into the response the client gets (an error becomes its
/// gateway response) and logs how the method completed.
fn conclude(
    ctx: &mut RequestContext<'_>,
    outcome: Result<InvokeResponse, GatewayError>,
) -> InvokeResponse {
    let response = match outcome {
        Ok(resp) => {
            ctx.log(Level::Info, || {
                "Successfully completed execution".to_string()
            });
            resp
        }
        Err(err) => {
            if let Some(reason) = err.log_reason() {
                ctx.log(Level::Error, || reason);
            }
            let resp = respond::gateway_error(ctx, &err);
            ctx.error = Some(err);
            resp
        }
    };
    let response = respond::finish(ctx, response);
    let status = response.status.as_u16();
    let level = if status >= 500 {
        Level::Error
    } else {
        Level::Info
    };
    ctx.log(level, || format!("Method completed with status: {status}"));
    response
}

async fn execute(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
) -> Result<InvokeResponse, GatewayError> {
    route::run(gw, ctx)?;
    if let Some(live) = &ctx.live {
        ctx.log.settings = LogSettings::of(&live.stage, None);
        if live.stage.tracing_enabled {
            ctx.xray = Some(
                gw.inner
                    .xray
                    .begin(ctx.header("x-amzn-trace-id"), ctx.request_time_epoch),
            );
        }
    }
    variant::run(gw, ctx);
    let resolved = route::resolve_method(ctx);
    if let (Some(live), Some(m)) = (&ctx.live, ctx.method()) {
        ctx.log.settings = LogSettings::of(&live.stage, Some((&m.resource_path, &m.http_method)));
    }
    if ctx.logs(Level::Info) {
        let line = format!("Extended Request Id: {}", ctx.extended_request_id);
        ctx.log(Level::Info, || line);
    }
    resolved?;
    let authorizes = ctx.xray.is_some()
        && ctx
            .method()
            .is_some_and(|m| m.method.authorization_type != crate::model::AuthorizationType::None);
    if authorizes {
        ctx.xray_auth_start();
    }
    auth::run(gw, ctx).await?;
    if authorizes {
        ctx.xray_auth_end();
    }
    api_key::run(gw, ctx)?;
    throttle::run(gw, ctx).await?;
    log_method_request(ctx);
    integrate(gw, ctx).await
}

/// The phases from validation to the method response: what a request does once it is
/// admitted (shared by client requests and TestInvokeMethod).
async fn integrate(
    gw: &Gateway,
    ctx: &mut RequestContext<'_>,
) -> Result<InvokeResponse, GatewayError> {
    validation::run(gw, ctx)?;
    if let Some(hit) = cache::lookup(gw, ctx).await? {
        return Ok(hit);
    }
    ctx.xray_integration_start();
    let prepared = integration_request::run(gw, ctx)?;
    if let integration_request::Prepared::Http {
        url, headers, body, ..
    } = &prepared
    {
        ctx.log(Level::Info, || format!("Endpoint request URI: {url}"));
        ctx.log_data(|| format!("Endpoint request headers: {}", headers_for_log(headers)));
        ctx.log_data(|| {
            format!(
                "Endpoint request body after transformations: {}",
                String::from_utf8_lossy(body)
            )
        });
        ctx.log(Level::Info, || format!("Sending request to {url}"));
    }
    let raw = super::integrations::call(gw, ctx, prepared).await?;
    ctx.xray_integration_end();
    if let Some(status) = ctx.integration_status {
        let ms = ctx.integration_latency.unwrap_or_default().as_millis();
        ctx.log(Level::Info, || {
            format!("Received response. Status: {status}, Integration latency: {ms} ms")
        });
        ctx.log_data(|| {
            format!(
                "Endpoint response headers: {}",
                headers_for_log(&raw.headers)
            )
        });
        ctx.log_data(|| {
            format!(
                "Endpoint response body before transformations: {}",
                String::from_utf8_lossy(&raw.body)
            )
        });
    }
    let mut response = integration_response::run(gw, ctx, raw)?;
    ctx.log_data(|| {
        format!(
            "Method response body after transformations: {}",
            String::from_utf8_lossy(&response.body)
        )
    });
    ctx.log(Level::Info, || {
        format!(
            "Method response headers: {}",
            method_response_headers_for_log(&response.headers)
        )
    });
    cache::store(gw, ctx, &mut response).await;
    Ok(response)
}

/// The execution-log lines describing the method request (ops.md §5).
fn log_method_request(ctx: &mut RequestContext<'_>) {
    if !ctx.logs(Level::Info) {
        return;
    }
    let mut lines = vec![
        format!("Starting execution for request: {}", ctx.request_id),
        // AWS prints the request's path here, not the resource template.
        format!(
            "HTTP Method: {}, Resource Path: {}",
            ctx.req.method, ctx.req.path
        ),
        format!(
            "Method request path: {}",
            java_map(ctx.route.iter().flat_map(|r| {
                r.path_params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.as_str()))
            }))
        ),
        format!(
            "Method request query string: {}",
            java_map(ctx.query().iter().map(|(k, v)| (k.as_str(), v.as_str())))
        ),
    ];
    if ctx.log.settings.data_trace {
        lines.push(format!(
            "Method request headers: {}",
            headers_for_log(&ctx.req.headers)
        ));
        lines.push(format!(
            "Method request body before transformations: {}",
            String::from_utf8_lossy(&ctx.req.body)
        ));
    }
    for line in lines {
        ctx.log(Level::Info, || line);
    }
}

/// Answers a request the server refused before the pipeline could run (e.g. a body over
/// 10 MB), still through the gateway-response rendering and the record phase.
pub fn reject(gw: &Gateway, req: &InvokeRequest, err: GatewayError) -> InvokeResponse {
    let mut ctx = respond::new_context(req);
    // Knowing the stage lets the record phase count the refusal at the stage level.
    let _ = route::run(gw, &mut ctx);
    let response = respond::gateway_error(&ctx, &err);
    ctx.error = Some(err);
    let response = respond::finish(&ctx, response);
    record::record(gw, &mut ctx, &response);
    response
}
