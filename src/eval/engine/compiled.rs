//! Rule conditions compiled once, when the engine is built, into trees of closures.
//!
//! The interpreter ([`Ctx::condition`]) looks every expression up in the arena and dispatches
//! on its kind, then on the kinds of its operands. A compiled condition has done that once: an
//! `and` holds its operands' closures, a comparison of a path with a constant holds the path and
//! the constant, a membership test holds its compiled set's id. Three-valued results,
//! witnesses left in slots and the expressions noted as missing are exactly the interpreter's,
//! and so is the evaluation order, except that a rule's `when` may try its cheap conjuncts
//! first where that cannot change what is reported ([`compile_when`]). The interpreter stays
//! the reference: every form not specialised here is evaluated by it, and so are runs that
//! record coverage (the interpreter records the truth of every condition it visits) and runs
//! with [`super::RunConfig::reference`].
//! `tests/library.rs` (`compiled_conditions_give_what_the_interpreter_gives`) evaluates a
//! generated corpus both ways and requires the same outcomes and records.

use super::{compare, finish, initial, member_of, presence, step, walk, Bound, Ctx, Membership};
use crate::semantic::ir::{
    Collection, Comparison, DecisionId, ExprId, ExprKind, Path, PathRoot, Program, SetId, Truth,
    Value,
};

/// A compiled condition.
pub(super) type Cond = Box<dyn for<'e> Fn(&mut Ctx<'e>) -> Truth + Send + Sync>;

/// Compiles a rule's `when`. When it is an `and`, its operands are tried cheapest first
/// (`cost` estimates them): one that is false makes `when` false whatever the others are, as the
/// interpreter finds when it reaches it, and a rule whose `when` is false keeps nothing of its
/// evaluation. When none is false, every operand has been evaluated, as the interpreter
/// evaluates them all, and each binds only its own slots, so the witnesses are the
/// interpreter's; if some noted an expression missing, the notes are undone and `when` is
/// evaluated again in its written order, so that they are noted in the interpreter's order.
/// A `when` that screens parties is evaluated as written: the parties it screens, and in which
/// order, are reported whether or not it holds.
pub(super) fn compile_when(program: &Program, id: ExprId, cost: &dyn Fn(ExprId) -> u64) -> Cond {
    let whole = compile(program, id);
    let Some(ExprKind::And(items)) = program.expr(id).map(|e| &e.kind) else {
        return whole;
    };
    if holds_some(program, id, |kind| matches!(kind, ExprKind::Matches { .. })) {
        return whole;
    }
    let mut order: Vec<(u64, ExprId)> = items.iter().map(|item| (cost(*item), *item)).collect();
    order.sort_by_key(|(cost, _)| *cost);
    if order.iter().map(|(_, item)| item).eq(items.iter()) {
        return whole;
    }
    let cheapest_first: Box<[Cond]> = order
        .iter()
        .map(|(_, item)| compile(program, *item))
        .collect();
    Box::new(move |ctx| {
        let noted = ctx.missing.len();
        let mut truth = Truth::True;
        for item in cheapest_first.iter() {
            match item(ctx) {
                Truth::False => {
                    ctx.missing.truncate(noted);
                    return Truth::False;
                }
                other => truth = truth.and(other),
            }
        }
        if ctx.missing.len() == noted {
            truth
        } else {
            ctx.missing.truncate(noted);
            whole(ctx)
        }
    })
}

/// Compiles a condition.
pub(super) fn compile(program: &Program, id: ExprId) -> Cond {
    let Some(expr) = program.expr(id) else {
        return Box::new(|_| Truth::Unknown);
    };
    match &expr.kind {
        ExprKind::Not(inner) => {
            let inner = compile(program, *inner);
            Box::new(move |ctx| inner(ctx).not())
        }
        ExprKind::And(items) => connective::<true>(program, items),
        ExprKind::Or(items) => connective::<false>(program, items),
        ExprKind::Compare { op, lhs, rhs } => {
            let op = *op;
            match (operand(program, *lhs), operand(program, *rhs)) {
                (Some(Operand::Path(path)), Some(Operand::Const(constant))) => {
                    let lhs = *lhs;
                    Box::new(move |ctx| {
                        let truth = compare_values(op, ctx.read(&path), &constant);
                        if truth == Truth::Unknown {
                            ctx.note_missing_path(lhs);
                        }
                        truth
                    })
                }
                (Some(Operand::Path(a)), Some(Operand::Path(b))) => {
                    let (lhs, rhs) = (*lhs, *rhs);
                    Box::new(move |ctx| {
                        let truth = compare_values(op, ctx.read(&a), ctx.read(&b));
                        if truth == Truth::Unknown {
                            ctx.note_missing_path(lhs);
                            ctx.note_missing_path(rhs);
                        }
                        truth
                    })
                }
                // A decision's value against a constant (`license is required`), or any other
                // pair of operands read where they lie.
                (Some(a), Some(b)) => {
                    let (lhs, rhs) = (*lhs, *rhs);
                    Box::new(move |ctx| {
                        let truth = compare_values(op, a.read(ctx), b.read(ctx));
                        if truth == Truth::Unknown {
                            ctx.note_missing_path(lhs);
                            ctx.note_missing_path(rhs);
                        }
                        truth
                    })
                }
                _ => interpreted(id),
            }
        }
        ExprKind::In {
            negated,
            element,
            collection: Collection::Constant { set, .. },
        } => member(program, *element, *set, Membership::Equal, *negated, None)
            .unwrap_or_else(|| interpreted(id)),
        ExprKind::Within {
            negated,
            eccn,
            scope: Collection::Constant { set, .. },
        } => member(program, *eccn, *set, Membership::Within, *negated, Some(id))
            .unwrap_or_else(|| interpreted(id)),
        ExprKind::In {
            negated,
            element,
            collection: Collection::Expr(scope),
        } => member_of_path(program, *element, *scope, Membership::Equal, *negated, None)
            .unwrap_or_else(|| interpreted(id)),
        ExprKind::Within {
            negated,
            eccn,
            scope: Collection::Expr(scope),
        } => member_of_path(
            program,
            *eccn,
            *scope,
            Membership::Within,
            *negated,
            Some(id),
        )
        .unwrap_or_else(|| interpreted(id)),
        ExprKind::Presence { value, test } => match operand(program, *value) {
            Some(Operand::Path(path)) => {
                let (value, test) = (*value, *test);
                Box::new(move |ctx| {
                    let result = presence(ctx.read(&path), test);
                    ctx.note_missing_path(value);
                    result.map_or(Truth::Unknown, Truth::from_bool)
                })
            }
            _ => interpreted(id),
        },
        ExprKind::Quantifier {
            kind,
            slot,
            collection,
            body,
        } => {
            let (kind, slot, collection) = (*kind, slot.index(), *collection);
            let body = compile(program, *body);
            match program.expr(collection).map(|e| &e.kind) {
                // A list of the transaction (`items`, `parties`), iterated where it lies.
                Some(ExprKind::Path(path)) if path.root == PathRoot::Transaction => {
                    let path = path.clone();
                    Box::new(move |ctx| {
                        let Value::List(items) = walk(ctx.transaction, &path) else {
                            ctx.note_missing_path(collection);
                            return Truth::Unknown;
                        };
                        let mut result = initial(kind);
                        for item in items.iter() {
                            ctx.bind(slot, Bound::Item(item));
                            if let Some(done) = step(kind, &mut result, body(ctx)) {
                                return done;
                            }
                        }
                        finish(kind, result)
                    })
                }
                _ => Box::new(move |ctx| ctx.quantify(id, kind, slot, collection, &*body)),
            }
        }
        _ => interpreted(id),
    }
}

/// [`compare`], with equality of two enumeration values, countries or booleans (`p.kind is
/// government`, `r.country is destination`, `r.ns1 is true`, `license is required`) decided by
/// their payload without the general ordering: the same answer, as the ordering of two values
/// of one kind is that of their payloads.
#[inline]
fn compare_values(op: Comparison, x: &Value, y: &Value) -> Truth {
    let same = match (x, y) {
        (Value::Enum(x), Value::Enum(y)) => x == y,
        (Value::Country(x), Value::Country(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        _ => return compare(op, x, y),
    };
    match op {
        Comparison::Eq => Truth::from_bool(same),
        Comparison::Ne => Truth::from_bool(!same),
        _ => compare(op, x, y),
    }
}

/// `and` (`AND` true) or `or` of compiled operands, stopping where the interpreter stops
/// ([`Truth::all`], [`Truth::any`]).
fn connective<const AND: bool>(program: &Program, items: &[ExprId]) -> Cond {
    let items: Box<[Cond]> = items.iter().map(|item| compile(program, *item)).collect();
    Box::new(move |ctx| {
        let truths = items.iter().map(|item| item(ctx));
        if AND {
            Truth::all(truths)
        } else {
            Truth::any(truths)
        }
    })
}

/// Whether an expression or one of its operands, at any depth, is of a kind.
pub(super) fn holds_some(program: &Program, id: ExprId, kind: impl Fn(&ExprKind) -> bool) -> bool {
    let mut stack = vec![id];
    while let Some(id) = stack.pop() {
        let Some(expr) = program.expr(id) else {
            continue;
        };
        if kind(&expr.kind) {
            return true;
        }
        stack.extend(expr.kind.operands());
    }
    false
}

/// A form left to the interpreter.
fn interpreted(id: ExprId) -> Cond {
    Box::new(move |ctx| ctx.condition(id))
}

/// An operand known when compiling, read where it lies: a path, a constant or a decision's
/// value.
enum Operand {
    Path(Path),
    Const(Value),
    Decision(DecisionId),
}

impl Operand {
    #[inline]
    fn read<'c>(&'c self, ctx: &'c Ctx<'_>) -> &'c Value {
        match self {
            Operand::Path(path) => ctx.read(path),
            Operand::Const(value) => value,
            Operand::Decision(decision) => ctx.decision_value(*decision),
        }
    }
}

fn operand(program: &Program, id: ExprId) -> Option<Operand> {
    match &program.expr(id)?.kind {
        ExprKind::Path(path) => Some(Operand::Path(path.clone())),
        ExprKind::Const(value) => Some(Operand::Const(value.clone())),
        ExprKind::Decision(decision) => Some(Operand::Decision(*decision)),
        _ => None,
    }
}

/// `X in SET` or `X within SET`, for a path into the transaction or a slot (or a constant or a
/// decision); `within` notes itself as missing when unknown, as the interpreter does.
fn member(
    program: &Program,
    element: ExprId,
    set: SetId,
    mode: Membership,
    negated: bool,
    within: Option<ExprId>,
) -> Option<Cond> {
    let value = operand(program, element)?;
    Some(Box::new(move |ctx| {
        let truth = ctx.constant_member(set, value.read(ctx), mode);
        if truth == Truth::Unknown {
            ctx.note_missing_path(element);
        }
        finish_membership(ctx, truth, within, negated)
    }))
}

/// `X in PATH` or `X within PATH` (`item.eccn within c.eccn`, `biometric_system in
/// item.categories`), for operands read where they lie: the scope is read only when the element
/// is known, and a path that reads nothing is noted missing, as the interpreter does.
fn member_of_path(
    program: &Program,
    element: ExprId,
    scope: ExprId,
    mode: Membership,
    negated: bool,
    within: Option<ExprId>,
) -> Option<Cond> {
    let (Some(element_operand), Some(scope_operand)) =
        (operand(program, element), operand(program, scope))
    else {
        return None;
    };
    let element_path = matches!(element_operand, Operand::Path(_));
    let scope_path = matches!(scope_operand, Operand::Path(_));
    Some(Box::new(move |ctx| {
        let value = element_operand.read(ctx);
        let (truth, element_missing, scope_missing) = if value.is_missing() {
            (Truth::Unknown, element_path, false)
        } else {
            let scope_value = scope_operand.read(ctx);
            (
                member_of(mode, value, scope_value),
                false,
                scope_path && scope_value.is_missing(),
            )
        };
        if element_missing {
            ctx.note_missing(element);
        }
        if scope_missing {
            ctx.note_missing(scope);
        }
        finish_membership(ctx, truth, within, negated)
    }))
}

/// The end of a compiled membership: an unknown `within` notes itself missing (the ECCN lacks
/// the paragraph it needs), and `not in` / `not within` negates.
fn finish_membership(
    ctx: &mut Ctx<'_>,
    truth: Truth,
    within: Option<ExprId>,
    negated: bool,
) -> Truth {
    if truth == Truth::Unknown {
        if let Some(within) = within {
            ctx.note_missing(within);
        }
    }
    if negated {
        truth.not()
    } else {
        truth
    }
}
