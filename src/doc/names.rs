//! Names as a reader sees them (`review_policy` → "review policy", `cc1` → "CC Column 1"),
//! dates in words, and the file names and anchors of the site.

use crate::date::Date;
use crate::semantic::ir::{DateRange, Policy, Program, Rule, Table};

/// Words that are abbreviations and are written in capitals.
const ABBREVIATIONS: &[&str] = &[
    "eccn", "id", "csl", "ear", "ita", "bis", "cfr", "ace", "iccpr", "dna", "uae", "usd",
];

/// An identifier in words: underscores become spaces, abbreviations are capitalised.
pub fn humanize(name: &str) -> String {
    name.split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            if let Some(singular) = word.strip_suffix('s').filter(|w| ABBREVIATIONS.contains(w)) {
                format!("{}s", singular.to_ascii_uppercase())
            } else if ABBREVIATIONS.contains(&word) {
                word.to_ascii_uppercase()
            } else {
                word.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The label of a yes/no column: the Country Chart names its columns by reason for control and
/// number, and the library's tables follow it (`cc1` → "CC Column 1"), so two or three letters
/// followed by digits read that way; any other name is [`humanize`]d.
pub fn bool_column_label(name: &str) -> String {
    let letters: String = name.chars().take_while(char::is_ascii_lowercase).collect();
    let digits = name.get(letters.len()..).unwrap_or("");
    if (2..=3).contains(&letters.len())
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
    {
        format!("{} Column {digits}", letters.to_ascii_uppercase())
    } else {
        humanize(name)
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A date as a lawyer writes it: "October 6, 2020".
pub fn date_in_words(date: Date) -> String {
    let (year, month, day) = date.ymd();
    let month_name = usize::try_from(month)
        .ok()
        .and_then(|m| m.checked_sub(1))
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or("?");
    format!("{month_name} {day}, {year}")
}

/// When something is in force, in words. `until` is the first day no longer in force, so the
/// last day in force is the day before.
pub fn dates_in_words(dates: &DateRange) -> String {
    match (dates.effective, dates.until) {
        (None, None) => "on every date (no effective dates)".to_string(),
        (Some(from), None) => format!("from {}", date_in_words(from)),
        (None, Some(to)) => format!("before {}", date_in_words(to)),
        (Some(from), Some(to)) => format!(
            "from {} until the day before {}",
            date_in_words(from),
            date_in_words(to)
        ),
    }
}

/// The page of a policy.
pub fn policy_page(policy: &Policy) -> String {
    format!("policy-{}", policy.name)
}

/// The page of a table.
pub fn table_page(table: &Table) -> String {
    format!("table-{}", table.qualified_name)
}

/// The page listing every decision.
pub const DECISIONS_PAGE: &str = "decisions";

/// The page with the transaction's vocabulary.
pub const VOCABULARY_PAGE: &str = "vocabulary";

/// The index page.
pub const INDEX_PAGE: &str = "index";

/// The anchor of a rule on its policy's page.
pub fn rule_anchor(rule: &Rule) -> String {
    format!("rule-{}", rule.short_name)
}

/// The anchor of a decision on the decisions page.
pub fn decision_anchor(name: &str) -> String {
    format!("decision-{name}")
}

/// An anchor made of any text: lowercase letters and digits, words joined by dashes.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// The page and anchor of a rule, for links from anywhere.
pub fn rule_target(program: &Program, rule: &Rule) -> super::markup::Target {
    let page = program
        .policies
        .get(rule.policy.index())
        .map_or_else(|| INDEX_PAGE.to_string(), policy_page);
    super::markup::Target::anchor(page, rule_anchor(rule))
}

/// A rule's title, or its name when it has none.
pub fn rule_title(rule: &Rule) -> String {
    rule.title
        .as_deref()
        .map_or_else(|| humanize(&rule.short_name), str::to_string)
}

/// A table's title, or its name in words when it has none.
pub fn table_title(table: &Table) -> String {
    table
        .title
        .as_deref()
        .map_or_else(|| humanize(&table.name), str::to_string)
}

/// A policy's title, or its name when it has none.
pub fn policy_title(policy: &Policy) -> String {
    policy
        .title
        .as_deref()
        .map_or_else(|| policy.name.to_string(), str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(humanize("review_policy"), "review policy");
        assert_eq!(humanize("eccn"), "ECCN");
        assert_eq!(bool_column_label("cc1"), "CC Column 1");
        assert_eq!(bool_column_label("screening"), "screening");
        assert_eq!(
            slug("Bureau of Industry and Security"),
            "bureau-of-industry-and-security"
        );
        let date = Date::from_ymd(2020, 10, 6).unwrap();
        assert_eq!(date_in_words(date), "October 6, 2020");
    }
}
