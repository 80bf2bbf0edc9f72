//! Value validation with AWS's messages (model.md §4–§13). Pure functions; each returns the
//! first problem as `AdminError::BadRequest`.

use indexmap::IndexMap;

use super::api::{HTTP_METHODS, Integration, IntegrationResponse, IntegrationType, Method};
use super::auth::{Authorizer, AuthorizerType, GatewayResponse, Model, RequestValidator};
use super::definition::ApiDefinition;
use super::{AdminError, AuthorizationType};

/// Stage variables per stage, and the key/value length limits (model.md §9, §16).
pub const MAX_STAGE_VARIABLES: usize = 100;
pub const MAX_STAGE_VARIABLE_NAME: usize = 64;
pub const MAX_STAGE_VARIABLE_VALUE: usize = 512;
pub const MAX_STAGE_NAME: usize = 128;
pub const MIN_TIMEOUT_MILLIS: u32 = 50;
pub const MAX_TIMEOUT_MILLIS: u32 = 29_000;

/// `[A-Za-z0-9_-]`, 1..=128 characters.
pub fn validate_stage_name(name: &str) -> Result<(), AdminError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_STAGE_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(AdminError::bad_request(
            "Stage name only allows a-zA-Z0-9_- and must be between 1 and 128 characters",
        ))
    }
}

fn is_stage_variable_value_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c)
}

/// Names `[A-Za-z0-9_]+` ≤ 64, values `[A-Za-z0-9-._~:/?#&=,]+` ≤ 512, at most 100.
pub fn validate_stage_variables(vars: &IndexMap<String, String>) -> Result<(), AdminError> {
    if vars.len() > MAX_STAGE_VARIABLES {
        return Err(AdminError::bad_request(format!(
            "A stage can have at most {MAX_STAGE_VARIABLES} stage variables"
        )));
    }
    for (name, value) in vars {
        let name_ok = !name.is_empty()
            && name.len() <= MAX_STAGE_VARIABLE_NAME
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            return Err(AdminError::bad_request(format!(
                "Stage variable name '{name}' must be 1 to {MAX_STAGE_VARIABLE_NAME} characters of a-zA-Z0-9_"
            )));
        }
        let value_ok = !value.is_empty()
            && value.len() <= MAX_STAGE_VARIABLE_VALUE
            && value.chars().all(is_stage_variable_value_char);
        if !value_ok {
            return Err(AdminError::bad_request(format!(
                "Stage variable value for '{name}' must be 1 to {MAX_STAGE_VARIABLE_VALUE} characters of a-zA-Z0-9-._~:/?#&=,"
            )));
        }
    }
    Ok(())
}

const INVALID_HTTP_URI: &str = "Invalid HTTP endpoint specified for URI";
const AWS_ARN_PATH_OR_ACTION: &str = "AWS ARN for integration must contain path or action";
const AWS_PROXY_TARGETS: &str = "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.";

/// Timeout, backend verb and URI shape per integration type (model.md §5, §5.1).
pub fn validate_integration(integration: &Integration) -> Result<(), AdminError> {
    if !(MIN_TIMEOUT_MILLIS..=MAX_TIMEOUT_MILLIS).contains(&integration.timeout_in_millis) {
        return Err(AdminError::bad_request(format!(
            "Timeout should be between {MIN_TIMEOUT_MILLIS} ms and {MAX_TIMEOUT_MILLIS} ms"
        )));
    }
    let kind = integration.integration_type;
    if kind == IntegrationType::Mock {
        return Ok(());
    }
    match integration.http_method.as_deref() {
        None | Some("") => {
            return Err(AdminError::bad_request(
                "Enumeration value for HttpMethod must be non-empty",
            ));
        }
        Some(verb) if !HTTP_METHODS.contains(&verb) => {
            return Err(AdminError::bad_request(
                "Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY",
            ));
        }
        Some(_) => {}
    }
    let uri = integration.uri.as_deref().unwrap_or_default();
    match kind {
        IntegrationType::Http | IntegrationType::HttpProxy => {
            if is_valid_http_uri(uri) {
                Ok(())
            } else {
                Err(AdminError::bad_request(INVALID_HTTP_URI))
            }
        }
        IntegrationType::Aws | IntegrationType::AwsProxy => {
            let target = parse_aws_uri(uri)?;
            if kind == IntegrationType::AwsProxy && !target.is_lambda_or_firehose() {
                return Err(AdminError::bad_request(AWS_PROXY_TARGETS));
            }
            Ok(())
        }
        IntegrationType::Mock => Ok(()),
    }
}

/// Replaces every `${stageVariables.x}` with a neutral token, so a URI whose host, port or path
/// comes from a stage variable still validates.
fn without_stage_variables(uri: &str) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(start) = rest.find("${stageVariables.") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push_str("stagevariable");
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// An absolute `http(s)://host[:port][/path][?query]` with port 80, 443 or > 1024.
fn is_valid_http_uri(uri: &str) -> bool {
    let uri = without_stage_variables(uri);
    let lower = uri.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &uri[8..]
    } else if lower.starts_with("http://") {
        &uri[7..]
    } else {
        return false;
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    if authority.contains('@') || uri.contains(char::is_whitespace) {
        return false;
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, after)) => (h, after.strip_prefix(':')),
            None => return false,
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'));
    let port_ok = match port {
        None => true,
        Some("stagevariable") => true,
        Some(p) => {
            matches!(p.parse::<u32>(), Ok(n) if n == 80 || n == 443 || (1025..=65535).contains(&n))
        }
    };
    host_ok && port_ok
}

/// The parts of `arn:aws:apigateway:{region}:{service}:{path|action}/...` that matter.
struct AwsTarget<'a> {
    service: &'a str,
    kind: &'a str,
    rest: &'a str,
}

impl AwsTarget<'_> {
    fn is_lambda_or_firehose(&self) -> bool {
        match (self.service, self.kind) {
            ("lambda", "path") => {
                self.rest.starts_with("2015-03-31/functions/")
                    && self.rest.ends_with("/invocations")
            }
            ("firehose", _) => true,
            _ => false,
        }
    }
}

fn parse_aws_uri(uri: &str) -> Result<AwsTarget<'_>, AdminError> {
    if !uri.starts_with("arn:") {
        return Err(AdminError::bad_request(
            "Invalid ARN specified in the request",
        ));
    }
    let parts: Vec<&str> = uri.splitn(6, ':').collect();
    let [_, partition, "apigateway", _region, service, target] = parts.as_slice() else {
        return Err(AdminError::bad_request(AWS_ARN_PATH_OR_ACTION));
    };
    if !partition.starts_with("aws") || service.is_empty() {
        return Err(AdminError::bad_request(AWS_ARN_PATH_OR_ACTION));
    }
    let (kind, rest) = target
        .split_once('/')
        .filter(|(k, r)| matches!(*k, "path" | "action") && !r.is_empty())
        .ok_or_else(|| AdminError::bad_request(AWS_ARN_PATH_OR_ACTION))?;
    // `lambda` may come as `subdomain.lambda`; the service is the last dotted part.
    let service = service.rsplit('.').next().unwrap_or(service);
    Ok(AwsTarget {
        service,
        kind,
        rest,
    })
}

const PARAMETER_LOCATIONS: [&str; 3] = ["path", "querystring", "header"];

/// Authorizer, validator, models and request parameters of a method (model.md §4).
pub fn validate_method(method: &Method, api: &ApiDefinition) -> Result<(), AdminError> {
    let needs_authorizer = matches!(
        method.authorization_type.kind(),
        AuthorizationType::Custom | AuthorizationType::CognitoUserPools
    );
    if needs_authorizer {
        let authorizer = method
            .authorizer_id
            .as_deref()
            .and_then(|id| api.authorizer(id));
        let fits = match authorizer {
            None => false,
            Some(a) => {
                (a.authorizer_type == AuthorizerType::CognitoUserPools)
                    == (method.authorization_type == AuthorizationType::CognitoUserPools)
            }
        };
        if !fits {
            return Err(AdminError::bad_request(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.",
            ));
        }
    }
    if let Some(id) = method.request_validator_id.as_deref()
        && api.request_validator(id).is_none()
    {
        return Err(AdminError::bad_request(
            "Invalid Request Validator identifier specified",
        ));
    }
    for model in method.request_models.values() {
        if api.model_by_name(model).is_none() {
            return Err(AdminError::bad_request(format!(
                "Invalid model identifier specified: {model}"
            )));
        }
    }
    validate_request_parameters(&method.request_parameters)
}

/// Method request parameter keys: `method.request.{path|querystring|header}.{name}`, names
/// unique across the three locations (model.md §4).
pub fn validate_request_parameters(params: &IndexMap<String, bool>) -> Result<(), AdminError> {
    let mut names = std::collections::HashSet::new();
    for key in params.keys() {
        // A key that is not a method request parameter at all is AWS's mapping-expression
        // refusal (AWS-recorded, `test_put_integration_request_parameter_bool_type`).
        if !key.starts_with("method.request.") {
            return Err(AdminError::bad_request(format!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {key}]"
            )));
        }
        let (_, name) = key
            .strip_prefix("method.request.")
            .and_then(|rest| rest.split_once('.'))
            .filter(|(loc, name)| PARAMETER_LOCATIONS.contains(loc) && is_parameter_name(name))
            .ok_or_else(|| {
                AdminError::bad_request(format!(
                    "Invalid method request parameter specified: {key}. Must be method.request.{{path|querystring|header}}.{{name}}"
                ))
            })?;
        if !names.insert(name) {
            return Err(AdminError::bad_request(
                "Parameter names must be unique across querystring, header and path",
            ));
        }
    }
    Ok(())
}

/// `^[a-zA-Z0-9._$-]+$` (model.md §4).
fn is_parameter_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '$' | '-'))
}

/// The status code must match the model's pattern `[1-5]\d\d`; AWS does not require a
/// MethodResponse of that code (AWS-recorded, `test_lifecycle_integration_response` and
/// `test_integration_response_invalid_statuscode`).
pub fn validate_integration_response(
    response: &IntegrationResponse,
    _method: &Method,
) -> Result<(), AdminError> {
    // A template's key must be a content type (AWS-recorded,
    // `test_integration_response_invalid_responsetemplates`).
    if let Some(bad) = response
        .response_templates
        .keys()
        .find(|k| !k.contains('/'))
    {
        return Err(AdminError::bad_request(format!(
            "Validation Result: warnings : [], errors : [Invalid content type specified: {bad}]"
        )));
    }
    let code = response.status_code.as_bytes();
    let valid = code.len() == 3
        && (b'1'..=b'5').contains(&code[0])
        && code[1..].iter().all(u8::is_ascii_digit);
    if valid {
        Ok(())
    } else {
        Err(AdminError::Validation(format!(
            "1 validation error detected: Value '{}' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\\d\\d",
            response.status_code
        )))
    }
}

pub fn validate_request_validator(validator: &RequestValidator) -> Result<(), AdminError> {
    if validator.name.trim().is_empty() {
        Err(AdminError::bad_request(
            "Request Validator name cannot be blank",
        ))
    } else {
        Ok(())
    }
}

/// Name non-empty and alphanumeric; a schema is required and must be JSON. AWS's "at least 1
/// property" message is its answer to a missing or empty schema, whatever the content type; a
/// schema without properties (`{"title": "MySchema", "type": "object"}`) is accepted
/// (AWS-recorded, localstack `test_model_validation`, `test_update_model`).
pub fn validate_model(model: &Model) -> Result<(), AdminError> {
    if model.name.is_empty() {
        return Err(AdminError::bad_request("Model name must be non-empty"));
    }
    if !model.name.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AdminError::bad_request(format!(
            "Invalid model name specified: '{}'. Model names must be alphanumeric",
            model.name
        )));
    }
    let schema_text = model.schema.as_deref().unwrap_or_default();
    if schema_text.trim().is_empty() {
        return Err(AdminError::bad_request(
            "Model schema must have at least 1 property or array items defined",
        ));
    }
    serde_json::from_str::<serde_json::Value>(schema_text).map_err(|e| {
        AdminError::bad_request(format!(
            "Invalid model specified: Validation Result: warnings : [], errors : [Invalid model schema specified: {e}]"
        ))
    })?;
    Ok(())
}

/// A status code as methods, integration and gateway responses carry it: three digits, 1xx–5xx.
pub fn validate_status_code(code: &str) -> Result<(), AdminError> {
    let ok = code.len() == 3 && code.parse::<u16>().is_ok_and(|c| (100..=599).contains(&c));
    if ok {
        Ok(())
    } else {
        Err(AdminError::bad_request(format!(
            "Invalid status code specified: '{code}'"
        )))
    }
}

/// Type, URI, identity source, TTL and provider ARNs of an authorizer (model.md §12).
pub fn validate_authorizer(authorizer: &Authorizer) -> Result<(), AdminError> {
    if authorizer.name.trim().is_empty() {
        return Err(AdminError::bad_request("Authorizer name must be non-empty"));
    }
    if let Some(ttl) = authorizer.authorizer_result_ttl_in_seconds
        && !(0..=3600).contains(&ttl)
    {
        return Err(AdminError::bad_request(
            "Authorizer result TTL must be between 0 and 3600 seconds",
        ));
    }
    if let Some(expr) = authorizer.identity_validation_expression.as_deref()
        && regex::Regex::new(expr).is_err()
    {
        return Err(AdminError::bad_request(format!(
            "Invalid identity validation expression specified: {expr}"
        )));
    }
    let source = authorizer.identity_source.as_deref().unwrap_or_default();
    match authorizer.authorizer_type {
        AuthorizerType::Token | AuthorizerType::Request => {
            let uri = authorizer.authorizer_uri.as_deref().unwrap_or_default();
            if uri.is_empty() {
                return Err(AdminError::bad_request(
                    "Authorizer URI must be specified for TOKEN and REQUEST authorizers",
                ));
            }
            parse_aws_uri(uri).map_err(|_| {
                AdminError::bad_request(format!("Invalid Authorizer URI specified: {uri}"))
            })?;
        }
        AuthorizerType::CognitoUserPools => {
            if authorizer.provider_a_r_ns.is_empty() {
                return Err(AdminError::bad_request(
                    "Provider ARNs must be specified for COGNITO_USER_POOLS authorizers",
                ));
            }
            if let Some(bad) = authorizer
                .provider_a_r_ns
                .iter()
                .find(|a| !a.starts_with("arn:aws:cognito-idp:") || !a.contains(":userpool/"))
            {
                return Err(AdminError::bad_request(format!(
                    "Invalid provider ARN specified: {bad}"
                )));
            }
        }
    }
    match authorizer.authorizer_type {
        AuthorizerType::Token | AuthorizerType::CognitoUserPools => {
            let header = source.strip_prefix("method.request.header.");
            if !header.is_some_and(|h| !h.is_empty() && !h.contains(',')) {
                return Err(AdminError::bad_request(format!(
                    "Invalid identity source specified: '{source}'. Must be method.request.header.{{name}}"
                )));
            }
        }
        AuthorizerType::Request => {
            for part in source.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let ok = [
                    "method.request.header.",
                    "method.request.querystring.",
                    "stageVariables.",
                    "context.",
                ]
                .iter()
                .any(|prefix| part.strip_prefix(prefix).is_some_and(|n| !n.is_empty()));
                if !ok {
                    return Err(AdminError::bad_request(format!(
                        "Invalid identity source specified: '{part}'. Must be method.request.header.{{name}}, method.request.querystring.{{name}}, stageVariables.{{name}} or context.{{name}}"
                    )));
                }
            }
            let caching = authorizer.authorizer_result_ttl_in_seconds.unwrap_or(300) > 0;
            if caching && source.trim().is_empty() {
                return Err(AdminError::bad_request(
                    "Identity source must be specified for REQUEST authorizers when caching is enabled",
                ));
            }
        }
    }
    Ok(())
}

/// Type, status code and parameter mappings of a customised gateway response (model.md §14).
pub fn validate_gateway_response(response: &GatewayResponse) -> Result<(), AdminError> {
    if GatewayResponse::default_for(&response.response_type).is_none() {
        return Err(AdminError::bad_request(format!(
            "Invalid gateway response type specified: '{}'",
            response.response_type
        )));
    }
    if let Some(code) = response.status_code.as_deref() {
        validate_status_code(code)?;
    }
    for (key, value) in &response.response_parameters {
        let key_ok = [
            "gatewayresponse.header.",
            "gatewayresponse.path.",
            "gatewayresponse.querystring.",
        ]
        .iter()
        .any(|p| key.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !key_ok {
            return Err(AdminError::bad_request(format!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression specified: {key}]"
            )));
        }
        let literal = value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'');
        let value_ok = literal
            || [
                "method.request.header.",
                "method.request.path.",
                "method.request.querystring.",
                "method.input.params.",
                "stageVariables.",
                "context.",
            ]
            .iter()
            .any(|p| value.strip_prefix(p).is_some_and(|n| !n.is_empty()));
        if !value_ok {
            return Err(AdminError::bad_request(format!(
                "Invalid mapping expression specified: Validation Result: warnings : [], errors : [Invalid mapping expression parameter specified: {value}]"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
