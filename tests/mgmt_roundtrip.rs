//! OpenAPI round trips through the HTTP surface: every fixture is imported
//! (`POST /restapis?mode=import`), deployed, exported from the stage (`GET .../exports/...`, both
//! formats, JSON and YAML, with all API Gateway extensions) and the export imported again; the
//! result is the same API (`openapi::compare::same_api`). PutRestApi overwrite with the export
//! leaves the API unchanged too.

mod common;
mod mgmt_support;

use common::TestGateway;
use gwtui::openapi::compare::same_api;
use mgmt_support::mgmt;
use reqwest::Method;

fn fixtures() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openapi");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("fixtures dir")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string(),
                std::fs::read_to_string(&p).expect("fixture"),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

async fn import(t: &TestGateway, source: &str) -> String {
    let resp = t
        .client
        .post(format!("{}/restapis?mode=import", t.base()))
        .body(source.to_string())
        .send()
        .await
        .expect("import");
    let status = resp.status().as_u16();
    let json: serde_json::Value = resp.json().await.expect("import JSON");
    assert_eq!(status, 201, "{json}");
    json["id"].as_str().expect("id").to_string()
}

async fn export(t: &TestGateway, api: &str, kind: &str, accept: &str) -> String {
    let url = format!(
        "{}/restapis/{api}/stages/rt/exports/{kind}?extensions=apigateway",
        t.base()
    );
    let resp = t
        .client
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status().as_u16(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, accept);
    resp.text().await.expect("export text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_exports_from_its_stage_and_imports_back_unchanged() {
    common::init();
    let t = TestGateway::start().await;
    for (name, source) in fixtures() {
        let api = import(&t, &source).await;
        let (status, _, dep) = mgmt(
            &t.client,
            &t.base(),
            Method::POST,
            &format!("/restapis/{api}/deployments"),
            Some(r#"{"stageName":"rt"}"#),
        )
        .await;
        assert_eq!(status, 201, "{name}: {dep}");
        let dep_id = dep["id"].as_str().expect("deployment id");
        let snapshot = t.gw.deployment_snapshot(&api, dep_id).expect("snapshot");
        for kind in ["oas30", "swagger"] {
            for accept in ["application/json", "application/yaml"] {
                let text = export(&t, &api, kind, accept).await;
                let again = import(&t, &text).await;
                let def = t.gw.get_definition(&again).expect("re-imported");
                if let Err(diff) = same_api(&snapshot, &def) {
                    panic!("{name} via {kind} {accept} does not round-trip: {diff}");
                }
            }
        }
        // PutRestApi overwrite with its own export leaves the API as it was.
        let text = export(&t, &api, "oas30", "application/json").await;
        let resp = t
            .client
            .put(format!("{}/restapis/{api}?mode=overwrite", t.base()))
            .body(text)
            .send()
            .await
            .expect("put");
        assert_eq!(
            resp.status().as_u16(),
            200,
            "{name}: {}",
            resp.text().await.unwrap_or_default()
        );
        same_api(&snapshot, &t.gw.get_definition(&api).expect("definition"))
            .expect("overwrite with the export is a no-op");
    }
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_checks_its_type_accept_and_extensions() {
    common::init();
    let t = TestGateway::start().await;
    let (_, source) = fixtures().into_iter().next().expect("a fixture");
    let api = import(&t, &source).await;
    mgmt(
        &t.client,
        &t.base(),
        Method::POST,
        &format!("/restapis/{api}/deployments"),
        Some(r#"{"stageName":"rt"}"#),
    )
    .await;
    let base = format!("{}/restapis/{api}/stages/rt/exports", t.base());
    for (url, accept, msg) in [
        (
            format!("{base}/postman"),
            "application/json",
            "Invalid export type specified: 'postman'",
        ),
        (
            format!("{base}/oas30"),
            "text/html",
            "Invalid accepts specified: 'text/html'",
        ),
        (
            format!("{base}/oas30?extensions=everything"),
            "application/json",
            "Invalid extensions specified: 'everything'",
        ),
    ] {
        let resp = t
            .client
            .get(url)
            .header("accept", accept)
            .send()
            .await
            .expect("export");
        assert_eq!(resp.status().as_u16(), 400);
        assert_eq!(resp.headers()["x-amzn-errortype"], "BadRequestException");
        let body: serde_json::Value = resp.json().await.expect("error JSON");
        assert!(
            body["message"].as_str().is_some_and(|m| m.starts_with(msg)),
            "{body}"
        );
    }
    let resp = t
        .client
        .get(format!(
            "{}/restapis/{api}/stages/nope/exports/oas30",
            t.base()
        ))
        .send()
        .await
        .expect("export");
    assert_eq!(resp.status().as_u16(), 404);
    let plain = t
        .client
        .get(format!("{base}/oas30"))
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("text");
    assert!(
        !plain.contains("x-amazon-apigateway-integration"),
        "no extensions unless asked"
    );
    t.stop().await;
}
