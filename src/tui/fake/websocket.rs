//! The fake backend's WebSocket API: `chat` (`$connect`, `$disconnect`, `sendmessage`,
//! `$default`) with a `production` stage and two open connections
//! ([`FakeBackend::with_chat`]). Send and disconnect act on the in-memory connections as
//! `@connections` would (an unknown one is gone); `:wscat` is an in-memory client that joins
//! the list and whose lines come back as the `$default` route's echo.

use crate::engine::ConnectionSummary;
use crate::tui::backend::BResult;
use crate::tui::msg::{
    CONNECTIONS_SHOWN, ConnectionsPage, HttpApiSummary, HttpRouteRow, HttpStageRow,
};
use crate::tui::wscat::{WscatCommand, WscatFrame, WscatSession};

use super::{FakeBackend, FakeState};

pub const CHAT_API: &str = "c4h5a6t7w8";
pub const CHAT_STAGE: &str = "production";

fn connection(id: &str, ip: &str, at: i64, inn: u64, out: u64, route: &str) -> ConnectionSummary {
    ConnectionSummary {
        connection_id: id.into(),
        stage: CHAT_STAGE.into(),
        source_ip: ip.into(),
        user_agent: Some("Python/3.12 websockets/13.1".into()),
        connected_at: at,
        last_active_at: at + 30_000,
        messages_in: inn,
        messages_out: out,
        last_route: Some(route.into()),
    }
}

fn gone() -> String {
    crate::tui::gateway_ws::gone_or("GoneException", b"")
}

impl FakeBackend {
    /// The sample world plus the `chat` WebSocket API with two connections.
    pub fn with_chat() -> FakeBackend {
        let fake = FakeBackend::sample();
        if let Ok(mut s) = fake.state.lock() {
            let now = s.now * 1000;
            let route = |key: &str, integration: &str| HttpRouteRow {
                route_key: key.into(),
                integration: integration.into(),
                auth: "NONE".into(),
                throttling: "-".into(),
                ..HttpRouteRow::default()
            };
            s.http_apis.push(HttpApiSummary {
                api_id: CHAT_API.into(),
                name: "chat".into(),
                description: Some("simple websocket chat".into()),
                endpoint_url: format!("ws://{CHAT_API}.execute-api.localhost:4566"),
                cors: false,
                websocket: true,
                routes: vec![
                    route("$connect", "AWS_PROXY chat"),
                    route("$disconnect", "AWS_PROXY chat"),
                    route("sendmessage", "AWS_PROXY chat"),
                    route("$default", "MOCK"),
                ],
                stages: vec![HttpStageRow {
                    stage_name: CHAT_STAGE.into(),
                    auto_deploy: true,
                    deployment_id: Some("wsdep1".into()),
                    last_deployment_status: None,
                }],
            });
            s.connections = vec![
                (
                    CHAT_API.into(),
                    connection(
                        "Yq3bRdQFoAMCJ-w=",
                        "10.0.0.7",
                        now - 600_000,
                        12,
                        30,
                        "sendmessage",
                    ),
                ),
                (
                    CHAT_API.into(),
                    connection(
                        "Yq3cPeYZoAMCKAQ=",
                        "10.0.0.9",
                        now - 120_000,
                        3,
                        8,
                        "$default",
                    ),
                ),
            ];
        }
        fake
    }

    pub(super) fn ws_connections(&self, api_id: &str, stage: &str) -> BResult<ConnectionsPage> {
        self.with(|s| {
            if !s
                .http_apis
                .iter()
                .any(|a| a.api_id == api_id && a.websocket)
            {
                return Err(format!("{api_id} is not a WebSocket API"));
            }
            let rows: Vec<ConnectionSummary> = s
                .connections
                .iter()
                .filter(|(a, c)| a == api_id && c.stage == stage)
                .map(|(_, c)| c.clone())
                .collect();
            Ok(ConnectionsPage {
                now: s.now * 1000,
                total: rows.len(),
                rows: rows.into_iter().take(CONNECTIONS_SHOWN).collect(),
            })
        })
    }

    pub(super) fn ws_post(
        &self,
        api_id: &str,
        stage: &str,
        connection_id: &str,
        data: String,
    ) -> BResult<()> {
        let client = self.mutate(format!("post {connection_id} {data}"), |s| {
            let now = s.now * 1000;
            let c = find(s, api_id, stage, connection_id).ok_or_else(gone)?;
            c.messages_out += 1;
            c.last_active_at = now;
            Ok(s.wscat_clients.get(connection_id).cloned())
        })?;
        if let Some(tx) = client {
            let _ = tx.try_send(WscatFrame::Received(data));
        }
        Ok(())
    }

    pub(super) fn ws_delete(&self, api_id: &str, stage: &str, connection_id: &str) -> BResult<()> {
        let client = self.mutate(format!("disconnect {connection_id}"), |s| {
            find(s, api_id, stage, connection_id).ok_or_else(gone)?;
            s.connections
                .retain(|(_, c)| c.connection_id != connection_id);
            Ok(s.wscat_clients.remove(connection_id))
        })?;
        if let Some(tx) = client {
            let _ = tx.try_send(WscatFrame::Info(
                "closed by the server: 1000 Connection deleted".into(),
            ));
        }
        Ok(())
    }

    pub(super) fn ws_wscat(&self, api_id: &str, stage: &str) -> BResult<WscatSession> {
        let url = format!("ws://{api_id}.execute-api.localhost:4566/{stage}");
        let (session, mut commands, frames) = WscatSession::channel(url.clone());
        let connection_id = format!("fakeWscat{:04}=", session.id);
        self.mutate(format!("wscat {api_id} {stage}"), |s| {
            if !s
                .http_apis
                .iter()
                .any(|a| a.api_id == api_id && a.websocket)
            {
                return Err(format!("{api_id} is not a WebSocket API"));
            }
            let now = s.now * 1000;
            let mut c = connection(&connection_id, "127.0.0.1", now, 0, 0, "$connect");
            c.stage = stage.to_string();
            c.last_route = None;
            s.connections.push((api_id.to_string(), c));
            s.wscat_clients
                .insert(connection_id.clone(), frames.clone());
            Ok(())
        })?;
        let state = self.state.clone();
        tokio::spawn(async move {
            let _ = frames
                .send(WscatFrame::Info(format!("connected to {url}")))
                .await;
            while let Some(command) = commands.recv().await {
                match command {
                    WscatCommand::Send(text) => {
                        let known = state.lock().ok().is_some_and(|mut s| {
                            s.connections
                                .iter_mut()
                                .find(|(_, c)| c.connection_id == connection_id)
                                .map(|(_, c)| {
                                    c.messages_in += 1;
                                    c.messages_out += 1;
                                    c.last_route = Some("$default".into());
                                })
                                .is_some()
                        });
                        if !known {
                            let _ = frames
                                .send(WscatFrame::Info(
                                    "send failed: the connection is closed".into(),
                                ))
                                .await;
                            break;
                        }
                        let _ = frames.send(WscatFrame::Sent(text.clone())).await;
                        let _ = frames.send(WscatFrame::Received(text)).await;
                    }
                    WscatCommand::Close => {
                        if let Ok(mut s) = state.lock() {
                            s.connections
                                .retain(|(_, c)| c.connection_id != connection_id);
                            s.wscat_clients.remove(&connection_id);
                        }
                        let _ = frames
                            .send(WscatFrame::Info("closed by the console".into()))
                            .await;
                        break;
                    }
                }
            }
        });
        Ok(session)
    }
}

fn find<'a>(
    s: &'a mut FakeState,
    api_id: &str,
    stage: &str,
    connection_id: &str,
) -> Option<&'a mut ConnectionSummary> {
    s.connections
        .iter_mut()
        .find(|(a, c)| a == api_id && c.stage == stage && c.connection_id == connection_id)
        .map(|(_, c)| c)
}
