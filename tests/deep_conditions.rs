//! Conditions as long as a generator may write them: thousands of terms joined by `and` or
//! `or` are checked without overflowing the stack and in time linear in their length; stacked
//! `not`s and long sums are refused by the front end's nesting limit (`E0003`) and crash
//! nothing.

use vigil::source::SourceFile;

/// A policy whose one rule has the given condition.
fn policy(condition: &str) -> SourceFile {
    let text = format!(
        "schema transaction\n  id: string\n  date: date\n  destination: country\n  items: list of string\nend\n\n\
         decision license\n  values none, required\n  combine by most restrictive\nend\n\n\
         policy generated\n  rule long\n    cite \"1\"\n    when {condition}\n    then license is required\n  end\nend\n"
    );
    SourceFile::new("generated.vigil", text)
}

fn check_clean(condition: &str) {
    let checked = vigil::check(vec![policy(condition)]);
    let errors: Vec<_> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| &d.message)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(checked.compiled.is_some());
}

const TERMS: usize = 5_000;

#[test]
fn long_chains_of_and_and_or() {
    let and = vec!["destination is \"CN\""; TERMS].join(" and ");
    check_clean(&and);
    let or = vec!["destination is \"RU\""; TERMS].join(" or ");
    check_clean(&or);
}

/// Checks a condition that nests deeper than the front end allows: the only errors are the
/// nesting limit's.
fn check_refused_as_too_deep(condition: &str) {
    let checked = vigil::check(vec![policy(condition)]);
    let codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str())
        .collect();
    assert!(
        !codes.is_empty() && codes.iter().all(|c| *c == "E0003"),
        "{codes:?}"
    );
}

#[test]
fn stacked_negations() {
    check_refused_as_too_deep(&format!("{}destination is \"CN\"", "not ".repeat(TERMS)));
    check_clean(&format!("{}destination is \"CN\"", "not ".repeat(20)));
}

#[test]
fn long_sums() {
    check_refused_as_too_deep(&format!(
        "count(items) + {} > 3",
        vec!["1"; TERMS].join(" + ")
    ));
    check_clean(&format!("count(items) + {} > 3", vec!["1"; 20].join(" + ")));
}
