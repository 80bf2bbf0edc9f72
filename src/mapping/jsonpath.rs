//! JSONPath in API Gateway's (Jayway) dialect, as a shim over the RFC 9535 crate
//! `serde_json_path`.
//!
//! Differences handled here (crates.md gotcha 6):
//! * **definite vs indefinite**: a path without `..`, `*`, filters, unions or slices is
//!   *definite* and reads one value (missing → nothing); any other path reads a JSON array of
//!   all matches, even a single one;
//! * Jayway dot names the RFC rejects (`$.my-key`, `$.a:b`) become bracket names;
//! * a path not starting with `$` gets `$.` in front (Jayway does the same);
//! * a trailing `.length()` / `.size()` function returns the size of the result.
//!
//! Compiled paths are cached per thread ([`compile_cached`]), so templates that use the same
//! literal paths on every request do not re-parse them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value as Json;

/// A path that could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSONPath {path:?}: {message}")]
pub struct JsonPathError {
    /// The path as given.
    pub path: String,
    /// Why.
    pub message: String,
}

/// A compiled Jayway-style path.
#[derive(Debug)]
pub struct JaywayPath {
    query: serde_json_path::JsonPath,
    definite: bool,
    length: bool,
    source: String,
}

/// What a path read from a document.
#[derive(Debug, PartialEq)]
pub enum Found<'v> {
    /// A definite path found this value.
    One(&'v Json),
    /// A definite path found nothing.
    Missing,
    /// An indefinite path's matches (maybe none), in document order.
    Many(Vec<&'v Json>),
    /// The result of a `.length()` function.
    Length(usize),
}

impl Found<'_> {
    /// The result as an owned JSON value (`None` when a definite path found nothing).
    pub fn to_json(&self) -> Option<Json> {
        match self {
            Found::One(v) => Some((*v).clone()),
            Found::Missing => None,
            Found::Many(vs) => Some(Json::Array(vs.iter().map(|v| (*v).clone()).collect())),
            Found::Length(n) => Some(Json::from(*n)),
        }
    }
}

fn shorthand_ok(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' || !c.is_ascii() => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

fn quote_name(name: &str, out: &mut String) {
    out.push_str("['");
    for c in name.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push_str("']");
}

impl JaywayPath {
    /// Compile a Jayway path.
    pub fn compile(path: &str) -> Result<JaywayPath, JsonPathError> {
        let err = |m: &str| JsonPathError {
            path: path.to_string(),
            message: m.to_string(),
        };
        let mut p = path.trim().to_string();
        let mut length = false;
        for f in [".length()", ".size()"] {
            if let Some(s) = p.strip_suffix(f) {
                p = s.to_string();
                length = true;
                break;
            }
        }
        if !p.starts_with('$') {
            p = if p.starts_with('[') {
                format!("${p}")
            } else {
                format!("$.{p}")
            };
        }
        let b = p.as_bytes();
        let mut out = String::with_capacity(p.len() + 8);
        out.push('$');
        let mut definite = true;
        let mut i = 1;
        while i < b.len() {
            if b[i] == b'.' {
                let deep = b.get(i + 1) == Some(&b'.');
                i += if deep { 2 } else { 1 };
                if deep {
                    definite = false;
                    out.push_str("..");
                }
                if b.get(i) == Some(&b'[') {
                    if !deep {
                        return Err(err("'.' followed by '['"));
                    }
                    continue;
                }
                let start = i;
                while i < b.len() && b[i] != b'.' && b[i] != b'[' {
                    i += 1;
                }
                let name = &p[start..i];
                if name.is_empty() {
                    return Err(err("empty property name"));
                }
                if name == "*" {
                    definite = false;
                    if !deep {
                        out.push('.');
                    }
                    out.push('*');
                } else if shorthand_ok(name) {
                    if !deep {
                        out.push('.');
                    }
                    out.push_str(name);
                } else {
                    quote_name(name, &mut out);
                }
            } else if b[i] == b'[' {
                // Find the matching ']' outside quotes.
                let start = i + 1;
                let mut j = start;
                let mut quote: Option<u8> = None;
                let mut depth = 0;
                let mut indefinite = false;
                while j < b.len() {
                    let c = b[j];
                    match quote {
                        Some(q) => {
                            if c == b'\\' {
                                j += 1;
                            } else if c == q {
                                quote = None;
                            }
                        }
                        None => match c {
                            b'\'' | b'"' => quote = Some(c),
                            b'[' | b'(' => depth += 1,
                            b')' => depth -= 1,
                            b']' if depth == 0 => break,
                            b']' => depth -= 1,
                            b',' | b':' | b'*' | b'?' if depth == 0 => indefinite = true,
                            _ => {}
                        },
                    }
                    j += 1;
                }
                if j >= b.len() {
                    return Err(err("unclosed '['"));
                }
                if indefinite {
                    definite = false;
                }
                out.push('[');
                out.push_str(&p[start..j]);
                out.push(']');
                i = j + 1;
            } else {
                return Err(err("unexpected character"));
            }
        }
        let query = serde_json_path::JsonPath::parse(&out).map_err(|e| err(&e.to_string()))?;
        Ok(JaywayPath {
            query,
            definite,
            length,
            source: path.to_string(),
        })
    }

    /// Is this a definite (single-value) path?
    pub fn is_definite(&self) -> bool {
        self.definite
    }

    /// The path as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Read from a document.
    pub fn read<'v>(&self, doc: &'v Json) -> Found<'v> {
        let nodes = self.query.query(doc).all();
        let found = if self.definite {
            match nodes.first() {
                Some(v) => Found::One(v),
                None => Found::Missing,
            }
        } else {
            Found::Many(nodes)
        };
        if self.length {
            return match found {
                Found::One(Json::Array(a)) => Found::Length(a.len()),
                Found::One(Json::Object(o)) => Found::Length(o.len()),
                Found::One(Json::String(s)) => Found::Length(s.encode_utf16().count()),
                Found::Many(v) => Found::Length(v.len()),
                _ => Found::Missing,
            };
        }
        found
    }
}

const CACHE_CAP: usize = 512;

thread_local! {
    static CACHE: RefCell<HashMap<String, Rc<JaywayPath>>> = RefCell::new(HashMap::new());
}

/// [`JaywayPath::compile`] with a per-thread cache.
pub fn compile_cached(path: &str) -> Result<Rc<JaywayPath>, JsonPathError> {
    if let Some(p) = CACHE.with(|c| c.borrow().get(path).cloned()) {
        return Ok(p);
    }
    let compiled = Rc::new(JaywayPath::compile(path)?);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAP {
            c.clear();
        }
        c.insert(path.to_string(), compiled.clone());
    });
    Ok(compiled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Json {
        json!({"store": {"items": [{"id": 1, "name": "apple"}, {"id": 2, "name": "bread"}]},
               "my-key": 5, "a:b": 6, "key with space": "v"})
    }

    fn read(path: &str) -> Option<Json> {
        JaywayPath::compile(path).unwrap().read(&doc()).to_json()
    }

    #[test]
    fn definite_paths_return_one_value() {
        assert_eq!(read("$.store.items[0].name"), Some(json!("apple")));
        assert_eq!(read("$.store.items[-1].id"), Some(json!(2)));
        assert_eq!(read("$.nothing"), None);
        assert_eq!(read("$"), Some(doc()));
        assert_eq!(read("store.items[1].name"), Some(json!("bread")));
    }

    #[test]
    fn indefinite_paths_return_arrays() {
        assert_eq!(read("$..id"), Some(json!([1, 2])));
        assert_eq!(
            read("$.store.items[*].name"),
            Some(json!(["apple", "bread"]))
        );
        assert_eq!(read("$.store.items[-1:].name"), Some(json!(["bread"])));
        assert_eq!(
            read("$.store.items[?(@.id > 1)].name"),
            Some(json!(["bread"]))
        );
        assert_eq!(read("$..nothing"), Some(json!([])));
    }

    #[test]
    fn jayway_names_and_functions() {
        assert_eq!(read("$.my-key"), Some(json!(5)));
        assert_eq!(read("$.a:b"), Some(json!(6)));
        assert_eq!(read("$['key with space']"), Some(json!("v")));
        assert_eq!(read("$.store.items.length()"), Some(json!(2)));
    }

    #[test]
    fn bad_paths_are_errors() {
        assert!(JaywayPath::compile("$.a[").is_err());
        assert!(JaywayPath::compile("$.").is_err());
    }
}
