//! JUnit XML for `vigil test --format junit`: the report format CI systems read (Jenkins,
//! GitLab, GitHub Actions reporters), in the shape of the Jenkins / Maven Surefire schema.
//!
//! One `<testsuite>` per policy file, one `<testcase>` per test. A test whose expectations do
//! not hold is a `<failure>`; a test whose transaction cannot be read is an `<error>`.

use std::fmt::Write as _;

/// One test case of a suite.
pub struct Case {
    /// The policy the test sits in (or the file, for a test outside a policy).
    pub classname: String,
    pub name: String,
    pub seconds: f64,
    pub problem: Option<Problem>,
}

/// Why a case did not pass.
pub struct Problem {
    pub kind: ProblemKind,
    /// A one-line summary, for the `message` attribute.
    pub message: String,
    /// The full explanation, for the element's text.
    pub details: String,
}

/// A failed expectation, or a test that could not run.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Failure,
    Error,
}

/// The cases of one policy file.
pub struct Suite {
    pub name: String,
    pub cases: Vec<Case>,
}

impl Suite {
    fn count(&self, kind: ProblemKind) -> usize {
        self.cases
            .iter()
            .filter(|c| c.problem.as_ref().is_some_and(|p| p.kind == kind))
            .count()
    }

    fn seconds(&self) -> f64 {
        self.cases.iter().map(|c| c.seconds).sum()
    }
}

/// The whole report as an XML document. `<testsuites>` carries only the attributes the
/// Jenkins schema allows there (no `skipped`); `<testsuite>` carries every attribute the
/// Surefire schema requires.
pub fn render(suites: &[Suite]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| s.count(ProblemKind::Failure)).sum();
    let errors: usize = suites.iter().map(|s| s.count(ProblemKind::Error)).sum();
    let seconds: f64 = suites.iter().map(Suite::seconds).sum();
    let _ = writeln!(
        out,
        "<testsuites name=\"vigil test\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" time=\"{seconds:.3}\">"
    );
    for (id, suite) in suites.iter().enumerate() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" id=\"{id}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{:.3}\">",
            escape(&suite.name),
            suite.cases.len(),
            suite.count(ProblemKind::Failure),
            suite.count(ProblemKind::Error),
            suite.seconds()
        );
        for case in &suite.cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(&case.classname),
                escape(&case.name),
                case.seconds
            );
            match &case.problem {
                None => out.push_str("/>\n"),
                Some(problem) => {
                    let (element, kind) = match problem.kind {
                        ProblemKind::Failure => ("failure", "expectation"),
                        ProblemKind::Error => ("error", "transaction"),
                    };
                    let _ = writeln!(
                        out,
                        ">\n      <{element} message=\"{}\" type=\"{kind}\">{}</{element}>\n    </testcase>",
                        escape(&problem.message),
                        escape_text(&problem.details)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// Text safe inside an XML attribute: the five special characters as entities, line breaks
/// and tabs as character references (a reader would turn them into spaces otherwise), and the
/// characters XML 1.0 forbids (most control characters) replaced by U+FFFD.
pub fn escape(text: &str) -> String {
    escape_as(text, Place::Attribute)
}

/// Text safe inside an element: as [`escape`], but line breaks and tabs are kept as they are.
pub fn escape_text(text: &str) -> String {
    escape_as(text, Place::Element)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Attribute,
    Element,
}

fn escape_as(text: &str, place: Place) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' if place == Place::Element => out.push(c),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if allowed_in_xml(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// Whether XML 1.0 allows the character (its `Char` production).
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_forbidden_characters() {
        assert_eq!(
            escape("a < b & \"c\" > 'd'\u{1}"),
            "a &lt; b &amp; &quot;c&quot; &gt; &apos;d&apos;\u{FFFD}"
        );
        assert_eq!(escape("line\nnext"), "line&#10;next");
        assert_eq!(escape_text("line\nnext <"), "line\nnext &lt;");
    }
}
