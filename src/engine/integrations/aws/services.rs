//! What the gateway knows about each AWS service it calls: the signing name, the wire
//! protocol (where an `action/{Action}` goes and which `Content-Type` the service expects),
//! and the regional endpoint host on real AWS.

/// How a service takes an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// AWS query protocol: `Action={Action}&Version={version}` in the query string, the body
    /// as `application/x-www-form-urlencoded` (SQS, SNS, STS...).
    Query { version: &'static str },
    /// AWS JSON protocol: `X-Amz-Target: {prefix}.{Action}`, `application/x-amz-json-1.0|1.1`
    /// (DynamoDB, Step Functions, Kinesis, EventBridge...).
    Json {
        target_prefix: &'static str,
        version: &'static str,
    },
    /// REST protocols (S3, Lambda...): only the `path/` form has meaning; the body and the
    /// client's `Content-Type` pass as they are.
    Rest,
}

/// One AWS service, by the name used in `arn:aws:apigateway:{region}:{service}:...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name in the integration ARN.
    pub name: &'static str,
    /// The SigV4 signing name.
    pub signing_name: &'static str,
    /// The first label of the regional endpoint host (`{endpoint_prefix}.{region}.amazonaws.com`).
    pub endpoint_prefix: &'static str,
    pub protocol: Protocol,
}

impl Service {
    /// The `Content-Type` the service expects, when it is not the client's.
    pub fn content_type(&self) -> Option<&'static str> {
        match self.protocol {
            Protocol::Query { .. } => Some("application/x-www-form-urlencoded; charset=utf-8"),
            Protocol::Json { version: "1.0", .. } => Some("application/x-amz-json-1.0"),
            Protocol::Json { .. } => Some("application/x-amz-json-1.1"),
            Protocol::Rest => None,
        }
    }
}

const fn query(name: &'static str, version: &'static str) -> Service {
    Service {
        name,
        signing_name: name,
        endpoint_prefix: name,
        protocol: Protocol::Query { version },
    }
}

const fn json(
    name: &'static str,
    signing_name: &'static str,
    target_prefix: &'static str,
    version: &'static str,
) -> Service {
    Service {
        name,
        signing_name,
        endpoint_prefix: name,
        protocol: Protocol::Json {
            target_prefix,
            version,
        },
    }
}

const fn rest(name: &'static str) -> Service {
    Service {
        name,
        signing_name: name,
        endpoint_prefix: name,
        protocol: Protocol::Rest,
    }
}

/// The services whose protocol is known. Any other name is signed with its own name and
/// takes actions through the query protocol (`Action=` in the query string).
pub const SERVICES: &[Service] = &[
    query("sqs", "2012-11-05"),
    query("sns", "2010-03-31"),
    query("sts", "2011-06-15"),
    query("ses", "2010-12-01"),
    json("dynamodb", "dynamodb", "DynamoDB_20120810", "1.0"),
    json("states", "states", "AWSStepFunctions", "1.0"),
    json("kinesis", "kinesis", "Kinesis_20131202", "1.1"),
    json("events", "events", "AWSEvents", "1.1"),
    json("firehose", "firehose", "Firehose_20150804", "1.1"),
    json("logs", "logs", "Logs_20140328", "1.1"),
    json("ssm", "ssm", "AmazonSSM", "1.1"),
    json("secretsmanager", "secretsmanager", "secretsmanager", "1.1"),
    rest("s3"),
    rest("lambda"),
    rest("execute-api"),
    Service {
        name: "apigateway",
        signing_name: "apigateway",
        endpoint_prefix: "apigateway",
        protocol: Protocol::Rest,
    },
];

/// The service named `name` (lower-case), if its protocol is known.
pub fn lookup(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_service_has_its_protocol_and_content_type() {
        assert_eq!(
            lookup("sqs").unwrap().content_type(),
            Some("application/x-www-form-urlencoded; charset=utf-8")
        );
        assert_eq!(
            lookup("dynamodb").unwrap().content_type(),
            Some("application/x-amz-json-1.0")
        );
        assert_eq!(
            lookup("states").unwrap().content_type(),
            Some("application/x-amz-json-1.0")
        );
        assert_eq!(
            lookup("kinesis").unwrap().content_type(),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(
            lookup("events").unwrap().content_type(),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(lookup("s3").unwrap().content_type(), None);
        assert_eq!(lookup("s3").unwrap().signing_name, "s3");
        assert!(lookup("nosuch").is_none());
    }
}
