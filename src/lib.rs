//! Vigil: a policy-as-code compiler and checker for export controls and human-rights due
//! diligence.
//!
//! The pipeline, stage by stage (each a module, each returning its result *and* every
//! diagnostic it found):
//!
//! ```text
//! text ──syntax::parse──▶ AST ──semantic (issue 3)──▶ checked IR ──graph──▶ decision graph ──eval──▶ records
//! ```
//!
//! [`check`] runs the front end over a set of files. The library does no I/O and prints
//! nothing; reading files and writing output is the job of the `vigil` binary's `cli` module.

pub mod date;
pub mod diagnostic;
pub mod fmt;
pub mod library;
pub mod screen;
pub mod source;
pub mod suggest;
pub mod syntax;

use diagnostic::Diagnostic;
use source::SourceFile;

/// The result of checking a set of policy files.
#[derive(Debug, Default)]
pub struct Checked {
    /// Each file with its syntax tree, in the order given.
    pub files: Vec<(SourceFile, syntax::ast::File)>,
    /// Every diagnostic, ordered by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses and checks every file, collecting every diagnostic.
pub fn check(files: Vec<SourceFile>) -> Checked {
    let mut checked = Checked::default();
    for file in files {
        let (ast, diagnostics) = syntax::parse(&file);
        checked.diagnostics.extend(diagnostics);
        checked.files.push((file, ast));
    }
    diagnostic::sort(&mut checked.diagnostics);
    checked
}
