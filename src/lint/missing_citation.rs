//! W0001: a rule without a citation.
//!
//! What it finds: a rule with no `cite` clause.
//!
//! Why it matters: every rule encodes a paragraph of a regulation, and the decision record
//! quotes the citation to explain the decision. A rule without one cannot be traced back to the
//! law, and a reviewer cannot tell whether it is still right when the regulation changes.
//!
//! Example:
//!
//! ```vigil
//! rule cc1_license
//!   when destination in cc_column_1_countries      # which paragraph says so?
//!   then license is required
//! end
//! ```
//!
//! Fix: `cite "15 CFR 742.7(a)(1)"`.

use super::label;
use crate::diagnostic::{Code, Diagnostic};
use crate::semantic::ir::Program;

pub(crate) fn check(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    for rule in &program.rules {
        if rule.cite.is_some() {
            continue;
        }
        let diagnostic = Diagnostic::warning(
            Code::W0001,
            format!("the rule `{}` cites no regulation", rule.name),
        );
        let diagnostic = label(program, diagnostic, rule.location, "no `cite` clause");
        let policy_cite = program
            .policies
            .get(rule.policy.index())
            .and_then(|p| p.cite.as_deref());
        let help = match policy_cite {
            Some(cite) => format!("add the paragraph the rule encodes, for example `cite \"{cite}(...)\"`; decision records quote it"),
            None => "add the paragraph the rule encodes, for example `cite \"15 CFR 742.7(a)(1)\"`; decision records quote it".to_string(),
        };
        diagnostics.push(diagnostic.with_help(help));
    }
}
