//! GetTags, TagResource, UntagResource for HTTP APIs and their stages
//! (`arn:aws:apigateway:{region}::/apis/{apiId}[/stages/{stageName}]`).

use std::collections::BTreeMap;

use super::{not_found, not_found_api};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::store::{Change, V2Change};

/// `(api id, stage name)` of a taggable ARN.
fn parse_arn(arn: &str) -> Result<(String, Option<String>), AdminError> {
    let path = arn
        .strip_prefix("arn:aws:apigateway:")
        .and_then(|rest| rest.split_once("::"))
        .map(|(_, path)| path)
        .ok_or_else(|| AdminError::bad_request(format!("Invalid resource ARN specified: {arn}")))?;
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segs.as_slice() {
        ["apis", id] => Ok((id.to_string(), None)),
        ["apis", id, "stages", stage] => Ok((id.to_string(), Some(stage.to_string()))),
        _ => Err(AdminError::bad_request(format!(
            "Invalid resource ARN specified: {arn} (gwtui tags HTTP APIs and their stages)"
        ))),
    }
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), AdminError> {
    for (k, v) in tags {
        if k.is_empty() || k.len() > 128 || v.len() > 256 || k.starts_with("aws:") {
            return Err(AdminError::bad_request(format!(
                "Invalid tag specified: {k}"
            )));
        }
    }
    Ok(())
}

impl Gateway {
    pub fn get_http_tags(&self, arn: &str) -> Result<BTreeMap<String, String>, AdminError> {
        let (api_id, stage) = parse_arn(arn)?;
        self.read(|a| {
            let api = a
                .http_apis
                .get(&api_id)
                .ok_or_else(|| not_found_api(&api_id))?;
            match &stage {
                None => Ok(api.definition.api.tags.clone()),
                Some(s) => api
                    .stages
                    .get(s)
                    .map(|s| s.tags.clone())
                    .ok_or_else(|| not_found("Stage", &api_id, s)),
            }
        })
    }

    /// TagResource (`add`) or UntagResource (`remove`).
    pub async fn tag_http_resource(
        &self,
        actor: &Actor,
        arn: &str,
        add: BTreeMap<String, String>,
        remove: Vec<String>,
    ) -> Result<(), AdminError> {
        check_tags(&add)?;
        let (api_id, stage) = parse_arn(arn)?;
        let action = if remove.is_empty() {
            "TagResource"
        } else {
            "UntagResource"
        };
        self.admin_op(
            actor,
            action,
            arn.to_string(),
            Some(api_id.clone()),
            move |txn| {
                let api = txn.http_api_mut(&api_id)?;
                let tags = match &stage {
                    None => &mut api.definition.api.tags,
                    Some(s) => {
                        &mut api
                            .stages
                            .get_mut(s)
                            .ok_or_else(|| not_found("Stage", &api_id, s))?
                            .tags
                    }
                };
                tags.extend(add);
                for k in &remove {
                    tags.remove(k);
                }
                if tags.len() > 50 {
                    return Err(AdminError::bad_request("A resource allows at most 50 tags"));
                }
                match stage {
                    None => {
                        let def = api.definition.clone();
                        txn.changes
                            .push(Change::V2(V2Change::PutApi(Box::new(def))));
                    }
                    Some(s) => {
                        let stage = api.stages[&s].clone();
                        txn.changes.push(Change::V2(V2Change::PutStage {
                            api_id: api_id.clone(),
                            stage: Box::new(stage),
                        }));
                    }
                }
                Ok(())
            },
        )
        .await
    }
}
