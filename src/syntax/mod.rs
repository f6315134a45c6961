//! Text to syntax tree. pest never leaves this module: everything it returns is the owned AST
//! of [`ast`] and [`Diagnostic`]s.

pub mod ast;
mod expected;
mod lower;
mod parser;
pub mod scan;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;

pub use parser::too_large;

/// Parses one file. Returns the declarations that parsed and a diagnostic for every one that
/// did not; a broken declaration never hides the ones after it.
pub fn parse(file: &SourceFile) -> (ast::File, Vec<Diagnostic>) {
    parser::parse(file)
}
