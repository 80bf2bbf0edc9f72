//! Cluster mode, the Redis half: three real `gwtui serve` processes over loopback sharing one
//! real Redis. The nodes get identical definitions by copying one node's data dir (the
//! PostgreSQL store shares them in the full cluster). Shown: a stage throttle of 100 rps is
//! enforced across the nodes (1000 ± 2% plus the burst over 10 s), a usage-plan quota of N
//! admits exactly N across nodes, a cache miss on A is a hit on B and a flush through C empties
//! the stage on all, and Redis stopped mid-test gives the configured failure mode without a
//! hang, then recovers when Redis returns.

mod common;
#[path = "cluster_support/nodes.rs"]
mod nodes;
#[path = "cluster_support/redis.rs"]
mod redis_support;

use std::time::{Duration, Instant};

use nodes::{Node, copy_data_dir};
use redis_support::RedisServer;
use serde_json::{Value, json};

const KEY: &str = "clusterTestKey0123456789";

fn doc() -> String {
    let mock = |template: &str| {
        json!({
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": template}}}
        })
    };
    let ok = json!({"200": {"description": "ok"}});
    let authorizer_uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:authz/invocations";
    json!({
        "openapi": "3.0.1",
        "info": {"title": "cluster", "version": "1"},
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "tok": {"type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": authorizer_uri,
                    "identitySource": "method.request.header.Authorization",
                    "authorizerResultTtlInSeconds": 300}}
        }},
        "paths": {
            "/a": {"get": {"responses": ok, "security": [{"tok": []}],
                "x-amazon-apigateway-integration": mock("$context.authorizer.nonce")}},
            "/t": {"get": {"responses": ok, "x-amazon-apigateway-integration": mock("t")}},
            "/c": {"get": {"responses": ok,
                "x-amazon-apigateway-integration": mock("$context.requestId")}},
            "/q": {"get": {"responses": ok, "security": [{"api_key": []}],
                "x-amazon-apigateway-integration": mock("q")}}
        }
    })
    .to_string()
}

struct Fixture {
    api: String,
    nodes: Vec<Node>,
    _dirs: Vec<tempfile::TempDir>,
}

async fn mgmt(http: &reqwest::Client, method: reqwest::Method, url: String, body: Value) -> Value {
    let r = http
        .request(method, &url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("management call");
    let status = r.status();
    let text = r.text().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Definitions made through a seed node's management API, copied into one data dir per
/// entry of `configs` (each node's `[cluster]` lines), then the nodes started.
async fn cluster(
    redis: &RedisServer,
    stage_throttle: Option<(u32, u32)>,
    quota: u32,
    configs: &[&str],
) -> Fixture {
    common::init();
    let http = reqwest::Client::new();
    let seed_dir = tempfile::tempdir().unwrap();
    let seed = Node::start(seed_dir.path(), "[demo]\nenabled = false\n");
    let b = seed.base.clone();
    let api = mgmt(
        &http,
        reqwest::Method::POST,
        format!("{b}/restapis?mode=import"),
        serde_json::from_str(&doc()).unwrap(),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    mgmt(
        &http,
        reqwest::Method::POST,
        format!("{b}/restapis/{api}/deployments"),
        json!({"stageName": "prod", "cacheClusterEnabled": true, "cacheClusterSize": "0.5"}),
    )
    .await;
    let mut ops = vec![
        json!({"op": "replace", "path": "/~1c/GET/caching/enabled", "value": "true"}),
        json!({"op": "replace", "path": "/~1c/GET/caching/ttlInSeconds", "value": "300"}),
    ];
    if let Some((rate, burst)) = stage_throttle {
        ops.push(json!({"op": "replace", "path": "/*/*/throttling/rateLimit", "value": rate.to_string()}));
        ops.push(json!({"op": "replace", "path": "/*/*/throttling/burstLimit", "value": burst.to_string()}));
    }
    mgmt(
        &http,
        reqwest::Method::PATCH,
        format!("{b}/restapis/{api}/stages/prod"),
        json!({"patchOperations": ops}),
    )
    .await;
    let key_id = mgmt(
        &http,
        reqwest::Method::POST,
        format!("{b}/apikeys"),
        json!({"name": "k", "enabled": true, "value": KEY}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let plan = mgmt(
        &http,
        reqwest::Method::POST,
        format!("{b}/usageplans"),
        json!({"name": "p", "apiStages": [{"apiId": api, "stage": "prod"}],
               "quota": {"limit": quota, "period": "DAY"}}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    mgmt(
        &http,
        reqwest::Method::POST,
        format!("{b}/usageplans/{plan}/keys"),
        json!({"keyId": key_id, "keyType": "API_KEY"}),
    )
    .await;
    seed.stop();
    let mut dirs = Vec::new();
    let mut started = Vec::new();
    for extra in configs {
        let dir = tempfile::tempdir().unwrap();
        copy_data_dir(seed_dir.path(), dir.path());
        let config = format!(
            "[demo]\nenabled = false\n[cluster]\nredis = \"{}\"\n{extra}\n",
            redis.url()
        );
        started.push(Node::start(dir.path(), &config));
        dirs.push(dir);
    }
    dirs.push(seed_dir);
    Fixture {
        api,
        nodes: started,
        _dirs: dirs,
    }
}

async fn get(http: &reqwest::Client, url: &str, key: bool) -> (u16, String) {
    let mut req = http.get(url);
    if key {
        req = req.header("x-api-key", KEY);
    }
    let r = req.send().await.expect("invoke");
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stage_throttle_of_100_rps_holds_across_three_nodes() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let burst = 10u32;
    // A generous call timeout: on a loaded machine a 50 ms call may time out, and a fail-open
    // admission would not measure the shared bucket (checked below: none happened).
    let slow_ok = "redis_timeout_ms = 2000";
    let f = cluster(
        &redis,
        Some((100, burst)),
        1_000_000,
        &[slow_ok, slow_ok, slow_ok],
    )
    .await;
    let http = reqwest::Client::new();
    let urls: Vec<String> = f
        .nodes
        .iter()
        .map(|n| n.url(&f.api, "prod", "/t"))
        .collect();
    // 12 clients, 4 per node, for 10 s, as fast as the nodes answer.
    let started = Instant::now();
    let until = started + Duration::from_secs(10);
    let mut tasks = Vec::new();
    for i in 0..12 {
        let url = urls[i % 3].clone();
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut throttled, mut other) = (0u64, 0u64, 0u64);
            while Instant::now() < until {
                match get(&http, &url, false).await.0 {
                    200 => ok += 1,
                    429 => throttled += 1,
                    _ => other += 1,
                }
            }
            (ok, throttled, other)
        }));
    }
    let (mut ok, mut throttled, mut other) = (0, 0, 0);
    for t in tasks {
        let (o, th, x) = t.await.unwrap();
        ok += o;
        throttled += th;
        other += x;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let expected = f64::from(burst) + 100.0 * elapsed;
    println!(
        "admitted {ok}, throttled {throttled}, other {other} over {elapsed:.3} s (expected {expected:.1})"
    );
    assert_eq!(other, 0);
    // Enough offered load for the throttle to be what limits.
    assert!(
        throttled > ok,
        "offered load too low: {ok} ok, {throttled} throttled"
    );
    for node in &f.nodes {
        assert_eq!(metric(&http, node, "gwtui_redis_fail_open_total").await, 0);
    }
    let tolerance = 0.02 * 100.0 * elapsed;
    assert!(
        (ok as f64 - expected).abs() <= tolerance,
        "admitted {ok}, expected {expected:.1} ± {tolerance:.1}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_and_cache_are_shared_across_three_nodes() {
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let quota = 30;
    // Exact while Redis answers: a call that times out after Redis counted would be admitted
    // again by open mode's fallback. A generous timeout, and a check that none failed.
    let slow_ok = "redis_timeout_ms = 2000";
    let f = cluster(&redis, None, quota, &[slow_ok, slow_ok, slow_ok]).await;
    let http = reqwest::Client::new();
    let [a, b, c] = &f.nodes[..] else {
        panic!("three nodes")
    };

    // Quota: exactly N admitted across the nodes.
    let mut admitted = 0;
    let mut exceeded = 0;
    for i in 0..(2 * quota as usize) {
        let (status, body) = get(&http, &f.nodes[i % 3].url(&f.api, "prod", "/q"), true).await;
        match status {
            200 => admitted += 1,
            429 => {
                assert!(body.contains("Limit Exceeded"), "{body}");
                exceeded += 1
            }
            s => panic!("status {s}: {body}"),
        }
    }
    assert_eq!((admitted, exceeded), (quota, quota));
    for node in &f.nodes {
        assert_eq!(metric(&http, node, "gwtui_redis_failures_total").await, 0);
    }

    // Cache: a miss on A is a hit on B and C (the body is the request id of A's miss).
    let (status, first) = get(&http, &a.url(&f.api, "prod", "/c"), false).await;
    assert_eq!(status, 200);
    assert_eq!(
        get(&http, &b.url(&f.api, "prod", "/c"), false).await.1,
        first
    );
    assert_eq!(
        get(&http, &c.url(&f.api, "prod", "/c"), false).await.1,
        first
    );

    // A flush through C empties the stage on every node.
    let r = http
        .delete(format!(
            "{}/restapis/{}/stages/prod/cache/data",
            c.base, f.api
        ))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "flush: {}", r.status());
    let (_, after) = get(&http, &a.url(&f.api, "prod", "/c"), false).await;
    assert_ne!(after, first, "A still served the flushed entry");
    assert_eq!(
        get(&http, &b.url(&f.api, "prod", "/c"), false).await.1,
        after
    );
}

async fn metric(http: &reqwest::Client, node: &Node, name: &str) -> u64 {
    let text = http
        .get(format!("{}/metrics", node.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} not in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_gives_the_configured_mode_without_a_hang_then_recovers() {
    let Some(mut redis) = RedisServer::start() else {
        return;
    };
    let f = cluster(
        &redis,
        None,
        1_000_000,
        &["redis_failure = \"open\"", "redis_failure = \"closed\""],
    )
    .await;
    let http = reqwest::Client::new();
    let [open, closed] = &f.nodes[..] else {
        panic!("two nodes")
    };
    for n in [open, closed] {
        assert_eq!(get(&http, &n.url(&f.api, "prod", "/q"), true).await.0, 200);
    }
    let (_, cached) = get(&http, &open.url(&f.api, "prod", "/c"), false).await;
    assert_eq!(
        get(&http, &closed.url(&f.api, "prod", "/c"), false).await.1,
        cached
    );

    redis.stop();
    // Every request is answered within the call timeout (50 ms) plus the work: no hang.
    let slowest = |started: Instant| started.elapsed();
    let mut worst = Duration::ZERO;
    // Open: quota-keyed requests served (the node's own counter), the cache misses.
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(
            get(&http, &open.url(&f.api, "prod", "/q"), true).await.0,
            200
        );
        worst = worst.max(slowest(t));
    }
    let (status, body) = get(&http, &open.url(&f.api, "prod", "/c"), false).await;
    assert_eq!(status, 200);
    assert_ne!(body, cached, "a cache without Redis misses");
    // Closed: the quota cannot be checked → 429; the throttle's lease runs out → 429.
    for _ in 0..20 {
        let t = Instant::now();
        let (status, body) = get(&http, &closed.url(&f.api, "prod", "/q"), true).await;
        assert_eq!(status, 429, "{body}");
        worst = worst.max(slowest(t));
    }
    let mut throttled = 0;
    for _ in 0..300 {
        let t = Instant::now();
        if get(&http, &closed.url(&f.api, "prod", "/t"), false).await.0 == 429 {
            throttled += 1;
        }
        worst = worst.max(slowest(t));
    }
    assert!(
        throttled >= 100,
        "closed mode served {} of 300",
        300 - throttled
    );
    assert!(worst < Duration::from_secs(1), "slowest request {worst:?}");
    assert!(metric(&http, open, "gwtui_redis_fail_open_total").await >= 20);
    assert!(metric(&http, closed, "gwtui_redis_fail_closed_total").await >= 20);

    // Redis returns (empty): both nodes use it again once the breaker probes.
    redis.restart();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = get(&http, &closed.url(&f.api, "prod", "/q"), true).await;
        if status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "closed node did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        get(&http, &closed.url(&f.api, "prod", "/t"), false).await.0,
        200
    );
    // The open node's breaker probes on its own schedule: once it has, its cache entries are
    // the closed node's hits again.
    loop {
        let (_, fresh) = get(&http, &open.url(&f.api, "prod", "/c"), false).await;
        if get(&http, &closed.url(&f.api, "prod", "/c"), false).await.1 == fresh {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the shared cache did not recover"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A TOKEN authorizer whose every answer carries a fresh nonce in its context: a cached result
/// shows the nonce of the call that cached it.
const AUTHORIZER: &str = r#"
import uuid

def handler(event, context):
    return {
        "principalId": "user",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]},
        "context": {"nonce": str(uuid.uuid4())},
    }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lambda_authorizer_results_are_shared_and_flushed_on_every_node() {
    if common::require_tool("python3").is_none() {
        return;
    }
    let Some(redis) = RedisServer::start() else {
        return;
    };
    let code = tempfile::tempdir().unwrap();
    std::fs::write(code.path().join("authorizer.py"), AUTHORIZER).unwrap();
    let function = format!(
        "[functions.authz]\nruntime = \"python3\"\nhandler = \"authorizer.handler\"\ncode = {:?}\n",
        code.path().display().to_string()
    );
    // `[functions]` comes after `[cluster]`'s keys (a table ends the previous one).
    let f = cluster(&redis, None, 1_000_000, &[&function, &function]).await;
    let http = reqwest::Client::new();
    let [a, b] = &f.nodes[..] else {
        panic!("two nodes")
    };
    let call = |node: &Node| {
        http.get(node.url(&f.api, "prod", "/a"))
            .header("authorization", "token-one")
            .send()
    };
    let first = call(a).await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let first = first.text().await.unwrap();
    assert!(!first.is_empty());
    // B authorizes with A's cached result (A's nonce): its function is not called.
    assert_eq!(call(b).await.unwrap().text().await.unwrap(), first);
    // FlushStageAuthorizersCache through B empties the stage on A too.
    let r = http
        .delete(format!(
            "{}/restapis/{}/stages/prod/cache/authorizers",
            b.base, f.api
        ))
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "flush: {}", r.status());
    let again = call(a).await.unwrap().text().await.unwrap();
    assert_ne!(again, first);
    assert_eq!(call(b).await.unwrap().text().await.unwrap(), again);
}
