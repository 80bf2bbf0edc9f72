//! OpenAPI import: real-world fixtures into concrete trees, merge/overwrite, base paths,
//! failonwarnings, one malformed file per error class, round trips and a no-panic proptest.

use std::path::PathBuf;

use gwtui::model::{
    ApiDefinition, ApiKeySource, AuthorizationType, AuthorizerType, ContentHandling,
    IntegrationType, Method, PassthroughBehavior,
};
use gwtui::openapi::{
    self, BasePathMode, ExportFormat, ExportOptions, Extensions, ImportMode, ImportOptions, compare,
};

fn fixture(name: &str) -> String {
    let path: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "openapi",
        name,
    ]
    .iter()
    .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import_new(src: &str) -> ApiDefinition {
    match openapi::import(src, &ImportOptions::default(), None) {
        Ok(outcome) => outcome.definition,
        Err(e) => panic!("{e}"),
    }
}

fn paths(def: &ApiDefinition) -> Vec<String> {
    let mut p: Vec<String> = def.resources.iter().map(|r| r.path.clone()).collect();
    p.sort();
    p
}

fn method<'a>(def: &'a ApiDefinition, path: &str, verb: &str) -> &'a Method {
    def.resource_by_path(path)
        .and_then(|r| r.resource_methods.get(verb))
        .unwrap_or_else(|| panic!("no {verb} {path}"))
}

fn authorizer_name(def: &ApiDefinition, m: &Method) -> String {
    let id = m.authorizer_id.as_deref().expect("authorizer id");
    def.authorizer(id).expect("authorizer").name.clone()
}

fn validator_name(def: &ApiDefinition, m: &Method) -> String {
    let id = m.request_validator_id.as_deref().expect("validator id");
    def.request_validator(id).expect("validator").name.clone()
}

#[test]
fn oas3_yaml_fixture_imports_the_expected_tree() {
    let outcome = openapi::import(
        &fixture("petstore-oas3.yaml"),
        &ImportOptions::default(),
        None,
    )
    .unwrap();
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    let def = outcome.definition;
    let api = &def.rest_api;
    assert_eq!(api.id.len(), 10);
    assert_eq!(api.name, "PetStore");
    assert_eq!(api.version.as_deref(), Some("2024-05-01"));
    assert_eq!(
        api.binary_media_types,
        ["image/png", "application/octet-stream"]
    );
    assert_eq!(api.minimum_compression_size, Some(1024));
    assert_eq!(api.api_key_source, ApiKeySource::Header);
    assert_eq!(api.endpoint_configuration.types, ["EDGE"]);
    let policy = api.policy.as_deref().unwrap();
    assert!(
        policy.contains(&format!(
            "arn:aws:execute-api:us-east-1:123456789012:{}/*",
            api.id
        )),
        "{policy}"
    );

    assert_eq!(
        paths(&def),
        [
            "/",
            "/api",
            "/api/{proxy+}",
            "/health",
            "/owners",
            "/owners/{ownerId}",
            "/owners/{ownerId}/pets",
            "/pets",
            "/pets/{petId}",
            "/pets/{petId}/photos",
            "/store",
            "/store/inventory"
        ]
    );
    for intermediate in ["/api", "/owners/{ownerId}", "/store"] {
        assert!(
            def.resource_by_path(intermediate)
                .unwrap()
                .resource_methods
                .is_empty()
        );
    }
    let pets = def.resource_by_path("/pets").unwrap();
    assert_eq!(
        pets.resource_methods.keys().collect::<Vec<_>>(),
        ["GET", "OPTIONS", "POST"]
    );

    // GET /pets: $ref'd query param, header param, HTTP integration with mappings.
    let get = method(&def, "/pets", "GET");
    assert_eq!(get.operation_name.as_deref(), Some("listPets"));
    assert_eq!(
        get.request_parameters
            .get("method.request.querystring.limit"),
        Some(&false)
    );
    assert_eq!(
        get.request_parameters
            .get("method.request.querystring.type"),
        Some(&false)
    );
    assert_eq!(
        get.request_parameters
            .get("method.request.header.X-Trace-Id"),
        Some(&true)
    );
    assert_eq!(validator_name(&def, get), "params-only");
    let mr = &get.method_responses["200"];
    assert_eq!(
        mr.response_parameters
            .get("method.response.header.X-Next-Page"),
        Some(&true)
    );
    assert_eq!(
        mr.response_parameters
            .get("method.response.header.Access-Control-Allow-Origin"),
        Some(&false)
    );
    assert_eq!(mr.response_models["application/json"], "Pets");
    let i = get.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::Http);
    assert_eq!(i.http_method.as_deref(), Some("GET"));
    assert_eq!(
        i.uri.as_deref(),
        Some("http://petstore.execute-api.us-east-1.amazonaws.com/petstore/pets")
    );
    assert_eq!(
        i.request_parameters["integration.request.querystring.page_size"],
        "method.request.querystring.limit"
    );
    assert_eq!(i.timeout_in_millis, 10000);
    assert_eq!(i.cache_key_parameters, ["method.request.querystring.type"]);
    let default = &i.integration_responses["200"];
    assert!(default.is_default());
    assert_eq!(
        default.response_parameters["method.response.header.X-Next-Page"],
        "integration.response.header.Link"
    );

    // POST /pets: body model, validator override, API key + TOKEN authorizer, selection patterns.
    let post = method(&def, "/pets", "POST");
    assert_eq!(post.request_models["application/json"], "NewPet");
    assert_eq!(validator_name(&def, post), "all");
    assert!(post.api_key_required);
    assert_eq!(post.authorization_type, AuthorizationType::Custom);
    assert_eq!(authorizer_name(&def, post), "petsAuthorizer");
    let i = post.method_integration.as_ref().unwrap();
    assert_eq!(i.passthrough_behavior, PassthroughBehavior::Never);
    assert_eq!(i.content_handling, Some(ContentHandling::ConvertToText));
    assert!(
        i.request_templates["application/json"].starts_with("#set($body = $input.path('$'))\n")
    );
    assert_eq!(
        i.integration_responses["201"].selection_pattern.as_deref(),
        Some("2\\d{2}")
    );
    assert_eq!(
        i.integration_responses["400"].selection_pattern.as_deref(),
        Some("4\\d{2}")
    );
    assert_eq!(
        i.integration_responses["400"].response_templates["application/json"],
        "{\"message\": $input.json('$.message')}"
    );

    // Path-item parameters, MOCK with selection patterns, AWS_PROXY with AWS variables.
    let get_pet = method(&def, "/pets/{petId}", "GET");
    assert_eq!(
        get_pet.request_parameters.get("method.request.path.petId"),
        Some(&true)
    );
    let mock = get_pet.method_integration.as_ref().unwrap();
    assert_eq!(mock.integration_type, IntegrationType::Mock);
    assert_eq!(
        mock.integration_responses["404"]
            .selection_pattern
            .as_deref(),
        Some("404")
    );
    assert!(mock.integration_responses["200"].is_default());
    let delete = method(&def, "/pets/{petId}", "DELETE");
    assert_eq!(delete.authorization_type, AuthorizationType::AwsIam);
    let i = delete.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::AwsProxy);
    assert_eq!(
        i.uri.as_deref(),
        Some(
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:pets-delete/invocations"
        )
    );

    let photo = method(&def, "/pets/{petId}/photos", "PUT");
    assert_eq!(photo.request_models["image/png"], "Empty");
    let i = photo.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::Aws);
    assert_eq!(
        i.credentials.as_deref(),
        Some("arn:aws:iam::123456789012:role/apigw-s3")
    );
    assert_eq!(i.content_handling, Some(ContentHandling::ConvertToBinary));

    // Lambda custom with an errorMessage pattern; stage variables kept verbatim.
    let owner_pets = method(&def, "/owners/{ownerId}/pets", "GET");
    let i = owner_pets.method_integration.as_ref().unwrap();
    assert_eq!(
        i.integration_responses["404"].selection_pattern.as_deref(),
        Some(".*NotFound.*")
    );
    let owners = method(&def, "/owners", "GET");
    assert!(
        owners
            .method_integration
            .as_ref()
            .unwrap()
            .uri
            .as_deref()
            .unwrap()
            .contains(":owners:${stageVariables.alias}/")
    );
    // Inline response schema → a generated model referring to Owner by model URL.
    let inline = &owners.method_responses["200"].response_models["application/json"];
    assert_eq!(inline, "ListOwnersOutput200");
    let schema = def.model_by_name(inline).unwrap().schema.clone().unwrap();
    assert!(
        schema.contains(&format!(
            "https://apigateway.amazonaws.com/restapis/{}/models/Owner",
            def.rest_api.id
        )),
        "{schema}"
    );

    let inventory = method(&def, "/store/inventory", "GET");
    assert_eq!(
        inventory.authorization_type,
        AuthorizationType::CognitoUserPools
    );
    assert_eq!(inventory.authorization_scopes, ["store/read"]);
    let i = inventory.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::HttpProxy);
    assert_eq!(
        i.uri.as_deref(),
        Some("http://${stageVariables.backend}/inventory")
    );

    let proxy = method(&def, "/api/{proxy+}", "ANY");
    assert_eq!(proxy.authorization_type, AuthorizationType::Custom);
    assert_eq!(authorizer_name(&def, proxy), "requestAuthorizer");
    assert_eq!(
        proxy.request_parameters.get("method.request.path.proxy"),
        Some(&true)
    );
    let i = proxy.method_integration.as_ref().unwrap();
    assert_eq!(i.http_method.as_deref(), Some("ANY"));
    assert_eq!(i.cache_namespace.as_deref(), Some("apiproxy"));
    assert!(i.tls_config.as_ref().unwrap().insecure_skip_verification);
    assert_eq!(
        method(&def, "/health", "ANY")
            .method_integration
            .as_ref()
            .unwrap()
            .integration_type,
        IntegrationType::Mock
    );

    // Models, validators, authorizers, gateway responses.
    let new_pet = def.model_by_name("NewPet").unwrap();
    assert_eq!(new_pet.content_type, "application/json");
    assert!(new_pet.schema.as_deref().unwrap().contains("/models/Owner"));
    for name in ["Empty", "Error", "NewPet", "Pet", "Pets", "Owner"] {
        assert!(def.model_by_name(name).is_some(), "{name}");
    }
    assert_eq!(def.request_validators.len(), 2);
    let token = def
        .authorizers
        .iter()
        .find(|a| a.name == "petsAuthorizer")
        .unwrap();
    assert_eq!(token.authorizer_type, AuthorizerType::Token);
    assert_eq!(
        token.identity_source.as_deref(),
        Some("method.request.header.Authorization")
    );
    assert_eq!(token.authorizer_result_ttl_in_seconds, Some(300));
    assert!(
        token
            .authorizer_uri
            .as_deref()
            .unwrap()
            .contains("us-east-1:123456789012:function:pets-auth")
    );
    let request = def
        .authorizers
        .iter()
        .find(|a| a.name == "requestAuthorizer")
        .unwrap();
    assert_eq!(request.authorizer_type, AuthorizerType::Request);
    assert_eq!(
        request.identity_source.as_deref(),
        Some("method.request.header.Authorization, method.request.querystring.tenant")
    );
    let cognito = def
        .authorizers
        .iter()
        .find(|a| a.name == "cognitoPool")
        .unwrap();
    assert_eq!(cognito.provider_a_r_ns.len(), 1);
    assert_eq!(def.authorizers.len(), 3);
    let gr = def
        .gateway_responses
        .iter()
        .find(|g| g.response_type == "MISSING_AUTHENTICATION_TOKEN")
        .unwrap();
    assert_eq!(gr.status_code.as_deref(), Some("404"));
    assert_eq!(
        gr.response_parameters["gatewayresponse.header.Access-Control-Allow-Origin"],
        "'*'"
    );
    assert_eq!(def.gateway_responses.len(), 2);
}

#[test]
fn swagger2_json_fixture_imports_the_expected_tree() {
    let outcome = openapi::import(
        &fixture("orders-swagger2.json"),
        &ImportOptions::default(),
        None,
    )
    .unwrap();
    assert!(outcome.warnings.is_empty(), "{:?}", outcome.warnings);
    let def = outcome.definition;
    assert_eq!(def.rest_api.name, "Orders");
    assert_eq!(def.rest_api.api_key_source, ApiKeySource::Authorizer);
    assert!(def.rest_api.disable_execute_api_endpoint);
    assert_eq!(
        paths(&def),
        [
            "/",
            "/customers",
            "/customers/{customerId}",
            "/customers/{customerId}/orders",
            "/orders",
            "/orders/{orderId}",
            "/orders/{orderId}/items",
            "/orders/{orderId}/items/{itemId}",
            "/reports",
            "/reports/daily",
            "/webhooks",
            "/webhooks/{provider}",
            "/{proxy+}"
        ]
    );
    let list = method(&def, "/orders", "GET");
    assert_eq!(
        list.request_parameters
            .get("method.request.querystring.pageToken"),
        Some(&false)
    );
    assert_eq!(
        list.request_parameters
            .get("method.request.querystring.status"),
        Some(&true)
    );
    assert_eq!(
        list.request_parameters
            .get("method.request.header.X-Customer"),
        Some(&false)
    );
    assert_eq!(validator_name(&def, list), "full");
    assert_eq!(authorizer_name(&def, list), "jwtAuth");
    assert_eq!(
        list.method_responses["200"].response_models["application/json"],
        "OrderList"
    );
    let i = list.method_integration.as_ref().unwrap();
    assert_eq!(
        i.uri.as_deref(),
        Some("https://orders-backend.example.com:8443/v2/orders")
    );
    assert_eq!(
        i.request_parameters["integration.request.header.X-Stage"],
        "stageVariables.stage"
    );
    assert_eq!(i.timeout_in_millis, 5000);

    let create = method(&def, "/orders", "POST");
    assert_eq!(create.request_models["application/json"], "NewOrder");
    assert!(create.api_key_required);
    assert_eq!(
        create.method_responses["422"].response_models["application/json"],
        "Problem"
    );
    let i = create.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::Aws);
    assert_eq!(i.passthrough_behavior, PassthroughBehavior::WhenNoTemplates);
    assert_eq!(
        i.integration_responses["422"].selection_pattern.as_deref(),
        Some(".*Invalid.*")
    );

    let get = method(&def, "/orders/{orderId}", "GET");
    assert_eq!(
        get.request_parameters.get("method.request.path.orderId"),
        Some(&true)
    );
    assert_eq!(authorizer_name(&def, get), "tenantAuth");
    let tenant = def
        .authorizers
        .iter()
        .find(|a| a.name == "tenantAuth")
        .unwrap();
    assert_eq!(
        tenant.identity_source.as_deref(),
        Some("method.request.querystring.tenant")
    );
    let jwt = def
        .authorizers
        .iter()
        .find(|a| a.name == "jwtAuth")
        .unwrap();
    assert_eq!(jwt.auth_type.as_deref(), Some("oauth2"));
    assert_eq!(
        jwt.authorizer_credentials.as_deref(),
        Some("arn:aws:iam::123456789012:role/apigw-invoke-auth")
    );

    let cancel = method(&def, "/orders/{orderId}", "DELETE");
    let i = cancel.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::Mock);
    assert_eq!(
        i.integration_responses["409"].selection_pattern.as_deref(),
        Some("409")
    );
    assert!(i.integration_responses["202"].is_default());

    let items = method(&def, "/orders/{orderId}/items", "GET");
    let i = items.method_integration.as_ref().unwrap();
    assert_eq!(i.integration_type, IntegrationType::HttpProxy);
    assert_eq!(
        i.uri.as_deref(),
        Some("http://${stageVariables.backend}/orders/{id}/items")
    );
    assert_eq!(
        items.method_responses["200"].response_models["application/json"],
        "ListItemsOutput200"
    );

    let put = method(&def, "/orders/{orderId}/items/{itemId}", "PUT");
    assert_eq!(put.request_models["application/json"], "LineItem");
    assert_eq!(put.request_parameters.len(), 2);

    let report = method(&def, "/reports/daily", "GET");
    assert_eq!(
        report
            .method_integration
            .as_ref()
            .unwrap()
            .integration_responses["200"]
            .response_templates["text/csv"],
        "id,total\n1,10.00"
    );
    let hook = method(&def, "/webhooks/{provider}", "POST");
    assert_eq!(hook.operation_name, None);
    assert_eq!(
        hook.request_parameters
            .get("method.request.header.X-Signature"),
        Some(&true)
    );
    let any = method(&def, "/{proxy+}", "ANY");
    assert_eq!(
        any.method_integration.as_ref().unwrap().uri.as_deref(),
        Some("https://legacy.example.com/{proxy}")
    );
    let order = def.model_by_name("Order").unwrap().schema.clone().unwrap();
    assert!(order.contains(&format!("restapis/{}/models/LineItem", def.rest_api.id)));
    assert_eq!(def.gateway_responses.len(), 2);
}

const SMALL: &str = r#"
openapi: 3.0.1
info: {title: Replaced, version: "2"}
paths:
  /pets:
    get:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {application/json: '{"statusCode": 200}'}
        responses: {default: {statusCode: "200"}}
  /extra/{id}:
    delete:
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {}
"#;

#[test]
fn merge_replaces_document_methods_and_keeps_the_rest() {
    let existing = import_new(&fixture("petstore-oas3.yaml"));
    let before = existing.clone();
    let opts = ImportOptions {
        mode: ImportMode::Merge,
        ..Default::default()
    };
    let merged = openapi::import(SMALL, &opts, Some(&existing))
        .unwrap()
        .definition;
    assert_eq!(existing, before, "import must not change its input");
    assert_eq!(merged.rest_api.id, existing.rest_api.id);
    assert_eq!(
        merged.rest_api.root_resource_id,
        existing.rest_api.root_resource_id
    );
    assert_eq!(merged.rest_api.name, "Replaced");
    let get = method(&merged, "/pets", "GET");
    assert_eq!(
        get.method_integration.as_ref().unwrap().integration_type,
        IntegrationType::Mock
    );
    assert!(
        get.request_parameters.is_empty(),
        "the document's method replaces the old one entirely"
    );
    assert_eq!(
        method(&merged, "/pets", "POST"),
        method(&existing, "/pets", "POST")
    );
    assert_eq!(
        merged.resource_by_path("/pets").unwrap().id,
        existing.resource_by_path("/pets").unwrap().id
    );
    assert!(merged.resource_by_path("/extra/{id}").is_some());
    assert!(merged.resource_by_path("/store/inventory").is_some());
    assert_eq!(merged.authorizers, existing.authorizers);
    assert_eq!(merged.models.len(), existing.models.len());
    assert_eq!(merged.binary_media_types(), existing.binary_media_types());
}

trait BinaryTypes {
    fn binary_media_types(&self) -> &[String];
}

impl BinaryTypes for ApiDefinition {
    fn binary_media_types(&self) -> &[String] {
        &self.rest_api.binary_media_types
    }
}

#[test]
fn overwrite_makes_the_api_exactly_the_document() {
    let existing = import_new(&fixture("petstore-oas3.yaml"));
    let opts = ImportOptions {
        mode: ImportMode::Overwrite,
        ..Default::default()
    };
    let over = openapi::import(SMALL, &opts, Some(&existing))
        .unwrap()
        .definition;
    assert_eq!(over.rest_api.id, existing.rest_api.id);
    assert_eq!(
        over.rest_api.root_resource_id,
        existing.rest_api.root_resource_id
    );
    assert_eq!(over.rest_api.created_date, existing.rest_api.created_date);
    assert_eq!(
        over.rest_api.endpoint_configuration,
        existing.rest_api.endpoint_configuration
    );
    assert_eq!(paths(&over), ["/", "/extra", "/extra/{id}", "/pets"]);
    assert_eq!(
        over.resource_by_path("/pets").unwrap().id,
        existing.resource_by_path("/pets").unwrap().id
    );
    assert_eq!(
        over.resource_by_path("/pets")
            .unwrap()
            .resource_methods
            .len(),
        1
    );
    assert!(
        over.authorizers.is_empty()
            && over.request_validators.is_empty()
            && over.gateway_responses.is_empty()
    );
    assert!(over.rest_api.binary_media_types.is_empty() && over.rest_api.policy.is_none());
    // Only the document's models (it has none), as an import creates (AWS-recorded, localstack
    // `test_import_and_validate_rest_api[swagger-mock-cors.json]`).
    let model_names: Vec<_> = over.models.iter().map(|m| m.name.as_str()).collect();
    assert!(model_names.is_empty(), "{model_names:?}");
}

fn base_path_tree(src: &str, basepath: BasePathMode) -> Vec<String> {
    let opts = ImportOptions {
        basepath,
        ..Default::default()
    };
    paths(&openapi::import(src, &opts, None).unwrap().definition)
}

#[test]
fn base_path_modes_follow_the_table() {
    let swagger = r#"{"swagger": "2.0", "info": {"title": "b", "version": "1"}, "basePath": "/a/b/c",
        "paths": {"/e": {"get": {"responses": {}}}, "/f": {"get": {"responses": {}}}}}"#;
    assert_eq!(
        base_path_tree(swagger, BasePathMode::Ignore),
        ["/", "/e", "/f"]
    );
    assert_eq!(
        base_path_tree(swagger, BasePathMode::Prepend),
        ["/", "/a", "/a/b", "/a/b/c", "/a/b/c/e", "/a/b/c/f"]
    );
    assert_eq!(
        base_path_tree(swagger, BasePathMode::Split),
        ["/", "/b", "/b/c", "/b/c/e", "/b/c/f"]
    );

    // OAS 3: the basePath server variable wins over the URL's path.
    let oas3 = "openapi: 3.0.1\ninfo: {title: b, version: '1'}\nservers:\n  - url: https://x.example.com/ignored/{basePath}\n    variables: {basePath: {default: /v1/api}}\npaths:\n  /e: {get: {responses: {}}}\n";
    assert_eq!(
        base_path_tree(oas3, BasePathMode::Prepend),
        ["/", "/v1", "/v1/api", "/v1/api/e"]
    );
    assert_eq!(
        base_path_tree(oas3, BasePathMode::Split),
        ["/", "/api", "/api/e"]
    );
    let url_only = "openapi: 3.0.1\ninfo: {title: b, version: '1'}\nservers: [{url: 'https://x.example.com/prod/v2'}]\npaths:\n  /e: {get: {responses: {}}}\n";
    assert_eq!(
        base_path_tree(url_only, BasePathMode::Prepend),
        ["/", "/prod", "/prod/v2", "/prod/v2/e"]
    );
    assert_eq!(
        base_path_tree(url_only, BasePathMode::Split),
        ["/", "/v2", "/v2/e"]
    );

    let orders = fixture("orders-swagger2.json");
    let split = base_path_tree(&orders, BasePathMode::Split);
    assert!(
        split.contains(&"/orders/orders/{orderId}".to_string())
            && split.contains(&"/orders/{proxy+}".to_string())
    );
}

const WARNY: &str = r#"
openapi: 3.0.1
info: {title: Warny, version: "1"}
x-amazon-apigateway-cors: {allowOrigins: ["*"]}
paths:
  /a:
    get:
      deprecated: true
      parameters: [{name: session, in: cookie, schema: {type: string}}]
      responses: {"200": {description: ok}}
components:
  schemas:
    Thing:
      type: object
      discriminator: {propertyName: kind}
      properties: {kind: {type: string, readOnly: true}}
"#;

#[test]
fn warnings_are_collected_or_fail_the_import() {
    let outcome = openapi::import(WARNY, &ImportOptions::default(), None).unwrap();
    assert_eq!(outcome.warnings.len(), 4, "{:#?}", outcome.warnings);
    assert_eq!(outcome.definition.rest_api.warnings, outcome.warnings);
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("HTTP APIs only"))
    );
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("discriminator, readOnly"))
    );
    assert!(outcome.warnings.iter().any(|w| w.contains("cookie")));
    let thing = outcome
        .definition
        .model_by_name("Thing")
        .unwrap()
        .schema
        .clone()
        .unwrap();
    assert!(!thing.contains("discriminator") && !thing.contains("readOnly"));

    let opts = ImportOptions {
        fail_on_warnings: true,
        ..Default::default()
    };
    let err = openapi::import(WARNY, &opts, None).unwrap_err();
    assert!(
        err.message.contains("failonwarnings") && err.message.contains("deprecated"),
        "{err}"
    );
    let clean = openapi::import(&fixture("orders-swagger2.json"), &opts, None);
    assert!(clean.is_ok(), "a clean document passes with failonwarnings");
}

#[test]
fn every_bad_file_fails_with_its_pointer_and_message() {
    let cases: &[(&str, &str, &str)] = &[
        ("not-json.json", "", "not valid JSON (line 3"),
        ("not-yaml.yaml", "", "not valid JSON or YAML (line"),
        (
            "unknown-version.json",
            "/openapi",
            "unsupported OpenAPI version '3.1.0'",
        ),
        (
            "invalid-path-segment.yaml",
            "/paths/~1pets~1a*b",
            "invalid path segment 'a*b'",
        ),
        (
            "param-not-whole-segment.yaml",
            "/paths/~1res{id}",
            "whole path segment: 'res{id}'",
        ),
        (
            "unknown-integration-type.json",
            "/paths/~1pets/get/x-amazon-apigateway-integration/type",
            "unknown integration type 'lambda_magic'",
        ),
        (
            "bad-timeout.yaml",
            "/paths/~1pets/get/x-amazon-apigateway-integration/timeoutInMillis",
            "between 50 and 29000",
        ),
        (
            "bad-passthrough.yaml",
            "/paths/~1pets/get/x-amazon-apigateway-integration/passthroughBehavior",
            "invalid passthroughBehavior 'sometimes'",
        ),
        (
            "invalid-http-uri.json",
            "/paths/~1pets/get/x-amazon-apigateway-integration/uri",
            "Invalid HTTP endpoint specified for URI",
        ),
        (
            "integration-response-without-method-response.yaml",
            "/paths/~1pets/get/x-amazon-apigateway-integration/responses/5\\d{2}/statusCode",
            "integration response status '500' has no method response",
        ),
        (
            "unknown-model.json",
            "/paths/~1pets/post/requestBody/content/application~1json/schema/$ref",
            "reference to unknown model '#/components/schemas/Missing'",
        ),
        (
            "unknown-validator.yaml",
            "/paths/~1pets/get/x-amazon-apigateway-request-validator",
            "unknown request validator 'strict'",
        ),
        (
            "unknown-security-scheme.json",
            "/paths/~1pets/get/security/0/myAuthorizer",
            "unknown security scheme 'myAuthorizer'",
        ),
        (
            "duplicate-resource.yaml",
            "/paths/~1pets~1",
            "duplicate resource '/pets'",
        ),
    ];
    for (file, pointer, message) in cases {
        let src = fixture(&format!("bad/{file}"));
        let err = match openapi::import(&src, &ImportOptions::default(), None) {
            Ok(_) => panic!("{file} imported"),
            Err(e) => e,
        };
        assert_eq!(err.pointer, *pointer, "{file}: {err}");
        assert!(err.message.contains(message), "{file}: {err}");
        assert!(
            err.to_string().starts_with("Invalid OpenAPI input at "),
            "{err}"
        );
    }
    // Every file in bad/ is covered.
    let dir: PathBuf = [
        env!("CARGO_MANIFEST_DIR"),
        "tests",
        "fixtures",
        "openapi",
        "bad",
    ]
    .iter()
    .collect();
    assert_eq!(std::fs::read_dir(dir).unwrap().count(), cases.len());
}

#[test]
fn documents_over_six_megabytes_are_rejected() {
    let mut src = String::from(
        "{\"openapi\": \"3.0.1\", \"info\": {\"title\": \"big\", \"version\": \"1\"}, \"x-pad\": \"",
    );
    src.push_str(&"a".repeat(6 * 1024 * 1024));
    src.push_str("\", \"paths\": {}}");
    let err = openapi::import(&src, &ImportOptions::default(), None).unwrap_err();
    assert_eq!(err.pointer, "");
    assert!(err.message.contains("6 MB"), "{err}");
}

#[test]
fn deep_nesting_and_wrong_types_fail_without_panicking() {
    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(openapi::import(&deep_json, &ImportOptions::default(), None).is_err());
    let deep_yaml = format!(
        "openapi: 3.0.1\ninfo: {{title: t, version: '1'}}\npaths: {}{}",
        "[".repeat(50_000),
        "]".repeat(50_000)
    );
    assert!(openapi::import(&deep_yaml, &ImportOptions::default(), None).is_err());
    let wrong = r#"{"openapi":"3.0.1","info":{"title":"t","version":1},"paths":{"/a":{"get":{"parameters":7}}}}"#;
    let err = openapi::import(wrong, &ImportOptions::default(), None).unwrap_err();
    assert_eq!(err.pointer, "/paths/~1a/get/parameters");
    let huge = r#"{"openapi":"3.0.1","info":{"title":"t","version":"1"},"x-amazon-apigateway-minimum-compression-size":1e400,"paths":{}}"#;
    assert!(openapi::import(huge, &ImportOptions::default(), None).is_err());
}

fn round_trip(def: &ApiDefinition, format: ExportFormat, yaml: bool) {
    let opts = ExportOptions {
        format,
        extensions: Extensions::Apigateway,
        yaml,
        stage_name: "prod".into(),
        host: format!("{}.execute-api.localhost:4567", def.rest_api.id),
        documentation: None,
    };
    let text = openapi::export(def, &opts).unwrap();
    let again = match openapi::import(&text, &ImportOptions::default(), None) {
        Ok(o) => o.definition,
        Err(e) => panic!("{format:?} yaml={yaml}: {e}\n{text}"),
    };
    if let Err(diff) = compare::same_api(def, &again) {
        panic!("{format:?} yaml={yaml}: {diff}\n{text}");
    }
}

#[test]
fn fixtures_round_trip_in_both_formats_and_serialisations() {
    for name in ["petstore-oas3.yaml", "orders-swagger2.json"] {
        let def = import_new(&fixture(name));
        for format in [ExportFormat::Oas30, ExportFormat::Swagger2] {
            for yaml in [false, true] {
                round_trip(&def, format, yaml);
            }
        }
    }
}

#[test]
fn same_api_notices_differences() {
    let a = import_new(&fixture("petstore-oas3.yaml"));
    let mut b = a.clone();
    if let Some(r) = b.resources.iter_mut().find(|r| r.path == "/pets") {
        r.resource_methods.remove("OPTIONS");
    }
    let diff = compare::same_api(&a, &b).unwrap_err();
    assert!(diff.contains("/resources/~1pets/OPTIONS"), "{diff}");
    let other_ids = import_new(&fixture("petstore-oas3.yaml"));
    assert_ne!(other_ids.rest_api.id, a.rest_api.id);
    compare::same_api(&a, &other_ids).unwrap();
}
