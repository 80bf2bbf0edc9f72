//! Stages (CreateStage, GetStage(s), UpdateStage, DeleteStage, DeleteAccessLogSettings,
//! DeleteRouteSettings) and deployments (CreateDeployment, GetDeployment(s),
//! UpdateDeployment, DeleteDeployment). A stage with `autoDeploy` is deployed on creation and
//! after every change to the API.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{merge_update, not_found, not_found_api};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::model::v2::{
    AccessLogSettings, Deployment, RouteKey, RouteSettings, Stage, now_iso8601, validate,
};
use crate::store::{Change, V2Change};

/// CreateStage's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateStage {
    pub access_log_settings: Option<AccessLogSettings>,
    pub auto_deploy: bool,
    pub client_certificate_id: Option<String>,
    pub default_route_settings: Option<RouteSettings>,
    pub deployment_id: Option<String>,
    pub description: Option<String>,
    pub route_settings: IndexMap<String, RouteSettings>,
    pub stage_name: String,
    pub stage_variables: IndexMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// CreateDeployment's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDeployment {
    pub description: Option<String>,
    pub stage_name: Option<String>,
}

const UPDATABLE: &[&str] = &[
    "accessLogSettings",
    "autoDeploy",
    "defaultRouteSettings",
    "deploymentId",
    "description",
    "routeSettings",
    "stageVariables",
];

fn not_found_stage(api_id: &str, name: &str) -> AdminError {
    not_found("Stage", api_id, name)
}

/// Every `routeSettings` key must be a route of the API, in AWS's words (a real CreateStage
/// answer quoted in terraform-aws-modules/terraform-aws-apigateway-v2#80); an HTTP API's keys
/// must first parse as route keys (a WebSocket API's are its routes' own keys: `$connect`,
/// `sendmessage`, …).
fn check_route_settings_keys(
    definition: &crate::model::v2::HttpApiDefinition,
    stage: &Stage,
) -> Result<(), AdminError> {
    let routes = &definition.routes;
    if !definition.is_websocket() {
        for key in stage.route_settings.keys() {
            RouteKey::parse(key)?;
        }
    }
    match stage
        .route_settings
        .keys()
        .find(|k| !routes.iter().any(|r| r.route_key == **k))
    {
        Some(key) => Err(AdminError::not_found(format!(
            "Unable to find Route by key {key} within the provided RouteSettings"
        ))),
        None => Ok(()),
    }
}

fn check_settings(s: &RouteSettings) -> Result<(), AdminError> {
    if let Some(r) = s.throttling_rate_limit
        && !(r >= 0.0 && r.is_finite())
    {
        return Err(AdminError::bad_request(format!(
            "Invalid throttlingRateLimit specified: {r}"
        )));
    }
    if let Some(b) = s.throttling_burst_limit
        && b < 0
    {
        return Err(AdminError::bad_request(format!(
            "Invalid throttlingBurstLimit specified: {b}"
        )));
    }
    if let Some(l) = &s.logging_level
        && !matches!(l.as_str(), "ERROR" | "INFO" | "OFF")
    {
        return Err(AdminError::bad_request(format!(
            "Invalid loggingLevel specified: {l}"
        )));
    }
    Ok(())
}

fn check_stage(stage: &Stage) -> Result<(), AdminError> {
    validate::stage_name(&stage.stage_name)?;
    check_settings(&stage.default_route_settings)?;
    for s in stage.route_settings.values() {
        check_settings(s)?;
    }
    for name in stage.stage_variables.keys() {
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(AdminError::bad_request(format!(
                "Invalid stage variable name specified: '{name}'"
            )));
        }
    }
    if let Some(format) = stage
        .access_log_settings
        .as_ref()
        .and_then(|a| a.format.as_deref())
        && format.len() > 3 * 1024
    {
        return Err(AdminError::bad_request(
            "The access log format must be at most 3 KB",
        ));
    }
    Ok(())
}

impl Gateway {
    pub async fn create_http_stage(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateStage,
    ) -> Result<Stage, AdminError> {
        if input.client_certificate_id.is_some() {
            return Err(AdminError::bad_request(
                "ClientCertificateId is not supported by gwtui (the listener serves plain HTTP)",
            ));
        }
        let now = now_iso8601();
        // AWS answers `defaultRouteSettings: {detailedMetricsEnabled: false}` when none is
        // given (AWS's documented CreateStage output, awscli/examples/apigatewayv2/create-stage.rst).
        let mut default_route_settings = input.default_route_settings.unwrap_or_default();
        default_route_settings
            .detailed_metrics_enabled
            .get_or_insert(false);
        let stage = Stage {
            access_log_settings: input.access_log_settings,
            api_gateway_managed: false,
            auto_deploy: input.auto_deploy,
            created_date: Some(now.clone()),
            default_route_settings,
            deployment_id: input.deployment_id,
            description: input.description,
            last_deployment_status_message: None,
            last_updated_date: Some(now),
            route_settings: input.route_settings,
            stage_name: input.stage_name,
            stage_variables: input.stage_variables,
            tags: input.tags,
        };
        check_stage(&stage)?;
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            "CreateStage",
            format!("v2/apis/{api_id}/stages/{}", stage.stage_name),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.stages.contains_key(&stage.stage_name) {
                    return Err(AdminError::conflict(format!(
                        "Stage {} already exists",
                        stage.stage_name
                    )));
                }
                if api.stages.len() >= 10 {
                    return Err(AdminError::LimitExceeded(
                        "An HTTP API allows at most 10 stages".into(),
                    ));
                }
                if let Some(d) = &stage.deployment_id
                    && !api.deployments.contains_key(d)
                {
                    return Err(AdminError::bad_request(format!(
                        "Invalid deployment identifier specified {}:{api_id}:{d}",
                        crate::engine::ACCOUNT_ID
                    )));
                }
                check_route_settings_keys(&api.definition, &stage)?;
                let name = stage.stage_name.clone();
                api.stages.insert(name.clone(), stage);
                let auto = api.stages[&name].auto_deploy && !api.definition.routes.is_empty();
                if auto {
                    txn.deploy_http(&api_id, Some(&name), None, true)?;
                } else {
                    let stage = api.stages[&name].clone();
                    txn.changes.push(Change::V2(V2Change::PutStage {
                        api_id: api_id.clone(),
                        stage: Box::new(stage),
                    }));
                }
                Ok(txn.http_api_mut(&api_id)?.stages[&name].clone())
            },
        )
        .await
    }

    pub fn get_http_stage(&self, api_id: &str, name: &str) -> Result<Stage, AdminError> {
        self.read(|a| {
            a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .stages
                .get(name)
                .cloned()
                .ok_or_else(|| not_found_stage(api_id, name))
        })
    }

    pub fn list_http_stages(&self, api_id: &str) -> Result<Vec<Stage>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .stages
                .values()
                .cloned()
                .collect())
        })
    }

    /// UpdateStage: the body's fields replace the stage's; turning `autoDeploy` on deploys.
    pub async fn update_http_stage(
        &self,
        actor: &Actor,
        api_id: &str,
        name: &str,
        patch: serde_json::Value,
    ) -> Result<Stage, AdminError> {
        let (api_id, name) = (api_id.to_string(), name.to_string());
        self.admin_op(
            actor,
            "UpdateStage",
            format!("v2/apis/{api_id}/stages/{name}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let old = api
                    .stages
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| not_found_stage(&api_id, &name))?;
                let mut stage: Stage = merge_update(&old, &patch, UPDATABLE)?;
                check_stage(&stage)?;
                if patch.get("routeSettings").is_some() {
                    check_route_settings_keys(&api.definition, &stage)?;
                }
                if stage.auto_deploy && patch.get("deploymentId").is_some() {
                    return Err(AdminError::bad_request(
                        "DeploymentId cannot be set on a stage with autoDeploy enabled",
                    ));
                }
                if let Some(d) = &stage.deployment_id
                    && !api.deployments.contains_key(d)
                {
                    return Err(AdminError::bad_request(format!(
                        "Invalid deployment identifier specified {}:{api_id}:{d}",
                        crate::engine::ACCOUNT_ID
                    )));
                }
                stage.last_updated_date = Some(now_iso8601());
                let deploy =
                    stage.auto_deploy && !old.auto_deploy && !api.definition.routes.is_empty();
                api.stages.insert(name.clone(), stage);
                if deploy {
                    txn.deploy_http(&api_id, Some(&name), None, true)?;
                } else {
                    let stage = txn.http_api_mut(&api_id)?.stages[&name].clone();
                    txn.changes.push(Change::V2(V2Change::PutStage {
                        api_id: api_id.clone(),
                        stage: Box::new(stage),
                    }));
                }
                Ok(txn.http_api_mut(&api_id)?.stages[&name].clone())
            },
        )
        .await
    }

    /// DeleteAccessLogSettings / DeleteRouteSettings: field removals as an UpdateStage.
    pub async fn delete_http_stage_setting(
        &self,
        actor: &Actor,
        api_id: &str,
        name: &str,
        route_key: Option<&str>,
    ) -> Result<(), AdminError> {
        let (api_id, name) = (api_id.to_string(), name.to_string());
        let route_key = route_key.map(str::to_string);
        let action = if route_key.is_some() {
            "DeleteRouteSettings"
        } else {
            "DeleteAccessLogSettings"
        };
        self.admin_op(
            actor,
            action,
            format!("v2/apis/{api_id}/stages/{name}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let stage = api
                    .stages
                    .get_mut(&name)
                    .ok_or_else(|| not_found_stage(&api_id, &name))?;
                match &route_key {
                    Some(key) => {
                        if stage.route_settings.shift_remove(key).is_none() {
                            return Err(AdminError::not_found(format!(
                                "Unable to find route settings for {key}"
                            )));
                        }
                    }
                    None => stage.access_log_settings = None,
                }
                let stage = stage.clone();
                txn.changes.push(Change::V2(V2Change::PutStage {
                    api_id: api_id.clone(),
                    stage: Box::new(stage),
                }));
                Ok(())
            },
        )
        .await
    }

    pub async fn delete_http_stage(
        &self,
        actor: &Actor,
        api_id: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        let (api_id, name) = (api_id.to_string(), name.to_string());
        self.admin_op(
            actor,
            "DeleteStage",
            format!("v2/apis/{api_id}/stages/{name}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if api.stages.shift_remove(&name).is_none() {
                    return Err(not_found_stage(&api_id, &name));
                }
                txn.changes.push(Change::V2(V2Change::DeleteStage {
                    api_id: api_id.clone(),
                    stage_name: name.clone(),
                }));
                Ok(())
            },
        )
        .await
    }

    /// CreateDeployment, optionally pointing `stageName` at it (refused for an auto-deployed
    /// stage, as AWS does).
    pub async fn create_http_deployment(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateDeployment,
    ) -> Result<Deployment, AdminError> {
        let api_id = api_id.to_string();
        self.admin_op(
            actor,
            "CreateDeployment",
            format!("v2/apis/{api_id}/deployments"),
            Some(api_id.clone()),
            move |txn| {
                let stage = input.stage_name.filter(|s| !s.is_empty());
                if let Some(name) = &stage {
                    let api = txn.http_api_mut(&api_id)?;
                    let s = api
                        .stages
                        .get(name)
                        .ok_or_else(|| not_found_stage(&api_id, name))?;
                    if s.auto_deploy {
                        return Err(AdminError::bad_request(format!(
                            "Stage {name} has autoDeploy enabled: it is deployed automatically"
                        )));
                    }
                }
                txn.deploy_http(&api_id, stage.as_deref(), input.description, false)
            },
        )
        .await
    }

    pub fn get_http_deployment(&self, api_id: &str, id: &str) -> Result<Deployment, AdminError> {
        self.read(|a| {
            a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .deployments
                .get(id)
                .map(|d| d.deployment.clone())
                .ok_or_else(|| not_found("Deployment", api_id, id))
        })
    }

    pub fn list_http_deployments(&self, api_id: &str) -> Result<Vec<Deployment>, AdminError> {
        self.read(|a| {
            Ok(a.http_apis
                .get(api_id)
                .ok_or_else(|| not_found_api(api_id))?
                .deployments
                .values()
                .map(|d| d.deployment.clone())
                .collect())
        })
    }

    pub async fn update_http_deployment(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
        patch: serde_json::Value,
    ) -> Result<Deployment, AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "UpdateDeployment",
            format!("v2/apis/{api_id}/deployments/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let record = api
                    .deployments
                    .get_mut(&id)
                    .ok_or_else(|| not_found("Deployment", &api_id, &id))?;
                record.deployment = merge_update(&record.deployment, &patch, &["description"])?;
                let deployment = record.deployment.clone();
                txn.changes.push(Change::V2(V2Change::UpdateDeployment {
                    api_id: api_id.clone(),
                    deployment: deployment.clone(),
                }));
                Ok(deployment)
            },
        )
        .await
    }

    /// DeleteDeployment; refused while a stage serves it.
    pub async fn delete_http_deployment(
        &self,
        actor: &Actor,
        api_id: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let (api_id, id) = (api_id.to_string(), id.to_string());
        self.admin_op(
            actor,
            "DeleteDeployment",
            format!("v2/apis/{api_id}/deployments/{id}"),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                if !api.deployments.contains_key(&id) {
                    return Err(not_found("Deployment", &api_id, &id));
                }
                if let Some(s) = api
                    .stages
                    .values()
                    .find(|s| s.deployment_id.as_deref() == Some(id.as_str()))
                {
                    return Err(AdminError::bad_request(format!(
                        "Deployment {id} is referenced by stage {}; it cannot be deleted",
                        s.stage_name
                    )));
                }
                api.deployments.shift_remove(&id);
                txn.changes.push(Change::V2(V2Change::DeleteDeployment {
                    api_id: api_id.clone(),
                    deployment_id: id.clone(),
                }));
                Ok(())
            },
        )
        .await
    }
}
