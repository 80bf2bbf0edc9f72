//! Phase 9, integration response (execution.md §11): proxy passthrough, or selection by
//! pattern, response parameter mappings, template, `responseOverride`s, payload conversion
//! and the method response.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::{InvokeResponse, RequestContext, binary};
use crate::engine::Gateway;
use crate::engine::compiled::CompiledResponse;
use crate::engine::error::GatewayError;
use crate::engine::integrations::RawResponse;
use crate::mapping::{IntegrationResponseData, Overrides, ParamSources, render_response_template};

pub fn run(
    _gw: &Gateway,
    ctx: &mut RequestContext<'_>,
    raw: RawResponse,
) -> Result<InvokeResponse, GatewayError> {
    if raw.proxy {
        return Ok(proxy_response(raw));
    }
    let deployment = ctx
        .deployment
        .clone()
        .ok_or_else(|| GatewayError::Configuration {
            reason: "No integration defined for method".into(),
        })?;
    let integration = super::integration_request::integration_of(ctx, &deployment)?;
    let selected = match (ctx.integration_selection.as_deref(), raw.status) {
        // Lambda (non-proxy): selected by the function's errorMessage, "" on success.
        (Some(selection), _) => integration.select_response(selection),
        (None, Some(code)) => integration.select_response(status_text(code, &mut [0; 5])),
        (None, None) => integration.default_response.as_ref(),
    };
    let selected = selected.ok_or_else(|| GatewayError::Configuration {
        reason: format!(
            "No match for output mapping and no default output mapping configured. Endpoint Response Status Code: {}",
            raw.status.map(|s| s.to_string()).unwrap_or_else(|| "200".into())
        ),
    })?;
    let mut status = selected
        .status_code
        .parse::<u16>()
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| GatewayError::Configuration {
            reason: format!("Invalid status code {}", selected.status_code),
        })?;

    let types = &deployment.binary_media_types;
    let payload_binary = binary::is_binary(
        types,
        raw.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    let accept = first_accept(ctx);
    let accept_binary = binary::is_binary(types, accept.as_deref());
    // The integration's contentHandling converts the request; the response has its own.
    let handling = selected.content_handling;

    let context = if selected.reads_context {
        let mut context = super::respond::context_json(ctx);
        // What the request template set in the override objects stays readable.
        if let (serde_json::Value::Object(map), Some(serde_json::Value::Object(carried))) =
            (&mut context, &ctx.carried_overrides)
        {
            for (k, v) in carried {
                map.insert(k.clone(), v.clone());
            }
        }
        context
    } else {
        serde_json::Value::Null
    };
    let stage_variables = ctx.stage_variables.clone();
    let integration_body = binary::template_text(&raw.body, payload_binary);
    let mut headers = HeaderMap::new();
    if !selected.response_parameters.is_empty() {
        let response = IntegrationResponseData {
            headers: raw
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        super::title_case(n.as_str()),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: integration_body.clone(),
        };
        let request = ctx.request_data();
        let sources = ParamSources {
            request: Some(request),
            response: Some(&response),
            stage_variables: &stage_variables,
            context: &context,
        };
        for (name, expr) in &selected.response_parameters {
            let Some(value) = expr.eval(&sources) else {
                continue;
            };
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.insert(n, v);
            }
        }
    }

    // A `responseOverride` the request template set applies like the response template's own
    // (which, rendered next, may override it again).
    if let Some(carried) = &ctx.carried_overrides {
        let overrides = crate::mapping::carried_response_overrides(carried);
        apply_overrides(&overrides, &mut status, &mut headers);
    }

    let body = match choose_response_template(accept.as_deref(), selected) {
        // Literal text: what the evaluator would write, shared, without the request data.
        Some(template) if template.literal().is_some() => {
            let text = template.literal().cloned().unwrap_or_default();
            binary::convert_response(text, false, accept_binary, handling)?
        }
        Some(template) => {
            let request = ctx.request_data();
            let rendered = render_response_template(
                template.template(),
                &integration_body,
                request,
                &context,
                &stage_variables,
            )
            .map_err(|e| GatewayError::Configuration {
                reason: format!("Unable to transform response: {e}"),
            })?;
            apply_overrides(&rendered.overrides, &mut status, &mut headers);
            binary::convert_response(Bytes::from(rendered.body), false, accept_binary, handling)?
        }
        None => {
            binary::convert_response(raw.body.clone(), payload_binary, accept_binary, handling)?
        }
    };
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(InvokeResponse {
        status,
        headers,
        body,
    })
}

/// `code` in decimal, written into `buf` (what `code.to_string()` gives, without allocating).
fn status_text(mut code: u16, buf: &mut [u8; 5]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (code % 10) as u8;
        code /= 10;
        if code == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).unwrap_or_default()
}

/// `$context.responseOverride.status` and `.header.X`, on top of the mapped headers.
fn apply_overrides(overrides: &Overrides, status: &mut StatusCode, headers: &mut HeaderMap) {
    if let Some(s) = overrides.status.and_then(|s| StatusCode::from_u16(s).ok()) {
        *status = s;
    }
    for (name, value) in &overrides.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(n, v);
        }
    }
}

/// The first media type of `Accept` (API Gateway honours only the first), lowercased.
fn first_accept(ctx: &RequestContext<'_>) -> Option<String> {
    ctx.header("accept")
        .and_then(|a| a.split(',').next())
        .and_then(|a| a.split(';').next())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| !a.is_empty())
}

/// Response template by the first `Accept` MIME (missing or `*/*` → `application/json`); no
/// match → the `application/json` template, else the first; none → passthrough.
fn choose_response_template<'r>(
    accept: Option<&str>,
    selected: &'r CompiledResponse,
) -> Option<&'r crate::engine::template::CompiledTemplate> {
    if selected.response_templates.is_empty() {
        return None;
    }
    let accept = accept.filter(|a| *a != "*/*").unwrap_or("application/json");
    let find = |mime: &str| {
        selected
            .response_templates
            .iter()
            .find(|(ct, _)| ct == mime)
    };
    find(accept)
        .or_else(|| find("application/json"))
        .or_else(|| selected.response_templates.first())
        .map(|(_, t)| t)
}

/// HTTP_PROXY and AWS_PROXY: backend status, headers (after the response rules of
/// execution.md §9.5, `remapped_headers`) and body.
fn proxy_response(raw: RawResponse) -> InvokeResponse {
    let status = raw
        .status
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    InvokeResponse {
        status,
        headers: super::remapped_headers::proxy_headers(raw.headers),
        body: raw.body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_text_is_the_decimal_text() {
        for code in [0u16, 7, 10, 99, 200, 404, 599, 1000, u16::MAX] {
            assert_eq!(status_text(code, &mut [0; 5]), code.to_string());
        }
    }
}
