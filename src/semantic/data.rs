//! Data files: the rows of tables loaded from CSV, JSON and the trade.gov Consolidated
//! Screening List, read from text already in memory and validated against the table's columns.
//!
//! Every problem names the file, the row and the column. A file with thousands of bad rows
//! reports the first [`MAX_ERRORS_PER_FILE`] and a count of the rest, so one broken export does
//! not bury every other diagnostic.

use std::sync::Arc;

use super::country::Country;
use super::eccn::Eccn;
use super::ir::*;
use crate::date::Date;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span};

/// The most value errors reported for one data file.
pub const MAX_ERRORS_PER_FILE: usize = 20;

/// A data file to load into a table.
pub struct DataSource<'s> {
    pub file: &'s SourceFile,
    pub file_id: FileId,
    pub format: DataFormat,
    /// The `load` clause that names the file: its file and span, shown with every problem.
    pub loaded_at: Option<(&'s SourceFile, Span)>,
}

/// Reads the rows of `table` from a data file. Returns the rows that are valid and a
/// diagnostic for every problem.
pub fn load_rows(
    columns: &[Column],
    enums: &[Enum],
    table_name: &str,
    source: &DataSource<'_>,
) -> (Vec<TableRow>, Vec<Diagnostic>) {
    let mut loader = RowLoader {
        columns,
        enums,
        table_name,
        source,
        rows: Vec::new(),
        diagnostics: Vec::new(),
        errors: 0,
        skipped_countries: 0,
    };
    match source.format {
        DataFormat::Csv => loader.csv(),
        DataFormat::Json => loader.json(),
        DataFormat::Csl => loader.csl(),
    }
    loader.finish()
}

struct RowLoader<'s> {
    columns: &'s [Column],
    enums: &'s [Enum],
    table_name: &'s str,
    source: &'s DataSource<'s>,
    rows: Vec<TableRow>,
    diagnostics: Vec<Diagnostic>,
    errors: usize,
    /// Addresses of the screening list whose country is not an ISO code.
    skipped_countries: usize,
}

impl RowLoader<'_> {
    fn name(&self) -> &str {
        &self.source.file.name
    }

    fn finish(mut self) -> (Vec<TableRow>, Vec<Diagnostic>) {
        if self.errors > MAX_ERRORS_PER_FILE {
            let more = self.errors - MAX_ERRORS_PER_FILE;
            let diagnostic = Diagnostic::error(
                Code::E0306,
                format!("`{}` has {more} more bad values, not shown", self.name()),
            );
            let diagnostic = self.with_load_label(diagnostic);
            self.diagnostics.push(
                diagnostic.with_help("fix the values above, then check again to see the rest"),
            );
        }
        if self.skipped_countries > 0 {
            let diagnostic = Diagnostic::warning(
                Code::W0100,
                format!(
                    "{} in `{}` {} no ISO 3166-1 country code and {} left out",
                    super::exprs::plural(self.skipped_countries, "address", "addresses"),
                    self.name(),
                    if self.skipped_countries == 1 {
                        "names"
                    } else {
                        "name"
                    },
                    if self.skipped_countries == 1 {
                        "was"
                    } else {
                        "were"
                    },
                ),
            );
            let diagnostic = self.with_load_label(diagnostic);
            self.diagnostics.push(diagnostic.with_help("the list names some places in words (`REGION: CRIMEA`); screening by name still covers these parties"));
        }
        (self.rows, self.diagnostics)
    }

    fn with_load_label(&self, diagnostic: Diagnostic) -> Diagnostic {
        match self.source.loaded_at {
            Some((file, span)) => diagnostic.with_label(
                file,
                span,
                format!("rows of the table `{}` loaded here", self.table_name),
            ),
            None => diagnostic,
        }
    }

    /// Reports that the file as a whole cannot be read as its format.
    fn malformed(&mut self, reason: String, span: Option<Span>) {
        let mut diagnostic = Diagnostic::error(
            Code::E0305,
            format!(
                "`{}` is not a valid {} file: {reason}",
                self.name(),
                match self.source.format {
                    DataFormat::Csv => "CSV",
                    DataFormat::Json => "JSON",
                    DataFormat::Csl => "Consolidated Screening List",
                }
            ),
        );
        if let Some(span) = span {
            diagnostic = diagnostic.with_label(self.source.file, span, "here");
        }
        let diagnostic = self.with_load_label(diagnostic);
        let help = match self.source.format {
            DataFormat::Csv => "a CSV file has a header line naming the columns, then one line per row, fields separated by commas",
            DataFormat::Json => "a JSON data file is an array of objects, one per row, keyed by column name",
            DataFormat::Csl => "a Consolidated Screening List file is an object with a `results` array, as the trade.gov API returns it",
        };
        self.diagnostics.push(diagnostic.with_help(help));
    }

    /// Reports a value that does not fit its column.
    fn bad_value(&mut self, row: &str, column: &str, reason: &str, span: Option<Span>) {
        self.errors += 1;
        if self.errors > MAX_ERRORS_PER_FILE {
            return;
        }
        let mut diagnostic = Diagnostic::error(
            Code::E0306,
            format!("`{}`, {row}, column `{column}`: {reason}", self.name()),
        );
        if let Some(span) = span {
            diagnostic = diagnostic.with_label(self.source.file, span, "in this row");
        }
        let diagnostic = self.with_load_label(diagnostic);
        self.diagnostics.push(diagnostic.with_help("correct the value in the data file, or change the column's type in the table's `columns`"));
    }

    /// Reports a declared column the file does not have.
    fn missing_column(&mut self, column: &str, span: Option<Span>) {
        let mut diagnostic = Diagnostic::error(
            Code::E0307,
            format!("`{}` has no column `{column}`", self.name()),
        );
        if let Some(span) = span {
            diagnostic =
                diagnostic.with_label(self.source.file, span, "the header names the columns");
        }
        let diagnostic = self.with_load_label(diagnostic);
        self.diagnostics.push(diagnostic.with_help(format!("add a `{column}` column to the file, or mark the column `optional` in the table's `columns`")));
    }

    // -----------------------------------------------------------------------------------------
    // CSV
    // -----------------------------------------------------------------------------------------

    fn csv(&mut self) {
        let text = &self.source.file.text;
        let records = match parse_csv(text) {
            Ok(records) => records,
            Err((reason, offset)) => {
                self.malformed(reason, Some(Span::new(offset, offset + 1)));
                return;
            }
        };
        let mut records = records.into_iter();
        let Some(header) = records.next() else {
            self.malformed("it is empty".into(), None);
            return;
        };
        let header_span = header.span;
        let names: Vec<String> = header
            .fields
            .iter()
            .map(|f| f.text.trim().to_string())
            .collect();
        let mut positions: Vec<Option<usize>> = Vec::new();
        let mut complete = true;
        for column in self.columns {
            // The exact name first; else the same letters and digits, so that a header such as
            // `CC 1` (the Country Chart's) fills the column `cc1`.
            let position = names
                .iter()
                .position(|n| *n == *column.name)
                .or_else(|| names.iter().position(|n| loose(n) == loose(&column.name)));
            if position.is_none() && !column.optional {
                self.missing_column(&column.name, Some(header_span));
                complete = false;
            }
            positions.push(position);
        }
        if !complete {
            return;
        }
        let date_column = |name: &str| {
            if self.columns.iter().any(|c| &*c.name == name) {
                None
            } else {
                names.iter().position(|n| n == name)
            }
        };
        let effective_at = date_column("effective");
        let until_at = date_column("until");
        for (index, record) in records.enumerate() {
            let line = self.source.file.line_col(record.span.start).0;
            let row_name = format!("line {line}");
            let mut cells = Vec::with_capacity(self.columns.len());
            let mut valid = true;
            for (column, position) in self.columns.iter().zip(&positions) {
                let field = position.and_then(|p| record.fields.get(p));
                let text = field.map_or("", |f| f.text.as_str());
                match cell_from_text(text.trim(), &column.ty, column.optional, self.enums) {
                    Ok(value) => cells.push(value),
                    Err(reason) => {
                        let span = field.map_or(record.span, |f| f.span);
                        self.bad_value(&row_name, &column.name, &reason, Some(span));
                        valid = false;
                    }
                }
            }
            let mut dates = DateRange::ALWAYS;
            for (position, name, target) in [
                (effective_at, "effective", &mut dates.effective),
                (until_at, "until", &mut dates.until),
            ] {
                let Some(field) = position.and_then(|p| record.fields.get(p)) else {
                    continue;
                };
                let text = field.text.trim();
                if text.is_empty() {
                    continue;
                }
                match Date::parse(text) {
                    Some(date) => *target = Some(date),
                    None => {
                        self.bad_value(
                            &row_name,
                            name,
                            &format!("`{text}` is not a date (YYYY-MM-DD)"),
                            Some(field.span),
                        );
                        valid = false;
                    }
                }
            }
            if valid {
                self.rows.push(TableRow {
                    cells: cells.into_boxed_slice(),
                    dates,
                    origin: RowOrigin::Loaded {
                        file: self.source.file_id,
                        record: u32::try_from(index + 1).unwrap_or(u32::MAX),
                        span: record.span,
                    },
                });
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // JSON
    // -----------------------------------------------------------------------------------------

    fn json(&mut self) {
        let text = &self.source.file.text;
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => {
                let offset = offset_of(text, error.line(), error.column());
                self.malformed(error.to_string(), Some(Span::new(offset, offset + 1)));
                return;
            }
        };
        let serde_json::Value::Array(elements) = value else {
            self.malformed("the top level is not an array".into(), None);
            return;
        };
        let spans = element_spans(text, &[]);
        for (index, element) in elements.iter().enumerate() {
            let span = spans.get(index).copied();
            let row_name = format!("row {}", index + 1);
            let serde_json::Value::Object(object) = element else {
                self.bad_value(&row_name, "*", "the row is not an object", span);
                continue;
            };
            self.json_row(index, &row_name, span, object, &JsonShape::Plain);
        }
    }

    fn csl(&mut self) {
        let text = &self.source.file.text;
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => {
                let offset = offset_of(text, error.line(), error.column());
                self.malformed(error.to_string(), Some(Span::new(offset, offset + 1)));
                return;
            }
        };
        let Some(serde_json::Value::Array(results)) = value.get("results") else {
            self.malformed("it has no `results` array".into(), None);
            return;
        };
        let spans = element_spans(text, &["results"]);
        for (index, element) in results.iter().enumerate() {
            let span = spans.get(index).copied();
            let row_name = format!("result {}", index + 1);
            let serde_json::Value::Object(object) = element else {
                self.bad_value(&row_name, "*", "the entry is not an object", span);
                continue;
            };
            self.json_row(index, &row_name, span, object, &JsonShape::ScreeningList);
        }
    }

    /// Reads one row of a JSON or screening-list file.
    fn json_row(
        &mut self,
        index: usize,
        row_name: &str,
        span: Option<Span>,
        object: &serde_json::Map<String, serde_json::Value>,
        shape: &JsonShape,
    ) {
        let lookup = |name: &str| object.get(name);
        let mut cells = Vec::with_capacity(self.columns.len());
        let mut valid = true;
        for column in self.columns {
            let result = match shape {
                JsonShape::ScreeningList => self.csl_cell(column, object),
                JsonShape::Plain => cell_from_json(
                    lookup(&column.name),
                    &column.ty,
                    column.optional,
                    self.enums,
                ),
            };
            match result {
                Ok(value) => cells.push(value),
                Err(reason) => {
                    self.bad_value(row_name, &column.name, &reason, span);
                    valid = false;
                }
            }
        }
        let mut dates = DateRange::ALWAYS;
        for (name, target) in [
            ("effective", &mut dates.effective),
            ("until", &mut dates.until),
        ] {
            if self.columns.iter().any(|c| &*c.name == name) {
                continue;
            }
            match lookup(name) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::String(text)) if Date::parse(text).is_some() => {
                    *target = Date::parse(text)
                }
                Some(other) => {
                    self.bad_value(
                        row_name,
                        name,
                        &format!("`{other}` is not a date (YYYY-MM-DD)"),
                        span,
                    );
                    valid = false;
                }
            }
        }
        if valid {
            self.rows.push(TableRow {
                cells: cells.into_boxed_slice(),
                dates,
                origin: RowOrigin::Loaded {
                    file: self.source.file_id,
                    record: u32::try_from(index + 1).unwrap_or(u32::MAX),
                    span: span.unwrap_or_default(),
                },
            });
        }
    }

    /// One cell of a screening-list entry. The list's field names differ from the columns a
    /// screening table declares: `aliases` come from `alt_names`, `country` / `countries` from
    /// the addresses, `federal_register` from `federal_register_notice`, `policy` from
    /// `license_policy`; any other column is read from the field of the same name.
    fn csl_cell(
        &mut self,
        column: &Column,
        object: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Value, String> {
        let lookup = |name: &str| object.get(name);
        let field = match &*column.name {
            "aliases" => "alt_names",
            "federal_register" => "federal_register_notice",
            "policy" => "license_policy",
            "requirement" => "license_requirement",
            "country" | "countries" => {
                let mut countries = Vec::new();
                if let Some(serde_json::Value::Array(addresses)) = lookup("addresses") {
                    for address in addresses {
                        if let Some(serde_json::Value::String(code)) = address.get("country") {
                            match Country::parse(code) {
                                Some(country) => countries.push(Value::Country(country)),
                                None => self.skipped_countries += 1,
                            }
                        }
                    }
                }
                return match &column.ty {
                    Type::List(_) | Type::Set(_) => {
                        countries.sort();
                        countries.dedup();
                        Ok(Value::List(Arc::from(countries)))
                    }
                    Type::Country => match countries.into_iter().next() {
                        Some(country) => Ok(country),
                        None if column.optional => Ok(Value::Missing),
                        None => Err("the entry has no address with a country code".into()),
                    },
                    _ => Err(format!("the column `{}` of a screening list holds countries: declare it `country` or `list of country`", column.name)),
                };
            }
            other => other,
        };
        // The list leaves out empty fields; an empty list of names is the same as none.
        let value = lookup(field);
        let lenient = matches!(column.ty, Type::List(_) | Type::Set(_)) && value.is_none();
        if lenient {
            return Ok(Value::empty_list());
        }
        cell_from_json(value, &column.ty, column.optional, self.enums)
    }
}

enum JsonShape {
    Plain,
    ScreeningList,
}

/// A header or column name reduced to its lower-case letters and digits.
fn loose(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Converts the text of a CSV cell to a value of a column's type.
pub fn cell_from_text(
    text: &str,
    ty: &Type,
    optional: bool,
    enums: &[Enum],
) -> Result<Value, String> {
    match ty {
        Type::Bool => match text {
            "X" | "x" | "true" => Ok(Value::Bool(true)),
            "" | "-" | "false" => Ok(Value::Bool(false)),
            other => Err(format!("`{other}` is not a mark: write `X` (or `true`) for yes, and leave the cell empty (or `-`, `false`) for no")),
        },
        _ if text.is_empty() || text == "-" => {
            if matches!(ty, Type::List(_) | Type::Set(_)) {
                Ok(Value::empty_list())
            } else if optional {
                Ok(Value::Missing)
            } else {
                Err("the cell is empty, but the column is not optional".into())
            }
        }
        Type::List(element) | Type::Set(element) => {
            let parts: Vec<&str> = if text.starts_with('[') {
                return match serde_json::from_str::<serde_json::Value>(text) {
                    Ok(value) => cell_from_json(Some(&value), ty, optional, enums),
                    Err(_) => Err(format!("`{text}` is not a list: write `[\"a\", \"b\"]` or `a;b`")),
                };
            } else {
                text.split(';').map(str::trim).filter(|p| !p.is_empty()).collect()
            };
            let mut values = Vec::with_capacity(parts.len());
            for part in parts {
                values.push(cell_from_text(part, element, false, enums)?);
            }
            if matches!(ty, Type::Set(_)) {
                values.sort();
                values.dedup();
            }
            Ok(Value::List(Arc::from(values)))
        }
        Type::Integer => text.parse().map(Value::Integer).map_err(|_| format!("`{text}` is not a whole number")),
        Type::Decimal => Decimal::parse(text).map(Value::Decimal).ok_or_else(|| format!("`{text}` is not a number")),
        Type::String => Ok(Value::String(Arc::from(text))),
        Type::Date => Date::parse(text).map(Value::Date).ok_or_else(|| format!("`{text}` is not a date (YYYY-MM-DD)")),
        Type::Country => Country::parse(text).map(Value::Country).ok_or_else(|| format!("`{text}` is not an ISO 3166-1 alpha-2 country code")),
        Type::Eccn => Eccn::parse(text).map(Value::Eccn).map_err(|e| format!("`{text}` is not an ECCN: {}", e.describe())),
        Type::Enum(id) => {
            let enumeration = enums.get(id.index()).ok_or_else(|| "unknown enumeration".to_string())?;
            enumeration.value_index(text).map(Value::Enum).ok_or_else(|| format!("`{text}` is not a value of `{}`", enumeration.name))
        }
        Type::Record(_) | Type::Row(_) | Type::Error => Err("the column's type cannot be loaded".into()),
    }
}

/// Converts a JSON value to a value of a column's type. `None` is an absent key.
pub fn cell_from_json(
    value: Option<&serde_json::Value>,
    ty: &Type,
    optional: bool,
    enums: &[Enum],
) -> Result<Value, String> {
    use serde_json::Value as J;
    let value = match value {
        None | Some(J::Null) => {
            return if optional {
                Ok(Value::Missing)
            } else {
                Err("the value is missing, but the column is not optional".into())
            };
        }
        Some(value) => value,
    };
    match (ty, value) {
        (Type::Bool, J::Bool(b)) => Ok(Value::Bool(*b)),
        (Type::Bool, J::String(text)) => cell_from_text(text, ty, optional, enums),
        (Type::Integer, J::Number(n)) => n
            .as_i64()
            .map(Value::Integer)
            .ok_or_else(|| format!("`{n}` is not a whole number")),
        (Type::Decimal, J::Number(n)) => Decimal::parse(&n.to_string())
            .map(Value::Decimal)
            .ok_or_else(|| format!("`{n}` is not a number Vigil can hold")),
        (Type::List(element) | Type::Set(element), J::Array(items)) => {
            let mut values = Vec::with_capacity(items.len());
            for item in items {
                values.push(cell_from_json(Some(item), element, false, enums)?);
            }
            if matches!(ty, Type::Set(_)) {
                values.sort();
                values.dedup();
            }
            Ok(Value::List(Arc::from(values)))
        }
        (
            Type::String | Type::Date | Type::Country | Type::Eccn | Type::Enum(_),
            J::String(text),
        ) => {
            if text.is_empty() && !matches!(ty, Type::String) && optional {
                return Ok(Value::Missing);
            }
            cell_from_text(text, ty, optional, enums)
        }
        (_, other) => Err(format!(
            "`{}` is not {}",
            shorten(&other.to_string()),
            json_expectation(ty)
        )),
    }
}

fn json_expectation(ty: &Type) -> &'static str {
    match ty {
        Type::Bool => "a boolean",
        Type::Integer => "a whole number",
        Type::Decimal => "a number",
        Type::String => "a string",
        Type::Date => "a date string",
        Type::Country => "a country code string",
        Type::Eccn => "an ECCN string",
        Type::Enum(_) => "an enum value string",
        Type::List(_) | Type::Set(_) => "an array",
        Type::Record(_) | Type::Row(_) | Type::Error => "a loadable value",
    }
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 40 {
        let head: String = text.chars().take(37).collect();
        format!("{head}...")
    } else {
        text.to_string()
    }
}

/// The byte offset of a 1-based line and column, as serde_json reports them.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line {
            return offset + column.saturating_sub(1).min(content.len());
        }
        offset += content.len();
    }
    text.len()
}

/// One field of a CSV record, with its span in the file.
struct CsvField {
    text: String,
    span: Span,
}

/// One record (line) of a CSV file.
struct CsvRecord {
    fields: Vec<CsvField>,
    span: Span,
}

/// Parses CSV (RFC 4180): fields separated by commas, optionally quoted with `"`, a quote
/// inside quotes doubled; records end with LF or CRLF. Blank lines are skipped. On error,
/// returns why and the byte offset.
fn parse_csv(text: &str) -> Result<Vec<CsvRecord>, (String, usize)> {
    let bytes = text.as_bytes();
    let mut records = Vec::new();
    let mut position = 0;
    // A byte-order mark is not part of the first column's name.
    if text.starts_with('\u{feff}') {
        position = 3;
    }
    while position < bytes.len() {
        let record_start = position;
        let mut fields = Vec::new();
        loop {
            let field_start = position;
            let mut value = String::new();
            if bytes.get(position) == Some(&b'"') {
                position += 1;
                let mut closed = false;
                while let Some(&byte) = bytes.get(position) {
                    if byte == b'"' {
                        if bytes.get(position + 1) == Some(&b'"') {
                            value.push('"');
                            position += 2;
                        } else {
                            position += 1;
                            closed = true;
                            break;
                        }
                    } else {
                        let next = text
                            .get(position..)
                            .and_then(|rest| rest.chars().next())
                            .unwrap_or('\u{fffd}');
                        value.push(next);
                        position += next.len_utf8();
                    }
                }
                if !closed {
                    return Err(("a quoted field is not closed".into(), field_start));
                }
                if !matches!(bytes.get(position), None | Some(b',' | b'\n' | b'\r')) {
                    return Err(("text follows a closing quote".into(), position));
                }
            } else {
                let end = text
                    .get(position..)
                    .and_then(|rest| rest.find([',', '\n', '\r']))
                    .map_or(bytes.len(), |i| position + i);
                value.push_str(text.get(position..end).unwrap_or(""));
                position = end;
            }
            fields.push(CsvField {
                text: value,
                span: Span::new(field_start, position),
            });
            match bytes.get(position) {
                Some(b',') => position += 1,
                Some(b'\r') => {
                    position += 1;
                    if bytes.get(position) == Some(&b'\n') {
                        position += 1;
                    }
                    break;
                }
                Some(b'\n') => {
                    position += 1;
                    break;
                }
                _ => break,
            }
        }
        let blank = fields.len() == 1 && fields.first().is_some_and(|f| f.text.trim().is_empty());
        if !blank {
            let end = fields.last().map_or(record_start, |f| f.span.end as usize);
            records.push(CsvRecord {
                fields,
                span: Span::new(record_start, end),
            });
        }
    }
    Ok(records)
}

/// The spans of the elements of an array in a JSON text: the top-level array when `path` is
/// empty, else the array under the given keys of nested objects. The text must already have
/// parsed as JSON; this only locates rows for diagnostics.
fn element_spans(text: &str, path: &[&str]) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut position = 0;
    let skip_space = |p: &mut usize| {
        while bytes.get(*p).is_some_and(|b| b.is_ascii_whitespace()) {
            *p += 1;
        }
    };
    for key in path {
        skip_space(&mut position);
        if bytes.get(position) != Some(&b'{') {
            return Vec::new();
        }
        position += 1;
        // Walk the members of the object until the key.
        loop {
            skip_space(&mut position);
            let Some(name_end) = skip_value(bytes, position) else {
                return Vec::new();
            };
            let name = text
                .get(position + 1..name_end.saturating_sub(1))
                .unwrap_or("");
            position = name_end;
            skip_space(&mut position);
            position += 1; // the colon
            skip_space(&mut position);
            if name == *key {
                break;
            }
            let Some(value_end) = skip_value(bytes, position) else {
                return Vec::new();
            };
            position = value_end;
            skip_space(&mut position);
            if bytes.get(position) != Some(&b',') {
                return Vec::new();
            }
            position += 1;
        }
    }
    skip_space(&mut position);
    if bytes.get(position) != Some(&b'[') {
        return Vec::new();
    }
    position += 1;
    let mut spans = Vec::new();
    loop {
        skip_space(&mut position);
        if matches!(bytes.get(position), None | Some(b']')) {
            break;
        }
        let Some(end) = skip_value(bytes, position) else {
            break;
        };
        spans.push(Span::new(position, end));
        position = end;
        skip_space(&mut position);
        if bytes.get(position) == Some(&b',') {
            position += 1;
        }
    }
    spans
}

/// The end of the JSON value starting at `start`.
fn skip_value(bytes: &[u8], start: usize) -> Option<usize> {
    let mut position = start;
    let mut depth = 0usize;
    let mut in_string = false;
    loop {
        let byte = *bytes.get(position)?;
        position += 1;
        if in_string {
            match byte {
                b'\\' => position += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        return Some(position);
                    }
                }
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                if depth == 0 {
                    return Some(position - 1);
                }
                depth -= 1;
                if depth == 0 {
                    return Some(position);
                }
            }
            b',' | b':' if depth == 0 => return Some(position - 1),
            _ if depth == 0 && byte.is_ascii_whitespace() && position - 1 > start => {
                return Some(position - 1)
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_reads_quotes_and_line_ends() {
        let records = parse_csv("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\n3,\n").unwrap();
        let texts: Vec<Vec<&str>> = records
            .iter()
            .map(|r| r.fields.iter().map(|f| f.text.as_str()).collect())
            .collect();
        assert_eq!(
            texts,
            vec![vec!["a", "b"], vec!["x, y", "say \"hi\""], vec!["3", ""]]
        );
        assert!(parse_csv("\"open").is_err());
    }

    #[test]
    fn json_element_spans_find_rows() {
        let text = r#"{"total": 2, "results": [ {"name": "A"}, {"name": "B, \"x\""} ]}"#;
        let spans = element_spans(text, &["results"]);
        let rows: Vec<&str> = spans
            .iter()
            .map(|s| &text[s.start as usize..s.end as usize])
            .collect();
        assert_eq!(rows, vec![r#"{"name": "A"}"#, r#"{"name": "B, \"x\""}"#]);
        let spans = element_spans("[1, 22 ,[3]]", &[]);
        assert_eq!(spans.len(), 3);
    }

    #[test]
    fn cells_convert_by_type() {
        assert_eq!(
            cell_from_text("X", &Type::Bool, false, &[]),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            cell_from_text("", &Type::Bool, false, &[]),
            Ok(Value::Bool(false))
        );
        assert!(cell_from_text("XX", &Type::Country, false, &[]).is_err());
        assert_eq!(
            cell_from_text("", &Type::Country, true, &[]),
            Ok(Value::Missing)
        );
        let list =
            cell_from_text("CN; RU", &Type::List(Box::new(Type::Country)), false, &[]).unwrap();
        assert_eq!(
            list,
            Value::List(Arc::from(vec![
                Value::Country(Country::parse("CN").unwrap()),
                Value::Country(Country::parse("RU").unwrap())
            ]))
        );
    }
}
