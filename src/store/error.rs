//! The store's error type.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    /// Another process holds the data directory's lock.
    #[error(
        "data directory {} is in use by another gwtui process{}; stop it or use --data-dir",
        .path.display(),
        pid_suffix(*.pid)
    )]
    Locked { path: PathBuf, pid: Option<u32> },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored row (or the schema) can no longer be read by this build.
    #[error("stored {what} cannot be read: {reason}")]
    Corrupt { what: String, reason: String },
    /// The PostgreSQL store cannot be reached (cluster mode): nothing was written.
    #[error("The definitions store (PostgreSQL at {endpoint}) is unreachable: {reason}")]
    Unavailable { endpoint: String, reason: String },
    /// PostgreSQL refused a statement.
    #[error("PostgreSQL error: {0}")]
    Postgres(String),
    /// The store's configuration (its URL) is invalid.
    #[error("{0}")]
    Config(String),
    /// The change contradicts what is stored (duplicate deployment id, missing parent, ...).
    #[error("{0}")]
    Conflict(String),
}

fn pid_suffix(pid: Option<u32>) -> String {
    pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
}

impl StoreError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        StoreError::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>, reason: impl ToString) -> Self {
        StoreError::Corrupt {
            what: what.into(),
            reason: reason.to_string(),
        }
    }
}
