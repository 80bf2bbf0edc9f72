//! JWT authorizers against JWKS served over loopback HTTP: concurrent requests share one fetch
//! (counted on the JWKS server), and a provider that is down does not stop the others.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::{TestGateway, actor, init};
use gwtui::engine::CreateDeployment;
use gwtui::engine::JwksSource;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use tokio::net::TcpListener;

const POOL_DOWN: &str = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Down";
const POOL_UP: &str = "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Up";

fn issuer(pool: &str) -> String {
    let id = pool.rsplit_once('/').map(|(_, id)| id).unwrap_or_default();
    format!("https://cognito-idp.us-east-1.amazonaws.com/{id}")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A JWKS server answering every request with `status` and the fixture key set, after `delay`
/// (a slow provider, so that concurrent requests overlap its fetch); counts hits.
async fn jwks_server(status: u16, delay: Duration) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind jwks");
    let addr = listener.local_addr().expect("jwks addr");
    let hits = Arc::new(AtomicUsize::new(0));
    let body = Bytes::from(std::fs::read(fixtures().join("jwt/jwks.json")).expect("jwks"));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (hits, body) = (counter.clone(), body.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |_req: Request<Incoming>| {
                    hits.fetch_add(1, Ordering::SeqCst);
                    let mut r = Response::new(Full::new(body.clone()));
                    *r.status_mut() = http::StatusCode::from_u16(status).expect("status");
                    async move {
                        tokio::time::sleep(delay).await;
                        Ok::<_, Infallible>(r)
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (addr, hits)
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn token(pool: &str, kid: &str) -> String {
    let claims = json!({"sub": "u-1", "iss": issuer(pool), "aud": "client1", "token_use": "id",
                        "exp": now() + 600});
    let der = std::fs::read(fixtures().join("jwt/rsa_private_pkcs1.der")).expect("key");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(&der)).expect("encode")
}

/// An API whose `/jwt` takes tokens of either pool (the down one listed first).
async fn setup(t: &TestGateway, sources: Vec<(String, JwksSource)>) -> String {
    t.gw.set_jwks_sources(sources);
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "jwks", "version": "1"},
        "components": {"securitySchemes": {
            "pools": {"type": "apiKey", "name": "Authorization", "in": "header",
                      "x-amazon-apigateway-authtype": "cognito_user_pools",
                      "x-amazon-apigateway-authorizer": {"type": "cognito_user_pools",
                                                         "providerARNs": [POOL_DOWN, POOL_UP]}}
        }},
        "paths": {"/jwt": {"get": {
            "security": [{"pools": []}],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200",
                    "responseTemplates": {"application/json": "{\"sub\": \"$context.authorizer.claims.sub\"}"}}}
            }
        }}}
    });
    let api =
        t.gw.import_rest_api(&actor(), &doc.to_string(), Default::default())
            .await
            .expect("import");
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .expect("deploy");
    api.id
}

fn url_source(addr: SocketAddr, issuer: Option<String>) -> JwksSource {
    JwksSource {
        url: Some(format!("http://{addr}/.well-known/jwks.json")),
        issuer,
        ..Default::default()
    }
}

async fn call(t: &TestGateway, api: &str, token: &str) -> (u16, String) {
    let resp = t
        .client
        .get(t.url(api, "test", "/jwt"))
        .header("authorization", token)
        .send()
        .await
        .expect("invoke");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_with_an_unknown_kid_trigger_one_fetch() {
    init();
    let t = TestGateway::start().await;
    let (up, hits) = jwks_server(200, Duration::from_millis(400)).await;
    let api = setup(&t, vec![(POOL_UP.into(), url_source(up, None))]).await;
    let unknown = token(POOL_UP, "rsa-9");
    let answers = futures_util::future::join_all((0..16).map(|_| call(&t, &api, &unknown))).await;
    for (status, body) in &answers {
        assert_eq!(
            (*status, body.as_str()),
            (401, r#"{"message":"Unauthorized"}"#)
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1, "one fetch for 16 requests");
    // The key set fetched then serves known kids without another fetch.
    let good = token(POOL_UP, "rsa-1");
    let answers = futures_util::future::join_all((0..8).map(|_| call(&t, &api, &good))).await;
    assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_is_down_does_not_stop_the_others() {
    init();
    let t = TestGateway::start().await;
    let (down, down_hits) = jwks_server(503, Duration::ZERO).await;
    let (up, up_hits) = jwks_server(200, Duration::ZERO).await;
    // Both providers claim the same issuer, the failing one first: it is tried, skipped, and the
    // working one verifies the token.
    let api = setup(
        &t,
        vec![
            (POOL_DOWN.into(), url_source(down, Some(issuer(POOL_UP)))),
            (POOL_UP.into(), url_source(up, None)),
        ],
    )
    .await;
    let good = token(POOL_UP, "rsa-1");
    assert_eq!(
        call(&t, &api, &good).await,
        (200, r#"{"sub": "u-1"}"#.into())
    );
    assert_eq!(down_hits.load(Ordering::SeqCst), 1);
    assert_eq!(up_hits.load(Ordering::SeqCst), 1);
    // Within the back-off the failing provider is not asked again.
    assert_eq!(call(&t, &api, &good).await.0, 200);
    assert_eq!(down_hits.load(Ordering::SeqCst), 1);
    t.stop().await;

    // Distinct issuers: a token of the down pool is refused, the other pool's is served without
    // the down provider being asked.
    let t = TestGateway::start().await;
    let (down, down_hits) = jwks_server(503, Duration::ZERO).await;
    let (up, _) = jwks_server(200, Duration::ZERO).await;
    let api = setup(
        &t,
        vec![
            (POOL_DOWN.into(), url_source(down, None)),
            (POOL_UP.into(), url_source(up, None)),
        ],
    )
    .await;
    assert_eq!(call(&t, &api, &good).await.0, 200);
    assert_eq!(down_hits.load(Ordering::SeqCst), 0);
    assert_eq!(
        call(&t, &api, &token(POOL_DOWN, "rsa-1")).await,
        (401, r#"{"message":"Unauthorized"}"#.into())
    );
    assert_eq!(down_hits.load(Ordering::SeqCst), 1);
    t.stop().await;
}
