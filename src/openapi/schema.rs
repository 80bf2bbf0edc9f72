//! JSON Schemas ↔ Models: `definitions` / `components.schemas` become Models whose schema is
//! stored as a JSON string with `$ref`s rewritten to API Gateway's model URLs, and back.

use serde_json::{Map, Value};

use super::ImportError;
use super::import::Ctx;
use super::pointer::{Node, escape};
use crate::model::Model;

/// The model URL form API Gateway uses for `$ref` between models.
pub(crate) fn model_url(api_id: &str, model: &str) -> String {
    format!("https://apigateway.amazonaws.com/restapis/{api_id}/models/{model}")
}

/// Schema keywords API Gateway drops on import (openapi.md §2).
const DROPPED_KEYWORDS: [&str; 9] = [
    "discriminator",
    "example",
    "examples",
    "readOnly",
    "writeOnly",
    "xml",
    "externalDocs",
    "nullable",
    "deprecated",
];

/// Keywords whose value is a schema.
const SCHEMA_KEYWORDS: [&str; 3] = ["items", "additionalProperties", "not"];
/// Keywords whose value is a list of schemas.
const SCHEMA_LIST_KEYWORDS: [&str; 3] = ["allOf", "anyOf", "oneOf"];
/// Keywords whose value maps names to schemas.
const SCHEMA_MAP_KEYWORDS: [&str; 3] = ["properties", "patternProperties", "definitions"];

/// Model names are alphanumeric only.
fn sanitize_name(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// Imports every named schema as a Model (two passes: names first, so refs can be checked).
pub(crate) fn import_models(ctx: &mut Ctx) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let Some(schemas) = doc.schemas() else {
        return Ok(());
    };
    let entries = schemas.entries()?;
    for (name, node) in &entries {
        let model_name = sanitize_name(name);
        if model_name.is_empty() {
            return Err(node.err(format!(
                "model name '{name}' has no alphanumeric characters"
            )));
        }
        if model_name != *name {
            ctx.warn(
                &node.ptr,
                format!("model names must be alphanumeric: '{name}' imported as '{model_name}'"),
            );
        }
        if let Some((other, _)) = ctx.model_names.iter().find(|(_, v)| **v == model_name) {
            return Err(node.err(format!(
                "model '{name}' collides with '{other}' once made alphanumeric"
            )));
        }
        ctx.model_names.insert((*name).to_string(), model_name);
    }
    for (name, node) in entries {
        let model_name = ctx.model_names.get(name).cloned().unwrap_or_default();
        let schema = convert_schema(ctx, &node, &model_name)?;
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string);
        upsert_model(ctx, model_name, description, schema);
    }
    Ok(())
}

fn upsert_model(ctx: &mut Ctx, name: String, description: Option<String>, schema: Value) {
    let schema_text = schema.to_string();
    if let Some(existing) = ctx.def.models.iter_mut().find(|m| m.name == name) {
        existing.schema = Some(schema_text);
        existing.description = description;
        existing.content_type = "application/json".into();
        return;
    }
    let id = ctx.reuse_id(|p| p.model_by_name(&name).map(|m| m.id.clone()));
    ctx.def.models.push(Model {
        id,
        name,
        description,
        schema: Some(schema_text),
        content_type: "application/json".into(),
    });
}

/// The model a request/response schema refers to: a named schema, `Empty` for `{}`, or a new
/// model made from an inline schema (named from `stem`). `None` when there is no schema.
pub(crate) fn model_for_schema(
    ctx: &mut Ctx,
    schema: Node,
    stem: &str,
) -> Result<Option<String>, ImportError> {
    let map = schema.object()?;
    if let Some(reference) = schema.get("$ref") {
        return resolve_model_ref(ctx, &reference).map(Some);
    }
    if map.is_empty() {
        ensure_empty(ctx);
        return Ok(Some("Empty".into()));
    }
    let mut name = sanitize_name(stem);
    let mut n = 1;
    while ctx.model_names.values().any(|v| *v == name) || ctx.def.model_by_name(&name).is_some() {
        n += 1;
        name = format!("{}{n}", sanitize_name(stem));
    }
    let converted = convert_schema(ctx, &schema, &name)?;
    ctx.model_names
        .insert(format!("#inline:{name}"), name.clone());
    let description = converted
        .get("description")
        .and_then(Value::as_str)
        .map(str::to_string);
    upsert_model(ctx, name.clone(), description, converted);
    Ok(Some(name))
}

/// A `$ref` to a named schema → the model's name (the document's or the existing API's).
/// An imported API has only the document's models (AWS-recorded, localstack
/// `test_import_and_validate_rest_api[swagger-mock-cors.json]`: no models after the import), so
/// the `Empty` model a `{}` schema or an undefined `Empty` reference names is added when used.
fn ensure_empty(ctx: &mut Ctx) {
    if ctx.def.model_by_name("Empty").is_none() {
        let id = ctx.reuse_id(|p| p.model_by_name("Empty").map(|m| m.id.clone()));
        let mut defaults = Model::defaults(|| id.clone());
        defaults.truncate(1);
        ctx.def.models.extend(defaults);
    }
}

fn resolve_model_ref(ctx: &mut Ctx, reference: &Node) -> Result<String, ImportError> {
    let target = reference.str()?;
    let unknown = || reference.err(format!("reference to unknown model '{target}'"));
    let name = target
        .strip_prefix("#/definitions/")
        .or_else(|| target.strip_prefix("#/components/schemas/"))
        .ok_or_else(unknown)?;
    let name = name.replace("~1", "/").replace("~0", "~");
    if let Some(model) = ctx.model_names.get(&name) {
        return Ok(model.clone());
    }
    if ctx.def.model_by_name(&name).is_some() {
        return Ok(name);
    }
    if name == "Empty" {
        ensure_empty(ctx);
        return Ok(name);
    }
    Err(unknown())
}

/// Copies a schema, dropping unsupported keywords (with one warning per schema) and
/// rewriting `$ref`s to model URLs.
fn convert_schema(ctx: &mut Ctx, node: &Node, model: &str) -> Result<Value, ImportError> {
    let mut dropped = Vec::new();
    let value = convert_value(ctx, node, &mut dropped)?;
    if !dropped.is_empty() {
        dropped.sort();
        dropped.dedup();
        ctx.warn(
            &node.ptr,
            format!(
                "model '{model}': unsupported keywords dropped: {}",
                dropped.join(", ")
            ),
        );
    }
    Ok(value)
}

fn convert_value(
    ctx: &mut Ctx,
    node: &Node,
    dropped: &mut Vec<String>,
) -> Result<Value, ImportError> {
    let Some(map) = node.v.as_object() else {
        // `additionalProperties: false`, `items: true` ...
        return Ok(node.v.clone());
    };
    let mut out = Map::new();
    for (key, value) in map {
        let child = Node::new(value, node.ptr_of(key));
        if DROPPED_KEYWORDS.contains(&key.as_str()) {
            dropped.push(key.clone());
            continue;
        }
        let converted = if key == "$ref" {
            let name = resolve_model_ref(ctx, &child)?;
            Value::String(model_url(ctx.api_id(), &name))
        } else if SCHEMA_KEYWORDS.contains(&key.as_str()) && value.is_object() {
            convert_value(ctx, &child, dropped)?
        } else if SCHEMA_KEYWORDS.contains(&key.as_str())
            || SCHEMA_LIST_KEYWORDS.contains(&key.as_str())
        {
            match value {
                Value::Array(items) => Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| {
                            convert_value(ctx, &Node::new(v, format!("{}/{i}", child.ptr)), dropped)
                        })
                        .collect::<Result<_, _>>()?,
                ),
                other => other.clone(),
            }
        } else if SCHEMA_MAP_KEYWORDS.contains(&key.as_str()) && value.is_object() {
            let mut props = Map::new();
            for (name, schema) in child.object()? {
                let c = Node::new(schema, child.ptr_of(name));
                props.insert(name.clone(), convert_value(ctx, &c, dropped)?);
            }
            Value::Object(props)
        } else {
            value.clone()
        };
        out.insert(key.clone(), converted);
    }
    Ok(Value::Object(out))
}

/// Export: a stored schema string → a schema object with model URLs turned back into local
/// refs (`prefix` is `#/definitions/` or `#/components/schemas/`) and `$schema` removed.
pub(crate) fn export_schema(model: &Model, prefix: &str) -> Result<Value, super::ExportError> {
    let text = model.schema.as_deref().unwrap_or("{}");
    let mut value: Value =
        serde_json::from_str(text).map_err(|e| super::ExportError::InvalidModelSchema {
            model: model.name.clone(),
            message: e.to_string(),
        })?;
    if let Some(map) = value.as_object_mut() {
        map.remove("$schema");
    }
    rewrite_refs_for_export(&mut value, prefix);
    Ok(value)
}

pub(crate) fn rewrite_refs_for_export(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "$ref"
                    && let Value::String(s) = v
                    && let Some(name) = model_name_from_url(s)
                {
                    *s = format!("{prefix}{}", escape(&name));
                } else {
                    rewrite_refs_for_export(v, prefix);
                }
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|v| rewrite_refs_for_export(v, prefix)),
        _ => {}
    }
}

/// `https://apigateway.amazonaws.com/restapis/{id}/models/{name}` → `name`.
pub(crate) fn model_name_from_url(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://apigateway.amazonaws.com/restapis/")?;
    let (_, name) = rest.split_once("/models/")?;
    (!name.is_empty() && !name.contains('/')).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_urls_round_trip_to_local_refs() {
        let mut v = serde_json::json!({"items": {"$ref": model_url("abc", "Pet")}, "properties": {"$ref": {"type": "string"}}});
        rewrite_refs_for_export(&mut v, "#/definitions/");
        assert_eq!(v["items"]["$ref"], "#/definitions/Pet");
        assert_eq!(v["properties"]["$ref"]["type"], "string");
    }
}
