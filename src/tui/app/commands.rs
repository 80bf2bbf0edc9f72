//! `:` commands: parsing, Tab completion, and what prompts do when submitted.

use super::{App, Level, PromptKind};
use crate::tui::action::Action;
use crate::tui::effect::Effect;
use crate::tui::filter::Filter;
use crate::tui::keymap::COMMANDS;

/// Parses a command line into an action and its arguments.
pub fn parse_command(line: &str) -> Result<(Action, Vec<String>), String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Err("empty command".into());
    };
    let args: Vec<String> = words.map(str::to_string).collect();
    let (_, action) = COMMANDS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("unknown command ':{name}' (Tab completes)"))?;
    let action = match (*action, args.is_empty()) {
        (Action::Canary, true) => Action::ViewCanary,
        (a, _) => a,
    };
    Ok((action, args))
}

impl App {
    pub(super) fn submit(&mut self, kind: PromptKind, text: String) -> Vec<Effect> {
        match kind {
            PromptKind::Command => match parse_command(&text) {
                Ok((action, args)) => self.perform(action, args),
                Err(e) => {
                    self.flash(Level::Error, e);
                    Vec::new()
                }
            },
            PromptKind::Filter => {
                let view = self.view();
                if text.is_empty() {
                    self.filters.remove(&view);
                } else {
                    self.filters.insert(view, Filter::new(&text));
                }
                Vec::new()
            }
            PromptKind::Search => {
                self.editor_search(&text);
                Vec::new()
            }
            PromptKind::Input(purpose) => match self.commit(&purpose, text.trim()) {
                Ok(effects) => self.confirm_first(effects),
                Err(e) => {
                    self.flash(Level::Error, e);
                    self.open_prompt(PromptKind::Input(purpose), text);
                    Vec::new()
                }
            },
        }
    }

    /// Full command lines that complete what is typed.
    pub fn completions(&self, text: &str) -> Vec<String> {
        let words: Vec<&str> = text.split(' ').collect();
        if words.len() <= 1 {
            let mut out: Vec<String> = COMMANDS
                .iter()
                .map(|(n, _)| n.to_string())
                .filter(|n| n.starts_with(text) && n != "quit")
                .collect();
            out.dedup();
            return out;
        }
        let cmd = words[0];
        let last = words.last().copied().unwrap_or("");
        let prefix = &text[..text.len() - last.len()];
        let pool: Vec<String> = match (cmd, words.len()) {
            ("theme", 2) => self.theme_names(),
            ("deploy", 2) | ("traffic", 3) => {
                self.stages.iter().map(|s| s.stage_name.clone()).collect()
            }
            ("rollback", 2) => self.deployments.iter().map(|d| d.id.clone()).collect(),
            _ => Vec::new(),
        };
        pool.into_iter()
            .filter(|c| c.starts_with(last))
            .map(|c| format!("{prefix}{c}"))
            .collect()
    }

    /// Tab: complete to the longest common prefix; at the prefix, cycle through candidates.
    pub(super) fn complete(&mut self) {
        let Some(prompt) = self.prompt.as_ref() else {
            return;
        };
        let text = prompt.text.clone();
        let cycle = prompt.cycle;
        let cands = self.completions(&text);
        let new = match cands.len() {
            0 => return,
            1 => {
                let only = &cands[0];
                if COMMANDS.iter().any(|(n, a)| n == only && takes_args(*a)) {
                    format!("{only} ")
                } else {
                    only.clone()
                }
            }
            _ => {
                let common = common_prefix(&cands);
                if common.len() > text.len() {
                    common
                } else {
                    cands[cycle % cands.len()].clone()
                }
            }
        };
        if let Some(p) = self.prompt.as_mut() {
            p.text = new;
            p.cycle = cycle + 1;
        }
    }
}

fn takes_args(a: Action) -> bool {
    matches!(
        a,
        Action::Theme
            | Action::Deploy
            | Action::Rollback
            | Action::Canary
            | Action::Traffic
            | Action::Import
            | Action::Export
    )
}

fn common_prefix(items: &[String]) -> String {
    let Some(first) = items.first() else {
        return String::new();
    };
    let mut len = first.len();
    for s in &items[1..] {
        len = len.min(
            first
                .bytes()
                .zip(s.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    while !first.is_char_boundary(len) {
        len -= 1;
    }
    first[..len].to_string()
}
