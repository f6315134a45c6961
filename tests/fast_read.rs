//! The fast path of reading transactions (`vigil::eval::read_valid`) against validation of the
//! JSON tree (`vigil::eval::validate`), over the shipped library's schema: a generated corpus,
//! every line of `examples/batch.jsonl`, every `examples/*.json`, and variants of each broken
//! on purpose (fields removed, set to null or to a value of the wrong type, unknown and repeated
//! keys, trailing garbage, lists emptied, sets repeated and unsorted, strings escaped).
//!
//! The fast path must give exactly what validation gives, and decline exactly what validation
//! rejects; only a repeated key, which validation reads as its last value, may be declined
//! though valid. `vigil::eval::Evaluator::evaluate_text`, which takes the fast path, must give
//! the records of the JSON tree's path.

// Helpers of a test fail loudly, like the test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;
use vigil::date::Date;
use vigil::eval::{read_valid, validate, Evaluator, InputError, RunConfig};
use vigil::semantic::ir::{Program, RecordId};
use vigil::source::SourceFile;

mod support;
use support::{policy_files, CrateFiles};

// ---------------------------------------------------------------------------------------------
// The inputs
// ---------------------------------------------------------------------------------------------

/// Values put in place of a field or an element: every JSON kind, numbers the schema reads
/// differently (a float for an integer, a whole number too large for one), and strings that
/// are valid for some types of the schema.
fn samples() -> Vec<Json> {
    [
        "null",
        "true",
        "false",
        "0",
        "42",
        "-7",
        "2.5",
        "1.0",
        "18446744073709551615",
        "\"\"",
        "\"x\"",
        "\"2024-05-01\"",
        "\"CN\"",
        "\"cn\"",
        "\"EAR99\"",
        "\"5A001.j\"",
        "\"government\"",
        "\"end_user\"",
        "\"penetration_testing\"",
        "[]",
        "[null]",
        "[\"x\"]",
        "{}",
    ]
    .iter()
    .map(|text| serde_json::from_str(text).unwrap())
    .collect()
}

/// One step of a path into a JSON value.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The path of every value inside `json` (not `json` itself).
fn paths(json: &Json, here: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match json {
        Json::Object(object) => {
            for (key, value) in object {
                here.push(Step::Key(key.clone()));
                out.push(here.clone());
                paths(value, here, out);
                here.pop();
            }
        }
        Json::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                here.push(Step::Index(index));
                out.push(here.clone());
                paths(item, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn at_mut<'a>(json: &'a mut Json, path: &[Step]) -> &'a mut Json {
    path.iter().fold(json, |json, step| match step {
        Step::Key(key) => json.get_mut(key.as_str()).unwrap(),
        Step::Index(index) => json.get_mut(*index).unwrap(),
    })
}

/// Variants of a transaction, each changed in one place.
fn mutations(transaction: &Json) -> Vec<Json> {
    let samples = samples();
    let mut all = Vec::new();
    paths(transaction, &mut Vec::new(), &mut all);
    let mut out = Vec::new();
    for path in &all {
        let Some((last, parent)) = path.split_last() else {
            continue;
        };
        for sample in &samples {
            let mut copy = transaction.clone();
            *at_mut(&mut copy, path) = sample.clone();
            out.push(copy);
        }
        let mut copy = transaction.clone();
        let removed = match (at_mut(&mut copy, parent), last) {
            (Json::Object(object), Step::Key(key)) => object.shift_remove(key).is_some(),
            (Json::Array(items), Step::Index(index)) => {
                items.remove(*index);
                true
            }
            _ => false,
        };
        assert!(removed, "{path:?} in {transaction}");
        out.push(copy);
    }
    for path in std::iter::once(&Vec::new()).chain(&all) {
        let mut copy = transaction.clone();
        match at_mut(&mut copy, path) {
            Json::Object(object) => {
                // An unknown key, and a near miss of a known one.
                let first = object.keys().next().cloned();
                let mut unknown = object.clone();
                unknown.insert("colour".into(), Json::from(1));
                if let Some(key) = first {
                    let value = object.shift_remove(&key).unwrap();
                    object.insert(key.to_uppercase(), value);
                    out.push(copy.clone());
                }
                *at_mut(&mut copy, path) = Json::Object(unknown);
                out.push(copy);
            }
            Json::Array(items) if !items.is_empty() => {
                // Repeated and in reverse order: a set is sorted and without repeats.
                let mut doubled: Vec<Json> = items.iter().rev().cloned().collect();
                doubled.extend(items.iter().cloned());
                *items = doubled;
                out.push(copy);
            }
            _ => {}
        }
    }
    out
}

/// Writes `json` as text; with `escape`, every character of every string and key is written as
/// a `\u` escape; `extra` gives members to put first in the object at a path (repeated keys).
fn write(
    json: &Json,
    escape: bool,
    extra: &dyn Fn(&[Step]) -> Option<String>,
    here: &mut Vec<Step>,
    out: &mut String,
) {
    let string = |s: &str, out: &mut String| {
        if escape {
            out.push('"');
            for unit in s.encode_utf16() {
                out.push_str(&format!("\\u{unit:04x}"));
            }
            out.push('"');
        } else {
            out.push_str(&serde_json::to_string(s).unwrap());
        }
    };
    match json {
        Json::Object(object) => {
            out.push('{');
            let mut first = true;
            if let Some(members) = extra(here) {
                out.push_str(&members);
                first = false;
            }
            for (key, value) in object {
                if !first {
                    out.push(',');
                }
                first = false;
                string(key, out);
                out.push(':');
                here.push(Step::Key(key.clone()));
                write(value, escape, extra, here, out);
                here.pop();
            }
            out.push('}');
        }
        Json::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                here.push(Step::Index(index));
                write(item, escape, extra, here, out);
                here.pop();
            }
            out.push(']');
        }
        Json::String(s) => string(s, out),
        other => out.push_str(&other.to_string()),
    }
}

fn text(json: &Json, escape: bool, extra: &dyn Fn(&[Step]) -> Option<String>) -> String {
    let mut out = String::new();
    write(json, escape, extra, &mut Vec::new(), &mut out);
    out
}

/// Texts of a transaction with a key repeated, in every object: with the same value, and with
/// `null` or `42` before the value kept.
fn repeated_keys(transaction: &Json) -> Vec<String> {
    let mut all = vec![Vec::new()];
    paths(transaction, &mut Vec::new(), &mut all);
    let mut out = Vec::new();
    for path in &all {
        let found = path.iter().fold(transaction, |json, step| match step {
            Step::Key(key) => json.get(key.as_str()).unwrap(),
            Step::Index(index) => json.get(*index).unwrap(),
        });
        let Json::Object(object) = found else {
            continue;
        };
        for (key, value) in object {
            for first in [value.to_string(), "null".into(), "42".into()] {
                let member = format!("{}:{first}", serde_json::to_string(key).unwrap());
                out.push(text(transaction, false, &|here| {
                    (here == path.as_slice()).then(|| member.clone())
                }));
            }
        }
    }
    out
}

/// Texts of a valid transaction broken or changed as text: trailing garbage, cut short,
/// surrounded by white space, each quotation mark in turn dropped or replaced (a key the
/// reader expects must still be quoted on both sides).
fn textual(text: &str) -> Vec<String> {
    let mut out: Vec<String> = [" x", "}", "{}", ",", "]", "null", "\"\"", " 1"]
        .iter()
        .map(|garbage| format!("{text}{garbage}"))
        .collect();
    for (at, _) in text.match_indices('"') {
        for instead in ["", "'", " ", "x"] {
            let mut broken = text.to_string();
            broken.replace_range(at..=at, instead);
            out.push(broken);
        }
    }
    out.push(format!(" \n\t{text}\r\n "));
    let mut cut = text.to_string();
    cut.pop();
    out.push(cut);
    out
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

/// How many texts the fast path read, and how many it declined.
#[derive(Default, Debug)]
struct Tally {
    read: usize,
    declined: usize,
}

/// Reads `text` both ways and checks that they agree: the fast path gives a value only when
/// validation gives that value, and declines only what validation rejects, unless
/// `may_decline`.
fn compare(program: &Program, schema: RecordId, text: &str, may_decline: bool, tally: &mut Tally) {
    let fast = read_valid(program, schema, text.as_bytes());
    let full = serde_json::from_str::<Json>(text)
        .ok()
        .map(|json| validate(program, schema, &json));
    match (&fast, &full) {
        (Some(value), Some(Ok(expected))) => {
            assert_eq!(value, expected, "the fast path misread {text}");
        }
        (Some(value), _) => {
            panic!("the fast path read {value:?} from {text}, which validation gives as {full:?}")
        }
        (None, Some(Ok(_))) if !may_decline => {
            panic!("the fast path declined the valid {text}")
        }
        (None, _) => {}
    }
    if fast.is_some() {
        tally.read += 1;
    } else {
        tally.declined += 1;
    }
}

/// The record and outcome of the JSON tree's path for a text, as `evaluate_text` gave them
/// before it had a fast path.
fn reference(
    evaluator: &Evaluator,
    text: &str,
    as_of: Option<Date>,
    config: RunConfig,
) -> (vigil::eval::DecisionRecord, Option<vigil::eval::Outcome>) {
    match serde_json::from_str::<Json>(text) {
        Ok(json) => evaluator.evaluate_json(&json, as_of, config),
        Err(error) => (
            evaluator.rejected(
                Json::Null,
                vec![InputError::new("", format!("not valid JSON: {error}"))],
            ),
            None,
        ),
    }
}

fn evaluate_both_ways(evaluator: &Evaluator, text: &str) {
    for as_of in [None, Date::parse("2021-03-01")] {
        let config = RunConfig::default();
        assert_eq!(
            evaluator.evaluate_text(text.as_bytes(), as_of, config),
            reference(evaluator, text, as_of, config),
            "{text} as of {as_of:?}"
        );
    }
}

/// The transactions of a generated corpus and of the examples, as JSON and as their own text
/// (the examples' text as written).
fn transactions(evaluator: &Evaluator) -> Vec<(Json, String)> {
    let corpus = vigil::eval::corpus::generate(
        evaluator,
        vigil::eval::corpus::CorpusConfig {
            count: 100,
            seed: 5,
        },
    );
    let mut out: Vec<(Json, String)> = corpus
        .transactions
        .into_iter()
        .map(|json| {
            let text = json.to_string();
            (json, text)
        })
        .collect();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let batch = std::fs::read_to_string(examples.join("batch.jsonl")).unwrap();
    for line in batch.lines() {
        out.push((serde_json::from_str(line).unwrap(), line.to_string()));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&examples)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 4, "the examples are missing: {files:?}");
    for file in files {
        let text = std::fs::read_to_string(file).unwrap();
        out.push((serde_json::from_str(&text).unwrap(), text));
    }
    out
}

#[test]
fn the_fast_path_reads_what_validation_reads() {
    let evaluator = shipped_evaluator();
    let program = evaluator.engine().program();
    let schema = program.schema.unwrap();
    let transactions = transactions(&evaluator);
    let mut plain = Tally::default();
    let mut broken = Tally::default();
    let mut repeated = Tally::default();
    for (transaction, written) in &transactions {
        // Every transaction is valid, and read by the fast path, however it is written.
        assert!(
            validate(program, schema, transaction).is_ok(),
            "{transaction}"
        );
        let none = |_: &[Step]| None;
        for text in [
            written.clone(),
            transaction.to_string(),
            serde_json::to_string_pretty(transaction).unwrap(),
            text(transaction, true, &none),
        ] {
            compare(program, schema, &text, false, &mut plain);
        }
        for variant in mutations(transaction) {
            compare(program, schema, &variant.to_string(), false, &mut broken);
        }
        for text in textual(written) {
            compare(program, schema, &text, false, &mut broken);
        }
        for text in repeated_keys(transaction) {
            compare(program, schema, &text, true, &mut repeated);
        }
    }
    assert_eq!(plain.declined, 0, "{plain:?}");
    assert_eq!(plain.read, 4 * transactions.len());
    assert!(repeated.declined > 100, "{repeated:?}");
    // The variants are both read and declined, in numbers.
    assert!(broken.read > 1000 && broken.declined > 10_000, "{broken:?}");
}

#[test]
fn evaluate_text_gives_the_records_of_the_json_tree() {
    let evaluator = shipped_evaluator();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let batch = std::fs::read_to_string(examples.join("batch.jsonl")).unwrap();
    let mut texts: Vec<String> = Vec::new();
    for line in batch.lines() {
        let transaction: Json = serde_json::from_str(line).unwrap();
        texts.push(line.to_string());
        texts.extend(mutations(&transaction).iter().map(Json::to_string));
        texts.extend(textual(line));
        texts.extend(repeated_keys(&transaction));
    }
    for text in &texts {
        evaluate_both_ways(&evaluator, text);
    }
}

/// A library whose schema's `id` is `id_type`, and whose `date` is optional.
fn small_evaluator(id_type: &str) -> Evaluator {
    let text = format!(
        "schema transaction\n  id: {id_type}\n  date: optional date\n  n: optional integer\nend\n\n\
         decision flagged\n  type bool\n  combine by any\n  default false\nend\n\n\
         policy p\n  rule big\n    when n > 3\n    then flagged is true\n  end\nend\n"
    );
    let (compiled, diagnostics) = vigil::compile(
        vec![SourceFile::new("policy.vigil", text)],
        &mut vigil::semantic::NoFiles,
    );
    let compiled = compiled.unwrap_or_else(|| panic!("{diagnostics:?}"));
    Evaluator::new(compiled, Arc::from("test")).unwrap()
}

#[test]
fn ids_are_echoed_as_the_json_tree_echoes_them() {
    for (id_type, texts) in [
        (
            "string",
            &[
                r#"{"id": "a", "date": "2024-01-01", "n": 5}"#,
                r#"{"id": null, "date": "2024-01-01"}"#,
                r#"{"date": "2024-01-01"}"#,
                // Without a date, the record is rejected with the id as given.
                r#"{"id": "a"}"#,
                r#"{"id": "a", "n": 5}"#,
                r#"{}"#,
            ][..],
        ),
        (
            "optional string default \"none\"",
            &[
                r#"{"id": "a", "date": "2024-01-01"}"#,
                r#"{"date": "2024-01-01"}"#,
                r#"{"id": "a"}"#,
                r#"{"id": null}"#,
                r#"{}"#,
            ][..],
        ),
        (
            "optional integer",
            &[
                r#"{"id": 7, "date": "2024-01-01"}"#,
                r#"{"id": null, "date": "2024-01-01"}"#,
                r#"{"date": "2024-01-01", "n": 4}"#,
                r#"{"id": 7}"#,
            ][..],
        ),
        (
            "optional list of string",
            &[r#"{"id": ["a"], "date": "2024-01-01"}"#, r#"{"id": []}"#][..],
        ),
    ] {
        let evaluator = small_evaluator(id_type);
        for text in texts {
            evaluate_both_ways(&evaluator, text);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The shipped library, read from `policies/` (as `tests/library.rs` reads it)
// ---------------------------------------------------------------------------------------------

fn shipped_evaluator() -> Evaluator {
    let (compiled, diagnostics) = vigil::compile(policy_files(), &mut CrateFiles);
    let compiled = compiled.unwrap_or_else(|| panic!("{diagnostics:?}"));
    Evaluator::new(compiled, Arc::from("test")).unwrap()
}
