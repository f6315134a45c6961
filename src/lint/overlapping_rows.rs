//! W0005: two versions of a table row in force on the same day.
//!
//! What it finds: two rows of a table that agree on every cell that is not a mark (a `bool`
//! column), and whose dates overlap. Rows that agree on their key (the country of a Country
//! Chart row, the ECCN of a list entry) are versions of the same fact; on any day, one of them
//! is the law.
//!
//! Why it matters: when a regulation changes a fact, the old row gets an `until` and the new
//! one an `effective` on the same day. If they overlap, both are in force at once and the table
//! says two things on the same day (for marks, the row with an `X` silently wins).
//!
//! Example:
//!
//! ```vigil
//! columns country: country, cc1: bool
//! row "AT", X  until 2023-12-08
//! row "AT", -  effective 2023-12-01        # overlaps the week before the change
//! ```
//!
//! Fix: make the new row's `effective` the old row's `until`.

use std::collections::HashMap;

use super::label;
use crate::diagnostic::{Code, Diagnostic};
use crate::semantic::ir::*;

fn location(row: &TableRow) -> Location {
    match row.origin {
        RowOrigin::Inline(location) => location,
        RowOrigin::Loaded { file, span, .. } => Location { file, span },
    }
}

pub(crate) fn check(program: &Program, diagnostics: &mut Vec<Diagnostic>) {
    for table in &program.tables {
        let key_columns: Vec<usize> = table
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.ty != Type::Bool)
            .map(|(i, _)| i)
            .collect();
        let mut groups: HashMap<Vec<&Value>, Vec<&TableRow>> = HashMap::new();
        for row in &table.rows {
            let key: Vec<&Value> = if key_columns.is_empty() {
                row.cells.iter().collect()
            } else {
                key_columns
                    .iter()
                    .filter_map(|i| row.cells.get(*i))
                    .collect()
            };
            groups.entry(key).or_default().push(row);
        }
        let mut found: Vec<(&TableRow, &TableRow)> = Vec::new();
        for rows in groups.values_mut() {
            if rows.len() < 2 {
                continue;
            }
            // Sorted by first day, a row overlaps an earlier one exactly when it starts before
            // the latest end seen so far.
            rows.sort_by_key(|r| r.dates.effective);
            let mut latest: Option<&TableRow> = None;
            for row in rows.iter() {
                if let Some(previous) = latest {
                    // Undated duplicates in a loaded file (a government list that names an
                    // entity twice) are the data's, not the policy's: only rows written in the
                    // policy, or dated rows, are versions the author controls.
                    let versions =
                        previous.dates != DateRange::ALWAYS || row.dates != DateRange::ALWAYS;
                    let inline = matches!(previous.origin, RowOrigin::Inline(_))
                        && matches!(row.origin, RowOrigin::Inline(_));
                    if previous.dates.overlaps(&row.dates) && (versions || inline) {
                        found.push((previous, row));
                        continue;
                    }
                }
                let ends_later = latest.map_or(true, |l| match (row.dates.until, l.dates.until) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    (Some(a), Some(b)) => a > b,
                });
                if ends_later {
                    latest = Some(row);
                }
            }
        }
        found.sort_by_key(|(_, row)| (location(row).file, location(row).span.start));
        for (first, second) in found {
            let overlap = first.dates.intersect(&second.dates);
            let diagnostic = Diagnostic::warning(
                Code::W0005,
                format!(
                    "two versions of a row of `{}` are in force on the same days",
                    table.name
                ),
            );
            let diagnostic = label(
                program,
                diagnostic,
                location(second),
                format!("this row is in force {}", second.dates),
            );
            let diagnostic = label(
                program,
                diagnostic,
                location(first),
                format!("and so is this one, {}", first.dates),
            );
            diagnostics.push(diagnostic.with_help(format!(
                "both are in force {overlap}; end the older row with `until` on the day the newer one takes `effective`, or remove the duplicate"
            )));
        }
    }
}
