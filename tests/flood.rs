//! Floods of distinct client-chosen values: API keys (invalid ones: each is looked up and
//! refused, nothing is stored), response-cache keys (distinct values of a cache key parameter
//! on a cache-enabled stage) and Lambda TOKEN-authorizer tokens (a cached authorizer run by a
//! local Python worker). Whatever a client sends, the state it creates stays within its bound.
//!
//! * `floods_of_distinct_keys_stay_within_the_cache_bounds` (runs in CI): a few thousand of
//!   each against an in-process gateway with small caches; the entry counts and bytes of the
//!   response cache and the authorizer cache stay within their bounds (and evictions happened),
//!   and the quota ledger holds no counter for keys that do not exist.
//! * `flood_memory_levels_off` (`#[ignore]`: slow in debug): 100,000 of each against a
//!   `gwtui serve` process (the real binary, default limits), recording its resident memory
//!   (`VmRSS`) before, after 10,000 and after 100,000 requests of each flood; the growth between
//!   10k and 100k must stay under 64 MiB. Run it in release, as docs/PERFORMANCE.md does:
//!   `cargo test --release --test flood -- --ignored --nocapture`.

mod common;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use common::{TestGateway, actor, init};
use gwtui::engine::{CreateDeployment, EngineConfig};
use gwtui::engine::{FunctionConfig, Runtime};
use gwtui::model::PatchOperation;
use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

fn mock_get(security: Value, cache_keys: &[&str], key_required: bool) -> Value {
    let mut op = json!({
        "security": security,
        "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
            "cacheKeyParameters": cache_keys,
            "responses": {"default": {"statusCode": "200",
                "responseTemplates": {"application/json": "{\"q\": \"$input.params('q')\"}"}}}
        }
    });
    if key_required {
        op["security"] = json!([{"api_key": []}]);
    }
    json!({ "get": op })
}

/// `/keyed` needs an API key, `/cached` is cached by `q`, `/pets` is behind a cached TOKEN
/// authorizer (the fixture allows `GET /pets` for any token).
fn api_doc() -> String {
    json!({
        "openapi": "3.0.1",
        "info": {"title": "flood", "version": "1"},
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"},
            "tok": {"type": "apiKey", "name": "Authorization", "in": "header",
                "x-amazon-apigateway-authtype": "custom",
                "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": lambda_uri("authz"),
                    "identitySource": "method.request.header.Authorization",
                    "authorizerResultTtlInSeconds": 300}}
        }},
        "paths": {
            "/keyed": mock_get(json!([]), &[], true),
            "/cached": mock_get(json!([]), &["method.request.querystring.q"], false),
            "/pets": mock_get(json!([{"tok": []}]), &[], false),
        }
    })
    .to_string()
}

const STAGE_OPS: [(&str, &str); 2] = [
    ("/cached/GET/caching/enabled", "true"),
    ("/cached/GET/caching/ttlInSeconds", "3600"),
];

fn authorizer_function() -> FunctionConfig {
    FunctionConfig {
        runtime: Some(Runtime::Python3),
        handler: Some("authorizer.handler".into()),
        code: Some(fixtures().join("functions/python")),
        concurrency: Some(2),
        ..Default::default()
    }
}

#[derive(Debug, Clone, Copy)]
enum Flood {
    ApiKeys,
    CacheKeys,
    Tokens,
}

impl Flood {
    const ALL: [Flood; 3] = [Flood::ApiKeys, Flood::CacheKeys, Flood::Tokens];

    /// Request `i`: its path, header and the status it must get.
    fn request(self, i: usize) -> (String, Option<(&'static str, String)>, u16) {
        match self {
            // AWS API keys are at least 20 characters.
            Flood::ApiKeys => (
                "/keyed".into(),
                Some(("x-api-key", format!("flood-invalid-key-{i:010}"))),
                403,
            ),
            Flood::CacheKeys => (format!("/cached?q=value-{i:010}"), None, 200),
            Flood::Tokens => (
                "/pets".into(),
                Some(("authorization", format!("token-{i:010}"))),
                200,
            ),
        }
    }
}

/// Sends requests `range` of `flood` to `base` (`…/restapis/{api}/{stage}/_user_request_`),
/// `concurrency` at a time; every answer must have the flood's status.
async fn send(
    client: &reqwest::Client,
    base: &str,
    flood: Flood,
    range: std::ops::Range<usize>,
    concurrency: usize,
) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(range.start));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (client, base, next, end) = (client.clone(), base.to_string(), next.clone(), range.end);
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= end {
                    return;
                }
                let (path, header, expected) = flood.request(i);
                loop {
                    let mut req = client.get(format!("{base}{path}"));
                    if let Some((name, value)) = &header {
                        req = req.header(*name, value);
                    }
                    let resp = req.send().await.unwrap();
                    let status = resp.status().as_u16();
                    let body = resp.text().await.unwrap();
                    // A release build can outrun the account throttle (10,000 rps, burst
                    // 5,000): back off like a client would, and send the same request again.
                    if status == 429 && expected != 429 {
                        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                        continue;
                    }
                    assert_eq!(status, expected, "{flood:?} #{i}: {body}");
                    break;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_of_distinct_keys_stay_within_the_cache_bounds() {
    init();
    const N: usize = 3_000;
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        // 0.5 GB → 256 KiB of response cache; 256 KiB of authorizer results: both fill up
        // well before N.
        cache_bytes_per_gb: 512 * 1024,
        authorizer_cache_bytes: 256 * 1024,
        ..EngineConfig::default()
    };
    let t = TestGateway::start_with(dir, config).await;
    t.gw.register_function(&actor(), "authz", authorizer_function())
        .await
        .unwrap();
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(), Default::default())
            .await
            .unwrap()
            .id;
    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("flood".into()),
            cache_cluster_enabled: Some(true),
            cache_cluster_size: Some("0.5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ops = STAGE_OPS
        .iter()
        .map(|(p, v)| PatchOperation::replace(*p, *v))
        .collect();
    t.gw.update_stage(&actor(), &api, "flood", ops)
        .await
        .unwrap();
    let base = t.url(&api, "flood", "");
    for flood in Flood::ALL {
        send(&t.client, &base, flood, 0..N, 8).await;
    }

    let cache = t.gw.stage_cache_stats(&api, "flood", false).unwrap();
    assert_eq!(cache.capacity_bytes, 256 * 1024);
    assert!(cache.weighted_bytes <= cache.capacity_bytes, "{cache:?}");
    assert!(
        cache.entries > 100 && (cache.entries as usize) < N,
        "entries were evicted: {cache:?}"
    );
    let authorizer = t.gw.authorizer_cache_stats();
    assert_eq!(authorizer.capacity_bytes, 256 * 1024);
    assert!(
        authorizer.weighted_bytes <= authorizer.capacity_bytes,
        "{authorizer:?}"
    );
    assert!(
        authorizer.entries > 50 && (authorizer.entries as usize) < N,
        "results were evicted: {authorizer:?}"
    );
    assert_eq!(
        t.gw.quota_counters(),
        (0, 0),
        "invalid keys leave no counter"
    );
    // Each token was a miss (one invocation each): eviction did not serve a stale result.
    let invocations = t.gw.function_stats("authz").map(|s| s.invocations);
    assert_eq!(invocations, Some(N as u64));
    t.gw.shutdown_functions().await;
    t.stop().await;
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// A `gwtui serve` process on a temp data dir, killed when dropped.
struct Serve {
    child: Child,
    url: String,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path) -> Serve {
    std::fs::write(dir.join("config.toml"), "[demo]\nenabled = false\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gwtui"))
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Serve { child, url }
}

async fn mgmt(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: String,
) -> Value {
    let resp = client.request(method, url).body(body).send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    assert!((200..300).contains(&status), "{status}: {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "100,000 requests per flood: run in release (docs/PERFORMANCE.md)"]
async fn flood_memory_levels_off() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let server = serve(dir.path());
    let pid = server.child.id();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = &server.url;
    let mut function = serde_json::to_value(authorizer_function()).unwrap();
    function["name"] = json!("authz");
    function["concurrency"] = json!(4);
    mgmt(
        &client,
        reqwest::Method::POST,
        format!("{url}/gwtui/functions"),
        function.to_string(),
    )
    .await;
    let api = mgmt(
        &client,
        reqwest::Method::POST,
        format!("{url}/restapis?mode=import"),
        api_doc(),
    )
    .await;
    let api = api["id"].as_str().unwrap().to_string();
    let deployment =
        json!({"stageName": "flood", "cacheClusterEnabled": true, "cacheClusterSize": "0.5"});
    mgmt(
        &client,
        reqwest::Method::POST,
        format!("{url}/restapis/{api}/deployments"),
        deployment.to_string(),
    )
    .await;
    let ops: Vec<Value> = STAGE_OPS
        .iter()
        .map(|(p, v)| json!({"op": "replace", "path": p, "value": v}))
        .collect();
    mgmt(
        &client,
        reqwest::Method::PATCH,
        format!("{url}/restapis/{api}/stages/flood"),
        json!({"patchOperations": ops}).to_string(),
    )
    .await;
    let addr: SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let base = format!("http://{addr}/restapis/{api}/flood/_user_request_");

    let mut failures = Vec::new();
    println!("flood         requests   VmRSS KiB");
    for flood in Flood::ALL {
        // Warm-up (connections, workers, first allocations) before the baseline.
        send(&client, &base, flood, 1_000_000..1_001_000, 16).await;
        let before = rss_kib(pid);
        send(&client, &base, flood, 0..10_000, 16).await;
        let at_10k = rss_kib(pid);
        send(&client, &base, flood, 10_000..100_000, 16).await;
        let at_100k = rss_kib(pid);
        println!("{flood:<12?}  before     {before}");
        println!("{flood:<12?}  10,000     {at_10k}");
        println!("{flood:<12?}  100,000    {at_100k}");
        let growth = at_100k.saturating_sub(at_10k);
        if growth >= 64 * 1024 {
            failures.push(format!("{flood:?}: +{growth} KiB between 10k and 100k"));
        }
    }
    assert!(failures.is_empty(), "{failures:?}");
}
