//! Stage-variable substitution in integration URIs (`${stageVariables.x}`, model.md §5.1)
//! and the small URL helpers the integration request needs.

use indexmap::IndexMap;

/// Replaces every `${stageVariables.name}` with the variable's value (empty when undefined).
pub fn substitute_stage_variables(text: &str, vars: &IndexMap<String, String>) -> String {
    const OPEN: &str = "${stageVariables.";
    if !text.contains(OPEN) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let after = &rest[start + OPEN.len()..];
        match after.find('}') {
            Some(end) => {
                if let Some(v) = vars.get(&after[..end]) {
                    out.push_str(v);
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Fills `{name}` placeholders (not `${...}`) with `lookup(name)`; unknown names stay as they
/// are.
pub fn fill_path_placeholders(uri: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(uri.len());
    let mut rest = uri;
    while let Some(start) = rest.find('{') {
        let is_stage_var = start > 0 && rest.as_bytes()[start - 1] == b'$';
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) if !is_stage_var => {
                let name = after[..end].trim_end_matches('+');
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[start..start + end + 2]),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Decodes an `application/x-www-form-urlencoded` query string into pairs, in order.
pub fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    let Some(raw) = raw else { return Vec::new() };
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

/// One allocation per component (a `+` replaced, then decoded, made two; the usual `id=1`
/// has neither and is copied as it is).
fn form_decode(s: &str) -> String {
    if !s.bytes().any(|b| b == b'+' || b == b'%') {
        return s.to_string();
    }
    let plus = if s.contains('+') {
        std::borrow::Cow::Owned(s.replace('+', " "))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    percent_encoding::percent_decode_str(&plus)
        .decode_utf8_lossy()
        .into_owned()
}

/// [`form_decode`] without a copy when there is nothing to decode.
fn form_decode_cow(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| b == b'+' || b == b'%') {
        std::borrow::Cow::Owned(form_decode(s))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// The raw (still encoded) values of query parameter `name` in `raw`, in order: the pairs
/// [`parse_query`] would decode (split at `&`, empty pairs skipped, the name up to the first
/// `=`), without decoding or copying any whose name needs no decoding. A byte scan: the
/// separators are ASCII, so every split falls on a character boundary.
fn raw_query_values<'q>(raw: Option<&'q str>, name: &str) -> impl Iterator<Item = &'q str> {
    let mut rest = raw.unwrap_or_default();
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let end = rest.bytes().position(|b| b == b'&').unwrap_or(rest.len());
            let pair = &rest[..end];
            rest = rest.get(end + 1..).unwrap_or_default();
            if pair.is_empty() {
                continue;
            }
            let (k, v) = match pair.bytes().position(|b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, ""),
            };
            if form_decode_cow(k) == name {
                return Some(v);
            }
        }
        None
    })
}

/// The values of query parameter `name` in `raw`, in order, decoded exactly as
/// [`parse_query`] decodes them; a value with nothing to decode is borrowed, not copied.
pub fn query_values<'q>(
    raw: Option<&'q str>,
    name: &str,
) -> impl Iterator<Item = std::borrow::Cow<'q, str>> {
    raw_query_values(raw, name).map(form_decode_cow)
}

/// The last value of query parameter `name` in `raw` (API Gateway's single-value view),
/// decoded as [`parse_query`] decodes it; borrowed when there is nothing to decode.
pub fn query_last<'q>(raw: Option<&'q str>, name: &str) -> Option<std::borrow::Cow<'q, str>> {
    raw_query_values(raw, name).last().map(form_decode_cow)
}

/// Percent-encodes a query key or value.
pub fn query_encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY).to_string()
}

const QUERY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_variables_and_placeholders() {
        let mut vars = IndexMap::new();
        vars.insert("host".to_string(), "127.0.0.1:9000".to_string());
        let uri = substitute_stage_variables(
            "http://${stageVariables.host}/a/{id}/${stageVariables.nope}x",
            &vars,
        );
        assert_eq!(uri, "http://127.0.0.1:9000/a/{id}/x");
        let filled = fill_path_placeholders(&uri, |n| (n == "id").then(|| "7".to_string()));
        assert_eq!(filled, "http://127.0.0.1:9000/a/7/x");
        assert_eq!(
            fill_path_placeholders("http://h/{proxy+}", |_| Some("a/b".into())),
            "http://h/a/b"
        );
        assert_eq!(
            fill_path_placeholders("http://h/{x}", |_| None),
            "http://h/{x}"
        );
        assert_eq!(
            parse_query(Some("a=1&b=x+y&a=%2B&flag")),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("a".into(), "+".into()),
                ("flag".into(), "".into())
            ]
        );
        // The single-parameter readers agree with the parsed pairs.
        for raw in [
            "a=1&b=x+y&a=%2B&flag",
            "c=%FF&d=%20+%2b&e=caf%C3%A9&%61=3&a+b=4&a%20b=5&&=6&a=&a",
            "",
            "&&&",
            "x=1=2&x==&x",
        ] {
            let pairs = parse_query(Some(raw));
            for name in ["a", "b", "flag", "c", "d", "e", "a b", "", "x", "nope", "+"] {
                let expected: Vec<&str> = pairs
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.as_str())
                    .collect();
                let values: Vec<_> = query_values(Some(raw), name).collect();
                assert_eq!(values, expected, "{raw:?} {name:?}");
                assert_eq!(
                    query_last(Some(raw), name).as_deref(),
                    expected.last().copied(),
                    "{raw:?} {name:?}"
                );
            }
        }
        assert_eq!(query_last(None, "a"), None);
        assert_eq!(query_values(None, "a").count(), 0);
        // Invalid UTF-8 after decoding is replaced; `+` and `%20` are both spaces.
        assert_eq!(
            parse_query(Some("c=%FF&d=%20+%2b&e=caf%C3%A9")),
            vec![
                ("c".into(), "\u{FFFD}".into()),
                ("d".into(), "  +".into()),
                ("e".into(), "café".into())
            ]
        );
    }
}
