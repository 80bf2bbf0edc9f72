//! HTTP APIs in the console: listed with REST APIs (TYPE column) and in the HTTP view (9)
//! with their routes (key → integration, auth, throttling) and stages (auto-deploy).

use super::{Harness, screen};
use crate::tui::msg::{HttpApiSummary, HttpRouteRow, HttpStageRow};

fn seed(h: &mut Harness) {
    if let Ok(mut s) = h.backend.state.lock() {
        s.http_apis = vec![HttpApiSummary {
            api_id: "h1t2t3p4a5".into(),
            name: "orders-http".into(),
            description: None,
            endpoint_url: "http://h1t2t3p4a5.execute-api.localhost:4566".into(),
            cors: true,
            routes: vec![
                HttpRouteRow {
                    route_key: "GET /orders/{id}".into(),
                    integration: "Lambda 2.0 orders".into(),
                    auth: "JWT oidc [orders:read]".into(),
                    throttling: "$default 10/s burst 5".into(),
                },
                HttpRouteRow {
                    route_key: "$default".into(),
                    integration: "HTTP_PROXY ANY http://backend".into(),
                    auth: "NONE".into(),
                    throttling: "-".into(),
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

#[test]
fn http_apis_are_listed_with_a_type_column() {
    let mut h = Harness::new();
    seed(&mut h);
    let e = h.press("1");
    h.settle(e);
    let text = screen(&h.render(160, 48));
    assert!(text.contains("TYPE"), "{text}");
    let rest = text
        .lines()
        .skip(2)
        .find(|l| l.contains("a1b2c3d4e5"))
        .expect("REST row");
    assert!(rest.contains("REST"), "{rest}");
    let http = text
        .lines()
        .find(|l| l.contains("h1t2t3p4a5"))
        .expect("HTTP row");
    assert!(
        http.contains("HTTP") && http.contains("orders-http") && http.contains("$default (auto)"),
        "{http}"
    );
}

#[test]
fn http_view_shows_routes_and_stages_with_auto_deploy() {
    let mut h = Harness::new();
    seed(&mut h);
    let e = h.press("9");
    h.settle(e);
    for (w, hh) in [(80, 24), (160, 48)] {
        let text = screen(&h.render(w, hh));
        assert!(text.contains("<http>"), "crumbs\n{text}");
        assert!(text.contains("GET /orders/{id}"), "{text}");
        if w >= 160 {
            assert!(text.contains("Lambda 2.0 orders"), "{text}");
            assert!(text.contains("JWT oidc [orders:read]"), "{text}");
            assert!(text.contains("$default 10/s burst 5"), "{text}");
        }
        assert!(text.contains("auto-deploy"), "{text}");
        assert!(text.contains("d3p10y"), "{text}");
    }
    // Filtering by route key keeps the API.
    let e = h.press("/");
    h.settle(e);
    let e = h.type_text("orders");
    h.settle(e);
    assert_eq!(h.app.http_rows(), vec![0]);
}

#[test]
fn http_view_without_apis_says_how_to_make_one() {
    let mut h = Harness::new();
    let e = h.press("9");
    h.settle(e);
    let text = screen(&h.render(120, 30));
    assert!(text.contains("No HTTP APIs"), "{text}");
}
