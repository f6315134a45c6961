//! The HTML writer: each page is a complete document that links one stylesheet and two small
//! scripts written beside it (the search box and its index), so the site works from the files
//! alone, offline, from `file://` addresses.

use super::graph::escape;
use super::markup::{Block, Inline, Page, Table, Target};
use super::names::{DECISIONS_PAGE, INDEX_PAGE, VOCABULARY_PAGE};

/// The address of a link target from a page of the site (every page is at the site's root).
pub fn href(target: &Target, from_page: Option<&str>) -> String {
    match target {
        Target::External(url) => url.clone(),
        Target::Page { page, anchor } => match anchor {
            Some(anchor) if from_page == Some(page.as_str()) => format!("#{anchor}"),
            Some(anchor) => format!("{page}.html#{anchor}"),
            None => format!("{page}.html"),
        },
    }
}

/// One page as an HTML document.
pub fn page(page: &Page, site_title: &str) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let title = if page.key == INDEX_PAGE {
        site_title.to_string()
    } else {
        format!("{} — {}", page.title, site_title)
    };
    out.push_str(&format!("<title>{}</title>\n", escape(&title)));
    out.push_str("<link rel=\"stylesheet\" href=\"style.css\">\n");
    out.push_str("<script src=\"search-index.js\" defer></script>\n");
    out.push_str("<script src=\"search.js\" defer></script>\n");
    out.push_str("</head>\n<body>\n<header class=\"site\">\n");
    out.push_str(&format!(
        "<a class=\"home\" href=\"{INDEX_PAGE}.html\">{}</a>\n",
        escape(site_title)
    ));
    out.push_str(&format!(
        "<nav class=\"main\"><a href=\"{INDEX_PAGE}.html\">Index</a> <a href=\"{DECISIONS_PAGE}.html\">Decisions</a> <a href=\"{VOCABULARY_PAGE}.html\">Vocabulary</a></nav>\n"
    ));
    out.push_str(concat!(
        "<form class=\"search\" role=\"search\" hidden>",
        "<label for=\"search\">Search</label> ",
        "<input id=\"search\" type=\"search\" placeholder=\"Rule titles and citations\" autocomplete=\"off\">",
        "<ol id=\"search-results\"></ol></form>\n"
    ));
    out.push_str("</header>\n<main>\n");
    if !page.trail.is_empty() {
        out.push_str("<nav class=\"trail\"><a href=\"index.html\">Index</a>");
        for (target, text) in &page.trail {
            out.push_str(&format!(
                " › <a href=\"{}\">{}</a>",
                escape(&href(target, Some(&page.key))),
                escape(text)
            ));
        }
        out.push_str("</nav>\n");
    }
    for block in &page.blocks {
        write_block(&mut out, block, &page.key);
    }
    out.push_str("</main>\n<footer>Written by <code>vigil doc</code> from the checked policy library.</footer>\n</body>\n</html>\n");
    out
}

fn write_block(out: &mut String, block: &Block, from: &str) {
    match block {
        Block::Heading { level, id, content } => {
            let level = (*level).clamp(1, 6);
            match id {
                Some(id) => out.push_str(&format!("<h{level} id=\"{}\">", escape(id))),
                None => out.push_str(&format!("<h{level}>")),
            }
            write_inlines(out, content, from);
            out.push_str(&format!("</h{level}>\n"));
        }
        Block::Paragraph(content) => {
            out.push_str("<p>");
            write_inlines(out, content, from);
            out.push_str("</p>\n");
        }
        Block::Quote(blocks) => {
            out.push_str("<blockquote class=\"doc\">\n");
            for block in blocks {
                write_block(out, block, from);
            }
            out.push_str("</blockquote>\n");
        }
        Block::List(items) => {
            out.push_str("<ul>\n");
            for item in items {
                out.push_str("<li>");
                match item.as_slice() {
                    // A single paragraph is the item's text itself.
                    [Block::Paragraph(content)] => write_inlines(out, content, from),
                    blocks => {
                        for block in blocks {
                            write_block(out, block, from);
                        }
                    }
                }
                out.push_str("</li>\n");
            }
            out.push_str("</ul>\n");
        }
        Block::Facts(facts) => {
            out.push_str("<dl class=\"facts\">\n");
            for (label, value) in facts {
                out.push_str(&format!("<dt>{}</dt><dd>", escape(label)));
                write_inlines(out, value, from);
                out.push_str("</dd>\n");
            }
            out.push_str("</dl>\n");
        }
        Block::Table(table) => write_table(out, table, from),
        Block::Section { id, class, content } => {
            match id {
                Some(id) => out.push_str(&format!(
                    "<section id=\"{}\" class=\"{class}\">\n",
                    escape(id)
                )),
                None => out.push_str(&format!("<section class=\"{class}\">\n")),
            }
            for block in content {
                write_block(out, block, from);
            }
            out.push_str("</section>\n");
        }
        Block::Figure { svg, caption, .. } => {
            out.push_str("<figure class=\"graph\">\n<div class=\"graph-scroll\">\n");
            out.push_str(svg);
            out.push_str("</div>\n<figcaption>");
            write_inlines(out, caption, from);
            out.push_str("</figcaption>\n</figure>\n");
        }
    }
}

fn write_table(out: &mut String, table: &Table, from: &str) {
    out.push_str(&format!(
        "<div class=\"table-wrap {}\">\n<table class=\"{}\">\n<thead><tr>",
        table.class, table.class
    ));
    for cell in &table.head {
        out.push_str("<th scope=\"col\">");
        write_inlines(out, cell, from);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str("<td>");
            write_inlines(out, cell, from);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n");
}

fn write_inlines(out: &mut String, inlines: &[Inline], from: &str) {
    for inline in inlines {
        match inline {
            Inline::Text(text) => out.push_str(&escape_text(text)),
            Inline::Strong(content) => {
                out.push_str("<strong>");
                write_inlines(out, content, from);
                out.push_str("</strong>");
            }
            Inline::Emphasis(content) => {
                out.push_str("<em>");
                write_inlines(out, content, from);
                out.push_str("</em>");
            }
            Inline::Code(text) => {
                out.push_str("<code>");
                out.push_str(&escape_text(text));
                out.push_str("</code>");
            }
            Inline::Link {
                target,
                hint,
                content,
            } => {
                let class = match target {
                    Target::External(_) => " class=\"cite\"",
                    Target::Page { .. } => "",
                };
                out.push_str(&format!(
                    "<a href=\"{}\"{class}",
                    escape(&href(target, Some(from)))
                ));
                if let Some(hint) = hint {
                    out.push_str(&format!(" title=\"{}\"", escape(hint)));
                }
                out.push('>');
                write_inlines(out, content, from);
                out.push_str("</a>");
            }
            Inline::Placeholder(content) => {
                out.push_str("<span class=\"placeholder\">[");
                write_inlines(out, content, from);
                out.push_str("]</span>");
            }
        }
    }
}

/// Escapes text between tags: quotation marks need no escape there, and leaving them makes the
/// source read like the page.
fn escape_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
