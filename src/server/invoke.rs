//! Invoke URLs: host style `Host: {restApiId}.execute-api.localhost[:port]` with path
//! `/{stage}/{path}`, and path style `/restapis/{restApiId}/{stage}/_user_request_/{path}`.

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use http::{Response, Version};
use http_body_util::Full;

use super::Body;
use crate::engine::error::GatewayError;
use crate::engine::{Gateway, InvokeRequest, InvokeResponse};

#[derive(Debug)]
pub enum Target {
    Invoke {
        api_id: String,
        stage: String,
        path: String,
        context_path: String,
    },
    Management,
}

/// Decides whether a request is for an API's invoke URL or for the management surface.
pub fn classify(parts: &Parts) -> Target {
    let raw_path = parts.uri.path();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host());
    if let Some(api_id) = host.and_then(host_style_api_id) {
        let (stage, path) = split_stage(raw_path);
        return Target::Invoke {
            api_id: api_id.to_string(),
            stage,
            path,
            context_path: raw_path.to_string(),
        };
    }
    if let Some(rest) = raw_path.strip_prefix("/restapis/") {
        let mut it = rest.splitn(3, '/');
        if let (Some(api_id), Some(stage), Some(tail)) = (it.next(), it.next(), it.next())
            && let Some(user) = tail.strip_prefix("_user_request_")
            && (user.is_empty() || user.starts_with('/'))
        {
            let path = if user.is_empty() {
                "/".to_string()
            } else {
                user.to_string()
            };
            let context_path = format!("/{stage}{}", if user.is_empty() { "" } else { user });
            return Target::Invoke {
                api_id: api_id.to_string(),
                stage: stage.to_string(),
                path,
                context_path,
            };
        }
    }
    Target::Management
}

/// `{id}.execute-api.localhost[:port]` (or any `{id}.execute-api.…` host) → `id`.
fn host_style_api_id(host: &str) -> Option<&str> {
    let (id, rest) = host.split_once('.')?;
    (rest.starts_with("execute-api.") && !id.is_empty()).then_some(id)
}

/// `/prod/pets/1` → (`prod`, `/pets/1`); leading empty segments are skipped (`//prod/x`).
fn split_stage(raw_path: &str) -> (String, String) {
    let trimmed = raw_path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some((stage, rest)) => (stage.to_string(), format!("/{rest}")),
        None => (trimmed.to_string(), "/".to_string()),
    }
}

fn to_request(
    parts: Parts,
    body: Bytes,
    peer: SocketAddr,
    api_id: String,
    stage: String,
    path: String,
    context_path: String,
) -> InvokeRequest {
    InvokeRequest {
        method: parts.method,
        api_id,
        stage,
        path,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        source_ip: peer.ip(),
        protocol: if parts.version == Version::HTTP_2 {
            "HTTP/2.0"
        } else {
            "HTTP/1.1"
        },
        context_path,
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn run(
    gw: &Gateway,
    parts: Parts,
    body: Bytes,
    peer: SocketAddr,
    api_id: String,
    stage: String,
    path: String,
    context_path: String,
) -> Response<Body> {
    let request = to_request(parts, body, peer, api_id, stage, path, context_path);
    into_http(gw.invoke(request).await)
}

pub fn too_large(
    gw: &Gateway,
    parts: Parts,
    peer: SocketAddr,
    api_id: String,
    stage: String,
    path: String,
    context_path: String,
) -> Response<Body> {
    let request = to_request(parts, Bytes::new(), peer, api_id, stage, path, context_path);
    into_http(crate::engine::pipeline::reject(
        gw,
        &request,
        GatewayError::RequestTooLarge,
    ))
}

fn into_http(r: InvokeResponse) -> Response<Body> {
    let mut response = Response::new(Full::new(r.body));
    *response.status_mut() = r.status;
    *response.headers_mut() = r.headers;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_split_and_host_style() {
        assert_eq!(
            split_stage("/prod/pets/1"),
            ("prod".into(), "/pets/1".into())
        );
        assert_eq!(split_stage("//prod/x"), ("prod".into(), "/x".into()));
        assert_eq!(split_stage("/prod"), ("prod".into(), "/".into()));
        assert_eq!(split_stage("/prod/"), ("prod".into(), "/".into()));
        assert_eq!(
            host_style_api_id("abc123.execute-api.localhost:4567"),
            Some("abc123")
        );
        assert_eq!(host_style_api_id("localhost:4567"), None);
    }
}
