//! The `[aws]` settings as a console shows them: without the secret, so that they can be
//! sent to a console attached over the management API (`GET /gwtui/aws`), and one AWS
//! integration's destination described in words.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::settings::{AwsSettings, Endpoint};
use super::{Kind, is_lambda, parse_uri};
use crate::auth::sign::Credentials;

/// [`AwsSettings`] without secrets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AwsPublicSettings {
    pub endpoint_url: Option<String>,
    pub endpoints: BTreeMap<String, String>,
    pub real: bool,
    pub access_key_id: Option<String>,
    pub credentials_source: String,
}

/// What a console shows for one AWS service integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsDestination {
    /// `sqs in eu-west-1 · action SendMessage`, or why the URI is not an AWS service ARN.
    pub service: Result<String, String>,
    /// Where the call goes (`http://127.0.0.1:5000 ([aws] endpoint_url)`), when parsed.
    pub sends_to: Option<String>,
    /// The access key id it is signed with and where it came from, or what to configure.
    pub credentials: String,
}

fn url_of(e: &Endpoint) -> String {
    format!("{}{}", e.origin, e.base_path)
}

impl AwsSettings {
    pub fn public_view(&self) -> AwsPublicSettings {
        AwsPublicSettings {
            endpoint_url: self.endpoint.as_ref().map(url_of),
            endpoints: self
                .endpoints
                .iter()
                .map(|(k, v)| (k.clone(), url_of(v)))
                .collect(),
            real: self.real,
            access_key_id: self.credentials.as_ref().map(|c| c.access_key_id.clone()),
            credentials_source: self.credentials_source.clone(),
        }
    }

    /// Settings that describe what `view` describes (the secret is not known: these are for
    /// showing, not for signing). Endpoints that do not parse are left out.
    pub fn from_public_view(view: &AwsPublicSettings) -> AwsSettings {
        AwsSettings {
            endpoint: view
                .endpoint_url
                .as_deref()
                .and_then(|u| Endpoint::parse(u).ok()),
            endpoints: view
                .endpoints
                .iter()
                .filter_map(|(k, v)| Some((k.clone(), Endpoint::parse(v).ok()?)))
                .collect(),
            real: view.real,
            credentials: view.access_key_id.as_ref().map(|id| Credentials {
                access_key_id: id.clone(),
                secret_access_key: String::new(),
                session_token: None,
            }),
            credentials_source: view.credentials_source.clone(),
        }
    }

    /// The destination of an integration `uri`: `None` for a Lambda function (not an AWS
    /// service integration).
    pub fn describe_integration(&self, uri: &str) -> Option<AwsDestination> {
        if is_lambda(uri) {
            return None;
        }
        let (service, sends_to) = match parse_uri(uri) {
            Ok(target) => {
                let call = match target.kind {
                    Kind::Action { action, .. } => format!("action {action}"),
                    Kind::Path(p) => format!("path /{p}"),
                };
                (
                    Ok(format!("{} in {} · {call}", target.service, target.region)),
                    Some(self.describe(target.service, target.region)),
                )
            }
            Err(e) => (Err(e), None),
        };
        let credentials = match &self.credentials {
            Some(c) => format!(
                "signed with {} ({})",
                c.access_key_id, self.credentials_source
            ),
            None => "none: set [aws] credentials or AWS_ACCESS_KEY_ID".to_string(),
        };
        Some(AwsDestination {
            service,
            sends_to,
            credentials,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::integrations::aws::AwsConfig;

    #[test]
    fn the_public_view_keeps_everything_but_the_secret() {
        let config = AwsConfig {
            endpoint_url: Some("http://127.0.0.1:5000/base".into()),
            endpoints: [("sqs".to_string(), "http://127.0.0.1:9324".to_string())].into(),
            access_key_id: Some("AKID".into()),
            secret_access_key: Some("SECRET".into()),
            ..AwsConfig::default()
        };
        let settings = AwsSettings::resolve(&config, |_| None, None).expect("settings");
        let view = settings.public_view();
        let text = serde_json::to_string(&view).expect("json");
        assert!(!text.contains("SECRET"), "{text}");
        let back = AwsSettings::from_public_view(&view);
        let uri = "arn:aws:apigateway:eu-west-1:sqs:path/123456789012/orders";
        assert_eq!(
            back.describe_integration(uri),
            settings.describe_integration(uri)
        );
        let d = back.describe_integration(uri).expect("aws");
        assert_eq!(
            d.sends_to.as_deref(),
            Some("http://127.0.0.1:9324 ([aws.endpoints] sqs)")
        );
        assert!(
            back.describe_integration(
                "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations"
            )
            .is_none()
        );
    }
}
