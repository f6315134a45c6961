//! Evaluation: the checked program × transactions → decision records with explanations.
//!
//! [`engine`] runs a validated transaction through the program; [`transaction`] validates
//! input against the schema; [`record`] turns the outcome into the decision record of the
//! screening contract.

pub mod engine;
mod transaction;

pub use engine::{ConditionTruths, Engine, Outcome, RuleResult, RunConfig, SeenTruths, WhyNot};
pub use transaction::{read_valid, validate, InputError};
mod record;
pub use record::{
    location, to_json, DecisionRecord, Evaluation, Evaluator, EvaluatorError, RecordJson,
};
pub mod corpus;
pub mod coverage;
pub mod diff;
pub mod testing;
