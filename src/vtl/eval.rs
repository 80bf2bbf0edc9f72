//! The evaluator: renders nodes against a [`Scope`] and a [`Host`].

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, LazyLock};

use super::ast::{BinOp, Expr, Node, Part, Pos, Reference};
use super::methods::{self, MethodFault, MethodLimits};
use super::number::{self, ArithOp};
use super::value::{LoopState, Map, TooLarge, Value, java_equals};
use super::{Host, Limits, RenderError};

static FOREACH: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("foreach"));
static VELOCITY_COUNT: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("velocityCount"));
static VELOCITY_HAS_NEXT: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from("velocityHasNext"));

/// The variables of one render, plus bookkeeping that lets it release everything it built.
///
/// Containers created or mutated during a render are emptied when the scope is dropped: that
/// breaks any reference cycle a template built (`$l.add($l)`) and keeps dropping a very deep
/// structure from recursing. Read what you need (overrides, …) before dropping the scope.
#[derive(Default)]
pub struct Scope {
    vars: HashMap<Arc<str>, Value, foldhash::fast::RandomState>,
    tracked: Vec<Value>,
}

impl std::fmt::Debug for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scope")
            .field("vars", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Scope {
    /// An empty scope.
    pub fn new() -> Self {
        Scope::default()
    }

    /// Bind `$name`. The scope takes charge of what it is given: a list or map bound here is
    /// emptied when the scope is dropped, like everything the render builds.
    pub fn set(&mut self, name: &str, value: Value) {
        self.track(&value);
        self.vars.insert(Arc::from(name), value);
    }

    /// The value of `$name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn track(&mut self, v: &Value) {
        match v {
            // One entry per document is enough: clearing it releases all its containers.
            Value::Json(j) if j.doc().first_track() => self.tracked.push(v.clone()),
            Value::List(_) | Value::Map(_) => self.tracked.push(v.clone()),
            _ => {}
        }
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        self.vars.clear();
        for v in self.tracked.drain(..) {
            match &v {
                Value::List(l) => {
                    if let Ok(mut l) = l.try_borrow_mut() {
                        let items = std::mem::take(&mut l.items);
                        drop(l);
                        drop(items);
                    }
                }
                Value::Map(m) => {
                    if let Ok(mut m) = m.try_borrow_mut() {
                        let items = std::mem::take(&mut *m);
                        drop(m);
                        drop(items);
                    }
                }
                Value::Json(j) => j.doc().clear(),
                _ => {}
            }
        }
    }
}

/// Control flow out of a node list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Normal,
    Break,
    Stop,
}

pub struct Eval<'a> {
    pub scope: &'a mut Scope,
    pub host: &'a dyn Host,
    pub limits: Limits,
    steps: u64,
    depth: u32,
    nesting: u32,
    /// Whether `#foreach` maintains `$velocityCount` / `$velocityHasNext` (only worth it
    /// when the template mentions them).
    legacy_loop_vars: bool,
}

type Res<T> = Result<T, RenderError>;

impl<'a> Eval<'a> {
    pub fn new(scope: &'a mut Scope, host: &'a dyn Host, limits: Limits) -> Self {
        Eval {
            scope,
            host,
            limits,
            steps: 0,
            depth: 0,
            nesting: 0,
            legacy_loop_vars: true,
        }
    }

    /// Skip maintaining `$velocityCount` / `$velocityHasNext` in loops: for a template that
    /// never references them, where they are unobservable (loops restore them on exit).
    pub fn without_legacy_loop_vars(mut self) -> Self {
        self.legacy_loop_vars = false;
        self
    }

    fn mlimits(&self) -> MethodLimits {
        MethodLimits {
            max_string: self.limits.max_output,
            max_collection: self.limits.max_collection,
        }
    }

    fn tick(&mut self, pos: Pos) -> Res<()> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(RenderError::Budget {
                pos,
                limit: self.limits.max_steps,
            });
        }
        Ok(())
    }

    fn check_out(&self, out: &str) -> Res<()> {
        if out.len() > self.limits.max_output {
            return Err(RenderError::OutputTooLarge {
                limit: self.limits.max_output,
            });
        }
        Ok(())
    }

    fn too_large(&self) -> RenderError {
        RenderError::OutputTooLarge {
            limit: self.limits.max_output,
        }
    }

    fn set_var(&mut self, name: &Arc<str>, v: Value) {
        if let Some(slot) = self.scope.vars.get_mut(&**name) {
            *slot = v;
        } else {
            self.scope.vars.insert(name.clone(), v);
        }
    }

    fn restore_var(&mut self, name: &Arc<str>, saved: Option<Value>) {
        match saved {
            Some(v) => self.set_var(name, v),
            None => {
                self.scope.vars.remove(&**name);
            }
        }
    }

    fn nest(&mut self, pos: Pos) -> Res<()> {
        self.nesting += 1;
        if self.nesting > self.limits.max_nesting {
            return Err(RenderError::Recursion {
                pos,
                limit: self.limits.max_nesting,
            });
        }
        Ok(())
    }

    pub fn render_nodes(&mut self, nodes: &[Node], out: &mut String) -> Res<Flow> {
        self.nest(Pos::default())?;
        let r = self.render_nodes_inner(nodes, out);
        self.nesting -= 1;
        r
    }

    fn render_nodes_inner(&mut self, nodes: &[Node], out: &mut String) -> Res<Flow> {
        for node in nodes {
            let flow = self.render_node(node, out)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn render_node(&mut self, node: &Node, out: &mut String) -> Res<Flow> {
        match node {
            Node::Text(t) => {
                out.push_str(t);
                self.check_out(out)?;
            }
            Node::Ref { r, escapes } => {
                self.tick(r.pos)?;
                let half = (*escapes / 2) as usize;
                for _ in 0..half {
                    out.push('\\');
                }
                if escapes % 2 == 1 {
                    out.push_str(&r.source);
                } else {
                    let v = self.eval_ref(r)?;
                    let flow = self.write_value(&v, out, r.pos)?;
                    self.check_out(out)?;
                    if flow == Flow::Stop {
                        return Ok(Flow::Stop);
                    }
                }
                self.check_out(out)?;
            }
            Node::Set { target, value } => {
                self.tick(target.pos)?;
                let v = self.eval(value)?;
                self.assign(target, v)?;
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (cond, body) in branches {
                    let c = self.eval(cond)?;
                    if c.truthy() {
                        return self.render_nodes(body, out);
                    }
                }
                if let Some(body) = otherwise {
                    return self.render_nodes(body, out);
                }
            }
            Node::Foreach {
                var,
                iterable,
                body,
                pos,
            } => return self.foreach(var, iterable, body, *pos, out),
            Node::Define { name, body } => {
                self.set_var(name, Value::Block(body.clone()));
            }
            Node::Break => return Ok(Flow::Break),
            Node::Stop => return Ok(Flow::Stop),
        }
        Ok(Flow::Normal)
    }

    fn foreach(
        &mut self,
        var: &Arc<str>,
        iterable: &Expr,
        body: &[Node],
        pos: Pos,
        out: &mut String,
    ) -> Res<Flow> {
        let it = self.eval(iterable)?;
        // Lists are walked live by index (a body may grow or shrink them); maps iterate their
        // values (Velocity's Map iterator), from a snapshot.
        let (list, json, snapshot) = match &it {
            Value::List(l) => (Some(l.clone()), None, Vec::new()),
            Value::Json(j) if !j.is_object() => (None, Some(j), Vec::new()),
            Value::Json(j) => (None, None, j.values()),
            Value::Map(m) => match m.try_borrow() {
                Ok(m) => (None, None, m.values().cloned().collect()),
                Err(_) => return Ok(Flow::Normal),
            },
            _ => return Ok(Flow::Normal),
        };
        let saved_var = self.scope.vars.get(&**var).cloned();
        let saved_foreach = self.scope.vars.get("foreach").cloned();
        let legacy = self.legacy_loop_vars;
        let saved_count = legacy
            .then(|| self.scope.vars.get("velocityCount").cloned())
            .flatten();
        let saved_has_next = legacy
            .then(|| self.scope.vars.get("velocityHasNext").cloned())
            .flatten();
        let state = Rc::new(LoopState::default());
        self.set_var(&FOREACH, Value::Loop(state.clone()));
        let mut flow = Flow::Normal;
        let mut i = 0usize;
        while i < self.limits.max_loop_iterations {
            let (item, has_next) = match &list {
                Some(l) => {
                    let Ok(l) = l.try_borrow() else { break };
                    match l.items.get(i) {
                        Some(v) => (v.clone(), i + 1 < l.items.len()),
                        None => break,
                    }
                }
                None => match json {
                    Some(j) => match j.item(i) {
                        Some(x) => x,
                        None => break,
                    },
                    None => match snapshot.get(i) {
                        Some(v) => (v.clone(), i + 1 < snapshot.len()),
                        None => break,
                    },
                },
            };
            self.tick(pos)?;
            state.index.set(i);
            state.has_next.set(has_next);
            self.set_var(var, item);
            if self.legacy_loop_vars {
                self.set_var(&VELOCITY_COUNT, Value::Int(i as i64 + 1));
                self.set_var(&VELOCITY_HAS_NEXT, Value::Bool(has_next));
            }
            match self.render_nodes(body, out)? {
                Flow::Normal => {}
                Flow::Break => break,
                Flow::Stop => {
                    flow = Flow::Stop;
                    break;
                }
            }
            i += 1;
        }
        self.restore_var(var, saved_var);
        self.restore_var(&FOREACH, saved_foreach);
        if legacy {
            self.restore_var(&VELOCITY_COUNT, saved_count);
            self.restore_var(&VELOCITY_HAS_NEXT, saved_has_next);
        }
        Ok(flow)
    }

    /// Render a value as a reference's output: null is empty, a `#define` block renders.
    fn write_value(&mut self, v: &Value, out: &mut String, pos: Pos) -> Res<Flow> {
        match v {
            Value::Null => {}
            Value::Str(s) => out.push_str(s),
            Value::Int(i) => number::write_int(*i, out),
            Value::Block(body) => {
                self.depth += 1;
                if self.depth > self.limits.max_depth {
                    return Err(RenderError::Recursion {
                        pos,
                        limit: self.limits.max_depth,
                    });
                }
                let body = body.clone();
                let r = self.render_nodes(&body, out);
                self.depth -= 1;
                return Ok(match r? {
                    Flow::Stop => Flow::Stop,
                    _ => Flow::Normal,
                });
            }
            Value::Host(id) => {
                let s = self
                    .host
                    .display(*id)
                    .map_err(|message| RenderError::Method { pos, message })?;
                out.push_str(&s);
            }
            other => {
                let limit = self.limits.max_output;
                other
                    .write_java(out, limit, 0)
                    .map_err(|TooLarge| self.too_large())?;
            }
        }
        Ok(Flow::Normal)
    }

    /// `toString()` of a value for concatenation and comparison (blocks render).
    fn stringify(&mut self, v: &Value, pos: Pos) -> Res<String> {
        match v {
            Value::Null => Ok(String::new()),
            Value::Str(s) => Ok(s.to_string()),
            _ => {
                let mut s = String::new();
                self.write_value(v, &mut s, pos)?;
                Ok(s)
            }
        }
    }

    fn lookup(&self, name: &str) -> Value {
        self.scope.vars.get(name).cloned().unwrap_or(Value::Null)
    }

    pub fn eval_ref(&mut self, r: &Reference) -> Res<Value> {
        let v = self.lookup(&r.root);
        self.eval_parts(v, &r.parts, r.pos)
    }

    fn eval_parts(&mut self, mut v: Value, parts: &[Part], pos: Pos) -> Res<Value> {
        for part in parts {
            if v.is_null() {
                return Ok(Value::Null);
            }
            self.tick(pos)?;
            v = match part {
                Part::Property(name) => self.property(&v, name, pos)?,
                Part::Method(name, args) => {
                    let mut vals = Vec::with_capacity(args.len());
                    for a in args {
                        vals.push(self.eval(a)?);
                    }
                    self.call(&v, name, &vals, pos)?
                }
                Part::Index(e) => {
                    let k = self.eval(e)?;
                    self.index(&v, &k, pos)?
                }
            };
        }
        Ok(v)
    }

    fn method_fault(&self, f: MethodFault, pos: Pos) -> RenderError {
        match f {
            MethodFault::Exception(message) => RenderError::Method { pos, message },
            MethodFault::TooLarge => self.too_large(),
        }
    }

    fn property(&mut self, v: &Value, name: &str, pos: Pos) -> Res<Value> {
        let r = match v {
            Value::Map(m) => match m.try_borrow() {
                Ok(m) => m.get(name).cloned().unwrap_or_default(),
                Err(_) => Value::Null,
            },
            Value::Json(j) => match j.property(name) {
                Some(r) => r,
                None => methods::bean_property(v, name, self.mlimits())
                    .map_err(|f| self.method_fault(f, pos))?
                    .unwrap_or_default(),
            },
            Value::Host(id) => self
                .host
                .property(*id, name)
                .map_err(|message| RenderError::Method { pos, message })?
                .unwrap_or_default(),
            Value::Entry(e) => match name {
                "key" => e.0.clone(),
                "value" => e.1.clone(),
                _ => Value::Null,
            },
            Value::Loop(s) => {
                let i = s.index.get();
                match name {
                    "index" => Value::Int(i as i64),
                    "count" => Value::Int(i as i64 + 1),
                    "hasNext" => Value::Bool(s.has_next.get()),
                    "first" => Value::Bool(i == 0),
                    "last" => Value::Bool(!s.has_next.get()),
                    _ => Value::Null,
                }
            }
            _ => methods::bean_property(v, name, self.mlimits())
                .map_err(|f| self.method_fault(f, pos))?
                .unwrap_or_default(),
        };
        self.scope.track(&r);
        Ok(r)
    }

    fn call(&mut self, v: &Value, name: &str, args: &[Value], pos: Pos) -> Res<Value> {
        let r = match v {
            Value::Host(id) => self
                .host
                .call(*id, name, args)
                .map_err(|message| RenderError::Method { pos, message })?
                .unwrap_or_default(),
            Value::Block(_) => {
                // A #define block has no methods but toString-like use renders it.
                if name == "toString" && args.is_empty() {
                    Value::string(self.stringify(v, pos)?)
                } else {
                    Value::Null
                }
            }
            _ => methods::call(v, name, args, self.mlimits())
                .map_err(|f| self.method_fault(f, pos))?
                .unwrap_or_default(),
        };
        // A container that received a container may now be part of a cycle.
        if v.is_container() && args.iter().any(Value::is_container) {
            self.scope.track(v);
        }
        self.scope.track(&r);
        Ok(r)
    }

    fn index(&mut self, v: &Value, k: &Value, pos: Pos) -> Res<Value> {
        Ok(match (v, k) {
            (Value::List(l), Value::Int(i)) => match l.try_borrow() {
                Ok(l) => {
                    let len = l.items.len() as i64;
                    let i = if *i < 0 { len + *i } else { *i };
                    if i < 0 || i >= len {
                        Value::Null
                    } else {
                        l.items[i as usize].clone()
                    }
                }
                Err(_) => Value::Null,
            },
            (Value::Map(m), k) => {
                let key = self.stringify(k, pos)?;
                match m.try_borrow() {
                    Ok(m) => m.get(key.as_str()).cloned().unwrap_or_default(),
                    Err(_) => Value::Null,
                }
            }
            (Value::Json(j), k) if j.is_object() => {
                let key = self.stringify(k, pos)?;
                j.property(&key).unwrap_or_default()
            }
            (Value::Json(j), Value::Int(i)) => {
                let len = j.len() as i64;
                let i = if *i < 0 { len + *i } else { *i };
                if i < 0 || i >= len {
                    Value::Null
                } else {
                    j.item(i as usize).map(|(v, _)| v).unwrap_or_default()
                }
            }
            (Value::Host(id), k) => {
                let key = self.stringify(k, pos)?;
                self.host
                    .call(*id, "get", &[Value::string(key)])
                    .map_err(|message| RenderError::Method { pos, message })?
                    .unwrap_or_default()
            }
            _ => Value::Null,
        })
    }

    fn assign(&mut self, target: &Reference, v: Value) -> Res<()> {
        // Velocity 1.x: assigning null leaves the target as it was.
        if v.is_null() {
            return Ok(());
        }
        let Some((last, prefix)) = target.parts.split_last() else {
            self.scope.track(&v);
            self.set_var(&target.root, v);
            return Ok(());
        };
        let base = self.eval_parts(self.lookup(&target.root), prefix, target.pos)?;
        // A lazy JSON container is written through its materialised map / list.
        let base = match base {
            Value::Json(j) => j.materialise(),
            b => b,
        };
        match last {
            Part::Property(name) => {
                if let Value::Map(m) = &base {
                    let mut map = m.try_borrow_mut().map_err(|_| RenderError::Method {
                        pos: target.pos,
                        message: "ConcurrentModificationException".into(),
                    })?;
                    if !map.contains_key(&**name) && map.len() >= self.limits.max_collection {
                        return Err(self.too_large());
                    }
                    map.insert(name.clone(), v.clone());
                }
            }
            Part::Index(e) => {
                let k = self.eval(e)?;
                match (&base, &k) {
                    (Value::Map(m), k) => {
                        let key = self.stringify(k, target.pos)?;
                        let mut map = m.try_borrow_mut().map_err(|_| RenderError::Method {
                            pos: target.pos,
                            message: "ConcurrentModificationException".into(),
                        })?;
                        if !map.contains_key(key.as_str())
                            && map.len() >= self.limits.max_collection
                        {
                            return Err(self.too_large());
                        }
                        map.insert(Arc::from(key), v.clone());
                    }
                    (Value::List(_), Value::Int(_)) => {
                        methods::call(&base, "set", &[k.clone(), v.clone()], self.mlimits())
                            .map_err(|f| self.method_fault(f, target.pos))?;
                    }
                    _ => {}
                }
            }
            Part::Method(..) => {}
        }
        if v.is_container() {
            self.scope.track(&base);
        }
        Ok(())
    }

    fn expr_pos(e: &Expr) -> Pos {
        match e {
            Expr::Ref(r) => r.pos,
            Expr::Binary(_, l, _) => Self::expr_pos(l),
            Expr::Not(e) | Expr::Neg(e) => Self::expr_pos(e),
            _ => Pos::default(),
        }
    }

    pub fn eval(&mut self, e: &Expr) -> Res<Value> {
        if self.nesting < self.limits.max_nesting {
            self.nesting += 1;
        } else {
            // The position is only needed for this error: found only here.
            self.nest(Self::expr_pos(e))?;
        }
        let r = self.eval_inner(e);
        self.nesting -= 1;
        r
    }

    fn eval_inner(&mut self, e: &Expr) -> Res<Value> {
        Ok(match e {
            Expr::Null => Value::Null,
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Int(i) => Value::Int(*i),
            Expr::Double(d) => Value::Double(*d),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Interp(nodes) => {
                self.depth += 1;
                if self.depth > self.limits.max_depth {
                    return Err(RenderError::Recursion {
                        pos: Pos::default(),
                        limit: self.limits.max_depth,
                    });
                }
                let mut s = String::new();
                let r = self.render_nodes(nodes, &mut s);
                self.depth -= 1;
                r?;
                Value::string(s)
            }
            Expr::List(items) => {
                let mut vals = Vec::with_capacity(items.len());
                for i in items {
                    vals.push(self.eval(i)?);
                }
                let v = Value::new_list(vals);
                self.scope.track(&v);
                v
            }
            Expr::Map(entries) => {
                let mut map = Map::with_capacity_and_hasher(entries.len(), Default::default());
                for (k, v) in entries {
                    let k = self.eval(k)?;
                    let k = match k {
                        Value::Null => "null".to_string(),
                        k => self.stringify(&k, Self::expr_pos(e))?,
                    };
                    let v = self.eval(v)?;
                    map.insert(Arc::from(k), v);
                }
                let v = Value::new_map(map);
                self.scope.track(&v);
                v
            }
            Expr::Range(a, b) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                let (Some(a), Some(b)) = (range_end(&a), range_end(&b)) else {
                    return Ok(Value::Null);
                };
                let len = (a - b).unsigned_abs() as u128 + 1;
                if len > self.limits.max_collection as u128 {
                    return Err(self.too_large());
                }
                let items: Vec<Value> = if a <= b {
                    (a..=b).map(Value::Int).collect()
                } else {
                    (b..=a).rev().map(Value::Int).collect()
                };
                let v = Value::new_list(items);
                self.scope.track(&v);
                v
            }
            Expr::Ref(r) => self.eval_ref(r)?,
            Expr::Not(e) => Value::Bool(!self.eval(e)?.truthy()),
            Expr::Neg(e) => match self.eval(e)? {
                Value::Int(i) => i
                    .checked_neg()
                    .map(Value::Int)
                    .unwrap_or(Value::Double(-(i as f64))),
                Value::Double(d) => Value::Double(-d),
                _ => Value::Null,
            },
            Expr::Binary(op, l, r) => {
                let pos = Self::expr_pos(e);
                self.tick(pos)?;
                match op {
                    BinOp::And => {
                        let a = self.eval(l)?;
                        Value::Bool(a.truthy() && self.eval(r)?.truthy())
                    }
                    BinOp::Or => {
                        let a = self.eval(l)?;
                        Value::Bool(a.truthy() || self.eval(r)?.truthy())
                    }
                    BinOp::Eq | BinOp::Ne => {
                        let (a, b) = (self.eval(l)?, self.eval(r)?);
                        let eq = self.velocity_eq(&a, &b, pos)?;
                        Value::Bool(if *op == BinOp::Eq { eq } else { !eq })
                    }
                    BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                        let (a, b) = (self.eval(l)?, self.eval(r)?);
                        let ord = number::compare(&a, &b);
                        Value::Bool(match (op, ord) {
                            (_, None) => false,
                            (BinOp::Lt, Some(o)) => o.is_lt(),
                            (BinOp::Le, Some(o)) => o.is_le(),
                            (BinOp::Gt, Some(o)) => o.is_gt(),
                            (_, Some(o)) => o.is_ge(),
                        })
                    }
                    BinOp::Arith(aop) => {
                        let (a, b) = (self.eval(l)?, self.eval(r)?);
                        if *aop == ArithOp::Add
                            && (matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)))
                        {
                            if a.is_null() || b.is_null() {
                                return Ok(Value::Null);
                            }
                            let mut s = self.stringify(&a, pos)?;
                            s.push_str(&self.stringify(&b, pos)?);
                            self.check_out(&s)?;
                            Value::string(s)
                        } else {
                            number::arith(*aop, &a, &b).unwrap_or_default()
                        }
                    }
                }
            }
        })
    }

    /// Velocity 1.x `==`: numbers by value, same-kind values by `equals`, otherwise by their
    /// `toString()`. A null (or undefined) operand compares as the empty string, as API
    /// Gateway treats it.
    fn velocity_eq(&mut self, a: &Value, b: &Value, pos: Pos) -> Res<bool> {
        let num = |v: &Value| matches!(v, Value::Int(_) | Value::Double(_));
        if num(a) && num(b) {
            return Ok(number::compare(a, b) == Some(std::cmp::Ordering::Equal));
        }
        // Lazy JSON containers compare as the map / list they stand for.
        let (ma, mb) = (a.materialised(), b.materialised());
        let (a, b) = (&*ma, &*mb);
        let same_kind = std::mem::discriminant(a) == std::mem::discriminant(b);
        if same_kind && !matches!(a, Value::Block(_)) {
            let mut steps = self.limits.max_steps.saturating_sub(self.steps);
            let r = java_equals(a, b, &mut steps, 0).map_err(|TooLarge| RenderError::Budget {
                pos,
                limit: self.limits.max_steps,
            })?;
            self.steps = self.limits.max_steps - steps;
            return Ok(r);
        }
        Ok(self.stringify(a, pos)? == self.stringify(b, pos)?)
    }
}

fn range_end(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}
