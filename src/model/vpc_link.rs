//! VpcLink (CreateVpcLink, GetVpcLink(s), UpdateVpcLink, DeleteVpcLink). On AWS a link reaches
//! network load balancers inside a VPC; here it is reached through the local target the
//! config file gives it (`[vpc_links.ID] target = "127.0.0.1:8080"`), so a link is ready
//! (`AVAILABLE`) as soon as it exists. Shapes and messages from AWS's recordings
//! (localstack `test_apigateway_api.snapshot.json`, `TestApiGatewayVpcLink`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::AdminError;

/// What GetVpcLink says of a ready link (AWS-recorded).
pub const AVAILABLE_MESSAGE: &str = "Your vpc link is ready for use";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct VpcLink {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub target_arns: Vec<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// CreateVpcLink's input.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateVpcLink {
    pub name: Option<String>,
    pub description: Option<String>,
    pub target_arns: Option<Vec<String>>,
    pub tags: BTreeMap<String, String>,
}

impl CreateVpcLink {
    /// Checks the input as AWS does: a name, and well-formed target ARNs (the recorded
    /// messages).
    pub fn validate(&self) -> Result<(), AdminError> {
        if self.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(AdminError::bad_request("Name cannot be empty"));
        }
        let targets = self.target_arns.as_deref().unwrap_or_default();
        if targets.is_empty() {
            return Err(AdminError::bad_request("TargetArns cannot be empty"));
        }
        for arn in targets {
            if !well_formed_arn(arn) {
                return Err(AdminError::bad_request(format!(
                    "Invalid ARN. ARN is not well formed {arn}"
                )));
            }
        }
        Ok(())
    }
}

/// `arn:partition:service:region:account:resource` with non-empty partition, service and
/// resource.
fn well_formed_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && !parts[1].is_empty()
        && !parts[2].is_empty()
        && !parts[5].is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_input_is_checked_with_aws_messages() {
        let input = |name: Option<&str>, arns: &[&str]| CreateVpcLink {
            name: name.map(str::to_string),
            target_arns: Some(arns.iter().map(|s| s.to_string()).collect()),
            ..CreateVpcLink::default()
        };
        let nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/lb/50dc6c495c0c9188";
        assert!(input(Some("link"), &[nlb]).validate().is_ok());
        let msg = |i: CreateVpcLink| i.validate().err().map(|e| e.message().to_string());
        assert_eq!(
            msg(input(Some(""), &[nlb])).as_deref(),
            Some("Name cannot be empty")
        );
        assert_eq!(
            msg(input(Some("x"), &["invalid-arn"])).as_deref(),
            Some("Invalid ARN. ARN is not well formed invalid-arn")
        );
    }
}
