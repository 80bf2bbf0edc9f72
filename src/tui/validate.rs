//! Input validation with AWS's rules and messages.

/// Stage variable names: `[A-Za-z0-9_]+`.
pub fn stage_variable_name(name: &str) -> Result<(), String> {
    if name.len() > 64 {
        return Err(format!(
            "Stage variable name '{name}' is longer than 64 characters"
        ));
    }
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        Ok(())
    } else {
        Err(format!(
            "Stage variable name '{name}' is invalid: only alphanumeric characters and underscores are allowed"
        ))
    }
}

/// Stage variable values: `[A-Za-z0-9-._~:/?#&=,]+`.
pub fn stage_variable_value(value: &str) -> Result<(), String> {
    if value.len() > 512 {
        return Err("Stage variable value is longer than 512 characters".into());
    }
    let ok = |c: char| c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c);
    if !value.is_empty() && value.chars().all(ok) {
        Ok(())
    } else {
        Err(format!(
            "Stage variable value '{value}' is invalid: allowed characters are A-Z a-z 0-9 - . _ ~ : / ? # & = ,"
        ))
    }
}

/// Parses `name=value` and validates both halves.
pub fn stage_variable(input: &str) -> Result<(String, String), String> {
    let (name, value) = input
        .split_once('=')
        .ok_or_else(|| "expected NAME=VALUE".to_string())?;
    let (name, value) = (name.trim(), value.trim());
    stage_variable_name(name)?;
    stage_variable_value(value)?;
    Ok((name.to_string(), value.to_string()))
}

/// Canary weight: 0.0–100.0.
pub fn percent_traffic(input: &str) -> Result<f64, String> {
    let v: f64 = input
        .trim()
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("'{input}' is not a number"))?;
    if (0.0..=100.0).contains(&v) {
        Ok((v * 10.0).round() / 10.0)
    } else {
        Err("Canary traffic percentage must be between 0.0 and 100.0".into())
    }
}

/// Integration timeout: 50 ms to 29 000 ms.
pub fn timeout_millis(input: &str) -> Result<u32, String> {
    let v: u32 = input
        .trim()
        .parse()
        .map_err(|_| format!("'{input}' is not a whole number of milliseconds"))?;
    if (50..=29_000).contains(&v) {
        Ok(v)
    } else {
        Err("Timeout should be between 50 ms and 29000 ms".into())
    }
}

/// JSON-Pointer escaping of one patch path segment (`/` → `~1`, `~` → `~0`).
pub fn escape_segment(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_variables_follow_aws_rules() {
        assert_eq!(
            stage_variable("url=http://x.example/a?b=c&d#e").unwrap().0,
            "url"
        );
        assert!(stage_variable("my_var1=v-._~:/?#&=,").is_ok());
        assert!(stage_variable("bad-name=x").is_err());
        assert!(stage_variable("name=has space").is_err());
        assert!(stage_variable("name=").is_err());
        assert!(stage_variable("novalue").is_err());
        assert!(stage_variable("n=ü").is_err());
        assert!(stage_variable(&format!("{}=v", "a".repeat(65))).is_err());
        assert!(stage_variable(&format!("n={}", "v".repeat(513))).is_err());
    }

    #[test]
    fn numbers() {
        assert_eq!(percent_traffic("12.34").unwrap(), 12.3);
        assert!(percent_traffic("101").is_err());
        assert!(percent_traffic("x").is_err());
        assert_eq!(timeout_millis("29000").unwrap(), 29000);
        assert!(timeout_millis("10").is_err());
        assert_eq!(escape_segment("a/b~c"), "a~1b~0c");
    }
}
