//! UpdateUsagePlan and UpdateApiKey patch operations (model.md §11).

use super::values::{
    SET, SET_OR_REMOVE, apply_list_item, expect_ops, invalid_path, parse_bool_lenient, parse_enum,
    parse_f64, parse_int, segments, set_optional, value,
};
use super::{PatchOp, PatchOperation, unescape_segment};
use crate::model::{AdminError, ApiKey, ApiStage, QuotaSettings, ThrottleSettings, UsagePlan};

const USAGE_PLAN_PATHS: &[&str] = &[
    "/name",
    "/description",
    "/productCode",
    "/throttle/burstLimit",
    "/throttle/rateLimit",
    "/quota/limit",
    "/quota/offset",
    "/quota/period",
    "/apiStages",
    "/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/{burstLimit|rateLimit}",
];

/// Most method throttles per API stage of a usage plan (model.md §16).
pub const MAX_METHOD_THROTTLES: usize = 20;

const BURST_MESSAGE: &str = "Invalid throttle burst limit: must be a non-negative integer";
const RATE_MESSAGE: &str = "Invalid throttle rate limit: must be a non-negative number";

/// Applies UpdateUsagePlan patch operations; all or nothing. Whether the API stages named in
/// `/apiStages` exist is the engine's check.
pub fn apply_usage_plan_patch(
    plan: &mut UsagePlan,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = plan.clone();
    for op in ops {
        apply_usage_plan_op(&mut next, op)?;
    }
    validate_usage_plan(&next)?;
    *plan = next;
    Ok(())
}

/// Name, limits and per-method throttle keys of a usage plan.
pub fn validate_usage_plan(plan: &UsagePlan) -> Result<(), AdminError> {
    if plan.name.trim().is_empty() {
        return Err(AdminError::bad_request("Usage Plan name must be non-empty"));
    }
    let throttles = plan
        .throttle
        .iter()
        .chain(plan.api_stages.iter().flat_map(|s| s.throttle.values()));
    for t in throttles {
        if t.burst_limit.is_some_and(|b| b < 0) {
            return Err(AdminError::bad_request(BURST_MESSAGE));
        }
        if t.rate_limit.is_some_and(|r| !r.is_finite() || r < 0.0) {
            return Err(AdminError::bad_request(RATE_MESSAGE));
        }
    }
    if let Some(q) = &plan.quota {
        if q.limit < 0 {
            return Err(AdminError::bad_request(
                "Invalid quota limit: must be a non-negative integer",
            ));
        }
        if q.offset < 0 || (q.limit > 0 && q.offset >= q.limit) {
            return Err(AdminError::bad_request(
                "Quota offset must be a non-negative integer smaller than the limit",
            ));
        }
    }
    for stage in &plan.api_stages {
        if stage.throttle.len() > MAX_METHOD_THROTTLES {
            return Err(AdminError::LimitExceeded(format!(
                "A usage plan API stage can have at most {MAX_METHOD_THROTTLES} method throttles"
            )));
        }
        for key in stage.throttle.keys() {
            let ok = key == "/*/*"
                || key.rsplit_once('/').is_some_and(|(path, verb)| {
                    path.starts_with('/') && crate::model::HTTP_METHODS.contains(&verb)
                });
            if !ok {
                return Err(AdminError::bad_request(format!(
                    "Invalid method throttle key '{key}'. Must be /{{resourcePath}}/{{httpMethod}}"
                )));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for s in &plan.api_stages {
        if !seen.insert((s.api_id.as_str(), s.stage.as_str())) {
            return Err(AdminError::conflict(format!(
                "API Stage {}:{} is already associated with this usage plan",
                s.api_id, s.stage
            )));
        }
    }
    Ok(())
}

fn apply_usage_plan_op(plan: &mut UsagePlan, op: &PatchOperation) -> Result<(), AdminError> {
    let segs = segments(op)?;
    match segs.as_slice() {
        ["name"] => {
            expect_ops(op, SET)?;
            plan.name = value(op)?.to_string();
            Ok(())
        }
        ["description"] => set_optional(op, &mut plan.description),
        ["productCode"] => set_optional(op, &mut plan.product_code),
        ["throttle"] if op.op == PatchOp::Remove => {
            plan.throttle = None;
            Ok(())
        }
        ["throttle", field] => set_throttle(
            plan.throttle.get_or_insert_with(ThrottleSettings::default),
            op,
            field,
        ),
        ["quota"] if op.op == PatchOp::Remove => {
            plan.quota = None;
            Ok(())
        }
        ["quota", field] => {
            expect_ops(op, SET)?;
            let quota = plan.quota.get_or_insert_with(QuotaSettings::default);
            match *field {
                "limit" => {
                    quota.limit = parse_int(
                        op,
                        0,
                        i64::MAX,
                        "Invalid quota limit: must be a non-negative integer",
                    )?
                }
                "offset" => {
                    quota.offset = parse_int(
                        op,
                        0,
                        i64::MAX,
                        "Invalid quota offset: must be a non-negative integer",
                    )?
                }
                "period" => {
                    quota.period = parse_enum(op, &["DAY", "WEEK", "MONTH"], "quota period")?
                }
                _ => return Err(invalid_path(op, USAGE_PLAN_PATHS)),
            }
            Ok(())
        }
        ["apiStages"] => {
            expect_ops(op, &[PatchOp::Add, PatchOp::Remove])?;
            let (api_id, stage) = api_stage_value(op)?;
            if op.op == PatchOp::Add {
                if plan
                    .api_stages
                    .iter()
                    .any(|s| s.api_id == api_id && s.stage == stage)
                {
                    return Err(AdminError::conflict(format!(
                        "API Stage {api_id}:{stage} is already associated with this usage plan"
                    )));
                }
                plan.api_stages.push(ApiStage {
                    api_id,
                    stage,
                    throttle: Default::default(),
                });
            } else {
                let before = plan.api_stages.len();
                plan.api_stages
                    .retain(|s| !(s.api_id == api_id && s.stage == stage));
                if plan.api_stages.len() == before {
                    return Err(AdminError::not_found(format!(
                        "Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan {}",
                        plan.id
                    )));
                }
            }
            Ok(())
        }
        ["apiStages", key, "throttle", rest @ ..] if !rest.is_empty() => {
            let (api_id, stage) = split_api_stage(&unescape_segment(key))
                .ok_or_else(|| invalid_path(op, USAGE_PLAN_PATHS))?;
            let api_stage = plan
                .api_stages
                .iter_mut()
                .find(|s| s.api_id == api_id && s.stage == stage)
                .ok_or_else(|| {
                    AdminError::not_found(format!("Invalid API Stage {{api: {api_id}, stage: {stage}}} specified for usageplan"))
                })?;
            apply_method_throttle(api_stage, op, rest)
        }
        _ => Err(invalid_path(op, USAGE_PLAN_PATHS)),
    }
}

fn set_throttle(
    t: &mut ThrottleSettings,
    op: &PatchOperation,
    field: &str,
) -> Result<(), AdminError> {
    expect_ops(op, SET_OR_REMOVE)?;
    let remove = op.op == PatchOp::Remove;
    match field {
        "burstLimit" => {
            t.burst_limit = if remove {
                None
            } else {
                Some(parse_int(op, 0, i64::MAX, BURST_MESSAGE)?)
            }
        }
        "rateLimit" => {
            t.rate_limit = if remove {
                None
            } else {
                Some(parse_f64(op, 0.0, f64::MAX, RATE_MESSAGE)?)
            }
        }
        _ => return Err(invalid_path(op, USAGE_PLAN_PATHS)),
    }
    Ok(())
}

/// `/apiStages/{apiId}:{stage}/throttle/{resourcePath...}/{VERB}[/{burstLimit|rateLimit}]`.
/// The resource path may come escaped (`~1pets`) or as plain segments (`pets`).
fn apply_method_throttle(
    api_stage: &mut ApiStage,
    op: &PatchOperation,
    rest: &[&str],
) -> Result<(), AdminError> {
    let (field, method_segs) = match rest.last().copied() {
        Some(f @ ("burstLimit" | "rateLimit")) => (Some(f), &rest[..rest.len() - 1]),
        _ => (None, rest),
    };
    let key = method_throttle_key(method_segs).ok_or_else(|| invalid_path(op, USAGE_PLAN_PATHS))?;
    match field {
        None => {
            expect_ops(op, &[PatchOp::Remove])?;
            api_stage.throttle.shift_remove(&key);
            Ok(())
        }
        Some(f) if op.op == PatchOp::Remove => {
            if let Some(t) = api_stage.throttle.get_mut(&key) {
                set_throttle(t, op, f)?;
                if t.burst_limit.is_none() && t.rate_limit.is_none() {
                    api_stage.throttle.shift_remove(&key);
                }
            }
            Ok(())
        }
        Some(f) => set_throttle(api_stage.throttle.entry(key).or_default(), op, f),
    }
}

fn method_throttle_key(segs: &[&str]) -> Option<String> {
    let (verb, path) = segs.split_last()?;
    let verb = verb.to_ascii_uppercase();
    let path: Vec<String> = path.iter().map(|s| unescape_segment(s)).collect();
    let joined = path.join("/");
    let path = if joined.starts_with('/') {
        joined
    } else {
        format!("/{joined}")
    };
    if path == "/*" && verb == "*" {
        return Some("/*/*".to_string());
    }
    (crate::model::HTTP_METHODS.contains(&verb.as_str())).then(|| format!("{path}/{verb}"))
}

fn split_api_stage(s: &str) -> Option<(String, String)> {
    let (api, stage) = s.split_once(':')?;
    (!api.is_empty() && !stage.is_empty()).then(|| (api.to_string(), stage.to_string()))
}

fn api_stage_value(op: &PatchOperation) -> Result<(String, String), AdminError> {
    let v = value(op)?;
    split_api_stage(v).ok_or_else(|| {
        AdminError::bad_request(format!(
            "Invalid API Stage specified: '{v}'. Must be {{restApiId}}:{{stageName}}"
        ))
    })
}

/// The paths AWS lists, in its order (AWS-recorded, `test_update_api_key_immutable_field`);
/// `add`/`remove /stages` are taken too.
const API_KEY_PATHS: &[&str] = &["/description", "/enabled", "/name", "/customerId"];

/// The longest API key description AWS takes (AWS-recorded,
/// `test_update_api_key_invalid_description_length`: 125,001 characters are refused).
const API_KEY_DESCRIPTION_MAX: usize = 125_000;

/// CreateApiKey's and UpdateApiKey's description check, in AWS's words.
pub fn check_api_key_description(description: Option<&str>) -> Result<(), AdminError> {
    match description {
        Some(d) if d.chars().count() > API_KEY_DESCRIPTION_MAX => Err(AdminError::bad_request(
            "Invalid API Key description specified.",
        )),
        _ => Ok(()),
    }
}

/// Applies UpdateApiKey patch operations; all or nothing.
pub fn apply_api_key_patch(key: &mut ApiKey, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = key.clone();
    for op in ops {
        let segs = segments(op)?;
        match segs.as_slice() {
            ["name"] => {
                expect_ops(op, SET)?;
                next.name = value(op)?.to_string();
            }
            ["description"] => set_optional(op, &mut next.description)?,
            ["customerId"] => set_optional(op, &mut next.customer_id)?,
            // Anything but `true` is false (AWS-recorded, `test_update_api_key_invalid_enabled_type`).
            ["enabled"] => {
                expect_ops(op, SET)?;
                next.enabled = parse_bool_lenient(op);
            }
            ["stages"] => apply_list_item(&mut next.stage_keys, op, None)?,
            _ => return Err(invalid_path(op, API_KEY_PATHS)),
        }
    }
    check_api_key_description(next.description.as_deref())?;
    *key = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_throttles_accept_escaped_and_plain_paths() {
        let mut plan = UsagePlan {
            id: "p".into(),
            name: "n".into(),
            api_stages: vec![ApiStage {
                api_id: "a".into(),
                stage: "prod".into(),
                throttle: Default::default(),
            }],
            ..Default::default()
        };
        apply_usage_plan_patch(
            &mut plan,
            &[
                PatchOperation::replace("/apiStages/a:prod/throttle/~1pets/GET/rateLimit", "5"),
                PatchOperation::replace("/apiStages/a:prod/throttle/pets/{id}/PUT/burstLimit", "2"),
            ],
        )
        .unwrap();
        let t = &plan.api_stages[0].throttle;
        assert_eq!(t["/pets/GET"].rate_limit, Some(5.0));
        assert_eq!(t["/pets/{id}/PUT"].burst_limit, Some(2));
        let err = apply_usage_plan_patch(&mut plan, &[PatchOperation::replace("/bogus", "1")])
            .unwrap_err();
        assert!(err.message().starts_with("Invalid patch path  '/bogus'"));
        apply_usage_plan_patch(
            &mut plan,
            &[PatchOperation::remove(
                "/apiStages/a:prod/throttle/~1pets/GET",
            )],
        )
        .unwrap();
        assert_eq!(plan.api_stages[0].throttle.len(), 1);
    }

    #[test]
    fn api_stage_links_are_added_and_removed() {
        let mut plan = UsagePlan {
            id: "p".into(),
            name: "n".into(),
            ..Default::default()
        };
        apply_usage_plan_patch(&mut plan, &[PatchOperation::add("/apiStages", "abc:prod")])
            .unwrap();
        assert!(matches!(
            apply_usage_plan_patch(&mut plan, &[PatchOperation::add("/apiStages", "abc:prod")]),
            Err(AdminError::Conflict(_))
        ));
        let remove = PatchOperation {
            op: PatchOp::Remove,
            path: "/apiStages".into(),
            value: Some("abc:prod".into()),
            from: None,
        };
        apply_usage_plan_patch(&mut plan, &[remove]).unwrap();
        assert!(plan.api_stages.is_empty());
    }
}
