//! What each action does once it has passed the gate in `App::perform`: `run` for the
//! safe ones, `plan_dangerous` for those that confirm first, `commit` for prompt answers.

use super::{App, CANARY_STEPS, DEFAULT_WINDOW, InputPurpose, Level, PromptKind, WINDOWS};
use crate::model::PatchOperation;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::tree::NodeRef;
use crate::tui::validate;
use crate::tui::view::ViewKind;

/// Requests per second `T` starts a traffic generator at.
pub const DEFAULT_TRAFFIC_RATE: f64 = 20.0;

impl App {
    fn need_api(&mut self) -> Option<String> {
        if self.api_id.is_none() {
            self.flash(Level::Warn, "no API selected (1 lists them)".into());
        }
        self.api_id.clone()
    }

    fn need_stage(&mut self, named: Option<&String>) -> Option<String> {
        if let Some(n) = named {
            if self.stages.is_empty() || self.stages.iter().any(|s| &s.stage_name == n) {
                return Some(n.clone());
            }
            self.flash(Level::Warn, format!("no stage '{n}'"));
            return None;
        }
        if self.stage.is_none() {
            self.flash(Level::Warn, "no stage selected (3 lists them)".into());
        }
        self.stage.clone()
    }

    fn selected_variable(&self) -> Option<(String, String)> {
        let rows = self.variable_rows();
        let view = self.view();
        let pane = if view == ViewKind::Canary { 0 } else { 1 };
        rows.get(self.cursor(view, pane)).cloned()
    }

    fn selected_deployment(&self) -> Option<String> {
        let rows = self.deployment_rows();
        rows.get(self.cursor(ViewKind::Deployments, 0))
            .map(|&i| self.deployments[i].id.clone())
    }

    fn selected_key(&self) -> Option<(String, bool)> {
        let rows = self.key_rows();
        rows.get(self.cursor(ViewKind::Keys, 1)).map(|&i| {
            let k = &self.usage.keys[i];
            (k.id.clone(), k.enabled)
        })
    }

    /// Runs an action that needs no confirmation.
    pub(super) fn run(&mut self, action: Action, args: Vec<String>) -> Vec<Effect> {
        let view = self.view();
        if let Some(target) = action.target_view() {
            return self.open_view(target);
        }
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Effect::Quit];
            }
            Action::Back
                if view == ViewKind::Wscat && !self.help && self.filter(view).is_none() =>
            {
                let out = self.close_wscat();
                self.back();
                return out;
            }
            Action::Back => self.back(),
            Action::ViewConnections | Action::Wscat | Action::ConnSend | Action::WscatSend => {
                return self.run_websocket(action, &args);
            }
            Action::Help => self.help = !self.help,
            Action::Messages => self.messages_open = !self.messages_open,
            Action::Command => self.open_prompt(PromptKind::Command, String::new()),
            Action::Filter if view.filterable() => {
                let text = self
                    .filters
                    .get(&view)
                    .map(|f| f.text.clone())
                    .unwrap_or_default();
                self.open_prompt(PromptKind::Filter, text);
            }
            Action::NextPane | Action::PrevPane => {
                let n = view.panes();
                let cur = self.focus_of(view);
                let next = if action == Action::NextPane {
                    (cur + 1) % n
                } else {
                    (cur + n - 1) % n
                };
                self.focus.insert(view, next);
            }
            Action::Up => self.move_cursor(-1),
            Action::Down => self.move_cursor(1),
            Action::PageUp => self.move_cursor(-self.page()),
            Action::PageDown => self.move_cursor(self.page()),
            Action::Top => self.move_cursor(i64::MIN / 2),
            Action::Bottom => {
                self.move_cursor(i64::MAX / 2);
                if view == ViewKind::Logs {
                    self.logs.follow = true;
                }
            }
            Action::Collapse if view == ViewKind::Resources => self.tree_collapse(),
            Action::Expand if view == ViewKind::Resources => self.tree_expand(),
            Action::Collapse | Action::Expand => {}
            Action::Select => return self.select(),
            Action::CycleTheme => {
                let names = self.theme_names();
                let cur = names
                    .iter()
                    .position(|n| *n == self.theme.name)
                    .unwrap_or(0);
                if let Some(next) = names.get((cur + 1) % names.len().max(1)).cloned() {
                    self.set_theme(&next);
                }
            }
            Action::Theme => match args.first() {
                Some(name) => self.set_theme(name),
                None => self.flash(
                    Level::Warn,
                    format!("themes: {}", self.theme_names().join(", ")),
                ),
            },
            Action::Refresh => return self.reload(),
            Action::Import => match args.first() {
                Some(path) => return vec![Effect::Import { path: path.clone() }],
                None => {
                    self.open_prompt(PromptKind::Input(InputPurpose::ImportPath), String::new())
                }
            },
            Action::Export => {
                let Some(api) = self.need_api() else {
                    return Vec::new();
                };
                match args.first() {
                    Some(path) => {
                        return self.confirm_export(Effect::Export {
                            rest_api_id: api,
                            path: path.clone(),
                        });
                    }
                    None => {
                        let name = self
                            .current_api()
                            .map(|a| a.definition.rest_api.name.clone())
                            .unwrap_or(api);
                        self.open_prompt(
                            PromptKind::Input(InputPurpose::ExportPath),
                            format!("./{name}.json"),
                        );
                    }
                }
            }
            Action::EditIntegration if view == ViewKind::Http => return self.http_edit_mappings(),
            Action::EditIntegration => {
                let Some(node) = self.tree_selection() else {
                    self.flash(Level::Warn, "select a method first".into());
                    return Vec::new();
                };
                let Some(verb) = node.http_method() else {
                    self.flash(Level::Warn, "select a method first".into());
                    return Vec::new();
                };
                let current = self
                    .definition()
                    .and_then(|d| d.method(node.resource_id(), verb).ok())
                    .and_then(|m| m.method_integration.clone())
                    .unwrap_or_default();
                let text = format!(
                    "type={} uri={} timeout={}",
                    current.integration_type.as_str(),
                    current.uri.unwrap_or_default(),
                    current.timeout_in_millis
                );
                self.open_prompt(PromptKind::Input(InputPurpose::Integration), text);
            }
            Action::Save if view == ViewKind::Editor => return self.editor_save(),
            Action::GenerateTemplate if view == ViewKind::Editor => {
                return self.editor_generate();
            }
            Action::Undo
            | Action::Redo
            | Action::Search
            | Action::SearchNext
            | Action::SearchPrev
            | Action::TestRender
                if view == ViewKind::Editor =>
            {
                return self.editor_command(action);
            }
            Action::Deploy => {
                let Some(api) = self.need_api() else {
                    return Vec::new();
                };
                let Some(stage) = self.need_stage(args.first()) else {
                    return Vec::new();
                };
                if args.is_empty() {
                    self.open_prompt(
                        PromptKind::Input(InputPurpose::DeployDescription { stage }),
                        String::new(),
                    );
                } else {
                    let description = (args.len() > 1).then(|| args[1..].join(" "));
                    return self.confirm_deploy(Effect::Deploy {
                        rest_api_id: api,
                        stage_name: stage,
                        description,
                    });
                }
            }
            Action::VarAdd if self.need_stage(None).is_some() => {
                self.open_prompt(PromptKind::Input(InputPurpose::VarAdd), String::new());
            }
            Action::VarEdit => match self.selected_variable() {
                Some((name, value)) => self.open_prompt(
                    PromptKind::Input(InputPurpose::VarEdit { name: name.clone() }),
                    format!("{name}={value}"),
                ),
                None => self.flash(
                    Level::Warn,
                    "no variable selected (Tab to the variables)".into(),
                ),
            },
            Action::MethodSettings if self.need_stage(None).is_some() => {
                self.open_prompt(
                    PromptKind::Input(InputPurpose::MethodSetting),
                    "* * throttling/rateLimit ".into(),
                );
            }
            Action::Mark => {
                if let Some(id) = self.selected_deployment() {
                    if let Some(pos) = self.marked.iter().position(|m| *m == id) {
                        self.marked.remove(pos);
                    } else {
                        self.marked.push(id);
                        if self.marked.len() > 2 {
                            self.marked.remove(0);
                        }
                    }
                }
            }
            Action::Diff => return self.open_diff(),
            Action::TestInvoke => return self.test_invoke(),
            Action::ViewTrace => return self.open_trace(),
            Action::EditTestRequest => self.edit_test_request(),
            Action::CanaryInc | Action::CanaryDec => {
                let current = self
                    .current_stage()
                    .and_then(|s| s.canary_settings.as_ref())
                    .map(|c| c.percent_traffic);
                let base = self.canary.pending.or(current).unwrap_or(0.0);
                let step = CANARY_STEPS[self.canary.step % CANARY_STEPS.len()];
                let next = if action == Action::CanaryInc {
                    base + step
                } else {
                    base - step
                };
                self.canary.pending = Some(((next.clamp(0.0, 100.0)) * 10.0).round() / 10.0);
            }
            Action::CanaryStep => self.canary.step = (self.canary.step + 1) % CANARY_STEPS.len(),
            Action::CanaryOverride => {
                if self
                    .current_stage()
                    .and_then(|s| s.canary_settings.as_ref())
                    .is_some()
                {
                    self.open_prompt(
                        PromptKind::Input(InputPurpose::CanaryOverride),
                        String::new(),
                    );
                } else {
                    self.flash(Level::Warn, "the stage has no canary".into());
                }
            }
            Action::Traffic => {
                let Some(api) = self.need_api() else {
                    return Vec::new();
                };
                let rate = match args.first().map(|r| r.parse::<f64>()) {
                    Some(Ok(r)) if r >= 0.0 && r.is_finite() => r,
                    _ => {
                        self.flash(
                            Level::Error,
                            "usage: :traffic RATE [STAGE] (requests per second, 0 stops)".into(),
                        );
                        return Vec::new();
                    }
                };
                let Some(stage) = self.need_stage(args.get(1)) else {
                    return Vec::new();
                };
                if rate > 0.0 {
                    self.traffic.insert((api.clone(), stage.clone()), rate);
                } else {
                    self.traffic.remove(&(api.clone(), stage.clone()));
                }
                return vec![Effect::SetTraffic {
                    rest_api_id: api,
                    stage_name: stage,
                    rate,
                }];
            }
            Action::TrafficToggle => {
                let Some(api) = self.need_api() else {
                    return Vec::new();
                };
                let Some(stage) = self.need_stage(None) else {
                    return Vec::new();
                };
                let key = (api.clone(), stage.clone());
                let rate = match self.traffic.remove(&key) {
                    Some(_) => 0.0,
                    None => {
                        self.traffic.insert(key, DEFAULT_TRAFFIC_RATE);
                        DEFAULT_TRAFFIC_RATE
                    }
                };
                return vec![Effect::SetTraffic {
                    rest_api_id: api,
                    stage_name: stage,
                    rate,
                }];
            }
            Action::ZoomIn => self.dash.window = self.dash.window.saturating_sub(1),
            Action::ZoomOut => self.dash.window = (self.dash.window + 1).min(WINDOWS.len() - 1),
            Action::ZoomReset => self.dash.window = DEFAULT_WINDOW,
            Action::Freeze => self.dash.frozen = !self.dash.frozen,
            Action::Maximise => self.dash.maximised = !self.dash.maximised,
            Action::CycleMethod => {
                let stage = self.dash_stage();
                let n = self.metrics.methods(stage.as_deref()).len();
                self.dash.method = (self.dash.method + 1) % (n + 1);
            }
            Action::CycleNode => return self.cycle_node(),
            Action::CycleStage => {
                let n = self.metrics.stages().len();
                self.dash.stage = (self.dash.stage + 1) % (n + 1);
                self.dash.method = 0;
            }
            Action::Pause => {
                self.logs.paused = !self.logs.paused;
                if !self.logs.paused {
                    let held = std::mem::take(&mut self.logs.held);
                    self.push_logs(held);
                }
            }
            Action::SaveLogs => self.open_prompt(
                PromptKind::Input(InputPurpose::SaveLogs),
                "./gwtui-logs.txt".into(),
            ),
            Action::ClearLogs => {
                self.logs.lines.clear();
                self.logs.follow = true;
            }
            Action::KeyCreate => {
                self.open_prompt(PromptKind::Input(InputPurpose::KeyCreate), String::new())
            }
            Action::PlanCreate => {
                self.open_prompt(PromptKind::Input(InputPurpose::PlanCreate), String::new())
            }
            Action::KeyToggle => match self.selected_key() {
                Some((id, enabled)) => {
                    return vec![Effect::UpdateApiKey {
                        api_key_id: id,
                        ops: vec![PatchOperation::replace("/enabled", (!enabled).to_string())],
                    }];
                }
                None => self.flash(Level::Warn, "no key selected (Tab to the keys)".into()),
            },
            _ => {}
        }
        Vec::new()
    }

    /// The stage the dashboard shows (None = all).
    /// What the dashboard asks for: the whole cluster merged (a single node: its own), or the
    /// node `n` chose.
    pub fn dash_scope(&self) -> crate::engine::MetricsScope {
        match &self.dash.node {
            None => crate::engine::MetricsScope::Cluster,
            Some(id) => crate::engine::MetricsScope::Node(id.clone()),
        }
    }

    /// `n` on the dashboard: whole cluster → each node in turn → whole cluster.
    fn cycle_node(&mut self) -> Vec<Effect> {
        let Some(coverage) = &self.metrics.cluster else {
            self.flash(
                crate::tui::app::Level::Info,
                "Single node: there is no cluster to choose a node from".to_string(),
            );
            return Vec::new();
        };
        let ids: Vec<&str> = coverage.nodes.iter().map(|n| n.node_id.as_str()).collect();
        let next = match &self.dash.node {
            None => ids.first().map(|s| s.to_string()),
            Some(cur) => ids
                .iter()
                .position(|id| id == cur)
                .and_then(|i| ids.get(i + 1))
                .map(|s| s.to_string()),
        };
        self.dash.node = next;
        match &self.api_id {
            Some(api) => vec![Effect::LoadMetrics {
                rest_api_id: api.clone(),
                window_seconds: WINDOWS[self.dash.window],
                scope: self.dash_scope(),
            }],
            None => Vec::new(),
        }
    }

    pub fn dash_stage(&self) -> Option<String> {
        match self.dash.stage {
            0 => None,
            i => self.metrics.stages().get(i - 1).cloned(),
        }
    }

    fn back(&mut self) {
        let view = self.view();
        if self.help {
            self.help = false;
        } else if view == ViewKind::Editor {
            self.editor_back();
        } else if self.filter(view).is_some() {
            self.filters.remove(&view);
        } else if self.stack.len() > 1 {
            self.stack.pop();
        }
    }

    fn select(&mut self) -> Vec<Effect> {
        match self.view() {
            ViewKind::Apis => {
                let rows = self.api_rows();
                let Some(&i) = rows.get(self.cursor(ViewKind::Apis, 0)) else {
                    return Vec::new();
                };
                let id = self.apis[i].definition.rest_api.id.clone();
                let mut out = Vec::new();
                if self.api_id.as_deref() != Some(id.as_str()) {
                    self.choose_api(id.clone());
                    out.push(Effect::LoadStages { rest_api_id: id });
                }
                self.tree_reset();
                self.stack.push(ViewKind::Resources);
                out
            }
            ViewKind::Resources => {
                match self.tree_selection() {
                    Some(node @ (NodeRef::Template { .. } | NodeRef::Method { .. })) => {
                        return self.open_editor(node);
                    }
                    Some(NodeRef::Resource { .. }) => {
                        self.tree.borrow_mut().toggle_selected();
                    }
                    None => self.tree_reset(),
                }
                Vec::new()
            }
            ViewKind::Http => self.http_select(),
            ViewKind::Stages => {
                let n = ViewKind::Stages.panes();
                let cur = self.focus_of(ViewKind::Stages);
                self.focus.insert(ViewKind::Stages, (cur + 1) % n);
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn choose_api(&mut self, id: String) {
        self.api_id = Some(id);
        self.stage = None;
        self.stages.clear();
        self.deployments.clear();
        self.marked.clear();
        self.snapshots.clear();
        self.metrics = Default::default();
        *self.tree.borrow_mut() = Default::default();
        self.tree_reset();
    }

    fn open_diff(&mut self) -> Vec<Effect> {
        let Some(api) = self.need_api() else {
            return Vec::new();
        };
        let pair = match self.marked.as_slice() {
            [a, b] => Some((a.clone(), b.clone())),
            [a] => self
                .selected_deployment()
                .filter(|s| s != a)
                .map(|s| (a.clone(), s)),
            _ => {
                let cur = self.current_stage().map(|s| s.deployment_id.clone());
                self.selected_deployment().zip(cur).filter(|(a, b)| a != b)
            }
        };
        let Some((a, b)) = pair else {
            self.flash(
                Level::Warn,
                "mark two deployments with space (or one and select another)".into(),
            );
            return Vec::new();
        };
        // Older first, so the diff reads old → new.
        let created = |id: &str| {
            self.deployments
                .iter()
                .find(|d| d.id == id)
                .map(|d| d.created_date)
                .unwrap_or(0)
        };
        let (old, new) = if created(&a) <= created(&b) {
            (a, b)
        } else {
            (b, a)
        };
        let out: Vec<Effect> = [&old, &new]
            .iter()
            .filter(|id| !self.snapshots.contains_key(id.as_str()))
            .map(|id| Effect::LoadDeploymentDefinition {
                rest_api_id: api.clone(),
                deployment_id: (*id).clone(),
            })
            .collect();
        self.diff_pair = Some((old, new));
        self.cursors.insert((ViewKind::Diff, 0), 0);
        self.stack.push(ViewKind::Diff);
        out
    }

    /// Plans a dangerous action: the question to ask and the effects a `y` releases.
    pub(super) fn plan_dangerous(
        &mut self,
        action: Action,
        args: &[String],
    ) -> Result<(String, Vec<Effect>), String> {
        if action == Action::ConnDisconnect {
            return self.plan_disconnect();
        }
        let api = self
            .api_id
            .clone()
            .ok_or("no API selected (1 lists them)")?;
        let stage_arg = match action {
            Action::Rollback => args.get(1),
            _ => None,
        };
        let stage = match stage_arg {
            Some(s) => Some(s.clone()),
            None => self.stage.clone(),
        };
        let need_stage = || {
            stage
                .clone()
                .ok_or_else(|| "no stage selected (3 lists them)".to_string())
        };
        let canary = self.current_stage().and_then(|s| s.canary_settings.clone());
        match action {
            Action::VarDelete => {
                let stage = need_stage()?;
                let (name, _) = self
                    .selected_variable()
                    .ok_or("no variable selected (Tab to the variables)")?;
                Ok((
                    format!("Delete stage variable '{name}' of {stage}?"),
                    vec![Effect::PatchStage {
                        rest_api_id: api,
                        stage_name: stage,
                        ops: vec![PatchOperation::remove(format!(
                            "/variables/{}",
                            validate::escape_segment(&name)
                        ))],
                    }],
                ))
            }
            Action::FlushCache => {
                let stage = need_stage()?;
                Ok((
                    format!("Flush the cache of stage {stage}?"),
                    vec![Effect::FlushCache {
                        rest_api_id: api,
                        stage_name: stage,
                    }],
                ))
            }
            Action::Rollback => {
                let stage = need_stage()?;
                let id = match args.first() {
                    Some(id) => id.clone(),
                    None => self
                        .selected_deployment()
                        .ok_or("no deployment selected (4 lists them)")?,
                };
                if !self.deployments.is_empty() && !self.deployments.iter().any(|d| d.id == id) {
                    return Err(format!("no deployment '{id}'"));
                }
                if self.current_stage().is_some_and(|s| s.deployment_id == id) {
                    return Err(format!("{stage} already runs deployment {id}"));
                }
                Ok((
                    format!("Roll {stage} back to deployment {id}?"),
                    vec![Effect::Rollback {
                        rest_api_id: api,
                        stage_name: stage,
                        deployment_id: id,
                    }],
                ))
            }
            Action::Canary | Action::CanaryApply => {
                let stage = need_stage()?;
                let pct = match (action, args.first()) {
                    (Action::Canary, Some(a)) => validate::percent_traffic(a)?,
                    (Action::Canary, None) => return Err("usage: :canary PCT".into()),
                    _ => self
                        .canary
                        .pending
                        .ok_or("nothing to apply: choose a weight with + and -")?,
                };
                let effect = match canary {
                    Some(_) => Effect::PatchStage {
                        rest_api_id: api,
                        stage_name: stage.clone(),
                        ops: vec![PatchOperation::replace(
                            "/canarySettings/percentTraffic",
                            format!("{pct:.1}"),
                        )],
                    },
                    None => Effect::CreateCanary {
                        rest_api_id: api,
                        stage_name: stage.clone(),
                        percent_traffic: pct,
                    },
                };
                Ok((
                    format!("Send {pct:.1}% of {stage} traffic to the canary?"),
                    vec![effect],
                ))
            }
            Action::Promote => {
                let stage = need_stage()?;
                canary.ok_or(format!("{stage} has no canary"))?;
                Ok((
                    format!(
                        "Promote the canary of {stage} to 100% (replaces the base deployment)?"
                    ),
                    vec![Effect::PromoteCanary {
                        rest_api_id: api,
                        stage_name: stage,
                    }],
                ))
            }
            Action::CanaryDelete => {
                let stage = need_stage()?;
                canary.ok_or(format!("{stage} has no canary"))?;
                Ok((
                    format!("Delete the canary of {stage}?"),
                    vec![Effect::DeleteCanary {
                        rest_api_id: api,
                        stage_name: stage,
                    }],
                ))
            }
            Action::KeyDelete => {
                let (id, _) = self
                    .selected_key()
                    .ok_or("no key selected (Tab to the keys)")?;
                Ok((
                    format!("Delete API key {id}?"),
                    vec![Effect::DeleteApiKey { api_key_id: id }],
                ))
            }
            other => Err(format!("'{}' cannot run here", other.description())),
        }
    }
}

pub fn format_log_line(l: &crate::tui::msg::LogLine) -> String {
    let secs = l.epoch_millis.div_euclid(1000);
    let ms = l.epoch_millis.rem_euclid(1000);
    let t =
        time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:02}:{:02}:{:02}.{ms:03} {:<6} {} {} {}",
        t.hour(),
        t.minute(),
        t.second(),
        l.level,
        l.stage,
        l.request_id,
        l.message
    )
}
