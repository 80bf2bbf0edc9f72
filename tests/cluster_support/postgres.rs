//! A throwaway PostgreSQL server for cluster tests: `initdb` into a temp dir, `pg_ctl start`
//! on a free loopback port (socket in the same dir), trust authentication, `pg_ctl stop` on
//! drop. As root the server programs run as the `postgres` user (PostgreSQL refuses root).
//! `fsync=off`: the tests kill gwtui nodes, never the machine, and the shared disk is slow.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Postgres {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub port: u16,
    running: bool,
    /// `ssl=on` with this certificate and key, and TCP connections only over TLS
    /// (`hostssl`): a plain client is refused.
    tls: bool,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Runs one of PostgreSQL's programs (as `postgres` when we are root).
fn pg_command(bin: &Path, program: &str) -> Command {
    let exe = bin.join(program);
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(exe);
        c
    } else {
        Command::new(exe)
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}

impl Postgres {
    /// A fresh server, or `None` (after a `SKIPPED:` line) when PostgreSQL is not installed
    /// outside CI; in CI a missing PostgreSQL fails the test (`require_tool`).
    pub fn start() -> Option<Postgres> {
        Postgres::start_with(None)
    }

    /// A fresh server that takes TCP connections over TLS only, with this certificate (PEM)
    /// and key; its readiness and [`client`](Self::client) go through the Unix socket.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> Option<Postgres> {
        Postgres::start_with(Some((cert_pem, key_pem)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> Option<Postgres> {
        let bin = crate::common::require_tool("postgres")?;
        let dir = tempfile::Builder::new()
            .prefix("gwtui-pg-")
            .tempdir()
            .expect("temp dir");
        if is_root() {
            let ok = Command::new("chown")
                .arg("postgres")
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(ok.success(), "chown postgres {}", dir.path().display());
        }
        let out = pg_command(&bin, "initdb")
            .arg("-D")
            .arg(dir.path().join("data"))
            .args(["--auth=trust", "-U", "postgres", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut pg = Postgres {
            bin,
            dir,
            port: free_port(),
            running: false,
            tls: tls.is_some(),
        };
        if let Some((cert, key)) = tls {
            let data = pg.data();
            std::fs::write(data.join("server.crt"), cert).expect("write server.crt");
            std::fs::write(data.join("server.key"), key).expect("write server.key");
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            )
            .expect("write pg_hba.conf");
            let mut files = vec![
                data.join("server.crt"),
                data.join("server.key"),
                data.join("pg_hba.conf"),
            ];
            if is_root() {
                let ok = Command::new("chown")
                    .arg("postgres")
                    .args(&files)
                    .status()
                    .expect("chown");
                assert!(ok.success(), "chown postgres");
            }
            use std::os::unix::fs::PermissionsExt;
            for f in files.drain(..) {
                std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600))
                    .expect("chmod 600");
            }
        }
        pg.start_server();
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts (or restarts) the server on its port and waits until it accepts queries.
    pub fn start_server(&mut self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        if self.tls {
            options.push_str(" -c ssl=on");
        }
        let out = pg_command(&self.bin, "pg_ctl")
            .arg("start")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "30", "-o", &options])
            .output()
            .expect("run pg_ctl start");
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
        self.running = true;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match postgres::Client::connect(&self.admin_url(), postgres::NoTls) {
                Ok(_) => return,
                Err(e) if Instant::now() > deadline => panic!("PostgreSQL never came up: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Stops the server (`-m fast`: sessions are cut, like an outage).
    pub fn stop_server(&mut self) {
        if !self.running {
            return;
        }
        let _ = pg_command(&self.bin, "pg_ctl")
            .arg("stop")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-t", "30"])
            .output();
        self.running = false;
    }

    /// A client for checks straight on the database.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.admin_url(), postgres::NoTls)
            .expect("connect to PostgreSQL")
    }

    /// The test's own connection: TCP, or the Unix socket when TCP takes TLS only.
    fn admin_url(&self) -> String {
        if self.tls {
            format!(
                "host={} port={} user=postgres dbname=postgres",
                self.dir.path().display(),
                self.port
            )
        } else {
            self.url()
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop_server();
    }
}
