//! A private tmux server for the console end-to-end tests (`console_e2e.rs`,
//! `console_attach.rs`): send keys, capture the pane, poll until a screen appears.
#![allow(dead_code)]

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// How long any one expected screen may take to appear.
pub const WAIT: Duration = Duration::from_secs(30);

/// A private tmux server (its own socket), killed on drop.
pub struct Tmux {
    pub socket: String,
}

impl Tmux {
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"))
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {out:?}");
    }

    /// Literal text (no key-name lookup).
    pub fn type_text(&self, text: &str) {
        self.send(&["-l", text]);
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    pub fn format(&self, fmt: &str) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["display-message", "-p", "-t", "e2e", fmt])
                .stdout,
        )
        .trim()
        .to_string()
    }

    /// Polls the pane until `pred` holds (bounded by [`WAIT`]).
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            if start.elapsed() > WAIT {
                panic!("timed out waiting for {what}; the pane shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, needle: &str) -> String {
        self.wait_for(&format!("{needle:?}"), |s| s.contains(needle))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

impl Tmux {
    /// A 160×48 session running `sh` with a `$ ` prompt, colours on.
    pub fn start(name: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("gwtui-{name}-{}", std::process::id()),
        };
        let out = tmux.run(&[
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            "e2e",
            "-x",
            "160",
            "-y",
            "48",
            "env",
            "-u",
            "NO_COLOR",
            "TERM=xterm-256color",
            "PS1=$ ",
            "sh",
        ]);
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux.wait_for("the shell's prompt", |s| s.trim_start().starts_with('$'));
        tmux
    }
}

/// The shell's `EXITED:<status>` line (not the command line that prints it).
pub fn exit_line(screen: &str) -> Option<String> {
    screen
        .lines()
        .find(|l| l.contains("EXITED:") && !l.contains("echo"))
        .map(|l| l.trim().to_string())
}

pub fn shell_quote(p: &std::path::Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}
