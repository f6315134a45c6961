//! The slice of the decision graph a policy contributes, drawn as SVG without external
//! programs: the tables and decisions its rules read, its rules, the decisions they set, and the
//! exceptions between rules (dashed), including rules of other policies that override or are
//! overridden by this policy's rules.
//!
//! The layout is a simple layered one: each node gets the column of the longest path of edges
//! leading to it (tables and decisions only read sit in the first column, rules at least in
//! the second, an exception before the rule it overrides), nodes in a column are ordered by the mean position of their
//! neighbours (two sweeps) to reduce crossings, and columns are centred vertically.

use std::collections::{BTreeSet, HashMap};

use super::markup::Target;
use super::names::{decision_anchor, humanize, rule_target, table_page, table_title};
use super::names::{rule_title, DECISIONS_PAGE};
use crate::semantic::ir::{
    Collection, DecisionId, ExprId, ExprKind, Policy, Program, RuleId, TableId, Type,
};

/// A node of the slice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Node {
    Table(TableId),
    Decision(DecisionId),
    /// A rule of the policy.
    Rule(RuleId),
    /// A rule of another policy, linked to this one by an exception.
    Other(RuleId),
}

/// What an edge means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Edge {
    /// A rule reads a table or a decision.
    Reads,
    /// A rule sets a decision.
    Sets,
    /// An exception overrides a rule.
    Overrides,
}

/// The slice of one policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slice {
    pub nodes: Vec<Node>,
    pub edges: BTreeSet<(Node, Node, Edge)>,
}

/// What a rule reads: tables and decisions, from its conditions, outcomes and `because`.
pub fn rule_reads(program: &Program, rule_id: RuleId) -> (BTreeSet<TableId>, BTreeSet<DecisionId>) {
    let mut tables = BTreeSet::new();
    let mut decisions = BTreeSet::new();
    let Some(rule) = program.rule(rule_id) else {
        return (tables, decisions);
    };
    let mut roots: Vec<ExprId> = rule.when.into_iter().chain(rule.unless).collect();
    roots.extend(rule.outcomes.iter().map(|o| o.value));
    if let Some(because) = &rule.because {
        roots.extend(because.parts.iter().filter_map(|part| match part {
            crate::semantic::ir::TemplatePart::Value(id) => Some(*id),
            crate::semantic::ir::TemplatePart::Text(_) => None,
        }));
    }
    for slot in &rule.slots {
        if let Type::Row(table) = slot.ty {
            tables.insert(table);
        }
    }
    let mut stack = roots;
    // Every expression is visited once per occurrence; the tree is finite, so this ends.
    while let Some(id) = stack.pop() {
        let Some(expr) = program.expr(id) else {
            continue;
        };
        match &expr.kind {
            ExprKind::Table(table) | ExprKind::Column { table, .. } => {
                tables.insert(*table);
            }
            ExprKind::Decision(decision) => {
                decisions.insert(*decision);
            }
            ExprKind::Matches { shape, .. } => {
                tables.insert(shape.table);
            }
            ExprKind::In { collection, .. }
            | ExprKind::Within {
                scope: collection, ..
            } => {
                if let Collection::Constant { set, .. } = collection {
                    if let Some(table) = program.set(*set).and_then(|s| s.table) {
                        tables.insert(table);
                    }
                }
            }
            _ => {}
        }
        stack.extend(expr.kind.operands());
    }
    (tables, decisions)
}

/// Builds the slice of a policy from the checked program.
pub fn slice(program: &Program, policy: &Policy) -> Slice {
    let mut out = Slice::default();
    let add = |nodes: &mut Vec<Node>, node: Node| {
        if !nodes.contains(&node) {
            nodes.push(node);
        }
    };
    let own: BTreeSet<RuleId> = policy.rules.iter().copied().collect();
    let mut nodes = Vec::new();
    for &rule_id in &policy.rules {
        add(&mut nodes, Node::Rule(rule_id));
    }
    let mut inputs = Vec::new();
    let mut outputs = Vec::new();
    for &rule_id in &policy.rules {
        let Some(rule) = program.rule(rule_id) else {
            continue;
        };
        let (tables, decisions) = rule_reads(program, rule_id);
        for table in tables {
            add(&mut inputs, Node::Table(table));
            out.edges
                .insert((Node::Table(table), Node::Rule(rule_id), Edge::Reads));
        }
        for decision in decisions {
            add(&mut inputs, Node::Decision(decision));
            out.edges
                .insert((Node::Decision(decision), Node::Rule(rule_id), Edge::Reads));
        }
        for outcome in &rule.outcomes {
            add(&mut outputs, Node::Decision(outcome.decision));
            out.edges.insert((
                Node::Rule(rule_id),
                Node::Decision(outcome.decision),
                Edge::Sets,
            ));
        }
        let node_of = |other: RuleId| {
            if own.contains(&other) {
                Node::Rule(other)
            } else {
                Node::Other(other)
            }
        };
        for &overridden in &rule.exception_to {
            let target = node_of(overridden);
            add(&mut nodes, target);
            out.edges
                .insert((Node::Rule(rule_id), target, Edge::Overrides));
        }
        for &exception in &rule.overridden_by {
            let source = node_of(exception);
            add(&mut nodes, source);
            out.edges
                .insert((source, Node::Rule(rule_id), Edge::Overrides));
        }
    }
    let mut all = inputs;
    for node in nodes.into_iter().chain(outputs) {
        add(&mut all, node);
    }
    out.nodes = all;
    out
}

const NODE_WIDTH: i64 = 170;
const NODE_HEIGHT: i64 = 40;
const COLUMN_GAP: i64 = 50;
const ROW_GAP: i64 = 12;
const MARGIN: i64 = 20;
/// Characters per line of a node's label at the font size used.
const LABEL_WIDTH: usize = 27;

/// Each node's column: the longest chain of edges leading to it. An exception comes before the
/// rule it overrides (that rule's outcomes wait for it), so exceptions read left to right too.
fn layers(slice: &Slice) -> HashMap<Node, usize> {
    let mut layer: HashMap<Node, usize> = slice
        .nodes
        .iter()
        .map(|node| {
            let start = match node {
                Node::Table(_) | Node::Decision(_) => 0,
                Node::Rule(_) | Node::Other(_) => 1,
            };
            (*node, start)
        })
        .collect();
    // Longest paths by relaxation; as many rounds as nodes bound the work even if the
    // program had a cycle.
    for _ in 0..slice.nodes.len() {
        let mut changed = false;
        for (from, to, _) in &slice.edges {
            let next = layer.get(from).copied().unwrap_or(0) + 1;
            if let Some(current) = layer.get_mut(to) {
                if *current < next {
                    *current = next;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    layer
}

/// The SVG of a policy's slice; `href` turns a link target into an address.
pub fn svg(program: &Program, policy: &Policy, href: &dyn Fn(&Target) -> String) -> String {
    let slice = slice(program, policy);
    let layer = layers(&slice);
    let columns_count = layer.values().copied().max().map_or(0, |m| m + 1);
    let mut columns: Vec<Vec<Node>> = vec![Vec::new(); columns_count];
    for node in &slice.nodes {
        if let Some(column) = layer.get(node).and_then(|l| columns.get_mut(*l)) {
            column.push(*node);
        }
    }
    order_columns(&mut columns, &slice);
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let height_of = |count: usize| -> i64 {
        let count = i64::try_from(count).unwrap_or(0);
        count * NODE_HEIGHT + (count - 1).max(0) * ROW_GAP
    };
    let inner_height = height_of(tallest);
    let mut position: HashMap<Node, (i64, i64)> = HashMap::new();
    for (c, column) in columns.iter().enumerate() {
        let x = MARGIN + 30 + i64::try_from(c).unwrap_or(0) * (NODE_WIDTH + COLUMN_GAP);
        let top = MARGIN + (inner_height - height_of(column.len())) / 2;
        for (r, node) in column.iter().enumerate() {
            let y = top + i64::try_from(r).unwrap_or(0) * (NODE_HEIGHT + ROW_GAP);
            position.insert(*node, (x, y));
        }
    }
    let width =
        2 * MARGIN + 30 + i64::try_from(columns_count).unwrap_or(0) * (NODE_WIDTH + COLUMN_GAP)
            - COLUMN_GAP;
    let height = inner_height + 2 * MARGIN;
    let mut out = String::new();
    out.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"graph\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n",
        escape(&format!("Decision graph of {}", policy.name))
    ));
    out.push_str(concat!(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">",
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker>",
        "<marker id=\"arrow-exception\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\">",
        "<path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#b45309\"/></marker></defs>\n"
    ));
    for (from, to, edge) in &slice.edges {
        let (Some(&(x1, y1)), Some(&(x2, y2))) = (position.get(from), position.get(to)) else {
            continue;
        };
        let (ya, yb) = (y1 + NODE_HEIGHT / 2, y2 + NODE_HEIGHT / 2);
        let path = if x1 == x2 {
            // Same column: an arc out to the left, wider the farther apart the two rules are,
            // so that arcs between different pairs stay apart.
            let bend = x1 - 12 - ((ya - yb).abs() / 5).min(COLUMN_GAP - 16);
            format!("M {x1} {ya} C {bend} {ya}, {bend} {yb}, {x1} {yb}")
        } else if x1 < x2 {
            let (sx, ex) = (x1 + NODE_WIDTH, x2);
            let mid = (sx + ex) / 2;
            format!("M {sx} {ya} C {mid} {ya}, {mid} {yb}, {ex} {yb}")
        } else {
            let (sx, ex) = (x1, x2 + NODE_WIDTH);
            let mid = (sx + ex) / 2;
            format!("M {sx} {ya} C {mid} {ya}, {mid} {yb}, {ex} {yb}")
        };
        let class = match edge {
            Edge::Reads => "edge reads",
            Edge::Sets => "edge sets",
            Edge::Overrides => "edge overrides",
        };
        let marker = if *edge == Edge::Overrides {
            "arrow-exception"
        } else {
            "arrow"
        };
        let (stroke, dash) = if *edge == Edge::Overrides {
            ("#b45309", " stroke-dasharray=\"6 4\"")
        } else {
            ("#888", "")
        };
        out.push_str(&format!(
            "<path class=\"{class}\" d=\"{path}\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.3\"{dash} marker-end=\"url(#{marker})\"/>\n"
        ));
    }
    for node in &slice.nodes {
        let Some(&(x, y)) = position.get(node) else {
            continue;
        };
        let (label, hint, target, class, fill, stroke) = describe(program, *node);
        out.push_str(&format!(
            "<a href=\"{}\"><title>{}</title><g class=\"node {class}\"><rect x=\"{x}\" y=\"{y}\" width=\"{NODE_WIDTH}\" height=\"{NODE_HEIGHT}\" rx=\"5\" fill=\"{fill}\" stroke=\"{stroke}\"/>",
            escape(&href(&target)),
            escape(&hint),
        ));
        let lines = wrap(&label, LABEL_WIDTH, 2);
        let count = i64::try_from(lines.len()).unwrap_or(1);
        for (index, line) in lines.iter().enumerate() {
            let line_y =
                y + NODE_HEIGHT / 2 - (count - 1) * 7 + i64::try_from(index).unwrap_or(0) * 14 + 4;
            out.push_str(&format!(
                "<text x=\"{}\" y=\"{line_y}\" text-anchor=\"middle\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#111\">{}</text>",
                x + NODE_WIDTH / 2,
                escape(line)
            ));
        }
        out.push_str("</g></a>\n");
    }
    out.push_str("</svg>\n");
    out
}

/// A node's label, hover text, link, class and colours.
fn describe(
    program: &Program,
    node: Node,
) -> (
    String,
    String,
    Target,
    &'static str,
    &'static str,
    &'static str,
) {
    match node {
        Node::Table(id) => {
            let table = program.table(id);
            let label = table.map_or_else(|| "table".to_string(), table_title);
            let name = table.map_or_else(String::new, |t| t.qualified_name.to_string());
            let target = table.map_or_else(
                || Target::page(super::names::INDEX_PAGE),
                |t| Target::page(table_page(t)),
            );
            (
                label,
                format!("table {name}"),
                target,
                "table",
                "#f3f4f6",
                "#9ca3af",
            )
        }
        Node::Decision(id) => {
            let decision = program.decision(id);
            let name = decision.map_or_else(String::new, |d| d.name.to_string());
            let hint = decision.and_then(|d| d.title.as_deref()).map_or_else(
                || format!("decision {name}"),
                |t| format!("decision {name}: {t}"),
            );
            (
                humanize(&name),
                hint,
                Target::anchor(DECISIONS_PAGE, decision_anchor(&name)),
                "decision",
                "#dcfce7",
                "#16a34a",
            )
        }
        Node::Rule(id) | Node::Other(id) => {
            let Some(rule) = program.rule(id) else {
                return (
                    "rule".to_string(),
                    String::new(),
                    Target::page(super::names::INDEX_PAGE),
                    "rule",
                    "#fff",
                    "#000",
                );
            };
            let (class, fill, stroke) = if matches!(node, Node::Rule(_)) {
                ("rule", "#dbeafe", "#2563eb")
            } else {
                ("rule other", "#ffffff", "#6b7280")
            };
            (
                rule_title(rule),
                format!("rule {}: {}", rule.name, rule_title(rule)),
                rule_target(program, rule),
                class,
                fill,
                stroke,
            )
        }
    }
}

/// Orders each column by the mean position of its neighbours, left to right then right to
/// left, keeping the first order among equals.
fn order_columns(columns: &mut [Vec<Node>], slice: &Slice) {
    let neighbours = |node: &Node, in_column: &[Node]| -> Option<f64> {
        let mut sum = 0.0;
        let mut count = 0.0;
        for (from, to, _) in &slice.edges {
            let other = if from == node {
                to
            } else if to == node {
                from
            } else {
                continue;
            };
            if let Some(index) = in_column.iter().position(|n| n == other) {
                sum += index as f64;
                count += 1.0;
            }
        }
        (count > 0.0).then(|| sum / count)
    };
    let count = columns.len();
    for pass in 0..2 {
        let indices: Vec<usize> = if pass == 0 {
            (1..count).collect()
        } else {
            (0..count.saturating_sub(1)).rev().collect()
        };
        for index in indices {
            let reference_index = if pass == 0 { index - 1 } else { index + 1 };
            let Some(reference) = columns.get(reference_index).cloned() else {
                continue;
            };
            let Some(column) = columns.get_mut(index) else {
                continue;
            };
            let mut keyed: Vec<(f64, usize, Node)> = column
                .iter()
                .enumerate()
                .map(|(i, node)| (neighbours(node, &reference).unwrap_or(i as f64), i, *node))
                .collect();
            keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            *column = keyed.into_iter().map(|(_, _, node)| node).collect();
        }
    }
}

/// Splits a label into at most `lines` lines of at most `width` characters, at spaces; the
/// last line ends with an ellipsis when the label is longer.
fn wrap(text: &str, width: usize, lines: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut truncated = false;
    for word in text.split_whitespace() {
        let fits = current.chars().count() + 1 + word.chars().count() <= width;
        if current.is_empty() || fits {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        } else {
            out.push(std::mem::take(&mut current));
            if out.len() == lines {
                truncated = true;
                break;
            }
            current.push_str(word);
        }
    }
    if !truncated && !current.is_empty() {
        out.push(current);
    }
    for line in &mut out {
        if line.chars().count() > width {
            *line = line
                .chars()
                .take(width.saturating_sub(1))
                .collect::<String>()
                + "…";
        }
    }
    if truncated {
        if let Some(last) = out.last_mut() {
            let kept: String = last.chars().take(width.saturating_sub(1)).collect();
            *last = format!("{}…", kept.trim_end());
        }
    }
    out
}

/// Escapes text for XML, in text and in attribute values written between double quotes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn labels_wrap_and_truncate() {
        assert_eq!(
            wrap("License for CC Column 1 items", 32, 2),
            vec!["License for CC Column 1 items"]
        );
        let long = "Before October 6, 2020: civil disorder or the importing government's human-rights record";
        let lines = wrap(long, 32, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'));
        assert!(lines.iter().all(|l| l.chars().count() <= 32));
    }
}
