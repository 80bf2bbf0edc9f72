//! Reloads after changes: a burst of `Changed` events (and operation results) asks for one
//! reload; the runner's side is `runner_loop::a_burst_of_change_events_costs_one_reload`.
//! On the fake, in process and attached: on a real engine the burst follows a real change
//! (made behind the console's back), which the one reload brings in.

use super::Harness;
use super::served::{Rigs, on_every_backend, rig};
use crate::model::PatchOperation;
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, Msg};

fn a_burst_of_engine_change_events_asks_for_one_reload<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    // A change the console has not seen: a stage variable on dev.
    let op = PatchOperation::replace("/variables/burst", "1");
    let changed = h.block_on(h.backend.patch_stage(api.clone(), "dev".into(), vec![op]));
    assert!(changed.is_ok(), "{changed:?}");
    let dev = |h: &Harness<R::B>| {
        h.app
            .stages
            .iter()
            .find(|s| s.stage_name == "dev")
            .map(|s| s.variables.contains_key("burst"))
    };
    assert_eq!(dev(&h), Some(false), "not reloaded yet");
    for _ in 0..20 {
        let e = h.app.update(Msg::Data(DataUpdate::Changed));
        assert!(e.is_empty(), "a change only marks the data stale: {e:?}");
    }
    let e = h.app.take_reload();
    assert!(
        e.contains(&Effect::LoadApis)
            && e.contains(&Effect::LoadStages {
                rest_api_id: api.clone()
            }),
        "{e:?}"
    );
    assert_eq!(e.iter().filter(|e| **e == Effect::LoadApis).count(), 1);
    assert!(h.app.take_reload().is_empty(), "and only once");
    h.settle(e);
    assert_eq!(dev(&h), Some(true), "the one reload brought the change in");
    // An operation's result and its change event are one burst too.
    h.app.update(Msg::Data(DataUpdate::OpResult {
        what: "deploy prod".into(),
        result: Ok(String::new()),
    }));
    h.app.update(Msg::Data(DataUpdate::Changed));
    let e = h.app.take_reload();
    assert_eq!(e.iter().filter(|e| **e == Effect::LoadApis).count(), 1);
    assert!(h.app.take_reload().is_empty());
}

on_every_backend!(a_burst_of_engine_change_events_asks_for_one_reload);

/// The fake counts its loads: settling the burst costs exactly one.
#[test]
fn a_burst_settles_with_one_load_of_the_apis() {
    let mut h = Harness::new();
    h.app.update(Msg::Data(DataUpdate::OpResult {
        what: "deploy prod".into(),
        result: Ok(String::new()),
    }));
    h.app.update(Msg::Data(DataUpdate::Changed));
    let loads = h.backend.state.lock().map(|s| s.api_loads).unwrap_or(0);
    h.settle(Vec::new());
    assert_eq!(
        h.backend.state.lock().map(|s| s.api_loads).unwrap_or(0),
        loads + 1
    );
}
