//! Reading the `x-amazon-apigateway-*` extensions (openapi.md §3): the root-level ones and
//! `x-amazon-apigateway-integration`.

use indexmap::IndexMap;

use super::document::Dialect;
use super::import::Ctx;
use super::pointer::Node;
use super::{AWS_ACCOUNT_ID, AWS_PARTITION, AWS_REGION, ImportError};
use crate::model::{
    ApiKeySource, ConnectionType, ContentHandling, GATEWAY_RESPONSE_TYPES, GatewayResponse,
    Integration, IntegrationResponse, IntegrationType, Method, PassthroughBehavior,
    RequestValidator, TlsConfig,
};

pub(crate) const INTEGRATION: &str = "x-amazon-apigateway-integration";
pub(crate) const VALIDATORS: &str = "x-amazon-apigateway-request-validators";
pub(crate) const VALIDATOR: &str = "x-amazon-apigateway-request-validator";
pub(crate) const GATEWAY_RESPONSES: &str = "x-amazon-apigateway-gateway-responses";
pub(crate) const API_KEY_SOURCE: &str = "x-amazon-apigateway-api-key-source";
pub(crate) const BINARY_MEDIA_TYPES: &str = "x-amazon-apigateway-binary-media-types";
pub(crate) const MINIMUM_COMPRESSION_SIZE: &str = "x-amazon-apigateway-minimum-compression-size";
pub(crate) const POLICY: &str = "x-amazon-apigateway-policy";
pub(crate) const ENDPOINT_CONFIGURATION: &str = "x-amazon-apigateway-endpoint-configuration";
pub(crate) const DOCUMENTATION: &str = "x-amazon-apigateway-documentation";

/// Root extensions that belong to HTTP APIs (ignored with a warning).
const HTTP_API_ONLY: [&str; 4] = [
    "x-amazon-apigateway-cors",
    "x-amazon-apigateway-importexport-version",
    "x-amazon-apigateway-tag-value",
    "x-amazon-apigateway-integrations",
];

pub(crate) const MAX_COMPRESSION_SIZE: i64 = 10_485_760;
pub(crate) const MIN_TIMEOUT_MILLIS: i64 = 50;
pub(crate) const MAX_TIMEOUT_MILLIS: i64 = 29_000;

/// Resolves `${AWS::Region}`, `${AWS::AccountId}` and `${AWS::Partition}`; stage variables stay.
pub(crate) fn resolve_aws_variables(s: &str) -> String {
    s.replace("${AWS::Region}", AWS_REGION)
        .replace("${AWS::AccountId}", AWS_ACCOUNT_ID)
        .replace("${AWS::Partition}", AWS_PARTITION)
}

/// The ARN prefix `execute-api:/` expands to for this API.
pub(crate) fn execute_api_arn_prefix(api_id: &str) -> String {
    format!("arn:{AWS_PARTITION}:execute-api:{AWS_REGION}:{AWS_ACCOUNT_ID}:{api_id}/")
}

pub(crate) fn import_root(ctx: &mut Ctx, fresh: bool) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let root = doc.node();
    if let Some(n) = root.get(API_KEY_SOURCE) {
        ctx.def.rest_api.api_key_source = match n.str()?.to_ascii_uppercase().as_str() {
            "HEADER" => ApiKeySource::Header,
            "AUTHORIZER" => ApiKeySource::Authorizer,
            other => {
                return Err(n.err(format!(
                    "invalid API key source '{other}'; expected HEADER or AUTHORIZER"
                )));
            }
        };
    }
    if root.get(BINARY_MEDIA_TYPES).is_some() {
        let types = root.opt_string_list(BINARY_MEDIA_TYPES)?;
        // A merge adds the document's types after the API's; overwrite and import take the
        // document's (AWS-recorded, localstack `test_put_rest_api_mode_binary_media_types`).
        if ctx.merge {
            let list = &mut ctx.def.rest_api.binary_media_types;
            for t in types {
                if !list.contains(&t) {
                    list.push(t);
                }
            }
        } else {
            ctx.def.rest_api.binary_media_types = types;
        }
    }
    if let Some(n) = root.get(MINIMUM_COMPRESSION_SIZE) {
        let size = n.int()?;
        if !(0..=MAX_COMPRESSION_SIZE).contains(&size) {
            return Err(n.err("Invalid minimum compression size, must be between 0 and 10485760"));
        }
        ctx.def.rest_api.minimum_compression_size = Some(size);
    }
    if let Some(n) = root.get(POLICY) {
        let text = match n.v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Object(_) => n.v.to_string(),
            _ => return Err(n.err("expected an IAM policy object")),
        };
        let text = resolve_aws_variables(&text)
            .replace("execute-api:/", &execute_api_arn_prefix(ctx.api_id()));
        ctx.def.rest_api.policy = Some(text);
    }
    import_endpoint_configuration(ctx, fresh)?;
    import_validators(ctx)?;
    import_gateway_responses(ctx)?;
    import_documentation(ctx)?;
    for (key, node) in root.entries()? {
        if !key.starts_with("x-amazon-apigateway-") {
            continue;
        }
        let known = [
            VALIDATORS,
            VALIDATOR,
            GATEWAY_RESPONSES,
            API_KEY_SOURCE,
            BINARY_MEDIA_TYPES,
            MINIMUM_COMPRESSION_SIZE,
            POLICY,
            ENDPOINT_CONFIGURATION,
            DOCUMENTATION,
        ];
        if known.contains(&key) {
            continue;
        }
        let message = if HTTP_API_ONLY.contains(&key) {
            format!("'{key}' applies to HTTP APIs only; ignored")
        } else {
            format!("unsupported extension '{key}'; ignored")
        };
        ctx.warn(&node.ptr, message);
    }
    Ok(())
}

/// OAS 2 root / OAS 3 first server: applied only when the import creates the API (merge and
/// overwrite never touch endpoint configuration).
fn import_endpoint_configuration(ctx: &mut Ctx, fresh: bool) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let root = doc.node();
    let node = match doc.dialect {
        Dialect::Swagger2 => root.get(ENDPOINT_CONFIGURATION),
        Dialect::Oas3 => match root.get("servers") {
            Some(servers) => servers
                .items()?
                .into_iter()
                .find_map(|s| s.get(ENDPOINT_CONFIGURATION)),
            None => None,
        },
    };
    let Some(node) = node else { return Ok(()) };
    node.object()?;
    let disable = node.opt_bool("disableExecuteApiEndpoint")?;
    let vpc = node.opt_string_list("vpcEndpointIds")?;
    if !fresh {
        ctx.warn(
            &node.ptr,
            "endpoint configuration is not changed by merge or overwrite; ignored",
        );
        return Ok(());
    }
    if let Some(d) = disable {
        ctx.def.rest_api.disable_execute_api_endpoint = d;
    }
    ctx.def.rest_api.endpoint_configuration.vpc_endpoint_ids = vpc;
    Ok(())
}

fn import_validators(ctx: &mut Ctx) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let root = doc.node();
    if let Some(validators) = root.get(VALIDATORS) {
        for (name, v) in validators.entries()? {
            if name.trim().is_empty() {
                return Err(v.err("Request Validator name cannot be blank"));
            }
            v.object()?;
            let body = v.opt_bool("validateRequestBody")?.unwrap_or(false);
            let params = v.opt_bool("validateRequestParameters")?.unwrap_or(false);
            let id = match ctx
                .def
                .request_validators
                .iter_mut()
                .find(|x| x.name == name)
            {
                Some(existing) => {
                    existing.validate_request_body = body;
                    existing.validate_request_parameters = params;
                    existing.id.clone()
                }
                None => {
                    let id = ctx.reuse_id(|p| {
                        p.request_validators
                            .iter()
                            .find(|x| x.name == name)
                            .map(|x| x.id.clone())
                    });
                    ctx.def.request_validators.push(RequestValidator {
                        id: id.clone(),
                        name: name.to_string(),
                        validate_request_body: body,
                        validate_request_parameters: params,
                    });
                    id
                }
            };
            ctx.validators.insert(name.to_string(), id);
        }
    }
    // Merge: validators the API already has may be named too.
    for v in &ctx.def.request_validators {
        ctx.validators
            .entry(v.name.clone())
            .or_insert_with(|| v.id.clone());
    }
    if let Some(default) = root.get(VALIDATOR) {
        let name = default.str()?;
        let id = ctx.validators.get(name).cloned().ok_or_else(|| {
            default.err(format!("reference to unknown request validator '{name}'"))
        })?;
        ctx.default_validator = Some(id);
    }
    Ok(())
}

fn import_gateway_responses(ctx: &mut Ctx) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let Some(responses) = doc.node().get(GATEWAY_RESPONSES) else {
        return Ok(());
    };
    for (kind, node) in responses.entries()? {
        node.object()?;
        if !GATEWAY_RESPONSE_TYPES.iter().any(|(t, _)| *t == kind) {
            ctx.warn(
                &node.ptr,
                format!("unknown gateway response type '{kind}'; ignored"),
            );
            continue;
        }
        if kind == "REQUEST_TOO_LARGE" {
            ctx.warn(&node.ptr, "REQUEST_TOO_LARGE cannot be customised; ignored");
            continue;
        }
        let response = GatewayResponse {
            response_type: kind.to_string(),
            status_code: node.opt_scalar("statusCode")?,
            response_parameters: node.opt_string_map("responseParameters")?,
            response_templates: node.opt_string_map("responseTemplates")?,
            default_response: false,
        };
        if let Some(status) = &response.status_code
            && !is_status_code(status)
        {
            return Err(node.err(format!("invalid gateway response status code '{status}'")));
        }
        ctx.def
            .gateway_responses
            .retain(|g| g.response_type != kind);
        ctx.def.gateway_responses.push(response);
    }
    Ok(())
}

fn is_status_code(s: &str) -> bool {
    s.len() == 3 && s.chars().all(|c| c.is_ascii_digit()) && matches!(s.as_bytes()[0], b'1'..=b'5')
}

const INTEGRATION_FIELDS: [&str; 16] = [
    "type",
    "uri",
    "httpMethod",
    "credentials",
    "requestParameters",
    "requestTemplates",
    "passthroughBehavior",
    "contentHandling",
    "timeoutInMillis",
    "cacheNamespace",
    "cacheKeyParameters",
    "connectionType",
    "connectionId",
    "tlsConfig",
    "responses",
    "description",
];

/// `x-amazon-apigateway-integration` → Integration, validated against the method it belongs to.
pub(crate) fn import_integration(
    ctx: &mut Ctx,
    node: Node,
    method: &Method,
    path: &str,
) -> Result<Integration, ImportError> {
    node.object()?;
    let type_node = node
        .get("type")
        .ok_or_else(|| node.err("the integration needs a type"))?;
    let type_text = type_node.str()?;
    let integration_type = IntegrationType::parse(type_text).ok_or_else(|| {
        type_node.err(format!(
            "unknown integration type '{type_text}'; expected aws, aws_proxy, http, http_proxy or mock"
        ))
    })?;
    let mut integration = Integration {
        integration_type,
        uri: node.opt_str("uri")?.map(resolve_aws_variables),
        http_method: node.opt_str("httpMethod")?.map(str::to_ascii_uppercase),
        credentials: node.opt_str("credentials")?.map(resolve_aws_variables),
        request_parameters: import_request_parameters(ctx, &node, method, path)?,
        request_templates: node.opt_string_map("requestTemplates")?,
        cache_namespace: node.opt_str("cacheNamespace")?.map(str::to_string),
        cache_key_parameters: node.opt_string_list("cacheKeyParameters")?,
        connection_id: node.opt_str("connectionId")?.map(str::to_string),
        ..Default::default()
    };
    if let Some(n) = node.get("passthroughBehavior") {
        let text = n.str()?;
        integration.passthrough_behavior = PassthroughBehavior::parse(text).ok_or_else(|| {
            n.err(format!(
                "invalid passthroughBehavior '{text}'; expected when_no_match, when_no_templates or never"
            ))
        })?;
    }
    if let Some(n) = node.get("contentHandling") {
        integration.content_handling = Some(parse_content_handling(&n)?);
    }
    if let Some(n) = node.get("timeoutInMillis") {
        let t = n.int()?;
        if !(MIN_TIMEOUT_MILLIS..=MAX_TIMEOUT_MILLIS).contains(&t) {
            return Err(n.err(format!(
                "timeoutInMillis must be between 50 and 29000, got {t}"
            )));
        }
        integration.timeout_in_millis = t as u32;
    }
    if let Some(n) = node.get("connectionType") {
        integration.connection_type = Some(match n.str()?.to_ascii_uppercase().as_str() {
            "INTERNET" => ConnectionType::Internet,
            "VPC_LINK" => ConnectionType::VpcLink,
            other => {
                return Err(n.err(format!(
                    "invalid connectionType '{other}'; expected INTERNET or VPC_LINK"
                )));
            }
        });
    }
    // AWS-recorded (localstack test_apigateway_import.snapshot.json, every imported HTTP and
    // HTTP_PROXY integration): an import sets `connectionType: INTERNET` on HTTP integrations
    // that do not name one, and a MOCK integration keeps no `httpMethod`.
    if integration.connection_type.is_none()
        && matches!(
            integration_type,
            IntegrationType::Http | IntegrationType::HttpProxy
        )
    {
        integration.connection_type = Some(ConnectionType::Internet);
    }
    if integration_type == IntegrationType::Mock {
        integration.http_method = None;
    }
    if let Some(tls) = node.get("tlsConfig") {
        tls.object()?;
        if tls.get("serverNameToVerify").is_some() {
            ctx.warn(
                &tls.ptr,
                "tlsConfig.serverNameToVerify applies to HTTP APIs only; ignored",
            );
        }
        integration.tls_config = Some(TlsConfig {
            insecure_skip_verification: tls.opt_bool("insecureSkipVerification")?.unwrap_or(false),
        });
    }
    if let Some(responses) = node.get("responses") {
        for (pattern, r) in responses.entries()? {
            let ir = import_integration_response(&r, pattern)?;
            let status_ptr = r.ptr_of("statusCode");
            if !method.method_responses.contains_key(&ir.status_code) {
                return Err(ImportError::new(
                    status_ptr,
                    format!(
                        "integration response status '{}' has no method response; declare it under responses",
                        ir.status_code
                    ),
                ));
            }
            let declared = &method.method_responses[&ir.status_code].response_parameters;
            if let Some(target) = ir
                .response_parameters
                .keys()
                .find(|k| !declared.contains_key(*k))
            {
                return Err(ImportError::new(
                    r.ptr_of("responseParameters"),
                    format!(
                        "Invalid mapping expression specified: {target} is not declared as a header of method response {}",
                        ir.status_code
                    ),
                ));
            }
            if integration
                .integration_responses
                .contains_key(&ir.status_code)
            {
                ctx.warn(
                    &r.ptr,
                    format!(
                        "two integration responses map to status {}; the last one wins",
                        ir.status_code
                    ),
                );
            }
            integration
                .integration_responses
                .insert(ir.status_code.clone(), ir);
        }
    }
    for (key, n) in node.entries()? {
        if INTEGRATION_FIELDS.contains(&key) {
            continue;
        }
        let message = match key {
            // AWS imports a REST API whose integrations carry `payloadFormatVersion` without a
            // warning (AWS-recorded: localstack test_import_with_cognito_auth_identity_source,
            // failOnWarnings=true, 201).
            "payloadFormatVersion" => continue,
            "integrationSubtype" => format!("'{key}' applies to HTTP APIs only; ignored"),
            _ => format!("unsupported integration field '{key}'; ignored"),
        };
        ctx.warn(&n.ptr, message);
    }
    validate_integration(&node, &integration, method)?;
    Ok(integration)
}

/// `requestParameters`: a value that is not a string is dropped with AWS's warning
/// (AWS-recorded: localstack test_import_rest_api_with_base_path_oas30, `nothing: true`).
fn import_request_parameters(
    ctx: &mut Ctx,
    node: &Node,
    method: &Method,
    path: &str,
) -> Result<IndexMap<String, String>, ImportError> {
    let mut out = IndexMap::new();
    let Some(map) = node.get("requestParameters") else {
        return Ok(out);
    };
    for (k, v) in map.entries()? {
        match v.v {
            serde_json::Value::String(text) => {
                out.insert(k.to_string(), text.clone());
            }
            other => ctx.warn_aws(format!(
                "Invalid format for 'requestParameters'. Expected type string for property '{k}' of resource '{path}' and method '{}' but got '{other}'",
                method.http_method
            )),
        }
    }
    Ok(out)
}

fn parse_content_handling(n: &Node) -> Result<ContentHandling, ImportError> {
    let text = n.str()?;
    ContentHandling::parse(text).ok_or_else(|| {
        n.err(format!(
            "invalid contentHandling '{text}'; expected CONVERT_TO_TEXT or CONVERT_TO_BINARY"
        ))
    })
}

fn import_integration_response(
    r: &Node,
    pattern: &str,
) -> Result<IntegrationResponse, ImportError> {
    r.object()?;
    let status = r
        .get("statusCode")
        .ok_or_else(|| r.err("an integration response needs a statusCode"))?
        .scalar_string()?;
    if !is_status_code(&status) {
        return Err(ImportError::new(
            r.ptr_of("statusCode"),
            format!("invalid status code '{status}'"),
        ));
    }
    Ok(IntegrationResponse {
        status_code: status,
        selection_pattern: (pattern != "default").then(|| pattern.to_string()),
        response_parameters: r.opt_string_map("responseParameters")?,
        response_templates: r.opt_string_map("responseTemplates")?,
        content_handling: r
            .get("contentHandling")
            .map(|n| parse_content_handling(&n))
            .transpose()?,
    })
}

/// The model's rules for an integration: uri shape per type, backend verb, timeout, and
/// method-side mapping sources declared on the method.
fn validate_integration(
    node: &Node,
    integration: &Integration,
    method: &Method,
) -> Result<(), ImportError> {
    let t = integration.integration_type;
    if t != IntegrationType::Mock {
        let uri_ptr = node.ptr_of("uri");
        let uri = integration.uri.as_deref().ok_or_else(|| {
            ImportError::new(
                uri_ptr.clone(),
                format!("a {} integration needs a uri", t.as_str()),
            )
        })?;
        if integration.http_method.is_none() {
            return Err(node.err(format!("a {} integration needs an httpMethod", t.as_str())));
        }
        match t {
            IntegrationType::Http | IntegrationType::HttpProxy => {
                if !is_valid_http_uri(uri) {
                    return Err(ImportError::new(
                        uri_ptr,
                        format!("Invalid HTTP endpoint specified for URI: '{uri}'"),
                    ));
                }
            }
            IntegrationType::Aws | IntegrationType::AwsProxy => {
                let service_part = uri
                    .strip_prefix("arn:")
                    .and_then(|r| r.split_once(":apigateway:"));
                let Some((_, rest)) = service_part else {
                    return Err(ImportError::new(
                        uri_ptr,
                        format!(
                            "AWS ARN for integration must start with arn:aws:apigateway: '{uri}'"
                        ),
                    ));
                };
                if !rest.contains(":path/") && !rest.contains(":action/") {
                    return Err(ImportError::new(
                        uri_ptr,
                        "AWS ARN for integration must contain path or action",
                    ));
                }
                if t == IntegrationType::AwsProxy
                    && !rest.contains(":lambda:path/")
                    && !rest.contains(":firehose:")
                {
                    return Err(ImportError::new(
                        uri_ptr,
                        "Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.",
                    ));
                }
            }
            IntegrationType::Mock => {}
        }
    }
    let timeout = i64::from(integration.timeout_in_millis);
    if !(MIN_TIMEOUT_MILLIS..=MAX_TIMEOUT_MILLIS).contains(&timeout) {
        return Err(node.err("timeoutInMillis must be between 50 and 29000"));
    }
    for (target, source) in &integration.request_parameters {
        if !source_is_declared(source, method) {
            return Err(ImportError::new(
                node.ptr_of("requestParameters"),
                format!(
                    "Invalid mapping expression specified: {source} (for {target}) is not a declared method request parameter"
                ),
            ));
        }
    }
    Ok(())
}

/// Whether a `method.request.*` mapping source names a parameter the method declares.
fn source_is_declared(source: &str, method: &Method) -> bool {
    let Some(rest) = source.strip_prefix("method.request.") else {
        return true; // literals, stageVariables.x, context.x
    };
    let (kind, name) = rest.split_once('.').unwrap_or((rest, ""));
    let location = match kind {
        "body" => return true,
        "path" => "path",
        "querystring" | "multivaluequerystring" => "querystring",
        "header" | "multivalueheader" => "header",
        _ => return false,
    };
    method
        .request_parameters
        .contains_key(&format!("method.request.{location}.{name}"))
}

/// An absolute `http(s)://host[:port]/...` URI; stage variables may stand in for any part.
pub(crate) fn is_valid_http_uri(uri: &str) -> bool {
    if uri.chars().any(char::is_whitespace) {
        return false;
    }
    let lower = uri.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &uri[8..]
    } else if lower.starts_with("http://") {
        &uri[7..]
    } else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return false;
    }
    if authority.contains("${") {
        return true;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.contains(']') || h.ends_with(']') => (h, Some(p)),
        _ => (authority, None),
    };
    let host_ok = !host.is_empty()
        && (host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            || (host.starts_with('[') && host.ends_with(']')));
    let port_ok = match port {
        None => true,
        Some(p) => p
            .parse::<u32>()
            .is_ok_and(|n| n == 80 || n == 443 || (1024 < n && n <= 65_535)),
    };
    host_ok && port_ok
}

/// The parts and version of an `x-amazon-apigateway-documentation` node: `{"version": "...",
/// "documentationParts": [{"location": {...}, "properties": {...}}]}`. A part keeps the id of
/// the part of `previous` at the same location.
pub(crate) fn read_documentation(
    node: Node<'_>,
    previous: &[crate::model::DocumentationPart],
) -> Result<(Vec<crate::model::DocumentationPart>, Option<String>), ImportError> {
    use crate::model::documentation::normalise_location;
    use crate::model::{DocumentationPart, DocumentationPartLocation, ids};
    node.object()?;
    let mut parts: Vec<DocumentationPart> = Vec::new();
    if let Some(list) = node.get("documentationParts") {
        for item in list.items()? {
            item.object()?;
            let loc = item
                .get("location")
                .ok_or_else(|| item.err("a documentation part needs a location"))?;
            let location: DocumentationPartLocation = serde_json::from_value(loc.v.clone())
                .map_err(|e| loc.err(format!("invalid documentation part location: {e}")))?;
            let location = normalise_location(location).map_err(|e| loc.err(e.to_string()))?;
            let properties = match item.get("properties") {
                Some(p) => {
                    crate::engine::admin::properties_text(p.v).map_err(|e| p.err(e.to_string()))?
                }
                None => "{}".to_string(),
            };
            if parts.iter().any(|p| p.location == location) {
                return Err(item.err("two documentation parts have the same location"));
            }
            let id = previous
                .iter()
                .find(|p| p.location == location)
                .map(|p| p.id.clone())
                .unwrap_or_else(|| ids::new_id(6));
            parts.push(DocumentationPart {
                id,
                location,
                properties,
            });
        }
    }
    let version = node
        .opt_str("version")?
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    Ok((parts, version))
}

/// Adds `parts` to `existing`, replacing the properties of a part at the same location;
/// returns the ids of the parts imported.
pub(crate) fn merge_documentation(
    existing: &mut Vec<crate::model::DocumentationPart>,
    parts: Vec<crate::model::DocumentationPart>,
) -> Vec<String> {
    let mut ids = Vec::with_capacity(parts.len());
    for part in parts {
        match existing.iter_mut().find(|p| p.location == part.location) {
            Some(current) => {
                current.properties = part.properties;
                ids.push(current.id.clone());
            }
            None => {
                ids.push(part.id.clone());
                existing.push(part);
            }
        }
    }
    ids
}

/// `x-amazon-apigateway-documentation` on import: the parts replace the API's (a merge import
/// adds them, replacing a part at the same location); a `version` not yet known is created,
/// freezing the parts as imported.
fn import_documentation(ctx: &mut Ctx) -> Result<(), ImportError> {
    use crate::model::{DocumentationVersion, StoredDocumentationVersion};
    let doc = ctx.doc;
    let Some(node) = doc.node().get(DOCUMENTATION) else {
        return Ok(());
    };
    let previous = ctx
        .previous
        .map(|p| p.documentation_parts.as_slice())
        .unwrap_or_default();
    let (parts, version) = read_documentation(node, previous)?;
    if ctx.merge {
        merge_documentation(&mut ctx.def.documentation_parts, parts);
    } else {
        ctx.def.documentation_parts = parts;
    }
    if let Some(version) = version
        && !ctx
            .def
            .documentation_versions
            .iter()
            .any(|v| v.version.version == version)
    {
        ctx.def
            .documentation_versions
            .push(StoredDocumentationVersion {
                version: DocumentationVersion {
                    version,
                    created_date: crate::model::now_epoch_seconds(),
                    description: None,
                },
                parts: ctx.def.documentation_parts.clone(),
            });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_uris_follow_the_endpoint_rules() {
        assert!(is_valid_http_uri("https://example.com/a/{id}?x=1"));
        assert!(is_valid_http_uri("http://${stageVariables.backend}/pets"));
        assert!(is_valid_http_uri("http://localhost:8080/x"));
        assert!(!is_valid_http_uri("http://localhost:22/x"));
        assert!(!is_valid_http_uri("ftp://example.com"));
        assert!(!is_valid_http_uri("https:///nohost"));
        assert!(!is_valid_http_uri("https://exa mple.com"));
    }

    #[test]
    fn aws_variables_resolve_and_stage_variables_stay() {
        assert_eq!(
            resolve_aws_variables(
                "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/x:${AWS::AccountId}:${stageVariables.a}"
            ),
            "arn:aws:apigateway:us-east-1:lambda:path/x:123456789012:${stageVariables.a}"
        );
    }
}
