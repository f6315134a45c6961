//! `vigil diff`: compare two versions of a policy library, rule by rule and on a corpus of
//! transactions, so that a change to the law shows every decision it changes.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use serde_json::{json, Value as Json};
use vigil::eval::diff::{
    compare_decisions, structural_diff, Side, StructuralDiff, TransactionChange,
};
use vigil::eval::{DecisionRecord, Evaluator, InputError, Outcome, RunConfig};
use vigil::semantic::ir::Program;
use vigil::source::SourceFile;

use super::input::{self, Body, InputItem, InputKind};
use super::{library, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Compare two versions of a policy library. OLD and NEW are each a directory of policy files, or
`git:REV:DIR` for the directory DIR as it was at git revision REV (`git:main:policies`,
`git:HEAD~1:policies`); DIR is relative to the current directory, which must be inside the
repository.

The report has two parts. The structural summary lists the rules added, removed and changed (a
rule changed when its condition, outcomes, explanation, citation, priority, exceptions or
effective dates changed) and the tables whose rows changed. With `--corpus`, every transaction
of the corpus is evaluated under both versions, and each one whose decisions changed is listed
with the old and new value of each decision and the rules responsible: those that fired (or were
overridden, or lacked information) on one side and not on the other. `vigil corpus` makes a
corpus that exercises every rule.

Exit status: 0 when nothing changed; 1 when a rule, a table or a decision changed (so CI can
gate a change to the law); 2 for usage errors or policies that do not compile.

Examples:
    vigil diff git:main:policies policies --corpus corpus.jsonl
    vigil corpus policies --count 2000 --seed 1 --out corpus.jsonl
    vigil diff old-policies/ policies/ --corpus corpus.jsonl --format json";

/// How the report is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For people.
    Human,
    /// One JSON document.
    Json,
}

/// Compare two versions of a policy library.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct DiffArgs {
    /// The old version: a directory, or `git:REV:DIR`
    pub old: String,

    /// The new version: a directory, or `git:REV:DIR`
    pub new: String,

    /// Transactions to evaluate under both versions (`.json`, `.jsonl`, `.yaml`)
    #[arg(long, value_name = "FILE")]
    pub corpus: Option<PathBuf>,

    /// Load a data table the policies declare `load from input "NAME"` (repeatable)
    #[arg(long = "data", value_name = "NAME=PATH", value_parser = parse_data)]
    pub data: Vec<(String, PathBuf)>,

    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: DiffFormat,
}

pub fn parse_data(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "`{text}` is not NAME=PATH (for example `csl=consolidated.json`)"
        )),
    }
}

/// One transaction whose decisions changed.
struct Changed {
    label: String,
    date: Option<String>,
    change: TransactionChange,
}

pub fn run(args: &DiffArgs) -> u8 {
    let corpus_kind = match &args.corpus {
        Some(path) => match InputKind::of(path) {
            Ok(InputKind::Stdin) => Some(InputKind::Stdin),
            Ok(kind) if path.is_file() => Some(kind),
            Ok(_) => {
                eprintln!(
                    "error: `--corpus {}`: the file does not exist",
                    path.display()
                );
                return EXIT_USAGE;
            }
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_USAGE;
            }
        },
        None => None,
    };
    // The temporary copies of git revisions live until the comparison is done.
    let (old_source, _old_copy) = match prepare(&args.old) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let (new_source, _new_copy) = match prepare(&args.new) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    let (Some(old), Some(new)) = (
        compile(&old_source, &args.data),
        compile(&new_source, &args.data),
    ) else {
        return EXIT_USAGE;
    };
    let structure = structural_diff(old.engine().program(), new.engine().program());
    let mut evaluated = 0;
    let mut changed: Vec<Changed> = Vec::new();
    if let (Some(path), Some(kind)) = (&args.corpus, corpus_kind) {
        let mut sink = |chunk: Vec<InputItem>| -> io::Result<()> {
            let first = evaluated;
            evaluated += chunk.len();
            let found: Vec<Changed> = chunk
                .into_par_iter()
                .enumerate()
                .filter_map(|(offset, item)| compare_item(&old, &new, item, first + offset + 1))
                .collect();
            changed.extend(found);
            Ok(())
        };
        if let Err(error) = input::read_chunks(path, kind, &mut sink) {
            let message = match error {
                input::ReadError::Io(e) | input::ReadError::Sink(e) => e.to_string(),
            };
            eprintln!("error: cannot read `{}`: {message}", path.display());
            return EXIT_USAGE;
        }
    }
    let text = match args.format {
        DiffFormat::Human => human(args, &structure, evaluated, &changed),
        DiffFormat::Json => json_report(args, &structure, evaluated, &changed),
    };
    let mut out = io::stdout().lock();
    if let Err(error) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the output: {error}");
            return EXIT_FAILURE;
        }
    }
    if structure.is_empty() && changed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    }
}

/// A library to compile: the directory, and for a git revision the label its files get.
struct Source {
    dir: PathBuf,
    /// For a copy of a git revision: the temporary directory's path, and what replaces it in
    /// file names (`REV:`), so that locations read `main:policies/bis/ccl.vigil:12`.
    relabel: Option<(String, String)>,
}

/// Resolves OLD or NEW: a directory as it is, or a git revision copied to a temporary
/// directory (returned too, so that it is removed when dropped).
fn prepare(spec: &str) -> Result<(Source, Option<TempDir>), String> {
    let Some(rest) = spec.strip_prefix("git:") else {
        let dir = PathBuf::from(spec);
        if !dir.exists() {
            return Err(format!("`{spec}` does not exist"));
        }
        return Ok((Source { dir, relabel: None }, None));
    };
    let Some((rev, dir)) = rest
        .split_once(':')
        .filter(|(r, d)| !r.is_empty() && !d.is_empty())
    else {
        return Err(format!(
            "`{spec}` is not `git:REV:DIR` (for example `git:main:policies`)"
        ));
    };
    let temp = TempDir::new()?;
    extract(rev, dir, temp.path())?;
    let copied = temp.path().join(dir);
    if !copied.is_dir() {
        return Err(format!(
            "`{dir}` is not a directory at git revision `{rev}`"
        ));
    }
    let prefix = format!("{}/", temp.path().display());
    Ok((
        Source {
            dir: copied,
            relabel: Some((prefix, format!("{rev}:"))),
        },
        Some(temp),
    ))
}

/// Writes DIR as it was at REV into `into`: `git archive REV -- DIR | tar -x -C into`.
fn extract(rev: &str, dir: &str, into: &Path) -> Result<(), String> {
    let mut archive = Command::new("git")
        .args(["archive", "--format=tar", rev, "--", dir])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("cannot run `git archive`: {error}"))?;
    let Some(tar_input) = archive.stdout.take() else {
        return Err("cannot read the output of `git archive`".into());
    };
    let unpacked = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(into)
        .stdin(tar_input)
        .stderr(Stdio::piped())
        .output()
        .map_err(|error| format!("cannot run `tar`: {error}"))?;
    let archived = archive
        .wait_with_output()
        .map_err(|error| format!("`git archive` failed: {error}"))?;
    if !archived.status.success() {
        let message = String::from_utf8_lossy(&archived.stderr);
        return Err(format!(
            "`git archive {rev} -- {dir}` failed: {}",
            message.trim()
        ));
    }
    if !unpacked.status.success() {
        let message = String::from_utf8_lossy(&unpacked.stderr);
        return Err(format!(
            "cannot unpack `{dir}` at `{rev}`: {}",
            message.trim()
        ));
    }
    Ok(())
}

/// Compiles one side, naming its files as the user knows them.
fn compile(source: &Source, inputs: &[(String, PathBuf)]) -> Option<Evaluator> {
    let mut compiled = library::compile_paths(std::slice::from_ref(&source.dir), inputs)?;
    if let Some((prefix, label)) = &source.relabel {
        relabel(&mut compiled.program, prefix, label);
    }
    library::evaluator(compiled)
}

fn relabel(program: &mut Program, prefix: &str, label: &str) {
    for file in &mut program.files {
        if let Some(rest) = file.name.strip_prefix(prefix) {
            *file = SourceFile::new(format!("{label}{rest}"), file.text.to_string());
        }
    }
}

/// Evaluates one input under both versions; `Some` when its decisions changed.
fn compare_item(
    old: &Evaluator,
    new: &Evaluator,
    item: InputItem,
    number: usize,
) -> Option<Changed> {
    let line = item.line;
    let (old_record, old_outcome, new_record, new_outcome) = match item.body {
        Body::Line(bytes) => {
            let (a, b) = old.evaluate_text(&bytes, None, RunConfig::default());
            let (c, d) = new.evaluate_text(&bytes, None, RunConfig::default());
            (a, b, c, d)
        }
        Body::Value(value) => {
            let (a, b) = old.evaluate_json(&value, None, RunConfig::default());
            let (c, d) = new.evaluate_json(&value, None, RunConfig::default());
            (a, b, c, d)
        }
        Body::Malformed(message) => {
            let rejected =
                |e: &Evaluator| e.rejected(Json::Null, vec![InputError::new("", message.clone())]);
            (rejected(old), None, rejected(new), None)
        }
    };
    let change = compare_decisions(
        &side(old, &old_record, old_outcome.as_ref()),
        &side(new, &new_record, new_outcome.as_ref()),
    )?;
    let position = match line {
        Some(line) => format!("line {line}"),
        None => format!("transaction {number}"),
    };
    let label = match &new_record.id {
        Json::String(id) => format!("{id} ({position})"),
        Json::Null => position,
        other => format!("{other} ({position})"),
    };
    Some(Changed {
        label,
        date: new_record.date.clone().or(old_record.date),
        change,
    })
}

fn side<'a>(
    evaluator: &'a Evaluator,
    record: &'a DecisionRecord,
    outcome: Option<&'a Outcome>,
) -> Side<'a> {
    Side {
        program: evaluator.engine().program(),
        record,
        outcome,
    }
}

fn human(
    args: &DiffArgs,
    structure: &StructuralDiff,
    evaluated: usize,
    changed: &[Changed],
) -> String {
    let mut out = format!("vigil diff {} → {}\n", args.old, args.new);
    out.push_str(&format!(
        "\nrules: {} changed, {} added, {} removed\n",
        structure.rules_changed.len(),
        structure.rules_added.len(),
        structure.rules_removed.len()
    ));
    for rule in &structure.rules_changed {
        out.push_str(&format!("  changed {} ({})\n", rule.rule, rule.at));
        for change in &rule.changes {
            out.push_str(&format!(
                "    {}: {} → {}\n",
                change.aspect,
                shown(&change.old),
                shown(&change.new)
            ));
        }
    }
    for rule in &structure.rules_added {
        out.push_str(&format!("  added {} ({})\n", rule.name, rule.at));
    }
    for rule in &structure.rules_removed {
        out.push_str(&format!("  removed {} ({})\n", rule.name, rule.at));
    }
    out.push_str(&format!(
        "\ntables: {} changed, {} added, {} removed\n",
        structure.tables_changed.len(),
        structure.tables_added.len(),
        structure.tables_removed.len()
    ));
    const ROWS_SHOWN: usize = 10;
    for table in &structure.tables_changed {
        out.push_str(&format!(
            "  changed {} ({}): {} added, {} removed\n",
            table.table,
            table.at,
            rows(table.rows_added.len()),
            rows(table.rows_removed.len())
        ));
        for row in table.rows_removed.iter().take(ROWS_SHOWN) {
            out.push_str(&format!("    - {row}\n"));
        }
        for row in table.rows_added.iter().take(ROWS_SHOWN) {
            out.push_str(&format!("    + {row}\n"));
        }
        let hidden = table.rows_added.len().saturating_sub(ROWS_SHOWN)
            + table.rows_removed.len().saturating_sub(ROWS_SHOWN);
        if hidden > 0 {
            out.push_str(&format!(
                "    ... and {hidden} more rows (see `--format json`)\n"
            ));
        }
    }
    for table in &structure.tables_added {
        out.push_str(&format!("  added {} ({})\n", table.name, table.at));
    }
    for table in &structure.tables_removed {
        out.push_str(&format!("  removed {} ({})\n", table.name, table.at));
    }
    if args.corpus.is_some() {
        out.push_str(&format!(
            "\ntransactions: {} of {evaluated} changed\n",
            changed.len()
        ));
        for c in changed {
            match &c.date {
                Some(date) => out.push_str(&format!("  {} on {date}\n", c.label)),
                None => out.push_str(&format!("  {}\n", c.label)),
            }
            for d in &c.change.decisions {
                out.push_str(&format!("    {}: {} → {}\n", d.decision, d.old, d.new));
            }
            for r in &c.change.rules {
                out.push_str(&format!("    rule {}: {} → {}\n", r.rule, r.old, r.new));
            }
        }
    }
    let verdict = if structure.is_empty() && changed.is_empty() {
        "no change"
    } else {
        "changed"
    };
    out.push_str(&format!("\n{verdict}\n"));
    out
}

/// `1 row`, `2 rows`.
fn rows(count: usize) -> String {
    if count == 1 {
        "1 row".into()
    } else {
        format!("{count} rows")
    }
}

/// An aspect's text as shown, `(none)` when absent.
fn shown(text: &str) -> &str {
    if text.is_empty() {
        "(none)"
    } else {
        text
    }
}

fn json_report(
    args: &DiffArgs,
    structure: &StructuralDiff,
    evaluated: usize,
    changed: &[Changed],
) -> String {
    let transactions: Vec<Json> = changed
        .iter()
        .map(|c| {
            json!({
                "transaction": c.label,
                "date": c.date,
                "decisions": c.change.decisions,
                "rules": c.change.rules,
            })
        })
        .collect();
    let report = json!({
        "old": args.old,
        "new": args.new,
        "changed": !(structure.is_empty() && changed.is_empty()),
        "rules": {
            "added": structure.rules_added,
            "removed": structure.rules_removed,
            "changed": structure.rules_changed,
        },
        "tables": {
            "added": structure.tables_added,
            "removed": structure.tables_removed,
            "changed": structure.tables_changed,
        },
        "corpus": args.corpus.as_ref().map(|p| json!({
            "file": p.display().to_string(),
            "evaluated": evaluated,
            "changed": changed.len(),
        })),
        "transactions": transactions,
    });
    let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
    text.push('\n');
    text
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "vigil-diff-{}-{}-{nanos}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path)
            .map_err(|error| format!("cannot create `{}`: {error}", path.display()))?;
        Ok(TempDir(path))
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing to do if removal fails: the directory is in the system's temporary space.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
