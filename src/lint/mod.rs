//! Lints: checks of a program that compiles, for things that are legal but probably wrong.
//! Each lint is one file with a header saying what it finds, why it matters and an example;
//! each reports warnings with its own code.
//!
//! Lints read the checked program only; they run after semantic analysis has found no errors,
//! so they never repeat an error in other words.

mod missing_citation;
mod never_fires;
mod overlapping_rows;
mod shadowed;
pub(crate) mod structure;
mod unused;

use crate::diagnostic::Diagnostic;
use crate::semantic::ir::{Location, Program};

/// Runs every lint over a program.
pub fn run(program: &Program) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    missing_citation::check(program, &mut diagnostics);
    unused::check(program, &mut diagnostics);
    never_fires::check(program, &mut diagnostics);
    shadowed::check(program, &mut diagnostics);
    overlapping_rows::check(program, &mut diagnostics);
    diagnostics
}

/// Adds a label at a location of the program.
pub(crate) fn label(
    program: &Program,
    diagnostic: Diagnostic,
    location: Location,
    text: impl Into<String>,
) -> Diagnostic {
    match program.file(location.file) {
        Some(file) => diagnostic.with_label(file, location.span, text),
        None => diagnostic,
    }
}
