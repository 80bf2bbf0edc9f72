//! Running the engine: `gwtui serve` (headless) and `gwtui` (engine + console). Both open the
//! data dir, start the demo backend (seeding the demo on an empty data dir), bind the listener
//! and write `server.json` so admin commands can find the serving process.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use tokio::net::TcpListener;

use super::Settings;
use super::client::SERVER_FILE;
use crate::engine::Gateway;

/// A running engine: the gateway, its listener address and the server task.
pub struct Running {
    pub gw: Gateway,
    pub addr: SocketAddr,
    /// The HTTPS listener's address (`[server] tls_listen`).
    pub tls_addr: Option<SocketAddr>,
    pub demo_api: Option<String>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    tls: Option<(
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<std::io::Result<()>>,
    )>,
    server_file: std::path::PathBuf,
}

pub async fn start(s: &Settings) -> anyhow::Result<Running> {
    let listen: SocketAddr = s
        .listen
        .parse()
        .with_context(|| format!("--listen {:?} is not an IP:PORT address", s.listen))?;
    let admin_credentials = s
        .config
        .server
        .admin_credentials
        .as_deref()
        .map(crate::auth::credentials::Credentials::parse)
        .transpose()
        .context("server.admin_credentials")?;
    crate::server::check_bind(listen, admin_credentials.is_some()).map_err(anyhow::Error::msg)?;
    let gw = Gateway::open(s.engine_config()?)?;
    if let Some(cluster) = gw.cluster() {
        // Connected before the first request, so it finds the leases' connection made; a
        // Redis that is down now is the configured failure mode until it answers.
        match cluster.connect().await {
            Ok(()) => eprintln!(
                "cluster: traffic state shared in redis {}",
                cluster.display_url
            ),
            // A certificate that is not trusted will not become trusted by waiting: refuse to
            // start rather than serve in the failure mode for ever.
            Err(e) if e.is_untrusted_certificate() => anyhow::bail!(
                "redis {}: the server's TLS certificate is not trusted ({e}); give the CA that signed it with [cluster] redis_ca_cert",
                cluster.display_url
            ),
            Err(e) => eprintln!(
                "gwtui: redis {} not reachable at start ({e}); serving in {:?} mode until it is",
                cluster.display_url,
                cluster.failure_mode()
            ),
        }
    }
    let config_dir = s.paths.config_dir.clone();
    for (name, function) in s.config.resolved_functions(&config_dir) {
        gw.install_function(&name, function)
            .map_err(anyhow::Error::msg)
            .with_context(|| {
                format!(
                    "config file {}: [functions.{name}]",
                    s.paths.config_file.display()
                )
            })?;
    }
    gw.set_iam_credentials(s.config.iam.credentials.clone());
    gw.set_jwks_sources(s.config.resolved_jwks(&config_dir));
    gw.set_vpc_link_targets(
        s.config
            .vpc_links
            .iter()
            .map(|(id, link)| (id.clone(), link.target.clone()))
            .collect(),
    );
    gw.set_aws_settings(
        s.config
            .resolved_aws()
            .with_context(|| format!("config file {}", s.paths.config_file.display()))?,
    );
    let demo_api = if s.config.demo.enabled {
        let backend = crate::demo::start_backend()
            .await
            .context("cannot start the demo backend")?;
        crate::demo::seed_or_refresh(&gw, backend)
            .await
            .context("cannot seed the demo API")?
    } else {
        None
    };
    let tls_listener = match &s.config.server.tls_listen {
        None => None,
        Some(tls_listen) => {
            let tls_listen: SocketAddr = tls_listen.parse().with_context(|| {
                format!("server.tls_listen {tls_listen:?} is not an IP:PORT address")
            })?;
            crate::server::check_bind(tls_listen, admin_credentials.is_some())
                .map_err(anyhow::Error::msg)?;
            let source = s
                .config
                .server
                .tls_certificate_source(&config_dir)
                .map_err(anyhow::Error::msg)?;
            let config = crate::server::tls::server_config(&gw, &s.paths.data_dir, source)
                .context("HTTPS listener")?;
            let listener = TcpListener::bind(tls_listen)
                .await
                .with_context(|| format!("cannot listen on {tls_listen}"))?;
            Some((listener, config))
        }
    };
    let threads = s
        .config
        .server
        .serving_threads(std::env::var("GWTUI_SERVE_THREADS").ok().as_deref())
        .map_err(anyhow::Error::msg)?;
    let (addr, listener) = match threads {
        0 => {
            let listener = TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            (listener.local_addr()?, Listener::Runtime(listener))
        }
        n => {
            let (addr, listeners) = crate::server::per_core::bind(listen, n)
                .with_context(|| format!("cannot listen on {listen}"))?;
            (addr, Listener::PerCore(listeners))
        }
    };
    gw.set_advertised_url(&format!("http://{addr}"));
    // The other nodes require the same credentials of this node's pulls of their metrics.
    gw.set_peer_credentials(admin_credentials.clone());
    let server_file = s.paths.data_dir.join(SERVER_FILE);
    let info = serde_json::json!({ "pid": std::process::id(), "listen": addr.to_string() });
    std::fs::write(&server_file, info.to_string())
        .with_context(|| format!("cannot write {}", server_file.display()))?;
    let (shutdown, rx) = tokio::sync::oneshot::channel::<()>();
    let serving = gw.clone();
    let options = crate::server::ServerOptions {
        admin_credentials,
        allowed_hosts: s.config.server.allowed_hosts.clone(),
        allowed_origins: s.config.server.allowed_origins.clone(),
        event_replay: None,
        log_replay: None,
    };
    let mut tls_addr = None;
    let tls = match tls_listener {
        None => None,
        Some((listener, config)) => {
            tls_addr = Some(listener.local_addr()?);
            let (stop, rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(crate::server::serve_tls_with(
                gw.clone(),
                listener,
                options.clone(),
                config,
                async {
                    let _ = rx.await;
                },
            ));
            Some((stop, task))
        }
    };
    let stop = async {
        let _ = rx.await;
    };
    let task = match listener {
        Listener::Runtime(listener) => {
            tokio::spawn(crate::server::serve_with(serving, listener, options, stop))
        }
        Listener::PerCore(listeners) => {
            let threads = crate::server::per_core::start(&serving, listeners, &options)
                .context("cannot start the serving threads")?;
            tokio::spawn(threads.run_until(stop))
        }
    };
    Ok(Running {
        gw,
        addr,
        tls_addr,
        tls,
        demo_api,
        shutdown,
        task,
        server_file,
    })
}

/// Where the HTTP listener is served (`[server] serving_threads`).
enum Listener {
    /// On the runtime `gwtui` runs on (`serving_threads = 0`).
    Runtime(TcpListener),
    /// On N threads with a runtime each (the default, [`crate::server::per_core`]).
    PerCore(Vec<std::net::TcpListener>),
}

impl Running {
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        if let Some((stop, task)) = self.tls {
            let _ = stop.send(());
            let _ = task.await;
        }
        let _ = self.task.await;
        self.gw.shutdown_functions().await;
        let _ = std::fs::remove_file(&self.server_file);
    }
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub async fn serve(s: Settings) -> anyhow::Result<ExitCode> {
    let running = start(&s).await?;
    if let Some(node) = running.gw.node_id() {
        println!(
            "cluster node {node} (store: {})",
            running.gw.store_description()
        );
    }
    println!("listening on http://{}", running.addr);
    if let Some(tls) = running.tls_addr {
        println!(
            "listening on https://{tls} (CA: {})",
            crate::tls::ca::ca_path(&s.paths.data_dir).display()
        );
    }
    if let Some(api) = &running.demo_api {
        println!(
            "demo API {api}: http://{}/restapis/{api}/dev/_user_request_/pets",
            running.addr
        );
    }
    wait_for_signal().await;
    running.stop().await;
    Ok(ExitCode::SUCCESS)
}

/// The engine with the console in front of it.
pub async fn console(
    s: Settings,
    theme: Option<String>,
    readonly: bool,
    parse_check: fn(&str) -> Option<(usize, usize, String)>,
) -> anyhow::Result<ExitCode> {
    let running = start(&s).await?;
    let traffic = std::sync::Arc::new(crate::loadgen::Traffic::default());
    let backend =
        crate::tui::gateway::GatewayBackend::new(running.gw.clone(), running.addr, traffic.clone());
    if let Some(api) = &running.demo_api
        && s.config.demo.traffic > 0.0
    {
        // The demo shows live charts from the first second.
        use crate::tui::Backend as _;
        let _ = backend
            .set_traffic(api.clone(), "dev".into(), s.config.demo.traffic)
            .await;
    }
    let opts = crate::tui::ConsoleOptions {
        readonly: readonly || s.config.console.readonly.unwrap_or(false),
        theme: theme.or(s.config.console.theme.clone()),
        config_file: Some(s.paths.config_file.clone()),
        theme_dir: Some(s.paths.config_dir.join("themes")),
        parse_check: Some(parse_check),
    };
    let result = crate::tui::run(backend, opts).await;
    traffic.stop_all();
    running.stop().await;
    result.map(|_| ExitCode::SUCCESS)
}
