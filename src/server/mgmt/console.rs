//! gwtui's endpoints for an attached console (`gwtui attach`), for what AWS's control plane
//! has no operation for:
//! - `GET /gwtui/restapis/{id}/definition` — the working definition (the API with its
//!   resource tree, models, authorizers, validators and gateway responses) in one answer;
//! - `GET /gwtui/restapis/{id}/deployments/{deploymentId}/definition` — what a deployment froze;
//! - `GET /gwtui/restapis/{id}/export?yaml=true|false` — the working definition as OpenAPI 3
//!   with the API Gateway extensions (GetExport exports a stage's deployment);
//! - `POST /gwtui/restapis/{id}/resources/{rid}/methods/{verb}/render` —
//!   `{"template": ..., "sample": {...}}` → `{"output": ...}`: a template rendered against a
//!   sample request, nothing saved;
//! - `POST /gwtui/templates/check` — `{"template": ...}`: 200 when it parses, else a 400 naming
//!   line and column;
//! - `GET /gwtui/aws` — the `[aws]` settings without the secret;
//! - `GET /gwtui/traces/{requestId}` — one traced request (the console's trace view), or null.
//! - `GET /gwtui/cluster` — cluster mode: this node's id, the store, and every node with its
//!   health (`up`/`stale`/`down` by its last heartbeat's age); `nodes` is empty on SQLite.
//!
//! The event stream (`GET /gwtui/events`) is `server/events.rs`.

use bytes::Bytes;
use http::{Method, StatusCode};
use serde::Deserialize;

use super::{Call, Reply, ok, unknown, with_body};
use crate::engine::{Gateway, PreviewError, TemplateSample};
use crate::model::AdminError;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RenderInput {
    template: String,
    #[serde(default)]
    sample: TemplateSample,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CheckInput {
    template: String,
}

pub async fn route(call: &Call<'_>, segs: &[&str]) -> Reply {
    let m = &call.parts.method;
    match segs {
        ["aws"] if m == Method::GET => ok(StatusCode::OK, &call.gw.aws_settings().public_view()),
        // One traced request (null when the engine keeps no trace of it).
        ["traces", request_id] if m == Method::GET => {
            ok(StatusCode::OK, &call.gw.request_trace(request_id))
        }
        ["cluster"] if m == Method::GET => {
            // A small PostgreSQL read: off the async workers.
            let gw = call.gw.clone();
            let view = tokio::task::spawn_blocking(move || gw.cluster_view())
                .await
                .map_err(|e| AdminError::Internal(format!("the cluster read failed: {e}")))??;
            ok(StatusCode::OK, &view)
        }
        ["templates", "check"] if m == Method::POST => {
            let input: CheckInput = call.json()?;
            Gateway::check_template(&input.template).map_err(AdminError::bad_request)?;
            ok(StatusCode::OK, &serde_json::json!({}))
        }
        ["restapis", id, "definition"] if m == Method::GET => {
            ok(StatusCode::OK, &call.gw.get_definition(id)?)
        }
        ["restapis", id, "deployments", deployment_id, "definition"] if m == Method::GET => ok(
            StatusCode::OK,
            &*call.gw.deployment_snapshot(id, deployment_id)?,
        ),
        ["restapis", id, "export"] if m == Method::GET => {
            let yaml = call.query_flag("yaml");
            let host = match call.local {
                Some(addr) => format!("{id}.execute-api.localhost:{}", addr.port()),
                None => format!("{id}.execute-api.localhost"),
            };
            let text = call.gw.export_working_definition(id, yaml, &host)?;
            let content_type = if yaml {
                "application/yaml"
            } else {
                "application/json"
            };
            Ok(with_body(StatusCode::OK, Bytes::from(text), content_type))
        }
        ["restapis", id, "resources", rid, "methods", verb, "render"] if m == Method::POST => {
            let input: RenderInput = call.json()?;
            // Rendering is CPU work on a client's template: off the async workers.
            let (gw, id, rid, verb) = (
                call.gw.clone(),
                id.to_string(),
                rid.to_string(),
                verb.to_string(),
            );
            let output = tokio::task::spawn_blocking(move || {
                gw.render_template_preview(&id, &rid, &verb, &input.template, input.sample)
            })
            .await
            .map_err(|e| AdminError::Internal(format!("the render did not finish: {e}")))?
            .map_err(|e| match e {
                PreviewError::Admin(e) => e,
                PreviewError::Template(message) => AdminError::bad_request(message),
            })?;
            ok(StatusCode::OK, &serde_json::json!({ "output": output }))
        }
        _ => Err(unknown(call)),
    }
}
