//! The rows each list shows (after the `/` filter) and cursor movement over them,
//! including the resource tree.

use super::App;
use crate::model::ApiDefinition;
use crate::tui::diff;
use crate::tui::tree::{self, NodeRef};
use crate::tui::view::ViewKind;

impl App {
    fn matches(&self, view: ViewKind, text: &str) -> bool {
        self.filter(view).is_none_or(|f| f.matches(text))
    }

    /// Indices into `apis`.
    pub fn api_rows(&self) -> Vec<usize> {
        (0..self.apis.len())
            .filter(|&i| {
                let a = &self.apis[i];
                let r = &a.definition.rest_api;
                self.matches(
                    ViewKind::Apis,
                    &format!(
                        "{} {} {} {}",
                        r.id,
                        r.name,
                        r.description.as_deref().unwrap_or(""),
                        a.endpoint_url
                    ),
                )
            })
            .collect()
    }

    /// Indices into `http_apis` (filtered).
    pub fn http_rows(&self) -> Vec<usize> {
        (0..self.http_apis.len())
            .filter(|&i| {
                let a = &self.http_apis[i];
                let routes: Vec<&str> = a.routes.iter().map(|r| r.route_key.as_str()).collect();
                self.matches(
                    ViewKind::Http,
                    &format!("{} {} {}", a.api_id, a.name, routes.join(" ")),
                )
            })
            .collect()
    }

    /// Indices into `stages`.
    pub fn stage_rows(&self) -> Vec<usize> {
        (0..self.stages.len())
            .filter(|&i| {
                let s = &self.stages[i];
                self.matches(
                    ViewKind::Stages,
                    &format!("{} {}", s.stage_name, s.deployment_id),
                )
            })
            .collect()
    }

    /// Indices into `deployments`.
    pub fn deployment_rows(&self) -> Vec<usize> {
        (0..self.deployments.len())
            .filter(|&i| {
                let d = &self.deployments[i];
                self.matches(
                    ViewKind::Deployments,
                    &format!("{} {}", d.id, d.description.as_deref().unwrap_or("")),
                )
            })
            .collect()
    }

    /// `(name, value)` of the current stage's variables.
    pub fn variable_rows(&self) -> Vec<(String, String)> {
        self.current_stage()
            .map(|s| {
                s.variables
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Keys of the current stage's method settings.
    pub fn method_setting_rows(&self) -> Vec<String> {
        self.current_stage()
            .map(|s| s.method_settings.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Indices into `usage.plans`.
    pub fn plan_rows(&self) -> Vec<usize> {
        (0..self.usage.plans.len())
            .filter(|&i| {
                let p = &self.usage.plans[i];
                self.matches(ViewKind::Keys, &format!("{} {}", p.id, p.name))
            })
            .collect()
    }

    /// Indices into `usage.keys`.
    pub fn key_rows(&self) -> Vec<usize> {
        (0..self.usage.keys.len())
            .filter(|&i| {
                let k = &self.usage.keys[i];
                self.matches(ViewKind::Keys, &format!("{} {}", k.id, k.name))
            })
            .collect()
    }

    /// Indices into `logs.lines`.
    pub fn log_rows(&self) -> Vec<usize> {
        if self.filter(ViewKind::Logs).is_none() {
            return (0..self.logs.lines.len()).collect();
        }
        (0..self.logs.lines.len())
            .filter(|&i| {
                let l = &self.logs.lines[i];
                self.matches(
                    ViewKind::Logs,
                    &format!(
                        "{} {} {} {} {}",
                        l.level, l.rest_api_id, l.stage, l.request_id, l.message
                    ),
                )
            })
            .collect()
    }

    /// The two definitions being compared, if loaded.
    pub fn diff_lines(&self) -> Option<Vec<diff::DiffLine>> {
        let (a, b) = self.diff_pair.as_ref()?;
        let (old, new) = (self.snapshots.get(a)?, self.snapshots.get(b)?);
        let lines = diff::diff(old, new);
        Some(match self.filter(ViewKind::Diff) {
            Some(f) => lines
                .into_iter()
                .filter(|l| f.matches(&format!("{} {}", l.subject, l.detail)))
                .collect(),
            None => lines,
        })
    }

    pub fn list_len(&self, view: ViewKind, pane: usize) -> usize {
        match (view, pane) {
            (ViewKind::Apis, _) => self.api_rows().len(),
            (ViewKind::Http, 0) => self.http_rows().len(),
            (ViewKind::Http, _) => self.selected_http_api().map_or(0, |a| a.routes.len()),
            (ViewKind::Stages, 0) => self.stage_rows().len(),
            (ViewKind::Stages, 1) => self.variable_rows().len(),
            (ViewKind::Stages, _) => self.method_setting_rows().len(),
            (ViewKind::Deployments, _) => self.deployment_rows().len(),
            (ViewKind::Keys, 0) => self.plan_rows().len(),
            (ViewKind::Keys, _) => self.key_rows().len(),
            (ViewKind::Logs, _) => self.log_rows().len(),
            (ViewKind::Diff, _) => self.diff_lines().map(|d| d.len()).unwrap_or(0),
            (ViewKind::Invoke, _) => self.invoke_lines().len(),
            (ViewKind::Canary, _) => self.variable_rows().len(),
            (ViewKind::Connections, _) => self.connection_rows().len(),
            (ViewKind::Wscat, _) => self.wscat_rows().len(),
            _ => 0,
        }
    }

    pub fn set_cursor(&mut self, view: ViewKind, pane: usize, row: usize) {
        let len = self.list_len(view, pane);
        let row = if len == 0 { 0 } else { row.min(len - 1) };
        self.cursors.insert((view, pane), row);
        if view == ViewKind::Stages
            && pane == 0
            && let Some(&i) = self.stage_rows().get(row)
        {
            let name = self.stages[i].stage_name.clone();
            if self.stage.as_deref() != Some(name.as_str()) {
                self.stage = Some(name);
                self.cursors.insert((ViewKind::Stages, 1), 0);
                self.cursors.insert((ViewKind::Stages, 2), 0);
            }
        }
        if view == ViewKind::Logs {
            self.logs.follow = len == 0 || row + 1 >= len;
        }
    }

    /// Moves the focused list (or the tree) by `delta` rows; `i64::MIN`/`MAX` for ends.
    pub fn move_cursor(&mut self, delta: i64) {
        let view = self.view();
        if view == ViewKind::Resources {
            self.tree_move(delta);
            return;
        }
        let pane = self.focus_of(view);
        let len = self.list_len(view, pane) as i64;
        if len == 0 {
            return;
        }
        let cur = if view == ViewKind::Logs && self.logs.follow {
            len - 1
        } else {
            self.cursor(view, pane) as i64
        };
        let next = cur.saturating_add(delta).clamp(0, len - 1);
        self.set_cursor(view, pane, next as usize);
    }

    pub fn page(&self) -> i64 {
        i64::from(self.size.1.saturating_sub(10).max(1))
    }

    /// The working definition of the selected API.
    pub fn definition(&self) -> Option<&ApiDefinition> {
        self.current_api().map(|a| &a.definition)
    }

    /// What the tree cursor is on.
    pub fn tree_selection(&self) -> Option<NodeRef> {
        let def = self.definition()?;
        let sel = self.tree.borrow().selected().to_vec();
        tree::resolve(def, &sel)
    }

    fn tree_move(&mut self, delta: i64) {
        let Some(def) = self.definition() else { return };
        let items = tree::build(def, self.filter(ViewKind::Resources));
        let mut state = self.tree.borrow_mut();
        let flat = state.flatten(&items);
        if flat.is_empty() {
            return;
        }
        let cur = flat.iter().position(|f| f.identifier == state.selected());
        let next = match cur {
            None => 0,
            Some(i) => (i as i64)
                .saturating_add(delta)
                .clamp(0, flat.len() as i64 - 1) as usize,
        };
        let id = flat[next].identifier.clone();
        state.select(id);
    }

    /// `h`: close the node, or go to its parent.
    pub fn tree_collapse(&mut self) {
        let mut state = self.tree.borrow_mut();
        let sel = state.selected().to_vec();
        if sel.is_empty() {
            return;
        }
        if !state.close(&sel) && sel.len() > 1 {
            state.select(sel[..sel.len() - 1].to_vec());
        }
    }

    /// `l`: open the node, or step into its first child.
    pub fn tree_expand(&mut self) {
        let Some(def) = self.definition() else { return };
        let items = tree::build(def, self.filter(ViewKind::Resources));
        let mut state = self.tree.borrow_mut();
        let sel = state.selected().to_vec();
        if sel.is_empty() {
            drop(state);
            self.tree_move(0);
            return;
        }
        if !state.open(sel.clone()) {
            let flat = state.flatten(&items);
            if let Some(i) = flat.iter().position(|f| f.identifier == sel)
                && let Some(next) = flat.get(i + 1).filter(|n| n.identifier.len() > sel.len())
            {
                let id = next.identifier.clone();
                state.select(id);
            }
        }
    }

    /// Opens the root and selects it when nothing is selected yet.
    pub fn tree_reset(&mut self) {
        let root = self
            .definition()
            .map(|d| format!("r:{}", d.rest_api.root_resource_id));
        let mut state = self.tree.borrow_mut();
        if let Some(root) = root {
            state.open(vec![root.clone()]);
            if state.selected().is_empty() {
                state.select(vec![root]);
            }
        }
    }
}
