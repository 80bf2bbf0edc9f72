//! The event loop end to end: scripted terminal events, the fake engine, a TestBackend.

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use super::screen;
use crate::tui::app::App;
use crate::tui::fake::{FakeBackend, SAMPLE_API};
use crate::tui::runner::{ConsoleOptions, app_config, event_loop};

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

#[test]
fn loop_draws_performs_effects_and_quits() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let backend = FakeBackend::sample();
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).expect("terminal");
    let mut app = App::new(app_config(&ConsoleOptions::default()).expect("config"));
    let (tx, rx) = mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    let script = async move {
        let pause = || tokio::time::sleep(Duration::from_millis(80));
        pause().await;
        let _ = tx.send(Ok(key('3')));
        pause().await;
        for c in ":deploy prod".chars() {
            let _ = tx.send(Ok(key(c)));
        }
        let _ = tx.send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        ))));
        let _ = tx.send(Ok(Event::Resize(100, 30)));
        pause().await;
        pause().await;
        let _ = tx.send(Ok(key('q')));
        tx
    };
    let backend2 = backend.clone();
    let (result, _tx) = rt.block_on(async {
        let run = event_loop(&mut terminal, &mut app, backend2, events);
        tokio::join!(run, script)
    });
    assert!(result.is_ok(), "{result:?}");
    assert!(app.quit);
    let text = screen(terminal.backend().buffer());
    assert!(text.contains("stages [2]"), "{text}");
    assert!(text.contains("127.0.0.1:4566"));
    let calls = backend
        .state
        .lock()
        .map(|s| s.calls.clone())
        .unwrap_or_default();
    assert_eq!(calls, vec![format!("deploy {SAMPLE_API} prod")]);
    assert!(
        text.contains("deploy prod: deployment dep003"),
        "the result came back as a flash\n{text}"
    );
}

#[test]
fn config_file_supplies_keys_and_theme_and_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "theme = \"gruvbox\"\n[keys]\nflush = \"ctrl-x\"\n").expect("write");
    let cfg = app_config(&ConsoleOptions {
        config_file: Some(path.clone()),
        ..Default::default()
    })
    .expect("config");
    assert_eq!(cfg.theme.name, "gruvbox");
    assert!(
        cfg.keymap
            .bindings()
            .iter()
            .any(|b| b.key.label() == "ctrl-x")
    );
    let cfg = app_config(&ConsoleOptions {
        config_file: Some(path.clone()),
        theme: Some("ansi16".into()),
        readonly: true,
        ..Default::default()
    })
    .expect("config");
    assert_eq!(cfg.theme.name, "ansi16", "the command line wins");
    assert!(cfg.readonly);
    std::fs::write(&path, "[keys]\nflsh = \"x\"\n").expect("write");
    let err = app_config(&ConsoleOptions {
        config_file: Some(path.clone()),
        ..Default::default()
    })
    .err()
    .map(|e| format!("{e:#}"))
    .unwrap_or_default();
    assert!(err.contains("config.toml") && err.contains("flsh"), "{err}");
    let theme = dir.path().join("mine.toml");
    std::fs::write(&theme, "[frame]\nborder = 12\n").expect("write");
    let err = app_config(&ConsoleOptions {
        theme: Some(theme.display().to_string()),
        ..Default::default()
    })
    .err()
    .map(|e| format!("{e:#}"))
    .unwrap_or_default();
    assert!(
        err.contains("mine.toml") && err.contains("frame.border"),
        "{err}"
    );
    let user_dir = dir.path().join("themes");
    std::fs::create_dir(&user_dir).expect("mkdir");
    std::fs::write(user_dir.join("ocean.toml"), "[meta]\nname = \"ocean\"\n").expect("write");
    let cfg = app_config(&ConsoleOptions {
        theme: Some("ocean".into()),
        theme_dir: Some(user_dir.clone()),
        ..Default::default()
    })
    .expect("config");
    assert_eq!(cfg.theme.name, "ocean");
    let app = App::new(cfg);
    assert!(
        app.theme_names().contains(&"ocean".to_string()),
        "user themes join the t cycle"
    );
}
