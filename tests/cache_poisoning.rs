//! Cache poisoning over loopback: requests crafted so that, under a naive key (values joined
//! with `,`, components split by U+001F, identity sources joined by NUL), they would share an
//! entry with another request. Each must miss and get its own answer: the response cache is
//! not served another request's body, and a Lambda authorizer's cached Allow for one principal
//! is not reused for another (engine::cache_key).

mod common;
mod traffic_support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use gwtui::engine::{FunctionConfig, Runtime};
use gwtui::model::PatchOperation;
use serde_json::{Value, json};
use traffic_support::counting_backend;

fn cached_get(backend: SocketAddr, keys: &[&str]) -> Value {
    json!({"get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
            "type": "http_proxy", "httpMethod": "GET", "uri": format!("http://{backend}/"),
            "cacheKeyParameters": keys,
        }
    }})
}

async fn cached_api(t: &TestGateway, backend: SocketAddr) -> String {
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "poison", "version": "1"},
        "paths": {
            "/multi": cached_get(backend, &["method.request.multivaluequerystring.a"]),
            "/pair": cached_get(backend, &["method.request.querystring.a", "method.request.querystring.b"]),
            "/headers": cached_get(backend, &["method.request.multivalueheader.x-k"]),
            "/one": cached_get(backend, &["method.request.querystring.a"]),
        }
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
            stage_name: Some("test".into()),
            cache_cluster_enabled: Some(true),
            cache_cluster_size: Some("0.5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    t.gw.update_stage(
        &actor(),
        &api,
        "test",
        vec![PatchOperation::replace("/*/*/caching/enabled", "true")],
    )
    .await
    .unwrap();
    api
}

type Headers = &'static [(&'static str, &'static str)];

/// The backend call number that answered (a cached answer repeats an earlier one).
async fn call(t: &TestGateway, api: &str, path: &str, headers: &[(&str, &str)]) -> u64 {
    let mut req = t.client.get(t.url(api, "test", path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body: Value = serde_json::from_str(&resp.text().await.unwrap()).unwrap();
    body["n"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_crafted_to_collide_misses_the_response_cache() {
    init();
    let t = TestGateway::start().await;
    let (backend, calls) = counting_backend().await;
    let api = cached_api(&t, backend).await;

    // Each pair: the victim's request is cached, then the crafted one must reach the backend
    // (a new call number), and the victim's entry still answers the victim.
    let pairs: [(&str, &str, Headers, Headers); 5] = [
        // A multi-valued query vs one comma value.
        ("/multi?a=1&a=2", "/multi?a=1,2", &[], &[]),
        // A value carrying the old component separator (%1F) and the next parameter.
        (
            "/pair?a=1&b=2%1Fmethod.request.querystring.b%3D3",
            "/pair?a=1%1Fmethod.request.querystring.b%3D2&b=3",
            &[],
            &[],
        ),
        // Absent vs present and empty.
        ("/one", "/one?a=", &[], &[]),
        // Two header lines vs one line holding a comma.
        (
            "/headers",
            "/headers",
            &[("x-k", "1"), ("x-k", "2")],
            &[("x-k", "1,2")],
        ),
        // A value carrying the value separator.
        ("/multi?a=x%1Ey", "/multi?a=x&a=y", &[], &[]),
    ];
    for (victim, crafted, victim_headers, crafted_headers) in pairs {
        let first = call(&t, &api, victim, victim_headers).await;
        assert_eq!(
            call(&t, &api, victim, victim_headers).await,
            first,
            "{victim} is cached"
        );
        let before = calls.load(Ordering::SeqCst);
        let other = call(&t, &api, crafted, crafted_headers).await;
        assert_ne!(other, first, "{crafted} was served {victim}'s cached body");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            before + 1,
            "{crafted} reached the backend"
        );
        assert_eq!(call(&t, &api, victim, victim_headers).await, first);
        assert_eq!(
            call(&t, &api, crafted, crafted_headers).await,
            other,
            "{crafted} has its own entry"
        );
    }
    t.stop().await;
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_crafted_to_collide_does_not_reuse_another_principals_policy() {
    init();
    let t = TestGateway::start().await;
    t.gw.register_function(
        &actor(),
        "by-user",
        FunctionConfig {
            runtime: Some(Runtime::Python3),
            handler: Some("authorizer.by_user".into()),
            code: Some(fixtures().join("functions/python")),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "poison-auth", "version": "1"},
        "components": {"securitySchemes": {"req": {
            "type": "apiKey", "name": "user", "in": "query", "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {"type": "request", "authorizerUri": lambda_uri("by-user"),
                "identitySource": "method.request.querystring.user, method.request.querystring.org",
                "authorizerResultTtlInSeconds": 300}
        }}},
        "paths": {"/secret": {"get": {
            "security": [{"req": []}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200",
                    "responseTemplates": {"application/json": "{\"user\": \"$context.authorizer.user\"}"}}}
            }
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
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let invocations = || {
        t.gw.function_stats("by-user")
            .map(|s| s.invocations)
            .unwrap_or(0)
    };
    let get = |query: &'static str| {
        let url = t.url(&api, "test", &format!("/secret?{query}"));
        let client = t.client.clone();
        async move {
            let resp = client.get(url).send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        }
    };

    // The admin's result is cached: (user "admin", org "x\0y").
    assert_eq!(get("user=admin&org=x%00y").await.0, 200);
    assert_eq!(get("user=admin&org=x%00y").await.0, 200);
    assert_eq!(invocations(), 1, "the second request used the cache");
    // (user "admin\0x", org "y") joined with NUL is the admin's identity: it must not get the
    // admin's Allow; the authorizer runs and denies.
    let (status, body) = get("user=admin%00x&org=y").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(invocations(), 2, "the crafted identity was not a cache hit");
    // And its Deny, now cached, does not shadow the admin either.
    assert_eq!(get("user=admin&org=x%00y").await.0, 200);
    assert_eq!(invocations(), 2);
    t.gw.shutdown_functions().await;
    t.stop().await;
}
