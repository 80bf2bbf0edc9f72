//! The response headers API Gateway owns, and what becomes of a value some other source gave
//! them (execution.md §9.5, "response" column; AWS's recording of an HTTP_PROXY response in
//! localstack's `test_apigateway_http.snapshot.json`, `test_http_integration_with_lambda`).
//!
//! The gateway writes the message framing itself: `Content-Length` is always the length of
//! the body it sends, the connection is its own. A value from a backend (HTTP_PROXY, a Lambda
//! proxy response), an integration response's `responseParameters`, a template's
//! `$context.responseOverride.header` or a gateway response's parameters therefore never
//! reaches the wire under those names: `Connection` and `Content-Length` are renamed to
//! `x-amzn-Remapped-{Name}` (as AWS answers an HTTP_PROXY backend's), `Transfer-Encoding` and
//! the other hop-by-hop headers are dropped. Whatever was mapped, the response stays
//! well-formed.

use http::{HeaderMap, HeaderName};

/// What happens to a header on the way from a proxy integration to the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Pass,
    Drop,
    /// Renamed to `x-amzn-Remapped-{Name}`.
    Remap,
}

/// An HTTP_PROXY / AWS_PROXY response header (execution.md §9.5; the recording above shows
/// `Connection`, `Content-Length`, `Date` and the backend's `x-amzn-RequestId` remapped).
pub fn proxy_rule(name: &HeaderName) -> Rule {
    match name.as_str() {
        "expect" | "host" | "proxy-authenticate" | "te" | "trailer" | "upgrade"
        | "transfer-encoding" | "via" | "keep-alive" | "proxy-connection" => Rule::Drop,
        "authorization" | "connection" | "content-length" | "content-md5" | "date"
        | "max-forwards" | "server" | "user-agent" | "www-authenticate" | "x-amzn-requestid" => {
            Rule::Remap
        }
        _ => Rule::Pass,
    }
}

/// A header the gateway itself frames the response with (any source's value is remapped or
/// dropped before the response is written).
fn framing_rule(name: &HeaderName) -> Rule {
    match name.as_str() {
        "connection" | "content-length" => Rule::Remap,
        "transfer-encoding" | "keep-alive" | "proxy-connection" | "te" | "trailer" | "upgrade" => {
            Rule::Drop
        }
        _ => Rule::Pass,
    }
}

/// `x-amzn-remapped-{name}` (header names are case-insensitive; hyper writes them lowercase).
/// The names [`proxy_rule`] and [`framing_rule`] remap are static (no allocation: every
/// HTTP_PROXY response carries `Date`, `Server`, `Content-Length` and often `Connection`).
pub fn remapped_name(name: &HeaderName) -> Option<HeaderName> {
    let known = match name.as_str() {
        "authorization" => "x-amzn-remapped-authorization",
        "connection" => "x-amzn-remapped-connection",
        "content-length" => "x-amzn-remapped-content-length",
        "content-md5" => "x-amzn-remapped-content-md5",
        "date" => "x-amzn-remapped-date",
        "max-forwards" => "x-amzn-remapped-max-forwards",
        "server" => "x-amzn-remapped-server",
        "user-agent" => "x-amzn-remapped-user-agent",
        "www-authenticate" => "x-amzn-remapped-www-authenticate",
        "x-amzn-requestid" => "x-amzn-remapped-x-amzn-requestid",
        _ => "",
    };
    if !known.is_empty() {
        return Some(HeaderName::from_static(known));
    }
    let mut text = String::with_capacity(16 + name.as_str().len());
    text.push_str("x-amzn-remapped-");
    text.push_str(name.as_str());
    HeaderName::from_bytes(text.as_bytes()).ok()
}

/// Applies [`proxy_rule`] to a proxy integration's headers.
pub fn proxy_headers(backend: &HeaderMap) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(backend.len());
    for (name, value) in backend {
        match proxy_rule(name) {
            Rule::Pass => {
                headers.append(name.clone(), value.clone());
            }
            Rule::Drop => {}
            Rule::Remap => {
                if let Some(n) = remapped_name(name) {
                    headers.append(n, value.clone());
                }
            }
        }
    }
    headers
}

/// Removes every framing header from a response about to be written: `Connection` and
/// `Content-Length` values move to `x-amzn-Remapped-*`, the rest are dropped. One pass over
/// the names, and no allocation, when none is present (the usual case).
pub fn secure_framing(headers: &mut HeaderMap) {
    if !headers.keys().any(|name| framing_rule(name) != Rule::Pass) {
        return;
    }
    let owned: Vec<HeaderName> = headers
        .keys()
        .filter(|name| framing_rule(name) != Rule::Pass)
        .cloned()
        .collect();
    for name in owned {
        let rule = framing_rule(&name);
        let values: Vec<_> = headers.get_all(&name).iter().cloned().collect();
        headers.remove(&name);
        if rule == Rule::Remap
            && let Some(remapped) = remapped_name(&name)
        {
            for value in values {
                headers.append(remapped.clone(), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn framing_headers_never_survive() {
        let mut h = HeaderMap::new();
        h.insert("content-length", HeaderValue::from_static("abc"));
        h.insert(
            "transfer-encoding",
            HeaderValue::from_static("gzip, chunked"),
        );
        h.append("connection", HeaderValue::from_static("upgrade"));
        h.append("connection", HeaderValue::from_static("close"));
        h.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        h.insert("x-other", HeaderValue::from_static("kept"));
        secure_framing(&mut h);
        assert_eq!(h.len(), 4, "{h:?}");
        assert_eq!(h["x-amzn-remapped-content-length"], "abc");
        let conn: Vec<_> = h.get_all("x-amzn-remapped-connection").iter().collect();
        assert_eq!(conn, ["upgrade", "close"]);
        assert_eq!(h["x-other"], "kept");
        assert!(!h.contains_key("transfer-encoding"));
        assert!(!h.contains_key("keep-alive"));
    }

    #[test]
    fn static_remapped_names_match_the_built_ones() {
        for name in [
            "authorization",
            "connection",
            "content-length",
            "content-md5",
            "date",
            "max-forwards",
            "server",
            "user-agent",
            "www-authenticate",
            "x-amzn-requestid",
            "x-custom",
        ] {
            let name = HeaderName::from_static(name);
            let expected = format!("x-amzn-remapped-{name}");
            assert_eq!(remapped_name(&name).unwrap().as_str(), expected);
        }
    }

    #[test]
    fn nothing_to_secure_leaves_the_map_alone() {
        let mut h = HeaderMap::new();
        h.insert("content-type", HeaderValue::from_static("application/json"));
        secure_framing(&mut h);
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn proxy_headers_follow_the_recording() {
        let mut backend = HeaderMap::new();
        for (n, v) in [
            ("connection", "keep-alive"),
            ("content-length", "12"),
            ("date", "Mon, 07 Dec 2026 10:00:00 GMT"),
            ("x-amzn-requestid", "b0c1"),
            ("server", "echo"),
            ("www-authenticate", "Basic"),
            ("transfer-encoding", "chunked"),
            ("via", "1.1 proxy"),
            ("content-type", "application/json"),
            ("x-custom", "1"),
        ] {
            backend.append(n, HeaderValue::from_static(v));
        }
        let h = proxy_headers(&backend);
        let mut names: Vec<&str> = h.keys().map(|n| n.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "content-type",
                "x-amzn-remapped-connection",
                "x-amzn-remapped-content-length",
                "x-amzn-remapped-date",
                "x-amzn-remapped-server",
                "x-amzn-remapped-www-authenticate",
                "x-amzn-remapped-x-amzn-requestid",
                "x-custom",
            ]
        );
        assert_eq!(h["x-amzn-remapped-content-length"], "12");
    }
}
