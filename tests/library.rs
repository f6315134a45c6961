//! Tests of the shipped policy library (`policies/`) as a whole: it checks clean, every rule
//! cites its source and documents it, its scenario tests pass, the batch example gives the
//! decisions `examples/README.md` states, its rules' compiled conditions give exactly what the
//! interpreter gives, its Country Chart and Country Groups agree cell by
//! cell with the eCFR tables in `../shared/data/ear/`, and `vigil eval --data csl=...` screens
//! parties against a Consolidated Screening List, the full one when it is present.
//!
//! The tables are read through the library API (`vigil::compile` and `program.tables`), as an
//! embedder would read them, never from the policy text. Tests that need `../shared/data` print
//! "skipped: ... not found" and return when it is absent.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers of a test fail loudly, like the test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use vigil::date::Date;
use vigil::diagnostic::{render_human, RenderConfig};
use vigil::semantic::ir::{Program, Table, TableRow};
use vigil::semantic::value::Value;

mod support;
use support::{policy_files, CrateFiles};

const EAR_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/ear");
const FULL_CSL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../shared/data/csl/consolidated.json"
);
const SAMPLE_CSL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/csl_sample.json");

/// The Country Chart's columns, in the order of the library's table and of the CSV header.
const CHART_COLUMNS: [(&str, &str); 16] = [
    ("cb1", "CB 1"),
    ("cb2", "CB 2"),
    ("cb3", "CB 3"),
    ("np1", "NP 1"),
    ("np2", "NP 2"),
    ("ns1", "NS 1"),
    ("ns2", "NS 2"),
    ("mt1", "MT 1"),
    ("rs1", "RS 1"),
    ("rs2", "RS 2"),
    ("fc1", "FC 1"),
    ("cc1", "CC 1"),
    ("cc2", "CC 2"),
    ("cc3", "CC 3"),
    ("at1", "AT 1"),
    ("at2", "AT 2"),
];

/// A destination beyond the printed chart: its code, the code of the row it follows, and when
/// it starts on a known day, that day.
type Extra = (&'static str, &'static str, Option<Since>);

/// The day before a row starts and the day it starts.
type Since = (&'static str, &'static str);

/// Destinations the library's chart holds beyond the printed chart. Hong Kong lost its own row
/// on December 23, 2020 (85 FR 83788) and follows China; the Cayman Islands are the chart's own
/// example of a dependent territory that follows its parent's row (738.3(b)).
const CHART_EXTRAS: [Extra; 2] = [
    ("HK", "CN", Some(("2020-12-22", "2020-12-23"))),
    ("KY", "GB", None),
];

/// Memberships the library's Country Groups hold beyond the printed table, as the country, the
/// country whose groups it takes, the day before and the first day: Hong Kong takes China's
/// groups from December 23, 2020 (85 FR 83788).
const GROUP_EXTRAS: [(&str, &str, &str, &str); 1] = [("HK", "CN", "2020-12-22", "2020-12-23")];

// ---------------------------------------------------------------------------------------------
// The library itself
// ---------------------------------------------------------------------------------------------

#[test]
fn the_library_checks_clean_without_warnings() {
    let checked = vigil::check_with(policy_files(), &mut CrateFiles);
    let rendered: Vec<String> = checked
        .diagnostics
        .iter()
        .map(|d| render_human(d, RenderConfig::PLAIN))
        .collect();
    assert!(
        checked.diagnostics.is_empty(),
        "`vigil check policies/` reports:\n{}",
        rendered.join("\n")
    );
    assert!(checked.compiled.is_some());
}

#[test]
fn every_rule_cites_its_source_and_documents_it() {
    let program = library();
    let mut problems = Vec::new();
    for rule in &program.rules {
        if rule.cite.as_deref().map_or(true, |c| c.trim().is_empty()) {
            problems.push(format!("rule `{}` has no citation", rule.name));
        }
        if rule.docs.iter().all(|d| d.trim().is_empty()) {
            problems.push(format!("rule `{}` has no documentation text", rule.name));
        }
    }
    for policy in &program.policies {
        if policy.cite.as_deref().map_or(true, |c| c.trim().is_empty()) {
            problems.push(format!("policy `{}` has no citation", policy.name));
        }
        if policy.docs.iter().all(|d| d.trim().is_empty()) {
            problems.push(format!(
                "policy `{}` has no documentation text",
                policy.name
            ));
        }
    }
    for table in &program.tables {
        if table
            .source
            .as_deref()
            .map_or(true, |s| s.trim().is_empty())
        {
            problems.push(format!("table `{}` names no source", table.name));
        }
    }
    assert!(!program.rules.is_empty());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_chart_row_marks_an_anti_terrorism_column() {
    // bis.ccl has no rule for AT Column 1 or 2 because no row of the chart marks them (the
    // anti-terrorism destinations point to part 746 instead). Should a row ever mark one, the
    // rules must come back.
    let program = library();
    let chart = table(&program, "country_chart");
    for row in &chart.rows {
        for column in ["at1", "at2"] {
            assert_eq!(
                cell(chart, row, column),
                &Value::Bool(false),
                "{} marks {column}: bis.ccl needs a rule for it",
                text(cell(chart, row, "country"))
            );
        }
    }
}

#[test]
fn the_scenario_tests_beside_the_policies_pass() {
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["test", "policies"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "`vigil test policies` failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A corpus that fires every rule the library can fire, the batch example, and the same
/// transactions with every ECCN cut to its head (`5A001.j` to `5A001`): a rule that needs the
/// paragraph is then uncertain, which exercises the expressions noted missing.
fn varied_transactions(evaluator: &vigil::eval::Evaluator) -> Vec<serde_json::Value> {
    let corpus = vigil::eval::corpus::generate(
        evaluator,
        vigil::eval::corpus::CorpusConfig {
            count: 400,
            seed: 11,
        },
    );
    let batch =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/batch.jsonl"))
            .unwrap();
    let mut transactions = corpus.transactions;
    transactions.extend(
        batch
            .lines()
            .map(|line| serde_json::from_str(line).unwrap()),
    );
    let truncated: Vec<serde_json::Value> = transactions
        .iter()
        .filter_map(|transaction| {
            let mut copy = transaction.clone();
            let mut changed = false;
            for item in copy.get_mut("items")?.as_array_mut()? {
                if let Some(serde_json::Value::String(eccn)) = item.get_mut("eccn") {
                    if eccn.len() > 5 {
                        eccn.truncate(5);
                        changed = true;
                    }
                }
            }
            changed.then_some(copy)
        })
        .collect();
    transactions.extend(truncated);
    transactions
}

/// The engine evaluates each rule's `when` and `unless` through closures compiled when it is
/// built, and the interpreter stays the reference (coverage runs use it). Over a corpus that
/// fires every rule the library can fire, plus the batch example, both must give the same
/// outcome: decisions, every rule's result, the expressions noted missing, screening hits, and
/// with "why not" the first failing condition and its values.
#[test]
fn compiled_conditions_give_what_the_interpreter_gives() {
    use vigil::eval::{Evaluator, RunConfig};
    let (compiled, _) = vigil::compile(policy_files(), &mut CrateFiles);
    let evaluator = Evaluator::new(compiled.unwrap(), std::sync::Arc::from("test")).unwrap();
    let transactions = varied_transactions(&evaluator);
    let mut compared = 0;
    for why_not in [false, true] {
        let fast = RunConfig {
            why_not,
            bindings: why_not,
            ..RunConfig::default()
        };
        let reference = RunConfig {
            reference: true,
            ..fast
        };
        for transaction in &transactions {
            let (record, outcome) = evaluator.evaluate_json(transaction, None, fast);
            let (reference_record, reference_outcome) =
                evaluator.evaluate_json(transaction, None, reference);
            assert_eq!(outcome, reference_outcome, "outcome of {transaction}");
            assert_eq!(record, reference_record, "record of {transaction}");
            compared += usize::from(outcome.is_some());
        }
    }
    assert!(
        compared > 600,
        "only {compared} transactions were evaluated"
    );
}

/// Batch output is serialised straight from the outcome (`Evaluator::json` through serde,
/// `Evaluator::write_jsonl` by hand) rather than from a built `DecisionRecord`; all must give
/// the same bytes, compact and pretty, for decided and rejected inputs alike. (A rule that adds to one list twice is in the `combine` fixture
/// of `tests/eval/`, whose JSON output goes the same way.)
#[test]
fn records_serialise_as_their_views() {
    use vigil::eval::{Evaluation, Evaluator, RunConfig};
    let (compiled, _) = vigil::compile(policy_files(), &mut CrateFiles);
    let evaluator = Evaluator::new(compiled.unwrap(), std::sync::Arc::from("test")).unwrap();
    let mut transactions = varied_transactions(&evaluator);
    // Rejected inputs: a required field removed, a wrong type.
    let rejected: Vec<serde_json::Value> = transactions
        .iter()
        .take(20)
        .map(|transaction| {
            let mut copy = transaction.clone();
            copy.as_object_mut().unwrap().remove("destination");
            copy["date"] = serde_json::json!(17);
            copy
        })
        .collect();
    transactions.extend(rejected);
    // Party names that JSON must escape (quoted in `because` sentences, which are copied as
    // they are when nothing in them needs escaping).
    let escaped: Vec<serde_json::Value> = transactions
        .iter()
        .take(80)
        .filter_map(|transaction| {
            let mut copy = transaction.clone();
            for party in copy.get_mut("parties")?.as_array_mut()? {
                if let Some(serde_json::Value::String(name)) = party.get_mut("name") {
                    name.push_str(" \"Q\" back\\slash\nnew\tline\u{1}");
                }
            }
            Some(copy)
        })
        .collect();
    transactions.extend(escaped);
    let mut quoted_escapes = 0;
    let (mut decided, mut overridden, mut indeterminate, mut matched) = (0, 0, 0, 0);
    for transaction in &transactions {
        let evaluation = evaluator.evaluate_value(transaction, None, RunConfig::default());
        let compact = serde_json::to_string(&evaluator.json(&evaluation)).unwrap();
        let pretty = serde_json::to_string_pretty(&evaluator.json(&evaluation)).unwrap();
        let mut line = Vec::new();
        evaluator.write_jsonl(&evaluation, &mut line).unwrap();
        decided += usize::from(matches!(evaluation, Evaluation::Decided { .. }));
        let (record, _) = evaluator.into_record(evaluation);
        assert_eq!(compact, serde_json::to_string(&record).unwrap());
        let line = String::from_utf8(line).unwrap();
        quoted_escapes += usize::from(line.contains(r#"\"Q\" back\\slash\nnew\tline\u0001"#));
        assert_eq!(line, compact);
        assert_eq!(pretty, serde_json::to_string_pretty(&record).unwrap());
        overridden += usize::from(!record.overridden.is_empty());
        indeterminate += usize::from(!record.indeterminate.is_empty());
        matched += usize::from(!record.matches.is_empty());
    }
    assert!(decided > 400, "only {decided} transactions were decided");
    assert!(
        quoted_escapes > 0,
        "no sentence quotes a name that needs escaping"
    );
    assert!(decided < transactions.len(), "no transaction was rejected");
    assert!(
        overridden > 0 && indeterminate > 0 && matched > 0,
        "the corpus misses a part of the record: {overridden} overridden, \
         {indeterminate} indeterminate, {matched} with screening hits"
    );
}

#[test]
fn the_batch_example_gives_the_decisions_its_readme_states() {
    // examples/README.md describes each line; the `.json` examples are tests in policies/.
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval", "--policy", "policies", "--format", "jsonl"])
        .arg("examples/batch.jsonl")
        .output()
        .unwrap();
    assert!(output.status.success());
    let records: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let expected = [
        ("batch-1", "required", "case_by_case", "clear", false),
        ("batch-2", "not_required", "", "clear", false),
        ("batch-3", "indeterminate", "", "clear", false),
        ("batch-4", "not_required", "", "clear", true),
        (
            "batch-5",
            "required",
            "presumption_of_denial",
            "match",
            false,
        ),
        ("batch-6", "indeterminate", "", "clear", false),
    ];
    assert_eq!(records.len(), expected.len());
    for (id, license, review, screening, ace) in expected {
        let record = record(&records, id);
        assert_eq!(decision(record, "license"), license, "{id}");
        let review = if review.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::json!(review)
        };
        assert_eq!(decision(record, "review_policy"), review, "{id}");
        assert_eq!(decision(record, "screening"), screening, "{id}");
        let exceptions = if ace {
            serde_json::json!(["ACE"])
        } else {
            serde_json::json!([])
        };
        assert_eq!(decision(record, "license_exceptions"), exceptions, "{id}");
    }
}

// ---------------------------------------------------------------------------------------------
// The Country Chart and the Country Groups against the eCFR tables
// ---------------------------------------------------------------------------------------------

#[test]
fn the_country_chart_matches_the_ecfr_cell_by_cell() {
    let Some(csv) = read_shared(&format!("{EAR_DATA}/country_chart.csv")) else {
        return;
    };
    let program = library();
    let chart = table(&program, "country_chart");
    let as_of = chart.as_of.expect("the Country Chart states its date");
    check_date_against_notes(as_of);

    let printed = parse_csv(&csv);
    let library_rows: BTreeMap<String, &TableRow> = chart
        .rows_in_force(as_of)
        .map(|row| (text(cell(chart, row, "country")), row))
        .collect();
    let mut differences = Vec::new();
    let mut printed_codes = BTreeSet::new();
    for record in &printed {
        let code = field(record, "iso2");
        printed_codes.insert(code.to_string());
        let Some(row) = library_rows.get(code) else {
            differences.push(format!("{code}: the library has no row"));
            continue;
        };
        let name = text(cell(chart, row, "name"));
        if name != field(record, "country") {
            differences.push(format!(
                "{code}: name `{name}`, the chart says `{}`",
                field(record, "country")
            ));
        }
        for (column, heading) in CHART_COLUMNS {
            let expected = Value::Bool(field(record, heading) == "X");
            let actual = cell(chart, row, column);
            if *actual != expected {
                differences.push(format!(
                    "{code} {heading}: the library has {}, the chart {}",
                    mark(actual),
                    mark(&expected)
                ));
            }
        }
        let expected_notes: BTreeSet<i64> = field(record, "footnotes")
            .split(';')
            .filter(|n| !n.trim().is_empty())
            .map(|n| n.trim().parse().unwrap())
            .collect();
        let actual_notes = integers(cell(chart, row, "footnotes"));
        if actual_notes != expected_notes {
            differences.push(format!(
                "{code} footnotes: the library has {actual_notes:?}, the chart {expected_notes:?}"
            ));
        }
    }

    // The embargoed rows point to part 746 instead of carrying marks.
    let embargoed = table(&program, "embargoed_destinations");
    let pointers: BTreeMap<String, String> = embargoed
        .rows_in_force(as_of)
        .map(|row| {
            (
                text(cell(embargoed, row, "country")),
                text(cell(embargoed, row, "pointer")),
            )
        })
        .collect();
    let printed_pointers: BTreeMap<String, String> = printed
        .iter()
        .filter(|r| !field(r, "embargo_pointer").is_empty())
        .map(|r| {
            (
                field(r, "iso2").to_string(),
                field(r, "embargo_pointer").to_string(),
            )
        })
        .collect();
    if pointers != printed_pointers {
        differences.push(format!(
            "embargoed rows: the library has {pointers:?}, the chart {printed_pointers:?}"
        ));
    }

    // Rows beyond the printed chart are the documented extras, repeating the row they follow.
    let extras: BTreeMap<&str, (&str, Option<Since>)> = CHART_EXTRAS
        .iter()
        .map(|(code, parent, since)| (*code, (*parent, *since)))
        .collect();
    for (code, row) in &library_rows {
        if printed_codes.contains(code) {
            continue;
        }
        let Some((parent, since)) = extras.get(code.as_str()) else {
            differences.push(format!("{code}: a row the chart does not print"));
            continue;
        };
        let parent_row = library_rows.get(*parent).expect("the parent row exists");
        for (column, heading) in CHART_COLUMNS
            .iter()
            .map(|(c, h)| (*c, *h))
            .chain([("footnotes", "footnotes")])
        {
            if cell(chart, row, column) != cell(chart, parent_row, column) {
                differences.push(format!(
                    "{code} {heading}: differs from the row of {parent}"
                ));
            }
        }
        if let Some((day_before, since)) = since {
            let (day_before, since) = (
                Date::parse(day_before).unwrap(),
                Date::parse(since).unwrap(),
            );
            let in_force = |date| {
                chart
                    .rows_in_force(date)
                    .any(|r| text(cell(chart, r, "country")) == *code)
            };
            if in_force(day_before) || !in_force(since) {
                differences.push(format!("{code}: the row must be in force from {since}"));
            }
        }
    }
    for code in extras.keys() {
        if !library_rows.contains_key(*code) {
            differences.push(format!("{code}: the documented extra row is missing"));
        }
    }
    assert!(
        differences.is_empty(),
        "the Country Chart differs from {EAR_DATA}/country_chart.csv:\n{}",
        differences.join("\n")
    );
}

#[test]
fn the_country_groups_match_the_ecfr() {
    let Some(csv) = read_shared(&format!("{EAR_DATA}/country_groups.csv")) else {
        return;
    };
    let program = library();
    let groups = table(&program, "country_groups");
    let as_of = groups.as_of.expect("the Country Groups state their date");
    check_date_against_notes(as_of);

    let printed: BTreeSet<(String, String)> = parse_csv(&csv)
        .iter()
        .map(|r| (field(r, "group").to_string(), field(r, "iso2").to_string()))
        .collect();
    let memberships = |date: Date| -> BTreeSet<(String, String)> {
        groups
            .rows_in_force(date)
            .map(|row| {
                (
                    text(cell(groups, row, "group")),
                    text(cell(groups, row, "country")),
                )
            })
            .collect()
    };
    let library_now = memberships(as_of);
    let mut differences = Vec::new();
    for (code, parent, day_before, since) in GROUP_EXTRAS {
        let of = |set: &BTreeSet<(String, String)>, country: &str| -> BTreeSet<String> {
            set.iter()
                .filter(|(_, c)| c == country)
                .map(|(g, _)| g.clone())
                .collect()
        };
        let extra = of(&library_now, code);
        let parents = of(&printed, parent);
        if extra != parents {
            differences.push(format!(
                "{code} has groups {extra:?}, but {parent}, the country it follows, has {parents:?}"
            ));
        }
        let since = Date::parse(since).unwrap();
        let before = of(&memberships(Date::parse(day_before).unwrap()), code);
        if !before.is_empty() || of(&memberships(since), code) != extra {
            differences.push(format!("{code}: its groups must start on {since}"));
        }
    }
    let extras: BTreeSet<&str> = GROUP_EXTRAS.iter().map(|(code, ..)| *code).collect();
    for membership in library_now.difference(&printed) {
        if !extras.contains(membership.1.as_str()) {
            differences.push(format!(
                "{} in {}: not in the printed table",
                membership.1, membership.0
            ));
        }
    }
    for membership in printed.difference(&library_now) {
        differences.push(format!(
            "{} in {}: missing from the library",
            membership.1, membership.0
        ));
    }
    assert!(
        differences.is_empty(),
        "the Country Groups differ from {EAR_DATA}/country_groups.csv:\n{}",
        differences.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Restricted-party screening with `vigil eval --data csl=...`
// ---------------------------------------------------------------------------------------------

#[test]
fn the_sample_list_matches_an_alias_and_a_reordered_name_and_clears_the_rest() {
    let records = eval_with_csl(
        SAMPLE_CSL,
        &[
            transaction("alias", "FI", "Luminor Logistics", "FI"),
            transaction("reordered", "KZ", "Bank of Kunlun", "CN"),
            transaction("policy", "KZ", "VSMPO Avisma Corporation", "RU"),
            transaction("clear", "DE", "Bavarian Garden Tools GmbH", "DE"),
        ],
    );
    let alias = record(&records, "alias");
    assert_eq!(decision(alias, "screening"), "match");
    assert_eq!(decision(alias, "license"), "required");
    assert_eq!(decision(alias, "review_policy"), "presumption_of_denial");
    assert_eq!(decision(alias, "license_exceptions"), serde_json::json!([]));
    assert_listed(alias, "Luminor Oy", Some("Luminor Logistics"));
    assert_fired(alias, "bis.entity_list.csl_entity_list");
    assert_fired(alias, "bis.entity_list.csl_review_policy");

    // A Treasury list reports the match; it sets no BIS license requirement.
    let reordered = record(&records, "reordered");
    assert_eq!(decision(reordered, "screening"), "match");
    assert_eq!(decision(reordered, "license"), "not_required");
    assert_listed(reordered, "BANK OF KUNLUN CO LTD", None);
    assert_fired(reordered, "bis.entity_list.csl_match");

    let policy = record(&records, "policy");
    assert_eq!(decision(policy, "screening"), "match");
    assert_eq!(decision(policy, "review_policy"), "policy_of_denial");
    assert_listed(policy, "VSMPO-AVISMA Corporation PJSC", None);

    let clear = record(&records, "clear");
    assert_eq!(decision(clear, "screening"), "clear");
    assert_eq!(decision(clear, "license"), "not_required");
    assert_eq!(clear["matches"], serde_json::json!([]));
}

#[test]
fn the_full_consolidated_screening_list_matches_an_alias_and_a_reordered_name() {
    if !Path::new(FULL_CSL).exists() {
        println!("skipped: {FULL_CSL} not found");
        return;
    }
    let records = eval_with_csl(
        FULL_CSL,
        &[
            transaction("alias", "FI", "Luminor Logistics", "FI"),
            transaction(
                "reordered",
                "MM",
                "Myanmar Telecom International Company Limited",
                "MM",
            ),
            transaction("clear", "DE", "Bavarian Garden Tools GmbH", "DE"),
        ],
    );
    let alias = record(&records, "alias");
    assert_eq!(decision(alias, "screening"), "match");
    assert_eq!(decision(alias, "license"), "required");
    assert_eq!(decision(alias, "review_policy"), "presumption_of_denial");
    assert_listed(alias, "Luminor Oy", Some("Luminor Logistics"));

    let reordered = record(&records, "reordered");
    assert_eq!(decision(reordered, "screening"), "match");
    assert_eq!(decision(reordered, "license"), "required");
    assert_listed(
        reordered,
        "Telecom International Myanmar Company Limited",
        None,
    );

    let clear = record(&records, "clear");
    assert_eq!(decision(clear, "screening"), "clear");
    assert_eq!(decision(clear, "license"), "not_required");
    assert_eq!(clear["matches"], serde_json::json!([]));
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The compiled library.
fn library() -> Program {
    let (compiled, diagnostics) = vigil::compile(policy_files(), &mut CrateFiles);
    let rendered: Vec<String> = diagnostics
        .iter()
        .map(|d| render_human(d, RenderConfig::PLAIN))
        .collect();
    compiled
        .unwrap_or_else(|| panic!("policies/ does not compile:\n{}", rendered.join("\n")))
        .program
}

fn table<'p>(program: &'p Program, name: &str) -> &'p Table {
    program
        .tables
        .iter()
        .find(|t| &*t.name == name)
        .unwrap_or_else(|| panic!("the library has no table `{name}`"))
}

fn cell<'r>(table: &Table, row: &'r TableRow, column: &str) -> &'r Value {
    let index = table
        .column_index(column)
        .unwrap_or_else(|| panic!("table `{}` has no column `{column}`", table.name));
    row.cells.get(usize::from(index)).unwrap()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.to_string(),
        Value::Country(c) => c.as_str().to_string(),
        other => panic!("expected text, found {other:?}"),
    }
}

fn integers(value: &Value) -> BTreeSet<i64> {
    match value {
        Value::List(items) => items
            .iter()
            .map(|item| match item {
                Value::Integer(n) => *n,
                other => panic!("expected a footnote number, found {other:?}"),
            })
            .collect(),
        other => panic!("expected a list of footnotes, found {other:?}"),
    }
}

fn mark(value: &Value) -> &'static str {
    if *value == Value::Bool(true) {
        "X"
    } else {
        "no X"
    }
}

/// A file under `../shared/data`, or `None` (after saying so) when it is absent.
fn read_shared(path: &str) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(_) => {
            println!("skipped: {path} not found");
            None
        }
    }
}

/// The library's tables must state the eCFR issue their reference data was taken from.
fn check_date_against_notes(as_of: Date) {
    let Some(notes) = read_shared(&format!("{EAR_DATA}/country_chart_notes.json")) else {
        return;
    };
    let notes: serde_json::Value = serde_json::from_str(&notes).unwrap();
    let issue = notes["ecfr_issue_date"].as_str().unwrap();
    assert_eq!(
        Some(as_of),
        Date::parse(issue),
        "the table's `as of` is not the eCFR issue of the reference data"
    );
}

/// Comma-separated values with a header line; fields may be quoted with `"`.
fn parse_csv(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = split_csv_line(lines.next().unwrap());
    lines
        .map(|line| {
            let fields = split_csv_line(line);
            assert_eq!(fields.len(), header.len(), "malformed line: {line}");
            header.iter().cloned().zip(fields).collect()
        })
        .collect()
}

fn split_csv_line(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    fields.push(current);
    fields
}

fn field<'r>(record: &'r BTreeMap<String, String>, name: &str) -> &'r str {
    record
        .get(name)
        .unwrap_or_else(|| panic!("the file has no column `{name}`"))
}

/// An EAR99 export to one party, in the screening contract's JSON.
fn transaction(id: &str, destination: &str, party: &str, country: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id, "date": "2026-08-03", "destination": destination,
        "items": [{"id": "1", "description": "Office furniture", "eccn": "EAR99"}],
        "parties": [{"name": party, "role": "end_user", "country": country, "kind": "private"}],
        "findings": []
    })
}

/// Runs `vigil eval --policy policies --data csl=LIST --format json -` on the transactions.
fn eval_with_csl(list: &str, transactions: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["eval", "--policy", "policies", "--format", "json", "--data"])
        .arg(format!("csl={list}"))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_string(transactions).unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "vigil eval failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn record<'r>(records: &'r [serde_json::Value], id: &str) -> &'r serde_json::Value {
    records
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no record for `{id}`"))
}

fn decision(record: &serde_json::Value, name: &str) -> serde_json::Value {
    record["decisions"][name].clone()
}

fn assert_listed(record: &serde_json::Value, listed_name: &str, alias: Option<&str>) {
    let matches = record["matches"].as_array().unwrap();
    assert!(
        matches
            .iter()
            .any(|m| m["listed_name"] == listed_name && alias.map_or(true, |a| m["alias"] == a)),
        "`{listed_name}` (alias {alias:?}) is not among the matches of `{}`: {matches:#?}",
        record["id"]
    );
}

fn assert_fired(record: &serde_json::Value, rule: &str) {
    let fired = record["fired"].as_array().unwrap();
    assert!(
        fired.iter().any(|f| f["rule"] == rule),
        "`{rule}` did not fire for `{}`: {fired:#?}",
        record["id"]
    );
}
