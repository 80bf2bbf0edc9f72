//! Usage plans, API keys and usage plan keys (model.md §11). They are account-wide, not per
//! API. Each change is committed with its audit row, then the route map is rebuilt by
//! `admin_op` (which makes API keys live for the stages of their plans).

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Actor, AdminTxn};
use crate::engine::Gateway;
use crate::model::patch::{apply_api_key_patch, apply_usage_plan_patch, validate_usage_plan};
use crate::model::{
    AdminError, ApiKey, ApiStage, PatchOperation, QuotaSettings, ThrottleSettings, UsagePlan,
    UsagePlanKey, ids, now_epoch_seconds,
};
use crate::store::Change;

const PLAN_NOT_FOUND: &str = "Invalid Usage Plan ID specified";
const KEY_NOT_FOUND: &str = "Invalid API Key identifier specified";

/// Most usage plans a key may be in (model.md §11).
pub const MAX_PLANS_PER_KEY: usize = 10;

/// CreateUsagePlan's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateUsagePlan {
    pub name: String,
    pub description: Option<String>,
    pub api_stages: Vec<ApiStage>,
    pub throttle: Option<ThrottleSettings>,
    pub quota: Option<QuotaSettings>,
    pub tags: BTreeMap<String, String>,
}

/// One `stageKeys` entry of CreateApiKey.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StageKey {
    pub rest_api_id: String,
    pub stage_name: String,
}

/// CreateApiKey's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateApiKey {
    pub name: Option<String>,
    pub description: Option<String>,
    pub enabled: bool,
    pub generate_distinct_id: bool,
    pub value: Option<String>,
    pub stage_keys: Vec<StageKey>,
    pub customer_id: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// CreateUsagePlanKey's input (AWS's JSON shape).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateUsagePlanKey {
    pub key_id: String,
    pub key_type: String,
}

/// Fails unless every API stage of the plan names an existing API and stage.
fn check_api_stages(txn: &AdminTxn<'_>, stages: &[ApiStage]) -> Result<(), AdminError> {
    for s in stages {
        // A REST API's stage, or a WebSocket API's (HTTP APIs have no usage plans).
        let exists = txn
            .api(&s.api_id)
            .is_ok_and(|api| api.stages.contains_key(&s.stage))
            || txn.websocket_stage_exists(&s.api_id, &s.stage);
        if !exists {
            return Err(AdminError::bad_request(format!(
                "Invalid API Stage {{api: {}, stage: {}}} specified for usageplan",
                s.api_id, s.stage
            )));
        }
    }
    Ok(())
}

/// A key may be in many plans but in at most one plan per API stage (model.md §11).
pub(super) fn check_one_plan_per_stage(
    txn: &AdminTxn<'_>,
    key_id: &str,
    plan: &UsagePlan,
) -> Result<(), AdminError> {
    let usage = txn.usage();
    for (other_id, _) in usage
        .usage_plan_keys
        .iter()
        .filter(|(p, k)| k == key_id && *p != plan.id)
    {
        let Some(other) = usage.usage_plans.get(other_id) else {
            continue;
        };
        for s in &plan.api_stages {
            if other
                .api_stages
                .iter()
                .any(|o| o.api_id == s.api_id && o.stage == s.stage)
            {
                return Err(AdminError::conflict(format!(
                    "Usage Plan {} cannot be added because API Key {key_id} cannot reference multiple Usage Plans with the same API Stage: {}:{}",
                    plan.id, s.api_id, s.stage
                )));
            }
        }
    }
    Ok(())
}

/// AWS's recorded messages for a value too short or too long
/// (`test_create_api_key_with_invalid_value`); the character rule's wording is ours.
fn validate_key_value(value: &str) -> Result<(), AdminError> {
    if value.len() < 20 {
        return Err(AdminError::bad_request(
            "API Key value should be at least 20 characters",
        ));
    }
    if value.len() > 128 {
        return Err(AdminError::bad_request(
            "API Key value exceeds maximum size of 128 characters",
        ));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(AdminError::bad_request(
            "API Key value should be at least 20 characters of a-zA-Z0-9 (at most 128)",
        ));
    }
    Ok(())
}

impl Gateway {
    pub async fn create_usage_plan(
        &self,
        actor: &Actor,
        input: CreateUsagePlan,
    ) -> Result<UsagePlan, AdminError> {
        let plan = UsagePlan {
            id: ids::new_id(6),
            name: input.name,
            description: input.description,
            api_stages: input.api_stages,
            throttle: input.throttle,
            quota: input.quota,
            product_code: None,
            tags: input.tags,
        };
        validate_usage_plan(&plan)?;
        let target = format!("usageplans/{}", plan.id);
        self.admin_op(actor, "CreateUsagePlan", target, None, move |txn| {
            check_api_stages(txn, &plan.api_stages)?;
            txn.usage_mut()
                .usage_plans
                .insert(plan.id.clone(), plan.clone());
            txn.changes
                .push(Change::PutUsagePlan(Box::new(plan.clone())));
            txn.detail = serde_json::json!({ "name": plan.name });
            Ok(plan)
        })
        .await
    }

    /// All plans, or with `key_id` only the plans that key is in.
    pub fn list_usage_plans(&self, key_id: Option<&str>) -> Vec<UsagePlan> {
        let admin = self.snapshot();
        admin
            .usage_plans
            .values()
            .filter(|p| {
                key_id.is_none_or(|k| {
                    admin
                        .usage_plan_keys
                        .iter()
                        .any(|(plan, key)| *plan == p.id && key == k)
                })
            })
            .cloned()
            .collect()
    }

    pub fn get_usage_plan(&self, plan_id: &str) -> Result<UsagePlan, AdminError> {
        self.read(|a| {
            a.usage_plans
                .get(plan_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(PLAN_NOT_FOUND))
        })
    }

    pub async fn update_usage_plan(
        &self,
        actor: &Actor,
        plan_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<UsagePlan, AdminError> {
        let id = plan_id.to_string();
        self.admin_op(
            actor,
            "UpdateUsagePlan",
            format!("usageplans/{plan_id}"),
            None,
            move |txn| {
                let mut plan = txn
                    .usage()
                    .usage_plans
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| AdminError::not_found(PLAN_NOT_FOUND))?;
                apply_usage_plan_patch(&mut plan, &ops)?;
                check_api_stages(txn, &plan.api_stages)?;
                let keys: Vec<String> = txn
                    .usage()
                    .usage_plan_keys
                    .iter()
                    .filter(|(p, _)| *p == id)
                    .map(|(_, k)| k.clone())
                    .collect();
                for key in &keys {
                    check_one_plan_per_stage(txn, key, &plan)?;
                }
                txn.detail = serde_json::to_value(&ops).unwrap_or_default();
                txn.usage_mut().usage_plans.insert(id.clone(), plan.clone());
                txn.changes
                    .push(Change::PutUsagePlan(Box::new(plan.clone())));
                Ok(plan)
            },
        )
        .await
    }

    pub async fn delete_usage_plan(&self, actor: &Actor, plan_id: &str) -> Result<(), AdminError> {
        let id = plan_id.to_string();
        self.admin_op(
            actor,
            "DeleteUsagePlan",
            format!("usageplans/{plan_id}"),
            None,
            move |txn| {
                let usage = txn.usage_mut();
                if usage.usage_plans.shift_remove(&id).is_none() {
                    return Err(AdminError::not_found(PLAN_NOT_FOUND));
                }
                usage.usage_plan_keys.retain(|(p, _)| *p != id);
                txn.changes.push(Change::DeleteUsagePlan(id.clone()));
                Ok(())
            },
        )
        .await
    }

    pub async fn create_api_key(
        &self,
        actor: &Actor,
        input: CreateApiKey,
    ) -> Result<ApiKey, AdminError> {
        let value = match input.value {
            Some(v) => {
                validate_key_value(&v)?;
                v
            }
            None => ids::new_id(40),
        };
        let now = now_epoch_seconds();
        let key = ApiKey {
            id: ids::rest_api_id(),
            value: Some(value),
            name: input.name.unwrap_or_default(),
            customer_id: input.customer_id,
            description: input.description,
            enabled: input.enabled,
            created_date: now,
            last_updated_date: now,
            stage_keys: input
                .stage_keys
                .iter()
                .map(|s| format!("{}/{}", s.rest_api_id, s.stage_name))
                .collect(),
            tags: input.tags,
        };
        if key.name.chars().count() > 1024 {
            return Err(AdminError::bad_request(
                "Invalid API Key name, can be at most 1024 characters.",
            ));
        }
        crate::model::patch::check_api_key_description(key.description.as_deref())?;
        let stage_keys = input.stage_keys;
        self.admin_op(
            actor,
            "CreateApiKey",
            format!("apikeys/{}", key.id),
            None,
            move |txn| {
                for s in &stage_keys {
                    let exists = txn
                        .api(&s.rest_api_id)
                        .is_ok_and(|a| a.stages.contains_key(&s.stage_name));
                    if !exists {
                        return Err(AdminError::bad_request(format!(
                            "Invalid stage key specified: {}/{}",
                            s.rest_api_id, s.stage_name
                        )));
                    }
                }
                if txn.usage().api_keys.values().any(|k| k.value == key.value) {
                    return Err(AdminError::conflict("API Key already exists"));
                }
                txn.usage_mut().api_keys.insert(key.id.clone(), key.clone());
                txn.changes.push(Change::PutApiKey(Box::new(key.clone())));
                txn.detail = serde_json::json!({ "name": key.name });
                Ok(key)
            },
        )
        .await
    }

    pub fn list_api_keys(&self) -> Vec<ApiKey> {
        self.snapshot().api_keys.values().cloned().collect()
    }

    pub fn get_api_key(&self, key_id: &str) -> Result<ApiKey, AdminError> {
        self.read(|a| {
            a.api_keys
                .get(key_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(KEY_NOT_FOUND))
        })
    }

    pub async fn update_api_key(
        &self,
        actor: &Actor,
        key_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<ApiKey, AdminError> {
        let id = key_id.to_string();
        self.admin_op(
            actor,
            "UpdateApiKey",
            format!("apikeys/{key_id}"),
            None,
            move |txn| {
                let mut key = txn
                    .usage()
                    .api_keys
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| AdminError::not_found(KEY_NOT_FOUND))?;
                apply_api_key_patch(&mut key, &ops)?;
                key.last_updated_date = now_epoch_seconds();
                txn.detail = serde_json::to_value(&ops).unwrap_or_default();
                txn.usage_mut().api_keys.insert(id.clone(), key.clone());
                txn.changes.push(Change::PutApiKey(Box::new(key.clone())));
                Ok(key)
            },
        )
        .await
    }

    pub async fn delete_api_key(&self, actor: &Actor, key_id: &str) -> Result<(), AdminError> {
        let id = key_id.to_string();
        self.admin_op(
            actor,
            "DeleteApiKey",
            format!("apikeys/{key_id}"),
            None,
            move |txn| {
                let usage = txn.usage_mut();
                if usage.api_keys.shift_remove(&id).is_none() {
                    return Err(AdminError::not_found(KEY_NOT_FOUND));
                }
                usage.usage_plan_keys.retain(|(_, k)| *k != id);
                txn.changes.push(Change::DeleteApiKey(id.clone()));
                Ok(())
            },
        )
        .await
    }

    pub async fn create_usage_plan_key(
        &self,
        actor: &Actor,
        plan_id: &str,
        input: CreateUsagePlanKey,
    ) -> Result<UsagePlanKey, AdminError> {
        if input.key_type != "API_KEY" {
            return Err(AdminError::bad_request(format!(
                "Invalid key type specified: '{}'. Must be API_KEY",
                input.key_type
            )));
        }
        let plan_id = plan_id.to_string();
        let target = format!("usageplans/{plan_id}/keys/{}", input.key_id);
        self.admin_op(actor, "CreateUsagePlanKey", target, None, move |txn| {
            let usage = txn.usage();
            let plan = usage
                .usage_plans
                .get(&plan_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(PLAN_NOT_FOUND))?;
            let key = usage
                .api_keys
                .get(&input.key_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(KEY_NOT_FOUND))?;
            if usage
                .usage_plan_keys
                .iter()
                .any(|(p, k)| *p == plan_id && *k == key.id)
            {
                return Err(AdminError::conflict(format!(
                    "Usage Plan {plan_id} already contains API Key {}",
                    key.id
                )));
            }
            if usage
                .usage_plan_keys
                .iter()
                .filter(|(_, k)| *k == key.id)
                .count()
                >= MAX_PLANS_PER_KEY
            {
                return Err(AdminError::LimitExceeded(format!(
                    "An API Key can be in at most {MAX_PLANS_PER_KEY} usage plans"
                )));
            }
            check_one_plan_per_stage(txn, &key.id, &plan)?;
            txn.usage_mut()
                .usage_plan_keys
                .push((plan_id.clone(), key.id.clone()));
            txn.changes.push(Change::PutUsagePlanKey {
                usage_plan_id: plan_id.clone(),
                key_id: key.id.clone(),
            });
            Ok(usage_plan_key(&key))
        })
        .await
    }

    pub fn list_usage_plan_keys(&self, plan_id: &str) -> Result<Vec<UsagePlanKey>, AdminError> {
        self.read(|a| {
            if !a.usage_plans.contains_key(plan_id) {
                return Err(AdminError::not_found(PLAN_NOT_FOUND));
            }
            Ok(a.usage_plan_keys
                .iter()
                .filter(|(p, _)| p == plan_id)
                .filter_map(|(_, k)| a.api_keys.get(k))
                .map(usage_plan_key)
                .collect())
        })
    }

    pub fn get_usage_plan_key(
        &self,
        plan_id: &str,
        key_id: &str,
    ) -> Result<UsagePlanKey, AdminError> {
        self.list_usage_plan_keys(plan_id)?
            .into_iter()
            .find(|k| k.id == key_id)
            .ok_or_else(|| AdminError::not_found("Invalid Usage Plan Key identifier specified"))
    }

    pub async fn delete_usage_plan_key(
        &self,
        actor: &Actor,
        plan_id: &str,
        key_id: &str,
    ) -> Result<(), AdminError> {
        let (plan, key) = (plan_id.to_string(), key_id.to_string());
        self.admin_op(
            actor,
            "DeleteUsagePlanKey",
            format!("usageplans/{plan_id}/keys/{key_id}"),
            None,
            move |txn| {
                if !txn.usage().usage_plans.contains_key(&plan) {
                    return Err(AdminError::not_found(PLAN_NOT_FOUND));
                }
                let links = &mut txn.usage_mut().usage_plan_keys;
                let before = links.len();
                links.retain(|(p, k)| !(*p == plan && *k == key));
                if links.len() == before {
                    return Err(AdminError::not_found(
                        "Invalid Usage Plan Key identifier specified",
                    ));
                }
                txn.changes.push(Change::DeleteUsagePlanKey {
                    usage_plan_id: plan.clone(),
                    key_id: key.clone(),
                });
                Ok(())
            },
        )
        .await
    }
}

fn usage_plan_key(key: &ApiKey) -> UsagePlanKey {
    UsagePlanKey {
        id: key.id.clone(),
        key_type: "API_KEY".into(),
        value: key.value.clone(),
        name: Some(key.name.clone()),
    }
}
