//! The parser driver: walks a file declaration by declaration with pest, translating pest's
//! errors into diagnostics and resuming after each broken declaration.
//!
//! Parsing one declaration at a time (rather than the whole file with one rule) does two
//! things. Recovery: a broken rule is reported and skipped, and the next rule is parsed as if
//! nothing happened, so one run reports every broken declaration, each at its own line, without
//! follow-on errors. Bounded work: each pest call sees one declaration, and the call limit and
//! the nesting pre-scan keep even hostile input linear.

use std::num::NonZeroUsize;
use std::sync::Once;

use pest::error::{ErrorVariant, InputLocation};
use pest::iterators::Pair;
use pest::Parser as _;

use super::ast;
use super::expected::describe;
use super::lower::Lower;
use super::scan::{self, Excess, Scan};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{SourceFile, Span, MAX_SOURCE_BYTES};
use crate::suggest;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/vigil.pest"]
pub(crate) struct VigilParser;

/// The most grammar-rule calls pest may make for one declaration. A large table of ten
/// thousand rows needs a few million; hostile input hits the limit in well under a second.
const CALL_LIMIT: usize = 40_000_000;

/// After this many errors in one file the parser stops: the rest would be noise.
const MAX_ERRORS: usize = 50;

/// Words that open a declaration allowed at the top of a file.
const TOP_WORDS: &[&str] = &[
    "import", "schema", "record", "enum", "decision", "table", "test",
];
/// Words that open a declaration inside a policy.
const MEMBER_WORDS: &[&str] = &["rule", "table", "test", "decision", "enum", "record"];

/// Parses one file into its syntax tree and every syntax diagnostic found in it.
pub fn parse(file: &SourceFile) -> (ast::File, Vec<Diagnostic>) {
    static SET_LIMIT: Once = Once::new();
    SET_LIMIT.call_once(|| pest::set_call_limit(NonZeroUsize::new(CALL_LIMIT)));

    let mut driver = Driver {
        file,
        text: &file.text,
        scan: Scan::default(),
        lower: Lower::new(file),
        items: Vec::new(),
    };
    if file.text.len() > MAX_SOURCE_BYTES {
        driver.report(too_large(file, file.text.len()));
        return (ast::File::default(), driver.lower.diagnostics);
    }
    driver.scan = scan::scan(&file.text);
    if let Some((span, excess)) = driver.scan.too_deep {
        driver.report(too_deep(file, span, excess));
        return (ast::File::default(), driver.lower.diagnostics);
    }
    driver.run();
    (
        ast::File {
            items: driver.items,
        },
        driver.lower.diagnostics,
    )
}

/// The diagnostic for a file over [`MAX_SOURCE_BYTES`].
pub fn too_large(file: &SourceFile, len: usize) -> Diagnostic {
    Diagnostic::error(Code::E0004, format!("`{}` is too large to be a policy file ({len} bytes)", file.name))
        .with_help(format!("policy files may be at most {MAX_SOURCE_BYTES} bytes; split the policy into several files or load large tables from data files with `load from`"))
}

fn too_deep(file: &SourceFile, span: Span, excess: Excess) -> Diagnostic {
    let (message, label, help) = match excess {
        Excess::Brackets => (
            "expression is nested too deeply",
            format!(
                "more than {} levels of brackets open here",
                scan::MAX_NESTING
            ),
            "split the condition into several rules or simplify its parentheses",
        ),
        Excess::Quantifiers => (
            "condition nests too many quantifiers",
            format!(
                "more than {} `where` clauses in one declaration",
                scan::MAX_QUANTIFIERS
            ),
            "split the condition into several rules",
        ),
    };
    Diagnostic::error(Code::E0003, message)
        .with_label(file, span, label)
        .with_help(help)
}

/// Where recovery is looking for a place to resume.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Top,
    Member,
    PolicyHead,
}

struct Driver<'a> {
    file: &'a SourceFile,
    text: &'a str,
    scan: Scan<'a>,
    lower: Lower<'a>,
    items: Vec<ast::Item>,
}

impl<'a> Driver<'a> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.lower.diagnostics.push(diagnostic);
    }

    fn too_many_errors(&self) -> bool {
        self.lower
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .count()
            >= MAX_ERRORS
    }

    fn run(&mut self) {
        let mut pos = skip_trivia(self.text, 0);
        while pos < self.text.len() {
            if self.too_many_errors() {
                self.report(
                    Diagnostic::error(
                        Code::E0001,
                        format!(
                            "too many syntax errors in `{}`; stopped after {MAX_ERRORS}",
                            self.file.name
                        ),
                    )
                    .with_label(
                        self.file,
                        Span::at(pos),
                        "parsing stopped here",
                    ),
                );
                return;
            }
            let word = word_at(self.text, pos);
            pos = match word {
                "policy" => self.policy(pos),
                "rule" => {
                    self.report(
                        Diagnostic::error(Code::E0009, "a rule must be inside a policy")
                            .with_label(self.file, Span::new(pos, pos + word.len()), "this rule stands outside any policy")
                            .with_help("put it between `policy NAME` and that policy's `end`, so it has an authority and a citation"),
                    );
                    // Parse it anyway, so its own syntax errors are reported too.
                    match self.parse_one(Rule::member, pos) {
                        Ok((_, end)) => end,
                        Err(diagnostic) => {
                            self.report(diagnostic);
                            self.recover(pos, Level::Top)
                        }
                    }
                }
                "end" => {
                    self.report(
                        Diagnostic::error(Code::E0001, "`end` without a block to close")
                            .with_label(self.file, Span::new(pos, pos + 3), "nothing is open here")
                            .with_help(
                                "remove this `end`, or check the block above for an extra `end`",
                            ),
                    );
                    pos + 3
                }
                _ => match self.parse_one(Rule::top_item, pos) {
                    Ok((pair, end)) => {
                        self.lower.offset = pos;
                        if let Some(item) = self.lower.top_item(pair) {
                            self.items.push(item);
                        }
                        end
                    }
                    Err(diagnostic) => {
                        self.report(diagnostic);
                        self.recover(pos, Level::Top)
                    }
                },
            };
            pos = skip_trivia(self.text, pos);
        }
    }

    /// Parses a policy starting at `start`; returns the offset after its `end`.
    fn policy(&mut self, start: usize) -> usize {
        let (mut policy, mut pos) = match self.parse_one(Rule::policy_head, start) {
            Ok((pair, end)) => {
                self.lower.offset = start;
                (self.lower.policy_head(pair), end)
            }
            Err(diagnostic) => {
                self.report(diagnostic);
                (None, self.recover(start, Level::PolicyHead))
            }
        };
        loop {
            pos = skip_trivia(self.text, pos);
            if self.too_many_errors() {
                return self.text.len();
            }
            let word = word_at(self.text, pos);
            if pos >= self.text.len() || word == "policy" || word == "import" || word == "schema" {
                let head = Span::new(start, start + "policy".len());
                let name = policy
                    .as_ref()
                    .map_or_else(String::new, |p| format!(" `{}`", p.name.dotted()));
                let found = if pos >= self.text.len() {
                    "the file ends".to_string()
                } else {
                    format!("`{word}` begins a new declaration")
                };
                self.report(
                    Diagnostic::error(
                        Code::E0002,
                        format!("policy{name} is not closed with `end`"),
                    )
                    .with_label(self.file, head, "this policy is never closed")
                    .with_label(self.file, Span::at(pos), format!("{found} here"))
                    .with_help("add `end` on its own line after the policy's last rule"),
                );
                break;
            }
            if word == "end" {
                pos += 3;
                break;
            }
            match self.parse_one(Rule::member, pos) {
                Ok((pair, end)) => {
                    self.lower.offset = pos;
                    if let (Some(member), Some(policy)) = (self.lower.member(pair), policy.as_mut())
                    {
                        policy.members.push(member);
                    }
                    pos = end;
                }
                Err(diagnostic) => {
                    self.report(diagnostic);
                    pos = self.recover(pos, Level::Member);
                }
            }
        }
        if let Some(mut policy) = policy {
            policy.span = Span::new(start, pos);
            self.items.push(ast::Item::Policy(policy));
        }
        pos
    }

    /// Runs pest on one declaration starting at `start`.
    fn parse_one(&self, rule: Rule, start: usize) -> Result<(Pair<'a, Rule>, usize), Diagnostic> {
        let rest = self.text.get(start..).unwrap_or("");
        match VigilParser::parse(rule, rest) {
            Ok(mut pairs) => match pairs.next() {
                Some(pair) => {
                    let end = start + pair.as_span().end();
                    Ok((pair, end))
                }
                None => Err(Diagnostic::error(
                    Code::E0000,
                    "internal error: the parser produced nothing",
                )
                .with_label(self.file, Span::at(start), "here")),
            },
            Err(error) => Err(self.syntax_error(rule, start, &error)),
        }
    }

    /// Finds where to resume after a broken declaration that starts at `start`.
    ///
    /// Layout carries no meaning in Vigil, but people indent, and recovery uses that: the
    /// declaration is taken to end at the next line that opens a declaration at the same or a
    /// shallower indentation, or at an `end` that lines up with it.
    fn recover(&self, start: usize, level: Level) -> usize {
        let indent = column_of(self.text, start);
        for line in self
            .scan
            .lines
            .iter()
            .filter(|l| l.offset > start && !same_line(self.text, start, l.offset))
        {
            let word = line.word;
            let is_member = MEMBER_WORDS.contains(&word);
            let is_top = TOP_WORDS.contains(&word) || word == "policy";
            match level {
                Level::PolicyHead if is_member || is_top || word == "end" => return line.offset,
                Level::Member if word == "policy" || word == "import" || word == "schema" => {
                    return line.offset
                }
                Level::Member if is_member && line.indent <= indent => return line.offset,
                Level::Member if word == "end" && line.indent < indent => return line.offset,
                Level::Top if (is_top || word == "rule") && line.indent <= indent => {
                    return line.offset
                }
                Level::Member | Level::Top if word == "end" && line.indent == indent => {
                    return line.offset + 3
                }
                _ => {}
            }
        }
        self.text.len()
    }

    /// Translates a pest error into a diagnostic a policy author can act on.
    fn syntax_error(
        &self,
        rule: Rule,
        start: usize,
        error: &pest::error::Error<Rule>,
    ) -> Diagnostic {
        let pos = start
            + match error.location {
                InputLocation::Pos(p) => p,
                InputLocation::Span((s, _)) => s,
            };
        let positives = match &error.variant {
            ErrorVariant::ParsingError { positives, .. } => positives.clone(),
            ErrorVariant::CustomError { message } => {
                return Diagnostic::error(Code::E0006, "declaration is too complex to parse")
                    .with_label(
                        self.file,
                        Span::new(start, start + word_at(self.text, start).len()),
                        format!("the parser gave up on this declaration ({message})"),
                    )
                    .with_help("split the declaration into smaller ones");
            }
        };
        let mut expected: Vec<&str> = Vec::new();
        for description in positives.iter().filter_map(|r| describe(*r)) {
            if !expected.contains(&description) {
                expected.push(description);
            }
        }
        // Alternatives that are technically possible but never what the author meant.
        let wants_value = expected
            .iter()
            .any(|e| *e == "a value" || *e == "a condition");
        let wants_clause = positives.iter().any(|r| {
            matches!(
                r,
                Rule::rule_clause
                    | Rule::policy_clause
                    | Rule::table_clause
                    | Rule::decision_clause
                    | Rule::test_clause
            )
        });
        expected
            .retain(|e| !(wants_value && *e == "`not`" || wants_clause && *e == "a quoted string"));
        if expected.is_empty() {
            expected.push(describe(rule).unwrap_or("something else"));
        }
        let expected_text = join_or(&expected);
        let at_eof = skip_trivia(self.text, pos) >= self.text.len();
        let found = found_at(self.text, pos);
        let previous = previous_token(self.text, pos);

        // A block left open at the end of the file is common enough to get its own code.
        if at_eof && positives.contains(&Rule::kw_end) {
            let word = word_at(self.text, start);
            return Diagnostic::error(Code::E0002, format!("`{word}` is not closed with `end`"))
                .with_label(
                    self.file,
                    Span::new(start, start + word.len()),
                    format!("this `{word}` is never closed"),
                )
                .with_label(self.file, Span::at(self.text.len()), "the file ends here")
                .with_help(format!("add `end` after the last clause of the `{word}`"));
        }

        let after = previous
            .filter(|(_, word)| is_keyword_like(word))
            .map(|(_, word)| format!(" after `{word}`"))
            .unwrap_or_default();
        let message = format!("expected {expected_text}{after}, found {}", found.describe);
        let mut diagnostic = Diagnostic::error(Code::E0001, message);
        // When what was found is a word that is fine elsewhere (a clause keyword, `end`, the end
        // of the file), the mistake is what is missing before it: point at the previous token.
        let structural = at_eof || is_structural(&found.word);
        let is_short = expected_text.len() <= 48;
        let short = if is_short {
            format!("expected {expected_text}")
        } else {
            format!("unexpected {}", found.describe)
        };
        match previous {
            Some((span, _))
                if structural
                    && self
                        .text
                        .get(span.end as usize..pos)
                        .is_some_and(|gap| gap.contains('\n')) =>
            {
                diagnostic = diagnostic.with_label(
                    self.file,
                    span,
                    if is_short {
                        format!("expected {expected_text} after this")
                    } else {
                        "something is missing after this".to_string()
                    },
                );
            }
            _ => diagnostic = diagnostic.with_label(self.file, found.span, format!("{short} here")),
        }
        if let Some(help) = self.help_for(&positives, &found, pos) {
            diagnostic = diagnostic.with_help(help);
        }
        diagnostic
    }

    /// A hint for the likely mistakes behind a syntax error.
    fn help_for(&self, positives: &[Rule], found: &Found, pos: usize) -> Option<String> {
        let word = found.word.as_str();
        let expects_name = positives.iter().any(|r| {
            matches!(
                r,
                Rule::ident
                    | Rule::qualified_name
                    | Rule::primary
                    | Rule::expr
                    | Rule::outcome_value
            )
        });
        if expects_name && is_reserved(word) && !is_structural(word) {
            return Some(format!("`{word}` is a reserved word of the language; choose another name, such as `{word}_value`"));
        }
        if word.len() >= 5
            && word.as_bytes().first().is_some_and(u8::is_ascii_digit)
            && word.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
        {
            return Some(format!(
                "write ECCNs and other codes as quoted strings: `\"{word}\"`"
            ));
        }
        if positives.contains(&Rule::kw_end) && (MEMBER_WORDS.contains(&word) || word == "policy") {
            return Some(
                "close the previous declaration with `end` before starting a new one".to_string(),
            );
        }
        if positives.iter().any(|r| {
            matches!(
                r,
                Rule::top_item
                    | Rule::member
                    | Rule::rule_clause
                    | Rule::policy_clause
                    | Rule::table_clause
                    | Rule::decision_clause
                    | Rule::test_clause
            )
        }) && !word.is_empty()
        {
            let keywords: &[&str] = &[
                "policy",
                "import",
                "schema",
                "record",
                "enum",
                "decision",
                "table",
                "test",
                "rule",
                "when",
                "unless",
                "then",
                "because",
                "cite",
                "effective",
                "until",
                "exception",
                "priority",
                "doc",
                "title",
                "authority",
                "values",
                "type",
                "combine",
                "default",
                "unknown",
                "columns",
                "row",
                "load",
                "source",
                "given",
                "expect",
                "end",
            ];
            if let Some(keyword) = suggest::closest(word, keywords.iter().copied()) {
                return Some(format!("did you mean `{keyword}`?"));
            }
        }
        if self
            .text
            .get(pos..)
            .is_some_and(|rest| rest.starts_with('\''))
        {
            return Some("strings are written between double quotes: `\"...\"`".to_string());
        }
        if positives.contains(&Rule::outcome) || positives.contains(&Rule::kw_is) && word == "=" {
            return Some(
                "an outcome reads `DECISION is VALUE`, for example `license is required`"
                    .to_string(),
            );
        }
        None
    }
}

/// What stands at the error position.
struct Found {
    describe: String,
    word: String,
    span: Span,
}

fn found_at(text: &str, pos: usize) -> Found {
    let rest = text.get(pos..).unwrap_or("");
    let word = word_at(text, pos);
    if rest.is_empty() {
        return Found {
            describe: "the end of the file".into(),
            word: String::new(),
            span: Span::at(pos),
        };
    }
    if !word.is_empty() {
        return Found {
            describe: format!("`{word}`"),
            word: word.to_string(),
            span: Span::new(pos, pos + word.len()),
        };
    }
    let c = rest.chars().next().unwrap_or(' ');
    let describe = if c == '\n' || c == '\r' {
        "the end of the line".to_string()
    } else if c.is_control() || c == '\u{fffd}' {
        format!("the character U+{:04X}", c as u32)
    } else {
        format!("`{c}`")
    };
    Found {
        describe,
        word: c.to_string(),
        span: Span::new(pos, pos + c.len_utf8()),
    }
}

/// The last word or symbol before `pos`, skipping whitespace.
fn previous_token(text: &str, pos: usize) -> Option<(Span, &str)> {
    let before = text.get(..pos)?;
    let trimmed = before.trim_end();
    let end = trimmed.len();
    if end == 0 {
        return None;
    }
    let start = trimmed
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    if start == end {
        let c = trimmed.chars().next_back()?;
        return Some((
            Span::new(end - c.len_utf8(), end),
            trimmed.get(end - c.len_utf8()..)?,
        ));
    }
    Some((Span::new(start, end), trimmed.get(start..)?))
}

fn is_keyword_like(word: &str) -> bool {
    matches!(
        word,
        "when"
            | "unless"
            | "then"
            | "because"
            | "and"
            | "or"
            | "not"
            | "is"
            | "in"
            | "within"
            | "where"
            | "cite"
            | "effective"
            | "until"
            | "to"
            | "priority"
            | "includes"
            | "values"
            | "type"
            | "combine"
            | "by"
            | "default"
            | "unknown"
            | "columns"
            | "row"
            | "load"
            | "from"
            | "source"
            | "of"
            | "given"
            | "expect"
            | "import"
            | "policy"
            | "rule"
            | "table"
            | "test"
            | "decision"
            | "enum"
            | "record"
            | "schema"
            | "title"
            | "authority"
            | "matches"
            | "before"
            | "after"
    )
}

/// Words that are right somewhere in a declaration: finding one where it does not fit usually
/// means something is missing before it.
fn is_structural(word: &str) -> bool {
    matches!(
        word,
        "end"
            | "when"
            | "unless"
            | "then"
            | "because"
            | "cite"
            | "effective"
            | "until"
            | "exception"
            | "priority"
            | "doc"
            | "rule"
            | "policy"
            | "table"
            | "test"
            | "decision"
            | "enum"
            | "record"
            | "schema"
            | "import"
            | "values"
            | "type"
            | "combine"
            | "default"
            | "unknown"
            | "columns"
            | "row"
            | "load"
            | "source"
            | "given"
            | "expect"
            | "title"
            | "authority"
    )
}

fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "and"
            | "or"
            | "not"
            | "is"
            | "in"
            | "within"
            | "matches"
            | "before"
            | "after"
            | "on"
            | "any"
            | "every"
            | "no"
            | "where"
            | "true"
            | "false"
            | "missing"
            | "empty"
            | "end"
            | "when"
            | "unless"
            | "then"
            | "because"
            | "includes"
    )
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The word (letters, digits, underscores) starting at `pos`, possibly empty.
fn word_at(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    rest.get(..len).unwrap_or("")
}

/// Skips whitespace and comments from `pos`.
fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'#' => {
                pos = bytes
                    .get(pos..)
                    .and_then(|rest| rest.iter().position(|&c| c == b'\n'))
                    .map_or(bytes.len(), |p| pos + p);
            }
            _ => break,
        }
    }
    pos
}

fn column_of(text: &str, pos: usize) -> usize {
    let line_start = text
        .get(..pos)
        .and_then(|b| b.rfind('\n'))
        .map_or(0, |i| i + 1);
    pos - line_start
}

fn same_line(text: &str, a: usize, b: usize) -> bool {
    text.get(a.min(b)..a.max(b))
        .is_some_and(|between| !between.contains('\n'))
}
