//! A small layout engine in the style of Wadler's "prettier printer": the formatter describes
//! what may break and how far continuation lines are indented, and the engine decides which
//! breaks to take so that lines stay within [`WIDTH`] columns.
//!
//! Groups break as a whole (every break in a broken group becomes a line break), fills break
//! only where the next piece would not fit, and hard breaks always break (and so break every
//! group around them). Text that may not be re-laid out (documentation text, inline JSON) is
//! printed verbatim, without re-indenting its lines.

/// The column limit the layout aims for. Text that cannot be broken (a long string) may exceed it.
pub const WIDTH: usize = 100;

/// A description of a layout.
#[derive(Clone, Debug)]
pub enum Doc {
    /// Text on one line.
    Text(String),
    /// Text printed at the end of a line and not counted against the width: a trailing comment.
    Suffix(String),
    /// Text printed exactly as given, line breaks included; its lines are not re-indented.
    Verbatim(String),
    /// A place where the line may (or, if hard, must) break.
    Break(Break),
    /// The content, with continuation lines indented this many more columns.
    Nest(usize, Box<Doc>),
    /// Content whose breaks are all taken or none are.
    Group { forced: bool, content: Box<Doc> },
    /// Pieces and separators, alternating (`piece, separator, piece, ...`): each separator
    /// breaks only when the piece after it does not fit on the line.
    Fill(Vec<Doc>),
    /// Pieces one after the other.
    Concat(Vec<Doc>),
}

/// What a break prints when it is not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Break {
    /// A space.
    Space,
    /// Always a line break.
    Hard,
}

impl Doc {
    pub fn text(text: impl Into<String>) -> Doc {
        Doc::Text(text.into())
    }

    pub fn nest(indent: usize, content: Doc) -> Doc {
        Doc::Nest(indent, Box::new(content))
    }

    /// A group; it is broken from the start when it holds a hard break or multi-line verbatim
    /// text, since it can then never be printed flat.
    pub fn group(content: Doc) -> Doc {
        let forced = content.must_break();
        Doc::Group {
            forced,
            content: Box::new(content),
        }
    }

    pub fn hard() -> Doc {
        Doc::Break(Break::Hard)
    }

    /// Whether this content can never be printed on one line.
    fn must_break(&self) -> bool {
        match self {
            Doc::Text(_) | Doc::Suffix(_) => false,
            Doc::Verbatim(text) => text.contains('\n'),
            Doc::Break(kind) => *kind == Break::Hard,
            Doc::Nest(_, content) => content.must_break(),
            Doc::Group { forced, .. } => *forced,
            Doc::Fill(parts) | Doc::Concat(parts) => parts.iter().any(Doc::must_break),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Flat,
    Broken,
}

/// What is left to print: a document, or the rest of a fill from one of its separators on.
#[derive(Clone, Copy)]
enum Item<'a> {
    Doc(&'a Doc),
    FillRest(&'a [Doc]),
}

#[derive(Clone, Copy)]
struct Command<'a> {
    indent: usize,
    mode: Mode,
    item: Item<'a>,
}

/// Lays `doc` out and returns the text.
pub fn render(doc: &Doc) -> String {
    let mut out = Output::default();
    let mut stack = vec![Command {
        indent: 0,
        mode: Mode::Broken,
        item: Item::Doc(doc),
    }];
    while let Some(command) = stack.pop() {
        let Command { indent, mode, item } = command;
        let doc = match item {
            Item::Doc(doc) => doc,
            Item::FillRest(rest) => {
                // `rest` is `separator, piece, separator, piece, ...`.
                let (Some(separator), Some(piece)) = (rest.first(), rest.get(1)) else {
                    continue;
                };
                let next = rest.get(2..).unwrap_or(&[]);
                // The piece fits if it does, with the text that ends its line (the comma of
                // the next separator), on the current line.
                let after: Vec<Command<'_>> = next
                    .first()
                    .map(|s| Command {
                        indent,
                        mode: Mode::Broken,
                        item: Item::Doc(s),
                    })
                    .into_iter()
                    .collect();
                let flat = mode == Mode::Flat
                    || fits(
                        &out,
                        &[
                            Command {
                                indent,
                                mode: Mode::Flat,
                                item: Item::Doc(separator),
                            },
                            Command {
                                indent,
                                mode: Mode::Flat,
                                item: Item::Doc(piece),
                            },
                        ],
                        &after,
                    );
                let separator_mode = if flat { Mode::Flat } else { Mode::Broken };
                stack.push(Command {
                    indent,
                    mode,
                    item: Item::FillRest(next),
                });
                let piece_mode = if flat || mode == Mode::Flat {
                    Mode::Flat
                } else {
                    Mode::Broken
                };
                stack.push(Command {
                    indent,
                    mode: piece_mode,
                    item: Item::Doc(piece),
                });
                stack.push(Command {
                    indent,
                    mode: separator_mode,
                    item: Item::Doc(separator),
                });
                continue;
            }
        };
        match doc {
            Doc::Text(text) | Doc::Suffix(text) => out.write(text),
            Doc::Verbatim(text) => out.write_verbatim(text),
            Doc::Break(kind) => match (mode, kind) {
                (Mode::Flat, Break::Space) => out.write(" "),
                _ => out.newline(indent),
            },
            Doc::Nest(extra, content) => stack.push(Command {
                indent: indent + extra,
                mode,
                item: Item::Doc(content),
            }),
            Doc::Group { forced, content } => {
                let candidate = Command {
                    indent,
                    mode: Mode::Flat,
                    item: Item::Doc(content),
                };
                let flat = mode == Mode::Flat || (!forced && fits(&out, &[candidate], &stack));
                stack.push(Command {
                    indent,
                    mode: if flat { Mode::Flat } else { Mode::Broken },
                    item: Item::Doc(content),
                });
            }
            Doc::Fill(parts) => {
                let Some(first) = parts.first() else { continue };
                stack.push(Command {
                    indent,
                    mode,
                    item: Item::FillRest(parts.get(1..).unwrap_or(&[])),
                });
                let first_flat = mode == Mode::Flat
                    || fits(
                        &out,
                        &[Command {
                            indent,
                            mode: Mode::Flat,
                            item: Item::Doc(first),
                        }],
                        &[],
                    );
                stack.push(Command {
                    indent,
                    mode: if first_flat { Mode::Flat } else { Mode::Broken },
                    item: Item::Doc(first),
                });
            }
            Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    stack.push(Command {
                        indent,
                        mode,
                        item: Item::Doc(part),
                    });
                }
            }
        }
    }
    out.text
}

/// Whether `next`, printed flat, and then `rest` up to its first line break fit on the current
/// line.
fn fits(out: &Output, next: &[Command<'_>], rest: &[Command<'_>]) -> bool {
    let mut remaining = WIDTH.saturating_sub(out.column_after_indent()) as isize;
    // Commands are taken from the end of `pending` (a stack), then from the end of `rest`.
    let mut pending: Vec<(Mode, Item<'_>)> = next.iter().rev().map(|c| (c.mode, c.item)).collect();
    let mut rest_index = rest.len();
    loop {
        let (mode, item) = match pending.pop() {
            Some(entry) => entry,
            None => {
                let Some(index) = rest_index.checked_sub(1) else {
                    return true;
                };
                rest_index = index;
                let Some(command) = rest.get(index) else {
                    return true;
                };
                (command.mode, command.item)
            }
        };
        let doc = match item {
            Item::Doc(doc) => doc,
            // A fill continues with a separator; if broken, the line ends there.
            Item::FillRest(parts) => match (mode, parts.first()) {
                (Mode::Flat, Some(_)) => {
                    for part in parts.iter().rev() {
                        pending.push((mode, Item::Doc(part)));
                    }
                    continue;
                }
                _ => return true,
            },
        };
        match doc {
            Doc::Text(text) => remaining -= text.chars().count() as isize,
            Doc::Suffix(_) => {}
            Doc::Verbatim(text) => {
                let first_line = text.split('\n').next().unwrap_or("");
                remaining -= first_line.chars().count() as isize;
                if text.contains('\n') {
                    return remaining >= 0 && mode == Mode::Broken;
                }
            }
            Doc::Break(kind) => match (mode, kind) {
                (Mode::Flat, Break::Space) => remaining -= 1,
                (Mode::Flat, Break::Hard) => return false,
                (Mode::Broken, _) => return remaining >= 0,
            },
            Doc::Nest(_, content) => pending.push((mode, Item::Doc(content))),
            Doc::Group { forced, content } => pending.push((
                if *forced { Mode::Broken } else { mode },
                Item::Doc(content),
            )),
            Doc::Fill(parts) | Doc::Concat(parts) => {
                for part in parts.iter().rev() {
                    pending.push((mode, Item::Doc(part)));
                }
            }
        }
        if remaining < 0 {
            return false;
        }
    }
}

/// The text printed so far. Indentation is written lazily, just before the next text, so that
/// empty lines carry no trailing spaces.
#[derive(Default)]
struct Output {
    text: String,
    column: usize,
    pending_indent: Option<usize>,
}

impl Output {
    fn column_after_indent(&self) -> usize {
        self.column + self.pending_indent.unwrap_or(0)
    }

    fn flush_indent(&mut self) {
        if let Some(indent) = self.pending_indent.take() {
            self.text.extend(std::iter::repeat(' ').take(indent));
            self.column += indent;
        }
    }

    fn write(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.flush_indent();
        self.text.push_str(text);
        self.column += text.chars().count();
    }

    fn write_verbatim(&mut self, text: &str) {
        self.flush_indent();
        self.text.push_str(text);
        match text.rfind('\n') {
            Some(last) => self.column = text.get(last + 1..).map_or(0, |line| line.chars().count()),
            None => self.column += text.chars().count(),
        }
    }

    fn newline(&mut self, indent: usize) {
        self.text.push('\n');
        self.column = 0;
        self.pending_indent = Some(indent);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(n: usize) -> Doc {
        let mut parts = vec![Doc::text("w0")];
        for i in 1..n {
            parts.push(Doc::Break(Break::Space));
            parts.push(Doc::text(format!("w{i}")));
        }
        Doc::group(Doc::nest(2, Doc::Concat(parts)))
    }

    #[test]
    fn a_group_that_fits_stays_on_one_line() {
        assert_eq!(render(&words(3)), "w0 w1 w2");
    }

    #[test]
    fn a_group_too_wide_breaks_every_break() {
        let text = render(&words(40));
        assert!(text.lines().count() == 40, "{text}");
        assert!(text.lines().skip(1).all(|l| l.starts_with("  w")));
    }

    #[test]
    fn a_hard_break_forces_its_group() {
        let doc = Doc::group(Doc::Concat(vec![
            Doc::text("a"),
            Doc::Break(Break::Space),
            Doc::text("b"),
            Doc::hard(),
            Doc::text("c"),
        ]));
        assert_eq!(render(&doc), "a\nb\nc");
    }

    #[test]
    fn a_fill_breaks_only_where_needed() {
        let mut parts = vec![Doc::text("x".repeat(40))];
        for _ in 0..3 {
            parts.push(Doc::Concat(vec![Doc::text(","), Doc::Break(Break::Space)]));
            parts.push(Doc::text("x".repeat(40)));
        }
        let text = render(&Doc::nest(2, Doc::Fill(parts)));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines[1].starts_with("  x"));
    }

    #[test]
    fn verbatim_lines_are_not_reindented_and_empty_lines_have_no_spaces() {
        let doc = Doc::nest(
            4,
            Doc::Concat(vec![
                Doc::text("a"),
                Doc::hard(),
                Doc::hard(),
                Doc::Verbatim("\"\"\"\n  text\n\"\"\"".into()),
            ]),
        );
        assert_eq!(render(&doc), "a\n\n    \"\"\"\n  text\n\"\"\"");
    }

    #[test]
    fn suffixes_do_not_count_against_the_width() {
        let doc = Doc::Concat(vec![
            Doc::group(Doc::Concat(vec![
                Doc::text("a"),
                Doc::Break(Break::Space),
                Doc::text("b"),
            ])),
            Doc::Suffix(format!("  # {}", "c".repeat(120))),
        ]);
        assert!(render(&doc).starts_with("a b  #"));
    }
}
