//! The runtime value model: what a Velocity reference can hold.
//!
//! Values behave like the Java objects API Gateway's Velocity sees: `Int` is a Java
//! `Integer`/`Long` (arithmetic widens instead of wrapping), `Double` a `java.lang.Double`,
//! lists and maps are shared, mutable objects (`#set($b = $a)` aliases, `$b.add(1)` is seen
//! through `$a`). Containers are `Rc<RefCell<…>>`: a render is single-threaded and the values
//! never outlive it (see [`crate::vtl::Template::render`], which breaks any reference cycle a
//! template builds before it returns).

use std::cell::{Cell, RefCell};
use std::fmt::Write as _;
use std::hash::BuildHasher as _;
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;
use indexmap::map::raw_entry_v1::{RawEntryApiV1 as _, RawEntryMut};

use super::ast::Node;
use super::json::JsonRef;
use super::number;

/// Identifies a host object (see [`super::Host`]); the meaning of the number is the host's.
pub type HostId = u32;

/// A list: a `java.util.ArrayList` (`json == false`, prints `[a, b]`) or a JSON array as
/// API Gateway's JSON library returns it (`json == true`, prints compact JSON `["a","b"]`).
#[derive(Debug, Default)]
pub struct ListObj {
    /// The elements.
    pub items: Vec<Value>,
    /// Print as compact JSON rather than Java `List.toString()`.
    pub json: bool,
}

/// Shared handle to a list.
pub type ListRef = Rc<RefCell<ListObj>>;
/// An insertion-ordered map (`java.util.LinkedHashMap`), hashed with a seeded fast hasher.
pub type Map = IndexMap<Arc<str>, Value, foldhash::fast::RandomState>;
/// Shared handle to a [`Map`].
pub type MapRef = Rc<RefCell<Map>>;

/// The state behind `$foreach` inside a `#foreach` body.
#[derive(Debug, Default)]
pub struct LoopState {
    /// Zero-based index of the current iteration.
    pub index: Cell<usize>,
    /// Whether another iteration follows.
    pub has_next: Cell<bool>,
}

/// A Velocity value.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// Java `null`; also what an undefined reference evaluates to.
    #[default]
    Null,
    /// `java.lang.Boolean`.
    Bool(bool),
    /// `java.lang.Integer` / `java.lang.Long`.
    Int(i64),
    /// `java.lang.Double`.
    Double(f64),
    /// `java.lang.String`.
    Str(Arc<str>),
    /// A list.
    List(ListRef),
    /// A map with insertion order.
    Map(MapRef),
    /// A JSON object or array read lazily from a parsed document ([`super::json`]): behaves
    /// exactly as the `Map` / JSON `List` it stands for.
    Json(JsonRef),
    /// A `Map.Entry` from `entrySet()`: (key, value).
    Entry(Rc<(Value, Value)>),
    /// `$foreach` of the innermost loop.
    Loop(Rc<LoopState>),
    /// An object provided by the embedding host (`$input`, `$util`, …).
    Host(HostId),
    /// A `#define` block: renders its body where referenced.
    Block(Arc<Vec<Node>>),
}

/// The budget ran out while walking a value (printing or comparing a huge structure).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge;

/// Nesting depth beyond which printing stops descending (cyclic or absurdly deep values).
pub const MAX_PRINT_DEPTH: u32 = 100;

impl Value {
    /// A string value.
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    /// A string value from an owned `String`.
    pub fn string(s: String) -> Value {
        Value::Str(Arc::from(s))
    }

    /// A new Java list.
    pub fn new_list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(ListObj { items, json: false })))
    }

    /// A new JSON-style list (prints as compact JSON).
    pub fn new_json_list(items: Vec<Value>) -> Value {
        Value::List(Rc::new(RefCell::new(ListObj { items, json: true })))
    }

    /// A new map.
    pub fn new_map(map: Map) -> Value {
        Value::Map(Rc::new(RefCell::new(map)))
    }

    /// Is this Java `null`?
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Is this a list or a map (something that can hold other values)?
    pub fn is_container(&self) -> bool {
        matches!(self, Value::List(_) | Value::Map(_) | Value::Json(_))
    }

    /// This value with a lazy JSON container replaced by its materialised `Map` / `List`
    /// (see [`JsonRef::materialise`]); other values as they are.
    pub fn materialised(&self) -> std::borrow::Cow<'_, Value> {
        match self {
            Value::Json(j) => std::borrow::Cow::Owned(j.materialise()),
            v => std::borrow::Cow::Borrowed(v),
        }
    }

    /// Velocity truthiness as API Gateway applies it: only `false` is false. An undefined or
    /// null reference behaves like an empty string there, and an empty string, `0` and an
    /// empty list are all true in Velocity 1.x.
    pub fn truthy(&self) -> bool {
        !matches!(self, Value::Bool(false))
    }

    /// The string content if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer if this is an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A Java-ish type name for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "Boolean",
            Value::Int(_) => "Integer",
            Value::Double(_) => "Double",
            Value::Str(_) => "String",
            Value::List(_) => "List",
            Value::Map(_) => "Map",
            Value::Json(j) if j.is_object() => "Map",
            Value::Json(_) => "List",
            Value::Entry(_) => "Map.Entry",
            Value::Loop(_) => "ForeachScope",
            Value::Host(_) => "Object",
            Value::Block(_) => "Block",
        }
    }

    /// `toString()` of this value, `null` printing as `null` (as inside a collection).
    /// Stops with [`TooLarge`] once `out` exceeds `limit` bytes.
    pub fn write_java(&self, out: &mut String, limit: usize, depth: u32) -> Result<(), TooLarge> {
        if out.len() > limit {
            return Err(TooLarge);
        }
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => number::write_int(*i, out),
            Value::Double(d) => number::write_double(*d, out),
            Value::Str(s) => out.push_str(s),
            Value::List(l) => {
                let Ok(list) = l.try_borrow() else {
                    out.push_str("(this Collection)");
                    return Ok(());
                };
                if list.json {
                    return self.write_json(out, limit, depth);
                }
                if depth >= MAX_PRINT_DEPTH {
                    out.push_str("[...]");
                    return Ok(());
                }
                out.push('[');
                for (i, item) in list.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    if let Value::List(inner) = item
                        && Rc::ptr_eq(inner, l)
                    {
                        out.push_str("(this Collection)");
                        continue;
                    }
                    item.write_java(out, limit, depth + 1)?;
                }
                out.push(']');
            }
            Value::Map(m) => return write_java_map(m, self, out, limit, depth),
            Value::Json(j) => return j.write_java(out, limit, depth),
            Value::Entry(e) => {
                e.0.write_java(out, limit, depth + 1)?;
                out.push('=');
                e.1.write_java(out, limit, depth + 1)?;
            }
            Value::Loop(_) | Value::Host(_) | Value::Block(_) => {}
        }
        if out.len() > limit {
            return Err(TooLarge);
        }
        Ok(())
    }

    /// Compact JSON text of this value (json-smart style, as a JSON array prints itself).
    pub fn write_json(&self, out: &mut String, limit: usize, depth: u32) -> Result<(), TooLarge> {
        if out.len() > limit {
            return Err(TooLarge);
        }
        if depth >= MAX_PRINT_DEPTH {
            out.push_str("null");
            return Ok(());
        }
        match self {
            Value::Null | Value::Loop(_) | Value::Host(_) | Value::Block(_) => out.push_str("null"),
            Value::Bool(_) | Value::Int(_) | Value::Double(_) => {
                self.write_java(out, limit, depth)?;
            }
            Value::Str(s) => write_json_string(s, out),
            Value::Json(j) => return j.write_json(out, limit, depth),
            Value::List(l) => {
                let Ok(list) = l.try_borrow() else {
                    out.push_str("null");
                    return Ok(());
                };
                out.push('[');
                for (i, item) in list.items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out, limit, depth + 1)?;
                }
                out.push(']');
            }
            Value::Map(m) => {
                let Ok(map) = m.try_borrow() else {
                    out.push_str("null");
                    return Ok(());
                };
                out.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_json_string(k, out);
                    out.push(':');
                    v.write_json(out, limit, depth + 1)?;
                }
                out.push('}');
            }
            Value::Entry(e) => {
                out.push('{');
                let mut key = String::new();
                e.0.write_java(&mut key, limit, depth + 1)?;
                write_json_string(&key, out);
                out.push(':');
                e.1.write_json(out, limit, depth + 1)?;
                out.push('}');
            }
        }
        if out.len() > limit {
            return Err(TooLarge);
        }
        Ok(())
    }

    /// `toString()` as a new string (limited to `limit` bytes).
    pub fn to_java_string(&self, limit: usize) -> Result<String, TooLarge> {
        if let Value::Str(s) = self {
            return Ok(s.to_string());
        }
        let mut out = String::new();
        self.write_java(&mut out, limit, 0)?;
        Ok(out)
    }

    /// Convert a parsed JSON document the way API Gateway's JSON library hands it to
    /// templates: objects become (Java-printing) maps, arrays JSON-printing lists, integers
    /// `Int`, other numbers `Double`.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else {
                    Value::Double(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(a) => {
                Value::new_json_list(a.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(o) => Value::new_map(
                o.iter()
                    .map(|(k, v)| (Arc::from(k.as_str()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Convert back to a JSON value (for hosts that need JSON); depth-limited.
    pub fn to_json(&self, depth: u32) -> serde_json::Value {
        if depth >= MAX_PRINT_DEPTH {
            return serde_json::Value::Null;
        }
        match self {
            Value::Null | Value::Loop(_) | Value::Host(_) | Value::Block(_) => {
                serde_json::Value::Null
            }
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Double(d) => serde_json::Number::from_f64(*d)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::Json(j) => j.materialise().to_json(depth),
            Value::List(l) => match l.try_borrow() {
                Ok(l) => {
                    serde_json::Value::Array(l.items.iter().map(|v| v.to_json(depth + 1)).collect())
                }
                Err(_) => serde_json::Value::Null,
            },
            Value::Map(m) => match m.try_borrow() {
                Ok(m) => serde_json::Value::Object(
                    m.iter()
                        .map(|(k, v)| (k.to_string(), v.to_json(depth + 1)))
                        .collect(),
                ),
                Err(_) => serde_json::Value::Null,
            },
            Value::Entry(e) => {
                let mut o = serde_json::Map::new();
                let key = e.0.to_java_string(usize::MAX).unwrap_or_default();
                o.insert(key, e.1.to_json(depth + 1));
                serde_json::Value::Object(o)
            }
        }
    }
}

/// `toString()` of a map (`{k=v, …}`); `this` is the map's own value, printed as
/// `(this Map)` where the map contains itself.
pub(super) fn write_java_map(
    m: &MapRef,
    this: &Value,
    out: &mut String,
    limit: usize,
    depth: u32,
) -> Result<(), TooLarge> {
    if depth >= MAX_PRINT_DEPTH {
        out.push_str("{...}");
        return Ok(());
    }
    let Ok(map) = m.try_borrow() else {
        out.push_str("(this Map)");
        return Ok(());
    };
    out.push('{');
    for (i, (k, v)) in map.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push('=');
        if same_object(v, this) {
            out.push_str("(this Map)");
            continue;
        }
        v.write_java(out, limit, depth + 1)?;
    }
    out.push('}');
    if out.len() > limit {
        return Err(TooLarge);
    }
    Ok(())
}

/// Are `a` and `b` the same map object?
fn same_object(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Map(x), Value::Map(y)) => Rc::ptr_eq(x, y),
        (Value::Json(x), Value::Json(y)) => x.same(y),
        _ => false,
    }
}

/// Parse JSON text straight into values (same shapes as [`Value::from_json`], without an
/// intermediate `serde_json::Value`).
///
/// A byte-level parser builds the values directly: strings without escapes are copied once
/// into their `Arc<str>`, object keys are interned per document (arrays of objects repeat
/// their keys), containers are built at their exact size and common numbers are converted
/// without allocating. It accepts a subset of what serde_json accepts; on anything it does
/// not take (malformed text, but also rare forms such as surrogate-pair escapes or numbers
/// that need full-precision conversion) the serde_json-based reader decides, so the result
/// and the error are exactly serde_json's. Nesting is limited like serde_json's.
pub fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
    let mut p = JsonParser::new(text);
    match p.document() {
        Some(v) => Ok(v),
        None => {
            drop(p);
            parse_json_serde(text)
        }
    }
}

/// String values up to this length are shared within a document.
const SHARED_STRING_MAX: usize = 16;

/// Deepest container nesting [`JsonParser`] takes (serde_json's recursion limit, 128,
/// rejects the 128th level).
const JSON_MAX_DEPTH: u32 = 127;

/// A string as [`JsonParser::string`] read it.
enum JsonStr<'a> {
    /// No escapes: a slice of the input.
    Slice(&'a str),
    /// Unescaped into the parser's scratch buffer.
    Scratch,
}

/// The direct JSON → [`Value`] parser behind [`parse_json`]. Every method returns `None` on
/// anything it does not accept; the caller then falls back to serde_json.
struct JsonParser<'a> {
    text: &'a str,
    pos: usize,
    depth: u32,
    /// Per-document interner of keys and short strings, with each string's hash under
    /// `hasher` (so building a map does not hash its keys again).
    interned: std::collections::HashMap<&'a str, (Arc<str>, u64), foldhash::fast::RandomState>,
    /// The keys of the last object read at each depth, by position: objects in an array
    /// usually share their shape, and comparing with the sibling's key is cheaper than an
    /// interner lookup.
    shapes: Vec<Vec<(Arc<str>, u64)>>,
    /// The hash state every map of this document shares.
    hasher: foldhash::fast::RandomState,
    /// Shared stacks for the children of the containers being built.
    items: Vec<Value>,
    entries: Vec<(Arc<str>, u64, Value)>,
    /// Unescaped string content.
    buf: String,
}

impl<'a> JsonParser<'a> {
    fn new(text: &'a str) -> Self {
        JsonParser {
            text,
            pos: 0,
            depth: 0,
            interned: Default::default(),
            hasher: Default::default(),
            shapes: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            buf: String::new(),
        }
    }

    fn document(&mut self) -> Option<Value> {
        let v = self.value()?;
        self.ws();
        (self.pos == self.text.len()).then_some(v)
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    #[inline]
    fn ws(&mut self) {
        let b = self.text.as_bytes();
        while let Some(&c) = b.get(self.pos) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                break;
            }
            self.pos += 1;
        }
    }

    fn value(&mut self) -> Option<Value> {
        self.ws();
        match self.peek()? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => {
                self.pos += 1;
                Some(Value::Str(match self.string()? {
                    // Short values repeat (enumerations, tags): share them.
                    JsonStr::Slice(s) if s.len() <= SHARED_STRING_MAX => self.intern(s).0,
                    JsonStr::Slice(s) => Arc::from(s),
                    JsonStr::Scratch => Arc::from(self.buf.as_str()),
                }))
            }
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Option<Value> {
        let end = self.pos + word.len();
        if self.text.as_bytes().get(self.pos..end)? != word.as_bytes() {
            return None;
        }
        self.pos = end;
        Some(v)
    }

    fn enter(&mut self) -> Option<()> {
        self.pos += 1;
        self.depth += 1;
        (self.depth <= JSON_MAX_DEPTH).then_some(())
    }

    fn array(&mut self) -> Option<Value> {
        self.enter()?;
        let start = self.items.len();
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
        } else {
            loop {
                let v = self.value()?;
                self.items.push(v);
                self.ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b']' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let items: Vec<Value> = self.items.drain(start..).collect();
        Some(Value::new_json_list(items))
    }

    fn object(&mut self) -> Option<Value> {
        self.enter()?;
        let start = self.entries.len();
        let mut index = 0;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
        } else {
            loop {
                self.ws();
                if self.peek()? != b'"' {
                    return None;
                }
                self.pos += 1;
                let (key, hash) = self.key(index)?;
                index += 1;
                self.ws();
                if self.peek()? != b':' {
                    return None;
                }
                self.pos += 1;
                let v = self.value()?;
                self.entries.push((key, hash, v));
                self.ws();
                match self.peek()? {
                    b',' => self.pos += 1,
                    b'}' => {
                        self.pos += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        let mut m = Map::with_capacity_and_hasher(self.entries.len() - start, self.hasher.clone());
        // A repeated key keeps its first position and its last value (as `insert` does).
        for (k, hash, v) in self.entries.drain(start..) {
            match m.raw_entry_mut_v1().from_key_hashed_nocheck(hash, &*k) {
                RawEntryMut::Occupied(mut e) => {
                    e.insert(v);
                }
                RawEntryMut::Vacant(e) => {
                    e.insert_hashed_nocheck(hash, k, v);
                }
            }
        }
        Some(Value::new_map(m))
    }

    /// The `index`-th key of an object, and its hash in this document's maps.
    fn key(&mut self, index: usize) -> Option<(Arc<str>, u64)> {
        Some(match self.string()? {
            JsonStr::Slice(s) => {
                let depth = self.depth as usize;
                if let Some((k, h)) = self.shapes.get(depth).and_then(|keys| keys.get(index))
                    && **k == *s
                {
                    return Some((k.clone(), *h));
                }
                let key = self.intern(s);
                if self.shapes.len() <= depth {
                    self.shapes.resize_with(depth + 1, Vec::new);
                }
                let keys = &mut self.shapes[depth];
                keys.truncate(index);
                if keys.len() == index {
                    keys.push(key.clone());
                }
                key
            }
            JsonStr::Scratch => {
                let k: Arc<str> = Arc::from(self.buf.as_str());
                let h = self.hasher.hash_one(&*k);
                (k, h)
            }
        })
    }

    /// The document's shared copy of `s`, and its hash.
    fn intern(&mut self, s: &'a str) -> (Arc<str>, u64) {
        if let Some((k, h)) = self.interned.get(s) {
            return (k.clone(), *h);
        }
        let k: Arc<str> = Arc::from(s);
        let h = self.hasher.hash_one(s);
        // Bound the interner: documents with endlessly distinct strings stop sharing.
        if self.interned.len() < 4096 {
            self.interned.insert(s, (k.clone(), h));
        }
        (k, h)
    }

    /// The string whose opening quote was just consumed.
    fn string(&mut self) -> Option<JsonStr<'a>> {
        let b = self.text.as_bytes();
        let start = self.pos;
        let mut i = start;
        loop {
            let c = *b.get(i)?;
            if c == b'"' {
                self.pos = i + 1;
                // `start` and `i` sit next to ASCII quotes: both are char boundaries.
                return Some(JsonStr::Slice(&self.text[start..i]));
            }
            if c == b'\\' {
                break;
            }
            if c < 0x20 {
                return None;
            }
            i += 1;
        }
        self.buf.clear();
        self.buf.push_str(&self.text[start..i]);
        loop {
            match *b.get(i)? {
                b'"' => {
                    self.pos = i + 1;
                    return Some(JsonStr::Scratch);
                }
                b'\\' => {
                    let e = *b.get(i + 1)?;
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
                            let h = hex4(b.get(i..i + 4)?)?;
                            i += 4;
                            // Surrogates (pairs or lone) are left to serde_json.
                            char::from_u32(h)?
                        }
                        _ => return None,
                    };
                    self.buf.push(c);
                }
                c if c < 0x20 => return None,
                _ => {
                    let run = i;
                    while let Some(&c) = b.get(i) {
                        if c == b'"' || c == b'\\' || c < 0x20 {
                            break;
                        }
                        i += 1;
                    }
                    // The run ends before an ASCII byte or at the end: a char boundary.
                    self.buf.push_str(&self.text[run..i]);
                }
            }
        }
    }

    fn number(&mut self) -> Option<Value> {
        let (v, end) = scan_number(self.text, self.pos)?;
        self.pos = end;
        Some(v)
    }
}

/// Read the JSON number starting at byte `start` of `text` (its first byte is `-` or a
/// digit): the value (`Int` when it is an integer serde_json reads as `i64`, otherwise
/// `Double`, exactly as serde_json converts it) and the offset after it. `None` when the
/// text there is not a JSON number.
pub(super) fn scan_number(text: &str, start: usize) -> Option<(Value, usize)> {
    let b = text.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = start;
    let neg = *b.get(i)? == b'-';
    if neg {
        i += 1;
    }
    match b.get(i)? {
        b'0' => i += 1,
        b'1'..=b'9' => {
            while digit(i) {
                i += 1;
            }
        }
        _ => return None,
    }
    let int_digits = &b[start + usize::from(neg)..i];
    let mut frac_digits: &[u8] = &[];
    if b.get(i) == Some(&b'.') {
        i += 1;
        let f = i;
        while digit(i) {
            i += 1;
        }
        if i == f {
            return None;
        }
        frac_digits = &b[f..i];
    }
    let mut exp: i64 = 0;
    let mut has_exp = false;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        has_exp = true;
        i += 1;
        let eneg = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let e = i;
        while digit(i) {
            i += 1;
        }
        if i == e || i - e > 4 {
            // No digits, or an exponent only serde_json's full conversion handles.
            return if i == e {
                None
            } else {
                number_slow(text, start, i)
            };
        }
        for &d in &b[e..i] {
            exp = exp * 10 + i64::from(d - b'0');
        }
        if eneg {
            exp = -exp;
        }
    }
    let is_float = has_exp || !frac_digits.is_empty();
    if int_digits.len() + frac_digits.len() > 15 {
        return number_slow(text, start, i);
    }
    // At most 15 digits: exact in both u64 and f64.
    let mut m: u64 = 0;
    for &d in int_digits.iter().chain(frac_digits) {
        m = m * 10 + u64::from(d - b'0');
    }
    if !is_float {
        if neg && m == 0 {
            // `-0`: serde_json makes it a double.
            return number_slow(text, start, i);
        }
        let m = m as i64;
        return Some((Value::Int(if neg { -m } else { m }), i));
    }
    // Exact mantissa and one correctly-rounded multiplication or division by an exact
    // power of ten: the same double serde_json computes for these forms.
    let e = exp - frac_digits.len() as i64;
    if !(-22..=22).contains(&e) {
        return number_slow(text, start, i);
    }
    let f = m as f64;
    let f = if e >= 0 {
        f * POW10[e as usize]
    } else {
        f / POW10[(-e) as usize]
    };
    Some((Value::Double(if neg { -f } else { f }), i))
}

/// A number the fast path does not take: converted by serde_json itself (numbers are
/// rare enough here for its few hundred instructions not to matter).
fn number_slow(text: &str, start: usize, end: usize) -> Option<(Value, usize)> {
    let n: serde_json::Number = serde_json::from_str(text.get(start..end)?).ok()?;
    Some((
        if let Some(i) = n.as_i64() {
            Value::Int(i)
        } else if let Some(u) = n.as_u64() {
            Value::Double(u as f64)
        } else {
            Value::Double(n.as_f64()?)
        },
        end,
    ))
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

fn hex4(h: &[u8]) -> Option<u32> {
    let mut v = 0u32;
    for &c in h {
        v = v * 16 + char::from(c).to_digit(16)?;
    }
    Some(v)
}

/// The serde_json-driven reader [`parse_json`] falls back to (and is tested against).
fn parse_json_serde(text: &str) -> Result<Value, serde_json::Error> {
    use serde::de::DeserializeSeed as _;
    let mut de = serde_json::Deserializer::from_str(text);
    let mut st = ParseState::default();
    let v = JsonSeed(&mut st).deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

#[derive(Default)]
struct ParseState {
    keys: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
    entries: Vec<(Arc<str>, Value)>,
    items: Vec<Value>,
}

struct JsonSeed<'a>(&'a mut ParseState);

impl<'de> serde::de::DeserializeSeed<'de> for JsonSeed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(JsonVisitor(self.0))
    }
}

struct KeySeed<'a>(&'a mut ParseState);

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Arc<str>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Arc<str>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for KeySeed<'_> {
    type Value = Arc<str>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an object key")
    }
    fn visit_str<E>(self, v: &str) -> Result<Arc<str>, E> {
        if let Some(k) = self.0.keys.get(v) {
            return Ok(k.clone());
        }
        let k: Arc<str> = Arc::from(v);
        // Bound the interner: documents with endlessly distinct keys just stop sharing.
        if self.0.keys.len() < 4096 {
            self.0.keys.insert(k.clone());
        }
        Ok(k)
    }
}

struct JsonVisitor<'a>(&'a mut ParseState);

impl<'de> serde::de::Visitor<'de> for JsonVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or(Value::Double(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::str(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // Children are collected on a shared stack, then moved out at their exact size.
        let st = self.0;
        let start = st.items.len();
        while let Some(v) = seq.next_element_seed(JsonSeed(st))? {
            st.items.push(v);
        }
        let items: Vec<Value> = st.items.drain(start..).collect();
        Ok(Value::new_json_list(items))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let st = self.0;
        let start = st.entries.len();
        while let Some(k) = map.next_key_seed(KeySeed(st))? {
            let v = map.next_value_seed(JsonSeed(st))?;
            st.entries.push((k, v));
        }
        let m: Map = st.entries.drain(start..).collect();
        Ok(Value::new_map(m))
    }
}

/// Write `s` as a JSON string literal.
pub fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Java `equals()` between two values of the same kind, with a step budget for big
/// structures. Numbers compare by value (Integer 1 equals Long 1 here, a simplification).
pub fn java_equals(a: &Value, b: &Value, steps: &mut u64, depth: u32) -> Result<bool, TooLarge> {
    if let (Value::Json(x), Value::Json(y)) = (a, b)
        && x.same(y)
    {
        return Ok(true);
    }
    if matches!(a, Value::Json(_)) || matches!(b, Value::Json(_)) {
        // Compared as the materialised map / list they stand for.
        return java_equals(&a.materialised(), &b.materialised(), steps, depth);
    }
    if *steps == 0 {
        return Err(TooLarge);
    }
    *steps -= 1;
    if depth >= MAX_PRINT_DEPTH {
        return Err(TooLarge);
    }
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Double(x), Value::Double(y)) => x == y || (x.is_nan() && y.is_nan()),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return Ok(false);
            };
            if x.items.len() != y.items.len() {
                return Ok(false);
            }
            for (p, q) in x.items.iter().zip(y.items.iter()) {
                if !java_equals(p, q, steps, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(x, y) {
                return Ok(true);
            }
            let (Ok(x), Ok(y)) = (x.try_borrow(), y.try_borrow()) else {
                return Ok(false);
            };
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.iter() {
                match y.get(k) {
                    Some(w) => {
                        if !java_equals(v, w, steps, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                }
            }
            true
        }
        (Value::Entry(x), Value::Entry(y)) => {
            java_equals(&x.0, &y.0, steps, depth + 1)? && java_equals(&x.1, &y.1, steps, depth + 1)?
        }
        (Value::Loop(x), Value::Loop(y)) => Rc::ptr_eq(x, y),
        (Value::Host(x), Value::Host(y)) => x == y,
        (Value::Block(x), Value::Block(y)) => Arc::ptr_eq(x, y),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(v: &Value) -> String {
        v.to_java_string(1 << 20).unwrap()
    }

    #[test]
    fn java_to_string_forms() {
        let mut m = Map::default();
        m.insert(Arc::from("a"), Value::Int(1));
        m.insert(Arc::from("b"), Value::str("x"));
        let map = Value::new_map(m);
        assert_eq!(show(&map), "{a=1, b=x}");
        let list = Value::new_list(vec![
            Value::Int(1),
            Value::str("a"),
            map.clone(),
            Value::Null,
        ]);
        assert_eq!(show(&list), "[1, a, {a=1, b=x}, null]");
        let json = Value::new_json_list(vec![Value::str("a"), map, Value::Double(10.0)]);
        assert_eq!(show(&json), r#"["a",{"a":1,"b":"x"},10.0]"#);
    }

    #[test]
    fn self_containing_list_prints_without_recursing_forever() {
        let l = Value::new_list(vec![]);
        if let Value::List(r) = &l {
            r.borrow_mut().items.push(l.clone());
            r.borrow_mut().items.push(Value::new_list(vec![l.clone()]));
        }
        let s = show(&l);
        assert!(s.starts_with("[(this Collection), ["));
        if let Value::List(r) = &l {
            r.borrow_mut().items.clear();
        }
    }

    #[test]
    fn print_limit_stops() {
        let big = Value::new_list((0..1000).map(Value::Int).collect());
        assert_eq!(big.to_java_string(100), Err(TooLarge));
    }

    #[test]
    fn parse_json_builds_the_same_shapes_as_from_json() {
        let text =
            r#"[{"a": 1, "b": [true, null, 2.5, "x"]}, {"a": 18446744073709551615, "a": "dup"}]"#;
        let direct = parse_json(text).unwrap();
        let via = Value::from_json(&serde_json::from_str(text).unwrap());
        assert_eq!(show(&direct), show(&via));
        assert_eq!(
            show(&direct),
            r#"[{"a":1,"b":[true,null,2.5,"x"]},{"a":"dup"}]"#
        );
        assert!(parse_json("[1,").is_err());
        assert!(parse_json("{} x").is_err());
        let deep = "[".repeat(10_000);
        assert!(parse_json(&deep).is_err(), "recursion limit applies");
    }

    /// The direct parser against the serde_json-driven one: same value (printed as JSON
    /// and Java, which shows Int vs Double), or both errors with the same message.
    fn same_as_serde(text: &str) {
        let direct = parse_json(text);
        let reference = parse_json_serde(text);
        match (&direct, &reference) {
            (Ok(a), Ok(b)) => {
                assert_eq!(show(a), show(b), "{text:?}");
                let mut ja = String::new();
                let mut jb = String::new();
                a.write_json(&mut ja, usize::MAX, 0).unwrap();
                b.write_json(&mut jb, usize::MAX, 0).unwrap();
                assert_eq!(ja, jb, "{text:?}");
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{text:?}");
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text:?}"),
            _ => panic!("{text:?}: direct {direct:?}, serde {reference:?}"),
        }
        // The fast path alone never accepts what serde_json rejects.
        if reference.is_err() {
            assert!(JsonParser::new(text).document().is_none(), "{text:?}");
        }
    }

    #[test]
    fn direct_parser_matches_serde_json() {
        for text in [
            "0",
            "-0",
            "-0.0",
            "1",
            "-1",
            "01",
            "1.",
            ".5",
            "+1",
            "-",
            "1e",
            "1e+",
            "1E5",
            "1e-5",
            "1.5e3",
            "123.456e-2",
            "9007199254740993",
            "123456789012345",
            "1234567890123456",
            "999999999999999999",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "1e22",
            "1e23",
            "1e400",
            "-1e400",
            "1e-400",
            "2.2250738585072011e-308",
            "0.1",
            "0.30000000000000004",
            "3.141592653589793",
            "1e00005",
            "1e-99999",
            "10.5",
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "nulll",
            "\"\"",
            "\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"",
            "\"\\u00e9\\u0000\\u20ac\"",
            "\"\\ud83d\\ude00\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"\\ud83dx\"",
            "\"\\u12\"",
            "\"\\x\"",
            "\"a\tb\"",
            "\"a\u{1}b\"",
            "\"é€😀\"",
            "\"unterminated",
            "\"esc\\",
            "[]",
            "[ ]",
            "[1,]",
            "[,1]",
            "[1 2]",
            "[1,2",
            "{}",
            "{ }",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "{\"a\":1,\"a\":2,\"b\":3}",
            "{\"k\\u0041\":1,\"kA\":2}",
            " \n\t\r{\"a\" : [ 1 , 2 ] } \n",
            "{} x",
            "",
            "   ",
            "[1]]",
            "\u{feff}[1]",
            "[1e5, -2.5E-3, 0, -0, 1.0]",
        ] {
            same_as_serde(text);
        }
        for depth in [126, 127, 128, 129, 300] {
            same_as_serde(&format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
            same_as_serde(&format!(
                "{}1{}",
                "{\"a\":".repeat(depth),
                "}".repeat(depth)
            ));
        }
    }

    proptest::proptest! {
        #[test]
        fn direct_parser_matches_serde_json_on_generated_json(
            doc in json_doc(),
            cut in 0usize..400,
            byte in proptest::prelude::any::<u8>(),
        ) {
            same_as_serde(&doc);
            // Damaged variants: truncated, and one byte replaced by an interesting one.
            let mut cut = cut.min(doc.len());
            while !doc.is_char_boundary(cut) {
                cut -= 1;
            }
            same_as_serde(&doc[..cut]);
            let set = b"{}[],:\"\\ -+.eE0123456789tfnu\t\n\x01";
            let c = char::from(set[usize::from(byte) % set.len()]);
            let mut damaged = doc.clone();
            damaged.replace_range(cut..doc[cut..].chars().next().map_or(cut, |c| cut + c.len_utf8()), c.encode_utf8(&mut [0; 4]));
            same_as_serde(&damaged);
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
            "[a-z\"\\\\/\u{0}-\u{1f}é😀]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "\\\\u[0-9a-fA-FdD]{4}".prop_map(|s| format!("\"{s}\"")),
        ];
        leaf.prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6)
                    .prop_map(|v| format!("[{}]", v.join(" , "))),
                proptest::collection::vec(("[a-c\\\\\"]{0,3}", inner), 0..6).prop_map(|v| {
                    let body: Vec<String> = v
                        .into_iter()
                        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                        .collect();
                    format!("{{ {} }}", body.join(","))
                }),
            ]
        })
    }

    #[test]
    fn truthiness_only_false_is_false() {
        assert!(!Value::Bool(false).truthy());
        assert!(Value::Null.truthy());
        assert!(Value::Int(0).truthy());
        assert!(Value::str("").truthy());
    }
}
