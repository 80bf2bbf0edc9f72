//! Client certificates: GenerateClientCertificate, GetClientCertificate(s),
//! UpdateClientCertificate (description), DeleteClientCertificate. The key pair is generated
//! here and kept in the store; only the certificate (PEM) is ever returned.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Actor;
use crate::engine::Gateway;
use crate::model::patch::PatchOp;
use crate::model::{AdminError, ClientCertificate, PatchOperation, StoredClientCertificate, ids};
use crate::store::Change;

const NO_CERTIFICATE: &str = "Invalid client certificate identifier specified";
/// How long a generated client certificate is valid (AWS: 365 days).
const VALID_DAYS: i64 = 365;

/// GenerateClientCertificate's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct GenerateClientCertificate {
    pub description: Option<String>,
    pub tags: BTreeMap<String, String>,
}

fn target(id: &str) -> String {
    format!("clientcertificates/{id}")
}

impl Gateway {
    pub async fn generate_client_certificate(
        &self,
        actor: &Actor,
        input: GenerateClientCertificate,
    ) -> Result<ClientCertificate, AdminError> {
        let id = ids::new_id(6);
        // Key generation is CPU work: off the async workers.
        let common_name = format!("gwtui client certificate {id}");
        let issued = tokio::task::spawn_blocking(move || {
            crate::tls::ca::self_signed_client(&common_name, VALID_DAYS)
        })
        .await
        .map_err(|e| AdminError::Internal(e.to_string()))?
        .map_err(|e| AdminError::Internal(e.to_string()))?;
        let info = crate::tls::CertificateInfo::parse(&issued.cert_pem)
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let certificate = ClientCertificate {
            client_certificate_id: id.clone(),
            description: input.description,
            pem_encoded_certificate: issued.cert_pem,
            created_date: time::OffsetDateTime::now_utc().unix_timestamp(),
            expiration_date: info.not_after,
            tags: input.tags,
        };
        let stored = StoredClientCertificate {
            certificate: certificate.clone(),
            private_key: issued.key_pem,
        };
        self.admin_op(
            actor,
            "GenerateClientCertificate",
            target(&id),
            None,
            move |txn| {
                txn.client_certificates_mut().insert(id, stored.clone());
                txn.changes
                    .push(Change::PutClientCertificate(Box::new(stored)));
                Ok(())
            },
        )
        .await?;
        Ok(certificate)
    }

    pub fn get_client_certificate(&self, id: &str) -> Result<ClientCertificate, AdminError> {
        self.read(|a| {
            a.client_certificates
                .get(id)
                .map(|c| c.certificate.clone())
                .ok_or_else(|| AdminError::not_found(NO_CERTIFICATE))
        })
    }

    pub fn list_client_certificates(&self) -> Result<Vec<ClientCertificate>, AdminError> {
        self.read(|a| {
            Ok(a.client_certificates
                .values()
                .map(|c| c.certificate.clone())
                .collect())
        })
    }

    /// UpdateClientCertificate: `/description` (replace, remove).
    pub async fn update_client_certificate(
        &self,
        actor: &Actor,
        id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<ClientCertificate, AdminError> {
        let id = id.to_string();
        self.admin_op(actor, "UpdateClientCertificate", target(&id), None, move |txn| {
            let stored = txn
                .client_certificates_mut()
                .get_mut(&id)
                .ok_or_else(|| AdminError::not_found(NO_CERTIFICATE))?;
            for op in &ops {
                match (op.op, op.path.as_str()) {
                    (PatchOp::Replace | PatchOp::Add, "/description") => {
                        stored.certificate.description = op.value.clone();
                    }
                    (PatchOp::Remove, "/description") => stored.certificate.description = None,
                    _ => {
                        return Err(AdminError::bad_request(format!(
                            "Invalid patch path '{}' specified for op '{}'. Must be one of: [/description]",
                            op.path,
                            op.op.as_str()
                        )));
                    }
                }
            }
            let out = stored.certificate.clone();
            let change = Change::PutClientCertificate(Box::new(stored.clone()));
            txn.changes.push(change);
            Ok(out)
        })
        .await
    }

    pub async fn delete_client_certificate(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(), AdminError> {
        let id = id.to_string();
        let removed = id.clone();
        self.admin_op(
            actor,
            "DeleteClientCertificate",
            target(&id),
            None,
            move |txn| {
                if txn.client_certificates_mut().shift_remove(&id).is_none() {
                    return Err(AdminError::not_found(NO_CERTIFICATE));
                }
                txn.changes.push(Change::DeleteClientCertificate(id));
                Ok(())
            },
        )
        .await?;
        crate::engine::integrations::outbound::forget(self, &removed);
        Ok(())
    }

    /// The certificate and key (PEM) a stage's `clientCertificateId` names.
    pub(crate) fn client_certificate_key(&self, id: &str) -> Option<(String, String)> {
        self.read(|a| {
            Ok(a.client_certificates.get(id).map(|c| {
                (
                    c.certificate.pem_encoded_certificate.clone(),
                    c.private_key.clone(),
                )
            }))
        })
        .ok()
        .flatten()
    }
}
