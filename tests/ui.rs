//! UI tests: every `tests/ui/**/*.vigil` fixture is checked with `vigil::check_with`, and one
//! snapshot holds the fixture's text (with line numbers) and every diagnostic it produced.
//!
//! Fixtures may import other fixtures and load data files next to them: a loader reads them
//! from the crate's directory, as the command line does. The fixtures under `syntax/` are about
//! the parser and are written without a schema, so only their syntax diagnostics (`E00xx`) are
//! kept; the fixtures under `semantic/` show everything, lints included.
//!
//! Diagnostics are rendered without colour at a fixed width, and file names are relative to the
//! crate root with forward slashes, so the snapshots are the same on every machine.

use std::path::Path;

use vigil::diagnostic::{render_human, Diagnostic, RenderConfig};
use vigil::semantic::Loader;
use vigil::source::SourceFile;

mod support;
use support::CrateFiles;

#[test]
fn ui() {
    insta::glob!("ui/**/*.vigil", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = name_relative_to_crate(path);
        let mut checked = vigil::check_with(
            vec![SourceFile::new(name.as_str(), text.as_str())],
            &mut Fixtures,
        );
        if name.starts_with("tests/ui/syntax/") {
            checked
                .diagnostics
                .retain(|d| d.code.as_str().starts_with("E00"));
        }
        // insta names glob snapshots after the path below the matches' common directory, which
        // would change when fixtures are added to a new directory; name them after the path
        // below `tests/ui/` instead.
        let suffix = name.trim_start_matches("tests/ui/").to_string();
        insta::with_settings!({ snapshot_suffix => suffix }, {
            insta::assert_snapshot!(render_fixture(&text, &checked.diagnostics));
        });
    });
}

/// The crate's files, and run-time inputs (`--data NAME=…`) named after a file in
/// `tests/ui/semantic/data/`.
struct Fixtures;

impl Loader for Fixtures {
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        CrateFiles::read(path)
    }

    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        CrateFiles::read(path)
    }

    fn input(&mut self, name: &str) -> Option<Result<SourceFile, String>> {
        CrateFiles::read(&format!("tests/ui/semantic/data/{name}"))
    }
}

/// The fixture's path relative to the crate root, with forward slashes whatever the platform.
fn name_relative_to_crate(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The snapshot of one fixture: its numbered source lines, a separator, then each diagnostic.
fn render_fixture(text: &str, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        // Trailing spaces are trimmed so that snapshot files hold no invisible differences.
        let numbered = format!("{:>4} | {}", index + 1, line);
        out.push_str(numbered.trim_end());
        out.push('\n');
    }
    out.push_str("----- diagnostics -----\n");
    if diagnostics.is_empty() {
        out.push_str("no diagnostics\n");
    }
    for diagnostic in diagnostics {
        let rendered = render_human(diagnostic, RenderConfig::PLAIN);
        for line in rendered.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

/// One run reports every broken rule, each once and at its own line, with no follow-on errors
/// from the good rules around them.
#[test]
fn three_broken_rules_give_three_errors_at_their_lines() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/ui/syntax/error_three_broken_rules.vigil"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let file = SourceFile::new("error_three_broken_rules.vigil", text.as_str());
    let checked = vigil::check(vec![file.clone()]);
    let lines: Vec<usize> = checked
        .diagnostics
        .iter()
        // The fixture has no schema, so the semantic checker adds errors of its own; this test
        // is about the parser's.
        .filter(|d| d.is_error() && d.code.as_str().starts_with("E00"))
        .map(|d| file.line_col(d.primary().unwrap().span.start).0)
        .collect();
    assert_eq!(lines, [10, 23, 34]);
}
