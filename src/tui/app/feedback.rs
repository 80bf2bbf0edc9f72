//! What the console keeps beyond the 6 s flash line: the message history (`:messages`,
//! `M`), the long operations in progress (import, export, deploy: shown with their elapsed
//! time until their result arrives), and confirmations of actions that are not dangerous in
//! themselves but deserve a second look (deploying, overwriting a file).

use std::time::Instant;

use super::{App, Flash, Pending};
use crate::tui::action::Action;
use crate::tui::effect::Effect;

/// Messages the history keeps (the oldest go first).
pub const MESSAGE_HISTORY: usize = 200;
/// Long operations tracked at once (each is one key press; the oldest go first).
pub const BUSY_LIMIT: usize = 16;

/// A long operation in progress: named as its result will be (`deploy prod`).
#[derive(Debug, Clone, PartialEq)]
pub struct Busy {
    pub what: String,
    pub since: Instant,
}

/// The name a long operation's result carries (the runner's `OpResult::what`), or `None`
/// for the quick ones.
pub fn long_operation(effect: &Effect) -> Option<String> {
    match effect {
        Effect::Import { path } => Some(format!("import {path}")),
        Effect::Export { path, .. } => Some(format!("export to {path}")),
        Effect::Deploy { stage_name, .. } => Some(format!("deploy {stage_name}")),
        _ => None,
    }
}

impl App {
    /// Keeps a flashed message in the history.
    pub(super) fn remember(&mut self, flash: Flash) {
        if self.messages.len() >= MESSAGE_HISTORY {
            self.messages.pop_front();
        }
        self.messages.push_back(flash);
    }

    /// Starts tracking the long operations among `effects`.
    pub(super) fn track_busy(&mut self, effects: &[Effect]) {
        for what in effects.iter().filter_map(long_operation) {
            if self.busy.len() >= BUSY_LIMIT {
                self.busy.remove(0);
            }
            self.busy.push(Busy {
                what,
                since: self.now,
            });
        }
    }

    /// An operation's result arrived: it is no longer in progress.
    pub(super) fn finish_busy(&mut self, what: &str) {
        if let Some(i) = self.busy.iter().position(|b| b.what == what) {
            self.busy.remove(i);
        }
    }

    /// Holds `effects` until the operator answers `question` with `y`.
    pub(super) fn hold(
        &mut self,
        action: Action,
        question: String,
        effects: Vec<Effect>,
    ) -> Vec<Effect> {
        self.confirm = Some(Pending {
            action,
            question,
            effects,
        });
        Vec::new()
    }

    /// A prompt's answer: a deployment or an export over an existing file waits for `y`.
    pub(super) fn confirm_first(&mut self, mut effects: Vec<Effect>) -> Vec<Effect> {
        match effects.as_slice() {
            [Effect::Deploy { .. }] => self.confirm_deploy(effects.remove(0)),
            [Effect::Export { .. }] => self.confirm_export(effects.remove(0)),
            _ => effects,
        }
    }

    /// Deploying asks first: it changes what the stage serves.
    pub(super) fn confirm_deploy(&mut self, effect: Effect) -> Vec<Effect> {
        let Effect::Deploy {
            rest_api_id,
            stage_name,
            ..
        } = &effect
        else {
            return vec![effect];
        };
        let question = format!("deploy the current definition of {rest_api_id} to {stage_name}?");
        self.hold(Action::Deploy, question, vec![effect])
    }

    /// Exporting over an existing file asks first.
    pub(super) fn confirm_export(&mut self, effect: Effect) -> Vec<Effect> {
        let Effect::Export { path, .. } = &effect else {
            return vec![effect];
        };
        if std::path::Path::new(path).exists() {
            let question = format!("{path} exists: overwrite it?");
            return self.hold(Action::Export, question, vec![effect]);
        }
        vec![effect]
    }
}
