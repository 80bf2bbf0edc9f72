//! Helpers shared by the traffic-control tests: a counting backend, direct in-process
//! invocations (for tests that step an injected clock) and event counting.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use gwtui::engine::{Gateway, InvokeRequest, InvokeResponse, Variant};
use http::{HeaderMap, HeaderName, HeaderValue, Method};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// A backend answering `{"n": <calls so far>, "path", "query", "canary": <x-canary header>}`;
/// `/big` answers a body just over 1 MiB; `/kb/{n}` pads the body to n kB.
pub async fn counting_backend() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let counter = counter.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let counter = counter.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let _ = body.collect().await;
                        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                        let path = parts.uri.path().to_string();
                        let pad = if path == "/big" {
                            1_048_577
                        } else {
                            path.strip_prefix("/kb/")
                                .and_then(|k| k.parse::<usize>().ok())
                                .map(|k| k * 1024)
                                .unwrap_or(0)
                        };
                        let canary = parts
                            .headers
                            .get("x-canary")
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string);
                        let echo = serde_json::json!({
                            "n": n,
                            "path": path,
                            "query": parts.uri.query(),
                            "canary": canary,
                            "pad": "x".repeat(pad),
                        });
                        let mut resp =
                            hyper::Response::new(Full::new(Bytes::from(echo.to_string())));
                        resp.headers_mut()
                            .insert("content-type", HeaderValue::from_static("application/json"));
                        Ok::<_, Infallible>(resp)
                    }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, calls)
}

/// Calls the engine directly (no socket): `path` may carry a `?query`.
pub async fn invoke(
    gw: &Gateway,
    verb: &str,
    api_id: &str,
    stage: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> InvokeResponse {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (path.to_string(), None),
    };
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.append(
            HeaderName::from_bytes(k.as_bytes()).unwrap(),
            HeaderValue::from_str(v).unwrap(),
        );
    }
    let request = InvokeRequest {
        method: Method::from_bytes(verb.as_bytes()).unwrap(),
        api_id: api_id.to_string(),
        stage: stage.to_string(),
        context_path: format!("/{stage}{path}"),
        path,
        query,
        headers: map,
        body: Bytes::from(body.to_string()),
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        protocol: "HTTP/1.1",
        base_path_matched: None,
        client_cert: None,
    };
    gw.invoke(request).await
}

/// Cumulative (cache hits, cache misses) over every series, from the metrics totals the
/// record phase updates synchronously.
pub fn cache_counts(gw: &Gateway) -> (u64, u64) {
    gw.metrics_totals()
        .iter()
        .fold((0, 0), |(h, m), t| (h + t.cache_hits, m + t.cache_misses))
}

/// Cumulative requests recorded for one variant of a stage.
pub fn variant_requests(gw: &Gateway, stage: &str, variant: Variant) -> u64 {
    gw.metrics_totals()
        .iter()
        .filter(|t| t.key.stage == stage && t.key.variant == variant)
        .map(|t| t.requests)
        .sum()
}

pub fn body_text(r: &InvokeResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}
