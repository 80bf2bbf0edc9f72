//! UpdateAccount over loopback: the account throttle changes at run time (the next request
//! sees it), refused patches change nothing, and the settings survive a restart.

mod common;
mod mgmt_support;

use common::TestGateway;
use mgmt_support::{expect, mgmt, put_mock_method};
use reqwest::Method;
use serde_json::{Value, json};

fn patch(ops: Value) -> Value {
    json!({ "patchOperations": ops })
}

/// A deployed MOCK `GET /` on stage `s`; its invoke URL.
async fn deployed_mock(t: &TestGateway) -> String {
    let (c, base) = (&t.client, t.base());
    let api = expect(
        c,
        &base,
        Method::POST,
        "/restapis",
        &json!({"name": "acct"}),
        201,
    )
    .await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    put_mock_method(c, &base, &m).await;
    expect(
        c,
        &base,
        Method::PUT,
        &format!("{m}/responses/200"),
        &json!({}),
        201,
    )
    .await;
    expect(
        c,
        &base,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        &json!({"selectionPattern": ""}),
        201,
    )
    .await;
    expect(
        c,
        &base,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        &json!({"stageName": "s"}),
        201,
    )
    .await;
    t.url(&id, "s", "/")
}

async fn statuses(t: &TestGateway, url: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let resp = t.client.get(url).send().await.expect("invoke");
        out.push(resp.status().as_u16());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_account_changes_the_live_throttle_and_survives_a_restart() {
    common::init();
    let t = TestGateway::start().await;
    let (c, base) = (t.client.clone(), t.base());
    let url = deployed_mock(&t).await;
    assert_eq!(statuses(&t, &url, 3).await, [200, 200, 200]);

    // No refill and a burst of 2: two requests pass, the third is the account's 429.
    let account = expect(
        &c,
        &base,
        Method::PATCH,
        "/account",
        &patch(json!([
            {"op": "replace", "path": "/throttleSettings/rateLimit", "value": "0"},
            {"op": "replace", "path": "/throttleSettings/burstLimit", "value": "2"},
            {"op": "replace", "path": "/cloudwatchRoleArn", "value": "arn:aws:iam::123456789012:role/apigw-logs"},
        ])),
        200,
    )
    .await;
    assert_eq!(
        account,
        json!({
            "cloudwatchRoleArn": "arn:aws:iam::123456789012:role/apigw-logs",
            "throttleSettings": {"burstLimit": 2, "rateLimit": 0.0},
            "features": ["UsagePlans"],
            "apiKeyVersion": "4"
        })
    );
    assert_eq!(statuses(&t, &url, 3).await, [200, 200, 429]);

    // A batch with one bad operation is refused whole.
    let (status, kind, body) = mgmt(
        &c,
        &base,
        Method::PATCH,
        "/account",
        Some(
            &patch(json!([
                {"op": "replace", "path": "/throttleSettings/burstLimit", "value": "9"},
                {"op": "replace", "path": "/apiKeyVersion", "value": "5"},
            ]))
            .to_string(),
        ),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException")),
        "{body}"
    );
    let now = expect(&c, &base, Method::GET, "/account", &Value::Null, 200).await;
    assert_eq!(now["throttleSettings"]["burstLimit"], 2);

    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    let again = expect(
        &t.client,
        &t.base(),
        Method::GET,
        "/account",
        &Value::Null,
        200,
    )
    .await;
    assert_eq!(again, account);
    t.stop().await;
}
