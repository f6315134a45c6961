//! Comments: the syntax tree has none, so the formatter finds them in the source text and gives
//! each to the piece of the layout it belongs to.
//!
//! A comment alone on its line belongs to what follows it; a comment after code on its line
//! trails that code. Inside a piece that the formatter lays out (a clause, a declaration), a
//! comment is *internal* and the piece decides where it goes.

use crate::source::Span;
use crate::syntax::ast::*;

/// One comment, from `#` to the end of its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// Offset of the `#`.
    pub offset: u32,
    /// The text from `#` on, without trailing spaces or carriage return.
    pub text: String,
    /// Whether only spaces stand before it on its line.
    pub own_line: bool,
    /// Whether an empty line follows it.
    pub blank_after: bool,
}

/// Finds every comment in `text`. `opaque` are the spans of strings, documentation text and
/// inline JSON, where `#` is text and not a comment.
pub fn find(text: &str, opaque: &[Span]) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut opaque = opaque.to_vec();
    opaque.sort();
    let mut next_opaque = 0usize;
    let mut comments = Vec::new();
    let mut i = 0usize;
    while i < bytes.len() {
        while opaque
            .get(next_opaque)
            .is_some_and(|s| (s.end as usize) <= i)
        {
            next_opaque += 1;
        }
        if let Some(span) = opaque.get(next_opaque) {
            if (span.start as usize) <= i {
                i = span.end as usize;
                continue;
            }
        }
        if bytes.get(i) != Some(&b'#') {
            i += 1;
            continue;
        }
        let end = line_end(bytes, i);
        let line_start = text
            .get(..i)
            .and_then(|before| before.rfind('\n'))
            .map_or(0, |n| n + 1);
        let own_line = text
            .get(line_start..i)
            .is_some_and(|before| before.trim().is_empty());
        let following_end = line_end(bytes, end + 1);
        let blank_after = end < bytes.len()
            && following_end < bytes.len()
            && text
                .get(end + 1..following_end)
                .is_some_and(|line| line.trim().is_empty());
        let body = text.get(i..end).unwrap_or("").trim_end();
        comments.push(Comment {
            offset: u32::try_from(i).unwrap_or(u32::MAX),
            text: body.to_string(),
            own_line,
            blank_after,
        });
        i = end;
    }
    comments
}

/// The offset of the line break that ends the line holding `from` (or the end of the text).
fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
        .map_or(bytes.len(), |p| from + p)
}

/// The comments that belong to one piece of the layout.
#[derive(Clone, Debug, Default)]
pub struct Attached {
    /// Comments on their own lines before the piece.
    pub leading: Vec<Comment>,
    /// Comments inside the piece's text.
    pub internal: Vec<Comment>,
    /// Comments after the piece's last token, on the same line.
    pub trailing: Vec<Comment>,
}

/// The pieces of one block (a declaration, a clause list) and where each stands in the source.
#[derive(Default)]
pub struct Units {
    spans: Vec<Span>,
}

/// The comments of each piece, by the index [`Units::add`] returned.
pub struct AttachedList {
    attached: Vec<Attached>,
    /// Comments after the last piece that trail nothing (only at the end of a file).
    pub after_last: Vec<Comment>,
}

impl Units {
    /// Registers a piece whose tokens lie in `span`; returns its index.
    pub fn add(&mut self, span: Span) -> usize {
        self.spans.push(span);
        self.spans.len() - 1
    }

    /// Registers a piece if it is there.
    pub fn add_optional(&mut self, span: Option<Span>) -> Option<usize> {
        span.map(|span| self.add(span))
    }

    /// Gives each comment to a piece: inside a piece's span it is internal to it; after code on
    /// the line where a piece ends it trails that piece; otherwise it leads the next piece.
    pub fn distribute(&self, text: &str, comments: Vec<Comment>) -> AttachedList {
        let spans: Vec<Span> = self
            .spans
            .iter()
            .map(|&span| trim_trivia(text, span, &comments))
            .collect();
        let mut order: Vec<usize> = (0..spans.len()).collect();
        order.sort_by_key(|&i| spans.get(i).map(|s| (s.start, s.end)));
        let sorted: Vec<Span> = order
            .iter()
            .filter_map(|&i| spans.get(i).copied())
            .collect();
        let mut list = AttachedList {
            attached: vec![Attached::default(); self.spans.len()],
            after_last: Vec::new(),
        };
        for comment in comments {
            let position = comment.offset;
            // The last piece starting at or before the comment.
            let before = sorted.partition_point(|s| s.start <= position);
            let containing = before
                .checked_sub(1)
                .filter(|&k| sorted.get(k).is_some_and(|s| position < s.end));
            let previous = before.checked_sub(1);
            let target = if let Some(k) = containing {
                order.get(k).map(|&i| (i, Slot::Internal))
            } else if let Some(k) = previous.filter(|&k| {
                !comment.own_line
                    && sorted
                        .get(k)
                        .is_some_and(|s| same_line(text, s.end, position))
            }) {
                order.get(k).map(|&i| (i, Slot::Trailing))
            } else {
                order.get(before).map(|&i| (i, Slot::Leading))
            };
            match target.and_then(|(i, slot)| list.attached.get_mut(i).map(|a| (a, slot))) {
                Some((attached, Slot::Leading)) => attached.leading.push(comment),
                Some((attached, Slot::Internal)) => attached.internal.push(comment),
                Some((attached, Slot::Trailing)) => attached.trailing.push(comment),
                None => list.after_last.push(comment),
            }
        }
        list
    }
}

#[derive(Clone, Copy)]
enum Slot {
    Leading,
    Internal,
    Trailing,
}

impl AttachedList {
    /// The comments of the piece at `index`, taken out of the list.
    pub fn take(&mut self, index: usize) -> Attached {
        self.attached
            .get_mut(index)
            .map(std::mem::take)
            .unwrap_or_default()
    }
}

/// `span` without the spaces and comments at its end. The parser's spans of rules that end with
/// an optional part (a comparison, a row, a field) run on over the trivia that follows them; a
/// comment there comes after the piece, not inside it.
fn trim_trivia(text: &str, span: Span, comments: &[Comment]) -> Span {
    let mut end = span.end as usize;
    loop {
        let trimmed = text
            .get(span.start as usize..end)
            .map_or(0, |piece| piece.trim_end().len());
        end = span.start as usize + trimmed;
        // A comment ending exactly here is trivia: step back over it too. Comments are in
        // source order, so the only candidate is the last one starting before `end`.
        let before = comments.partition_point(|c| (c.offset as usize) < end);
        let candidate = before.checked_sub(1).and_then(|k| comments.get(k));
        match candidate
            .filter(|c| c.offset >= span.start && c.offset as usize + c.text.len() == end)
        {
            Some(comment) => end = comment.offset as usize,
            None => break,
        }
    }
    Span::new(span.start as usize, end)
}

fn same_line(text: &str, a: u32, b: u32) -> bool {
    let (low, high) = (a.min(b) as usize, a.max(b) as usize);
    text.get(low..high)
        .is_some_and(|between| !between.contains('\n'))
}

/// The spans in `file` where `#` is text rather than a comment: strings, documentation text and
/// inline JSON.
pub fn opaque_spans(file: &File, text: &str) -> Vec<Span> {
    let mut walker = Opaque {
        text,
        spans: Vec::new(),
    };
    for item in &file.items {
        walker.item(item);
    }
    walker.spans
}

struct Opaque<'a> {
    text: &'a str,
    spans: Vec<Span>,
}

impl Opaque<'_> {
    fn item(&mut self, item: &Item) {
        match item {
            Item::Import(import) => self.spans.push(import.path.span),
            Item::Policy(policy) => {
                self.strs([&policy.title, &policy.authority, &policy.cite]);
                self.docs(&policy.docs);
                for member in &policy.members {
                    match member {
                        Member::Rule(rule) => self.rule(rule),
                        Member::Table(table) => self.table(table),
                        Member::Test(test) => self.test(test),
                        Member::Decision(decision) => self.decision(decision),
                        Member::Enum(decl) => self.enum_decl(decl),
                        Member::Record(record) => self.record(record),
                    }
                }
            }
            Item::Schema(record) | Item::Record(record) => self.record(record),
            Item::Enum(decl) => self.enum_decl(decl),
            Item::Decision(decision) => self.decision(decision),
            Item::Table(table) => self.table(table),
            Item::Test(test) => self.test(test),
        }
    }

    fn strs<const N: usize>(&mut self, strings: [&Option<Str>; N]) {
        self.spans
            .extend(strings.iter().filter_map(|s| s.as_ref().map(|s| s.span)));
    }

    fn docs(&mut self, docs: &[Doc]) {
        for doc in docs {
            self.doc(doc);
        }
    }

    fn doc(&mut self, doc: &Doc) {
        self.spans.push(doc_string_span(self.text, doc.span));
    }

    fn rule(&mut self, rule: &RuleDecl) {
        self.strs([&rule.title, &rule.cite]);
        self.docs(&rule.docs);
        for condition in [&rule.when, &rule.unless].into_iter().flatten() {
            self.expr(condition);
        }
        for outcome in &rule.then {
            self.expr(&outcome.value);
        }
        if let Some(because) = &rule.because {
            self.spans.push(because.span);
        }
    }

    fn table(&mut self, table: &TableDecl) {
        self.strs([&table.title, &table.source]);
        self.docs(&table.docs);
        if let Some(load) = &table.load {
            match &load.from {
                LoadSource::File(path) | LoadSource::Input(path) => self.spans.push(path.span),
            }
        }
        for row in &table.rows {
            for cell in &row.cells {
                if let Cell::Value(value) = cell {
                    self.expr(value);
                }
            }
        }
    }

    fn test(&mut self, test: &TestDecl) {
        self.spans.push(test.name.span);
        self.docs(&test.docs);
        match &test.given {
            Some(Given::Inline { span, .. }) => self.spans.push(*span),
            Some(Given::File(path)) => self.spans.push(path.span),
            None => {}
        }
        for expect in &test.expects {
            if let Expect::Outcome(outcome) = expect {
                self.expr(&outcome.value);
            }
        }
    }

    fn decision(&mut self, decision: &DecisionDecl) {
        self.strs([&decision.title]);
        self.docs(&decision.docs);
        for value in [&decision.default, &decision.unknown].into_iter().flatten() {
            self.expr(value);
        }
    }

    fn enum_decl(&mut self, decl: &EnumDecl) {
        self.docs(&decl.docs);
        for variant in &decl.variants {
            self.strs([&variant.description]);
        }
    }

    fn record(&mut self, record: &RecordDecl) {
        self.docs(&record.docs);
        for field in &record.fields {
            if let Some(doc) = &field.doc {
                self.doc(doc);
            }
        }
    }

    fn expr(&mut self, expr: &Expr) {
        match &expr.kind {
            ExprKind::Literal(Literal::Str(template)) => self.spans.push(template.span),
            ExprKind::Literal(_) | ExprKind::Name(_) => {}
            ExprKind::List(elements) | ExprKind::Call { args: elements, .. } => {
                for element in elements {
                    self.expr(element);
                }
            }
            ExprKind::Not(inner)
            | ExprKind::Presence { expr: inner, .. }
            | ExprKind::Quantifier { body: inner, .. } => self.expr(inner),
            ExprKind::Binary { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
            }
        }
    }
}

/// The span of a documentation clause's string: the clause's span without a leading `doc`
/// keyword and the spaces and comments after it (a comment there is a real comment).
pub fn doc_string_span(text: &str, span: Span) -> Span {
    let start = span.start as usize;
    let clause = text.get(start..span.end as usize).unwrap_or("");
    if !clause.starts_with("doc") {
        return span;
    }
    let bytes = clause.as_bytes();
    let mut i = 3usize;
    while let Some(&b) = bytes.get(i) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'#' => i = line_end(bytes, i),
            _ => break,
        }
    }
    Span::new(start + i, span.end as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_comments_outside_opaque_spans() {
        let text = "a \"# not\" # yes\n  # own\n\nb";
        let comments = find(text, &[Span::new(2, 9)]);
        let texts: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["# yes", "# own"]);
        assert!(!comments[0].own_line && comments[1].own_line);
        assert!(!comments[0].blank_after && comments[1].blank_after);
    }

    #[test]
    fn distributes_leading_trailing_and_internal_comments() {
        // Units: `aa` (0..2) and `bb` (10..12).
        let text = "aa # t\n# l\nbb # u";
        let mut units = Units::default();
        let first = units.add(Span::new(0, 2));
        let second = units.add(Span::new(11, 13));
        let comments = find(text, &[]);
        let mut list = units.distribute(text, comments);
        assert_eq!(list.take(first).trailing.len(), 1);
        let b = list.take(second);
        assert_eq!((b.leading.len(), b.trailing.len()), (1, 1));
    }
}
