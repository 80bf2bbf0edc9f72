//! Key sequences in, state and effects out, for every view.

use std::time::Duration;

use super::Harness;
use crate::model::{PatchOp, PatchOperation};
use crate::tui::app::{PromptKind, WINDOWS};
use crate::tui::effect::{Effect, TemplateTarget};
use crate::tui::fake::SAMPLE_API;
use crate::tui::msg::{DataUpdate, Msg};
use crate::tui::tree::NodeRef;
use crate::tui::view::ViewKind;

fn api() -> String {
    SAMPLE_API.to_string()
}

#[test]
fn startup_loads_apis_stages_and_usage() {
    let h = Harness::new();
    assert_eq!(h.app.api_id.as_deref(), Some(SAMPLE_API));
    assert_eq!(h.app.stage.as_deref(), Some("dev"));
    assert_eq!(h.app.stages.len(), 2);
    assert_eq!(h.app.deployments[0].id, "dep002", "newest first");
    assert_eq!(h.app.usage.keys.len(), 2);
    assert_eq!(h.app.listener, "127.0.0.1:4566");
    assert_eq!(h.app.view(), ViewKind::Apis);
}

#[test]
fn digits_and_commands_open_every_view() {
    let mut h = Harness::new();
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
        vec![Effect::LoadStages { rest_api_id: api() }]
    );
    assert!(h.press("6").contains(&Effect::LoadMetrics {
        rest_api_id: api(),
        window_seconds: WINDOWS[1]
    }));
    assert_eq!(h.press("8"), vec![Effect::LoadUsage]);
}

#[test]
fn command_prompt_completes_with_tab_and_reports_unknown_commands() {
    let mut h = Harness::new();
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

#[test]
fn filter_narrows_lists_inverts_and_esc_clears() {
    let mut h = Harness::new();
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

#[test]
fn enter_drills_down_esc_goes_back_and_q_quits() {
    let mut h = Harness::new();
    h.press("enter");
    assert_eq!(h.app.stack, vec![ViewKind::Apis, ViewKind::Resources]);
    h.press("esc");
    assert_eq!(h.app.stack, vec![ViewKind::Apis]);
    h.press("esc");
    assert_eq!(h.app.stack, vec![ViewKind::Apis], "Esc at the root stays");
    assert_eq!(h.press("q"), vec![Effect::Quit]);
    assert!(h.app.quit);
}

#[test]
fn help_toggles_and_swallows_keys() {
    let mut h = Harness::new();
    h.press("?");
    assert!(h.app.help);
    assert!(h.press("3").is_empty());
    assert_eq!(h.app.view(), ViewKind::Apis);
    h.press("?");
    assert!(!h.app.help);
}

#[test]
fn resources_tree_navigates_and_shows_methods() {
    let mut h = Harness::new();
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
            resource_id: "pets01".into(),
            http_method: "GET".into()
        })
    );
    h.press("h"); // GET is closed -> back to /pets
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Resource {
            resource_id: "pets01".into()
        })
    );
    h.press("h"); // close /pets
    h.press("j"); // nothing below /pets at this level when closed
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Resource {
            resource_id: "pets01".into()
        })
    );
    h.press("/");
    h.type_text("petId");
    h.press("enter");
    h.press("g");
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Resource {
            resource_id: "pet001".into()
        })
    );
}

pub(super) fn open_post_template(h: &mut Harness) {
    h.press("2 l l j j"); // /pets -> GET -> POST
    assert_eq!(
        h.app.tree_selection(),
        Some(NodeRef::Method {
            resource_id: "pets01".into(),
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

#[test]
fn template_editor_edits_undoes_searches_and_saves_into_the_working_definition() {
    let mut h = Harness::new();
    open_post_template(&mut h);
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
    let [
        Effect::SaveTemplate {
            rest_api_id,
            resource_id,
            http_method,
            template,
            ..
        },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(
        (
            rest_api_id.as_str(),
            resource_id.as_str(),
            http_method.as_str()
        ),
        (SAMPLE_API, "pets01", "POST")
    );
    assert!(h.flash().contains("not live until deployed"));
    let working = h
        .app
        .definition()
        .and_then(|d| d.method("pets01", "POST").ok())
        .and_then(|m| m.method_integration.clone());
    assert_eq!(
        working.map(|i| i.request_templates["application/json"].clone()),
        Some(template.clone())
    );
    h.settle(effects);
    assert!(
        h.calls()
            .iter()
            .any(|c| c.starts_with("save-template pets01 POST"))
    );
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
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Resources);
}

#[test]
fn editor_esc_with_unsaved_changes_asks_twice() {
    let mut h = Harness::new();
    open_post_template(&mut h);
    h.type_text("x");
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Editor);
    assert!(h.flash().contains("unsaved"));
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Resources);
    assert!(h.app.editor.is_none());
}

#[test]
fn proxy_methods_have_no_templates() {
    let mut h = Harness::new();
    h.press("2 /");
    h.type_text("petId");
    h.press("enter g l j enter");
    assert_eq!(h.app.view(), ViewKind::Resources);
    assert!(h.flash().contains("proxy"));
}

#[test]
fn edit_integration_validates_and_emits_patch_operations() {
    let mut h = Harness::new();
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
    h.type_text("type=HTTP_PROXY timeout=10");
    assert!(h.press("enter").is_empty());
    assert!(h.flash().contains("between 50 ms and 29000 ms"));
    assert!(
        h.app.prompt.is_some(),
        "the prompt stays open to fix the input"
    );
    h.press("ctrl-u");
    h.type_text("type=http_proxy uri=http://new.example timeout=5000");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::UpdateIntegration {
            rest_api_id: api(),
            resource_id: "pets01".into(),
            http_method: "GET".into(),
            ops: vec![
                PatchOperation::replace("/type", "HTTP_PROXY"),
                PatchOperation::replace("/uri", "http://new.example"),
                PatchOperation::replace("/timeoutInMillis", "5000"),
            ],
        }]
    );
    h.settle(e);
    let i = h
        .app
        .definition()
        .and_then(|d| d.method("pets01", "GET").ok())
        .and_then(|m| m.method_integration.clone());
    assert_eq!(i.map(|i| i.timeout_in_millis), Some(5000));
}

#[test]
fn stages_variables_are_validated_as_aws_does() {
    let mut h = Harness::new();
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
            rest_api_id: api(),
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

#[test]
fn stages_method_settings_and_deploy() {
    let mut h = Harness::new();
    h.press("3 j m ctrl-u");
    h.type_text("/pets get caching/ttlInSeconds 60");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::PatchStage {
            rest_api_id: api(),
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
            rest_api_id: api(),
            stage_name: "prod".into(),
            description: Some("release 2".into())
        }]
    );
    h.settle(e);
    assert!(
        h.flash().contains("deploy prod: deployment dep003"),
        "{}",
        h.flash()
    );
    assert_eq!(
        h.app.current_stage().map(|s| s.deployment_id.clone()),
        Some("dep003".into())
    );
    assert!(h.command("deploy dev").is_empty());
    assert_eq!(
        h.press("y"),
        vec![Effect::Deploy {
            rest_api_id: api(),
            stage_name: "dev".into(),
            description: None
        }]
    );
    assert!(h.command("deploy nowhere").is_empty());
    assert!(h.flash().contains("no stage 'nowhere'"));
}

#[test]
fn deployments_diff_two_marked_snapshots() {
    let mut h = Harness::new();
    h.press("4 space j space");
    assert_eq!(
        h.app.marked,
        vec!["dep002".to_string(), "dep001".to_string()]
    );
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
        Some(("dep001".into(), "dep002".into())),
        "older first"
    );
    h.press("esc");
    assert_eq!(h.app.view(), ViewKind::Deployments);
    h.press("space space space");
    assert!(h.press("d").is_empty() || h.app.view() == ViewKind::Diff);
}

#[test]
fn canary_weight_steps_and_traffic_command() {
    let mut h = Harness::new();
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
            rest_api_id: api(),
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
            rest_api_id: api(),
            stage_name: "prod".into(),
            rate: 50.0
        }]
    );
    assert_eq!(
        h.command("traffic 5 dev"),
        vec![Effect::SetTraffic {
            rest_api_id: api(),
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
            rest_api_id: api(),
            stage_name: "prod".into(),
            rate: 0.0
        }]
    );
    assert_eq!(
        h.press("T"),
        vec![Effect::SetTraffic {
            rest_api_id: api(),
            stage_name: "prod".into(),
            rate: 20.0
        }]
    );
}

#[test]
fn dashboard_zoom_freeze_maximise_and_selection() {
    let mut h = Harness::new();
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
            rest_api_id: api(),
            window_seconds: 300
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
