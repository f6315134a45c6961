//! W0002: a table, enum or record that nothing uses.
//!
//! What it finds: a table no condition, outcome or `because` reads; an enum that no field,
//! column or decision has as its type; a record that no field or column has as its type (the
//! transaction schema is used by definition).
//!
//! Why it matters: an unused table is usually a rule that was forgotten or a name that was
//! misspelt in a condition that now reads another table; an unused type is dead weight that
//! readers of the policy still have to understand.
//!
//! Example:
//!
//! ```vigil
//! table cc_column_2_countries       # declared, but no rule reads it
//!   columns country: country
//!   row "AR"
//! end
//! ```
//!
//! Fix: use it in the rule that needs it, or remove it.

use std::collections::HashSet;

use super::label;
use crate::diagnostic::{Code, Diagnostic};
use crate::semantic::ir::*;

/// Records the enums and records a type mentions.
fn mention(ty: &Type, enums: &mut HashSet<EnumId>, records: &mut HashSet<RecordId>) {
    match ty {
        Type::Enum(id) => {
            enums.insert(*id);
        }
        Type::Record(id) => {
            records.insert(*id);
        }
        Type::List(element) | Type::Set(element) => mention(element, enums, records),
        _ => {}
    }
}

pub(crate) fn check(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    let mut tables: HashSet<TableId> = HashSet::new();
    for expr in &program.exprs {
        match &expr.kind {
            ExprKind::Table(table) | ExprKind::Column { table, .. } => {
                tables.insert(*table);
            }
            ExprKind::Matches { shape, .. } => {
                tables.insert(shape.table);
            }
            _ => {}
        }
    }
    let mut enums: HashSet<EnumId> = HashSet::new();
    let mut records: HashSet<RecordId> = HashSet::new();
    for record in &program.records {
        for field in &record.fields {
            mention(&field.ty, &mut enums, &mut records);
        }
    }
    for table in &program.tables {
        for column in &table.columns {
            mention(&column.ty, &mut enums, &mut records);
        }
    }
    for decision in &program.decisions {
        mention(&decision.value_type, &mut enums, &mut records);
    }
    for (index, table) in program.tables.iter().enumerate() {
        if !tables.contains(&TableId::from_index(index)) {
            diagnostics.push(never_used(
                program,
                ("table", &table.name, table.location),
                "no rule reads this table",
                "read it in a condition (`destination in TABLE.COLUMN`), or remove it",
            ));
        }
    }
    for (index, enumeration) in program.enums.iter().enumerate() {
        if enumeration.origin == EnumOrigin::Declared && !enums.contains(&EnumId::from_index(index))
        {
            diagnostics.push(never_used(
                program,
                ("enum", &enumeration.name, enumeration.location),
                "no field, column or decision has this type",
                "give a field, column or decision this type, or remove it",
            ));
        }
    }
    for (index, record) in program.records.iter().enumerate() {
        let id = RecordId::from_index(index);
        if program.schema != Some(id) && !records.contains(&id) {
            diagnostics.push(never_used(
                program,
                ("record", &record.name, record.location),
                "no field has this type",
                "give a field of the schema this type, or remove it",
            ));
        }
    }
}

/// The W0002 warning for a declaration: (what kind, its name, where it is declared).
fn never_used(
    program: &Program,
    (kind, name, location): (&str, &str, Location),
    why: &str,
    help: &str,
) -> Diagnostic {
    let diagnostic = Diagnostic::warning(Code::W0002, format!("the {kind} `{name}` is never used"));
    label(program, diagnostic, location, why).with_help(help)
}
