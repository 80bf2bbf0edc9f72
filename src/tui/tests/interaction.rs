//! Console behaviour around the lists: the logs view, keys and plans, import and export
//! prompts, themes, flash messages, mouse and keymap overrides. On the fake, in process and
//! attached.

use std::time::Duration;

use super::served::{Rigs, on_every_backend, rig};
use crate::model::PatchOperation;
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, LogLine, Msg};
use crate::tui::view::ViewKind;

fn log(i: i64, level: &str, msg: &str) -> LogLine {
    LogLine {
        epoch_millis: 1_767_225_600_000 + i,
        level: level.into(),
        rest_api_id: "a1b2c3d4e5".into(),
        stage: "prod".into(),
        request_id: format!("req-{i}"),
        message: msg.into(),
    }
}

fn logs_tail_pause_scroll_filter_and_save<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("7");
    h.app.update(Msg::Data(DataUpdate::Logs(
        (0..50).map(|i| log(i, "INFO", "GET /pets 200")).collect(),
    )));
    assert!(h.app.logs.follow);
    h.press("k k");
    assert!(!h.app.logs.follow);
    assert_eq!(h.app.cursor(ViewKind::Logs, 0), 47);
    h.press("G");
    assert!(h.app.logs.follow);
    h.press("p");
    h.app
        .update(Msg::Data(DataUpdate::Logs(vec![log(99, "ERROR", "boom")])));
    assert_eq!(h.app.logs.lines.len(), 50);
    assert_eq!(h.app.logs.held.len(), 1);
    h.press("p");
    assert_eq!(h.app.logs.lines.len(), 51);
    h.press("/");
    h.type_text("boom");
    h.press("enter");
    assert_eq!(h.app.log_rows().len(), 1);
    h.press("s ctrl-u");
    h.type_text("/tmp/out.log");
    let e = h.press("enter");
    let [Effect::WriteFile { path, contents }] = e.as_slice() else {
        panic!("{e:?}")
    };
    assert_eq!(path, "/tmp/out.log");
    assert_eq!(contents.lines().count(), 1);
    assert!(
        contents.contains("00:00:00.099 ERROR  prod req-99 boom"),
        "{contents}"
    );
    h.press("c");
    assert!(h.app.logs.lines.is_empty());
}

fn logs_are_capped<R: Rigs>() {
    let mut h = rig::<R>();
    let lines: Vec<LogLine> = (0..(crate::tui::app::LOG_CAPACITY as i64 + 10))
        .map(|i| log(i, "INFO", "x"))
        .collect();
    h.app.update(Msg::Data(DataUpdate::Logs(lines)));
    assert_eq!(h.app.logs.lines.len(), crate::tui::app::LOG_CAPACITY);
}

fn keys_create_toggle_and_plans<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("8 c");
    h.type_text("carol");
    let e = h.press("enter");
    assert_eq!(
        e,
        vec![Effect::CreateApiKey {
            name: "carol".into()
        }]
    );
    h.settle(e);
    assert_eq!(h.app.usage.keys.len(), 3);
    h.press("C");
    assert!(h.press("enter").is_empty(), "a name is required");
    h.type_text("gold");
    assert_eq!(
        h.press("enter"),
        vec![Effect::CreateUsagePlan {
            name: "gold".into()
        }]
    );
    h.press("tab");
    let e = h.press("e");
    assert_eq!(
        e,
        vec![Effect::UpdateApiKey {
            api_key_id: h.w.alice.clone(),
            ops: vec![PatchOperation::replace("/enabled", "false")]
        }]
    );
    h.settle(e);
    let alice = h.w.alice.clone();
    assert!(
        h.app.usage.keys.iter().any(|k| k.id == alice && !k.enabled),
        "{:?}",
        h.app.usage.keys
    );
}

fn apis_import_and_export_prompts<R: Rigs>() {
    let mut h = rig::<R>();
    h.press("i");
    h.type_text("/tmp/api.yaml");
    assert_eq!(
        h.press("enter"),
        vec![Effect::Import {
            path: "/tmp/api.yaml".into()
        }]
    );
    h.press("E");
    assert_eq!(
        h.app.prompt.as_ref().map(|p| p.text.as_str()),
        Some("./PetStore.json")
    );
    assert_eq!(
        h.press("enter"),
        vec![Effect::Export {
            rest_api_id: h.w.api.clone(),
            path: "./PetStore.json".into()
        }]
    );
    assert_eq!(
        h.command("import x.json"),
        vec![Effect::Import {
            path: "x.json".into()
        }]
    );
}

fn theme_cycles_and_bad_theme_flashes<R: Rigs>() {
    let mut h = rig::<R>();
    assert_eq!(h.app.theme.name, "default-dark");
    h.press("t");
    assert_eq!(h.app.theme.name, "default-light");
    h.press("t t t");
    assert_eq!(h.app.theme.name, "default-dark");
    h.command("theme nope");
    assert!(h.flash().contains("no such built-in theme"));
}

fn flash_expires_after_six_seconds<R: Rigs>() {
    let mut h = rig::<R>();
    h.command("nonsense");
    assert!(h.app.flash.is_some());
    h.tick(Duration::from_secs(3));
    assert!(h.app.flash.is_some());
    h.tick(Duration::from_secs(7));
    assert!(h.app.flash.is_none());
}

fn operation_failures_flash_and_reload<R: Rigs>() {
    let mut h = rig::<R>();
    // The fake is told to fail; a real engine fails because the API went away behind the
    // console's back.
    let want = match h.served() {
        None => {
            if let Some(fake) = h.fake()
                && let Ok(mut s) = fake.state.lock()
            {
                s.fail_next = Some("Too Many Requests".into());
            }
            "deploy prod failed: Too Many Requests"
        }
        Some(s) => {
            let deleted =
                s.rt.block_on(s.gw.delete_rest_api(&crate::engine::Actor::new("test"), &s.api));
            assert!(deleted.is_ok(), "{deleted:?}");
            "deploy prod failed: Invalid API identifier specified"
        }
    };
    assert!(h.command("deploy prod").is_empty(), "confirmed first");
    let e = h.press("y");
    h.settle(e);
    // The reload after it may fail too (the API is gone): the history keeps both.
    assert!(
        h.app.messages.iter().any(|m| m.text.contains(want)),
        "{:?}",
        h.app.messages
    );
}

fn mouse_clicks_select_rows_and_wheel_scrolls<R: Rigs>() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut h = rig::<R>();
    h.press("3");
    let _ = h.render(120, 40);
    let buf = h.render(120, 40);
    let (x, y) = super::find(&buf, "prod").expect("prod on screen");
    h.app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(h.app.stage.as_deref(), Some("prod"));
    h.app.update(Msg::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollUp,
        column: x,
        row: y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(h.app.stage.as_deref(), Some("dev"));
}

fn keymap_overrides_drive_keys_hints_and_help<R: Rigs>() {
    let table: toml::Table = toml::from_str("flush = \"ctrl-x\"").unwrap_or_default();
    let keymap = crate::tui::keymap::Keymap::with_overrides(&table).unwrap_or_default();
    let mut h = R::rig(crate::tui::app::AppConfig {
        keymap,
        ..Default::default()
    });
    h.press("3 F");
    assert!(h.app.confirm.is_none());
    h.press("ctrl-x");
    assert!(h.app.confirm.is_some());
    let hints = h.app.keymap.hints(ViewKind::Stages);
    assert!(
        hints
            .iter()
            .any(|(k, d)| k == "ctrl-x" && *d == "flush cache")
    );
}

on_every_backend!(
    logs_tail_pause_scroll_filter_and_save,
    logs_are_capped,
    keys_create_toggle_and_plans,
    apis_import_and_export_prompts,
    theme_cycles_and_bad_theme_flashes,
    flash_expires_after_six_seconds,
    operation_failures_flash_and_reload,
    mouse_clicks_select_rows_and_wheel_scrolls,
    keymap_overrides_drive_keys_hints_and_help,
);
