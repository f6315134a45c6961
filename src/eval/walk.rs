//! The operands of a checked expression, for passes that walk expression trees.

use crate::semantic::ir::{Collection, ExprId, ExprKind, TemplatePartExpr};

/// The direct operands of an expression, in evaluation order.
pub fn children(kind: &ExprKind) -> Vec<ExprId> {
    match kind {
        ExprKind::Const(_)
        | ExprKind::Path(_)
        | ExprKind::Decision(_)
        | ExprKind::Table(_)
        | ExprKind::Column { .. } => Vec::new(),
        ExprKind::List(items) | ExprKind::And(items) | ExprKind::Or(items) => items.to_vec(),
        ExprKind::Call { args, .. } => args.to_vec(),
        ExprKind::Format(parts) => parts
            .iter()
            .filter_map(|p| match p {
                TemplatePartExpr::Value(id) => Some(*id),
                TemplatePartExpr::Text(_) => None,
            })
            .collect(),
        ExprKind::Not(inner) => vec![*inner],
        ExprKind::Arithmetic { lhs, rhs, .. } | ExprKind::Compare { lhs, rhs, .. } => {
            vec![*lhs, *rhs]
        }
        ExprKind::In {
            element,
            collection,
            ..
        } => with_collection(*element, collection),
        ExprKind::Within { eccn, scope, .. } => with_collection(*eccn, scope),
        ExprKind::Matches { party, entry, .. } => vec![*party, *entry],
        ExprKind::Presence { value, .. } => vec![*value],
        ExprKind::Quantifier {
            collection, body, ..
        } => vec![*collection, *body],
    }
}

fn with_collection(first: ExprId, collection: &Collection) -> Vec<ExprId> {
    match collection {
        Collection::Expr(id) => vec![first, *id],
        Collection::Constant { source, .. } => vec![first, *source],
    }
}
