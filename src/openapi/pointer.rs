//! A position in the parsed document: a value plus the JSON pointer that reaches it, with
//! typed accessors whose errors name that pointer. Explicit `null` members count as absent
//! (YAML's `description:` with no value).

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::ImportError;

/// Escapes one reference token (RFC 6901: `~` → `~0`, `/` → `~1`).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[derive(Debug, Clone)]
pub(crate) struct Node<'a> {
    pub v: &'a Value,
    pub ptr: String,
}

impl<'a> Node<'a> {
    pub fn new(v: &'a Value, ptr: impl Into<String>) -> Self {
        Node { v, ptr: ptr.into() }
    }

    pub fn ptr_of(&self, key: &str) -> String {
        format!("{}/{}", self.ptr, escape(key))
    }

    pub fn err(&self, message: impl Into<String>) -> ImportError {
        ImportError::new(self.ptr.clone(), message)
    }

    /// The member `key` of an object (absent when this is not an object or the member is null).
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        match self.v.as_object()?.get(key)? {
            Value::Null => None,
            v => Some(Node::new(v, self.ptr_of(key))),
        }
    }

    pub fn object(&self) -> Result<&'a Map<String, Value>, ImportError> {
        self.v
            .as_object()
            .ok_or_else(|| self.err("expected an object"))
    }

    /// The members of an object, each with its pointer (null members skipped).
    pub fn entries(&self) -> Result<Vec<(&'a str, Node<'a>)>, ImportError> {
        Ok(self
            .object()?
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.as_str(), Node::new(v, self.ptr_of(k))))
            .collect())
    }

    pub fn items(&self) -> Result<Vec<Node<'a>>, ImportError> {
        let arr = self
            .v
            .as_array()
            .ok_or_else(|| self.err("expected an array"))?;
        Ok(arr
            .iter()
            .enumerate()
            .map(|(i, v)| Node::new(v, format!("{}/{i}", self.ptr)))
            .collect())
    }

    pub fn str(&self) -> Result<&'a str, ImportError> {
        self.v.as_str().ok_or_else(|| self.err("expected a string"))
    }

    pub fn bool(&self) -> Result<bool, ImportError> {
        match self.v {
            Value::Bool(b) => Ok(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err(self.err("expected a boolean")),
        }
    }

    /// An integer, also accepted as a numeric string (`"29000"`).
    pub fn int(&self) -> Result<i64, ImportError> {
        match self.v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| self.err("expected an integer")),
            Value::String(s) => s
                .trim()
                .parse()
                .map_err(|_| self.err("expected an integer")),
            _ => Err(self.err("expected an integer")),
        }
    }

    /// A string, also accepted as a number or boolean (YAML `statusCode: 200`).
    pub fn scalar_string(&self) -> Result<String, ImportError> {
        match self.v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(self.err("expected a string")),
        }
    }

    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>, ImportError> {
        self.get(key).map(|n| n.str()).transpose()
    }

    pub fn opt_scalar(&self, key: &str) -> Result<Option<String>, ImportError> {
        self.get(key).map(|n| n.scalar_string()).transpose()
    }

    pub fn opt_bool(&self, key: &str) -> Result<Option<bool>, ImportError> {
        self.get(key).map(|n| n.bool()).transpose()
    }

    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, ImportError> {
        self.get(key).map(|n| n.int()).transpose()
    }

    /// An object member whose values must all be strings (templates, parameter mappings).
    pub fn opt_string_map(&self, key: &str) -> Result<IndexMap<String, String>, ImportError> {
        let mut out = IndexMap::new();
        if let Some(map) = self.get(key) {
            for (k, v) in map.entries()? {
                out.insert(k.to_string(), v.scalar_string()?);
            }
        }
        Ok(out)
    }

    /// An array member of strings.
    pub fn opt_string_list(&self, key: &str) -> Result<Vec<String>, ImportError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(list) => list
                .items()?
                .iter()
                .map(|n| n.str().map(str::to_string))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let v = serde_json::json!({"paths": {"/a~b": {"get": 1}}});
        let root = Node::new(&v, "");
        let op = root
            .get("paths")
            .and_then(|p| p.get("/a~b"))
            .and_then(|p| p.get("get"));
        assert_eq!(op.map(|n| n.ptr), Some("/paths/~1a~0b/get".to_string()));
    }
}
