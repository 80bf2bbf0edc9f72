//! Java `java.util.regex` patterns and replacement strings for `matches`, `replaceAll`,
//! `replaceFirst` and `split`.
//!
//! Patterns compile with `fancy-regex` (lookaround and backreferences, like Java) with a
//! backtracking limit, so a pathological pattern fails instead of hanging. `\Q…\E` quoting is
//! translated; possessive quantifiers and Java-only classes (`\p{javaLowerCase}`) are not
//! supported and fail as a pattern error. Compiled patterns are cached per thread (templates
//! reuse the same literal patterns on every request), so a request does not recompile them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use fancy_regex::Regex;

const CACHE_CAP: usize = 256;
const BACKTRACK_LIMIT: usize = 200_000;

thread_local! {
    static CACHE: RefCell<HashMap<(String, bool), Rc<Regex>>> = RefCell::new(HashMap::new());
}

/// Compile a Java pattern (cached). `whole` anchors it to the whole input (`matches()`).
pub fn compile(pattern: &str, whole: bool) -> Result<Rc<Regex>, String> {
    let key = (pattern.to_string(), whole);
    if let Some(r) = CACHE.with(|c| c.borrow().get(&key).cloned()) {
        return Ok(r);
    }
    let translated = translate(pattern);
    let full = if whole {
        format!("\\A(?:{translated})\\z")
    } else {
        translated
    };
    let re = fancy_regex::RegexBuilder::new(&full)
        .backtrack_limit(BACKTRACK_LIMIT)
        .delegate_size_limit(1 << 20)
        .delegate_dfa_size_limit(1 << 20)
        .build()
        .map_err(|e| format!("PatternSyntaxException: {e}"))?;
    let re = Rc::new(re);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= CACHE_CAP {
            c.clear();
        }
        c.insert(key, re.clone());
    });
    Ok(re)
}

/// Rewrite Java-only syntax the Rust engines do not understand: `\Q…\E` literal quoting.
fn translate(p: &str) -> String {
    if !p.contains("\\Q") {
        return p.to_string();
    }
    let mut out = String::with_capacity(p.len() + 8);
    let mut rest = p;
    while let Some(i) = rest.find("\\Q") {
        // An escaped backslash before \Q (`\\Q`) is not a quote start.
        let preceding = rest[..i].chars().rev().take_while(|&c| c == '\\').count();
        if preceding % 2 == 1 {
            out.push_str(&rest[..i + 2]);
            rest = &rest[i + 2..];
            continue;
        }
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let (quoted, tail) = match after.find("\\E") {
            Some(j) => (&after[..j], &after[j + 2..]),
            None => (after, ""),
        };
        out.push_str(&fancy_regex::escape(quoted));
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Does the whole of `s` match?
pub fn matches(pattern: &str, s: &str) -> Result<bool, String> {
    let re = compile(pattern, true)?;
    re.is_match(s).map_err(|e| format!("regex failed: {e}"))
}

/// Java `replaceAll` / `replaceFirst`.
pub fn replace(pattern: &str, s: &str, replacement: &str, all: bool) -> Result<String, String> {
    let re = compile(pattern, false)?;
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for caps in re.captures_iter(s) {
        let caps = caps.map_err(|e| format!("regex failed: {e}"))?;
        let Some(m) = caps.get(0) else { continue };
        out.push_str(&s[last..m.start()]);
        expand(replacement, &caps, &re, &mut out)?;
        last = m.end();
        if !all {
            break;
        }
    }
    out.push_str(&s[last..]);
    Ok(out)
}

/// Expand a Java replacement string: `$n`, `${name}`, `\x` for a literal `x`.
fn expand(
    rep: &str,
    caps: &fancy_regex::Captures<'_>,
    re: &Regex,
    out: &mut String,
) -> Result<(), String> {
    let group_count = re.captures_len().saturating_sub(1);
    let mut chars = rep.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n) => out.push(n),
                None => return Err("character to be escaped is missing".into()),
            },
            '$' => {
                if chars.peek() == Some(&'{') {
                    chars.next();
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some('}') => break,
                            Some(ch) => name.push(ch),
                            None => {
                                return Err("named capturing group is missing trailing '}'".into());
                            }
                        }
                    }
                    match re.capture_names().position(|n| n == Some(name.as_str())) {
                        Some(_) => {
                            if let Some(m) = caps.name(&name) {
                                out.push_str(m.as_str());
                            }
                        }
                        None => return Err(format!("No group with name {{{name}}}")),
                    }
                } else {
                    let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) else {
                        return Err("Illegal group reference".into());
                    };
                    chars.next();
                    let mut num = d as usize;
                    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                        let next = num * 10 + d as usize;
                        if next > group_count {
                            break;
                        }
                        num = next;
                        chars.next();
                    }
                    if num > group_count {
                        return Err(format!("No group {num}"));
                    }
                    if let Some(m) = caps.get(num) {
                        out.push_str(m.as_str());
                    }
                }
            }
            c => out.push(c),
        }
    }
    Ok(())
}

/// Java `String.split(regex, limit)`.
pub fn split(pattern: &str, s: &str, limit: i64) -> Result<Vec<String>, String> {
    let re = compile(pattern, false)?;
    let mut parts: Vec<String> = Vec::new();
    let mut index = 0;
    let mut matched = false;
    for m in re.find_iter(s) {
        let m = m.map_err(|e| format!("regex failed: {e}"))?;
        if limit > 0 && parts.len() as i64 >= limit - 1 {
            break;
        }
        if m.end() == 0 {
            // A zero-width match at the beginning never yields a leading empty string.
            continue;
        }
        matched = true;
        parts.push(s[index..m.start()].to_string());
        index = m.end();
    }
    if !matched {
        return Ok(vec![s.to_string()]);
    }
    parts.push(s[index..].to_string());
    if limit == 0 {
        while parts.last().is_some_and(|p| p.is_empty()) {
            parts.pop();
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_split_rules() {
        assert_eq!(split(",", "a,b,,c", 0).unwrap(), vec!["a", "b", "", "c"]);
        assert_eq!(split(",", "a,b,,", 0).unwrap(), vec!["a", "b"]);
        assert_eq!(split(",", "a,b,c", 2).unwrap(), vec!["a", "b,c"]);
        assert_eq!(split(",", "abc", 0).unwrap(), vec!["abc"]);
        assert_eq!(split("", "abc", 0).unwrap(), vec!["a", "b", "c"]);
        assert_eq!(split("\\|", "a|b", 0).unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn replacement_groups_and_escapes() {
        assert_eq!(replace("(a)(b)", "xaby", "$2$1", true).unwrap(), "xbay");
        assert_eq!(replace("a", "aa", "\\$", true).unwrap(), "$$");
        assert_eq!(
            replace("ba.", "foobar123bab", "foo", true).unwrap(),
            "foofoo123foo"
        );
        assert_eq!(replace("o", "foo", "0", false).unwrap(), "f0o");
        assert!(replace("a", "a", "$", true).is_err());
        assert!(replace("a", "a", "$5", true).is_err());
    }

    #[test]
    fn whole_match_and_lookaround() {
        assert!(matches("[0-9]*", "123").unwrap());
        assert!(!matches("[0-9]*", "d123").unwrap());
        assert!(matches("a(?=b)b", "ab").unwrap());
        assert!(matches("\\Q.*\\E", ".*").unwrap());
        assert!(compile("(", false).is_err());
    }
}
