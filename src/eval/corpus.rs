//! Generating a corpus of transactions from a library's schema and tables, for `vigil diff`:
//! varied enough that every rule fires in some transaction, and the same for the same seed.
//!
//! Values are drawn from what the library itself names: enumeration values, the countries and
//! ECCNs of its tables and conditions, dates on both sides of every `effective` and `until`,
//! the numbers its conditions compare with, and the names on its screening lists. Generation is
//! guided: while rules remain that no transaction has fired, a candidate is kept only when it
//! fires one of them; then the corpus is filled with plain random candidates. The random
//! numbers come from a small generator of our own ([`SplitMix64`]) so that a seed gives the
//! same bytes on every platform and in every version of the dependencies.

use std::collections::BTreeSet;

use serde_json::{Map, Value as Json};

use rayon::prelude::*;

use super::engine::{ConditionTruths, Outcome, RuleResult, RunConfig};
use super::record::Evaluator;
use crate::date::Date;
use crate::semantic::ir::{Decimal, ExprKind, Program, RecordId, Type, Value};

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CorpusConfig {
    /// How many transactions.
    pub count: usize,
    /// The seed: the same seed gives the same corpus.
    pub seed: u64,
}

/// A generated corpus and how much of the library it exercises.
#[derive(Clone, Debug, PartialEq)]
pub struct Corpus {
    /// The transactions, as JSON objects in the schema's field order.
    pub transactions: Vec<Json>,
    /// The rules no transaction of the corpus fires, by full name.
    pub unfired: Vec<String>,
    /// How many rules the library has.
    pub rules: usize,
}

/// How many candidates the guided phase may try per transaction asked for: enough to reach
/// rules that need a rare combination, bounded so that unreachable rules cost little.
const ATTEMPTS_PER_TRANSACTION: usize = 50;

/// How many candidates in a row may fire no new rule before guidance gives up, at least and
/// per transaction asked for: the rules left then need a combination random draws seldom
/// make, or data the library does not have. A larger corpus searches longer.
const STAGNATION_FLOOR: usize = 2000;
const STAGNATION_PER_TRANSACTION: usize = 5;

/// How many candidates are evaluated together, in parallel.
const BATCH: usize = 64;

/// Generates a corpus for the evaluator's library.
pub fn generate(evaluator: &Evaluator, config: CorpusConfig) -> Corpus {
    let program = evaluator.engine().program();
    let vocabulary = Vocabulary::of(program);
    let mut generator = Generator {
        program,
        vocabulary: &vocabulary,
        random: SplitMix64::new(config.seed),
        serial: 0,
    };
    let mut fired = vec![false; program.rules.len()];
    let mut seen = ConditionTruths::for_program(program);
    // Candidates that made some condition true or false for the first time: mutating them
    // reaches the rules whose conditions need several things at once.
    let mut seeds: Vec<Json> = Vec::new();
    let mut transactions = Vec::with_capacity(config.count);
    let mut attempts = 0;
    let mut since_progress = 0;
    let budget = config.count.saturating_mul(ATTEMPTS_PER_TRANSACTION);
    let stagnation = STAGNATION_FLOOR.max(config.count.saturating_mul(STAGNATION_PER_TRANSACTION));
    let run = RunConfig {
        coverage: true,
        ..RunConfig::default()
    };
    'generating: while transactions.len() < config.count {
        // Candidates are drawn in order and evaluated in parallel, then examined in order, so
        // the corpus does not depend on how the work was shared between threads.
        let mut batch: Vec<Json> = Vec::with_capacity(BATCH);
        for _ in 0..BATCH {
            let seed = generator.random.pick(&seeds).cloned();
            let candidate = match seed {
                Some(seed) if generator.random.chance(60) => Some(generator.mutate(seed)),
                _ => generator.transaction(),
            };
            batch.extend(candidate);
        }
        if batch.is_empty() {
            break;
        }
        let outcomes: Vec<Option<Outcome>> = batch
            .par_iter()
            .map(|candidate| {
                let (record, outcome) = evaluator.evaluate_json(candidate, None, run);
                outcome.filter(|_| record.errors.is_empty())
            })
            .collect();
        for (candidate, outcome) in batch.into_iter().zip(outcomes) {
            attempts += 1;
            if attempts > budget.saturating_mul(2) {
                break 'generating;
            }
            // A candidate the schema rejects (which the generator should not make) is skipped.
            let Some(outcome) = outcome else { continue };
            let mut fires_new_rule = false;
            for (done, result) in fired.iter_mut().zip(&outcome.rules) {
                if matches!(result, RuleResult::Fired(_)) && !*done {
                    *done = true;
                    fires_new_rule = true;
                }
            }
            if seen.lacks_some_of(&outcome.truths) {
                seen.merge(&outcome.truths);
                seeds.push(candidate.clone());
            }
            since_progress = if fires_new_rule {
                0
            } else {
                since_progress + 1
            };
            let guiding =
                attempts <= budget && since_progress < stagnation && fired.iter().any(|f| !f);
            if fires_new_rule || !guiding {
                let mut kept = candidate;
                // Identifiers count the transactions kept, not the candidates tried.
                if let Some(Json::String(id)) = kept.get_mut("id") {
                    *id = format!("gen-{}", transactions.len() + 1);
                }
                transactions.push(kept);
                if transactions.len() == config.count {
                    break 'generating;
                }
            }
        }
    }
    let unfired = program
        .rules
        .iter()
        .zip(&fired)
        .filter(|(_, f)| !**f)
        .map(|(r, _)| r.name.to_string())
        .collect();
    Corpus {
        transactions,
        unfired,
        rules: program.rules.len(),
    }
}

/// The values a library names, each pool sorted so that generation does not depend on the
/// order of hash sets.
#[derive(Debug, Default)]
struct Vocabulary {
    countries: Vec<String>,
    eccns: Vec<String>,
    dates: Vec<Date>,
    /// The earliest and latest day worth generating.
    span: (i32, i32),
    integers: Vec<i64>,
    decimals: Vec<Decimal>,
    strings: Vec<String>,
    /// Names and aliases on the screening lists.
    listed_names: Vec<(String, Vec<String>)>,
}

/// The pools as they are collected, before sorting.
#[derive(Default)]
struct Pools {
    countries: BTreeSet<String>,
    eccns: BTreeSet<String>,
    boundaries: BTreeSet<Date>,
    integers: BTreeSet<i64>,
    decimals: BTreeSet<Decimal>,
    strings: BTreeSet<String>,
}

impl Pools {
    /// Collects every kind of value: constants of conditions.
    fn collect(&mut self, value: &Value) {
        visit(value, &mut |v| match v {
            Value::Date(d) => {
                self.boundaries.insert(*d);
            }
            Value::Integer(n) => {
                self.integers.insert(*n);
            }
            Value::Decimal(d) => {
                self.decimals.insert(*d);
            }
            // Long strings are sentences and list labels, not values a transaction carries.
            Value::String(s) if s.len() <= 40 => {
                self.strings.insert(s.to_string());
            }
            other => self.collect_code(other),
        });
    }

    /// Collects countries and ECCNs only: cells of tables, whose other values (labels,
    /// citations, list names) transactions do not carry.
    fn collect_codes(&mut self, value: &Value) {
        visit(value, &mut |v| self.collect_code(v));
    }

    fn collect_code(&mut self, value: &Value) {
        match value {
            Value::Country(c) => {
                self.countries.insert(c.to_string());
            }
            Value::Eccn(e) => {
                self.eccns.insert(e.to_string());
            }
            _ => {}
        }
    }
}

impl Vocabulary {
    fn of(program: &Program) -> Vocabulary {
        let mut pools = Pools::default();
        for expr in &program.exprs {
            if let ExprKind::Const(value) = &expr.kind {
                pools.collect(value);
            }
        }
        let mut listed_names = Vec::new();
        for table in &program.tables {
            let name_column = table.column_index("name").map(usize::from);
            let alias_column = table.column_index("aliases").map(usize::from);
            for row in &table.rows {
                for cell in row.cells.iter() {
                    pools.collect_codes(cell);
                }
                if table.screening {
                    if let Some(Value::String(name)) = name_column.and_then(|c| row.cells.get(c)) {
                        let aliases = alias_column
                            .and_then(|a| row.cells.get(a))
                            .map(strings_of)
                            .unwrap_or_default();
                        listed_names.push((name.to_string(), aliases));
                    }
                }
                pools.boundaries.extend(row.dates.effective);
                pools.boundaries.extend(row.dates.until);
            }
        }
        for rule in &program.rules {
            pools.boundaries.extend(rule.dates.effective);
            pools.boundaries.extend(rule.dates.until);
        }
        for policy in &program.policies {
            pools.boundaries.extend(policy.dates.effective);
            pools.boundaries.extend(policy.dates.until);
        }
        for set in &program.sets {
            pools.boundaries.extend(set.changes.iter().copied());
            for version in &set.versions {
                if let crate::semantic::ir::ValueSet::Eccns(found) = version {
                    pools
                        .eccns
                        .extend(found.entries.iter().map(ToString::to_string));
                }
            }
        }
        pools.eccns.insert("EAR99".to_string());
        if pools.countries.is_empty() {
            pools.countries.extend(["CN", "DE", "US"].map(String::from));
        }
        // A boundary is tested on its day and on the day before, where the old law applies.
        let mut dates = BTreeSet::new();
        for day in &pools.boundaries {
            dates.insert(*day);
            dates.extend(day.add_days(-1));
        }
        let fallback = (
            Date::from_ymd(2018, 1, 1).map_or(17_532, Date::days),
            Date::from_ymd(2026, 12, 31).map_or(20_818, Date::days),
        );
        let span = match (pools.boundaries.first(), pools.boundaries.last()) {
            (Some(first), Some(last)) => (
                first.days().saturating_sub(365).min(fallback.0),
                last.days().saturating_add(365).max(fallback.1),
            ),
            _ => fallback,
        };
        listed_names.sort();
        listed_names.dedup();
        Vocabulary {
            countries: pools.countries.into_iter().collect(),
            eccns: pools.eccns.into_iter().collect(),
            dates: dates.into_iter().collect(),
            span,
            integers: pools.integers.into_iter().collect(),
            decimals: pools.decimals.into_iter().collect(),
            strings: pools.strings.into_iter().collect(),
            listed_names,
        }
    }
}

/// Calls `f` on a value and on every element of the lists within it.
fn visit(value: &Value, f: &mut dyn FnMut(&Value)) {
    f(value);
    if let Value::List(items) = value {
        for item in items.iter() {
            visit(item, f);
        }
    }
}

fn strings_of(value: &Value) -> Vec<String> {
    match value {
        Value::List(items) => items
            .iter()
            .filter_map(|v| match v {
                Value::String(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Names for parties that are on no list.
const UNLISTED_NAMES: &[&str] = &[
    "Northwind Instruments Ltd.",
    "Harbor Light Trading Co.",
    "Blue Fern Research Institute",
    "Meridian Systems GmbH",
    "Qilin Precision Optics",
    "Andes Mining Cooperative",
    "Lakeside Municipal Hospital",
    "Saffron Telecom S.A.",
];

/// Words for free text fields (descriptions).
const WORDS: &[&str] = &[
    "camera",
    "controller",
    "sensor",
    "software",
    "router",
    "scanner",
    "module",
    "receiver",
];

struct Generator<'a> {
    program: &'a Program,
    vocabulary: &'a Vocabulary,
    random: SplitMix64,
    serial: usize,
}

impl Generator<'_> {
    fn transaction(&mut self) -> Option<Json> {
        let schema = self.program.schema?;
        self.serial += 1;
        Some(self.record(schema, Depth::Top))
    }

    /// A copy of a transaction with one value drawn anew: a field of the transaction, or a
    /// field of one element of a list of records (one item, one party), so that the rest of
    /// what made the transaction interesting stays.
    fn mutate(&mut self, mut transaction: Json) -> Json {
        self.serial += 1;
        if let Some(schema) = self.program.schema {
            self.mutate_record(&mut transaction, schema, Depth::Top);
        }
        if let Some(Json::String(id)) = transaction.get_mut("id") {
            *id = format!("candidate-{}", self.serial);
        }
        transaction
    }

    fn mutate_record(&mut self, object: &mut Json, id: RecordId, depth: Depth) {
        let program = self.program;
        let Some(record) = program.record(id) else {
            return;
        };
        let Some(field) = self.random.pick(&record.fields) else {
            return;
        };
        let Json::Object(map) = object else { return };
        if let (Type::List(element) | Type::Set(element), Some(Json::Array(items))) =
            (&field.ty, map.get_mut(&*field.name))
        {
            if let Type::Record(inner) = **element {
                let index = self.random.below(items.len());
                let descend = self.random.chance(75);
                if let Some(item) = items.get_mut(index).filter(|_| descend) {
                    self.mutate_record(item, inner, Depth::Nested);
                    return;
                }
            }
        }
        if (field.optional || field.default.is_some()) && self.random.chance(20) {
            map.remove(&*field.name);
            return;
        }
        let value = self.record_field(field, depth, &mut None);
        map.insert(field.name.to_string(), value);
    }

    fn record(&mut self, id: RecordId, depth: Depth) -> Json {
        let mut object = Map::new();
        let Some(record) = self.program.record(id) else {
            return Json::Object(object);
        };
        let mut listed: Option<(String, Vec<String>)> = None;
        for field in &record.fields {
            let absent_allowed = field.optional || field.default.is_some();
            if absent_allowed && self.random.chance(30) {
                continue;
            }
            let value = self.record_field(field, depth, &mut listed);
            object.insert(field.name.to_string(), value);
        }
        Json::Object(object)
    }

    /// A value for one field of a record. `listed` carries a screening-list name chosen for
    /// `name` on to the `aliases` after it.
    fn record_field(
        &mut self,
        field: &crate::semantic::ir::Field,
        depth: Depth,
        listed: &mut Option<(String, Vec<String>)>,
    ) -> Json {
        match (&*field.name, &field.ty, depth) {
            ("id", Type::String, Depth::Top) => Json::String(format!("candidate-{}", self.serial)),
            ("name", Type::String, _) => {
                let (name, aliases) = self.party_name();
                *listed = Some((name.clone(), aliases));
                Json::String(name)
            }
            ("aliases", Type::List(_) | Type::Set(_), _) => {
                let aliases = listed.as_ref().map(|(_, a)| a.clone()).unwrap_or_default();
                let chosen: Vec<Json> = aliases
                    .into_iter()
                    .filter(|_| self.random.chance(50))
                    .map(Json::String)
                    .collect();
                Json::Array(chosen)
            }
            _ => self.value(&field.ty, field.min_len),
        }
    }

    /// A party's name: half the time one on a screening list, with its aliases.
    fn party_name(&mut self) -> (String, Vec<String>) {
        let listed = &self.vocabulary.listed_names;
        if !listed.is_empty() && self.random.chance(50) {
            if let Some((name, aliases)) = self.random.pick(listed) {
                return (name.clone(), aliases.clone());
            }
        }
        let name = self.random.pick(UNLISTED_NAMES).copied().unwrap_or("Acme");
        (name.to_string(), Vec::new())
    }

    fn value(&mut self, ty: &Type, min_len: Option<u32>) -> Json {
        let vocabulary = self.vocabulary;
        match ty {
            Type::Bool => Json::Bool(self.random.chance(50)),
            Type::Integer => {
                let base = self.random.pick(&vocabulary.integers).copied();
                match base {
                    Some(n) if self.random.chance(80) => {
                        Json::from(n.saturating_add(self.random.offset()))
                    }
                    _ => Json::from(self.random.below(1000) as i64),
                }
            }
            Type::Decimal => {
                let half = Decimal::parse("0.5").unwrap_or(Decimal::from_integer(0));
                let number = match self.random.pick(&vocabulary.decimals).copied() {
                    Some(d) if self.random.chance(80) => match self.random.offset() {
                        -1 => d.checked_sub(half),
                        1 => d.checked_add(half),
                        _ => Some(d),
                    },
                    _ => Decimal::parse(&format!("{}.5", self.random.below(100))),
                };
                number
                    .and_then(|d| d.to_string().parse::<serde_json::Number>().ok())
                    .map_or(Json::Null, Json::Number)
            }
            Type::String => {
                if !vocabulary.strings.is_empty() && self.random.chance(30) {
                    if let Some(s) = self.random.pick(&vocabulary.strings) {
                        return Json::String(s.clone());
                    }
                }
                let word = self.random.pick(WORDS).copied().unwrap_or("item");
                Json::String(word.to_string())
            }
            Type::Date => Json::String(self.date()),
            // Mostly a country the library names; sometimes any country, to reach the rules
            // about destinations the tables leave out.
            Type::Country if self.random.chance(10) => Json::String(
                self.random
                    .pick(crate::semantic::country::CODES)
                    .map_or_else(|| "US".into(), |c| c.to_string()),
            ),
            Type::Country => Json::String(
                self.random
                    .pick(&vocabulary.countries)
                    .cloned()
                    .unwrap_or_else(|| "US".into()),
            ),
            Type::Eccn => Json::String(self.eccn()),
            Type::Enum(id) => {
                let names: Vec<&str> = self
                    .program
                    .enumeration(*id)
                    .map(|e| e.values.iter().map(|v| &*v.name).collect())
                    .unwrap_or_default();
                self.random
                    .pick(&names)
                    .map_or(Json::Null, |n| Json::String(n.to_string()))
            }
            Type::Record(id) => self.record(*id, Depth::Nested),
            Type::List(element) => {
                let least = min_len.map_or(0, |n| n as usize);
                let count = least + self.random.below(3);
                Json::Array((0..count).map(|_| self.value(element, None)).collect())
            }
            Type::Set(element) => {
                let mut items: Vec<Json> = Vec::new();
                if self.random.chance(60) {
                    for _ in 0..=self.random.below(2) {
                        let item = self.value(element, None);
                        if !items.contains(&item) {
                            items.push(item);
                        }
                    }
                }
                Json::Array(items)
            }
            Type::Row(_) | Type::Error => Json::Null,
        }
    }

    /// A date: usually on or just before a boundary of the law, otherwise any day in span.
    fn date(&mut self) -> String {
        let vocabulary = self.vocabulary;
        if self.random.chance(60) {
            if let Some(day) = self.random.pick(&vocabulary.dates) {
                return day.to_string();
            }
        }
        let (first, last) = vocabulary.span;
        let width = usize::try_from(last.saturating_sub(first)).unwrap_or(0) + 1;
        let offset = i32::try_from(self.random.below(width)).unwrap_or(0);
        Date::from_ymd(1970, 1, 1)
            .and_then(|epoch| epoch.add_days(first.saturating_add(offset)))
            .map_or_else(|| "2024-01-01".to_string(), |day| day.to_string())
    }

    /// An ECCN the library names; sometimes cut to less detail, so that rules meet ECCNs
    /// given without the paragraph they need.
    fn eccn(&mut self) -> String {
        if self.random.chance(10) {
            return "EAR99".into();
        }
        let Some(text) = self.random.pick(&self.vocabulary.eccns).cloned() else {
            return "EAR99".into();
        };
        if self.random.chance(15) {
            if let Ok(eccn) = crate::semantic::ir::Eccn::parse(&text) {
                if eccn.depth() > 0 {
                    let keep = self.random.below(eccn.depth());
                    return eccn.truncated(keep).to_string();
                }
            }
        }
        text
    }
}

/// Whether a record is the transaction itself or inside it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Depth {
    Top,
    Nested,
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a small, fast generator with good statistical
/// quality, fully determined by its seed.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        // The modulo bias is below 2^-40 for the small bounds used here.
        (self.next_u64() % bound as u64) as usize
    }

    /// True with the given chance in percent.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// -1, 0 or 1: a step to either side of a boundary value.
    fn offset(&mut self) -> i64 {
        match self.below(3) {
            0 => -1,
            1 => 0,
            _ => 1,
        }
    }

    /// An element of a slice.
    pub fn pick<'s, T>(&mut self, items: &'s [T]) -> Option<&'s T> {
        items.get(self.below(items.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_numbers() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        let first: Vec<u64> = (0..5).map(|_| a.next_u64()).collect();
        let second: Vec<u64> = (0..5).map(|_| b.next_u64()).collect();
        assert_eq!(first, second);
        assert_ne!(SplitMix64::new(8).next_u64(), first[0]);
    }
}
