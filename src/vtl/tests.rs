//! Unit tests per construct (the conformance suite in `tests/` covers API Gateway cases).
use super::*;

fn render_with(src: &str, limits: &Limits) -> Result<String, RenderError> {
    let t = Template::parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    let mut scope = Scope::new();
    t.render(&mut scope, &NoHost, limits)
}

fn render(src: &str) -> String {
    render_with(src, &Limits::default()).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

#[test]
fn references() {
    assert_eq!(render("Hello $name!"), "Hello !");
    assert_eq!(
        render("#set($a = {'b': {'c': 'd'}})$a.b.c ${a.b.c} $!a.b.c $!{a.b.c}"),
        "d d d d"
    );
    assert_eq!(
        render("#set($a = ['x', ['y', 'z']])$a[1][0] $a[-1][1] $a[5]|"),
        "y z |"
    );
    assert_eq!(render("#set($m = {'k-1': 1})$m['k-1']"), "1");
    assert_eq!(
        render("#set($n = 'pet')${n}s $n.length() $n.toUpperCase()"),
        "pets 3 PET"
    );
    assert_eq!(render("$ 5 $. #x ${ $1"), "$ 5 $. #x ${ $1");
    assert_eq!(render("#set($a = 'x')$a.b.c."), ".");
    assert_eq!(
        render("#set($u = {'name': 'n'})mail: $u.name@example.com"),
        "mail: n@example.com"
    );
}

#[test]
fn escapes() {
    assert_eq!(render("#set($a = 1)\\$a \\\\$a \\\\\\$a"), "$a \\1 \\$a");
    assert_eq!(render("\\#if \\#foo \\\\#if(true)x#end"), "#if \\#foo \\x");
    assert_eq!(render("a\\b \\ c"), "a\\b \\ c");
}

#[test]
fn set_directive() {
    assert_eq!(render("#set($a = 1)#set($a = $nothing)$a"), "1");
    assert_eq!(
        render("#set($m = {})#set($m.x = 1)#set($m['y'] = 2)$m"),
        "{x=1, y=2}"
    );
    assert_eq!(render("#set($l = [1, 2])#set($l[0] = 9)$l"), "[9, 2]");
    assert_eq!(render("#set( $a = \"v\" )$a"), "v");
}

#[test]
fn conditionals() {
    assert_eq!(render("#if(false)a#elseif(true)b#{else}c#end"), "b");
    assert_eq!(render("#if($undefined)t#end|#if(!$undefined)t#end"), "t|");
    assert_eq!(render("#if('a' < 'b')t#{else}f#end"), "f");
    assert_eq!(render("#if(1 == '1')t#end#if([1] == [1])u#end"), "tu");
    assert_eq!(render("#if($x == '')empty#end"), "empty");
    assert_eq!(render("#if(2 > 1 and not (1 > 2) or false)y#end"), "y");
}

#[test]
fn loops() {
    assert_eq!(
        render("#foreach($i in [1..3])$i$velocityCount#end"),
        "112233"
    );
    assert_eq!(render("#foreach($i in [3..1])$i#end"), "321");
    assert_eq!(
        render("#foreach($i in [1,2])#foreach($j in [1,2])$foreach.index#end$foreach.count #end"),
        "011 012 "
    );
    assert_eq!(
        render("#foreach($i in 'abc')x#end#foreach($i in $none)y#end"),
        ""
    );
    assert_eq!(
        render("#set($m = {'a': 1})#foreach($e in $m.entrySet())$e.key$e.getValue()#end"),
        "a1"
    );
    assert_eq!(
        render("#foreach($i in [1..5])#if($i > 2)#break#end$i#end."),
        "12."
    );
    assert_eq!(
        render("a#foreach($i in [1..5])$i#if($i == 2)#stop#end#end b"),
        "a12"
    );
    // A body that grows its own list still stops at the iteration cap.
    let out = render("#set($l = [0])#foreach($i in $l)#set($x = $l.add($i))#end$l.size()");
    assert_eq!(out, "1001");
}

#[test]
fn foreach_iteration_cap_is_configurable() {
    let lim = Limits {
        max_loop_iterations: 3,
        ..Limits::default()
    };
    assert_eq!(
        render_with("#foreach($i in [1..10])$i#end", &lim).unwrap(),
        "123"
    );
}

#[test]
fn define_and_macro() {
    assert_eq!(
        render("#define($b)[$x]#end#set($x = 1)$b#set($x = 2)$b"),
        "[1][2]"
    );
    assert_eq!(render("#macro(m $a)$a#end#m(1)"), "#m(1)");
}

#[test]
fn literals_and_arithmetic() {
    assert_eq!(
        render("#set($a = 7 / 2)#set($b = -7 / 2)#set($c = 7.0 / 2)$a $b $c"),
        "3 -3 3.5"
    );
    assert_eq!(render("#set($a = 1 / 0)[$a]"), "[]");
    assert_eq!(render("#set($a = 'a' + 1 + 2)$a"), "a12");
    assert_eq!(render("#set($a = 1e21 * 1)$a"), "1.0E21");
    assert_eq!(
        render("#set($a = 9223372036854775807 + 1)$a"),
        "9.223372036854776E18"
    );
    assert_eq!(
        render("#set($s = 'it''s')#set($d = \"say \"\"hi\"\"\")$s $d"),
        "it's say \"hi\""
    );
    assert_eq!(render("#set($d = \"#if(true)in#end $nope\")$d"), "in ");
    assert_eq!(render("#set($m = {1: 'one'})$m.get('1')"), "one");
}

#[test]
fn whitespace_rules() {
    assert_eq!(render("a\n#set($x = 1)\nb"), "a\nb");
    assert_eq!(render("#if(true)\r\nx\r\n#end\r\ny"), "x\r\ny");
    assert_eq!(render("#if(true)   \nx#end"), "x");
    assert_eq!(render("#if(true)  x#end"), "  x");
    assert_eq!(render("x ## comment\ny"), "x y");
    assert_eq!(render("x #* c *#\ny"), "x \ny");
    assert_eq!(render("#[[$not #if]]#!"), "$not #if!");
}

#[test]
fn java_methods() {
    assert_eq!(
        render(
            "#set($s = 'a-b-c')$s.split('-').size() $s.replaceAll('-(.)', '$1') $s.matches('[a-c-]+')"
        ),
        "3 abc true"
    );
    assert_eq!(
        render("#set($s = 'abc')$s.substring(1) $s.indexOf('c') $s.charAt(0) $s.concat('d')"),
        "bc 2 a abcd"
    );
    assert_eq!(
        render("#set($l = [3, 1])$l.add(2) $l.remove(0) $l $l.contains(2) $l.isEmpty()"),
        "true 3 [1, 2] true false"
    );
    assert_eq!(
        render("#set($m = {'a': 1})$m.containsKey('a') $m.remove('a') $m.isEmpty() $m.empty"),
        "true 1 true "
    );
    assert_eq!(render("#set($s = '')$s.empty"), "true");
}

#[test]
fn runtime_errors_carry_positions() {
    let e = render_with("ok\n  $s.substring(5)", &Limits::default());
    assert_eq!(
        e,
        Ok("ok\n  ".to_string()),
        "no string bound: null, not an error"
    );
    let e = render_with("#set($s = 'abc')\n  $s.substring(5)", &Limits::default()).unwrap_err();
    match e {
        RenderError::Method { pos, message } => {
            assert_eq!((pos.line, pos.col), (2, 3));
            assert!(message.contains("StringIndexOutOfBounds"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        render_with("#set($l = [1])$l.get(3)", &Limits::default()),
        Err(RenderError::Method { .. })
    ));
    assert!(matches!(
        render_with("#set($s = 'a')$s.replaceAll('(', 'x')", &Limits::default()),
        Err(RenderError::Method { .. })
    ));
}

#[test]
fn rendering_is_bounded() {
    let lim = Limits::default();
    let nested =
        "#foreach($a in [1..1000])#foreach($b in [1..1000])#foreach($c in [1..1000])x#end#end#end";
    assert!(matches!(
        render_with(nested, &lim),
        Err(RenderError::Budget { .. })
    ));
    let recursive = "#define($r)$r#end$r";
    assert!(matches!(
        render_with(recursive, &lim),
        Err(RenderError::Recursion { .. })
    ));
    let doubling = "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..40])#set($s = \"$s$s\")#end";
    assert!(matches!(
        render_with(doubling, &lim),
        Err(RenderError::OutputTooLarge { .. })
    ));
    let big_range = "#set($r = [1..2000000000])";
    assert!(matches!(
        render_with(big_range, &lim),
        Err(RenderError::OutputTooLarge { .. })
    ));
    let list_doubling = "#set($l = [1])#foreach($i in [1..40])#set($x = $l.addAll($l))#end";
    assert!(matches!(
        render_with(list_doubling, &lim),
        Err(RenderError::OutputTooLarge { .. })
    ));
    let dag = "#set($l = [])#foreach($i in [1..60])#set($l = [$l, $l])#end$l";
    assert!(render_with(dag, &lim).is_err());
    let cycle = "#set($l = [])#set($x = $l.add($l))#set($m = {})#set($m.m = $m)$l $m";
    assert_eq!(
        render_with(cycle, &lim).unwrap(),
        "[(this Collection)] {m=(this Map)}"
    );
    let deep = "#set($l = [])#foreach($i in [1..1000])#set($l = [$l])#end$l.size()";
    assert_eq!(render_with(deep, &lim).unwrap(), "1");
}

#[test]
fn templates_are_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
}

#[test]
fn worst_case_nesting_fits_a_small_thread_stack() {
    // Deep expressions feeding a self-referencing #define, inside deeply nested blocks:
    // the render must fail cleanly (recursion cap) on a 2 MiB stack (tokio's default).
    let nots = "!".repeat(20);
    let open = "#if(true)".repeat(30);
    let close = "#end".repeat(30);
    let src = format!("#define($d){open}#set($x = {nots}\"$d\"){close}#end$d");
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let t = Template::parse(&src).expect("parses");
            let mut scope = Scope::new();
            t.render(&mut scope, &NoHost, &Limits::default())
        })
        .expect("thread starts");
    let r = handle.join().expect("no stack overflow");
    assert!(matches!(r, Err(RenderError::Recursion { .. })), "{r:?}");
}

/// A scope from `Template::new_scope` renders like a plain one: variables set before the
/// render (referenced or not), `#set`s readable after it, and reuse with another template.
#[test]
fn template_scope_renders_like_a_plain_scope() {
    let t = Template::parse("$a|$b|#set($c = \"$a$a\")#set($a = 'new')$c").unwrap();
    let run = |mut scope: Scope| {
        scope.set("a", Value::str("x"));
        scope.set("unreferenced", Value::Int(1));
        let out = t.render(&mut scope, &NoHost, &Limits::default()).unwrap();
        let seen = ["a", "b", "c", "unreferenced"].map(|n| scope.get(n).cloned());
        let other = Template::parse("$a $unreferenced $c").unwrap();
        let again = other
            .render(&mut scope, &NoHost, &Limits::default())
            .unwrap();
        (out, format!("{seen:?}"), again)
    };
    let bound = run(t.new_scope());
    assert_eq!(bound, run(Scope::new()));
    assert_eq!(bound.0, "x||xx");
    assert_eq!(bound.2, "new 1 xx");
}
