//! Payload encodings for non-proxy integrations (execution.md §9.6): `binaryMediaTypes`
//! decides what is binary, `contentHandling` converts between bytes and base64 text.

use base64::Engine as _;
use bytes::Bytes;

use crate::engine::error::GatewayError;
use crate::model::ContentHandling;

/// Whether `mime` (parameters ignored) matches one of the API's binary media types, which may
/// use wildcards (`image/*`, `*/*`).
pub fn is_binary(binary_media_types: &[String], mime: Option<&str>) -> bool {
    let Some(mime) = mime
        .and_then(|m| m.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
    else {
        return false;
    };
    let (kind, sub) = mime.split_once('/').unwrap_or((mime.as_str(), ""));
    binary_media_types.iter().any(|t| {
        // `~1` is how a `/` travels in patch paths; accept both spellings.
        let t = t.trim().replace("~1", "/").to_ascii_lowercase();
        let (tk, ts) = t.split_once('/').unwrap_or((t.as_str(), ""));
        (tk == "*" || tk == kind) && (ts == "*" || ts == sub)
    })
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn decode(text: &[u8]) -> Result<Bytes, GatewayError> {
    let trimmed: Vec<u8> = text
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    b64()
        .decode(trimmed)
        .map(Bytes::from)
        .map_err(|_| GatewayError::Configuration {
            reason: "Unable to base64-decode the payload for content handling CONVERT_TO_BINARY"
                .into(),
        })
}

/// The request body a passthrough (no template) sends to the integration.
pub fn convert_request(
    body: &Bytes,
    binary: bool,
    handling: Option<ContentHandling>,
) -> Result<Bytes, GatewayError> {
    match (binary, handling) {
        (true, Some(ContentHandling::ConvertToText)) => Ok(Bytes::from(b64().encode(body))),
        (false, Some(ContentHandling::ConvertToBinary)) => decode(body),
        _ => Ok(body.clone()),
    }
}

/// The text a request template sees as `$input.body`: binary payloads as base64.
pub fn template_text(body: &Bytes, binary: bool) -> String {
    if binary {
        b64().encode(body)
    } else {
        String::from_utf8_lossy(body).into_owned()
    }
}

/// The method response body from the integration payload: `payload_binary` = the payload is
/// bytes of a binary media type; `accept_binary` = the client's first `Accept` type is one.
pub fn convert_response(
    payload: Bytes,
    payload_binary: bool,
    accept_binary: bool,
    handling: Option<ContentHandling>,
) -> Result<Bytes, GatewayError> {
    match (payload_binary, accept_binary, handling) {
        (false, _, Some(ContentHandling::ConvertToBinary)) => decode(&payload),
        (false, true, None) => decode(&payload),
        (true, _, Some(ContentHandling::ConvertToText)) => Ok(Bytes::from(b64().encode(&payload))),
        (true, false, None) => Ok(Bytes::from(b64().encode(&payload))),
        _ => Ok(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_type_matching() {
        let types = vec![
            "image/*".to_string(),
            "application/octet-stream".to_string(),
        ];
        assert!(is_binary(&types, Some("image/png")));
        assert!(is_binary(
            &types,
            Some("application/octet-stream; charset=x")
        ));
        assert!(!is_binary(&types, Some("application/json")));
        assert!(!is_binary(&types, None));
        assert!(is_binary(&["*/*".to_string()], Some("text/plain")));
    }

    #[test]
    fn conversion_tables() {
        let bytes = Bytes::from_static(&[0, 159, 146, 150]);
        let text = Bytes::from("AJ+Slg==");
        // Request passthrough.
        assert_eq!(convert_request(&bytes, true, None).unwrap(), bytes);
        assert_eq!(
            convert_request(&bytes, true, Some(ContentHandling::ConvertToText)).unwrap(),
            text
        );
        assert_eq!(
            convert_request(&text, false, Some(ContentHandling::ConvertToBinary)).unwrap(),
            bytes
        );
        assert!(
            convert_request(
                &Bytes::from("%%"),
                false,
                Some(ContentHandling::ConvertToBinary)
            )
            .is_err()
        );
        // Response: text payload.
        assert_eq!(
            convert_response(text.clone(), false, false, None).unwrap(),
            text
        );
        assert_eq!(
            convert_response(text.clone(), false, true, None).unwrap(),
            bytes
        );
        assert_eq!(
            convert_response(
                text.clone(),
                false,
                true,
                Some(ContentHandling::ConvertToText)
            )
            .unwrap(),
            text
        );
        assert_eq!(
            convert_response(
                text.clone(),
                false,
                false,
                Some(ContentHandling::ConvertToBinary)
            )
            .unwrap(),
            bytes
        );
        // Response: binary payload.
        assert_eq!(
            convert_response(bytes.clone(), true, false, None).unwrap(),
            text
        );
        assert_eq!(
            convert_response(bytes.clone(), true, true, None).unwrap(),
            bytes
        );
        assert_eq!(
            convert_response(
                bytes.clone(),
                true,
                true,
                Some(ContentHandling::ConvertToText)
            )
            .unwrap(),
            text
        );
        assert_eq!(
            convert_response(
                bytes.clone(),
                true,
                false,
                Some(ContentHandling::ConvertToBinary)
            )
            .unwrap(),
            bytes
        );
    }
}
