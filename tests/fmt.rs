//! `vigil fmt`: every fixture in `tests/fmt/` is formatted and snapshotted (input and output, or
//! the diagnostics that refuse it), and formatting is idempotent on every fixture and on every
//! file of the shipped policy library.

// Test code may fail loudly, as clippy.toml allows inside #[test] functions; the helpers here
// are outside them, so the same allowance is spelled out for this file.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use vigil::diagnostic::{render_human, RenderConfig};
use vigil::source::SourceFile;

/// The formatted text, or the rendered diagnostics of a refusal.
fn format_or_diagnostics(name: &str, text: &str) -> Result<String, String> {
    vigil::fmt::format(&SourceFile::new(name, text)).map_err(|diagnostics| {
        diagnostics
            .iter()
            .map(|d| render_human(d, RenderConfig::PLAIN))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[test]
fn fixtures() {
    insta::glob!("fmt/*.vigil", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy();
        let output = match format_or_diagnostics(&name, &text) {
            Ok(formatted) => formatted,
            Err(diagnostics) => format!("(refused)\n{diagnostics}"),
        };
        insta::assert_snapshot!(format!("{text}\n──────── formatted ────────\n{output}"));
    });
}

fn vigil_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            vigil_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "vigil") {
            found.push(path);
        }
    }
}

/// Formatting a formatted file changes nothing.
#[test]
fn formatting_is_idempotent_on_fixtures_and_policies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    vigil_files(&root.join("tests/fmt"), &mut files);
    vigil_files(&root.join("policies"), &mut files);
    assert!(
        files.len() >= 14,
        "expected the fixtures and the policies, found {files:?}"
    );
    let mut formatted_count = 0;
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(once) = format_or_diagnostics(&name, &text) else {
            // Only the fixtures that show a refusal may be refused.
            assert!(
                name.contains("syntax_error"),
                "{name} was refused: {}",
                format_or_diagnostics(&name, &text).unwrap_err()
            );
            continue;
        };
        let twice = format_or_diagnostics(&name, &once)
            .unwrap_or_else(|d| panic!("{name}: the formatted text was refused:\n{d}\n{once}"));
        assert_eq!(
            once, twice,
            "formatting {name} twice gave a different result"
        );
        formatted_count += 1;
    }
    assert!(formatted_count >= 14);
}

#[test]
fn line_ends_become_line_feeds_and_comments_lose_their_carriage_returns() {
    let text = "policy a.b\r\n  rule r\r\n    then x is y   # note\r\n  end\r\nend\r\n";
    assert_eq!(
        format_or_diagnostics("crlf.vigil", text).unwrap(),
        "policy a.b\n  rule r\n    then x is y  # note\n  end\nend\n"
    );
}

#[test]
fn an_empty_file_stays_empty() {
    assert_eq!(format_or_diagnostics("empty.vigil", "").unwrap(), "");
    assert_eq!(
        format_or_diagnostics("blank.vigil", "\n\n  \n").unwrap(),
        ""
    );
}

#[test]
fn documentation_right_after_an_untitled_name_is_documentation() {
    // Three quotes after a name open documentation text; they are not an empty title.
    let text = "policy a.b\n  \"\"\"Policy text.\"\"\"\n\n  rule r\n    \"\"\"Rule text.\"\"\"\n    then x is y\n  end\nend\n";
    assert_eq!(format_or_diagnostics("doc.vigil", text).unwrap(), text);
}

#[test]
fn trailing_comments_after_a_long_condition_do_not_force_it_to_break() {
    let text = format!(
        "policy a.b\n  rule r\n    when a is b and c is d  # {}\n    then x is y\n  end\nend\n",
        "long ".repeat(30).trim_end()
    );
    assert_eq!(format_or_diagnostics("suffix.vigil", &text).unwrap(), text);
}
