//! A general Apache Velocity 1.7 engine (it knows nothing of API Gateway).
//!
//! ```
//! use gwtui::vtl::{Template, Scope, Value, NoHost, Limits};
//! let t = Template::parse("#foreach($i in [1..3])$i#if($foreach.hasNext),#end#end").unwrap();
//! let mut scope = Scope::new();
//! assert_eq!(t.render(&mut scope, &NoHost, &Limits::default()).unwrap(), "1,2,3");
//! ```
//!
//! # Public API
//! * [`Template::parse`]`(&str) -> Result<Template, ParseError>` — parse once (a deployment
//!   compiles its templates); `Template` is `Send + Sync` and cheap to share.
//! * [`Template::render`]`(&self, &mut Scope, &dyn Host, &Limits) -> Result<String, RenderError>`.
//! * [`Scope`] — the template's variables (`scope.set("name", Value)`), readable after the
//!   render (a template's `#set`s land there).
//! * [`Value`] — null, bool, integer, double, string, list, map, map entry, `$foreach`, host
//!   object handle, `#define` block.
//! * [`Host`] — objects provided by the embedder: a value `Value::Host(id)` dispatches method
//!   calls and property reads to the host with that id (no allocation per object).
//! * [`Limits`] — iteration cap per `#foreach` (1000, as API Gateway), a total step budget,
//!   output/string size, collection size and `#define` recursion depth.
//!
//! # Semantics
//! Velocity 1.7 as API Gateway runs it (see the conformance cases): a null or undefined
//! reference renders as the empty string and is *true* in `#if` (only `false` is false);
//! `#set` with a null value leaves the target unchanged; `#foreach` over a map iterates its
//! values; template-defined `#macro`s do not run (the call stays literal text); values print
//! the Java way (`{a=1, b=2}`, `[1, 2]`, `10.0`, `1.0E21`); JSON arrays from the host print as
//! JSON. Whitespace follows the 1.7 lexer (see `parser.rs`).
//!
//! Java regular expressions (`matches`, `replaceAll`, `replaceFirst`, `split`) run on
//! `fancy-regex` (lookaround and backreferences supported, `\Q…\E` translated); possessive
//! quantifiers and Java-only character classes are rejected as pattern errors.
//!
//! Rendering never panics and is bounded: every loop iteration, reference step and operator
//! is charged to a step budget; strings, output and collections have size caps; `#define`
//! recursion and parser nesting have depth caps.

pub mod ast;
mod eval;
mod jregex;
pub mod json;
mod lexer;
mod methods;
pub mod number;
mod parser;
pub mod value;

pub use ast::Pos;
pub use eval::Scope;
pub use value::{HostId, ListObj, Value};

/// A template that failed to parse: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// Line (from 1).
    pub line: u32,
    /// Column (from 1, in characters).
    pub column: u32,
    /// What is wrong.
    pub message: String,
}

/// Why a render failed. These correspond to the ways API Gateway's own Velocity fails a
/// mapping (a method throwing) plus the emulator's resource caps.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// A method threw (in Java terms), e.g. `substring` out of range or a bad regex.
    #[error("{pos}: {message}")]
    Method {
        /// Where the call is.
        pos: Pos,
        /// The exception.
        message: String,
    },
    /// The step budget ran out (a template doing too much work).
    #[error("{pos}: template exceeded its budget of {limit} evaluation steps")]
    Budget {
        /// Where evaluation was.
        pos: Pos,
        /// The budget.
        limit: u64,
    },
    /// The output (or a string/collection built by the template) grew past the cap.
    #[error("template output exceeds {limit} bytes")]
    OutputTooLarge {
        /// The cap.
        limit: usize,
    },
    /// `#define` blocks or string interpolation nested too deeply (e.g. a block that
    /// references itself).
    #[error("{pos}: nesting deeper than {limit} while rendering")]
    Recursion {
        /// Where.
        pos: Pos,
        /// The cap.
        limit: u32,
    },
}

/// Resource caps for one render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Iterations per `#foreach` (API Gateway: 1000). Further items are skipped.
    pub max_loop_iterations: usize,
    /// Total evaluation steps (reference steps, operators, iterations).
    pub max_steps: u64,
    /// Bytes of output, and of any single string a template builds.
    pub max_output: usize,
    /// Elements in a list or map a template builds (also range literals).
    pub max_collection: usize,
    /// Nesting of `#define` block renders and string interpolation.
    pub max_depth: u32,
    /// Evaluation nesting (blocks inside blocks, operators inside operators, across
    /// `#define` renders): keeps the evaluator's recursion within a 2 MiB thread stack.
    pub max_nesting: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_loop_iterations: 1000,
            max_steps: 2_000_000,
            max_output: 10 * 1024 * 1024,
            max_collection: 100_000,
            max_depth: 32,
            max_nesting: 256,
        }
    }
}

/// Objects the embedder provides (`$input`, `$util`, …), addressed by [`HostId`].
pub trait Host {
    /// Call `name(args)` on object `id`. `Ok(None)`: no such method (the reference renders
    /// empty); `Err(message)`: the method threw, failing the render.
    fn call(&self, id: HostId, name: &str, args: &[Value]) -> Result<Option<Value>, String>;

    /// Read property `$obj.name`. The default follows Java-bean rules: `getName()`, then
    /// `get("name")`.
    fn property(&self, id: HostId, name: &str) -> Result<Option<Value>, String> {
        let mut getter = String::with_capacity(name.len() + 3);
        getter.push_str("get");
        let mut chars = name.chars();
        if let Some(c) = chars.next() {
            getter.extend(c.to_uppercase());
            getter.push_str(chars.as_str());
        }
        if let Some(v) = self.call(id, &getter, &[])? {
            return Ok(Some(v));
        }
        self.call(id, "get", &[Value::str(name)])
    }

    /// Write the result of `name(args)` on object `id` straight to `out`, for a reference
    /// that prints a host call (`$util.escapeJavaScript($x)`): saves building a string
    /// value. `Ok(false)` (writing nothing): not handled here, [`Host::call`] is used.
    fn write_call(
        &self,
        id: HostId,
        name: &str,
        args: &[Value],
        out: &mut String,
    ) -> Result<bool, String> {
        let _ = (id, name, args, out);
        Ok(false)
    }

    /// [`Host::write_call`] with one string argument given as text (a string of a lazy JSON
    /// document, read without building a string value). Must behave as `write_call` with
    /// `[Value::Str(arg)]`; `Ok(false)` (writing nothing): not handled here.
    fn write_call_str(
        &self,
        id: HostId,
        name: &str,
        arg: &str,
        out: &mut String,
    ) -> Result<bool, String> {
        let _ = (id, name, arg, out);
        Ok(false)
    }

    /// [`Host::write_call_str`] with the argument given as the body of a JSON string literal
    /// (the text between its quotes, with backslash escapes the JSON parser validated: no
    /// surrogate escapes): a host that can read the escaped form directly saves unescaping
    /// it. Must behave as `write_call_str` with the unescaped text; `Ok(false)` (writing
    /// nothing): not handled here (the caller unescapes and uses `write_call_str`).
    fn write_call_json_str(
        &self,
        id: HostId,
        name: &str,
        raw: &str,
        out: &mut String,
    ) -> Result<bool, String> {
        let _ = (id, name, raw, out);
        Ok(false)
    }

    /// How the object prints when referenced directly.
    fn display(&self, id: HostId) -> Result<String, String> {
        let _ = id;
        Ok(String::new())
    }
}

/// A host with no objects.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHost;

impl Host for NoHost {
    fn call(&self, _: HostId, _: &str, _: &[Value]) -> Result<Option<Value>, String> {
        Ok(None)
    }
}

/// A parsed template.
#[derive(Debug)]
pub struct Template {
    nodes: Vec<ast::Node>,
    /// Root variable names the template references anywhere (sorted, deduplicated): the
    /// names of its variable slots.
    roots: std::sync::Arc<[std::sync::Arc<str>]>,
    /// Slots of the loop variables, when referenced.
    loop_slots: eval::LoopSlots,
    /// Bytes of literal text in the template (a floor for the output's size).
    text_len: usize,
}

fn text_len(nodes: &[ast::Node]) -> usize {
    nodes
        .iter()
        .map(|n| match n {
            ast::Node::Text(t) => t.len(),
            ast::Node::If {
                branches,
                otherwise,
            } => {
                branches.iter().map(|(_, b)| text_len(b)).sum::<usize>()
                    + otherwise.as_deref().map_or(0, text_len)
            }
            ast::Node::Foreach { body, .. } => text_len(body),
            _ => 0,
        })
        .sum()
}

impl Template {
    /// Parse template text. Syntax errors carry line and column.
    pub fn parse(src: &str) -> Result<Template, ParseError> {
        let mut nodes = parser::parse_template(src)?;
        let mut roots = Vec::new();
        ast::collect_roots(&nodes, &mut roots);
        roots.sort();
        roots.dedup();
        ast::assign_slots(&mut nodes, &roots);
        let slot = |name: &str| {
            roots
                .binary_search_by(|r| (**r).cmp(name))
                .ok()
                .map(|i| i as u32)
        };
        let loop_slots = eval::LoopSlots {
            foreach: slot("foreach"),
            count: slot("velocityCount"),
            has_next: slot("velocityHasNext"),
        };
        Ok(Template {
            text_len: text_len(&nodes),
            nodes,
            roots: roots.into(),
            loop_slots,
        })
    }

    /// Does the template reference `$name` anywhere (so an embedder can skip building
    /// variables it never reads)?
    pub fn references(&self, name: &str) -> bool {
        self.roots.binary_search_by(|r| (**r).cmp(name)).is_ok()
    }

    /// An empty scope already bound to this template's variables: what is set on it goes
    /// straight to the slots a render uses (no name table to build and move first).
    /// [`Template::render`] takes any scope; this one only saves work.
    pub fn new_scope(&self) -> Scope {
        let mut scope = Scope::new();
        scope.bind(&self.roots);
        scope
    }

    /// The syntax tree.
    pub fn nodes(&self) -> &[ast::Node] {
        &self.nodes
    }

    /// Render with the variables in `scope`, host objects from `host`, within `limits`.
    pub fn render(
        &self,
        scope: &mut Scope,
        host: &dyn Host,
        limits: &Limits,
    ) -> Result<String, RenderError> {
        self.render_sized(scope, host, limits, 0)
    }

    /// [`Template::render`], with room for `expected` bytes of output reserved up front
    /// (beyond the template's own text) — e.g. the size of the document it maps.
    pub fn render_sized(
        &self,
        scope: &mut Scope,
        host: &dyn Host,
        limits: &Limits,
        expected: usize,
    ) -> Result<String, RenderError> {
        let mut out = String::with_capacity(
            self.text_len
                .saturating_add(expected)
                .min(limits.max_output),
        );
        scope.bind(&self.roots);
        let mut ev = eval::Eval::new(scope, host, *limits, self.loop_slots);
        ev.render_nodes(&self.nodes, &mut out)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
