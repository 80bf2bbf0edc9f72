//! The HTTPS listener's edges: a custom domain's `securityPolicy` (TLS_1_2 refuses a client
//! that offers only TLS 1.0, with a `protocol_version` alert, while the same ClientHello at
//! TLS 1.2 is answered and a TLS 1.2-only reqwest client is served), `curl --cacert` invoking
//! by host-style name and by custom domain (SNI), and the listener's certificate files checked
//! at configuration time: a key that does not match, a bad certificate or an unreadable file
//! stops `gwtui serve` with a clear message before anything listens.

mod common;
mod tls_support;

use std::net::SocketAddr;
use std::time::Duration;

use common::{TestGateway, actor};
use gwtui::engine::CreateDeployment;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// An API whose `GET /pets` answers `{"ok":"<domainName>"}`, deployed to `prod`.
async fn api(t: &TestGateway) -> String {
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "tls-edges", "version": "1"},
        "paths": {"/pets": {"get": {
            "responses": {"200": {"description": "ok"}},
            "x-amazon-apigateway-integration": {
                "type": "mock",
                "requestTemplates": {"application/json": "{\"statusCode\": 200}"},
                "responses": {"default": {"statusCode": "200",
                    "responseTemplates": {"application/json": "{\"ok\":\"$context.domainName\"}"}}}
            }
        }}}
    });
    let api =
        t.gw.import_rest_api(&actor(), &doc.to_string(), Default::default())
            .await
            .expect("import");
    t.gw.create_deployment(
        &actor(),
        &api.id,
        CreateDeployment {
            stage_name: Some("prod".into()),
            ..Default::default()
        },
    )
    .await
    .expect("deploy");
    api.id
}

/// CreateDomainName (certificate from the local CA) and a mapping of its root to `api`/prod.
async fn domain(t: &TestGateway, name: &str, policy: &str, api: &str) {
    for (path, body) in [
        (
            "/domainnames".to_string(),
            json!({"domainName": name, "securityPolicy": policy,
                   "regionalCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/local",
                   "endpointConfiguration": {"types": ["REGIONAL"]}}),
        ),
        (
            format!("/domainnames/{name}/basepathmappings"),
            json!({"restApiId": api, "stage": "prod"}),
        ),
    ] {
        let resp = t
            .client
            .post(format!("{}{path}", t.base()))
            .json(&body)
            .send()
            .await
            .expect("management call");
        assert_eq!(resp.status(), 201, "{path}: {}", resp.text().await.unwrap());
    }
}

/// A ClientHello offering at most `version` (`[3, 1]` is TLS 1.0, `[3, 3]` TLS 1.2) for
/// `server_name`: ECDHE suites (CBC ones as a TLS 1.0 client has, GCM ones for TLS 1.2),
/// X25519/P-256, and signature algorithms (so that the version is what decides).
fn client_hello(server_name: &str, version: [u8; 2]) -> Vec<u8> {
    fn u16be(n: usize) -> [u8; 2] {
        u16::try_from(n).expect("fits").to_be_bytes()
    }
    let name = server_name.as_bytes();
    let mut ext = Vec::new();
    // server_name
    ext.extend([0, 0]);
    ext.extend(u16be(name.len() + 5));
    ext.extend(u16be(name.len() + 3));
    ext.push(0);
    ext.extend(u16be(name.len()));
    ext.extend(name);
    // supported_groups: x25519, secp256r1
    ext.extend([0x00, 0x0a, 0x00, 0x06, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x17]);
    // ec_point_formats: uncompressed
    ext.extend([0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    // signature_algorithms: ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256
    ext.extend([
        0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
    ]);
    let mut body = vec![version[0], version[1]];
    body.extend([7u8; 32]);
    body.push(0); // no session id
    let suites: [u16; 5] = [0xc02b, 0xc02f, 0xc009, 0xc013, 0x002f];
    body.extend(u16be(suites.len() * 2));
    for s in suites {
        body.extend(s.to_be_bytes());
    }
    body.extend([1, 0]); // null compression
    body.extend(u16be(ext.len()));
    body.extend(ext);
    let mut handshake = vec![1u8];
    handshake.extend(&u32::try_from(body.len()).expect("fits").to_be_bytes()[1..]);
    handshake.extend(body);
    let mut record = vec![0x16, 0x03, 0x01];
    record.extend(u16be(handshake.len()));
    record.extend(handshake);
    record
}

/// Sends `hello` to `addr`; the first record's type and its first two payload bytes.
async fn first_record(addr: SocketAddr, hello: &[u8]) -> (u8, [u8; 2]) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(hello).await.expect("send hello");
    let mut head = [0u8; 7];
    tokio::time::timeout(Duration::from_secs(10), stream.read_exact(&mut head))
        .await
        .expect("an answer")
        .expect("seven bytes");
    (head[0], [head[5], head[6]])
}

const ALERT: u8 = 0x15;
const HANDSHAKE: u8 = 0x16;
/// A fatal alert (level 2) saying `protocol_version` (70).
const PROTOCOL_VERSION: [u8; 2] = [2, 70];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_1_0_only_client_is_refused_under_the_tls_1_2_security_policy() {
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let (addr, ca) = tls_support::serve_https(&t).await;
    domain(&t, "strict.example.com", "TLS_1_2", &id).await;

    // TLS 1.0 offered: refused with a protocol_version alert, before any certificate.
    let (kind, alert) = first_record(addr, &client_hello("strict.example.com", [3, 1])).await;
    assert_eq!((kind, alert), (ALERT, PROTOCOL_VERSION));
    // The same hello at TLS 1.2 is answered with a ServerHello: the version alone decided.
    let (kind, _) = first_record(addr, &client_hello("strict.example.com", [3, 3])).await;
    assert_eq!(kind, HANDSHAKE);

    // A real client limited to TLS 1.2 is served, and so is one requiring TLS 1.3.
    for (min, max) in [
        (
            reqwest::tls::Version::TLS_1_2,
            reqwest::tls::Version::TLS_1_2,
        ),
        (
            reqwest::tls::Version::TLS_1_3,
            reqwest::tls::Version::TLS_1_3,
        ),
    ] {
        let client = reqwest::Client::builder()
            .no_proxy()
            .tls_certs_only([reqwest::Certificate::from_pem(ca.as_bytes()).expect("ca")])
            .min_tls_version(min)
            .max_tls_version(max)
            .resolve("strict.example.com", addr)
            .build()
            .expect("client");
        let resp = client
            .get(format!("https://strict.example.com:{}/pets", addr.port()))
            .send()
            .await
            .expect("served over TLS 1.2+");
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.expect("json");
        assert_eq!(body["ok"], format!("strict.example.com:{}", addr.port()));
    }

    // TLS_1_0 is accepted as a policy, but the listener (rustls) implements no TLS 1.0 or
    // 1.1: such a domain, like every other name, still refuses a TLS 1.0-only client.
    domain(&t, "legacy.example.com", "TLS_1_0", &id).await;
    let (kind, alert) = first_record(addr, &client_hello("legacy.example.com", [3, 1])).await;
    assert_eq!((kind, alert), (ALERT, PROTOCOL_VERSION));
    t.stop().await;
}

/// `curl --cacert CA --resolve NAME:PORT:127.0.0.1 https://NAME:PORT/PATH`: (exit code, body).
async fn curl(
    curl: &std::path::Path,
    ca: Option<&std::path::Path>,
    name: &str,
    addr: SocketAddr,
    path: &str,
) -> (i32, String) {
    let mut cmd = tokio::process::Command::new(curl);
    cmd.args(["-sS", "--max-time", "20", "--noproxy", "*", "--resolve"])
        .arg(format!("{name}:{}:127.0.0.1", addr.port()));
    if let Some(ca) = ca {
        cmd.arg("--cacert").arg(ca);
    }
    let out = cmd
        .arg(format!("https://{name}:{}{path}", addr.port()))
        .output()
        .await
        .expect("curl runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_with_the_local_ca_invokes_by_host_style_name_and_custom_domain() {
    common::init();
    let Some(curl_path) = common::require_tool("curl") else {
        return;
    };
    let t = TestGateway::start().await;
    let id = api(&t).await;
    let (addr, _) = tls_support::serve_https(&t).await;
    domain(&t, "shop.example.com", "TLS_1_2", &id).await;
    let ca = gwtui::tls::ca::ca_path(t.dir.path());

    let host = format!("{id}.execute-api.localhost");
    let (code, body) = curl(&curl_path, Some(&ca), &host, addr, "/prod/pets").await;
    assert_eq!(code, 0, "{body}");
    assert_eq!(body, format!("{{\"ok\":\"{host}:{}\"}}", addr.port()));
    // The custom domain's own certificate, chosen by SNI (the listener's does not cover it).
    let (code, body) = curl(&curl_path, Some(&ca), "shop.example.com", addr, "/pets").await;
    assert_eq!(code, 0, "{body}");
    assert_eq!(
        body,
        format!("{{\"ok\":\"shop.example.com:{}\"}}", addr.port())
    );
    // Without the local CA, curl's own verification refuses the certificate (exit 60).
    let (code, _) = curl(&curl_path, None, &host, addr, "/prod/pets").await;
    assert_eq!(code, 60);
    t.stop().await;
}

/// `gwtui serve` with `[server] tls_listen` and the given certificate files, in `dir`.
fn serve_command(dir: &std::path::Path, certificate: &str, key: &str) -> std::process::Command {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\ntls_listen = \"127.0.0.1:0\"\ntls_certificate = \"{certificate}\"\ntls_private_key = \"{key}\"\n[demo]\nenabled = false\n"
        ),
    )
    .expect("config");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gwtui"));
    cmd.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--config")
        .arg(&config)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null());
    cmd
}

#[test]
fn bad_listener_certificates_stop_serve_before_anything_listens() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir_all(dir.path().join("ca")).expect("ca dir");
    let ca = gwtui::tls::DevCa::load_or_create(&dir.path().join("ca")).expect("ca");
    let a = ca.issue_server(&["localhost".to_string()]).expect("a");
    let b = ca.issue_server(&["localhost".to_string()]).expect("b");
    for (name, text) in [
        ("a.crt", a.cert_pem.as_str()),
        ("a.key", a.key_pem.as_str()),
        ("b.key", b.key_pem.as_str()),
        (
            "junk.crt",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        ),
    ] {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    // server.json is written once the listeners are bound: its absence means nothing listened.
    let server_file = dir.path().join("data").join("server.json");
    for (certificate, key, says) in [
        (
            "a.crt",
            "b.key",
            "the private key does not match the certificate",
        ),
        ("junk.crt", "a.key", "junk.crt"),
        ("missing.crt", "a.key", "cannot read"),
    ] {
        let out = serve_command(dir.path(), certificate, key)
            .output()
            .expect("run gwtui");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{certificate}/{key} accepted");
        assert!(
            stderr.contains("HTTPS listener") && stderr.contains(says),
            "{certificate}/{key} should say {says}: {stderr}"
        );
        assert!(!server_file.exists(), "{certificate}/{key}: it listened");
    }

    // The control: the matching pair serves (server.json appears), then it is stopped.
    let mut child = serve_command(dir.path(), "a.crt", "a.key")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn gwtui");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut served = false;
    while std::time::Instant::now() < deadline {
        if server_file.exists() {
            served = true;
            break;
        }
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        served,
        "gwtui serve did not start with a matching certificate and key"
    );
}
