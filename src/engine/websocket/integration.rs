//! Running a route's integration for a connect, a message or a disconnect: MOCK (request
//! template → integration response template), AWS_PROXY (Lambda, the event of
//! [`super::event`]), AWS (a Lambda function or an AWS service with templates,
//! [`super::aws`]), HTTP (templates) and HTTP_PROXY (the message as is). Template
//! selection, passthrough behaviour and integration response selection as AWS documents them.

use std::sync::Arc;

use bytes::Bytes;
use http::HeaderMap;
use indexmap::IndexMap;
use serde_json::Value;

use base64::Engine as _;

use super::compiled::{Backend, CompiledIntegration, ContentHandling, Passthrough};
use super::event::{ConnectionInfo, RequestMeta, lambda_event, request_context};
use crate::engine::Gateway;
use crate::mapping::RequestData;
use crate::model::v2::websocket::DEFAULT;
use crate::vtl::Template;

/// What a request brings to its integration.
pub struct Input<'a> {
    pub info: &'a ConnectionInfo,
    pub meta: &'a RequestMeta,
    pub body: &'a [u8],
    pub binary: bool,
    /// `$connect`: the upgrade request's headers and query pairs.
    pub connect: Option<(&'a HeaderMap, &'a [(String, String)])>,
    pub stage_variables: &'a IndexMap<String, String>,
}

/// The integration's answer.
#[derive(Debug)]
pub struct Output {
    pub status: u16,
    /// What a two-way route sends back (`None`: nothing to send).
    pub body: Option<String>,
    /// The matched integration response converts to binary: `body` is base64, sent as a
    /// binary frame.
    pub binary: bool,
    /// `$connect` through AWS_PROXY: the function's headers (`Sec-WebSocket-Protocol`).
    pub headers: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("Execution failed due to configuration error: {0}")]
    Configuration(String),
    #[error("Execution failed: {0}")]
    Failed(String),
    #[error("Execution failed due to a timeout error")]
    Timeout,
    /// Passthrough `NEVER` (or `WHEN_NO_TEMPLATES` with templates) and no template matched.
    #[error("Unsupported Media Type")]
    UnsupportedMediaType,
}

fn request_data(input: &Input<'_>) -> RequestData {
    let mut data = RequestData {
        body: String::from_utf8_lossy(input.body).into_owned(),
        ..RequestData::default()
    };
    if let Some((headers, query)) = input.connect {
        data.headers = headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        data.querystring = query.to_vec();
    }
    data
}

/// The template a selection expression picks (`$default` as the catch-all).
fn pick<'t>(
    templates: &'t [(String, Arc<Template>)],
    selection: Option<&super::selection::Selection>,
    body: Option<&Value>,
    context: &Value,
) -> Option<&'t Arc<Template>> {
    let key = selection.map(|s| s.eval(body, context));
    key.as_deref()
        .and_then(|k| templates.iter().find(|(t, _)| t == k))
        .or_else(|| templates.iter().find(|(t, _)| t == DEFAULT))
        .or_else(|| (selection.is_none() && templates.len() == 1).then(|| &templates[0]))
        .map(|(_, t)| t)
}

/// Applies the request template (or passthrough) to the message.
pub(super) fn request_body(
    i: &CompiledIntegration,
    input: &Input<'_>,
    json: Option<&Value>,
    context: &Value,
) -> Result<String, IntegrationError> {
    let template = pick(
        &i.request_templates,
        i.template_selection.as_ref(),
        json,
        context,
    );
    match template {
        Some(t) => crate::mapping::render_request_template(
            t,
            &request_data(input),
            context,
            input.stage_variables,
        )
        .map(|r| r.body)
        .map_err(|e| IntegrationError::Configuration(format!("Unable to transform request: {e}"))),
        None => {
            let pass = match i.passthrough {
                Passthrough::WhenNoMatch => true,
                Passthrough::Never => false,
                Passthrough::WhenNoTemplates => i.request_templates.is_empty(),
            };
            if pass {
                Ok(String::from_utf8_lossy(input.body).into_owned())
            } else {
                Err(IntegrationError::UnsupportedMediaType)
            }
        }
    }
}

/// Integration responses: the first whose regex matches `key` (the status code, or a Lambda
/// error message; `None`, a Lambda success, takes `$default` only), else `$default`; its
/// template renders the backend's body. Without integration responses the body goes back as
/// it is. The flag: send as binary (the body is base64).
pub(super) fn response_body(
    i: &CompiledIntegration,
    input: &Input<'_>,
    key: Option<&str>,
    backend_body: &str,
    context: &Value,
) -> Result<(Option<String>, bool), IntegrationError> {
    if i.responses.is_empty() {
        return Ok((Some(backend_body.to_string()), false));
    }
    let Some(r) = i.responses.iter().find(|r| match (&r.pattern, key) {
        (None, _) => true,
        (Some(p), Some(key)) => p.is_match(key),
        (Some(_), None) => false,
    }) else {
        return Ok((None, false));
    };
    let binary = r.content_handling == Some(ContentHandling::ConvertToBinary);
    let text = |body: String| -> String {
        if r.content_handling == Some(ContentHandling::ConvertToText) {
            base64::engine::general_purpose::STANDARD.encode(body)
        } else {
            body
        }
    };
    // `$request.body…` still reads the client's message.
    let json: Option<Value> = if input.binary {
        None
    } else {
        serde_json::from_slice(input.body).ok()
    };
    match pick(
        &r.templates,
        r.template_selection.as_ref(),
        json.as_ref(),
        context,
    ) {
        Some(t) => crate::mapping::render_response_template(
            t,
            backend_body,
            &request_data(input),
            context,
            input.stage_variables,
        )
        .map(|r| (Some(text(r.body)), binary))
        .map_err(|e| IntegrationError::Configuration(format!("Unable to transform response: {e}"))),
        None => Ok((Some(text(backend_body.to_string())), binary)),
    }
}

pub async fn run(
    gw: &Gateway,
    i: &CompiledIntegration,
    input: &Input<'_>,
) -> Result<Output, IntegrationError> {
    // contentHandlingStrategy on the way in: binary → base64 text, or base64 text → binary.
    let converted: Vec<u8>;
    let (body, binary) = match (i.content_handling, input.binary) {
        (Some(ContentHandling::ConvertToText), true) => {
            converted = base64::engine::general_purpose::STANDARD
                .encode(input.body)
                .into_bytes();
            (&converted[..], false)
        }
        (Some(ContentHandling::ConvertToBinary), false) => {
            match base64::engine::general_purpose::STANDARD.decode(input.body) {
                Ok(b) => {
                    converted = b;
                    (&converted[..], true)
                }
                Err(_) => (input.body, false),
            }
        }
        _ => (input.body, input.binary),
    };
    let input = &Input {
        body,
        binary,
        ..*input
    };
    let context = request_context(input.info, input.meta);
    let json: Option<Value> = if input.binary {
        None
    } else {
        serde_json::from_slice(input.body).ok()
    };
    match &i.backend {
        Backend::Mock => {
            let rendered = request_body(i, input, json.as_ref(), &context)?;
            let status = serde_json::from_str::<Value>(&rendered)
                .ok()
                .and_then(|v| v.get("statusCode").and_then(Value::as_u64))
                .map_or(200, |s| s as u16);
            let (body, binary) =
                response_body(i, input, Some(&status.to_string()), &rendered, &context)?;
            // A MOCK without integration responses has no output to send back.
            let body = if i.responses.is_empty() { None } else { body };
            Ok(Output {
                status,
                body,
                binary,
                headers: Vec::new(),
            })
        }
        Backend::Lambda { uri } => {
            let (name, qualifier) =
                crate::engine::http_api::live::lambda_target(uri, input.stage_variables)
                    .ok_or_else(|| {
                        IntegrationError::Configuration(format!("Invalid function URI {uri}"))
                    })?;
            let event = lambda_event(
                input.info,
                input.meta,
                Some(input.body),
                input.binary,
                input.connect,
            );
            let event = if input.meta.event_type == super::event::EventType::Message {
                event
            } else {
                // CONNECT and DISCONNECT carry no body.
                let mut e = event;
                if let Value::Object(m) = &mut e {
                    m.remove("body");
                }
                e
            };
            let payload =
                serde_json::to_vec(&event).map_err(|e| IntegrationError::Failed(e.to_string()))?;
            let invocation = tokio::time::timeout(
                i.timeout,
                gw.inner
                    .functions
                    .invoke(&name, qualifier.as_deref(), Bytes::from(payload), None),
            )
            .await
            .map_err(|_| IntegrationError::Timeout)?
            .map_err(|e| IntegrationError::Failed(e.to_string()))?;
            if invocation.function_error.is_some() {
                return Err(IntegrationError::Failed(format!(
                    "Lambda function error: {}",
                    String::from_utf8_lossy(&invocation.payload)
                )));
            }
            let v: Value = serde_json::from_slice(&invocation.payload).unwrap_or(Value::Null);
            let status = v
                .get("statusCode")
                .and_then(Value::as_u64)
                .map_or(200, |s| s as u16);
            let body = match v.get("body") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Null) | None => match &v {
                    Value::Object(m) if m.contains_key("statusCode") => None,
                    Value::Null => None,
                    other => Some(other.to_string()),
                },
                Some(other) => Some(other.to_string()),
            };
            let headers = v
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            Ok(Output {
                status,
                body,
                binary: false,
                headers,
            })
        }
        Backend::AwsLambda { uri } => {
            super::aws::lambda(gw, i, input, uri, json.as_ref(), &context).await
        }
        Backend::AwsService {
            uri,
            method,
            parameters,
        } => {
            super::aws::service(
                gw,
                i,
                input,
                (uri, method, parameters),
                json.as_ref(),
                &context,
            )
            .await
        }
        Backend::Http { uri, method, proxy } => {
            let url = crate::engine::params::substitute_stage_variables(uri, input.stage_variables);
            let body = if *proxy {
                String::from_utf8_lossy(input.body).into_owned()
            } else {
                request_body(i, input, json.as_ref(), &context)?
            };
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/json"),
            );
            let (status, _, response) = crate::engine::integrations::http::send(
                &gw.inner.http,
                method.clone(),
                &url,
                headers,
                Bytes::from(body),
                i.timeout,
            )
            .await
            .map_err(|e| match e {
                crate::engine::error::GatewayError::IntegrationTimeout => IntegrationError::Timeout,
                other => IntegrationError::Failed(format!("{other:?}")),
            })?;
            let text = String::from_utf8_lossy(&response).into_owned();
            let (body, binary) = if *proxy {
                (Some(text), false)
            } else {
                response_body(i, input, Some(&status.to_string()), &text, &context)?
            };
            Ok(Output {
                status,
                body,
                binary,
                headers: Vec::new(),
            })
        }
    }
}
