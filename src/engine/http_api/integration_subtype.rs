//! AWS service integrations of HTTP APIs (`integrationSubtype`): the request parameters are
//! evaluated against the request, become the action's input (a form for query services such
//! as SQS, a JSON document for JSON services such as Step Functions, Kinesis and
//! EventBridge), and go out through the AWS service integration machinery of REST APIs
//! (`integrations::aws`: endpoint from `[aws]`, SigV4 with the configured credentials) and
//! the shared HTTP client. The service's response is the route's response.

use bytes::Bytes;
use http::HeaderMap;
use serde_json::{Map, Value};

use super::HttpContext;
use super::integration::{Outbound, send};
use super::live::CompiledIntegration;
use super::mapping;
use super::respond::HttpError;
use crate::auth::sigv4::uri_encode;
use crate::engine::Gateway;
use crate::engine::integrations::aws::{self, Kind, Target};
use crate::model::v2::integration_subtype::Subtype;
use crate::model::v2::mapping::Part;

/// Calls the subtype's action; `(status, headers, body)` of the service's answer.
pub async fn call(
    gw: &Gateway,
    ctx: &mut HttpContext<'_>,
    integration: &CompiledIntegration,
    subtype: &'static Subtype,
    params: &[(String, Vec<Part>)],
) -> Result<(u16, HeaderMap, Bytes), HttpError> {
    // An expression that resolves to nothing leaves its parameter out; the service then
    // answers for a missing required one, as it does on AWS.
    let values: Vec<(&str, String)> = params
        .iter()
        .map(|(name, parts)| (name.as_str(), mapping::render(ctx, parts, None)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let region = values
        .iter()
        .find(|(k, _)| *k == "Region")
        .map_or(crate::engine::REGION, |(_, v)| v.as_str());
    let input: Vec<(&str, &str)> = values
        .iter()
        .filter(|(k, _)| *k != "Region")
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    let body = match subtype.service {
        "sqs" => query_body(&input)?,
        "states" => json_body(&input, lower_first),
        "events" => event_entries(&input),
        _ => json_body(&input, str::to_string),
    };
    let target = Target {
        region,
        service: subtype.service,
        subdomain: None,
        kind: Kind::Action {
            action: subtype.action,
            params: "",
        },
    };
    let settings = gw.inner.aws.load();
    let request = aws::build(
        &settings,
        &target,
        aws::Parts {
            verb: "POST",
            params: &[],
            client_content_type: None,
            body: Bytes::from(body),
            // HTTP APIs have no X-Ray tracing (http-websocket.md: "features absent in v2").
            trace: None,
        },
        time::OffsetDateTime::now_utc(),
    )
    .map_err(|e| HttpError::Internal(e.log_reason().unwrap_or_else(|| format!("{e:?}"))))?;
    let what = format!("{} {}", subtype.service, subtype.action);
    let outbound = Outbound {
        method: request.method,
        url: &request.url,
        headers: request.headers,
        body: request.body,
    };
    send(gw, ctx, integration, outbound, &what).await
}

fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) => c.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// JSON protocol input: one string member per parameter, named by `key`.
fn json_body(input: &[(&str, &str)], key: fn(&str) -> String) -> Vec<u8> {
    let doc: Map<String, Value> = input
        .iter()
        .map(|(k, v)| (key(k), Value::String((*v).to_string())))
        .collect();
    Value::Object(doc).to_string().into_bytes()
}

/// PutEvents takes one entry: `Resources` is a JSON array (or one ARN), `Time` epoch seconds
/// or a date as the service reads it.
fn event_entries(input: &[(&str, &str)]) -> Vec<u8> {
    let mut entry = Map::new();
    for (k, v) in input {
        let value = match *k {
            "Resources" => match serde_json::from_str::<Value>(v) {
                Ok(Value::Array(a)) => Value::Array(a),
                _ => Value::Array(vec![Value::String((*v).to_string())]),
            },
            "Time" => match v.parse::<f64>() {
                Ok(n) => serde_json::Number::from_f64(n)
                    .map_or_else(|| Value::String((*v).to_string()), Value::Number),
                Err(_) => Value::String((*v).to_string()),
            },
            _ => Value::String((*v).to_string()),
        };
        entry.insert((*k).to_string(), value);
    }
    serde_json::json!({ "Entries": [entry] })
        .to_string()
        .into_bytes()
}

/// Query protocol input (form-encoded). Lists (`AttributeNames`, `MessageAttributeNames`)
/// are a JSON array or comma-separated; attribute maps (`MessageAttributes`,
/// `MessageSystemAttributes`) are JSON objects of `{DataType, StringValue|BinaryValue}`, as
/// the JSON form of the service takes them. `ContentType=JSON` asks for the JSON form of the
/// answer (`{"SendMessageResponse": …}`), which is what an HTTP API returns.
fn query_body(input: &[(&str, &str)]) -> Result<Vec<u8>, HttpError> {
    let mut form = Form::default();
    form.append_pair("ContentType", "JSON");
    for (k, v) in input {
        match *k {
            "AttributeNames" => list(&mut form, "AttributeName", v),
            "MessageAttributeNames" => list(&mut form, "MessageAttributeName", v),
            "MessageAttributes" => attributes(&mut form, "MessageAttribute", k, v)?,
            "MessageSystemAttributes" => attributes(&mut form, "MessageSystemAttribute", k, v)?,
            _ => {
                form.append_pair(k, v);
            }
        }
    }
    Ok(form.finish().into_bytes())
}

/// `application/x-www-form-urlencoded` pairs: unreserved characters kept, space as `+`,
/// everything else percent-encoded (what botocore and Python's `urlencode` write, so a
/// service that re-encodes the form to check the signature gets the same bytes).
#[derive(Default)]
struct Form(Vec<String>);

fn form_encode(s: &str) -> String {
    uri_encode(s, false).replace("%20", "+")
}

impl Form {
    fn append_pair(&mut self, name: &str, value: &str) {
        self.0
            .push(format!("{}={}", form_encode(name), form_encode(value)));
    }

    fn finish(self) -> String {
        self.0.join("&")
    }
}

fn list(form: &mut Form, prefix: &str, value: &str) {
    let items: Vec<String> = match serde_json::from_str::<Value>(value) {
        Ok(Value::Array(a)) => a
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect(),
        _ => value
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    for (n, item) in items.iter().enumerate() {
        form.append_pair(&format!("{prefix}.{}", n + 1), item);
    }
}

fn attributes(form: &mut Form, prefix: &str, key: &str, value: &str) -> Result<(), HttpError> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(value) else {
        let shown: String = value.chars().take(200).collect();
        return Err(HttpError::Internal(format!(
            "{key} must be a JSON object of attributes, got {shown}"
        )));
    };
    for (n, (name, attr)) in map.iter().enumerate() {
        let base = format!("{prefix}.{}", n + 1);
        form.append_pair(&format!("{base}.Name"), name);
        let Value::Object(fields) = attr else {
            return Err(HttpError::Internal(format!(
                "{key}.{name} must be an object with DataType and StringValue or BinaryValue"
            )));
        };
        for (field, v) in fields {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            form.append_pair(&format!("{base}.Value.{field}"), &text);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &[u8]) -> Vec<(String, String)> {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        String::from_utf8_lossy(body)
            .split('&')
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (decode(k), decode(v)))
            .collect()
    }

    #[test]
    fn sqs_input_is_a_form_with_flattened_lists_and_attributes() {
        let body = query_body(&[
            ("QueueUrl", "http://q/1/orders"),
            ("MessageBody", "a & b"),
            (
                "MessageAttributes",
                r#"{"kind":{"DataType":"String","StringValue":"gift"}}"#,
            ),
            ("AttributeNames", r#"["All"]"#),
            ("MessageAttributeNames", "kind, other"),
        ])
        .expect("valid");
        let pairs = form(&body);
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("ContentType"), Some("JSON"));
        assert_eq!(get("MessageBody"), Some("a & b"));
        assert_eq!(get("MessageAttribute.1.Name"), Some("kind"));
        assert_eq!(get("MessageAttribute.1.Value.DataType"), Some("String"));
        assert_eq!(get("MessageAttribute.1.Value.StringValue"), Some("gift"));
        assert_eq!(get("AttributeName.1"), Some("All"));
        assert_eq!(get("MessageAttributeName.2"), Some("other"));
        assert!(query_body(&[("MessageAttributes", "not json")]).is_err());
        // A long non-ASCII value is cut on a character, never inside one.
        let long = "é".repeat(300);
        assert!(query_body(&[("MessageAttributes", long.as_str())]).is_err());
    }

    #[test]
    fn json_services_take_their_member_names() {
        let states = json_body(
            &[("StateMachineArn", "arn:sm"), ("Input", "{}")],
            lower_first,
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&states).expect("json"),
            serde_json::json!({"stateMachineArn": "arn:sm", "input": "{}"})
        );
        let events = event_entries(&[
            ("Source", "shop"),
            ("Resources", r#"["arn:a","arn:b"]"#),
            ("Time", "1700000000"),
        ]);
        assert_eq!(
            serde_json::from_slice::<Value>(&events).expect("json"),
            serde_json::json!({"Entries": [{"Source": "shop", "Resources": ["arn:a", "arn:b"], "Time": 1700000000.0}]})
        );
    }
}
