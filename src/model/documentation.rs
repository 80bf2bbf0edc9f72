//! Documentation parts and versions (the `x-amazon-apigateway-documentation` extension,
//! openapi.md §3.1): a part documents one location of the API (the API itself, a resource, a
//! method, a parameter, a response, a model, an authorizer) with a JSON object of properties;
//! a version freezes the parts as they are when it is created.
//!
//! Which location fields apply to which type, and their defaults, follow AWS's documentation
//! of `DocumentationPartLocation`; the exact wording of the refusals is unverified.

use serde::{Deserialize, Serialize};

use super::AdminError;
use super::patch::{PatchOp, PatchOperation};

pub const LOCATION_TYPES: [&str; 12] = [
    "API",
    "AUTHORIZER",
    "MODEL",
    "RESOURCE",
    "METHOD",
    "PATH_PARAMETER",
    "QUERY_PARAMETER",
    "REQUEST_HEADER",
    "REQUEST_BODY",
    "RESPONSE",
    "RESPONSE_HEADER",
    "RESPONSE_BODY",
];

/// Largest `properties` document AWS accepts (32 KiB, unverified: the documented limit).
pub const MAX_PROPERTIES_BYTES: usize = 32 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationPartLocation {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationPart {
    pub id: String,
    pub location: DocumentationPartLocation,
    /// A JSON object, as text (AWS's shape).
    pub properties: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct DocumentationVersion {
    pub version: String,
    pub created_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A version with the parts it froze (what the store and deployments keep).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct StoredDocumentationVersion {
    pub version: DocumentationVersion,
    pub parts: Vec<DocumentationPart>,
}

/// Which optional fields a location type takes: (path, method, statusCode, name required).
fn applicable(kind: &str) -> (bool, bool, bool, bool) {
    match kind {
        "API" => (false, false, false, false),
        "AUTHORIZER" | "MODEL" => (false, false, false, true),
        "RESOURCE" => (true, false, false, false),
        "METHOD" | "REQUEST_BODY" => (true, true, false, false),
        "PATH_PARAMETER" | "QUERY_PARAMETER" | "REQUEST_HEADER" => (true, true, false, true),
        "RESPONSE" | "RESPONSE_BODY" => (true, true, true, false),
        "RESPONSE_HEADER" => (true, true, true, true),
        _ => (false, false, false, false),
    }
}

/// Checks a location and fills AWS's defaults (`path` `/`, `method` and `statusCode` `*`
/// where they apply); a field that does not apply to the type, or a missing `name`, is
/// refused.
pub fn normalise_location(
    mut loc: DocumentationPartLocation,
) -> Result<DocumentationPartLocation, AdminError> {
    if !LOCATION_TYPES.contains(&loc.kind.as_str()) {
        return Err(AdminError::bad_request(format!(
            "Invalid documentation part type '{}'. Must be one of: [{}]",
            loc.kind,
            LOCATION_TYPES.join(", ")
        )));
    }
    let (path, method, status, name) = applicable(&loc.kind);
    let refuse = |field: &str| {
        Err(AdminError::bad_request(format!(
            "Invalid documentation part location: '{field}' does not apply to type {}",
            loc.kind
        )))
    };
    match (&loc.path, path) {
        (Some(_), false) => return refuse("path"),
        (None, true) => loc.path = Some("/".into()),
        (Some(p), true) if !p.starts_with('/') => {
            return Err(AdminError::bad_request(format!(
                "Invalid documentation part location: path '{p}' must start with '/'"
            )));
        }
        _ => {}
    }
    match (&loc.method, method) {
        (Some(_), false) => return refuse("method"),
        (None, true) => loc.method = Some("*".into()),
        (Some(m), true) => loc.method = Some(m.to_ascii_uppercase()),
        _ => {}
    }
    match (&loc.status_code, status) {
        (Some(_), false) => return refuse("statusCode"),
        (None, true) => loc.status_code = Some("*".into()),
        (Some(code), true)
            if code != "*" && !(code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit())) =>
        {
            return Err(AdminError::bad_request(format!(
                "Invalid documentation part location: statusCode '{code}' must be '*' or a 3-digit code"
            )));
        }
        _ => {}
    }
    match (&loc.name, name) {
        (Some(_), false) => return refuse("name"),
        (None, true) => {
            return Err(AdminError::bad_request(format!(
                "Invalid documentation part location: type {} requires a name",
                loc.kind
            )));
        }
        _ => {}
    }
    Ok(loc)
}

/// `properties` must be a JSON object of at most [`MAX_PROPERTIES_BYTES`].
pub fn validate_properties(properties: &str) -> Result<(), AdminError> {
    if properties.len() > MAX_PROPERTIES_BYTES {
        return Err(AdminError::bad_request(format!(
            "Documentation part properties must be at most {MAX_PROPERTIES_BYTES} bytes"
        )));
    }
    match serde_json::from_str::<serde_json::Value>(properties) {
        Ok(v) if v.is_object() => Ok(()),
        _ => Err(AdminError::bad_request(
            "Documentation part properties must be a valid JSON object",
        )),
    }
}

/// UpdateDocumentationPart: `replace /properties`.
pub fn apply_documentation_part_patch(
    part: &mut DocumentationPart,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = part.clone();
    for op in ops {
        match (op.op, op.path.as_str()) {
            (PatchOp::Replace, "/properties") => {
                let value = op.value.clone().unwrap_or_default();
                validate_properties(&value)?;
                next.properties = value;
            }
            // AWS's words, two spaces included (AWS-recorded,
            // `test_invalid_update_documentation_part`).
            (PatchOp::Replace, _) => {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path  '{}' specified for op 'replace'. Must be one of: [/properties]",
                    op.path
                )));
            }
            _ => {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path  '{}' specified for op '{}'. Please choose supported operations",
                    op.path, op.op
                )));
            }
        }
    }
    *part = next;
    Ok(())
}

/// UpdateDocumentationVersion: `replace /description`.
pub fn apply_documentation_version_patch(
    version: &mut DocumentationVersion,
    ops: &[PatchOperation],
) -> Result<(), AdminError> {
    let mut next = version.clone();
    for op in ops {
        match (op.op, op.path.as_str()) {
            (PatchOp::Replace, "/description") => next.description = op.value.clone(),
            // AWS's words, two spaces included (AWS-recorded,
            // `test_invalid_update_documentation_part`).
            (PatchOp::Replace, _) => {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path  '{}' specified for op 'replace'. Must be one of: [/description]",
                    op.path
                )));
            }
            _ => {
                return Err(AdminError::bad_request(format!(
                    "Invalid patch path  '{}' specified for op '{}'. Please choose supported operations",
                    op.path, op.op
                )));
            }
        }
    }
    *version = next;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(kind: &str) -> DocumentationPartLocation {
        DocumentationPartLocation {
            kind: kind.into(),
            ..Default::default()
        }
    }

    #[test]
    fn locations_get_aws_defaults_and_refuse_what_does_not_apply() {
        let m = normalise_location(loc("METHOD")).unwrap();
        assert_eq!(
            (m.path.as_deref(), m.method.as_deref()),
            (Some("/"), Some("*"))
        );
        let r = normalise_location(DocumentationPartLocation {
            method: Some("get".into()),
            path: Some("/pets".into()),
            ..loc("RESPONSE")
        })
        .unwrap();
        assert_eq!(r.method.as_deref(), Some("GET"));
        assert_eq!(r.status_code.as_deref(), Some("*"));
        assert_eq!(normalise_location(loc("API")).unwrap(), loc("API"));
        for (bad, why) in [
            (loc("NOPE"), "Invalid documentation part type 'NOPE'"),
            (loc("MODEL"), "requires a name"),
            (
                DocumentationPartLocation {
                    path: Some("/x".into()),
                    ..loc("API")
                },
                "'path' does not apply to type API",
            ),
            (
                DocumentationPartLocation {
                    status_code: Some("2000".into()),
                    ..loc("RESPONSE")
                },
                "3-digit",
            ),
            (
                DocumentationPartLocation {
                    path: Some("pets".into()),
                    ..loc("RESOURCE")
                },
                "must start with '/'",
            ),
        ] {
            let err = normalise_location(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{err}");
        }
    }

    #[test]
    fn properties_are_json_objects_and_patches_are_all_or_nothing() {
        assert!(validate_properties(r#"{"description":"x"}"#).is_ok());
        for bad in [
            "",
            "[]",
            "\"x\"",
            "{",
            &format!("{{\"a\":\"{}\"}}", "x".repeat(40_000)),
        ] {
            assert!(validate_properties(bad).is_err(), "{bad:.20}");
        }
        let mut part = DocumentationPart {
            id: "p".into(),
            location: loc("API"),
            properties: "{}".into(),
        };
        let before = part.clone();
        let err = apply_documentation_part_patch(
            &mut part,
            &[
                PatchOperation::replace("/properties", r#"{"a":1}"#),
                PatchOperation::replace("/location/type", "MODEL"),
            ],
        )
        .unwrap_err();
        assert!(err.to_string().contains("/location/type"), "{err}");
        assert_eq!(part, before);
        apply_documentation_part_patch(
            &mut part,
            &[PatchOperation::replace("/properties", r#"{"a":1}"#)],
        )
        .unwrap();
        assert_eq!(part.properties, r#"{"a":1}"#);
    }
}
