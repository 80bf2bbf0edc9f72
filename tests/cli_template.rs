//! `gwtui template render`: the offline template tester prints exactly the rendered text, and
//! errors go to stderr with line and column and exit status 2.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_gwtui");

#[test]
fn renders_every_conformance_case_exactly() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/vtl/cases");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let out = Command::new(BIN)
            .args(["template", "render", "--case"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap(),
            case["expected"].as_str().unwrap(),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 100, "only {checked} cases found");
}

#[test]
fn flags_form_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("t.vtl");
    let body = dir.path().join("b.json");
    std::fs::write(&template, r#"{"n": $input.json('$.a'), "h": "$input.params('X-A')", "q": "$input.params('q')", "p": "$input.params('id')", "s": "$stageVariables.s"}"#).unwrap();
    std::fs::write(&body, r#"{"a": [1, 2]}"#).unwrap();
    let out = Command::new(BIN)
        .args(["template", "render", "--template"])
        .arg(&template)
        .arg("--body")
        .arg(&body)
        .args([
            "--header",
            "X-A=1",
            "--query",
            "q=x",
            "--path",
            "id=7",
            "--stage-var",
            "s=v",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        r#"{"n": [1,2], "h": "1", "q": "x", "p": "7", "s": "v"}"#
    );

    std::fs::write(&template, "line one\n#if($a\nx").unwrap();
    let out = Command::new(BIN)
        .args(["template", "render", "--template"])
        .arg(&template)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("line 3, column 1"), "{err}");
}
