//! Recursive-descent parser from template text to [`Node`]s.
//!
//! Whitespace follows Velocity 1.7's lexer, because API Gateway runs Velocity 1.x:
//! * the `)` closing `#set/#if/#elseif/#foreach/#define/#macro`, and `#else`/`#end`, swallow
//!   trailing blanks plus one line break — only if the line break is there;
//! * blanks in front of `#set` are swallowed when they start a token (right after a
//!   directive, a reference, a comment or at the start of the template), not when they
//!   follow ordinary text on the same text run;
//! * `##` comments swallow their line break, `#* *#` comments do not;
//! * indentation in front of `#if/#foreach/#end/#else` is ordinary text and is kept.

use std::sync::Arc;

use super::ParseError;
use super::ast::{BinOp, Expr, NO_SLOT, Node, Part, Pos, Reference};
use super::lexer::{Cursor, LexError, Tok};
use super::number::ArithOp;

/// Deepest nesting of blocks, parentheses and literals the parser accepts.
pub const MAX_NESTING: u32 = 64;

/// Directive names Velocity knows (used for escaping rules and dispatch).
const KNOWN_DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "define", "macro", "break", "stop", "include",
    "parse", "evaluate", "literal",
];

/// Parse a whole template.
pub fn parse_template(src: &str) -> Result<Vec<Node>, ParseError> {
    let mut p = Parser {
        cur: Cursor::new(src),
        depth: 0,
        origin: None,
    };
    let (nodes, end, at) = p.nodes()?;
    match end {
        Stop::Eof => Ok(nodes),
        Stop::End => Err(p.error_at(
            at,
            "#end without a matching #if, #foreach, #define or #macro",
        )),
        Stop::Else => Err(p.error_at(at, "#else without a matching #if")),
        Stop::ElseIf(_) => Err(p.error_at(at, "#elseif without a matching #if")),
    }
}

/// How a run of nodes ended.
enum Stop {
    Eof,
    End,
    Else,
    ElseIf(Expr),
}

struct Parser<'s> {
    cur: Cursor<'s>,
    depth: u32,
    /// For string-literal sub-templates: the literal's position, used for all errors.
    origin: Option<Pos>,
}

fn lex_err(p: &Parser<'_>, e: LexError) -> ParseError {
    p.error_at(e.at, &e.message)
}

impl<'s> Parser<'s> {
    fn error_at(&self, at: usize, message: &str) -> ParseError {
        let pos = self.origin.unwrap_or_else(|| self.cur.pos_of(at));
        ParseError {
            line: pos.line,
            column: pos.col,
            message: message.to_string(),
        }
    }

    fn pos(&self, at: usize) -> Pos {
        self.origin.unwrap_or_else(|| self.cur.pos_of(at))
    }

    fn enter(&mut self, at: usize) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.error_at(at, "template nested too deeply"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Is there a `#set(` / `#{set}(` token (spaces allowed before `(`) at `at`?
    fn set_directive_at(&self, at: usize) -> bool {
        let c = &self.cur;
        let mut p = if c.slice(at, at + 4) == "#set" {
            at + 4
        } else if c.slice(at, at + 6) == "#{set}" {
            at + 6
        } else {
            return false;
        };
        while c.byte(p) == b' ' {
            p += 1;
        }
        c.byte(p) == b'('
    }

    /// The directive word at a `#` (offset `at`): (name, offset after the word/braces).
    fn directive_word(&self, at: usize) -> Option<(&'s str, usize)> {
        let c = &self.cur;
        if c.byte(at + 1) == b'{' {
            let end = c.word_end(at + 2)?;
            if c.byte(end) != b'}' {
                return None;
            }
            Some((c.slice(at + 2, end), end + 1))
        } else {
            let end = c.word_end(at + 1)?;
            Some((c.slice(at + 1, end), end))
        }
    }

    /// Parse nodes until `#end`/`#else`/`#elseif` or the end of input.
    fn nodes(&mut self) -> Result<(Vec<Node>, Stop, usize), ParseError> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        // At a token boundary (start, after a directive/reference/comment)?
        let mut tok_start = true;
        loop {
            if tok_start {
                let mut p = self.cur.pos;
                while matches!(self.cur.byte(p), b' ' | b'\t') {
                    p += 1;
                }
                if p > self.cur.pos && self.set_directive_at(p) {
                    self.cur.pos = p;
                }
            }
            if self.cur.eof() {
                flush(&mut nodes, &mut text);
                return Ok((nodes, Stop::Eof, self.cur.pos));
            }
            let start = self.cur.pos;
            match self.cur.peek() {
                b'\\' => {
                    let mut after = start;
                    while self.cur.byte(after) == b'\\' {
                        after += 1;
                    }
                    let n = (after - start) as u32;
                    match self.cur.byte(after) {
                        b'$' => {
                            self.cur.pos = after;
                            if let Some(r) = self.reference(true)? {
                                flush(&mut nodes, &mut text);
                                nodes.push(Node::Ref {
                                    r: Box::new(r),
                                    escapes: n,
                                });
                                tok_start = true;
                            } else {
                                text.push_str(self.cur.slice(start, after + 1));
                                self.cur.pos = after + 1;
                                tok_start = false;
                            }
                        }
                        b'#' => match self.directive_word(after) {
                            Some((name, end)) if KNOWN_DIRECTIVES.contains(&name) => {
                                if n % 2 == 1 {
                                    push_backslashes(&mut text, (n - 1) / 2);
                                    text.push_str(self.cur.slice(after, end));
                                    self.cur.pos = end;
                                    tok_start = true;
                                } else {
                                    push_backslashes(&mut text, n / 2);
                                    self.cur.pos = after;
                                    tok_start = false;
                                }
                            }
                            _ => {
                                text.push_str(self.cur.slice(start, after));
                                self.cur.pos = after;
                                tok_start = false;
                            }
                        },
                        _ => {
                            text.push_str(self.cur.slice(start, after));
                            self.cur.pos = after;
                            tok_start = false;
                        }
                    }
                }
                b'$' => {
                    if let Some(r) = self.reference(true)? {
                        flush(&mut nodes, &mut text);
                        nodes.push(Node::Ref {
                            r: Box::new(r),
                            escapes: 0,
                        });
                        tok_start = true;
                    } else {
                        text.push('$');
                        self.cur.pos += 1;
                        tok_start = false;
                    }
                }
                b'#' => {
                    if self.cur.starts_with("##") {
                        let rest = self.cur.slice(start, self.cur.src().len());
                        let len = rest
                            .find(['\n', '\r'])
                            .map(|i| {
                                if rest.as_bytes().get(i) == Some(&b'\r')
                                    && rest.as_bytes().get(i + 1) == Some(&b'\n')
                                {
                                    i + 2
                                } else {
                                    i + 1
                                }
                            })
                            .unwrap_or(rest.len());
                        self.cur.pos = start + len;
                        tok_start = true;
                        continue;
                    }
                    if self.cur.starts_with("#*") {
                        let rest = self.cur.slice(start + 2, self.cur.src().len());
                        match rest.find("*#") {
                            Some(i) => self.cur.pos = start + 2 + i + 2,
                            None => return Err(self.error_at(start, "unterminated #* comment")),
                        }
                        tok_start = true;
                        continue;
                    }
                    if self.cur.starts_with("#[[") {
                        let rest = self.cur.slice(start + 3, self.cur.src().len());
                        match rest.find("]]#") {
                            Some(i) => {
                                text.push_str(&rest[..i]);
                                self.cur.pos = start + 3 + i + 3;
                            }
                            None => {
                                return Err(self.error_at(start, "unterminated #[[ ]]# block"));
                            }
                        }
                        tok_start = true;
                        continue;
                    }
                    let Some((name, after)) = self.directive_word(start) else {
                        text.push('#');
                        self.cur.pos += 1;
                        tok_start = false;
                        continue;
                    };
                    match name {
                        "set" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            let node = self.set_directive(start)?;
                            nodes.push(node);
                            tok_start = true;
                        }
                        "if" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            let node = self.if_directive(start)?;
                            nodes.push(node);
                            tok_start = true;
                        }
                        "elseif" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            let cond = self.paren_condition(start, "#elseif")?;
                            return Ok((nodes, Stop::ElseIf(cond), start));
                        }
                        "else" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            self.cur.eat_directive_newline();
                            return Ok((nodes, Stop::Else, start));
                        }
                        "end" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            self.cur.eat_directive_newline();
                            return Ok((nodes, Stop::End, start));
                        }
                        "foreach" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            let node = self.foreach_directive(start)?;
                            nodes.push(node);
                            tok_start = true;
                        }
                        "define" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            let node = self.define_directive(start)?;
                            nodes.push(node);
                            tok_start = true;
                        }
                        "macro" => {
                            // API Gateway does not run template-defined macros: the
                            // definition renders nothing and calls stay literal text.
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            self.macro_directive(start)?;
                            tok_start = true;
                        }
                        "break" | "stop" => {
                            flush(&mut nodes, &mut text);
                            self.cur.pos = after;
                            if self.cur.peek() == b'(' {
                                self.cur.pos += 1;
                                self.skip_args(start)?;
                                self.cur.eat_directive_newline();
                            }
                            nodes.push(if name == "break" {
                                Node::Break
                            } else {
                                Node::Stop
                            });
                            tok_start = true;
                        }
                        _ => {
                            // Unknown directive or macro call: literal text.
                            text.push_str(self.cur.slice(start, after));
                            self.cur.pos = after;
                            tok_start = false;
                        }
                    }
                }
                _ => {
                    let rest = self.cur.slice(start, self.cur.src().len());
                    let len = rest.find(['$', '#', '\\']).unwrap_or(rest.len());
                    text.push_str(&rest[..len]);
                    self.cur.pos = start + len;
                    tok_start = false;
                }
            }
        }
    }

    /// Parse a nested block body (depth-checked).
    fn block(&mut self, at: usize) -> Result<(Vec<Node>, Stop, usize), ParseError> {
        self.enter(at)?;
        let r = self.nodes();
        self.leave();
        r
    }

    /// Expect `(` after a directive name (blanks and line breaks allowed before it).
    fn open_paren(&mut self, start: usize, what: &str) -> Result<(), ParseError> {
        self.cur.skip_ws();
        if self.cur.peek() != b'(' {
            return Err(self.error_at(start, &format!("expected '(' after {what}")));
        }
        self.cur.pos += 1;
        Ok(())
    }

    /// Expect the directive's closing `)` and apply the trailing-newline rule.
    fn close_paren(&mut self, start: usize, what: &str) -> Result<(), ParseError> {
        let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
        if t != Tok::RParen {
            let _ = start;
            return Err(self.error_at(at, &format!("expected ')' to close {what}")));
        }
        self.cur.eat_directive_newline();
        Ok(())
    }

    fn paren_condition(&mut self, start: usize, what: &str) -> Result<Expr, ParseError> {
        self.open_paren(start, what)?;
        let e = self.expr()?;
        self.close_paren(start, what)?;
        Ok(e)
    }

    fn set_directive(&mut self, start: usize) -> Result<Node, ParseError> {
        self.open_paren(start, "#set")?;
        self.cur.skip_ws();
        if self.cur.peek() != b'$' {
            return Err(self.error_at(self.cur.pos, "#set must assign to a $reference"));
        }
        let at = self.cur.pos;
        let target = self
            .reference(false)?
            .ok_or_else(|| self.error_at(at, "#set must assign to a $reference"))?;
        if matches!(target.parts.last(), Some(Part::Method(..))) {
            return Err(self.error_at(at, "#set cannot assign to a method call"));
        }
        let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
        if t != Tok::Assign {
            return Err(self.error_at(at, "expected '=' in #set"));
        }
        let value = self.expr()?;
        self.close_paren(start, "#set")?;
        Ok(Node::Set {
            target: Box::new(target),
            value,
        })
    }

    fn if_directive(&mut self, start: usize) -> Result<Node, ParseError> {
        let mut cond = self.paren_condition(start, "#if")?;
        let mut branches = Vec::new();
        loop {
            let (body, end, at) = self.block(start)?;
            branches.push((cond, body));
            match end {
                Stop::End => {
                    return Ok(Node::If {
                        branches,
                        otherwise: None,
                    });
                }
                Stop::ElseIf(c) => cond = c,
                Stop::Else => {
                    let (body, end, at2) = self.block(start)?;
                    return match end {
                        Stop::End => Ok(Node::If {
                            branches,
                            otherwise: Some(body),
                        }),
                        Stop::Eof => Err(self.error_at(start, "#if without a matching #end")),
                        _ => Err(self.error_at(at2, "#else/#elseif after #else")),
                    };
                }
                Stop::Eof => {
                    let _ = at;
                    return Err(self.error_at(start, "#if without a matching #end"));
                }
            }
        }
    }

    fn foreach_directive(&mut self, start: usize) -> Result<Node, ParseError> {
        self.open_paren(start, "#foreach")?;
        self.cur.skip_ws();
        let at = self.cur.pos;
        let var = match self.reference(false)? {
            Some(r) if r.parts.is_empty() => r.root,
            _ => return Err(self.error_at(at, "#foreach expects a simple $variable")),
        };
        let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
        if t != Tok::Word("in") {
            return Err(self.error_at(at, "expected 'in' in #foreach"));
        }
        let iterable = self.expr()?;
        self.close_paren(start, "#foreach")?;
        let (body, end, at) = self.block(start)?;
        match end {
            Stop::End => Ok(Node::Foreach {
                var,
                var_slot: NO_SLOT,
                iterable,
                body,
                pos: self.pos(start),
            }),
            Stop::Eof => Err(self.error_at(start, "#foreach without a matching #end")),
            _ => Err(self.error_at(at, "#else/#elseif inside #foreach")),
        }
    }

    fn define_directive(&mut self, start: usize) -> Result<Node, ParseError> {
        self.open_paren(start, "#define")?;
        self.cur.skip_ws();
        let at = self.cur.pos;
        let name = match self.reference(false)? {
            Some(r) if r.parts.is_empty() => r.root,
            _ => return Err(self.error_at(at, "#define expects a simple $name")),
        };
        self.close_paren(start, "#define")?;
        let (body, end, at) = self.block(start)?;
        match end {
            Stop::End => Ok(Node::Define {
                name,
                slot: NO_SLOT,
                body: Arc::new(body),
            }),
            Stop::Eof => Err(self.error_at(start, "#define without a matching #end")),
            _ => Err(self.error_at(at, "#else/#elseif inside #define")),
        }
    }

    fn macro_directive(&mut self, start: usize) -> Result<(), ParseError> {
        self.open_paren(start, "#macro")?;
        self.skip_args(start)?;
        self.cur.eat_directive_newline();
        let (_body, end, at) = self.block(start)?;
        match end {
            Stop::End => Ok(()),
            Stop::Eof => Err(self.error_at(start, "#macro without a matching #end")),
            _ => Err(self.error_at(at, "#else/#elseif inside #macro")),
        }
    }

    /// Skip directive arguments up to and including the closing `)` (cursor after `(`).
    fn skip_args(&mut self, start: usize) -> Result<(), ParseError> {
        loop {
            match self.cur.peek_tok().map_err(|e| lex_err(self, e))? {
                Tok::RParen => {
                    let _ = self.cur.next_tok();
                    return Ok(());
                }
                Tok::Eof => return Err(self.error_at(start, "unclosed directive arguments")),
                Tok::Comma => {
                    let _ = self.cur.next_tok();
                }
                Tok::Word(_) => {
                    let _ = self.cur.next_tok();
                }
                _ => {
                    self.expr()?;
                }
            }
        }
    }

    /// A reference at the cursor (which is at `$`). `Ok(None)` with the cursor unchanged when
    /// no reference starts here (the `$` is then text). `text_mode` makes a malformed `[index]`
    /// end the reference instead of failing, as in running text `$price[USD]`.
    fn reference(&mut self, text_mode: bool) -> Result<Option<Reference>, ParseError> {
        let start = self.cur.pos;
        let mut p = start + 1;
        if self.cur.byte(p) == b'!' {
            p += 1;
        }
        let formal = self.cur.byte(p) == b'{';
        if formal {
            p += 1;
        }
        let Some(end) = self.cur.ident_end(p) else {
            return Ok(None);
        };
        let root: Arc<str> = Arc::from(self.cur.slice(p, end));
        self.cur.pos = end;
        let mut parts = Vec::new();
        self.enter(start)?;
        let r = self.ref_parts(text_mode, &mut parts);
        self.leave();
        r?;
        if formal {
            if self.cur.peek() != b'}' {
                self.cur.pos = start;
                return Ok(None);
            }
            self.cur.pos += 1;
        }
        Ok(Some(Reference {
            root,
            slot: NO_SLOT,
            parts,
            source: self.cur.slice(start, self.cur.pos).into(),
            pos: self.pos(start),
        }))
    }

    fn ref_parts(&mut self, text_mode: bool, parts: &mut Vec<Part>) -> Result<(), ParseError> {
        loop {
            let c = self.cur.peek();
            if c == b'.' {
                let Some(end) = self.cur.ident_end(self.cur.pos + 1) else {
                    return Ok(());
                };
                let name: Arc<str> = Arc::from(self.cur.slice(self.cur.pos + 1, end));
                self.cur.pos = end;
                if self.cur.peek() == b'(' {
                    let open = self.cur.pos;
                    self.cur.pos += 1;
                    let args = self.call_args(open)?;
                    parts.push(Part::Method(name, args));
                } else {
                    parts.push(Part::Property(name, Default::default()));
                }
            } else if c == b'[' {
                let save = self.cur.pos;
                self.cur.pos += 1;
                let r = self.expr().and_then(|e| {
                    let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
                    if t == Tok::RBracket {
                        Ok(e)
                    } else {
                        Err(self.error_at(at, "expected ']'"))
                    }
                });
                match r {
                    Ok(e) => parts.push(Part::Index(e)),
                    Err(e) => {
                        if text_mode {
                            self.cur.pos = save;
                            return Ok(());
                        }
                        return Err(e);
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    /// Method-call arguments after `(`, through `)`.
    fn call_args(&mut self, open: usize) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        if self.cur.peek_tok().map_err(|e| lex_err(self, e))? == Tok::RParen {
            let _ = self.cur.next_tok();
            return Ok(args);
        }
        loop {
            args.push(self.expr()?);
            let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
            match t {
                Tok::Comma => continue,
                Tok::RParen => return Ok(args),
                Tok::Eof => return Err(self.error_at(open, "unclosed method call")),
                _ => return Err(self.error_at(at, "expected ',' or ')' in method call")),
            }
        }
    }

    // ----- expressions -------------------------------------------------------------------

    fn expr(&mut self) -> Result<Expr, ParseError> {
        let at = self.cur.pos;
        self.enter(at)?;
        let r = self.or_expr();
        self.leave();
        r
    }

    fn binary_level(
        &mut self,
        next: fn(&mut Self) -> Result<Expr, ParseError>,
        op_of: fn(&Tok<'_>) -> Option<BinOp>,
    ) -> Result<Expr, ParseError> {
        let mut left = next(self)?;
        loop {
            let t = self.cur.peek_tok().map_err(|e| lex_err(self, e))?;
            let Some(op) = op_of(&t) else {
                return Ok(left);
            };
            let _ = self.cur.next_tok();
            let right = next(self)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
    }

    fn or_expr(&mut self) -> Result<Expr, ParseError> {
        self.binary_level(Self::and_expr, |t| match t {
            Tok::OrOr | Tok::Word("or") => Some(BinOp::Or),
            _ => None,
        })
    }

    fn and_expr(&mut self) -> Result<Expr, ParseError> {
        self.binary_level(Self::eq_expr, |t| match t {
            Tok::AndAnd | Tok::Word("and") => Some(BinOp::And),
            _ => None,
        })
    }

    fn eq_expr(&mut self) -> Result<Expr, ParseError> {
        self.binary_level(Self::rel_expr, |t| match t {
            Tok::EqEq | Tok::Word("eq") => Some(BinOp::Eq),
            Tok::NotEq | Tok::Word("ne") => Some(BinOp::Ne),
            _ => None,
        })
    }

    fn rel_expr(&mut self) -> Result<Expr, ParseError> {
        self.binary_level(Self::add_expr, |t| match t {
            Tok::Lt | Tok::Word("lt") => Some(BinOp::Lt),
            Tok::Le | Tok::Word("le") => Some(BinOp::Le),
            Tok::Gt | Tok::Word("gt") => Some(BinOp::Gt),
            Tok::Ge | Tok::Word("ge") => Some(BinOp::Ge),
            _ => None,
        })
    }

    fn add_expr(&mut self) -> Result<Expr, ParseError> {
        self.binary_level(Self::mul_expr, |t| match t {
            Tok::Plus => Some(BinOp::Arith(ArithOp::Add)),
            Tok::Minus => Some(BinOp::Arith(ArithOp::Sub)),
            _ => None,
        })
    }

    fn mul_expr(&mut self) -> Result<Expr, ParseError> {
        self.binary_level(Self::unary, |t| match t {
            Tok::Star => Some(BinOp::Arith(ArithOp::Mul)),
            Tok::Slash => Some(BinOp::Arith(ArithOp::Div)),
            Tok::Percent => Some(BinOp::Arith(ArithOp::Mod)),
            _ => None,
        })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        let at = self.cur.pos;
        match self.cur.peek_tok().map_err(|e| lex_err(self, e))? {
            Tok::Bang | Tok::Word("not") => {
                let _ = self.cur.next_tok();
                self.enter(at)?;
                let e = self.unary();
                self.leave();
                Ok(Expr::Not(Box::new(e?)))
            }
            Tok::Minus => {
                let _ = self.cur.next_tok();
                self.enter(at)?;
                let e = self.unary();
                self.leave();
                Ok(match e? {
                    Expr::Int(i) => Expr::Int(-i),
                    Expr::Double(d) => Expr::Double(-d),
                    e => Expr::Neg(Box::new(e)),
                })
            }
            _ => self.primary(),
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
        match t {
            Tok::Dollar => {
                self.cur.pos = at;
                match self.reference(false)? {
                    Some(r) => Ok(Expr::Ref(Box::new(r))),
                    None => Err(self.error_at(at, "invalid reference")),
                }
            }
            Tok::Int(s) => Ok(match s.parse::<i64>() {
                Ok(i) => Expr::Int(i),
                Err(_) => Expr::Double(s.parse::<f64>().unwrap_or(f64::INFINITY)),
            }),
            Tok::Float(s) => Ok(Expr::Double(s.parse::<f64>().unwrap_or(0.0))),
            Tok::Str(raw, double) => self.string_literal(raw, double, at),
            Tok::Word("true") => Ok(Expr::Bool(true)),
            Tok::Word("false") => Ok(Expr::Bool(false)),
            Tok::Word("null") => Ok(Expr::Null),
            Tok::LParen => {
                let e = self.expr()?;
                let (t, at2) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
                if t != Tok::RParen {
                    return Err(self.error_at(at2, "expected ')'"));
                }
                Ok(e)
            }
            Tok::LBracket => self.list_or_range(at),
            Tok::LBrace => self.map_literal(at),
            Tok::Eof => Err(self.error_at(at, "unexpected end of template in expression")),
            Tok::Word(w) => Err(self.error_at(at, &format!("unexpected word '{w}' in expression"))),
            other => Err(self.error_at(at, &format!("unexpected {other:?} in expression"))),
        }
    }

    fn list_or_range(&mut self, open: usize) -> Result<Expr, ParseError> {
        self.enter(open)?;
        let r = self.list_or_range_inner(open);
        self.leave();
        r
    }

    fn list_or_range_inner(&mut self, open: usize) -> Result<Expr, ParseError> {
        if self.cur.peek_tok().map_err(|e| lex_err(self, e))? == Tok::RBracket {
            let _ = self.cur.next_tok();
            return Ok(Expr::List(Vec::new()));
        }
        let first = self.expr()?;
        let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
        match t {
            Tok::DotDot => {
                let last = self.expr()?;
                let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
                if t != Tok::RBracket {
                    return Err(self.error_at(at, "expected ']' after range"));
                }
                Ok(Expr::Range(Box::new(first), Box::new(last)))
            }
            Tok::RBracket => Ok(Expr::List(vec![first])),
            Tok::Comma => {
                let mut items = vec![first];
                loop {
                    items.push(self.expr()?);
                    let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
                    match t {
                        Tok::Comma => continue,
                        Tok::RBracket => return Ok(Expr::List(items)),
                        Tok::Eof => return Err(self.error_at(open, "unclosed list literal")),
                        _ => return Err(self.error_at(at, "expected ',' or ']' in list")),
                    }
                }
            }
            Tok::Eof => Err(self.error_at(open, "unclosed list literal")),
            _ => Err(self.error_at(at, "expected ',', '..' or ']' in list")),
        }
    }

    fn map_literal(&mut self, open: usize) -> Result<Expr, ParseError> {
        self.enter(open)?;
        let r = self.map_literal_inner(open);
        self.leave();
        r
    }

    fn map_literal_inner(&mut self, open: usize) -> Result<Expr, ParseError> {
        let mut entries = Vec::new();
        if self.cur.peek_tok().map_err(|e| lex_err(self, e))? == Tok::RBrace {
            let _ = self.cur.next_tok();
            return Ok(Expr::Map(entries));
        }
        loop {
            let k = self.expr()?;
            let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
            if t != Tok::Colon {
                return Err(self.error_at(at, "expected ':' in map literal"));
            }
            let v = self.expr()?;
            entries.push((k, v));
            let (t, at) = self.cur.next_tok().map_err(|e| lex_err(self, e))?;
            match t {
                Tok::Comma => continue,
                Tok::RBrace => return Ok(Expr::Map(entries)),
                Tok::Eof => return Err(self.error_at(open, "unclosed map literal")),
                _ => return Err(self.error_at(at, "expected ',' or '}' in map literal")),
            }
        }
    }

    fn string_literal(&mut self, raw: &str, double: bool, at: usize) -> Result<Expr, ParseError> {
        if !double {
            return Ok(Expr::Str(Arc::from(raw.replace("''", "'"))));
        }
        let content = raw.replace("\"\"", "\"");
        if !content.contains(['$', '#']) {
            return Ok(Expr::Str(Arc::from(content)));
        }
        // Velocity renders a double-quoted string as a small template.
        let mut sub = Parser {
            cur: Cursor::new(&content),
            depth: self.depth + 1,
            origin: Some(self.pos(at)),
        };
        if sub.depth > MAX_NESTING {
            return Err(self.error_at(at, "template nested too deeply"));
        }
        let (nodes, end, _) = sub.nodes()?;
        match end {
            Stop::Eof => Ok(Expr::Interp(nodes)),
            _ => Err(self.error_at(at, "unbalanced #end/#else inside a string literal")),
        }
    }
}

fn flush(nodes: &mut Vec<Node>, text: &mut String) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text).into_boxed_str()));
    }
}

fn push_backslashes(text: &mut String, n: u32) {
    for _ in 0..n {
        text.push('\\');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(src: &str) -> ParseError {
        match parse_template(src) {
            Err(e) => e,
            Ok(n) => panic!("expected an error for {src:?}, got {n:?}"),
        }
    }

    #[test]
    fn unclosed_if_reports_its_position() {
        let e = err("a\n  #if($x)b");
        assert_eq!((e.line, e.column), (2, 3));
        assert!(e.message.contains("#end"), "{}", e.message);
    }

    #[test]
    fn stray_end_and_else_are_errors() {
        assert!(err("x#end").message.contains("#end"));
        assert!(err("#else").message.contains("#else"));
    }

    #[test]
    fn bad_expressions_are_errors() {
        let e = err("#set($a = )");
        assert_eq!(e.line, 1);
        err("#if($a == )x#end");
        err("#foreach($a [1])#end");
        err("$a.b(1,");
        err("#set($a.b() = 1)");
        err("#* never closed");
        err("#set($a = 'unterminated)");
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "(".repeat(500);
        err(&format!("#set($a = {deep}1"));
        let blocks = "#if(true)".repeat(200);
        err(&blocks);
    }

    #[test]
    fn text_forms_that_are_not_syntax() {
        for src in [
            "$", "#", "a # b", "$1", "#13ff93", "${", "$!", "\\", "#{foo}", "$a[USD",
        ] {
            parse_template(src).unwrap();
        }
    }

    #[test]
    fn set_whitespace_swallowed_only_at_token_start() {
        // After a reference the blanks belong to the #set token.
        let n = parse_template("$x #set($y = 1)|").unwrap();
        assert!(matches!(&n[1], Node::Set { .. }));
        // After text on the same run they are text.
        let n = parse_template("text #set($a = 1)").unwrap();
        assert!(matches!(&n[0], Node::Text(t) if &**t == "text "));
    }
}
