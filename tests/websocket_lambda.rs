//! WebSocket APIs with real Python Lambda handlers: a REQUEST authorizer on `$connect`
//! (allow, deny, missing identity source), a `$connect` integration that refuses, the
//! CONNECT, MESSAGE and DISCONNECT events field by field, and a handler that broadcasts
//! through `@connections` with boto3's `apigatewaymanagementapi`, unchanged.

mod common;
mod http_api_support;
mod lambda_support;
mod websocket_support;

use common::{TestGateway, actor, init};
use futures_util::SinkExt;
use gwtui::engine::{FunctionConfig, Runtime};
use http_api_support::v2_ok;
use reqwest::Method;
use serde_json::{Value, json};
use websocket_support::*;

fn arn(function: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{function}")
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

async fn register(t: &TestGateway, name: &str, handler: &str, env: &[(&str, String)]) {
    let mut config =
        lambda_support::local(Runtime::Python3, "python", &format!("websocket.{handler}"));
    for (k, v) in env {
        config.environment.insert(k.to_string(), v.clone());
    }
    t.gw.register_function(&actor(), name, config)
        .await
        .expect("register");
}

/// `$connect` (CUSTOM authorizer on `?token=`, AWS_PROXY `record`), `$default` (AWS_PROXY
/// `echo`, two-way), `$disconnect` (AWS_PROXY `record`); stage `prod`.
async fn lambda_api(t: &TestGateway) -> String {
    let api = ws_api(t, "$request.body.action").await;
    let auth = v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/authorizers"),
        Some(json!({"name": "tokens", "authorizerType": "REQUEST",
                    "authorizerUri": lambda_support::lambda_uri("ws-auth"),
                    "identitySource": ["route.request.querystring.token"]})),
        201,
    )
    .await["authorizerId"]
        .as_str()
        .expect("authorizer")
        .to_string();
    let record = integration(
        t,
        &api,
        json!({"integrationType": "AWS_PROXY", "integrationUri": arn("ws-record")}),
    )
    .await;
    let echo = integration(
        t,
        &api,
        json!({"integrationType": "AWS_PROXY", "integrationUri": arn("ws-echo")}),
    )
    .await;
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(
            json!({"routeKey": "$connect", "authorizationType": "CUSTOM", "authorizerId": auth,
                    "target": format!("integrations/{record}")}),
        ),
        201,
    )
    .await;
    route(t, &api, "$default", &echo, true).await;
    route(t, &api, "$disconnect", &record, false).await;
    stage(t, &api, "prod").await;
    api
}

fn check_context(c: &Value, api: &str, route: &str, event_type: &str) {
    assert_eq!(c["routeKey"], route);
    assert_eq!(c["eventType"], event_type);
    assert_eq!(c["apiId"], api);
    assert_eq!(c["stage"], "prod");
    assert_eq!(c["messageDirection"], "IN");
    assert_eq!(c["domainName"], format!("{api}.execute-api.localhost"));
    assert_eq!(c["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(c["connectionId"].as_str().map(str::len), Some(16));
    assert_eq!(c["requestId"], c["extendedRequestId"]);
    assert!(c["connectedAt"].as_i64().expect("connectedAt") > 1_600_000_000_000);
    assert!(
        c["requestTimeEpoch"].as_i64().expect("requestTimeEpoch")
            >= c["connectedAt"].as_i64().unwrap_or(0)
    );
    assert!(
        c["requestTime"]
            .as_str()
            .expect("requestTime")
            .ends_with(" +0000")
    );
    assert_eq!(c["authorizer"]["principalId"], "user-allow");
    assert_eq!(c["authorizer"]["tier"], "gold");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizer_and_lambda_events_for_connect_message_disconnect() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let (backend, mut events) = recorder().await;
    let url = format!("http://{backend}/events");
    for (name, handler) in [
        ("ws-auth", "authorize"),
        ("ws-record", "record"),
        ("ws-echo", "echo"),
    ] {
        register(&t, name, handler, &[("RECORD_URL", url.clone())]).await;
    }
    let api = lambda_api(&t).await;

    // No identity source: 401; a deny: 403; the $connect integration answering 403: refused.
    let missing = connect(&t, &api, "prod", &[]).await.expect_err("refused");
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert_eq!(parse(&missing.body)["message"], "Unauthorized");
    let url_of = |q: &str| format!("ws://{}/prod?{q}", t.addr);
    let host = format!("{api}.execute-api.localhost:{}", t.addr.port());
    let open = |q: &'static str| {
        let (url, host) = (url_of(q), host.clone());
        let addr = t.addr;
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut request = url.into_client_request().expect("request");
            request
                .headers_mut()
                .insert("host", host.parse().expect("host"));
            request
                .headers_mut()
                .insert("x-custom", "one".parse().expect("value"));
            let stream = tokio::net::TcpStream::connect(addr).await.expect("tcp");
            tokio_tungstenite::client_async(request, stream).await
        }
    };
    match open("token=deny").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 403),
        other => panic!("expected 403, got {:?}", other.map(|_| ())),
    }
    match open("token=allow&reject=yes").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 403),
        other => panic!(
            "expected the $connect integration's 403, got {:?}",
            other.map(|_| ())
        ),
    }
    let rejected_connect = parse(&recorded(&mut events).await);
    assert_eq!(rejected_connect["requestContext"]["eventType"], "CONNECT");

    let (mut ws, _) = open("token=allow&a=1&a=2").await.expect("allowed");
    // CONNECT: headers and query only here.
    let e = parse(&recorded(&mut events).await);
    check_context(&e["requestContext"], &api, "$connect", "CONNECT");
    assert!(e["requestContext"].get("messageId").is_none());
    assert_eq!(e["headers"]["X-Custom"], "one");
    assert_eq!(e["headers"]["Host"], host);
    assert_eq!(e["multiValueHeaders"]["X-Custom"], json!(["one"]));
    assert_eq!(e["queryStringParameters"]["token"], "allow");
    assert_eq!(e["queryStringParameters"]["a"], "2");
    assert_eq!(e["multiValueQueryStringParameters"]["a"], json!(["1", "2"]));
    assert_eq!(e["isBase64Encoded"], false);
    assert!(e.get("body").is_none());
    let connection_id = e["requestContext"]["connectionId"].clone();

    // MESSAGE: the body, a message id, no headers; the two-way reply is the function's body.
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        "{\"action\":\"anything\"}".into(),
    ))
    .await
    .expect("send");
    assert_eq!(
        parse(&next_text(&mut ws).await),
        json!({"echo": "{\"action\":\"anything\"}"})
    );
    let e = parse(&recorded(&mut events).await);
    check_context(&e["requestContext"], &api, "$default", "MESSAGE");
    assert_eq!(e["requestContext"]["connectionId"], connection_id);
    assert_eq!(
        e["requestContext"]["messageId"].as_str().map(str::len),
        Some(16)
    );
    assert_eq!(e["body"], "{\"action\":\"anything\"}");
    assert_eq!(e["isBase64Encoded"], false);
    assert!(e.get("headers").is_none() && e.get("queryStringParameters").is_none());

    // DISCONNECT: the client's close code.
    ws.close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
        code: tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Normal,
        reason: "bye".into(),
    }))
    .await
    .expect("close");
    let e = parse(&recorded(&mut events).await);
    check_context(&e["requestContext"], &api, "$disconnect", "DISCONNECT");
    assert_eq!(e["requestContext"]["connectionId"], connection_id);
    assert_eq!(e["requestContext"]["disconnectStatusCode"], 1000);
    assert_eq!(e["requestContext"]["disconnectReason"], "bye");
    assert!(e.get("body").is_none());
    t.gw.shutdown_functions().await;
    t.stop().await;
}

/// A fixture handler run by the Python that has boto3 (through the shipped bootstrap).
fn boto3_function(python: &std::path::Path, handler: &str) -> FunctionConfig {
    let bootstrap = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/runtimes/python3/bootstrap.py");
    FunctionConfig {
        runtime: Some(Runtime::Custom),
        handler: Some(handler.into()),
        command: Some(vec![
            python.to_string_lossy().into_owned(),
            "-u".into(),
            bootstrap.to_string_lossy().into_owned(),
        ]),
        code: Some(lambda_support::fixture("python")),
        timeout: Some(20),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_boto3_handler_broadcasts_through_connections() {
    init();
    let Some(python) = common::require_tool("boto3") else {
        return;
    };
    let t = TestGateway::start().await;
    allow_iam(&t);
    let mut config = boto3_function(&python, "websocket.broadcast");
    for (k, v) in [
        ("GATEWAY", t.base()),
        ("AWS_ACCESS_KEY_ID", IAM_KEY.to_string()),
        ("AWS_SECRET_ACCESS_KEY", IAM_SECRET.to_string()),
    ] {
        config.environment.insert(k.into(), v);
    }
    t.gw.register_function(&actor(), "ws-broadcast", config)
        .await
        .expect("register");
    let api = ws_api(&t, "$request.body.action").await;
    let who = mock(&t, &api, r#"{"id": "$context.connectionId"}"#).await;
    route(&t, &api, "whoami", &who, true).await;
    let send = integration(
        &t,
        &api,
        json!({"integrationType": "AWS_PROXY", "integrationUri": arn("ws-broadcast")}),
    )
    .await;
    route(&t, &api, "sendmessage", &send, true).await;
    stage(&t, &api, "prod").await;

    let mut clients = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
        send_text(&mut ws, r#"{"action": "whoami"}"#).await;
        ids.push(
            parse(&next_text(&mut ws).await)["id"]
                .as_str()
                .expect("id")
                .to_string(),
        );
        clients.push(ws);
    }
    let gone = "AAAAAAAAAAAAAA==";
    let message =
        json!({"action": "sendmessage", "to": [ids[1], ids[2], gone], "text": "hello, room"});
    send_text(&mut clients[0], &message.to_string()).await;
    assert_eq!(next_text(&mut clients[1]).await, "hello, room");
    assert_eq!(next_text(&mut clients[2]).await, "hello, room");
    let reply = parse(&next_text(&mut clients[0]).await);
    assert_eq!(reply, json!({"gone": [gone], "sourceIp": "127.0.0.1"}));
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_get_an_accepted_credential_and_the_endpoint_without_configuration() {
    init();
    let Some(python) = common::require_tool("boto3") else {
        return;
    };
    // No [iam] credentials and nothing in the function's environment.
    let t = TestGateway::start().await;
    let config = boto3_function(&python, "websocket.echo_back");
    t.gw.register_function(&actor(), "ws-echo-back", config)
        .await
        .expect("register");
    let api = ws_api(&t, "$request.body.action").await;
    let echo = integration(
        &t,
        &api,
        json!({"integrationType": "AWS_PROXY", "integrationUri": arn("ws-echo-back")}),
    )
    .await;
    route(&t, &api, "$default", &echo, false).await;
    stage(&t, &api, "prod").await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    send_text(&mut ws, "hi").await;
    // The handler's boto3 client signed with the workers' credential; a stranger's is refused.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let reply = loop {
        match tokio::time::timeout_at(deadline, futures_util::StreamExt::next(&mut ws)).await {
            Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Text(t)))) => break t.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("no echo: {other:?}"),
        }
    };
    assert_eq!(reply, "echo: hi");
    let id = t.gw.websocket_connections(&api, Some("prod"))[0]
        .connection_id
        .clone();
    let (url, host) = connections_url(&t, &api, "prod", &id);
    let (status, _, _) = connections(&t, Method::GET, &url, b"", Some(&host)).await;
    assert_eq!(status, 403, "IAM_KEY is not configured here");
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorizer_results_are_cached_for_their_ttl() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let (backend, mut calls) = recorder().await;
    register(
        &t,
        "ws-auth-counted",
        "authorize",
        &[
            ("RECORD_URL", format!("http://{backend}/auth")),
            ("RECORD_AUTHORIZER", "1".into()),
        ],
    )
    .await;
    let api = ws_api(&t, "$request.body.action").await;
    let auth = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/authorizers"),
        Some(json!({"name": "cached", "authorizerType": "REQUEST",
                    "authorizerUri": lambda_support::lambda_uri("ws-auth-counted"),
                    "identitySource": ["route.request.querystring.token"],
                    "authorizerResultTtlInSeconds": 300})),
        201,
    )
    .await["authorizerId"]
        .as_str()
        .expect("authorizer")
        .to_string();
    let who = mock(&t, &api, r#"{"p": "$context.authorizer.principalId"}"#).await;
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": "$connect", "authorizationType": "CUSTOM", "authorizerId": auth})),
        201,
    )
    .await;
    route(&t, &api, "$default", &who, true).await;
    stage(&t, &api, "prod").await;
    let host = format!("{api}.execute-api.localhost:{}", t.addr.port());
    let open = |q: &str| {
        let (url, host, addr) = (format!("ws://{}/prod?{q}", t.addr), host.clone(), t.addr);
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut request = url.into_client_request().expect("request");
            request
                .headers_mut()
                .insert("host", host.parse().expect("host"));
            let stream = tokio::net::TcpStream::connect(addr).await.expect("tcp");
            tokio_tungstenite::client_async(request, stream)
                .await
                .map(|(ws, _)| ws)
        }
    };
    for _ in 0..3 {
        let mut ws = open("token=allow").await.expect("allowed");
        send_text(&mut ws, "hi").await;
        assert_eq!(parse(&next_text(&mut ws).await)["p"], "user-allow");
    }
    for _ in 0..2 {
        assert!(open("token=deny").await.is_err());
    }
    // One call for "allow", one for "deny": the rest came from the cache.
    assert_eq!(
        parse(&recorded(&mut calls).await)["queryStringParameters"]["token"],
        "allow"
    );
    assert_eq!(
        parse(&recorded(&mut calls).await)["queryStringParameters"]["token"],
        "deny"
    );
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), calls.recv())
            .await
            .is_err(),
        "the authorizer ran again within its TTL"
    );
    t.gw.shutdown_functions().await;
    t.stop().await;
}
