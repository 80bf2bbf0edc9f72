//! `$context.X` as templates, parameter expressions, gateway responses and logs read it.

use super::RequestContext;
use crate::engine::types::Variant;

/// The `$context` variables templates and expressions can read, by their dotted names.
const CONTEXT_FIELDS: &[&str] = &[
    "accountId",
    "apiId",
    "deploymentId",
    "domainName",
    "domainPrefix",
    "extendedRequestId",
    "httpMethod",
    "isCanaryRequest",
    "path",
    "protocol",
    "requestId",
    "requestTime",
    "requestTimeEpoch",
    "resourceId",
    "resourcePath",
    "stage",
    "customDomain.basePathMatched",
    "identity.sourceIp",
    "identity.userAgent",
    "identity.apiKey",
    "identity.apiKeyId",
    "identity.accessKey",
    "identity.accountId",
    "identity.caller",
    "identity.user",
    "identity.userArn",
    "identity.clientCert.clientCertPem",
    "identity.clientCert.subjectDN",
    "identity.clientCert.issuerDN",
    "identity.clientCert.serialNumber",
    "identity.clientCert.validity.notBefore",
    "identity.clientCert.validity.notAfter",
    "xrayTraceId",
    "error.message",
    "error.messageString",
    "error.responseType",
    "error.validationErrorString",
];

/// `$context` as a JSON object (nested by the dotted names), for templates, parameter
/// expressions and gateway responses. Built only when something reads it.
pub fn context_json(ctx: &RequestContext<'_>) -> serde_json::Value {
    let mut root = serde_json::Map::new();
    for name in CONTEXT_FIELDS {
        let Some(value) = context_value(ctx, name) else {
            continue;
        };
        let value = match *name {
            "requestTimeEpoch" => value
                .parse::<i64>()
                .map(serde_json::Value::from)
                .unwrap_or(serde_json::Value::String(value)),
            _ => serde_json::Value::String(value),
        };
        let mut map = &mut root;
        let mut parts = name.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                map.insert(part.to_string(), value);
                break;
            }
            let entry = map
                .entry(part.to_string())
                .or_insert_with(|| serde_json::Value::Object(Default::default()));
            if !entry.is_object() {
                *entry = serde_json::Value::Object(Default::default());
            }
            let serde_json::Value::Object(inner) = entry else {
                break;
            };
            map = inner;
        }
    }
    if let Some(auth) = &ctx.authorizer {
        root.insert("authorizer".into(), auth.to_context_value());
    }
    serde_json::Value::Object(root)
}

/// `$context.X` for the variables the engine knows (dotted names below `context.`).
pub fn context_value(ctx: &RequestContext<'_>, name: &str) -> Option<String> {
    let method = ctx.method();
    Some(match name {
        "requestId" => ctx.request_id.clone(),
        "extendedRequestId" => ctx.extended_request_id.clone(),
        "requestTime" => ctx.request_time.clone(),
        "requestTimeEpoch" => ctx.request_time_epoch.to_string(),
        "httpMethod" => ctx.req.method.as_str().to_string(),
        "resourcePath" => method?.resource_path.to_string(),
        "resourceId" => method?.resource_id.to_string(),
        "path" => ctx.req.context_path.clone(),
        "stage" => ctx.req.stage.clone(),
        "apiId" => ctx.req.api_id.clone(),
        "accountId" => crate::engine::ACCOUNT_ID.to_string(),
        "deploymentId" => ctx.deployment.as_ref()?.deployment_id.to_string(),
        "domainName" => ctx.header("host")?.to_string(),
        "domainPrefix" => ctx.header("host")?.split('.').next()?.to_string(),
        "protocol" => "HTTP/1.1".to_string(),
        "isCanaryRequest" => (ctx.variant == Variant::Canary).to_string(),
        "customDomain.basePathMatched" => ctx.req.base_path_matched.clone()?,
        "identity.sourceIp" => ctx.identity.source_ip.clone(),
        "identity.userAgent" => ctx.identity.user_agent.clone()?,
        "identity.apiKey" => ctx.identity.api_key.clone()?,
        "identity.apiKeyId" => ctx.identity.api_key_id.clone()?,
        "identity.accessKey" => ctx.identity.access_key.clone()?,
        "identity.accountId" => ctx.identity.account_id.clone()?,
        "identity.caller" => ctx.identity.caller.clone()?,
        "identity.user" => ctx.identity.user.clone()?,
        "identity.userArn" => ctx.identity.user_arn.clone()?,
        "xrayTraceId" => ctx.xray.as_deref()?.root().to_string(),
        cert if cert.starts_with("identity.clientCert.") => ctx
            .req
            .client_cert
            .as_deref()?
            .field(&cert["identity.clientCert.".len()..])?
            .to_string(),
        auth if auth.starts_with("authorizer.") => {
            ctx.authorizer.as_ref()?.get(&auth["authorizer.".len()..])?
        }
        "error.message" => ctx.error.as_ref()?.message()?,
        "error.messageString" => ctx.error.as_ref()?.message_string(),
        "error.responseType" => ctx.error.as_ref()?.response_type().to_string(),
        "error.validationErrorString" => ctx.error.as_ref()?.validation_error_string()?.to_string(),
        _ => return None,
    })
}
