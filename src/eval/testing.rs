//! Running the test cases written beside the policies: each states a transaction and the
//! decisions and fired rules it expects.
//!
//! The runner does no I/O: a `given file "tx.json"` is read through the caller's function.

use serde_json::Value as Json;

use super::engine::{Outcome, RuleResult, RunConfig};
use super::record::{to_json, DecisionRecord, Evaluator};
use crate::semantic::ir::{
    Expectation, Location, OutcomeOp, Program, Test, TestGiven, Type, Value,
};

/// One way a test failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The transaction could not be read or parsed.
    Given { message: String },
    /// A decision's value differs.
    Decision {
        decision: String,
        op: OutcomeOp,
        expected: Json,
        actual: Json,
        location: Location,
    },
    /// A rule fired when it should not have, or the reverse.
    Rule {
        rule: String,
        expected_fire: bool,
        result: String,
        location: Location,
    },
    /// The transaction was expected to be rejected and was not, or the reverse.
    Rejected {
        expected: bool,
        errors: Vec<String>,
        location: Option<Location>,
    },
}

/// The result of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    pub failures: Vec<Failure>,
    pub record: Option<DecisionRecord>,
    pub outcome: Option<Outcome>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs one test. `read_file` reads a `given file` by its resolved path.
pub fn run_test(
    evaluator: &Evaluator,
    test: &Test,
    read_file: &mut dyn FnMut(&str) -> Result<String, String>,
) -> TestResult {
    let program = evaluator.engine().program();
    let text = match &test.given {
        Some(TestGiven::Inline { text, .. }) => text.to_string(),
        Some(TestGiven::File { path, .. }) => match read_file(path) {
            Ok(text) => text,
            Err(message) => {
                return failed(Failure::Given {
                    message: format!("cannot read `{path}`: {message}"),
                })
            }
        },
        None => {
            return failed(Failure::Given {
                message: "the test gives no transaction (`given { ... }` or `given file \"...\"`)"
                    .into(),
            })
        }
    };
    let json: Json = match serde_json::from_str(&text) {
        Ok(json) => json,
        Err(error) => {
            return failed(Failure::Given {
                message: format!("the transaction is not valid JSON: {error}"),
            })
        }
    };
    let (record, outcome) = evaluator.evaluate_json(&json, test.as_of, RunConfig::default());
    let mut failures = Vec::new();
    let expects_rejection = test.expects.iter().find_map(|e| match e {
        Expectation::Rejected(location) => Some(*location),
        _ => None,
    });
    let rejected = !record.errors.is_empty();
    if rejected != expects_rejection.is_some() {
        failures.push(Failure::Rejected {
            expected: expects_rejection.is_some(),
            errors: record
                .errors
                .iter()
                .map(|e| format!("{}: {}", e.pointer, e.message))
                .collect(),
            location: expects_rejection,
        });
    }
    if let Some(outcome) = &outcome {
        for expectation in &test.expects {
            match expectation {
                Expectation::Decision {
                    decision,
                    op,
                    value,
                    location,
                } => {
                    let Some(d) = program.decision(*decision) else {
                        continue;
                    };
                    let actual = outcome
                        .decisions
                        .get(decision.index())
                        .cloned()
                        .unwrap_or(Value::Missing);
                    let holds = match op {
                        OutcomeOp::Set => actual == *value || same_set(&actual, value),
                        OutcomeOp::Include => match &actual {
                            Value::List(items) => items.contains(value),
                            _ => false,
                        },
                    };
                    if !holds {
                        let expected_type = match op {
                            OutcomeOp::Set => d.value_type.clone(),
                            OutcomeOp::Include => {
                                d.value_type.element().cloned().unwrap_or(Type::Error)
                            }
                        };
                        failures.push(Failure::Decision {
                            decision: d.name.to_string(),
                            op: *op,
                            expected: to_json(program, value, &expected_type),
                            actual: to_json(program, &actual, &d.value_type),
                            location: *location,
                        });
                    }
                }
                Expectation::Rule {
                    rule,
                    fires,
                    location,
                } => {
                    let result = outcome.rules.get(rule.index());
                    let fired = matches!(result, Some(RuleResult::Fired(_)));
                    if fired != *fires {
                        let name = program
                            .rule(*rule)
                            .map_or_else(String::new, |r| r.name.to_string());
                        failures.push(Failure::Rule {
                            rule: name,
                            expected_fire: *fires,
                            result: describe_result(program, result),
                            location: *location,
                        });
                    }
                }
                Expectation::Rejected(_) => {}
            }
        }
    }
    TestResult {
        failures,
        record: Some(record),
        outcome,
    }
}

fn failed(failure: Failure) -> TestResult {
    TestResult {
        failures: vec![failure],
        record: None,
        outcome: None,
    }
}

/// Sets compare without regard to order.
fn same_set(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::List(x), Value::List(y)) => {
            let mut x = x.to_vec();
            let mut y = y.to_vec();
            x.sort();
            y.sort();
            x == y
        }
        _ => false,
    }
}

/// What happened to a rule, in words.
pub fn describe_result(program: &Program, result: Option<&RuleResult>) -> String {
    match result {
        None | Some(RuleResult::NotInForce) => {
            "it is not in force on the transaction's date".into()
        }
        Some(RuleResult::NotFired { .. }) => "its condition does not hold".into(),
        Some(RuleResult::Fired(_)) => "it fired".into(),
        Some(RuleResult::Overridden { by }) => format!(
            "it was overridden by `{}`",
            program.rule(*by).map_or("?", |r| &r.name)
        ),
        Some(RuleResult::Uncertain { .. }) => {
            "information it needs is missing (it may apply)".into()
        }
    }
}
