//! GetSdkTypes and GetSdk: the `javascript` SDK zip (its files and method names), written by
//! `aws apigateway get-sdk`, and loaded in Node to call a deployed stage through it.

mod common;
mod mgmt_support;

use std::io::Read as _;

use common::TestGateway;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(t: &TestGateway, method: Method, path: &str, body: Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, &body, want).await
}

/// `GET /pets/{petId}` (query `type`, header `x-trace`) echoing its parameters, deployed to
/// `prod`.
async fn api(t: &TestGateway) -> String {
    let api = call(t, Method::POST, "/restapis", json!({"name": "sdk"}), 201).await;
    let id = api["id"].as_str().unwrap().to_string();
    let root = api["rootResourceId"].as_str().unwrap().to_string();
    let pets = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{root}"),
        json!({"pathPart": "pets"}),
        201,
    )
    .await;
    let pet = call(
        t,
        Method::POST,
        &format!("/restapis/{id}/resources/{}", pets["id"].as_str().unwrap()),
        json!({"pathPart": "{petId}"}),
        201,
    )
    .await;
    let m = format!(
        "/restapis/{id}/resources/{}/methods/GET",
        pet["id"].as_str().unwrap()
    );
    call(
        t,
        Method::PUT,
        &m,
        json!({"authorizationType": "NONE", "requestParameters": {
            "method.request.path.petId": true,
            "method.request.querystring.type": false,
            "method.request.header.x-trace": false}}),
        201,
    )
    .await;
    call(
        t,
        Method::PUT,
        &format!("{m}/integration"),
        json!({"type": "MOCK", "requestTemplates": {"application/json": "{\"statusCode\": 200}"}}),
        201,
    )
    .await;
    call(
        t,
        Method::PUT,
        &format!("{m}/responses/200"),
        json!({}),
        201,
    )
    .await;
    let template = "{\"petId\":\"$input.params('petId')\",\"type\":\"$input.params('type')\",\"trace\":\"$input.params('x-trace')\"}";
    call(
        t,
        Method::PUT,
        &format!("{m}/integration/responses/200"),
        json!({"selectionPattern": "", "responseTemplates": {"application/json": template}}),
        201,
    )
    .await;
    call(
        t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        json!({"stageName": "prod"}),
        201,
    )
    .await;
    id
}

fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        out.push((f.name().expect("entry name").to_string(), text));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_javascript_sdk_calls_the_stage_from_node() {
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let types = call(&t, Method::GET, "/sdktypes", json!(null), 200).await;
    assert_eq!(types["item"][0]["id"], "javascript", "{types}");
    call(&t, Method::GET, "/sdktypes/javascript", json!(null), 200).await;
    call(&t, Method::GET, "/sdktypes/cobol", json!(null), 404).await;
    let bad = call(
        &t,
        Method::GET,
        &format!("/restapis/{id}/stages/prod/sdks/android"),
        json!(null),
        400,
    )
    .await;
    assert!(
        bad["message"]
            .as_str()
            .unwrap()
            .contains("Invalid SDK type"),
        "{bad}"
    );
    call(
        &t,
        Method::GET,
        &format!("/restapis/{id}/stages/nope/sdks/javascript"),
        json!(null),
        404,
    )
    .await;

    let resp = t
        .client
        .get(format!(
            "{}/restapis/{id}/stages/prod/sdks/javascript",
            t.base()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let zip = resp.bytes().await.unwrap();
    let files = unzip(&zip);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "apiGateway-js-sdk/apigClient.js",
            "apiGateway-js-sdk/README.md"
        ]
    );
    let client = &files[0].1;
    assert!(
        client.contains("apigClient.petsPetIdGet = function"),
        "{client}"
    );
    assert!(
        client.contains(&format!("/restapis/{id}/prod/_user_request_")),
        "{client}"
    );

    let Some(node) = common::require_tool("node") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("apigClient.js"), client).unwrap();
    let script = r#"
const factory = require('./apigClient.js');
const client = factory.newClient({ apiKey: 'unused-here' });
client.petsPetIdGet({ petId: '7', type: 'dog', 'x-trace': 't-1' }, null, {})
  .then(r => { console.log(JSON.stringify({ status: r.status, data: r.data })); })
  .catch(e => { console.error(e); process.exit(1); });
"#;
    std::fs::write(dir.path().join("main.js"), script).unwrap();
    let out = tokio::process::Command::new(node)
        .arg("main.js")
        .current_dir(dir.path())
        .output()
        .await
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json from node");
    assert_eq!(
        v,
        json!({"status": 200, "data": {"petId": "7", "type": "dog", "trace": "t-1"}})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_cli_get_sdk_writes_the_zip() {
    common::init();
    let Some(aws) = common::require_tool("aws") else {
        return;
    };
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let dir = tempfile::tempdir().unwrap();
    let out_file = dir.path().join("sdk.zip");
    let mut cmd = tokio::process::Command::new(aws);
    mgmt_support::aws_env(&mut cmd);
    let out = cmd
        .args([
            "apigateway",
            "get-sdk",
            "--endpoint-url",
            &t.base(),
            "--rest-api-id",
            &id,
            "--stage-name",
            "prod",
            "--sdk-type",
            "javascript",
        ])
        .arg(&out_file)
        .output()
        .await
        .expect("aws runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("get-sdk prints JSON");
    assert_eq!(meta["contentType"], "application/octet-stream", "{meta}");
    let files = unzip(&std::fs::read(&out_file).unwrap());
    assert!(files[0].1.contains("apigClient.petsPetIdGet"));
}
