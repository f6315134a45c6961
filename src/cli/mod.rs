//! The command line: one file per subcommand. This is the only place that reads files, prints
//! or looks at the terminal.

mod check;
mod corpus;
mod diff;
mod doc;
mod eval;
mod explain;
mod files;
mod fmt;
mod graph;
mod input;
mod junit;
mod library;
mod output;
mod test;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status: everything checked or evaluated without error.
pub const EXIT_OK: u8 = 0;
/// Exit status: a policy has errors, or an input was rejected.
pub const EXIT_FAILURE: u8 = 1;
/// Exit status: the command line itself is wrong, or a named file does not exist.
pub const EXIT_USAGE: u8 = 2;

const ABOUT: &str =
    "A policy-as-code compiler and checker for export controls and human-rights due diligence";

const LONG_ABOUT: &str = "\
Vigil reads policies written in its own language -- the rules of the U.S. Export Administration
Regulations, the ITA human-rights addendum and the State Department's surveillance due-diligence
guidance -- checks them, and explains every decision with the rule, its citation and its source
lines.

Policy files end in `.vigil`. Each rule says when it applies, what it decides, which regulation it
encodes and why:

    policy bis.crime_control \"Crime control\"
      authority \"Bureau of Industry and Security\"
      cite \"15 CFR 742.7\"

      rule cc1_license \"License for CC Column 1 items\"
        cite \"15 CFR 742.7(a)(1)\"
        when any item in items where item.eccn in cc_column_1_eccns
        then license is required
        because \"{item.eccn} is controlled for CC Column 1\"
      end
    end

The language is documented in docs/language.md; every diagnostic code has a page in
docs/errors/.";

/// The `vigil` command line.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about = ABOUT, long_about = LONG_ABOUT, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    Eval(eval::EvalArgs),
    Check(check::CheckArgs),
    Test(test::TestArgs),
    Fmt(fmt::FmtArgs),
    Diff(diff::DiffArgs),
    Corpus(corpus::CorpusArgs),
    Graph(graph::GraphArgs),
    Doc(doc::DocArgs),
}

/// Runs a parsed command line and returns the process's exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Doc(args) => doc::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Corpus(args) => corpus::run(&args),
        Command::Test(args) => test::run(&args),
        Command::Fmt(args) => fmt::run(&args),
    };
    ExitCode::from(status)
}
