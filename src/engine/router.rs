//! The compiled route table of one deployment: (resource, method) resolution with API
//! Gateway's precedence (model.md §3.1). Literal segments beat `{param}`, which beats
//! `{greedy+}`, compared segment by segment from the left; the first candidate in that order
//! that has the request verb (or `ANY`) wins, so a more specific resource without the verb
//! falls through to less specific ones. Nothing matching is the caller's
//! `MISSING_AUTHENTICATION_TOKEN`.

use std::sync::Arc;

/// One node of the resource tree.
#[derive(Debug)]
struct Node {
    literal_children: Vec<(Box<str>, usize)>,
    param_child: Option<(Arc<str>, usize)>,
    greedy_child: Option<(Arc<str>, usize)>,
    /// verb (or `ANY`) → index of the method in the deployment's method table.
    methods: Vec<(Box<str>, usize)>,
}

impl Node {
    fn new() -> Node {
        Node {
            literal_children: Vec::new(),
            param_child: None,
            greedy_child: None,
            methods: Vec::new(),
        }
    }

    fn method_for(&self, verb: &str) -> Option<usize> {
        self.methods
            .iter()
            .find(|(v, _)| &**v == verb)
            .or_else(|| self.methods.iter().find(|(v, _)| &**v == "ANY"))
            .map(|(_, i)| *i)
    }
}

#[derive(Debug)]
pub struct Router {
    nodes: Vec<Node>,
}

/// A successful match: the method index and the path parameters (raw, still percent-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch {
    pub method_index: usize,
    pub path_params: Vec<(Arc<str>, String)>,
}

#[derive(Debug, Clone, Copy)]
struct Segment<'a> {
    text: &'a str,
    /// Byte offset of the segment in the request path.
    start: usize,
}

impl Router {
    pub fn new() -> Router {
        Router {
            nodes: vec![Node::new()],
        }
    }

    /// Adds a resource path (e.g. `/pets/{petId}`) and returns its node id.
    pub fn insert_path(&mut self, path: &str) -> usize {
        let mut node = 0;
        for part in path.split('/').filter(|p| !p.is_empty()) {
            node = self.child(node, part);
        }
        node
    }

    fn child(&mut self, node: usize, part: &str) -> usize {
        let next_id = self.nodes.len();
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let (name, greedy) = match inner.strip_suffix('+') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            let slot = if greedy {
                &mut self.nodes[node].greedy_child
            } else {
                &mut self.nodes[node].param_child
            };
            if let Some((_, id)) = slot {
                return *id;
            }
            *slot = Some((Arc::from(name), next_id));
        } else {
            if let Some((_, id)) = self.nodes[node]
                .literal_children
                .iter()
                .find(|(l, _)| &**l == part)
            {
                return *id;
            }
            self.nodes[node]
                .literal_children
                .push((part.into(), next_id));
        }
        self.nodes.push(Node::new());
        next_id
    }

    pub fn add_method(&mut self, node: usize, verb: &str, method_index: usize) {
        self.nodes[node].methods.push((verb.into(), method_index));
    }

    /// Resolves `path` (the request path after the stage, starting with `/`) for `verb`.
    pub fn resolve(&self, verb: &str, path: &str) -> Option<RouteMatch> {
        let mut segments: Vec<Segment<'_>> = Vec::with_capacity(8);
        let mut offset = 0;
        for text in path.split('/') {
            if !text.is_empty() {
                segments.push(Segment {
                    text,
                    start: offset,
                });
            }
            offset += text.len() + 1;
        }
        let mut params = Vec::new();
        let index = self.walk(0, &segments, path, verb, &mut params)?;
        Some(RouteMatch {
            method_index: index,
            path_params: params,
        })
    }

    fn walk(
        &self,
        node: usize,
        rest: &[Segment<'_>],
        path: &str,
        verb: &str,
        params: &mut Vec<(Arc<str>, String)>,
    ) -> Option<usize> {
        let n = &self.nodes[node];
        let Some((first, tail)) = rest.split_first() else {
            return n.method_for(verb);
        };
        if let Some((_, child)) = n.literal_children.iter().find(|(l, _)| **l == *first.text)
            && let Some(found) = self.walk(*child, tail, path, verb, params)
        {
            return Some(found);
        }
        if let Some((name, child)) = &n.param_child {
            params.push((name.clone(), first.text.to_string()));
            if let Some(found) = self.walk(*child, tail, path, verb, params) {
                return Some(found);
            }
            params.pop();
        }
        if let Some((name, child)) = &n.greedy_child
            && let Some(index) = self.nodes[*child].method_for(verb)
        {
            let value = path[first.start..].trim_end_matches('/');
            params.push((name.clone(), value.to_string()));
            return Some(index);
        }
        None
    }
}

impl Default for Router {
    fn default() -> Self {
        Router::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a router from `(path, verb)` pairs; method index = position in the list.
    fn router(methods: &[(&str, &str)]) -> Router {
        let mut r = Router::new();
        for (i, (path, verb)) in methods.iter().enumerate() {
            let node = r.insert_path(path);
            r.add_method(node, verb, i);
        }
        r
    }

    #[test]
    fn greedy_value_keeps_inner_slashes_and_drops_trailing_one() {
        let r = router(&[("/{proxy+}", "ANY")]);
        let m = r.resolve("GET", "/a//b/").unwrap();
        assert_eq!(
            m.path_params,
            vec![(Arc::from("proxy"), "a//b".to_string())]
        );
        assert!(
            r.resolve("GET", "/").is_none(),
            "greedy does not match the root"
        );
    }

    #[test]
    fn exact_verb_beats_any_on_the_same_resource() {
        let r = router(&[("/x", "ANY"), ("/x", "GET")]);
        assert_eq!(r.resolve("GET", "/x").unwrap().method_index, 1);
        assert_eq!(r.resolve("POST", "/x").unwrap().method_index, 0);
    }

    #[test]
    fn raw_percent_encoded_segment_is_kept() {
        let r = router(&[("/users/{email}", "GET")]);
        let m = r.resolve("GET", "/users/test%2Balias@x.com").unwrap();
        assert_eq!(m.path_params[0].1, "test%2Balias@x.com");
    }
}
