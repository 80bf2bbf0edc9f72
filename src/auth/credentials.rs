//! Credentials the server accepts: `ACCESS_KEY:SECRET[:SESSION_TOKEN]`. With a session token
//! (temporary credentials, as STS hands out), every signed request must carry it in
//! `X-Amz-Security-Token`; without one, a request carrying a token is refused.

use super::sigv4::KeyMaterial;

/// One access key with its secret and optional session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

/// Keeps secrets out of logs and panics.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("credentials must be \"ACCESS_KEY:SECRET\" or \"ACCESS_KEY:SECRET:SESSION_TOKEN\"")]
pub struct CredentialsFormatError;

impl Credentials {
    /// Parses `ACCESS_KEY:SECRET[:SESSION_TOKEN]` (AWS keys, secrets and tokens hold no `:`).
    pub fn parse(text: &str) -> Result<Credentials, CredentialsFormatError> {
        let mut parts = text.splitn(3, ':');
        let key = parts.next().unwrap_or_default();
        let secret = parts.next().unwrap_or_default();
        let token = parts.next();
        if key.is_empty() || secret.is_empty() || token.is_some_and(str::is_empty) {
            return Err(CredentialsFormatError);
        }
        Ok(Credentials {
            access_key_id: key.to_string(),
            secret_access_key: secret.to_string(),
            session_token: token.map(str::to_string),
        })
    }

    /// The secret and token of `access_key_id` when it is this key.
    pub fn key_for(&self, access_key_id: &str) -> Option<KeyMaterial<'_>> {
        (access_key_id == self.access_key_id).then(|| KeyMaterial {
            secret: &self.secret_access_key,
            session_token: self.session_token.as_deref(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_key_secret_and_optional_token() {
        let c = Credentials::parse("AKID:s3cret").unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.secret_access_key.as_str()),
            ("AKID", "s3cret")
        );
        assert_eq!(c.session_token, None);
        let c = Credentials::parse("ASIA:s3cret:tok/en+=").unwrap();
        assert_eq!(c.session_token.as_deref(), Some("tok/en+="));
        assert_eq!(
            c.key_for("ASIA"),
            Some(KeyMaterial {
                secret: "s3cret",
                session_token: Some("tok/en+=")
            })
        );
        assert_eq!(c.key_for("OTHER"), None);
        for bad in ["", "AKID", "AKID:", ":s3cret", "AKID:s3cret:"] {
            assert_eq!(
                Credentials::parse(bad),
                Err(CredentialsFormatError),
                "{bad}"
            );
        }
        assert!(!format!("{c:?}").contains("s3cret"), "secrets are redacted");
    }
}
