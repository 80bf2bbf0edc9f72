//! The members AWS always returns even when they hold their default, added to the answer
//! (the stored model keeps them optional so persistence and OpenAPI stay as they are).
//! Evidence: localstack's AWS-recorded `test_apigateway_api.snapshot.json`
//! (`test_create_rest_api_verify_defaults`, `test_create_integration_with_vpc_link`,
//! `test_gateway_response_crud`), replayed by `tests/aws_recorded.rs`.

use serde::Serialize;
use serde_json::{Map, Value};

use crate::model::{ApiKey, GatewayResponse, Integration, RestApi, UsagePlan};

fn object<T: Serialize>(v: &T) -> Map<String, Value> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `endpointConfiguration.ipAddressType`: `dualstack` for PRIVATE APIs, else `ipv4`.
pub(super) fn rest_api(api: &RestApi) -> Value {
    let mut m = object(api);
    if let Some(Value::Object(ec)) = m.get_mut("endpointConfiguration")
        && !ec.contains_key("ipAddressType")
    {
        let private = api
            .endpoint_configuration
            .types
            .iter()
            .any(|t| t == "PRIVATE");
        ec.insert(
            "ipAddressType".into(),
            Value::from(if private { "dualstack" } else { "ipv4" }),
        );
    }
    Value::Object(m)
}

/// `tags: {}` when absent (UpdateRestApi's answer, AWS-recorded `test_update_rest_api_compression`).
pub(super) fn with_tags(mut v: Value) -> Value {
    if let Value::Object(m) = &mut v {
        m.entry("tags").or_insert_with(|| Value::Object(Map::new()));
    }
    v
}

pub(super) fn rest_apis(apis: Vec<RestApi>) -> Vec<Value> {
    apis.iter().map(rest_api).collect()
}

/// `cacheNamespace` (AWS sets it to the resource id) and `cacheKeyParameters: []`.
pub(super) fn integration(i: &Integration, resource_id: &str) -> Value {
    let mut m = object(i);
    m.entry("cacheNamespace")
        .or_insert_with(|| Value::from(resource_id));
    m.entry("cacheKeyParameters")
        .or_insert_with(|| Value::Array(Vec::new()));
    Value::Object(m)
}

/// A method with its integration shaped as GetIntegration answers it (AWS-recorded, localstack
/// `test_lifecycle_method_response`: GetMethod's `methodIntegration` has `cacheNamespace`).
pub(super) fn method(m: &crate::model::Method, resource_id: &str) -> Value {
    let mut out = object(m);
    if let Some(i) = &m.method_integration {
        out.insert("methodIntegration".into(), integration(i, resource_id));
    }
    Value::Object(out)
}

/// `responseParameters: {}` and `responseTemplates: {}` when empty.
pub(super) fn gateway_response(r: &GatewayResponse) -> Value {
    let mut m = object(r);
    m.entry("responseParameters")
        .or_insert_with(|| Value::Object(Map::new()));
    m.entry("responseTemplates")
        .or_insert_with(|| Value::Object(Map::new()));
    Value::Object(m)
}

/// `stageKeys: []` always; no `name` when it is empty (AWS-recorded,
/// `test_get_api_keys`, `test_create_api_key_with_invalid_name`).
pub(super) fn api_key(k: &ApiKey) -> Value {
    let mut m = object(k);
    m.entry("stageKeys")
        .or_insert_with(|| Value::Array(Vec::new()));
    if k.name.is_empty() {
        m.remove("name");
    }
    Value::Object(m)
}

/// `apiStages: []` always; `tags: {}` on GetUsagePlan and UpdateUsagePlan, not on create or
/// in lists (AWS-recorded, `test_usage_plan_crud`, `test_create_usage_plan_with_throttle`).
pub(super) fn usage_plan(p: &UsagePlan, with_tags: bool) -> Value {
    let mut m = object(p);
    m.entry("apiStages")
        .or_insert_with(|| Value::Array(Vec::new()));
    if with_tags {
        m.entry("tags").or_insert_with(|| Value::Object(Map::new()));
    }
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EndpointConfiguration;

    #[test]
    fn defaults_are_filled_as_aws_returns_them() {
        let api = RestApi {
            endpoint_configuration: EndpointConfiguration {
                types: vec!["PRIVATE".into()],
                ..EndpointConfiguration::default()
            },
            ..RestApi::default()
        };
        assert_eq!(
            rest_api(&api)["endpointConfiguration"]["ipAddressType"],
            "dualstack"
        );
        let i = integration(&Integration::default(), "r00t");
        assert_eq!(i["cacheNamespace"], "r00t");
        assert_eq!(i["cacheKeyParameters"], serde_json::json!([]));
        let g = gateway_response(&GatewayResponse::default());
        assert_eq!(g["responseParameters"], serde_json::json!({}));
    }
}
