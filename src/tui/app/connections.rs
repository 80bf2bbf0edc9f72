//! WebSocket APIs in the console: the Connections view of a stage (its open connections,
//! polled every second while shown; `s` sends a message to the selected one as
//! `@connections` POST does, `d` disconnects it after a confirmation, `/` filters by id,
//! source IP or route) and `:wscat`, an interactive client on a stage (Enter opens the send
//! line, which stays open for the next one; received frames show as they arrive; Esc closes
//! the client).

use std::collections::VecDeque;

use super::{App, InputPurpose, Level, PromptKind};
use crate::engine::ConnectionSummary;
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::msg::ConnectionsPage;
use crate::tui::view::ViewKind;
use crate::tui::wscat::{FRAMES_KEPT, WscatFrame, WscatSession};

/// The stage the Connections view shows and what it last listed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnectionsUi {
    pub api_id: String,
    pub api_name: String,
    pub stage: String,
    pub page: ConnectionsPage,
    /// The last listing failed (the view keeps its last rows and says why).
    pub error: Option<String>,
    /// A listing arrived since the view opened.
    pub loaded: bool,
}

/// The `:wscat` client.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WscatUi {
    pub api_id: String,
    pub api_name: String,
    pub stage: String,
    /// `None` while connecting (and after a failed connect).
    pub session: Option<WscatSession>,
    /// Oldest first, at most [`FRAMES_KEPT`].
    pub frames: VecDeque<WscatFrame>,
    /// The socket is gone (or never opened).
    pub closed: bool,
}

impl WscatUi {
    fn push(&mut self, frame: WscatFrame) {
        if self.frames.len() >= FRAMES_KEPT {
            self.frames.pop_front();
        }
        self.frames.push_back(frame);
    }
}

impl App {
    /// The WebSocket API an action applies to, `(id, name, stage names)`: the HTTP view's
    /// selection there, the Connections view's API there, else the current API when it is a
    /// WebSocket API, else the first one listed.
    fn websocket_target(&self) -> Result<(String, String, Vec<String>), String> {
        let wanted = match self.view() {
            ViewKind::Http => Some(
                self.selected_http_api()
                    .ok_or("no API selected")?
                    .api_id
                    .clone(),
            ),
            ViewKind::Connections | ViewKind::Wscat => {
                self.connections.as_ref().map(|c| c.api_id.clone())
            }
            _ => None,
        };
        let api = match wanted {
            Some(id) => self
                .http_apis
                .iter()
                .find(|a| a.api_id == id)
                .ok_or_else(|| format!("API {id} is gone"))?,
            None => self
                .http_apis
                .iter()
                .find(|a| a.websocket && self.api_id.as_deref() == Some(a.api_id.as_str()))
                .or_else(|| self.http_apis.iter().find(|a| a.websocket))
                .ok_or("no WebSocket API (create one with protocolType WEBSOCKET)")?,
        };
        if !api.websocket {
            return Err(format!(
                "{} is an HTTP API: connections are WebSocket APIs'",
                api.name
            ));
        }
        Ok((
            api.api_id.clone(),
            api.name.clone(),
            api.stages.iter().map(|s| s.stage_name.clone()).collect(),
        ))
    }

    /// The stage named, else the one the Connections view shows for this API, else the first.
    fn websocket_stage(
        &self,
        api_id: &str,
        name: &str,
        stages: &[String],
        named: Option<&String>,
    ) -> Result<String, String> {
        if let Some(n) = named {
            return if stages.contains(n) {
                Ok(n.clone())
            } else {
                Err(format!("{name} has no stage '{n}'"))
            };
        }
        if let Some(c) = &self.connections
            && c.api_id == api_id
            && stages.contains(&c.stage)
        {
            return Ok(c.stage.clone());
        }
        stages
            .first()
            .cloned()
            .ok_or_else(|| format!("{name} has no stage: create and deploy one first"))
    }

    fn websocket_choice(&mut self, named: Option<&String>) -> Option<(String, String, String)> {
        let found = self.websocket_target().and_then(|(id, name, stages)| {
            let stage = self.websocket_stage(&id, &name, &stages, named)?;
            Ok((id, name, stage))
        });
        match found {
            Ok(f) => Some(f),
            Err(e) => {
                self.flash(Level::Warn, e);
                None
            }
        }
    }

    /// `c` / `:connections [STAGE]`: the stage's live connections.
    pub(super) fn open_connections(&mut self, named: Option<&String>) -> Vec<Effect> {
        let Some((api_id, api_name, stage)) = self.websocket_choice(named) else {
            return Vec::new();
        };
        let same = self
            .connections
            .as_ref()
            .is_some_and(|c| c.api_id == api_id && c.stage == stage);
        if !same {
            self.connections = Some(ConnectionsUi {
                api_id: api_id.clone(),
                api_name,
                stage: stage.clone(),
                ..Default::default()
            });
            self.cursors.insert((ViewKind::Connections, 0), 0);
        }
        if self.view() != ViewKind::Connections {
            self.stack.push(ViewKind::Connections);
        }
        vec![Effect::LoadConnections { api_id, stage }]
    }

    /// The poll that keeps the Connections view live.
    pub(super) fn connections_poll(&self) -> Vec<Effect> {
        match (&self.connections, self.view()) {
            (Some(c), ViewKind::Connections) => vec![Effect::LoadConnections {
                api_id: c.api_id.clone(),
                stage: c.stage.clone(),
            }],
            _ => Vec::new(),
        }
    }

    pub(super) fn on_connections(
        &mut self,
        api_id: String,
        stage: String,
        result: Result<ConnectionsPage, String>,
    ) {
        let Some(c) = self.connections.as_mut() else {
            return;
        };
        if c.api_id != api_id || c.stage != stage {
            return;
        }
        match result {
            Ok(page) => {
                c.page = page;
                c.error = None;
                c.loaded = true;
            }
            Err(e) => c.error = Some(e),
        }
        let len = self.connection_rows().len();
        let cur = self.cursor(ViewKind::Connections, 0);
        self.cursors
            .insert((ViewKind::Connections, 0), cur.min(len.saturating_sub(1)));
    }

    /// Indices into the listed connections (filtered by id, source IP, user agent, route).
    pub fn connection_rows(&self) -> Vec<usize> {
        let Some(c) = &self.connections else {
            return Vec::new();
        };
        let filter = self.filter(ViewKind::Connections);
        (0..c.page.rows.len())
            .filter(|&i| {
                let r = &c.page.rows[i];
                filter.is_none_or(|f| {
                    f.matches(&format!(
                        "{} {} {} {}",
                        r.connection_id,
                        r.source_ip,
                        r.user_agent.as_deref().unwrap_or(""),
                        r.last_route.as_deref().unwrap_or("")
                    ))
                })
            })
            .collect()
    }

    /// The connection under the cursor.
    pub fn selected_connection(&self) -> Option<&ConnectionSummary> {
        let rows = self.connection_rows();
        let i = *rows.get(self.cursor(ViewKind::Connections, 0))?;
        self.connections.as_ref()?.page.rows.get(i)
    }

    fn need_connection(&mut self) -> Option<(String, String, ConnectionSummary)> {
        let found = self
            .connections
            .as_ref()
            .filter(|_| self.view() == ViewKind::Connections)
            .map(|c| (c.api_id.clone(), c.stage.clone()))
            .and_then(|(a, s)| Some((a, s, self.selected_connection()?.clone())));
        if found.is_none() {
            self.flash(
                Level::Warn,
                "no connection selected (c on a WebSocket API in the HTTP view)".into(),
            );
        }
        found
    }

    /// `s`: asks for the message to send to the selected connection.
    pub(super) fn conn_send_prompt(&mut self) {
        if let Some((_, _, c)) = self.need_connection() {
            self.open_prompt(
                PromptKind::Input(InputPurpose::ConnSend {
                    connection_id: c.connection_id,
                }),
                String::new(),
            );
        }
    }

    /// The send prompt's answer: `@connections` POST, then a fresh listing.
    pub(super) fn conn_send(
        &mut self,
        connection_id: &str,
        text: &str,
    ) -> Result<Vec<Effect>, String> {
        let c = self
            .connections
            .as_ref()
            .ok_or("the Connections view is closed")?;
        if text.is_empty() {
            return Err("a message is required".into());
        }
        Ok(vec![Effect::PostToConnection {
            api_id: c.api_id.clone(),
            stage: c.stage.clone(),
            connection_id: connection_id.to_string(),
            data: text.to_string(),
        }])
    }

    /// `d`: disconnecting is confirmed first (`$disconnect` runs, the client is gone).
    pub(super) fn plan_disconnect(&mut self) -> Result<(String, Vec<Effect>), String> {
        let (api_id, stage, c) = self.need_connection().ok_or("no connection selected")?;
        Ok((
            format!(
                "Disconnect {} ({}) from {stage}? Its $disconnect route runs.",
                c.connection_id, c.source_ip
            ),
            vec![
                Effect::DeleteConnection {
                    api_id: api_id.clone(),
                    stage: stage.clone(),
                    connection_id: c.connection_id,
                },
                Effect::LoadConnections { api_id, stage },
            ],
        ))
    }

    /// `w` / `:wscat [STAGE]`: a client connected to the stage, in its own view.
    pub(super) fn open_wscat(&mut self, named: Option<&String>) -> Vec<Effect> {
        let Some((api_id, api_name, stage)) = self.websocket_choice(named) else {
            return Vec::new();
        };
        let mut out = self.close_wscat();
        self.wscat = Some(WscatUi {
            api_id: api_id.clone(),
            api_name,
            stage: stage.clone(),
            ..Default::default()
        });
        self.cursors.insert((ViewKind::Wscat, 0), 0);
        if self.view() != ViewKind::Wscat {
            self.stack.push(ViewKind::Wscat);
        }
        out.push(Effect::WscatOpen { api_id, stage });
        out
    }

    /// Closes the client, if one is open.
    pub(super) fn close_wscat(&mut self) -> Vec<Effect> {
        match self.wscat.take().and_then(|w| w.session) {
            Some(session) => vec![Effect::WscatClose { session }],
            None => Vec::new(),
        }
    }

    pub(super) fn on_wscat_opened(&mut self, result: Result<WscatSession, String>) -> Vec<Effect> {
        let Some(ui) = self
            .wscat
            .as_mut()
            .filter(|w| w.session.is_none() && !w.closed)
        else {
            // The view was left (or replaced) while connecting.
            return match result {
                Ok(session) => vec![Effect::WscatClose { session }],
                Err(_) => Vec::new(),
            };
        };
        match result {
            Ok(session) => {
                ui.session = Some(session.clone());
                if self.view() == ViewKind::Wscat && self.prompt.is_none() {
                    self.open_prompt(PromptKind::Input(InputPurpose::WscatLine), String::new());
                }
                vec![Effect::WscatRecv { session }]
            }
            Err(e) => {
                ui.closed = true;
                ui.push(WscatFrame::Info(format!("could not connect: {e}")));
                self.flash(Level::Error, format!("wscat: {e}"));
                Vec::new()
            }
        }
    }

    pub(super) fn on_wscat_frames(
        &mut self,
        session: u64,
        frames: Vec<WscatFrame>,
        closed: bool,
    ) -> Vec<Effect> {
        let Some(ui) = self.wscat.as_mut() else {
            return Vec::new();
        };
        let Some(current) = ui.session.clone().filter(|s| s.id == session) else {
            return Vec::new();
        };
        for f in frames {
            ui.push(f);
        }
        if closed {
            ui.closed = true;
            return Vec::new();
        }
        if self.filter(ViewKind::Wscat).is_none() {
            let last = self.wscat_rows().len().saturating_sub(1);
            self.cursors.insert((ViewKind::Wscat, 0), last);
        }
        vec![Effect::WscatRecv { session: current }]
    }

    /// The send line's answer: the line goes out, and the line opens again for the next.
    pub(super) fn wscat_send(&mut self, text: &str) -> Result<Vec<Effect>, String> {
        let ui = self.wscat.as_ref().ok_or("no wscat client open")?;
        let session = match (&ui.session, ui.closed) {
            (Some(s), false) => s.clone(),
            (None, false) => return Err("still connecting".into()),
            _ => return Err("the connection is closed (esc, then :wscat to reconnect)".into()),
        };
        if text.is_empty() {
            return Err("type a message (esc leaves the line)".into());
        }
        self.open_prompt(PromptKind::Input(InputPurpose::WscatLine), String::new());
        Ok(vec![Effect::WscatSend {
            session,
            text: text.to_string(),
        }])
    }

    /// `enter` in the wscat view: the send line.
    pub(super) fn wscat_prompt(&mut self) {
        match &self.wscat {
            Some(w) if !w.closed => {
                self.open_prompt(PromptKind::Input(InputPurpose::WscatLine), String::new())
            }
            _ => self.flash(
                Level::Warn,
                "the connection is closed (esc, then :wscat to reconnect)".into(),
            ),
        }
    }

    /// Indices into the client's frames (filtered).
    pub fn wscat_rows(&self) -> Vec<usize> {
        let Some(w) = &self.wscat else {
            return Vec::new();
        };
        let filter = self.filter(ViewKind::Wscat);
        (0..w.frames.len())
            .filter(|&i| filter.is_none_or(|f| f.matches(&frame_text(&w.frames[i]))))
            .collect()
    }

    /// Runs the WebSocket actions (`App::run` hands them here).
    pub(super) fn run_websocket(&mut self, action: Action, args: &[String]) -> Vec<Effect> {
        match action {
            Action::ViewConnections => self.open_connections(args.first()),
            Action::Wscat => self.open_wscat(args.first()),
            Action::ConnSend => {
                self.conn_send_prompt();
                Vec::new()
            }
            Action::WscatSend => {
                self.wscat_prompt();
                Vec::new()
            }
            _ => Vec::new(),
        }
    }
}

/// A frame as one line: `→ sent`, `← received`, `· what happened`.
pub fn frame_text(f: &WscatFrame) -> String {
    match f {
        WscatFrame::Sent(t) => format!("→ {t}"),
        WscatFrame::Received(t) => format!("← {t}"),
        WscatFrame::Binary(n) => format!("← ({n} bytes, binary)"),
        WscatFrame::Info(t) => format!("· {t}"),
    }
}
