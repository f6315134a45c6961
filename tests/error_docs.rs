//! Every diagnostic code of the semantic checker and the lints has its page in `docs/errors/`,
//! saying what it means, with an example, and how to fix it.

use std::path::Path;

use vigil::diagnostic::Code;

#[test]
fn every_semantic_code_and_lint_has_a_page() {
    let pages = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/errors");
    let mut missing = Vec::new();
    for (code, summary) in Code::ALL {
        let name = code.as_str();
        // The codes of the front end (E00xx) are documented with the parser.
        if name.starts_with("E00") {
            continue;
        }
        match std::fs::read_to_string(pages.join(format!("{name}.md"))) {
            Ok(text) => {
                for section in ["## What it means", "## Example", "## How to fix it"] {
                    assert!(
                        text.contains(section),
                        "docs/errors/{name}.md has no `{section}` section"
                    );
                }
                assert!(
                    text.starts_with(&format!("# {name}: ")),
                    "docs/errors/{name}.md should start with `# {name}: {summary}`"
                );
            }
            Err(_) => missing.push(name),
        }
    }
    assert!(
        missing.is_empty(),
        "codes without a page in docs/errors/: {missing:?}"
    );
}
