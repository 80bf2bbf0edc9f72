//! Lazily materialised JSON documents: what `$input.path('$')` and `$util.parseJson(…)`
//! hand to templates.
//!
//! Building a tree of [`Value`]s for a whole JSON body (an `Rc<RefCell<IndexMap>>` per object,
//! an `Arc<str>` per string) costs more than most templates spend reading it. Instead the text
//! is parsed once into a flat [`Tape`] (nodes in document order, strings as byte ranges of
//! the text, numbers already converted), and a template gets [`Value::Json`] handles that
//! point into it. Reads (`$o.k`, `$o['k']`, `.get`, `.size()`, `#foreach`, printing) work on
//! the tape directly; a string is copied out only when a template reads it as a value.
//!
//! Mutation keeps Java reference semantics: the first mutating (or not natively supported)
//! operation on a container *materialises* it — one level: a real [`Map`] / list whose
//! container children are again lazy handles — and registers it in the document's override
//! table under the node's index. Every lazy access consults that table first, so all handles
//! to the same node see the same object. Handles never expose the materialised `Rc` itself:
//! the table is the only owner, and [`JsonDoc::clear`] (called when the render's scope is
//! dropped) breaks any cycle a template builds through it.
//!
//! Each `$input.path('$')` call gets a new [`JsonDoc`] (its own override table) over the
//! shared tape: a fresh, independent object, as API Gateway hands out.
//!
//! The tape parser accepts the same inputs as the eager parser's fast path and stops
//! (returns `None`) on everything else — malformed text, surrogate escapes, nesting past
//! 127 — so callers fall back to [`super::value::parse_json`], whose results and errors are
//! serde_json's. Numbers are converted exactly as there ([`super::value::scan_number`]).

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::ast::KeyHint;
use super::number;
use super::value::{ListObj, MAX_PRINT_DEPTH, Map, TooLarge, Value, write_json_string};

/// Objects with more keys than this are materialised on first access (a linear key scan
/// would get slow; the map's hash index does not).
const SMALL_OBJECT: usize = 32;

/// Deepest container nesting the tape takes (as the eager parser: serde_json's limit).
const MAX_DEPTH: u32 = 127;

/// One node of the tape.
#[derive(Debug, Clone, Copy)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    /// A double whose text `start .. start + len` is exactly what Java's `toString` prints
    /// for it (`-?[1-9]\d{0,6}\.\d*[1-9]`, at most 15 digits): printed as is, converted
    /// when read as a value.
    Decimal {
        start: u32,
        len: u32,
    },
    /// Bytes `start .. start + len` of the text, between the quotes; `escaped`: contains
    /// (validated) backslash escapes, unescaped when read.
    Str {
        start: u32,
        len: u32,
        escaped: bool,
    },
    /// `len` element node indices at `kids[kids ..]`.
    Array {
        kids: u32,
        len: u32,
    },
    /// `len` key node indices at `kids[kids ..]`; each value node follows its key node.
    /// `slow`: handled by materialising (duplicate or escaped keys, or many keys).
    Object {
        kids: u32,
        len: u32,
        slow: bool,
    },
}

/// A parsed JSON text: the nodes of the document in order, the root first.
pub struct Tape {
    text: Box<str>,
    nodes: Vec<Node>,
    kids: Vec<u32>,
}

impl std::fmt::Debug for Tape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tape({} nodes)", self.nodes.len())
    }
}

impl Tape {
    /// Parse `text`; `None` for anything the tape does not take (see the module docs): the
    /// caller then uses the eager parser, which decides.
    pub fn parse(text: &str) -> Option<Tape> {
        if text.len() >= u32::MAX as usize {
            return None;
        }
        let (nodes, kids) = parse_tape(text)?;
        Some(Tape {
            text: Box::from(text),
            nodes,
            kids,
        })
    }

    /// The raw (still escaped) text of a string node and whether it has escapes.
    #[inline]
    fn raw(&self, start: u32, len: u32) -> &str {
        // Offsets come from the parser: in bounds and next to ASCII quotes (char
        // boundaries); `get` keeps this panic-free regardless.
        self.text
            .get(start as usize..(start + len) as usize)
            .unwrap_or("")
    }

    /// The content of the string node `node` (unescaped).
    fn str_at(&self, node: u32) -> Cow<'_, str> {
        match self.nodes.get(node as usize) {
            Some(&Node::Str {
                start,
                len,
                escaped,
            }) => {
                let raw = self.raw(start, len);
                if escaped {
                    let mut s = String::with_capacity(raw.len());
                    unescape_into(raw, &mut s);
                    Cow::Owned(s)
                } else {
                    Cow::Borrowed(raw)
                }
            }
            _ => Cow::Borrowed(""),
        }
    }

    #[inline]
    fn node(&self, node: u32) -> Node {
        self.nodes.get(node as usize).copied().unwrap_or(Node::Null)
    }

    #[inline]
    fn kid(&self, at: u32) -> u32 {
        self.kids.get(at as usize).copied().unwrap_or(0)
    }
}

/// Append the unescaped form of `raw` (a string body the tape parser validated).
pub fn unescape_into(raw: &str, out: &mut String) {
    let b = raw.as_bytes();
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        out.push_str(&raw[run..i]);
        let e = b.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let c = match e {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let h = b.get(i..i + 4).and_then(hex4).unwrap_or(0xfffd);
                i += 4;
                char::from_u32(h).unwrap_or('\u{fffd}')
            }
            _ => '\u{fffd}',
        };
        out.push(c);
        run = i.min(b.len());
    }
    out.push_str(&raw[run.min(raw.len())..]);
}

fn hex4(h: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

/// Bytes that end the plain part of a JSON string: quote, backslash, control characters.
static STRING_SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = true;
        i += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

#[inline]
fn skip_ws(b: &[u8], pos: usize) -> usize {
    match b.get(pos) {
        Some(&c) if c > b' ' => pos,
        None => pos,
        Some(_) => {
            let rest = &b[pos..];
            pos + rest
                .iter()
                .position(|&c| !matches!(c, b' ' | b'\n' | b'\r' | b'\t'))
                .unwrap_or(rest.len())
        }
    }
}

/// The bit of a key in an object's repeated-key filter.
#[inline(always)]
fn key_bit(raw: &[u8]) -> u64 {
    let h = raw.first().map_or(0, |&f| u32::from(f) * 3)
        + raw.last().map_or(0, |&l| u32::from(l))
        + raw.len() as u32 * 7;
    1u64 << (h & 63)
}

/// Parse `text` into nodes and the child index table (see [`Tape`]); `None` for anything
/// the tape does not take. Recursive descent, one call per container (depth ≤
/// [`MAX_DEPTH`], so the recursion is bounded): each container's children are noted on a
/// shared stack while it is open and move to `kids` when it closes.
fn parse_tape(text: &str) -> Option<(Vec<Node>, Vec<u32>)> {
    let b = text.as_bytes();
    let mut p = TapeParser {
        text,
        b,
        nodes: Vec::with_capacity(b.len() / 4 + 4),
        kids: Vec::with_capacity(b.len() / 8 + 4),
        stack: Vec::new(),
    };
    let pos = p.value(skip_ws(b, 0), 0, None)?;
    (skip_ws(b, pos) == b.len()).then_some((p.nodes, p.kids))
}

/// The state of [`parse_tape`].
struct TapeParser<'a> {
    text: &'a str,
    b: &'a [u8],
    nodes: Vec<Node>,
    kids: Vec<u32>,
    /// Children (object: key nodes) of the open containers, innermost last.
    stack: Vec<u32>,
}

impl TapeParser<'_> {
    /// The value at `pos` (not whitespace), inside `depth` open containers; returns the
    /// offset after it. `shape`: the keys of the previous element when this is an element
    /// of an array that follows an object (see [`TapeParser::object`]).
    #[inline(always)]
    fn value(&mut self, pos: usize, depth: u32, shape: Option<(u32, u32)>) -> Option<usize> {
        let b = self.b;
        let c = *b.get(pos)?;
        match c {
            b'"' => {
                let (n, end) = string(b, pos + 1)?;
                self.nodes.push(n);
                Some(end)
            }
            b'0'..=b'9' => {
                // A short non-negative integer inline; the rest (and anything unusual, such
                // as a leading zero) through `number`.
                let mut m = u64::from(c - b'0');
                let mut i = pos + 1;
                while i - pos < 16
                    && let Some(&d) = b.get(i)
                    && d.is_ascii_digit()
                {
                    m = m * 10 + u64::from(d - b'0');
                    i += 1;
                }
                // Not taken: more digits, a fraction or exponent, or a leading zero.
                let longer = matches!(b.get(i), Some(b'0'..=b'9' | b'.' | b'e' | b'E'));
                if !(longer || c == b'0' && i > pos + 1) {
                    self.nodes.push(Node::Int(m as i64));
                    return Some(i);
                }
                let (n, end) = number(self.text, pos)?;
                self.nodes.push(n);
                Some(end)
            }
            b'-' => {
                let (n, end) = number(self.text, pos)?;
                self.nodes.push(n);
                Some(end)
            }
            b'{' => self.object(pos + 1, depth + 1, shape),
            b'[' => self.array(pos + 1, depth + 1),
            b't' => self.word(pos, b"true", Node::Bool(true)),
            b'f' => self.word(pos, b"false", Node::Bool(false)),
            b'n' => self.word(pos, b"null", Node::Null),
            _ => None,
        }
    }

    #[inline(always)]
    fn word(&mut self, pos: usize, word: &[u8], n: Node) -> Option<usize> {
        if self.b.get(pos..pos + word.len())? != word {
            return None;
        }
        self.nodes.push(n);
        Some(pos + word.len())
    }

    /// The array whose `[` is at `pos - 1`, the `depth`-th open container.
    fn array(&mut self, pos: usize, depth: u32) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let b = self.b;
        let at = self.nodes.len();
        self.nodes.push(Node::Null);
        let base = self.stack.len();
        let mut pos = skip_ws(b, pos);
        if b.get(pos) != Some(&b']') {
            // The keys of the previous element, when it was an object read from the tape.
            let mut shape = None;
            loop {
                let elem = self.nodes.len();
                self.stack.push(elem as u32);
                pos = skip_ws(b, self.value(pos, depth, shape)?);
                shape = match self.nodes.get(elem) {
                    Some(&Node::Object {
                        kids,
                        len,
                        slow: false,
                    }) => Some((kids, len)),
                    _ => None,
                };
                match *b.get(pos)? {
                    b',' => pos = skip_ws(b, pos + 1),
                    b']' => break,
                    _ => return None,
                }
            }
        }
        let (kids, len) = self.close(base);
        if let Some(n) = self.nodes.get_mut(at) {
            *n = Node::Array { kids, len };
        }
        Some(pos + 1)
    }

    /// The key node at position `m` of an object closed before (`shape`: where its keys
    /// start in `kids` and how many), when it is a plain (unescaped) key.
    #[inline(always)]
    fn shape_key(&self, shape: Option<(u32, u32)>, m: usize) -> Option<(u32, u32)> {
        let (kids, len) = shape?;
        if m >= len as usize {
            return None;
        }
        let k = *self.kids.get(kids as usize + m)?;
        match self.nodes.get(k as usize)? {
            &Node::Str {
                start,
                len,
                escaped: false,
            } => Some((start, len)),
            _ => None,
        }
    }

    /// The key at `pos` (its opening quote) when it is key `m` of `shape` (see
    /// [`TapeParser::shape_key`]): its node and the offset after its closing quote.
    #[inline(always)]
    fn shape_match(
        &self,
        shape: Option<(u32, u32)>,
        m: usize,
        pos: usize,
    ) -> Option<(Node, usize)> {
        let (start, len) = self.shape_key(shape, m)?;
        let (s, l) = (start as usize, len as usize);
        let b = self.b;
        if fast_eq(b.get(s..s + l)?, b.get(pos + 1..pos + 1 + l)?)
            && b.get(pos + 1 + l) == Some(&b'"')
        {
            return Some((
                Node::Str {
                    start: (pos + 1) as u32,
                    len,
                    escaped: false,
                },
                pos + 2 + l,
            ));
        }
        None
    }

    /// The object whose `{` is at `pos - 1`, the `depth`-th open container.
    ///
    /// `shape`: the keys of the previous object of the same array (objects of one array
    /// usually share their keys and order). While this object's keys repeat them position
    /// for position, each key is matched against the text directly (no scan) and cannot
    /// repeat an earlier key (those were distinct in an object that was not `slow`); at the
    /// first difference, the repeated-key filter is built from the keys so far and parsing
    /// goes on as without a shape.
    fn object(&mut self, pos: usize, depth: u32, shape: Option<(u32, u32)>) -> Option<usize> {
        if depth > MAX_DEPTH {
            return None;
        }
        let b = self.b;
        let at = self.nodes.len();
        self.nodes.push(Node::Null);
        let base = self.stack.len();
        // Must be materialised to be read (escaped, repeated or many keys).
        let mut slow = false;
        // A 64-bit filter of the keys seen (a set bit: some key hashes there); not kept
        // while the keys follow `shape`.
        let mut bloom = 0u64;
        let mut shaped = shape.is_some();
        let mut pos = skip_ws(b, pos);
        if b.get(pos) != Some(&b'}') {
            loop {
                if *b.get(pos)? != b'"' {
                    return None;
                }
                let m = self.stack.len() - base;
                let mut known = None;
                if shaped {
                    known = self.shape_match(shape, m, pos);
                    if known.is_none() {
                        shaped = false;
                        bloom = self.key_filter(base);
                    }
                }
                let (key, end) = match known {
                    Some(k) => k,
                    None => {
                        let (key, end) = string(b, pos + 1)?;
                        let Node::Str {
                            start,
                            len,
                            escaped,
                        } = key
                        else {
                            return None;
                        };
                        if escaped || m >= SMALL_OBJECT {
                            slow = true;
                        } else if !slow {
                            // Repeated keys: a cheap filter first, exact comparison only on
                            // a hit.
                            let raw = b.get(start as usize..start as usize + len as usize)?;
                            let bit = key_bit(raw);
                            if bloom & bit != 0 {
                                slow =
                                    self.stack.get(base..).unwrap_or_default().iter().any(|&k| {
                                        match self.nodes.get(k as usize) {
                                            Some(&Node::Str { start, len, .. }) => {
                                                b.get(start as usize..(start + len) as usize)
                                                    == Some(raw)
                                            }
                                            _ => false,
                                        }
                                    });
                            }
                            bloom |= bit;
                        }
                        (key, end)
                    }
                };
                self.stack.push(self.nodes.len() as u32);
                self.nodes.push(key);
                pos = skip_ws(b, end);
                if *b.get(pos)? != b':' {
                    return None;
                }
                pos = skip_ws(b, self.value(skip_ws(b, pos + 1), depth, None)?);
                match *b.get(pos)? {
                    b',' => pos = skip_ws(b, pos + 1),
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        let (kids, len) = self.close(base);
        if let Some(n) = self.nodes.get_mut(at) {
            *n = Node::Object { kids, len, slow };
        }
        Some(pos + 1)
    }

    /// The repeated-key filter of the keys of the open object whose first key is
    /// `stack[base]` (all plain, none repeated).
    #[cold]
    fn key_filter(&self, base: usize) -> u64 {
        let mut bloom = 0;
        for &k in self.stack.get(base..).unwrap_or_default() {
            if let Some(&Node::Str { start, len, .. }) = self.nodes.get(k as usize) {
                let s = start as usize;
                bloom |= key_bit(self.b.get(s..s + len as usize).unwrap_or_default());
            }
        }
        bloom
    }

    /// Move the children of the container whose first child is `stack[base]` to `kids`:
    /// where they start there and how many.
    #[inline(always)]
    fn close(&mut self, base: usize) -> (u32, u32) {
        let at = self.kids.len() as u32;
        let children = self.stack.get(base..).unwrap_or_default();
        self.kids.extend_from_slice(children);
        let len = children.len() as u32;
        self.stack.truncate(base);
        (at, len)
    }
}

/// The string whose opening quote is at `start - 1`, and the offset after its closing
/// quote (escapes validated, surrogates refused).
#[inline(always)]
fn string(b: &[u8], start: usize) -> Option<(Node, usize)> {
    let rest = b.get(start..)?;
    let mut i = start
        + rest
            .iter()
            .position(|&c| STRING_SPECIAL[usize::from(c)])
            .unwrap_or(rest.len());
    if b.get(i) == Some(&b'"') {
        return Some((
            Node::Str {
                start: start as u32,
                len: (i - start) as u32,
                escaped: false,
            },
            i + 1,
        ));
    }
    let mut escaped = false;
    loop {
        let c = *b.get(i)?;
        if c == b'"' {
            break;
        }
        if c < 0x20 {
            return None;
        }
        if c == b'\\' {
            escaped = true;
            match *b.get(i + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => i += 2,
                b'u' => {
                    let h = hex4(b.get(i + 2..i + 6)?)?;
                    // Surrogates (pairs or lone) are left to the eager parser.
                    char::from_u32(h)?;
                    i += 6;
                }
                _ => return None,
            }
            continue;
        }
        i += 1;
    }
    Some((
        Node::Str {
            start: start as u32,
            len: (i - start) as u32,
            escaped,
        },
        i + 1,
    ))
}

/// A number at `start`: short integers and decimals directly, everything else through
/// [`super::value::scan_number`] (the same conversions).
#[inline]
fn number(text: &str, start: usize) -> Option<(Node, usize)> {
    let b = text.as_bytes();
    let neg = *b.get(start)? == b'-';
    let mut i = start + usize::from(neg);
    if !neg
        && b.get(i) == Some(&b'0')
        && !matches!(b.get(i + 1), Some(b'0'..=b'9' | b'.' | b'e' | b'E'))
    {
        // A plain `0` (`-0` is a double: left to `scan_number`).
        return Some((Node::Int(0), i + 1));
    }
    if matches!(b.get(i), Some(b'1'..=b'9')) {
        let mut m: u64 = 0;
        let digits_start = i;
        while let Some(&d) = b.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            i += 1;
        }
        let int_digits = i - digits_start;
        match b.get(i) {
            Some(b'.') if int_digits <= 15 => {
                i += 1;
                let f = i;
                while let Some(&d) = b.get(i) {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    m = m.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
                    i += 1;
                }
                let frac = i - f;
                if frac > 0 && int_digits + frac <= 15 && !matches!(b.get(i), Some(b'e' | b'E')) {
                    // A value in [1, 1e7) without trailing zeros prints as written: the
                    // shortest decimal of a double with at most 15 significant digits is
                    // that decimal (see `number::write_double`).
                    if int_digits <= 7 && b[i - 1] != b'0' {
                        return Some((
                            Node::Decimal {
                                start: start as u32,
                                len: (i - start) as u32,
                            },
                            i,
                        ));
                    }
                    // As `scan_number`: the exact mantissa divided by an exact power of
                    // ten, correctly rounded.
                    let v = m as f64 / POW10[frac];
                    return Some((Node::Double(if neg { -v } else { v }), i));
                }
            }
            Some(b'.' | b'e' | b'E') => {}
            _ if int_digits <= 18 => {
                // At most 18 digits: fits an i64 (as serde_json reads it).
                let m = m as i64;
                return Some((Node::Int(if neg { -m } else { m }), i));
            }
            _ => {}
        }
    }
    let (v, end) = super::value::scan_number(text, start)?;
    Some((
        match v {
            Value::Int(i) => Node::Int(i),
            Value::Double(d) => Node::Double(d),
            _ => return None,
        },
        end,
    ))
}

/// The value of a [`Node::Decimal`] (`-?digits.digits`, at most 15 digits): as the parser
/// converts it, the exact mantissa divided by an exact power of ten.
fn decimal_value(raw: &str) -> f64 {
    let b = raw.as_bytes();
    let neg = b.first() == Some(&b'-');
    let mut m: u64 = 0;
    let mut frac = 0;
    let mut seen_point = false;
    for &c in &b[usize::from(neg)..] {
        if c == b'.' {
            seen_point = true;
            continue;
        }
        m = m * 10 + u64::from(c.wrapping_sub(b'0') % 10);
        frac += usize::from(seen_point);
    }
    let v = m as f64 / POW10[frac.min(15)];
    if neg { -v } else { v }
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// One lazily materialised document: a tape and the containers templates materialised.
pub struct JsonDoc {
    tape: Rc<Tape>,
    /// Materialised containers by node index: `Value::Map` for objects, JSON-printing
    /// `Value::List` for arrays.
    overrides: RefCell<HashMap<u32, Value, foldhash::fast::FixedState>>,
    /// Whether `overrides` may be non-empty (checked before borrowing it).
    has_overrides: Cell<bool>,
    /// Whether the render's scope already holds this document for clean-up.
    tracked: Cell<bool>,
    /// Where a property name was last found in an object, by the name's address: objects
    /// of one array usually share their key order, so the next lookup of the same name
    /// (a template's property name is one string) tries that position first.
    hints: [Cell<(usize, u32)>; 8],
    /// Scratch space for unescaping strings.
    scratch: RefCell<String>,
}

impl JsonDoc {
    /// The root of a new document over `tape`: a handle for a container, the value itself
    /// for a scalar.
    pub fn root(tape: Rc<Tape>) -> Value {
        let doc = Rc::new(JsonDoc {
            tape,
            overrides: RefCell::default(),
            has_overrides: Cell::new(false),
            tracked: Cell::new(false),
            hints: Default::default(),
            scratch: RefCell::default(),
        });
        child_value(&doc, 0)
    }

    /// Parse `text` into a lazy document; `None` when the tape parser does not take it
    /// (use [`super::value::parse_json`] then).
    pub fn parse(text: &str) -> Option<Value> {
        Tape::parse(text).map(|t| JsonDoc::root(Rc::new(t)))
    }

    /// Drop every materialised container (breaks cycles built through them). Called when
    /// the render's scope is dropped.
    pub fn clear(&self) {
        let taken = match self.overrides.try_borrow_mut() {
            Ok(mut o) => std::mem::take(&mut *o),
            Err(_) => return,
        };
        drop(taken);
    }

    /// Mark as tracked; `true` the first time.
    pub(crate) fn first_track(&self) -> bool {
        !self.tracked.replace(true)
    }

    /// Has a template materialised node `node`? (No clone of the materialised value.)
    #[inline(always)]
    fn is_overridden(&self, node: u32) -> bool {
        self.has_overrides.get() && self.is_overridden_slow(node)
    }

    #[inline(never)]
    fn is_overridden_slow(&self, node: u32) -> bool {
        self.overrides
            .try_borrow()
            .is_ok_and(|o| o.contains_key(&node))
    }

    #[inline]
    fn override_of(&self, node: u32) -> Option<Value> {
        if !self.has_overrides.get() {
            return None;
        }
        let o = self.overrides.try_borrow().ok()?;
        if o.is_empty() {
            return None;
        }
        o.get(&node).cloned()
    }
}

/// The value of node `node` of `doc`: scalars as values, containers as handles.
#[inline]
fn child_value(doc: &Rc<JsonDoc>, node: u32) -> Value {
    match doc.tape.node(node) {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::Int(i),
        Node::Double(d) => Value::Double(d),
        Node::Decimal { start, len } => Value::Double(decimal_value(doc.tape.raw(start, len))),
        Node::Str {
            start,
            len,
            escaped: false,
        } => Value::Str(Arc::from(doc.tape.raw(start, len))),
        Node::Str { start, len, .. } => {
            let raw = doc.tape.raw(start, len);
            match doc.scratch.try_borrow_mut() {
                Ok(mut buf) => {
                    buf.clear();
                    unescape_into(raw, &mut buf);
                    Value::Str(Arc::from(buf.as_str()))
                }
                Err(_) => Value::Str(Arc::from(&*doc.tape.str_at(node))),
            }
        }
        Node::Array { .. } | Node::Object { .. } => Value::Json(JsonRef {
            doc: doc.clone(),
            node,
        }),
    }
}

/// Byte equality, cheap for short slices (property names): two overlapping word loads
/// instead of a `memcmp` call or a byte loop.
#[inline(always)]
fn fast_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    #[inline(always)]
    fn w4(s: &[u8], i: usize) -> u32 {
        u32::from_ne_bytes([s[i], s[i + 1], s[i + 2], s[i + 3]])
    }
    #[inline(always)]
    fn w8(s: &[u8], i: usize) -> u64 {
        u64::from_ne_bytes([
            s[i],
            s[i + 1],
            s[i + 2],
            s[i + 3],
            s[i + 4],
            s[i + 5],
            s[i + 6],
            s[i + 7],
        ])
    }
    match n {
        0 => true,
        1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
        4..=8 => w4(a, 0) == w4(b, 0) && w4(a, n - 4) == w4(b, n - 4),
        9..=16 => w8(a, 0) == w8(b, 0) && w8(a, n - 8) == w8(b, n - 8),
        _ => a == b,
    }
}

/// Is node `k` the (unescaped) key `name`?
#[inline(always)]
fn key_is(tape: &Tape, text: &[u8], k: u32, name: &[u8]) -> bool {
    match tape.nodes.get(k as usize) {
        Some(&Node::Str { start, len, .. }) if len as usize == name.len() => text
            .get(start as usize..start as usize + name.len())
            .is_some_and(|key| fast_eq(key, name)),
        _ => false,
    }
}

/// Where [`JsonRef::find`] found a key.
enum Lookup {
    /// The value's node.
    Found(u32),
    /// No such key.
    Absent,
    /// Read it from the materialised map.
    Materialised,
}

/// Write scalar node `node` as `toString()` prints it; `false` for a container.
#[inline]
fn write_scalar(tape: &Tape, node: u32, out: &mut String) -> bool {
    match tape.node(node) {
        Node::Null => {}
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Int(i) => number::write_int(i, out),
        Node::Double(d) => number::write_double(d, out),
        Node::Decimal { start, len } => out.push_str(tape.raw(start, len)),
        Node::Str {
            start,
            len,
            escaped,
        } => {
            let raw = tape.raw(start, len);
            if escaped {
                unescape_into(raw, out);
            } else {
                out.push_str(raw);
            }
        }
        Node::Array { .. } | Node::Object { .. } => return false,
    }
    true
}

/// A handle to a container node of a [`JsonDoc`] (see the module docs).
#[derive(Clone)]
pub struct JsonRef {
    doc: Rc<JsonDoc>,
    node: u32,
}

impl std::fmt::Debug for JsonRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Json(node {})", self.node)
    }
}

impl JsonRef {
    /// The document.
    pub fn doc(&self) -> &JsonDoc {
        &self.doc
    }

    /// Is this a JSON object (a map once materialised)? Otherwise an array.
    pub fn is_object(&self) -> bool {
        matches!(self.doc.tape.node(self.node), Node::Object { .. })
    }

    /// The same node of the same document (the same Java object)?
    pub fn same(&self, other: &JsonRef) -> bool {
        Rc::ptr_eq(&self.doc, &other.doc) && self.node == other.node
    }

    /// The materialised container, if a template materialised this node.
    pub fn overridden(&self) -> Option<Value> {
        self.doc.override_of(self.node)
    }

    /// The materialised container (`Value::Map` / JSON `Value::List`), built and registered
    /// on first use. Its container children stay lazy handles.
    pub fn materialise(&self) -> Value {
        if let Some(v) = self.overridden() {
            return v;
        }
        let tape = &self.doc.tape;
        let v = match tape.node(self.node) {
            Node::Object { kids, len, .. } => {
                let mut m = Map::with_capacity_and_hasher(len as usize, Default::default());
                for i in 0..len {
                    let k = tape.kid(kids + i);
                    // A repeated key keeps its first position and its last value.
                    m.insert(Arc::from(&*tape.str_at(k)), child_value(&self.doc, k + 1));
                }
                Value::new_map(m)
            }
            Node::Array { kids, len } => {
                let items = (0..len)
                    .map(|i| child_value(&self.doc, tape.kid(kids + i)))
                    .collect();
                Value::List(Rc::new(RefCell::new(ListObj { items, json: true })))
            }
            _ => Value::Null,
        };
        if let Ok(mut o) = self.doc.overrides.try_borrow_mut() {
            o.insert(self.node, v.clone());
            self.doc.has_overrides.set(true);
        }
        v
    }

    /// `$obj.name` / `$obj.get(name)` on an object (`Some(Null)` when absent); `None` for
    /// an array.
    pub fn property(&self, name: &str) -> Option<Value> {
        self.property_hinted(name, None)
    }

    /// [`JsonRef::property`], trying the key position `hint` records first.
    pub fn property_hinted(&self, name: &str, hint: Option<&KeyHint>) -> Option<Value> {
        Some(match self.find(name, hint)? {
            Lookup::Found(node) => child_value(&self.doc, node),
            Lookup::Absent => Value::Null,
            Lookup::Materialised => self.property_materialised(name),
        })
    }

    /// `$obj.name` when it is a number of the tape (`Value::Int` / `Value::Double`, as
    /// [`JsonRef::property_hinted`] returns it); `None` for anything else.
    #[inline]
    pub fn number_property(&self, name: &str, hint: Option<&KeyHint>) -> Option<Value> {
        let Some(Lookup::Found(node)) = self.find(name, hint) else {
            return None;
        };
        let tape = &*self.doc.tape;
        match tape.node(node) {
            Node::Int(i) => Some(Value::Int(i)),
            Node::Double(d) => Some(Value::Double(d)),
            Node::Decimal { start, len } => {
                Some(Value::Double(decimal_value(tape.raw(start, len))))
            }
            _ => None,
        }
    }

    /// `$obj.name` written to `out` as a reference prints it, when it is a scalar read from
    /// the tape (or absent: null prints nothing). `false` (nothing written) otherwise: a
    /// container, or an object that is read through its materialised map.
    pub fn write_property(&self, name: &str, hint: Option<&KeyHint>, out: &mut String) -> bool {
        match self.find(name, hint) {
            Some(Lookup::Found(node)) => write_scalar(&self.doc.tape, node, out),
            Some(Lookup::Absent) => true,
            _ => false,
        }
    }

    /// `$obj.name` when it is a string of the tape: its text as written between the quotes
    /// (JSON escapes still in) and whether it has escapes. `None` for anything else
    /// (absent, not a string, an array, or an object read through its materialised map).
    #[inline]
    pub fn raw_str_property(&self, name: &str, hint: Option<&KeyHint>) -> Option<(&str, bool)> {
        let Some(Lookup::Found(node)) = self.find(name, hint) else {
            return None;
        };
        let tape = &*self.doc.tape;
        let Node::Str {
            start,
            len,
            escaped,
        } = tape.node(node)
        else {
            return None;
        };
        Some((tape.raw(start, len), escaped))
    }

    /// Where key `name` of this object is; `None` for an array. The key position `key_hint`
    /// records is tried inline; anything else is [`JsonRef::find_slow`].
    #[inline(always)]
    fn find(&self, name: &str, key_hint: Option<&KeyHint>) -> Option<Lookup> {
        let tape = &*self.doc.tape;
        let Node::Object { kids, len, slow } = tape.node(self.node) else {
            return None;
        };
        if slow || self.doc.is_overridden(self.node) {
            return Some(Lookup::Materialised);
        }
        if let Some(h) = key_hint {
            let at = h.get();
            if at < len
                && let Some(&k) = tape.kids.get(kids.wrapping_add(at) as usize)
                && key_is(tape, tape.text.as_bytes(), k, name.as_bytes())
            {
                return Some(Lookup::Found(k + 1));
            }
        }
        Some(self.find_slow(kids, len, name, key_hint))
    }

    /// [`JsonRef::find`] on an object read from the tape (`kids`, `len`) when the
    /// template's hint did not match: the document's hint by name address, then a scan.
    #[inline(never)]
    fn find_slow(&self, kids: u32, len: u32, name: &str, key_hint: Option<&KeyHint>) -> Lookup {
        let tape = &*self.doc.tape;
        let keys = tape
            .kids
            .get(kids as usize..kids as usize + len as usize)
            .unwrap_or_default();
        let text = tape.text.as_bytes();
        let addr = name.as_ptr() as usize;
        let name = name.as_bytes();
        let is_key = |k: u32| key_is(tape, text, k, name);
        if let Some(h) = key_hint {
            let Some(at) = keys.iter().position(|&k| is_key(k)) else {
                return Lookup::Absent;
            };
            h.set(at as u32);
            return Lookup::Found(keys[at] + 1);
        }
        let hint = &self.doc.hints[((addr >> 4) ^ (addr >> 9)) & 7];
        let (hint_addr, at) = hint.get();
        if hint_addr == addr
            && let Some(&k) = keys.get(at as usize)
            && is_key(k)
        {
            return Lookup::Found(k + 1);
        }
        for (i, &k) in keys.iter().enumerate() {
            if is_key(k) {
                hint.set((addr, i as u32));
                return Lookup::Found(k + 1);
            }
        }
        Lookup::Absent
    }

    fn property_materialised(&self, name: &str) -> Value {
        match &self.materialise() {
            Value::Map(m) => m
                .try_borrow()
                .ok()
                .and_then(|m| m.get(name).cloned())
                .unwrap_or_default(),
            _ => Value::Null,
        }
    }

    /// Does the object have key `name`? (`None` for an array.)
    pub fn contains_key(&self, name: &str) -> Option<bool> {
        let tape = &self.doc.tape;
        let Node::Object { kids, len, slow } = tape.node(self.node) else {
            return None;
        };
        if slow || self.doc.is_overridden(self.node) {
            return match self.materialise() {
                Value::Map(m) => Some(m.try_borrow().is_ok_and(|m| m.contains_key(name))),
                _ => None,
            };
        }
        Some((0..len).any(|i| {
            let k = tape.kid(kids + i);
            matches!(tape.node(k), Node::Str { start, len, .. } if tape.raw(start, len) == name)
        }))
    }

    /// Number of entries / elements.
    pub fn len(&self) -> usize {
        if let Some(v) = self.overridden() {
            return match &v {
                Value::Map(m) => m.try_borrow().map_or(0, |m| m.len()),
                Value::List(l) => l.try_borrow().map_or(0, |l| l.items.len()),
                _ => 0,
            };
        }
        match self.doc.tape.node(self.node) {
            Node::Array { len, .. } => len as usize,
            Node::Object { slow: true, .. } => match self.materialise() {
                Value::Map(m) => m.try_borrow().map_or(0, |m| m.len()),
                _ => 0,
            },
            Node::Object { len, .. } => len as usize,
            _ => 0,
        }
    }

    /// Is it empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `i` of an array (live: a materialised list is read as it is now) and whether
    /// another follows; `None` past the end or for an object.
    pub fn item(&self, i: usize) -> Option<(Value, bool)> {
        if self.doc.is_overridden(self.node)
            && let Some(v) = self.overridden()
        {
            let Value::List(l) = &v else { return None };
            let l = l.try_borrow().ok()?;
            return l.items.get(i).map(|v| (v.clone(), i + 1 < l.items.len()));
        }
        let tape = &self.doc.tape;
        let Node::Array { kids, len } = tape.node(self.node) else {
            return None;
        };
        let len = len as usize;
        (i < len).then(|| {
            (
                child_value(&self.doc, tape.kid(kids + i as u32)),
                i + 1 < len,
            )
        })
    }

    /// The values of an object, in order (what `#foreach` over a map iterates).
    pub fn values(&self) -> Vec<Value> {
        match self.materialise_if_needed() {
            Some(Value::Map(m)) => m
                .try_borrow()
                .map(|m| m.values().cloned().collect())
                .unwrap_or_default(),
            Some(_) => Vec::new(),
            None => {
                let tape = &self.doc.tape;
                match tape.node(self.node) {
                    Node::Object { kids, len, .. } => (0..len)
                        .map(|i| child_value(&self.doc, tape.kid(kids + i) + 1))
                        .collect(),
                    _ => Vec::new(),
                }
            }
        }
    }

    /// The materialised value if there is one or the node needs one to be read.
    fn materialise_if_needed(&self) -> Option<Value> {
        if let Some(v) = self.overridden() {
            return Some(v);
        }
        match self.doc.tape.node(self.node) {
            Node::Object { slow: true, .. } => Some(self.materialise()),
            _ => None,
        }
    }

    /// `toString()` (`{k=v, …}` for an object, compact JSON for an array), as
    /// [`Value::write_java`] prints the materialised value.
    pub fn write_java(&self, out: &mut String, limit: usize, depth: u32) -> Result<(), TooLarge> {
        write_java_at(&self.doc, self.node, out, limit, depth)
    }

    /// Compact JSON, as [`Value::write_json`] prints the materialised value.
    pub fn write_json(&self, out: &mut String, limit: usize, depth: u32) -> Result<(), TooLarge> {
        write_json_at(&self.doc, self.node, out, limit, depth)
    }
}

/// Print a materialised container of node `node` (`this` identifies it for the
/// self-reference check of maps).
fn write_override(
    doc: &Rc<JsonDoc>,
    node: u32,
    ov: &Value,
    json: bool,
    out: &mut String,
    limit: usize,
    depth: u32,
) -> Result<(), TooLarge> {
    if json {
        return ov.write_json(out, limit, depth);
    }
    match ov {
        Value::Map(m) => {
            let this = Value::Json(JsonRef {
                doc: doc.clone(),
                node,
            });
            super::value::write_java_map(m, &this, out, limit, depth)
        }
        other => other.write_java(out, limit, depth),
    }
}

fn write_java_at(
    doc: &Rc<JsonDoc>,
    node: u32,
    out: &mut String,
    limit: usize,
    depth: u32,
) -> Result<(), TooLarge> {
    if out.len() > limit {
        return Err(TooLarge);
    }
    let tape = &doc.tape;
    match tape.node(node) {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Int(i) => number::write_int(i, out),
        Node::Double(d) => number::write_double(d, out),
        Node::Decimal { start, len } => out.push_str(tape.raw(start, len)),
        Node::Str {
            start,
            len,
            escaped,
        } => {
            let raw = tape.raw(start, len);
            if escaped {
                unescape_into(raw, out);
            } else {
                out.push_str(raw);
            }
        }
        Node::Array { .. } => return write_json_at(doc, node, out, limit, depth),
        Node::Object { kids, len, slow } => {
            if depth >= MAX_PRINT_DEPTH {
                out.push_str("{...}");
                return Ok(());
            }
            let ov = match doc.override_of(node) {
                Some(v) => Some(v),
                None if slow => Some(
                    JsonRef {
                        doc: doc.clone(),
                        node,
                    }
                    .materialise(),
                ),
                None => None,
            };
            if let Some(ov) = ov {
                return write_override(doc, node, &ov, false, out, limit, depth);
            }
            out.push('{');
            for i in 0..len {
                if i > 0 {
                    out.push_str(", ");
                }
                let k = tape.kid(kids + i);
                if let Node::Str { start, len, .. } = tape.node(k) {
                    out.push_str(tape.raw(start, len));
                }
                out.push('=');
                write_java_at(doc, k + 1, out, limit, depth + 1)?;
            }
            out.push('}');
        }
    }
    if out.len() > limit {
        return Err(TooLarge);
    }
    Ok(())
}

fn write_json_at(
    doc: &Rc<JsonDoc>,
    node: u32,
    out: &mut String,
    limit: usize,
    depth: u32,
) -> Result<(), TooLarge> {
    if out.len() > limit {
        return Err(TooLarge);
    }
    if depth >= MAX_PRINT_DEPTH {
        out.push_str("null");
        return Ok(());
    }
    let tape = &doc.tape;
    match tape.node(node) {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Node::Int(i) => number::write_int(i, out),
        Node::Double(d) => number::write_double(d, out),
        Node::Decimal { start, len } => out.push_str(tape.raw(start, len)),
        Node::Str {
            start,
            len,
            escaped,
        } => {
            let raw = tape.raw(start, len);
            if escaped {
                let mut s = String::with_capacity(raw.len());
                unescape_into(raw, &mut s);
                write_json_string(&s, out);
            } else {
                // Unescaped JSON string content has no quote, backslash or control
                // character: its JSON form is itself.
                out.push('"');
                out.push_str(raw);
                out.push('"');
            }
        }
        n @ (Node::Array { .. } | Node::Object { .. }) => {
            let ov = match (doc.override_of(node), n) {
                (Some(v), _) => Some(v),
                (None, Node::Object { slow: true, .. }) => Some(
                    JsonRef {
                        doc: doc.clone(),
                        node,
                    }
                    .materialise(),
                ),
                _ => None,
            };
            if let Some(ov) = ov {
                return write_override(doc, node, &ov, true, out, limit, depth);
            }
            match n {
                Node::Array { kids, len } => {
                    out.push('[');
                    for i in 0..len {
                        if i > 0 {
                            out.push(',');
                        }
                        write_json_at(doc, tape.kid(kids + i), out, limit, depth + 1)?;
                    }
                    out.push(']');
                }
                Node::Object { kids, len, .. } => {
                    out.push('{');
                    for i in 0..len {
                        if i > 0 {
                            out.push(',');
                        }
                        let k = tape.kid(kids + i);
                        if let Node::Str { start, len, .. } = tape.node(k) {
                            out.push('"');
                            out.push_str(tape.raw(start, len));
                            out.push('"');
                        }
                        out.push(':');
                        write_json_at(doc, k + 1, out, limit, depth + 1)?;
                    }
                    out.push('}');
                }
                _ => {}
            }
        }
    }
    if out.len() > limit {
        return Err(TooLarge);
    }
    Ok(())
}

/// The previous (iterative, frame-stack) tape parser, kept as the reference the current one
/// must agree with node for node.
#[cfg(test)]
mod reference {
    use super::{MAX_DEPTH, Node, SMALL_OBJECT, number, skip_ws, string};

    /// An open container while parsing.
    struct Frame {
        /// Its node.
        at: u32,
        /// Where its children start on the child stack.
        base: u32,
        object: bool,
        /// Objects: a 64-bit filter of the keys seen (a set bit: some key hashes there).
        bloom: u64,
        /// Objects: must be materialised to be read (escaped, repeated or many keys).
        slow: bool,
    }

    /// Parse `text` into nodes and the child index table (see [`Tape`]); `None` for anything
    /// the tape does not take. Iterative: open containers live on `frames`.
    pub(super) fn parse_tape(text: &str) -> Option<(Vec<Node>, Vec<u32>)> {
        let b = text.as_bytes();
        let mut pos = 0usize;
        let mut nodes: Vec<Node> = Vec::with_capacity(b.len() / 4 + 4);
        let mut kids: Vec<u32> = Vec::with_capacity(b.len() / 8 + 4);
        // Children (object: key nodes) of the open containers.
        let mut stack: Vec<u32> = Vec::new();
        let mut frames: Vec<Frame> = Vec::new();
        'value: loop {
            pos = skip_ws(b, pos);
            let c = *b.get(pos)?;
            let node = match c {
                b'{' | b'[' => {
                    if frames.len() >= MAX_DEPTH as usize {
                        return None;
                    }
                    let object = c == b'{';
                    let at = nodes.len() as u32;
                    nodes.push(Node::Null);
                    frames.push(Frame {
                        at,
                        base: stack.len() as u32,
                        object,
                        bloom: 0,
                        slow: false,
                    });
                    pos = skip_ws(b, pos + 1);
                    if b.get(pos) == Some(if object { &b'}' } else { &b']' }) {
                        pos += 1;
                        close(&mut frames, &mut nodes, &mut kids, &mut stack);
                    } else {
                        pos = member(b, pos, &mut frames, &mut nodes, &mut stack)?;
                        continue 'value;
                    }
                    None
                }
                b'"' => {
                    let (n, end) = string(b, pos + 1)?;
                    pos = end;
                    Some(n)
                }
                b't' | b'f' | b'n' => {
                    let (word, n): (&[u8], Node) = match c {
                        b't' => (b"true", Node::Bool(true)),
                        b'f' => (b"false", Node::Bool(false)),
                        _ => (b"null", Node::Null),
                    };
                    if b.get(pos..pos + word.len())? != word {
                        return None;
                    }
                    pos += word.len();
                    Some(n)
                }
                b'-' | b'0'..=b'9' => {
                    let (n, end) = number(text, pos)?;
                    pos = end;
                    Some(n)
                }
                _ => return None,
            };
            if let Some(n) = node {
                nodes.push(n);
            }
            // A value is complete: continue or close the containers around it.
            loop {
                let Some(top) = frames.last() else {
                    return (skip_ws(b, pos) == b.len()).then_some((nodes, kids));
                };
                pos = skip_ws(b, pos);
                let c = *b.get(pos)?;
                pos += 1;
                if c == b',' {
                    pos = member(b, pos, &mut frames, &mut nodes, &mut stack)?;
                    continue 'value;
                }
                if c != if top.object { b'}' } else { b']' } {
                    return None;
                }
                close(&mut frames, &mut nodes, &mut kids, &mut stack);
            }
        }
    }

    /// Start the next member of the innermost container at `pos`: for an array, note the
    /// element's node; for an object, read the key and the colon. Returns where its value
    /// starts.
    #[inline(always)]
    fn member(
        b: &[u8],
        pos: usize,
        frames: &mut [Frame],
        nodes: &mut Vec<Node>,
        stack: &mut Vec<u32>,
    ) -> Option<usize> {
        let top = frames.last_mut()?;
        if !top.object {
            stack.push(nodes.len() as u32);
            return Some(pos);
        }
        let pos = skip_ws(b, pos);
        if *b.get(pos)? != b'"' {
            return None;
        }
        let (key, end) = string(b, pos + 1)?;
        let Node::Str {
            start,
            len,
            escaped,
        } = key
        else {
            return None;
        };
        let base = top.base as usize;
        if escaped || stack.len() - base >= SMALL_OBJECT {
            top.slow = true;
        } else if !top.slow {
            // Repeated keys: a cheap filter first, exact comparison only on a hit.
            let s = start as usize;
            let raw = &b[s..s + len as usize];
            let h = raw.first().map_or(0, |&f| u32::from(f) * 3)
                + raw.last().map_or(0, |&l| u32::from(l))
                + len * 7;
            let bit = 1u64 << (h & 63);
            if top.bloom & bit != 0 {
                let dup = stack[base..].iter().any(|&k| match nodes.get(k as usize) {
                    Some(&Node::Str { start, len, .. }) => {
                        b.get(start as usize..(start + len) as usize) == Some(raw)
                    }
                    _ => false,
                });
                top.slow |= dup;
            }
            top.bloom |= bit;
        }
        stack.push(nodes.len() as u32);
        nodes.push(key);
        let pos = skip_ws(b, end);
        if *b.get(pos)? != b':' {
            return None;
        }
        Some(pos + 1)
    }

    /// Close the innermost container: its children move to `kids`.
    #[inline]
    fn close(
        frames: &mut Vec<Frame>,
        nodes: &mut [Node],
        kids: &mut Vec<u32>,
        stack: &mut Vec<u32>,
    ) {
        let Some(f) = frames.pop() else { return };
        let base = f.base as usize;
        let at = kids.len() as u32;
        let len = (stack.len() - base) as u32;
        kids.extend_from_slice(&stack[base..]);
        stack.truncate(base);
        if let Some(n) = nodes.get_mut(f.at as usize) {
            *n = if f.object {
                Node::Object {
                    kids: at,
                    len,
                    slow: f.slow,
                }
            } else {
                Node::Array { kids: at, len }
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vtl::value::parse_json;
    use crate::vtl::{Host, HostId, Limits, Scope, Template};

    /// `$h.doc()` hands out a fresh copy of one JSON text per call, lazily or eagerly
    /// materialised (as `$input.path('$')` did before).
    struct DocHost {
        text: String,
        lazy: bool,
    }

    impl Host for DocHost {
        fn call(&self, _: HostId, name: &str, args: &[Value]) -> Result<Option<Value>, String> {
            Ok(match (name, args) {
                ("doc", []) => Some(if self.lazy {
                    JsonDoc::parse(&self.text)
                        .unwrap_or_else(|| parse_json(&self.text).unwrap_or(Value::Null))
                } else {
                    parse_json(&self.text).unwrap_or(Value::Null)
                }),
                _ => None,
            })
        }
    }

    fn render(src: &str, text: &str, lazy: bool) -> Result<String, crate::vtl::RenderError> {
        let t = Template::parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        let mut scope = Scope::new();
        scope.set("h", Value::Host(1));
        let host = DocHost {
            text: text.to_string(),
            lazy,
        };
        t.render(&mut scope, &host, &Limits::default())
    }

    /// The template renders the same over the lazy and the materialised document.
    fn same(src: &str, text: &str) -> String {
        let lazy = render(src, text, true);
        let eager = render(src, text, false);
        assert_eq!(lazy, eager, "template {src:?} over {text:?}");
        lazy.unwrap_or_else(|e| format!("error: {e}"))
    }

    fn java(v: &Value) -> String {
        v.to_java_string(usize::MAX).unwrap()
    }

    fn json(v: &Value) -> String {
        let mut s = String::new();
        v.write_json(&mut s, usize::MAX, 0).unwrap();
        s
    }

    /// The lazy document prints like the eager one (Java and JSON forms), or the tape
    /// refuses it and the eager parser decides.
    fn prints_like_eager(text: &str) {
        same_tape(text);
        let eager = parse_json(text);
        match (JsonDoc::parse(text), &eager) {
            (Some(l), Ok(e)) => {
                assert_eq!(java(&l), java(e), "{text:?}");
                assert_eq!(json(&l), json(e), "{text:?}");
                assert_eq!(l.type_name(), e.type_name(), "{text:?}");
            }
            (Some(l), Err(err)) => panic!("{text:?}: tape took it as {l:?}, serde says {err}"),
            (None, _) => {}
        }
    }

    /// The tape parser builds exactly the tape the previous parser built (or refuses what it
    /// refused).
    fn same_tape(text: &str) {
        let new = parse_tape(text).map(|(n, k)| format!("{n:?} {k:?}"));
        let old = reference::parse_tape(text).map(|(n, k)| format!("{n:?} {k:?}"));
        assert_eq!(new, old, "{text:?}");
    }

    #[test]
    fn tape_matches_the_reference_parser() {
        for text in [
            "[{\"id\":0,\"name\":\"Pet \\\"0\\\"\",\"price\":10.5,\"tags\":[\"a\",\"b\"]}]",
            "{\"a\" : { } , \"b\" : [ ] , \"c\" :[ [ ],{ }] }",
            "[1 , 2 ,3]",
            "{\"a\":1 \"b\":2}",
            "{\"a\" 1}",
            "{1: 2}",
            "[true, false, null, tru, nul]",
            "[fals]",
            "\"unterminated",
            "[\"ctl\u{1}\"]",
            "[\"\\x\"]",
            "{\"a\":1}}",
            "[1]]",
            "[[[]]",
            "{\"a\":",
            "{\"a\"",
            "{",
            "[",
            "   ",
        ] {
            same_tape(text);
        }
        for n in [31, 32, 33, 40] {
            let keys: Vec<String> = (0..n).map(|i| format!("\"k{i}\": {i}")).collect();
            same_tape(&format!("{{{}}}", keys.join(",")));
            // Objects of one array sharing those keys (the shape of the previous one).
            let o = format!("{{{}}}", keys.join(","));
            same_tape(&format!("[{o}, {o}, {o}]"));
        }
        // Arrays of objects: same keys, diverging keys, repeated keys after a shared
        // prefix, escaped keys, prefixes of keys, nested and non-object elements between.
        for text in [
            r#"[{"a":1,"b":2},{"a":3,"b":4},{"a":5,"b":6}]"#,
            r#"[{"a":1,"b":2},{"a":3,"c":4},{"a":5,"c":6,"d":7}]"#,
            r#"[{"a":1,"b":2},{"a":3,"b":4,"a":5},{"a":1,"b":2}]"#,
            r#"[{"a":1,"b":2},{"a":3,"a":4},{"b":1,"b":2}]"#,
            r#"[{"ab":1},{"a":1},{"abc":1},{"ab":2,"ab":3}]"#,
            r#"[{"a":1},{"a\u0041":1},{"a":2},{"a\"":3}]"#,
            r#"[{"a\n":1},{"a\n":2}]"#,
            r#"[{"a":1},[{"a":1}],{"a":2},5,{"a":3},{}, {"a":4}]"#,
            r#"[{"k":{"x":1,"y":2}},{"k":{"x":1,"y":2,"x":3}}]"#,
            r#"[{"a":1,"b":2},{"a":3,"b":4"#,
            r#"[{"a":1,"b":2},{"a":3,"b"4}]"#,
            r#"[{"a":1,"b":2},{"a":3,"b]"#,
            r#"[ { "a" : 1 , "b" : 2 } , { "a" : 3 , "b" : 4 } ]"#,
            r#"[{"id":7,"n":0,"m":01},{"id":-0,"n":12345678901234567,"m":1.5e3}]"#,
        ] {
            same_tape(text);
        }
    }

    #[test]
    fn prints_like_the_eager_parser() {
        for text in [
            "0",
            "-0",
            "-0.0",
            "12",
            "-12",
            "1.5",
            "10.0",
            "1e3",
            "1E-7",
            "123456789012345678",
            "1234567890123456789",
            "9223372036854775808",
            "18446744073709551616",
            "0.30000000000000004",
            "[10.5, -12.25, 9999999.5, 10000000.5, 1.10, 0.5, 123456789012.345, 1.00000000000001]",
            "[1234567.12345678, -1234567.12345678, 1.5e0, 100.0, 7.0000001]",
            "123456.7890123456",
            "1e400",
            "true",
            "null",
            "\"\"",
            "\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"",
            "\"\\u00e9\\u0000\\u20ac\"",
            "\"\\ud83d\\ude00\"",
            "\"é€😀\"",
            "[]",
            "{}",
            "[1, 2.5, \"x\", null, true, [], {}]",
            "{\"a\": 1, \"b\": [true, null, 2.5, \"x\"], \"c\": {\"d\": \"e\"}}",
            "{\"a\": 1, \"a\": 2, \"b\": 3}",
            "{\"k\\u0041\": 1, \"kA\": 2}",
            "{\"a\\nb\": \"c\\td\"}",
            "{\"x\": {\"a\": 1}, \"y\": {\"a\": 2, \"a\": 3}, \"z\": [{\"a\": 1, \"b\": 2}, {\"b\": 1, \"a\": 2}, {\"a\": 1, \"b\": 2, \"a\": 9}]}",
            " \n\t{ \"a\" : [ 1 , 2 ] } \n",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{} x",
            "\u{feff}[1]",
            "[01]",
            "[-]",
            "[1.]",
            "[.5]",
            "",
        ] {
            prints_like_eager(text);
        }
        // Many keys (materialised on access), deep nesting around the print cap and the
        // parser's limit.
        let many: Vec<String> = (0..40).map(|i| format!("\"k{}\": {i}", i % 37)).collect();
        prints_like_eager(&format!("{{{}}}", many.join(",")));
        for depth in [98, 99, 100, 101, 126, 127, 128, 200] {
            prints_like_eager(&format!("{}1{}", "[".repeat(depth), "]".repeat(depth)));
            prints_like_eager(&format!(
                "{}\"s\"{}",
                "{\"a\":".repeat(depth),
                "}".repeat(depth)
            ));
            prints_like_eager(&format!(
                "{}{{\"a\":1}}{}",
                "[{\"b\":".repeat(depth / 2),
                "}]".repeat(depth / 2)
            ));
        }
    }

    const TEMPLATES: &[&str] = &[
        "$d",
        "#foreach($e in $d)[$e]#if($foreach.hasNext),#end#end",
        "#foreach($e in $d)#foreach($f in $e)<$f>#end;#end",
        "$d.size() $d.isEmpty() $d.empty",
        "$d.a $d.b $d['a'] $d.get('a') $d.getOrDefault('zz', 'dflt') $d.containsKey('a')",
        "$d[0] $d[1] $d[-1] $d[99] $d.get(0)",
        "$d.keySet() $d.values() $d.entrySet()",
        "#foreach($e in $d.entrySet())$e.key=$e.value;#end",
        "$d.toString() $d.equals($h.doc()) #if($d == $h.doc())eq#{else}ne#end",
        "#if($d)t#{else}f#end #if($d.a)t#{else}f#end #if($d[0])t#{else}f#end",
        "$d.contains(1) $d.indexOf('x') $d.containsValue(1) $d.subList(0, 1)",
        "#set($x = $d.put('new', [1, {'k': 'v'}]))$d $x $d.new",
        "#set($x = $d.add('tail'))$d $x $d.size()",
        "#set($x = $d.remove('a'))$d|$x",
        "#set($d.a = 'set')#set($d['b'] = 2)$d",
        "#set($d[0] = 'first')$d",
        "#set($e = $d)#set($x = $e.put('via-e', 1))$d.get('via-e') $d",
        "#foreach($e in $d)#set($x = $e.put('seen', true))#end$d",
        "#foreach($e in $d)#if($e.size() > 0)#set($x = $e.add(0))#end#end$d",
        "#set($x = $d.put('self', $d))$d.size()",
        "#set($x = $d.add($d))$d.size()",
        "$d.toJSONString() $d.hashCode() $d.nope() $d.nope",
        "$util $d.a.b.c $d[0][0] $d[0].a $d.a[0]",
        "#set($l = [])#set($x = $l.add($d))#set($x = $l.addAll($d))$l",
        "#set($m = {})#set($x = $m.putAll($d))$m",
        "#foreach($e in $d)$e.getClass()#end",
        "#set($x = $d.clear())$d",
        "#foreach($e in $d)#if($e.a > 0)p#elseif($e.a == 0)z#{else}n#end#if($e.a <= 1.5)l#end\
         #if($e.b != 2)ne#end#if(1 < $e.a)lt#end#if($foreach.hasNext),#end#end\
         #if($d.a >= 1)ge#end#if($d.b == 2.0)eq#end#if($d.zz > 0)zz#end#if($d.c > 0)c#end",
    ];

    #[test]
    fn templates_render_like_the_materialised_document() {
        for text in [
            "{\"a\": 1, \"b\": [true, null, 2.5, \"x\"], \"c\": {\"d\": \"e\"}}",
            "[{\"a\": 1, \"b\": 2}, {\"a\": \"x\\\"y\", \"b\": [1, 2]}, [3, 4], 5, \"s\"]",
            "{\"a\": 1, \"a\": 2, \"b\": 3}",
            "{\"k\\u0041\": 1, \"kA\": 2, \"a\": {\"a\": {\"a\": [[]]}}}",
            "[]",
            "{}",
            "[[1, 2], [3], []]",
            "{\"a\": [{\"a\": 1}], \"b\": {\"x\": [1, {\"y\": 2}]}}",
            "\"just a string\"",
            "42",
        ] {
            for src in TEMPLATES {
                same(&format!("#set($d = $h.doc()){src}"), text);
            }
        }
    }

    /// Conditions on lazy documents (fast paths in `Eval::eval_cond`) count the same steps as
    /// over materialised values: every budget fails (or not) at the same place.
    #[test]
    fn conditions_count_steps_like_the_materialised_document() {
        let src = "#set($d = $h.doc())#foreach($e in $d.items)\
                   #if($e.n > 0)+#elseif($e.n == 0)0#{else}-#end\
                   #if($e.x >= 1.5 && $foreach.hasNext),#end#if($foreach.first)f#end#end";
        let text = r#"{"items": [{"n": 1, "x": 1.5}, {"n": 0, "x": 2}, {"n": -3, "x": "s"},
                       {"x": null}, {"n": 2.25}, [1], 7]}"#;
        let t = Template::parse(src).unwrap();
        let run = |lazy: bool, max_steps: u64| {
            let mut scope = Scope::new();
            scope.set("h", Value::Host(1));
            let host = DocHost {
                text: text.to_string(),
                lazy,
            };
            let limits = Limits {
                max_steps,
                ..Limits::default()
            };
            t.render(&mut scope, &host, &limits)
        };
        assert_eq!(run(true, 1000).unwrap(), "+,f0,--+--");
        for max_steps in 0..80 {
            assert_eq!(
                run(true, max_steps),
                run(false, max_steps),
                "{max_steps} steps"
            );
        }
    }

    #[test]
    fn mutation_is_seen_through_every_reference() {
        let text = r#"{"items": [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}], "n": 2}"#;
        let out = same(
            "#set($a = $h.doc())#set($b = $a)#set($items = $a.items)#set($first = $items[0])\
             #set($x = $first.tags.add('b'))#set($x = $b.items.get(0).put('id', 10))\
             #set($x = $items.add({'id': 3}))\
             $a.items[0].tags $b.items[0].id $first $a.items.size() $a",
            text,
        );
        assert_eq!(
            out,
            r#"["a","b"] 10 {id=10, tags=["a","b"]} 3 {items=[{"id":10,"tags":["a","b"]},{"id":2,"tags":[]},{"id":3}], n=2}"#
        );
        // A removed subtree lives on through the references to it.
        let out = same(
            "#set($a = $h.doc())#set($t = $a.items[1])#set($x = $a.remove('items'))\
             #set($x = $t.put('kept', true))$a $t",
            text,
        );
        assert_eq!(out, "{n=2} {id=2, tags=[], kept=true}");
    }

    #[test]
    fn each_document_is_a_fresh_object() {
        let text = r#"{"a": {"b": 1}}"#;
        let out = same(
            "#set($x = $h.doc())#set($y = $h.doc())#set($z = $x.a.put('c', 2))\
             $x $y #if($x == $y)eq#{else}ne#end $x.equals($y)",
            text,
        );
        assert_eq!(out, "{a={b=1, c=2}} {a={b=1}} ne false");
    }

    #[test]
    fn self_references_print_like_java() {
        let out = same(
            "#set($d = $h.doc())#set($x = $d.put('me', $d))$d",
            r#"{"a": 1}"#,
        );
        assert_eq!(out, "{a=1, me=(this Map)}");
        let out = same(
            "#set($d = $h.doc())#set($x = $d.a.put('up', $d))$d",
            r#"{"a": {"b": 1}}"#,
        );
        assert!(out.starts_with("{a={b=1, up={a={b=1, up={"), "{out}");
    }

    #[test]
    fn many_keys_and_duplicates_read_like_a_map() {
        let many: Vec<String> = (0..100).map(|i| format!("\"k{i}\": {i}")).collect();
        let text = format!("{{{}, \"k5\": \"last\"}}", many.join(","));
        let out = same(
            "#set($d = $h.doc())$d.k5 $d.k99 $d.size() $d['k0'] $d.containsKey('k100')",
            &text,
        );
        assert_eq!(out, "last 99 100 0 false");
    }

    #[test]
    fn scope_drop_releases_documents_with_cycles() {
        // A cycle through the override table: released when the scope is dropped.
        let t = Template::parse("#set($d = $h.doc())#set($x = $d.put('me', $d))$d.size()").unwrap();
        let host = DocHost {
            text: r#"{"a": 1}"#.into(),
            lazy: true,
        };
        let mut scope = Scope::new();
        scope.set("h", Value::Host(1));
        assert_eq!(
            t.render(&mut scope, &host, &Limits::default()).unwrap(),
            "2"
        );
        let Some(Value::Json(j)) = scope.get("d").cloned() else {
            panic!("lazy document expected")
        };
        let weak = Rc::downgrade(&j.doc);
        drop(j);
        drop(scope);
        assert!(weak.upgrade().is_none(), "the document is freed");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]
        #[test]
        fn random_documents_render_like_the_materialised_form(
            doc in json_doc(),
            pick in 0usize..1000,
        ) {
            prints_like_eager(&doc);
            // Every template over every generated document would be slow: a rotating few.
            for k in 0..4 {
                let src = TEMPLATES[(pick + k * 7) % TEMPLATES.len()];
                same(&format!("#set($d = $h.doc()){src}"), &doc);
            }
        }
    }

    fn json_doc() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|i| i.to_string()),
            any::<u64>().prop_map(|i| i.to_string()),
            any::<f64>().prop_map(|f| serde_json::to_string(&f).unwrap()),
            (any::<i32>(), 0u32..6, -30i32..30)
                .prop_map(|(m, d, e)| format!("{m}.{}e{e}", "0".repeat(d as usize) + "7")),
            (0u64..100_000, 0u32..8).prop_map(|(m, d)| {
                let s = m.to_string();
                let d = (d as usize).min(s.len());
                format!("{}.{}", &s[..s.len() - d].to_string(), &s[s.len() - d..])
                    .replace("..", ".")
            }),
            (1u64..100_000_000, 1u32..9, any::<bool>()).prop_map(|(m, d, neg)| {
                let s = m.to_string();
                let d = (d as usize).min(s.len() - 1).max(1);
                let sign = if neg { "-" } else { "" };
                format!("{sign}{}.{}", &s[..s.len() - d], &s[s.len() - d..])
            }),
            Just("-0".to_string()),
            "[a-z\"\\\\/\u{0}-\u{1f}é😀]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "\\\\u[0-9a-fA-FdD]{4}".prop_map(|s| format!("\"{s}\"")),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(" , "))),
                proptest::collection::vec(("[ab\\\\\"]{0,2}", inner), 0..6).prop_map(|v| {
                    let body: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{ {} }}", body.join(","))
                }),
            ]
        })
    }
}
