//! GetSdkTypes and GetSdk: client SDKs generated from a stage's deployment snapshot, zipped as
//! API Gateway delivers them (`apiGateway-js-sdk/…`). `javascript` (AWS's own type) and
//! `typescript` (gwtui's: a typed client from the OpenAPI export) are generated; AWS's
//! `android`, `java`, `objectivec`, `swift` and `ruby` are listed nowhere and refused.

pub mod javascript;
pub mod sigv4;
pub mod typescript;

use std::io::Write as _;

use serde::Serialize;

use crate::model::ApiDefinition;

/// One SDK type as GetSdkTypes returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SdkType {
    pub id: &'static str,
    pub friendly_name: &'static str,
    pub description: &'static str,
    pub configuration_properties: Vec<serde_json::Value>,
}

/// The SDK types gwtui generates.
pub fn sdk_types() -> Vec<SdkType> {
    vec![
        SdkType {
            id: "javascript",
            friendly_name: "JavaScript",
            description: "A JavaScript client (Node 20+ and browsers, fetch-based): one method per resource and verb, path/query/header parameters, API keys, optional SigV4 signing",
            configuration_properties: Vec::new(),
        },
        SdkType {
            id: "typescript",
            friendly_name: "TypeScript",
            description: "A typed TypeScript client generated from the OpenAPI export (models as types), with its JavaScript module form; API keys, optional SigV4 signing",
            configuration_properties: Vec::new(),
        },
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum SdkError {
    #[error("Invalid SDK type specified: '{0}'. Must be one of: [javascript, typescript]")]
    UnknownType(String),
    #[error("cannot export the API for the SDK: {0}")]
    Export(String),
    #[error("cannot write the SDK zip: {0}")]
    Zip(String),
}

/// Generates the SDK of `sdk_type` for `def` deployed at `invoke_url` (`…/{stage}`) and
/// returns the zip's bytes.
pub fn generate(
    sdk_type: &str,
    def: &ApiDefinition,
    stage: &str,
    invoke_url: &str,
) -> Result<Vec<u8>, SdkError> {
    let files = match sdk_type {
        "javascript" => javascript::files(def, stage, invoke_url),
        "typescript" => typescript::files(def, stage, invoke_url)?,
        other => return Err(SdkError::UnknownType(other.to_string())),
    };
    zip_files(&files)
}

fn zip_files(files: &[(String, String)]) -> Result<Vec<u8>, SdkError> {
    let err = |e: &dyn std::fmt::Display| SdkError::Zip(e.to_string());
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // A fixed timestamp: the same API gives the same bytes.
    let stamp = zip::DateTime::from_date_and_time(2020, 1, 1, 0, 0, 0).map_err(|e| err(&e))?;
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(stamp);
    for (name, text) in files {
        out.start_file(name.as_str(), options)
            .map_err(|e| err(&e))?;
        out.write_all(text.as_bytes()).map_err(|e| err(&e))?;
    }
    let cursor = out.finish().map_err(|e| err(&e))?;
    Ok(cursor.into_inner())
}
