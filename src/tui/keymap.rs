//! The one keymap table. It feeds key handling, `:` command names, the hints bar and the
//! `?` help. Defaults live in [`DEFAULT_BINDINGS`]; a `[keys]` table from the user's
//! config replaces the keys of the actions it names (`deploy = "D"` or
//! `flush = ["F", "ctrl-x"]`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::view::ViewKind;

/// Where a binding applies. View bindings win over global ones; the template editor and
/// the prompts see only their own bindings (other keys are text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    View(ViewKind),
    /// The template editor's output pane (focused with f6): scrolling keys, which are text
    /// in the other panes.
    EditorOutput,
}

/// A key with its modifiers, normalised so that `G` and `shift-g` are the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    /// Parses `"j"`, `"G"`, `"ctrl-s"`, `"alt-x"`, `"enter"`, `"esc"`, `"tab"`,
    /// `"shift-tab"`, `"space"`, `"up"`, `"pgdn"`, `"f5"`, `"+"`, `"-"`.
    pub fn parse(s: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix_len, m) = if lower.starts_with("ctrl-") {
                (5, KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                (4, KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                (6, KeyModifiers::SHIFT)
            } else {
                break;
            };
            if rest.len() == prefix_len {
                break;
            }
            mods |= m;
            rest = &rest[prefix_len..];
        }
        let code = match rest.to_ascii_lowercase().as_str() {
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "pgup" | "pageup" => KeyCode::PageUp,
            "pgdn" | "pagedown" => KeyCode::PageDown,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse::<u8>().unwrap_or(1))
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        if mods.contains(KeyModifiers::SHIFT) {
                            KeyCode::Char(c.to_ascii_uppercase())
                        } else {
                            KeyCode::Char(c)
                        }
                    }
                    _ => return Err(format!("unknown key `{s}`")),
                }
            }
        };
        Ok(Key::new(code, mods))
    }

    /// The label shown in hints and help: `ctrl-s`, `G`, `enter`, `1`.
    pub fn label(&self) -> String {
        let mut out = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            out.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            out.push_str("alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            out.push_str("shift-");
        }
        match self.code {
            KeyCode::Char(' ') => out.push_str("space"),
            KeyCode::Char(c) => out.push(c),
            KeyCode::Enter => out.push_str("enter"),
            KeyCode::Esc => out.push_str("esc"),
            KeyCode::Tab => out.push_str("tab"),
            KeyCode::BackTab => out.push_str("shift-tab"),
            KeyCode::Up => out.push('↑'),
            KeyCode::Down => out.push('↓'),
            KeyCode::Left => out.push('←'),
            KeyCode::Right => out.push('→'),
            KeyCode::Home => out.push_str("home"),
            KeyCode::End => out.push_str("end"),
            KeyCode::PageUp => out.push_str("pgup"),
            KeyCode::PageDown => out.push_str("pgdn"),
            KeyCode::F(n) => out.push_str(&format!("f{n}")),
            KeyCode::Backspace => out.push_str("backspace"),
            KeyCode::Delete => out.push_str("del"),
            _ => out.push('?'),
        }
        out
    }
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub key: Key,
    pub action: Action,
    /// Shown in the hints bar (secondary keys such as arrows are help-only).
    pub hint: bool,
}

type Row = (Scope, &'static str, Action, bool);

const G: Scope = Scope::Global;
const fn v(kind: ViewKind) -> Scope {
    Scope::View(kind)
}

/// The defaults, in the order the hints bar shows them.
pub const DEFAULT_BINDINGS: &[Row] = &[
    // global navigation
    (G, ":", Action::Command, true),
    (G, "/", Action::Filter, true),
    (G, "?", Action::Help, true),
    (G, "M", Action::Messages, false),
    (G, "esc", Action::Back, true),
    (G, "q", Action::Quit, true),
    (G, "ctrl-c", Action::Quit, false),
    (G, "j", Action::Down, false),
    (G, "down", Action::Down, false),
    (G, "k", Action::Up, false),
    (G, "up", Action::Up, false),
    (G, "h", Action::Collapse, false),
    (G, "left", Action::Collapse, false),
    (G, "l", Action::Expand, false),
    (G, "right", Action::Expand, false),
    (G, "g", Action::Top, false),
    (G, "home", Action::Top, false),
    (G, "G", Action::Bottom, false),
    (G, "end", Action::Bottom, false),
    (G, "pgup", Action::PageUp, false),
    (G, "pgdn", Action::PageDown, false),
    (G, "enter", Action::Select, false),
    (G, "tab", Action::NextPane, false),
    (G, "shift-tab", Action::PrevPane, false),
    (G, "t", Action::CycleTheme, false),
    (G, "T", Action::TrafficToggle, false),
    (G, "ctrl-r", Action::Refresh, false),
    (G, "1", Action::ViewApis, false),
    (G, "2", Action::ViewResources, false),
    (G, "3", Action::ViewStages, false),
    (G, "4", Action::ViewDeployments, false),
    (G, "5", Action::ViewCanary, false),
    (G, "6", Action::ViewDashboard, false),
    (G, "7", Action::ViewLogs, false),
    (G, "8", Action::ViewKeys, false),
    (G, "9", Action::ViewHttp, false),
    (G, "0", Action::ViewNodes, false),
    // APIs
    (v(ViewKind::Apis), "enter", Action::Select, true),
    (v(ViewKind::Apis), "i", Action::Import, true),
    (v(ViewKind::Apis), "E", Action::Export, true),
    // resources
    (v(ViewKind::Resources), "enter", Action::Select, true),
    (v(ViewKind::Resources), "e", Action::EditIntegration, true),
    (v(ViewKind::Resources), "D", Action::Deploy, true),
    (v(ViewKind::Resources), "i", Action::TestInvoke, true),
    // HTTP APIs
    (v(ViewKind::Http), "enter", Action::Select, true),
    (v(ViewKind::Http), "i", Action::TestInvoke, true),
    (v(ViewKind::Http), "e", Action::EditIntegration, true),
    (v(ViewKind::Http), "c", Action::ViewConnections, true),
    (v(ViewKind::Http), "w", Action::Wscat, true),
    // WebSocket connections of a stage, and the :wscat client
    (v(ViewKind::Connections), "s", Action::ConnSend, true),
    (v(ViewKind::Connections), "d", Action::ConnDisconnect, true),
    (v(ViewKind::Connections), "w", Action::Wscat, true),
    (v(ViewKind::Connections), "esc", Action::Back, true),
    (v(ViewKind::Wscat), "enter", Action::WscatSend, true),
    (v(ViewKind::Wscat), "i", Action::WscatSend, false),
    (v(ViewKind::Wscat), "esc", Action::Back, true),
    // template editor (other keys are text)
    (v(ViewKind::Editor), "ctrl-s", Action::Save, true),
    (v(ViewKind::Editor), "ctrl-z", Action::Undo, true),
    (v(ViewKind::Editor), "ctrl-y", Action::Redo, true),
    (v(ViewKind::Editor), "ctrl-f", Action::Search, true),
    (v(ViewKind::Editor), "ctrl-n", Action::SearchNext, true),
    (v(ViewKind::Editor), "ctrl-p", Action::SearchPrev, false),
    (v(ViewKind::Editor), "ctrl-t", Action::TestRender, true),
    // Help-only: the editor's hint line at 80 columns has no room left (Esc must stay).
    (
        v(ViewKind::Editor),
        "ctrl-g",
        Action::GenerateTemplate,
        false,
    ),
    (v(ViewKind::Editor), "f6", Action::NextPane, true),
    (v(ViewKind::Editor), "ctrl-o", Action::NextPane, false),
    (v(ViewKind::Editor), "shift-f6", Action::PrevPane, false),
    (v(ViewKind::Editor), "esc", Action::Back, true),
    (v(ViewKind::Editor), "ctrl-c", Action::Quit, false),
    // the editor's output pane (scrolls the rendered output or test result)
    (Scope::EditorOutput, "j", Action::Down, false),
    (Scope::EditorOutput, "down", Action::Down, false),
    (Scope::EditorOutput, "k", Action::Up, false),
    (Scope::EditorOutput, "up", Action::Up, false),
    (Scope::EditorOutput, "pgdn", Action::PageDown, false),
    (Scope::EditorOutput, "space", Action::PageDown, false),
    (Scope::EditorOutput, "pgup", Action::PageUp, false),
    (Scope::EditorOutput, "g", Action::Top, false),
    (Scope::EditorOutput, "home", Action::Top, false),
    (Scope::EditorOutput, "G", Action::Bottom, false),
    (Scope::EditorOutput, "end", Action::Bottom, false),
    // stages
    (v(ViewKind::Stages), "D", Action::Deploy, true),
    (v(ViewKind::Stages), "a", Action::VarAdd, true),
    (v(ViewKind::Stages), "e", Action::VarEdit, true),
    (v(ViewKind::Stages), "x", Action::VarDelete, true),
    (v(ViewKind::Stages), "m", Action::MethodSettings, true),
    (v(ViewKind::Stages), "F", Action::FlushCache, true),
    // deployments
    (v(ViewKind::Deployments), "space", Action::Mark, true),
    (v(ViewKind::Deployments), "d", Action::Diff, true),
    (v(ViewKind::Deployments), "r", Action::Rollback, true),
    (v(ViewKind::Deployments), "D", Action::Deploy, true),
    // canary
    (v(ViewKind::Canary), "+", Action::CanaryInc, true),
    (v(ViewKind::Canary), "-", Action::CanaryDec, true),
    (v(ViewKind::Canary), "s", Action::CanaryStep, true),
    (v(ViewKind::Canary), "enter", Action::CanaryApply, true),
    (v(ViewKind::Canary), "o", Action::CanaryOverride, true),
    (v(ViewKind::Canary), "P", Action::Promote, true),
    (v(ViewKind::Canary), "X", Action::CanaryDelete, true),
    // dashboard
    (v(ViewKind::Dashboard), "+", Action::ZoomIn, true),
    (v(ViewKind::Dashboard), "-", Action::ZoomOut, true),
    (v(ViewKind::Dashboard), "=", Action::ZoomReset, true),
    (v(ViewKind::Dashboard), "f", Action::Freeze, true),
    (v(ViewKind::Dashboard), "z", Action::Maximise, true),
    (v(ViewKind::Dashboard), "m", Action::CycleMethod, true),
    (v(ViewKind::Dashboard), "s", Action::CycleStage, true),
    (v(ViewKind::Dashboard), "n", Action::CycleNode, false),
    // logs
    (v(ViewKind::Logs), "p", Action::Pause, true),
    (v(ViewKind::Logs), "s", Action::SaveLogs, true),
    (v(ViewKind::Logs), "c", Action::ClearLogs, true),
    (v(ViewKind::Logs), "x", Action::ViewTrace, true),
    (v(ViewKind::Trace), "esc", Action::Back, true),
    (v(ViewKind::Logs), "G", Action::Bottom, true),
    // usage plans and keys
    (v(ViewKind::Keys), "c", Action::KeyCreate, true),
    (v(ViewKind::Keys), "C", Action::PlanCreate, true),
    (v(ViewKind::Keys), "e", Action::KeyToggle, true),
    (v(ViewKind::Keys), "x", Action::KeyDelete, true),
    // diff
    (v(ViewKind::Diff), "esc", Action::Back, true),
    // test invocation
    (v(ViewKind::Invoke), "i", Action::TestInvoke, true),
    (v(ViewKind::Invoke), "e", Action::EditTestRequest, true),
    (v(ViewKind::Invoke), "esc", Action::Back, true),
];

/// The `:` commands: a command name, the action it performs, whether it takes arguments.
pub const COMMANDS: &[(&str, Action)] = &[
    ("apis", Action::ViewApis),
    ("resources", Action::ViewResources),
    ("stages", Action::ViewStages),
    ("deployments", Action::ViewDeployments),
    ("dash", Action::ViewDashboard),
    ("logs", Action::ViewLogs),
    ("keys", Action::ViewKeys),
    ("http", Action::ViewHttp),
    ("connections", Action::ViewConnections),
    ("wscat", Action::Wscat),
    ("nodes", Action::ViewNodes),
    ("canary", Action::Canary),
    ("theme", Action::Theme),
    ("deploy", Action::Deploy),
    ("rollback", Action::Rollback),
    ("flush", Action::FlushCache),
    ("promote", Action::Promote),
    ("traffic", Action::Traffic),
    ("import", Action::Import),
    ("export", Action::Export),
    ("test-invoke", Action::TestInvoke),
    ("help", Action::Help),
    ("messages", Action::Messages),
    ("q", Action::Quit),
    ("quit", Action::Quit),
];

/// A help section: a title and rows of `(keys, description, dangerous)`.
pub type HelpSection = (String, Vec<(String, &'static str, bool)>);

#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        let bindings = DEFAULT_BINDINGS
            .iter()
            .filter_map(|(scope, key, action, hint)| {
                Key::parse(key).ok().map(|key| Binding {
                    scope: *scope,
                    key,
                    action: *action,
                    hint: *hint,
                })
            })
            .collect();
        Keymap { bindings }
    }
}

impl Keymap {
    /// The defaults with a `[keys]` table merged on top: each named action gets exactly
    /// the listed keys, in the scopes where it had defaults (global if it had none).
    pub fn with_overrides(keys: &toml::Table) -> Result<Keymap, String> {
        let mut map = Keymap::default();
        for (name, value) in keys {
            let action =
                Action::by_name(name).ok_or_else(|| format!("[keys]: unknown action `{name}`"))?;
            let list: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .ok_or_else(|| format!("[keys] {name}: keys must be strings"))
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("[keys] {name}: expected a key or a list of keys")),
            };
            let parsed: Vec<Key> = list
                .iter()
                .map(|s| Key::parse(s).map_err(|e| format!("[keys] {name}: {e}")))
                .collect::<Result<_, _>>()?;
            let mut scopes: Vec<Scope> = Vec::new();
            for b in map.bindings.iter().filter(|b| b.action == action) {
                if !scopes.contains(&b.scope) {
                    scopes.push(b.scope);
                }
            }
            if scopes.is_empty() {
                scopes.push(Scope::Global);
            }
            let pos = map
                .bindings
                .iter()
                .position(|b| b.action == action)
                .unwrap_or(map.bindings.len());
            map.bindings.retain(|b| b.action != action);
            let mut insert = Vec::new();
            for scope in &scopes {
                for (i, key) in parsed.iter().enumerate() {
                    insert.push(Binding {
                        scope: *scope,
                        key: *key,
                        action,
                        hint: i == 0,
                    });
                }
            }
            let pos = pos.min(map.bindings.len());
            map.bindings.splice(pos..pos, insert);
        }
        Ok(map)
    }

    pub fn bindings(&self) -> &[Binding] {
        &self.bindings
    }

    /// The action a key performs in a view: view bindings first, then global ones
    /// (except in the editor, where unbound keys are text).
    pub fn lookup(&self, view: ViewKind, key: Key) -> Option<Action> {
        let in_view = self
            .bindings
            .iter()
            .find(|b| b.scope == Scope::View(view) && b.key == key)
            .map(|b| b.action);
        if in_view.is_some() || view == ViewKind::Editor {
            return in_view;
        }
        self.bindings
            .iter()
            .find(|b| b.scope == Scope::Global && b.key == key)
            .map(|b| b.action)
    }

    /// The action a key performs in the editor's output pane (only its own bindings).
    pub fn lookup_in(&self, scope: Scope, key: Key) -> Option<Action> {
        self.bindings
            .iter()
            .find(|b| b.scope == scope && b.key == key)
            .map(|b| b.action)
    }

    /// The first key bound to an action in a view (or globally).
    pub fn key_for(&self, view: ViewKind, action: Action) -> Option<Key> {
        self.bindings
            .iter()
            .find(|b| b.scope == Scope::View(view) && b.action == action)
            .or_else(|| {
                self.bindings
                    .iter()
                    .find(|b| b.scope == Scope::Global && b.action == action)
            })
            .map(|b| b.key)
    }

    /// `(key label, description)` for the hints bar: the view's hinted bindings, then the
    /// global hinted ones not shadowed by the view.
    pub fn hints(&self, view: ViewKind) -> Vec<(String, &'static str)> {
        let mut out: Vec<(String, &'static str)> = Vec::new();
        let view_rows: Vec<&Binding> = self
            .bindings
            .iter()
            .filter(|b| b.scope == Scope::View(view) && b.hint)
            .collect();
        for b in &view_rows {
            out.push((b.key.label(), b.action.description()));
        }
        if view != ViewKind::Editor {
            for b in self
                .bindings
                .iter()
                .filter(|b| b.scope == Scope::Global && b.hint)
            {
                if !view_rows.iter().any(|vb| vb.key == b.key) {
                    out.push((b.key.label(), b.action.description()));
                }
            }
        }
        out
    }

    /// Help sections for a view: `(section title, rows of (keys, description, dangerous))`.
    pub fn help(&self, view: ViewKind) -> Vec<HelpSection> {
        let collect = |scope: Scope| {
            let mut rows: Vec<(String, &'static str, bool)> = Vec::new();
            let mut seen: Vec<Action> = Vec::new();
            for b in self.bindings.iter().filter(|b| b.scope == scope) {
                if seen.contains(&b.action) {
                    continue;
                }
                seen.push(b.action);
                let keys: Vec<String> = self
                    .bindings
                    .iter()
                    .filter(|o| o.scope == scope && o.action == b.action)
                    .map(|o| o.key.label())
                    .collect();
                rows.push((keys.join(" "), b.action.description(), b.action.dangerous()));
            }
            rows
        };
        let mut sections = vec![(view.title().to_string(), collect(Scope::View(view)))];
        if view != ViewKind::Editor {
            sections.push(("general".to_string(), collect(Scope::Global)));
        } else {
            sections.push(("output pane".to_string(), collect(Scope::EditorOutput)));
        }
        let cmds: Vec<(String, &'static str, bool)> = COMMANDS
            .iter()
            .filter(|(name, _)| *name != "quit")
            .map(|(name, action)| (format!(":{name}"), action.description(), action.dangerous()))
            .collect();
        sections.push(("commands".to_string(), cmds));
        sections
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_key_parses() {
        for (_, key, _, _) in DEFAULT_BINDINGS {
            assert!(Key::parse(key).is_ok(), "{key}");
        }
        assert_eq!(Keymap::default().bindings().len(), DEFAULT_BINDINGS.len());
    }

    #[test]
    fn keys_parse_and_label_round_trip() {
        for s in [
            "j",
            "G",
            "ctrl-s",
            "enter",
            "esc",
            "tab",
            "shift-tab",
            "space",
            "pgdn",
            "f5",
            "+",
            "-",
            "=",
        ] {
            let k = Key::parse(s).unwrap();
            assert_eq!(Key::parse(&k.label()).unwrap(), k, "{s}");
        }
        assert_eq!(Key::parse("shift-g").unwrap(), Key::parse("G").unwrap());
        assert!(Key::parse("nope").is_err());
        let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&ev), Key::parse("G").unwrap());
    }

    #[test]
    fn view_bindings_shadow_global_and_editor_sees_only_its_own() {
        let km = Keymap::default();
        let plus = Key::parse("+").unwrap();
        assert_eq!(km.lookup(ViewKind::Dashboard, plus), Some(Action::ZoomIn));
        assert_eq!(km.lookup(ViewKind::Canary, plus), Some(Action::CanaryInc));
        assert_eq!(km.lookup(ViewKind::Editor, Key::parse("q").unwrap()), None);
        assert_eq!(
            km.lookup(ViewKind::Apis, Key::parse("q").unwrap()),
            Some(Action::Quit)
        );
    }

    #[test]
    fn overrides_replace_keys_and_report_bad_input() {
        let table: toml::Table =
            toml::from_str("flush = [\"ctrl-x\", \"X\"]\nquit = \"Q\"\nq = \"Q\"")
                .unwrap_or_default();
        assert!(Keymap::with_overrides(&table).unwrap_err().contains("quit"));
        let table: toml::Table = toml::from_str("flush = [\"ctrl-x\", \"X\"]\nq = \"Q\"").unwrap();
        let km = Keymap::with_overrides(&table).unwrap();
        assert_eq!(
            km.lookup(ViewKind::Stages, Key::parse("ctrl-x").unwrap()),
            Some(Action::FlushCache)
        );
        assert_eq!(km.lookup(ViewKind::Stages, Key::parse("F").unwrap()), None);
        assert_eq!(
            km.lookup(ViewKind::Apis, Key::parse("Q").unwrap()),
            Some(Action::Quit)
        );
        assert_eq!(km.lookup(ViewKind::Apis, Key::parse("q").unwrap()), None);
        let bad: toml::Table = toml::from_str("flush = \"ctrl-nope\"").unwrap();
        let err = Keymap::with_overrides(&bad).unwrap_err();
        assert!(err.contains("flush") && err.contains("ctrl-nope"), "{err}");
    }
}
