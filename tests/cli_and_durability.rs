//! The real binary: `serve` prints its address once it accepts connections; admin commands
//! work against a data dir directly and through the serving process; every acknowledged
//! change survives a SIGKILL.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_gwtui");

fn http() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
}

fn gwtui(dir: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(args)
        .output()
        .expect("run gwtui");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts `gwtui serve` on port 0 and returns the child and its base URL.
fn serve(dir: &Path) -> (Child, String) {
    serve_with_env(dir, &[])
}

/// [`serve`] with extra environment variables.
fn serve_with_env(dir: &Path, env: &[(&str, &str)]) -> (Child, String) {
    serve_with_config(dir, "[demo]\nenabled = false\n", env)
}

/// [`serve`] with this config file and extra environment variables.
fn serve_with_config(dir: &Path, config: &str, env: &[(&str, &str)]) -> (Child, String) {
    std::fs::write(dir.join("config.toml"), config).unwrap();
    let mut child = Command::new(BIN)
        .envs(env.iter().copied())
        .arg("--data-dir")
        .arg(dir)
        .arg("--config")
        .arg(dir.join("config.toml"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (child, url)
}

/// The boot id in the `hello` event of a new `GET /gwtui/events` stream (read off a raw
/// socket, bounded: 64 KiB or 10 s).
fn event_stream_boot(url: &str) -> String {
    use std::io::{Read, Write};
    let addr = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /gwtui/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while seen.len() < 65536 {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "stream ended: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen);
        if let Some(at) = text.find("\"boot\":\"")
            && let Some(len) = text[at + 8..].find('"')
        {
            return text[at + 8..at + 8 + len].to_string();
        }
    }
    panic!("no hello: {}", String::from_utf8_lossy(&seen));
}

const DOC: &str = r#"{"openapi":"3.0.1","info":{"title":"cli","version":"1"},"paths":{"/v":{"get":{"responses":{"200":{"description":"ok"}},
"x-amazon-apigateway-integration":{"type":"mock","requestTemplates":{"application/json":"{\"statusCode\": 200}"},
"responses":{"default":{"statusCode":"200","responseTemplates":{"application/json":"VERSION"}}}}}}}}"#;

#[test]
fn admin_commands_work_locally_and_through_the_serving_process() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[demo]\nenabled = false\n").unwrap();
    let doc = dir.path().join("api.json");
    std::fs::write(&doc, DOC.replace("VERSION", "one")).unwrap();
    // Local: nothing serves the data dir.
    let (ok, api, err) = gwtui(dir.path(), &["import", doc.to_str().unwrap()]);
    assert!(ok, "{err}");
    let api = api.trim().to_string();
    let (ok, first, err) = gwtui(
        dir.path(),
        &[
            "deploy",
            &api,
            "prod",
            "--description",
            "v1",
            "--variable",
            "color=blue",
        ],
    );
    assert!(ok, "{err}");
    let first = first.trim().to_string();
    assert_eq!(first.len(), 6);

    // Remote: the same commands go through the serving process.
    let (mut child, url) = serve(dir.path());
    let client = http();
    let invoke = |stage: &str| {
        client
            .get(format!("{url}/restapis/{api}/{stage}/_user_request_/v"))
            .send()
            .unwrap()
            .text()
            .unwrap()
    };
    assert_eq!(invoke("prod"), "one");
    std::fs::write(&doc, DOC.replace("VERSION", "two")).unwrap();
    let (ok, same, err) = gwtui(
        dir.path(),
        &[
            "import",
            doc.to_str().unwrap(),
            "--rest-api-id",
            &api,
            "--mode",
            "overwrite",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(same.trim(), api);
    let (ok, second, err) = gwtui(dir.path(), &["deploy", &api, "prod"]);
    assert!(ok, "{err}");
    assert_eq!(invoke("prod"), "two");
    let (ok, stages, err) = gwtui(dir.path(), &["stages", &api]);
    assert!(ok, "{err}");
    assert!(
        stages.contains("prod") && stages.contains(second.trim()),
        "{stages}"
    );
    let (ok, _, err) = gwtui(dir.path(), &["rollback", &api, "prod", &first]);
    assert!(ok, "{err}");
    assert_eq!(invoke("prod"), "one");
    // Bad input: a clear error, exit status non-zero.
    let (ok, _, err) = gwtui(dir.path(), &["rollback", &api, "prod", "nosuch"]);
    assert!(
        !ok && err.contains("Invalid Deployment identifier specified"),
        "{err}"
    );
    let (ok, _, err) = gwtui(dir.path(), &["deploy", &api, "bad stage!"]);
    assert!(!ok && err.contains("gwtui:"), "{err}");
    // A second server on the same data dir is refused clearly.
    let second_server = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!second_server.status.success());
    assert!(
        String::from_utf8_lossy(&second_server.stderr)
            .contains("is in use by another gwtui process")
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// `GWTUI_SERVE_THREADS=2`: the listener is served by two threads of their own (named
/// `gwtui-serve-N`), each connection on one of them; invokes, the management API and a clean
/// stop on SIGTERM all work as on the default runtime.
#[test]
fn serving_threads_serve_on_their_own_threads_and_share_one_event_numbering() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[demo]\nenabled = false\n").unwrap();
    let doc = dir.path().join("api.json");
    std::fs::write(&doc, DOC.replace("VERSION", "one")).unwrap();
    let (ok, api, err) = gwtui(dir.path(), &["import", doc.to_str().unwrap()]);
    assert!(ok, "{err}");
    let api = api.trim().to_string();
    let (ok, _, err) = gwtui(dir.path(), &["deploy", &api, "prod"]);
    assert!(ok, "{err}");

    // The config file's setting (the default is one thread per CPU).
    let (mut child, url) = serve_with_config(
        dir.path(),
        "[demo]\nenabled = false\n[server]\nserving_threads = 2\n",
        &[],
    );
    let serving_threads = || -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/task", child.id()))
            .map(|tasks| {
                tasks
                    .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
                    .map(|c| c.trim().to_string())
                    .filter(|c| c.starts_with("gwtui-serve-"))
                    .collect()
            })
            .unwrap_or_default()
    };
    // A thread names itself once it runs, which on a loaded machine can be after the server
    // printed its address: poll (bounded) until both have.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut threads = serving_threads();
    while threads.len() < 2 && cfg!(target_os = "linux") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        threads = serving_threads();
    }
    if cfg!(target_os = "linux") {
        let mut sorted = threads.clone();
        sorted.sort();
        assert_eq!(sorted, ["gwtui-serve-0", "gwtui-serve-1"], "{threads:?}");
    }
    // New connections each time (the kernel spreads them over the two sockets).
    for _ in 0..16 {
        let body = http()
            .get(format!("{url}/restapis/{api}/prod/_user_request_/v"))
            .send()
            .unwrap()
            .text()
            .unwrap();
        assert_eq!(body, "one");
    }
    // The management API and the admin commands that go through the serving process.
    let listed: serde_json::Value = http()
        .get(format!("{url}/restapis"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(listed["item"][0]["id"], api.as_str(), "{listed}");
    let (ok, stages, err) = gwtui(dir.path(), &["stages", &api]);
    assert!(ok && stages.contains("prod"), "{err}");
    // Event streams opened on new connections (so on either thread) all number changes under
    // one boot id: a console whose reconnection lands on the other thread resumes.
    let boots: std::collections::BTreeSet<String> =
        (0..8).map(|_| event_stream_boot(&url)).collect();
    assert_eq!(boots.len(), 1, "{boots:?}");

    let stopped = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn malformed_config_and_info() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), "[server]\nlisten = 12\n").unwrap();
    let (ok, _, err) = gwtui(dir.path(), &["info"]);
    assert!(!ok);
    assert!(err.contains("config.toml, line 2"), "{err}");
    std::fs::write(dir.path().join("config.toml"), "").unwrap();
    let (ok, out, _) = gwtui(dir.path(), &["info"]);
    assert!(ok);
    assert!(out.contains("data dir:") && out.contains(dir.path().to_str().unwrap()));
    assert!(
        out.contains("rotated at 67108864 bytes, 5 files kept per stage"),
        "{out}"
    );
    // `[logs]` sets the rotation; `info` says where the files are and the limits.
    std::fs::write(
        dir.path().join("config.toml"),
        "[logs]\naccess_log_max_bytes = 1000\naccess_log_max_files = 2\n",
    )
    .unwrap();
    let (ok, out, _) = gwtui(dir.path(), &["info"]);
    assert!(ok);
    let logs = dir.path().join("logs");
    assert!(
        out.contains(&format!(
            "access logs: {} (access-{{apiId}}-{{stage}}.log, rotated at 1000 bytes, 2 files kept per stage)",
            logs.display()
        )),
        "{out}"
    );
}

#[test]
fn every_acknowledged_change_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let client = http();
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..3 {
        let (mut child, url) = serve(dir.path());
        // Every API created before this round must be there.
        let listed: serde_json::Value = client
            .get(format!("{url}/restapis"))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let ids: Vec<String> = listed["item"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        for id in &acknowledged {
            assert!(
                ids.contains(id),
                "round {round}: acknowledged API {id} lost after SIGKILL"
            );
        }
        for i in 0..5 {
            let resp = client
                .post(format!("{url}/restapis"))
                .header("content-type", "application/json")
                .body(format!(r#"{{"name":"r{round}-{i}"}}"#))
                .send()
                .unwrap();
            assert_eq!(resp.status().as_u16(), 201);
            let api: serde_json::Value = resp.json().unwrap();
            acknowledged.push(api["id"].as_str().unwrap().to_string());
        }
        // SIGKILL right after the last acknowledgement.
        child.kill().unwrap();
        child.wait().unwrap();
    }
    let (ok, _, err) = gwtui(dir.path(), &["stages", &acknowledged[0]]);
    assert!(ok, "{err}");
}

#[test]
fn admin_commands_sign_their_requests_when_the_server_requires_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("api.json");
    std::fs::write(&doc, DOC.replace("VERSION", "signed")).unwrap();
    let config = "[demo]\nenabled = false\n[server]\nadmin_credentials = \"AKIDADMIN:s3cret\"\n";
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    std::fs::write(dir.path().join("plain.toml"), "[demo]\nenabled = false\n").unwrap();
    // A non-loopback listener without credentials is refused at start-up.
    let refused = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--config")
        .arg(dir.path().join("plain.toml"))
        .args(["serve", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("refusing to listen on 0.0.0.0:0"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // The server gets its credentials from the flag; the CLI below reads them from the config.
    let mut child = Command::new(BIN)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("--config")
        .arg(dir.path().join("plain.toml"))
        .args([
            "--admin-credentials",
            "AKIDADMIN:s3cret",
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_string();
    // Unsigned management calls are refused...
    let resp = http().get(format!("{url}/restapis")).send().unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    // ...while the CLI, reading the same config, signs and succeeds.
    let (ok, api, err) = gwtui(dir.path(), &["import", doc.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = gwtui(dir.path(), &["deploy", api.trim(), "prod"]);
    assert!(ok, "{err}");
    let body = http()
        .get(format!(
            "{url}/restapis/{}/prod/_user_request_/v",
            api.trim()
        ))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(body, "signed");
    child.kill().unwrap();
    child.wait().unwrap();
}
