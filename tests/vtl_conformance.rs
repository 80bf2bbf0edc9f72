//! Conformance of the VTL engine and the mapping layer.
//!
//! * `tests/fixtures/vtl/cases/*.json` — API Gateway mapping-template cases (copied from
//!   `shared/conformance/vtl/cases`).
//! * `../shared/conformance/vtl-aws-recorded/recorded.json` — plain Velocity templates rendered
//!   on real API Gateway, read at test time (skipped with a message when absent).
//!
//! Known failures live in `tests/fixtures/vtl/known-failures.txt` (`name: reason` per line;
//! recorded entries are named `aws:<test>#<i>`). A failure not listed fails the test, and so
//! does a listed case that passes.
//!
//! This target runs without libtest's harness (`harness = false` in Cargo.toml) so that its
//! summary lines, `vtl conformance <set>: P/T pass`, are printed on every `cargo test`, not
//! only under `--nocapture`. It exits with status 1 when a set has a surprise.

use std::collections::BTreeMap;
use std::path::Path;

use gwtui::mapping::conformance::render_case;
use gwtui::vtl::{Limits, NoHost, Scope, Template, Value};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vtl");
const RECORDED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/conformance/vtl-aws-recorded/recorded.json"
);

fn known_failures() -> BTreeMap<String, String> {
    let text =
        std::fs::read_to_string(format!("{FIXTURES}/known-failures.txt")).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            // Names may contain ':' (aws:…#i); the reason follows the last ": " separator
            // after the name, so split on the first ": " after any "aws:" prefix.
            let (prefix, rest) = l
                .strip_prefix("aws:")
                .map(|r| ("aws:", r))
                .unwrap_or(("", l));
            rest.split_once(": ")
                .map(|(n, r)| (format!("{prefix}{n}"), r.to_string()))
        })
        .collect()
}

/// Compare outcomes against the known-failures list; returns the surprises (unlisted failures
/// and listed cases that pass), after printing the set's summary line.
fn judge(
    set: &str,
    results: Vec<(String, Result<(), String>)>,
    known: &BTreeMap<String, String>,
) -> Vec<String> {
    let total = results.len();
    let passed = results.iter().filter(|(_, r)| r.is_ok()).count();
    println!("vtl conformance {set}: {passed}/{total} pass");
    let mut problems = Vec::new();
    for (name, r) in &results {
        match (r, known.contains_key(name)) {
            (Err(msg), false) => problems.push(format!("FAIL {name}: {msg}")),
            (Ok(()), true) => problems.push(format!(
                "{name} passes but is listed in known-failures.txt; remove it"
            )),
            (Err(_), true) => println!("known failure {name}: {}", known[name]),
            (Ok(()), false) => {}
        }
    }
    problems
}

fn conformance_cases() -> Vec<String> {
    let known = known_failures();
    let mut files: Vec<_> = std::fs::read_dir(format!("{FIXTURES}/cases"))
        .expect("cases directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    let mut results = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let case: serde_json::Value = serde_json::from_str(&text).unwrap();
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let expected = case["expected"].as_str().unwrap_or_default();
        let r = match render_case(&text) {
            Ok(out) if out == expected => Ok(()),
            Ok(out) => Err(format!(
                "[{}]\n  template: {:?}\n  expected: {expected:?}\n  got:      {out:?}\n  notes: {}",
                case["source"].as_str().unwrap_or(""),
                case["template"].as_str().unwrap_or(""),
                case["notes"].as_str().unwrap_or("")
            )),
            Err(e) => Err(format!("error: {e}")),
        };
        results.push((name, r));
    }
    judge("cases", results, &known)
}

fn without_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn aws_recorded() -> Vec<String> {
    if !Path::new(RECORDED).exists() {
        println!("vtl conformance aws-recorded: skipped ({RECORDED} not found)");
        return Vec::new();
    }
    let known = known_failures();
    let text = std::fs::read_to_string(RECORDED).unwrap();
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let mut results = Vec::new();
    for e in &entries {
        let name = format!(
            "aws:{}#{}",
            e["test"].as_str().unwrap_or("?"),
            e["i"].as_i64().unwrap_or(0)
        );
        let template = e["template"].as_str().unwrap_or_default();
        let rendered = Template::parse(template)
            .map_err(|err| format!("parse error: {err}"))
            .and_then(|t| {
                let mut scope = Scope::new();
                if let Some(ctx) = e["context"].as_object() {
                    for (k, v) in ctx {
                        scope.set(k, Value::from_json(v));
                    }
                }
                t.render(&mut scope, &NoHost, &Limits::default())
                    .map_err(|err| format!("render error: {err}"))
            });
        let aws = &e["aws"];
        let r = rendered.and_then(|out| {
            let ok = match aws {
                serde_json::Value::String(want) => {
                    if e["ignore_ws"].as_bool() == Some(true) {
                        without_ws(&out) == without_ws(want)
                    } else {
                        &out == want
                    }
                }
                // The recorder parsed JSON-looking output: compare as JSON.
                want => {
                    serde_json::from_str::<serde_json::Value>(&out)
                        .ok()
                        .as_ref()
                        == Some(want)
                }
            };
            if ok {
                Ok(())
            } else {
                Err(format!(
                    "\n  template: {template:?}\n  aws: {aws}\n  got: {out:?}"
                ))
            }
        });
        results.push((name, r));
    }
    judge("aws-recorded", results, &known)
}

fn main() {
    // `cargo test -- --list` (and tools built on it) expects libtest's listing format.
    if std::env::args().any(|a| a == "--list") {
        println!("conformance_cases: test\naws_recorded: test");
        return;
    }
    let mut problems = conformance_cases();
    problems.extend(aws_recorded());
    if !problems.is_empty() {
        eprintln!("{}", problems.join("\n\n"));
        eprintln!("vtl conformance: {} surprise(s)", problems.len());
        std::process::exit(1);
    }
}
