//! A lexical pre-pass over a file: bounds nesting before pest recurses, and finds the lines
//! where the parser may resume after an error.
//!
//! The scan knows only strings, documentation strings and comments; it does not parse. It is
//! linear in the file's size, so hostile input cannot make it slow.

use crate::source::Span;

/// The deepest nesting of parentheses, brackets and braces the parser accepts.
pub const MAX_NESTING: usize = 64;

/// The most quantifiers (`where`) one declaration may nest; each nests the grammar once more.
pub const MAX_QUANTIFIERS: usize = 32;

/// A line whose first word might start or end a declaration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineStart<'a> {
    /// Offset of the first word.
    pub offset: usize,
    /// Its column, counting bytes of indentation.
    pub indent: usize,
    /// The first word (letters, digits, underscores), possibly empty.
    pub word: &'a str,
}

/// What the pre-pass found.
#[derive(Debug, Default)]
pub struct Scan<'a> {
    /// Every line that starts outside a documentation string, in order.
    pub lines: Vec<LineStart<'a>>,
    /// Where nesting first exceeded a limit, with which limit.
    pub too_deep: Option<(Span, Excess)>,
    /// The offset of a `"""` that opens documentation text never closed: everything after it
    /// is documentation, so the parser reports it once instead of the errors it causes.
    pub unclosed_doc_string: Option<usize>,
}

/// Which nesting limit was exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Excess {
    Brackets,
    Quantifiers,
}

/// Scans `text` once.
pub fn scan(text: &str) -> Scan<'_> {
    let bytes = text.as_bytes();
    let mut scan = Scan::default();
    let mut depth = 0usize;
    let mut quantifiers = 0usize;
    let mut i = 0usize;
    let mut at_line_start = true;
    while i < bytes.len() {
        if at_line_start {
            at_line_start = false;
            let indent = bytes.get(i..).map_or(0, |rest| {
                rest.iter()
                    .take_while(|&&b| b == b' ' || b == b'\t')
                    .count()
            });
            let offset = i + indent;
            let word_len = bytes.get(offset..).map_or(0, |rest| {
                rest.iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count()
            });
            let word = text.get(offset..offset + word_len).unwrap_or("");
            scan.lines.push(LineStart {
                offset,
                indent,
                word,
            });
            // Declarations reset the quantifier count: the limit is per declaration.
            if matches!(
                word,
                "rule" | "policy" | "table" | "test" | "decision" | "end"
            ) {
                quantifiers = 0;
            }
            i = offset;
            continue;
        }
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'\n' => {
                at_line_start = true;
                i += 1;
            }
            b'#' => {
                // A comment runs to the end of the line.
                i = find_byte(bytes, i, b'\n');
            }
            b'"' if bytes.get(i..i + 3) == Some(b"\"\"\"") => {
                // A documentation string: skip to its end; lines inside it are not line starts.
                i = match text.get(i + 3..).and_then(|rest| rest.find("\"\"\"")) {
                    Some(pos) => i + 3 + pos + 3,
                    None => {
                        scan.unclosed_doc_string = Some(i);
                        bytes.len()
                    }
                };
            }
            b'"' => {
                // A one-line string, with escapes.
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' => break,
                        _ => i += 1,
                    }
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING && scan.too_deep.is_none() {
                    scan.too_deep = Some((Span::new(i, i + 1), Excess::Brackets));
                }
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'w' if is_word_at(bytes, i, b"where") => {
                quantifiers += 1;
                if quantifiers > MAX_QUANTIFIERS && scan.too_deep.is_none() {
                    scan.too_deep = Some((Span::new(i, i + 5), Excess::Quantifiers));
                }
                i += 5;
            }
            _ if b.is_ascii_alphanumeric() || b == b'_' => {
                // Skip the rest of the word so `somewhere` is not read as `where`.
                while bytes
                    .get(i)
                    .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    scan
}

fn find_byte(bytes: &[u8], from: usize, needle: u8) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|&b| b == needle))
        .map_or(bytes.len(), |p| from + p)
}

fn is_word_at(bytes: &[u8], at: usize, word: &[u8]) -> bool {
    let end = at + word.len();
    bytes.get(at..end) == Some(word)
        && !bytes
            .get(end)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_line_starts_outside_doc_strings() {
        let text = "policy a\n  \"\"\"\nrule inside doc\n\"\"\"\n  rule b\nend\n";
        let words: Vec<&str> = scan(text).lines.iter().map(|l| l.word).collect();
        // The file ends with a line break, so no line starts after the last `end`.
        assert_eq!(words, ["policy", "", "rule", "end"]);
    }

    #[test]
    fn flags_deep_brackets_but_not_brackets_in_strings() {
        let deep = format!("rule a when {}x{} end", "(".repeat(100), ")".repeat(100));
        assert_eq!(scan(&deep).too_deep.map(|(_, e)| e), Some(Excess::Brackets));
        let quoted = format!("rule a because \"{}\" end", "(".repeat(100));
        assert_eq!(scan(&quoted).too_deep, None);
    }

    #[test]
    fn flags_long_quantifier_chains_per_declaration() {
        let chain = "any x in xs where ".repeat(40);
        assert_eq!(
            scan(&format!("rule a when {chain} true end"))
                .too_deep
                .map(|(_, e)| e),
            Some(Excess::Quantifiers)
        );
        let spread = "rule a when any x in xs where true end\n".repeat(40);
        assert_eq!(scan(&spread).too_deep, None);
    }
}
