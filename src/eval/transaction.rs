//! Validating a transaction against the schema the policies declare, and converting it into
//! the values the evaluator reads.
//!
//! Every problem is reported with the JSON pointer of the field (`/items/0/eccn`) and what was
//! expected; validation does not stop at the first. A record becomes a [`Value::List`] of its
//! fields in declared order, with [`Value::Missing`] for an absent optional field, so paths
//! address fields by position.
//!
//! [`read_valid`] is the fast path: valid JSON text read straight into the same value, without
//! a JSON tree; it declines whatever validation would reject.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;

use crate::date::Date;
use crate::semantic::ir::{Country, Eccn, Program, RecordId, Type, Value};
use crate::suggest;

mod fast;
pub use fast::read_valid;

/// A problem with one field of an input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputError {
    /// The JSON pointer of the field, `""` for the whole input.
    pub pointer: String,
    pub message: String,
}

impl InputError {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// Validates `json` as a record of type `record`. Returns the converted value, or every
/// problem found.
pub fn validate(
    program: &Program,
    record: RecordId,
    json: &Json,
) -> Result<Value, Vec<InputError>> {
    let mut validator = Validator {
        program,
        errors: Vec::new(),
        pointer: String::new(),
    };
    let value = validator.record(record, json);
    if validator.errors.is_empty() {
        Ok(value)
    } else {
        Err(validator.errors)
    }
}

struct Validator<'p> {
    program: &'p Program,
    errors: Vec<InputError>,
    /// The pointer of the value being validated; pushed and popped as validation descends.
    pointer: String,
}

/// How many problems one input may produce before the rest are dropped: a wrong file fed by
/// mistake should not print a million errors.
const MAX_ERRORS: usize = 20;

impl Validator<'_> {
    fn error(&mut self, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors
                .push(InputError::new(self.pointer.clone(), message));
        }
    }

    fn with_segment<T>(&mut self, segment: &str, f: impl FnOnce(&mut Self) -> T) -> T {
        let len = self.pointer.len();
        self.pointer.push('/');
        // JSON pointer escaping (RFC 6901): `~` is `~0` and `/` is `~1`.
        for c in segment.chars() {
            match c {
                '~' => self.pointer.push_str("~0"),
                '/' => self.pointer.push_str("~1"),
                c => self.pointer.push(c),
            }
        }
        let result = f(self);
        self.pointer.truncate(len);
        result
    }

    fn record(&mut self, id: RecordId, json: &Json) -> Value {
        let Some(record) = self.program.record(id) else {
            self.error("internal error: the schema names an unknown record type");
            return Value::Missing;
        };
        let Json::Object(object) = json else {
            self.error(format!(
                "expected an object (a {}), found {}",
                record.name,
                describe(json)
            ));
            return Value::Missing;
        };
        let mut fields = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            let value = match object.get(&*field.name) {
                None | Some(Json::Null) if field.default.is_some() => {
                    field.default.clone().unwrap_or(Value::Missing)
                }
                None | Some(Json::Null) if field.optional => Value::Missing,
                None => {
                    self.with_segment(&field.name, |v| {
                        v.error(format!(
                            "`{}` is required: expected {}",
                            field.name,
                            v.program.type_name(&field.ty)
                        ))
                    });
                    Value::Missing
                }
                Some(Json::Null) => {
                    self.with_segment(&field.name, |v| {
                        v.error(format!(
                            "`{}` is required and cannot be null: expected {}",
                            field.name,
                            v.program.type_name(&field.ty)
                        ))
                    });
                    Value::Missing
                }
                Some(json) => {
                    let min_len = field.min_len;
                    self.with_segment(&field.name, |v| v.value(&field.ty, json, min_len))
                }
            };
            fields.push(value);
        }
        // Fields the schema does not declare are rejected: a misspelt optional field would
        // otherwise be ignored, and its information silently lost.
        for key in object.keys() {
            if record.field_index(key).is_none() {
                let suggestion = suggest::closest(key, record.fields.iter().map(|f| &*f.name))
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                let known: Vec<&str> = record.fields.iter().map(|f| &*f.name).collect();
                self.with_segment(key, |v| {
                    v.error(format!(
                        "unknown field `{key}` in {}{suggestion} (known fields: {})",
                        record.name,
                        known.join(", ")
                    ))
                });
            }
        }
        Value::List(Arc::from(fields))
    }

    fn value(&mut self, ty: &Type, json: &Json, min_len: Option<u32>) -> Value {
        match ty {
            Type::Bool => match json {
                Json::Bool(b) => Value::Bool(*b),
                other => self.expected("true or false", other),
            },
            Type::Integer => match json.as_i64() {
                Some(n) => Value::Integer(n),
                None => self.expected("a whole number", json),
            },
            Type::Decimal => match json {
                Json::Number(n) => match crate::semantic::ir::Decimal::parse(&n.to_string()) {
                    Some(d) => Value::Decimal(d),
                    None => self.expected("a number with at most the supported precision", json),
                },
                other => self.expected("a number", other),
            },
            Type::String => match json {
                Json::String(s) => Value::String(Arc::from(s.as_str())),
                other => self.expected("a string", other),
            },
            Type::Date => match json {
                Json::String(s) => match Date::parse(s) {
                    Some(d) => Value::Date(d),
                    None => {
                        self.error(format!(
                            "`{s}` is not a date: expected YYYY-MM-DD, such as \"2024-05-01\""
                        ));
                        Value::Missing
                    }
                },
                other => self.expected("a date string such as \"2024-05-01\"", other),
            },
            Type::Country => match json {
                Json::String(s) => match Country::parse(s) {
                    Some(c) => Value::Country(c),
                    None => {
                        let hint =
                            if s.len() == 2 && Country::parse(&s.to_ascii_uppercase()).is_some() {
                                format!("; write it in capitals: \"{}\"", s.to_ascii_uppercase())
                            } else {
                                String::new()
                            };
                        self.error(format!(
                            "`{s}` is not an ISO 3166-1 alpha-2 country code{hint}"
                        ));
                        Value::Missing
                    }
                },
                other => self.expected("a country code such as \"CN\"", other),
            },
            Type::Eccn => match json {
                Json::String(s) => match Eccn::parse(s) {
                    Ok(e) => Value::Eccn(e),
                    Err(error) => {
                        self.error(format!("`{s}` is not an ECCN: {}", error.describe()));
                        Value::Missing
                    }
                },
                other => self.expected("an ECCN string such as \"5A001.j\" or \"EAR99\"", other),
            },
            Type::Enum(id) => {
                let Some(enumeration) = self.program.enumeration(*id) else {
                    self.error("internal error: unknown enumeration");
                    return Value::Missing;
                };
                match json {
                    Json::String(s) => match enumeration.value_index(s) {
                        Some(index) => Value::Enum(index),
                        None => {
                            let names: Vec<&str> =
                                enumeration.values.iter().map(|v| &*v.name).collect();
                            let suggestion = suggest::closest(s, names.iter().copied())
                                .map(|n| format!("did you mean `{n}`? "))
                                .unwrap_or_default();
                            self.error(format!(
                                "`{s}` is not a {}: {suggestion}expected one of {}",
                                enumeration.name,
                                names.join(", ")
                            ));
                            Value::Missing
                        }
                    },
                    other => {
                        let name = enumeration.name.clone();
                        self.expected(&format!("a {name} (a string)"), other)
                    }
                }
            }
            Type::Record(id) => self.record(*id, json),
            Type::List(element) | Type::Set(element) => {
                let Json::Array(items) = json else {
                    return self
                        .expected(&format!("an array ({})", self.program.type_name(ty)), json);
                };
                if let Some(min) = min_len {
                    if items.len() < min as usize {
                        self.error(format!(
                            "expected at least {min} element{}, found {}",
                            if min == 1 { "" } else { "s" },
                            items.len()
                        ));
                    }
                }
                let mut values = Vec::with_capacity(items.len());
                for (index, item) in items.iter().enumerate() {
                    values.push(
                        self.with_segment(&index.to_string(), |v| v.value(element, item, None)),
                    );
                }
                if matches!(ty, Type::Set(_)) {
                    // A set is kept sorted and without repeats, so equal sets are equal values
                    // and output is deterministic.
                    values.sort();
                    values.dedup();
                }
                Value::List(Arc::from(values))
            }
            Type::Row(_) | Type::Error => {
                self.error("internal error: this field's type cannot come from a transaction");
                Value::Missing
            }
        }
    }

    fn expected(&mut self, what: &str, found: &Json) -> Value {
        self.error(format!("expected {what}, found {}", describe(found)));
        Value::Missing
    }
}

/// A JSON value described for an error message: `a number (42)`, `an object`.
fn describe(json: &Json) -> String {
    match json {
        Json::Null => "null".into(),
        Json::Bool(b) => format!("{b}"),
        Json::Number(n) => format!("a number ({n})"),
        Json::String(s) if s.chars().count() <= 40 => format!("the string {s:?}"),
        Json::String(_) => "a string".into(),
        Json::Array(_) => "an array".into(),
        Json::Object(_) => "an object".into(),
    }
}
