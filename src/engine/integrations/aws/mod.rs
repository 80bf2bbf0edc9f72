//! AWS service integrations (integration type `AWS` with a service other than Lambda):
//! `arn:aws:apigateway:{region}:{service|subdomain.service}:action/{Action}[&p=v...]` or
//! `...:path/{path}` becomes a SigV4-signed HTTP request to the endpoint `[aws]` configures
//! for the service (an AWS-compatible emulator, or real AWS when `real = true`).
//!
//! This is a thin layer over the HTTP integration: it builds the URL, the headers the service
//! expects (`X-Amz-Target` and `application/x-amz-json-1.x` for JSON services, `Action=` and
//! `application/x-www-form-urlencoded` for query services, the client's `Content-Type` for
//! REST services such as S3) and signs; the request then goes through the same pooled client,
//! timeout, execution log and integration-response processing as an HTTP integration.

pub mod public_view;
pub mod services;
pub mod settings;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use time::OffsetDateTime;

use crate::auth::sign::{self, Outbound, Scope};
use crate::auth::sigv4::uri_encode;
use crate::engine::compiled::ParamLocation;
use crate::engine::error::GatewayError;
use services::Protocol;
pub use settings::{AwsConfig, AwsSettings, Route};

/// What an AWS integration URI names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target<'u> {
    pub region: &'u str,
    /// The service name (`sqs`, `states`, `s3`...).
    pub service: &'u str,
    /// `bucket` in `bucket.s3`.
    pub subdomain: Option<&'u str>,
    pub kind: Kind<'u>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind<'u> {
    /// `action/{Action}`, with the `&p=v` parameters that may follow it.
    Action { action: &'u str, params: &'u str },
    /// `path/{path}` (without the leading `/`).
    Path(&'u str),
}

/// Parses an AWS integration URI (after stage-variable substitution).
pub fn parse_uri(uri: &str) -> Result<Target<'_>, String> {
    let invalid = || format!("Invalid AWS integration URI {uri}");
    let mut parts = uri.splitn(6, ':');
    let (
        Some("arn"),
        Some(_partition),
        Some("apigateway"),
        Some(region),
        Some(service),
        Some(rest),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return Err(invalid());
    };
    if region.is_empty() || service.is_empty() {
        return Err(invalid());
    }
    let (subdomain, service) = match service.rsplit_once('.') {
        Some((sub, svc)) if !sub.is_empty() && !svc.is_empty() => (Some(sub), svc),
        Some(_) => return Err(invalid()),
        None => (None, service),
    };
    let kind = if let Some(action) = rest.strip_prefix("action/") {
        let (action, params) = action.split_once('&').unwrap_or((action, ""));
        if action.is_empty() {
            return Err(invalid());
        }
        Kind::Action { action, params }
    } else if let Some(path) = rest.strip_prefix("path/") {
        Kind::Path(path)
    } else {
        return Err("AWS ARN for integration must contain path or action".to_string());
    };
    Ok(Target {
        region,
        service,
        subdomain,
        kind,
    })
}

/// The services `gwtui info` lists: the ones the issue names, plus any `[aws.endpoints]` one.
pub fn info_services(settings: &AwsSettings) -> Vec<String> {
    let mut list: Vec<String> = [
        "sqs", "sns", "dynamodb", "states", "kinesis", "events", "s3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for name in settings.endpoints.keys() {
        if !list.contains(name) {
            list.push(name.clone());
        }
    }
    list
}

/// Whether an `AWS` integration URI targets Lambda (served by the Lambda integration).
pub fn is_lambda(uri: &str) -> bool {
    uri.contains(":lambda:path/") || !uri.contains(":apigateway:")
}

/// The request an AWS integration sends, signed.
#[derive(Debug)]
pub struct ServiceRequest {
    pub method: Method,
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The inputs of [`build`]: the integration's verb, its evaluated parameter mappings, the
/// transformed body and, on a traced stage, the request's `X-Amzn-Trace-Id`.
pub struct Parts<'a> {
    pub verb: &'a str,
    pub params: &'a [(ParamLocation, String, String)],
    pub client_content_type: Option<&'a HeaderValue>,
    pub body: Bytes,
    /// Sent as `X-Amzn-Trace-Id` (active tracing, ops.md §7): the service continues the
    /// request's trace with the gateway's segment as its parent.
    pub trace: Option<&'a HeaderValue>,
}

fn configuration(reason: String) -> GatewayError {
    GatewayError::Configuration { reason }
}

/// Builds and signs the service request.
pub fn build(
    settings: &AwsSettings,
    target: &Target<'_>,
    parts: Parts<'_>,
    now: OffsetDateTime,
) -> Result<ServiceRequest, GatewayError> {
    let service = services::lookup(target.service);
    let protocol = service.map_or(Protocol::Query { version: "" }, |s| s.protocol);
    let signing_name = service.map_or(target.service, |s| s.signing_name);
    let route = settings.route(target.service).map_err(configuration)?;
    let s3 = target.service == "s3";

    let (origin, mut path) = match &route {
        Route::Endpoint { endpoint, .. } => {
            let mut path = String::with_capacity(64);
            path.push_str(&endpoint.base_path);
            // An emulator endpoint serves buckets path-style.
            if let (true, Some(bucket)) = (s3, target.subdomain) {
                path.push('/');
                path.push_str(&uri_encode(bucket, false));
            }
            (endpoint.origin.clone(), path)
        }
        Route::Real => {
            let mut host = settings::real_host(target.service, target.region);
            // Step Functions serves StartSyncExecution on its `sync-` endpoint only.
            if let ("states", Kind::Action { action, .. }) = (target.service, &target.kind)
                && *action == "StartSyncExecution"
            {
                host = format!("sync-{host}");
            }
            let host = match target.subdomain {
                Some(sub) => format!("{sub}.{host}"),
                None => host,
            };
            (format!("https://{host}"), String::new())
        }
    };

    let find = |loc: ParamLocation, name: &str| {
        parts
            .params
            .iter()
            .find(|(l, n, _)| *l == loc && n.eq_ignore_ascii_case(name))
            .map(|(_, _, v)| v.as_str())
    };
    let mut query: Vec<String> = Vec::new();
    let mut target_header = None;
    match &target.kind {
        Kind::Path(p) => {
            path.push('/');
            path.push_str(&crate::engine::params::fill_path_placeholders(p, |name| {
                find(ParamLocation::Path, name).map(|v| {
                    let decoded = percent_encoding::percent_decode_str(v).decode_utf8_lossy();
                    uri_encode(&decoded, true)
                })
            }));
        }
        Kind::Action { action, params } => {
            path.push('/');
            match protocol {
                Protocol::Json { target_prefix, .. } => {
                    target_header = Some(format!("{target_prefix}.{action}"));
                }
                Protocol::Query { version } => {
                    query.push(format!("Action={}", uri_encode(action, false)));
                    let has_version = params.split('&').any(|p| p.starts_with("Version="))
                        || find(ParamLocation::Query, "Version").is_some();
                    if !version.is_empty() && !has_version {
                        query.push(format!("Version={version}"));
                    }
                }
                Protocol::Rest => query.push(format!("Action={}", uri_encode(action, false))),
            }
            query.extend(
                params
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
    }
    for (_, name, value) in parts
        .params
        .iter()
        .filter(|(l, _, _)| *l == ParamLocation::Query)
    {
        query.push(format!(
            "{}={}",
            uri_encode(name, false),
            uri_encode(value, false)
        ));
    }
    let mut url = origin;
    url.push_str(&path);
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    // What goes on the wire is what the client library makes of the URL; sign exactly that.
    let parsed = reqwest::Url::parse(&url)
        .map_err(|e| configuration(format!("Invalid AWS endpoint request URI {url}: {e}")))?;

    let method = Method::from_bytes(parts.verb.to_ascii_uppercase().as_bytes())
        .map_err(|_| configuration(format!("Invalid integration HTTP method {}", parts.verb)))?;
    let mut headers = HeaderMap::new();
    let service_type = match (&target.kind, service) {
        (Kind::Action { .. }, _) => service.and_then(|s| s.content_type()).or(
            // An unknown service takes actions through the query protocol.
            service
                .is_none()
                .then_some("application/x-www-form-urlencoded; charset=utf-8"),
        ),
        (Kind::Path(_), Some(s)) => s.content_type(),
        (Kind::Path(_), None) => None,
    };
    match service_type {
        Some(ct) => {
            headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        None => {
            if let Some(ct) = parts.client_content_type {
                headers.insert(http::header::CONTENT_TYPE, ct.clone());
            }
        }
    }
    headers.insert(
        http::header::ACCEPT,
        HeaderValue::from_static("application/json"),
    );
    if let Some(t) = target_header
        && let Ok(v) = HeaderValue::from_str(&t)
    {
        headers.insert("x-amz-target", v);
    }
    for (_, name, value) in parts
        .params
        .iter()
        .filter(|(l, _, _)| *l == ParamLocation::Header)
    {
        let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if forbidden_mapped_header(&n) {
            return Err(configuration(format!("{name} header already present")));
        }
        headers.insert(n, v);
    }

    let credentials = settings.credentials.as_ref().ok_or_else(|| {
        configuration(
            "No AWS credentials for the integration: set [aws] access_key_id and secret_access_key, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a shared credentials file".into(),
        )
    })?;
    let authority = match parsed.port() {
        Some(port) => format!("{}:{port}", parsed.host_str().unwrap_or_default()),
        None => parsed.host_str().unwrap_or_default().to_string(),
    };
    let outbound = Outbound {
        method: method.as_str(),
        authority: &authority,
        path: parsed.path(),
        query: parsed.query(),
        body: &parts.body,
    };
    let scope = Scope {
        region: target.region,
        service: signing_name,
    };
    sign::sign(&outbound, &mut headers, credentials, &scope, now)
        .map_err(|e| configuration(format!("Cannot sign the AWS request: {e}")))?;
    // After signing, as the AWS SDKs do (botocore leaves `x-amzn-trace-id` out of the signed
    // headers): a hop that rewrites the trace header does not break the signature.
    if let Some(trace) = parts.trace {
        headers.insert("x-amzn-trace-id", trace.clone());
    }
    Ok(ServiceRequest {
        method,
        url: parsed.into(),
        headers,
        body: parts.body,
    })
}

/// Headers a mapping may not set on an AWS integration (execution.md §9.5).
fn forbidden_mapped_header(name: &HeaderName) -> bool {
    matches!(
        name.as_str(),
        "content-length"
            | "transfer-encoding"
            | "x-amzn-trace-id"
            | "x-amzn-apigateway-api-id"
            | "authorization"
            | "connection"
            | "expect"
            | "proxy-authenticate"
            | "te"
    )
}

#[cfg(test)]
mod tests;
