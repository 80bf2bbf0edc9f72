//! WebSocket APIs over loopback with a real client (tokio-tungstenite): route selection
//! (custom key, `$default`, non-JSON, concatenated expressions, no route without `$default`),
//! two-way MOCK routes with VTL templates and the WebSocket `$context`, both invoke URL
//! forms, `@connections` (GET, POST, DELETE, 410, 413, SigV4), `$disconnect` on client close,
//! on DELETE and on the idle timeout, 1009 on an oversize frame, and a client that never
//! reads while 10,000 messages arrive.

mod common;
mod http_api_support;
mod websocket_support;

use std::time::Duration;

use common::{TestGateway, init};
use futures_util::SinkExt;
use gwtui::engine::WebSocketLimits;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use websocket_support::*;

const CONTEXT_TEMPLATE: &str = r#"{"route": "$context.routeKey", "eventType": "$context.eventType", "connectionId": "$context.connectionId", "messageId": "$context.messageId", "requestId": "$context.requestId", "stage": "$context.stage", "apiId": "$context.apiId", "domainName": "$context.domainName", "connectedAt": $context.connectedAt, "sourceIp": "$context.identity.sourceIp"}"#;

/// An API on `$request.body.action` with a two-way `join` route and a two-way `$default`,
/// both MOCK replying with their `$context`; stage `prod`.
async fn selection_api(t: &TestGateway) -> String {
    let api = ws_api(t, "$request.body.action").await;
    let join = mock(t, &api, CONTEXT_TEMPLATE).await;
    route(t, &api, "join", &join, true).await;
    let fallback = mock(t, &api, CONTEXT_TEMPLATE).await;
    route(t, &api, "$default", &fallback, true).await;
    stage(t, &api, "prod").await;
    api
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn messages_are_routed_by_the_selection_expression() {
    init();
    let t = TestGateway::start().await;
    let api = selection_api(&t).await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");

    send_text(&mut ws, r#"{"action": "join", "x": 1}"#).await;
    let reply = parse(&next_text(&mut ws).await);
    assert_eq!(reply["route"], "join");
    assert_eq!(reply["eventType"], "MESSAGE");
    assert_eq!(reply["stage"], "prod");
    assert_eq!(reply["apiId"], api.as_str());
    assert_eq!(reply["domainName"], format!("{api}.execute-api.localhost"));
    assert_eq!(reply["sourceIp"], "127.0.0.1");
    let id = reply["connectionId"].as_str().expect("connection id");
    assert_eq!(id.len(), 16, "AWS's connection id format: {id}");
    assert!(id.ends_with('='));
    assert_eq!(reply["messageId"].as_str().map(str::len), Some(16));
    assert_eq!(reply["requestId"].as_str().map(str::len), Some(16));
    assert!(reply["connectedAt"].as_i64().expect("connectedAt") > 1_600_000_000_000);

    // A key no route has, a JSON body without the key, and a non-JSON body: `$default`.
    for body in [
        r#"{"action": "leave"}"#,
        r#"{"other": 1}"#,
        "plain text, not JSON",
    ] {
        send_text(&mut ws, body).await;
        let reply = parse(&next_text(&mut ws).await);
        assert_eq!(reply["route"], "$default", "{body}");
        assert_eq!(reply["connectionId"], id);
    }
    // Each route's messages are counted in /metrics (method = the event type).
    let metrics = t
        .client
        .get(format!("{}/metrics", t.base()))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let line = |resource: &str, method: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("gwtui_requests_total")
                    && l.contains(&format!("resource=\"{resource}\""))
                    && l.contains(&format!("method=\"{method}\""))
            })
            .unwrap_or_else(|| panic!("no {resource} {method} series in:\n{metrics}"))
            .to_string()
    };
    assert!(
        line("join", "MESSAGE").ends_with(" 1"),
        "{}",
        line("join", "MESSAGE")
    );
    assert!(line("$default", "MESSAGE").ends_with(" 3"));
    assert!(line("$connect", "CONNECT").ends_with(" 1"));
    t.stop().await;
}

#[tokio::test]
async fn concatenated_expression_and_no_default_route_answer_like_aws() {
    init();
    let t = TestGateway::start().await;
    let api = ws_api(&t, "${request.body.service}/${request.body.action}").await;
    let i = mock(&t, &api, r#"{"route": "$context.routeKey"}"#).await;
    route(&t, &api, "chat/join", &i, true).await;
    // Routes whose expression evaluates with an unresolved part ("" → "/join"), and a
    // one-way route (no route response: nothing comes back).
    let one_way = mock(&t, &api, r#"{"never": "sent"}"#).await;
    route(&t, &api, "chat/quiet", &one_way, false).await;
    stage(&t, &api, "prod").await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");

    send_text(&mut ws, r#"{"service": "chat", "action": "join"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await)["route"], "chat/join");

    send_text(&mut ws, r#"{"service": "chat", "action": "quiet"}"#).await;
    // No route matches "/join" and there is no $default: AWS's error frame.
    send_text(&mut ws, r#"{"action": "join"}"#).await;
    let error = parse(&next_text(&mut ws).await);
    assert_eq!(error["message"], "Forbidden", "{error}");
    assert_eq!(error["connectionId"].as_str().map(str::len), Some(16));
    assert!(error["requestId"].is_string());
    // A non-JSON message without $default: the same.
    send_text(&mut ws, "hello").await;
    assert_eq!(parse(&next_text(&mut ws).await)["message"], "Forbidden");
    t.stop().await;
}

#[tokio::test]
async fn mock_templates_select_by_expression_and_read_the_message() {
    init();
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    // The request template carries the message's text to the integration response, whose
    // template is chosen by `$request.body.format`.
    let i = integration(
        &t,
        &api,
        json!({"integrationType": "MOCK",
               "templateSelectionExpression": "\\$default",
               "requestTemplates": {"$default": "{\"statusCode\": 200, \"text\": $input.json('$.text')}"}}),
    )
    .await;
    http_api_support::v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/integrations/{i}/integrationresponses"),
        Some(json!({"integrationResponseKey": "$default",
                    "templateSelectionExpression": "$request.body.format",
                    "responseTemplates": {
                        "upper": "{\"said\": \"$input.path('$.text').toUpperCase()\"}",
                        "$default": "{\"said\": \"$input.path('$.text')\"}"}})),
        201,
    )
    .await;
    route(&t, &api, "say", &i, true).await;
    stage(&t, &api, "dev").await;
    let mut ws = connect_path_style(&t, &api, "dev")
        .await
        .expect("path-style connect");
    send_text(&mut ws, r#"{"action": "say", "text": "hello"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await), json!({"said": "hello"}));
    send_text(
        &mut ws,
        r#"{"action": "say", "text": "hello", "format": "upper"}"#,
    )
    .await;
    assert_eq!(parse(&next_text(&mut ws).await), json!({"said": "HELLO"}));
    t.stop().await;
}

#[tokio::test]
async fn connections_api_gets_posts_deletes_and_answers_410_after() {
    init();
    let t = TestGateway::start().await;
    allow_iam(&t);
    let api = selection_api(&t).await;
    let (disconnect_backend, mut disconnects) = recorder().await;
    let d = integration(
        &t,
        &api,
        json!({"integrationType": "HTTP", "integrationMethod": "POST",
               "integrationUri": format!("http://{disconnect_backend}/disconnect"),
               "requestTemplates": {"$default": "{\"event\": \"$context.eventType\", \"id\": \"$context.connectionId\", \"route\": \"$context.routeKey\"}"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    route(&t, &api, "$disconnect", &d, false).await;

    let mut ws = connect(&t, &api, "prod", &[("user-agent", "ws-test/1.0")])
        .await
        .expect("connected");
    send_text(&mut ws, r#"{"action": "join"}"#).await;
    let id = parse(&next_text(&mut ws).await)["connectionId"]
        .as_str()
        .expect("id")
        .to_string();
    let (url, host) = connections_url(&t, &api, "prod", &id);

    let (status, _, body) = connections(&t, Method::GET, &url, b"", Some(&host)).await;
    assert_eq!(status, 200, "{body}");
    let info = parse(&body);
    assert_eq!(info["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(info["identity"]["userAgent"], "ws-test/1.0");
    assert!(
        info["connectedAt"]
            .as_str()
            .expect("connectedAt")
            .ends_with('Z')
    );
    assert!(info["lastActiveAt"].is_string());

    let (status, _, _) =
        connections(&t, Method::POST, &url, b"pushed by the server", Some(&host)).await;
    assert_eq!(status, 200);
    assert_eq!(next_text(&mut ws).await, "pushed by the server");

    // Path style works as an endpoint too.
    let path_url = format!(
        "http://{}/restapis/{api}/prod/_user_request_/@connections/{}",
        t.addr,
        url.rsplit('/').next().expect("id")
    );
    let (status, _, _) = connections(&t, Method::POST, &path_url, b"via path style", None).await;
    assert_eq!(status, 200);
    assert_eq!(next_text(&mut ws).await, "via path style");

    let big = vec![b'x'; 128 * 1024 + 1];
    let (status, kind, _) = connections(&t, Method::POST, &url, &big, Some(&host)).await;
    assert_eq!(
        (status, kind.as_deref()),
        (413, Some("PayloadTooLargeException"))
    );

    // Unsigned: refused.
    let resp = t
        .client
        .post(&url)
        .header("host", &host)
        .body("x")
        .send()
        .await
        .expect("unsigned call");
    assert_eq!(resp.status().as_u16(), 403);

    let (status, _, _) = connections(&t, Method::DELETE, &url, b"", Some(&host)).await;
    assert_eq!(status, 204);
    assert_eq!(close_code(&mut ws).await, 1000);
    let event = parse(&recorded(&mut disconnects).await);
    assert_eq!(
        event,
        json!({"event": "DISCONNECT", "id": id, "route": "$disconnect"})
    );

    for method in [Method::GET, Method::POST, Method::DELETE] {
        let (status, kind, _) = connections(&t, method.clone(), &url, b"late", Some(&host)).await;
        assert_eq!(
            (status, kind.as_deref()),
            (410, Some("GoneException")),
            "{method}"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn disconnect_runs_on_client_close_and_idle_timeout() {
    init();
    let t = TestGateway::start().await;
    let api = selection_api(&t).await;
    let (backend, mut calls) = recorder().await;
    let d = integration(
        &t,
        &api,
        json!({"integrationType": "HTTP",
               "integrationUri": format!("http://{backend}/disconnect"),
               "requestTemplates": {"$default": "{\"event\": \"$context.eventType\", \"code\": $context.disconnectStatusCode}"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    route(&t, &api, "$disconnect", &d, false).await;

    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    ws.close(None).await.expect("close");
    assert_eq!(
        parse(&recorded(&mut calls).await),
        json!({"event": "DISCONNECT", "code": 1005})
    );

    t.gw.set_websocket_limits(WebSocketLimits {
        idle_timeout: Duration::from_millis(300),
        ..WebSocketLimits::default()
    });
    let mut idle = connect(&t, &api, "prod", &[]).await.expect("connected");
    let started = std::time::Instant::now();
    assert_eq!(close_code(&mut idle).await, 1001);
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        parse(&recorded(&mut calls).await),
        json!({"event": "DISCONNECT", "code": 1001})
    );
    t.stop().await;
}

#[tokio::test]
async fn an_oversize_frame_closes_with_1009() {
    init();
    let t = TestGateway::start().await;
    let api = selection_api(&t).await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    let big = "x".repeat(33 * 1024);
    ws.send(Message::Text(big.into())).await.expect("send");
    assert_eq!(close_code(&mut ws).await, 1009);
    // The gateway is fine: a new connection is served.
    let mut again = connect(&t, &api, "prod", &[])
        .await
        .expect("connected again");
    send_text(&mut again, r#"{"action": "join"}"#).await;
    assert_eq!(parse(&next_text(&mut again).await)["route"], "join");
    t.stop().await;
}

#[tokio::test]
async fn unknown_stage_and_api_refuse_the_upgrade() {
    init();
    let t = TestGateway::start().await;
    let api = selection_api(&t).await;
    let refused = connect(&t, &api, "nostage", &[])
        .await
        .expect_err("refused");
    assert_eq!(refused.status, 403, "{}", refused.body);
    t.stop().await;
}

#[tokio::test]
async fn a_client_that_never_reads_is_disconnected_and_the_server_stays_responsive() {
    init();
    let t = TestGateway::start().await;
    t.gw.set_websocket_limits(WebSocketLimits {
        send_queue: 64,
        ..WebSocketLimits::default()
    });
    let api = ws_api(&t, "$request.body.action").await;
    // Each reply is ~4 KB, so 10,000 of them exceed what socket buffers absorb.
    let padding = "p".repeat(4000);
    let i = mock(
        &t,
        &api,
        &format!("{{\"pad\": \"{padding}\", \"id\": \"$context.messageId\"}}"),
    )
    .await;
    route(&t, &api, "$default", &i, true).await;
    stage(&t, &api, "prod").await;

    let mut slow = connect(&t, &api, "prod", &[]).await.expect("connected");
    assert_eq!(t.gw.websocket_connection_count(), 1);
    let flood = tokio::spawn(async move {
        for n in 0..10_000 {
            if slow
                .send(Message::Text(format!("message {n}").into()))
                .await
                .is_err()
            {
                return (n, slow);
            }
        }
        (10_000, slow)
    });
    // Meanwhile another client is served promptly.
    let mut other = connect(&t, &api, "prod", &[]).await.expect("second client");
    send_text(&mut other, "hi").await;
    let started = std::time::Instant::now();
    assert!(parse(&next_text(&mut other).await)["id"].is_string());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let (_sent, _slow) = flood.await.expect("flood task");
    // The slow client is dropped (its queue filled), the other one stays.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while t.gw.websocket_connection_count() > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the slow client was never disconnected"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    send_text(&mut other, "still there").await;
    assert!(parse(&next_text(&mut other).await)["id"].is_string());
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_websockets_client_is_routed_and_closed_with_1009() {
    init();
    let Some(python) = common::require_tool("websockets") else {
        return;
    };
    let t = TestGateway::start().await;
    let api = selection_api(&t).await;
    let url = format!("ws://{}/restapis/{api}/prod/_user_request_", t.addr);
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scripts/websocket_client.py");
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg(url)
        .output()
        .await
        .expect("run the Python client");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(parse)
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["reply"]["route"], "join");
    assert_eq!(lines[0]["reply"]["domainName"], "127.0.0.1");
    assert_eq!(lines[1]["reply"]["route"], "$default");
    assert_eq!(lines[2]["closed"], 1009);
    t.stop().await;
}

#[tokio::test]
async fn request_models_validate_messages() {
    init();
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    http_api_support::v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/models"),
        Some(json!({"name": "Post", "schema": "{\"type\": \"object\", \"required\": [\"text\"], \"properties\": {\"text\": {\"type\": \"string\"}}}"})),
        201,
    )
    .await;
    let i = mock(&t, &api, r#"{"ok": true}"#).await;
    let r = route(&t, &api, "post", &i, true).await;
    http_api_support::v2_ok(
        &t,
        Method::PATCH,
        &format!("/apis/{api}/routes/{r}"),
        Some(json!({"requestModels": {"$default": "Post"}, "modelSelectionExpression": "$request.body.kind"})),
        200,
    )
    .await;
    stage(&t, &api, "prod").await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    send_text(&mut ws, r#"{"action": "post", "text": "hello"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await), json!({"ok": true}));
    send_text(&mut ws, r#"{"action": "post", "text": 5}"#).await;
    let error = parse(&next_text(&mut ws).await);
    assert_eq!(error["message"], "Invalid request body", "{error}");
    assert!(error["connectionId"].is_string());
    t.stop().await;
}

#[tokio::test]
async fn binary_frames_convert_to_text_and_back() {
    init();
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    let i = integration(
        &t,
        &api,
        json!({"integrationType": "MOCK", "contentHandlingStrategy": "CONVERT_TO_TEXT",
               "requestTemplates": {"$default": "{\"statusCode\": 200, \"b64\": \"$input.body\"}"},
               "templateSelectionExpression": "\\$default"}),
    )
    .await;
    http_api_support::v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/integrations/{i}/integrationresponses"),
        Some(json!({"integrationResponseKey": "$default", "contentHandlingStrategy": "CONVERT_TO_BINARY",
                    "responseTemplates": {"$default": "$input.path('$.b64')"},
                    "templateSelectionExpression": "\\$default"})),
        201,
    )
    .await;
    route(&t, &api, "$default", &i, true).await;
    stage(&t, &api, "prod").await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    let bytes = vec![0u8, 1, 2, 254, 255];
    ws.send(Message::Binary(bytes.clone().into()))
        .await
        .expect("send");
    let got = tokio::time::timeout(
        Duration::from_secs(5),
        futures_util::StreamExt::next(&mut ws),
    )
    .await
    .expect("reply")
    .expect("open")
    .expect("message");
    assert_eq!(got, Message::Binary(bytes.into()));
    t.stop().await;
}

const PING_TOO_LONG: [u8; 208] = {
    let mut f = [0u8; 208];
    f[0] = 0x89;
    f[1] = 0xfe;
    f[2] = 0x00;
    f[3] = 0xc8;
    f
};

#[tokio::test]
async fn malformed_frames_drop_the_socket_and_nothing_else() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    init();
    let t = TestGateway::start().await;
    let api = selection_api(&t).await;
    for garbage in [
        // An unmasked text frame (clients must mask).
        &b"\x81\x05hello"[..],
        // A reserved opcode.
        &b"\x83\x80\x00\x00\x00\x00"[..],
        // A control frame longer than 125 bytes (with its 200 bytes).
        &PING_TOO_LONG[..],
        // Garbage: reserved bits and opcode, an absurd length.
        &[0xffu8; 16][..],
    ] {
        let mut s = tokio::net::TcpStream::connect(t.addr).await.expect("tcp");
        let request = format!(
            "GET /prod HTTP/1.1\r\nHost: {api}.execute-api.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        s.write_all(request.as_bytes()).await.expect("write");
        let mut head = vec![0u8; 1024];
        let n = s.read(&mut head).await.expect("read");
        assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 101"));
        s.write_all(garbage).await.expect("write garbage");
        // The server ends the connection (it may send a close frame first).
        let mut rest = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
        assert!(read.is_ok(), "the socket stayed open after {garbage:?}");
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while t.gw.websocket_connection_count() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "connections left behind"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    send_text(&mut ws, r#"{"action": "join"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await)["route"], "join");
    t.stop().await;
}
