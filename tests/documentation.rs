//! Documentation parts and versions over loopback: CRUD with AWS's defaults and refusals, a
//! version that freezes the parts and is set on a stage, `x-amazon-apigateway-documentation`
//! through import and export, and everything back after a restart.

mod common;
mod mgmt_support;

use common::TestGateway;
use mgmt_support::mgmt;
use reqwest::Method;
use serde_json::{Value, json};

async fn call(t: &TestGateway, method: Method, path: &str, body: Value, want: u16) -> Value {
    mgmt_support::expect(&t.client, &t.base(), method, path, &body, want).await
}

const OPENAPI: &str = r##"{
  "openapi": "3.0.1",
  "info": {"title": "documented", "version": "1"},
  "paths": {
    "/pets": {
      "get": {
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {
          "type": "mock",
          "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
          "responses": {"default": {"statusCode": "200"}}
        }
      }
    }
  },
  "x-amazon-apigateway-documentation": {
    "version": "1.0",
    "documentationParts": [
      {"location": {"type": "API"}, "properties": {"description": "The pet API"}},
      {"location": {"type": "METHOD", "path": "/pets", "method": "GET"},
       "properties": {"summary": "List pets"}}
    ]
  }
}"##;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_and_versions_round_trip_through_the_management_api() {
    common::init();
    let t = TestGateway::start().await;
    let api = call(&t, Method::POST, "/restapis", json!({"name": "docs"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let parts = format!("/restapis/{id}/documentation/parts");

    // Defaults are filled in: path `/`, method and statusCode `*`.
    let response = call(
        &t,
        Method::POST,
        &parts,
        json!({"location": {"type": "RESPONSE", "path": "/pets"},
               "properties": "{\"description\": \"a response\"}"}),
        201,
    )
    .await;
    assert_eq!(
        response["location"],
        json!({"type": "RESPONSE", "path": "/pets", "method": "*", "statusCode": "*"})
    );
    // properties may come as an object too; it is kept as text, as AWS returns it.
    let api_part = call(
        &t,
        Method::POST,
        &parts,
        json!({"location": {"type": "API"}, "properties": {"description": "docs"}}),
        201,
    )
    .await;
    assert_eq!(api_part["properties"], "{\"description\":\"docs\"}");
    let model_part = call(
        &t,
        Method::POST,
        &parts,
        json!({"location": {"type": "MODEL", "name": "Pet"}, "properties": {"title": "Pet"}}),
        201,
    )
    .await;

    for (body, status, kind, message) in [
        (
            json!({"location": {"type": "API"}, "properties": {}}),
            409,
            "ConflictException",
            "already exists for the specified location",
        ),
        (
            // The model's enum: AWS's ValidationException, values in AWS's recorded order.
            json!({"location": {"type": "WHATEVER"}, "properties": {}}),
            400,
            "ValidationException",
            "1 validation error detected: Value 'WHATEVER' at 'createDocumentationPartInput.location.type' failed to satisfy constraint: Member must satisfy enum value set: [RESPONSE_BODY, RESPONSE, METHOD, MODEL, AUTHORIZER, RESPONSE_HEADER, RESOURCE, PATH_PARAMETER, REQUEST_BODY, QUERY_PARAMETER, API, REQUEST_HEADER]",
        ),
        (
            json!({"location": {"type": "QUERY_PARAMETER", "path": "/pets"}, "properties": {}}),
            400,
            "BadRequestException",
            "requires a name",
        ),
        (
            json!({"location": {"type": "RESOURCE", "path": "/pets"}, "properties": "[1]"}),
            400,
            "BadRequestException",
            "must be a valid JSON object",
        ),
    ] {
        let text = body.to_string();
        let (got, got_kind, json) =
            mgmt(&t.client, &t.base(), Method::POST, &parts, Some(&text)).await;
        assert_eq!(
            (got, got_kind.as_deref()),
            (status, Some(kind)),
            "{body}: {json}"
        );
        assert!(
            json["message"]
                .as_str()
                .or(json["Message"].as_str())
                .is_some_and(|m| m.contains(message)),
            "{body}: {json}"
        );
    }

    // Lists filter by type, name and path.
    let all = call(&t, Method::GET, &parts, Value::Null, 200).await;
    assert_eq!(all["item"].as_array().map(Vec::len), Some(3));
    let models = call(
        &t,
        Method::GET,
        &format!("{parts}?type=MODEL&name=Pe"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(models["item"][0]["id"], model_part["id"]);
    let on_pets = call(
        &t,
        Method::GET,
        &format!("{parts}?path=%2Fpets"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(on_pets["item"].as_array().map(Vec::len), Some(1));

    // Update the properties; other paths are refused.
    let part_path = format!("{parts}/{}", api_part["id"].as_str().expect("part id"));
    let updated = call(
        &t,
        Method::PATCH,
        &part_path,
        json!({"patchOperations": [{"op": "replace", "path": "/properties", "value": "{\"description\":\"new\"}"}]}),
        200,
    )
    .await;
    assert_eq!(updated["properties"], "{\"description\":\"new\"}");
    call(
        &t,
        Method::PATCH,
        &part_path,
        json!({"patchOperations": [{"op": "replace", "path": "/location/type", "value": "MODEL"}]}),
        400,
    )
    .await;

    // A version freezes the parts and is set on the stage named.
    let root = api["rootResourceId"].as_str().expect("root");
    let m = format!("/restapis/{id}/resources/{root}/methods/GET");
    mgmt_support::put_mock_method(&t.client, &t.base(), &m).await;
    call(
        &t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        json!({"stageName": "prod"}),
        201,
    )
    .await;
    let versions = format!("/restapis/{id}/documentation/versions");
    let v1 = call(
        &t,
        Method::POST,
        &versions,
        json!({"documentationVersion": "v1", "stageName": "prod", "description": "first"}),
        201,
    )
    .await;
    assert_eq!(v1["version"], "v1");
    let stage = call(
        &t,
        Method::GET,
        &format!("/restapis/{id}/stages/prod"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(stage["documentationVersion"], "v1");
    call(
        &t,
        Method::POST,
        &versions,
        json!({"documentationVersion": "v1"}),
        409,
    )
    .await;
    call(
        &t,
        Method::POST,
        &versions,
        json!({"documentationVersion": "v2", "stageName": "nope"}),
        400,
    )
    .await;
    let renamed = call(
        &t,
        Method::PATCH,
        &format!("{versions}/v1"),
        json!({"patchOperations": [{"op": "replace", "path": "/description", "value": "renamed"}]}),
        200,
    )
    .await;
    assert_eq!(renamed["description"], "renamed");
    call(&t, Method::DELETE, &part_path, Value::Null, 202).await;
    call(&t, Method::GET, &part_path, Value::Null, 404).await;

    // Everything is back after a restart.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, None).await;
    let all = call(&t, Method::GET, &parts, Value::Null, 200).await;
    assert_eq!(all["item"].as_array().map(Vec::len), Some(2));
    let got = call(&t, Method::GET, &format!("{versions}/v1"), Value::Null, 200).await;
    assert_eq!(got["description"], "renamed");
    call(
        &t,
        Method::DELETE,
        &format!("{versions}/v1"),
        Value::Null,
        202,
    )
    .await;
    call(&t, Method::GET, &format!("{versions}/v1"), Value::Null, 404).await;
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_extension_is_imported_and_exported() {
    common::init();
    let t = TestGateway::start().await;
    let resp = t
        .client
        .post(format!("{}/restapis?mode=import", t.base()))
        .body(OPENAPI)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status().as_u16(), 201);
    let api: Value = resp.json().await.expect("json");
    let id = api["id"].as_str().expect("id").to_string();
    let warnings = api["warnings"].to_string();
    assert!(!warnings.contains("documentation"), "{warnings}");
    let parts = call(
        &t,
        Method::GET,
        &format!("/restapis/{id}/documentation/parts"),
        Value::Null,
        200,
    )
    .await;
    let mut got: Vec<(Value, String)> = parts["item"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| {
            (
                p["location"].clone(),
                p["properties"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        got,
        [
            (
                json!({"type": "API"}),
                r#"{"description":"The pet API"}"#.to_string()
            ),
            (
                json!({"type": "METHOD", "path": "/pets", "method": "GET"}),
                r#"{"summary":"List pets"}"#.to_string()
            ),
        ]
    );
    let versions = call(
        &t,
        Method::GET,
        &format!("/restapis/{id}/documentation/versions"),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(versions["item"][0]["version"], "1.0");

    // A bad part refuses the import and says where.
    let broken = OPENAPI.replace(r#"{"type": "API"}"#, r#"{"type": "NOPE"}"#);
    let resp = t
        .client
        .post(format!("{}/restapis?mode=import", t.base()))
        .body(broken)
        .send()
        .await
        .expect("import");
    assert_eq!(resp.status().as_u16(), 400);
    let err = resp.text().await.unwrap_or_default();
    assert!(
        err.contains("documentationParts/0/location") && err.contains("NOPE"),
        "{err}"
    );

    // A stage exports the documentation version it publishes, with the API Gateway
    // extensions: none before one is set (AWS-recorded, localstack
    // `test_export_swagger_openapi[TEST_IMPORT_PETSTORE_SWAGGER]`), its parts and version
    // after; importing that export reproduces them.
    call(
        &t,
        Method::POST,
        &format!("/restapis/{id}/deployments"),
        json!({"stageName": "prod"}),
        201,
    )
    .await;
    let export = || async {
        let text = t
            .client
            .get(format!(
                "{}/restapis/{id}/stages/prod/exports/oas30?extensions=apigateway",
                t.base()
            ))
            .header("accept", "application/json")
            .send()
            .await
            .expect("export")
            .text()
            .await
            .expect("text");
        let doc: Value = serde_json::from_str(&text).expect("json");
        (text, doc)
    };
    let (_, doc) = export().await;
    assert!(
        doc.get("x-amazon-apigateway-documentation").is_none(),
        "{doc}"
    );
    call(
        &t,
        Method::PATCH,
        &format!("/restapis/{id}/stages/prod"),
        json!({"patchOperations": [{"op": "replace", "path": "/documentationVersion", "value": "1.0"}]}),
        200,
    )
    .await;
    let (exported, doc) = export().await;
    assert_eq!(doc["x-amazon-apigateway-documentation"]["version"], "1.0");
    let exported_parts = &doc["x-amazon-apigateway-documentation"]["documentationParts"];
    assert_eq!(exported_parts.as_array().map(Vec::len), Some(2), "{doc}");
    let resp = t
        .client
        .post(format!("{}/restapis?mode=import", t.base()))
        .body(exported)
        .send()
        .await
        .expect("re-import");
    assert_eq!(resp.status().as_u16(), 201);
    let again: Value = resp.json().await.expect("json");
    let again_parts = call(
        &t,
        Method::GET,
        &format!(
            "/restapis/{}/documentation/parts",
            again["id"].as_str().expect("id")
        ),
        Value::Null,
        200,
    )
    .await;
    let strip = |v: &Value| -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = v["item"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| (p["location"].to_string(), p["properties"].to_string()))
            .collect();
        out.sort();
        out
    };
    assert_eq!(strip(&again_parts), strip(&parts));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_documentation_parts_merges_or_overwrites() {
    common::init();
    let t = TestGateway::start().await;
    let api = call(&t, Method::POST, "/restapis", json!({"name": "docs"}), 201).await;
    let id = api["id"].as_str().expect("id").to_string();
    let parts = format!("/restapis/{id}/documentation/parts");
    let existing = call(
        &t,
        Method::POST,
        &parts,
        json!({"location": {"type": "API"}, "properties": {"description": "old"}}),
        201,
    )
    .await;
    let put = |query: &'static str, body: &'static str| {
        let url = format!("{}{parts}{query}", t.base());
        let client = t.client.clone();
        async move {
            let resp = client.put(url).body(body).send().await.expect("put");
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    const SWAGGER: &str = r#"{"swagger": "2.0", "info": {"title": "d", "version": "1"},
      "x-amazon-apigateway-documentation": {"documentationParts": [
        {"location": {"type": "API"}, "properties": {"description": "new"}},
        {"location": {"type": "MODEL", "name": "Pet"}, "properties": {"title": "Pet"}}]}}"#;
    // Merge (the default): the API part keeps its id and takes the new properties.
    let (status, out) = put("", SWAGGER).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["ids"].as_array().map(Vec::len), Some(2));
    assert_eq!(out["ids"][0], existing["id"]);
    let got = call(&t, Method::GET, &parts, Value::Null, 200).await;
    assert_eq!(got["item"].as_array().map(Vec::len), Some(2));
    let api_part = call(
        &t,
        Method::GET,
        &format!("{parts}/{}", existing["id"].as_str().expect("id")),
        Value::Null,
        200,
    )
    .await;
    assert_eq!(api_part["properties"], "{\"description\":\"new\"}");
    // Overwrite replaces every part.
    const ONE: &str = r#"{"swagger": "2.0", "info": {"title": "d", "version": "1"},
      "x-amazon-apigateway-documentation": {"documentationParts": [
        {"location": {"type": "RESOURCE", "path": "/pets"}, "properties": {"description": "pets"}}]}}"#;
    let (status, out) = put("?mode=overwrite", ONE).await;
    assert_eq!(status, 200, "{out}");
    let got = call(&t, Method::GET, &parts, Value::Null, 200).await;
    assert_eq!(got["item"].as_array().map(Vec::len), Some(1));
    assert_eq!(got["item"][0]["location"]["type"], "RESOURCE");
    // A document without the extension imports nothing and says so; failonwarnings refuses.
    const NONE: &str = r#"{"swagger": "2.0", "info": {"title": "d", "version": "1"}}"#;
    let (status, out) = put("", NONE).await;
    assert_eq!(status, 200);
    assert!(
        out["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("nothing imported")),
        "{out}"
    );
    let (status, out) = put("?failonwarnings=true", NONE).await;
    assert_eq!(status, 400, "{out}");
    let (status, out) = put("?mode=replace", ONE).await;
    assert_eq!(status, 400, "{out}");
    let (status, out) = put("", "{not a document").await;
    assert_eq!(status, 400, "{out}");
    // None of the refusals changed anything.
    let got = call(&t, Method::GET, &parts, Value::Null, 200).await;
    assert_eq!(got["item"].as_array().map(Vec::len), Some(1));
    t.stop().await;
}
