//! The decisions pass: outcomes that no combination can reconcile. A decision that declares no
//! `combine` may be set by several rules only to the same value; a decision combined `by
//! priority` may not be set to different values by rules of equal priority. Either conflict is
//! reported only when the two rules are in force on a common day and neither is an exception to
//! the other.

use super::ir::*;
use super::Context;
use crate::diagnostic::Code;

/// One rule's outcome on the decision being checked.
struct Setter {
    rule: RuleId,
    dates: DateRange,
    /// The constant value set, or `None` when the value is read from the transaction.
    value: Option<Value>,
    location: Location,
}

/// Whether two setters may disagree.
fn differ(a: &Setter, b: &Setter) -> bool {
    match (&a.value, &b.value) {
        (Some(x), Some(y)) => x != y,
        _ => true,
    }
}

impl<'a> Context<'a> {
    pub(crate) fn check_decisions(&mut self) {
        for index in 0..self.program.decisions.len() {
            let id = DecisionId::from_index(index);
            let Some(decision) = self.program.decision(id) else {
                continue;
            };
            let combine = decision.combine;
            if matches!(combine, Some(mode) if mode != CombineMode::Priority) {
                continue;
            }
            let mut setters = Vec::new();
            for rule_id in &decision.set_by {
                let Some(rule) = self.program.rule(*rule_id) else {
                    continue;
                };
                for outcome in rule.outcomes.iter().filter(|o| o.decision == id) {
                    let value = self.program.expr(outcome.value).and_then(|e| {
                        if let ExprKind::Const(v) = &e.kind {
                            Some(v.clone())
                        } else {
                            None
                        }
                    });
                    setters.push((
                        rule.priority,
                        Setter {
                            rule: *rule_id,
                            dates: rule.dates,
                            value,
                            location: outcome.location,
                        },
                    ));
                }
            }
            if combine.is_none() {
                let group: Vec<Setter> = setters.into_iter().map(|(_, s)| s).collect();
                if let Some((a, b)) = self.first_conflict(group) {
                    self.report_conflict(id, &a, &b, None);
                }
            } else {
                setters.sort_by_key(|(priority, _)| *priority);
                let mut groups: Vec<(i64, Vec<Setter>)> = Vec::new();
                for (priority, setter) in setters {
                    match groups.last_mut() {
                        Some((p, group)) if *p == priority => group.push(setter),
                        _ => groups.push((priority, vec![setter])),
                    }
                }
                for (priority, group) in groups {
                    if let Some((a, b)) = self.first_conflict(group) {
                        self.report_conflict(id, &a, &b, Some(priority));
                    }
                }
            }
        }
    }

    /// Two setters that disagree on a common day, if any. The setters are swept in order of
    /// their first day, keeping the one in force longest: if any two overlapping setters
    /// disagree, the sweep meets a pair that does (O(n log n), not all pairs).
    fn first_conflict(&self, mut group: Vec<Setter>) -> Option<(Setter, Setter)> {
        if group.len() < 2 {
            return None;
        }
        let first = group.first()?;
        if group
            .iter()
            .all(|s| s.value.is_some() && s.value == first.value)
        {
            return None;
        }
        group.sort_by_key(|s| s.dates.effective);
        let mut longest: Option<usize> = None;
        let mut found = None;
        for (index, setter) in group.iter().enumerate() {
            if let Some(current) = longest.and_then(|l| group.get(l)) {
                let related = self.related(current.rule, setter.rule);
                if current.dates.overlaps(&setter.dates)
                    && differ(current, setter)
                    && current.rule != setter.rule
                    && !related
                {
                    found = Some((longest.unwrap_or(0), index));
                    break;
                }
                let ends_later = match (setter.dates.until, current.dates.until) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(a), Some(b)) => a > b,
                };
                if ends_later {
                    longest = Some(index);
                }
            } else {
                longest = Some(index);
            }
        }
        let (a, b) = found?;
        let mut drained: Vec<Option<Setter>> = group.into_iter().map(Some).collect();
        let first = drained.get_mut(a).and_then(Option::take)?;
        let second = drained.get_mut(b).and_then(Option::take)?;
        Some((first, second))
    }

    /// Whether one rule is an exception to the other: then they never both contribute.
    fn related(&self, a: RuleId, b: RuleId) -> bool {
        let exception = |x: RuleId, y: RuleId| {
            self.program
                .rule(x)
                .is_some_and(|r| r.exception_to.contains(&y))
        };
        exception(a, b) || exception(b, a)
    }

    fn report_conflict(
        &mut self,
        decision: DecisionId,
        a: &Setter,
        b: &Setter,
        priority: Option<i64>,
    ) {
        let Some(found) = self.program.decision(decision) else {
            return;
        };
        let name = found.name.clone();
        let declared = found.location;
        let rule_name = |rule: RuleId| {
            self.program
                .rule(rule)
                .map_or_else(String::new, |r| r.name.to_string())
        };
        let (first, second) = (rule_name(a.rule), rule_name(b.rule));
        let (code, message, help) = match priority {
            None => (
                Code::E0401,
                format!("the rules `{first}` and `{second}` can set `{name}` to different values, and `{name}` declares no way to combine them"),
                format!("add `combine by ...` to the decision `{name}` (for example `combine by priority` and a `priority` on each rule), or make one rule an exception to the other"),
            ),
            Some(priority) => (
                Code::E0402,
                format!("the rules `{first}` and `{second}` both have priority {priority} and can set `{name}` to different values"),
                "give the rule that prevails a higher `priority`, or make it an exception to the other".to_string(),
            ),
        };
        let diagnostic = self.error(code, message, b.location, "sets one value here");
        let diagnostic = self.also(diagnostic, a.location, "and another here");
        let diagnostic = self.also(diagnostic, declared, "the decision is declared here");
        self.report(diagnostic.with_help(help));
    }
}
