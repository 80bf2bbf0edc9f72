//! Themes: TOML files with `[meta]`, `[palette]`, then semantic sections (`[frame]`,
//! `[table]`, `[charts]`, `[vtl]`, …). Every role is listed in `themes/default-dark.toml`,
//! the reference theme. A file only needs the roles it changes: it is laid over its base
//! (`[meta] base = "default-light"`, default `default-dark`). A value is a colour (palette
//! name, `#rrggbb`, an ANSI name such as `lightblue`, `default`) meaning the foreground, or
//! a table `{ fg, bg, bold, italic, underline, reversed, dim }`.

use std::fmt;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

/// Themes shipped with the binary (also in `themes/`).
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "default-dark",
        include_str!("../../themes/default-dark.toml"),
    ),
    (
        "default-light",
        include_str!("../../themes/default-light.toml"),
    ),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
    ("gruvbox", include_str!("../../themes/gruvbox.toml")),
];

macro_rules! roles {
    ($( $variant:ident => $key:literal, )*) => {
        /// A semantic style slot.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Role { $( $variant, )* }

        impl Role {
            pub const ALL: &'static [Role] = &[ $( Role::$variant, )* ];
            /// `section.key` in a theme file.
            pub fn key(self) -> &'static str {
                match self { $( Role::$variant => $key, )* }
            }
        }
    };
}

roles! {
    Body => "base.body",
    Dim => "base.dim",
    Border => "frame.border",
    BorderFocus => "frame.border_focus",
    Title => "frame.title",
    HeaderKey => "frame.header_key",
    HeaderValue => "frame.header_value",
    Crumb => "frame.crumb",
    CrumbActive => "frame.crumb_active",
    HintKey => "frame.hint_key",
    HintDesc => "frame.hint_desc",
    FlashInfo => "flash.info",
    FlashWarn => "flash.warn",
    FlashError => "flash.error",
    PromptCommand => "prompt.command",
    PromptFilter => "prompt.filter",
    PromptInput => "prompt.input",
    PromptSuggestion => "prompt.suggestion",
    TableHeader => "table.header",
    TableSelected => "table.selected",
    TableMarked => "table.marked",
    DialogBorder => "dialog.border",
    DialogText => "dialog.text",
    DialogDanger => "dialog.danger",
    ChartBase => "charts.base",
    ChartCanary => "charts.canary",
    ChartAxis => "charts.axis",
    ChartP50 => "charts.p50",
    ChartP90 => "charts.p90",
    ChartP99 => "charts.p99",
    ChartError => "charts.error",
    ChartGauge => "charts.gauge",
    VtlText => "vtl.text",
    VtlVariable => "vtl.variable",
    VtlDirective => "vtl.directive",
    VtlComment => "vtl.comment",
    VtlString => "vtl.string",
    VtlLineNumber => "vtl.line_number",
    VtlCursorLine => "vtl.cursor_line",
    VtlSearch => "vtl.search_match",
    VtlError => "vtl.error",
    DiffAdded => "diff.added",
    DiffRemoved => "diff.removed",
    DiffChanged => "diff.changed",
    LogInfo => "logs.info",
    LogWarn => "logs.warn",
    LogError => "logs.error",
    LogAccess => "logs.access",
}

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    styles: Vec<Style>,
}

/// A theme that could not be loaded, naming the file and (when known) the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeError {
    pub file: String,
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(k) => write!(f, "{}: key `{}`: {}", self.file, k, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ThemeError {}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("default-dark").unwrap_or_else(|_| Theme {
            name: "fallback".into(),
            styles: vec![Style::default(); Role::ALL.len()],
        })
    }
}

impl Theme {
    pub fn get(&self, role: Role) -> Style {
        let idx = Role::ALL.iter().position(|r| *r == role).unwrap_or(0);
        self.styles.get(idx).copied().unwrap_or_default()
    }

    pub fn builtin_names() -> Vec<&'static str> {
        BUILTIN.iter().map(|(n, _)| *n).collect()
    }

    pub fn builtin(name: &str) -> Result<Theme, ThemeError> {
        let (n, src) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| ThemeError {
                file: format!("{name}.toml"),
                key: None,
                message: format!(
                    "no such built-in theme (known: {})",
                    Theme::builtin_names().join(", ")
                ),
            })?;
        Theme::parse(src, &format!("themes/{n}.toml"))
    }

    /// Loads a theme by name or path: a path (contains `/` or ends in `.toml`) is read; a
    /// name is looked up in `dir` (the user's theme directory) and then among the built-ins.
    pub fn load(name_or_path: &str, dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let looks_like_path = name_or_path.contains('/') || name_or_path.ends_with(".toml");
        let candidate = if looks_like_path {
            Some(Path::new(name_or_path).to_path_buf())
        } else {
            dir.map(|d| d.join(format!("{name_or_path}.toml")))
                .filter(|p| p.is_file())
        };
        match candidate {
            Some(path) => {
                let file = path.display().to_string();
                let src = std::fs::read_to_string(&path).map_err(|e| ThemeError {
                    file: file.clone(),
                    key: None,
                    message: e.to_string(),
                })?;
                Theme::parse(&src, &file)
            }
            None => Theme::builtin(name_or_path),
        }
    }

    /// Parses theme source; `file` names it in errors.
    pub fn parse(src: &str, file: &str) -> Result<Theme, ThemeError> {
        let err = |key: Option<String>, message: String| ThemeError {
            file: file.to_string(),
            key,
            message,
        };
        let table: toml::Table =
            toml::from_str(src).map_err(|e| err(None, e.to_string().trim().to_string()))?;
        let base_name = match table.get("meta").and_then(|m| m.get("base")) {
            None => "default-dark".to_string(),
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => {
                return Err(err(
                    Some("meta.base".into()),
                    "expected a theme name".into(),
                ));
            }
        };
        let mut merged: toml::Table = if file.ends_with("themes/default-dark.toml")
            && base_name == "default-dark"
        {
            toml::Table::new()
        } else {
            let (_, base_src) = BUILTIN
                .iter()
                .find(|(n, _)| *n == base_name)
                .ok_or_else(|| {
                    err(
                        Some("meta.base".into()),
                        format!("unknown base theme `{base_name}`"),
                    )
                })?;
            let base: toml::Table = toml::from_str(base_src)
                .map_err(|e| err(None, format!("base theme `{base_name}`: {e}")))?;
            if base_name != "default-dark" {
                let dark: toml::Table =
                    toml::from_str(BUILTIN[0].1).map_err(|e| err(None, e.to_string()))?;
                overlay(dark, base)
            } else {
                base
            }
        };
        merged = overlay(merged, table.clone());
        let name = table
            .get("meta")
            .and_then(|m| m.get("name"))
            .and_then(|n| n.as_str())
            .unwrap_or(file)
            .to_string();
        let palette = match merged.get("palette") {
            None => toml::Table::new(),
            Some(toml::Value::Table(t)) => t.clone(),
            Some(_) => return Err(err(Some("palette".into()), "expected a table".into())),
        };
        // Check the user's own keys so typos are reported, not ignored.
        for (section, value) in &table {
            if section == "meta" || section == "palette" {
                continue;
            }
            let t = value
                .as_table()
                .ok_or_else(|| err(Some(section.clone()), "expected a table of roles".into()))?;
            for key in t.keys() {
                let full = format!("{section}.{key}");
                if !Role::ALL.iter().any(|r| r.key() == full) {
                    return Err(err(Some(full), "unknown role".into()));
                }
            }
        }
        for (key, v) in &palette {
            let s = v.as_str().ok_or_else(|| {
                err(
                    Some(format!("palette.{key}")),
                    "expected a colour string".into(),
                )
            })?;
            parse_colour(s, &toml::Table::new())
                .map_err(|m| err(Some(format!("palette.{key}")), m))?;
        }
        let mut styles = Vec::with_capacity(Role::ALL.len());
        for role in Role::ALL {
            let key = role.key();
            let (section, field) = key.split_once('.').unwrap_or((key, ""));
            let value = merged.get(section).and_then(|s| s.get(field));
            let style = match value {
                None => Style::default(),
                Some(v) => parse_style(v, &palette).map_err(|m| err(Some(key.to_string()), m))?,
            };
            styles.push(style);
        }
        Ok(Theme { name, styles })
    }

    /// The `NO_COLOR` form: colours dropped, emphasis kept (selection becomes reversed).
    pub fn without_colour(mut self) -> Theme {
        for (i, s) in self.styles.iter_mut().enumerate() {
            let mut plain = Style::default().add_modifier(s.add_modifier);
            if matches!(
                Role::ALL.get(i),
                Some(Role::TableSelected | Role::VtlSearch | Role::CrumbActive)
            ) {
                plain = plain.add_modifier(Modifier::REVERSED);
            }
            *s = plain;
        }
        self
    }
}

/// Deep-merges `top` over `base`.
fn overlay(mut base: toml::Table, top: toml::Table) -> toml::Table {
    for (k, v) in top {
        match (base.remove(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(t)) => {
                base.insert(k, toml::Value::Table(overlay(b, t)));
            }
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
    base
}

fn parse_style(v: &toml::Value, palette: &toml::Table) -> Result<Style, String> {
    match v {
        toml::Value::String(s) => Ok(Style::default().fg(parse_colour(s, palette)?)),
        toml::Value::Table(t) => {
            let mut style = Style::default();
            for (k, val) in t {
                match k.as_str() {
                    "fg" | "bg" => {
                        let s = val
                            .as_str()
                            .ok_or_else(|| format!("`{k}` must be a colour string"))?;
                        let c = parse_colour(s, palette)?;
                        style = if k == "fg" { style.fg(c) } else { style.bg(c) };
                    }
                    "bold" | "italic" | "underline" | "reversed" | "dim" => {
                        let on = val
                            .as_bool()
                            .ok_or_else(|| format!("`{k}` must be true or false"))?;
                        let m = match k.as_str() {
                            "bold" => Modifier::BOLD,
                            "italic" => Modifier::ITALIC,
                            "underline" => Modifier::UNDERLINED,
                            "reversed" => Modifier::REVERSED,
                            _ => Modifier::DIM,
                        };
                        if on {
                            style = style.add_modifier(m);
                        }
                    }
                    other => return Err(format!("unknown style attribute `{other}`")),
                }
            }
            Ok(style)
        }
        _ => Err("expected a colour string or a style table".into()),
    }
}

fn parse_colour(s: &str, palette: &toml::Table) -> Result<Color, String> {
    if let Some(p) = palette.get(s).and_then(|v| v.as_str()) {
        return parse_colour(p, &toml::Table::new());
    }
    if let Some(hex) = s.strip_prefix('#') {
        if hex.len() == 6
            && let Ok(n) = u32::from_str_radix(hex, 16)
        {
            return Ok(Color::Rgb((n >> 16) as u8, (n >> 8) as u8, n as u8));
        }
        return Err(format!("bad hex colour `{s}` (want #rrggbb)"));
    }
    if let Ok(n) = s.parse::<u8>() {
        return Ok(Color::Indexed(n));
    }
    let c = match s.to_ascii_lowercase().replace(['_', '-'], "").as_str() {
        "default" | "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return Err(format!("unknown colour `{s}`")),
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_in_themes_parses_and_the_reference_lists_every_role() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("themes");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Theme::load(path.to_str().unwrap(), None).unwrap_or_else(|e| panic!("{e}"));
                n += 1;
            }
        }
        assert!(n >= 4);
        let reference: toml::Table = toml::from_str(BUILTIN[0].1).unwrap();
        for role in Role::ALL {
            let (s, k) = role.key().split_once('.').unwrap();
            assert!(
                reference.get(s).and_then(|t| t.get(k)).is_some(),
                "default-dark lacks {}",
                role.key()
            );
        }
        for name in Theme::builtin_names() {
            assert_eq!(Theme::builtin(name).unwrap().name, name);
        }
    }

    #[test]
    fn partial_theme_overlays_the_default() {
        let t = Theme::parse(
            "[meta]\nname = \"mine\"\n[frame]\nborder = \"#010203\"\n",
            "mine.toml",
        )
        .unwrap();
        let d = Theme::default();
        assert_eq!(t.get(Role::Border).fg, Some(Color::Rgb(1, 2, 3)));
        assert_eq!(t.get(Role::Title), d.get(Role::Title));
        assert_eq!(t.name, "mine");
    }

    #[test]
    fn malformed_theme_names_file_and_key() {
        let e = Theme::parse("[frame]\nborder = \"blurple\"\n", "themes/bad.toml").unwrap_err();
        assert_eq!(e.file, "themes/bad.toml");
        assert_eq!(e.key.as_deref(), Some("frame.border"));
        assert!(
            e.to_string()
                .contains("themes/bad.toml: key `frame.border`: unknown colour `blurple`")
        );
        let e = Theme::parse("[frame]\nbordr = \"red\"\n", "x.toml").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("frame.bordr"));
        let e = Theme::parse(
            "[charts]\nbase = { fg = \"red\", bold = \"yes\" }\n",
            "x.toml",
        )
        .unwrap_err();
        assert_eq!(e.key.as_deref(), Some("charts.base"));
        let e = Theme::parse("[frame\n", "broken.toml").unwrap_err();
        assert!(e.to_string().starts_with("broken.toml: "));
        let e = Theme::load("/nonexistent/t.toml", None).unwrap_err();
        assert_eq!(e.file, "/nonexistent/t.toml");
        assert!(Theme::load("no-such-theme", None).is_err());
    }

    #[test]
    fn no_colour_drops_colours_keeps_emphasis() {
        let t = Theme::default().without_colour();
        for role in Role::ALL {
            let s = t.get(*role);
            assert!(s.fg.is_none() && s.bg.is_none(), "{role:?}");
        }
        assert!(
            t.get(Role::TableSelected)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }
}
