//! The console's key scripts against the real engine, twice: in process (`GatewayBackend`)
//! and attached (`RemoteBackend` over a server started here on port 0 with admin
//! credentials, so every call is SigV4-signed). Each script checks the engine's state after
//! the keys, so both backends must do the same thing; `reads_agree` compares what the two
//! backends read.

use std::time::Duration;

use super::Harness;
use super::served::Served;
use crate::engine::{Actor, Gateway};
use crate::model::PatchOperation;
use crate::tui::backend::Backend;
use crate::tui::effect::TemplateTarget;
use crate::tui::gateway::GatewayBackend;
use crate::tui::msg::DataUpdate;
use crate::tui::remote::RemoteBackend;
use crate::tui::sample::SampleRequest;

/// Keys, then `y` for the confirmation, then the effects performed.
fn confirmed<B: Backend>(h: &mut Harness<B>, command: &str) {
    let effects = h.command(command);
    assert!(effects.is_empty(), "{command}: asks first");
    assert!(
        h.app.confirm.is_some(),
        "{command}: no confirmation ({})",
        h.flash()
    );
    let effects = h.press("y");
    h.settle(effects);
    assert!(!h.flash().contains("failed"), "{command}: {}", h.flash());
}

fn selected_stage<B: Backend>(h: &mut Harness<B>) -> String {
    h.press("3");
    h.app.stage.clone().expect("a stage is selected")
}

/// `a name=value` on the stages view: UpdateStage adds the variable.
fn stage_variable<B: Backend>(h: &mut Harness<B>, s: &Served) {
    let stage = selected_stage(h);
    h.press("a");
    h.type_text("color=blue");
    let effects = h.press("enter");
    h.settle(effects);
    assert!(!h.flash().contains("failed"), "{}", h.flash());
    assert_eq!(
        s.stage(&stage).variables.get("color").map(String::as_str),
        Some("blue")
    );
}

/// `:deploy STAGE description`: a new deployment, the stage points at it, and the console's
/// deployments list shows it after the reload.
fn deploy<B: Backend>(h: &mut Harness<B>, s: &Served) {
    let stage = selected_stage(h);
    let before = s.stage(&stage).deployment_id;
    confirmed(h, &format!("deploy {stage} from the console"));
    assert!(h.flash().contains("deployment"), "{}", h.flash());
    let after = s.stage(&stage).deployment_id;
    assert_ne!(before, after);
    assert!(h.app.deployments.iter().any(|d| d.id == after));
}

/// `:canary 10` creates a canary, `:canary 25` moves its weight, `:promote` promotes it.
fn canary<B: Backend>(h: &mut Harness<B>, s: &Served) {
    let stage = selected_stage(h);
    confirmed(h, "canary 10");
    let weight = |s: &Served| s.stage(&stage).canary_settings.map(|c| c.percent_traffic);
    assert_eq!(weight(s), Some(10.0));
    confirmed(h, "canary 25");
    assert_eq!(weight(s), Some(25.0));
    let canary_deployment = s
        .stage(&stage)
        .canary_settings
        .and_then(|c| c.deployment_id)
        .unwrap_or_default();
    confirmed(h, "promote");
    assert_eq!(s.stage(&stage).deployment_id, canary_deployment);
    assert_eq!(weight(s), Some(0.0));
}

/// `:flush` (FlushStageCache) and `:rollback ID`.
fn flush_and_rollback<B: Backend>(h: &mut Harness<B>, s: &Served) {
    let stage = selected_stage(h);
    confirmed(h, "flush");
    assert!(h.flash().contains("flush cache"), "{}", h.flash());
    let audit = s.gw.audit_log(20).expect("audit");
    assert!(
        audit.iter().any(|r| r.action == "FlushStageCache"),
        "{audit:?}"
    );
    let first = s.stage(&stage).deployment_id;
    confirmed(h, &format!("deploy {stage}  second"));
    assert_ne!(s.stage(&stage).deployment_id, first);
    confirmed(h, &format!("rollback {first}"));
    assert_eq!(s.stage(&stage).deployment_id, first);
}

/// Pokes the engine with stage changes until one reaches `rx` as `Changed` (a stream that
/// is still connecting misses the first ones).
pub(super) fn events_reach<B: Backend>(
    h: &Harness<B>,
    rx: &mut tokio::sync::mpsc::Receiver<DataUpdate>,
    gw: &Gateway,
    api: &str,
) -> bool {
    h.block_on(async {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let mut poke = tokio::time::interval(Duration::from_millis(200));
        while tokio::time::Instant::now() < deadline {
            tokio::select! {
                _ = poke.tick() => {
                    let op = PatchOperation::replace("/variables/poke", "1");
                    let _ = gw.update_stage(&Actor::new("test"), api, "dev", vec![op]).await;
                }
                update = rx.recv() => match update {
                    Some(DataUpdate::Changed) => return true,
                    Some(_) => {}
                    None => return false,
                },
            }
        }
        false
    })
}

/// Changes made elsewhere (here: straight on the engine) reach the console's subscription.
fn events_arrive<B: Backend>(h: &mut Harness<B>, s: &Served) {
    let mut rx = h.subscribe();
    assert!(
        events_reach(h, &mut rx, &s.gw, &s.api),
        "no change event reached the console"
    );
}

macro_rules! on_both_backends {
    ($($script:ident),* $(,)?) => {
        $(
            mod $script {
                #[test]
                fn in_process() {
                    let s = super::Served::start();
                    let mut h = s.in_process();
                    super::$script(&mut h, &s);
                }

                #[test]
                fn attached() {
                    let s = super::Served::start();
                    let mut h = s.attached();
                    super::$script(&mut h, &s);
                }
            }
        )*
    };
}

on_both_backends!(
    stage_variable,
    deploy,
    canary,
    flush_and_rollback,
    events_arrive
);

/// Every read the console makes gives the same answer in process and attached.
#[test]
fn reads_agree() {
    let s = Served::start();
    let local = s.in_process();
    let remote = s.attached();
    let api = s.api.clone();
    let both = |f: &dyn Fn(&Harness<GatewayBackend>, &Harness<RemoteBackend>)| f(&local, &remote);
    both(&|l, r| {
        let a = l.block_on(l.backend.list_apis()).expect("local apis");
        let b = r.block_on(r.backend.list_apis()).expect("remote apis");
        assert_eq!(a, b);
    });
    both(&|l, r| {
        let a = l
            .block_on(l.backend.list_http_apis())
            .expect("local http apis");
        let b = r
            .block_on(r.backend.list_http_apis())
            .expect("remote http apis");
        assert!(!a.is_empty());
        assert_eq!(a, b);
    });
    // The cluster view: a single SQLite node has no cluster; both backends say so alike
    // (the attached one through a signed `GET /gwtui/cluster`).
    both(&|l, r| {
        let a = l.block_on(l.backend.cluster()).expect("local cluster");
        let b = r.block_on(r.backend.cluster()).expect("remote cluster");
        assert_eq!(a.node_id, None);
        assert!(a.nodes.is_empty());
        assert!(a.store.starts_with("sqlite "), "{}", a.store);
        assert_eq!(a, b);
    });
    let (stages, deployments) = local
        .block_on(local.backend.stages(api.clone()))
        .expect("stages");
    let (remote_stages, remote_deployments) = remote
        .block_on(remote.backend.stages(api.clone()))
        .expect("remote stages");
    assert_eq!(stages, remote_stages);
    let ids = |d: &[crate::model::Deployment]| {
        let mut v: Vec<String> = d.iter().map(|d| d.id.clone()).collect();
        v.sort();
        v
    };
    assert_eq!(ids(&deployments), ids(&remote_deployments));
    let dep = deployments[0].id.clone();
    assert_eq!(
        local
            .block_on(
                local
                    .backend
                    .deployment_definition(api.clone(), dep.clone())
            )
            .expect("definition"),
        remote
            .block_on(remote.backend.deployment_definition(api.clone(), dep))
            .expect("remote definition")
    );
    assert_eq!(
        local.block_on(local.backend.usage()).expect("usage"),
        remote
            .block_on(remote.backend.usage())
            .expect("remote usage")
    );
    assert_eq!(local.backend.aws_settings(), remote.backend.aws_settings());
    // A method of the demo with a request template to render and invoke.
    let def = local
        .block_on(local.backend.list_apis())
        .expect("apis")
        .remove(0)
        .definition;
    let (resource, verb) = def
        .resources
        .iter()
        .find_map(|r| {
            r.resource_methods
                .iter()
                .find(|(_, m)| {
                    m.method_integration
                        .as_ref()
                        .is_some_and(|i| i.integration_type.as_str() == "MOCK")
                })
                .map(|(v, _)| (r.id.clone(), v.clone()))
        })
        .expect("a MOCK method in the demo");
    let target = TemplateTarget::Request {
        content_type: "application/json".into(),
    };
    let sample = SampleRequest {
        body: r#"{"name":"Rex"}"#.into(),
        ..SampleRequest::default()
    };
    let template = "$input.json('$.name') $context.httpMethod".to_string();
    let render = |b: &dyn Fn() -> Result<String, String>| b();
    let a = render(&|| {
        local.block_on(local.backend.render_template(
            api.clone(),
            resource.clone(),
            verb.clone(),
            target.clone(),
            template.clone(),
            sample.clone(),
        ))
    });
    let b = render(&|| {
        remote.block_on(remote.backend.render_template(
            api.clone(),
            resource.clone(),
            verb.clone(),
            target.clone(),
            template.clone(),
            sample.clone(),
        ))
    });
    assert_eq!(a, Ok(format!("\"Rex\" {verb}")));
    assert_eq!(a, b);
    // A template that does not parse: the same message, naming the line.
    let bad = "ok\n#if(";
    let a = local.block_on(local.backend.render_template(
        api.clone(),
        resource.clone(),
        verb.clone(),
        target.clone(),
        bad.into(),
        sample.clone(),
    ));
    let b = remote.block_on(remote.backend.render_template(
        api.clone(),
        resource.clone(),
        verb.clone(),
        target.clone(),
        bad.into(),
        sample.clone(),
    ));
    assert!(a.as_ref().is_err_and(|e| e.contains("line 2")), "{a:?}");
    assert_eq!(a, b);
    // TestInvokeMethod: same status and body.
    let a = local
        .block_on(local.backend.test_invoke(
            api.clone(),
            resource.clone(),
            verb.clone(),
            sample.clone(),
        ))
        .expect("test invoke");
    let b = remote
        .block_on(remote.backend.test_invoke(
            api.clone(),
            resource.clone(),
            verb.clone(),
            sample.clone(),
        ))
        .expect("remote test invoke");
    assert_eq!((a.status, &a.body), (b.status, &b.body));
    // Metrics after a little traffic: the same series.
    let url = format!(
        "http://{}/restapis/{api}/dev/_user_request_{}",
        s.addr,
        def.resource(&resource)
            .map(|r| r.path.clone())
            .unwrap_or_default()
    );
    let client = reqwest::Client::new();
    for _ in 0..5 {
        let _ = local.block_on(
            client
                .request(verb.parse().unwrap_or(reqwest::Method::GET), &url)
                .send(),
        );
    }
    let keys = |m: crate::tui::metrics::MetricsSnapshot| {
        m.series.into_iter().map(|s| s.key).collect::<Vec<_>>()
    };
    // A snapshot ends at the last complete second: wait for the traffic's second to close.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let a = loop {
        let a = keys(
            local
                .block_on(local.backend.metrics(
                    api.clone(),
                    300,
                    crate::engine::MetricsScope::Cluster,
                ))
                .expect("metrics"),
        );
        if !a.is_empty() || std::time::Instant::now() > deadline {
            break a;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let b = keys(
        remote
            .block_on(remote.backend.metrics(
                api.clone(),
                300,
                crate::engine::MetricsScope::Cluster,
            ))
            .expect("remote metrics"),
    );
    assert!(!a.is_empty());
    assert_eq!(a, b);
    // Export: the same document.
    let dir = tempfile::tempdir().expect("dir");
    let (pa, pb) = (dir.path().join("a.yaml"), dir.path().join("b.yaml"));
    local
        .block_on(local.backend.export(api.clone(), pa.display().to_string()))
        .expect("export");
    remote
        .block_on(remote.backend.export(api.clone(), pb.display().to_string()))
        .expect("remote export");
    assert_eq!(
        std::fs::read_to_string(pa).ok(),
        std::fs::read_to_string(pb).ok()
    );
}

/// An HTTP API route's test request, its dashboard kind and its parameter-mapping check
/// give the same answers in process and attached.
#[test]
fn http_api_operations_agree() {
    let s = Served::start();
    let local = s.in_process();
    let remote = s.attached();
    let apis = local
        .block_on(local.backend.list_http_apis())
        .expect("http apis");
    let api = apis
        .iter()
        .find(|a| !a.websocket)
        .expect("the demo has an HTTP API");
    let stage = api.stages.first().expect("a stage").stage_name.clone();
    let route = api
        .routes
        .iter()
        .find(|r| r.route_key.starts_with("GET /") && !r.route_key.contains('{'))
        .expect("a GET route without path parameters");
    let path = route.route_key["GET ".len()..].to_string();
    let invoke = |h: &dyn Fn() -> Result<crate::model::TestInvokeResult, String>| h();
    // The server's runtime first: a local function's worker lives on the runtime that
    // started it, and the in-process harness's runtime only runs inside its block_on.
    let b = invoke(&|| {
        remote.block_on(remote.backend.test_invoke_http(
            api.api_id.clone(),
            stage.clone(),
            "GET".into(),
            path.clone(),
            SampleRequest::default(),
        ))
    })
    .expect("remote route test");
    let a = invoke(&|| {
        local.block_on(local.backend.test_invoke_http(
            api.api_id.clone(),
            stage.clone(),
            "GET".into(),
            path.clone(),
            SampleRequest::default(),
        ))
    })
    .expect("local route test");
    assert_eq!(a.status, b.status, "{} vs {}", a.body, b.body);
    assert_eq!(a.headers.get("content-type"), b.headers.get("content-type"));
    let metrics_kind = |http: bool| {
        if http {
            local
                .block_on(local.backend.metrics(
                    api.api_id.clone(),
                    60,
                    crate::engine::MetricsScope::Cluster,
                ))
                .expect("metrics")
                .http_api
        } else {
            remote
                .block_on(remote.backend.metrics(
                    api.api_id.clone(),
                    60,
                    crate::engine::MetricsScope::Cluster,
                ))
                .expect("remote metrics")
                .http_api
        }
    };
    assert!(metrics_kind(true));
    assert!(metrics_kind(false));
    if let Some(integration_id) = route.integration_id.clone() {
        let target = TemplateTarget::HttpMappings { integration_id };
        for text in [
            r#"{"requestParameters": {"append:header.x-from": "console"}}"#,
            r#"{"requestParameters": {"bogus": "x"}}"#,
            "not json",
        ] {
            let a = local.block_on(local.backend.render_template(
                api.api_id.clone(),
                String::new(),
                String::new(),
                target.clone(),
                text.into(),
                SampleRequest::default(),
            ));
            let b = remote.block_on(remote.backend.render_template(
                api.api_id.clone(),
                String::new(),
                String::new(),
                target.clone(),
                text.into(),
                SampleRequest::default(),
            ));
            assert_eq!(a, b, "{text}");
        }
    }
}

/// The attached console's stream goes down with the server and comes back with it: the
/// header says "disconnected, retrying" meanwhile, and a reload follows the reconnect.
#[test]
fn an_attached_console_survives_a_server_restart() {
    let mut s = Served::start();
    let mut h = s.attached();
    let mut rx = h.subscribe();
    let next = |h: &Harness<RemoteBackend>,
                rx: &mut tokio::sync::mpsc::Receiver<DataUpdate>,
                want: &dyn Fn(&DataUpdate) -> bool| {
        h.block_on(async {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(u)) if want(&u) => return Some(u),
                    Ok(Some(_)) => continue,
                    _ => return None,
                }
            }
        })
    };
    // Wait until the stream is up: a change reaches it.
    let (gw, api) = (s.gw.clone(), s.api.clone());
    assert!(
        events_reach(&h, &mut rx, &gw, &api),
        "the stream never came up"
    );
    s.stop_server();
    let down = next(&h, &mut rx, &|u| matches!(u, DataUpdate::Connection(false)));
    assert!(
        down.is_some(),
        "the console was not told the stream is down"
    );
    h.app
        .update(crate::tui::msg::Msg::Data(DataUpdate::Connection(false)));
    let screen = super::screen(&h.render(160, 48));
    assert!(screen.contains("disconnected, retrying"), "{screen}");
    // An operation while the server is away fails with a message, and nothing panics.
    let effects = h.command("deploy dev");
    h.settle(effects);
    // Changes made while the console was away are picked up after the reconnect.
    s.rt.block_on(async {
        gw.update_stage(
            &Actor::new("test"),
            &api,
            "dev",
            vec![PatchOperation::replace("/variables/a", "2")],
        )
        .await
        .expect("update");
    });
    s.serve();
    let up = next(&h, &mut rx, &|u| matches!(u, DataUpdate::Connection(true)));
    assert!(up.is_some(), "the console did not reconnect");
    h.app
        .update(crate::tui::msg::Msg::Data(DataUpdate::Connection(true)));
    assert!(!super::screen(&h.render(160, 48)).contains("disconnected"));
    assert!(
        next(&h, &mut rx, &|u| matches!(u, DataUpdate::Resync)).is_some(),
        "no re-sync after the reconnect to a restarted server"
    );
    let effects = h.app.reload();
    h.settle(effects);
    let stage = h
        .app
        .stages
        .iter()
        .find(|st| st.stage_name == "dev")
        .cloned()
        .expect("dev");
    assert_eq!(stage.variables.get("a").map(String::as_str), Some("2"));
}
