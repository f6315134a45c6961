//! W0004: a rule shadowed by a broader rule with the same outcomes.
//!
//! What it finds: a rule `A` such that another rule `B` sets every outcome `A` sets, to the same
//! values, whenever `A` would fire: `B`'s condition requires only part of what `A`'s requires,
//! `B` has no `unless` that `A` lacks, and `B` is in force on every day `A` is. Neither may
//! take part in exceptions, which change who contributes.
//!
//! Why it matters: `A` changes no decision. Either it is redundant and its reader is misled
//! into thinking it matters, or it was meant to say something different (a stricter outcome, a
//! narrower condition in `B`) and the policy is wrong.
//!
//! Example:
//!
//! ```vigil
//! rule china "License to China"
//!   when destination is "CN"
//!   then license is required
//! end
//! rule china_police "License to the Chinese police"      # shadowed by `china`
//!   when destination is "CN" and any party in parties where party.sector is police
//!   then license is required
//! end
//! ```
//!
//! Fix: remove the narrower rule, or give it the outcome it was meant to have.

use std::collections::HashMap;

use super::label;
use super::structure::{conjuncts, implies, key, Conjunct};
use crate::diagnostic::{Code, Diagnostic};
use crate::semantic::ir::*;

/// What a rule requires and sets, in comparable form.
struct Shape {
    conjuncts: Vec<Conjunct>,
    unless: Option<String>,
    /// (decision, op, value) of each outcome; `None` when an outcome's value is read from the
    /// transaction.
    outcomes: Option<Vec<(DecisionId, OutcomeOp, Value)>>,
}

/// The keys under which a rule can be found: one per plain conjunct, and one per part of the
/// body of each `any` (a broader `any` requires a subset of the narrower one's body).
fn anchors(conjuncts: &[Conjunct]) -> Vec<String> {
    let mut anchors = Vec::new();
    for conjunct in conjuncts {
        match conjunct {
            Conjunct::Plain(key) => anchors.push(key.clone()),
            Conjunct::Any { collection, body } if body.is_empty() => {
                anchors.push(format!("any:{collection}:"))
            }
            Conjunct::Any { collection, body } => {
                anchors.extend(body.iter().map(|part| format!("any:{collection}:{part}")))
            }
        }
    }
    anchors.sort();
    anchors.dedup();
    anchors
}

pub(crate) fn check(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    let shapes: Vec<Option<Shape>> = program
        .rules
        .iter()
        .map(|rule| {
            if !rule.exception_to.is_empty()
                || !rule.overridden_by.is_empty()
                || rule.outcomes.is_empty()
            {
                return None;
            }
            let outcomes = rule
                .outcomes
                .iter()
                .map(|o| match program.expr(o.value).map(|e| &e.kind) {
                    Some(ExprKind::Const(value)) => Some((o.decision, o.op, value.clone())),
                    _ => None,
                })
                .collect();
            Some(Shape {
                conjuncts: rule.when.map(|w| conjuncts(program, w)).unwrap_or_default(),
                unless: rule.unless.map(|u| key(program, u, &mut Vec::new())),
                outcomes,
            })
        })
        .collect();
    // Index every rule under one of its anchors: a broader rule's conjuncts are all among the
    // narrower rule's, so the narrower rule finds it under one of its own anchors. Each rule is
    // filed under its rarest anchor, so that no bucket holds many rules when the rules differ
    // at all, and the search stays near linear in large libraries.
    let all_anchors: Vec<Vec<String>> = shapes
        .iter()
        .map(|s| {
            s.as_ref()
                .map(|s| anchors(&s.conjuncts))
                .unwrap_or_default()
        })
        .collect();
    let mut frequency: HashMap<&str, usize> = HashMap::new();
    for anchor in all_anchors.iter().flatten() {
        *frequency.entry(anchor.as_str()).or_default() += 1;
    }
    // The key is the anchor and one outcome: a broader rule also sets every outcome of the
    // narrower one, so it is filed under each of its outcomes and found under the narrower
    // rule's first.
    let mut by_anchor: HashMap<(String, String), Vec<usize>> = HashMap::new();
    for (index, shape) in shapes.iter().enumerate() {
        let Some(Shape {
            outcomes: Some(outcomes),
            ..
        }) = shape
        else {
            continue;
        };
        let own = all_anchors.get(index).map(Vec::as_slice).unwrap_or(&[]);
        let rarest = own
            .iter()
            .min_by_key(|a| (frequency.get(a.as_str()).copied().unwrap_or(0), a.as_str()))
            .cloned()
            .unwrap_or_default();
        for outcome in outcomes {
            by_anchor
                .entry((rarest.clone(), format!("{outcome:?}")))
                .or_default()
                .push(index);
        }
    }
    for (narrow_index, narrow) in shapes.iter().enumerate() {
        let Some(narrow) = narrow else { continue };
        let Some(narrow_outcomes) = &narrow.outcomes else {
            continue;
        };
        let Some(narrow_rule) = program.rules.get(narrow_index) else {
            continue;
        };
        let mut own = all_anchors.get(narrow_index).cloned().unwrap_or_default();
        // Rules without conditions are filed under the empty anchor and may shadow any rule.
        own.push(String::new());
        let Some(first_outcome) = narrow_outcomes.first().map(|o| format!("{o:?}")) else {
            continue;
        };
        let candidates = own
            .into_iter()
            .filter_map(|a| by_anchor.get(&(a, first_outcome.clone())))
            .flatten()
            .copied();
        let mut shadow = None;
        for broad_index in candidates {
            if broad_index == narrow_index {
                continue;
            }
            let (Some(Some(broad)), Some(broad_rule)) =
                (shapes.get(broad_index), program.rules.get(broad_index))
            else {
                continue;
            };
            let Some(broad_outcomes) = &broad.outcomes else {
                continue;
            };
            let same_outcomes = narrow_outcomes.iter().all(|o| broad_outcomes.contains(o));
            let unless_fits = broad.unless.is_none() || broad.unless == narrow.unless;
            if !(same_outcomes
                && unless_fits
                && broad_rule.dates.covers(&narrow_rule.dates)
                && implies(&narrow.conjuncts, &broad.conjuncts))
            {
                continue;
            }
            // Two rules that shadow each other (the same rule written twice): report the later.
            let mutual = broad_outcomes.iter().all(|o| narrow_outcomes.contains(o))
                && implies(&broad.conjuncts, &narrow.conjuncts)
                && narrow_rule.dates.covers(&broad_rule.dates)
                && (narrow.unless.is_none() || narrow.unless == broad.unless);
            if mutual && narrow_index < broad_index {
                continue;
            }
            shadow = Some(broad_rule);
            break;
        }
        let Some(broad_rule) = shadow else { continue };
        let diagnostic = Diagnostic::warning(
            Code::W0004,
            format!(
                "the rule `{}` is shadowed by `{}`, which sets the same outcomes whenever it would",
                narrow_rule.name, broad_rule.name
            ),
        );
        let diagnostic = label(
            program,
            diagnostic,
            narrow_rule.location,
            "this rule changes no decision",
        );
        let diagnostic = label(
            program,
            diagnostic,
            broad_rule.location,
            "because this broader rule already sets the same values",
        );
        diagnostics
            .push(diagnostic.with_help(
                "remove the narrower rule, or give it the outcome it was meant to have",
            ));
    }
}
