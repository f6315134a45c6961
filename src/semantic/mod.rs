//! Semantic analysis: syntax trees in, the checked program ([`ir::Program`]) out.
//!
//! The passes, in order (each reports every problem it finds and goes on):
//!
//! 1. [`imports`]: find every imported file, loading the missing ones through the [`Loader`].
//! 2. [`declare`]: give every declaration an id and a place in its file's scope; report
//!    duplicates.
//! 3. [`types`]: resolve the types of schema and record fields, table columns and decisions.
//! 4. [`tables`]: check inline rows and load data files ([`data`]) against the columns.
//! 5. [`rules`]: dates, exceptions, conditions ([`exprs`]), outcomes and `because` sentences;
//!    exception cycles; tests.
//! 6. [`decisions`]: how outcomes combine, and conflicts no combination resolves.
//!
//! The library does no I/O: a [`Loader`] supplied by the caller reads imported files and data
//! files. Semantic analysis knows nothing of evaluation.

pub mod country;
pub mod data;
mod decisions;
mod declare;
pub mod eccn;
mod exprs;
pub mod imports;
pub mod ir;
pub mod paths;
mod rules;
mod sets;
mod tables;
mod types;
pub mod value;

use std::collections::HashMap;
use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};
use crate::syntax::ast;
use ir::{DecisionId, EnumId, FileId, Location, PolicyId, Program, RecordId, RuleId, TableId};

/// Reads the files a policy names: imported policy files, data files of tables, and data
/// supplied at run time. The command line implements it with the file system; tests and
/// embedders may serve files from memory.
///
/// Each method returns `None` when the caller does not supply files of that kind at all (then
/// the library checks what it was given and skips the rest), `Some(Err(reason))` when the file
/// cannot be read, and the file otherwise.
pub trait Loader {
    /// A policy file named by an `import`; `path` is the import resolved against the importing
    /// file's own path and normalised (see [`paths::resolve`]).
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>>;

    /// A data file named by `load from "FILE"`, resolved the same way.
    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>>;

    /// The data supplied for `load from input "NAME"` (`vigil eval --data NAME=PATH`).
    fn input(&mut self, name: &str) -> Option<Result<SourceFile, String>>;
}

/// A [`Loader`] that supplies nothing: imports must be among the files given, and tables that
/// load data stay empty (their `load` clauses are checked, not read).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFiles;

impl Loader for NoFiles {
    fn policy_file(&mut self, _path: &str) -> Option<Result<SourceFile, String>> {
        None
    }

    fn data_file(&mut self, _path: &str) -> Option<Result<SourceFile, String>> {
        None
    }

    fn input(&mut self, _name: &str) -> Option<Result<SourceFile, String>> {
        None
    }
}

/// Runs a recursive step with enough stack: conditions nest as deep as their authors (or
/// generators) write them, and a recursion over a deep expression must not overflow the stack.
pub(crate) fn with_stack<R>(step: impl FnOnce() -> R) -> R {
    // Grow by a megabyte whenever less than 64 KiB remain.
    stacker::maybe_grow(64 * 1024, 1024 * 1024, step)
}

/// Checks a set of parsed files (with [`imports::follow`] already run) and builds the program.
/// Returns the program, complete as far as the errors allow, and every diagnostic.
pub fn analyze(set: &imports::FileSet, loader: &mut dyn Loader) -> (Program, Vec<Diagnostic>) {
    let mut context = Context::new(set, loader);
    context.declare_all();
    context.resolve_types();
    context.check_tables();
    context.check_rules();
    context.check_exception_cycles();
    context.check_decisions();
    context.check_tests();
    (context.program, context.diagnostics)
}

/// A declaration that has a name in a file's scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Decl {
    Enum(EnumId),
    Record(RecordId),
    Schema(RecordId),
    Decision(DecisionId),
    Table(TableId),
}

/// What a name means in a file.
pub(crate) enum Lookup {
    Found(Decl),
    /// Declared in several imported files.
    Ambiguous(Vec<(FileId, Decl)>),
    /// Declared in a file this one does not import.
    NotImported(FileId, Decl),
    NotFound,
}

/// One file's names.
#[derive(Default)]
pub(crate) struct FileScope {
    /// The file's own declarations (at the top and inside its policies).
    pub own: HashMap<Arc<str>, Decl>,
    /// The files it imports.
    pub imports: Vec<FileId>,
}

/// The syntax of declarations that later passes still have to check, by id.
#[derive(Default)]
pub(crate) struct Pending<'a> {
    pub records: Vec<&'a ast::RecordDecl>,
    pub decisions: Vec<&'a ast::DecisionDecl>,
    pub tables: Vec<&'a ast::TableDecl>,
    pub rules: Vec<&'a ast::RuleDecl>,
    pub tests: Vec<&'a ast::TestDecl>,
}

/// The state shared by the passes.
pub(crate) struct Context<'a> {
    pub set: &'a imports::FileSet,
    pub loader: &'a mut dyn Loader,
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
    pub scopes: Vec<FileScope>,
    /// Every declaration of the program by name, to tell "not imported" from "unknown".
    pub global: HashMap<Arc<str>, Vec<(FileId, Decl)>>,
    pub pending: Pending<'a>,
    /// Where the schema was declared, by file.
    pub schema_file: Option<FileId>,
    /// Compiled sets of table columns, so each column is compiled once.
    pub column_sets: HashMap<(TableId, u16), ir::SetId>,
    /// The last span [`Context::locate`] tightened, and the result.
    pub last_located: std::cell::Cell<Option<(FileId, Span, Span)>>,
    /// Policies by name, to find a second declaration.
    pub policy_names: HashMap<Arc<str>, PolicyId>,
    /// Rule ids by policy and short name, for `exception to NAME` within a policy.
    pub rules_by_policy: HashMap<(PolicyId, Arc<str>), RuleId>,
}

impl<'a> Context<'a> {
    fn new(set: &'a imports::FileSet, loader: &'a mut dyn Loader) -> Self {
        let program = Program {
            files: set.files.iter().map(|(file, _)| file.clone()).collect(),
            ..Program::default()
        };
        let scopes = set
            .imports
            .iter()
            .map(|imports| FileScope {
                own: HashMap::new(),
                imports: imports.iter().map(|&i| FileId::from_index(i)).collect(),
            })
            .collect();
        Context {
            set,
            loader,
            program,
            diagnostics: Vec::new(),
            scopes,
            global: HashMap::new(),
            pending: Pending::default(),
            schema_file: None,
            column_sets: HashMap::new(),
            rules_by_policy: HashMap::new(),
            policy_names: HashMap::new(),
            last_located: std::cell::Cell::new(None),
        }
    }

    /// The source file with this id (a placeholder if there is none, which would be a bug).
    pub fn source(&self, file: FileId) -> SourceFile {
        self.program
            .files
            .get(file.index())
            .cloned()
            .unwrap_or_else(|| SourceFile::new("<unknown>", ""))
    }

    /// An error with its primary label.
    pub fn error(
        &self,
        code: Code,
        message: impl Into<String>,
        at: Location,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic::error(code, message).with_label(&self.source(at.file), at.span, label)
    }

    /// Adds a secondary label to a diagnostic.
    pub fn also(
        &self,
        diagnostic: Diagnostic,
        at: Location,
        label: impl Into<String>,
    ) -> Diagnostic {
        diagnostic.with_label(&self.source(at.file), at.span, label)
    }

    /// Records a diagnostic.
    pub fn report(&mut self, mut diagnostic: Diagnostic) {
        // Messages are written "a `TYPE`" with the type filled in; fix the article for types
        // that start with a vowel ("an `integer`").
        diagnostic.message = fix_articles(&diagnostic.message);
        diagnostic.help = diagnostic.help.as_deref().map(fix_articles);
        for label in &mut diagnostic.labels {
            label.message = fix_articles(&label.message);
        }
        self.diagnostics.push(diagnostic);
    }

    /// A location in a file.
    pub fn at(file: FileId, span: Span) -> Location {
        Location { file, span }
    }

    /// A location whose span is trimmed of the blanks and comments the parser may leave at the
    /// end of an expression, so that labels underline only the text itself.
    pub fn locate(&self, file: FileId, span: Span) -> Location {
        // `not not not x` gives every `not` the same span: remember the last answer.
        if let Some((last_file, last_span, tightened)) = self.last_located.get() {
            if last_file == file && last_span == span {
                return Location {
                    file,
                    span: tightened,
                };
            }
        }
        let tightened = match self.program.files.get(file.index()) {
            Some(source) => tight(&source.text, span),
            None => span,
        };
        self.last_located.set(Some((file, span, tightened)));
        Location {
            file,
            span: tightened,
        }
    }

    /// What a name means in a file: its own declarations first, then the files it imports.
    pub fn lookup(&self, file: FileId, name: &str) -> Lookup {
        let Some(scope) = self.scopes.get(file.index()) else {
            return Lookup::NotFound;
        };
        if let Some(decl) = scope.own.get(name) {
            return Lookup::Found(*decl);
        }
        let mut found: Vec<(FileId, Decl)> = Vec::new();
        for imported in &scope.imports {
            if let Some(decl) = self
                .scopes
                .get(imported.index())
                .and_then(|s| s.own.get(name))
            {
                if !found.iter().any(|(_, d)| d == decl) {
                    found.push((*imported, *decl));
                }
            }
        }
        match found.len() {
            0 => match self.global.get(name).and_then(|all| all.first()) {
                Some((declared_in, decl)) => Lookup::NotImported(*declared_in, *decl),
                None => Lookup::NotFound,
            },
            1 => found
                .first()
                .map_or(Lookup::NotFound, |(_, decl)| Lookup::Found(*decl)),
            _ => Lookup::Ambiguous(found),
        }
    }

    /// Every name visible in a file, for "did you mean" suggestions.
    pub fn visible_names(&self, file: FileId) -> Vec<Arc<str>> {
        let Some(scope) = self.scopes.get(file.index()) else {
            return Vec::new();
        };
        let mut names: Vec<Arc<str>> = scope.own.keys().cloned().collect();
        for imported in &scope.imports {
            if let Some(other) = self.scopes.get(imported.index()) {
                names.extend(other.own.keys().cloned());
            }
        }
        names
    }

    /// Whether the schema is visible in a file.
    pub fn schema_visible(&self, file: FileId) -> bool {
        match self.schema_file {
            Some(schema_file) => {
                schema_file == file
                    || self
                        .scopes
                        .get(file.index())
                        .is_some_and(|s| s.imports.contains(&schema_file))
            }
            None => false,
        }
    }

    /// The location a declaration was written at.
    pub fn decl_location(&self, decl: Decl) -> Option<Location> {
        match decl {
            Decl::Enum(id) => self.program.enumeration(id).map(|e| e.location),
            Decl::Record(id) | Decl::Schema(id) => self.program.record(id).map(|r| r.location),
            Decl::Decision(id) => self.program.decision(id).map(|d| d.location),
            Decl::Table(id) => self.program.table(id).map(|t| t.location),
        }
    }

    /// How a declaration is called in messages: "the table `x`".
    pub fn decl_description(&self, decl: Decl) -> String {
        match decl {
            Decl::Enum(id) => format!(
                "the enum `{}`",
                self.program.enumeration(id).map_or("?", |e| &*e.name)
            ),
            Decl::Record(id) => format!(
                "the record `{}`",
                self.program.record(id).map_or("?", |r| &*r.name)
            ),
            Decl::Schema(id) => format!(
                "the schema `{}`",
                self.program.record(id).map_or("?", |r| &*r.name)
            ),
            Decl::Decision(id) => format!(
                "the decision `{}`",
                self.program.decision(id).map_or("?", |d| &*d.name)
            ),
            Decl::Table(id) => format!(
                "the table `{}`",
                self.program.table(id).map_or("?", |t| &*t.name)
            ),
        }
    }

    /// The diagnostic for a name declared in a file that is not imported.
    pub fn not_imported(
        &self,
        name: &str,
        used: Location,
        declared_in: FileId,
        decl: Decl,
    ) -> Diagnostic {
        let from = self.source(used.file);
        let to = self.source(declared_in);
        let relative = paths::relative(&from.name, &to.name);
        let mut diagnostic = self.error(
            Code::E0105,
            format!(
                "`{name}` is declared in `{}`, which this file does not import",
                to.name
            ),
            used,
            format!("{} is not visible here", self.decl_description(decl)),
        );
        if let Some(location) = self.decl_location(decl) {
            diagnostic = self.also(diagnostic, location, "declared here");
        }
        diagnostic.with_help(format!(
            "add `import \"{relative}\"` at the top of this file"
        ))
    }

    /// The diagnostic for a name declared in several imported files.
    pub fn ambiguous(
        &self,
        name: &str,
        used: Location,
        candidates: &[(FileId, Decl)],
    ) -> Diagnostic {
        let mut diagnostic = self.error(
            Code::E0103,
            format!("`{name}` is declared in several imported files"),
            used,
            "this name is ambiguous",
        );
        for (_, decl) in candidates {
            if let Some(location) = self.decl_location(*decl) {
                diagnostic = self.also(
                    diagnostic,
                    location,
                    format!("{} is declared here", self.decl_description(*decl)),
                );
            }
        }
        diagnostic.with_help(
            "rename one of the declarations, or import only the file whose declaration you mean",
        )
    }
}

/// `a `x`` becomes `an `x`` before a word that starts with a vowel.
fn fix_articles(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 4);
    let mut rest = text;
    while let Some(index) = rest.find("a `") {
        let (before, after) = rest.split_at(index);
        let starts_word = before.is_empty() || before.ends_with(' ') || before.ends_with('(');
        let vowel = after
            .get(3..)
            .and_then(|w| w.chars().next())
            .is_some_and(|c| matches!(c, 'a' | 'e' | 'i' | 'o' | 'A' | 'E' | 'I' | 'O'));
        out.push_str(before);
        out.push_str(if starts_word && vowel { "an `" } else { "a `" });
        rest = after.get(3..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// A span without trailing blanks or a trailing comment.
fn tight(text: &str, span: Span) -> Span {
    let Some(slice) = text.get(span.start as usize..span.end as usize) else {
        return span;
    };
    // Most spans end on their last token; only those that end in blanks need looking at (and
    // looking at every span's last line would make deeply nested one-line conditions
    // quadratic).
    if !slice.ends_with(|c: char| c.is_whitespace()) {
        return span;
    }
    let mut end = slice.len();
    loop {
        let trimmed = slice.get(..end).unwrap_or("").trim_end();
        end = trimmed.len();
        let line_start = trimmed.rfind('\n').map_or(0, |index| index + 1);
        let last_line = trimmed.get(line_start..).unwrap_or("");
        match comment_start(last_line) {
            Some(hash) => end = line_start + hash,
            None => break,
        }
    }
    Span::new(span.start as usize, span.start as usize + end)
}

/// Where a comment starts on a line, outside any string.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let mut escaped = false;
    for (index, character) in line.char_indices() {
        match character {
            _ if escaped => escaped = false,
            '\\' if in_string => escaped = true,
            '"' => in_string = !in_string,
            '#' if !in_string => return Some(index),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_agree_with_the_word() {
        assert_eq!(
            fix_articles("a `integer` and a `country`"),
            "an `integer` and a `country`"
        );
        assert_eq!(
            fix_articles("not a `eccn`, ta `x`"),
            "not an `eccn`, ta `x`"
        );
    }

    #[test]
    fn tight_spans_drop_trailing_blanks_and_comments() {
        let text = "a is 5  # note\n  then";
        let span = tight(text, Span::new(0, 17));
        assert_eq!(&text[span.start as usize..span.end as usize], "a is 5");
        let text = "x is \"#1\"\n";
        let span = tight(text, Span::new(0, text.len()));
        assert_eq!(&text[span.start as usize..span.end as usize], "x is \"#1\"");
    }
}
