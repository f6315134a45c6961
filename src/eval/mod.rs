//! Evaluation: the checked program × transactions → decision records with explanations.
//!
//! [`engine`] runs a validated transaction through the program; [`transaction`] validates
//! input against the schema; [`record`] turns the outcome into the decision record of the
//! screening contract.

pub mod engine;
mod transaction;
mod walk;

pub use engine::{Engine, Outcome, RuleResult, RunConfig};
pub use transaction::{validate, InputError};
mod record;
pub use record::{location, to_json, DecisionRecord, Evaluator, EvaluatorError};
pub mod testing;
