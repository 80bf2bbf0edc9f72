//! The fake backend's sample world: the PetStore definition, its stages, deployments, usage
//! plan and keys, and synthetic metrics.

use indexmap::IndexMap;

use crate::model::{
    ApiDefinition, ApiKey, BasePathMapping, CanarySettings, Deployment, Integration,
    IntegrationResponse, IntegrationType, Method, MethodResponse, QuotaPeriod, QuotaSettings,
    RestApi, Stage, UsagePlan,
};
use crate::tui::metrics::{Bucket, MetricSeries, MetricsSnapshot, Percentiles, SeriesKey, Variant};
use crate::tui::msg::{KeyUsage, UsageData};

pub const SAMPLE_API: &str = "a1b2c3d4e5";
pub const SAMPLE_NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn integration(kind: IntegrationType, uri: Option<&str>, template: Option<&str>) -> Integration {
    let mut i = Integration {
        integration_type: kind,
        uri: uri.map(str::to_string),
        ..Default::default()
    };
    // AWS (and the engine) require the backend's method of HTTP and HTTP_PROXY integrations.
    if matches!(kind, IntegrationType::Http | IntegrationType::HttpProxy) {
        i.http_method = Some("GET".into());
    }
    if let Some(t) = template {
        i.request_templates
            .insert("application/json".into(), t.to_string());
    }
    let mut ok = IntegrationResponse {
        status_code: "200".into(),
        ..Default::default()
    };
    if !kind.is_proxy() {
        ok.response_templates.insert(
            "application/json".into(),
            "#set($body = $input.path('$'))\n$input.json('$')".into(),
        );
    }
    i.integration_responses.insert("200".into(), ok);
    i
}

fn method(verb: &str, i: Integration) -> Method {
    let mut responses = IndexMap::new();
    responses.insert(
        "200".into(),
        MethodResponse {
            status_code: "200".into(),
            ..Default::default()
        },
    );
    Method {
        http_method: verb.into(),
        method_integration: Some(i),
        method_responses: responses,
        ..Default::default()
    }
}

/// The sample API: `/pets` GET (HTTP), POST (MOCK with a template), `/pets/{petId}` GET.
pub fn sample_definition() -> ApiDefinition {
    let mut def = ApiDefinition::new(RestApi {
        id: SAMPLE_API.into(),
        name: "PetStore".into(),
        description: Some("sample pets API".into()),
        created_date: SAMPLE_NOW - 86_400,
        ..Default::default()
    });
    // Fixed ids everywhere (the root resource and the default models get random ones),
    // so that screens rendered from the sample are reproducible.
    let root = "root00".to_string();
    def.rest_api.root_resource_id = root.clone();
    if let Some(r) = def.resources.first_mut() {
        r.id = root.clone();
    }
    for (i, m) in def.models.iter_mut().enumerate() {
        m.id = format!("model{i}");
    }
    let pets = def
        .add_resource(&root, "pets", Some("pets01".into()))
        .unwrap_or_default();
    let pet = def
        .add_resource(&pets, "{petId}", Some("pet001".into()))
        .unwrap_or_default();
    if let Some(r) = def.resource_mut(&pets) {
        r.resource_methods.insert(
            "GET".into(),
            method(
                "GET",
                integration(
                    IntegrationType::Http,
                    Some("http://petstore.example/pets"),
                    None,
                ),
            ),
        );
        r.resource_methods.insert(
            "POST".into(),
            method(
                "POST",
                integration(
                    IntegrationType::Mock,
                    None,
                    Some("#if($input.path('$.name') != \"\")\n{\"statusCode\": 200}\n#end"),
                ),
            ),
        );
    }
    if let Some(r) = def.resource_mut(&pet) {
        let mut m = method(
            "GET",
            integration(
                IntegrationType::HttpProxy,
                Some("http://petstore.example/pets/{petId}"),
                None,
            ),
        );
        m.request_parameters
            .insert("method.request.path.petId".into(), true);
        r.resource_methods.insert("GET".into(), m);
    }
    def
}

/// Synthetic metrics: `seconds` of 1 s buckets for each method of `prod`, base and canary.
pub fn sample_metrics(rest_api_id: &str, end: i64, seconds: usize) -> MetricsSnapshot {
    let mut series = Vec::new();
    for (path, verb) in [
        ("/pets", "GET"),
        ("/pets", "POST"),
        ("/pets/{petId}", "GET"),
    ] {
        for variant in [Variant::Base, Variant::Canary] {
            let scale = if variant == Variant::Base { 9 } else { 1 };
            let buckets = (0..seconds)
                .map(|i| {
                    let wave = ((i as f64 / 30.0).sin() + 1.5) * scale as f64;
                    let count = wave.round() as u64;
                    let lat = 20.0 + 10.0 * (i as f64 / 50.0).cos().abs();
                    Bucket {
                        count,
                        error_4xx: u64::from(i % 17 == 0),
                        error_5xx: u64::from(i % 41 == 0 && variant == Variant::Canary),
                        cache_hit: count / 2,
                        cache_miss: count - count / 2,
                        data_processed: count * 512,
                        latency_ms: Percentiles {
                            p50: lat,
                            p90: lat * 1.8,
                            p99: lat * 3.0,
                        },
                        integration_latency_ms: Percentiles {
                            p50: lat * 0.7,
                            p90: lat * 1.5,
                            p99: lat * 2.6,
                        },
                    }
                })
                .collect();
            series.push(MetricSeries {
                key: SeriesKey {
                    stage: "prod".into(),
                    variant,
                    resource_path: path.into(),
                    http_method: verb.into(),
                },
                start_epoch_second: end - seconds as i64 + 1,
                buckets,
            });
        }
    }
    MetricsSnapshot {
        rest_api_id: rest_api_id.into(),
        end_epoch_second: end,
        series,
        http_api: false,
        websocket: false,
        cluster: None,
    }
}

/// The sample world's state: PetStore with `dev` and `prod` (prod has a 10 % canary), two
/// deployments, one usage plan with two keys, a custom domain.
pub(super) fn sample_state() -> super::FakeState {
    let def = sample_definition();
    let mut old = def.clone();
    if let Some(r) = old.resource_mut("pets01") {
        r.resource_methods.remove("POST");
    }
    let d1 = Deployment {
        id: "dep001".into(),
        description: Some("first".into()),
        created_date: SAMPLE_NOW - 7200,
        ..Default::default()
    };
    let d2 = Deployment {
        id: "dep002".into(),
        description: Some("add POST".into()),
        created_date: SAMPLE_NOW - 3600,
        ..Default::default()
    };
    let mut prod = Stage {
        stage_name: "prod".into(),
        deployment_id: "dep001".into(),
        ..Default::default()
    };
    prod.variables
        .insert("backend".into(), "petstore.example".into());
    prod.variables.insert("mode".into(), "live".into());
    prod.canary_settings = Some(CanarySettings {
        percent_traffic: 10.0,
        deployment_id: Some("dep002".into()),
        ..Default::default()
    });
    let dev = Stage {
        stage_name: "dev".into(),
        deployment_id: "dep002".into(),
        ..Default::default()
    };
    let plan = UsagePlan {
        id: "plan01".into(),
        name: "basic".into(),
        quota: Some(QuotaSettings {
            limit: 1000,
            offset: 0,
            period: QuotaPeriod::Day,
        }),
        ..Default::default()
    };
    let keys = vec![
        ApiKey {
            id: "key001".into(),
            name: "alice".into(),
            enabled: true,
            ..Default::default()
        },
        ApiKey {
            id: "key002".into(),
            name: "bob".into(),
            enabled: false,
            ..Default::default()
        },
    ];
    let usage = UsageData {
        plans: vec![plan],
        keys,
        usage: vec![KeyUsage {
            usage_plan_id: "plan01".into(),
            key_id: "key001".into(),
            used: 250,
            limit: Some(1000),
        }],
        plan_keys: vec![("plan01".into(), "key001".into())],
    };
    super::FakeState {
        apis: vec![def.clone()],
        stages: vec![(SAMPLE_API.into(), dev), (SAMPLE_API.into(), prod)],
        deployments: vec![(SAMPLE_API.into(), d1, old), (SAMPLE_API.into(), d2, def)],
        usage,
        now: SAMPLE_NOW,
        next_id: 3,
        domains: vec![(
            "api.example.com".into(),
            BasePathMapping {
                base_path: "v1".into(),
                rest_api_id: SAMPLE_API.into(),
                stage: Some("prod".into()),
            },
        )],
        ..Default::default()
    }
}

/// The fake cluster's view of the sample metrics: every node that is not `down` served the
/// same sample traffic, so the merged view counts it once per such node and a `down` node is
/// listed as not answering; one node's view is the sample once.
pub fn as_cluster(
    snap: &mut MetricsSnapshot,
    cluster: &crate::engine::ClusterView,
    scope: &crate::engine::MetricsScope,
) {
    use crate::engine::{CLUSTER_SCOPE, MetricsCoverage, MetricsScope, NodeCoverage};
    let shown = |id: &str| match scope {
        MetricsScope::Node(n) => n == id,
        _ => true,
    };
    let nodes: Vec<NodeCoverage> = cluster
        .nodes
        .iter()
        .map(|n| {
            let answers = n.health != "down";
            NodeCoverage {
                node_id: n.node_id.clone(),
                this_node: n.this_node,
                health: n.health.clone(),
                included: answers && shown(&n.node_id),
                error: (!answers).then(|| "no answer within 1000 ms".to_string()),
            }
        })
        .collect();
    let k = nodes.iter().filter(|n| n.included).count() as u64;
    for s in &mut snap.series {
        for b in &mut s.buckets {
            b.count *= k;
            b.error_4xx *= k;
            b.error_5xx *= k;
            b.cache_hit *= k;
            b.cache_miss *= k;
            b.data_processed *= k;
        }
    }
    snap.cluster = Some(MetricsCoverage {
        scope: match scope {
            MetricsScope::Node(id) => id.clone(),
            _ => CLUSTER_SCOPE.to_string(),
        },
        nodes,
    });
}
