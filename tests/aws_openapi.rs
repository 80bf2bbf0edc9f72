//! OpenAPI round trip of AWS service integrations: `type: aws` with `uri` (action and path
//! forms), `credentials`, parameters, templates and content handling survive export and
//! re-import, in OpenAPI 3 and Swagger 2.

use gwtui::model::ApiDefinition;
use gwtui::openapi::{self, ExportFormat, ExportOptions, Extensions, ImportOptions};

fn import(text: &str) -> ApiDefinition {
    openapi::import(text, &ImportOptions::default(), None)
        .unwrap()
        .definition
}

fn integrations(def: &ApiDefinition) -> Vec<(String, String, gwtui::model::Integration)> {
    let mut out = Vec::new();
    for r in &def.resources {
        for (verb, m) in &r.resource_methods {
            if let Some(i) = &m.method_integration {
                out.push((r.path.clone(), verb.clone(), i.clone()));
            }
        }
    }
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

#[test]
fn aws_integrations_round_trip_through_export() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi/aws-services.yaml"
    );
    let original = import(&std::fs::read_to_string(path).unwrap());
    let before = integrations(&original);
    assert_eq!(before.len(), 3);
    let (_, _, orders) = &before[2];
    assert_eq!(
        orders.credentials.as_deref(),
        Some("arn:aws:iam::123456789012:role/apigw-sqs")
    );
    for (format, yaml) in [(ExportFormat::Oas30, true), (ExportFormat::Swagger2, false)] {
        let text = openapi::export(
            &original,
            &ExportOptions {
                format,
                extensions: Extensions::Integrations,
                yaml,
                stage_name: "prod".into(),
                host: "abc123.execute-api.localhost:4567".into(),
                documentation: None,
            },
        )
        .unwrap();
        assert!(text.contains("arn:aws:apigateway:eu-west-1:states:action/StartExecution"));
        let doc: serde_json::Value = if yaml {
            serde_saphyr::from_str(&text).unwrap()
        } else {
            serde_json::from_str(&text).unwrap()
        };
        let flows = &doc["paths"]["/flows"]["post"]["x-amazon-apigateway-integration"];
        assert_eq!(flows["type"], "aws");
        assert_eq!(
            flows["credentials"],
            "arn:aws:iam::123456789012:role/apigw-sfn"
        );
        let after = integrations(&import(&text));
        assert_eq!(after, before, "{format:?}");
    }
}
