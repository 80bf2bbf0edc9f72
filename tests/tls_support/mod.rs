//! HTTPS helpers: a TLS listener on a test gateway, and reqwest clients that trust a CA.
#![allow(dead_code)]

use std::net::SocketAddr;

use gwtui::server::tls::{ListenerCertificate, server_config};
use tokio::net::TcpListener;

use crate::common::TestGateway;

/// Serves `t`'s gateway over HTTPS as well (the dev CA in its data dir); returns the address
/// and the CA certificate PEM. The listener stops with the test's runtime.
pub async fn serve_https(t: &TestGateway) -> (SocketAddr, String) {
    crate::common::init();
    let config =
        server_config(&t.gw, t.dir.path(), ListenerCertificate::DevCa).expect("tls config");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let gw = t.gw.clone();
    tokio::spawn(async move {
        let _ = gwtui::server::serve_tls_with(
            gw,
            listener,
            gwtui::server::ServerOptions::default(),
            config,
            std::future::pending::<()>(),
        )
        .await;
    });
    let ca = std::fs::read_to_string(gwtui::tls::ca::ca_path(t.dir.path())).expect("ca.pem");
    (addr, ca)
}

/// A client that trusts only `ca_pem` and sends `names` to `addr`.
pub fn client_trusting(ca_pem: &str, addr: SocketAddr, names: &[&str]) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .no_proxy()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("ca")]);
    for n in names {
        b = b.resolve(n, addr);
    }
    b.build().expect("client")
}
