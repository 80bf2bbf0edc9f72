//! The X-Ray phase marks the pipeline sets on a traced request (`RequestContext::xray`).

use std::time::Instant;

use http::HeaderValue;

use super::RequestContext;

/// Phase marks, called by the pipeline. Each is a no-op (no clock read) without tracing.
impl RequestContext<'_> {
    pub(crate) fn xray_auth_start(&mut self) {
        if let Some(x) = self.xray.as_deref_mut() {
            x.auth = Some((Instant::now(), None));
        }
    }

    pub(crate) fn xray_auth_end(&mut self) {
        if let Some(x) = self.xray.as_deref_mut()
            && let Some((_, end)) = x.auth.as_mut()
        {
            *end = Some(Instant::now());
        }
    }

    pub(crate) fn xray_integration_start(&mut self) {
        if let Some(x) = self.xray.as_deref_mut() {
            x.integration_start = Some(Instant::now());
        }
    }

    pub(crate) fn xray_integration_end(&mut self) {
        if let Some(x) = self.xray.as_deref_mut() {
            x.integration_end = Some(Instant::now());
        }
    }

    /// The request's `X-Amzn-Trace-Id` on a traced stage.
    pub fn trace_header(&self) -> Option<&HeaderValue> {
        self.xray.as_deref().map(|x| &x.header)
    }
}
