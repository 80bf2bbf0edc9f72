//! Live metrics and logs over real loopback sockets: Prometheus text parsed by a real parser,
//! the JSON endpoint against `metrics_snapshot`, the base/canary split, access-log presets
//! written byte-exact to their files, and the execution-log ring at INFO and ERROR.

mod common;

use std::time::{Duration, Instant};

use common::{TestGateway, actor, init};
use gwtui::engine::UNMATCHED;
use gwtui::engine::{
    ACCESS_LOG_CLF, ACCESS_LOG_CSV, ACCESS_LOG_JSON, ACCESS_LOG_XML, EXECUTION_LOG_CAPACITY,
    LogKind,
};
use gwtui::engine::{CreateDeployment, Gateway, InvokeRequest, Variant};
use gwtui::model::{
    Integration, IntegrationResponse, IntegrationType, Method, MethodResponse, PassthroughBehavior,
    PatchOperation,
};
use indexmap::IndexMap;

/// A MOCK method at `path` answering 200 with `body`; `status_template` is the request
/// template's statusCode expression (a non-number makes the MOCK fail with 500).
async fn add_mock(
    gw: &Gateway,
    api_id: &str,
    path: &str,
    body: &str,
    status_template: &str,
    never: bool,
) {
    let def = gw.get_definition(api_id).unwrap();
    let root = def.rest_api.root_resource_id.clone();
    let resource = gw
        .create_resource(&actor(), api_id, &root, path.trim_start_matches('/'))
        .await
        .unwrap();
    gw.put_method(&actor(), api_id, &resource.id, "GET", Method::default())
        .await
        .unwrap();
    let mut templates = IndexMap::new();
    templates.insert(
        "application/json".to_string(),
        format!("{{\"statusCode\": {status_template}}}"),
    );
    let integration = Integration {
        integration_type: IntegrationType::Mock,
        request_templates: templates,
        passthrough_behavior: if never {
            PassthroughBehavior::Never
        } else {
            PassthroughBehavior::WhenNoMatch
        },
        ..Default::default()
    };
    gw.put_integration(&actor(), api_id, &resource.id, "GET", integration)
        .await
        .unwrap();
    let response = MethodResponse {
        status_code: "200".into(),
        ..Default::default()
    };
    gw.put_method_response(&actor(), api_id, &resource.id, "GET", response)
        .await
        .unwrap();
    set_body(gw, api_id, &resource.id, body).await;
}

async fn set_body(gw: &Gateway, api_id: &str, resource_id: &str, body: &str) {
    let mut templates = IndexMap::new();
    templates.insert("application/json".to_string(), body.to_string());
    let response = IntegrationResponse {
        status_code: "200".into(),
        response_templates: templates,
        ..Default::default()
    };
    gw.put_integration_response(&actor(), api_id, resource_id, "GET", response)
        .await
        .unwrap();
}

/// `/pets` (200), `/broken` (500), `/strict` (415 for text/plain); deployed to `stage`.
async fn api(gw: &Gateway, stage: &str) -> String {
    let api = gw
        .create_rest_api(
            &actor(),
            gwtui::engine::CreateRestApi {
                name: "metrics".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    add_mock(gw, &api, "/pets", "base", "200", false).await;
    add_mock(gw, &api, "/broken", "x", "\"abc\"", false).await;
    add_mock(gw, &api, "/strict", "strict", "200", true).await;
    gw.create_deployment(
        &actor(),
        &api,
        CreateDeployment {
            stage_name: Some(stage.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    api
}

/// Changes `/pets` to answer `canary` and deploys that as a 50 % canary of `stage`.
async fn add_canary(gw: &Gateway, api: &str, stage: &str) {
    let def = gw.get_definition(api).unwrap();
    let pets = def.resource_by_path("/pets").unwrap().id.clone();
    set_body(gw, api, &pets, "canary").await;
    let canary = gwtui::engine::DeploymentCanarySettings {
        percent_traffic: 50.0,
        ..Default::default()
    };
    gw.create_deployment(
        &actor(),
        api,
        CreateDeployment {
            stage_name: Some(stage.into()),
            canary_settings: Some(canary),
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn patch(gw: &Gateway, api: &str, stage: &str, path: &str, value: &str) {
    gw.update_stage(
        &actor(),
        api,
        stage,
        vec![PatchOperation::replace(path, value)],
    )
    .await
    .unwrap();
}

/// Counts of what a traffic mix produced, as the client saw it.
#[derive(Debug, Default)]
struct Sent {
    base_pets: u64,
    canary_pets: u64,
    broken: u64,
    strict: u64,
    unmatched: u64,
}

impl Sent {
    fn total(&self) -> u64 {
        self.base_pets + self.canary_pets + self.broken + self.strict + self.unmatched
    }
}

async fn traffic(t: &TestGateway, api: &str, stage: &str, rounds: usize) -> Sent {
    let mut sent = Sent::default();
    for i in 0..rounds {
        let resp = t
            .client
            .get(t.url(api, stage, "/pets"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        match resp.text().await.unwrap().as_str() {
            "base" => sent.base_pets += 1,
            "canary" => sent.canary_pets += 1,
            other => panic!("unexpected body {other}"),
        }
        if i % 3 == 0 {
            let resp = t
                .client
                .get(t.url(api, stage, "/broken"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 500);
            sent.broken += 1;
        }
        if i % 4 == 0 {
            let resp = t
                .client
                .get(t.url(api, stage, "/strict"))
                .header("content-type", "text/plain")
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 415);
            sent.strict += 1;
        }
        if i % 5 == 0 {
            let resp = t
                .client
                .get(t.url(api, stage, "/nope"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status().as_u16(), 403);
            sent.unmatched += 1;
        }
    }
    // Unknown stages are not counted anywhere.
    let resp = t
        .client
        .get(t.url(api, "nostage", "/pets"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    sent
}

/// Waits for the roller to close the seconds the traffic fell in.
async fn settled(gw: &Gateway, api: &str, expected: u64) -> gwtui::engine::MetricsSnapshot {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let snap = gw.metrics_snapshot(api, Duration::from_secs(300));
        let total: u64 = snap.series.iter().map(|s| s.totals.count).sum();
        if total == expected || Instant::now() > deadline {
            assert_eq!(total, expected, "snapshot total");
            return snap;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn sample_sum(scrape: &prometheus_parse::Scrape, metric: &str, filter: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && filter.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Untyped(v)
            | prometheus_parse::Value::Gauge(v) => *v,
            other => panic!("{metric} is not a number: {other:?}"),
        })
        .sum()
}

#[tokio::test]
async fn prometheus_json_and_snapshot_agree_with_the_traffic_sent_split_by_variant() {
    init();
    let t = TestGateway::start().await;
    let api = api(&t.gw, "test").await;
    add_canary(&t.gw, &api, "test").await;
    let sent = traffic(&t, &api, "test", 40).await;
    assert!(sent.base_pets > 0 && sent.canary_pets > 0, "{sent:?}");

    // Prometheus text, parsed by a real parser.
    let text = t
        .client
        .get(format!("{}/metrics", t.base()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let on_api = [("api_id", api.as_str()), ("stage", "test")];
    assert_eq!(
        sample_sum(&scrape, "gwtui_requests_total", &on_api),
        sent.total() as f64,
        "{text}"
    );
    assert_eq!(
        sample_sum(&scrape, "gwtui_5xx_errors_total", &on_api),
        sent.broken as f64
    );
    assert_eq!(
        sample_sum(&scrape, "gwtui_4xx_errors_total", &on_api),
        (sent.strict + sent.unmatched) as f64
    );
    assert_eq!(sample_sum(&scrape, "gwtui_cache_hits_total", &on_api), 0.0);
    let pets = |variant| {
        [
            ("api_id", api.as_str()),
            ("resource", "/pets"),
            ("method", "GET"),
            ("variant", variant),
        ]
    };
    assert_eq!(
        sample_sum(&scrape, "gwtui_requests_total", &pets("base")),
        sent.base_pets as f64
    );
    assert_eq!(
        sample_sum(&scrape, "gwtui_requests_total", &pets("canary")),
        sent.canary_pets as f64
    );
    let unmatched = [
        ("api_id", api.as_str()),
        ("resource", UNMATCHED),
        ("method", UNMATCHED),
    ];
    assert_eq!(
        sample_sum(&scrape, "gwtui_requests_total", &unmatched),
        sent.unmatched as f64
    );
    assert_eq!(
        sample_sum(&scrape, "gwtui_latency_seconds_count", &on_api),
        sent.total() as f64
    );
    let histograms: Vec<_> = scrape
        .samples
        .iter()
        .filter(|s| {
            s.metric == "gwtui_latency_seconds" && s.labels.get("api_id") == Some(api.as_str())
        })
        .collect();
    assert!(!histograms.is_empty());
    for h in &histograms {
        let prometheus_parse::Value::Histogram(buckets) = &h.value else {
            panic!("not a histogram: {h:?}")
        };
        let inf = buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map(|b| b.count);
        let count = sample_sum(
            &scrape,
            "gwtui_latency_seconds_count",
            &[
                ("api_id", api.as_str()),
                ("resource", h.labels.get("resource").unwrap_or_default()),
                ("variant", h.labels.get("variant").unwrap_or_default()),
            ],
        );
        assert_eq!(inf, Some(count));
    }

    // metrics_snapshot and the JSON endpoint.
    let snap = settled(&t.gw, &api, sent.total()).await;
    let series = |variant: Variant, path: &str| {
        snap.series
            .iter()
            .find(|s| s.key.variant == variant && s.key.resource_path == path)
            .map_or(0, |s| s.totals.count)
    };
    assert_eq!(series(Variant::Base, "/pets"), sent.base_pets);
    assert_eq!(series(Variant::Canary, "/pets"), sent.canary_pets);
    assert_eq!(
        series(Variant::Base, "/broken") + series(Variant::Canary, "/broken"),
        sent.broken
    );
    let stage_total = snap
        .aggregates
        .iter()
        .find(|a| a.key.variant.is_none())
        .map(|a| a.totals);
    let stage_total = stage_total.unwrap();
    assert_eq!(stage_total.count, sent.total());
    assert_eq!(stage_total.error_5xx, sent.broken);
    let by_variant: u64 = snap
        .aggregates
        .iter()
        .filter(|a| a.key.variant.is_some())
        .map(|a| a.totals.count)
        .sum();
    assert_eq!(by_variant, sent.total());
    let canary_aggregate = snap
        .aggregates
        .iter()
        .find(|a| a.key.variant == Some(Variant::Canary))
        .unwrap();
    assert!(
        canary_aggregate
            .buckets
            .iter()
            .any(|b| b.count > 0 && b.latency_ms.max > 0.0)
    );

    let url = format!(
        "{}/gwtui/metrics?restApiId={api}&stage=test&window=5m",
        t.base()
    );
    let json: serde_json::Value = t
        .client
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ours = serde_json::to_value(&snap).unwrap();
    let keyed = |v: &serde_json::Value, list: &str| -> Vec<(String, serde_json::Value)> {
        v[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    format!(
                        "{}/{}/{}/{}",
                        s["stage"], s["variant"], s["resourcePath"], s["httpMethod"]
                    ),
                    s["totals"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(keyed(&json, "series"), keyed(&ours, "series"));
    assert_eq!(keyed(&json, "aggregates"), keyed(&ours, "aggregates"));
    assert_eq!(json["stepSeconds"], 1);
    assert_eq!(
        json["series"][0]["buckets"].as_array().map(Vec::len),
        Some(300)
    );
    let bad = t
        .client
        .get(format!(
            "{}/gwtui/metrics?restApiId={api}&window=2d",
            t.base()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let day: serde_json::Value = t
        .client
        .get(format!("{url}&window=24h").replace("window=5m&", ""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(day["stepSeconds"], 60);

    // The per-second tick reaches subscribers.
    let mut events = t.gw.subscribe();
    let tick = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(gwtui::engine::GatewayEvent::MetricsTick(tick)) = events.recv().await {
                return tick;
            }
        }
    })
    .await
    .unwrap();
    assert!(tick.epoch_second > 0);
    t.stop().await;
}

fn request_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    at.format(format).unwrap()
}

#[tokio::test]
async fn access_log_presets_are_written_exactly_and_canary_lines_go_to_their_own_file() {
    init();
    let t = TestGateway::start().await;
    let api = api(&t.gw, "prod").await;
    let path = t.gw.access_log_path(&api, "prod", Variant::Base);
    let presets = [
        ACCESS_LOG_CLF,
        ACCESS_LOG_JSON,
        ACCESS_LOG_XML,
        ACCESS_LOG_CSV,
    ];
    for (i, preset) in presets.iter().enumerate() {
        patch(&t.gw, &api, "prod", "/accessLogSettings/format", preset).await;
        let id = format!("4c4b1f6e-8d2a-4f5e-9b1c-00000000000{i}");
        let before = request_time(time::OffsetDateTime::now_utc());
        let resp = t
            .client
            .get(t.url(&api, "prod", "/pets"))
            .header("x-amzn-RequestId", &id)
            .send()
            .await
            .unwrap();
        let after = request_time(time::OffsetDateTime::now_utc());
        assert_eq!(resp.headers()["x-amzn-requestid"], id.as_str());
        let ext = resp.headers()["x-amz-apigw-id"]
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(resp.text().await.unwrap(), "base");
        t.gw.flush_logs().await;
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = written.lines().collect();
        assert_eq!(lines.len(), i + 1);
        let line = lines[i];
        let expected = |time: &str| match i {
            0 => format!("127.0.0.1 - - [{time}] \"GET /pets HTTP/1.1\" 200 4 {id} {ext}"),
            1 => format!(
                "{{ \"requestId\":\"{id}\", \"extendedRequestId\":\"{ext}\", \"ip\": \"127.0.0.1\", \"caller\":\"-\", \"user\":\"-\", \"requestTime\":\"{time}\", \"httpMethod\":\"GET\", \"resourcePath\":\"/pets\", \"status\":\"200\", \"protocol\":\"HTTP/1.1\", \"responseLength\":\"4\" }}"
            ),
            2 => format!(
                "<request id=\"{id}\"> <extendedRequestId>{ext}</extendedRequestId> <ip>127.0.0.1</ip> <caller>-</caller> <user>-</user> <requestTime>{time}</requestTime> <httpMethod>GET</httpMethod> <resourcePath>/pets</resourcePath> <status>200</status> <protocol>HTTP/1.1</protocol> <responseLength>4</responseLength> </request>"
            ),
            _ => format!("127.0.0.1,-,-,{time},GET,/pets,HTTP/1.1,200,4,{id},{ext}"),
        };
        assert!(
            line == expected(&before) || line == expected(&after),
            "preset {i}:\n{line}\n{}",
            expected(&before)
        );
    }
    // An unmatched path is logged with `-` for what it does not have.
    patch(&t.gw, &api, "prod", "/accessLogSettings/format", "$context.requestId $context.resourcePath $context.status $context.error.responseType $context.integrationLatency").await;
    let id = "4c4b1f6e-8d2a-4f5e-9b1c-0000000000aa";
    t.client
        .get(t.url(&api, "prod", "/nope"))
        .header("x-amzn-RequestId", id)
        .send()
        .await
        .unwrap();
    t.gw.flush_logs().await;
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written.lines().last(),
        Some(format!("{id} - 403 MISSING_AUTHENTICATION_TOKEN -").as_str())
    );

    // Canary requests: tagged `{stage}/Canary` on the stream, written to the canary file.
    add_canary(&t.gw, &api, "prod").await;
    patch(
        &t.gw,
        &api,
        "prod",
        "/accessLogSettings/format",
        "$context.requestId $context.isCanaryRequest $context.stage",
    )
    .await;
    let mut events = t.gw.subscribe();
    let base_before = std::fs::read_to_string(&path).unwrap().lines().count();
    let (mut base, mut canary) = (0, 0);
    for _ in 0..30 {
        let body = t
            .client
            .get(t.url(&api, "prod", "/pets"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body == "canary" {
            canary += 1
        } else {
            base += 1
        }
    }
    t.gw.flush_logs().await;
    let base_lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .skip(base_before)
        .map(str::to_string)
        .collect();
    let canary_lines: Vec<String> =
        std::fs::read_to_string(t.gw.access_log_path(&api, "prod", Variant::Canary))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
    assert_eq!((base_lines.len(), canary_lines.len()), (base, canary));
    assert!(
        base_lines.iter().all(|l| l.ends_with(" false prod")),
        "{base_lines:?}"
    );
    assert!(
        canary_lines.iter().all(|l| l.ends_with(" true prod")),
        "{canary_lines:?}"
    );
    let mut streamed = Vec::new();
    let mut summaries = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let gwtui::engine::GatewayEvent::Logs(batch) = event {
            streamed.extend(batch.iter().filter(|l| l.kind == LogKind::Access).cloned());
            summaries.extend(batch.iter().filter(|l| l.kind == LogKind::Request).cloned());
        }
    }
    assert_eq!(streamed.len(), 30);
    // A subscribed console also gets a one-line summary of each request.
    assert_eq!(summaries.len(), 30);
    assert!(
        summaries
            .iter()
            .all(|l| l.message.starts_with("GET /pets 200 ") && l.message.ends_with(" ms (/pets)")),
        "{summaries:?}"
    );
    assert_eq!(
        streamed.iter().filter(|l| l.stage == "prod/Canary").count(),
        canary
    );
    t.stop().await;
}

fn invoke_request(api: &str, stage: &str, path: &str, id: Option<&str>) -> InvokeRequest {
    let mut headers = http::HeaderMap::new();
    if let Some(id) = id {
        headers.insert("x-amzn-requestid", id.parse().unwrap());
    }
    InvokeRequest {
        method: http::Method::GET,
        api_id: api.into(),
        stage: stage.into(),
        path: path.into(),
        query: Some("limit=2".into()),
        headers,
        body: bytes::Bytes::new(),
        source_ip: "127.0.0.1".parse().unwrap(),
        protocol: "HTTP/1.1",
        context_path: format!("/{stage}{path}"),
        base_path_matched: None,
        client_cert: None,
    }
}

#[tokio::test]
async fn execution_log_keeps_aws_lines_in_order_at_info_only_failures_at_error_and_is_bounded() {
    init();
    let t = TestGateway::start().await;
    let gw = &t.gw;
    let api = api(gw, "dev").await;
    // OFF (no method settings): nothing is kept.
    gw.invoke(invoke_request(&api, "dev", "/pets", None)).await;
    gw.flush_logs().await;
    assert!(gw.execution_log(&api, "dev", 100).is_empty());

    patch(gw, &api, "dev", "/*/*/logging/loglevel", "INFO").await;
    let id = "0b7c7a52-3f0e-4c55-8a70-5d1d2f9e0001";
    let resp = gw
        .invoke(invoke_request(&api, "dev", "/pets", Some(id)))
        .await;
    let ext = resp.headers["x-amz-apigw-id"].to_str().unwrap().to_string();
    let broken = "0b7c7a52-3f0e-4c55-8a70-5d1d2f9e0002";
    gw.invoke(invoke_request(&api, "dev", "/broken", Some(broken)))
        .await;
    gw.flush_logs().await;
    let lines = gw.execution_log(&api, "dev", 100);
    let of = |rid: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.request_id == rid)
            .map(|l| l.message.clone())
            .collect()
    };
    let ok = of(id);
    assert_eq!(
        ok[..5],
        [
            format!("Extended Request Id: {ext}"),
            format!("Starting execution for request: {id}"),
            "HTTP Method: GET, Resource Path: /pets".to_string(),
            "Method request path: {}".to_string(),
            "Method request query string: {limit=2}".to_string(),
        ]
    );
    assert!(ok[5].starts_with("Method response headers: {"), "{ok:?}");
    assert_eq!(
        ok[6..],
        [
            "Successfully completed execution".to_string(),
            "Method completed with status: 200".to_string()
        ]
    );
    assert_eq!(ok.len(), 8);
    let failed = of(broken);
    assert!(
        failed
            .iter()
            .any(|l| l.starts_with("Execution failed due to configuration error: ")),
        "{failed:?}"
    );
    assert_eq!(
        failed.last().map(String::as_str),
        Some("Method completed with status: 500")
    );
    let rendered = lines
        .iter()
        .find(|l| l.request_id == id)
        .unwrap()
        .to_string();
    assert_eq!(rendered, format!("({id}) Extended Request Id: {ext}"));

    // dataTrace adds the bodies and headers, masking secrets; long lines are truncated.
    patch(gw, &api, "dev", "/*/*/logging/dataTrace", "true").await;
    let traced = "0b7c7a52-3f0e-4c55-8a70-5d1d2f9e0003";
    let mut req = invoke_request(&api, "dev", "/pets", Some(traced));
    req.headers
        .insert("authorization", "Bearer secret-token-1234".parse().unwrap());
    req.body = bytes::Bytes::from("x".repeat(3000));
    gw.invoke(req).await;
    gw.flush_logs().await;
    let lines = gw.execution_log(&api, "dev", 100);
    let traced_lines: Vec<&str> = lines
        .iter()
        .filter(|l| l.request_id == traced)
        .map(|l| l.message.as_str())
        .collect();
    let headers = traced_lines
        .iter()
        .find(|l| l.starts_with("Method request headers: "))
        .unwrap();
    assert!(
        headers.contains("authorization=****1234") && !headers.contains("secret"),
        "{headers}"
    );
    let body = traced_lines
        .iter()
        .find(|l| l.starts_with("Method request body before transformations: "))
        .unwrap();
    assert!(body.ends_with(" [TRUNCATED]"));
    let event = format!("({traced}) {body}");
    assert_eq!(event.len(), 1024);
    assert!(
        traced_lines
            .iter()
            .any(|l| l.starts_with("Method response body after transformations: base"))
    );
    patch(gw, &api, "dev", "/*/*/logging/dataTrace", "false").await;

    // ERROR: only the failure lines.
    patch(gw, &api, "dev", "/*/*/logging/loglevel", "ERROR").await;
    let quiet = "0b7c7a52-3f0e-4c55-8a70-5d1d2f9e0004";
    let loud = "0b7c7a52-3f0e-4c55-8a70-5d1d2f9e0005";
    gw.invoke(invoke_request(&api, "dev", "/pets", Some(quiet)))
        .await;
    gw.invoke(invoke_request(&api, "dev", "/broken", Some(loud)))
        .await;
    gw.flush_logs().await;
    let lines = gw.execution_log(&api, "dev", 100);
    assert!(lines.iter().all(|l| l.request_id != quiet));
    let loud_lines: Vec<(LogKind, &str)> = lines
        .iter()
        .filter(|l| l.request_id == loud)
        .map(|l| (l.kind, l.message.as_str()))
        .collect();
    assert_eq!(loud_lines.len(), 2, "{loud_lines:?}");
    assert!(
        loud_lines[0]
            .1
            .starts_with("Execution failed due to configuration error: ")
    );
    assert_eq!(loud_lines[1].1, "Method completed with status: 500");
    assert!(
        loud_lines
            .iter()
            .all(|(k, _)| *k == LogKind::Execution(gwtui::engine::Level::Error))
    );

    // The ring is bounded.
    patch(gw, &api, "dev", "/*/*/logging/loglevel", "INFO").await;
    let per_request = 8;
    for _ in 0..(EXECUTION_LOG_CAPACITY / per_request + 50) {
        gw.invoke(invoke_request(&api, "dev", "/pets", None)).await;
    }
    gw.flush_logs().await;
    let all = gw.execution_log(&api, "dev", usize::MAX);
    assert_eq!(all.len(), EXECUTION_LOG_CAPACITY);
    assert_eq!(
        all.last().map(|l| l.message.as_str()),
        Some("Method completed with status: 200")
    );
    assert_eq!(gw.execution_log(&api, "dev", 10).len(), 10);
    assert_eq!(gw.log_records_dropped(), 0);
    let http: serde_json::Value = t
        .client
        .get(format!(
            "{}/gwtui/executionlog?restApiId={api}&stage=dev&limit=3",
            t.base()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = http["item"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert!(
        items[2]["text"]
            .as_str()
            .unwrap()
            .ends_with(") Method completed with status: 200")
    );
    t.stop().await;
}

/// Access logs rotate by size on the log thread: with a limit of 50 lines and 3 files, 150
/// requests leave the current file and `.1`, `.2`, each within the limit, every line whole,
/// and the newest lines in the current file.
#[tokio::test]
async fn access_logs_rotate_at_their_size_limit_keeping_max_files() {
    // A request id (a UUID, as the gateway takes it from `x-amzn-RequestId`) and " 200\n".
    const LINE: u64 = 36 + 5;
    let id = |i: usize| format!("00000000-0000-4000-8000-{i:012}");
    init();
    let dir = tempfile::tempdir().unwrap();
    let config = gwtui::engine::EngineConfig {
        data_dir: dir.path().to_path_buf(),
        access_log_rotation: gwtui::engine::Rotation::new(LINE * 50, 3),
        ..Default::default()
    };
    let t = TestGateway::start_with(dir, config).await;
    let api = api(&t.gw, "prod").await;
    patch(
        &t.gw,
        &api,
        "prod",
        "/accessLogSettings/format",
        "$context.requestId $context.status",
    )
    .await;
    for i in 0..150 {
        let resp = t
            .client
            .get(t.url(&api, "prod", "/pets"))
            .header("x-amzn-RequestId", id(i))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    t.gw.flush_logs().await;
    let path = t.gw.access_log_path(&api, "prod", Variant::Base);
    let (logs_dir, rotation) = t.gw.access_log_settings();
    assert_eq!(path.parent(), Some(logs_dir.as_path()));
    assert_eq!((rotation.max_bytes, rotation.max_files), (LINE * 50, 3));
    let rotated = |n: u32| gwtui::engine::rotated_path(&path, n);
    let mut files = Vec::new();
    for n in 0..3 {
        let text = std::fs::read_to_string(rotated(n)).unwrap();
        assert!(
            text.len() as u64 <= LINE * 50,
            "file {n}: {} bytes",
            text.len()
        );
        assert!(
            text.lines()
                .all(|l| l.starts_with("00000000-") && l.ends_with(" 200")),
            "file {n}: {text}"
        );
        files.push(text);
    }
    assert!(!rotated(3).exists(), "only 3 files are kept");
    // Exactly 50 lines fit in a file, so the current file holds requests 100..150, `.1`
    // 50..100 and `.2` 0..50.
    for (n, text) in files.iter().enumerate() {
        let expected: Vec<String> = (0..50)
            .map(|i| format!("{} 200", id((2 - n) * 50 + i)))
            .collect();
        assert_eq!(text.lines().collect::<Vec<_>>(), expected, "file {n}");
    }
    t.stop().await;
}
