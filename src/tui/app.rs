//! The console's state and its one entry point, [`App::update`]: a message in, effects out.
//! Rendering reads the state (`views::draw`); nothing here touches the terminal or the
//! engine, so every behaviour is testable by feeding messages.

mod commands;
mod connections;
mod data;
mod editor;
mod feedback;
mod http;
mod input;
mod invoke;
mod lists;
mod ops;
mod prompts;
mod trace;

pub use feedback::{BUSY_LIMIT, Busy, MESSAGE_HISTORY, long_operation};
pub use ops::format_log_line as ops_format_log_line;

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ratatui::layout::Rect;
use tui_tree_widget::TreeState;

use crate::model::{ApiDefinition, Deployment, Stage};

use super::action::Action;
use super::effect::Effect;
use super::filter::Filter;
use super::keymap::Keymap;
use super::metrics::MetricsSnapshot;
use super::msg::{ApiSummary, DataUpdate, LogLine, Msg, UsageData};
use super::theme::Theme;
use super::view::ViewKind;

pub use connections::{ConnectionsUi, WscatUi, frame_text as connections_frame_text};
pub use editor::{EditorState, PANE_OUTPUT, PANE_SAMPLE, PANE_TEMPLATE, RENDER_DEBOUNCE};
pub use invoke::{InvokeLine, InvokeLineKind, InvokeUi};
pub use trace::{TraceUi, WaterfallRow, waterfall};

/// The hook that checks a template while it is edited: `(line, column, message)`, 1-based.
pub type ParseCheck = fn(&str) -> Option<(usize, usize, String)>;

/// How long a flash message stays.
pub const FLASH_TTL: Duration = Duration::from_secs(6);

/// Dashboard windows, in seconds (`+`/`-` walk this list, `=` resets).
pub const WINDOWS: [i64; 9] = [
    60,
    300,
    900,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    24 * 3600,
];
pub const DEFAULT_WINDOW: usize = 1;

/// Canary weight steps (`s` cycles).
pub const CANARY_STEPS: [f64; 3] = [0.1, 1.0, 10.0];

/// Log lines kept in memory.
pub const LOG_CAPACITY: usize = 10_000;

/// The APIs view's live columns cover the last minute (polled each second there).
pub const PULSE_WINDOW: i64 = 60;
/// Requests per second are averaged over the newest seconds of that minute.
pub const PULSE_RATE_SECONDS: i64 = 10;
/// APIs polled for the live columns at most (the first ones listed).
pub const PULSE_APIS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Flash {
    pub level: Level,
    pub text: String,
    pub at: Instant,
}

/// What an input prompt is asking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPurpose {
    ImportPath,
    ExportPath,
    DeployDescription {
        stage: String,
    },
    VarAdd,
    VarEdit {
        name: String,
    },
    MethodSetting,
    Integration,
    CanaryOverride,
    KeyCreate,
    PlanCreate,
    SaveLogs,
    /// A message for a WebSocket connection (sent as `@connections` POST).
    ConnSend {
        connection_id: String,
    },
    /// A line for the `:wscat` client to send.
    WscatLine,
    /// The sample request a test invocation of this method sends (one-line JSON).
    TestRequest {
        resource_id: String,
        http_method: String,
    },
}

impl InputPurpose {
    pub fn label(&self) -> String {
        match self {
            InputPurpose::ImportPath => "import file".into(),
            InputPurpose::ExportPath => "export to".into(),
            InputPurpose::DeployDescription { stage } => format!("deploy to {stage}, description"),
            InputPurpose::VarAdd => "new variable NAME=VALUE".into(),
            InputPurpose::VarEdit { name } => format!("edit {name} (NAME=VALUE)"),
            InputPurpose::MethodSetting => "method setting PATH VERB SETTING VALUE".into(),
            InputPurpose::Integration => "integration type= uri= timeout=".into(),
            InputPurpose::CanaryOverride => "canary override NAME=VALUE".into(),
            InputPurpose::KeyCreate => "new API key name".into(),
            InputPurpose::PlanCreate => "new usage plan name".into(),
            InputPurpose::SaveLogs => "save logs to".into(),
            InputPurpose::ConnSend { connection_id } => format!("send to {connection_id}"),
            InputPurpose::WscatLine => "send".into(),
            InputPurpose::TestRequest { http_method, .. } => {
                format!("test {http_method} /path?query, or a whole sample {{\"body\": …}}")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Filter,
    Search,
    Input(InputPurpose),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
    /// Tab-completion cycle position.
    pub cycle: usize,
}

/// A dangerous action waiting for `y`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub action: Action,
    pub question: String,
    pub effects: Vec<Effect>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CanaryUi {
    /// A weight chosen with `+`/`-`, not yet applied.
    pub pending: Option<f64>,
    pub step: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashUi {
    pub window: usize,
    pub frozen: bool,
    pub maximised: bool,
    /// 0 = every method, i = `methods()[i - 1]`.
    pub method: usize,
    /// 0 = every stage, i = `stages()[i - 1]`.
    pub stage: usize,
    /// Cluster mode: `None` shows the whole cluster's traffic merged, `Some(id)` one node's.
    pub node: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LogsUi {
    pub lines: std::collections::VecDeque<LogLine>,
    /// Lines that arrived while paused.
    pub held: Vec<LogLine>,
    pub paused: bool,
    pub follow: bool,
    /// Lines the subscription dropped because the console fell behind (shown in the title).
    pub dropped: u64,
}

/// A screen region the last render recorded, so mouse clicks can find list rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HitArea {
    pub rect: Rect,
    pub view: ViewKind,
    pub pane: usize,
    /// Rows above the first item (borders, header).
    pub header_rows: u16,
    pub offset: usize,
    pub tree: bool,
}

/// Options the app starts with (a subset of `ConsoleOptions`).
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub readonly: bool,
    pub keymap: Keymap,
    pub theme: Theme,
    pub theme_dir: Option<PathBuf>,
    pub no_color: bool,
    pub parse_check: ParseCheck,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            readonly: false,
            keymap: Keymap::default(),
            theme: Theme::default(),
            theme_dir: None,
            no_color: false,
            parse_check: super::widgets::vtl::parse_check,
        }
    }
}

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub theme_dir: Option<PathBuf>,
    pub no_color: bool,
    pub readonly: bool,
    pub parse_check: ParseCheck,
    pub size: (u16, u16),
    pub now: Instant,
    pub stack: Vec<ViewKind>,
    pub listener: String,
    /// Where AWS service integrations send their calls.
    pub aws: std::sync::Arc<crate::engine::AwsSettings>,
    /// Attached to a server whose event stream is down (the header says so while the
    /// console retries).
    pub disconnected: bool,
    pub flash: Option<Flash>,
    /// Every flashed message, oldest first (`:messages`), at most [`MESSAGE_HISTORY`].
    pub messages: VecDeque<Flash>,
    /// The message history is open over the view.
    pub messages_open: bool,
    /// Long operations waiting for their result.
    pub busy: Vec<Busy>,
    pub prompt: Option<Prompt>,
    pub confirm: Option<Pending>,
    pub help: bool,
    pub quit: bool,
    pub filters: HashMap<ViewKind, Filter>,
    pub cursors: HashMap<(ViewKind, usize), usize>,
    pub focus: HashMap<ViewKind, usize>,
    pub hits: RefCell<Vec<HitArea>>,
    // data
    pub apis: Vec<ApiSummary>,
    /// HTTP APIs (v2), listed with the REST APIs and in the HTTP view.
    pub http_apis: Vec<crate::tui::msg::HttpApiSummary>,
    pub api_id: Option<String>,
    pub stage: Option<String>,
    pub stages: Vec<Stage>,
    pub deployments: Vec<Deployment>,
    pub snapshots: HashMap<String, ApiDefinition>,
    pub marked: Vec<String>,
    pub diff_pair: Option<(String, String)>,
    pub tree: RefCell<TreeState<String>>,
    pub editor: Option<EditorState>,
    /// Sample requests edited in the template editor, by (API, resource, method), kept
    /// while the console runs.
    pub samples: HashMap<(String, String, String), String>,
    pub canary: CanaryUi,
    pub dash: DashUi,
    pub metrics: MetricsSnapshot,
    /// The last minute of each listed REST API's metrics (the APIs view's live columns).
    pub pulse: HashMap<String, MetricsSnapshot>,
    pub logs: LogsUi,
    pub usage: UsageData,
    /// The cluster's nodes, once the Nodes view loaded them.
    pub nodes: Option<crate::engine::ClusterView>,
    /// Traffic generators this console started: (API id, stage) → requests per second.
    pub traffic: HashMap<(String, String), f64>,
    /// The last test invocation (the Invoke view).
    pub invoke: Option<InvokeUi>,
    /// The request whose trace the Trace view shows.
    pub trace: Option<TraceUi>,
    /// A change was reported (`Changed`, an operation's result) and the data is stale: the
    /// runner reloads once for a whole burst of them ([`App::take_reload`]).
    pub reload_pending: bool,
    /// The Connections view's stage and what it last listed.
    pub connections: Option<ConnectionsUi>,
    /// The `:wscat` client, while its view is open.
    pub wscat: Option<WscatUi>,
    /// Full re-syncs the backend asked for (events were missed), for the record.
    pub resyncs: u64,
}

impl App {
    pub fn new(cfg: AppConfig) -> App {
        let theme = if cfg.no_color {
            cfg.theme.without_colour()
        } else {
            cfg.theme
        };
        App {
            keymap: cfg.keymap,
            theme,
            theme_dir: cfg.theme_dir,
            no_color: cfg.no_color,
            readonly: cfg.readonly,
            parse_check: cfg.parse_check,
            size: (80, 24),
            now: Instant::now(),
            stack: vec![ViewKind::Apis],
            listener: String::new(),
            aws: std::sync::Arc::default(),
            disconnected: false,
            flash: None,
            messages: VecDeque::new(),
            messages_open: false,
            busy: Vec::new(),
            prompt: None,
            confirm: None,
            help: false,
            quit: false,
            filters: HashMap::new(),
            cursors: HashMap::new(),
            focus: HashMap::new(),
            hits: RefCell::new(Vec::new()),
            apis: Vec::new(),
            http_apis: Vec::new(),
            api_id: None,
            stage: None,
            stages: Vec::new(),
            deployments: Vec::new(),
            snapshots: HashMap::new(),
            marked: Vec::new(),
            diff_pair: None,
            tree: RefCell::new(TreeState::default()),
            editor: None,
            samples: HashMap::new(),
            canary: CanaryUi {
                pending: None,
                step: 1,
            },
            dash: DashUi {
                window: DEFAULT_WINDOW,
                frozen: false,
                maximised: false,
                method: 0,
                stage: 0,
                node: None,
            },
            metrics: MetricsSnapshot::default(),
            pulse: HashMap::new(),
            logs: LogsUi {
                follow: true,
                ..Default::default()
            },
            usage: UsageData::default(),
            nodes: None,
            traffic: HashMap::new(),
            invoke: None,
            trace: None,
            reload_pending: false,
            connections: None,
            wscat: None,
            resyncs: 0,
        }
    }

    /// The effects to run at start-up.
    pub fn init(&self) -> Vec<Effect> {
        vec![Effect::LoadApis, Effect::LoadHttpApis, Effect::LoadUsage]
    }

    /// The single entry point: one message in, the effects it asks for out.
    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        let effects = self.dispatch(msg);
        self.track_busy(&effects);
        effects
    }

    fn dispatch(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(key) => self.on_key(key),
            Msg::Mouse(m) => self.on_mouse(m),
            Msg::Paste(text) => self.on_paste(&text),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Msg::Tick(now) => self.on_tick(now),
            Msg::Action(action, args) => self.perform(action, args),
            Msg::Data(d) => self.on_data(d),
        }
    }

    /// Whether a message can change what is on screen; the runner redraws only then. Log
    /// lines show only in the logs view (with demo traffic on, they would otherwise redraw
    /// every view at the frame rate); `Changed` only asks for reloads, whose results redraw;
    /// a tick redraws only when it expires the flash line (the runner checks that).
    pub fn shows(&self, msg: &Msg) -> bool {
        match msg {
            Msg::Data(DataUpdate::Logs(_) | DataUpdate::LogsDropped(_)) => {
                self.view() == ViewKind::Logs
            }
            Msg::Data(DataUpdate::Pulse(_)) => self.view() == ViewKind::Apis,
            // While an operation is in progress its elapsed time counts up.
            Msg::Tick(_) => !self.busy.is_empty(),
            Msg::Data(DataUpdate::Changed | DataUpdate::Resync) => false,
            _ => true,
        }
    }

    /// The one gate every action passes: `--readonly` refuses what mutates, and dangerous
    /// actions are planned, then held for confirmation.
    pub fn perform(&mut self, action: Action, args: Vec<String>) -> Vec<Effect> {
        if action.mutates() && self.readonly {
            self.flash(
                Level::Error,
                format!("read-only: '{}' refused", action.description()),
            );
            return Vec::new();
        }
        if action.dangerous() {
            match self.plan_dangerous(action, &args) {
                Ok((question, effects)) => {
                    self.confirm = Some(Pending {
                        action,
                        question,
                        effects,
                    })
                }
                Err(msg) => self.flash(Level::Warn, msg),
            }
            return Vec::new();
        }
        self.run(action, args)
    }

    /// `y`: run the held action.
    pub fn accept(&mut self) -> Vec<Effect> {
        match self.confirm.take() {
            Some(p) => {
                if matches!(p.action, Action::CanaryApply | Action::Canary) {
                    self.canary.pending = None;
                }
                self.flash(
                    Level::Info,
                    format!("{}…", p.question.trim_end_matches('?')),
                );
                p.effects
            }
            None => Vec::new(),
        }
    }

    pub fn cancel(&mut self) {
        if self.confirm.take().is_some() {
            self.flash(Level::Info, "cancelled".into());
        }
    }

    pub fn flash(&mut self, level: Level, text: String) {
        let flash = Flash {
            level,
            text,
            at: self.now,
        };
        self.remember(flash.clone());
        self.flash = Some(flash);
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Effect> {
        self.now = now;
        if self
            .flash
            .as_ref()
            .is_some_and(|f| now.saturating_duration_since(f.at) >= FLASH_TTL)
        {
            self.flash = None;
        }
        let mut out = self.connections_poll();
        if self.view() == ViewKind::Apis {
            out.extend(self.pulse_effects());
        }
        if matches!(self.view(), ViewKind::Dashboard | ViewKind::Canary)
            && !self.dash.frozen
            && let Some(api) = &self.api_id
        {
            out.push(Effect::LoadMetrics {
                rest_api_id: api.clone(),
                window_seconds: WINDOWS[self.dash.window],
                scope: self.dash_scope(),
            });
        }
        out
    }

    pub fn view(&self) -> ViewKind {
        self.stack.last().copied().unwrap_or(ViewKind::Apis)
    }

    pub fn focus_of(&self, view: ViewKind) -> usize {
        self.focus.get(&view).copied().unwrap_or(0)
    }

    pub fn cursor(&self, view: ViewKind, pane: usize) -> usize {
        self.cursors.get(&(view, pane)).copied().unwrap_or(0)
    }

    pub fn filter(&self, view: ViewKind) -> Option<&Filter> {
        self.filters.get(&view).filter(|f| f.is_active())
    }

    pub fn current_api(&self) -> Option<&ApiSummary> {
        let id = self.api_id.as_deref()?;
        self.apis.iter().find(|a| a.definition.rest_api.id == id)
    }

    pub fn current_stage(&self) -> Option<&Stage> {
        let name = self.stage.as_deref()?;
        self.stages.iter().find(|s| s.stage_name == name)
    }

    /// Opens a top-level view (digits and `:` commands), replacing the stack.
    pub fn open_view(&mut self, view: ViewKind) -> Vec<Effect> {
        self.stack = vec![view];
        self.help = false;
        // A `:wscat` client lives as long as its view.
        let mut out = self.close_wscat();
        match view {
            ViewKind::Stages | ViewKind::Deployments | ViewKind::Canary => {
                if let Some(api) = &self.api_id {
                    out.push(Effect::LoadStages {
                        rest_api_id: api.clone(),
                    });
                }
            }
            ViewKind::Dashboard => {
                if let Some(api) = &self.api_id {
                    out.push(Effect::LoadMetrics {
                        rest_api_id: api.clone(),
                        window_seconds: WINDOWS[self.dash.window],
                        scope: self.dash_scope(),
                    });
                }
            }
            ViewKind::Keys => out.push(Effect::LoadUsage),
            ViewKind::Nodes => out.push(Effect::LoadNodes),
            ViewKind::Apis => {
                out.push(Effect::LoadHttpApis);
                out.extend(self.pulse_effects());
            }
            ViewKind::Http => out.push(Effect::LoadHttpApis),
            _ => {}
        }
        if matches!(view, ViewKind::Canary)
            && let Some(api) = &self.api_id
        {
            out.push(Effect::LoadMetrics {
                rest_api_id: api.clone(),
                window_seconds: WINDOWS[self.dash.window],
                scope: self.dash_scope(),
            });
        }
        out
    }

    /// The polls for the APIs view's live columns: the last minute of each listed REST API.
    pub fn pulse_effects(&self) -> Vec<Effect> {
        self.apis
            .iter()
            .take(PULSE_APIS)
            .map(|a| Effect::LoadPulse {
                rest_api_id: a.definition.rest_api.id.clone(),
            })
            .collect()
    }

    /// The reload a burst of changes asked for, once: empty unless one is pending.
    pub fn take_reload(&mut self) -> Vec<Effect> {
        if std::mem::take(&mut self.reload_pending) {
            self.reload()
        } else {
            Vec::new()
        }
    }

    /// Reloads what the console shows after a change.
    pub fn reload(&self) -> Vec<Effect> {
        let mut out = vec![Effect::LoadApis, Effect::LoadHttpApis];
        if let Some(api) = &self.api_id {
            out.push(Effect::LoadStages {
                rest_api_id: api.clone(),
            });
        }
        out.push(Effect::LoadUsage);
        out.extend(self.connections_poll());
        if self.view() == ViewKind::Nodes {
            out.push(Effect::LoadNodes);
        }
        out
    }

    /// Names the theme cycle walks: built-ins, then files in the theme directory.
    pub fn theme_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Theme::builtin_names()
            .into_iter()
            .map(String::from)
            .collect();
        if let Some(dir) = &self.theme_dir
            && let Ok(rd) = std::fs::read_dir(dir)
        {
            let mut extra: Vec<String> = rd
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let p = e.path();
                    (p.extension().is_some_and(|x| x == "toml"))
                        .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                        .flatten()
                })
                .filter(|n| !names.contains(n))
                .collect();
            extra.sort();
            names.extend(extra);
        }
        names
    }

    pub fn set_theme(&mut self, name: &str) {
        match Theme::load(name, self.theme_dir.as_deref()) {
            Ok(t) => {
                self.theme = if self.no_color { t.without_colour() } else { t };
                self.flash(Level::Info, format!("theme {}", self.theme.name));
            }
            Err(e) => self.flash(Level::Error, e.to_string()),
        }
    }
}
