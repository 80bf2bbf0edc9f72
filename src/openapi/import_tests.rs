//! Unit tests of the import walk (`import.rs`).
use super::*;

#[test]
fn segments_are_validated_and_normalised() {
    assert_eq!(path_segments("/a//b/", "").unwrap(), vec!["a", "b"]);
    assert!(
        path_segments("/res{id}", "")
            .unwrap_err()
            .message
            .contains("whole path segment")
    );
    assert!(
        path_segments("/a b", "")
            .unwrap_err()
            .message
            .contains("invalid path segment")
    );
    assert_eq!(model_base_name(None, "GET", "/pets/{id}"), "GetPetsId");
    assert_eq!(model_base_name(Some("list-pets"), "GET", "/"), "ListPets");
}

/// The rules the AWS-recorded imports showed (tests/fixtures/aws_recorded/
/// imports_localstack.json): root security, INTERNET on HTTP, no httpMethod on MOCK,
/// undeclared path variables, non-string requestParameters dropped with AWS's warning.
#[test]
fn imports_follow_the_recorded_rules() {
    let doc = r#"{
      "openapi": "3.0.1",
      "info": {"title": "t", "version": "1"},
      "security": [{"key": []}],
      "components": {"securitySchemes": {"key": {"type": "apiKey", "name": "x-api-key", "in": "header"}}},
      "paths": {
        "/items/{id}": {
          "get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
              "type": "http", "httpMethod": "GET", "uri": "https://example.com/{id}",
              "requestParameters": {"integration.request.header.n": true,
                                    "integration.request.path.id": "method.request.path.id"},
              "payloadFormatVersion": "1.0",
              "responses": {"default": {"statusCode": "200"}}
            }
          },
          "options": {
            "security": [],
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
              "type": "mock", "httpMethod": "POST",
              "responses": {"default": {"statusCode": "200"}}
            }
          }
        }
      }
    }"#;
    let out = super::super::import(doc, &ImportOptions::default(), None).unwrap();
    assert_eq!(
        out.warnings,
        [
            "Invalid format for 'requestParameters'. Expected type string for property 'integration.request.header.n' of resource '/items/{id}' and method 'GET' but got 'true'"
        ]
    );
    let def = &out.definition;
    let rid = def.resource_by_path("/items/{id}").unwrap().id.clone();
    let get = def.method(&rid, "GET").unwrap();
    assert!(get.api_key_required, "root-level security applies");
    assert_eq!(
        get.request_parameters.get("method.request.path.id"),
        Some(&true)
    );
    let http = get.method_integration.as_ref().unwrap();
    assert_eq!(
        http.connection_type,
        Some(crate::model::ConnectionType::Internet)
    );
    assert_eq!(
        http.request_parameters.keys().collect::<Vec<_>>(),
        ["integration.request.path.id"]
    );
    let options = def.method(&rid, "OPTIONS").unwrap();
    assert!(!options.api_key_required, "its own empty security wins");
    let mock = options.method_integration.as_ref().unwrap();
    assert_eq!(mock.http_method, None);
    assert_eq!(mock.connection_type, None);
}
