//! `vigil check`: parse and check policy files, print every diagnostic.

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use vigil::diagnostic::{self, JsonDiagnostic};

use super::files;
use super::output::{self, Format};
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Check policy files and print every problem found, each with its place in the source, a stable
code (documented in docs/errors/) and advice on how to fix it. One broken rule does not hide the
next: every error in every file is reported in a single run.

Exit status: 0 when no errors were found; 1 when there are errors (or warnings, with
--deny-warnings); 2 when the command line is wrong or a path does not exist.

Examples:
    vigil check policies/
    vigil check policies/bis/crime_control.vigil --format json
    vigil check --deny-warnings";

/// Check policy files for errors.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct CheckArgs {
    /// Files, or directories searched recursively for `*.vigil` files [default: `policies/` if
    /// it exists, else the current directory]
    pub paths: Vec<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Fail (exit 1) on warnings as well as errors
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Serialize)]
struct Report<'a> {
    files: usize,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<JsonDiagnostic<'a>>,
}

pub fn run(args: &CheckArgs) -> u8 {
    let paths = files::paths_or_default(&args.paths);
    let loaded = match files::load(&paths) {
        Ok(loaded) => loaded,
        Err(files::MissingPath(path)) => {
            eprintln!("error: `{}` does not exist", path.display());
            eprintln!("  help: give a policy file or a directory containing `.vigil` files");
            return EXIT_USAGE;
        }
    };
    let given = loaded.files.len();
    let mut checked = vigil::check_with(loaded.files, &mut files::FileLoader::default());
    // Files loaded to follow imports were checked too.
    let file_count = checked.files.len().max(given);
    checked.diagnostics.extend(loaded.diagnostics);
    if file_count == 0 && !checked.has_errors() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        checked.diagnostics.push(
            vigil::diagnostic::Diagnostic::error(
                vigil::diagnostic::Code::E0012,
                format!("no `.vigil` files found in {}", shown.join(", ")),
            )
            .with_help(
                "give the directory that holds the policy library, e.g. `vigil check policies/`",
            ),
        );
    }
    diagnostic::sort(&mut checked.diagnostics);

    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors;
    match args.format {
        Format::Human => {
            let config = output::stdout_render_config();
            for diagnostic in &checked.diagnostics {
                print!("{}", diagnostic::render_human(diagnostic, config));
                println!();
            }
            println!(
                "checked {file_count} {}: {errors} {}, {warnings} {}",
                plural(file_count, "file", "files"),
                plural(errors, "error", "errors"),
                plural(warnings, "warning", "warnings")
            );
        }
        Format::Json => {
            let report = Report {
                files: file_count,
                errors,
                warnings,
                diagnostics: checked
                    .diagnostics
                    .iter()
                    .map(JsonDiagnostic::new)
                    .collect(),
            };
            match serde_json::to_string_pretty(&report) {
                Ok(json) => println!("{json}"),
                Err(error) => {
                    eprintln!("error: cannot write the report as JSON: {error}");
                    return EXIT_FAILURE;
                }
            }
        }
    }
    if errors > 0 || (args.deny_warnings && warnings > 0) {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
