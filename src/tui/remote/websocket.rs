//! The attached backend's WebSocket operations: the Connections view through
//! `GET /gwtui/websocket/{api}/{stage}/connections` (pages of 500, at most
//! [`CONNECTIONS_SHOWN`] rows), send and disconnect through the same endpoints' `@connections`
//! operations (management credentials: an attached console need not hold `[iam]` ones), and
//! `:wscat` over the server's listener.

use http::Method;

use super::{RemoteBackend, encode};
use crate::engine::ConnectionSummary;
use crate::tui::backend::BResult;
use crate::tui::msg::{CONNECTIONS_SHOWN, ConnectionsPage};
use crate::tui::wscat::{self, WscatSession};

const PAGE: usize = 500;

fn connections_path(api_id: &str, stage: &str) -> String {
    format!(
        "/gwtui/websocket/{}/{}/connections",
        encode(api_id),
        encode(stage)
    )
}

#[derive(serde::Deserialize)]
struct Page {
    #[serde(default)]
    item: Vec<ConnectionSummary>,
    position: Option<String>,
    #[serde(default)]
    total: usize,
    #[serde(default)]
    now: i64,
}

impl RemoteBackend {
    pub(super) async fn ws_connections(
        &self,
        api_id: &str,
        stage: &str,
    ) -> BResult<ConnectionsPage> {
        let path = connections_path(api_id, stage);
        let mut out = ConnectionsPage::default();
        let mut query = format!("limit={PAGE}");
        while out.rows.len() < CONNECTIONS_SHOWN {
            let page: Page = self
                .call_json(Method::GET, &path, &query, super::NONE)
                .await?;
            if out.rows.is_empty() {
                out.now = page.now;
            }
            out.total = page.total;
            out.rows.extend(page.item);
            match page.position {
                Some(p) if !p.is_empty() => query = format!("limit={PAGE}&position={}", encode(&p)),
                _ => break,
            }
        }
        out.rows.truncate(CONNECTIONS_SHOWN);
        out.total = out.total.max(out.rows.len());
        Ok(out)
    }

    pub(super) async fn ws_op(
        &self,
        method: Method,
        api_id: &str,
        stage: &str,
        connection_id: &str,
        data: Vec<u8>,
    ) -> BResult<()> {
        let path = format!(
            "{}/{}",
            connections_path(api_id, stage),
            encode(connection_id)
        );
        match self.send(method, &path, "", data).await {
            Ok(_) => Ok(()),
            Err((Some(410), _)) => Err(crate::tui::gateway_ws::gone_or("GoneException", b"")),
            Err((_, message)) => Err(message),
        }
    }

    pub(super) async fn ws_wscat(&self, api_id: &str, stage: &str) -> BResult<WscatSession> {
        let addr = self.inner.addr;
        wscat::connect(addr, wscat::stage_url(addr, api_id, stage)).await
    }
}
