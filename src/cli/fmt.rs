//! `vigil fmt`: rewrite policy files in the canonical layout, or check that they are.

use std::path::{Path, PathBuf};

use clap::Args;
use vigil::diagnostic::{self, Code, Diagnostic};

use super::files;
use super::output;
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Rewrite policy files in Vigil's one canonical layout: two spaces per block level, one clause a
line in the documented order, outcomes as `then A is X` / `and B is Y`, conditions broken before
`and` / `or` when longer than 100 columns, an empty line between declarations. Comments are kept
next to the clause or declaration they belong to; documentation text (\"\"\"...\"\"\") and the
inline JSON of tests are kept exactly as written. The layout is described in docs/language.md
(\"Formatting\").

Formatting never changes what a file means: the result is parsed again and must say the same
thing, with the same comments, or the file is left untouched and the problem reported. Files with
syntax errors are not formatted; their errors are shown. Files already formatted are not written.

Exit status: 0 when every file is formatted (or, with --check, already was); 1 when a file could
not be formatted (syntax errors), or, with --check, when a file is not formatted; 2 when the
command line is wrong or a path does not exist.

Examples:
    vigil fmt                                  # every .vigil file under policies/
    vigil fmt policies/bis/crime_control.vigil
    vigil fmt --check policies/                # in CI: list unformatted files, exit 1 if any";

/// Rewrite policy files in the canonical layout.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct FmtArgs {
    /// Files, or directories searched recursively for `*.vigil` files [default: `policies/` if
    /// it exists, else the current directory]
    pub paths: Vec<PathBuf>,

    /// Write nothing: list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
}

/// What became of one file.
enum Outcome {
    Unchanged,
    Changed,
    Refused,
}

pub fn run(args: &FmtArgs) -> u8 {
    let paths = files::paths_or_default(&args.paths);
    let loaded = match files::load(&paths) {
        Ok(loaded) => loaded,
        Err(files::MissingPath(path)) => {
            eprintln!("error: `{}` does not exist", path.display());
            eprintln!("  help: give a policy file or a directory containing `.vigil` files");
            return EXIT_USAGE;
        }
    };
    let config = output::stdout_render_config();
    let mut problems = loaded.diagnostics;
    if loaded.files.is_empty() && problems.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        problems.push(
            Diagnostic::error(
                Code::E0012,
                format!("no `.vigil` files found in {}", shown.join(", ")),
            )
            .with_help(
                "give the directory that holds the policy library, e.g. `vigil fmt policies/`",
            ),
        );
    }

    let total = loaded.files.len();
    let (mut changed, mut refused) = (0usize, 0usize);
    for file in &loaded.files {
        let outcome = match vigil::fmt::format(file) {
            Err(diagnostics) => {
                problems.extend(diagnostics);
                Outcome::Refused
            }
            Ok(text) if text == *file.text => Outcome::Unchanged,
            Ok(_) if args.check => {
                println!("not formatted: {}", file.name);
                Outcome::Changed
            }
            Ok(text) => match write(Path::new(file.name.as_ref()), &text) {
                Ok(()) => {
                    println!("formatted: {}", file.name);
                    Outcome::Changed
                }
                Err(error) => {
                    problems.push(Diagnostic::error(
                        Code::E0011,
                        format!("cannot write `{}`: {error}", file.name),
                    ));
                    Outcome::Refused
                }
            },
        };
        match outcome {
            Outcome::Unchanged => {}
            Outcome::Changed => changed += 1,
            Outcome::Refused => refused += 1,
        }
    }

    diagnostic::sort(&mut problems);
    for problem in &problems {
        print!("{}", diagnostic::render_human(problem, config));
        println!();
    }
    let files = if total == 1 { "file" } else { "files" };
    if args.check {
        println!(
            "checked {total} {files}: {changed} not formatted, {refused} could not be formatted"
        );
        if changed > 0 {
            println!("run `vigil fmt` on them to format them");
        }
    } else {
        println!("{total} {files}: {changed} reformatted, {refused} could not be formatted");
    }
    let failed =
        problems.iter().any(Diagnostic::is_error) || refused > 0 || (args.check && changed > 0);
    if failed {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

/// Replaces a file's contents: the new text goes to a temporary file next to it, which then
/// takes its place, so an interrupted run never leaves a half-written policy.
fn write(path: &Path, text: &str) -> std::io::Result<()> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".vigil-fmt.tmp");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        // Keep the file's permissions; failing to is not worth losing the formatting over.
        let _ = std::fs::set_permissions(&temporary, metadata.permissions());
    }
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}
