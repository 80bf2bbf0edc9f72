//! Route keys (`"GET /pets/{id}"`, `"ANY /{proxy+}"`, `"$default"`): parsed once, checked with
//! AWS's rules (a verb or `ANY`, a space, a path of literal, `{param}` and a final
//! `{greedy+}` segment), and ordered the way HTTP APIs pick a route (http-websocket.md §1.2).

use std::cmp::Ordering;

use super::DEFAULT;
use crate::model::AdminError;

const VERBS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// A parsed route key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteKey {
    Default,
    Path {
        /// `None` for `ANY`.
        verb: Option<String>,
        segments: Vec<Segment>,
    },
}

fn invalid(key: &str, why: &str) -> AdminError {
    AdminError::bad_request(format!("Unable to create route {key}: {why}"))
}

impl RouteKey {
    pub fn parse(key: &str) -> Result<RouteKey, AdminError> {
        if key == DEFAULT {
            return Ok(RouteKey::Default);
        }
        let Some((verb, path)) = key.split_once(' ') else {
            return Err(invalid(
                key,
                "a route key is $default or an HTTP method, a space and a path (GET /pets)",
            ));
        };
        if !VERBS.contains(&verb) {
            return Err(invalid(
                key,
                &format!("'{verb}' is not one of {}", VERBS.join(", ")),
            ));
        }
        if !path.starts_with('/') {
            return Err(invalid(key, "the path must start with '/'"));
        }
        let mut segments = Vec::new();
        let parts: Vec<&str> = if path == "/" {
            Vec::new()
        } else {
            path[1..].split('/').collect()
        };
        let mut names = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            if part.is_empty() {
                return Err(invalid(key, "the path has an empty segment"));
            }
            let seg = if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}'))
            {
                let (name, greedy) = match inner.strip_suffix('+') {
                    Some(n) => (n, true),
                    None => (inner, false),
                };
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    return Err(invalid(key, &format!("invalid path parameter '{part}'")));
                }
                if names.contains(&name) {
                    return Err(invalid(key, &format!("path parameter '{name}' repeats")));
                }
                names.push(name);
                if greedy {
                    if i + 1 != parts.len() {
                        return Err(invalid(
                            key,
                            "a greedy path variable must be the last segment",
                        ));
                    }
                    Segment::Greedy(name.to_string())
                } else {
                    Segment::Param(name.to_string())
                }
            } else if part.contains(['{', '}']) {
                return Err(invalid(key, &format!("invalid path segment '{part}'")));
            } else {
                Segment::Literal((*part).to_string())
            };
            segments.push(seg);
        }
        Ok(RouteKey::Path {
            verb: (verb != "ANY").then(|| verb.to_string()),
            segments,
        })
    }

    fn is_greedy(segments: &[Segment]) -> bool {
        matches!(segments.last(), Some(Segment::Greedy(_)))
    }

    /// Matches `method` and the `/`-split path segments (still percent-encoded); on success the
    /// path parameters (decoded).
    pub fn matches(&self, method: &str, path: &[&str]) -> Option<Vec<(String, String)>> {
        let RouteKey::Path { verb, segments } = self else {
            return Some(Vec::new());
        };
        if verb.as_deref().is_some_and(|v| v != method) {
            return None;
        }
        let mut params = Vec::new();
        for (i, seg) in segments.iter().enumerate() {
            match seg {
                Segment::Greedy(name) => {
                    if i >= path.len() {
                        return None;
                    }
                    params.push((name.clone(), decode(&path[i..].join("/"))));
                    return Some(params);
                }
                Segment::Literal(l) => {
                    if path.get(i) != Some(&l.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = path.get(i).filter(|v| !v.is_empty())?;
                    params.push((name.clone(), decode(value)));
                }
            }
        }
        (path.len() == segments.len()).then_some(params)
    }

    /// How two routes that both match compare: `Less` means `self` wins. Non-greedy before
    /// greedy; then segment by segment literal before parameter; then the longer greedy
    /// prefix; then a named method before `ANY`; `$default` last.
    pub fn precedence(&self, other: &RouteKey) -> Ordering {
        let (
            RouteKey::Path {
                verb: va,
                segments: sa,
            },
            RouteKey::Path {
                verb: vb,
                segments: sb,
            },
        ) = (self, other)
        else {
            return match (self, other) {
                (RouteKey::Default, RouteKey::Default) => Ordering::Equal,
                (RouteKey::Default, _) => Ordering::Greater,
                _ => Ordering::Less,
            };
        };
        let rank = |s: &Segment| match s {
            Segment::Literal(_) => 0,
            Segment::Param(_) => 1,
            Segment::Greedy(_) => 2,
        };
        Self::is_greedy(sa)
            .cmp(&Self::is_greedy(sb))
            .then_with(|| sb.len().cmp(&sa.len()))
            .then_with(|| {
                sa.iter()
                    .zip(sb)
                    .map(|(a, b)| rank(a).cmp(&rank(b)))
                    .find(|o| o.is_ne())
                    .unwrap_or(Ordering::Equal)
            })
            .then_with(|| va.is_none().cmp(&vb.is_none()))
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn winner<'a>(keys: &[&'a str], method: &str, path: &str) -> Option<&'a str> {
        let segs: Vec<&str> = if path == "/" {
            Vec::new()
        } else {
            path[1..].split('/').collect()
        };
        let parsed: Vec<(&str, RouteKey)> = keys
            .iter()
            .map(|k| (*k, RouteKey::parse(k).expect("valid key")))
            .collect();
        parsed
            .iter()
            .filter(|(_, k)| k.matches(method, &segs).is_some())
            .min_by(|a, b| a.1.precedence(&b.1))
            .map(|(k, _)| *k)
    }

    #[test]
    fn priority_table() {
        let keys = [
            "GET /pets/{id}",
            "GET /pets/dog",
            "ANY /pets/{id}",
            "ANY /{proxy+}",
            "GET /pets/{proxy+}",
            "$default",
        ];
        let table = [
            ("GET", "/pets/dog", "GET /pets/dog"),
            ("GET", "/pets/7", "GET /pets/{id}"),
            ("POST", "/pets/7", "ANY /pets/{id}"),
            ("GET", "/pets/7/toys", "GET /pets/{proxy+}"),
            ("POST", "/pets/7/toys", "ANY /{proxy+}"),
            ("GET", "/", "$default"),
            ("DELETE", "/other", "ANY /{proxy+}"),
        ];
        for (method, path, want) in table {
            assert_eq!(winner(&keys, method, path), Some(want), "{method} {path}");
        }
        assert_eq!(winner(&["GET /a"], "GET", "/b"), None);
        assert_eq!(winner(&["GET /a/{x}"], "GET", "/a"), None);
    }

    #[test]
    fn parameters_are_decoded() {
        let k = RouteKey::parse("GET /pets/{id}/{rest+}").expect("valid");
        assert_eq!(
            k.matches("GET", &["pets", "a%20b", "x", "y"]),
            Some(vec![
                ("id".to_string(), "a b".to_string()),
                ("rest".to_string(), "x/y".to_string())
            ])
        );
    }

    #[test]
    fn bad_keys_are_refused() {
        for bad in [
            "",
            "GET",
            "FETCH /a",
            "get /a",
            "GET a",
            "GET /a//b",
            "GET /{proxy+}/x",
            "GET /{}",
            "GET /{a}/{a}",
            "GET /a{b}",
            "$other",
        ] {
            assert!(RouteKey::parse(bad).is_err(), "{bad:?} must be refused");
        }
        for good in ["$default", "ANY /{proxy+}", "GET /", "POST /pets/{id}"] {
            assert!(RouteKey::parse(good).is_ok(), "{good:?}");
        }
    }
}
