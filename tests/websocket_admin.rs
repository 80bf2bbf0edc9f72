//! Route responses and integration responses of a WebSocket API, the operations AWS answers
//! on what a route or an integration owns: create (one `$default` per route; a key taken is a
//! 409; an HTTP API's refusal), get, list, update (checked again), delete (404 after), and
//! removal with their route or integration.

mod common;
mod http_api_support;
mod websocket_support;

use common::TestGateway;
use http_api_support::{v2, v2_ok};
use reqwest::Method;
use serde_json::json;
use websocket_support::*;

#[tokio::test]
async fn route_and_integration_responses_answer_like_aws() {
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    let i = mock(&t, &api, "{}").await;
    let r = route(&t, &api, "join", &i, true).await;
    let rr_path = format!("/apis/{api}/routes/{r}/routeresponses");
    // The route's `$default` route response exists (two-way): a second is a conflict.
    let (status, kind, body) = v2(
        &t,
        Method::POST,
        &rr_path,
        Some(json!({"routeResponseKey": "$default"})),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (409, Some("ConflictException")),
        "{body}"
    );
    assert_eq!(
        body["message"],
        "Unable to create route response. Route response key $default already exists for this route"
    );
    let list = v2_ok(&t, Method::GET, &rr_path, None, 200).await;
    let rr = list["items"][0]["routeResponseId"]
        .as_str()
        .expect("id")
        .to_string();
    let got = v2_ok(&t, Method::GET, &format!("{rr_path}/{rr}"), None, 200).await;
    assert_eq!(got["routeResponseKey"], "$default");
    // Update is checked like create.
    let (status, _, body) = v2(
        &t,
        Method::PATCH,
        &format!("{rr_path}/{rr}"),
        Some(json!({"routeResponseKey": "other"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("Only $default is supported")
    );
    // Integration responses: one per key.
    let ir_path = format!("/apis/{api}/integrations/{i}/integrationresponses");
    let (status, _, body) = v2(
        &t,
        Method::POST,
        &ir_path,
        Some(json!({"integrationResponseKey": "$default"})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["message"],
        "Unable to create integration response. Integration response key $default already exists for this integration"
    );
    let created = v2_ok(
        &t,
        Method::POST,
        &ir_path,
        Some(
            json!({"integrationResponseKey": "/4\\d\\d/", "responseTemplates": {"$default": "{}"}}),
        ),
        201,
    )
    .await;
    let ir = created["integrationResponseId"]
        .as_str()
        .expect("id")
        .to_string();
    let updated = v2_ok(
        &t,
        Method::PATCH,
        &format!("{ir_path}/{ir}"),
        Some(json!({"integrationResponseKey": "/5\\d\\d/"})),
        200,
    )
    .await;
    assert_eq!(updated["integrationResponseKey"], "/5\\d\\d/");
    assert_eq!(updated["responseTemplates"], json!({"$default": "{}"}));
    v2_ok(&t, Method::DELETE, &format!("{ir_path}/{ir}"), None, 204).await;
    let (status, kind, _) = v2(&t, Method::GET, &format!("{ir_path}/{ir}"), None).await;
    assert_eq!((status, kind.as_deref()), (404, Some("NotFoundException")));
    // Unknown parents are 404s naming them.
    let (status, _, body) = v2(
        &t,
        Method::GET,
        &format!("/apis/{api}/routes/nosuch/routeresponses"),
        None,
    )
    .await;
    assert_eq!(status, 404, "{body}");
    // Deleting the route takes its route responses along.
    v2_ok(
        &t,
        Method::DELETE,
        &format!("/apis/{api}/routes/{r}"),
        None,
        204,
    )
    .await;
    assert!(t.gw.list_v2_route_responses(&api, &r).is_err());
    // HTTP APIs have none.
    let http = v2_ok(
        &t,
        Method::POST,
        "/apis",
        Some(json!({"name": "h", "protocolType": "HTTP"})),
        201,
    )
    .await["apiId"]
        .as_str()
        .expect("id")
        .to_string();
    let hi = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{http}/integrations"),
        Some(
            json!({"integrationType": "HTTP_PROXY", "integrationMethod": "GET",
                    "integrationUri": "http://127.0.0.1:9/", "payloadFormatVersion": "1.0"}),
        ),
        201,
    )
    .await["integrationId"]
        .as_str()
        .expect("id")
        .to_string();
    let (status, _, body) = v2(
        &t,
        Method::POST,
        &format!("/apis/{http}/integrations/{hi}/integrationresponses"),
        Some(json!({"integrationResponseKey": "$default"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        "Integration responses are only supported for WebSocket APIs"
    );
}

/// A v1 management call (API keys, usage plans) that must answer `want`; its JSON.
async fn v1_ok(
    t: &TestGateway,
    method: Method,
    path: &str,
    body: serde_json::Value,
    want: u16,
) -> serde_json::Value {
    let resp = t
        .client
        .request(method.clone(), format!("{}{path}", t.base()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("management call");
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    assert_eq!(status, want, "{method} {path}: {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn api_key_required_on_connect_needs_a_key_of_a_plan_of_the_stage() {
    let t = TestGateway::start().await;
    let api = ws_api(&t, "$request.body.action").await;
    let i = mock(&t, &api, "{}").await;
    // Only $connect takes apiKeyRequired.
    let (status, _, body) = v2(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": "join", "apiKeyRequired": true, "target": format!("integrations/{i}")})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        "ApiKeyRequired is supported only on the $connect route of a WebSocket API"
    );
    v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(json!({"routeKey": "$connect", "apiKeyRequired": true, "target": format!("integrations/{i}")})),
        201,
    )
    .await;
    stage(&t, &api, "prod").await;
    let key = v1_ok(
        &t,
        Method::POST,
        "/apikeys",
        json!({"name": "chat-key", "enabled": true, "value": "chatKey1234567890abcdefghij"}),
        201,
    )
    .await;
    let other = v1_ok(
        &t,
        Method::POST,
        "/apikeys",
        json!({"name": "other", "enabled": true, "value": "otherKey0987654321zyxwvuts"}),
        201,
    )
    .await;
    let plan = v1_ok(
        &t,
        Method::POST,
        "/usageplans",
        json!({"name": "chat", "apiStages": [{"apiId": api, "stage": "prod"}]}),
        201,
    )
    .await;
    let plan_id = plan["id"].as_str().expect("plan id");
    v1_ok(
        &t,
        Method::POST,
        &format!("/usageplans/{plan_id}/keys"),
        json!({"keyId": key["id"], "keyType": "API_KEY"}),
        201,
    )
    .await;
    // No key, a key in no plan of this stage: 403 before the upgrade; the plan's key connects.
    let refused = connect(&t, &api, "prod", &[]).await.expect_err("no key");
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("Forbidden"), "{}", refused.body);
    let wrong = connect(
        &t,
        &api,
        "prod",
        &[("x-api-key", other["value"].as_str().expect("value"))],
    )
    .await
    .expect_err("a key of no plan");
    assert_eq!(wrong.status, 403);
    let ws = connect(
        &t,
        &api,
        "prod",
        &[("x-api-key", "chatKey1234567890abcdefghij")],
    )
    .await;
    assert!(ws.is_ok(), "the plan's key connects");
    assert_eq!(t.gw.websocket_connections(&api, Some("prod")).len(), 1);
}
