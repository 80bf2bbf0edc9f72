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
use std::rc::Rc;
use std::sync::Arc;

use indexmap::IndexMap;

use super::ast::Node;
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
        matches!(self, Value::List(_) | Value::Map(_))
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
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
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
            Value::Map(m) => {
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
                    if let Value::Map(inner) = v
                        && Rc::ptr_eq(inner, m)
                    {
                        out.push_str("(this Map)");
                        continue;
                    }
                    v.write_java(out, limit, depth + 1)?;
                }
                out.push('}');
            }
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

/// Parse JSON text straight into values (same shapes as [`Value::from_json`], without an
/// intermediate `serde_json::Value`). Object keys are interned per document (arrays of
/// objects repeat their keys) and containers are built at their exact size. Nesting is
/// limited by serde_json's recursion limit.
pub fn parse_json(text: &str) -> Result<Value, serde_json::Error> {
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

    #[test]
    fn truthiness_only_false_is_false() {
        assert!(!Value::Bool(false).truthy());
        assert!(Value::Null.truthy());
        assert!(Value::Int(0).truthy());
        assert!(Value::str("").truthy());
    }
}
