//! The apigatewayv2 view of custom domain names (`/v2/domainnames`) and their API mappings.
//! Domains are the same records REST's base path mappings live in, so one domain can route
//! to REST and HTTP APIs alike: an API mapping is stored as a base path mapping (key → base
//! path, `(none)` for the empty key) and its id is derived from the domain and key.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::engine::admin::CreateDomainName;
use crate::engine::{Actor, Gateway};
use crate::model::domain::{NO_BASE_PATH, normalise_base_path};
use crate::model::v2::ApiMapping;
use crate::model::{AdminError, BasePathMapping, DomainName, EndpointConfiguration};
use crate::store::Change;

const NO_DOMAIN: &str = "Invalid domain name identifier specified";

/// `DomainName` in the v2 shape.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainNameV2 {
    pub api_mapping_selection_expression: String,
    pub domain_name: String,
    pub domain_name_configurations: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// CreateDomainName's v2 body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDomainNameV2 {
    pub domain_name: String,
    pub domain_name_configurations: Vec<DomainNameConfiguration>,
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DomainNameConfiguration {
    pub certificate_arn: Option<String>,
    pub certificate_name: Option<String>,
    pub endpoint_type: Option<String>,
    pub security_policy: Option<String>,
}

/// CreateApiMapping's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateApiMapping {
    pub api_id: String,
    pub api_mapping_key: Option<String>,
    pub stage: String,
}

fn v2_domain(d: DomainName) -> DomainNameV2 {
    let mut config = serde_json::json!({
        "apiGatewayDomainName": d.regional_domain_name.clone().or(d.distribution_domain_name.clone()),
        "endpointType": d.endpoint_configuration.types.first().cloned().unwrap_or_else(|| "REGIONAL".into()),
        "domainNameStatus": d.domain_name_status.clone().unwrap_or_else(|| "AVAILABLE".into()),
        "securityPolicy": d.security_policy.clone().unwrap_or_else(|| "TLS_1_2".into()),
    });
    if let Some(arn) = d.regional_certificate_arn.or(d.certificate_arn) {
        config["certificateArn"] = serde_json::Value::String(arn);
    }
    DomainNameV2 {
        api_mapping_selection_expression: "$request.basepath".into(),
        domain_name: d.domain_name,
        domain_name_configurations: vec![config],
        tags: d.tags,
    }
}

/// A stable id for the mapping of `key` on `domain`.
fn mapping_id(domain: &str, base_path: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let digest = Sha256::digest(format!("{domain}\n{base_path}").as_bytes());
    digest
        .iter()
        .take(6)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn to_v2(domain: &str, m: &BasePathMapping) -> ApiMapping {
    ApiMapping {
        api_id: m.rest_api_id.clone(),
        api_mapping_id: mapping_id(domain, &m.base_path),
        api_mapping_key: if m.base_path == NO_BASE_PATH {
            String::new()
        } else {
            m.base_path.clone()
        },
        stage: m.stage.clone().unwrap_or_default(),
    }
}

fn not_found_mapping() -> AdminError {
    AdminError::not_found("Invalid api mapping identifier specified")
}

impl Gateway {
    pub async fn create_domain_name_v2(
        &self,
        actor: &Actor,
        input: CreateDomainNameV2,
    ) -> Result<DomainNameV2, AdminError> {
        let config = input
            .domain_name_configurations
            .into_iter()
            .next()
            .unwrap_or_default();
        let endpoint = config.endpoint_type.unwrap_or_else(|| "REGIONAL".into());
        let created = self
            .create_domain_name(
                actor,
                CreateDomainName {
                    domain_name: input.domain_name,
                    regional_certificate_arn: config.certificate_arn,
                    regional_certificate_name: config.certificate_name,
                    endpoint_configuration: Some(EndpointConfiguration {
                        types: vec![endpoint],
                        ..EndpointConfiguration::default()
                    }),
                    security_policy: config.security_policy,
                    tags: input.tags,
                    ..CreateDomainName::default()
                },
            )
            .await?;
        Ok(v2_domain(created))
    }

    pub fn get_domain_name_v2(&self, name: &str) -> Result<DomainNameV2, AdminError> {
        self.get_domain_name(name).map(v2_domain)
    }

    pub fn list_domain_names_v2(&self) -> Result<Vec<DomainNameV2>, AdminError> {
        Ok(self
            .list_domain_names()?
            .into_iter()
            .map(v2_domain)
            .collect())
    }

    pub async fn create_api_mapping(
        &self,
        actor: &Actor,
        domain: &str,
        input: CreateApiMapping,
    ) -> Result<ApiMapping, AdminError> {
        let name = domain.to_ascii_lowercase();
        if input.stage.is_empty() || input.api_id.is_empty() {
            return Err(AdminError::bad_request("ApiId and Stage are required"));
        }
        let mapping = BasePathMapping {
            base_path: normalise_base_path(input.api_mapping_key.as_deref())?,
            rest_api_id: input.api_id,
            stage: Some(input.stage),
        };
        let out = to_v2(&name, &mapping);
        self.admin_op(
            actor,
            "CreateApiMapping",
            format!("domainnames/{name}/apimappings/{}", out.api_mapping_id),
            Some(mapping.rest_api_id.clone()),
            move |txn| {
                let stage = mapping.stage.as_deref().unwrap_or_default();
                let known = match txn.http_apis().get(&mapping.rest_api_id) {
                    Some(api) => api.stages.contains_key(stage),
                    None => {
                        let api = txn
                            .api(&mapping.rest_api_id)
                            .map_err(|_| super::not_found_api(&mapping.rest_api_id))?;
                        api.stages.contains_key(stage)
                    }
                };
                if !known {
                    return Err(AdminError::bad_request(format!(
                        "Invalid stage identifier specified: {stage}"
                    )));
                }
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
                        "ApiMapping key already exists for this domain name",
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

    pub fn list_api_mappings(&self, domain: &str) -> Result<Vec<ApiMapping>, AdminError> {
        let name = domain.to_ascii_lowercase();
        Ok(self
            .list_base_path_mappings(&name)?
            .iter()
            .map(|m| to_v2(&name, m))
            .collect())
    }

    pub fn get_api_mapping(&self, domain: &str, id: &str) -> Result<ApiMapping, AdminError> {
        self.list_api_mappings(domain)?
            .into_iter()
            .find(|m| m.api_mapping_id == id)
            .ok_or_else(not_found_mapping)
    }

    /// DeleteApiMapping.
    pub async fn delete_api_mapping(
        &self,
        actor: &Actor,
        domain: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let name = domain.to_ascii_lowercase();
        let id = id.to_string();
        self.admin_op(
            actor,
            "DeleteApiMapping",
            format!("domainnames/{name}/apimappings/{id}"),
            None,
            move |txn| {
                let stored = txn
                    .domains_mut()
                    .get_mut(&name)
                    .ok_or_else(|| AdminError::not_found(NO_DOMAIN))?;
                let before = stored.mappings.len();
                stored
                    .mappings
                    .retain(|m| mapping_id(&name, &m.base_path) != id);
                if stored.mappings.len() == before {
                    return Err(not_found_mapping());
                }
                let stored = stored.clone();
                txn.changes.push(Change::PutDomain(Box::new(stored)));
                Ok(())
            },
        )
        .await
    }
}
