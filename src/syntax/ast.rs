//! The abstract syntax tree: what a policy file says, with a byte span on every node.
//!
//! The tree is owned and free of pest types. Optional clauses are `Option`s and repeated ones
//! `Vec`s, in the order the language documents them, so a canonical layout can be printed from
//! the tree alone.

use crate::date::Date;
use crate::source::{Span, Spanned};

/// A name: `cc1_license`.
pub type Ident = Spanned<String>;

/// A plain string, with its escapes resolved.
pub type Str = Spanned<String>;

/// A date literal.
pub type DateLit = Spanned<Date>;

/// A dotted name: `bis.crime_control.cc1_license`, `party.name`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    pub parts: Vec<Ident>,
    pub span: Span,
}

impl QualifiedName {
    /// The name as written, with dots.
    pub fn dotted(&self) -> String {
        let parts: Vec<&str> = self.parts.iter().map(|p| p.node.as_str()).collect();
        parts.join(".")
    }
}

/// Everything one file declares, in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Import(Import),
    Policy(Policy),
    Schema(RecordDecl),
    Record(RecordDecl),
    Enum(EnumDecl),
    Decision(DecisionDecl),
    Table(TableDecl),
    Test(TestDecl),
}

/// `import "path.vigil"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Import {
    pub path: Str,
    pub span: Span,
}

/// Documentation text: the regulation's words next to the rule that encodes them.
#[derive(Clone, Debug, PartialEq)]
pub struct Doc {
    pub text: String,
    /// Whether it was written between triple quotes.
    pub block: bool,
    pub span: Span,
}

/// `policy NAME ... end`: rules grouped under one authority and citation.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: QualifiedName,
    pub title: Option<Str>,
    pub authority: Option<Str>,
    pub cite: Option<Str>,
    pub effective: Option<DateLit>,
    pub until: Option<DateLit>,
    pub docs: Vec<Doc>,
    pub members: Vec<Member>,
    pub span: Span,
}

/// A declaration inside a policy.
#[derive(Clone, Debug, PartialEq)]
pub enum Member {
    Rule(RuleDecl),
    Table(TableDecl),
    Test(TestDecl),
    Decision(DecisionDecl),
    Enum(EnumDecl),
    Record(RecordDecl),
}

/// `rule NAME ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDecl {
    pub name: Ident,
    pub title: Option<Str>,
    pub docs: Vec<Doc>,
    pub cite: Option<Str>,
    pub effective: Option<DateLit>,
    pub until: Option<DateLit>,
    /// The rules this one overrides when it fires.
    pub exception_to: Vec<QualifiedName>,
    pub priority: Option<Spanned<i64>>,
    pub when: Option<Expr>,
    pub unless: Option<Expr>,
    pub then: Vec<Outcome>,
    pub because: Option<Template>,
    pub span: Span,
}

/// How an outcome acts on its decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OutcomeOp {
    /// `license is required`
    Is,
    /// `license_exceptions includes ACE`
    Includes,
}

/// One outcome of a rule, or one expectation of a test.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub decision: Ident,
    pub op: OutcomeOp,
    pub value: Expr,
    pub span: Span,
}

/// A string that may quote values: `"{item.eccn} is controlled for CC1"`.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub parts: Vec<TemplatePart>,
    pub span: Span,
}

/// A piece of a [`Template`].
#[derive(Clone, Debug, PartialEq)]
pub enum TemplatePart {
    Text(String),
    Value(QualifiedName),
}

/// A condition or value.
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

/// The forms a condition or value takes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Literal(Literal),
    /// A field path, a bound variable, a table or an enum value; resolved by the checker.
    Name(QualifiedName),
    List(Vec<Expr>),
    Not(Box<Expr>),
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Compare {
        op: CompareOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Presence {
        expr: Box<Expr>,
        test: PresenceTest,
    },
    Quantifier {
        kind: QuantifierKind,
        var: Ident,
        collection: QualifiedName,
        body: Box<Expr>,
    },
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
}

/// A literal value.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Bool(bool),
    Integer(i64),
    /// A decimal number, kept as written so no precision is lost before the checker types it.
    Decimal(String),
    Str(Template),
    Date(Date),
}

/// `and`, `or` and arithmetic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    And,
    Or,
    Add,
    Sub,
    Mul,
    Div,
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Is,
    IsNot,
    In,
    NotIn,
    Within,
    NotWithin,
    Matches,
    Before,
    After,
    OnOrBefore,
    OnOrAfter,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CompareOp {
    /// The operator as written in the language.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Is => "is",
            CompareOp::IsNot => "is not",
            CompareOp::In => "in",
            CompareOp::NotIn => "not in",
            CompareOp::Within => "within",
            CompareOp::NotWithin => "not within",
            CompareOp::Matches => "matches",
            CompareOp::Before => "before",
            CompareOp::After => "after",
            CompareOp::OnOrBefore => "on or before",
            CompareOp::OnOrAfter => "on or after",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
        }
    }
}

/// `is missing`, `is not missing`, `is empty`, `is not empty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PresenceTest {
    Missing,
    NotMissing,
    Empty,
    NotEmpty,
}

/// `any`, `every`, `no`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QuantifierKind {
    Any,
    Every,
    No,
}

/// A type in the schema: `optional list of at least 1 item`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub optional: bool,
    pub kind: TypeKind,
    pub span: Span,
}

/// The shapes of a type.
#[derive(Clone, Debug, PartialEq)]
pub enum TypeKind {
    Named(Ident),
    List {
        min: Option<Spanned<u32>>,
        element: Box<TypeExpr>,
    },
    Set(Box<TypeExpr>),
}

/// `schema NAME ... end` or `record NAME ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordDecl {
    pub name: Ident,
    pub docs: Vec<Doc>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

/// `name: type`, optionally `default VALUE`.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    /// The value an absent field stands for (`findings: set of finding default []`).
    pub default: Option<Expr>,
    pub doc: Option<Doc>,
    pub span: Span,
}

/// `enum NAME ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumDecl {
    pub name: Ident,
    pub docs: Vec<Doc>,
    pub variants: Vec<Variant>,
    pub span: Span,
}

/// One value of an enumeration.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: Ident,
    pub description: Option<Str>,
    pub span: Span,
}

/// How the outcomes of several rules on one decision combine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CombineMode {
    MostRestrictive,
    Union,
    Any,
    All,
    Priority,
}

impl CombineMode {
    /// The mode as written after `combine by`.
    pub fn as_str(self) -> &'static str {
        match self {
            CombineMode::MostRestrictive => "most restrictive",
            CombineMode::Union => "union",
            CombineMode::Any => "any",
            CombineMode::All => "all",
            CombineMode::Priority => "priority",
        }
    }
}

/// `decision NAME ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionDecl {
    pub name: Ident,
    pub title: Option<Str>,
    pub docs: Vec<Doc>,
    /// The values, least restrictive first.
    pub values: Vec<Ident>,
    pub ty: Option<TypeExpr>,
    pub combine: Option<Spanned<CombineMode>>,
    pub default: Option<Expr>,
    pub unknown: Option<Expr>,
    pub span: Span,
}

/// `table NAME ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct TableDecl {
    pub name: Ident,
    pub title: Option<Str>,
    pub docs: Vec<Doc>,
    pub source: Option<Str>,
    pub as_of: Option<DateLit>,
    pub columns: Vec<ColumnDecl>,
    pub load: Option<Load>,
    pub rows: Vec<Row>,
    pub span: Span,
}

/// One column of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub span: Span,
}

/// Where a table's rows are loaded from.
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    pub from: LoadSource,
    /// `csv`, `json` or `csl`.
    pub format: Option<Ident>,
    pub span: Span,
}

/// A file next to the policy, or data given on the command line with `--data NAME=PATH`.
#[derive(Clone, Debug, PartialEq)]
pub enum LoadSource {
    File(Str),
    Input(Str),
}

/// One row of a table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub effective: Option<DateLit>,
    pub until: Option<DateLit>,
    pub span: Span,
}

/// One cell of a row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Value(Expr),
    /// `-`: an empty cell.
    Dash(Span),
}

/// `test "NAME" ... end`.
#[derive(Clone, Debug, PartialEq)]
pub struct TestDecl {
    pub name: Str,
    pub docs: Vec<Doc>,
    pub as_of: Option<DateLit>,
    pub given: Option<Given>,
    pub expects: Vec<Expect>,
    pub span: Span,
}

/// A test's transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum Given {
    /// JSON written inline; `text` is its source, checked against the JSON grammar.
    Inline { text: String, span: Span },
    /// A JSON file next to the policy.
    File(Str),
}

/// One expectation of a test.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    Outcome(Outcome),
    Rule {
        name: QualifiedName,
        fires: bool,
        span: Span,
    },
    Rejected(Span),
}
