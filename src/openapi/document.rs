//! Parsing and dialect detection: JSON or YAML text → `serde_json::Value`, OpenAPI 3.0.x or
//! Swagger 2.0, plus local `$ref` resolution.

use serde_json::Value;

use super::pointer::Node;
use super::{ImportError, MAX_DOCUMENT_BYTES};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Oas3,
    Swagger2,
}

pub(crate) struct Document {
    pub root: Value,
    pub dialect: Dialect,
}

/// Longest chain of `$ref` → `$ref` followed before giving up.
const MAX_REF_HOPS: usize = 32;

impl Document {
    pub fn parse(source: &str) -> Result<Document, ImportError> {
        if source.len() > MAX_DOCUMENT_BYTES {
            return Err(ImportError::new(
                "",
                format!(
                    "the document is {} bytes; the limit is {MAX_DOCUMENT_BYTES} bytes (6 MB)",
                    source.len()
                ),
            ));
        }
        let root = parse_value(source)?;
        if !root.is_object() {
            return Err(ImportError::new(
                "",
                "the document must be a JSON or YAML object",
            ));
        }
        let dialect = detect_dialect(&root)?;
        Ok(Document { root, dialect })
    }

    pub fn node(&self) -> Node<'_> {
        Node::new(&self.root, "")
    }

    /// Follows a local `$ref` chain starting at `node` (which is returned as is when it holds
    /// no `$ref`). `kind` names what is referenced, for the error message.
    pub fn deref<'a>(&'a self, node: Node<'a>, kind: &str) -> Result<Node<'a>, ImportError> {
        let mut current = node;
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = current.get("$ref") else {
                return Ok(current);
            };
            let target = reference.str()?;
            let Some(path) = target.strip_prefix('#') else {
                return Err(
                    reference.err(format!("external references are not supported: '{target}'"))
                );
            };
            match self.root.pointer(path) {
                Some(v) if !v.is_null() => current = Node::new(v, path.to_string()),
                _ => {
                    return Err(reference.err(format!("reference to unknown {kind} '{target}'")));
                }
            }
        }
        Err(current.err("too many chained $ref hops (a reference cycle?)"))
    }

    /// The named schemas: `components.schemas` (OAS 3) or `definitions` (Swagger 2).
    pub fn schemas(&self) -> Option<Node<'_>> {
        match self.dialect {
            Dialect::Oas3 => self.node().get("components")?.get("schemas"),
            Dialect::Swagger2 => self.node().get("definitions"),
        }
    }

    /// The security schemes: `components.securitySchemes` / `securityDefinitions`.
    pub fn security_schemes(&self) -> Option<Node<'_>> {
        match self.dialect {
            Dialect::Oas3 => self.node().get("components")?.get("securitySchemes"),
            Dialect::Swagger2 => self.node().get("securityDefinitions"),
        }
    }
}

fn parse_value(source: &str) -> Result<Value, ImportError> {
    let trimmed = source.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return serde_json::from_str(trimmed).map_err(|e| {
            ImportError::new(
                "",
                format!(
                    "not valid JSON (line {}, column {}): {e}",
                    e.line(),
                    e.column()
                ),
            )
        });
    }
    let options = serde_saphyr::options! {
        strict_booleans: true,
        legacy_octal_numbers: false,
    };
    serde_saphyr::from_str_with_options::<Value>(trimmed, options).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!(" (line {}, column {})", l.line(), l.column()))
            .unwrap_or_default();
        ImportError::new("", format!("not valid JSON or YAML{at}: {e}"))
    })
}

fn detect_dialect(root: &Value) -> Result<Dialect, ImportError> {
    let version_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    if let Some(v) = root.get("openapi") {
        let text = version_text(v).unwrap_or_default();
        if text == "3.0" || text.starts_with("3.0.") {
            return Ok(Dialect::Oas3);
        }
        return Err(ImportError::new(
            "/openapi",
            format!(
                "unsupported OpenAPI version '{text}'; only 3.0.x and Swagger 2.0 are supported"
            ),
        ));
    }
    if let Some(v) = root.get("swagger") {
        let text = version_text(v).unwrap_or_default();
        if text == "2.0" || text == "2" {
            return Ok(Dialect::Swagger2);
        }
        return Err(ImportError::new(
            "/swagger",
            format!("unsupported Swagger version '{text}'; only 2.0 is supported"),
        ));
    }
    Err(ImportError::new(
        "",
        "unknown document version: neither an 'openapi' (3.0.x) nor a 'swagger' (2.0) field",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_keeps_yes_and_integer_keys_as_strings() {
        let doc = Document::parse(
            "openapi: 3.0.1\ninfo: {title: t, version: yes}\npaths: {}\nx: {200: a}\n",
        )
        .unwrap();
        assert_eq!(doc.dialect, Dialect::Oas3);
        assert_eq!(doc.root["info"]["version"], "yes");
        assert_eq!(doc.root["x"]["200"], "a");
    }

    #[test]
    fn unknown_versions_are_rejected() {
        assert_eq!(
            Document::parse(r#"{"openapi":"3.1.0"}"#)
                .err()
                .unwrap()
                .pointer,
            "/openapi"
        );
        assert_eq!(
            Document::parse(r#"{"swagger":"1.2"}"#)
                .err()
                .unwrap()
                .pointer,
            "/swagger"
        );
        assert!(Document::parse("[1]").is_err());
    }
}
