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
use serde::Deserialize as _;

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

/// Words that open a declaration or a clause: the candidates for "did you mean".
const CLAUSE_KEYWORDS: &[&str] = &[
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

    /// Reports that parsing stopped at `pos` because the file has too many errors.
    fn stop_reporting(&mut self, pos: usize) {
        let message = format!(
            "too many syntax errors in `{}`; stopped after {MAX_ERRORS}",
            self.file.name
        );
        self.report(
            Diagnostic::error(Code::E0001, message)
                .with_label(self.file, Span::at(pos), "parsing stopped here")
                .with_help("fix the errors above and check again"),
        );
    }

    fn run(&mut self) {
        let mut pos = skip_trivia(self.text, 0);
        while pos < self.text.len() {
            if self.too_many_errors() {
                self.stop_reporting(pos);
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
                self.stop_reporting(pos);
                return self.text.len();
            }
            let word = word_at(self.text, pos);
            if pos >= self.text.len() && self.scan.unclosed_doc_string.is_some_and(|o| o < pos) {
                // Documentation text that is never closed swallowed the policy's `end`; that
                // has been reported already.
                break;
            }
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
                    .with_label(
                        self.file,
                        if pos >= self.text.len() {
                            self.end_of_text()
                        } else {
                            Span::new(pos, pos + word.len())
                        },
                        format!("{found} here"),
                    )
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
            // A misspelt declaration word (`rul`, `polcy`) still starts a new declaration: the
            // author will want to hear about it rather than have it skipped.
            let is_member = MEMBER_WORDS.contains(&word) || misspells(word, MEMBER_WORDS);
            let is_top = TOP_WORDS.contains(&word)
                || word == "policy"
                || misspells(word, TOP_WORDS)
                || misspells(word, &["policy"]);
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
                    .with_help("split the declaration into smaller ones, or move long lists of values into a table");
            }
        };
        if let Some(diagnostic) = self.unclosed_text(start, pos, &positives) {
            return diagnostic;
        }
        if let Some(diagnostic) = self.misspelt_clause(start, pos) {
            return diagnostic;
        }
        if let Some(diagnostic) = self.json_error(start, pos, &positives) {
            return diagnostic;
        }
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
        // A comparison already names `is` and `in`; listing them again reads as a stutter.
        if expected
            .iter()
            .any(|e| e.starts_with("a comparison such as"))
        {
            expected.retain(|e| !matches!(*e, "`is`" | "`in`" | "`not`"));
        }
        if expected.is_empty() {
            expected.push(describe(rule).unwrap_or("something else"));
        }
        // An outcome starts with the decision's name, so pest expects "a name" after `then`,
        // `expect` and the `,` or `and` between outcomes; the author thinks of the whole outcome.
        let after_outcome_keyword = previous_token(self.text, pos).is_some_and(|(_, word)| {
            word == "then"
                || word == "expect"
                || (matches!(word, "," | "and") && self.clause_at(pos) == "then")
        });
        if after_outcome_keyword && expected.contains(&"a name") {
            expected.retain(|e| *e != "a name");
            expected.insert(0, describe(Rule::outcome).unwrap_or("an outcome"));
        }
        let at_eof = skip_trivia(self.text, pos) >= self.text.len();
        let found = found_at(self.text, pos);
        let previous = previous_token(self.text, pos);
        // When what was found is a word that is fine elsewhere (a clause keyword, `end`, the end
        // of the file), the mistake is what is missing before it.
        let structural = at_eof || is_structural(&found.word);
        if let Some(diagnostic) = self.missing_colon(&positives, &found) {
            return diagnostic;
        }
        // A bracket still open when the next clause begins was almost certainly never closed;
        // pest does not list the closing bracket among what it expected, so add it.
        let unclosed = unclosed_bracket(self.text, start, pos).filter(|_| structural);
        if let Some((_, bracket)) = unclosed {
            expected.insert(0, closing_bracket_text(bracket));
        }
        let expected_text = join_or(&expected);

        // A block left open at the end of the file, or when the next declaration begins at its
        // own indentation, is common enough to get its own code.
        let next_declaration = found.span.start as usize == pos
            && (MEMBER_WORDS.contains(&found.word.as_str())
                || TOP_WORDS.contains(&found.word.as_str())
                || found.word == "policy")
            && self
                .text
                .get(..pos)
                .is_some_and(|before| before.rsplit('\n').next().unwrap_or("").trim().is_empty())
            && column_of(self.text, pos) <= column_of(self.text, start);
        let ends_block = if at_eof {
            Some((self.end_of_text(), "the file ends here".to_string()))
        } else if next_declaration {
            Some((
                found.span,
                format!("`{}` begins a new declaration here", found.word),
            ))
        } else {
            None
        };
        if let (true, Some((end_span, end_label))) = (positives.contains(&Rule::kw_end), ends_block)
        {
            let word = word_at(self.text, start);
            let name_start = skip_trivia(self.text, start + word.len());
            let name = match word_at(self.text, name_start) {
                "" => String::new(),
                name => format!(" `{name}`"),
            };
            return Diagnostic::error(
                Code::E0002,
                format!("{word}{name} is not closed with `end`"),
            )
            .with_label(
                self.file,
                Span::new(start, start + word.len()),
                format!("this `{word}` is never closed"),
            )
            .with_label(self.file, end_span, end_label)
            .with_help(format!("add `end` after the last clause of the `{word}`"));
        }

        let after = previous
            .filter(|(_, word)| is_keyword_like(word))
            .map(|(_, word)| format!(" after `{word}`"))
            .unwrap_or_default();
        let message = format!("expected {expected_text}{after}, found {}", found.describe);
        let mut diagnostic = Diagnostic::error(Code::E0001, message);
        // After a structural word, point at the previous token: that is where something is
        // missing.
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
        if let Some((open, bracket)) = unclosed {
            diagnostic = diagnostic.with_label(
                self.file,
                Span::new(open, open + 1),
                format!("this `{bracket}` is never closed"),
            );
        }
        if let Some(help) = self.help_for(&positives, &found, pos) {
            diagnostic = diagnostic.with_help(help);
        }
        diagnostic
    }

    /// A field or column whose name is not followed by `:`, as in `destination country`. pest
    /// reports the error at the name, where it tried the field, and expects a whole field.
    fn missing_colon(&self, positives: &[Rule], found: &Found) -> Option<Diagnostic> {
        let what = if positives.contains(&Rule::field_decl) {
            "field"
        } else if positives.contains(&Rule::column_decl) {
            "column"
        } else {
            return None;
        };
        let name = found.word.as_str();
        let after = self.text.get(found.span.end as usize..).unwrap_or("");
        let rest_of_line = after.split('\n').next().unwrap_or("").trim_start();
        let type_follows = rest_of_line.starts_with(|c: char| c.is_ascii_alphabetic());
        // A field's name starts its line; a column's follows `columns` or a comma. Anywhere
        // else the word is more likely the rest of a broken type (`optional lst of party`).
        let start = found.span.start as usize;
        let previous = previous_token(self.text, start).map_or("", |(_, token)| token);
        let in_place = match what {
            "field" => self.text.get(..start).map_or(true, |before| {
                before.rsplit('\n').next().unwrap_or("").trim().is_empty()
            }),
            _ => previous == "columns" || previous == ",",
        };
        if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            || !type_follows
            || !in_place
        {
            return None;
        }
        Some(
            Diagnostic::error(
                Code::E0001,
                format!("expected `:` after the {what} name `{name}`"),
            )
            .with_label(
                self.file,
                found.span,
                format!("expected `:` after this {what} name"),
            )
            .with_help(format!(
                "a {what} reads `NAME: TYPE`, for example `destination: country`"
            )),
        )
    }

    /// The empty span just after the file's last token, where "the file ends" is drawn: an
    /// offset past the last line break would fall on a line that does not exist.
    fn end_of_text(&self) -> Span {
        Span::at(self.text.trim_end().len())
    }

    /// A string or documentation text that is never closed. The error pest reports for it is
    /// about what may come next inside the text, which is never what the author needs to hear.
    fn unclosed_text(&self, start: usize, pos: usize, positives: &[Rule]) -> Option<Diagnostic> {
        if let Some(open) = self
            .scan
            .unclosed_doc_string
            .filter(|&o| start <= o && o <= pos)
        {
            return Some(
                Diagnostic::error(
                    Code::E0001,
                    "documentation text is not closed with `\"\"\"`",
                )
                .with_label(
                    self.file,
                    Span::new(open, open + 3),
                    "this documentation text runs to the end of the file",
                )
                .with_help("end the documentation text with `\"\"\"` after its last line"),
            );
        }
        let at_line_end = matches!(self.text.as_bytes().get(pos), None | Some(b'\n' | b'\r'));
        if !(at_line_end && positives.contains(&Rule::interpolation)) {
            return None;
        }
        let line_start = self
            .text
            .get(..pos)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        let open = opening_quote(self.text, line_start, pos).unwrap_or(pos);
        Some(
            Diagnostic::error(Code::E0001, "string is not closed before the end of the line")
                .with_label(self.file, Span::new(open, open + 1), "this string is never closed")
                .with_label(self.file, Span::at(pos), "the line ends here")
                .with_help("end the string with `\"` on the same line; documentation text that spans lines goes between `\"\"\"`"),
        )
    }

    /// An error inside the JSON of a test's `given`. pest stops where it last tried a JSON
    /// value, which is often before the mistake (a missing comma after a value is reported at
    /// the value); a JSON parser finds the mistake itself and names it.
    fn json_error(&self, start: usize, pos: usize, positives: &[Rule]) -> Option<Diagnostic> {
        let in_json = positives.iter().any(|r| {
            matches!(
                r,
                Rule::json_object | Rule::json_value | Rule::json_member | Rule::json_string
            )
        });
        if !in_json {
            return None;
        }
        // The first `given` followed by `{`: the word may also appear in the test's name, and
        // both may appear inside the JSON.
        let declaration = self.text.get(start..pos)?;
        let open = declaration
            .match_indices("given")
            .filter_map(|(at, word)| {
                let after = declaration.get(at + word.len()..)?;
                let brace = after.len() - after.trim_start().len();
                after
                    .trim_start()
                    .starts_with('{')
                    .then_some(start + at + word.len() + brace)
            })
            .next()?;
        let json = self.text.get(open..)?;
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let error = serde_json::Value::deserialize(&mut deserializer).err()?;
        let line_start: usize = json
            .split_inclusive('\n')
            .take(error.line().saturating_sub(1))
            .map(str::len)
            .sum();
        let at = open + line_start + error.column().saturating_sub(1);
        // Trust the JSON parser only where it agrees that the text is wrong at or after the
        // point pest reached; before it, the grammar's JSON (which allows comments) differs.
        if at < pos {
            return None;
        }
        let full = error.to_string();
        let reason = full.split(" at line ").next().unwrap_or(&full);
        let found = found_at(self.text, at);
        let help = match reason {
            "trailing comma" => {
                "remove the comma: JSON allows none after the last member or element".to_string()
            }
            "key must be a string" => {
                format!("put the key in double quotes: `\"{}\"`", found.word)
            }
            _ => "write the transaction as in a transaction file: keys and strings in double quotes, members and elements separated by commas".to_string(),
        };
        Some(
            Diagnostic::error(
                Code::E0001,
                format!("the transaction after `given` is not valid JSON: {reason}"),
            )
            .with_label(self.file, found.span, "the JSON is wrong here")
            .with_help(help),
        )
    }

    /// A misspelt clause keyword at the start of a line, such as `becuase`. pest reads it as
    /// the start of something else (often another outcome of `then`) and fails on the word
    /// after it; the author needs to hear about the misspelt word instead.
    fn misspelt_clause(&self, start: usize, pos: usize) -> Option<Diagnostic> {
        let (span, word) = previous_token(self.text, pos)?;
        let word_start = span.start as usize;
        let line_start = self
            .text
            .get(..word_start)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        let starts_line = self
            .text
            .get(line_start..word_start)
            .is_some_and(|indent| indent.trim().is_empty());
        // The error follows the word on its line, or the word stands alone on its line (a
        // misspelt `end`).
        let gap = self.text.get(span.end as usize..pos).unwrap_or("");
        let next_to_error = !gap.contains('\n');
        let alone_on_line = skip_trivia(gap, 0) == gap.len() && gap.contains('\n');
        if word_start <= start
            || !starts_line
            || !(next_to_error || alone_on_line)
            || CLAUSE_KEYWORDS.contains(&word)
            || is_reserved(word)
        {
            return None;
        }
        if !word.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let keyword = suggest::closest(word, CLAUSE_KEYWORDS.iter().copied())?;
        let block = word_at(self.text, start);
        Some(
            Diagnostic::error(
                Code::E0001,
                format!("unknown clause `{word}` in this `{block}`"),
            )
            .with_label(self.file, span, "not a clause keyword")
            .with_help(format!("did you mean `{keyword}`?")),
        )
    }

    /// Whether the token at `pos` is a value that directly follows another value on the same
    /// line of a list, a row or the arguments of a function: a comma is missing between them.
    fn missing_comma(&self, pos: usize) -> bool {
        let starts_value = self
            .text
            .get(pos..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| c == '"' || c == '[' || c.is_ascii_alphanumeric());
        let Some((span, token)) = previous_token(self.text, pos) else {
            return false;
        };
        let ends_value =
            token.ends_with(|c: char| c == '"' || c == ']' || c.is_ascii_alphanumeric());
        let same_line = self
            .text
            .get(span.end as usize..pos)
            .is_some_and(|gap| !gap.contains('\n'));
        let line_start = self
            .text
            .get(..pos)
            .and_then(|b| b.rfind('\n'))
            .map_or(0, |i| i + 1);
        let first_word = word_at(self.text, skip_trivia(self.text, line_start));
        let in_list = unclosed_bracket(self.text, line_start, pos).is_some();
        let listing = matches!(first_word, "row" | "values" | "exception");
        starts_value && ends_value && same_line && (in_list || listing)
    }

    /// The keyword of the clause `pos` is in: the first word of the last line before it that
    /// starts with a clause keyword, or `""`.
    fn clause_at(&self, pos: usize) -> &'a str {
        let lines = &self.scan.lines;
        let before = lines.partition_point(|line| line.offset < pos);
        lines
            .get(..before)
            .and_then(|lines| {
                lines
                    .iter()
                    .rev()
                    .find(|line| CLAUSE_KEYWORDS.contains(&line.word))
            })
            .map_or("", |line| line.word)
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
        if looks_like_eccn(word) {
            let code = eccn_at(self.text, pos);
            return Some(format!("write ECCNs as quoted strings: `\"{code}\"`"));
        }
        if let Some(help) = symbol_help(self.text, pos) {
            return Some(help.to_string());
        }
        if positives.contains(&Rule::date) && word.starts_with(|c: char| c.is_ascii_digit()) {
            return Some("write dates as YYYY-MM-DD, with two digits for the month and the day: `2020-10-06`".to_string());
        }
        let previous = previous_token(self.text, pos).map_or("", |(_, token)| token);
        if matches!(previous, "import" | "file" | "from") && !word.is_empty() {
            let rest = self.text.get(pos..).unwrap_or("");
            let path = rest.split_whitespace().next().unwrap_or(word);
            return Some(format!(
                "write the path between double quotes: `\"{path}\"`"
            ));
        }
        if word == "of" && (misspells(previous, &["list"]) || misspells(previous, &["set"])) {
            let meant = if misspells(previous, &["list"]) {
                "list"
            } else {
                "set"
            };
            return Some(format!("did you mean `{meant} of`?"));
        }
        if matches!(previous, "," | "and") && self.clause_at(pos) == "then" && is_structural(word) {
            return Some(format!("remove the `{previous}` after the last outcome"));
        }
        if self.missing_comma(pos) {
            return Some("separate the values with commas".to_string());
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
            let keywords = CLAUSE_KEYWORDS;
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
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        // Show a malformed date or number whole (`2020-10-6`, `5A001.j`), not just its first
        // digits.
        let len = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
            .count();
        let token = rest.get(..len).unwrap_or(word).trim_end_matches(['.', '-']);
        return Found {
            describe: format!("`{token}`"),
            word: word.to_string(),
            span: Span::new(pos, pos + token.len()),
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
        "file"
            | "when"
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

/// The offset of the `"` that opens the string still open at `pos`, searching back to
/// `line_start`: the last quote not escaped by a backslash.
fn opening_quote(text: &str, line_start: usize, pos: usize) -> Option<usize> {
    let line = text.get(line_start..pos)?;
    let bytes = line.as_bytes();
    let mut open = None;
    let mut index = 0;
    while let Some(&b) = bytes.get(index) {
        match b {
            b'\\' => index += 2,
            b'"' => {
                open = if open.is_some() {
                    None
                } else {
                    Some(line_start + index)
                };
                index += 1;
            }
            _ => index += 1,
        }
    }
    open
}

/// Whether a word has the shape of an ECCN: a digit, a letter, three digits (`0A983`).
fn looks_like_eccn(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 5
        && bytes.first().is_some_and(u8::is_ascii_digit)
        && bytes.get(1).is_some_and(u8::is_ascii_uppercase)
        && bytes
            .get(2..5)
            .is_some_and(|digits| digits.iter().all(u8::is_ascii_digit))
}

/// The ECCN written at `pos`, with its paragraphs: `5A001.f.1`.
fn eccn_at(text: &str, pos: usize) -> &str {
    let rest = text.get(pos..).unwrap_or("");
    let len = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'.')
        .count();
    rest.get(..len).unwrap_or("").trim_end_matches('.')
}

/// Advice for operators borrowed from programming languages: `&&`, `||`, `!`, `==`.
fn symbol_help(text: &str, pos: usize) -> Option<&'static str> {
    let rest = text.get(pos..).unwrap_or("");
    let doubled_equals = pos > 0 && text.get(pos - 1..).is_some_and(|r| r.starts_with("=="));
    if rest.starts_with('&') {
        Some("join conditions with the word `and`")
    } else if rest.starts_with('|') {
        Some("join alternative conditions with the word `or`")
    } else if rest.starts_with('!') && !rest.starts_with("!=") {
        Some("negate a condition with the word `not`")
    } else if doubled_equals || rest.starts_with("==") {
        Some("compare values with `is` (or a single `=`)")
    } else if rest.starts_with(';') {
        Some("remove the `;`: clauses end at the next clause, with no separator")
    } else {
        None
    }
}

/// The innermost bracket opened between `from` and `to` and not closed before `to`, with its
/// offset. Strings, documentation text and comments are skipped.
fn unclosed_bracket(text: &str, from: usize, to: usize) -> Option<(usize, char)> {
    let bytes = text.as_bytes();
    let mut open: Vec<(usize, char)> = Vec::new();
    let mut index = from;
    while index < to {
        let Some(&b) = bytes.get(index) else { break };
        match b {
            b'#' => {
                while index < to && bytes.get(index) != Some(&b'\n') {
                    index += 1;
                }
            }
            b'"' if bytes.get(index..index + 3) == Some(b"\"\"\"") => {
                index = text
                    .get(index + 3..)
                    .and_then(|rest| rest.find("\"\"\""))
                    .map_or(to, |end| index + 3 + end + 3);
            }
            b'"' => {
                index += 1;
                while let Some(&c) = bytes.get(index) {
                    match c {
                        b'\\' => index += 2,
                        b'"' | b'\n' => break,
                        _ => index += 1,
                    }
                }
                index += 1;
            }
            b'(' | b'[' | b'{' => {
                open.push((index, char::from(b)));
                index += 1;
            }
            b')' | b']' | b'}' => {
                open.pop();
                index += 1;
            }
            _ => index += 1,
        }
    }
    open.pop()
}

/// How the bracket that closes `open` is named in "expected ..." messages.
fn closing_bracket_text(open: char) -> &'static str {
    match open {
        '(' => "`)`",
        '[' => "`]`",
        _ => "`}`",
    }
}

/// Whether `word` is a likely misspelling of one of `keywords` and not a keyword itself.
fn misspells(word: &str, keywords: &[&str]) -> bool {
    !word.is_empty()
        && !CLAUSE_KEYWORDS.contains(&word)
        && suggest::closest(word, keywords.iter().copied()).is_some()
}
