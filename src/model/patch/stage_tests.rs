use super::*;
use crate::model::{PatchOperation as Op, UnauthorizedCacheControlHeaderStrategy};

fn stage() -> Stage {
    Stage {
        stage_name: "prod".into(),
        deployment_id: "dep1".into(),
        ..Stage::default()
    }
}

fn apply(stage: &mut Stage, ops: &[Op]) -> Result<(), AdminError> {
    apply_stage_patch(stage, ops)
}

fn message(stage: &mut Stage, ops: &[Op]) -> String {
    let before = stage.clone();
    let err = apply(stage, ops).unwrap_err();
    assert_eq!(
        *stage, before,
        "a failing batch must leave the stage unchanged"
    );
    assert!(matches!(err, AdminError::BadRequest(_)), "{err:?}");
    err.message().to_string()
}

#[test]
fn scalar_paths() {
    let mut s = stage();
    apply(
        &mut s,
        &[
            Op::replace("/description", "live"),
            Op::replace("/deploymentId", "dep2"),
            Op::replace("/cacheClusterEnabled", "true"),
            Op::replace("/cacheClusterSize", "6.1"),
            Op::replace("/tracingEnabled", "TRUE"),
            Op::replace("/documentationVersion", "v1"),
        ],
    )
    .unwrap();
    assert_eq!(s.description.as_deref(), Some("live"));
    assert_eq!(s.deployment_id, "dep2");
    assert!(s.cache_cluster_enabled && s.tracing_enabled);
    assert_eq!(s.cache_cluster_size.as_deref(), Some("6.1"));
    assert_eq!(s.documentation_version.as_deref(), Some("v1"));
    apply(&mut s, &[Op::remove("/description")]).unwrap();
    assert_eq!(s.description, None);
}

#[test]
fn scalar_errors() {
    let mut s = stage();
    assert!(message(&mut s, &[Op::replace("/cacheClusterSize", "2")]).contains("0.5, 1.6"));
    assert_eq!(
        message(&mut s, &[Op::replace("/tracingEnabled", "yes")]),
        "Invalid boolean value 'yes' for '/tracingEnabled'. Must be true or false"
    );
    assert_eq!(
        message(&mut s, &[Op::remove("/deploymentId")]),
        "Invalid patch path  '/deploymentId' specified for op 'remove'. Please choose supported operations"
    );
    let mut no_value = Op::replace("/cacheClusterEnabled", "");
    no_value.value = None;
    assert!(message(&mut s, &[no_value]).contains("a value is required"));
    let unknown = message(&mut s, &[Op::replace("/nope", "x")]);
    assert!(
        unknown.starts_with("Invalid method setting path: /nope. Must be one of: [/deploymentId, "),
        "{unknown}"
    );
    assert!(message(&mut s, &[Op::replace("nope", "x")]).contains("must start with '/'"));
}

#[test]
fn variables_are_validated_and_batch_is_atomic() {
    let mut s = stage();
    apply(
        &mut s,
        &[
            Op::add("/variables/fn", "orders"),
            Op::replace("/variables/url", "http://x:8080/a?b=c"),
        ],
    )
    .unwrap();
    assert_eq!(s.variables["fn"], "orders");
    apply(&mut s, &[Op::remove("/variables/fn")]).unwrap();
    assert!(!s.variables.contains_key("fn"));
    // the first op is fine, the second is not: nothing is applied
    let err = message(
        &mut s,
        &[
            Op::add("/variables/ok", "1"),
            Op::add("/variables/bad-name", "1"),
        ],
    );
    assert!(err.contains("bad-name"), "{err}");
    assert!(message(&mut s, &[Op::add("/variables/v", "a b")]).contains("value"));
    assert!(message(&mut s, &[Op::add("/variables/v", "x".repeat(513))]).contains("512"));
    assert!(
        message(
            &mut s,
            &[Op::add(format!("/variables/{}", "n".repeat(65)), "1")]
        )
        .contains("64")
    );
    let many: Vec<Op> = (0..101)
        .map(|i| Op::add(format!("/variables/v{i}"), "1"))
        .collect();
    assert!(message(&mut s, &many).contains("at most 100"));
}

#[test]
fn access_log_settings() {
    let mut s = stage();
    apply(
        &mut s,
        &[
            Op::replace("/accessLogSettings/format", "$context.requestId"),
            Op::replace(
                "/accessLogSettings/destinationArn",
                "arn:aws:logs:us-east-1:1:log-group:g",
            ),
        ],
    )
    .unwrap();
    let settings = s.access_log_settings.clone().unwrap();
    assert_eq!(settings.format.as_deref(), Some("$context.requestId"));
    assert!(settings.destination_arn.is_some());
    assert_eq!(
        message(&mut s, &[Op::replace("/accessLogSettings/other", "x")]),
        "Invalid accessLogSettings path. Must be one of : [/accessLogSettings/destinationArn, /accessLogSettings/format]"
    );
    apply(&mut s, &[Op::remove("/accessLogSettings")]).unwrap();
    assert_eq!(s.access_log_settings, None);
}

#[test]
fn canary_settings_and_promotion() {
    let mut s = stage();
    s.variables.insert("a".into(), "1".into());
    apply(
        &mut s,
        &[
            Op::replace("/canarySettings/percentTraffic", "12.5"),
            Op::replace("/canarySettings/deploymentId", "dep2"),
            Op::add("/canarySettings/stageVariableOverrides/a", "2"),
            Op::add("/canarySettings/stageVariableOverrides/b", "3"),
            Op::replace("/canarySettings/useStageCache", "true"),
        ],
    )
    .unwrap();
    let canary = s.canary_settings.clone().unwrap();
    assert_eq!(canary.percent_traffic, 12.5);
    assert_eq!(canary.deployment_id.as_deref(), Some("dep2"));
    assert!(canary.use_stage_cache);
    assert_eq!(
        message(
            &mut s,
            &[Op::replace("/canarySettings/percentTraffic", "100.5")]
        ),
        "Canary traffic percentage must be between 0.0 and 100.0"
    );
    assert!(
        message(&mut s, &[Op::replace("/canarySettings/nope", "1")])
            .contains("/canarySettings/nope")
    );
    // AWS's promotion: three ops in one UpdateStage; canarySettings stay in place
    apply(
        &mut s,
        &[
            Op::replace("/canarySettings/percentTraffic", "0.0"),
            Op::copy("/canarySettings/stageVariableOverrides", "/variables"),
            Op::copy("/canarySettings/deploymentId", "/deploymentId"),
        ],
    )
    .unwrap();
    assert_eq!(s.deployment_id, "dep2");
    assert_eq!(s.variables["a"], "2");
    assert_eq!(s.variables["b"], "3");
    assert_eq!(s.canary_settings.as_ref().unwrap().percent_traffic, 0.0);
    assert!(
        message(
            &mut s,
            &[Op::copy(
                "/variables",
                "/canarySettings/stageVariableOverrides"
            )]
        )
        .starts_with("Invalid copy operation")
    );
    apply(&mut s, &[Op::remove("/canarySettings")]).unwrap();
    assert_eq!(s.canary_settings, None);
    assert_eq!(
        message(
            &mut s,
            &[Op::copy("/canarySettings/deploymentId", "/deploymentId")]
        ),
        "Promotion not available. Canary does not exist."
    );
    assert_eq!(
        message(
            &mut s,
            &[Op::copy(
                "/canarySettings/stageVariableOverrides",
                "/variables"
            )]
        ),
        "Promotion not available. Canary does not exist."
    );
}

#[test]
fn a_new_canary_starts_on_the_stage_deployment() {
    let mut s = stage();
    apply(
        &mut s,
        &[Op::replace("/canarySettings/percentTraffic", "5")],
    )
    .unwrap();
    assert_eq!(
        s.canary_settings.unwrap().deployment_id.as_deref(),
        Some("dep1")
    );
}

#[test]
fn method_settings_keys() {
    let mut s = stage();
    apply(
        &mut s,
        &[
            Op::replace("/*/*/throttling/burstLimit", "100"),
            Op::replace("/~1pets~1{petId}/GET/caching/enabled", "true"),
            Op::replace("/test/GET/throttling/burstLimit", "7"),
            Op::replace("/pets/{petId}/POST/metrics/enabled", "true"),
            Op::replace("/~1/GET/logging/loglevel", "info"),
        ],
    )
    .unwrap();
    let keys: Vec<&str> = s.method_settings.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "*/*",
            "/GET",
            "pets/{petId}/GET",
            "pets/{petId}/POST",
            "test/GET"
        ]
    );
    assert_eq!(s.method_settings["*/*"].throttling_burst_limit, 100);
    // entries created after */* start as a copy of it
    assert_eq!(
        s.method_settings["pets/{petId}/GET"].throttling_burst_limit,
        100
    );
    assert!(s.method_settings["pets/{petId}/GET"].caching_enabled);
    assert_eq!(s.method_settings["test/GET"].throttling_burst_limit, 7);
    assert_eq!(
        s.method_settings["/GET"].logging_level.as_deref(),
        Some("INFO")
    );
    assert_eq!(
        parse_method_setting_path("/*/*"),
        Some(("*/*".to_string(), None))
    );
}

#[test]
fn method_settings_fields() {
    let mut s = stage();
    let p = "/~1a/PUT";
    apply(
        &mut s,
        &[
            Op::replace(format!("{p}/metrics/enabled"), "true"),
            Op::replace(format!("{p}/logging/loglevel"), "ERROR"),
            Op::replace(format!("{p}/logging/dataTrace"), "true"),
            Op::replace(format!("{p}/throttling/rateLimit"), "12.5"),
            Op::replace(format!("{p}/throttling/burstLimit"), "20"),
            Op::replace(format!("{p}/caching/enabled"), "true"),
            Op::replace(format!("{p}/caching/ttlInSeconds"), "3600"),
            Op::replace(format!("{p}/caching/dataEncrypted"), "true"),
            Op::replace(
                format!("{p}/caching/requireAuthorizationForCacheControl"),
                "false",
            ),
            Op::replace(
                format!("{p}/caching/unauthorizedCacheControlHeaderStrategy"),
                "FAIL_WITH_403",
            ),
        ],
    )
    .unwrap();
    let m = &s.method_settings["a/PUT"];
    assert!(
        m.metrics_enabled && m.data_trace_enabled && m.caching_enabled && m.cache_data_encrypted
    );
    assert!(!m.require_authorization_for_cache_control);
    assert_eq!(m.logging_level.as_deref(), Some("ERROR"));
    assert_eq!(m.throttling_rate_limit, 12.5);
    assert_eq!(m.throttling_burst_limit, 20);
    assert_eq!(m.cache_ttl_in_seconds, 3600);
    assert_eq!(
        m.unauthorized_cache_control_header_strategy,
        UnauthorizedCacheControlHeaderStrategy::FailWith403
    );
}

#[test]
fn method_settings_errors_and_removal() {
    let mut s = stage();
    apply(&mut s, &[Op::replace("/*/*/metrics/enabled", "true")]).unwrap();
    assert_eq!(
        message(&mut s, &[Op::replace("/*/*/caching/ttlInSeconds", "3601")]),
        "Cache TTL must be between 0 and 3600 seconds"
    );
    assert!(message(&mut s, &[Op::replace("/*/*/caching/ttlInSeconds", "ten")]).contains("'ten'"));
    assert!(message(&mut s, &[Op::replace("/*/*/throttling/burstLimit", "-1")]).contains("burst"));
    assert!(message(&mut s, &[Op::replace("/*/*/throttling/rateLimit", "NaN")]).contains("rate"));
    assert!(
        message(&mut s, &[Op::replace("/*/*/logging/loglevel", "DEBUG")])
            .contains("OFF, ERROR, INFO")
    );
    assert!(
        message(
            &mut s,
            &[Op::replace(
                "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
                "x"
            )]
        )
        .contains("FAIL_WITH_403")
    );
    // a bad verb or a half-wildcard is an unknown path
    assert!(
        message(
            &mut s,
            &[Op::replace("/pets/FETCH/metrics/enabled", "true")]
        )
        .starts_with("Invalid method setting path: /pets/FETCH/metrics/enabled.")
    );
    assert!(
        message(&mut s, &[Op::replace("/pets/*/metrics/enabled", "true")])
            .starts_with("Invalid method setting path: /pets/*/metrics/enabled.")
    );
    assert!(
        message(&mut s, &[Op::replace("/~1pets/GET", "x")])
            .starts_with("Invalid method setting path: /~1pets/GET.")
    );
    assert_eq!(
        message(&mut s, &[Op::remove("/~1pets/GET")]),
        "Cannot remove method setting pets/GET because there is no method setting for this method "
    );
    apply(
        &mut s,
        &[Op::replace("/~1pets/GET/metrics/enabled", "false")],
    )
    .unwrap();
    apply(&mut s, &[Op::remove("/~1pets/GET"), Op::remove("/*/*")]).unwrap();
    assert!(s.method_settings.is_empty());
}
