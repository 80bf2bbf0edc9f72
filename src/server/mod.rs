//! hyper on tokio: invoke URLs (host style and path style), the management API, `/metrics`.
//! It translates HTTP to [`Gateway`] calls and back; no gateway logic lives here.

pub mod browser;
pub mod event_replay;
pub mod events;
pub mod invoke;
pub mod mgmt;
pub mod per_core;
pub mod prometheus;
pub mod tls;
pub mod websocket;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::engine::Gateway;
use crate::engine::{InvokeRequest, MAX_BODY_BYTES};

pub type Body = Full<Bytes>;

/// What the listener answers with: a full body, or an event stream (`GET /gwtui/events`).
pub type ServeBody = http_body_util::Either<Body, events::EventBody>;

/// How the server treats management requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Access key id, secret and optional session token. When set, every management request
    /// must carry a valid SigV4 signature made with them (and the token); when unset (loopback
    /// only, see [`check_bind`]) any credentials are accepted and the access key id is only
    /// recorded in the audit log.
    pub admin_credentials: Option<crate::auth::credentials::Credentials>,
    /// Hosts (besides loopback names and addresses) whose `Host` header the management API
    /// accepts; any other is refused (DNS rebinding, see [`browser`]).
    pub allowed_hosts: Vec<browser::AllowedHost>,
    /// Web origins whose requests (with an `Origin` header) the management API accepts, and
    /// answers with CORS headers; every other `Origin` is refused.
    pub allowed_origins: Vec<browser::AllowedOrigin>,
    /// Change events kept for event-stream clients that reconnect (`Last-Event-ID`);
    /// `None`: [`event_replay::REPLAY_RING`].
    pub event_replay: Option<usize>,
    /// Log lines kept for event-stream clients that reconnect; `None`:
    /// [`event_replay::LOG_REPLAY_LINES`].
    pub log_replay: Option<usize>,
}

/// Refuses to serve the management API on a non-loopback address without admin credentials.
pub fn check_bind(addr: SocketAddr, has_credentials: bool) -> Result<(), String> {
    if addr.ip().is_loopback() || has_credentials {
        Ok(())
    } else {
        Err(format!(
            "refusing to listen on {addr}: the management API on a non-loopback address needs admin credentials (an access key id and secret) so that requests can be SigV4-verified; bind 127.0.0.1 or configure admin credentials"
        ))
    }
}

/// Serves with default options (no admin credentials: for loopback listeners).
pub async fn serve(
    gw: Gateway,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(gw, listener, ServerOptions::default(), shutdown).await
}

/// Serves until `shutdown` completes, then lets in-flight connections finish (bounded).
pub async fn serve_with(
    gw: Gateway,
    listener: TcpListener,
    options: ServerOptions,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_loop(gw, listener, options, None, None, shutdown).await
}

/// [`serve_with`] for one of several listeners that share `streams` (the serving threads).
pub(crate) async fn serve_sharing(
    gw: Gateway,
    listener: TcpListener,
    options: ServerOptions,
    streams: Streams,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_loop(gw, listener, options, None, Some(streams), shutdown).await
}

/// Serves HTTPS (see [`tls::server_config`]) until `shutdown` completes: the same invoke URLs
/// and management API as [`serve_with`], behind TLS.
pub async fn serve_tls_with(
    gw: Gateway,
    listener: TcpListener,
    options: ServerOptions,
    configs: std::sync::Arc<tls::TlsConfigs>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_loop(gw, listener, options, Some(configs), None, shutdown).await
}

/// How long a client has to complete the TLS handshake.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `listener` until `shutdown`. `shared`: the event streams this listener shares with
/// others (the serving threads, [`per_core`]), whose owner ends them; `None`: its own, ended
/// here at shutdown.
async fn serve_loop(
    gw: Gateway,
    listener: TcpListener,
    options: ServerOptions,
    tls: Option<std::sync::Arc<tls::TlsConfigs>>,
    shared: Option<Streams>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    if tls.is_none()
        && let Ok(addr) = listener.local_addr()
    {
        gw.set_listen_address(addr);
    }
    let (streams, stop_streams) = match shared {
        Some(streams) => (streams, None),
        None => {
            let (streams, stop) = Streams::start(&gw, &options);
            (streams, Some(stop))
        }
    };
    let options = std::sync::Arc::new(options);
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(30));
    // An A/B experiment switch (docs/PERFORMANCE.md "Data plane under wrk"): `0` makes hyper
    // copy each response into one buffer and `write` it instead of `writev`-ing head and body.
    if std::env::var("GWTUI_HTTP1_WRITEV").is_ok_and(|v| v == "0") {
        builder.http1().writev(false);
    }
    let builder = std::sync::Arc::new(builder);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    // Out of file descriptors or a reset before accept: keep serving.
                    Err(_) => continue,
                };
                let _ = stream.set_nodelay(true);
                let gw = gw.clone();
                let options = options.clone();
                let local = listener.local_addr().ok();
                let streams = streams.clone();
                // A mutual-TLS client's certificate rides on each of its requests.
                let service = move |cert: Option<std::sync::Arc<crate::tls::ClientCert>>| {
                    service_fn(move |mut req: Request<Incoming>| {
                        if let Some(cert) = &cert {
                            req.extensions_mut().insert(cert.clone());
                        }
                        serve_request(gw.clone(), req, peer, local, options.clone(), streams.clone())
                    })
                };
                match &tls {
                    None => {
                        let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service(None)).into_owned();
                        let conn = graceful.watch(conn);
                        tokio::spawn(async move {
                            let _ = conn.await;
                        });
                    }
                    Some(configs) => {
                        // The configuration follows the ClientHello's SNI (mutual TLS is per
                        // custom domain).
                        let configs = configs.clone();
                        let accept = async move {
                            let start = tokio_rustls::LazyConfigAcceptor::new(
                                rustls::server::Acceptor::default(),
                                stream,
                            )
                            .await?;
                            let config = configs
                                .for_server_name(start.client_hello().server_name())
                                .ok_or_else(|| std::io::Error::other("no TLS configuration"))?;
                            start.into_stream(config).await
                        };
                        let watcher = graceful.watcher();
                        let builder = builder.clone();
                        tokio::spawn(async move {
                            // A failed or stalled handshake only ends this connection.
                            let Ok(Ok(stream)) = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, accept).await else {
                                return;
                            };
                            let cert = stream
                                .get_ref()
                                .1
                                .peer_certificates()
                                .and_then(|chain| chain.first())
                                .and_then(|der| crate::tls::ClientCert::from_der(der).ok())
                                .map(std::sync::Arc::new);
                            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service(cert)).into_owned();
                            let _ = watcher.watch(conn).await;
                        });
                    }
                }
            }
            _ = &mut shutdown => break,
        }
    }
    if let Some(stop) = stop_streams {
        let _ = stop.send(true);
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
    }
    Ok(())
}

/// What event streams share on one listener, or on the serving threads of one server: the
/// numbered changes (with the boot id: a client that reconnects after a restart sees a new
/// one, and one that reconnects onto another serving thread sees the same), the stream slots
/// and the shutdown signal.
#[derive(Clone)]
pub(crate) struct Streams {
    replay: event_replay::Replay,
    stop: tokio::sync::watch::Receiver<bool>,
    slots: events::StreamSlots,
}

impl Streams {
    /// Numbering starts (the recorder runs on the current runtime); the streams end when the
    /// returned sender turns true.
    pub(crate) fn start(
        gw: &Gateway,
        options: &ServerOptions,
    ) -> (Streams, tokio::sync::watch::Sender<bool>) {
        // Event streams never end on their own: they end when this turns true.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let boot: std::sync::Arc<str> = uuid::Uuid::new_v4().to_string().into();
        let replay = event_replay::Replay::new(
            boot,
            options.event_replay.unwrap_or(event_replay::REPLAY_RING),
            options.log_replay.unwrap_or(event_replay::LOG_REPLAY_LINES),
        );
        replay.spawn_recorder(gw, stopped.clone());
        let streams = Streams {
            replay,
            stop: stopped,
            slots: events::StreamSlots::default(),
        };
        (streams, stop)
    }
}

/// The future hyper runs for one request (its service future): [`dispatch`] decides
/// synchronously, and only the branch taken is awaited here. For an invoke request that is the
/// data plane, awaited inline: reading the body, then the engine on the request, which it
/// holds once (the engine borrows it).
///
/// hyper moves every request's future whole (docs/PERFORMANCE.md, "Data plane, round 5"), and
/// a future built by value and handed up through wrappers (`Either`, `Map`, a function's
/// return, an outer `async` block) is moved again at each of them: a `memcpy` of the whole
/// future per layer per request (docs/PERFORMANCE.md, "Data plane, session 10"). So the layers
/// are one `async` block here, and the decisions are plain values.
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` stores its by-value arguments twice in its future (docs/PERFORMANCE.md, \"Data plane, round 5\")"
)]
fn serve_request(
    gw: Gateway,
    req: Request<Incoming>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    options: std::sync::Arc<ServerOptions>,
    streams: Streams,
) -> impl Future<Output = Result<Response<ServeBody>, Infallible>> + Send {
    async move {
        // The decision is taken apart in a block that ends before the data plane's awaits: a
        // `Route` matched by its fields stays in the future's state while it is in scope (about
        // 440 bytes more, moved by hyper on every request).
        let (gw, mut request, body) = {
            let route = match dispatch(gw, req, peer, local, &options, &streams) {
                Dispatched::Stream(response) => return Ok(response),
                Dispatched::Route(route) => route,
            };
            match route {
                Route::Invoke(gw, request, body) => (gw, request, body),
                Route::Ready(response) => return Ok(full(response)),
                Route::Boxed(future) => return Ok(full(future.await)),
            }
        };
        use hyper::body::Body as _;
        if !body.is_end_stream() {
            match read_body(body).await {
                Ok(bytes) => request.body = bytes,
                Err(BodyError::TooLarge) => return Ok(full(invoke::rejected(&gw, &request))),
                Err(BodyError::Malformed) => return Ok(full(malformed())),
            }
        }
        Ok(full(invoke::response(gw.serve(&request).await)))
    }
}

fn full(response: Response<Body>) -> Response<ServeBody> {
    response.map(http_body_util::Either::Left)
}

/// What [`dispatch`] decided.
#[allow(
    clippy::large_enum_variant,
    reason = "a transient value, matched at once; boxing the request would add an allocation per request"
)]
enum Dispatched<'a> {
    /// An event stream's response (or its refusal), ready.
    Stream(Response<ServeBody>),
    /// Everything else, as [`route`] decided.
    Route(Route<'a>),
}

/// `GET /gwtui/events` on the management plane becomes an event stream (after the same
/// browser and credential checks as every management request); everything else [`route`]
/// decides. Synchronous: the checks are, and [`serve_request`] awaits what is left.
fn dispatch<'a>(
    gw: Gateway,
    req: Request<Incoming>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    options: &'a ServerOptions,
    streams: &Streams,
) -> Dispatched<'a> {
    let is_stream = req.method() == http::Method::GET && req.uri().path() == events::PATH;
    if !is_stream {
        return Dispatched::Route(route(gw, req, peer, local, options));
    }
    let (parts, body) = req.into_parts();
    if !matches!(invoke::classify(&gw, &parts), invoke::Target::Management) {
        let req = Request::from_parts(parts, body);
        return Dispatched::Route(route(gw, req, peer, local, options));
    }
    let ready = |response| Dispatched::Stream(full(response));
    let cors =
        match browser::check_headers(&parts, &options.allowed_hosts, &options.allowed_origins) {
            Ok(cors) => cors,
            Err(refusal) => return ready(mgmt::access_denied(&refusal.0)),
        };
    if let Some(refused) = mgmt::refusal(&parts, options) {
        return ready(with_cors(refused, cors.as_ref()));
    }
    let Some(slot) = streams.slots.take() else {
        let refused = mgmt::error_response(&crate::model::AdminError::TooManyRequests(format!(
            "Too many event streams: this server serves at most {} at once",
            events::MAX_STREAMS
        )));
        return ready(with_cors(refused, cors.as_ref()));
    };
    let mut response = events::respond(&gw, &parts, &streams.replay, streams.stop.clone(), slot);
    if let Some(origin) = &cors {
        browser::add_cors_headers(response.headers_mut(), origin);
    }
    Dispatched::Stream(response.map(http_body_util::Either::Right))
}

/// A future of one of the branches that are not the data plane's (management API, WebSocket,
/// custom-domain refusals): boxed, so that their states do not make every invoke request's
/// future larger.
type Boxed<'a> = std::pin::Pin<Box<dyn Future<Output = Response<Body>> + Send + 'a>>;

/// How [`route`] answers, decided before anything is awaited.
#[allow(
    clippy::large_enum_variant,
    reason = "a transient value, matched at once; boxing the request would add an allocation per request"
)]
enum Route<'a> {
    /// An invoke request for the data plane: the request (its body still to be read) and
    /// the body.
    Invoke(Gateway, InvokeRequest, Incoming),
    Ready(Response<Body>),
    Boxed(Boxed<'a>),
}

/// Routes one HTTP request to the data plane, `/metrics` or the management API.
///
/// Management requests (`/metrics` and `/gwtui/*` included) first pass the browser checks of
/// [`browser`] (Host, Origin, then Content-Type once the body is read); invoke URLs do not.
/// `/metrics` (Prometheus text) is answered without SigV4 even when admin credentials are
/// configured: scrapers cannot sign, and it is read-only.
///
/// Everything up to reading the body is decided synchronously; the answer holds only what its
/// branch awaits with: for an invoke request, the engine's request and the body, which
/// [`serve_request`] reads and runs.
fn route<'a>(
    gw: Gateway,
    req: Request<Incoming>,
    peer: SocketAddr,
    local: Option<SocketAddr>,
    options: &'a ServerOptions,
) -> Route<'a> {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let target = invoke::classify(&gw, &parts);
    // A WebSocket API's upgrade runs `$connect` and is answered before any body is read.
    let target = match target {
        invoke::Target::Invoke(t)
            if websocket::is_upgrade(&parts) && gw.is_websocket_api(&t.api_id) =>
        {
            return Route::Boxed(Box::pin(async move {
                websocket::upgrade(&gw, Request::from_parts(parts, body), peer, t).await
            }));
        }
        other => other,
    };
    let management = matches!(target, invoke::Target::Management);
    let cors = if management {
        match browser::check_headers(&parts, &options.allowed_hosts, &options.allowed_origins) {
            Ok(cors) => cors,
            Err(refusal) => return Route::Ready(mgmt::access_denied(&refusal.0)),
        }
    } else {
        None
    };
    if let Some(origin) = &cors
        && let Some(headers) = browser::preflight_headers(&parts, origin)
    {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NO_CONTENT;
        *r.headers_mut() = headers;
        return Route::Ready(r);
    }
    if management && parts.method == http::Method::GET && parts.uri.path() == "/metrics" {
        return Route::Ready(with_cors(prometheus::respond(&gw), cors.as_ref()));
    }
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        let mut body = body;
        return Route::Boxed(Box::pin(async move {
            linger(&mut body).await;
            with_cors(too_large(&gw, target, parts, peer), cors.as_ref())
        }));
    }
    match target {
        invoke::Target::Invoke(t) => {
            // The path test first: REST and HTTP API requests skip the route-map lookup.
            if let Some(id) = websocket::connections_id(&t.path)
                && gw.is_websocket_api(&t.api_id)
            {
                return Route::Boxed(Box::pin(async move {
                    match read_body(body).await {
                        Ok(body) => websocket::connections(&gw, parts, body, peer, t, id).await,
                        Err(BodyError::TooLarge) => invoke::too_large(&gw, parts, peer, t),
                        Err(BodyError::Malformed) => malformed(),
                    }
                }));
            }
            Route::Invoke(gw, invoke::request(parts, peer, t), body)
        }
        invoke::Target::UnmappedDomain => Route::Boxed(Box::pin(async move {
            match read_body(body).await {
                Err(BodyError::Malformed) => malformed(),
                Ok(_) | Err(BodyError::TooLarge) => forbidden(),
            }
        })),
        invoke::Target::Management => Route::Boxed(Box::pin(async move {
            let body = match read_body(body).await {
                Ok(body) => body,
                Err(BodyError::TooLarge) => {
                    return with_cors(
                        too_large(&gw, invoke::Target::Management, parts, peer),
                        cors.as_ref(),
                    );
                }
                Err(BodyError::Malformed) => return malformed(),
            };
            let response = match browser::check_content_type(&parts, body.len()) {
                Ok(()) => mgmt::handle(&gw, parts, body, local, options).await,
                Err(refusal) => mgmt::access_denied(&refusal.0),
            };
            with_cors(response, cors.as_ref())
        })),
    }
}

/// Why a request body could not be read.
enum BodyError {
    /// Over [`MAX_BODY_BYTES`].
    TooLarge,
    /// The connection failed or the framing was broken.
    Malformed,
}

/// The whole body, up to [`MAX_BODY_BYTES`]; past it, what the client still sends is read and
/// discarded ([`linger`]) before the caller answers 413.
async fn read_body(mut body: Incoming) -> Result<Bytes, BodyError> {
    match Limited::new(&mut body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            // Boxed: the data plane's future holds this one, and refusals are rare.
            Box::pin(linger(&mut body)).await;
            Err(BodyError::TooLarge)
        }
        Err(_) => Err(BodyError::Malformed),
    }
}

fn malformed() -> Response<Body> {
    plain(
        StatusCode::BAD_REQUEST,
        "{\"message\":\"Malformed request body\"}",
    )
}

/// An answer to an allowed browser origin carries its CORS headers.
fn with_cors(mut response: Response<Body>, cors: Option<&browser::CorsOrigin>) -> Response<Body> {
    if let Some(origin) = cors {
        browser::add_cors_headers(response.headers_mut(), origin);
    }
    response
}

/// How much of a refused (too large) body is read and thrown away, at most, before the 413.
const LINGER_BYTES: usize = 2 * MAX_BODY_BYTES;
/// How long, at most, a refused body is read before the 413.
const LINGER_TIME: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads and discards what a client still sends of a body the 413 refuses (bounded by
/// [`LINGER_BYTES`] and [`LINGER_TIME`]), nginx's lingering close: a client that writes its
/// whole body before it reads (most do) otherwise meets a connection closed under it (a broken
/// pipe or a reset) instead of the 413.
async fn linger(body: &mut Incoming) {
    let drain = async {
        let mut left = LINGER_BYTES;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                left = left.saturating_sub(data.len());
                if left == 0 {
                    return;
                }
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_TIME, drain).await;
}

fn too_large(
    gw: &Gateway,
    target: invoke::Target,
    parts: http::request::Parts,
    peer: SocketAddr,
) -> Response<Body> {
    match target {
        invoke::Target::Invoke(t) => invoke::too_large(gw, parts, peer, t),
        invoke::Target::UnmappedDomain => forbidden(),
        invoke::Target::Management => plain(
            StatusCode::PAYLOAD_TOO_LARGE,
            "{\"message\":\"Request Too Long\"}",
        ),
    }
}

/// A custom domain without a matching base path: API Gateway's 403 (execution.md §1).
fn forbidden() -> Response<Body> {
    let mut r = plain(StatusCode::FORBIDDEN, "{\"message\":\"Forbidden\"}");
    r.headers_mut().insert(
        "x-amzn-errortype",
        http::HeaderValue::from_static("ForbiddenException"),
    );
    r
}

pub fn plain(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}
#[cfg(test)]
mod future_size_tests;
