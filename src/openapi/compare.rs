//! Whether two definitions describe the same API, ignoring generated ids, creation dates,
//! import warnings and `version` (exports invent one when the API has none).
//!
//! Both sides are turned into a canonical JSON form: resources keyed by path, methods by
//! verb, authorizer and validator ids replaced by their names, models keyed by name with
//! their schemas parsed (model URLs reduced to the model name, `$schema` dropped), the
//! policy's API ARN reduced to `execute-api:/`.

use serde_json::{Map, Value, json};

use super::extensions::execute_api_arn_prefix;
use super::schema::model_name_from_url;
use crate::model::{ApiDefinition, Method};

/// The canonical, id-free form of a definition.
pub fn canonical(def: &ApiDefinition) -> Value {
    let api = &def.rest_api;
    let policy = api.policy.as_ref().map(|p| {
        let text = p.replace(&execute_api_arn_prefix(&api.id), "execute-api:/");
        serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text))
    });
    let mut resources = Map::new();
    for r in &def.resources {
        let methods: Map<String, Value> = r
            .resource_methods
            .iter()
            .map(|(verb, m)| (verb.clone(), canonical_method(def, m)))
            .collect();
        resources.insert(r.path.clone(), Value::Object(methods));
    }
    let models: Map<String, Value> = def
        .models
        .iter()
        .map(|m| {
            let mut schema = m
                .schema
                .as_deref()
                .map(|s| {
                    serde_json::from_str::<Value>(s)
                        .unwrap_or_else(|_| Value::String(s.to_string()))
                })
                .unwrap_or(Value::Null);
            if let Some(map) = schema.as_object_mut() {
                map.remove("$schema");
            }
            strip_model_urls(&mut schema);
            (
                m.name.clone(),
                json!({"contentType": m.content_type, "schema": schema}),
            )
        })
        .collect();
    let validators: Map<String, Value> = def
        .request_validators
        .iter()
        .map(|v| {
            (
                v.name.clone(),
                json!({"body": v.validate_request_body, "parameters": v.validate_request_parameters}),
            )
        })
        .collect();
    let authorizers: Map<String, Value> = def
        .authorizers
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
            if let Some(map) = v.as_object_mut() {
                map.remove("id");
            }
            (a.name.clone(), v)
        })
        .collect();
    let gateway_responses: Map<String, Value> = def
        .gateway_responses
        .iter()
        .map(|g| {
            (
                g.response_type.clone(),
                serde_json::to_value(g).unwrap_or(Value::Null),
            )
        })
        .collect();
    json!({
        "name": api.name,
        "description": api.description,
        "apiKeySource": api.api_key_source,
        "binaryMediaTypes": api.binary_media_types,
        "minimumCompressionSize": api.minimum_compression_size,
        "policy": policy,
        "disableExecuteApiEndpoint": api.disable_execute_api_endpoint,
        "resources": resources,
        "models": models,
        "requestValidators": validators,
        "authorizers": authorizers,
        "gatewayResponses": gateway_responses,
    })
}

fn canonical_method(def: &ApiDefinition, m: &Method) -> Value {
    let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Some(map) = v.as_object_mut() {
        if let Some(id) = &m.authorizer_id {
            let name = def
                .authorizer(id)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("<missing {id}>"));
            map.insert("authorizerId".into(), json!(name));
        }
        if let Some(id) = &m.request_validator_id {
            let name = def
                .request_validator(id)
                .map(|a| a.name.clone())
                .unwrap_or_else(|| format!("<missing {id}>"));
            map.insert("requestValidatorId".into(), json!(name));
        }
    }
    v
}

fn strip_model_urls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(s) = v
                    && let Some(name) = model_name_from_url(s)
                {
                    *s = format!("model:{name}");
                } else {
                    strip_model_urls(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_model_urls),
        _ => {}
    }
}

/// `Ok` when both definitions describe the same API; otherwise the JSON pointer of the first
/// difference with both values.
pub fn same_api(a: &ApiDefinition, b: &ApiDefinition) -> Result<(), String> {
    first_difference(&canonical(a), &canonical(b), String::new()).map_or(Ok(()), Err)
}

fn first_difference(a: &Value, b: &Value, at: String) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let child = format!("{at}/{}", super::pointer::escape(key));
                match (x.get(key), y.get(key)) {
                    (Some(l), Some(r)) => {
                        if let Some(d) = first_difference(l, r, child) {
                            return Some(d);
                        }
                    }
                    (l, r) => return Some(format!("{child}: {l:?} != {r:?}")),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (l, r))| first_difference(l, r, format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(format!("{at}: {a} != {b}")),
    }
}
