//! Data-plane benchmarks through `Gateway::invoke` (in process, no sockets):
//! `cargo bench --bench cache`. Each area keeps its part in its own function so several
//! engineers can add to this file.
//!
//! Traffic controls (`traffic_benches`): a cache hit against a plain MOCK response on the same
//! stage, both through the whole pipeline (route, variant, auth, API key, throttle buckets,
//! validation), measured in one run: a hit skips integration request, integration and
//! integration response, so it must be at least as fast.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use gwtui::engine::{Actor, CreateDeployment, EngineConfig, Gateway, InvokeRequest};
use gwtui::model::PatchOperation;
use http::{HeaderMap, Method};

const TRAFFIC_API: &str = r#"
openapi: 3.0.1
info: {title: bench, version: "1"}
paths:
  /plain:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: '{"id": 1, "name": "rex", "tags": ["a", "b"]}'}}
  /cached:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses:
          default: {statusCode: "200", responseTemplates: {application/json: '{"id": 1, "name": "rex", "tags": ["a", "b"]}'}}
"#;

fn request(api_id: &str, path: &str) -> InvokeRequest {
    InvokeRequest {
        method: Method::GET,
        api_id: api_id.to_string(),
        stage: "bench".into(),
        path: path.into(),
        query: None,
        headers: HeaderMap::new(),
        body: Bytes::new(),
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        protocol: "HTTP/1.1",
        context_path: format!("/bench{path}"),
        base_path_matched: None,
        client_cert: None,
    }
}

fn traffic_benches(c: &mut Criterion) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let gw = Gateway::open(EngineConfig::new(dir.path())).expect("open");
    let actor = Actor::new("bench");
    let api_id = rt.block_on(async {
        let api = gw
            .import_rest_api(&actor, TRAFFIC_API, Default::default())
            .await
            .expect("import");
        let deploy = CreateDeployment {
            stage_name: Some("bench".into()),
            cache_cluster_enabled: Some(true),
            cache_cluster_size: Some("0.5".into()),
            ..Default::default()
        };
        gw.create_deployment(&actor, &api.id, deploy)
            .await
            .expect("deploy");
        let ops = vec![
            PatchOperation::replace("/cached/GET/caching/enabled", "true"),
            PatchOperation::replace("/*/*/throttling/rateLimit", "1000000000"),
            PatchOperation::replace("/*/*/throttling/burstLimit", "1000000000"),
        ];
        gw.update_stage(&actor, &api.id, "bench", ops)
            .await
            .expect("stage settings");
        api.id
    });
    let plain = request(&api_id, "/plain");
    let cached = request(&api_id, "/cached");
    rt.block_on(async {
        assert_eq!(gw.invoke(plain.clone()).await.status, 200);
        // Fill the entry.
        assert_eq!(gw.invoke(cached.clone()).await.status, 200);
    });

    let mut group = c.benchmark_group("traffic");
    group.bench_function("mock_response", |b| {
        b.iter(|| rt.block_on(gw.invoke(black_box(plain.clone()))))
    });
    group.bench_function("cache_hit", |b| {
        b.iter(|| rt.block_on(gw.invoke(black_box(cached.clone()))))
    });
    group.finish();
}

criterion_group!(cache, traffic_benches);
criterion_main!(cache);
