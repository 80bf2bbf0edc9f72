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
    // Constants: `HeaderName::from_static` outside a const context validates its text on
    // every call (about 190 instructions each, four per nginx response).
    const AUTHORIZATION: HeaderName = HeaderName::from_static("x-amzn-remapped-authorization");
    const CONNECTION: HeaderName = HeaderName::from_static("x-amzn-remapped-connection");
    const CONTENT_LENGTH: HeaderName = HeaderName::from_static("x-amzn-remapped-content-length");
    const CONTENT_MD5: HeaderName = HeaderName::from_static("x-amzn-remapped-content-md5");
    const DATE: HeaderName = HeaderName::from_static("x-amzn-remapped-date");
    const MAX_FORWARDS: HeaderName = HeaderName::from_static("x-amzn-remapped-max-forwards");
    const SERVER: HeaderName = HeaderName::from_static("x-amzn-remapped-server");
    const USER_AGENT: HeaderName = HeaderName::from_static("x-amzn-remapped-user-agent");
    const WWW_AUTHENTICATE: HeaderName =
        HeaderName::from_static("x-amzn-remapped-www-authenticate");
    const X_AMZN_REQUESTID: HeaderName =
        HeaderName::from_static("x-amzn-remapped-x-amzn-requestid");
    let known = match name.as_str() {
        "authorization" => AUTHORIZATION,
        "connection" => CONNECTION,
        "content-length" => CONTENT_LENGTH,
        "content-md5" => CONTENT_MD5,
        "date" => DATE,
        "max-forwards" => MAX_FORWARDS,
        "server" => SERVER,
        "user-agent" => USER_AGENT,
        "www-authenticate" => WWW_AUTHENTICATE,
        "x-amzn-requestid" => X_AMZN_REQUESTID,
        _ => {
            let mut text = String::with_capacity(16 + name.as_str().len());
            text.push_str("x-amzn-remapped-");
            text.push_str(name.as_str());
            return HeaderName::from_bytes(text.as_bytes()).ok();
        }
    };
    Some(known)
}

/// Applies [`proxy_rule`] to a proxy integration's headers, taking them: names and values
/// move into the result (no copy, no reference count taken and dropped per header).
pub fn proxy_headers(backend: HeaderMap) -> HeaderMap {
    // Room for the three `respond::finish` adds (request id, API Gateway id, content type):
    // a full map grows, rehashing every header, on the next insert.
    let mut headers = HeaderMap::with_capacity(backend.len() + 3);
    // `into_iter` names a header once, before its first value; later values come unnamed.
    let mut current: Option<HeaderName> = None;
    for (name, value) in backend {
        if let Some(name) = name {
            current = match proxy_rule(&name) {
                Rule::Pass => Some(name),
                Rule::Drop => None,
                Rule::Remap => remapped_name(&name),
            };
        }
        if let Some(name) = &current {
            headers.append(name.clone(), value);
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
        backend.append("x-amzn-requestid", HeaderValue::from_static("b0c2"));
        backend.append("via", HeaderValue::from_static("1.1 other"));
        backend.append("x-custom", HeaderValue::from_static("2"));
        let h = proxy_headers(backend);
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
        // Every value of a repeated header follows its name's rule.
        let ids: Vec<_> = h
            .get_all("x-amzn-remapped-x-amzn-requestid")
            .iter()
            .collect();
        assert_eq!(ids, ["b0c1", "b0c2"]);
        let custom: Vec<_> = h.get_all("x-custom").iter().collect();
        assert_eq!(custom, ["1", "2"]);
        assert_eq!(h.len(), 10, "{h:?}");
    }
}
