//! The apigatewayv2 control plane for HTTP APIs: each operation runs through the engine's one
//! admin path (`Gateway::admin_op`: validate on copies, commit with its audit row, install,
//! swap the route map), so HTTP APIs are durable and audited like REST APIs.

mod apis;
mod authorizers;
mod child;
pub mod domains;
mod export;
mod grandchild;
mod integrations;
mod routes;
mod stages;
mod tags;
mod websocket;

use std::collections::HashMap;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use apis::CreateApi;
pub use authorizers::CreateAuthorizer;
pub use domains::CreateApiMapping;
pub use integrations::CreateIntegration;
pub use routes::CreateRoute;
pub use stages::{CreateDeployment, CreateStage};
pub use websocket::{CreateIntegrationResponse, CreateModel, CreateRouteResponse};

use crate::engine::OpenError;
use crate::engine::admin::AdminTxn;
use crate::engine::live::Routes;
use crate::engine::live::http_api::{CompiledHttpApi, LiveHttpApi, live_stage};
use crate::engine::traffic::Traffic;
use crate::model::AdminError;
use crate::model::v2::{Deployment, HttpApiDefinition, Stage, now_iso8601};
use crate::store::{Change, StoredHttpApi, V2Change};

/// The description AWS gives a deployment a stage's `autoDeploy` made.
const AUTO_DEPLOYMENT_DESCRIPTION: &str =
    "Automatic deployment triggered by changes to the Api configuration";

/// A deployment with its frozen definition and compiled form.
#[derive(Debug, Clone)]
pub(crate) struct HttpDeploymentRecord {
    pub deployment: Deployment,
    pub snapshot: Arc<HttpApiDefinition>,
    pub compiled: Arc<CompiledHttpApi>,
}

/// One HTTP API's control-plane state.
#[derive(Debug, Clone)]
pub(crate) struct HttpApiState {
    pub definition: HttpApiDefinition,
    pub deployments: IndexMap<String, HttpDeploymentRecord>,
    pub stages: IndexMap<String, Stage>,
}

/// The HTTP APIs of a loaded store.
pub(crate) fn from_stored(
    stored: Vec<StoredHttpApi>,
) -> Result<IndexMap<String, HttpApiState>, OpenError> {
    let mut out = IndexMap::new();
    for api in stored {
        let id = api.definition.api.api_id.clone();
        let mut deployments = IndexMap::new();
        for (deployment, snapshot) in api.deployments {
            let compiled = CompiledHttpApi::compile(&snapshot).map_err(|e| OpenError::Compile {
                api_id: id.clone(),
                deployment_id: deployment.deployment_id.clone(),
                reason: e.message().to_string(),
            })?;
            deployments.insert(
                deployment.deployment_id.clone(),
                HttpDeploymentRecord {
                    deployment,
                    snapshot: Arc::new(snapshot),
                    compiled: Arc::new(compiled),
                },
            );
        }
        let stages = api
            .stages
            .into_iter()
            .map(|s| (s.stage_name.clone(), s))
            .collect();
        out.insert(
            id,
            HttpApiState {
                definition: api.definition,
                deployments,
                stages,
            },
        );
    }
    Ok(out)
}

/// The data plane's view of every HTTP API (buckets handed over from `previous`).
pub(crate) fn build_live(
    apis: &IndexMap<String, HttpApiState>,
    traffic: &Traffic,
    previous: &Routes,
) -> HashMap<String, Arc<LiveHttpApi>> {
    let mut out = HashMap::new();
    for (id, api) in apis {
        let before = previous.http_apis.get(id);
        let mut stages = HashMap::new();
        for (name, stage) in &api.stages {
            let Some(record) = stage
                .deployment_id
                .as_deref()
                .and_then(|d| api.deployments.get(d))
            else {
                continue;
            };
            let prev = before.and_then(|b| b.stages.get(name)).map(|s| &**s);
            stages.insert(
                name.clone(),
                Arc::new(live_stage(
                    id,
                    stage,
                    record.compiled.clone(),
                    traffic,
                    prev,
                )),
            );
        }
        out.insert(
            id.clone(),
            Arc::new(LiveHttpApi {
                disable_execute_api_endpoint: api.definition.api.disable_execute_api_endpoint,
                websocket: api.definition.is_websocket(),
                stages,
            }),
        );
    }
    out
}

pub(crate) fn not_found_api(id: &str) -> AdminError {
    AdminError::not_found(format!(
        "Invalid API identifier specified {}:{id}",
        crate::engine::ACCOUNT_ID
    ))
}

fn not_found(kind: &str, api_id: &str, id: &str) -> AdminError {
    AdminError::not_found(format!(
        "Invalid {kind} identifier specified {}:{api_id}:{id}",
        crate::engine::ACCOUNT_ID
    ))
}

/// A fresh id of `len` characters that `taken` does not hold.
fn fresh_id(len: usize, taken: impl Fn(&str) -> bool) -> String {
    loop {
        let id = crate::model::ids::new_id(len);
        if !taken(&id) {
            return id;
        }
    }
}

/// The update body of an Update* operation merged over `existing` (only the `allowed` keys;
/// an unknown key is refused), checked by deserialising the result.
fn merge_update<T: Serialize + DeserializeOwned>(
    existing: &T,
    patch: &serde_json::Value,
    allowed: &[&str],
) -> Result<T, AdminError> {
    let serde_json::Value::Object(fields) = patch else {
        return Err(AdminError::bad_request(
            "Could not parse request body into json: expected an object",
        ));
    };
    let mut value = serde_json::to_value(existing)
        .map_err(|e| AdminError::Internal(format!("cannot serialise: {e}")))?;
    for (k, v) in fields {
        if !allowed.contains(&k.as_str()) {
            return Err(AdminError::bad_request(format!(
                "Invalid request: '{k}' cannot be updated"
            )));
        }
        if let serde_json::Value::Object(obj) = &mut value {
            obj.insert(k.clone(), v.clone());
        }
    }
    // The body parsed as JSON already: what fails here is a value of the wrong type (serde's
    // own text never reaches a client).
    serde_json::from_value(value).map_err(|_| {
        AdminError::bad_request(
            "Invalid request body: a value does not have the type the operation expects",
        )
    })
}

impl AdminTxn<'_> {
    /// A mutable copy of an HTTP API's state (copied on first use).
    pub(crate) fn http_api_mut(&mut self, id: &str) -> Result<&mut HttpApiState, AdminError> {
        self.http_apis_mut()
            .get_mut(id)
            .ok_or_else(|| not_found_api(id))
    }

    /// Records the API's working definition as a change.
    fn put_http_definition(&mut self, id: &str) -> Result<(), AdminError> {
        let def = self.http_api_mut(id)?.definition.clone();
        self.changes
            .push(Change::V2(V2Change::PutApi(Box::new(def))));
        Ok(())
    }

    /// Deploys the current definition to `stage_name` (or only creates the deployment).
    /// `auto`: a deployment made by a stage's `autoDeploy`.
    fn deploy_http(
        &mut self,
        api_id: &str,
        stage_name: Option<&str>,
        description: Option<String>,
        auto: bool,
    ) -> Result<Deployment, AdminError> {
        let api = self.http_api_mut(api_id)?;
        if api.definition.routes.is_empty() {
            return Err(AdminError::bad_request(
                "Unable to deploy API because no routes exist in this API",
            ));
        }
        let deployment_id = fresh_id(6, |c| api.deployments.contains_key(c));
        let compiled = CompiledHttpApi::compile(&api.definition)?;
        // An automatic deployment is described as AWS describes it (AWS's documented
        // GetDeployments output, awscli/examples/apigatewayv2/get-deployments.rst).
        let description = match (description, auto) {
            (None, true) => Some(AUTO_DEPLOYMENT_DESCRIPTION.to_string()),
            (d, _) => d,
        };
        let deployment = Deployment {
            auto_deployed: auto,
            created_date: Some(now_iso8601()),
            deployment_id: deployment_id.clone(),
            deployment_status: "DEPLOYED".into(),
            description,
        };
        let snapshot = Arc::new(api.definition.clone());
        api.deployments.insert(
            deployment_id.clone(),
            HttpDeploymentRecord {
                deployment: deployment.clone(),
                snapshot: snapshot.clone(),
                compiled: Arc::new(compiled),
            },
        );
        let mut changes = vec![Change::V2(V2Change::PutDeployment {
            api_id: api_id.to_string(),
            deployment: deployment.clone(),
            snapshot: Box::new((*snapshot).clone()),
        })];
        if let Some(name) = stage_name {
            let stage = api.stages.get_mut(name).ok_or_else(|| {
                AdminError::bad_request(format!(
                    "Invalid stage identifier specified {}:{api_id}:{name}",
                    crate::engine::ACCOUNT_ID
                ))
            })?;
            stage.deployment_id = Some(deployment_id);
            stage.last_updated_date = deployment.created_date.clone();
            if auto {
                stage.last_deployment_status_message = Some(format!(
                    "Successfully deployed stage with deployment ID '{}'",
                    deployment.deployment_id
                ));
            }
            changes.push(Change::V2(V2Change::PutStage {
                api_id: api_id.to_string(),
                stage: Box::new(stage.clone()),
            }));
        }
        self.changes.extend(changes);
        Ok(deployment)
    }

    /// After a change to routes, integrations, authorizers or the API: every stage with
    /// `autoDeploy` gets a new deployment (none while the API has no route). A definition
    /// that does not deploy is reported on the stage instead.
    fn auto_deploy(&mut self, api_id: &str) -> Result<(), AdminError> {
        let api = self.http_api_mut(api_id)?;
        if api.definition.routes.is_empty() {
            return Ok(());
        }
        let names: Vec<String> = api
            .stages
            .values()
            .filter(|s| s.auto_deploy)
            .map(|s| s.stage_name.clone())
            .collect();
        for name in names {
            self.deploy_http(api_id, Some(&name), None, true)?;
        }
        Ok(())
    }

    /// A definition change: recorded, then auto-deployed.
    fn commit_definition(&mut self, api_id: &str) -> Result<(), AdminError> {
        self.put_http_definition(api_id)?;
        self.auto_deploy(api_id)
    }
}
