//! Unit tests of the mapping layer (the conformance suite covers most behaviour).
use super::*;

fn req(body: &str) -> RequestData {
    RequestData {
        body: body.to_string(),
        ..Default::default()
    }
}

#[test]
fn request_overrides_are_captured() {
    let t = Template::parse(
        "#set($context.requestOverride.header.X-Target = \"A\")#set($context.requestOverride.querystring.page = 2)ok",
    )
    .unwrap();
    let r =
        render_request_template(&t, &req(""), &serde_json::json!({}), &IndexMap::new()).unwrap();
    assert_eq!(r.body, "ok");
    assert_eq!(
        r.overrides.headers,
        vec![("X-Target".to_string(), "A".to_string())]
    );
    assert_eq!(
        r.overrides.querystring,
        vec![("page".to_string(), "2".to_string())]
    );
}

#[test]
fn response_status_override_must_be_a_valid_status() {
    let render = |src: &str| {
        let t = Template::parse(src).unwrap();
        render_response_template(&t, "{}", &req(""), &serde_json::json!({}), &IndexMap::new())
            .unwrap()
            .overrides
    };
    assert_eq!(
        render("#set($context.responseOverride.status = 404)").status,
        Some(404)
    );
    assert_eq!(
        render("#set($context.responseOverride.status = '201')").status,
        Some(201)
    );
    assert_eq!(
        render("#set($context.responseOverride.status = 42)").status,
        None
    );
    assert_eq!(
        render("#set($context.responseOverride.status = 'x')").status,
        None
    );
}

#[test]
fn response_templates_read_the_integration_body_and_method_params() {
    let t = Template::parse("$input.path('$.a')|$input.params('id')").unwrap();
    let mut r = req("{\"a\": 0}");
    r.path.push(("id".into(), "7".into()));
    let out = render_response_template(
        &t,
        "{\"a\": 1}",
        &r,
        &serde_json::json!({}),
        &IndexMap::new(),
    )
    .unwrap();
    assert_eq!(out.body, "1|7");
}

#[test]
fn method_failures_surface_as_render_errors() {
    let t = Template::parse("x\n $util.parseJson('{oops')").unwrap();
    let e = render_request_template(&t, &req(""), &serde_json::json!({}), &IndexMap::new())
        .unwrap_err();
    assert!(
        matches!(e, RenderError::Method { pos, .. } if pos.line == 2 && pos.col == 2),
        "{e:?}"
    );
}

#[test]
fn conformance_helpers_render_parts_and_report_positions() {
    use super::conformance::{CaseError, Flavour, render_case, render_parts};
    let out = render_parts(
        "$input.params('h')|$input.params('q')|$input.params('p')|$stageVariables.s|$input.path('$.a')|$context.stage",
        "{\"a\": 5}",
        &[("h".into(), "H".into())],
        &[("q".into(), "Q".into())],
        &[("p".into(), "P".into())],
        &[("s".into(), "S".into())],
        Flavour::Request,
    )
    .unwrap();
    assert_eq!(out, "H|Q|P|S|5|test");
    let err =
        render_case(r##"{"name": "x", "template": "ok\n  #if($a)", "expected": ""}"##).unwrap_err();
    assert!(
        matches!(err, CaseError::Parse(ref e) if e.line == 2 && e.column == 3),
        "{err}"
    );
    assert!(err.to_string().contains("line 2, column 3"), "{err}");
    assert!(matches!(
        render_case("not json"),
        Err(CaseError::Invalid(_))
    ));
}

#[test]
fn input_path_root_is_a_fresh_object_per_call_and_mutations_are_shared() {
    let t = Template::parse(
        "#set($a = $input.path('$'))#set($b = $input.path('$'))#set($c = $a)\
         #set($x = $a.items[0].put('id', 9))#set($x = $c.items.add('z'))\
         $a|$b|$c.items[0].id|$b.items[0].id",
    )
    .unwrap();
    let r = render_request_template(
        &t,
        &req(r#"{"items": [{"id": 1}], "s": "x\"y"}"#),
        &serde_json::json!({}),
        &IndexMap::new(),
    )
    .unwrap();
    assert_eq!(
        r.body,
        r#"{items=[{"id":9},"z"], s=x"y}|{items=[{"id":1}], s=x"y}|9|1"#
    );
}

#[test]
fn lazy_json_written_into_context_overrides_is_read() {
    let t = Template::parse(
        "#set($context.requestOverride.header = $input.path('$'))\
         #set($context.requestOverride.querystring = $util.parseJson('{\"q\": 1}'))ok",
    )
    .unwrap();
    let r = render_request_template(
        &t,
        &req(r#"{"X-A": "a", "X-B": 2}"#),
        &serde_json::json!({}),
        &IndexMap::new(),
    )
    .unwrap();
    assert_eq!(
        r.overrides.headers,
        vec![("X-A".into(), "a".into()), ("X-B".into(), "2".into())]
    );
    assert_eq!(r.overrides.querystring, vec![("q".into(), "1".into())]);
}

/// `$util.escapeJavaScript($o.k)` with `$o` a lazy JSON object hands the string's text to
/// the host (`write_call_str`): same output as through a string value, for plain and
/// escaped strings, and the general path for non-strings, absent keys and materialised
/// objects.
#[test]
fn escape_javascript_of_lazy_json_strings() {
    let body = r#"{"a":"plain","b":"q\"u\\o/t\u00e9\n","c":5,"d":null,"e":[1],"f":{"x":"y"}}"#;
    let render = |src: &str| {
        let t = Template::parse(src).unwrap();
        render_response_template(&t, body, &req(""), &serde_json::json!({}), &IndexMap::new())
            .unwrap()
            .body
    };
    for k in ["a", "b", "c", "d", "e", "f", "missing"] {
        let direct = render(&format!(
            "#set($o = $input.path('$'))[$util.escapeJavaScript($o.{k})]"
        ));
        let via_value = render(&format!(
            "#set($o = $input.path('$'))#set($v = $o.{k})[$util.escapeJavaScript($v)]"
        ));
        assert_eq!(direct, via_value, "key {k}");
    }
    // Through a materialised object (after a `put`).
    let out = render(
        "#set($o = $input.path('$'))#set($x = $o.put('z', 1))[$util.escapeJavaScript($o.b)]",
    );
    assert_eq!(
        out,
        r#"[q\"u\\o\/t\u00E9\n]"#.replace("\\u00E9", &escaped_e())
    );
}

/// How `escapeJavaScript` prints `é` (whatever the implementation's case of hex digits).
fn escaped_e() -> String {
    let t = Template::parse("$util.escapeJavaScript('é')").unwrap();
    render_response_template(&t, "{}", &req(""), &serde_json::json!({}), &IndexMap::new())
        .unwrap()
        .body
}

#[test]
fn literal_templates_render_their_text_as_the_evaluator_does() {
    for src in [
        "{\"statusCode\": 200}",
        "{\"pets\":[1,2,3]}\n  \n",
        "",
        "plain text with # and $ alone",
        "## a comment\n{\"a\": 1}",
        "#* block *#{\"b\": 2}",
        "\\$notavar and \\#if",
        "line1\n#if(true)x#end\nline3",
    ] {
        let t = Template::parse(src).unwrap();
        let mut scope = t.new_scope();
        let empty = req("");
        let host = GatewayHost {
            input: Input::new("", &empty),
            max_string: limits().max_output,
        };
        let evaluated = t.render(&mut scope, &host, &limits());
        let r = render_request_template(&t, &req(""), &serde_json::json!({}), &IndexMap::new());
        match (evaluated, r) {
            (Ok(expected), Ok(r)) => {
                assert_eq!(r.body, expected, "{src:?}");
                assert!(r.carried.is_none());
                assert_eq!(r.overrides.status, None);
            }
            (Err(_), Err(_)) => {}
            (e, r) => panic!("{src:?}: evaluator {e:?}, render {:?}", r.map(|r| r.body)),
        }
        let literal = t
            .nodes()
            .iter()
            .all(|n| matches!(n, crate::vtl::ast::Node::Text(_)));
        assert_eq!(literal_text(&t).is_some(), literal, "{src:?}");
    }
    assert!(literal_text(&Template::parse("{\"statusCode\": 200}").unwrap()).is_some());
}
