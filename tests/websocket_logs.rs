//! WebSocket access and execution logs over loopback with a real client: the stage's
//! `accessLogSettings.format` with the WebSocket `$context` variables (one line per connect,
//! message and disconnect, with the connection id, event type, route key and message id), and
//! execution-log lines when `defaultRouteSettings.loggingLevel` is INFO (ERROR keeps only
//! failures); and `/metrics` under CloudWatch's WebSocket names (ConnectCount, MessageCount,
//! ClientError, IntegrationError, ExecutionError).

mod common;
mod http_api_support;
mod websocket_support;

use std::time::Duration;

use common::TestGateway;
use gwtui::engine::{LogKind, Variant};
use http_api_support::v2_ok;
use reqwest::Method;
use serde_json::json;
use websocket_support::*;

const FORMAT: &str = "$context.requestId $context.connectionId $context.eventType $context.routeKey $context.messageId $context.status $context.identity.sourceIp $context.stage";

/// `$default` → MOCK (one way) and no `$connect` route; a stage logging at `level`.
async fn logged_api(t: &TestGateway, level: &str) -> String {
    let api = ws_api(t, "$request.body.action").await;
    let i = mock(t, &api, "{}").await;
    route(t, &api, "$default", &i, false).await;
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/stages"),
        Some(json!({"stageName": "prod", "autoDeploy": true,
                    "accessLogSettings": {"format": FORMAT},
                    "defaultRouteSettings": {"loggingLevel": level}})),
        201,
    )
    .await;
    api
}

/// The access lines of the stage once `n` are written (10 s at most).
async fn access_lines(t: &TestGateway, api: &str, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        t.gw.flush_logs().await;
        let text = std::fs::read_to_string(t.gw.access_log_path(api, "prod", Variant::Base))
            .unwrap_or_default();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        if lines.len() >= n || tokio::time::Instant::now() > deadline {
            return lines;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn connect_message_and_disconnect_are_access_and_execution_logged() {
    let t = TestGateway::start().await;
    let api = logged_api(&t, "INFO").await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    let id = t.gw.websocket_connections(&api, Some("prod"))[0]
        .connection_id
        .clone();
    send_text(&mut ws, r#"{"action": "anything"}"#).await;
    ws.close(None).await.expect("close");
    let lines = access_lines(&t, &api, 3).await;
    assert_eq!(lines.len(), 3, "{lines:?}");
    let fields: Vec<Vec<&str>> = lines.iter().map(|l| l.split(' ').collect()).collect();
    // connect, message, disconnect: each its own request id, the same connection.
    assert_eq!(
        &fields[0][1..],
        [
            id.as_str(),
            "CONNECT",
            "$connect",
            "-",
            "200",
            "127.0.0.1",
            "prod"
        ]
    );
    assert_eq!(&fields[1][1..3], [id.as_str(), "MESSAGE"]);
    assert_eq!(fields[1][3], "$default");
    assert_eq!(
        fields[1][4].len(),
        16,
        "a message id in AWS's format: {}",
        lines[1]
    );
    assert_eq!(fields[1][5], "200");
    assert_eq!(
        &fields[2][1..6],
        [id.as_str(), "DISCONNECT", "$disconnect", "-", "200"]
    );
    let request_ids: std::collections::HashSet<&str> = fields.iter().map(|f| f[0]).collect();
    assert_eq!(request_ids.len(), 3);

    // Execution log: the message's lines under its request id.
    let exec = t.gw.execution_log(&api, "prod", 100);
    let message: Vec<String> = exec
        .iter()
        .filter(|l| l.request_id == fields[1][0])
        .map(|l| l.message.clone())
        .collect();
    assert!(
        message[0].starts_with(&format!(
            "Received message {} from connection {id}, route selected: $default",
            fields[1][4]
        )),
        "{message:?}"
    );
    assert!(
        message
            .iter()
            .any(|m| m.starts_with("Received integration response. Integration latency: "))
    );
    assert_eq!(
        message.last().map(String::as_str),
        Some("Completed with status: 200")
    );
    assert!(exec.iter().all(|l| matches!(l.kind, LogKind::Execution(_))));
    assert!(
        exec.iter()
            .any(|l| l.message == format!("Connecting {id} from 127.0.0.1, route: $connect"))
    );
}

#[tokio::test]
async fn error_level_keeps_only_failures_and_unrouted_messages_log_403() {
    let t = TestGateway::start().await;
    // No `$default`: a message for an unknown route is refused on the socket.
    let api = ws_api(&t, "$request.body.action").await;
    let i = mock(&t, &api, "{}").await;
    route(&t, &api, "join", &i, false).await;
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/stages"),
        Some(json!({"stageName": "prod", "autoDeploy": true,
                    "accessLogSettings": {"format": FORMAT},
                    "defaultRouteSettings": {"loggingLevel": "ERROR"}})),
        201,
    )
    .await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    send_text(&mut ws, r#"{"action": "leave"}"#).await;
    let reply = next_text(&mut ws).await;
    assert!(reply.contains("\"message\":\"Forbidden\""), "{reply}");
    let lines = access_lines(&t, &api, 2).await;
    let message = lines
        .iter()
        .find(|l| l.contains(" MESSAGE "))
        .expect("message line");
    assert!(message.contains(" MESSAGE - "), "no route: {message}");
    assert!(message.contains(" 403 "), "{message}");
    t.gw.flush_logs().await;
    let exec = t.gw.execution_log(&api, "prod", 100);
    assert_eq!(exec.len(), 1, "only the failure at ERROR: {exec:?}");
    assert!(
        exec[0]
            .message
            .ends_with("failed with status 403: No route for the message and no $default route"),
        "{}",
        exec[0].message
    );
}

#[tokio::test]
async fn metrics_carry_cloudwatch_websocket_names() {
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    let ok = mock(&t, &api, "{}").await;
    route(&t, &api, "ok", &ok, false).await;
    // An HTTP integration nobody listens to: IntegrationError.
    let unreachable = integration(
        &t,
        &api,
        json!({"integrationType": "HTTP_PROXY", "integrationMethod": "POST",
               "integrationUri": "http://127.0.0.1:9/nothing"}),
    )
    .await;
    route(&t, &api, "boom", &unreachable, false).await;
    // A route without an integration: ExecutionError.
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": "broken"})),
        201,
    )
    .await;
    stage(&t, &api, "prod").await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    for action in ["ok", "ok", "boom", "broken", "unknown"] {
        send_text(&mut ws, &json!({"action": action}).to_string()).await;
    }
    // Every reply but the two-way-less successes is an error frame: wait for the three.
    for _ in 0..3 {
        next_text(&mut ws).await;
    }
    // And one message through @connections.
    let id = t.gw.websocket_connections(&api, Some("prod"))[0]
        .connection_id
        .clone();
    let posted = t.gw.websocket_connection_op(
        &Method::POST,
        &api,
        "prod",
        &id,
        &bytes::Bytes::from_static(b"hello"),
    );
    assert_eq!(posted.status.as_u16(), 200);
    assert_eq!(next_text(&mut ws).await, "hello");
    // The error frame goes out just before its event is counted: scrape until it is.
    let scrape = || async {
        reqwest::get(format!("http://{}/metrics", t.addr))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body")
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut text = scrape().await;
    while !text.contains("route=\"-\"} 1") && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
        text = scrape().await;
    }
    let value = |family: &str, route: &str| -> Option<u64> {
        let prefix =
            format!("{family}_total{{api_id=\"{api}\",stage=\"prod\",route=\"{route}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .and_then(|v| v.trim().parse().ok())
    };
    assert_eq!(
        value("gwtui_websocket_connect_count", "$connect"),
        Some(1),
        "{text}"
    );
    assert_eq!(value("gwtui_websocket_message_count", "ok"), Some(2));
    assert_eq!(value("gwtui_websocket_integration_errors", "boom"), Some(1));
    assert_eq!(value("gwtui_websocket_integration_errors", "ok"), Some(0));
    assert_eq!(value("gwtui_websocket_execution_errors", "broken"), Some(1));
    assert_eq!(value("gwtui_websocket_client_errors", "-"), Some(1));
    assert_eq!(value("gwtui_websocket_message_count", "-"), Some(1));
    // MessageCount counts the messages sent to the client too: three error frames and the
    // @connections post, as the stage's `$outbound` series.
    assert_eq!(
        value("gwtui_websocket_message_count", "$outbound"),
        Some(4),
        "{text}"
    );
}
