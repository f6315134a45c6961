//! W0003: a rule that can never fire.
//!
//! What it finds: a rule whose dates fall outside its policy's (in force on no day); a rule
//! whose `when` is false for every transaction: the constant `false`, a test against an empty
//! list, a path required to equal two different values at once (`party.kind is government and
//! party.kind is private`), or a decision compared with a value it can never take (no rule sets
//! it, and it is neither the decision's default nor its unknown value).
//!
//! Why it matters: a rule that never fires looks like law that is enforced but is not; it is
//! almost always a mistake in a date, a value or a condition.
//!
//! Example:
//!
//! ```vigil
//! policy bis.crime_control
//!   effective 2020-10-06
//!   rule old_policy
//!     until 2019-01-01                # the policy only starts in 2020
//!     ...
//! ```
//!
//! Fix: correct the dates or the condition, or remove the rule.

use std::collections::HashSet;

use super::label;
use super::structure::key;
use crate::diagnostic::{Code, Diagnostic};
use crate::semantic::ir::*;

/// The values each decision can take, or `None` when a rule sets it from the transaction (so
/// any value is possible).
fn producible(program: &Program) -> Vec<Option<HashSet<Value>>> {
    let mut values: Vec<Option<HashSet<Value>>> = program
        .decisions
        .iter()
        .map(|d| {
            if matches!(d.kind, DecisionKind::Set(_)) {
                return None;
            }
            let mut set = HashSet::new();
            set.extend(d.default.clone());
            set.extend(d.unknown.clone());
            Some(set)
        })
        .collect();
    for rule in &program.rules {
        for outcome in &rule.outcomes {
            let Some(slot) = values.get_mut(outcome.decision.index()) else {
                continue;
            };
            match program.expr(outcome.value).map(|e| &e.kind) {
                Some(ExprKind::Const(value)) => {
                    if let Some(set) = slot {
                        set.insert(value.clone());
                    }
                }
                _ => *slot = None,
            }
        }
    }
    values
}

/// Why a condition is false for every transaction: where, and in words.
struct Never {
    location: Location,
    reason: String,
}

struct Analysis<'p> {
    program: &'p Program,
    producible: Vec<Option<HashSet<Value>>>,
}

impl Analysis<'_> {
    fn always_false(&self, id: ExprId) -> Option<Never> {
        crate::semantic::with_stack(|| self.always_false_here(id))
    }

    fn always_false_here(&self, id: ExprId) -> Option<Never> {
        let expr = self.program.expr(id)?;
        let never = |reason: String| {
            Some(Never {
                location: expr.location,
                reason,
            })
        };
        match &expr.kind {
            ExprKind::Const(Value::Bool(false)) => never("this is always false".into()),
            ExprKind::And(operands) => operands
                .iter()
                .find_map(|o| self.always_false(*o))
                .or_else(|| self.contradiction(operands)),
            ExprKind::Or(operands) => {
                let mut reasons = operands.iter().map(|o| self.always_false(*o));
                let first = reasons.next()??;
                reasons.all(|r| r.is_some()).then(|| Never {
                    location: expr.location,
                    reason: format!(
                        "every alternative is false; the first because {}",
                        first.reason
                    ),
                })
            }
            ExprKind::Quantifier {
                kind: QuantifierKind::Any,
                body,
                ..
            } => self.always_false(*body),
            ExprKind::In {
                negated: false,
                collection: Collection::Constant { set, .. },
                ..
            } => {
                let set = self.program.set(*set)?;
                let from_data = set
                    .table
                    .and_then(|t| self.program.table(t))
                    .is_some_and(|t| t.load.is_some());
                (!from_data && set.versions.iter().all(ValueSet::is_empty)).then(|| Never {
                    location: expr.location,
                    reason: "the collection is empty".into(),
                })
            }
            ExprKind::Compare {
                op: Comparison::Eq,
                lhs,
                rhs,
            } => {
                let (decision, value) = match (
                    self.program.expr(*lhs).map(|e| &e.kind),
                    self.program.expr(*rhs).map(|e| &e.kind),
                ) {
                    (Some(ExprKind::Decision(d)), Some(ExprKind::Const(v)))
                    | (Some(ExprKind::Const(v)), Some(ExprKind::Decision(d))) => (*d, v),
                    _ => return None,
                };
                let values = self.producible.get(decision.index())?.as_ref()?;
                if values.contains(value) {
                    return None;
                }
                let found = self.program.decision(decision)?;
                let shown = self.program.display_value(value, &found.value_type);
                never(format!("no rule sets `{}` to `{shown}`, and it is neither its default nor its unknown value", found.name))
            }
            _ => None,
        }
    }

    /// `X is a and X is b` with `a` different from `b`.
    fn contradiction(&self, operands: &[ExprId]) -> Option<Never> {
        // The first value each subject is compared with, by the subject's canonical text.
        let mut seen: std::collections::HashMap<String, &Value> = std::collections::HashMap::new();
        for operand in operands {
            let Some(ExprKind::Compare {
                op: Comparison::Eq,
                lhs,
                rhs,
            }) = self.program.expr(*operand).map(|e| &e.kind)
            else {
                continue;
            };
            let (subject, value) = match (
                self.program.expr(*lhs).map(|e| &e.kind),
                self.program.expr(*rhs).map(|e| &e.kind),
            ) {
                (Some(ExprKind::Const(_)), Some(ExprKind::Const(_))) => continue,
                (_, Some(ExprKind::Const(v))) => (*lhs, v),
                (Some(ExprKind::Const(v)), _) => (*rhs, v),
                _ => continue,
            };
            let subject_key = key(self.program, subject, &mut Vec::new());
            if let Some(other) = seen.get(&subject_key).filter(|other| **other != value) {
                let expr = self.program.expr(*operand)?;
                let subject_expr = self.program.expr(subject)?;
                let written = self.program.source_text(subject_expr.location);
                let (a, b) = (
                    self.program.display_value(other, &subject_expr.ty),
                    self.program.display_value(value, &subject_expr.ty),
                );
                return Some(Never {
                    location: expr.location,
                    reason: format!("`{written}` cannot be both {a} and {b}"),
                });
            }
            seen.entry(subject_key).or_insert(value);
        }
        None
    }
}

pub(crate) fn check(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    let analysis = Analysis {
        program,
        producible: producible(program),
    };
    for rule in &program.rules {
        if rule.dates.is_empty() && !rule.own_dates.is_empty() {
            let policy = program.policies.get(rule.policy.index());
            let diagnostic = Diagnostic::warning(
                Code::W0003,
                format!(
                    "the rule `{}` can never fire: it is in force on no day",
                    rule.name
                ),
            );
            let diagnostic = label(
                program,
                diagnostic,
                rule.location,
                format!("the rule is in force {}", rule.own_dates),
            );
            let diagnostic = match policy {
                Some(policy) => label(
                    program,
                    diagnostic,
                    policy.location,
                    format!("its policy is in force {}", policy.dates),
                ),
                None => diagnostic,
            };
            diagnostics.push(diagnostic.with_help("a rule is in force only within its policy's dates; correct the rule's `effective` / `until`"));
            continue;
        }
        let Some(when) = rule.when else { continue };
        if let Some(never) = analysis.always_false(when) {
            let diagnostic = Diagnostic::warning(
                Code::W0003,
                format!("the rule `{}` can never fire", rule.name),
            );
            let diagnostic = label(program, diagnostic, never.location, never.reason);
            let diagnostic = label(program, diagnostic, rule.location, "this rule");
            diagnostics.push(diagnostic.with_help("correct the condition, or remove the rule"));
        }
    }
}
