//! WebSocket APIs (`protocolType: WEBSOCKET`): the shapes HTTP APIs do not have (route
//! responses, integration responses, models; botocore's `apigatewayv2` names) and the
//! `BadRequestException` checks of WebSocket routes, integrations and authorizers.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::{Authorizer, Integration, Route};
use crate::model::AdminError;

/// The predefined route keys.
pub const CONNECT: &str = "$connect";
pub const DISCONNECT: &str = "$disconnect";
pub const DEFAULT: &str = "$default";

/// WebSocket integration timeouts: 50–29,000 ms, default 29 s.
pub const DEFAULT_TIMEOUT_MILLIS: i64 = 29_000;
pub const MAX_TIMEOUT_MILLIS: i64 = 29_000;

/// `ParameterConstraints`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ParameterConstraints {
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_selection_expression: Option<String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_models: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_parameters: IndexMap<String, ParameterConstraints>,
    pub route_response_id: String,
    pub route_response_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct IntegrationResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_handling_strategy: Option<String>,
    pub integration_response_id: String,
    /// `$default`, or a regex on the backend's status code / Lambda error (`/4\d\d/`).
    pub integration_response_key: String,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_parameters: IndexMap<String, String>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub response_templates: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_selection_expression: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Model {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub model_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

fn bad(m: impl Into<String>) -> AdminError {
    AdminError::bad_request(m)
}

/// A selection expression must be `$request.body.…`, `${request.body.…}` parts and literals,
/// or (for route responses) `$default`.
pub fn route_selection_expression(expr: &str) -> Result<(), AdminError> {
    if expr.trim().is_empty() {
        return Err(bad(
            "RouteSelectionExpression is required for WEBSOCKET protocol type",
        ));
    }
    if !(expr.contains("$request.") || expr.contains("${request.")) {
        return Err(bad(format!(
            "Invalid route selection expression specified: {expr}. The expression must reference the request, for example $request.body.action"
        )));
    }
    Ok(())
}

/// A WebSocket route: any key but the reserved `$…` ones other than `$connect`,
/// `$disconnect`, `$default`; authorization only on `$connect`; a route response selection
/// expression, when set, is `$default`.
pub fn route(r: &Route) -> Result<(), AdminError> {
    let key = r.route_key.as_str();
    if key.is_empty() || key.len() > 128 {
        return Err(bad(
            "RouteKey is required and must be at most 128 characters",
        ));
    }
    if key.starts_with('$') && ![CONNECT, DISCONNECT, DEFAULT].contains(&key) {
        return Err(bad(format!(
            "Invalid route key specified: {key}. Route keys starting with $ are reserved; valid predefined keys are $connect, $disconnect, $default (escape a literal $ as \\$)"
        )));
    }
    match r.authorization_type.as_str() {
        "NONE" => {}
        "AWS_IAM" | "CUSTOM" if key == CONNECT => {}
        "AWS_IAM" | "CUSTOM" => {
            return Err(bad(
                "Currently, authorization is restricted to the $connect route only",
            ));
        }
        other => {
            return Err(bad(format!(
                "Invalid authorization type specified: '{other}'. Valid values for WebSocket APIs are NONE, AWS_IAM, CUSTOM"
            )));
        }
    }
    if !r.authorization_scopes.is_empty() {
        return Err(bad(
            "AuthorizationScopes are only supported with JWT authorization",
        ));
    }
    if r.api_key_required && r.route_key != CONNECT {
        return Err(bad(
            "ApiKeyRequired is supported only on the $connect route of a WebSocket API",
        ));
    }
    if let Some(e) = &r.route_response_selection_expression
        && e != DEFAULT
    {
        return Err(bad(format!(
            "Invalid route response selection expression specified: {e}. Only $default is supported"
        )));
    }
    if !r.request_models.is_empty()
        && r.model_selection_expression.is_none()
        && r.request_models.len() > 1
    {
        return Err(bad(
            "ModelSelectionExpression is required when a route has more than one request model",
        ));
    }
    Ok(())
}

/// A WebSocket integration (after defaults were applied): AWS_PROXY (Lambda), AWS (a Lambda
/// function called with the request template's output, or an AWS service action or path),
/// HTTP, HTTP_PROXY or MOCK.
pub fn integration(
    i: &mut Integration,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<(), AdminError> {
    if let Some(subtype) = &i.integration_subtype {
        return Err(bad(format!(
            "integrationSubtype {subtype} is not supported for WebSocket APIs"
        )));
    }
    match i.integration_type.as_str() {
        "AWS_PROXY" => {
            let uri = i
                .integration_uri
                .as_deref()
                .ok_or_else(|| bad("IntegrationUri is required for AWS_PROXY integrations"))?;
            if !is_function(uri) {
                return Err(bad(format!(
                    "Invalid IntegrationUri specified: {uri} is not a Lambda function ARN"
                )));
            }
            i.integration_method.get_or_insert_with(|| "POST".into());
        }
        "HTTP" | "HTTP_PROXY" => {
            let uri = i.integration_uri.as_deref().ok_or_else(|| {
                bad(format!(
                    "IntegrationUri is required for {} integrations",
                    i.integration_type
                ))
            })?;
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                return Err(bad(format!(
                    "Invalid IntegrationUri specified: {uri} (an HTTP integration takes an http:// or https:// URL)"
                )));
            }
            let method = i.integration_method.get_or_insert_with(|| "POST".into());
            if ![
                "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
            ]
            .contains(&method.as_str())
            {
                return Err(bad(format!(
                    "Invalid IntegrationMethod specified: {method}"
                )));
            }
        }
        "MOCK" => {
            if i.integration_uri.is_some() {
                return Err(bad("IntegrationUri is not allowed for MOCK integrations"));
            }
        }
        "AWS" => {
            let uri = i
                .integration_uri
                .as_deref()
                .ok_or_else(|| bad("IntegrationUri is required for AWS integrations"))?;
            if !is_function(uri) && !is_service_uri(uri) {
                return Err(bad(format!(
                    "Invalid IntegrationUri specified: {uri}. An AWS integration takes a Lambda function ARN or arn:aws:apigateway:{{region}}:{{service}}:action/{{Action}} or :path/{{path}}"
                )));
            }
            i.integration_method.get_or_insert_with(|| "POST".into());
        }
        "" => return Err(bad("IntegrationType is required")),
        other => {
            return Err(bad(format!(
                "Invalid integration type specified: '{other}'. Valid values are AWS, AWS_PROXY, HTTP, HTTP_PROXY, MOCK"
            )));
        }
    }
    match i.payload_format_version.as_deref() {
        None | Some("1.0") => i.payload_format_version = Some("1.0".into()),
        Some(v) => {
            return Err(bad(format!(
                "Invalid PayloadFormatVersion: {v}. WebSocket APIs support 1.0"
            )));
        }
    }
    if let Some(p) = &i.passthrough_behavior
        && !["WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES"].contains(&p.as_str())
    {
        return Err(bad(format!(
            "Invalid passthrough behavior specified: {p}. Valid values are WHEN_NO_MATCH, NEVER, WHEN_NO_TEMPLATES"
        )));
    }
    content_handling(i.content_handling_strategy.as_deref())?;
    if i.timeout_in_millis == 0 {
        i.timeout_in_millis = DEFAULT_TIMEOUT_MILLIS;
    }
    if !(super::validate::MIN_TIMEOUT_MILLIS..=MAX_TIMEOUT_MILLIS).contains(&i.timeout_in_millis) {
        return Err(bad(format!(
            "Invalid timeoutInMillis specified: {}. Must be between {} and {MAX_TIMEOUT_MILLIS}",
            i.timeout_in_millis,
            super::validate::MIN_TIMEOUT_MILLIS
        )));
    }
    for t in i.request_templates.values() {
        crate::vtl::Template::parse(t)
            .map_err(|e| bad(format!("Invalid mapping expression specified: {e}")))?;
    }
    request_parameters(i)
}

/// `requestParameters` of a WebSocket integration: gwtui maps them for AWS service
/// integrations only (into the signed request's headers, query string and path), from the
/// sources `engine::websocket::aws` resolves. Anything else is refused rather than stored and
/// ignored.
fn request_parameters(i: &Integration) -> Result<(), AdminError> {
    if i.request_parameters.is_empty() {
        return Ok(());
    }
    let service = i.integration_type == "AWS"
        && i.integration_uri.as_deref().is_some_and(is_service_uri)
        && !i
            .integration_uri
            .as_deref()
            .is_some_and(|u| u.contains(":lambda:path/"));
    if !service {
        return Err(bad(format!(
            "requestParameters are not supported by gwtui for {} integrations of WebSocket APIs (only for AWS service integrations)",
            i.integration_type
        )));
    }
    for (dest, source) in &i.request_parameters {
        let dest_ok = [
            "integration.request.header.",
            "integration.request.querystring.",
            "integration.request.path.",
        ]
        .iter()
        .any(|p| dest.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !dest_ok {
            return Err(bad(format!("Invalid mapping expression specified: {dest}")));
        }
        let literal = source.len() >= 2 && source.starts_with('\'') && source.ends_with('\'');
        let source_ok = literal
            || [
                "route.request.header.",
                "route.request.querystring.",
                "route.request.body.",
                "context.",
                "stageVariables.",
            ]
            .iter()
            .any(|p| source.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !source_ok {
            return Err(bad(format!(
                "Invalid mapping expression specified: {source}. gwtui maps 'literal', route.request.header.*, route.request.querystring.*, route.request.body.*, context.* and stageVariables.*"
            )));
        }
    }
    Ok(())
}

/// `arn:{partition}:apigateway:{region}:{service}:action/…` or `…:path/…`.
fn is_service_uri(uri: &str) -> bool {
    let mut parts = uri.splitn(6, ':');
    matches!(
        (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next()
        ),
        (Some("arn"), Some(_), Some("apigateway"), Some(region), Some(service), Some(rest))
            if !region.is_empty()
                && !service.is_empty()
                && (rest.starts_with("action/") || rest.starts_with("path/"))
    )
}

pub fn content_handling(c: Option<&str>) -> Result<(), AdminError> {
    match c {
        None | Some("CONVERT_TO_BINARY" | "CONVERT_TO_TEXT") => Ok(()),
        Some(other) => Err(bad(format!(
            "Invalid content handling strategy specified: {other}. Valid values are CONVERT_TO_BINARY, CONVERT_TO_TEXT"
        ))),
    }
}

/// An integration response: its key is `$default` or a `/regex/`; templates parse.
pub fn integration_response(r: &IntegrationResponse) -> Result<(), AdminError> {
    let key = r.integration_response_key.as_str();
    if key != DEFAULT {
        let inner = key
            .strip_prefix('/')
            .and_then(|k| k.strip_suffix('/'))
            .ok_or_else(|| {
                bad(format!(
                    "Invalid integration response key specified: {key}. Use $default or a regular expression between slashes, such as /4\\d\\d/"
                ))
            })?;
        regex::Regex::new(inner)
            .map_err(|_| bad(format!("Invalid integration response key specified: {key}")))?;
    }
    content_handling(r.content_handling_strategy.as_deref())?;
    for t in r.response_templates.values() {
        crate::vtl::Template::parse(t)
            .map_err(|e| bad(format!("Invalid mapping expression specified: {e}")))?;
    }
    Ok(())
}

/// WebSocket authorizers are Lambda `REQUEST` authorizers; identity sources are
/// `route.request.header.X`, `route.request.querystring.X`, `stageVariables.X`, `context.X`.
pub fn authorizer(
    a: &mut Authorizer,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<(), AdminError> {
    if a.name.is_empty() {
        return Err(bad("Name is required"));
    }
    if a.authorizer_type != "REQUEST" {
        return Err(bad(format!(
            "Invalid authorizer type specified: '{}'. WebSocket APIs support REQUEST authorizers",
            a.authorizer_type
        )));
    }
    let uri = a
        .authorizer_uri
        .as_deref()
        .ok_or_else(|| bad("AuthorizerUri is required for REQUEST authorizers"))?;
    if !is_function(uri) {
        return Err(bad(format!("Invalid AuthorizerUri specified: {uri}")));
    }
    if a.authorizer_payload_format_version.is_some() || a.enable_simple_responses.is_some() {
        return Err(bad(
            "AuthorizerPayloadFormatVersion and EnableSimpleResponses are only supported for HTTP APIs",
        ));
    }
    if a.jwt_configuration.is_some() {
        return Err(bad("JwtConfiguration is only supported for HTTP APIs"));
    }
    let ttl = *a.authorizer_result_ttl_in_seconds.get_or_insert(0);
    if !(0..=3600).contains(&ttl) {
        return Err(bad(format!(
            "Invalid authorizerResultTtlInSeconds: {ttl}. Must be between 0 and 3600"
        )));
    }
    for s in &a.identity_source {
        let ok = [
            "route.request.header.",
            "route.request.querystring.",
            "stageVariables.",
            "context.",
        ]
        .iter()
        .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
        if !ok {
            return Err(bad(format!("Invalid identity source specified: {s}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route_with(key: &str, auth: &str) -> Route {
        Route {
            route_key: key.into(),
            authorization_type: auth.into(),
            ..Route::default()
        }
    }

    #[test]
    fn route_keys_and_authorization() {
        assert!(route(&route_with("$connect", "CUSTOM")).is_ok());
        assert!(route(&route_with("sendmessage", "NONE")).is_ok());
        assert!(route(&route_with("\\$default", "NONE")).is_ok());
        assert!(route(&route_with("$other", "NONE")).is_err());
        let e = route(&route_with("sendmessage", "AWS_IAM")).unwrap_err();
        assert!(e.message().contains("restricted to the $connect route"));
        assert!(route(&route_with("$connect", "JWT")).is_err());
        let mut r = route_with("a", "NONE");
        r.route_response_selection_expression = Some("$request.body.x".into());
        assert!(route(&r).is_err());
    }

    #[test]
    fn integrations_by_type() {
        let f = |u: &str| u.contains(":function:");
        let mut mock = Integration {
            integration_type: "MOCK".into(),
            ..Integration::default()
        };
        integration(&mut mock, &f).unwrap();
        assert_eq!(mock.timeout_in_millis, 29_000);
        let mut aws = Integration {
            integration_type: "AWS".into(),
            integration_uri: Some("arn:aws:lambda:x:function:f".into()),
            ..Integration::default()
        };
        integration(&mut aws, &f).unwrap();
        assert_eq!(aws.integration_method.as_deref(), Some("POST"));
        for uri in [
            "arn:aws:apigateway:us-east-1:sqs:path/123456789012/q",
            "arn:aws:apigateway:us-east-1:dynamodb:action/PutItem",
        ] {
            let mut service = Integration {
                integration_type: "AWS".into(),
                integration_uri: Some(uri.into()),
                ..Integration::default()
            };
            integration(&mut service, &f).unwrap();
        }
        for uri in [
            "arn:aws:apigateway:us-east-1:sqs:queue/q",
            "https://example.com",
        ] {
            let mut service = Integration {
                integration_type: "AWS".into(),
                integration_uri: Some(uri.into()),
                ..Integration::default()
            };
            assert!(integration(&mut service, &f).is_err(), "{uri}");
        }
        let mut slow = Integration {
            integration_type: "MOCK".into(),
            timeout_in_millis: 30_000,
            ..Integration::default()
        };
        assert!(integration(&mut slow, &f).is_err());
        let mut bad_template = Integration {
            integration_type: "MOCK".into(),
            request_templates: [("$default".to_string(), "#if(".to_string())]
                .into_iter()
                .collect(),
            ..Integration::default()
        };
        assert!(integration(&mut bad_template, &f).is_err());
    }

    #[test]
    fn request_parameters_only_where_they_are_mapped() {
        let f = |u: &str| u.contains(":function:");
        let mut sqs = Integration {
            integration_type: "AWS".into(),
            integration_uri: Some("arn:aws:apigateway:us-east-1:sqs:path/123/q".into()),
            ..Integration::default()
        };
        sqs.request_parameters.insert(
            "integration.request.querystring.Action".into(),
            "'SendMessage'".into(),
        );
        sqs.request_parameters.insert(
            "integration.request.header.X-Id".into(),
            "route.request.body.id".into(),
        );
        assert!(integration(&mut sqs.clone(), &f).is_ok());
        let mut bad_source = sqs.clone();
        bad_source.request_parameters.insert(
            "integration.request.header.Y".into(),
            "method.request.header.y".into(),
        );
        assert!(integration(&mut bad_source, &f).is_err());
        let mut bad_dest = sqs.clone();
        bad_dest
            .request_parameters
            .insert("integration.response.header.Y".into(), "'x'".into());
        assert!(integration(&mut bad_dest, &f).is_err());
        let mut http = Integration {
            integration_type: "HTTP".into(),
            integration_uri: Some("http://127.0.0.1:1/x".into()),
            request_parameters: sqs.request_parameters.clone(),
            ..Integration::default()
        };
        let err = integration(&mut http, &f).err().map(|e| e.to_string());
        assert!(
            err.is_some_and(|e| e.contains("not supported")),
            "HTTP refused"
        );
    }

    #[test]
    fn integration_response_keys() {
        let mut r = IntegrationResponse {
            integration_response_key: "$default".into(),
            ..IntegrationResponse::default()
        };
        assert!(integration_response(&r).is_ok());
        r.integration_response_key = "/4\\d\\d/".into();
        assert!(integration_response(&r).is_ok());
        r.integration_response_key = "400".into();
        assert!(integration_response(&r).is_err());
    }
}
