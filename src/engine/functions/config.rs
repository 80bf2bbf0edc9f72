//! A function's configuration, as the config file (`[functions.NAME]`) and the management
//! operation (`POST /gwtui/functions`) carry it: a local function (a runtime, a handler and a
//! code directory, run as warm worker processes) or a remote endpoint speaking the Lambda Invoke
//! API.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Default function timeout (Lambda's default, seconds).
pub const DEFAULT_TIMEOUT_SECONDS: u64 = 3;
/// Lambda's maximum timeout (seconds).
pub const MAX_TIMEOUT_SECONDS: u64 = 900;
/// Default memory size (MB), reported to the function.
pub const DEFAULT_MEMORY_MB: u32 = 128;
/// Default number of concurrent workers per function.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Default queue bound, as a multiple of `concurrency`.
pub const DEFAULT_QUEUE_PER_WORKER: usize = 4;
/// Most invocations a function may queue (`queue`).
pub const MAX_QUEUE: usize = 10_000;
/// Lambda's limit on a function's environment variables: 4 KB, names and values together.
pub const MAX_ENVIRONMENT_BYTES: usize = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Runtime {
    /// Python 3 through the shipped bootstrap (`assets/runtimes/python3`).
    Python3,
    /// Node.js through the shipped bootstrap (`assets/runtimes/node`).
    Node,
    /// Any executable speaking the Runtime API (`command`, default `{code}/bootstrap`).
    Custom,
}

impl Runtime {
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Python3 => "python3",
            Runtime::Node => "node",
            Runtime::Custom => "custom",
        }
    }
}

/// SigV4 credentials for a remote Invoke endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignConfig {
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub session_token: Option<String>,
    /// Region of the credential scope (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FunctionConfig {
    // --- local ---
    pub runtime: Option<Runtime>,
    /// `module.function` (Python, Node); passed as `_HANDLER` to custom runtimes.
    pub handler: Option<String>,
    /// The code directory (`LAMBDA_TASK_ROOT`).
    pub code: Option<PathBuf>,
    /// Custom runtime: the executable and its arguments (default `{code}/bootstrap`).
    pub command: Option<Vec<String>>,
    pub environment: BTreeMap<String, String>,
    /// Seconds (1..=900, default 3).
    pub timeout: Option<u64>,
    /// MB (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, default 128).
    pub memory: Option<u32>,
    /// Most workers running at once (default 4); further requests queue.
    pub concurrency: Option<usize>,
    /// Most invocations waiting for a worker (0..=10000, default 4 × `concurrency`). Past it an
    /// invocation is throttled at once, as Lambda throttles past a function's concurrency
    /// (`TooManyRequestsException`, "Rate Exceeded."); `0` is Lambda's own behaviour.
    pub queue: Option<usize>,
    // --- remote ---
    /// Base URL of a Lambda Invoke API (`{endpoint}/2015-03-31/functions/{name}/invocations`).
    pub endpoint: Option<String>,
    /// The function name at the remote endpoint (default: this function's name).
    pub function_name: Option<String>,
    /// Sign remote calls with SigV4 (service `lambda`).
    pub sign: Option<SignConfig>,
    // --- both ---
    /// Alias or version → the registered function that serves it (`hello:live` → `hello-v2`).
    pub aliases: BTreeMap<String, String>,
}

impl FunctionConfig {
    pub fn is_remote(&self) -> bool {
        self.endpoint.is_some()
    }

    pub fn timeout_seconds(&self) -> u64 {
        self.timeout.unwrap_or(DEFAULT_TIMEOUT_SECONDS)
    }

    pub fn memory_mb(&self) -> u32 {
        self.memory.unwrap_or(DEFAULT_MEMORY_MB)
    }

    pub fn concurrency_limit(&self) -> usize {
        self.concurrency.unwrap_or(DEFAULT_CONCURRENCY)
    }

    /// Invocations that may wait for a worker beyond those running.
    pub fn queue_limit(&self) -> usize {
        self.queue.unwrap_or_else(|| {
            self.concurrency_limit()
                .saturating_mul(DEFAULT_QUEUE_PER_WORKER)
        })
    }

    /// Checks the combination of fields; the message names the offending field.
    pub fn validate(&self, name: &str) -> Result<(), String> {
        if name.is_empty()
            || name.len() > 140
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.' | '$'))
        {
            return Err(format!(
                "function name {name:?} must be 1-140 characters of letters, digits, '-', '_', ':'"
            ));
        }
        if let Some(t) = self.timeout
            && !(1..=MAX_TIMEOUT_SECONDS).contains(&t)
        {
            return Err(format!(
                "function {name}: timeout must be 1..={MAX_TIMEOUT_SECONDS} seconds"
            ));
        }
        if let Some(m) = self.memory
            && !(128..=10_240).contains(&m)
        {
            return Err(format!("function {name}: memory must be 128..=10240 MB"));
        }
        if self.concurrency == Some(0) || self.concurrency.is_some_and(|c| c > 1000) {
            return Err(format!("function {name}: concurrency must be 1..=1000"));
        }
        if self.queue.is_some_and(|q| q > MAX_QUEUE) {
            return Err(format!("function {name}: queue must be 0..={MAX_QUEUE}"));
        }
        let env_bytes: usize = self
            .environment
            .iter()
            .map(|(k, v)| k.len() + v.len())
            .sum();
        if env_bytes > MAX_ENVIRONMENT_BYTES {
            return Err(format!(
                "function {name}: environment variables take {env_bytes} bytes; Lambda's limit is 4 KB"
            ));
        }
        if self.is_remote() {
            if self.runtime.is_some() || self.code.is_some() || self.command.is_some() {
                return Err(format!(
                    "function {name}: a remote function (endpoint) takes no runtime, code or command"
                ));
            }
            let endpoint = self.endpoint.as_deref().unwrap_or_default();
            let ok = reqwest::Url::parse(endpoint)
                .map(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
                .unwrap_or(false);
            if !ok {
                return Err(format!(
                    "function {name}: endpoint {endpoint:?} is not an http(s) URL"
                ));
            }
            return Ok(());
        }
        let Some(runtime) = self.runtime else {
            if !self.aliases.is_empty() {
                // An alias table alone: the function only routes to others.
                return Ok(());
            }
            return Err(format!(
                "function {name}: set runtime (python3, node or custom) and code, or endpoint"
            ));
        };
        let code = self
            .code
            .as_ref()
            .ok_or_else(|| format!("function {name}: code (the code directory) is required"))?;
        if !code.is_dir() {
            return Err(format!(
                "function {name}: code directory {} does not exist",
                code.display()
            ));
        }
        match runtime {
            Runtime::Python3 | Runtime::Node => {
                let handler = self.handler.as_deref().unwrap_or_default();
                if !handler.contains('.') || handler.starts_with('.') || handler.ends_with('.') {
                    return Err(format!(
                        "function {name}: handler must look like module.function (got {handler:?})"
                    ));
                }
            }
            Runtime::Custom => {
                if self.command.as_ref().is_some_and(|c| c.is_empty()) {
                    return Err(format!("function {name}: command must name an executable"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom() -> FunctionConfig {
        FunctionConfig {
            runtime: Some(Runtime::Custom),
            code: Some(std::env::temp_dir()),
            ..Default::default()
        }
    }

    #[test]
    fn the_queue_defaults_to_four_per_worker_and_is_bounded() {
        let mut c = custom();
        assert_eq!(c.queue_limit(), 4 * DEFAULT_CONCURRENCY);
        c.concurrency = Some(3);
        assert_eq!(c.queue_limit(), 12);
        c.queue = Some(0);
        assert_eq!(c.queue_limit(), 0);
        assert_eq!(c.validate("f"), Ok(()));
        c.queue = Some(MAX_QUEUE + 1);
        assert_eq!(
            c.validate("f"),
            Err("function f: queue must be 0..=10000".into())
        );
    }

    #[test]
    fn environment_variables_are_bounded_like_lambdas() {
        let mut c = custom();
        c.environment.insert("K".into(), "v".repeat(4095));
        assert_eq!(c.validate("f"), Ok(()));
        c.environment.insert("K2".into(), String::new());
        assert!(
            c.validate("f")
                .is_err_and(|e| e.contains("4098 bytes; Lambda's limit is 4 KB"))
        );
    }
}
