//! Lambda functions the gateway can invoke: local functions run as warm worker processes
//! speaking the Lambda Runtime API (`pool`, `runtime_api`, bootstraps in `assets/runtimes/`), and
//! remote endpoints speaking the Lambda Invoke API (`remote`). Names resolve with their alias
//! or version qualifier (`hello:live`).

mod admin;
pub mod config;
pub mod output;
pub mod pool;
pub mod remote;
pub mod runtime_api;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::broadcast;

pub use config::{FunctionConfig, Runtime, SignConfig};
pub use pool::PoolStats;

/// Most functions the registry holds (registered over the management API, from the config
/// file and alias tables together).
pub const MAX_FUNCTIONS: usize = 1024;

use super::GatewayEvent;
use pool::{LaunchSpec, Pool, PoolLimits};
use remote::Remote;

const PYTHON_BOOTSTRAP: &str = include_str!("../../../assets/runtimes/python3/bootstrap.py");
const NODE_BOOTSTRAP: &str = include_str!("../../../assets/runtimes/node/bootstrap.js");

/// One finished invocation, as the Invoke API would report it.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub payload: Bytes,
    /// `X-Amz-Function-Error` (`Unhandled` / `Handled`); `None` on success.
    pub function_error: Option<String>,
    /// The worker served its first invocation.
    pub cold_start: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvokeError {
    #[error("Function not found: {0}")]
    NotFound(String),
    /// Lambda's `TooManyRequestsException` (429): the function's concurrency and queue are
    /// full.
    #[error("Rate Exceeded.")]
    Throttled,
    #[error("{0}")]
    Failed(String),
}

enum Kind {
    Local(Arc<Pool>),
    Remote(Remote),
    /// Only an alias table.
    Aliases,
}

struct Entry {
    config: FunctionConfig,
    kind: Kind,
}

/// The registry of functions, shared by the data plane (integrations, authorizers).
pub struct Functions {
    entries: RwLock<HashMap<String, Arc<Entry>>>,
    events: broadcast::Sender<GatewayEvent>,
    runtimes_dir: PathBuf,
    http: reqwest::Client,
    /// Environment every worker starts with before its function's own `environment` (which
    /// wins): the workers' AWS credential and `GWTUI_ENDPOINT`.
    defaults: pool::SharedEnv,
    /// The runtime the gateway was opened on: workers run there ([`pool::LaunchSpec`]).
    runtime: Option<tokio::runtime::Handle>,
}

impl Functions {
    pub(crate) fn new(
        data_dir: &Path,
        events: broadcast::Sender<GatewayEvent>,
        http: reqwest::Client,
    ) -> Functions {
        Functions {
            entries: RwLock::new(HashMap::new()),
            events,
            runtimes_dir: data_dir.join("runtimes"),
            http,
            defaults: pool::SharedEnv::default(),
            runtime: tokio::runtime::Handle::try_current().ok(),
        }
    }

    /// Sets (or replaces) one variable of the workers' default environment.
    pub(crate) fn set_default_env(&self, name: &str, value: String) {
        let mut d = self.defaults.write().unwrap_or_else(|p| p.into_inner());
        d.retain(|(k, _)| k != name);
        d.push((name.to_string(), value));
    }

    /// Writes the shipped bootstraps under the data dir (only when they changed).
    fn install_bootstraps(&self) -> std::io::Result<()> {
        for (rel, text) in [
            ("python3/bootstrap.py", PYTHON_BOOTSTRAP),
            ("node/bootstrap.js", NODE_BOOTSTRAP),
        ] {
            let path = self.runtimes_dir.join(rel);
            if std::fs::read_to_string(&path).ok().as_deref() == Some(text) {
                continue;
            }
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, text)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(())
    }

    /// Registers (or replaces) a function. A replaced local function's workers are stopped.
    /// A new name past [`MAX_FUNCTIONS`] is refused.
    pub fn register(&self, name: &str, config: FunctionConfig) -> Result<(), String> {
        config.validate(name)?;
        if !self.has_room_for(name) {
            return Err(too_many_functions());
        }
        let kind = if let Some(endpoint) = &config.endpoint {
            Kind::Remote(Remote {
                endpoint: endpoint.clone(),
                function_name: config
                    .function_name
                    .clone()
                    .unwrap_or_else(|| name.to_string()),
                sign: config.sign.clone(),
            })
        } else if let Some(runtime) = config.runtime {
            Kind::Local(self.pool_for(name, runtime, &config)?)
        } else {
            Kind::Aliases
        };
        let old = {
            let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
            if entries.len() >= MAX_FUNCTIONS && !entries.contains_key(name) {
                drop(entries);
                if let Kind::Local(pool) = &kind {
                    pool.shutdown();
                }
                return Err(too_many_functions());
            }
            entries.insert(name.to_string(), Arc::new(Entry { config, kind }))
        };
        if let Some(old) = old
            && let Kind::Local(pool) = &old.kind
        {
            pool.shutdown();
        }
        Ok(())
    }

    /// Whether `name` can be registered: it replaces a function, or the registry has room.
    pub fn has_room_for(&self, name: &str) -> bool {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        entries.len() < MAX_FUNCTIONS || entries.contains_key(name)
    }

    /// Removes a function; its workers are stopped.
    pub fn remove(&self, name: &str) -> bool {
        let old = self
            .entries
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name);
        if let Some(old) = &old
            && let Kind::Local(pool) = &old.kind
        {
            pool.shutdown();
        }
        old.is_some()
    }

    fn pool_for(
        &self,
        name: &str,
        runtime: Runtime,
        config: &FunctionConfig,
    ) -> Result<Arc<Pool>, String> {
        let code = config
            .code
            .as_ref()
            .ok_or_else(|| format!("function {name}: code is required"))?
            .canonicalize()
            .map_err(|e| format!("function {name}: code directory: {e}"))?;
        let handler = config.handler.clone().unwrap_or_default();
        let (program, args, execution_env) = match runtime {
            Runtime::Python3 => {
                self.install_bootstraps()
                    .map_err(|e| format!("cannot install the runtime bootstraps: {e}"))?;
                let python = std::env::var("GWTUI_PYTHON").unwrap_or_else(|_| "python3".into());
                let script = self
                    .runtimes_dir
                    .join("python3/bootstrap.py")
                    .to_string_lossy()
                    .into_owned();
                (python, vec!["-u".to_string(), script], "AWS_Lambda_python3")
            }
            Runtime::Node => {
                self.install_bootstraps()
                    .map_err(|e| format!("cannot install the runtime bootstraps: {e}"))?;
                let node = std::env::var("GWTUI_NODE").unwrap_or_else(|_| "node".into());
                let script = self
                    .runtimes_dir
                    .join("node/bootstrap.js")
                    .to_string_lossy()
                    .into_owned();
                (node, vec![script], "AWS_Lambda_nodejs")
            }
            Runtime::Custom => {
                let mut command = config
                    .command
                    .clone()
                    .unwrap_or_else(|| vec![code.join("bootstrap").to_string_lossy().into_owned()]);
                let program = command.remove(0);
                (program, command, "AWS_Lambda_provided")
            }
        };
        let mut env: Vec<(String, String)> = vec![
            ("_HANDLER".into(), handler),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), name.to_string()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
            (
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(),
                config.memory_mb().to_string(),
            ),
            (
                "AWS_LAMBDA_FUNCTION_TIMEOUT".into(),
                config.timeout_seconds().to_string(),
            ),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME".into(),
                format!("/aws/lambda/{name}"),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE".into(), "on-demand".into()),
            ("AWS_REGION".into(), super::REGION.into()),
            ("AWS_DEFAULT_REGION".into(), super::REGION.into()),
            ("AWS_EXECUTION_ENV".into(), execution_env.into()),
            (
                "LAMBDA_TASK_ROOT".into(),
                code.to_string_lossy().into_owned(),
            ),
            (
                "LAMBDA_RUNTIME_DIR".into(),
                self.runtimes_dir.to_string_lossy().into_owned(),
            ),
            ("TZ".into(), ":UTC".into()),
            ("PYTHONUNBUFFERED".into(), "1".into()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
        ];
        for (k, v) in &config.environment {
            env.retain(|(name, _)| name != k);
            env.push((k.clone(), v.clone()));
        }
        let spec = LaunchSpec {
            program,
            args,
            env,
            cwd: code,
            defaults: self.defaults.clone(),
            runtime: self.runtime.clone(),
        };
        Ok(Pool::new(
            name.to_string(),
            spec,
            PoolLimits {
                timeout: Duration::from_secs(config.timeout_seconds()),
                concurrency: config.concurrency_limit(),
                queue: config.queue_limit(),
            },
            self.events.clone(),
        ))
    }

    /// The registered functions and their configurations, by name.
    pub fn list(&self) -> Vec<(String, FunctionConfig)> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<_> = entries
            .iter()
            .map(|(n, e)| (n.clone(), e.config.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Worker counters of a local function.
    pub fn stats(&self, name: &str) -> Option<PoolStats> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        match &entries.get(name)?.kind {
            Kind::Local(pool) => Some(pool.stats()),
            _ => None,
        }
    }

    /// Resolves `name` with an optional alias/version qualifier: an entry registered as
    /// `name:qualifier` first, then the function's `aliases` table, then `$LATEST` (or no
    /// qualifier) for the function itself; a remote function receives an unknown qualifier.
    fn resolve(
        &self,
        name: &str,
        qualifier: Option<&str>,
    ) -> Result<(Arc<Entry>, Option<String>), InvokeError> {
        let entries = self.entries.read().unwrap_or_else(|p| p.into_inner());
        let not_found = || {
            let full = match qualifier {
                Some(q) => format!("{name}:{q}"),
                None => name.to_string(),
            };
            InvokeError::NotFound(full)
        };
        let mut name = name.to_string();
        let mut qualifier = qualifier.map(str::to_string);
        for _ in 0..4 {
            match qualifier.as_deref() {
                None | Some("$LATEST") => {
                    let e = entries.get(&name).ok_or_else(not_found)?;
                    return Ok((e.clone(), None));
                }
                Some(q) => {
                    if let Some(e) = entries.get(&format!("{name}:{q}")) {
                        return Ok((e.clone(), None));
                    }
                    let base = entries.get(&name).ok_or_else(not_found)?;
                    match base.config.aliases.get(q) {
                        Some(target) => {
                            let (n, q2) = match target.split_once(':') {
                                Some((n, q)) => (n.to_string(), Some(q.to_string())),
                                None => (target.clone(), None),
                            };
                            name = n;
                            qualifier = q2;
                        }
                        None if matches!(base.kind, Kind::Remote(_)) => {
                            return Ok((base.clone(), Some(q.to_string())));
                        }
                        None => return Err(not_found()),
                    }
                }
            }
        }
        Err(not_found())
    }

    /// Invokes a function synchronously (`RequestResponse`). `trace_id` is the caller's
    /// `X-Amzn-Trace-Id` (active tracing): a local worker gets it as
    /// `Lambda-Runtime-Trace-Id` (its bootstrap sets `_X_AMZN_TRACE_ID`), a remote endpoint as
    /// `X-Amzn-Trace-Id`.
    pub async fn invoke(
        &self,
        name: &str,
        qualifier: Option<&str>,
        payload: Bytes,
        trace_id: Option<&str>,
    ) -> Result<Invocation, InvokeError> {
        let (entry, remote_qualifier) = self.resolve(name, qualifier)?;
        match &entry.kind {
            Kind::Local(pool) => pool.invoke(payload, trace_id.map(Box::from)).await,
            Kind::Remote(remote) => {
                remote
                    .invoke(&self.http, remote_qualifier.as_deref(), payload, trace_id)
                    .await
            }
            Kind::Aliases => Err(InvokeError::NotFound(name.to_string())),
        }
    }

    /// Stops every worker and waits (briefly) until the processes are reaped.
    pub async fn shutdown(&self) {
        let pools: Vec<Arc<Pool>> = {
            let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
            entries
                .drain()
                .filter_map(|(_, e)| match &e.kind {
                    Kind::Local(p) => Some(p.clone()),
                    _ => None,
                })
                .collect()
        };
        for pool in &pools {
            pool.shutdown();
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while pools.iter().any(|p| !p.workers().is_empty())
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl Drop for Functions {
    fn drop(&mut self) {
        let entries = self.entries.get_mut().unwrap_or_else(|p| p.into_inner());
        for e in entries.values() {
            if let Kind::Local(pool) = &e.kind {
                pool.shutdown();
            }
        }
    }
}

fn too_many_functions() -> String {
    format!("cannot register more than {MAX_FUNCTIONS} functions")
}

/// `(function name, qualifier)` from a Lambda integration or authorizer URI
/// (`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{functionArn}/invocations`,
/// functionArn `arn:aws:lambda:{region}:{acct}:function:{name}[:{qualifier}]`; model.md §5.1).
/// A bare function ARN, or `name[:qualifier]`, is accepted too.
pub fn parse_function_uri(uri: &str) -> Option<(String, Option<String>)> {
    let arn = match uri.split_once(":lambda:path/") {
        Some((_, path)) => {
            let rest = path.strip_prefix("2015-03-31/functions/")?;
            rest.strip_suffix("/invocations")?
        }
        None => uri,
    };
    let name_part = match arn.split_once(":function:") {
        Some((prefix, rest)) => {
            if !prefix.starts_with("arn:") {
                return None;
            }
            rest
        }
        None if !arn.contains('/') && !arn.starts_with("arn:") => arn,
        None => return None,
    };
    let (name, qualifier) = match name_part.split_once(':') {
        Some((n, q)) => (n, Some(q.to_string())),
        None => (name_part, None),
    };
    if name.is_empty() || qualifier.as_deref() == Some("") {
        return None;
    }
    Some((name.to_string(), qualifier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_integration_uris() {
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello:live/invocations";
        assert_eq!(
            parse_function_uri(uri),
            Some(("hello".into(), Some("live".into())))
        );
        let uri = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:hello/invocations";
        assert_eq!(parse_function_uri(uri), Some(("hello".into(), None)));
        assert_eq!(
            parse_function_uri("hello:3"),
            Some(("hello".into(), Some("3".into())))
        );
        assert_eq!(
            parse_function_uri(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:1:function:/invocations"
            ),
            None
        );
        assert_eq!(
            parse_function_uri("arn:aws:apigateway:us-east-1:s3:path/bucket/key"),
            None
        );
        assert_eq!(parse_function_uri("http://x/y"), None);
    }

    #[test]
    fn aliases_resolve_to_other_functions() {
        let (tx, _) = broadcast::channel(4);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let _ = rustls::crypto::ring::default_provider().install_default();
        let f = Functions::new(dir.path(), tx, reqwest::Client::new());
        let remote = |endpoint: &str| FunctionConfig {
            endpoint: Some(endpoint.into()),
            ..Default::default()
        };
        f.register("v1", remote("http://127.0.0.1:1"))
            .unwrap_or_else(|e| panic!("{e}"));
        f.register("v2", remote("http://127.0.0.1:2"))
            .unwrap_or_else(|e| panic!("{e}"));
        let mut hello = remote("http://127.0.0.1:3");
        hello.aliases.insert("live".into(), "v2".into());
        hello.aliases.insert("old".into(), "v1".into());
        f.register("hello", hello).unwrap_or_else(|e| panic!("{e}"));
        let endpoint = |n: &str, q: Option<&str>| match f.resolve(n, q) {
            Ok((e, q)) => (e.config.endpoint.clone().unwrap_or_default(), q),
            Err(e) => (e.to_string(), None),
        };
        assert_eq!(endpoint("hello", Some("live")).0, "http://127.0.0.1:2");
        assert_eq!(endpoint("hello", Some("old")).0, "http://127.0.0.1:1");
        assert_eq!(endpoint("hello", Some("$LATEST")).0, "http://127.0.0.1:3");
        // A remote function receives qualifiers it does not map itself.
        assert_eq!(
            endpoint("hello", Some("7")),
            ("http://127.0.0.1:3".into(), Some("7".into()))
        );
        assert_eq!(endpoint("nope", None).0, "Function not found: nope");
    }

    #[test]
    fn the_registry_is_bounded() {
        let (tx, _) = broadcast::channel(4);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let f = Functions::new(dir.path(), tx, reqwest::Client::new());
        let alias = || {
            let mut c = FunctionConfig::default();
            c.aliases.insert("live".into(), "target".into());
            c
        };
        for i in 0..MAX_FUNCTIONS {
            f.register(&format!("f{i}"), alias())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        assert_eq!(
            f.register("one-more", alias()),
            Err(format!(
                "cannot register more than {MAX_FUNCTIONS} functions"
            ))
        );
        assert!(!f.has_room_for("one-more"));
        // Replacing one is not growing the registry; removing one makes room.
        assert_eq!(f.register("f7", alias()), Ok(()));
        assert!(f.remove("f7"));
        assert_eq!(f.register("one-more", alias()), Ok(()));
    }
}
