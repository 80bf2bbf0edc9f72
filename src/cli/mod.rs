//! The command line (clap). `gwtui` alone runs the engine and the console; `gwtui serve` runs
//! the engine headless; the admin commands work on the data dir directly, or through the
//! gwtui process that is serving it.

mod attach;
mod client;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{self, ConfigFile, Paths};
use crate::engine::EngineConfig;
use client::Client;

#[derive(Debug, Parser)]
#[command(
    name = "gwtui",
    version,
    about = "A local AWS API Gateway (REST) workbench: gateway engine + terminal console"
)]
pub struct Cli {
    /// Data directory (default: the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Config file (default: config.toml in the platform config dir).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Console theme: a name from themes/ or a TOML file.
    #[arg(long, global = true, value_name = "NAME|FILE")]
    pub theme: Option<String>,
    /// Address to serve invoke URLs and the management API on.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Keep the definitions in PostgreSQL (`postgres://…`, cluster mode; docs/CLUSTER.md)
    /// instead of the data dir's SQLite file; overrides the config file's `[store] url`.
    #[arg(long, global = true, value_name = "URL", env = "GWTUI_STORE")]
    pub store: Option<String>,
    /// Console refuses every change (deploy, template and stage edits, flush, rollback, canary,
    /// deletes); browsing, dashboards, logs and test invokes stay available.
    #[arg(long)]
    pub readonly: bool,
    /// `ACCESS_KEY:SECRET[:SESSION_TOKEN]` the management API requires (SigV4); overrides the
    /// config file. Required to listen on a non-loopback address.
    #[arg(
        long,
        global = true,
        value_name = "ACCESS_KEY:SECRET[:TOKEN]",
        env = "GWTUI_ADMIN_CREDENTIALS"
    )]
    pub admin_credentials: Option<String>,
    /// A host name or address (besides loopback ones) the management API answers to, e.g.
    /// `gwtui.internal` or `*.dev.example` (repeatable; added to `[server] allowed_hosts`).
    #[arg(long = "allowed-host", global = true, value_name = "HOST")]
    pub allowed_hosts: Vec<String>,
    /// A web origin allowed to call the management API from a browser, e.g.
    /// `http://localhost:3000` (repeatable; added to `[server] allowed_origins`).
    #[arg(long = "allowed-origin", global = true, value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway headless.
    Serve {
        #[arg(long, value_name = "ADDR")]
        listen: Option<String>,
        /// Cluster mode: share throttles, quotas and caches through this Redis
        /// (`redis://host:port`; the config file's `[cluster] redis`).
        #[arg(long, value_name = "URL")]
        redis: Option<String>,
    },
    /// Run the console against a running gwtui (`gwtui serve` elsewhere), through its
    /// management API; `--admin-credentials` signs the calls when the server requires them.
    Attach {
        /// The server's URL, `http://HOST:PORT` or `https://HOST:PORT` (its `tls_listen`).
        url: String,
        /// For https://: the CA certificate (PEM) to trust for the server's certificate,
        /// instead of the system's roots (a gwtui server's local CA: `gwtui info` on the
        /// server prints its path).
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<PathBuf>,
    },
    /// Import an OpenAPI 3 / Swagger 2 file (JSON or YAML); prints the restApiId.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Mode::Merge)]
        mode: Mode,
        /// Merge into / overwrite this API instead of creating a new one.
        #[arg(long, value_name = "ID")]
        rest_api_id: Option<String>,
        /// Fail the import on any warning.
        #[arg(long)]
        fail_on_warnings: bool,
    },
    /// Create a deployment and create or repoint STAGE at it; prints the deployment id.
    Deploy {
        rest_api_id: String,
        stage: String,
        #[arg(long)]
        description: Option<String>,
        /// A stage variable to set, KEY=VALUE (repeatable).
        #[arg(long = "variable", value_name = "KEY=VALUE")]
        variables: Vec<String>,
    },
    /// List the stages of an API with their deployment ids.
    Stages { rest_api_id: String },
    /// Point STAGE at an older deployment.
    Rollback {
        rest_api_id: String,
        stage: String,
        deployment_id: String,
    },
    /// Print the resolved config, data and theme paths.
    Info,
    /// Mapping-template tools.
    Template {
        #[command(subcommand)]
        command: TemplateCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum TemplateCommand {
    /// Render a mapping template offline and print exactly the output. Errors go to stderr
    /// with line and column (exit status 2).
    Render {
        /// A case file in the VTL conformance format (template, input, context, stageVariables).
        #[arg(long, value_name = "FILE", conflicts_with = "template")]
        case: Option<PathBuf>,
        /// The template file.
        #[arg(long, value_name = "FILE", required_unless_present = "case")]
        template: Option<PathBuf>,
        /// The payload file (`$input.body`).
        #[arg(long, value_name = "FILE")]
        body: Option<PathBuf>,
        #[arg(long = "header", value_name = "K=V")]
        headers: Vec<String>,
        #[arg(long = "query", value_name = "K=V")]
        query: Vec<String>,
        #[arg(long = "path", value_name = "K=V")]
        path: Vec<String>,
        #[arg(long = "stage-var", value_name = "K=V")]
        stage_vars: Vec<String>,
        /// `request` (integration request template) or `response`.
        #[arg(long, default_value = "request")]
        flavour: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    Merge,
    Overwrite,
}

/// Everything a command needs from flags and the config file.
pub struct Settings {
    pub paths: Paths,
    pub config: ConfigFile,
    pub listen: String,
}

impl Settings {
    /// The engine configuration these settings give (data dir, access-log rotation).
    pub fn engine_config(&self) -> anyhow::Result<EngineConfig> {
        let (account_rate_limit, account_burst_limit) = self
            .config
            .server
            .account_limits()
            .map_err(anyhow::Error::msg)?;
        let store_ca = self
            .config
            .store
            .ca_cert
            .as_ref()
            .map(|p| self.paths.config_dir.join(p));
        let store = crate::store::StoreLocation::parse_with_ca(
            self.config.store.url.as_deref(),
            store_ca.as_deref(),
        )?;
        Ok(EngineConfig {
            store,
            node_id: self.config.cluster.node_id.clone(),
            data_dir: self.paths.data_dir.clone(),
            canary_seed: None,
            access_log_rotation: self.config.logs.rotation(),
            tracing: self.config.tracing.clone(),
            account_rate_limit,
            account_burst_limit,
            cluster: crate::engine::cluster::Cluster::new(crate::engine::cluster::RedisSettings {
                redis_ca_cert: self
                    .config
                    .cluster
                    .redis_ca_cert
                    .as_ref()
                    .map(|p| self.paths.config_dir.join(p)),
                ..self.config.cluster.clone()
            })?,
            ..EngineConfig::default()
        })
    }
}

pub fn settings(cli: &Cli, listen_flag: Option<&str>) -> anyhow::Result<Settings> {
    let paths = config::resolve_paths(cli.config.as_deref(), cli.data_dir.as_deref())?;
    let mut config = config::load(&paths.config_file, cli.config.is_some())?;
    if let Some(credentials) = &cli.admin_credentials {
        config.server.admin_credentials = Some(credentials.clone());
    }
    if let Some(url) = &cli.store {
        config.store.url = Some(url.clone());
    }
    for host in &cli.allowed_hosts {
        let host = crate::server::browser::AllowedHost::parse(host)
            .with_context(|| format!("--allowed-host {host:?}"))?;
        config.server.allowed_hosts.push(host);
    }
    for origin in &cli.allowed_origins {
        let origin = crate::server::browser::AllowedOrigin::parse(origin)
            .with_context(|| format!("--allowed-origin {origin:?}"))?;
        config.server.allowed_origins.push(origin);
    }
    let listen = listen_flag
        .or(cli.listen.as_deref())
        .or(config.server.listen.as_deref())
        .unwrap_or(config::DEFAULT_LISTEN)
        .to_string();
    Ok(Settings {
        paths,
        config,
        listen,
    })
}

/// Runs the command line; the binary's `main` is a thin wrapper around this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match runtime_builder(std::env::var("GWTUI_RUNTIME").ok().as_deref())
        .and_then(|b| runtime_knobs(b, |name| std::env::var(name).ok()))
    {
        Ok(mut builder) => builder.enable_all().build(),
        Err(e) => {
            eprintln!("gwtui: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("gwtui: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gwtui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The async runtime, by `GWTUI_RUNTIME` (an experiment switch, docs/PERFORMANCE.md "Data
/// plane under wrk"): unset or `multi_thread`, tokio's work-stealing runtime with a worker per
/// core; `multi_thread_1`, the same with one worker; `current_thread`, everything on the main
/// thread.
fn runtime_builder(flavour: Option<&str>) -> Result<tokio::runtime::Builder, String> {
    match flavour {
        None | Some("" | "multi_thread") => Ok(tokio::runtime::Builder::new_multi_thread()),
        Some("multi_thread_1") => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(1);
            Ok(builder)
        }
        Some("current_thread") => Ok(tokio::runtime::Builder::new_current_thread()),
        Some(other) => Err(format!(
            "GWTUI_RUNTIME={other:?} is not one of multi_thread, multi_thread_1, current_thread"
        )),
    }
}

/// Scheduler knobs of the multi-thread runtime, for the same A/B experiments:
/// `GWTUI_EVENT_INTERVAL` (ticks between I/O-driver polls, tokio's default 61) and
/// `GWTUI_GLOBAL_QUEUE_INTERVAL` (ticks between global-queue checks, tokio's default 31).
fn runtime_knobs(
    mut builder: tokio::runtime::Builder,
    var: impl Fn(&str) -> Option<String>,
) -> Result<tokio::runtime::Builder, String> {
    let knob = |name: &str| -> Result<Option<u32>, String> {
        match var(name).as_deref() {
            None | Some("") => Ok(None),
            Some(v) => match v.parse::<u32>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(format!("{name}={v:?} is not a positive whole number")),
            },
        }
    };
    if let Some(n) = knob("GWTUI_EVENT_INTERVAL")? {
        builder.event_interval(n);
    }
    if let Some(n) = knob("GWTUI_GLOBAL_QUEUE_INTERVAL")? {
        builder.global_queue_interval(n);
    }
    Ok(builder)
}

fn pairs(list: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    list.iter()
        .map(|kv| {
            kv.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .with_context(|| format!("--{flag} {kv:?} is not K=V"))
        })
        .collect()
}

/// `gwtui template render`: stdout gets exactly the rendered text.
fn template_render(command: &TemplateCommand) -> anyhow::Result<ExitCode> {
    use std::io::Write as _;
    let TemplateCommand::Render {
        case,
        template,
        body,
        headers,
        query,
        path,
        stage_vars,
        flavour,
    } = command;
    let rendered = match (case, template) {
        (Some(case), _) => {
            let text = std::fs::read_to_string(case)
                .with_context(|| format!("cannot read {}", case.display()))?;
            crate::mapping::conformance::render_case(&text)
        }
        (None, Some(template)) => {
            let source = std::fs::read_to_string(template)
                .with_context(|| format!("cannot read {}", template.display()))?;
            let body = match body {
                Some(b) => std::fs::read_to_string(b)
                    .with_context(|| format!("cannot read {}", b.display()))?,
                None => String::new(),
            };
            let flavour: crate::mapping::conformance::Flavour =
                flavour.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::mapping::conformance::render_parts(
                &source,
                &body,
                &pairs(headers, "header")?,
                &pairs(query, "query")?,
                &pairs(path, "path")?,
                &pairs(stage_vars, "stage-var")?,
                flavour,
            )
        }
        (None, None) => anyhow::bail!("give --case FILE or --template FILE"),
    };
    match rendered {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("gwtui: {e}");
            Ok(ExitCode::from(2))
        }
    }
}

/// The console's inline syntax check: the real VTL parser.
fn vtl_parse_check(source: &str) -> Option<(usize, usize, String)> {
    crate::vtl::Template::parse(source)
        .err()
        .map(|e| (e.line as usize, e.column as usize, e.message))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match &cli.command {
        Some(Command::Template { command }) => template_render(command),
        None => {
            let s = settings(&cli, None)?;
            serve::console(s, cli.theme.clone(), cli.readonly, vtl_parse_check).await
        }
        Some(Command::Attach { url, ca_cert }) => {
            let s = settings(&cli, None)?;
            attach::attach(
                s,
                url,
                ca_cert.as_deref(),
                cli.theme.clone(),
                cli.readonly,
                vtl_parse_check,
            )
            .await
        }
        Some(Command::Serve { listen, redis }) => {
            let mut s = settings(&cli, listen.as_deref())?;
            if let Some(url) = redis {
                s.config.cluster.redis = Some(url.clone());
            }
            serve::serve(s).await
        }
        Some(Command::Info) => {
            let s = settings(&cli, None)?;
            println!("config file: {}", s.paths.config_file.display());
            println!("config dir:  {}", s.paths.config_dir.display());
            println!("data dir:    {}", s.paths.data_dir.display());
            let store_ca = s
                .config
                .store
                .ca_cert
                .as_ref()
                .map(|p| s.paths.config_dir.join(p));
            let store = crate::store::StoreLocation::parse_with_ca(
                s.config.store.url.as_deref(),
                store_ca.as_deref(),
            )?;
            println!("store:       {}", store.describe(&s.paths.data_dir));
            if let Some(ca) = &store_ca {
                println!("store CA:    {}", ca.display());
            }
            if let crate::store::StoreLocation::Postgres(_) = store {
                println!(
                    "node id:     {}",
                    s.config
                        .cluster
                        .node_id
                        .as_deref()
                        .unwrap_or("generated at each start (set [cluster] node_id to fix it)")
                );
            }
            println!("listen:      {}", s.listen);
            let threads = s
                .config
                .server
                .serving_threads(std::env::var("GWTUI_SERVE_THREADS").ok().as_deref())
                .map_err(anyhow::Error::msg)?;
            println!(
                "serving:     {}",
                match threads {
                    0 => "on the shared runtime (serving_threads = 0)".to_string(),
                    n => format!("{n} thread(s), a runtime and SO_REUSEPORT socket each"),
                }
            );
            if let Some(tls) = &s.config.server.tls_listen {
                println!("tls listen:  {tls}");
            }
            println!(
                "local CA:    {} (trust it for HTTPS invoke URLs; created on first HTTPS use)",
                crate::tls::ca::ca_path(&s.paths.data_dir).display()
            );
            println!(
                "hosts:       loopback{}",
                s.config
                    .server
                    .allowed_hosts
                    .iter()
                    .map(|h| format!(", {h}"))
                    .collect::<String>()
            );
            println!(
                "origins:     {}",
                if s.config.server.allowed_origins.is_empty() {
                    "none (every browser Origin is refused)".to_string()
                } else {
                    s.config
                        .server
                        .allowed_origins
                        .iter()
                        .map(|o| o.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
            println!(
                "credentials: {}",
                match s
                    .config
                    .server
                    .admin_credentials
                    .as_deref()
                    .and_then(|c| c.split_once(':'))
                {
                    Some((key, _)) => format!("{key} (SigV4 required on the management API)"),
                    None => "none (local functions cannot be registered over HTTP)".to_string(),
                }
            );
            let (rate, burst) = s
                .config
                .server
                .account_limits()
                .map_err(anyhow::Error::msg)?;
            println!(
                "account throttle: {rate} requests/s, burst {burst} (configured; UpdateAccount overrides are stored in the data dir)"
            );
            let tracing = &s.config.tracing;
            tracing.validate()?;
            println!(
                "tracing:     stages with tracingEnabled; sampled {} request(s)/s + {}% of the rest; OTLP export: {}",
                tracing.reservoir_size,
                tracing.fixed_rate * 100.0,
                tracing.otlp_endpoint.as_deref().unwrap_or("off")
            );
            let theme_dir = s.paths.config_dir.join("themes");
            let requested = cli
                .theme
                .clone()
                .or(s.config.console.theme.clone())
                .unwrap_or_else(|| "default-dark".into());
            let theme = crate::tui::theme::Theme::load(&requested, Some(&theme_dir))
                .with_context(|| format!("theme {requested:?}"))?;
            println!("theme:       {} ({requested})", theme.name);
            println!("theme dir:   {}", theme_dir.display());
            let rotation = s.config.logs.rotation();
            println!(
                "access logs: {} (access-{{apiId}}-{{stage}}.log, rotated at {} bytes, {} files kept per stage)",
                s.paths.data_dir.join("logs").display(),
                rotation.max_bytes,
                rotation.max_files
            );
            let running = client::running_server(&s.paths.data_dir);
            match &running {
                Some(url) => println!("server:      serving this data dir at {url}"),
                None => println!("server:      none serving this data dir"),
            }
            crate::engine::cluster::info::print(&s.config.cluster, running.as_deref()).await;
            let aws = s
                .config
                .resolved_aws()
                .with_context(|| format!("config file {}", s.paths.config_file.display()))?;
            println!(
                "aws credentials: {}",
                match &aws.credentials {
                    Some(c) => format!("{} from {}", c.access_key_id, aws.credentials_source),
                    None => "none (AWS service integrations answer 500)".to_string(),
                }
            );
            for service in crate::engine::integrations::aws::info_services(&aws) {
                println!(
                    "aws {service:<9} {}",
                    aws.describe(&service, crate::engine::REGION)
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Import {
            file,
            mode,
            rest_api_id,
            fail_on_warnings,
        }) => {
            let s = settings(&cli, None)?;
            let source = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let opts = crate::openapi::ImportOptions {
                mode: match mode {
                    Mode::Merge => crate::openapi::ImportMode::Merge,
                    Mode::Overwrite => crate::openapi::ImportMode::Overwrite,
                },
                fail_on_warnings: *fail_on_warnings,
                basepath: Default::default(),
            };
            let client = Client::connect(&s).await?;
            let api = client.import(&source, opts, rest_api_id.as_deref()).await?;
            for w in &api.warnings {
                eprintln!("warning: {w}");
            }
            println!("{}", api.id);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Deploy {
            rest_api_id,
            stage,
            description,
            variables,
        }) => {
            let s = settings(&cli, None)?;
            let mut vars = indexmap::IndexMap::new();
            for kv in variables {
                let (k, v) = kv
                    .split_once('=')
                    .with_context(|| format!("--variable {kv:?} is not KEY=VALUE"))?;
                vars.insert(k.to_string(), v.to_string());
            }
            let client = Client::connect(&s).await?;
            let deployment = client
                .deploy(rest_api_id, stage, description.clone(), vars)
                .await?;
            println!("{}", deployment.id);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Stages { rest_api_id }) => {
            let s = settings(&cli, None)?;
            let client = Client::connect(&s).await?;
            let stages = client.stages(rest_api_id).await?;
            println!("{:<20} {:<12} CANARY", "STAGE", "DEPLOYMENT");
            for st in stages {
                let canary = st
                    .canary_settings
                    .map(|c| {
                        format!(
                            "{}% -> {}",
                            c.percent_traffic,
                            c.deployment_id.unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "-".into());
                println!("{:<20} {:<12} {canary}", st.stage_name, st.deployment_id);
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Rollback {
            rest_api_id,
            stage,
            deployment_id,
        }) => {
            let s = settings(&cli, None)?;
            let client = Client::connect(&s).await?;
            let st = client.rollback(rest_api_id, stage, deployment_id).await?;
            println!(
                "{} now serves deployment {}",
                st.stage_name, st.deployment_id
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{runtime_builder, runtime_knobs};
    use tokio::runtime::RuntimeFlavor;

    #[test]
    fn runtime_knobs_take_positive_numbers_and_refuse_the_rest() {
        let with = |name: &'static str, value: &'static str| {
            runtime_knobs(tokio::runtime::Builder::new_multi_thread(), move |n| {
                (n == name).then(|| value.to_string())
            })
        };
        for name in ["GWTUI_EVENT_INTERVAL", "GWTUI_GLOBAL_QUEUE_INTERVAL"] {
            let rt =
                with(name, "7").and_then(|mut b| b.enable_all().build().map_err(|e| e.to_string()));
            assert!(rt.is_ok(), "{name}");
            assert!(with(name, "").is_ok(), "{name}: unset");
            for bad in ["0", "-1", "many"] {
                let err = with(name, bad).err().unwrap_or_default();
                assert!(
                    err.contains(name) && err.contains(bad),
                    "{name}={bad}: {err}"
                );
            }
        }
    }

    #[test]
    fn gwtui_runtime_picks_the_flavour_and_refuses_unknown_names() {
        let build = |name| runtime_builder(name).unwrap().enable_all().build().unwrap();
        for (name, flavour, workers) in [
            (None, RuntimeFlavor::MultiThread, None),
            (Some("multi_thread"), RuntimeFlavor::MultiThread, None),
            (Some("multi_thread_1"), RuntimeFlavor::MultiThread, Some(1)),
            (
                Some("current_thread"),
                RuntimeFlavor::CurrentThread,
                Some(1),
            ),
        ] {
            let rt = build(name);
            assert_eq!(rt.handle().runtime_flavor(), flavour, "{name:?}");
            if let Some(n) = workers {
                assert_eq!(rt.metrics().num_workers(), n, "{name:?}");
            }
        }
        let err = runtime_builder(Some("steal")).err().unwrap();
        assert!(err.contains("\"steal\""), "{err}");
    }
}
