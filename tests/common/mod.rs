//! Shared helpers for loopback integration tests: a real gateway on a temp data dir, served on
//! 127.0.0.1 port 0, and tiny backends.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use gwtui::engine::{Actor, EngineConfig, Gateway};
use gwtui::server::ServerOptions;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub struct TestGateway {
    pub gw: Gateway,
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestGateway {
    pub async fn start() -> TestGateway {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, Some(7)).await
    }

    pub async fn start_in(dir: tempfile::TempDir, seed: Option<u64>) -> TestGateway {
        let config = EngineConfig {
            data_dir: dir.path().to_path_buf(),
            canary_seed: seed,
            ..EngineConfig::default()
        };
        Self::start_with(dir, config).await
    }

    /// Serves a gateway opened with `config` (whose `data_dir` should be `dir`).
    pub async fn start_with(dir: tempfile::TempDir, config: EngineConfig) -> TestGateway {
        Self::start_with_options(dir, config, ServerOptions::default()).await
    }

    /// Serves a fresh gateway (temp dir, canary seed 7) with these server options (admin
    /// credentials, allowed hosts and origins).
    pub async fn start_serving(options: ServerOptions) -> TestGateway {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = EngineConfig {
            data_dir: dir.path().to_path_buf(),
            canary_seed: Some(7),
            ..EngineConfig::default()
        };
        Self::start_with_options(dir, config, options).await
    }

    /// Serves a gateway opened with `config` with these server options.
    pub async fn start_with_options(
        dir: tempfile::TempDir,
        config: EngineConfig,
        options: ServerOptions,
    ) -> TestGateway {
        let gw = Gateway::open(config).expect("open gateway");
        let (tx, rx) = oneshot::channel::<()>();
        let serving = gw.clone();
        let stop = async {
            let _ = rx.await;
        };
        // Served as `gwtui serve` serves: on serving threads (one per CPU) unless
        // `GWTUI_SERVE_THREADS` says otherwise (`0`: on this test's runtime).
        let (addr, task) = match serving_threads() {
            0 => {
                let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
                let addr = listener.local_addr().expect("addr");
                let task = tokio::spawn(async move {
                    let _ = gwtui::server::serve_with(serving, listener, options, stop).await;
                });
                (addr, task)
            }
            n => {
                let (addr, listeners) =
                    gwtui::server::per_core::bind("127.0.0.1:0".parse().expect("addr"), n)
                        .expect("bind");
                let task = tokio::spawn(async move {
                    let _ = gwtui::server::per_core::serve(serving, listeners, options, stop).await;
                });
                (addr, task)
            }
        };
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        TestGateway {
            gw,
            addr,
            dir,
            client,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops serving and returns the data dir (to reopen it).
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        let TestGateway {
            gw, dir, client, ..
        } = self;
        drop(client);
        drop(gw);
        // The server's connection tasks for the client's keep-alive connections hold the
        // gateway (and with it the data directory's lock) until they see the connections
        // close: wait, bounded, until the lock is free so a reopen in this process finds it so.
        let lock = dir.path().join(gwtui::store::LOCK_FILE);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let free = std::fs::File::open(&lock).is_ok_and(|f| match f.try_lock() {
                Ok(()) => f.unlock().is_ok(),
                Err(_) => false,
            });
            if free {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        dir
    }

    /// Path-style invoke URL.
    pub fn url(&self, api_id: &str, stage: &str, path: &str) -> String {
        format!(
            "http://{}/restapis/{api_id}/{stage}/_user_request_{path}",
            self.addr
        )
    }

    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// The serving threads a test gateway gets: `GWTUI_SERVE_THREADS` (0: the test's runtime),
/// else `gwtui serve`'s default.
pub fn serving_threads() -> usize {
    match std::env::var("GWTUI_SERVE_THREADS") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .expect("GWTUI_SERVE_THREADS is a number of threads"),
        _ => gwtui::server::per_core::default_threads(),
    }
}

pub fn actor() -> Actor {
    Actor::new("test")
}

/// Installs the ring provider once (reqwest is built without a default provider).
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Whether the tests run in CI (`CI` set and not `false`/`0`): there a missing external tool
/// fails the test that needs it instead of skipping it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// An external tool a test needs. Present: its path. Absent: outside CI, None (the test
/// returns early, after a `SKIPPED:` line saying how to provide it); with `CI` set, a panic
/// naming the tool, so that a CI run never passes without running the test.
///
/// Tools: `aws` (`GWTUI_AWS_CLI`, else `aws` on PATH), `websockets` (a Python that imports
/// the `websockets` package, found like boto3's), `boto3` (a Python that imports boto3:
/// `GWTUI_AWS_PYTHON`, else the `python` next to the AWS CLI, else `python3` on PATH),
/// `python3` and `node` (`GWTUI_PYTHON` / `GWTUI_NODE` as the engine reads them, else on
/// PATH), `tsc` (`GWTUI_TSC`, else the TypeScript compiler `.ci/run` installs into
/// `~/.cache/gwtui/node`, else `tsc` on PATH), `postgres` (the directory of PostgreSQL's
/// server programs), and any other program on PATH that answers `NAME -V` or
/// `NAME --version` (`tmux`).
pub fn require_tool(tool: &str) -> Option<PathBuf> {
    let (found, hint) = match tool {
        "aws" => (aws_cli(), "set GWTUI_AWS_CLI or put `aws` on PATH"),
        "boto3" => (
            boto3_python(),
            "set GWTUI_AWS_PYTHON to a Python with boto3, or GWTUI_AWS_CLI to a venv's `aws`",
        ),
        "websockets" => (
            python_with("websockets"),
            "pip install websockets into the Python of GWTUI_AWS_PYTHON (.ci/run does)",
        ),
        "python3" => (
            runtime("GWTUI_PYTHON", "python3"),
            "install python3 or set GWTUI_PYTHON",
        ),
        "node" => (
            runtime("GWTUI_NODE", "node"),
            "install node or set GWTUI_NODE",
        ),
        "tsc" => (
            typescript_compiler(),
            "set GWTUI_TSC, or `npm install --prefix ~/.cache/gwtui/node typescript@5` (.ci/run does)",
        ),
        "postgres" => (
            postgres_bin(),
            "install PostgreSQL (apt-get install postgresql; .ci/run does), or set GWTUI_PG_BIN to its bin directory",
        ),
        other => (program(other), "install it (.ci/run does)"),
    };
    if found.is_none() {
        let message = format!("{tool} is not available: {hint}");
        if in_ci() {
            panic!(
                "{message} (CI is set, so a missing tool fails the test instead of skipping it)"
            );
        }
        println!("SKIPPED: {message}");
    }
    found
}

/// PostgreSQL's server programs (`initdb`, `postgres`, `pg_ctl`): `GWTUI_PG_BIN`, else the
/// newest `/usr/lib/postgresql/*/bin` (Debian's layout), else `initdb` on PATH.
fn postgres_bin() -> Option<PathBuf> {
    let has_all = |d: &Path| {
        ["initdb", "postgres", "pg_ctl"]
            .iter()
            .all(|p| d.join(p).is_file())
    };
    if let Some(dir) = std::env::var_os("GWTUI_PG_BIN") {
        return Some(PathBuf::from(dir)).filter(|d| has_all(d));
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|d| has_all(d))
        .collect();
    versions.sort();
    versions
        .pop()
        .or_else(|| on_path("initdb").and_then(|p| p.parent().map(Path::to_path_buf)))
        .filter(|d| has_all(d))
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn runs(exe: &Path, args: &[&str]) -> bool {
    std::process::Command::new(exe)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A program on PATH that runs (`-V` for tmux, `--version` for the rest).
fn program(name: &str) -> Option<PathBuf> {
    on_path(name).filter(|p| runs(p, &["-V"]) || runs(p, &["--version"]))
}

/// A language runtime the engine starts: `$env_var` (a path or a name on PATH), else `name`.
fn runtime(env_var: &str, name: &str) -> Option<PathBuf> {
    let chosen = std::env::var(env_var).unwrap_or_else(|_| name.to_string());
    let exe = if chosen.contains('/') {
        Some(PathBuf::from(chosen))
    } else {
        on_path(&chosen)
    };
    exe.filter(|p| runs(p, &["--version"]))
}

/// `GWTUI_TSC`, else `~/.cache/gwtui/node/node_modules/.bin/tsc` (where `.ci/run` installs
/// it), else `tsc` on PATH — whichever answers `--version`.
fn typescript_compiler() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("GWTUI_TSC") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cache/gwtui/node/node_modules/.bin/tsc"));
    }
    candidates.extend(on_path("tsc"));
    candidates
        .into_iter()
        .find(|p| p.is_file() && runs(p, &["--version"]))
}

/// `GWTUI_AWS_CLI`, else `aws` on PATH.
fn aws_cli() -> Option<PathBuf> {
    match std::env::var_os("GWTUI_AWS_CLI") {
        Some(p) if Path::new(&p).is_file() => Some(PathBuf::from(p)),
        _ => on_path("aws"),
    }
}

/// `GWTUI_AWS_PYTHON`, else the `python` next to the CLI (a venv), else `python3` on PATH —
/// whichever can import boto3.
fn boto3_python() -> Option<PathBuf> {
    python_with("boto3")
}

/// A Python that imports `module`: `GWTUI_AWS_PYTHON`, the AWS CLI venv's, else `python3`.
fn python_with(module: &str) -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(p) = std::env::var_os("GWTUI_AWS_PYTHON") {
        candidates.push(PathBuf::from(p));
    }
    if let Some(cli) = aws_cli()
        && let Some(dir) = cli.parent()
    {
        candidates.push(dir.join("python"));
    }
    candidates.extend(on_path("python3"));
    candidates
        .into_iter()
        .find(|p| p.is_file() && runs(p, &["-c", &format!("import {module}")]))
}

/// The admin credentials the signed management tests configure and sign with.
pub const ADMIN_KEY: &str = "AKIDADMIN";
pub const ADMIN_SECRET: &str = "admin-secret-for-tests";

/// Server options with [`ADMIN_KEY`]/[`ADMIN_SECRET`] as the admin credentials.
pub fn admin_options() -> ServerOptions {
    ServerOptions {
        admin_credentials: Some(gwtui::auth::credentials::Credentials {
            access_key_id: ADMIN_KEY.to_string(),
            secret_access_key: ADMIN_SECRET.to_string(),
            session_token: None,
        }),
        ..ServerOptions::default()
    }
}

/// A management request SigV4-signed (service `apigateway`) with `key`/`secret` over `host`,
/// `x-amz-date`, `content-type` and every header in `extra`, which it also carries.
pub fn signed(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    body: &[u8],
    (key, secret): (&str, &str),
    extra: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    use http::{HeaderName, HeaderValue};
    let parsed = reqwest::Url::parse(url).expect("url");
    let authority = match parsed.port() {
        Some(port) => format!("{}:{port}", parsed.host_str().expect("host")),
        None => parsed.host_str().expect("host").to_string(),
    };
    let amz_date = time::OffsetDateTime::now_utc()
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("date");
    let mut headers = http::HeaderMap::new();
    headers.insert("host", HeaderValue::from_str(&authority).expect("host"));
    headers.insert(
        "x-amz-date",
        HeaderValue::from_str(&amz_date).expect("date"),
    );
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    for (k, v) in extra {
        headers.insert(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    let mut names: Vec<String> = headers.keys().map(|k| k.as_str().to_string()).collect();
    names.sort();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let parts = gwtui::auth::sigv4::RequestParts {
        method: method.as_str(),
        path: parsed.path(),
        query: parsed.query(),
        headers: &headers,
        authority: Some(&authority),
        body,
    };
    let authorization = gwtui::auth::sigv4::sign(
        &parts,
        key,
        secret,
        gwtui::engine::REGION,
        "apigateway",
        &names,
    )
    .expect("sign");
    headers.insert(
        "authorization",
        HeaderValue::from_str(&authorization).expect("authorization"),
    );
    headers.remove("host");
    client
        .request(method, url)
        .headers(headers)
        .body(body.to_vec())
}
