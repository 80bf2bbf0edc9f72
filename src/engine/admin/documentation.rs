//! Documentation parts and versions of an API: create, get, list (filtered), update (patch),
//! delete. A version freezes the current parts; naming a stage on creation points the stage's
//! `documentationVersion` at it.

use serde::Deserialize;

use super::Actor;
use crate::engine::Gateway;
use crate::model::documentation::{
    apply_documentation_part_patch, apply_documentation_version_patch, normalise_location,
    validate_properties,
};
use crate::model::{
    AdminError, DocumentationPart, DocumentationPartLocation, DocumentationVersion, PatchOperation,
    StoredDocumentationVersion, ids, now_epoch_seconds,
};
use crate::store::Change;

const NO_PART: &str = "Invalid Documentation part identifier specified";
const NO_VERSION: &str = "Invalid Documentation version identifier specified";

/// CreateDocumentationPart's body; `properties` may be given as a JSON object or as its text.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDocumentationPart {
    pub location: DocumentationPartLocation,
    pub properties: serde_json::Value,
}

/// CreateDocumentationVersion's body.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDocumentationVersion {
    pub documentation_version: String,
    pub stage_name: Option<String>,
    pub description: Option<String>,
}

/// GetDocumentationParts' filters (query parameters `type`, `name`, `path`).
#[derive(Debug, Clone, Default)]
pub struct PartFilter {
    pub kind: Option<String>,
    /// A substring of the location's name.
    pub name: Option<String>,
    pub path: Option<String>,
}

/// The properties as stored: a JSON object's text.
pub fn properties_text(v: &serde_json::Value) -> Result<String, AdminError> {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    validate_properties(&text)?;
    Ok(text)
}

fn target(api_id: &str, rest: &str) -> String {
    format!("restapis/{api_id}/documentation/{rest}")
}

impl Gateway {
    pub async fn create_documentation_part(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateDocumentationPart,
    ) -> Result<DocumentationPart, AdminError> {
        let part = DocumentationPart {
            id: ids::new_id(6),
            location: normalise_location(input.location)?,
            properties: properties_text(&input.properties)?,
        };
        let t = target(api_id, &format!("parts/{}", part.id));
        self.edit_definition(actor, "CreateDocumentationPart", api_id, t, move |def| {
            if def
                .documentation_parts
                .iter()
                .any(|p| p.location == part.location)
            {
                return Err(AdminError::conflict(
                    "Documentation part already exists for the specified location",
                ));
            }
            def.documentation_parts.push(part.clone());
            Ok(part)
        })
        .await
    }

    pub fn get_documentation_part(
        &self,
        api_id: &str,
        part_id: &str,
    ) -> Result<DocumentationPart, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .documentation_parts
                .iter()
                .find(|p| p.id == part_id)
                .cloned()
                .ok_or_else(|| AdminError::not_found(NO_PART))
        })
    }

    pub fn list_documentation_parts(
        &self,
        api_id: &str,
        filter: &PartFilter,
    ) -> Result<Vec<DocumentationPart>, AdminError> {
        self.read(|a| {
            Ok(a.api(api_id)?
                .definition
                .documentation_parts
                .iter()
                .filter(|p| filter.kind.as_ref().is_none_or(|k| &p.location.kind == k))
                .filter(|p| {
                    filter.name.as_ref().is_none_or(|n| {
                        p.location
                            .name
                            .as_deref()
                            .is_some_and(|x| x.contains(n.as_str()))
                    })
                })
                .filter(|p| {
                    filter
                        .path
                        .as_ref()
                        .is_none_or(|path| p.location.path.as_ref() == Some(path))
                })
                .cloned()
                .collect())
        })
    }

    pub async fn update_documentation_part(
        &self,
        actor: &Actor,
        api_id: &str,
        part_id: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<DocumentationPart, AdminError> {
        let id = part_id.to_string();
        let t = target(api_id, &format!("parts/{part_id}"));
        self.edit_definition(actor, "UpdateDocumentationPart", api_id, t, move |def| {
            let part = def
                .documentation_parts
                .iter_mut()
                .find(|p| p.id == id)
                .ok_or_else(|| AdminError::not_found(NO_PART))?;
            apply_documentation_part_patch(part, &ops)?;
            Ok(part.clone())
        })
        .await
    }

    pub async fn delete_documentation_part(
        &self,
        actor: &Actor,
        api_id: &str,
        part_id: &str,
    ) -> Result<(), AdminError> {
        let id = part_id.to_string();
        let t = target(api_id, &format!("parts/{part_id}"));
        self.edit_definition(actor, "DeleteDocumentationPart", api_id, t, move |def| {
            let before = def.documentation_parts.len();
            def.documentation_parts.retain(|p| p.id != id);
            if def.documentation_parts.len() == before {
                return Err(AdminError::not_found(NO_PART));
            }
            Ok(())
        })
        .await
    }

    /// ImportDocumentationParts: the parts of an OpenAPI document's
    /// `x-amazon-apigateway-documentation`, merged into the API's (`overwrite`: replacing
    /// them). With `fail_on_warnings`, a warning refuses the import. Returns `{ids[, warnings]}`.
    pub async fn import_documentation_parts(
        &self,
        actor: &Actor,
        api_id: &str,
        source: String,
        overwrite: bool,
        fail_on_warnings: bool,
    ) -> Result<serde_json::Value, AdminError> {
        let t = target(api_id, "parts");
        self.edit_definition(actor, "ImportDocumentationParts", api_id, t, move |def| {
            let (ids, warnings) = crate::openapi::import_documentation_parts(
                &source,
                &mut def.documentation_parts,
                overwrite,
            )
            .map_err(|e| match e.message.as_str() {
                crate::openapi::UNREADABLE_DOCUMENTATION => AdminError::bad_request(e.message),
                _ => AdminError::bad_request(e.to_string()),
            })?;
            if fail_on_warnings && !warnings.is_empty() {
                return Err(AdminError::bad_request(warnings.join("; ")));
            }
            // `warnings` only when there are some (AWS-recorded, `test_import_documentation_parts`).
            let mut out = serde_json::json!({ "ids": ids });
            if !warnings.is_empty() {
                out["warnings"] = serde_json::json!(warnings);
            }
            Ok(out)
        })
        .await
    }

    /// CreateDocumentationVersion: freezes the current parts; with `stageName`, the stage's
    /// `documentationVersion` becomes this version (in the same change).
    pub async fn create_documentation_version(
        &self,
        actor: &Actor,
        api_id: &str,
        input: CreateDocumentationVersion,
    ) -> Result<DocumentationVersion, AdminError> {
        let name = input.documentation_version.trim().to_string();
        if name.is_empty() || name.len() > 64 {
            return Err(AdminError::bad_request(
                "Documentation version must be 1 to 64 characters",
            ));
        }
        let version = DocumentationVersion {
            version: name.clone(),
            created_date: now_epoch_seconds(),
            description: input.description,
        };
        let id = api_id.to_string();
        let stage = input.stage_name.filter(|s| !s.is_empty());
        let out = version.clone();
        self.admin_op(
            actor,
            "CreateDocumentationVersion",
            target(api_id, &format!("versions/{name}")),
            Some(id.clone()),
            move |txn| {
                let api = txn.api_mut(&id)?;
                if let Some(stage_name) = &stage {
                    let Some(stage) = api.stages.get_mut(stage_name) else {
                        return Err(AdminError::bad_request(
                            "Invalid stage identifier specified",
                        ));
                    };
                    stage.documentation_version = Some(name.clone());
                    let stage = stage.clone();
                    txn.changes.push(Change::PutStage {
                        api_id: id.clone(),
                        stage: Box::new(stage),
                    });
                }
                txn.edit_definition(&id, |def| {
                    if def
                        .documentation_versions
                        .iter()
                        .any(|v| v.version.version == name)
                    {
                        return Err(AdminError::conflict(format!(
                            "Documentation version {name} already exists"
                        )));
                    }
                    let parts = def.documentation_parts.clone();
                    def.documentation_versions
                        .push(StoredDocumentationVersion { version, parts });
                    Ok(())
                })
            },
        )
        .await?;
        Ok(out)
    }

    pub fn list_documentation_versions(
        &self,
        api_id: &str,
    ) -> Result<Vec<DocumentationVersion>, AdminError> {
        self.read(|a| {
            Ok(a.api(api_id)?
                .definition
                .documentation_versions
                .iter()
                .map(|v| v.version.clone())
                .collect())
        })
    }

    /// The parts a documentation version froze (what an export of a stage publishing that
    /// version carries).
    pub fn documentation_version_parts(
        &self,
        api_id: &str,
        version: &str,
    ) -> Result<Vec<DocumentationPart>, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .documentation_versions
                .iter()
                .find(|v| v.version.version == version)
                .map(|v| v.parts.clone())
                .ok_or_else(|| AdminError::not_found(NO_VERSION))
        })
    }

    pub fn get_documentation_version(
        &self,
        api_id: &str,
        version: &str,
    ) -> Result<DocumentationVersion, AdminError> {
        self.read(|a| {
            a.api(api_id)?
                .definition
                .documentation_versions
                .iter()
                .find(|v| v.version.version == version)
                .map(|v| v.version.clone())
                .ok_or_else(|| AdminError::not_found(NO_VERSION))
        })
    }

    pub async fn update_documentation_version(
        &self,
        actor: &Actor,
        api_id: &str,
        version: &str,
        ops: Vec<PatchOperation>,
    ) -> Result<DocumentationVersion, AdminError> {
        let name = version.to_string();
        let t = target(api_id, &format!("versions/{version}"));
        self.edit_definition(actor, "UpdateDocumentationVersion", api_id, t, move |def| {
            let v = def
                .documentation_versions
                .iter_mut()
                .find(|v| v.version.version == name)
                .ok_or_else(|| AdminError::not_found(NO_VERSION))?;
            apply_documentation_version_patch(&mut v.version, &ops)?;
            Ok(v.version.clone())
        })
        .await
    }

    pub async fn delete_documentation_version(
        &self,
        actor: &Actor,
        api_id: &str,
        version: &str,
    ) -> Result<(), AdminError> {
        let name = version.to_string();
        let t = target(api_id, &format!("versions/{version}"));
        self.edit_definition(actor, "DeleteDocumentationVersion", api_id, t, move |def| {
            let before = def.documentation_versions.len();
            def.documentation_versions
                .retain(|v| v.version.version != name);
            if def.documentation_versions.len() == before {
                return Err(AdminError::not_found(NO_VERSION));
            }
            Ok(())
        })
        .await
    }
}
