//! A deployment compiled into an immutable snapshot: route table, per-method settings,
//! parsed templates and compiled selection patterns. Built once per deployment (and per stage
//! settings change for the stage-level parts), never per request.

use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use regex::Regex;

use crate::model::{
    ApiDefinition, ContentHandling, GatewayResponse, IntegrationResponse, IntegrationType, Method,
    PassthroughBehavior,
};

use super::cache_key::{KeyPlan, KeySource};
use super::resource_policy::Policy;
use super::router::Router;
use super::template::CompiledTemplate;
use crate::mapping::ParamExpr;

/// Where an integration request parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

#[derive(Debug)]
pub struct CompiledDeployment {
    pub api_id: Arc<str>,
    pub deployment_id: Arc<str>,
    pub router: Router,
    pub methods: Vec<CompiledMethod>,
    pub binary_media_types: Vec<String>,
    /// Customised gateway responses by type.
    pub gateway_responses: IndexMap<String, GatewayResponse>,
    /// The frozen definition, for exports and the console.
    pub definition: Arc<ApiDefinition>,
    /// The API's resource policy as the deployment froze it, parsed once here (`None`: the
    /// API has none; a stored policy that does not parse denies everything). It lives and dies
    /// with the deployment: no engine-wide map of parsed policies to grow or prune.
    pub resource_policy: Option<Arc<Policy>>,
}

#[derive(Debug)]
pub struct CompiledMethod {
    pub resource_id: Arc<str>,
    pub resource_path: Arc<str>,
    /// The declared verb (may be `ANY`).
    pub http_method: Arc<str>,
    pub method: Method,
    pub integration: Option<CompiledIntegration>,
}

#[derive(Debug)]
pub struct CompiledIntegration {
    pub kind: IntegrationType,
    pub http_method: Option<String>,
    pub uri: Option<String>,
    pub timeout: Duration,
    pub passthrough: PassthroughBehavior,
    pub content_handling: Option<ContentHandling>,
    /// `integration.request.{path|querystring|header}.NAME` ← source expression.
    pub request_parameters: Vec<(ParamLocation, String, ParamExpr)>,
    /// Whether any request template or parameter expression reads `$context`.
    pub request_reads_context: bool,
    /// content type (lowercase MIME) → template, in declaration order.
    pub request_templates: Vec<(String, CompiledTemplate)>,
    /// Non-default responses in declaration order; the default response separately.
    pub responses: Vec<CompiledResponse>,
    pub default_response: Option<CompiledResponse>,
    /// Kept for the test that compares the compiled key with the per-request one.
    #[cfg(test)]
    pub cache_namespace: String,
    #[cfg(test)]
    pub cache_key_parameters: Vec<String>,
    /// The response-cache key of this method, compiled (deployment, namespace, parameters).
    pub cache_key: KeyPlan,
    pub insecure_skip_verification: bool,
    /// The integration's IAM role ARN (AWS service integrations log it; no STS runs locally).
    pub credentials: Option<String>,
    /// `connectionType: VPC_LINK`: the `connectionId` (may hold `${stageVariables.x}`).
    pub vpc_link: Option<String>,
}

#[derive(Debug)]
pub struct CompiledResponse {
    pub status_code: String,
    pub pattern: Option<Regex>,
    /// `method.response.header.NAME` ← source expression.
    pub response_parameters: Vec<(String, ParamExpr)>,
    pub response_templates: Vec<(String, CompiledTemplate)>,
    /// Whether any template or expression of this response reads `$context`.
    pub reads_context: bool,
    pub content_handling: Option<ContentHandling>,
}

/// Why a definition cannot be deployed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CompileError(pub String);

impl CompiledDeployment {
    pub fn compile(
        deployment_id: &str,
        def: Arc<ApiDefinition>,
    ) -> Result<CompiledDeployment, CompileError> {
        let mut router = Router::new();
        let mut methods = Vec::new();
        for resource in &def.resources {
            let node = router.insert_path(&resource.path);
            for (verb, method) in &resource.resource_methods {
                let integration = match &method.method_integration {
                    Some(i) => Some(compile_integration(
                        i,
                        deployment_id,
                        &resource.id,
                        &resource.path,
                        verb,
                    )?),
                    None => None,
                };
                router.add_method(node, verb, methods.len());
                let mut method = method.clone();
                method.method_integration = None;
                methods.push(CompiledMethod {
                    resource_id: Arc::from(resource.id.as_str()),
                    resource_path: Arc::from(resource.path.as_str()),
                    http_method: Arc::from(verb.as_str()),
                    method,
                    integration,
                });
            }
        }
        let gateway_responses = def
            .gateway_responses
            .iter()
            .map(|g| (g.response_type.clone(), g.clone()))
            .collect();
        let resource_policy =
            Policy::parse_resource_policy(def.rest_api.policy.as_deref(), &def.rest_api.id);
        Ok(CompiledDeployment {
            resource_policy,
            api_id: Arc::from(def.rest_api.id.as_str()),
            deployment_id: Arc::from(deployment_id),
            router,
            methods,
            binary_media_types: def.rest_api.binary_media_types.clone(),
            gateway_responses,
            definition: def,
        })
    }
}

fn compile_integration(
    i: &crate::model::Integration,
    deployment_id: &str,
    resource_id: &str,
    path: &str,
    verb: &str,
) -> Result<CompiledIntegration, CompileError> {
    let at = |what: &str| format!("{verb} {path}: {what}");
    let mut request_templates = Vec::new();
    for (ct, src) in &i.request_templates {
        let t = CompiledTemplate::compile(src)
            .map_err(|e| CompileError(at(&format!("request template {ct}: {e}"))))?;
        request_templates.push((ct.to_ascii_lowercase(), t));
    }
    let mut responses = Vec::new();
    let mut default_response = None;
    for r in i.integration_responses.values() {
        let compiled = compile_response(r).map_err(|e| CompileError(at(&e)))?;
        if r.is_default() {
            default_response = Some(compiled);
        } else {
            responses.push(compiled);
        }
    }
    let mut request_parameters = Vec::new();
    for (target, source) in &i.request_parameters {
        let (location, name) = if let Some(n) = target.strip_prefix("integration.request.path.") {
            (ParamLocation::Path, n)
        } else if let Some(n) = target.strip_prefix("integration.request.querystring.") {
            (ParamLocation::Query, n)
        } else if let Some(n) = target.strip_prefix("integration.request.header.") {
            (ParamLocation::Header, n)
        } else {
            return Err(CompileError(at(&format!(
                "Invalid mapping expression specified: {target}"
            ))));
        };
        let expr = ParamExpr::parse(source).map_err(|e| {
            CompileError(at(&format!(
                "Invalid mapping expression specified: {source}: {}",
                e.message
            )))
        })?;
        request_parameters.push((location, name.to_string(), expr));
    }
    let request_reads_context = request_templates.iter().any(|(_, t)| t.reads_context())
        || request_parameters
            .iter()
            .any(|(_, _, e)| matches!(e, ParamExpr::Context(_)));
    let cache_namespace = i
        .cache_namespace
        .clone()
        .unwrap_or_else(|| resource_id.to_string());
    let cache_key = KeyPlan::new(
        deployment_id,
        &cache_namespace,
        i.cache_key_parameters
            .iter()
            .map(|name| (name.clone(), key_source(name, &request_parameters))),
    );
    Ok(CompiledIntegration {
        kind: i.integration_type,
        http_method: i.http_method.clone(),
        uri: i.uri.clone(),
        timeout: Duration::from_millis(u64::from(i.timeout_in_millis.clamp(50, 29_000))),
        passthrough: i.passthrough_behavior,
        content_handling: i.content_handling,
        request_parameters,
        request_reads_context,
        request_templates,
        responses,
        default_response,
        #[cfg(test)]
        cache_namespace,
        #[cfg(test)]
        cache_key_parameters: i.cache_key_parameters.clone(),
        cache_key,
        credentials: i.credentials.clone(),
        insecure_skip_verification: i
            .tls_config
            .as_ref()
            .is_some_and(|t| t.insecure_skip_verification),
        vpc_link: (i.connection_type == Some(crate::model::ConnectionType::VpcLink))
            .then(|| i.connection_id.clone().unwrap_or_default()),
    })
}

/// Where the `cacheKeyParameters` entry `name` takes its value: the method request parameter
/// it names, or (older APIs name the integration-side parameter,
/// `integration.request.querystring.x`) the source that parameter is mapped from.
pub fn key_source(
    name: &str,
    request_parameters: &[(ParamLocation, String, ParamExpr)],
) -> KeySource {
    let method_request = |kind: &str, param: &str| match kind {
        "path" => KeySource::Path(param.to_string()),
        "querystring" => KeySource::Query(param.to_string()),
        "header" => KeySource::Header(param.to_string()),
        "multivaluequerystring" => KeySource::MultiQuery(param.to_string()),
        "multivalueheader" => KeySource::MultiHeader(param.to_string()),
        _ => KeySource::Absent,
    };
    if let Some((kind, param)) = name
        .strip_prefix("method.request.")
        .and_then(|r| r.split_once('.'))
    {
        return method_request(kind, param);
    }
    let expr = name
        .strip_prefix("integration.request.")
        .and_then(|r| r.split_once('.'))
        .and_then(|(kind, param)| {
            let location = match kind {
                "path" => ParamLocation::Path,
                "querystring" => ParamLocation::Query,
                "header" => ParamLocation::Header,
                _ => return None,
            };
            request_parameters
                .iter()
                .find(|(l, n, _)| *l == location && n == param)
                .map(|(_, _, expr)| expr)
        });
    match expr {
        Some(ParamExpr::RequestPath(n)) => method_request("path", n),
        Some(ParamExpr::RequestQuery(n)) => method_request("querystring", n),
        Some(ParamExpr::RequestMultiQuery(n)) => method_request("multivaluequerystring", n),
        Some(ParamExpr::RequestHeader(n)) => method_request("header", n),
        Some(ParamExpr::RequestMultiHeader(n)) => method_request("multivalueheader", n),
        Some(ParamExpr::StageVariable(n)) => KeySource::StageVariable(n.clone()),
        Some(ParamExpr::Literal(v)) => KeySource::Literal(v.clone()),
        _ => KeySource::Absent,
    }
}

fn compile_response(r: &IntegrationResponse) -> Result<CompiledResponse, String> {
    let pattern = match r.selection_pattern.as_deref() {
        Some(p) if !p.is_empty() => Some(Regex::new(&format!("^(?:{p})$")).map_err(|e| {
            format!("selection pattern {p:?} is not a valid regular expression: {e}")
        })?),
        _ => None,
    };
    let mut response_templates = Vec::new();
    for (ct, src) in &r.response_templates {
        let t = CompiledTemplate::compile(src)
            .map_err(|e| format!("response template {ct} of {}: {e}", r.status_code))?;
        response_templates.push((ct.to_ascii_lowercase(), t));
    }
    let mut response_parameters = Vec::new();
    for (target, source) in &r.response_parameters {
        let name = target
            .strip_prefix("method.response.header.")
            .ok_or_else(|| format!("Invalid mapping expression specified: {target}"))?;
        let expr = ParamExpr::parse(source).map_err(|e| {
            format!(
                "Invalid mapping expression specified: {source}: {}",
                e.message
            )
        })?;
        response_parameters.push((name.to_string(), expr));
    }
    let reads_context = response_templates.iter().any(|(_, t)| t.reads_context())
        || response_parameters
            .iter()
            .any(|(_, e)| matches!(e, ParamExpr::Context(_)));
    Ok(CompiledResponse {
        status_code: r.status_code.clone(),
        pattern,
        response_parameters,
        response_templates,
        reads_context,
        content_handling: r.content_handling,
    })
}

impl CompiledIntegration {
    /// Integration response selection (model.md §6): the first non-default response whose
    /// pattern matches the whole selection string, else the default response.
    pub fn select_response(&self, selection: &str) -> Option<&CompiledResponse> {
        self.responses
            .iter()
            .find(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(selection)))
            .or(self.default_response.as_ref())
    }
}
