//! The error index in `docs/errors/`: every diagnostic code has a page, every page belongs to a
//! code, the index lists them all, and each page's example produces the diagnostic it shows.

use std::collections::BTreeSet;
use std::path::Path;

use vigil::diagnostic::{render_human, Code, RenderConfig};
use vigil::source::SourceFile;

const ERRORS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors");

fn page(code: Code) -> Option<String> {
    std::fs::read_to_string(Path::new(ERRORS_DIR).join(format!("{}.md", code.as_str()))).ok()
}

/// The contents of the fenced blocks of one language in a page's `## Example` section.
fn example_blocks(page: &str, language: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut in_example = false;
    let mut current: Option<String> = None;
    for line in page.lines() {
        if let Some(block) = current.as_mut() {
            if line == "```" {
                blocks.extend(current.take());
            } else {
                block.push_str(line);
                block.push('\n');
            }
            continue;
        }
        if line.starts_with("## ") {
            in_example = line == "## Example";
        } else if in_example && line == format!("```{language}") {
            current = Some(String::new());
        }
    }
    blocks
}

/// Lines without trailing spaces and without empty lines at the end, for comparing renderings.
fn normalized(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(|l| l.trim_end().to_string()).collect();
    while lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    lines
}

#[test]
fn every_code_has_a_page_titled_with_its_code() {
    let mut missing = Vec::new();
    for (code, summary) in Code::ALL {
        let Some(page) = page(*code) else {
            missing.push(format!(
                "docs/errors/{}.md (for `{summary}`)",
                code.as_str()
            ));
            continue;
        };
        let title = page.lines().next().unwrap_or("");
        assert!(
            title.starts_with(&format!("# {}:", code.as_str())),
            "docs/errors/{}.md must start with `# {}: {summary}`, not `{title}`",
            code.as_str(),
            code.as_str()
        );
    }
    assert!(missing.is_empty(), "codes without a page: {missing:?}");
}

#[test]
fn every_page_says_what_it_means_shows_an_example_and_how_to_fix_it() {
    for (code, _) in Code::ALL {
        let page = page(*code).unwrap_or_default();
        for heading in ["## What it means", "## Example", "## How to fix it"] {
            assert!(
                page.lines().any(|line| line == heading),
                "docs/errors/{}.md has no `{heading}` section",
                code.as_str()
            );
        }
        assert!(
            !example_blocks(&page, "text").is_empty(),
            "docs/errors/{}.md shows no diagnostic text (a ```text block) in its example",
            code.as_str()
        );
    }
}

#[test]
fn every_page_belongs_to_a_code() {
    let codes: BTreeSet<String> = Code::ALL
        .iter()
        .map(|(c, _)| format!("{}.md", c.as_str()))
        .collect();
    for entry in std::fs::read_dir(ERRORS_DIR).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "README.md" {
            continue;
        }
        assert!(
            codes.contains(&name),
            "docs/errors/{name} is not the page of any code in `codes!`"
        );
    }
}

#[test]
fn the_index_links_every_page() {
    let index = std::fs::read_to_string(Path::new(ERRORS_DIR).join("README.md")).unwrap();
    for (code, _) in Code::ALL {
        let link = format!("[{0}]({0}.md)", code.as_str());
        assert!(
            index.contains(&link),
            "docs/errors/README.md does not list {link}"
        );
    }
}

#[test]
fn each_example_produces_the_diagnostic_its_page_shows() {
    let mut checked = 0;
    for (code, _) in Code::ALL {
        let page = page(*code).unwrap_or_default();
        let sources = example_blocks(&page, "vigil");
        let Some(source) = sources.first() else {
            // Codes about files (too large, not UTF-8, unreadable) cannot be shown with a
            // snippet; their pages show a command instead.
            continue;
        };
        let checked_file = vigil::check(vec![SourceFile::new("example.vigil", source.as_str())]);
        let rendered: Vec<String> = checked_file
            .diagnostics
            .iter()
            .filter(|d| d.code == *code)
            .map(|d| render_human(d, RenderConfig::PLAIN))
            .collect();
        assert!(
            !rendered.is_empty(),
            "the example of {} does not produce {}",
            code.as_str(),
            code.as_str()
        );
        let shown = example_blocks(&page, "text");
        let shown = shown.first().map(String::as_str).unwrap_or("");
        assert_eq!(
            normalized(&rendered.join("\n")),
            normalized(shown),
            "docs/errors/{}.md shows a different diagnostic than its example produces",
            code.as_str()
        );
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} pages have a checked example");
}
