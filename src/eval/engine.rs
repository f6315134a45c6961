//! The evaluator: runs one transaction through the checked program.
//!
//! Work done once, in [`Engine::new`]: table rows as shared values, a screening index per
//! screening table, column indexes for quantifiers over tables, each rule's conditions
//! compiled into closures (`compiled.rs`; the interpreter here is the reference they are tested
//! against), and the guards that skip a rule a cheap test shows false ([`Guard`]). The
//! evaluation order comes from the decision graph (rules before the decisions they set,
//! decisions before the rules that read them, exceptions before the rules they override),
//! computed once at compile time. Work done per transaction: one pass over that order with a
//! small frame of quantifier slots that refer to rows and list elements rather than copy them;
//! conditions use three-valued logic, so missing information makes a rule *uncertain*, never
//! silently false. Work done once per thread and question: look-ups whose answer depends only
//! on the question (screening a name, the rows an ECCN finds) are remembered from one
//! transaction to the next ([`Memo`]), in a fixed number of slots.

use std::collections::HashMap;
use std::sync::Arc;

use crate::date::Date;
use crate::hash::FxHashMap;
use crate::screen::{ListEntry, Match, ScreeningIndex};
use crate::semantic::ir::{
    ArithmeticOp, Builtin, Collection, CombineMode, Comparison, DateRange, Decimal, DecisionId,
    Eccn, Expr, ExprId, ExprKind, MatchShape, OutcomeOp, Path, PathRoot, PresenceTest, Program,
    QuantifierKind, RuleId, SetId, TableId, Truth, Value,
};

pub use crate::graph::Step;

mod compiled;
use compiled::Cond;

/// A hint for a quantifier over a screening table: only the rows the party matches can
/// satisfy its condition, so only those are visited.
#[derive(Clone, Copy, Debug)]
struct ScreenHint {
    party: ExprId,
    shape: MatchShape,
    /// The `party matches entry` conjunct itself, which coverage records as false for the rows
    /// the hint skips.
    conjunct: ExprId,
}

/// A hint for a quantifier over a table whose condition requires a column to equal, or an ECCN
/// to lie within, a value that does not depend on the row: only the rows an index returns can
/// make that conjunct anything but false, so only those are visited.
#[derive(Clone, Copy, Debug)]
enum LookupHint {
    /// `row.column is KEY` (or `=`).
    Equal { column: u16, key: ExprId },
    /// `ECCN within row.column`.
    Within { column: u16, eccn: ExprId },
}

/// How a quantifier over a table chooses the rows it visits.
#[derive(Clone, Debug)]
enum Narrowing {
    /// Every row in force.
    None,
    /// Only the rows the party matches.
    Screen(ScreenHint),
    /// Only the rows every indexed conjunct allows: (index into `Engine::indexes`, conjunct).
    /// The most selective index whose key is known gives the candidates; `allowed`, when the
    /// condition compares a column with a constant (`c.column is "NS1"`), marks the rows where
    /// that comparison is not false (the cell is the constant or is missing), so that the
    /// other candidates are passed over without evaluating the condition.
    Lookup {
        found: Box<[(usize, LookupHint)]>,
        allowed: Option<Box<[bool]>>,
    },
}

/// An index over one column of one table. Every list of rows is in row order, so that a
/// quantifier visits its candidates in the order a full scan would.
#[derive(Debug, Default)]
struct ColumnIndex {
    /// How many rows the table has.
    rows: usize,
    /// The candidates of `row.column is KEY`, by key: the rows whose cell is the key, merged
    /// with the rows whose cell is missing. Built once, so a lookup returns a slice.
    equal: FxHashMap<Value, Box<[usize]>>,
    /// For ECCN cells: rows by the cell's ECCN.
    eccns: FxHashMap<Eccn, Vec<usize>>,
    /// For ECCN cells: rows by every proper truncation of the cell (its ancestors), so an ECCN
    /// given at less detail finds the rows it might lie within.
    ancestors: FxHashMap<Eccn, Vec<usize>>,
    /// Rows whose cell is missing: the conjunct is unknown for them, never false.
    missing: Box<[usize]>,
}

/// The rows an ECCN found in one `within` index, remembered by the thread ([`Memo`]).
struct WithinFound {
    engine: u64,
    /// The index (into `Engine::indexes`).
    position: usize,
    eccn: Eccn,
    rows: Box<[usize]>,
    /// The guarded quantifiers ([`SiteMasks`]) that may visit one of these rows on a day of
    /// `sites_dates`.
    sites: u64,
    /// Days on which none of the rows comes into force or leaves it, around the day `sites`
    /// was computed for: on another day, `sites` is computed again.
    sites_dates: DateRange,
}

/// For one `within` index: which guarded quantifiers may visit each row of its table. A
/// quantifier over the table that is narrowed by the index gets a bit; a row's mask has the
/// bit unless the quantifier passes over the row (`Narrowing::Lookup::allowed`).
#[derive(Default)]
struct SiteMasks {
    /// The table (by index).
    table: usize,
    /// Per row.
    rows: Box<[u64]>,
    /// How many bits are given.
    sites: u32,
}

/// A test that shows a rule's `when` false without evaluating it. The `when` is, or has as a
/// conjunct, `any X in LIST where ...` whose body has as a conjunct `any c in TABLE where ...`
/// narrowed by an index of ECCNs (`X.eccn within c.column`). When every element of the list
/// has an ECCN and none finds a row in force that the inner quantifier visits, that quantifier
/// is false for every element, so the body is, so the `when` is. Rules that fire, or whose
/// `when` is unknown, are never skipped: an element without an ECCN stops the test.
///
/// The same holds, without looking at the items, when the inner quantifier is over a table
/// without rows (the Consolidated Screening List when no `--data` fills it): then the `when`
/// is false whenever the list is given. A `when` that screens parties against another table
/// has no guard, because the parties it screens are reported whether or not it holds.
struct Guard {
    /// The list of the transaction (`items`).
    list: Path,
    /// What refutes the inner quantifier for an element.
    test: GuardTest,
}

/// How a [`Guard`]'s inner quantifier is shown false for an element of the list.
enum GuardTest {
    /// The element's ECCN finds no row it would visit in a `within` index.
    Eccn {
        /// The inner quantifier's bit in [`SiteMasks`].
        site: u64,
        /// What the guard asks ([`GuardFamily`], into `Engine::families`): guards that ask the
        /// same list, path and index share a family, whose bits the list's ECCNs find once per
        /// transaction ([`Ctx::family_sites`]), not once per rule.
        family: usize,
    },
    /// The table has no rows: the quantifier is false for every element.
    EmptyTable,
}

/// The ECCN guards that ask one list, one path from its elements (the ECCN) and one index.
struct GuardFamily {
    list: Path,
    /// The path from an element, by its fields (the slot it starts from differs by rule).
    key: Box<[u16]>,
    /// The index (into `Engine::indexes`).
    position: usize,
    /// Families that ask the same list and path share a group: one pass over the list fills
    /// them all.
    group: usize,
}

/// The rows a quantifier over a table visits.
enum Rows<'e> {
    /// Every row.
    All,
    /// The rows of a prebuilt index list.
    Listed(&'e [usize]),
    /// Rows gathered for this lookup, in a buffer that goes back to [`Ctx::spare`] afterwards.
    Gathered(Vec<usize>),
}

impl Rows<'_> {
    fn len(&self, all: usize) -> usize {
        match self {
            Rows::All => all,
            Rows::Listed(rows) => rows.len(),
            Rows::Gathered(rows) => rows.len(),
        }
    }

    fn get(&self, position: usize) -> Option<usize> {
        match self {
            Rows::All => Some(position),
            Rows::Listed(rows) => rows.get(position).copied(),
            Rows::Gathered(rows) => rows.get(position).copied(),
        }
    }
}

/// What a quantifier's slot holds. Elements of the transaction's lists and table rows are
/// held by reference, so binding them copies a pointer.
#[derive(Clone, Debug)]
enum Bound<'e> {
    /// Nothing yet: the slot reads as missing.
    Unbound,
    /// An element of a list the transaction holds.
    Item(&'e Value),
    /// An element of a list computed while evaluating.
    Value(Value),
    /// A row of a table, with its index (screening needs it).
    Row { row: usize, value: &'e Value },
}

/// What a path to nowhere reads: the value of an absent field.
static MISSING: Value = Value::Missing;

/// The compiled program, ready to evaluate transactions. Shared by all threads.
pub struct Engine {
    pub(crate) program: Arc<Program>,
    pub(crate) order: Vec<Step>,
    /// Per table: each row as a value (a list of its cells) with its dates.
    table_rows: Vec<Vec<(DateRange, Value)>>,
    /// Per table: the screening index of a screening table.
    screening: Vec<Option<ScreeningIndex>>,
    /// Per expression (dense, by [`ExprId`]): how a quantifier over a table narrows its rows.
    narrowing: Vec<Narrowing>,
    /// The column indexes the lookups use.
    indexes: Vec<ColumnIndex>,
    /// Per rule (by [`RuleId`]): its `when` and `unless` compiled into closures, which
    /// evaluate them unless coverage is being recorded.
    conditions: Vec<(Option<Cond>, Option<Cond>)>,
    /// Per index (by position in `indexes`): the guarded quantifiers each row may be visited by.
    site_masks: Vec<SiteMasks>,
    /// Per rule (by [`RuleId`]): the test that may show its `when` false without evaluating it.
    guards: Vec<Option<Guard>>,
    /// The families of ECCN guards ([`GuardTest::Eccn`]), by number.
    families: Vec<GuardFamily>,
    /// Per rule (by [`RuleId`]): whether the text of its `because` template (without the
    /// values) holds nothing a JSON string must escape.
    plain_templates: Vec<bool>,
    /// Whether no enumeration value's name needs escaping in a JSON string (they are
    /// identifiers, so none does; checked once rather than at every quote).
    plain_enum_names: bool,
    /// Whether `order` runs every rule once, so that a transaction sets every rule's result.
    runs_every_rule: bool,
    /// Tells this engine's entries in a thread's [`Memo`] from another engine's.
    id: u64,
}

/// Numbers the engines a process builds ([`Engine::id`]).
static ENGINES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

impl Engine {
    /// Prepares a checked program for evaluation.
    /// Prepares a checked program for evaluation, running its rules and decisions in `order`
    /// (the decision graph's topological order, computed once at compile time).
    pub fn new(program: Arc<Program>, order: Vec<Step>) -> Engine {
        let table_rows = program
            .tables
            .iter()
            .map(|table| {
                table
                    .rows
                    .iter()
                    .map(|row| (row.dates, Value::List(Arc::from(row.cells.to_vec()))))
                    .collect()
            })
            .collect();
        let mut shapes: HashMap<TableId, MatchShape> = HashMap::new();
        let mut narrowing = vec![Narrowing::None; program.exprs.len()];
        let mut lookups: Vec<(usize, TableId, Vec<LookupHint>)> = Vec::new();
        for (index, expr) in program.exprs.iter().enumerate() {
            if let ExprKind::Matches { shape, .. } = &expr.kind {
                shapes.entry(shape.table).or_insert(*shape);
            }
            if let ExprKind::Quantifier {
                kind: QuantifierKind::Any | QuantifierKind::No,
                slot,
                collection,
                body,
            } = &expr.kind
            {
                if let Some(ExprKind::Table(table)) = program.expr(*collection).map(|e| &e.kind) {
                    if let Some(hint) = screen_hint(&program, *body, *slot) {
                        if let Some(slot) = narrowing.get_mut(index) {
                            *slot = Narrowing::Screen(hint);
                        }
                    } else {
                        let found = lookup_hints(&program, *body, *slot);
                        if !found.is_empty() {
                            lookups.push((index, *table, found));
                        }
                    }
                }
            }
        }
        let screening = program
            .tables
            .iter()
            .enumerate()
            .map(|(index, table)| {
                let shape = shapes.get(&TableId::from_index(index))?;
                let entries = table
                    .rows
                    .iter()
                    .map(|row| ListEntry {
                        name: match row.cells.get(usize::from(shape.entry_name)) {
                            Some(Value::String(s)) => s.to_string(),
                            _ => String::new(),
                        },
                        aliases: shape
                            .entry_aliases
                            .and_then(|a| row.cells.get(usize::from(a)))
                            .map_or_else(Vec::new, |v| {
                                string_items(v).map(|s| s.to_string()).collect()
                            }),
                        ..ListEntry::default()
                    })
                    .collect();
                Some(ScreeningIndex::new(entries))
            })
            .collect();
        let mut indexes: Vec<ColumnIndex> = Vec::new();
        let mut index_of: HashMap<(TableId, u16), usize> = HashMap::new();
        for (expr, table, found) in lookups {
            let mut resolved = Vec::with_capacity(found.len());
            for hint in found {
                let column = match hint {
                    LookupHint::Equal { column, .. } | LookupHint::Within { column, .. } => column,
                };
                let position = *index_of.entry((table, column)).or_insert_with(|| {
                    indexes.push(column_index(&program, table, column));
                    indexes.len() - 1
                });
                resolved.push((position, hint));
            }
            if let Some(slot) = narrowing.get_mut(expr) {
                // Most selective first: an index with many rows per key (`c.column is "CB1"`)
                // narrows little, one keyed by ECCN narrows to a handful.
                resolved.sort_by_key(|(position, _)| {
                    indexes
                        .get(*position)
                        .map_or(usize::MAX, ColumnIndex::rows_per_key)
                });
                let allowed = allowed_rows(&program, table, &resolved);
                *slot = Narrowing::Lookup {
                    found: resolved.into_boxed_slice(),
                    allowed,
                };
            }
        }
        let (site_masks, sites) = site_masks(&program, &narrowing, &indexes);
        let mut runs = vec![0u32; program.rules.len()];
        for step in &order {
            if let Step::Rule(rule) = step {
                if let Some(count) = runs.get_mut(rule.index()) {
                    *count += 1;
                }
            }
        }
        let runs_every_rule = runs.iter().all(|count| *count == 1);
        let mut families = Vec::new();
        let guards = program
            .rules
            .iter()
            .map(|rule| guard(&program, &narrowing, &sites, rule.when?, &mut families))
            .collect();
        let plain_templates = program
            .rules
            .iter()
            .map(|rule| {
                rule.because.as_ref().is_some_and(|template| {
                    template.parts.iter().all(|part| match part {
                        crate::semantic::ir::TemplatePart::Text(t) => json_plain(t),
                        crate::semantic::ir::TemplatePart::Value(_) => true,
                    })
                })
            })
            .collect();
        let conditions = program
            .rules
            .iter()
            .map(|rule| {
                (
                    rule.when.map(|expr| {
                        compiled::compile_when(&program, expr, &|id| {
                            estimated_cost(&program, &narrowing, &indexes, id)
                        })
                    }),
                    rule.unless.map(|expr| compiled::compile(&program, expr)),
                )
            })
            .collect();
        let plain_enum_names = program
            .enums
            .iter()
            .all(|e| e.values.iter().all(|v| json_plain(&v.name)));
        Engine {
            program,
            order,
            table_rows,
            screening,
            narrowing,
            indexes,
            conditions,
            site_masks,
            guards,
            families,
            plain_templates,
            plain_enum_names,
            runs_every_rule,
            id: ENGINES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// The checked program.
    pub fn program(&self) -> &Program {
        &self.program
    }

    /// Whether a rule has a guard: a test of its items' ECCNs that may show its `when` false
    /// without evaluating it (see `docs/ARCHITECTURE.md`). For tests and tools.
    pub fn is_guarded(&self, rule: RuleId) -> bool {
        matches!(self.guards.get(rule.index()), Some(Some(_)))
    }

    /// Evaluates one validated transaction on `date`.
    pub fn run(&self, transaction: Value, date: Date, config: RunConfig) -> Outcome {
        let program = &*self.program;
        let mut kept = Kept::take();
        let mut rules = std::mem::take(&mut kept.rules);
        // A kept list holds the results of the thread's previous transaction, less its fired
        // rules; when the order runs every rule, each is set again, so it is not reset.
        if !self.runs_every_rule || rules.len() != program.rules.len() {
            rules.clear();
            rules.resize(program.rules.len(), RuleResult::NotInForce);
        }
        kept.decision_values.clear();
        kept.decision_values.resize(program.decisions.len(), None);
        kept.family_sites.clear();
        kept.family_sites.resize(self.families.len(), None);
        kept.contributions
            .resize_with(program.decisions.len(), Vec::new);
        let mut ctx = Ctx {
            engine: self,
            exprs: &program.exprs,
            transaction: &transaction,
            date,
            frame: Vec::new(),
            witness: Vec::new(),
            spare: kept.spare,
            family_sites: kept.family_sites,
            decision_values: kept.decision_values,
            contributions: kept.contributions,
            rules,
            fired: kept.fired,
            screened: kept.screened,
            memo: kept.memo,
            missing: kept.missing,
            truths: if config.coverage {
                ConditionTruths::for_program(program)
            } else {
                ConditionTruths::default()
            },
            config,
            use_compiled: !config.coverage && !config.reference,
            use_guards: !config.coverage && !config.reference && !config.why_not,
        };
        for step in &self.order {
            match *step {
                Step::Rule(rule) => ctx.run_rule(rule),
                Step::Decision(decision) => ctx.finish_decision(decision),
            }
        }
        let matches = ctx.record_matches();
        let mut decisions = kept.decisions;
        decisions.extend(
            ctx.decision_values
                .drain(..)
                .map(|v| v.unwrap_or(Value::Missing)),
        );
        Kept::keep(Kept {
            decision_values: ctx.decision_values,
            contributions: ctx.contributions,
            spare: ctx.spare,
            family_sites: ctx.family_sites,
            screened: ctx.screened,
            memo: ctx.memo,
            missing: ctx.missing,
            fired: ctx.fired,
            rules: Vec::new(),
            decisions: Vec::new(),
        });
        Outcome {
            decisions,
            rules: ctx.rules,
            matches,
            truths: ctx.truths,
        }
    }
}

/// The buffers of one evaluation that outlive it, kept per thread for the next transaction so
/// that evaluating allocates little: the first transaction a thread evaluates grows them, the
/// others reuse them (each is emptied before use).
#[derive(Default)]
struct Kept {
    decision_values: Vec<Option<Value>>,
    contributions: Vec<Vec<Contribution>>,
    spare: Vec<Vec<usize>>,
    family_sites: Vec<Option<u64>>,
    screened: Vec<Screened>,
    missing: Vec<ExprId>,
    /// Fired rules' results given back by [`Engine::recycle`], their lists and sentences
    /// emptied but keeping their room. Boxed as [`RuleResult::Fired`] holds them, so that
    /// reusing one moves a pointer.
    #[allow(clippy::vec_box)]
    fired: Vec<Box<Fired>>,
    /// An outcome's `rules` and `decisions`, given back by [`Engine::recycle`].
    rules: Vec<RuleResult>,
    decisions: Vec<Value>,
    memo: Memo,
}

/// What a thread remembers from one transaction to the next of look-ups whose answer depends
/// only on their question and the engine: screening a party's names against a table, and the
/// rows of a Control List table an ECCN lies within. A batch names the same parties and the
/// same ECCNs again and again (a company exports the same products to the same customers),
/// and screening a name costs more than a rule. Direct-mapped and of fixed size, so that its
/// memory stays flat however many distinct names a batch holds: a name whose slot another
/// name took is screened again. Each entry names the engine ([`Engine::id`]) whose answer it
/// holds, so that a thread evaluating with two engines in turn (`vigil diff`) keeps the
/// answers of both apart.
#[derive(Default)]
struct Memo {
    /// [`MEMO_SLOTS`] slots once used, by the question's hash.
    screened: Vec<Option<ScreenedName>>,
    /// The rows ECCNs found in `within` indexes: [`MEMO_SLOTS`] slots once used, by the hash
    /// of the index and the ECCN.
    within: Vec<Option<WithinFound>>,
    /// What each ECCN gives the guard families ([`Ctx::eccn_sites`]): [`MEMO_SLOTS`] slots once
    /// used, by the ECCN's hash.
    eccn_sites: Vec<Option<EccnSites>>,
}

/// The bits an ECCN gives each guard family, by family, on the days of `dates`.
struct EccnSites {
    engine: u64,
    eccn: Eccn,
    sites: Arc<[u64]>,
    dates: DateRange,
}

/// How many names, and how many ECCNs, a thread's [`Memo`] holds at most.
const MEMO_SLOTS: usize = 512;

/// A party's names screened against a table.
struct ScreenedName {
    hash: u64,
    engine: u64,
    table: TableId,
    name: Arc<str>,
    /// The party's aliases as given (missing when the party record has none).
    aliases: Value,
    hits: Arc<[Match]>,
}

impl Memo {
    fn hash(engine: u64, table: TableId, name: &str, aliases: &Value) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = crate::hash::FxHasher::default();
        engine.hash(&mut hasher);
        table.index().hash(&mut hasher);
        name.hash(&mut hasher);
        for alias in string_items(aliases) {
            alias.hash(&mut hasher);
        }
        hasher.finish()
    }

    fn screened(
        &self,
        hash: u64,
        engine: u64,
        table: TableId,
        name: &str,
        aliases: &Value,
    ) -> Option<&Arc<[Match]>> {
        let slot = self.screened.get(hash as usize % MEMO_SLOTS)?.as_ref()?;
        (slot.hash == hash
            && slot.engine == engine
            && slot.table == table
            && *slot.name == *name
            && slot.aliases == *aliases)
            .then_some(&slot.hits)
    }

    /// The slot of an engine's index `position` and an ECCN in [`Memo::within`] (and, with
    /// `usize::MAX` for the index, in [`Memo::eccn_sites`]).
    fn within_slot(engine: u64, position: usize, eccn: &Eccn) -> usize {
        use std::hash::{Hash, Hasher};
        let mut hasher = crate::hash::FxHasher::default();
        engine.hash(&mut hasher);
        position.hash(&mut hasher);
        eccn.hash(&mut hasher);
        hasher.finish() as usize % MEMO_SLOTS
    }

    fn remember(&mut self, entry: ScreenedName) {
        if self.screened.is_empty() {
            self.screened.resize_with(MEMO_SLOTS, || None);
        }
        if let Some(slot) = self.screened.get_mut(entry.hash as usize % MEMO_SLOTS) {
            *slot = Some(entry);
        }
    }
}

/// How many fired rules' results a thread keeps for reuse: more than any transaction of the
/// shipped library fires, few enough that the kept memory stays small.
const KEPT_FIRED: usize = 256;

/// A kept list or sentence that grew past this many elements is dropped rather than kept.
const KEPT_ROOM: usize = 1024;

thread_local! {
    static KEPT: std::cell::RefCell<Kept> = std::cell::RefCell::default();
}

impl Kept {
    /// This thread's buffers, emptied (new ones if they are in use).
    fn take() -> Kept {
        let mut kept = KEPT
            .try_with(|cell| cell.try_borrow_mut().map(|mut k| std::mem::take(&mut *k)))
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        for list in &mut kept.contributions {
            list.clear();
        }
        kept.screened.clear();
        kept.missing.clear();
        kept
    }

    /// Keeps the buffers for this thread's next transaction.
    fn keep(kept: Kept) {
        let _ = KEPT.try_with(|cell| {
            if let Ok(mut slot) = cell.try_borrow_mut() {
                *slot = kept;
            }
        });
    }
}

impl Engine {
    /// Gives an outcome's memory back to this thread for the transactions it evaluates next,
    /// so that evaluating one allocates little: its lists of results and decisions, and the
    /// results of the rules that fired with their `sets`, sentences and bindings. Optional:
    /// an outcome that is simply dropped frees its memory.
    pub fn recycle(mut outcome: Outcome) {
        let _ = KEPT.try_with(|cell| {
            let Ok(mut kept) = cell.try_borrow_mut() else {
                return;
            };
            // The other results own nothing, or are dropped when the next transaction sets
            // them; the list is kept as it is.
            for result in &mut outcome.rules {
                if let RuleResult::Fired(_) = result {
                    let RuleResult::Fired(mut fired) =
                        std::mem::replace(result, RuleResult::NotInForce)
                    else {
                        continue;
                    };
                    if kept.fired.len() < KEPT_FIRED
                        && fired.sets.capacity() <= KEPT_ROOM
                        && fired.bindings.capacity() <= KEPT_ROOM
                        && fired.because.as_ref().map_or(0, String::capacity) <= KEPT_ROOM * 16
                    {
                        fired.sets.clear();
                        fired.bindings.clear();
                        if let Some(because) = &mut fired.because {
                            because.clear();
                        }
                        kept.fired.push(fired);
                    }
                }
            }
            if outcome.rules.capacity() >= kept.rules.capacity() {
                kept.rules = outcome.rules;
            }
            outcome.decisions.clear();
            if outcome.decisions.capacity() >= kept.decisions.capacity() {
                kept.decisions = outcome.decisions;
            }
        });
    }
}

/// What happened to one rule for one transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum RuleResult {
    /// The transaction's date is outside the rule's (or its policy's) dates.
    NotInForce,
    /// The condition does not hold; why, with [`RunConfig::why_not`].
    NotFired { why: Option<Box<WhyNot>> },
    /// The condition holds and the rule contributed its outcomes.
    Fired(Box<Fired>),
    /// The condition holds, but an exception that fired overrides the rule.
    Overridden { by: RuleId },
    /// Missing information: the rule may apply. `missing` names the expressions that lacked it.
    Uncertain { missing: Box<[ExprId]> },
}
// Every result is a few words, and the common ones own nothing: a transaction sets and
// drops one for every rule of the library. (Details are boxed.)
const _: () = assert!(std::mem::size_of::<RuleResult>() <= 24);

/// Why a rule did not fire: the first part of its `when` that did not hold (or its `unless`,
/// which held), and the values that part read.
#[derive(Clone, Debug, PartialEq)]
pub struct WhyNot {
    pub failed: ExprId,
    pub values: Vec<(ExprId, Value)>,
}

/// A rule that fired: the values it set and its explanation sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Fired {
    pub sets: Vec<(DecisionId, OutcomeOp, Value)>,
    pub because: Option<String>,
    /// Whether `because` holds nothing a JSON string must escape (`"`, `\`, control
    /// characters), so that the JSONL writer copies it as it is.
    pub(crate) because_is_plain: bool,
    /// The values of the paths the condition read, under the witnesses that made it hold.
    pub bindings: Vec<(ExprId, Value)>,
}

/// A restricted-party hit.
#[derive(Clone, Debug, PartialEq)]
pub struct PartyMatch {
    pub table: TableId,
    pub row: usize,
    /// The party's name as given.
    pub party: Arc<str>,
    /// Which of the listed names matched: 0 the entry's name, `i` its `aliases[i-1]`.
    pub listed_name: usize,
    /// Which of the party's names matched: 0 its name, `i` its `aliases[i-1]`.
    pub query: usize,
    pub score: f64,
}

/// The result of evaluating one transaction.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The value of every decision, by [`DecisionId`].
    pub decisions: Vec<Value>,
    /// What happened to every rule, by [`RuleId`].
    pub rules: Vec<RuleResult>,
    pub matches: Vec<PartyMatch>,
    /// The truth values conditions took; empty unless [`RunConfig::coverage`] asked for them.
    pub truths: ConditionTruths,
}

/// The truth values each condition took while evaluating, by expression, for condition
/// coverage. Recorded only with [`RunConfig::coverage`]: every condition that is evaluated as
/// a truth (a `when` or `unless`, an operand of `and`, `or` and `not`, a quantifier's body)
/// notes whether it was true, false or unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConditionTruths(Vec<u8>);

/// Which truth values one condition was seen to take.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeenTruths {
    pub was_true: bool,
    pub was_false: bool,
    pub was_unknown: bool,
}

const SEEN_TRUE: u8 = 1;
const SEEN_FALSE: u8 = 2;
const SEEN_UNKNOWN: u8 = 4;

impl ConditionTruths {
    /// Room for every expression of a program, none seen yet.
    pub fn for_program(program: &Program) -> ConditionTruths {
        ConditionTruths(vec![0; program.exprs.len()])
    }

    fn record(&mut self, expr: ExprId, truth: Truth) {
        if let Some(seen) = self.0.get_mut(expr.index()) {
            *seen |= match truth {
                Truth::True => SEEN_TRUE,
                Truth::False => SEEN_FALSE,
                Truth::Unknown => SEEN_UNKNOWN,
            };
        }
    }

    /// What one condition was seen to be.
    pub fn seen(&self, expr: ExprId) -> SeenTruths {
        let bits = self.0.get(expr.index()).copied().unwrap_or(0);
        SeenTruths {
            was_true: bits & SEEN_TRUE != 0,
            was_false: bits & SEEN_FALSE != 0,
            was_unknown: bits & SEEN_UNKNOWN != 0,
        }
    }

    /// Whether another run saw some truth value of some condition that this one has not.
    pub fn lacks_some_of(&self, other: &ConditionTruths) -> bool {
        other
            .0
            .iter()
            .enumerate()
            .any(|(index, theirs)| theirs & !self.0.get(index).copied().unwrap_or(0) != 0)
    }

    /// Adds what another run saw, as across the tests of a suite.
    pub fn merge(&mut self, other: &ConditionTruths) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine |= theirs;
        }
    }
}

/// One rule's contribution to a decision.
#[derive(Clone, Debug)]
struct Contribution {
    op: OutcomeOp,
    value: Value,
    priority: i64,
}

/// One party screened against one table: (table, the party value's address, the hits, the
/// party's name).
type Screened = (TableId, usize, Arc<[Match]>, Arc<str>);

struct Ctx<'e> {
    engine: &'e Engine,
    /// The program's expressions, held directly: every step of evaluation looks one up.
    exprs: &'e [Expr],
    transaction: &'e Value,
    date: Date,
    /// What each quantifier slot of the current rule holds.
    frame: Vec<Bound<'e>>,
    /// The frame as `when` left it, while `unless` is evaluated (a buffer reused across rules).
    witness: Vec<Bound<'e>>,
    /// Emptied buffers of candidate rows, reused by lookups so that they do not allocate.
    spare: Vec<Vec<usize>>,
    /// Per guard family ([`GuardFamily`]), the bits its list's ECCNs find, once the first
    /// guard of the family has asked.
    family_sites: Vec<Option<u64>>,
    decision_values: Vec<Option<Value>>,
    contributions: Vec<Vec<Contribution>>,
    rules: Vec<RuleResult>,
    /// Emptied results of fired rules, reused by the rules that fire (boxed, as in `Kept`).
    #[allow(clippy::vec_box)]
    fired: Vec<Box<Fired>>,
    /// Screening results per (table, party value's address).
    screened: Vec<Screened>,
    memo: Memo,
    /// Expressions that read missing information while evaluating the current rule.
    missing: Vec<ExprId>,
    truths: ConditionTruths,
    config: RunConfig,
    /// Whether rules' compiled conditions are evaluated: not when coverage is recorded or the
    /// reference interpreter is asked for ([`Ctx::rule_condition`]).
    use_compiled: bool,
    /// Whether guards may skip rules: with compiled conditions, and not for explanations.
    use_guards: bool,
}

/// What to record beyond the decisions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunConfig {
    /// For rules that did not fire, find the first part of the condition that failed and the
    /// values it read. Costs a second look at those conditions, so only explanations ask.
    pub why_not: bool,
    /// Record the truth values of conditions in [`Outcome::truths`], for `vigil test
    /// --coverage`. Off, evaluation records nothing.
    pub coverage: bool,
    /// Record in each fired rule the values its condition read ([`Fired::bindings`]), which
    /// the human explanation labels its source lines with. Off, `bindings` is empty: the
    /// decision record does not need them.
    pub bindings: bool,
    /// Evaluate every condition with the interpreter instead of the rule's compiled closures:
    /// the reference the compiled conditions are tested against. Slower; same results.
    pub reference: bool,
}

impl<'e> Ctx<'e> {
    #[inline]
    fn expr(&self, id: ExprId) -> Option<&'e Expr> {
        self.exprs.get(id.index())
    }

    fn set_result(&mut self, id: RuleId, result: RuleResult) {
        if let Some(slot) = self.rules.get_mut(id.index()) {
            // The result it replaces is nearly always one that owns nothing (the previous
            // transaction's, its fired rules given back by `Engine::recycle`): tested here, it
            // needs no call to the drop glue.
            let old = std::mem::replace(slot, result);
            if matches!(
                old,
                RuleResult::NotInForce
                    | RuleResult::NotFired { why: None }
                    | RuleResult::Overridden { .. }
            ) {
                std::mem::forget(old);
            } else {
                drop(old);
            }
        }
    }

    fn contribute(&mut self, decision: DecisionId, contribution: Contribution) {
        if let Some(list) = self.contributions.get_mut(decision.index()) {
            list.push(contribution);
        }
    }

    /// A rule that may apply but lacks information gives the decision its declared `unknown`
    /// value (for `license`, `indeterminate`); a decision that declares none is left alone.
    fn contribute_unknown(&mut self, decision: DecisionId, priority: i64) {
        let unknown = self
            .engine
            .program
            .decision(decision)
            .and_then(|d| d.unknown.clone());
        if let Some(value) = unknown {
            self.contribute(
                decision,
                Contribution {
                    op: OutcomeOp::Set,
                    value,
                    priority,
                },
            );
        }
    }

    fn run_rule(&mut self, id: RuleId) {
        let engine = self.engine;
        let program = &*engine.program;
        let Some(rule) = program.rule(id) else { return };
        if !rule.dates.contains(self.date) {
            self.set_result(id, RuleResult::NotInForce);
            return;
        }
        // A rule its guard refutes did not fire, as evaluating its `when` would find, and keeps
        // nothing of it. Explanations evaluate it (they report the failed condition and its
        // values), and so do coverage and the reference interpreter.
        if self.use_guards {
            if let Some(Some(guard)) = engine.guards.get(id.index()) {
                if self.refuted(guard) {
                    self.set_result(id, RuleResult::NotFired { why: None });
                    return;
                }
            }
        }
        let slots = rule.slots.len();
        self.frame.truncate(slots);
        for bound in &mut self.frame {
            *bound = Bound::Unbound;
        }
        while self.frame.len() < slots {
            self.frame.push(Bound::Unbound);
        }
        self.missing.clear();
        let compiled = engine.conditions.get(id.index());
        let when = match rule.when {
            Some(expr) => self.rule_condition(expr, compiled.and_then(|c| c.0.as_ref())),
            None => Truth::True,
        };
        if when == Truth::False {
            let why = match rule.when {
                Some(expr) if self.config.why_not => {
                    let failed = self.first_failing(expr);
                    let values = self.bindings(failed);
                    Some(Box::new(WhyNot { failed, values }))
                }
                _ => None,
            };
            self.set_result(id, RuleResult::NotFired { why });
            return;
        }
        // The witnesses `when` bound are what outcomes and `because` read; `unless` may bind
        // its own slots, so keep a copy.
        let unless = match rule.unless {
            Some(expr) => {
                self.witness.clone_from(&self.frame);
                self.rule_condition(expr, compiled.and_then(|c| c.1.as_ref()))
            }
            None => Truth::False,
        };
        let certain = match (when, unless) {
            (_, Truth::True) => {
                let why = match rule.unless {
                    Some(failed) if self.config.why_not => {
                        let values = self.bindings(failed);
                        Some(Box::new(WhyNot { failed, values }))
                    }
                    _ => None,
                };
                self.set_result(id, RuleResult::NotFired { why });
                return;
            }
            (Truth::True, Truth::False) => true,
            _ => false,
        };
        // An exception that fired for certain overrides this rule; rules are ordered so that
        // exceptions are decided first.
        if let Some(by) = rule
            .overridden_by
            .iter()
            .find(|e| matches!(self.rules.get(e.index()), Some(RuleResult::Fired(_))))
        {
            self.set_result(id, RuleResult::Overridden { by: *by });
            return;
        }
        if rule.unless.is_some() {
            std::mem::swap(&mut self.witness, &mut self.frame);
        }
        if !certain {
            let missing = self.missing.as_slice().into();
            for outcome in &rule.outcomes {
                self.contribute_unknown(outcome.decision, rule.priority);
            }
            self.set_result(id, RuleResult::Uncertain { missing });
            return;
        }
        let mut fired = self.fired.pop().unwrap_or_else(|| {
            Box::new(Fired {
                sets: Vec::with_capacity(rule.outcomes.len()),
                because: None,
                because_is_plain: false,
                bindings: Vec::new(),
            })
        });
        for outcome in &rule.outcomes {
            let value = self.value(outcome.value);
            if value.is_missing() {
                // The outcome names a value the transaction or table does not give (an
                // entry's policy left empty): the decision cannot be known.
                self.contribute_unknown(outcome.decision, rule.priority);
                continue;
            }
            self.contribute(
                outcome.decision,
                Contribution {
                    op: outcome.op,
                    value: value.clone(),
                    priority: rule.priority,
                },
            );
            fired.sets.push((outcome.decision, outcome.op, value));
        }
        let kept_text = fired.because.take();
        // The template's text was checked when the engine was built; the values are checked
        // as they are written.
        let mut plain = engine
            .plain_templates
            .get(id.index())
            .copied()
            .unwrap_or(false);
        fired.because = rule.because.as_ref().map(|template| {
            // Room for the text and a short value per blank, so that it seldom grows.
            let room = template
                .parts
                .iter()
                .map(|part| match part {
                    crate::semantic::ir::TemplatePart::Text(t) => t.len(),
                    crate::semantic::ir::TemplatePart::Value(_) => 24,
                })
                .sum();
            let mut text = kept_text.unwrap_or_default();
            text.reserve(room);
            for part in &template.parts {
                match part {
                    crate::semantic::ir::TemplatePart::Text(t) => text.push_str(t),
                    crate::semantic::ir::TemplatePart::Value(expr) => {
                        plain &= self.quote(&mut text, *expr);
                    }
                }
            }
            text
        });
        fired.because_is_plain = plain;
        if let (Some(when), true) = (rule.when, self.config.bindings) {
            fired.bindings = self.bindings(when);
        }
        self.set_result(id, RuleResult::Fired(fired));
    }

    /// A rule's `when` or `unless`: by its compiled closure, or by the interpreter when
    /// coverage is recorded (it notes the truth of every condition it visits) or
    /// [`RunConfig::reference`] asks for it.
    fn rule_condition(&mut self, expr: ExprId, compiled: Option<&Cond>) -> Truth {
        match compiled {
            Some(condition) if self.use_compiled => condition(self),
            _ => self.truth(expr),
        }
    }

    /// The values of the paths a condition reads, under the current frame.
    fn bindings(&mut self, expr: ExprId) -> Vec<(ExprId, Value)> {
        let mut out = Vec::new();
        let mut stack = vec![expr];
        while let Some(id) = stack.pop() {
            let Some(e) = self.expr(id) else {
                continue;
            };
            match &e.kind {
                ExprKind::Path(_) | ExprKind::Decision(_) => {
                    if !out.iter().any(|(seen, _)| *seen == id) {
                        let value = self.value(id);
                        out.push((id, value));
                    }
                }
                // The body of a quantifier that did not bind a witness reads no single value.
                ExprKind::Quantifier {
                    kind: QuantifierKind::Every | QuantifierKind::No,
                    collection,
                    ..
                } => stack.push(*collection),
                kind => stack.extend(kind.operands().into_iter().rev()),
            }
        }
        out.sort_by_key(|(id, _)| self.expr(*id).map(|e| e.location.span.start));
        out
    }

    /// The first conjunct of a condition that is false, for "why not" explanations.
    fn first_failing(&mut self, expr: ExprId) -> ExprId {
        if let Some(ExprKind::And(items)) = self.expr(expr).map(|e| &e.kind) {
            for item in items.iter() {
                if self.truth(*item) == Truth::False {
                    return self.first_failing(*item);
                }
            }
        }
        expr
    }

    fn finish_decision(&mut self, id: DecisionId) {
        let program = &*self.engine.program;
        let Some(decision) = program.decision(id) else {
            return;
        };
        let value = match self.contributions.get_mut(id.index()) {
            Some(contributions) if !contributions.is_empty() => {
                let value = combine(decision.combine, contributions);
                contributions.clear();
                Some(value)
            }
            _ => decision.default.clone(),
        };
        if let Some(slot) = self.decision_values.get_mut(id.index()) {
            *slot = value;
        }
    }

    fn truth(&mut self, expr: ExprId) -> Truth {
        let truth = self.condition(expr);
        if self.config.coverage {
            self.truths.record(expr, truth);
        }
        truth
    }

    /// Evaluates a condition. Conditions are evaluated here, to a [`Truth`], rather than by
    /// [`Ctx::value`], so that the hot path moves one byte instead of a [`Value`].
    fn condition(&mut self, id: ExprId) -> Truth {
        let Some(expr) = self.expr(id) else {
            return Truth::Unknown;
        };
        match &expr.kind {
            ExprKind::Not(inner) => self.truth(*inner).not(),
            ExprKind::And(items) => Truth::all(items.iter().map(|item| self.truth(*item))),
            ExprKind::Or(items) => Truth::any(items.iter().map(|item| self.truth(*item))),
            ExprKind::Compare { op, lhs, rhs } => {
                // Paths and constants are compared where they lie, without a copy.
                let peeked = match (self.peek(*lhs), self.peek(*rhs)) {
                    (Some(a), Some(b)) => Some(compare(*op, a, b)),
                    _ => None,
                };
                match peeked {
                    Some(truth) => {
                        if truth == Truth::Unknown {
                            self.note_missing_path(*lhs);
                            self.note_missing_path(*rhs);
                        }
                        truth
                    }
                    None => {
                        let (a, b) = (self.value(*lhs), self.value(*rhs));
                        compare(*op, &a, &b)
                    }
                }
            }
            ExprKind::In {
                negated,
                element,
                collection,
            } => {
                let truth = self.member(*element, collection, Membership::Equal);
                if *negated {
                    truth.not()
                } else {
                    truth
                }
            }
            ExprKind::Within {
                negated,
                eccn,
                scope,
            } => {
                let truth = self.member(*eccn, scope, Membership::Within);
                if truth == Truth::Unknown {
                    self.note_missing(id);
                }
                if *negated {
                    truth.not()
                } else {
                    truth
                }
            }
            ExprKind::Matches {
                party,
                entry,
                shape,
            } => {
                let party_value = self.value(*party);
                let row = match self.expr(*entry).map(|e| &e.kind) {
                    Some(ExprKind::Path(path)) if path.fields.is_empty() => match path.root {
                        PathRoot::Slot(slot) => match self.frame.get(slot.index()) {
                            Some(Bound::Row { row, .. }) => Some(*row),
                            _ => None,
                        },
                        PathRoot::Transaction => None,
                    },
                    _ => None,
                };
                let (Some(row), Some(hits)) = (row, self.screen(&party_value, shape)) else {
                    return Truth::Unknown;
                };
                Truth::from_bool(hits.iter().any(|m| m.entry == row))
            }
            ExprKind::Presence { value, test } => {
                let result = match self.peek(*value) {
                    Some(peeked) => presence(peeked, *test),
                    None => presence(&self.value(*value), *test),
                };
                self.note_missing_path(*value);
                result.map_or(Truth::Unknown, Truth::from_bool)
            }
            ExprKind::Quantifier {
                kind,
                slot,
                collection,
                body,
            } => {
                let body = *body;
                self.quantify(id, *kind, slot.index(), *collection, &|ctx: &mut Self| {
                    ctx.truth(body)
                })
            }
            // A boolean path, constant or decision.
            _ => match self.value(id) {
                Value::Bool(b) => Truth::from_bool(b),
                _ => Truth::Unknown,
            },
        }
    }

    /// Evaluates an expression. A condition evaluates to `Bool` or, when unknown, `Missing`.
    fn value(&mut self, id: ExprId) -> Value {
        let engine = self.engine;
        let Some(expr) = self.expr(id) else {
            return Value::Missing;
        };
        match &expr.kind {
            ExprKind::Const(value) => value.clone(),
            ExprKind::Path(path) => {
                let current = self.read(path).clone();
                if current.is_missing() {
                    self.note_missing(id);
                }
                current
            }
            ExprKind::Decision(decision) => self
                .decision_values
                .get(decision.index())
                .cloned()
                .flatten()
                .unwrap_or(Value::Missing),
            ExprKind::Table(table) => {
                let rows: Vec<Value> = engine
                    .table_rows
                    .get(table.index())
                    .map(|rows| {
                        rows.iter()
                            .filter(|(dates, _)| dates.contains(self.date))
                            .map(|(_, row)| row.clone())
                            .collect()
                    })
                    .unwrap_or_default();
                Value::List(Arc::from(rows))
            }
            ExprKind::Column { table, column } => {
                let values: Vec<Value> = engine
                    .table_rows
                    .get(table.index())
                    .map(|rows| {
                        rows.iter()
                            .filter(|(dates, _)| dates.contains(self.date))
                            .filter_map(|(_, row)| match row {
                                Value::List(cells) => cells.get(usize::from(*column)).cloned(),
                                _ => None,
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                Value::List(Arc::from(values))
            }
            ExprKind::List(items) => {
                let values: Vec<Value> = items.iter().map(|item| self.value(*item)).collect();
                Value::List(Arc::from(values))
            }
            ExprKind::Format(parts) => {
                let mut text = String::new();
                for part in parts.iter() {
                    match part {
                        crate::semantic::ir::TemplatePartExpr::Text(t) => text.push_str(t),
                        crate::semantic::ir::TemplatePartExpr::Value(inner) => {
                            self.quote(&mut text, *inner);
                        }
                    }
                }
                Value::String(Arc::from(text))
            }
            ExprKind::Not(_)
            | ExprKind::And(_)
            | ExprKind::Or(_)
            | ExprKind::Compare { .. }
            | ExprKind::In { .. }
            | ExprKind::Within { .. }
            | ExprKind::Matches { .. }
            | ExprKind::Presence { .. }
            | ExprKind::Quantifier { .. } => truth_value(self.condition(id)),
            ExprKind::Arithmetic { op, lhs, rhs } => {
                let (a, b) = (self.value(*lhs), self.value(*rhs));
                arithmetic(*op, &a, &b)
            }
            ExprKind::Call {
                function: Builtin::Count,
                args,
            } => {
                let Some(first) = args.first() else {
                    return Value::Missing;
                };
                match self.value(*first) {
                    Value::List(items) => {
                        Value::Integer(i64::try_from(items.len()).unwrap_or(i64::MAX))
                    }
                    _ => Value::Missing,
                }
            }
        }
    }

    /// The value a path reads, where it lies: in the transaction, or in the frame.
    #[inline]
    fn read(&self, path: &Path) -> &Value {
        match path.root {
            PathRoot::Transaction => walk(self.transaction, path),
            PathRoot::Slot(slot) => walk(
                match self.frame.get(slot.index()) {
                    Some(Bound::Value(value)) => value,
                    Some(Bound::Item(value) | Bound::Row { value, .. }) => value,
                    Some(Bound::Unbound) | None => &MISSING,
                },
                path,
            ),
        }
    }

    /// The value of a constant, a path or a decision, without copying it; `None` for other
    /// expressions, which must be evaluated. Unlike [`Ctx::value`], notes nothing missing.
    #[inline]
    fn peek(&self, id: ExprId) -> Option<&Value> {
        match &self.expr(id)?.kind {
            ExprKind::Const(value) => Some(value),
            ExprKind::Path(path) => Some(self.read(path)),
            ExprKind::Decision(decision) => Some(self.decision_value(*decision)),
            _ => None,
        }
    }

    /// The value of a decision, which the graph's order has already combined.
    #[inline]
    fn decision_value(&self, decision: DecisionId) -> &Value {
        self.decision_values
            .get(decision.index())
            .and_then(Option::as_ref)
            .unwrap_or(&MISSING)
    }

    /// Notes a path that reads a missing value, as [`Ctx::value`] does when it evaluates one.
    fn note_missing_path(&mut self, id: ExprId) {
        let missing_path = matches!(
            self.expr(id).map(|e| &e.kind),
            Some(ExprKind::Path(path)) if self.read(path).is_missing()
        );
        if missing_path {
            self.note_missing(id);
        }
    }

    /// `element in collection` or `element within collection`. A constant collection is a set
    /// compiled once, looked up with the element where it lies.
    fn member(&mut self, element: ExprId, collection: &Collection, mode: Membership) -> Truth {
        if let Collection::Constant { set, .. } = collection {
            if let Some(value) = self.peek(element) {
                let truth = self.constant_member(*set, value, mode);
                if truth == Truth::Unknown {
                    self.note_missing_path(element);
                }
                return truth;
            }
        }
        let value = self.value(element);
        self.membership(&value, collection, mode)
    }

    fn constant_member(&self, set: SetId, element: &Value, mode: Membership) -> Truth {
        if element.is_missing() {
            return Truth::Unknown;
        }
        let Some(version) = self.engine.program.set(set).and_then(|s| s.at(self.date)) else {
            return Truth::Unknown;
        };
        match mode {
            Membership::Equal => version.contains(element),
            Membership::Within => version.within(element),
        }
    }

    fn note_missing(&mut self, id: ExprId) {
        if !self.missing.contains(&id) {
            self.missing.push(id);
        }
    }

    /// Evaluates a quantifier, leaving the witness of a true `any` in its slot.
    fn quantify(
        &mut self,
        id: ExprId,
        kind: QuantifierKind,
        slot: usize,
        collection: ExprId,
        body: &dyn Fn(&mut Self) -> Truth,
    ) -> Truth {
        let engine = self.engine;
        // Over a table, iterate the rows in force directly (and for a screening condition,
        // only the rows the party matches) instead of materializing the table.
        if let Some(ExprKind::Table(table)) = self.expr(collection).map(|e| &e.kind) {
            let rows = engine
                .table_rows
                .get(table.index())
                .map_or(&[][..], Vec::as_slice);
            let mut allowed_rows: Option<&[bool]> = None;
            let candidates: Rows<'_> = match engine.narrowing.get(id.index()) {
                Some(Narrowing::Screen(hint)) => {
                    let party = self.value(hint.party);
                    let Some(hits) = self.screen(&party, &hint.shape) else {
                        return Truth::Unknown;
                    };
                    if hits.is_empty() && !self.config.coverage {
                        // No row to visit (the usual case: the party is on no list).
                        return finish(kind, initial(kind));
                    }
                    let mut matched = self.spare.pop().unwrap_or_default();
                    matched.extend(hits.iter().map(|m| m.entry));
                    matched.sort_unstable();
                    matched.dedup();
                    // The rows skipped here are rows where `party matches entry` is false;
                    // coverage counts them as if they had been visited.
                    if self.config.coverage
                        && rows.iter().enumerate().any(|(index, (dates, _))| {
                            dates.contains(self.date) && matched.binary_search(&index).is_err()
                        })
                    {
                        self.truths.record(hint.conjunct, Truth::False);
                    }
                    Rows::Gathered(matched)
                }
                // With coverage, every row is visited so that an indexed conjunct is seen false
                // on the rows the index would skip; it skips only rows where the conjunct is
                // false, so the result is the same.
                Some(Narrowing::Lookup { found, allowed }) if !self.config.coverage => {
                    // Explanations label a condition that failed with the values of the last
                    // row it visited: with them, the rows visited stay the index's candidates.
                    if !self.config.why_not && !self.config.bindings {
                        allowed_rows = allowed.as_deref();
                    }
                    self.lookup_all(found)
                }
                Some(Narrowing::Lookup { .. } | Narrowing::None) | None => Rows::All,
            };
            let mut result = initial(kind);
            let mut done = None;
            for position in 0..candidates.len(rows.len()) {
                let Some((index, (dates, row))) = candidates
                    .get(position)
                    .and_then(|index| Some((index, rows.get(index)?)))
                else {
                    continue;
                };
                if !dates.contains(self.date)
                    || allowed_rows.is_some_and(|allowed| allowed.get(index) == Some(&false))
                {
                    continue;
                }
                self.bind(
                    slot,
                    Bound::Row {
                        row: index,
                        value: row,
                    },
                );
                let truth = body(self);
                if let Some(answer) = step(kind, &mut result, truth) {
                    done = Some(answer);
                    break;
                }
            }
            if let Rows::Gathered(mut buffer) = candidates {
                buffer.clear();
                self.spare.push(buffer);
            }
            return done.unwrap_or_else(|| finish(kind, result));
        }
        let mut result = initial(kind);
        // A list of the transaction is iterated where it lies.
        if let Some(ExprKind::Path(path)) = self.expr(collection).map(|e| &e.kind) {
            if path.root == PathRoot::Transaction {
                let items: &'e Value = walk(self.transaction, path);
                let Value::List(items) = items else {
                    self.note_missing_path(collection);
                    return Truth::Unknown;
                };
                for item in items.iter() {
                    self.bind(slot, Bound::Item(item));
                    let truth = body(self);
                    if let Some(done) = step(kind, &mut result, truth) {
                        return done;
                    }
                }
                return finish(kind, result);
            }
        }
        let items = match self.value(collection) {
            Value::List(items) => items,
            _ => return Truth::Unknown,
        };
        for item in items.iter() {
            self.bind(slot, Bound::Value(item.clone()));
            let truth = body(self);
            if let Some(done) = step(kind, &mut result, truth) {
                return done;
            }
        }
        finish(kind, result)
    }

    /// The candidate rows of an indexed quantifier: those of its most selective indexed conjunct
    /// whose key is known, in row order; all rows when no key is known. The body still checks
    /// every conjunct, so one index is enough, and building the larger candidate lists only to
    /// intersect them costs more than it saves.
    fn lookup_all(&mut self, found: &[(usize, LookupHint)]) -> Rows<'e> {
        found
            .iter()
            .find_map(|(index, hint)| self.lookup(*index, *hint))
            .unwrap_or(Rows::All)
    }

    /// The candidate rows of one indexable conjunct, in row order; `None` to scan every row (when
    /// the key itself is missing, every row's conjunct is unknown).
    fn lookup(&mut self, position: usize, hint: LookupHint) -> Option<Rows<'e>> {
        let engine: &'e Engine = self.engine;
        let index = engine.indexes.get(position)?;
        match hint {
            LookupHint::Equal { key, .. } => {
                let listed = match self.peek(key)? {
                    Value::Missing => return None,
                    key => index
                        .equal
                        .get(key)
                        .map_or(&index.missing[..], |rows| &rows[..]),
                };
                Some(Rows::Listed(listed))
            }
            LookupHint::Within { eccn, .. } => {
                let eccn = match self.peek(eccn)? {
                    Value::Eccn(eccn) => *eccn,
                    _ => return None,
                };
                let mut rows = self.spare.pop().unwrap_or_default();
                match self.within(position, eccn) {
                    Some(found) => rows.extend_from_slice(&found.rows),
                    None => {
                        self.spare.push(rows);
                        return None;
                    }
                }
                Some(Rows::Gathered(rows))
            }
        }
    }

    /// The rows of index `position` an ECCN may lie within, remembered by the thread
    /// ([`Memo`]): rules that read one Control List table ask it about the same ECCN again and
    /// again, and so do the next transactions.
    fn within(&mut self, position: usize, eccn: Eccn) -> Option<&WithinFound> {
        let engine: &'e Engine = self.engine;
        let date = self.date;
        let at = Memo::within_slot(engine.id, position, &eccn);
        if self.memo.within.is_empty() {
            self.memo.within.resize_with(MEMO_SLOTS, || None);
        }
        let slot = self.memo.within.get_mut(at)?;
        match slot {
            Some(found)
                if found.engine == engine.id
                    && found.position == position
                    && found.eccn == eccn =>
            {
                if !found.sites_dates.contains(date) {
                    (found.sites, found.sites_dates) =
                        sites_on(engine, position, &found.rows, date);
                }
            }
            _ => {
                let index = engine.indexes.get(position)?;
                // Rows whose ECCN is the key or one of its ancestors (the key lies within them),
                // rows whose ECCN lies below the key (the key is not detailed enough), and rows
                // whose ECCN is missing.
                let mut rows = self.spare.pop().unwrap_or_default();
                rows.extend_from_slice(&index.missing);
                for depth in 0..=eccn.depth() {
                    if let Some(found) = index.eccns.get(&eccn.truncated(depth)) {
                        rows.extend_from_slice(found);
                    }
                }
                if let Some(found) = index.ancestors.get(&eccn) {
                    rows.extend_from_slice(found);
                }
                rows.sort_unstable();
                rows.dedup();
                let (sites, sites_dates) = sites_on(engine, position, &rows, date);
                *slot = Some(WithinFound {
                    engine: engine.id,
                    position,
                    eccn,
                    rows: rows.as_slice().into(),
                    sites,
                    sites_dates,
                });
                rows.clear();
                self.spare.push(rows);
            }
        }
        self.memo.within.get(at)?.as_ref()
    }

    /// Whether a rule's guard shows its `when` false without evaluating it: no element of the
    /// list has an ECCN whose rows the guarded quantifier could visit.
    fn refuted(&mut self, guard: &Guard) -> bool {
        match &guard.test {
            GuardTest::EmptyTable => matches!(walk(self.transaction, &guard.list), Value::List(_)),
            GuardTest::Eccn { site, family } => {
                let sites = match self.family_sites.get(*family) {
                    Some(Some(sites)) => *sites,
                    _ => self.fill_family_sites(*family),
                };
                sites & site == 0
            }
        }
    }

    /// Fills [`Ctx::family_sites`] for a family and the others of its group (one pass over
    /// the list, one look-up of each element's ECCN), and returns the family's bits: all of
    /// them when the list is not given or an element has no ECCN, so that nothing is refuted
    /// for want of information.
    fn fill_family_sites(&mut self, family: usize) -> u64 {
        let engine: &'e Engine = self.engine;
        let Some(asked) = engine.families.get(family) else {
            return u64::MAX;
        };
        // OR `sites(family)` into each family of the group.
        let add = |ctx: &mut Self, sites: &dyn Fn(usize) -> u64| {
            for (at, other) in engine.families.iter().enumerate() {
                if let (true, Some(cell)) =
                    (other.group == asked.group, ctx.family_sites.get_mut(at))
                {
                    *cell = Some(cell.unwrap_or(0) | sites(at));
                }
            }
        };
        add(self, &|_| 0);
        match walk(self.transaction, &asked.list) {
            Value::List(items) => {
                for item in items.iter() {
                    let Value::Eccn(eccn) = walk_fields(item, &asked.key) else {
                        add(self, &|_| u64::MAX);
                        break;
                    };
                    let sites = self.eccn_sites(*eccn);
                    add(self, &|at| sites.get(at).copied().unwrap_or(u64::MAX));
                }
            }
            _ => add(self, &|_| u64::MAX),
        }
        self.family_sites
            .get(family)
            .copied()
            .flatten()
            .unwrap_or(u64::MAX)
    }

    /// For one ECCN, the bits each guard family's index gives it on the transaction's date
    /// (`u64::MAX` for an index that does not exist), remembered by the thread ([`Memo`]).
    fn eccn_sites(&mut self, eccn: Eccn) -> Arc<[u64]> {
        let date = self.date;
        let engine: &'e Engine = self.engine;
        let at = Memo::within_slot(engine.id, usize::MAX, &eccn);
        if let Some(Some(found)) = self.memo.eccn_sites.get(at) {
            if found.engine == engine.id && found.eccn == eccn && found.dates.contains(date) {
                return found.sites.clone();
            }
        }
        let mut dates = DateRange::ALWAYS;
        let mut sites = Vec::with_capacity(engine.families.len());
        for family in &engine.families {
            match self.within(family.position, eccn) {
                Some(found) => {
                    sites.push(found.sites);
                    dates = dates.intersect(&found.sites_dates);
                }
                None => sites.push(u64::MAX),
            }
        }
        let sites: Arc<[u64]> = sites.into();
        if self.memo.eccn_sites.is_empty() {
            self.memo.eccn_sites.resize_with(MEMO_SLOTS, || None);
        }
        if let Some(slot) = self.memo.eccn_sites.get_mut(at) {
            *slot = Some(EccnSites {
                engine: engine.id,
                eccn,
                sites: sites.clone(),
                dates,
            });
        }
        sites
    }

    #[inline]
    fn bind(&mut self, slot: usize, bound: Bound<'e>) {
        if let Some(cell) = self.frame.get_mut(slot) {
            *cell = bound;
        }
    }

    fn membership(&mut self, element: &Value, collection: &Collection, mode: Membership) -> Truth {
        if element.is_missing() {
            return Truth::Unknown;
        }
        match collection {
            Collection::Constant { set, .. } => self.constant_member(*set, element, mode),
            Collection::Expr(expr) => {
                // A path (`row.eccn`, `item.categories`) is read where it lies.
                let peeked = self
                    .peek(*expr)
                    .map(|scope| (member_of(mode, element, scope), scope.is_missing()));
                match peeked {
                    Some((truth, scope_missing)) => {
                        if scope_missing {
                            self.note_missing_path(*expr);
                        }
                        truth
                    }
                    None => {
                        let scope = self.value(*expr);
                        member_of(mode, element, &scope)
                    }
                }
            }
        }
    }

    /// Screens a party against a screening table once per transaction (and a name with its
    /// aliases once per thread while the [`Memo`] holds it); `None` when the party has no
    /// name to screen.
    fn screen(&mut self, party: &Value, shape: &MatchShape) -> Option<Arc<[Match]>> {
        let Value::List(fields) = party else {
            return None;
        };
        let key = Arc::as_ptr(fields) as *const () as usize;
        if let Some((_, _, hits, _)) = self
            .screened
            .iter()
            .find(|(table, address, _, _)| *table == shape.table && *address == key)
        {
            return Some(hits.clone());
        }
        let Some(Value::String(name)) = fields.get(usize::from(shape.party_name)) else {
            return None;
        };
        let aliases = shape
            .party_aliases
            .and_then(|a| fields.get(usize::from(a)))
            .unwrap_or(&MISSING);
        let engine = self.engine.id;
        let hash = Memo::hash(engine, shape.table, name, aliases);
        let hits = match self.memo.screened(hash, engine, shape.table, name, aliases) {
            Some(hits) => hits.clone(),
            None => {
                let alias_refs: Vec<&str> = string_items(aliases).map(|s| &**s).collect();
                let index = self.engine.screening.get(shape.table.index())?.as_ref()?;
                let mut out = Vec::new();
                index.screen(name, &alias_refs, &mut out);
                let hits: Arc<[Match]> = Arc::from(out);
                self.memo.remember(ScreenedName {
                    hash,
                    engine,
                    table: shape.table,
                    name: name.clone(),
                    aliases: aliases.clone(),
                    hits: hits.clone(),
                });
                hits
            }
        };
        self.screened
            .push((shape.table, key, hits.clone(), name.clone()));
        Some(hits)
    }

    /// Every screening hit of a row in force, once per party and row.
    fn record_matches(&self) -> Vec<PartyMatch> {
        let mut out: Vec<PartyMatch> = Vec::new();
        for (table, _, hits, party) in &self.screened {
            let rows = self.engine.table_rows.get(table.index());
            for hit in hits.iter() {
                let in_force = rows
                    .and_then(|r| r.get(hit.entry))
                    .is_some_and(|(dates, _)| dates.contains(self.date));
                if in_force
                    && !out
                        .iter()
                        .any(|m| m.table == *table && m.row == hit.entry && m.party == *party)
                {
                    out.push(PartyMatch {
                        table: *table,
                        row: hit.entry,
                        party: party.clone(),
                        listed_name: hit.listed_name,
                        query: hit.query,
                        score: hit.score,
                    });
                }
            }
        }
        out
    }

    /// Appends the value of an expression as quoted in a sentence: strings and codes without
    /// quotes, enum values by name. Returns whether what it appended needs no escaping in a
    /// JSON string ([`json_plain`]).
    fn quote(&mut self, out: &mut String, expr: ExprId) -> bool {
        let program: &'e Program = &self.engine.program;
        let Some(ty) = self.expr(expr).map(|e| &e.ty) else {
            return true;
        };
        let names = self.engine.plain_enum_names;
        match self.peek(expr) {
            Some(value) => write_plain(out, program, value, ty, names),
            None => {
                let value = self.value(expr);
                write_plain(out, program, &value, ty, names)
            }
        }
    }
}

/// A value as quoted in a sentence: strings and codes without quotes, enum values by name.
pub fn plain_value(program: &Program, value: &Value, ty: &crate::semantic::ir::Type) -> String {
    let mut out = String::new();
    write_plain(&mut out, program, value, ty, false);
    out
}

/// Appends a value as quoted in a sentence (see [`plain_value`]) to `out`: strings, codes and
/// enum values written straight in, without the formatting machinery (a fired rule quotes a
/// few of them in its `because`). Returns whether what it appended needs no escaping in a JSON
/// string ([`json_plain`]): country codes and ECCNs never do, enumeration values' names do not
/// when `plain_names` says so; strings and other values are checked.
fn write_plain(
    out: &mut String,
    program: &Program,
    value: &Value,
    ty: &crate::semantic::ir::Type,
    plain_names: bool,
) -> bool {
    let text: &str = match (value, ty) {
        (Value::Country(c), _) => {
            out.push_str(c.as_str());
            return true;
        }
        (Value::Eccn(e), _) => {
            e.pieces().for_each(|piece| out.push_str(piece));
            return true;
        }
        (Value::List(items), _) => {
            let element = ty.element().unwrap_or(&crate::semantic::ir::Type::Error);
            let mut plain = true;
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push_str(", ");
                }
                plain &= write_plain(out, program, item, element, plain_names);
            }
            return plain;
        }
        (Value::String(s), _) => s,
        (Value::Enum(index), crate::semantic::ir::Type::Enum(id)) => {
            let name = program
                .enumeration(*id)
                .and_then(|e| e.value_name(*index))
                .unwrap_or("?");
            if plain_names {
                out.push_str(name);
                return true;
            }
            name
        }
        (other, _) => {
            let start = out.len();
            out.push_str(&program.display_value(other, ty));
            return out.get(start..).is_some_and(json_plain);
        }
    };
    out.push_str(text);
    // Values quoted in sentences are short: a loop that stops at the first byte to escape.
    !text.bytes().any(json_escaped)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Membership {
    Equal,
    Within,
}

/// Whether `element` is in (or within) `scope`, a list or a single value.
fn member_of(mode: Membership, element: &Value, scope: &Value) -> Truth {
    let items = match scope {
        Value::List(items) => &items[..],
        Value::Missing => return Truth::Unknown,
        single => std::slice::from_ref(single),
    };
    let mut result = Truth::False;
    for item in items {
        let truth = match (mode, element, item) {
            (_, _, Value::Missing) => Truth::Unknown,
            (Membership::Within, Value::Eccn(eccn), Value::Eccn(scope)) => eccn.within(scope),
            (Membership::Within, _, _) => Truth::False,
            (Membership::Equal, a, b) => Truth::from_bool(a == b),
        };
        result = result.or(truth);
        if result == Truth::True {
            break;
        }
    }
    result
}

/// Whether a text holds nothing a JSON string must escape ([`json_escaped`]). Checked without
/// short-circuiting, so that the loop is vectorised: for long texts (a sentence, a rule's
/// template); short values are checked by a loop that stops early ([`write_plain`]).
pub(crate) fn json_plain(text: &str) -> bool {
    text.bytes().fold(true, |plain, b| plain & !json_escaped(b))
}

/// Whether a JSON string escapes this byte: `"`, `\`, a control character.
#[inline]
fn json_escaped(b: u8) -> bool {
    (b < 0x20) | (b == b'"') | (b == b'\\')
}

/// Follows a path's fields from its root value.
#[inline]
fn walk<'v>(root: &'v Value, path: &Path) -> &'v Value {
    walk_fields(root, &path.fields)
}

/// Follows fields from a value.
#[inline]
fn walk_fields<'v>(root: &'v Value, fields: &[u16]) -> &'v Value {
    let mut current = root;
    for field in fields.iter() {
        current = match current {
            Value::List(fields) => fields.get(usize::from(*field)).unwrap_or(&MISSING),
            _ => &MISSING,
        };
    }
    current
}

/// `is missing`, `is not missing`, `is empty`, `is not empty`; `None` (unknown) when emptiness
/// is asked of a value that is not a list.
fn presence(value: &Value, test: PresenceTest) -> Option<bool> {
    Some(match test {
        PresenceTest::Missing => value.is_missing(),
        PresenceTest::NotMissing => !value.is_missing(),
        PresenceTest::Empty | PresenceTest::NotEmpty => match value {
            Value::List(items) => items.is_empty() == (test == PresenceTest::Empty),
            _ => return None,
        },
    })
}

fn truth_value(truth: Truth) -> Value {
    match truth {
        Truth::True => Value::Bool(true),
        Truth::False => Value::Bool(false),
        Truth::Unknown => Value::Missing,
    }
}

fn initial(kind: QuantifierKind) -> Truth {
    match kind {
        QuantifierKind::Any | QuantifierKind::No => Truth::False,
        QuantifierKind::Every => Truth::True,
    }
}

/// Folds one element's truth into a quantifier's result; `Some` when the answer is final.
fn step(kind: QuantifierKind, result: &mut Truth, truth: Truth) -> Option<Truth> {
    match kind {
        QuantifierKind::Any => {
            *result = result.or(truth);
            (truth == Truth::True).then_some(Truth::True)
        }
        QuantifierKind::No => {
            *result = result.or(truth);
            (truth == Truth::True).then_some(Truth::False)
        }
        QuantifierKind::Every => {
            *result = result.and(truth);
            (truth == Truth::False).then_some(Truth::False)
        }
    }
}

fn finish(kind: QuantifierKind, result: Truth) -> Truth {
    match kind {
        QuantifierKind::No => result.not(),
        _ => result,
    }
}

fn compare(op: Comparison, a: &Value, b: &Value) -> Truth {
    if a.is_missing() || b.is_missing() {
        return Truth::Unknown;
    }
    let ordering = match (a, b) {
        (Value::Integer(x), Value::Decimal(y)) => Decimal::from_integer(*x).cmp(y),
        (Value::Decimal(x), Value::Integer(y)) => x.cmp(&Decimal::from_integer(*y)),
        _ => a.cmp(b),
    };
    Truth::from_bool(match op {
        Comparison::Eq => ordering.is_eq(),
        Comparison::Ne => ordering.is_ne(),
        Comparison::Lt => ordering.is_lt(),
        Comparison::Le => ordering.is_le(),
        Comparison::Gt => ordering.is_gt(),
        Comparison::Ge => ordering.is_ge(),
    })
}

fn arithmetic(op: ArithmeticOp, a: &Value, b: &Value) -> Value {
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) if op != ArithmeticOp::Div => {
            let result = match op {
                ArithmeticOp::Add => x.checked_add(*y),
                ArithmeticOp::Sub => x.checked_sub(*y),
                _ => x.checked_mul(*y),
            };
            result.map_or(Value::Missing, Value::Integer)
        }
        (Value::Integer(_) | Value::Decimal(_), Value::Integer(_) | Value::Decimal(_)) => {
            let as_decimal = |v: &Value| match v {
                Value::Integer(n) => Decimal::from_integer(*n),
                Value::Decimal(d) => *d,
                _ => Decimal::from_integer(0),
            };
            let (x, y) = (as_decimal(a), as_decimal(b));
            let result = match op {
                ArithmeticOp::Add => x.checked_add(y),
                ArithmeticOp::Sub => x.checked_sub(y),
                ArithmeticOp::Mul => x.checked_mul(y),
                ArithmeticOp::Div => x.checked_div(y),
            };
            result.map_or(Value::Missing, Value::Decimal)
        }
        _ => Value::Missing,
    }
}

/// Combines the contributions of several rules to one decision.
fn combine(mode: Option<CombineMode>, contributions: &[Contribution]) -> Value {
    match mode {
        Some(CombineMode::Union) => {
            let mut values: Vec<Value> = Vec::new();
            for c in contributions {
                match (&c.op, &c.value) {
                    (OutcomeOp::Set, Value::List(items)) => values.extend(items.iter().cloned()),
                    (_, value) => values.push(value.clone()),
                }
            }
            values.sort();
            values.dedup();
            Value::List(Arc::from(values))
        }
        Some(CombineMode::Any) => {
            Value::Bool(contributions.iter().any(|c| c.value == Value::Bool(true)))
        }
        Some(CombineMode::All) => {
            Value::Bool(contributions.iter().all(|c| c.value == Value::Bool(true)))
        }
        Some(CombineMode::Priority) => {
            let mut best: Option<&Contribution> = None;
            for c in contributions {
                if best.map_or(true, |b| c.priority > b.priority) {
                    best = Some(c);
                }
            }
            best.map_or(Value::Missing, |c| c.value.clone())
        }
        Some(CombineMode::MostRestrictive) => contributions
            .iter()
            .map(|c| c.value.clone())
            .max()
            .unwrap_or(Value::Missing),
        None => contributions
            .first()
            .map_or(Value::Missing, |c| c.value.clone()),
    }
}

/// The strings of a list value (other elements are skipped).
fn string_items(value: &Value) -> impl Iterator<Item = &Arc<str>> {
    let items: &[Value] = match value {
        Value::List(items) => items,
        _ => &[],
    };
    items.iter().filter_map(|v| match v {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// The conjuncts of a condition: the operands of its `and`s, however they nest.
fn conjuncts(program: &Program, expr: ExprId) -> Vec<ExprId> {
    let mut out = Vec::new();
    let mut stack = vec![expr];
    while let Some(id) = stack.pop() {
        match program.expr(id).map(|e| &e.kind) {
            Some(ExprKind::And(items)) => stack.extend(items.iter().rev()),
            _ => out.push(id),
        }
    }
    out
}

impl ColumnIndex {
    /// The expected number of candidates a lookup returns: rows per distinct key.
    fn rows_per_key(&self) -> usize {
        self.rows / self.equal.len().max(1) + self.missing.len()
    }
}

/// Builds the index of one column of a table.
fn column_index(program: &Program, table: TableId, column: u16) -> ColumnIndex {
    let mut index = ColumnIndex::default();
    let Some(table) = program.table(table) else {
        return index;
    };
    index.rows = table.rows.len();
    let mut equal: FxHashMap<Value, Vec<usize>> = FxHashMap::default();
    let mut missing = Vec::new();
    for (row, cells) in table.rows.iter().enumerate() {
        match cells.cells.get(usize::from(column)) {
            None | Some(Value::Missing) => missing.push(row),
            Some(value) => {
                if let Value::Eccn(eccn) = value {
                    for depth in 0..eccn.depth() {
                        index
                            .ancestors
                            .entry(eccn.truncated(depth))
                            .or_default()
                            .push(row);
                    }
                    index.eccns.entry(*eccn).or_default().push(row);
                }
                equal.entry(value.clone()).or_default().push(row);
            }
        }
    }
    index.equal = equal
        .into_iter()
        .map(|(key, mut rows)| {
            rows.extend_from_slice(&missing);
            rows.sort_unstable();
            (key, rows.into_boxed_slice())
        })
        .collect();
    index.missing = missing.into_boxed_slice();
    index
}

/// The guarded quantifiers of index `position` ([`SiteMasks`]) that may visit one of `rows` on
/// `date`, and the days around `date` on which that stays so (none of the rows comes into
/// force or leaves it).
fn sites_on(engine: &Engine, position: usize, rows: &[usize], date: Date) -> (u64, DateRange) {
    let mut sites = 0;
    let mut dates = DateRange::ALWAYS;
    let Some(masks) = engine.site_masks.get(position) else {
        return (sites, dates);
    };
    let table_rows = engine
        .table_rows
        .get(masks.table)
        .map_or(&[][..], Vec::as_slice);
    for &row in rows {
        let Some((range, _)) = table_rows.get(row) else {
            continue;
        };
        if range.contains(date) {
            sites |= masks.rows.get(row).copied().unwrap_or(0);
        }
        // The row's ends on or before `date` bound the days from below, the others from above.
        for end in [range.effective, range.until].into_iter().flatten() {
            if end <= date {
                dates.effective = Some(dates.effective.map_or(end, |from| from.max(end)));
            } else {
                dates.until = Some(dates.until.map_or(end, |to| to.min(end)));
            }
        }
    }
    (sites, dates)
}

/// Gives each `any` quantifier over a table narrowed first by a `within` index a bit (up to 64
/// per index), and each index the masks of its table's rows: the bits of the quantifiers that
/// may visit the row. Returns the masks by index position, and the bits by quantifier.
fn site_masks(
    program: &Program,
    narrowing: &[Narrowing],
    indexes: &[ColumnIndex],
) -> (Vec<SiteMasks>, FxHashMap<ExprId, (usize, u64)>) {
    let mut masks: Vec<SiteMasks> = indexes.iter().map(|_| SiteMasks::default()).collect();
    let mut sites = FxHashMap::default();
    for (index, expr) in program.exprs.iter().enumerate() {
        let ExprKind::Quantifier {
            kind: QuantifierKind::Any,
            collection,
            ..
        } = &expr.kind
        else {
            continue;
        };
        let Some(ExprKind::Table(table)) = program.expr(*collection).map(|e| &e.kind) else {
            continue;
        };
        let Some(Narrowing::Lookup { found, allowed }) = narrowing.get(index) else {
            continue;
        };
        let Some((position, LookupHint::Within { .. })) = found.first() else {
            continue;
        };
        let Some(mask) = masks.get_mut(*position) else {
            continue;
        };
        if mask.sites >= u64::BITS {
            continue;
        }
        if mask.sites == 0 {
            let rows = program.table(*table).map_or(0, |t| t.rows.len());
            mask.table = table.index();
            mask.rows = vec![0; rows].into_boxed_slice();
        }
        let bit = 1u64 << mask.sites;
        mask.sites += 1;
        for (row, cell) in mask.rows.iter_mut().enumerate() {
            if allowed
                .as_ref()
                .map_or(true, |allowed| allowed.get(row) != Some(&false))
            {
                *cell |= bit;
            }
        }
        sites.insert(ExprId::from_index(index), (*position, bit));
    }
    (masks, sites)
}

/// The guard of a rule whose `when` has the shape [`Guard`] describes. A `when` that screens
/// parties has none, but for an empty table that is the only one it screens against: the
/// parties it screens are reported whether or not it holds.
fn guard(
    program: &Program,
    narrowing: &[Narrowing],
    sites: &FxHashMap<ExprId, (usize, u64)>,
    when: ExprId,
    families: &mut Vec<GuardFamily>,
) -> Option<Guard> {
    let screens_against = |other_than: Option<TableId>| {
        compiled::holds_some(
            program,
            when,
            |kind| matches!(kind, ExprKind::Matches { shape, .. } if Some(shape.table) != other_than),
        )
    };
    let screens = screens_against(None);
    conjuncts(program, when).into_iter().find_map(|conjunct| {
        let ExprKind::Quantifier {
            kind: QuantifierKind::Any,
            slot,
            collection,
            body,
        } = &program.expr(conjunct)?.kind
        else {
            return None;
        };
        let ExprKind::Path(list) = &program.expr(*collection)?.kind else {
            return None;
        };
        if list.root != PathRoot::Transaction {
            return None;
        }
        conjuncts(program, *body).into_iter().find_map(|inner| {
            if let ExprKind::Quantifier {
                kind: QuantifierKind::Any,
                collection,
                ..
            } = &program.expr(inner)?.kind
            {
                if let ExprKind::Table(table) = &program.expr(*collection)?.kind {
                    let empty = program.table(*table)?.rows.is_empty();
                    if empty && !screens_against(Some(*table)) {
                        return Some(Guard {
                            list: list.clone(),
                            test: GuardTest::EmptyTable,
                        });
                    }
                }
            }
            if screens {
                return None;
            }
            let (position, site) = *sites.get(&inner)?;
            let Some(Narrowing::Lookup { found, .. }) = narrowing.get(inner.index()) else {
                return None;
            };
            let Some((_, LookupHint::Within { eccn, .. })) = found.first() else {
                return None;
            };
            // The key is a path from the element.
            let ExprKind::Path(key) = &program.expr(*eccn)?.kind else {
                return None;
            };
            (key.root == PathRoot::Slot(*slot)).then(|| Guard {
                list: list.clone(),
                test: GuardTest::Eccn {
                    site,
                    family: family_of(families, list, &key.fields, position),
                },
            })
        })
    })
}

/// The number of the family of guards that ask `list`, the path `key` from its elements and
/// index `position`, added to `families` if it is new.
fn family_of(families: &mut Vec<GuardFamily>, list: &Path, key: &[u16], position: usize) -> usize {
    if let Some(at) = families
        .iter()
        .position(|f| f.list == *list && *f.key == *key && f.position == position)
    {
        return at;
    }
    let group = families
        .iter()
        .find(|f| f.list == *list && *f.key == *key)
        .map_or(families.len(), |f| f.group);
    families.push(GuardFamily {
        list: list.clone(),
        key: key.into(),
        position,
        group,
    });
    families.len() - 1
}

/// A rough cost of evaluating a condition once, to try the cheap parts of a `when` first: a
/// test costs one, a quantifier its body's cost times the rows or elements it visits (for a
/// table, as many as its index narrows to). (A `when` that screens is not reordered.)
fn estimated_cost(
    program: &Program,
    narrowing: &[Narrowing],
    indexes: &[ColumnIndex],
    id: ExprId,
) -> u64 {
    crate::semantic::with_stack(|| {
        let Some(expr) = program.expr(id) else {
            return 1;
        };
        match &expr.kind {
            ExprKind::Quantifier {
                collection, body, ..
            } => {
                let visited = match program.expr(*collection).map(|e| &e.kind) {
                    Some(ExprKind::Table(table)) => match narrowing.get(id.index()) {
                        Some(Narrowing::Lookup { found, .. }) => found
                            .first()
                            .and_then(|(position, _)| indexes.get(*position))
                            .map_or(1, ColumnIndex::rows_per_key),
                        _ => program.table(*table).map_or(1, |t| t.rows.len()),
                    },
                    // A list of the transaction: a few items or parties.
                    _ => 2,
                };
                let body = estimated_cost(program, narrowing, indexes, *body);
                (visited as u64).saturating_mul(body).saturating_add(10)
            }
            kind => kind.operands().into_iter().fold(1, |total: u64, operand| {
                total.saturating_add(estimated_cost(program, narrowing, indexes, operand))
            }),
        }
    })
}

/// The rows of a table where every `row.column is CONSTANT` conjunct among a quantifier's
/// indexed ones is not false: the cell is the constant, or is missing (then the conjunct is
/// unknown). `None` when there is no such conjunct.
fn allowed_rows(
    program: &Program,
    table: TableId,
    found: &[(usize, LookupHint)],
) -> Option<Box<[bool]>> {
    let rows = &program.table(table)?.rows;
    let mut allowed: Option<Vec<bool>> = None;
    for (_, hint) in found {
        let LookupHint::Equal { column, key } = hint else {
            continue;
        };
        let Some(ExprKind::Const(constant)) = program.expr(*key).map(|e| &e.kind) else {
            continue;
        };
        let allowed = allowed.get_or_insert_with(|| vec![true; rows.len()]);
        for (row, cells) in allowed.iter_mut().zip(rows) {
            match cells.cells.get(usize::from(*column)) {
                None | Some(Value::Missing) => {}
                Some(cell) => *row &= cell == constant,
            }
        }
    }
    allowed.map(Vec::into_boxed_slice)
}

/// Whether an expression reads the quantifier's own slot (then it depends on the row).
fn reads_slot(program: &Program, expr: ExprId, slot: crate::semantic::ir::Slot) -> bool {
    let mut stack = vec![expr];
    while let Some(id) = stack.pop() {
        let Some(e) = program.expr(id) else { continue };
        if let ExprKind::Path(path) = &e.kind {
            if path.root == PathRoot::Slot(slot) {
                return true;
            }
        }
        stack.extend(e.kind.operands());
    }
    false
}

/// The column of `SLOT.column`, when the expression is exactly that.
fn row_column(program: &Program, expr: ExprId, slot: crate::semantic::ir::Slot) -> Option<u16> {
    match &program.expr(expr)?.kind {
        // Numbers compare across integer and decimal, which an index by exact value would miss.
        ExprKind::Path(path)
            if path.root == PathRoot::Slot(slot)
                && path.fields.len() == 1
                && !program.expr(expr)?.ty.is_numeric() =>
        {
            path.fields.first().copied()
        }
        _ => None,
    }
}

/// Finds the indexable conjuncts (`row.col is KEY`, `ECCN within row.col`) of a quantifier's
/// body.
fn lookup_hints(
    program: &Program,
    body: ExprId,
    slot: crate::semantic::ir::Slot,
) -> Vec<LookupHint> {
    conjuncts(program, body)
        .into_iter()
        .filter_map(|id| match &program.expr(id)?.kind {
            ExprKind::Compare {
                op: Comparison::Eq,
                lhs,
                rhs,
            } => match (
                row_column(program, *lhs, slot),
                row_column(program, *rhs, slot),
            ) {
                (Some(column), None) if !reads_slot(program, *rhs, slot) => {
                    Some(LookupHint::Equal { column, key: *rhs })
                }
                (None, Some(column)) if !reads_slot(program, *lhs, slot) => {
                    Some(LookupHint::Equal { column, key: *lhs })
                }
                _ => None,
            },
            ExprKind::Within {
                negated: false,
                eccn,
                scope: Collection::Expr(scope),
            } => {
                let column = row_column(program, *scope, slot)?;
                (!reads_slot(program, *eccn, slot)).then_some(LookupHint::Within {
                    column,
                    eccn: *eccn,
                })
            }
            _ => None,
        })
        .collect()
}

/// Finds `party matches SLOT` among the top-level conjuncts of a quantifier's body.
fn screen_hint(
    program: &Program,
    body: ExprId,
    slot: crate::semantic::ir::Slot,
) -> Option<ScreenHint> {
    conjuncts(program, body)
        .into_iter()
        .find_map(|id| match &program.expr(id)?.kind {
            ExprKind::Matches {
                party,
                entry,
                shape,
            } => match &program.expr(*entry)?.kind {
                ExprKind::Path(path)
                    if path.fields.is_empty() && path.root == PathRoot::Slot(slot) =>
                {
                    Some(ScreenHint {
                        party: *party,
                        shape: *shape,
                        conjunct: id,
                    })
                }
                _ => None,
            },
            _ => None,
        })
}
