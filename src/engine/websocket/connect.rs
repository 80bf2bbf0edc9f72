//! `$connect`: the upgrade request is authorized (the `$connect` route's authorization),
//! then the `$connect` integration runs; only when both succeed is the connection
//! registered and the upgrade answered 101. A refusal is an HTTP answer (401, 403, 500...).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use tokio::sync::{Notify, mpsc};

use super::authorize::{self, ConnectRequest, Refusal};
use super::compiled::{Auth, CompiledWebSocket};
use super::event::{ConnectionInfo, EventType, RequestMeta, new_id};
use super::integration::{self, Input};
use super::registry::{Connection, Outbound};
use crate::engine::Gateway;
use crate::engine::http_api::live::LiveHttpStage;
use crate::engine::pipeline::InvokeResponse;
use crate::model::v2::websocket::CONNECT;

/// The upgrade request, as the server hands it over.
#[derive(Debug, Clone)]
pub struct UpgradeRequest {
    pub api_id: String,
    pub stage: String,
    pub headers: HeaderMap,
    /// The path as the client sent it (SigV4 covers it).
    pub raw_path: String,
    pub query: Option<String>,
    pub source_ip: IpAddr,
}

/// A connection `$connect` accepted: registered, waiting for the socket.
pub struct Accepted {
    pub(crate) connection: Arc<Connection>,
    pub(crate) info: ConnectionInfo,
    pub(crate) stage: Arc<LiveHttpStage>,
    pub(crate) compiled: Arc<CompiledWebSocket>,
    pub(crate) receiver: mpsc::Receiver<Outbound>,
    /// The API key `$connect` required and accepted: the connection's messages count against
    /// its usage plan ([`super::throttle`]).
    pub(crate) api_key: Option<String>,
    /// Headers the `$connect` integration asked for (`Sec-WebSocket-Protocol`).
    pub response_headers: Vec<(String, String)>,
}

impl Accepted {
    pub fn connection_id(&self) -> &str {
        &self.connection.connection_id
    }
}

/// An HTTP refusal of the upgrade: `{"message": …}` with its error type.
pub(crate) fn refusal(status: StatusCode, message: &str, error_type: &str) -> InvokeResponse {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(v) = HeaderValue::from_str(error_type) {
        headers.insert("x-amzn-errortype", v);
    }
    let body = serde_json::json!({ "message": message }).to_string();
    InvokeResponse {
        status,
        headers,
        body: Bytes::from(body),
    }
}

fn domain_name(headers: &HeaderMap) -> String {
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_string(),
        _ => host.to_string(),
    }
}

impl Gateway {
    /// Runs `$connect` for an upgrade request. `Ok`: the connection is registered and the
    /// server answers 101 and hands the socket to [`Gateway::websocket_serve`].
    pub async fn websocket_connect(&self, req: UpgradeRequest) -> Result<Accepted, InvokeResponse> {
        let routes = self.inner.routes.load();
        let Some(api) = routes.http_apis.get(&req.api_id).cloned() else {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "ForbiddenException",
            ));
        };
        drop(routes);
        let Some(stage) = api.stages.get(&req.stage).cloned() else {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "ForbiddenException",
            ));
        };
        let Some(compiled) = stage.compiled.websocket.clone() else {
            return Err(refusal(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "ForbiddenException",
            ));
        };
        let limits = self.inner.websocket.limits();
        if !self
            .inner
            .websocket
            .registry
            .reserve(limits.max_connections)
        {
            return Err(refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "LimitExceededException",
            ));
        }
        let started = std::time::Instant::now();
        let (api_id, stage_name) = (req.api_id.clone(), req.stage.clone());
        let (log, logging, source_ip) = (stage.log.clone(), stage.logging, req.source_ip);
        let user_agent = req
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let outcome = self
            .run_connect(req, stage, compiled, limits.send_queue)
            .await;
        let request_id = super::event::new_id();
        let error = outcome.as_ref().err().map(|r| {
            String::from_utf8_lossy(&r.body)
                .chars()
                .take(200)
                .collect::<String>()
        });
        super::record::record(
            self,
            &super::record::Outcome {
                api_id: &api_id,
                stage: &stage_name,
                route_key: CONNECT,
                event_type: EventType::Connect,
                status: outcome.as_ref().map_or_else(|r| r.status.as_u16(), |_| 200),
                latency: started.elapsed(),
                integration_latency: None,
                bytes: 0,
            },
            Some(&super::record::LogFacts {
                log: &log,
                logging,
                request_id: &request_id,
                message_id: None,
                connection_id: outcome
                    .as_ref()
                    .map_or("-", |a| a.connection.connection_id.as_str()),
                connected_at: outcome.as_ref().map_or(0, |a| a.info.connected_at),
                source_ip: source_ip.to_string(),
                user_agent: user_agent.as_deref(),
                error: error.as_deref(),
            }),
        );
        match outcome {
            Ok(accepted) => {
                self.inner
                    .websocket
                    .registry
                    .insert(accepted.connection.clone());
                // Cluster mode: recorded in Redis before the client gets its 101, so any node
                // can reach it from then on.
                if let Some(relay) = &self.inner.websocket.relay
                    && let Err(why) = relay.register(self, &accepted.connection).await
                {
                    eprintln!(
                        "gwtui: WebSocket connection {} refused: {why}",
                        accepted.connection.connection_id
                    );
                    // Out of the registry first, so that `finish` leaves the Redis record
                    // (another node's, when the id was taken) alone.
                    self.inner
                        .websocket
                        .registry
                        .remove(&accepted.connection.connection_id);
                    super::connection::finish(self, &accepted, 1011, "Internal server error").await;
                    return Err(refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal server error",
                        "InternalServerErrorException",
                    ));
                }
                Ok(accepted)
            }
            Err(r) => {
                self.inner.websocket.registry.release();
                Err(r)
            }
        }
    }

    async fn run_connect(
        &self,
        req: UpgradeRequest,
        stage: Arc<LiveHttpStage>,
        compiled: Arc<CompiledWebSocket>,
        queue: usize,
    ) -> Result<Accepted, InvokeResponse> {
        let connection_id = new_id();
        let connected_at = super::epoch_millis();
        let user_agent = req
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let mut info = ConnectionInfo {
            connection_id: connection_id.clone(),
            api_id: req.api_id.clone(),
            stage: req.stage.clone(),
            connected_at,
            source_ip: req.source_ip,
            user_agent: user_agent.clone(),
            domain_name: domain_name(&req.headers),
            authorizer: None,
        };
        let meta = RequestMeta::new(CONNECT, EventType::Connect);
        let query = crate::engine::params::parse_query(req.query.as_deref());
        let mut response_headers = Vec::new();
        let mut api_key = None;
        if let Some(route) = compiled.connect() {
            let creq = ConnectRequest {
                headers: &req.headers,
                query: &query,
                stage_variables: &stage.variables,
            };
            let mut usage_identifier_key = None;
            let authorized = match &route.auth {
                Auth::None => Ok(None),
                Auth::Iam => authorize::iam(
                    self,
                    "GET",
                    &req.raw_path,
                    req.query.as_deref(),
                    &req.headers,
                    &[],
                )
                .map(Some),
                Auth::Lambda(a) => {
                    authorize::lambda(self, a, &info, &meta, &creq)
                        .await
                        .map(|allowed| {
                            usage_identifier_key = allowed.usage_identifier_key;
                            Some(allowed.context)
                        })
                }
            };
            match authorized {
                Ok(a) => info.authorizer = a,
                Err(Refusal::Unauthorized) => {
                    return Err(refusal(
                        StatusCode::UNAUTHORIZED,
                        "Unauthorized",
                        "UnauthorizedException",
                    ));
                }
                Err(Refusal::Forbidden) => {
                    return Err(refusal(
                        StatusCode::FORBIDDEN,
                        "Forbidden",
                        "AccessDeniedException",
                    ));
                }
                Err(Refusal::Failed(_)) => {
                    return Err(refusal(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Internal server error",
                        "AuthorizerConfigurationException",
                    ));
                }
            }
            // `apiKeyRequired`: an enabled key in a usage plan of this stage, else 403. The
            // key is the one the API's apiKeySelectionExpression selects: the `x-api-key`
            // header, or the authorizer's `usageIdentifierKey`.
            if route.api_key_required {
                let key = if compiled.api_key_from_authorizer {
                    usage_identifier_key
                } else {
                    req.headers
                        .get("x-api-key")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string)
                };
                let known =
                    key.filter(|k| self.api_key_for_stage(&req.api_id, &req.stage, k).is_some());
                if known.is_none() {
                    return Err(refusal(
                        StatusCode::FORBIDDEN,
                        "Forbidden",
                        "ForbiddenException",
                    ));
                }
                api_key = known;
            }
            let bucket = stage.websocket_buckets.get(CONNECT).map(|b| &**b);
            if let Err(r) =
                super::throttle::admit(self, &req.api_id, &req.stage, bucket, api_key.as_deref())
                    .await
            {
                return Err(refusal(
                    StatusCode::TOO_MANY_REQUESTS,
                    r.message(),
                    "LimitExceededException",
                ));
            }
            if let Some(i) = &route.integration {
                let input = Input {
                    info: &info,
                    meta: &meta,
                    body: &[],
                    binary: false,
                    connect: Some((&req.headers, &query)),
                    stage_variables: &stage.variables,
                };
                match integration::run(self, i, &input).await {
                    Ok(out) if (200..300).contains(&out.status) => {
                        response_headers = out
                            .headers
                            .into_iter()
                            .filter(|(k, _)| k.eq_ignore_ascii_case("sec-websocket-protocol"))
                            .collect();
                    }
                    Ok(out) => {
                        let status = StatusCode::from_u16(out.status)
                            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                        let message = if status == StatusCode::FORBIDDEN {
                            "Forbidden"
                        } else {
                            "Internal server error"
                        };
                        return Err(refusal(status, message, "IntegrationException"));
                    }
                    Err(_) => {
                        return Err(refusal(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "Internal server error",
                            "InternalServerErrorException",
                        ));
                    }
                }
            }
        }
        let (sender, receiver) = mpsc::channel(queue.max(1));
        let stage_messages_out = self
            .inner
            .websocket
            .outbound_counter(&req.api_id, &req.stage);
        let connection = Arc::new(Connection {
            connection_id,
            api_id: req.api_id,
            stage: req.stage,
            connected_at,
            last_active_at: AtomicI64::new(connected_at),
            source_ip: req.source_ip,
            user_agent,
            messages_in: AtomicU64::new(0),
            last_route: std::sync::Mutex::new(None),
            messages_out: AtomicU64::new(0),
            stage_messages_out,
            sender,
            close: Notify::new(),
            close_reason: std::sync::Mutex::new(None),
            closed: AtomicBool::new(false),
        });
        Ok(Accepted {
            connection,
            info,
            stage,
            compiled,
            receiver,
            api_key,
            response_headers,
        })
    }

    /// The upgrade did not complete: the connection is dropped and `$disconnect` runs.
    pub async fn websocket_abandon(&self, accepted: Accepted) {
        super::connection::finish(self, &accepted, 1006, "Going away").await;
    }
}
