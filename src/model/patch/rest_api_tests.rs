use super::*;
use crate::model::{ApiKeySource, PatchOperation as Op};

fn api() -> RestApi {
    RestApi {
        id: "abc".into(),
        name: "pets".into(),
        endpoint_configuration: crate::model::EndpointConfiguration {
            types: vec!["EDGE".into()],
            ..Default::default()
        },
        ..RestApi::default()
    }
}

fn failing(a: &mut RestApi, ops: &[Op]) -> String {
    let before = a.clone();
    let err = apply_rest_api_patch(a, ops).unwrap_err();
    assert_eq!(*a, before, "a failing batch must leave the API unchanged");
    err.message().to_string()
}

#[test]
fn rest_api_paths() {
    let mut a = api();
    apply_rest_api_patch(
        &mut a,
        &[
            Op::replace("/name", "animals"),
            Op::replace("/description", "d"),
            Op::replace("/version", "2"),
            Op::replace("/apiKeySource", "AUTHORIZER"),
            Op::add("/binaryMediaTypes/image~1png", ""),
            Op::add("/binaryMediaTypes/*~1*", ""),
            Op::replace("/minimumCompressionSize", "1024"),
            Op::replace("/policy", "{\"Version\":\"2012-10-17\"}"),
            Op::replace("/disableExecuteApiEndpoint", "true"),
            Op::replace("/endpointConfiguration/types/EDGE", "REGIONAL"),
            Op::replace("/endpointConfiguration/ipAddressType", "dualstack"),
        ],
    )
    .unwrap();
    assert_eq!(a.name, "animals");
    assert_eq!(a.version.as_deref(), Some("2"));
    assert_eq!(a.api_key_source, ApiKeySource::Authorizer);
    assert_eq!(a.binary_media_types, ["image/png", "*/*"]);
    assert_eq!(a.minimum_compression_size, Some(1024));
    assert!(a.disable_execute_api_endpoint);
    assert_eq!(a.endpoint_configuration.types, ["REGIONAL"]);
    assert_eq!(
        a.endpoint_configuration.ip_address_type.as_deref(),
        Some("dualstack")
    );
    apply_rest_api_patch(
        &mut a,
        &[
            Op::remove("/binaryMediaTypes/image~1png"),
            Op::replace("/minimumCompressionSize", ""),
            Op::remove("/policy"),
        ],
    )
    .unwrap();
    assert_eq!(a.binary_media_types, ["*/*"]);
    assert_eq!(a.minimum_compression_size, None);
    assert_eq!(a.policy, None);
}

#[test]
fn rest_api_errors() {
    let mut a = api();
    for bad in ["-1", "10485761", "big"] {
        let msg = failing(&mut a, &[Op::replace("/minimumCompressionSize", bad)]);
        assert!(
            msg.contains("Invalid minimum compression size, must be between 0 and 10485760"),
            "{msg}"
        );
    }
    assert_eq!(
        failing(
            &mut a,
            &[Op::replace("/minimumCompressionSize", "10485761")]
        ),
        "Invalid minimum compression size, must be between 0 and 10485760"
    );
    assert!(
        failing(&mut a, &[Op::replace("/apiKeySource", "QUERY")]).contains("HEADER, AUTHORIZER")
    );
    assert!(failing(&mut a, &[Op::replace("/name", " ")]).contains("blank"));
    assert!(failing(&mut a, &[Op::replace("/policy", "x".repeat(8193))]).contains("8192"));
    assert!(
        failing(
            &mut a,
            &[
                Op::replace("/name", "ok"),
                Op::replace("/endpointConfiguration/types/EDGE", "GLOBAL")
            ]
        ) == "Invalid EndpointTypes specified. Valid options are REGIONAL,EDGE,PRIVATE"
    );
    assert!(
        failing(&mut a, &[Op::replace("/id", "x")])
            .starts_with("Invalid patch path  '/id' specified for op 'replace'")
    );
}

#[test]
fn resource_patch_goes_through_the_tree_rules() {
    let mut d = ApiDefinition::new(RestApi {
        id: "abc".into(),
        name: "t".into(),
        ..RestApi::default()
    });
    let root = d.rest_api.root_resource_id.clone();
    let pets = d.add_resource(&root, "pets", None).unwrap();
    let pet = d.add_resource(&pets, "{petId}", None).unwrap();
    let update = apply_resource_patch(&[
        Op::replace("/pathPart", "animals"),
        Op::replace("/parentId", &root),
    ])
    .unwrap();
    assert_eq!(
        update,
        ResourceUpdate {
            path_part: Some("animals".into()),
            parent_id: Some(root.clone())
        }
    );
    patch_resource(&mut d, &pets, &[Op::replace("/pathPart", "animals")]).unwrap();
    assert_eq!(d.resource(&pet).unwrap().path, "/animals/{petId}");
    let err = patch_resource(&mut d, &pets, &[Op::replace("/parentId", &pet)]).unwrap_err();
    assert_eq!(err.message(), "Resources cannot be cyclical.");
    let err = apply_resource_patch(&[Op::replace("/path", "/x")]).unwrap_err();
    assert!(
        err.message()
            .starts_with("Invalid patch path  '/path' specified for op 'replace'")
    );
    let err = apply_resource_patch(&[Op::remove("/pathPart")]).unwrap_err();
    assert_eq!(
        err.message(),
        "Invalid patch path  '/pathPart' specified for op 'remove'. Please choose supported operations"
    );
}
