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
        write!(f, "line {}, column {}", self.line, self.col)
    }
}

/// A template-level node.
#[derive(Debug)]
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
    /// Property, method and index accesses after the root.
    pub parts: Vec<Part>,
    /// The reference exactly as written (for escaped output).
    pub source: Box<str>,
    /// Where it starts.
    pub pos: Pos,
}

/// One access step of a reference.
#[derive(Debug)]
pub enum Part {
    /// `.name`
    Property(Arc<str>),
    /// `.name(args)`
    Method(Arc<str>, Vec<Expr>),
    /// `[expr]`
    Index(Expr),
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

/// A directive expression.
#[derive(Debug)]
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
