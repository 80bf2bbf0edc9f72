//! `$util`: escapeJavaScript, parseJson, urlEncode, urlDecode, base64Encode, base64Decode
//! (mapping.md §4), with the Java library semantics API Gateway uses.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::vtl::Value;

/// Apache Commons Lang 2 `StringEscapeUtils.escapeJavaScript`: `"` `'` `\` `/` escaped,
/// `\b \f \n \r \t` by letter, other control characters and everything above ASCII as
/// `\uXXXX` (upper-case hex, UTF-16 units).
pub fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    escape_javascript_into(s, &mut out);
    out
}

/// [`escape_javascript`], appended to `out`.
pub fn escape_javascript_into(s: &str, out: &mut String) {
    // Runs of printable ASCII other than the escaped four are copied as they are.
    let plain = |b: u8| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\'' | b'\\' | b'/');
    let mut rest = s;
    while !rest.is_empty() {
        let n = rest.bytes().position(|b| !plain(b)).unwrap_or(rest.len());
        out.push_str(&rest[..n]);
        rest = &rest[n..];
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        escape_javascript_char(c, out);
    }
}

/// [`escape_javascript_into`] of the text a JSON string literal stands for, given the
/// literal's body (between the quotes, still escaped): one pass, no unescaped copy. A JSON
/// escape becomes the JavaScript escape of the character it stands for; the tape parser
/// validated the escapes; anything else reads as the tape's unescaping reads it (a cut-off
/// backslash as itself, an unknown escape or a surrogate code as U+FFFD).
pub fn escape_javascript_json_into(raw: &str, out: &mut String) {
    let plain = |b: u8| (0x20..0x7f).contains(&b) && !matches!(b, b'"' | b'\'' | b'\\' | b'/');
    let b = raw.as_bytes();
    // Start of the text not yet written: runs of plain bytes and of the JSON escapes that
    // JavaScript writes the same way (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`)
    // are copied at once.
    let mut run = 0;
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if plain(c) {
            i += 1;
            continue;
        }
        let e = b.get(i + 1).copied();
        if c == b'\\'
            && matches!(
                e,
                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't')
            )
        {
            i += 2;
            continue;
        }
        out.push_str(raw.get(run..i).unwrap_or_default());
        if c == b'\\' {
            if e == Some(b'u') {
                let h = b.get(i + 2..i + 6).and_then(hex4).unwrap_or(0xfffd);
                escape_javascript_char(char::from_u32(h).unwrap_or('\u{fffd}'), out);
                i += 6;
            } else if e.is_none() {
                // A cut-off backslash reads as itself.
                escape_javascript_char('\\', out);
                i += 1;
            } else {
                escape_javascript_char('\u{fffd}', out);
                i += 2;
            }
        } else {
            let Some(ch) = raw.get(i..).and_then(|r| r.chars().next()) else {
                break;
            };
            escape_javascript_char(ch, out);
            i += ch.len_utf8();
        }
        run = i;
    }
    out.push_str(raw.get(run..).unwrap_or_default());
}

fn hex4(h: &[u8]) -> Option<u32> {
    h.iter()
        .try_fold(0u32, |v, &c| Some(v * 16 + char::from(c).to_digit(16)?))
}

fn escape_javascript_char(c: char, out: &mut String) {
    match c {
        '"' => out.push_str("\\\""),
        '\'' => out.push_str("\\'"),
        '\\' => out.push_str("\\\\"),
        '/' => out.push_str("\\/"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{:04X}", unit);
            }
        }
        c => out.push(c),
    }
}

/// Java `URLEncoder.encode(s, "UTF-8")`: `A-Z a-z 0-9 . - * _` kept, space → `+`,
/// everything else `%XX` of its UTF-8 bytes.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Java `URLDecoder.decode(s, "UTF-8")`: `+` → space, `%XX` → byte; malformed escapes throw.
pub fn url_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => {
                bytes.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = s.get(i + 1..i + 3).ok_or_else(|| {
                    "IllegalArgumentException: URLDecoder: Incomplete trailing escape (%) pattern"
                        .to_string()
                })?;
                let v = u8::from_str_radix(hex, 16).map_err(|_| {
                    "IllegalArgumentException: URLDecoder: Illegal hex characters in escape (%) pattern"
                        .to_string()
                })?;
                bytes.push(v);
                i += 3;
            }
            c => {
                bytes.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Base64 (standard alphabet, padded) of the UTF-8 bytes.
pub fn base64_encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s.as_bytes())
}

/// Decode base64 (lenient about padding and whitespace) to text (invalid UTF-8 replaced).
pub fn base64_decode(s: &str) -> Result<String, String> {
    let cleaned: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(cleaned.as_bytes())
        .map_err(|e| format!("IllegalArgumentException: {e}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `$util.parseJson`: a JSON text to VTL values. Invalid JSON throws.
pub fn parse_json(s: &str) -> Result<Value, String> {
    if let Some(v) = crate::vtl::json::JsonDoc::parse(s) {
        return Ok(v);
    }
    crate::vtl::value::parse_json(s).map_err(|e| format!("Invalid JSON: {e}"))
}

/// `$util.escapeJavaScript(x)` printed by a reference: escaped straight into `out`, with the
/// same results and errors as [`call`]. `Ok(false)` for the other methods.
pub fn write_call(
    name: &str,
    args: &[Value],
    max_string: usize,
    out: &mut String,
) -> Result<bool, String> {
    let ("escapeJavaScript", [arg]) = (name, args) else {
        return Ok(false);
    };
    let owned;
    let text: &str = match arg {
        Value::Null => return Ok(true),
        Value::Str(s) => s,
        other => {
            owned = other
                .to_java_string(max_string)
                .map_err(|_| "string too large".to_string())?;
            &owned
        }
    };
    write_call_str(name, text, max_string, out)
}

/// [`write_call`] with one string argument given as text.
pub fn write_call_str(
    name: &str,
    text: &str,
    max_string: usize,
    out: &mut String,
) -> Result<bool, String> {
    escape_capped(name, max_string, out, |out| {
        escape_javascript_into(text, out)
    })
}

/// [`write_call_str`] with the argument as the body of a JSON string literal (see
/// [`escape_javascript_json_into`]).
pub fn write_call_json_str(
    name: &str,
    raw: &str,
    max_string: usize,
    out: &mut String,
) -> Result<bool, String> {
    escape_capped(name, max_string, out, |out| {
        escape_javascript_json_into(raw, out)
    })
}

/// `escapeJavaScript` written into `out` by `escape`, undone when it exceeds the string cap;
/// `Ok(false)` for any other method.
fn escape_capped(
    name: &str,
    max_string: usize,
    out: &mut String,
    escape: impl FnOnce(&mut String),
) -> Result<bool, String> {
    if name != "escapeJavaScript" {
        return Ok(false);
    }
    let start = out.len();
    escape(out);
    if out.len() - start > max_string {
        out.truncate(start);
        return Err("string too large".into());
    }
    Ok(true)
}

/// Dispatch a `$util` method.
pub fn call(name: &str, args: &[Value], max_string: usize) -> Result<Option<Value>, String> {
    let [arg] = args else {
        return Ok(None);
    };
    let owned;
    let text: &str = match arg {
        Value::Null => return Ok(Some(Value::Null)),
        Value::Str(s) => s,
        other => {
            owned = other
                .to_java_string(max_string)
                .map_err(|_| "string too large".to_string())?;
            &owned
        }
    };
    let out = match name {
        "escapeJavaScript" => Value::string(escape_javascript(text)),
        "parseJson" => parse_json(text)?,
        "urlEncode" => Value::string(url_encode(text)),
        "urlDecode" => Value::string(url_decode(text)?),
        "base64Encode" => Value::string(base64_encode(text)),
        "base64Decode" => Value::string(base64_decode(text)?),
        _ => return Ok(None),
    };
    if let Some(s) = out.as_str()
        && s.len() > max_string
    {
        return Err("string too large".into());
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_javascript_like_commons_lang() {
        assert_eq!(escape_javascript("it's"), "it\\'s");
        assert_eq!(escape_javascript("a/b</script>"), "a\\/b<\\/script>");
        assert_eq!(escape_javascript("a\u{1}b\u{1f}c"), "a\\u0001b\\u001Fc");
        assert_eq!(escape_javascript("\"x\"\n"), "\\\"x\\\"\\n");
        assert_eq!(escape_javascript("é👋"), "\\u00E9\\uD83D\\uDC4B");
    }

    /// Escaping a JSON literal's body is escaping the text it stands for.
    fn same_as_unescaped(s: &str) {
        let quoted = serde_json::to_string(s).unwrap();
        let raw = &quoted[1..quoted.len() - 1];
        let mut got = String::new();
        escape_javascript_json_into(raw, &mut got);
        assert_eq!(got, escape_javascript(s), "{raw:?}");
        // Every character as a `\uXXXX` escape (one per UTF-16 unit below the surrogates),
        // and `/` as `\/`.
        let mut all = String::new();
        let mut expect = String::new();
        for c in s.chars() {
            if c == '/' {
                all.push_str("\\/");
            } else if (c as u32) < 0xd800 || (0xe000..0x10000).contains(&(c as u32)) {
                all.push_str(&format!("\\u{:04x}", c as u32));
            } else {
                let q = serde_json::to_string(&c.to_string()).unwrap();
                all.push_str(&q[1..q.len() - 1]);
            }
            expect.push(c);
        }
        let mut got = String::new();
        escape_javascript_json_into(&all, &mut got);
        assert_eq!(got, escape_javascript(&expect), "{all:?}");
    }

    #[test]
    fn escape_javascript_of_json_literals() {
        for s in [
            "",
            "plain",
            "Pet \"12\"",
            "it's a/b\\c",
            "\u{8}\u{c}\n\r\t\u{1}\u{1f}\u{7f}",
            "é€😀 mixed ascii",
            "'/\"\\",
        ] {
            same_as_unescaped(s);
        }
        // As the tape's unescaping reads them (the tape never hands these over): a cut-off
        // backslash as itself, unknown escapes and surrogate codes as U+FFFD.
        let esc = |raw: &str| {
            let mut out = String::new();
            escape_javascript_json_into(raw, &mut out);
            out
        };
        assert_eq!(esc("a\\"), "a\\\\");
        assert_eq!(esc("a\\x"), "a\\uFFFD");
        assert_eq!(esc("\\u12"), "\\uFFFD");
        assert_eq!(esc("\\ud800"), "\\uFFFD");
    }

    proptest::proptest! {
        #[test]
        fn escape_javascript_of_json_literals_random(s in "\\PC{0,12}|[a-z'\"\\\\/\u{0}-\u{1f}\u{7f}é😀]{0,12}") {
            same_as_unescaped(&s);
        }
    }

    #[test]
    fn url_codec() {
        assert_eq!(url_encode("a*b~c.d-e_f"), "a*b%7Ec.d-e_f");
        assert_eq!(url_encode("café ü"), "caf%C3%A9+%C3%BC");
        assert_eq!(url_decode("a+b%26c%3Dd%2Fe").unwrap(), "a b&c=d/e");
        assert!(url_decode("%zz").is_err());
        assert!(url_decode("%4").is_err());
    }

    #[test]
    fn base64_codec() {
        assert_eq!(base64_encode("hello"), "aGVsbG8=");
        assert_eq!(base64_decode("aGVsbG8=").unwrap(), "hello");
        assert_eq!(base64_decode("aGVsbG8").unwrap(), "hello");
        assert!(base64_decode("!!!").is_err());
    }
}
