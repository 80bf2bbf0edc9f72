//! Issue 20's console UX, key-script tests on the fake backend and `TestBackend`: the live
//! columns of the APIs view, the message history, progress of long operations, confirming
//! deploys and export overwrites, the dropped-log-lines counter, and the editor output
//! pane's keys coming from the keymap. On the fake, in process and attached: the live
//! columns show the fake's synthetic traffic, or real requests sent to a real engine.

use std::time::Duration;

use super::screen;
use super::served::{Rigs, on_every_backend, rig};
use crate::tui::app::{Level, MESSAGE_HISTORY};
use crate::tui::backend::Backend;
use crate::tui::effect::Effect;
use crate::tui::keymap::{Key, Keymap, Scope};
use crate::tui::metrics::{MetricsSnapshot, sparkline};
use crate::tui::msg::{DataUpdate, Msg};

fn the_apis_view_polls_and_shows_live_rate_errors_p99_and_a_sparkline_per_stage<R: Rigs>() {
    let mut h = rig::<R>();
    let api = h.w.api.clone();
    // The fake has synthetic traffic on prod; a real engine gets real requests on dev:
    // eight the MOCK answers, two its template refuses (no name: no status code).
    let stage = match h.served() {
        None => "prod",
        Some(s) => {
            let ok = s.requests("POST", "dev", "/pets", r#"{"name":"Rex"}"#, 8);
            let bad = s.requests("POST", "dev", "/pets", r#"{"name":""}"#, 2);
            assert!(ok.iter().all(|(status, _)| *status == 200), "{ok:?}");
            assert!(bad.iter().all(|(status, _)| *status >= 400), "{bad:?}");
            "dev"
        }
    };
    let polls = h.tick(Duration::from_secs(1));
    assert_eq!(
        polls,
        vec![Effect::LoadPulse {
            rest_api_id: api.clone()
        }]
    );
    h.settle(polls.clone());
    // A snapshot ends at the last closed second: poll until the seconds of all ten requests
    // have closed.
    let counted = |h: &super::served::Rig<R::B>| -> u64 {
        h.app.pulse.get(&api).map_or(0, |p| {
            p.series
                .iter()
                .flat_map(|s| s.buckets.iter())
                .map(|b| b.count)
                .sum()
        })
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while h.served().is_some() && counted(&h) < 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        h.settle(polls.clone());
    }
    let snapshot = h.app.pulse.get(&api).expect("pulse stored").clone();
    let pulse = snapshot.pulse(60, 10, 30);
    assert_eq!(pulse.len(), 1, "traffic on {stage} only: {pulse:?}");
    let row = &pulse[0];
    assert_eq!(row.stage, stage);
    assert!(row.requests_per_second > 0.0);
    assert!(
        row.error_percent > 0.0 && row.error_percent < 100.0,
        "{row:?}"
    );
    if h.served().is_none() {
        assert!(row.p99_ms >= 60.0, "sample p99 is 3× a latency of 20–30 ms");
    } else {
        assert!(row.p99_ms > 0.0, "{row:?}");
    }
    assert_eq!(row.trend.len(), 30);
    let prod = row;
    let text = screen(&h.render(140, 40));
    assert!(text.contains("live: last minute"), "{text}");
    assert!(text.contains("REQ/S") && text.contains("P99 ms"), "{text}");
    // (Past the header, which names the API and the selected stage too.)
    let row = text
        .lines()
        .skip(1)
        .find(|l| l.contains(stage) && l.contains(&format!("({api})")))
        .unwrap_or_else(|| panic!("no live row for {stage}:\n{text}"));
    assert!(
        row.contains(&format!("{:.1}", prod.requests_per_second)),
        "{row}"
    );
    assert!(
        row.chars().any(|c| ('▁'..='█').contains(&c)),
        "no sparkline: {row}"
    );
    // Other views do not poll the live columns.
    h.press("2");
    assert!(
        !h.tick(Duration::from_secs(2))
            .iter()
            .any(|e| matches!(e, Effect::LoadPulse { .. }))
    );
    // The pane says when there is no traffic.
    h.press("1");
    h.app.update(Msg::Data(DataUpdate::Pulse(MetricsSnapshot {
        rest_api_id: api.clone(),
        ..MetricsSnapshot::default()
    })));
    let text = screen(&h.render(140, 40));
    assert!(text.contains("No requests in the last minute."), "{text}");
    // Unknown APIs are not kept.
    h.app.update(Msg::Data(DataUpdate::Pulse(MetricsSnapshot {
        rest_api_id: "nosuchapi".into(),
        ..MetricsSnapshot::default()
    })));
    assert!(!h.app.pulse.contains_key("nosuchapi"));
}

#[test]
fn sparklines_scale_to_the_largest_column_and_leave_idle_ones_blank() {
    assert_eq!(sparkline(&[0, 1, 4, 8]), " ▂▅█");
    assert_eq!(sparkline(&[0, 0]), "  ");
    assert_eq!(sparkline(&[]), "");
}

fn messages_keeps_what_the_flash_line_showed_after_it_fades<R: Rigs>() {
    let mut h = rig::<R>();
    h.app.flash(Level::Error, "deploy prod failed: boom".into());
    h.app.flash(Level::Info, "theme dark".into());
    h.tick(Duration::from_secs(7));
    assert!(h.app.flash.is_none(), "the flash faded");
    h.command("messages");
    assert!(h.app.messages_open);
    let text = screen(&h.render(120, 40));
    assert!(text.contains("messages ["), "{text}");
    assert!(text.contains("deploy prod failed: boom"), "{text}");
    assert!(text.contains("theme dark"), "{text}");
    // Keys do not reach the view underneath; esc closes.
    h.press("3");
    assert_eq!(h.app.view(), crate::tui::view::ViewKind::Apis);
    h.press("esc");
    assert!(!h.app.messages_open);
    h.press("M");
    assert!(h.app.messages_open, "M opens it too");
    h.press("M");
    assert!(!h.app.messages_open);
    // Bounded.
    for i in 0..MESSAGE_HISTORY + 10 {
        h.app.flash(Level::Info, format!("m{i}"));
    }
    assert_eq!(h.app.messages.len(), MESSAGE_HISTORY);
    assert_eq!(
        h.app.messages.back().map(|m| m.text.clone()),
        Some(format!("m{}", MESSAGE_HISTORY + 9))
    );
}

fn deploy_asks_first_and_shows_progress_until_its_result<R: Rigs>() {
    let mut h = rig::<R>();
    // dev: prod has a canary, which a deploy may not move past (AWS refuses it).
    h.press("3");
    assert_eq!(h.app.stage.as_deref(), Some("dev"));
    let effects = h.command("deploy dev first release");
    assert!(effects.is_empty(), "nothing runs before y: {effects:?}");
    let question = h.app.confirm.as_ref().map(|p| p.question.clone());
    assert_eq!(
        question.as_deref(),
        Some(format!("deploy the current definition of {} to dev?", h.w.api).as_str())
    );
    let text = screen(&h.render(120, 40));
    assert!(text.contains("to dev?"), "{text}");
    // n: nothing deployed.
    let api = h.w.api.clone();
    let deployments = |h: &super::Harness<R::B>| {
        h.block_on(h.backend.stages(api.clone()))
            .map(|(_, d)| d.len())
            .unwrap_or_default()
    };
    let before = deployments(&h);
    h.press("n");
    assert_eq!(deployments(&h), before);
    // Through the prompt, then y.
    h.press("D");
    h.type_text("hotfix");
    assert!(h.press("enter").is_empty());
    assert!(
        h.app.confirm.is_some(),
        "the prompt's answer is confirmed too"
    );
    let effects = h.press("y");
    assert!(matches!(effects.as_slice(), [Effect::Deploy { .. }]));
    assert_eq!(h.app.busy.len(), 1);
    assert_eq!(h.app.busy[0].what, "deploy dev");
    h.app.now += Duration::from_secs(3);
    assert!(
        h.app.shows(&Msg::Tick(h.app.now)),
        "the elapsed time redraws"
    );
    let text = screen(&h.render(120, 40));
    assert!(text.contains("⟳ deploy dev… 3s"), "{text}");
    h.settle(effects);
    assert!(h.app.busy.is_empty(), "the result ends it");
    assert!(!h.app.shows(&Msg::Tick(h.app.now)));
    assert_eq!(deployments(&h), before + 1, "deployed: {}", h.flash());
    assert!(h.flash().contains("deploy dev"), "{}", h.flash());
}

fn import_and_export_show_progress_and_export_asks_before_overwriting<R: Rigs>() {
    let dir = tempfile::tempdir().expect("temp dir");
    let existing = dir.path().join("api.json");
    std::fs::write(&existing, "{}").expect("write");
    let fresh = dir.path().join("new.json");
    let mut h = rig::<R>();
    // A new file: no question.
    let effects = h.command(&format!("export {}", fresh.display()));
    assert!(matches!(effects.as_slice(), [Effect::Export { .. }]));
    assert!(h.app.confirm.is_none());
    assert_eq!(h.app.busy.len(), 1);
    h.settle(effects);
    assert!(h.app.busy.is_empty());
    // An existing file: asked first, through the command and through the prompt.
    assert!(
        h.command(&format!("export {}", existing.display()))
            .is_empty()
    );
    let q = h
        .app
        .confirm
        .as_ref()
        .map(|p| p.question.clone())
        .unwrap_or_default();
    assert!(q.contains("exists: overwrite it?"), "{q}");
    h.press("n");
    h.press("1 E");
    h.press("ctrl-u");
    h.type_text(&existing.display().to_string());
    assert!(h.press("enter").is_empty());
    assert!(h.app.confirm.is_some());
    let effects = h.press("y");
    assert!(matches!(effects.as_slice(), [Effect::Export { .. }]));
    // Import is tracked the same way.
    let effects = h.command(&format!("import {}", existing.display()));
    assert_eq!(
        h.app.busy.last().map(|b| b.what.clone()),
        Some(format!("import {}", existing.display()))
    );
    h.settle(effects);
    assert!(
        !h.app.busy.iter().any(|b| b.what.starts_with("import")),
        "{:?}",
        h.app.busy
    );
}

fn the_logs_view_counts_lines_the_console_dropped<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("7");
    let text = screen(&h.render(120, 30));
    assert!(!text.contains("dropped"), "{text}");
    assert!(
        h.app.shows(&Msg::Data(DataUpdate::LogsDropped(1))),
        "the logs view redraws for it"
    );
    h.app.update(Msg::Data(DataUpdate::LogsDropped(120)));
    h.app.update(Msg::Data(DataUpdate::LogsDropped(8)));
    let text = screen(&h.render(120, 30));
    assert!(text.contains("⚠ 128 dropped"), "{text}");
}

fn the_editor_output_pane_scrolls_with_keymap_keys_listed_in_help<R: Rigs>() {
    let keys: toml::Table = toml::from_str("down = [\"n\", \"j\"]").expect("toml");
    let km = Keymap::with_overrides(&keys).expect("keymap");
    let k = |s: &str| Key::parse(s).expect("key");
    assert_eq!(
        km.lookup_in(Scope::EditorOutput, k("n")),
        Some(crate::tui::action::Action::Down)
    );
    assert_eq!(
        Keymap::default().lookup_in(Scope::EditorOutput, k("n")),
        None
    );
    let help = Keymap::default().help(crate::tui::view::ViewKind::Editor);
    let output = help
        .iter()
        .find(|(title, _)| title == "output pane")
        .expect("an output pane section");
    assert!(
        output.1.iter().any(|(keys, _, _)| keys == "j ↓"),
        "{:?}",
        output.1
    );
    assert!(output.1.iter().any(|(keys, _, _)| keys == "pgdn space"));

    // In the editor: f6 twice reaches the output pane; j scrolls it, G goes to the end.
    let mut h = rig::<R>();
    let w = h.w.clone();
    super::app_logic::open_post_template(&mut h, &w);
    let out = (0..50)
        .map(|i| format!("line {i}"))
        .collect::<Vec<_>>()
        .join("\n");
    if let Some(ed) = h.app.editor.as_mut() {
        ed.test_output = Some(Ok(out));
    }
    h.press("f6 f6");
    assert_eq!(
        h.app.focus_of(crate::tui::view::ViewKind::Editor),
        crate::tui::app::PANE_OUTPUT
    );
    h.press("j j");
    assert_eq!(h.app.editor.as_ref().map(|e| e.output_scroll), Some(2));
    h.press("G");
    assert_eq!(h.app.editor.as_ref().map(|e| e.output_scroll), Some(49));
    h.press("g");
    assert_eq!(h.app.editor.as_ref().map(|e| e.output_scroll), Some(0));
}

on_every_backend!(
    the_apis_view_polls_and_shows_live_rate_errors_p99_and_a_sparkline_per_stage,
    messages_keeps_what_the_flash_line_showed_after_it_fades,
    deploy_asks_first_and_shows_progress_until_its_result,
    import_and_export_show_progress_and_export_asks_before_overwriting,
    the_logs_view_counts_lines_the_console_dropped,
    the_editor_output_pane_scrolls_with_keymap_keys_listed_in_help,
);
