//! The `vigil` binary: parse the command line, run the subcommand, exit with its status.

mod cli;

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    cli::run(cli::Cli::parse())
}
