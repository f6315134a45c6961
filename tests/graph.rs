//! The decision graph: snapshots of its DOT, Mermaid and JSON renderings for a small library,
//! and a check that Graphviz accepts the DOT of the shipped library.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

use std::path::Path;
use std::process::{Command, Stdio};

use vigil::graph::{render, Node, Step};
use vigil::source::SourceFile;

fn compile_fixture() -> vigil::Compiled {
    let name = "tests/graph/small.vigil";
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap();
    let (compiled, diagnostics) = vigil::compile(
        vec![SourceFile::new(name, text)],
        &mut vigil::semantic::NoFiles,
    );
    assert!(
        diagnostics.iter().all(|d| !d.is_error()),
        "{diagnostics:#?}"
    );
    compiled.expect("the fixture compiles")
}

#[test]
fn dot_of_a_small_library() {
    let compiled = compile_fixture();
    insta::assert_snapshot!(render::dot(&compiled.program, &compiled.graph, None));
}

#[test]
fn mermaid_of_a_small_library() {
    let compiled = compile_fixture();
    insta::assert_snapshot!(render::mermaid(&compiled.program, &compiled.graph, None));
}

#[test]
fn json_slice_of_one_decision() {
    let compiled = compile_fixture();
    let review = compiled.program.decision_named("review").unwrap();
    let slice = compiled
        .graph
        .slice(&[compiled.graph.decision_node(review).unwrap()]);
    insta::assert_snapshot!(render::json(
        &compiled.program,
        &compiled.graph,
        Some(&slice)
    ));
}

#[test]
fn identical_conditions_are_one_node() {
    let compiled = compile_fixture();
    let shared: Vec<_> = compiled
        .graph
        .conditions
        .iter()
        .filter(|c| c.occurrences.len() > 1)
        .collect();
    assert_eq!(
        shared.len(),
        1,
        "`destination in embargoed` is written twice and shared once"
    );
    let text = compiled
        .program
        .source_text(compiled.program.expr(shared[0].expr).unwrap().location);
    assert_eq!(text, "destination in embargoed");
}

#[test]
fn the_order_puts_exceptions_and_setters_first() {
    let compiled = compile_fixture();
    let (program, order) = (&compiled.program, &compiled.graph.order);
    let position = |step: Step| order.iter().position(|s| *s == step).unwrap();
    let rule = |name: &str| Step::Rule(program.rule_named(name).unwrap());
    let decision = |name: &str| Step::Decision(program.decision_named(name).unwrap());
    assert!(position(rule("demo.graph.ace")) < position(rule("demo.graph.cyber_items")));
    assert!(position(rule("demo.graph.cyber_items")) < position(decision("license")));
    assert!(position(rule("demo.graph.embargo")) < position(decision("license")));
    assert!(position(decision("license")) < position(rule("demo.graph.review_when_required")));
    assert!(position(rule("demo.graph.review_when_required")) < position(decision("review")));
    let exceptions = compiled
        .graph
        .graph
        .node_weights()
        .filter(|n| matches!(n, Node::Exception { .. }))
        .count();
    assert_eq!(exceptions, 1);
}

/// Renders the shipped library's DOT with Graphviz, when Graphviz is installed.
#[test]
fn graphviz_accepts_the_dot_of_the_shipped_library() {
    let graphviz = Command::new("dot")
        .arg("-V")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !graphviz.is_ok_and(|s| s.success()) {
        println!("skipped: Graphviz `dot` not found");
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(root)
        .args(["graph", "policies/", "--format", "dot"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut dot = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    dot.stdin.take().unwrap().write_all(&output.stdout).unwrap();
    let rendered = dot.wait_with_output().unwrap();
    assert!(
        rendered.status.success(),
        "Graphviz rejected the DOT: {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    assert!(String::from_utf8_lossy(&rendered.stdout).contains("<svg"));
}
