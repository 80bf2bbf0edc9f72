//! VTL render benchmarks on realistic inputs (`cargo bench --bench vtl`); figures in
//! `docs/PERFORMANCE.md`. Templates are parsed once, as a deployment does; only rendering is
//! measured.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use gwtui::mapping::{RequestData, render_request_template, render_response_template};
use gwtui::vtl::Template;
use indexmap::IndexMap;

const PASSTHROUGH: &str = include_str!("method-request-passthrough.vtl");

/// AWS's array-mapping idiom (developer guide, "PetStore" response mapping).
const ARRAY_MAPPING: &str = r#"#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    "description" : "Item $elem.id is a $elem.type.",
    "name" : "$util.escapeJavaScript($elem.name)",
    "askingPrice" : $elem.price,
    "inStock" : #if($elem.stock > 0)true#{else}false#end
  }#if($foreach.hasNext),#end
#end
]"#;

/// The same loop re-reading each element through `$input.json` (a JSONPath query per item).
const ARRAY_MAPPING_INPUT_JSON: &str = r#"#set($inputRoot = $input.path('$'))
{
  "count": $inputRoot.items.size(),
  "items": [
#foreach($elem in $inputRoot.items)
    {"id": "$elem.id", "tags": $input.json("$.items[$foreach.index].tags")}#if($foreach.hasNext),#end
#end
  ]
}"#;

const JSON_TO_XML: &str = r#"#set($inputRoot = $input.path('$'))
<?xml version="1.0" encoding="UTF-8"?>
<pets>
#foreach($elem in $inputRoot)
  <pet id="$elem.id"><type>$elem.type</type><price>$elem.price</price></pet>
#end
</pets>"#;

fn context() -> serde_json::Value {
    serde_json::json!({
        "accountId": "123456789012", "apiId": "a1b2c3d4e5", "httpMethod": "POST",
        "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "resourceId": "x1y2z3",
        "resourcePath": "/pets/{petId}", "stage": "prod",
        "authorizer": {"principalId": "user-123"},
        "identity": {"accountId": "123456789012", "apiKey": "MyTestKey", "caller": "AIDACKCEVSQ6C2EXAMPLE",
                     "sourceIp": "198.51.100.7", "userAgent": "curl/8.4.0"}
    })
}

fn request(body: String) -> RequestData {
    RequestData {
        body,
        path: vec![("petId".into(), "42".into())],
        querystring: vec![
            ("verbose".into(), "true".into()),
            ("page".into(), "2".into()),
        ],
        headers: vec![
            ("Accept".into(), "application/json".into()),
            ("Content-Type".into(), "application/json".into()),
            ("User-Agent".into(), "curl/8.4.0".into()),
            ("X-Request-Id".into(), "abc-123".into()),
        ],
    }
}

fn stage() -> IndexMap<String, String> {
    [
        ("env", "prod"),
        ("version", "v2"),
        ("backend", "api.example.com"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn items(n: usize) -> serde_json::Value {
    serde_json::Value::Array(
        (0..n)
            .map(|i| {
                let kind = ["dog", "cat", "fish"][i % 3];
                serde_json::json!({
                    "id": i, "type": kind, "name": format!("Pet \"{i}\""),
                    "price": 10.5 + i as f64, "stock": i % 4, "tags": ["a", "b"]
                })
            })
            .collect(),
    )
}

/// CPU time consumed by this thread. The build box is shared (2 cores, other builds), so
/// besides wall time each benchmark is also measured in thread CPU time, which other
/// processes cannot inflate.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always
    // supported on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Register `name` (wall time) and `name/cpu` (thread CPU time) for `f`.
fn bench_both<O>(c: &mut Criterion, name: &str, mut f: impl FnMut() -> O) {
    c.bench_function(name, |b| b.iter(&mut f));
    c.bench_function(&format!("{name}/cpu"), |b| {
        b.iter_custom(|iters| {
            let start = thread_cpu_time();
            for _ in 0..iters {
                black_box(f());
            }
            thread_cpu_time() - start
        })
    });
}

fn benches(c: &mut Criterion) {
    let ctx = context();
    let vars = stage();

    let t = Template::parse(PASSTHROUGH).expect("passthrough parses");
    let req = request(
        r#"{"name": "Bella", "age": 3, "owner": {"name": "Ana", "tags": ["x", "y"]}}"#.into(),
    );
    let out = render_request_template(&t, &req, &ctx, &vars).expect("renders");
    assert!(
        out.body.contains(r#""User-Agent" : "curl\/8.4.0""#),
        "passthrough renders headers"
    );
    bench_both(c, "method-request-passthrough", || {
        render_request_template(black_box(&t), &req, &ctx, &vars).expect("renders")
    });

    let t = Template::parse(ARRAY_MAPPING).expect("array mapping parses");
    let body = items(50).to_string();
    let req = request(String::new());
    let out = render_response_template(&t, &body, &req, &ctx, &vars).expect("renders");
    assert!(
        out.body.contains("Item 49 is a"),
        "array mapping renders all items"
    );
    bench_both(c, "foreach-50-items", || {
        render_response_template(black_box(&t), &body, &req, &ctx, &vars).expect("renders")
    });

    let t = Template::parse(ARRAY_MAPPING_INPUT_JSON).expect("input.json mapping parses");
    let body = serde_json::json!({ "items": items(50) }).to_string();
    let out = render_response_template(&t, &body, &req, &ctx, &vars).expect("renders");
    assert!(
        out.body.contains(r#""tags": ["a","b"]"#),
        "input.json variant renders tags"
    );
    bench_both(c, "foreach-50-items-input-json", || {
        render_response_template(black_box(&t), &body, &req, &ctx, &vars).expect("renders")
    });

    let t = Template::parse(JSON_TO_XML).expect("json-to-xml parses");
    let body = items(20).to_string();
    let out = render_response_template(&t, &body, &req, &ctx, &vars).expect("renders");
    assert!(
        out.body.contains(r#"<pet id="19"><type>"#),
        "json-to-xml renders all items"
    );
    bench_both(c, "json-to-xml-20-items", || {
        render_response_template(black_box(&t), &body, &req, &ctx, &vars).expect("renders")
    });
}

criterion_group!(vtl, benches);
criterion_main!(vtl);
