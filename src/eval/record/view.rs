//! The decision record serialised straight from an outcome, without building it first.
//!
//! [`RecordJson`] writes, through any serde serializer, exactly what serialising the
//! [`DecisionRecord`] built by [`Evaluator::into_record`] writes: the same fields in the same
//! order, the same values. Batch output (`--format json|jsonl`) goes this way, so the strings,
//! maps and JSON values of the record are never allocated. The test
//! `tests/library.rs::records_serialise_as_their_views` holds the two to the same bytes.

use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::Serialize;
use serde_json::Value as Json;

use super::{
    decision_values, fired_sets, match_records, obligations, rule_results, to_json, DecisionRecord,
    Evaluator,
};
use crate::date::Date;
use crate::eval::engine::{Outcome, RuleResult};
use crate::semantic::ir::{DecisionId, OutcomeOp, Program, Type, Value};

/// A record to serialise: an evaluated outcome seen as its record, or a rejection's record.
pub enum RecordJson<'a> {
    Decided {
        evaluator: &'a Evaluator,
        id: &'a Json,
        date: Date,
        outcome: &'a Outcome,
    },
    Rejected(&'a DecisionRecord),
}

impl Serialize for RecordJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (evaluator, id, date, outcome) = match self {
            RecordJson::Rejected(record) => return record.serialize(serializer),
            RecordJson::Decided {
                evaluator,
                id,
                date,
                outcome,
            } => (*evaluator, *id, *date, *outcome),
        };
        let program = evaluator.engine.program();
        let rules = || rule_results(program, outcome);
        let any_overridden = outcome
            .rules
            .iter()
            .any(|r| matches!(r, RuleResult::Overridden { .. }));
        let any_uncertain = outcome
            .rules
            .iter()
            .any(|r| matches!(r, RuleResult::Uncertain { .. }));
        // Field for field as `DecisionRecord`'s derived `Serialize`.
        let mut record = serializer.serialize_struct(
            "DecisionRecord",
            8 + usize::from(any_overridden) + usize::from(any_uncertain),
        )?;
        record.serialize_field("id", id)?;
        record.serialize_field("date", &Display(date))?;
        record.serialize_field("decisions", &Decisions { program, outcome })?;
        record.serialize_field("matches", &match_records(program, outcome))?;
        record.serialize_field(
            "fired",
            &Seq(|| {
                rules().filter_map(|(index, rule, result)| match result {
                    RuleResult::Fired(f) => Some(Fired {
                        evaluator,
                        index,
                        rule,
                        sets: &f.sets,
                        because: f.because.as_deref(),
                    }),
                    _ => None,
                })
            }),
        )?;
        record.serialize_field("obligations", &Seq(|| obligations(program, None, outcome)))?;
        if any_overridden {
            record.serialize_field(
                "overridden",
                &Seq(|| {
                    rules().filter_map(|(index, rule, result)| match result {
                        RuleResult::Overridden { by } => {
                            Some(evaluator.overridden(index, rule, *by))
                        }
                        _ => None,
                    })
                }),
            )?;
        } else {
            record.skip_field("overridden")?;
        }
        if any_uncertain {
            record.serialize_field(
                "indeterminate",
                &Seq(|| {
                    rules().filter_map(|(index, rule, result)| match result {
                        RuleResult::Uncertain { missing } => {
                            Some(evaluator.indeterminate(index, rule, missing))
                        }
                        _ => None,
                    })
                }),
            )?;
        } else {
            record.skip_field("indeterminate")?;
        }
        record.serialize_field("errors", &[(); 0])?;
        record.serialize_field("engine", &evaluator.info)?;
        record.end()
    }
}

/// A value written with `Display`, as a JSON string.
struct Display<T>(T);

impl<T: std::fmt::Display> Serialize for Display<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// The items an iterator yields, as a JSON array; the closure makes the iterator afresh.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let items = (self.0)();
        let mut seq = serializer.serialize_seq(None)?;
        for item in items {
            seq.serialize_element(&item)?;
        }
        seq.end()
    }
}

/// The `decisions` map.
struct Decisions<'a> {
    program: &'a Program,
    outcome: &'a Outcome,
}

impl Serialize for Decisions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (_, decision, value) in decision_values(self.program, self.outcome) {
            map.serialize_entry(
                &*decision.name,
                &Typed {
                    program: self.program,
                    value,
                    ty: &decision.value_type,
                },
            )?;
        }
        map.end()
    }
}

/// One fired rule, as `FiredRecord` serialises.
struct Fired<'a> {
    evaluator: &'a Evaluator,
    index: usize,
    rule: &'a crate::semantic::ir::Rule,
    sets: &'a [(DecisionId, OutcomeOp, Value)],
    because: Option<&'a str>,
}

impl Serialize for Fired<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let program = self.evaluator.engine.program();
        let mut record = serializer.serialize_struct("FiredRecord", 5)?;
        record.serialize_field("rule", &*self.rule.name)?;
        record.serialize_field("cite", &self.rule.cite.as_deref())?;
        record.serialize_field(
            "sets",
            &Sets {
                program,
                sets: self.sets,
            },
        )?;
        record.serialize_field("because", &self.because)?;
        record.serialize_field(
            "at",
            self.evaluator
                .rule_at
                .get(self.index)
                .map_or("", |at| &**at),
        )?;
        record.end()
    }
}

/// A fired rule's `sets` map.
struct Sets<'a> {
    program: &'a Program,
    sets: &'a [(DecisionId, OutcomeOp, Value)],
}

impl Serialize for Sets<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // A rule that names a decision twice (two `add`s to one list) is written through the
        // map that merges them; every other rule entry by entry.
        let repeated = self.sets.iter().enumerate().any(|(i, (decision, _, _))| {
            self.sets
                .iter()
                .skip(i + 1)
                .any(|(other, _, _)| other == decision)
        });
        if repeated {
            return fired_sets(self.program, self.sets).serialize(serializer);
        }
        let mut map = serializer.serialize_map(None)?;
        for (decision, op, value) in self.sets {
            let Some(d) = self.program.decision(*decision) else {
                continue;
            };
            match op {
                OutcomeOp::Set => map.serialize_entry(
                    &*d.name,
                    &Typed {
                        program: self.program,
                        value,
                        ty: &d.value_type,
                    },
                )?,
                OutcomeOp::Include => {
                    let element = d.value_type.element().unwrap_or(&Type::Error);
                    map.serialize_entry(
                        &*d.name,
                        &[Typed {
                            program: self.program,
                            value,
                            ty: element,
                        }],
                    )?;
                }
            }
        }
        map.end()
    }
}

/// A value as [`to_json`] writes it, without building the JSON value.
struct Typed<'a> {
    program: &'a Program,
    value: &'a Value,
    ty: &'a Type,
}

impl Serialize for Typed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.value, self.ty) {
            (Value::Missing, _) => serializer.serialize_unit(),
            (Value::Bool(b), _) => serializer.serialize_bool(*b),
            (Value::Integer(n), _) => serializer.serialize_i64(*n),
            (Value::String(s), _) => serializer.serialize_str(s),
            (Value::Date(d), _) => serializer.collect_str(d),
            (Value::Country(c), _) => serializer.collect_str(c),
            (Value::Eccn(e), _) => serializer.collect_str(e),
            (Value::Enum(index), Type::Enum(id)) => match self
                .program
                .enumeration(*id)
                .and_then(|e| e.value_name(*index))
            {
                Some(name) => serializer.serialize_str(name),
                None => serializer.serialize_unit(),
            },
            (Value::List(items), ty) => {
                let element = ty.element().unwrap_or(&Type::Error);
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for value in items.iter() {
                    seq.serialize_element(&Typed {
                        program: self.program,
                        value,
                        ty: element,
                    })?;
                }
                seq.end()
            }
            // Decimals and enum values of an unexpected type are rare: through the JSON value.
            (Value::Decimal(_) | Value::Enum(_), ty) => {
                to_json(self.program, self.value, ty).serialize(serializer)
            }
        }
    }
}
