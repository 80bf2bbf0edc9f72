//! Client certificates (GenerateClientCertificate): a key pair gwtui generates and keeps, whose
//! certificate (PEM) backends trust; a stage's `clientCertificateId` makes its HTTP and
//! HTTP_PROXY integrations present it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A client certificate as the management API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ClientCertificate {
    pub client_certificate_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub pem_encoded_certificate: String,
    /// Epoch seconds.
    pub created_date: i64,
    pub expiration_date: i64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A client certificate with its private key (PKCS#8 PEM), as the store keeps it. The key is
/// never returned by the management API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct StoredClientCertificate {
    pub certificate: ClientCertificate,
    pub private_key: String,
}
