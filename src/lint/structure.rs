//! The structure of conditions, for lints that compare them: a canonical text of an
//! expression (no spans; quantifier variables numbered by the depth of their binder) and the
//! conjuncts a condition requires.

use std::fmt::Write as _;

use crate::semantic::ir::*;

/// The canonical text of an expression: two expressions with the same text mean the same,
/// wherever they are written.
pub(crate) fn key(program: &Program, id: ExprId, bound: &mut Vec<Slot>) -> String {
    let mut out = String::new();
    write_key(program, id, bound, &mut out);
    out
}

fn write_key(program: &Program, id: ExprId, bound: &mut Vec<Slot>, out: &mut String) {
    crate::semantic::with_stack(|| write_key_here(program, id, bound, out));
}

fn write_key_here(program: &Program, id: ExprId, bound: &mut Vec<Slot>, out: &mut String) {
    let Some(expr) = program.expr(id) else {
        out.push('?');
        return;
    };
    match &expr.kind {
        ExprKind::Const(value) => {
            let _ = write!(out, "k{value:?}");
        }
        ExprKind::Path(path) => {
            match path.root {
                PathRoot::Transaction => out.push('t'),
                PathRoot::Slot(slot) => match bound.iter().rposition(|s| *s == slot) {
                    Some(depth) => {
                        let _ = write!(out, "v{depth}");
                    }
                    None => {
                        let _ = write!(out, "f{}", slot.0);
                    }
                },
            }
            for field in path.fields.iter() {
                let _ = write!(out, ".{field}");
            }
        }
        ExprKind::Quantifier {
            kind,
            slot,
            collection,
            body,
        } => {
            let _ = write!(out, "{kind:?}(");
            write_key(program, *collection, bound, out);
            out.push(',');
            bound.push(*slot);
            write_key(program, *body, bound, out);
            bound.pop();
            out.push(')');
        }
        kind => {
            let tag = match kind {
                ExprKind::Decision(decision) => format!("d{}", decision.0),
                ExprKind::Table(table) => format!("T{}", table.0),
                ExprKind::Column { table, column } => format!("C{}.{column}", table.0),
                ExprKind::Format(parts) => {
                    let texts: Vec<String> = parts
                        .iter()
                        .filter_map(|p| {
                            if let TemplatePartExpr::Text(t) = p {
                                Some(format!("{t:?}"))
                            } else {
                                None
                            }
                        })
                        .collect();
                    format!("fmt[{}]", texts.join(","))
                }
                ExprKind::Compare { op, .. } => format!("{op:?}"),
                ExprKind::Arithmetic { op, .. } => format!("{op:?}"),
                ExprKind::Presence { test, .. } => format!("{test:?}"),
                ExprKind::In { negated, .. } => format!("in{negated}"),
                ExprKind::Within { negated, .. } => format!("within{negated}"),
                ExprKind::Call { function, .. } => format!("{function:?}"),
                ExprKind::List(_) => "list".into(),
                ExprKind::And(_) => "and".into(),
                ExprKind::Or(_) => "or".into(),
                ExprKind::Not(_) => "not".into(),
                ExprKind::Matches { .. } => "matches".into(),
                _ => "?".into(),
            };
            out.push_str(&tag);
            let operands = kind.operands();
            if !operands.is_empty() {
                out.push('(');
                for operand in operands {
                    write_key(program, operand, bound, out);
                    out.push(',');
                }
                out.push(')');
            }
        }
    }
}

/// One thing a condition requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Conjunct {
    /// A condition, by its canonical text.
    Plain(String),
    /// `any X in COLLECTION where A and B ...`: some element satisfies all the body's
    /// conjuncts (texts with the variable numbered 0).
    Any {
        collection: String,
        body: Vec<String>,
    },
}

/// The conjuncts of a condition: `A and B and (any x in C where D and E)` requires `A`, `B`
/// and an element of `C` satisfying `D` and `E`.
pub(crate) fn conjuncts(program: &Program, id: ExprId) -> Vec<Conjunct> {
    let Some(expr) = program.expr(id) else {
        return Vec::new();
    };
    match &expr.kind {
        ExprKind::And(operands) => operands
            .iter()
            .flat_map(|o| conjuncts(program, *o))
            .collect(),
        ExprKind::Quantifier {
            kind: QuantifierKind::Any,
            slot,
            collection,
            body,
        } => {
            let collection = key(program, *collection, &mut Vec::new());
            let mut parts = Vec::new();
            body_conjuncts(program, *body, *slot, &mut parts);
            parts.sort();
            parts.dedup();
            vec![Conjunct::Any {
                collection,
                body: parts,
            }]
        }
        _ => vec![Conjunct::Plain(key(program, id, &mut Vec::new()))],
    }
}

fn body_conjuncts(program: &Program, id: ExprId, slot: Slot, out: &mut Vec<String>) {
    if let Some(ExprKind::And(operands)) = program.expr(id).map(|e| &e.kind) {
        for operand in operands.iter() {
            body_conjuncts(program, *operand, slot, out);
        }
        return;
    }
    out.push(key(program, id, &mut vec![slot]));
}

/// Whether a condition with conjuncts `narrow` can only hold when one with conjuncts `broad`
/// holds: every conjunct of `broad` is required by some conjunct of `narrow`.
pub(crate) fn implies(narrow: &[Conjunct], broad: &[Conjunct]) -> bool {
    broad.iter().all(|wanted| {
        narrow.iter().any(|have| match (have, wanted) {
            (Conjunct::Plain(a), Conjunct::Plain(b)) => a == b,
            (
                Conjunct::Any {
                    collection: c1,
                    body: b1,
                },
                Conjunct::Any {
                    collection: c2,
                    body: b2,
                },
            ) => c1 == c2 && b2.iter().all(|part| b1.contains(part)),
            _ => false,
        })
    })
}
