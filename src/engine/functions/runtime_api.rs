//! The AWS Lambda Runtime API (`/2018-06-01/runtime/...`) one worker talks to, served with
//! hyper on the worker's own loopback port: `invocation/next` (long poll for the next event),
//! `invocation/{id}/response`, `invocation/{id}/error` and `init/error`.

use std::convert::Infallible;
use std::sync::{Arc, Weak};

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::pool::{Pool, Worker, dead};

/// Lambda's synchronous response payload limit (6 MB).
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;
const PREFIX: &str = "/2018-06-01/runtime/";

/// Serves the worker's Runtime API until the worker dies.
pub(crate) async fn serve(
    listener: TcpListener,
    pool: Weak<Pool>,
    worker: Arc<Worker>,
    kill: watch::Receiver<bool>,
) {
    loop {
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
        if job.reply.is_closed() {
            continue;
        }
        break job;
    };
    let request_id = job.request_id.clone();
    let payload = job.payload.clone();
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
            format!(
                "Root=1-{:08x}-{};Sampled=0",
                deadline / 1000,
                &request_id.replace('-', "")[..24]
            ),
        ),
    ];
    for (name, value) in headers {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}
