//! Custom domain names and their base path mappings (execution.md §1): a request whose `Host`
//! is a custom domain is routed by the longest base path that prefixes its path to the
//! mapping's (API, stage).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::patch::{PatchOp, PatchOperation};
use super::{AdminError, EndpointConfiguration};

/// How AWS writes the empty base path.
pub const NO_BASE_PATH: &str = "(none)";

/// A custom domain name. Its certificate is served by SNI on the HTTPS listener: the uploaded
/// one (`certificateBody`…, kept in [`StoredDomain::certificate`], never returned), else one the
/// local development CA issues for the name (`certificateArn` names it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainName {
    pub domain_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_certificate_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_certificate_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regional_domain_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distribution_domain_name: Option<String>,
    /// When `certificateBody` was uploaded (epoch seconds, as AWS's JSON protocol sends it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_upload_date: Option<i64>,
    pub endpoint_configuration: EndpointConfiguration,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain_name_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutual_tls_authentication: Option<MutualTlsAuthentication>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A domain's mutual TLS settings: clients must present a certificate that chains to the
/// truststore (a PEM bundle; `truststoreUri` names a local file, `file:///…` or a path).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MutualTlsAuthentication {
    pub truststore_uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore_version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub truststore_warnings: Vec<String>,
}

/// A base path mapping of a domain: `(domain, basePath)` → `(restApiId, stage)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct BasePathMapping {
    /// `(none)` for the empty base path; otherwise without leading or trailing `/`.
    pub base_path: String,
    pub rest_api_id: String,
    /// Absent: callers name the stage in the first path segment after the base path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<String>,
}

/// A domain with its mappings, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct StoredDomain {
    pub domain: DomainName,
    pub mappings: Vec<BasePathMapping>,
    /// An uploaded certificate (CreateDomainName's `certificateBody`, `certificatePrivateKey`,
    /// `certificateChain`), checked when it was uploaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<UploadedCertificate>,
    /// The truststore's PEM as read when `mutualTlsAuthentication` was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub truststore: Option<String>,
}

/// What the HTTPS listener needs to know about a custom domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainTls {
    /// As stored (wildcards as `*.example.com`).
    pub domain_name: String,
    pub certificate: Option<UploadedCertificate>,
    pub security_policy: String,
    /// PEM bundle client certificates must chain to (mutual TLS).
    pub truststore: Option<String>,
}

/// A certificate and key uploaded with a domain name, PEM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct UploadedCertificate {
    pub certificate_body: String,
    pub certificate_private_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_chain: Option<String>,
}

impl UploadedCertificate {
    /// The leaf followed by its chain, as one PEM text.
    pub fn full_chain(&self) -> String {
        match &self.certificate_chain {
            Some(chain) => format!("{}\n{chain}", self.certificate_body.trim_end()),
            None => self.certificate_body.clone(),
        }
    }
}

/// Checks a domain name the way a DNS name must look: labels of letters, digits and `-`
/// (not at either end), 1–63 characters each, 253 in all, at least two labels. A leading
/// `*.` (wildcard) is allowed.
pub fn validate_domain_name(name: &str) -> Result<(), AdminError> {
    let bad =
        || AdminError::bad_request(format!("Invalid domain name identifier specified: {name}"));
    let body = name.strip_prefix("*.").unwrap_or(name);
    if name.len() > 253 || body.split('.').count() < 2 {
        return Err(bad());
    }
    for label in body.split('.') {
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

/// Normalises a base path as given to CreateBasePathMapping: absent, empty, `/` and `(none)`
/// are the empty base path (`(none)`); otherwise leading and trailing `/` are dropped, and
/// each segment must be non-empty and made of `a-zA-Z0-9._-`.
pub fn normalise_base_path(given: Option<&str>) -> Result<String, AdminError> {
    let raw = given.unwrap_or("").trim_matches('/');
    if raw.is_empty() || raw == NO_BASE_PATH {
        return Ok(NO_BASE_PATH.to_string());
    }
    let ok = raw.split('/').all(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    if ok {
        Ok(raw.to_string())
    } else {
        Err(AdminError::bad_request(format!(
            "Invalid base path specified: {raw}. Base path segments may contain only a-z, A-Z, 0-9, '.', '_' and '-'"
        )))
    }
}

/// A base path of a v1 (REST API) base path mapping: one segment. AWS refuses a multi-level
/// path here and takes it only as an apigatewayv2 API mapping key; its message is quoted from
/// real AWS answers in terraform-provider-aws#21986, aws/chalice#1897 and
/// serverless-domain-manager#425 (400 `BadRequestException`).
pub fn normalise_v1_base_path(given: Option<&str>) -> Result<String, AdminError> {
    let path = normalise_base_path(given)?;
    if path.contains('/') {
        return Err(AdminError::bad_request(
            "API Gateway V1 doesn't support the slash character (/) in base path mappings. To create a multi-level base path mapping, use API Gateway V2.",
        ));
    }
    Ok(path)
}

/// Applies UpdateBasePathMapping patch operations (`replace` of `/basePath`, `/restapiId`,
/// `/stage`); the whole batch or nothing. Whether the API and stage exist is the caller's
/// check.
pub fn apply_base_path_mapping_patch(
    mapping: &mut BasePathMapping,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    const PATHS: &str = "[/basePath, /restapiId, /stage]";
    let mut next = mapping.clone();
    for op in ops {
        if op.op != PatchOp::Replace {
            return Err(AdminError::bad_request(format!(
                "Invalid patch operation specified. Must be 'replace' when modifying {}",
                op.path
            )));
        }
        let value = op.value.as_deref().unwrap_or("");
        match op.path.as_str() {
            "/basePath" => next.base_path = normalise_v1_base_path(Some(value))?,
            "/restapiId" | "/restApiId" => {
                if value.is_empty() {
                    return Err(AdminError::bad_request("restApiId must not be empty"));
                }
                next.rest_api_id = value.to_string();
            }
            "/stage" => {
                next.stage = (!value.is_empty() && value != NO_BASE_PATH).then(|| value.to_string())
            }
            other => {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path '{other}' specified for op 'replace'. Must be one of: {PATHS}"
                )));
            }
        }
    }
    *mapping = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_dns_names() {
        for ok in ["api.example.com", "a.b", "*.example.com", "x-1.example.org"] {
            assert!(validate_domain_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "localhost",
            "-a.example.com",
            "a-.example.com",
            "a..example.com",
            "a b.example.com",
            "api.example.com:443",
        ] {
            assert!(validate_domain_name(bad).is_err(), "{bad}");
        }
        assert!(validate_domain_name(&format!("{}.com", "a".repeat(64))).is_err());
    }

    #[test]
    fn base_paths_are_normalised_and_checked() {
        assert_eq!(normalise_base_path(None).unwrap(), NO_BASE_PATH);
        assert_eq!(normalise_base_path(Some("/")).unwrap(), NO_BASE_PATH);
        assert_eq!(normalise_base_path(Some("(none)")).unwrap(), NO_BASE_PATH);
        assert_eq!(
            normalise_base_path(Some("/v1/orders/")).unwrap(),
            "v1/orders"
        );
        for bad in ["v1//x", "v 1", "v1?x", "ü"] {
            assert!(normalise_base_path(Some(bad)).is_err(), "{bad}");
        }
        // v1 mappings take one segment only; the slashes around it are trimmed.
        assert_eq!(normalise_v1_base_path(Some("/v1/")).unwrap(), "v1");
        let multi = normalise_v1_base_path(Some("v1/orders")).unwrap_err();
        assert_eq!(
            (multi.status(), multi.message()),
            (
                400,
                "API Gateway V1 doesn't support the slash character (/) in base path mappings. To create a multi-level base path mapping, use API Gateway V2."
            )
        );
        let mut m = BasePathMapping::default();
        assert!(
            apply_base_path_mapping_patch(&mut m, &[PatchOperation::replace("/basePath", "a/b")])
                .is_err()
        );
    }

    #[test]
    fn mapping_patches_replace_whole_batches_only() {
        let mut m = BasePathMapping {
            base_path: "v1".into(),
            rest_api_id: "a".into(),
            stage: Some("prod".into()),
        };
        apply_base_path_mapping_patch(
            &mut m,
            &[
                PatchOperation::replace("/basePath", "v2"),
                PatchOperation::replace("/stage", ""),
            ],
        )
        .unwrap();
        assert_eq!((m.base_path.as_str(), m.stage.as_deref()), ("v2", None));
        let before = m.clone();
        let err = apply_base_path_mapping_patch(
            &mut m,
            &[
                PatchOperation::replace("/restapiId", "b"),
                PatchOperation::replace("/other", "x"),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("/other"), "{err}");
        assert_eq!(m, before);
        assert!(
            apply_base_path_mapping_patch(&mut m, &[PatchOperation::remove("/stage")]).is_err()
        );
    }
}
