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
