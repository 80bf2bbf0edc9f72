//! Plain-text variable substitution (not VTL): gateway-response templates (mapping.md §6)
//! and `${stageVariables.x}` in integration URIs (model.md §5.1).

use indexmap::IndexMap;

fn context_lookup(context: &serde_json::Value, path: &str) -> Option<String> {
    let mut v = context;
    for p in path.split('.') {
        v = v.get(p)?;
    }
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => serde_json::to_string(other).ok(),
    }
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// End of a dotted name (`a.b.c`) starting at `at`; a trailing dot is not part of it.
fn dotted_end(s: &[u8], at: usize) -> usize {
    let mut end = at;
    let mut i = at;
    while i < s.len() {
        if is_name(s[i]) {
            i += 1;
            end = i;
        } else if s[i] == b'.' && i + 1 < s.len() && is_name(s[i + 1]) && i > at {
            i += 1;
        } else {
            break;
        }
    }
    end
}

/// Replace `$context.a.b` and `$stageVariables.x` in `template` textually; unset variables
/// become `missing` (`""` for gateway responses, `"-"` for access logs). Any other text,
/// including other `$` words, is left alone.
pub fn substitute_gateway_template(
    template: &str,
    context: &serde_json::Value,
    stage_variables: &IndexMap<String, String>,
    missing: &str,
) -> String {
    let b = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = template[i..].find('$') {
        let at = i + off;
        let rest = &template[at + 1..];
        let (prefix_len, is_ctx) = if rest.starts_with("context.") {
            ("context.".len(), true)
        } else if rest.starts_with("stageVariables.") {
            ("stageVariables.".len(), false)
        } else {
            i = at + 1;
            continue;
        };
        let name_start = at + 1 + prefix_len;
        let name_end = dotted_end(b, name_start);
        if name_end == name_start {
            i = at + 1;
            continue;
        }
        let name = &template[name_start..name_end];
        let value = if is_ctx {
            context_lookup(context, name)
        } else {
            stage_variables.get(name).cloned()
        };
        out.push_str(&template[last..at]);
        out.push_str(value.as_deref().unwrap_or(missing));
        last = name_end;
        i = name_end;
    }
    out.push_str(&template[last..]);
    out
}

/// Replace `${stageVariables.name}` (undefined → empty).
pub fn substitute_stage_variables(
    text: &str,
    stage_variables: &IndexMap<String, String>,
) -> String {
    const OPEN: &str = "${stageVariables.";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(OPEN) {
        let after = &rest[i + OPEN.len()..];
        match after.find('}') {
            Some(j) => {
                out.push_str(&rest[..i]);
                if let Some(v) = stage_variables.get(&after[..j]) {
                    out.push_str(v);
                }
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn substitutes_context_and_stage_variables_textually() {
        let ctx = json!({"error": {"messageString": "\"Missing Authentication Token\"",
                                   "responseType": "MISSING_AUTHENTICATION_TOKEN"},
                         "stage": "prod"});
        let mut vars = IndexMap::new();
        vars.insert("a".to_string(), "x".to_string());
        let t = r#"{"message": $context.error.messageString, "type": "$context.error.responseType", "s": "$context.stage.", "v": "$stageVariables.a", "u": "$stageVariables.b", "o": "$other"}"#;
        assert_eq!(
            substitute_gateway_template(t, &ctx, &vars, ""),
            r#"{"message": "Missing Authentication Token", "type": "MISSING_AUTHENTICATION_TOKEN", "s": "prod.", "v": "x", "u": "", "o": "$other"}"#
        );
        assert_eq!(
            substitute_gateway_template("$context.nope", &ctx, &vars, "-"),
            "-"
        );
    }

    #[test]
    fn stage_variables_in_uris() {
        let mut vars = IndexMap::new();
        vars.insert("host".to_string(), "example.com".to_string());
        assert_eq!(
            substitute_stage_variables(
                "https://${stageVariables.host}/${stageVariables.x}p",
                &vars
            ),
            "https://example.com/p"
        );
    }
}
