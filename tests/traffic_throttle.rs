//! Throttling and quotas (ops.md §2–3). With an injected clock (deterministic): accuracy of
//! the stage, method and usage-plan key scopes at 100 rps over 10 s, the order of the scopes
//! and that a rejected request consumes nothing, quota periods. Over loopback with the real
//! clock: a throttle whose bounds cannot flake on a loaded machine, and quotas that survive a
//! restart, reported by GetUsage.

mod common;
mod traffic_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{TestGateway, actor, init};
use gwtui::engine::ManualClock;
use gwtui::engine::{CreateApiKey, CreateUsagePlan, CreateUsagePlanKey};
use gwtui::engine::{CreateDeployment, EngineConfig, Gateway};
use gwtui::model::{ApiStage, PatchOperation, QuotaPeriod, QuotaSettings, ThrottleSettings};
use indexmap::IndexMap;
use traffic_support::{body_text, invoke};

const KEY_A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const KEY_B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn mock(path: &str, keyed: bool) -> String {
    let security = if keyed {
        "\n      security: [{api_key: []}]"
    } else {
        ""
    };
    format!(
        r#"
  {path}:
    get:{security}
      responses: {{"200": {{description: ok}}}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates: {{application/json: '{{"statusCode": 200}}'}}
        responses:
          default: {{statusCode: "200", responseTemplates: {{application/json: '{{"ok":true}}'}}}}
"#
    )
}

fn api_doc() -> String {
    let mut doc = String::from(
        "openapi: 3.0.1\ninfo: {title: limits, version: \"1\"}\ncomponents:\n  securitySchemes:\n    api_key: {type: apiKey, name: x-api-key, in: header}\npaths:",
    );
    for (path, keyed) in [
        ("/stage", false),
        ("/method", false),
        ("/keyed", true),
        ("/plan", true),
        ("/quota", true),
        ("/rt", false),
    ] {
        doc.push_str(&mock(path, keyed));
    }
    doc
}

async fn setup(gw: &Gateway) -> String {
    let api = gw
        .import_rest_api(&actor(), &api_doc(), Default::default())
        .await
        .unwrap()
        .id;
    gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some("test".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let ops = [
        ("/*/*/throttling/rateLimit", "100"),
        ("/*/*/throttling/burstLimit", "10"),
        ("/method/GET/throttling/rateLimit", "100"),
        ("/method/GET/throttling/burstLimit", "5"),
        ("/keyed/GET/throttling/rateLimit", "10000"),
        ("/keyed/GET/throttling/burstLimit", "5000"),
        ("/plan/GET/throttling/rateLimit", "10000"),
        ("/plan/GET/throttling/burstLimit", "5000"),
        ("/quota/GET/throttling/rateLimit", "10000"),
        ("/quota/GET/throttling/burstLimit", "5000"),
        ("/rt/GET/throttling/rateLimit", "20"),
        ("/rt/GET/throttling/burstLimit", "5"),
    ];
    gw.update_stage(
        &actor(),
        &api,
        "test",
        ops.iter()
            .map(|(p, v)| PatchOperation::replace(*p, *v))
            .collect(),
    )
    .await
    .unwrap();
    api
}

/// A key in a plan bound to the stage.
async fn key_in_plan(
    gw: &Gateway,
    api: &str,
    value: &str,
    plan: CreateUsagePlan,
) -> (String, String) {
    let key = gw
        .create_api_key(
            &actor(),
            CreateApiKey {
                name: Some(value[..4].into()),
                enabled: true,
                value: Some(value.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut plan = plan;
    for s in &mut plan.api_stages {
        s.api_id = api.to_string();
    }
    let plan = gw.create_usage_plan(&actor(), plan).await.unwrap();
    gw.create_usage_plan_key(
        &actor(),
        &plan.id,
        CreateUsagePlanKey {
            key_id: key.id.clone(),
            key_type: "API_KEY".into(),
        },
    )
    .await
    .unwrap();
    (plan.id, key.id)
}

fn throttle(rate: f64, burst: i64) -> ThrottleSettings {
    ThrottleSettings {
        rate_limit: Some(rate),
        burst_limit: Some(burst),
    }
}

/// Attempts `per_second` requests per second for `seconds`, stepping the clock; returns the
/// number admitted.
async fn hammer(
    gw: &Gateway,
    clock: &ManualClock,
    api: &str,
    path: &str,
    key: Option<&str>,
    per_second: u32,
    seconds: u32,
) -> usize {
    let headers: Vec<(&str, &str)> = key.map(|k| vec![("x-api-key", k)]).unwrap_or_default();
    let step = Duration::from_secs(1) / per_second;
    let mut ok = 0;
    for _ in 0..per_second * seconds {
        let r = invoke(gw, "GET", api, "test", path, &headers, "").await;
        match r.status.as_u16() {
            200 => ok += 1,
            429 => {
                assert_eq!(body_text(&r), r#"{"message":"Too Many Requests"}"#);
                assert_eq!(r.headers["x-amzn-errortype"], "TooManyRequestsException");
            }
            other => panic!("unexpected status {other}: {}", body_text(&r)),
        }
        clock.advance(step);
    }
    ok
}

fn within(ok: usize, expected: f64, burst: f64) -> bool {
    let steady = ok as f64 - burst;
    (steady - expected).abs() <= expected * 0.02
}

#[tokio::test]
async fn scopes_are_accurate_ordered_and_rejections_consume_nothing() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        time::macros::datetime!(2024-03-17 12:00:00 UTC),
    ));
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        clock: clock.clone(),
        ..EngineConfig::default()
    };
    let gw = Gateway::open(config).unwrap();
    let api = setup(&gw).await;
    let mut plan_throttle = IndexMap::new();
    plan_throttle.insert("/plan/GET".to_string(), throttle(1.0, 1));
    let plan = CreateUsagePlan {
        name: "gold".into(),
        api_stages: vec![ApiStage {
            api_id: String::new(),
            stage: "test".into(),
            throttle: plan_throttle,
        }],
        throttle: Some(throttle(100.0, 10)),
        ..Default::default()
    };
    key_in_plan(&gw, &api, KEY_A, plan).await;

    // Stage scope (`*/*`: 100 rps, burst 10), method scope (`method/GET`: 100 rps, burst 5),
    // key scope (plan: 100 rps, burst 10): 1000 attempts/s for 10 s each.
    let stage_ok = hammer(&gw, &clock, &api, "/stage", None, 1000, 10).await;
    let method_ok = hammer(&gw, &clock, &api, "/method", None, 1000, 10).await;
    let key_ok = hammer(&gw, &clock, &api, "/keyed", Some(KEY_A), 1000, 10).await;
    println!(
        "admitted over 10 s at 100 rps: stage {stage_ok} (burst 10), method {method_ok} (burst 5), key {key_ok} (burst 10)"
    );
    assert!(
        within(stage_ok, 1000.0, 10.0),
        "stage scope admitted {stage_ok}"
    );
    assert!(
        within(method_ok, 1000.0, 5.0),
        "method scope admitted {method_ok}"
    );
    assert!(within(key_ok, 1000.0, 10.0), "key scope admitted {key_ok}");

    // Order: the plan's per-method limit (burst 1) rejects before the key scope, and the
    // rejected request leaves the key bucket (refilled to 10 after a second) untouched.
    clock.advance(Duration::from_secs(1));
    let key = [("x-api-key", KEY_A)];
    assert_eq!(
        invoke(&gw, "GET", &api, "test", "/plan", &key, "")
            .await
            .status
            .as_u16(),
        200
    );
    for _ in 0..5 {
        assert_eq!(
            invoke(&gw, "GET", &api, "test", "/plan", &key, "")
                .await
                .status
                .as_u16(),
            429
        );
    }
    let mut left = 0;
    while invoke(&gw, "GET", &api, "test", "/keyed", &key, "")
        .await
        .status
        .as_u16()
        == 200
    {
        left += 1;
    }
    assert_eq!(
        left, 9,
        "10-token key bucket minus the one admitted /plan request"
    );
    // The key scope rejected /keyed: the stage buckets gave their tokens back too.
    assert_eq!(
        invoke(&gw, "GET", &api, "test", "/stage", &[], "")
            .await
            .status
            .as_u16(),
        200
    );

    // A method that needs a key refuses requests without a valid one.
    let r = invoke(&gw, "GET", &api, "test", "/keyed", &[], "").await;
    assert_eq!(
        (r.status.as_u16(), body_text(&r).as_str()),
        (403, r#"{"message":"Forbidden"}"#)
    );
    let r = invoke(
        &gw,
        "GET",
        &api,
        "test",
        "/keyed",
        &[("x-api-key", "nope")],
        "",
    )
    .await;
    assert_eq!(r.status.as_u16(), 403);
}

#[tokio::test]
async fn quota_per_utc_day_with_offset_in_the_first_period() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        time::macros::datetime!(2024-03-17 23:00:00 UTC),
    ));
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        clock: clock.clone(),
        ..EngineConfig::default()
    };
    let gw = Gateway::open(config).unwrap();
    let api = setup(&gw).await;
    let plan = CreateUsagePlan {
        name: "quota".into(),
        api_stages: vec![ApiStage {
            api_id: String::new(),
            stage: "test".into(),
            throttle: IndexMap::new(),
        }],
        quota: Some(QuotaSettings {
            limit: 5,
            offset: 2,
            period: QuotaPeriod::Day,
        }),
        ..Default::default()
    };
    let (plan_id, key_id) = key_in_plan(&gw, &api, KEY_B, plan).await;
    let key = [("x-api-key", KEY_B)];
    let statuses = |n| {
        let (gw, api) = (&gw, &api);
        async move {
            let mut out = Vec::new();
            for _ in 0..n {
                let r = invoke(gw, "GET", api, "test", "/quota", &key, "").await;
                if r.status.as_u16() == 429 {
                    assert_eq!(body_text(&r), r#"{"message":"Limit Exceeded"}"#);
                    assert_eq!(r.headers["x-amzn-errortype"], "LimitExceededException");
                    assert!(r.headers.get("retry-after").is_none());
                }
                out.push(r.status.as_u16());
            }
            out
        }
    };
    // First period: limit 5 - offset 2.
    assert_eq!(statuses(4).await, [200, 200, 200, 429]);
    // Next UTC day: the whole limit.
    clock.advance(Duration::from_secs(3600));
    assert_eq!(statuses(6).await, [200, 200, 200, 200, 200, 429]);
    let report = gw
        .get_usage(&plan_id, None, "2024-03-17", "2024-03-18")
        .await
        .unwrap();
    assert_eq!(report.items[&key_id], vec![[3, 0], [5, 0]]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_time_throttle_over_loopback_stays_within_its_bounds() {
    init();
    let t = TestGateway::start().await;
    let api = setup(&t.gw).await;
    // `rt/GET`: 20 rps, burst 5. Four clients as fast as they can for 1.5 s.
    let started = Instant::now();
    let deadline = started + Duration::from_millis(1500);
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (client, url) = (t.client.clone(), t.url(&api, "test", "/rt"));
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut throttled) = (0usize, 0usize);
            while Instant::now() < deadline {
                match client.get(&url).send().await.unwrap().status().as_u16() {
                    200 => ok += 1,
                    429 => throttled += 1,
                    other => panic!("unexpected {other}"),
                }
            }
            (ok, throttled)
        }));
    }
    let (mut ok, mut throttled) = (0, 0);
    for task in tasks {
        let (o, th) = task.await.unwrap();
        ok += o;
        throttled += th;
    }
    let elapsed = started.elapsed().as_secs_f64();
    // The bucket cannot admit more than burst + rate × elapsed, however slow the machine.
    let upper = 5.0 + 20.0 * elapsed + 1.0;
    println!(
        "real time: {ok} admitted, {throttled} throttled in {elapsed:.2} s (bound {upper:.1})"
    );
    assert!((ok as f64) <= upper, "{ok} admitted in {elapsed:.2} s");
    // Whatever the load, the first requests of a full bucket pass.
    assert!(ok >= 5.min(ok + throttled));
    t.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_survive_a_restart_and_get_usage_reports_them() {
    init();
    let t = TestGateway::start().await;
    let api = setup(&t.gw).await;
    let plan = CreateUsagePlan {
        name: "restart".into(),
        api_stages: vec![ApiStage {
            api_id: String::new(),
            stage: "test".into(),
            throttle: IndexMap::new(),
        }],
        quota: Some(QuotaSettings {
            limit: 5,
            offset: 0,
            period: QuotaPeriod::Month,
        }),
        ..Default::default()
    };
    let (plan_id, key_id) = key_in_plan(&t.gw, &api, KEY_A, plan).await;
    let get = |t: &TestGateway| {
        t.client
            .get(t.url(&api, "test", "/quota"))
            .header("x-api-key", KEY_A)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(get(&t).await.unwrap().status().as_u16(), 200);
    }
    // Stopping flushes the in-memory counts; the reopened engine starts from them.
    let dir = t.stop().await;
    let t = TestGateway::start_in(dir, Some(7)).await;
    assert_eq!(get(&t).await.unwrap().status().as_u16(), 200);
    assert_eq!(get(&t).await.unwrap().status().as_u16(), 200);
    let refused = get(&t).await.unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert_eq!(
        refused.text().await.unwrap(),
        r#"{"message":"Limit Exceeded"}"#
    );

    let today = gwtui::engine::day_string(time::OffsetDateTime::now_utc().date());
    let url = format!(
        "{}/usageplans/{plan_id}/usage?startDate={today}&endDate={today}&keyId={key_id}",
        t.base()
    );
    let report: serde_json::Value = t
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["usagePlanId"], plan_id.as_str());
    assert_eq!(report["startDate"], today.as_str());
    assert_eq!(report["values"][&key_id], serde_json::json!([[5, 0]]));
    let bad = t
        .client
        .get(format!(
            "{}/usageplans/{plan_id}/usage?startDate=yesterday&endDate={today}",
            t.base()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    t.stop().await;
}

/// A usage-plan throttle naming only one limit is never read with the other as 0 (which
/// rejected every request, or allowed `burstLimit` requests ever): the missing half is the
/// account's. Plan-wide, per method, and after a patch that sets one half.
#[tokio::test]
async fn a_plan_throttle_with_only_one_limit_takes_the_other_from_the_account() {
    init();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(
        time::macros::datetime!(2024-03-17 12:00:00 UTC),
    ));
    let config = EngineConfig {
        data_dir: dir.path().to_path_buf(),
        clock: clock.clone(),
        ..EngineConfig::default()
    };
    let gw = Gateway::open(config).unwrap();
    let api = setup(&gw).await;
    let only_rate = ThrottleSettings {
        rate_limit: Some(1.0),
        burst_limit: None,
    };
    let only_burst = ThrottleSettings {
        rate_limit: None,
        burst_limit: Some(3),
    };
    let statuses = |key: &'static str, n: usize| {
        let (gw, api) = (&gw, &api);
        async move {
            let mut out = Vec::new();
            for _ in 0..n {
                let r = invoke(gw, "GET", api, "test", "/plan", &[("x-api-key", key)], "").await;
                out.push(r.status.as_u16());
            }
            out
        }
    };
    // Plan-wide rateLimit only: the burst is the account's 5,000, not 0.
    let (plan_a, _) = key_in_plan(
        &gw,
        &api,
        KEY_A,
        CreateUsagePlan {
            name: "rate-only".into(),
            api_stages: vec![ApiStage {
                api_id: String::new(),
                stage: "test".into(),
                throttle: IndexMap::new(),
            }],
            throttle: Some(only_rate.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        gw.get_usage_plan(&plan_a).unwrap().throttle,
        Some(only_rate)
    );
    assert_eq!(statuses(KEY_A, 20).await, vec![200; 20]);
    // Per-method burstLimit only: 3 at once, then the rate is the account's 10,000/s, not 0.
    let mut per_method = IndexMap::new();
    per_method.insert("/plan/GET".to_string(), only_burst);
    key_in_plan(
        &gw,
        &api,
        KEY_B,
        CreateUsagePlan {
            name: "burst-only".into(),
            api_stages: vec![ApiStage {
                api_id: String::new(),
                stage: "test".into(),
                throttle: per_method,
            }],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(statuses(KEY_B, 4).await, [200, 200, 200, 429]);
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        statuses(KEY_B, 4).await,
        [200, 200, 200, 429],
        "refilled at 10,000/s"
    );
    // A patch setting only `/throttle/burstLimit` on the plan without a throttle: same rule.
    gw.update_usage_plan(
        &actor(),
        &plan_a,
        vec![
            PatchOperation::remove("/throttle"),
            PatchOperation::replace("/throttle/burstLimit", "2"),
        ],
    )
    .await
    .unwrap();
    clock.advance(Duration::from_secs(10));
    assert_eq!(statuses(KEY_A, 3).await, [200, 200, 429]);
    clock.advance(Duration::from_millis(1));
    assert_eq!(statuses(KEY_A, 3).await, [200, 200, 429]);
}

/// The quota ledger holds one counter per existing (plan, key) link: deleting keys, a link or
/// the plan removes theirs (after their counts are stored).
#[tokio::test]
async fn quota_counters_go_with_their_keys_links_and_plans() {
    init();
    let dir = tempfile::tempdir().unwrap();
    // Usage is flushed only when asked (the test checks the set-aside counter before it).
    let config = EngineConfig {
        usage_flush_interval: Duration::from_secs(3600),
        ..EngineConfig::new(dir.path())
    };
    let gw = Gateway::open(config).unwrap();
    let api = setup(&gw).await;
    let plan = gw
        .create_usage_plan(
            &actor(),
            CreateUsagePlan {
                name: "ledger".into(),
                api_stages: vec![ApiStage {
                    api_id: api.clone(),
                    stage: "test".into(),
                    throttle: IndexMap::new(),
                }],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut keys = Vec::new();
    for i in 0..12 {
        let value = format!("ledgerkey{i:04}aaaaaaaaaaaaaaaa");
        let key = gw
            .create_api_key(
                &actor(),
                CreateApiKey {
                    name: Some(format!("k{i}")),
                    enabled: true,
                    value: Some(value.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        gw.create_usage_plan_key(
            &actor(),
            &plan.id,
            CreateUsagePlanKey {
                key_id: key.id.clone(),
                key_type: "API_KEY".into(),
            },
        )
        .await
        .unwrap();
        keys.push((key.id, value));
    }
    assert_eq!(gw.quota_counters(), (12, 0));
    // Counted requests on the key about to go: its counter waits for the flush.
    let r = invoke(
        &gw,
        "GET",
        &api,
        "test",
        "/quota",
        &[("x-api-key", &keys[0].1)],
        "",
    )
    .await;
    assert_eq!(r.status.as_u16(), 200, "{}", body_text(&r));
    gw.delete_api_key(&actor(), &keys[0].0).await.unwrap();
    assert_eq!(gw.quota_counters(), (11, 1));
    gw.flush_usage().await.unwrap();
    assert_eq!(gw.quota_counters(), (11, 0));
    for (id, _) in &keys[1..6] {
        gw.delete_api_key(&actor(), id).await.unwrap();
    }
    gw.delete_usage_plan_key(&actor(), &plan.id, &keys[6].0)
        .await
        .unwrap();
    assert_eq!(gw.quota_counters(), (5, 0));
    gw.delete_usage_plan(&actor(), &plan.id).await.unwrap();
    assert_eq!(gw.quota_counters(), (0, 0));
}
