//! The management plane's defences against browsers (docs/SECURITY.md, "Management plane:
//! browser requests"). A web page the developer visits can send "simple" cross-site requests
//! to a loopback listener without any CORS preflight, and DNS rebinding lets a page read the
//! answers too. Before any management route runs, [`check_headers`] refuses:
//!
//! - a `Host` that is neither a loopback name or address nor in `[server] allowed_hosts`
//!   (DNS rebinding: the browser sends the attacker's host name);
//! - an `Origin` not in `[server] allowed_origins` (`Origin: null` is never allowed), and a
//!   request marked `Sec-Fetch-Site: cross-site`/`same-site` without an allowed `Origin`;
//!
//! and, once the body is read, [`check_content_type`] refuses a state-changing request whose
//! `Content-Type` a browser may send without a preflight (`text/plain`,
//! `application/x-www-form-urlencoded`, `multipart/form-data`), a body without a
//! `Content-Type` except on the operations whose AWS protocol sends exactly that (a blob
//! payload: ImportRestApi, PutRestApi, ImportDocumentationParts), and a `POST` with neither.
//!
//! Invoke URLs are the user's public API and never pass through here. The AWS CLI, the SDKs
//! and curl send no `Origin`, a loopback `Host` and `application/json` (or nothing, on a
//! body-less DELETE or a blob upload), so they keep working.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use http::request::Parts;
use http::{HeaderMap, HeaderValue, Method};

/// A host the management plane answers besides the loopback ones: an exact name or IP address
/// (`gwtui.internal`, `192.168.1.20`), or every subdomain of a name (`*.dev.example`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct AllowedHost {
    /// Lowercase, without a trailing dot; an IPv6 address without brackets.
    name: String,
    /// `*.name`: any name ending in `.name` (not `name` itself).
    subdomains: bool,
}

/// A web origin allowed to use the management API: `scheme://host[:port]`, normalised
/// (lowercase, default port dropped) as browsers serialise it in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct AllowedOrigin(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("allowed host {value:?}: {reason}")]
    Host { value: String, reason: &'static str },
    #[error("allowed origin {value:?}: {reason}")]
    Origin { value: String, reason: &'static str },
}

impl AllowedHost {
    pub fn parse(value: &str) -> Result<AllowedHost, PolicyError> {
        let fail = |reason| PolicyError::Host {
            value: value.to_string(),
            reason,
        };
        let lower = value.trim().to_ascii_lowercase();
        if lower.contains("://") || lower.contains('/') || lower.contains('@') {
            return Err(fail(
                "give a host name or IP address, without scheme, port or path",
            ));
        }
        let (subdomains, rest) = match lower.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, lower.as_str()),
        };
        let rest = rest.strip_suffix('.').unwrap_or(rest);
        if rest.is_empty() || rest == "*" {
            return Err(fail(
                "a wildcard must name a domain (`*.dev.example`); `*` alone would undo the DNS-rebinding check",
            ));
        }
        let bare = rest
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(rest);
        if let Ok(ip) = bare.parse::<IpAddr>() {
            if subdomains {
                return Err(fail("`*.` takes a domain name, not an IP address"));
            }
            return Ok(AllowedHost {
                name: ip.to_string(),
                subdomains: false,
            });
        }
        if rest.contains(':') {
            return Err(fail(
                "give a host name or IP address without a port (any port matches)",
            ));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if rest.len() > 253 || !rest.split('.').all(label_ok) {
            return Err(fail("not a valid host name"));
        }
        Ok(AllowedHost {
            name: rest.to_string(),
            subdomains,
        })
    }

    fn matches(&self, name: &str) -> bool {
        if self.subdomains {
            name.len() > self.name.len() + 1
                && name.ends_with(self.name.as_str())
                && name.as_bytes()[name.len() - self.name.len() - 1] == b'.'
        } else {
            name == self.name
        }
    }
}

impl TryFrom<String> for AllowedHost {
    type Error = PolicyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AllowedHost::parse(&value)
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.subdomains {
            write!(f, "*.{}", self.name)
        } else {
            f.write_str(&self.name)
        }
    }
}

impl AllowedOrigin {
    pub fn parse(value: &str) -> Result<AllowedOrigin, PolicyError> {
        let fail = |reason| PolicyError::Origin {
            value: value.to_string(),
            reason,
        };
        let trimmed = value.trim();
        if trimmed == "*" || trimmed.eq_ignore_ascii_case("null") {
            return Err(fail(
                "name one origin (`http://localhost:3000`); `*` and `null` would let any page in",
            ));
        }
        let serialised = origin_of(trimmed).ok_or_else(|| {
            fail("must be an http(s) origin: scheme://host[:port], without path, query or user")
        })?;
        Ok(AllowedOrigin(serialised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AllowedOrigin {
    type Error = PolicyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        AllowedOrigin::parse(&value)
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `scheme://host[:port]` as a browser serialises it, or None when `value` is not an http(s)
/// origin (a path, query, fragment or user part makes it something else).
fn origin_of(value: &str) -> Option<String> {
    let url = reqwest::Url::parse(value).ok()?;
    let bare = url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    (matches!(url.scheme(), "http" | "https") && url.host().is_some() && bare)
        .then(|| url.origin().ascii_serialization())
}

/// Why a management request was refused: the message of a 403 `AccessDeniedException`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

/// An allowed `Origin` a request came with: its answer carries CORS headers for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorsOrigin(HeaderValue);

/// The `Host` and `Origin` checks, before anything else runs for a management request.
/// `Ok(Some(_))`: the request comes from an allowed browser origin.
pub fn check_headers(
    parts: &Parts,
    hosts: &[AllowedHost],
    origins: &[AllowedOrigin],
) -> Result<Option<CorsOrigin>, Refusal> {
    check_host(parts, hosts)?;
    check_origin(&parts.headers, origins)
}

/// The `Host` header and, on an absolute-form or HTTP/2 request, the URI's authority: each
/// present one must be allowed, and at least one must be present.
fn check_host(parts: &Parts, hosts: &[AllowedHost]) -> Result<(), Refusal> {
    let header = parts.headers.get(http::header::HOST);
    let authority = parts.uri.authority().map(|a| a.as_str());
    if header.is_none() && authority.is_none() {
        return Err(host_refusal("(none)"));
    }
    if let Some(value) = header {
        check_one_host(value.to_str().ok(), hosts)?;
    }
    match authority {
        Some(a) => check_one_host(Some(a), hosts),
        None => Ok(()),
    }
}

fn check_one_host(raw: Option<&str>, hosts: &[AllowedHost]) -> Result<(), Refusal> {
    let Some(raw) = raw else {
        return Err(host_refusal("(not text)"));
    };
    let Some(name) = host_name(raw) else {
        return Err(host_refusal(raw));
    };
    if is_loopback(&name) || hosts.iter().any(|h| h.matches(&name)) {
        Ok(())
    } else {
        Err(host_refusal(raw))
    }
}

fn host_refusal(shown: &str) -> Refusal {
    Refusal(format!(
        "Host '{shown}' may not use the management API: only loopback names and addresses \
         (localhost, *.localhost, 127.0.0.0/8, [::1]) and the hosts in [server] allowed_hosts \
         (--allowed-host) may, which stops DNS-rebinding attacks from web pages"
    ))
}

/// The name or address of a `Host` value, lowercase, without port, brackets or a trailing
/// dot; None when it is not a well-formed host.
fn host_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        let port_ok = after.is_empty()
            || after
                .strip_prefix(':')
                .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        return (port_ok)
            .then(|| addr.parse::<Ipv6Addr>().ok().map(|a| a.to_string()))
            .flatten();
    }
    let name = match raw.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return None,
        None => raw,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return None;
    }
    let name = name.to_ascii_lowercase();
    // An IPv4 address in the canonical form that `AllowedHost` stores.
    Some(match name.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => name,
    })
}

fn is_loopback(name: &str) -> bool {
    if name == "localhost" || name.ends_with(".localhost") {
        return true;
    }
    match name.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

fn check_origin(
    headers: &HeaderMap,
    origins: &[AllowedOrigin],
) -> Result<Option<CorsOrigin>, Refusal> {
    let mut sent = headers.get_all(http::header::ORIGIN).iter();
    if let Some(value) = sent.next() {
        if sent.next().is_some() {
            return Err(Refusal(
                "A request with more than one Origin header may not use the management API".into(),
            ));
        }
        let text = value.to_str().unwrap_or("(not text)");
        let allowed = value
            .to_str()
            .ok()
            .and_then(|v| (v != "null").then(|| origin_of(v)).flatten())
            .is_some_and(|o| origins.iter().any(|a| a.0 == o));
        if !allowed {
            return Err(Refusal(format!(
                "Origin '{text}' may not use the management API: web pages are refused unless \
                 their origin is in [server] allowed_origins (--allowed-origin); 'null' never is. \
                 The AWS CLI, SDKs and curl send no Origin"
            )));
        }
        return Ok(Some(CorsOrigin(value.clone())));
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && (site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site"))
    {
        return Err(Refusal(format!(
            "A browser request from another site (Sec-Fetch-Site: {site}) may not use the \
             management API"
        )));
    }
    Ok(None)
}

/// The content types a browser sends cross-site without a CORS preflight (Fetch's
/// CORS-safelisted `Content-Type` values).
const SIMPLE_CONTENT_TYPES: [&str; 3] = [
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
];

/// The content-type check, once the body is read: a state-changing request must carry a type
/// a browser cannot send cross-site without a preflight, with the AWS protocol's exceptions.
pub fn check_content_type(parts: &Parts, body_len: usize) -> Result<(), Refusal> {
    let method = &parts.method;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    match parts.headers.get(http::header::CONTENT_TYPE) {
        Some(value) => {
            let text = value.to_str().unwrap_or_default();
            let essence = text
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            if SIMPLE_CONTENT_TYPES.contains(&essence.as_str()) {
                return Err(Refusal(format!(
                    "Content-Type '{essence}' cannot change management state: web pages can send \
                     it to any site without a CORS preflight. Send application/json (the AWS CLI \
                     and SDKs do)"
                )));
            }
            Ok(())
        }
        None if body_len > 0 && !is_blob_upload(parts) => Err(Refusal(
            "A request body without a Content-Type cannot change management state (only the \
             OpenAPI and documentation uploads are sent that way). Send application/json"
                .into(),
        )),
        None if body_len == 0 && *method == Method::POST => Err(Refusal(
            "A POST without a body and without a Content-Type cannot change management state: \
             web pages can send it to any site. Send application/json with a JSON body ({} for \
             none)"
                .into(),
        )),
        None => Ok(()),
    }
}

/// The operations whose body is an AWS blob payload, which botocore sends without a
/// `Content-Type`: ImportRestApi (`POST /restapis?mode=import`), PutRestApi
/// (`PUT /restapis/{id}`), ImportDocumentationParts (`PUT /restapis/{id}/documentation/parts`)
/// and ImportApiKeys (`POST /apikeys?mode=import`).
fn is_blob_upload(parts: &Parts) -> bool {
    let segs: Vec<&str> = parts
        .uri
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let importing = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "mode=import"));
    match (&parts.method, segs.as_slice()) {
        (&Method::POST, ["restapis"] | ["apikeys"]) => importing,
        (&Method::PUT, ["restapis", _])
        | (&Method::PUT, ["restapis", _, "documentation", "parts"]) => true,
        _ => false,
    }
}

/// The methods an allowed origin's preflight is told it may use.
const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";

/// A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) from an allowed origin:
/// the headers of its 204 answer. Preflights from any other origin never get here (the
/// `Origin` check refused them), so no other page is ever told it may send JSON.
pub fn preflight_headers(parts: &Parts, origin: &CorsOrigin) -> Option<HeaderMap> {
    if parts.method != Method::OPTIONS
        || !parts
            .headers
            .contains_key(http::header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return None;
    }
    let mut h = HeaderMap::new();
    h.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.0.clone());
    h.insert(
        http::header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    if let Some(asked) = parts
        .headers
        .get(http::header::ACCESS_CONTROL_REQUEST_HEADERS)
    {
        h.insert(http::header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    h.insert(
        http::header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    h.insert(http::header::VARY, HeaderValue::from_static("Origin"));
    Some(h)
}

/// The CORS headers of an answer to an allowed origin, so that its page can read it.
pub fn add_cors_headers(headers: &mut HeaderMap, origin: &CorsOrigin) {
    headers.insert(http::header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.0.clone());
    headers.insert(
        http::header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-errortype, x-amzn-requestid"),
    );
    headers.append(http::header::VARY, HeaderValue::from_static("Origin"));
}

#[cfg(test)]
#[path = "browser_tests.rs"]
mod tests;
