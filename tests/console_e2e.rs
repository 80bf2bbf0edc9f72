//! The real binary's console in a real terminal (tmux, 160×48): navigate to the demo's `dev`
//! stage, add and change a stage variable, send 25 % of its traffic to a canary, flush its
//! cache, and check every change through the management API (the flush, which leaves no
//! trace on the stage, through the audit log); test-invoke a method and re-run it with an
//! edited path; then quit with `q` and check the terminal
//! came back: main screen, cursor shown, mouse reporting off, the shell's own output.
//!
//! Skips (with a message) when tmux is not installed, or fails when `CI` is set
//! (`common::require_tool`); `.ci/run` installs it.

mod common;
#[path = "console_support/tmux.rs"]
mod tmux;

use std::path::Path;
use std::time::{Duration, Instant};

use tmux::{Tmux, WAIT, free_port, shell_quote};

const BIN: &str = env!("CARGO_BIN_EXE_gwtui");

fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("http client")
}

fn get_json(client: &reqwest::blocking::Client, url: &str) -> Option<serde_json::Value> {
    client
        .get(url)
        .send()
        .ok()
        .filter(|r| r.status().is_success())
        .and_then(|r| r.json().ok())
}

/// Polls `GET url` until `pred` holds on the JSON (bounded by [`WAIT`]).
fn wait_api(
    client: &reqwest::blocking::Client,
    url: &str,
    what: &str,
    pred: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let body = get_json(client, url);
        if let Some(v) = body.as_ref().filter(|v| pred(v)) {
            return v.clone();
        }
        if start.elapsed() > WAIT {
            panic!("timed out waiting for {what} at {url}; last body: {body:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn console_changes_a_stage_through_the_real_binary_and_restores_the_terminal() {
    if common::require_tool("tmux").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[demo]\ntraffic = 0.0\n").expect("write config");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let tmux = Tmux {
        socket: format!("gwtui-e2e-{}", std::process::id()),
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
    tmux.type_text(&format!(
        "{} --data-dir {} --config {} --listen 127.0.0.1:{port}; echo EXITED:$?",
        shell_quote(Path::new(BIN)),
        shell_quote(&data),
        shell_quote(&config),
    ));
    tmux.send(&["Enter"]);

    // The APIs view lists the demo; enter opens it.
    tmux.wait_text("PetStore demo");
    assert_eq!(
        tmux.format("#{alternate_on}"),
        "1",
        "the console owns the alternate screen"
    );
    let client = http();
    let apis = wait_api(&client, &format!("{base}/restapis"), "the demo API", |v| {
        v["item"].as_array().is_some_and(|a| !a.is_empty())
    });
    let api = apis["item"][0]["id"].as_str().expect("api id").to_string();
    let stage_url = format!("{base}/restapis/{api}/stages/dev");
    tmux.send(&["Enter"]);
    tmux.wait_text("<resources>");

    // Stages: dev is the first stage and the one selected.
    tmux.send(&["3"]);
    tmux.wait_for("the stages of the demo with dev selected", |s| {
        s.contains("stages [2]") && s.contains("stage dev")
    });

    // Add a stage variable, then change it.
    tmux.send(&["a"]);
    tmux.wait_text("new variable NAME=VALUE");
    tmux.type_text("e2e_greeting=hello");
    tmux.send(&["Enter"]);
    tmux.wait_text("update stage dev: done");
    wait_api(&client, &stage_url, "the new variable", |v| {
        v["variables"]["e2e_greeting"] == "hello"
    });
    // (the variables pane lists it before G picks the last row)
    tmux.wait_text("e2e_greeting");
    tmux.send(&["Tab", "G", "e"]);
    tmux.wait_text("edit e2e_greeting (NAME=VALUE)");
    tmux.send(&["C-u"]);
    tmux.type_text("e2e_greeting=changed");
    tmux.send(&["Enter"]);
    let stage = wait_api(&client, &stage_url, "the changed variable", |v| {
        v["variables"]["e2e_greeting"] == "changed"
    });
    assert!(
        stage["variables"]["backend"].is_string(),
        "the other variables stay: {stage}"
    );

    // A canary at 25 %: dev has none, so the console deploys one at that weight.
    assert!(stage.get("canarySettings").is_none(), "{stage}");
    tmux.send(&[":"]);
    tmux.type_text("canary 25");
    tmux.send(&["Enter"]);
    tmux.wait_text("Send 25.0% of dev traffic to the canary?");
    tmux.send(&["y"]);
    tmux.wait_text("canary 25.0% on dev: deployment");
    let stage = wait_api(&client, &stage_url, "a 25% canary", |v| {
        v["canarySettings"]["percentTraffic"].as_f64() == Some(25.0)
    });
    let canary_deployment = stage["canarySettings"]["deploymentId"]
        .as_str()
        .expect("canary deployment id")
        .to_string();
    assert_ne!(
        stage["deploymentId"].as_str(),
        Some(canary_deployment.as_str()),
        "the canary is its own deployment"
    );

    // Flush the stage cache (dangerous: confirmed with y).
    tmux.send(&["F"]);
    tmux.wait_text("Flush the cache of stage dev?");
    tmux.send(&["y"]);
    tmux.wait_text("flush cache of dev: done");

    // Test-invoke GET /pets/{petId} from the resources tree, then edit its path and re-run:
    // the demo's backend answers through the real pipeline.
    tmux.send(&["2"]);
    for key in ["l", "j", "j", "l", "j", "j", "l", "j", "l", "j"] {
        tmux.send(&[key]);
    }
    tmux.wait_text("GET /pets/{petId}");
    tmux.send(&["i"]);
    tmux.wait_text("response  200");
    tmux.send(&["e"]);
    tmux.wait_text("/path?query");
    tmux.send(&["C-u"]);
    tmux.type_text("/pets/2?x=1");
    tmux.send(&["Enter"]);
    tmux.wait_text("Method request path: {petId=2}");
    tmux.wait_text("\"type\": \"cat\"");
    tmux.send(&["Escape"]);
    tmux.wait_text("execution path");

    // HTTP APIs (view 9): the demo's HTTP API; Tab selects its routes and `i` tests the first
    // (GET /hello, a Python handler with payload 2.0) through the engine; Enter opens the
    // API's dashboard (DataProcessed instead of the cache) and the logs view has the request.
    tmux.send(&["9"]);
    tmux.wait_text("<http>");
    tmux.wait_text("GET /hello");
    tmux.send(&["Tab", "i"]);
    tmux.wait_for("the route's test", |s| {
        s.contains("request  GET /hello") && s.contains("response  200")
    });
    tmux.send(&["9", "Enter"]);
    tmux.wait_text("DataProcessed");
    tmux.send(&["7"]);
    tmux.wait_for("the route's request in the logs", |s| {
        s.lines().any(|l| l.contains("/hello") && l.contains("200"))
    });

    // Quit: the shell prints the exit status on the restored main screen.
    tmux.send(&["q"]);
    // (the command line itself says `EXITED:$?`: wait for the line the shell prints)
    let status_line = |s: &str| {
        s.lines()
            .find(|l| l.contains("EXITED:") && !l.contains("echo"))
            .map(|l| l.trim().to_string())
    };
    let screen = tmux.wait_for("the exit status", |s| status_line(s).is_some());
    assert!(
        status_line(&screen).is_some_and(|l| l.ends_with("EXITED:0")),
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
    assert_eq!(
        tmux.format("#{mouse_any_flag}#{mouse_button_flag}#{mouse_standard_flag}"),
        "000",
        "mouse reporting is off"
    );
    for remnant in ["<:> command", " gwtui  API", "┌", "┏", "stages ["] {
        assert!(
            !screen.contains(remnant),
            "console remnant {remnant:?} on the main screen:\n{screen}"
        );
    }
    assert!(
        screen.contains("--listen 127.0.0.1"),
        "the shell's own line is back:\n{screen}"
    );

    // The flush is an action, not state: the engine's audit log has it, by the console.
    let store = gwtui::store::Store::open(&data).expect("open the data dir after quit");
    let audit = store.audit(50, None).expect("audit log");
    let target = format!("restapis/{api}/stages/dev");
    assert!(
        audit
            .iter()
            .any(|r| r.action == "FlushStageCache" && r.target == target && r.actor == "console"),
        "{audit:#?}"
    );
    assert!(
        audit
            .iter()
            .any(|r| r.action == "CreateDeployment" && r.actor == "console"),
        "the canary deployment came from the console: {audit:#?}"
    );
}
