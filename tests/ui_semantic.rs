//! Semantic UI tests: every `tests/ui/semantic/**/*.vigil` fixture is checked with
//! `vigil::check_with`, and one snapshot holds the fixture's text (with line numbers) and every
//! diagnostic it produced.
//!
//! Fixtures may import other fixtures and load data files next to them: a loader reads them
//! from the crate's directory, as the command line does. Diagnostics are rendered without colour
//! at a fixed width, and file names are relative to the crate root with forward slashes, so the
//! snapshots are the same on every machine.

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail loudly, like the test"
)]

use std::fmt::Write as _;
use std::path::Path;

use vigil::diagnostic::{render_human, Diagnostic, RenderConfig};
use vigil::semantic::Loader;
use vigil::source::SourceFile;

#[test]
fn ui_semantic() {
    insta::glob!("ui/semantic/**/*.vigil", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = name_relative_to_crate(path);
        let checked =
            vigil::check_with(vec![SourceFile::new(name, text.as_str())], &mut CrateFiles);
        insta::assert_snapshot!(render_fixture(&text, &checked.diagnostics));
    });
}

/// Reads imported and data files relative to the crate root, where the fixtures' names start.
struct CrateFiles;

impl CrateFiles {
    fn read(path: &str) -> Option<Result<SourceFile, String>> {
        let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        Some(
            std::fs::read_to_string(full)
                .map(|text| SourceFile::new(path, text))
                .map_err(|error| error.kind().to_string()),
        )
    }
}

impl Loader for CrateFiles {
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Self::read(path)
    }

    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Self::read(path)
    }

    fn input(&mut self, name: &str) -> Option<Result<SourceFile, String>> {
        // Fixtures name their run-time data after a file in `tests/ui/semantic/data/`.
        Self::read(&format!("tests/ui/semantic/data/{name}"))
    }
}

/// The fixture's path relative to the crate root, with forward slashes whatever the platform.
fn name_relative_to_crate(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = path.strip_prefix(root).unwrap();
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
        writeln!(out, "{}", numbered.trim_end()).unwrap();
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
