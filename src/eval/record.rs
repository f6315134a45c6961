//! The decision record of the screening contract: what `vigil eval` prints for each input.
//!
//! Field order and content are fixed by `contract.md`; extensions (`date`, `overridden`,
//! `indeterminate`, `engine`) are additions only. Records are deterministic: the same input,
//! date and library always give the same bytes. Batches do not build the record: [`view`]
//! serialises it through serde straight from the outcome and [`jsonl`] writes its JSON line by
//! hand, both byte for byte as the record's derived serialisation.

use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::engine::{Engine, Outcome, RuleResult, RunConfig};
use super::transaction::{read_valid, validate, InputError};
use crate::date::Date;
use crate::semantic::ir::{
    Decision, DecisionId, ExprId, OutcomeOp, Program, RecordId, Rule, RuleId, Type, Value,
};

mod jsonl;
mod view;
pub use view::RecordJson;

/// The decision record for one input.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DecisionRecord {
    /// The caller's identifier, echoed back (null when the input had none).
    pub id: Json,
    /// The date whose law was applied (the transaction's date, or `--as-of`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// Every decision by name, in declaration order; absent when the input was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decisions: Option<Map<String, Json>>,
    pub matches: Vec<MatchRecord>,
    pub fired: Vec<FiredRecord>,
    pub obligations: Vec<String>,
    /// Rules that fired but were overridden by an exception.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overridden: Vec<OverriddenRecord>,
    /// Rules that may apply but lack information: why a decision is indeterminate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub indeterminate: Vec<IndeterminateRecord>,
    pub errors: Vec<InputError>,
    /// The engine and the policy library that made the decision, for audit records.
    pub engine: EngineInfo,
}

/// One rule that contributed to the decisions.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FiredRecord {
    pub rule: Arc<str>,
    pub cite: Option<Arc<str>>,
    pub sets: Map<String, Json>,
    pub because: Option<String>,
    pub at: Arc<str>,
}

/// A restricted-party hit.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MatchRecord {
    /// The party's name as given in the transaction.
    pub party: String,
    /// The list the hit is on.
    pub list: String,
    /// The listed name of the entry.
    pub listed_name: String,
    /// The entry's alias that matched, when it was an alias rather than the listed name.
    pub alias: Option<String>,
    /// The party's alias that matched, when it was an alias rather than its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_alias: Option<String>,
    pub score: f64,
}

/// A rule overridden by an exception.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OverriddenRecord {
    pub rule: Arc<str>,
    pub by: Arc<str>,
    pub at: Arc<str>,
}

/// A rule that could not be decided for lack of information.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct IndeterminateRecord {
    pub rule: Arc<str>,
    pub cite: Option<Arc<str>>,
    /// The decisions it may affect.
    pub decisions: Vec<Arc<str>>,
    /// What was missing, in words.
    pub missing: Vec<String>,
    pub at: Arc<str>,
}

/// The engine version and the policy library's content hash.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EngineInfo {
    pub version: &'static str,
    pub library: Arc<str>,
}

/// What evaluating one input gave: its outcome, or the record that rejects it.
#[derive(Debug)]
pub enum Evaluation {
    /// The input was valid and was evaluated under the law in force on `date`.
    Decided {
        id: Json,
        date: Date,
        outcome: Outcome,
    },
    /// The input was rejected; the record names the problems.
    Rejected(DecisionRecord),
}

/// Validates and evaluates inputs, producing records.
pub struct Evaluator {
    engine: Engine,
    schema: RecordId,
    id_field: Option<usize>,
    date_field: Option<usize>,
    /// Whether valid JSON texts may be read straight into transactions ([`read_valid`]): the
    /// schema's `id`, if any, is a string, so the `id` echoed back can be read from the
    /// transaction rather than from the JSON tree.
    fast_read: bool,
    info: EngineInfo,
    /// `file:line` of every rule, computed once: finding a line number scans the file.
    rule_at: Vec<Arc<str>>,
    /// What every JSON line of a record shares, escaped once.
    json_parts: jsonl::JsonParts,
}

/// Why an evaluator cannot be built from a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvaluatorError {
    /// The policies declare no `schema`, so transactions cannot be read.
    NoSchema,
}

impl Evaluator {
    /// Prepares a program; `library_hash` identifies the policy library in every record.
    pub fn new(
        compiled: crate::Compiled,
        library_hash: Arc<str>,
    ) -> Result<Evaluator, EvaluatorError> {
        let order = compiled.graph.order.clone();
        let program = Arc::new(compiled.program);
        let schema = program.schema.ok_or(EvaluatorError::NoSchema)?;
        let record = program.record(schema).ok_or(EvaluatorError::NoSchema)?;
        let id_field = record.field_index("id").map(usize::from);
        let fast_read = match id_field {
            None => true,
            Some(i) => record.fields.get(i).is_some_and(|f| f.ty == Type::String),
        };
        let date_field = record
            .field_index("date")
            .map(usize::from)
            .filter(|&i| record.fields.get(i).is_some_and(|f| f.ty == Type::Date));
        let rule_at: Vec<Arc<str>> = program
            .rules
            .iter()
            .map(|rule| Arc::from(location(&program, rule.location)))
            .collect();
        let info = EngineInfo {
            version: env!("CARGO_PKG_VERSION"),
            library: library_hash,
        };
        let json_parts = jsonl::JsonParts::new(&program, &rule_at, &info);
        let engine = Engine::new(program, order);
        Ok(Evaluator {
            rule_at,
            json_parts,
            engine,
            schema,
            id_field,
            date_field,
            fast_read,
            info,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A record for an input that could not be read at all.
    pub fn rejected(&self, id: Json, errors: Vec<InputError>) -> DecisionRecord {
        DecisionRecord {
            id,
            date: None,
            decisions: None,
            matches: Vec::new(),
            fired: Vec::new(),
            obligations: Vec::new(),
            overridden: Vec::new(),
            indeterminate: Vec::new(),
            errors,
            engine: self.info.clone(),
        }
    }

    /// Parses one JSON text and evaluates it.
    pub fn evaluate_text(
        &self,
        text: &[u8],
        as_of: Option<Date>,
        config: RunConfig,
    ) -> (DecisionRecord, Option<Outcome>) {
        self.into_record(self.evaluate_bytes(text, as_of, config))
    }

    /// Validates a transaction and evaluates it. The outcome is returned too, for explanations.
    pub fn evaluate_json(
        &self,
        json: &Json,
        as_of: Option<Date>,
        config: RunConfig,
    ) -> (DecisionRecord, Option<Outcome>) {
        self.into_record(self.evaluate_value(json, as_of, config))
    }

    /// Parses one JSON text and evaluates it, without building its record: serialise the
    /// result with [`Evaluator::json`] or [`Evaluator::write_jsonl`], or build the record with
    /// [`Evaluator::into_record`].
    ///
    /// A valid transaction is read straight into its value ([`read_valid`]); anything else
    /// goes through the JSON tree and [`Evaluator::evaluate_value`], which explains the problem.
    pub fn evaluate_bytes(
        &self,
        text: &[u8],
        as_of: Option<Date>,
        config: RunConfig,
    ) -> Evaluation {
        if self.fast_read {
            if let Some(transaction) = read_valid(self.engine.program(), self.schema, text) {
                // `null` stands for the input's `id` as given. It is echoed only when the
                // transaction's `id` is not a string, which (the schema's `id` being a string)
                // means the input's was absent or `null`. The exception is a transaction
                // without a date: its rejection echoes the input's `id` even when it is a
                // string or has a default, so it takes the full path.
                if as_of.is_some() || self.transaction_date(&transaction).is_some() {
                    return self.evaluate_valid(transaction, Json::Null, as_of, config);
                }
            }
        }
        match serde_json::from_slice::<Json>(text) {
            Ok(json) => self.evaluate_value(&json, as_of, config),
            Err(error) => Evaluation::Rejected(self.rejected(
                Json::Null,
                vec![InputError::new("", format!("not valid JSON: {error}"))],
            )),
        }
    }

    /// Validates a transaction and evaluates it, without building its record.
    pub fn evaluate_value(
        &self,
        json: &Json,
        as_of: Option<Date>,
        config: RunConfig,
    ) -> Evaluation {
        let program = self.engine.program();
        let id = json.get("id").cloned().unwrap_or(Json::Null);
        match validate(program, self.schema, json) {
            Ok(transaction) => self.evaluate_valid(transaction, id, as_of, config),
            Err(errors) => Evaluation::Rejected(self.rejected(id, errors)),
        }
    }

    /// Evaluates a validated transaction. `echoed` is the input's `id` as it was, echoed when
    /// the transaction's `id` is not a string.
    fn evaluate_valid(
        &self,
        transaction: Value,
        echoed: Json,
        as_of: Option<Date>,
        config: RunConfig,
    ) -> Evaluation {
        let Some(date) = as_of.or(self.transaction_date(&transaction)) else {
            return Evaluation::Rejected(self.rejected(echoed, vec![InputError::new("/date", "the transaction has no `date`, and no `--as-of` date was given: the law in force cannot be chosen")]));
        };
        let id = match (&transaction, self.id_field) {
            (Value::List(fields), Some(index)) => match fields.get(index) {
                Some(Value::String(s)) => Json::String(s.to_string()),
                _ => echoed,
            },
            _ => echoed,
        };
        let outcome = self.engine.run(transaction, date, config);
        Evaluation::Decided { id, date, outcome }
    }

    /// The transaction's own `date`, when the schema has one and the transaction gives it.
    fn transaction_date(&self, transaction: &Value) -> Option<Date> {
        match (transaction, self.date_field) {
            (Value::List(fields), Some(index)) => match fields.get(index) {
                Some(Value::Date(date)) => Some(*date),
                _ => None,
            },
            _ => None,
        }
    }

    /// Gives a decided evaluation's memory back to this thread for the next ones
    /// ([`Engine::recycle`]): for batches, which write a record and move on.
    pub fn recycle(&self, evaluation: Evaluation) {
        if let Evaluation::Decided { outcome, .. } = evaluation {
            Engine::recycle(outcome);
        }
    }

    /// The record of an evaluation, and its outcome when it was decided (for explanations).
    pub fn into_record(&self, evaluation: Evaluation) -> (DecisionRecord, Option<Outcome>) {
        match evaluation {
            Evaluation::Decided { id, date, outcome } => {
                (self.record(id, date, &outcome), Some(outcome))
            }
            Evaluation::Rejected(record) => (record, None),
        }
    }

    /// The record of an evaluation as something to serialise: the same JSON, byte for byte,
    /// as serialising the [`DecisionRecord`] that [`Evaluator::into_record`] builds, written
    /// straight from the outcome.
    pub fn json<'a>(&'a self, evaluation: &'a Evaluation) -> RecordJson<'a> {
        match evaluation {
            Evaluation::Decided { id, date, outcome } => RecordJson::Decided {
                evaluator: self,
                id,
                date: *date,
                outcome,
            },
            Evaluation::Rejected(record) => RecordJson::Rejected(record),
        }
    }

    /// Appends the record of an evaluation to `out` as one line of JSON (without the line
    /// break): the bytes `serde_json::to_string` gives for the record, written straight from
    /// the outcome with everything the library fixes escaped in advance. For batches.
    pub fn write_jsonl(
        &self,
        evaluation: &Evaluation,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        match evaluation {
            Evaluation::Decided { id, date, outcome } => {
                jsonl::write_decided(self, id, *date, outcome, out)
            }
            Evaluation::Rejected(record) => serde_json::to_writer(out, record),
        }
    }

    fn record(&self, id: Json, date: Date, outcome: &Outcome) -> DecisionRecord {
        let program = self.engine.program();
        let mut decisions = Map::with_capacity(program.decisions.len());
        for (_, decision, value) in decision_values(program, outcome) {
            decisions.insert(
                decision.name.to_string(),
                to_json(program, value, &decision.value_type),
            );
        }
        let mut fired = Vec::new();
        let mut overridden = Vec::new();
        let mut indeterminate = Vec::new();
        for (index, rule, result) in rule_results(program, outcome) {
            match result {
                RuleResult::Fired(f) => fired.push(FiredRecord {
                    rule: rule.name.clone(),
                    cite: rule.cite.clone(),
                    sets: fired_sets(program, &f.sets),
                    because: f.because.clone(),
                    at: self.rule_at(index),
                }),
                RuleResult::Overridden { by } => {
                    overridden.push(self.overridden(index, rule, *by));
                }
                RuleResult::Uncertain { missing } => {
                    indeterminate.push(self.indeterminate(index, rule, missing));
                }
                RuleResult::NotInForce | RuleResult::NotFired { .. } => {}
            }
        }
        DecisionRecord {
            id,
            date: Some(date.to_string()),
            decisions: Some(decisions),
            matches: match_records(program, outcome),
            fired,
            obligations: obligations(program, None, outcome)
                .map(|s| s.to_string())
                .collect(),
            overridden,
            indeterminate,
            errors: Vec::new(),
            engine: self.info.clone(),
        }
    }

    /// `file:line` of rule `index`.
    fn rule_at(&self, index: usize) -> Arc<str> {
        self.rule_at
            .get(index)
            .cloned()
            .unwrap_or_else(|| Arc::from(""))
    }

    fn overridden(&self, index: usize, rule: &Rule, by: RuleId) -> OverriddenRecord {
        let by = self
            .engine
            .program()
            .rule(by)
            .map_or_else(|| Arc::from(""), |r| r.name.clone());
        OverriddenRecord {
            rule: rule.name.clone(),
            by,
            at: self.rule_at(index),
        }
    }

    fn indeterminate(&self, index: usize, rule: &Rule, missing: &[ExprId]) -> IndeterminateRecord {
        let program = self.engine.program();
        let mut decisions: Vec<Arc<str>> = rule
            .outcomes
            .iter()
            .filter_map(|o| program.decision(o.decision).map(|d| d.name.clone()))
            .collect();
        decisions.dedup();
        let mut missing: Vec<String> = missing
            .iter()
            .filter_map(|e| program.expr(*e))
            .map(|e| describe_missing(program, e))
            .collect();
        missing.dedup();
        IndeterminateRecord {
            rule: rule.name.clone(),
            cite: rule.cite.clone(),
            decisions,
            missing,
            at: self.rule_at(index),
        }
    }
}

/// The decisions of the record's `decisions` map, in declaration order, with their values:
/// every decision but `obligations`, which the record lists on its own.
fn decision_values<'p>(
    program: &'p Program,
    outcome: &'p Outcome,
) -> impl Iterator<Item = (usize, &'p Decision, &'p Value)> {
    program
        .decisions
        .iter()
        .enumerate()
        .filter(|(_, decision)| &*decision.name != "obligations")
        .map(|(index, decision)| {
            (
                index,
                decision,
                outcome.decisions.get(index).unwrap_or(&Value::Missing),
            )
        })
}

/// Every rule with its position and its result.
fn rule_results<'p>(
    program: &'p Program,
    outcome: &'p Outcome,
) -> impl Iterator<Item = (usize, &'p Rule, &'p RuleResult)> {
    outcome
        .rules
        .iter()
        .enumerate()
        .filter_map(|(index, result)| Some((index, program.rules.get(index)?, result)))
}

/// The texts of the `obligations` decision, when the program declares it.
fn obligations<'p>(
    program: &'p Program,
    position: Option<usize>,
    outcome: &'p Outcome,
) -> impl Iterator<Item = &'p Arc<str>> {
    let items: &[Value] = position
        .or_else(|| {
            program
                .decisions
                .iter()
                .position(|d| &*d.name == "obligations")
        })
        .and_then(|index| outcome.decisions.get(index))
        .and_then(|value| match value {
            Value::List(items) => Some(&**items),
            _ => None,
        })
        .unwrap_or(&[]);
    items.iter().filter_map(|v| match v {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// The `sets` of a fired rule: each decision it set, and for a decision it added to, the
/// array of what it added.
fn fired_sets(program: &Program, fired: &[(DecisionId, OutcomeOp, Value)]) -> Map<String, Json> {
    let mut sets = Map::with_capacity(fired.len());
    for (decision, op, value) in fired {
        let Some(d) = program.decision(*decision) else {
            continue;
        };
        let json = match op {
            OutcomeOp::Set => to_json(program, value, &d.value_type),
            OutcomeOp::Include => {
                let element = d.value_type.element().cloned().unwrap_or(Type::Error);
                let item = to_json(program, value, &element);
                match sets.get_mut(&*d.name) {
                    Some(Json::Array(items)) => {
                        items.push(item);
                        continue;
                    }
                    _ => Json::Array(vec![item]),
                }
            }
        };
        sets.insert(d.name.to_string(), json);
    }
    sets
}

/// The restricted-party hits of an outcome, as records.
fn match_records(program: &Program, outcome: &Outcome) -> Vec<MatchRecord> {
    outcome
        .matches
        .iter()
        .filter_map(|m| {
            let table = program.table(m.table)?;
            let row = table.rows.get(m.row)?;
            let column = |name: &str| {
                table
                    .column_index(name)
                    .and_then(|c| row.cells.get(usize::from(c)))
            };
            let listed = match column("name") {
                Some(Value::String(s)) => s.to_string(),
                _ => String::new(),
            };
            let alias_at = |i: usize| match column("aliases") {
                Some(Value::List(items)) => match items.get(i.checked_sub(1)?) {
                    Some(Value::String(s)) => Some(s.to_string()),
                    _ => None,
                },
                _ => None,
            };
            let list = match column("source") {
                Some(Value::String(s)) if !s.is_empty() => s.to_string(),
                _ => table
                    .title
                    .as_deref()
                    .unwrap_or(&table.qualified_name)
                    .to_string(),
            };
            Some(MatchRecord {
                party: m.party.to_string(),
                list,
                listed_name: listed,
                alias: alias_at(m.listed_name),
                party_alias: None,
                score: (m.score * 1000.0).round() / 1000.0,
            })
        })
        .collect()
}

/// `file:line` of a location.
pub fn location(program: &Program, location: crate::semantic::ir::Location) -> String {
    program
        .file(location.file)
        .map_or_else(String::new, |f| f.location(location.span))
}

fn describe_missing(program: &Program, expr: &crate::semantic::ir::Expr) -> String {
    let text = program
        .source_text(expr.location)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match expr.kind {
        crate::semantic::ir::ExprKind::Within { .. } => {
            format!("`{text}`: the ECCN is given without the paragraph this rule needs")
        }
        _ => format!("`{text}` is not given"),
    }
}

/// A value as JSON, by its type: enum values by name, sets as arrays, missing as null.
pub fn to_json(program: &Program, value: &Value, ty: &Type) -> Json {
    match value {
        Value::Missing => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Integer(n) => Json::from(*n),
        Value::Decimal(d) => d
            .to_string()
            .parse::<serde_json::Number>()
            .map_or_else(|_| Json::String(d.to_string()), Json::Number),
        Value::String(s) => Json::String(s.to_string()),
        Value::Date(d) => Json::String(d.to_string()),
        Value::Country(c) => Json::String(c.to_string()),
        Value::Eccn(e) => Json::String(e.to_string()),
        Value::Enum(index) => match ty {
            Type::Enum(id) => program
                .enumeration(*id)
                .and_then(|e| e.value_name(*index))
                .map_or(Json::Null, |n| Json::String(n.to_string())),
            _ => Json::from(*index),
        },
        Value::List(items) => {
            let element = ty.element().cloned().unwrap_or(Type::Error);
            Json::Array(
                items
                    .iter()
                    .map(|v| to_json(program, v, &element))
                    .collect(),
            )
        }
    }
}
