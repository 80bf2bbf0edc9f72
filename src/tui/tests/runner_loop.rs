//! The event loop end to end: scripted terminal events, a backend, a TestBackend. The
//! deploy and the live test panel run on the fake, in process and attached; the frame and
//! reload counts use the fake's hooks (it emits updates on demand and counts its loads).

use std::time::Duration;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use super::screen;
use super::served::{Rigs, on_every_backend, rig};
use crate::tui::app::App;
use crate::tui::backend::Backend;
use crate::tui::fake::{FakeBackend, SAMPLE_API};
use crate::tui::runner::{ConsoleOptions, app_config, event_loop};

fn key(c: char) -> Event {
    Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn loop_draws_performs_effects_and_quits<R: Rigs>() {
    let rig = rig::<R>();
    let backend = rig.backend.clone();
    let api = rig.w.api.clone();
    let dev = |b: &R::B| {
        rig.block_on(b.stages(api.clone()))
            .ok()
            .and_then(|(stages, _)| stages.into_iter().find(|s| s.stage_name == "dev"))
            .map(|s| s.deployment_id)
    };
    let before = dev(&backend);
    let (counting, shown) = Counting::new(100, 30);
    let mut terminal = Terminal::new(counting).expect("terminal");
    let mut app = App::new(app_config(&ConsoleOptions::default()).expect("config"));
    let (tx, rx) = mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    let script = async move {
        until_shown(&shown, "API PetStore").await;
        let _ = tx.send(Ok(key('3')));
        until_shown(&shown, "stages [2]").await;
        // dev: prod has a canary, which a deploy does not move past.
        for c in ":deploy dev".chars() {
            let _ = tx.send(Ok(key(c)));
        }
        let _ = tx.send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Enter,
            KeyModifiers::NONE,
        ))));
        // A deploy is confirmed first.
        until_shown(&shown, "to dev?").await;
        let _ = tx.send(Ok(key('y')));
        let _ = tx.send(Ok(Event::Resize(100, 30)));
        until_shown(&shown, "deploy dev: deployment ").await;
        let _ = tx.send(Ok(key('q')));
        tx
    };
    // On the console's own runtime (where an attached backend's connections live).
    let (result, _tx) = rig.block_on(async {
        let run = event_loop(&mut terminal, &mut app, backend.clone(), events);
        tokio::join!(run, script)
    });
    assert!(result.is_ok(), "{result:?}");
    assert!(app.quit);
    let text = screen(terminal.backend().inner.buffer());
    assert!(text.contains("stages [2]"), "{text}");
    assert!(text.contains(&backend.listener()), "{text}");
    if let Some(fake) = rig.fake() {
        let calls = fake
            .state
            .lock()
            .map(|s| s.calls.clone())
            .unwrap_or_default();
        assert_eq!(calls, vec![format!("deploy {SAMPLE_API} dev")]);
    }
    let after = dev(&backend);
    assert_ne!(after, before, "dev points at a new deployment");
    let id = after.unwrap_or_default();
    assert!(
        text.contains(&format!("deploy dev: deployment {id}")),
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

fn press(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// A `TestBackend` that counts frames and shares the last one's text.
struct Counting {
    inner: TestBackend,
    frames: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    screen: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Counting {
    fn new(w: u16, h: u16) -> (Counting, std::sync::Arc<std::sync::Mutex<String>>) {
        let screen = std::sync::Arc::<std::sync::Mutex<String>>::default();
        let backend = Counting {
            inner: TestBackend::new(w, h),
            frames: Default::default(),
            screen: screen.clone(),
        };
        (backend, screen)
    }
}

/// Waits (up to 20 s) until the last frame shows `want`: the script's keys must not run
/// ahead of a real backend's loads.
async fn until_shown(screen: &std::sync::Mutex<String>, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let text = screen.lock().map(|s| s.clone()).unwrap_or_default();
        if text.contains(want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{want:?} never shown:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

impl ratatui::backend::Backend for Counting {
    type Error = <TestBackend as ratatui::backend::Backend>::Error;
    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<ratatui::layout::Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        position: P,
    ) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, t: ratatui::backend::ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(t)
    }
    fn size(&self) -> Result<ratatui::layout::Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<ratatui::backend::WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.frames
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut s) = self.screen.lock() {
            *s = screen(self.inner.buffer());
        }
        self.inner.flush()
    }
}

#[test]
fn log_lines_redraw_only_the_logs_view() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let backend = FakeBackend::sample();
    let frames = std::sync::Arc::new(AtomicUsize::new(0));
    let mut terminal = Terminal::new(Counting {
        inner: TestBackend::new(100, 30),
        frames: frames.clone(),
        screen: Default::default(),
    })
    .expect("terminal");
    let mut app = App::new(app_config(&ConsoleOptions::default()).expect("config"));
    let (tx, rx) = mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    let flood = backend.clone();
    let counts = frames.clone();
    let script = async move {
        let line = || crate::tui::msg::LogLine {
            level: "ACCESS".into(),
            message: "GET /pets 200".into(),
            ..Default::default()
        };
        // let start-up loads land and draw; then the resources view (the APIs view redraws
        // each second with its live columns)
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = tx.send(Ok(key('2')));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = counts.load(Ordering::SeqCst);
        // 50 lines over ~0.5 s while the resources view shows: no frame
        for _ in 0..50 {
            flood.emit(crate::tui::msg::DataUpdate::Logs(vec![line()]));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let off_screen = counts.load(Ordering::SeqCst) - before;
        let _ = tx.send(Ok(key('7')));
        tokio::time::sleep(Duration::from_millis(100)).await;
        let before = counts.load(Ordering::SeqCst);
        for _ in 0..50 {
            flood.emit(crate::tui::msg::DataUpdate::Logs(vec![line()]));
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let on_screen = counts.load(Ordering::SeqCst) - before;
        let _ = tx.send(Ok(key('q')));
        (off_screen, on_screen, tx)
    };
    let (result, (off_screen, on_screen, _tx)) = rt.block_on(async {
        let run = event_loop(&mut terminal, &mut app, backend.clone(), events);
        tokio::join!(run, script)
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(off_screen, 0, "log lines off screen draw nothing");
    assert!(
        (3..=30).contains(&on_screen),
        "the logs view follows at most one frame per 33 ms: {on_screen} frames"
    );
    assert_eq!(app.logs.lines.len(), 100, "every line was kept");
}

fn the_test_panel_renders_live_through_the_loop_without_ctrl_t<R: Rigs>() {
    let rig = rig::<R>();
    let backend = rig.backend.clone();
    let (counting, shown) = Counting::new(160, 48);
    let mut terminal = Terminal::new(counting).expect("terminal");
    let mut app = App::new(app_config(&ConsoleOptions::default()).expect("config"));
    let (tx, rx) = mpsc::unbounded_channel::<std::io::Result<Event>>();
    let events = Box::pin(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (e, rx))
    }));
    let script = async move {
        until_shown(&shown, "API PetStore").await;
        // resources → /pets → POST → its request template
        for c in "2llj".chars() {
            let _ = tx.send(Ok(key(c)));
        }
        let _ = tx.send(Ok(key('j')));
        let _ = tx.send(Ok(key('l')));
        let _ = tx.send(Ok(key('j')));
        let _ = tx.send(Ok(press(KeyCode::Enter)));
        until_shown(&shown, "sample request").await;
        // type at the end of the first line: `#if(…)` then text is output
        let _ = tx.send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('e'),
            KeyModifiers::CONTROL,
        ))));
        for c in "LIVE".chars() {
            let _ = tx.send(Ok(key(c)));
        }
        // past the 150 ms debounce, the render's answer
        until_shown(&shown, "│LIVE").await;
        let _ = tx.send(Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL,
        ))));
        tx
    };
    let (result, _tx) = rig.block_on(async {
        let run = event_loop(&mut terminal, &mut app, backend, events);
        tokio::join!(run, script)
    });
    assert!(result.is_ok(), "{result:?}");
    let text = screen(terminal.backend().inner.buffer());
    assert!(
        text.contains("│LIVE"),
        "the output shows the edit without ctrl-t\n{text}"
    );
    assert!(!text.contains("rendering…"), "{text}");
}

#[test]
fn a_burst_of_change_events_costs_one_reload() {
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
    let engine = backend.clone();
    let loads = move || engine.state.lock().map(|s| s.api_loads).unwrap_or(0);
    let burst = backend.clone();
    let script = async move {
        // Polls with a deadline: the fake engine has no event for "loaded".
        async fn until(what: &str, mut ok: impl FnMut() -> bool) {
            let deadline = std::time::Instant::now() + Duration::from_secs(5);
            while !ok() {
                assert!(std::time::Instant::now() < deadline, "timed out: {what}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        until("the start-up load", || loads() == 1).await;
        // 100 change events, as a script of admin calls produces them: in five groups,
        // the loop running in between.
        for _ in 0..5 {
            for _ in 0..20 {
                burst.emit(crate::tui::msg::DataUpdate::Changed);
            }
            tokio::task::yield_now().await;
        }
        until("the reload", || loads() >= 2).await;
        // Past the reload delay again: a second reload would have started by now.
        tokio::time::sleep(crate::tui::runner::RELOAD_DELAY * 4).await;
        let after_burst = loads();
        // A later change is a new burst: one more reload.
        burst.emit(crate::tui::msg::DataUpdate::Changed);
        until("the second reload", || loads() >= 3).await;
        tokio::time::sleep(crate::tui::runner::RELOAD_DELAY * 4).await;
        let _ = tx.send(Ok(key('q')));
        (after_burst, loads(), tx)
    };
    let (result, (after_burst, total, _tx)) = rt.block_on(async {
        let run = event_loop(&mut terminal, &mut app, backend.clone(), events);
        tokio::join!(run, script)
    });
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(after_burst, 2, "100 change events cost one reload");
    assert_eq!(total, 3, "a later change reloads again");
}

on_every_backend!(
    loop_draws_performs_effects_and_quits,
    the_test_panel_renders_live_through_the_loop_without_ctrl_t,
);
