//! Shared helpers for the Lambda tests: fixture code directories, local function
//! configurations, integration URIs, and the interpreter check.
#![allow(dead_code)]

use std::path::PathBuf;

use gwtui::engine::{FunctionConfig, Runtime};

pub fn fixture(dir: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/functions")
        .join(dir)
}

/// A local function on a fixture directory (timeout 10 s).
pub fn local(runtime: Runtime, dir: &str, handler: &str) -> FunctionConfig {
    FunctionConfig {
        runtime: Some(runtime),
        handler: Some(handler.into()),
        code: Some(fixture(dir)),
        timeout: Some(10),
        ..Default::default()
    }
}

/// A custom-runtime function running `command` (in the python fixture directory).
pub fn custom(command: &[&str], timeout: u64) -> FunctionConfig {
    FunctionConfig {
        runtime: Some(Runtime::Custom),
        command: Some(command.iter().map(|s| s.to_string()).collect()),
        code: Some(fixture("python")),
        timeout: Some(timeout),
        ..Default::default()
    }
}

pub fn lambda_uri(function: &str) -> String {
    format!(
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:{function}/invocations"
    )
}
