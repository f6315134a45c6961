//! `vigil fmt`: the one canonical layout of a policy file.
//!
//! The layout is printed from the syntax tree, so it depends only on what the file says, plus its
//! comments, which the tree does not hold: they are found in the text and given to the clause or
//! declaration they belong to ([`comments`]). Documentation text and inline JSON are kept exactly
//! as written.
//!
//! Formatting never changes what a file means and never loses a comment: the result is parsed
//! again and must give the same syntax tree (spans aside) and the same comments, or the file is
//! refused and left as it was.

mod comments;
mod doc;
mod print;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};
use crate::syntax::{self, ast};

pub use doc::WIDTH;

/// Formats one file. Returns the formatted text, or the diagnostics that explain why the file
/// cannot be formatted: its syntax errors, or (a bug in the formatter) a layout that would change
/// its meaning or lose a comment.
pub fn format(file: &SourceFile) -> Result<String, Vec<Diagnostic>> {
    let (tree, diagnostics) = syntax::parse(file);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect());
    }
    let found = comments::find(&file.text, &comments::opaque_spans(&tree, &file.text));
    let layout = print::Printer::new(&file.text).file(&tree, found.clone());
    let mut text = doc::render(&layout);
    if !text.is_empty() {
        text.push('\n');
    }
    verify(file, &tree, &found, &text)?;
    Ok(text)
}

/// Checks the formatted `text` against the original: same tree, same comments.
fn verify(
    file: &SourceFile,
    tree: &ast::File,
    found: &[comments::Comment],
    text: &str,
) -> Result<(), Vec<Diagnostic>> {
    let formatted = SourceFile::new(file.name.clone(), text);
    let (again, diagnostics) = syntax::parse(&formatted);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(vec![refusal(format!(
            "formatting `{}` would produce text that does not parse",
            file.name
        ))]);
    }
    if without_spans(tree) != without_spans(&again) {
        let mut diagnostic = refusal(format!(
            "formatting `{}` would change its meaning",
            file.name
        ));
        if let Some(span) = first_difference(tree, &again) {
            diagnostic = diagnostic.with_label(
                file,
                span,
                "this declaration would read differently after formatting",
            );
        }
        return Err(vec![diagnostic]);
    }
    let mut before: Vec<&str> = found.iter().map(|c| c.text.as_str()).collect();
    let after_found = comments::find(text, &comments::opaque_spans(&again, text));
    let mut after: Vec<&str> = after_found.iter().map(|c| c.text.as_str()).collect();
    before.sort_unstable();
    after.sort_unstable();
    if before != after {
        let mut diagnostic = refusal(format!(
            "formatting `{}` would lose or alter a comment",
            file.name
        ));
        if let Some(lost) = found.iter().find(|c| !after.contains(&c.text.as_str())) {
            let end = lost.offset as usize + lost.text.len();
            diagnostic = diagnostic.with_label(
                file,
                Span::new(lost.offset as usize, end),
                "this comment could not be placed",
            );
        }
        return Err(vec![diagnostic]);
    }
    Ok(())
}

fn refusal(message: String) -> Diagnostic {
    Diagnostic::error(Code::E0013, message).with_help("the file was left unchanged; this is a bug in `vigil fmt`: please report it with this file, and move the comment or simplify the layout around the place shown to format the rest")
}

/// The first top-level declaration whose meaning differs, by its span in the original.
fn first_difference(original: &ast::File, formatted: &ast::File) -> Option<Span> {
    for (position, item) in original.items.iter().enumerate() {
        let same = formatted.items.get(position).is_some_and(|other| {
            strip_spans(&format!("{other:?}")) == strip_spans(&format!("{item:?}"))
        });
        if !same {
            return Some(item_start(item));
        }
    }
    None
}

fn item_start(item: &ast::Item) -> Span {
    let span = match item {
        ast::Item::Import(import) => import.span,
        ast::Item::Policy(policy) => policy.span,
        ast::Item::Schema(record) | ast::Item::Record(record) => record.span,
        ast::Item::Enum(decl) => decl.span,
        ast::Item::Decision(decision) => decision.span,
        ast::Item::Table(table) => table.span,
        ast::Item::Test(test) => test.span,
    };
    // Only the first line: the label is about where the declaration starts.
    Span {
        start: span.start,
        end: span.start,
    }
}

/// The syntax tree as text, without spans: two trees that say the same thing in different
/// layouts give the same text.
fn without_spans(tree: &ast::File) -> String {
    strip_spans(&format!("{tree:?}"))
}

/// Removes every `Span { start: N, end: N }` from a debug rendering.
fn strip_spans(debug: &str) -> String {
    const OPEN: &str = "Span { start: ";
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(rest.get(..at).unwrap_or(""));
        let after = rest.get(at..).unwrap_or("");
        match after.find('}') {
            Some(close)
                if after.get(OPEN.len()..close).is_some_and(|inner| {
                    inner.chars().all(|c| {
                        c.is_ascii_digit()
                            || c == ','
                            || c == ' '
                            || c == 'e'
                            || c == 'n'
                            || c == 'd'
                            || c == ':'
                    })
                }) =>
            {
                out.push_str("Span");
                rest = after.get(close + 1..).unwrap_or("");
            }
            _ => {
                out.push_str(OPEN);
                rest = after.get(OPEN.len()..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_spans_removes_only_spans() {
        assert_eq!(
            strip_spans("A { span: Span { start: 1, end: 22 }, x: 3 }"),
            "A { span: Span, x: 3 }"
        );
        assert_eq!(
            strip_spans("\"Span { start: x }\""),
            "\"Span { start: x }\""
        );
    }

    #[test]
    fn formats_a_small_policy() {
        let file = SourceFile::new("a.vigil", "policy a.b   \"T\"\nrule r then x is y end end");
        assert_eq!(
            format(&file).unwrap(),
            "policy a.b \"T\"\n  rule r\n    then x is y\n  end\nend\n"
        );
    }

    #[test]
    fn refuses_files_with_syntax_errors() {
        let file = SourceFile::new("a.vigil", "policy a.b\n  rule r then end\nend\n");
        let diagnostics = format(&file).unwrap_err();
        assert!(
            diagnostics
                .iter()
                .all(|d| d.code == Code::E0001 || d.code == Code::E0002),
            "{diagnostics:?}"
        );
    }
}
