//! AWS service integrations of HTTP APIs (`AWS_PROXY` with an `integrationSubtype`), per
//! AWS's "Integration subtype reference": each subtype names one action of one service and
//! the `requestParameters` it takes (required and optional, keyed by the action's parameter
//! name, valued by a mapping expression: `$request.body.x`, `$request.header.x`,
//! `$context.x`, `$stageVariables.x` or static text). `Region` picks the service's region.

use super::Integration;
use super::mapping::{self, Side};
use crate::model::AdminError;

/// One integration subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subtype {
    /// `SQS-SendMessage`.
    pub name: &'static str,
    /// The service as the integration machinery names it (`sqs`, `states`, `kinesis`, `events`).
    pub service: &'static str,
    /// The service action (`SendMessage`).
    pub action: &'static str,
    pub required: &'static [&'static str],
    pub optional: &'static [&'static str],
    /// Whether gwtui can call it (AppConfig's GetConfiguration is not served by the emulators
    /// gwtui targets, so it is refused rather than stored).
    pub supported: bool,
}

impl Subtype {
    pub fn accepts(&self, key: &str) -> bool {
        key == "Region" || self.required.contains(&key) || self.optional.contains(&key)
    }
}

const fn subtype(
    name: &'static str,
    service: &'static str,
    action: &'static str,
    required: &'static [&'static str],
    optional: &'static [&'static str],
) -> Subtype {
    Subtype {
        name,
        service,
        action,
        required,
        optional,
        supported: true,
    }
}

/// Every subtype AWS documents for HTTP APIs.
pub const SUBTYPES: &[Subtype] = &[
    subtype(
        "EventBridge-PutEvents",
        "events",
        "PutEvents",
        &["Detail", "DetailType", "Source"],
        &["Time", "EventBusName", "Resources", "TraceHeader"],
    ),
    subtype(
        "SQS-SendMessage",
        "sqs",
        "SendMessage",
        &["QueueUrl", "MessageBody"],
        &[
            "DelaySeconds",
            "MessageAttributes",
            "MessageDeduplicationId",
            "MessageGroupId",
            "MessageSystemAttributes",
        ],
    ),
    subtype(
        "SQS-ReceiveMessage",
        "sqs",
        "ReceiveMessage",
        &["QueueUrl"],
        &[
            "AttributeNames",
            "MaxNumberOfMessages",
            "MessageAttributeNames",
            "ReceiveRequestAttemptId",
            "VisibilityTimeout",
            "WaitTimeSeconds",
        ],
    ),
    subtype(
        "SQS-DeleteMessage",
        "sqs",
        "DeleteMessage",
        &["ReceiptHandle", "QueueUrl"],
        &[],
    ),
    subtype("SQS-PurgeQueue", "sqs", "PurgeQueue", &["QueueUrl"], &[]),
    Subtype {
        supported: false,
        ..subtype(
            "AppConfig-GetConfiguration",
            "appconfig",
            "GetConfiguration",
            &["Application", "Environment", "Configuration", "ClientId"],
            &["ClientConfigurationVersion"],
        )
    },
    subtype(
        "Kinesis-PutRecord",
        "kinesis",
        "PutRecord",
        &["StreamName", "Data", "PartitionKey"],
        &["SequenceNumberForOrdering", "ExplicitHashKey"],
    ),
    subtype(
        "StepFunctions-StartExecution",
        "states",
        "StartExecution",
        &["StateMachineArn"],
        &["Name", "Input"],
    ),
    subtype(
        "StepFunctions-StartSyncExecution",
        "states",
        "StartSyncExecution",
        &["StateMachineArn"],
        &["Name", "Input", "TraceHeader"],
    ),
    subtype(
        "StepFunctions-StopExecution",
        "states",
        "StopExecution",
        &["ExecutionArn"],
        &["Cause", "Error"],
    ),
];

/// The subtype named `name` (exact, as AWS spells it).
pub fn lookup(name: &str) -> Option<&'static Subtype> {
    SUBTYPES.iter().find(|s| s.name == name)
}

fn bad(m: impl Into<String>) -> AdminError {
    AdminError::bad_request(m)
}

/// Checks an `AWS_PROXY` integration with an `integrationSubtype` and fills AWS's defaults
/// (payload format 1.0). The caller checks the timeout and the response parameters.
pub fn validate(i: &mut Integration, name: &str) -> Result<(), AdminError> {
    let Some(subtype) = lookup(name) else {
        let valid: Vec<&str> = SUBTYPES.iter().map(|s| s.name).collect();
        return Err(bad(format!(
            "Invalid integration subtype specified: {name}. Valid values are {}",
            valid.join(", ")
        )));
    };
    if !subtype.supported {
        return Err(bad(format!(
            "Integration subtype {name} is not supported by gwtui: the AWS endpoints it targets have no {} {}",
            subtype.service, subtype.action
        )));
    }
    if i.integration_type != "AWS_PROXY" {
        return Err(bad(format!(
            "IntegrationSubtype is only supported for AWS_PROXY integrations, not {}",
            i.integration_type
        )));
    }
    if let Some(uri) = &i.integration_uri {
        return Err(bad(format!(
            "IntegrationUri {uri} is not supported for integrations with an IntegrationSubtype"
        )));
    }
    match i.payload_format_version.as_deref() {
        None | Some("1.0") => i.payload_format_version = Some("1.0".into()),
        Some(v) => {
            return Err(bad(format!(
                "Invalid PayloadFormatVersion: {v}. AWS service integrations support 1.0"
            )));
        }
    }
    if let Some(role) = &i.credentials_arn
        && !is_role_arn(role)
    {
        return Err(bad(format!(
            "Invalid credentials ARN specified: {role}. Expected an IAM role ARN, such as arn:aws:iam::123456789012:role/name"
        )));
    }
    for (key, value) in &i.request_parameters {
        if !subtype.accepts(key) {
            let mut valid: Vec<&str> = subtype
                .required
                .iter()
                .chain(subtype.optional)
                .copied()
                .collect();
            valid.push("Region");
            return Err(bad(format!(
                "Invalid request parameter key {key} for integration subtype {name}. Valid keys are {}",
                valid.join(", ")
            )));
        }
        if value.is_empty() {
            return Err(bad(format!(
                "Invalid mapping expression specified: the value of {key} is empty"
            )));
        }
        mapping::parse_value(value, Side::Request)?;
    }
    if let Some(missing) = subtype
        .required
        .iter()
        .find(|k| !i.request_parameters.contains_key(**k))
    {
        return Err(bad(format!(
            "Missing required request parameter {missing} for integration subtype {name}. Required: {}",
            subtype.required.join(", ")
        )));
    }
    Ok(())
}

fn is_role_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    matches!(
        (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ),
        (Some("arn"), Some(p), Some("iam"), Some(""), Some(account), Some(resource))
            if !p.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && resource.strip_prefix("role/").is_some_and(|r| !r.is_empty())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqs(params: &[(&str, &str)]) -> Integration {
        Integration {
            integration_type: "AWS_PROXY".into(),
            integration_subtype: Some("SQS-SendMessage".into()),
            credentials_arn: Some("arn:aws:iam::123456789012:role/apigw-sqs".into()),
            request_parameters: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Integration::default()
        }
    }

    #[test]
    fn required_parameters_are_checked_and_the_format_defaults_to_1_0() {
        let mut ok = sqs(&[
            ("QueueUrl", "$stageVariables.queue"),
            ("MessageBody", "$request.body.message"),
            ("Region", "us-east-1"),
        ]);
        validate(&mut ok, "SQS-SendMessage").expect("valid");
        assert_eq!(ok.payload_format_version.as_deref(), Some("1.0"));

        let err = validate(
            &mut sqs(&[("QueueUrl", "$request.header.q")]),
            "SQS-SendMessage",
        )
        .expect_err("missing MessageBody");
        assert!(err.message().contains("MessageBody"), "{err}");

        let err = validate(
            &mut sqs(&[("QueueUrl", "q"), ("MessageBody", "b"), ("Body", "x")]),
            "SQS-SendMessage",
        )
        .expect_err("unknown key");
        assert!(err.message().contains("Invalid request parameter key Body"));

        let mut v2 = sqs(&[("QueueUrl", "q"), ("MessageBody", "b")]);
        v2.payload_format_version = Some("2.0".into());
        assert!(validate(&mut v2, "SQS-SendMessage").is_err());

        let mut uri = sqs(&[("QueueUrl", "q"), ("MessageBody", "b")]);
        uri.integration_uri = Some("arn:aws:sqs:us-east-1:123456789012:q".into());
        assert!(validate(&mut uri, "SQS-SendMessage").is_err());

        let mut role = sqs(&[("QueueUrl", "q"), ("MessageBody", "b")]);
        role.credentials_arn = Some("apigw-sqs".into());
        assert!(validate(&mut role, "SQS-SendMessage").is_err());

        let mut http = sqs(&[("QueueUrl", "q"), ("MessageBody", "b")]);
        http.integration_type = "HTTP_PROXY".into();
        assert!(validate(&mut http, "SQS-SendMessage").is_err());
    }

    #[test]
    fn unknown_and_unsupported_subtypes_are_refused() {
        let err = validate(&mut sqs(&[]), "SQS-SendMessages").expect_err("no such subtype");
        assert!(
            err.message().contains("Invalid integration subtype"),
            "{err}"
        );
        let err = validate(&mut sqs(&[]), "AppConfig-GetConfiguration").expect_err("unsupported");
        assert!(err.message().contains("not supported by gwtui"), "{err}");
    }

    #[test]
    fn every_subtype_names_a_known_service() {
        for s in SUBTYPES.iter().filter(|s| s.supported) {
            assert!(
                crate::engine::integrations::aws::services::lookup(s.service).is_some(),
                "{}",
                s.name
            );
        }
    }
}
