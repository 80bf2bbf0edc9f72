//! `i` on a method: TestInvokeMethod with the method's sample request, the Invoke view with
//! request, response and execution log, `i` again to re-run, `/` to filter, Esc back. On
//! the fake, in process and attached (a real engine really runs the method).

use super::served::{Rigs, on_every_backend, readonly, rig};
use super::{Harness, screen};
use crate::model::TestInvokeResult;
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::tree::NodeRef;
use crate::tui::view::ViewKind;

/// Resources, cursor on `/pets` POST.
fn on_post<B: Backend>(h: &mut Harness<B>) {
    h.press("2 l l j j");
    assert!(
        matches!(
            h.app.tree_selection(),
            Some(NodeRef::Method { ref http_method, .. }) if http_method == "POST"
        ),
        "{:?}",
        h.app.tree_selection()
    );
}

fn i_tests_the_selected_method_and_shows_request_response_and_log<R: Rigs>() {
    let mut h = rig::<R>();
    on_post(&mut h);
    let effects = h.press("i");
    let [
        Effect::TestInvoke {
            http_method,
            sample,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(http_method, "POST");
    assert_eq!(sample.body, r#"{"name":"Rex","price":25}"#);
    assert_eq!(h.app.view(), ViewKind::Invoke);
    // While it runs the view says so.
    assert!(screen(&h.render(120, 40)).contains("response  running…"));
    h.settle(effects);
    if let Some(fake) = h.fake() {
        let calls = fake
            .state
            .lock()
            .map(|s| s.calls.clone())
            .unwrap_or_default();
        assert!(calls.iter().any(|c| c.ends_with("POST /pets")), "{calls:?}");
    }
    assert!(
        h.flash().contains("test POST /pets → 200 in "),
        "{}",
        h.flash()
    );
    let text = screen(&h.render(120, 40));
    for want in [
        "test POST /pets",
        "request  POST /pets",
        "Content-Type: application/json",
        "response  200 · ",
        "execution log  request ",
        "Method completed with status: 200",
    ] {
        assert!(text.contains(want), "{want:?} missing:\n{text}");
    }
    // The response's header too (a real engine spells it `Content-Type` as AWS's
    // TestInvokeMethod does; the fake answers `content-type`).
    assert_eq!(
        text.to_ascii_lowercase()
            .matches("content-type: application/json")
            .count(),
        2,
        "request and response content types:\n{text}"
    );
    if h.served().is_none() {
        // The fake echoes the sample; the MOCK of a real engine answers its template.
        for want in ["\"name\": \"Rex\"", "response  200 · 3 ms", "request fake"] {
            assert!(text.contains(want), "{want:?} missing:\n{text}");
        }
    }
    // `/` filters the lines; Esc goes back to the tree where it was.
    h.press("/");
    h.type_text("Method completed");
    h.press("enter");
    assert_eq!(h.app.invoke_lines().len(), 1);
    h.press("esc esc");
    assert_eq!(h.app.view(), ViewKind::Resources);
    assert!(matches!(
        h.app.tree_selection(),
        Some(NodeRef::Method { ref http_method, .. }) if http_method == "POST"
    ));
}

fn i_in_the_invoke_view_runs_again_and_stale_or_failed_results_are_handled<R: Rigs>() {
    let mut h = rig::<R>();
    on_post(&mut h);
    let first = h.press("i");
    h.settle(first);
    let again = h.press("i");
    assert!(matches!(again.as_slice(), [Effect::TestInvoke { .. }]));
    assert_eq!(h.app.view(), ViewKind::Invoke);
    assert_eq!(
        h.app
            .stack
            .iter()
            .filter(|v| **v == ViewKind::Invoke)
            .count(),
        1
    );
    // A result for another method does not replace this one.
    let (api, rid) = {
        let ui = h.app.invoke.as_ref().expect("invoke");
        (ui.rest_api_id.clone(), ui.resource_id.clone())
    };
    h.app.update(Msg::Data(DataUpdate::TestInvoked {
        rest_api_id: api.clone(),
        resource_id: rid.clone(),
        http_method: "DELETE".into(),
        result: Ok(TestInvokeResult {
            status: 204,
            body: String::new(),
            headers: Default::default(),
            multi_value_headers: Default::default(),
            log: String::new(),
            latency: 1,
        }),
    }));
    assert_eq!(h.app.invoke.as_ref().and_then(|u| u.result.clone()), None);
    // An engine refusal is shown, not lost.
    h.app.update(Msg::Data(DataUpdate::TestInvoked {
        rest_api_id: api,
        resource_id: rid,
        http_method: "POST".into(),
        result: Err("No integration defined for method".into()),
    }));
    let text = screen(&h.render(120, 40));
    assert!(text.contains("No integration defined for method"), "{text}");
    assert!(h.flash().contains("failed"), "{}", h.flash());
}

fn i_needs_a_method_and_works_read_only<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("2");
    // The cursor is on a resource, not a method.
    assert!(h.press("i").is_empty());
    assert_eq!(h.flash(), "select a method first");
    assert_eq!(h.app.view(), ViewKind::Resources);
    // A test changes nothing in the gateway: allowed under --readonly.
    let (fresh, another) = (R::another(&h), R::another(&h));
    let mut h = readonly::<R>();
    on_post(&mut h);
    let effects = h.press("i");
    assert!(matches!(effects.as_slice(), [Effect::TestInvoke { .. }]));
    // A prefilled sample sends no body with a GET.
    let mut h = fresh;
    h.press("2 l l j");
    let effects = h.press("i");
    match effects.as_slice() {
        [
            Effect::TestInvoke {
                http_method,
                sample,
                ..
            },
        ] => {
            assert_eq!(http_method, "GET");
            assert_eq!(sample.body, "");
        }
        other => panic!("{other:?}"),
    }
    let mut h = another;
    h.command("test-invoke");
    assert_eq!(h.flash(), "select a method first");
}

fn long_lines_wrap_to_the_pane_instead_of_being_cut<R: Rigs>() {
    let mut h = rig::<R>();
    on_post(&mut h);
    let effects = h.press("i");
    h.settle(effects);
    let (api, rid) = {
        let ui = h.app.invoke.as_ref().expect("invoke");
        (ui.rest_api_id.clone(), ui.resource_id.clone())
    };
    let long = format!(
        "Endpoint response body before transformations: {}",
        "x".repeat(150)
    );
    h.app.update(Msg::Data(DataUpdate::TestInvoked {
        rest_api_id: api,
        resource_id: rid,
        http_method: "POST".into(),
        result: Ok(TestInvokeResult {
            status: 200,
            body: "plain".into(),
            headers: Default::default(),
            multi_value_headers: Default::default(),
            log: format!("Execution log for request r\nSun Nov 22 08:00:00 UTC 2026 : {long}\n"),
            latency: 1,
        }),
    }));
    h.app.update(Msg::Resize(60, 30));
    let lines = h.app.invoke_lines();
    let at = lines
        .iter()
        .position(|l| l.text.contains("Endpoint response body"))
        .expect("log line");
    // 58 columns inside the borders: the line and its continuation rows, none wider.
    let rows: Vec<&str> = lines[at..].iter().map(|l| l.text.as_str()).collect();
    assert!(rows.iter().all(|r| r.chars().count() <= 58), "{rows:?}");
    assert!(rows[1].starts_with("    x"), "{rows:?}");
    let joined: String = rows.iter().map(|r| r.trim_start()).collect();
    assert_eq!(
        joined.matches('x').count(),
        150 + "Endpoint response body before transformations:"
            .matches('x')
            .count()
    );
    let text = screen(&h.render(60, 30));
    assert!(!text.contains('…'), "{text}");
}

/// Resources, cursor on `/pets/{petId}` GET (the fake's third resource).
fn on_pet_get<B: Backend>(h: &mut Harness<B>) -> Vec<Effect> {
    h.press("2 l l j j j l j");
    match h.app.tree_selection() {
        Some(NodeRef::Method {
            ref http_method, ..
        }) if http_method == "GET" => {}
        other => panic!("{other:?}"),
    }
    h.press("i")
}

fn e_edits_the_path_and_query_or_the_whole_sample_and_sends_it<R: Rigs>() {
    let mut h = rig::<R>();
    let effects = on_pet_get(&mut h);
    h.settle(effects);
    assert_eq!(h.app.view(), ViewKind::Invoke);
    // The prompt starts from the request path the sample makes.
    h.press("e");
    let prompt = h.app.prompt.clone().expect("prompt");
    assert_eq!(prompt.text, "/pets/1");
    h.press("ctrl-u");
    h.type_text("/pets/42?verbose=yes");
    let effects = h.press("enter");
    let [Effect::TestInvoke { sample, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(sample.path, vec![("petId".to_string(), "42".to_string())]);
    assert_eq!(
        sample.querystring,
        vec![("verbose".to_string(), "yes".to_string())]
    );
    assert_eq!(
        sample.path_with_query("/pets/{petId}"),
        "/pets/42?verbose=yes"
    );
    h.settle(effects);
    let text = screen(&h.render(120, 40));
    assert!(text.contains("request  GET /pets/42?verbose=yes"), "{text}");
    // The edit is kept for the method: `i` sends it again, and e starts from it.
    let again = h.press("i");
    assert!(
        matches!(again.as_slice(), [Effect::TestInvoke { sample, .. }] if sample.path_with_query("/pets/{petId}") == "/pets/42?verbose=yes")
    );
    h.press("e");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("/pets/42?verbose=yes")
    );
    // A path of another resource is refused and the prompt comes back with the text.
    h.press("ctrl-u");
    h.type_text("/cats/1");
    assert!(h.press("enter").is_empty());
    assert!(
        h.flash()
            .contains("does not match the resource /pets/{petId}"),
        "{}",
        h.flash()
    );
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("/cats/1")
    );
    // A whole sample replaces body, headers and stage variables too.
    h.press("ctrl-u");
    h.type_text(r#"{"body": "hi", "headers": {"X-T": "1"}, "path": {"petId": "9"}}"#);
    let effects = h.press("enter");
    let [Effect::TestInvoke { sample, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(sample.body, "hi");
    assert_eq!(sample.headers, vec![("X-T".to_string(), "1".to_string())]);
    // Broken JSON says where, and nothing is lost.
    h.press("e ctrl-u");
    h.type_text(r#"{"body": "#);
    assert!(h.press("enter").is_empty());
    assert!(h.flash().contains("sample line 1"), "{}", h.flash());
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some(r#"{"body": "#)
    );
}

on_every_backend!(
    i_tests_the_selected_method_and_shows_request_response_and_log,
    i_in_the_invoke_view_runs_again_and_stale_or_failed_results_are_handled,
    i_needs_a_method_and_works_read_only,
    long_lines_wrap_to_the_pane_instead_of_being_cut,
    e_edits_the_path_and_query_or_the_whole_sample_and_sends_it,
);
