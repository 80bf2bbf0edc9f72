//! Canary releases over loopback (model.md §10): a seeded 10 % split, stage-variable
//! overrides and `$context.isCanaryRequest` on canary requests only, the variant recorded
//! once per request, and promote / delete as AWS does them.

mod common;
mod traffic_support;

use common::{TestGateway, actor, init};
use gwtui::engine::DeploymentCanarySettings;
use gwtui::engine::{CreateDeployment, Variant};
use indexmap::IndexMap;
use traffic_support::{counting_backend, variant_requests};

/// An HTTP integration whose backend path is the `color` stage variable and whose
/// `x-canary` header carries `$context.isCanaryRequest`.
fn api_doc(backend: std::net::SocketAddr) -> String {
    format!(
        r#"
openapi: 3.0.1
info: {{title: canary, version: "1"}}
paths:
  /who:
    get:
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: http
        httpMethod: GET
        uri: http://{backend}/${{stageVariables.color}}
        requestParameters:
          integration.request.header.x-canary: context.isCanaryRequest
        responses:
          default: {{statusCode: "200"}}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_percent_canary_split_overrides_promote_and_delete() {
    init();
    let t = TestGateway::start().await;
    let (backend, _) = counting_backend().await;
    let api =
        t.gw.import_rest_api(&actor(), &api_doc(backend), Default::default())
            .await
            .unwrap()
            .id;
    let mut variables = IndexMap::new();
    variables.insert("color".to_string(), "blue".to_string());
    let base =
        t.gw.create_deployment(
            &actor(),
            &api,
            CreateDeployment {
                stage_name: Some("prod".into()),
                variables,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut overrides = IndexMap::new();
    overrides.insert("color".to_string(), "green".to_string());
    let canary =
        t.gw.create_deployment(
            &actor(),
            &api,
            CreateDeployment {
                stage_name: Some("prod".into()),
                canary_settings: Some(DeploymentCanarySettings {
                    percent_traffic: 10.0,
                    stage_variable_overrides: overrides,
                    use_stage_cache: false,
                }),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let stage = t.gw.get_stage(&api, "prod").unwrap();
    assert_eq!(
        stage.deployment_id, base.id,
        "a canary deployment leaves production alone"
    );
    assert_eq!(
        stage
            .canary_settings
            .as_ref()
            .and_then(|c| c.deployment_id.clone()),
        Some(canary.id.clone())
    );

    const N: usize = 5000;
    let canary_before = variant_requests(&t.gw, "prod", Variant::Canary);
    let base_before = variant_requests(&t.gw, "prod", Variant::Base);
    const WORKERS: usize = 8;
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let client = t.client.clone();
        let url = t.url(&api, "prod", "/who");
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::with_capacity(N / WORKERS);
            for _ in 0..N / WORKERS {
                let resp = client.get(&url).send().await.unwrap();
                assert_eq!(resp.status().as_u16(), 200);
                let v: serde_json::Value = resp.json().await.unwrap();
                seen.push((
                    v["path"].as_str().unwrap().to_string(),
                    v["canary"].as_str().unwrap_or("").to_string(),
                ));
            }
            seen
        }));
    }
    let mut canary_count = 0;
    for task in tasks {
        for (path, flag) in task.await.unwrap() {
            // Overrides and isCanaryRequest go together, request by request.
            match path.as_str() {
                "/green" => {
                    assert_eq!(flag, "true");
                    canary_count += 1;
                }
                "/blue" => assert_eq!(flag, "false"),
                other => panic!("unexpected backend path {other}"),
            }
        }
    }
    let share = canary_count as f64 * 100.0 / N as f64;
    assert!(
        (8.5..=11.5).contains(&share),
        "canary share {share}% over {N} requests"
    );
    // The variant the record phase saw is the one drawn for the request, once.
    let canary_recorded = variant_requests(&t.gw, "prod", Variant::Canary) - canary_before;
    let base_recorded = variant_requests(&t.gw, "prod", Variant::Base) - base_before;
    assert_eq!(canary_recorded + base_recorded, N as u64);
    assert_eq!(canary_recorded, canary_count as u64);
    println!("canary share: {canary_count}/{N} = {share:.2}%");

    // Promote: the canary's deployment and overrides become production's; the canary stays
    // with 0 % traffic.
    let promoted = t.gw.promote_canary(&actor(), &api, "prod").await.unwrap();
    assert_eq!(promoted.deployment_id, canary.id);
    assert_eq!(
        promoted.variables.get("color").map(String::as_str),
        Some("green")
    );
    let settings = promoted
        .canary_settings
        .clone()
        .expect("promotion leaves canarySettings in place");
    assert_eq!(settings.percent_traffic, 0.0);
    for _ in 0..50 {
        let v: serde_json::Value = t
            .client
            .get(t.url(&api, "prod", "/who"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["path"], "/green");
        assert_eq!(v["canary"], "false");
    }

    // Delete: canarySettings gone, production untouched.
    let deleted = t.gw.delete_canary(&actor(), &api, "prod").await.unwrap();
    assert!(deleted.canary_settings.is_none());
    assert_eq!(deleted.deployment_id, canary.id);
    let err =
        t.gw.promote_canary(&actor(), &api, "prod")
            .await
            .unwrap_err();
    assert_eq!(
        err.message(),
        "Promotion not available. Canary does not exist."
    );
    let audit: Vec<String> =
        t.gw.audit_log(3)
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
    assert_eq!(
        audit[..2],
        ["UpdateStage".to_string(), "UpdateStage".to_string()]
    );
    t.stop().await;
}
