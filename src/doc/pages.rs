//! The pages of the site, built from the checked program: the index by authority, one page per
//! policy, one per table, the decisions and the vocabulary of the transaction.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::cite::{self, CiteMode};
use super::english::{clause_blocks, constant, rule_prose};
use super::graph;
use super::markup::{Block, Cell, Inline, Page, Table, Target};
use super::names::*;
use crate::semantic::ir::{
    DecisionKind, Location, Policy, PolicyId, Program, Rule, RuleId, TableId, Type, Value,
};
use crate::syntax::ast::CombineMode;

/// One entry of the search index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchEntry {
    /// `policy`, `rule`, `table` or `decision`.
    pub kind: &'static str,
    pub title: String,
    pub name: String,
    pub cite: String,
    pub target: Target,
}

/// Everything the site is made of, before it is written in a format.
pub struct Site {
    pub pages: Vec<Page>,
    pub search: Vec<SearchEntry>,
}

/// What the pages need to know about the output.
pub struct Context<'a> {
    pub program: &'a Program,
    pub title: &'a str,
    /// Turns a link target into an address in the output format (for the SVG pictures, which
    /// are written as text).
    pub href: &'a dyn Fn(&Target) -> String,
    /// The extension of picture files written beside the pages.
    pub figure_extension: &'a str,
}

/// Builds every page.
pub fn site(context: &Context<'_>) -> Site {
    let program = context.program;
    let readers = table_readers(program);
    let mut pages = vec![index(context)];
    for (index, policy) in program.policies.iter().enumerate() {
        pages.push(policy_page_content(
            context,
            PolicyId::from_index(index),
            policy,
        ));
    }
    for (index, table) in program.tables.iter().enumerate() {
        let readers = readers
            .get(&TableId::from_index(index))
            .cloned()
            .unwrap_or_default();
        pages.push(table_page_content(program, table, &readers));
    }
    pages.push(decisions(program));
    pages.push(vocabulary(program));
    Site {
        pages,
        search: search_entries(program),
    }
}

fn search_entries(program: &Program) -> Vec<SearchEntry> {
    let mut out = Vec::new();
    for policy in &program.policies {
        out.push(SearchEntry {
            kind: "policy",
            title: policy_title(policy),
            name: policy.name.to_string(),
            cite: policy.cite.as_deref().unwrap_or("").to_string(),
            target: Target::page(policy_page(policy)),
        });
        for rule in policy.rules.iter().filter_map(|id| program.rule(*id)) {
            out.push(SearchEntry {
                kind: "rule",
                title: rule_title(rule),
                name: rule.name.to_string(),
                cite: rule.cite.as_deref().unwrap_or("").to_string(),
                target: rule_target(program, rule),
            });
        }
    }
    for table in &program.tables {
        out.push(SearchEntry {
            kind: "table",
            title: table_title(table),
            name: table.qualified_name.to_string(),
            cite: table.source.as_deref().unwrap_or("").to_string(),
            target: Target::page(table_page(table)),
        });
    }
    for decision in &program.decisions {
        out.push(SearchEntry {
            kind: "decision",
            title: decision
                .title
                .as_deref()
                .map_or_else(|| humanize(&decision.name), str::to_string),
            name: decision.name.to_string(),
            cite: String::new(),
            target: Target::anchor(DECISIONS_PAGE, decision_anchor(&decision.name)),
        });
    }
    out
}

/// The rules that read each table.
fn table_readers(program: &Program) -> BTreeMap<TableId, Vec<RuleId>> {
    let mut out: BTreeMap<TableId, Vec<RuleId>> = BTreeMap::new();
    for index in 0..program.rules.len() {
        let rule = RuleId::from_index(index);
        let (tables, _) = graph::rule_reads(program, rule);
        for table in tables {
            out.entry(table).or_default().push(rule);
        }
    }
    out
}

/// The policies grouped by authority, in the order the authorities first appear.
fn by_authority(program: &Program) -> Vec<(String, Vec<&Policy>)> {
    let mut groups: Vec<(String, Vec<&Policy>)> = Vec::new();
    for policy in &program.policies {
        let authority = policy
            .authority
            .as_deref()
            .unwrap_or("Other policies")
            .to_string();
        match groups.iter_mut().find(|(name, _)| *name == authority) {
            Some((_, policies)) => policies.push(policy),
            None => groups.push((authority, vec![policy])),
        }
    }
    groups
}

/// The short form of an authority used in the index's contents. Policy names start with
/// their authority by convention (`bis.ccl`, `state.surveillance`): the first segment shared by
/// all the authority's policies, in capitals when it is an abbreviation of three letters or
/// fewer ("BIS") and capitalised otherwise ("State"); failing that, the capitals of the
/// authority's name.
fn authority_short(name: &str, policies: &[&Policy]) -> String {
    let prefixes: BTreeSet<&str> = policies
        .iter()
        .filter_map(|p| p.name.split('.').next())
        .collect();
    if let (1, Some(prefix)) = (prefixes.len(), prefixes.first()) {
        if prefix.chars().count() <= 3 {
            return prefix.to_ascii_uppercase();
        }
        let mut chars = prefix.chars();
        if let Some(first) = chars.next() {
            return first.to_ascii_uppercase().to_string() + chars.as_str();
        }
    }
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(char::is_ascii_uppercase)
        .collect()
}

fn index(context: &Context<'_>) -> Page {
    let program = context.program;
    let groups = by_authority(program);
    let rule_count: usize = program.policies.iter().map(|p| p.rules.len()).sum();
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            id: None,
            content: vec![Inline::text(context.title)],
        },
        Block::Paragraph(vec![Inline::text(format!(
            "{}, {} and {}, from {}. Each rule is written out in plain English from the checked \
             policy: when it applies, what it decides, why, the regulation it encodes (linked to \
             the official text), when it is in force, and the exceptions that override it.",
            count_of(program.policies.len(), "policy", "policies"),
            count_of(rule_count, "rule", "rules"),
            count_of(program.tables.len(), "table", "tables"),
            count_of(groups.len(), "authority", "authorities"),
        ))]),
    ];
    let mut contents: Vec<Vec<Block>> = groups
        .iter()
        .map(|(authority, policies)| {
            vec![Block::Paragraph(vec![
                Inline::link(
                    Target::anchor(INDEX_PAGE, format!("authority-{}", slug(authority))),
                    format!("{} ({})", authority, authority_short(authority, policies)),
                ),
                Inline::text(format!(
                    ": {} {}",
                    policies.len(),
                    if policies.len() == 1 {
                        "policy"
                    } else {
                        "policies"
                    }
                )),
            ])]
        })
        .collect();
    contents.push(vec![Block::Paragraph(vec![Inline::link(
        Target::anchor(INDEX_PAGE, "tables"),
        "Tables",
    )])]);
    contents.push(vec![Block::Paragraph(vec![Inline::link(
        Target::page(DECISIONS_PAGE),
        "Decisions",
    )])]);
    contents.push(vec![Block::Paragraph(vec![Inline::link(
        Target::page(VOCABULARY_PAGE),
        "Vocabulary of the transaction",
    )])]);
    blocks.push(Block::List(contents));
    blocks.push(Block::Heading {
        level: 2,
        id: Some("reading".to_string()),
        content: vec![Inline::text("How to read the rules")],
    });
    blocks.push(Block::List(
        [
            "A rule applies to a proposed export (the transaction) when its condition holds on the transaction's date, and the rule is in force on that date.",
            "“Within” follows the Commerce Control List's hierarchy: 5A001.j is within 5A001. An ECCN given at less detail than a rule needs (5A001 for a rule on 5A001.j) leaves the rule undetermined, never inapplicable.",
            "Information the transaction does not give is never taken as “no”: a rule that may apply for lack of it makes the decision indeterminate where the decision says so.",
            "A name “matches” a restricted-party list entry when it is the entry's name or alias, allowing for case, punctuation, diacritics, legal-form suffixes, word order and small misspellings.",
            "An exception overrides the rules it names: when it applies, their outcomes do not count.",
        ]
        .iter()
        .map(|text| vec![Block::Paragraph(vec![Inline::text(*text)])])
        .collect(),
    ));
    for (authority, policies) in &groups {
        blocks.push(Block::Heading {
            level: 2,
            id: Some(format!("authority-{}", slug(authority))),
            content: vec![Inline::text(format!(
                "{authority} ({})",
                authority_short(authority, policies)
            ))],
        });
        for policy in policies {
            let mut section = vec![Block::Heading {
                level: 3,
                id: None,
                content: vec![Inline::link(
                    Target::page(policy_page(policy)),
                    policy_title(policy),
                )],
            }];
            let mut facts = vec![(
                "Policy".to_string(),
                vec![Inline::Code(policy.name.to_string())],
            )];
            if let Some(cite_text) = &policy.cite {
                facts.push((
                    "Citation".to_string(),
                    cite::link(cite_text, CiteMode::Citation),
                ));
            }
            facts.push((
                "In force".to_string(),
                vec![Inline::text(dates_in_words(&policy.dates))],
            ));
            section.push(Block::Facts(facts));
            let rules: Vec<Vec<Block>> = policy
                .rules
                .iter()
                .filter_map(|id| program.rule(*id))
                .map(|rule| {
                    let mut line = vec![Inline::link(rule_target(program, rule), rule_title(rule))];
                    if let Some(cite_text) = &rule.cite {
                        line.push(Inline::text(" — "));
                        line.extend(cite::link(cite_text, CiteMode::Citation));
                    }
                    vec![Block::Paragraph(line)]
                })
                .collect();
            if !rules.is_empty() {
                section.push(Block::List(rules));
            }
            blocks.push(Block::Section {
                id: Some(format!("policy-{}", slug(&policy.name))),
                class: "policy-summary",
                content: section,
            });
        }
    }
    blocks.push(Block::Heading {
        level: 2,
        id: Some("tables".to_string()),
        content: vec![Inline::text("Tables")],
    });
    let tables: Vec<Vec<Block>> = program
        .tables
        .iter()
        .map(|table| {
            let mut line = vec![Inline::link(
                Target::page(table_page(table)),
                table_title(table),
            )];
            line.push(Inline::text(format!(" ({})", row_count(table))));
            if let Some(source) = &table.source {
                line.push(Inline::text(" — "));
                line.extend(cite::link(source, CiteMode::Citation));
            }
            vec![Block::Paragraph(line)]
        })
        .collect();
    blocks.push(Block::List(tables));
    Page {
        key: INDEX_PAGE.to_string(),
        title: context.title.to_string(),
        trail: Vec::new(),
        blocks,
    }
}

fn row_count(table: &crate::semantic::ir::Table) -> String {
    if table.is_input() {
        "supplied at run time".to_string()
    } else if table.rows.len() == 1 {
        "1 row".to_string()
    } else {
        format!("{} rows", table.rows.len())
    }
}

/// Documentation text as paragraphs: lines are joined, blank lines separate paragraphs,
/// `code` is shown as code and references to the CFR and the Federal Register are linked.
pub fn doc_blocks(docs: &[Arc<str>]) -> Vec<Block> {
    let mut out = Vec::new();
    for doc in docs {
        let mut paragraph: Vec<&str> = Vec::new();
        for line in doc.lines().map(str::trim).chain(std::iter::once("")) {
            if line.is_empty() {
                if !paragraph.is_empty() {
                    out.push(Block::Paragraph(doc_inlines(&paragraph.join(" "))));
                    paragraph.clear();
                }
            } else {
                paragraph.push(line);
            }
        }
    }
    out
}

fn doc_inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    for (index, piece) in text.split('`').enumerate() {
        if index % 2 == 1 {
            out.push(Inline::Code(piece.to_string()));
        } else if !piece.is_empty() {
            out.extend(cite::link(piece, CiteMode::Prose));
        }
    }
    out
}

/// "policies/bis/crime_control.vigil, line 82".
fn source_line(program: &Program, location: Location) -> Vec<Inline> {
    let Some(file) = program.file(location.file) else {
        return vec![Inline::text("unknown")];
    };
    let (line, _) = file.line_col(location.span.start);
    vec![
        Inline::Code(file.name.to_string()),
        Inline::text(format!(", line {line}")),
    ]
}

fn cite_or_none(cite_text: Option<&str>) -> Vec<Inline> {
    match cite_text {
        Some(text) => cite::link(text, CiteMode::Citation),
        None => vec![Inline::Emphasis(vec![Inline::text("no citation")])],
    }
}

/// The tables shown with a policy: those declared in it or in its file.
fn tables_of(program: &Program, id: PolicyId, policy: &Policy) -> Vec<TableId> {
    // A table declared outside any policy is shown with the first policy of its file.
    let first_policy_of_file = program
        .policies
        .iter()
        .position(|p| p.location.file == policy.location.file)
        .map(PolicyId::from_index);
    program
        .tables
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            t.policy == Some(id) || (t.policy.is_none() && first_policy_of_file == Some(id))
        })
        .map(|(index, _)| TableId::from_index(index))
        .collect()
}

fn policy_page_content(context: &Context<'_>, id: PolicyId, policy: &Policy) -> Page {
    let program = context.program;
    let authority = policy.authority.as_deref().unwrap_or("Other policies");
    let mut blocks = vec![Block::Heading {
        level: 1,
        id: None,
        content: vec![Inline::text(policy_title(policy))],
    }];
    let mut facts = vec![
        (
            "Policy".to_string(),
            vec![Inline::Code(policy.name.to_string())],
        ),
        ("Authority".to_string(), vec![Inline::text(authority)]),
        ("Citation".to_string(), cite_or_none(policy.cite.as_deref())),
        (
            "In force".to_string(),
            vec![Inline::text(dates_in_words(&policy.dates))],
        ),
        ("Source".to_string(), source_line(program, policy.location)),
    ];
    facts.push((
        "Rules".to_string(),
        vec![Inline::text(policy.rules.len().to_string())],
    ));
    blocks.push(Block::Facts(facts));
    blocks.extend(doc_blocks(&policy.docs));

    if !policy.rules.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            id: Some("graph".to_string()),
            content: vec![Inline::text("Decision graph")],
        });
        blocks.push(graph_figure(context, policy));
    }

    blocks.push(Block::Heading {
        level: 2,
        id: Some("rules".to_string()),
        content: vec![Inline::text("Rules")],
    });
    let contents: Vec<Vec<Block>> = policy
        .rules
        .iter()
        .filter_map(|id| program.rule(*id))
        .map(|rule| {
            vec![Block::Paragraph(vec![Inline::link(
                Target::anchor(policy_page(policy), rule_anchor(rule)),
                rule_title(rule),
            )])]
        })
        .collect();
    if contents.is_empty() {
        blocks.push(Block::Paragraph(vec![Inline::text(
            "This policy has no rules of its own.",
        )]));
    } else {
        blocks.push(Block::List(contents));
    }
    for rule in policy.rules.iter().filter_map(|id| program.rule(*id)) {
        blocks.push(rule_section(program, rule));
    }

    let tables = tables_of(program, id, policy);
    if !tables.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            id: Some("tables".to_string()),
            content: vec![Inline::text("Tables")],
        });
        let items = tables
            .iter()
            .filter_map(|t| program.table(*t))
            .map(|table| {
                let mut line = vec![Inline::link(
                    Target::page(table_page(table)),
                    table_title(table),
                )];
                line.push(Inline::text(format!(" ({})", row_count(table))));
                if let Some(source) = &table.source {
                    line.push(Inline::text(" — "));
                    line.extend(cite::link(source, CiteMode::Citation));
                }
                vec![Block::Paragraph(line)]
            })
            .collect();
        blocks.push(Block::List(items));
    }

    let tests: Vec<Vec<Block>> = program
        .tests
        .iter()
        .filter(|t| t.policy == Some(id))
        .map(|t| vec![Block::Paragraph(vec![Inline::text(t.name.to_string())])])
        .collect();
    if !tests.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            id: Some("tests".to_string()),
            content: vec![Inline::text("Worked examples")],
        });
        blocks.push(Block::Paragraph(vec![Inline::text(
            "The test suite checks these transactions against the policy library on every change:",
        )]));
        blocks.push(Block::List(tests));
    }

    Page {
        key: policy_page(policy),
        title: policy_title(policy),
        trail: vec![(
            Target::anchor(INDEX_PAGE, format!("authority-{}", slug(authority))),
            authority.to_string(),
        )],
        blocks,
    }
}

/// The policy's slice of the decision graph, with its legend.
fn graph_figure(context: &Context<'_>, policy: &Policy) -> Block {
    Block::Figure {
        svg: graph::svg(context.program, policy, context.href),
        file: format!("{}.{}", policy_page(policy), context.figure_extension),
        caption: vec![Inline::text(
            "What this policy contributes to the decisions: the tables and decisions its rules \
             read (left), its rules (blue), and the decisions they set (green). A dashed arrow \
             goes from an exception to the rule it overrides; white boxes are rules of other \
             policies.",
        )],
    }
}

/// Ends a run of text with a full stop.
fn with_period(mut blocks: Vec<Block>) -> Vec<Block> {
    if let [Block::Paragraph(inlines)] = blocks.as_mut_slice() {
        inlines.push(Inline::text("."));
    }
    blocks
}

/// The word with its first letter in capitals.
fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().collect::<String>() + chars.as_str()
    })
}

/// "1 policy", "2 policies": a count with its noun.
fn count_of(count: usize, singular: &str, plural: &str) -> String {
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// "1 rule", "12 rules".
fn count_of_rules(count: usize) -> String {
    if count == 1 {
        "1 rule".to_string()
    } else {
        format!("{count} rules")
    }
}

/// A bulleted list of rules: title, linked, and full name.
fn rule_list(program: &Program, rules: &[RuleId]) -> Block {
    Block::List(
        rules
            .iter()
            .filter_map(|id| program.rule(*id))
            .map(|rule| {
                vec![Block::Paragraph(vec![
                    Inline::link(rule_target(program, rule), rule_title(rule)),
                    Inline::text(" ("),
                    Inline::Code(rule.name.to_string()),
                    Inline::text(")"),
                ])]
            })
            .collect(),
    )
}

fn rule_links(program: &Program, rules: &[RuleId]) -> Vec<Inline> {
    let mut out = Vec::new();
    for (index, rule) in rules.iter().filter_map(|id| program.rule(*id)).enumerate() {
        if index > 0 {
            out.push(Inline::text(if index + 1 == rules.len() {
                " and "
            } else {
                ", "
            }));
        }
        out.push(Inline::Link {
            target: rule_target(program, rule),
            hint: Some(rule.name.to_string()),
            content: vec![Inline::text(rule_title(rule))],
        });
        out.push(Inline::text(" ("));
        out.push(Inline::Code(rule.name.to_string()));
        out.push(Inline::text(")"));
    }
    out
}

fn rule_section(program: &Program, rule: &Rule) -> Block {
    let prose = rule_prose(program, rule);
    let mut content = vec![Block::Heading {
        level: 3,
        id: None,
        content: vec![Inline::text(rule_title(rule))],
    }];
    let mut facts = vec![
        (
            "Rule".to_string(),
            vec![Inline::Code(rule.name.to_string())],
        ),
        ("Citation".to_string(), cite_or_none(rule.cite.as_deref())),
        (
            "In force".to_string(),
            vec![Inline::text(dates_in_words(&rule.dates))],
        ),
    ];
    if rule.priority != 0 {
        facts.push((
            "Priority".to_string(),
            vec![Inline::text(rule.priority.to_string())],
        ));
    }
    facts.push(("Source".to_string(), source_line(program, rule.location)));
    content.push(Block::Facts(facts));
    if !rule.docs.is_empty() {
        content.push(Block::Quote(doc_blocks(&rule.docs)));
    }
    match &prose.when {
        Some(when) => content.extend(with_period(clause_blocks(
            vec![
                Inline::Strong(vec![Inline::text("Applies when")]),
                Inline::text(" "),
            ],
            when,
        ))),
        None => content.push(Block::Paragraph(vec![
            Inline::Strong(vec![Inline::text("Applies")]),
            Inline::text(" to every transaction while it is in force."),
        ])),
    }
    if let Some(unless) = &prose.unless {
        content.extend(with_period(clause_blocks(
            vec![
                Inline::Strong(vec![Inline::text("Unless")]),
                Inline::text(" "),
            ],
            unless,
        )));
    }
    let mut then = vec![
        Inline::Strong(vec![Inline::text("Then")]),
        Inline::text(" "),
    ];
    let count = prose.outcomes.len();
    for (index, outcome) in prose.outcomes.into_iter().enumerate() {
        if index > 0 {
            then.push(Inline::text(if index + 1 == count {
                " and "
            } else {
                ", "
            }));
        }
        then.extend(outcome);
    }
    then.push(Inline::text("."));
    content.push(Block::Paragraph(then));
    if let Some(because) = prose.because {
        let mut paragraph = vec![
            Inline::Strong(vec![Inline::text("Because")]),
            Inline::text(" “"),
        ];
        paragraph.extend(because);
        paragraph.push(Inline::text("”"));
        content.push(Block::Paragraph(paragraph));
    }
    if !rule.exception_to.is_empty() {
        let mut paragraph = vec![
            Inline::Strong(vec![Inline::text("Exception to")]),
            Inline::text(" "),
        ];
        paragraph.extend(rule_links(program, &rule.exception_to));
        paragraph.push(Inline::text(
            ": when this rule applies, the outcomes of the rules it overrides do not count.",
        ));
        content.push(Block::Paragraph(paragraph));
    }
    if !rule.overridden_by.is_empty() {
        let mut paragraph = vec![
            Inline::Strong(vec![Inline::text("Overridden by")]),
            Inline::text(" "),
        ];
        paragraph.extend(rule_links(program, &rule.overridden_by));
        paragraph.push(Inline::text(if rule.overridden_by.len() == 1 {
            ": when that exception applies, this rule's outcomes do not count."
        } else {
            ": when one of these exceptions applies, this rule's outcomes do not count."
        }));
        content.push(Block::Paragraph(paragraph));
    }
    Block::Section {
        id: Some(rule_anchor(rule)),
        class: "rule",
        content,
    }
}

/// A table cell: yes/no as the Country Chart writes it, lists separated by commas.
fn cell(program: &Program, value: &Value, ty: &Type) -> Cell {
    match (value, ty) {
        (Value::Missing, _) => vec![Inline::text("—")],
        (Value::Bool(true), _) => vec![Inline::text("X")],
        (Value::Bool(false), _) => vec![Inline::text("–")],
        (Value::List(values), _) if values.is_empty() => vec![Inline::text("—")],
        (Value::List(values), _) => {
            let element = ty.element().cloned().unwrap_or(Type::Error);
            let mut out = Vec::new();
            for (index, value) in values.iter().enumerate() {
                if index > 0 {
                    out.push(Inline::text(", "));
                }
                out.extend(cell(program, value, &element));
            }
            out
        }
        (Value::String(text), _) => vec![Inline::text(text.to_string())],
        (Value::Date(date), _) => vec![Inline::text(date.to_string())],
        _ => constant(program, value, ty),
    }
}

fn table_page_content(
    program: &Program,
    table: &crate::semantic::ir::Table,
    readers: &[RuleId],
) -> Page {
    let mut blocks = vec![Block::Heading {
        level: 1,
        id: None,
        content: vec![Inline::text(table_title(table))],
    }];
    let mut facts = vec![(
        "Table".to_string(),
        vec![Inline::Code(table.qualified_name.to_string())],
    )];
    if let Some(source) = &table.source {
        facts.push(("Source".to_string(), cite::link(source, CiteMode::Citation)));
    }
    if let Some(as_of) = table.as_of {
        facts.push((
            "As of".to_string(),
            vec![Inline::text(date_in_words(as_of))],
        ));
    }
    if let Some(load) = &table.load {
        let from = match &load.source {
            crate::semantic::ir::LoadSource::File(path) => {
                format!("loaded from the file {path} ({})", load.format.as_str())
            }
            crate::semantic::ir::LoadSource::Input(name) => format!(
                "supplied at run time with `vigil eval --data {name}=PATH` ({})",
                load.format.as_str()
            ),
        };
        facts.push(("Rows".to_string(), doc_inlines(&from)));
    } else {
        facts.push(("Rows".to_string(), vec![Inline::text(row_count(table))]));
    }
    if let Some(policy) = table.policy.and_then(|p| program.policies.get(p.index())) {
        facts.push((
            "Policy".to_string(),
            vec![Inline::link(
                Target::page(policy_page(policy)),
                policy_title(policy),
            )],
        ));
    }
    facts.push((
        "Declared in".to_string(),
        source_line(program, table.location),
    ));
    if !readers.is_empty() {
        facts.push((
            "Read by".to_string(),
            vec![Inline::link(
                Target::anchor(table_page(table), "read-by"),
                count_of_rules(readers.len()),
            )],
        ));
    }
    blocks.push(Block::Facts(facts));
    blocks.extend(doc_blocks(&table.docs));
    let dated = table
        .rows
        .iter()
        .any(|row| row.dates.effective.is_some() || row.dates.until.is_some());
    let mut head: Vec<Cell> = table
        .columns
        .iter()
        .map(|column| {
            let label = if column.ty == Type::Bool {
                bool_column_label(&column.name)
            } else {
                humanize(&column.name)
            };
            vec![Inline::text(label)]
        })
        .collect();
    if dated {
        head.push(vec![Inline::text("In force")]);
    }
    let rows: Vec<Vec<Cell>> = table
        .rows
        .iter()
        .map(|row| {
            let mut cells: Vec<Cell> = table
                .columns
                .iter()
                .zip(row.cells.iter())
                .map(|(column, value)| cell(program, value, &column.ty))
                .collect();
            if dated {
                let text = if row.dates.effective.is_none() && row.dates.until.is_none() {
                    "always".to_string()
                } else {
                    dates_in_words(&row.dates)
                };
                cells.push(vec![Inline::text(text)]);
            }
            cells
        })
        .collect();
    if rows.is_empty() {
        blocks.push(Block::Paragraph(vec![Inline::Emphasis(vec![
            Inline::text(
                "The document shows no rows: they are supplied when a transaction is evaluated.",
            ),
        ])]));
        blocks.push(Block::Table(Table {
            class: "data",
            head,
            rows: Vec::new(),
        }));
    } else {
        blocks.push(Block::Table(Table {
            class: "data",
            head,
            rows,
        }));
    }
    if !readers.is_empty() {
        blocks.push(Block::Heading {
            level: 2,
            id: Some("read-by".to_string()),
            content: vec![Inline::text("Rules that read this table")],
        });
        blocks.push(rule_list(program, readers));
    }
    let trail = match table.policy.and_then(|p| program.policies.get(p.index())) {
        Some(policy) => vec![(Target::page(policy_page(policy)), policy_title(policy))],
        None => vec![(Target::anchor(INDEX_PAGE, "tables"), "Tables".to_string())],
    };
    Page {
        key: table_page(table),
        title: table_title(table),
        trail,
        blocks,
    }
}

fn combine_words(mode: Option<CombineMode>) -> &'static str {
    match mode {
        Some(CombineMode::MostRestrictive) => {
            "the most restrictive value any applying rule sets (values are listed least restrictive first)"
        }
        Some(CombineMode::Union) => "every value any applying rule includes",
        Some(CombineMode::Any) => "true when any applying rule sets it true",
        Some(CombineMode::All) => "true when every applying rule sets it true",
        Some(CombineMode::Priority) => "the value of the applying rule with the highest priority",
        None => "the one value the applying rules set (rules may not disagree)",
    }
}

fn decisions(program: &Program) -> Page {
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            id: None,
            content: vec![Inline::text("Decisions")],
        },
        Block::Paragraph(vec![Inline::text(
            "Every decision record reports each of these decisions. Rules set them; when rules \
             disagree, the decision says how their outcomes combine.",
        )]),
    ];
    let mut setters: BTreeMap<usize, Vec<RuleId>> = BTreeMap::new();
    let mut readers: BTreeMap<usize, BTreeSet<RuleId>> = BTreeMap::new();
    for (index, rule) in program.rules.iter().enumerate() {
        let id = RuleId::from_index(index);
        for outcome in &rule.outcomes {
            let list = setters.entry(outcome.decision.index()).or_default();
            if !list.contains(&id) {
                list.push(id);
            }
        }
        let (_, read) = graph::rule_reads(program, id);
        for decision in read {
            readers.entry(decision.index()).or_default().insert(id);
        }
    }
    for (index, decision) in program.decisions.iter().enumerate() {
        let heading =
            vec![Inline::text(decision.title.as_deref().map_or_else(
                || capitalize(&humanize(&decision.name)),
                str::to_string,
            ))];
        let mut content = vec![Block::Heading {
            level: 2,
            id: None,
            content: heading,
        }];
        let mut facts = vec![(
            "Decision".to_string(),
            vec![Inline::Code(decision.name.to_string())],
        )];
        let values = match &decision.kind {
            DecisionKind::Ordered(id) => program.enumeration(*id).map(|e| {
                let mut out = Vec::new();
                for (i, value) in e.values.iter().enumerate() {
                    if i > 0 {
                        out.push(Inline::text(", "));
                    }
                    out.push(Inline::Emphasis(vec![Inline::text(humanize(&value.name))]));
                    if let Some(description) = &value.description {
                        out.push(Inline::text(format!(" ({description})")));
                    }
                }
                out
            }),
            DecisionKind::Bool => Some(vec![Inline::text("true or false")]),
            _ => Some(vec![Inline::text(program.type_name(&decision.value_type))]),
        };
        if let Some(values) = values {
            facts.push(("Values".to_string(), values));
        }
        facts.push((
            "Combined as".to_string(),
            vec![Inline::text(combine_words(decision.combine))],
        ));
        if let Some(default) = &decision.default {
            facts.push((
                "When no rule sets it".to_string(),
                constant(program, default, &decision.value_type),
            ));
        }
        if let Some(unknown) = &decision.unknown {
            facts.push((
                "When information is missing".to_string(),
                constant(program, unknown, &decision.value_type),
            ));
        }
        content.push(Block::Facts(facts));
        content.extend(doc_blocks(&decision.docs));
        if let Some(rules) = setters.get(&index) {
            content.push(Block::Paragraph(vec![Inline::Strong(vec![Inline::text(
                format!("Set by {}:", count_of_rules(rules.len())),
            )])]));
            content.push(rule_list(program, rules));
        }
        if let Some(rules) = readers.get(&index) {
            let rules: Vec<RuleId> = rules.iter().copied().collect();
            content.push(Block::Paragraph(vec![Inline::Strong(vec![Inline::text(
                format!("Read by {}:", count_of_rules(rules.len())),
            )])]));
            content.push(rule_list(program, &rules));
        }
        blocks.push(Block::Section {
            id: Some(decision_anchor(&decision.name)),
            class: "decision",
            content,
        });
    }
    Page {
        key: DECISIONS_PAGE.to_string(),
        title: "Decisions".to_string(),
        trail: Vec::new(),
        blocks,
    }
}

fn vocabulary(program: &Program) -> Page {
    let mut blocks = vec![
        Block::Heading {
            level: 1,
            id: None,
            content: vec![Inline::text("Vocabulary of the transaction")],
        },
        Block::Paragraph(vec![Inline::text(
            "The facts a transaction states, which the rules' conditions read, and the values \
             each kind of fact may take.",
        )]),
    ];
    let field_table = |record: &crate::semantic::ir::Record| -> Block {
        let rows = record
            .fields
            .iter()
            .map(|field| {
                let mut ty = program.type_name(&field.ty);
                if field.optional {
                    ty = format!("optional {ty}");
                }
                vec![
                    vec![Inline::text(humanize(&field.name))],
                    vec![Inline::Code(field.name.to_string())],
                    vec![Inline::text(ty)],
                    field.doc.as_deref().map_or_else(Vec::new, doc_inlines),
                ]
            })
            .collect();
        Block::Table(Table {
            class: "plain",
            head: ["Fact", "Field", "Type", "Meaning"]
                .iter()
                .map(|h| vec![Inline::text(*h)])
                .collect(),
            rows,
        })
    };
    for (index, record) in program.records.iter().enumerate() {
        let is_schema = program.schema.map(|s| s.index()) == Some(index);
        let mut content = vec![Block::Heading {
            level: 2,
            id: None,
            content: vec![Inline::text(if is_schema {
                "The transaction".to_string()
            } else {
                let noun = humanize(&record.name);
                format!("{} {noun}", capitalize(super::english::article(&noun)))
            })],
        }];
        content.extend(doc_blocks(&record.docs));
        content.push(field_table(record));
        blocks.push(Block::Section {
            id: Some(format!("record-{}", record.name)),
            class: "record",
            content,
        });
    }
    for enumeration in program
        .enums
        .iter()
        .filter(|e| e.origin == crate::semantic::ir::EnumOrigin::Declared)
    {
        let mut content = vec![Block::Heading {
            level: 2,
            id: None,
            content: vec![Inline::text(format!(
                "Values of {}",
                humanize(&enumeration.name)
            ))],
        }];
        content.extend(doc_blocks(&enumeration.docs));
        let rows = enumeration
            .values
            .iter()
            .map(|value| {
                vec![
                    vec![Inline::Emphasis(vec![Inline::text(humanize(&value.name))])],
                    vec![Inline::Code(value.name.to_string())],
                    value
                        .description
                        .as_deref()
                        .map_or_else(Vec::new, doc_inlines),
                ]
            })
            .collect();
        content.push(Block::Table(Table {
            class: "plain",
            head: ["Value", "Written", "Meaning"]
                .iter()
                .map(|h| vec![Inline::text(*h)])
                .collect(),
            rows,
        }));
        blocks.push(Block::Section {
            id: Some(format!("enum-{}", enumeration.name)),
            class: "enum",
            content,
        });
    }
    Page {
        key: VOCABULARY_PAGE.to_string(),
        title: "Vocabulary of the transaction".to_string(),
        trail: Vec::new(),
        blocks,
    }
}
