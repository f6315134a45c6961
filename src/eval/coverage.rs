//! Coverage of a policy library by its tests: which rules no test fires, and which conditions
//! no test saw true or saw false.
//!
//! A *condition* is each top-level conjunct or disjunct of a rule's `when` and `unless` (the
//! whole clause when it is neither an `and` nor an `or`). A quantifier's body counts too, split
//! the same way, because most rules are one `any item in items where ...` whose interesting
//! parts are inside. Each condition should be seen both true and false across the tests; a
//! condition seen only unknown (missing information) counts as neither.

use serde::Serialize;

use super::engine::{ConditionTruths, Outcome, RuleResult};
use super::record::location;
use crate::semantic::ir::{ExprId, ExprKind, FileId, Program, RuleId};

/// Which clause of a rule a condition belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Clause {
    When,
    Unless,
}

/// One condition whose truth values coverage tracks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConditionNode {
    pub rule: RuleId,
    pub clause: Clause,
    pub expr: ExprId,
}

/// Every condition of every rule, in rule order and, within a rule, in source order.
pub fn condition_nodes(program: &Program) -> Vec<ConditionNode> {
    let mut nodes = Vec::new();
    for (index, rule) in program.rules.iter().enumerate() {
        let rule_id = RuleId::from_index(index);
        for (clause, root) in [(Clause::When, rule.when), (Clause::Unless, rule.unless)] {
            let Some(root) = root else { continue };
            let mut exprs = Vec::new();
            split(program, root, &mut exprs);
            nodes.extend(exprs.into_iter().map(|expr| ConditionNode {
                rule: rule_id,
                clause,
                expr,
            }));
        }
    }
    nodes
}

/// The conjuncts or disjuncts of a condition, and those of every quantifier body among them.
fn split(program: &Program, expr: ExprId, out: &mut Vec<ExprId>) {
    let Some(e) = program.expr(expr) else { return };
    match &e.kind {
        ExprKind::And(items) | ExprKind::Or(items) => {
            for item in items.iter() {
                node(program, *item, out);
            }
        }
        _ => node(program, expr, out),
    }
}

fn node(program: &Program, expr: ExprId, out: &mut Vec<ExprId>) {
    out.push(expr);
    if let Some(ExprKind::Quantifier { body, .. }) = program.expr(expr).map(|e| &e.kind) {
        split(program, *body, out);
    }
}

/// Accumulates the outcomes of the tests.
#[derive(Clone, Debug)]
pub struct CoverageTally {
    fired: Vec<bool>,
    truths: ConditionTruths,
    nodes: Vec<ConditionNode>,
}

impl CoverageTally {
    /// An empty tally for a program.
    pub fn new(program: &Program) -> CoverageTally {
        CoverageTally {
            fired: vec![false; program.rules.len()],
            truths: ConditionTruths::for_program(program),
            nodes: condition_nodes(program),
        }
    }

    /// Adds the outcome of one test, evaluated with [`super::RunConfig::coverage`].
    pub fn add(&mut self, outcome: &Outcome) {
        for (seen, result) in self.fired.iter_mut().zip(&outcome.rules) {
            if matches!(result, RuleResult::Fired(_)) {
                *seen = true;
            }
        }
        self.truths.merge(&outcome.truths);
    }

    /// The report, per file in the program's file order.
    pub fn report(&self, program: &Program) -> Coverage {
        let mut files: Vec<(FileId, FileCoverage)> = Vec::new();
        let entry = |files: &mut Vec<(FileId, FileCoverage)>, file: FileId| -> usize {
            if let Some(position) = files.iter().position(|(f, _)| *f == file) {
                return position;
            }
            let name = program
                .file(file)
                .map_or_else(String::new, |f| f.name.to_string());
            files.push((file, FileCoverage::named(name)));
            files.len() - 1
        };
        for (index, rule) in program.rules.iter().enumerate() {
            let position = entry(&mut files, rule.location.file);
            let Some((_, file)) = files.get_mut(position) else {
                continue;
            };
            file.rules += 1;
            if self.fired.get(index).copied().unwrap_or(false) {
                file.rules_fired += 1;
            } else {
                file.unfired.push(RuleGap {
                    rule: rule.name.to_string(),
                    at: location(program, rule.location),
                });
            }
        }
        for node in &self.nodes {
            let Some(rule) = program.rule(node.rule) else {
                continue;
            };
            let Some(expr) = program.expr(node.expr) else {
                continue;
            };
            let position = entry(&mut files, rule.location.file);
            let Some((_, file)) = files.get_mut(position) else {
                continue;
            };
            let seen = self.truths.seen(node.expr);
            file.conditions += 1;
            file.condition_outcomes_seen +=
                usize::from(seen.was_true) + usize::from(seen.was_false);
            if !(seen.was_true && seen.was_false) {
                file.condition_gaps.push(ConditionGap {
                    rule: rule.name.to_string(),
                    clause: node.clause,
                    condition: one_line(program.source_text(expr.location)),
                    at: location(program, expr.location),
                    never_true: !seen.was_true,
                    never_false: !seen.was_false,
                });
            }
        }
        let mut files: Vec<FileCoverage> = files.into_iter().map(|(_, f)| f).collect();
        files.sort_by(|a, b| a.file.cmp(&b.file));
        for file in &mut files {
            file.fill_percentages();
        }
        let mut total = CoverageTotals {
            rules: files.iter().map(|f| f.rules).sum(),
            rules_fired: files.iter().map(|f| f.rules_fired).sum(),
            conditions: files.iter().map(|f| f.conditions).sum(),
            condition_outcomes_seen: files.iter().map(|f| f.condition_outcomes_seen).sum(),
            rule_percent: 0.0,
            condition_percent: 0.0,
        };
        total.rule_percent = percent(total.rules_fired, total.rules);
        total.condition_percent = percent(total.condition_outcomes_seen, 2 * total.conditions);
        Coverage { files, total }
    }
}

/// Coverage of the whole library.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Coverage {
    pub files: Vec<FileCoverage>,
    pub total: CoverageTotals,
}

/// The totals over every file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CoverageTotals {
    pub rules: usize,
    pub rules_fired: usize,
    /// Rules fired, in percent of the rules (100 when there are none).
    pub rule_percent: f64,
    pub conditions: usize,
    /// How many of the two outcomes (true, false) of each condition some test produced.
    pub condition_outcomes_seen: usize,
    /// Condition outcomes seen, in percent of twice the conditions (100 when there are none).
    pub condition_percent: f64,
}

/// Coverage of the rules written in one file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FileCoverage {
    pub file: String,
    pub rules: usize,
    pub rules_fired: usize,
    pub rule_percent: f64,
    pub conditions: usize,
    pub condition_outcomes_seen: usize,
    pub condition_percent: f64,
    /// The rules no test fires.
    pub unfired: Vec<RuleGap>,
    /// The conditions no test saw true, or none saw false.
    pub condition_gaps: Vec<ConditionGap>,
}

impl FileCoverage {
    fn named(file: String) -> FileCoverage {
        FileCoverage {
            file,
            rules: 0,
            rules_fired: 0,
            rule_percent: 0.0,
            conditions: 0,
            condition_outcomes_seen: 0,
            condition_percent: 0.0,
            unfired: Vec::new(),
            condition_gaps: Vec::new(),
        }
    }

    fn fill_percentages(&mut self) {
        self.rule_percent = percent(self.rules_fired, self.rules);
        self.condition_percent = percent(self.condition_outcomes_seen, 2 * self.conditions);
    }
}

/// A rule no test fires.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RuleGap {
    pub rule: String,
    pub at: String,
}

/// A condition not seen both true and false.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ConditionGap {
    pub rule: String,
    pub clause: Clause,
    /// The condition as written, on one line.
    pub condition: String,
    pub at: String,
    pub never_true: bool,
    pub never_false: bool,
}

/// `part` in percent of `whole`, to two decimals; 100 when there is nothing to cover.
pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        return 100.0;
    }
    let exact = part as f64 * 100.0 / whole as f64;
    (exact * 100.0).round() / 100.0
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
