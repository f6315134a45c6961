//! The decision graph: the checked program as a dependency graph (petgraph), with the order in
//! which to evaluate it computed once, at compile time.
//!
//! Nodes are the transaction's input fields, tables, conditions, rules, exceptions and
//! decisions. An edge `a → b` says that `b` needs `a`: a condition reads an input field, a table
//! or a decision; a rule needs its conditions; a decision needs the rules that set it; an
//! overridden rule needs the exception that may override it.
//!
//! Identical conditions are one node (hash-consing): `destination in cc_column_1_countries`
//! written in ten rules is evaluated once per transaction. Every closed boolean sub-condition
//! (one that reads no quantifier variable from outside itself) is a node; sub-conditions that
//! read a variable belong to the quantifier that binds it. The evaluator may memoise a
//! condition's truth by its [`ConditionId`].
//!
//! A cycle (a rule whose condition reads a decision the rule itself feeds) has no evaluation
//! order; it is reported as `E0430` with the whole cycle.
//!
//! The graph knows the IR; it knows nothing of the syntax tree or of evaluation.

pub mod render;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

use crate::diagnostic::{Code, Diagnostic};
use crate::semantic::ir::*;

/// A shared condition: one node for every occurrence of the same condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConditionId(pub u32);

impl ConditionId {
    /// The position in [`DecisionGraph::conditions`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A condition node: every expression that is this condition.
#[derive(Clone, Debug)]
pub struct Condition {
    /// The first occurrence, whose text labels the node.
    pub expr: ExprId,
    /// Every occurrence.
    pub occurrences: Vec<ExprId>,
    pub node: NodeIndex,
}

/// A node of the decision graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A field of the transaction, written as a path: `destination`, `items[].eccn`.
    Input(Arc<str>),
    /// A table, read as rows, as a column, or as a screening list.
    Table(TableId),
    /// A (shared) condition.
    Condition(ConditionId),
    Rule(RuleId),
    /// `exception` may override `overridden`.
    Exception {
        exception: RuleId,
        overridden: RuleId,
    },
    Decision(DecisionId),
}

/// What an edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Edge {
    /// The target reads the source's value.
    Reads,
    /// A condition is the rule's `when`.
    When,
    /// A condition is the rule's `unless`.
    Unless,
    /// A rule sets a decision.
    Sets,
    /// An exception rule may override the target rule.
    Overrides,
}

impl Edge {
    /// The edge as a word, for renderings.
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Reads => "reads",
            Edge::When => "when",
            Edge::Unless => "unless",
            Edge::Sets => "sets",
            Edge::Overrides => "overrides",
        }
    }
}

/// One step of the evaluation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Evaluate a rule: its conditions, then its outcomes (unless an exception overrode it).
    Rule(RuleId),
    /// Every rule that sets this decision has been evaluated: combine their outcomes.
    Decision(DecisionId),
}

/// The compiled decision graph.
#[derive(Clone, Debug, Default)]
pub struct DecisionGraph {
    pub graph: DiGraph<Node, Edge>,
    pub conditions: Vec<Condition>,
    /// The order in which to evaluate rules and combine decisions; empty when the graph has a
    /// cycle.
    pub order: Vec<Step>,
    /// For each expression (by [`ExprId`]), the shared condition it is, if any.
    condition_of: Vec<Option<ConditionId>>,
    rule_nodes: Vec<NodeIndex>,
    decision_nodes: Vec<NodeIndex>,
}

impl DecisionGraph {
    /// The shared condition an expression is, for memoising its truth.
    pub fn condition(&self, expr: ExprId) -> Option<ConditionId> {
        self.condition_of.get(expr.index()).copied().flatten()
    }

    /// The node of a rule.
    pub fn rule_node(&self, rule: RuleId) -> Option<NodeIndex> {
        self.rule_nodes.get(rule.index()).copied()
    }

    /// The node of a decision.
    pub fn decision_node(&self, decision: DecisionId) -> Option<NodeIndex> {
        self.decision_nodes.get(decision.index()).copied()
    }

    /// Every node the given nodes depend on, and the nodes themselves: the slice of the graph
    /// that decides them. Sorted by node index.
    pub fn slice(&self, roots: &[NodeIndex]) -> Vec<NodeIndex> {
        let mut seen = vec![false; self.graph.node_count()];
        let mut stack: Vec<NodeIndex> = roots.to_vec();
        let mut found = Vec::new();
        while let Some(node) = stack.pop() {
            match seen.get_mut(node.index()) {
                Some(flag) if !*flag => *flag = true,
                _ => continue,
            }
            found.push(node);
            stack.extend(self.graph.neighbors_directed(node, Direction::Incoming));
        }
        found.sort();
        found
    }
}

/// Builds the decision graph of a checked program and its evaluation order. Returns the graph
/// and a diagnostic for every cycle.
pub fn build(program: &Program) -> (DecisionGraph, Vec<Diagnostic>) {
    let mut builder = Builder {
        program,
        graph: DecisionGraph {
            condition_of: vec![None; program.exprs.len()],
            ..DecisionGraph::default()
        },
        keys: HashMap::new(),
        free_memo: vec![None; program.exprs.len()],
        edges: std::collections::HashSet::new(),
        inputs: HashMap::new(),
        tables: HashMap::new(),
    };
    for index in 0..program.decisions.len() {
        let node = builder
            .graph
            .graph
            .add_node(Node::Decision(DecisionId::from_index(index)));
        builder.graph.decision_nodes.push(node);
    }
    for index in 0..program.rules.len() {
        let node = builder
            .graph
            .graph
            .add_node(Node::Rule(RuleId::from_index(index)));
        builder.graph.rule_nodes.push(node);
    }
    for (index, rule) in program.rules.iter().enumerate() {
        builder.add_rule(RuleId::from_index(index), rule);
    }
    let diagnostics = builder.order();
    (builder.graph, diagnostics)
}

/// Where a value read through a path comes from.
#[derive(Clone, Debug)]
enum Source {
    Input(String),
    Table(TableId),
    Nothing,
}

struct Builder<'p> {
    program: &'p Program,
    graph: DecisionGraph,
    /// Canonical keys of closed conditions, for hash-consing.
    keys: HashMap<String, ConditionId>,
    /// The free slots of each expression, computed once.
    free_memo: Vec<Option<Box<[Slot]>>>,
    /// The edges made so far, so each is made once.
    edges: std::collections::HashSet<(NodeIndex, NodeIndex)>,
    inputs: HashMap<String, NodeIndex>,
    tables: HashMap<TableId, NodeIndex>,
}

impl Builder<'_> {
    fn add_rule(&mut self, id: RuleId, rule: &Rule) {
        let Some(rule_node) = self.graph.rule_node(id) else {
            return;
        };
        for (root, edge) in [(rule.when, Edge::When), (rule.unless, Edge::Unless)] {
            let Some(root) = root else { continue };
            match self.condition(root, &rule.slots) {
                Some(node) => self.edge(node, rule_node, edge),
                None => self.reads_of(root, &rule.slots, rule_node, Descend::Inner),
            }
        }
        // Outcomes and `because` read values too: the witnesses' fields, tables, decisions.
        for outcome in &rule.outcomes {
            self.reads_of(outcome.value, &rule.slots, rule_node, Descend::Inner);
            if let Some(decision) = self.graph.decision_node(outcome.decision) {
                self.edge(rule_node, decision, Edge::Sets);
            }
        }
        if let Some(because) = &rule.because {
            for part in &because.parts {
                if let TemplatePart::Value(value) = part {
                    self.reads_of(*value, &rule.slots, rule_node, Descend::Inner);
                }
            }
        }
        for overridden in &rule.exception_to {
            let Some(target) = self.graph.rule_node(*overridden) else {
                continue;
            };
            let node = self.graph.graph.add_node(Node::Exception {
                exception: id,
                overridden: *overridden,
            });
            self.edge(rule_node, node, Edge::Reads);
            self.edge(node, target, Edge::Overrides);
        }
    }

    fn edge(&mut self, from: NodeIndex, to: NodeIndex, edge: Edge) {
        // A set of the edges made, rather than petgraph's `find_edge`, which walks every edge
        // of the source: `destination` feeds thousands of conditions in a large library.
        if self.edges.insert((from, to)) {
            self.graph.graph.add_edge(from, to, edge);
        }
    }

    /// The node of a closed boolean expression (one that reads no variable bound outside it),
    /// made or found by its canonical key, with the edges of what it reads. Closed boolean
    /// sub-expressions become conditions first, bottom-up, so that a key names them by id and
    /// building stays linear. Returns `None` for an expression that is not a closed condition.
    fn condition(&mut self, id: ExprId, slots: &[SlotInfo]) -> Option<NodeIndex> {
        crate::semantic::with_stack(|| self.condition_here(id, slots))
    }

    fn condition_here(&mut self, id: ExprId, slots: &[SlotInfo]) -> Option<NodeIndex> {
        if let Some(existing) = self.graph.condition(id) {
            return self.graph.conditions.get(existing.index()).map(|c| c.node);
        }
        let expr = self.program.expr(id)?;
        // A constant is not worth a node: `true` in `review is true` is a value, not a test.
        if expr.ty != Type::Bool
            || matches!(expr.kind, ExprKind::Const(_))
            || !self.free(id).is_empty()
        {
            return None;
        }
        let key = self.key(id, slots, &mut Vec::new());
        if let Some(existing) = self.keys.get(&key).copied() {
            let condition = self.graph.conditions.get_mut(existing.index())?;
            condition.occurrences.push(id);
            let node = condition.node;
            self.mark(id, existing);
            return Some(node);
        }
        let condition = ConditionId(u32::try_from(self.graph.conditions.len()).unwrap_or(u32::MAX));
        let node = self.graph.graph.add_node(Node::Condition(condition));
        self.graph.conditions.push(Condition {
            expr: id,
            occurrences: vec![id],
            node,
        });
        self.keys.insert(key, condition);
        self.mark(id, condition);
        self.reads_of(id, slots, node, Descend::Root);
        Some(node)
    }

    fn mark(&mut self, expr: ExprId, condition: ConditionId) {
        if let Some(slot) = self.graph.condition_of.get_mut(expr.index()) {
            *slot = Some(condition);
        }
    }

    /// The slots an expression reads but does not bind itself.
    fn free(&mut self, id: ExprId) -> Vec<Slot> {
        crate::semantic::with_stack(|| self.free_here(id))
    }

    fn free_here(&mut self, id: ExprId) -> Vec<Slot> {
        if let Some(Some(known)) = self.free_memo.get(id.index()) {
            return known.to_vec();
        }
        let Some(expr) = self.program.expr(id) else {
            return Vec::new();
        };
        let mut free: Vec<Slot> = Vec::new();
        let add = |more: Vec<Slot>, free: &mut Vec<Slot>| {
            for slot in more {
                if !free.contains(&slot) {
                    free.push(slot);
                }
            }
        };
        match &expr.kind {
            ExprKind::Path(Path {
                root: PathRoot::Slot(slot),
                ..
            }) => free.push(*slot),
            ExprKind::Quantifier {
                slot,
                collection,
                body,
                ..
            } => {
                let from_collection = self.free(*collection);
                add(from_collection, &mut free);
                let from_body: Vec<Slot> =
                    self.free(*body).into_iter().filter(|s| s != slot).collect();
                add(from_body, &mut free);
            }
            _ => {
                for child in expr.kind.operands() {
                    let more = self.free(child);
                    add(more, &mut free);
                }
            }
        }
        if let Some(memo) = self.free_memo.get_mut(id.index()) {
            *memo = Some(free.clone().into_boxed_slice());
        }
        free
    }

    /// Adds edges from everything an expression reads (input fields, tables, decisions, and
    /// the conditions it is made of) to `target`.
    fn reads_of(&mut self, id: ExprId, slots: &[SlotInfo], target: NodeIndex, descend: Descend) {
        crate::semantic::with_stack(|| self.reads_of_here(id, slots, target, descend));
    }

    fn reads_of_here(
        &mut self,
        id: ExprId,
        slots: &[SlotInfo],
        target: NodeIndex,
        descend: Descend,
    ) {
        if descend == Descend::Inner {
            if let Some(node) = self.condition(id, slots) {
                self.edge(node, target, Edge::Reads);
                return;
            }
        }
        let Some(expr) = self.program.expr(id) else {
            return;
        };
        match &expr.kind {
            ExprKind::Path(path) => match self.path_source(path, slots) {
                Source::Input(name) => {
                    let node = self.input(name);
                    self.edge(node, target, Edge::Reads);
                }
                Source::Table(table) => {
                    let node = self.table(table);
                    self.edge(node, target, Edge::Reads);
                }
                Source::Nothing => {}
            },
            ExprKind::Decision(decision) => {
                if let Some(node) = self.graph.decision_node(*decision) {
                    self.edge(node, target, Edge::Reads);
                }
            }
            ExprKind::Table(table) | ExprKind::Column { table, .. } => {
                let node = self.table(*table);
                self.edge(node, target, Edge::Reads);
            }
            kind => {
                for child in kind.operands() {
                    self.reads_of(child, slots, target, Descend::Inner);
                }
            }
        }
    }

    fn input(&mut self, name: String) -> NodeIndex {
        if let Some(node) = self.inputs.get(&name) {
            return *node;
        }
        let node = self
            .graph
            .graph
            .add_node(Node::Input(Arc::from(name.as_str())));
        self.inputs.insert(name, node);
        node
    }

    fn table(&mut self, table: TableId) -> NodeIndex {
        if let Some(node) = self.tables.get(&table) {
            return *node;
        }
        let node = self.graph.graph.add_node(Node::Table(table));
        self.tables.insert(table, node);
        node
    }

    /// Where a path's value comes from: `items[].eccn` for `item.eccn` with `item` bound in
    /// `items`; the table for a field of a row.
    fn path_source(&self, path: &Path, slots: &[SlotInfo]) -> Source {
        let (mut written, mut ty) = match path.root {
            PathRoot::Transaction => (String::new(), self.program.schema.map(Type::Record)),
            PathRoot::Slot(slot) => {
                let Some(info) = slots.get(slot.index()) else {
                    return Source::Nothing;
                };
                let Some(ExprKind::Quantifier { collection, .. }) =
                    self.program.expr(info.binder).map(|e| &e.kind)
                else {
                    return Source::Nothing;
                };
                let Some(collection) = self.program.expr(*collection) else {
                    return Source::Nothing;
                };
                match &collection.kind {
                    ExprKind::Path(inner) => match self.path_source(inner, slots) {
                        Source::Input(name) => (format!("{name}[]"), Some(info.ty.clone())),
                        other => return other,
                    },
                    ExprKind::Table(table) | ExprKind::Column { table, .. } => {
                        return Source::Table(*table)
                    }
                    _ => return Source::Nothing,
                }
            }
        };
        for field in path.fields.iter() {
            let record = match &ty {
                Some(Type::Record(record)) => self.program.record(*record),
                _ => None,
            };
            let Some(field) = record.and_then(|r| r.fields.get(usize::from(*field))) else {
                return Source::Nothing;
            };
            if !written.is_empty() {
                written.push('.');
            }
            written.push_str(&field.name);
            ty = Some(match &field.ty {
                Type::List(element) | Type::Set(element) => {
                    written.push_str("[]");
                    (**element).clone()
                }
                other => other.clone(),
            });
        }
        // A collection read whole is written without the trailing `[]`.
        let trimmed = written
            .strip_suffix("[]")
            .map(str::to_string)
            .unwrap_or(written);
        Source::Input(trimmed)
    }

    /// The canonical key of an expression: its structure without spans, with variables
    /// numbered by the depth of their binder and closed sub-conditions written by their id.
    fn key(&mut self, id: ExprId, slots: &[SlotInfo], bound: &mut Vec<Slot>) -> String {
        crate::semantic::with_stack(|| self.key_here(id, slots, bound))
    }

    fn key_here(&mut self, id: ExprId, slots: &[SlotInfo], bound: &mut Vec<Slot>) -> String {
        let Some(expr) = self.program.expr(id) else {
            return String::from("?");
        };
        let mut out = String::new();
        match &expr.kind {
            ExprKind::Const(value) => {
                let _ = write!(out, "k{value:?}");
            }
            ExprKind::Path(path) => {
                match path.root {
                    PathRoot::Transaction => out.push('t'),
                    PathRoot::Slot(slot) => {
                        let depth = bound
                            .iter()
                            .rposition(|s| *s == slot)
                            .map_or(usize::MAX, |d| d);
                        let _ = write!(out, "v{depth}");
                    }
                }
                for field in path.fields.iter() {
                    let _ = write!(out, ".{field}");
                }
            }
            ExprKind::Decision(decision) => {
                let _ = write!(out, "d{}", decision.0);
            }
            ExprKind::Table(table) => {
                let _ = write!(out, "T{}", table.0);
            }
            ExprKind::Column { table, column } => {
                let _ = write!(out, "C{}.{column}", table.0);
            }
            ExprKind::Quantifier {
                kind,
                slot,
                collection,
                body,
            } => {
                let collection = self.sub_key(*collection, slots, bound);
                bound.push(*slot);
                let body = self.sub_key(*body, slots, bound);
                bound.pop();
                let _ = write!(out, "{kind:?}({collection},{body})");
            }
            kind => {
                let tag = match kind {
                    ExprKind::List(_) => "list".to_string(),
                    ExprKind::And(_) => "and".to_string(),
                    ExprKind::Or(_) => "or".to_string(),
                    ExprKind::Call { function, .. } => format!("{function:?}"),
                    ExprKind::Not(_) => "not".to_string(),
                    ExprKind::Presence { test, .. } => format!("{test:?}"),
                    ExprKind::Arithmetic { op, .. } => format!("{op:?}"),
                    ExprKind::Compare { op, .. } => format!("{op:?}"),
                    ExprKind::Matches { .. } => "matches".to_string(),
                    ExprKind::In { negated, .. } => format!("in{negated}"),
                    ExprKind::Within { negated, .. } => format!("within{negated}"),
                    _ => "?".to_string(),
                };
                out.push_str(&tag);
                out.push('(');
                if let ExprKind::Format(parts) = kind {
                    for part in parts.iter() {
                        if let TemplatePartExpr::Text(text) = part {
                            let _ = write!(out, "{text:?},");
                        }
                    }
                }
                for child in kind.operands() {
                    let part = self.sub_key(child, slots, bound);
                    out.push_str(&part);
                    out.push(',');
                }
                out.push(')');
            }
        }
        out
    }

    /// The key of a sub-expression: a closed condition is written by its id.
    fn sub_key(&mut self, id: ExprId, slots: &[SlotInfo], bound: &mut Vec<Slot>) -> String {
        if let Some(node) = self.condition(id, slots) {
            if let Some(Node::Condition(condition)) = self.graph.graph.node_weight(node) {
                return format!("#{}", condition.0);
            }
        }
        self.key(id, slots, bound)
    }

    /// Computes the evaluation order; reports every cycle.
    fn order(&mut self) -> Vec<Diagnostic> {
        match petgraph::algo::toposort(&self.graph.graph, None) {
            Ok(sorted) => {
                self.graph.order = sorted
                    .into_iter()
                    .filter_map(|node| match self.graph.graph.node_weight(node) {
                        Some(Node::Rule(rule)) => Some(Step::Rule(*rule)),
                        Some(Node::Decision(decision)) => Some(Step::Decision(*decision)),
                        _ => None,
                    })
                    .collect();
                Vec::new()
            }
            Err(_) => {
                let mut diagnostics = Vec::new();
                for component in petgraph::algo::tarjan_scc(&self.graph.graph) {
                    let cyclic = component.len() > 1
                        || component
                            .first()
                            .is_some_and(|n| self.graph.graph.find_edge(*n, *n).is_some());
                    if cyclic {
                        diagnostics.push(self.cycle_diagnostic(&component));
                    }
                }
                diagnostics
            }
        }
    }

    /// Finds one cycle through a strongly connected component and describes it.
    fn cycle_diagnostic(&self, component: &[NodeIndex]) -> Diagnostic {
        let members: std::collections::HashSet<NodeIndex> = component.iter().copied().collect();
        // Start from a rule if there is one, so the cycle reads from a rule.
        let start = component
            .iter()
            .copied()
            .filter(|n| matches!(self.graph.graph.node_weight(*n), Some(Node::Rule(_))))
            .min()
            .or_else(|| component.iter().copied().min())
            .unwrap_or_default();
        // Breadth-first search back to the start within the component.
        let mut previous: HashMap<NodeIndex, NodeIndex> = HashMap::new();
        let mut queue = std::collections::VecDeque::from([start]);
        let mut closing = None;
        while let Some(node) = queue.pop_front() {
            for edge in self.graph.graph.edges_directed(node, Direction::Outgoing) {
                let next = edge.target();
                if !members.contains(&next) {
                    continue;
                }
                if next == start {
                    closing = Some(node);
                    break;
                }
                if let std::collections::hash_map::Entry::Vacant(entry) = previous.entry(next) {
                    entry.insert(node);
                    queue.push_back(next);
                }
            }
            if closing.is_some() {
                break;
            }
        }
        let mut cycle = vec![start];
        let mut cursor = closing.unwrap_or(start);
        let mut walked = Vec::new();
        while cursor != start {
            walked.push(cursor);
            match previous.get(&cursor) {
                Some(before) => cursor = *before,
                None => break,
            }
        }
        walked.reverse();
        cycle.extend(walked);
        let named: Vec<NodeIndex> = cycle
            .iter()
            .copied()
            .filter(|n| {
                matches!(
                    self.graph.graph.node_weight(*n),
                    Some(Node::Rule(_) | Node::Decision(_))
                )
            })
            .collect();
        let mut chain: Vec<String> = named.iter().map(|n| self.node_name(*n)).collect();
        if let Some(first) = chain.first().cloned() {
            chain.push(first);
        }
        let mut diagnostic = Diagnostic::error(
            Code::E0430,
            format!("the rules depend on themselves: {}", chain.join(" → ")),
        );
        for (position, node) in named.iter().enumerate() {
            let next = named
                .get(position + 1)
                .or(named.first())
                .copied()
                .unwrap_or(*node);
            let (location, label) = match self.graph.graph.node_weight(*node) {
                Some(Node::Rule(rule)) => {
                    let Some(rule) = self.program.rule(*rule) else {
                        continue;
                    };
                    let label = match self.graph.graph.node_weight(next) {
                        Some(Node::Decision(_)) => {
                            format!("`{}` sets {}", rule.short_name, self.node_name(next))
                        }
                        _ => format!("`{}` feeds {}", rule.short_name, self.node_name(next)),
                    };
                    (rule.location, label)
                }
                Some(Node::Decision(decision)) => {
                    let Some(decision) = self.program.decision(*decision) else {
                        continue;
                    };
                    (
                        decision.location,
                        format!(
                            "{} is read by {}",
                            self.node_name(*node),
                            self.node_name(next)
                        ),
                    )
                }
                _ => continue,
            };
            if let Some(file) = self.program.file(location.file) {
                diagnostic = diagnostic.with_label(file, location.span, label);
            }
        }
        diagnostic.with_help("a decision is known only after every rule that sets it; a rule that reads it cannot also feed it. Read another decision, or split the decision in two")
    }

    fn node_name(&self, node: NodeIndex) -> String {
        match self.graph.graph.node_weight(node) {
            Some(Node::Rule(rule)) => format!(
                "rule `{}`",
                self.program.rule(*rule).map_or("?", |r| &*r.name)
            ),
            Some(Node::Decision(decision)) => format!(
                "`{}`",
                self.program.decision(*decision).map_or("?", |d| &*d.name)
            ),
            _ => "?".into(),
        }
    }
}

/// Whether to treat the expression itself as a condition node or look inside it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Descend {
    /// The expression is the node being built: look inside it.
    Root,
    /// A part of it: a closed condition is a node of its own.
    Inner,
}
