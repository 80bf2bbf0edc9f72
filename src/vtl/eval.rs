//! The evaluator: renders nodes against a [`Scope`] and a [`Host`].

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::ast::{BinOp, Expr, Node, Part, Pos, Reference};
use super::methods::{self, MethodFault, MethodLimits};
use super::number::{self, ArithOp};
use super::value::{LoopState, Map, TooLarge, Value, java_equals};
use super::{Host, HostId, Limits, RenderError};

/// The variables of one render, plus bookkeeping that lets it release everything it built.
///
/// Containers created or mutated during a render are emptied when the scope is dropped: that
/// breaks any reference cycle a template built (`$l.add($l)`) and keeps dropping a very deep
/// structure from recursing. Read what you need (overrides, …) before dropping the scope.
///
/// While a template renders, the variables it references live in slots indexed by the
/// template's sorted root names (resolved when the template is parsed), so a reference costs
/// an index rather than a hash lookup; [`Scope::get`] and [`Scope::set`] see both.
#[derive(Default)]
pub struct Scope {
    vars: HashMap<Arc<str>, Value, foldhash::fast::RandomState>,
    /// Names of the slots (sorted) and their values; `Null` is "not set".
    slot_names: Option<Arc<[Arc<str>]>>,
    slots: Vec<Value>,
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
        if let Some(i) = self.slot_of(name) {
            self.slots[i] = value;
            return;
        }
        self.vars.insert(Arc::from(name), value);
    }

    /// The value of `$name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        if let Some(i) = self.slot_of(name) {
            return self.slots.get(i).filter(|v| !v.is_null());
        }
        self.vars.get(name)
    }

    fn slot_of(&self, name: &str) -> Option<usize> {
        let names = self.slot_names.as_ref()?;
        names.binary_search_by(|r| (**r).cmp(name)).ok()
    }

    /// Move the variables named in `roots` (a template's sorted root names) into slots.
    pub(super) fn bind(&mut self, roots: &Arc<[Arc<str>]>) {
        if let Some(names) = &self.slot_names {
            if Arc::ptr_eq(names, roots) {
                return;
            }
            // Bound to another template before: back to names first.
            let names = names.clone();
            for (k, v) in names.iter().zip(std::mem::take(&mut self.slots)) {
                if !v.is_null() {
                    self.vars.insert(k.clone(), v);
                }
            }
        }
        self.slots.clear();
        self.slots.resize(roots.len(), Value::Null);
        let slots = &mut self.slots;
        self.vars
            .retain(|k, v| match roots.binary_search_by(|r| (**r).cmp(&**k)) {
                Ok(i) => {
                    slots[i] = std::mem::take(v);
                    false
                }
                Err(_) => true,
            });
        self.slot_names = Some(roots.clone());
    }

    /// Take charge of `v` if it is a container (see [`Scope`]).
    #[inline(always)]
    fn track(&mut self, v: &Value) {
        if matches!(v, Value::Json(_) | Value::List(_) | Value::Map(_)) {
            self.track_container(v);
        }
    }

    #[inline(never)]
    fn track_container(&mut self, v: &Value) {
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
        self.slots.clear();
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
    /// Slots of the variables `#foreach` maintains, when the template mentions them (they
    /// are unobservable otherwise: loops restore them on exit).
    loop_slots: LoopSlots,
}

/// Slots of `$foreach`, `$velocityCount` and `$velocityHasNext` in the rendering template.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopSlots {
    /// `$foreach`.
    pub foreach: Option<u32>,
    /// `$velocityCount`.
    pub count: Option<u32>,
    /// `$velocityHasNext`.
    pub has_next: Option<u32>,
}

type Res<T> = Result<T, RenderError>;

impl<'a> Eval<'a> {
    /// An evaluator over `scope`, which must be bound to the template's roots
    /// ([`Scope::bind`]).
    pub fn new(
        scope: &'a mut Scope,
        host: &'a dyn Host,
        limits: Limits,
        loop_slots: LoopSlots,
    ) -> Self {
        Eval {
            scope,
            host,
            limits,
            steps: 0,
            depth: 0,
            nesting: 0,
            loop_slots,
        }
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

    #[inline]
    fn set_var(&mut self, slot: u32, v: Value) {
        if let Some(s) = self.scope.slots.get_mut(slot as usize) {
            *s = v;
        }
    }

    #[inline]
    fn get_var(&self, slot: u32) -> Value {
        self.scope
            .slots
            .get(slot as usize)
            .cloned()
            .unwrap_or_default()
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

    #[inline(always)]
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
                } else if self.write_json_property(r, out)? {
                    // A scalar of a lazy JSON document, printed straight from its text.
                } else if let [Part::Method(name, args)] = r.parts.as_slice()
                    && args.len() <= 2
                    && let Some(&Value::Host(id)) = self.scope.slots.get(r.slot as usize)
                {
                    // `$host.method(…)`: the host may print the result itself.
                    self.tick(r.pos)?;
                    if let [Expr::Ref(a)] = args.as_slice()
                        && let Some(flow) = self.write_call_json_str(id, name, r.pos, a, out)?
                    {
                        if flow == Flow::Stop {
                            return Ok(Flow::Stop);
                        }
                        self.check_out(out)?;
                        return Ok(Flow::Normal);
                    }
                    let mut vals: [Value; 2] = Default::default();
                    for (slot, a) in vals.iter_mut().zip(args) {
                        *slot = self.eval(a)?;
                    }
                    let vals = &vals[..args.len()];
                    let start = out.len();
                    let written = self
                        .host
                        .write_call(id, name, vals, out)
                        .map_err(|message| RenderError::Method {
                            pos: r.pos,
                            message,
                        })?;
                    if !written {
                        out.truncate(start);
                        let v = self.call(&Value::Host(id), name, vals, r.pos)?;
                        if self.write_value(&v, out, r.pos)? == Flow::Stop {
                            return Ok(Flow::Stop);
                        }
                    }
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
                    if self.eval_cond(cond)? {
                        return self.render_branch(body, out);
                    }
                }
                if let Some(body) = otherwise {
                    return self.render_branch(body, out);
                }
            }
            Node::Foreach {
                var_slot,
                iterable,
                body,
                pos,
                ..
            } => return self.foreach(*var_slot, iterable, body, *pos, out),
            Node::Define { slot, body, .. } => {
                self.set_var(*slot, Value::Block(body.clone()));
            }
            Node::Break => return Ok(Flow::Break),
            Node::Stop => return Ok(Flow::Stop),
        }
        Ok(Flow::Normal)
    }

    /// The body of an `#if` branch: [`Eval::render_nodes`], with a body of plain text (`,`,
    /// `true`) written directly when the nesting cap cannot be hit.
    #[inline(always)]
    fn render_branch(&mut self, body: &[Node], out: &mut String) -> Res<Flow> {
        if let [Node::Text(t)] = body
            && self.nesting < self.limits.max_nesting
        {
            out.push_str(t);
            self.check_out(out)?;
            return Ok(Flow::Normal);
        }
        self.render_nodes(body, out)
    }

    fn foreach(
        &mut self,
        var: u32,
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
        let LoopSlots {
            foreach: foreach_slot,
            count: count_slot,
            has_next: has_next_slot,
        } = self.loop_slots;
        let saved_var = self.get_var(var);
        let saved = |s: Option<u32>, ev: &Self| s.map(|s| ev.get_var(s));
        let saved_foreach = saved(foreach_slot, self);
        let saved_count = saved(count_slot, self);
        let saved_has_next = saved(has_next_slot, self);
        let state = foreach_slot.map(|s| {
            let state = Rc::new(LoopState::default());
            self.set_var(s, Value::Loop(state.clone()));
            state
        });
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
            if let Some(state) = &state {
                state.index.set(i);
                state.has_next.set(has_next);
            }
            self.set_var(var, item);
            if let Some(s) = count_slot {
                self.set_var(s, Value::Int(i as i64 + 1));
            }
            if let Some(s) = has_next_slot {
                self.set_var(s, Value::Bool(has_next));
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
        self.set_var(var, saved_var);
        for (slot, v) in [
            (foreach_slot, saved_foreach),
            (count_slot, saved_count),
            (has_next_slot, saved_has_next),
        ] {
            if let (Some(s), Some(v)) = (slot, v) {
                self.set_var(s, v);
            }
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

    /// `$a.b` (one property of a variable) printed straight from a lazy JSON document when
    /// it is a scalar there; `false` when the reference is not of that form (nothing done).
    /// Charges the same step as evaluating the property would.
    fn write_json_property(&mut self, r: &Reference, out: &mut String) -> Res<bool> {
        let [Part::Property(name, hint)] = r.parts.as_slice() else {
            return Ok(false);
        };
        let Some(Value::Json(j)) = self.scope.slots.get(r.slot as usize) else {
            return Ok(false);
        };
        if !j.is_object() {
            return Ok(false);
        }
        let start = out.len();
        if !j.write_property(name, Some(hint), out) {
            out.truncate(start);
            return Ok(false);
        }
        self.tick(r.pos)?;
        Ok(true)
    }

    /// `$host.method($o.k)` in output position where `$o.k` is a string of a lazy JSON
    /// document: the host gets the string's text, no string value is built. `None`
    /// (nothing done, no step counted) when the argument is anything else. Steps, nesting
    /// and results as the general path (`eval` of the argument, then `write_call`).
    #[inline(never)]
    fn write_call_json_str(
        &mut self,
        id: HostId,
        name: &str,
        pos: Pos,
        a: &Reference,
        out: &mut String,
    ) -> Res<Option<Flow>> {
        let [Part::Property(pname, hint)] = a.parts.as_slice() else {
            return Ok(None);
        };
        if self.nesting >= self.limits.max_nesting {
            return Ok(None);
        }
        let Some(Value::Json(j)) = self.scope.slots.get(a.slot as usize) else {
            return Ok(None);
        };
        let j = j.clone();
        let Some((raw, escaped)) = j.raw_str_property(pname, Some(hint)) else {
            return Ok(None);
        };
        // The step `eval` of the argument counts.
        self.tick(a.pos)?;
        let start = out.len();
        let fault = |message| RenderError::Method { pos, message };
        if escaped {
            if self
                .host
                .write_call_json_str(id, name, raw, out)
                .map_err(fault)?
            {
                return Ok(Some(Flow::Normal));
            }
            out.truncate(start);
        }
        let text = if escaped {
            let mut s = String::with_capacity(raw.len());
            super::json::unescape_into(raw, &mut s);
            std::borrow::Cow::Owned(s)
        } else {
            std::borrow::Cow::Borrowed(raw)
        };
        if self
            .host
            .write_call_str(id, name, &text, out)
            .map_err(fault)?
        {
            return Ok(Some(Flow::Normal));
        }
        out.truncate(start);
        let v = self.call(&Value::Host(id), name, &[Value::str(&text)], pos)?;
        self.write_value(&v, out, pos).map(Some)
    }

    pub fn eval_ref(&mut self, r: &Reference) -> Res<Value> {
        if let [Part::Property(name, hint)] = r.parts.as_slice() {
            match self.scope.slots.get(r.slot as usize) {
                // `$a.b` on a lazy JSON object: read without cloning the handle.
                Some(Value::Json(j)) => {
                    if let Some(v) = j.property_hinted(name, Some(hint)) {
                        self.tick(r.pos)?;
                        self.scope.track(&v);
                        return Ok(v);
                    }
                }
                // `$foreach.hasNext` and friends: no clone of the loop state.
                Some(Value::Loop(s)) => {
                    let v = loop_property(s, name);
                    self.tick(r.pos)?;
                    return Ok(v);
                }
                _ => {}
            }
        }
        let v = self.get_var(r.slot);
        self.eval_parts(v, &r.parts, r.pos)
    }

    fn eval_parts(&mut self, mut v: Value, parts: &[Part], pos: Pos) -> Res<Value> {
        for part in parts {
            if v.is_null() {
                return Ok(Value::Null);
            }
            self.tick(pos)?;
            v = match part {
                Part::Property(name, _) => self.property(&v, name, pos)?,
                Part::Method(name, args) if args.len() <= 2 => {
                    // Most calls take at most two arguments: no vector for them.
                    let mut vals: [Value; 2] = Default::default();
                    for (slot, a) in vals.iter_mut().zip(args) {
                        *slot = self.eval(a)?;
                    }
                    self.call(&v, name, &vals[..args.len()], pos)?
                }
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
            Value::Loop(s) => loop_property(s, name),
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
            self.set_var(target.slot, v);
            return Ok(());
        };
        let base = self.eval_parts(self.get_var(target.slot), prefix, target.pos)?;
        // A lazy JSON container is written through its materialised map / list.
        let base = match base {
            Value::Json(j) => j.materialise(),
            b => b,
        };
        match last {
            Part::Property(name, _) => {
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

    /// `eval(e)?.truthy()`, without building values for the common conditions: a loop
    /// property (`$foreach.hasNext`) and a comparison of numbers read from a lazy JSON
    /// document or written as literals (`$o.n > 0`). Steps are counted, in the same order,
    /// as `eval` counts them; the fast paths are only taken where `eval` could not hit the
    /// nesting cap.
    #[inline]
    fn eval_cond(&mut self, e: &Expr) -> Res<bool> {
        if self.nesting + 2 < self.limits.max_nesting {
            match e {
                Expr::Ref(r) => {
                    if let [Part::Property(name, _)] = r.parts.as_slice()
                        && let Some(Value::Loop(s)) = self.scope.slots.get(r.slot as usize)
                    {
                        let v = loop_property(s, name);
                        self.tick(r.pos)?;
                        return Ok(v.truthy());
                    }
                }
                Expr::Binary(
                    op @ (BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne),
                    l,
                    r,
                ) => {
                    if let (Some(a), Some(b)) = (self.number_operand(l), self.number_operand(r)) {
                        // As `eval_inner`: the operator's step, then each reference's.
                        self.steps += 1;
                        if self.steps > self.limits.max_steps {
                            return Err(RenderError::Budget {
                                pos: Self::expr_pos(e),
                                limit: self.limits.max_steps,
                            });
                        }
                        for side in [l, r] {
                            if let Expr::Ref(r) = &**side {
                                self.tick(r.pos)?;
                            }
                        }
                        let ord = number::compare(&a, &b);
                        return Ok(match (op, ord) {
                            (BinOp::Eq, o) => o == Some(std::cmp::Ordering::Equal),
                            (BinOp::Ne, o) => o != Some(std::cmp::Ordering::Equal),
                            (_, None) => false,
                            (BinOp::Lt, Some(o)) => o.is_lt(),
                            (BinOp::Le, Some(o)) => o.is_le(),
                            (BinOp::Gt, Some(o)) => o.is_gt(),
                            (_, Some(o)) => o.is_ge(),
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(self.eval(e)?.truthy())
    }

    /// An operand of [`Eval::eval_cond`]'s comparison that is a number without side effects
    /// to evaluate: a numeric literal, or `$o.k` with `$o` a lazy JSON object and `k` a
    /// number there.
    #[inline]
    fn number_operand(&self, e: &Expr) -> Option<Value> {
        match e {
            Expr::Int(i) => Some(Value::Int(*i)),
            Expr::Double(d) => Some(Value::Double(*d)),
            Expr::Ref(r) => {
                let [Part::Property(name, hint)] = r.parts.as_slice() else {
                    return None;
                };
                let Some(Value::Json(j)) = self.scope.slots.get(r.slot as usize) else {
                    return None;
                };
                j.number_property(name, Some(hint))
            }
            _ => None,
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
                // `tick`, with the position (a walk down the left operands) found only for
                // the error.
                self.steps += 1;
                if self.steps > self.limits.max_steps {
                    return Err(RenderError::Budget {
                        pos: Self::expr_pos(e),
                        limit: self.limits.max_steps,
                    });
                }
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
                        let eq = self.velocity_eq(&a, &b, Self::expr_pos(e))?;
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
                            let pos = Self::expr_pos(e);
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

/// `$foreach.name`.
#[inline]
fn loop_property(s: &LoopState, name: &str) -> Value {
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

fn range_end(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}
