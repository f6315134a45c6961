//! The fast path of reading a transaction: its JSON text deserialized straight into the
//! validated value, driven by the schema, without building a JSON tree first.
//!
//! [`read_valid`] accepts exactly what [`super::validate`] accepts, and gives the same value;
//! whatever it is unsure of (any problem at all, a repeated key) it declines, and the caller
//! takes the full path, which explains the problem. Nothing is allocated but the values
//! themselves and one list of slots per record.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::date::Date;
use crate::semantic::ir::{Country, Decimal, Eccn, Field, Program, RecordId, Type, Value};

/// Reads a JSON text straight into the validated transaction, without building a JSON tree.
///
/// Returns `Some(v)` only when `validate(program, record, &serde_json::from_slice(text)?)`
/// would return `Ok(v)`; `None` in every other case (invalid JSON, any validation error,
/// anything this reader does not handle), so the caller falls back to the full path, which
/// produces the exact error messages.
pub fn read_valid(program: &Program, record: RecordId, text: &[u8]) -> Option<Value> {
    let ty = Type::Record(record);
    // Checked as UTF-8 once, as a whole (quick for ASCII), rather than string by string.
    let text = std::str::from_utf8(text).ok()?;
    // The common case, scanned by hand; what the scanner is unsure of, serde_json reads.
    if let Some(value) = Scan::read(program, &ty, text) {
        return Some(value);
    }
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = Typed {
        program,
        ty: &ty,
        min_len: None,
    }
    .deserialize(&mut deserializer)
    .ok()?;
    deserializer.end().ok()?;
    // A top-level `null` is not a record.
    value
}

/// The expected type of the next JSON value. Reading it gives `None` for `null`, which only a
/// record's field may hold (then its default or absence applies); any value that does not fit
/// the type is an error.
#[derive(Clone, Copy)]
struct Typed<'p> {
    program: &'p Program,
    ty: &'p Type,
    /// The least number of elements, for a field declared `list of at least N`.
    min_len: Option<u32>,
}

/// The error of the fast path: it is discarded, so it says little.
fn mismatch<E: de::Error>() -> E {
    E::custom("not what the schema expects")
}

impl<'de> DeserializeSeed<'de> for Typed<'_> {
    type Value = Option<Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<Value>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Typed<'_> {
    type Value = Option<Value>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a value of the schema's type")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(None)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Option<Value>, E> {
        match self.ty {
            Type::Bool => Ok(Some(Value::Bool(b))),
            _ => Err(mismatch()),
        }
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Option<Value>, E> {
        match self.ty {
            // `as_i64`: a whole number that fits.
            Type::Integer => i64::try_from(n)
                .map(|n| Some(Value::Integer(n)))
                .map_err(|_| mismatch()),
            Type::Decimal => decimal(&serde_json::Number::from(n)),
            _ => Err(mismatch()),
        }
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Option<Value>, E> {
        match self.ty {
            Type::Integer => Ok(Some(Value::Integer(n))),
            Type::Decimal => decimal(&serde_json::Number::from(n)),
            _ => Err(mismatch()),
        }
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Option<Value>, E> {
        match self.ty {
            // A number that is not finite reads as `null` in the JSON tree; declined here.
            Type::Decimal => match serde_json::Number::from_f64(n) {
                Some(number) => decimal(&number),
                None => Err(mismatch()),
            },
            _ => Err(mismatch()),
        }
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<Option<Value>, E> {
        from_str(self.program, self.ty, s)
            .map(Some)
            .ok_or_else(mismatch)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let (Type::List(element) | Type::Set(element)) = self.ty else {
            return Err(mismatch());
        };
        let element = Typed {
            program: self.program,
            ty: element,
            min_len: None,
        };
        let mut values = take_buffer(&LISTS);
        while let Some(value) = seq.next_element_seed(element)? {
            // An element may not be `null`.
            values.push(value.ok_or_else(mismatch)?);
        }
        if let Some(min) = self.min_len {
            if values.len() < min as usize {
                return Err(mismatch());
            }
        }
        let list = finish_list(self.ty, &mut values);
        keep_buffer(&LISTS, values);
        Ok(Some(list))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Option<Value>, A::Error> {
        let Type::Record(id) = self.ty else {
            return Err(mismatch());
        };
        let record = self.program.record(*id).ok_or_else(mismatch)?;
        let fields = record.fields.as_slice();
        let mut slots = take_buffer(&RECORDS);
        slots.resize(fields.len(), None);
        // Keys usually come in the declared order: the field after the last is tried first.
        let mut next = 0;
        while let Some(index) = map.next_key_seed(Key { fields, next })? {
            next = index + 1;
            let (Some(field), Some(slot)) = (fields.get(index), slots.get_mut(index)) else {
                return Err(mismatch());
            };
            if slot.is_some() {
                // A repeated key: the JSON tree keeps the last value, the fast path declines.
                return Err(mismatch());
            }
            let value = map.next_value_seed(Typed {
                program: self.program,
                ty: &field.ty,
                min_len: field.min_len,
            })?;
            *slot = Some(match value {
                Some(value) => value,
                None => absent(field)?,
            });
        }
        let record = finish_record(fields, &mut slots).ok_or_else(mismatch)?;
        keep_buffer(&RECORDS, slots);
        Ok(Some(record))
    }
}

// Buffers for the elements of the lists and the fields of the records being read, kept per
// thread (one per level of nesting in use) so that a list or record costs one allocation, of its
// exact size. A buffer not given back (the reader declined midway) is simply dropped.
thread_local! {
    static LISTS: std::cell::RefCell<Vec<Vec<Value>>> = const { std::cell::RefCell::new(Vec::new()) };
    static RECORDS: std::cell::RefCell<Vec<Vec<Option<Value>>>> =
        const { std::cell::RefCell::new(Vec::new()) };
    /// The empty list, shared by this thread's transactions.
    static EMPTY: Value = Value::empty_list();
}

/// An empty buffer: a kept one, or a new one.
fn take_buffer<T>(pool: &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<T>>>>) -> Vec<T> {
    pool.try_with(|cell| cell.try_borrow_mut().ok()?.pop())
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// This thread's kept buffers of one kind, all of them (none if they are in use).
fn take_pool<T>(pool: &'static Pool<T>) -> Vec<Vec<T>> {
    pool.try_with(|cell| {
        cell.try_borrow_mut()
            .map(|mut kept| std::mem::take(&mut *kept))
    })
    .ok()
    .and_then(Result::ok)
    .unwrap_or_default()
}

/// Gives back the buffers [`take_pool`] took.
fn give_pool<T>(pool: &'static Pool<T>, buffers: Vec<Vec<T>>) {
    let _ = pool.try_with(|cell| {
        if let Ok(mut kept) = cell.try_borrow_mut() {
            *kept = buffers;
        }
    });
}

/// A thread's kept buffers of one kind.
type Pool<T> = std::thread::LocalKey<std::cell::RefCell<Vec<Vec<T>>>>;

/// Gives a buffer back; one grown large by an unusually long list is dropped instead, so that
/// a thread does not hold on to its memory.
fn keep_buffer<T>(
    pool: &'static std::thread::LocalKey<std::cell::RefCell<Vec<Vec<T>>>>,
    mut buffer: Vec<T>,
) {
    if buffer.capacity() > 256 {
        return;
    }
    buffer.clear();
    let _ = pool.try_with(|cell| {
        if let Ok(mut kept) = cell.try_borrow_mut() {
            kept.push(buffer);
        }
    });
}

/// The value of a field that is absent or `null`: its default, or missing when it is optional.
fn absent<E: de::Error>(field: &Field) -> Result<Value, E> {
    absent_value(field).ok_or_else(mismatch)
}

/// [`absent`], for the scanner.
fn absent_value(field: &Field) -> Option<Value> {
    match &field.default {
        Some(default) => Some(default.clone()),
        None if field.optional => Some(Value::Missing),
        None => None,
    }
}

/// A JSON string's text as a value of a type that is written as a string.
fn from_str(program: &Program, ty: &Type, s: &str) -> Option<Value> {
    match ty {
        Type::String => Some(Value::String(Arc::from(s))),
        Type::Date => Date::parse(s).map(Value::Date),
        Type::Country => Country::parse(s).map(Value::Country),
        Type::Eccn => Eccn::parse(s).ok().map(Value::Eccn),
        Type::Enum(id) => program
            .enumeration(*id)
            .and_then(|e| e.value_index(s))
            .map(Value::Enum),
        _ => None,
    }
}

/// A list's value from its elements, as the full path builds it: a set sorted and without
/// repeats, the empty list shared.
fn finish_list(ty: &Type, values: &mut Vec<Value>) -> Value {
    if matches!(ty, Type::Set(_)) {
        values.sort();
        values.dedup();
    }
    if values.is_empty() {
        EMPTY
            .try_with(Value::clone)
            .unwrap_or_else(|_| Value::empty_list())
    } else {
        // One allocation, of the exact size.
        Value::List(values.drain(..).collect())
    }
}

/// A record's value from its fields' slots; absent fields take their default (`None` when a
/// required one is absent).
fn finish_record(fields: &[Field], slots: &mut Vec<Option<Value>>) -> Option<Value> {
    for (slot, field) in slots.iter_mut().zip(fields) {
        if slot.is_none() {
            *slot = Some(absent_value(field)?);
        }
    }
    Some(Value::List(
        slots
            .drain(..)
            .map(|slot| slot.unwrap_or(Value::Missing))
            .collect(),
    ))
}

/// The scanner of the common case: objects, arrays, strings without escapes, `true`, `false`
/// and `null`, read straight into the validated value. It gives up (`None`) on anything else —
/// a number, an escape, a key it does not know, a repeated key, anything invalid — and
/// [`read_valid`] then reads the text with serde_json, which settles it. What it gives is what
/// serde_json's path gives (`tests/fast_read.rs` holds the two to `validate`).
struct Scan<'t, 'p> {
    text: &'t str,
    pos: usize,
    program: &'p Program,
    /// Kept buffers for lists' elements and records' fields (this thread's, taken for the
    /// text and given back after it).
    lists: Vec<Vec<Value>>,
    records: Vec<Vec<Option<Value>>>,
    /// How many arrays and objects are open: past [`Scan::MAX_DEPTH`] the scanner gives up,
    /// and serde_json's reader, whose own limit is deeper, settles the text without
    /// overflowing the stack (a schema may nest a record in itself).
    depth: usize,
}

impl<'t> Scan<'t, '_> {
    const MAX_DEPTH: usize = 64;

    fn read(program: &Program, ty: &Type, text: &'t str) -> Option<Value> {
        let mut scan = Scan {
            text,
            pos: 0,
            program,
            depth: 0,
            lists: take_pool(&LISTS),
            records: take_pool(&RECORDS),
        };
        let value = scan.value(ty, None);
        scan.space();
        let at_end = scan.pos == text.len();
        // The buffers go back for the thread's next transaction, whether or not this one was
        // read.
        give_pool(&LISTS, std::mem::take(&mut scan.lists));
        give_pool(&RECORDS, std::mem::take(&mut scan.records));
        at_end.then_some(value??)
    }

    /// An empty buffer for a list's elements: a kept one, or a new one.
    fn list_buffer(&mut self) -> Vec<Value> {
        self.lists.pop().unwrap_or_default()
    }

    /// An empty buffer for a record's fields: a kept one, or a new one.
    fn record_buffer(&mut self) -> Vec<Option<Value>> {
        self.records.pop().unwrap_or_default()
    }

    /// Keeps a buffer for the next list or record, as [`keep_buffer`] does.
    fn keep<T>(kept: &mut Vec<Vec<T>>, mut buffer: Vec<T>) {
        if buffer.capacity() <= 256 {
            buffer.clear();
            kept.push(buffer);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Steps over `byte`, after any space.
    fn expect(&mut self, byte: u8) -> Option<()> {
        self.space();
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Whether an array or object that has just opened closes at once (with `close`).
    #[inline]
    fn closes(&mut self, close: u8) -> Option<bool> {
        self.space();
        let closes = self.peek()? == close;
        if closes {
            self.pos += 1;
        }
        Some(closes)
    }

    /// After an element or member: `false` at a comma, `true` at `close`, `None` otherwise.
    #[inline]
    fn next_or_close(&mut self, close: u8) -> Option<bool> {
        self.space();
        let byte = self.peek()?;
        self.pos += 1;
        match byte {
            b',' => Some(false),
            byte if byte == close => Some(true),
            _ => None,
        }
    }

    /// Steps over the key `"name"` when it comes next, written as it is (a field's name needs
    /// no escaping, so a key that matches it byte for byte is that name).
    fn key_is(&mut self, name: &str) -> bool {
        self.space();
        let start = self.pos + 1;
        let end = start + name.len();
        let bytes = self.text.as_bytes();
        let matches = bytes.get(self.pos) == Some(&b'"')
            && bytes.get(start..end) == Some(name.as_bytes())
            && bytes.get(end) == Some(&b'"');
        if matches {
            self.pos = end + 1;
        }
        matches
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'t str> {
        self.expect(b'"')?;
        let start = self.pos;
        let rest = self.text.as_bytes().get(start..)?;
        let len = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)?;
        if rest.get(len) != Some(&b'"') {
            return None;
        }
        self.pos = start + len + 1;
        self.text.get(start..start + len)
    }

    /// A value of type `ty`: `Some(None)` for `null`.
    fn value(&mut self, ty: &Type, min_len: Option<u32>) -> Option<Option<Value>> {
        self.space();
        let word = |scan: &mut Self, word: &str| {
            let end = scan.pos + word.len();
            (scan.text.get(scan.pos..end)? == word).then(|| scan.pos = end)
        };
        match self.peek()? {
            b'"' => {
                let text = self.string()?;
                from_str(self.program, ty, text).map(Some)
            }
            b'{' | b'[' if self.depth >= Self::MAX_DEPTH => None,
            b'{' => {
                self.depth += 1;
                let record = self.record(ty);
                self.depth -= 1;
                record.map(Some)
            }
            b'[' => {
                self.depth += 1;
                let list = self.list(ty, min_len);
                self.depth -= 1;
                list.map(Some)
            }
            b't' if matches!(ty, Type::Bool) => {
                word(self, "true").map(|()| Some(Value::Bool(true)))
            }
            b'f' if matches!(ty, Type::Bool) => {
                word(self, "false").map(|()| Some(Value::Bool(false)))
            }
            b'n' => word(self, "null").map(|()| None),
            _ => None,
        }
    }

    fn list(&mut self, ty: &Type, min_len: Option<u32>) -> Option<Value> {
        let (Type::List(element) | Type::Set(element)) = ty else {
            return None;
        };
        self.expect(b'[')?;
        let mut values = self.list_buffer();
        if !self.closes(b']')? {
            loop {
                // An element may not be `null`.
                values.push(self.value(element, None)??);
                if self.next_or_close(b']')? {
                    break;
                }
            }
        }
        if min_len.is_some_and(|min| values.len() < min as usize) {
            return None;
        }
        let list = finish_list(ty, &mut values);
        Self::keep(&mut self.lists, values);
        Some(list)
    }

    fn record(&mut self, ty: &Type) -> Option<Value> {
        let Type::Record(id) = ty else {
            return None;
        };
        let fields = self.program.record(*id)?.fields.as_slice();
        self.expect(b'{')?;
        let mut slots = self.record_buffer();
        slots.resize(fields.len(), None);
        if !self.closes(b'}')? {
            // Keys usually come in the declared order: the field after the last is tried first.
            let mut next = 0;
            loop {
                let index = match fields.get(next) {
                    Some(field) if self.key_is(&field.name) => next,
                    _ => {
                        let key = self.string()?;
                        fields.iter().position(|f| &*f.name == key)?
                    }
                };
                next = index + 1;
                self.expect(b':')?;
                let field = fields.get(index)?;
                if slots.get(index)?.is_some() {
                    // A repeated key: serde_json's path declines it too.
                    return None;
                }
                let value = match self.value(&field.ty, field.min_len)? {
                    Some(value) => value,
                    None => absent_value(field)?,
                };
                *slots.get_mut(index)? = Some(value);
                if self.next_or_close(b'}')? {
                    break;
                }
            }
        }
        let record = finish_record(fields, &mut slots)?;
        Self::keep(&mut self.records, slots);
        Some(record)
    }
}

/// A decimal read as the full path reads it: from the text of the JSON number.
fn decimal<E: de::Error>(number: &serde_json::Number) -> Result<Option<Value>, E> {
    let mut text = Text::default();
    write!(text, "{number}").map_err(|_| mismatch())?;
    text.as_str()
        .and_then(Decimal::parse)
        .map(|d| Some(Value::Decimal(d)))
        .ok_or_else(mismatch)
}

/// A short text on the stack: a JSON number's is at most 24 bytes.
struct Text {
    bytes: [u8; 40],
    len: usize,
}

impl Default for Text {
    fn default() -> Self {
        Text {
            bytes: [0; 40],
            len: 0,
        }
    }
}

impl Text {
    fn as_str(&self) -> Option<&str> {
        std::str::from_utf8(self.bytes.get(..self.len)?).ok()
    }
}

impl fmt::Write for Text {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A key of a record's object, read as the position of its field; a key the record does not
/// declare is an error.
struct Key<'p> {
    fields: &'p [Field],
    /// The position to try first.
    next: usize,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = usize;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a field name")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<usize, E> {
        if self.fields.get(self.next).is_some_and(|f| &*f.name == key) {
            return Ok(self.next);
        }
        self.fields
            .iter()
            .position(|f| &*f.name == key)
            .ok_or_else(mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{validate, InputError};
    use crate::source::SourceFile;

    const SCHEMA: &str = r#"
schema transaction
  id: string
  date: optional date
  count: integer
  amount: optional decimal
  flag: bool default false
  destination: optional country
  eccn: optional eccn
  kind: optional kind
  tags: set of kind default []
  notes: optional list of at least 2 string
  part: optional part
  parts: list of part default []
  label: string default "none"
end

record part
  name: string
  weight: integer default 3
  size: optional decimal
end

enum kind
  a, b, c
end

decision flagged
  type bool
  combine by any
  default false
end
"#;

    fn program() -> Program {
        let (compiled, diagnostics) = crate::compile(
            vec![SourceFile::new("schema.vigil", SCHEMA)],
            &mut crate::semantic::NoFiles,
        );
        compiled
            .unwrap_or_else(|| panic!("the schema does not compile: {diagnostics:?}"))
            .program
    }

    /// Reads `text` both ways, and checks that the fast path gives what validation gives and
    /// declines exactly what validation rejects.
    fn read(text: &str) -> Option<Value> {
        let (fast, full) = both(text);
        match &full {
            Some(Ok(value)) => assert_eq!(fast.as_ref(), Some(value), "{text}"),
            _ => assert_eq!(fast, None, "{text}"),
        }
        fast
    }

    /// Reads `text` both ways: the fast path may decline (a repeated key), but what it gives is
    /// what validation gives.
    fn both(text: &str) -> (Option<Value>, Option<Result<Value, Vec<InputError>>>) {
        let program = program();
        let schema = program.schema.unwrap();
        let fast = read_valid(&program, schema, text.as_bytes());
        let full = serde_json::from_str(text)
            .ok()
            .map(|json| validate(&program, schema, &json));
        if let Some(value) = &fast {
            assert_eq!(Some(Ok(value.clone())), full, "{text}");
        }
        (fast, full)
    }

    fn fields(value: Option<Value>) -> Vec<Value> {
        match value {
            Some(Value::List(fields)) => fields.to_vec(),
            other => panic!("expected a record, read {other:?}"),
        }
    }

    fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    #[test]
    fn deep_nesting_is_read_as_validation_reads_it_without_overflowing() {
        let schema = "schema transaction\n  id: string\n  root: optional node\nend\n\n\
            record node\n  name: string\n  children: list of node default []\nend\n\n\
            decision flagged\n  type bool\n  combine by any\n  default false\nend\n";
        let (compiled, diagnostics) = crate::compile(
            vec![SourceFile::new("schema.vigil", schema)],
            &mut crate::semantic::NoFiles,
        );
        let program = compiled
            .unwrap_or_else(|| panic!("the schema does not compile: {diagnostics:?}"))
            .program;
        let record = program.schema.unwrap();
        let nested = |depth: usize| {
            let open = r#"{"name": "x", "children": ["#.repeat(depth);
            let close = "]}".repeat(depth);
            format!(r#"{{"id": "t", "root": {open}{{"name": "y"}}{close}}}"#)
        };
        // Read by the scanner; past its depth, by serde_json's reader; past that one's, declined.
        for (depth, valid) in [(20, true), (50, true), (5_000, false)] {
            let text = nested(depth);
            let fast = read_valid(&program, record, text.as_bytes());
            let full = serde_json::from_str(&text)
                .ok()
                .map(|json| validate(&program, record, &json));
            match full {
                Some(Ok(value)) => assert_eq!(fast, Some(value), "depth {depth}"),
                _ => assert_eq!(fast, None, "depth {depth}"),
            }
            assert_eq!(fast.is_some(), valid, "depth {depth}");
        }
    }

    #[test]
    fn a_full_transaction_reads_as_validation_reads_it() {
        let text = r#"{"id": "t-1", "date": "2024-05-01", "count": 7, "amount": 12.5,
            "flag": true, "destination": "CN", "eccn": "5A001.j", "kind": "b",
            "tags": ["c", "a"], "notes": ["x", "y"], "part": {"name": "p", "weight": 2,
            "size": 3}, "parts": [{"name": "q"}], "label": "l"}"#;
        let value = fields(read(text));
        assert_eq!(value.len(), 13);
        assert_eq!(value[0], string("t-1"));
        assert_eq!(value[2], Value::Integer(7));
        assert_eq!(value[4], Value::Bool(true));
        assert_eq!(value[7], Value::Enum(1));
        assert_eq!(
            value[8],
            Value::List(Arc::from([Value::Enum(0), Value::Enum(2)]))
        );
        assert_eq!(
            value[11],
            Value::List(Arc::from([Value::List(Arc::from([
                string("q"),
                Value::Integer(3),
                Value::Missing
            ]))]))
        );
    }

    #[test]
    fn absent_or_null_fields_take_their_default_or_are_missing() {
        for text in [
            r#"{"id": "t", "count": 1}"#,
            r#"{"count": 1, "id": "t"}"#,
            r#"{"id": "t", "count": 1, "date": null, "flag": null, "tags": null, "parts": null,
                "label": null, "notes": null, "part": null}"#,
        ] {
            let value = fields(read(text));
            assert_eq!(value[1], Value::Missing, "{text}");
            assert_eq!(value[4], Value::Bool(false), "{text}");
            assert_eq!(value[8], Value::List(Arc::from([])), "{text}");
            assert_eq!(value[12], string("none"), "{text}");
        }
    }

    #[test]
    fn required_fields_absent_or_null_are_declined() {
        assert!(read(r#"{"id": "t", "count": 1}"#).is_some());
        assert_eq!(read(r#"{"count": 1}"#), None);
        assert_eq!(read(r#"{"id": null, "count": 1}"#), None);
        assert_eq!(read(r#"{"id": "t", "count": 1, "part": {}}"#), None);
        assert_eq!(
            read(r#"{"id": "t", "count": 1, "part": {"name": null}}"#),
            None
        );
        assert!(
            read(r#"{"id": "t", "count": 1, "part": {"name": "n", "weight": null}}"#).is_some()
        );
    }

    #[test]
    fn unknown_and_repeated_keys_are_declined() {
        assert_eq!(read(r#"{"id": "t", "count": 1, "colour": 1}"#), None);
        assert_eq!(read(r#"{"id": "t", "count": 1, "Count": 1}"#), None);
        assert_eq!(
            read(r#"{"id": "t", "count": 1, "part": {"name": "n", "x": 1}}"#),
            None
        );
        // Validation reads the last of repeated keys; the fast path declines them.
        for repeated in [
            r#"{"id": "t", "count": 1, "count": 1}"#,
            r#"{"id": "t", "count": 1, "date": null, "date": "2024-01-01"}"#,
            r#"{"id": "t", "count": 1, "part": {"name": "n", "name": "m"}}"#,
        ] {
            let (fast, full) = both(repeated);
            assert_eq!(fast, None, "{repeated}");
            assert!(matches!(full, Some(Ok(_))), "{repeated}");
        }
        // An escaped key is the key it spells.
        assert!(read(r#"{"\u0069d": "t", "count": 1}"#).is_some());
    }

    #[test]
    fn whole_numbers_are_integers_when_they_fit() {
        let count = |n: &str| {
            read(&format!(r#"{{"id": "t", "count": {n}}}"#)).map(|v| fields(Some(v))[2].clone())
        };
        assert_eq!(count("0"), Some(Value::Integer(0)));
        assert_eq!(count("-12"), Some(Value::Integer(-12)));
        assert_eq!(count("9223372036854775807"), Some(Value::Integer(i64::MAX)));
        assert_eq!(
            count("-9223372036854775808"),
            Some(Value::Integer(i64::MIN))
        );
        for declined in [
            "9223372036854775808",
            "-9223372036854775809",
            "1.0",
            "1e2",
            "-0",
            "\"1\"",
            "true",
            "[1]",
        ] {
            assert_eq!(count(declined), None, "{declined}");
        }
    }

    #[test]
    fn decimals_are_read_from_the_text_of_the_number() {
        let amount = |n: &str| {
            read(&format!(r#"{{"id": "t", "count": 1, "amount": {n}}}"#))
                .map(|v| fields(Some(v))[3].clone())
        };
        for (text, expected) in [
            ("12", "12"),
            ("-3", "-3"),
            ("0.85", "0.85"),
            ("1.5e2", "150"),
            ("-0.0", "0"),
            ("18446744073709551615", "18446744073709551615"),
        ] {
            assert_eq!(
                amount(text),
                Some(Value::Decimal(Decimal::parse(expected).unwrap())),
                "{text}"
            );
        }
        // Too precise, too large, or written with an exponent by the JSON library.
        for declined in [
            "0.0000000001",
            "1e-7",
            "1e300",
            "123456789012345678901234",
            "\"1\"",
        ] {
            assert_eq!(amount(declined), None, "{declined}");
        }
    }

    #[test]
    fn strings_are_read_by_their_type() {
        let value = fields(read(
            r#"{"id": "\u0041\"\\b", "count": 1, "date": "2024-02-29", "destination": "FR",
                "eccn": "EAR99", "kind": "\u0063"}"#,
        ));
        assert_eq!(value[0], string("A\"\\b"));
        assert_eq!(value[7], Value::Enum(2));
        for declined in [
            r#""date": "2023-02-29""#,
            r#""date": 20240101"#,
            r#""destination": "fr""#,
            r#""destination": "XX""#,
            r#""eccn": "5A001.""#,
            r#""kind": "d""#,
            r#""kind": 0"#,
            r#""flag": "true""#,
            r#""label": 5"#,
            r#""label": ["x"]"#,
        ] {
            let text = format!(r#"{{"id": "t", "count": 1, {declined}}}"#);
            assert_eq!(read(&text), None, "{text}");
        }
    }

    #[test]
    fn sets_are_sorted_without_repeats_and_lists_kept_as_given() {
        let value = fields(read(
            r#"{"id": "t", "count": 1, "tags": ["c", "a", "c", "b", "a"], "notes": ["z", "a", "z"]}"#,
        ));
        assert_eq!(
            value[8],
            Value::List(Arc::from([Value::Enum(0), Value::Enum(1), Value::Enum(2)]))
        );
        assert_eq!(
            value[9],
            Value::List(Arc::from([string("z"), string("a"), string("z")]))
        );
    }

    #[test]
    fn lists_shorter_than_their_least_are_declined() {
        assert!(read(r#"{"id": "t", "count": 1, "notes": ["a", "a"]}"#).is_some());
        assert_eq!(read(r#"{"id": "t", "count": 1, "notes": ["a"]}"#), None);
        assert_eq!(read(r#"{"id": "t", "count": 1, "notes": []}"#), None);
    }

    #[test]
    fn nulls_in_lists_and_wrong_shapes_are_declined() {
        for declined in [
            r#"{"id": "t", "count": 1, "tags": [null]}"#,
            r#"{"id": "t", "count": 1, "parts": [null]}"#,
            r#"{"id": "t", "count": 1, "tags": "a"}"#,
            r#"{"id": "t", "count": 1, "part": []}"#,
            r#"{"id": "t", "count": 1, "parts": {}}"#,
            r#"[{"id": "t", "count": 1}]"#,
            "null",
            "",
            "{",
            r#"{"id": "t", "count": 1,}"#,
            r#"{"id": "t", "count": 1} x"#,
            r#"{"id": "t", "count": 1} {}"#,
        ] {
            assert_eq!(read(declined), None, "{declined}");
        }
        assert!(read(" {\"id\": \"t\", \"count\": 1}\n ").is_some());
    }
}
