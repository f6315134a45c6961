//! `vigil doc`: the policy library as a document lawyers can read without reading code.
//!
//! [`generate`] turns the checked program into the files of a static site (HTML, or a Markdown
//! tree): an index by authority, a page per policy with each rule in plain English (its
//! condition rendered from the checked expression tree by [`english`], its outcomes, its
//! `because` sentence, its documentation, its citation linked to the official text by
//! [`cite`], its dates and its exceptions, linked both ways), a page per table, the decisions
//! and the transaction's vocabulary. Each policy page shows the slice of the decision graph the
//! policy contributes, drawn as SVG by [`graph`].
//!
//! Invariants:
//! - **No I/O.** The module returns paths and bytes; the command line writes them.
//! - **Offline.** Pages load only files written beside them: one stylesheet, the search script
//!   and its index (a script, since browsers refuse to fetch JSON from `file://` pages). No
//!   address outside the site is loaded; links to the official text are plain links.
//! - **Deterministic.** The same program gives the same bytes: no dates, no hash-map order.
//! - **Every internal link resolves.** Pages are flat at the site's root, and anchors are made
//!   by the same functions that make the links ([`names`]).

pub mod cite;
pub mod english;
pub mod graph;
mod html;
mod markdown;
pub mod markup;
pub mod names;
mod pages;

use crate::semantic::ir::Program;
use markup::Target;

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Html,
    Markdown,
}

/// What to generate.
#[derive(Clone, Debug)]
pub struct DocConfig {
    pub format: Format,
    /// The title of the site, shown on every page.
    pub title: String,
}

impl Default for DocConfig {
    fn default() -> Self {
        DocConfig {
            format: Format::Html,
            title: "Policy library".to_string(),
        }
    }
}

/// One file of the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    /// The path relative to the output directory, with forward slashes.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// The stylesheet of the HTML site.
pub const STYLE_CSS: &str = include_str!("assets/style.css");
/// The search box's script.
pub const SEARCH_JS: &str = include_str!("assets/search.js");

/// Generates every file of the site for a checked program.
pub fn generate(program: &Program, config: &DocConfig) -> Vec<OutputFile> {
    let html_href = |target: &Target| html::href(target, None);
    let markdown_href = |target: &Target| markdown::href(target);
    let (href, figure_extension): (&dyn Fn(&Target) -> String, &str) = match config.format {
        Format::Html => (&html_href, "svg"),
        Format::Markdown => (&markdown_href, "svg"),
    };
    let context = pages::Context {
        program,
        title: &config.title,
        href,
        figure_extension,
    };
    let site = pages::site(&context);
    let mut files = Vec::new();
    match config.format {
        Format::Html => {
            for page in &site.pages {
                files.push(OutputFile {
                    path: format!("{}.html", page.key),
                    bytes: html::page(page, &config.title).into_bytes(),
                });
            }
            files.push(OutputFile {
                path: "style.css".to_string(),
                bytes: STYLE_CSS.as_bytes().to_vec(),
            });
            files.push(OutputFile {
                path: "search.js".to_string(),
                bytes: SEARCH_JS.as_bytes().to_vec(),
            });
            files.push(OutputFile {
                path: "search-index.js".to_string(),
                bytes: search_index(&site.search).into_bytes(),
            });
        }
        Format::Markdown => {
            for page in &site.pages {
                files.push(OutputFile {
                    path: format!("{}.md", page.key),
                    bytes: markdown::page(page).into_bytes(),
                });
                for block in &page.blocks {
                    if let markup::Block::Figure { svg, file, .. } = block {
                        files.push(OutputFile {
                            path: file.clone(),
                            bytes: svg.as_bytes().to_vec(),
                        });
                    }
                }
            }
        }
    }
    files
}

/// The search index as a script that sets `window.VIGIL_SEARCH`.
fn search_index(entries: &[pages::SearchEntry]) -> String {
    let values: Vec<serde_json::Value> = entries
        .iter()
        .map(|entry| {
            serde_json::json!({
                "kind": entry.kind,
                "title": entry.title,
                "name": entry.name,
                "cite": entry.cite,
                "url": html::href(&entry.target, None),
            })
        })
        .collect();
    let json = serde_json::to_string_pretty(&values).unwrap_or_else(|_| "[]".to_string());
    format!(
        "// The search index of the site, written by `vigil doc`: one entry per policy, rule,\n// table and decision.\nwindow.VIGIL_SEARCH = {json};\n"
    )
}
