//! The syntax tree a template parses into. Immutable, `Send + Sync`: a parsed template is
//! shared by every request of a deployment.

use std::sync::Arc;

use super::number::ArithOp;

/// A position in the template source (1-based line and column, columns counted in chars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: u32,
    /// Column, from 1.
    pub col: u32,
}

impl std::fmt::Display for Pos {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            return f.write_str("unknown position");
        }
        write!(f, "line {}, column {}", self.line, self.col)
    }
}

/// A template-level node. An explicit one-byte tag (`repr(u8)`): the render loop dispatches
/// on it with one load instead of decoding a niche.
#[derive(Debug)]
#[repr(u8)]
pub enum Node {
    /// Literal text, output as is.
    Text(Box<str>),
    /// `$ref` output. `escapes` is the number of backslashes written before the `$`.
    Ref {
        /// The reference.
        r: Box<Reference>,
        /// Backslashes before `$`: even → half of them then the value; odd → half of them
        /// then the reference's source text, unevaluated.
        escapes: u32,
    },
    /// `#set(target = value)`.
    Set {
        /// Where to store.
        target: Box<Reference>,
        /// What to store.
        value: Expr,
    },
    /// `#if / #elseif / #else / #end`.
    If {
        /// Conditions with their bodies, in order.
        branches: Vec<(Expr, Vec<Node>)>,
        /// The `#else` body.
        otherwise: Option<Vec<Node>>,
    },
    /// `#foreach($var in iterable) body #end`.
    Foreach {
        /// Loop variable name (without `$`).
        var: Arc<str>,
        /// The loop variable's slot (see [`Reference::slot`]).
        var_slot: u32,
        /// What to iterate.
        iterable: Expr,
        /// The body.
        body: Vec<Node>,
        /// Where the directive starts.
        pos: Pos,
    },
    /// `#define($name) body #end`.
    Define {
        /// The reference name bound to the block.
        name: Arc<str>,
        /// Its slot (see [`Reference::slot`]).
        slot: u32,
        /// The block.
        body: Arc<Vec<Node>>,
    },
    /// `#break`: leave the innermost `#foreach` (or the template).
    Break,
    /// `#stop`: stop rendering.
    Stop,
}

/// A reference: `$root.part.part…` in any of its notations.
#[derive(Debug)]
pub struct Reference {
    /// The variable name.
    pub root: Arc<str>,
    /// Where the variable lives during a render: its index among the template's root names
    /// (assigned once the whole template is parsed, see [`assign_slots`]).
    pub slot: u32,
    /// Property, method and index accesses after the root.
    pub parts: Vec<Part>,
    /// The reference exactly as written (for escaped output).
    pub source: Box<str>,
    /// Where it starts.
    pub pos: Pos,
}

/// One access step of a reference (tagged as [`Node`]).
#[derive(Debug)]
#[repr(u8)]
pub enum Part {
    /// `.name`, with where the name was last found among a JSON object's keys.
    Property(Arc<str>, KeyHint),
    /// `.name(args)`
    Method(Arc<str>, Vec<Expr>),
    /// `[expr]`
    Index(Expr),
}

/// The position at which a property name was last found among the keys of a lazy JSON
/// object: objects of one array share their key order, so the next read of the same
/// property tries that position first. Only a hint (always verified), so relaxed atomics
/// suffice for a template shared between threads.
#[derive(Debug, Default)]
pub struct KeyHint(std::sync::atomic::AtomicU32);

impl KeyHint {
    /// The position last recorded.
    #[inline]
    pub fn get(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Record a position.
    #[inline]
    pub fn set(&self, at: u32) {
        self.0.store(at, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Binary operators of directive expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||` / `or`
    Or,
    /// `&&` / `and`
    And,
    /// `==` / `eq`
    Eq,
    /// `!=` / `ne`
    Ne,
    /// `<` / `lt`
    Lt,
    /// `<=` / `le`
    Le,
    /// `>` / `gt`
    Gt,
    /// `>=` / `ge`
    Ge,
    /// Arithmetic.
    Arith(ArithOp),
}

/// A directive expression (tagged as [`Node`]).
#[derive(Debug)]
#[repr(u8)]
pub enum Expr {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer literal.
    Int(i64),
    /// A floating-point literal.
    Double(f64),
    /// A string literal without interpolation.
    Str(Arc<str>),
    /// A double-quoted string with references or directives inside, rendered each time.
    Interp(Vec<Node>),
    /// `[a, b]`
    List(Vec<Expr>),
    /// `{k: v}`
    Map(Vec<(Expr, Expr)>),
    /// `[a..b]`
    Range(Box<Expr>, Box<Expr>),
    /// A reference.
    Ref(Box<Reference>),
    /// `!x` / `not x`
    Not(Box<Expr>),
    /// `-x`
    Neg(Box<Expr>),
    /// `a op b`
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

/// Collect the root names of every reference in `nodes` (including `#set` targets, loop
/// variables, `#define` names and string interpolations).
pub fn collect_roots(nodes: &[Node], out: &mut Vec<Arc<str>>) {
    for n in nodes {
        match n {
            Node::Text(_) | Node::Break | Node::Stop => {}
            Node::Ref { r, .. } => reference_roots(r, out),
            Node::Set { target, value } => {
                reference_roots(target, out);
                expr_roots(value, out);
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (c, body) in branches {
                    expr_roots(c, out);
                    collect_roots(body, out);
                }
                if let Some(body) = otherwise {
                    collect_roots(body, out);
                }
            }
            Node::Foreach {
                var,
                iterable,
                body,
                ..
            } => {
                out.push(var.clone());
                expr_roots(iterable, out);
                collect_roots(body, out);
            }
            Node::Define { name, body, .. } => {
                out.push(name.clone());
                collect_roots(body, out);
            }
        }
    }
}

fn reference_roots(r: &Reference, out: &mut Vec<Arc<str>>) {
    out.push(r.root.clone());
    for p in &r.parts {
        match p {
            Part::Property(..) => {}
            Part::Method(_, args) => args.iter().for_each(|a| expr_roots(a, out)),
            Part::Index(e) => expr_roots(e, out),
        }
    }
}

fn expr_roots(e: &Expr, out: &mut Vec<Arc<str>>) {
    match e {
        Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Double(_) | Expr::Str(_) => {}
        Expr::Interp(nodes) => collect_roots(nodes, out),
        Expr::List(items) => items.iter().for_each(|i| expr_roots(i, out)),
        Expr::Map(entries) => entries.iter().for_each(|(k, v)| {
            expr_roots(k, out);
            expr_roots(v, out);
        }),
        Expr::Range(a, b) | Expr::Binary(_, a, b) => {
            expr_roots(a, out);
            expr_roots(b, out);
        }
        Expr::Ref(r) => reference_roots(r, out),
        Expr::Not(e) | Expr::Neg(e) => expr_roots(e, out),
    }
}

/// Slot of a reference not yet resolved (never seen once a template is built).
pub const NO_SLOT: u32 = u32::MAX;

/// Give every reference root, loop variable and `#define` name in `nodes` its slot: the
/// index of its name in `roots` (sorted, deduplicated: what [`collect_roots`] finds).
pub fn assign_slots(nodes: &mut [Node], roots: &[Arc<str>]) {
    let slot = |name: &Arc<str>| {
        roots
            .binary_search_by(|r| (**r).cmp(&**name))
            .map_or(NO_SLOT, |i| i as u32)
    };
    for n in nodes {
        match n {
            Node::Text(_) | Node::Break | Node::Stop => {}
            Node::Ref { r, .. } => reference_slots(r, roots),
            Node::Set { target, value } => {
                reference_slots(target, roots);
                expr_slots(value, roots);
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (c, body) in branches {
                    expr_slots(c, roots);
                    assign_slots(body, roots);
                }
                if let Some(body) = otherwise {
                    assign_slots(body, roots);
                }
            }
            Node::Foreach {
                var,
                var_slot,
                iterable,
                body,
                ..
            } => {
                *var_slot = slot(var);
                expr_slots(iterable, roots);
                assign_slots(body, roots);
            }
            Node::Define {
                name,
                slot: s,
                body,
            } => {
                *s = slot(name);
                // Only the parser holds the block yet.
                if let Some(body) = Arc::get_mut(body) {
                    assign_slots(body, roots);
                }
            }
        }
    }
}

fn reference_slots(r: &mut Reference, roots: &[Arc<str>]) {
    r.slot = roots
        .binary_search_by(|x| (**x).cmp(&*r.root))
        .map_or(NO_SLOT, |i| i as u32);
    for p in &mut r.parts {
        match p {
            Part::Property(..) => {}
            Part::Method(_, args) => args.iter_mut().for_each(|a| expr_slots(a, roots)),
            Part::Index(e) => expr_slots(e, roots),
        }
    }
}

fn expr_slots(e: &mut Expr, roots: &[Arc<str>]) {
    match e {
        Expr::Null | Expr::Bool(_) | Expr::Int(_) | Expr::Double(_) | Expr::Str(_) => {}
        Expr::Interp(nodes) => assign_slots(nodes, roots),
        Expr::List(items) => items.iter_mut().for_each(|i| expr_slots(i, roots)),
        Expr::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            expr_slots(k, roots);
            expr_slots(v, roots);
        }),
        Expr::Range(a, b) | Expr::Binary(_, a, b) => {
            expr_slots(a, roots);
            expr_slots(b, roots);
        }
        Expr::Ref(r) => reference_slots(r, roots),
        Expr::Not(e) | Expr::Neg(e) => expr_slots(e, roots),
    }
}
