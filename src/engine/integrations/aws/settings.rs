//! Where AWS service integrations send their calls and with which credentials: the config
//! file's `[aws]` section, resolved once when it is installed (`Gateway::set_aws_settings`),
//! never per request.
//!
//! ```toml
//! [aws]
//! endpoint_url = "http://127.0.0.1:5000"   # one AWS-compatible endpoint (moto, LocalStack)
//! real = false                             # true: HTTPS to the regional AWS endpoints
//! access_key_id = "..."                    # else AWS_ACCESS_KEY_ID..., else the shared
//! secret_access_key = "..."                #   credentials file (AWS_PROFILE or `profile`)
//! [aws.endpoints]
//! sqs = "http://127.0.0.1:9324"            # per-service overrides
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::services;
use crate::auth::sign::Credentials;

/// The `[aws]` section as written.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AwsConfig {
    /// One AWS-compatible endpoint for every service.
    pub endpoint_url: Option<String>,
    /// Per-service endpoints, by the service name of the integration ARN.
    pub endpoints: BTreeMap<String, String>,
    /// Send calls to the real regional AWS endpoints (HTTPS) when no endpoint is configured.
    pub real: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// The shared credentials file's profile (default: `AWS_PROFILE`, else `default`).
    pub profile: Option<String>,
}

/// A configured endpoint, parsed once: scheme + authority, and a base path (no trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `http://127.0.0.1:5000`
    pub origin: String,
    /// `127.0.0.1:5000` (what `Host` carries and SigV4 signs).
    pub authority: String,
    /// A path prefix the endpoint URL carried (`""` for none).
    pub base_path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?}: {e}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!("{url:?}: the scheme must be http or https"));
        }
        let host = parsed
            .host_str()
            .ok_or_else(|| format!("{url:?}: no host"))?;
        let authority = match parsed.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        };
        Ok(Endpoint {
            origin: format!("{}://{authority}", parsed.scheme()),
            authority,
            base_path: parsed.path().trim_end_matches('/').to_string(),
        })
    }
}

/// Where one service's calls go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'s> {
    /// A configured endpoint; `per_service` when `[aws.endpoints]` named the service.
    Endpoint {
        endpoint: &'s Endpoint,
        per_service: bool,
    },
    /// The real regional endpoint (`[aws] real = true`).
    Real,
}

/// The resolved settings the data plane reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AwsSettings {
    pub endpoint: Option<Endpoint>,
    pub endpoints: BTreeMap<String, Endpoint>,
    pub real: bool,
    pub credentials: Option<Credentials>,
    /// Where the credentials came from (`config file`, `environment`, `~/.aws/credentials
    /// [default]`), for logs and `gwtui info`.
    pub credentials_source: String,
}

/// Why the settings cannot be installed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsSettingsError {
    #[error("[aws] endpoint_url {0}")]
    EndpointUrl(String),
    #[error("[aws.endpoints] {0}: {1}")]
    ServiceEndpoint(String, String),
    #[error("[aws] access_key_id and secret_access_key must be given together")]
    HalfCredentials,
    #[error("cannot read the shared credentials file {}: {reason}", path.display())]
    CredentialsFile { path: PathBuf, reason: String },
}

impl AwsSettings {
    /// Resolves `config`: endpoints parsed; credentials from the config, else `env`
    /// (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), else the shared
    /// credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `{home}/.aws/credentials`) with
    /// `profile` / `AWS_PROFILE` / `default`.
    pub fn resolve(
        config: &AwsConfig,
        env: impl Fn(&str) -> Option<String>,
        home: Option<&Path>,
    ) -> Result<AwsSettings, AwsSettingsError> {
        let endpoint = config
            .endpoint_url
            .as_deref()
            .map(Endpoint::parse)
            .transpose()
            .map_err(AwsSettingsError::EndpointUrl)?;
        let mut endpoints = BTreeMap::new();
        for (service, url) in &config.endpoints {
            let parsed = Endpoint::parse(url)
                .map_err(|e| AwsSettingsError::ServiceEndpoint(service.clone(), e))?;
            endpoints.insert(service.to_ascii_lowercase(), parsed);
        }
        let env = |k: &str| env(k).filter(|v| !v.is_empty());
        let (credentials, credentials_source) =
            match (&config.access_key_id, &config.secret_access_key) {
                (Some(id), Some(secret)) => (
                    Some(Credentials {
                        access_key_id: id.clone(),
                        secret_access_key: secret.clone(),
                        session_token: config.session_token.clone(),
                    }),
                    "config file [aws]".to_string(),
                ),
                (Some(_), None) | (None, Some(_)) => return Err(AwsSettingsError::HalfCredentials),
                (None, None) => match (env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY")) {
                    (Some(id), Some(secret)) => (
                        Some(Credentials {
                            access_key_id: id,
                            secret_access_key: secret,
                            session_token: env("AWS_SESSION_TOKEN"),
                        }),
                        "environment (AWS_ACCESS_KEY_ID)".to_string(),
                    ),
                    _ => {
                        let profile = config
                            .profile
                            .clone()
                            .or_else(|| env("AWS_PROFILE"))
                            .unwrap_or_else(|| "default".to_string());
                        let file = env("AWS_SHARED_CREDENTIALS_FILE")
                            .map(PathBuf::from)
                            .or_else(|| home.map(|h| h.join(".aws").join("credentials")));
                        match file {
                            Some(file) => match shared_credentials(&file, &profile)? {
                                Some(c) => (Some(c), format!("{} [{profile}]", file.display())),
                                None => (None, String::new()),
                            },
                            None => (None, String::new()),
                        }
                    }
                },
            };
        Ok(AwsSettings {
            endpoint,
            endpoints,
            real: config.real,
            credentials,
            credentials_source,
        })
    }

    /// Where calls to `service` go, or the reason none is configured (the execution-log line
    /// names the settings).
    pub fn route(&self, service: &str) -> Result<Route<'_>, String> {
        if let Some(endpoint) = self.endpoints.get(service) {
            return Ok(Route::Endpoint {
                endpoint,
                per_service: true,
            });
        }
        if let Some(endpoint) = &self.endpoint {
            return Ok(Route::Endpoint {
                endpoint,
                per_service: false,
            });
        }
        if self.real {
            return Ok(Route::Real);
        }
        Err(format!(
            "No endpoint configured for AWS service {service}: set [aws] endpoint_url, [aws.endpoints] {service}, or [aws] real = true in the config file"
        ))
    }

    /// One line describing where `service` calls go (console, `gwtui info`).
    pub fn describe(&self, service: &str, region: &str) -> String {
        match self.route(service) {
            Ok(Route::Endpoint {
                endpoint,
                per_service: true,
            }) => format!(
                "{}{} ([aws.endpoints] {service})",
                endpoint.origin, endpoint.base_path
            ),
            Ok(Route::Endpoint { endpoint, .. }) => {
                format!(
                    "{}{} ([aws] endpoint_url)",
                    endpoint.origin, endpoint.base_path
                )
            }
            Ok(Route::Real) => format!("https://{} (real AWS)", real_host(service, region)),
            Err(_) => "not configured: set [aws] endpoint_url".to_string(),
        }
    }
}

/// The regional endpoint host of a service on real AWS.
pub fn real_host(service: &str, region: &str) -> String {
    let prefix = services::lookup(service).map_or(service, |s| s.endpoint_prefix);
    format!("{prefix}.{region}.amazonaws.com")
}

/// Reads `profile` from an INI-style shared credentials file. A missing file is `None`.
fn shared_credentials(file: &Path, profile: &str) -> Result<Option<Credentials>, AwsSettingsError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(AwsSettingsError::CredentialsFile {
                path: file.to_path_buf(),
                reason: e.to_string(),
            });
        }
    };
    Ok(parse_shared_credentials(&text, profile))
}

fn parse_shared_credentials(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_profile = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            in_profile = name.trim() == profile;
            continue;
        }
        if !in_profile {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().to_string();
        match k.trim() {
            "aws_access_key_id" => id = Some(v),
            "aws_secret_access_key" => secret = Some(v),
            "aws_session_token" => token = Some(v),
            _ => {}
        }
    }
    Some(Credentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn endpoints_per_service_win_then_the_common_one_then_real_aws() {
        let mut config = AwsConfig {
            endpoint_url: Some("http://127.0.0.1:5000/".into()),
            ..Default::default()
        };
        config
            .endpoints
            .insert("SQS".into(), "http://localhost:9324/base".into());
        let s = AwsSettings::resolve(&config, no_env, None).unwrap();
        assert_eq!(
            s.describe("sqs", "us-east-1"),
            "http://localhost:9324/base ([aws.endpoints] sqs)"
        );
        assert_eq!(
            s.describe("states", "us-east-1"),
            "http://127.0.0.1:5000 ([aws] endpoint_url)"
        );
        let real = AwsSettings::resolve(
            &AwsConfig {
                real: true,
                ..Default::default()
            },
            no_env,
            None,
        )
        .unwrap();
        assert_eq!(
            real.describe("states", "eu-west-1"),
            "https://states.eu-west-1.amazonaws.com (real AWS)"
        );
        let none = AwsSettings::default();
        let reason = none.route("sqs").unwrap_err();
        assert!(reason.contains("[aws] endpoint_url"), "{reason}");
        assert!(reason.contains("[aws.endpoints] sqs"), "{reason}");
        assert!(
            AwsSettings::resolve(
                &AwsConfig {
                    endpoint_url: Some("ftp://x".into()),
                    ..Default::default()
                },
                no_env,
                None
            )
            .is_err()
        );
    }

    #[test]
    fn credentials_come_from_config_then_environment_then_the_shared_file() {
        let config = AwsConfig {
            access_key_id: Some("CFG".into()),
            secret_access_key: Some("S".into()),
            ..Default::default()
        };
        let env = |k: &str| match k {
            "AWS_ACCESS_KEY_ID" => Some("ENV".to_string()),
            "AWS_SECRET_ACCESS_KEY" => Some("ES".to_string()),
            "AWS_SESSION_TOKEN" => Some("T".to_string()),
            _ => None,
        };
        let s = AwsSettings::resolve(&config, env, None).unwrap();
        assert_eq!(s.credentials.unwrap().access_key_id, "CFG");
        let s = AwsSettings::resolve(&AwsConfig::default(), env, None).unwrap();
        let c = s.credentials.unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("ENV", Some("T"))
        );

        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join(".aws")).unwrap();
        std::fs::write(
            home.path().join(".aws/credentials"),
            "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n\n[ci]\n# c\naws_access_key_id=CI\naws_secret_access_key=CIS\naws_session_token = TOK\n",
        )
        .unwrap();
        let s = AwsSettings::resolve(&AwsConfig::default(), no_env, Some(home.path())).unwrap();
        assert_eq!(s.credentials.unwrap().access_key_id, "D");
        let profile = |k: &str| (k == "AWS_PROFILE").then(|| "ci".to_string());
        let s = AwsSettings::resolve(&AwsConfig::default(), profile, Some(home.path())).unwrap();
        let c = s.credentials.unwrap();
        assert_eq!(
            (c.access_key_id.as_str(), c.session_token.as_deref()),
            ("CI", Some("TOK"))
        );
        assert!(s.credentials_source.ends_with("credentials [ci]"));
        let missing = AwsSettings::resolve(&AwsConfig::default(), no_env, None).unwrap();
        assert!(missing.credentials.is_none());
        let half = AwsConfig {
            access_key_id: Some("X".into()),
            ..Default::default()
        };
        assert_eq!(
            AwsSettings::resolve(&half, no_env, None).unwrap_err(),
            AwsSettingsError::HalfCredentials
        );
    }
}
