//! Every dangerous action: declined, confirmed, and refused under `--readonly`; on the
//! fake, in process and attached (each confirmed action is performed by the backend).

use super::Harness;
use super::served::{Rigs, World, on_every_backend, readonly, rig};
use crate::model::PatchOperation;
use crate::tui::action::Action;
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::msg::Msg;

struct Case {
    name: &'static str,
    /// Keys that reach the state where the action applies.
    setup: &'static str,
    /// Keys (or `:command`) that trigger it.
    trigger: String,
    expect: fn(&World) -> Effect,
}

fn cases(w: &World) -> Vec<Case> {
    vec![
        Case {
            name: "delete stage variable",
            setup: "3 j tab",
            trigger: "x".into(),
            expect: |w| Effect::PatchStage {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
                ops: vec![PatchOperation::remove("/variables/backend")],
            },
        },
        Case {
            name: "flush cache (key)",
            setup: "3 j",
            trigger: "F".into(),
            expect: |w| Effect::FlushCache {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "flush cache (command)",
            setup: "3 j",
            trigger: ":flush".into(),
            expect: |w| Effect::FlushCache {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "rollback (key)",
            setup: "3 j 4",
            trigger: "r".into(),
            expect: |w| Effect::Rollback {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
                deployment_id: w.second.clone(),
            },
        },
        Case {
            name: "rollback (command)",
            setup: "3 j",
            trigger: format!(":rollback {}", w.second),
            expect: |w| Effect::Rollback {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
                deployment_id: w.second.clone(),
            },
        },
        Case {
            name: "canary weight (apply)",
            setup: "3 j 5 + +",
            trigger: "enter".into(),
            expect: |w| Effect::PatchStage {
                rest_api_id: w.api.clone(),
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
            trigger: ":canary 25".into(),
            expect: |w| Effect::PatchStage {
                rest_api_id: w.api.clone(),
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
            trigger: ":canary 5".into(),
            expect: |w| Effect::CreateCanary {
                rest_api_id: w.api.clone(),
                stage_name: "dev".into(),
                percent_traffic: 5.0,
            },
        },
        Case {
            name: "promote (key)",
            setup: "3 j 5",
            trigger: "P".into(),
            expect: |w| Effect::PromoteCanary {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "promote (command)",
            setup: "3 j",
            trigger: ":promote".into(),
            expect: |w| Effect::PromoteCanary {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "delete canary",
            setup: "3 j 5",
            trigger: "X".into(),
            expect: |w| Effect::DeleteCanary {
                rest_api_id: w.api.clone(),
                stage_name: "prod".into(),
            },
        },
        Case {
            name: "delete API key",
            setup: "8 tab",
            trigger: "x".into(),
            expect: |w| Effect::DeleteApiKey {
                api_key_id: w.alice.clone(),
            },
        },
    ]
}

fn trigger<B: Backend>(h: &mut Harness<B>, t: &str) -> Vec<Effect> {
    match t.strip_prefix(':') {
        Some(cmd) => h.command(cmd),
        None => h.press(t),
    }
}

fn dangerous_actions_do_nothing_until_confirmed<R: Rigs>() {
    for i in 0..cases(&World::fake()).len() {
        // A fresh world per case: the cases undo each other (promote, delete canary).
        let mut h = rig::<R>();
        let c = cases(&h.w).swap_remove(i);
        h.press(c.setup);
        assert!(
            trigger(&mut h, &c.trigger).is_empty(),
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
        trigger(&mut h, &c.trigger);
        assert!(h.press("esc").is_empty(), "{}", c.name);
        // and y confirms
        trigger(&mut h, &c.trigger);
        let effects = h.press("y");
        assert_eq!(effects, vec![(c.expect)(&h.w)], "{}", c.name);
        h.settle(effects);
        assert!(!h.flash().contains("failed"), "{}: {}", c.name, h.flash());
    }
}

fn readonly_refuses_dangerous_actions_in_one_place<R: Rigs>() {
    for i in 0..cases(&World::fake()).len() {
        let mut h = readonly::<R>();
        let c = cases(&h.w).swap_remove(i);
        h.press(c.setup);
        assert!(trigger(&mut h, &c.trigger).is_empty(), "{}", c.name);
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

fn readonly_refuses_every_mutating_action_however_it_arrives<R: Rigs>() {
    let mut h = readonly::<R>();
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

fn dangerous_actions_without_a_target_warn_instead_of_asking<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("3 tab");
    h.app.stages.iter_mut().for_each(|s| s.variables.clear());
    h.press("x");
    assert!(h.app.confirm.is_none());
    assert!(h.flash().contains("no variable selected"));
    h.press("3");
    h.command("rollback dep999");
    assert!(h.flash().contains("no deployment 'dep999'"));
    let second = h.w.second.clone();
    h.command(&format!("rollback {second}"));
    assert!(
        h.flash()
            .contains(&format!("already runs deployment {second}")),
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

fn confirmed_canary_weight_clears_the_pending_value<R: Rigs>() {
    let mut h = rig::<R>();
    let effects = h.press("3 j 5 + enter y");
    assert_eq!(h.app.canary.pending, None);
    h.settle(effects);
    assert!(!h.flash().contains("failed"), "{}", h.flash());
}

on_every_backend!(
    dangerous_actions_do_nothing_until_confirmed,
    readonly_refuses_dangerous_actions_in_one_place,
    readonly_refuses_every_mutating_action_however_it_arrives,
    dangerous_actions_without_a_target_warn_instead_of_asking,
    confirmed_canary_weight_clears_the_pending_value,
);
