//! The document model the pages are built in: headings, paragraphs, lists, tables and links,
//! independent of the output format. `html.rs` and `markdown.rs` each write it out, so the two
//! formats always say the same thing.

/// Where a link points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A page of the site (by its key, the file name without extension), optionally at an
    /// anchor.
    Page {
        page: String,
        anchor: Option<String>,
    },
    /// An address outside the site: the official text of a regulation.
    External(String),
}

impl Target {
    /// A page of the site.
    pub fn page(page: impl Into<String>) -> Target {
        Target::Page {
            page: page.into(),
            anchor: None,
        }
    }

    /// An anchor on a page of the site.
    pub fn anchor(page: impl Into<String>, anchor: impl Into<String>) -> Target {
        Target::Page {
            page: page.into(),
            anchor: Some(anchor.into()),
        }
    }
}

/// Text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    /// A name or code as written: an ECCN, a country code, a rule's full name.
    Code(String),
    Link {
        target: Target,
        /// Shown on hover.
        hint: Option<String>,
        content: Vec<Inline>,
    },
    /// A value a `because` sentence quotes from the transaction, shown as a blank to fill.
    Placeholder(Vec<Inline>),
}

impl Inline {
    /// Plain text.
    pub fn text(text: impl Into<String>) -> Inline {
        Inline::Text(text.into())
    }

    /// A link with plain text.
    pub fn link(target: Target, text: impl Into<String>) -> Inline {
        Inline::Link {
            target,
            hint: None,
            content: vec![Inline::Text(text.into())],
        }
    }
}

/// The text of inlines without markup: for titles, search entries and length estimates.
pub fn plain_text(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(text) | Inline::Code(text) => out.push_str(text),
            Inline::Strong(content)
            | Inline::Emphasis(content)
            | Inline::Link { content, .. }
            | Inline::Placeholder(content) => out.push_str(&plain_text(content)),
        }
    }
    out
}

/// A cell of a data table.
pub type Cell = Vec<Inline>;

/// A block of a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    Heading {
        level: u8,
        id: Option<String>,
        content: Vec<Inline>,
    },
    Paragraph(Vec<Inline>),
    /// Text quoted from the regulation or the policy's documentation.
    Quote(Vec<Block>),
    /// A bulleted list; each item is a list of blocks.
    List(Vec<Vec<Block>>),
    /// Labelled facts: citation, dates, source.
    Facts(Vec<(String, Vec<Inline>)>),
    Table(Table),
    /// A group of blocks with an anchor, such as one rule.
    Section {
        id: Option<String>,
        class: &'static str,
        content: Vec<Block>,
    },
    /// A picture drawn as SVG: inline in HTML, a separate file in Markdown.
    Figure {
        svg: String,
        /// The file the SVG is also written to, relative to the site's root.
        file: String,
        caption: Vec<Inline>,
    },
}

/// A data table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The HTML class: `data` tables get a sticky header and scroll in their own box.
    pub class: &'static str,
    pub head: Vec<Cell>,
    pub rows: Vec<Vec<Cell>>,
}

/// One page of the site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    /// The file name without extension; also what [`Target::Page`] names.
    pub key: String,
    pub title: String,
    /// Where the page sits: a trail of links from the index.
    pub trail: Vec<(Target, String)>,
    pub blocks: Vec<Block>,
}
