//! gwtui's endpoints for a console's Connections view of a WebSocket API stage (management
//! credentials, unlike `@connections`, which checks the `[iam]` ones):
//! - `GET /gwtui/websocket/{apiId}/{stage}/connections?limit=&position=` — the open
//!   connections, oldest first, in AWS's list shape (`{"item": [...], "position": ...}`,
//!   `limit` default 25, at most 500) with `total` (how many are open) and `now` (the
//!   server's clock, epoch milliseconds);
//! - `POST|GET|DELETE /gwtui/websocket/{apiId}/{stage}/connections/{connectionId}` — the
//!   `@connections` operation itself (send, describe, disconnect), answered exactly as
//!   `@connections` answers it (410 `GoneException`, 413 `PayloadTooLargeException`).

use http::Method;
use http_body_util::Full;

use super::{Call, Reply, ok, unknown};
use crate::model::AdminError;

pub async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let m = &call.parts.method;
    match segs {
        [api_id, stage, "connections"] if m == Method::GET => {
            if !call.gw.is_websocket_api(api_id) {
                return Err(AdminError::NotFound(format!(
                    "Invalid API identifier specified {}:{api_id}",
                    crate::engine::ACCOUNT_ID
                )));
            }
            let list = call.gw.websocket_connections(api_id, Some(stage));
            let total = list.len();
            let mut page = call.page_value(list)?;
            page["total"] = total.into();
            page["now"] = ((time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
                as i64)
                .into();
            ok(http::StatusCode::OK, &page)
        }
        [api_id, stage, "connections", id]
            if matches!(*m, Method::POST | Method::GET | Method::DELETE) =>
        {
            let r = call
                .gw
                .websocket_connection_op(m, api_id, stage, id, call.body);
            let mut response = http::Response::new(Full::new(r.body));
            *response.status_mut() = r.status;
            *response.headers_mut() = r.headers;
            Ok(response)
        }
        _ => Err(unknown(call)),
    }
}
