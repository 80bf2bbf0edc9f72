//! VTL render benchmarks on realistic inputs (`cargo bench --bench vtl`); figures in
//! `docs/PERFORMANCE.md`. Templates are parsed once, as a deployment does; only rendering is
//! measured.

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
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

/// One benchmark: a name and the work of one iteration.
type Case<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// The benchmarked work, shared by criterion and the two lightweight modes below.
struct Fixtures {
    ctx: serde_json::Value,
    vars: IndexMap<String, String>,
    passthrough: (Template, RequestData),
    array: (Template, String),
    array_input_json: (Template, String),
    xml: (Template, String),
    empty: RequestData,
}

impl Fixtures {
    fn new() -> Self {
        let ctx = context();
        let vars = stage();
        let empty = request(String::new());

        let t = Template::parse(PASSTHROUGH).expect("passthrough parses");
        let req = request(
            r#"{"name": "Bella", "age": 3, "owner": {"name": "Ana", "tags": ["x", "y"]}}"#.into(),
        );
        let out = render_request_template(&t, &req, &ctx, &vars).expect("renders");
        assert!(
            out.body.contains(r#""User-Agent" : "curl\/8.4.0""#),
            "passthrough renders headers"
        );
        let passthrough = (t, req);

        let t = Template::parse(ARRAY_MAPPING).expect("array mapping parses");
        let body = items(50).to_string();
        let out = render_response_template(&t, &body, &empty, &ctx, &vars).expect("renders");
        assert!(
            out.body.contains("Item 49 is a"),
            "array mapping renders all items"
        );
        let array = (t, body);

        let t = Template::parse(ARRAY_MAPPING_INPUT_JSON).expect("input.json mapping parses");
        let body = serde_json::json!({ "items": items(50) }).to_string();
        let out = render_response_template(&t, &body, &empty, &ctx, &vars).expect("renders");
        assert!(
            out.body.contains(r#""tags": ["a","b"]"#),
            "input.json variant renders tags"
        );
        let array_input_json = (t, body);

        let t = Template::parse(JSON_TO_XML).expect("json-to-xml parses");
        let body = items(20).to_string();
        let out = render_response_template(&t, &body, &empty, &ctx, &vars).expect("renders");
        assert!(
            out.body.contains(r#"<pet id="19"><type>"#),
            "json-to-xml renders all items"
        );
        let xml = (t, body);

        Fixtures {
            ctx,
            vars,
            passthrough,
            array,
            array_input_json,
            xml,
            empty,
        }
    }

    fn cases(&self) -> Vec<Case<'_>> {
        let (ctx, vars, empty) = (&self.ctx, &self.vars, &self.empty);
        fn response<'a>(
            (t, body): &'a (Template, String),
            empty: &'a RequestData,
            ctx: &'a serde_json::Value,
            vars: &'a IndexMap<String, String>,
        ) -> Box<dyn FnMut() + 'a> {
            Box::new(move || {
                black_box(
                    render_response_template(black_box(t), body, empty, ctx, vars)
                        .expect("renders"),
                );
            })
        }
        let (pt, preq) = &self.passthrough;
        let body = self.array.1.as_str();
        vec![
            (
                "method-request-passthrough",
                Box::new(move || {
                    black_box(
                        render_request_template(black_box(pt), preq, ctx, vars).expect("renders"),
                    );
                }),
            ),
            ("foreach-50-items", response(&self.array, empty, ctx, vars)),
            (
                "foreach-50-items-input-json",
                response(&self.array_input_json, empty, ctx, vars),
            ),
            (
                "json-to-xml-20-items",
                response(&self.xml, empty, ctx, vars),
            ),
            // The 4.1 KB body of `foreach-50-items` parsed alone: into a `serde_json::Value`
            // (the baseline a good general-purpose parser sets), into VTL values and into a
            // lazy document.
            (
                "parse-4k/serde_json-value",
                Box::new(move || {
                    black_box(
                        serde_json::from_str::<serde_json::Value>(black_box(body)).expect("json"),
                    );
                }),
            ),
            (
                "parse-4k/vtl-values",
                Box::new(move || {
                    black_box(gwtui::vtl::value::parse_json(black_box(body)).expect("json"));
                }),
            ),
            // … and into the lazy document `$input.path('$')` hands out now.
            (
                "parse-4k/lazy-doc",
                Box::new(move || {
                    black_box(gwtui::vtl::json::JsonDoc::parse(black_box(body)).expect("json"));
                }),
            ),
        ]
    }
}

fn benches(c: &mut Criterion) {
    let fx = Fixtures::new();
    for (name, mut f) in fx.cases() {
        bench_both(c, name, &mut f);
    }
}

/// `VTL_QUICK=rounds` (default 15): per case, `rounds` samples of enough iterations for
/// ~20 ms each, interleaved across cases; prints the median thread-CPU time per iteration.
/// Cheap enough to run two builds back to back (A/B/A/B) under the same load.
fn quick(rounds: usize) {
    let fx = Fixtures::new();
    let mut cases = fx.cases();
    // Calibrate: iterations per sample so that one sample takes ~20 ms of CPU.
    let iters: Vec<u32> = cases
        .iter_mut()
        .map(|(_, f)| {
            let start = thread_cpu_time();
            let mut n = 0u32;
            while thread_cpu_time() - start < Duration::from_millis(20) {
                f();
                n += 1;
            }
            n.max(1)
        })
        .collect();
    let mut samples = vec![Vec::with_capacity(rounds); cases.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in cases.iter_mut().enumerate() {
            let start = thread_cpu_time();
            for _ in 0..iters[i] {
                f();
            }
            let per = (thread_cpu_time() - start).as_secs_f64() * 1e6 / f64::from(iters[i]);
            samples[i].push(per);
        }
    }
    for ((name, _), s) in cases.iter().zip(samples.iter_mut()) {
        s.sort_by(f64::total_cmp);
        let (lo, med, hi) = (s[0], s[s.len() / 2], s[s.len() - 1]);
        println!("{name:32} median {med:8.2} us CPU  (min {lo:.2}, max {hi:.2})");
    }
}

/// `VTL_PROFILE=name:iterations`: run one case that many times and exit (for
/// `valgrind --tool=callgrind`, whose instruction counts do not depend on the load; run it
/// with two iteration counts and divide the difference to get instructions per render).
fn profile(spec: &str) {
    let (name, n) = spec.split_once(':').unwrap_or((spec, "1000"));
    let n: u64 = n.parse().expect("VTL_PROFILE=name:iterations");
    let fx = Fixtures::new();
    let mut cases = fx.cases();
    let (_, f) = cases
        .iter_mut()
        .find(|(c, _)| *c == name)
        .unwrap_or_else(|| panic!("no benchmark named {name}"));
    for _ in 0..n {
        f();
    }
}

fn main() {
    if let Ok(spec) = std::env::var("VTL_PROFILE") {
        return profile(&spec);
    }
    if let Ok(rounds) = std::env::var("VTL_QUICK") {
        return quick(rounds.parse().unwrap_or(15));
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
