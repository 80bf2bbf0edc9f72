//! HTTP API Lambda integrations with real Python and Node handlers: the payload format 2.0
//! event field by field, the 2.0 response rules (inferred 200 for a plain string and for JSON
//! without `statusCode`, `cookies` → `set-cookie`, base64 bodies), format 1.0, function
//! errors, and Lambda REQUEST authorizers (simple responses and IAM policies, cached).

mod common;
mod http_api_support;

use std::path::PathBuf;

use common::{TestGateway, actor, init};
use gwtui::engine::{FunctionConfig, Runtime};
use http_api_support::{invoke, text, v2_ok};
use reqwest::Method;
use serde_json::{Value, json};

fn local(runtime: Runtime, dir: &str, handler: &str) -> FunctionConfig {
    FunctionConfig {
        runtime: Some(runtime),
        handler: Some(handler.into()),
        code: Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/functions")
                .join(dir),
        ),
        timeout: Some(10),
        ..Default::default()
    }
}

fn arn(function: &str) -> String {
    format!("arn:aws:lambda:us-east-1:123456789012:function:{function}")
}

/// An API whose `ANY /fn/{proxy+}` runs `function` with payload `version`, on `$default`
/// and on `prod` (stage variable `color`).
async fn lambda_api(t: &TestGateway, function: &str, version: &str) -> String {
    let id = v2_ok(
        t,
        Method::POST,
        "/apis",
        Some(json!({"name": function, "protocolType": "HTTP"})),
        201,
    )
    .await["apiId"]
        .as_str()
        .expect("id")
        .to_string();
    let i = v2_ok(t, Method::POST, &format!("/apis/{id}/integrations"),
        Some(json!({"integrationType": "AWS_PROXY", "integrationUri": arn(function), "payloadFormatVersion": version})), 201).await
        ["integrationId"].as_str().expect("integration").to_string();
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{id}/routes"),
        Some(json!({"routeKey": "ANY /fn/{proxy+}", "target": format!("integrations/{i}")})),
        201,
    )
    .await;
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{id}/stages"),
        Some(json!({"stageName": "$default", "autoDeploy": true})),
        201,
    )
    .await;
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{id}/stages"),
        Some(json!({"stageName": "prod", "autoDeploy": true, "stageVariables": {"color": "blue"}})),
        201,
    )
    .await;
    id
}

async fn check_event_v2(t: &TestGateway, api: &str, runtime: &str) {
    let (status, h, body) = text(
        invoke(t, api, Method::POST, "/prod/fn/a%20b/c?x=1&x=2&y=z")
            .header("x-multi", "one")
            .header("x-multi", "two")
            .header("X-Mixed-Case", "v")
            .header("cookie", "c1=v1; c2=v2")
            .header("user-agent", "gwtui-test")
            .header("content-type", "application/json")
            .body(r#"{"hello":"world"}"#),
    )
    .await;
    assert_eq!(status, 200, "{runtime}: {body}");
    assert_eq!(h["x-runtime"], runtime);
    let e: Value = serde_json::from_str::<Value>(&body).expect("json")["event"].clone();
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["routeKey"], "ANY /fn/{proxy+}");
    assert_eq!(e["rawPath"], "/prod/fn/a%20b/c");
    assert_eq!(e["rawQueryString"], "x=1&x=2&y=z");
    assert_eq!(e["cookies"], json!(["c1=v1", "c2=v2"]));
    assert_eq!(e["headers"]["x-multi"], "one,two");
    assert_eq!(e["headers"]["x-mixed-case"], "v");
    assert_eq!(e["headers"]["content-type"], "application/json");
    assert_eq!(
        e["headers"]["cookie"],
        Value::Null,
        "cookies are not headers"
    );
    assert!(
        e["headers"]
            .as_object()
            .expect("headers")
            .keys()
            .all(|k| k == &k.to_ascii_lowercase())
    );
    assert_eq!(e["queryStringParameters"], json!({"x": "1,2", "y": "z"}));
    assert_eq!(e["pathParameters"], json!({"proxy": "a b/c"}));
    assert_eq!(e["stageVariables"], json!({"color": "blue"}));
    assert_eq!(e["body"], r#"{"hello":"world"}"#);
    assert_eq!(e["isBase64Encoded"], false);
    assert!(
        e.get("multiValueHeaders").is_none() && e.get("multiValueQueryStringParameters").is_none()
    );
    let rc = &e["requestContext"];
    assert_eq!(rc["accountId"], "123456789012");
    assert_eq!(rc["apiId"], api);
    assert_eq!(rc["domainName"], format!("{api}.execute-api.localhost"));
    assert_eq!(rc["domainPrefix"], api);
    assert_eq!(rc["http"]["method"], "POST");
    assert_eq!(rc["http"]["path"], "/prod/fn/a%20b/c");
    assert_eq!(rc["http"]["protocol"], "HTTP/1.1");
    assert_eq!(rc["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(rc["http"]["userAgent"], "gwtui-test");
    assert_eq!(rc["routeKey"], "ANY /fn/{proxy+}");
    assert_eq!(rc["stage"], "prod");
    assert_eq!(rc["requestId"], h["apigw-requestid"].to_str().expect("id"));
    let time = rc["time"].as_str().expect("time");
    assert!(time.len() == 26 && time.ends_with(" +0000"), "{time}");
    let epoch = rc["timeEpoch"].as_i64().expect("timeEpoch");
    let now_ms = http_api_support::now() as i64 * 1000;
    assert!((now_ms - epoch).abs() < 60_000, "{epoch}");
    assert!(rc.get("authorizer").is_none());
    // A binary body is base64; $default stage paths carry no stage; no query → "".
    let (_, _, body) = text(
        invoke(t, api, Method::PUT, "/fn/bin")
            .header("content-type", "application/octet-stream")
            .body(vec![0u8, 159, 146, 150]),
    )
    .await;
    let e: Value = serde_json::from_str::<Value>(&body).expect("json")["event"].clone();
    assert_eq!(e["isBase64Encoded"], true);
    assert_eq!(e["body"], "AJ+Slg==");
    assert_eq!(e["rawPath"], "/fn/bin");
    assert_eq!(e["rawQueryString"], "");
    assert!(e.get("queryStringParameters").is_none() && e.get("cookies").is_none());
    assert_eq!(e["requestContext"]["stage"], "$default");
}

async fn check_responses(t: &TestGateway, api: &str, runtime: &str) {
    let (status, h, body) = text(invoke(t, api, Method::GET, "/fn/plain-string")).await;
    assert_eq!(
        (status, body.as_str()),
        (200, format!("Hello from {runtime}").as_str())
    );
    assert_eq!(h["content-type"], "application/json");
    let (status, h, body) = text(invoke(t, api, Method::GET, "/fn/no-status")).await;
    assert_eq!(status, 200);
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        json!({"answer": 42, "runtime": runtime})
    );
    let (status, h, body) = text(invoke(t, api, Method::GET, "/fn/cookies")).await;
    assert_eq!((status, body.as_str()), (200, "with cookies"));
    let cookies: Vec<&str> = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .collect();
    assert_eq!(cookies, vec!["a=1; Path=/", "b=2"]);
    let r = invoke(t, api, Method::GET, "/fn/binary")
        .send()
        .await
        .expect("binary");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(&r.bytes().await.expect("bytes")[..], &[0u8, 1, 2, 255]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_handler_gets_the_2_0_event_and_its_responses_are_inferred() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    t.gw.register_function(
        &actor(),
        "py2",
        local(Runtime::Python3, "python", "http_api.handler"),
    )
    .await
    .expect("register");
    let api = lambda_api(&t, "py2", "2.0").await;
    check_event_v2(&t, &api, "python").await;
    check_responses(&t, &api, "python").await;
    let (status, _, body) = text(invoke(&t, &api, Method::GET, "/fn/raise")).await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_handler_gets_the_2_0_event_and_its_responses_are_inferred() {
    init();
    if common::require_tool("node").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    t.gw.register_function(
        &actor(),
        "node2",
        local(Runtime::Node, "node", "http_api.handler"),
    )
    .await
    .expect("register");
    let api = lambda_api(&t, "node2", "2.0").await;
    check_event_v2(&t, &api, "node").await;
    check_responses(&t, &api, "node").await;
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_format_1_0_and_lambda_authorizers() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    for (name, handler) in [
        ("py1", "app.handler"),
        ("auth", "http_api.authorizer"),
        ("py2", "http_api.handler"),
    ] {
        t.gw.register_function(&actor(), name, local(Runtime::Python3, "python", handler))
            .await
            .expect("register");
    }
    // Format 1.0: the REST event with version 1.0; the REST response rules.
    let v1 = lambda_api(&t, "py1", "1.0").await;
    let (status, h, body) =
        text(invoke(&t, &v1, Method::GET, "/fn/x?a=1&a=2").header("x-one", "1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.get_all("set-cookie").iter().count(), 2);
    let e: Value = serde_json::from_str::<Value>(&body).expect("json")["event"].clone();
    assert_eq!(e["version"], "1.0");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["resource"], "/fn/{proxy+}");
    assert_eq!(e["path"], "/fn/x");
    assert_eq!(e["queryStringParameters"]["a"], "2");
    assert_eq!(e["multiValueQueryStringParameters"]["a"], json!(["1", "2"]));
    assert_eq!(e["headers"]["x-one"], "1");
    assert_eq!(e["pathParameters"], json!({"proxy": "x"}));
    assert_eq!(e["requestContext"]["stage"], "$default");

    // Lambda authorizers: simple responses (2.0) and an IAM policy (1.0), cached.
    let api = lambda_api(&t, "py2", "2.0").await;
    let mut ids = Vec::new();
    for (name, version, simple) in [("simple", "2.0", true), ("policy", "1.0", false)] {
        let mut body = json!({"name": name, "authorizerType": "REQUEST", "authorizerUri": arn("auth"),
            "authorizerPayloadFormatVersion": version, "identitySource": ["$request.header.x-token"],
            "authorizerResultTtlInSeconds": 300});
        if simple {
            body["enableSimpleResponses"] = json!(true);
        }
        let a = v2_ok(
            &t,
            Method::POST,
            &format!("/apis/{api}/authorizers"),
            Some(body),
            201,
        )
        .await;
        ids.push(a["authorizerId"].as_str().expect("id").to_string());
    }
    let integration = v2_ok(
        &t,
        Method::GET,
        &format!("/apis/{api}/integrations"),
        None,
        200,
    )
    .await["items"][0]["integrationId"]
        .as_str()
        .expect("integration")
        .to_string();
    for (key, id) in [("GET /simple", &ids[0]), ("GET /policy", &ids[1])] {
        v2_ok(
            &t,
            Method::POST,
            &format!("/apis/{api}/routes"),
            Some(json!({
            "routeKey": key, "target": format!("integrations/{integration}"),
            "authorizationType": "CUSTOM", "authorizerId": id})),
            201,
        )
        .await;
    }
    for (path, context_user) in [("/simple", "py-let-me-in"), ("/policy", "policy-let-me-in")] {
        let (status, _, body) =
            text(invoke(&t, &api, Method::GET, path).header("x-token", "let-me-in")).await;
        assert_eq!(status, 200, "{path}: {body}");
        let e: Value = serde_json::from_str::<Value>(&body).expect("json")["event"].clone();
        assert_eq!(
            e["requestContext"]["authorizer"]["lambda"]["user"], context_user,
            "{path}"
        );
        let (status, _, body) =
            text(invoke(&t, &api, Method::GET, path).header("x-token", "nope")).await;
        assert_eq!(
            (status, body.as_str()),
            (403, r#"{"message":"Forbidden"}"#),
            "{path}"
        );
        let (status, _, body) = text(invoke(&t, &api, Method::GET, path)).await;
        assert_eq!(
            (status, body.as_str()),
            (401, r#"{"message":"Unauthorized"}"#),
            "{path} without identity"
        );
    }
    let before =
        t.gw.function_stats("auth")
            .map(|s| s.invocations)
            .unwrap_or_default();
    for _ in 0..3 {
        let (status, _, _) =
            text(invoke(&t, &api, Method::GET, "/simple").header("x-token", "let-me-in")).await;
        assert_eq!(status, 200);
    }
    let after =
        t.gw.function_stats("auth")
            .map(|s| s.invocations)
            .unwrap_or_default();
    assert_eq!(after, before, "cached by identity source");
    t.gw.shutdown_functions().await;
    t.stop().await;
}
