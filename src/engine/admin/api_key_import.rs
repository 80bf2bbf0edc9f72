//! ImportApiKeys (`POST /apikeys?mode=import&format=csv[&failonwarnings=true]`): the keys of
//! an API key file (`model::api_key_import`), created or — for a key value that already
//! exists, "the most recent version overwriting the previous one" as AWS documents — updated,
//! and added to the usage plans the file names. One transaction and one audit row for the whole
//! file; with `failonwarnings` any warning refuses it and nothing changes.

use serde::Serialize;

use super::usage::{MAX_PLANS_PER_KEY, check_one_plan_per_stage};
use super::{Actor, AdminTxn};
use crate::engine::Gateway;
use crate::model::api_key_import::{ImportedKey, parse_key_file};
use crate::model::{AdminError, ApiKey, ids, now_epoch_seconds};
use crate::store::Change;

/// ImportApiKeys' answer (AWS's `ApiKeyIds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyIds {
    pub ids: Vec<String>,
    pub warnings: Vec<String>,
}

impl Gateway {
    pub async fn import_api_keys(
        &self,
        actor: &Actor,
        format: Option<&str>,
        file: &str,
        fail_on_warnings: bool,
    ) -> Result<ApiKeyIds, AdminError> {
        match format {
            Some("csv") => {}
            Some(other) => {
                return Err(AdminError::bad_request(format!(
                    "Invalid format specified: '{other}'. Only csv is supported"
                )));
            }
            None => return Err(AdminError::bad_request("The format parameter is required")),
        }
        let parsed = parse_key_file(file)?;
        if fail_on_warnings && let Some(first) = parsed.warnings.first() {
            return Err(AdminError::bad_request(first.clone()));
        }
        self.admin_op(
            actor,
            "ImportApiKeys",
            "apikeys".to_string(),
            None,
            move |txn| {
                let mut warnings = parsed.warnings;
                let mut ids = Vec::with_capacity(parsed.keys.len());
                for row in &parsed.keys {
                    let id = import_one(txn, row, &mut warnings)?;
                    ids.push(id);
                }
                if fail_on_warnings && let Some(first) = warnings.first() {
                    return Err(AdminError::bad_request(first.clone()));
                }
                txn.detail =
                    serde_json::json!({ "imported": ids.len(), "warnings": warnings.len() });
                Ok(ApiKeyIds { ids, warnings })
            },
        )
        .await
    }
}

/// Creates or updates one key and links it to its plans; a plan it cannot join is a warning.
fn import_one(
    txn: &mut AdminTxn<'_>,
    row: &ImportedKey,
    warnings: &mut Vec<String>,
) -> Result<String, AdminError> {
    let now = now_epoch_seconds();
    let existing = txn
        .usage()
        .api_keys
        .values()
        .find(|k| k.value.as_deref() == Some(row.value.as_str()))
        .cloned();
    let key = match existing {
        Some(mut key) => {
            key.name.clone_from(&row.name);
            key.description.clone_from(&row.description);
            key.enabled = row.enabled;
            key.last_updated_date = now;
            key
        }
        None => ApiKey {
            id: ids::rest_api_id(),
            value: Some(row.value.clone()),
            name: row.name.clone(),
            description: row.description.clone(),
            enabled: row.enabled,
            created_date: now,
            last_updated_date: now,
            ..ApiKey::default()
        },
    };
    txn.usage_mut().api_keys.insert(key.id.clone(), key.clone());
    txn.changes.push(Change::PutApiKey(Box::new(key.clone())));
    for plan_id in &row.usage_plan_ids {
        let usage = txn.usage();
        let Some(plan) = usage.usage_plans.get(plan_id).cloned() else {
            warnings.push(format!(
                "Line {}: Invalid Usage Plan ID specified: {plan_id}",
                row.line
            ));
            continue;
        };
        let links = &usage.usage_plan_keys;
        if links.iter().any(|(p, k)| p == plan_id && *k == key.id) {
            continue;
        }
        if links.iter().filter(|(_, k)| *k == key.id).count() >= MAX_PLANS_PER_KEY {
            warnings.push(format!(
                "Line {}: an API Key can be in at most {MAX_PLANS_PER_KEY} usage plans",
                row.line
            ));
            continue;
        }
        if let Err(e) = check_one_plan_per_stage(txn, &key.id, &plan) {
            warnings.push(format!("Line {}: {}", row.line, e.message()));
            continue;
        }
        txn.usage_mut()
            .usage_plan_keys
            .push((plan_id.clone(), key.id.clone()));
        txn.changes.push(Change::PutUsagePlanKey {
            usage_plan_id: plan_id.clone(),
            key_id: key.id.clone(),
        });
    }
    Ok(key.id)
}
