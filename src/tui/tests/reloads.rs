//! Reloads after changes: a burst of `Changed` events (and operation results) asks for one
//! reload; the runner's side is `runner_loop::a_burst_of_change_events_costs_one_reload`.

use super::Harness;
use crate::tui::effect::Effect;
use crate::tui::fake::SAMPLE_API;
use crate::tui::msg::{DataUpdate, Msg};

fn api() -> String {
    SAMPLE_API.to_string()
}

#[test]
fn a_burst_of_engine_change_events_asks_for_one_reload() {
    let mut h = Harness::new();
    for _ in 0..20 {
        let e = h.app.update(Msg::Data(DataUpdate::Changed));
        assert!(e.is_empty(), "a change only marks the data stale: {e:?}");
    }
    let e = h.app.take_reload();
    assert!(
        e.contains(&Effect::LoadApis) && e.contains(&Effect::LoadStages { rest_api_id: api() }),
        "{e:?}"
    );
    assert_eq!(e.iter().filter(|e| **e == Effect::LoadApis).count(), 1);
    assert!(h.app.take_reload().is_empty(), "and only once");
    // An operation's result and its change event are one burst too.
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
