//! Small types several engine modules share, kept at the bottom of the engine's module graph
//! so that no service has to import the pipeline or the live state to name them.

use serde::{Deserialize, Serialize};

/// Which deployment served a request (`base` or `canary` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    Base,
    Canary,
}

impl Variant {
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Base => "base",
            Variant::Canary => "canary",
        }
    }
}

/// One IAM credential the data plane accepts for AWS_IAM methods (`[iam] credentials`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamCredential {
    pub access_key_id: String,
    pub secret_access_key: String,
    /// IAM user name for `$context.identity.userArn` (default: the access key id).
    #[serde(default)]
    pub user: Option<String>,
    /// The session token of temporary credentials: requests must then carry it in
    /// `X-Amz-Security-Token` (and, without one, must carry none).
    #[serde(default)]
    pub session_token: Option<String>,
}

/// Where a user pool's (or any issuer's) signing keys come from (`[jwks."providerARN"]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwksSource {
    /// A JWKS JSON file.
    pub file: Option<std::path::PathBuf>,
    /// A JWKS URL (fetched, cached for 10 minutes, refetched for an unknown `kid`).
    pub url: Option<String>,
    /// The expected `iss` (default for a Cognito pool ARN:
    /// `https://cognito-idp.{region}.amazonaws.com/{poolId}`).
    pub issuer: Option<String>,
    /// Accepted `aud` (ID tokens) / `client_id` (access tokens); empty accepts any.
    pub audience: Vec<String>,
}
