//! State that requests read but admin changes own goes away with what it belongs to: a
//! deployment's parsed resource policy with the deployment.

use std::sync::{Arc, Weak};

use crate::engine::resource_policy::Policy;
use crate::engine::{Actor, CreateDeployment, EngineConfig, Gateway};

const API: &str = r#"{"openapi": "3.0.1", "info": {"title": "p", "version": "1"},
  "x-amazon-apigateway-policy": {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}]},
  "paths": {"/": {"get": {"responses": {"200": {"description": "ok"}},
    "x-amazon-apigateway-integration": {"type": "mock",
      "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
      "responses": {"default": {"statusCode": "200"}}}}}}}"#;

fn live_policy(gw: &Gateway, api: &str) -> (String, Weak<Policy>) {
    let routes = gw.inner.routes.load();
    let live = routes
        .stage(api, "prod")
        .unwrap_or_else(|_| panic!("stage"));
    let policy = live
        .deployment
        .resource_policy
        .as_ref()
        .unwrap_or_else(|| panic!("the API has a policy"));
    (
        live.deployment.deployment_id.to_string(),
        Arc::downgrade(policy),
    )
}

#[tokio::test]
async fn a_parsed_resource_policy_goes_with_its_deployment() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let gw = Gateway::open(EngineConfig::new(dir.path())).unwrap_or_else(|e| panic!("{e}"));
    let actor = Actor::new("test");
    let api = gw
        .import_rest_api(&actor, API, Default::default())
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .id;
    let deploy = || CreateDeployment {
        stage_name: Some("prod".into()),
        ..Default::default()
    };
    gw.create_deployment(&actor, &api, deploy())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (first, first_policy) = live_policy(&gw, &api);
    assert!(first_policy.upgrade().is_some());
    // The stage moves to a new deployment; the old one still exists (and holds its policy)
    // until it is deleted.
    gw.create_deployment(&actor, &api, deploy())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let (second, second_policy) = live_policy(&gw, &api);
    assert_ne!(first, second);
    assert!(first_policy.upgrade().is_some());
    gw.delete_deployment(&actor, &api, &first)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        first_policy.upgrade().is_none(),
        "the deleted deployment's policy is freed"
    );
    assert!(second_policy.upgrade().is_some());
    // Deleting the API frees the rest.
    gw.delete_rest_api(&actor, &api)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(second_policy.upgrade().is_none());
}
