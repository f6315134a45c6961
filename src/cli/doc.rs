//! `vigil doc`: write the policy library as a static site (HTML or Markdown) for the people
//! who review the law rather than the code.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use vigil::diagnostic;
use vigil::doc::{DocConfig, Format};

use super::{files, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Write the policy library as a document lawyers can read without reading code: an index by
authority, a page per policy with each rule in plain English (when it applies, what it decides,
its `because` sentence, its documentation, its citation linked to the official text, its
effective dates and the exceptions that override it), a page per table, the decisions and the
vocabulary of the transaction. Each policy page shows the slice of the decision graph it
contributes.

The HTML site works offline from the files alone (open index.html), has a search box over rule
titles and citations, and prints cleanly. `--format markdown` writes the same pages as Markdown,
with the graphs as SVG files.

Exit status: 0 when the site is written; 1 when the policies do not compile or a file cannot be
written; 2 when a path does not exist.

Examples:
    vigil doc policies/ --out target/doc
    vigil doc policies/ --out target/doc-md --format markdown";

/// The output formats of `vigil doc`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// A static HTML site.
    Html,
    /// A tree of Markdown files.
    Markdown,
}

/// Write the policy library as a readable document.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct DocArgs {
    /// Policy files or directories [default: `policies/` if it exists, else the current
    /// directory]
    pub paths: Vec<PathBuf>,

    /// The directory to write the site to (created if needed)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The output format
    #[arg(long, value_enum, default_value_t = DocFormat::Html)]
    pub format: DocFormat,

    /// The title shown on every page
    #[arg(long, default_value = "Policy library")]
    pub title: String,
}

pub fn run(args: &DocArgs) -> u8 {
    let paths = files::paths_or_default(&args.paths);
    let loaded = match files::load(&paths) {
        Ok(loaded) => loaded,
        Err(files::MissingPath(path)) => {
            eprintln!("error: `{}` does not exist", path.display());
            return EXIT_USAGE;
        }
    };
    let mut loader = files::FileLoader::default();
    let (compiled, mut diagnostics) = vigil::compile(loaded.files, &mut loader);
    diagnostics.extend(loaded.diagnostics);
    let render = diagnostic::RenderConfig {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
    };
    let Some(compiled) = compiled.filter(|_| !diagnostics.iter().any(|d| d.is_error())) else {
        for d in &diagnostics {
            eprint!("{}", diagnostic::render_human(d, render));
        }
        eprintln!("error: the policies do not compile, so no document was written");
        return EXIT_FAILURE;
    };
    let config = DocConfig {
        format: match args.format {
            DocFormat::Html => Format::Html,
            DocFormat::Markdown => Format::Markdown,
        },
        title: args.title.clone(),
    };
    let output = vigil::doc::generate(&compiled.program, &config);
    for file in &output {
        let path = args.out.join(&file.path);
        if let Some(parent) = path.parent() {
            if let Err(error) = std::fs::create_dir_all(parent) {
                eprintln!("error: cannot create `{}`: {error}", parent.display());
                return EXIT_FAILURE;
            }
        }
        if let Err(error) = std::fs::write(&path, &file.bytes) {
            eprintln!("error: cannot write `{}`: {error}", path.display());
            return EXIT_FAILURE;
        }
    }
    let start = match args.format {
        DocFormat::Html => "index.html",
        DocFormat::Markdown => "index.md",
    };
    println!(
        "wrote {} files to {}; start at {}",
        output.len(),
        args.out.display(),
        args.out.join(start).display()
    );
    EXIT_OK
}
