//! Tags (`/tags/{arn}`): stored on the tagged entity itself (REST API, stage, usage plan, API
//! key), so they persist and round-trip with it.

use std::collections::BTreeMap;

use super::{Actor, AdminTxn};
use crate::engine::Gateway;
use crate::model::AdminError;
use crate::store::Change;

/// Most tags a resource may carry, and AWS's key/value length limits.
pub const MAX_TAGS: usize = 50;
pub const MAX_TAG_KEY: usize = 128;
pub const MAX_TAG_VALUE: usize = 256;

/// What an API Gateway ARN (`arn:aws:apigateway:{region}::/restapis/{id}[/stages/{stage}]`,
/// `::/usageplans/{id}`, `::/apikeys/{id}`) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaggedResource {
    RestApi(String),
    Stage { api_id: String, stage_name: String },
    UsagePlan(String),
    ApiKey(String),
}

impl TaggedResource {
    pub fn parse(arn: &str) -> Result<TaggedResource, AdminError> {
        let invalid = || AdminError::bad_request(format!("Invalid resource ARN specified: {arn}"));
        let rest = arn.strip_prefix("arn:").ok_or_else(invalid)?;
        let mut parts = rest.splitn(5, ':');
        let (Some(partition), Some("apigateway"), Some(_region), Some(""), Some(path)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid());
        };
        if !partition.starts_with("aws") {
            return Err(invalid());
        }
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        match segs.as_slice() {
            ["restapis", id] => Ok(TaggedResource::RestApi(id.to_string())),
            ["restapis", id, "stages", stage] => Ok(TaggedResource::Stage {
                api_id: id.to_string(),
                stage_name: stage.to_string(),
            }),
            ["usageplans", id] => Ok(TaggedResource::UsagePlan(id.to_string())),
            ["apikeys", id] => Ok(TaggedResource::ApiKey(id.to_string())),
            _ => Err(invalid()),
        }
    }
}

fn validate_tags(tags: &BTreeMap<String, String>) -> Result<(), AdminError> {
    if tags.len() > MAX_TAGS {
        return Err(AdminError::bad_request(format!(
            "A resource can have at most {MAX_TAGS} tags"
        )));
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > MAX_TAG_KEY {
            return Err(AdminError::bad_request(format!(
                "Tag key '{k}' must be 1 to {MAX_TAG_KEY} characters"
            )));
        }
        if k.starts_with("aws:") {
            return Err(AdminError::bad_request(format!(
                "Tag key '{k}' may not start with the reserved prefix aws:"
            )));
        }
        if v.chars().count() > MAX_TAG_VALUE {
            return Err(AdminError::bad_request(format!(
                "Tag value for '{k}' must be at most {MAX_TAG_VALUE} characters"
            )));
        }
    }
    Ok(())
}

/// Applies `edit` to the resource's tags inside the transaction, recording the store change.
fn edit_tags(
    txn: &mut AdminTxn<'_>,
    resource: &TaggedResource,
    edit: impl FnOnce(&mut BTreeMap<String, String>),
) -> Result<BTreeMap<String, String>, AdminError> {
    match resource {
        TaggedResource::RestApi(id) => txn.edit_definition(id, |def| {
            edit(&mut def.rest_api.tags);
            validate_tags(&def.rest_api.tags)?;
            Ok(def.rest_api.tags.clone())
        }),
        TaggedResource::Stage { api_id, stage_name } => {
            let api = txn.api_mut(api_id)?;
            let stage = api
                .stages
                .get_mut(stage_name)
                .ok_or_else(|| AdminError::not_found("Invalid Stage identifier specified"))?;
            edit(&mut stage.tags);
            validate_tags(&stage.tags)?;
            let (tags, stage) = (stage.tags.clone(), stage.clone());
            txn.changes.push(Change::PutStage {
                api_id: api_id.clone(),
                stage: Box::new(stage),
            });
            Ok(tags)
        }
        TaggedResource::UsagePlan(id) => {
            let plan = txn
                .usage_mut()
                .usage_plans
                .get_mut(id)
                .ok_or_else(|| AdminError::not_found("Invalid Usage Plan ID specified"))?;
            edit(&mut plan.tags);
            validate_tags(&plan.tags)?;
            let plan = plan.clone();
            txn.changes
                .push(Change::PutUsagePlan(Box::new(plan.clone())));
            Ok(plan.tags)
        }
        TaggedResource::ApiKey(id) => {
            let key = txn
                .usage_mut()
                .api_keys
                .get_mut(id)
                .ok_or_else(|| AdminError::not_found("Invalid API Key identifier specified"))?;
            edit(&mut key.tags);
            validate_tags(&key.tags)?;
            let key = key.clone();
            txn.changes.push(Change::PutApiKey(Box::new(key.clone())));
            Ok(key.tags)
        }
    }
}

fn api_of(resource: &TaggedResource) -> Option<String> {
    match resource {
        TaggedResource::RestApi(id) | TaggedResource::Stage { api_id: id, .. } => Some(id.clone()),
        _ => None,
    }
}

impl Gateway {
    pub fn get_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, AdminError> {
        let resource = TaggedResource::parse(arn)?;
        self.read(|a| match &resource {
            TaggedResource::RestApi(id) => Ok(a.api(id)?.definition.rest_api.tags.clone()),
            TaggedResource::Stage { api_id, stage_name } => a
                .api(api_id)?
                .stages
                .get(stage_name)
                .map(|s| s.tags.clone())
                .ok_or_else(|| AdminError::not_found("Invalid Stage identifier specified")),
            TaggedResource::UsagePlan(id) => a
                .usage_plans
                .get(id)
                .map(|p| p.tags.clone())
                .ok_or_else(|| AdminError::not_found("Invalid Usage Plan ID specified")),
            TaggedResource::ApiKey(id) => a
                .api_keys
                .get(id)
                .map(|k| k.tags.clone())
                .ok_or_else(|| AdminError::not_found("Invalid API Key identifier specified")),
        })
    }

    /// TagResource: adds or overwrites the given tags.
    pub async fn tag_resource(
        &self,
        actor: &Actor,
        arn: &str,
        tags: BTreeMap<String, String>,
    ) -> Result<(), AdminError> {
        let resource = TaggedResource::parse(arn)?;
        validate_tags(&tags)?;
        self.admin_op(
            actor,
            "TagResource",
            arn.to_string(),
            api_of(&resource),
            move |txn| {
                txn.detail = serde_json::json!({ "tags": tags });
                edit_tags(txn, &resource, |t| t.extend(tags.clone())).map(|_| ())
            },
        )
        .await
    }

    /// UntagResource: removes the given keys (absent keys are ignored, as on AWS).
    pub async fn untag_resource(
        &self,
        actor: &Actor,
        arn: &str,
        keys: Vec<String>,
    ) -> Result<(), AdminError> {
        let resource = TaggedResource::parse(arn)?;
        self.admin_op(
            actor,
            "UntagResource",
            arn.to_string(),
            api_of(&resource),
            move |txn| {
                txn.detail = serde_json::json!({ "tagKeys": keys });
                edit_tags(txn, &resource, |t| t.retain(|k, _| !keys.contains(k))).map(|_| ())
            },
        )
        .await
    }
}
