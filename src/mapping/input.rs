//! `$input` (mapping.md §3): `body`, `json(path)`, `path(path)`, `params()`, `params(name)`.

use std::cell::OnceCell;
use std::rc::Rc;
use std::sync::Arc;

use super::RequestData;
use super::jsonpath::{Found, compile_cached};
use crate::vtl::Value;
use crate::vtl::json::{JsonDoc, Tape};
use crate::vtl::value::Map;

/// The `$input` object of one render.
pub struct Input<'a> {
    /// The payload `$input.body` shows (method request body, or integration response body in
    /// response templates).
    body: &'a str,
    /// Where `params` come from: always the method request.
    request: &'a RequestData,
    /// The body parsed as JSON once, on first use (`None`: not JSON).
    json: OnceCell<Option<serde_json::Value>>,
    /// The body parsed into a lazy-document tape once, on first use (`None`: the tape
    /// parser did not take it).
    tape: OnceCell<Option<Rc<Tape>>>,
}

impl<'a> Input<'a> {
    /// `$input` over `body`, with parameters from `request`.
    pub fn new(body: &'a str, request: &'a RequestData) -> Self {
        Input {
            body,
            request,
            json: OnceCell::new(),
            tape: OnceCell::new(),
        }
    }

    /// The payload; an empty payload reads as `{}`.
    fn body_text(&self) -> &str {
        if self.body.is_empty() {
            "{}"
        } else {
            self.body
        }
    }

    fn doc(&self) -> Option<&serde_json::Value> {
        self.json
            .get_or_init(|| serde_json::from_str(self.body_text()).ok())
            .as_ref()
    }

    /// `$input.json(path)`: JSON text of the result; `""` when nothing is found or the body
    /// is not JSON.
    pub fn json(&self, path: &str) -> Result<String, String> {
        let p = compile_cached(path).map_err(|e| e.to_string())?;
        let Some(doc) = self.doc() else {
            return Ok("\"\"".into());
        };
        Ok(match p.read(doc).to_json() {
            Some(v) => serde_json::to_string(&v).unwrap_or_default(),
            None => "\"\"".into(),
        })
    }

    /// `$input.path(path)`: the result as VTL values; null when nothing is found.
    pub fn path(&self, path: &str) -> Result<Value, String> {
        if path.trim() == "$" {
            // The whole document as a lazy document over the body's tape; each call returns
            // a fresh object (its own document), as API Gateway's does.
            let tape = self
                .tape
                .get_or_init(|| Tape::parse(self.body_text()).map(Rc::new));
            return Ok(match tape {
                Some(t) => JsonDoc::root(t.clone()),
                None => crate::vtl::value::parse_json(self.body_text()).unwrap_or(Value::Null),
            });
        }
        let p = compile_cached(path).map_err(|e| e.to_string())?;
        let Some(doc) = self.doc() else {
            return Ok(Value::Null);
        };
        Ok(match p.read(doc) {
            Found::One(v) => Value::from_json(v),
            Found::Missing => Value::Null,
            Found::Many(vs) => Value::new_json_list(vs.into_iter().map(Value::from_json).collect()),
            Found::Length(n) => Value::Int(n as i64),
        })
    }

    /// `$input.params()`: `{path: {...}, querystring: {...}, header: {...}}`.
    pub fn params_map(&self) -> Value {
        let section = |pairs: &[(String, String)]| {
            let mut m = Map::with_capacity_and_hasher(pairs.len(), Default::default());
            for (k, v) in pairs {
                // A repeated name keeps its first position and its last value.
                m.insert(Arc::from(k.as_str()), Value::str(v));
            }
            Value::new_map(m)
        };
        let mut all = Map::with_capacity_and_hasher(3, Default::default());
        all.insert(Arc::from("path"), section(&self.request.path));
        all.insert(Arc::from("querystring"), section(&self.request.querystring));
        all.insert(Arc::from("header"), section(&self.request.headers));
        Value::new_map(all)
    }

    /// `$input.params(name)`: path, then query string, then header; `""` when absent.
    pub fn param(&self, name: &str) -> String {
        self.request
            .path_param(name)
            .or_else(|| self.request.query_param(name))
            .or_else(|| self.request.header(name))
            .unwrap_or("")
            .to_string()
    }

    /// Dispatch a method call on `$input`.
    pub fn call(&self, name: &str, args: &[Value]) -> Result<Option<Value>, String> {
        let text = |v: &Value| -> String {
            match v {
                Value::Str(s) => s.to_string(),
                Value::Null => String::new(),
                other => other.to_java_string(1 << 20).unwrap_or_default(),
            }
        };
        Ok(Some(match (name, args) {
            ("getBody", []) | ("body", []) => Value::str(self.body_text()),
            ("json", [p]) => Value::string(self.json(&text(p))?),
            ("path", [p]) => self.path(&text(p))?,
            ("params", []) => self.params_map(),
            ("params", [n]) => Value::string(self.param(&text(n))),
            _ => return Ok(None),
        }))
    }
}
