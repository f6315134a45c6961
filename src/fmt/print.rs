//! From the syntax tree and the comments to a layout: the canonical form of every declaration.
//!
//! Each block is cut into pieces (its header line, each clause, each row, its `end`); comments
//! are given to pieces by position ([`Units::distribute`]), and the pieces are printed in the
//! canonical clause order, each carrying its comments along.

use std::collections::VecDeque;

use super::comments::{Attached, Comment, Units};
use super::doc::{Break, Doc};
use crate::source::Span;
use crate::syntax::ast::{self, *};

/// Spaces per block level.
const INDENT: usize = 2;

/// Whether a piece stands among declarations (where blank lines after comments are kept) or
/// among clauses (where they are not).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Declaration,
    Clause,
}

/// One printed piece with the comments that go with it.
struct Entry {
    leading: Vec<Comment>,
    doc: Doc,
    trailing: Option<Comment>,
}

impl Entry {
    /// A piece laid out whole: comments inside it (and all but the last trailing one) cannot go
    /// in the middle of its line, so they move to their own lines before it.
    fn new(attached: Attached, doc: Doc) -> Entry {
        Entry::with_leftovers(
            attached.leading,
            attached
                .internal
                .into_iter()
                .chain(attached.trailing)
                .collect(),
            doc,
        )
    }

    /// A piece whose own layout placed what it could of its comments; `after` are the rest, in
    /// source order: the last trails the piece, the others go on lines before it.
    fn with_leftovers(mut leading: Vec<Comment>, mut after: Vec<Comment>, doc: Doc) -> Entry {
        let trailing = after.pop();
        leading.extend(after.into_iter().map(|c| Comment {
            blank_after: false,
            ..c
        }));
        Entry {
            leading,
            doc,
            trailing,
        }
    }

    fn render(self, level: Level) -> Doc {
        let mut parts = comment_lines(self.leading, level);
        parts.push(self.doc);
        if let Some(comment) = self.trailing {
            parts.push(suffix(&comment));
        }
        Doc::Concat(parts)
    }
}

/// Comments on lines of their own, each followed by a line break (and, among declarations, by
/// the empty line that followed it in the source).
fn comment_lines(comments: Vec<Comment>, level: Level) -> Vec<Doc> {
    let mut parts = Vec::new();
    for comment in comments {
        let blank = level == Level::Declaration && comment.blank_after;
        parts.push(Doc::Text(comment.text));
        parts.push(Doc::hard());
        if blank {
            parts.push(Doc::hard());
        }
    }
    parts
}

fn suffix(comment: &Comment) -> Doc {
    Doc::Suffix(format!("  {}", comment.text))
}

/// A block: its header, its body one level deeper, and `end`. Comments before `end` stay in
/// the body; among declarations (a policy's members) they keep the empty lines around them.
fn block(header: Entry, mut body: Vec<Doc>, mut end: Attached, level: Level) -> Doc {
    let closing = std::mem::take(&mut end.leading);
    if level == Level::Declaration && !closing.is_empty() && !body.is_empty() {
        body.push(Doc::Concat(Vec::new()));
    }
    let mut closing = comment_lines(closing, level);
    while matches!(closing.last(), Some(Doc::Break(Break::Hard))) {
        closing.pop();
    }
    if !closing.is_empty() {
        body.push(Doc::Concat(closing));
    }
    let mut inner = Vec::new();
    for piece in body {
        inner.push(Doc::hard());
        inner.push(piece);
    }
    let end = Entry::new(end, Doc::text("end"));
    Doc::Concat(vec![
        header.render(Level::Clause),
        Doc::nest(INDENT, Doc::Concat(inner)),
        Doc::hard(),
        end.render(Level::Clause),
    ])
}

/// The span of a declaration's header: from its keyword to its name or title.
fn header_span(decl: Span, ends: &[Option<Span>]) -> Span {
    let end = ends
        .iter()
        .flatten()
        .map(|s| s.end)
        .max()
        .unwrap_or(decl.start);
    Span {
        start: decl.start,
        end,
    }
}

/// The span of a block's closing `end`.
fn end_span(text: &str, decl: Span) -> Span {
    let end = decl.end as usize;
    let start = end.saturating_sub(3);
    if text.get(start..end) == Some("end") {
        Span::new(start, end)
    } else {
        Span::at(end)
    }
}

/// Lays out the declarations of one file.
pub struct Printer<'a> {
    text: &'a str,
}

impl<'a> Printer<'a> {
    pub fn new(text: &'a str) -> Self {
        Printer { text }
    }

    /// The whole file: declarations in source order, an empty line between them (imports stay
    /// together), comments at the end after an empty line.
    pub fn file(&self, file: &File, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let indices: Vec<usize> = file
            .items
            .iter()
            .map(|item| units.add(item_span(item)))
            .collect();
        let mut attached = units.distribute(self.text, comments);
        let mut parts = Vec::new();
        let mut previous_was_import = false;
        for (item, index) in file.items.iter().zip(indices) {
            let is_import = matches!(item, Item::Import(_));
            if !parts.is_empty() {
                parts.push(Doc::hard());
                if !(previous_was_import && is_import) {
                    parts.push(Doc::hard());
                }
            }
            previous_was_import = is_import;
            let mut comments = attached.take(index);
            // Blocks place the comments inside them; an import is one line, so the comments
            // inside it stay with `comments` and trail it.
            let inside = if is_import {
                Vec::new()
            } else {
                std::mem::take(&mut comments.internal)
            };
            let doc = self.item(item, inside);
            parts.push(Entry::new(comments, doc).render(Level::Declaration));
        }
        let rest = std::mem::take(&mut attached.after_last);
        if !rest.is_empty() {
            if !parts.is_empty() {
                parts.push(Doc::hard());
                parts.push(Doc::hard());
            }
            let mut lines = comment_lines(rest, Level::Declaration);
            // The file ends with one line break, added by the caller.
            while matches!(lines.last(), Some(Doc::Break(Break::Hard))) {
                lines.pop();
            }
            parts.extend(lines);
        }
        Doc::Concat(parts)
    }

    fn item(&self, item: &Item, comments: Vec<Comment>) -> Doc {
        match item {
            Item::Import(import) => Doc::text(format!("import {}", quote(&import.path.node))),
            Item::Policy(policy) => self.policy(policy, comments),
            Item::Schema(record) => self.record("schema", record, comments),
            Item::Record(record) => self.record("record", record, comments),
            Item::Enum(decl) => self.enum_decl(decl, comments),
            Item::Decision(decision) => self.decision(decision, comments),
            Item::Table(table) => self.table(table, comments),
            Item::Test(test) => self.test(test, comments),
        }
    }

    fn member(&self, member: &Member, comments: Vec<Comment>) -> Doc {
        match member {
            Member::Rule(rule) => self.rule(rule, comments),
            Member::Table(table) => self.table(table, comments),
            Member::Test(test) => self.test(test, comments),
            Member::Decision(decision) => self.decision(decision, comments),
            Member::Enum(decl) => self.enum_decl(decl, comments),
            Member::Record(record) => self.record("record", record, comments),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Declarations
    // -----------------------------------------------------------------------------------------

    /// `policy NAME "Title"`, its metadata (authority, cite, effective, until, documentation),
    /// an empty line, and its members separated by empty lines.
    fn policy(&self, policy: &Policy, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(
            policy.span,
            &[
                Some(policy.name.span),
                policy.title.as_ref().map(|t| t.span),
            ],
        ));
        let authority = units.add_optional(policy.authority.as_ref().map(|s| s.span));
        let cite = units.add_optional(policy.cite.as_ref().map(|s| s.span));
        let effective = units.add_optional(policy.effective.as_ref().map(|d| d.span));
        let until = units.add_optional(policy.until.as_ref().map(|d| d.span));
        let docs: Vec<usize> = policy.docs.iter().map(|d| units.add(d.span)).collect();
        let members: Vec<usize> = policy
            .members
            .iter()
            .map(|m| units.add(member_span(m)))
            .collect();
        let end = units.add(end_span(self.text, policy.span));
        let mut attached = units.distribute(self.text, comments);

        let mut title = format!("policy {}", policy.name.dotted());
        if let Some(t) = &policy.title {
            title = format!("{title} {}", quote(&t.node));
        }
        let header = Entry::new(attached.take(header), Doc::text(title));
        let mut body = Vec::new();
        if let (Some(index), Some(value)) = (authority, &policy.authority) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("authority {}", quote(&value.node))),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (cite, &policy.cite) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("cite {}", quote(&value.node))),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (effective, &policy.effective) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("effective {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (until, &policy.until) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("until {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        for (doc, index) in policy.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        // Members are separated from the metadata and from each other by an empty line: an
        // empty piece in the body list prints as one.
        for (member, index) in policy.members.iter().zip(members) {
            if !body.is_empty() {
                body.push(Doc::Concat(Vec::new()));
            }
            let mut comments = attached.take(index);
            let doc = self.member(member, std::mem::take(&mut comments.internal));
            body.push(Entry::new(comments, doc).render(Level::Declaration));
        }
        block(header, body, attached.take(end), Level::Declaration)
    }

    /// `rule NAME "Title"` and its clauses in the canonical order: cite, documentation,
    /// effective, until, exception to, priority, when, unless, then, because.
    fn rule(&self, rule: &RuleDecl, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(
            rule.span,
            &[Some(rule.name.span), rule.title.as_ref().map(|t| t.span)],
        ));
        let cite = units.add_optional(rule.cite.as_ref().map(|s| s.span));
        let docs: Vec<usize> = rule.docs.iter().map(|d| units.add(d.span)).collect();
        let effective = units.add_optional(rule.effective.as_ref().map(|d| d.span));
        let until = units.add_optional(rule.until.as_ref().map(|d| d.span));
        let exceptions: Vec<usize> = rule
            .exception_to
            .iter()
            .map(|n| units.add(n.span))
            .collect();
        let priority = units.add_optional(rule.priority.as_ref().map(|p| p.span));
        let when = units.add_optional(rule.when.as_ref().map(|e| e.span));
        let unless = units.add_optional(rule.unless.as_ref().map(|e| e.span));
        let outcomes: Vec<usize> = rule.then.iter().map(|o| units.add(o.span)).collect();
        let because = units.add_optional(rule.because.as_ref().map(|t| t.span));
        let end = units.add(end_span(self.text, rule.span));
        let mut attached = units.distribute(self.text, comments);

        let mut title = format!("rule {}", rule.name.node);
        if let Some(t) = &rule.title {
            title = format!("{title} {}", quote(&t.node));
        }
        let header = Entry::new(attached.take(header), Doc::text(title));
        let mut body = Vec::new();
        if let (Some(index), Some(value)) = (cite, &rule.cite) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("cite {}", quote(&value.node))),
                )
                .render(Level::Clause),
            );
        }
        for (doc, index) in rule.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        if let (Some(index), Some(value)) = (effective, &rule.effective) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("effective {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (until, &rule.until) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("until {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        if !rule.exception_to.is_empty() {
            // Several `exception to` clauses print as one; their comments go along.
            let mut merged = Attached::default();
            for index in exceptions {
                let one = attached.take(index);
                merged.leading.extend(one.leading);
                merged.internal.extend(one.internal);
                merged.trailing.extend(one.trailing);
            }
            let names: Vec<String> = rule
                .exception_to
                .iter()
                .map(QualifiedName::dotted)
                .collect();
            body.push(
                Entry::new(
                    merged,
                    Doc::text(format!("exception to {}", names.join(", "))),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (priority, &rule.priority) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("priority {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(condition)) = (when, &rule.when) {
            body.push(condition_clause("when", condition, attached.take(index)));
        }
        if let (Some(index), Some(condition)) = (unless, &rule.unless) {
            body.push(condition_clause("unless", condition, attached.take(index)));
        }
        if !rule.then.is_empty() {
            let mut lines = Vec::new();
            for (position, (outcome, index)) in rule.then.iter().zip(outcomes).enumerate() {
                let word = if position == 0 { "then" } else { "and" };
                let entry = Entry::new(
                    attached.take(index),
                    Doc::text(format!("{word} {}", outcome_text(outcome))),
                )
                .render(Level::Clause);
                if position == 0 {
                    lines.push(entry);
                } else {
                    lines.push(Doc::nest(INDENT, Doc::Concat(vec![Doc::hard(), entry])));
                }
            }
            body.push(Doc::Concat(lines));
        }
        if let (Some(index), Some(value)) = (because, &rule.because) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("because {}", template(value))),
                )
                .render(Level::Clause),
            );
        }
        block(header, body, attached.take(end), Level::Clause)
    }

    /// `decision NAME "Title"`, documentation, values, type, combine, default, unknown.
    fn decision(&self, decision: &DecisionDecl, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(
            decision.span,
            &[
                Some(decision.name.span),
                decision.title.as_ref().map(|t| t.span),
            ],
        ));
        let docs: Vec<usize> = decision.docs.iter().map(|d| units.add(d.span)).collect();
        let values = units.add_optional(join_spans(decision.values.iter().map(|v| v.span)));
        let ty = units.add_optional(decision.ty.as_ref().map(|t| t.span));
        let combine = units.add_optional(decision.combine.as_ref().map(|c| c.span));
        let default = units.add_optional(decision.default.as_ref().map(|e| e.span));
        let unknown = units.add_optional(decision.unknown.as_ref().map(|e| e.span));
        let end = units.add(end_span(self.text, decision.span));
        let mut attached = units.distribute(self.text, comments);

        let mut title = format!("decision {}", decision.name.node);
        if let Some(t) = &decision.title {
            title = format!("{title} {}", quote(&t.node));
        }
        let header = Entry::new(attached.take(header), Doc::text(title));
        let mut body = Vec::new();
        for (doc, index) in decision.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        if let Some(index) = values {
            let names: Vec<String> = decision.values.iter().map(|v| v.node.clone()).collect();
            body.push(
                Entry::new(attached.take(index), comma_fill("values", names)).render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (ty, &decision.ty) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("type {}", type_text(value))),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (combine, &decision.combine) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("combine by {}", value.node.as_str())),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (default, &decision.default) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("default {}", flat_expr(value))),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (unknown, &decision.unknown) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("unknown {}", flat_expr(value))),
                )
                .render(Level::Clause),
            );
        }
        block(header, body, attached.take(end), Level::Clause)
    }

    /// `table NAME "Title"`, documentation, source, as of, columns, load, then one row a line,
    /// the columns lined up.
    fn table(&self, table: &TableDecl, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(
            table.span,
            &[Some(table.name.span), table.title.as_ref().map(|t| t.span)],
        ));
        let docs: Vec<usize> = table.docs.iter().map(|d| units.add(d.span)).collect();
        let source = units.add_optional(table.source.as_ref().map(|s| s.span));
        let as_of = units.add_optional(table.as_of.as_ref().map(|d| d.span));
        let columns = units.add_optional(join_spans(table.columns.iter().map(|c| c.span)));
        let load = units.add_optional(table.load.as_ref().map(|l| l.span));
        let rows: Vec<usize> = table.rows.iter().map(|r| units.add(r.span)).collect();
        let end = units.add(end_span(self.text, table.span));
        let mut attached = units.distribute(self.text, comments);

        let mut title = format!("table {}", table.name.node);
        if let Some(t) = &table.title {
            title = format!("{title} {}", quote(&t.node));
        }
        let header = Entry::new(attached.take(header), Doc::text(title));
        let mut body = Vec::new();
        for (doc, index) in table.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        if let (Some(index), Some(value)) = (source, &table.source) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("source {}", quote(&value.node))),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(value)) = (as_of, &table.as_of) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("as of {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        if let Some(index) = columns {
            let columns: Vec<String> = table
                .columns
                .iter()
                .map(|c| format!("{}: {}", c.name.node, type_text(&c.ty)))
                .collect();
            body.push(
                Entry::new(attached.take(index), comma_fill("columns", columns))
                    .render(Level::Clause),
            );
        }
        if let (Some(index), Some(load)) = (load, &table.load) {
            let mut text = match &load.from {
                LoadSource::File(path) => format!("load from {}", quote(&path.node)),
                LoadSource::Input(name) => format!("load from input {}", quote(&name.node)),
            };
            if let Some(format) = &load.format {
                text = format!("{text} as {}", format.node);
            }
            body.push(Entry::new(attached.take(index), Doc::text(text)).render(Level::Clause));
        }
        let cells: Vec<Vec<String>> = table.rows.iter().map(row_cells).collect();
        let widths = column_widths(table, &cells);
        for ((row, row_cells), index) in table.rows.iter().zip(&cells).zip(rows) {
            let text = row_text(row, row_cells, &widths);
            body.push(Entry::new(attached.take(index), Doc::text(text)).render(Level::Clause));
        }
        block(header, body, attached.take(end), Level::Clause)
    }

    /// `test "NAME"`, documentation, as of, given, then the expectations in their order.
    fn test(&self, test: &TestDecl, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(test.span, &[Some(test.name.span)]));
        let docs: Vec<usize> = test.docs.iter().map(|d| units.add(d.span)).collect();
        let as_of = units.add_optional(test.as_of.as_ref().map(|d| d.span));
        let given = units.add_optional(test.given.as_ref().map(|g| match g {
            Given::Inline { span, .. } => *span,
            Given::File(path) => path.span,
        }));
        let expects: Vec<usize> = test
            .expects
            .iter()
            .map(|e| units.add(expect_span(e)))
            .collect();
        let end = units.add(end_span(self.text, test.span));
        let mut attached = units.distribute(self.text, comments);

        let header = Entry::new(
            attached.take(header),
            Doc::text(format!("test {}", quote(&test.name.node))),
        );
        let mut body = Vec::new();
        for (doc, index) in test.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        if let (Some(index), Some(value)) = (as_of, &test.as_of) {
            body.push(
                Entry::new(
                    attached.take(index),
                    Doc::text(format!("as of {}", value.node)),
                )
                .render(Level::Clause),
            );
        }
        if let (Some(index), Some(given)) = (given, &test.given) {
            let doc = match given {
                // The JSON is kept exactly as written, comments and layout included.
                Given::Inline { text, .. } => {
                    Doc::Concat(vec![Doc::text("given "), Doc::Verbatim(text.clone())])
                }
                Given::File(path) => Doc::text(format!("given file {}", quote(&path.node))),
            };
            body.push(Entry::new(attached.take(index), doc).render(Level::Clause));
        }
        for (expect, index) in test.expects.iter().zip(expects) {
            let text = match expect {
                Expect::Outcome(outcome) => format!("expect {}", outcome_text(outcome)),
                Expect::Rule {
                    name, fires: true, ..
                } => format!("expect rule {} fires", name.dotted()),
                Expect::Rule {
                    name, fires: false, ..
                } => format!("expect rule {} does not fire", name.dotted()),
                Expect::Rejected(_) => "expect rejected".to_string(),
            };
            body.push(Entry::new(attached.take(index), Doc::text(text)).render(Level::Clause));
        }
        block(header, body, attached.take(end), Level::Clause)
    }

    /// `schema NAME` or `record NAME`, documentation, one field a line.
    fn record(&self, keyword: &str, record: &RecordDecl, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(record.span, &[Some(record.name.span)]));
        let docs: Vec<usize> = record.docs.iter().map(|d| units.add(d.span)).collect();
        let fields: Vec<usize> = record.fields.iter().map(|f| units.add(f.span)).collect();
        let end = units.add(end_span(self.text, record.span));
        let mut attached = units.distribute(self.text, comments);

        let header = Entry::new(
            attached.take(header),
            Doc::text(format!("{keyword} {}", record.name.node)),
        );
        let mut body = Vec::new();
        for (doc, index) in record.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        for (field, index) in record.fields.iter().zip(fields) {
            let mut parts = vec![Doc::text(format!(
                "{}: {}",
                field.name.node,
                type_text(&field.ty)
            ))];
            if let Some(default) = &field.default {
                parts.push(Doc::text(format!(" default {}", flat_expr(default))));
            }
            match &field.doc {
                Some(ast::Doc {
                    text, block: true, ..
                }) => parts.extend([Doc::text(" "), Doc::Verbatim(format!("\"\"\"{text}\"\"\""))]),
                Some(ast::Doc {
                    text, block: false, ..
                }) => parts.push(Doc::text(format!(" {}", quote(text)))),
                None => {}
            }
            body.push(Entry::new(attached.take(index), Doc::Concat(parts)).render(Level::Clause));
        }
        block(header, body, attached.take(end), Level::Clause)
    }

    /// `enum NAME`, documentation, then the values: one a line when any has a description,
    /// otherwise as many a line as fit, separated by commas.
    fn enum_decl(&self, decl: &EnumDecl, comments: Vec<Comment>) -> Doc {
        let mut units = Units::default();
        let header = units.add(header_span(decl.span, &[Some(decl.name.span)]));
        let docs: Vec<usize> = decl.docs.iter().map(|d| units.add(d.span)).collect();
        let variants: Vec<usize> = decl.variants.iter().map(|v| units.add(v.span)).collect();
        let end = units.add(end_span(self.text, decl.span));
        let mut attached = units.distribute(self.text, comments);

        let header = Entry::new(
            attached.take(header),
            Doc::text(format!("enum {}", decl.name.node)),
        );
        let mut body = Vec::new();
        for (doc, index) in decl.docs.iter().zip(docs) {
            body.push(Entry::new(attached.take(index), doc_clause(doc)).render(Level::Clause));
        }
        let one_a_line = decl.variants.iter().any(|v| v.description.is_some());
        let count = decl.variants.len();
        // A fill of the values; a comment before a value starts a new line, a comment after
        // one ends its line.
        let mut first_leading = Vec::new();
        let mut fill: Vec<Doc> = Vec::new();
        let mut pending_trailing: Option<Comment> = None;
        for (position, (variant, index)) in decl.variants.iter().zip(variants).enumerate() {
            let mut text = variant.name.node.clone();
            if let Some(description) = &variant.description {
                text = format!("{text} {}", quote(&description.node));
            }
            let entry = Entry::new(attached.take(index), Doc::Text(text));
            if position == 0 {
                first_leading = comment_lines(entry.leading, Level::Clause);
            } else {
                let mut separator = Vec::new();
                if !one_a_line {
                    separator.push(Doc::text(","));
                }
                if let Some(comment) = pending_trailing.take() {
                    separator.push(suffix(&comment));
                    separator.push(Doc::hard());
                } else if one_a_line || !entry.leading.is_empty() {
                    separator.push(Doc::hard());
                } else {
                    separator.push(Doc::Break(Break::Space));
                }
                separator.extend(comment_lines(entry.leading, Level::Clause));
                fill.push(Doc::Concat(separator));
            }
            fill.push(entry.doc);
            pending_trailing = entry.trailing;
            if position + 1 == count {
                if let Some(comment) = pending_trailing.take() {
                    fill.push(Doc::Concat(Vec::new()));
                    fill.push(suffix(&comment));
                }
            }
        }
        if !fill.is_empty() {
            first_leading.push(Doc::Fill(fill));
            body.push(Doc::Concat(first_leading));
        }
        block(header, body, attached.take(end), Level::Clause)
    }
}

/// `when CONDITION` or `unless CONDITION`: the condition on one line if it fits, otherwise
/// broken before `and` and `or`, with comments inside it kept at the breaks.
fn condition_clause(keyword: &str, condition: &Expr, attached: Attached) -> Doc {
    let mut printer = ExprPrinter {
        comments: attached.internal.into_iter().collect(),
        breaks: Breaks::Allowed,
    };
    let doc = printer.expr(condition, 0, Tail::Nothing);
    let leftovers: Vec<Comment> = printer
        .comments
        .into_iter()
        .chain(attached.trailing)
        .collect();
    let doc = Doc::Concat(vec![
        Doc::text(format!("{keyword} ")),
        Doc::nest(INDENT, doc),
    ]);
    Entry::with_leftovers(attached.leading, leftovers, doc).render(Level::Clause)
}

/// `KEYWORD a, b, c`, continuing on further lines (indented) when too long.
fn comma_fill(keyword: &str, items: Vec<String>) -> Doc {
    let mut fill = Vec::new();
    for (position, item) in items.into_iter().enumerate() {
        if position > 0 {
            fill.push(Doc::Concat(vec![Doc::text(","), Doc::Break(Break::Space)]));
        }
        fill.push(Doc::Text(item));
    }
    Doc::Concat(vec![
        Doc::text(format!("{keyword} ")),
        Doc::nest(INDENT, Doc::Fill(fill)),
    ])
}

fn doc_clause(doc: &ast::Doc) -> Doc {
    if doc.block {
        Doc::Verbatim(format!("\"\"\"{}\"\"\"", doc.text))
    } else {
        Doc::text(format!("doc {}", quote(&doc.text)))
    }
}

fn item_span(item: &Item) -> Span {
    match item {
        Item::Import(import) => import.span,
        Item::Policy(policy) => policy.span,
        Item::Schema(record) | Item::Record(record) => record.span,
        Item::Enum(decl) => decl.span,
        Item::Decision(decision) => decision.span,
        Item::Table(table) => table.span,
        Item::Test(test) => test.span,
    }
}

fn member_span(member: &Member) -> Span {
    match member {
        Member::Rule(rule) => rule.span,
        Member::Table(table) => table.span,
        Member::Test(test) => test.span,
        Member::Decision(decision) => decision.span,
        Member::Enum(decl) => decl.span,
        Member::Record(record) => record.span,
    }
}

fn expect_span(expect: &Expect) -> Span {
    match expect {
        Expect::Outcome(outcome) => outcome.span,
        Expect::Rule { span, .. } => *span,
        Expect::Rejected(span) => *span,
    }
}

fn join_spans(spans: impl Iterator<Item = Span>) -> Option<Span> {
    spans.reduce(Span::join)
}

// ---------------------------------------------------------------------------------------------
// Leaves
// ---------------------------------------------------------------------------------------------

/// A string literal with every character that needs it escaped. Braces are escaped both ways
/// so a literal brace reads the same on either side.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    escape_into(&mut out, text);
    out.push('"');
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '{' => out.push_str("\\{"),
            '}' => out.push_str("\\}"),
            other => out.push(other),
        }
    }
}

/// A string that may quote values with `{path}`.
fn template(template: &Template) -> String {
    let mut out = String::from("\"");
    for part in &template.parts {
        match part {
            TemplatePart::Text(text) => escape_into(&mut out, text),
            TemplatePart::Value(name) => {
                out.push('{');
                out.push_str(&name.dotted());
                out.push('}');
            }
        }
    }
    out.push('"');
    out
}

fn literal(literal: &Literal) -> String {
    match literal {
        Literal::Bool(true) => "true".to_string(),
        Literal::Bool(false) => "false".to_string(),
        Literal::Integer(n) => n.to_string(),
        Literal::Decimal(text) => text.clone(),
        Literal::Str(t) => template(t),
        Literal::Date(date) => date.to_string(),
    }
}

fn type_text(ty: &TypeExpr) -> String {
    let inner = match &ty.kind {
        TypeKind::Named(name) => name.node.clone(),
        TypeKind::List {
            min: Some(min),
            element,
        } => format!("list of at least {} {}", min.node, type_text(element)),
        TypeKind::List { min: None, element } => format!("list of {}", type_text(element)),
        TypeKind::Set(element) => format!("set of {}", type_text(element)),
    };
    if ty.optional {
        format!("optional {inner}")
    } else {
        inner
    }
}

fn outcome_text(outcome: &Outcome) -> String {
    let op = match outcome.op {
        OutcomeOp::Is => "is",
        OutcomeOp::Includes => "includes",
    };
    format!(
        "{} {op} {}",
        outcome.decision.node,
        flat_expr(&outcome.value)
    )
}

/// The cells of a row as text.
fn row_cells(row: &Row) -> Vec<String> {
    row.cells
        .iter()
        .map(|cell| match cell {
            Cell::Value(value) => flat_expr(value),
            Cell::Dash(_) => "-".to_string(),
        })
        .collect()
}

/// Cells wider than this (comma included) do not widen their column: one long name would
/// otherwise push every row of the table far to the right. Such a cell just overflows.
const MAX_ALIGNED_CELL: usize = 40;

/// The width of each column of a table's rows, comma included, so that the columns line up: the
/// widest cell. A `bool` column (`X` and `-`) is at least as wide as its name, so that a comment
/// above the rows can name the columns over them, as the Country Chart does. A row's last cell
/// is never padded and so does not count.
fn column_widths(table: &TableDecl, rows: &[Vec<String>]) -> Vec<usize> {
    let mut widths: Vec<usize> = table
        .columns
        .iter()
        .map(|column| match &column.ty.kind {
            TypeKind::Named(name) if name.node == "bool" => column.name.node.chars().count(),
            _ => 0,
        })
        .collect();
    for cells in rows {
        for (position, cell) in cells.iter().enumerate().take(cells.len().saturating_sub(1)) {
            let width = cell.chars().count() + 1;
            if width > MAX_ALIGNED_CELL {
                continue;
            }
            match widths.get_mut(position) {
                Some(known) => *known = (*known).max(width),
                None => widths.push(width),
            }
        }
    }
    widths
}

/// `row CELL, CELL, ... [effective DATE] [until DATE]`, each cell but the last padded to its
/// column's width.
fn row_text(row: &Row, cells: &[String], widths: &[usize]) -> String {
    let mut text = String::from("row");
    for (position, cell) in cells.iter().enumerate() {
        text.push(' ');
        if position + 1 == cells.len() {
            text.push_str(cell);
        } else {
            let with_comma = format!("{cell},");
            let width = widths.get(position).copied().unwrap_or(0);
            text.push_str(&format!("{with_comma:<width$}"));
        }
    }
    if let Some(date) = &row.effective {
        text = format!("{text} effective {}", date.node);
    }
    if let Some(date) = &row.until {
        text = format!("{text} until {}", date.node);
    }
    text
}

/// A value on one line (outcomes, rows, defaults).
fn flat_expr(expr: &Expr) -> String {
    let mut printer = ExprPrinter {
        comments: VecDeque::new(),
        breaks: Breaks::Never,
    };
    super::doc::render(&printer.expr(expr, 0, Tail::Nothing))
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/// How tightly each form binds, loosest first, as in the grammar.
fn binding(expr: &Expr) -> u8 {
    match &expr.kind {
        ExprKind::Binary {
            op: BinaryOp::Or, ..
        } => 1,
        ExprKind::Binary {
            op: BinaryOp::And, ..
        } => 2,
        ExprKind::Not(_) => 3,
        ExprKind::Compare { .. } | ExprKind::Presence { .. } => 4,
        ExprKind::Binary {
            op: BinaryOp::Add | BinaryOp::Sub,
            ..
        } => 5,
        ExprKind::Binary {
            op: BinaryOp::Mul | BinaryOp::Div,
            ..
        } => 6,
        _ => 7,
    }
}

/// Whether more of the condition follows an expression. A quantifier's condition extends as far
/// right as it can, so a quantifier followed by anything must be parenthesized.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tail {
    Nothing,
    More,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Breaks {
    Allowed,
    Never,
}

/// Lays out one condition, placing the comments found inside it at its line breaks.
struct ExprPrinter {
    /// Comments inside the condition not yet placed, in source order.
    comments: VecDeque<Comment>,
    breaks: Breaks,
}

impl ExprPrinter {
    /// A place where the line may break, before the token at `position`. Comments before that
    /// token are printed here, which forces the break.
    fn line_break(&mut self, position: u32) -> Doc {
        let mut here = Vec::new();
        while self.comments.front().is_some_and(|c| c.offset < position) {
            if let Some(comment) = self.comments.pop_front() {
                here.push(comment);
            }
        }
        if here.is_empty() {
            return match self.breaks {
                Breaks::Allowed => Doc::Break(Break::Space),
                Breaks::Never => Doc::text(" "),
            };
        }
        let mut parts = Vec::new();
        for (position, comment) in here.into_iter().enumerate() {
            if position == 0 && !comment.own_line {
                parts.push(suffix(&comment));
            } else {
                parts.push(Doc::hard());
                parts.push(Doc::Text(comment.text));
            }
        }
        parts.push(Doc::hard());
        Doc::Concat(parts)
    }

    /// `expr`, parenthesized when it binds more loosely than `min` or is a quantifier that
    /// something follows.
    fn expr(&mut self, expr: &Expr, min: u8, tail: Tail) -> Doc {
        let quantifier_followed =
            matches!(expr.kind, ExprKind::Quantifier { .. }) && tail == Tail::More;
        if binding(expr) < min || quantifier_followed {
            let inner = self.bare(expr, Tail::Nothing);
            return Doc::Concat(vec![
                Doc::text("("),
                Doc::nest(INDENT, inner),
                Doc::text(")"),
            ]);
        }
        self.bare(expr, tail)
    }

    fn bare(&mut self, expr: &Expr, tail: Tail) -> Doc {
        match &expr.kind {
            ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                ..
            } => self.chain(expr, *op, tail),
            ExprKind::Binary { op, lhs, rhs } => {
                let (symbol, left, right) = match op {
                    BinaryOp::Add => ("+", 5, 6),
                    BinaryOp::Sub => ("-", 5, 6),
                    BinaryOp::Mul => ("*", 6, 7),
                    _ => ("/", 6, 7),
                };
                let lhs = self.expr(lhs, left, Tail::More);
                let rhs = self.expr(rhs, right, tail);
                Doc::Concat(vec![lhs, Doc::text(format!(" {symbol} ")), rhs])
            }
            ExprKind::Not(inner) => Doc::Concat(vec![Doc::text("not "), self.expr(inner, 3, tail)]),
            ExprKind::Compare { op, lhs, rhs } => {
                let lhs = self.expr(lhs, 5, Tail::More);
                let rhs = self.expr(rhs, 5, tail);
                Doc::Concat(vec![lhs, Doc::text(format!(" {} ", op.as_str())), rhs])
            }
            ExprKind::Presence { expr, test } => {
                let words = match test {
                    PresenceTest::Missing => " is missing",
                    PresenceTest::NotMissing => " is not missing",
                    PresenceTest::Empty => " is empty",
                    PresenceTest::NotEmpty => " is not empty",
                };
                Doc::Concat(vec![self.expr(expr, 5, Tail::More), Doc::text(words)])
            }
            ExprKind::Quantifier {
                kind,
                var,
                collection,
                body,
            } => {
                let word = match kind {
                    QuantifierKind::Any => "any",
                    QuantifierKind::Every => "every",
                    QuantifierKind::No => "no",
                };
                let head = Doc::text(format!(
                    "{word} {} in {} where ",
                    var.node,
                    collection.dotted()
                ));
                Doc::Concat(vec![head, Doc::nest(INDENT, self.expr(body, 0, tail))])
            }
            ExprKind::Call { function, args } => {
                let mut parts = vec![Doc::text(format!("{}(", function.node))];
                for (position, arg) in args.iter().enumerate() {
                    if position > 0 {
                        parts.push(Doc::text(", "));
                    }
                    parts.push(self.expr(arg, 0, Tail::Nothing));
                }
                parts.push(Doc::text(")"));
                Doc::Concat(parts)
            }
            ExprKind::List(elements) => {
                let mut fill = Vec::new();
                for (position, element) in elements.iter().enumerate() {
                    if position > 0 {
                        let line_break = self.line_break(element.span.start);
                        fill.push(Doc::Concat(vec![Doc::text(","), line_break]));
                    }
                    fill.push(self.expr(element, 0, Tail::Nothing));
                }
                Doc::Concat(vec![
                    Doc::text("["),
                    Doc::nest(INDENT, Doc::Fill(fill)),
                    Doc::text("]"),
                ])
            }
            ExprKind::Literal(value) => Doc::Text(literal(value)),
            ExprKind::Name(name) => Doc::Text(name.dotted()),
        }
    }

    /// `a and b and c` (or `or`): one group, broken before every operator when too long.
    fn chain(&mut self, expr: &Expr, op: BinaryOp, tail: Tail) -> Doc {
        // The parser joins the operands of one chain into a balanced tree, so the tree does not
        // say how the source grouped them. Print the longest chain that gives this tree back:
        // usually every operand; when the source used parentheses, fewer, the others grouped in
        // parentheses. Only short chains are tried besides the full one, to bound the work.
        let leaves = chain_operands(expr, op);
        let longest = leaves.len().saturating_sub(1).min(MAX_REGROUPED_CHAIN);
        let operands = std::iter::once(leaves.len())
            .chain((2..=longest).rev())
            .find_map(|count| {
                let mut operands = Vec::with_capacity(count);
                cover_balanced(expr, op, count, &mut operands).then_some(operands)
            })
            .unwrap_or_else(|| vec![expr]);
        // Operands bind tighter than the chain; an `and` inside an `or` is parenthesized too,
        // which the grammar does not need but a reader does.
        let word = if op == BinaryOp::Or { "or" } else { "and" };
        let min = 3;
        let count = operands.len();
        let mut parts = Vec::new();
        for (position, operand) in operands.into_iter().enumerate() {
            if position > 0 {
                parts.push(self.line_break(operand.span.start));
                parts.push(Doc::text(format!("{word} ")));
            }
            let operand_tail = if position + 1 == count {
                tail
            } else {
                Tail::More
            };
            parts.push(self.expr(operand, min, operand_tail));
        }
        Doc::group(Doc::Concat(parts))
    }
}

/// The operands of a chain of one operator, left to right, however the tree nests them.
fn chain_operands(expr: &Expr, op: BinaryOp) -> Vec<&Expr> {
    let mut operands = Vec::new();
    // An explicit stack: chains can be long, and this needs no recursion.
    let mut pending = vec![expr];
    while let Some(current) = pending.pop() {
        match &current.kind {
            ExprKind::Binary {
                op: inner,
                lhs,
                rhs,
            } if *inner == op => {
                pending.push(rhs);
                pending.push(lhs);
            }
            _ => operands.push(current),
        }
    }
    operands
}

/// The longest chain tried when a chain's operands were grouped with parentheses.
const MAX_REGROUPED_CHAIN: usize = 64;

/// Whether `expr` is the tree the parser builds for a chain of `count` operands joined by `op`
/// (the first half, rounded up, on the left, the rest on the right, each half the same way); if
/// so, `operands` receives those operands in order.
fn cover_balanced<'e>(
    expr: &'e Expr,
    op: BinaryOp,
    count: usize,
    operands: &mut Vec<&'e Expr>,
) -> bool {
    if count == 1 {
        operands.push(expr);
        return true;
    }
    match &expr.kind {
        ExprKind::Binary {
            op: inner,
            lhs,
            rhs,
        } if *inner == op && count >= 2 => {
            cover_balanced(lhs, op, count.div_ceil(2), operands)
                && cover_balanced(rhs, op, count / 2, operands)
        }
        _ => false,
    }
}
