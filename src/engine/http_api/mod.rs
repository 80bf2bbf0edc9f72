//! The HTTP API (API Gateway v2) data plane: its own pipeline with fixed phases — route
//! (stage, then route by priority), auth (JWT, Lambda REQUEST, IAM), throttle (route or
//! stage default, then the account), integration (Lambda payload 2.0/1.0, HTTP proxy with
//! parameter mapping), respond (built-in CORS, response mapping) and record (metrics, access
//! log). It shares `integrations::http`, the function registry, token buckets, metrics and
//! logs with the REST pipeline and never calls into it (DESIGN.md "Growing").

pub mod auth;
pub mod cors;
pub mod event;
pub mod integration;
pub mod integration_subtype;
pub mod jwt;
pub mod lambda_authorizer;
/// The HTTP APIs' live state lives with the rest of the data plane's (`engine::live`).
pub use crate::engine::live::http_api as live;
pub mod mapping;
pub mod record;
pub mod respond;

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::Value;
use time::OffsetDateTime;
use time::macros::format_description;

use crate::engine::Gateway;
use crate::engine::context::{InvokeRequest, InvokeResponse};
use live::{CompiledRoute, LiveHttpApi, LiveHttpStage};
use respond::HttpError;

/// What a request accumulates on its way through the phases.
pub struct HttpContext<'a> {
    pub req: &'a InvokeRequest,
    pub stage: Arc<LiveHttpStage>,
    /// The path routed on (after the stage), still percent-encoded.
    pub path: String,
    /// Index into `stage.compiled.routes` and the path parameters.
    pub route: Option<(usize, Vec<(String, String)>)>,
    pub request_id: String,
    /// `dd/MMM/yyyy:HH:mm:ss +0000`.
    pub request_time: String,
    pub epoch_millis: i64,
    pub started: Instant,
    /// Decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// `requestContext.authorizer` (`{"jwt": …}`, `{"lambda": …}`, `{"iam": …}`).
    pub authorizer: Option<Value>,
    pub integration_latency: Option<Duration>,
    pub integration_status: Option<u16>,
    /// Why the request failed, for `$context.error.message` / the console.
    pub error: Option<String>,
    pub authorizer_error: Option<String>,
}

impl HttpContext<'_> {
    pub fn route(&self) -> Option<&CompiledRoute> {
        let (i, _) = self.route.as_ref()?;
        self.stage.compiled.routes.get(*i)
    }

    pub fn route_key(&self) -> &str {
        self.route().map_or("-", |r| &r.route_key)
    }

    pub fn path_params(&self) -> &[(String, String)] {
        self.route.as_ref().map_or(&[], |(_, p)| p.as_slice())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Every value of a header, comma-joined (how HTTP APIs present repeated headers).
    pub fn header_joined(&self, name: &str) -> Option<String> {
        let mut values = self
            .req
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let first = values.next()?;
        Some(values.fold(first, |mut acc, v| {
            acc.push(',');
            acc.push_str(&v);
            acc
        }))
    }

    /// Every value of a query parameter, comma-joined.
    pub fn query_joined(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .query
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        (!values.is_empty()).then(|| values.join(","))
    }

    /// The path as the client sent it: `/{stage}{path}` for named stages, the path for
    /// `$default`, the whole path on a custom domain (`rawPath`, `requestContext.http.path`).
    pub fn raw_path(&self) -> String {
        if self.req.base_path_matched.is_some() {
            return self.req.context_path.clone();
        }
        if self.stage.stage_name == crate::model::v2::DEFAULT {
            self.path.clone()
        } else if self.path == "/" {
            format!("/{}", self.stage.stage_name)
        } else {
            format!("/{}{}", self.stage.stage_name, self.path)
        }
    }

    pub fn domain_name(&self) -> String {
        self.header("host")
            .map(|h| {
                h.rsplit_once(':').map_or(h, |(name, port)| {
                    if port.bytes().all(|b| b.is_ascii_digit()) {
                        name
                    } else {
                        h
                    }
                })
            })
            .unwrap_or_default()
            .to_string()
    }
}

/// The stage a request names: the first path segment when the API has that stage, else the
/// `$default` stage with the whole path. On a custom domain, the mapping's stage.
fn resolve_stage(api: &LiveHttpApi, req: &InvokeRequest) -> Option<(Arc<LiveHttpStage>, String)> {
    if let Some(stage) = api.stages.get(&req.stage) {
        return Some((stage.clone(), req.path.clone()));
    }
    if req.base_path_matched.is_some() {
        return None;
    }
    let stage = api.stages.get(crate::model::v2::DEFAULT)?;
    let path = if req.context_path.is_empty() {
        "/".to_string()
    } else {
        req.context_path.clone()
    };
    Some((stage.clone(), path))
}

fn new_context(req: &InvokeRequest, stage: Arc<LiveHttpStage>, path: String) -> HttpContext<'_> {
    let now = OffsetDateTime::now_utc();
    let mut id = [0u8; 10];
    rand::fill(&mut id);
    let format =
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    HttpContext {
        req,
        stage,
        path,
        route: None,
        request_id: base64::engine::general_purpose::STANDARD.encode(id),
        request_time: now.format(format).unwrap_or_default(),
        epoch_millis: (now.unix_timestamp_nanos() / 1_000_000) as i64,
        started: Instant::now(),
        query: crate::engine::params::parse_query(req.query.as_deref()),
        authorizer: None,
        integration_latency: None,
        integration_status: None,
        error: None,
        authorizer_error: None,
    }
}

/// Runs one request through the HTTP API pipeline. Never fails: an error becomes its
/// response.
pub async fn run(gw: &Gateway, api: Arc<LiveHttpApi>, req: &InvokeRequest) -> InvokeResponse {
    if api.disable_execute_api_endpoint && req.base_path_matched.is_none() {
        return respond::bare_error(HttpError::Forbidden);
    }
    let Some((stage, path)) = resolve_stage(&api, req) else {
        return respond::bare_error(HttpError::NotFound);
    };
    let mut ctx = new_context(req, stage, path);
    let outcome = phases(gw, &mut ctx).await;
    let response = respond::finish(&mut ctx, outcome);
    record::record(gw, &mut ctx, &response);
    response
}

async fn phases(gw: &Gateway, ctx: &mut HttpContext<'_>) -> Result<InvokeResponse, HttpError> {
    if let Some(preflight) = cors::preflight(ctx) {
        return Ok(preflight);
    }
    let (index, params) = ctx
        .stage
        .compiled
        .route(ctx.req.method.as_str(), &ctx.path)
        .ok_or(HttpError::NotFound)?;
    ctx.route = Some((index, params));
    auth::run(gw, ctx).await?;
    throttle(gw, ctx, index).await?;
    integration::run(gw, ctx).await
}

/// The route's bucket (route settings, else the stage's defaults), then the account's; a
/// rejection gives back what was taken.
async fn throttle(gw: &Gateway, ctx: &HttpContext<'_>, index: usize) -> Result<(), HttpError> {
    let traffic = &gw.inner.traffic;
    let now = traffic.clock.now();
    let route_bucket = ctx.stage.buckets.get(index).and_then(|b| b.as_deref());
    let one = [&*traffic.account];
    let two;
    let buckets: &[&crate::engine::throttle::TokenBucket] = match route_bucket {
        Some(b) => {
            two = [b, &*traffic.account];
            &two
        }
        None => &one,
    };
    let ok = match &traffic.cluster {
        None => crate::engine::throttle::take_all(buckets, now),
        // Boxed (cluster mode only): see `pipeline::throttle`.
        Some(cluster) => Box::pin(crate::engine::throttle::lease::take_all_shared(
            cluster, buckets, now,
        ))
        .await
        .is_some(),
    };
    if ok {
        Ok(())
    } else {
        Err(HttpError::TooManyRequests)
    }
}

/// A body over 10 MB (refused by the server before the pipeline): 413 with AWS's plain-text
/// message, counted at the stage when it exists.
pub fn too_large(gw: &Gateway, api: Arc<LiveHttpApi>, req: &InvokeRequest) -> InvokeResponse {
    let Some((stage, path)) = resolve_stage(&api, req) else {
        return respond::bare_error(HttpError::PayloadTooLarge);
    };
    let mut ctx = new_context(req, stage, path);
    let response = respond::finish(&mut ctx, Err(HttpError::PayloadTooLarge));
    record::record(gw, &mut ctx, &response);
    response
}
