//! Rule guards: a rule whose `when` asks a table indexed by ECCN about the transaction's items
//! is skipped when no item's ECCN finds a row it would visit, and one that asks a table without
//! rows about them whenever they are given. The fixtures `tests/eval/guards` and
//! `tests/eval/guards_empty_table` (whose snapshots show the records) give the cases; here each
//! is evaluated with the guards and with the reference interpreter, which has none, and the
//! outcomes must be equal.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::Path;

use support::CrateFiles;
use vigil::eval::{Evaluator, RuleResult, RunConfig};
use vigil::source::SourceFile;

fn evaluator(fixture: &str) -> Evaluator {
    let policy = format!("{fixture}/policy.vigil");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&policy))
        .expect("the fixture's policy");
    let (compiled, diagnostics) =
        vigil::compile(vec![SourceFile::new(policy, text)], &mut CrateFiles);
    let compiled = compiled.unwrap_or_else(|| unreachable!("{diagnostics:?}"));
    Evaluator::new(compiled, std::sync::Arc::from("test")).unwrap()
}

fn inputs(fixture: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("{fixture}/input.jsonl")),
    )
    .unwrap()
    .lines()
    .map(|line| serde_json::from_str(line).unwrap())
    .collect()
}

/// The rules of a fixture that have a guard.
fn guarded(evaluator: &Evaluator) -> Vec<String> {
    let program = evaluator.engine().program();
    (0..program.rules.len())
        .filter(|&index| {
            evaluator
                .engine()
                .is_guarded(vigil::semantic::ir::RuleId::from_index(index))
        })
        .map(|index| program.rules[index].short_name.to_string())
        .collect()
}

/// What happened to one rule for each input, with the guards; the outcomes and records with
/// the guards and with the interpreter must be equal.
fn results(fixture: &str, rule: &str) -> Vec<String> {
    let evaluator = evaluator(fixture);
    let program = evaluator.engine().program();
    let rule = program
        .rules
        .iter()
        .position(|r| &*r.short_name == rule)
        .unwrap();
    let mut seen = Vec::new();
    for input in inputs(fixture) {
        let (record, outcome) = evaluator.evaluate_json(&input, None, RunConfig::default());
        let reference = RunConfig {
            reference: true,
            ..RunConfig::default()
        };
        let (reference_record, reference_outcome) =
            evaluator.evaluate_json(&input, None, reference);
        assert_eq!(outcome, reference_outcome, "outcome of {input}");
        assert_eq!(record, reference_record, "record of {input}");
        let result = match &outcome.expect("the fixture's inputs are valid").rules[rule] {
            RuleResult::Fired(_) => "fired",
            RuleResult::NotFired { .. } => "not fired",
            RuleResult::Uncertain { .. } => "uncertain",
            RuleResult::NotInForce | RuleResult::Overridden { .. } => "other",
        };
        seen.push(format!("{}: {result}", input["id"].as_str().unwrap()));
    }
    seen
}

#[test]
fn rules_that_ask_an_index_of_eccns_are_guarded() {
    assert_eq!(
        guarded(&evaluator("tests/eval/guards")),
        ["ns1_items", "controlled_to_china"]
    );
}

#[test]
fn a_guard_refutes_only_what_evaluation_refutes() {
    // The cases the guard must refute, and those it must leave to evaluation.
    assert_eq!(
        results("tests/eval/guards", "ns1_items"),
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

#[test]
fn only_a_rule_that_screens_against_nothing_but_an_empty_list_is_guarded() {
    assert_eq!(
        guarded(&evaluator("tests/eval/guards_empty_table")),
        ["on_run_time_list"]
    );
}

#[test]
fn a_rule_on_an_empty_list_is_refuted_only_when_the_parties_are_given() {
    assert_eq!(
        results("tests/eval/guards_empty_table", "on_run_time_list"),
        [
            "listed-party: not fired",
            "other-party: not fired",
            "no-parties: uncertain",
            "empty-parties: not fired",
        ]
    );
    // The rule that also screens against the watch list is evaluated, and reports its hit.
    assert_eq!(
        results("tests/eval/guards_empty_table", "on_both_lists"),
        [
            "listed-party: not fired",
            "other-party: not fired",
            "no-parties: uncertain",
            "empty-parties: not fired",
        ]
    );
}
