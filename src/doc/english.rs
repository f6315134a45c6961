//! Rules in plain English, rendered from the checked expression tree.
//!
//! A condition becomes a [`Clause`]: a phrase ("the destination is not `CA`"), a conjunction
//! or disjunction of clauses, a quantifier's introduction with its body ("any item in the items
//! is such that ..."), or a negation. [`clause_blocks`] lays a clause out as one sentence when it
//! is short and as nested lists ("all of the following hold:") when it is not, so that the
//! grouping of `and` and `or` is never ambiguous.
//!
//! Every expression form has a rendering: constants, field paths, decisions, tables and
//! columns, lists, quoted strings, `not`, `and`, `or`, arithmetic, comparisons (in date words
//! for dates), `in` / `not in` (tables and columns by their titles), `within` / `not within`,
//! `matches`, presence tests, quantifiers and `count`. A few idioms read better than the
//! general form and keep its meaning exactly:
//!
//! - `any e in T where P matches e and ...` → "P's name or one of its aliases matches an entry
//!   of the table T such that ...";
//! - `any r in T where r.k is X and ...` → "any row of the table T whose k is X is such that
//!   ..." (and "the table T has a row whose k is X" when nothing follows); likewise for `no`;
//! - `r.cc1 is true` on a yes/no column → "the row has an X in CC Column 1";
//! - `license is required` → "a license is required", `license is not_required` → "no license
//!   is required".
//!
//! Quantifier variables are called by what they range over ("the item", "the party", "the
//! row"); when an enclosing quantifier already uses the word, the variable's own name is added
//! ("the row h").

use std::collections::{HashMap, HashSet};

use super::markup::{plain_text, Block, Inline, Target};
use super::names::{bool_column_label, date_in_words, decision_anchor, humanize, table_page};
use super::names::{table_title, DECISIONS_PAGE};
use crate::semantic::ir::{
    ArithmeticOp, Builtin, Collection, Comparison, DecisionId, ExprId, ExprKind, OutcomeOp,
    PathRoot, PresenceTest, Program, QuantifierKind, Rule, Slot, TableId, TemplatePart,
    TemplatePartExpr, Type, Value,
};

/// A condition in words, before it is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clause {
    Phrase(Vec<Inline>),
    /// Every part holds.
    All(Vec<Clause>),
    /// At least one part holds.
    AnyOf(Vec<Clause>),
    /// A quantifier's introduction ("any item in the items is such that") and its body.
    Such {
        intro: Vec<Inline>,
        body: Box<Clause>,
    },
    Not(Box<Clause>),
}

/// Whether a phrase states its predicate or its opposite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Polarity {
    Positive,
    Negative,
}

impl Polarity {
    fn flip(self) -> Polarity {
        match self {
            Polarity::Positive => Polarity::Negative,
            Polarity::Negative => Polarity::Positive,
        }
    }

    fn from_negated(negated: bool) -> Polarity {
        if negated {
            Polarity::Negative
        } else {
            Polarity::Positive
        }
    }
}

/// A rule in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleProse {
    /// When the rule applies; `None` when it always applies.
    pub when: Option<Clause>,
    pub unless: Option<Clause>,
    /// What it decides: one phrase per outcome.
    pub outcomes: Vec<Vec<Inline>>,
    /// The `because` sentence, with the values it quotes as placeholders.
    pub because: Option<Vec<Inline>>,
}

/// Renders a rule's condition, outcomes and `because` sentence.
pub fn rule_prose(program: &Program, rule: &Rule) -> RuleProse {
    let mut english = English::new(program, Some(rule));
    english.name_nested_variables();
    let when = rule.when.map(|id| english.clause(id));
    let unless = rule.unless.map(|id| english.clause(id));
    let outcomes = rule
        .outcomes
        .iter()
        .map(|outcome| match outcome.op {
            OutcomeOp::Set => english.decision_is(outcome.decision, outcome.value),
            OutcomeOp::Include => {
                let mut out = english.decision_name(outcome.decision);
                out.push(Inline::text(" include "));
                out.extend(english.value(outcome.value));
                out
            }
        })
        .collect();
    let because = rule.because.as_ref().map(|template| {
        template
            .parts
            .iter()
            .map(|part| match part {
                TemplatePart::Text(text) => Inline::text(text.to_string()),
                TemplatePart::Value(id) => Inline::Placeholder(english.value(*id)),
            })
            .collect()
    });
    RuleProse {
        when,
        unless,
        outcomes,
        because,
    }
}

/// The blocks of a clause, the first paragraph starting with `lead` ("The rule applies when").
pub fn clause_blocks(lead: Vec<Inline>, clause: &Clause) -> Vec<Block> {
    if is_short(clause) {
        let mut paragraph = lead;
        paragraph.extend(inline(clause));
        return vec![Block::Paragraph(paragraph)];
    }
    match clause {
        Clause::Phrase(phrase) => {
            let mut paragraph = lead;
            paragraph.extend(phrase.iter().cloned());
            vec![Block::Paragraph(paragraph)]
        }
        Clause::All(parts) | Clause::AnyOf(parts) => {
            let mut paragraph = lead;
            paragraph.push(Inline::text(if matches!(clause, Clause::All(_)) {
                "all of the following hold:"
            } else {
                "at least one of the following holds:"
            }));
            let items = parts
                .iter()
                .map(|part| clause_blocks(Vec::new(), part))
                .collect();
            vec![Block::Paragraph(paragraph), Block::List(items)]
        }
        Clause::Such { intro, body } => {
            let mut next = lead;
            next.extend(intro.iter().cloned());
            next.push(Inline::text(" "));
            clause_blocks(next, body)
        }
        Clause::Not(body) => {
            let mut next = lead;
            next.push(Inline::text("it is not the case that "));
            clause_blocks(next, body)
        }
    }
}

/// The longest clause, in characters, written as one sentence rather than a list.
const SHORT: usize = 120;

fn is_short(clause: &Clause) -> bool {
    let simple = match clause {
        Clause::Phrase(_) => true,
        Clause::All(parts) | Clause::AnyOf(parts) => {
            parts.iter().all(|p| matches!(p, Clause::Phrase(_)))
        }
        Clause::Such { body, .. } | Clause::Not(body) => matches!(**body, Clause::Phrase(_)),
    };
    simple && plain_text(&inline(clause)).chars().count() <= SHORT
}

/// A clause as one run of text; nested groups are parenthesised.
pub fn inline(clause: &Clause) -> Vec<Inline> {
    match clause {
        Clause::Phrase(phrase) => phrase.clone(),
        Clause::All(parts) => join_clauses(parts, "and"),
        Clause::AnyOf(parts) => join_clauses(parts, "or"),
        Clause::Such { intro, body } => {
            let mut out = intro.clone();
            out.push(Inline::text(" "));
            out.extend(inline_nested(body));
            out
        }
        Clause::Not(body) => {
            let mut out = vec![Inline::text("it is not the case that ")];
            out.extend(inline_nested(body));
            out
        }
    }
}

fn inline_nested(clause: &Clause) -> Vec<Inline> {
    match clause {
        Clause::Phrase(_) => inline(clause),
        _ => {
            let mut out = vec![Inline::text("(")];
            out.extend(inline(clause));
            out.push(Inline::text(")"));
            out
        }
    }
}

fn join_clauses(parts: &[Clause], conjunction: &str) -> Vec<Inline> {
    let rendered: Vec<Vec<Inline>> = parts.iter().map(inline_nested).collect();
    join(rendered, conjunction)
}

/// Joins phrases as English lists: "A", "A and B", "A, B and C".
fn join(parts: Vec<Vec<Inline>>, conjunction: &str) -> Vec<Inline> {
    let count = parts.len();
    let mut out = Vec::new();
    for (index, part) in parts.into_iter().enumerate() {
        if index > 0 {
            if index + 1 == count {
                out.push(Inline::text(format!(" {conjunction} ")));
            } else {
                out.push(Inline::text(", "));
            }
        }
        out.extend(part);
    }
    out
}

/// The renderer's state: the program, the rule, and what each quantifier variable is called.
struct English<'p> {
    program: &'p Program,
    rule: Option<&'p Rule>,
    /// The variables of the enclosing quantifiers, innermost last.
    scope: Vec<(Slot, String)>,
    /// What each variable was called where it was bound, for `because` sentences.
    nouns: HashMap<Slot, String>,
    /// Variables called by their own name as well ("row g"), because a variable of the same
    /// kind is bound inside or around them.
    named: HashSet<Slot>,
}

impl<'p> English<'p> {
    fn new(program: &'p Program, rule: Option<&'p Rule>) -> Self {
        English {
            program,
            rule,
            scope: Vec::new(),
            nouns: HashMap::new(),
            named: HashSet::new(),
        }
    }

    fn kind(&self, id: ExprId) -> Option<&'p ExprKind> {
        self.program.expr(id).map(|e| &e.kind)
    }

    fn ty(&self, id: ExprId) -> Type {
        self.program
            .expr(id)
            .map_or(Type::Error, |expr| expr.ty.clone())
    }

    /// A boolean expression as a clause.
    fn clause(&mut self, id: ExprId) -> Clause {
        self.clause_with(id, Polarity::Positive)
    }

    fn clause_with(&mut self, id: ExprId, polarity: Polarity) -> Clause {
        let Some(kind) = self.kind(id) else {
            return Clause::Phrase(vec![Inline::text("(a condition)")]);
        };
        match kind {
            ExprKind::And(parts) | ExprKind::Or(parts) => {
                let is_and = matches!(kind, ExprKind::And(_));
                let clauses: Vec<Clause> = parts
                    .iter()
                    .map(|part| self.clause_with(*part, polarity))
                    .collect();
                // De Morgan: "not (A and B)" is "A fails or B fails", which reads better than
                // a negated group.
                let conjunctive = match polarity {
                    Polarity::Positive => is_and,
                    Polarity::Negative => !is_and,
                };
                flatten(clauses, conjunctive)
            }
            ExprKind::Not(inner) => self.clause_with(*inner, polarity.flip()),
            ExprKind::Quantifier {
                kind: quantifier,
                slot,
                collection,
                body,
            } => {
                // "not any" is "no" and "not no" is "any"; only "not every" needs a negation.
                let (quantifier, polarity) = match (quantifier, polarity) {
                    (QuantifierKind::Any, Polarity::Negative) => {
                        (QuantifierKind::No, Polarity::Positive)
                    }
                    (QuantifierKind::No, Polarity::Negative) => {
                        (QuantifierKind::Any, Polarity::Positive)
                    }
                    (other, polarity) => (*other, polarity),
                };
                let clause = self.quantifier(quantifier, *slot, *collection, *body);
                negate_if(clause, polarity)
            }
            _ => Clause::Phrase(self.phrase(id, polarity)),
        }
    }

    /// A leaf condition (comparison, membership, presence ...) as a phrase.
    fn phrase(&mut self, id: ExprId, polarity: Polarity) -> Vec<Inline> {
        let Some(kind) = self.kind(id) else {
            return vec![Inline::text("(a condition)")];
        };
        match kind {
            ExprKind::Compare { op, lhs, rhs } => self.comparison(*op, *lhs, *rhs, polarity),
            ExprKind::In {
                negated,
                element,
                collection,
            } => {
                let polarity = match Polarity::from_negated(*negated) {
                    Polarity::Positive => polarity,
                    Polarity::Negative => polarity.flip(),
                };
                self.membership(*element, *collection, polarity)
            }
            ExprKind::Within {
                negated,
                eccn,
                scope,
            } => {
                let polarity = match Polarity::from_negated(*negated) {
                    Polarity::Positive => polarity,
                    Polarity::Negative => polarity.flip(),
                };
                self.within(*eccn, *scope, polarity)
            }
            ExprKind::Matches { party, entry, .. } => {
                let mut out = possessive(self.value(*party));
                out.push(Inline::text(match polarity {
                    Polarity::Positive => "name or one of its aliases matches ",
                    Polarity::Negative => "name and aliases do not match ",
                }));
                out.extend(possessive(self.value(*entry)));
                out.push(Inline::text("name or one of its aliases"));
                out
            }
            ExprKind::Presence { value, test } => {
                let mut out = self.value(*value);
                let test = match polarity {
                    Polarity::Positive => *test,
                    Polarity::Negative => match test {
                        PresenceTest::Missing => PresenceTest::NotMissing,
                        PresenceTest::NotMissing => PresenceTest::Missing,
                        PresenceTest::Empty => PresenceTest::NotEmpty,
                        PresenceTest::NotEmpty => PresenceTest::Empty,
                    },
                };
                // "the findings are empty", "the fee is given".
                let plural = matches!(self.ty(*value), Type::List(_) | Type::Set(_));
                let verb = if plural { "are" } else { "is" };
                out.push(Inline::text(match test {
                    PresenceTest::Missing => format!(" {verb} not given"),
                    PresenceTest::NotMissing => format!(" {verb} given"),
                    PresenceTest::Empty => format!(" {verb} empty"),
                    PresenceTest::NotEmpty => format!(" {verb} not empty"),
                }));
                out
            }
            ExprKind::Const(Value::Bool(value)) => {
                let holds = *value == (polarity == Polarity::Positive);
                vec![Inline::text(if holds { "always" } else { "never" })]
            }
            ExprKind::Decision(decision) => {
                let mut out = self.decision_name(*decision);
                out.push(Inline::text(match polarity {
                    Polarity::Positive => " is true",
                    Polarity::Negative => " is false",
                }));
                out
            }
            _ => {
                // A yes/no value used as a condition: a field, or a form without a phrase of
                // its own.
                let mut out = self.value(id);
                out.push(Inline::text(match polarity {
                    Polarity::Positive => " is true",
                    Polarity::Negative => " is false",
                }));
                out
            }
        }
    }

    fn comparison(
        &mut self,
        op: Comparison,
        lhs: ExprId,
        rhs: ExprId,
        polarity: Polarity,
    ) -> Vec<Inline> {
        let op = match polarity {
            Polarity::Positive => op,
            Polarity::Negative => match op {
                Comparison::Eq => Comparison::Ne,
                Comparison::Ne => Comparison::Eq,
                Comparison::Lt => Comparison::Ge,
                Comparison::Le => Comparison::Gt,
                Comparison::Gt => Comparison::Le,
                Comparison::Ge => Comparison::Lt,
            },
        };
        if matches!(op, Comparison::Eq | Comparison::Ne) {
            // `r.cc1 is true` on a yes/no column of a table row.
            if let (Some(label), Some(ExprKind::Const(Value::Bool(value)))) =
                (self.bool_column(lhs), self.kind(rhs))
            {
                let marked = *value == (op == Comparison::Eq);
                let mut out = self.row_of(lhs);
                out.push(Inline::text(if marked {
                    format!(" has an X in {label}")
                } else {
                    format!(" has no X in {label}")
                }));
                return out;
            }
            if let Some(ExprKind::Decision(decision)) = self.kind(lhs) {
                if op == Comparison::Eq {
                    return self.decision_is(*decision, rhs);
                }
            }
        }
        let is_date = matches!(self.ty(lhs), Type::Date);
        let words = match (op, is_date) {
            (Comparison::Eq, _) => " is ",
            (Comparison::Ne, _) => " is not ",
            (Comparison::Lt, true) => " is before ",
            (Comparison::Le, true) => " is on or before ",
            (Comparison::Gt, true) => " is after ",
            (Comparison::Ge, true) => " is on or after ",
            (Comparison::Lt, false) => " is less than ",
            (Comparison::Le, false) => " is at most ",
            (Comparison::Gt, false) => " is more than ",
            (Comparison::Ge, false) => " is at least ",
        };
        let mut out = self.value(lhs);
        out.push(Inline::text(words));
        out.extend(self.value(rhs));
        out
    }

    /// The label of a yes/no table column a path reads, if it reads one.
    fn bool_column(&self, id: ExprId) -> Option<String> {
        let ExprKind::Path(path) = self.kind(id)? else {
            return None;
        };
        if !matches!(self.ty(id), Type::Bool) {
            return None;
        }
        let PathRoot::Slot(slot) = path.root else {
            return None;
        };
        let Type::Row(table) = &self.rule?.slots.get(slot.index())?.ty else {
            return None;
        };
        let [column] = &*path.fields else {
            return None;
        };
        let column = self
            .program
            .table(*table)?
            .columns
            .get(usize::from(*column))?;
        Some(bool_column_label(&column.name))
    }

    /// "the row" for a path `r.cc1`: the variable the path starts from.
    fn row_of(&mut self, id: ExprId) -> Vec<Inline> {
        match self.kind(id) {
            Some(ExprKind::Path(path)) => match path.root {
                PathRoot::Slot(slot) => vec![Inline::text(self.reference(slot))],
                PathRoot::Transaction => vec![Inline::text("the transaction")],
            },
            _ => self.value(id),
        }
    }

    fn membership(
        &mut self,
        element: ExprId,
        collection: Collection,
        polarity: Polarity,
    ) -> Vec<Inline> {
        let source = match collection {
            Collection::Expr(id) => id,
            Collection::Constant { source, .. } => source,
        };
        let mut out = self.value(element);
        let positive = polarity == Polarity::Positive;
        if let Some(items) = self.list_items(source) {
            out.push(Inline::text(if positive {
                " is one of "
            } else {
                " is not one of "
            }));
            out.extend(join(items, "or"));
            return out;
        }
        match self.kind(source) {
            Some(ExprKind::Column { table, column }) => {
                out.push(Inline::text(if positive {
                    " is listed in "
                } else {
                    " is not listed in "
                }));
                out.extend(self.column_phrase(*table, *column));
            }
            _ => {
                out.push(Inline::text(if positive {
                    " is among "
                } else {
                    " is not among "
                }));
                out.extend(self.value(source));
            }
        }
        out
    }

    fn within(&mut self, eccn: ExprId, scope: Collection, polarity: Polarity) -> Vec<Inline> {
        let source = match scope {
            Collection::Expr(id) => id,
            Collection::Constant { source, .. } => source,
        };
        let positive = polarity == Polarity::Positive;
        let mut out = self.value(eccn);
        if let Some(items) = self.list_items(source).filter(|items| items.len() > 1) {
            out.push(Inline::text(if positive {
                " is within one of "
            } else {
                " is not within any of "
            }));
            out.extend(join(items, "or"));
            return out;
        }
        match self.kind(source) {
            Some(ExprKind::Column { table, column }) => {
                out.push(Inline::text(if positive {
                    " is within an ECCN listed in "
                } else {
                    " is not within any ECCN listed in "
                }));
                out.extend(self.column_phrase(*table, *column));
            }
            _ => {
                let several = matches!(self.ty(source), Type::List(_) | Type::Set(_));
                out.push(Inline::text(match (positive, several) {
                    (true, false) => " is within ",
                    (false, false) => " is not within ",
                    (true, true) => " is within one of ",
                    (false, true) => " is not within any of ",
                }));
                out.extend(self.value(source));
            }
        }
        out
    }

    /// The elements of a list written in the policy, each in words.
    fn list_items(&mut self, id: ExprId) -> Option<Vec<Vec<Inline>>> {
        let ty = self.ty(id);
        match self.kind(id)? {
            ExprKind::List(items) => Some(items.iter().map(|i| self.value(*i)).collect()),
            ExprKind::Const(Value::List(values)) => {
                let element = ty.element().cloned().unwrap_or(Type::Error);
                Some(
                    values
                        .iter()
                        .map(|v| constant(self.program, v, &element))
                        .collect(),
                )
            }
            _ => None,
        }
    }

    /// A column as a place where values are listed: "the table T" for a table of one column,
    /// "the C column of the table T" otherwise.
    fn column_phrase(&self, table: TableId, column: u16) -> Vec<Inline> {
        let Some(t) = self.program.table(table) else {
            return vec![Inline::text("a table")];
        };
        let mut out = Vec::new();
        if t.columns.len() > 1 {
            let name = t
                .columns
                .get(usize::from(column))
                .map_or_else(String::new, |c| humanize(&c.name));
            out.push(Inline::text(format!("the {name} column of ")));
        }
        out.extend(self.table_link(table));
        out
    }

    /// "the table <Commerce Country Chart>", linked to the table's page.
    fn table_link(&self, table: TableId) -> Vec<Inline> {
        let Some(t) = self.program.table(table) else {
            return vec![Inline::text("a table")];
        };
        vec![
            Inline::text("the table "),
            Inline::Link {
                target: Target::page(table_page(t)),
                hint: Some(format!("table {}", t.qualified_name)),
                content: vec![Inline::text(table_title(t))],
            },
        ]
    }

    fn quantifier(
        &mut self,
        kind: QuantifierKind,
        slot: Slot,
        collection: ExprId,
        body: ExprId,
    ) -> Clause {
        let noun = self.bind(slot, collection);
        let clause = self
            .screening_idiom(kind, slot, collection, body)
            .or_else(|| self.lookup_idiom(kind, slot, collection, body))
            .unwrap_or_else(|| {
                let mut intro = vec![Inline::text(format!(
                    "{} {noun} ",
                    match kind {
                        QuantifierKind::Any => "any",
                        QuantifierKind::Every => "every",
                        QuantifierKind::No => "no",
                    }
                ))];
                intro.extend(self.collection_phrase(collection));
                intro.push(Inline::text(" is such that"));
                Clause::Such {
                    intro,
                    body: Box::new(self.clause(body)),
                }
            });
        self.scope.pop();
        clause
    }

    /// Finds the variables that share a noun with a variable bound inside or around them, so
    /// that both are called by their own names too ("any row g ... no row h ...").
    fn name_nested_variables(&mut self) {
        let Some(rule) = self.rule else {
            return;
        };
        let slots: Vec<(Slot, String, ExprId)> = rule
            .slots
            .iter()
            .enumerate()
            .filter_map(|(index, info)| {
                let slot = Slot(u16::try_from(index).ok()?);
                let collection = match self.kind(info.binder) {
                    Some(ExprKind::Quantifier { collection, .. }) => *collection,
                    _ => info.binder,
                };
                Some((slot, self.base_noun(slot, collection), info.binder))
            })
            .collect();
        for (a, noun_a, binder_a) in &slots {
            for (b, noun_b, binder_b) in &slots {
                if a != b && noun_a == noun_b && self.contains(*binder_a, *binder_b) {
                    self.named.insert(*a);
                    self.named.insert(*b);
                }
            }
        }
    }

    /// Whether `inner` is `outer` or one of its operands, at any depth.
    fn contains(&self, outer: ExprId, inner: ExprId) -> bool {
        outer == inner
            || self
                .kind(outer)
                .is_some_and(|kind| kind.operands().into_iter().any(|c| self.contains(c, inner)))
    }

    /// Names the variable of a quantifier and puts it in scope; returns its noun.
    fn bind(&mut self, slot: Slot, collection: ExprId) -> String {
        let variable = self
            .rule
            .and_then(|rule| rule.slots.get(slot.index()))
            .map_or("x", |i| &*i.name);
        let base = self.base_noun(slot, collection);
        let noun = if self.named.contains(&slot) || self.scope.iter().any(|(_, used)| *used == base)
        {
            format!("{base} {variable}")
        } else {
            base
        };
        self.scope.push((slot, noun.clone()));
        self.nouns.insert(slot, noun.clone());
        noun
    }

    /// What a variable is called: its own name when it is a word, else what it ranges over.
    fn base_noun(&self, slot: Slot, collection: ExprId) -> String {
        let info = self.rule.and_then(|rule| rule.slots.get(slot.index()));
        let variable = info.map_or("x", |i| &*i.name);
        if variable.chars().count() >= 3 {
            humanize(variable)
        } else {
            match info.map(|i| &i.ty) {
                Some(Type::Record(id)) => self
                    .program
                    .record(*id)
                    .map_or_else(|| "element".to_string(), |r| humanize(&r.name)),
                Some(Type::Row(table)) => {
                    let screening = self.program.table(*table).is_some_and(|t| t.screening);
                    if screening { "entry" } else { "row" }.to_string()
                }
                Some(Type::Eccn) => "ECCN".to_string(),
                Some(Type::Country) => "country".to_string(),
                Some(Type::Enum(id)) => self
                    .program
                    .enumeration(*id)
                    .map_or_else(|| "value".to_string(), |e| humanize(&e.name)),
                _ => match self.kind(collection) {
                    Some(ExprKind::Table(_)) => "row".to_string(),
                    _ => "element".to_string(),
                },
            }
        }
    }

    /// How a variable is referred to: "the item", or "row g" for a variable called by its
    /// name.
    fn reference(&self, slot: Slot) -> String {
        let noun = self.noun(slot);
        if self.named.contains(&slot) {
            noun
        } else {
            format!("the {noun}")
        }
    }

    fn noun(&self, slot: Slot) -> String {
        self.scope
            .iter()
            .rev()
            .find(|(s, _)| *s == slot)
            .map(|(_, noun)| noun.clone())
            .or_else(|| self.nouns.get(&slot).cloned())
            .or_else(|| {
                self.rule
                    .and_then(|rule| rule.slots.get(slot.index()))
                    .map(|info| humanize(&info.name))
            })
            .unwrap_or_else(|| "element".to_string())
    }

    /// "in the items", "of the table T", "in the list A, B and C".
    fn collection_phrase(&mut self, collection: ExprId) -> Vec<Inline> {
        match self.kind(collection) {
            Some(ExprKind::Table(table)) => {
                let mut out = vec![Inline::text("of ")];
                out.extend(self.table_link(*table));
                out
            }
            Some(ExprKind::Column { table, column }) => {
                let mut out = vec![Inline::text("in ")];
                out.extend(self.column_phrase(*table, *column));
                out
            }
            Some(ExprKind::List(_)) => {
                let mut out = vec![Inline::text("in the list ")];
                out.extend(self.value(collection));
                out
            }
            _ => {
                let mut out = vec![Inline::text("in ")];
                out.extend(self.value(collection));
                out
            }
        }
    }

    /// `any e in T where P matches e [and REST]`: "P's name or one of its aliases matches an
    /// entry of the table T [such that REST]".
    fn screening_idiom(
        &mut self,
        kind: QuantifierKind,
        slot: Slot,
        collection: ExprId,
        body: ExprId,
    ) -> Option<Clause> {
        let ExprKind::Table(table) = self.kind(collection)? else {
            return None;
        };
        let (first, rest) = self.conjuncts(body);
        let mut matched = None;
        let mut others = Vec::new();
        for part in first.into_iter().chain(rest) {
            match self.kind(part) {
                Some(ExprKind::Matches { party, entry, .. })
                    if matched.is_none()
                        && self.is_variable(*entry, slot)
                        && !self.reads_slot(*party, slot) =>
                {
                    matched = Some(*party);
                }
                _ => others.push(part),
            }
        }
        let party = matched?;
        let noun = self.noun(slot);
        let mut phrase = possessive(self.value(party));
        phrase.push(Inline::text(match kind {
            QuantifierKind::Any => format!(
                "name or one of its aliases matches {} {noun} of ",
                article(&noun)
            ),
            QuantifierKind::No => format!("name and aliases match no {noun} of "),
            QuantifierKind::Every => return None,
        }));
        phrase.extend(self.table_link(*table));
        if others.is_empty() {
            return Some(Clause::Phrase(phrase));
        }
        phrase.push(Inline::text(" such that"));
        let rest: Vec<Clause> = others.iter().map(|part| self.clause(*part)).collect();
        Some(Clause::Such {
            intro: phrase,
            body: Box::new(flatten(rest, true)),
        })
    }

    /// `any r in T where r.k is X [and REST]`: "any row of the table T whose k is X is such that
    /// REST", or "the table T has a row whose k is X".
    fn lookup_idiom(
        &mut self,
        kind: QuantifierKind,
        slot: Slot,
        collection: ExprId,
        body: ExprId,
    ) -> Option<Clause> {
        let ExprKind::Table(table) = self.kind(collection)? else {
            return None;
        };
        let (Some(first), rest) = self.conjuncts(body) else {
            return None;
        };
        let ExprKind::Compare {
            op: Comparison::Eq,
            lhs,
            rhs,
        } = self.kind(first)?
        else {
            return None;
        };
        let (key, value) = if self.is_column_of(*lhs, slot) && !self.reads_slot(*rhs, slot) {
            (*lhs, *rhs)
        } else if self.is_column_of(*rhs, slot) && !self.reads_slot(*lhs, slot) {
            (*rhs, *lhs)
        } else {
            return None;
        };
        let column = self.last_field_name(key)?;
        let noun = self.noun(slot);
        let mut whose = vec![Inline::text(format!("{noun} of "))];
        whose.extend(self.table_link(*table));
        whose.push(Inline::text(format!(" whose {column} is ")));
        whose.extend(self.value(value));
        if rest.is_empty() {
            let mut phrase = self.table_link(*table);
            phrase.push(Inline::text(match kind {
                QuantifierKind::Any => format!(" has {} {noun} whose {column} is ", article(&noun)),
                QuantifierKind::No => format!(" has no {noun} whose {column} is "),
                QuantifierKind::Every => return None,
            }));
            phrase.extend(self.value(value));
            return Some(Clause::Phrase(phrase));
        }
        let mut intro = vec![Inline::text(match kind {
            QuantifierKind::Any => "any ",
            QuantifierKind::No => "no ",
            QuantifierKind::Every => return None,
        })];
        intro.extend(whose);
        intro.push(Inline::text(" is such that"));
        let rest: Vec<Clause> = rest.iter().map(|part| self.clause(*part)).collect();
        Some(Clause::Such {
            intro,
            body: Box::new(flatten(rest, true)),
        })
    }

    /// The first conjunct of a condition and the others (a condition that is not `and` is its
    /// own first conjunct).
    fn conjuncts(&self, id: ExprId) -> (Option<ExprId>, Vec<ExprId>) {
        match self.kind(id) {
            Some(ExprKind::And(parts)) => {
                let mut parts = parts.iter().copied();
                (parts.next(), parts.collect())
            }
            _ => (Some(id), Vec::new()),
        }
    }

    /// Whether the expression is the quantifier variable itself.
    fn is_variable(&self, id: ExprId, slot: Slot) -> bool {
        matches!(self.kind(id), Some(ExprKind::Path(path))
            if path.root == PathRoot::Slot(slot) && path.fields.is_empty())
    }

    /// Whether the expression is one column of the variable's row: `r.country`.
    fn is_column_of(&self, id: ExprId, slot: Slot) -> bool {
        matches!(self.kind(id), Some(ExprKind::Path(path))
            if path.root == PathRoot::Slot(slot) && path.fields.len() == 1)
    }

    /// Whether the expression reads the variable anywhere.
    fn reads_slot(&self, id: ExprId, slot: Slot) -> bool {
        let Some(kind) = self.kind(id) else {
            return false;
        };
        if let ExprKind::Path(path) = kind {
            return path.root == PathRoot::Slot(slot);
        }
        kind.operands()
            .into_iter()
            .any(|child| self.reads_slot(child, slot))
    }

    /// The field names of a path, from its root.
    fn field_names(&self, id: ExprId) -> Option<(PathRoot, Vec<String>)> {
        let ExprKind::Path(path) = self.kind(id)? else {
            return None;
        };
        let mut ty = match path.root {
            PathRoot::Transaction => Type::Record(self.program.schema?),
            PathRoot::Slot(slot) => self.rule?.slots.get(slot.index())?.ty.clone(),
        };
        let mut names = Vec::new();
        for field in path.fields.iter() {
            let index = usize::from(*field);
            let (name, next) = match &ty {
                Type::Record(record) => {
                    let f = self.program.record(*record)?.fields.get(index)?;
                    (f.name.to_string(), f.ty.clone())
                }
                Type::Row(table) => {
                    let c = self.program.table(*table)?.columns.get(index)?;
                    (c.name.to_string(), c.ty.clone())
                }
                _ => return None,
            };
            names.push(name);
            ty = next;
        }
        Some((path.root, names))
    }

    fn last_field_name(&self, id: ExprId) -> Option<String> {
        let (_, names) = self.field_names(id)?;
        names.last().map(|name| humanize(name))
    }

    /// A path in words: "the destination", "the item's ECCN", "the row's country".
    fn path(&self, id: ExprId) -> Vec<Inline> {
        let Some((root, names)) = self.field_names(id) else {
            return vec![Inline::text(
                self.program
                    .expr(id)
                    .map_or("a value", |e| self.program.source_text(e.location))
                    .to_string(),
            )];
        };
        let mut words = match root {
            PathRoot::Transaction => String::new(),
            PathRoot::Slot(slot) => self.reference(slot),
        };
        for name in &names {
            if words.is_empty() {
                words = format!("the {}", humanize(name));
            } else {
                words = format!("{words}'s {}", humanize(name));
            }
        }
        if words.is_empty() {
            words = "the transaction".to_string();
        }
        vec![Inline::text(words)]
    }

    /// A decision's name, linked to its description.
    fn decision_name(&self, decision: DecisionId) -> Vec<Inline> {
        let Some(d) = self.program.decision(decision) else {
            return vec![Inline::text("a decision")];
        };
        vec![
            Inline::text("the "),
            Inline::Link {
                target: Target::anchor(DECISIONS_PAGE, decision_anchor(&d.name)),
                hint: d.title.as_deref().map(str::to_string),
                content: vec![Inline::text(humanize(&d.name))],
            },
        ]
    }

    /// "a license is required", "no license is required", "the review policy is case by case".
    fn decision_is(&mut self, decision: DecisionId, value: ExprId) -> Vec<Inline> {
        let value_name = match (self.kind(value), self.ty(value)) {
            (Some(ExprKind::Const(Value::Enum(index))), Type::Enum(id)) => self
                .program
                .enumeration(id)
                .and_then(|e| e.value_name(*index))
                .map(str::to_string),
            _ => None,
        };
        let mut name = self.decision_name(decision);
        match value_name.as_deref() {
            Some("required") | Some("not_required") => {
                let article = if value_name.as_deref() == Some("required") {
                    "a "
                } else {
                    "no "
                };
                if let Some(first) = name.first_mut() {
                    *first = Inline::text(article);
                }
                name.push(Inline::text(" is required"));
                name
            }
            _ => {
                name.push(Inline::text(" is "));
                name.extend(self.value(value));
                name
            }
        }
    }

    /// Any expression as a noun phrase.
    fn value(&mut self, id: ExprId) -> Vec<Inline> {
        let ty = self.ty(id);
        let Some(kind) = self.kind(id) else {
            return vec![Inline::text("a value")];
        };
        match kind {
            ExprKind::Const(value) => self.constant(value, &ty),
            ExprKind::Path(_) => self.path(id),
            ExprKind::Decision(decision) => self.decision_name(*decision),
            ExprKind::Table(table) => {
                let mut out = vec![Inline::text("the rows of ")];
                out.extend(self.table_link(*table));
                out
            }
            ExprKind::Column { table, column } => {
                let Some(t) = self.program.table(*table) else {
                    return vec![Inline::text("a column")];
                };
                let name = t
                    .columns
                    .get(usize::from(*column))
                    .map_or_else(String::new, |c| humanize(&c.name));
                let mut out = vec![Inline::text(format!("the {name} column of "))];
                out.extend(self.table_link(*table));
                out
            }
            ExprKind::List(items) => {
                if items.is_empty() {
                    return vec![Inline::text("nothing")];
                }
                let items: Vec<Vec<Inline>> = items.iter().map(|i| self.value(*i)).collect();
                join(items, "and")
            }
            ExprKind::Format(parts) => {
                let mut out = vec![Inline::text("“")];
                for part in parts.iter() {
                    match part {
                        TemplatePartExpr::Text(text) => out.push(Inline::text(text.to_string())),
                        TemplatePartExpr::Value(value) => {
                            out.push(Inline::Placeholder(self.value(*value)));
                        }
                    }
                }
                out.push(Inline::text("”"));
                out
            }
            ExprKind::Arithmetic { op, lhs, rhs } => {
                let mut out = self.operand(*lhs);
                out.push(Inline::text(match op {
                    ArithmeticOp::Add => " plus ",
                    ArithmeticOp::Sub => " minus ",
                    ArithmeticOp::Mul => " times ",
                    ArithmeticOp::Div => " divided by ",
                }));
                out.extend(self.operand(*rhs));
                out
            }
            ExprKind::Call { function, args } => match function {
                Builtin::Count => {
                    let mut out = vec![Inline::text("the number of ")];
                    // "the number of items", not "the number of the items".
                    let args: Vec<Vec<Inline>> = args
                        .iter()
                        .map(|a| {
                            let mut value = self.value(*a);
                            if let Some(Inline::Text(first)) = value.first_mut() {
                                if let Some(rest) = first.strip_prefix("the ") {
                                    *first = rest.to_string();
                                }
                            }
                            value
                        })
                        .collect();
                    out.extend(join(args, "and"));
                    out
                }
            },
            _ => {
                // A condition used as a value: "whether ...".
                let clause = self.clause(id);
                let mut out = vec![Inline::text("whether ")];
                out.extend(inline_nested(&clause));
                out
            }
        }
    }

    /// An operand of arithmetic: nested arithmetic is parenthesised.
    fn operand(&mut self, id: ExprId) -> Vec<Inline> {
        let nested = matches!(self.kind(id), Some(ExprKind::Arithmetic { .. }));
        let value = self.value(id);
        if nested {
            let mut out = vec![Inline::text("(")];
            out.extend(value);
            out.push(Inline::text(")"));
            out
        } else {
            value
        }
    }

    fn constant(&self, value: &Value, ty: &Type) -> Vec<Inline> {
        constant(self.program, value, ty)
    }
}

/// A constant in words: ECCNs and countries as codes, enumeration values in italics, dates in
/// words, strings in quotation marks.
pub fn constant(program: &Program, value: &Value, ty: &Type) -> Vec<Inline> {
    match value {
        Value::Missing => vec![Inline::text("nothing")],
        Value::Bool(b) => vec![Inline::text(b.to_string())],
        Value::Integer(n) => vec![Inline::text(n.to_string())],
        Value::Decimal(d) => vec![Inline::text(d.to_string())],
        Value::String(s) => vec![Inline::text(format!("“{s}”"))],
        Value::Date(d) => vec![Inline::text(date_in_words(*d))],
        Value::Country(c) => vec![Inline::Code(c.to_string())],
        Value::Eccn(e) => vec![Inline::Code(e.to_string())],
        Value::Enum(index) => {
            let name = match ty {
                Type::Enum(id) => program
                    .enumeration(*id)
                    .and_then(|e| e.value_name(*index))
                    .map_or_else(|| format!("#{index}"), humanize),
                _ => format!("#{index}"),
            };
            vec![Inline::Emphasis(vec![Inline::text(name)])]
        }
        Value::List(values) => {
            if values.is_empty() {
                return vec![Inline::text("nothing")];
            }
            let element = ty.element().cloned().unwrap_or(Type::Error);
            let parts = values
                .iter()
                .map(|v| constant(program, v, &element))
                .collect();
            join(parts, "and")
        }
    }
}

/// "a" or "an" before a noun.
pub fn article(noun: &str) -> &'static str {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    }
}

/// "the party" → "the party's ".
fn possessive(mut phrase: Vec<Inline>) -> Vec<Inline> {
    phrase.push(Inline::text("'s "));
    phrase
}

/// Joins clauses into one conjunction or disjunction, merging nested ones of the same kind.
fn flatten(clauses: Vec<Clause>, conjunctive: bool) -> Clause {
    let mut parts = Vec::new();
    for clause in clauses {
        match (clause, conjunctive) {
            (Clause::All(inner), true) | (Clause::AnyOf(inner), false) => parts.extend(inner),
            (other, _) => parts.push(other),
        }
    }
    if parts.len() == 1 {
        if let Some(only) = parts.pop() {
            return only;
        }
    }
    if conjunctive {
        Clause::All(parts)
    } else {
        Clause::AnyOf(parts)
    }
}

fn negate_if(clause: Clause, polarity: Polarity) -> Clause {
    match polarity {
        Polarity::Positive => clause,
        Polarity::Negative => Clause::Not(Box::new(clause)),
    }
}
