//! Paths and the user's config file (TOML). Every command takes `--data-dir` and `--config`;
//! defaults come from the platform directories (`directories`). A missing default config file
//! is fine; a malformed one is an error naming the file and the line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub const DEFAULT_LISTEN: &str = "127.0.0.1:4567";

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConfigFile {
    pub server: ServerSection,
    pub console: ConsoleSection,
    pub demo: DemoSection,
    /// Key binding overrides: action name → key or keys (`flush = "ctrl-x"`,
    /// `deploy = ["D", "ctrl-d"]`); the console validates them.
    pub keys: toml::Table,
    /// Lambda functions by name (`[functions.hello]`): local (runtime, handler, code) or remote
    /// (endpoint). Relative `code` paths are relative to the config file's directory.
    pub functions: BTreeMap<String, crate::engine::functions::FunctionConfig>,
    /// Credentials AWS_IAM methods accept.
    pub iam: IamSection,
    /// JWKS sources for COGNITO_USER_POOLS authorizers, by provider ARN or user-pool id.
    pub jwks: BTreeMap<String, crate::engine::security::JwksSource>,
    /// Where AWS service integrations send their calls, and their credentials.
    pub aws: crate::engine::integrations::aws::AwsConfig,
    /// Access-log files.
    pub logs: LogsSection,
    /// Local targets of VPC links, by link id (`[vpc_links.ID] target = "127.0.0.1:8080"`): a
    /// `VPC_LINK` integration through that link calls the target.
    pub vpc_links: BTreeMap<String, VpcLinkSection>,
    /// X-Ray sampling (`reservoir_size`, `fixed_rate`) and OTLP export (`otlp_endpoint`) for
    /// stages with `tracingEnabled`.
    pub tracing: crate::engine::xray::TracingConfig,
    /// Where the definitions live (`[store] url`): SQLite in the data dir when unset.
    pub store: StoreSection,
    /// Cluster mode (docs/CLUSTER.md): this node's id (`node_id`) and the shared traffic
    /// state: `redis = "redis://…"`, `redis_failure` (`open`/`closed`), `redis_timeout_ms`,
    /// the breaker and the lease window.
    pub cluster: crate::engine::cluster::RedisSettings,
}

/// `[store]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSection {
    /// `postgres://user[:password]@host[:port]/db`: definitions in PostgreSQL, shared by the
    /// nodes of a cluster. Unset: the SQLite file in the data directory.
    pub url: Option<String>,
    /// PEM file of the CA(s) to trust for PostgreSQL over TLS (`sslmode=require` in `url`),
    /// instead of the system's; relative to the config file's directory.
    pub ca_cert: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VpcLinkSection {
    /// `HOST:PORT` the link's integrations are sent to.
    pub target: String,
}

/// `[logs]`: access-log rotation (`access_log_max_bytes`, default 64 MiB;
/// `access_log_max_files`, default 5, the current file included).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogsSection {
    pub access_log_max_bytes: u64,
    pub access_log_max_files: u32,
}

impl Default for LogsSection {
    fn default() -> Self {
        let r = crate::engine::logs::rotation::Rotation::default();
        LogsSection {
            access_log_max_bytes: r.max_bytes,
            access_log_max_files: r.max_files,
        }
    }
}

impl LogsSection {
    pub fn rotation(&self) -> crate::engine::logs::rotation::Rotation {
        crate::engine::logs::rotation::Rotation::new(
            self.access_log_max_bytes,
            self.access_log_max_files,
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct IamSection {
    pub credentials: Vec<crate::engine::security::IamCredential>,
}

impl ConfigFile {
    /// Functions with relative `code` and `command` paths resolved against `base` (the config
    /// file's directory).
    pub fn resolved_functions(
        &self,
        base: &Path,
    ) -> Vec<(String, crate::engine::functions::FunctionConfig)> {
        self.functions
            .iter()
            .map(|(name, f)| {
                let mut f = f.clone();
                if let Some(code) = &f.code
                    && code.is_relative()
                {
                    f.code = Some(base.join(code));
                }
                (name.clone(), f)
            })
            .collect()
    }

    /// The `[aws]` settings resolved against the process environment and the user's shared
    /// credentials file.
    pub fn resolved_aws(
        &self,
    ) -> Result<
        crate::engine::integrations::aws::AwsSettings,
        crate::engine::integrations::aws::settings::AwsSettingsError,
    > {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        crate::engine::integrations::aws::AwsSettings::resolve(
            &self.aws,
            |k| std::env::var(k).ok(),
            home.as_deref(),
        )
    }

    /// JWKS sources with relative files resolved against `base`.
    pub fn resolved_jwks(&self, base: &Path) -> Vec<(String, crate::engine::security::JwksSource)> {
        self.jwks
            .iter()
            .map(|(k, s)| {
                let mut s = s.clone();
                if let Some(file) = &s.file
                    && file.is_relative()
                {
                    s.file = Some(base.join(file));
                }
                (k.clone(), s)
            })
            .collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSection {
    /// `ADDR:PORT` to serve on.
    pub listen: Option<String>,
    /// `ACCESS_KEY:SECRET[:SESSION_TOKEN]` the management API requires (SigV4; with a token,
    /// requests must carry it in `X-Amz-Security-Token`).
    pub admin_credentials: Option<String>,
    /// Host names and addresses (besides loopback ones) the management API answers to; `*.`
    /// prefixes allow subdomains. Validated as the file is read (docs/SECURITY.md).
    pub allowed_hosts: Vec<crate::server::browser::AllowedHost>,
    /// Web origins (`http://localhost:3000`) allowed to call the management API from a
    /// browser; every other `Origin` is refused, `null` and `*` cannot be listed.
    pub allowed_origins: Vec<crate::server::browser::AllowedOrigin>,
    /// `ADDR:PORT` of the HTTPS listener (same invoke URLs and management API as `listen`);
    /// unset: no HTTPS.
    pub tls_listen: Option<String>,
    /// PEM certificate chain (leaf first) for `tls_listen`, with `tls_private_key`. Unset: the
    /// local development CA in the data dir issues one for `*.execute-api.localhost`.
    pub tls_certificate: Option<PathBuf>,
    pub tls_private_key: Option<PathBuf>,
    /// The account throttle (requests per second, steady): AWS's 10,000 by default.
    /// UpdateAccount can change it at run time.
    pub account_rate_limit: Option<f64>,
    /// The account throttle's burst: AWS's 5,000 by default.
    pub account_burst_limit: Option<i64>,
    /// Threads serving `listen`, each with its own runtime and `SO_REUSEPORT` socket
    /// (nginx's worker model, [`crate::server::per_core`]): unset, one per CPU; `0`, the
    /// listener is served on the shared work-stealing runtime instead. `GWTUI_SERVE_THREADS`
    /// overrides it.
    pub serving_threads: Option<usize>,
}

impl ServerSection {
    /// The HTTPS listener's certificate source, with relative paths resolved against `base`
    /// (the config file's directory). Both files or neither.
    pub fn tls_certificate_source(
        &self,
        base: &Path,
    ) -> Result<crate::server::tls::ListenerCertificate, String> {
        match (&self.tls_certificate, &self.tls_private_key) {
            (None, None) => Ok(crate::server::tls::ListenerCertificate::DevCa),
            (Some(c), Some(k)) => Ok(crate::server::tls::ListenerCertificate::Files {
                certificate: base.join(c),
                private_key: base.join(k),
            }),
            _ => Err("server.tls_certificate and server.tls_private_key go together".into()),
        }
    }

    /// The threads serving `listen` (`0`: the shared runtime), from `GWTUI_SERVE_THREADS`
    /// when it is set (`env`), else `serving_threads`, else one per CPU.
    pub fn serving_threads(&self, env: Option<&str>) -> Result<usize, String> {
        let max = crate::server::per_core::MAX_THREADS;
        match env.map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n <= max => Ok(n),
                _ => Err(format!(
                    "GWTUI_SERVE_THREADS={v:?} is not a number of threads from 0 (the shared runtime) to {max}"
                )),
            },
            None => match self.serving_threads {
                Some(n) if n > max => Err(format!(
                    "server.serving_threads must be from 0 (the shared runtime) to {max} (got {n})"
                )),
                Some(n) => Ok(n),
                None => Ok(crate::server::per_core::default_threads()),
            },
        }
    }

    /// The account throttle `(rate, burst)`: configured, else AWS's defaults.
    pub fn account_limits(&self) -> Result<(f64, i64), String> {
        let defaults = crate::engine::EngineConfig::default();
        let rate = self
            .account_rate_limit
            .unwrap_or(defaults.account_rate_limit);
        let burst = self
            .account_burst_limit
            .unwrap_or(defaults.account_burst_limit);
        if !rate.is_finite() || rate < 0.0 {
            return Err(format!(
                "server.account_rate_limit must be a non-negative number (got {rate})"
            ));
        }
        if burst < 0 {
            return Err(format!(
                "server.account_burst_limit must be a non-negative integer (got {burst})"
            ));
        }
        Ok((rate, burst))
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSection {
    pub theme: Option<String>,
    pub readonly: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DemoSection {
    /// Seed the demo API on an empty data dir and run its backend.
    pub enabled: bool,
    /// Requests per second the console's traffic generator sends to the demo's `dev` stage
    /// (0 turns it off).
    pub traffic: f64,
}

impl Default for DemoSection {
    fn default() -> Self {
        DemoSection {
            enabled: true,
            traffic: 20.0,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {}, line {line}: {message}", path.display())]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("no platform config/data directory could be determined; pass --config and --data-dir")]
    NoHome,
}

/// Where things are, after flags and defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Paths {
    pub config_file: PathBuf,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "gwtui", "gwtui")
}

pub fn resolve_paths(config: Option<&Path>, data_dir: Option<&Path>) -> Result<Paths, ConfigError> {
    let dirs = project_dirs();
    let config_file = match (config, &dirs) {
        (Some(c), _) => c.to_path_buf(),
        (None, Some(d)) => d.config_dir().join("config.toml"),
        (None, None) => return Err(ConfigError::NoHome),
    };
    let config_dir = config_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let data_dir = match (data_dir, &dirs) {
        (Some(d), _) => d.to_path_buf(),
        (None, Some(d)) => d.data_dir().to_path_buf(),
        (None, None) => return Err(ConfigError::NoHome),
    };
    Ok(Paths {
        config_file,
        config_dir,
        data_dir,
    })
}

/// Loads the config file. `explicit`: the user named the file, so it must exist.
pub fn load(path: &Path, explicit: bool) -> Result<ConfigFile, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            return Ok(ConfigFile::default());
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(&text, path)
}

pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, ConfigError> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
            .unwrap_or(1);
        ConfigError::Parse {
            path: path.to_path_buf(),
            line,
            message: e.message().to_string(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_limits_default_to_aws_and_refuse_negative_values() {
        let none = ServerSection::default();
        assert_eq!(none.account_limits(), Ok((10_000.0, 5_000)));
        let set = parse(
            "[server]\naccount_rate_limit = 250000.0\naccount_burst_limit = 100000\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(set.server.account_limits(), Ok((250_000.0, 100_000)));
        for bad in [
            ServerSection {
                account_rate_limit: Some(-1.0),
                ..ServerSection::default()
            },
            ServerSection {
                account_rate_limit: Some(f64::NAN),
                ..ServerSection::default()
            },
            ServerSection {
                account_burst_limit: Some(-5),
                ..ServerSection::default()
            },
        ] {
            assert!(bad.account_limits().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serving_threads_default_to_one_per_cpu_and_the_env_overrides_the_file() {
        let none = ServerSection::default();
        assert_eq!(
            none.serving_threads(None),
            Ok(crate::server::per_core::default_threads())
        );
        assert_eq!(none.serving_threads(Some("")), none.serving_threads(None));
        assert_eq!(none.serving_threads(Some("3")), Ok(3));
        assert_eq!(none.serving_threads(Some("0")), Ok(0));
        let set = parse("[server]\nserving_threads = 0\n", Path::new("c.toml")).unwrap();
        assert_eq!(set.server.serving_threads(None), Ok(0));
        assert_eq!(set.server.serving_threads(Some("2")), Ok(2));
        for bad in ["65", "-1", "two", "1.5"] {
            let e = none.serving_threads(Some(bad)).unwrap_err();
            assert!(e.contains("GWTUI_SERVE_THREADS"), "{e}");
        }
        let too_many = parse("[server]\nserving_threads = 100\n", Path::new("c.toml")).unwrap();
        let e = too_many.server.serving_threads(None).unwrap_err();
        assert!(e.contains("server.serving_threads"), "{e}");
    }

    #[test]
    fn cluster_redis_settings_default_to_single_node_and_refuse_unknown_modes() {
        use crate::engine::cluster::FailureMode;
        let none = parse("", Path::new("c.toml")).unwrap();
        assert_eq!(none.cluster.redis, None);
        assert_eq!(none.cluster.redis_failure, FailureMode::Open);
        assert_eq!(none.cluster.redis_timeout_ms, 50);
        let set = parse(
            "[cluster]\nredis = \"redis://127.0.0.1:6390\"\nredis_failure = \"closed\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(set.cluster.redis.as_deref(), Some("redis://127.0.0.1:6390"));
        assert_eq!(set.cluster.redis_failure, FailureMode::Closed);
        assert!(
            parse(
                "[cluster]\nredis_failure = \"maybe\"\n",
                Path::new("c.toml")
            )
            .is_err()
        );
        assert!(parse("[cluster]\nbogus = 1\n", Path::new("c.toml")).is_err());
    }

    #[test]
    fn parses_sections_and_names_the_bad_line() {
        let ok = parse(
            "[server]\nlisten = \"127.0.0.1:9000\"\n[keys]\nflush_cache = \"F\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(ok.server.listen.as_deref(), Some("127.0.0.1:9000"));
        assert_eq!(ok.keys["flush_cache"].as_str(), Some("F"));
        assert!(ok.demo.enabled);
        let err = parse("[server]\nlisten = 5\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("config file c.toml, line 2:"), "{err}");
        let err = parse("[server]\n\nbogus = 1\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("bogus"), "{err}");
    }

    #[test]
    fn parses_functions_iam_and_jwks() {
        let text = r#"
[functions.hello]
runtime = "python3"
handler = "app.handler"
code = "functions/hello"
timeout = 5
memory = 256
concurrency = 2
environment = { GREETING = "hi" }
aliases = { live = "hello-v2" }

[functions.remote]
endpoint = "http://127.0.0.1:9001"
sign = { access_key_id = "AKID", secret_access_key = "SECRET" }

[iam]
credentials = [{ access_key_id = "AKIDEXAMPLE", secret_access_key = "secret", user = "alice" },
               { access_key_id = "ASIAEXAMPLE", secret_access_key = "secret", session_token = "tok" }]

[jwks."arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc"]
file = "jwks.json"
audience = ["client1"]
"#;
        let c = parse(text, Path::new("c.toml")).unwrap();
        let hello = &c.functions["hello"];
        assert_eq!(hello.timeout, Some(5));
        assert_eq!(hello.environment["GREETING"], "hi");
        assert_eq!(hello.aliases["live"], "hello-v2");
        assert!(c.functions["remote"].sign.is_some());
        assert_eq!(c.iam.credentials[0].user.as_deref(), Some("alice"));
        assert_eq!(c.iam.credentials[0].session_token, None);
        assert_eq!(c.iam.credentials[1].session_token.as_deref(), Some("tok"));
        let fns = c.resolved_functions(Path::new("/etc/gwtui"));
        assert_eq!(
            fns[0].1.code.as_deref(),
            Some(Path::new("/etc/gwtui/functions/hello"))
        );
        let jwks = c.resolved_jwks(Path::new("/etc/gwtui"));
        assert_eq!(
            jwks[0].1.file.as_deref(),
            Some(Path::new("/etc/gwtui/jwks.json"))
        );
        let err = parse(
            "[functions.x]
runtme = \"python3\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("runtme"), "{err}");
    }

    #[test]
    fn allowed_hosts_and_origins_are_validated_with_the_line() {
        let ok = parse(
            "[server]\nallowed_hosts = [\"gwtui.internal\", \"*.dev.example\"]\nallowed_origins = [\"http://localhost:3000\"]\n",
            Path::new("c.toml"),
        )
        .unwrap();
        let hosts: Vec<String> = ok
            .server
            .allowed_hosts
            .iter()
            .map(|h| h.to_string())
            .collect();
        assert_eq!(hosts, ["gwtui.internal", "*.dev.example"]);
        assert_eq!(
            ok.server.allowed_origins[0].as_str(),
            "http://localhost:3000"
        );
        let err = parse("[server]\n\nallowed_hosts = [\"*\"]\n", Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 3") && err.contains("wildcard"), "{err}");
        let err = parse(
            "[server]\nallowed_origins = [\"null\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("line 2") && err.contains("null"), "{err}");
        let err = parse(
            "[server]\nallowed_origins = [\"localhost:3000\"]\n",
            Path::new("c.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("scheme://host"), "{err}");
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_explicit_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("none.toml");
        assert_eq!(load(&p, false).unwrap(), ConfigFile::default());
        assert!(load(&p, true).is_err());
    }
}
