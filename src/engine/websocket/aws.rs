//! `AWS` (non-proxy) integrations on WebSocket routes (integration type `AWS`):
//!
//! - a Lambda function URI: the function is invoked with the request template's output (the
//!   template `templateSelectionExpression` picks, with the WebSocket `$context`), or the
//!   message itself as `passthroughBehavior` allows; a function error's `errorMessage` is the
//!   key the integration responses' regexes are matched against (http-websocket.md §2.1:
//!   "regex on Lambda error message or HTTP status"), a success takes `$default`;
//! - `arn:aws:apigateway:{region}:{service}:action/{Action}` or `…:path/{path}`: the same
//!   signed request REST's AWS integrations send (`integrations::aws::build`, then the pooled
//!   client), to the endpoint `[aws]` names; the service's status code selects the integration
//!   response.
//!
//! Either way a two-way route sends the selected integration response's rendered template back.

use bytes::Bytes;
use serde_json::Value;

use super::compiled::CompiledIntegration;
use super::integration::{Input, IntegrationError, Output, request_body, response_body};
use crate::engine::Gateway;
use crate::engine::compiled::ParamLocation;
use crate::engine::integrations::aws as service;

/// A Lambda function called with the transformed message.
pub(super) async fn lambda(
    gw: &Gateway,
    i: &CompiledIntegration,
    input: &Input<'_>,
    uri: &str,
    json: Option<&Value>,
    context: &Value,
) -> Result<Output, IntegrationError> {
    let (name, qualifier) =
        crate::engine::http_api::live::lambda_target(uri, input.stage_variables).ok_or_else(
            || IntegrationError::Configuration(format!("Invalid function URI {uri}")),
        )?;
    let payload = request_body(i, input, json, context)?;
    let invocation = tokio::time::timeout(
        i.timeout,
        gw.inner
            .functions
            .invoke(&name, qualifier.as_deref(), Bytes::from(payload), None),
    )
    .await
    .map_err(|_| IntegrationError::Timeout)?
    .map_err(|e| IntegrationError::Failed(e.to_string()))?;
    let text = String::from_utf8_lossy(&invocation.payload).into_owned();
    if invocation.function_error.is_none() {
        let (body, binary) = response_body(i, input, None, &text, context)?;
        return Ok(Output {
            status: 200,
            body,
            binary,
            headers: Vec::new(),
        });
    }
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| text.clone());
    let selected = i
        .responses
        .iter()
        .any(|r| r.pattern.as_ref().is_some_and(|p| p.is_match(&message)));
    if !selected {
        return Err(IntegrationError::Failed(format!(
            "Lambda function error: {text}"
        )));
    }
    // An error an integration response maps is still the integration's failure (500 in the
    // metrics and logs), but its rendered template is what a two-way route sends back.
    let (body, binary) = response_body(i, input, Some(&message), &text, context)?;
    Ok(Output {
        status: 500,
        body,
        binary,
        headers: Vec::new(),
    })
}

/// The value of a `requestParameters` source: `'literal'`, `route.request.header.X` /
/// `route.request.querystring.X` (the upgrade request's, on `$connect`),
/// `route.request.body.X` (the message's JSON), `context.X`, `stageVariables.X`.
fn parameter(
    source: &str,
    input: &Input<'_>,
    json: Option<&Value>,
    context: &Value,
) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if let Some(literal) = source.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        return Some(literal.to_string());
    }
    if let Some(h) = source.strip_prefix("route.request.header.") {
        let (headers, _) = input.connect?;
        return headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
    }
    if let Some(q) = source.strip_prefix("route.request.querystring.") {
        let (_, query) = input.connect?;
        return query.iter().find(|(k, _)| k == q).map(|(_, v)| v.clone());
    }
    if let Some(path) = source.strip_prefix("route.request.body.") {
        return path.split('.').try_fold(json?, |v, k| v.get(k)).map(text);
    }
    if let Some(path) = source.strip_prefix("context.") {
        return path.split('.').try_fold(context, |v, k| v.get(k)).map(text);
    }
    if let Some(name) = source.strip_prefix("stageVariables.") {
        return input.stage_variables.get(name).cloned();
    }
    None
}

/// An AWS service action or path, signed and sent to the `[aws]` endpoint.
pub(super) async fn service(
    gw: &Gateway,
    i: &CompiledIntegration,
    input: &Input<'_>,
    (uri, verb, parameters): (&str, &str, &[(ParamLocation, String, String)]),
    json: Option<&Value>,
    context: &Value,
) -> Result<Output, IntegrationError> {
    let uri = crate::engine::params::substitute_stage_variables(uri, input.stage_variables);
    let target = service::parse_uri(&uri).map_err(IntegrationError::Configuration)?;
    let body = request_body(i, input, json, context)?;
    let params: Vec<(ParamLocation, String, String)> = parameters
        .iter()
        .filter_map(|(location, name, source)| {
            Some((
                *location,
                name.clone(),
                parameter(source, input, json, context)?,
            ))
        })
        .collect();
    let settings = gw.inner.aws.load();
    let request = service::build(
        &settings,
        &target,
        service::Parts {
            verb,
            params: &params,
            client_content_type: None,
            body: Bytes::from(body),
            trace: None,
        },
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| match e {
        crate::engine::error::GatewayError::Configuration { reason } => {
            IntegrationError::Configuration(reason)
        }
        other => IntegrationError::Failed(format!("{other:?}")),
    })?;
    let (status, _, response) = crate::engine::integrations::http::send(
        &gw.inner.http,
        request.method,
        &request.url,
        request.headers,
        request.body,
        i.timeout,
    )
    .await
    .map_err(|e| match e {
        crate::engine::error::GatewayError::IntegrationTimeout => IntegrationError::Timeout,
        other => IntegrationError::Failed(format!("{other:?}")),
    })?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let (body, binary) = response_body(i, input, Some(&status.to_string()), &text, context)?;
    Ok(Output {
        status,
        body,
        binary,
        headers: Vec::new(),
    })
}
