//! The AWS Lambda Runtime API (`/2018-06-01/runtime/...`) one worker talks to, served with
//! hyper on the worker's own loopback port: `invocation/next` (long poll for the next event),
//! `invocation/{id}/response`, `invocation/{id}/error` and `init/error`.
//!
//! Bounds: a worker holds at most [`MAX_CONNECTIONS`] connections at once (further ones wait
//! to be accepted), one `invocation/next` poll at a time, and bodies of at most
//! [`MAX_PAYLOAD_BYTES`] (Lambda's 6 MB synchronous response limit: a larger response fails the
//! invocation with `Function.ResponseSizeTooLarge`).

use std::convert::Infallible;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::pool::{Pool, Worker, dead};

/// Lambda's synchronous response payload limit (6 MB).
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
/// Connections one worker may hold open to its Runtime API at once.
pub const MAX_CONNECTIONS: usize = 8;
const PREFIX: &str = "/2018-06-01/runtime/";

/// Serves the worker's Runtime API until the worker dies.
pub(crate) async fn serve(
    listener: TcpListener,
    pool: Weak<Pool>,
    worker: Arc<Worker>,
    kill: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
            _ = dead(kill.clone()) => return,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(_) => continue,
            },
            _ = dead(kill.clone()) => return,
        };
        let _ = stream.set_nodelay(true);
        let pool = pool.clone();
        let worker = worker.clone();
        let kill = kill.clone();
        let stop = kill.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let pool = pool.clone();
                let worker = worker.clone();
                let kill = kill.clone();
                async move { Ok::<_, Infallible>(handle(req, pool, worker, kill).await) }
            });
            let conn = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            // A dead worker's connections are dropped with it (its handlers stop too).
            tokio::select! {
                _ = conn => {}
                _ = dead(stop) => {}
            }
            drop(permit);
        });
    }
}

fn reply(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    r
}

async fn handle(
    req: Request<Incoming>,
    pool: Weak<Pool>,
    worker: Arc<Worker>,
    kill: watch::Receiver<bool>,
) -> Response<Full<Bytes>> {
    let Some(pool) = pool.upgrade() else {
        return reply(
            StatusCode::GONE,
            r#"{"errorMessage":"function removed","errorType":"Runtime.Gone"}"#,
        );
    };
    let path = req.uri().path().to_string();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"unknown path","errorType":"NotFound"}"#,
        );
    };
    let method = req.method().clone();
    match (method, rest) {
        (http::Method::GET, "invocation/next") => next(pool, worker, kill).await,
        (http::Method::POST, "init/error") => {
            let body = read_body(req).await.unwrap_or_default();
            pool.log(format!("init error: {}", String::from_utf8_lossy(&body)));
            *worker.init_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(body);
            reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
        }
        (http::Method::POST, rest) => {
            let Some((id, kind)) = rest
                .strip_prefix("invocation/")
                .and_then(|r| r.rsplit_once('/'))
            else {
                return reply(
                    StatusCode::NOT_FOUND,
                    r#"{"errorMessage":"unknown path","errorType":"NotFound"}"#,
                );
            };
            let id = id.to_string();
            let error_type = req
                .headers()
                .get("lambda-runtime-function-error-type")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            let body = match read_body(req).await {
                Some(b) => b,
                None => {
                    let payload = super::pool::error_payload(
                        "Function.ResponseSizeTooLarge",
                        "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
                    );
                    pool.finish_invocation(&worker, &id, payload, Some("Unhandled".into()));
                    return reply(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        r#"{"errorMessage":"payload too large","errorType":"RequestEntityTooLarge"}"#,
                    );
                }
            };
            let function_error = match kind {
                "response" => None,
                // Lambda reports every runtime-posted error as `Unhandled`; the runtime's
                // own error type (the header) only shows in the payload and the log.
                "error" => {
                    if let Some(t) = error_type {
                        pool.log(format!("{id} function error ({t})"));
                    }
                    Some("Unhandled".to_string())
                }
                _ => {
                    return reply(
                        StatusCode::NOT_FOUND,
                        r#"{"errorMessage":"unknown path","errorType":"NotFound"}"#,
                    );
                }
            };
            if pool.finish_invocation(&worker, &id, body, function_error) {
                reply(StatusCode::ACCEPTED, r#"{"status":"OK"}"#)
            } else {
                reply(
                    StatusCode::BAD_REQUEST,
                    r#"{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}"#,
                )
            }
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            r#"{"errorMessage":"unknown path","errorType":"NotFound"}"#,
        ),
    }
}

async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    Limited::new(req.into_body(), MAX_PAYLOAD_BYTES)
        .collect()
        .await
        .ok()
        .map(|c| c.to_bytes())
}

/// The long poll: the next queued invocation for this function.
async fn next(
    pool: Arc<Pool>,
    worker: Arc<Worker>,
    kill: watch::Receiver<bool>,
) -> Response<Full<Bytes>> {
    if worker.is_dead() {
        return reply(
            StatusCode::GONE,
            r#"{"errorMessage":"worker stopped","errorType":"Runtime.Gone"}"#,
        );
    }
    worker
        .polled
        .store(true, std::sync::atomic::Ordering::Release);
    // One poll at a time, and none while the worker runs an invocation: a runtime asks for
    // the next event after it answered the previous one.
    let Some(_poll) = worker.begin_poll() else {
        return reply(
            StatusCode::BAD_REQUEST,
            r#"{"errorMessage":"an invocation is already in progress or being polled for","errorType":"InvalidStateTransition"}"#,
        );
    };
    let job = loop {
        let mut rx = tokio::select! {
            g = pool.rx.lock() => g,
            _ = dead(kill.clone()) => return reply(StatusCode::GONE, r#"{"errorType":"Runtime.Gone"}"#),
        };
        let job = tokio::select! {
            j = rx.recv() => j,
            _ = dead(kill.clone()) => return reply(StatusCode::GONE, r#"{"errorType":"Runtime.Gone"}"#),
        };
        drop(rx);
        let Some(job) = job else {
            return reply(StatusCode::GONE, r#"{"errorType":"Runtime.Gone"}"#);
        };
        pool.dequeued();
        if pool.is_closed() {
            return reply(StatusCode::GONE, r#"{"errorType":"Runtime.Gone"}"#);
        }
        if job.reply.is_closed() {
            continue;
        }
        break job;
    };
    let request_id = job.request_id.clone();
    let payload = job.payload.clone();
    let trace_id = job.trace_id.clone();
    let deadline = pool.start_invocation(&worker, job);
    let mut r = Response::new(Full::new(payload));
    r.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let headers = [
        ("lambda-runtime-aws-request-id", request_id.clone()),
        ("lambda-runtime-deadline-ms", deadline.to_string()),
        (
            "lambda-runtime-invoked-function-arn",
            pool.function_arn.clone(),
        ),
        (
            "lambda-runtime-trace-id",
            match trace_id {
                Some(t) => t.into(),
                None => format!(
                    "Root=1-{:08x}-{};Sampled=0",
                    deadline / 1000,
                    &request_id.replace('-', "")[..24]
                ),
            },
        ),
    ];
    for (name, value) in headers {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}
