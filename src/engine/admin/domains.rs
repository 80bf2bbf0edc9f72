//! Custom domain names and base path mappings (execution.md §1): create, get, list, delete
//! domains; create, get, list, update (patch), delete mappings. The route map sends a request
//! whose `Host` is a custom domain to the mapping with the longest matching base path.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Actor;
use crate::engine::{Gateway, REGION};
use crate::model::domain::{
    NO_BASE_PATH, apply_base_path_mapping_patch, normalise_base_path, normalise_v1_base_path,
    validate_domain_name,
};
use crate::model::{
    AdminError, BasePathMapping, DomainName, DomainTls, EndpointConfiguration,
    MutualTlsAuthentication, PatchOperation, StoredDomain, UploadedCertificate, ids,
};
use crate::store::Change;

const NO_DOMAIN: &str = "Invalid domain name identifier specified";
const NO_MAPPING: &str = "Invalid base path mapping identifier specified";

/// CreateDomainName's body. An uploaded certificate (`certificateBody` with
/// `certificatePrivateKey`, optionally `certificateChain`) is checked here and served by SNI;
/// without one, the local development CA issues the domain's certificate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDomainName {
    pub domain_name: String,
    pub certificate_body: Option<String>,
    pub certificate_private_key: Option<String>,
    pub certificate_chain: Option<String>,
    pub certificate_name: Option<String>,
    pub certificate_arn: Option<String>,
    pub regional_certificate_name: Option<String>,
    pub regional_certificate_arn: Option<String>,
    pub endpoint_configuration: Option<EndpointConfiguration>,
    pub security_policy: Option<String>,
    pub mutual_tls_authentication: Option<MutualTlsAuthenticationInput>,
    pub tags: BTreeMap<String, String>,
}

/// CreateDomainName's `mutualTlsAuthentication`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MutualTlsAuthenticationInput {
    pub truststore_uri: String,
    pub truststore_version: Option<String>,
}

/// Reads and checks a truststore: a local file (`file:///path` or a path) of PEM certificates.
fn read_truststore(uri: &str) -> Result<String, AdminError> {
    let path = uri.strip_prefix("file://").unwrap_or(uri);
    let bad =
        |why: String| AdminError::bad_request(format!("Unable to read truststore {uri}: {why}"));
    if path.is_empty() || uri.starts_with("s3://") {
        return Err(bad(
            "gwtui reads truststores from local files (file:///path/to/truststore.pem)".into(),
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
    let certs = crate::tls::pem::certificates(&text).map_err(|e| bad(e.to_string()))?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| bad(e.to_string()))?;
    }
    Ok(text)
}

/// CreateBasePathMapping's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateBasePathMapping {
    pub base_path: Option<String>,
    pub rest_api_id: String,
    pub stage: Option<String>,
}

fn target(domain: &str) -> String {
    format!("domainnames/{domain}")
}

/// A mapping must name an existing API, and a stage of it when it names one.
fn check_mapping(admin: &super::Admin, m: &BasePathMapping) -> Result<(), AdminError> {
    let api = admin
        .apis
        .get(&m.rest_api_id)
        .ok_or_else(|| AdminError::bad_request("Invalid REST API identifier specified"))?;
    if let Some(stage) = &m.stage
        && !api.stages.contains_key(stage)
    {
        return Err(AdminError::bad_request(
            "Invalid stage identifier specified",
        ));
    }
    Ok(())
}

/// Checks an uploaded certificate: body and key together, parseable, the key the body's.
fn uploaded_certificate(
    body: Option<String>,
    key: Option<String>,
    chain: Option<String>,
) -> Result<Option<UploadedCertificate>, AdminError> {
    let (body, key) = match (body, key) {
        (None, None) => {
            if chain.is_some() {
                return Err(AdminError::bad_request(
                    "certificateChain requires certificateBody and certificatePrivateKey",
                ));
            }
            return Ok(None);
        }
        (Some(body), Some(key)) => (body, key),
        (Some(_), None) => {
            return Err(AdminError::bad_request(
                "certificatePrivateKey is required with certificateBody",
            ));
        }
        (None, Some(_)) => {
            return Err(AdminError::bad_request(
                "certificateBody is required with certificatePrivateKey",
            ));
        }
    };
    let uploaded = UploadedCertificate {
        certificate_body: body,
        certificate_private_key: key,
        certificate_chain: chain,
    };
    crate::tls::certified_key(&uploaded.full_chain(), &uploaded.certificate_private_key)
        .map_err(|e| AdminError::bad_request(format!("Invalid certificate: {e}")))?;
    Ok(Some(uploaded))
}

impl Gateway {
    pub async fn create_domain_name(
        &self,
        actor: &Actor,
        input: CreateDomainName,
    ) -> Result<DomainName, AdminError> {
        validate_domain_name(&input.domain_name)?;
        let name = input.domain_name.to_ascii_lowercase();
        let mut endpoint = input.endpoint_configuration.unwrap_or_default();
        if endpoint.types.is_empty() {
            endpoint.types.push("EDGE".into());
        }
        if let Some(bad) = endpoint
            .types
            .iter()
            .find(|t| !matches!(t.as_str(), "EDGE" | "REGIONAL"))
        {
            return Err(AdminError::bad_request(format!(
                "Invalid endpoint type specified for a domain name: '{bad}'. Must be one of: [EDGE, REGIONAL]"
            )));
        }
        let security_policy = input.security_policy.unwrap_or_else(|| "TLS_1_2".into());
        if !matches!(security_policy.as_str(), "TLS_1_0" | "TLS_1_2") {
            return Err(AdminError::bad_request(format!(
                "Invalid security policy specified: '{security_policy}'. Must be one of: [TLS_1_0, TLS_1_2]"
            )));
        }
        let certificate = uploaded_certificate(
            input.certificate_body,
            input.certificate_private_key,
            input.certificate_chain,
        )?;
        let (mutual_tls_authentication, truststore) = match input.mutual_tls_authentication {
            None => (None, None),
            Some(m) => {
                let pem = read_truststore(&m.truststore_uri)?;
                (
                    Some(MutualTlsAuthentication {
                        truststore_uri: m.truststore_uri,
                        truststore_version: m.truststore_version,
                        truststore_warnings: Vec::new(),
                    }),
                    Some(pem),
                )
            }
        };
        let regional = endpoint.types.iter().any(|t| t == "REGIONAL");
        let domain = DomainName {
            regional_domain_name: regional
                .then(|| format!("d-{}.execute-api.{REGION}.amazonaws.com", ids::new_id(10))),
            distribution_domain_name: (!regional)
                .then(|| format!("d{}.cloudfront.net", ids::new_id(13))),
            domain_name: name.clone(),
            certificate_name: input.certificate_name,
            certificate_arn: input.certificate_arn,
            certificate_upload_date: certificate
                .is_some()
                .then(|| time::OffsetDateTime::now_utc().unix_timestamp()),
            regional_certificate_name: input.regional_certificate_name,
            regional_certificate_arn: input.regional_certificate_arn,
            endpoint_configuration: endpoint,
            domain_name_status: Some("AVAILABLE".into()),
            security_policy: Some(security_policy),
            mutual_tls_authentication,
            tags: input.tags,
        };
        let out = domain.clone();
        self.admin_op(actor, "CreateDomainName", target(&name), None, move |txn| {
            let domains = txn.domains_mut();
            if domains.contains_key(&name) {
                return Err(AdminError::conflict(
                    "The domain name you provided already exists.",
                ));
            }
            let stored = StoredDomain {
                domain,
                mappings: Vec::new(),
                certificate,
                truststore,
            };
            domains.insert(name, stored.clone());
            txn.changes.push(Change::PutDomain(Box::new(stored)));
            Ok(())
        })
        .await?;
        Ok(out)
    }

    pub fn get_domain_name(&self, name: &str) -> Result<DomainName, AdminError> {
        self.read(|a| {
            a.domains
                .get(&name.to_ascii_lowercase())
                .map(|d| d.domain.clone())
                .ok_or_else(|| AdminError::not_found(NO_DOMAIN))
        })
    }

    /// The TLS settings of the custom domain a TLS server name names (exactly, or by a `*.`
    /// wildcard of its parent); `None` when no custom domain has that name.
    pub fn domain_tls(&self, server_name: &str) -> Option<DomainTls> {
        let name = server_name.trim_end_matches('.').to_ascii_lowercase();
        self.read(|a| {
            let found = a.domains.get(&name).or_else(|| {
                let (_, parent) = name.split_once('.')?;
                a.domains.get(&format!("*.{parent}"))
            });
            Ok(found.map(|d| DomainTls {
                domain_name: d.domain.domain_name.clone(),
                certificate: d.certificate.clone(),
                security_policy: d
                    .domain
                    .security_policy
                    .clone()
                    .unwrap_or_else(|| "TLS_1_2".into()),
                truststore: d.truststore.clone(),
            }))
        })
        .ok()
        .flatten()
    }

    pub fn list_domain_names(&self) -> Result<Vec<DomainName>, AdminError> {
        self.read(|a| Ok(a.domains.values().map(|d| d.domain.clone()).collect()))
    }

    /// DeleteDomainName, with its mappings.
    pub async fn delete_domain_name(&self, actor: &Actor, name: &str) -> Result<(), AdminError> {
        let name = name.to_ascii_lowercase();
        self.admin_op(actor, "DeleteDomainName", target(&name), None, move |txn| {
            if txn.domains_mut().shift_remove(&name).is_none() {
                return Err(AdminError::not_found(NO_DOMAIN));
            }
            txn.changes.push(Change::DeleteDomain(name));
            Ok(())
        })
        .await
    }

    pub async fn create_base_path_mapping(
        &self,
        actor: &Actor,
        domain: &str,
        input: CreateBasePathMapping,
    ) -> Result<BasePathMapping, AdminError> {
        let name = domain.to_ascii_lowercase();
        let mapping = BasePathMapping {
            base_path: normalise_v1_base_path(input.base_path.as_deref())?,
            rest_api_id: input.rest_api_id,
            // AWS: "(none)" (or nothing) lets callers name the stage after the base path.
            stage: input.stage.filter(|s| !s.is_empty() && s != NO_BASE_PATH),
        };
        let out = mapping.clone();
        self.admin_op(
            actor,
            "CreateBasePathMapping",
            format!("{}/basepathmappings/{}", target(&name), mapping.base_path),
            Some(mapping.rest_api_id.clone()),
            move |txn| {
                check_mapping(txn.admin(), &mapping)?;
                let stored = txn
                    .domains_mut()
                    .get_mut(&name)
                    .ok_or_else(|| AdminError::not_found(NO_DOMAIN))?;
                if stored
                    .mappings
                    .iter()
                    .any(|m| m.base_path == mapping.base_path)
                {
                    return Err(AdminError::conflict(
                        "Base path already exists for this domain name",
                    ));
                }
                stored.mappings.push(mapping);
                let stored = stored.clone();
                txn.changes.push(Change::PutDomain(Box::new(stored)));
                Ok(())
            },
        )
        .await?;
        Ok(out)
    }

    pub fn list_base_path_mappings(
        &self,
        domain: &str,
    ) -> Result<Vec<BasePathMapping>, AdminError> {
        self.read(|a| {
            a.domains
                .get(&domain.to_ascii_lowercase())
                .map(|d| d.mappings.clone())
                .ok_or_else(|| AdminError::not_found(NO_DOMAIN))
        })
    }

    pub fn get_base_path_mapping(
        &self,
        domain: &str,
        base_path: &str,
    ) -> Result<BasePathMapping, AdminError> {
        let base_path = normalise_base_path(Some(base_path))?;
        self.read(|a| {
            a.domains
                .get(&domain.to_ascii_lowercase())
                .ok_or_else(|| AdminError::not_found(NO_DOMAIN))?
                .mappings
                .iter()
                .find(|m| m.base_path == base_path)
                .cloned()
                .ok_or_else(|| AdminError::not_found(NO_MAPPING))
        })
    }

    /// UpdateBasePathMapping: `replace` of `/basePath`, `/restapiId`, `/stage`.
    pub async fn update_base_path_mapping(
        &self,
        actor: &Actor,
        domain: &str,
        base_path: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<BasePathMapping, AdminError> {
        let name = domain.to_ascii_lowercase();
        let base_path = normalise_base_path(Some(base_path))?;
        self.admin_op(
            actor,
            "UpdateBasePathMapping",
            format!("{}/basepathmappings/{base_path}", target(&name)),
            None,
            move |txn| {
                let mut stored = txn
                    .domains_mut()
                    .get(&name)
                    .cloned()
                    .ok_or_else(|| AdminError::not_found(NO_DOMAIN))?;
                let i = stored
                    .mappings
                    .iter()
                    .position(|m| m.base_path == base_path)
                    .ok_or_else(|| AdminError::not_found(NO_MAPPING))?;
                let mut mapping = stored.mappings[i].clone();
                apply_base_path_mapping_patch(&mut mapping, &ops)?;
                check_mapping(txn.admin(), &mapping)?;
                if mapping.base_path != base_path
                    && stored
                        .mappings
                        .iter()
                        .any(|m| m.base_path == mapping.base_path)
                {
                    return Err(AdminError::conflict(
                        "Base path already exists for this domain name",
                    ));
                }
                stored.mappings[i] = mapping.clone();
                txn.domains_mut().insert(name, stored.clone());
                txn.changes.push(Change::PutDomain(Box::new(stored)));
                Ok(mapping)
            },
        )
        .await
    }

    pub async fn delete_base_path_mapping(
        &self,
        actor: &Actor,
        domain: &str,
        base_path: &str,
    ) -> Result<(), AdminError> {
        let name = domain.to_ascii_lowercase();
        let base_path = normalise_base_path(Some(base_path))?;
        self.admin_op(
            actor,
            "DeleteBasePathMapping",
            format!("{}/basepathmappings/{base_path}", target(&name)),
            None,
            move |txn| {
                let stored = txn
                    .domains_mut()
                    .get_mut(&name)
                    .ok_or_else(|| AdminError::not_found(NO_DOMAIN))?;
                let before = stored.mappings.len();
                stored.mappings.retain(|m| m.base_path != base_path);
                if stored.mappings.len() == before {
                    return Err(AdminError::not_found(NO_MAPPING));
                }
                let stored = stored.clone();
                txn.changes.push(Change::PutDomain(Box::new(stored)));
                Ok(())
            },
        )
        .await
    }
}

/// The base path a request on a custom domain matched, and the path left for routing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainMatch {
    pub rest_api_id: String,
    /// `None`: the stage is the first segment of `path`.
    pub stage: Option<String>,
    /// As `$context.customDomain.basePathMatched` reports it (`(none)` for the empty one).
    pub base_path: String,
    /// The request path after the base path, starting with `/`.
    pub path: String,
}

/// The mapping of a domain that a request path selects: the longest base path whose segments
/// prefix the path's, else the `(none)` mapping.
pub fn match_base_path(mappings: &[BasePathMapping], raw_path: &str) -> Option<DomainMatch> {
    let trimmed = raw_path.trim_start_matches('/');
    let mut best: Option<(&BasePathMapping, String)> = None;
    for m in mappings {
        let rest = if m.base_path == NO_BASE_PATH {
            Some(trimmed)
        } else {
            trimmed
                .strip_prefix(m.base_path.as_str())
                .filter(|r| r.is_empty() || r.starts_with('/'))
        };
        let Some(rest) = rest else { continue };
        let longer = best.as_ref().is_none_or(|(b, _)| {
            b.base_path == NO_BASE_PATH
                || (m.base_path != NO_BASE_PATH && m.base_path.len() > b.base_path.len())
        });
        if longer {
            best = Some((m, format!("/{}", rest.trim_start_matches('/'))));
        }
    }
    best.map(|(m, path)| DomainMatch {
        rest_api_id: m.rest_api_id.clone(),
        stage: m.stage.clone(),
        base_path: m.base_path.clone(),
        path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(base: &str, api: &str, stage: Option<&str>) -> BasePathMapping {
        BasePathMapping {
            base_path: base.into(),
            rest_api_id: api.into(),
            stage: stage.map(Into::into),
        }
    }

    #[test]
    fn the_longest_base_path_wins_and_none_is_the_fallback() {
        let maps = [
            m(NO_BASE_PATH, "root", Some("prod")),
            m("v1", "one", Some("prod")),
            m("v1/orders", "orders", Some("beta")),
        ];
        let got = |p: &str| match_base_path(&maps, p).map(|d| (d.rest_api_id, d.path));
        assert_eq!(got("/v1/orders/7"), Some(("orders".into(), "/7".into())));
        assert_eq!(got("/v1/orders"), Some(("orders".into(), "/".into())));
        assert_eq!(got("/v1/ordersx"), Some(("one".into(), "/ordersx".into())));
        assert_eq!(got("/v1"), Some(("one".into(), "/".into())));
        assert_eq!(got("/v2/x"), Some(("root".into(), "/v2/x".into())));
        assert_eq!(got("/"), Some(("root".into(), "/".into())));
        let no_root = [m("v1", "one", None)];
        assert_eq!(match_base_path(&no_root, "/v2"), None);
        assert_eq!(
            match_base_path(&no_root, "/v1/prod/pets").map(|d| (d.stage, d.path)),
            Some((None, "/prod/pets".into()))
        );
    }
}
