//! The types pass: schema and record fields, table columns and decisions get their types, and
//! constant values (decision defaults, table cells, test expectations) are checked against
//! the types they must have.

use std::sync::Arc;

use super::country::Country;
use super::eccn::Eccn;
use super::ir::*;
use super::{Context, Decl, Lookup};
use crate::diagnostic::Code;
use crate::suggest;
use crate::syntax::ast;

/// The built-in types by name.
pub(crate) const BUILTIN_TYPES: &[(&str, Type)] = &[
    ("bool", Type::Bool),
    ("integer", Type::Integer),
    ("decimal", Type::Decimal),
    ("string", Type::String),
    ("date", Type::Date),
    ("country", Type::Country),
    ("eccn", Type::Eccn),
];

/// A resolved type expression.
pub(crate) struct ResolvedType {
    pub ty: Type,
    pub optional: bool,
    pub min_len: Option<u32>,
}

/// What a constant is checked for, so a mismatch gets the code and words of its place.
#[derive(Clone, Copy)]
pub(crate) struct ConstantContext<'s> {
    /// The code of a type mismatch here.
    pub mismatch: Code,
    /// What the value is, for messages: "the default of `license`", "the column `country`".
    pub what: &'s str,
}

/// How a literal of the syntax tree is described in messages.
pub(crate) fn describe_literal(expr: &ast::Expr) -> String {
    match &expr.kind {
        ast::ExprKind::Literal(ast::Literal::Bool(b)) => format!("`{b}`"),
        ast::ExprKind::Literal(ast::Literal::Integer(n)) => format!("the whole number `{n}`"),
        ast::ExprKind::Literal(ast::Literal::Decimal(d)) => format!("the decimal `{d}`"),
        ast::ExprKind::Literal(ast::Literal::Str(_)) => "a string".into(),
        ast::ExprKind::Literal(ast::Literal::Date(d)) => format!("the date `{d}`"),
        ast::ExprKind::List(_) => "a list".into(),
        ast::ExprKind::Name(name) => format!("`{}`", name.dotted()),
        _ => "an expression".into(),
    }
}

/// The plain text of a string literal without quoted values.
pub(crate) fn plain_text(template: &ast::Template) -> Option<String> {
    let mut text = String::new();
    for part in &template.parts {
        match part {
            ast::TemplatePart::Text(t) => text.push_str(t),
            ast::TemplatePart::Value(_) => return None,
        }
    }
    Some(text)
}

impl<'a> Context<'a> {
    pub(crate) fn resolve_types(&mut self) {
        // Decisions first: a decision declared with `values` may serve as the type of a field
        // or column (`policy: review_policy`), so its enumeration must exist before them.
        let pending_decisions = self.pending.decisions.clone();
        for (index, decl) in pending_decisions.iter().enumerate() {
            self.resolve_decision_type(DecisionId::from_index(index), decl);
        }
        let pending_records = self.pending.records.clone();
        for (index, record) in pending_records.iter().enumerate() {
            let file = self
                .program
                .records
                .get(index)
                .map_or(FileId(0), |r| r.location.file);
            let mut fields: Vec<Field> = Vec::new();
            for field in &record.fields {
                let location = Self::at(file, field.name.span);
                if let Some(first) = fields.iter().find(|f| *f.name == *field.name.node) {
                    let diagnostic = self.error(
                        Code::E0101,
                        format!(
                            "the field `{}` is declared twice in `{}`",
                            field.name.node, record.name.node
                        ),
                        location,
                        "declared again here",
                    );
                    let diagnostic = self.also(diagnostic, first.location, "first declared here");
                    self.report(diagnostic.with_help("remove or rename one of them"));
                    continue;
                }
                let resolved = self.resolve_type(file, &field.ty);
                let what = format!("the default of the field `{}`", field.name.node);
                let default = field.default.as_ref().and_then(|e| {
                    self.const_value(
                        file,
                        e,
                        &resolved.ty,
                        ConstantContext {
                            mismatch: Code::E0212,
                            what: &what,
                        },
                    )
                });
                fields.push(Field {
                    name: Arc::from(field.name.node.as_str()),
                    ty: resolved.ty,
                    optional: resolved.optional,
                    default,
                    min_len: resolved.min_len,
                    doc: field.doc.as_ref().map(|d| Arc::from(d.text.as_str())),
                    location,
                });
            }
            if let Some(target) = self.program.records.get_mut(index) {
                target.fields = fields;
            }
        }
        let pending_tables = self.pending.tables.clone();
        for (index, table) in pending_tables.iter().enumerate() {
            let file = self
                .program
                .tables
                .get(index)
                .map_or(FileId(0), |t| t.location.file);
            let mut columns: Vec<Column> = Vec::new();
            for column in &table.columns {
                let location = Self::at(file, column.name.span);
                if let Some(first) = columns.iter().find(|c| *c.name == *column.name.node) {
                    let diagnostic = self.error(
                        Code::E0101,
                        format!(
                            "the column `{}` is declared twice in `{}`",
                            column.name.node, table.name.node
                        ),
                        location,
                        "declared again here",
                    );
                    let diagnostic = self.also(diagnostic, first.location, "first declared here");
                    self.report(diagnostic.with_help("remove or rename one of them"));
                    continue;
                }
                let resolved = self.resolve_type(file, &column.ty);
                let mut ty = resolved.ty;
                if contains_record(&ty) {
                    self.report(
                        self.error(Code::E0201, format!("the column `{}` cannot hold a record", column.name.node), Self::at(file, column.ty.span), "a record type")
                            .with_help("a table cell holds a value, a list or a set; split the record's fields into columns"),
                    );
                    ty = Type::Error;
                }
                columns.push(Column {
                    name: Arc::from(column.name.node.as_str()),
                    ty,
                    optional: resolved.optional,
                    location,
                });
            }
            if let Some(target) = self.program.tables.get_mut(index) {
                target.columns = columns;
            }
        }
    }

    /// The enumeration of a decision declared with `values`.
    fn decision_values_enum(&self, id: DecisionId) -> Option<EnumId> {
        self.program
            .enums
            .iter()
            .position(|e| e.origin == EnumOrigin::DecisionValues(id))
            .map(EnumId::from_index)
    }

    fn resolve_decision_type(&mut self, id: DecisionId, decl: &ast::DecisionDecl) {
        let Some(file) = self.program.decision(id).map(|d| d.location.file) else {
            return;
        };
        let name_location = Self::at(file, decl.name.span);
        let kind = match (&decl.ty, decl.values.is_empty()) {
            (Some(ty), false) => {
                self.report(
                    self.error(Code::E0404, format!("the decision `{}` gives both `values` and `type`", decl.name.node), Self::at(file, ty.span), "a type given here")
                        .with_help("a decision either lists its values (least restrictive first) or names a type; keep one"),
                );
                self.decision_values(id, file, decl)
            }
            (None, false) => self.decision_values(id, file, decl),
            (Some(ty), true) => {
                let resolved = self.resolve_type(file, ty);
                match resolved.ty {
                    Type::Bool => DecisionKind::Bool,
                    Type::Set(element) => DecisionKind::Set(*element),
                    other => DecisionKind::Single(other),
                }
            }
            (None, true) => {
                self.report(
                    self.error(Code::E0404, format!("the decision `{}` declares neither `values` nor `type`", decl.name.node), name_location, "what values can it take?")
                        .with_help("list its values, least restrictive first (`values not_required, required`), or give a type (`type bool`, `type set of string`)"),
                );
                DecisionKind::Single(Type::Error)
            }
        };
        let value_type = match &kind {
            DecisionKind::Ordered(enumeration) => Type::Enum(*enumeration),
            DecisionKind::Bool => Type::Bool,
            DecisionKind::Set(element) => Type::Set(Box::new(element.clone())),
            DecisionKind::Single(ty) => ty.clone(),
        };
        if let Some(combine) = &decl.combine {
            let fits = match combine.node {
                ast::CombineMode::MostRestrictive => matches!(kind, DecisionKind::Ordered(_)),
                ast::CombineMode::Union => matches!(kind, DecisionKind::Set(_)),
                ast::CombineMode::Any | ast::CombineMode::All => matches!(kind, DecisionKind::Bool),
                ast::CombineMode::Priority => true,
            };
            // After E0404 (both `values` and `type`), the combination is not judged again.
            let known = !matches!(&kind, DecisionKind::Single(Type::Error))
                && (decl.ty.is_none() || decl.values.is_empty());
            if !fits && known {
                let needs = match combine.node {
                    ast::CombineMode::MostRestrictive => "a decision with ordered `values`",
                    ast::CombineMode::Union => "a decision of `type set of ...`",
                    _ => "a decision of `type bool`",
                };
                let help = match &kind {
                    DecisionKind::Ordered(_) => {
                        "decisions with `values` combine `by most restrictive` or `by priority`"
                    }
                    DecisionKind::Set(_) => "set decisions combine `by union` or `by priority`",
                    DecisionKind::Bool => {
                        "bool decisions combine `by any`, `by all` or `by priority`"
                    }
                    DecisionKind::Single(_) => "this decision can only combine `by priority`",
                };
                let message = format!(
                    "`combine by {}` does not fit the decision `{}`",
                    combine.node.as_str(),
                    decl.name.node
                );
                let diagnostic = self.error(
                    Code::E0403,
                    message,
                    Self::at(file, combine.span),
                    format!("this needs {needs}"),
                );
                self.report(diagnostic.with_help(help));
            }
        }
        let what_default = format!("the default of `{}`", decl.name.node);
        let default = decl.default.as_ref().and_then(|e| {
            self.const_value(
                file,
                e,
                &value_type,
                ConstantContext {
                    mismatch: Code::E0405,
                    what: &what_default,
                },
            )
        });
        let what_unknown = format!("the unknown value of `{}`", decl.name.node);
        let unknown = decl.unknown.as_ref().and_then(|e| {
            self.const_value(
                file,
                e,
                &value_type,
                ConstantContext {
                    mismatch: Code::E0405,
                    what: &what_unknown,
                },
            )
        });
        if let Some(decision) = self.program.decisions.get_mut(id.index()) {
            decision.kind = kind;
            decision.value_type = value_type;
            decision.default = default;
            decision.unknown = unknown;
        }
    }

    /// Makes the enumeration of a decision's `values`.
    fn decision_values(
        &mut self,
        id: DecisionId,
        file: FileId,
        decl: &ast::DecisionDecl,
    ) -> DecisionKind {
        let enumeration = EnumId::from_index(self.program.enums.len());
        let mut values: Vec<EnumValue> = Vec::new();
        for value in &decl.values {
            let location = Self::at(file, value.span);
            if let Some(first) = values.iter().find(|v| *v.name == *value.node) {
                let diagnostic = self.error(
                    Code::E0101,
                    format!(
                        "the value `{}` is listed twice in the decision `{}`",
                        value.node, decl.name.node
                    ),
                    location,
                    "listed again here",
                );
                let diagnostic = self.also(diagnostic, first.location, "first listed here");
                self.report(diagnostic.with_help(
                    "each value is listed once, in order from least to most restrictive",
                ));
                continue;
            }
            values.push(EnumValue {
                name: Arc::from(value.node.as_str()),
                description: None,
                location,
            });
        }
        self.program.enums.push(Enum {
            name: Arc::from(decl.name.node.as_str()),
            docs: Vec::new(),
            values,
            origin: EnumOrigin::DecisionValues(id),
            location: Self::at(file, decl.name.span),
        });
        DecisionKind::Ordered(enumeration)
    }

    /// Resolves a type written in a file.
    pub(crate) fn resolve_type(&mut self, file: FileId, ty: &ast::TypeExpr) -> ResolvedType {
        let (resolved, min_len) = match &ty.kind {
            ast::TypeKind::Named(name) => (self.resolve_type_name(file, name), None),
            ast::TypeKind::List { min, element } => {
                let element = self.resolve_type(file, element);
                (
                    Type::List(Box::new(element.ty)),
                    min.as_ref().map(|m| m.node),
                )
            }
            ast::TypeKind::Set(element) => {
                let element = self.resolve_type(file, element);
                (Type::Set(Box::new(element.ty)), None)
            }
        };
        ResolvedType {
            ty: resolved,
            optional: ty.optional,
            min_len,
        }
    }

    fn resolve_type_name(&mut self, file: FileId, name: &ast::Ident) -> Type {
        if let Some((_, ty)) = BUILTIN_TYPES.iter().find(|(n, _)| *n == name.node) {
            return ty.clone();
        }
        let location = Self::at(file, name.span);
        match self.lookup(file, &name.node) {
            Lookup::Found(Decl::Enum(id)) => Type::Enum(id),
            Lookup::Found(Decl::Record(id)) => Type::Record(id),
            Lookup::Found(Decl::Decision(id)) if self.decision_values_enum(id).is_some() => self
                .decision_values_enum(id)
                .map_or(Type::Error, Type::Enum),
            Lookup::Found(decl @ (Decl::Schema(_) | Decl::Decision(_) | Decl::Table(_))) => {
                let description = self.decl_description(decl);
                self.report(
                    self.error(Code::E0201, format!("`{}` is not a type", name.node), location, format!("this is {description}"))
                        .with_help("a type is a built-in type (`string`, `country`, `eccn`, ...), an `enum`, a `record`, or a decision declared with `values`"),
                );
                Type::Error
            }
            Lookup::NotImported(declared_in, decl) => {
                let diagnostic = self.not_imported(&name.node, location, declared_in, decl);
                self.report(diagnostic);
                Type::Error
            }
            Lookup::Ambiguous(candidates) => {
                let diagnostic = self.ambiguous(&name.node, location, &candidates);
                self.report(diagnostic);
                Type::Error
            }
            Lookup::NotFound => {
                let mut candidates: Vec<Arc<str>> =
                    BUILTIN_TYPES.iter().map(|(n, _)| Arc::from(*n)).collect();
                candidates.extend(self.visible_names(file).into_iter().filter(|n| {
                    matches!(
                        self.lookup(file, n),
                        Lookup::Found(Decl::Enum(_) | Decl::Record(_))
                    )
                }));
                let mut diagnostic = self.error(
                    Code::E0201,
                    format!("unknown type `{}`", name.node),
                    location,
                    "no type has this name",
                );
                diagnostic = match suggest::closest(&name.node, candidates.iter().map(|c| &**c)) {
                    Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                    None => diagnostic.with_help("declare it with `enum` or `record`, or use a built-in type: bool, integer, decimal, string, date, country, eccn"),
                };
                self.report(diagnostic);
                Type::Error
            }
        }
    }

    /// Checks a constant written in a file against the type it must have, and returns its
    /// value. Every problem is reported; `None` means the value is unusable.
    pub(crate) fn const_value(
        &mut self,
        file: FileId,
        expr: &ast::Expr,
        ty: &Type,
        context: ConstantContext<'_>,
    ) -> Option<Value> {
        let location = self.locate(file, expr.span);
        match (&expr.kind, ty) {
            (_, Type::Error) => None,
            (ast::ExprKind::Literal(ast::Literal::Bool(b)), Type::Bool) => Some(Value::Bool(*b)),
            (ast::ExprKind::Name(name), Type::Bool) if name.dotted() == "X" => {
                Some(Value::Bool(true))
            }
            (ast::ExprKind::Literal(ast::Literal::Integer(n)), Type::Integer) => {
                Some(Value::Integer(*n))
            }
            (ast::ExprKind::Literal(ast::Literal::Integer(n)), Type::Decimal) => {
                Some(Value::Decimal(Decimal::from_integer(*n)))
            }
            (ast::ExprKind::Literal(ast::Literal::Decimal(text)), Type::Decimal) => {
                let value = Decimal::parse(text);
                if value.is_none() {
                    self.report(
                        self.error(
                            Code::E0007,
                            format!("`{text}` is not a decimal Vigil can hold"),
                            location,
                            "too many places or too large",
                        )
                        .with_help("decimals have at most 9 places after the point"),
                    );
                }
                value.map(Value::Decimal)
            }
            (ast::ExprKind::Literal(ast::Literal::Date(date)), Type::Date) => {
                Some(Value::Date(*date))
            }
            (
                ast::ExprKind::Literal(ast::Literal::Str(template)),
                Type::String | Type::Country | Type::Eccn,
            ) => {
                let Some(text) = plain_text(template) else {
                    self.report(
                        self.error(Code::E0010, format!("a value cannot be quoted in {}", context.what), location, "a constant is needed here")
                            .with_help("write the value itself; `{...}` quotes a transaction's value only in conditions, outcomes and `because`"),
                    );
                    return None;
                };
                self.string_constant(&text, ty, location)
            }
            (ast::ExprKind::Name(name), Type::Enum(id)) if name.parts.len() == 1 => {
                self.enum_constant(&name.dotted(), *id, location)
            }
            (ast::ExprKind::Literal(ast::Literal::Str(template)), Type::Enum(id)) => {
                let enum_name = self
                    .program
                    .enumeration(*id)
                    .map_or_else(String::new, |e| e.name.to_string());
                let text = plain_text(template).unwrap_or_default();
                let is_value = self
                    .program
                    .enumeration(*id)
                    .and_then(|e| e.value_index(&text))
                    .is_some();
                let mut diagnostic = self.error(
                    context.mismatch,
                    format!(
                        "{} must be a value of `{enum_name}`, not a string",
                        context.what
                    ),
                    location,
                    "a string",
                );
                diagnostic = if is_value {
                    diagnostic
                        .with_help(format!("enum values are written without quotes: `{text}`"))
                } else {
                    diagnostic.with_help(format!(
                        "write one of the values of `{enum_name}`, without quotes"
                    ))
                };
                self.report(diagnostic);
                None
            }
            (ast::ExprKind::List(elements), Type::List(element) | Type::Set(element)) => {
                let mut values = Vec::new();
                for item in elements {
                    values.push(self.const_value(file, item, element, context)?);
                }
                if matches!(ty, Type::Set(_)) {
                    values.sort();
                    values.dedup();
                }
                Some(Value::List(Arc::from(values)))
            }
            _ => {
                let expected = self.program.type_name(ty);
                let (message, help) = match ty {
                    Type::Enum(_) => (
                        format!(
                            "{} must be a value of `{expected}`, not {}",
                            context.what,
                            describe_literal(expr)
                        ),
                        format!("write {}, without quotes", self.what_fits(ty)),
                    ),
                    _ => (
                        format!(
                            "{} must be a `{expected}`, not {}",
                            context.what,
                            describe_literal(expr)
                        ),
                        constant_help(ty),
                    ),
                };
                self.report(
                    self.error(
                        context.mismatch,
                        message,
                        location,
                        format!("expected a value of `{expected}`"),
                    )
                    .with_help(help),
                );
                None
            }
        }
    }

    /// What values fit a type, for help messages: "one of `a`, `b`, `c`" for an enumeration,
    /// "a `country`" otherwise.
    pub(crate) fn what_fits(&self, ty: &Type) -> String {
        if let Type::Enum(id) = ty {
            if let Some(enumeration) = self.program.enumeration(*id) {
                let names: Vec<String> = enumeration
                    .values
                    .iter()
                    .take(12)
                    .map(|v| format!("`{}`", v.name))
                    .collect();
                let more = if enumeration.values.len() > 12 {
                    ", ..."
                } else {
                    ""
                };
                return format!("one of {}{more}", names.join(", "));
            }
        }
        format!("a `{}`", self.program.type_name(ty))
    }

    /// A string literal read as a value of a type: a string, a country code or an ECCN.
    pub(crate) fn string_constant(
        &mut self,
        text: &str,
        ty: &Type,
        location: Location,
    ) -> Option<Value> {
        match ty {
            Type::Country => {
                match Country::parse(text) {
                    Some(country) => Some(Value::Country(country)),
                    None => {
                        let upper = text.to_ascii_uppercase();
                        let mut diagnostic = self.error(
                            Code::E0206,
                            format!("`{text}` is not a country code"),
                            location,
                            "not an ISO 3166-1 alpha-2 code",
                        );
                        diagnostic = if Country::parse(&upper).is_some() {
                            diagnostic.with_help(format!(
                                "country codes are written in capitals: `\"{upper}\"`"
                            ))
                        } else if text == "UK" {
                            diagnostic.with_help("the United Kingdom's code is `\"GB\"`")
                        } else {
                            diagnostic.with_help("write the two-letter ISO 3166-1 code, such as `\"CN\"` or `\"DE\"`")
                        };
                        self.report(diagnostic);
                        None
                    }
                }
            }
            Type::Eccn => match Eccn::parse(text) {
                Ok(eccn) => Some(Value::Eccn(eccn)),
                Err(error) => {
                    self.report(
                        self.error(
                            Code::E0207,
                            format!("`{text}` is not an ECCN"),
                            location,
                            "not an ECCN",
                        )
                        .with_help(error.describe()),
                    );
                    None
                }
            },
            _ => Some(Value::String(Arc::from(text))),
        }
    }

    /// A bare name read as a value of an enumeration.
    pub(crate) fn enum_constant(
        &mut self,
        name: &str,
        id: EnumId,
        location: Location,
    ) -> Option<Value> {
        let enumeration = self.program.enumeration(id)?;
        if let Some(index) = enumeration.value_index(name) {
            return Some(Value::Enum(index));
        }
        let diagnostic = self.unknown_enum_value(name, id, location);
        self.report(diagnostic);
        None
    }

    /// The diagnostic for a name that is not a value of an enumeration.
    pub(crate) fn unknown_enum_value(
        &self,
        name: &str,
        id: EnumId,
        location: Location,
    ) -> crate::diagnostic::Diagnostic {
        let Some(enumeration) = self.program.enumeration(id) else {
            return self.error(
                Code::E0205,
                format!("`{name}` is not a value"),
                location,
                "unknown value",
            );
        };
        let what = match enumeration.origin {
            EnumOrigin::Declared => format!("the enum `{}`", enumeration.name),
            EnumOrigin::DecisionValues(_) => format!("the decision `{}`", enumeration.name),
        };
        let mut diagnostic = self.error(
            Code::E0205,
            format!("`{name}` is not a value of {what}"),
            location,
            format!("not a value of `{}`", enumeration.name),
        );
        diagnostic = self.also(
            diagnostic,
            enumeration.location,
            "its values are declared here",
        );
        match suggest::closest(name, enumeration.values.iter().map(|v| &*v.name)) {
            Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
            None => {
                let values: Vec<&str> = enumeration
                    .values
                    .iter()
                    .map(|v| &*v.name)
                    .take(12)
                    .collect();
                let more = if enumeration.values.len() > 12 {
                    ", ..."
                } else {
                    ""
                };
                diagnostic.with_help(format!("the values are: {}{more}", values.join(", ")))
            }
        }
    }
}

fn contains_record(ty: &Type) -> bool {
    match ty {
        Type::Record(_) | Type::Row(_) => true,
        Type::List(element) | Type::Set(element) => contains_record(element),
        _ => false,
    }
}

/// How to write a constant of a type.
fn constant_help(ty: &Type) -> String {
    match ty {
        Type::Bool => "write `true` or `false` (in a table, `X` or `-`)".into(),
        Type::Integer => "write a whole number such as `24`".into(),
        Type::Decimal => "write a number such as `0.25`".into(),
        Type::String => "write text between double quotes".into(),
        Type::Date => "write a date as YYYY-MM-DD, without quotes".into(),
        Type::Country => "write a two-letter country code in quotes, such as `\"CN\"`".into(),
        Type::Eccn => "write an ECCN in quotes, such as `\"5A001.j\"` or `\"EAR99\"`".into(),
        Type::Enum(_) => "write one of the enum's values, without quotes".into(),
        Type::List(_) | Type::Set(_) => {
            "write a list in brackets, such as `[\"CN\", \"RU\"]`".into()
        }
        Type::Record(_) | Type::Row(_) | Type::Error => "write a value of the expected type".into(),
    }
}
