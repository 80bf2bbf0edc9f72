//! Cluster mode, WebSocket connections across nodes (docs/CLUSTER.md, "The WebSocket connection
//! registry"): three real `gwtui serve` nodes on one throwaway PostgreSQL and one real Redis,
//! real WebSocket clients (tokio-tungstenite) over loopback. A WebSocket API is created through
//! node A; `@connections` POST, GET and DELETE through any node reach the node holding the
//! socket (DELETE runs `$disconnect` there, once; afterwards every node answers 410); a
//! chat-style fan-out between clients on three nodes; the extra latency of a relayed POST; with
//! Redis stopped, connections a node holds still work, relayed calls fail fast with a clear
//! 500, a node in closed mode refuses new connections, and everything recovers when Redis
//! returns.
//!
//! Outside CI these tests skip (with a `SKIPPED:` line) when PostgreSQL or redis-server is not
//! installed; with `CI` set they fail instead.

mod cluster_support;
#[path = "common/mod.rs"]
mod common;
mod http_api_support;
#[path = "cluster_support/redis.rs"]
mod redis_support;
mod websocket_support;

use std::time::{Duration, Instant};

use futures_util::StreamExt;

use cluster_support::Node;
use cluster_support::postgres::Postgres;
use redis_support::RedisServer;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use websocket_support::{
    IAM_KEY, IAM_SECRET, Ws, close_code, next_text, recorded, recorder, send_text,
};

const USER_AGENT: &str = "cluster-ws/1.0";

/// The `[cluster]` lines (Redis) and the `[iam]` credentials `@connections` calls are signed
/// with.
fn node_config(redis: &RedisServer, cluster_extra: &str) -> String {
    format!(
        "redis = \"{}\"\n{cluster_extra}\n[iam]\ncredentials = [{{ access_key_id = \"{IAM_KEY}\", secret_access_key = \"{IAM_SECRET}\" }}]\n",
        redis.url()
    )
}

fn addr(node: &Node) -> &str {
    node.url.strip_prefix("http://").expect("http URL")
}

fn port(node: &Node) -> &str {
    addr(node).rsplit(':').next().expect("port")
}

async fn v2(http: &reqwest::Client, node: &Node, method: Method, path: &str, body: Value) -> Value {
    let url = format!("{}/v2{path}", node.url);
    let r = http
        .request(method, &url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("management call");
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A WebSocket API on `$request.body.action` made through `node`: `whoami` answers the
/// caller's `{"connectionId": …}` (two-way MOCK), `$default` goes to `messages` as it is
/// (HTTP_PROXY), `$disconnect` posts `{"event", "id"}` to `disconnects`; stage `prod`.
async fn chat_api(
    http: &reqwest::Client,
    node: &Node,
    messages: std::net::SocketAddr,
    disconnects: std::net::SocketAddr,
) -> String {
    let api = v2(
        http,
        node,
        Method::POST,
        "/apis",
        json!({"name": "chat", "protocolType": "WEBSOCKET",
               "routeSelectionExpression": "$request.body.action"}),
    )
    .await["apiId"]
        .as_str()
        .expect("api id")
        .to_string();
    let integration = |body: Value| {
        let api = api.clone();
        async move {
            v2(
                http,
                node,
                Method::POST,
                &format!("/apis/{api}/integrations"),
                body,
            )
            .await["integrationId"]
                .as_str()
                .expect("integration id")
                .to_string()
        }
    };
    let whoami = integration(json!({"integrationType": "MOCK",
        "requestTemplates": {"$default": "{\"statusCode\": 200}"},
        "templateSelectionExpression": "\\$default"}))
    .await;
    v2(
        http,
        node,
        Method::POST,
        &format!("/apis/{api}/integrations/{whoami}/integrationresponses"),
        json!({"integrationResponseKey": "$default",
               "responseTemplates": {"$default": "{\"connectionId\": \"$context.connectionId\"}"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    let route = v2(
        http,
        node,
        Method::POST,
        &format!("/apis/{api}/routes"),
        json!({"routeKey": "whoami", "target": format!("integrations/{whoami}"),
               "routeResponseSelectionExpression": "$default"}),
    )
    .await["routeId"]
        .as_str()
        .expect("route id")
        .to_string();
    v2(
        http,
        node,
        Method::POST,
        &format!("/apis/{api}/routes/{route}/routeresponses"),
        json!({"routeResponseKey": "$default"}),
    )
    .await;
    let say = integration(
        json!({"integrationType": "HTTP_PROXY", "integrationMethod": "POST",
        "integrationUri": format!("http://{messages}/messages")}),
    )
    .await;
    v2(
        http,
        node,
        Method::POST,
        &format!("/apis/{api}/routes"),
        json!({"routeKey": "$default", "target": format!("integrations/{say}")}),
    )
    .await;
    let gone = integration(json!({"integrationType": "HTTP", "integrationMethod": "POST",
        "integrationUri": format!("http://{disconnects}/disconnect"),
        "requestTemplates": {"$default": "{\"event\": \"$context.eventType\", \"id\": \"$context.connectionId\"}"},
        "templateSelectionExpression": "\\$default"}))
    .await;
    v2(
        http,
        node,
        Method::POST,
        &format!("/apis/{api}/routes"),
        json!({"routeKey": "$disconnect", "target": format!("integrations/{gone}")}),
    )
    .await;
    v2(
        http,
        node,
        Method::POST,
        &format!("/apis/{api}/stages"),
        json!({"stageName": "prod", "autoDeploy": true}),
    )
    .await;
    api
}

/// A client on `node`'s `prod` stage (host style), or the refusal's status.
async fn connect(node: &Node, api: &str) -> Result<Ws, u16> {
    let mut request = format!("ws://{}/prod", addr(node))
        .into_client_request()
        .expect("request");
    let h = request.headers_mut();
    h.insert(
        "host",
        format!("{api}.execute-api.localhost:{}", port(node))
            .parse()
            .expect("host"),
    );
    h.insert("user-agent", USER_AGENT.parse().expect("user agent"));
    let stream = TcpStream::connect(addr(node)).await.expect("tcp connect");
    match tokio_tungstenite::client_async(request, stream).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("handshake failed: {e}"),
    }
}

/// The client's connection id (the `whoami` route).
async fn whoami(ws: &mut Ws) -> String {
    send_text(ws, r#"{"action": "whoami"}"#).await;
    let v: Value = serde_json::from_str(&next_text(ws).await).expect("json");
    v["connectionId"]
        .as_str()
        .expect("connectionId")
        .to_string()
}

/// An `@connections` call through `node`, signed for `execute-api`: (status, error type,
/// body, time taken).
async fn at_connections(
    http: &reqwest::Client,
    node: &Node,
    api: &str,
    id: &str,
    method: Method,
    body: &[u8],
) -> (u16, Option<String>, String, Duration) {
    let encoded =
        percent_encoding::utf8_percent_encode(id, percent_encoding::NON_ALPHANUMERIC).to_string();
    let url = format!("{}/prod/@connections/{encoded}", node.url);
    let authority = format!("{api}.execute-api.localhost:{}", port(node));
    let request =
        websocket_support::signed_connections_request(http, method, &url, body, &authority);
    let started = Instant::now();
    let resp = http.execute(request).await.expect("@connections call");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = resp.text().await.unwrap_or_default();
    (status, kind, text, started.elapsed())
}

/// Polls until `node` serves the API's stage: a client connects there (and leaves, so one
/// `$disconnect` runs per call).
async fn wait_for_api(node: &Node, api: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match connect(node, api).await {
            Ok(mut ws) => {
                let _ = ws.close(None).await;
                return;
            }
            Err(status) => assert!(
                Instant::now() < deadline,
                "node {} never served API {api} (last status {status})",
                node.node_id
            ),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A counter of a node's `/metrics` (summed over its series).
async fn metric(http: &reqwest::Client, node: &Node, name: &str) -> u64 {
    let text = http
        .get(format!("{}/metrics", node.url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// `PUBSUB NUMSUB channel` on the test's Redis.
async fn subscribers(port: u16, channel: &str) -> i64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("redis");
    s.write_all(format!("PUBSUB NUMSUB {channel}\r\n").as_bytes())
        .await
        .expect("write");
    let mut reply = Vec::new();
    let mut buf = [0u8; 256];
    // `*2\r\n$len\r\n{channel}\r\n:{n}\r\n`: read until the integer's line is complete.
    let complete = |r: &[u8]| {
        let text = String::from_utf8_lossy(r);
        text.ends_with("\r\n")
            && text
                .trim_end()
                .rsplit("\r\n")
                .next()
                .is_some_and(|l| l.starts_with(':'))
    };
    while !complete(&reply) {
        let n = s.read(&mut buf).await.expect("read");
        assert!(n > 0, "redis closed the connection");
        reply.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&reply);
    text.rsplit(':')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .expect("an integer reply")
}

/// Sends a signal to a node's process (`STOP` freezes it, `CONT` thaws it, `KILL`).
fn signal(node: &Node, name: &str) {
    let ok = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(node.pid().to_string())
        .status()
        .expect("kill");
    assert!(ok.success(), "kill -{name} {}", node.node_id);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// A runtime for a test's async part (PostgreSQL's blocking client, which the harness uses,
/// may not run inside one).
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .expect("runtime")
}

#[test]
fn connections_are_reached_through_every_node_and_messages_fan_out_across_three() {
    common::init();
    let Some(pg) = Postgres::start() else { return };
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let config = node_config(&redis, "");
    let a = Node::start_with(&pg.url(), "node-a", &config);
    let b = Node::start_with(&pg.url(), "node-b", &config);
    let c = Node::start_with(&pg.url(), "node-c", &config);
    runtime().block_on(reached_through_every_node(&a, &b, &c, redis.port));
}

async fn reached_through_every_node(a: &Node, b: &Node, c: &Node, redis_port: u16) {
    let nodes = [&a, &b, &c];
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let (messages_at, mut messages) = recorder().await;
    let (disconnects_at, mut disconnects) = recorder().await;
    let api = chat_api(&http, a, messages_at, disconnects_at).await;
    for n in nodes {
        wait_for_api(n, &api).await;
    }
    for _ in nodes {
        recorded(&mut disconnects).await;
    }

    // A client on A; POST through B and C reaches it.
    let mut first = connect(a, &api).await.expect("connected to A");
    let id = whoami(&mut first).await;
    for (n, text) in [(&b, "via node B"), (&c, "via node C")] {
        let (status, kind, body, _) =
            at_connections(&http, n, &api, &id, Method::POST, text.as_bytes()).await;
        assert_eq!((status, kind), (200, None), "{body}");
        assert_eq!(next_text(&mut first).await, text);
    }
    // Binary frames cross too.
    let (status, ..) = at_connections(&http, b, &api, &id, Method::POST, &[0xff, 0x00]).await;
    assert_eq!(status, 200);
    let frame = tokio::time::timeout(Duration::from_secs(5), first.next())
        .await
        .expect("a frame within 5 s");
    assert!(
        matches!(&frame, Some(Ok(tokio_tungstenite::tungstenite::Message::Binary(b))) if b.as_ref() == [0xff, 0x00]),
        "{frame:?}"
    );
    // Over 128 KB: 413 before anything is relayed.
    let big = vec![b'x'; 128 * 1024 + 1];
    let (status, kind, ..) = at_connections(&http, c, &api, &id, Method::POST, &big).await;
    assert_eq!(
        (status, kind.as_deref()),
        (413, Some("PayloadTooLargeException"))
    );

    // GET through C answers the owner's data.
    let (status, _, body, _) = at_connections(&http, c, &api, &id, Method::GET, b"").await;
    assert_eq!(status, 200, "{body}");
    let info: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(info["identity"]["userAgent"], USER_AGENT);
    for field in ["connectedAt", "lastActiveAt"] {
        assert!(
            info[field].as_str().is_some_and(|t| t.ends_with('Z')),
            "{field}: {info}"
        );
    }
    // An id no node holds: 410 everywhere.
    let (status, kind, ..) = at_connections(&http, b, &api, "bm9ib2R5", Method::GET, b"").await;
    assert_eq!((status, kind.as_deref()), (410, Some("GoneException")));

    // DELETE through B closes it on A; `$disconnect` runs there, once.
    let (status, _, body, _) = at_connections(&http, b, &api, &id, Method::DELETE, b"").await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(close_code(&mut first).await, 1000);
    let event: Value = serde_json::from_str(&recorded(&mut disconnects).await).expect("json");
    assert_eq!(event, json!({"event": "DISCONNECT", "id": id}));
    for n in nodes {
        let (status, kind, ..) =
            at_connections(&http, n, &api, &id, Method::POST, b"too late").await;
        assert_eq!(
            (status, kind.as_deref()),
            (410, Some("GoneException")),
            "POST through {} after DELETE",
            n.node_id
        );
    }
    assert!(
        tokio::time::timeout(Duration::from_millis(500), disconnects.recv())
            .await
            .is_err(),
        "$disconnect ran more than once"
    );

    // Chat: one client per node; each message reaches the two others. The "backend" (the
    // `$default` route's target) fans out through the node that holds the sender, as a Lambda
    // function there would.
    let mut clients = Vec::new();
    for n in nodes {
        let mut ws = connect(n, &api).await.expect("connected");
        let id = whoami(&mut ws).await;
        clients.push((n, ws, id));
    }
    for i in 0..clients.len() {
        let text = format!("hello from {}", clients[i].0.node_id);
        let from = clients[i].2.clone();
        send_text(
            &mut clients[i].1,
            &json!({"action": "say", "from": from, "text": text}).to_string(),
        )
        .await;
        let said: Value = serde_json::from_str(&recorded(&mut messages).await).expect("json");
        assert_eq!(said["from"], json!(from));
        let sender_node = clients[i].0;
        let others: Vec<String> = clients
            .iter()
            .filter(|(_, _, id)| *id != from)
            .map(|(_, _, id)| id.clone())
            .collect();
        for other in &others {
            let (status, _, body, _) = at_connections(
                &http,
                sender_node,
                &api,
                other,
                Method::POST,
                said["text"].as_str().expect("text").as_bytes(),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
        for (j, (_, ws, _)) in clients.iter_mut().enumerate() {
            if j != i {
                assert_eq!(next_text(ws).await, text);
            }
        }
    }

    // The extra latency of a relayed POST: 1,000 through the node holding the client (A),
    // then 1,000 through B, one at a time; the client reads throughout.
    let (owner, ws, target) = clients.remove(0);
    assert_eq!(owner.node_id, "node-a");
    let reader = tokio::spawn(async move {
        let mut ws = ws;
        let mut n = 0;
        while n < 2000 {
            match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_)))) => n += 1,
                Ok(Some(Ok(_))) => {}
                _ => break,
            }
        }
        n
    });
    let mut figures = Vec::new();
    for via in [&a, &b] {
        let mut took = Vec::with_capacity(1000);
        for i in 0..1000 {
            let (status, _, body, t) = at_connections(
                &http,
                via,
                &api,
                &target,
                Method::POST,
                format!("m{i}").as_bytes(),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            took.push(t);
        }
        took.sort();
        figures.push((percentile(&took, 0.5), percentile(&took, 0.99)));
    }
    assert_eq!(
        reader.await.expect("reader"),
        2000,
        "every POST was delivered"
    );
    let ((local_p50, local_p99), (remote_p50, remote_p99)) = (figures[0], figures[1]);
    println!(
        "@connections POST, 1000 each: local p50 {local_p50:?} p99 {local_p99:?}; relayed p50 {remote_p50:?} p99 {remote_p99:?}; extra p50 {:?}",
        remote_p50.saturating_sub(local_p50)
    );
    assert!(
        remote_p50 < Duration::from_millis(100),
        "relayed POST p50 {remote_p50:?}"
    );
    // A node that dies holding connections: its records remain until their TTL, but nobody
    // listens on its channel, so calls for them are 410 at once.
    let (_, _, on_c) = clients
        .iter()
        .find(|(n, ..)| n.node_id == "node-c")
        .expect("C's client");
    signal(c, "KILL");
    // Until Redis has seen C's connection close, a call would wait for the relay timeout.
    let deadline = Instant::now() + Duration::from_secs(5);
    while subscribers(redis_port, "gwtui:ws:node-c").await != 0 {
        assert!(
            Instant::now() < deadline,
            "Redis still lists node C's subscription"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (status, kind, body, took) =
        at_connections(&http, a, &api, on_c, Method::POST, b"to a dead node").await;
    assert_eq!(
        (status, kind.as_deref()),
        (410, Some("GoneException")),
        "{body}"
    );
    assert!(took < Duration::from_secs(1), "{took:?}");

    assert!(metric(&http, b, "gwtui_redis_ws_relayed_total").await >= 1000);
    assert!(metric(&http, a, "gwtui_redis_ws_relay_served_total").await >= 1000);
    assert_eq!(
        metric(&http, b, "gwtui_redis_ws_relay_failures_total").await,
        0
    );
}

/// POSTs `text` through `via` until it is accepted (200) or `within` passes; the last answer.
async fn post_until_ok(
    http: &reqwest::Client,
    via: &Node,
    api: &str,
    id: &str,
    text: &str,
    within: Duration,
) -> (u16, Option<String>, String) {
    let deadline = Instant::now() + within;
    loop {
        let (status, kind, body, _) =
            at_connections(http, via, api, id, Method::POST, text.as_bytes()).await;
        if status == 200 || Instant::now() > deadline {
            return (status, kind, body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads text messages until `text` arrives (earlier attempts may have arrived first).
async fn receive(ws: &mut Ws, text: &str) {
    loop {
        if next_text(ws).await == text {
            return;
        }
    }
}

#[test]
fn redis_stopped_local_connections_work_relayed_calls_fail_fast_then_recover() {
    common::init();
    let Some(pg) = Postgres::start() else { return };
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let a = Node::start_with(&pg.url(), "node-a", &node_config(&redis, ""));
    let b = Node::start_with(&pg.url(), "node-b", &node_config(&redis, ""));
    let c = Node::start_with(
        &pg.url(),
        "node-c",
        &node_config(&redis, "redis_failure = \"closed\""),
    );
    runtime().block_on(redis_stopped(&a, &b, &c, &mut redis));
}

async fn redis_stopped(a: &Node, b: &Node, c: &Node, redis: &mut RedisServer) {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let (messages_at, _messages) = recorder().await;
    let (disconnects_at, _disconnects) = recorder().await;
    let api = chat_api(&http, a, messages_at, disconnects_at).await;
    for n in [&a, &b, &c] {
        wait_for_api(n, &api).await;
    }
    let mut on_a = connect(a, &api).await.expect("connected to A");
    let id_a = whoami(&mut on_a).await;
    let mut on_b = connect(b, &api).await.expect("connected to B");
    let id_b = whoami(&mut on_b).await;
    let (status, ..) = at_connections(&http, b, &api, &id_a, Method::POST, b"before").await;
    assert_eq!(status, 200);
    assert_eq!(next_text(&mut on_a).await, "before");

    // The owner does not answer (frozen): the caller gets a 500 after the relay timeout
    // (1 s), no hang.
    signal(a, "STOP");
    let (status, kind, body, took) =
        at_connections(&http, b, &api, &id_a, Method::POST, b"while frozen").await;
    signal(a, "CONT");
    assert_eq!(
        (status, kind.as_deref()),
        (500, Some("InternalServerErrorException")),
        "{body}"
    );
    assert!(
        body.contains("node-a did not answer within 1000 ms"),
        "{body}"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );

    redis.stop();
    // A connection a node holds keeps working. (The frozen node may still deliver the message
    // it was sent while frozen, once thawed: `receive` skips it.)
    let (status, _, body, _) = at_connections(&http, a, &api, &id_a, Method::POST, b"local").await;
    assert_eq!(status, 200, "{body}");
    receive(&mut on_a, "local").await;
    let (status, _, body, _) = at_connections(&http, a, &api, &id_a, Method::GET, b"").await;
    assert_eq!(status, 200, "{body}");
    // Another node's: a clear 500 within the timeouts, for every call.
    for _ in 0..5 {
        let (status, kind, body, took) =
            at_connections(&http, b, &api, &id_a, Method::POST, b"remote").await;
        assert_eq!(
            (status, kind.as_deref()),
            (500, Some("InternalServerErrorException")),
            "{body}"
        );
        let message: Value = serde_json::from_str(&body).expect("json");
        assert!(
            message["message"]
                .as_str()
                .is_some_and(|m| m.contains("Internal server error")),
            "{body}"
        );
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
    }
    // Open mode (A): a new connection is served and recorded once Redis returns. Closed mode
    // (C): refused, since no other node could reach it.
    let mut late = connect(a, &api).await.expect("open mode accepts");
    let id_late = whoami(&mut late).await;
    assert_eq!(connect(c, &api).await.err(), Some(500));

    redis.restart();
    for (via, id, ws, text) in [
        (&b, &id_a, &mut on_a, "after, B to A"),
        (&a, &id_b, &mut on_b, "after, A to B"),
        (
            &c,
            &id_late,
            &mut late,
            "after, C to the connection made during the outage",
        ),
    ] {
        let (status, kind, body) =
            post_until_ok(&http, via, &api, id, text, Duration::from_secs(15)).await;
        assert_eq!(status, 200, "{kind:?} {body}");
        receive(ws, text).await;
    }
    let mut on_c = connect(c, &api).await.expect("closed mode accepts again");
    let id_c = whoami(&mut on_c).await;
    let (status, ..) = at_connections(&http, a, &api, &id_c, Method::POST, b"to C").await;
    assert_eq!(status, 200);
    assert_eq!(next_text(&mut on_c).await, "to C");
}
