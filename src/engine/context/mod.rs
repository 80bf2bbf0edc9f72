//! One request's state as the REST pipeline carries it through its phases
//! ([`RequestContext`]), with the request and response types the server hands over and gets
//! back. It sits below the pipeline and the services the phases call (security, integrations,
//! logs): they all read the context, none of them reaches back into the pipeline.

mod authorizer;
mod values;
mod xray_marks;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use indexmap::IndexMap;

pub use authorizer::AuthorizerContext;
pub use values::{context_json, context_value};

use super::binary;
use super::compiled::{CompiledDeployment, CompiledMethod};
use super::error::GatewayError;
use super::live::LiveStage;
use super::logs::{ExecutionLog, Level, PendingLine};
use super::router::RouteMatch;
use super::types::Variant;

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
    /// On a custom domain, the base path the request matched
    /// (`$context.customDomain.basePathMatched`).
    pub base_path_matched: Option<String>,
    /// The certificate the client presented on a custom domain with mutual TLS
    /// (`$context.identity.clientCert`), read once per connection.
    pub client_cert: Option<std::sync::Arc<crate::tls::ClientCert>>,
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
    /// AWS_IAM callers: the SigV4 access key id, account, principal id, user and user ARN.
    pub access_key: Option<String>,
    pub account_id: Option<String>,
    pub caller: Option<String>,
    pub user: Option<String>,
    pub user_arn: Option<String>,
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
    /// Query parameters, URL-decoded, in arrival order (repeats kept): parsed on first use
    /// ([`RequestContext::query`]), so a request nothing reads them for (a cache hit reads
    /// its key parameter from the raw query) decodes and copies none.
    pub query_pairs: std::sync::OnceLock<Vec<(String, String)>>,
    pub live: Option<Arc<LiveStage>>,
    pub variant: Variant,
    pub deployment: Option<Arc<CompiledDeployment>>,
    pub stage_variables: Arc<IndexMap<String, String>>,
    pub route: Option<RouteMatch>,
    pub integration_latency: Option<Duration>,
    pub integration_status: Option<u16>,
    pub cache_hit: Option<bool>,
    /// The cache entry key, built by the cache lookup and reused to store a missed response.
    pub cache_key: Option<String>,
    pub error: Option<GatewayError>,
    /// What the authorizer established (`$context.authorizer.*`).
    pub authorizer: Option<AuthorizerContext>,
    /// Non-proxy Lambda: the integration-response selection string (the function's
    /// `errorMessage`, `""` on success) instead of the status code.
    pub integration_selection: Option<String>,
    /// The method request as mapping templates and expressions see it (built on first use).
    pub mapping_request: Option<crate::mapping::RequestData>,
    /// `$context.requestOverride` / `responseOverride` as the request template left them
    /// (only when it mentions `$context`): the response template reads them, and a status or
    /// header set in `responseOverride` applies to the response.
    pub carried_overrides: Option<serde_json::Value>,
    /// Execution-log lines of this request, appended with [`RequestContext::log`] /
    /// [`RequestContext::log_data`] (see `engine::logs`); the stage's `loggingLevel` decides
    /// what is kept.
    pub log: ExecutionLog,
    /// X-Ray trace state, only on a stage with `tracingEnabled` (see `engine::xray`).
    pub xray: Option<Box<crate::engine::xray::RequestXRay>>,
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

    /// Query parameters, URL-decoded, in arrival order (repeats kept).
    pub fn query(&self) -> &[(String, String)] {
        self.query_pairs
            .get_or_init(|| super::params::parse_query(self.req.query.as_deref()))
    }

    /// The last value of a query parameter (API Gateway's single-value view).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query()
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the request body is of one of the API's binary media types.
    pub fn request_is_binary(&self) -> bool {
        let types = self
            .deployment
            .as_ref()
            .map(|d| d.binary_media_types.as_slice())
            .unwrap_or(&[]);
        binary::is_binary(types, self.header("content-type"))
    }

    /// The method request for mapping (built once per request, on first use).
    pub fn request_data(&mut self) -> &crate::mapping::RequestData {
        if self.mapping_request.is_none() {
            let body = binary::template_text(&self.req.body, self.request_is_binary());
            self.mapping_request = Some(self.mapping_request_with_body(body));
        }
        self.mapping_request.get_or_insert_with(Default::default)
    }
}

impl RequestContext<'_> {
    /// The method request's parameters (path, query, Title-Cased headers) with `body`.
    pub fn mapping_request_with_body(&self, body: String) -> crate::mapping::RequestData {
        crate::mapping::RequestData {
            body,
            path: self
                .route
                .as_ref()
                .map(|r| {
                    r.path_params
                        .iter()
                        .map(|(n, v)| (n.to_string(), v.clone()))
                        .collect()
                })
                .unwrap_or_default(),
            querystring: self.query().to_vec(),
            headers: self
                .req
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        title_case(n.as_str()),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
        }
    }
}

/// `content-type` → `Content-Type`. HTTP/2 and hyper lowercase header names; templates and
/// Lambda events see the conventional capitalisation (docs/ARCHITECTURE.md).
pub fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        upper = c == '-';
    }
    out
}

impl<'a> RequestContext<'a> {
    /// Appends an execution-log line (ops.md §5) if the stage's `loggingLevel` for this method
    /// keeps `level`: INFO keeps everything, ERROR keeps only [`Level::Error`] lines, OFF
    /// (the default) keeps nothing. `message` is only called when the line is kept, so logging
    /// costs one comparison when logging is off:
    ///
    /// ```text
    /// ctx.log(Level::Info, || format!("Endpoint request URI: {url}"));
    /// ctx.log(Level::Error, || "Execution failed due to a timeout error".to_string());
    /// ```
    ///
    /// Use AWS's wording (ops.md §5); don't prefix the request id (the line is rendered as
    /// `({requestId}) {message}`), don't truncate (lines over 1024 bytes are cut with
    /// ` [TRUNCATED]` when written). Lines are written in the order they are appended, after
    /// the request finishes, by the log thread — never on the request task.
    pub fn log(&mut self, level: Level, message: impl FnOnce() -> String) {
        if self.log.settings.level.is_some_and(|keep| level <= keep) {
            let epoch_millis = self.request_time_epoch + self.started.elapsed().as_millis() as i64;
            self.log.lines.push(PendingLine {
                epoch_millis,
                level,
                message: message(),
            });
        }
    }

    /// Appends an INFO line only when `dataTraceEnabled` is on (full headers and bodies, ops.md
    /// §5): e.g. `ctx.log_data(|| format!("Endpoint response body before transformations: {}", ..))`.
    pub fn log_data(&mut self, message: impl FnOnce() -> String) {
        if self.log.settings.data_trace {
            self.log(Level::Info, message);
        }
    }

    /// Whether a line at `level` would be kept (to skip preparing expensive arguments).
    pub fn logs(&self, level: Level) -> bool {
        self.log.settings.level.is_some_and(|keep| level <= keep)
    }
}
