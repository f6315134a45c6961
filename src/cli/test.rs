//! `vigil test`: run the test cases written beside the policies, report them for people, for
//! programs (JSON) or for CI systems (JUnit XML), and measure how much of the library they
//! cover.

use std::path::PathBuf;
use std::time::Instant;

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{json, Value as Json};
use vigil::eval::coverage::{Coverage, CoverageTally, FileCoverage};
use vigil::eval::testing::{run_test, Failure, TestResult};
use vigil::eval::{DecisionRecord, RunConfig};
use vigil::semantic::ir::{OutcomeOp, Program, Test};
use vigil::semantic::Loader;

use super::junit::{self, Case, Problem, ProblemKind, Suite};
use super::{files, library, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Run every test case of a policy library. A test states a transaction and the decisions and fired
rules it expects (`test \"...\" given {...} expect license is required ... end`). A failure shows
what was expected against what was decided, what happened to the rules involved, and which rules
fired.

`--coverage` adds rule coverage (the rules no test fires) and condition coverage (the conditions
of `when` and `unless` that no test saw true, or none saw false), per file. `--min-coverage N`
fails the run when fewer than N% of the rules fire in some test.

Exit status: 0 when every test passes (and coverage reaches `--min-coverage`); 1 when a test fails
or coverage is too low; 2 when the policies do not compile.

Examples:
    vigil test policies/
    vigil test policies/ --filter \"entity list\"
    vigil test policies/ --format junit > vigil-tests.xml
    vigil test policies/ --coverage --min-coverage 95";

/// How the results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TestFormat {
    /// For people: each failure with expected and actual values.
    Human,
    /// One JSON document with every test, its failures and, with `--coverage`, the coverage.
    Json,
    /// JUnit XML for CI systems: one suite per policy file.
    Junit,
}

/// Run the tests written beside the policies.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct TestArgs {
    /// Policy files or directories [default: `policies/` if it exists, else the current
    /// directory]
    pub paths: Vec<PathBuf>,

    /// Run only the tests whose name contains this text
    #[arg(long)]
    pub filter: Option<String>,

    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: TestFormat,

    /// Report rule coverage and condition coverage, per file
    #[arg(long)]
    pub coverage: bool,

    /// Fail (exit 1) when fewer than N% of the rules fire in some test
    #[arg(long, value_name = "N", value_parser = parse_percent)]
    pub min_coverage: Option<f64>,
}

fn parse_percent(text: &str) -> Result<f64, String> {
    match text.trim_end_matches('%').parse::<f64>() {
        Ok(value) if (0.0..=100.0).contains(&value) => Ok(value),
        _ => Err(format!("`{text}` is not a percentage from 0 to 100")),
    }
}

/// One test's result, with how long it took.
struct Ran {
    index: usize,
    result: TestResult,
    seconds: f64,
}

pub fn run(args: &TestArgs) -> u8 {
    let paths = files::paths_or_default(&args.paths);
    let Some(evaluator) = library::compile_paths(&paths, &[]).and_then(library::evaluator) else {
        return EXIT_USAGE;
    };
    let program = evaluator.engine().program();
    let measure_coverage = args.coverage || args.min_coverage.is_some();
    let config = RunConfig {
        coverage: measure_coverage,
        ..RunConfig::default()
    };
    let selected: Vec<usize> = program
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| args.filter.as_deref().map_or(true, |f| t.name.contains(f)))
        .map(|(i, _)| i)
        .collect();
    let ran: Vec<Ran> = selected
        .par_iter()
        .filter_map(|&index| {
            let test = program.tests.get(index)?;
            let mut read = |path: &str| {
                files::FileLoader::default()
                    .data_file(path)
                    .unwrap_or_else(|| Err("not found".into()))
                    .map(|f| f.text.to_string())
            };
            let started = Instant::now();
            let result = run_test(&evaluator, test, &mut read, config);
            Some(Ran {
                index,
                result,
                seconds: started.elapsed().as_secs_f64(),
            })
        })
        .collect();
    let coverage = measure_coverage.then(|| {
        let mut tally = CoverageTally::new(program);
        for outcome in ran.iter().filter_map(|r| r.result.outcome.as_ref()) {
            tally.add(outcome);
        }
        tally.report(program)
    });
    let failed = ran.iter().filter(|r| !r.result.passed()).count();
    let text = match args.format {
        TestFormat::Human => human(program, &ran, coverage.as_ref(), args.coverage),
        TestFormat::Json => json_report(program, &ran, coverage.as_ref().filter(|_| args.coverage)),
        TestFormat::Junit => junit::render(&suites(program, &ran)),
    };
    print!("{text}");
    let mut status = if failed > 0 { EXIT_FAILURE } else { EXIT_OK };
    if let (Some(minimum), Some(coverage)) = (args.min_coverage, &coverage) {
        if coverage.total.rule_percent < minimum {
            eprintln!(
                "error: rule coverage is {}%, below the minimum of {minimum}% ({} of {} rules fire in some test)",
                coverage.total.rule_percent, coverage.total.rules_fired, coverage.total.rules
            );
            status = EXIT_FAILURE;
        }
    }
    status
}

/// The report for people: each failing test with its failures and the rules that fired, the
/// coverage when asked, and the closing line `N passed, M failed`.
fn human(
    program: &Program,
    ran: &[Ran],
    coverage: Option<&Coverage>,
    show_coverage: bool,
) -> String {
    let mut out = String::new();
    let mut failed = 0;
    for r in ran {
        let Some(test) = program.tests.get(r.index) else {
            continue;
        };
        if r.result.passed() {
            continue;
        }
        failed += 1;
        let at = vigil::eval::location(program, test.location);
        out.push_str(&format!("FAIL {} ({at})\n", test.name));
        for failure in &r.result.failures {
            out.push_str(&format!("{}\n", describe(program, failure)));
        }
        for line in actual_rules(r.result.record.as_ref()) {
            out.push_str(&format!("  {line}\n"));
        }
        out.push('\n');
    }
    if let Some(coverage) = coverage.filter(|_| show_coverage) {
        out.push_str(&human_coverage(coverage));
        out.push('\n');
    }
    let passed = ran.len() - failed;
    out.push_str(&format!("{passed} passed, {failed} failed\n"));
    out
}

/// What happened on the actual side: the rules that fired, were overridden, or lacked
/// information.
fn actual_rules(record: Option<&DecisionRecord>) -> Vec<String> {
    let Some(record) = record else {
        return Vec::new();
    };
    if !record.errors.is_empty() {
        return Vec::new();
    }
    let mut lines = Vec::new();
    if record.fired.is_empty() {
        lines.push("fired: no rule".to_string());
    } else {
        let names: Vec<&str> = record.fired.iter().map(|f| &*f.rule).collect();
        lines.push(format!("fired: {}", names.join(", ")));
    }
    for o in &record.overridden {
        lines.push(format!("overridden: {} (by {})", o.rule, o.by));
    }
    for i in &record.indeterminate {
        lines.push(format!(
            "indeterminate: {} ({})",
            i.rule,
            i.missing.join("; ")
        ));
    }
    lines
}

fn human_coverage(coverage: &Coverage) -> String {
    let mut out = String::from("coverage\n");
    for file in &coverage.files {
        out.push_str(&format!(
            "  {}: rules {}/{} ({}%), conditions {}/{} ({}%)\n",
            file.file,
            file.rules_fired,
            file.rules,
            file.rule_percent,
            file.condition_outcomes_seen,
            2 * file.conditions,
            file.condition_percent
        ));
        out.push_str(&file_gaps(file));
    }
    let total = &coverage.total;
    out.push_str(&format!(
        "  total: rules {}/{} ({}%), conditions {}/{} ({}%)\n",
        total.rules_fired,
        total.rules,
        total.rule_percent,
        total.condition_outcomes_seen,
        2 * total.conditions,
        total.condition_percent
    ));
    out
}

fn file_gaps(file: &FileCoverage) -> String {
    let mut out = String::new();
    for gap in &file.unfired {
        out.push_str(&format!("    no test fires {} ({})\n", gap.rule, gap.at));
    }
    for gap in &file.condition_gaps {
        let never = match (gap.never_true, gap.never_false) {
            (true, true) => "never evaluated",
            (true, false) => "never true",
            _ => "never false",
        };
        out.push_str(&format!(
            "    {never}: `{}` in {} ({})\n",
            shortened(&gap.condition),
            gap.rule,
            gap.at
        ));
    }
    out
}

/// A long condition cut to its first 80 characters: the location leads to the rest.
fn shortened(text: &str) -> String {
    const KEEP: usize = 80;
    match text.char_indices().nth(KEEP) {
        Some((cut, _)) => format!("{} ...", text.get(..cut).unwrap_or(text).trim_end()),
        None => text.to_string(),
    }
}

fn describe(program: &Program, failure: &Failure) -> String {
    match failure {
        Failure::Given { message } => format!("  the transaction: {message}"),
        Failure::Decision {
            decision,
            op,
            expected,
            actual,
            location,
        } => format!(
            "  expected {decision} {} {expected}, but it is {actual}  ({})",
            verb(*op),
            vigil::eval::location(program, *location)
        ),
        Failure::Rule {
            rule,
            expected_fire,
            result,
            location,
        } => {
            let expected = if *expected_fire {
                "to fire"
            } else {
                "not to fire"
            };
            format!(
                "  expected rule {rule} {expected}, but {result}  ({})",
                vigil::eval::location(program, *location)
            )
        }
        Failure::Rejected { expected: true, .. } => {
            "  expected the transaction to be rejected, but it was accepted".to_string()
        }
        Failure::Rejected {
            expected: false,
            errors,
            ..
        } => format!("  the transaction was rejected: {}", errors.join("; ")),
    }
}

fn verb(op: OutcomeOp) -> &'static str {
    match op {
        OutcomeOp::Set => "is",
        OutcomeOp::Include => "includes",
    }
}

/// The file a test is written in.
fn test_file(program: &Program, test: &Test) -> String {
    program
        .file(test.location.file)
        .map_or_else(String::new, |f| f.name.to_string())
}

/// The JSON report: every test with its status and failures, the counts, and the coverage.
fn json_report(program: &Program, ran: &[Ran], coverage: Option<&Coverage>) -> String {
    let tests: Vec<Json> = ran
        .iter()
        .filter_map(|r| {
            let test = program.tests.get(r.index)?;
            let policy = test
                .policy
                .and_then(|p| program.policies.get(p.index()))
                .map(|p| p.name.to_string());
            let failures: Vec<Json> = r
                .result
                .failures
                .iter()
                .map(|f| failure_json(program, f))
                .collect();
            let fired: Vec<&str> = r
                .result
                .record
                .as_ref()
                .map(|rec| rec.fired.iter().map(|f| &*f.rule).collect())
                .unwrap_or_default();
            Some(json!({
                "name": &*test.name,
                "policy": policy,
                "file": test_file(program, test),
                "at": vigil::eval::location(program, test.location),
                "status": if r.result.passed() { "passed" } else { "failed" },
                "failures": failures,
                "fired": fired,
            }))
        })
        .collect();
    let failed = ran.iter().filter(|r| !r.result.passed()).count();
    let mut report = json!({
        "tests": tests,
        "passed": ran.len() - failed,
        "failed": failed,
    });
    if let (Some(coverage), Some(object)) = (coverage, report.as_object_mut()) {
        object.insert(
            "coverage".into(),
            serde_json::to_value(coverage).unwrap_or(Json::Null),
        );
    }
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

fn failure_json(program: &Program, failure: &Failure) -> Json {
    match failure {
        Failure::Given { message } => json!({"kind": "given", "message": message}),
        Failure::Decision {
            decision,
            op,
            expected,
            actual,
            location,
        } => json!({
            "kind": "decision",
            "decision": decision,
            "op": verb(*op),
            "expected": expected,
            "actual": actual,
            "at": vigil::eval::location(program, *location),
        }),
        Failure::Rule {
            rule,
            expected_fire,
            result,
            location,
        } => json!({
            "kind": "rule",
            "rule": rule,
            "expected": if *expected_fire { "fires" } else { "does not fire" },
            "actual": result,
            "at": vigil::eval::location(program, *location),
        }),
        Failure::Rejected {
            expected,
            errors,
            location,
        } => json!({
            "kind": "rejected",
            "expected": expected,
            "errors": errors,
            "at": location.map(|l| vigil::eval::location(program, l)),
        }),
    }
}

/// The JUnit suites: one per policy file, in the order of the files, tests in source order.
fn suites(program: &Program, ran: &[Ran]) -> Vec<Suite> {
    let mut suites: Vec<Suite> = Vec::new();
    for r in ran {
        let Some(test) = program.tests.get(r.index) else {
            continue;
        };
        let file = test_file(program, test);
        let classname = test
            .policy
            .and_then(|p| program.policies.get(p.index()))
            .map_or_else(|| file.clone(), |p| p.name.to_string());
        let problem = (!r.result.passed()).then(|| problem(program, &r.result));
        let case = Case {
            classname,
            name: test.name.to_string(),
            seconds: r.seconds,
            problem,
        };
        match suites.iter_mut().find(|s| s.name == file) {
            Some(suite) => suite.cases.push(case),
            None => suites.push(Suite {
                name: file,
                cases: vec![case],
            }),
        }
    }
    suites
}

fn problem(program: &Program, result: &TestResult) -> Problem {
    let kind = if result
        .failures
        .iter()
        .any(|f| matches!(f, Failure::Given { .. }))
    {
        ProblemKind::Error
    } else {
        ProblemKind::Failure
    };
    let lines: Vec<String> = result
        .failures
        .iter()
        .map(|f| describe(program, f).trim().to_string())
        .collect();
    let message = match lines.len() {
        0 => String::new(),
        1 => lines.concat(),
        n => format!(
            "{} (and {} more)",
            lines.first().map_or("", String::as_str),
            n - 1
        ),
    };
    let mut details = lines.join("\n");
    for line in actual_rules(result.record.as_ref()) {
        details.push('\n');
        details.push_str(&line);
    }
    Problem {
        kind,
        message,
        details,
    }
}
