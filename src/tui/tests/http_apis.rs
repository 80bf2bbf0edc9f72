//! HTTP APIs in the console: listed with REST APIs (TYPE column) and in the HTTP view (9)
//! with their routes (key → integration, auth, throttling) and stages (auto-deploy). The
//! listing, the view and the dashboard run on the fake, in process and attached (a real
//! engine gets a quick-created HTTP API whose route proxies to a local backend), and so do
//! the route test, a route without a stage and the mapping editor.

use super::served::{Rigs, on_every_backend, rig};
use super::{Harness, screen};
use crate::tui::backend::Backend;
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::msg::{HttpApiSummary, HttpRouteRow, HttpStageRow};
use crate::tui::view::ViewKind;

fn seed(h: &mut Harness) {
    if let Ok(mut s) = h.backend.state.lock() {
        s.http_apis = vec![HttpApiSummary {
            api_id: "h1t2t3p4a5".into(),
            name: "orders-http".into(),
            description: None,
            endpoint_url: "http://h1t2t3p4a5.execute-api.localhost:4566".into(),
            cors: true,
            websocket: false,
            routes: vec![
                HttpRouteRow {
                    route_key: "GET /orders/{id}".into(),
                    integration: "Lambda 2.0 orders".into(),
                    auth: "JWT oidc [orders:read]".into(),
                    throttling: "$default 10/s burst 5".into(),
                    integration_id: Some("lmbd123".into()),
                    ..HttpRouteRow::default()
                },
                HttpRouteRow {
                    route_key: "$default".into(),
                    integration: "HTTP_PROXY ANY http://backend".into(),
                    auth: "NONE".into(),
                    throttling: "-".into(),
                    integration_id: Some("prx4567".into()),
                    request_parameters: [(
                        "overwrite:header.x-user".to_string(),
                        "$context.identity.sourceIp".to_string(),
                    )]
                    .into_iter()
                    .collect(),
                    response_parameters: [(
                        "404".to_string(),
                        [("overwrite:statuscode".to_string(), "410".to_string())]
                            .into_iter()
                            .collect(),
                    )]
                    .into_iter()
                    .collect(),
                },
            ],
            stages: vec![HttpStageRow {
                stage_name: "$default".into(),
                auto_deploy: true,
                deployment_id: Some("d3p10y".into()),
                last_deployment_status: Some("Successfully deployed".into()),
            }],
        }];
    }
    h.settle(vec![crate::tui::effect::Effect::LoadHttpApis]);
}

/// An HTTP API on any backend: the fake's seeded one, or on a real engine `orders-http`
/// quick-created (CreateApi with a route key and a target: the route, its HTTP_PROXY
/// integration and an auto-deploying `$default` stage). Its id and its stage's deployment.
fn seeded<R: Rigs>(h: &mut super::served::Rig<R::B>) -> (String, String) {
    if let Some(fake) = h.fake() {
        let mut fake_h = Harness::on(
            crate::tui::app::AppConfig::default(),
            fake.clone(),
            super::served::current_thread(),
        );
        seed(&mut fake_h);
        h.settle(vec![Effect::LoadHttpApis]);
        return ("h1t2t3p4a5".into(), "d3p10y".into());
    }
    let s = h.served().expect("served");
    // A backend that answers 200 (the demo's `GET /pets`), so that the route can be tested.
    let backend =
        s.rt.block_on(crate::demo::start_backend())
            .expect("backend");
    let api = s.rt.block_on(s.gw.create_http_api(
        &crate::engine::Actor::new("test"),
        crate::engine::v2::CreateApi {
            name: "orders-http".into(),
            protocol_type: "HTTP".into(),
            route_key: Some("GET /orders/{id}".into()),
            target: Some(format!("http://{backend}/pets")),
            ..Default::default()
        },
    ));
    let api = api.expect("quick create").api_id;
    h.settle(vec![Effect::LoadHttpApis]);
    let apis = h.block_on(h.backend.list_http_apis()).expect("http apis");
    let deployment = apis
        .iter()
        .find(|a| a.api_id == api)
        .and_then(|a| a.stages.first())
        .and_then(|st| st.deployment_id.clone())
        .expect("the $default stage's deployment");
    (api, deployment)
}

fn http_apis_are_listed_with_a_type_column<R: Rigs>() {
    let mut h = rig::<R>();
    let (http_id, _) = seeded::<R>(&mut h);
    let rest_id = h.w.api.clone();
    let e = h.press("1");
    h.settle(e);
    let text = screen(&h.render(160, 48));
    assert!(text.contains("TYPE"), "{text}");
    let rest = text
        .lines()
        .skip(2)
        .find(|l| l.contains(&rest_id))
        .expect("REST row");
    assert!(rest.contains("REST"), "{rest}");
    let http = text
        .lines()
        .find(|l| l.contains(&http_id))
        .expect("HTTP row");
    assert!(
        http.contains("HTTP") && http.contains("orders-http") && http.contains("$default (auto)"),
        "{http}"
    );
}

fn http_view_shows_routes_and_stages_with_auto_deploy<R: Rigs>() {
    let mut h = rig::<R>();
    let (_, deployment) = seeded::<R>(&mut h);
    let fake = h.fake().is_some();
    let e = h.press("9");
    h.settle(e);
    for (w, hh) in [(80, 24), (160, 48)] {
        let text = screen(&h.render(w, hh));
        assert!(text.contains("<http>"), "crumbs\n{text}");
        assert!(text.contains("GET /orders/{id}"), "{text}");
        if w >= 160 && fake {
            assert!(text.contains("Lambda 2.0 orders"), "{text}");
            assert!(text.contains("JWT oidc [orders:read]"), "{text}");
            assert!(text.contains("$default 10/s burst 5"), "{text}");
        }
        assert!(text.contains("auto-deploy"), "{text}");
        assert!(text.contains(&deployment), "{text}");
    }
    // Filtering by route key keeps the API.
    let e = h.press("/");
    h.settle(e);
    let e = h.type_text("orders");
    h.settle(e);
    assert_eq!(h.app.http_rows(), vec![0]);
}

fn http_view_without_apis_says_how_to_make_one<R: Rigs>() {
    let mut h = rig::<R>();
    let e = h.press("9");
    h.settle(e);
    let text = screen(&h.render(120, 30));
    assert!(text.contains("No HTTP APIs"), "{text}");
}

fn a_route_is_test_invoked_through_the_engine_and_shown_in_the_invoke_view<R: Rigs>() {
    let mut h = rig::<R>();
    let (http_id, _) = seeded::<R>(&mut h);
    // What the fake records of its calls; a real engine's are seen in the invoke view.
    let calls = |h: &super::served::Rig<R::B>| {
        h.fake()
            .and_then(|f| f.state.lock().ok().map(|s| s.calls.clone()))
    };
    let e = h.press("9 tab");
    h.settle(e);
    let e = h.press("i");
    assert!(
        e.iter()
            .any(|x| matches!(x, Effect::TestInvokeHttp { stage, path, .. }
            if stage == "$default" && path == "/orders/1")),
        "{e:?}"
    );
    h.settle(e);
    assert_eq!(h.app.view(), ViewKind::Invoke);
    if let Some(calls) = calls(&h) {
        assert!(
            calls.contains(&format!(
                "test-invoke-http {http_id} $default GET /orders/1"
            )),
            "{calls:?}"
        );
    }
    let text = screen(&h.render(120, 40));
    assert!(text.contains("request  GET /orders/1"), "{text}");
    assert!(text.contains("response  200"), "{text}");
    assert!(h.flash().contains("→ 200"), "{}", h.flash());
    // `e` edits the path and query; `i` sends the same request again.
    let e = h.press("e");
    h.settle(e);
    let e = h.press("ctrl-u");
    h.settle(e);
    let mut e = h.type_text("/orders/7?full=yes");
    e.extend(h.press("enter"));
    h.settle(e);
    let e = h.press("i");
    h.settle(e);
    let text = screen(&h.render(120, 40));
    assert!(text.contains("request  GET /orders/7?full=yes"), "{text}");
    assert!(text.contains("response  200"), "{text}");
    let Some(made) = calls(&h) else {
        // The quick-created API has no `$default` route to test at `/`.
        return;
    };
    let sent: Vec<&String> = made
        .iter()
        .filter(|c| c.starts_with("test-invoke-http"))
        .collect();
    assert_eq!(
        sent,
        vec![
            "test-invoke-http h1t2t3p4a5 $default GET /orders/1",
            "test-invoke-http h1t2t3p4a5 $default GET /orders/7?full=yes",
            "test-invoke-http h1t2t3p4a5 $default GET /orders/7?full=yes",
        ],
        "{made:?}"
    );
    // The `$default` route is tested at `/` (the routes pane keeps the focus).
    let e = h.press("9");
    h.settle(e);
    let e = h.press("j i");
    h.settle(e);
    let calls = calls(&h).unwrap_or_default();
    assert!(
        calls.contains(&"test-invoke-http h1t2t3p4a5 $default GET /".to_string()),
        "{calls:?}"
    );
}

fn a_route_without_a_stage_cannot_be_tested_and_says_why<R: Rigs>() {
    let mut h = rig::<R>();
    let (http_id, _) = seeded::<R>(&mut h);
    // DeleteStage on a real engine; the fake's state directly.
    match h.served() {
        Some(s) => {
            let gone = s.rt.block_on(s.gw.delete_http_stage(
                &crate::engine::Actor::new("test"),
                &http_id,
                "$default",
            ));
            assert!(gone.is_ok(), "{gone:?}");
        }
        None => {
            if let Some(fake) = h.fake()
                && let Ok(mut s) = fake.state.lock()
            {
                s.http_apis[0].stages.clear();
            }
        }
    }
    h.settle(vec![Effect::LoadHttpApis]);
    let e = h.press("9");
    h.settle(e);
    let e = h.press("i");
    assert!(e.is_empty(), "{e:?}");
    assert!(h.flash().contains("has no stage"), "{}", h.flash());
    assert_eq!(h.app.view(), ViewKind::Http);
}

fn route_mappings_are_shown_and_edited_in_the_mapping_editor<R: Rigs>() {
    let mut h = rig::<R>();
    let (http_id, _) = seeded::<R>(&mut h);
    // The fake's mapped route is its second; on a real engine the quick-created route's
    // integration gets the same mappings (UpdateIntegration).
    let keys = match h.served() {
        None => "9 tab j",
        Some(s) => {
            let apis = h.block_on(h.backend.list_http_apis()).expect("http apis");
            let integration = apis
                .iter()
                .find(|a| a.api_id == http_id)
                .and_then(|a| a.routes.first())
                .and_then(|r| r.integration_id.clone())
                .expect("the quick-created route's integration");
            let patch = serde_json::json!({
                "requestParameters": {"overwrite:header.x-user": "$context.identity.sourceIp"},
                "responseParameters": {"404": {"overwrite:statuscode": "410"}},
            });
            let set = s.rt.block_on(s.gw.update_http_integration(
                &crate::engine::Actor::new("test"),
                &http_id,
                &integration,
                patch,
            ));
            assert!(set.is_ok(), "{set:?}");
            h.settle(vec![Effect::LoadHttpApis]);
            "9 tab"
        }
    };
    let integration_id = {
        let apis = h.block_on(h.backend.list_http_apis()).expect("http apis");
        apis.iter()
            .find(|a| a.api_id == http_id)
            .and_then(|a| {
                a.routes
                    .iter()
                    .find(|r| !r.request_parameters.is_empty())
                    .and_then(|r| r.integration_id.clone())
            })
            .expect("a mapped route")
    };
    let e = h.press(keys);
    h.settle(e);
    let text = screen(&h.render(160, 48));
    assert!(text.contains("1 req · 1 resp"), "{text}");
    assert!(
        text.contains("request: overwrite:header.x-user=$context.identity.sourceIp"),
        "{text}"
    );
    assert!(
        text.contains("response 404: overwrite:statuscode=410"),
        "{text}"
    );
    let e = h.press("e");
    h.settle(e);
    assert_eq!(h.app.view(), ViewKind::Editor);
    let ed = h.app.editor.as_mut().expect("editor");
    assert_eq!(
        ed.target,
        TemplateTarget::HttpMappings {
            integration_id: integration_id.clone()
        }
    );
    let doc: serde_json::Value = serde_json::from_str(&ed.text()).expect("json");
    assert_eq!(
        doc["requestParameters"]["overwrite:header.x-user"],
        "$context.identity.sourceIp"
    );
    ed.textarea.select_all();
    ed.textarea.insert_str(
        r#"{"requestParameters": {"append:querystring.v": "$stageVariables.version"}, "responseParameters": {}}"#,
    );
    let want = integration_id.clone();
    let e = h.press("ctrl-s");
    assert!(
        e.iter().any(|x| matches!(x, Effect::SaveTemplate { rest_api_id, target: TemplateTarget::HttpMappings { integration_id }, .. }
            if *rest_api_id == http_id && *integration_id == want)),
        "{e:?}"
    );
    assert!(h.flash().contains("mappings saved"), "{}", h.flash());
    h.settle(e);
    assert!(
        h.flash().contains(&format!(
            "save parameter mappings of integration {want}: done"
        )),
        "{}",
        h.flash()
    );
    let e = h.press("esc");
    h.settle(e);
    let text = screen(&h.render(160, 48));
    assert!(
        text.contains("request: append:querystring.v=$stageVariables.version"),
        "{text}"
    );
    assert!(!text.contains("statuscode"), "{text}");
    // A route without an integration has nothing to map (the fake's first route loses
    // its integration).
    let Some(fake) = h.fake() else {
        return;
    };
    if let Ok(mut s) = fake.state.lock() {
        s.http_apis[0].routes[0].integration_id = None;
    }
    h.settle(vec![Effect::LoadHttpApis]);
    let e = h.press("k e");
    assert!(e.is_empty());
    assert!(h.flash().contains("no integration"), "{}", h.flash());
}

fn enter_on_an_http_api_opens_its_dashboard<R: Rigs>() {
    let mut h = rig::<R>();
    let (http_id, _) = seeded::<R>(&mut h);
    let e = h.press("9 enter");
    assert!(
        e.iter().any(
            |x| matches!(x, Effect::LoadMetrics { rest_api_id, .. } if *rest_api_id == http_id)
        ),
        "{e:?}"
    );
    h.settle(e);
    assert_eq!(h.app.view(), ViewKind::Dashboard);
    assert_eq!(h.app.api_id.as_deref(), Some(http_id.as_str()));
    assert!(h.flash().contains("orders-http"), "{}", h.flash());
    // HTTP APIs chart DataProcessed where REST APIs chart the cache.
    let text = screen(&h.render(160, 48));
    assert!(text.contains("DataProcessed"), "{text}");
    assert!(!text.contains("Cache hit/miss"), "{text}");
    let e = h.press("1");
    h.settle(e);
    let e = h.press("enter 6");
    h.settle(e);
    let text = screen(&h.render(160, 48));
    assert!(text.contains("Cache hit/miss"), "{text}");
}

on_every_backend!(
    http_apis_are_listed_with_a_type_column,
    http_view_shows_routes_and_stages_with_auto_deploy,
    http_view_without_apis_says_how_to_make_one,
    enter_on_an_http_api_opens_its_dashboard,
    a_route_without_a_stage_cannot_be_tested_and_says_why,
    route_mappings_are_shown_and_edited_in_the_mapping_editor,
    a_route_is_test_invoked_through_the_engine_and_shown_in_the_invoke_view,
);
