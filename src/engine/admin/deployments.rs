//! Deployments (immutable snapshots of a working definition) and stages (which deployment
//! serves, stage variables, canary, settings), with history and rollback (model.md §8–§10).

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;

use super::{Actor, DeploymentRecord};
use crate::engine::Gateway;
use crate::engine::compiled::CompiledDeployment;
use crate::model::patch::{apply_deployment_patch, apply_stage_patch};
use crate::model::validate::{validate_stage_name, validate_stage_variables};
use crate::model::{
    AdminError, ApiDefinition, CacheClusterStatus, CanarySettings, Deployment, MethodSnapshot,
    PatchOperation, Stage, ids, now_epoch_seconds,
};
use crate::store::Change;

/// Most stages an API may have (model.md §16).
pub const MAX_STAGES: usize = 10;

/// CreateDeployment's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDeployment {
    pub stage_name: Option<String>,
    pub stage_description: Option<String>,
    pub description: Option<String>,
    pub cache_cluster_enabled: Option<bool>,
    pub cache_cluster_size: Option<String>,
    pub variables: IndexMap<String, String>,
    pub canary_settings: Option<DeploymentCanarySettings>,
    pub tracing_enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DeploymentCanarySettings {
    pub percent_traffic: f64,
    pub stage_variable_overrides: IndexMap<String, String>,
    pub use_stage_cache: bool,
}

/// CreateStage's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateStage {
    pub stage_name: String,
    pub deployment_id: String,
    pub description: Option<String>,
    pub cache_cluster_enabled: bool,
    pub cache_cluster_size: Option<String>,
    pub variables: IndexMap<String, String>,
    pub canary_settings: Option<CanarySettings>,
    pub tracing_enabled: bool,
    pub tags: BTreeMap<String, String>,
    /// The documentation version the stage publishes (AWS-recorded, localstack
    /// `TestStages::test_create_update_stages`: it is answered back).
    pub documentation_version: Option<String>,
}

fn stage_target(api_id: &str, stage: &str) -> String {
    format!("restapis/{api_id}/stages/{stage}")
}

fn check_percent(p: f64) -> Result<(), AdminError> {
    if (0.0..=100.0).contains(&p) {
        Ok(())
    } else {
        Err(AdminError::bad_request(
            "Canary traffic percentage must be between 0.0 and 100.0",
        ))
    }
}

/// Compiles a working definition for deployment, refusing what AWS refuses.
fn compile_for_deploy(
    deployment_id: &str,
    definition: &ApiDefinition,
) -> Result<CompiledDeployment, AdminError> {
    let mut any_method = false;
    for r in &definition.resources {
        for m in r.resource_methods.values() {
            any_method = true;
            if m.method_integration.is_none() {
                return Err(AdminError::bad_request("No integration defined for method"));
            }
        }
    }
    if !any_method {
        return Err(AdminError::bad_request(
            "The REST API doesn't contain any methods",
        ));
    }
    CompiledDeployment::compile(deployment_id, Arc::new(definition.clone()))
        .map_err(|e| AdminError::bad_request(e.0))
}

fn api_summary(def: &ApiDefinition) -> BTreeMap<String, BTreeMap<String, MethodSnapshot>> {
    def.resources
        .iter()
        .filter(|r| !r.resource_methods.is_empty())
        .map(|r| {
            let methods = r
                .resource_methods
                .iter()
                .map(|(verb, m)| {
                    (
                        verb.clone(),
                        MethodSnapshot {
                            authorization_type: m.authorization_type.as_str().to_string(),
                            api_key_required: m.api_key_required,
                        },
                    )
                })
                .collect();
            (r.path.clone(), methods)
        })
        .collect()
}

fn new_stage(name: &str, deployment_id: &str) -> Stage {
    let now = now_epoch_seconds();
    Stage {
        stage_name: name.to_string(),
        deployment_id: deployment_id.to_string(),
        cache_cluster_status: CacheClusterStatus::NotAvailable,
        created_date: now,
        last_updated_date: now,
        ..Default::default()
    }
}

impl Gateway {
    /// CreateDeployment: snapshots the working definition; with `stageName`, creates or
    /// repoints that stage (setting the given variables), or, with `canarySettings`, makes the
    /// new deployment the stage's canary.
    pub async fn create_deployment(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateDeployment,
    ) -> Result<Deployment, AdminError> {
        let id = api_id.to_string();
        let target = format!("restapis/{api_id}/deployments");
        self.admin_op(actor, "CreateDeployment", target, Some(id.clone()), move |txn| {
            // A canary deployment needs an existing stage, in AWS's words (AWS-recorded,
            // localstack `test_create_canary_deployment_validation`).
            if input.canary_settings.is_some() {
                const INVALID: &str = "Invalid deployment content specified.";
                match input.stage_name.as_deref() {
                    None => {
                        return Err(AdminError::bad_request(format!(
                            "{INVALID}Non null and non empty stageName must be provided for canary deployment. Provided value is null"
                        )));
                    }
                    Some("") => {
                        return Err(AdminError::bad_request(format!(
                            "{INVALID}Non null and non empty stageName must be provided for canary deployment. Provided value is "
                        )));
                    }
                    Some(name) if !txn.api_mut(&id)?.stages.contains_key(name) => {
                        return Err(AdminError::bad_request(format!(
                            "{INVALID}Stage {name} must already be created before making a canary release deployment"
                        )));
                    }
                    Some(_) => {}
                }
            }
            if let Some(name) = &input.stage_name {
                validate_stage_name(name)?;
            }
            validate_stage_variables(&input.variables)?;
            let api = txn.api_mut(&id)?;
            let deployment_id = loop {
                let candidate = ids::deployment_id();
                if !api.deployments.contains_key(&candidate) {
                    break candidate;
                }
            };
            let compiled = compile_for_deploy(&deployment_id, &api.definition)?;
            let snapshot = compiled.definition.clone();
            let deployment = Deployment {
                id: deployment_id.clone(),
                description: input.description.clone(),
                created_date: now_epoch_seconds(),
                api_summary: api_summary(&snapshot),
            };
            let mut changes = vec![Change::PutDeployment {
                api_id: id.clone(),
                deployment: deployment.clone(),
                snapshot: Box::new((*snapshot).clone()),
            }];
            api.deployments.insert(
                deployment_id.clone(),
                DeploymentRecord { deployment: deployment.clone(), snapshot, compiled: Arc::new(compiled) },
            );
            if let Some(name) = input.stage_name.clone().filter(|n| !n.is_empty()) {
                let existing = api.stages.get(&name).cloned();
                let stage = match (existing, &input.canary_settings) {
                    (Some(mut stage), Some(canary)) => {
                        check_percent(canary.percent_traffic)?;
                        validate_stage_variables(&canary.stage_variable_overrides)?;
                        stage.canary_settings = Some(CanarySettings {
                            percent_traffic: canary.percent_traffic,
                            deployment_id: Some(deployment_id.clone()),
                            stage_variable_overrides: canary.stage_variable_overrides.clone(),
                            use_stage_cache: canary.use_stage_cache,
                        });
                        stage
                    }
                    (None, Some(_)) => {
                        return Err(AdminError::bad_request(format!(
                            "Canary settings require an existing stage: Invalid stage identifier specified: {name}"
                        )));
                    }
                    (Some(mut stage), None) => {
                        if stage.canary_settings.is_some() {
                            return Err(AdminError::bad_request(
                                "Stage has an active canary: promote or delete the canary before pointing the stage at another deployment",
                            ));
                        }
                        stage.deployment_id = deployment_id.clone();
                        stage
                    }
                    (None, None) => {
                        if api.stages.len() >= MAX_STAGES {
                            return Err(AdminError::LimitExceeded(format!(
                                "Maximum number of Stages for this API has been reached: {MAX_STAGES}"
                            )));
                        }
                        let mut stage = new_stage(&name, &deployment_id);
                        stage.description = input.stage_description.clone();
                        stage
                    }
                };
                let mut stage = stage;
                for (k, v) in &input.variables {
                    stage.variables.insert(k.clone(), v.clone());
                }
                validate_stage_variables(&stage.variables)?;
                if let Some(enabled) = input.cache_cluster_enabled {
                    stage.cache_cluster_enabled = enabled;
                    stage.cache_cluster_status =
                        if enabled { CacheClusterStatus::Available } else { CacheClusterStatus::NotAvailable };
                }
                if let Some(size) = &input.cache_cluster_size {
                    stage.cache_cluster_size = Some(size.clone());
                }
                if let Some(t) = input.tracing_enabled {
                    stage.tracing_enabled = t;
                }
                stage.last_updated_date = now_epoch_seconds();
                changes.push(Change::PutStage { api_id: id.clone(), stage: Box::new(stage.clone()) });
                api.stages.insert(name, stage);
            }
            txn.changes.extend(changes);
            txn.detail = serde_json::json!({ "deploymentId": deployment.id, "stageName": input.stage_name });
            Ok(deployment)
        })
        .await
    }

    /// Deployment history, oldest first.
    pub fn list_deployments(&self, api_id: &str) -> Result<Vec<Deployment>, AdminError> {
        self.read(|a| {
            Ok(a.api(api_id)?
                .deployments
                .values()
                .map(|d| d.deployment.clone())
                .collect())
        })
    }

    pub fn get_deployment(
        &self,
        api_id: &str,
        deployment_id: &str,
    ) -> Result<Deployment, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .deployments
                .get(deployment_id)
                .map(|d| d.deployment.clone())
                .ok_or_else(|| AdminError::not_found("Invalid Deployment identifier specified"))
        })
    }

    /// The frozen definition a deployment serves.
    pub fn deployment_snapshot(
        &self,
        api_id: &str,
        deployment_id: &str,
    ) -> Result<Arc<ApiDefinition>, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .deployments
                .get(deployment_id)
                .map(|d| d.snapshot.clone())
                .ok_or_else(|| AdminError::not_found("Invalid Deployment identifier specified"))
        })
    }

    /// UpdateDeployment: only `/description` may change (the snapshot is immutable).
    pub async fn update_deployment(
        &self,
        actor: &Actor,
        api_id: &str,
        deployment_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<Deployment, AdminError> {
        let id = api_id.to_string();
        let dep = deployment_id.to_string();
        let target = format!("restapis/{api_id}/deployments/{deployment_id}");
        self.admin_op(
            actor,
            "UpdateDeployment",
            target,
            Some(id.clone()),
            move |txn| {
                let api = txn.api_mut(&id)?;
                let record = api.deployments.get_mut(&dep).ok_or_else(|| {
                    AdminError::not_found("Invalid Deployment identifier specified")
                })?;
                apply_deployment_patch(&mut record.deployment, &ops)?;
                let deployment = record.deployment.clone();
                txn.changes.push(Change::UpdateDeployment {
                    api_id: id.clone(),
                    deployment: deployment.clone(),
                });
                Ok(deployment)
            },
        )
        .await
    }

    pub async fn delete_deployment(
        &self,
        actor: &Actor,
        api_id: &str,
        deployment_id: &str,
    ) -> Result<(), AdminError> {
        let id = api_id.to_string();
        let dep = deployment_id.to_string();
        let target = format!("restapis/{api_id}/deployments/{deployment_id}");
        self.admin_op(
            actor,
            "DeleteDeployment",
            target,
            Some(id.clone()),
            move |txn| {
                let api = txn.api_mut(&id)?;
                if !api.deployments.contains_key(&dep) {
                    return Err(AdminError::not_found(
                        "Invalid Deployment identifier specified",
                    ));
                }
                let in_use = api.stages.values().any(|s| {
                    s.deployment_id == dep
                        || s.canary_settings
                            .as_ref()
                            .and_then(|c| c.deployment_id.as_deref())
                            == Some(dep.as_str())
                });
                if in_use {
                    return Err(AdminError::bad_request(
                        "Active stages pointing to this deployment must be moved or deleted",
                    ));
                }
                api.deployments.shift_remove(&dep);
                txn.changes.push(Change::DeleteDeployment {
                    api_id: id.clone(),
                    deployment_id: dep.clone(),
                });
                Ok(())
            },
        )
        .await
    }

    pub async fn create_stage(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateStage,
    ) -> Result<Stage, AdminError> {
        let id = api_id.to_string();
        let target = stage_target(api_id, &input.stage_name);
        self.admin_op(actor, "CreateStage", target, Some(id.clone()), move |txn| {
            validate_stage_name(&input.stage_name)?;
            validate_stage_variables(&input.variables)?;
            let api = txn.api_mut(&id)?;
            if api.stages.contains_key(&input.stage_name) {
                return Err(AdminError::conflict("Stage already exists"));
            }
            if api.stages.len() >= MAX_STAGES {
                return Err(AdminError::LimitExceeded(format!(
                    "Maximum number of Stages for this API has been reached: {MAX_STAGES}"
                )));
            }
            if !api.deployments.contains_key(&input.deployment_id) {
                return Err(AdminError::not_found(
                    "Invalid Deployment identifier specified",
                ));
            }
            let mut stage = new_stage(&input.stage_name, &input.deployment_id);
            stage.description = input.description;
            stage.variables = input.variables;
            stage.cache_cluster_enabled = input.cache_cluster_enabled;
            if input.cache_cluster_enabled {
                stage.cache_cluster_status = CacheClusterStatus::Available;
            }
            stage.cache_cluster_size = input.cache_cluster_size;
            stage.tracing_enabled = input.tracing_enabled;
            stage.tags = input.tags;
            stage.documentation_version = input.documentation_version.filter(|v| !v.is_empty());
            if let Some(mut canary) = input.canary_settings {
                check_percent(canary.percent_traffic)?;
                let dep = canary
                    .deployment_id
                    .get_or_insert_with(|| input.deployment_id.clone());
                // AWS-recorded, localstack `test_create_canary_deployment`.
                if !api.deployments.contains_key(dep.as_str()) {
                    return Err(AdminError::bad_request("Deployment id does not exist"));
                }
                stage.canary_settings = Some(canary);
            }
            txn.changes.push(Change::PutStage {
                api_id: id.clone(),
                stage: Box::new(stage.clone()),
            });
            txn.api_mut(&id)?
                .stages
                .insert(stage.stage_name.clone(), stage.clone());
            Ok(stage)
        })
        .await
    }

    pub fn list_stages(&self, api_id: &str) -> Result<Vec<Stage>, AdminError> {
        self.read(|a| Ok(a.api(api_id)?.stages.values().cloned().collect()))
    }

    pub fn get_stage(&self, api_id: &str, stage: &str) -> Result<Stage, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .stages
                .get(stage)
                .cloned()
                .ok_or_else(|| AdminError::not_found("Invalid Stage identifier specified"))
        })
    }

    /// UpdateStage with AWS patch operations (variables, deploymentId for rollback,
    /// methodSettings, canarySettings, cache, logging...).
    pub async fn update_stage(
        &self,
        actor: &Actor,
        api_id: &str,
        stage_name: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<Stage, AdminError> {
        let id = api_id.to_string();
        let name = stage_name.to_string();
        self.admin_op(actor, "UpdateStage", stage_target(api_id, stage_name), Some(id.clone()), move |txn| {
            let api = txn.api_mut(&id)?;
            let current = api.stages.get(&name).ok_or_else(|| AdminError::not_found("Invalid Stage identifier specified"))?;
            let mut stage = current.clone();
            apply_stage_patch(&mut stage, &ops)?;
            if stage.deployment_id != current.deployment_id && current.canary_settings.is_some() && stage.canary_settings.is_some() {
                let promoting = stage.canary_settings.as_ref().and_then(|c| c.deployment_id.as_deref()) == Some(stage.deployment_id.as_str());
                if !promoting {
                    return Err(AdminError::bad_request(
                        "Stage has an active canary: promote or delete the canary before pointing the stage at another deployment",
                    ));
                }
            }
            if !api.deployments.contains_key(&stage.deployment_id) {
                return Err(AdminError::not_found("Invalid Deployment identifier specified"));
            }
            if let Some(c) = stage.canary_settings.as_mut() {
                let dep = c.deployment_id.get_or_insert_with(|| stage.deployment_id.clone());
                // AWS-recorded, localstack `test_update_stage_canary_deployment_validation`.
                if !api.deployments.contains_key(dep.as_str()) {
                    return Err(AdminError::bad_request("Deployment id does not exist"));
                }
            }
            validate_stage_variables(&stage.variables)?;
            stage.cache_cluster_status =
                if stage.cache_cluster_enabled { CacheClusterStatus::Available } else { CacheClusterStatus::NotAvailable };
            stage.last_updated_date = now_epoch_seconds();
            txn.detail = serde_json::to_value(&ops).unwrap_or_default();
            txn.changes.push(Change::PutStage { api_id: id.clone(), stage: Box::new(stage.clone()) });
            txn.api_mut(&id)?.stages.insert(name.clone(), stage.clone());
            Ok(stage)
        })
        .await
    }

    /// Rollback: points the stage at an older deployment (no redeploy).
    pub async fn rollback(
        &self,
        actor: &Actor,
        api_id: &str,
        stage: &str,
        deployment_id: &str,
    ) -> Result<Stage, AdminError> {
        self.get_deployment(api_id, deployment_id)?;
        self.update_stage(
            actor,
            api_id,
            stage,
            vec![PatchOperation::replace("/deploymentId", deployment_id)],
        )
        .await
    }

    pub async fn delete_stage(
        &self,
        actor: &Actor,
        api_id: &str,
        stage_name: &str,
    ) -> Result<(), AdminError> {
        let id = api_id.to_string();
        let name = stage_name.to_string();
        self.admin_op(
            actor,
            "DeleteStage",
            stage_target(api_id, stage_name),
            Some(id.clone()),
            move |txn| {
                let api = txn.api_mut(&id)?;
                if api.stages.shift_remove(&name).is_none() {
                    return Err(AdminError::not_found("Invalid Stage identifier specified"));
                }
                txn.changes.push(Change::DeleteStage {
                    api_id: id.clone(),
                    stage_name: name.clone(),
                });
                Ok(())
            },
        )
        .await
    }
}
