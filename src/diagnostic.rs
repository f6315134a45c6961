//! Diagnostics: the one error type every stage reports, its stable codes, and its renderings
//! (human, JSON).
//!
//! Every stage returns its result *and* all the diagnostics it found; none stops at the first.
//! A diagnostic says *what* in its message (lowercase, no final period, user text in
//! backticks), *where and why* in its labels, and *how to fix* in its help. Each carries a
//! stable code documented in `docs/errors/CODE.md`.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde::Serialize;

use crate::source::{SourceFile, Span};

macro_rules! codes {
    ($($variant:ident => $summary:literal,)*) => {
        /// A stable diagnostic code. Codes are never reused or renumbered; each has a page in
        /// `docs/errors/`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, in order, with a one-line summary.
            pub const ALL: &'static [(Code, &'static str)] = &[$((Code::$variant, $summary),)*];

            /// How serious a diagnostic of this code is: codes starting with `W` are warnings
            /// (lints and data-quality notes), the others errors.
            pub fn severity(self) -> Severity {
                if self.as_str().starts_with('W') { Severity::Warning } else { Severity::Error }
            }

            /// The code as written in messages and documentation, e.g. `E0001`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => stringify!($variant),)* }
            }
        }
    };
}

codes! {
    E0000 => "internal error: a bug in Vigil, not in the policy",
    E0001 => "syntax error: the text does not fit the grammar at this point",
    E0002 => "a block is not closed with `end`",
    E0003 => "an expression is nested too deeply",
    E0004 => "a file is too large",
    E0005 => "a file is not valid UTF-8",
    E0006 => "a file is too complex to parse within the work limit",
    E0007 => "a literal is invalid (an impossible date, a number out of range)",
    E0008 => "a clause is given twice",
    E0009 => "a declaration stands where it is not allowed",
    E0010 => "a value is quoted with `{...}` where quoting is not allowed",
    E0011 => "a file or directory cannot be read",
    E0012 => "no policy files were found",
    E0013 => "`vigil fmt` cannot lay out a file without changing its meaning or losing a comment",
    E0101 => "a name is declared twice",
    E0102 => "a name is not declared",
    E0103 => "a name is declared in several imported files",
    E0104 => "an imported file cannot be found or read",
    E0105 => "a name is declared in a file that is not imported",
    E0106 => "a rule named in `exception to` or a test does not exist",
    E0107 => "a quantifier's variable is used where it is not bound",
    E0108 => "a function does not exist",
    E0109 => "a type is used as a value",
    E0201 => "a type does not exist",
    E0202 => "a record, row or table has no field or column of that name",
    E0203 => "an operator does not fit the types of its operands",
    E0204 => "a condition is not true or false",
    E0205 => "a name is not a value of its enumeration",
    E0206 => "a string is not an ISO 3166-1 country code",
    E0207 => "a string is not an ECCN",
    E0208 => "`is missing` or `is empty` tests a value that cannot be missing or empty",
    E0209 => "a quantifier goes through something that is not a collection",
    E0210 => "a function is called with the wrong arguments",
    E0211 => "an outcome or expectation does not fit its decision",
    E0212 => "a field's default value does not fit its type",
    E0301 => "a row has the wrong number of cells",
    E0302 => "a cell does not fit its column",
    E0303 => "a table declares no columns",
    E0304 => "a data file cannot be read",
    E0305 => "a data file is not valid CSV, JSON or screening-list JSON",
    E0306 => "a value in a data file does not fit its column",
    E0307 => "a data file lacks a declared column",
    E0308 => "the format of a data file is unknown or not given",
    E0309 => "a table with several columns is used where one column is meant",
    E0401 => "rules set different values on a decision that declares no way to combine them",
    E0402 => "rules of equal priority set different values on a decision combined by priority",
    E0403 => "a decision's combination does not fit its type",
    E0404 => "a decision declares neither or both of `values` and `type`",
    E0405 => "a decision's default or unknown value is not one of its values",
    E0406 => "a rule has no outcome",
    E0410 => "exceptions form a cycle",
    E0420 => "a date range is empty or inverted",
    E0430 => "the decision graph has a cycle: a rule depends on a decision it feeds",
    W0001 => "a rule has no citation",
    W0002 => "a declaration is never used",
    W0003 => "a rule can never fire",
    W0004 => "a rule is shadowed by a broader rule with the same outcomes",
    W0005 => "two versions of a table row are in force on the same day",
    W0100 => "values of a data file were left out",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "vigil::{}", self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A place in a source file, with what is wrong there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: SourceFile,
    pub span: Span,
    pub message: String,
}

/// One problem found in a policy or an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    /// The places the diagnostic points at; the first is the primary one.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with a message and no location yet.
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// A warning with a message and no location yet.
    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Warning,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    /// Adds a place the diagnostic points at.
    pub fn with_label(mut self, file: &SourceFile, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file: file.clone(),
            span,
            message: message.into(),
        });
        self
    }

    /// Adds the advice on how to fix the problem.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error (as opposed to a warning).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The primary location, if any.
    pub fn primary(&self) -> Option<&Label> {
        self.labels.first()
    }

    /// The sort key that orders diagnostics by file, then position, then code.
    fn sort_key(&self) -> (Option<&str>, u32, Code) {
        let primary = self.primary();
        (
            primary.map(|l| l.file.name.as_ref()),
            primary.map_or(0, |l| l.span.start),
            self.code,
        )
    }
}

/// Orders diagnostics by file and position so output is stable from run to run.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
}

/// Options for human-readable rendering.
#[derive(Clone, Copy, Debug)]
pub struct RenderConfig {
    /// Use colour and Unicode box drawing.
    pub color: bool,
    /// Wrap text at this many columns.
    pub width: usize,
}

impl RenderConfig {
    /// No colour and a fixed width: the rendering tests snapshot.
    pub const PLAIN: RenderConfig = RenderConfig {
        color: false,
        width: 100,
    };
}

/// Renders one diagnostic the way a person reads it: message, code, source lines with the
/// offending text underlined, labels and help.
pub fn render_human(diagnostic: &Diagnostic, config: RenderConfig) -> String {
    let theme = if config.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(config.width)
        .with_links(false);
    // miette prints whole source lines and cannot draw under a column past 65,535 (it panics),
    // so a label on a very long line (generated or binary text) is shown as a location only.
    let drawable = diagnostic
        .labels
        .iter()
        .all(|label| line_length_at(&label.file, label.span) <= MAX_DRAWN_LINE);
    if !drawable {
        return render_without_source(diagnostic, &handler);
    }
    let report = MietteView::new(diagnostic);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        // Rendering into a String cannot fail in practice; fall back to the bare message.
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    out
}

/// Renders the message, then each label as `at FILE:LINE:COLUMN: LABEL`, then the help.
fn render_without_source(diagnostic: &Diagnostic, handler: &GraphicalReportHandler) -> String {
    let bare = Diagnostic {
        labels: Vec::new(),
        help: None,
        ..diagnostic.clone()
    };
    let mut out = String::new();
    if handler
        .render_report(&mut out, &MietteView::new(&bare))
        .is_err()
    {
        out = format!("{}: {}\n", diagnostic.code, diagnostic.message);
    }
    for label in &diagnostic.labels {
        let (line, column) = label.file.line_col(label.span.start);
        out.push_str(&format!(
            "  at {}:{line}:{column}: {}\n",
            label.file.name, label.message
        ));
    }
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("  help: {help}\n"));
    }
    out
}

/// The longest source line drawn under a diagnostic; longer lines are shown as a location.
const MAX_DRAWN_LINE: usize = 1_000;

/// The length in characters of the longest line drawn for a span: the lines it touches and
/// the line of context miette shows before and after them.
fn line_length_at(file: &SourceFile, span: Span) -> usize {
    let text = file.text.as_ref();
    let start = (span.start as usize).min(text.len());
    let end = (span.end as usize).clamp(start, text.len());
    let before = text.get(..start).unwrap_or("");
    let line_start = before.rfind('\n').unwrap_or(0);
    let line_start = before
        .get(..line_start)
        .and_then(|t| t.rfind('\n'))
        .map_or(0, |i| i + 1);
    let after = text.get(end..).unwrap_or("");
    let line_end = after.find('\n').map_or(text.len(), |i| end + i + 1);
    let line_end = text
        .get(line_end..)
        .and_then(|t| t.find('\n'))
        .map_or(text.len(), |i| line_end + i);
    text.get(line_start..line_end).map_or(0, |lines| {
        lines
            .split('\n')
            .map(|line| line.chars().count())
            .max()
            .unwrap_or(0)
    })
}

/// A diagnostic as a JSON value with line and column numbers resolved.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: Code,
    pub severity: Severity,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub labels: Vec<JsonLabel<'a>>,
    pub help: Option<&'a str>,
}

/// One label of a [`JsonDiagnostic`].
#[derive(Debug, Serialize)]
pub struct JsonLabel<'a> {
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: &'a str,
}

impl<'a> JsonDiagnostic<'a> {
    pub fn new(diagnostic: &'a Diagnostic) -> Self {
        let labels: Vec<JsonLabel<'a>> = diagnostic
            .labels
            .iter()
            .map(|label| {
                let (line, column) = label.file.line_col(label.span.start);
                let (end_line, end_column) = label.file.line_col(label.span.end);
                JsonLabel {
                    file: &label.file.name,
                    line,
                    column,
                    end_line,
                    end_column,
                    message: &label.message,
                }
            })
            .collect();
        JsonDiagnostic {
            code: diagnostic.code,
            severity: diagnostic.severity,
            message: &diagnostic.message,
            file: labels.first().map(|l| l.file),
            line: labels.first().map(|l| l.line),
            column: labels.first().map(|l| l.column),
            labels,
            help: diagnostic.help.as_deref(),
        }
    }
}

/// Adapts a [`Diagnostic`] to miette for rendering. Labels in the primary file are drawn on its
/// source; labels in other files become related reports, each drawn on its own file.
struct MietteView<'a> {
    diagnostic: &'a Diagnostic,
    file: Option<NamedSource<SourceText>>,
    labels: Vec<LabeledSpan>,
    related: Vec<MietteRelated>,
}

impl<'a> MietteView<'a> {
    fn new(diagnostic: &'a Diagnostic) -> Self {
        let primary_file = diagnostic.primary().map(|l| l.file.clone());
        let mut labels = Vec::new();
        let mut related = Vec::new();
        for (index, label) in diagnostic.labels.iter().enumerate() {
            let text = (!label.message.is_empty()).then(|| label.message.clone());
            if Some(&label.file) == primary_file.as_ref() {
                let labeled = if index == 0 {
                    LabeledSpan::new_primary_with_span(text, label.span)
                } else {
                    LabeledSpan::new_with_span(text, label.span)
                };
                labels.push(labeled);
            } else {
                related.push(MietteRelated {
                    message: label.message.clone(),
                    file: named_source(&label.file),
                    label: LabeledSpan::new_with_span(None, label.span),
                });
            }
        }
        MietteView {
            diagnostic,
            file: primary_file.as_ref().map(named_source),
            labels,
            related,
        }
    }
}

fn named_source(file: &SourceFile) -> NamedSource<SourceText> {
    NamedSource::new(&file.name, SourceText(file.clone())).with_language("vigil")
}

/// The text of a [`SourceFile`], readable by miette.
#[derive(Debug, Clone)]
struct SourceText(SourceFile);

impl miette::SourceCode for SourceText {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let contents =
            self.0
                .text
                .as_ref()
                .read_span(span, context_lines_before, context_lines_after)?;
        // miette's reader for `str` reports as `line_count` the number of the last line it read,
        // not how many lines it read. The graphical handler adds it to the first line to decide
        // whether two labels' snippets overlap, so two labels far apart in a long file would be
        // drawn as one snippet of every line between them. Report the true count.
        let data = contents.data();
        let lines = data.iter().filter(|byte| **byte == b'\n').count() + 1;
        Ok(Box::new(miette::MietteSpanContents::new(
            data,
            *contents.span(),
            contents.line(),
            contents.column(),
            lines,
        )))
    }
}

impl fmt::Debug for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for MietteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for MietteView<'_> {}

impl miette::Diagnostic for MietteView<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.file.as_ref().map(|f| f as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

/// A label in another file, shown as a related report.
struct MietteRelated {
    message: String,
    file: NamedSource<SourceText>,
    label: LabeledSpan,
}

impl fmt::Debug for MietteRelated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for MietteRelated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for MietteRelated {}

impl miette::Diagnostic for MietteRelated {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.file)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(self.label.clone())))
    }
}
