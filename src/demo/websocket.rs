//! The demo's WebSocket chat (after AWS's simple-websocket-chat-app): `demo-chat` on
//! `$request.body.action` with `$connect`, `$disconnect` and `sendmessage` on one Python
//! Lambda handler (assets/demo/functions/chat.py) that keeps the connection ids in SQLite and
//! broadcasts through `@connections` with the credential gwtui gives its workers. Stage
//! `production`, auto-deployed. Connect with
//! `python -m websockets ws://127.0.0.1:PORT/restapis/{apiId}/production/_user_request_` and
//! send `{"action": "sendmessage", "data": "hello"}`.

use super::DEMO_TAG;
use crate::engine::admin::http_api::{CreateApi, CreateIntegration, CreateRoute, CreateStage};
use crate::engine::functions::{FunctionConfig, Runtime};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;

/// The chat's Lambda handler.
const CHAT_PY: &str = include_str!("../../assets/demo/functions/chat.py");
/// The chat function's name.
pub const CHAT_FUNCTION: &str = "gwtui-demo-chat";
/// The chat API's name and stage.
pub const CHAT_NAME: &str = "demo-chat";
pub const CHAT_STAGE: &str = "production";
/// Records that the chat was seeded once (so deleting it sticks).
pub const SEEDED_MARKER: &str = "demo-chat-seeded";

/// Writes the handler under the data dir (with a fresh connection table: connections do not
/// outlive the process) and installs the function.
fn install_function(gw: &Gateway) -> Result<(), AdminError> {
    let dir = gw.config().data_dir.join("demo").join("functions");
    let db = gw.config().data_dir.join("demo").join("chat.sqlite3");
    let _ = std::fs::remove_file(&db);
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(dir.join("chat.py"), CHAT_PY))
        .map_err(|e| AdminError::Internal(format!("cannot write the demo chat function: {e}")))?;
    let mut environment = std::collections::BTreeMap::new();
    environment.insert("CHAT_DB".to_string(), db.to_string_lossy().into_owned());
    gw.install_function(
        CHAT_FUNCTION,
        FunctionConfig {
            runtime: Some(Runtime::Python3),
            handler: Some("chat.handler".into()),
            code: Some(dir),
            timeout: Some(15),
            environment: environment.into_iter().collect(),
            ..FunctionConfig::default()
        },
    )
    .map_err(AdminError::Internal)
}

/// Seeds the chat when it was never seeded; installs its function on every start. Returns
/// the chat API's id when there is one.
pub async fn seed_or_refresh(gw: &Gateway) -> Result<Option<String>, AdminError> {
    install_function(gw)?;
    let existing = gw
        .list_http_apis()?
        .into_iter()
        .find(|a| a.tags.contains_key(DEMO_TAG) && a.name == CHAT_NAME);
    if let Some(api) = existing {
        return Ok(Some(api.api_id));
    }
    let marker = gw.config().data_dir.join(SEEDED_MARKER);
    if marker.exists() {
        return Ok(None);
    }
    let actor = Actor::new("demo");
    let mut tags = std::collections::BTreeMap::new();
    tags.insert(DEMO_TAG.to_string(), "true".to_string());
    let api = gw
        .create_http_api(
            &actor,
            CreateApi {
                name: CHAT_NAME.into(),
                protocol_type: "WEBSOCKET".into(),
                route_selection_expression: Some("$request.body.action".into()),
                description: Some(
                    "gwtui demo: a WebSocket chat (Lambda broadcasting through @connections)"
                        .into(),
                ),
                tags,
                ..CreateApi::default()
            },
        )
        .await?;
    let api_id = api.api_id;
    let lambda = gw
        .create_http_integration(
            &actor,
            &api_id,
            CreateIntegration {
                integration_type: "AWS_PROXY".into(),
                integration_uri: Some(format!(
                    "arn:aws:lambda:{}:{}:function:{CHAT_FUNCTION}",
                    crate::engine::REGION,
                    crate::engine::ACCOUNT_ID
                )),
                ..CreateIntegration::default()
            },
        )
        .await?;
    for key in ["$connect", "$disconnect", "sendmessage"] {
        gw.create_http_route(
            &actor,
            &api_id,
            CreateRoute {
                route_key: key.into(),
                target: Some(format!("integrations/{}", lambda.integration_id)),
                ..CreateRoute::default()
            },
        )
        .await?;
    }
    let stage = gw
        .create_http_stage(
            &actor,
            &api_id,
            CreateStage {
                stage_name: CHAT_STAGE.into(),
                auto_deploy: true,
                ..CreateStage::default()
            },
        )
        .await?;
    if stage.deployment_id.is_none() {
        return Err(AdminError::Internal("the demo chat did not deploy".into()));
    }
    std::fs::write(&marker, api_id.as_bytes())
        .map_err(|e| AdminError::Internal(format!("cannot write {}: {e}", marker.display())))?;
    Ok(Some(api_id))
}
