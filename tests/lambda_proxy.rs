//! Lambda integrations with real worker processes over loopback: ordinary Python and Node.js
//! handlers (tests/fixtures/functions) run through the shipped bootstraps; the AWS_PROXY v1.0
//! event they receive, their responses, warm workers, timeouts, crashes, malformed responses,
//! and the non-proxy (AWS) integration's error selection. Without python3 or node these tests
//! are skipped with a message, or fail when `CI` is set (`common::require_tool`).

mod common;
mod lambda_support;

use std::time::Duration;

use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use gwtui::engine::{FunctionConfig, Runtime};
use lambda_support::{fixture, lambda_uri, local};
use serde_json::{Value, json};

fn api_doc() -> String {
    let proxy = |function: &str, timeout: u32| {
        json!({
            "parameters": [{"name": "proxy", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri(function), "timeoutInMillis": timeout
            }
        })
    };
    json!({
        "openapi": "3.0.1",
        "info": {"title": "lambda", "version": "1"},
        "x-amazon-apigateway-binary-media-types": ["application/octet-stream"],
        "paths": {
            "/py/{proxy+}": {"x-amazon-apigateway-any-method": proxy("py:${stageVariables.alias}", 29000)},
            "/node/{proxy+}": {"x-amazon-apigateway-any-method": proxy("node", 29000)},
            "/slow/{proxy+}": {"x-amazon-apigateway-any-method": proxy("py-slow", 29000)},
            "/short/{proxy+}": {"x-amazon-apigateway-any-method": proxy("py-slow", 300)},
            "/missing/{proxy+}": {"x-amazon-apigateway-any-method": proxy("nope", 29000)},
            "/cb": {"get": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri("node-cb")}
            }},
            "/custom": {"post": {
                "responses": {"200": {"description": "ok"}, "404": {"description": "missing"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws", "httpMethod": "POST", "uri": lambda_uri("py-custom"),
                    "passthroughBehavior": "when_no_templates",
                    "responses": {
                        "default": {"statusCode": "200"},
                        "Not found.*": {"statusCode": "404"}
                    }
                }
            }}
        }
    })
    .to_string()
}

async fn setup(t: &TestGateway) -> String {
    let gw = &t.gw;
    let mut impl_ = local(Runtime::Python3, "python", "app.handler");
    impl_.environment.insert("GREETING".into(), "hello".into());
    impl_.memory = Some(256);
    gw.register_function(&actor(), "py-impl", impl_)
        .await
        .unwrap();
    let mut alias = FunctionConfig::default();
    alias.aliases.insert("live".into(), "py-impl".into());
    gw.register_function(&actor(), "py", alias).await.unwrap();
    let mut slow = local(Runtime::Python3, "python", "app.handler");
    slow.timeout = Some(1);
    gw.register_function(&actor(), "py-slow", slow)
        .await
        .unwrap();
    gw.register_function(
        &actor(),
        "py-custom",
        local(Runtime::Python3, "python", "app.custom"),
    )
    .await
    .unwrap();
    gw.register_function(
        &actor(),
        "node",
        local(Runtime::Node, "node", "index.handler"),
    )
    .await
    .unwrap();
    gw.register_function(
        &actor(),
        "node-cb",
        local(Runtime::Node, "node", "index.callback"),
    )
    .await
    .unwrap();
    let api = gw
        .import_rest_api(&actor(), &api_doc(), Default::default())
        .await
        .unwrap();
    let mut variables = indexmap::IndexMap::new();
    variables.insert("alias".to_string(), "live".to_string());
    gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("test".into()),
            variables,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    api.id
}

/// Stops every worker and checks that no process is left behind (not even a zombie).
async fn shutdown(t: TestGateway, names: &[&str]) {
    let pids: Vec<u32> = names
        .iter()
        .filter_map(|n| t.gw.function_stats(n))
        .flat_map(|s| s.pids)
        .collect();
    t.gw.shutdown_functions().await;
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} was not reaped"
        );
    }
    t.stop().await;
}

async fn json_of(resp: reqwest::Response) -> Value {
    let text = resp.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[tokio::test]
async fn python_handler_receives_the_v1_event_and_stays_warm() {
    init();
    if common::require_tool("python3").is_none() || common::require_tool("node").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let api = setup(&t).await;
    let mut events = t.gw.subscribe();
    let resp = t
        .client
        .get(t.url(&api, "test", "/py/a/b?x=1&x=2&y=z+z"))
        .header("x-custom-header", "v")
        .header("user-agent", "lambda-test/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-runtime"], "python");
    assert_eq!(resp.headers().get_all("set-cookie").iter().count(), 2);
    let request_id = resp.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let body = json_of(resp).await;
    let e = &body["event"];
    let keys: Vec<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "resource",
            "path",
            "httpMethod",
            "headers",
            "multiValueHeaders",
            "queryStringParameters",
            "multiValueQueryStringParameters",
            "pathParameters",
            "stageVariables",
            "requestContext",
            "body",
            "isBase64Encoded"
        ]
    );
    assert_eq!(e["resource"], "/py/{proxy+}");
    assert_eq!(e["path"], "/py/a/b");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["headers"]["X-Custom-Header"], "v");
    assert_eq!(e["headers"]["User-Agent"], "lambda-test/1.0");
    assert_eq!(e["multiValueHeaders"]["X-Custom-Header"], json!(["v"]));
    assert!(
        e["headers"].get("Content-Length").is_none() && e["headers"].get("Connection").is_none()
    );
    assert_eq!(e["queryStringParameters"], json!({"x": "2", "y": "z z"}));
    assert_eq!(
        e["multiValueQueryStringParameters"],
        json!({"x": ["1", "2"], "y": ["z z"]})
    );
    assert_eq!(e["pathParameters"], json!({"proxy": "a/b"}));
    assert_eq!(e["stageVariables"], json!({"alias": "live"}));
    assert_eq!(e["body"], Value::Null);
    assert_eq!(e["isBase64Encoded"], false);
    let rc = &e["requestContext"];
    assert_eq!(rc["accountId"], "123456789012");
    assert_eq!(rc["apiId"], api.as_str());
    assert_eq!(rc["stage"], "test");
    assert_eq!(rc["path"], "/test/py/a/b");
    assert_eq!(rc["resourcePath"], "/py/{proxy+}");
    assert_eq!(rc["httpMethod"], "GET");
    assert_eq!(rc["protocol"], "HTTP/1.1");
    assert_eq!(rc["requestId"], request_id.as_str());
    assert!(
        rc["requestTimeEpoch"].is_i64() && rc["requestTime"].as_str().unwrap().ends_with("+0000")
    );
    assert!(
        rc["deploymentId"].is_string()
            && rc["resourceId"].is_string()
            && rc["extendedRequestId"].is_string()
    );
    assert_eq!(rc["domainName"], t.addr.to_string().as_str());
    let id = &rc["identity"];
    assert_eq!(id["sourceIp"], "127.0.0.1");
    assert_eq!(id["userAgent"], "lambda-test/1.0");
    for null_key in [
        "accessKey",
        "accountId",
        "caller",
        "cognitoAuthenticationProvider",
        "cognitoAuthenticationType",
        "cognitoIdentityId",
        "cognitoIdentityPoolId",
        "principalOrgId",
        "user",
        "userArn",
    ] {
        assert_eq!(id[null_key], Value::Null, "identity.{null_key}");
    }
    assert!(rc.get("authorizer").is_none());
    // The alias resolved to py-impl; the context and environment are Lambda's.
    assert_eq!(body["functionName"], "py-impl");
    assert_eq!(body["memory"], "256");
    assert!(body["remaining"].as_i64().unwrap() > 5000);
    assert_eq!(body["env"]["_HANDLER"], "app.handler");
    assert_eq!(body["env"]["AWS_LAMBDA_FUNCTION_VERSION"], "$LATEST");
    assert_eq!(body["env"]["AWS_REGION"], "us-east-1");
    assert_eq!(body["env"]["GREETING"], "hello");
    assert!(
        body["env"]["AWS_LAMBDA_RUNTIME_API"]
            .as_str()
            .unwrap()
            .starts_with("127.0.0.1:")
    );
    let first_pid = body["pid"].as_i64().unwrap();

    // No query, no stage variables of its own... and a binary body arrives base64-encoded.
    let resp = t
        .client
        .post(t.url(&api, "test", "/py/bin"))
        .header("content-type", "application/octet-stream")
        .body(vec![0u8, 159, 146, 150])
        .send()
        .await
        .unwrap();
    let body = json_of(resp).await;
    assert_eq!(body["event"]["queryStringParameters"], Value::Null);
    assert_eq!(
        body["event"]["multiValueQueryStringParameters"],
        Value::Null
    );
    assert_eq!(body["event"]["isBase64Encoded"], true);
    assert_eq!(body["event"]["body"], "AJ+Slg==");
    assert_eq!(
        body["event"]["headers"]["Content-Type"],
        "application/octet-stream"
    );
    // Warm: the same worker process served the second invocation.
    assert_eq!(body["pid"].as_i64().unwrap(), first_pid);
    let stats = t.gw.function_stats("py-impl").unwrap();
    assert_eq!(
        (stats.workers, stats.cold_starts, stats.invocations),
        (1, 1, 2)
    );

    // The worker's output reached the event stream, line by line.
    let mut saw_print = false;
    while let Ok(ev) = events.try_recv() {
        if let gwtui::engine::GatewayEvent::FunctionLog { function, line } = ev {
            saw_print |= function == "py-impl" && line.starts_with("handling GET /py/a/b");
        }
    }
    assert!(
        saw_print,
        "the handler's print() reached GatewayEvent::FunctionLog"
    );
    shutdown(t, &["py-impl"]).await;
}

#[tokio::test]
async fn node_handlers_async_and_callback_style() {
    init();
    if common::require_tool("python3").is_none() || common::require_tool("node").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let api = setup(&t).await;
    let resp = t
        .client
        .post(t.url(&api, "test", "/node/x?q=1"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        201,
        "statusCode \"201\" (a numeric string)"
    );
    assert_eq!(resp.headers()["x-runtime"], "node");
    let body = json_of(resp).await;
    assert_eq!(body["event"]["body"], "hello");
    assert_eq!(body["event"]["httpMethod"], "POST");
    assert_eq!(body["event"]["pathParameters"], json!({"proxy": "x"}));
    assert_eq!(body["functionName"], "node");
    assert!(body["requestId"].as_str().unwrap().len() == 36);
    assert!(body["remaining"].as_i64().unwrap() > 5000);
    let pid = body["pid"].as_i64().unwrap();
    let body = json_of(
        t.client
            .get(t.url(&api, "test", "/node/y"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["pid"].as_i64().unwrap(), pid, "warm worker");
    let resp = t
        .client
        .get(t.url(&api, "test", "/cb"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(json_of(resp).await["style"], "callback");
    // A thrown error is a function error: 502.
    let resp = t
        .client
        .get(t.url(&api, "test", "/node/raise"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    shutdown(t, &["node", "node-cb"]).await;
}

#[tokio::test]
async fn timeouts_crashes_and_missing_functions() {
    init();
    if common::require_tool("python3").is_none() || common::require_tool("node").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let api = setup(&t).await;
    // Function timeout (1 s): the worker is killed and the request gets Lambda's error → 502.
    let first = json_of(
        t.client
            .get(t.url(&api, "test", "/slow/ok"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let slow_pid = first["pid"].as_i64().unwrap() as u32;
    let resp = t
        .client
        .get(t.url(&api, "test", "/slow/sleep"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !std::path::Path::new(&format!("/proc/{slow_pid}")).exists(),
        "timed-out worker killed and reaped"
    );
    assert_eq!(t.gw.function_stats("py-slow").unwrap().timeouts, 1);
    // Integration timeout (300 ms) shorter than the function's: 504.
    let resp = t
        .client
        .get(t.url(&api, "test", "/short/sleep"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 504);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Endpoint request timed out"}"#
    );

    // A crash mid-request: 502, and the next request is served by a new worker.
    let before = json_of(
        t.client
            .get(t.url(&api, "test", "/py/ok"))
            .send()
            .await
            .unwrap(),
    )
    .await["pid"]
        .as_i64()
        .unwrap();
    let resp = t
        .client
        .get(t.url(&api, "test", "/py/crash"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    let after = json_of(
        t.client
            .get(t.url(&api, "test", "/py/ok"))
            .send()
            .await
            .unwrap(),
    )
    .await["pid"]
        .as_i64()
        .unwrap();
    assert_ne!(before, after, "the crashed worker was replaced");
    let stats = t.gw.function_stats("py-impl").unwrap();
    assert_eq!((stats.crashes, stats.workers), (1, 1));
    // An unhandled exception: 502.
    let resp = t
        .client
        .get(t.url(&api, "test", "/py/raise"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    // No such function: 500.
    let resp = t
        .client
        .get(t.url(&api, "test", "/missing/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    shutdown(t, &["py-impl", "py-slow"]).await;
}

#[tokio::test]
async fn every_malformed_proxy_response_is_a_502() {
    init();
    if common::require_tool("python3").is_none() || common::require_tool("node").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let api = setup(&t).await;
    for kind in [
        "unknown-key",
        "bad-status",
        "string",
        "list",
        "multi-not-list",
        "body-object",
        "base64-flag",
    ] {
        let resp = t
            .client
            .get(t.url(&api, "test", &format!("/py/malformed/{kind}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 502, "{kind}");
        assert_eq!(
            resp.headers()["x-amzn-errortype"],
            "InternalServerErrorException"
        );
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"message": "Internal server error"}"#,
            "{kind}"
        );
    }
    shutdown(t, &["py-impl"]).await;
}

#[tokio::test]
async fn non_proxy_lambda_selects_responses_by_error_message() {
    init();
    if common::require_tool("python3").is_none() || common::require_tool("node").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let api = setup(&t).await;
    let resp = t
        .client
        .post(t.url(&api, "test", "/custom"))
        .json(&json!({"a": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = json_of(resp).await;
    assert_eq!(body["echo"], json!({"a": 1}));
    let resp = t
        .client
        .post(t.url(&api, "test", "/custom"))
        .json(&json!({"fail": "pet 7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let body = json_of(resp).await;
    assert_eq!(body["errorMessage"], "Not found: pet 7");
    assert_eq!(body["errorType"], "LookupError");
    assert!(body["stackTrace"].is_array());
    shutdown(t, &["py-custom"]).await;
}

#[tokio::test]
async fn functions_register_over_the_management_api() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    // A local function starts a program: registering one over HTTP needs admin credentials
    // and a signed request (tests/security_browser.rs covers the refusal without them).
    let t = TestGateway::start_serving(common::admin_options()).await;
    let register = |body: Value| {
        let url = format!("{}/gwtui/functions", t.base());
        let body = body.to_string();
        let creds = (common::ADMIN_KEY, common::ADMIN_SECRET);
        common::signed(
            &t.client,
            reqwest::Method::POST,
            &url,
            body.as_bytes(),
            creds,
            &[],
        )
        .send()
    };
    let body = json!({"name": "mgmt-py", "runtime": "python3", "handler": "app.small", "code": fixture("python"), "concurrency": 2});
    let resp = register(body).await.unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let resp = register(json!({"name": "bad", "runtime": "python3"}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let resp = register(json!({"name": "typo", "endpoint": "http://x", "endpont": 1}))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let inv =
        t.gw.invoke_function("mgmt-py", bytes::Bytes::from_static(b"{}"))
            .await
            .unwrap();
    assert_eq!(inv.function_error, None);
    assert!(inv.cold_start);
    assert_eq!(
        serde_json::from_slice::<Value>(&inv.payload).unwrap(),
        json!({"statusCode": 200, "body": "{\"ok\":true}"})
    );
    let list = json_of(
        common::signed(
            &t.client,
            reqwest::Method::GET,
            &format!("{}/gwtui/functions", t.base()),
            b"",
            (common::ADMIN_KEY, common::ADMIN_SECRET),
            &[],
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(list["item"][0]["name"], "mgmt-py");
    assert_eq!(list["item"][0]["workers"]["coldStarts"], 1);
    let audit = t.gw.audit_log(5).unwrap();
    assert!(audit.iter().any(|a| a.action == "RegisterFunction"));
    let registered = t.gw.list_functions();

    // A registered function is stored like everything else the management API creates: it
    // comes back after a restart, with its configuration, and works.
    t.gw.shutdown_functions().await;
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    assert_eq!(t.gw.list_functions(), registered);
    let inv =
        t.gw.invoke_function("mgmt-py", bytes::Bytes::from_static(b"{}"))
            .await
            .unwrap();
    assert_eq!(inv.function_error, None);
    assert!(inv.cold_start);

    let resp = t
        .client
        .delete(format!("{}/gwtui/functions/mgmt-py", t.base()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    assert!(t.gw.list_functions().is_empty());
    t.gw.shutdown_functions().await;
    // ... and a deleted one stays deleted.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    assert!(t.gw.list_functions().is_empty());
    t.stop().await;
}

/// A remote endpoint speaking the Lambda Invoke API: it checks the SigV4 signature (service
/// `lambda`) and answers a proxy response echoing what it received.
async fn remote_invoke_endpoint() -> std::net::SocketAddr {
    use http_body_util::{BodyExt, Full};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    |req: hyper::Request<hyper::body::Incoming>| async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let request = gwtui::auth::sigv4::RequestParts {
                            method: parts.method.as_str(),
                            path: parts.uri.path(),
                            query: parts.uri.query(),
                            headers: &parts.headers,
                            authority: None,
                            body: &body,
                        };
                        let verified = gwtui::auth::sigv4::verify(
                            &request,
                            &gwtui::auth::sigv4::Expected { service: "lambda" },
                            |key| {
                                (key == "AKIDLAMBDA").then_some(gwtui::auth::sigv4::KeyMaterial {
                                    secret: "lambda-secret",
                                    session_token: None,
                                })
                            },
                            time::OffsetDateTime::now_utc(),
                        );
                        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                        let reply = json!({
                            "statusCode": 200,
                            "headers": {"x-remote": "yes"},
                            "body": json!({
                                "invokedPath": parts.uri.path(),
                                "signed": verified.is_ok(),
                                "eventPath": event["path"],
                                "stage": event["requestContext"]["stage"],
                            }).to_string(),
                        });
                        Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(
                            bytes::Bytes::from(reply.to_string()),
                        )))
                    },
                );
                let _ = hyper_util::server::conn::auto::Builder::new(
                    hyper_util::rt::TokioExecutor::new(),
                )
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn remote_invoke_api_functions_are_called_signed() {
    init();
    let t = TestGateway::start().await;
    let endpoint = remote_invoke_endpoint().await;
    let config = FunctionConfig {
        endpoint: Some(format!("http://{endpoint}")),
        function_name: Some("orders-prod".into()),
        sign: Some(gwtui::engine::SignConfig {
            access_key_id: "AKIDLAMBDA".into(),
            secret_access_key: "lambda-secret".into(),
            session_token: None,
            region: None,
        }),
        ..Default::default()
    };
    t.gw.register_function(&actor(), "remote", config)
        .await
        .unwrap();
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "remote", "version": "1"},
        "paths": {"/orders/{id}": {"get": {
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri("remote")}
        }}}
    });
    let api =
        t.gw.import_rest_api(&actor(), &doc.to_string(), Default::default())
            .await
            .unwrap()
            .id;
    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("live".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let resp = t
        .client
        .get(t.url(&api, "live", "/orders/42"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["x-remote"], "yes");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body["invokedPath"],
        "/2015-03-31/functions/orders-prod/invocations"
    );
    assert_eq!(
        body["signed"], true,
        "the call must carry a valid SigV4 signature"
    );
    assert_eq!(body["eventPath"], "/orders/42");
    assert_eq!(body["stage"], "live");
    t.stop().await;
}
