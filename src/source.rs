//! Source files and byte spans: where every piece of policy text came from.
//!
//! Spans are `u32` byte offsets into a file's text. Line and column numbers are computed only
//! when a diagnostic is rendered, so parsing never pays for them.

use std::fmt;
use std::sync::Arc;

/// The largest policy file Vigil reads. Real policy files are a few hundred kilobytes at most;
/// the limit keeps a stray multi-gigabyte file from exhausting memory.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;

/// One policy file: its name (as given by the user, used in messages) and its text.
#[derive(Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub name: Arc<str>,
    pub text: Arc<str>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SourceFile({})", self.name)
    }
}

/// Why bytes could not become a [`SourceFile`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The file is larger than [`MAX_SOURCE_BYTES`].
    TooLarge { len: usize },
    /// The file is not UTF-8; `valid_up_to` is the offset of the first bad byte.
    InvalidUtf8 { valid_up_to: usize },
}

impl SourceFile {
    /// Makes a source file from text already in memory.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// Makes a source file from raw bytes, refusing files that are too large or not UTF-8.
    pub fn from_bytes(name: impl Into<Arc<str>>, bytes: &[u8]) -> Result<Self, SourceError> {
        if bytes.len() > MAX_SOURCE_BYTES {
            return Err(SourceError::TooLarge { len: bytes.len() });
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::new(name, text)),
            Err(error) => Err(SourceError::InvalidUtf8 {
                valid_up_to: error.valid_up_to(),
            }),
        }
    }

    /// The text a span covers, or the empty string if the span lies outside the file.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// The 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: u32) -> (usize, usize) {
        line_col(&self.text, offset as usize)
    }

    /// `file:line`, the short location used in decision records.
    pub fn location(&self, span: Span) -> String {
        let (line, _) = self.line_col(span.start);
        format!("{}:{}", self.name, line)
    }
}

/// The 1-based line and column (in characters) of a byte offset in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

/// A range of bytes in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end`. Offsets past `u32::MAX` saturate; such files are refused
    /// long before by [`MAX_SOURCE_BYTES`].
    pub fn new(start: usize, end: usize) -> Self {
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    /// The empty span at one offset.
    pub fn at(offset: usize) -> Self {
        Span::new(offset, offset)
    }

    /// The number of bytes covered.
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    /// Whether the span covers no bytes.
    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The same span moved `by` bytes to the right.
    pub fn shift(self, by: usize) -> Span {
        Span::new(self.start as usize + by, self.end as usize + by)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        miette::SourceSpan::new((span.start as usize).into(), span.len())
    }
}

/// A value with the span of text it came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_lines_and_characters() {
        let text = "ab\ncdé\nf";
        assert_eq!(line_col(text, 0), (1, 1));
        assert_eq!(line_col(text, 3), (2, 1));
        // `é` takes two bytes, so the line break after it is at offset 7.
        assert_eq!(line_col(text, 7), (2, 4));
        assert_eq!(line_col(text, 8), (3, 1));
        assert_eq!(line_col(text, 9), (3, 2));
        assert_eq!(line_col(text, 999), (3, 2));
    }

    #[test]
    fn from_bytes_rejects_invalid_utf8_and_huge_files() {
        assert_eq!(
            SourceFile::from_bytes("x", b"ok\xff").unwrap_err(),
            SourceError::InvalidUtf8 { valid_up_to: 2 }
        );
        let big = vec![b' '; MAX_SOURCE_BYTES + 1];
        assert!(matches!(
            SourceFile::from_bytes("x", &big),
            Err(SourceError::TooLarge { .. })
        ));
    }
}
