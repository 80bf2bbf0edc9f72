//! The importer never panics, whatever JSON it is fed: as a whole document, as `paths`, or
//! spliced into a real fixture at the places the importer interprets.

use gwtui::openapi::{self, BasePathMode, ImportMode, ImportOptions};
use proptest::prelude::*;
use serde_json::{Value, json};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map(Value::Number)
            .unwrap_or(Value::Null)),
        prop_oneof![
            "[a-z{}/+$#._-]{0,12}",
            Just("#/components/schemas/Pet".to_string()),
            Just("#/definitions/Pet".to_string()),
            Just("mock".to_string()),
            Just("http_proxy".to_string()),
            Just("/pets/{id}".to_string()),
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        "[a-z]{1,6}",
                        Just("$ref".to_string()),
                        Just("type".to_string()),
                        Just("responses".to_string()),
                        Just("parameters".to_string()),
                        Just("x-amazon-apigateway-integration".to_string()),
                        Just("statusCode".to_string()),
                        Just("/a/{b}".to_string()),
                        Just("get".to_string()),
                        Just("security".to_string()),
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Places in the OAS 3 fixture where an arbitrary value is spliced in.
const SPLICE_POINTS: [&str; 12] = [
    "/info",
    "/paths",
    "/paths/~1pets",
    "/paths/~1pets/get",
    "/paths/~1pets/get/parameters",
    "/paths/~1pets/get/responses",
    "/paths/~1pets/get/x-amazon-apigateway-integration",
    "/paths/~1pets/post/requestBody",
    "/paths/~1pets/post/security",
    "/components/schemas",
    "/components/securitySchemes",
    "/x-amazon-apigateway-gateway-responses",
];

fn options(i: u8) -> ImportOptions {
    ImportOptions {
        mode: if i.is_multiple_of(2) {
            ImportMode::Merge
        } else {
            ImportMode::Overwrite
        },
        fail_on_warnings: i.is_multiple_of(3),
        basepath: match i % 3 {
            0 => BasePathMode::Ignore,
            1 => BasePathMode::Prepend,
            _ => BasePathMode::Split,
        },
    }
}

fn fixture() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openapi/petstore-oas3.yaml"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let outcome = openapi::import(&text, &ImportOptions::default(), None);
    assert!(outcome.is_ok());
    serde_saphyr::from_str(&text).unwrap_or(Value::Null)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_documents_never_panic(v in arb_json(), i in any::<u8>()) {
        let _ = openapi::import(&v.to_string(), &options(i), None);
        let wrapped = json!({"openapi": "3.0.1", "info": {"title": "t", "version": "1"}, "paths": v.clone()});
        let _ = openapi::import(&wrapped.to_string(), &options(i), None);
        let swagger = json!({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": v.clone(), "definitions": v});
        let _ = openapi::import(&swagger.to_string(), &options(i), None);
    }

    #[test]
    fn arbitrary_values_spliced_into_a_fixture_never_panic(v in arb_json(), point in 0..SPLICE_POINTS.len(), i in any::<u8>(), yaml in any::<bool>()) {
        let mut doc = fixture();
        if let Some(slot) = doc.pointer_mut(SPLICE_POINTS[point]) {
            *slot = v;
        }
        let text = if yaml { serde_saphyr::to_string(&doc).unwrap_or_default() } else { doc.to_string() };
        let existing = openapi::import(&fixture().to_string(), &ImportOptions::default(), None).ok().map(|o| o.definition);
        let _ = openapi::import(&text, &options(i), existing.as_ref());
    }
}
