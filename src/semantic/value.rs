//! Values of the language: three-valued truth, exact decimals, and the constant values a
//! checked program holds (literals, table cells, decision values).

use std::fmt;
use std::sync::Arc;

use super::country::Country;
use super::eccn::Eccn;
use crate::date::Date;

/// The truth of a condition under three-valued logic: missing information is never "no".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Truth {
    False,
    Unknown,
    True,
}

impl Truth {
    /// `A and B`: false if either is false, unknown if either is unknown and neither false.
    pub fn and(self, other: Truth) -> Truth {
        self.min(other)
    }

    /// `A or B`: true if either is true, unknown if either is unknown and neither true.
    pub fn or(self, other: Truth) -> Truth {
        self.max(other)
    }

    /// `A and B and …` over truths produced one at a time: stops at the first false, so the
    /// operands after it are never evaluated. True for none.
    pub fn all(truths: impl IntoIterator<Item = Truth>) -> Truth {
        let mut result = Truth::True;
        for truth in truths {
            result = result.and(truth);
            if result == Truth::False {
                break;
            }
        }
        result
    }

    /// `A or B or …` over truths produced one at a time: stops at the first true. False for none.
    pub fn any(truths: impl IntoIterator<Item = Truth>) -> Truth {
        let mut result = Truth::False;
        for truth in truths {
            result = result.or(truth);
            if result == Truth::True {
                break;
            }
        }
        result
    }

    /// `not A`: unknown when `A` is.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Truth {
        match self {
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
            Truth::True => Truth::False,
        }
    }

    /// The truth of a plain boolean.
    pub fn from_bool(value: bool) -> Truth {
        if value {
            Truth::True
        } else {
            Truth::False
        }
    }
}

/// The number of decimal places a [`Decimal`] keeps.
pub const DECIMAL_PLACES: u32 = 9;
const SCALE: i128 = 1_000_000_000;

/// An exact decimal number with nine places after the point, stored as an integer count of
/// billionths so that equality, hashing and ordering are exact and arithmetic never rounds in
/// surprising ways (0.1 + 0.2 is 0.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Decimal(i128);

impl Decimal {
    /// Parses `0.85`, `-12.5`, `24`. More than nine decimal places, or a number too large, is `None`.
    pub fn parse(text: &str) -> Option<Decimal> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        if fraction.len() > DECIMAL_PLACES as usize || whole.len() > 20 {
            return None;
        }
        let whole: i128 = whole.parse().ok()?;
        let mut fraction_value: i128 = if fraction.is_empty() {
            0
        } else {
            fraction.parse().ok()?
        };
        for _ in fraction.len()..DECIMAL_PLACES as usize {
            fraction_value *= 10;
        }
        let magnitude = whole.checked_mul(SCALE)?.checked_add(fraction_value)?;
        Some(Decimal(if negative { -magnitude } else { magnitude }))
    }

    /// The decimal equal to a whole number.
    pub fn from_integer(value: i64) -> Decimal {
        Decimal(i128::from(value) * SCALE)
    }

    /// `a + b`, or `None` on overflow.
    pub fn checked_add(self, other: Decimal) -> Option<Decimal> {
        self.0.checked_add(other.0).map(Decimal)
    }

    /// `a - b`, or `None` on overflow.
    pub fn checked_sub(self, other: Decimal) -> Option<Decimal> {
        self.0.checked_sub(other.0).map(Decimal)
    }

    /// `a * b`, truncated to nine places, or `None` on overflow.
    pub fn checked_mul(self, other: Decimal) -> Option<Decimal> {
        self.0.checked_mul(other.0).map(|p| Decimal(p / SCALE))
    }

    /// `a / b`, truncated to nine places, or `None` on overflow or division by zero.
    pub fn checked_div(self, other: Decimal) -> Option<Decimal> {
        if other.0 == 0 {
            return None;
        }
        self.0.checked_mul(SCALE).map(|n| Decimal(n / other.0))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        let whole = magnitude / SCALE as u128;
        let fraction = magnitude % SCALE as u128;
        if fraction == 0 {
            return write!(f, "{sign}{whole}.0");
        }
        let digits = format!("{fraction:09}");
        write!(f, "{sign}{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl fmt::Debug for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Decimal({self})")
    }
}

/// A constant value: a literal, a table cell, a decision's value.
///
/// The value's type is known from where it stands (a column, a decision, the other operand),
/// so an enumeration value is only its position in its enumeration.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// Not given: an optional field or cell that is absent. Conditions on it are unknown.
    Missing,
    Bool(bool),
    Integer(i64),
    Decimal(Decimal),
    String(Arc<str>),
    Date(Date),
    Country(Country),
    Eccn(Eccn),
    /// The position of a value in its enumeration (for decisions declared with `values`, the
    /// position in that list: higher is more restrictive).
    Enum(u16),
    /// A list or set of values.
    List(Arc<[Value]>),
}

impl Value {
    /// The empty list.
    pub fn empty_list() -> Value {
        Value::List(Arc::from(Vec::new()))
    }

    /// Whether the value is [`Value::Missing`]: a test of the tag alone, where comparing with
    /// `==` would call the derived equality of the whole enum.
    #[inline]
    pub fn is_missing(&self) -> bool {
        matches!(self, Value::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::Truth::{self, False, True, Unknown};

    #[test]
    fn all_and_any_follow_three_valued_logic() {
        assert_eq!(Truth::all([]), True);
        assert_eq!(Truth::any([]), False);
        assert_eq!(Truth::all([True, Unknown, True]), Unknown);
        assert_eq!(Truth::all([Unknown, False]), False);
        assert_eq!(Truth::any([False, Unknown, False]), Unknown);
        assert_eq!(Truth::any([Unknown, True]), True);
    }

    #[test]
    fn all_and_any_stop_at_the_deciding_operand() {
        let mut seen = 0;
        let truth = Truth::all([True, False, True].into_iter().inspect(|_| seen += 1));
        assert_eq!((truth, seen), (False, 2));
        let mut seen = 0;
        let truth = Truth::any([Unknown, True, False].into_iter().inspect(|_| seen += 1));
        assert_eq!((truth, seen), (True, 2));
    }
}
