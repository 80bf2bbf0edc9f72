//! A WebSocket API deployment compiled once: routes by key, selection expressions parsed,
//! integrations with their VTL templates parsed and integration responses' regexes compiled.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

pub mod selection;

use self::selection::Selection;
use crate::engine::schema::ModelValidator;
use crate::model::AdminError;
use crate::model::v2::websocket::{CONNECT, DEFAULT, DISCONNECT};
use crate::model::v2::{Authorizer, HttpApiDefinition};
use crate::vtl::Template;

#[derive(Debug)]
pub enum Backend {
    Mock,
    /// A Lambda function URI (may hold `${stageVariables.x}`).
    Lambda {
        uri: String,
    },
    /// HTTP (`proxy: false`, templates apply) or HTTP_PROXY.
    Http {
        uri: String,
        method: http::Method,
        proxy: bool,
    },
    /// `AWS` with a Lambda function URI: the function's payload is the request template's
    /// output (or the passed-through message), its result goes through the integration
    /// responses.
    AwsLambda {
        uri: String,
    },
    /// `AWS` with `arn:aws:apigateway:{region}:{service}:action/…|path/…`: a signed request
    /// to the `[aws]` endpoint, as REST's AWS integrations send it.
    AwsService {
        uri: String,
        method: String,
        /// `integration.request.{header|querystring|path}.{name}` → source, in order.
        parameters: Vec<(crate::engine::compiled::ParamLocation, String, String)>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Passthrough {
    WhenNoMatch,
    Never,
    WhenNoTemplates,
}

/// `contentHandlingStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentHandling {
    /// Base64 text → binary.
    ConvertToBinary,
    /// Binary → base64 text.
    ConvertToText,
}

pub fn content_handling(c: Option<&str>) -> Option<ContentHandling> {
    match c {
        Some("CONVERT_TO_BINARY") => Some(ContentHandling::ConvertToBinary),
        Some("CONVERT_TO_TEXT") => Some(ContentHandling::ConvertToText),
        _ => None,
    }
}

#[derive(Debug)]
pub struct CompiledIntegrationResponse {
    pub content_handling: Option<ContentHandling>,
    /// `None`: `$default`.
    pub pattern: Option<regex::Regex>,
    pub template_selection: Option<Selection>,
    pub templates: Vec<(String, Arc<Template>)>,
}

#[derive(Debug)]
pub struct CompiledIntegration {
    pub backend: Backend,
    pub timeout: Duration,
    pub template_selection: Option<Selection>,
    pub request_templates: Vec<(String, Arc<Template>)>,
    pub passthrough: Passthrough,
    pub content_handling: Option<ContentHandling>,
    /// Regex keys in creation order, `$default` last.
    pub responses: Vec<CompiledIntegrationResponse>,
}

#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Iam,
    Lambda(Arc<Authorizer>),
}

#[derive(Debug)]
pub struct CompiledRoute {
    pub route_key: Arc<str>,
    pub auth: Auth,
    pub api_key_required: bool,
    /// `routeResponseSelectionExpression: $default` and a `$default` route response: the
    /// integration's output goes back to the client.
    pub two_way: bool,
    pub integration: Option<Arc<CompiledIntegration>>,
    /// `requestModels` by selection key, compiled; chosen by `model_selection`.
    pub models: Vec<(String, Arc<ModelValidator>)>,
    pub model_selection: Option<Selection>,
}

impl CompiledRoute {
    /// The request model a message must satisfy: the selection's key, else `$default`.
    pub fn model(&self, body: Option<&serde_json::Value>) -> Option<&ModelValidator> {
        if self.models.is_empty() {
            return None;
        }
        let key = self
            .model_selection
            .as_ref()
            .map(|s| s.eval(body, &serde_json::Value::Null));
        key.as_deref()
            .and_then(|k| self.models.iter().find(|(m, _)| m == k))
            .or_else(|| self.models.iter().find(|(m, _)| m == DEFAULT))
            .map(|(_, v)| &**v)
    }
}

#[derive(Debug)]
pub struct CompiledWebSocket {
    pub route_selection: Selection,
    /// `apiKeySelectionExpression: $context.authorizer.usageIdentifierKey`: the key is the
    /// `$connect` Lambda authorizer's `usageIdentifierKey` (else the `x-api-key` header).
    pub api_key_from_authorizer: bool,
    /// By route key as stored (`\$default` for a literal `$default` key).
    pub routes: HashMap<String, Arc<CompiledRoute>>,
}

fn templates(
    map: &indexmap::IndexMap<String, String>,
) -> Result<Vec<(String, Arc<Template>)>, AdminError> {
    map.iter()
        .map(|(k, t)| {
            Template::parse(t)
                .map(|t| (k.clone(), Arc::new(t)))
                .map_err(|e| {
                    AdminError::bad_request(format!("Invalid mapping expression specified: {e}"))
                })
        })
        .collect()
}

/// An AWS service integration's `requestParameters`: `integration.request.header.X`,
/// `.querystring.X` or `.path.X` (the destination) → a source expression.
fn service_parameters(
    map: &indexmap::IndexMap<String, String>,
) -> Result<Vec<(crate::engine::compiled::ParamLocation, String, String)>, AdminError> {
    use crate::engine::compiled::ParamLocation;
    map.iter()
        .map(|(dest, source)| {
            let (location, name) = if let Some(n) = dest.strip_prefix("integration.request.header.")
            {
                (ParamLocation::Header, n)
            } else if let Some(n) = dest.strip_prefix("integration.request.querystring.") {
                (ParamLocation::Query, n)
            } else if let Some(n) = dest.strip_prefix("integration.request.path.") {
                (ParamLocation::Path, n)
            } else {
                return Err(AdminError::bad_request(format!(
                    "Invalid mapping expression specified: {dest}"
                )));
            };
            Ok((location, name.to_string(), source.clone()))
        })
        .collect()
}

impl CompiledWebSocket {
    pub fn compile(def: &HttpApiDefinition) -> Result<CompiledWebSocket, AdminError> {
        let mut integrations = HashMap::new();
        for i in &def.integrations {
            let backend = match i.integration_type.as_str() {
                "MOCK" => Backend::Mock,
                "AWS_PROXY" => Backend::Lambda {
                    uri: i.integration_uri.clone().unwrap_or_default(),
                },
                "AWS" => {
                    let uri = i.integration_uri.clone().unwrap_or_default();
                    // As REST's AWS integrations tell them apart (`integrations::aws::is_lambda`).
                    if uri.contains(":lambda:path/") || !uri.contains(":apigateway:") {
                        Backend::AwsLambda { uri }
                    } else {
                        Backend::AwsService {
                            uri,
                            method: i
                                .integration_method
                                .clone()
                                .unwrap_or_else(|| "POST".into()),
                            parameters: service_parameters(&i.request_parameters)?,
                        }
                    }
                }
                kind => Backend::Http {
                    uri: i.integration_uri.clone().unwrap_or_default(),
                    method: i
                        .integration_method
                        .as_deref()
                        .filter(|m| *m != "ANY")
                        .and_then(|m| http::Method::from_bytes(m.as_bytes()).ok())
                        .unwrap_or(http::Method::POST),
                    proxy: kind == "HTTP_PROXY",
                },
            };
            let mut responses = Vec::new();
            let mut default = None;
            for r in def
                .integration_responses
                .get(&i.integration_id)
                .into_iter()
                .flatten()
            {
                let pattern = if r.integration_response_key == DEFAULT {
                    None
                } else {
                    let inner = r
                        .integration_response_key
                        .trim_start_matches('/')
                        .trim_end_matches('/');
                    Some(regex::Regex::new(&format!("^(?:{inner})$")).map_err(|_| {
                        AdminError::bad_request(format!(
                            "Invalid integration response key specified: {}",
                            r.integration_response_key
                        ))
                    })?)
                };
                let compiled = CompiledIntegrationResponse {
                    content_handling: content_handling(r.content_handling_strategy.as_deref()),
                    pattern,
                    template_selection: r
                        .template_selection_expression
                        .as_deref()
                        .map(Selection::parse),
                    templates: templates(&r.response_templates)?,
                };
                if compiled.pattern.is_none() {
                    default = Some(compiled);
                } else {
                    responses.push(compiled);
                }
            }
            responses.extend(default);
            integrations.insert(
                i.integration_id.clone(),
                Arc::new(CompiledIntegration {
                    backend,
                    timeout: Duration::from_millis(i.timeout_in_millis.clamp(50, 29_000) as u64),
                    template_selection: i
                        .template_selection_expression
                        .as_deref()
                        .map(Selection::parse),
                    request_templates: templates(&i.request_templates)?,
                    passthrough: match i.passthrough_behavior.as_deref() {
                        Some("NEVER") => Passthrough::Never,
                        Some("WHEN_NO_TEMPLATES") => Passthrough::WhenNoTemplates,
                        _ => Passthrough::WhenNoMatch,
                    },
                    content_handling: content_handling(i.content_handling_strategy.as_deref()),
                    responses,
                }),
            );
        }
        let authorizers: HashMap<&str, Arc<Authorizer>> = def
            .authorizers
            .iter()
            .map(|a| (a.authorizer_id.as_str(), Arc::new(a.clone())))
            .collect();
        let mut validators: HashMap<&str, Arc<ModelValidator>> = HashMap::new();
        for m in &def.models {
            let schema: serde_json::Value =
                serde_json::from_str(m.schema.as_deref().unwrap_or("{}")).map_err(|_| {
                    AdminError::bad_request(format!(
                        "Model {} has a schema that is not JSON",
                        m.name
                    ))
                })?;
            let v = ModelValidator::build(&m.name, &schema).ok_or_else(|| {
                AdminError::bad_request(format!(
                    "Model {} has a schema that is not a valid JSON schema (draft 4)",
                    m.name
                ))
            })?;
            validators.insert(m.name.as_str(), Arc::new(v));
        }
        let mut routes = HashMap::new();
        for r in &def.routes {
            let auth = match r.authorization_type.as_str() {
                "AWS_IAM" => Auth::Iam,
                "CUSTOM" => {
                    let id = r.authorizer_id.as_deref().unwrap_or_default();
                    Auth::Lambda(authorizers.get(id).cloned().ok_or_else(|| {
                        AdminError::bad_request(format!(
                            "Route {} uses authorizer {id}, which does not exist",
                            r.route_key
                        ))
                    })?)
                }
                _ => Auth::None,
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
            let two_way = r.route_response_selection_expression.as_deref() == Some(DEFAULT)
                && def
                    .route_responses
                    .get(&r.route_id)
                    .is_some_and(|l| l.iter().any(|rr| rr.route_response_key == DEFAULT));
            routes.insert(
                r.route_key.clone(),
                Arc::new(CompiledRoute {
                    route_key: r.route_key.as_str().into(),
                    auth,
                    api_key_required: r.api_key_required,
                    two_way,
                    integration,
                    models: r
                        .request_models
                        .iter()
                        .filter_map(|(k, name)| {
                            Some((k.clone(), validators.get(name.as_str())?.clone()))
                        })
                        .collect(),
                    model_selection: r
                        .model_selection_expression
                        .as_deref()
                        .map(Selection::parse),
                }),
            );
        }
        Ok(CompiledWebSocket {
            api_key_from_authorizer: def.api.api_key_selection_expression.as_deref()
                == Some("$context.authorizer.usageIdentifierKey"),
            route_selection: Selection::parse(
                def.api
                    .route_selection_expression
                    .as_deref()
                    .unwrap_or_default(),
            ),
            routes,
        })
    }

    pub fn connect(&self) -> Option<&Arc<CompiledRoute>> {
        self.routes.get(CONNECT)
    }

    pub fn disconnect(&self) -> Option<&Arc<CompiledRoute>> {
        self.routes.get(DISCONNECT)
    }

    /// The route a message takes: the route whose key equals the expression's value (a
    /// value starting with `$` matches the escaped `\$…` key), else `$default`.
    pub fn select(&self, value: &str) -> Option<&Arc<CompiledRoute>> {
        let found = if value.starts_with('$') {
            self.routes.get(&format!("\\{value}"))
        } else {
            self.routes.get(value)
        };
        found.or_else(|| self.routes.get(DEFAULT))
    }

    pub fn default_route(&self) -> Option<&Arc<CompiledRoute>> {
        self.routes.get(DEFAULT)
    }
}
