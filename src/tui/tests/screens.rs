//! The README's console screenshots, rendered from the fake engine on `TestBackend`. With
//! `GWTUI_WRITE_SCREENS=1` this writes `docs/screens/*.txt`; otherwise it checks that the
//! committed files, and the copies pasted into `README.md`, still match what the console
//! draws, so neither goes stale.

use super::{Harness, screen};
use crate::tui::app::AppConfig;
use crate::tui::tests::snapshots::scrub;

const W: u16 = 120;

/// The template the README's editor screen shows.
const README_TEMPLATE: &str = r##"## the pet as the backend wants it
#set($pet = $input.path('$'))
{
  "name": "$util.escapeJavaScript($pet.name)",
  "price": $pet.price,
#if($pet.price > 20)
  "tier": "premium",
#end
  "backend": "$stageVariables.backend",
  "route": "$context.httpMethod $context.resourcePath"
}"##;
const H: u16 = 30;

fn vtl_check(source: &str) -> Option<(usize, usize, String)> {
    crate::vtl::Template::parse(source)
        .err()
        .map(|e| (e.line as usize, e.column as usize, e.message))
}

fn text(h: &Harness) -> String {
    let raw = scrub(&screen(&h.render(W, H)));
    let mut out: String = raw
        .lines()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    out.push('\n');
    out
}

fn screens() -> Vec<(&'static str, String)> {
    let mut resources = Harness::new();
    let e = resources.press("2 l l j");
    resources.settle(e);

    // the real binary checks templates with the VTL parser, and so does this screen
    let mut editor = Harness::with(AppConfig {
        parse_check: vtl_check,
        ..AppConfig::default()
    });
    if let Ok(mut s) = editor.backend.state.lock()
        && let Some(i) = s
            .apis
            .first_mut()
            .and_then(|d| d.method_mut("pets01", "POST").ok())
            .and_then(|m| m.method_integration.as_mut())
    {
        i.request_templates
            .insert("application/json".into(), README_TEMPLATE.into());
    }
    let e = editor.press("ctrl-r");
    editor.settle(e);
    editor.press("3 j 2 l l j j l j");
    let e = editor.press("enter");
    editor.settle(e);

    let mut dash = Harness::new();
    let e = dash.press("6");
    dash.settle(e);

    vec![
        ("resources", text(&resources)),
        ("template-editor", text(&editor)),
        ("dashboard", text(&dash)),
    ]
}

#[test]
fn readme_screens_match_the_console() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("docs/screens");
    let write = std::env::var_os("GWTUI_WRITE_SCREENS").is_some_and(|v| v == "1");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap_or_default();
    for (name, now) in screens() {
        let path = dir.join(format!("{name}.txt"));
        if write {
            std::fs::create_dir_all(&dir).expect("create docs/screens");
            std::fs::write(&path, &now).expect("write screen");
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed,
            now,
            "{} is stale: GWTUI_WRITE_SCREENS=1 cargo test --lib tui::tests::screens, then paste it into README.md",
            path.display()
        );
        assert!(
            readme.contains(&format!("```text\n{now}```")),
            "README.md lacks the current {name} screen (docs/screens/{name}.txt) in a ```text block"
        );
    }
}
