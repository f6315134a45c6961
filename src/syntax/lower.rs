//! Lowering: pest's parse tree of one declaration becomes owned AST nodes with byte spans.
//!
//! The grammar guarantees the shape of each pair, so a missing child here is a bug in Vigil,
//! reported as an internal error (`E0000`) rather than a panic. Lowering also checks what the
//! grammar cannot: dates that do not exist, numbers out of range, clauses given twice and values
//! quoted where quoting has no meaning.

use std::collections::HashMap;

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::parser::Rule;
use crate::date::Date;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span, Spanned};

pub(crate) struct Lower<'a> {
    file: &'a SourceFile,
    /// Offset of the current declaration in the file: pest sees only the declaration's text.
    pub offset: usize,
    pub diagnostics: Vec<Diagnostic>,
    /// How deep the expression being built will be, counted generously (see [`MAX_EXPR_DEPTH`]).
    depth: usize,
    /// Whether the current declaration was already reported as nested too deeply.
    reported_too_deep: bool,
}

/// The deepest expression tree lowering builds. The scan bounds how deeply the *text* nests
/// (brackets, quantifiers), but a flat chain such as `not not not ...` or `a + b + c + ...`
/// becomes a tree as deep as the chain is long, and every later stage (and dropping the tree)
/// walks expressions recursively. The count includes a level for every grammar rule on the way
/// down, so real conditions stay far below it.
const MAX_EXPR_DEPTH: usize = 1_000;

type P<'i> = Pair<'i, Rule>;

/// Remembers which single-valued clauses a declaration has given, to report repeats.
struct Seen(HashMap<&'static str, Span>);

impl<'a> Lower<'a> {
    pub fn new(file: &'a SourceFile) -> Self {
        Lower {
            file,
            offset: 0,
            diagnostics: Vec::new(),
            depth: 0,
            reported_too_deep: false,
        }
    }

    /// The span of a pair in the file, from its first token to the end of its last one.
    fn span(&self, pair: &P<'_>) -> Span {
        Span::new(
            pair.as_span().start() + self.offset,
            token_end(pair) + self.offset,
        )
    }

    /// The span of a clause's opening keyword (both words of `as of`, `combine by`, `load from`),
    /// which is where a diagnostic about the whole clause points.
    fn head_span(&self, clause: &P<'_>) -> Span {
        let mut children = clause.clone().into_inner();
        let Some(first) = children.next() else {
            return self.span(clause);
        };
        let head = self.span(&first);
        match (first.as_rule(), children.next()) {
            (Rule::kw_as | Rule::kw_combine | Rule::kw_load | Rule::kw_exception, Some(second)) => {
                head.join(self.span(&second))
            }
            _ => head,
        }
    }

    fn internal(&mut self, span: Span, what: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                Code::E0000,
                format!("internal error: unexpected parse tree ({what})"),
            )
            .with_label(self.file, span, "while reading this")
            .with_help("this is a bug in Vigil; please report it with this file"),
        );
    }

    /// The next child of a pair, or an internal error.
    fn next<'i>(&mut self, inner: &mut Pairs<'i, Rule>, parent: Span, what: &str) -> Option<P<'i>> {
        let next = inner.next();
        if next.is_none() {
            self.internal(parent, what);
        }
        next
    }

    /// The next child of a pair, read as a name.
    fn next_ident(
        &mut self,
        inner: &mut Pairs<'_, Rule>,
        parent: Span,
        what: &str,
    ) -> Option<Ident> {
        let child = self.next(inner, parent, what)?;
        Some(self.ident(child))
    }

    /// The opening of a declaration `KEYWORD NAME ...`: its span, the rest of its children and
    /// its name.
    fn declaration_head<'i>(
        &mut self,
        pair: P<'i>,
        kind: &str,
    ) -> Option<(Span, Pairs<'i, Rule>, Ident)> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        self.next(&mut inner, span, &format!("{kind} keyword"))?;
        let name = self.next_ident(&mut inner, span, &format!("{kind} name"))?;
        Some((span, inner, name))
    }

    // -----------------------------------------------------------------------------------------
    // Declarations
    // -----------------------------------------------------------------------------------------

    pub fn top_item(&mut self, pair: P<'_>) -> Option<Item> {
        self.reported_too_deep = false;
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "top item")?;
        Some(match inner.as_rule() {
            Rule::import_decl => {
                let span = self.span(&inner);
                let string = inner.into_inner().find(|p| p.as_rule() == Rule::string)?;
                Item::Import(Import {
                    path: self.plain_string(string, "an import path"),
                    span,
                })
            }
            Rule::schema_decl => Item::Schema(self.record(inner)?),
            Rule::record_decl => Item::Record(self.record(inner)?),
            Rule::enum_decl => Item::Enum(self.enum_decl(inner)?),
            Rule::decision_decl => Item::Decision(self.decision(inner)?),
            Rule::table_decl => Item::Table(self.table(inner)?),
            Rule::test_decl => Item::Test(self.test(inner)?),
            _ => {
                self.internal(span, "top item kind");
                return None;
            }
        })
    }

    pub fn member(&mut self, pair: P<'_>) -> Option<Member> {
        self.reported_too_deep = false;
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "member")?;
        Some(match inner.as_rule() {
            Rule::rule_decl => Member::Rule(self.rule(inner)?),
            Rule::table_decl => Member::Table(self.table(inner)?),
            Rule::test_decl => Member::Test(self.test(inner)?),
            Rule::decision_decl => Member::Decision(self.decision(inner)?),
            Rule::enum_decl => Member::Enum(self.enum_decl(inner)?),
            Rule::record_decl => Member::Record(self.record(inner)?),
            _ => {
                self.internal(span, "member kind");
                return None;
            }
        })
    }

    pub fn policy_head(&mut self, pair: P<'_>) -> Option<Policy> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let _keyword = self.next(&mut inner, span, "policy keyword")?;
        let name = {
            let child = self.next(&mut inner, span, "policy name")?;
            self.qualified_name(child)
        };
        let mut policy = Policy {
            name,
            title: None,
            authority: None,
            cite: None,
            effective: None,
            until: None,
            docs: Vec::new(),
            members: Vec::new(),
            span,
        };
        let mut seen = Seen(HashMap::new());
        for clause in inner {
            match clause.as_rule() {
                Rule::string => {
                    let title = self.plain_string(clause, "a title");
                    seen.check(self, "title", title.span, "policy");
                    policy.title = Some(title);
                }
                Rule::policy_clause => {
                    let Some(clause) = clause.into_inner().next() else {
                        continue;
                    };
                    let clause_span = self.span(&clause);
                    let clause_head = self.head_span(&clause);
                    match clause.as_rule() {
                        Rule::title_clause => {
                            seen.check(self, "title", clause_head, "policy");
                            policy.title = self.string_child(clause, "a title");
                        }
                        Rule::authority_clause => {
                            seen.check(self, "authority", clause_head, "policy");
                            policy.authority = self.string_child(clause, "an authority");
                        }
                        Rule::cite_clause => {
                            seen.check(self, "cite", clause_head, "policy");
                            policy.cite = self.string_child(clause, "a citation");
                        }
                        Rule::effective_clause => {
                            seen.check(self, "effective", clause_head, "policy");
                            policy.effective = self.date_child(clause);
                        }
                        Rule::until_clause => {
                            seen.check(self, "until", clause_head, "policy");
                            policy.until = self.date_child(clause);
                        }
                        Rule::doc_clause => policy.docs.extend(self.doc(clause)),
                        _ => self.internal(clause_span, "policy clause"),
                    }
                }
                _ => self.internal(self.span(&clause), "policy head"),
            }
        }
        Some(policy)
    }

    fn rule(&mut self, pair: P<'_>) -> Option<RuleDecl> {
        let (span, inner, name) = self.declaration_head(pair, "rule")?;
        let mut rule = RuleDecl {
            name,
            title: None,
            docs: Vec::new(),
            cite: None,
            effective: None,
            until: None,
            exception_to: Vec::new(),
            priority: None,
            when: None,
            unless: None,
            then: Vec::new(),
            because: None,
            span,
        };
        let mut seen = Seen(HashMap::new());
        for part in inner {
            match part.as_rule() {
                Rule::string => rule.title = Some(self.plain_string(part, "a title")),
                Rule::kw_end => {}
                Rule::rule_clause => {
                    let Some(clause) = part.into_inner().next() else {
                        continue;
                    };
                    let clause_span = self.span(&clause);
                    let clause_head = self.head_span(&clause);
                    match clause.as_rule() {
                        Rule::doc_clause => rule.docs.extend(self.doc(clause)),
                        Rule::cite_clause => {
                            seen.check(self, "cite", clause_head, "rule");
                            rule.cite = self.string_child(clause, "a citation");
                        }
                        Rule::effective_clause => {
                            seen.check(self, "effective", clause_head, "rule");
                            rule.effective = self.date_child(clause);
                        }
                        Rule::until_clause => {
                            seen.check(self, "until", clause_head, "rule");
                            rule.until = self.date_child(clause);
                        }
                        Rule::exception_clause => {
                            let names: Vec<QualifiedName> = clause
                                .into_inner()
                                .filter(|p| p.as_rule() == Rule::qualified_name)
                                .map(|p| self.qualified_name(p))
                                .collect();
                            rule.exception_to.extend(names);
                        }
                        Rule::priority_clause => {
                            seen.check(self, "priority", clause_head, "rule");
                            if let Some(number) =
                                clause.into_inner().find(|p| p.as_rule() == Rule::integer)
                            {
                                let number_span = self.span(&number);
                                rule.priority =
                                    self.integer(&number).map(|n| Spanned::new(n, number_span));
                            }
                        }
                        Rule::when_clause => {
                            seen.check(self, "when", clause_head, "rule");
                            rule.when = self.expr_child(clause);
                        }
                        Rule::unless_clause => {
                            seen.check(self, "unless", clause_head, "rule");
                            rule.unless = self.expr_child(clause);
                        }
                        Rule::then_clause => {
                            seen.check(self, "then", clause_head, "rule");
                            for outcome in
                                clause.into_inner().filter(|p| p.as_rule() == Rule::outcome)
                            {
                                if let Some(outcome) = self.outcome(outcome) {
                                    rule.then.push(outcome);
                                }
                            }
                        }
                        Rule::because_clause => {
                            seen.check(self, "because", clause_head, "rule");
                            if let Some(string) =
                                clause.into_inner().find(|p| p.as_rule() == Rule::string)
                            {
                                rule.because = Some(self.template(string));
                            }
                        }
                        _ => self.internal(clause_span, "rule clause"),
                    }
                }
                _ => self.internal(self.span(&part), "rule"),
            }
        }
        Some(rule)
    }

    fn outcome(&mut self, pair: P<'_>) -> Option<Outcome> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let decision = self.next_ident(&mut inner, span, "outcome decision")?;
        let op = match self.next(&mut inner, span, "outcome operator")?.as_rule() {
            Rule::kw_includes => OutcomeOp::Includes,
            _ => OutcomeOp::Is,
        };
        let value = {
            let child = self.next(&mut inner, span, "outcome value")?;
            self.outcome_value(child)
        }?;
        Some(Outcome {
            decision,
            op,
            value,
            span,
        })
    }

    fn outcome_value(&mut self, pair: P<'_>) -> Option<Expr> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "value")?;
        self.value(inner)
    }

    /// A value that is a list, a literal or a name.
    fn value(&mut self, pair: P<'_>) -> Option<Expr> {
        let span = self.span(&pair);
        Some(match pair.as_rule() {
            Rule::list_literal => self.list(pair)?,
            Rule::literal => Expr {
                kind: ExprKind::Literal(self.literal(pair)?),
                span,
            },
            Rule::qualified_name => Expr {
                kind: ExprKind::Name(self.qualified_name(pair)),
                span,
            },
            Rule::ident => {
                let ident = self.ident(pair);
                Expr {
                    kind: ExprKind::Name(QualifiedName {
                        parts: vec![ident],
                        span,
                    }),
                    span,
                }
            }
            _ => {
                self.internal(span, "value");
                return None;
            }
        })
    }

    fn record(&mut self, pair: P<'_>) -> Option<RecordDecl> {
        let (span, inner, name) = self.declaration_head(pair, "record")?;
        let mut record = RecordDecl {
            name,
            docs: Vec::new(),
            fields: Vec::new(),
            span,
        };
        for part in inner {
            match part.as_rule() {
                Rule::doc_clause => record.docs.extend(self.doc(part)),
                Rule::field_decl => {
                    let field_span = self.span(&part);
                    let mut field = part.into_inner();
                    let name = self.next_ident(&mut field, field_span, "field name")?;
                    let ty = {
                        let child = self.next(&mut field, field_span, "field type")?;
                        self.type_expr(child)
                    }?;
                    let mut default = None;
                    let mut doc = None;
                    for d in field {
                        if d.as_rule() == Rule::default_clause {
                            if let Some(value) =
                                d.into_inner().find(|p| p.as_rule() == Rule::outcome_value)
                            {
                                default = self.outcome_value(value);
                            }
                            continue;
                        }
                        doc = if d.as_rule() == Rule::string {
                            let text = self.plain_string(d, "a description");
                            Some(Doc {
                                text: text.node,
                                block: false,
                                span: text.span,
                            })
                        } else {
                            self.doc(d)
                        };
                    }
                    record.fields.push(FieldDecl {
                        name,
                        default,
                        ty,
                        doc,
                        span: field_span,
                    });
                }
                _ => {}
            }
        }
        Some(record)
    }

    fn type_expr(&mut self, pair: P<'_>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut optional = false;
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::kw_optional => optional = true,
                Rule::ident => {
                    return Some(TypeExpr {
                        optional,
                        kind: TypeKind::Named(self.ident(part)),
                        span,
                    })
                }
                Rule::set_type => {
                    let set_span = self.span(&part);
                    let Some(element) = part.into_inner().find(|p| p.as_rule() == Rule::type_expr)
                    else {
                        self.internal(set_span, "set element");
                        return None;
                    };
                    let element = self.type_expr(element)?;
                    return Some(TypeExpr {
                        optional,
                        kind: TypeKind::Set(Box::new(element)),
                        span,
                    });
                }
                Rule::list_type => {
                    let mut min = None;
                    let mut element = None;
                    for piece in part.into_inner() {
                        match piece.as_rule() {
                            Rule::min_count => {
                                if let Some(number) =
                                    piece.into_inner().find(|p| p.as_rule() == Rule::integer)
                                {
                                    let number_span = self.span(&number);
                                    min = self
                                        .integer(&number)
                                        .and_then(|n| self.in_range_u32(n, number_span))
                                        .map(|n| Spanned::new(n, number_span));
                                }
                            }
                            Rule::type_expr => element = self.type_expr(piece),
                            _ => {}
                        }
                    }
                    return Some(TypeExpr {
                        optional,
                        kind: TypeKind::List {
                            min,
                            element: Box::new(element?),
                        },
                        span,
                    });
                }
                _ => {}
            }
        }
        self.internal(span, "type");
        None
    }

    fn enum_decl(&mut self, pair: P<'_>) -> Option<EnumDecl> {
        let (span, inner, name) = self.declaration_head(pair, "enum")?;
        let mut decl = EnumDecl {
            name,
            docs: Vec::new(),
            variants: Vec::new(),
            span,
        };
        for part in inner {
            match part.as_rule() {
                Rule::doc_clause => decl.docs.extend(self.doc(part)),
                Rule::enum_variant => {
                    let variant_span = self.span(&part);
                    let mut pieces = part.into_inner();
                    let name = self.next_ident(&mut pieces, variant_span, "enum value")?;
                    let description = pieces.next().map(|s| self.plain_string(s, "a description"));
                    decl.variants.push(Variant {
                        name,
                        description,
                        span: variant_span,
                    });
                }
                _ => {}
            }
        }
        Some(decl)
    }

    fn decision(&mut self, pair: P<'_>) -> Option<DecisionDecl> {
        let (span, inner, name) = self.declaration_head(pair, "decision")?;
        let mut decl = DecisionDecl {
            name,
            title: None,
            docs: Vec::new(),
            values: Vec::new(),
            ty: None,
            combine: None,
            default: None,
            unknown: None,
            span,
        };
        let mut seen = Seen(HashMap::new());
        for part in inner {
            match part.as_rule() {
                Rule::string => decl.title = Some(self.plain_string(part, "a title")),
                Rule::decision_clause => {
                    let Some(clause) = part.into_inner().next() else {
                        continue;
                    };
                    let clause_span = self.span(&clause);
                    let clause_head = self.head_span(&clause);
                    match clause.as_rule() {
                        Rule::doc_clause => decl.docs.extend(self.doc(clause)),
                        Rule::values_clause => {
                            seen.check(self, "values", clause_head, "decision");
                            decl.values = clause
                                .into_inner()
                                .filter(|p| p.as_rule() == Rule::ident)
                                .map(|p| self.ident(p))
                                .collect();
                        }
                        Rule::type_clause => {
                            seen.check(self, "type", clause_head, "decision");
                            if let Some(ty) =
                                clause.into_inner().find(|p| p.as_rule() == Rule::type_expr)
                            {
                                decl.ty = self.type_expr(ty);
                            }
                        }
                        Rule::combine_clause => {
                            seen.check(self, "combine", clause_head, "decision");
                            if let Some(mode) = clause
                                .into_inner()
                                .find(|p| p.as_rule() == Rule::combine_mode)
                            {
                                let mode_span = self.span(&mode);
                                let text = mode.as_str();
                                let mode = if text.starts_with("most") {
                                    CombineMode::MostRestrictive
                                } else {
                                    match text {
                                        "union" => CombineMode::Union,
                                        "any" => CombineMode::Any,
                                        "all" => CombineMode::All,
                                        _ => CombineMode::Priority,
                                    }
                                };
                                decl.combine = Some(Spanned::new(mode, mode_span));
                            }
                        }
                        Rule::default_clause => {
                            seen.check(self, "default", clause_head, "decision");
                            if let Some(value) = clause
                                .into_inner()
                                .find(|p| p.as_rule() == Rule::outcome_value)
                            {
                                decl.default = self.outcome_value(value);
                            }
                        }
                        Rule::unknown_clause => {
                            seen.check(self, "unknown", clause_head, "decision");
                            if let Some(value) = clause
                                .into_inner()
                                .find(|p| p.as_rule() == Rule::outcome_value)
                            {
                                decl.unknown = self.outcome_value(value);
                            }
                        }
                        _ => self.internal(clause_span, "decision clause"),
                    }
                }
                _ => {}
            }
        }
        Some(decl)
    }

    fn table(&mut self, pair: P<'_>) -> Option<TableDecl> {
        let (span, inner, name) = self.declaration_head(pair, "table")?;
        let mut table = TableDecl {
            name,
            title: None,
            docs: Vec::new(),
            source: None,
            as_of: None,
            columns: Vec::new(),
            load: None,
            rows: Vec::new(),
            span,
        };
        let mut seen = Seen(HashMap::new());
        for part in inner {
            match part.as_rule() {
                Rule::string => table.title = Some(self.plain_string(part, "a title")),
                Rule::table_clause => {
                    let Some(clause) = part.into_inner().next() else {
                        continue;
                    };
                    let clause_span = self.span(&clause);
                    let clause_head = self.head_span(&clause);
                    match clause.as_rule() {
                        Rule::doc_clause => table.docs.extend(self.doc(clause)),
                        Rule::source_clause => {
                            seen.check(self, "source", clause_head, "table");
                            table.source = self.string_child(clause, "a source");
                        }
                        Rule::as_of_clause => {
                            seen.check(self, "as of", clause_head, "table");
                            table.as_of = self.date_child(clause);
                        }
                        Rule::columns_clause => {
                            seen.check(self, "columns", clause_head, "table");
                            for column in clause
                                .into_inner()
                                .filter(|p| p.as_rule() == Rule::column_decl)
                            {
                                let column_span = self.span(&column);
                                let mut pieces = column.into_inner();
                                let name = {
                                    let child =
                                        self.next(&mut pieces, column_span, "column name")?;
                                    self.ident(child)
                                };
                                let ty = {
                                    let child =
                                        self.next(&mut pieces, column_span, "column type")?;
                                    self.type_expr(child)
                                }?;
                                table.columns.push(ColumnDecl {
                                    name,
                                    ty,
                                    span: column_span,
                                });
                            }
                        }
                        Rule::load_clause => {
                            seen.check(self, "load", clause_head, "table");
                            let mut input = false;
                            let mut from = None;
                            let mut format = None;
                            for piece in clause.into_inner() {
                                match piece.as_rule() {
                                    Rule::kw_input => input = true,
                                    Rule::string => {
                                        let path = self.plain_string(piece, "a file name");
                                        from = Some(if input {
                                            LoadSource::Input(path)
                                        } else {
                                            LoadSource::File(path)
                                        });
                                    }
                                    Rule::ident => format = Some(self.ident(piece)),
                                    _ => {}
                                }
                            }
                            table.load = from.map(|from| Load {
                                from,
                                format,
                                span: clause_span,
                            });
                        }
                        Rule::row_decl => {
                            let mut row = Row {
                                cells: Vec::new(),
                                effective: None,
                                until: None,
                                span: clause_span,
                            };
                            for piece in clause.into_inner() {
                                match piece.as_rule() {
                                    Rule::cell => {
                                        let cell_span = self.span(&piece);
                                        let Some(value) = piece.into_inner().next() else {
                                            continue;
                                        };
                                        if value.as_rule() == Rule::dash {
                                            row.cells.push(Cell::Dash(cell_span));
                                        } else if let Some(expr) = self.value(value) {
                                            row.cells.push(Cell::Value(expr));
                                        }
                                    }
                                    Rule::effective_clause => {
                                        row.effective = self.date_child(piece)
                                    }
                                    Rule::until_clause => row.until = self.date_child(piece),
                                    _ => {}
                                }
                            }
                            table.rows.push(row);
                        }
                        _ => self.internal(clause_span, "table clause"),
                    }
                }
                _ => {}
            }
        }
        Some(table)
    }

    fn test(&mut self, pair: P<'_>) -> Option<TestDecl> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let _keyword = self.next(&mut inner, span, "test keyword")?;
        let name_pair = self.next(&mut inner, span, "test name")?;
        let name = self.plain_string(name_pair, "a test name");
        let mut test = TestDecl {
            name,
            docs: Vec::new(),
            as_of: None,
            given: None,
            expects: Vec::new(),
            span,
        };
        let mut seen = Seen(HashMap::new());
        for part in inner {
            if part.as_rule() != Rule::test_clause {
                continue;
            }
            let Some(clause) = part.into_inner().next() else {
                continue;
            };
            let clause_span = self.span(&clause);
            let clause_head = self.head_span(&clause);
            match clause.as_rule() {
                Rule::doc_clause => test.docs.extend(self.doc(clause)),
                Rule::as_of_test_clause => {
                    seen.check(self, "as of", clause_head, "test");
                    test.as_of = self.date_child(clause);
                }
                Rule::given_clause => {
                    seen.check(self, "given", clause_head, "test");
                    for piece in clause.into_inner() {
                        match piece.as_rule() {
                            Rule::json_object => {
                                let span = self.span(&piece);
                                test.given = Some(Given::Inline {
                                    text: piece.as_str().to_string(),
                                    span,
                                });
                            }
                            Rule::string => {
                                test.given =
                                    Some(Given::File(self.plain_string(piece, "a file name")))
                            }
                            _ => {}
                        }
                    }
                }
                Rule::expect_clause => {
                    for piece in clause.into_inner() {
                        match piece.as_rule() {
                            Rule::kw_rejected => test.expects.push(Expect::Rejected(clause_span)),
                            Rule::outcome => {
                                if let Some(outcome) = self.outcome(piece) {
                                    test.expects.push(Expect::Outcome(outcome));
                                }
                            }
                            Rule::expect_rule => {
                                let mut name = None;
                                let mut fires = true;
                                for bit in piece.into_inner() {
                                    match bit.as_rule() {
                                        Rule::qualified_name => {
                                            name = Some(self.qualified_name(bit))
                                        }
                                        Rule::kw_does => fires = false,
                                        _ => {}
                                    }
                                }
                                if let Some(name) = name {
                                    test.expects.push(Expect::Rule {
                                        name,
                                        fires,
                                        span: clause_span,
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                }
                _ => self.internal(clause_span, "test clause"),
            }
        }
        Some(test)
    }

    // -----------------------------------------------------------------------------------------
    // Expressions
    // -----------------------------------------------------------------------------------------

    fn expr_child(&mut self, clause: P<'_>) -> Option<Expr> {
        let expr = clause.into_inner().find(|p| p.as_rule() == Rule::expr)?;
        self.expr(expr)
    }

    /// Lowers an expression one level deeper than the current one.
    fn expr(&mut self, pair: P<'_>) -> Option<Expr> {
        self.deeper(1, &pair.clone(), |lower| lower.expr_node(pair))
    }

    /// Runs `build` with the depth raised by `levels`, or reports the expression as nested too
    /// deeply (once per declaration) when that passes [`MAX_EXPR_DEPTH`].
    fn deeper<T>(
        &mut self,
        levels: usize,
        at: &P<'_>,
        build: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        self.depth += levels;
        let result = if self.depth > MAX_EXPR_DEPTH {
            if !self.reported_too_deep {
                self.reported_too_deep = true;
                let span = self.span(at);
                self.diagnostics.push(
                    Diagnostic::error(Code::E0003, "expression is nested too deeply")
                        .with_label(self.file, span, "this part of the condition nests too deeply")
                        .with_help("split the condition into several rules, or remove `not`s in pairs (two cancel out)"),
                );
            }
            None
        } else {
            build(self)
        };
        self.depth -= levels;
        result
    }

    fn expr_node(&mut self, pair: P<'_>) -> Option<Expr> {
        // Rules that only pass their one child through need no span of their own.
        match pair.as_rule() {
            Rule::expr | Rule::primary => {
                let Some(inner) = pair.clone().into_inner().next() else {
                    let span = self.span(&pair);
                    self.internal(span, "expression");
                    return None;
                };
                return self.expr(inner);
            }
            Rule::or_expr => return self.fold_binary(pair, BinaryOp::Or),
            Rule::and_expr => return self.fold_binary(pair, BinaryOp::And),
            _ => {}
        }
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::not_expr => {
                let mut negations = 0usize;
                let mut operand = None;
                for part in pair.into_inner() {
                    match part.as_rule() {
                        Rule::kw_not => negations += 1,
                        // Each `not` wraps the operand once more.
                        _ => {
                            operand =
                                self.deeper(negations, &part.clone(), |lower| lower.expr(part))
                        }
                    }
                }
                let mut expr = operand?;
                for _ in 0..negations {
                    expr = Expr {
                        kind: ExprKind::Not(Box::new(expr)),
                        span,
                    };
                }
                Some(expr)
            }
            Rule::comparison => {
                let mut inner = pair.into_inner();
                let lhs = {
                    let child = self.next(&mut inner, span, "comparison operand")?;
                    self.expr(child)
                }?;
                let Some(next) = inner.next() else {
                    return Some(lhs);
                };
                match next.as_rule() {
                    Rule::presence_test => {
                        let mut negated = false;
                        let mut empty = false;
                        for part in next.into_inner() {
                            match part.as_rule() {
                                Rule::kw_not => negated = true,
                                Rule::kw_empty => empty = true,
                                _ => {}
                            }
                        }
                        let test = match (empty, negated) {
                            (false, false) => PresenceTest::Missing,
                            (false, true) => PresenceTest::NotMissing,
                            (true, false) => PresenceTest::Empty,
                            (true, true) => PresenceTest::NotEmpty,
                        };
                        Some(Expr {
                            kind: ExprKind::Presence {
                                expr: Box::new(lhs),
                                test,
                            },
                            span,
                        })
                    }
                    Rule::compare_op => {
                        let op = self.compare_op(next)?;
                        let rhs = {
                            let child = self.next(&mut inner, span, "comparison right operand")?;
                            self.expr(child)
                        }?;
                        Some(Expr {
                            kind: ExprKind::Compare {
                                op,
                                lhs: Box::new(lhs),
                                rhs: Box::new(rhs),
                            },
                            span,
                        })
                    }
                    _ => {
                        self.internal(span, "comparison");
                        None
                    }
                }
            }
            Rule::sum | Rule::product => {
                // Operands and operators alternate. The chain folds to the left, so the first
                // operand ends up as deep as the chain is long.
                let operands = pair.clone().into_inner().count().div_ceil(2);
                let mut parts = pair.into_inner();
                let first = self.next(&mut parts, span, "arithmetic operand")?;
                let mut lhs = self.deeper(operands.saturating_sub(1), &first.clone(), |lower| {
                    lower.expr(first)
                })?;
                let mut remaining = operands.saturating_sub(1);
                while let Some(op) = parts.next() {
                    let op = match op.as_str() {
                        "+" => BinaryOp::Add,
                        "-" => BinaryOp::Sub,
                        "*" => BinaryOp::Mul,
                        _ => BinaryOp::Div,
                    };
                    remaining = remaining.saturating_sub(1);
                    let child = self.next(&mut parts, span, "arithmetic operand")?;
                    let rhs = self.deeper(remaining, &child.clone(), |lower| lower.expr(child))?;
                    let joined = lhs.span.join(rhs.span);
                    lhs = Expr {
                        kind: ExprKind::Binary {
                            op,
                            lhs: Box::new(lhs),
                            rhs: Box::new(rhs),
                        },
                        span: joined,
                    };
                }
                Some(lhs)
            }
            Rule::paren => {
                let inner = pair.into_inner().find(|p| p.as_rule() == Rule::expr)?;
                let mut expr = self.expr(inner)?;
                expr.span = span;
                Some(expr)
            }
            Rule::quantifier => {
                let mut inner = pair.into_inner();
                let kind = match self.next(&mut inner, span, "quantifier")?.as_rule() {
                    Rule::kw_every => QuantifierKind::Every,
                    Rule::kw_no => QuantifierKind::No,
                    _ => QuantifierKind::Any,
                };
                let var = self.next_ident(&mut inner, span, "quantifier variable")?;
                let _in = self.next(&mut inner, span, "`in`")?;
                let collection = {
                    let child = self.next(&mut inner, span, "quantifier collection")?;
                    self.qualified_name(child)
                };
                let _where = self.next(&mut inner, span, "`where`")?;
                let body = {
                    let child = self.next(&mut inner, span, "quantifier body")?;
                    self.expr(child)
                }?;
                Some(Expr {
                    kind: ExprKind::Quantifier {
                        kind,
                        var,
                        collection,
                        body: Box::new(body),
                    },
                    span,
                })
            }
            Rule::call => {
                let mut inner = pair.into_inner();
                let function = self.next_ident(&mut inner, span, "function name")?;
                let mut args = Vec::new();
                for arg in inner {
                    args.push(self.expr(arg)?);
                }
                Some(Expr {
                    kind: ExprKind::Call { function, args },
                    span,
                })
            }
            Rule::list_literal | Rule::literal | Rule::qualified_name | Rule::ident => {
                self.value(pair)
            }
            _ => {
                self.internal(span, "expression kind");
                None
            }
        }
    }

    /// Lowers a chain of conditions joined by `and` (or by `or`). `and` and `or` are
    /// associative, in three-valued logic too, so the chain is folded into a balanced tree: a
    /// condition of thousands of alternatives is then only a few levels deep.
    fn fold_binary(&mut self, pair: P<'_>, op: BinaryOp) -> Option<Expr> {
        let parts: Vec<P<'_>> = pair
            .clone()
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::kw_and | Rule::kw_or))
            .collect();
        if parts.is_empty() {
            let span = self.span(&pair);
            self.internal(span, "operand");
            return None;
        }
        let levels = balanced_depth(parts.len());
        let mut operands = Vec::with_capacity(parts.len());
        for part in parts {
            operands.push(self.deeper(levels, &part.clone(), |lower| lower.expr(part))?);
        }
        Some(balance(op, operands))
    }

    fn compare_op(&mut self, pair: P<'_>) -> Option<CompareOp> {
        let span = self.span(&pair);
        let op = self.next(&mut pair.into_inner(), span, "operator")?;
        Some(match op.as_rule() {
            Rule::op_is_not => CompareOp::IsNot,
            Rule::op_is => CompareOp::Is,
            Rule::op_not_in => CompareOp::NotIn,
            Rule::op_in => CompareOp::In,
            Rule::op_not_within => CompareOp::NotWithin,
            Rule::op_within => CompareOp::Within,
            Rule::op_matches => CompareOp::Matches,
            Rule::op_on_or_before => CompareOp::OnOrBefore,
            Rule::op_on_or_after => CompareOp::OnOrAfter,
            Rule::op_before => CompareOp::Before,
            Rule::op_after => CompareOp::After,
            Rule::op_le => CompareOp::Le,
            Rule::op_ge => CompareOp::Ge,
            Rule::op_ne => CompareOp::Ne,
            Rule::op_lt => CompareOp::Lt,
            Rule::op_gt => CompareOp::Gt,
            Rule::op_eq => CompareOp::Eq,
            _ => {
                self.internal(span, "operator kind");
                return None;
            }
        })
    }

    fn list(&mut self, pair: P<'_>) -> Option<Expr> {
        let span = self.span(&pair);
        let mut elements = Vec::new();
        for element in pair.into_inner() {
            elements.push(self.expr(element)?);
        }
        Some(Expr {
            kind: ExprKind::List(elements),
            span,
        })
    }

    fn literal(&mut self, pair: P<'_>) -> Option<Literal> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "literal")?;
        Some(match inner.as_rule() {
            Rule::kw_true => Literal::Bool(true),
            Rule::kw_false => Literal::Bool(false),
            Rule::integer => Literal::Integer(self.integer(&inner)?),
            Rule::decimal => Literal::Decimal(inner.as_str().to_string()),
            Rule::string => Literal::Str(self.template(inner)),
            Rule::date => Literal::Date(self.date(&inner)?.node),
            _ => {
                self.internal(span, "literal kind");
                return None;
            }
        })
    }

    // -----------------------------------------------------------------------------------------
    // Leaves
    // -----------------------------------------------------------------------------------------

    fn ident(&self, pair: P<'_>) -> Ident {
        Spanned::new(pair.as_str().to_string(), self.span(&pair))
    }

    fn qualified_name(&self, pair: P<'_>) -> QualifiedName {
        let span = self.span(&pair);
        if pair.as_rule() == Rule::ident {
            return QualifiedName {
                parts: vec![self.ident(pair)],
                span,
            };
        }
        let parts = pair
            .into_inner()
            .filter(|p| p.as_rule() == Rule::ident)
            .map(|p| self.ident(p))
            .collect();
        QualifiedName { parts, span }
    }

    fn template(&mut self, pair: P<'_>) -> Template {
        let span = self.span(&pair);
        let mut parts: Vec<TemplatePart> = Vec::new();
        let push_text = |parts: &mut Vec<TemplatePart>, text: &str| {
            if let Some(TemplatePart::Text(last)) = parts.last_mut() {
                last.push_str(text);
            } else {
                parts.push(TemplatePart::Text(text.to_string()));
            }
        };
        for part in pair.into_inner() {
            match part.as_rule() {
                Rule::string_text => push_text(&mut parts, part.as_str()),
                Rule::string_escape => {
                    let escaped = match part.as_str() {
                        "\\n" => "\n",
                        "\\t" => "\t",
                        other => other.get(1..).unwrap_or(""),
                    };
                    push_text(&mut parts, escaped);
                }
                Rule::interpolation => {
                    if let Some(name) = part
                        .into_inner()
                        .find(|p| p.as_rule() == Rule::qualified_name)
                    {
                        parts.push(TemplatePart::Value(self.qualified_name(name)));
                    }
                }
                _ => {}
            }
        }
        Template { parts, span }
    }

    /// A string where quoted values make no sense: `{...}` there is an error.
    fn plain_string(&mut self, pair: P<'_>, what: &str) -> Str {
        let template = self.template(pair);
        let mut text = String::new();
        for part in &template.parts {
            match part {
                TemplatePart::Text(t) => text.push_str(t),
                TemplatePart::Value(name) => {
                    self.diagnostics.push(
                        Diagnostic::error(Code::E0010, format!("a value cannot be quoted in {what}"))
                            .with_label(self.file, name.span, "values are quoted only in `because` sentences, outcomes and conditions")
                            .with_help(format!("to write a literal brace, escape it: `\\{{{}\\}}`", name.dotted())),
                    );
                }
            }
        }
        Spanned::new(text, template.span)
    }

    fn string_child(&mut self, clause: P<'_>, what: &str) -> Option<Str> {
        let string = clause.into_inner().find(|p| p.as_rule() == Rule::string)?;
        Some(self.plain_string(string, what))
    }

    fn date(&mut self, pair: &P<'_>) -> Option<DateLit> {
        let span = self.span(pair);
        match Date::parse(pair.as_str()) {
            Some(date) => Some(Spanned::new(date, span)),
            None => {
                let text = pair.as_str();
                let part = |range: std::ops::Range<usize>| {
                    text.get(range).and_then(|p| p.parse::<u32>().ok())
                };
                let help = match (part(0..4), part(5..7), part(8..10)) {
                    (Some(year), Some(2), Some(29)) => {
                        format!("February 29 exists only in leap years, and {year} is not one")
                    }
                    (_, Some(month), _) if !(1..=12).contains(&month) => {
                        "the month must lie between 01 and 12".to_string()
                    }
                    (Some(0), _, _) => "the year must lie between 0001 and 9999".to_string(),
                    (_, _, Some(0)) => "days are numbered from 01".to_string(),
                    _ => "that month has fewer days; write dates as YYYY-MM-DD with a day that exists".to_string(),
                };
                self.diagnostics.push(
                    Diagnostic::error(Code::E0007, format!("`{text}` is not a date"))
                        .with_label(self.file, span, "no such day in the calendar")
                        .with_help(help),
                );
                None
            }
        }
    }

    fn date_child(&mut self, clause: P<'_>) -> Option<DateLit> {
        let date = clause.into_inner().find(|p| p.as_rule() == Rule::date)?;
        self.date(&date)
    }

    fn integer(&mut self, pair: &P<'_>) -> Option<i64> {
        match pair.as_str().parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                let span = self.span(pair);
                self.diagnostics.push(
                    Diagnostic::error(
                        Code::E0007,
                        format!("`{}` is too large a number", pair.as_str()),
                    )
                    .with_label(self.file, span, "out of range")
                    .with_help(format!(
                        "whole numbers must lie between {} and {}",
                        i64::MIN,
                        i64::MAX
                    )),
                );
                None
            }
        }
    }

    fn in_range_u32(&mut self, n: i64, span: Span) -> Option<u32> {
        match u32::try_from(n) {
            Ok(n) => Some(n),
            Err(_) => {
                self.diagnostics.push(
                    Diagnostic::error(Code::E0007, format!("`{n}` is not a valid count"))
                        .with_label(self.file, span, "must be between 0 and 4294967295"),
                );
                None
            }
        }
    }

    fn doc(&mut self, clause: P<'_>) -> Option<Doc> {
        let span = self.span(&clause);
        for part in clause.into_inner() {
            match part.as_rule() {
                Rule::doc_string => {
                    let text = part
                        .into_inner()
                        .next()
                        .map_or("", |t| t.as_str())
                        .to_string();
                    return Some(Doc {
                        text,
                        block: true,
                        span,
                    });
                }
                Rule::string => {
                    let text = self.plain_string(part, "documentation").node;
                    return Some(Doc {
                        text,
                        block: false,
                        span,
                    });
                }
                _ => {}
            }
        }
        None
    }
}

/// How many levels a balanced tree over `count` operands adds above them.
fn balanced_depth(count: usize) -> usize {
    let mut levels = 0;
    while (1usize << levels.min(63)) < count {
        levels += 1;
    }
    levels
}

/// Joins operands with `op` into a balanced tree that keeps their order. Up to three operands
/// this is the usual left-nested tree (`(a and b) and c`).
fn balance(op: BinaryOp, mut operands: Vec<Expr>) -> Expr {
    if operands.len() <= 1 {
        return operands.pop().unwrap_or(Expr {
            kind: ExprKind::List(Vec::new()),
            span: Span::default(),
        });
    }
    let right = operands.split_off(operands.len().div_ceil(2));
    let lhs = balance(op, operands);
    let rhs = balance(op, right);
    let span = lhs.span.join(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

/// The end of a pair's last token, relative to the text pest was given.
///
/// pest counts the whitespace and comments that a trailing `?` or `*` skipped before failing to
/// match as part of the rule, so a `when` clause followed by a line break would otherwise reach
/// up to the next clause. Between a pair's last child and its end stand only punctuation the
/// grammar matched literally (`)`, `]`, `}`, the closing quotes of a string) and that trivia.
fn token_end(pair: &P<'_>) -> usize {
    let span = pair.as_span();
    let bytes = span.get_input().as_bytes();
    // Skipped trivia ends with a line break or a space, unless a comment runs to the end of
    // the text: most spans need no search.
    let last_byte = span.end().checked_sub(1).and_then(|i| bytes.get(i));
    if span.end() < bytes.len() && !last_byte.is_some_and(u8::is_ascii_whitespace) {
        return span.end();
    }
    let Some(last) = pair.clone().into_inner().next_back() else {
        return span.end();
    };
    let mut end = token_end(&last);
    let mut index = end;
    while index < span.end() {
        match bytes.get(index) {
            Some(b' ' | b'\t' | b'\r' | b'\n') => index += 1,
            Some(b'#') => {
                while index < span.end() && bytes.get(index) != Some(&b'\n') {
                    index += 1;
                }
            }
            Some(_) => {
                index += 1;
                end = index;
            }
            None => break,
        }
    }
    end
}

impl Seen {
    /// Records that `clause` was given at `span`; reports it if it was given before. A third
    /// occurrence is reported against the first, like the second.
    fn check(&mut self, lower: &mut Lower<'_>, clause: &'static str, span: Span, owner: &str) {
        let Some(&first) = self.0.get(clause) else {
            self.0.insert(clause, span);
            return;
        };
        let help = match clause {
            "when" => format!(
                "a {owner} has at most one `when`; join the two conditions with `and` in one `when`"
            ),
            // A rule that does not apply under either of two conditions does not apply when one
            // or the other holds.
            "unless" => format!(
                "a {owner} has at most one `unless`; join the two conditions with `or` in one `unless`"
            ),
            "then" => format!(
                "a {owner} has at most one `then`; list every outcome in one `then`, separated by `and`"
            ),
            _ => format!("a {owner} has at most one `{clause}`; remove one of them or merge them"),
        };
        lower.diagnostics.push(
            Diagnostic::error(Code::E0008, format!("the {owner} gives `{clause}` twice"))
                .with_label(lower.file, span, format!("second `{clause}`"))
                .with_label(lower.file, first, "first given here")
                .with_help(help),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;
    use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Item, Member};

    #[test]
    fn spans_end_at_the_last_token_not_at_the_trivia_after_it() {
        let text = "policy p\n  rule r\n    when a is b   # why\n\n    then x is y\n  end\nend\n";
        let file = SourceFile::new("spans.vigil", text);
        let (ast, diagnostics) = crate::syntax::parse(&file);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let Some(Item::Policy(policy)) = ast.items.first() else {
            panic!("no policy")
        };
        let Some(Member::Rule(rule)) = policy.members.first() else {
            panic!("no rule")
        };
        let when = rule.when.as_ref().unwrap();
        assert_eq!(file.slice(when.span), "a is b");
        let then = rule.then.first().unwrap();
        assert_eq!(file.slice(then.span), "x is y");
    }

    /// The operands of an expression tree, left to right.
    fn leaves<'e>(expr: &'e Expr, out: &mut Vec<&'e Expr>) {
        match &expr.kind {
            ExprKind::Binary { lhs, rhs, .. } => {
                leaves(lhs, out);
                leaves(rhs, out);
            }
            _ => out.push(expr),
        }
    }

    #[test]
    fn and_chains_become_balanced_trees_that_keep_their_order() {
        let text = "policy p\n  rule r\n    when a is 1 and a is 2 and a is 3 and a is 4 and a is 5\n    then x is y\n  end\nend\n";
        let file = SourceFile::new("chain.vigil", text);
        let (ast, diagnostics) = crate::syntax::parse(&file);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let Some(Item::Policy(policy)) = ast.items.first() else {
            panic!("no policy")
        };
        let Some(Member::Rule(rule)) = policy.members.first() else {
            panic!("no rule")
        };
        let when = rule.when.as_ref().unwrap();
        assert_eq!(
            file.slice(when.span),
            "a is 1 and a is 2 and a is 3 and a is 4 and a is 5"
        );
        let mut operands = Vec::new();
        leaves(when, &mut operands);
        let texts: Vec<&str> = operands.iter().map(|e| file.slice(e.span)).collect();
        assert_eq!(texts, ["a is 1", "a is 2", "a is 3", "a is 4", "a is 5"]);
        let ExprKind::Binary {
            lhs,
            rhs,
            op: BinaryOp::And,
        } = &when.kind
        else {
            panic!("not an `and`")
        };
        assert_eq!(file.slice(lhs.span), "a is 1 and a is 2 and a is 3");
        assert_eq!(file.slice(rhs.span), "a is 4 and a is 5");
    }
}
