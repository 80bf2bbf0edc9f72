//! `$context` and `$stageVariables` as VTL values, and the request/response overrides a
//! template writes into `$context` (mapping.md §2, §5).

use std::sync::Arc;

use indexmap::IndexMap;

use crate::vtl::Value;
use crate::vtl::value::Map;

/// Overrides a template set through `$context.requestOverride.*` /
/// `$context.responseOverride.*`, applied by the gateway after the render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `$context.responseOverride.status`, when it is an integer in 100–599 (otherwise
    /// ignored, as API Gateway does).
    pub status: Option<u16>,
    /// `requestOverride.header.X` (request templates) or `responseOverride.header.X`
    /// (response templates), in the order set.
    pub headers: Vec<(String, String)>,
    /// `requestOverride.path.X`.
    pub path: Vec<(String, String)>,
    /// `requestOverride.querystring.X`.
    pub querystring: Vec<(String, String)>,
}

/// Which override object a template may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OverrideKind {
    Request,
    Response,
}

/// Build `$context` from the caller's JSON, adding the empty override objects a template may
/// write unless the caller supplied them: `requestOverride` with `header/path/querystring`
/// and `responseOverride` with `header`. Both exist in request and response templates alike:
/// AWS keeps what a request template set in them for the response template to read, and
/// applies a `responseOverride` set by the request template to the response
/// (localstack's AWS-recorded `test_integration_mock_with_response_override_in_request_template`
/// and `test_integration_mock_with_vtl_map_assignation`).
pub(crate) fn context_value(context: &serde_json::Value, _kind: OverrideKind) -> Value {
    let v = match context {
        serde_json::Value::Object(_) => Value::from_json(context),
        _ => Value::new_map(Map::default()),
    };
    let Value::Map(m) = &v else {
        return v;
    };
    let empty = || Value::new_map(Map::default());
    let mut m = m.borrow_mut();
    for (object, members) in [
        ("requestOverride", &["header", "path", "querystring"][..]),
        ("responseOverride", &["header"][..]),
    ] {
        let ov = m.entry(Arc::from(object)).or_insert_with(empty).clone();
        if let Value::Map(ov) = ov {
            let mut ov = ov.borrow_mut();
            for k in members {
                ov.entry(Arc::from(*k)).or_insert_with(empty);
            }
        }
    }
    drop(m);
    v
}

/// The override objects after a render, as JSON (`{"requestOverride": …,
/// "responseOverride": …}`), for the gateway to hand to the response template.
pub(crate) fn carried_overrides(context: &Value) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for object in ["requestOverride", "responseOverride"] {
        let v = get(context, object);
        if !v.is_null() {
            out.insert(object.to_string(), v.to_json(0));
        }
    }
    serde_json::Value::Object(out)
}

/// The response overrides found in carried override objects (see [`carried_overrides`]):
/// what a request template set in `$context.responseOverride`.
pub fn carried_response_overrides(carried: &serde_json::Value) -> Overrides {
    extract_overrides(&Value::from_json(carried), OverrideKind::Response)
}

/// `$stageVariables` as a map.
pub(crate) fn stage_variables_value(vars: &IndexMap<String, String>) -> Value {
    Value::new_map(
        vars.iter()
            .map(|(k, v)| (Arc::from(k.as_str()), Value::str(v)))
            .collect(),
    )
}

fn get(v: &Value, key: &str) -> Value {
    match &*v.materialised() {
        Value::Map(m) => m
            .try_borrow()
            .ok()
            .and_then(|m| m.get(key).cloned())
            .unwrap_or_default(),
        _ => Value::Null,
    }
}

fn pairs(v: &Value) -> Vec<(String, String)> {
    let v = v.materialised();
    let Value::Map(m) = &*v else {
        return Vec::new();
    };
    let Ok(m) = m.try_borrow() else {
        return Vec::new();
    };
    m.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.to_string(), v.to_java_string(1 << 20).unwrap_or_default()))
        .collect()
}

/// Read the overrides back from `$context` after a render.
pub(crate) fn extract_overrides(context: &Value, kind: OverrideKind) -> Overrides {
    match kind {
        OverrideKind::Request => {
            let ov = get(context, "requestOverride");
            Overrides {
                status: None,
                headers: pairs(&get(&ov, "header")),
                path: pairs(&get(&ov, "path")),
                querystring: pairs(&get(&ov, "querystring")),
            }
        }
        OverrideKind::Response => {
            let ov = get(context, "responseOverride");
            let status = match get(&ov, "status") {
                Value::Int(i) => Some(i),
                Value::Str(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            }
            .filter(|s| (100..=599).contains(s))
            .and_then(|s| u16::try_from(s).ok());
            Overrides {
                status,
                headers: pairs(&get(&ov, "header")),
                path: Vec::new(),
                querystring: Vec::new(),
            }
        }
    }
}
