//! Character-level scanning for the parser.
//!
//! Velocity's lexer is modal (text, reference, directive-argument states) and its whitespace
//! rules are properties of particular tokens, so the parser drives a [`Cursor`] directly in
//! text mode and asks it for [`Tok`]ens inside directive arguments and method calls.
//! All syntax characters are ASCII, so the cursor works on bytes of valid UTF-8 and only ever
//! slices at ASCII positions.

use super::ast::Pos;

/// Byte cursor over the template source.
#[derive(Debug, Clone)]
pub struct Cursor<'s> {
    src: &'s str,
    /// Current byte offset.
    pub pos: usize,
}

/// An expression token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok<'s> {
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
    /// `..`
    DotDot,
    /// `=`
    Assign,
    /// `==`
    EqEq,
    /// `!=`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `&&`
    AndAnd,
    /// `||`
    OrOr,
    /// `!`
    Bang,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// Integer literal text.
    Int(&'s str),
    /// Floating-point literal text.
    Float(&'s str),
    /// String literal: the raw text between the quotes and whether it was double-quoted.
    Str(&'s str, bool),
    /// A bare word (`true`, `and`, `in`, …).
    Word(&'s str),
    /// `$` — a reference starts here; the parser reads it.
    Dollar,
    /// End of input.
    Eof,
}

/// A lexical error: message and byte offset.
#[derive(Debug, Clone)]
pub struct LexError {
    /// What went wrong.
    pub message: String,
    /// Where.
    pub at: usize,
}

/// Is `b` a character that may start an identifier?
pub fn ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

/// Can `b` continue a reference identifier (Velocity allows `-`)?
pub fn ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Can `b` continue a directive word?
pub fn word_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl<'s> Cursor<'s> {
    /// A cursor at the start of `src`.
    pub fn new(src: &'s str) -> Self {
        Cursor { src, pos: 0 }
    }

    /// The whole source.
    pub fn src(&self) -> &'s str {
        self.src
    }

    /// Byte at `pos + n`, or 0 past the end.
    pub fn peek_at(&self, n: usize) -> u8 {
        self.src.as_bytes().get(self.pos + n).copied().unwrap_or(0)
    }

    /// Byte at the cursor, or 0 at the end.
    pub fn peek(&self) -> u8 {
        self.peek_at(0)
    }

    /// Byte at an absolute offset, or 0.
    pub fn byte(&self, at: usize) -> u8 {
        self.src.as_bytes().get(at).copied().unwrap_or(0)
    }

    /// At the end?
    pub fn eof(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// Does the rest start with `s`?
    pub fn starts_with(&self, s: &str) -> bool {
        self.src.as_bytes()[self.pos.min(self.src.len())..].starts_with(s.as_bytes())
    }

    /// Source slice between two offsets (both must be char boundaries).
    pub fn slice(&self, from: usize, to: usize) -> &'s str {
        self.src.get(from..to).unwrap_or("")
    }

    /// End offset of an identifier starting at `at` (`[A-Za-z_][A-Za-z0-9_-]*`), if any.
    pub fn ident_end(&self, at: usize) -> Option<usize> {
        if !ident_start(self.byte(at)) {
            return None;
        }
        let mut e = at + 1;
        while ident_continue(self.byte(e)) {
            e += 1;
        }
        Some(e)
    }

    /// End offset of a directive word starting at `at` (`[A-Za-z_][A-Za-z0-9_]*`), if any.
    pub fn word_end(&self, at: usize) -> Option<usize> {
        if !ident_start(self.byte(at)) {
            return None;
        }
        let mut e = at + 1;
        while word_continue(self.byte(e)) {
            e += 1;
        }
        Some(e)
    }

    /// Skip spaces, tabs and line breaks.
    pub fn skip_ws(&mut self) {
        while matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    /// Velocity's directive-end rule: after `)` of a directive and after `#end`/`#else`,
    /// trailing blanks plus one line break are consumed — but only if the line break is there.
    pub fn eat_directive_newline(&mut self) {
        let mut p = self.pos;
        while matches!(self.byte(p), b' ' | b'\t') {
            p += 1;
        }
        match self.byte(p) {
            b'\n' => self.pos = p + 1,
            b'\r' => {
                self.pos = if self.byte(p + 1) == b'\n' {
                    p + 2
                } else {
                    p + 1
                };
            }
            _ => {}
        }
    }

    /// Line and column of a byte offset.
    pub fn pos_of(&self, at: usize) -> Pos {
        let at = at.min(self.src.len());
        let before = self.src.get(..at).unwrap_or("");
        let line = before.bytes().filter(|&b| b == b'\n').count() as u32 + 1;
        let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let col = before.get(line_start..).unwrap_or("").chars().count() as u32 + 1;
        Pos { line, col }
    }

    /// Read the next expression token (skipping whitespace before it). A `$` is reported as
    /// [`Tok::Dollar`] without consuming it.
    pub fn next_tok(&mut self) -> Result<(Tok<'s>, usize), LexError> {
        self.skip_ws();
        let start = self.pos;
        let c = self.peek();
        let two = |s: &mut Self, t| {
            s.pos += 2;
            Ok((t, start))
        };
        let one = |s: &mut Self, t| {
            s.pos += 1;
            Ok((t, start))
        };
        match c {
            0 if self.eof() => Ok((Tok::Eof, start)),
            b'$' => Ok((Tok::Dollar, start)),
            b'(' => one(self, Tok::LParen),
            b')' => one(self, Tok::RParen),
            b'[' => one(self, Tok::LBracket),
            b']' => one(self, Tok::RBracket),
            b'{' => one(self, Tok::LBrace),
            b'}' => one(self, Tok::RBrace),
            b',' => one(self, Tok::Comma),
            b':' => one(self, Tok::Colon),
            b'.' if self.peek_at(1) == b'.' => two(self, Tok::DotDot),
            b'.' if self.peek_at(1).is_ascii_digit() => self.number(start),
            b'=' if self.peek_at(1) == b'=' => two(self, Tok::EqEq),
            b'=' => one(self, Tok::Assign),
            b'!' if self.peek_at(1) == b'=' => two(self, Tok::NotEq),
            b'!' => one(self, Tok::Bang),
            b'<' if self.peek_at(1) == b'=' => two(self, Tok::Le),
            b'<' => one(self, Tok::Lt),
            b'>' if self.peek_at(1) == b'=' => two(self, Tok::Ge),
            b'>' => one(self, Tok::Gt),
            b'&' if self.peek_at(1) == b'&' => two(self, Tok::AndAnd),
            b'|' if self.peek_at(1) == b'|' => two(self, Tok::OrOr),
            b'+' => one(self, Tok::Plus),
            b'-' => one(self, Tok::Minus),
            b'*' => one(self, Tok::Star),
            b'/' => one(self, Tok::Slash),
            b'%' => one(self, Tok::Percent),
            b'"' | b'\'' => self.string(start, c),
            c if c.is_ascii_digit() => self.number(start),
            c if ident_start(c) => {
                let end = self.word_end(start).unwrap_or(start + 1);
                self.pos = end;
                Ok((Tok::Word(self.slice(start, end)), start))
            }
            _ => {
                let ch = self.src.get(start..).and_then(|s| s.chars().next());
                Err(LexError {
                    message: format!("unexpected character {:?}", ch.unwrap_or('\0')),
                    at: start,
                })
            }
        }
    }

    /// Look at the next token without consuming it.
    pub fn peek_tok(&mut self) -> Result<Tok<'s>, LexError> {
        let save = self.pos;
        let t = self.next_tok().map(|(t, _)| t);
        self.pos = save;
        t
    }

    fn number(&mut self, start: usize) -> Result<(Tok<'s>, usize), LexError> {
        let mut p = start;
        while self.byte(p).is_ascii_digit() {
            p += 1;
        }
        let mut float = false;
        if self.byte(p) == b'.' && self.byte(p + 1).is_ascii_digit() {
            float = true;
            p += 1;
            while self.byte(p).is_ascii_digit() {
                p += 1;
            }
        }
        if matches!(self.byte(p), b'e' | b'E') {
            let mut q = p + 1;
            if matches!(self.byte(q), b'+' | b'-') {
                q += 1;
            }
            if self.byte(q).is_ascii_digit() {
                while self.byte(q).is_ascii_digit() {
                    q += 1;
                }
                p = q;
                float = true;
            }
        }
        self.pos = p;
        let text = self.slice(start, p);
        Ok((
            if float {
                Tok::Float(text)
            } else {
                Tok::Int(text)
            },
            start,
        ))
    }

    /// A string literal. Doubled quotes stand for one quote; in double-quoted strings a
    /// backslash keeps the next character inside the literal (both stay in the text).
    fn string(&mut self, start: usize, quote: u8) -> Result<(Tok<'s>, usize), LexError> {
        let mut p = start + 1;
        loop {
            let c = self.byte(p);
            if p >= self.src.len() {
                return Err(LexError {
                    message: "unterminated string literal".into(),
                    at: start,
                });
            }
            if c == quote {
                if self.byte(p + 1) == quote {
                    p += 2;
                    continue;
                }
                break;
            }
            if c == b'\\' && quote == b'"' && p + 1 < self.src.len() {
                // Keep the escaped character (which may be multi-byte) inside the literal.
                p += 1;
                let ch_len = self
                    .src
                    .get(p..)
                    .and_then(|s| s.chars().next())
                    .map(char::len_utf8)
                    .unwrap_or(1);
                p += ch_len;
                continue;
            }
            p += 1;
        }
        // `p` is at the closing quote; both quotes are ASCII, so these are char boundaries.
        self.pos = p + 1;
        Ok((Tok::Str(self.slice(start + 1, p), quote == b'"'), start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok<'_>> {
        let mut c = Cursor::new(s);
        let mut v = vec![];
        loop {
            let (t, _) = c.next_tok().unwrap();
            if t == Tok::Eof {
                return v;
            }
            v.push(t);
        }
    }

    #[test]
    fn ranges_and_floats() {
        assert_eq!(
            toks("[1..5] .5 2.50 1e3"),
            vec![
                Tok::LBracket,
                Tok::Int("1"),
                Tok::DotDot,
                Tok::Int("5"),
                Tok::RBracket,
                Tok::Float(".5"),
                Tok::Float("2.50"),
                Tok::Float("1e3"),
            ]
        );
    }

    #[test]
    fn strings_keep_escapes_and_doubled_quotes() {
        assert_eq!(toks(r#""a""b""#), vec![Tok::Str(r#"a""b"#, true)]);
        assert_eq!(toks(r#""1\\""2""#), vec![Tok::Str(r#"1\\""2"#, true)]);
        assert_eq!(toks("'it''s'"), vec![Tok::Str("it''s", false)]);
    }

    #[test]
    fn operators() {
        assert_eq!(
            toks("== != <= >= && || ! = < >"),
            vec![
                Tok::EqEq,
                Tok::NotEq,
                Tok::Le,
                Tok::Ge,
                Tok::AndAnd,
                Tok::OrOr,
                Tok::Bang,
                Tok::Assign,
                Tok::Lt,
                Tok::Gt
            ]
        );
    }

    #[test]
    fn positions_count_chars() {
        let c = Cursor::new("ab\ncäd");
        assert_eq!(c.pos_of(0), Pos { line: 1, col: 1 });
        assert_eq!(c.pos_of(6), Pos { line: 2, col: 3 });
    }

    #[test]
    fn unterminated_string_is_an_error() {
        let mut c = Cursor::new("'abc");
        assert!(c.next_tok().is_err());
    }
}
