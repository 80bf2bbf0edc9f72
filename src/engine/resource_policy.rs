//! IAM policy documents as API Gateway evaluates them: resource policies (model.md §15) and the
//! policies Lambda authorizers return (execution.md §4.4). Statements with `Effect`,
//! `Principal`, `Action`/`NotAction`, `Resource`/`NotResource` (`*` and `?` wildcards) and
//! `Condition` (`IpAddress`/`NotIpAddress` on `aws:SourceIp`, string operators on the few keys a
//! local gateway knows). An explicit Deny wins over any Allow.

use std::net::IpAddr;
use std::sync::Arc;

use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// A matching statement with `Effect: Deny`.
    Deny,
    /// No statement applies (implicit deny unless something else allows).
    Silent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Principal {
    /// No `Principal` element (identity policies, such as an authorizer's).
    Any,
    /// Patterns: `*`, account ids, ARNs.
    Listed(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    IpAddress {
        negate: bool,
        cidrs: Vec<Cidr>,
    },
    String {
        op: StringOp,
        negate: bool,
        key: String,
        values: Vec<String>,
    },
    /// An operator this evaluator does not know: never satisfied for Allow, always for Deny
    /// (fails closed).
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StringOp {
    Equals,
    EqualsIgnoreCase,
    Like,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Statement {
    effect: Effect,
    principal: Principal,
    actions: Vec<String>,
    not_actions: bool,
    resources: Vec<String>,
    not_resources: bool,
    conditions: Vec<Condition>,
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// What a statement is matched against.
#[derive(Debug, Clone, Copy)]
pub struct PolicyRequest<'a> {
    pub method_arn: &'a str,
    pub source_ip: Option<IpAddr>,
    /// The caller's ARN (IAM), or `None` for anonymous callers.
    pub principal_arn: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a = s.trim().parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            _ => ip,
        };
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(self.prefix))
                };
                (u32::from(net) & mask) == (u32::from(ip) & mask)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - u32::from(self.prefix))
                };
                (u128::from(net) & mask) == (u128::from(ip) & mask)
            }
            _ => false,
        }
    }
}

/// `*` (any run, including `/` and `:`) and `?` (one character) wildcards, IAM style.
pub fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: &[u8] = pattern.as_bytes();
    let t: &[u8] = text.as_bytes();
    let (mut pi, mut ti) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Expands `execute-api:/stage/VERB/path` (and `execute-api:/*`) to the API's full ARN form.
fn expand_resource(resource: &str, api_id: Option<&str>) -> String {
    match (resource.strip_prefix("execute-api:"), api_id) {
        (Some(rest), Some(api)) if rest.starts_with('/') => format!(
            "arn:aws:execute-api:{}:{}:{api}{rest}",
            crate::engine::REGION,
            crate::engine::ACCOUNT_ID
        ),
        _ => resource.to_string(),
    }
}

impl Policy {
    /// An API's stored resource policy text, parsed for a deployment: `None` when there is
    /// none (or it is blank); a policy that does not parse denies everything.
    pub fn parse_resource_policy(text: Option<&str>, api_id: &str) -> Option<Arc<Policy>> {
        let text = text.filter(|p| !p.trim().is_empty())?;
        let policy = serde_json::from_str::<Value>(text)
            .map_err(|e| e.to_string())
            .and_then(|d| Policy::parse(&d, Some(api_id)))
            .unwrap_or_else(|_| Policy::deny_all());
        Some(Arc::new(policy))
    }

    /// Parses a policy document (a JSON string or value). `api_id` expands the
    /// `execute-api:/...` resource shorthand of resource policies.
    pub fn parse(doc: &Value, api_id: Option<&str>) -> Result<Policy, String> {
        let statement = doc
            .get("Statement")
            .ok_or_else(|| "the policy document has no Statement".to_string())?;
        let list: Vec<&Value> = match statement {
            Value::Array(items) => items.iter().collect(),
            Value::Object(_) => vec![statement],
            _ => return Err("Statement must be an object or a list".into()),
        };
        let mut statements = Vec::with_capacity(list.len());
        for s in list {
            let effect = match s.get("Effect").and_then(Value::as_str) {
                Some(e) if e.eq_ignore_ascii_case("allow") => Effect::Allow,
                Some(e) if e.eq_ignore_ascii_case("deny") => Effect::Deny,
                _ => return Err("every statement needs Effect Allow or Deny".into()),
            };
            let principal = match s.get("Principal") {
                None => Principal::Any,
                Some(Value::String(p)) => Principal::Listed(vec![p.clone()]),
                Some(Value::Object(map)) => {
                    Principal::Listed(map.values().flat_map(|v| strings(Some(v))).collect())
                }
                Some(_) => return Err("Principal must be \"*\" or an object".into()),
            };
            let (actions, not_actions) = match (s.get("Action"), s.get("NotAction")) {
                (Some(a), _) => (strings(Some(a)), false),
                (None, Some(a)) => (strings(Some(a)), true),
                (None, None) => return Err("every statement needs Action or NotAction".into()),
            };
            let (resources, not_resources) = match (s.get("Resource"), s.get("NotResource")) {
                (Some(r), _) => (strings(Some(r)), false),
                (None, Some(r)) => (strings(Some(r)), true),
                (None, None) => return Err("every statement needs Resource or NotResource".into()),
            };
            let resources = resources
                .iter()
                .map(|r| expand_resource(r, api_id))
                .collect();
            let mut conditions = Vec::new();
            if let Some(Value::Object(ops)) = s.get("Condition") {
                for (op, body) in ops {
                    let Value::Object(keys) = body else { continue };
                    for (key, values) in keys {
                        conditions.push(parse_condition(op, key, strings(Some(values))));
                    }
                }
            }
            statements.push(Statement {
                effect,
                principal,
                actions,
                not_actions,
                resources,
                not_resources,
                conditions,
            });
        }
        Ok(Policy { statements })
    }

    /// A policy that denies everything (a stored policy that cannot be parsed fails closed).
    pub fn deny_all() -> Policy {
        Policy {
            statements: vec![Statement {
                effect: Effect::Deny,
                principal: Principal::Any,
                actions: vec!["*".into()],
                not_actions: false,
                resources: vec!["*".into()],
                not_resources: false,
                conditions: Vec::new(),
            }],
        }
    }

    pub fn evaluate(&self, req: &PolicyRequest<'_>) -> Decision {
        let mut allowed = false;
        for s in &self.statements {
            if !s.applies(req) {
                continue;
            }
            match s.effect {
                Effect::Deny => return Decision::Deny,
                Effect::Allow => allowed = true,
            }
        }
        if allowed {
            Decision::Allow
        } else {
            Decision::Silent
        }
    }
}

fn parse_condition(op: &str, key: &str, values: Vec<String>) -> Condition {
    if op == "IpAddress" || op == "NotIpAddress" {
        let cidrs = values.iter().filter_map(|v| Cidr::parse(v)).collect();
        return Condition::IpAddress {
            negate: op == "NotIpAddress",
            cidrs,
        };
    }
    let string_op = match op {
        "StringEquals" | "StringNotEquals" => StringOp::Equals,
        "StringEqualsIgnoreCase" | "StringNotEqualsIgnoreCase" => StringOp::EqualsIgnoreCase,
        "StringLike" | "StringNotLike" => StringOp::Like,
        _ => return Condition::Unknown,
    };
    Condition::String {
        op: string_op,
        negate: op.contains("Not"),
        key: key.to_ascii_lowercase(),
        values,
    }
}

impl Statement {
    fn applies(&self, req: &PolicyRequest<'_>) -> bool {
        let principal_ok = match &self.principal {
            Principal::Any => true,
            Principal::Listed(list) => list.iter().any(|p| {
                p == "*"
                    || req.principal_arn.is_some_and(|arn| {
                        wildcard_match(p, arn)
                            || p == crate::engine::ACCOUNT_ID
                            || *p == format!("arn:aws:iam::{}:root", crate::engine::ACCOUNT_ID)
                    })
            }),
        };
        if !principal_ok {
            return false;
        }
        let action_match = self
            .actions
            .iter()
            .any(|a| wildcard_match(&a.to_ascii_lowercase(), "execute-api:invoke"));
        if action_match == self.not_actions {
            return false;
        }
        let resource_match = self
            .resources
            .iter()
            .any(|r| wildcard_match(r, req.method_arn));
        if resource_match == self.not_resources {
            return false;
        }
        self.conditions.iter().all(|c| c.holds(req, self.effect))
    }
}

impl Condition {
    fn holds(&self, req: &PolicyRequest<'_>, effect: Effect) -> bool {
        match self {
            Condition::IpAddress { negate, cidrs } => match req.source_ip {
                Some(ip) => cidrs.iter().any(|c| c.contains(ip)) != *negate,
                None => *negate,
            },
            Condition::String {
                op,
                negate,
                key,
                values,
            } => {
                let actual: Option<String> = match key.as_str() {
                    "aws:sourceip" => req.source_ip.map(|ip| ip.to_string()),
                    "aws:userid" | "aws:principalarn" => req.principal_arn.map(str::to_string),
                    "aws:principalaccount" => req
                        .principal_arn
                        .map(|_| crate::engine::ACCOUNT_ID.to_string()),
                    _ => None,
                };
                match actual {
                    // A missing key satisfies only the negated operators (IAM semantics).
                    None => *negate,
                    Some(actual) => {
                        let any = values.iter().any(|v| match op {
                            StringOp::Equals => *v == actual,
                            StringOp::EqualsIgnoreCase => v.eq_ignore_ascii_case(&actual),
                            StringOp::Like => wildcard_match(v, &actual),
                        });
                        any != *negate
                    }
                }
            }
            Condition::Unknown => effect == Effect::Deny,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/5";

    fn req(ip: &str) -> PolicyRequest<'static> {
        PolicyRequest {
            method_arn: ARN,
            source_ip: ip.parse().ok(),
            principal_arn: None,
        }
    }

    #[test]
    fn a_resource_policy_is_parsed_for_a_deployment_and_a_broken_one_denies_everything() {
        assert!(Policy::parse_resource_policy(None, "abc123").is_none());
        assert!(Policy::parse_resource_policy(Some("  "), "abc123").is_none());
        let allow = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}"#;
        let policy = Policy::parse_resource_policy(Some(allow), "abc123");
        assert_eq!(
            policy.map(|p| p.evaluate(&req("10.0.0.1"))),
            Some(Decision::Allow)
        );
        let broken = Policy::parse_resource_policy(Some("{not json"), "abc123");
        assert_eq!(
            broken.map(|p| p.evaluate(&req("10.0.0.1"))),
            Some(Decision::Deny)
        );
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match(
            "arn:aws:execute-api:*:*:abc123/prod/*/*",
            ARN
        ));
        assert!(wildcard_match("*", ARN));
        assert!(wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/?",
            ARN
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/*",
            ARN
        ));
        assert!(!wildcard_match(
            "arn:aws:execute-api:us-east-1:123456789012:abc123/dev/*",
            ARN
        ));
    }

    #[test]
    fn resource_policy_with_source_ip_and_explicit_deny() {
        let doc = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"},
                {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                 "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.1"]}}}
            ]
        });
        let p = Policy::parse(&doc, Some("abc123")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.evaluate(&req("127.0.0.1")), Decision::Allow);
        assert_eq!(p.evaluate(&req("10.1.2.3")), Decision::Deny);
        assert_eq!(p.evaluate(&req("192.0.2.1")), Decision::Deny);
        assert_eq!(p.evaluate(&req("::ffff:10.0.0.1")), Decision::Deny);
        let allow_only = serde_json::json!({"Statement": {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke",
            "Resource": "execute-api:/prod/POST/*", "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}});
        let p = Policy::parse(&allow_only, Some("abc123")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.evaluate(&req("127.0.0.1")), Decision::Silent);
        let unknown = serde_json::json!({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}}}]});
        let p = Policy::parse(&unknown, Some("abc123")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.evaluate(&req("127.0.0.1")), Decision::Deny);
    }

    #[test]
    fn authorizer_policy_without_principal() {
        let doc = serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": ["arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets/*"]}]});
        let p = Policy::parse(&doc, None).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.evaluate(&req("127.0.0.1")), Decision::Allow);
        let other = PolicyRequest {
            method_arn: "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/DELETE/pets/5",
            ..req("127.0.0.1")
        };
        assert_eq!(p.evaluate(&other), Decision::Silent);
    }
}
