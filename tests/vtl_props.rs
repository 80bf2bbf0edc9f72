//! Property tests: random templates and random JSON inputs never panic, and rendering always
//! ends (successfully or with a typed error) within the configured caps.

use std::time::{Duration, Instant};

use gwtui::mapping::{RequestData, render_request_template, render_response_template};
use gwtui::vtl::{Limits, NoHost, Scope, Template, Value};
use indexmap::IndexMap;
use proptest::prelude::*;

/// Fragments that exercise every syntactic corner, glued together at random.
const FRAGMENTS: &[&str] = &[
    "$a",
    "$!a",
    "${a}",
    "$!{a}",
    "$a.b",
    "$a.b(",
    "$a[0]",
    "$a['k']",
    "$input.json('$.x')",
    "$input.path('$')",
    "$input.params()",
    "$input.params('q')",
    "$util.escapeJavaScript(",
    "$util.parseJson($input.body)",
    "$context.x",
    "$stageVariables.s",
    "#set($a = ",
    "#set($a.b = ",
    "#if(",
    "#elseif(",
    "#else",
    "#{else}",
    "#end",
    "#{end}",
    "#foreach($i in ",
    "#break",
    "#stop",
    "#define($d)",
    "#macro(m $x)",
    "#m(1)",
    "$d",
    "$foreach.index",
    "$foreach.hasNext",
    "$velocityCount",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "[1..5]",
    "[5..1]",
    "'s'",
    "\"$a s\"",
    "\"",
    "'",
    ",",
    ":",
    " == ",
    " != ",
    " && ",
    " || ",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    "!",
    "not ",
    " and ",
    " < ",
    "1",
    "-2",
    "3.5",
    ".5",
    "true",
    "false",
    "null",
    "\n",
    " ",
    "\t",
    "\r\n",
    "## c\n",
    "#* c *#",
    "#[[raw]]#",
    "\\",
    "\\$a",
    "\\#end",
    "text",
    "é",
    "👋",
    "#",
    "$",
    ".size()",
    ".add($a)",
    ".put('k', $a)",
    ".split(',')",
    ".replaceAll('a', 'b')",
    ".substring(1)",
    ".keySet()",
    ".entrySet()",
    ".toString()",
    ".length()",
    ".matches('.*')",
];

fn template() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat()),
        1 => ".{0,120}",
    ]
}

fn json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        (-1e30f64..1e30).prop_map(serde_json::Value::from),
        ".{0,12}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..6)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn small_limits() -> Limits {
    Limits {
        max_loop_iterations: 50,
        max_steps: 20_000,
        max_output: 64 * 1024,
        max_collection: 1_000,
        max_depth: 8,
        max_nesting: 128,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_templates_never_panic_and_terminate(src in template(), a in json()) {
        let Ok(t) = Template::parse(&src) else { return Ok(()) };
        let mut scope = Scope::new();
        scope.set("a", Value::from_json(&a));
        let started = Instant::now();
        let _ = t.render(&mut scope, &NoHost, &small_limits());
        prop_assert!(started.elapsed() < Duration::from_secs(5), "render took {:?}", started.elapsed());
    }

    #[test]
    fn random_templates_with_random_json_inputs(src in template(), body in json(), ctx in json()) {
        let Ok(t) = Template::parse(&src) else { return Ok(()) };
        let req = RequestData {
            body: body.to_string(),
            path: vec![("id".into(), "1".into())],
            querystring: vec![("q".into(), "x".into()), ("q".into(), "y".into())],
            headers: vec![("Accept".into(), "*/*".into())],
        };
        let mut vars = IndexMap::new();
        vars.insert("s".to_string(), "v".to_string());
        let started = Instant::now();
        let _ = render_request_template(&t, &req, &ctx, &vars);
        let _ = render_response_template(&t, &body.to_string(), &req, &ctx, &vars);
        prop_assert!(started.elapsed() < Duration::from_secs(10), "render took {:?}", started.elapsed());
    }

    #[test]
    fn parse_errors_point_inside_the_template(src in template()) {
        if let Err(e) = Template::parse(&src) {
            let lines = src.split('\n').count() as u32;
            prop_assert!(e.line >= 1 && e.line <= lines.max(1), "{e} for {src:?}");
            prop_assert!(e.column >= 1);
        }
    }

    #[test]
    fn text_without_syntax_renders_verbatim(s in "[^$#\\\\]{0,200}") {
        let t = Template::parse(&s).unwrap();
        let mut scope = Scope::new();
        prop_assert_eq!(t.render(&mut scope, &NoHost, &Limits::default()).unwrap(), s);
    }
}
