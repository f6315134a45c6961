//! `vigil corpus`: generate a corpus of transactions from a library's schema and tables, for
//! `vigil diff` to evaluate under two versions of the law.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::Args;
use vigil::eval::corpus::{generate, CorpusConfig};

use super::{library, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Generate transactions (JSONL, one a line) from the library's schema: enumeration values, the
countries and ECCNs its tables and conditions name, dates on and just before every `effective`
and `until` date, the numbers its conditions compare with, and party names from its screening
tables. Generation keeps the candidates that fire a rule no earlier transaction fired until every
rule has fired (or the attempts run out), then fills the corpus with random transactions. The
same library, count and seed always give the same bytes.

Standard error tells how many of the library's rules the corpus fires, and names the others.

Examples:
    vigil corpus policies --count 2000 --seed 1 --out corpus.jsonl
    vigil diff git:main:policies policies --corpus corpus.jsonl";

/// Generate a corpus of transactions that exercises every rule.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct CorpusArgs {
    /// Policy files or directories [default: `policies/` if it exists, else the current
    /// directory]
    pub paths: Vec<PathBuf>,

    /// How many transactions to generate
    #[arg(long, default_value_t = 1000)]
    pub count: usize,

    /// The seed of the random choices: the same seed gives the same corpus
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write the corpus to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Load a data table the policies declare `load from input "NAME"` (repeatable)
    #[arg(long = "data", value_name = "NAME=PATH", value_parser = super::diff::parse_data)]
    pub data: Vec<(String, PathBuf)>,
}

pub fn run(args: &CorpusArgs) -> u8 {
    let paths = super::files::paths_or_default(&args.paths);
    let Some(evaluator) = library::compile_paths(&paths, &args.data).and_then(library::evaluator)
    else {
        return EXIT_USAGE;
    };
    if evaluator.engine().program().schema.is_none() {
        eprintln!("error: the library declares no `schema`, so there is nothing to generate");
        return EXIT_USAGE;
    }
    let corpus = generate(
        &evaluator,
        CorpusConfig {
            count: args.count,
            seed: args.seed,
        },
    );
    let mut text = String::new();
    for transaction in &corpus.transactions {
        text.push_str(&serde_json::to_string(transaction).unwrap_or_default());
        text.push('\n');
    }
    let written = match &args.out {
        Some(path) => std::fs::write(path, text.as_bytes())
            .map_err(|error| format!("cannot write `{}`: {error}", path.display())),
        None => {
            let mut out = io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write the output: {error}"))
                }
                _ => Ok(()),
            }
        }
    };
    if let Err(message) = written {
        eprintln!("error: {message}");
        return EXIT_FAILURE;
    }
    eprintln!(
        "{} transactions; they fire {} of the {} rules",
        corpus.transactions.len(),
        corpus.rules - corpus.unfired.len(),
        corpus.rules
    );
    for rule in &corpus.unfired {
        eprintln!("  no transaction fires {rule}");
    }
    EXIT_OK
}
