//! The engine's modules form no import cycle (phases call services; services never call back
//! into the pipeline): `scripts/engine_cycles.py` over `src/engine`, and a self-check that the
//! script does catch a cycle.

mod common;

use std::path::Path;
use std::process::Command;

fn run(python: &Path, root: Option<&Path>) -> (bool, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/engine_cycles.py");
    let mut cmd = Command::new(python);
    cmd.arg(script);
    if let Some(root) = root {
        cmd.arg("--root").arg(root);
    }
    let out = cmd.output().expect("run python3");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn engine_modules_have_no_import_cycle() {
    let Some(python) = common::require_tool("python3") else {
        return;
    };
    let (ok, text) = run(&python, None);
    assert!(ok, "{text}");
    assert!(text.contains("no import cycles"), "{text}");
}

#[test]
fn the_cycle_check_catches_a_cycle() {
    let Some(python) = common::require_tool("python3") else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(root.join("mod.rs"), "pub mod a;\npub mod b;\n").expect("write");
    std::fs::write(root.join("a.rs"), "use super::b::B;\npub struct A;\n").expect("write");
    std::fs::create_dir(root.join("b")).expect("mkdir");
    std::fs::write(
        root.join("b/mod.rs"),
        "use crate::engine::a::A;\npub struct B;\n",
    )
    .expect("write");
    let (ok, text) = run(&python, Some(root));
    assert!(!ok, "{text}");
    assert!(text.contains("cycle: a, b"), "{text}");
}
