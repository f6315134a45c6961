//! The decision graph as text: Graphviz DOT, Mermaid and JSON, for `vigil graph`.
//!
//! Rendering is a pure function of the program and the graph; the command line decides where
//! the text goes.

use petgraph::graph::NodeIndex;
use petgraph::visit::EdgeRef;
use serde::Serialize;

use super::{DecisionGraph, Node, Step};
use crate::semantic::ir::Program;

/// The longest condition text shown in a node before it is cut with `...`.
const MAX_LABEL: usize = 60;

/// The kind of a node, as renderings name it.
fn kind(node: &Node) -> &'static str {
    match node {
        Node::Input(_) => "input",
        Node::Table(_) => "table",
        Node::Condition(_) => "condition",
        Node::Rule(_) => "rule",
        Node::Exception { .. } => "exception",
        Node::Decision(_) => "decision",
    }
}

/// The text shown for a node.
pub fn label(program: &Program, graph: &DecisionGraph, node: &Node) -> String {
    match node {
        Node::Input(path) => path.to_string(),
        Node::Table(table) => program
            .table(*table)
            .map_or_else(|| "?".into(), |t| t.qualified_name.to_string()),
        Node::Condition(condition) => {
            let text = graph
                .conditions
                .get(condition.index())
                .and_then(|c| program.expr(c.expr))
                .map_or("?", |e| program.source_text(e.location));
            shorten(&text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Node::Rule(rule) => program
            .rule(*rule)
            .map_or_else(|| "?".into(), |r| r.name.to_string()),
        Node::Exception {
            exception,
            overridden,
        } => {
            let name = |id| program.rule(id).map_or("?", |r| &*r.short_name);
            format!("{} overrides {}", name(*exception), name(*overridden))
        }
        Node::Decision(decision) => program
            .decision(*decision)
            .map_or_else(|| "?".into(), |d| d.name.to_string()),
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_LABEL {
        return text.to_string();
    }
    let cut: String = text.chars().take(MAX_LABEL - 3).collect();
    format!("{cut}...")
}

/// The nodes to draw: all of them, or a slice.
fn selected(graph: &DecisionGraph, only: Option<&[NodeIndex]>) -> Vec<NodeIndex> {
    match only {
        Some(nodes) => nodes.to_vec(),
        None => graph.graph.node_indices().collect(),
    }
}

/// The edges between selected nodes, as (from, to, label).
fn edges(graph: &DecisionGraph, nodes: &[NodeIndex]) -> Vec<(NodeIndex, NodeIndex, &'static str)> {
    let mut chosen = vec![false; graph.graph.node_count()];
    for node in nodes {
        if let Some(flag) = chosen.get_mut(node.index()) {
            *flag = true;
        }
    }
    let is_chosen = |node: NodeIndex| chosen.get(node.index()).copied().unwrap_or(false);
    let mut found: Vec<(NodeIndex, NodeIndex, &'static str)> = graph
        .graph
        .edge_references()
        .filter(|e| is_chosen(e.source()) && is_chosen(e.target()))
        .map(|e| (e.source(), e.target(), e.weight().as_str()))
        .collect();
    found.sort();
    found
}

/// Escapes text for a double-quoted DOT string.
fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The graph in Graphviz DOT.
pub fn dot(program: &Program, graph: &DecisionGraph, only: Option<&[NodeIndex]>) -> String {
    let nodes = selected(graph, only);
    let mut out = String::from("digraph vigil {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n");
    for node in &nodes {
        let Some(weight) = graph.graph.node_weight(*node) else {
            continue;
        };
        let style = match weight {
            Node::Input(_) => "shape=parallelogram, color=\"#4a7ab5\"",
            Node::Table(_) => "shape=cylinder, color=\"#7a5ab5\"",
            Node::Condition(_) => "shape=box, style=rounded",
            Node::Rule(_) => "shape=box, style=bold",
            Node::Exception { .. } => "shape=diamond, color=\"#b57a4a\"",
            Node::Decision(_) => "shape=doubleoctagon, color=\"#3a8a3a\"",
        };
        out.push_str(&format!(
            "  n{} [label=\"{}\", {style}];\n",
            node.index(),
            dot_escape(&label(program, graph, weight))
        ));
    }
    for (from, to, edge) in edges(graph, &nodes) {
        let style = match edge {
            "reads" => String::new(),
            other => format!(" [label=\"{other}\"]"),
        };
        out.push_str(&format!("  n{} -> n{}{style};\n", from.index(), to.index()));
    }
    out.push_str("}\n");
    out
}

/// Escapes text for a double-quoted Mermaid label.
fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

/// The graph as a Mermaid flowchart.
pub fn mermaid(program: &Program, graph: &DecisionGraph, only: Option<&[NodeIndex]>) -> String {
    let nodes = selected(graph, only);
    let mut out = String::from("flowchart LR\n");
    for node in &nodes {
        let Some(weight) = graph.graph.node_weight(*node) else {
            continue;
        };
        let text = mermaid_escape(&label(program, graph, weight));
        let shape = match weight {
            Node::Input(_) => format!("[/\"{text}\"/]"),
            Node::Table(_) => format!("[(\"{text}\")]"),
            Node::Condition(_) => format!("(\"{text}\")"),
            Node::Rule(_) => format!("[[\"{text}\"]]"),
            Node::Exception { .. } => format!("{{\"{text}\"}}"),
            Node::Decision(_) => format!("{{{{\"{text}\"}}}}"),
        };
        out.push_str(&format!("  n{}{shape}\n", node.index()));
    }
    for (from, to, edge) in edges(graph, &nodes) {
        match edge {
            "reads" => out.push_str(&format!("  n{} --> n{}\n", from.index(), to.index())),
            other => out.push_str(&format!(
                "  n{} -->|{other}| n{}\n",
                from.index(),
                to.index()
            )),
        }
    }
    out
}

#[derive(Serialize)]
struct JsonGraph {
    nodes: Vec<JsonNode>,
    edges: Vec<JsonEdge>,
    /// The evaluation order: rules and decisions, by node id.
    order: Vec<usize>,
}

#[derive(Serialize)]
struct JsonNode {
    id: usize,
    kind: &'static str,
    label: String,
    /// Where the node was written, `file:line`, for rules, decisions, tables and conditions.
    #[serde(skip_serializing_if = "Option::is_none")]
    at: Option<String>,
}

#[derive(Serialize)]
struct JsonEdge {
    from: usize,
    to: usize,
    kind: &'static str,
}

/// The graph as a JSON document: nodes, edges and the evaluation order.
pub fn json(program: &Program, graph: &DecisionGraph, only: Option<&[NodeIndex]>) -> String {
    let nodes = selected(graph, only);
    let location = |node: &Node| {
        let location = match node {
            Node::Rule(rule) => program.rule(*rule).map(|r| r.location),
            Node::Decision(decision) => program.decision(*decision).map(|d| d.location),
            Node::Table(table) => program.table(*table).map(|t| t.location),
            Node::Condition(condition) => graph
                .conditions
                .get(condition.index())
                .and_then(|c| program.expr(c.expr))
                .map(|e| e.location),
            Node::Input(_) | Node::Exception { .. } => None,
        }?;
        program
            .file(location.file)
            .map(|file| file.location(location.span))
    };
    let json_nodes = nodes
        .iter()
        .filter_map(|n| graph.graph.node_weight(*n).map(|w| (n, w)))
        .map(|(n, w)| JsonNode {
            id: n.index(),
            kind: kind(w),
            label: label(program, graph, w),
            at: location(w),
        })
        .collect();
    let json_edges = edges(graph, &nodes)
        .into_iter()
        .map(|(from, to, kind)| JsonEdge {
            from: from.index(),
            to: to.index(),
            kind,
        })
        .collect();
    let mut chosen = vec![false; graph.graph.node_count()];
    for node in &nodes {
        if let Some(flag) = chosen.get_mut(node.index()) {
            *flag = true;
        }
    }
    let order = graph
        .order
        .iter()
        .filter_map(|step| match step {
            Step::Rule(rule) => graph.rule_node(*rule),
            Step::Decision(decision) => graph.decision_node(*decision),
        })
        .filter(|n| chosen.get(n.index()).copied().unwrap_or(false))
        .map(|n| n.index())
        .collect();
    let document = JsonGraph {
        nodes: json_nodes,
        edges: json_edges,
        order,
    };
    serde_json::to_string_pretty(&document)
        .unwrap_or_else(|error| format!("{{\"error\": \"{error}\"}}"))
}
