//! `gwtui attach https://…`: an attached console over the server's HTTPS listener (a real
//! TLS server with a certificate from a local development CA), trusting that CA through
//! `--ca-cert`; an untrusted certificate is refused with a message that says what to give.

use std::sync::Arc;

use super::Harness;
use super::backends::events_reach;
use super::served::{Served, credentials, current_thread};
use crate::loadgen::Traffic;
use crate::server::tls::{ListenerCertificate, server_config};
use crate::tls::ca::ca_path;
use crate::tui::app::AppConfig;
use crate::tui::backend::Backend;
use crate::tui::remote::{RemoteBackend, RemoteError, ca_certificates};

/// The sample world served over HTTPS too, with a certificate of the CA in `ca_dir`.
struct Https {
    served: Served,
    url: String,
    ca_dir: tempfile::TempDir,
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn https() -> Https {
    let (served, _w) = Served::sample();
    let ca_dir = tempfile::tempdir().expect("dir");
    let configs =
        server_config(&served.gw, ca_dir.path(), ListenerCertificate::DevCa).expect("tls");
    let listener = served
        .rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    served.rt.spawn(crate::server::serve_tls_with(
        served.gw.clone(),
        listener,
        served.options.clone(),
        configs,
        async move {
            let _ = rx.await;
        },
    ));
    Https {
        served,
        url,
        ca_dir,
        _stop: stop,
    }
}

fn connect(
    url: &str,
    ca: Option<Vec<reqwest::Certificate>>,
) -> Result<Harness<RemoteBackend>, RemoteError> {
    let rt = current_thread();
    let backend = rt.block_on(RemoteBackend::connect_with(
        url,
        Some(credentials()),
        Arc::new(Traffic::default()),
        ca,
    ))?;
    Ok(Harness::on(AppConfig::default(), backend, rt))
}

/// With the server's CA: reads, a change by keys, and the event stream all work over TLS.
#[test]
fn an_attached_console_works_over_https_with_the_servers_ca() {
    let t = https();
    let ca = ca_certificates(&ca_path(t.ca_dir.path())).expect("ca");
    let mut h = match connect(&t.url, Some(ca)) {
        Ok(h) => h,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(h.app.api_id.as_deref(), Some(t.served.api.as_str()));
    assert_eq!(h.app.stages.len(), 2);
    h.press("3");
    h.press("a");
    h.type_text("color=green");
    let effects = h.press("enter");
    h.settle(effects);
    assert!(!h.flash().contains("failed"), "{}", h.flash());
    assert_eq!(
        t.served
            .stage("dev")
            .variables
            .get("color")
            .map(String::as_str),
        Some("green")
    );
    let mut rx = h.subscribe();
    assert!(
        events_reach(&h, &mut rx, &t.served.gw, &t.served.api),
        "no change event over the HTTPS stream"
    );
    // The load generator speaks plain HTTP: refused with a reason, not sent to a TLS port.
    let refused = h.block_on(
        h.backend
            .set_traffic(t.served.api.clone(), "dev".into(), 5.0),
    );
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.contains("load generator speaks plain HTTP")),
        "{refused:?}"
    );
}

/// Without the CA (the system's roots), or with another CA: refused before anything else,
/// with a message that names `--ca-cert`.
#[test]
fn an_untrusted_certificate_is_refused_with_a_clear_message() {
    let t = https();
    let message = |r: Result<Harness<RemoteBackend>, RemoteError>| match r {
        Ok(_) => panic!("attached to a server whose certificate is not trusted"),
        Err(e @ RemoteError::Untrusted { .. }) => e.to_string(),
        Err(other) => panic!("not reported as untrusted: {other}"),
    };
    let text = message(connect(&t.url, None));
    assert!(text.contains("does not trust"), "{text}");
    assert!(text.contains("--ca-cert FILE"), "{text}");
    let other_dir = tempfile::tempdir().expect("dir");
    crate::tls::DevCa::load_or_create(other_dir.path()).expect("another CA");
    let other = ca_certificates(&ca_path(other_dir.path())).expect("ca");
    // Another CA (of the same name: the signature does not verify).
    let text = message(connect(&t.url, Some(other)));
    assert!(text.contains("does not trust"), "{text}");
}

#[test]
fn ca_cert_mistakes_are_named() {
    let t = https();
    let ca = ca_certificates(&ca_path(t.ca_dir.path())).expect("ca");
    let plain = format!("http://{}", t.served.addr);
    assert!(matches!(
        connect(&plain, Some(ca)),
        Err(RemoteError::CaCertWithoutHttps(_))
    ));
    let dir = tempfile::tempdir().expect("dir");
    let not_pem = dir.path().join("ca.pem");
    std::fs::write(&not_pem, "hello").expect("write");
    for path in [not_pem, dir.path().join("missing.pem")] {
        match ca_certificates(&path) {
            Err(e @ RemoteError::BadCaCert { .. }) => {
                assert!(e.to_string().starts_with("--ca-cert "), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
}
