//! What the HTTP API data plane reads: a deployment compiled once (routes parsed and sorted by
//! precedence, integrations and parameter mappings parsed, authorizers by id), and per stage
//! its variables, throttle buckets and access-log format. Built with every route-map swap.

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::engine::functions::parse_function_uri;
use crate::engine::logs::{AccessFormat, StageLog};
use crate::engine::throttle::{Limits, TokenBucket};
use crate::engine::traffic::Traffic;
use crate::model::AdminError;
use crate::model::v2::integration_subtype::{self, Subtype};
use crate::model::v2::mapping::{self, MappingKey, Part, Side};
use crate::model::v2::route_key::Segment;
use crate::model::v2::{
    Authorizer, Cors, DEFAULT, HttpApiDefinition, RouteKey, RouteSettings, Stage,
};

/// A parameter mapping, parsed.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub key: MappingKey,
    pub value: Vec<Part>,
}

#[derive(Debug)]
pub enum Backend {
    /// A Lambda function URI (may hold `${stageVariables.x}`), its payload format version.
    Lambda { uri: String, version_2: bool },
    /// An HTTP_PROXY URL (may hold `{param}` and `${stageVariables.x}`), its method (`None`:
    /// the request's).
    Http {
        uri: String,
        method: Option<http::Method>,
    },
    /// An AWS service action (`integrationSubtype`): its request parameters by name, parsed.
    Service {
        subtype: &'static Subtype,
        params: Vec<(String, Vec<Part>)>,
    },
}

#[derive(Debug)]
pub struct CompiledIntegration {
    pub backend: Backend,
    pub timeout: std::time::Duration,
    pub request: Vec<Mapping>,
    /// By backend status code.
    pub response: Vec<(u16, Vec<Mapping>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAuth {
    None,
    Iam,
    Jwt { authorizer_id: String },
    Lambda { authorizer_id: String },
}

#[derive(Debug)]
pub struct CompiledRoute {
    pub route_key: Arc<str>,
    pub key: RouteKey,
    /// For metrics: the path (`$default` for the default route) and the verb (`ANY`).
    pub metric_path: Arc<str>,
    pub metric_verb: Arc<str>,
    pub auth: RouteAuth,
    pub scopes: Vec<String>,
    pub integration: Option<Arc<CompiledIntegration>>,
}

/// One frozen, compiled HTTP API deployment.
#[derive(Debug)]
pub struct CompiledHttpApi {
    /// Sorted so that the first route that matches is the one AWS picks.
    pub routes: Vec<CompiledRoute>,
    pub authorizers: HashMap<String, Arc<Authorizer>>,
    pub cors: Option<Cors>,
    /// A WebSocket API's deployment (its routes are not HTTP routes).
    pub websocket: Option<Arc<super::websocket::CompiledWebSocket>>,
}

fn mappings(map: &IndexMap<String, String>, side: Side) -> Result<Vec<Mapping>, AdminError> {
    map.iter()
        .map(|(k, v)| {
            Ok(Mapping {
                key: MappingKey::parse(k, side)?,
                value: mapping::parse_value(v, side)?,
            })
        })
        .collect()
}

impl CompiledHttpApi {
    pub fn compile(def: &HttpApiDefinition) -> Result<CompiledHttpApi, AdminError> {
        if def.is_websocket() {
            return Ok(CompiledHttpApi {
                routes: Vec::new(),
                authorizers: HashMap::new(),
                cors: None,
                websocket: Some(Arc::new(super::websocket::CompiledWebSocket::compile(def)?)),
            });
        }
        let mut integrations = HashMap::new();
        for i in &def.integrations {
            let backend = match (i.integration_type.as_str(), &i.integration_subtype) {
                (_, Some(name)) => Backend::Service {
                    subtype: integration_subtype::lookup(name).ok_or_else(|| {
                        AdminError::bad_request(format!(
                            "Invalid integration subtype specified: {name}"
                        ))
                    })?,
                    params: i
                        .request_parameters
                        .iter()
                        .map(|(k, v)| Ok((k.clone(), mapping::parse_value(v, Side::Request)?)))
                        .collect::<Result<_, AdminError>>()?,
                },
                ("AWS_PROXY", None) => {
                    let uri = i.integration_uri.clone().unwrap_or_default();
                    Backend::Lambda {
                        uri,
                        version_2: i.payload_format_version.as_deref() == Some("2.0"),
                    }
                }
                _ => Backend::Http {
                    uri: i.integration_uri.clone().unwrap_or_default(),
                    method: i
                        .integration_method
                        .as_deref()
                        .filter(|m| *m != "ANY")
                        .and_then(|m| http::Method::from_bytes(m.as_bytes()).ok()),
                },
            };
            let mut response = Vec::new();
            for (status, params) in &i.response_parameters {
                let code = status.parse::<u16>().map_err(|_| {
                    AdminError::bad_request(format!("Invalid response parameters key: {status}"))
                })?;
                response.push((code, mappings(params, Side::Response)?));
            }
            integrations.insert(
                i.integration_id.clone(),
                Arc::new(CompiledIntegration {
                    backend,
                    timeout: std::time::Duration::from_millis(
                        i.timeout_in_millis.clamp(50, 30_000) as u64,
                    ),
                    request: if i.integration_subtype.is_some() {
                        Vec::new()
                    } else {
                        mappings(&i.request_parameters, Side::Request)?
                    },
                    response,
                }),
            );
        }
        let mut routes = Vec::new();
        for r in &def.routes {
            let key = RouteKey::parse(&r.route_key)?;
            let (metric_verb, metric_path) = match &key {
                RouteKey::Default => ("ANY".to_string(), DEFAULT.to_string()),
                RouteKey::Path { verb, segments } => (
                    verb.clone().unwrap_or_else(|| "ANY".into()),
                    format!(
                        "/{}",
                        segments
                            .iter()
                            .map(|s| match s {
                                Segment::Literal(l) => l.clone(),
                                Segment::Param(p) => format!("{{{p}}}"),
                                Segment::Greedy(p) => format!("{{{p}+}}"),
                            })
                            .collect::<Vec<_>>()
                            .join("/")
                    ),
                ),
            };
            let authorizer = || {
                r.authorizer_id.clone().ok_or_else(|| {
                    AdminError::bad_request(format!(
                        "Route {} uses {} authorization without an authorizerId",
                        r.route_key, r.authorization_type
                    ))
                })
            };
            let auth = match r.authorization_type.as_str() {
                "JWT" => RouteAuth::Jwt {
                    authorizer_id: authorizer()?,
                },
                "CUSTOM" => RouteAuth::Lambda {
                    authorizer_id: authorizer()?,
                },
                "AWS_IAM" => RouteAuth::Iam,
                _ => RouteAuth::None,
            };
            let integration = match r.integration_id() {
                Some(id) => Some(integrations.get(id).cloned().ok_or_else(|| {
                    AdminError::bad_request(format!(
                        "Route {} targets integration {id}, which does not exist",
                        r.route_key
                    ))
                })?),
                None => None,
            };
            routes.push(CompiledRoute {
                route_key: r.route_key.as_str().into(),
                key,
                metric_path: metric_path.into(),
                metric_verb: metric_verb.into(),
                auth,
                scopes: r.authorization_scopes.clone(),
                integration,
            });
        }
        routes.sort_by(|a, b| a.key.precedence(&b.key));
        Ok(CompiledHttpApi {
            routes,
            authorizers: def
                .authorizers
                .iter()
                .map(|a| (a.authorizer_id.clone(), Arc::new(a.clone())))
                .collect(),
            cors: def.api.cors_configuration.clone(),
            websocket: None,
        })
    }

    /// The route a request takes (its index in `routes`), with its path parameters.
    pub fn route(&self, method: &str, path: &str) -> Option<(usize, Vec<(String, String)>)> {
        let trimmed = path.strip_prefix('/').unwrap_or(path);
        let segs: Vec<&str> = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed.split('/').collect()
        };
        self.routes
            .iter()
            .enumerate()
            .find_map(|(i, r)| r.key.matches(method, &segs).map(|p| (i, p)))
    }
}

/// A stage as requests see it.
#[derive(Debug)]
pub struct LiveHttpStage {
    pub stage_name: String,
    pub compiled: Arc<CompiledHttpApi>,
    pub variables: Arc<IndexMap<String, String>>,
    /// Per compiled route (same index): its throttle bucket when the stage limits it.
    pub buckets: Vec<Option<Arc<TokenBucket>>>,
    /// A WebSocket API's routes by key: the bucket of the route's `routeSettings` (else the
    /// stage's `defaultRouteSettings`) when they set a throttle.
    pub websocket_buckets: HashMap<String, Arc<TokenBucket>>,
    pub log: Arc<StageLog>,
    /// `defaultRouteSettings.loggingLevel` / `dataTraceEnabled` (WebSocket execution logs).
    pub logging: crate::engine::logs::LogSettings,
}

/// An HTTP API as requests see it.
#[derive(Debug)]
pub struct LiveHttpApi {
    pub disable_execute_api_endpoint: bool,
    /// `protocolType: WEBSOCKET`.
    pub websocket: bool,
    pub stages: HashMap<String, Arc<LiveHttpStage>>,
}

fn limits(s: &RouteSettings) -> Option<Limits> {
    match (s.throttling_rate_limit, s.throttling_burst_limit) {
        (None, None) => None,
        (rate, burst) => Some(Limits::new(
            rate.unwrap_or(f64::from(u32::MAX)),
            burst.unwrap_or(i64::from(u32::MAX)),
        )),
    }
}

/// Builds a live stage; buckets whose limits are unchanged are taken over from `previous`.
pub fn live_stage(
    api_id: &str,
    stage: &Stage,
    compiled: Arc<CompiledHttpApi>,
    traffic: &Traffic,
    previous: Option<&LiveHttpStage>,
) -> LiveHttpStage {
    let now = traffic.clock.now();
    let buckets = compiled
        .routes
        .iter()
        .map(|r| {
            let settings = stage.route_settings.get(&*r.route_key);
            let limit = settings
                .and_then(limits)
                .or_else(|| limits(&stage.default_route_settings))?;
            let reused = previous.and_then(|p| {
                let i = p
                    .compiled
                    .routes
                    .iter()
                    .position(|o| o.route_key == r.route_key)?;
                p.buckets.get(i)?.clone().filter(|b| b.limits() == limit)
            });
            Some(reused.unwrap_or_else(|| {
                Arc::new(traffic.standalone_bucket(
                    &format!("http/{api_id}/{}/{}", stage.stage_name, r.route_key),
                    limit,
                    now,
                ))
            }))
        })
        .collect();
    let websocket_buckets = compiled
        .websocket
        .as_ref()
        .map(|ws| {
            ws.routes
                .keys()
                .filter_map(|key| {
                    let limit = stage
                        .route_settings
                        .get(key)
                        .and_then(limits)
                        .or_else(|| limits(&stage.default_route_settings))?;
                    let reused = previous
                        .and_then(|p| p.websocket_buckets.get(key))
                        .filter(|b| b.limits() == limit)
                        .cloned();
                    let bucket = reused.unwrap_or_else(|| {
                        Arc::new(traffic.standalone_bucket(
                            &format!("ws/{api_id}/{}/{key}", stage.stage_name),
                            limit,
                            now,
                        ))
                    });
                    Some((key.clone(), bucket))
                })
                .collect()
        })
        .unwrap_or_default();
    LiveHttpStage {
        stage_name: stage.stage_name.clone(),
        compiled,
        variables: Arc::new(stage.stage_variables.clone()),
        buckets,
        websocket_buckets,
        logging: crate::engine::logs::LogSettings {
            level: match stage.default_route_settings.logging_level.as_deref() {
                Some("INFO") => Some(crate::engine::logs::Level::Info),
                Some("ERROR") => Some(crate::engine::logs::Level::Error),
                _ => None,
            },
            data_trace: stage.default_route_settings.data_trace_enabled == Some(true),
        },
        log: Arc::new(StageLog {
            api_id: api_id.to_string(),
            stage: stage.stage_name.clone(),
            format: stage
                .access_log_settings
                .as_ref()
                .and_then(|s| s.format.as_deref())
                .filter(|f| !f.is_empty())
                .map(AccessFormat::parse),
        }),
    }
}

/// `(function name, qualifier)` of a Lambda URI after stage-variable substitution.
pub fn lambda_target(
    uri: &str,
    variables: &IndexMap<String, String>,
) -> Option<(String, Option<String>)> {
    let uri = crate::engine::params::substitute_stage_variables(uri, variables);
    parse_function_uri(&uri)
}
