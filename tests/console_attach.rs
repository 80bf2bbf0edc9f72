//! `gwtui attach`: the real binary's console in tmux against a `gwtui serve` started as a
//! separate process with admin credentials. The attached console changes a stage variable,
//! sets a canary weight, flushes the cache, starts traffic and sees the dashboard count it;
//! the server is killed (the header says "disconnected, retrying") and started again (the
//! console reconnects and works on), then `q` quits and the terminal is restored. Every change
//! is checked through the management API, SigV4-signed.
//!
//! Attach refusals (wrong credentials, a URL that is not gwtui, nothing listening) print one
//! clear line and exit non-zero without taking the terminal.

mod common;
#[path = "console_support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tmux::{Tmux, WAIT, exit_line, free_port, shell_quote};

const BIN: &str = env!("CARGO_BIN_EXE_gwtui");
const KEY: &str = "AKIDATTACHE2E";
const SECRET: &str = "attach-e2e-secret";

/// `gwtui serve` on `port` over `data`, killed on drop.
struct Server(Child);

impl Server {
    fn start(data: &Path, config: &Path, port: u16) -> Server {
        let child = Command::new(BIN)
            .args(["--data-dir"])
            .arg(data)
            .arg("--config")
            .arg(config)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--admin-credentials",
                &format!("{KEY}:{SECRET}"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start gwtui serve");
        let server = Server(child);
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < WAIT,
                "gwtui serve did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A signed management GET.
fn get(rt: &tokio::runtime::Runtime, url: &str) -> Option<serde_json::Value> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().ok()?;
    rt.block_on(async {
        let r = common::signed(&client, reqwest::Method::GET, url, b"", (KEY, SECRET), &[])
            .send()
            .await
            .ok()?;
        if !r.status().is_success() {
            return None;
        }
        r.json().await.ok()
    })
}

fn wait_api(
    rt: &tokio::runtime::Runtime,
    url: &str,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let body = get(rt, url);
        if let Some(v) = body.as_ref().filter(|v| pred(v)) {
            return v.clone();
        }
        assert!(
            start.elapsed() < WAIT,
            "timed out waiting for {what} at {url}; last body: {body:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The base series' request count on the dashboard (`base  123 4.1/s`).
fn base_count(screen: &str) -> Option<u64> {
    screen.lines().find_map(|l| {
        let at = l.find("base ")?;
        l[at + 5..].split_whitespace().next()?.parse().ok()
    })
}

fn attach_command(port: u16, credentials: &str) -> String {
    format!(
        "{} attach http://127.0.0.1:{port} --admin-credentials {credentials}; echo EXITED:$?",
        shell_quote(Path::new(BIN))
    )
}

#[test]
fn an_attached_console_drives_a_separate_server_and_survives_its_restart() {
    if common::require_tool("tmux").is_none() {
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[demo]\ntraffic = 0.0\n").expect("write config");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Server::start(&data, &config, port);
    let apis = wait_api(&rt, &format!("{base}/restapis"), "the demo API", |v| {
        v["item"].as_array().is_some_and(|a| !a.is_empty())
    });
    let api = apis["item"][0]["id"].as_str().expect("api id").to_string();
    let stage_url = format!("{base}/restapis/{api}/stages/dev");

    let tmux = Tmux::start("attach");
    // Wrong credentials: one line, no alternate screen, a non-zero status.
    tmux.type_text(&attach_command(port, &format!("{KEY}:wrong")));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("the refusal", |s| exit_line(s).is_some());
    assert!(screen.contains("refused the admin credentials"), "{screen}");
    assert!(
        exit_line(&screen).is_some_and(|l| l.ends_with("EXITED:1")),
        "{screen}"
    );
    assert!(!screen.contains("panicked"), "{screen}");
    assert_eq!(tmux.format("#{alternate_on}"), "0");
    tmux.type_text("clear");
    tmux.send(&["Enter"]);
    tmux.wait_for("a clear screen", |s| !s.contains("EXITED"));
    tmux.run(&["clear-history", "-t", "e2e"]);

    tmux.type_text(&attach_command(port, &format!("{KEY}:{SECRET}")));
    tmux.send(&["Enter"]);
    tmux.wait_text("PetStore demo");
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    tmux.send(&["Enter"]);
    tmux.wait_text("<resources>");
    tmux.send(&["3"]);
    tmux.wait_for("the stages of the demo with dev selected", |s| {
        s.contains("stages [2]") && s.contains("stage dev")
    });

    // A stage variable.
    tmux.send(&["a"]);
    tmux.wait_text("new variable NAME=VALUE");
    tmux.type_text("attached=yes");
    tmux.send(&["Enter"]);
    tmux.wait_text("update stage dev: done");
    wait_api(&rt, &stage_url, "the new variable", |v| {
        v["variables"]["attached"] == "yes"
    });

    // A canary at 25 %.
    tmux.send(&[":"]);
    tmux.type_text("canary 25");
    tmux.send(&["Enter"]);
    tmux.wait_text("Send 25.0% of dev traffic to the canary?");
    tmux.send(&["y"]);
    tmux.wait_text("canary 25.0% on dev: deployment");
    wait_api(&rt, &stage_url, "a 25% canary", |v| {
        v["canarySettings"]["percentTraffic"].as_f64() == Some(25.0)
    });

    // Flush the cache.
    tmux.send(&["F"]);
    tmux.wait_text("Flush the cache of stage dev?");
    tmux.send(&["y"]);
    tmux.wait_text("flush cache of dev: done");

    // Traffic from the console's load generator; the dashboard counts it, and keeps counting.
    tmux.send(&[":"]);
    tmux.type_text("traffic 20");
    tmux.send(&["Enter"]);
    tmux.wait_text("traffic 20/s to dev: done");
    tmux.send(&["6"]);
    let first = tmux.wait_for("requests on the dashboard", |s| {
        base_count(s).is_some_and(|n| n > 0)
    });
    let first = base_count(&first).unwrap_or(0);
    tmux.wait_for("the dashboard to move", |s| {
        base_count(s).is_some_and(|n| n > first)
    });

    // The server goes away: the header says so, the console keeps running.
    drop(server);
    tmux.wait_text("disconnected, retrying");
    // It comes back on the same address: the console reconnects and works on.
    server = Server::start(&data, &config, port);
    tmux.wait_for("the reconnect", |s| !s.contains("disconnected, retrying"));
    tmux.send(&["3"]);
    tmux.wait_text("stage dev");
    tmux.send(&[":"]);
    tmux.type_text("traffic 0");
    tmux.send(&["Enter"]);
    tmux.send(&["a"]);
    tmux.wait_text("new variable NAME=VALUE");
    tmux.type_text("after_restart=yes");
    tmux.send(&["Enter"]);
    wait_api(&rt, &stage_url, "a change after the restart", |v| {
        v["variables"]["after_restart"] == "yes"
    });

    // Quit: the terminal is restored.
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the exit status", |s| exit_line(s).is_some());
    assert!(
        exit_line(&screen).is_some_and(|l| l.ends_with("EXITED:0")),
        "{screen}"
    );
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "0",
        "back on the main screen"
    );
    assert_eq!(
        tmux.format("#{cursor_flag}"),
        "1",
        "the cursor is shown again"
    );
    assert!(!screen.contains("stages ["), "console remnant:\n{screen}");
    drop(server);

    // The audit log names the attached console as the actor of its changes.
    let store = gwtui::store::Store::open(&data).expect("open the data dir");
    let audit = store.audit(100, None).expect("audit log");
    assert!(
        audit
            .iter()
            .any(|r| r.action == "FlushStageCache" && r.actor == "console"),
        "{audit:#?}"
    );
}

/// A URL that is not gwtui, and one where nothing listens: a clear line, status 1, and the
/// terminal never taken (no escape sequences on stdout).
#[test]
fn attaching_to_something_else_is_refused_with_a_clear_message() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 2048];
            let _ = stream.read(&mut buf);
            let body = "<html><body>not here</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("config");
    let run = |url: &str| {
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["attach", url])
            .stdin(Stdio::null())
            .output()
            .expect("run gwtui attach")
    };
    let out = run(&format!("http://127.0.0.1:{port}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("is not a gwtui server") && stderr.contains("404"),
        "{stderr}"
    );
    assert!(
        out.stdout.is_empty(),
        "the terminal was touched: {:?}",
        out.stdout
    );
    let closed = free_port();
    let out = run(&format!("http://127.0.0.1:{closed}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot reach http://127.0.0.1:"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let out = run("ftp://example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("give http://HOST:PORT"), "{stderr}");
}
