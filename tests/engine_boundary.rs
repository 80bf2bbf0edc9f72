//! The console (`src/tui`) and the server (`src/server`) use the engine only through its
//! handle: `Gateway` and the public types `src/engine/mod.rs` re-exports at the engine's root
//! (`crate::engine::Gateway`, `crate::engine::CreateDeployment`, the `crate::engine::v2`
//! request types, ...). Reaching into an engine module (`crate::engine::metrics::...`,
//! `use crate::engine::{admin::X}`, `engine::template::...` after `use crate::engine`)
//! fails this test, and so does the console naming the layers below the engine
//! (`mapping`, `openapi`, `store`): what it needs from them is a `Gateway` method or a
//! management operation, so that an attached console can have it too.

use std::path::{Path, PathBuf};

/// Engine paths that are part of the handle's public surface although they are modules.
const PUBLIC_ENGINE_MODULES: &[&str] = &["v2"];
/// Layers the console may not name at all.
const CONSOLE_FORBIDDEN: &[&str] = &["crate::mapping", "crate::openapi", "crate::store"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The engine paths a line names that are not the handle's public items.
fn violations(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut found = Vec::new();
    for prefix in ["crate::engine::", "super::engine::", " engine::"] {
        let mut rest = code;
        while let Some(at) = rest.find(prefix) {
            let after = &rest[at + prefix.len()..];
            rest = after;
            if let Some(group) = after.strip_prefix('{') {
                // A group: every item must be a root item (no `module::`, no lowercase
                // module name).
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',').map(str::trim).filter(|i| !i.is_empty()) {
                    if !is_public_item(item) {
                        found.push(format!("{prefix}{{{item}}}"));
                    }
                }
                continue;
            }
            let item: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            if !is_public_item(&item) {
                found.push(format!("{prefix}{item}"));
            }
        }
    }
    found
}

/// `Gateway`, `CreateDeployment`, `ACCOUNT_ID`, `v2::CreateApi`: yes; `metrics::X`,
/// `admin`, `template::render`: no.
fn is_public_item(item: &str) -> bool {
    let first = item.split("::").next().unwrap_or("").trim();
    let first = first.split_whitespace().next().unwrap_or("");
    if PUBLIC_ENGINE_MODULES.contains(&first) {
        return true;
    }
    first.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

#[test]
fn the_checker_catches_what_it_should() {
    assert!(violations("use crate::engine::{Actor, Gateway};").is_empty());
    assert!(violations("use crate::engine::v2::{CreateApi, CreateStage};").is_empty());
    assert!(violations("let x = crate::engine::ACCOUNT_ID;").is_empty());
    assert!(violations("// crate::engine::metrics::X in a comment").is_empty());
    assert_eq!(
        violations("use crate::engine::metrics::MAX_WINDOW;"),
        vec!["crate::engine::metrics::MAX_WINDOW"]
    );
    assert_eq!(
        violations("use crate::engine::{Gateway, admin::CreateApiKey};"),
        vec!["crate::engine::{admin::CreateApiKey}"]
    );
    assert_eq!(
        violations("    engine::template::render_sample(x)"),
        vec![" engine::template::render_sample"]
    );
}

#[test]
fn the_console_and_the_server_use_only_the_engines_handle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut problems = Vec::new();
    for (dir, console) in [("src/tui", true), ("src/server", false)] {
        let mut files = Vec::new();
        rust_files(&root.join(dir), &mut files);
        assert!(!files.is_empty(), "no sources under {dir}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            for (n, line) in text.lines().enumerate() {
                for v in violations(line) {
                    problems.push(format!("{shown}:{}: {v}", n + 1));
                }
                let code = line.split("//").next().unwrap_or("");
                if console {
                    for layer in CONSOLE_FORBIDDEN {
                        if code.contains(layer) {
                            problems.push(format!("{shown}:{}: {layer}", n + 1));
                        }
                    }
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "engine internals named outside the engine (add a Gateway method or re-export a public type at the engine's root instead):\n{}",
        problems.join("\n")
    );
}
