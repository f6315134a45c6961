//! `vigil graph`: print the decision graph, or the slice of it one decision or rule depends
//! on, as Graphviz DOT, Mermaid or JSON.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use vigil::diagnostic;
use vigil::graph::render;

use super::files;
use super::output;
use super::{EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Print the decision graph of a policy library: the transaction fields and tables each condition
reads, the rules each condition feeds, the exceptions that override rules, and the decisions each
rule sets. Identical conditions written in several rules are one node. With --decision or --rule,
print only what that decision or rule depends on.

Render DOT with Graphviz (`dot -Tsvg`); paste Mermaid into Markdown; JSON lists the nodes, the
edges and the order in which rules and decisions are evaluated.

Exit status: 0 when the graph was printed; 1 when the policies have errors; 2 when the command
line is wrong or the decision or rule does not exist.

Examples:
    vigil graph policies/ --format dot | dot -Tsvg > graph.svg
    vigil graph --decision license --format mermaid
    vigil graph policies/bis/crime_control.vigil --rule bis.crime_control.cc1_license";

/// The output formats of `vigil graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
    /// Nodes, edges and evaluation order as JSON.
    Json,
}

/// Print the decision graph.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct GraphArgs {
    /// A policy file, or a directory searched recursively for `*.vigil` files [default:
    /// `policies/` if it exists, else the current directory]
    pub path: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,

    /// Print only what this decision depends on
    #[arg(long, conflicts_with = "rule", value_name = "NAME")]
    pub decision: Option<String>,

    /// Print only what this rule depends on (its full name, `policy.rule`)
    #[arg(long, value_name = "NAME")]
    pub rule: Option<String>,
}

pub fn run(args: &GraphArgs) -> u8 {
    let path = args.path.clone().unwrap_or_else(|| {
        let default = PathBuf::from("policies");
        if default.is_dir() {
            default
        } else {
            PathBuf::from(".")
        }
    });
    let loaded = match files::load(std::slice::from_ref(&path)) {
        Ok(loaded) => loaded,
        Err(files::MissingPath(path)) => {
            eprintln!("error: `{}` does not exist", path.display());
            eprintln!("  help: give a policy file or a directory containing `.vigil` files");
            return EXIT_USAGE;
        }
    };
    let (compiled, mut diagnostics) =
        vigil::compile(loaded.files, &mut files::FileLoader::default());
    diagnostics.extend(loaded.diagnostics);
    diagnostic::sort(&mut diagnostics);
    let config = output::stderr_render_config();
    let Some(compiled) = compiled.filter(|_| !diagnostics.iter().any(|d| d.is_error())) else {
        for diagnostic in diagnostics.iter().filter(|d| d.is_error()) {
            eprint!("{}", diagnostic::render_human(diagnostic, config));
            eprintln!();
        }
        eprintln!("error: the policies have errors, so there is no graph to print; `vigil check` lists them");
        return EXIT_FAILURE;
    };
    let (program, graph) = (&compiled.program, &compiled.graph);
    let slice = if let Some(name) = &args.decision {
        let Some(node) = program
            .decision_named(name)
            .and_then(|d| graph.decision_node(d))
        else {
            let names: Vec<&str> = program.decisions.iter().map(|d| &*d.name).collect();
            eprintln!("error: no decision is named `{name}`");
            match vigil::suggest::closest(name, names.iter().copied()) {
                Some(close) => eprintln!("  help: did you mean `{close}`?"),
                None => eprintln!("  help: the decisions are: {}", names.join(", ")),
            }
            return EXIT_USAGE;
        };
        Some(graph.slice(&[node]))
    } else if let Some(name) = &args.rule {
        let Some(node) = program.rule_named(name).and_then(|r| graph.rule_node(r)) else {
            eprintln!("error: no rule is named `{name}`");
            match vigil::suggest::closest(name, program.rules.iter().map(|r| &*r.name)) {
                Some(close) => eprintln!("  help: did you mean `{close}`?"),
                None => eprintln!("  help: give the rule's full name, `policy.rule`, as `vigil check` and decision records show it"),
            }
            return EXIT_USAGE;
        };
        Some(graph.slice(&[node]))
    } else {
        None
    };
    let text = match args.format {
        GraphFormat::Dot => render::dot(program, graph, slice.as_deref()),
        GraphFormat::Mermaid => render::mermaid(program, graph, slice.as_deref()),
        GraphFormat::Json => render::json(program, graph, slice.as_deref()),
    };
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    EXIT_OK
}
