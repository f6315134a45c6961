//! Vigil: a policy-as-code compiler and checker for export controls and human-rights due
//! diligence.
//!
//! The pipeline, stage by stage (each a module, each returning its result *and* every
//! diagnostic it found):
//!
//! ```text
//! text ──syntax::parse──▶ AST ──semantic::analyze──▶ checked IR ──graph──▶ decision graph ──eval──▶ records
//!                                                          └──lint──▶ warnings
//! ```
//!
//! [`check`] runs every stage up to the lints over a set of files and reports; [`compile`]
//! builds the program the evaluator runs. The library does no I/O and prints nothing: reading
//! files (imports, data files) goes through a [`semantic::Loader`] the caller supplies, and
//! writing output is the job of the `vigil` binary's `cli` module.

pub mod date;
pub mod diagnostic;
pub mod doc;
pub mod eval;
pub mod fmt;
pub mod graph;
pub mod hash;
pub mod library;
pub mod lint;
pub mod screen;
pub mod semantic;
pub mod source;
pub mod suggest;
pub mod syntax;

use diagnostic::Diagnostic;
use semantic::ir::Program;
use semantic::Loader;
use source::SourceFile;

/// The result of checking a set of policy files.
#[derive(Debug, Default)]
pub struct Checked {
    /// Each file with its syntax tree: those given, in order, then those loaded for imports.
    pub files: Vec<(SourceFile, syntax::ast::File)>,
    /// The compiled program, when there were no errors.
    pub compiled: Option<Compiled>,
    /// Every diagnostic, ordered by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A program ready to evaluate: the checked IR and its decision graph, with the evaluation
/// order.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub program: Program,
    pub graph: graph::DecisionGraph,
}

/// Parses, checks and lints every file, collecting every diagnostic. Imports must be among the
/// files given, and data files are not read; see [`check_with`].
pub fn check(files: Vec<SourceFile>) -> Checked {
    check_with(files, &mut semantic::NoFiles)
}

/// Like [`check`], reading imported files and data files through `loader`.
pub fn check_with(files: Vec<SourceFile>, loader: &mut dyn Loader) -> Checked {
    let (set, compiled, mut diagnostics) = pipeline(files, loader);
    if let Some(compiled) = &compiled {
        diagnostics.extend(lint::run(&compiled.program));
    }
    diagnostic::sort(&mut diagnostics);
    Checked {
        files: set.files,
        compiled,
        diagnostics,
    }
}

/// Compiles policy files into a program. Returns the program when there are no errors, and
/// every diagnostic (errors and warnings from loading data) either way.
pub fn compile(
    files: Vec<SourceFile>,
    loader: &mut dyn Loader,
) -> (Option<Compiled>, Vec<Diagnostic>) {
    let (_, compiled, mut diagnostics) = pipeline(files, loader);
    diagnostic::sort(&mut diagnostics);
    (compiled, diagnostics)
}

fn pipeline(
    files: Vec<SourceFile>,
    loader: &mut dyn Loader,
) -> (
    semantic::imports::FileSet,
    Option<Compiled>,
    Vec<Diagnostic>,
) {
    let mut diagnostics = Vec::new();
    let mut parsed = Vec::with_capacity(files.len());
    for file in files {
        let (tree, syntax_diagnostics) = syntax::parse(&file);
        diagnostics.extend(syntax_diagnostics);
        parsed.push((file, tree));
    }
    let (set, import_diagnostics) = semantic::imports::follow(parsed, loader);
    diagnostics.extend(import_diagnostics);
    let (program, semantic_diagnostics) = semantic::analyze(&set, loader);
    diagnostics.extend(semantic_diagnostics);
    if diagnostics.iter().any(Diagnostic::is_error) {
        // A program with errors has holes; its graph would only repeat them.
        return (set, None, diagnostics);
    }
    let (graph, graph_diagnostics) = graph::build(&program);
    diagnostics.extend(graph_diagnostics);
    let compiled = if diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        Some(Compiled { program, graph })
    };
    (set, compiled, diagnostics)
}
