//! The template editor's test panel: an editable sample request, live (debounced)
//! rendering with the real mapping layer, focus cycling between template, sample and
//! output, errors with line and column. On the fake, in process and attached (the render
//! and the model template come from the backend).

use super::served::{Rigs, on_every_backend, rig};
use super::{Harness, find, screen};
use crate::tui::app::{PANE_OUTPUT, PANE_SAMPLE, PANE_TEMPLATE, RENDER_DEBOUNCE};
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::keymap::Key;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::theme::Role;
use crate::tui::view::ViewKind;

/// `/pets` POST, its request template (`#if($input.path('$.name') != "")…`).
fn open_post<B: Backend>(h: &mut Harness<B>) -> Vec<Effect> {
    h.press("2 l l j j l j");
    h.press("enter")
}

fn output<B: Backend>(h: &Harness<B>) -> Option<Result<String, String>> {
    h.app.editor.as_ref().and_then(|e| e.test_output.clone())
}

fn focus<B: Backend>(h: &Harness<B>) -> usize {
    h.app.focus_of(ViewKind::Editor)
}

fn opening_renders_at_once_against_a_sample_prefilled_from_the_method<R: Rigs>() {
    let mut h = rig::<R>();
    let effects = open_post(&mut h);
    let [Effect::RenderTemplate { sample, seq, .. }] = effects.as_slice() else {
        panic!("{effects:?}")
    };
    assert_eq!(*seq, 1);
    assert_eq!(
        sample.headers,
        vec![("Content-Type".to_string(), "application/json".to_string())]
    );
    assert_eq!(sample.body, r#"{"name":"Rex","price":25}"#);
    h.settle(effects);
    assert_eq!(output(&h), Some(Ok("{\"statusCode\": 200}\n".to_string())));
    let text = screen(&h.render(160, 48));
    for n in [
        "sample request",
        "\"body\":",
        "\"stageVariables\"",
        "output",
        "statusCode",
    ] {
        assert!(text.contains(n), "{n}\n{text}");
    }
    // with a stage chosen, its variables are prefilled
    let mut h = rig::<R>();
    h.press("3 j"); // prod, with variables
    assert_eq!(h.app.stage.as_deref(), Some("prod"));
    let effects = open_post(&mut h);
    let sample = match effects.as_slice() {
        [Effect::RenderTemplate { sample, .. }] => sample.clone(),
        other => panic!("{other:?}"),
    };
    assert!(
        sample
            .stage_variables
            .contains(&("backend".to_string(), "petstore.example".to_string())),
        "{sample:?}"
    );
}

fn edits_are_debounced_and_only_the_last_timer_renders<R: Rigs>() {
    let mut h = rig::<R>();
    let e = open_post(&mut h);
    h.settle(e);
    let first = h.press("ctrl-e"); // end of line: moves, does not edit
    assert!(first.is_empty(), "{first:?}");
    let a = h.type_text("x");
    let b = h.type_text("y");
    assert_eq!(
        a,
        vec![Effect::RenderAfter {
            delay: RENDER_DEBOUNCE,
            seq: 2
        }]
    );
    assert_eq!(
        b,
        vec![Effect::RenderAfter {
            delay: RENDER_DEBOUNCE,
            seq: 3
        }]
    );
    assert!(RENDER_DEBOUNCE.as_millis() <= 200);
    assert!(h.app.editor.as_ref().is_some_and(|e| e.rendering()));
    // the first keystroke's timer fires: a newer edit exists, nothing renders
    let stale = h.app.update(Msg::Data(DataUpdate::RenderDue(2)));
    assert!(stale.is_empty(), "{stale:?}");
    let due = h.app.update(Msg::Data(DataUpdate::RenderDue(3)));
    let [Effect::RenderTemplate { template, seq, .. }] = due.as_slice() else {
        panic!("{due:?}")
    };
    assert_eq!(*seq, 3);
    assert!(template.lines().next().is_some_and(|l| l.ends_with("xy")));
    // a slow older render arriving after a newer one is dropped
    h.app.update(Msg::Data(DataUpdate::TestRender {
        seq: 3,
        result: Ok("new".into()),
    }));
    h.app.update(Msg::Data(DataUpdate::TestRender {
        seq: 2,
        result: Ok("old".into()),
    }));
    assert_eq!(output(&h), Some(Ok("new".into())));
    assert!(h.app.editor.as_ref().is_some_and(|e| !e.rendering()));
    // the whole way round through the runner's timer: text after `#if(…)` is output
    let e = h.type_text("z");
    h.settle(e);
    assert_eq!(
        output(&h),
        Some(Ok("xyz\n{\"statusCode\": 200}\n".to_string()))
    );
}

fn f6_cycles_template_sample_output_and_keys_go_to_the_focused_pane<R: Rigs>() {
    let mut h = rig::<R>();
    let e = open_post(&mut h);
    h.settle(e);
    assert_eq!(focus(&h), PANE_TEMPLATE);
    h.press("f6");
    assert_eq!(focus(&h), PANE_SAMPLE);
    let template_before = h.app.editor.as_ref().map(|e| e.text());
    // put the cursor inside "Rex" and rename the pet: the template is untouched
    h.press("down ctrl-e");
    let e = h.type_text(" ");
    assert!(matches!(e.as_slice(), [Effect::RenderAfter { .. }]));
    assert_eq!(h.app.editor.as_ref().map(|e| e.text()), template_before);
    assert!(h.app.editor.as_ref().is_some_and(|e| {
        e.sample_text()
            .contains("\"body\": {\"name\": \"Rex\", \"price\": 25}, ")
    }));
    h.press("ctrl-z");
    h.press("f6");
    assert_eq!(focus(&h), PANE_OUTPUT);
    let e = h.type_text("j");
    assert!(e.is_empty(), "j scrolls the output, it edits nothing");
    h.press("ctrl-o");
    assert_eq!(focus(&h), PANE_TEMPLATE, "ctrl-o cycles too");
    h.press("shift-f6");
    assert_eq!(focus(&h), PANE_OUTPUT, "shift-f6 goes back");
    // the keymap table is the one source: hints and help show the keys
    let buf = h.render(160, 48);
    assert!(screen(&buf).contains("<f6> next pane"), "{}", screen(&buf));
    let help = h.app.keymap.help(ViewKind::Editor);
    assert!(
        help[0]
            .1
            .iter()
            .any(|(keys, desc, _)| keys == "f6 ctrl-o" && *desc == "next pane"),
        "{help:?}"
    );
    assert_eq!(
        h.app.keymap.lookup(
            ViewKind::Editor,
            Key::parse("tab").unwrap_or(Key::parse("f1").unwrap_or_else(|e| panic!("{e}")))
        ),
        None,
        "tab stays text in the editor"
    );
}

fn sample_changes_rerender_and_a_broken_sample_says_where<R: Rigs>() {
    let mut h = rig::<R>();
    let e = open_post(&mut h);
    h.settle(e);
    h.press("f6");
    // empty the pet's name: the template's #if is false, the output is empty
    h.press("down ctrl-e");
    let mut e = Vec::new();
    for _ in 0.."{\"name\": \"Rex\", \"price\": 25}, ".len() {
        e.extend(h.press("backspace"));
    }
    e.extend(h.type_text("{\"name\": \"\"},"));
    h.settle(e);
    assert_eq!(
        output(&h),
        Some(Ok(String::new())),
        "{:?}",
        h.app.editor.as_ref().map(|e| e.sample_text())
    );
    assert!(screen(&h.render(80, 24)).contains("(empty output)"));
    // break the JSON: no render, the output and the sample point at the spot
    let e = h.type_text("]");
    h.settle(e);
    let out = output(&h);
    assert!(
        matches!(&out, Some(Err(m)) if m.starts_with("sample line 2, column ")),
        "{out:?}"
    );
    let (line, col) = h
        .app
        .editor
        .as_ref()
        .and_then(|e| e.sample_error.as_ref())
        .map(|e| (e.line, e.column))
        .unwrap_or_default();
    assert_eq!(line, 2);
    let buf = h.render(160, 48);
    assert!(screen(&buf).contains("output · error"), "{}", screen(&buf));
    let (x, y) = find(&buf, "sample line 2").expect("error in the output");
    assert_eq!(
        buf[(x, y)].fg,
        h.app.theme.get(Role::FlashError).fg.unwrap_or_default()
    );
    let _ = col;
    // leaving and coming back keeps the edited sample
    h.press("ctrl-z");
    let e = h.press("esc");
    h.settle(e);
    assert_eq!(h.app.view(), ViewKind::Resources);
    let e = h.press("enter");
    let [Effect::RenderTemplate { sample, .. }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(sample.body, r#"{"name":""}"#);
}

fn render_errors_carry_line_and_column_and_response_templates_read_the_body<R: Rigs>() {
    let mut h = rig::<R>();
    let e = open_post(&mut h);
    h.settle(e);
    // select all and replace with a template whose method call throws
    h.app.update(Msg::Paste(String::new()));
    let e = h.press("ctrl-a");
    h.settle(e);
    for _ in 0..3 {
        h.press("ctrl-k ctrl-d");
    }
    let e = h
        .app
        .update(Msg::Paste("ok\n$input.path('$.name').substring(9)".into()));
    h.settle(e);
    let out = output(&h);
    assert!(
        matches!(&out, Some(Err(m)) if m.starts_with("line 2, column ")),
        "{out:?}"
    );
    // a response template: the sample's body is the integration response
    let mut h = rig::<R>();
    h.press("2 l l j l j"); // /pets GET, its response template (200 application/json)
    let e = h.press("enter");
    let target = h.app.editor.as_ref().map(|e| e.target.label());
    assert_eq!(target.as_deref(), Some("response 200 application/json"));
    h.settle(e);
    assert_eq!(
        output(&h),
        Some(Ok(r#"{"id":1,"name":"Rex","price":25}"#.to_string()))
    );
    assert!(screen(&h.render(160, 48)).contains("body = integration response"));
}

fn ctrl_g_generates_the_template_from_the_methods_model_and_undo_restores_the_old_one<R: Rigs>() {
    let mut h = rig::<R>();
    // No model on the method yet: a warning, nothing changed.
    open_post(&mut h);
    let before = h.app.editor.as_ref().map(|e| e.text()).unwrap_or_default();
    assert!(h.press("ctrl-g").is_empty());
    assert!(
        h.flash().contains("has no application/json model"),
        "{}",
        h.flash()
    );
    // Give POST /pets a request model (on the fake's state, or with CreateModel and
    // UpdateMethod on a real engine), reload, open the editor again.
    let schema =
        r#"{"type":"object","properties":{"name":{"type":"string"},"price":{"type":"number"}}}"#;
    match h.served() {
        None => {
            let fake = h.fake().expect("the fake");
            if let Ok(mut s) = fake.state.lock() {
                let def = &mut s.apis[0];
                def.models.push(crate::model::Model {
                    id: "petmdl".into(),
                    name: "NewPet".into(),
                    description: None,
                    schema: Some(schema.into()),
                    content_type: "application/json".into(),
                });
                if let Some(m) = def
                    .resource_mut("pets01")
                    .and_then(|r| r.resource_methods.get_mut("POST"))
                {
                    m.request_models
                        .insert("application/json".into(), "NewPet".into());
                }
            }
        }
        Some(s) => {
            let actor = crate::engine::Actor::new("test");
            let model = crate::engine::CreateModel {
                name: "NewPet".into(),
                description: None,
                schema: Some(schema.into()),
                content_type: Some("application/json".into()),
            };
            let made = s.rt.block_on(s.gw.create_model(&actor, &h.w.api, model));
            assert!(made.is_ok(), "{made:?}");
            let op = crate::model::PatchOperation {
                op: crate::model::PatchOp::Add,
                path: "/requestModels/application~1json".into(),
                value: Some("NewPet".into()),
                from: None,
            };
            let set =
                s.rt.block_on(s.gw.update_method(&actor, &h.w.api, &h.w.pets, "POST", vec![op]));
            assert!(set.is_ok(), "{set:?}");
        }
    }
    // A fresh console on that engine (the tree walk of `open_post` starts from the top).
    let mut h2 = R::another(&h);
    let effects = h2.app.reload();
    h2.settle(effects);
    open_post(&mut h2);
    let effects = h2.press("ctrl-g");
    // The template comes from the backend (GetModelTemplate); its arrival is an edit, which
    // asks for a render.
    assert!(
        matches!(
            effects.as_slice(),
            [crate::tui::effect::Effect::GenerateTemplate { model_name, .. }] if model_name == "NewPet"
        ),
        "{effects:?}"
    );
    h2.settle(effects);
    let text = h2.app.editor.as_ref().map(|e| e.text()).unwrap_or_default();
    assert!(
        text.starts_with("#set($inputRoot = $input.path('$'))"),
        "{text}"
    );
    assert!(text.contains("\"name\" : \"$inputRoot.name\""), "{text}");
    assert!(
        h2.flash().contains("generated from model NewPet"),
        "{}",
        h2.flash()
    );
    // The live output renders the generated template against the sample.
    assert_eq!(
        output(&h2),
        Some(Ok(
            "{\n  \"name\" : \"Rex\",\n  \"price\" : 25\n}".to_string()
        ))
    );
    // The replacement is two edits (clear, insert): two undos bring the old template back.
    h2.press("ctrl-z");
    assert_eq!(
        h2.app.editor.as_ref().map(|e| e.text()).as_deref(),
        Some("")
    );
    h2.press("ctrl-z");
    let undone = h2.app.editor.as_ref().map(|e| e.text()).unwrap_or_default();
    assert_eq!(undone, before);
}

on_every_backend!(
    opening_renders_at_once_against_a_sample_prefilled_from_the_method,
    edits_are_debounced_and_only_the_last_timer_renders,
    f6_cycles_template_sample_output_and_keys_go_to_the_focused_pane,
    sample_changes_rerender_and_a_broken_sample_says_where,
    render_errors_carry_line_and_column_and_response_templates_read_the_body,
    ctrl_g_generates_the_template_from_the_methods_model_and_undo_restores_the_old_one,
);
