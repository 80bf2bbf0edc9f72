//! Security schemes ↔ Authorizers and method authorization (openapi.md §3.3).
//!
//! Import: a scheme with `x-amazon-apigateway-authorizer` becomes an Authorizer; one with
//! `x-amazon-apigateway-authtype: awsSigv4` (any `aws*`) means AWS_IAM; a plain `apiKey`
//! scheme named in an operation's `security` means `apiKeyRequired`.

use serde_json::{Map, Value, json};

use super::ImportError;
use super::import::{Ctx, SchemeUse};
use super::pointer::Node;
use crate::model::{ApiDefinition, AuthorizationType, Authorizer, AuthorizerType, Method};

pub(crate) const AUTHORIZER: &str = "x-amazon-apigateway-authorizer";
pub(crate) const AUTHTYPE: &str = "x-amazon-apigateway-authtype";
/// Scheme names export uses for IAM and API keys (AWS's conventional names).
pub(crate) const SIGV4_SCHEME: &str = "sigv4";
pub(crate) const API_KEY_SCHEME: &str = "api_key";

pub(crate) fn import_schemes(ctx: &mut Ctx) -> Result<(), ImportError> {
    let doc = ctx.doc;
    let Some(schemes) = doc.security_schemes() else {
        return Ok(());
    };
    for (name, scheme) in schemes.entries()? {
        let scheme = doc.deref(scheme, "security scheme")?;
        let kind = scheme.opt_str("type")?.unwrap_or_default();
        let authtype = scheme.opt_str(AUTHTYPE)?.map(str::to_string);
        let use_ = if let Some(auth) = scheme.get(AUTHORIZER) {
            let authorizer = import_authorizer(name, &scheme, &auth, authtype)?;
            let cognito = authorizer.authorizer_type == AuthorizerType::CognitoUserPools;
            let id = upsert_authorizer(ctx, authorizer);
            SchemeUse::Authorizer { id, cognito }
        } else if authtype
            .as_deref()
            .is_some_and(|t| t.to_ascii_lowercase().starts_with("aws"))
        {
            SchemeUse::Iam
        } else if kind == "apiKey" {
            SchemeUse::ApiKey
        } else {
            ctx.warn(
                &scheme.ptr,
                format!("security scheme '{name}' of type '{kind}' is not supported (use a Lambda authorizer); ignored"),
            );
            SchemeUse::Unsupported
        };
        ctx.schemes.insert(name.to_string(), use_);
    }
    Ok(())
}

fn import_authorizer(
    name: &str,
    scheme: &Node,
    auth: &Node,
    auth_type: Option<String>,
) -> Result<Authorizer, ImportError> {
    auth.object()?;
    let type_node = auth
        .get("type")
        .ok_or_else(|| auth.err("the authorizer needs a type"))?;
    let authorizer_type = match type_node.str()?.to_ascii_lowercase().as_str() {
        "token" => AuthorizerType::Token,
        "request" => AuthorizerType::Request,
        "cognito_user_pools" => AuthorizerType::CognitoUserPools,
        other => {
            return Err(type_node.err(format!(
                "unknown authorizer type '{other}'; expected token, request or cognito_user_pools"
            )));
        }
    };
    let header_name = scheme.opt_str("name")?;
    let location = scheme.opt_str("in")?.unwrap_or("header");
    let identity_source = match auth.opt_str("identitySource")? {
        Some(s) => Some(s.to_string()),
        None => match (authorizer_type, header_name) {
            (_, Some("Unused")) | (_, None) => None,
            (AuthorizerType::Request, Some(n)) if location == "query" => {
                Some(format!("method.request.querystring.{n}"))
            }
            (_, Some(n)) => Some(format!("method.request.header.{n}")),
        },
    };
    let ttl = auth.opt_int("authorizerResultTtlInSeconds")?;
    if let Some(t) = ttl
        && !(0..=3600).contains(&t)
    {
        return Err(ImportError::new(
            auth.ptr_of("authorizerResultTtlInSeconds"),
            "authorizerResultTtlInSeconds must be between 0 and 3600",
        ));
    }
    Ok(Authorizer {
        id: String::new(),
        name: name.to_string(),
        authorizer_type,
        authorizer_uri: auth
            .opt_str("authorizerUri")?
            .map(super::extensions::resolve_aws_variables),
        authorizer_credentials: auth
            .opt_str("authorizerCredentials")?
            .map(super::extensions::resolve_aws_variables),
        provider_a_r_ns: auth
            .opt_string_list("providerARNs")?
            .iter()
            .map(|s| super::extensions::resolve_aws_variables(s))
            .collect(),
        identity_source,
        identity_validation_expression: auth
            .opt_str("identityValidationExpression")?
            .map(str::to_string),
        authorizer_result_ttl_in_seconds: ttl,
        auth_type,
    })
}

/// Adds or replaces an authorizer by name (keeping the existing id), returning its id.
fn upsert_authorizer(ctx: &mut Ctx, mut authorizer: Authorizer) -> String {
    if let Some(existing) = ctx
        .def
        .authorizers
        .iter_mut()
        .find(|a| a.name == authorizer.name)
    {
        authorizer.id = existing.id.clone();
        *existing = authorizer;
        return existing.id.clone();
    }
    let name = authorizer.name.clone();
    authorizer.id = ctx.reuse_id(|p| {
        p.authorizers
            .iter()
            .find(|a| a.name == name)
            .map(|a| a.id.clone())
    });
    let id = authorizer.id.clone();
    ctx.def.authorizers.push(authorizer);
    id
}

/// An operation's `security` → authorization type, authorizer, scopes and `apiKeyRequired`.
pub(crate) fn apply_operation(
    ctx: &mut Ctx,
    op: &Node,
    method: &mut Method,
) -> Result<(), ImportError> {
    // An operation without its own `security` gets the document's (OpenAPI's rule; AWS-recorded:
    // localstack test_import_with_global_api_key_authorizer and
    // test_import_with_cognito_auth_identity_source apply root-level security to such methods).
    let doc = ctx.doc;
    let Some(security) = op.get("security").or_else(|| doc.node().get("security")) else {
        return Ok(());
    };
    for requirement in security.items()? {
        for (name, scopes) in requirement.entries()? {
            let use_ = match ctx.schemes.get(name) {
                Some(u) => u.clone(),
                None => match ctx.def.authorizers.iter().find(|a| a.name == name) {
                    Some(a) => SchemeUse::Authorizer {
                        id: a.id.clone(),
                        cognito: a.authorizer_type == AuthorizerType::CognitoUserPools,
                    },
                    None => {
                        return Err(
                            scopes.err(format!("reference to unknown security scheme '{name}'"))
                        );
                    }
                },
            };
            match use_ {
                SchemeUse::Authorizer { id, cognito } => {
                    method.authorization_type = if cognito {
                        AuthorizationType::CognitoUserPools
                    } else {
                        AuthorizationType::Custom
                    }
                    .into();
                    method.authorizer_id = Some(id);
                    let list: Vec<String> = match scopes.v {
                        Value::Array(_) => scopes
                            .items()?
                            .iter()
                            .map(|s| s.str().map(str::to_string))
                            .collect::<Result<_, _>>()?,
                        _ => return Err(scopes.err("expected a list of scopes")),
                    };
                    if !list.is_empty() {
                        if cognito {
                            method.authorization_scopes = list;
                        } else {
                            ctx.warn(
                                &scopes.ptr,
                                "scopes apply to Cognito authorizers only; ignored",
                            );
                        }
                    }
                }
                SchemeUse::Iam => method.authorization_type = AuthorizationType::AwsIam.into(),
                SchemeUse::ApiKey => method.api_key_required = true,
                SchemeUse::Unsupported => {}
            }
        }
    }
    Ok(())
}

/// Export: the security schemes the definition needs.
pub(crate) fn export_schemes(def: &ApiDefinition, with_authorizers: bool) -> Map<String, Value> {
    let mut schemes = Map::new();
    let methods = || {
        def.resources
            .iter()
            .flat_map(|r| r.resource_methods.values())
    };
    if methods().any(|m| m.api_key_required) {
        schemes.insert(
            API_KEY_SCHEME.into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    if !with_authorizers {
        return schemes;
    }
    if methods().any(|m| m.authorization_type == AuthorizationType::AwsIam) {
        schemes.insert(
            SIGV4_SCHEME.into(),
            json!({"type": "apiKey", "name": "Authorization", "in": "header", AUTHTYPE: "awsSigv4"}),
        );
    }
    for a in &def.authorizers {
        schemes.insert(a.name.clone(), export_authorizer(a));
    }
    schemes
}

fn export_authorizer(a: &Authorizer) -> Value {
    let sources: Vec<&str> = a
        .identity_source
        .as_deref()
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let (name, location) = match sources.as_slice() {
        [one] => match one.strip_prefix("method.request.header.") {
            Some(h) => (h.to_string(), "header"),
            None => match one.strip_prefix("method.request.querystring.") {
                Some(q) => (q.to_string(), "query"),
                None => ("Unused".to_string(), "header"),
            },
        },
        _ => ("Unused".to_string(), "header"),
    };
    let (kind, default_authtype) = match a.authorizer_type {
        AuthorizerType::Token => ("token", "custom"),
        AuthorizerType::Request => ("request", "custom"),
        AuthorizerType::CognitoUserPools => ("cognito_user_pools", "cognito_user_pools"),
    };
    let mut auth = Map::new();
    auth.insert("type".into(), json!(kind));
    if let Some(u) = &a.authorizer_uri {
        auth.insert("authorizerUri".into(), json!(u));
    }
    if let Some(c) = &a.authorizer_credentials {
        auth.insert("authorizerCredentials".into(), json!(c));
    }
    if !a.provider_a_r_ns.is_empty() {
        auth.insert("providerARNs".into(), json!(a.provider_a_r_ns));
    }
    if let Some(s) = &a.identity_source {
        auth.insert("identitySource".into(), json!(s));
    }
    if let Some(e) = &a.identity_validation_expression {
        auth.insert("identityValidationExpression".into(), json!(e));
    }
    if let Some(t) = a.authorizer_result_ttl_in_seconds {
        auth.insert("authorizerResultTtlInSeconds".into(), json!(t));
    }
    json!({
        "type": "apiKey",
        "name": name,
        "in": location,
        AUTHTYPE: a.auth_type.clone().unwrap_or_else(|| default_authtype.to_string()),
        AUTHORIZER: Value::Object(auth),
    })
}

/// Export: an operation's `security` list (one requirement per scheme, as AWS writes it).
pub(crate) fn export_operation_security(
    def: &ApiDefinition,
    method: &Method,
    with_authorizers: bool,
) -> Vec<Value> {
    let mut out = Vec::new();
    if with_authorizers {
        match method.authorization_type.kind() {
            AuthorizationType::AwsIam => out.push(json!({SIGV4_SCHEME: []})),
            AuthorizationType::Custom | AuthorizationType::CognitoUserPools => {
                if let Some(a) = method
                    .authorizer_id
                    .as_deref()
                    .and_then(|id| def.authorizer(id))
                {
                    out.push(json!({a.name.clone(): method.authorization_scopes}));
                }
            }
            AuthorizationType::None => {}
        }
    }
    if method.api_key_required {
        out.push(json!({API_KEY_SCHEME: []}));
    }
    out
}
