//! Every view as text at 80×24 and 160×48 (insta snapshots in `src/tui/snapshots/`).
//! The fake world has fixed ids and times; [`scrub`] still masks anything clock- or
//! id-shaped that could slip in (request ids, wall-clock times), so a snapshot changes only
//! when the screen does. Styles are asserted in `render.rs`; these pin the layout and text.
//!
//! Update after an intended change: `INSTA_UPDATE=always cargo test --lib tui::tests::snapshots`
//! (or `cargo insta review`), then review the diff of `src/tui/snapshots/`.

use super::{Harness, screen};
use crate::tui::fake::{SAMPLE_API, SAMPLE_NOW};
use crate::tui::msg::{DataUpdate, LogLine, Msg};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Masks generated values: UUID-shaped request ids and `Instant`-derived durations.
pub fn scrub(text: &str) -> String {
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    match uuid {
        Ok(re) => re.replace_all(text, "[uuid]").into_owned(),
        Err(_) => text.to_string(),
    }
}

fn snap(h: &Harness, name: &str) {
    for (w, hh) in SIZES {
        let text = scrub(&screen(&h.render(w, hh)));
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(format!("{name}_{w}x{hh}"), text);
        });
    }
}

fn at(keys: &str) -> Harness {
    let mut h = Harness::new();
    let e = h.press(keys);
    h.settle(e);
    h
}

#[test]
fn apis() {
    snap(&at("1"), "apis");
}

#[test]
fn resources_with_a_method_selected() {
    snap(&at("2 l l j"), "resources");
}

#[test]
fn stages_with_prod_selected() {
    snap(&at("3 j"), "stages");
}

#[test]
fn deployments() {
    snap(&at("4"), "deployments");
}

#[test]
fn diff_of_two_deployments() {
    let mut h = at("4");
    let e = h.press("space j space d");
    h.settle(e);
    snap(&h, "diff");
}

#[test]
fn canary() {
    let mut h = at("3 j");
    let e = h.press("5");
    h.settle(e);
    snap(&h, "canary");
}

#[test]
fn dashboard() {
    snap(&at("6"), "dashboard");
}

#[test]
fn logs() {
    let mut h = at("7");
    let lines = (0..30)
        .map(|i| LogLine {
            epoch_millis: SAMPLE_NOW * 1000 + i * 250,
            level: if i % 7 == 3 { "ERROR" } else { "ACCESS" }.into(),
            rest_api_id: SAMPLE_API.into(),
            stage: if i % 2 == 0 { "prod" } else { "dev" }.into(),
            request_id: format!("req-{i:04}"),
            message: format!(
                "GET /pets {} base {:.1} ms (/pets)",
                if i % 7 == 3 { 502 } else { 200 },
                3.0 + i as f64 / 10.0
            ),
        })
        .collect();
    h.app.update(Msg::Data(DataUpdate::Logs(lines)));
    snap(&h, "logs");
}

#[test]
fn keys_and_usage_plans() {
    snap(&at("8"), "keys");
}

#[test]
fn template_editor_with_live_output() {
    let mut h = Harness::new();
    h.press("2 l l j j l j");
    let e = h.press("enter");
    h.settle(e);
    snap(&h, "editor");
}

#[test]
fn help_overlay() {
    snap(&at("3 ?"), "help");
}

#[test]
fn confirm_dialog() {
    snap(&at("3 j F"), "confirm");
}
