//! The tables pass: inline rows are checked cell by cell against the columns, `X` and `-`
//! become marks in `bool` columns, rows get their dates, and `load from` clauses bring in rows
//! from data files (see [`super::data`]).

use std::sync::Arc;

use super::data::{self, DataSource};
use super::exprs::plural;
use super::ir::*;
use super::types::ConstantContext;
use super::{paths, Context};
use crate::diagnostic::Code;
use crate::source::SourceFile;
use crate::suggest;
use crate::syntax::ast;

const FORMATS: &[(&str, DataFormat)] = &[
    ("csv", DataFormat::Csv),
    ("json", DataFormat::Json),
    ("csl", DataFormat::Csl),
];

impl<'a> Context<'a> {
    pub(crate) fn check_tables(&mut self) {
        let pending = self.pending.tables.clone();
        for (index, decl) in pending.iter().enumerate() {
            self.check_table(TableId::from_index(index), decl);
        }
    }

    fn check_table(&mut self, id: TableId, decl: &ast::TableDecl) {
        let Some(table) = self.program.table(id) else {
            return;
        };
        let file = table.location.file;
        let columns = table.columns.clone();
        let table_name = table.name.clone();
        if columns.is_empty() && (!decl.rows.is_empty() || decl.load.is_some()) {
            self.report(
                self.error(Code::E0303, format!("the table `{}` declares no columns", decl.name.node), Self::at(file, decl.name.span), "rows need columns")
                    .with_help("declare the columns and their types: `columns group: string, country: country`"),
            );
            return;
        }
        let mut rows = Vec::new();
        for row in &decl.rows {
            if let Some(checked) = self.check_row(file, &table_name, &columns, row) {
                rows.push(checked);
            }
        }
        let load = decl
            .load
            .as_ref()
            .and_then(|load| self.load_table(file, &table_name, &columns, load, &mut rows));
        if let Some(table) = self.program.tables.get_mut(id.index()) {
            table.rows = rows;
            table.load = load;
        }
    }

    fn check_row(
        &mut self,
        file: FileId,
        table_name: &str,
        columns: &[Column],
        row: &ast::Row,
    ) -> Option<TableRow> {
        let location = self.locate(file, row.span);
        if row.cells.len() != columns.len() {
            let names: Vec<&str> = columns.iter().map(|c| &*c.name).collect();
            self.report(
                self.error(
                    Code::E0301,
                    format!(
                        "the row has {}, but the table `{table_name}` has {}",
                        plural(row.cells.len(), "cell", "cells"),
                        plural(columns.len(), "column", "columns")
                    ),
                    location,
                    format!("expected {} cells", columns.len()),
                )
                .with_help(format!(
                    "give one cell per column, in order: {}",
                    names.join(", ")
                )),
            );
            return None;
        }
        let mut cells = Vec::with_capacity(columns.len());
        let mut valid = true;
        for (cell, column) in row.cells.iter().zip(columns) {
            let value = match cell {
                ast::Cell::Dash(span) => {
                    if column.ty == Type::Bool {
                        Some(Value::Bool(false))
                    } else if matches!(column.ty, Type::List(_) | Type::Set(_)) {
                        Some(Value::empty_list())
                    } else if column.optional {
                        Some(Value::Missing)
                    } else {
                        self.report(
                            self.error(
                                Code::E0302,
                                format!(
                                    "the column `{}` is not optional, so its cells cannot be empty",
                                    column.name
                                ),
                                Self::at(file, *span),
                                "an empty cell",
                            )
                            .with_help(format!(
                                "give a value, or declare the column `{}: optional {}`",
                                column.name,
                                self.program.type_name(&column.ty)
                            )),
                        );
                        None
                    }
                }
                ast::Cell::Value(expr) => {
                    let what = format!("a cell of the column `{}`", column.name);
                    self.const_value(
                        file,
                        expr,
                        &column.ty,
                        ConstantContext {
                            mismatch: Code::E0302,
                            what: &what,
                        },
                    )
                }
            };
            match value {
                Some(value) => cells.push(value),
                None => valid = false,
            }
        }
        let dates = DateRange {
            effective: row.effective.as_ref().map(|d| d.node),
            until: row.until.as_ref().map(|d| d.node),
        };
        self.check_range(
            dates,
            file,
            row.effective.as_ref(),
            row.until.as_ref(),
            "row",
        );
        valid.then(|| TableRow {
            cells: cells.into_boxed_slice(),
            dates,
            origin: RowOrigin::Inline(location),
        })
    }

    /// Checks a `load from` clause and loads the rows it names, when the loader supplies them.
    fn load_table(
        &mut self,
        file: FileId,
        table_name: &str,
        columns: &[Column],
        load: &ast::Load,
        rows: &mut Vec<TableRow>,
    ) -> Option<TableLoad> {
        let load_location = Self::at(file, load.span);
        let source = match &load.from {
            ast::LoadSource::File(path) => LoadSource::File(Arc::from(
                paths::resolve(&self.source(file).name, &path.node).as_str(),
            )),
            ast::LoadSource::Input(name) => LoadSource::Input(Arc::from(name.node.as_str())),
        };
        let format = match &load.format {
            Some(format) => match FORMATS.iter().find(|(name, _)| *name == format.node) {
                Some((_, format)) => *format,
                None => {
                    let mut diagnostic = self.error(
                        Code::E0308,
                        format!("unknown data format `{}`", format.node),
                        Self::at(file, format.span),
                        "not a format Vigil reads",
                    );
                    diagnostic = match suggest::closest(&format.node, FORMATS.iter().map(|(n, _)| *n)) {
                        Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                        None => diagnostic.with_help("the formats are `csv`, `json` and `csl` (the trade.gov Consolidated Screening List)"),
                    };
                    self.report(diagnostic);
                    return None;
                }
            },
            None => {
                let guessed = match &source {
                    LoadSource::File(path) if path.ends_with(".csv") => Some(DataFormat::Csv),
                    LoadSource::File(path) if path.ends_with(".json") => Some(DataFormat::Json),
                    _ => None,
                };
                match guessed {
                    Some(format) => format,
                    None => {
                        self.report(
                            self.error(
                                Code::E0308,
                                "the data format is not given",
                                load_location,
                                "which format is the data in?",
                            )
                            .with_help("add `as csv`, `as json` or `as csl` after the file"),
                        );
                        return None;
                    }
                }
            }
        };
        let supplied = match &source {
            LoadSource::File(path) => self.loader.data_file(path),
            LoadSource::Input(name) => self.loader.input(name),
        };
        let mut data_file = None;
        match supplied {
            None => {}
            Some(Err(reason)) => {
                let what = match &source {
                    LoadSource::File(path) => {
                        format!("cannot read the data file `{path}`: {reason}")
                    }
                    LoadSource::Input(name) => {
                        format!("cannot read the data given for `{name}`: {reason}")
                    }
                };
                self.report(self.error(Code::E0304, what, load_location, "loaded here").with_help("check that the file exists and is readable; the path is relative to the policy file"));
            }
            Some(Ok(text)) => {
                let file_id = FileId::from_index(self.program.files.len());
                self.program.files.push(text.clone());
                data_file = Some(file_id);
                let policy_file: SourceFile = self.source(file);
                let source = DataSource {
                    file: &text,
                    file_id,
                    format,
                    loaded_at: Some((&policy_file, load.span)),
                };
                let (loaded, diagnostics) =
                    data::load_rows(columns, &self.program.enums, table_name, &source);
                self.diagnostics.extend(diagnostics);
                rows.extend(loaded);
            }
        }
        Some(TableLoad {
            source,
            format,
            file: data_file,
        })
    }
}
