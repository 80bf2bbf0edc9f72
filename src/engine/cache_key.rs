//! The encoding of cache keys built from request data: the response cache's key (deployment,
//! `cacheNamespace`, verb, each `cacheKeyParameters` value) and the Lambda REQUEST authorizer
//! cache's identity (one value per identity source).
//!
//! A key is a sequence of components, each either a *field* (one string) or a *list* (zero or
//! more strings: a parameter that is absent, single-valued or multi-valued). The encoding is
//! injective for a given sequence of component kinds (the method's configuration fixes it), so
//! two requests share an entry only when every component is equal:
//!
//! * inside a string, `\` is written `\\`, [`VALUE_END`] is written `\v` and [`FIELD_END`] is
//!   written `\f` (an escaped string never holds a raw separator, and `\` always starts a pair);
//! * a field is its escaped string followed by [`FIELD_END`];
//! * a list is each escaped value followed by [`VALUE_END`], then [`FIELD_END`].
//!
//! So `a=1,2` (one value, `1,2`) and `a=1&a=2` (two values) differ, an absent parameter and an
//! empty one differ, and a value holding `%1F` (the old separator) or any other byte cannot
//! stand in for the end of a component. Writing is streaming (no lengths to know in advance):
//! the hot path appends in place into one `String`, and a value without `\`, U+001E or U+001F
//! (nearly all of them) is copied with one `push_str`.

/// Ends one value of a list (ASCII record separator).
pub const VALUE_END: char = '\u{1e}';
/// Ends a field or a list (ASCII unit separator).
pub const FIELD_END: char = '\u{1f}';

fn needs_escape(b: u8) -> bool {
    b == b'\\' || b == VALUE_END as u8 || b == FIELD_END as u8
}

/// Appends `s` escaped (see the module docs).
pub fn push_escaped(out: &mut String, s: &str) {
    if !s.bytes().any(needs_escape) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            VALUE_END => out.push_str("\\v"),
            FIELD_END => out.push_str("\\f"),
            c => out.push(c),
        }
    }
}

/// Appends one field.
pub fn push_field(out: &mut String, s: &str) {
    push_escaped(out, s);
    out.push(FIELD_END);
}

/// Appends one value of the list being written.
pub fn push_value(out: &mut String, s: &str) {
    push_escaped(out, s);
    out.push(VALUE_END);
}

/// Ends the list being written (an empty list is just this).
pub fn end_list(out: &mut String) {
    out.push(FIELD_END);
}

/// Appends a whole list.
pub fn push_list<'a>(out: &mut String, values: impl IntoIterator<Item = &'a str>) {
    for v in values {
        push_value(out, v);
    }
    end_list(out);
}

/// Where one `cacheKeyParameters` entry takes its value from, resolved when the deployment is
/// compiled (`compiled::key_source`): the request parameter it names (`method.request.…`),
/// or for an older API's `integration.request.…` name, its mapped source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `method.request.path.NAME`
    Path(String),
    /// `method.request.querystring.NAME` (the last value)
    Query(String),
    /// `method.request.multivaluequerystring.NAME` (every value)
    MultiQuery(String),
    /// `method.request.header.NAME` (the first value)
    Header(String),
    /// `method.request.multivalueheader.NAME` (every value)
    MultiHeader(String),
    StageVariable(String),
    Literal(String),
    /// Anything else: always the empty list.
    Absent,
}

/// A method's response-cache key, compiled with its deployment: the deployment id and the
/// `cacheNamespace` already encoded (`prefix`), and each `cacheKeyParameters` entry's name
/// encoded as a field with where its value comes from. A request appends the verb and the
/// values (no name is parsed, no component but the request's own is escaped per request).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPlan {
    prefix: String,
    params: Vec<(String, KeySource)>,
}

impl KeyPlan {
    pub fn new(
        deployment_id: &str,
        namespace: &str,
        params: impl IntoIterator<Item = (String, KeySource)>,
    ) -> KeyPlan {
        let mut prefix = String::new();
        push_field(&mut prefix, deployment_id);
        push_field(&mut prefix, namespace);
        KeyPlan {
            prefix,
            params: params
                .into_iter()
                .map(|(name, source)| {
                    let mut field = String::new();
                    push_field(&mut field, &name);
                    (field, source)
                })
                .collect(),
        }
    }

    /// Bytes a key usually needs (the encoded parts and room for short values).
    pub fn estimate(&self) -> usize {
        self.prefix.len() + 16 + self.params.iter().map(|(f, _)| f.len() + 32).sum::<usize>()
    }

    /// Appends the key to `out`: the prefix, the verb, then each parameter's encoded name
    /// and its values, written by `values(source, out)` as one list.
    pub fn write(
        &self,
        out: &mut String,
        verb: &str,
        mut values: impl FnMut(&KeySource, &mut String),
    ) {
        out.push_str(&self.prefix);
        // An HTTP method is a token (RFC 9110 `tchar`: never `\` nor a control character, and
        // `http::Method` refuses anything else), so it has nothing to escape.
        out.push_str(verb);
        out.push(FIELD_END);
        for (field, source) in &self.params {
            out.push_str(field);
            values(source, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One component of a key, as the configuration shapes it.
    #[derive(Debug, Clone, PartialEq)]
    enum Component {
        Field(String),
        List(Vec<String>),
    }

    fn encode(components: &[Component]) -> String {
        let mut out = String::new();
        for c in components {
            match c {
                Component::Field(s) => push_field(&mut out, s),
                Component::List(values) => push_list(&mut out, values.iter().map(String::as_str)),
            }
        }
        out
    }

    /// Strings made mostly of the characters an attacker would try: the separators, the
    /// escape character, the letters escapes use, and the query/header separators.
    fn adversarial() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                Just('\\'),
                Just(VALUE_END),
                Just(FIELD_END),
                Just('v'),
                Just('f'),
                Just(','),
                Just('&'),
                Just('='),
                Just('a'),
                Just('%'),
                Just('1'),
                Just('\u{0}'),
            ],
            0..6,
        )
        .prop_map(|cs| cs.into_iter().collect())
    }

    /// Two component sequences of the same shape (fields and lists in the same places), the
    /// second often equal to the first or differing in one place.
    fn pair() -> impl Strategy<Value = (Vec<Component>, Vec<Component>)> {
        proptest::collection::vec(any::<bool>(), 1..5).prop_flat_map(|shape| {
            let one = |shape: Vec<bool>| {
                shape
                    .into_iter()
                    .map(|is_list| {
                        if is_list {
                            proptest::collection::vec(adversarial(), 0..4)
                                .prop_map(Component::List)
                                .boxed()
                        } else {
                            adversarial().prop_map(Component::Field).boxed()
                        }
                    })
                    .collect::<Vec<_>>()
            };
            let a = one(shape.clone());
            let b = one(shape);
            (a, b, any::<bool>(), any::<prop::sample::Index>()).prop_map(|(a, b, same, at)| {
                if same {
                    // Equal but at one component, which may still come out equal.
                    let i = at.index(a.len());
                    let mut b2 = a.clone();
                    b2[i] = b[i].clone();
                    (a, b2)
                } else {
                    (a, b)
                }
            })
        })
    }

    /// Pairs built to collide under a naive encoding: a separator moved across a component
    /// boundary (`x<sep>y`,`z` vs `x`,`y<sep>z`), or two list values merged with the value
    /// separator (`[u<sep>w]` vs `[u, w]`), wrapped in random components.
    fn shifted() -> impl Strategy<Value = (Vec<Component>, Vec<Component>)> {
        (
            adversarial(),
            adversarial(),
            adversarial(),
            any::<bool>(),
            proptest::collection::vec(adversarial(), 0..3),
        )
            .prop_map(|(x, y, z, fields, around)| {
                let (a, b) = if fields {
                    let sep = FIELD_END;
                    (
                        vec![
                            Component::Field(format!("{x}{sep}{y}")),
                            Component::Field(z.clone()),
                        ],
                        vec![
                            Component::Field(x),
                            Component::Field(format!("{y}{sep}{z}")),
                        ],
                    )
                } else {
                    let sep = VALUE_END;
                    (
                        vec![Component::List(vec![format!("{x}{sep}{y}")])],
                        vec![Component::List(vec![x, y])],
                    )
                };
                let wrap = |mut middle: Vec<Component>| {
                    let mut v: Vec<Component> =
                        around.iter().cloned().map(Component::Field).collect();
                    v.append(&mut middle);
                    v
                };
                (wrap(a), wrap(b))
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]

        #[test]
        fn keys_are_equal_exactly_when_their_components_are(
            (a, b) in prop_oneof![pair(), shifted()]
        ) {
            prop_assert_eq!(encode(&a) == encode(&b), a == b, "{:?} vs {:?}", a, b);
        }
    }

    #[test]
    fn the_known_ambiguities_are_gone() {
        let list = |v: &[&str]| Component::List(v.iter().map(|s| s.to_string()).collect());
        let field = |s: &str| Component::Field(s.to_string());
        // a=1,2 vs a=1&a=2.
        assert_ne!(encode(&[list(&["1,2"])]), encode(&[list(&["1", "2"])]));
        // Absent vs present and empty.
        assert_ne!(encode(&[list(&[])]), encode(&[list(&[""])]));
        // Values carrying the separators themselves.
        assert_ne!(encode(&[list(&["1\u{1e}2"])]), encode(&[list(&["1", "2"])]));
        assert_ne!(
            encode(&[field("1\u{1f}2"), field("3")]),
            encode(&[field("1"), field("2\u{1f}3")])
        );
        // Identity sources joined with NUL (the authorizer's old key).
        assert_ne!(
            encode(&[field("x\u{0}y"), field("z")]),
            encode(&[field("x"), field("y\u{0}z")])
        );
        // An escape sequence written literally is not the escaped separator.
        assert_ne!(encode(&[field("\\f")]), encode(&[field("\u{1f}")]));
    }
}
