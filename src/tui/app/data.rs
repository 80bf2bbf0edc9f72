//! Data arriving from the runner or the engine's event stream.

use super::{App, LOG_CAPACITY, Level};
use crate::tui::effect::Effect;
use crate::tui::msg::{DataUpdate, LogLine};
use crate::tui::view::ViewKind;

impl App {
    pub(super) fn on_data(&mut self, d: DataUpdate) -> Vec<Effect> {
        match d {
            DataUpdate::Listener(l) => self.listener = l,
            DataUpdate::Aws(settings) => self.aws = settings,
            DataUpdate::TemplateGenerated(generated) => {
                return self.on_template_generated(*generated);
            }
            DataUpdate::Connection(up) => self.disconnected = !up,
            DataUpdate::TestInvoked {
                rest_api_id,
                resource_id,
                http_method,
                result,
            } => self.on_test_invoked(rest_api_id, resource_id, http_method, result),
            DataUpdate::Trace { request_id, result } => self.on_trace(request_id, result),
            DataUpdate::HttpApis(apis) => {
                self.http_apis = apis;
                let len = self.list_len(ViewKind::Http, 0);
                let cur = self.cursor(ViewKind::Http, 0);
                self.cursors
                    .insert((ViewKind::Http, 0), cur.min(len.saturating_sub(1)));
            }
            DataUpdate::Apis(apis) => {
                self.apis = apis;
                let known = self
                    .api_id
                    .as_ref()
                    .is_some_and(|id| self.apis.iter().any(|a| &a.definition.rest_api.id == id));
                if !known {
                    match self.apis.first().map(|a| a.definition.rest_api.id.clone()) {
                        Some(id) => {
                            self.choose_api(id.clone());
                            return vec![Effect::LoadStages { rest_api_id: id }];
                        }
                        None => self.api_id = None,
                    }
                }
                self.tree_reset();
            }
            DataUpdate::Stages {
                rest_api_id,
                mut stages,
                mut deployments,
            } => {
                if self.api_id.as_deref() != Some(rest_api_id.as_str()) {
                    return Vec::new();
                }
                stages.sort_by(|a, b| a.stage_name.cmp(&b.stage_name));
                deployments
                    .sort_by(|a, b| b.created_date.cmp(&a.created_date).then(a.id.cmp(&b.id)));
                self.stages = stages;
                self.deployments = deployments;
                let known = self
                    .stage
                    .as_ref()
                    .is_some_and(|s| self.stages.iter().any(|st| &st.stage_name == s));
                if !known {
                    self.stage = self.stages.first().map(|s| s.stage_name.clone());
                }
                if let Some(i) = self.stage.as_ref().and_then(|s| {
                    self.stage_rows()
                        .into_iter()
                        .position(|i| &self.stages[i].stage_name == s)
                }) {
                    self.cursors.insert((ViewKind::Stages, 0), i);
                }
                for key in [
                    (ViewKind::Stages, 1),
                    (ViewKind::Stages, 2),
                    (ViewKind::Deployments, 0),
                ] {
                    let len = self.list_len(key.0, key.1);
                    let cur = self.cursor(key.0, key.1);
                    self.cursors.insert(key, cur.min(len.saturating_sub(1)));
                }
                self.marked
                    .retain(|m| self.deployments.iter().any(|d| &d.id == m));
            }
            DataUpdate::DeploymentDefinition {
                rest_api_id,
                deployment_id,
                definition,
            } => {
                if self.api_id.as_deref() == Some(rest_api_id.as_str()) {
                    self.snapshots.insert(deployment_id, *definition);
                }
            }
            DataUpdate::Pulse(m) => {
                // Only for listed APIs, so the map stays as small as the list.
                if self
                    .apis
                    .iter()
                    .any(|a| a.definition.rest_api.id == m.rest_api_id)
                {
                    self.pulse.insert(m.rest_api_id.clone(), m);
                }
            }
            DataUpdate::LogsDropped(n) => self.logs.dropped = self.logs.dropped.saturating_add(n),
            DataUpdate::Metrics(m) => {
                // An answer for the scope the dashboard showed before `n` changed it is dropped.
                let scope_matches = m.cluster.as_ref().is_none_or(|c| match &self.dash.node {
                    None => c.is_cluster(),
                    Some(id) => c.scope == *id,
                });
                if !self.dash.frozen
                    && scope_matches
                    && self.api_id.as_deref() == Some(m.rest_api_id.as_str())
                {
                    self.metrics = m;
                }
            }
            DataUpdate::Logs(lines) => {
                if self.logs.paused {
                    self.logs.held.extend(lines);
                    let excess = self.logs.held.len().saturating_sub(LOG_CAPACITY);
                    self.logs.held.drain(..excess);
                } else {
                    self.push_logs(lines);
                }
            }
            DataUpdate::Nodes(view) => self.nodes = Some(view),
            DataUpdate::Usage(u) => {
                self.usage = u;
                for pane in [0, 1] {
                    let len = self.list_len(ViewKind::Keys, pane);
                    let cur = self.cursor(ViewKind::Keys, pane);
                    self.cursors
                        .insert((ViewKind::Keys, pane), cur.min(len.saturating_sub(1)));
                }
            }
            DataUpdate::TestRender { seq, result } => {
                if let Some(ed) = self.editor.as_mut() {
                    ed.accept_render(seq, result);
                }
            }
            DataUpdate::RenderDue(seq) => return self.editor_render_due(seq),
            DataUpdate::OpResult { what, result } => {
                self.finish_busy(&what);
                match result {
                    Ok(detail) if detail.is_empty() => {
                        self.flash(Level::Info, format!("{what}: done"))
                    }
                    Ok(detail) => self.flash(Level::Info, format!("{what}: {detail}")),
                    Err(e) => self.flash(Level::Error, format!("{what} failed: {e}")),
                }
                self.reload_pending = true;
            }
            // Coalesced: the runner reloads once per burst (`take_reload`).
            DataUpdate::Changed => self.reload_pending = true,
            DataUpdate::Connections {
                api_id,
                stage,
                result,
            } => self.on_connections(api_id, stage, result),
            DataUpdate::WscatOpened(result) => return self.on_wscat_opened(result),
            DataUpdate::WscatFrames {
                session,
                frames,
                closed,
            } => return self.on_wscat_frames(session, frames, closed),
            DataUpdate::Resync => {
                self.resyncs += 1;
                self.reload_pending = true;
            }
        }
        Vec::new()
    }

    pub(super) fn push_logs(&mut self, lines: Vec<LogLine>) {
        self.logs.lines.extend(lines);
        let excess = self.logs.lines.len().saturating_sub(LOG_CAPACITY);
        if excess > 0 {
            self.logs.lines.drain(..excess);
            if !self.logs.follow {
                let cur = self.cursor(ViewKind::Logs, 0);
                self.cursors
                    .insert((ViewKind::Logs, 0), cur.saturating_sub(excess));
            }
        }
    }
}
