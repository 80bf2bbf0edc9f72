//! What integrations and templates see of a WebSocket request: the `requestContext` /
//! `$context` object (http-websocket.md §2.3, §2.6) and the Lambda proxy event for
//! CONNECT, MESSAGE and DISCONNECT.

use std::collections::BTreeMap;
use std::net::IpAddr;

use base64::Engine as _;
use http::HeaderMap;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

/// What stays the same for a connection's whole life.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub connection_id: String,
    pub api_id: String,
    pub stage: String,
    /// Epoch milliseconds.
    pub connected_at: i64,
    pub source_ip: IpAddr,
    pub user_agent: Option<String>,
    /// `Host` without its port.
    pub domain_name: String,
    /// `requestContext.authorizer` (principalId and the authorizer's context), when one ran.
    pub authorizer: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    Connect,
    Message,
    Disconnect,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Connect => "CONNECT",
            EventType::Message => "MESSAGE",
            EventType::Disconnect => "DISCONNECT",
        }
    }
}

/// One request on a connection: the connect, a message, or the disconnect.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    pub route_key: String,
    pub event_type: EventType,
    pub request_id: String,
    pub message_id: Option<String>,
    pub time: OffsetDateTime,
    /// DISCONNECT: the close code and reason.
    pub disconnect: Option<(u16, String)>,
}

/// An id in AWS's format for connection, request and message ids: 10 random bytes in
/// base64 (16 characters ending in `=`).
pub fn new_id() -> String {
    let mut id = [0u8; 10];
    rand::fill(&mut id);
    base64::engine::general_purpose::STANDARD.encode(id)
}

impl RequestMeta {
    pub fn new(route_key: &str, event_type: EventType) -> RequestMeta {
        RequestMeta {
            route_key: route_key.to_string(),
            event_type,
            request_id: new_id(),
            message_id: (event_type == EventType::Message).then(new_id),
            time: OffsetDateTime::now_utc(),
            disconnect: None,
        }
    }
}

/// `requestContext` (and `$context`): the fields AWS sends, in its order.
pub fn request_context(info: &ConnectionInfo, meta: &RequestMeta) -> Value {
    let format =
        format_description!("[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000");
    let mut c = Map::new();
    c.insert("routeKey".into(), json!(meta.route_key));
    if let Some((code, reason)) = &meta.disconnect {
        c.insert("disconnectStatusCode".into(), json!(code));
        c.insert("disconnectReason".into(), json!(reason));
    }
    if let Some(m) = &meta.message_id {
        c.insert("messageId".into(), json!(m));
    }
    c.insert("eventType".into(), json!(meta.event_type.as_str()));
    c.insert("extendedRequestId".into(), json!(meta.request_id));
    c.insert(
        "requestTime".into(),
        json!(meta.time.format(format).unwrap_or_default()),
    );
    c.insert("messageDirection".into(), json!("IN"));
    c.insert("stage".into(), json!(info.stage));
    c.insert("connectedAt".into(), json!(info.connected_at));
    c.insert(
        "requestTimeEpoch".into(),
        json!((meta.time.unix_timestamp_nanos() / 1_000_000) as i64),
    );
    let mut identity = Map::new();
    if let Some(ua) = &info.user_agent {
        identity.insert("userAgent".into(), json!(ua));
    }
    identity.insert("sourceIp".into(), json!(info.source_ip.to_string()));
    c.insert("identity".into(), Value::Object(identity));
    c.insert("requestId".into(), json!(meta.request_id));
    c.insert("domainName".into(), json!(info.domain_name));
    c.insert("connectionId".into(), json!(info.connection_id));
    c.insert("apiId".into(), json!(info.api_id));
    if let Some(a) = &info.authorizer {
        c.insert("authorizer".into(), a.clone());
    }
    Value::Object(c)
}

/// Headers as the event's `headers` (last value) and `multiValueHeaders`.
fn headers_of(headers: &HeaderMap) -> (Value, Value) {
    let mut single = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        // AWS presents header names as the client sent them; hyper lower-cases them, so
        // the common ones get their usual capitalisation back.
        let n = canonical(name.as_str());
        single.insert(n.clone(), v.clone());
        multi.entry(n).or_default().push(v);
    }
    (json!(single), json!(multi))
}

fn canonical(name: &str) -> String {
    name.split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// The Lambda proxy event. `connect` carries the upgrade request's headers and query pairs.
pub fn lambda_event(
    info: &ConnectionInfo,
    meta: &RequestMeta,
    body: Option<&[u8]>,
    binary: bool,
    connect: Option<(&HeaderMap, &[(String, String)])>,
) -> Value {
    let mut e = Map::new();
    if let Some((headers, query)) = connect {
        let (single, multi) = headers_of(headers);
        e.insert("headers".into(), single);
        e.insert("multiValueHeaders".into(), multi);
        if !query.is_empty() {
            let mut q = BTreeMap::new();
            let mut mq: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (k, v) in query {
                q.insert(k.as_str(), v.as_str());
                mq.entry(k.as_str()).or_default().push(v.as_str());
            }
            e.insert("queryStringParameters".into(), json!(q));
            e.insert("multiValueQueryStringParameters".into(), json!(mq));
        }
    }
    e.insert("requestContext".into(), request_context(info, meta));
    if let Some(b) = body {
        if binary {
            e.insert(
                "body".into(),
                json!(base64::engine::general_purpose::STANDARD.encode(b)),
            );
        } else {
            e.insert("body".into(), json!(String::from_utf8_lossy(b)));
        }
    }
    e.insert("isBase64Encoded".into(), json!(binary));
    Value::Object(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> ConnectionInfo {
        ConnectionInfo {
            connection_id: "AAAAAAAAAAAAAA==".into(),
            api_id: "abc123".into(),
            stage: "prod".into(),
            connected_at: 1_700_000_000_000,
            source_ip: "127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1])),
            user_agent: Some("ua".into()),
            domain_name: "abc123.execute-api.localhost".into(),
            authorizer: None,
        }
    }

    #[test]
    fn ids_look_like_aws_ids() {
        let id = new_id();
        assert_eq!(id.len(), 16);
        assert!(id.ends_with('='));
    }

    #[test]
    fn message_event_has_message_id_and_no_headers() {
        let meta = RequestMeta::new("sendmessage", EventType::Message);
        let e = lambda_event(&info(), &meta, Some(b"hi"), false, None);
        assert_eq!(e["body"], "hi");
        assert_eq!(e["isBase64Encoded"], false);
        assert!(e.get("headers").is_none());
        let c = &e["requestContext"];
        assert_eq!(c["eventType"], "MESSAGE");
        assert_eq!(c["routeKey"], "sendmessage");
        assert_eq!(c["messageId"].as_str().map(str::len), Some(16));
        assert_eq!(c["connectedAt"], 1_700_000_000_000i64);
        assert_eq!(c["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(c["requestId"], c["extendedRequestId"]);
    }

    #[test]
    fn connect_event_has_headers_and_query() {
        let meta = RequestMeta::new("$connect", EventType::Connect);
        let mut h = HeaderMap::new();
        h.insert("x-token", http::HeaderValue::from_static("t"));
        let q = vec![("a".to_string(), "1".to_string())];
        let e = lambda_event(&info(), &meta, None, false, Some((&h, &q)));
        assert_eq!(e["headers"]["X-Token"], "t");
        assert_eq!(e["multiValueHeaders"]["X-Token"][0], "t");
        assert_eq!(e["queryStringParameters"]["a"], "1");
        assert!(e["requestContext"].get("messageId").is_none());
        assert!(e.get("body").is_none());
    }
}
