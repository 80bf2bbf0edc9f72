//! The demo seeds an HTTP API next to the REST one: a Python Lambda route, an HTTP proxy
//! route to the demo backend, and a JWT route whose tokens the demo backend issues; a later
//! start points it at the new backend.

mod common;
mod http_api_support;

use common::TestGateway;
use http_api_support::{invoke, text};
use reqwest::Method;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_shows_a_rest_and_an_http_api() {
    common::init();
    if common::require_tool("python3").is_none() {
        return;
    }
    let t = TestGateway::start().await;
    let backend = gwtui::demo::start_backend().await.expect("backend");
    let rest = gwtui::demo::seed_or_refresh(&t.gw, backend)
        .await
        .expect("seed");
    assert!(rest.is_some(), "the REST demo");
    let http: Vec<_> =
        t.gw.list_http_apis()
            .expect("list")
            .into_iter()
            .filter(|a| a.protocol_type == "HTTP")
            .collect();
    assert_eq!(http.len(), 1);
    let id = http[0].api_id.clone();
    assert_eq!(t.gw.list_http_routes(&id).expect("routes").len(), 3);

    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/hello?name=ada")).await;
    assert_eq!(status, 200, "{body}");
    let hello: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(hello["hello"], "ada");
    assert_eq!(hello["routeKey"], "GET /hello");
    let (status, _, body) = text(invoke(&t, &id, Method::GET, "/pets/1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json")["type"],
        "dog"
    );
    let (status, _, _) = text(invoke(&t, &id, Method::GET, "/secure/pets")).await;
    assert_eq!(status, 401);
    let token: Value = t
        .client
        .get(format!("http://{backend}/demo-token"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let bearer = format!("Bearer {}", token["token"].as_str().expect("token"));
    let (status, _, body) =
        text(invoke(&t, &id, Method::GET, "/secure/pets").header("authorization", &bearer)).await;
    assert_eq!(status, 200, "{body}");

    // A new backend (next start): the stage variable and the issuer follow it.
    let backend2 = gwtui::demo::start_backend().await.expect("backend");
    gwtui::demo::seed_or_refresh(&t.gw, backend2)
        .await
        .expect("refresh");
    assert_eq!(
        t.gw.list_http_apis().expect("list").len(),
        2,
        "not seeded twice (the HTTP API and the chat)"
    );
    let stage = t.gw.get_http_stage(&id, "$default").expect("stage");
    assert_eq!(stage.stage_variables["backend"], backend2.to_string());
    let token: Value = t
        .client
        .get(format!("http://{backend2}/demo-token"))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("json");
    let bearer = format!("Bearer {}", token["token"].as_str().expect("token"));
    let (status, _, body) =
        text(invoke(&t, &id, Method::GET, "/secure/pets").header("authorization", &bearer)).await;
    assert_eq!(status, 200, "{body}");
    t.gw.shutdown_functions().await;
    t.stop().await;
}
