//! Helpers for the management-API tests: a tiny HTTP backend, the AWS CLI's environment, and
//! raw management calls with reqwest. (Finding the CLI and boto3: `common::require_tool`.)
#![allow(dead_code)]

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The dummy credentials the CLI and boto3 tests sign with.
pub const ACCESS_KEY: &str = "AKIDEXAMPLE";
pub const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A backend answering every request with `{"backend":"echo","method":...,"uri":...}`.
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
                    let body = serde_json::json!({ "backend": "echo", "method": req.method().as_str(), "uri": req.uri().to_string() });
                    let mut r = Response::new(Full::new(Bytes::from(body.to_string())));
                    r.headers_mut().insert(
                        "content-type",
                        http::HeaderValue::from_static("application/json"),
                    );
                    r.headers_mut()
                        .insert("x-backend", http::HeaderValue::from_static("echo"));
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

/// Environment for the CLI / boto3: dummy credentials, no config files, no pager, no proxy.
pub fn aws_env(cmd: &mut tokio::process::Command) {
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "*")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE");
}

/// A raw management call: status, `x-amzn-ErrorType` and the JSON body (Null when empty).
pub async fn mgmt(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<&str>,
) -> (u16, Option<String>, serde_json::Value) {
    let mut req = client.request(method, format!("{base}{path}"));
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
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    };
    (status, kind, json)
}

/// A management call with a JSON body (`Value::Null`: none) that must answer `want`; the
/// answer's JSON.
pub async fn expect(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: &serde_json::Value,
    want: u16,
) -> serde_json::Value {
    let text = body.to_string();
    let body = (!body.is_null()).then_some(text.as_str());
    let (status, kind, json) = mgmt(client, base, method.clone(), path, body).await;
    assert_eq!(status, want, "{method} {path}: {kind:?} {json}");
    json
}

/// Puts a method without authorization and a MOCK integration answering 200 at
/// `method_path` (`/restapis/{id}/resources/{rid}/methods/{VERB}`).
pub async fn put_mock_method(client: &reqwest::Client, base: &str, method_path: &str) {
    expect(
        client,
        base,
        reqwest::Method::PUT,
        method_path,
        &serde_json::json!({"authorizationType": "NONE"}),
        201,
    )
    .await;
    expect(
        client,
        base,
        reqwest::Method::PUT,
        &format!("{method_path}/integration"),
        &serde_json::json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
        201,
    )
    .await;
}
