//! Selection expressions (http-websocket.md §2.1): `$request.body.x` or `${request.body.x}`,
//! several variables and literals concatenated (`${request.body.service}/${request.body.action}`),
//! evaluated once (no recursion); an unresolved path yields `""`; arrays and objects are
//! stringified. `$context.x` reads the connection's `$context`.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `request.body.a.b[0]`, split after the source: (`body`, path segments).
    Body(Vec<Segment>),
    /// `context.x.y`.
    Context(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// A parsed selection expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    parts: Vec<Part>,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '[' || c == ']'
}

fn segments(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for piece in path.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = match piece.find('[') {
            Some(i) => (&piece[..i], &piece[i..]),
            None => (piece, ""),
        };
        if !name.is_empty() {
            out.push(Segment::Key(name.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            match inner[..end].parse::<usize>() {
                Ok(n) => out.push(Segment::Index(n)),
                Err(_) => out.push(Segment::Key(inner[..end].trim_matches('\'').to_string())),
            }
            rest = &inner[end + 1..];
        }
    }
    out
}

fn variable(name: &str) -> Part {
    if let Some(path) = name.strip_prefix("request.body") {
        Part::Body(segments(path))
    } else if let Some(path) = name.strip_prefix("context.") {
        Part::Context(path.split('.').map(str::to_string).collect())
    } else {
        // Any other source (`request.header.x` on a message) resolves to "".
        Part::Context(vec![format!("\u{0}{name}")])
    }
}

impl Selection {
    pub fn parse(expr: &str) -> Selection {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = expr;
        while let Some(c) = rest.chars().next() {
            if c == '\\' && rest[1..].starts_with('$') {
                literal.push('$');
                rest = &rest[2..];
                continue;
            }
            if c == '$' {
                if let Some(inner) = rest.strip_prefix("${")
                    && let Some(end) = inner.find('}')
                {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(variable(&inner[..end]));
                    rest = &inner[end + 1..];
                    continue;
                }
                let name_len = rest[1..]
                    .char_indices()
                    .find(|(_, c)| !is_name_char(*c))
                    .map_or(rest.len() - 1, |(i, _)| i);
                let name = rest[1..1 + name_len].trim_end_matches('.');
                if name.starts_with("request.") || name.starts_with("context.") {
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(variable(name));
                    rest = &rest[1 + name.len()..];
                    continue;
                }
            }
            literal.push(c);
            rest = &rest[c.len_utf8()..];
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Selection { parts }
    }

    /// True when the expression reads the message body (so a non-JSON message cannot be
    /// evaluated).
    pub fn reads_body(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Body(_)))
    }

    /// Evaluates against a parsed JSON body and the `$context` object.
    pub fn eval(&self, body: Option<&Value>, context: &Value) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Body(path) => {
                    let mut v = body;
                    for seg in path {
                        v = match (seg, v) {
                            (Segment::Key(k), Some(Value::Object(m))) => m.get(k),
                            (Segment::Index(i), Some(Value::Array(a))) => a.get(*i),
                            _ => None,
                        };
                    }
                    push_value(&mut out, v);
                }
                Part::Context(path) => {
                    let mut v = Some(context);
                    for k in path {
                        v = v.and_then(|v| v.get(k));
                    }
                    push_value(&mut out, v);
                }
            }
        }
        out
    }
}

fn push_value(out: &mut String, v: Option<&Value>) {
    match v {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => out.push_str(s),
        Some(other) => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eval(expr: &str, body: Value) -> String {
        Selection::parse(expr).eval(Some(&body), &json!({"routeKey": "r"}))
    }

    #[test]
    fn dollar_and_braces_forms() {
        assert_eq!(
            eval("$request.body.action", json!({"action": "join"})),
            "join"
        );
        assert_eq!(
            eval("${request.body.action}", json!({"action": "join"})),
            "join"
        );
    }

    #[test]
    fn concatenation_and_unresolved() {
        let body = json!({"service": "chat", "action": "join"});
        assert_eq!(
            eval("${request.body.service}/${request.body.action}", body),
            "chat/join"
        );
        assert_eq!(
            eval(
                "$request.body.action-$request.body.missing",
                json!({"action": "join"})
            ),
            "join-"
        );
        assert_eq!(
            eval(
                "${request.body.action}-${request.body.missing}",
                json!({"action": "join"})
            ),
            "join-"
        );
    }

    #[test]
    fn nested_arrays_objects_and_numbers() {
        let body = json!({"a": {"b": [1, {"c": "x"}]}, "n": 3, "o": {"k": 1}});
        assert_eq!(eval("$request.body.a.b[1].c", body.clone()), "x");
        assert_eq!(eval("$request.body.n", body.clone()), "3");
        assert_eq!(eval("$request.body.o", body), "{\"k\":1}");
    }

    #[test]
    fn escaped_dollar_and_context() {
        assert_eq!(eval("\\$default", json!({})), "$default");
        assert_eq!(eval("$context.routeKey", json!({})), "r");
        assert!(Selection::parse("$request.body.x").reads_body());
        assert!(!Selection::parse("$default").reads_body());
    }
}
