//! Shared helpers for loopback integration tests: a real gateway on a temp data dir, served on
//! 127.0.0.1 port 0, and tiny backends.
#![allow(dead_code)]

use std::net::SocketAddr;

use gwtui::engine::{Actor, EngineConfig, Gateway};
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
        let gw = Gateway::open(EngineConfig {
            data_dir: dir.path().to_path_buf(),
            canary_seed: seed,
        })
        .expect("open gateway");
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let serving = gw.clone();
        let task = tokio::spawn(async move {
            let _ = gwtui::server::serve(serving, listener, async {
                let _ = rx.await;
            })
            .await;
        });
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
        let TestGateway { gw, dir, .. } = self;
        drop(gw);
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

pub fn actor() -> Actor {
    Actor::new("test")
}

/// Installs the ring provider once (reqwest is built without a default provider).
pub fn init() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
