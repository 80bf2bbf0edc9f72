//! Invoke URLs: host style `Host: {restApiId}.execute-api.localhost[:port]` with path
//! `/{stage}/{path}`, path style `/restapis/{restApiId}/{stage}/_user_request_/{path}`, and
//! custom domains (`Host: api.example.com`, `/{basePath}/{path}`, execution.md §1).

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use http::{Response, Version};
use http_body_util::Full;

use super::Body;
use crate::engine::GatewayError;
use crate::engine::{Gateway, InvokeRequest, InvokeResponse};

/// Where an invoke request goes.
#[derive(Debug)]
pub struct InvokeTarget {
    pub api_id: String,
    pub stage: String,
    pub path: String,
    pub context_path: String,
    /// On a custom domain: the base path the request matched.
    pub base_path: Option<String>,
}

#[derive(Debug)]
pub enum Target {
    Invoke(InvokeTarget),
    /// A custom domain none of whose base paths matches the request: 403 Forbidden.
    UnmappedDomain,
    Management,
}

/// Decides whether a request is for an API's invoke URL or for the management surface.
pub fn classify(gw: &Gateway, parts: &Parts) -> Target {
    let raw_path = parts.uri.path();
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.host());
    if let Some(host) = host
        && let Some(found) = gw.custom_domain(host, raw_path)
    {
        let Some(m) = found else {
            return Target::UnmappedDomain;
        };
        let (stage, path) = match m.stage {
            Some(stage) => (stage, m.path),
            None => split_stage(&m.path),
        };
        return Target::Invoke(InvokeTarget {
            api_id: m.rest_api_id,
            stage,
            path,
            context_path: raw_path.to_string(),
            base_path: Some(m.base_path),
        });
    }
    if let Some(api_id) = host.and_then(host_style_api_id) {
        let (stage, path) = split_stage(raw_path);
        return Target::Invoke(InvokeTarget {
            api_id: api_id.to_string(),
            stage,
            path,
            context_path: raw_path.to_string(),
            base_path: None,
        });
    }
    if let Some(rest) = raw_path.strip_prefix("/restapis/")
        && let Some((api_id, rest)) = split_at_byte(rest, b'/')
        && let Some((stage, tail)) = split_at_byte(rest, b'/')
        && let Some(user) = tail.strip_prefix("_user_request_")
        && (user.is_empty() || user.starts_with('/'))
    {
        let path = if user.is_empty() {
            "/".to_string()
        } else {
            user.to_string()
        };
        // `/{stage}{user}`, built at its length (`format!` costs about 1 k instructions).
        let mut context_path = String::with_capacity(1 + stage.len() + user.len());
        context_path.push('/');
        context_path.push_str(stage);
        context_path.push_str(user);
        return Target::Invoke(InvokeTarget {
            api_id: api_id.to_string(),
            stage: stage.to_string(),
            path,
            context_path,
            base_path: None,
        });
    }
    Target::Management
}

/// `text` split around the first `byte` (an ASCII byte): `split_once` without the char
/// searcher's setup, which costs more than these short searches (three per request).
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    debug_assert!(byte.is_ascii());
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

/// `{id}.execute-api.localhost[:port]` (or any `{id}.execute-api.…` host) → `id`.
fn host_style_api_id(host: &str) -> Option<&str> {
    let (id, rest) = split_at_byte(host, b'.')?;
    (rest.starts_with("execute-api.") && !id.is_empty()).then_some(id)
}

/// `/prod/pets/1` → (`prod`, `/pets/1`); leading empty segments are skipped (`//prod/x`).
fn split_stage(raw_path: &str) -> (String, String) {
    let trimmed = raw_path.trim_start_matches('/');
    match trimmed.split_once('/') {
        Some((stage, rest)) => {
            let mut path = String::with_capacity(1 + rest.len());
            path.push('/');
            path.push_str(rest);
            (stage.to_string(), path)
        }
        None => (trimmed.to_string(), "/".to_string()),
    }
}

fn to_request(mut parts: Parts, body: Bytes, peer: SocketAddr, t: InvokeTarget) -> InvokeRequest {
    // HTTP/2 clients send `:authority` instead of `Host`; API Gateway presents it as `Host`
    // (`$context.domainName`, the event's headers) as it does for HTTP/1.1.
    if !parts.headers.contains_key(http::header::HOST)
        && let Some(authority) = parts.uri.authority()
        && let Ok(host) = http::HeaderValue::from_str(authority.as_str())
    {
        parts.headers.insert(http::header::HOST, host);
    }
    InvokeRequest {
        method: parts.method,
        api_id: t.api_id,
        stage: t.stage,
        path: t.path,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        source_ip: peer.ip(),
        protocol: if parts.version == Version::HTTP_2 {
            "HTTP/2.0"
        } else {
            "HTTP/1.1"
        },
        context_path: t.context_path,
        base_path_matched: t.base_path,
        client_cert: parts
            .extensions
            .get::<std::sync::Arc<crate::tls::ClientCert>>()
            .cloned(),
    }
}

/// The engine's request for an invoke URL, its body still to be read (set once it is).
pub fn request(parts: Parts, peer: SocketAddr, target: InvokeTarget) -> InvokeRequest {
    to_request(parts, Bytes::new(), peer, target)
}

pub fn too_large(
    gw: &Gateway,
    parts: Parts,
    peer: SocketAddr,
    target: InvokeTarget,
) -> Response<Body> {
    rejected(gw, &request(parts, peer, target))
}

/// A request whose body turned out to be over 10 MB while it was read (`request` has no
/// body): answered the way its API's kind does.
pub fn rejected(gw: &Gateway, request: &InvokeRequest) -> Response<Body> {
    response(gw.reject(request, GatewayError::RequestTooLarge))
}

/// The engine's response as hyper's.
pub fn response(r: InvokeResponse) -> Response<Body> {
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
        assert_eq!(host_style_api_id(".execute-api.localhost"), None);
        for (text, byte) in [
            ("a/b/c", b'/'),
            ("/x", b'/'),
            ("x/", b'/'),
            ("abc", b'/'),
            ("", b'.'),
        ] {
            assert_eq!(
                split_at_byte(text, byte),
                text.split_once(char::from(byte)),
                "{text}"
            );
        }
    }
}
