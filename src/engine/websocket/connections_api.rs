//! The `@connections` management API (http-websocket.md §2.4, botocore's
//! `apigatewaymanagementapi`): `POST` sends the body to the connection (200; 413 over
//! 128 KB), `GET` describes it, `DELETE` closes it (204; `$disconnect` runs). An unknown or
//! closed connection is 410 `GoneException`. Requests are SigV4-verified with the `[iam]`
//! credentials (service `execute-api`), as AWS_IAM routes are. In cluster mode a connection
//! this node does not hold is reached on the node that does ([`super::relay`]).

use std::net::IpAddr;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use serde_json::json;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::authorize;
use super::limits::MAX_MESSAGE_BYTES;
use super::registry::{CloseReason, Outbound};
use crate::engine::Gateway;
use crate::engine::pipeline::InvokeResponse;

/// One `@connections` request.
#[derive(Debug, Clone)]
pub struct ConnectionsRequest {
    pub method: Method,
    pub api_id: String,
    pub stage: String,
    /// Percent-decoded.
    pub connection_id: String,
    pub raw_path: String,
    pub raw_query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub source_ip: IpAddr,
}

pub(crate) fn answer(
    status: StatusCode,
    error_type: Option<&str>,
    body: serde_json::Value,
) -> InvokeResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(t) = error_type
        && let Ok(v) = HeaderValue::from_str(t)
    {
        headers.insert("x-amzn-errortype", v);
    }
    let body = if status == StatusCode::NO_CONTENT {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    InvokeResponse {
        status,
        headers,
        body,
    }
}

fn iso(millis: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl Gateway {
    pub async fn websocket_connections_api(&self, req: ConnectionsRequest) -> InvokeResponse {
        if authorize::iam_check(
            self,
            req.method.as_str(),
            &req.raw_path,
            req.raw_query.as_deref(),
            &req.headers,
            &req.body,
        )
        .is_err()
        {
            return answer(
                StatusCode::FORBIDDEN,
                Some("ForbiddenException"),
                json!({"message": "Forbidden"}),
            );
        }
        // Cluster mode: a connection this node does not hold may be another node's.
        if let Some(relay) = &self.inner.websocket.relay
            && self
                .inner
                .websocket
                .registry
                .get(&req.connection_id)
                .is_none()
        {
            return relay
                .call(
                    self,
                    &req.method,
                    &req.api_id,
                    &req.stage,
                    &req.connection_id,
                    &req.body,
                )
                .await;
        }
        self.websocket_connection_op(
            &req.method,
            &req.api_id,
            &req.stage,
            &req.connection_id,
            &req.body,
        )
    }

    /// One `@connections` operation (`POST` sends `body`, `GET` describes, `DELETE`
    /// disconnects) without the SigV4 check: for callers the management API has already
    /// authenticated (the console's `/gwtui/websocket/…` endpoints) and the in-process console.
    /// Answers exactly as `@connections` does (410 `GoneException`, 413, …).
    pub fn websocket_connection_op(
        &self,
        method: &Method,
        api_id: &str,
        stage: &str,
        connection_id: &str,
        body: &Bytes,
    ) -> InvokeResponse {
        let registry = &self.inner.websocket.registry;
        let connection = registry
            .get(connection_id)
            .filter(|c| c.api_id == api_id && c.stage == stage)
            .filter(|c| !c.closed.load(Ordering::Acquire));
        let Some(connection) = connection else {
            return answer(
                StatusCode::GONE,
                Some("GoneException"),
                json!({"message": null}),
            );
        };
        match *method {
            Method::POST => {
                if body.len() > MAX_MESSAGE_BYTES {
                    return answer(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        Some("PayloadTooLargeException"),
                        json!({"message": "Message too long"}),
                    );
                }
                // Valid UTF-8 goes as a text frame, anything else as binary; either way the
                // body's bytes are shared, not copied.
                let out = match Utf8Bytes::try_from(body.clone()) {
                    Ok(t) => Outbound::Text(t),
                    Err(_) => Outbound::Binary(body.clone()),
                };
                match connection.send(out) {
                    Ok(()) => answer(StatusCode::OK, None, json!({})),
                    Err(_) => answer(
                        StatusCode::GONE,
                        Some("GoneException"),
                        json!({"message": null}),
                    ),
                }
            }
            Method::GET => answer(
                StatusCode::OK,
                None,
                json!({
                    "connectedAt": iso(connection.connected_at),
                    "identity": {
                        "sourceIp": connection.source_ip.to_string(),
                        "userAgent": connection.user_agent,
                    },
                    "lastActiveAt": iso(connection.last_active_at.load(Ordering::Relaxed)),
                }),
            ),
            Method::DELETE => {
                connection.request_close(CloseReason::Deleted);
                answer(StatusCode::NO_CONTENT, None, json!({}))
            }
            _ => answer(
                StatusCode::FORBIDDEN,
                Some("ForbiddenException"),
                json!({"message": "Forbidden"}),
            ),
        }
    }
}
