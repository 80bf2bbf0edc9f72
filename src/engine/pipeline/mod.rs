//! The request pipeline: one [`RequestContext`] carried through fixed, named phases in AWS's
//! order (DESIGN.md; execution.md §2). Each phase is a module. `record` always runs.

pub mod api_key;
pub mod auth;
pub mod cache;
pub mod integration_request;
pub mod integration_response;
pub mod record;
pub mod respond;
pub mod route;
pub mod throttle;
pub mod validation;
pub mod variant;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use indexmap::IndexMap;

use super::compiled::{CompiledDeployment, CompiledMethod};
use super::error::GatewayError;
use super::live::{LiveStage, Variant};
use super::router::RouteMatch;
use super::Gateway;

/// Largest request body API Gateway accepts (10 MB).
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

/// A request as the server hands it to the engine.
#[derive(Debug, Clone)]
pub struct InvokeRequest {
    pub method: Method,
    pub api_id: String,
    pub stage: String,
    /// The request path after the stage, starting with `/`, still percent-encoded.
    pub path: String,
    /// The raw query string without `?`.
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub source_ip: IpAddr,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub protocol: &'static str,
    /// The path exactly as the client sent it (for `$context.path` / `requestContext.path`):
    /// `/{stage}{path}`.
    pub context_path: String,
}

#[derive(Debug, Clone)]
pub struct InvokeResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The request's identity fields (`$context.identity.*`).
#[derive(Debug, Clone, Default)]
pub struct Identity {
    pub source_ip: String,
    pub user_agent: Option<String>,
    pub api_key: Option<String>,
    pub api_key_id: Option<String>,
}

/// Everything a request accumulates on its way through the phases.
pub struct RequestContext<'a> {
    pub req: &'a InvokeRequest,
    pub request_id: String,
    pub extended_request_id: String,
    pub request_time: String,
    pub request_time_epoch: i64,
    pub started: Instant,
    pub identity: Identity,
    /// Query parameters, URL-decoded, in arrival order (repeats kept).
    pub query: Vec<(String, String)>,
    pub live: Option<Arc<LiveStage>>,
    pub variant: Variant,
    pub deployment: Option<Arc<CompiledDeployment>>,
    pub stage_variables: Arc<IndexMap<String, String>>,
    pub route: Option<RouteMatch>,
    pub integration_latency: Option<Duration>,
    pub integration_status: Option<u16>,
    pub cache_hit: Option<bool>,
    pub error: Option<GatewayError>,
}

impl<'a> RequestContext<'a> {
    pub fn method(&self) -> Option<&CompiledMethod> {
        let route = self.route.as_ref()?;
        self.deployment.as_ref()?.methods.get(route.method_index)
    }

    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.route
            .as_ref()?
            .path_params
            .iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The last value of a query parameter (API Gateway's single-value view).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// Runs the whole pipeline for one request. Never fails: every error becomes its gateway
/// response.
pub async fn run(gw: &Gateway, req: &InvokeRequest) -> InvokeResponse {
    let mut ctx = respond::new_context(req);
    let outcome = execute(gw, &mut ctx).await;
    let response = match outcome {
        Ok(resp) => resp,
        Err(err) => {
            let resp = respond::gateway_error(&ctx, &err);
            ctx.error = Some(err);
            resp
        }
    };
    let response = respond::finish(&ctx, response);
    record::record(gw, &ctx, &response);
    response
}

async fn execute(gw: &Gateway, ctx: &mut RequestContext<'_>) -> Result<InvokeResponse, GatewayError> {
    route::run(gw, ctx)?;
    variant::run(gw, ctx);
    route::resolve_method(ctx)?;
    auth::run(gw, ctx).await?;
    api_key::run(gw, ctx)?;
    throttle::run(gw, ctx)?;
    validation::run(gw, ctx)?;
    if let Some(hit) = cache::lookup(gw, ctx)? {
        return Ok(hit);
    }
    let prepared = integration_request::run(gw, ctx)?;
    let raw = super::integrations::call(gw, ctx, prepared).await?;
    let mut response = integration_response::run(gw, ctx, raw)?;
    cache::store(gw, ctx, &mut response);
    Ok(response)
}

/// Answers a request the server refused before the pipeline could run (e.g. a body over
/// 10 MB), still through the gateway-response rendering and the record phase.
pub fn reject(gw: &Gateway, req: &InvokeRequest, err: GatewayError) -> InvokeResponse {
    let mut ctx = respond::new_context(req);
    let response = respond::gateway_error(&ctx, &err);
    ctx.error = Some(err);
    let response = respond::finish(&ctx, response);
    record::record(gw, &ctx, &response);
    response
}
