//! Checks for HTTP API routes, integrations, authorizers and stages, with the
//! `BadRequestException` a wrong value gets. Nothing that fails here is stored.

use super::mapping::{self, MappingKey, Side};
use super::{Authorizer, DEFAULT, Integration};
use crate::model::AdminError;

/// Integration timeouts of HTTP APIs: 50–30,000 ms, default 30 s.
pub const DEFAULT_TIMEOUT_MILLIS: i64 = 30_000;
pub const MIN_TIMEOUT_MILLIS: i64 = 50;
pub const MAX_TIMEOUT_MILLIS: i64 = 30_000;

const HTTP_METHODS: &[&str] = &[
    "ANY", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS",
];

fn bad(m: impl Into<String>) -> AdminError {
    AdminError::bad_request(m)
}

/// Checks an integration (after defaults were applied) and fills what AWS fills in.
/// `is_function` says whether a URI names a Lambda function (the engine's parser).
pub fn integration(
    i: &mut Integration,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<(), AdminError> {
    if let Some(subtype) = i.integration_subtype.clone() {
        super::integration_subtype::validate(i, &subtype)?;
    } else {
        kind(i, is_function)?;
    }
    common(i)
}

/// The checks of Lambda (`AWS_PROXY`) and `HTTP_PROXY` integrations.
fn kind(i: &mut Integration, is_function: &dyn Fn(&str) -> bool) -> Result<(), AdminError> {
    match i.integration_type.as_str() {
        "AWS_PROXY" => {
            let uri = i
                .integration_uri
                .as_deref()
                .ok_or_else(|| bad("IntegrationUri is required for AWS_PROXY integrations"))?;
            if !is_function(uri) {
                return Err(bad(format!(
                    "Invalid IntegrationUri specified: {uri} is not a Lambda function ARN"
                )));
            }
            match i.payload_format_version.as_deref() {
                Some("1.0" | "2.0") => {}
                None => {
                    return Err(bad(
                        "PayloadFormatVersion is required for AWS_PROXY integrations on HTTP APIs",
                    ));
                }
                Some(v) => {
                    return Err(bad(format!(
                        "Invalid PayloadFormatVersion: {v}. Valid values are 1.0, 2.0"
                    )));
                }
            }
            if i.integration_method.is_none() {
                i.integration_method = Some("POST".into());
            }
        }
        "HTTP_PROXY" => {
            let uri = i
                .integration_uri
                .as_deref()
                .ok_or_else(|| bad("IntegrationUri is required for HTTP_PROXY integrations"))?;
            if !(uri.starts_with("http://") || uri.starts_with("https://")) {
                return Err(bad(format!(
                    "Invalid IntegrationUri specified: {uri} (an HTTP_PROXY integration takes an http:// or https:// URL)"
                )));
            }
            match i.payload_format_version.as_deref() {
                None | Some("1.0") => i.payload_format_version = Some("1.0".into()),
                Some(v) => {
                    return Err(bad(format!(
                        "Invalid PayloadFormatVersion: {v}. HTTP_PROXY integrations support 1.0"
                    )));
                }
            }
            let method = i.integration_method.get_or_insert_with(|| "ANY".into());
            if !HTTP_METHODS.contains(&method.as_str()) {
                return Err(bad(format!(
                    "Invalid IntegrationMethod specified: {method}"
                )));
            }
        }
        "" => return Err(bad("IntegrationType is required")),
        other => {
            return Err(bad(format!(
                "Unsupported integration type for an HTTP API: {other}. Valid values are AWS_PROXY, HTTP_PROXY"
            )));
        }
    }
    Ok(())
}

/// Timeout and parameter-mapping checks every integration gets.
fn common(i: &mut Integration) -> Result<(), AdminError> {
    if i.timeout_in_millis == 0 {
        i.timeout_in_millis = DEFAULT_TIMEOUT_MILLIS;
    }
    if !(MIN_TIMEOUT_MILLIS..=MAX_TIMEOUT_MILLIS).contains(&i.timeout_in_millis) {
        return Err(bad(format!(
            "Invalid timeoutInMillis specified: {}. Must be between {MIN_TIMEOUT_MILLIS} and {MAX_TIMEOUT_MILLIS}",
            i.timeout_in_millis
        )));
    }
    // A subtype's request parameters are keyed by the action's parameter names (checked
    // by `integration_subtype::validate`).
    if i.integration_subtype.is_none() {
        for (key, value) in &i.request_parameters {
            MappingKey::parse(key, Side::Request)?;
            mapping::parse_value(value, Side::Request)?;
        }
    }
    for (status, params) in &i.response_parameters {
        if !status
            .parse::<u16>()
            .is_ok_and(|s| (200..=599).contains(&s))
        {
            return Err(bad(format!(
                "Invalid response parameters key: {status} (a status code 200-599)"
            )));
        }
        for (key, value) in params {
            MappingKey::parse(key, Side::Response)?;
            mapping::parse_value(value, Side::Response)?;
        }
    }
    Ok(())
}

fn identity_source(source: &str) -> Result<(), AdminError> {
    let ok = [
        "$request.header.",
        "$request.querystring.",
        "$context.",
        "$stageVariables.",
    ]
    .iter()
    .any(|p| source.strip_prefix(p).is_some_and(|rest| !rest.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(bad(format!("Invalid identity source specified: {source}")))
    }
}

/// Checks an authorizer and fills AWS's defaults.
pub fn authorizer(
    a: &mut Authorizer,
    is_function: &dyn Fn(&str) -> bool,
) -> Result<(), AdminError> {
    if a.name.is_empty() {
        return Err(bad("Name is required"));
    }
    match a.authorizer_type.as_str() {
        "JWT" => {
            let jwt = a
                .jwt_configuration
                .as_ref()
                .ok_or_else(|| bad("JwtConfiguration is required for JWT authorizers"))?;
            let issuer = jwt.issuer.as_deref().unwrap_or_default();
            if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
                return Err(bad(format!(
                    "Invalid issuer specified: '{issuer}' is not a URL"
                )));
            }
            if jwt.audience.len() > 50 {
                return Err(bad("A JWT authorizer allows at most 50 audiences"));
            }
            if a.identity_source.len() != 1 {
                return Err(bad(
                    "A JWT authorizer takes exactly one identity source, such as $request.header.Authorization",
                ));
            }
            if a.authorizer_uri.is_some() {
                return Err(bad("AuthorizerUri is not allowed for JWT authorizers"));
            }
        }
        "REQUEST" => {
            let uri = a
                .authorizer_uri
                .as_deref()
                .ok_or_else(|| bad("AuthorizerUri is required for REQUEST authorizers"))?;
            if !is_function(uri) {
                return Err(bad(format!("Invalid AuthorizerUri specified: {uri}")));
            }
            match a.authorizer_payload_format_version.as_deref() {
                Some("1.0" | "2.0") => {}
                None => {
                    return Err(bad(
                        "AuthorizerPayloadFormatVersion is required for REQUEST authorizers",
                    ));
                }
                Some(v) => {
                    return Err(bad(format!(
                        "Invalid AuthorizerPayloadFormatVersion: {v}. Valid values are 1.0, 2.0"
                    )));
                }
            }
            if a.enable_simple_responses == Some(true)
                && a.authorizer_payload_format_version.as_deref() != Some("2.0")
            {
                return Err(bad(
                    "EnableSimpleResponses is only supported with AuthorizerPayloadFormatVersion 2.0",
                ));
            }
            let ttl = *a.authorizer_result_ttl_in_seconds.get_or_insert(0);
            if !(0..=3600).contains(&ttl) {
                return Err(bad(format!(
                    "Invalid authorizerResultTtlInSeconds: {ttl}. Must be between 0 and 3600"
                )));
            }
            if ttl > 0 && a.identity_source.is_empty() {
                return Err(bad(
                    "IdentitySource is required when authorizer caching is enabled",
                ));
            }
        }
        other => {
            return Err(bad(format!(
                "Invalid authorizer type specified: '{other}'. Valid values for HTTP APIs are JWT, REQUEST"
            )));
        }
    }
    for s in &a.identity_source {
        identity_source(s)?;
    }
    Ok(())
}

/// Stage names: `$default`, or 1–128 letters, digits, `-` and `_`.
pub fn stage_name(name: &str) -> Result<(), AdminError> {
    if name == DEFAULT
        || (!name.is_empty()
            && name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        Ok(())
    } else {
        Err(bad(format!(
            "Invalid stage name specified: '{name}'. Stage names may only contain alphanumeric characters, hyphens and underscores, or be $default"
        )))
    }
}

/// `authorizationType` of a route.
pub fn authorization_type(t: &str) -> Result<(), AdminError> {
    match t {
        "NONE" | "JWT" | "AWS_IAM" | "CUSTOM" => Ok(()),
        other => Err(bad(format!(
            "Invalid authorization type specified: '{other}'. Valid values are NONE, JWT, AWS_IAM, CUSTOM"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::v2::JwtConfiguration;

    fn is_function(uri: &str) -> bool {
        uri.contains(":function:")
    }
    fn integration_ok(i: &mut Integration) -> Result<(), AdminError> {
        integration(i, &is_function)
    }
    fn authorizer_ok(a: &mut Authorizer) -> Result<(), AdminError> {
        authorizer(a, &is_function)
    }

    fn lambda(version: Option<&str>) -> Integration {
        Integration {
            integration_type: "AWS_PROXY".into(),
            integration_uri: Some("arn:aws:lambda:us-east-1:123456789012:function:f".into()),
            payload_format_version: version.map(str::to_string),
            ..Integration::default()
        }
    }

    #[test]
    fn integrations() {
        let mut ok = lambda(Some("2.0"));
        integration_ok(&mut ok).expect("valid");
        assert_eq!(ok.timeout_in_millis, 30_000);
        assert!(integration_ok(&mut lambda(Some("3.0"))).is_err());
        assert!(integration_ok(&mut lambda(None)).is_err());
        let mut sqs = lambda(Some("1.0"));
        sqs.integration_subtype = Some("SQS-SendMessage".into());
        let err = integration_ok(&mut sqs).expect_err("a subtype takes no Lambda URI");
        assert!(err.message().contains("IntegrationUri"), "{err}");
        sqs.integration_uri = None;
        sqs.request_parameters
            .insert("QueueUrl".into(), "$request.header.queue".into());
        sqs.request_parameters
            .insert("MessageBody".into(), "$request.body".into());
        integration_ok(&mut sqs).expect("an SQS-SendMessage integration");
        assert_eq!(sqs.timeout_in_millis, 30_000);
        let mut mock = lambda(None);
        mock.integration_type = "MOCK".into();
        assert!(integration_ok(&mut mock).is_err());
        let mut http = Integration {
            integration_type: "HTTP_PROXY".into(),
            integration_uri: Some("http://example.com/{proxy}".into()),
            timeout_in_millis: 20,
            ..Integration::default()
        };
        assert!(integration_ok(&mut http).is_err(), "timeout below 50 ms");
        http.timeout_in_millis = 29_000;
        http.request_parameters
            .insert("append:header.x".into(), "$request.header.y".into());
        integration_ok(&mut http).expect("valid");
        assert_eq!(http.integration_method.as_deref(), Some("ANY"));
        http.request_parameters
            .insert("move:header.x".into(), "x".into());
        assert!(integration_ok(&mut http).is_err());
    }

    #[test]
    fn authorizers() {
        let mut jwt = Authorizer {
            name: "j".into(),
            authorizer_type: "JWT".into(),
            identity_source: vec!["$request.header.Authorization".into()],
            jwt_configuration: Some(JwtConfiguration {
                audience: vec!["a".into()],
                issuer: Some("https://issuer.example".into()),
            }),
            ..Authorizer::default()
        };
        authorizer_ok(&mut jwt).expect("valid");
        jwt.identity_source = vec!["Authorization".into()];
        assert!(authorizer_ok(&mut jwt).is_err());
        let mut simple = Authorizer {
            name: "l".into(),
            authorizer_type: "REQUEST".into(),
            authorizer_uri: Some("arn:aws:lambda:us-east-1:123456789012:function:auth".into()),
            authorizer_payload_format_version: Some("1.0".into()),
            enable_simple_responses: Some(true),
            ..Authorizer::default()
        };
        assert!(authorizer_ok(&mut simple).is_err());
        simple.authorizer_payload_format_version = Some("2.0".into());
        authorizer_ok(&mut simple).expect("valid");
    }

    #[test]
    fn stage_names() {
        assert!(stage_name("$default").is_ok());
        assert!(stage_name("prod-1").is_ok());
        assert!(stage_name("a b").is_err());
        assert!(stage_name("").is_err());
    }
}
