//! `vigil eval`: evaluate transactions against the policy library and print a decision record
//! for each, with its reasons.
//!
//! Inputs stream in chunks ([`super::input`]); each chunk is evaluated on all cores and written
//! in input order, so a file of any size runs in constant memory and every input yields exactly
//! one record.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use rayon::prelude::*;
use vigil::date::Date;
use vigil::diagnostic::{self, Diagnostic};
use vigil::eval::{Evaluation, Evaluator, InputError, RunConfig};

use super::explain::{self, ExplainConfig};
use super::input::{self, Body, InputItem, InputKind, Shape};
use super::library::{self, EmbeddedLoader};
use super::{files, output, EXIT_FAILURE, EXIT_OK, EXIT_USAGE};

const LONG_ABOUT: &str = "\
Evaluate transactions against the policy library and print, for each, the decisions (license,
review policy, license exceptions, human-rights review, ITA promotion, State Department due
diligence, restricted-party screening) with every rule that fired, its citation and its reason.

INPUT is a `.json` file holding one transaction or an array of them, a `.jsonl` file (one
transaction a line), a `.yaml` / `.yml` file, or `-` for standard input (JSON or JSONL). The
transaction format is described in the screening contract. An input that does not fit the schema
gets a record with `errors` naming the field by JSON pointer; the other inputs go on.

The rules in force on each transaction's `date` apply; `--as-of` applies those in force on
another day instead.

Exit status: 0 when every transaction was evaluated; 1 when at least one input was rejected;
2 for usage errors or policies that do not compile.

Examples:
    vigil eval examples/facial_recognition.json
    vigil eval --format jsonl transactions.jsonl > decisions.jsonl
    vigil eval --as-of 2020-01-01 --explain examples/crime_control_police.json
    vigil eval --data csl=consolidated.json --format json batch.jsonl
    cat tx.json | vigil eval -";

/// How records are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// The explained report: decisions, fired rules on their source lines, reasons.
    Human,
    /// One JSON document: an object for one transaction, an array for several.
    Json,
    /// One JSON object a line, in input order.
    Jsonl,
}

/// Evaluate transactions and explain every decision.
#[derive(Debug, Args)]
#[command(long_about = LONG_ABOUT)]
pub struct EvalArgs {
    /// Transaction files (`.json`, `.jsonl`, `.yaml`, `.yml`), or `-` for standard input
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Use the policy library in DIR instead of the built-in one (repeatable)
    #[arg(long = "policy", value_name = "DIR")]
    pub policies: Vec<PathBuf>,

    /// Load a data table the policies declare `load from input "NAME"`, e.g. `csl=list.json`
    /// for the Consolidated Screening List (repeatable)
    #[arg(long = "data", value_name = "NAME=PATH", value_parser = parse_data)]
    pub data: Vec<(String, PathBuf)>,

    /// Apply the rules in force on this day (YYYY-MM-DD) instead of each transaction's date
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<Date>,

    /// Output format [default: human on a terminal, json otherwise]
    #[arg(long, value_enum)]
    pub format: Option<EvalFormat>,

    /// In human output, also show the rules that did not fire and the condition that failed
    #[arg(long)]
    pub explain: bool,
}

fn parse_data(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, path)) if !name.is_empty() && !path.is_empty() => {
            Ok((name.to_string(), PathBuf::from(path)))
        }
        _ => Err(format!(
            "`{text}` is not NAME=PATH (for example `csl=consolidated.json`)"
        )),
    }
}

fn parse_date(text: &str) -> Result<Date, String> {
    Date::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date: write YYYY-MM-DD, such as 2024-05-01"))
}

/// Counts for the exit status and the human summary.
#[derive(Default)]
struct Tally {
    records: usize,
    rejected: usize,
    /// (decision, value) → count, in first-seen order.
    values: Vec<(String, String, usize)>,
}

pub fn run(args: &EvalArgs) -> u8 {
    for (name, path) in &args.data {
        if !path.is_file() {
            eprintln!(
                "error: `--data {name}={}`: the file does not exist",
                path.display()
            );
            return EXIT_USAGE;
        }
    }
    let kinds: Vec<InputKind> = match args.inputs.iter().map(|p| InputKind::of(p)).collect() {
        Ok(kinds) => kinds,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    for (path, kind) in args.inputs.iter().zip(&kinds) {
        if *kind != InputKind::Stdin && !path.is_file() {
            eprintln!("error: `{}` does not exist", path.display());
            return EXIT_USAGE;
        }
    }
    let Some(evaluator) = compile(args) else {
        return EXIT_USAGE;
    };
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        EvalFormat::Human
    } else {
        EvalFormat::Json
    });
    let explain = ExplainConfig {
        render: output::stdout_render_config(),
        why_not: args.explain,
    };
    let run_config = RunConfig {
        why_not: args.explain && format == EvalFormat::Human,
        bindings: format == EvalFormat::Human,
        ..RunConfig::default()
    };

    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut writer = RecordWriter {
        format,
        written: 0,
        pending: None,
    };
    let mut tally = Tally::default();
    let progress = progress_bar();
    let single_input = args.inputs.len() == 1;
    let mut last_shape = Shape::Sequence;
    let buffers = Buffers::default();
    for (path, kind) in args.inputs.iter().zip(&kinds) {
        let mut sink = |chunk: Vec<InputItem>| -> io::Result<()> {
            if format == EvalFormat::Jsonl {
                // Lines in groups across the cores, each group's records written one after
                // the other into one buffer: fewer, larger allocations than a buffer a record.
                let groups: Vec<(Vec<u8>, Vec<Counted>)> = chunk
                    .into_par_iter()
                    .chunks(JSONL_GROUP)
                    .map(|items| {
                        let mut text = buffers.take(items.len() * 4096);
                        let counted = items
                            .into_iter()
                            .map(|item| {
                                let evaluation = evaluate(&evaluator, item, args.as_of, run_config);
                                let counted = write_line(&evaluator, &evaluation, &mut text);
                                evaluator.recycle(evaluation);
                                counted
                            })
                            .collect();
                        (text, counted)
                    })
                    .collect();
                for (text, counted) in groups {
                    out.write_all(&text)?;
                    buffers.give(text);
                    for counted in counted {
                        tally.add(counted);
                    }
                }
            } else {
                let rendered: Vec<(Vec<u8>, Counted)> = chunk
                    .into_par_iter()
                    .map(|item| {
                        let evaluation = evaluate(&evaluator, item, args.as_of, run_config);
                        render(&evaluator, evaluation, format, explain)
                    })
                    .collect();
                for (text, counted) in rendered {
                    tally.add(counted);
                    writer.write(&mut out, text)?;
                }
            }
            if let Some(bar) = &progress {
                bar.set_position(tally.records as u64);
            }
            Ok(())
        };
        match input::read_chunks(path, *kind, &mut sink) {
            Ok(shape) => last_shape = shape,
            Err(input::ReadError::Io(error)) => {
                eprintln!("error: cannot read `{}`: {error}", path.display());
                return EXIT_USAGE;
            }
            Err(input::ReadError::Sink(error)) => return broken_pipe_or_error(&error),
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let single = single_input && last_shape == Shape::Single;
    if let Err(error) = writer.finish(&mut out, single).and_then(|()| {
        if format == EvalFormat::Human {
            tally.summary(&mut out)?;
        }
        out.flush()
    }) {
        return broken_pipe_or_error(&error);
    }
    if tally.rejected > 0 {
        EXIT_FAILURE
    } else {
        EXIT_OK
    }
}

fn broken_pipe_or_error(error: &io::Error) -> u8 {
    if error.kind() == io::ErrorKind::BrokenPipe {
        return EXIT_OK;
    }
    eprintln!("error: cannot write the output: {error}");
    EXIT_FAILURE
}

/// Compiles the library (built-in or `--policy`), printing diagnostics on failure.
fn compile(args: &EvalArgs) -> Option<Evaluator> {
    let (compiled, diagnostics) = if args.policies.is_empty() {
        vigil::compile(
            library::embedded_policy_files(),
            &mut EmbeddedLoader {
                inputs: args.data.clone(),
            },
        )
    } else {
        let loaded = match files::load(&args.policies) {
            Ok(loaded) => loaded,
            Err(files::MissingPath(path)) => {
                eprintln!(
                    "error: `--policy {}`: the directory does not exist",
                    path.display()
                );
                return None;
            }
        };
        let mut diagnostics = loaded.diagnostics;
        let (compiled, more) = vigil::compile(
            loaded.files,
            &mut files::FileLoader {
                inputs: args.data.clone(),
            },
        );
        diagnostics.extend(more);
        (compiled, diagnostics)
    };
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
    let render = vigil::diagnostic::RenderConfig {
        color: io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
    };
    let Some(compiled) = compiled.filter(|_| errors.is_empty()) else {
        for diagnostic in &diagnostics {
            eprint!("{}", diagnostic::render_human(diagnostic, render));
        }
        eprintln!(
            "error: the policy library does not compile ({} errors)",
            errors.len()
        );
        return None;
    };
    let hash = library::content_hash(&compiled.program.files);
    match Evaluator::new(compiled, Arc::from(hash)) {
        Ok(evaluator) => Some(evaluator),
        Err(error) => {
            eprintln!("error: the policy library cannot be evaluated: {error:?}");
            None
        }
    }
}

fn evaluate(
    evaluator: &Evaluator,
    item: InputItem,
    as_of: Option<Date>,
    config: RunConfig,
) -> Evaluation {
    let mut evaluation = match item.body {
        Body::Line(bytes) => evaluator.evaluate_bytes(&bytes, as_of, config),
        Body::Value(value) => evaluator.evaluate_value(&value, as_of, config),
        Body::Malformed(message) => Evaluation::Rejected(
            evaluator.rejected(serde_json::Value::Null, vec![InputError::new("", message)]),
        ),
    };
    if let (Some(line), Evaluation::Rejected(record)) = (item.line, &mut evaluation) {
        for error in record.errors.iter_mut().filter(|e| e.pointer.is_empty()) {
            error.message = format!("line {line}: {}", error.message);
        }
    }
    evaluation
}

/// What the tally needs of a record: whether it was rejected, and in human output (whose
/// summary counts them) its decisions.
enum Counted {
    Rejected,
    Decided(Option<serde_json::Map<String, serde_json::Value>>),
}

/// How many JSONL records one task evaluates and writes into one buffer.
const JSONL_GROUP: usize = 64;

/// The JSONL groups' buffers, kept from one chunk to the next. A fresh buffer a group cost
/// both cores about a sixth of their speed: a group's buffer (a quarter of a megabyte) is freed
/// by the writing thread, not the one that filled it, and the allocator gave the memory back to
/// the system and faulted it in again for the next chunk.
#[derive(Default)]
struct Buffers(std::sync::Mutex<Vec<Vec<u8>>>);

impl Buffers {
    /// An empty buffer: a kept one, or a new one with room for `capacity` bytes.
    fn take(&self, capacity: usize) -> Vec<u8> {
        self.0
            .lock()
            .ok()
            .and_then(|mut kept| kept.pop())
            .unwrap_or_else(|| Vec::with_capacity(capacity))
    }

    /// Keeps a buffer that has been written out.
    fn give(&self, mut buffer: Vec<u8>) {
        buffer.clear();
        if let Ok(mut kept) = self.0.lock() {
            kept.push(buffer);
        }
    }
}

/// What the tally counts of an evaluation (human output counts decisions from the record).
fn counted(evaluation: &Evaluation) -> Counted {
    match evaluation {
        Evaluation::Rejected(_) => Counted::Rejected,
        Evaluation::Decided { .. } => Counted::Decided(None),
    }
}

/// Appends the JSONL line of a record to `text`. Should the record fail to serialise (it
/// cannot, short of a bug), a record that says so takes its place: a line is never lost.
fn write_line(evaluator: &Evaluator, evaluation: &Evaluation, text: &mut Vec<u8>) -> Counted {
    let start = text.len();
    let mut counted = counted(evaluation);
    if let Err(error) = evaluator.write_jsonl(evaluation, text) {
        text.truncate(start);
        let record = unwritable(evaluator, evaluation, &error);
        text.extend_from_slice(
            serde_json::to_string(&record)
                .unwrap_or_default()
                .as_bytes(),
        );
        counted = Counted::Rejected;
    }
    text.push(b'\n');
    counted
}

/// The record that stands for one that could not be serialised.
fn unwritable(
    evaluator: &Evaluator,
    evaluation: &Evaluation,
    error: &serde_json::Error,
) -> vigil::eval::DecisionRecord {
    let id = match evaluation {
        Evaluation::Decided { id, .. } => id.clone(),
        Evaluation::Rejected(record) => record.id.clone(),
    };
    let message = format!("internal error: the decision record could not be written: {error}");
    evaluator.rejected(id, vec![InputError::new("", message)])
}

/// The text of a record in the chosen format (a JSONL line with its line break). JSON is written
/// straight from the outcome; the record itself is built only for human output, which explains
/// it. (`run` writes JSONL in groups with [`write_line`] instead.)
fn render(
    evaluator: &Evaluator,
    evaluation: Evaluation,
    format: EvalFormat,
    explain: ExplainConfig,
) -> (Vec<u8>, Counted) {
    if format == EvalFormat::Human {
        let (record, outcome) = evaluator.into_record(evaluation);
        let text = explain::render(
            evaluator.engine().program(),
            &record,
            outcome.as_ref(),
            explain,
        );
        let counted = if record.errors.is_empty() {
            Counted::Decided(record.decisions)
        } else {
            Counted::Rejected
        };
        return (text.into_bytes(), counted);
    }
    if format == EvalFormat::Jsonl {
        let mut text = Vec::with_capacity(4096);
        let counted = write_line(evaluator, &evaluation, &mut text);
        return (text, counted);
    }
    match serde_json::to_vec_pretty(&evaluator.json(&evaluation)) {
        Ok(text) => (text, counted(&evaluation)),
        Err(error) => {
            let record = unwritable(evaluator, &evaluation, &error);
            let text = serde_json::to_vec_pretty(&record).unwrap_or_default();
            (text, Counted::Rejected)
        }
    }
}

/// Writes records in the chosen format. For `json`, the first record is held back until it is
/// known whether it is the only one (printed as an object) or the first of an array.
struct RecordWriter {
    format: EvalFormat,
    written: usize,
    pending: Option<Vec<u8>>,
}

impl RecordWriter {
    fn write(&mut self, out: &mut impl Write, text: Vec<u8>) -> io::Result<()> {
        match self.format {
            // A JSONL line comes with its line break (`write_line`).
            EvalFormat::Human | EvalFormat::Jsonl => out.write_all(&text)?,
            EvalFormat::Json => match self.written {
                0 => self.pending = Some(text),
                1 => {
                    out.write_all(b"[\n")?;
                    out.write_all(&self.pending.take().unwrap_or_default())?;
                    out.write_all(b",\n")?;
                    out.write_all(&text)?;
                }
                _ => {
                    out.write_all(b",\n")?;
                    out.write_all(&text)?;
                }
            },
        }
        self.written += 1;
        Ok(())
    }

    fn finish(&mut self, out: &mut impl Write, single: bool) -> io::Result<()> {
        if self.format != EvalFormat::Json {
            return Ok(());
        }
        match (self.written, self.pending.take()) {
            (0, _) => out.write_all(b"[]\n"),
            (1, Some(text)) if single => {
                out.write_all(&text)?;
                out.write_all(b"\n")
            }
            (1, Some(text)) => {
                out.write_all(b"[\n")?;
                out.write_all(&text)?;
                out.write_all(b"\n]\n")
            }
            _ => out.write_all(b"\n]\n"),
        }
    }
}

impl Tally {
    fn add(&mut self, counted: Counted) {
        self.records += 1;
        let decisions = match counted {
            Counted::Rejected => {
                self.rejected += 1;
                return;
            }
            Counted::Decided(decisions) => decisions.unwrap_or_default(),
        };
        for (name, value) in decisions {
            let shown = match value {
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) if items.is_empty() => "none".into(),
                serde_json::Value::Null => "—".into(),
                other => other.to_string(),
            };
            match self
                .values
                .iter_mut()
                .find(|(n, v, _)| *n == name && *v == shown)
            {
                Some((_, _, count)) => *count += 1,
                None => self.values.push((name, shown, 1)),
            }
        }
    }

    fn summary(&self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "━━ summary: {} transaction{}, {} evaluated, {} rejected",
            self.records,
            if self.records == 1 { "" } else { "s" },
            self.records - self.rejected,
            self.rejected
        )?;
        let mut names: Vec<&str> = Vec::new();
        for (name, _, _) in &self.values {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        for name in names {
            let counts: Vec<String> = self
                .values
                .iter()
                .filter(|(n, _, _)| n == name)
                .map(|(_, v, c)| format!("{v} {c}"))
                .collect();
            writeln!(out, "  {name}: {}", counts.join(", "))?;
        }
        Ok(())
    }
}

/// A progress counter on standard error, only when it is a terminal.
fn progress_bar() -> Option<indicatif::ProgressBar> {
    if !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {human_pos} transactions evaluated ({elapsed})",
    ) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}
