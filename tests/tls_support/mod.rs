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

/// An HTTPS backend on loopback answering every request `200 ok:{path}` (HTTP/1.1, one
/// request per connection). Its certificate is issued by `ca` for `127.0.0.1`; with
/// `client_roots` (PEM) it requires a client certificate that chains to one of them.
pub async fn https_backend(ca: &gwtui::tls::DevCa, client_roots: Option<&str>) -> SocketAddr {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    crate::common::init();
    let issued = ca
        .issue_server(&["127.0.0.1".to_string()])
        .expect("backend cert");
    let certs = gwtui::tls::pem::certificates(&issued.cert_pem).expect("certs");
    let key = {
        use rustls_pki_types::pem::PemObject as _;
        rustls_pki_types::PrivateKeyDer::from_pem_slice(issued.key_pem.as_bytes()).expect("key")
    };
    let provider = gwtui::tls::provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .expect("versions");
    let builder = match client_roots {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in gwtui::tls::pem::certificates(pem).expect("roots") {
                roots.add(cert).expect("root");
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .expect("verifier");
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .expect("backend certificate");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf);
                let path = head.split(' ').nth(1).unwrap_or("").to_string();
                let body = format!("ok:{path}");
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}
