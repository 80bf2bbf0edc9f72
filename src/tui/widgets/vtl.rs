//! A small Velocity (VTL) highlighter for the template editor, and the default
//! `parse_check` (a structural check; the coordinator may replace it with the real parser
//! through `ConsoleOptions::parse_check`).
//!
//! Colours: `$ref`, `$!ref`, `${ref}`, `$!{ref}` with `.property` chains; `#directive` and
//! `#{directive}`; `## line` and `#* block *#` comments; strings inside parentheses
//! (directive and method arguments). Block comments carry over between lines.

use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    Text,
    Variable,
    Directive,
    Comment,
    String,
}

/// Per line, the byte ranges and their token kinds (covering the whole line).
pub fn highlight(lines: &[String]) -> Vec<Vec<(Range<usize>, Token)>> {
    let mut in_block = false;
    lines
        .iter()
        .map(|l| highlight_line(l, &mut in_block))
        .collect()
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

fn highlight_line(line: &str, in_block: &mut bool) -> Vec<(Range<usize>, Token)> {
    let b = line.as_bytes();
    let n = b.len();
    let mut out: Vec<(Range<usize>, Token)> = Vec::new();
    let push = |r: Range<usize>, t: Token, out: &mut Vec<(Range<usize>, Token)>| {
        if r.start >= r.end {
            return;
        }
        if let Some((last, lt)) = out.last_mut()
            && *lt == t
            && last.end == r.start
        {
            last.end = r.end;
            return;
        }
        out.push((r, t));
    };
    let mut i = 0;
    let mut depth = 0usize;
    let char_at = |i: usize| line.get(i..).and_then(|s| s.chars().next());
    while i < n {
        if *in_block {
            match line[i..].find("*#") {
                Some(p) => {
                    push(i..i + p + 2, Token::Comment, &mut out);
                    i += p + 2;
                    *in_block = false;
                }
                None => {
                    push(i..n, Token::Comment, &mut out);
                    i = n;
                }
            }
            continue;
        }
        let c = match char_at(i) {
            Some(c) => c,
            None => break,
        };
        let next = char_at(i + c.len_utf8());
        match c {
            '#' if next == Some('#') => {
                push(i..n, Token::Comment, &mut out);
                i = n;
            }
            '#' if next == Some('*') => {
                *in_block = true;
                push(i..i + 2, Token::Comment, &mut out);
                i += 2;
            }
            '#' if next.is_some_and(|c| is_ident_start(c) || c == '{') => {
                let mut j = i + 1;
                let braced = next == Some('{');
                if braced {
                    j += 1;
                }
                while let Some(c) = char_at(j).filter(|c| c.is_ascii_alphabetic()) {
                    j += c.len_utf8();
                }
                if braced && char_at(j) == Some('}') {
                    j += 1;
                }
                push(i..j, Token::Directive, &mut out);
                i = j;
            }
            '$' => {
                let mut j = i + 1;
                if char_at(j) == Some('!') {
                    j += 1;
                }
                if char_at(j) == Some('{') {
                    match line[j..].find('}') {
                        Some(p) => j += p + 1,
                        None => j = n,
                    }
                    push(i..j, Token::Variable, &mut out);
                    i = j;
                } else if char_at(j).is_some_and(is_ident_start) {
                    while let Some(c) = char_at(j) {
                        if is_ident(c) || (c == '.' && char_at(j + 1).is_some_and(is_ident_start)) {
                            j += 1;
                        } else {
                            break;
                        }
                    }
                    push(i..j, Token::Variable, &mut out);
                    i = j;
                } else {
                    push(i..i + 1, Token::Text, &mut out);
                    i += 1;
                }
            }
            '(' => {
                depth += 1;
                push(i..i + 1, Token::Text, &mut out);
                i += 1;
            }
            ')' => {
                depth = depth.saturating_sub(1);
                push(i..i + 1, Token::Text, &mut out);
                i += 1;
            }
            '"' | '\'' if depth > 0 => {
                let mut j = i + 1;
                while let Some(ch) = char_at(j) {
                    j += ch.len_utf8();
                    if ch == '\\' {
                        if let Some(esc) = char_at(j) {
                            j += esc.len_utf8();
                        }
                        continue;
                    }
                    if ch == c {
                        break;
                    }
                }
                push(i..j.min(n), Token::String, &mut out);
                i = j.min(n);
            }
            _ => {
                push(i..i + c.len_utf8(), Token::Text, &mut out);
                i += c.len_utf8();
            }
        }
    }
    out
}

/// A structural check of a template: block directives balanced by `#end`, `${` closed,
/// `#*` closed. Returns the first problem as `(line, column, message)`, 1-based.
pub fn parse_check(src: &str) -> Option<(usize, usize, String)> {
    let lines: Vec<String> = src.lines().map(str::to_string).collect();
    let tokens = highlight(&lines);
    let mut open: Vec<(usize, usize, String)> = Vec::new();
    let mut last_comment: Option<(usize, usize)> = None;
    let mut in_block = false;
    for (ln, (line, toks)) in lines.iter().zip(&tokens).enumerate() {
        for (r, t) in toks {
            let text = &line[r.clone()];
            match t {
                Token::Directive => {
                    let name = text
                        .trim_start_matches('#')
                        .trim_matches(|c| c == '{' || c == '}');
                    match name {
                        "if" | "foreach" | "macro" | "define" => {
                            open.push((ln + 1, r.start + 1, name.to_string()))
                        }
                        "end" if open.pop().is_none() => {
                            return Some((
                                ln + 1,
                                r.start + 1,
                                "#end without an open block".into(),
                            ));
                        }
                        "elseif" | "else" if !open.iter().any(|(_, _, n)| n == "if") => {
                            return Some((ln + 1, r.start + 1, format!("#{name} outside #if")));
                        }
                        _ => {}
                    }
                }
                Token::Variable if text.contains('{') && !text.ends_with('}') => {
                    return Some((ln + 1, r.start + 1, "unclosed ${".into()));
                }
                Token::Comment if text.starts_with("#*") => {
                    last_comment = Some((ln + 1, r.start + 1));
                    in_block = !text.ends_with("*#") || text.len() < 4;
                }
                Token::Comment if text.ends_with("*#") => in_block = false,
                _ => {}
            }
        }
    }
    if in_block {
        let (l, c) = last_comment.unwrap_or((1, 1));
        return Some((l, c, "unclosed #* comment".into()));
    }
    open.pop()
        .map(|(l, c, name)| (l, c, format!("#{name} is never closed by #end")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(line: &str) -> Vec<(String, Token)> {
        highlight(&[line.to_string()])[0]
            .iter()
            .map(|(r, t)| (line[r.clone()].to_string(), *t))
            .collect()
    }

    #[test]
    fn colours_refs_directives_comments_strings() {
        let k = kinds("#set($x = $input.json('$.a')) ## note");
        assert!(k.contains(&("#set".into(), Token::Directive)));
        assert!(k.contains(&("$x".into(), Token::Variable)));
        assert!(k.contains(&("$input.json".into(), Token::Variable)));
        assert!(k.contains(&("'$.a'".into(), Token::String)));
        assert!(k.contains(&("## note".into(), Token::Comment)));
        let k = kinds("{\"id\": \"$!{ctx.requestId}\"} #{end}");
        assert!(k.contains(&("$!{ctx.requestId}".into(), Token::Variable)));
        assert!(k.contains(&("#{end}".into(), Token::Directive)));
        let lines = vec!["a #* one".to_string(), "two *# $b".to_string()];
        let h = highlight(&lines);
        assert_eq!(h[1][0], (0..6, Token::Comment));
        assert_eq!(h[1].last().map(|x| x.1), Some(Token::Variable));
        // byte ranges stay on char boundaries
        let k = kinds("é $ü ('ö') $");
        assert!(k.iter().all(|(s, _)| !s.is_empty()));
    }

    #[test]
    fn structural_check_finds_the_first_problem() {
        assert_eq!(parse_check("#if($a)\nx\n#end"), None);
        assert_eq!(
            parse_check("#if($a)\nx\n").map(|e| (e.0, e.1)),
            Some((1, 1))
        );
        assert!(parse_check("#end").is_some());
        assert!(parse_check("a ${b").is_some());
        assert!(parse_check("#* open").is_some());
        assert_eq!(parse_check("#* a *# ok"), None);
        assert!(parse_check("#else").is_some());
    }
}
