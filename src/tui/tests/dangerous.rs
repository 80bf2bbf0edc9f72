//! Every dangerous action: declined, confirmed, and refused under `--readonly`.

use super::Harness;
use crate::model::PatchOperation;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::fake::SAMPLE_API;
use crate::tui::msg::Msg;

struct Case {
    name: &'static str,
    /// Keys that reach the state where the action applies.
    setup: &'static str,
    /// Keys (or `:command`) that trigger it.
    trigger: &'static str,
    expect: fn() -> Effect,
}

fn api() -> String {
    SAMPLE_API.into()
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "delete stage variable",
            setup: "3 j tab",
            trigger: "x",
            expect: || Effect::PatchStage {
                rest_api_id: api(),
                stage_name: "prod".into(),
                ops: vec![PatchOperation::remove("/variables/backend")],
            },
        },
        Case {
            name: "flush cache (key)",
            setup: "3 j",
            trigger: "F",
            expect: || Effect::FlushCache {
                rest_api_id: api(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "flush cache (command)",
            setup: "3 j",
            trigger: ":flush",
            expect: || Effect::FlushCache {
                rest_api_id: api(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "rollback (key)",
            setup: "3 j 4",
            trigger: "r",
            expect: || Effect::Rollback {
                rest_api_id: api(),
                stage_name: "prod".into(),
                deployment_id: "dep002".into(),
            },
        },
        Case {
            name: "rollback (command)",
            setup: "3 j",
            trigger: ":rollback dep002",
            expect: || Effect::Rollback {
                rest_api_id: api(),
                stage_name: "prod".into(),
                deployment_id: "dep002".into(),
            },
        },
        Case {
            name: "canary weight (apply)",
            setup: "3 j 5 + +",
            trigger: "enter",
            expect: || Effect::PatchStage {
                rest_api_id: api(),
                stage_name: "prod".into(),
                ops: vec![PatchOperation::replace(
                    "/canarySettings/percentTraffic",
                    "12.0",
                )],
            },
        },
        Case {
            name: "canary weight (command)",
            setup: "3 j",
            trigger: ":canary 25",
            expect: || Effect::PatchStage {
                rest_api_id: api(),
                stage_name: "prod".into(),
                ops: vec![PatchOperation::replace(
                    "/canarySettings/percentTraffic",
                    "25.0",
                )],
            },
        },
        Case {
            name: "create canary on a stage without one",
            setup: "3",
            trigger: ":canary 5",
            expect: || Effect::CreateCanary {
                rest_api_id: api(),
                stage_name: "dev".into(),
                percent_traffic: 5.0,
            },
        },
        Case {
            name: "promote (key)",
            setup: "3 j 5",
            trigger: "P",
            expect: || Effect::PromoteCanary {
                rest_api_id: api(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "promote (command)",
            setup: "3 j",
            trigger: ":promote",
            expect: || Effect::PromoteCanary {
                rest_api_id: api(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "delete canary",
            setup: "3 j 5",
            trigger: "X",
            expect: || Effect::DeleteCanary {
                rest_api_id: api(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "delete API key",
            setup: "8 tab",
            trigger: "x",
            expect: || Effect::DeleteApiKey {
                api_key_id: "key001".into(),
            },
        },
    ]
}

fn trigger(h: &mut Harness, t: &str) -> Vec<Effect> {
    match t.strip_prefix(':') {
        Some(cmd) => h.command(cmd),
        None => h.press(t),
    }
}

#[test]
fn dangerous_actions_do_nothing_until_confirmed() {
    for c in cases() {
        let mut h = Harness::new();
        h.press(c.setup);
        assert!(
            trigger(&mut h, c.trigger).is_empty(),
            "{}: nothing before confirmation",
            c.name
        );
        let pending = h
            .app
            .confirm
            .clone()
            .unwrap_or_else(|| panic!("{}: no confirmation ({})", c.name, h.flash()));
        assert!(pending.action.dangerous(), "{}", c.name);
        // unrelated keys are ignored while the dialog is up
        assert!(h.press("j 1 q").is_empty(), "{}", c.name);
        assert!(h.app.confirm.is_some() && !h.app.quit, "{}", c.name);
        assert!(h.press("n").is_empty(), "{}: declined", c.name);
        assert!(h.app.confirm.is_none(), "{}", c.name);
        assert_eq!(h.flash(), "cancelled");
        // again, Esc declines too
        trigger(&mut h, c.trigger);
        assert!(h.press("esc").is_empty(), "{}", c.name);
        // and y confirms
        trigger(&mut h, c.trigger);
        let effects = h.press("y");
        assert_eq!(effects, vec![(c.expect)()], "{}", c.name);
        h.settle(effects);
        assert!(!h.flash().contains("failed"), "{}: {}", c.name, h.flash());
    }
}

#[test]
fn readonly_refuses_dangerous_actions_in_one_place() {
    for c in cases() {
        let mut h = Harness::readonly();
        h.press(c.setup);
        assert!(trigger(&mut h, c.trigger).is_empty(), "{}", c.name);
        assert!(
            h.app.confirm.is_none(),
            "{}: no confirmation under readonly",
            c.name
        );
        assert!(
            h.flash().starts_with("read-only:"),
            "{}: {}",
            c.name,
            h.flash()
        );
        assert!(h.press("y").is_empty(), "{}", c.name);
    }
}

#[test]
fn readonly_refuses_every_mutating_action_however_it_arrives() {
    let mut h = Harness::readonly();
    h.press("3 j");
    for a in Action::ALL.iter().filter(|a| a.mutates()) {
        let effects = h.app.update(Msg::Action(*a, vec!["1".into()]));
        assert!(effects.is_empty(), "{a:?}");
        assert!(h.app.confirm.is_none() && h.app.prompt.is_none(), "{a:?}");
        assert!(h.flash().starts_with("read-only:"), "{a:?}: {}", h.flash());
    }
    // reading still works
    assert_eq!(h.press("6").len(), 1);
    assert_eq!(h.command("export /tmp/x.json").len(), 1);
}

#[test]
fn dangerous_actions_without_a_target_warn_instead_of_asking() {
    let mut h = Harness::new();
    h.press("3 tab");
    h.app.stages.iter_mut().for_each(|s| s.variables.clear());
    h.press("x");
    assert!(h.app.confirm.is_none());
    assert!(h.flash().contains("no variable selected"));
    h.press("3");
    h.command("rollback dep999");
    assert!(h.flash().contains("no deployment 'dep999'"));
    h.command("rollback dep002");
    assert!(
        h.flash().contains("already runs deployment dep002"),
        "{}",
        h.flash()
    );
    h.press("5 enter");
    assert!(h.flash().contains("nothing to apply"));
    h.press("P");
    assert!(h.flash().contains("dev has no canary"));
    h.command("canary 150");
    assert!(h.flash().contains("between 0.0 and 100.0"));
    assert!(h.app.confirm.is_none());
}

#[test]
fn confirmed_canary_weight_clears_the_pending_value() {
    let mut h = Harness::new();
    h.press("3 j 5 + enter y");
    assert_eq!(h.app.canary.pending, None);
}
