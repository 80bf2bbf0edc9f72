//! A throwaway Redis for the cluster tests: Debian's `redis-server` on a free loopback port,
//! no persistence, its files in a temp dir, killed on drop. Missing `redis-server`: the test
//! skips (outside CI) or fails (`CI` set), through `common::require_tool`.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct RedisServer {
    exe: PathBuf,
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    /// TLS only (`--port 0 --tls-port`): the certificate and key files.
    tls: Option<(PathBuf, PathBuf)>,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// One `PING` over a fresh connection.
fn pong(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
    if s.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 7];
    s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
}

impl RedisServer {
    /// A running server, or `None` when `redis-server` is missing outside CI.
    pub fn start() -> Option<RedisServer> {
        let exe = super::common::require_tool("redis-server")?;
        let mut server = RedisServer {
            exe,
            child: None,
            port: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            tls: None,
        };
        server.run();
        Some(server)
    }

    /// A server that speaks TLS only, with this certificate (PEM) and key; clients are not
    /// asked for certificates.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<RedisServer> {
        let exe = super::common::require_tool("redis-server")?;
        let dir = tempfile::tempdir().expect("temp dir");
        let cert = dir.path().join("redis.crt");
        let key = dir.path().join("redis.key");
        std::fs::write(&cert, cert_pem).expect("write cert");
        std::fs::write(&key, key_pem).expect("write key");
        let mut server = RedisServer {
            exe,
            child: None,
            port: free_port(),
            dir,
            tls: Some((cert, key)),
        };
        server.run();
        Some(server)
    }

    fn run(&mut self) {
        let mut command = Command::new(&self.exe);
        match &self.tls {
            None => command.args(["--port", &self.port.to_string()]),
            Some((cert, key)) => command
                .args(["--port", "0", "--tls-port", &self.port.to_string()])
                .arg("--tls-cert-file")
                .arg(cert)
                .arg("--tls-key-file")
                .arg(key)
                .arg("--tls-ca-cert-file")
                .arg(cert)
                .args(["--tls-auth-clients", "no"]),
        };
        let child = command
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn redis-server");
        self.child = Some(child);
        // Redis announces readiness only in its log: poll with a deadline.
        let deadline = Instant::now() + Duration::from_secs(10);
        let ready = |port: u16| match self.tls {
            // No TLS client here: listening is ready enough (the node's own PING follows).
            Some(_) => TcpStream::connect(("127.0.0.1", port)).is_ok(),
            None => pong(port),
        };
        while !ready(self.port) {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        match self.tls {
            Some(_) => format!("rediss://127.0.0.1:{}", self.port),
            None => format!("redis://127.0.0.1:{}", self.port),
        }
    }

    /// Kills it (SIGKILL: a crash, not a shutdown) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port (empty: no persistence).
    pub fn restart(&mut self) {
        self.stop();
        self.run();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
