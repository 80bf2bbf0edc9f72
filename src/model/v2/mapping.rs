//! HTTP API parameter mapping (http-websocket.md §1.1): keys `append|overwrite|remove:header.{name}`,
//! `append|overwrite|remove:querystring.{name}`, `overwrite:path` (request) and
//! `overwrite:statuscode` (response); values are literal text with `$request.*`,
//! `$response.*`, `$context.*` and `$stageVariables.*` references (also as `${…}`).

use crate::model::AdminError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Append,
    Overwrite,
    Remove,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Header(String),
    QueryString(String),
    Path,
    StatusCode,
}

/// One parsed mapping key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingKey {
    pub action: Action,
    pub target: Target,
}

/// Which side a mapping applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Request,
    Response,
}

fn bad(key: &str, why: &str) -> AdminError {
    AdminError::bad_request(format!(
        "Invalid mapping expression specified: {key}: {why}"
    ))
}

impl MappingKey {
    pub fn parse(key: &str, side: Side) -> Result<MappingKey, AdminError> {
        let (action, target) = key
            .split_once(':')
            .ok_or_else(|| bad(key, "expected {action}:{target}"))?;
        let action = match action {
            "append" => Action::Append,
            "overwrite" => Action::Overwrite,
            "remove" => Action::Remove,
            other => {
                return Err(bad(
                    key,
                    &format!("'{other}' is not one of append, overwrite, remove"),
                ));
            }
        };
        let target = if let Some(name) = target.strip_prefix("header.") {
            if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(bad(key, "invalid header name"));
            }
            Target::Header(name.to_ascii_lowercase())
        } else if let Some(name) = target.strip_prefix("querystring.") {
            if side == Side::Response {
                return Err(bad(key, "a response cannot map a query string"));
            }
            if name.is_empty() {
                return Err(bad(key, "invalid query string name"));
            }
            Target::QueryString(name.to_string())
        } else if target == "path" && side == Side::Request {
            if action != Action::Overwrite {
                return Err(bad(key, "the path can only be overwritten"));
            }
            Target::Path
        } else if target == "statuscode" && side == Side::Response {
            if action != Action::Overwrite {
                return Err(bad(key, "the status code can only be overwritten"));
            }
            Target::StatusCode
        } else {
            return Err(bad(key, "unknown mapping target"));
        };
        Ok(MappingKey { action, target })
    }
}

/// A piece of a mapping value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Literal(String),
    /// `request.header.x`, `context.requestId`, `stageVariables.v`, `response.body.a.b`…
    Variable(String),
}

const ROOTS: &[&str] = &["request.", "response.", "context.", "stageVariables."];

/// Splits a value into literal text and variables. `$name` runs over letters, digits, `_`,
/// `-` and `.`; `${name}` is delimited.
pub fn parse_value(value: &str, side: Side) -> Result<Vec<Part>, AdminError> {
    let mut parts = Vec::new();
    let mut literal = String::new();
    let mut rest = value;
    while let Some(pos) = rest.find('$') {
        literal.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = if let Some(inner) = after.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| bad(value, "unterminated ${"))?;
            (&inner[..end], end + 2)
        } else {
            let len = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
                .unwrap_or(after.len());
            (after[..len].trim_end_matches('.'), len)
        };
        if !ROOTS.iter().any(|r| name.starts_with(r)) && name != "request.path" {
            literal.push('$');
            rest = after;
            continue;
        }
        if side == Side::Request && name.starts_with("response.") {
            return Err(bad(value, "a request mapping cannot read the response"));
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(std::mem::take(&mut literal)));
        }
        parts.push(Part::Variable(name.to_string()));
        rest = &after[consumed.min(after.len())..];
        if consumed > after.len() {
            rest = "";
        }
    }
    literal.push_str(rest);
    if !literal.is_empty() {
        parts.push(Part::Literal(literal));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(
            MappingKey::parse("append:header.X-Id", Side::Request).expect("ok"),
            MappingKey {
                action: Action::Append,
                target: Target::Header("x-id".into())
            }
        );
        assert!(MappingKey::parse("overwrite:path", Side::Request).is_ok());
        assert!(MappingKey::parse("append:path", Side::Request).is_err());
        assert!(MappingKey::parse("overwrite:statuscode", Side::Request).is_err());
        assert!(MappingKey::parse("overwrite:statuscode", Side::Response).is_ok());
        assert!(MappingKey::parse("replace:header.x", Side::Request).is_err());
        assert!(MappingKey::parse("header.x", Side::Request).is_err());
    }

    #[test]
    fn values() {
        assert_eq!(
            parse_value("Bearer ${request.header.token}!", Side::Request).expect("ok"),
            vec![
                Part::Literal("Bearer ".into()),
                Part::Variable("request.header.token".into()),
                Part::Literal("!".into())
            ]
        );
        assert_eq!(
            parse_value("$request.header.x-id/${stageVariables.v}", Side::Request).expect("ok"),
            vec![
                Part::Variable("request.header.x-id".into()),
                Part::Literal("/".into()),
                Part::Variable("stageVariables.v".into())
            ]
        );
        assert!(parse_value("$response.header.x", Side::Request).is_err());
        assert_eq!(
            parse_value("cost: $5", Side::Request).expect("ok"),
            vec![Part::Literal("cost: $5".into())]
        );
    }
}
