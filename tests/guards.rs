//! Rule guards: a rule whose `when` asks a table indexed by ECCN about the transaction's items
//! is skipped when no item's ECCN finds a row it would visit. The fixture `tests/eval/guards`
//! (whose snapshot shows the records) gives the cases; here each is evaluated with the guards
//! and with the reference interpreter, which has none, and the outcomes must be equal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::Path;

use support::CrateFiles;
use vigil::eval::{Evaluator, RuleResult, RunConfig};
use vigil::source::SourceFile;

const FIXTURE: &str = "tests/eval/guards";

fn evaluator() -> Evaluator {
    let policy = format!("{FIXTURE}/policy.vigil");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&policy))
        .expect("the fixture's policy");
    let (compiled, diagnostics) =
        vigil::compile(vec![SourceFile::new(policy, text)], &mut CrateFiles);
    let compiled = compiled.unwrap_or_else(|| unreachable!("{diagnostics:?}"));
    Evaluator::new(compiled, std::sync::Arc::from("test")).unwrap()
}

fn inputs() -> Vec<serde_json::Value> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("{FIXTURE}/input.jsonl")),
    )
    .unwrap()
    .lines()
    .map(|line| serde_json::from_str(line).unwrap())
    .collect()
}

#[test]
fn both_rules_of_the_fixture_are_guarded() {
    let evaluator = evaluator();
    let program = evaluator.engine().program();
    assert_eq!(program.rules.len(), 2);
    for (index, rule) in program.rules.iter().enumerate() {
        assert!(
            evaluator
                .engine()
                .is_guarded(vigil::semantic::ir::RuleId::from_index(index)),
            "{} has no guard",
            rule.name
        );
    }
}

#[test]
fn guarded_rules_give_what_the_interpreter_gives() {
    let evaluator = evaluator();
    let program = evaluator.engine().program();
    let ns1 = program
        .rules
        .iter()
        .position(|rule| &*rule.short_name == "ns1_items")
        .unwrap();
    let mut seen = Vec::new();
    for input in inputs() {
        let (record, outcome) = evaluator.evaluate_json(&input, None, RunConfig::default());
        let reference = RunConfig {
            reference: true,
            ..RunConfig::default()
        };
        let (reference_record, reference_outcome) =
            evaluator.evaluate_json(&input, None, reference);
        assert_eq!(outcome, reference_outcome, "outcome of {input}");
        assert_eq!(record, reference_record, "record of {input}");
        let result = match &outcome.expect("the fixture's inputs are valid").rules[ns1] {
            RuleResult::Fired(_) => "fired",
            RuleResult::NotFired { .. } => "not fired",
            RuleResult::Uncertain { .. } => "uncertain",
            RuleResult::NotInForce | RuleResult::Overridden { .. } => "other",
        };
        seen.push(format!("{}: {result}", input["id"].as_str().unwrap()));
    }
    // The cases the guard must refute, and those it must leave to evaluation.
    assert_eq!(
        seen,
        [
            "ns1-fires: fired",
            "other-column-only: not fired",
            "empty-column: uncertain",
            "not-listed: not fired",
            "second-item-fires: fired",
            "row-not-yet-in-force: not fired",
            "row-in-force: fired",
            "less-detailed: uncertain",
            "listed-to-china: not fired",
        ]
    );
}
