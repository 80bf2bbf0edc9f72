//! TestInvokeMethod's request and response shapes (botocore `TestInvokeMethodRequest` /
//! `TestInvokeMethodResponse`); the engine runs it in `engine/admin/test_invoke.rs`.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

/// TestInvokeMethodRequest's body.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TestInvokeMethod {
    /// The path after the stage with its query string (`/pets/7?type=dog`); the resource's
    /// path when absent.
    pub path_with_query_string: Option<String>,
    pub body: Option<String>,
    pub headers: BTreeMap<String, String>,
    /// Extra values per header (sent after the single `headers` value, as separate values).
    pub multi_value_headers: BTreeMap<String, Vec<String>>,
    /// Accepted and ignored: gwtui calls backends without client certificates.
    pub client_certificate_id: Option<String>,
    pub stage_variables: IndexMap<String, String>,
}

/// TestInvokeMethodResponse.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct TestInvokeResult {
    pub status: u16,
    pub body: String,
    /// One value per header (the last one when the response repeats a header).
    pub headers: BTreeMap<String, String>,
    pub multi_value_headers: BTreeMap<String, Vec<String>>,
    /// `Execution log for request {id}` and then every execution-log line of the request.
    pub log: String,
    /// Milliseconds.
    pub latency: i64,
}
