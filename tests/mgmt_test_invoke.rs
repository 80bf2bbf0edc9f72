//! TestInvokeMethod over loopback: the method as defined now (not as deployed), with the
//! caller's path, query, headers, body and stage variables; what AWS skips for a test
//! (authorization, API keys, metrics) is skipped; bad input gets AWS's exceptions.

mod common;
mod mgmt_support;

use common::TestGateway;
use mgmt_support::{echo_backend, mgmt};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(t: &TestGateway, method: Method, path: &str, body: &Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, body, want).await
}

/// An API with `GET /items/{id}`: a MOCK whose response template reads the path, the query,
/// a header, the body and a stage variable, and requires an API key.
async fn api(t: &TestGateway) -> (String, String, String) {
    let api = call(t, Method::POST, "/restapis", &json!({"name": "ti"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let items = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        &json!({"pathPart": "items"}),
        201,
    )
    .await;
    let items_id = items["id"].as_str().expect("items id").to_string();
    let item = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{items_id}"),
        &json!({"pathPart": "{id}"}),
        201,
    )
    .await;
    let rid = item["id"].as_str().expect("item id").to_string();
    let m = format!("/restapis/{id}/resources/{rid}/methods/GET");
    call(
        t,
        Method::PUT,
        &m,
        &json!({"authorizationType": "NONE", "apiKeyRequired": true}),
        201,
    )
    .await;
    call(
        t,
        Method::PUT,
        &format!("{m}/integration"),
        &json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
        201,
    )
    .await;
    call(
        t,
        Method::PUT,
        &format!("{m}/responses/200"),
        &json!({"responseParameters": {"method.response.header.x-item": false}}),
        201,
    )
    .await;
    let template = "{\"id\": \"$input.params('id')\", \"q\": \"$input.params('q')\", \"h\": \"$input.params('x-h')\", \"env\": \"$stageVariables.env\", \"stage\": \"$context.stage\"}";
    call(
        t,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        &json!({
            "selectionPattern": "",
            "responseParameters": {"method.response.header.x-item": "'one'"},
            "responseTemplates": {"application/json": template}
        }),
        201,
    )
    .await;
    (id, rid, m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_invoke_runs_the_current_definition_with_the_callers_request() {
    common::init();
    let t = TestGateway::start().await;
    let (id, _rid, m) = api(&t).await;

    // Nothing is deployed, no API key is sent: the test runs anyway, as on AWS.
    let out = call(
        &t,
        Method::POST,
        &m,
        &json!({
            "pathWithQueryString": "/items/42?q=blue",
            "headers": {"x-h": "hv", "Content-Type": "application/json"},
            "stageVariables": {"env": "dev"}
        }),
        200,
    )
    .await;
    assert_eq!(out["status"], 200, "{out}");
    let body: Value = serde_json::from_str(out["body"].as_str().expect("body")).expect("json");
    assert_eq!(
        body,
        json!({"id": "42", "q": "blue", "h": "hv", "env": "dev", "stage": "test-invoke-stage"})
    );
    assert_eq!(out["headers"]["x-item"], "one");
    assert_eq!(out["multiValueHeaders"]["x-item"], json!(["one"]));
    assert!(out["latency"].as_i64().is_some_and(|l| l >= 0), "{out}");
    let log = out["log"].as_str().expect("log");
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].starts_with("Execution log for request "), "{log}");
    let messages: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split_once(" : ").map_or("", |(_, m)| m))
        .collect();
    for want in [
        "HTTP Method: GET, Resource Path: /items/42",
        "Method request path: {id=42}",
        "Method request query string: {q=blue}",
        "Successfully completed execution",
        "Method completed with status: 200",
    ] {
        assert!(messages.contains(&want), "{want:?} missing from\n{log}");
    }
    // Every line is stamped the AWS way: `Sun Nov 22 08:00:00 UTC 2026 : ...`.
    let stamp = lines[1].split_once(" : ").expect("stamp").0;
    assert_eq!(stamp.len(), "Sun Nov 22 08:00:00 UTC 2026".len(), "{stamp}");
    assert!(stamp.contains(" UTC "), "{stamp}");
    // Data trace is on for tests: the request headers are in the log.
    assert!(
        messages
            .iter()
            .any(|l| l.starts_with("Method request headers: {") && l.contains("x-h=hv")),
        "{log}"
    );

    // Deploy, then change the template: the stage keeps the deployed one, a test sees the new.
    call(
        &t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        &json!({"stageName": "prod"}),
        201,
    )
    .await;
    call(
        &t,
        Method::PATCH,
        &format!("{m}/integration/responses/200"),
        &json!({"patchOperations": [{"op": "replace", "path": "/responseTemplates/application~1json", "value": "changed"}]}),
        200,
    )
    .await;
    let out = call(
        &t,
        Method::POST,
        &m,
        &json!({"pathWithQueryString": "/items/1"}),
        200,
    )
    .await;
    assert_eq!(out["body"], "changed");
    let deployed = t
        .client
        .get(t.url(&id, "prod", "/items/1"))
        .send()
        .await
        .expect("invoke");
    // The deployed method still requires its API key.
    assert_eq!(deployed.status().as_u16(), 403);

    // A test is not traffic: no metrics series for the test stage.
    let prom = t
        .client
        .get(format!("{}/metrics", t.base()))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(!prom.contains("test-invoke-stage"), "{prom}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_invoke_validates_and_reaches_http_backends_through_stage_variables() {
    common::init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let api = call(&t, Method::POST, "/restapis", &json!({"name": "ti2"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let m = format!("/restapis/{id}/resources/{root}/methods/POST");
    call(
        &t,
        Method::POST,
        &format!("/restapis/{id}/models"),
        &json!({"name": "Pet", "contentType": "application/json",
                "schema": "{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"type\":\"string\"}}}"}),
        201,
    )
    .await;
    let v = call(
        &t,
        Method::POST,
        &format!("/restapis/{id}/requestvalidators"),
        &json!({"name": "body", "validateRequestBody": true}),
        201,
    )
    .await;
    call(
        &t,
        Method::PUT,
        &m,
        &json!({"authorizationType": "NONE", "requestValidatorId": v["id"],
                "requestModels": {"application/json": "Pet"}}),
        201,
    )
    .await;
    call(
        &t,
        Method::PUT,
        &format!("{m}/integration"),
        &json!({"type": "HTTP_PROXY", "httpMethod": "POST",
                "uri": "http://127.0.0.1:${stageVariables.port}/pets"}),
        201,
    )
    .await;
    let request = |body: &str| {
        json!({"body": body, "headers": {"content-type": "application/json"},
               "stageVariables": {"port": backend.port().to_string()}})
    };
    let out = call(&t, Method::POST, &m, &request("{\"name\":\"rex\"}"), 200).await;
    assert_eq!(out["status"], 200, "{out}");
    let echoed: Value = serde_json::from_str(out["body"].as_str().expect("body")).expect("json");
    assert_eq!(echoed["method"], "POST");
    assert_eq!(echoed["uri"], "/pets");
    let log = out["log"].as_str().expect("log");
    assert!(
        log.contains(&format!(
            " : Endpoint request URI: http://127.0.0.1:{}/pets",
            backend.port()
        )),
        "{log}"
    );

    // Validation runs in a test: a body without `name` is refused before the backend.
    let out = call(&t, Method::POST, &m, &request("{}"), 200).await;
    assert_eq!(out["status"], 400, "{out}");
    assert_eq!(out["body"], r#"{"message":"Invalid request body"}"#);
    assert!(
        !out["log"]
            .as_str()
            .unwrap_or("")
            .contains("Endpoint request URI")
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_invoke_refuses_bad_input_with_aws_exceptions() {
    common::init();
    let t = TestGateway::start().await;
    let (id, rid, m) = api(&t).await;
    let cases: [(String, String, u16, &str, &str); 6] = [
        (
            format!("/restapis/{id}/resources/{rid}/methods/PUT"),
            "{}".into(),
            404,
            "NotFoundException",
            "Invalid Method identifier specified",
        ),
        (
            format!("/restapis/{id}/resources/nope/methods/GET"),
            "{}".into(),
            404,
            "NotFoundException",
            "Invalid Resource identifier specified",
        ),
        // A path leading elsewhere (`/other/1`) is not refused: AWS runs the method without
        // path parameters (tests/fixtures/aws_recorded/test_invoke.json, AWS-recorded).
        (
            m.clone(),
            json!({"pathWithQueryString": "items/1"}).to_string(),
            400,
            "BadRequestException",
            "it must start with /",
        ),
        (
            m.clone(),
            json!({"stageVariables": {"bad-name": "x"}}).to_string(),
            400,
            "BadRequestException",
            "Stage variable name 'bad-name'",
        ),
        (
            m.clone(),
            json!({"headers": {"bad name": "x"}}).to_string(),
            400,
            "BadRequestException",
            "Invalid header name: bad name",
        ),
        (
            m.clone(),
            "{not json".into(),
            400,
            "BadRequestException",
            "Could not parse request body into json",
        ),
    ];
    for (path, body, status, kind, message) in cases {
        let (got, got_kind, json) =
            mgmt(&t.client, &t.base(), Method::POST, &path, Some(&body)).await;
        assert_eq!(got, status, "{path} {body}: {json}");
        assert_eq!(got_kind.as_deref(), Some(kind), "{path} {body}");
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{path} {body}: {json}"
        );
    }

    // A method without an integration cannot be tested.
    let bare = format!("/restapis/{id}/resources/{rid}/methods/DELETE");
    call(
        &t,
        Method::PUT,
        &bare,
        &json!({"authorizationType": "NONE"}),
        201,
    )
    .await;
    // (With `{}` as the AWS CLI sends it: a body-less POST without a Content-Type is refused.)
    let (status, kind, json) = mgmt(&t.client, &t.base(), Method::POST, &bare, Some("{}")).await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException"))
    );
    assert_eq!(json["message"], "No integration defined for method");
    t.stop().await;
}

/// The console's engine backend builds the request path from the sample (path values,
/// query) and hands the rest to TestInvokeMethod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_backend_tests_a_method_with_its_sample_request() {
    use gwtui::tui::backend::Backend;
    use gwtui::tui::sample::SampleRequest;
    common::init();
    let t = TestGateway::start().await;
    let (id, rid, _m) = api(&t).await;
    let backend = gwtui::tui::gateway::GatewayBackend::new(
        t.gw.clone(),
        t.addr,
        std::sync::Arc::new(gwtui::loadgen::Traffic::default()),
    );
    let sample = SampleRequest::parse(
        r#"{"body": {}, "headers": {"x-h": "from-console"}, "querystring": {"q": "a b"},
            "path": {"id": "7"}, "stageVariables": {"env": "qa"}}"#,
    )
    .expect("sample");
    let out = backend
        .test_invoke(id.clone(), rid.clone(), "GET".into(), sample)
        .await
        .expect("test invoke");
    assert_eq!(out.status, 200, "{out:?}");
    let body: Value = serde_json::from_str(&out.body).expect("json");
    assert_eq!(
        body,
        json!({"id": "7", "q": "a b", "h": "from-console", "env": "qa", "stage": "test-invoke-stage"})
    );
    assert!(
        out.log.contains(" : Method request path: {id=7}"),
        "{}",
        out.log
    );
    let refused = backend
        .test_invoke(id, rid, "PATCH".into(), SampleRequest::default())
        .await;
    assert_eq!(
        refused,
        Err("Invalid Method identifier specified".to_string())
    );
    t.stop().await;
}
