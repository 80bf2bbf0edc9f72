//! HTTP APIs (v2) over loopback: routing priority, `$default` stage and route, JWT
//! authorizer cases, built-in CORS, parameter mapping, throttling, access logs and metrics,
//! malformed management input (nothing stored), and the 10 MB limit.

mod common;
mod http_api_support;

use common::{TestGateway, init};
use http_api_support::{
    echo_backend, invoke, issuer, issuer_counting, now, text, token, v2, v2_ok,
};
use reqwest::Method;
use serde_json::{Value, json};

async fn api(t: &TestGateway, body: Value) -> String {
    v2_ok(t, Method::POST, "/apis", Some(body), 201).await["apiId"]
        .as_str()
        .expect("apiId")
        .to_string()
}

async fn http_integration(t: &TestGateway, api: &str, uri: &str, extra: Value) -> String {
    let mut body =
        json!({"integrationType": "HTTP_PROXY", "integrationUri": uri, "integrationMethod": "ANY"});
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/integrations"),
        Some(body),
        201,
    )
    .await["integrationId"]
        .as_str()
        .expect("integrationId")
        .to_string()
}

async fn route(t: &TestGateway, api: &str, key: &str, integration: &str, extra: Value) -> Value {
    let mut body = json!({"routeKey": key, "target": format!("integrations/{integration}")});
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/routes"),
        Some(body),
        201,
    )
    .await
}

async fn auto_stage(t: &TestGateway, api: &str, name: &str, extra: Value) {
    let mut body = json!({"stageName": name, "autoDeploy": true});
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    v2_ok(
        t,
        Method::POST,
        &format!("/apis/{api}/stages"),
        Some(body),
        201,
    )
    .await;
}

async fn get_json(t: &TestGateway, api: &str, method: Method, path: &str) -> (u16, Value) {
    let (status, _, body) = text(invoke(t, api, method, path)).await;
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_are_picked_by_priority_and_default_catches_the_rest() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let id = api(&t, json!({"name": "prio", "protocolType": "HTTP"})).await;
    let mut by_key = Vec::new();
    for (key, tag) in [
        ("GET /pets/{id}", "param"),
        ("GET /pets/dog", "literal"),
        ("ANY /pets/{id}", "any-param"),
        ("GET /pets/{proxy+}", "greedy-get"),
        ("ANY /{proxy+}", "greedy-any"),
        ("$default", "default"),
    ] {
        let i = http_integration(&t, &id, &format!("http://{backend}/{tag}"), json!({})).await;
        route(&t, &id, key, &i, json!({})).await;
        by_key.push((key, tag));
    }
    auto_stage(&t, &id, "$default", json!({})).await;
    for (method, path, want) in [
        (Method::GET, "/pets/dog", "/literal"),
        (Method::GET, "/pets/7", "/param"),
        (Method::POST, "/pets/7", "/any-param"),
        (Method::GET, "/pets/7/toys", "/greedy-get"),
        (Method::DELETE, "/anything/else", "/greedy-any"),
        (Method::GET, "/", "/default/"),
    ] {
        let (status, body) = get_json(&t, &id, method.clone(), path).await;
        assert_eq!(status, 200, "{method} {path}: {body}");
        assert_eq!(body["uri"], want, "{method} {path}");
    }
    // Without a $default route nothing catches the root: 404 {"message":"Not Found"}.
    let only = api(&t, json!({"name": "only", "protocolType": "HTTP"})).await;
    let i = http_integration(&t, &only, &format!("http://{backend}/x"), json!({})).await;
    route(&t, &only, "GET /x", &i, json!({})).await;
    auto_stage(&t, &only, "$default", json!({})).await;
    let (status, headers, body) = text(invoke(&t, &only, Method::GET, "/nope")).await;
    assert_eq!((status, body.as_str()), (404, r#"{"message":"Not Found"}"#));
    assert!(headers.contains_key("apigw-requestid"));
    let (status, _, body) = text(invoke(&t, &only, Method::POST, "/x")).await;
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"message":"Not Found"}"#),
        "verb mismatch"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn named_and_default_stages_host_and_path_style() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let id = api(&t, json!({"name": "stages", "protocolType": "HTTP"})).await;
    let i = http_integration(&t, &id, &format!("http://{backend}"), json!({})).await;
    route(&t, &id, "$default", &i, json!({})).await;
    auto_stage(&t, &id, "$default", json!({})).await;
    auto_stage(&t, &id, "prod", json!({"stageVariables": {"v": "1"}})).await;
    // The first segment names a stage when one has that name; else $default takes the path.
    let (_, body) = get_json(&t, &id, Method::GET, "/prod/a/b?q=1").await;
    assert_eq!(body["uri"], "/a/b?q=1");
    let (_, body) = get_json(&t, &id, Method::GET, "/other/a").await;
    assert_eq!(body["uri"], "/other/a");
    // Path style: $default written literally.
    let url = format!("{}/restapis/{id}/$default/_user_request_/z", t.base());
    let r = t.client.get(url).send().await.expect("path style");
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["uri"], "/z");
    // disableExecuteApiEndpoint: the default endpoint answers 403.
    v2_ok(
        &t,
        Method::PATCH,
        &format!("/apis/{id}"),
        Some(json!({"disableExecuteApiEndpoint": true})),
        200,
    )
    .await;
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/a")).await;
    assert_eq!((status, body.as_str()), (403, r#"{"message":"Forbidden"}"#));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwt_authorizer_cases() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let iss = issuer().await;
    let id = api(&t, json!({"name": "jwt", "protocolType": "HTTP"})).await;
    let authorizer = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{id}/authorizers"),
        Some(json!({"name": "oidc", "authorizerType": "JWT", "identitySource": ["$request.header.Authorization"],
                    "jwtConfiguration": {"issuer": iss, "audience": ["app-client"]}})),
        201,
    )
    .await["authorizerId"]
        .as_str()
        .expect("authorizerId")
        .to_string();
    let i = http_integration(&t, &id, &format!("http://{backend}"), json!({})).await;
    let jwt = json!({"authorizationType": "JWT", "authorizerId": authorizer});
    route(&t, &id, "GET /open", &i, jwt.clone()).await;
    let mut scoped = jwt.clone();
    scoped["authorizationScopes"] = json!(["pets:write"]);
    route(&t, &id, "POST /open", &i, scoped).await;
    auto_stage(&t, &id, "$default", json!({})).await;

    let claims = |extra: Value| {
        let mut c = json!({"iss": iss, "sub": "u1", "aud": "app-client", "exp": now() + 600, "iat": now() - 5, "scope": "pets:read"});
        if let (Value::Object(c), Value::Object(e)) = (&mut c, extra) {
            c.extend(e);
        }
        c
    };
    let call = |method: Method, tok: Option<String>| {
        let mut r = invoke(&t, &id, method, "/open");
        if let Some(tok) = tok {
            r = r.header("authorization", format!("Bearer {tok}"));
        }
        text(r)
    };
    let good = token("rsa-1", "rsa_private_pkcs1.der", &claims(json!({})));
    let (status, _, _) = call(Method::GET, Some(good.clone())).await;
    assert_eq!(status, 200, "valid token");
    // client_id instead of aud.
    let mut c = claims(json!({"client_id": "app-client"}));
    c.as_object_mut().expect("object").remove("aud");
    let (status, _, _) = call(
        Method::GET,
        Some(token("rsa-1", "rsa_private_pkcs1.der", &c)),
    )
    .await;
    assert_eq!(status, 200, "client_id");
    let cases = [
        (
            "bad signature",
            token("rsa-1", "other_rsa_private_pkcs1.der", &claims(json!({}))),
        ),
        (
            "wrong audience",
            token(
                "rsa-1",
                "rsa_private_pkcs1.der",
                &claims(json!({"aud": "someone-else"})),
            ),
        ),
        (
            "expired",
            token(
                "rsa-1",
                "rsa_private_pkcs1.der",
                &claims(json!({"exp": now() - 10})),
            ),
        ),
        (
            "wrong issuer",
            token(
                "rsa-1",
                "rsa_private_pkcs1.der",
                &claims(json!({"iss": "https://evil.example"})),
            ),
        ),
        (
            "unknown kid",
            token("nope", "rsa_private_pkcs1.der", &claims(json!({}))),
        ),
        (
            "not yet valid",
            token(
                "rsa-1",
                "rsa_private_pkcs1.der",
                &claims(json!({"nbf": now() + 600})),
            ),
        ),
    ];
    for (what, tok) in cases {
        let (status, headers, body) = call(Method::GET, Some(tok)).await;
        assert_eq!(
            (status, body.as_str()),
            (401, r#"{"message":"Unauthorized"}"#),
            "{what}"
        );
        let www = headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            www.starts_with("Bearer ") && www.contains("error=\"invalid_token\""),
            "{what}: {www}"
        );
    }
    let (status, _, body) = call(Method::GET, None).await;
    assert_eq!(
        (status, body.as_str()),
        (401, r#"{"message":"Unauthorized"}"#),
        "no token"
    );
    // Missing scope: 403 with insufficient_scope; the scope present: through.
    let (status, headers, body) = call(Method::POST, Some(good)).await;
    assert_eq!((status, body.as_str()), (403, r#"{"message":"Forbidden"}"#));
    assert!(
        headers["www-authenticate"]
            .to_str()
            .expect("ascii")
            .contains("insufficient_scope")
    );
    let writer = token(
        "rsa-1",
        "rsa_private_pkcs1.der",
        &claims(json!({"scope": "pets:read pets:write"})),
    );
    let (status, _, _) = call(Method::POST, Some(writer)).await;
    assert_eq!(status, 200, "scope present");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_response_headers() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let id = api(
        &t,
        json!({"name": "cors", "protocolType": "HTTP", "corsConfiguration": {
            "allowOrigins": ["https://app.example"], "allowMethods": ["GET", "POST"],
            "allowHeaders": ["content-type", "authorization"], "exposeHeaders": ["x-backend"],
            "maxAge": 600, "allowCredentials": true}}),
    )
    .await;
    let i = http_integration(&t, &id, &format!("http://{backend}"), json!({})).await;
    route(&t, &id, "GET /items", &i, json!({})).await;
    auto_stage(&t, &id, "$default", json!({})).await;
    // A browser's preflight: no OPTIONS route exists, the gateway answers.
    let (status, h, body) = text(
        invoke(&t, &id, Method::OPTIONS, "/items")
            .header("origin", "https://app.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type"),
    )
    .await;
    assert_eq!((status, body.as_str()), (204, ""));
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["access-control-allow-methods"], "GET,POST");
    assert_eq!(
        h["access-control-allow-headers"],
        "content-type,authorization"
    );
    assert_eq!(h["access-control-max-age"], "600");
    assert_eq!(h["access-control-allow-credentials"], "true");
    // A simple request: the gateway's headers replace the backend's.
    let (status, h, _) =
        text(invoke(&t, &id, Method::GET, "/items").header("origin", "https://app.example")).await;
    assert_eq!(status, 200);
    assert_eq!(h["access-control-allow-origin"], "https://app.example");
    assert_eq!(h["access-control-expose-headers"], "x-backend");
    // Another origin gets no CORS headers (and not the backend's either).
    let (_, h, _) =
        text(invoke(&t, &id, Method::GET, "/items").header("origin", "https://evil.example")).await;
    assert!(!h.contains_key("access-control-allow-origin"));
    // DeleteCorsConfiguration: auto-deployed, the backend's header comes through again.
    v2_ok(&t, Method::DELETE, &format!("/apis/{id}/cors"), None, 204).await;
    let (_, h, _) =
        text(invoke(&t, &id, Method::GET, "/items").header("origin", "https://app.example")).await;
    assert_eq!(
        h["access-control-allow-origin"],
        "https://backend-says.example"
    );
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_mapping_rewrites_requests_and_responses() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let id = api(&t, json!({"name": "map", "protocolType": "HTTP"})).await;
    let i = http_integration(
        &t,
        &id,
        &format!("http://{backend}/base/{{id}}"),
        json!({
            "requestParameters": {
                "append:header.x-trace": "from-gateway",
                "overwrite:header.x-user": "$request.header.x-client",
                "remove:header.x-secret": "''",
                "overwrite:querystring.stage": "$context.stage",
                "append:querystring.tag": "${stageVariables.tag}",
                "remove:querystring.drop": "''",
                "overwrite:header.x-body-name": "$request.body.pet.name",
                "overwrite:header.x-path-id": "id-$request.path.id"
            },
            "responseParameters": {
                "200": {"append:header.x-mapped": "yes", "overwrite:header.x-from-backend": "$response.header.x-backend"},
                "404": {"overwrite:statuscode": "410"}
            }
        }),
    )
    .await;
    route(&t, &id, "POST /pets/{id}", &i, json!({})).await;
    let rewrite = http_integration(
        &t,
        &id,
        &format!("http://{backend}/ignored"),
        json!({"requestParameters": {"overwrite:path": "/missing"}, "responseParameters": {"404": {"overwrite:statuscode": "410"}}}),
    )
    .await;
    route(&t, &id, "GET /gone", &rewrite, json!({})).await;
    auto_stage(
        &t,
        &id,
        "$default",
        json!({"stageVariables": {"tag": "blue"}}),
    )
    .await;
    let (status, h, body) = text(
        invoke(&t, &id, Method::POST, "/pets/7?drop=1&keep=2")
            .header("x-client", "alice")
            .header("x-secret", "s3cr3t")
            .header("x-trace", "client")
            .header("content-type", "application/json")
            .body(r#"{"pet":{"name":"rex"}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let echoed: Value = serde_json::from_str(&body).expect("json");
    let uri = echoed["uri"].as_str().expect("uri");
    assert!(uri.starts_with("/base/7?"), "{uri}");
    assert!(
        uri.contains("keep=2") && uri.contains("stage=%24default") && uri.contains("tag=blue"),
        "{uri}"
    );
    assert!(!uri.contains("drop="), "{uri}");
    let hs = &echoed["headers"];
    assert_eq!(hs["x-trace"], "client,from-gateway");
    assert_eq!(hs["x-user"], "alice");
    assert_eq!(hs["x-secret"], Value::Null);
    assert_eq!(hs["x-body-name"], "rex");
    assert_eq!(hs["x-path-id"], "id-7");
    assert!(
        hs["forwarded"]
            .as_str()
            .expect("forwarded")
            .contains("for=127.0.0.1")
    );
    assert_eq!(h["x-mapped"], "yes");
    assert_eq!(h["x-from-backend"], "echo");
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/gone")).await;
    assert_eq!(status, 410, "{body}");
    let echoed: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(echoed["uri"], "/missing");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_management_input_is_refused_and_nothing_is_stored() {
    init();
    let t = TestGateway::start().await;
    let (status, kind, _) = v2(
        &t,
        Method::POST,
        "/apis",
        Some(json!({"name": "x", "protocolType": "SOAP"})),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException"))
    );
    let (status, kind, body) = v2(&t, Method::POST, "/apis", Some(json!({"name": 5}))).await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException")),
        "{body}"
    );
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .starts_with("Invalid request body")
    );
    let id = api(&t, json!({"name": "bad", "protocolType": "HTTP"})).await;
    let base = format!("/apis/{id}");
    let lambda = "arn:aws:lambda:us-east-1:123456789012:function:f";
    for (path, body) in [
        ("/routes", json!({"routeKey": "GET pets"})),
        ("/routes", json!({"routeKey": "FETCH /pets"})),
        ("/routes", json!({"routeKey": "GET /{proxy+}/x"})),
        (
            "/routes",
            json!({"routeKey": "GET /a", "target": "integrations/nope"}),
        ),
        (
            "/routes",
            json!({"routeKey": "GET /a", "authorizationType": "JWT"}),
        ),
        (
            "/integrations",
            json!({"integrationType": "AWS_PROXY", "integrationUri": lambda, "payloadFormatVersion": "3.0"}),
        ),
        (
            "/integrations",
            json!({"integrationType": "AWS_PROXY", "integrationUri": lambda}),
        ),
        ("/integrations", json!({"integrationType": "MOCK"})),
        (
            "/integrations",
            json!({"integrationType": "HTTP_PROXY", "integrationUri": "ftp://x"}),
        ),
        (
            "/integrations",
            json!({"integrationType": "HTTP_PROXY", "integrationUri": "http://x", "timeoutInMillis": 40000}),
        ),
        (
            "/integrations",
            json!({"integrationType": "HTTP_PROXY", "integrationUri": "http://x", "requestParameters": {"move:header.a": "b"}}),
        ),
        (
            "/integrations",
            json!({"integrationType": "AWS_PROXY", "integrationSubtype": "SQS-SendMessage", "payloadFormatVersion": "1.0"}),
        ),
        (
            "/authorizers",
            json!({"name": "a", "authorizerType": "JWT", "identitySource": ["$request.header.Authorization"]}),
        ),
        (
            "/authorizers",
            json!({"name": "a", "authorizerType": "TOKEN"}),
        ),
        ("/stages", json!({"stageName": "bad name"})),
    ] {
        let (status, kind, answer) = v2(
            &t,
            Method::POST,
            &format!("{base}{path}"),
            Some(body.clone()),
        )
        .await;
        assert_eq!(
            (status, kind.as_deref()),
            (400, Some("BadRequestException")),
            "{path} {body}: {answer}"
        );
    }
    let (_, _, answer) = v2(&t, Method::POST, &format!("{base}/integrations"),
        Some(json!({"integrationType": "AWS_PROXY", "integrationSubtype": "SQS-SendMessage", "payloadFormatVersion": "1.0"}))).await;
    assert!(
        answer["message"]
            .as_str()
            .expect("message")
            .contains("Missing required request parameter QueueUrl"),
        "{answer}"
    );
    for kind in [
        "routes",
        "integrations",
        "authorizers",
        "stages",
        "deployments",
    ] {
        let list = v2_ok(&t, Method::GET, &format!("{base}/{kind}"), None, 200).await;
        assert_eq!(list["items"], json!([]), "{kind} must stay empty");
    }
    // Unknown ids: NotFoundException.
    let (status, kind, body) = v2(&t, Method::GET, "/apis/nope", None).await;
    assert_eq!((status, kind.as_deref()), (404, Some("NotFoundException")));
    assert_eq!(
        body["message"],
        "Invalid API identifier specified 123456789012:nope"
    );
    let (status, kind, _) = v2(&t, Method::GET, &format!("{base}/routes/nope"), None).await;
    assert_eq!((status, kind.as_deref()), (404, Some("NotFoundException")));
    // Deploying with no routes.
    let (status, _, body) = v2(
        &t,
        Method::POST,
        &format!("{base}/deployments"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // Still nothing after a restart.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    let list = v2_ok(&t, Method::GET, &format!("{base}/routes"), None, 200).await;
    assert_eq!(list["items"], json!([]));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payload_limit_throttling_logs_and_metrics() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let id = api(&t, json!({"name": "limits", "protocolType": "HTTP"})).await;
    let i = http_integration(&t, &id, &format!("http://{backend}"), json!({})).await;
    route(&t, &id, "POST /up", &i, json!({})).await;
    route(&t, &id, "GET /slow", &i, json!({})).await;
    auto_stage(
        &t,
        &id,
        "$default",
        json!({"routeSettings": {"GET /slow": {"throttlingBurstLimit": 2, "throttlingRateLimit": 0.001}},
               "accessLogSettings": {"format": "$context.requestId $context.routeKey $context.status $context.httpMethod $context.path $context.integrationStatus"}}),
    )
    .await;
    // 10 MB + 1 declared: answered before the body is read (over a raw socket, so that the
    // client does not race the early answer with its body write).
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(t.addr)
            .await
            .expect("connect");
        let head = format!(
            "POST /up HTTP/1.1\r\nhost: {id}.execute-api.localhost\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            10 * 1024 * 1024 + 1
        );
        s.write_all(head.as_bytes()).await.expect("write");
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(
            answer.ends_with("HTTP content length exceeded 10485760 bytes."),
            "{answer}"
        );
    }
    let exact = vec![b'a'; 10 * 1024 * 1024];
    let (status, _, body) = text(invoke(&t, &id, Method::POST, "/up").body(exact)).await;
    assert_eq!(status, 200, "exactly 10 MB passes");
    assert!(body.contains("<10485760 bytes>"), "{body}");
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let (status, _, body) = text(invoke(&t, &id, Method::GET, "/slow")).await;
        if status == 429 {
            assert_eq!(body, r#"{"message":"Too Many Requests"}"#);
        }
        statuses.push(status);
    }
    assert_eq!(statuses, vec![200, 200, 429, 429]);
    t.gw.flush_logs().await;
    let log = std::fs::read_to_string(t.gw.access_log_path(
        &id,
        "$default",
        gwtui::engine::Variant::Base,
    ))
    .expect("access log");
    assert!(
        log.lines()
            .any(|l| l.ends_with(" GET /slow 200 GET /slow 200")),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains(" GET /slow 429 GET /slow -")),
        "{log}"
    );
    // Metrics per route in /metrics.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = t
            .client
            .get(format!("{}/metrics", t.base()))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let route_series = text
            .lines()
            .any(|l| l.contains(&id) && l.contains("/slow") && l.contains("GET"));
        // DataProcessed: the 10 MB upload's bytes are counted on its route.
        let data_processed = text.lines().any(|l| {
            l.starts_with("gwtui_data_processed_bytes")
                && l.contains(&id)
                && l.contains("/up")
                && l.rsplit(' ')
                    .next()
                    .and_then(|v| v.parse::<f64>().ok())
                    .is_some_and(|v| v >= 10_485_760.0)
        });
        if route_series && data_processed {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no per-route series in /metrics:\n{text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn iam_routes_and_integration_timeouts() {
    init();
    let t = TestGateway::start().await;
    t.gw.set_iam_credentials(vec![gwtui::engine::IamCredential {
        access_key_id: "AKIDHTTP".into(),
        secret_access_key: "secret-http".into(),
        user: Some("alice".into()),
        session_token: None,
    }]);
    let backend = echo_backend().await;
    // A backend that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_addr = silent.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let id = api(&t, json!({"name": "iam", "protocolType": "HTTP"})).await;
    let i = http_integration(&t, &id, &format!("http://{backend}"), json!({})).await;
    route(
        &t,
        &id,
        "GET /iam",
        &i,
        json!({"authorizationType": "AWS_IAM"}),
    )
    .await;
    let slow = http_integration(
        &t,
        &id,
        &format!("http://{silent_addr}"),
        json!({"timeoutInMillis": 200}),
    )
    .await;
    route(&t, &id, "GET /slow", &slow, json!({})).await;
    auto_stage(&t, &id, "$default", json!({})).await;

    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/iam")).await;
    assert_eq!(
        (status, body.as_str()),
        (403, r#"{"message":"Forbidden"}"#),
        "unsigned"
    );
    let host = format!("{id}.execute-api.localhost:{}", t.addr.port());
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("date");
    let mut headers = http::HeaderMap::new();
    headers.insert("host", host.parse().expect("host"));
    headers.insert("x-amz-date", amz_date.parse().expect("date"));
    let parts = gwtui::auth::sigv4::RequestParts {
        method: "GET",
        path: "/iam",
        query: None,
        headers: &headers,
        authority: None,
        body: b"",
    };
    let sign = |secret: &str| {
        gwtui::auth::sigv4::sign(
            &parts,
            "AKIDHTTP",
            secret,
            "us-east-1",
            "execute-api",
            &["host", "x-amz-date"],
        )
        .expect("sign")
    };
    let (status, _, body) = text(
        invoke(&t, &id, Method::GET, "/iam")
            .header("x-amz-date", &amz_date)
            .header("authorization", sign("secret-http")),
    )
    .await;
    assert_eq!(status, 200, "signed: {body}");
    let (status, _, _) = text(
        invoke(&t, &id, Method::GET, "/iam")
            .header("x-amz-date", &amz_date)
            .header("authorization", sign("wrong")),
    )
    .await;
    assert_eq!(status, 403, "bad signature");

    let started = std::time::Instant::now();
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/slow")).await;
    assert_eq!(
        (status, body.as_str()),
        (503, r#"{"message":"Service Unavailable"}"#)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reimport_replaces_routes_and_keeps_stages() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let id = api(&t, json!({"name": "before", "protocolType": "HTTP"})).await;
    let i = http_integration(&t, &id, &format!("http://{backend}/old"), json!({})).await;
    route(&t, &id, "GET /old", &i, json!({})).await;
    auto_stage(&t, &id, "$default", json!({"stageVariables": {"v": "1"}})).await;
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "after", "version": "2"},
        "paths": {"/new": {"get": {
            "responses": {"default": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "http_proxy", "httpMethod": "GET",
                "uri": format!("http://{backend}/new"), "payloadFormatVersion": "1.0"}}}}
    })
    .to_string();
    let bad = json!({"openapi": "3.0.1", "info": {"title": "x"}, "paths": {"/a": {"get": {
        "x-amazon-apigateway-integration": {"type": "http_proxy", "uri": "ftp://nope"}}}}})
    .to_string();
    let (status, kind, _) = v2(
        &t,
        Method::PUT,
        &format!("/apis/{id}"),
        Some(json!({"body": bad})),
    )
    .await;
    assert_eq!(
        (status, kind.as_deref()),
        (400, Some("BadRequestException"))
    );
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/old")).await;
    assert_eq!(status, 200, "unchanged after a refused reimport: {body}");
    let api = v2_ok(
        &t,
        Method::PUT,
        &format!("/apis/{id}"),
        Some(json!({"body": doc})),
        201,
    )
    .await;
    assert_eq!(
        (api["apiId"].as_str(), api["name"].as_str()),
        (Some(id.as_str()), Some("after"))
    );
    let routes = v2_ok(&t, Method::GET, &format!("/apis/{id}/routes"), None, 200).await;
    assert_eq!(routes["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(routes["items"][0]["routeKey"], "GET /new");
    let (status, _, _) = text(invoke(&t, &id, Method::GET, "/old")).await;
    assert_eq!(status, 404);
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/new")).await;
    assert_eq!(status, 200, "auto-deployed: {body}");
    let stage = v2_ok(
        &t,
        Method::GET,
        &format!("/apis/{id}/stages/$default"),
        None,
        200,
    )
    .await;
    assert_eq!(stage["stageVariables"]["v"], "1");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_fetch_the_key_set_once() {
    init();
    let t = TestGateway::start().await;
    let backend = echo_backend().await;
    let (iss, fetches) = issuer_counting().await;
    let id = api(&t, json!({"name": "flight", "protocolType": "HTTP"})).await;
    let authorizer = v2_ok(
        &t,
        Method::POST,
        &format!("/apis/{id}/authorizers"),
        Some(json!({"name": "oidc", "authorizerType": "JWT", "identitySource": ["$request.header.Authorization"],
                    "jwtConfiguration": {"issuer": iss, "audience": ["a"]}})),
        201,
    )
    .await["authorizerId"]
        .as_str()
        .expect("authorizerId")
        .to_string();
    let i = http_integration(&t, &id, &format!("http://{backend}"), json!({})).await;
    route(
        &t,
        &id,
        "GET /x",
        &i,
        json!({"authorizationType": "JWT", "authorizerId": authorizer}),
    )
    .await;
    auto_stage(&t, &id, "$default", json!({})).await;
    let tok = token(
        "rsa-1",
        "rsa_private_pkcs1.der",
        &json!({"iss": iss, "aud": "a", "exp": now() + 60}),
    );
    let calls = (0..16)
        .map(|_| text(invoke(&t, &id, Method::GET, "/x").header("authorization", tok.clone())));
    for (status, _, body) in futures_util::future::join_all(calls).await {
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(
        fetches.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one key-set fetch"
    );
    t.stop().await;
}
