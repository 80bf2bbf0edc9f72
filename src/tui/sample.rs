//! The template editor's sample request: a small JSON document the user edits beside the
//! template,
//!
//! ```json
//! {"body": "...", "headers": {}, "querystring": {}, "path": {}, "stageVariables": {}}
//! ```
//!
//! parsed into a [`SampleRequest`] that travels with `Effect::RenderTemplate` to the
//! backend. `body` is a string, or any other JSON value that stands for its own text (so a
//! JSON body can be written without escaping). Parameter values are strings; numbers and
//! booleans are taken as their text.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::model::{Method, TestInvokeMethod};

use super::effect::TemplateTarget;

/// The request a test render runs against (for response templates, `body` is the
/// integration response body and the rest is still the method request).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SampleRequest {
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub querystring: Vec<(String, String)>,
    pub path: Vec<(String, String)>,
    pub stage_variables: Vec<(String, String)>,
}

/// Why a sample does not parse: 1-based line and column in the sample's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for SampleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sample line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default, rename_all = "camelCase")]
struct Raw {
    body: serde_json::Value,
    headers: IndexMap<String, serde_json::Value>,
    querystring: IndexMap<String, serde_json::Value>,
    path: IndexMap<String, serde_json::Value>,
    stage_variables: IndexMap<String, serde_json::Value>,
}

fn text_of(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn pairs(m: IndexMap<String, serde_json::Value>) -> Vec<(String, String)> {
    m.into_iter().map(|(k, v)| (k, text_of(v))).collect()
}

impl SampleRequest {
    /// Parses the editor's sample text.
    pub fn parse(text: &str) -> Result<SampleRequest, SampleError> {
        if text.trim().is_empty() {
            return Ok(SampleRequest::default());
        }
        let raw: Raw = serde_json::from_str(text).map_err(|e| SampleError {
            line: e.line().max(1),
            column: e.column().max(1),
            message: e.to_string().split(" at line ").next().unwrap_or("").into(),
        })?;
        Ok(SampleRequest {
            body: text_of(raw.body),
            headers: pairs(raw.headers),
            querystring: pairs(raw.querystring),
            path: pairs(raw.path),
            stage_variables: pairs(raw.stage_variables),
        })
    }

    /// The request path of a method at `resource_path` with this sample: each `{name}` (and
    /// greedy `{name+}`) replaced by the sample's `path` value, percent-encoded (a greedy
    /// value keeps its `/`s), then the sample's query string. A placeholder the sample does
    /// not fill is left as written, so the engine's refusal names it.
    pub fn path_with_query(&self, resource_path: &str) -> String {
        let mut out = String::new();
        for part in resource_path.split('/').filter(|p| !p.is_empty()) {
            out.push('/');
            let name = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'));
            let value = name.and_then(|n| {
                let greedy = n.ends_with('+');
                let n = n.trim_end_matches('+');
                let (_, v) = self.path.iter().find(|(k, _)| k == n)?;
                Some(if greedy {
                    v.split('/').map(query_encode).collect::<Vec<_>>().join("/")
                } else {
                    query_encode(v)
                })
            });
            out.push_str(value.as_deref().unwrap_or(part));
        }
        if out.is_empty() {
            out.push('/');
        }
        for (i, (k, v)) in self.querystring.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&query_encode(k));
            out.push('=');
            out.push_str(&query_encode(v));
        }
        out
    }

    /// The inverse of [`SampleRequest::path_with_query`]: takes `/pets/7?type=dog` apart
    /// against `resource_path` (`/pets/{petId}`) into the sample's `path` values and
    /// `querystring`, percent-decoded. A literal segment that differs, or a missing or extra
    /// segment, is an error naming both paths.
    pub fn set_path_with_query(&mut self, resource_path: &str, text: &str) -> Result<(), String> {
        let (path, query) = match text.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (text, None),
        };
        let mismatch = || format!("{path} does not match the resource {resource_path}");
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        let template: Vec<&str> = resource_path.split('/').filter(|p| !p.is_empty()).collect();
        let mut given = path.split('/').filter(|p| !p.is_empty());
        let mut values = Vec::new();
        for (i, part) in template.iter().enumerate() {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if name.ends_with('+') && i + 1 == template.len() => {
                    let rest: Vec<String> = given.by_ref().map(decode).collect();
                    if rest.is_empty() {
                        return Err(mismatch());
                    }
                    values.push((name.trim_end_matches('+').to_string(), rest.join("/")));
                }
                Some(name) => {
                    let value = given.next().ok_or_else(mismatch)?;
                    values.push((name.to_string(), decode(value)));
                }
                None if given.next() == Some(*part) => {}
                None => return Err(mismatch()),
            }
        }
        if given.next().is_some() {
            return Err(mismatch());
        }
        self.path = values;
        self.querystring = parse_query(query);
        Ok(())
    }

    /// The sample as the engine's template preview takes it: a request template reads
    /// `body` as the method request's; a response template reads it as the integration
    /// response body.
    pub fn into_template_sample(self, target: &TemplateTarget) -> crate::engine::TemplateSample {
        let (body, integration_response_body) = match target {
            TemplateTarget::Request { .. } => (self.body, None),
            TemplateTarget::Response { .. } => (String::new(), Some(self.body)),
            TemplateTarget::HttpMappings { .. } => (self.body, None),
        };
        crate::engine::TemplateSample {
            body,
            headers: self.headers,
            querystring: self.querystring,
            path: self.path,
            stage_variables: self.stage_variables,
            integration_response_body,
        }
    }

    /// The sample as the JSON document [`SampleRequest::parse`] reads (a body that is JSON
    /// text is written as JSON; a repeated header or query name keeps its last value).
    pub fn to_json_text(&self) -> String {
        let object = |pairs: &[(String, String)]| {
            serde_json::Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            )
        };
        let body = serde_json::from_str::<serde_json::Value>(&self.body)
            .ok()
            .filter(|v| v.is_object() || v.is_array())
            .unwrap_or_else(|| serde_json::Value::String(self.body.clone()));
        let doc = serde_json::json!({
            "body": body,
            "headers": object(&self.headers),
            "querystring": object(&self.querystring),
            "path": object(&self.path),
            "stageVariables": object(&self.stage_variables),
        });
        compact_pretty(&doc)
    }

    /// TestInvokeMethod's input for a method at `resource_path`: the path and query as
    /// [`SampleRequest::path_with_query`] builds them, the body, the headers (a repeated
    /// header's later values in `multiValueHeaders`) and the stage variables.
    pub fn to_test_invoke(&self, resource_path: &str) -> TestInvokeMethod {
        let mut input = TestInvokeMethod {
            path_with_query_string: Some(self.path_with_query(resource_path)),
            body: Some(self.body.clone()),
            stage_variables: self.stage_variables.iter().cloned().collect(),
            ..TestInvokeMethod::default()
        };
        for (k, v) in &self.headers {
            if input.headers.contains_key(k) {
                input
                    .multi_value_headers
                    .entry(k.clone())
                    .or_default()
                    .push(v.clone());
            } else {
                input.headers.insert(k.clone(), v.clone());
            }
        }
        input
    }

    /// A starting sample for a method: its declared path, query-string and header
    /// parameters (and the path's `{placeholders}`), a `Content-Type` for the template's
    /// content type, a small body, and the stage's variables.
    pub fn prefill(
        method: &Method,
        resource_path: &str,
        target: &TemplateTarget,
        stage_variables: &IndexMap<String, String>,
    ) -> String {
        let mut path = serde_json::Map::new();
        for part in resource_path.split('/') {
            if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let name = name.trim_end_matches('+');
                path.insert(name.to_string(), "1".into());
            }
        }
        let mut querystring = serde_json::Map::new();
        let mut headers = serde_json::Map::new();
        headers.insert(
            "Content-Type".into(),
            target.content_type().to_string().into(),
        );
        for name in method.request_parameters.keys() {
            let Some(rest) = name.strip_prefix("method.request.") else {
                continue;
            };
            if let Some(p) = rest.strip_prefix("path.") {
                path.entry(p.to_string()).or_insert_with(|| "1".into());
            } else if let Some(q) = rest.strip_prefix("querystring.") {
                querystring.insert(q.to_string(), "example".into());
            } else if let Some(h) = rest.strip_prefix("header.") {
                headers.insert(h.to_string(), "example".into());
            }
        }
        let body = if target.content_type().contains("json") {
            match target {
                TemplateTarget::Request { .. } | TemplateTarget::HttpMappings { .. } => {
                    serde_json::json!({"name": "Rex", "price": 25})
                }
                TemplateTarget::Response { .. } => {
                    serde_json::json!({"id": 1, "name": "Rex", "price": 25})
                }
            }
        } else {
            serde_json::Value::String("name=Rex&price=25".into())
        };
        let vars: serde_json::Map<String, serde_json::Value> = stage_variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().into()))
            .collect();
        let doc = serde_json::json!({
            "body": body,
            "headers": headers,
            "querystring": querystring,
            "path": path,
            "stageVariables": vars,
        });
        compact_pretty(&doc)
    }
}

/// Lines longer than this are split, one member per line.
const LINE: usize = 44;

/// Pretty JSON that stays narrow enough for a side panel: one top-level member per line,
/// each member's value on that line unless it is an object too long for it, which then gets
/// one member per line.
fn compact_pretty(doc: &serde_json::Value) -> String {
    let Some(obj) = doc.as_object() else {
        return doc.to_string();
    };
    let key = |k: &str| serde_json::Value::String(k.to_string()).to_string();
    let mut out = String::from("{\n");
    let n = obj.len();
    for (i, (k, v)) in obj.iter().enumerate() {
        let comma = if i + 1 < n { "," } else { "" };
        let one_line = format!("  {}: {}{comma}", key(k), spaced(&v.to_string()));
        match v {
            serde_json::Value::Object(m) if one_line.chars().count() > LINE && !m.is_empty() => {
                out.push_str(&format!("  {}: {{\n", key(k)));
                let inner: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("    {}: {}", key(k), spaced(&v.to_string())))
                    .collect();
                out.push_str(&inner.join(",\n"));
                out.push_str(&format!("\n  }}{comma}\n"));
            }
            _ => {
                out.push_str(&one_line);
                out.push('\n');
            }
        }
    }
    out.push('}');
    out
}

/// `{"a":1,"b":2}` → `{"a": 1, "b": 2}` outside strings.
fn spaced(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 8);
    let mut in_str = false;
    let mut escaped = false;
    for c in json.chars() {
        out.push(c);
        if in_str {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_str = false;
            }
        } else if c == '"' {
            in_str = true;
        } else if c == ':' || c == ',' {
            out.push(' ');
        }
    }
    out
}

/// Percent-encodes a query key or value (RFC 3986 unreserved characters stay as they are).
fn query_encode(s: &str) -> String {
    const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, QUERY).to_string()
}

/// A query string's `name=value` pairs in order, `+` and percent escapes decoded.
fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    raw.unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_path_is_taken_apart_against_the_resource_and_round_trips() {
        let mut s = SampleRequest {
            body: r#"{"a":1}"#.into(),
            headers: vec![("X-H".into(), "v".into())],
            ..SampleRequest::default()
        };
        s.set_path_with_query(
            "/pets/{id}/files/{rest+}",
            "/pets/4%202/files/x/y?q=a%20b&n=1",
        )
        .unwrap();
        assert_eq!(
            s.path,
            vec![
                ("id".to_string(), "4 2".to_string()),
                ("rest".to_string(), "x/y".to_string())
            ]
        );
        assert_eq!(
            s.querystring,
            vec![
                ("q".to_string(), "a b".to_string()),
                ("n".to_string(), "1".to_string())
            ]
        );
        assert_eq!(
            s.path_with_query("/pets/{id}/files/{rest+}"),
            "/pets/4%202/files/x/y?q=a%20b&n=1"
        );
        for bad in ["/cats/1", "/pets", "/pets/1/files", "/pets/1/other/x"] {
            let err = s
                .set_path_with_query("/pets/{id}/files/{rest+}", bad)
                .unwrap_err();
            assert!(err.contains("does not match the resource"), "{bad}: {err}");
        }
        assert!(
            s.set_path_with_query("/pets/{id}", "/pets/1/extra")
                .is_err()
        );
        s.set_path_with_query("/", "/?x=1").unwrap();
        assert!(s.path.is_empty());
        // to_json_text reads back to the same sample; a JSON body stays JSON.
        let text = s.to_json_text();
        assert!(
            text.contains(r#""body": {"a":1}"#) || text.contains(r#""body": {"a": 1}"#),
            "{text}"
        );
        assert_eq!(SampleRequest::parse(&text).unwrap(), s);
    }

    #[test]
    fn test_invoke_input_fills_placeholders_query_and_repeated_headers() {
        let sample = SampleRequest {
            body: "{}".into(),
            headers: vec![
                ("X-A".into(), "1".into()),
                ("X-A".into(), "2".into()),
                ("Accept".into(), "a/b".into()),
            ],
            querystring: vec![("q".into(), "a b&c".into()), ("n".into(), "1".into())],
            path: vec![("id".into(), "4 2".into()), ("rest".into(), "x/y z".into())],
            stage_variables: vec![("env".into(), "dev".into())],
        };
        assert_eq!(
            sample.path_with_query("/pets/{id}/files/{rest+}"),
            "/pets/4%202/files/x/y%20z?q=a%20b%26c&n=1"
        );
        assert_eq!(SampleRequest::default().path_with_query("/"), "/");
        assert_eq!(
            SampleRequest::default().path_with_query("/pets/{id}"),
            "/pets/{id}"
        );
        let input = sample.to_test_invoke("/pets/{id}");
        assert_eq!(input.headers["X-A"], "1");
        assert_eq!(input.multi_value_headers["X-A"], ["2"]);
        assert_eq!(input.headers["Accept"], "a/b");
        assert_eq!(input.stage_variables["env"], "dev");
        assert_eq!(input.body.as_deref(), Some("{}"));
    }

    #[test]
    fn parses_strings_numbers_and_json_bodies() {
        let s = SampleRequest::parse(
            r#"{"body": {"a": 1}, "headers": {"X-N": 5}, "path": {"id": "7"},
                "querystring": {"q": true}, "stageVariables": {"v": "x"}}"#,
        )
        .unwrap_or_default();
        assert_eq!(s.body, r#"{"a":1}"#);
        assert_eq!(s.headers, vec![("X-N".to_string(), "5".to_string())]);
        assert_eq!(s.path, vec![("id".to_string(), "7".to_string())]);
        assert_eq!(s.querystring, vec![("q".to_string(), "true".to_string())]);
        assert_eq!(s.stage_variables, vec![("v".to_string(), "x".to_string())]);
        assert_eq!(
            SampleRequest::parse(r#"{"body": "raw text"}"#).map(|s| s.body),
            Ok("raw text".to_string())
        );
        assert_eq!(SampleRequest::parse("  "), Ok(SampleRequest::default()));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let e = SampleRequest::parse("{\n  \"body\": \"x\",\n  \"headers\": {\"a\" 1}\n}")
            .err()
            .unwrap_or(SampleError {
                line: 0,
                column: 0,
                message: String::new(),
            });
        assert_eq!((e.line, e.column), (3, 19), "{e}");
        assert!(
            e.to_string()
                .starts_with("sample line 3, column 19: expected `:`")
        );
        let e = SampleRequest::parse("{\"bdy\": 1}")
            .err()
            .map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("unknown field `bdy`")));
    }

    #[test]
    fn prefill_names_the_declared_parameters_and_round_trips() {
        let mut m = Method::default();
        m.request_parameters
            .insert("method.request.querystring.limit".into(), false);
        m.request_parameters
            .insert("method.request.header.X-Trace".into(), true);
        let mut vars = IndexMap::new();
        vars.insert("backend".to_string(), "localhost".to_string());
        let target = TemplateTarget::Request {
            content_type: "application/json".into(),
        };
        let text = SampleRequest::prefill(&m, "/pets/{petId}", &target, &vars);
        assert!(
            text.lines().all(|l| l.chars().count() <= LINE),
            "narrow enough for a side panel\n{text}"
        );
        let s = SampleRequest::parse(&text).unwrap_or_default();
        assert_eq!(s.path, vec![("petId".to_string(), "1".to_string())]);
        assert_eq!(
            s.querystring,
            vec![("limit".to_string(), "example".to_string())]
        );
        assert_eq!(s.headers.len(), 2);
        assert_eq!(s.headers[1].0, "X-Trace");
        assert_eq!(
            s.stage_variables,
            vec![("backend".to_string(), "localhost".to_string())]
        );
        assert_eq!(s.body, r#"{"name":"Rex","price":25}"#);
    }
}
