//! Java number semantics: `Double.toString` formatting and Velocity's arithmetic
//! (integers widen instead of overflowing, integer division truncates toward zero, `%` keeps
//! the dividend's sign, division by zero yields null).

use std::fmt::Write as _;

use super::value::Value;

/// Append `d` formatted like Java's `Double.toString(d)`: `10.0`, `0.05`, `1.0E21`, `1.0E-4`.
pub fn write_double(d: f64, out: &mut String) {
    if d.is_nan() {
        out.push_str("NaN");
        return;
    }
    if d.is_infinite() {
        out.push_str(if d > 0.0 { "Infinity" } else { "-Infinity" });
        return;
    }
    if d == 0.0 {
        out.push_str(if d.is_sign_negative() { "-0.0" } else { "0.0" });
        return;
    }
    let a = d.abs();
    if (1e-3..1e7).contains(&a) {
        if write_short_decimal(d, out) {
            return;
        }
        // Rust's shortest round-trip decimal form, plus Java's ".0" for integral values.
        let start = out.len();
        let _ = write!(out, "{d}");
        if !out[start..].contains('.') {
            out.push_str(".0");
        }
        return;
    }
    if d < 0.0 {
        out.push('-');
    }
    // Shortest round-trip digits from Rust, e.g. "1.2345e-5".
    let sci = format!("{a:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.as_str();
    out.push_str(&digits[..1]);
    out.push('.');
    if digits.len() > 1 {
        out.push_str(&digits[1..]);
    } else {
        out.push('0');
    }
    out.push('E');
    let _ = write!(out, "{exp}");
}

/// Exact powers of ten representable in an `f64`.
const POW10: [f64; 7] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6];

/// The common case of [`write_double`] without the general float formatter: a value in
/// `[1e-3, 1e7)` that is exactly the double nearest to `m / 10^k` for some integer `m` and
/// `k <= 6` (prices, ratios, whole numbers). For the smallest such `k`, `m / 10^k` is the
/// shortest decimal that reads back as `d` — the digits Rust's `{d}` prints — because at
/// most one decimal of 15 significant digits lies within a double's rounding interval.
/// Returns `false` (writing nothing) for other values.
fn write_short_decimal(d: f64, out: &mut String) -> bool {
    let a = d.abs();
    for (k, &p) in POW10.iter().enumerate() {
        let scaled = a * p;
        if scaled >= 1e15 {
            return false;
        }
        // Round half up (`a` is positive) without a libm call.
        let m = (scaled + 0.5) as u64 as f64;
        if m / p == a {
            if d < 0.0 {
                out.push('-');
            }
            let mut digits = [b'0'; 24];
            let mut n = m as u64;
            let mut i = digits.len();
            while n > 0 || digits.len() - i <= k {
                i -= 1;
                digits[i] = b'0' + (n % 10) as u8;
                n /= 10;
            }
            let (int, frac) = digits[i..].split_at(digits.len() - i - k);
            push_ascii(int, out);
            out.push('.');
            if k == 0 {
                out.push('0');
            } else {
                push_ascii(frac, out);
            }
            return true;
        }
    }
    false
}

/// Append the decimal form of `i` (what `{i}` prints, without the formatting machinery).
pub fn write_int(i: i64, out: &mut String) {
    if (0..100).contains(&i) {
        // One or two digits (counters, small ids): no digit buffer.
        let i = i as u8;
        if i >= 10 {
            out.push(char::from(b'0' + i / 10));
        }
        out.push(char::from(b'0' + i % 10));
        return;
    }
    let mut digits = [0u8; 20];
    let mut n = i.unsigned_abs();
    let mut p = digits.len();
    loop {
        p -= 1;
        digits[p] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if i < 0 {
        out.push('-');
    }
    push_ascii(&digits[p..], out);
}

/// Append ASCII digits (cheaper than validating them as UTF-8 first).
#[inline]
fn push_ascii(digits: &[u8], out: &mut String) {
    out.reserve(digits.len());
    for &d in digits {
        out.push(char::from(d));
    }
}

/// Java `Double.toString` as a `String`.
pub fn double_to_string(d: f64) -> String {
    let mut s = String::new();
    write_double(d, &mut s);
    s
}

/// Arithmetic operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

/// Velocity arithmetic on two numbers; `None` when an operand is not a number or on division
/// by zero (Velocity logs and yields null).
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Option<Value> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            let r = match op {
                ArithOp::Add => x.checked_add(y),
                ArithOp::Sub => x.checked_sub(y),
                ArithOp::Mul => x.checked_mul(y),
                ArithOp::Div => {
                    if y == 0 {
                        return None;
                    }
                    x.checked_div(y)
                }
                ArithOp::Mod => {
                    if y == 0 {
                        return None;
                    }
                    x.checked_rem(y)
                }
            };
            match r {
                Some(r) => Some(Value::Int(r)),
                // Beyond a Java long Velocity moves to BigInteger; a double is our widest.
                None => float_op(op, x as f64, y as f64),
            }
        }
        (Value::Int(_) | Value::Double(_), Value::Int(_) | Value::Double(_)) => {
            float_op(op, as_f64(a)?, as_f64(b)?)
        }
        _ => None,
    }
}

fn float_op(op: ArithOp, x: f64, y: f64) -> Option<Value> {
    Some(Value::Double(match op {
        ArithOp::Add => x + y,
        ArithOp::Sub => x - y,
        ArithOp::Mul => x * y,
        ArithOp::Div => {
            if y == 0.0 {
                return None;
            }
            x / y
        }
        ArithOp::Mod => {
            if y == 0.0 {
                return None;
            }
            x % y
        }
    }))
}

/// The number as `f64`, if it is one.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        _ => None,
    }
}

/// Compare two numbers; `None` if either is not a number (or NaN is involved).
pub fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        _ => as_f64(a)?.partial_cmp(&as_f64(b)?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast decimal path prints exactly what the general one (`{d}` + ".0") does.
    #[test]
    fn short_decimals_match_the_general_formatter() {
        let general = |d: f64| {
            let mut s = format!("{d}");
            if !s.contains('.') {
                s.push_str(".0");
            }
            s
        };
        let check = |d: f64| {
            if !(1e-3..1e7).contains(&d.abs()) {
                return;
            }
            let mut s = String::new();
            if write_short_decimal(d, &mut s) {
                assert_eq!(s, general(d), "{d:?}");
            }
        };
        for i in 0..20_000i64 {
            for div in [
                1.0, 2.0, 4.0, 8.0, 10.0, 100.0, 1000.0, 3.0, 7.0, 1e4, 1e5, 1e6, 1e7,
            ] {
                check(i as f64 / div);
                check(-(i as f64) / div);
                check(i as f64 * 0.1);
                check(10.5 + i as f64 / div);
            }
        }
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            check(f64::from_bits(x));
            check((x % 10_000_000) as f64 / 1000.0);
            check((x % 1_000_000_000_000) as f64 / 1e6);
        }
        let mut n = String::new();
        for i in [
            0,
            1,
            7,
            9,
            -1,
            -7,
            10,
            42,
            99,
            100,
            101,
            -99,
            -100,
            i64::MAX,
            i64::MIN,
        ] {
            n.clear();
            write_int(i, &mut n);
            assert_eq!(n, i.to_string());
        }
    }

    #[test]
    fn java_double_strings() {
        for (d, s) in [
            (10.0, "10.0"),
            (2.0, "2.0"),
            (0.05, "0.05"),
            (249.99, "249.99"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1e7, "1.0E7"),
            (9_999_999.0, "9999999.0"),
            (1e21, "1.0E21"),
            (1.5e-7, "1.5E-7"),
            (-2.5, "-2.5"),
            (123456.789, "123456.789"),
            (0.0, "0.0"),
        ] {
            assert_eq!(double_to_string(d), s, "{d}");
        }
    }

    #[test]
    fn integer_arithmetic_is_java_like() {
        let i = |v| Value::Int(v);
        assert_eq!(
            arith(ArithOp::Div, &i(7), &i(2)).and_then(|v| v.as_int()),
            Some(3)
        );
        assert_eq!(
            arith(ArithOp::Div, &i(-7), &i(2)).and_then(|v| v.as_int()),
            Some(-3)
        );
        assert_eq!(
            arith(ArithOp::Mod, &i(-7), &i(3)).and_then(|v| v.as_int()),
            Some(-1)
        );
        assert!(arith(ArithOp::Div, &i(1), &i(0)).is_none());
        assert!(matches!(
            arith(ArithOp::Add, &i(i64::MAX), &i(1)),
            Some(Value::Double(_))
        ));
        assert!(matches!(
            arith(ArithOp::Mul, &Value::Double(2.5), &i(2)),
            Some(Value::Double(d)) if d == 5.0
        ));
    }
}
