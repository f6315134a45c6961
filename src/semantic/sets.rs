//! Compiling constant collections into sets: `X in TABLE.COLUMN`, `X in ["CN", "RU"]` and
//! `item.eccn within cc_eccns.eccn` become one hash look-up (or one bit test, for countries)
//! instead of a walk through rows. A table whose rows carry dates gets one version of the set
//! for each stretch of time in which its rows do not change.

use super::ir::*;
use super::Context;
use crate::date::Date;

/// The most cells (stretches of time × rows) a column's compiled versions may take.
const MAX_VERSIONED_CELLS: usize = 4_000_000;

/// An empty set for values of a type.
fn empty_set(element: &Type) -> ValueSet {
    match element {
        Type::Country => ValueSet::Countries(CountrySet::default()),
        Type::Eccn => ValueSet::Eccns(EccnSet::default()),
        _ => ValueSet::Values(crate::hash::FxHashSet::default()),
    }
}

/// Adds a value to a set; lists (a list-valued cell) add each element.
fn insert(set: &mut ValueSet, value: &Value) {
    match (set, value) {
        (_, Value::Missing) => {}
        (set, Value::List(values)) if !matches!(set, ValueSet::Values(_)) => {
            for value in values.iter() {
                insert(set, value);
            }
        }
        (ValueSet::Countries(set), Value::Country(country)) => set.insert(*country),
        (ValueSet::Eccns(set), Value::Eccn(eccn)) => set.insert(*eccn),
        (ValueSet::Values(set), value) => {
            set.insert(value.clone());
        }
        _ => {}
    }
}

/// Whether a row in force from `start` on (or from the beginning of time, for `None`) is in
/// force throughout the stretch that begins there. The stretches are cut at every date of every
/// row, so a row is in force either throughout a stretch or not at all.
fn in_force_from(dates: &DateRange, start: Option<Date>) -> bool {
    match start {
        None => dates.effective.is_none(),
        Some(day) => dates.contains(day),
    }
}

impl<'a> Context<'a> {
    /// The compiled set of a constant collection, or `None` when the collection is only known
    /// at run time.
    pub(crate) fn constant_set(&mut self, collection: ExprId, element: &Type) -> Option<SetId> {
        let expr = self.program.expr(collection)?;
        match &expr.kind {
            ExprKind::Const(value) => {
                let mut set = empty_set(element);
                match value {
                    Value::List(values) => {
                        for value in values.iter() {
                            insert(&mut set, value);
                        }
                    }
                    single => insert(&mut set, single),
                }
                Some(self.push_set(DatedSet {
                    element: element.clone(),
                    changes: Vec::new(),
                    versions: vec![set],
                    table: None,
                }))
            }
            ExprKind::Column { table, column } => {
                let key = (*table, *column);
                if let Some(set) = self.column_sets.get(&key) {
                    return Some(*set);
                }
                let set = self.column_set(*table, *column, element)?;
                let id = self.push_set(set);
                self.column_sets.insert(key, id);
                Some(id)
            }
            _ => None,
        }
    }

    fn push_set(&mut self, set: DatedSet) -> SetId {
        let id = SetId::from_index(self.program.sets.len());
        self.program.sets.push(set);
        id
    }

    fn column_set(&self, table: TableId, column: u16, element: &Type) -> Option<DatedSet> {
        let table_data = self.program.table(table)?;
        let mut changes: Vec<Date> = Vec::new();
        for row in &table_data.rows {
            changes.extend(row.dates.effective);
            changes.extend(row.dates.until);
        }
        changes.sort();
        changes.dedup();
        // One full set per stretch of time costs stretches × rows. A list whose thousands of
        // entries each carry their own date would make that quadratic; such a column is left
        // to be read row by row at run time (the rows in force on the day), which is linear.
        if (changes.len() + 1).saturating_mul(table_data.rows.len()) > MAX_VERSIONED_CELLS {
            return None;
        }
        let starts = std::iter::once(None).chain(changes.iter().copied().map(Some));
        let mut versions = Vec::with_capacity(changes.len() + 1);
        for start in starts {
            let mut set = empty_set(element);
            for row in &table_data.rows {
                if in_force_from(&row.dates, start) {
                    if let Some(value) = row.cells.get(usize::from(column)) {
                        insert(&mut set, value);
                    }
                }
            }
            versions.push(set);
        }
        Some(DatedSet {
            element: element.clone(),
            changes,
            versions,
            table: Some(table),
        })
    }
}
