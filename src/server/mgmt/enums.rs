//! The request members botocore's `apigateway` model types as enums, checked on the raw body
//! before it is read into gwtui's types, so that a value outside the set is AWS's 400
//! `ValidationException` (`1 validation error detected: Value 'x' at '{input}.{member}' failed
//! to satisfy constraint: Member must satisfy enum value set: [...]`), never a parser message.
//! Every violation in the body is reported, in the order of this table, joined as AWS joins
//! them (`N validation errors detected: ...; ...`).
//!
//! Members the model types as plain strings (`authorizationType`, `passthroughBehavior`,
//! `integrationHttpMethod`, ...) are not here: AWS's service, not its validation layer, judges
//! them (see `model::AuthorizationTypeValue`).
//!
//! The order of the values in a message is AWS's (a Java set's), not botocore's. It is recorded
//! (localstack's AWS-validated `test_apigateway_api.snapshot.json`) for `putIntegrationInput.type`,
//! `createRestApiInput.endpointConfiguration.types`/`.ipAddressType`,
//! `createDocumentationPartInput.location.type` and the `responseType` path member; for the
//! other members it is botocore's order and unverified.

use http::Method;
use serde_json::Value;

use crate::model::AdminError;

/// One enum member of an operation's input: its JSON path in the body, whether it is a list
/// of enum values, and the allowed values.
struct Member {
    path: &'static [&'static str],
    list: bool,
    values: &'static [&'static str],
}

const fn one(path: &'static [&'static str], values: &'static [&'static str]) -> Member {
    Member {
        path,
        list: false,
        values,
    }
}

const ENDPOINT_TYPES: &[&str] = &["PRIVATE", "EDGE", "REGIONAL"];
const IP_ADDRESS_TYPES: &[&str] = &["ipv4", "dualstack"];
const SECURITY_POLICIES: &[&str] = &[
    "TLS_1_0",
    "TLS_1_2",
    "SecurityPolicy_TLS13_1_3_2025_09",
    "SecurityPolicy_TLS13_1_3_FIPS_2025_09",
    "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_FIPS_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_FIPS_PFS_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_Ext2_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_Ext2_FIPS_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_PQ_2025_09",
    "SecurityPolicy_TLS13_1_2_2021_06",
    "SecurityPolicy_TLS13_2025_EDGE",
    "SecurityPolicy_TLS12_PFS_2025_EDGE",
    "SecurityPolicy_TLS12_2018_EDGE",
];
const ENDPOINT_ACCESS_MODES: &[&str] = &["BASIC", "STRICT"];
const CACHE_CLUSTER_SIZES: &[&str] = &["0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"];
const CONTENT_HANDLING: &[&str] = &["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"];
/// AWS's order (recorded, `test_put_integration_wrong_type`).
pub(super) const INTEGRATION_TYPES: &[&str] = &["HTTP", "MOCK", "AWS_PROXY", "HTTP_PROXY", "AWS"];
/// AWS's order (recorded, `test_invalid_create_documentation_part_operations`).
const DOCUMENTATION_PART_TYPES: &[&str] = &[
    "RESPONSE_BODY",
    "RESPONSE",
    "METHOD",
    "MODEL",
    "AUTHORIZER",
    "RESPONSE_HEADER",
    "RESOURCE",
    "PATH_PARAMETER",
    "REQUEST_BODY",
    "QUERY_PARAMETER",
    "API",
    "REQUEST_HEADER",
];
/// AWS's order (recorded, `test_gateway_response_validation`).
pub(super) const GATEWAY_RESPONSE_TYPES: &[&str] = &[
    "REQUEST_TOO_LARGE",
    "RESOURCE_NOT_FOUND",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "MISSING_AUTHENTICATION_TOKEN",
    "BAD_REQUEST_BODY",
    "INVALID_SIGNATURE",
    "INVALID_API_KEY",
    "BAD_REQUEST_PARAMETERS",
    "AUTHORIZER_FAILURE",
    "UNAUTHORIZED",
    "INTEGRATION_TIMEOUT",
    "ACCESS_DENIED",
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "WAF_FILTERED",
    "QUOTA_EXCEEDED",
    "THROTTLED",
    "API_CONFIGURATION_ERROR",
    "UNSUPPORTED_MEDIA_TYPE",
    "INTEGRATION_FAILURE",
    "EXPIRED_TOKEN",
];

const CREATE_REST_API: &[Member] = &[
    one(&["apiKeySource"], &["HEADER", "AUTHORIZER"]),
    Member {
        path: &["endpointConfiguration", "types"],
        list: true,
        values: ENDPOINT_TYPES,
    },
    one(
        &["endpointConfiguration", "ipAddressType"],
        IP_ADDRESS_TYPES,
    ),
    one(&["securityPolicy"], SECURITY_POLICIES),
    one(&["endpointAccessMode"], ENDPOINT_ACCESS_MODES),
];
const CREATE_DOMAIN_NAME: &[Member] = &[
    Member {
        path: &["endpointConfiguration", "types"],
        list: true,
        values: ENDPOINT_TYPES,
    },
    one(
        &["endpointConfiguration", "ipAddressType"],
        IP_ADDRESS_TYPES,
    ),
    one(&["securityPolicy"], SECURITY_POLICIES),
    one(&["endpointAccessMode"], ENDPOINT_ACCESS_MODES),
    one(
        &["routingMode"],
        &[
            "BASE_PATH_MAPPING_ONLY",
            "ROUTING_RULE_ONLY",
            "ROUTING_RULE_THEN_BASE_PATH_MAPPING",
        ],
    ),
];
const CACHE_CLUSTER: &[Member] = &[one(&["cacheClusterSize"], CACHE_CLUSTER_SIZES)];
const CREATE_AUTHORIZER: &[Member] = &[one(
    &["type"],
    &["TOKEN", "REQUEST", "COGNITO_USER_POOLS", "JWT"],
)];
const CREATE_DOCUMENTATION_PART: &[Member] =
    &[one(&["location", "type"], DOCUMENTATION_PART_TYPES)];
const CREATE_USAGE_PLAN: &[Member] = &[one(&["quota", "period"], &["DAY", "WEEK", "MONTH"])];
const PUT_INTEGRATION: &[Member] = &[
    one(&["type"], INTEGRATION_TYPES),
    one(&["connectionType"], &["INTERNET", "VPC_LINK"]),
    one(&["contentHandling"], CONTENT_HANDLING),
    one(&["responseTransferMode"], &["BUFFERED", "STREAM"]),
];
const PUT_INTEGRATION_RESPONSE: &[Member] = &[one(&["contentHandling"], CONTENT_HANDLING)];

/// The input name and enum members of the operation a body-carrying request calls.
fn operation(method: &Method, segs: &[&str]) -> Option<(&'static str, &'static [Member])> {
    let post = method == Method::POST;
    let put = method == Method::PUT;
    Some(match segs {
        ["restapis"] if post => ("createRestApiInput", CREATE_REST_API),
        ["domainnames"] if post => ("createDomainNameInput", CREATE_DOMAIN_NAME),
        ["restapis", _, "deployments"] if post => ("createDeploymentInput", CACHE_CLUSTER),
        ["restapis", _, "stages"] if post => ("createStageInput", CACHE_CLUSTER),
        ["restapis", _, "authorizers"] if post => ("createAuthorizerInput", CREATE_AUTHORIZER),
        ["restapis", _, "documentation", "parts"] if post => {
            ("createDocumentationPartInput", CREATE_DOCUMENTATION_PART)
        }
        ["usageplans"] if post => ("createUsagePlanInput", CREATE_USAGE_PLAN),
        ["restapis", _, "resources", _, "methods", _, "integration"] if put => {
            ("putIntegrationInput", PUT_INTEGRATION)
        }
        [
            "restapis",
            _,
            "resources",
            _,
            "methods",
            _,
            "integration",
            "responses",
            _,
        ] if put => ("putIntegrationResponseInput", PUT_INTEGRATION_RESPONSE),
        _ => return None,
    })
}

/// The value as AWS quotes it in a message: a string as is, anything else as JSON; a list as
/// `[a, b]`.
fn quoted(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(quoted).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

fn violation(value: &str, at: &str, values: &[&str], list: bool) -> String {
    let set = format!(
        "Member must satisfy enum value set: [{}]",
        values.join(", ")
    );
    let constraint = if list {
        format!("Member must satisfy constraint: [{set}]")
    } else {
        set
    };
    format!("Value '{value}' at '{at}' failed to satisfy constraint: {constraint}")
}

fn outside(v: &Value, values: &[&str]) -> bool {
    !v.as_str().is_some_and(|s| values.contains(&s))
}

/// The enum violations of `body` for the operation `method segs` calls (empty when none).
pub(super) fn violations(method: &Method, segs: &[&str], body: &Value) -> Vec<String> {
    let Some((input, members)) = operation(method, segs) else {
        return Vec::new();
    };
    members
        .iter()
        .filter_map(|m| {
            let mut v = body;
            for key in m.path {
                v = v.get(key)?;
            }
            if v.is_null() {
                return None;
            }
            let bad = match (m.list, v) {
                (true, Value::Array(items)) => items.iter().any(|i| outside(i, m.values)),
                (true, _) => false,
                (false, v) => outside(v, m.values),
            };
            bad.then(|| {
                violation(
                    &quoted(v),
                    &format!("{input}.{}", m.path.join(".")),
                    m.values,
                    m.list,
                )
            })
        })
        .collect()
}

/// AWS's ValidationException for a list of violations (`None` when there are none).
pub(super) fn error(problems: Vec<String>) -> Option<AdminError> {
    match problems.len() {
        0 => None,
        1 => Some(AdminError::Validation(format!(
            "1 validation error detected: {}",
            problems[0]
        ))),
        n => Some(AdminError::Validation(format!(
            "{n} validation errors detected: {}",
            problems.join("; ")
        ))),
    }
}

/// A gateway response type in the path (Get/Put/Update/DeleteGatewayResponse): AWS names the
/// member `responseType`, without the input's name (recorded, `test_gateway_response_validation`).
pub(super) fn check_response_type(kind: &str) -> Result<(), AdminError> {
    if GATEWAY_RESPONSE_TYPES.contains(&kind) {
        return Ok(());
    }
    Err(AdminError::Validation(format!(
        "1 validation error detected: {}",
        violation(kind, "responseType", GATEWAY_RESPONSE_TYPES, false)
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_violation_is_reported_in_the_recorded_words() {
        let body = json!({"name": "x", "endpointConfiguration": {"types": ["wrong"], "ipAddressType": "wrong"}});
        let e = error(violations(&Method::POST, &["restapis"], &body));
        assert_eq!(
            e.map(|e| (e.error_type(), e.message().to_string())),
            Some((
                "ValidationException",
                "2 validation errors detected: Value '[wrong]' at 'createRestApiInput.endpointConfiguration.types' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [PRIVATE, EDGE, REGIONAL]]; Value 'wrong' at 'createRestApiInput.endpointConfiguration.ipAddressType' failed to satisfy constraint: Member must satisfy enum value set: [ipv4, dualstack]".to_string()
            ))
        );
        let put =
            json!({"type": "MOCK", "contentHandling": "CONVERT_TO_JSON", "connectionType": 3});
        let found = violations(
            &Method::PUT,
            &[
                "restapis",
                "a",
                "resources",
                "r",
                "methods",
                "GET",
                "integration",
            ],
            &put,
        );
        assert_eq!(
            found,
            vec![
                "Value '3' at 'putIntegrationInput.connectionType' failed to satisfy constraint: Member must satisfy enum value set: [INTERNET, VPC_LINK]".to_string(),
                "Value 'CONVERT_TO_JSON' at 'putIntegrationInput.contentHandling' failed to satisfy constraint: Member must satisfy enum value set: [CONVERT_TO_BINARY, CONVERT_TO_TEXT]".to_string(),
            ]
        );
    }

    #[test]
    fn valid_absent_and_null_members_pass() {
        let body = json!({"type": "HTTP", "contentHandling": null, "connectionType": "VPC_LINK"});
        let segs = [
            "restapis",
            "a",
            "resources",
            "r",
            "methods",
            "GET",
            "integration",
        ];
        assert!(violations(&Method::PUT, &segs, &body).is_empty());
        assert!(violations(&Method::GET, &segs, &json!({"type": "x"})).is_empty());
        assert!(check_response_type("DEFAULT_4XX").is_ok());
        assert_eq!(
            check_response_type("FAKE").err().map(|e| e.error_type()),
            Some("ValidationException")
        );
    }
}
