//! The checked program: every name resolved, every expression typed, every constant validated.
//!
//! This is what the evaluator runs and what `vigil graph`, `vigil doc` and the lints read. It is
//! designed for evaluation at microsecond speed:
//!
//! - **Interned ids.** Declarations live in vectors of [`Program`] and refer to each other by
//!   small integer ids ([`RuleId`], [`DecisionId`], [`TableId`], ...). Expressions live in one
//!   arena, [`Program::exprs`], and refer to their operands by [`ExprId`].
//! - **No strings on hot paths.** Enumeration values are their position in their enumeration
//!   ([`Value::Enum`]); for a decision declared with `values`, the position is its rank, least
//!   restrictive first, so "most restrictive" is `max`. Countries are two bytes
//!   ([`Country`]); ECCNs are parsed once into category, group, number and paragraph segments
//!   ([`Eccn`]). Record fields and table columns are addressed by position ([`Path`]).
//! - **Quantifier variables are slots.** Each rule has a frame of [`Rule::slots`]; a quantifier
//!   binds its variable to a slot. A quantifier `any` in `when` that holds leaves its *witness*
//!   (the first element that satisfied it) in its slot; [`Rule::witnesses`] lists the slots that
//!   are certainly bound when `when` holds, and only those may be read by outcomes and `because`.
//! - **Constant membership is compiled.** `X in TABLE.COLUMN` on a table known at compile time,
//!   `X in [..]` on a constant list and `X within ...` on constant ECCNs are compiled into a
//!   [`DatedSet`]: one [`ValueSet`] per stretch of time in which the table's rows do not change
//!   (countries as a bitmap, ECCNs as a hash set of entries and of their prefixes, other values
//!   as a hash set). Evaluation picks the version in force on the transaction's date with one
//!   binary search. A column whose rows carry so many different dates that the versions would
//!   be quadratic in size is left as [`Collection::Expr`], read row by row at run time.
//! - **Missing is representable.** [`Value::Missing`] is an absent optional value; conditions on
//!   it are [`Truth::Unknown`]. [`Path::may_be_missing`] says statically whether a path can be.
//! - **Explanations.** Every expression keeps its file and span, so an explanation can show which
//!   sub-condition held and quote the values it read.
//!
//! The IR knows nothing of the syntax tree's layout beyond spans, and nothing of evaluation.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

pub use super::country::{Country, CountrySet};
pub use super::eccn::Eccn;
pub use super::value::{Decimal, Truth, Value};
pub use crate::syntax::ast::{CombineMode, PresenceTest, QuantifierKind};

use crate::date::Date;
use crate::hash::FxHashSet;
use crate::source::{SourceFile, Span};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
        pub struct $name(pub u32);

        impl $name {
            /// The position in its vector of [`Program`].
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id of the element at `index`; ids beyond `u32::MAX` saturate (programs are
            /// far smaller, see [`crate::source::MAX_SOURCE_BYTES`]).
            pub fn from_index(index: usize) -> Self {
                $name(u32::try_from(index).unwrap_or(u32::MAX))
            }
        }
    )*};
}

ids! {
    /// A file of the program: a policy file, or a data file a table was loaded from.
    FileId;
    /// A `policy` block.
    PolicyId;
    /// A rule.
    RuleId;
    /// A decision.
    DecisionId;
    /// A table.
    TableId;
    /// An enumeration (declared with `enum`, or the values of a decision).
    EnumId;
    /// A record type, or the transaction schema.
    RecordId;
    /// A test.
    TestId;
    /// An expression in [`Program::exprs`].
    ExprId;
    /// A compiled constant set in [`Program::sets`].
    SetId;
}

/// A quantifier variable's place in its rule's frame of [`Rule::slots`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Slot(pub u16);

impl Slot {
    /// The position in the rule's frame.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

/// Where something was written.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Location {
    pub file: FileId,
    pub span: Span,
}

/// The range of days in which a policy, rule or row is in force: from `effective` (included)
/// to `until` (excluded). An open end is unbounded.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct DateRange {
    pub effective: Option<Date>,
    pub until: Option<Date>,
}

impl DateRange {
    /// Every day.
    pub const ALWAYS: DateRange = DateRange {
        effective: None,
        until: None,
    };

    /// Whether the day lies in the range.
    pub fn contains(&self, date: Date) -> bool {
        self.effective.map_or(true, |from| date >= from) && self.until.map_or(true, |to| date < to)
    }

    /// Whether no day lies in the range (`until` on or before `effective`).
    pub fn is_empty(&self) -> bool {
        matches!((self.effective, self.until), (Some(from), Some(to)) if to <= from)
    }

    /// The days in both ranges.
    pub fn intersect(&self, other: &DateRange) -> DateRange {
        let effective = match (self.effective, other.effective) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let until = match (self.until, other.until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        DateRange { effective, until }
    }

    /// Whether some day lies in both ranges.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        !self.intersect(other).is_empty()
    }

    /// Whether every day of `other` lies in this range.
    pub fn covers(&self, other: &DateRange) -> bool {
        let starts_before = match (self.effective, other.effective) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a <= b,
        };
        let ends_after = match (self.until, other.until) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(a), Some(b)) => a >= b,
        };
        starts_before && ends_after
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.effective, self.until) {
            (None, None) => f.write_str("on every day"),
            (Some(from), None) => write!(f, "from {from}"),
            (None, Some(to)) => write!(f, "until {to}"),
            (Some(from), Some(to)) => write!(f, "from {from} until {to}"),
        }
    }
}

/// The type of a value.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Type {
    Bool,
    Integer,
    Decimal,
    String,
    Date,
    Country,
    Eccn,
    Enum(EnumId),
    Record(RecordId),
    /// One row of a table, as bound by `any entry in TABLE`.
    Row(TableId),
    List(Box<Type>),
    Set(Box<Type>),
    /// The type of an expression that already has an error. It fits everywhere, so that one
    /// mistake is reported once.
    Error,
}

impl Type {
    /// The element type of a list or set.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(element) | Type::Set(element) => Some(element),
            _ => None,
        }
    }

    /// Whether the type is a number.
    pub fn is_numeric(&self) -> bool {
        matches!(self, Type::Integer | Type::Decimal)
    }
}

/// A field of a record or of the transaction schema.
#[derive(Clone, Debug)]
pub struct Field {
    pub name: Arc<str>,
    pub ty: Type,
    /// Whether a transaction may leave it out (then it reads as missing).
    pub optional: bool,
    /// The value an absent field stands for: `findings: set of finding default []`.
    pub default: Option<Value>,
    /// The least number of elements of a `list of at least N`.
    pub min_len: Option<u32>,
    pub doc: Option<Arc<str>>,
    pub location: Location,
}

/// A record type, or the transaction schema.
#[derive(Clone, Debug)]
pub struct Record {
    pub name: Arc<str>,
    pub docs: Vec<Arc<str>>,
    pub fields: Vec<Field>,
    pub location: Location,
}

impl Record {
    /// The position of the field with this name.
    pub fn field_index(&self, name: &str) -> Option<u16> {
        self.fields
            .iter()
            .position(|f| &*f.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }
}

/// Where an enumeration comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnumOrigin {
    /// `enum NAME ... end`.
    Declared,
    /// The `values` of a decision, least restrictive first.
    DecisionValues(DecisionId),
}

/// An enumeration.
#[derive(Clone, Debug)]
pub struct Enum {
    pub name: Arc<str>,
    pub docs: Vec<Arc<str>>,
    pub values: Vec<EnumValue>,
    pub origin: EnumOrigin,
    pub location: Location,
}

impl Enum {
    /// The position of the value with this name.
    pub fn value_index(&self, name: &str) -> Option<u16> {
        self.values
            .iter()
            .position(|v| &*v.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// The name of the value at a position.
    pub fn value_name(&self, index: u16) -> Option<&str> {
        self.values.get(usize::from(index)).map(|v| &*v.name)
    }
}

/// One value of an enumeration.
#[derive(Clone, Debug)]
pub struct EnumValue {
    pub name: Arc<str>,
    pub description: Option<Arc<str>>,
    pub location: Location,
}

/// The kinds of decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DecisionKind {
    /// `values A, B, C`: an ordered enumeration, least restrictive first.
    Ordered(EnumId),
    /// `type bool`.
    Bool,
    /// `type set of T`.
    Set(Type),
    /// Any other single-valued type.
    Single(Type),
}

/// A decision every record reports.
#[derive(Clone, Debug)]
pub struct Decision {
    pub name: Arc<str>,
    pub title: Option<Arc<str>>,
    pub docs: Vec<Arc<str>>,
    pub kind: DecisionKind,
    /// The type of the decision's value.
    pub value_type: Type,
    /// How outcomes of several rules combine; `None` when the declaration names no way, in
    /// which case two rules setting different values is a compile error.
    pub combine: Option<CombineMode>,
    /// The value when no applying rule sets the decision; `None` reports it as null.
    pub default: Option<Value>,
    /// The value when a rule that may apply lacks information.
    pub unknown: Option<Value>,
    /// The rules with an outcome on this decision.
    pub set_by: Vec<RuleId>,
    pub location: Location,
}

/// A `policy` block.
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: Arc<str>,
    pub title: Option<Arc<str>>,
    pub authority: Option<Arc<str>>,
    pub cite: Option<Arc<str>>,
    pub docs: Vec<Arc<str>>,
    pub dates: DateRange,
    pub rules: Vec<RuleId>,
    pub location: Location,
}

/// One column of a table.
#[derive(Clone, Debug)]
pub struct Column {
    pub name: Arc<str>,
    pub ty: Type,
    /// Whether a cell may be empty (`-`, or absent in a data file).
    pub optional: bool,
    pub location: Location,
}

/// Where a row of a table was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowOrigin {
    /// A `row` of the table's declaration.
    Inline(Location),
    /// Loaded from a data file: the file and the 1-based record number in it.
    Loaded {
        file: FileId,
        record: u32,
        span: Span,
    },
}

/// One row of a table.
#[derive(Clone, Debug)]
pub struct TableRow {
    /// One value per column, in column order.
    pub cells: Box<[Value]>,
    /// When the row is in force.
    pub dates: DateRange,
    pub origin: RowOrigin,
}

/// The format of a data file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataFormat {
    /// Comma-separated values with a header naming the columns.
    Csv,
    /// A JSON array of objects.
    Json,
    /// The trade.gov Consolidated Screening List: `{"results": [...]}`.
    Csl,
}

impl DataFormat {
    /// The format as written after `as`.
    pub fn as_str(self) -> &'static str {
        match self {
            DataFormat::Csv => "csv",
            DataFormat::Json => "json",
            DataFormat::Csl => "csl",
        }
    }
}

/// Where a table's rows are loaded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadSource {
    /// A file next to the policy; the path is relative to the working directory, as the
    /// policy file's own name is.
    File(Arc<str>),
    /// Data supplied at run time with `--data NAME=PATH`.
    Input(Arc<str>),
}

/// A table's `load from` clause.
#[derive(Clone, Debug)]
pub struct TableLoad {
    pub source: LoadSource,
    pub format: DataFormat,
    /// The data file the rows came from, when it was loaded.
    pub file: Option<FileId>,
}

/// A table of facts.
#[derive(Clone, Debug)]
pub struct Table {
    /// The name used in conditions.
    pub name: Arc<str>,
    /// The name qualified by its policy, `bis.crime_control.cc_column_1_eccns`, or the plain
    /// name for a table outside any policy.
    pub qualified_name: Arc<str>,
    pub policy: Option<PolicyId>,
    pub title: Option<Arc<str>>,
    pub docs: Vec<Arc<str>>,
    pub source: Option<Arc<str>>,
    pub as_of: Option<Date>,
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
    pub load: Option<TableLoad>,
    /// Whether a row of the table is screened with `matches`.
    pub screening: bool,
    pub location: Location,
}

impl Table {
    /// The position of the column with this name.
    pub fn column_index(&self, name: &str) -> Option<u16> {
        self.columns
            .iter()
            .position(|c| &*c.name == name)
            .and_then(|i| u16::try_from(i).ok())
    }

    /// The rows in force on a day.
    pub fn rows_in_force(&self, date: Date) -> impl Iterator<Item = &TableRow> {
        self.rows.iter().filter(move |row| row.dates.contains(date))
    }

    /// Whether the table's rows are supplied at run time.
    pub fn is_input(&self) -> bool {
        matches!(
            self.load,
            Some(TableLoad {
                source: LoadSource::Input(_),
                ..
            })
        )
    }
}

/// A quantifier variable of a rule.
#[derive(Clone, Debug)]
pub struct SlotInfo {
    pub name: Arc<str>,
    /// The type of the element bound to the slot.
    pub ty: Type,
    /// The quantifier expression that binds it.
    pub binder: ExprId,
}

/// How an outcome acts on its decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutcomeOp {
    /// `license is required`.
    Set,
    /// `license_exceptions includes ACE`.
    Include,
}

/// One outcome of a rule.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub decision: DecisionId,
    pub op: OutcomeOp,
    /// The value; a constant ([`ExprKind::Const`]) or a path the condition bound.
    pub value: ExprId,
    pub location: Location,
}

/// A piece of a `because` sentence.
#[derive(Clone, Debug)]
pub enum TemplatePart {
    Text(Arc<str>),
    /// A quoted value, `{item.eccn}`.
    Value(ExprId),
}

/// A sentence that quotes values.
#[derive(Clone, Debug)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub location: Location,
}

/// A rule.
#[derive(Clone, Debug)]
pub struct Rule {
    /// The full name, `bis.crime_control.cc1_license`.
    pub name: Arc<str>,
    /// The name inside its policy, `cc1_license`.
    pub short_name: Arc<str>,
    pub policy: PolicyId,
    pub title: Option<Arc<str>>,
    pub docs: Vec<Arc<str>>,
    pub cite: Option<Arc<str>>,
    /// The rule's own `effective` / `until`.
    pub own_dates: DateRange,
    /// When the rule is in force: its own range within its policy's.
    pub dates: DateRange,
    /// The rules this one overrides when it fires.
    pub exception_to: Vec<RuleId>,
    /// The rules that override this one when they fire.
    pub overridden_by: Vec<RuleId>,
    pub priority: i64,
    /// `None`: the rule always applies.
    pub when: Option<ExprId>,
    pub unless: Option<ExprId>,
    pub outcomes: Vec<Outcome>,
    pub because: Option<Template>,
    /// The frame of quantifier variables.
    pub slots: Vec<SlotInfo>,
    /// The slots certainly bound (to a witness) when `when` holds.
    pub witnesses: Vec<Slot>,
    pub location: Location,
}

/// A test's transaction.
#[derive(Clone, Debug)]
pub enum TestGiven {
    /// JSON written in the test.
    Inline { text: Arc<str>, location: Location },
    /// A JSON file; the path is relative to the working directory.
    File { path: Arc<str>, location: Location },
}

/// One expectation of a test.
#[derive(Clone, Debug)]
pub enum Expectation {
    /// `expect DECISION is VALUE` / `includes VALUE`.
    Decision {
        decision: DecisionId,
        op: OutcomeOp,
        value: Value,
        location: Location,
    },
    /// `expect rule NAME fires` / `does not fire`.
    Rule {
        rule: RuleId,
        fires: bool,
        location: Location,
    },
    /// `expect rejected`.
    Rejected(Location),
}

/// A test case.
#[derive(Clone, Debug)]
pub struct Test {
    pub name: Arc<str>,
    pub docs: Vec<Arc<str>>,
    pub policy: Option<PolicyId>,
    pub as_of: Option<Date>,
    pub given: Option<TestGiven>,
    pub expects: Vec<Expectation>,
    pub location: Location,
}

/// Where a path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathRoot {
    /// The transaction.
    Transaction,
    /// A quantifier variable.
    Slot(Slot),
}

/// A field path: `destination`, `exporter.country`, `item.eccn`, `entry.policy`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path {
    pub root: PathRoot,
    /// Field positions from the root: fields of records, or for a variable bound to a table
    /// row, the column.
    pub fields: Box<[u16]>,
    /// Whether some step of the path is optional, so the value can be missing.
    pub may_be_missing: bool,
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArithmeticOp {
    Add,
    Sub,
    Mul,
    /// Division; its result is always a decimal.
    Div,
}

/// Order and equality comparisons. `before` / `after` are `<` / `>` on dates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// The collection of a membership test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Collection {
    /// Evaluated at run time (a list field of the transaction).
    Expr(ExprId),
    /// A constant, compiled into a set; `source` is the expression it came from, for
    /// explanations and the graph.
    Constant { set: SetId, source: ExprId },
}

/// The fields `matches` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MatchShape {
    /// The party record's `name` field.
    pub party_name: u16,
    /// The party record's `aliases` field, if it has one.
    pub party_aliases: Option<u16>,
    /// The screening table.
    pub table: TableId,
    /// The table's `name` column.
    pub entry_name: u16,
    /// The table's `aliases` column, if it has one.
    pub entry_aliases: Option<u16>,
}

/// Built-in functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `count(C)`: the number of elements of a list, set, table or column.
    Count,
}

impl Builtin {
    /// Every built-in function with its name.
    pub const ALL: &'static [(&'static str, Builtin)] = &[("count", Builtin::Count)];
}

/// The forms of a checked expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Const(Value),
    Path(Path),
    /// The value of a decision (evaluated after every rule that sets it).
    Decision(DecisionId),
    /// The rows of a table in force on the transaction's date.
    Table(TableId),
    /// The values of a column in force on the transaction's date.
    Column {
        table: TableId,
        column: u16,
    },
    List(Box<[ExprId]>),
    /// A string that quotes values.
    Format(Box<[TemplatePartExpr]>),
    Not(ExprId),
    And(Box<[ExprId]>),
    Or(Box<[ExprId]>),
    Arithmetic {
        op: ArithmeticOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    Compare {
        op: Comparison,
        lhs: ExprId,
        rhs: ExprId,
    },
    /// `element in collection`; `negated` for `not in`.
    In {
        negated: bool,
        element: ExprId,
        collection: Collection,
    },
    /// `eccn within scope`: scope is an ECCN or a collection of them.
    Within {
        negated: bool,
        eccn: ExprId,
        scope: Collection,
    },
    Matches {
        party: ExprId,
        entry: ExprId,
        shape: MatchShape,
    },
    Presence {
        value: ExprId,
        test: PresenceTest,
    },
    Quantifier {
        kind: QuantifierKind,
        slot: Slot,
        collection: ExprId,
        body: ExprId,
    },
    Call {
        function: Builtin,
        args: Box<[ExprId]>,
    },
}

impl ExprKind {
    /// The operands of an expression, in evaluation order. For a membership test against a
    /// constant set, the expression the set was compiled from stands for the collection.
    pub fn operands(&self) -> Vec<ExprId> {
        let collection = |c: &Collection| match c {
            Collection::Expr(id) => *id,
            Collection::Constant { source, .. } => *source,
        };
        match self {
            ExprKind::Const(_)
            | ExprKind::Path(_)
            | ExprKind::Decision(_)
            | ExprKind::Table(_)
            | ExprKind::Column { .. } => Vec::new(),
            ExprKind::List(items) | ExprKind::And(items) | ExprKind::Or(items) => items.to_vec(),
            ExprKind::Call { args, .. } => args.to_vec(),
            ExprKind::Format(parts) => parts
                .iter()
                .filter_map(|p| match p {
                    TemplatePartExpr::Value(id) => Some(*id),
                    TemplatePartExpr::Text(_) => None,
                })
                .collect(),
            ExprKind::Not(inner) | ExprKind::Presence { value: inner, .. } => vec![*inner],
            ExprKind::Arithmetic { lhs, rhs, .. }
            | ExprKind::Compare { lhs, rhs, .. }
            | ExprKind::Matches {
                party: lhs,
                entry: rhs,
                ..
            } => vec![*lhs, *rhs],
            ExprKind::In {
                element,
                collection: c,
                ..
            } => vec![*element, collection(c)],
            ExprKind::Within { eccn, scope, .. } => vec![*eccn, collection(scope)],
            ExprKind::Quantifier {
                collection, body, ..
            } => vec![*collection, *body],
        }
    }
}

/// A piece of a string that quotes values, in a condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TemplatePartExpr {
    Text(Arc<str>),
    Value(ExprId),
}

/// A checked expression.
#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Type,
    pub location: Location,
}

/// A set of ECCNs that answers "within" in one or a few hash look-ups.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EccnSet {
    /// The ECCNs of the set.
    pub entries: FxHashSet<Eccn>,
    /// Every proper prefix of an entry: an ECCN given at that depth may or may not lie within.
    pub prefixes: FxHashSet<Eccn>,
    /// The heads of the entries (`5A001`, as [`Eccn::head_key`]), sorted: an ECCN whose head
    /// is none of them lies within no entry and is no prefix of one, which a search of a few
    /// numbers tells.
    pub heads: Vec<u64>,
}

impl EccnSet {
    /// Adds an ECCN.
    pub fn insert(&mut self, eccn: Eccn) {
        for depth in 0..eccn.depth() {
            self.prefixes.insert(eccn.truncated(depth));
        }
        self.entries.insert(eccn);
        if let Err(at) = self.heads.binary_search(&eccn.head_key()) {
            self.heads.insert(at, eccn.head_key());
        }
    }

    /// Whether `eccn` lies within some entry: true if it or one of its ancestors is an entry;
    /// unknown if it is an ancestor of an entry (it was given at less detail than the entry
    /// needs); false otherwise.
    pub fn within(&self, eccn: &Eccn) -> Truth {
        if self.heads.binary_search(&eccn.head_key()).is_err() {
            Truth::False
        } else if (0..=eccn.depth()).any(|depth| self.entries.contains(&eccn.truncated(depth))) {
            Truth::True
        } else if self.prefixes.contains(eccn) {
            Truth::Unknown
        } else {
            Truth::False
        }
    }
}

/// One version of a constant set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueSet {
    Countries(CountrySet),
    Eccns(EccnSet),
    Values(FxHashSet<Value>),
}

impl ValueSet {
    /// Whether the set holds the value (by equality; for ECCNs, exactly that ECCN).
    pub fn contains(&self, value: &Value) -> Truth {
        match (self, value) {
            (_, Value::Missing) => Truth::Unknown,
            (ValueSet::Countries(set), Value::Country(country)) => {
                Truth::from_bool(set.contains(*country))
            }
            (ValueSet::Eccns(set), Value::Eccn(eccn)) => {
                Truth::from_bool(set.entries.contains(eccn))
            }
            (ValueSet::Values(set), value) => Truth::from_bool(set.contains(value)),
            _ => Truth::False,
        }
    }

    /// Whether the ECCN lies within some ECCN of the set.
    pub fn within(&self, value: &Value) -> Truth {
        match (self, value) {
            (_, Value::Missing) => Truth::Unknown,
            (ValueSet::Eccns(set), Value::Eccn(eccn)) => set.within(eccn),
            _ => Truth::False,
        }
    }

    /// How many values the set holds.
    pub fn len(&self) -> usize {
        match self {
            ValueSet::Countries(set) => set.len(),
            ValueSet::Eccns(set) => set.entries.len(),
            ValueSet::Values(set) => set.len(),
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A constant set that may change with the date: `versions[i]` is in force from `changes[i-1]`
/// (included) to `changes[i]` (excluded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DatedSet {
    /// The type of the elements.
    pub element: Type,
    /// The days on which the set changes, in increasing order.
    pub changes: Vec<Date>,
    /// One more version than changes.
    pub versions: Vec<ValueSet>,
    /// The table the set was compiled from, if any.
    pub table: Option<TableId>,
}

impl DatedSet {
    /// The version in force on a day.
    pub fn at(&self, date: Date) -> Option<&ValueSet> {
        let index = self.changes.partition_point(|change| *change <= date);
        self.versions.get(index)
    }
}

/// The checked program.
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// Every file: policy files first, in the order given and imported, then data files.
    pub files: Vec<SourceFile>,
    /// The transaction schema, if one was declared.
    pub schema: Option<RecordId>,
    pub records: Vec<Record>,
    pub enums: Vec<Enum>,
    pub decisions: Vec<Decision>,
    pub tables: Vec<Table>,
    pub policies: Vec<Policy>,
    pub rules: Vec<Rule>,
    pub tests: Vec<Test>,
    pub exprs: Vec<Expr>,
    pub sets: Vec<DatedSet>,
    /// Decisions by name.
    pub decision_names: HashMap<Arc<str>, DecisionId>,
    /// Rules by full name.
    pub rule_names: HashMap<Arc<str>, RuleId>,
}

impl Program {
    /// An expression.
    pub fn expr(&self, id: ExprId) -> Option<&Expr> {
        self.exprs.get(id.index())
    }

    /// A rule.
    pub fn rule(&self, id: RuleId) -> Option<&Rule> {
        self.rules.get(id.index())
    }

    /// A decision.
    pub fn decision(&self, id: DecisionId) -> Option<&Decision> {
        self.decisions.get(id.index())
    }

    /// A table.
    pub fn table(&self, id: TableId) -> Option<&Table> {
        self.tables.get(id.index())
    }

    /// An enumeration.
    pub fn enumeration(&self, id: EnumId) -> Option<&Enum> {
        self.enums.get(id.index())
    }

    /// A record type.
    pub fn record(&self, id: RecordId) -> Option<&Record> {
        self.records.get(id.index())
    }

    /// A file.
    pub fn file(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.index())
    }

    /// A constant set.
    pub fn set(&self, id: SetId) -> Option<&DatedSet> {
        self.sets.get(id.index())
    }

    /// The decision with this name.
    pub fn decision_named(&self, name: &str) -> Option<DecisionId> {
        self.decision_names.get(name).copied()
    }

    /// The rule with this full name.
    pub fn rule_named(&self, name: &str) -> Option<RuleId> {
        self.rule_names.get(name).copied()
    }

    /// The source text an expression was written as.
    pub fn source_text(&self, location: Location) -> &str {
        self.file(location.file)
            .map_or("", |file| file.slice(location.span))
    }

    /// The type as written in the language: `list of item`, `country`, `party_kind`.
    pub fn type_name(&self, ty: &Type) -> String {
        match ty {
            Type::Bool => "bool".into(),
            Type::Integer => "integer".into(),
            Type::Decimal => "decimal".into(),
            Type::String => "string".into(),
            Type::Date => "date".into(),
            Type::Country => "country".into(),
            Type::Eccn => "eccn".into(),
            Type::Enum(id) => self
                .enumeration(*id)
                .map_or_else(|| "enum".into(), |e| e.name.to_string()),
            Type::Record(id) => self
                .record(*id)
                .map_or_else(|| "record".into(), |r| r.name.to_string()),
            Type::Row(id) => self
                .table(*id)
                .map_or_else(|| "table row".into(), |t| format!("row of {}", t.name)),
            Type::List(element) => format!("list of {}", self.type_name(element)),
            Type::Set(element) => format!("set of {}", self.type_name(element)),
            Type::Error => "unknown type".into(),
        }
    }

    /// A value as written in the language, given its type: `required`, `"CN"`, `5A001.j`.
    pub fn display_value(&self, value: &Value, ty: &Type) -> String {
        match value {
            Value::Missing => "missing".into(),
            Value::Bool(b) => b.to_string(),
            Value::Integer(n) => n.to_string(),
            Value::Decimal(d) => d.to_string(),
            Value::String(s) => format!("{s:?}"),
            Value::Date(d) => d.to_string(),
            Value::Country(c) => format!("\"{c}\""),
            Value::Eccn(e) => format!("\"{e}\""),
            Value::Enum(index) => match ty {
                Type::Enum(id) => self
                    .enumeration(*id)
                    .and_then(|e| e.value_name(*index))
                    .unwrap_or("?")
                    .to_string(),
                _ => format!("#{index}"),
            },
            Value::List(values) => {
                let element = ty.element().cloned().unwrap_or(Type::Error);
                let shown: Vec<String> = values
                    .iter()
                    .map(|v| self.display_value(v, &element))
                    .collect();
                format!("[{}]", shown.join(", "))
            }
        }
    }
}
