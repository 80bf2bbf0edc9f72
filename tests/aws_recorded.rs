//! Control-plane responses recorded on real AWS, replayed against gwtui over loopback HTTP.
//!
//! `tests/fixtures/aws_recorded/*.json` hold cases: a sequence of management calls, each with
//! the status, error type, message and body AWS answered. Every case names its provenance
//! (`source`): localstack's `tests/aws/services/apigateway/*.snapshot.json`, recorded on real
//! AWS (`@markers.aws.validated`), AWS's documentation, or (for apigatewayv2, which has no
//! public AWS-validated snapshots) real AWS answers quoted in public issue threads. The
//! requests are the ones those tests made (from their `.py`); the bodies are the snapshots'
//! with botocore's renames undone (`items` → the wire's `item`, `ResponseMetadata`/`Error`
//! dropped).
//!
//! Comparison, after normalising: `"<any>"` matches any present value, `"<date>"` any number
//! (AWS's epoch seconds), `"<id:name>"` any string and binds it (later steps use `{name}` in
//! paths, bodies and messages; `{name:upper}` in capitals), `{account}` is gwtui's account id;
//! an object where gwtui answers a string (a model's `schema`) is compared with that string
//! parsed, as the snapshots store it. Objects must have the same keys (a missing default or an
//! extra field both fail); arrays are compared in order.
//!
//! A step may name a member to sort the answer's `item` list by (`"sort"`), for lists the
//! recording test sorted before storing them. A step may send `"headers"` (e.g. `accept`) and check `"response_headers"` (exact values,
//! header names in lower case; `GetExport`'s `content-type` and `content-disposition`).
//!
//! A step marked `"setup": true` only prepares the next ones: it must succeed but is not
//! counted. Known differences are listed in `known-failures.txt` (`case#step: reason`); a
//! failure not listed fails this target, and so does a listed step that passes. Like
//! `vtl_conformance`, it runs without libtest (`harness = false`) so that its summary,
//! `aws recorded: P/T pass`, is printed on every `cargo test`.

mod common;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aws_recorded");

struct Outcome {
    name: String,
    result: Result<(), String>,
}

fn known_failures() -> BTreeMap<String, String> {
    std::fs::read_to_string(format!("{FIXTURES}/known-failures.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(": ")
                .map(|(n, r)| (n.to_string(), r.to_string()))
        })
        .collect()
}

/// Replaces `{name}` with bound values in text, and `{name:upper}` with the value upper-cased
/// (a recorded test that sends an id in capitals).
fn fill(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (k, v) in vars {
        out = out
            .replace(&format!("{{{k}}}"), v)
            .replace(&format!("{{{k}:upper}}"), &v.to_uppercase());
    }
    out
}

fn fill_value(v: &Value, vars: &HashMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(fill(s, vars)),
        Value::Array(a) => Value::Array(a.iter().map(|x| fill_value(x, vars)).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| (fill(k, vars), fill_value(x, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Compares `got` with the recorded `want`, binding `<id:name>` placeholders. Arrays under a
/// member named in `sorted` (a case's `"sort_members"`, for lists the recording test sorted
/// with a SortingTransformer) are compared sorted.
fn compare(
    want: &Value,
    got: &Value,
    at: &str,
    vars: &mut HashMap<String, String>,
    sorted: &[String],
) -> Result<(), String> {
    match (want, got) {
        // A reference inside a longer string (`"{name-2} Schema"`) to an id bound earlier in
        // the same answer.
        (Value::String(w), Value::String(g)) if w.contains('{') && fill(w, vars) == *g => Ok(()),
        (Value::String(w), _) if w == "<any>" => Ok(()),
        (Value::String(w), Value::Number(_)) if w == "<date>" => Ok(()),
        (Value::String(w), Value::String(g)) if w.starts_with("<id:") && w.ends_with('>') => {
            let name = &w[4..w.len() - 1];
            match vars.get(name) {
                Some(bound) if bound != g => Err(format!("{at}: {g:?} but {name} is {bound:?}")),
                _ => {
                    vars.insert(name.to_string(), g.clone());
                    Ok(())
                }
            }
        }
        // The snapshots keep JSON-in-a-string members (a model's `schema`) parsed.
        (Value::Object(_), Value::String(g)) => match serde_json::from_str::<Value>(g) {
            Ok(parsed) => compare(want, &parsed, at, vars, sorted),
            Err(_) => Err(format!("{at}: got {g:?}, AWS {want}")),
        },
        (Value::Object(w), Value::Object(g)) => {
            let missing: Vec<&String> = w.keys().filter(|k| !g.contains_key(*k)).collect();
            let extra: Vec<&String> = g.keys().filter(|k| !w.contains_key(*k)).collect();
            if !missing.is_empty() || !extra.is_empty() {
                return Err(format!("{at}: missing {missing:?}, extra {extra:?}"));
            }
            for (k, wv) in w {
                let at = format!("{at}/{k}");
                match (wv, &g[k]) {
                    (Value::Array(wa), Value::Array(ga)) if sorted.contains(k) => {
                        let key = |v: &Value| v.to_string();
                        let (mut wa, mut ga) = (wa.clone(), ga.clone());
                        wa.sort_by_key(key);
                        ga.sort_by_key(key);
                        compare(&Value::Array(wa), &Value::Array(ga), &at, vars, sorted)?;
                    }
                    (wv, gv) => compare(wv, gv, &at, vars, sorted)?,
                }
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Err(format!("{at}: {} items, AWS {}", g.len(), w.len()));
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                compare(wv, gv, &format!("{at}/{i}"), vars, sorted)?;
            }
            Ok(())
        }
        _ if want == got => Ok(()),
        _ => Err(format!("{at}: got {got}, AWS {want}")),
    }
}

/// TestInvokeMethod's answer as localstack's `apigw_test_invoke_response_formatter` stores it:
/// `log` split into `line00`.. with each line's time prefix (`Mon Dec 07 19:04:29 UTC 2026 :`)
/// replaced by `DDD MMM dd hh:mm:ss UTC yyyy :` and the request id (the last word of the first
/// line) by `<request-id>`.
fn normalise_test_invoke(body: &mut Value) {
    let Some(log) = body.get("log").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let request_id = log
        .lines()
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_default()
        .to_string();
    let time =
        regex::Regex::new(r"[a-zA-Z]{3}\s[a-zA-Z]{3}\s\d{2}\s\d{2}:\d{2}:\d{2}\sUTC\s\d{4} :")
            .expect("a valid regex");
    let lines: serde_json::Map<String, Value> = log
        .split('\n')
        .enumerate()
        .map(|(i, line)| {
            let mut line = time
                .replace_all(line, "DDD MMM dd hh:mm:ss UTC yyyy :")
                .into_owned();
            if !request_id.is_empty() {
                line = line.replace(&request_id, "<request-id>");
            }
            (format!("line{i:02}"), Value::String(line))
        })
        .collect();
    body["log"] = Value::Object(lines);
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    step: &Value,
    vars: &HashMap<String, String>,
) -> (u16, Option<String>, Value, reqwest::header::HeaderMap) {
    let request = step["request"].as_array().cloned().unwrap_or_default();
    let method = request.first().and_then(Value::as_str).unwrap_or("GET");
    let path = fill(request.get(1).and_then(Value::as_str).unwrap_or("/"), vars);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut req = client.request(method, format!("{base}{path}"));
    for (name, value) in step["headers"].as_object().into_iter().flatten() {
        req = req.header(name.as_str(), value.as_str().unwrap_or_default());
    }
    match request.get(2) {
        Some(Value::String(raw)) => req = req.body(fill(raw, vars)),
        Some(body) => {
            req = req
                .header("content-type", "application/json")
                .body(fill_value(body, vars).to_string())
        }
        None => {}
    }
    let Ok(resp) = req.send().await else {
        return (0, None, Value::Null, reqwest::header::HeaderMap::new());
    };
    let headers = resp.headers().clone();
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|s| s.split(':').next().unwrap_or(s).to_string());
    let text = resp.text().await.unwrap_or_default();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, kind, body, headers)
}

async fn run_case(case: &Value, outcomes: &mut Vec<Outcome>) {
    let t = common::TestGateway::start().await;
    let base = t.base();
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("account".into(), gwtui::engine::ACCOUNT_ID.to_string());
    let name = case["name"].as_str().unwrap_or("?");
    let mut broken: Option<String> = None;
    for (i, step) in case["steps"].as_array().into_iter().flatten().enumerate() {
        let step_name = format!(
            "{name}#{}",
            step["name"]
                .as_str()
                .map(str::to_string)
                .unwrap_or(i.to_string())
        );
        let setup = step["setup"].as_bool() == Some(true);
        if let Some(why) = &broken {
            if !setup {
                outcomes.push(Outcome {
                    name: step_name,
                    result: Err(format!("not run: {why}")),
                });
            }
            continue;
        }
        let (status, kind, mut body, headers) = call(&t.client, &base, step, &vars).await;
        if step["test_invoke"].as_bool() == Some(true) {
            normalise_test_invoke(&mut body);
        }
        // Lists a test sorted before recording (`"sort": "member"`) are compared sorted.
        if let (Some(key), Some(items)) = (
            step["sort"].as_str(),
            body.get_mut("item").and_then(Value::as_array_mut),
        ) {
            items.sort_by(|a, b| a[key].to_string().cmp(&b[key].to_string()));
        }
        let mut result = Ok(());
        let want_status = step["status"].as_u64().unwrap_or(200) as u16;
        if status != want_status {
            result = Err(format!(
                "status {status} ({kind:?} {body}), AWS {want_status}"
            ));
        } else if let Some(want) = step["error"].as_str()
            && kind.as_deref() != Some(want)
        {
            result = Err(format!("error type {kind:?}, AWS {want}"));
        } else if let Some(want) = step["message"].as_str() {
            let want = fill(want, &vars);
            let got = body["message"].as_str().or(body["Message"].as_str());
            if got != Some(want.as_str()) {
                result = Err(format!("message {got:?}, AWS {want:?}"));
            }
        } else if let Some(want) = step.get("body") {
            let want = fill_value(want, &vars);
            let sorted: Vec<String> = case["sort_members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            result = compare(&want, &body, "", &mut vars, &sorted);
        }
        for (name, want) in step["response_headers"].as_object().into_iter().flatten() {
            let got = headers.get(name.as_str()).and_then(|v| v.to_str().ok());
            if result.is_ok() && got != want.as_str() {
                result = Err(format!("header {name}: {got:?}, AWS {want}"));
            }
        }
        if let Some(save) = step["save"].as_object() {
            for (var, pointer) in save {
                if let Some(v) = pointer.as_str().and_then(|p| body.pointer(p)) {
                    let v = v.as_str().map(str::to_string).unwrap_or(v.to_string());
                    vars.insert(var.clone(), v);
                }
            }
        }
        if setup {
            if let Err(e) = result {
                broken = Some(format!("setup step {step_name} failed: {e}"));
            }
        } else {
            outcomes.push(Outcome {
                name: step_name,
                result,
            });
        }
    }
    t.stop().await;
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("aws_recorded: test");
        return;
    }
    common::init();
    let mut files: Vec<_> = std::fs::read_dir(FIXTURES)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    // GWTUI_AWS_RECORDED_ONLY=imports replays only the fixture files whose name contains it
    // (while porting); the figure then counts those alone.
    if let Ok(only) = std::env::var("GWTUI_AWS_RECORDED_ONLY") {
        files.retain(|p| p.to_string_lossy().contains(only.as_str()));
    }
    files.sort();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut outcomes = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let cases: Vec<Value> =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for case in &cases {
            runtime.block_on(run_case(case, &mut outcomes));
        }
    }
    let total = outcomes.len();
    let passed = outcomes.iter().filter(|o| o.result.is_ok()).count();
    println!("aws recorded: {passed}/{total} pass");
    let known = known_failures();
    let mut surprises = Vec::new();
    for o in &outcomes {
        match (&o.result, known.contains_key(&o.name)) {
            (Err(e), false) => surprises.push(format!("FAIL {}: {e}", o.name)),
            (Ok(()), true) => surprises.push(format!(
                "PASS {} is listed in known-failures.txt: remove it",
                o.name
            )),
            _ => {}
        }
    }
    if std::env::var_os("GWTUI_AWS_RECORDED_VERBOSE").is_some() {
        for o in &outcomes {
            if let Err(e) = &o.result {
                eprintln!("{}: {e}", o.name);
            }
        }
    }
    if !surprises.is_empty() {
        eprintln!("{}", surprises.join("\n"));
        eprintln!("aws recorded: {} surprise(s)", surprises.len());
        std::process::exit(1);
    }
}
