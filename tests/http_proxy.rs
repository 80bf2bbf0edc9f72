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

/// A backend that counts the connections it accepts and answers `ok` (5 bytes, in two
/// chunks when the path is `/chunked`; after 5 s when it is `/slow`); with `close_after_response`, it closes every
/// connection after its first response without announcing it (no `Connection: close`), as an
/// upstream whose keep-alive timeout just expired does.
async fn connection_counting_backend(
    close_after_response: bool,
) -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    // Requests carry no body here: a request ends at the blank line.
                    while let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
                        buf.drain(..end + 4);
                        if head.starts_with("GET /slow ") {
                            tokio::time::sleep(Duration::from_secs(5)).await;
                        }
                        let reply: &[u8] = if head.starts_with("GET /chunked ") {
                            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n"
                        } else {
                            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
                        };
                        if stream.write_all(reply).await.is_err() || close_after_response {
                            return;
                        }
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
            });
        }
    });
    (addr, accepted)
}

/// `c` clients, each on its own keep-alive connection, send `per_client` requests each, all
/// at once; returns the bodies.
async fn from_clients(url: &str, c: usize, per_client: usize) -> Vec<String> {
    let runs = (0..c).map(|_| {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1)
            .build()
            .unwrap();
        let url = url.to_string();
        async move {
            let mut bodies = Vec::new();
            for _ in 0..per_client {
                let resp = client.get(&url).send().await.unwrap();
                assert_eq!(resp.status().as_u16(), 200);
                bodies.push(resp.text().await.unwrap());
            }
            bodies
        }
    });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect()
}

#[tokio::test]
async fn upstream_connections_are_reused_not_opened_per_request() {
    use std::sync::atomic::Ordering;
    init();
    let t = TestGateway::start().await;
    let (backend, accepted) = connection_counting_backend(false).await;
    let api = setup(&t, &[("test", backend)]).await;
    let url = t.url(&api, "test", "/items/x");

    // One client connection, sequential requests: one upstream connection.
    let bodies = from_clients(&url, 1, 20).await;
    assert!(bodies.iter().all(|b| b == "ok"));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // Four concurrent client connections: at most four upstream connections in all.
    let bodies = from_clients(&url, 4, 25).await;
    assert_eq!(bodies.len(), 100);
    assert!(bodies.iter().all(|b| b == "ok"));
    let n = accepted.load(Ordering::SeqCst);
    assert!(n <= 4, "{n} upstream connections for 4 client connections");

    // A chunked body comes back whole, and the connection is still reused afterwards.
    let bodies = from_clients(&t.url(&api, "test", "/items/chunked"), 1, 3).await;
    assert!(bodies.iter().all(|b| b == "ok!!!"), "{bodies:?}");
    assert!(accepted.load(Ordering::SeqCst) <= 4);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_two_workers_idle_connections_are_found_on_either_worker() {
    use std::sync::atomic::Ordering;
    init();
    let t = TestGateway::start().await;
    let (backend, accepted) = connection_counting_backend(false).await;
    let api = setup(&t, &[("test", backend)]).await;
    let bodies = from_clients(&t.url(&api, "test", "/items/x"), 4, 50).await;
    assert_eq!(bodies.len(), 200);
    // A worker looks in the other worker's idle connections before it dials: about one
    // upstream connection per request in flight. (Bounded by 8, not 4: a connection being
    // checked back in on one worker while the other looks for one is missed.)
    let n = accepted.load(Ordering::SeqCst);
    assert!(n <= 8, "{n} upstream connections for 4 client connections");
    t.stop().await;
}

#[tokio::test]
async fn an_upstream_that_closed_an_idle_connection_gets_a_new_one() {
    use std::sync::atomic::Ordering;
    init();
    let t = TestGateway::start().await;
    let (backend, accepted) = connection_counting_backend(true).await;
    let api = setup(&t, &[("test", backend)]).await;
    let url = t.url(&api, "test", "/items/x");
    for _ in 0..5 {
        let bodies = from_clients(&url, 1, 1).await;
        assert_eq!(bodies, ["ok"]);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 5);
    t.stop().await;
}

/// The exchange's deadline is the pooled connection's own timer, moved for each request: a
/// connection whose timer expired while it was idle serves the next request in full, a slow
/// answer on a reused connection still times out at the integration's timeout (300 ms here)
/// and not earlier, and the next request gets a working connection.
#[tokio::test]
async fn a_reused_connection_times_out_each_request_from_its_own_start() {
    use std::sync::atomic::Ordering;
    init();
    let t = TestGateway::start().await;
    let (backend, accepted) = connection_counting_backend(false).await;
    let api = setup(&t, &[("test", backend)]).await;
    let fast = t.url(&api, "test", "/items/x");
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let get = |url: String| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            let resp = client.get(&url).send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.text().await.unwrap(), started.elapsed())
        }
    };

    // Requests in a row, each within the previous one's 300 ms: one connection throughout.
    for _ in 0..5 {
        let (status, body, _) = get(fast.clone()).await;
        assert_eq!((status, body.as_str()), (200, "ok"));
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
    // Idle past the last request's deadline (the condition under test is time passing, there
    // is nothing to await): the connection's timer expires with nobody waiting on it.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body, _) = get(fast.clone()).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "the idle connection was reused"
    );

    // A slow answer on that reused connection: timed out at 300 ms from this request's start.
    let (status, body, elapsed) = get(t.url(&api, "test", "/items/slow")).await;
    assert_eq!(status, 504);
    assert_eq!(body, r#"{"message": "Endpoint request timed out"}"#);
    assert!(elapsed >= Duration::from_millis(300), "took {elapsed:?}");
    assert!(elapsed < Duration::from_millis(3000), "took {elapsed:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1);

    // The timed-out connection is not reused: the next request is answered on a new one.
    let (status, body, _) = get(fast.clone()).await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
    t.stop().await;
}
