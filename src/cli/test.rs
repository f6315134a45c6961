//! `vigil test`: run the test cases written beside the policies.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rayon::prelude::*;
use vigil::diagnostic;
use vigil::eval::testing::{run_test, Failure, TestResult};
use vigil::eval::Evaluator;
use vigil::semantic::ir::Program;
use vigil::semantic::Loader;

use super::{files, library, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Run every test case of a policy library. A test states a transaction and the decisions and fired
rules it expects (`test \"...\" given {...} expect license is required ... end`). A failure shows
what was expected against what was decided, and what happened to the rules involved.

Exit status: 0 when every test passes; 1 when a test fails; 2 when the policies do not compile.

Examples:
    vigil test policies/
    vigil test policies/ --filter \"entity list\"";

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
}

pub fn run(args: &TestArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![if PathBuf::from("policies").is_dir() {
            PathBuf::from("policies")
        } else {
            PathBuf::from(".")
        }]
    } else {
        args.paths.clone()
    };
    let loaded = match files::load(&paths) {
        Ok(loaded) => loaded,
        Err(files::MissingPath(path)) => {
            eprintln!("error: `{}` does not exist", path.display());
            return EXIT_USAGE;
        }
    };
    let mut loader = files::FileLoader::default();
    let (compiled, mut diagnostics) = vigil::compile(loaded.files, &mut loader);
    diagnostics.extend(loaded.diagnostics);
    let render = diagnostic::RenderConfig {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
    };
    let Some(compiled) = compiled.filter(|_| !diagnostics.iter().any(|d| d.is_error())) else {
        for d in &diagnostics {
            eprint!("{}", diagnostic::render_human(d, render));
        }
        eprintln!("error: the policies do not compile");
        return EXIT_USAGE;
    };
    let hash = library::content_hash(&compiled.program.files);
    let program = Arc::new(compiled.program);
    let evaluator = match Evaluator::new(program.clone(), Arc::from(hash)) {
        Ok(e) => e,
        Err(error) => {
            eprintln!("error: the policies cannot be evaluated: {error:?}");
            return EXIT_USAGE;
        }
    };
    let selected: Vec<usize> = program
        .tests
        .iter()
        .enumerate()
        .filter(|(_, t)| args.filter.as_deref().map_or(true, |f| t.name.contains(f)))
        .map(|(i, _)| i)
        .collect();
    let results: Vec<(usize, TestResult)> = selected
        .par_iter()
        .map(|&index| {
            let mut read = |path: &str| {
                files::FileLoader::default()
                    .data_file(path)
                    .unwrap_or_else(|| Err("not found".into()))
                    .map(|f| f.text.to_string())
            };
            let result = match program.tests.get(index) {
                Some(test) => run_test(&evaluator, test, &mut read),
                None => TestResult {
                    failures: Vec::new(),
                    record: None,
                    outcome: None,
                },
            };
            (index, result)
        })
        .collect();
    let mut failed = 0;
    for (index, result) in &results {
        let Some(test) = program.tests.get(*index) else {
            continue;
        };
        if result.passed() {
            continue;
        }
        failed += 1;
        let at = vigil::eval::location(&program, test.location);
        println!("FAIL {} ({at})", test.name);
        for failure in &result.failures {
            println!("{}", describe(&program, failure));
        }
        println!();
    }
    let passed = results.len() - failed;
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        EXIT_FAILURE
    } else {
        EXIT_OK
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
        } => {
            let verb = match op {
                vigil::semantic::ir::OutcomeOp::Set => "is",
                vigil::semantic::ir::OutcomeOp::Include => "includes",
            };
            format!(
                "  expected {decision} {verb} {expected}, but it is {actual}  ({})",
                vigil::eval::location(program, *location)
            )
        }
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
