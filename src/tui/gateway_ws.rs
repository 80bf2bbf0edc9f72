//! The in-process backend's WebSocket operations: the engine's connection registry for the
//! Connections view, `@connections` semantics for send and disconnect (the engine's own
//! operation, without the SigV4 check a client's call needs), and `:wscat` over the real
//! listener.

use bytes::Bytes;
use http::Method;

use super::backend::BResult;
use super::gateway::GatewayBackend;
use super::msg::{CONNECTIONS_SHOWN, ConnectionsPage};
use super::wscat::{self, WscatSession};
use crate::engine::InvokeResponse;

/// `Ok` for a 2xx answer of `@connections`, else its error type and message.
pub(super) fn connection_answer(r: &InvokeResponse) -> BResult<()> {
    if r.status.is_success() {
        return Ok(());
    }
    let error_type = r
        .headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Error")
        .to_string();
    Err(gone_or(&error_type, &r.body))
}

/// `GoneException: the connection is closed`, or the error type with the body's message.
pub(crate) fn gone_or(error_type: &str, body: &[u8]) -> String {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        });
    match (error_type, message) {
        ("GoneException", _) => "GoneException: the connection is closed".to_string(),
        (t, Some(m)) => format!("{t}: {m}"),
        (t, None) => t.to_string(),
    }
}

impl GatewayBackend {
    pub(super) fn ws_connections(&self, api_id: &str, stage: &str) -> BResult<ConnectionsPage> {
        if !self.gw.is_websocket_api(api_id) {
            return Err(format!("{api_id} is not a WebSocket API"));
        }
        let mut rows = self.gw.websocket_connections(api_id, Some(stage));
        let total = rows.len();
        rows.truncate(CONNECTIONS_SHOWN);
        Ok(ConnectionsPage {
            now: crate::tui::msg::epoch_millis(),
            rows,
            total,
        })
    }

    pub(super) fn ws_op(
        &self,
        method: Method,
        api_id: &str,
        stage: &str,
        connection_id: &str,
        data: Bytes,
    ) -> BResult<()> {
        connection_answer(&self.gw.websocket_connection_op(
            &method,
            api_id,
            stage,
            connection_id,
            &data,
        ))
    }

    pub(super) async fn ws_wscat(&self, api_id: &str, stage: &str) -> BResult<WscatSession> {
        if !self.gw.is_websocket_api(api_id) {
            return Err(format!("{api_id} is not a WebSocket API"));
        }
        let addr = self.listener;
        wscat::connect(addr, wscat::stage_url(addr, api_id, stage)).await
    }
}
