//! The gateway's function and security operations: registering local or remote functions (the
//! management API's `POST /gwtui/functions`, the config file's `[functions.NAME]`), invoking
//! them, and installing the IAM credentials and JWKS sources the security layer checks against.

use bytes::Bytes;

use super::{FunctionConfig, Invocation, InvokeError, PoolStats};
use crate::engine::types::{IamCredential, JwksSource};
use crate::engine::{Actor, Gateway};
use crate::model::AdminError;
use crate::store::Change;

impl Gateway {
    /// Registers (or replaces) a function: validated, audited, then live. Local functions start
    /// their workers on first use.
    pub async fn register_function(
        &self,
        actor: &Actor,
        name: &str,
        config: FunctionConfig,
    ) -> Result<(), AdminError> {
        config.validate(name).map_err(AdminError::bad_request)?;
        if !self.inner.functions.has_room_for(name) {
            return Err(AdminError::LimitExceeded(format!(
                "cannot register more than {} functions",
                super::MAX_FUNCTIONS
            )));
        }
        let doc = serde_json::to_string(&config)
            .map_err(|e| AdminError::Internal(format!("function {name}: {e}")))?;
        let detail = serde_json::json!({ "name": name, "function": config });
        let change = Change::PutFunction {
            name: name.to_string(),
            doc,
        };
        self.admin_op(
            actor,
            "RegisterFunction",
            format!("functions/{name}"),
            None,
            move |txn| {
                txn.detail = detail;
                txn.changes.push(change);
                Ok(())
            },
        )
        .await?;
        // Registering a local function canonicalises its code path and may write the runtime
        // bootstraps: file I/O, so not on a runtime worker.
        let gw = self.clone();
        let name = name.to_string();
        tokio::task::spawn_blocking(move || gw.inner.functions.register(&name, config))
            .await
            .map_err(|e| AdminError::Internal(format!("function registration failed: {e}")))?
            .map_err(AdminError::bad_request)
    }

    /// Installs a function from the config file (not a control-plane change, so not audited).
    pub fn install_function(&self, name: &str, config: FunctionConfig) -> Result<(), String> {
        self.inner.functions.register(name, config)
    }

    /// Removes a function and stops its workers.
    pub async fn delete_function(&self, actor: &Actor, name: &str) -> Result<(), AdminError> {
        if !self.inner.functions.list().iter().any(|(n, _)| n == name) {
            return Err(AdminError::not_found(format!("Function not found: {name}")));
        }
        let detail = serde_json::json!({ "name": name });
        // A function from the config file has no row (it comes back from the file): deleting
        // its row deletes nothing.
        let change = Change::DeleteFunction(name.to_string());
        self.admin_op(
            actor,
            "DeleteFunction",
            format!("functions/{name}"),
            None,
            move |txn| {
                txn.detail = detail;
                txn.changes.push(change);
                Ok(())
            },
        )
        .await?;
        self.inner.functions.remove(name);
        Ok(())
    }

    /// The registered functions, by name.
    pub fn list_functions(&self) -> Vec<(String, FunctionConfig)> {
        self.inner.functions.list()
    }

    /// Worker counters of a local function (workers, cold starts, timeouts, crashes, pids).
    pub fn function_stats(&self, name: &str) -> Option<PoolStats> {
        self.inner.functions.stats(name)
    }

    /// Invokes a function directly (`name` may carry `:qualifier`), as the Invoke API would.
    pub async fn invoke_function(
        &self,
        name: &str,
        payload: Bytes,
    ) -> Result<Invocation, InvokeError> {
        let (n, q) = match name.split_once(':') {
            Some((n, q)) => (n, Some(q)),
            None => (name, None),
        };
        self.inner.functions.invoke(n, q, payload, None).await
    }

    /// Stops every function worker and waits until the processes are reaped.
    pub async fn shutdown_functions(&self) {
        self.inner.functions.shutdown().await;
    }

    /// The credentials AWS_IAM methods accept.
    pub fn set_iam_credentials(&self, credentials: Vec<IamCredential>) {
        self.inner.security.set_iam_credentials(credentials);
    }

    /// JWKS sources by provider ARN (or user-pool id) for COGNITO_USER_POOLS authorizers.
    pub fn set_jwks_sources(&self, sources: Vec<(String, JwksSource)>) {
        self.inner.security.jwks.set(sources);
    }
}
