//! Comparing two versions of a policy library: what changed in the text of the law (rules and
//! tables added, removed and changed), and what changed in the decisions it makes.
//!
//! Rules are matched by their full name and tables by their qualified name, so a rule that
//! moved to another file is the same rule. A rule *changed* when its condition, its outcomes,
//! its explanation, its citation, its priority, its exceptions or the days it is in force
//! changed; comments and documentation text do not count.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value as Json;

use super::engine::{Outcome, RuleResult};
use super::record::{location, DecisionRecord};
use crate::semantic::ir::{Program, Rule, Table, TableRow};

/// The structural differences between two libraries.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StructuralDiff {
    pub rules_added: Vec<Named>,
    pub rules_removed: Vec<Named>,
    pub rules_changed: Vec<RuleChange>,
    pub tables_added: Vec<Named>,
    pub tables_removed: Vec<Named>,
    pub tables_changed: Vec<TableChange>,
}

impl StructuralDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.rules_added.is_empty()
            && self.rules_removed.is_empty()
            && self.rules_changed.is_empty()
            && self.tables_added.is_empty()
            && self.tables_removed.is_empty()
            && self.tables_changed.is_empty()
    }
}

/// A rule or table, by name and where it is written.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Named {
    pub name: String,
    pub at: String,
}

/// A rule present in both versions whose text changed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RuleChange {
    pub rule: String,
    /// Where the new version is written.
    pub at: String,
    pub changes: Vec<AspectChange>,
}

/// One changed aspect of a rule: `condition`, `unless`, `outcome`, `because`, `cite`,
/// `in force`, `priority` or `exception to`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AspectChange {
    pub aspect: &'static str,
    pub old: String,
    pub new: String,
}

/// A table present in both versions whose rows changed.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TableChange {
    pub table: String,
    pub at: String,
    /// Rows of the new version that the old one does not have, as written.
    pub rows_added: Vec<String>,
    /// Rows of the old version that the new one does not have, as written.
    pub rows_removed: Vec<String>,
}

/// Compares the rules and tables of two programs.
pub fn structural_diff(old: &Program, new: &Program) -> StructuralDiff {
    let mut diff = StructuralDiff::default();
    let old_rules: BTreeMap<&str, &Rule> = old.rules.iter().map(|r| (&*r.name, r)).collect();
    let new_rules: BTreeMap<&str, &Rule> = new.rules.iter().map(|r| (&*r.name, r)).collect();
    for (name, rule) in &new_rules {
        match old_rules.get(name) {
            None => diff.rules_added.push(Named {
                name: name.to_string(),
                at: location(new, rule.location),
            }),
            Some(before) => {
                let changes = rule_changes(old, before, new, rule);
                if !changes.is_empty() {
                    diff.rules_changed.push(RuleChange {
                        rule: name.to_string(),
                        at: location(new, rule.location),
                        changes,
                    });
                }
            }
        }
    }
    for (name, rule) in &old_rules {
        if !new_rules.contains_key(name) {
            diff.rules_removed.push(Named {
                name: name.to_string(),
                at: location(old, rule.location),
            });
        }
    }
    let old_tables: BTreeMap<&str, &Table> =
        old.tables.iter().map(|t| (&*t.qualified_name, t)).collect();
    let new_tables: BTreeMap<&str, &Table> =
        new.tables.iter().map(|t| (&*t.qualified_name, t)).collect();
    for (name, table) in &new_tables {
        match old_tables.get(name) {
            None => diff.tables_added.push(Named {
                name: name.to_string(),
                at: location(new, table.location),
            }),
            Some(before) => {
                let old_rows: Vec<String> = before
                    .rows
                    .iter()
                    .map(|r| row_text(old, before, r))
                    .collect();
                let new_rows: Vec<String> =
                    table.rows.iter().map(|r| row_text(new, table, r)).collect();
                let rows_added = missing_from(&new_rows, &old_rows);
                let rows_removed = missing_from(&old_rows, &new_rows);
                if !rows_added.is_empty() || !rows_removed.is_empty() {
                    diff.tables_changed.push(TableChange {
                        table: name.to_string(),
                        at: location(new, table.location),
                        rows_added,
                        rows_removed,
                    });
                }
            }
        }
    }
    for (name, table) in &old_tables {
        if !new_tables.contains_key(name) {
            diff.tables_removed.push(Named {
                name: name.to_string(),
                at: location(old, table.location),
            });
        }
    }
    diff
}

/// The elements of `these` not in `those`, counting repeats (a multiset difference).
fn missing_from(these: &[String], those: &[String]) -> Vec<String> {
    let mut available: BTreeMap<&str, usize> = BTreeMap::new();
    for row in those {
        *available.entry(row.as_str()).or_insert(0) += 1;
    }
    let mut out = Vec::new();
    for row in these {
        match available.get_mut(row.as_str()) {
            Some(count) if *count > 0 => *count -= 1,
            _ => out.push(row.clone()),
        }
    }
    out
}

/// A row as it would be written in a table: `row "0A977" effective 2020-10-06`.
fn row_text(program: &Program, table: &Table, row: &TableRow) -> String {
    let cells: Vec<String> = row
        .cells
        .iter()
        .zip(&table.columns)
        .map(|(value, column)| program.display_value(value, &column.ty))
        .collect();
    let mut text = format!("row {}", cells.join(", "));
    if let Some(effective) = row.dates.effective {
        text.push_str(&format!(" effective {effective}"));
    }
    if let Some(until) = row.dates.until {
        text.push_str(&format!(" until {until}"));
    }
    text
}

fn rule_changes(old: &Program, before: &Rule, new: &Program, after: &Rule) -> Vec<AspectChange> {
    let mut changes = Vec::new();
    let mut compare = |aspect: &'static str, old_text: String, new_text: String| {
        if old_text != new_text {
            changes.push(AspectChange {
                aspect,
                old: old_text,
                new: new_text,
            });
        }
    };
    let condition = |program: &Program, expr: Option<crate::semantic::ir::ExprId>| {
        expr.and_then(|e| program.expr(e))
            .map_or_else(String::new, |e| one_line(program.source_text(e.location)))
    };
    compare(
        "condition",
        condition(old, before.when),
        condition(new, after.when),
    );
    compare(
        "unless",
        condition(old, before.unless),
        condition(new, after.unless),
    );
    let outcomes = |program: &Program, rule: &Rule| {
        rule.outcomes
            .iter()
            .map(|o| one_line(program.source_text(o.location)))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    compare("outcome", outcomes(old, before), outcomes(new, after));
    let because = |program: &Program, rule: &Rule| {
        rule.because
            .as_ref()
            .map_or_else(String::new, |t| one_line(program.source_text(t.location)))
    };
    compare("because", because(old, before), because(new, after));
    compare(
        "cite",
        before.cite.as_deref().unwrap_or("").to_string(),
        after.cite.as_deref().unwrap_or("").to_string(),
    );
    compare(
        "in force",
        before.dates.to_string(),
        after.dates.to_string(),
    );
    compare(
        "priority",
        before.priority.to_string(),
        after.priority.to_string(),
    );
    let exceptions = |program: &Program, rule: &Rule| {
        let names: BTreeSet<&str> = rule
            .exception_to
            .iter()
            .filter_map(|r| program.rule(*r).map(|r| &*r.name))
            .collect();
        names.into_iter().collect::<Vec<_>>().join(", ")
    };
    compare(
        "exception to",
        exceptions(old, before),
        exceptions(new, after),
    );
    changes
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// How one transaction's decisions changed between the two versions.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TransactionChange {
    /// The decisions whose value changed (the `obligations` list among them).
    pub decisions: Vec<DecisionChange>,
    /// The rules that fired, were overridden or lacked information on one side and did
    /// something else on the other: the rules responsible for the change.
    pub rules: Vec<RuleStatusChange>,
}

/// One decision, before and after.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DecisionChange {
    pub decision: String,
    pub old: Json,
    pub new: Json,
}

/// What happened to one rule, before and after.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RuleStatusChange {
    pub rule: String,
    pub old: &'static str,
    pub new: &'static str,
}

/// One side of a comparison: the program and what it decided for a transaction.
pub struct Side<'a> {
    pub program: &'a Program,
    pub record: &'a DecisionRecord,
    pub outcome: Option<&'a Outcome>,
}

/// Compares what two versions decided for one transaction; `None` when every decision (and
/// whether the transaction was rejected) is the same.
pub fn compare_decisions(old: &Side, new: &Side) -> Option<TransactionChange> {
    let old_values = decision_values(old.record);
    let new_values = decision_values(new.record);
    let names: BTreeSet<&String> = old_values.keys().chain(new_values.keys()).collect();
    let mut decisions = Vec::new();
    // Decisions in the new version's order, then any the new version no longer has.
    let mut ordered: Vec<&String> = new_values.keys().collect();
    ordered.extend(names.into_iter().filter(|n| !new_values.contains_key(*n)));
    for name in ordered {
        let before = old_values.get(name).cloned().unwrap_or(Json::Null);
        let after = new_values.get(name).cloned().unwrap_or(Json::Null);
        if before != after {
            decisions.push(DecisionChange {
                decision: name.clone(),
                old: before,
                new: after,
            });
        }
    }
    if decisions.is_empty() {
        return None;
    }
    Some(TransactionChange {
        decisions,
        rules: rule_status_changes(old, new),
    })
}

/// Every decision of a record by name, with `rejected` standing for a transaction that failed
/// validation and `obligations` for the list the record keeps apart.
fn decision_values(record: &DecisionRecord) -> serde_json::Map<String, Json> {
    let mut values = record.decisions.clone().unwrap_or_default();
    if !record.errors.is_empty() {
        values.insert("rejected".into(), Json::Bool(true));
        return values;
    }
    values.insert(
        "obligations".into(),
        Json::Array(
            record
                .obligations
                .iter()
                .cloned()
                .map(Json::String)
                .collect(),
        ),
    );
    values
}

fn rule_status_changes(old: &Side, new: &Side) -> Vec<RuleStatusChange> {
    let statuses = |side: &Side| -> BTreeMap<String, &'static str> {
        let Some(outcome) = side.outcome else {
            return BTreeMap::new();
        };
        side.program
            .rules
            .iter()
            .zip(&outcome.rules)
            .map(|(rule, result)| (rule.name.to_string(), status(result)))
            .collect()
    };
    let before = statuses(old);
    let after = statuses(new);
    let mut order: Vec<&String> = match new.outcome {
        Some(_) => new
            .program
            .rules
            .iter()
            .filter_map(|r| after.get_key_value(&*r.name).map(|(k, _)| k))
            .collect(),
        None => Vec::new(),
    };
    order.extend(before.keys().filter(|k| !after.contains_key(*k)));
    let mut changes = Vec::new();
    for name in order {
        let old_status = before.get(name).copied().unwrap_or(ABSENT);
        let new_status = after.get(name).copied().unwrap_or(ABSENT);
        let contributed = |s: &str| s == FIRED || s == OVERRIDDEN || s == INDETERMINATE;
        if old_status != new_status && (contributed(old_status) || contributed(new_status)) {
            changes.push(RuleStatusChange {
                rule: name.clone(),
                old: old_status,
                new: new_status,
            });
        }
    }
    changes
}

const FIRED: &str = "fired";
const OVERRIDDEN: &str = "overridden";
const INDETERMINATE: &str = "indeterminate";
const ABSENT: &str = "absent";

fn status(result: &RuleResult) -> &'static str {
    match result {
        RuleResult::Fired(_) => FIRED,
        RuleResult::Overridden { .. } => OVERRIDDEN,
        RuleResult::Uncertain { .. } => INDETERMINATE,
        RuleResult::NotFired { .. } => "not fired",
        RuleResult::NotInForce => "not in force",
    }
}
