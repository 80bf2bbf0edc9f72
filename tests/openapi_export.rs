//! OpenAPI export: server info, ANY methods, refs, and which extensions each level writes.

use gwtui::model::{ApiDefinition, AuthorizationType};
use gwtui::openapi::{self, ExportFormat, ExportOptions, Extensions, ImportOptions, compare};
use serde_json::Value;

fn petstore() -> ApiDefinition {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi/petstore-oas3.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap();
    openapi::import(&text, &ImportOptions::default(), None)
        .unwrap()
        .definition
}

fn export(def: &ApiDefinition, format: ExportFormat, extensions: Extensions) -> Value {
    let opts = ExportOptions {
        format,
        extensions,
        yaml: false,
        stage_name: "prod".into(),
        host: "abc123.execute-api.localhost:4567".into(),
        documentation: None,
    };
    serde_json::from_str(&openapi::export(def, &opts).unwrap()).unwrap()
}

#[test]
fn oas30_export_has_servers_any_methods_and_component_refs() {
    let def = petstore();
    let doc = export(&def, ExportFormat::Oas30, Extensions::Apigateway);
    assert_eq!(doc["openapi"], "3.0.1");
    assert_eq!(doc["info"]["title"], "PetStore");
    assert_eq!(
        doc["servers"][0]["url"],
        "https://abc123.execute-api.localhost:4567/{basePath}"
    );
    assert_eq!(
        doc["servers"][0]["variables"]["basePath"]["default"],
        "prod"
    );
    let proxy = &doc["paths"]["/api/{proxy+}"]["x-amazon-apigateway-any-method"];
    assert_eq!(
        proxy["x-amazon-apigateway-integration"]["type"],
        "http_proxy"
    );
    assert_eq!(
        proxy["security"][0]["requestAuthorizer"],
        serde_json::json!([])
    );
    assert_eq!(
        doc["components"]["schemas"]["Pets"]["items"]["$ref"],
        "#/components/schemas/Pet"
    );
    assert!(
        doc["components"]["schemas"]["Empty"]
            .get("$schema")
            .is_none()
    );
    let post = &doc["paths"]["/pets"]["post"];
    assert_eq!(
        post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/NewPet"
    );
    assert_eq!(post["x-amazon-apigateway-request-validator"], "all");
    assert_eq!(
        post["x-amazon-apigateway-integration"]["passthroughBehavior"],
        "never"
    );
    assert_eq!(
        post["x-amazon-apigateway-integration"]["responses"]["2\\d{2}"]["statusCode"],
        "201"
    );
    assert_eq!(
        doc["x-amazon-apigateway-request-validators"]["all"]["validateRequestBody"],
        true
    );
    assert_eq!(
        doc["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]["statusCode"],
        "404"
    );
    assert_eq!(
        doc["x-amazon-apigateway-policy"]["Statement"][0]["Resource"],
        "execute-api:/*"
    );
    assert_eq!(
        doc["x-amazon-apigateway-binary-media-types"][0],
        "image/png"
    );
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["sigv4"]["x-amazon-apigateway-authtype"], "awsSigv4");
    assert_eq!(
        schemes["petsAuthorizer"]["x-amazon-apigateway-authorizer"]["type"],
        "token"
    );
    assert_eq!(schemes["api_key"]["name"], "x-api-key");
    // Intermediate resources without methods are not paths.
    assert!(doc["paths"].get("/store").is_none());
}

#[test]
fn swagger2_export_has_host_base_path_and_definitions() {
    let def = petstore();
    let doc = export(&def, ExportFormat::Swagger2, Extensions::Integrations);
    assert_eq!(doc["swagger"], "2.0");
    assert_eq!(doc["host"], "abc123.execute-api.localhost:4567");
    assert_eq!(doc["basePath"], "/prod");
    assert_eq!(
        doc["definitions"]["Pets"]["items"]["$ref"],
        "#/definitions/Pet"
    );
    let post = &doc["paths"]["/pets"]["post"];
    let body = post["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["in"] == "body")
        .unwrap();
    assert_eq!(body["schema"]["$ref"], "#/definitions/NewPet");
    assert_eq!(post["consumes"][0], "application/json");
    assert!(post.get("x-amazon-apigateway-integration").is_some());
    // `integrations` writes neither validators nor root extensions nor authorizer schemes.
    assert!(post.get("x-amazon-apigateway-request-validator").is_none());
    assert!(doc.get("x-amazon-apigateway-request-validators").is_none());
    assert!(doc["securityDefinitions"].get("petsAuthorizer").is_none());
    assert_eq!(post["security"], serde_json::json!([{"api_key": []}]));
}

#[test]
fn plain_export_has_no_api_gateway_extensions() {
    let def = petstore();
    for format in [ExportFormat::Oas30, ExportFormat::Swagger2] {
        let text = serde_json::to_string(&export(&def, format, Extensions::None)).unwrap();
        assert!(
            !text.contains("x-amazon-apigateway-integration"),
            "{format:?}"
        );
        assert!(
            !text.contains("x-amazon-apigateway-authorizer"),
            "{format:?}"
        );
        assert!(
            text.contains("x-amazon-apigateway-any-method"),
            "ANY needs its extension even in plain OpenAPI"
        );
    }
    let auth =
        serde_json::to_string(&export(&def, ExportFormat::Oas30, Extensions::Authorizers)).unwrap();
    assert!(
        auth.contains("x-amazon-apigateway-authorizer")
            && !auth.contains("x-amazon-apigateway-integration\"")
    );
}

#[test]
fn yaml_export_parses_back_to_the_same_document() {
    let def = petstore();
    let opts = ExportOptions {
        yaml: true,
        extensions: Extensions::Apigateway,
        ..Default::default()
    };
    let yaml = openapi::export(&def, &opts).unwrap();
    let json = openapi::export(
        &def,
        &ExportOptions {
            yaml: false,
            ..opts.clone()
        },
    )
    .unwrap();
    let from_yaml = openapi::import(&yaml, &ImportOptions::default(), None)
        .unwrap()
        .definition;
    let from_json = openapi::import(&json, &ImportOptions::default(), None)
        .unwrap()
        .definition;
    compare::same_api(&from_yaml, &from_json).unwrap();
    assert!(
        yaml.starts_with("openapi: 3.0.1") || yaml.starts_with("openapi: \"3.0.1\""),
        "{}",
        &yaml[..40]
    );
}

#[test]
fn a_hand_built_api_round_trips() {
    let mut def = ApiDefinition::new(gwtui::model::RestApi {
        id: "hand123456".into(),
        name: "Hand".into(),
        ..Default::default()
    });
    let id = def.ensure_path("/things/{thingId}").unwrap();
    let leaf = def.ensure_path("/empty-leaf").unwrap();
    let method = gwtui::model::Method {
        http_method: "GET".into(),
        authorization_type: AuthorizationType::AwsIam.into(),
        request_parameters: [("method.request.path.thingId".to_string(), true)]
            .into_iter()
            .collect(),
        ..Default::default()
    };
    def.resource_mut(&id)
        .unwrap()
        .resource_methods
        .insert("GET".into(), method);
    for format in [ExportFormat::Oas30, ExportFormat::Swagger2] {
        let opts = ExportOptions {
            format,
            extensions: Extensions::Apigateway,
            ..Default::default()
        };
        let text = openapi::export(&def, &opts).unwrap();
        let again = openapi::import(&text, &ImportOptions::default(), None)
            .unwrap()
            .definition;
        compare::same_api(&def, &again).unwrap();
        assert!(
            again.resource_by_path("/empty-leaf").is_some(),
            "{leaf}: leaf resources survive"
        );
    }
}

#[test]
fn yaml_export_keeps_multiline_templates_and_quotes_ambiguous_scalars() {
    let def = petstore();
    let opts = ExportOptions {
        yaml: true,
        extensions: Extensions::Apigateway,
        ..Default::default()
    };
    let yaml = openapi::export(&def, &opts).unwrap();
    let back: Value = serde_saphyr::from_str(&yaml).unwrap();
    let template = &back["paths"]["/pets"]["post"]["x-amazon-apigateway-integration"]["requestTemplates"]
        ["application/json"];
    assert!(
        template
            .as_str()
            .unwrap()
            .starts_with("#set($body = $input.path('$'))\n")
    );
    // Status-code keys and values stay strings.
    assert_eq!(
        back["paths"]["/pets/{petId}"]["get"]["x-amazon-apigateway-integration"]["responses"]["404"]
            ["statusCode"],
        "404"
    );
}

/// AWS omits the default `timeoutInMillis` (29000) from an export and keeps any other value
/// (AWS-recorded: localstack `test_export_swagger_openapi`, `get-export-with-extensions`).
#[test]
fn the_default_integration_timeout_is_not_exported() {
    let mut def = petstore();
    let set_all = |def: &mut ApiDefinition, ms: u32| {
        for r in def.resources.iter_mut() {
            for m in r.resource_methods.values_mut() {
                if let Some(i) = m.method_integration.as_mut() {
                    i.timeout_in_millis = ms;
                }
            }
        }
    };
    set_all(&mut def, 29_000);
    let doc = export(&def, ExportFormat::Swagger2, Extensions::Integrations);
    let text = doc.to_string();
    assert!(text.contains("x-amazon-apigateway-integration"));
    assert!(!text.contains("timeoutInMillis"), "{text}");
    set_all(&mut def, 5_000);
    let doc = export(&def, ExportFormat::Swagger2, Extensions::Integrations);
    assert!(doc.to_string().contains("\"timeoutInMillis\":5000"));
}
