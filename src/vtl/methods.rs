//! Java methods on built-in values: `java.lang.String`, `java.util.List`, `java.util.Map`,
//! `Map.Entry`, numbers, booleans and `$foreach`.
//!
//! String indices are UTF-16 code units, as in Java. A method that throws in Java (index out
//! of range, bad pattern) fails the render with [`MethodFault::Exception`], which is what a
//! `MethodInvocationException` does to an API Gateway mapping.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use super::jregex;
use super::json::JsonRef;
use super::number;
use super::value::{ListRef, Map, MapRef, TooLarge, Value, java_equals};

/// Why a built-in method failed.
#[derive(Debug)]
pub enum MethodFault {
    /// The Java method would have thrown.
    Exception(String),
    /// A result would exceed the configured size limits.
    TooLarge,
}

impl From<TooLarge> for MethodFault {
    fn from(_: TooLarge) -> Self {
        MethodFault::TooLarge
    }
}

/// Size limits the methods respect.
#[derive(Debug, Clone, Copy)]
pub struct MethodLimits {
    /// Longest string a method may produce (bytes).
    pub max_string: usize,
    /// Most elements a list or map may grow to.
    pub max_collection: usize,
}

type R = Result<Option<Value>, MethodFault>;

fn ex<T>(msg: impl Into<String>) -> Result<T, MethodFault> {
    Err(MethodFault::Exception(msg.into()))
}

/// Call `name(args)` on a built-in value. `Ok(None)`: no such method (renders as null).
pub fn call(recv: &Value, name: &str, args: &[Value], lim: MethodLimits) -> R {
    // Methods every object has.
    match (name, args.len()) {
        ("toString", 0) => {
            return Ok(Some(match recv {
                Value::Str(_) => recv.clone(),
                _ => Value::string(recv.to_java_string(lim.max_string)?),
            }));
        }
        ("equals", 1) => {
            let mut steps = 1_000_000;
            return Ok(Some(Value::Bool(java_equals(
                recv, &args[0], &mut steps, 0,
            )?)));
        }
        _ => {}
    }
    match recv {
        Value::Str(s) => string_method(s, name, args, lim),
        Value::List(l) => list_method(l, name, args, lim),
        Value::Map(m) => map_method(m, name, args, lim),
        Value::Json(j) => json_method(j, name, args, lim),
        Value::Entry(e) => Ok(match (name, args.len()) {
            ("getKey", 0) => Some(e.0.clone()),
            ("getValue", 0) => Some(e.1.clone()),
            _ => None,
        }),
        Value::Loop(s) => {
            let i = s.index.get();
            Ok(match (name, args.len()) {
                ("getIndex", 0) => Some(Value::Int(i as i64)),
                ("getCount", 0) => Some(Value::Int(i as i64 + 1)),
                ("hasNext", 0) | ("getHasNext", 0) => Some(Value::Bool(s.has_next.get())),
                ("isFirst", 0) | ("getFirst", 0) => Some(Value::Bool(i == 0)),
                ("isLast", 0) | ("getLast", 0) => Some(Value::Bool(!s.has_next.get())),
                _ => None,
            })
        }
        Value::Int(i) => Ok(match (name, args.len()) {
            ("intValue", 0) => Some(Value::Int(*i as i32 as i64)),
            ("longValue", 0) => Some(Value::Int(*i)),
            ("doubleValue", 0) | ("floatValue", 0) => Some(Value::Double(*i as f64)),
            ("compareTo", 1) => number::compare(recv, &args[0]).map(ord_value),
            ("hashCode", 0) => Some(Value::Int((*i ^ (*i >> 32)) as i32 as i64)),
            _ => None,
        }),
        Value::Double(d) => Ok(match (name, args.len()) {
            ("intValue", 0) => Some(Value::Int(*d as i32 as i64)),
            ("longValue", 0) => Some(Value::Int(*d as i64)),
            ("doubleValue", 0) | ("floatValue", 0) => Some(Value::Double(*d)),
            ("isNaN", 0) => Some(Value::Bool(d.is_nan())),
            ("isInfinite", 0) => Some(Value::Bool(d.is_infinite())),
            ("compareTo", 1) => number::compare(recv, &args[0]).map(ord_value),
            _ => None,
        }),
        Value::Bool(b) => Ok(match (name, args.len()) {
            ("booleanValue", 0) => Some(Value::Bool(*b)),
            _ => None,
        }),
        Value::Null | Value::Host(_) | Value::Block(_) => Ok(None),
    }
}

/// Java-bean property fallback for non-map values: `$x.empty` → `isEmpty()`,
/// `$x.class`-style getters → `getX()`.
pub fn bean_property(recv: &Value, name: &str, lim: MethodLimits) -> R {
    let mut cap = String::with_capacity(name.len() + 3);
    let mut chars = name.chars();
    if let Some(c) = chars.next() {
        cap.extend(c.to_uppercase());
        cap.push_str(chars.as_str());
    }
    for prefix in ["get", "is"] {
        let m = format!("{prefix}{cap}");
        if let Some(v) = call(recv, &m, &[], lim)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn ord_value(o: Ordering) -> Value {
    Value::Int(match o {
        Ordering::Less => -1,
        Ordering::Equal => 0,
        Ordering::Greater => 1,
    })
}

/// A string argument; `None` for null (Java would throw a NullPointerException).
fn arg_str(v: &Value, lim: MethodLimits) -> Result<Option<Cow<'_, str>>, MethodFault> {
    Ok(match v {
        Value::Null => None,
        Value::Str(s) => Some(Cow::Borrowed(&**s)),
        other => Some(Cow::Owned(other.to_java_string(lim.max_string)?)),
    })
}

fn need_str<'v>(v: &'v Value, lim: MethodLimits) -> Result<Cow<'v, str>, MethodFault> {
    match arg_str(v, lim)? {
        Some(s) => Ok(s),
        None => ex("NullPointerException"),
    }
}

fn need_int(v: &Value) -> Result<i64, MethodFault> {
    match v {
        Value::Int(i) => Ok(*i),
        _ => ex(format!("expected an int argument, got {}", v.type_name())),
    }
}

fn checked_string(s: String, lim: MethodLimits) -> R {
    if s.len() > lim.max_string {
        return Err(MethodFault::TooLarge);
    }
    Ok(Some(Value::string(s)))
}

// ----- UTF-16 index helpers ---------------------------------------------------------------

fn u16_len(s: &str) -> usize {
    if s.is_ascii() {
        s.len()
    } else {
        s.encode_utf16().count()
    }
}

fn u16_slice(s: &str, b: usize, e: usize) -> String {
    if s.is_ascii() {
        return s[b..e].to_string();
    }
    let units: Vec<u16> = s.encode_utf16().collect();
    String::from_utf16_lossy(&units[b..e])
}

/// UTF-16 index of a byte offset.
fn byte_to_u16(s: &str, byte: usize) -> usize {
    if s.is_ascii() {
        byte
    } else {
        s[..byte].encode_utf16().count()
    }
}

/// Byte offset of a UTF-16 index (rounded up to a char boundary), clamped to the length.
fn u16_to_byte(s: &str, idx: usize) -> usize {
    if s.is_ascii() {
        return idx.min(s.len());
    }
    let mut units = 0;
    for (b, c) in s.char_indices() {
        if units >= idx {
            return b;
        }
        units += c.len_utf16();
    }
    s.len()
}

fn char_arg(v: &Value, lim: MethodLimits) -> Result<Cow<'_, str>, MethodFault> {
    // indexOf(int ch) takes a code point.
    if let Value::Int(cp) = v {
        return Ok(Cow::Owned(
            u32::try_from(*cp)
                .ok()
                .and_then(char::from_u32)
                .map(String::from)
                .unwrap_or_default(),
        ));
    }
    need_str(v, lim)
}

fn index_of(s: &str, needle: &str, from: i64) -> i64 {
    let len = u16_len(s) as i64;
    let from = from.max(0);
    if from > len {
        return if needle.is_empty() { len } else { -1 };
    }
    let start = u16_to_byte(s, from as usize);
    match s[start..].find(needle) {
        Some(i) => byte_to_u16(s, start + i) as i64,
        None => -1,
    }
}

fn last_index_of(s: &str, needle: &str, from: i64) -> i64 {
    if from < 0 {
        return -1;
    }
    let len = u16_len(s) as i64;
    let from = from.min(len);
    // A match may start at `from` at the latest.
    let end_byte = u16_to_byte(s, from as usize);
    let limit = (end_byte + needle.len()).min(s.len());
    let mut limit = limit;
    while !s.is_char_boundary(limit) {
        limit -= 1;
    }
    match s[..limit].rfind(needle) {
        Some(i) => byte_to_u16(s, i) as i64,
        None => -1,
    }
}

fn java_trim(s: &str) -> &str {
    s.trim_matches(|c: char| c <= ' ')
}

fn java_hash(s: &str) -> i64 {
    let mut h: i32 = 0;
    for u in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(u as i32);
    }
    h as i64
}

fn string_method(s: &str, name: &str, args: &[Value], lim: MethodLimits) -> R {
    let n = args.len();
    let v = match (name, n) {
        ("length", 0) => Value::Int(u16_len(s) as i64),
        ("isEmpty", 0) => Value::Bool(s.is_empty()),
        ("isBlank", 0) => Value::Bool(s.chars().all(char::is_whitespace)),
        ("hashCode", 0) => Value::Int(java_hash(s)),
        ("intern", 0) => Value::str(s),
        ("charAt", 1) => {
            let i = need_int(&args[0])?;
            let len = u16_len(s) as i64;
            if i < 0 || i >= len {
                return ex(format!(
                    "StringIndexOutOfBoundsException: index {i}, length {len}"
                ));
            }
            Value::string(u16_slice(s, i as usize, i as usize + 1))
        }
        ("substring", 1 | 2) => {
            let len = u16_len(s) as i64;
            let b = need_int(&args[0])?;
            let e = if n == 2 { need_int(&args[1])? } else { len };
            if b < 0 || e > len || b > e {
                return ex(format!(
                    "StringIndexOutOfBoundsException: begin {b}, end {e}, length {len}"
                ));
            }
            Value::string(u16_slice(s, b as usize, e as usize))
        }
        ("indexOf", 1 | 2) => {
            let needle = char_arg(&args[0], lim)?;
            let from = if n == 2 { need_int(&args[1])? } else { 0 };
            Value::Int(index_of(s, &needle, from))
        }
        ("lastIndexOf", 1 | 2) => {
            let needle = char_arg(&args[0], lim)?;
            let from = if n == 2 {
                need_int(&args[1])?
            } else {
                u16_len(s) as i64
            };
            Value::Int(last_index_of(s, &needle, from))
        }
        ("contains", 1) => Value::Bool(s.contains(&*need_str(&args[0], lim)?)),
        ("startsWith", 1) => Value::Bool(s.starts_with(&*need_str(&args[0], lim)?)),
        ("startsWith", 2) => {
            let p = need_str(&args[0], lim)?;
            let off = need_int(&args[1])?;
            if off < 0 || off as usize > u16_len(s) {
                Value::Bool(false)
            } else {
                Value::Bool(s[u16_to_byte(s, off as usize)..].starts_with(&*p))
            }
        }
        ("endsWith", 1) => Value::Bool(s.ends_with(&*need_str(&args[0], lim)?)),
        ("equalsIgnoreCase", 1) => Value::Bool(match &args[0] {
            // Java: same length, and each char pair equal after upper- or lower-casing.
            Value::Str(o) => {
                u16_len(o) == u16_len(s)
                    && o.chars().zip(s.chars()).all(|(a, b)| {
                        a == b
                            || a.to_uppercase().eq(b.to_uppercase())
                            || a.to_lowercase().eq(b.to_lowercase())
                    })
            }
            _ => false,
        }),
        ("compareTo", 1) => {
            let o = need_str(&args[0], lim)?;
            Value::Int(java_compare(s, &o))
        }
        ("compareToIgnoreCase", 1) => {
            let o = need_str(&args[0], lim)?;
            Value::Int(java_compare(&s.to_lowercase(), &o.to_lowercase()))
        }
        ("toUpperCase", 0 | 1) => return checked_string(s.to_uppercase(), lim),
        ("toLowerCase", 0 | 1) => return checked_string(s.to_lowercase(), lim),
        ("trim", 0) => Value::str(java_trim(s)),
        ("strip", 0) => Value::str(s.trim()),
        ("stripLeading", 0) => Value::str(s.trim_start()),
        ("stripTrailing", 0) => Value::str(s.trim_end()),
        ("concat", 1) => {
            let o = need_str(&args[0], lim)?;
            let mut r = String::with_capacity(s.len() + o.len());
            r.push_str(s);
            r.push_str(&o);
            return checked_string(r, lim);
        }
        ("replace", 2) => {
            let from = char_arg(&args[0], lim)?;
            let to = char_arg(&args[1], lim)?;
            // Bound the result before building it.
            let count = if from.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(&*from).count()
            };
            if s.len() + count.saturating_mul(to.len()) > lim.max_string {
                return Err(MethodFault::TooLarge);
            }
            Value::string(s.replace(&*from, &to))
        }
        ("replaceAll" | "replaceFirst", 2) => {
            let re = need_str(&args[0], lim)?;
            let rep = need_str(&args[1], lim)?;
            let r = jregex::replace(&re, s, &rep, name == "replaceAll")
                .map_err(MethodFault::Exception)?;
            return checked_string(r, lim);
        }
        ("matches", 1) => {
            let re = need_str(&args[0], lim)?;
            Value::Bool(jregex::matches(&re, s).map_err(MethodFault::Exception)?)
        }
        ("split", 1 | 2) => {
            let re = need_str(&args[0], lim)?;
            let limit = if n == 2 { need_int(&args[1])? } else { 0 };
            let parts = jregex::split(&re, s, limit).map_err(MethodFault::Exception)?;
            if parts.len() > lim.max_collection {
                return Err(MethodFault::TooLarge);
            }
            Value::new_list(parts.into_iter().map(Value::string).collect())
        }
        ("repeat", 1) => {
            let times = need_int(&args[0])?;
            if times < 0 {
                return ex("IllegalArgumentException: count is negative");
            }
            if (s.len() as u128) * (times as u128) > lim.max_string as u128 {
                return Err(MethodFault::TooLarge);
            }
            Value::string(s.repeat(times as usize))
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

fn java_compare(a: &str, b: &str) -> i64 {
    let mut x = a.encode_utf16();
    let mut y = b.encode_utf16();
    loop {
        match (x.next(), y.next()) {
            (Some(p), Some(q)) if p != q => return p as i64 - q as i64,
            (Some(_), Some(_)) => {}
            (Some(_), None) | (None, Some(_)) | (None, None) => break,
        }
    }
    u16_len(a) as i64 - u16_len(b) as i64
}

fn list_index(i: &Value, len: usize, inclusive_end: bool) -> Result<usize, MethodFault> {
    let i = need_int(i)?;
    let max = if inclusive_end {
        len
    } else {
        len.saturating_sub(1)
    };
    if i < 0 || i as usize > max || (!inclusive_end && len == 0) {
        return ex(format!(
            "IndexOutOfBoundsException: Index {i} out of bounds for length {len}"
        ));
    }
    Ok(i as usize)
}

fn position(items: &[Value], x: &Value, last: bool) -> Result<i64, MethodFault> {
    let mut steps = 1_000_000u64;
    let iter: Box<dyn Iterator<Item = (usize, &Value)>> = if last {
        Box::new(items.iter().enumerate().rev())
    } else {
        Box::new(items.iter().enumerate())
    };
    for (i, v) in iter {
        if java_equals(v, x, &mut steps, 0)? {
            return Ok(i as i64);
        }
    }
    Ok(-1)
}

fn items_of(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::Json(j) => items_of(&j.materialise()),
        Value::List(l) => l.try_borrow().ok().map(|l| l.items.clone()),
        Value::Map(m) => m
            .try_borrow()
            .ok()
            .map(|m| m.keys().cloned().map(Value::Str).collect()),
        _ => None,
    }
}

fn list_method(l: &ListRef, name: &str, args: &[Value], lim: MethodLimits) -> R {
    let n = args.len();
    let busy = || MethodFault::Exception("ConcurrentModificationException".into());
    // Read-only methods.
    {
        let list = l.try_borrow().map_err(|_| busy())?;
        let items = &list.items;
        let v = match (name, n) {
            ("size", 0) => Some(Value::Int(items.len() as i64)),
            ("isEmpty", 0) => Some(Value::Bool(items.is_empty())),
            ("get", 1) => Some(items[list_index(&args[0], items.len(), false)?].clone()),
            ("contains", 1) => Some(Value::Bool(position(items, &args[0], false)? >= 0)),
            ("indexOf", 1) => Some(Value::Int(position(items, &args[0], false)?)),
            ("lastIndexOf", 1) => Some(Value::Int(position(items, &args[0], true)?)),
            ("containsAll", 1) => {
                let other = items_of(&args[0]).unwrap_or_default();
                let mut all = true;
                for o in &other {
                    if position(items, o, false)? < 0 {
                        all = false;
                        break;
                    }
                }
                Some(Value::Bool(all))
            }
            ("subList", 2) => {
                let b = list_index(&args[0], items.len(), true)?;
                let e = list_index(&args[1], items.len(), true)?;
                if b > e {
                    return ex("IllegalArgumentException: fromIndex > toIndex");
                }
                Some(Value::new_list(items[b..e].to_vec()))
            }
            ("toArray", 0) => Some(Value::new_list(items.clone())),
            ("toJSONString", 0) if list.json => {
                let mut s = String::new();
                Value::List(l.clone()).write_json(&mut s, lim.max_string, 0)?;
                Some(Value::string(s))
            }
            _ => None,
        };
        if v.is_some() {
            return Ok(v);
        }
    }
    // Mutators: compute arguments before borrowing mutably (an argument may be this list).
    let grow = |len: usize, by: usize| -> Result<(), MethodFault> {
        if len.saturating_add(by) > lim.max_collection {
            Err(MethodFault::TooLarge)
        } else {
            Ok(())
        }
    };
    let v = match (name, n) {
        ("add", 1) => {
            let mut list = l.try_borrow_mut().map_err(|_| busy())?;
            grow(list.items.len(), 1)?;
            list.items.push(args[0].clone());
            Value::Bool(true)
        }
        ("add", 2) => {
            let mut list = l.try_borrow_mut().map_err(|_| busy())?;
            let i = list_index(&args[0], list.items.len(), true)?;
            grow(list.items.len(), 1)?;
            list.items.insert(i, args[1].clone());
            Value::Null
        }
        ("addAll", 1) => {
            let Some(extra) = items_of(&args[0]) else {
                return ex("NullPointerException");
            };
            let mut list = l.try_borrow_mut().map_err(|_| busy())?;
            grow(list.items.len(), extra.len())?;
            let changed = !extra.is_empty();
            list.items.extend(extra);
            Value::Bool(changed)
        }
        ("addAll", 2) => {
            let Some(extra) = items_of(&args[1]) else {
                return ex("NullPointerException");
            };
            let mut list = l.try_borrow_mut().map_err(|_| busy())?;
            let i = list_index(&args[0], list.items.len(), true)?;
            grow(list.items.len(), extra.len())?;
            let changed = !extra.is_empty();
            list.items.splice(i..i, extra);
            Value::Bool(changed)
        }
        ("set", 2) => {
            let mut list = l.try_borrow_mut().map_err(|_| busy())?;
            let i = list_index(&args[0], list.items.len(), false)?;
            std::mem::replace(&mut list.items[i], args[1].clone())
        }
        ("remove", 1) => {
            if let Value::Int(_) = &args[0] {
                let mut list = l.try_borrow_mut().map_err(|_| busy())?;
                let i = list_index(&args[0], list.items.len(), false)?;
                list.items.remove(i)
            } else {
                let pos = {
                    let list = l.try_borrow().map_err(|_| busy())?;
                    position(&list.items, &args[0], false)?
                };
                if pos >= 0 {
                    let mut list = l.try_borrow_mut().map_err(|_| busy())?;
                    list.items.remove(pos as usize);
                }
                Value::Bool(pos >= 0)
            }
        }
        ("clear", 0) => {
            let taken = std::mem::take(&mut l.try_borrow_mut().map_err(|_| busy())?.items);
            drop(taken);
            Value::Null
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

/// A method of a lazy JSON object / array: reads natively from the document where that is
/// simple, everything else on the materialised map / list (see [`super::json`]).
fn json_method(j: &JsonRef, name: &str, args: &[Value], lim: MethodLimits) -> R {
    let n = args.len();
    if j.overridden().is_none() {
        let key =
            |v: &Value| -> Result<String, MethodFault> { Ok(v.to_java_string(lim.max_string)?) };
        let object = j.is_object();
        let v = match (object, name, n) {
            (_, "size", 0) => Some(Value::Int(j.len() as i64)),
            (_, "isEmpty", 0) => Some(Value::Bool(j.is_empty())),
            (true, "get", 1) => Some(j.property(&key(&args[0])?).unwrap_or_default()),
            (true, "getOrDefault", 2) => {
                let k = key(&args[0])?;
                Some(if j.contains_key(&k) == Some(true) {
                    j.property(&k).unwrap_or_default()
                } else {
                    args[1].clone()
                })
            }
            (true, "containsKey", 1) => {
                Some(Value::Bool(j.contains_key(&key(&args[0])?) == Some(true)))
            }
            (false, "get", 1) => {
                let i = list_index(&args[0], j.len(), false)?;
                Some(j.item(i).map(|(v, _)| v).unwrap_or_default())
            }
            _ => None,
        };
        if v.is_some() {
            return Ok(v);
        }
        let known = if object {
            matches!(
                name,
                "containsValue"
                    | "keySet"
                    | "values"
                    | "entrySet"
                    | "put"
                    | "putIfAbsent"
                    | "putAll"
                    | "remove"
                    | "clear"
            )
        } else {
            matches!(
                name,
                "contains"
                    | "indexOf"
                    | "lastIndexOf"
                    | "containsAll"
                    | "subList"
                    | "toArray"
                    | "toJSONString"
                    | "add"
                    | "addAll"
                    | "set"
                    | "remove"
                    | "clear"
            )
        };
        if !known {
            // No such method: nothing to materialise.
            return Ok(None);
        }
    }
    match j.materialise() {
        Value::Map(m) => map_method(&m, name, args, lim),
        Value::List(l) => list_method(&l, name, args, lim),
        _ => Ok(None),
    }
}

fn map_method(m: &MapRef, name: &str, args: &[Value], lim: MethodLimits) -> R {
    let n = args.len();
    let busy = || MethodFault::Exception("ConcurrentModificationException".into());
    let key = |v: &Value| -> Result<String, MethodFault> { Ok(v.to_java_string(lim.max_string)?) };
    {
        let map = m.try_borrow().map_err(|_| busy())?;
        let v = match (name, n) {
            ("get", 1) => Some(
                map.get(key(&args[0])?.as_str())
                    .cloned()
                    .unwrap_or_default(),
            ),
            ("getOrDefault", 2) => Some(
                map.get(key(&args[0])?.as_str())
                    .cloned()
                    .unwrap_or_else(|| args[1].clone()),
            ),
            ("containsKey", 1) => Some(Value::Bool(map.contains_key(key(&args[0])?.as_str()))),
            ("containsValue", 1) => {
                let mut steps = 1_000_000u64;
                let mut found = false;
                for v in map.values() {
                    if java_equals(v, &args[0], &mut steps, 0)? {
                        found = true;
                        break;
                    }
                }
                Some(Value::Bool(found))
            }
            ("size", 0) => Some(Value::Int(map.len() as i64)),
            ("isEmpty", 0) => Some(Value::Bool(map.is_empty())),
            ("keySet", 0) => Some(Value::new_list(map.keys().map(|k| Value::str(k)).collect())),
            ("values", 0) => Some(Value::new_list(map.values().cloned().collect())),
            ("entrySet", 0) => Some(Value::new_list(
                map.iter()
                    .map(|(k, v)| Value::Entry(std::rc::Rc::new((Value::str(k), v.clone()))))
                    .collect(),
            )),
            _ => None,
        };
        if v.is_some() {
            return Ok(v);
        }
    }
    let v = match (name, n) {
        ("put", 2) => {
            let k = key(&args[0])?;
            let mut map = m.try_borrow_mut().map_err(|_| busy())?;
            if !map.contains_key(k.as_str()) && map.len() >= lim.max_collection {
                return Err(MethodFault::TooLarge);
            }
            map.insert(Arc::from(k), args[1].clone())
                .unwrap_or_default()
        }
        ("putIfAbsent", 2) => {
            let k = key(&args[0])?;
            let mut map = m.try_borrow_mut().map_err(|_| busy())?;
            match map.get(k.as_str()) {
                Some(existing) if !existing.is_null() => existing.clone(),
                _ => {
                    if map.len() >= lim.max_collection {
                        return Err(MethodFault::TooLarge);
                    }
                    map.insert(Arc::from(k), args[1].clone());
                    Value::Null
                }
            }
        }
        ("putAll", 1) => {
            let entries: Vec<(Arc<str>, Value)> = match &*args[0].materialised() {
                Value::Map(o) => o
                    .try_borrow()
                    .map_err(|_| busy())?
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                _ => return ex("NullPointerException"),
            };
            let mut map = m.try_borrow_mut().map_err(|_| busy())?;
            if map.len().saturating_add(entries.len()) > lim.max_collection {
                return Err(MethodFault::TooLarge);
            }
            map.extend(entries);
            Value::Null
        }
        ("remove", 1) => {
            let k = key(&args[0])?;
            m.try_borrow_mut()
                .map_err(|_| busy())?
                .shift_remove(k.as_str())
                .unwrap_or_default()
        }
        ("clear", 0) => {
            let taken: Map = std::mem::take(&mut *m.try_borrow_mut().map_err(|_| busy())?);
            drop(taken);
            Value::Null
        }
        _ => return Ok(None),
    };
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIM: MethodLimits = MethodLimits {
        max_string: 1 << 20,
        max_collection: 10_000,
    };

    fn s(v: &str) -> Value {
        Value::str(v)
    }

    fn call_str(recv: &str, name: &str, args: &[Value]) -> String {
        call(&s(recv), name, args, LIM)
            .unwrap()
            .unwrap()
            .to_java_string(1 << 20)
            .unwrap()
    }

    #[test]
    fn string_methods() {
        assert_eq!(
            call_str("something", "substring", &[Value::Int(3), Value::Int(6)]),
            "eth"
        );
        assert_eq!(call_str("something", "indexOf", &[s("e")]), "3");
        assert_eq!(call_str("abcabc", "lastIndexOf", &[s("c")]), "5");
        assert_eq!(call_str("abcabc", "charAt", &[Value::Int(1)]), "b");
        assert_eq!(call_str("  padded  ", "trim", &[]), "padded");
        assert_eq!(call_str("a,b,,c", "split", &[s(",")]), "[a, b, , c]");
        assert_eq!(call_str("Grüße 👋", "length", &[]), "8");
        assert_eq!(call_str("👋x", "indexOf", &[s("x")]), "2");
        assert_eq!(call_str("it's", "equalsIgnoreCase", &[s("IT'S")]), "true");
        assert!(call(&s("abc"), "substring", &[Value::Int(5)], LIM).is_err());
        assert!(call(&s("abc"), "nope", &[], LIM).unwrap().is_none());
    }

    #[test]
    fn list_and_map_methods() {
        let l = Value::new_list(vec![s("one"), s("two")]);
        assert_eq!(
            call(&l, "set", &[Value::Int(1), s("foo")], LIM)
                .unwrap()
                .unwrap()
                .as_str(),
            Some("two")
        );
        assert!(call(&l, "get", &[Value::Int(9)], LIM).is_err());
        // addAll of itself must not panic on a double borrow.
        call(&l, "addAll", std::slice::from_ref(&l), LIM).unwrap();
        assert_eq!(l.to_java_string(1000).unwrap(), "[one, foo, one, foo]");
        let m = Value::new_map(Map::default());
        assert!(
            call(&m, "put", &[s("k"), s("v")], LIM)
                .unwrap()
                .unwrap()
                .is_null()
        );
        assert_eq!(
            call(&m, "put", &[s("k"), s("w")], LIM)
                .unwrap()
                .unwrap()
                .as_str(),
            Some("v")
        );
        assert_eq!(
            call(&m, "keySet", &[], LIM)
                .unwrap()
                .unwrap()
                .to_java_string(99)
                .unwrap(),
            "[k]"
        );
    }

    #[test]
    fn growth_is_bounded() {
        let l = Value::new_list((0..6000).map(Value::Int).collect());
        assert!(matches!(
            call(&l, "addAll", std::slice::from_ref(&l), LIM),
            Err(MethodFault::TooLarge)
        ));
        assert!(matches!(
            call(&s("ab"), "repeat", &[Value::Int(1 << 40)], LIM),
            Err(MethodFault::TooLarge)
        ));
    }
}
