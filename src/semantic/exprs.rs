//! Checking conditions and values: names resolved against quantifier variables, the schema,
//! tables and decisions; every operator checked against its operands' types; enum values,
//! country codes and ECCNs validated; constant collections compiled into sets.

use std::sync::Arc;

use super::ir::*;
use super::{Context, Decl, Lookup};
use crate::diagnostic::{Code, Diagnostic};
use crate::suggest;
use crate::syntax::ast::{self, BinaryOp, CompareOp};

/// The names in scope while checking one rule's expressions.
pub(crate) struct Frame {
    pub file: FileId,
    /// Variables in scope, innermost last.
    pub scope: Vec<(Arc<str>, Slot)>,
    /// The rule's frame of slots.
    pub slots: Vec<SlotInfo>,
    /// Variables of the rule that are not in scope here: quantifier variables outside their
    /// quantifier, or not certainly bound when read by an outcome.
    pub unavailable: Vec<Arc<str>>,
}

impl Frame {
    pub fn new(file: FileId) -> Self {
        Frame {
            file,
            scope: Vec::new(),
            slots: Vec::new(),
            unavailable: Vec::new(),
        }
    }

    fn variable(&self, name: &str) -> Option<Slot> {
        self.scope
            .iter()
            .rev()
            .find(|(n, _)| &**n == name)
            .map(|(_, slot)| *slot)
    }
}

/// Whether two types can be compared or combined: equal, or numbers, or one of them already
/// in error.
pub(crate) fn compatible(a: &Type, b: &Type) -> bool {
    match (a, b) {
        (Type::Error, _) | (_, Type::Error) => true,
        (Type::Integer | Type::Decimal, Type::Integer | Type::Decimal) => true,
        (Type::List(x) | Type::Set(x), Type::List(y) | Type::Set(y)) => compatible(x, y),
        _ => a == b,
    }
}

/// The slots certainly bound when a `when` condition holds: those of `any` quantifiers reached
/// from the root through `and` and through the bodies of other such quantifiers.
pub(crate) fn witnesses(program: &Program, root: ExprId, out: &mut Vec<Slot>) {
    super::with_stack(|| witnesses_here(program, root, out));
}

fn witnesses_here(program: &Program, root: ExprId, out: &mut Vec<Slot>) {
    let Some(expr) = program.expr(root) else {
        return;
    };
    match &expr.kind {
        ExprKind::And(operands) => {
            for operand in operands.iter() {
                witnesses(program, *operand, out);
            }
        }
        ExprKind::Quantifier {
            kind: QuantifierKind::Any,
            slot,
            body,
            ..
        } => {
            out.push(*slot);
            witnesses(program, *body, out);
        }
        _ => {}
    }
}

impl<'a> Context<'a> {
    pub(crate) fn push_expr(&mut self, kind: ExprKind, ty: Type, location: Location) -> ExprId {
        let id = ExprId::from_index(self.program.exprs.len());
        self.program.exprs.push(Expr { kind, ty, location });
        id
    }

    pub(crate) fn type_of(&self, id: ExprId) -> Type {
        self.program.expr(id).map_or(Type::Error, |e| e.ty.clone())
    }

    /// An expression that stands for one already reported as wrong.
    fn poisoned(&mut self, location: Location) -> ExprId {
        self.push_expr(ExprKind::Const(Value::Missing), Type::Error, location)
    }

    /// Checks a condition: an expression that must be true or false.
    pub(crate) fn check_condition(&mut self, frame: &mut Frame, expr: &ast::Expr) -> ExprId {
        let id = self.check_expr(frame, expr, Some(&Type::Bool));
        let ty = self.type_of(id);
        if !compatible(&ty, &Type::Bool) {
            let location = self.locate(frame.file, expr.span);
            let shown = self.program.type_name(&ty);
            self.report(
                self.error(
                    Code::E0204,
                    "a condition must be true or false",
                    location,
                    format!("this is a `{shown}`"),
                )
                .with_help(
                    "compare it with something: `... is ...`, `... in ...`, `... is missing`",
                ),
            );
        }
        id
    }

    /// Checks an expression. `hint` is the type the context expects; it decides what bare
    /// names (enum values) and strings (country codes, ECCNs) mean.
    pub(crate) fn check_expr(
        &mut self,
        frame: &mut Frame,
        expr: &ast::Expr,
        hint: Option<&Type>,
    ) -> ExprId {
        super::with_stack(|| self.check_expr_here(frame, expr, hint))
    }

    fn check_expr_here(
        &mut self,
        frame: &mut Frame,
        expr: &ast::Expr,
        hint: Option<&Type>,
    ) -> ExprId {
        let location = self.locate(frame.file, expr.span);
        match &expr.kind {
            ast::ExprKind::Literal(literal) => self.check_literal(frame, literal, hint, location),
            ast::ExprKind::Name(name) => self.resolve_name(frame, name, hint),
            ast::ExprKind::List(elements) => {
                let element_hint = hint.and_then(Type::element).cloned();
                let mut ids = Vec::with_capacity(elements.len());
                let mut element_type = element_hint.clone().unwrap_or(Type::Error);
                for element in elements {
                    let id = self.check_expr(frame, element, element_hint.as_ref());
                    let ty = self.type_of(id);
                    if element_type == Type::Error {
                        element_type = ty;
                    } else if !compatible(&element_type, &ty) {
                        let expected = self.program.type_name(&element_type);
                        let found = self.program.type_name(&ty);
                        self.report(
                            self.error(
                                Code::E0203,
                                "the elements of a list must all have one type",
                                self.locate(frame.file, element.span),
                                format!("this is a `{found}`"),
                            )
                            .with_help(format!("the list holds `{expected}` values")),
                        );
                    }
                    ids.push(id);
                }
                let ty = Type::List(Box::new(element_type));
                let constants: Option<Vec<Value>> = ids
                    .iter()
                    .map(|id| {
                        self.program.expr(*id).and_then(|e| {
                            if let ExprKind::Const(v) = &e.kind {
                                Some(v.clone())
                            } else {
                                None
                            }
                        })
                    })
                    .collect();
                match constants {
                    Some(values) if !values.contains(&Value::Missing) => self.push_expr(
                        ExprKind::Const(Value::List(Arc::from(values))),
                        ty,
                        location,
                    ),
                    _ => self.push_expr(ExprKind::List(ids.into_boxed_slice()), ty, location),
                }
            }
            ast::ExprKind::Not(operand) => {
                let operand = self.check_condition(frame, operand);
                self.push_expr(ExprKind::Not(operand), Type::Bool, location)
            }
            ast::ExprKind::Binary {
                op: op @ (BinaryOp::And | BinaryOp::Or),
                lhs,
                rhs,
            } => {
                // Flatten chains of the same connective: `a and b and c` is one node. The chain
                // is walked with an explicit stack, not by recursion: a generated condition may
                // join thousands of terms.
                let mut pending: Vec<&ast::Expr> = vec![rhs, lhs];
                let mut operands = Vec::new();
                while let Some(side) = pending.pop() {
                    match &side.kind {
                        ast::ExprKind::Binary {
                            op: inner,
                            lhs,
                            rhs,
                        } if inner == op => {
                            pending.push(rhs);
                            pending.push(lhs);
                        }
                        _ => operands.push(self.check_condition(frame, side)),
                    }
                }
                let kind = if *op == BinaryOp::And {
                    ExprKind::And(operands.into_boxed_slice())
                } else {
                    ExprKind::Or(operands.into_boxed_slice())
                };
                self.push_expr(kind, Type::Bool, location)
            }
            ast::ExprKind::Binary { op, lhs, rhs } => {
                self.check_arithmetic(frame, *op, lhs, rhs, location)
            }
            ast::ExprKind::Compare { op, lhs, rhs } => {
                self.check_comparison(frame, *op, lhs, rhs, location)
            }
            ast::ExprKind::Presence {
                expr: operand,
                test,
            } => self.check_presence(frame, operand, *test, location),
            ast::ExprKind::Quantifier {
                kind,
                var,
                collection,
                body,
            } => self.check_quantifier(frame, *kind, var, collection, body, location),
            ast::ExprKind::Call { function, args } => {
                self.check_call(frame, function, args, location)
            }
        }
    }

    fn check_literal(
        &mut self,
        frame: &mut Frame,
        literal: &ast::Literal,
        hint: Option<&Type>,
        location: Location,
    ) -> ExprId {
        match literal {
            ast::Literal::Bool(b) => {
                self.push_expr(ExprKind::Const(Value::Bool(*b)), Type::Bool, location)
            }
            ast::Literal::Integer(n) => {
                self.push_expr(ExprKind::Const(Value::Integer(*n)), Type::Integer, location)
            }
            ast::Literal::Decimal(text) => match Decimal::parse(text) {
                Some(value) => self.push_expr(
                    ExprKind::Const(Value::Decimal(value)),
                    Type::Decimal,
                    location,
                ),
                None => {
                    self.report(
                        self.error(
                            Code::E0007,
                            format!("`{text}` is not a decimal Vigil can hold"),
                            location,
                            "too many places or too large",
                        )
                        .with_help("decimals have at most 9 places after the point"),
                    );
                    self.poisoned(location)
                }
            },
            ast::Literal::Date(date) => {
                self.push_expr(ExprKind::Const(Value::Date(*date)), Type::Date, location)
            }
            ast::Literal::Str(template) => {
                let Some(text) = super::types::plain_text(template) else {
                    let mut parts = Vec::new();
                    for part in &template.parts {
                        match part {
                            ast::TemplatePart::Text(text) => {
                                parts.push(TemplatePartExpr::Text(Arc::from(text.as_str())))
                            }
                            ast::TemplatePart::Value(name) => parts.push(TemplatePartExpr::Value(
                                self.resolve_name(frame, name, None),
                            )),
                        }
                    }
                    return self.push_expr(
                        ExprKind::Format(parts.into_boxed_slice()),
                        Type::String,
                        location,
                    );
                };
                match hint {
                    Some(ty @ (Type::Country | Type::Eccn)) => match self
                        .string_constant(&text, ty, location)
                    {
                        Some(value) => self.push_expr(ExprKind::Const(value), ty.clone(), location),
                        None => self.poisoned(location),
                    },
                    Some(Type::Enum(id)) => {
                        let enumeration = self.program.enumeration(*id);
                        let name = enumeration.map_or_else(String::new, |e| e.name.to_string());
                        let is_value = enumeration.and_then(|e| e.value_index(&text)).is_some();
                        let diagnostic = self.error(
                            Code::E0203,
                            format!("a string cannot be a value of `{name}`"),
                            location,
                            "a string",
                        );
                        let diagnostic = if is_value {
                            diagnostic.with_help(format!(
                                "enum values are written without quotes: `{text}`"
                            ))
                        } else {
                            diagnostic.with_help(format!(
                                "write one of the values of `{name}`, without quotes"
                            ))
                        };
                        self.report(diagnostic);
                        self.poisoned(location)
                    }
                    _ => self.push_expr(
                        ExprKind::Const(Value::String(Arc::from(text.as_str()))),
                        Type::String,
                        location,
                    ),
                }
            }
        }
    }

    /// Whether a name means something without a type hint: a variable, a schema field, a
    /// table or a decision. A bare name that does not is read as an enum value of the other
    /// operand.
    fn name_stands_alone(&self, frame: &Frame, name: &ast::QualifiedName) -> bool {
        let Some(first) = name.parts.first() else {
            return false;
        };
        frame.variable(&first.node).is_some()
            || self.schema_field(frame.file, &first.node).is_some()
            || matches!(
                self.lookup(frame.file, &first.node),
                Lookup::Found(Decl::Table(_) | Decl::Decision(_))
            )
    }

    /// Whether an operand takes its meaning from the other operand's type.
    fn needs_hint(&self, frame: &Frame, expr: &ast::Expr) -> bool {
        match &expr.kind {
            ast::ExprKind::Literal(ast::Literal::Str(_)) | ast::ExprKind::List(_) => true,
            ast::ExprKind::Name(name) => {
                name.parts.len() == 1 && !self.name_stands_alone(frame, name)
            }
            _ => false,
        }
    }

    /// The position of a field of the visible schema.
    fn schema_field(&self, file: FileId, name: &str) -> Option<u16> {
        if !self.schema_visible(file) {
            return None;
        }
        self.program
            .schema
            .and_then(|s| self.program.record(s))
            .and_then(|r| r.field_index(name))
    }

    /// Resolves a name or path in an expression.
    pub(crate) fn resolve_name(
        &mut self,
        frame: &mut Frame,
        name: &ast::QualifiedName,
        hint: Option<&Type>,
    ) -> ExprId {
        let location = self.locate(frame.file, name.span);
        let Some(first) = name.parts.first() else {
            return self.poisoned(location);
        };
        let rest = name.parts.get(1..).unwrap_or(&[]);
        if rest.is_empty() {
            if let Some(Type::Enum(id)) = hint {
                if let Some(index) = self
                    .program
                    .enumeration(*id)
                    .and_then(|e| e.value_index(&first.node))
                {
                    return self.push_expr(
                        ExprKind::Const(Value::Enum(index)),
                        Type::Enum(*id),
                        location,
                    );
                }
            }
        }
        if let Some(slot) = frame.variable(&first.node) {
            let ty = frame
                .slots
                .get(slot.index())
                .map_or(Type::Error, |s| s.ty.clone());
            return self.walk_path(frame, PathRoot::Slot(slot), ty, &first.node, rest, location);
        }
        // A quantifier's variable read outside its quantifier: fields, tables and decisions of
        // the same name still mean themselves, but a type or nothing at all means the author
        // meant the variable.
        let unbound = frame.unavailable.iter().any(|n| **n == *first.node)
            && matches!(
                self.lookup(frame.file, &first.node),
                Lookup::NotFound | Lookup::Found(Decl::Enum(_) | Decl::Record(_) | Decl::Schema(_))
            )
            && self.schema_field(frame.file, &first.node).is_none();
        if unbound {
            let diagnostic =
                self.unbound_variable(&first.node, self.locate(frame.file, first.span));
            self.report(diagnostic);
            return self.poisoned(location);
        }
        if rest.is_empty() && hint == Some(&Type::Error) && !self.name_stands_alone(frame, name) {
            // The other operand is already in error, so this is probably one of its enum
            // values: one report is enough.
            return self.poisoned(location);
        }
        if self.schema_field(frame.file, &first.node).is_some() {
            let schema = self.program.schema.map_or(Type::Error, Type::Record);
            return self.walk_path(
                frame,
                PathRoot::Transaction,
                schema,
                "",
                &name.parts,
                location,
            );
        }
        match self.lookup(frame.file, &first.node) {
            Lookup::Found(Decl::Table(table)) => {
                self.table_reference(frame, table, first, rest, location)
            }
            Lookup::Found(Decl::Decision(decision)) => {
                if let Some(field) = rest.first() {
                    self.report(
                        self.error(
                            Code::E0202,
                            format!("the decision `{}` has no fields", first.node),
                            self.locate(frame.file, field.span),
                            "no field here",
                        )
                        .with_help(format!(
                            "compare the decision's value: `{} is ...`",
                            first.node
                        )),
                    );
                    return self.poisoned(location);
                }
                let ty = self
                    .program
                    .decision(decision)
                    .map_or(Type::Error, |d| d.value_type.clone());
                self.push_expr(ExprKind::Decision(decision), ty, location)
            }
            Lookup::Found(decl) => {
                let description = self.decl_description(decl);
                self.report(
                    self.error(Code::E0109, format!("`{}` is a type, not a value", first.node), location, format!("this is {description}"))
                        .with_help("a condition reads fields of the transaction (`party.kind`), variables, tables and decisions"),
                );
                self.poisoned(location)
            }
            Lookup::NotImported(declared_in, decl) => {
                let diagnostic = self.not_imported(&first.node, location, declared_in, decl);
                self.report(diagnostic);
                self.poisoned(location)
            }
            Lookup::Ambiguous(candidates) => {
                let diagnostic = self.ambiguous(&first.node, location, &candidates);
                self.report(diagnostic);
                self.poisoned(location)
            }
            Lookup::NotFound => {
                let diagnostic = self.unknown_name(
                    frame,
                    &first.node,
                    rest.is_empty(),
                    hint,
                    self.locate(frame.file, first.span),
                );
                self.report(diagnostic);
                self.poisoned(location)
            }
        }
    }

    /// The diagnostic for a quantifier's variable read where it is not bound.
    fn unbound_variable(&self, name: &str, location: Location) -> Diagnostic {
        self.error(Code::E0107, format!("the variable `{name}` is not bound here"), location, "not bound at this point")
            .with_help("a quantifier's variable is visible in its `where` condition; `then` and `because` see only the variables of `any` quantifiers joined to the `when` condition by `and`")
    }

    /// The diagnostic for a name that means nothing here.
    fn unknown_name(
        &self,
        frame: &Frame,
        name: &str,
        bare: bool,
        hint: Option<&Type>,
        location: Location,
    ) -> Diagnostic {
        if let Some(schema) = self.program.schema {
            let schema_has_it = self
                .program
                .record(schema)
                .and_then(|r| r.field_index(name))
                .is_some();
            if schema_has_it && !self.schema_visible(frame.file) {
                if let Some(schema_file) = self.schema_file {
                    return self.not_imported(name, location, schema_file, Decl::Schema(schema));
                }
            }
        }
        if bare {
            if let Some(Type::Enum(id)) = hint {
                return self.unknown_enum_value(name, *id, location);
            }
        }
        let mut candidates: Vec<Arc<str>> = frame.scope.iter().map(|(n, _)| n.clone()).collect();
        if self.schema_visible(frame.file) {
            if let Some(record) = self.program.schema.and_then(|s| self.program.record(s)) {
                candidates.extend(record.fields.iter().map(|f| f.name.clone()));
            }
        }
        candidates.extend(self.visible_names(frame.file).into_iter().filter(|n| {
            matches!(
                self.lookup(frame.file, n),
                Lookup::Found(Decl::Table(_) | Decl::Decision(_))
            )
        }));
        let diagnostic = self.error(
            Code::E0102,
            format!("unknown name `{name}`"),
            location,
            "nothing of this name is visible here",
        );
        match suggest::closest(name, candidates.iter().map(|c| &**c)) {
            Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
            None => diagnostic.with_help("a condition can read fields of the transaction schema, quantifier variables, tables and decisions; declare the table or decision, or import the file that does"),
        }
    }

    /// A table, or one of its columns, named in an expression.
    fn table_reference(
        &mut self,
        frame: &Frame,
        table: TableId,
        first: &ast::Ident,
        rest: &[ast::Ident],
        location: Location,
    ) -> ExprId {
        match rest {
            [] => self.push_expr(
                ExprKind::Table(table),
                Type::List(Box::new(Type::Row(table))),
                location,
            ),
            [column_name] => {
                let Some(found) = self.program.table(table) else {
                    return self.poisoned(location);
                };
                match found.column_index(&column_name.node) {
                    Some(column) => {
                        let ty = found
                            .columns
                            .get(usize::from(column))
                            .map_or(Type::Error, |c| c.ty.clone());
                        self.push_expr(
                            ExprKind::Column { table, column },
                            Type::List(Box::new(ty)),
                            location,
                        )
                    }
                    None => {
                        let names: Vec<&str> = found.columns.iter().map(|c| &*c.name).collect();
                        let mut diagnostic = self.error(
                            Code::E0202,
                            format!(
                                "the table `{}` has no column `{}`",
                                first.node, column_name.node
                            ),
                            self.locate(frame.file, column_name.span),
                            "no such column",
                        );
                        diagnostic =
                            self.also(diagnostic, found.location, "the table is declared here");
                        diagnostic =
                            match suggest::closest(&column_name.node, names.iter().copied()) {
                                Some(close) => diagnostic
                                    .with_help(format!("did you mean `{}.{close}`?", first.node)),
                                None => diagnostic
                                    .with_help(format!("its columns are: {}", names.join(", "))),
                            };
                        self.report(diagnostic);
                        self.poisoned(location)
                    }
                }
            }
            [_, extra, ..] => {
                self.report(
                    self.error(Code::E0202, format!("a column of `{}` has no fields", first.node), self.locate(frame.file, extra.span), "nothing to read here")
                        .with_help("`TABLE.COLUMN` is the collection of the column's values; to read a row's cell, bind the row with `any row in TABLE where row.COLUMN ...`"),
                );
                self.poisoned(location)
            }
        }
    }

    /// Follows a path of field names from a value of type `ty`.
    fn walk_path(
        &mut self,
        frame: &Frame,
        root: PathRoot,
        mut ty: Type,
        root_name: &str,
        parts: &[ast::Ident],
        location: Location,
    ) -> ExprId {
        let mut fields = Vec::with_capacity(parts.len());
        let mut may_be_missing = false;
        let mut written = root_name.to_string();
        for part in parts {
            let part_location = self.locate(frame.file, part.span);
            let shown = if written.is_empty() {
                "the transaction".to_string()
            } else {
                format!("`{written}`")
            };
            let step = match &ty {
                Type::Error => return self.poisoned(location),
                Type::Record(record) => self.program.record(*record).map(|r| {
                    let found = r.field_index(&part.node).and_then(|i| {
                        r.fields
                            .get(usize::from(i))
                            .map(|f| (i, f.ty.clone(), f.optional))
                    });
                    (
                        found,
                        r.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
                        r.location,
                        format!("`{}`", r.name),
                    )
                }),
                Type::Row(table) => self.program.table(*table).map(|t| {
                    let found = t.column_index(&part.node).and_then(|i| {
                        t.columns
                            .get(usize::from(i))
                            .map(|c| (i, c.ty.clone(), c.optional))
                    });
                    (
                        found,
                        t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
                        t.location,
                        format!("a row of `{}`", t.name),
                    )
                }),
                other => {
                    let type_name = self.program.type_name(other);
                    let help = match other {
                        Type::List(element) | Type::Set(element) => {
                            let singular = singular(&written);
                            format!(
                                "{shown} holds several `{}` values; test them with a quantifier: `any {singular} in {written} where {singular}.{} ...`",
                                self.program.type_name(element),
                                part.node
                            )
                        }
                        _ => format!("{shown} is a value, not a record"),
                    };
                    self.report(
                        self.error(
                            Code::E0202,
                            format!(
                                "{shown} is a `{type_name}` and has no field `{}`",
                                part.node
                            ),
                            part_location,
                            "no field here",
                        )
                        .with_help(help),
                    );
                    return self.poisoned(location);
                }
            };
            let Some((found, names, declared, owner)) = step else {
                return self.poisoned(location);
            };
            match found {
                Some((index, field_ty, optional)) => {
                    fields.push(index);
                    may_be_missing |= optional;
                    ty = field_ty;
                }
                None => {
                    let prefix = if written.is_empty() {
                        String::new()
                    } else {
                        format!("{written}.")
                    };
                    let mut diagnostic = self.error(
                        Code::E0202,
                        format!("{owner} has no field `{}`", part.node),
                        part_location,
                        format!("not a field of {owner}"),
                    );
                    diagnostic = self.also(diagnostic, declared, "declared here");
                    diagnostic = match suggest::closest(&part.node, names.iter().map(|n| &**n)) {
                        Some(close) => {
                            diagnostic.with_help(format!("did you mean `{prefix}{close}`?"))
                        }
                        None => {
                            let shown: Vec<&str> = names.iter().map(|n| &**n).collect();
                            diagnostic.with_help(format!("the fields are: {}", shown.join(", ")))
                        }
                    };
                    self.report(diagnostic);
                    return self.poisoned(location);
                }
            }
            if !written.is_empty() {
                written.push('.');
            }
            written.push_str(&part.node);
        }
        let path = Path {
            root,
            fields: fields.into_boxed_slice(),
            may_be_missing,
        };
        self.push_expr(ExprKind::Path(path), ty, location)
    }

    fn check_arithmetic(
        &mut self,
        frame: &mut Frame,
        op: BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        location: Location,
    ) -> ExprId {
        let left = self.check_expr(frame, lhs, None);
        let right = self.check_expr(frame, rhs, None);
        let (lt, rt) = (self.type_of(left), self.type_of(right));
        let op = match op {
            BinaryOp::Add => ArithmeticOp::Add,
            BinaryOp::Sub => ArithmeticOp::Sub,
            BinaryOp::Mul => ArithmeticOp::Mul,
            _ => ArithmeticOp::Div,
        };
        let ty = match (&lt, &rt, op) {
            (Type::Error, _, _) | (_, Type::Error, _) => Type::Error,
            (Type::Integer, Type::Integer, ArithmeticOp::Div) => Type::Decimal,
            (Type::Integer, Type::Integer, _) => Type::Integer,
            (Type::Integer | Type::Decimal, Type::Integer | Type::Decimal, _) => Type::Decimal,
            (Type::Date, Type::Integer, ArithmeticOp::Add | ArithmeticOp::Sub)
            | (Type::Integer, Type::Date, ArithmeticOp::Add) => Type::Date,
            (Type::Date, Type::Date, ArithmeticOp::Sub) => Type::Integer,
            _ => {
                let symbol = match op {
                    ArithmeticOp::Add => "+",
                    ArithmeticOp::Sub => "-",
                    ArithmeticOp::Mul => "*",
                    ArithmeticOp::Div => "/",
                };
                let (l, r) = (self.program.type_name(&lt), self.program.type_name(&rt));
                self.report(
                    self.error(Code::E0203, format!("`{symbol}` cannot combine a `{l}` and a `{r}`"), location, format!("`{l}` {symbol} `{r}`"))
                        .with_help("arithmetic works on whole numbers and decimals; a date plus or minus a number of days is a date, and a date minus a date is a number of days"),
                );
                Type::Error
            }
        };
        self.push_expr(
            ExprKind::Arithmetic {
                op,
                lhs: left,
                rhs: right,
            },
            ty,
            location,
        )
    }

    fn check_comparison(
        &mut self,
        frame: &mut Frame,
        op: CompareOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        location: Location,
    ) -> ExprId {
        // Type the operand that means something on its own first; the other takes its meaning
        // (enum values, country codes, ECCNs) from it.
        let (left, right) = if self.needs_hint(frame, lhs) && !self.needs_hint(frame, rhs) {
            let right = self.check_expr(frame, rhs, None);
            let hint = left_hint(op, &self.type_of(right));
            let left = self.check_expr(frame, lhs, hint.as_ref());
            (left, right)
        } else {
            let left = self.check_expr(frame, lhs, None);
            let hint = right_hint(op, &self.type_of(left), rhs);
            let right = self.check_expr(frame, rhs, hint.as_ref());
            (left, right)
        };
        let (lt, rt) = (self.type_of(left), self.type_of(right));
        let (l, r) = (self.program.type_name(&lt), self.program.type_name(&rt));
        let mismatch = |context: &Self, message: String, help: &str| {
            context
                .error(
                    Code::E0203,
                    message,
                    location,
                    format!("a `{l}` and a `{r}`"),
                )
                .with_help(help.to_string())
        };
        let comparison = match op {
            CompareOp::Is | CompareOp::Eq => Some(Comparison::Eq),
            CompareOp::IsNot | CompareOp::Ne => Some(Comparison::Ne),
            CompareOp::Lt | CompareOp::Before => Some(Comparison::Lt),
            CompareOp::Le | CompareOp::OnOrBefore => Some(Comparison::Le),
            CompareOp::Gt | CompareOp::After => Some(Comparison::Gt),
            CompareOp::Ge | CompareOp::OnOrAfter => Some(Comparison::Ge),
            _ => None,
        };
        match op {
            CompareOp::Is | CompareOp::IsNot | CompareOp::Eq | CompareOp::Ne => {
                if !compatible(&lt, &rt) {
                    let diagnostic = mismatch(
                        self,
                        format!(
                            "`{}` compares values of one type, not a `{l}` with a `{r}`",
                            op.as_str()
                        ),
                        "compare the value with a value of the same type",
                    );
                    self.report(diagnostic);
                }
            }
            CompareOp::Lt | CompareOp::Le | CompareOp::Gt | CompareOp::Ge => {
                let ordered_enum = |ty: &Type| match ty {
                    Type::Enum(id) => self
                        .program
                        .enumeration(*id)
                        .is_some_and(|e| matches!(e.origin, EnumOrigin::DecisionValues(_))),
                    _ => false,
                };
                let fine = matches!((&lt, &rt), (Type::Error, _) | (_, Type::Error))
                    || (lt.is_numeric() && rt.is_numeric())
                    || (lt == Type::Date && rt == Type::Date)
                    || (lt == rt && ordered_enum(&lt));
                if !fine {
                    let diagnostic = mismatch(self, format!("`{}` orders numbers or dates, not a `{l}` and a `{r}`", op.as_str()), "order compares whole numbers, decimals, dates, or the values of a decision's `values` (least restrictive first)");
                    self.report(diagnostic);
                }
            }
            CompareOp::Before | CompareOp::After | CompareOp::OnOrBefore | CompareOp::OnOrAfter => {
                let fine = matches!(
                    (&lt, &rt),
                    (Type::Error | Type::Date, Type::Error | Type::Date)
                );
                if !fine {
                    let diagnostic = mismatch(
                        self,
                        format!("`{}` compares dates, not a `{l}` and a `{r}`", op.as_str()),
                        "write a date as YYYY-MM-DD, or compare numbers with `<`, `>`, `<=`, `>=`",
                    );
                    self.report(diagnostic);
                }
            }
            CompareOp::In | CompareOp::NotIn => {
                let collection = self.as_collection(right, rhs);
                let element = self
                    .type_of(collection)
                    .element()
                    .cloned()
                    .unwrap_or(Type::Error);
                if !compatible(&lt, &element) {
                    let e = self.program.type_name(&element);
                    self.report(
                        self.error(
                            Code::E0203,
                            format!("a `{l}` cannot be in a collection of `{e}`"),
                            location,
                            format!("a `{l}` tested against `{e}` values"),
                        )
                        .with_help(
                            "test a value against a list, a set or a table column of the same type",
                        ),
                    );
                }
                let collection = self.collection(collection, &element);
                let kind = ExprKind::In {
                    negated: op == CompareOp::NotIn,
                    element: left,
                    collection,
                };
                return self.push_expr(kind, Type::Bool, location);
            }
            CompareOp::Within | CompareOp::NotWithin => {
                if !matches!(lt, Type::Eccn | Type::Error) {
                    self.report(
                        self.error(Code::E0203, format!("`within` tests an ECCN, not a `{l}`"), self.locate(frame.file, lhs.span), format!("this is a `{l}`"))
                            .with_help("`within` follows the Commerce Control List hierarchy: `item.eccn within \"5A001\"`"),
                    );
                }
                let scope = if matches!(rt, Type::Eccn | Type::Error) {
                    right
                } else {
                    self.as_collection(right, rhs)
                };
                let scope_type = self.type_of(scope);
                let fine = match &scope_type {
                    Type::Eccn | Type::Error => true,
                    Type::List(element) | Type::Set(element) => {
                        matches!(**element, Type::Eccn | Type::Error)
                    }
                    _ => false,
                };
                if !fine {
                    let s = self.program.type_name(&scope_type);
                    self.report(
                        self.error(Code::E0203, format!("`within` needs an ECCN or a collection of ECCNs, not a `{s}`"), self.locate(frame.file, rhs.span), format!("this is a `{s}`"))
                            .with_help("write an ECCN (`\"5A001\"`), a list of them, or a table column of type `eccn`"),
                    );
                }
                let collection = self.collection(scope, &Type::Eccn);
                let kind = ExprKind::Within {
                    negated: op == CompareOp::NotWithin,
                    eccn: left,
                    scope: collection,
                };
                return self.push_expr(kind, Type::Bool, location);
            }
            CompareOp::Matches => {
                return self.check_matches(frame, left, right, lhs, rhs, location)
            }
        }
        let kind = ExprKind::Compare {
            op: comparison.unwrap_or(Comparison::Eq),
            lhs: left,
            rhs: right,
        };
        self.push_expr(kind, Type::Bool, location)
    }

    /// The operand of `in` as a collection: a whole table stands for its only column.
    fn as_collection(&mut self, id: ExprId, written: &ast::Expr) -> ExprId {
        let Some(expr) = self.program.expr(id) else {
            return id;
        };
        let ExprKind::Table(table) = expr.kind else {
            if !matches!(expr.ty, Type::List(_) | Type::Set(_) | Type::Error) {
                let shown = self.program.type_name(&expr.ty);
                let at = expr.location;
                self.report(
                    self.error(
                        Code::E0203,
                        format!("`in` needs a list, a set or a table column, not a `{shown}`"),
                        at,
                        format!("this is a `{shown}`"),
                    )
                    .with_help("to compare two values, write `is`"),
                );
                return self.poisoned(at);
            }
            return id;
        };
        let expr_location = expr.location;
        let Some(found) = self.program.table(table) else {
            return id;
        };
        if let [column] = found.columns.as_slice() {
            let ty = Type::List(Box::new(column.ty.clone()));
            return self.push_expr(ExprKind::Column { table, column: 0 }, ty, expr_location);
        }
        let names: Vec<String> = found
            .columns
            .iter()
            .map(|c| format!("`{}.{}`", found.name, c.name))
            .collect();
        let table_location = found.location;
        let diagnostic = self.error(
            Code::E0309,
            format!(
                "the table `{}` has {} columns, so it is not clear which one to look in",
                found.name,
                found.columns.len()
            ),
            Self::at(expr_location.file, written.span),
            "a table with several columns",
        );
        let diagnostic = self.also(diagnostic, table_location, "declared here");
        self.report(diagnostic.with_help(format!("name the column: {}", names.join(", "))));
        self.poisoned(expr_location)
    }

    /// A collection operand: compiled into a constant set when its values are known now.
    fn collection(&mut self, id: ExprId, element: &Type) -> Collection {
        match self.constant_set(id, element) {
            Some(set) => Collection::Constant { set, source: id },
            None => Collection::Expr(id),
        }
    }

    fn check_matches(
        &mut self,
        frame: &Frame,
        left: ExprId,
        right: ExprId,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        location: Location,
    ) -> ExprId {
        let (lt, rt) = (self.type_of(left), self.type_of(right));
        let string_list = Type::List(Box::new(Type::String));
        let party = match &lt {
            Type::Record(record) => self.program.record(*record).and_then(|r| {
                let name = r.field_index("name").filter(|i| {
                    r.fields
                        .get(usize::from(*i))
                        .is_some_and(|f| f.ty == Type::String)
                })?;
                let aliases = r.field_index("aliases").filter(|i| {
                    r.fields
                        .get(usize::from(*i))
                        .is_some_and(|f| f.ty == string_list)
                });
                Some((name, aliases))
            }),
            _ => None,
        };
        let entry = match &rt {
            Type::Row(table) => self.program.table(*table).and_then(|t| {
                let name = t.column_index("name").filter(|i| {
                    t.columns
                        .get(usize::from(*i))
                        .is_some_and(|c| c.ty == Type::String)
                })?;
                let aliases = t.column_index("aliases").filter(|i| {
                    t.columns
                        .get(usize::from(*i))
                        .is_some_and(|c| c.ty == string_list)
                });
                Some((*table, name, aliases))
            }),
            _ => None,
        };
        if party.is_none() && lt != Type::Error {
            let shown = self.program.type_name(&lt);
            self.report(
                self.error(Code::E0203, format!("`matches` screens a party, not a `{shown}`"), self.locate(frame.file, lhs.span), format!("this is a `{shown}`"))
                    .with_help("the left side is a record with a `name: string` field (and optionally `aliases: list of string`), such as a `party`"),
            );
        }
        if entry.is_none() && rt != Type::Error {
            let shown = self.program.type_name(&rt);
            self.report(
                self.error(Code::E0203, format!("`matches` screens against a row of a screening table, not a `{shown}`"), self.locate(frame.file, rhs.span), format!("this is a `{shown}`"))
                    .with_help("bind a row of a table with a `name: string` column (and optionally `aliases: list of string`): `any entry in entity_list where party matches entry`"),
            );
        }
        match (party, entry) {
            (Some((party_name, party_aliases)), Some((table, entry_name, entry_aliases))) => {
                if let Some(t) = self.program.tables.get_mut(table.index()) {
                    t.screening = true;
                }
                let shape = MatchShape {
                    party_name,
                    party_aliases,
                    table,
                    entry_name,
                    entry_aliases,
                };
                self.push_expr(
                    ExprKind::Matches {
                        party: left,
                        entry: right,
                        shape,
                    },
                    Type::Bool,
                    location,
                )
            }
            _ => self.push_expr(ExprKind::Const(Value::Missing), Type::Bool, location),
        }
    }

    fn check_presence(
        &mut self,
        frame: &mut Frame,
        operand: &ast::Expr,
        test: PresenceTest,
        location: Location,
    ) -> ExprId {
        let value = self.check_expr(frame, operand, None);
        let Some(expr) = self.program.expr(value) else {
            return self.poisoned(location);
        };
        let operand_location = expr.location;
        match test {
            PresenceTest::Missing | PresenceTest::NotMissing => {
                let optional = match &expr.kind {
                    ExprKind::Path(path) => path.may_be_missing,
                    _ => expr.ty == Type::Error,
                };
                if !optional {
                    let written = self.program.source_text(operand_location).to_string();
                    self.report(
                        self.error(Code::E0208, format!("`{written}` is never missing"), operand_location, "not an optional field")
                            .with_help("only fields declared `optional` in the schema can be missing; a transaction without this field is rejected, or reads as its `default`"),
                    );
                }
            }
            PresenceTest::Empty | PresenceTest::NotEmpty => {
                if !matches!(expr.ty, Type::List(_) | Type::Set(_) | Type::Error) {
                    let shown = self.program.type_name(&expr.ty);
                    self.report(
                        self.error(Code::E0208, format!("a `{shown}` cannot be empty"), operand_location, format!("this is a `{shown}`"))
                            .with_help("`is empty` tests a list or a set; for an optional value, write `is missing`"),
                    );
                }
            }
        }
        self.push_expr(ExprKind::Presence { value, test }, Type::Bool, location)
    }

    fn check_quantifier(
        &mut self,
        frame: &mut Frame,
        kind: QuantifierKind,
        var: &ast::Ident,
        collection: &ast::QualifiedName,
        body: &ast::Expr,
        location: Location,
    ) -> ExprId {
        let collection_id = self.resolve_name(frame, collection, None);
        let collection_type = self.type_of(collection_id);
        let element = match &collection_type {
            Type::List(element) | Type::Set(element) => (**element).clone(),
            Type::Error => Type::Error,
            other => {
                let shown = self.program.type_name(other);
                self.report(
                    self.error(
                        Code::E0209,
                        format!("`{}` is a `{shown}`, not a collection", collection.dotted()),
                        self.locate(frame.file, collection.span),
                        "nothing to go through",
                    )
                    .with_help("`any`, `every` and `no` go through a list, a set or a table"),
                );
                Type::Error
            }
        };
        let slot = Slot(u16::try_from(frame.slots.len()).unwrap_or(u16::MAX));
        let name: Arc<str> = Arc::from(var.node.as_str());
        frame.slots.push(SlotInfo {
            name: name.clone(),
            ty: element,
            binder: ExprId(u32::MAX),
        });
        frame.scope.push((name.clone(), slot));
        let body = self.check_condition(frame, body);
        frame.scope.pop();
        if !frame.unavailable.contains(&name) {
            frame.unavailable.push(name);
        }
        let id = self.push_expr(
            ExprKind::Quantifier {
                kind,
                slot,
                collection: collection_id,
                body,
            },
            Type::Bool,
            location,
        );
        if let Some(info) = frame.slots.get_mut(slot.index()) {
            info.binder = id;
        }
        id
    }

    fn check_call(
        &mut self,
        frame: &mut Frame,
        function: &ast::Ident,
        args: &[ast::Expr],
        location: Location,
    ) -> ExprId {
        let Some((_, builtin)) = Builtin::ALL.iter().find(|(name, _)| *name == function.node)
        else {
            let diagnostic = self.error(
                Code::E0108,
                format!("unknown function `{}`", function.node),
                self.locate(frame.file, function.span),
                "no function of this name",
            );
            let diagnostic =
                match suggest::closest(&function.node, Builtin::ALL.iter().map(|(n, _)| *n)) {
                    Some(close) => diagnostic.with_help(format!("did you mean `{close}`?")),
                    None => diagnostic.with_help("the built-in functions are: count"),
                };
            self.report(diagnostic);
            for arg in args {
                self.check_expr(frame, arg, None);
            }
            return self.poisoned(location);
        };
        let ids: Vec<ExprId> = args
            .iter()
            .map(|arg| self.check_expr(frame, arg, None))
            .collect();
        match builtin {
            Builtin::Count => {
                let fits = ids.len() == 1
                    && ids.first().is_some_and(|id| {
                        matches!(
                            self.type_of(*id),
                            Type::List(_) | Type::Set(_) | Type::Error
                        )
                    });
                if !fits {
                    self.report(
                        self.error(
                            Code::E0210,
                            "`count` takes one list, set or table",
                            location,
                            plural(ids.len(), "argument given", "arguments given"),
                        )
                        .with_help("write `count(items)`"),
                    );
                    return self.poisoned(location);
                }
            }
        }
        self.push_expr(
            ExprKind::Call {
                function: *builtin,
                args: ids.into_boxed_slice(),
            },
            Type::Integer,
            location,
        )
    }
}

/// The type hint for the right operand of a comparison, from the left one's type.
fn right_hint(op: CompareOp, left: &Type, written: &ast::Expr) -> Option<Type> {
    match op {
        CompareOp::In | CompareOp::NotIn => Some(Type::List(Box::new(left.clone()))),
        CompareOp::Within | CompareOp::NotWithin => {
            if matches!(written.kind, ast::ExprKind::Literal(ast::Literal::Str(_))) {
                Some(Type::Eccn)
            } else {
                Some(Type::List(Box::new(Type::Eccn)))
            }
        }
        CompareOp::Matches => None,
        _ => Some(left.clone()),
    }
}

/// The type hint for the left operand of a comparison, from the right one's type.
fn left_hint(op: CompareOp, right: &Type) -> Option<Type> {
    match op {
        CompareOp::In | CompareOp::NotIn => match right {
            Type::List(element) | Type::Set(element) => match &**element {
                Type::Row(_) => None,
                other => Some(other.clone()),
            },
            _ => None,
        },
        CompareOp::Within | CompareOp::NotWithin => Some(Type::Eccn),
        CompareOp::Matches => None,
        _ => Some(right.clone()),
    }
}

/// A guess at the singular of a collection's name, for the quantifier in a help message.
fn singular(plural: &str) -> String {
    let last = plural.rsplit('.').next().unwrap_or(plural);
    if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if let Some(stem) = last.strip_suffix('s') {
        stem.to_string()
    } else {
        "x".to_string()
    }
}

/// `1 argument`, `2 arguments`.
pub(crate) fn plural(count: usize, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}
