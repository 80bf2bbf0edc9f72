//! GetModelTemplate: a mapping template generated from a model's JSON schema, the way the AWS
//! console's "Generate template" starts one. It reads the body with
//! `#set($inputRoot = $input.path('$'))` and writes every property back: strings quoted,
//! numbers and booleans bare, objects nested, arrays with `#foreach` (AWS's exact layout is
//! not recorded in the spec; this one renders the same JSON for a body that fits the schema).
//!
//! `$ref`s to other models of the API (`#/definitions/Name`, `#/components/schemas/Name` or
//! `https://apigateway.amazonaws.com/restapis/{id}/models/Name`) are followed; a reference
//! cycle, or nesting deeper than [`MAX_DEPTH`], writes the value as it is (`$inputRoot.x`).

use serde_json::Value;

/// How deep objects and arrays are unfolded.
pub const MAX_DEPTH: usize = 8;

/// Generates the template for `schema`; `resolve` returns a referenced model's schema by
/// name.
pub fn generate(schema: &Value, resolve: &dyn Fn(&str) -> Option<Value>) -> String {
    // An object without properties (the `Empty` model) is AWS's `{ }`, without a final line
    // break (AWS's documentation: awscli's `get-model-template` example).
    let no_properties = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_none_or(serde_json::Map::is_empty);
    if schema.get("$ref").is_none() && kind(schema) == "object" && no_properties {
        return String::from("#set($inputRoot = $input.path('$'))\n{ }");
    }
    let mut g = Generator {
        resolve,
        out: String::from("#set($inputRoot = $input.path('$'))\n"),
        loops: 0,
    };
    g.value(schema, "$inputRoot", 0, &mut Vec::new());
    g.out.push('\n');
    g.out
}

struct Generator<'a> {
    resolve: &'a dyn Fn(&str) -> Option<Value>,
    out: String,
    /// `#foreach` variables used so far (`$elem`, `$elem1`, …).
    loops: usize,
}

/// The model name a `$ref` points at.
fn ref_name(reference: &str) -> Option<&str> {
    let name = reference.rsplit('/').next()?;
    (!name.is_empty()).then_some(name)
}

fn kind(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        // `"type": ["string", "null"]`: the first non-null type.
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("string"),
        _ if schema.get("properties").is_some() => "object",
        _ if schema.get("items").is_some() => "array",
        _ => "string",
    }
}

impl Generator<'_> {
    fn value(&mut self, schema: &Value, expr: &str, depth: usize, seen: &mut Vec<String>) {
        if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
            let name = ref_name(reference).unwrap_or_default().to_string();
            if depth >= MAX_DEPTH || seen.contains(&name) {
                self.out.push_str(expr);
                return;
            }
            match (self.resolve)(&name) {
                Some(target) => {
                    seen.push(name);
                    self.value(&target, expr, depth, seen);
                    seen.pop();
                }
                None => self.out.push_str(expr),
            }
            return;
        }
        match kind(schema) {
            "object" if depth < MAX_DEPTH => self.object(schema, expr, depth, seen),
            "array" if depth < MAX_DEPTH => self.array(schema, expr, depth, seen),
            "object" | "array" | "number" | "integer" | "boolean" => self.out.push_str(expr),
            _ => {
                self.out.push('"');
                self.out.push_str(expr);
                self.out.push('"');
            }
        }
    }

    fn indent(&mut self, depth: usize) {
        for _ in 0..depth {
            self.out.push_str("  ");
        }
    }

    fn object(&mut self, schema: &Value, expr: &str, depth: usize, seen: &mut Vec<String>) {
        let Some(props) = schema.get("properties").and_then(Value::as_object) else {
            self.out.push_str(expr);
            return;
        };
        if props.is_empty() {
            self.out.push_str("{}");
            return;
        }
        self.out.push_str("{\n");
        for (i, (name, prop)) in props.iter().enumerate() {
            self.indent(depth + 1);
            self.out
                .push_str(&serde_json::Value::String(name.clone()).to_string());
            self.out.push_str(" : ");
            // `$x.name` reads a plain identifier; anything else goes through `get`.
            let plain = name
                .chars()
                .enumerate()
                .all(|(i, c)| c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()));
            let child = if plain && !name.is_empty() {
                format!("{expr}.{name}")
            } else {
                format!("{expr}.get('{}')", name.replace('\'', "''"))
            };
            self.value(prop, &child, depth + 1, seen);
            if i + 1 < props.len() {
                self.out.push(',');
            }
            self.out.push('\n');
        }
        self.indent(depth);
        self.out.push('}');
    }

    fn array(&mut self, schema: &Value, expr: &str, depth: usize, seen: &mut Vec<String>) {
        let var = if self.loops == 0 {
            "$elem".to_string()
        } else {
            format!("$elem{}", self.loops)
        };
        self.loops += 1;
        self.out.push_str("[\n#foreach(");
        self.out.push_str(&var);
        self.out.push_str(" in ");
        self.out.push_str(expr);
        self.out.push_str(")\n");
        self.indent(depth + 1);
        let items = schema.get("items").cloned().unwrap_or(Value::Null);
        self.value(&items, &var, depth + 1, seen);
        self.out.push_str("#if($foreach.hasNext),\n#end\n#end\n\n");
        self.indent(depth);
        self.out.push(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{RequestData, render_request_template};

    fn render(template: &str, body: &str) -> String {
        let parsed =
            crate::vtl::Template::parse(template).unwrap_or_else(|e| panic!("{e}\n{template}"));
        render_request_template(
            &parsed,
            &RequestData {
                body: body.to_string(),
                ..Default::default()
            },
            &serde_json::json!({}),
            &Default::default(),
        )
        .unwrap_or_else(|e| panic!("{e}\n{template}"))
        .body
    }

    fn no_models(_: &str) -> Option<Value> {
        None
    }

    #[test]
    fn a_template_for_a_schema_renders_a_fitting_body_back() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {
                "id": {"type": "integer"},
                "name": {"type": "string"},
                "price": {"type": "number"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "owner": {"type": "object", "properties": {
                    "email": {"type": "string"},
                    "pets": {"type": "array", "items": {"type": "object", "properties": {"n": {"type": "integer"}}}}
                }},
                "in-stock": {"type": "boolean"}
            }
        });
        let template = generate(&schema, &no_models);
        assert!(
            template.starts_with("#set($inputRoot = $input.path('$'))\n{\n"),
            "{template}"
        );
        let body = serde_json::json!({
            "id": 7, "name": "Rex", "price": 25.5, "tags": ["a", "b"],
            "owner": {"email": "x@y", "pets": [{"n": 1}, {"n": 2}]},
            "in-stock": true
        });
        let out = render(&template, &body.to_string());
        let parsed: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(parsed, body, "{template}");
    }

    #[test]
    fn arrays_at_the_root_refs_and_cycles() {
        let pet = serde_json::json!({"type": "object", "properties": {
            "name": {"type": "string"},
            "parent": {"$ref": "https://apigateway.amazonaws.com/restapis/abc/models/Pet"}
        }});
        let resolve = |name: &str| (name == "Pet").then(|| pet.clone());
        let pets = serde_json::json!({"type": "array", "items": {"$ref": "#/definitions/Pet"}});
        let template = generate(&pets, &resolve);
        // The cycle Pet → parent → Pet stops at the second Pet: written as it is.
        assert!(template.contains("\"parent\" : $elem.parent"), "{template}");
        let out = render(
            &template,
            r#"[{"name":"a","parent":1},{"name":"b","parent":2}]"#,
        );
        let parsed: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(
            parsed,
            serde_json::json!([{"name": "a", "parent": 1}, {"name": "b", "parent": 2}])
        );
        // An unknown reference, an empty object and a schema without a type.
        let t = generate(&serde_json::json!({"$ref": "#/definitions/Nope"}), &resolve);
        assert!(t.ends_with("$inputRoot\n"), "{t}");
        let t = generate(
            &serde_json::json!({"type": "object", "properties": {}}),
            &resolve,
        );
        assert_eq!(t, "#set($inputRoot = $input.path('$'))\n{ }");
        let t = generate(&serde_json::json!({}), &resolve);
        assert!(t.ends_with("\"$inputRoot\"\n"), "{t}");
    }

    #[test]
    fn deep_schemas_stop_at_the_depth_limit() {
        let mut schema = serde_json::json!({"type": "string"});
        for _ in 0..50 {
            schema = serde_json::json!({"type": "object", "properties": {"x": schema}});
        }
        let template = generate(&schema, &no_models);
        assert_eq!(template.matches('{').count(), MAX_DEPTH);
        crate::vtl::Template::parse(&template).expect("parses");
    }
}
