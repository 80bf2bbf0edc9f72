//! Unit tests per construct.
use super::*;

fn render(src: &str) -> String {
    let t = Template::parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
    let mut scope = Scope::new();
    t.render(&mut scope, &NoHost, &Limits::default())
        .unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

#[test]
fn smoke() {
    assert_eq!(render("Hello $name!"), "Hello !");
}
