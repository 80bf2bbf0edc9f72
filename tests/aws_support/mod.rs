//! A moto server (PyPI `moto[server]`) for the AWS service integration tests: one per test
//! binary, started on a free loopback port by `tests/scripts/moto_server.py` with its IAM
//! checks on (every request must carry a valid SigV4 signature from a known key), and boto3
//! against the same server to check what the services hold.
//!
//! The interpreter is `GWTUI_MOTO_PYTHON` (`.ci/run` sets it), else
//! `~/.cache/gwtui/venv-moto/bin/python`, else `python3` — the first that imports moto's
//! server and boto3. Without one a test fails when `CI` is set and is skipped otherwise.
#![allow(dead_code)]

use std::io::BufRead as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

use gwtui::engine::{AwsConfig, AwsSettings};

pub struct Moto {
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub python: PathBuf,
    /// Kept so its stdin stays open: the server exits when this process does.
    _child: Mutex<Child>,
}

fn candidates() -> Vec<PathBuf> {
    let mut list = Vec::new();
    if let Some(p) = std::env::var_os("GWTUI_MOTO_PYTHON") {
        list.push(PathBuf::from(p));
    }
    if let Some(home) = std::env::var_os("HOME") {
        list.push(PathBuf::from(home).join(".cache/gwtui/venv-moto/bin/python"));
    }
    list.push(PathBuf::from("python3"));
    list
}

fn find_python() -> Option<PathBuf> {
    candidates().into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import moto.server, boto3"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn start() -> Result<Moto, String> {
    let python =
        find_python().ok_or("no Python with moto[server] and boto3 (set GWTUI_MOTO_PYTHON)")?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/moto_server.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .env("NO_PROXY", "*")
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", python.display()))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    let info: serde_json::Value =
        serde_json::from_str(&line).map_err(|e| format!("moto_server.py printed {line:?}: {e}"))?;
    let text = |k: &str| info[k].as_str().unwrap_or_default().to_string();
    Ok(Moto {
        endpoint: text("endpoint"),
        access_key_id: text("access_key_id"),
        secret_access_key: text("secret_access_key"),
        python,
        _child: Mutex::new(child),
    })
}

/// The shared moto server, or `None` (with a message) when it cannot run outside CI.
pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
    match MOTO.get_or_init(start) {
        Ok(m) => Some(m),
        Err(e) if std::env::var_os("CI").is_some() => panic!("moto is required in CI: {e}"),
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            None
        }
    }
}

impl Moto {
    /// `[aws]` settings pointing every service at this server with its key.
    pub fn settings(&self) -> AwsSettings {
        self.settings_with(&self.access_key_id, &self.secret_access_key)
    }

    pub fn settings_with(&self, key: &str, secret: &str) -> AwsSettings {
        AwsSettings::resolve(
            &AwsConfig {
                endpoint_url: Some(self.endpoint.clone()),
                access_key_id: Some(key.to_string()),
                secret_access_key: Some(secret.to_string()),
                ..Default::default()
            },
            |_| None,
            None,
        )
        .expect("settings")
    }

    /// Runs a boto3 snippet against this server; `client(name)` makes a client. The snippet's
    /// last stdout line is parsed as JSON.
    pub async fn boto(&self, snippet: &str) -> serde_json::Value {
        let program = format!(
            "import boto3, json, os, base64, time\n\
             def client(name):\n    return boto3.client(name, endpoint_url=os.environ['MOTO_ENDPOINT'], region_name='us-east-1')\n\
             {snippet}\n"
        );
        let out = tokio::process::Command::new(&self.python)
            .args(["-c", &program])
            .env("MOTO_ENDPOINT", &self.endpoint)
            .env("AWS_ACCESS_KEY_ID", &self.access_key_id)
            .env("AWS_SECRET_ACCESS_KEY", &self.secret_access_key)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("NO_PROXY", "*")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .output()
            .await
            .expect("run boto3");
        assert!(
            out.status.success(),
            "boto3 snippet failed: {}\n{snippet}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let last = stdout.lines().last().unwrap_or("null");
        serde_json::from_str(last).unwrap_or_else(|e| panic!("{last:?}: {e}"))
    }
}

/// A name no other test uses (tests share the server).
pub fn unique(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
