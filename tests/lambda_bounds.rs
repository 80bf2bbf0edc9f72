//! The bounds of local functions, with real worker processes over loopback: a full invocation
//! queue throttles at once (API Gateway's 500 for a throttled Lambda), a runtime that exits at
//! start or never polls the Runtime API fails within the function timeout (502 for AWS_PROXY)
//! and does not hold up shutdown, a worker's output lines are cut, and a response past Lambda's
//! 6 MB limit is `Function.ResponseSizeTooLarge`.

mod common;
mod lambda_support;

use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{TestGateway, actor, init};
use gwtui::engine::{CreateDeployment, GatewayEvent};
use gwtui::engine::{FunctionConfig, Runtime};
use gwtui::engine::{MAX_LINE_BYTES, TRUNCATED_MARKER};
use lambda_support::{custom, lambda_uri, local};
use serde_json::{Value, json};

/// One AWS_PROXY route per function (`/{function}/{proxy+}`) and one AWS (non-proxy) route
/// (`/aws/{function}`, body passed through), deployed to stage `test`.
async fn deploy(t: &TestGateway, functions: &[&str]) -> String {
    let mut paths = serde_json::Map::new();
    for f in functions {
        paths.insert(
            format!("/{f}/{{proxy+}}"),
            json!({"x-amazon-apigateway-any-method": {
                "parameters": [{"name": "proxy", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": lambda_uri(f)}
            }}),
        );
        paths.insert(
            format!("/aws/{f}"),
            json!({"post": {
                "responses": {"200": {"description": "ok"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws", "httpMethod": "POST", "uri": lambda_uri(f),
                    "passthroughBehavior": "when_no_templates",
                    "responses": {"default": {"statusCode": "200"}}
                }
            }}),
        );
    }
    let doc =
        json!({"openapi": "3.0.1", "info": {"title": "bounds", "version": "1"}, "paths": paths});
    let api =
        t.gw.import_rest_api(&actor(), &doc.to_string(), Default::default())
            .await
            .unwrap();
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    api.id
}

/// Polls `check` until it holds (there is no event for a worker's progress), for at most 10 s.
async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn payload_of(inv: &gwtui::engine::Invocation) -> Value {
    serde_json::from_slice(&inv.payload).unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_full_queue_throttles_at_once_with_api_gateways_500() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let mut config = local(Runtime::Python3, "python", "app.handler");
    config.concurrency = Some(1);
    config.queue = Some(1);
    t.gw.register_function(&actor(), "held", config)
        .await
        .unwrap();
    let api = deploy(&t, &["held"]).await;
    let stats = || t.gw.function_stats("held").unwrap();

    // One invocation running, one queued: the function is full.
    let running = tokio::spawn(t.client.get(t.url(&api, "test", "/held/hold")).send());
    wait_until("the first invocation to run", || stats().invocations == 1).await;
    let queued = tokio::spawn(t.client.get(t.url(&api, "test", "/held/hold")).send());
    wait_until("the second invocation to queue", || stats().pending == 1).await;

    // AWS_PROXY: refused at once, as API Gateway answers a Lambda that throttles.
    let started = Instant::now();
    let resp = t
        .client
        .get(t.url(&api, "test", "/held/hold"))
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.headers()["x-amzn-errortype"],
        "InternalServerErrorException"
    );
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    // AWS (non-proxy): the same.
    let resp = t
        .client
        .post(t.url(&api, "test", "/aws/held"))
        .json(&json!({"path": "/hold"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    // Lambda's own error for the direct invoke.
    let err =
        t.gw.invoke_function("held", Bytes::from_static(b"{}"))
            .await
            .unwrap_err();
    assert_eq!(err.to_string(), "Rate Exceeded.");
    assert_eq!(stats().throttles, 3);

    // The admitted ones complete, and the function takes work again.
    assert_eq!(running.await.unwrap().unwrap().status().as_u16(), 200);
    assert_eq!(queued.await.unwrap().unwrap().status().as_u16(), 200);
    let resp = t
        .client
        .get(t.url(&api, "test", "/held/ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);

    // The counters are served where the other worker counters are.
    let described: Value = t
        .client
        .get(format!("{}/gwtui/functions/held", t.base()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(described["workers"]["throttles"], 3);
    assert_eq!(described["workers"]["queueLimit"], 1);
    assert_eq!(described["function"]["queue"], 1);
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test]
async fn a_runtime_that_exits_at_start_fails_within_its_timeout() {
    init();
    let t = TestGateway::start().await;
    t.gw.register_function(&actor(), "exits", custom(&["/bin/sh", "-c", "exit 3"], 1))
        .await
        .unwrap();
    let api = deploy(&t, &["exits"]).await;
    // Several at once: every one fails, none waits for another's restarts.
    let started = Instant::now();
    let requests: Vec<_> = (0..4)
        .map(|_| tokio::spawn(t.client.get(t.url(&api, "test", "/exits/x")).send()))
        .collect();
    for r in requests {
        let resp = r.await.unwrap().unwrap();
        assert_eq!(resp.status().as_u16(), 502);
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"message": "Internal server error"}"#
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // Lambda's error for a runtime that exits during init.
    let inv =
        t.gw.invoke_function("exits", Bytes::from_static(b"{}"))
            .await
            .unwrap();
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    let payload = payload_of(&inv);
    assert_eq!(payload["errorType"], "Runtime.ExitError");
    assert!(
        payload["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .ends_with("Runtime exited with error: exit status 3"),
        "{payload}"
    );
    // No restart loop once nothing waits.
    let stats = t.gw.function_stats("exits").unwrap();
    assert_eq!(stats.init_failures, 5);
    wait_until("the last worker to be reaped", || {
        t.gw.function_stats("exits").unwrap().workers == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(t.gw.function_stats("exits").unwrap().workers, 0);
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test]
async fn a_runtime_that_never_polls_times_out_and_does_not_hold_up_shutdown() {
    init();
    let t = TestGateway::start().await;
    t.gw.register_function(
        &actor(),
        "silent",
        custom(&["/bin/sh", "-c", "exec sleep 30"], 1),
    )
    .await
    .unwrap();
    let api = deploy(&t, &["silent"]).await;
    let started = Instant::now();
    let resp = t
        .client
        .get(t.url(&api, "test", "/silent/x"))
        .send()
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(2),
        "took {took:?}"
    );
    let inv =
        t.gw.invoke_function("silent", Bytes::from_static(b"{}"))
            .await
            .unwrap();
    let payload = payload_of(&inv);
    assert_eq!(payload["errorType"], "Sandbox.Timedout");
    assert!(
        payload["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .ends_with("Task timed out after 1.00 seconds"),
        "{payload}"
    );

    // Shutdown with an invocation waiting on a silent worker: the caller is answered and the
    // shutdown does not wait for the function timeout.
    let gw = t.gw.clone();
    let waiting = tokio::spawn(async move {
        gw.invoke_function("silent", Bytes::from_static(b"{}"))
            .await
    });
    wait_until("a worker to start", || {
        !t.gw.function_stats("silent").unwrap().pids.is_empty()
    })
    .await;
    let pids = t.gw.function_stats("silent").unwrap().pids;
    let started = Instant::now();
    t.gw.shutdown_functions().await;
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "shutdown took {:?}",
        started.elapsed()
    );
    let answered = tokio::time::timeout(Duration::from_millis(500), waiting)
        .await
        .expect("the waiting invocation was answered")
        .unwrap();
    assert!(answered.is_err(), "{answered:?}");
    for pid in pids {
        assert!(
            !std::path::Path::new(&format!("/proc/{pid}")).exists(),
            "worker {pid} was not reaped"
        );
    }
    t.stop().await;
}

#[tokio::test]
async fn a_worker_printing_a_100_mb_line_has_it_cut() {
    init();
    let t = TestGateway::start().await;
    // 100 MB without a newline, then a short line, then the runtime exits without polling.
    let script = "head -c 100000000 /dev/zero | tr '\\0' x; echo; echo after-the-long-line; exit 1";
    t.gw.register_function(&actor(), "loud", custom(&["/bin/sh", "-c", script], 10))
        .await
        .unwrap();
    let mut events = t.gw.subscribe();
    let gw = t.gw.clone();
    let invocation =
        tokio::spawn(async move { gw.invoke_function("loud", Bytes::from_static(b"{}")).await });
    let mut lines = Vec::new();
    let collected = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(GatewayEvent::FunctionLog { function, line }) if function == "loud" => {
                    let done = line == "after-the-long-line";
                    lines.push(line);
                    if done {
                        break;
                    }
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await;
    assert!(collected.is_ok(), "the short line arrived");
    let long: Vec<&String> = lines.iter().filter(|l| l.starts_with("xxxx")).collect();
    assert_eq!(long.len(), 1, "one cut line, the rest discarded");
    assert_eq!(long[0].len(), MAX_LINE_BYTES + TRUNCATED_MARKER.len());
    assert!(long[0].ends_with(TRUNCATED_MARKER));
    let inv = invocation.await.unwrap().unwrap();
    assert_eq!(payload_of(&inv)["errorType"], "Runtime.ExitError");
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test]
async fn a_response_past_6_mb_is_function_response_size_too_large() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    t.gw.register_function(
        &actor(),
        "big",
        local(Runtime::Python3, "python", "app.handler"),
    )
    .await
    .unwrap();
    let api = deploy(&t, &["big"]).await;
    let resp = t
        .client
        .get(t.url(&api, "test", "/big/huge"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    assert_eq!(
        resp.text().await.unwrap(),
        r#"{"message": "Internal server error"}"#
    );
    let inv =
        t.gw.invoke_function("big", Bytes::from(json!({"path": "/huge"}).to_string()))
            .await
            .unwrap();
    assert_eq!(inv.function_error.as_deref(), Some("Unhandled"));
    assert_eq!(
        payload_of(&inv)["errorType"],
        "Function.ResponseSizeTooLarge"
    );
    // The function still serves (the worker, or its replacement).
    let resp = t
        .client
        .get(t.url(&api, "test", "/big/ok"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    t.gw.shutdown_functions().await;
    t.stop().await;
}

#[tokio::test]
async fn oversized_configurations_are_refused() {
    init();
    let t = TestGateway::start_serving(common::admin_options()).await;
    let mut config = custom(&["/bin/true"], 1);
    config.queue = Some(10_001);
    let err =
        t.gw.register_function(&actor(), "q", config)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("queue must be 0..=10000"), "{err}");
    let mut config: FunctionConfig = custom(&["/bin/true"], 1);
    config
        .environment
        .insert("BIG".into(), "v".repeat(4 * 1024));
    // A local function over HTTP needs a request signed with the admin credentials.
    let body = json!({"name": "env", "runtime": "custom", "code": config.code, "environment": config.environment}).to_string();
    let resp = common::signed(
        &t.client,
        reqwest::Method::POST,
        &format!("{}/gwtui/functions", t.base()),
        body.as_bytes(),
        (common::ADMIN_KEY, common::ADMIN_SECRET),
        &[],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("Lambda's limit is 4 KB"),
        "environment bound"
    );
    t.stop().await;
}

#[tokio::test]
async fn the_runtime_api_allows_one_poll_and_a_few_connections_per_worker() {
    init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let script = lambda_support::fixture("runtime/greedy.py");
    let mut config = custom(&["python3", "-u", &script.to_string_lossy()], 10);
    config.environment.insert(
        "CONNECTION_LIMIT".into(),
        gwtui::engine::MAX_CONNECTIONS.to_string(),
    );
    t.gw.register_function(&actor(), "greedy", config)
        .await
        .unwrap();
    let mut events = t.gw.subscribe();
    let inv =
        t.gw.invoke_function("greedy", Bytes::from_static(b"{}"))
            .await
            .unwrap();
    assert_eq!(inv.function_error, None, "{:?}", payload_of(&inv));
    assert_eq!(payload_of(&inv), json!({"ok": true}));
    // The output is forwarded on its own task: wait for both lines (or fail after 5 s).
    let mut lines = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while lines.len() < 2 {
            match events.recv().await {
                Ok(GatewayEvent::FunctionLog { function, line }) if function == "greedy" => {
                    if line.starts_with("second poll") || line.starts_with("connection past") {
                        lines.push(line);
                    }
                }
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("{e}"),
            }
        }
    })
    .await;
    assert!(
        lines.contains(&"second poll: 400 InvalidStateTransition".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"connection past the limit: waited".to_string()),
        "{lines:?}"
    );
    t.gw.shutdown_functions().await;
    t.stop().await;
}
