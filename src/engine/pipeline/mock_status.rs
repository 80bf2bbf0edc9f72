//! `statusCode` of a rendered MOCK request template, read without building a
//! `serde_json::Value` of the whole template (that was three allocations per MOCK request).
//! Same answers as reading the member from a `Value`: an integer 0–65535, or a string holding
//! one (trimmed); anything else is no status. The template must be valid JSON and an object;
//! a repeated `statusCode` counts by its last occurrence, as in a `Value`.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The template's `statusCode`, when it has a usable one.
pub(super) struct MockStatus(pub(super) Option<u16>);

impl<'de> Deserialize<'de> for MockStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object;
        impl<'de> Visitor<'de> for Object {
            type Value = MockStatus;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MockStatus, A::Error> {
                let mut status = None;
                while let Some(StatusKey(is_status)) = map.next_key()? {
                    if is_status {
                        status = map.next_value::<StatusValue>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(MockStatus(status))
            }
        }
        d.deserialize_map(Object)
    }
}

/// Whether a member's name is `statusCode` (compared where it lies, escaped names in
/// serde_json's scratch buffer: no allocation either way).
struct StatusKey(bool);

impl<'de> Deserialize<'de> for StatusKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = StatusKey;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusKey, E> {
                Ok(StatusKey(v == "statusCode"))
            }
        }
        d.deserialize_str(Name)
    }
}

/// A `statusCode` value: `Some` for an integer or numeric string that fits a `u16`.
struct StatusValue(Option<u16>);

impl<'de> Deserialize<'de> for StatusValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Value;
        impl<'de> Visitor<'de> for Value {
            type Value = StatusValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusValue, E> {
                Ok(StatusValue(u16::try_from(v).ok()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<StatusValue, E> {
                Ok(StatusValue(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<StatusValue, E> {
                Ok(StatusValue(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<StatusValue, E> {
                Ok(StatusValue(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StatusValue, E> {
                Ok(StatusValue(None))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusValue, E> {
                Ok(StatusValue(v.trim().parse().ok()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusValue, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(StatusValue(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<StatusValue, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StatusValue(None))
            }
        }
        d.deserialize_any(Value)
    }
}

#[cfg(test)]
mod tests {
    use super::super::integration_request::parse_mock_status;

    /// The reading this replaced: a whole `serde_json::Value`, then its `statusCode`.
    fn by_value(rendered: &str) -> Option<u16> {
        let value: serde_json::Value = serde_json::from_str(rendered).ok()?;
        match value.get("statusCode")? {
            serde_json::Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            serde_json::Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    #[test]
    fn same_answers_as_reading_a_value() {
        let cases = [
            r#"{"statusCode": 200}"#,
            r#"{"statusCode": "404"}"#,
            r#"{"statusCode": " 201 "}"#,
            r#"{"statusCode": 200.0}"#,
            r#"{"statusCode": -1}"#,
            r#"{"statusCode": 70000}"#,
            r#"{"statusCode": 1e2}"#,
            r#"{"statusCode": null}"#,
            r#"{"statusCode": true}"#,
            r#"{"statusCode": [200]}"#,
            r#"{"statusCode": {"a": 200}}"#,
            r#"{"statusCode": "abc"}"#,
            r#"{"statusCode": 200, "statusCode": 404}"#,
            r#"{"statusCode": 200, "statusCode": "x"}"#,
            r#"{"status\u0043ode": 202}"#,
            r#"{"a": {"b": [1, 2, {"c": null}]}, "statusCode": 500, "z": "s"}"#,
            r#"{"other": 1}"#,
            r#"{}"#,
            r#"[{"statusCode": 200}]"#,
            r#"200"#,
            r#""200""#,
            r#"{"statusCode": 200"#,
            r#"{"statusCode": 200} trailing"#,
            r#"{"statusCode": 200,}"#,
            "",
            "  {\"statusCode\":\n 204 }  ",
        ];
        for case in cases {
            assert_eq!(parse_mock_status(case), by_value(case), "{case:?}");
        }
        assert_eq!(parse_mock_status(r#"{"statusCode": 200}"#), Some(200));
        assert_eq!(parse_mock_status(r#"{"status\u0043ode": 202}"#), Some(202));
        assert_eq!(
            parse_mock_status(r#"{"statusCode": 200, "statusCode": 404}"#),
            Some(404)
        );
    }
}
