//! Profiling driver for the data-plane overhead: `N` MOCK `GET /pets?id=…` requests through
//! `Gateway::invoke` in one of the bench's cases (benches/gateway.rs):
//! - `off`: metrics, access log and caching off, a new `id` each request;
//! - `hit`: metrics + JSON access log + method caching on, the same `id` (all hits);
//! - `miss`: the same, a new `id` each request (every lookup misses and stores);
//! - `on`: metrics + JSON access log on, caching off.
//!
//! Run under callgrind and compare instruction counts per request at two `N`s (setup cancels
//! out): `valgrind --tool=callgrind --separate-threads=yes target/release/examples/record_profile hit 10000`.

use bytes::Bytes;
use gwtui::engine::ACCESS_LOG_JSON;
use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::model::PatchOperation;

const API: &str = r#"
openapi: 3.0.1
info: {title: bench, version: "1"}
paths:
  /pets:
    get:
      parameters: [{name: id, in: query, schema: {type: string}}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        cacheKeyParameters: [method.request.querystring.id]
        responses:
          default:
            statusCode: "200"
            responseTemplates: {application/json: '{"pets":[1,2,3]}'}
"#;

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "off".to_string());
    let (on, caching, distinct) = match mode.as_str() {
        "off" => (false, false, true),
        "hit" => (true, true, false),
        "miss" => (true, true, true),
        "on" => (true, false, false),
        other => panic!("unknown mode {other}: off, hit, miss or on"),
    };
    let n: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let dir = tempfile::tempdir().expect("temp dir");
        let gw = Gateway::open(EngineConfig {
            data_dir: dir.path().to_path_buf(),
            canary_seed: Some(1),
            // Measure the pipeline, not the account throttle (10,000 requests/s by default).
            account_rate_limit: 1e12,
            account_burst_limit: i64::MAX / 2,
            // `CACHE_BYTES_PER_GB=200000` (a 100 kB cache): every miss also evicts.
            cache_bytes_per_gb: std::env::var("CACHE_BYTES_PER_GB")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(EngineConfig::default().cache_bytes_per_gb),
            ..EngineConfig::default()
        })
        .expect("open");
        let actor = Actor::new("bench");
        let api = gw
            .import_rest_api(&actor, API, Default::default())
            .await
            .expect("import");
        gw.create_deployment(
            &actor,
            &api.id,
            CreateDeployment {
                stage_name: Some("prod".into()),
                cache_cluster_enabled: Some(caching),
                ..Default::default()
            },
        )
        .await
        .expect("deploy");
        // Stage methods are throttled at 10,000 requests/s by default too.
        let mut ops = vec![
            PatchOperation::replace("/*/*/throttling/rateLimit", "1000000000"),
            PatchOperation::replace("/*/*/throttling/burstLimit", "1000000000"),
        ];
        if on {
            ops.push(PatchOperation::replace(
                "/accessLogSettings/format",
                ACCESS_LOG_JSON,
            ));
        }
        if caching {
            ops.push(PatchOperation::replace("/*/*/caching/enabled", "true"));
        }
        gw.update_stage(&actor, &api.id, "prod", ops)
            .await
            .expect("stage settings");
        gw.set_metrics_enabled(on);
        let mut headers = http::HeaderMap::new();
        headers.insert("user-agent", http::HeaderValue::from_static("bench/1.0"));
        let mut req = InvokeRequest {
            method: http::Method::GET,
            api_id: api.id.clone(),
            stage: "prod".into(),
            path: "/pets".into(),
            query: None,
            headers,
            body: Bytes::new(),
            source_ip: std::net::IpAddr::from([127, 0, 0, 1]),
            protocol: "HTTP/1.1",
            context_path: "/prod/pets".into(),
            base_path_matched: None,
            client_cert: None,
        };
        let started = std::time::Instant::now();
        for i in 1..=n {
            req.query = Some(format!("id={}", if distinct { i } else { 0 }));
            let resp = gw.invoke(req.clone()).await;
            assert_eq!(resp.status, 200);
        }
        let took = started.elapsed();
        gw.flush_logs().await;
        eprintln!(
            "{mode} x{n}: {:.2} µs/request (wall), log records dropped {}",
            took.as_secs_f64() * 1e6 / n as f64,
            gw.log_records_dropped()
        );
        // Leave the gateway to process exit: its teardown (e.g. dropping N cache entries)
        // would otherwise count as per-request work.
        std::mem::forget(gw);
    });
}
