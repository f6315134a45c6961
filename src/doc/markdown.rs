//! The Markdown writer (CommonMark with GitHub tables): one `.md` file per page, anchors as
//! `<a id="...">` before the element they name, and each policy's decision graph as an SVG
//! file beside its page.

use super::markup::{Block, Inline, Page, Table, Target};

/// The address of a link target from a page (every page is at the site's root).
pub fn href(target: &Target) -> String {
    match target {
        Target::External(url) => url.clone(),
        Target::Page { page, anchor } => match anchor {
            Some(anchor) => format!("{page}.md#{anchor}"),
            None => format!("{page}.md"),
        },
    }
}

/// One page as Markdown.
pub fn page(page: &Page) -> String {
    let mut out = String::new();
    if !page.trail.is_empty() {
        let mut trail = vec!["[Index](index.md)".to_string()];
        for (target, text) in &page.trail {
            trail.push(format!("[{}]({})", escape(text), href(target)));
        }
        out.push_str(&trail.join(" › "));
        out.push_str("\n\n");
    }
    for block in &page.blocks {
        write_block(&mut out, block);
    }
    // One final newline, whatever the last block left.
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('\n');
    out
}

fn write_block(out: &mut String, block: &Block) {
    match block {
        Block::Heading { level, id, content } => {
            if let Some(id) = id {
                out.push_str(&format!("<a id=\"{id}\"></a>\n\n"));
            }
            let level = usize::from((*level).clamp(1, 6));
            out.push_str(&"#".repeat(level));
            out.push(' ');
            out.push_str(&inlines(content));
            out.push_str("\n\n");
        }
        Block::Paragraph(content) => {
            out.push_str(&inlines(content));
            out.push_str("\n\n");
        }
        Block::Quote(blocks) => {
            let mut inner = String::new();
            for block in blocks {
                write_block(&mut inner, block);
            }
            for line in inner.trim_end().lines() {
                if line.is_empty() {
                    out.push_str(">\n");
                } else {
                    out.push_str(&format!("> {line}\n"));
                }
            }
            out.push('\n');
        }
        Block::List(items) => {
            out.push_str(&list(items));
            out.push('\n');
        }
        Block::Facts(facts) => {
            // One paragraph with hard line breaks, so that a list right after it stays a list
            // of its own.
            let lines: Vec<String> = facts
                .iter()
                .map(|(label, value)| format!("**{}:** {}", escape(label), inlines(value)))
                .collect();
            out.push_str(&lines.join("\\\n"));
            out.push_str("\n\n");
        }
        Block::Table(table) => write_table(out, table),
        Block::Section { id, content, .. } => {
            if let Some(id) = id {
                out.push_str(&format!("<a id=\"{id}\"></a>\n\n"));
            }
            for block in content {
                write_block(out, block);
            }
        }
        Block::Figure { file, caption, .. } => {
            out.push_str(&format!("![Decision graph]({file})\n\n"));
            out.push_str(&inlines(caption));
            out.push_str("\n\n");
        }
    }
}

/// A bulleted list; the blocks of an item after its first line are indented under it.
fn list(items: &[Vec<Block>]) -> String {
    let mut out = String::new();
    for item in items {
        let mut inner = String::new();
        for block in item {
            write_block(&mut inner, block);
        }
        // Paragraphs inside an item are separated by single line breaks so the list stays
        // tight; a nested list keeps its own layout.
        let mut first = true;
        for line in inner.trim_end().lines() {
            if line.is_empty() {
                continue;
            }
            if first {
                out.push_str(&format!("- {line}\n"));
                first = false;
            } else {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    out
}

fn write_table(out: &mut String, table: &Table) {
    let row = |cells: &[Vec<Inline>]| -> String {
        let cells: Vec<String> = cells.iter().map(|c| inlines(c)).collect();
        format!("| {} |\n", cells.join(" | "))
    };
    out.push_str(&row(&table.head));
    out.push_str(&format!(
        "|{}\n",
        table.head.iter().map(|_| "---|").collect::<String>()
    ));
    for cells in &table.rows {
        out.push_str(&row(cells));
    }
    out.push('\n');
}

fn inlines(content: &[Inline]) -> String {
    let mut out = String::new();
    for inline in content {
        match inline {
            Inline::Text(text) => out.push_str(&escape(text)),
            Inline::Strong(content) => out.push_str(&format!("**{}**", inlines(content))),
            Inline::Emphasis(content) => out.push_str(&format!("*{}*", inlines(content))),
            Inline::Code(text) => {
                if text.contains('`') {
                    out.push_str(&format!("`` {text} ``"));
                } else {
                    out.push_str(&format!("`{text}`"));
                }
            }
            Inline::Link {
                target, content, ..
            } => out.push_str(&format!("[{}]({})", inlines(content), href(target))),
            Inline::Placeholder(content) => out.push_str(&format!("\\[{}\\]", inlines(content))),
        }
    }
    out
}

/// Escapes the characters Markdown would read as markup.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '[' | ']' | '<' | '>' | '`' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
