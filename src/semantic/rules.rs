//! The rules pass: each rule's dates, exceptions, conditions, outcomes and `because` sentence;
//! then the cycles among exceptions, and the tests' expectations.

use std::sync::Arc;

use super::exprs::{compatible, witnesses, Frame};
use super::ir::*;
use super::types::ConstantContext;
use super::{paths, Context, Decl, Lookup};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest;
use crate::syntax::ast;

impl<'a> Context<'a> {
    pub(crate) fn check_rules(&mut self) {
        let pending = self.pending.rules.clone();
        for (index, decl) in pending.iter().enumerate() {
            self.check_rule(RuleId::from_index(index), decl);
        }
        // Record who overrides whom, now that every rule's exceptions are known.
        for index in 0..self.program.rules.len() {
            let targets = self
                .program
                .rules
                .get(index)
                .map(|r| r.exception_to.clone())
                .unwrap_or_default();
            for target in targets {
                if let Some(rule) = self.program.rules.get_mut(target.index()) {
                    // Rules are visited in order, so a repeat can only be the last one pushed.
                    if rule.overridden_by.last() != Some(&RuleId::from_index(index)) {
                        rule.overridden_by.push(RuleId::from_index(index));
                    }
                }
            }
        }
    }

    fn check_rule(&mut self, id: RuleId, decl: &ast::RuleDecl) {
        let Some(rule) = self.program.rule(id) else {
            return;
        };
        let file = rule.location.file;
        let policy = rule.policy;
        let policy_dates = self
            .program
            .policies
            .get(policy.index())
            .map_or(DateRange::ALWAYS, |p| p.dates);
        let own_dates = DateRange {
            effective: decl.effective.as_ref().map(|d| d.node),
            until: decl.until.as_ref().map(|d| d.node),
        };
        self.check_range(
            own_dates,
            file,
            decl.effective.as_ref(),
            decl.until.as_ref(),
            "rule",
        );

        let mut exception_to = Vec::new();
        for name in &decl.exception_to {
            if let Some(target) = self.resolve_rule_name(file, Some(policy), name) {
                if !exception_to.contains(&target) {
                    exception_to.push(target);
                }
            }
        }

        let mut frame = Frame::new(file);
        let when = decl
            .when
            .as_ref()
            .map(|expr| self.check_condition(&mut frame, expr));
        let unless = decl
            .unless
            .as_ref()
            .map(|expr| self.check_condition(&mut frame, expr));
        let mut bound = Vec::new();
        if let Some(when) = when {
            witnesses(&self.program, when, &mut bound);
        }
        // Outcomes and `because` see the witnesses of `when`, and nothing else.
        frame.scope = bound
            .iter()
            .filter_map(|slot| {
                frame
                    .slots
                    .get(slot.index())
                    .map(|s| (s.name.clone(), *slot))
            })
            .collect();
        let in_scope: Vec<Arc<str>> = frame.scope.iter().map(|(n, _)| n.clone()).collect();
        frame.unavailable = frame
            .slots
            .iter()
            .map(|s| s.name.clone())
            .filter(|n| !in_scope.contains(n))
            .collect();

        if decl.then.is_empty() {
            self.report(
                self.error(
                    Code::E0406,
                    format!("the rule `{}` decides nothing", decl.name.node),
                    self.locate(file, decl.name.span),
                    "no `then` clause",
                )
                .with_help("say what the rule decides: `then license is required`"),
            );
        }
        let mut outcomes: Vec<Outcome> = Vec::new();
        for outcome in &decl.then {
            if let Some(checked) = self.check_outcome(&mut frame, outcome) {
                let repeated = outcomes
                    .iter()
                    .find(|o| {
                        o.decision == checked.decision
                            && o.op == OutcomeOp::Set
                            && checked.op == OutcomeOp::Set
                    })
                    .map(|o| o.location);
                if let Some(first) = repeated {
                    let diagnostic = self.error(
                        Code::E0401,
                        format!("the rule sets `{}` twice", outcome.decision.node),
                        checked.location,
                        "set again here",
                    );
                    let diagnostic = self.also(diagnostic, first, "first set here");
                    self.report(diagnostic.with_help("a rule sets a decision once; split the rule if the values apply in different cases"));
                    continue;
                }
                outcomes.push(checked);
            }
        }
        let because = decl.because.as_ref().map(|template| {
            let mut parts = Vec::new();
            for part in &template.parts {
                match part {
                    ast::TemplatePart::Text(text) => {
                        parts.push(TemplatePart::Text(Arc::from(text.as_str())))
                    }
                    ast::TemplatePart::Value(name) => parts.push(TemplatePart::Value(
                        self.resolve_name(&mut frame, name, None),
                    )),
                }
            }
            Template {
                parts,
                location: self.locate(file, template.span),
            }
        });
        for outcome in &outcomes {
            if let Some(decision) = self.program.decisions.get_mut(outcome.decision.index()) {
                // Rules are checked in order, so a repeat can only be the last one pushed.
                if decision.set_by.last() != Some(&id) {
                    decision.set_by.push(id);
                }
            }
        }
        if let Some(rule) = self.program.rules.get_mut(id.index()) {
            rule.own_dates = own_dates;
            rule.dates = own_dates.intersect(&policy_dates);
            rule.exception_to = exception_to;
            rule.when = when;
            rule.unless = unless;
            rule.outcomes = outcomes;
            rule.because = because;
            rule.slots = frame.slots;
            rule.witnesses = bound;
        }
    }

    /// The decision named in an outcome or an expectation.
    fn resolve_decision(&mut self, file: FileId, name: &ast::Ident) -> Option<DecisionId> {
        let location = self.locate(file, name.span);
        match self.lookup(file, &name.node) {
            Lookup::Found(Decl::Decision(decision)) => Some(decision),
            Lookup::NotImported(declared_in, decl @ Decl::Decision(_)) => {
                let diagnostic = self.not_imported(&name.node, location, declared_in, decl);
                self.report(diagnostic);
                None
            }
            Lookup::Ambiguous(candidates) => {
                let diagnostic = self.ambiguous(&name.node, location, &candidates);
                self.report(diagnostic);
                None
            }
            found => {
                let description = match found {
                    Lookup::Found(decl) | Lookup::NotImported(_, decl) => format!(
                        "`{}` is {}, not a decision",
                        name.node,
                        self.decl_description(decl)
                    ),
                    _ => format!("unknown decision `{}`", name.node),
                };
                let decisions: Vec<Arc<str>> = self
                    .program
                    .decisions
                    .iter()
                    .map(|d| d.name.clone())
                    .collect();
                let diagnostic = self.error(
                    Code::E0102,
                    description,
                    location,
                    "an outcome sets a decision",
                );
                let diagnostic = match suggest::closest(&name.node, decisions.iter().map(|d| &**d)) {
                    Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                    None => diagnostic.with_help("declare it with `decision NAME ... end`, or import the file that declares it"),
                };
                self.report(diagnostic);
                None
            }
        }
    }

    fn check_outcome(&mut self, frame: &mut Frame, outcome: &ast::Outcome) -> Option<Outcome> {
        let file = frame.file;
        let location = self.locate(file, outcome.span);
        let decision = self.resolve_decision(file, &outcome.decision);
        let Some(decision) = decision else {
            // Still check a value that means something on its own, for the errors in it; a bare
            // name is probably a value of the unknown decision.
            if !matches!(&outcome.value.kind, ast::ExprKind::Name(name) if name.parts.len() == 1) {
                self.check_expr(frame, &outcome.value, None);
            }
            return None;
        };
        let (value_type, kind) = self
            .program
            .decision(decision)
            .map(|d| (d.value_type.clone(), d.kind.clone()))?;
        let op = match outcome.op {
            ast::OutcomeOp::Is => OutcomeOp::Set,
            ast::OutcomeOp::Includes => OutcomeOp::Include,
        };
        let expected = match (op, &kind) {
            (OutcomeOp::Include, DecisionKind::Set(element)) => element.clone(),
            (OutcomeOp::Include, _) => {
                self.report(
                    self.error(
                        Code::E0211,
                        format!(
                            "`{}` is not a set, so nothing can be included in it",
                            outcome.decision.node
                        ),
                        location,
                        "`includes` adds to a set",
                    )
                    .with_help(format!("write `{} is ...`", outcome.decision.node)),
                );
                self.check_expr(frame, &outcome.value, Some(&value_type));
                return None;
            }
            (OutcomeOp::Set, DecisionKind::Set(element))
                if !matches!(outcome.value.kind, ast::ExprKind::List(_)) =>
            {
                // One value set on a set decision: the author meant `includes`.
                let value = self.check_expr(frame, &outcome.value, Some(element));
                if self.type_of(value) != Type::Error {
                    self.report(
                        self.error(
                            Code::E0211,
                            format!(
                                "`{}` is a set, so `is` needs a whole set",
                                outcome.decision.node
                            ),
                            self.locate(file, outcome.value.span),
                            "a single value",
                        )
                        .with_help(format!(
                            "to add this value to the set, write `{} includes {}`",
                            outcome.decision.node,
                            self.program
                                .source_text(self.locate(file, outcome.value.span))
                        )),
                    );
                }
                return None;
            }
            (OutcomeOp::Set, _) => value_type.clone(),
        };
        let value = self.check_expr(frame, &outcome.value, Some(&expected));
        let found = self.type_of(value);
        let is_set_decision = matches!(kind, DecisionKind::Set(_));
        let fits = compatible(&found, &expected)
            || (is_set_decision
                && op == OutcomeOp::Set
                && found == Type::List(Box::new(Type::Error)));
        if !fits {
            let f = self.program.type_name(&found);
            let help = if is_set_decision && op == OutcomeOp::Set {
                format!(
                    "to add a value to the set, write `{} includes ...`",
                    outcome.decision.node
                )
            } else {
                format!(
                    "the decision `{}` takes {}",
                    outcome.decision.node,
                    self.what_fits(&expected)
                )
            };
            let value_location = self.locate(file, outcome.value.span);
            self.report(
                self.error(
                    Code::E0211,
                    format!("`{}` cannot be set to a `{f}`", outcome.decision.node),
                    value_location,
                    format!("this is a `{f}`"),
                )
                .with_help(help),
            );
            return None;
        }
        Some(Outcome {
            decision,
            op,
            value,
            location,
        })
    }

    /// The rule a name refers to: a name without dots is looked up in `policy` first.
    fn resolve_rule_name(
        &mut self,
        file: FileId,
        policy: Option<PolicyId>,
        name: &ast::QualifiedName,
    ) -> Option<RuleId> {
        let dotted = name.dotted();
        if name.parts.len() == 1 {
            if let Some(policy) = policy {
                if let Some(rule) = self
                    .rules_by_policy
                    .get(&(policy, Arc::from(dotted.as_str())))
                {
                    return Some(*rule);
                }
            }
        }
        if let Some(rule) = self.program.rule_named(&dotted) {
            return Some(rule);
        }
        let mut candidates: Vec<Arc<str>> =
            self.program.rules.iter().map(|r| r.name.clone()).collect();
        if let Some(policy) = policy {
            candidates.extend(
                self.program
                    .rules
                    .iter()
                    .filter(|r| r.policy == policy)
                    .map(|r| r.short_name.clone()),
            );
        }
        let diagnostic = self.error(
            Code::E0106,
            format!("unknown rule `{dotted}`"),
            self.locate(file, name.span),
            "no rule of this name",
        );
        let diagnostic = match suggest::closest(&dotted, candidates.iter().map(|c| &**c)) {
            Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
            None => diagnostic.with_help("name a rule of the same policy by its name, or any rule by its full name `policy.rule`"),
        };
        self.report(diagnostic);
        None
    }

    /// Reports every cycle of exceptions (`a` an exception to `b`, `b` to `a`), printing the
    /// whole cycle.
    pub(crate) fn check_exception_cycles(&mut self) {
        let count = self.program.rules.len();
        // 0: not visited, 1: on the current path, 2: done.
        let mut state = vec![0u8; count];
        let mut reported: Vec<Vec<RuleId>> = Vec::new();
        for start in 0..count {
            if state.get(start) != Some(&0) {
                continue;
            }
            // An explicit stack of (rule, next exception to follow), so deep chains cannot
            // overflow the call stack.
            let mut path: Vec<(usize, usize)> = vec![(start, 0)];
            if let Some(s) = state.get_mut(start) {
                *s = 1;
            }
            while let Some(&(rule, next)) = path.last() {
                let targets = self
                    .program
                    .rules
                    .get(rule)
                    .map(|r| r.exception_to.as_slice())
                    .unwrap_or(&[]);
                let Some(target) = targets.get(next).map(|t| t.index()) else {
                    if let Some(s) = state.get_mut(rule) {
                        *s = 2;
                    }
                    path.pop();
                    continue;
                };
                if let Some(top) = path.last_mut() {
                    top.1 += 1;
                }
                match state.get(target) {
                    Some(0) => {
                        if let Some(s) = state.get_mut(target) {
                            *s = 1;
                        }
                        path.push((target, 0));
                    }
                    Some(1) => {
                        let from = path.iter().position(|(r, _)| *r == target).unwrap_or(0);
                        let cycle: Vec<RuleId> = path
                            .iter()
                            .skip(from)
                            .map(|(r, _)| RuleId::from_index(*r))
                            .collect();
                        reported.push(cycle);
                    }
                    _ => {}
                }
            }
        }
        for cycle in reported {
            let diagnostic = self.exception_cycle(&cycle);
            self.report(diagnostic);
        }
    }

    fn exception_cycle(&self, cycle: &[RuleId]) -> Diagnostic {
        let names: Vec<&str> = cycle
            .iter()
            .filter_map(|r| self.program.rule(*r))
            .map(|r| &*r.name)
            .collect();
        let first = names.first().copied().unwrap_or("?");
        let shown = if names.len() == 1 {
            format!("`{first}` is an exception to itself")
        } else {
            let mut chain: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            chain.push(format!("`{first}`"));
            format!("exceptions form a cycle: {}", chain.join(" → "))
        };
        let mut diagnostic = Diagnostic::error(Code::E0410, shown);
        for (index, rule) in cycle.iter().enumerate() {
            let Some(rule) = self.program.rule(*rule) else {
                continue;
            };
            let next = cycle
                .get(index + 1)
                .or(cycle.first())
                .and_then(|r| self.program.rule(*r))
                .map_or("?", |r| &*r.name);
            diagnostic = self.also(
                diagnostic,
                rule.location,
                format!("`{}` is an exception to `{next}`", rule.short_name),
            );
        }
        diagnostic.with_help("an exception overrides the rule it names; remove one `exception to` so that the chain ends")
    }

    pub(crate) fn check_tests(&mut self) {
        let pending = self.pending.tests.clone();
        for (index, decl) in pending.iter().enumerate() {
            let Some(test) = self.program.tests.get(index) else {
                continue;
            };
            let file = test.location.file;
            let policy = test.policy;
            let given = decl.given.as_ref().map(|given| match given {
                ast::Given::Inline { text, span } => TestGiven::Inline {
                    text: Arc::from(text.as_str()),
                    location: self.locate(file, *span),
                },
                ast::Given::File(path) => TestGiven::File {
                    path: Arc::from(paths::resolve(&self.source(file).name, &path.node).as_str()),
                    location: self.locate(file, path.span),
                },
            });
            let mut expects = Vec::new();
            for expect in &decl.expects {
                match expect {
                    ast::Expect::Rejected(span) => {
                        expects.push(Expectation::Rejected(self.locate(file, *span)))
                    }
                    ast::Expect::Rule { name, fires, span } => {
                        if let Some(rule) = self.resolve_rule_name(file, policy, name) {
                            expects.push(Expectation::Rule {
                                rule,
                                fires: *fires,
                                location: self.locate(file, *span),
                            });
                        }
                    }
                    ast::Expect::Outcome(outcome) => {
                        let Some(decision) = self.resolve_decision(file, &outcome.decision) else {
                            continue;
                        };
                        let Some(found) = self.program.decision(decision) else {
                            continue;
                        };
                        let (value_type, kind) = (found.value_type.clone(), found.kind.clone());
                        let op = match outcome.op {
                            ast::OutcomeOp::Is => OutcomeOp::Set,
                            ast::OutcomeOp::Includes => OutcomeOp::Include,
                        };
                        let ty = match (op, kind) {
                            (OutcomeOp::Include, DecisionKind::Set(element)) => element,
                            (OutcomeOp::Include, _) => {
                                self.report(
                                    self.error(
                                        Code::E0211,
                                        format!(
                                            "`{}` is not a set, so it cannot include a value",
                                            outcome.decision.node
                                        ),
                                        self.locate(file, outcome.span),
                                        "`includes` tests a set",
                                    )
                                    .with_help(format!(
                                        "write `expect {} is ...`",
                                        outcome.decision.node
                                    )),
                                );
                                continue;
                            }
                            (OutcomeOp::Set, _) => value_type,
                        };
                        let what = format!("the expected value of `{}`", outcome.decision.node);
                        if let Some(value) = self.const_value(
                            file,
                            &outcome.value,
                            &ty,
                            ConstantContext {
                                mismatch: Code::E0211,
                                what: &what,
                            },
                        ) {
                            expects.push(Expectation::Decision {
                                decision,
                                op,
                                value,
                                location: self.locate(file, outcome.span),
                            });
                        }
                    }
                }
            }
            if let Some(test) = self.program.tests.get_mut(index) {
                test.given = given;
                test.expects = expects;
            }
        }
    }
}
