//! WebSocket APIs on the invoke URLs: the upgrade (`GET` with `Upgrade: websocket` on
//! `…/{stage}` in host or path style) and `@connections` (`…/{stage}/@connections/{id}`).
//! The handshake is hyper's upgrade; `$connect`, the socket and `@connections` are the
//! engine's ([`Gateway::websocket_connect`], [`Gateway::websocket_serve`],
//! [`Gateway::websocket_connections_api`]).

use std::net::SocketAddr;

use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::Body;
use super::invoke::InvokeTarget;
use crate::engine::Gateway;
use crate::engine::InvokeResponse;
use crate::engine::{ConnectionsRequest, UpgradeRequest};

/// A WebSocket opening handshake (`Upgrade: websocket`).
pub fn is_upgrade(parts: &Parts) -> bool {
    parts
        .headers
        .get(http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// `/@connections/{id}` → the decoded id.
pub fn connections_id(path: &str) -> Option<String> {
    let raw = path.strip_prefix("/@connections/")?;
    if raw.is_empty() || raw.contains('/') {
        return None;
    }
    Some(
        percent_encoding::percent_decode_str(raw)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

fn into_http(r: InvokeResponse) -> Response<Body> {
    let mut response = Response::new(Full::new(r.body));
    *response.status_mut() = r.status;
    *response.headers_mut() = r.headers;
    response
}

fn bad_handshake() -> Response<Body> {
    super::plain(
        StatusCode::BAD_REQUEST,
        "{\"message\":\"Bad Request: not a valid WebSocket handshake\"}",
    )
}

/// Runs `$connect` and, when it succeeds, answers 101 and serves the socket.
pub async fn upgrade(
    gw: &Gateway,
    mut req: Request<Incoming>,
    peer: SocketAddr,
    target: InvokeTarget,
) -> Response<Body> {
    let version_ok = req
        .headers()
        .get("sec-websocket-version")
        .is_some_and(|v| v.as_bytes() == b"13");
    let Some(key) = req.headers().get("sec-websocket-key").cloned() else {
        return bad_handshake();
    };
    if req.method() != http::Method::GET || !version_ok {
        return bad_handshake();
    }
    let mut headers = req.headers().clone();
    if !headers.contains_key(http::header::HOST)
        && let Some(authority) = req.uri().authority()
        && let Ok(host) = HeaderValue::from_str(authority.as_str())
    {
        headers.insert(http::header::HOST, host);
    }
    let request = UpgradeRequest {
        api_id: target.api_id,
        stage: target.stage,
        headers,
        raw_path: req.uri().path().to_string(),
        query: req.uri().query().map(str::to_string),
        source_ip: peer.ip(),
    };
    let accepted = match gw.websocket_connect(request).await {
        Ok(a) => a,
        Err(refusal) => return into_http(refusal),
    };
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(http::header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(
        http::header::CONNECTION,
        HeaderValue::from_static("Upgrade"),
    );
    if let Ok(v) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        h.insert("sec-websocket-accept", v);
    }
    for (name, value) in &accepted.response_headers {
        if let (Ok(n), Ok(v)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            h.insert(n, v);
        }
    }
    let on_upgrade = hyper::upgrade::on(&mut req);
    let gw = gw.clone();
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => gw.websocket_serve(accepted, TokioIo::new(upgraded)),
            Err(_) => gw.websocket_abandon(accepted).await,
        }
    });
    response
}

/// `@connections/{id}`: POST, GET, DELETE.
pub async fn connections(
    gw: &Gateway,
    parts: Parts,
    body: Bytes,
    peer: SocketAddr,
    target: InvokeTarget,
    connection_id: String,
) -> Response<Body> {
    let request = ConnectionsRequest {
        method: parts.method,
        api_id: target.api_id,
        stage: target.stage,
        connection_id,
        raw_path: parts.uri.path().to_string(),
        raw_query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        source_ip: peer.ip(),
    };
    into_http(gw.websocket_connections_api(request).await)
}
