//! Helpers for the HTTP API (v2) tests: v2 management calls, host-style invokes, a local
//! OpenID issuer serving the test key set, signed tokens, and a backend that echoes what it
//! received.
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::TcpListener;

use crate::common::TestGateway;

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A v2 management call: status, `x-amzn-ErrorType`, JSON body (Null when empty).
pub async fn v2(
    t: &TestGateway,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Option<String>, Value) {
    let mut req = t.client.request(method, format!("{}/v2{path}", t.base()));
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let resp = req.send().await.expect("management call");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.unwrap_or_default();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, kind, json)
}

/// A v2 call that must answer `want`; its JSON.
pub async fn v2_ok(
    t: &TestGateway,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    want: u16,
) -> Value {
    let (status, kind, json) = v2(t, method.clone(), path, body).await;
    assert_eq!(status, want, "{method} /v2{path}: {kind:?} {json}");
    json
}

/// A host-style invoke (`Host: {api}.execute-api.localhost`).
pub fn invoke(
    t: &TestGateway,
    api: &str,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    t.client
        .request(method, format!("{}{path}", t.base()))
        .header(
            "host",
            format!("{api}.execute-api.localhost:{}", t.addr.port()),
        )
}

pub async fn text(r: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, String) {
    let resp = r.send().await.expect("invoke");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.unwrap_or_default())
}

/// An OpenID issuer on loopback serving the fixtures' JWKS: `(issuer URL)`.
pub async fn issuer() -> String {
    issuer_counting().await.0
}

/// An issuer as [`issuer`], with the number of key-set fetches it served.
pub async fn issuer_counting() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind issuer");
    let addr = listener.local_addr().expect("issuer addr");
    let base = format!("http://{addr}");
    let jwks = std::fs::read_to_string(fixtures().join("jwt/jwks.json")).expect("jwks fixture");
    let config = json!({"issuer": base, "jwks_uri": format!("{base}/jwks.json")}).to_string();
    let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = fetches.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (jwks, config, counter) = (jwks.clone(), config.clone(), counter.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let body = if req.uri().path().ends_with("openid-configuration") {
                        config.clone()
                    } else {
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        jwks.clone()
                    };
                    async move { Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(body)))) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (base, fetches)
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// An RS256 token signed with the fixture key `key_file` under `kid`.
pub fn token(kid: &str, key_file: &str, claims: &Value) -> String {
    let der = std::fs::read(fixtures().join("jwt").join(key_file)).expect("key fixture");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).expect("sign")
}

/// A backend answering `{"method","uri","headers","body"}` (headers: name → values joined by
/// `|`; a body over 1 MB as `<N bytes>`).
pub async fn echo_backend() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind backend");
    let addr = listener.local_addr().expect("backend addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let svc = service_fn(|req: Request<Incoming>| async move {
                    let (parts, body) = req.into_parts();
                    let body = body
                        .collect()
                        .await
                        .map(|b| b.to_bytes())
                        .unwrap_or_default();
                    let mut headers = serde_json::Map::new();
                    for name in parts.headers.keys() {
                        let values: Vec<String> = parts
                            .headers
                            .get_all(name)
                            .iter()
                            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                            .collect();
                        headers.insert(name.to_string(), Value::String(values.join("|")));
                    }
                    let answer = json!({
                        "method": parts.method.as_str(),
                        "uri": parts.uri.to_string(),
                        "headers": headers,
                        "body": if body.len() > 1024 * 1024 {
                            format!("<{} bytes>", body.len())
                        } else {
                            String::from_utf8_lossy(&body).into_owned()
                        },
                    });
                    let status = if parts.uri.path().ends_with("/missing") {
                        404
                    } else {
                        200
                    };
                    let mut r = Response::new(Full::new(Bytes::from(answer.to_string())));
                    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or_default();
                    r.headers_mut().insert(
                        "content-type",
                        http::HeaderValue::from_static("application/json"),
                    );
                    r.headers_mut()
                        .insert("x-backend", http::HeaderValue::from_static("echo"));
                    r.headers_mut().insert(
                        "access-control-allow-origin",
                        http::HeaderValue::from_static("https://backend-says.example"),
                    );
                    Ok::<_, Infallible>(r)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}
