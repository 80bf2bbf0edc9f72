//! One task per socket: reads messages and routes them (sequentially, so a client that
//! floods is slowed to the speed of its routes), while a writer task drains the bounded send
//! queue. The connection ends when either side closes, after the idle timeout or the maximum
//! duration, on `DELETE @connections/{id}`, on an oversize frame or message (close 1009), or
//! when its send queue is full (close 1008: the client does not read). Then `$disconnect`
//! runs (best effort).

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::connect::Accepted;
use super::event::{EventType, RequestMeta};
use super::integration::{self, Input};
use super::registry::{CloseReason, Outbound};
use crate::engine::Gateway;
use crate::model::v2::websocket::DISCONNECT;

/// How long a closing handshake may take before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// At most this many queued messages are written before one flush.
const WRITE_BATCH: usize = 64;

fn frame(out: Outbound) -> Message {
    match out {
        Outbound::Text(t) => Message::Text(t),
        Outbound::Binary(b) => Message::Binary(b),
    }
}

enum End {
    /// The client closed (its code, its reason).
    Client(u16, String),
    /// The server closes with this code and reason.
    Server(CloseCode, &'static str),
    /// Drop the socket without a closing handshake (it is broken or the client is stuck).
    Drop(u16, &'static str),
}

impl Gateway {
    /// Serves an accepted connection on its upgraded socket (spawns its task).
    pub fn websocket_serve<S>(&self, accepted: Accepted, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let gw = self.clone();
        tokio::spawn(async move {
            let socket = WebSocketStream::from_raw_socket(
                stream,
                Role::Server,
                Some(super::limits::socket_config()),
            )
            .await;
            run(gw, accepted, socket).await;
        });
    }
}

async fn run<S>(gw: Gateway, mut accepted: Accepted, socket: WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let limits = gw.inner.websocket.limits();
    let (mut sink, mut stream) = socket.split();
    let mut receiver = std::mem::replace(&mut accepted.receiver, tokio::sync::mpsc::channel(1).1);
    let (close_tx, mut close_rx) = tokio::sync::oneshot::channel::<CloseFrame>();
    let writer = tokio::spawn(async move {
        loop {
            tokio::select! {
                biased;
                frame = &mut close_rx => {
                    if let Ok(frame) = frame {
                        let _ = tokio::time::timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
                    }
                    let _ = tokio::time::timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
                next = receiver.recv() => {
                    let Some(out) = next else { return };
                    // Whatever else is queued goes out with it: one flush (one write) per
                    // batch, not per message.
                    if sink.feed(frame(out)).await.is_err() {
                        return;
                    }
                    let mut batched = 1;
                    while batched < WRITE_BATCH
                        && let Ok(out) = receiver.try_recv()
                    {
                        if sink.feed(frame(out)).await.is_err() {
                            return;
                        }
                        batched += 1;
                    }
                    if sink.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let connection = accepted.connection.clone();
    let started = tokio::time::Instant::now();
    let max_deadline = started + limits.max_duration;
    let end = loop {
        let last = connection.last_active_at.load(Ordering::Relaxed);
        let idle_for = Duration::from_millis((super::epoch_millis() - last).max(0) as u64);
        let idle_deadline =
            tokio::time::Instant::now() + limits.idle_timeout.saturating_sub(idle_for);
        tokio::select! {
            _ = connection.close.notified() => {
                break match connection.close_reason() {
                    Some(CloseReason::SlowClient) => End::Drop(1008, "Slow client"),
                    _ => End::Server(CloseCode::Normal, "Connection deleted"),
                };
            }
            _ = tokio::time::sleep_until(idle_deadline) => {
                let last = connection.last_active_at.load(Ordering::Relaxed);
                if super::epoch_millis() - last >= limits.idle_timeout.as_millis() as i64 {
                    break End::Server(CloseCode::Away, "Going away");
                }
            }
            _ = tokio::time::sleep_until(max_deadline) => {
                break End::Server(CloseCode::Away, "Going away");
            }
            next = stream.next() => {
                match next {
                    None => break End::Client(1006, String::new()),
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
                        break End::Server(CloseCode::Size, "Message too big");
                    }
                    Some(Err(_)) => break End::Drop(1006, "Protocol error"),
                    Some(Ok(Message::Close(frame))) => {
                        break match frame {
                            Some(f) => End::Client(u16::from(f.code), f.reason.to_string()),
                            None => End::Client(1005, String::new()),
                        };
                    }
                    Some(Ok(Message::Text(t))) => {
                        on_message(&gw, &accepted, t.as_bytes(), false).await;
                    }
                    Some(Ok(Message::Binary(b))) => {
                        on_message(&gw, &accepted, &b, true).await;
                    }
                    Some(Ok(_)) => {}
                }
            }
        }
    };
    connection.closed.store(true, Ordering::Release);
    let (code, reason) = match end {
        End::Client(code, reason) => {
            // Answer the client's close and let the writer finish.
            let _ = close_tx.send(CloseFrame {
                code: CloseCode::from(code),
                reason: Utf8Bytes::from(reason.clone()),
            });
            (code, reason)
        }
        End::Server(code, reason) => {
            let _ = close_tx.send(CloseFrame {
                code,
                reason: Utf8Bytes::from_static(reason),
            });
            (u16::from(code), reason.to_string())
        }
        End::Drop(code, reason) => {
            writer.abort();
            (code, reason.to_string())
        }
    };
    let _ = tokio::time::timeout(CLOSE_GRACE * 2, writer).await;
    finish(&gw, &accepted, code, &reason).await;
}

/// After the socket is gone: out of the registry, then `$disconnect` (best effort).
pub(crate) async fn finish(gw: &Gateway, accepted: &Accepted, code: u16, reason: &str) {
    accepted.connection.closed.store(true, Ordering::Release);
    let removed = gw
        .inner
        .websocket
        .registry
        .remove(&accepted.connection.connection_id);
    if removed.is_some()
        && let Some(relay) = &gw.inner.websocket.relay
    {
        relay.unregister(&accepted.connection.connection_id).await;
    }
    let started = std::time::Instant::now();
    let mut meta = RequestMeta::new(DISCONNECT, EventType::Disconnect);
    meta.disconnect = Some((code, reason.to_string()));
    // Logged (and counted) whether or not a `$disconnect` route runs.
    let integration = accepted
        .compiled
        .disconnect()
        .and_then(|route| route.integration.as_ref());
    let (status, error, integration_latency) = match integration {
        Some(i) => {
            let input = Input {
                info: &accepted.info,
                meta: &meta,
                body: &[],
                binary: false,
                connect: None,
                stage_variables: &accepted.stage.variables,
            };
            match integration::run(gw, i, &input).await {
                Ok(out) => (out.status, None, Some(started.elapsed())),
                Err(e) => (500, Some(e.to_string()), Some(started.elapsed())),
            }
        }
        None => (200, None, None),
    };
    super::record::record(
        gw,
        &super::record::Outcome {
            api_id: &accepted.info.api_id,
            stage: &accepted.info.stage,
            route_key: DISCONNECT,
            event_type: EventType::Disconnect,
            status,
            latency: started.elapsed(),
            integration_latency,
            bytes: 0,
        },
        Some(&facts(accepted, &meta, error.as_deref())),
    );
}

/// AWS's error frame: `{"message": …, "connectionId": …, "requestId": …}`.
fn error_frame(message: &str, connection_id: &str, request_id: &str) -> String {
    json!({"message": message, "connectionId": connection_id, "requestId": request_id}).to_string()
}

/// Routes one message and runs its integration; a two-way route's output goes back. Counted
/// in the route's metric series.
async fn on_message(gw: &Gateway, accepted: &Accepted, body: &[u8], binary: bool) {
    let started = std::time::Instant::now();
    let meta = RequestMeta::new("", EventType::Message);
    let (route_key, status, integration_latency) =
        route_message(gw, accepted, body, binary, &meta).await;
    accepted.connection.set_last_route(&route_key);
    let error = match status {
        403 => Some("No route for the message and no $default route"),
        429 => Some("Too Many Requests"),
        400 => Some("Invalid request body"),
        500.. => Some("Internal server error"),
        _ => None,
    };
    super::record::record(
        gw,
        &super::record::Outcome {
            api_id: &accepted.info.api_id,
            stage: &accepted.info.stage,
            route_key: &route_key,
            event_type: EventType::Message,
            status,
            latency: started.elapsed(),
            integration_latency,
            bytes: body.len() as u64,
        },
        Some(&facts(accepted, &meta, error)),
    );
}

/// What the logs of an event on an open connection name.
fn facts<'a>(
    accepted: &'a Accepted,
    meta: &'a RequestMeta,
    error: Option<&'a str>,
) -> super::record::LogFacts<'a> {
    super::record::LogFacts {
        log: &accepted.stage.log,
        logging: accepted.stage.logging,
        request_id: &meta.request_id,
        message_id: meta.message_id.as_deref(),
        connection_id: &accepted.connection.connection_id,
        connected_at: accepted.info.connected_at,
        source_ip: accepted.info.source_ip.to_string(),
        user_agent: accepted.info.user_agent.as_deref(),
        error,
    }
}

/// The route key, a status (200, 403 no route, 429 throttled or over quota, 400 invalid
/// body, 500 integration error) and
/// the integration's latency.
async fn route_message(
    gw: &Gateway,
    accepted: &Accepted,
    body: &[u8],
    binary: bool,
    event: &RequestMeta,
) -> (std::sync::Arc<str>, u16, Option<std::time::Duration>) {
    let connection = &accepted.connection;
    connection.messages_in.fetch_add(1, Ordering::Relaxed);
    connection.touch();
    let compiled = &accepted.compiled;
    let json: Option<Value> = if binary {
        None
    } else {
        serde_json::from_slice(body).ok()
    };
    let route = match &json {
        Some(v) if compiled.route_selection.reads_body() => {
            let ctx = json!({});
            compiled.select(&compiled.route_selection.eval(Some(v), &ctx))
        }
        Some(_) => {
            let ctx = json!({});
            compiled.select(&compiled.route_selection.eval(None, &ctx))
        }
        None => compiled.default_route(),
    };
    let Some(route) = route else {
        let _ = connection.send(Outbound::text(error_frame(
            "Forbidden",
            &connection.connection_id,
            &event.request_id,
        )));
        return ("-".into(), 403, None);
    };
    // The same ids as the logs of this message.
    let mut meta = RequestMeta::new(&route.route_key, EventType::Message);
    meta.request_id.clone_from(&event.request_id);
    meta.message_id.clone_from(&event.message_id);
    let bucket = accepted
        .stage
        .websocket_buckets
        .get(&*route.route_key)
        .map(|b| &**b);
    if let Err(r) = super::throttle::admit(
        gw,
        &accepted.info.api_id,
        &accepted.info.stage,
        bucket,
        accepted.api_key.as_deref(),
    )
    .await
    {
        let _ = connection.send(Outbound::text(error_frame(
            r.message(),
            &connection.connection_id,
            &meta.request_id,
        )));
        return (route.route_key.clone(), 429, None);
    }
    if let Some(model) = route.model(json.as_ref())
        && model.check(body).is_err()
    {
        let _ = connection.send(Outbound::text(error_frame(
            "Invalid request body",
            &connection.connection_id,
            &meta.request_id,
        )));
        return (route.route_key.clone(), 400, None);
    }
    let Some(i) = &route.integration else {
        let _ = connection.send(Outbound::text(error_frame(
            "Internal server error",
            &connection.connection_id,
            &meta.request_id,
        )));
        return (route.route_key.clone(), 500, None);
    };
    let input = Input {
        info: &accepted.info,
        meta: &meta,
        body,
        binary,
        connect: None,
        stage_variables: &accepted.stage.variables,
    };
    let called = std::time::Instant::now();
    let result = integration::run(gw, i, &input).await;
    let integration_latency = Some(called.elapsed());
    match result {
        Ok(out) => {
            let status = out.status;
            if route.two_way
                && let Some(body) = out.body
            {
                let message = if out.binary {
                    use base64::Engine as _;
                    match base64::engine::general_purpose::STANDARD.decode(body.trim()) {
                        Ok(bytes) => Outbound::Binary(bytes.into()),
                        Err(_) => Outbound::text(body),
                    }
                } else {
                    Outbound::text(body)
                };
                let _ = connection.send(message);
            }
            (route.route_key.clone(), status, integration_latency)
        }
        Err(_) => {
            let _ = connection.send(Outbound::text(error_frame(
                "Internal server error",
                &connection.connection_id,
                &meta.request_id,
            )));
            (route.route_key.clone(), 500, integration_latency)
        }
    }
}
