//! What a thread remembers between transactions (the engine's `Memo`: a party's names screened
//! against a table, the rows an ECCN finds in a `within` index) must never change an answer.
//! Each transaction here is evaluated on a thread that has evaluated others before it — the
//! same names with other aliases, the same ECCNs on other dates, another engine's lists, more
//! names than the memo holds — and its outcome and record must be those of a thread that has
//! evaluated nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use std::path::Path;

use serde_json::json;
use support::CrateFiles;
use vigil::eval::{Evaluator, RunConfig};
use vigil::source::SourceFile;

fn fixture_policy(fixture: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("{fixture}/policy.vigil")),
    )
    .expect("the fixture's policy")
}

fn evaluator(fixture: &str, text: String) -> Evaluator {
    let policy = format!("{fixture}/policy.vigil");
    let (compiled, diagnostics) =
        vigil::compile(vec![SourceFile::new(policy, text)], &mut CrateFiles);
    let compiled = compiled.unwrap_or_else(|| unreachable!("{diagnostics:?}"));
    Evaluator::new(compiled, std::sync::Arc::from("test")).unwrap()
}

/// The record (as JSON text) and outcome (as debug text) of one evaluation.
fn evaluate(evaluator: &Evaluator, input: &serde_json::Value) -> String {
    let (record, outcome) = evaluator.evaluate_json(input, None, RunConfig::default());
    format!(
        "{}\n{outcome:?}",
        serde_json::to_string(&record).expect("a record serialises")
    )
}

/// Each input evaluated on a thread of its own, which remembers nothing.
fn fresh(evaluator: &Evaluator, inputs: &[serde_json::Value]) -> Vec<String> {
    std::thread::scope(|scope| {
        inputs
            .iter()
            .map(|input| {
                scope
                    .spawn(|| evaluate(evaluator, input))
                    .join()
                    .expect("evaluation does not panic")
            })
            .collect()
    })
}

/// `order` (indexes into `inputs`) evaluated one after the other on one new thread, each
/// compared with its fresh evaluation.
fn check_in_order(evaluator: &Evaluator, inputs: &[serde_json::Value], order: &[usize]) {
    let expected = fresh(evaluator, inputs);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for &at in order {
                assert_eq!(
                    evaluate(evaluator, &inputs[at]),
                    expected[at],
                    "input {at} ({}) after {} others",
                    inputs[at],
                    order.len()
                );
            }
        });
    });
}

/// Every input after every other, in both orders, and twice in a row.
fn every_pair(count: usize) -> Vec<usize> {
    let mut order = Vec::new();
    for a in 0..count {
        for b in 0..count {
            order.extend([a, b, b]);
        }
    }
    order
}

fn party(name: &str, aliases: &[&str], date: &str) -> serde_json::Value {
    json!({
        "id": format!("{name} / {aliases:?} / {date}"), "date": date, "destination": "IL",
        "items": [{"eccn": "EAR99"}],
        "parties": [{"name": name, "aliases": aliases, "kind": "private"}]
    })
}

#[test]
fn a_name_screened_before_gets_the_answer_a_fresh_thread_gets() {
    let evaluator = evaluator(
        "tests/eval/screening",
        fixture_policy("tests/eval/screening"),
    );
    let inputs = [
        // The same name with other aliases, of which one is listed.
        party("Acme Trading", &[], "2024-05-01"),
        party("Acme Trading", &["Saito Tech Ltd."], "2024-05-01"),
        party(
            "Acme Trading",
            &["Saito Tech Ltd.", "Candiru"],
            "2024-05-01",
        ),
        // A listed name before and after its entry is in force (the memo holds the hits; the
        // date decides which count).
        party("NSO Group", &[], "2021-11-03"),
        party("NSO Group", &[], "2024-05-01"),
        // Names that differ only in case or spacing are remembered apart, and screen alike.
        party("Hikvision", &[], "2024-05-01"),
        party("HIKVISION", &[], "2024-05-01"),
        party(" Hikvision ", &[], "2024-05-01"),
        party("Hangzhou Bakery Co., Ltd.", &[], "2024-05-01"),
    ];
    check_in_order(&evaluator, &inputs, &every_pair(inputs.len()));
}

#[test]
fn two_engines_on_one_thread_do_not_share_the_names_screened() {
    // The second engine's list lacks the first's first entry, so that the entries that are
    // left are numbered differently: a hit remembered from one engine would name another
    // entry, or none, in the other.
    let text = fixture_policy("tests/eval/screening");
    let complete = evaluator("tests/eval/screening", text.clone());
    let shorter = text
        .lines()
        .filter(|line| !line.contains("row \"NSO Group\""))
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(shorter, text);
    let shorter = evaluator("tests/eval/screening", shorter);
    let inputs = [
        party("NSO Group", &[], "2024-05-01"),
        party("Hikvision", &[], "2024-05-01"),
        party("Candiru", &[], "2024-05-01"),
    ];
    let (on_complete, on_shorter) = (fresh(&complete, &inputs), fresh(&shorter, &inputs));
    assert_ne!(
        on_complete[0], on_shorter[0],
        "the two lists answer differently"
    );
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..2 {
                for (at, input) in inputs.iter().enumerate() {
                    assert_eq!(evaluate(&complete, input), on_complete[at]);
                    assert_eq!(evaluate(&shorter, input), on_shorter[at]);
                }
            }
        });
    });
}

#[test]
fn more_names_than_the_memo_holds_are_screened_again() {
    let evaluator = evaluator(
        "tests/eval/screening",
        fixture_policy("tests/eval/screening"),
    );
    // Distinct made-up names, with a listed one every seventh: more than the memo's slots, so
    // that names take each other's slots.
    let inputs: Vec<serde_json::Value> = (0..700)
        .map(|i| {
            if i % 7 == 0 {
                party(
                    ["Hikvision", "Candiru", "NSO Group"][i % 3],
                    &[],
                    "2024-05-01",
                )
            } else {
                party(&format!("Trading House {i}"), &[], "2024-05-01")
            }
        })
        .collect();
    let order: Vec<usize> = (0..inputs.len()).chain((0..inputs.len()).rev()).collect();
    check_in_order(&evaluator, &inputs, &order);
}

#[test]
fn an_eccn_found_before_gets_the_answer_a_fresh_thread_gets() {
    // The guards fixture, whose Control List table has a row not in force until 2025-01-01,
    // with rows added for 9A004 that come into force and leave it on other days: the same
    // ECCN, asked on days before, on and after each, finds rows the guard counts on some days
    // and not on others.
    let evaluator = evaluator("tests/eval/guards", dated_rows());
    let inputs: Vec<serde_json::Value> = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/guards/input.jsonl"),
    )
    .unwrap()
    .lines()
    .map(|line| serde_json::from_str(line).unwrap())
    .chain(
        [
            ("6A003.b", "2024-12-31"),
            ("6A003.b", "2025-01-01"),
            ("9A004.a", "2019-12-31"),
            ("9A004.a", "2020-01-01"),
            ("9A004.a", "2021-12-31"),
            ("9A004.a", "2022-01-01"),
            ("9A004.a", "2022-12-31"),
            ("9A004.a", "2023-01-01"),
            ("9A004.a", "2023-12-31"),
            ("9A004.a", "2024-01-01"),
        ]
        .into_iter()
        .map(|(eccn, date)| {
            json!({"id": format!("{eccn} on {date}"), "date": date, "destination": "FR",
                   "items": [{"eccn": eccn}]})
        }),
    )
    .collect();
    let expected = fresh(&evaluator, &inputs);
    // The rule that needs the added rows fires on some of the days and not on others.
    let fired = |at: usize| expected[at].contains("\"rule\":\"bis.example.ns1_items\"");
    assert!((11..19).any(fired) && !(11..19).all(fired));
    check_in_order(&evaluator, &inputs, &every_pair(inputs.len()));
}

/// The guards fixture's policy with rows for 9A004 that come into force and leave it.
fn dated_rows() -> String {
    let text = fixture_policy("tests/eval/guards").replace(
        "    row \"3A001.a\", \"AT1\"\n",
        "    row \"3A001.a\", \"AT1\"\n\
         \x20   row \"9A004\", \"NS1\" effective 2020-01-01 until 2022-01-01\n\
         \x20   row \"9A004.a\", \"NS1\" effective 2024-01-01\n\
         \x20   row \"9A004\", \"AT1\" until 2023-01-01\n",
    );
    assert!(text.contains("9A004.a"));
    text
}

#[test]
fn two_engines_on_one_thread_do_not_share_the_rows_an_eccn_found() {
    // The same table, with and without the rows 9A004.a lies within.
    let with_rows = evaluator("tests/eval/guards", dated_rows());
    let without = evaluator("tests/eval/guards", fixture_policy("tests/eval/guards"));
    let input = json!({"id": "9A004.a", "date": "2021-06-01", "destination": "FR",
                       "items": [{"eccn": "9A004.a"}]});
    let (on_with, on_without) = (
        fresh(&with_rows, std::slice::from_ref(&input)).remove(0),
        fresh(&without, std::slice::from_ref(&input)).remove(0),
    );
    assert_ne!(on_with, on_without, "the two tables answer differently");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for _ in 0..2 {
                assert_eq!(evaluate(&without, &input), on_without);
                assert_eq!(evaluate(&with_rows, &input), on_with);
            }
        });
    });
}
