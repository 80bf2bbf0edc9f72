//! The `/` filter: a regex (case-insensitive); a leading `!` keeps what does not match.
//! Text that is not a valid regex is matched literally.

use regex::{Regex, RegexBuilder};

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub text: String,
    regex: Option<Regex>,
    invert: bool,
}

impl Filter {
    pub fn new(text: &str) -> Filter {
        let (invert, pattern) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let regex = if pattern.is_empty() {
            None
        } else {
            RegexBuilder::new(pattern)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .or_else(|_| {
                    RegexBuilder::new(&regex::escape(pattern))
                        .case_insensitive(true)
                        .build()
                })
                .ok()
        };
        Filter {
            text: text.to_string(),
            regex,
            invert,
        }
    }

    pub fn is_active(&self) -> bool {
        self.regex.is_some()
    }

    pub fn matches(&self, haystack: &str) -> bool {
        match &self.regex {
            None => true,
            Some(r) => r.is_match(haystack) != self.invert,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_inversion_and_literal_fallback() {
        assert!(Filter::new("").matches("x"));
        assert!(Filter::new("pe.s").matches("/PETS"));
        assert!(!Filter::new("!pets").matches("/pets"));
        assert!(Filter::new("!pets").matches("/users"));
        let lit = Filter::new("a(b");
        assert!(lit.matches("xa(by") && !lit.matches("ab"));
        assert!(!Filter::new("!").is_active());
    }
}
