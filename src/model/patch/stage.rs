//! UpdateStage patch operations (model.md §9, §9.1, §10).

use super::values::{
    SET, apply_map_entry, expect_ops, invalid_path, map_key, parse_bool, parse_enum, parse_f64,
    parse_int, segments, set_optional, string_value, value,
};
use super::{PatchOp, PatchOperation};
use crate::model::api::HTTP_METHODS;
use crate::model::validate::validate_stage_variables;
use crate::model::{
    AccessLogSettings, AdminError, CACHE_CLUSTER_SIZES, CanarySettings, MethodSetting, Stage,
    method_setting_key,
};

/// AWS's list of UpdateStage paths, as its message prints it (commas missing included;
/// AWS-recorded, localstack `TestStages::test_create_update_stages`).
const AWS_STAGE_PATHS: &str = "Must be one of: [/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, /accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, /{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, /{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, /*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, /*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, /variables/{variable_name}, /tracingEnabled]";

/// A path UpdateStage does not have, in AWS's words.
fn invalid_stage_path(op: &PatchOperation) -> AdminError {
    AdminError::bad_request(format!(
        "Invalid method setting path: {}. {AWS_STAGE_PATHS}",
        op.path
    ))
}

/// The `(group, name)` suffixes of methodSettings paths.
const METHOD_SETTINGS: [(&str, &str); 10] = [
    ("metrics", "enabled"),
    ("logging", "loglevel"),
    ("logging", "dataTrace"),
    ("throttling", "rateLimit"),
    ("throttling", "burstLimit"),
    ("caching", "enabled"),
    ("caching", "ttlInSeconds"),
    ("caching", "dataEncrypted"),
    ("caching", "requireAuthorizationForCacheControl"),
    ("caching", "unauthorizedCacheControlHeaderStrategy"),
];

const ACCESS_LOG_PATH_ERROR: &str = "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]";
const NO_CANARY: &str = "Promotion not available. Canary does not exist.";

/// Applies UpdateStage patch operations. The whole batch applies or nothing does. Checking that
/// a deploymentId exists is the engine's job.
pub fn apply_stage_patch(stage: &mut Stage, ops: &[PatchOperation]) -> Result<(), AdminError> {
    let mut next = stage.clone();
    for op in ops {
        apply_one(&mut next, op)?;
    }
    validate_stage_variables(&next.variables)?;
    if let Some(canary) = &next.canary_settings {
        validate_stage_variables(&canary.stage_variable_overrides)?;
    }
    *stage = next;
    Ok(())
}

fn apply_one(stage: &mut Stage, op: &PatchOperation) -> Result<(), AdminError> {
    if op.op == PatchOp::Copy {
        return apply_copy(stage, op);
    }
    let segs = segments(op)?;
    match segs.as_slice() {
        ["description"] => set_optional(op, &mut stage.description),
        ["documentationVersion"] => set_optional(op, &mut stage.documentation_version),
        ["clientCertificateId"] => set_optional(op, &mut stage.client_certificate_id),
        ["deploymentId"] => {
            expect_ops(op, SET)?;
            let id = value(op)?;
            if id.is_empty() {
                return Err(AdminError::bad_request("Deployment id must not be empty"));
            }
            stage.deployment_id = id.to_string();
            Ok(())
        }
        ["variables", name] => {
            apply_map_entry(&mut stage.variables, op, map_key(&[name]), string_value)
        }
        ["cacheClusterEnabled"] => {
            expect_ops(op, SET)?;
            stage.cache_cluster_enabled = parse_bool(op)?;
            Ok(())
        }
        ["cacheClusterSize"] => {
            expect_ops(op, SET)?;
            let size = value(op)?;
            if !CACHE_CLUSTER_SIZES.contains(&size) {
                return Err(AdminError::bad_request(format!(
                    "Invalid cache cluster size specified: '{size}'. Must be one of: [{}]",
                    CACHE_CLUSTER_SIZES.join(", ")
                )));
            }
            stage.cache_cluster_size = Some(size.to_string());
            Ok(())
        }
        ["tracingEnabled"] => {
            expect_ops(op, SET)?;
            stage.tracing_enabled = parse_bool(op)?;
            Ok(())
        }
        ["accessLogSettings"] if op.op == PatchOp::Remove => {
            stage.access_log_settings = None;
            Ok(())
        }
        // AWS reads `remove` under /accessLogSettings as the removal of a method setting, and
        // refuses empty values (AWS-recorded, localstack
        // `test_stage_access_log_settings_validation`; the trailing space is AWS's).
        ["accessLogSettings", rest @ ..] if op.op == PatchOp::Remove => {
            Err(AdminError::bad_request(format!(
                "Cannot remove method setting accessLogSettings/{} because there is no method setting for this method ",
                rest.join("/")
            )))
        }
        ["accessLogSettings", "format" | "destinationArn"]
            if op.value.as_deref().is_some_and(str::is_empty) =>
        {
            Err(AdminError::bad_request(
                "Access Log value must not be empty",
            ))
        }
        ["accessLogSettings", field @ ("format" | "destinationArn")] => {
            let settings = stage
                .access_log_settings
                .get_or_insert_with(AccessLogSettings::default);
            let slot = if *field == "format" {
                &mut settings.format
            } else {
                &mut settings.destination_arn
            };
            set_optional(op, slot)
        }
        ["accessLogSettings", ..] => Err(AdminError::bad_request(ACCESS_LOG_PATH_ERROR)),
        ["canarySettings"] if op.op == PatchOp::Remove => {
            stage.canary_settings = None;
            Ok(())
        }
        ["canarySettings"] => Err(invalid_stage_path(op)),
        ["canarySettings", rest @ ..] => apply_canary(stage, op, rest),
        _ => apply_method_setting(stage, op),
    }
}

/// The stage's canary, created on first use with AWS's defaults (deployment = the stage's).
fn canary(stage: &mut Stage) -> &mut CanarySettings {
    let deployment_id = stage.deployment_id.clone();
    stage.canary_settings.get_or_insert_with(|| CanarySettings {
        deployment_id: Some(deployment_id),
        ..CanarySettings::default()
    })
}

/// AWS's words for canary paths (AWS-recorded, localstack
/// `test_update_stage_canary_deployment_validation`): `remove` of a member that is not a
/// variable override is "Cannot remove method setting ...", `add` of the deployment is refused,
/// an unknown path is UpdateStage's own `Invalid method setting path`.
fn apply_canary(stage: &mut Stage, op: &PatchOperation, rest: &[&str]) -> Result<(), AdminError> {
    if op.op == PatchOp::Remove && !matches!(rest, ["stageVariableOverrides", _]) {
        return Err(AdminError::bad_request(format!(
            "Cannot remove method setting canarySettings/{} because there is no method setting for this method ",
            rest.join("/")
        )));
    }
    if op.op == PatchOp::Add && rest == ["deploymentId"] {
        return Err(AdminError::bad_request(format!(
            "Invalid add operation with path: {}",
            op.path
        )));
    }
    match rest {
        ["percentTraffic"] => {
            expect_ops(op, SET)?;
            let pct = parse_f64(
                op,
                0.0,
                100.0,
                "Canary traffic percentage must be between 0.0 and 100.0",
            )?;
            canary(stage).percent_traffic = pct;
            Ok(())
        }
        ["deploymentId"] => {
            expect_ops(op, SET)?;
            let id = value(op)?.to_string();
            canary(stage).deployment_id = Some(id);
            Ok(())
        }
        ["useStageCache"] => {
            expect_ops(op, SET)?;
            let on = parse_bool(op)?;
            canary(stage).use_stage_cache = on;
            Ok(())
        }
        ["stageVariableOverrides", name] => {
            if op.op == PatchOp::Remove && stage.canary_settings.is_none() {
                return Ok(());
            }
            let key = map_key(&[name]);
            apply_map_entry(
                &mut canary(stage).stage_variable_overrides,
                op,
                key,
                string_value,
            )
        }
        _ => Err(invalid_stage_path(op)),
    }
}

/// Canary promotion: `copy` from the canary's overrides or deployment onto the stage.
fn apply_copy(stage: &mut Stage, op: &PatchOperation) -> Result<(), AdminError> {
    let from = op.from.as_deref().unwrap_or_default();
    match (from, op.path.as_str()) {
        ("/canarySettings/stageVariableOverrides", "/variables") => {
            let overrides = stage
                .canary_settings
                .as_ref()
                .ok_or_else(|| AdminError::bad_request(NO_CANARY))?
                .stage_variable_overrides
                .clone();
            stage.variables.extend(overrides);
            Ok(())
        }
        ("/canarySettings/deploymentId", "/deploymentId") => {
            let deployment_id = stage
                .canary_settings
                .as_ref()
                .ok_or_else(|| AdminError::bad_request(NO_CANARY))?
                .deployment_id
                .clone()
                .ok_or_else(|| AdminError::bad_request(NO_CANARY))?;
            stage.deployment_id = deployment_id;
            Ok(())
        }
        _ => Err(AdminError::bad_request(format!(
            "Invalid copy operation with path: {} and from {from}. Valid copy:path are [/deploymentId, /variables] and valid copy:from are [/canarySettings/deploymentId, /canarySettings/stageVariableOverrides]",
            op.path
        ))),
    }
}

/// The methodSettings key for `resource segments + verb`: `["*", "*"]` → `*/*`,
/// `["~1pets~1{petId}", "GET"]` or `["pets", "{petId}", "GET"]` → `pets/{petId}/GET`.
fn method_setting_key_of(segs: &[&str]) -> Option<String> {
    let (verb, resource) = segs.split_last()?;
    match resource {
        [] => None,
        ["*"] => (*verb == "*").then(|| "*/*".to_string()),
        _ if HTTP_METHODS.contains(verb) => {
            let joined = map_key(resource);
            let path = if joined.starts_with('/') {
                joined
            } else {
                format!("/{joined}")
            };
            Some(method_setting_key(&path, verb))
        }
        _ => None,
    }
}

/// Splits a methodSettings patch path into its stored key and the setting it names
/// (`None` for `/{resourcePath}/{VERB}` itself).
pub fn parse_method_setting_path(path: &str) -> Option<(String, Option<(&str, &str)>)> {
    let segs: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    let n = segs.len();
    if n >= 4
        && let Some(setting) = METHOD_SETTINGS
            .iter()
            .find(|(g, s)| *g == segs[n - 2] && *s == segs[n - 1])
    {
        return Some((method_setting_key_of(&segs[..n - 2])?, Some(*setting)));
    }
    Some((method_setting_key_of(&segs)?, None))
}

fn apply_method_setting(stage: &mut Stage, op: &PatchOperation) -> Result<(), AdminError> {
    let Some((key, setting)) = parse_method_setting_path(&op.path) else {
        return Err(invalid_stage_path(op));
    };
    let Some(setting) = setting else {
        if op.op != PatchOp::Remove {
            return Err(invalid_stage_path(op));
        }
        return match stage.method_settings.remove(&key) {
            Some(_) => Ok(()),
            None => Err(AdminError::bad_request(format!(
                "Cannot remove method setting {key} because there is no method setting for this method "
            ))),
        };
    };
    expect_ops(op, SET)?;
    let template = stage
        .method_settings
        .get("*/*")
        .cloned()
        .unwrap_or_default();
    let entry = stage.method_settings.entry(key).or_insert(template);
    set_method_setting(entry, setting, op)
}

fn set_method_setting(
    entry: &mut MethodSetting,
    setting: (&str, &str),
    op: &PatchOperation,
) -> Result<(), AdminError> {
    match setting {
        ("metrics", "enabled") => entry.metrics_enabled = parse_bool(op)?,
        ("logging", "loglevel") => {
            let level = value(op)?.to_ascii_uppercase();
            if !matches!(level.as_str(), "OFF" | "ERROR" | "INFO") {
                return Err(AdminError::bad_request(format!(
                    "Invalid logging level specified: '{}'. Must be one of: [OFF, ERROR, INFO]",
                    value(op)?
                )));
            }
            entry.logging_level = Some(level);
        }
        ("logging", "dataTrace") => entry.data_trace_enabled = parse_bool(op)?,
        ("throttling", "rateLimit") => {
            entry.throttling_rate_limit = parse_f64(
                op,
                0.0,
                f64::MAX,
                "Throttling rate limit must be a non-negative number",
            )?
        }
        ("throttling", "burstLimit") => {
            entry.throttling_burst_limit = parse_int(
                op,
                0,
                i64::from(i32::MAX),
                "Throttling burst limit must be a non-negative integer",
            )?
        }
        ("caching", "enabled") => entry.caching_enabled = parse_bool(op)?,
        ("caching", "ttlInSeconds") => {
            entry.cache_ttl_in_seconds =
                parse_int(op, 0, 3600, "Cache TTL must be between 0 and 3600 seconds")?
        }
        ("caching", "dataEncrypted") => entry.cache_data_encrypted = parse_bool(op)?,
        ("caching", "requireAuthorizationForCacheControl") => {
            entry.require_authorization_for_cache_control = parse_bool(op)?
        }
        _ => {
            entry.unauthorized_cache_control_header_strategy = parse_enum(
                op,
                &[
                    "FAIL_WITH_403",
                    "SUCCEED_WITH_RESPONSE_HEADER",
                    "SUCCEED_WITHOUT_RESPONSE_HEADER",
                ],
                "unauthorized cache control header strategy",
            )?
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "stage_tests.rs"]
mod tests;

/// Applies UpdateDeployment patch operations: a deployment is immutable but for its
/// `/description`.
pub fn apply_deployment_patch(
    deployment: &mut crate::model::Deployment,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = deployment.clone();
    for op in ops {
        match segments(op)?.as_slice() {
            ["description"] => set_optional(op, &mut next.description)?,
            _ => return Err(invalid_path(op, &["/description"])),
        }
    }
    *deployment = next;
    Ok(())
}
