//! The built-in demo: a small "petstore" API (assets/demo/petstore.yaml) using MOCK and
//! HTTP_PROXY integrations and one AWS service integration (`POST /orders` → the SQS queue
//! `gwtui-demo-orders` at the `[aws]` endpoint), and the pet backend the HTTP_PROXY methods
//! reach, served in-process on loopback. The first run on an empty data dir seeds the API with stages `dev`
//! and `prod`; later runs point the stages' `backend` variable at the new backend address.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

pub mod http_api;
pub mod websocket;

use crate::engine::{Actor, CreateDeployment, Gateway};
use crate::model::{AdminError, PatchOperation};

/// The demo's OpenAPI document, embedded.
pub const PETSTORE: &str = include_str!("../assets/demo/petstore.yaml");
/// The tag that marks the demo API.
pub const DEMO_TAG: &str = "gwtui:demo";
/// The file in the data dir that records the demo was seeded once (so deleting it sticks).
pub const SEEDED_MARKER: &str = "demo-seeded";

/// Starts the pet backend on 127.0.0.1 (port 0) and returns its address.
pub async fn start_backend() -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let next_id = Arc::new(AtomicU64::new(4));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let next_id = next_id.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let next_id = next_id.clone();
                    async move { Ok::<_, Infallible>(backend(req, &next_id, addr).await) }
                });
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok(addr)
}

const PETS: &str = r#"[{"id":1,"type":"dog","price":249.99},{"id":2,"type":"cat","price":124.99},{"id":3,"type":"fish","price":0.99}]"#;

async fn backend(
    req: Request<Incoming>,
    next_id: &AtomicU64,
    addr: SocketAddr,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path().to_string();
    let json = |status: StatusCode, text: String| {
        let mut r = Response::new(Full::new(Bytes::from(text)));
        *r.status_mut() = status;
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        r
    };
    match (parts.method.as_str(), path.as_str()) {
        // The demo HTTP API's JWT issuer: discovery, key set, and a token to try it with.
        ("GET", "/.well-known/openid-configuration") => {
            json(StatusCode::OK, http_api::openid_configuration(addr))
        }
        ("GET", "/.well-known/jwks.json") => json(StatusCode::OK, http_api::DEMO_JWKS.into()),
        ("GET", "/demo-token") => match http_api::demo_token(addr) {
            Ok(token) => json(
                StatusCode::OK,
                serde_json::json!({ "token": token }).to_string(),
            ),
            Err(e) => json(
                StatusCode::INTERNAL_SERVER_ERROR,
                serde_json::json!({ "message": e }).to_string(),
            ),
        },
        ("GET", "/pets") => json(StatusCode::OK, PETS.to_string()),
        ("POST", "/pets") => {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let pet: serde_json::Value =
                serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
            json(
                StatusCode::CREATED,
                serde_json::json!({ "id": id, "pet": pet }).to_string(),
            )
        }
        ("GET", "/slow") => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            json(StatusCode::OK, "{\"slow\":true}".into())
        }
        ("GET", p) if p.starts_with("/pets/") => {
            let id = &p["/pets/".len()..];
            let pets: Vec<serde_json::Value> = serde_json::from_str(PETS).unwrap_or_default();
            match pets
                .iter()
                .find(|p| p["id"].as_u64().is_some_and(|n| id.parse() == Ok(n)))
            {
                Some(pet) => json(StatusCode::OK, pet.to_string()),
                None => json(
                    StatusCode::NOT_FOUND,
                    format!("{{\"message\":\"no pet {id}\"}}"),
                ),
            }
        }
        _ => {
            let headers: serde_json::Map<String, serde_json::Value> = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        serde_json::Value::String(String::from_utf8_lossy(v.as_bytes()).into()),
                    )
                })
                .collect();
            json(
                StatusCode::OK,
                serde_json::json!({
                    "method": parts.method.as_str(),
                    "path": path,
                    "query": parts.uri.query(),
                    "headers": headers,
                    "body": String::from_utf8_lossy(&body),
                })
                .to_string(),
            )
        }
    }
}

/// Seeds the demo (the REST API, the HTTP API and the WebSocket chat) when it was never seeded, or points the
/// existing demo APIs at `backend`. Returns the REST demo API's id when there is one.
pub async fn seed_or_refresh(
    gw: &Gateway,
    backend: SocketAddr,
) -> Result<Option<String>, AdminError> {
    http_api::seed_or_refresh(gw, backend).await?;
    websocket::seed_or_refresh(gw).await?;
    seed_or_refresh_rest(gw, backend).await
}

async fn seed_or_refresh_rest(
    gw: &Gateway,
    backend: SocketAddr,
) -> Result<Option<String>, AdminError> {
    let actor = Actor::new("demo");
    let backend_value = backend.to_string();
    let existing = gw
        .list_rest_apis()
        .into_iter()
        .find(|a| a.tags.contains_key(DEMO_TAG));
    if let Some(api) = existing {
        for stage in gw.list_stages(&api.id)? {
            if stage.variables.get("backend") != Some(&backend_value) {
                let op = PatchOperation::replace("/variables/backend", backend_value.clone());
                gw.update_stage(&actor, &api.id, &stage.stage_name, vec![op])
                    .await?;
            }
        }
        return Ok(Some(api.id));
    }
    let marker = gw.config().data_dir.join(SEEDED_MARKER);
    if marker.exists() || !gw.list_rest_apis().is_empty() {
        return Ok(None);
    }
    let mut definition = crate::openapi::import(PETSTORE, &Default::default(), None)
        .map_err(|e| AdminError::Internal(format!("the embedded demo does not import: {e}")))?
        .definition;
    definition
        .rest_api
        .tags
        .insert(DEMO_TAG.into(), "true".into());
    let api = gw
        .install_new_api(&actor, "ImportRestApi", definition)
        .await?;
    for (stage, description) in [("dev", "demo: development"), ("prod", "demo: production")] {
        let mut variables = indexmap::IndexMap::new();
        variables.insert("backend".to_string(), backend_value.clone());
        gw.create_deployment(
            &actor,
            &api.id,
            CreateDeployment {
                stage_name: Some(stage.into()),
                description: Some(description.into()),
                variables,
                ..Default::default()
            },
        )
        .await?;
    }
    std::fs::write(&marker, api.id.as_bytes())
        .map_err(|e| AdminError::Internal(format!("cannot write {}: {e}", marker.display())))?;
    Ok(Some(api.id))
}

/// OpenAPI documents for tests that build a known API in an engine (the console's key
/// scripts seed the fake's sample world with them): the console's tests may not name
/// `crate::openapi` (tests/engine_boundary.rs), the demo may.
#[cfg(test)]
pub(crate) mod documents {
    use crate::engine::{Actor, Gateway};
    use crate::model::{AdminError, ApiDefinition, RestApi};
    use crate::openapi::{ExportOptions, Extensions, ImportMode, ImportOptions};

    /// `def` as OpenAPI 3 with every API Gateway extension.
    pub(crate) fn document(def: &ApiDefinition) -> String {
        crate::openapi::export(
            def,
            &ExportOptions {
                extensions: Extensions::Apigateway,
                ..ExportOptions::default()
            },
        )
        .unwrap_or_default()
    }

    /// PutRestApi in overwrite mode: the API becomes exactly `source`.
    pub(crate) async fn overwrite(
        gw: &Gateway,
        actor: &Actor,
        api_id: &str,
        source: &str,
    ) -> Result<RestApi, AdminError> {
        let opts = ImportOptions {
            mode: ImportMode::Overwrite,
            ..ImportOptions::default()
        };
        gw.put_rest_api(actor, api_id, source, opts).await
    }
}
