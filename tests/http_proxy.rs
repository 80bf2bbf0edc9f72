//! HTTP_PROXY against real local backends over loopback: what is forwarded, what is dropped,
//! what comes back, stage variables choosing the backend, timeouts and connection failures.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// A backend that answers every request with a JSON echo of what it received, tagged with
/// `name`; `/slow` waits 5 s first; `/status/{code}` answers that status.
async fn echo_backend(name: &'static str) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let svc = service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        if parts.uri.path() == "/slow" {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        }
                        let status = parts
                            .uri
                            .path()
                            .strip_prefix("/status/")
                            .and_then(|s| s.parse::<u16>().ok())
                            .unwrap_or(200);
                        let headers: Vec<(String, String)> = parts
                            .headers
                            .iter()
                            .map(|(k, v)| {
                                (
                                    k.to_string(),
                                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                                )
                            })
                            .collect();
                        let echo = serde_json::json!({
                            "backend": name,
                            "method": parts.method.as_str(),
                            "path": parts.uri.path(),
                            "query": parts.uri.query(),
                            "headers": headers,
                            "body": String::from_utf8_lossy(&body),
                        });
                        let mut resp =
                            hyper::Response::new(Full::new(Bytes::from(echo.to_string())));
                        *resp.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
                        let h = resp.headers_mut();
                        h.insert("content-type", "application/json".parse().unwrap());
                        h.insert("x-backend", name.parse().unwrap());
                        h.insert("server", "echo/1.0".parse().unwrap());
                        h.append("set-cookie", "a=1".parse().unwrap());
                        h.append("set-cookie", "b=2".parse().unwrap());
                        Ok::<_, Infallible>(resp)
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

const API: &str = r#"
openapi: 3.0.1
info: {title: proxy, version: "1"}
paths:
  /items/{proxy+}:
    x-amazon-apigateway-any-method:
      parameters:
        - {name: proxy, in: path, required: true, schema: {type: string}}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: http_proxy
        httpMethod: ANY
        uri: http://${stageVariables.backend}/{proxy}
        requestParameters:
          integration.request.path.proxy: method.request.path.proxy
        timeoutInMillis: 300
"#;

async fn setup(t: &TestGateway, stages: &[(&str, SocketAddr)]) -> String {
    let api =
        t.gw.import_rest_api(&actor(), API, Default::default())
            .await
            .unwrap();
    for (stage, backend) in stages {
        let mut variables = indexmap::IndexMap::new();
        variables.insert("backend".to_string(), backend.to_string());
        t.gw.create_deployment(
            &actor(),
            &api.id,
            CreateDeployment {
                stage_name: Some(stage.to_string()),
                variables,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    api.id
}

#[tokio::test]
async fn forwards_method_path_query_headers_body_and_returns_the_backend_response() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend("one").await;
    let api = setup(&t, &[("test", backend)]).await;
    let resp = t
        .client
        .put(t.url(&api, "test", "/items/a/b%20c/status/201?x=1&x=2&y=z"))
        .header("x-custom", "v")
        .header("keep-alive", "timeout=5")
        .header("te", "trailers")
        .header("proxy-authorization", "secret")
        .header("content-type", "text/plain")
        .body("payload bytes")
        .send()
        .await
        .unwrap();
    // The greedy value is forwarded raw; the backend sees /a/b%20c/status/201, not a 201.
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-backend"], "one");
    assert_eq!(resp.headers()["x-amzn-remapped-server"], "echo/1.0");
    assert!(resp.headers().get("server").is_none_or(|v| v != "echo/1.0"));
    let cookies: Vec<_> = resp.headers().get_all("set-cookie").iter().collect();
    assert_eq!(cookies.len(), 2);
    assert!(resp.headers().contains_key("x-amzn-requestid"));
    let echo: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/a/b%20c/status/201");
    assert_eq!(echo["query"], "x=1&x=2&y=z");
    assert_eq!(echo["body"], "payload bytes");
    let headers: Vec<(String, String)> = serde_json::from_value(echo["headers"].clone()).unwrap();
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("x-custom"), Some("v"));
    assert_eq!(get("content-type"), Some("text/plain"));
    assert_eq!(get("host"), Some(backend.to_string().as_str()));
    assert_eq!(get("x-forwarded-for"), Some("127.0.0.1"));
    for dropped in ["keep-alive", "te", "proxy-authorization"] {
        assert_eq!(get(dropped), None, "{dropped} must not be forwarded");
    }

    // Backend status codes come back as they are.
    let resp = t
        .client
        .get(t.url(&api, "test", "/items/status/404"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    t.stop().await;
}

#[tokio::test]
async fn the_stage_variable_picks_the_backend() {
    init();
    let t = TestGateway::start().await;
    let (one, two) = (echo_backend("one").await, echo_backend("two").await);
    let api = setup(&t, &[("dev", one), ("prod", two)]).await;
    for (stage, expected) in [("dev", "one"), ("prod", "two")] {
        let resp = t
            .client
            .get(t.url(&api, stage, "/items/x"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.headers()["x-backend"], expected);
    }
    // Changing the variable takes effect without a redeploy.
    let op = gwtui::model::PatchOperation::replace("/variables/backend", one.to_string());
    t.gw.update_stage(&actor(), &api, "prod", vec![op])
        .await
        .unwrap();
    let resp = t
        .client
        .get(t.url(&api, "prod", "/items/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-backend"], "one");
    t.stop().await;
}

#[tokio::test]
async fn timeout_and_connection_failure_give_the_aws_errors() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend("slow").await;
    // A port with nothing listening: bind, note the port, close.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let api = setup(&t, &[("test", backend), ("dead", closed)]).await;
    let started = Instant::now();
    let resp = t
        .client
        .get(t.url(&api, "test", "/items/slow"))
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(resp.status().as_u16(), 504);
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Endpoint request timed out"}"#
    );
    // The timeout is 300 ms and the backend needs 5 s: a generous bound that cannot flake.
    assert!(elapsed < Duration::from_millis(3000), "took {elapsed:?}");

    let resp = t
        .client
        .get(t.url(&api, "dead", "/items/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 504);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Network error communicating with endpoint"}"#
    );
    t.stop().await;
}
