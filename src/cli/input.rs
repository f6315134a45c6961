//! Reading transactions for `vigil eval`: JSON (one object or an array), JSONL, YAML, or
//! standard input, delivered in bounded chunks so a file of any size streams in constant memory.
//!
//! A chunk is handed to the caller before the next is read; the caller evaluates it (in
//! parallel) and writes its records in order. Every input yields exactly one item, even when it
//! is malformed: a bad JSONL line becomes an item carrying its error, and the lines after it go
//! on.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{DeserializeSeed, SeqAccess, Visitor};

/// How many inputs are read before they are evaluated and written. Large enough to keep every
/// core busy, small enough that memory stays flat however long the input is.
pub const CHUNK_SIZE: usize = 4096;

/// One input transaction, not yet validated.
#[derive(Debug)]
pub struct InputItem {
    /// 1-based line of the input where it starts, when known (JSONL lines always).
    pub line: Option<usize>,
    pub body: Body,
}

/// The text or value of one input.
#[derive(Debug)]
pub enum Body {
    /// A JSONL line, parsed later (in parallel) by the evaluator.
    Line(Vec<u8>),
    /// A value already parsed (an element of a JSON array, a YAML document).
    Value(serde_json::Value),
    /// The input could not be read as JSON or YAML at all.
    Malformed(String),
}

/// The shape of an input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    Json,
    Jsonl,
    Yaml,
    Stdin,
}

impl InputKind {
    /// The kind an input path denotes: `-` is standard input, else the file's extension.
    pub fn of(path: &Path) -> Result<InputKind, String> {
        if path.as_os_str() == "-" {
            return Ok(InputKind::Stdin);
        }
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("json") => Ok(InputKind::Json),
            Some("jsonl" | "ndjson") => Ok(InputKind::Jsonl),
            Some("yaml" | "yml") => Ok(InputKind::Yaml),
            _ => Err(format!("`{}` is not a `.json`, `.jsonl`, `.yaml` or `.yml` file (or `-` for standard input)", path.display())),
        }
    }
}

/// Whether a JSON input was one object (printed back as one record) or a sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Single,
    Sequence,
}

/// A failure to read the input itself (as opposed to a malformed transaction inside it).
#[derive(Debug)]
pub enum ReadError {
    /// The file cannot be opened or read.
    Io(io::Error),
    /// The consumer of chunks failed (e.g. writing the output failed).
    Sink(io::Error),
}

/// Reads `path` of the given kind, calling `sink` with each chunk of at most [`CHUNK_SIZE`]
/// inputs, in order. Returns the input's shape.
pub fn read_chunks(
    path: &Path,
    kind: InputKind,
    sink: &mut dyn FnMut(Vec<InputItem>) -> io::Result<()>,
) -> Result<Shape, ReadError> {
    match kind {
        InputKind::Jsonl => {
            let file = File::open(path).map_err(ReadError::Io)?;
            read_jsonl(BufReader::with_capacity(1 << 20, file), 0, Vec::new(), sink)?;
            Ok(Shape::Sequence)
        }
        InputKind::Json => {
            let file = File::open(path).map_err(ReadError::Io)?;
            read_json(BufReader::with_capacity(1 << 20, file), sink)
        }
        InputKind::Yaml => {
            let text = std::fs::read_to_string(path).map_err(ReadError::Io)?;
            read_yaml(&text, sink)
        }
        InputKind::Stdin => read_stdin(sink),
    }
}

/// Reads JSONL: one transaction a line; blank lines are skipped.
fn read_jsonl(
    mut reader: impl BufRead,
    mut line_no: usize,
    mut chunk: Vec<InputItem>,
    sink: &mut dyn FnMut(Vec<InputItem>) -> io::Result<()>,
) -> Result<(), ReadError> {
    let mut buffer = Vec::new();
    loop {
        buffer.clear();
        let read = reader
            .read_until(b'\n', &mut buffer)
            .map_err(ReadError::Io)?;
        if read == 0 {
            break;
        }
        line_no += 1;
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        chunk.push(InputItem {
            line: Some(line_no),
            body: Body::Line(std::mem::take(&mut buffer)),
        });
        if chunk.len() >= CHUNK_SIZE {
            sink(std::mem::take(&mut chunk)).map_err(ReadError::Sink)?;
        }
    }
    if !chunk.is_empty() {
        sink(chunk).map_err(ReadError::Sink)?;
    }
    Ok(())
}

/// Reads a `.json` file: one object, or an array streamed element by element.
fn read_json(
    mut reader: impl BufRead,
    sink: &mut dyn FnMut(Vec<InputItem>) -> io::Result<()>,
) -> Result<Shape, ReadError> {
    let first = peek_non_whitespace(&mut reader).map_err(ReadError::Io)?;
    if first == Some(b'[') {
        stream_array(reader, sink)?;
        return Ok(Shape::Sequence);
    }
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let item = match serde::Deserialize::deserialize(&mut deserializer) {
        Ok(value) => match deserializer.end() {
            Ok(()) => InputItem { line: Some(1), body: Body::Value(value) },
            Err(error) => InputItem { line: Some(error.line()), body: Body::Malformed(format!("the file holds more than one JSON value ({error}); use a `.jsonl` file for one transaction a line, or a JSON array")) },
        },
        Err(error) => InputItem { line: Some(error.line()), body: Body::Malformed(format!("not valid JSON: {error}")) },
    };
    sink(vec![item]).map_err(ReadError::Sink)?;
    Ok(Shape::Single)
}

/// Streams the elements of a top-level JSON array without holding the whole array in memory.
fn stream_array(
    reader: impl BufRead,
    sink: &mut dyn FnMut(Vec<InputItem>) -> io::Result<()>,
) -> Result<(), ReadError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let mut state = ArrayState {
        chunk: Vec::new(),
        sink,
        sink_error: None,
    };
    let result = (&mut state)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    if let Some(error) = state.sink_error.take() {
        return Err(ReadError::Sink(error));
    }
    if let Err(error) = result {
        // The array is broken at this point; what follows cannot be split into elements, so it
        // is reported as one malformed input after the elements already read.
        state.chunk.push(InputItem {
            line: Some(error.line()),
            body: Body::Malformed(format!(
                "not valid JSON: {error}; the elements after this point were not read"
            )),
        });
    }
    if !state.chunk.is_empty() {
        (state.sink)(std::mem::take(&mut state.chunk)).map_err(ReadError::Sink)?;
    }
    Ok(())
}

struct ArrayState<'s> {
    chunk: Vec<InputItem>,
    sink: &'s mut dyn FnMut(Vec<InputItem>) -> io::Result<()>,
    sink_error: Option<io::Error>,
}

impl<'de> DeserializeSeed<'de> for &mut ArrayState<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for &mut ArrayState<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of transactions")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            self.chunk.push(InputItem {
                line: None,
                body: Body::Value(value),
            });
            if self.chunk.len() >= CHUNK_SIZE {
                if let Err(error) = (self.sink)(std::mem::take(&mut self.chunk)) {
                    self.sink_error = Some(error);
                    return Err(serde::de::Error::custom("output failed"));
                }
            }
        }
        Ok(())
    }
}

/// Reads YAML: one document holding a transaction or a sequence of them, or several documents.
fn read_yaml(
    text: &str,
    sink: &mut dyn FnMut(Vec<InputItem>) -> io::Result<()>,
) -> Result<Shape, ReadError> {
    let mut items = Vec::new();
    let mut shape = Shape::Single;
    let documents: Vec<_> = serde_yaml_ng::Deserializer::from_str(text).collect();
    if documents.len() > 1 {
        shape = Shape::Sequence;
    }
    for document in documents {
        match <serde_json::Value as serde::Deserialize>::deserialize(document) {
            Ok(serde_json::Value::Array(values)) => {
                shape = Shape::Sequence;
                items.extend(values.into_iter().map(|v| InputItem {
                    line: None,
                    body: Body::Value(v),
                }));
            }
            Ok(value) => items.push(InputItem {
                line: None,
                body: Body::Value(value),
            }),
            Err(error) => {
                let line = error.location().map(|l| l.line());
                items.push(InputItem {
                    line,
                    body: Body::Malformed(format!("not valid YAML: {error}")),
                });
            }
        }
    }
    for chunk in chunks(items) {
        sink(chunk).map_err(ReadError::Sink)?;
    }
    Ok(shape)
}

/// Reads standard input: a JSON array, JSONL, or one (possibly pretty-printed) JSON object.
fn read_stdin(sink: &mut dyn FnMut(Vec<InputItem>) -> io::Result<()>) -> Result<Shape, ReadError> {
    let mut reader = BufReader::with_capacity(1 << 20, io::stdin().lock());
    match peek_non_whitespace(&mut reader).map_err(ReadError::Io)? {
        Some(b'[') => {
            stream_array(reader, sink)?;
            Ok(Shape::Sequence)
        }
        None => Ok(Shape::Sequence),
        Some(_) => {
            // JSONL if the first line is a complete JSON value on its own; otherwise one
            // document spread over several lines.
            let mut first = Vec::new();
            reader
                .read_until(b'\n', &mut first)
                .map_err(ReadError::Io)?;
            if serde_json::from_slice::<serde::de::IgnoredAny>(&first).is_ok() {
                let chunk = vec![InputItem {
                    line: Some(1),
                    body: Body::Line(first),
                }];
                read_jsonl(reader, 1, chunk, sink)?;
                Ok(Shape::Sequence)
            } else {
                let mut rest = Vec::new();
                reader.read_to_end(&mut rest).map_err(ReadError::Io)?;
                first.extend_from_slice(&rest);
                let body = match serde_json::from_slice(&first) {
                    Ok(value) => Body::Value(value),
                    Err(error) => Body::Malformed(format!("not valid JSON: {error}")),
                };
                sink(vec![InputItem {
                    line: Some(1),
                    body,
                }])
                .map_err(ReadError::Sink)?;
                Ok(Shape::Single)
            }
        }
    }
}

fn peek_non_whitespace(reader: &mut impl BufRead) -> io::Result<Option<u8>> {
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(None);
        }
        let skip = buffer
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        if skip < buffer.len() {
            let first = buffer.get(skip).copied();
            reader.consume(skip);
            return Ok(first);
        }
        let len = buffer.len();
        reader.consume(len);
    }
}

fn chunks(items: Vec<InputItem>) -> Vec<Vec<InputItem>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for item in items {
        current.push(item);
        if current.len() >= CHUNK_SIZE {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
