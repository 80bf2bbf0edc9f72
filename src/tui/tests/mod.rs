//! Console tests: app logic (keys in, state and effects out) and rendering on
//! ratatui's `TestBackend`, driven headlessly against the in-memory fake backend.

mod app_logic;
mod attach_https;
mod backends;
mod connections;
mod console_ux;
mod dangerous;
mod http_apis;
mod interaction;
mod nodes_view;
mod reloads;
mod render;
mod resume;
mod resume_logs;
mod robustness;
mod runner_loop;
mod screens;
pub(crate) mod served;
pub(crate) mod snapshots;
mod test_invoke;
mod test_panel;
mod trace_view;

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::app::{App, AppConfig};
use super::backend::Backend;
use super::effect::Effect;
use super::fake::FakeBackend;
use super::keymap::Key;
use super::msg::Msg;
use super::runner;
use super::views;

/// A headless console: the app, a backend (the in-memory fake unless a test gives the
/// in-process engine or a remote server), and a runtime to perform effects.
pub struct Harness<B: Backend = FakeBackend> {
    pub app: App,
    pub backend: B,
    rt: tokio::runtime::Runtime,
    pub start: Instant,
    /// `:wscat` waits for frames held back from `settle` (they wait for the socket):
    /// [`Harness::pump_wscat`] performs them.
    wscat_waits: Vec<Effect>,
}

impl Harness<FakeBackend> {
    pub fn new() -> Harness {
        Harness::with(AppConfig::default())
    }

    pub fn with(cfg: AppConfig) -> Harness {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Harness::on(cfg, FakeBackend::sample(), rt)
    }

    pub fn calls(&self) -> Vec<String> {
        self.backend
            .state
            .lock()
            .map(|s| s.calls.clone())
            .unwrap_or_default()
    }
}

impl<B: Backend> Harness<B> {
    /// A console on `backend`, whose effects run on `rt`.
    pub fn on(cfg: AppConfig, backend: B, rt: tokio::runtime::Runtime) -> Harness<B> {
        let mut h = Harness {
            app: App::new(cfg),
            backend,
            rt,
            start: Instant::now(),
            wscat_waits: Vec::new(),
        };
        h.app.now = h.start;
        h.app.update(Msg::Resize(120, 40));
        let listener = h.backend.listener();
        h.app
            .update(Msg::Data(super::msg::DataUpdate::Listener(listener)));
        let init = h.app.init();
        h.settle(init);
        h
    }

    /// The backend's subscription, its task on the harness's runtime.
    pub fn subscribe(&self) -> tokio::sync::mpsc::Receiver<super::msg::DataUpdate> {
        let _runtime = self.rt.enter();
        self.backend.subscribe()
    }

    /// Runs a future on the harness's runtime (where the backend's calls run).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }

    /// Performs effects with the fake engine and feeds results back until quiet.
    pub fn settle(&mut self, mut effects: Vec<Effect>) {
        for _ in 0..20 {
            if effects.is_empty() {
                // As the runner does after draining a burst: one reload for all its changes.
                effects = self.app.take_reload();
                if effects.is_empty() {
                    return;
                }
            }
            let mut next = Vec::new();
            for e in effects {
                // Debounce timers fire at once here (in order, so only the last edit's
                // timer still renders); the runner's real sleep is covered in runner_loop.
                if matches!(e, Effect::WscatRecv { .. }) {
                    self.wscat_waits.push(e);
                    continue;
                }
                if let Effect::RenderAfter { seq, .. } = e {
                    next.extend(
                        self.app
                            .update(Msg::Data(super::msg::DataUpdate::RenderDue(seq))),
                    );
                    continue;
                }
                if let Some(d) = self.rt.block_on(runner::perform(&self.backend, e)) {
                    next.extend(self.app.update(Msg::Data(d)));
                }
            }
            effects = next;
        }
    }

    /// Waits (up to 10 s) for the `:wscat` client's next frames and feeds them to the app.
    pub fn pump_wscat(&mut self) {
        let waits = std::mem::take(&mut self.wscat_waits);
        for e in waits {
            let d = self.rt.block_on(async {
                tokio::time::timeout(Duration::from_secs(10), runner::perform(&self.backend, e))
                    .await
                    .ok()
                    .flatten()
            });
            if let Some(d) = d {
                let next = self.app.update(Msg::Data(d));
                self.settle(next);
            }
        }
    }

    /// Presses space-separated keys (`"3 tab x"`, `"ctrl-s"`), returning the effects.
    pub fn press(&mut self, keys: &str) -> Vec<Effect> {
        let mut out = Vec::new();
        for k in keys.split_whitespace() {
            let key = Key::parse(k).unwrap_or_else(|e| panic!("{e}"));
            out.extend(self.app.update(Msg::Key(KeyEvent::new(key.code, key.mods))));
        }
        out
    }

    /// Types literal text (every char is a key press).
    pub fn type_text(&mut self, text: &str) -> Vec<Effect> {
        let mut out = Vec::new();
        for c in text.chars() {
            out.extend(self.app.update(Msg::Key(KeyEvent::new(
                KeyCode::Char(c),
                KeyModifiers::NONE,
            ))));
        }
        out
    }

    /// `:` + command + Enter.
    pub fn command(&mut self, cmd: &str) -> Vec<Effect> {
        let mut out = self.press(":");
        out.extend(self.type_text(cmd));
        out.extend(self.press("enter"));
        out
    }

    pub fn tick(&mut self, after: Duration) -> Vec<Effect> {
        self.app.update(Msg::Tick(self.start + after))
    }

    pub fn flash(&self) -> String {
        self.app
            .flash
            .as_ref()
            .map(|f| f.text.clone())
            .unwrap_or_default()
    }

    pub fn render(&self, w: u16, h: u16) -> Buffer {
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        term.draw(|f| views::draw(f, &self.app)).expect("draw");
        term.backend().buffer().clone()
    }
}

/// The text of each row of a buffer.
pub fn rows(buf: &Buffer) -> Vec<String> {
    let area = buf.area;
    (0..area.height)
        .map(|y| {
            (0..area.width)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect()
}

/// Where `needle` starts on screen, as (column, row), counting cells.
pub fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    let area = buf.area;
    for y in 0..area.height {
        let cells: Vec<String> = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        let line: String = cells.concat();
        if let Some(byte) = line.find(needle) {
            // map byte offset back to a cell index
            let mut acc = 0;
            for (x, c) in cells.iter().enumerate() {
                if acc == byte {
                    return Some((x as u16, y));
                }
                acc += c.len();
            }
        }
    }
    None
}

pub fn screen(buf: &Buffer) -> String {
    rows(buf).join("\n")
}
