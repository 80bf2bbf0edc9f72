//! The demo's HTTP API (API Gateway v2), seeded next to the REST demo so the first run shows
//! both kinds: a `$default` stage with auto-deploy and CORS, `GET /hello` on a Python Lambda
//! handler (assets/demo/functions), `ANY /pets/{proxy+}` proxied to the demo backend, and
//! `GET /secure/pets` behind a JWT authorizer whose issuer is the demo backend (it serves
//! the OpenID configuration, the demo key set, and `GET /demo-token` to get a token).

use std::net::SocketAddr;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use super::DEMO_TAG;
use crate::engine::admin::http_api::{
    CreateApi, CreateAuthorizer, CreateIntegration, CreateRoute, CreateStage,
};
use crate::engine::functions::{FunctionConfig, Runtime};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{Cors, DEFAULT, JwtConfiguration};

/// The demo key set (public half) and its private key (demo-only; assets/demo/jwt/README.md).
pub const DEMO_JWKS: &str = include_str!("../../assets/demo/jwt/jwks.json");
const DEMO_KEY: &[u8] = include_bytes!("../../assets/demo/jwt/demo_private_pkcs1.der");
const DEMO_KID: &str = "gwtui-demo-1";
/// The audience the demo's JWT route accepts.
pub const DEMO_AUDIENCE: &str = "gwtui-demo";
/// The Lambda handler of the demo's `GET /hello`.
const HELLO_PY: &str = include_str!("../../assets/demo/functions/hello_http.py");
/// The demo function's name.
pub const HELLO_FUNCTION: &str = "gwtui-demo-hello";
/// Records that the HTTP demo was seeded once (so deleting it sticks).
pub const SEEDED_MARKER: &str = "demo-http-seeded";

/// The issuer URL of the demo backend at `backend`.
pub fn issuer(backend: SocketAddr) -> String {
    format!("http://{backend}")
}

/// The OpenID configuration the demo backend serves.
pub fn openid_configuration(backend: SocketAddr) -> String {
    let issuer = issuer(backend);
    json!({"issuer": issuer, "jwks_uri": format!("{issuer}/.well-known/jwks.json")}).to_string()
}

/// A demo token (1 hour, scope `pets:read`) signed with the demo key.
pub fn demo_token(backend: SocketAddr) -> Result<String, String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(DEMO_KID.into());
    let claims = json!({
        "iss": issuer(backend), "aud": DEMO_AUDIENCE, "sub": "demo-user",
        "scope": "pets:read", "iat": now, "exp": now + 3600,
    });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_der(DEMO_KEY))
        .map_err(|e| e.to_string())
}

/// Writes the handler under the data dir and installs the demo function (not stored: the
/// demo installs it on every start).
fn install_function(gw: &Gateway) -> Result<(), AdminError> {
    let dir = gw.config().data_dir.join("demo").join("functions");
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join("hello_http.py"), HELLO_PY))
        .map_err(|e| AdminError::Internal(format!("cannot write the demo function: {e}")))?;
    gw.install_function(
        HELLO_FUNCTION,
        FunctionConfig {
            runtime: Some(Runtime::Python3),
            handler: Some("hello_http.handler".into()),
            code: Some(dir),
            timeout: Some(10),
            ..FunctionConfig::default()
        },
    )
    .map_err(AdminError::Internal)
}

/// Seeds the HTTP demo when it was never seeded, or points an existing one at `backend`.
pub async fn seed_or_refresh(
    gw: &Gateway,
    backend: SocketAddr,
) -> Result<Option<String>, AdminError> {
    let actor = Actor::new("demo");
    install_function(gw)?;
    let backend_value = backend.to_string();
    let existing = gw
        .list_http_apis()?
        .into_iter()
        .find(|a| a.tags.contains_key(DEMO_TAG));
    if let Some(api) = existing {
        for stage in gw.list_http_stages(&api.api_id)? {
            if stage.stage_variables.get("backend") != Some(&backend_value) {
                let mut vars = stage.stage_variables.clone();
                vars.insert("backend".into(), backend_value.clone());
                gw.update_http_stage(
                    &actor,
                    &api.api_id,
                    &stage.stage_name,
                    json!({"stageVariables": vars}),
                )
                .await?;
            }
        }
        for a in gw.list_http_authorizers(&api.api_id)? {
            let wanted = issuer(backend);
            if a.authorizer_type == "JWT"
                && a.jwt_configuration
                    .as_ref()
                    .and_then(|j| j.issuer.as_deref())
                    != Some(wanted.as_str())
            {
                gw.update_http_authorizer(
                    &actor,
                    &api.api_id,
                    &a.authorizer_id,
                    json!({"jwtConfiguration": {"issuer": wanted, "audience": [DEMO_AUDIENCE]}}),
                )
                .await?;
            }
        }
        return Ok(Some(api.api_id));
    }
    let marker = gw.config().data_dir.join(SEEDED_MARKER);
    if marker.exists() {
        return Ok(None);
    }
    let mut tags = std::collections::BTreeMap::new();
    tags.insert(DEMO_TAG.to_string(), "true".to_string());
    let api = gw
        .create_http_api(
            &actor,
            CreateApi {
                name: "demo-http".into(),
                protocol_type: "HTTP".into(),
                description: Some("gwtui demo: an HTTP API (Lambda 2.0, HTTP proxy, JWT)".into()),
                cors_configuration: Some(Cors {
                    allow_origins: vec!["*".into()],
                    allow_methods: vec!["GET".into(), "POST".into()],
                    allow_headers: vec!["authorization".into(), "content-type".into()],
                    max_age: Some(300),
                    ..Cors::default()
                }),
                tags,
                ..CreateApi::default()
            },
        )
        .await?;
    let api_id = api.api_id;
    let integration = |integration_type: &str, uri: String, method: Option<&str>, version: &str| {
        CreateIntegration {
            integration_type: integration_type.into(),
            integration_uri: Some(uri),
            integration_method: method.map(str::to_string),
            payload_format_version: Some(version.into()),
            ..CreateIntegration::default()
        }
    };
    let lambda = gw
        .create_http_integration(
            &actor,
            &api_id,
            integration(
                "AWS_PROXY",
                format!(
                    "arn:aws:lambda:{}:{}:function:{HELLO_FUNCTION}",
                    crate::engine::REGION,
                    crate::engine::ACCOUNT_ID
                ),
                None,
                "2.0",
            ),
        )
        .await?;
    let proxy = gw
        .create_http_integration(
            &actor,
            &api_id,
            integration(
                "HTTP_PROXY",
                "http://${stageVariables.backend}/pets/{proxy}".into(),
                Some("ANY"),
                "1.0",
            ),
        )
        .await?;
    let pets = gw
        .create_http_integration(
            &actor,
            &api_id,
            integration(
                "HTTP_PROXY",
                "http://${stageVariables.backend}/pets".into(),
                Some("GET"),
                "1.0",
            ),
        )
        .await?;
    let authorizer = gw
        .create_http_authorizer(
            &actor,
            &api_id,
            CreateAuthorizer {
                name: "demo-jwt".into(),
                authorizer_type: "JWT".into(),
                identity_source: vec!["$request.header.Authorization".into()],
                jwt_configuration: Some(JwtConfiguration {
                    issuer: Some(issuer(backend)),
                    audience: vec![DEMO_AUDIENCE.into()],
                }),
                ..CreateAuthorizer::default()
            },
        )
        .await?;
    let target =
        |i: &crate::model::v2::Integration| Some(format!("integrations/{}", i.integration_id));
    for route in [
        CreateRoute {
            route_key: "GET /hello".into(),
            target: target(&lambda),
            ..CreateRoute::default()
        },
        CreateRoute {
            route_key: "ANY /pets/{proxy+}".into(),
            target: target(&proxy),
            ..CreateRoute::default()
        },
        CreateRoute {
            route_key: "GET /secure/pets".into(),
            target: target(&pets),
            authorization_type: Some("JWT".into()),
            authorizer_id: Some(authorizer.authorizer_id.clone()),
            authorization_scopes: vec!["pets:read".into()],
            ..CreateRoute::default()
        },
    ] {
        gw.create_http_route(&actor, &api_id, route).await?;
    }
    let mut variables = indexmap::IndexMap::new();
    variables.insert("backend".to_string(), backend_value);
    let stage = gw
        .create_http_stage(
            &actor,
            &api_id,
            CreateStage {
                stage_name: DEFAULT.into(),
                auto_deploy: true,
                stage_variables: variables,
                ..CreateStage::default()
            },
        )
        .await?;
    if stage.deployment_id.is_none() {
        return Err(AdminError::Internal(
            "the demo HTTP API did not deploy".into(),
        ));
    }
    std::fs::write(&marker, api_id.as_bytes())
        .map_err(|e| AdminError::Internal(format!("cannot write {}: {e}", marker.display())))?;
    Ok(Some(api_id))
}
