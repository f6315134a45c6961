//! Citations linked to the official text: Code of Federal Regulations references go to the
//! eCFR, Federal Register references to federalregister.gov.
//!
//! - `15 CFR 742.7(a)(1)` → `https://www.ecfr.gov/current/title-15/section-742.7#p-742.7(a)(1)`
//! - `15 CFR part 738, Supplement No. 1` → `https://www.ecfr.gov/current/title-15/part-738`
//! - `85 FR 63007` → `https://www.federalregister.gov/citation/85-FR-63007`
//!
//! In a `cite` clause, a bare section after a CFR reference (`15 CFR 742.8, 742.9 and 742.19`)
//! belongs to the same title and is linked too; in documentation text only full references are,
//! so that a number such as `24.0` is never mistaken for a section.

use super::markup::{Inline, Target};

/// Documents cited by name that have an official address, with that address. The 2019 draft
/// of the State Department guidance was withdrawn from the Department's site when the comment
/// period closed, and ITA's client eligibility policy is known from its letter to Congress
/// rather than a published text, so neither has an address to link.
const KNOWN_DOCUMENTS: &[(&str, &str)] = &[(
    "State Department guidance of September 30, 2020",
    "https://www.state.gov/key-topics-bureau-of-democracy-human-rights-and-labor/due-diligence-guidance",
)];

/// Where the text comes from, which decides how eagerly references are recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CiteMode {
    /// A `cite` clause: every piece is a reference.
    Citation,
    /// Documentation text: only full `N CFR ...` and `N FR N` references.
    Prose,
}

/// A piece of text and, for a recognised reference, the address of its official text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub url: Option<String>,
}

/// The eCFR address of a section, with the paragraph as its anchor.
pub fn ecfr_section(title: &str, section: &str, paragraphs: &str) -> String {
    let base = format!("https://www.ecfr.gov/current/title-{title}/section-{section}");
    if paragraphs.is_empty() {
        base
    } else {
        format!("{base}#p-{section}{paragraphs}")
    }
}

/// The eCFR address of a part.
pub fn ecfr_part(title: &str, part: &str) -> String {
    format!("https://www.ecfr.gov/current/title-{title}/part-{part}")
}

/// The federalregister.gov address of a Federal Register page.
pub fn federal_register(volume: &str, page: &str) -> String {
    format!("https://www.federalregister.gov/citation/{volume}-FR-{page}")
}

/// Splits text into pieces, linking every reference recognised.
pub fn pieces(text: &str, mode: CiteMode) -> Vec<Piece> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut plain_start = 0;
    let mut at = 0;
    // The CFR title of the last reference in the current `;`-separated part of a citation.
    let mut title_in_force: Option<String> = None;
    while at < bytes.len() {
        let byte = bytes.get(at).copied().unwrap_or(b' ');
        if byte == b';' {
            title_in_force = None;
        }
        let boundary = at == 0
            || bytes
                .get(at - 1)
                .is_some_and(|b| !b.is_ascii_alphanumeric());
        let document = KNOWN_DOCUMENTS
            .iter()
            .find(|(title, _)| boundary && text.get(at..).is_some_and(|t| t.starts_with(title)));
        if let Some((title, url)) = document {
            if plain_start < at {
                out.push(Piece {
                    text: text.get(plain_start..at).unwrap_or("").to_string(),
                    url: None,
                });
            }
            out.push(Piece {
                text: (*title).to_string(),
                url: Some((*url).to_string()),
            });
            at += title.len();
            plain_start = at;
            continue;
        }
        if !(boundary && byte.is_ascii_digit()) {
            at += 1;
            continue;
        }
        let found = reference_at(text, at).or_else(|| match (&title_in_force, mode) {
            (Some(title), CiteMode::Citation) => bare_section_at(text, at, title),
            _ => None,
        });
        match found {
            Some(found) => {
                if plain_start < at {
                    out.push(Piece {
                        text: text.get(plain_start..at).unwrap_or("").to_string(),
                        url: None,
                    });
                }
                out.push(Piece {
                    text: text.get(at..found.end).unwrap_or("").to_string(),
                    url: Some(found.url),
                });
                if let Some(title) = found.cfr_title {
                    title_in_force = Some(title);
                }
                at = found.end;
                plain_start = at;
            }
            None => {
                // Skip the whole number so that its inner digits are not tried again.
                at = skip_digits(bytes, at);
            }
        }
    }
    if plain_start < bytes.len() {
        out.push(Piece {
            text: text.get(plain_start..).unwrap_or("").to_string(),
            url: None,
        });
    }
    out
}

/// Text with every reference recognised made a link to the official text.
pub fn link(text: &str, mode: CiteMode) -> Vec<Inline> {
    pieces(text, mode)
        .into_iter()
        .map(|piece| match piece.url {
            Some(url) => Inline::Link {
                target: Target::External(url),
                hint: Some("the official text".to_string()),
                content: vec![Inline::Text(piece.text)],
            },
            None => Inline::Text(piece.text),
        })
        .collect()
}

/// Every address a text links to.
pub fn urls(text: &str, mode: CiteMode) -> Vec<String> {
    pieces(text, mode)
        .into_iter()
        .filter_map(|p| p.url)
        .collect()
}

struct Found {
    end: usize,
    url: String,
    cfr_title: Option<String>,
}

fn skip_digits(bytes: &[u8], mut at: usize) -> usize {
    while bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += 1;
    }
    at
}

/// `N CFR part N[, Supplement No. N]`, `N CFR N.N[(a)(1)...]` or `N FR N` at `at`.
fn reference_at(text: &str, at: usize) -> Option<Found> {
    let bytes = text.as_bytes();
    let number_end = skip_digits(bytes, at);
    let number = text.get(at..number_end)?;
    let rest = text.get(number_end..)?;
    if let Some(after) = rest.strip_prefix(" CFR ") {
        let start = number_end + " CFR ".len();
        if after.starts_with("part ") {
            let part_start = start + "part ".len();
            let part_end = skip_digits(bytes, part_start);
            if part_end == part_start {
                return None;
            }
            let part = text.get(part_start..part_end)?;
            let mut end = part_end;
            if let Some(supplement) = text
                .get(end..)
                .and_then(|r| r.strip_prefix(", Supplement No. "))
            {
                let digits = skip_digits(supplement.as_bytes(), 0);
                if digits > 0 {
                    end += ", Supplement No. ".len() + digits;
                }
            }
            return Some(Found {
                end,
                url: ecfr_part(number, part),
                cfr_title: Some(number.to_string()),
            });
        }
        let section = section_at(text, start, number)?;
        return Some(Found {
            cfr_title: Some(number.to_string()),
            ..section
        });
    }
    if rest.starts_with(" FR ") {
        let page_start = number_end + " FR ".len();
        let page_end = skip_digits(bytes, page_start);
        if page_end == page_start {
            return None;
        }
        let page = text.get(page_start..page_end)?;
        return Some(Found {
            end: page_end,
            url: federal_register(number, page),
            cfr_title: None,
        });
    }
    None
}

/// A section after a CFR reference in the same citation: `742.9` in `15 CFR 742.8, 742.9`.
fn bare_section_at(text: &str, at: usize, title: &str) -> Option<Found> {
    section_at(text, at, title)
}

/// `N.N` followed by paragraphs `(a)(1)(iii)(B)`, at `at`.
fn section_at(text: &str, at: usize, title: &str) -> Option<Found> {
    let bytes = text.as_bytes();
    let part_end = skip_digits(bytes, at);
    if part_end == at || bytes.get(part_end) != Some(&b'.') {
        return None;
    }
    let section_end = skip_digits(bytes, part_end + 1);
    if section_end == part_end + 1 {
        return None;
    }
    // A section number is followed by a paragraph, punctuation or a space, never by more of a
    // word or number.
    if bytes
        .get(section_end)
        .is_some_and(u8::is_ascii_alphanumeric)
    {
        return None;
    }
    let section = text.get(at..section_end)?;
    let mut end = section_end;
    while bytes.get(end) == Some(&b'(') {
        let inner_start = end + 1;
        let mut inner_end = inner_start;
        while bytes.get(inner_end).is_some_and(u8::is_ascii_alphanumeric) {
            inner_end += 1;
        }
        if inner_end == inner_start || bytes.get(inner_end) != Some(&b')') {
            break;
        }
        end = inner_end + 1;
    }
    let paragraphs = text.get(section_end..end)?;
    Some(Found {
        end,
        url: ecfr_section(title, section, paragraphs),
        cfr_title: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn linked(text: &str, mode: CiteMode) -> Vec<(String, Option<String>)> {
        pieces(text, mode)
            .into_iter()
            .map(|p| (p.text, p.url))
            .collect()
    }

    #[test]
    fn section_with_paragraphs() {
        assert_eq!(
            urls("15 CFR 742.7(a)(1)", CiteMode::Citation),
            vec!["https://www.ecfr.gov/current/title-15/section-742.7#p-742.7(a)(1)"]
        );
    }

    #[test]
    fn part_with_supplement() {
        assert_eq!(
            linked(
                "15 CFR part 738, Supplement No. 1, footnote 10",
                CiteMode::Citation
            ),
            vec![
                (
                    "15 CFR part 738, Supplement No. 1".to_string(),
                    Some("https://www.ecfr.gov/current/title-15/part-738".to_string())
                ),
                (", footnote 10".to_string(), None),
            ]
        );
    }

    #[test]
    fn federal_register_inside_a_citation() {
        assert_eq!(
            urls("15 CFR 742.7(b) (before 85 FR 63007)", CiteMode::Citation),
            vec![
                "https://www.ecfr.gov/current/title-15/section-742.7#p-742.7(b)",
                "https://www.federalregister.gov/citation/85-FR-63007",
            ]
        );
    }

    #[test]
    fn bare_sections_follow_their_title_in_citations_only() {
        let text = "15 CFR 742.8, 742.9 and 742.19";
        assert_eq!(urls(text, CiteMode::Citation).len(), 3);
        assert_eq!(urls(text, CiteMode::Prose).len(), 1);
        assert_eq!(
            urls(
                "15 CFR 742.7; ECCN 0A502 and 24.0 inches",
                CiteMode::Citation
            )
            .len(),
            1
        );
    }

    #[test]
    fn documents_known_by_name() {
        assert_eq!(
            urls(
                "State Department guidance of September 30, 2020, recommendation 4; BIS Know Your Customer guidance (15 CFR part 732, Supplement No. 3)",
                CiteMode::Citation
            ),
            vec![
                "https://www.state.gov/key-topics-bureau-of-democracy-human-rights-and-labor/due-diligence-guidance",
                "https://www.ecfr.gov/current/title-15/part-732",
            ]
        );
    }

    #[test]
    fn numbers_that_are_not_references() {
        assert!(urls("a barrel of 24.0 inches, 2020-10-06", CiteMode::Prose).is_empty());
        assert!(urls("515 CFRX 1.2", CiteMode::Prose).is_empty());
    }
}
