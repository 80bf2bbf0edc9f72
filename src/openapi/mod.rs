//! Import and export of OpenAPI 3.0 and Swagger 2.0 documents (JSON or YAML) with the
//! `x-amazon-apigateway-*` extensions (spec/apigw/openapi.md).
//!
//! The OpenAPI model is hand-rolled over `serde_json::Value`: `document` parses and detects
//! the dialect, `import` walks paths and operations into an [`ApiDefinition`], `extensions`
//! reads and writes the API Gateway extensions, `security` maps security schemes to
//! authorizers, `schema` turns JSON Schemas into Models, `export` writes a document back and
//! `compare` decides whether two definitions describe the same API (ignoring generated ids).
//!
//! Import is a pure function: it returns a new definition and never changes the one it was
//! given, so a caller swaps the result in only on success.

pub mod compare;
mod document;
mod export;
mod extensions;
pub mod http_api;
mod import;
mod pointer;
mod schema;
mod security;

use thiserror::Error;

use crate::model::ApiDefinition;

/// How a document is applied to an existing API (PutRestApi's `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImportMode {
    /// Document methods replace the same path + verb; everything else is kept.
    #[default]
    Merge,
    /// The API becomes exactly the document (id, root resource id and creation date kept).
    Overwrite,
}

/// The `basepath` import option (openapi.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasePathMode {
    /// The base path is not part of the resource tree.
    #[default]
    Ignore,
    /// Every path is prefixed with the whole base path.
    Prepend,
    /// The first base-path segment is dropped (it is treated like a stage), the rest prepended.
    Split,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportOptions {
    pub mode: ImportMode,
    /// Any warning fails the import (the warnings are in the error message).
    pub fail_on_warnings: bool,
    pub basepath: BasePathMode,
}

/// A successful import: the new definition and the warnings (also in `RestApi.warnings`).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    pub definition: ApiDefinition,
    pub warnings: Vec<String>,
}

/// Why a document was rejected. `pointer` is a JSON pointer into the document (empty for the
/// document as a whole), e.g. `/paths/~1pets/get/x-amazon-apigateway-integration/type`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("Invalid OpenAPI input at {}: {message}", if pointer.is_empty() { "document root" } else { pointer.as_str() })]
pub struct ImportError {
    pub pointer: String,
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        ImportError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }

    /// The body is neither JSON nor YAML (not a document at all).
    pub fn is_unreadable(&self) -> bool {
        self.pointer.is_empty() && self.message.starts_with("not valid JSON")
    }

    /// What the management API answers: AWS's `Invalid OpenAPI input.` for a body that is not
    /// JSON or YAML (AWS-recorded, localstack `test_import_api_bad_file`, ImportRestApi and
    /// PutRestApi), gwtui's located message otherwise.
    pub fn client_message(&self) -> String {
        if self.is_unreadable() {
            UNREADABLE_OPENAPI.to_string()
        } else {
            self.to_string()
        }
    }
}

/// ImportRestApi's and PutRestApi's answer to a body that is neither JSON nor YAML.
pub const UNREADABLE_OPENAPI: &str = "Invalid OpenAPI input.";

/// Whether `source` parses as a document at all (PutRestApi checks this before it looks the
/// API up, as AWS does: AWS-recorded, localstack `test_import_api_bad_file`).
pub fn check_readable(source: &str) -> Result<(), ImportError> {
    match document::Document::parse(source) {
        Err(e) if e.is_unreadable() => Err(e),
        _ => Ok(()),
    }
}

/// Largest document import accepts (model.md §16).
pub const MAX_DOCUMENT_BYTES: usize = 6 * 1024 * 1024;

/// The account, region and partition `${AWS::...}` variables resolve to.
pub const AWS_REGION: &str = "us-east-1";
pub const AWS_ACCOUNT_ID: &str = "123456789012";
pub const AWS_PARTITION: &str = "aws";

/// Parses an OpenAPI 3.0.x or Swagger 2.0 document (JSON or YAML) into a REST API definition.
///
/// With `existing == None` a new API is created; otherwise the document is merged into (or
/// overwrites) a copy of `existing`. Stages are never touched.
pub fn import(
    source: &str,
    opts: &ImportOptions,
    existing: Option<&ApiDefinition>,
) -> Result<ImportOutcome, ImportError> {
    let doc = document::Document::parse(source)?;
    import::run(&doc, opts, existing)
}

/// ImportDocumentationParts' answer to a body that is neither JSON nor YAML, in AWS's words
/// (AWS-recorded, localstack `test_import_documentation_parts_bad_file`).
pub const UNREADABLE_DOCUMENTATION: &str = "Unable to build importer with provided input.";

/// ImportDocumentationParts: the `x-amazon-apigateway-documentation` parts of an OpenAPI or
/// Swagger document, merged into `existing` (`overwrite`: replacing it). Returns the ids of
/// the imported parts and the warnings (a document without the extension imports nothing).
pub fn import_documentation_parts(
    source: &str,
    existing: &mut Vec<crate::model::DocumentationPart>,
    overwrite: bool,
) -> Result<(Vec<String>, Vec<String>), ImportError> {
    let doc = document::Document::parse(source).map_err(|e| {
        if e.is_unreadable() {
            ImportError::new("", UNREADABLE_DOCUMENTATION)
        } else {
            e
        }
    })?;
    let Some(node) = doc.node().get(extensions::DOCUMENTATION) else {
        return Ok((
            Vec::new(),
            vec![format!(
                "the document has no {}; nothing imported",
                extensions::DOCUMENTATION
            )],
        ));
    };
    let (parts, _version) = extensions::read_documentation(node, existing)?;
    if overwrite {
        let ids = parts.iter().map(|p| p.id.clone()).collect();
        *existing = parts;
        Ok((ids, Vec::new()))
    } else {
        Ok((extensions::merge_documentation(existing, parts), Vec::new()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// OpenAPI 3.0.1 (`exports/oas30`).
    #[default]
    Oas30,
    /// Swagger 2.0 (`exports/swagger`).
    Swagger2,
}

/// The `extensions` export parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extensions {
    /// Plain OpenAPI.
    #[default]
    None,
    /// `x-amazon-apigateway-integration` on every operation.
    Integrations,
    /// Every API Gateway extension: integrations, validators, gateway responses, API key
    /// source, binary media types, compression, policy, endpoint configuration, authorizers.
    Apigateway,
    /// Authorizer security schemes (`x-amazon-apigateway-authorizer` / `-authtype`).
    Authorizers,
}

impl Extensions {
    pub(crate) fn integrations(self) -> bool {
        matches!(self, Extensions::Integrations | Extensions::Apigateway)
    }

    pub(crate) fn apigateway(self) -> bool {
        matches!(self, Extensions::Apigateway)
    }

    pub(crate) fn authorizers(self) -> bool {
        matches!(self, Extensions::Authorizers | Extensions::Apigateway)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportOptions {
    pub format: ExportFormat,
    pub extensions: Extensions,
    /// YAML instead of JSON.
    pub yaml: bool,
    /// The stage whose deployment is exported (the base path of the server URL).
    pub stage_name: String,
    /// The invoke host, e.g. `abc123.execute-api.localhost:4567`.
    pub host: String,
    /// The documentation the stage publishes (its `documentationVersion` and the parts that
    /// version froze), exported as `x-amazon-apigateway-documentation` with the API Gateway
    /// extensions. `None`, for a stage without a documentation version, exports none
    /// (AWS-recorded, localstack `test_export_swagger_openapi[TEST_IMPORT_PETSTORE_SWAGGER]`: an
    /// imported API's parts are not in its export).
    pub documentation: Option<ExportedDocumentation>,
}

/// A documentation version and its parts, as an export publishes them (`version` is `None` for
/// the console's export of the working parts).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportedDocumentation {
    pub version: Option<String>,
    pub parts: Vec<crate::model::DocumentationPart>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExportError {
    /// AWS: models must be `application/json` to be exported.
    #[error("Only found non-JSON body models for {0}")]
    NonJsonModel(String),
    /// A model's stored schema is not valid JSON.
    #[error("Model '{model}' has an invalid schema: {message}")]
    InvalidModelSchema { model: String, message: String },
    /// A stored policy is not valid JSON.
    #[error("The API's policy is not valid JSON: {0}")]
    InvalidPolicy(String),
    #[error("Could not serialise the document: {0}")]
    Serialize(String),
}

/// Writes `def` as an OpenAPI 3.0.1 or Swagger 2.0 document, JSON or YAML.
pub fn export(def: &ApiDefinition, opts: &ExportOptions) -> Result<String, ExportError> {
    export::run(def, opts)
}

/// The `info.version` an export of `api` carries (GetExport names its file after it).
pub fn export_version(api: &crate::model::RestApi) -> String {
    export::info_version(api)
}
