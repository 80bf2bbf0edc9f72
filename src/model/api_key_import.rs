//! ImportApiKeys' file: AWS's "API Gateway API key file format" (developer guide,
//! api-key-file-format.html). A CSV whose header must name the `Name` and `Key` columns
//! (case-insensitive, any order); `Description`, `Enabled` and `UsagePlanIds` are optional,
//! other columns are ignored; a missing value is an empty string or `true`. `UsagePlanIds`
//! holds several ids as one comma-separated value in double or single quotes.
//!
//! A file without the two required columns is refused outright; a row that cannot become a key
//! (no key, a key outside 20..=128 characters, a name over 1024, a bad `Enabled`, a key value
//! repeated within the file) is a warning, which `failonwarnings=true` turns into a refusal.
//! The warning wordings are ours (AWS does not document them).

use super::AdminError;

/// One importable row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedKey {
    pub name: String,
    pub value: String,
    pub description: Option<String>,
    pub enabled: bool,
    pub usage_plan_ids: Vec<String>,
    /// 1-based line of the row in the file (for warnings).
    pub line: usize,
}

/// The rows that can be imported, and a warning per row that cannot.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedKeyFile {
    pub keys: Vec<ImportedKey>,
    pub warnings: Vec<String>,
}

/// Most rows one import may hold (AWS documents no limit; this bounds one request's work).
pub const MAX_IMPORT_ROWS: usize = 10_000;

/// Parses an API key file.
pub fn parse_key_file(text: &str) -> Result<ParsedKeyFile, AdminError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = records(text)?.into_iter();
    let Some((_, header)) = records.next() else {
        return Err(AdminError::bad_request(
            "Invalid API key file: the file is empty",
        ));
    };
    let column = |want: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(want))
    };
    let (Some(name_col), Some(key_col)) = (column("name"), column("key")) else {
        return Err(AdminError::bad_request(
            "Invalid API key file: the header must name the Name and Key columns",
        ));
    };
    let description_col = column("description");
    let enabled_col = column("enabled");
    let plans_col = column("usageplanids");
    let mut parsed = ParsedKeyFile::default();
    for (line, row) in records {
        if row.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if parsed.keys.len() + parsed.warnings.len() >= MAX_IMPORT_ROWS {
            return Err(AdminError::bad_request(format!(
                "Invalid API key file: more than {MAX_IMPORT_ROWS} rows"
            )));
        }
        let field = |col: Option<usize>| col.and_then(|c| row.get(c)).map(|s| s.trim());
        let value = field(Some(key_col)).unwrap_or_default();
        let name = field(Some(name_col)).unwrap_or_default();
        if value.is_empty() {
            parsed
                .warnings
                .push(format!("Line {line}: the Key is empty"));
            continue;
        }
        let chars = value.chars().count();
        if !(20..=128).contains(&chars) {
            parsed.warnings.push(format!(
                "Line {line}: a Key must be between 20 and 128 characters"
            ));
            continue;
        }
        if name.chars().count() > 1024 {
            parsed.warnings.push(format!(
                "Line {line}: a Name must be at most 1024 characters"
            ));
            continue;
        }
        let enabled = match field(enabled_col) {
            None | Some("") => true,
            Some(v) if v.eq_ignore_ascii_case("true") => true,
            Some(v) if v.eq_ignore_ascii_case("false") => false,
            Some(v) => {
                parsed.warnings.push(format!(
                    "Line {line}: Enabled must be true or false, not '{v}'"
                ));
                continue;
            }
        };
        if let Some(first) = parsed.keys.iter().find(|k| k.value == value) {
            parsed.warnings.push(format!(
                "Line {line}: duplicate Key (already on line {})",
                first.line
            ));
            continue;
        }
        let usage_plan_ids = field(plans_col)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        parsed.keys.push(ImportedKey {
            name: name.to_string(),
            value: value.to_string(),
            description: field(description_col)
                .filter(|d| !d.is_empty())
                .map(str::to_string),
            enabled,
            usage_plan_ids,
            line,
        });
    }
    Ok(parsed)
}

/// Splits CSV text into records of fields, each with its 1-based starting line. A field may be
/// quoted with `"` or `'` (a doubled quote inside is one quote); quoted fields may hold commas
/// and line breaks.
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, AdminError> {
    let mut out = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    let mut record_line = 1;
    let mut at_field_start = true;
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                if chars.peek() == Some(&q) {
                    chars.next();
                    field.push(q);
                } else {
                    quote = None;
                }
            } else {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            continue;
        }
        match c {
            '"' | '\'' if at_field_start => {
                quote = Some(c);
                at_field_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                out.push((record_line, std::mem::take(&mut fields)));
                line += 1;
                record_line = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quote.is_some() {
        return Err(AdminError::bad_request(format!(
            "Invalid API key file: a quoted value opened on line {record_line} is not closed"
        )));
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        out.push((record_line, fields));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY1: &str = "apikey1234abcdefghij0123456789";
    const KEY2: &str = "apikey1234abcdefghij0123456780";

    #[test]
    fn the_documented_examples_parse() {
        let p = parse_key_file(&format!("Key,name\n{KEY1},MyFirstApiKey\n")).unwrap_or_default();
        assert_eq!(p.warnings, Vec::<String>::new());
        assert_eq!(p.keys.len(), 1);
        assert_eq!(p.keys[0].name, "MyFirstApiKey");
        assert_eq!(p.keys[0].value, KEY1);
        assert!(p.keys[0].enabled);

        let p = parse_key_file(&format!(
            "Name,key,description,Enabled,usageplanIds\r\nMyFirstApiKey,{KEY1},An imported key,TRUE,c7y23b\r\n"
        ))
        .unwrap_or_default();
        assert_eq!(p.keys[0].description.as_deref(), Some("An imported key"));
        assert_eq!(p.keys[0].usage_plan_ids, ["c7y23b"]);

        let p = parse_key_file(&format!(
            "Enabled,Name,key,UsageplanIds,Other\nfalse,MyFirstApiKey,{KEY1},\"c7y23b,glvrsr\",x\ntrue,Second,{KEY2},'a1, b2',y"
        ))
        .unwrap_or_default();
        assert_eq!(p.keys.len(), 2, "{p:?}");
        assert!(!p.keys[0].enabled);
        assert_eq!(p.keys[0].usage_plan_ids, ["c7y23b", "glvrsr"]);
        assert_eq!(p.keys[1].usage_plan_ids, ["a1", "b2"]);
        assert_eq!(p.keys[1].line, 3);
    }

    #[test]
    fn a_header_without_name_and_key_is_refused() {
        for text in ["", "Key,Description\nx,y", "name\nfoo"] {
            let err = parse_key_file(text).err();
            assert!(
                err.as_ref().is_some_and(|e| e.status() == 400),
                "{text:?}: {err:?}"
            );
        }
        assert!(parse_key_file("Name,Key\n\"open,").is_err());
    }

    #[test]
    fn bad_rows_are_warnings() {
        let text = format!(
            "Name,Key,Enabled\na,{KEY1},true\nb,short,true\nc,{KEY1},true\nd,,true\ne,{KEY2},maybe\n\n"
        );
        let p = parse_key_file(&text).unwrap_or_default();
        assert_eq!(p.keys.len(), 1);
        assert_eq!(
            p.warnings,
            [
                "Line 3: a Key must be between 20 and 128 characters",
                "Line 4: duplicate Key (already on line 2)",
                "Line 5: the Key is empty",
                "Line 6: Enabled must be true or false, not 'maybe'",
            ]
        );
    }
}
