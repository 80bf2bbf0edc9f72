//! Throttling, API keys and usage plans on WebSocket APIs (`engine/websocket/throttle.rs`
//! cites what AWS documents): a stage's `routeSettings` throttle one route's messages and the
//! `$connect` upgrade; a usage plan's throttle and quota count the `$connect` that presented
//! its key and every message of that connection; the key can come from the `$connect`
//! authorizer's `usageIdentifierKey`.

mod common;
mod http_api_support;
mod lambda_support;
mod websocket_support;

use common::{TestGateway, actor, init};
use gwtui::engine::Runtime;
use http_api_support::v2_ok;
use reqwest::Method;
use serde_json::{Value, json};
use websocket_support::*;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A v1 management call (API keys, usage plans) that must answer 201; its JSON.
async fn v1_created(t: &TestGateway, path: &str, body: Value) -> Value {
    let resp = t
        .client
        .post(format!("{}{path}", t.base()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("management call");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(status, 201, "POST {path}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// An enabled key `value` in a new usage plan of `api`'s `prod` stage with these settings.
async fn key_in_plan(t: &TestGateway, api: &str, value: &str, plan: Value) {
    let key = v1_created(
        t,
        "/apikeys",
        json!({"name": value, "enabled": true, "value": value}),
    )
    .await;
    let mut plan = plan;
    plan["name"] = json!(format!("plan-{value}"));
    plan["apiStages"] = json!([{"apiId": api, "stage": "prod"}]);
    let plan = v1_created(t, "/usageplans", plan).await;
    let plan_id = plan["id"].as_str().expect("plan id");
    v1_created(
        t,
        &format!("/usageplans/{plan_id}/keys"),
        json!({"keyId": key["id"], "keyType": "API_KEY"}),
    )
    .await;
}

/// A MOCK two-way route `key` answering `{"route": key}`.
async fn echo_route(t: &TestGateway, api: &str, key: &str) {
    let i = mock(t, api, &format!("{{\"route\": \"{key}\"}}")).await;
    route(t, api, key, &i, true).await;
}

/// The error frame a refused message gets, checked for its connection.
async fn refused_frame(ws: &mut Ws, t: &TestGateway, api: &str) -> String {
    let frame = parse(&next_text(ws).await);
    let ids: Vec<String> =
        t.gw.websocket_connections(api, Some("prod"))
            .into_iter()
            .map(|c| c.connection_id)
            .collect();
    assert!(
        ids.iter().any(|id| frame["connectionId"] == json!(id)),
        "{frame}"
    );
    assert!(frame["requestId"].is_string(), "{frame}");
    frame["message"].as_str().expect("message").to_string()
}

#[tokio::test]
async fn route_settings_throttle_messages_and_the_upgrade_per_route() {
    init();
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    echo_route(&t, &api, "slow").await;
    echo_route(&t, &api, "fast").await;
    let connect_route = mock(&t, &api, "{}").await;
    route(&t, &api, "$connect", &connect_route, false).await;
    // A rate this low refills nothing during the test: the burst is all there is.
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/stages"),
        Some(json!({"stageName": "prod", "autoDeploy": true,
        "routeSettings": {
            "slow": {"throttlingBurstLimit": 2, "throttlingRateLimit": 0.001},
            "$connect": {"throttlingBurstLimit": 1, "throttlingRateLimit": 0.001}
        }})),
        201,
    )
    .await;
    let mut ws = connect(&t, &api, "prod", &[]).await.expect("connected");
    for _ in 0..2 {
        send_text(&mut ws, r#"{"action": "slow"}"#).await;
        assert_eq!(parse(&next_text(&mut ws).await), json!({"route": "slow"}));
    }
    send_text(&mut ws, r#"{"action": "slow"}"#).await;
    assert_eq!(refused_frame(&mut ws, &t, &api).await, "Too Many Requests");
    // Another route has its own (unlimited) bucket.
    send_text(&mut ws, r#"{"action": "fast"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await), json!({"route": "fast"}));
    // `$connect`'s burst of 1 was the first upgrade.
    let refused = connect(&t, &api, "prod", &[])
        .await
        .expect_err("throttled upgrade");
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(
        parse(&refused.body),
        json!({"message": "Too Many Requests"})
    );
    t.stop().await;
}

#[tokio::test]
async fn a_usage_plan_throttles_and_counts_the_messages_of_a_connection_with_its_key() {
    init();
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    echo_route(&t, &api, "say").await;
    let i = mock(&t, &api, "{}").await;
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": "$connect", "apiKeyRequired": true,
                    "target": format!("integrations/{i}")})),
        201,
    )
    .await;
    stage(&t, &api, "prod").await;
    // Quota 3 a day: the upgrade and two messages.
    key_in_plan(
        &t,
        &api,
        "quotaKey1234567890abcdefghij",
        json!({"quota": {"limit": 3, "period": "DAY"}}),
    )
    .await;
    // Burst 2: the upgrade and one message.
    key_in_plan(
        &t,
        &api,
        "burstKey1234567890abcdefghij",
        json!({"throttle": {"burstLimit": 2, "rateLimit": 0.001}}),
    )
    .await;

    let mut ws = connect(
        &t,
        &api,
        "prod",
        &[("x-api-key", "quotaKey1234567890abcdefghij")],
    )
    .await
    .expect("connected");
    for _ in 0..2 {
        send_text(&mut ws, r#"{"action": "say"}"#).await;
        assert_eq!(parse(&next_text(&mut ws).await), json!({"route": "say"}));
    }
    send_text(&mut ws, r#"{"action": "say"}"#).await;
    assert_eq!(refused_frame(&mut ws, &t, &api).await, "Limit Exceeded");
    let over = connect(
        &t,
        &api,
        "prod",
        &[("x-api-key", "quotaKey1234567890abcdefghij")],
    )
    .await
    .expect_err("over quota");
    assert_eq!(over.status, 429, "{}", over.body);
    assert_eq!(parse(&over.body), json!({"message": "Limit Exceeded"}));
    drop(ws);

    let mut ws = connect(
        &t,
        &api,
        "prod",
        &[("x-api-key", "burstKey1234567890abcdefghij")],
    )
    .await
    .expect("connected");
    send_text(&mut ws, r#"{"action": "say"}"#).await;
    assert_eq!(parse(&next_text(&mut ws).await), json!({"route": "say"}));
    send_text(&mut ws, r#"{"action": "say"}"#).await;
    assert_eq!(refused_frame(&mut ws, &t, &api).await, "Too Many Requests");
    t.stop().await;
}

#[tokio::test]
async fn the_api_key_can_be_the_authorizers_usage_identifier_key() {
    init();
    let t = TestGateway::start().await;
    t.gw.register_function(
        &actor(),
        "ws-key-auth",
        lambda_support::local(Runtime::Python3, "python", "websocket.authorize_with_key"),
    )
    .await
    .expect("register");
    let api = v2_ok(
        &t,
        Method::POST,
        "/apis",
        Some(json!({"name": "keyed", "protocolType": "WEBSOCKET",
                    "routeSelectionExpression": "$request.body.action",
                    "apiKeySelectionExpression": "$context.authorizer.usageIdentifierKey"})),
        201,
    )
    .await["apiId"]
        .as_str()
        .expect("api id")
        .to_string();
    let auth = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/authorizers"),
        Some(json!({"name": "keys", "authorizerType": "REQUEST",
                    "authorizerUri": lambda_support::lambda_uri("ws-key-auth"),
                    "identitySource": ["route.request.querystring.token"]})),
        201,
    )
    .await["authorizerId"]
        .as_str()
        .expect("authorizer")
        .to_string();
    let i = mock(&t, &api, "{}").await;
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": "$connect", "apiKeyRequired": true,
                    "authorizationType": "CUSTOM", "authorizerId": auth,
                    "target": format!("integrations/{i}")})),
        201,
    )
    .await;
    stage(&t, &api, "prod").await;
    key_in_plan(&t, &api, "authKey1234567890abcdefghijk", json!({})).await;
    let base = format!("ws://{}/restapis/{api}/prod/_user_request_", t.addr);
    let open = |query: &str| {
        let url = format!("{base}?{query}");
        async move {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let request = url.into_client_request().expect("request");
            let stream = tokio::net::TcpStream::connect(t.addr).await.expect("tcp");
            match tokio_tungstenite::client_async(request, stream).await {
                Ok(_) => 101,
                Err(tokio_tungstenite::tungstenite::Error::Http(r)) => r.status().as_u16(),
                Err(e) => panic!("handshake: {e}"),
            }
        }
    };
    // The header is not where this API takes its key from.
    assert_eq!(open("token=allow&key=nope").await, 403);
    assert_eq!(
        open("token=allow&key=authKey1234567890abcdefghijk").await,
        101
    );
    assert_eq!(
        open("token=deny&key=authKey1234567890abcdefghijk").await,
        403
    );
    t.stop().await;
}
