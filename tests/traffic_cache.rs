//! The stage response cache over loopback (ops.md §1): hits and misses, key parameters,
//! TTL, flush, the Cache-Control strategies, responses too large to store, GET-only `*/*`,
//! surviving unrelated admin changes, and the byte bound under a flood of distinct keys.

mod common;
mod traffic_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{TestGateway, actor, init};
use gwtui::engine::ManualClock;
use gwtui::engine::{CreateDeployment, EngineConfig};
use gwtui::model::PatchOperation;
use traffic_support::{cache_counts, counting_backend};

fn http_get(
    path: &str,
    backend_path: &str,
    backend: SocketAddr,
    query: &[&str],
    key: &[&str],
) -> String {
    let params: Vec<String> = query
        .iter()
        .map(|q| format!("{{name: {q}, in: query, schema: {{type: string}}}}"))
        .collect();
    let mappings: Vec<String> = query
        .iter()
        .map(|q| format!("integration.request.querystring.{q}: method.request.querystring.{q}"))
        .collect();
    let keys: Vec<String> = key
        .iter()
        .map(|k| format!("method.request.querystring.{k}"))
        .collect();
    format!(
        r#"
  {path}:
    get:
      parameters: [{params}]
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: http://{backend}{backend_path}
        requestParameters: {{{mappings}}}
        cacheKeyParameters: [{keys}]
        responses:
          default: {{statusCode: "200"}}
    post:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: POST
        uri: http://{backend}{backend_path}
        responses:
          default: {{statusCode: "200"}}
"#,
        keys = keys.join(", "),
        params = params.join(", "),
        mappings = mappings.join(", ")
    )
}

fn api_doc(backend: SocketAddr) -> String {
    let mut doc = String::from("openapi: 3.0.1\ninfo: {title: cached, version: \"1\"}\npaths:");
    doc.push_str(&http_get(
        "/items",
        "/items",
        backend,
        &["type", "department"],
        &["type"],
    ));
    doc.push_str(&http_get("/ttl", "/ttl", backend, &[], &[]));
    doc.push_str(&http_get("/big", "/big", backend, &[], &[]));
    doc.push_str(&http_get("/pad", "/kb/2", backend, &["k"], &["k"]));
    doc
}

async fn setup(t: &TestGateway, backend: SocketAddr, size: &str) -> String {
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(backend), Default::default())
            .await
            .unwrap()
            .id;
    t.gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("test".into()),
            cache_cluster_enabled: Some(true),
            cache_cluster_size: Some(size.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    patch(
        t,
        &api,
        &[
            ("/*/*/caching/enabled", "true"),
            ("/ttl/GET/caching/enabled", "true"),
            ("/ttl/GET/caching/ttlInSeconds", "1"),
        ],
    )
    .await;
    api
}

async fn patch(t: &TestGateway, api: &str, ops: &[(&str, &str)]) {
    let ops = ops
        .iter()
        .map(|(p, v)| PatchOperation::replace(*p, *v))
        .collect();
    t.gw.update_stage(&actor(), api, "test", ops).await.unwrap();
}

/// (status, the backend call number in the body or 0, Warning header).
async fn call(
    t: &TestGateway,
    api: &str,
    verb: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, u64, Option<String>, String) {
    let mut req = t.client.request(
        reqwest::Method::from_bytes(verb.as_bytes()).unwrap(),
        t.url(api, "test", path),
    );
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let warning = resp
        .headers()
        .get("warning")
        .map(|v| v.to_str().unwrap().to_string());
    let text = resp.text().await.unwrap();
    let n = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["n"].as_u64())
        .unwrap_or(0);
    (status, n, warning, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_misses_keys_ttl_flush_and_cache_control() {
    init();
    // TTLs run on the engine clock, stepped here (nothing in this test sends enough requests
    // to need the stepped clock to refill a token bucket).
    let clock = Arc::new(ManualClock::new(
        time::macros::datetime!(2024-03-17 12:00:00 UTC),
    ));
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        clock: clock.clone(),
        ..EngineConfig::default()
    };
    let t = TestGateway::start_with(dir, config).await;
    let (backend, calls) = counting_backend().await;
    let api = setup(&t, backend, "0.5").await;
    let counts_before = cache_counts(&t.gw);

    // Miss, then hits; `department` is not a key parameter, `type` is.
    let (_, first, ..) = call(&t, &api, "GET", "/items?type=admin&department=A", &[]).await;
    assert_eq!(
        call(&t, &api, "GET", "/items?type=admin&department=A", &[])
            .await
            .1,
        first
    );
    assert_eq!(
        call(&t, &api, "GET", "/items?type=admin&department=B", &[])
            .await
            .1,
        first
    );
    let (_, other, ..) = call(&t, &api, "GET", "/items?type=user", &[]).await;
    assert_ne!(
        other, first,
        "a different key parameter value is a different entry"
    );
    assert_eq!(
        call(&t, &api, "GET", "/items?type=user", &[]).await.1,
        other
    );
    let (hits, misses) = cache_counts(&t.gw);
    assert_eq!((hits - counts_before.0, misses - counts_before.1), (3, 2));
    let counts_before_post = cache_counts(&t.gw);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // `*/*` caches GET only: POSTs reach the backend every time and record no cache use.
    let (_, p1, ..) = call(&t, &api, "POST", "/items", &[]).await;
    let (_, p2, ..) = call(&t, &api, "POST", "/items", &[]).await;
    assert_ne!(p1, p2);
    assert_eq!(
        cache_counts(&t.gw),
        counts_before_post,
        "POSTs record no cache use"
    );
    // ... unless the method has its own entry.
    patch(&t, &api, &[("/items/POST/caching/enabled", "true")]).await;
    let (_, p3, ..) = call(&t, &api, "POST", "/items", &[]).await;
    assert_eq!(call(&t, &api, "POST", "/items", &[]).await.1, p3);

    // The stage patch above rebuilt the route map; the GET entries are still there.
    assert_eq!(
        call(&t, &api, "GET", "/items?type=admin", &[]).await.1,
        first
    );

    // TTL 1 s on /ttl.
    let (_, t1, ..) = call(&t, &api, "GET", "/ttl", &[]).await;
    assert_eq!(call(&t, &api, "GET", "/ttl", &[]).await.1, t1);
    clock.advance(Duration::from_millis(999));
    assert_eq!(call(&t, &api, "GET", "/ttl", &[]).await.1, t1);
    clock.advance(Duration::from_millis(1));
    let (_, t2, ..) = call(&t, &api, "GET", "/ttl", &[]).await;
    assert_ne!(t2, t1, "the entry expired after its TTL");

    // Responses over 1 MiB are served, not stored.
    let (s1, b1, ..) = call(&t, &api, "GET", "/big", &[]).await;
    let (s2, b2, ..) = call(&t, &api, "GET", "/big", &[]).await;
    assert_eq!((s1, s2), (200, 200));
    assert_ne!(b1, b2);

    // Cache-Control: max-age=0 from a caller without InvalidateCache (a NONE method).
    let no_cache = [("cache-control", "max-age=0")];
    // Default strategy SUCCEED_WITH_RESPONSE_HEADER: served from the cache, with a warning.
    let (status, n, warning, _) = call(&t, &api, "GET", "/items?type=admin", &no_cache).await;
    assert_eq!((status, n), (200, first));
    assert!(warning.is_some_and(|w| w.starts_with("199 ")));
    patch(
        &t,
        &api,
        &[(
            "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
            "SUCCEED_WITHOUT_RESPONSE_HEADER",
        )],
    )
    .await;
    let (status, n, warning, _) = call(&t, &api, "GET", "/items?type=admin", &no_cache).await;
    assert_eq!((status, n, warning), (200, first, None));
    patch(
        &t,
        &api,
        &[(
            "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
            "FAIL_WITH_403",
        )],
    )
    .await;
    let (status, _, _, body) = call(&t, &api, "GET", "/items?type=admin", &no_cache).await;
    assert_eq!(status, 403);
    assert_eq!(
        body,
        r#"{"Message":"User is not authorized to access this resource"}"#
    );
    // Without requireAuthorizationForCacheControl anyone may invalidate: the backend is
    // called and its answer replaces the entry.
    patch(
        &t,
        &api,
        &[("/*/*/caching/requireAuthorizationForCacheControl", "false")],
    )
    .await;
    let (status, fresh, warning, _) = call(&t, &api, "GET", "/items?type=admin", &no_cache).await;
    assert_eq!((status, warning), (200, None));
    assert_ne!(fresh, first);
    assert_eq!(
        call(&t, &api, "GET", "/items?type=admin", &[]).await.1,
        fresh
    );

    // Flush empties the stage cache.
    assert!(t.gw.stage_cache_stats(&api, "test", false).unwrap().entries > 0);
    t.gw.flush_stage_cache(&actor(), &api, "test")
        .await
        .unwrap();
    assert_eq!(
        t.gw.stage_cache_stats(&api, "test", false).unwrap().entries,
        0
    );
    let (_, after_flush, ..) = call(&t, &api, "GET", "/items?type=admin", &[]).await;
    assert_ne!(after_flush, fresh);

    // Resizing recreates the cache (empty); disabling removes it.
    patch(&t, &api, &[("/cacheClusterSize", "1.6")]).await;
    let (_, resized, ..) = call(&t, &api, "GET", "/items?type=admin", &[]).await;
    assert_ne!(resized, after_flush);
    patch(&t, &api, &[("/cacheClusterEnabled", "false")]).await;
    assert!(t.gw.stage_cache_stats(&api, "test", false).is_none());
    let (_, u1, ..) = call(&t, &api, "GET", "/items?type=admin", &[]).await;
    let (_, u2, ..) = call(&t, &api, "GET", "/items?type=admin", &[]).await;
    assert_ne!(u1, u2);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn capacity_bound_holds_under_a_flood_of_distinct_keys() {
    init();
    let dir = tempfile::tempdir().unwrap();
    // 0.5 GB → 100 kB here.
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        cache_bytes_per_gb: 200_000,
        ..EngineConfig::default()
    };
    let t = TestGateway::start_with(dir, config).await;
    let (backend, calls) = counting_backend().await;
    let api = setup(&t, backend, "0.5").await;
    for k in 0..300 {
        let (status, ..) = call(&t, &api, "GET", &format!("/pad?k={k}"), &[]).await;
        assert_eq!(status, 200);
    }
    assert_eq!(calls.load(Ordering::SeqCst), 300);
    let stats = t.gw.stage_cache_stats(&api, "test", false).unwrap();
    assert_eq!(stats.capacity_bytes, 100_000);
    // ~2 kB entries: 300 of them would be ~600 kB.
    assert!(stats.weighted_bytes <= stats.capacity_bytes, "{stats:?}");
    assert!(stats.entries >= 10 && stats.entries < 300, "{stats:?}");
    println!("after 300 distinct 2 kB responses: {stats:?}");
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn canary_keeps_its_own_cache_unless_use_stage_cache() {
    init();
    let t = TestGateway::start().await;
    let (backend, _) = counting_backend().await;
    let api = setup(&t, backend, "0.5").await;
    let base_deployment = t.gw.get_stage(&api, "test").unwrap().deployment_id;
    let (_, base_n, ..) = call(&t, &api, "GET", "/items?type=a", &[]).await;

    // A canary taking every request, on a new deployment, with its own cache.
    let canary = gwtui::engine::DeploymentCanarySettings {
        percent_traffic: 100.0,
        ..Default::default()
    };
    let input = CreateDeployment {
        stage_name: Some("test".into()),
        canary_settings: Some(canary),
        ..Default::default()
    };
    t.gw.create_deployment(&actor(), &api, input).await.unwrap();
    let (_, own, ..) = call(&t, &api, "GET", "/items?type=a", &[]).await;
    assert_ne!(own, base_n, "the canary does not read the stage cache");
    assert_eq!(call(&t, &api, "GET", "/items?type=a", &[]).await.1, own);
    assert_eq!(
        t.gw.stage_cache_stats(&api, "test", true).unwrap().entries,
        1
    );

    // useStageCache on a different deployment: the stage cache, but keys kept apart.
    patch(&t, &api, &[("/canarySettings/useStageCache", "true")]).await;
    let (_, shared_other, ..) = call(&t, &api, "GET", "/items?type=a", &[]).await;
    assert!(shared_other != base_n && shared_other != own);
    assert_eq!(
        call(&t, &api, "GET", "/items?type=a", &[]).await.1,
        shared_other
    );

    // Same deployment as production: the same entries.
    patch(
        &t,
        &api,
        &[("/canarySettings/deploymentId", &base_deployment)],
    )
    .await;
    assert_eq!(call(&t, &api, "GET", "/items?type=a", &[]).await.1, base_n);
    t.stop().await;
}
