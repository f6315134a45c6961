//! The decision record written as one line of JSON, straight from the outcome, for batches.
//!
//! `vigil eval --format jsonl` writes millions of records; this writer produces exactly the
//! bytes `serde_json::to_string` gives for the [`DecisionRecord`] built by
//! [`Evaluator::into_record`], without building it. Everything the library fixes — rule
//! names, citations, `file:line`, decision names, the engine block, the `sets` of a rule whose
//! outcomes are constants, the strings the outcomes add (obligations) — is escaped once, when
//! the evaluator is built ([`JsonParts`]); only the transaction's values and the `because`
//! sentences are escaped per record; screening hits, overridden and indeterminate rules are
//! written from pieces escaped once per rule (what an indeterminate rule says of a missing
//! expression, once per expression, when first needed). Decimals go through serde. The test
//! `tests/library.rs::records_serialise_as_their_views` holds the bytes to serde's.

use serde_json::Value as Json;

use super::{
    decision_values, describe_missing, fired_sets, obligations, to_json, EngineInfo, Evaluator,
};
use crate::date::Date;
use crate::eval::engine::{Outcome, RuleResult};
use crate::hash::FxHashMap;
use crate::semantic::ir::{DecisionId, ExprId, ExprKind, OutcomeOp, Program, Type, Value};

/// The pieces of every record that the library fixes, escaped once.
pub(super) struct JsonParts {
    /// Per rule: `{"rule":"…","cite":"…","sets":`.
    rule_head: Vec<Box<[u8]>>,
    /// Per rule whose outcomes are all constants: its `rule_head` with the `sets` map and
    /// `,"because":` after it, which is the same whenever the rule fires.
    rule_head_with_sets: Vec<Option<Box<[u8]>>>,
    /// The strings the library's outcomes add to decisions (obligations), quoted and escaped,
    /// by the address of their text: a decision's list holds the constant itself.
    constant_strings: FxHashMap<usize, Box<[u8]>>,
    /// The position of the `obligations` decision.
    obligations: Option<usize>,
    /// Per rule: its name quoted, for `overridden` entries (as `rule` and as `by`).
    quoted_name: Vec<Box<[u8]>>,
    /// Per rule: `{"rule":"…","cite":"…","decisions":[…],"missing":[`, the head of its
    /// `indeterminate` entry (whose tail is the rule's `,"at":"…"}`).
    indeterminate_head: Vec<Box<[u8]>>,
    /// Per expression: what an `indeterminate` entry says of it when it is missing, quoted,
    /// escaped when first needed.
    missing_text: Vec<std::sync::OnceLock<Box<[u8]>>>,
    /// Per rule: `,"at":"…"}`.
    rule_tail: Vec<Box<[u8]>>,
    /// Per decision: `"name":`.
    decision_key: Vec<Box<[u8]>>,
    /// Per decision of an enumeration: `"name":"value"` for each of its values, by index.
    decision_enum_entry: Vec<Box<[Box<[u8]>]>>,
    /// `,"errors":[],"engine":{…}}`.
    record_tail: Box<[u8]>,
}

impl JsonParts {
    pub(super) fn new(
        program: &Program,
        rule_at: &[std::sync::Arc<str>],
        info: &EngineInfo,
    ) -> Self {
        let quoted_name: Vec<Box<[u8]>> = program
            .rules
            .iter()
            .map(|rule| {
                let mut quoted = Vec::new();
                string(&mut quoted, &rule.name);
                quoted.into_boxed_slice()
            })
            .collect();
        // `{"rule":"…","cite":"…"`, which a fired and an indeterminate entry start with.
        let rule_and_cite = |index: usize| {
            let mut head = b"{\"rule\":".to_vec();
            head.extend_from_slice(quoted_name.get(index).map_or(&[][..], |name| name));
            head.extend_from_slice(b",\"cite\":");
            match program.rules.get(index).and_then(|rule| rule.cite.as_ref()) {
                Some(cite) => string(&mut head, cite),
                None => head.extend_from_slice(b"null"),
            }
            head
        };
        let rule_head: Vec<Box<[u8]>> = (0..program.rules.len())
            .map(|index| {
                let mut head = rule_and_cite(index);
                head.extend_from_slice(b",\"sets\":");
                head.into_boxed_slice()
            })
            .collect();
        let mut constant_strings = FxHashMap::default();
        let rule_head_with_sets = program
            .rules
            .iter()
            .zip(&rule_head)
            .map(|(rule, head)| {
                let mut sets = Vec::with_capacity(rule.outcomes.len());
                for outcome in &rule.outcomes {
                    let ExprKind::Const(value) = &program.expr(outcome.value)?.kind else {
                        return None;
                    };
                    if value.is_missing() {
                        return None;
                    }
                    if let Value::String(text) = value {
                        let mut quoted = Vec::new();
                        string(&mut quoted, text);
                        constant_strings.insert(address(text), quoted.into_boxed_slice());
                    }
                    sets.push((outcome.decision, outcome.op, value.clone()));
                }
                let mut bytes = head.to_vec();
                write_sets(&mut bytes, program, &sets, &FxHashMap::default()).ok()?;
                bytes.extend_from_slice(b",\"because\":");
                Some(bytes.into_boxed_slice())
            })
            .collect();
        let obligations = program
            .decisions
            .iter()
            .position(|d| &*d.name == "obligations");
        let indeterminate_head = program
            .rules
            .iter()
            .enumerate()
            .map(|(index, rule)| {
                let mut head = rule_and_cite(index);
                head.extend_from_slice(b",\"decisions\":[");
                // As `Evaluator::indeterminate` lists them: by outcome, repeats in a row once.
                let mut last = None;
                for outcome in &rule.outcomes {
                    let Some(decision) = program.decision(outcome.decision) else {
                        continue;
                    };
                    if last == Some(outcome.decision) {
                        continue;
                    }
                    if last.is_some() {
                        head.push(b',');
                    }
                    last = Some(outcome.decision);
                    string(&mut head, &decision.name);
                }
                head.extend_from_slice(b"],\"missing\":[");
                head.into_boxed_slice()
            })
            .collect();
        let missing_text = program
            .exprs
            .iter()
            .map(|_| std::sync::OnceLock::new())
            .collect();
        let rule_tail = (0..program.rules.len())
            .map(|index| {
                let mut tail = b",\"at\":".to_vec();
                string(&mut tail, rule_at.get(index).map_or("", |at| &**at));
                tail.push(b'}');
                tail.into_boxed_slice()
            })
            .collect();
        let decision_key: Vec<Box<[u8]>> = program
            .decisions
            .iter()
            .map(|decision| {
                let mut key = Vec::new();
                string(&mut key, &decision.name);
                key.push(b':');
                key.into_boxed_slice()
            })
            .collect();
        let decision_enum_entry = program
            .decisions
            .iter()
            .zip(&decision_key)
            .map(|(decision, key)| {
                let Type::Enum(id) = &decision.value_type else {
                    return Box::default();
                };
                let Some(enumeration) = program.enumeration(*id) else {
                    return Box::default();
                };
                enumeration
                    .values
                    .iter()
                    .map(|value| {
                        let mut entry = key.to_vec();
                        string(&mut entry, &value.name);
                        entry.into_boxed_slice()
                    })
                    .collect()
            })
            .collect();
        let mut record_tail = b",\"errors\":[],\"engine\":{\"version\":".to_vec();
        string(&mut record_tail, info.version);
        record_tail.extend_from_slice(b",\"library\":");
        string(&mut record_tail, &info.library);
        record_tail.extend_from_slice(b"}}");
        JsonParts {
            rule_head,
            rule_head_with_sets,
            constant_strings,
            obligations,
            quoted_name,
            indeterminate_head,
            missing_text,
            rule_tail,
            decision_key,
            decision_enum_entry,
            record_tail: record_tail.into_boxed_slice(),
        }
    }
}

/// Appends the record of a decided input to `out`, without a line break.
pub(super) fn write_decided(
    evaluator: &Evaluator,
    id: &Json,
    date: Date,
    outcome: &Outcome,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    let program = evaluator.engine.program();
    let parts = &evaluator.json_parts;
    out.extend_from_slice(b"{\"id\":");
    match id {
        Json::String(s) => string(out, s),
        other => serde_json::to_writer(&mut *out, other)?,
    }
    out.extend_from_slice(b",\"date\":");
    plain(out, &date.text());
    out.extend_from_slice(b",\"decisions\":{");
    let mut first = true;
    for (index, decision, value) in decision_values(program, outcome) {
        separate(out, &mut first);
        if let Value::Enum(at) = value {
            let entry = parts
                .decision_enum_entry
                .get(index)
                .and_then(|entries| entries.get(usize::from(*at)));
            if let Some(entry) = entry {
                out.extend_from_slice(entry);
                continue;
            }
        }
        out.extend_from_slice(parts.decision_key.get(index).map_or(&[][..], |k| k));
        typed(out, program, value, &decision.value_type)?;
    }
    out.extend_from_slice(b"},\"matches\":");
    write_matches(out, program, outcome)?;
    out.extend_from_slice(b",\"fired\":[");
    let mut first = true;
    let (mut any_overridden, mut any_uncertain) = (false, false);
    for (index, result) in outcome.rules.iter().enumerate() {
        match result {
            RuleResult::Fired(fired) => {
                separate(out, &mut first);
                // A rule that set every outcome it has (none was missing) to its constants.
                let whole_head = parts.rule_head_with_sets.get(index).and_then(|head| {
                    let rule = program.rules.get(index)?;
                    (fired.sets.len() == rule.outcomes.len()).then_some(head.as_deref()?)
                });
                match whole_head {
                    Some(head) => out.extend_from_slice(head),
                    None => {
                        out.extend_from_slice(parts.rule_head.get(index).map_or(&[][..], |h| h));
                        write_sets(out, program, &fired.sets, &parts.constant_strings)?;
                        out.extend_from_slice(b",\"because\":");
                    }
                }
                match &fired.because {
                    Some(because) if fired.because_is_plain => plain(out, because.as_bytes()),
                    Some(because) => string(out, because),
                    None => out.extend_from_slice(b"null"),
                }
                out.extend_from_slice(parts.rule_tail.get(index).map_or(&[][..], |t| t));
            }
            RuleResult::Overridden { .. } => any_overridden = true,
            RuleResult::Uncertain { .. } => any_uncertain = true,
            RuleResult::NotInForce | RuleResult::NotFired { .. } => {}
        }
    }
    out.extend_from_slice(b"],\"obligations\":[");
    let mut first = true;
    for obligation in obligations(program, parts.obligations, outcome) {
        separate(out, &mut first);
        match parts.constant_strings.get(&address(obligation)) {
            Some(quoted) => out.extend_from_slice(quoted),
            None => string(out, obligation),
        }
    }
    out.push(b']');
    if any_overridden {
        out.extend_from_slice(b",\"overridden\":[");
        let mut first = true;
        for (index, result) in outcome.rules.iter().enumerate() {
            if let RuleResult::Overridden { by } = result {
                separate(out, &mut first);
                let parts = (
                    parts.quoted_name.get(index),
                    parts.quoted_name.get(by.index()),
                    parts.rule_tail.get(index),
                );
                match parts {
                    (Some(rule), Some(by), Some(tail)) => {
                        out.extend_from_slice(b"{\"rule\":");
                        out.extend_from_slice(rule);
                        out.extend_from_slice(b",\"by\":");
                        out.extend_from_slice(by);
                        out.extend_from_slice(tail);
                    }
                    _ => {
                        let Some(rule) = program.rules.get(index) else {
                            continue;
                        };
                        let record = evaluator.overridden(index, rule, *by);
                        serde_json::to_writer(&mut *out, &record)?;
                    }
                }
            }
        }
        out.push(b']');
    }
    if any_uncertain {
        out.extend_from_slice(b",\"indeterminate\":[");
        let mut first = true;
        for (index, result) in outcome.rules.iter().enumerate() {
            if let RuleResult::Uncertain { missing } = result {
                separate(out, &mut first);
                let (Some(head), Some(tail)) = (
                    parts.indeterminate_head.get(index),
                    parts.rule_tail.get(index),
                ) else {
                    let Some(rule) = program.rules.get(index) else {
                        continue;
                    };
                    let record = evaluator.indeterminate(index, rule, missing);
                    serde_json::to_writer(&mut *out, &record)?;
                    continue;
                };
                out.extend_from_slice(head);
                // As `Evaluator::indeterminate` lists them: repeats in a row once.
                let mut last: Option<&[u8]> = None;
                for expr in missing.iter() {
                    let Some(text) = missing_text(program, parts, *expr) else {
                        continue;
                    };
                    if last == Some(text) {
                        continue;
                    }
                    if last.is_some() {
                        out.push(b',');
                    }
                    out.extend_from_slice(text);
                    last = Some(text);
                }
                out.push(b']');
                out.extend_from_slice(tail);
            }
        }
        out.push(b']');
    }
    out.extend_from_slice(&parts.record_tail);
    Ok(())
}

/// The `matches` array, as `match_records` builds it (a hit whose table or row the program
/// lacks is left out).
fn write_matches(
    out: &mut Vec<u8>,
    program: &Program,
    outcome: &Outcome,
) -> serde_json::Result<()> {
    out.push(b'[');
    let mut first = true;
    for hit in &outcome.matches {
        let Some(table) = program.table(hit.table) else {
            continue;
        };
        let Some(row) = table.rows.get(hit.row) else {
            continue;
        };
        let column = |name: &str| {
            table
                .column_index(name)
                .and_then(|c| row.cells.get(usize::from(c)))
        };
        separate(out, &mut first);
        out.extend_from_slice(b"{\"party\":");
        string(out, &hit.party);
        out.extend_from_slice(b",\"list\":");
        match column("source") {
            Some(Value::String(source)) if !source.is_empty() => string(out, source),
            _ => string(out, table.title.as_deref().unwrap_or(&table.qualified_name)),
        }
        out.extend_from_slice(b",\"listed_name\":");
        match column("name") {
            Some(Value::String(name)) => string(out, name),
            _ => string(out, ""),
        }
        out.extend_from_slice(b",\"alias\":");
        let alias = match (column("aliases"), hit.listed_name.checked_sub(1)) {
            (Some(Value::List(items)), Some(at)) => match items.get(at) {
                Some(Value::String(alias)) => Some(alias),
                _ => None,
            },
            _ => None,
        };
        match alias {
            Some(alias) => string(out, alias),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"score\":");
        serde_json::to_writer(&mut *out, &((hit.score * 1000.0).round() / 1000.0))?;
        out.push(b'}');
    }
    out.push(b']');
    Ok(())
}

/// What an `indeterminate` entry says of a missing expression, quoted.
fn missing_text<'a>(program: &Program, parts: &'a JsonParts, expr: ExprId) -> Option<&'a [u8]> {
    let cell = parts.missing_text.get(expr.index())?;
    let expr = program.expr(expr)?;
    Some(cell.get_or_init(|| {
        let mut quoted = Vec::new();
        string(&mut quoted, &describe_missing(program, expr));
        quoted.into_boxed_slice()
    }))
}

fn separate(out: &mut Vec<u8>, first: &mut bool) {
    if !std::mem::take(first) {
        out.push(b',');
    }
}

/// The address of a string's text, which identifies a constant of the library.
fn address(text: &std::sync::Arc<str>) -> usize {
    std::sync::Arc::as_ptr(text).cast::<u8>() as usize
}

/// A fired rule's `sets` map, as `fired_sets` builds it. `quoted` holds strings already escaped.
fn write_sets(
    out: &mut Vec<u8>,
    program: &Program,
    sets: &[(DecisionId, OutcomeOp, Value)],
    quoted: &FxHashMap<usize, Box<[u8]>>,
) -> serde_json::Result<()> {
    let repeated = sets.iter().enumerate().any(|(i, (decision, _, _))| {
        sets.iter()
            .skip(i + 1)
            .any(|(other, _, _)| other == decision)
    });
    if repeated {
        return serde_json::to_writer(out, &fired_sets(program, sets));
    }
    out.push(b'{');
    let mut first = true;
    for (decision, op, value) in sets {
        let Some(d) = program.decision(*decision) else {
            continue;
        };
        separate(out, &mut first);
        string(out, &d.name);
        out.push(b':');
        let escaped = match value {
            Value::String(text) => quoted.get(&address(text)),
            _ => None,
        };
        match (op, escaped) {
            (OutcomeOp::Set, Some(escaped)) => out.extend_from_slice(escaped),
            (OutcomeOp::Set, None) => typed(out, program, value, &d.value_type)?,
            (OutcomeOp::Include, _) => {
                out.push(b'[');
                match escaped {
                    Some(escaped) => out.extend_from_slice(escaped),
                    None => typed(
                        out,
                        program,
                        value,
                        d.value_type.element().unwrap_or(&Type::Error),
                    )?,
                }
                out.push(b']');
            }
        }
    }
    out.push(b'}');
    Ok(())
}

/// A value as [`to_json`] writes it.
fn typed(out: &mut Vec<u8>, program: &Program, value: &Value, ty: &Type) -> serde_json::Result<()> {
    match (value, ty) {
        (Value::Missing, _) => out.extend_from_slice(b"null"),
        (Value::Bool(true), _) => out.extend_from_slice(b"true"),
        (Value::Bool(false), _) => out.extend_from_slice(b"false"),
        (Value::Integer(n), _) => serde_json::to_writer(&mut *out, n)?,
        (Value::String(s), _) => string(out, s),
        (Value::Date(d), _) => plain(out, &d.text()),
        (Value::Country(c), _) => plain(out, c.as_str().as_bytes()),
        (Value::Eccn(e), _) => {
            out.push(b'"');
            e.pieces()
                .for_each(|piece| out.extend_from_slice(piece.as_bytes()));
            out.push(b'"');
        }
        (Value::Enum(index), Type::Enum(id)) => {
            match program.enumeration(*id).and_then(|e| e.value_name(*index)) {
                Some(name) => string(out, name),
                None => out.extend_from_slice(b"null"),
            }
        }
        (Value::List(items), ty) => {
            let element = ty.element().unwrap_or(&Type::Error);
            out.push(b'[');
            let mut first = true;
            for item in items.iter() {
                separate(out, &mut first);
                typed(out, program, item, element)?;
            }
            out.push(b']');
        }
        (Value::Decimal(_) | Value::Enum(_), ty) => {
            serde_json::to_writer(&mut *out, &to_json(program, value, ty))?;
        }
    }
    Ok(())
}

/// A JSON string of text that needs no escaping (a date, a country code).
fn plain(out: &mut Vec<u8>, text: &[u8]) {
    out.push(b'"');
    out.extend_from_slice(text);
    out.push(b'"');
}

/// A string as serde_json writes it: quoted; `"` and `\` escaped, and control characters as
/// `\b \f \n \r \t` or `\u00XX`; everything else as it is.
pub(super) fn string(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let plain = crate::eval::engine::json_plain(s);
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if plain {
        out.extend_from_slice(bytes);
    } else {
        let mut start = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                0x08 => b"\\b",
                0x0c => b"\\f",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..=0x1f => &[],
                _ => continue,
            };
            out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
                out.push(HEX.get(usize::from(b & 0xf)).copied().unwrap_or(b'0'));
            } else {
                out.extend_from_slice(escape);
            }
            start = i + 1;
        }
        out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::string;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut texts: Vec<String> = (0u8..0x80).map(|b| format!("a{}b", b as char)).collect();
        texts.extend(
            [
                "",
                "plain",
                "é ✓ 中文",
                "\u{7f}",
                "\"quoted\" \\ back",
                "tab\there\r\n",
                "\u{1b}[0m",
            ]
            .map(String::from),
        );
        for text in texts {
            let mut out = Vec::new();
            string(&mut out, &text);
            assert_eq!(
                String::from_utf8(out).unwrap_or_default(),
                serde_json::to_string(&text).unwrap_or_default(),
                "{text:?}"
            );
        }
    }
}
