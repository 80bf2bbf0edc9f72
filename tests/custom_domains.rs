//! Custom domain names over loopback: CRUD of domains and base path mappings with AWS's
//! errors, routing by `Host` and the longest base path (with `(none)`, stage-less and
//! wildcard mappings), `$context.customDomain.basePathMatched`, 403 for an unmapped path,
//! and everything back after a restart.

mod common;
mod mgmt_support;

use common::TestGateway;
use mgmt_support::mgmt;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(t: &TestGateway, method: Method, path: &str, body: Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, &body, want).await
}

/// An API whose `GET /pets` echoes where the request landed, deployed to `prod` and `beta`.
async fn api(t: &TestGateway) -> String {
    let api = call(t, Method::POST, "/restapis", json!({"name": "dom"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let root = api["rootResourceId"].as_str().expect("root").to_string();
    let pets = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        json!({"pathPart": "pets"}),
        201,
    )
    .await;
    let m = format!(
        "/restapis/{id}/resources/{}/methods/GET",
        pets["id"].as_str().expect("pets id")
    );
    mgmt_support::put_mock_method(&t.client, &t.base(), &m).await;
    call(
        t,
        Method::PUT,
        &format!("{m}/responses/200"),
        json!({}),
        201,
    )
    .await;
    let template =
        "$context.stage $context.customDomain.basePathMatched $context.path $context.domainName";
    call(
        t,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        json!({"selectionPattern": "", "responseTemplates": {"application/json": template}}),
        201,
    )
    .await;
    for stage in ["prod", "beta"] {
        call(
            t,
            Method::POST,
            &format!("/restapis/{id}/deployments"),
            json!({"stageName": stage}),
            201,
        )
        .await;
    }
    id
}

async fn get(t: &TestGateway, host: &str, path: &str) -> (u16, String) {
    let resp = t
        .client
        .get(format!("{}{path}", t.base()))
        .header("host", host)
        .send()
        .await
        .expect("invoke");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_on_a_custom_domain_follow_its_base_path_mappings() {
    common::init();
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let domain = call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "API.example.com", "regionalCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
               "endpointConfiguration": {"types": ["REGIONAL"]}}),
        201,
    )
    .await;
    assert_eq!(domain["domainName"], "api.example.com");
    assert_eq!(domain["domainNameStatus"], "AVAILABLE");
    assert!(
        domain["regionalDomainName"]
            .as_str()
            .is_some_and(|d| d.ends_with(".execute-api.us-east-1.amazonaws.com")),
        "{domain}"
    );
    let maps = "/domainnames/api.example.com/basepathmappings";
    let none = call(
        &t,
        Method::POST,
        maps,
        json!({"restApiId": id, "stage": "prod"}),
        201,
    )
    .await;
    assert_eq!(
        none,
        json!({"basePath": "(none)", "restApiId": id, "stage": "prod"})
    );
    // A multi-level base path is an apigatewayv2 API mapping; AWS's v1 refuses it with this
    // message (quoted from real AWS answers in terraform-provider-aws#21986 and
    // aws/chalice#1897).
    let refused = call(
        &t,
        Method::POST,
        maps,
        json!({"basePath": "v1/beta", "restApiId": id, "stage": "beta"}),
        400,
    )
    .await;
    assert_eq!(
        refused["message"],
        "API Gateway V1 doesn't support the slash character (/) in base path mappings. To create a multi-level base path mapping, use API Gateway V2."
    );
    call(
        &t,
        Method::POST,
        "/v2/domainnames/api.example.com/apimappings",
        json!({"apiMappingKey": "v1/beta", "apiId": id, "stage": "beta"}),
        201,
    )
    .await;
    // "(none)" as the stage is AWS's way of saying: the caller names the stage.
    let stageless = call(
        &t,
        Method::POST,
        maps,
        json!({"basePath": "v2", "restApiId": id, "stage": "(none)"}),
        201,
    )
    .await;
    assert_eq!(stageless, json!({"basePath": "v2", "restApiId": id}));

    let host = format!("api.example.com:{}", t.addr.port());
    assert_eq!(
        get(&t, &host, "/pets").await,
        (200, format!("prod (none) /pets {host}"))
    );
    assert_eq!(
        get(&t, &host, "/v1/beta/pets").await,
        (200, format!("beta v1/beta /v1/beta/pets {host}"))
    );
    // A stage-less mapping takes the stage from the next segment.
    assert_eq!(
        get(&t, &host, "/v2/beta/pets").await,
        (200, format!("beta v2 /v2/beta/pets {host}"))
    );
    assert_eq!(get(&t, &host, "/v2/nope/pets").await.0, 403);
    // The name is matched without case and port.
    assert_eq!(get(&t, "API.Example.COM", "/pets").await.0, 200);

    // Get one mapping (botocore sends the base path percent-encoded), list, rename one.
    let got = call(
        &t,
        Method::GET,
        &format!("{maps}/v1%2Fbeta"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(got["stage"], "beta");
    let listed = call(&t, Method::GET, maps, Value::Null, 200).await;
    assert_eq!(listed["item"].as_array().map(Vec::len), Some(3));
    call(
        &t,
        Method::PATCH,
        &format!("{maps}/v1%2Fbeta"),
        json!({"patchOperations": [{"op": "replace", "path": "/basePath", "value": "beta"}]}),
        200,
    )
    .await;
    assert_eq!(get(&t, &host, "/beta/pets").await.0, 200);
    // The old base path now falls through to (none): prod has no /v1/beta/pets route.
    let (status, body) = get(&t, &host, "/v1/beta/pets").await;
    assert_eq!(
        (status, body.as_str()),
        (403, r#"{"message":"Missing Authentication Token"}"#)
    );

    // Without a (none) mapping a path that matches no base path is Forbidden.
    call(
        &t,
        Method::DELETE,
        &format!("{maps}/(none)"),
        Value::Null,
        202,
    )
    .await;
    let (status, body) = get(&t, &host, "/pets").await;
    assert_eq!((status, body.as_str()), (403, r#"{"message":"Forbidden"}"#));

    // Everything comes back after a restart.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    let host = format!("api.example.com:{}", t.addr.port());
    assert_eq!(
        get(&t, &host, "/beta/pets").await,
        (200, format!("beta beta /beta/pets {host}"))
    );
    let listed = call(&t, Method::GET, "/domainnames", Value::Null, 200).await;
    assert_eq!(listed["item"][0]["domainName"], "api.example.com");

    // The API cannot be deleted while the domain maps to it.
    let (status, kind, json) = mgmt(
        &t.client,
        &t.base(),
        Method::DELETE,
        &format!("/restapis/{id}"),
        None,
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException")),
        "{json}"
    );
    assert!(
        json["message"]
            .as_str()
            .is_some_and(|m| m.contains("api.example.com")),
        "{json}"
    );

    // Deleting the domain takes its mappings with it.
    call(
        &t,
        Method::DELETE,
        "/domainnames/api.example.com",
        Value::Null,
        202,
    )
    .await;
    let (status, _) = get(&t, &host, "/beta/pets").await;
    assert_ne!(status, 200);
    // …and then the API can go.
    call(
        &t,
        Method::DELETE,
        &format!("/restapis/{id}"),
        Value::Null,
        202,
    )
    .await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wildcard_domains_and_bad_input() {
    common::init();
    let t = TestGateway::start().await;
    let id = api(&t).await;
    call(
        &t,
        Method::POST,
        "/domainnames",
        json!({"domainName": "*.wild.example.com"}),
        201,
    )
    .await;
    call(
        &t,
        Method::POST,
        "/domainnames/*.wild.example.com/basepathmappings",
        json!({"restApiId": id, "stage": "prod", "basePath": "/"}),
        201,
    )
    .await;
    assert_eq!(
        get(&t, "tenant1.wild.example.com", "/pets").await,
        (
            200,
            "prod (none) /pets tenant1.wild.example.com".to_string()
        )
    );
    // The console sees the mapping with its API.
    {
        use gwtui::tui::backend::Backend;
        let backend = gwtui::tui::gateway::GatewayBackend::new(
            t.gw.clone(),
            t.addr,
            std::sync::Arc::new(gwtui::loadgen::Traffic::default()),
        );
        let apis = backend.list_apis().await.expect("list apis");
        let summary = apis
            .iter()
            .find(|a| a.definition.rest_api.id == id)
            .expect("the API");
        assert_eq!(summary.domains.len(), 1);
        assert_eq!(summary.domains[0].0, "*.wild.example.com");
        assert_eq!(summary.domains[0].1.stage.as_deref(), Some("prod"));
    }

    let cases: [(Method, &str, Value, u16, &str, &str); 8] = [
        (
            Method::POST,
            "/domainnames",
            json!({"domainName": "no_dots"}),
            400,
            "BadRequestException",
            "Invalid domain name identifier specified",
        ),
        (
            Method::POST,
            "/domainnames",
            json!({"domainName": "*.wild.example.com"}),
            409,
            "ConflictException",
            "already exists",
        ),
        (
            Method::POST,
            "/domainnames",
            json!({"domainName": "a.example.com", "endpointConfiguration": {"types": ["PRIVATE"]}}),
            400,
            "BadRequestException",
            "Invalid endpoint type",
        ),
        (
            Method::POST,
            "/domainnames/nope.example.com/basepathmappings",
            json!({"restApiId": id}),
            404,
            "NotFoundException",
            "Invalid domain name identifier specified",
        ),
        (
            Method::POST,
            "/domainnames/*.wild.example.com/basepathmappings",
            json!({"restApiId": "nope", "basePath": "x"}),
            400,
            "BadRequestException",
            "Invalid REST API identifier specified",
        ),
        (
            Method::POST,
            "/domainnames/*.wild.example.com/basepathmappings",
            json!({"restApiId": id, "basePath": "x", "stage": "gamma"}),
            400,
            "BadRequestException",
            "Invalid stage identifier specified",
        ),
        (
            Method::POST,
            "/domainnames/*.wild.example.com/basepathmappings",
            json!({"restApiId": id, "basePath": "(none)"}),
            409,
            "ConflictException",
            "Base path already exists",
        ),
        (
            Method::GET,
            "/domainnames/*.wild.example.com/basepathmappings/v9",
            Value::Null,
            404,
            "NotFoundException",
            "Invalid base path mapping identifier specified",
        ),
    ];
    for (method, path, body, status, kind, message) in cases {
        let text = body.to_string();
        let body = (!body.is_null()).then_some(text.as_str());
        let (got, got_kind, json) = mgmt(&t.client, &t.base(), method, path, body).await;
        assert_eq!(got, status, "{path} {body:?}: {json}");
        assert_eq!(got_kind.as_deref(), Some(kind), "{path}");
        assert!(
            json["message"]
                .as_str()
                .is_some_and(|m| m.contains(message)),
            "{path}: {json}"
        );
    }
    t.stop().await;
}
