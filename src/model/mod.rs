//! AWS-shaped definitions: pure data plus validation, no I/O. serde names are AWS's own
//! camelCase, so the same types serve the management API, persistence and OpenAPI extensions.

pub mod api;
pub mod api_key_import;
pub mod auth;
pub mod client_certificate;
pub mod definition;
pub mod documentation;
pub mod domain;
pub mod error;
pub mod ids;
pub mod invoke;
pub mod patch;
pub mod plan;
pub mod stage;
pub mod v2;
pub mod validate;
pub mod vpc_link;

pub use api::*;
pub use auth::*;
pub use client_certificate::{ClientCertificate, StoredClientCertificate};
pub use definition::ApiDefinition;
pub use documentation::{
    DocumentationPart, DocumentationPartLocation, DocumentationVersion, StoredDocumentationVersion,
};
pub use domain::{
    BasePathMapping, DomainName, DomainTls, MutualTlsAuthentication, StoredDomain,
    UploadedCertificate,
};
pub use error::AdminError;
pub use invoke::{TestInvokeMethod, TestInvokeResult};
pub use patch::{PatchOp, PatchOperation};
pub use plan::*;
pub use stage::*;
pub use vpc_link::VpcLink;

/// Seconds since the epoch, the control plane's timestamp form.
pub fn now_epoch_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
