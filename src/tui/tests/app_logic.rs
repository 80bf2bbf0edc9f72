//! Key sequences in, state and effects out, for every view; on the fake, in process and
//! attached (the effects are performed by the backend, and what it then reads back is
//! checked).

use std::time::Duration;

use super::Harness;
use super::served::{Rigs, World, on_every_backend, rig};
use crate::model::{PatchOp, PatchOperation};
use crate::tui::app::{PromptKind, WINDOWS};
use crate::tui::backend::Backend;
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::fake::SAMPLE_API;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::tree::NodeRef;
use crate::tui::view::ViewKind;

fn startup_loads_apis_stages_and_usage<R: Rigs>() {
    let h = rig::<R>();
    let api = h.w.api.clone();
    assert_eq!(h.app.api_id.as_deref(), Some(api.as_str()));
    assert_eq!(h.app.stage.as_deref(), Some("dev"));
    assert_eq!(h.app.stages.len(), 2);
    assert_eq!(h.app.deployments[0].id, h.w.second, "newest first");
    assert_eq!(h.app.usage.keys.len(), 2);
    assert_eq!(h.app.listener, h.backend.listener());
    assert_eq!(h.app.view(), ViewKind::Apis);
}

fn digits_and_commands_open_every_view<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    let cases = [
        ("1", ViewKind::Apis, "apis"),
        ("2", ViewKind::Resources, "resources"),
        ("3", ViewKind::Stages, "stages"),
        ("4", ViewKind::Deployments, "deployments"),
        ("5", ViewKind::Canary, "canary"),
        ("6", ViewKind::Dashboard, "dash"),
        ("7", ViewKind::Logs, "logs"),
        ("8", ViewKind::Keys, "keys"),
    ];
    for (digit, view, cmd) in cases {
        h.press(digit);
        assert_eq!(h.app.view(), view, "digit {digit}");
        h.press("1");
        h.command(cmd);
        assert_eq!(h.app.view(), view, ":{cmd}");
        assert_eq!(h.app.stack, vec![view]);
    }
    assert_eq!(
        h.press("3"),
        vec![Effect::LoadStages {
            rest_api_id: api.clone()
        }]
    );
    assert!(h.press("6").contains(&Effect::LoadMetrics {
        rest_api_id: api.clone(),
        window_seconds: WINDOWS[1],
        scope: crate::engine::MetricsScope::Cluster,
    }));
    assert_eq!(h.press("8"), vec![Effect::LoadUsage]);
}

fn command_prompt_completes_with_tab_and_reports_unknown_commands<R: Rigs>() {
    let mut h = rig::<R>();
    h.press(":");
    h.type_text("da");
    h.press("tab");
    assert_eq!(h.app.prompt.as_ref().map(|p| p.text.as_str()), Some("dash"));
    h.press("ctrl-u");
    h.type_text("de");
    h.press("tab");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("deploy"),
        "common prefix of deploy/deployments"
    );
    h.press("tab");
    let first = h
        .app
        .prompt
        .as_ref()
        .map(|p| p.text.clone())
        .unwrap_or_default();
    h.press("tab");
    let second = h
        .app
        .prompt
        .as_ref()
        .map(|p| p.text.clone())
        .unwrap_or_default();
    assert_ne!(first, second, "Tab cycles through candidates");
    h.press("ctrl-u");
    h.type_text("theme gr");
    h.press("tab");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("theme gruvbox")
    );
    h.press("enter");
    assert_eq!(h.app.theme.name, "gruvbox");
    h.press(":");
    h.type_text("deploy p");
    h.press("tab");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("deploy prod")
    );
    h.press("esc");
    assert!(h.app.prompt.is_none());
    h.command("nonsense");
    assert!(h.flash().contains("unknown command ':nonsense'"));
}

fn filter_narrows_lists_inverts_and_esc_clears<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("/");
    h.type_text("pet");
    assert_eq!(h.app.api_rows().len(), 1);
    h.press("enter");
    h.press("/ ctrl-u");
    h.type_text("!pet");
    assert_eq!(h.app.api_rows().len(), 0, "! inverts");
    h.press("esc");
    assert_eq!(
        h.app.api_rows().len(),
        1,
        "Esc in the prompt drops the filter"
    );
    h.press("3 /");
    h.type_text("pro");
    h.press("enter");
    assert_eq!(h.app.stage_rows().len(), 1);
    h.press("esc");
    assert_eq!(
        h.app.stage_rows().len(),
        2,
        "Esc clears an applied filter first"
    );
    h.press("7 /");
    h.type_text("(unclosed");
    assert!(
        h.app.filter(ViewKind::Logs).is_some(),
        "bad regex falls back to a literal"
    );
}

fn enter_drills_down_esc_goes_back_and_q_quits<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("enter");
    assert_eq!(h.app.stack, vec![ViewKind::Apis, ViewKind::Resources]);
    h.press("esc");
    assert_eq!(h.app.stack, vec![ViewKind::Apis]);
    h.press("esc");
    assert_eq!(h.app.stack, vec![ViewKind::Apis], "Esc at the root stays");
    assert_eq!(h.press("q"), vec![Effect::Quit]);
    assert!(h.app.quit);
}

fn help_toggles_and_swallows_keys<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("?");
    assert!(h.app.help);
    assert!(h.press("3").is_empty());
    assert_eq!(h.app.view(), ViewKind::Apis);
    h.press("?");
    assert!(!h.app.help);
}

fn resources_tree_navigates_and_shows_methods<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("2");
    assert!(matches!(
        h.app.tree_selection(),
        Some(NodeRef::Resource { .. })
    ));
    h.press("l"); // root open already: step into first child (/pets)
    h.press("l"); // open /pets
    h.press("j"); // GET
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Method {
            resource_id: h.w.pets.clone(),
            http_method: "GET".into()
        })
    );
    h.press("h"); // GET is closed -> back to /pets
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Resource {
            resource_id: h.w.pets.clone()
        })
    );
    h.press("h"); // close /pets
    h.press("j"); // nothing below /pets at this level when closed
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Resource {
            resource_id: h.w.pets.clone()
        })
    );
    h.press("/");
    h.type_text("petId");
    h.press("enter");
    h.press("g");
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Resource {
            resource_id: h.w.pet.clone()
        })
    );
}

/// The request template of `POST /pets` in the sample world.
fn sample_post_template() -> String {
    crate::tui::fake::sample_definition()
        .method("pets01", "POST")
        .ok()
        .and_then(|m| m.method_integration.clone())
        .map(|i| i.request_templates["application/json"].clone())
        .unwrap_or_default()
}

pub(super) fn open_post_template<B: Backend>(h: &mut Harness<B>, w: &World) {
    h.press("2 l l j j"); // /pets -> GET -> POST
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Method {
            resource_id: w.pets.clone(),
            http_method: "POST".into()
        })
    );
    h.press("l j"); // open POST, its request template
    assert!(matches!(
        h.app.tree_selection(),
        Some(NodeRef::Template { .. })
    ));
    h.press("enter");
    assert_eq!(h.app.view(), ViewKind::Editor);
}

fn template_editor_edits_undoes_searches_and_saves_into_the_working_definition<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    let w = h.w.clone();
    open_post_template(&mut h, &w);
    let ed = h.app.editor.as_ref().expect("editor open");
    assert_eq!(
        ed.target,
        TemplateTarget::Request {
            content_type: "application/json".into()
        }
    );
    assert!(ed.problem.is_none());
    // q and digits are text in the editor
    h.type_text("q1");
    assert_eq!(h.app.view(), ViewKind::Editor);
    assert!(h.app.editor.as_ref().is_some_and(|e| e.modified()));
    h.press("ctrl-z ctrl-z");
    assert!(
        !h.app.editor.as_ref().is_some_and(|e| e.modified()),
        "undo restores"
    );
    h.press("ctrl-y");
    assert!(
        h.app.editor.as_ref().is_some_and(|e| e.modified()),
        "redo reapplies"
    );
    h.press("ctrl-f");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.kind.clone()),
        Some(PromptKind::Search)
    );
    h.type_text("statusCode");
    h.press("enter");
    assert_eq!(
        h.app.editor.as_ref().map(|e| e.textarea.cursor().0),
        Some(1)
    );
    // an unbalanced directive is reported by the parse check
    h.press("end enter");
    h.type_text("#if($x)");
    assert!(
        h.app
            .editor
            .as_ref()
            .and_then(|e| e.problem.clone())
            .is_some()
    );
    h.press("ctrl-z");
    let effects = h.press("ctrl-s");
    let saved_effects = effects.clone();
    let [
        Effect::SaveTemplate {
            rest_api_id,
            resource_id,
            http_method,
            template,
            ..
        },
    ] = saved_effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (
            rest_api_id.as_str(),
            resource_id.as_str(),
            http_method.as_str()
        ),
        (api.as_str(), w.pets.as_str(), "POST")
    );
    assert!(h.flash().contains("not live until deployed"));
    let working = h
        .app
        .definition()
        .and_then(|d| d.method(&w.pets, "POST").ok())
        .and_then(|m| m.method_integration.clone());
    assert_eq!(
        working.map(|i| i.request_templates["application/json"].clone()),
        Some(template.clone())
    );
    // A template that does not parse is refused by the backend (the engine compiles it as
    // a deployment would), which keeps the one it had.
    let original = sample_post_template();
    let backend_template = |h: &Harness<R::B>| {
        h.block_on(h.backend.list_apis())
            .expect("apis")
            .into_iter()
            .find(|a| a.definition.rest_api.id == api)
            .and_then(|a| a.definition.method(&w.pets, "POST").ok().cloned())
            .and_then(|m| m.method_integration)
            .map(|i| i.request_templates["application/json"].clone())
    };
    h.settle(effects);
    assert!(
        h.flash()
            .contains("save request application/json template failed: line 4, column 1"),
        "{}",
        h.flash()
    );
    assert_eq!(backend_template(&h), Some(original));
    let test = h.press("ctrl-t");
    assert!(matches!(test.as_slice(), [Effect::RenderTemplate { .. }]));
    h.settle(test);
    // the template still holds half of the `#if($x)` typed above: the real VTL parser
    // says where
    let out = h.app.editor.as_ref().and_then(|e| e.test_output.clone());
    assert!(
        matches!(&out, Some(Err(e)) if e.starts_with("line 4, column ")),
        "{out:?}"
    );
    // Undone to a template that parses, it is saved.
    for _ in 0..20 {
        if h.app.editor.as_ref().is_some_and(|e| e.problem.is_none()) {
            break;
        }
        h.press("ctrl-z");
    }
    h.type_text("## checked");
    let text = h
        .app
        .editor
        .as_ref()
        .map(|e| e.textarea.lines().join("\n"))
        .unwrap_or_default();
    let effects = h.press("ctrl-s");
    h.settle(effects);
    assert!(!h.flash().contains("failed"), "{}", h.flash());
    assert_eq!(backend_template(&h), Some(text));
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Resources);
}

fn editor_esc_with_unsaved_changes_asks_twice<R: Rigs>() {
    let mut h = rig::<R>();
    let w = h.w.clone();
    open_post_template(&mut h, &w);
    h.type_text("x");
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Editor);
    assert!(h.flash().contains("unsaved"));
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Resources);
    assert!(h.app.editor.is_none());
}

fn proxy_methods_have_no_templates<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("2 /");
    h.type_text("petId");
    h.press("enter g l j enter");
    assert_eq!(h.app.view(), ViewKind::Resources);
    assert!(h.flash().contains("proxy"));
}

fn edit_integration_validates_and_emits_patch_operations<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    h.press("2 l l j e");
    let text = h
        .app
        .prompt
        .as_ref()
        .map(|p| p.text.clone())
        .unwrap_or_default();
    assert_eq!(
        text,
        "type=HTTP uri=http://petstore.example/pets timeout=29000"
    );
    h.press("ctrl-u");
    h.type_text("type=HTTP timeout=10");
    assert!(h.press("enter").is_empty());
    assert!(h.flash().contains("between 50 ms and 29000 ms"));
    assert!(
        h.app.prompt.is_some(),
        "the prompt stays open to fix the input"
    );
    // UpdateIntegration cannot change the type (no `/type` path on AWS or the engine).
    h.press("ctrl-u");
    h.type_text("type=http_proxy uri=http://new.example timeout=5000");
    assert!(h.press("enter").is_empty());
    assert!(
        h.flash()
            .contains("integration type cannot be changed in place (HTTP to HTTP_PROXY)"),
        "{}",
        h.flash()
    );
    h.press("ctrl-u");
    h.type_text("type=http uri=http://new.example timeout=5000");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::UpdateIntegration {
            rest_api_id: api.clone(),
            resource_id: h.w.pets.clone(),
            http_method: "GET".into(),
            ops: vec![
                PatchOperation::replace("/uri", "http://new.example"),
                PatchOperation::replace("/timeoutInMillis", "5000"),
            ],
        }]
    );
    h.settle(e);
    assert!(!h.flash().contains("failed"), "{}", h.flash());
    let i = h
        .app
        .definition()
        .and_then(|d| d.method(&h.w.pets, "GET").ok())
        .and_then(|m| m.method_integration.clone());
    assert_eq!(i.map(|i| i.timeout_in_millis), Some(5000));
}

fn stages_variables_are_validated_as_aws_does<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    h.press("3 j"); // prod
    assert_eq!(h.app.stage.as_deref(), Some("prod"));
    h.press("a");
    h.type_text("bad-name=x");
    assert!(h.press("enter").is_empty());
    assert!(
        h.flash()
            .contains("only alphanumeric characters and underscores")
    );
    h.press("ctrl-u");
    h.type_text("region=eu west");
    assert!(h.press("enter").is_empty());
    assert!(h.flash().contains("is invalid"));
    h.press("ctrl-u");
    h.type_text("region=eu-west-1");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::PatchStage {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            ops: vec![PatchOperation::replace("/variables/region", "eu-west-1")],
        }]
    );
    h.settle(e);
    assert_eq!(
        h.app.current_stage().map(|s| s.variables["region"].clone()),
        Some("eu-west-1".into())
    );
    // edit: Tab to the variables, e pre-fills NAME=VALUE; renaming removes the old name
    h.press("tab e");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("backend=petstore.example")
    );
    h.press("ctrl-u");
    h.type_text("origin=petstore.example");
    let e = h.press("enter");
    let [Effect::PatchStage { ops, .. }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(ops[0], PatchOperation::remove("/variables/backend"));
    assert_eq!(ops[1].op, PatchOp::Replace);
}

fn stages_method_settings_and_deploy<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    h.press("3 j m ctrl-u");
    h.type_text("/pets get caching/ttlInSeconds 60");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::PatchStage {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            ops: vec![PatchOperation::replace(
                "/~1pets/GET/caching/ttlInSeconds",
                "60"
            )],
        }]
    );
    h.settle(e);
    assert_eq!(h.app.method_setting_rows(), vec!["pets/GET".to_string()]);
    h.press("m");
    h.type_text("100");
    let e = h.press("enter");
    let [Effect::PatchStage { ops, .. }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(ops[0].path, "/*/*/throttling/rateLimit");
    h.press("m ctrl-u");
    h.type_text("* * nope 1");
    assert!(h.press("enter").is_empty());
    assert!(h.flash().contains("unknown setting"));
    h.press("esc D");
    h.type_text("release 2");
    assert!(h.press("enter").is_empty(), "a deploy is confirmed first");
    let e = h.press("y");
    assert_eq!(
        e,
        vec![Effect::Deploy {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            description: Some("release 2".into())
        }]
    );
    // prod has a canary: the stage is not moved (promote or delete the canary first).
    h.settle(e);
    assert!(
        h.flash()
            .contains("deploy prod failed: Stage has an active canary"),
        "{}",
        h.flash()
    );
    assert_eq!(
        h.app.current_stage().map(|s| s.deployment_id.clone()),
        Some(h.w.first.clone())
    );
    assert!(h.command("deploy dev").is_empty());
    let e = h.press("y");
    assert_eq!(
        e,
        vec![Effect::Deploy {
            rest_api_id: api.clone(),
            stage_name: "dev".into(),
            description: None
        }]
    );
    h.settle(e);
    let deployed = h
        .app
        .stages
        .iter()
        .find(|s| s.stage_name == "dev")
        .map(|s| s.deployment_id.clone())
        .unwrap_or_default();
    assert!(
        ![h.w.first.as_str(), h.w.second.as_str()].contains(&deployed.as_str()),
        "dev runs a new deployment: {}",
        h.flash()
    );
    assert!(
        h.flash()
            .contains(&format!("deploy dev: deployment {deployed}")),
        "{}",
        h.flash()
    );
    assert!(h.command("deploy nowhere").is_empty());
    assert!(h.flash().contains("no stage 'nowhere'"));
}

fn deployments_diff_two_marked_snapshots<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("4 space j space");
    assert_eq!(h.app.marked, vec![h.w.second.clone(), h.w.first.clone()]);
    let e = h.press("d");
    assert_eq!(h.app.view(), ViewKind::Diff);
    assert_eq!(e.len(), 2);
    assert!(h.app.diff_lines().is_none(), "not loaded yet");
    h.settle(e);
    let lines = h.app.diff_lines().unwrap_or_default();
    assert!(
        lines
            .iter()
            .any(|l| l.subject == "POST /pets" && l.detail == "method added"),
        "{lines:?}"
    );
    assert_eq!(
        h.app.diff_pair,
        Some((h.w.first.clone(), h.w.second.clone())),
        "older first"
    );
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Deployments);
    h.press("space space space");
    assert!(h.press("d").is_empty() || h.app.view() == ViewKind::Diff);
}

fn canary_weight_steps_and_traffic_command<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    h.press("3 j 5");
    assert_eq!(h.app.stage.as_deref(), Some("prod"));
    h.press("+ +");
    assert_eq!(h.app.canary.pending, Some(12.0));
    h.press("s +");
    assert_eq!(h.app.canary.pending, Some(22.0), "step 10");
    h.press("s + -");
    assert_eq!(h.app.canary.pending, Some(22.0), "step 0.1 up and down");
    h.press("s -");
    assert_eq!(h.app.canary.pending, Some(21.0));
    h.press("o");
    h.type_text("mode=shadow");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::PatchStage {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            ops: vec![PatchOperation::replace(
                "/canarySettings/stageVariableOverrides/mode",
                "shadow"
            )],
        }]
    );
    assert_eq!(
        h.command("traffic 50"),
        vec![Effect::SetTraffic {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            rate: 50.0
        }]
    );
    assert_eq!(
        h.command("traffic 5 dev"),
        vec![Effect::SetTraffic {
            rest_api_id: api.clone(),
            stage_name: "dev".into(),
            rate: 5.0
        }]
    );
    assert!(h.command("traffic fast").is_empty());
    assert!(h.flash().contains("usage: :traffic"));
    // `T` toggles the selected stage's generator: prod runs at 50 (started above), so it stops;
    // pressed again it starts at the default rate.
    assert_eq!(
        h.press("T"),
        vec![Effect::SetTraffic {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            rate: 0.0
        }]
    );
    assert_eq!(
        h.press("T"),
        vec![Effect::SetTraffic {
            rest_api_id: api.clone(),
            stage_name: "prod".into(),
            rate: 20.0
        }]
    );
}

/// On the fake only: its synthetic metrics have the stages and methods the keys select.
#[test]
fn dashboard_zoom_freeze_maximise_and_selection() {
    let mut h = Harness::new();
    let api = SAMPLE_API.to_string();
    let e = h.press("6");
    h.settle(e);
    assert!(!h.app.metrics.series.is_empty());
    h.press("+");
    assert_eq!(WINDOWS[h.app.dash.window], 60);
    h.press("+");
    assert_eq!(WINDOWS[h.app.dash.window], 60, "clamped at 1 min");
    h.press("- - - - - - - - - -");
    assert_eq!(WINDOWS[h.app.dash.window], 86_400, "clamped at 24 h");
    h.press("=");
    assert_eq!(WINDOWS[h.app.dash.window], 300);
    assert_eq!(
        h.tick(Duration::from_secs(1)),
        vec![Effect::LoadMetrics {
            rest_api_id: api.clone(),
            window_seconds: 300,
            scope: crate::engine::MetricsScope::Cluster,
        }]
    );
    h.press("f");
    assert!(h.app.dash.frozen);
    assert!(
        h.tick(Duration::from_secs(2)).is_empty(),
        "frozen: no polling"
    );
    let before = h.app.metrics.clone();
    h.app.update(Msg::Data(DataUpdate::Metrics(
        crate::tui::fake::sample_metrics(SAMPLE_API, 1, 5),
    )));
    assert_eq!(h.app.metrics, before, "frozen: updates are ignored");
    h.press("f z");
    assert!(h.app.dash.maximised);
    h.press("tab tab");
    assert_eq!(h.app.focus_of(ViewKind::Dashboard), 2);
    h.press("m");
    assert_eq!(h.app.dash.method, 1);
    h.press("s");
    assert_eq!((h.app.dash.stage, h.app.dash.method), (1, 0));
    assert_eq!(h.app.dash_stage().as_deref(), Some("prod"));
    h.press("2");
    assert!(
        h.tick(Duration::from_secs(3)).is_empty(),
        "no polling off the dashboard"
    );
    // The APIs view polls only its live columns (console_ux tests them).
    h.press("1");
    assert!(
        h.tick(Duration::from_secs(4))
            .iter()
            .all(|e| matches!(e, Effect::LoadPulse { .. }))
    );
}

on_every_backend!(
    startup_loads_apis_stages_and_usage,
    digits_and_commands_open_every_view,
    command_prompt_completes_with_tab_and_reports_unknown_commands,
    filter_narrows_lists_inverts_and_esc_clears,
    enter_drills_down_esc_goes_back_and_q_quits,
    help_toggles_and_swallows_keys,
    resources_tree_navigates_and_shows_methods,
    template_editor_edits_undoes_searches_and_saves_into_the_working_definition,
    editor_esc_with_unsaved_changes_asks_twice,
    proxy_methods_have_no_templates,
    edit_integration_validates_and_emits_patch_operations,
    stages_variables_are_validated_as_aws_does,
    stages_method_settings_and_deploy,
    deployments_diff_two_marked_snapshots,
    canary_weight_steps_and_traffic_command,
);
