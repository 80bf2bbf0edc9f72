//! `gwtui serve` processes for the cluster tests: a node is the real binary on port 0 with its
//! own data dir and config file, killed on drop. [`seed_dirs`] gives several nodes identical
//! definitions by copying one node's data dir after a clean stop (until the PostgreSQL store
//! shares them).
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gwtui");

pub struct Node {
    child: Option<Child>,
    pub base: String,
}

impl Node {
    /// Starts a node on `dir` with `config` as its config file; returns once it listens.
    pub fn start(dir: &Path, config: &str) -> Node {
        std::fs::write(dir.join("config.toml"), config).expect("write config");
        let mut child = Command::new(BIN)
            .arg("--data-dir")
            .arg(dir)
            .arg("--config")
            .arg(dir.join("config.toml"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn gwtui serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader.read_line(&mut line).expect("read the first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_string();
        // Keep draining so the node never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while reader.read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        });
        Node {
            child: Some(child),
            base,
        }
    }

    /// Path-style invoke URL.
    pub fn url(&self, api: &str, stage: &str, path: &str) -> String {
        format!("{}/restapis/{api}/{stage}/_user_request_{path}", self.base)
    }

    /// SIGTERM and wait: the store is closed cleanly (usage flushed).
    pub fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let _ = child.wait();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Copies `from` (a stopped node's data dir) into `to`: the store and whatever else it holds,
/// except the running-server file and logs.
pub fn copy_data_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read data dir").flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_file()
            && name != "config.toml"
            && name != "gwtui.lock"
            && !name.starts_with("server")
        {
            std::fs::copy(&path, to.join(&*name)).expect("copy store file");
        }
    }
}
