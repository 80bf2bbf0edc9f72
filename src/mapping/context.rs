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

/// Build `$context` from the caller's JSON, adding the empty override object the template
/// kind may write (`requestOverride` with `header/path/querystring`, or `responseOverride`
/// with `header`) unless the caller supplied one.
pub(crate) fn context_value(context: &serde_json::Value, kind: OverrideKind) -> Value {
    let v = match context {
        serde_json::Value::Object(_) => Value::from_json(context),
        _ => Value::new_map(Map::default()),
    };
    let Value::Map(m) = &v else {
        return v;
    };
    let empty = || Value::new_map(Map::default());
    let mut m = m.borrow_mut();
    match kind {
        OverrideKind::Request => {
            let ov = m
                .entry(Arc::from("requestOverride"))
                .or_insert_with(empty)
                .clone();
            if let Value::Map(ov) = ov {
                let mut ov = ov.borrow_mut();
                for k in ["header", "path", "querystring"] {
                    ov.entry(Arc::from(k)).or_insert_with(empty);
                }
            }
        }
        OverrideKind::Response => {
            let ov = m
                .entry(Arc::from("responseOverride"))
                .or_insert_with(empty)
                .clone();
            if let Value::Map(ov) = ov {
                ov.borrow_mut()
                    .entry(Arc::from("header"))
                    .or_insert_with(empty);
            }
        }
    }
    drop(m);
    v
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
