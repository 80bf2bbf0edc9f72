//! Mapping templates as a deployment holds them: parsed once at compile time.
//!
//! Until the VTL engine is wired in, a template renders as its literal text.

#[derive(Debug, Clone)]
pub struct CompiledTemplate {
    source: String,
}

impl CompiledTemplate {
    pub fn compile(source: &str) -> Result<CompiledTemplate, String> {
        Ok(CompiledTemplate { source: source.to_string() })
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}
