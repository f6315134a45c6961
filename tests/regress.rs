//! Regression tooling: `vigil test` (human, JSON and JUnit output, coverage), `vigil diff` and
//! `vigil corpus`, run as a user runs them, through the binary.
//!
//! Every `tests/regress/cases/*.args` file holds one command line; its snapshot holds the
//! command, the exit status, standard output and standard error. The fixture library is
//! `tests/regress/library` (tests that pass and tests that fail) and its next version
//! `tests/regress/library_v2`. Further tests check the JUnit XML against the schema's
//! structure, diff the shipped `policies/` against a copy with one changed date, and check that
//! a corpus is the same for the same seed.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "helpers of a test fail loudly, like the test"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the binary did.
struct Run {
    status: i32,
    stdout: String,
    stderr: String,
}

/// Runs `vigil` in the crate's directory, without colour and at a fixed width.
fn vigil(args: &[&str]) -> Run {
    vigil_in(root(), args)
}

fn vigil_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    Run {
        status: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

/// Splits a command line into words; double quotes group words.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in line.trim().chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    out.push(std::mem::take(&mut current));
                    started = false;
                }
            }
            c => {
                current.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(current);
    }
    out
}

/// Replaces the measured durations of JUnit output (`time="0.004"`) so snapshots are stable.
fn without_times(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("time=\"") {
        let (before, after) = rest.split_at(start + "time=\"".len());
        out.push_str(before);
        let end = after.find('"').unwrap();
        out.push_str("[seconds]");
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[test]
fn cli_cases() {
    insta::glob!("regress/cases/*.args", |path| {
        let line = std::fs::read_to_string(path).unwrap();
        let args = words(&line);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = vigil(&refs);
        let snapshot = format!(
            "$ vigil {}\nexit status: {}\n--- stdout\n{}--- stderr\n{}",
            line.trim(),
            run.status,
            without_times(&run.stdout),
            run.stderr
        );
        insta::assert_snapshot!(snapshot);
    });
}

// ---------------------------------------------------------------------------------------
// JUnit XML
// ---------------------------------------------------------------------------------------

/// An element of a parsed XML document.
#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

/// A small, strict XML reader: enough to check that a JUnit report is well formed (tags
/// balanced, attributes quoted, no bare `<` or `&`, entities known) and to read its tree.
struct XmlReader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> XmlReader<'a> {
    fn parse(text: &'a str) -> Result<Element, String> {
        let mut reader = XmlReader { text, at: 0 };
        reader.skip_whitespace();
        if reader.rest().starts_with("<?xml") {
            let end = reader
                .rest()
                .find("?>")
                .ok_or("unterminated XML declaration")?;
            reader.at += end + 2;
        }
        reader.skip_whitespace();
        let root = reader.element()?;
        reader.skip_whitespace();
        if reader.at != text.len() {
            return Err(format!("text after the root element at byte {}", reader.at));
        }
        Ok(root)
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_whitespace(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn name(&mut self) -> Result<String, String> {
        let rest = self.rest();
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        if len == 0 {
            return Err(format!("expected a name at byte {}", self.at));
        }
        self.at += len;
        Ok(rest[..len].to_string())
    }

    fn element(&mut self) -> Result<Element, String> {
        if !self.rest().starts_with('<') {
            return Err(format!("expected `<` at byte {}", self.at));
        }
        self.at += 1;
        let mut element = Element {
            name: self.name()?,
            ..Element::default()
        };
        loop {
            self.skip_whitespace();
            if self.rest().starts_with("/>") {
                self.at += 2;
                return Ok(element);
            }
            if self.rest().starts_with('>') {
                self.at += 1;
                break;
            }
            let name = self.name()?;
            if element.attribute(&name).is_some() {
                return Err(format!("attribute `{name}` given twice"));
            }
            if !self.rest().starts_with("=\"") {
                return Err(format!("attribute `{name}` is not `=\"...\"`"));
            }
            self.at += 2;
            let end = self.rest().find('"').ok_or("unterminated attribute")?;
            let raw = &self.rest()[..end];
            if raw.contains('<') {
                return Err(format!("`<` in the value of `{name}`"));
            }
            element.attributes.push((name, decode(raw)?));
            self.at += end + 1;
        }
        loop {
            let next = self.rest().find('<').ok_or("unterminated element")?;
            element.text.push_str(&decode(&self.rest()[..next])?);
            self.at += next;
            if self.rest().starts_with("</") {
                self.at += 2;
                let name = self.name()?;
                if name != element.name {
                    return Err(format!("`</{name}>` closes `<{}>`", element.name));
                }
                self.skip_whitespace();
                if !self.rest().starts_with('>') {
                    return Err("expected `>`".into());
                }
                self.at += 1;
                return Ok(element);
            }
            element.children.push(self.element()?);
        }
    }
}

/// Decodes the entities of text or an attribute value; a bare `&` is an error.
fn decode(raw: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semicolon = after.find(';').ok_or("bare `&`")?;
        let entity = &after[..semicolon];
        let decoded = match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let number = if let Some(hex) = entity.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(decimal) = entity.strip_prefix('#') {
                    decimal.parse().ok()
                } else {
                    None
                };
                number
                    .and_then(char::from_u32)
                    .ok_or(format!("unknown entity `&{entity};`"))?
            }
        };
        out.push(decoded);
        rest = &after[semicolon + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks a report against the structure of the Jenkins / Surefire JUnit schema: the elements
/// allowed where, the required attributes, numbers where numbers belong, and counts that agree
/// with the test cases. Returns the number of test cases.
fn check_junit(xml: &str) -> usize {
    let root = XmlReader::parse(xml).unwrap_or_else(|e| panic!("not well-formed XML: {e}"));
    assert_eq!(root.name, "testsuites");
    allowed_attributes(
        &root,
        &["name", "time", "tests", "failures", "disabled", "errors"],
    );
    let (mut tests, mut failures, mut errors) = (0, 0, 0);
    for suite in &root.children {
        assert_eq!(
            suite.name, "testsuite",
            "only <testsuite> inside <testsuites>"
        );
        allowed_attributes(
            suite,
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "skipped",
                "time",
                "disabled",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
            ],
        );
        for required in ["name", "tests", "failures", "errors", "skipped", "time"] {
            assert!(
                suite.attribute(required).is_some(),
                "<testsuite> lacks `{required}`"
            );
        }
        seconds(suite.attribute("time").unwrap());
        let cases: Vec<&Element> = suite.children_named("testcase").collect();
        for child in &suite.children {
            assert!(
                ["properties", "testcase", "system-out", "system-err"]
                    .contains(&child.name.as_str()),
                "<{}> inside <testsuite>",
                child.name
            );
        }
        let (mut suite_failures, mut suite_errors, mut suite_skipped) = (0, 0, 0);
        for case in &cases {
            allowed_attributes(
                case,
                &[
                    "name",
                    "classname",
                    "time",
                    "assertions",
                    "status",
                    "file",
                    "line",
                ],
            );
            for required in ["name", "classname", "time"] {
                assert!(
                    case.attribute(required).is_some(),
                    "<testcase> lacks `{required}`"
                );
            }
            seconds(case.attribute("time").unwrap());
            for child in &case.children {
                match child.name.as_str() {
                    "failure" | "error" => {
                        allowed_attributes(child, &["message", "type"]);
                        assert!(
                            child.attribute("type").is_some(),
                            "<{}> lacks `type`",
                            child.name
                        );
                        assert!(
                            child.children.is_empty(),
                            "<{}> holds only text",
                            child.name
                        );
                    }
                    "skipped" | "system-out" | "system-err" => {}
                    other => panic!("<{other}> inside <testcase>"),
                }
            }
            suite_failures += usize::from(case.children_named("failure").next().is_some());
            suite_errors += usize::from(case.children_named("error").next().is_some());
            suite_skipped += usize::from(case.children_named("skipped").next().is_some());
        }
        assert_eq!(count(suite, "tests"), cases.len());
        assert_eq!(count(suite, "failures"), suite_failures);
        assert_eq!(count(suite, "errors"), suite_errors);
        assert_eq!(count(suite, "skipped"), suite_skipped);
        tests += cases.len();
        failures += suite_failures;
        errors += suite_errors;
    }
    assert_eq!(count(&root, "tests"), tests);
    assert_eq!(count(&root, "failures"), failures);
    assert_eq!(count(&root, "errors"), errors);
    seconds(root.attribute("time").unwrap());
    tests
}

fn allowed_attributes(element: &Element, allowed: &[&str]) {
    for (name, _) in &element.attributes {
        assert!(
            allowed.contains(&name.as_str()),
            "<{}> may not carry `{name}`",
            element.name
        );
    }
}

fn count(element: &Element, attribute: &str) -> usize {
    let text = element.attribute(attribute).unwrap();
    text.parse()
        .unwrap_or_else(|_| panic!("`{attribute}=\"{text}\"` is not a count"))
}

fn seconds(text: &str) {
    let valid = !text.is_empty()
        && text.chars().all(|c| c.is_ascii_digit() || c == '.')
        && text.matches('.').count() <= 1;
    assert!(valid, "`{text}` is not a number of seconds");
}

/// Validates with `xmllint` against `tests/regress/junit.xsd` when xmllint is installed.
fn xmllint(xml: &str, name: &str) {
    if Command::new("xmllint").arg("--version").output().is_err() {
        println!(
            "skipped: xmllint not found (apt-get install libxml2-utils), schema validation not run"
        );
        return;
    }
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.xml"));
    std::fs::write(&file, xml).unwrap();
    let output = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(root().join("tests/regress/junit.xsd"))
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "xmllint rejects the report:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn junit_report_of_the_fixture_validates() {
    let run = vigil(&["test", "tests/regress/library", "--format", "junit"]);
    assert_eq!(run.status, 1, "the fixture has failing tests");
    assert_eq!(check_junit(&run.stdout), 8);
    xmllint(&run.stdout, "fixture");
}

#[test]
fn junit_report_of_the_shipped_library_validates() {
    let run = vigil(&["test", "policies", "--format", "junit"]);
    assert!(run.status == 0 || run.status == 1, "{}", run.stderr);
    assert!(check_junit(&run.stdout) > 0);
    xmllint(&run.stdout, "shipped");
}

#[test]
fn the_xml_checker_rejects_broken_reports() {
    assert!(XmlReader::parse("<a><b></a>").is_err());
    assert!(XmlReader::parse("<a x=\"1 & 2\"/>").is_err());
    assert!(XmlReader::parse("<a>1 < 2</a>").is_err());
    let parsed = XmlReader::parse("<a x=\"&lt;&#10;\">t&amp;u</a>").unwrap();
    assert_eq!(parsed.attribute("x"), Some("<\n"));
    assert_eq!(parsed.text, "t&u");
}

// ---------------------------------------------------------------------------------------
// vigil diff on the shipped library
// ---------------------------------------------------------------------------------------

/// Copies a directory tree.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the shipped `policies/` under the test's temporary directory. The copy
/// keeps its place beside `examples/`, which some tests of the library read.
fn shipped_copy(name: &str) -> PathBuf {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&base);
    copy_tree(&root().join("policies"), &base.join("policies"));
    base.join("policies")
}

/// The transactions a JSON diff report lists, by id.
fn changed_ids(report: &str) -> BTreeSet<String> {
    let json: serde_json::Value = serde_json::from_str(report).unwrap();
    json["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let label = t["transaction"].as_str().unwrap();
            label.split(' ').next().unwrap().to_string()
        })
        .collect()
}

#[test]
fn diff_of_one_changed_effective_date_reports_exactly_the_flipped_transactions() {
    // Move the first day of the 742.7(b)(1) licensing policy (rule `cc_policy`) from
    // 2020-10-06 to 2021-01-01. Between those days, a crime control item that needs a license
    // loses its case-by-case review unless civil disorder or a human-rights risk brings in the
    // exception `cc_policy_concerns`, which sets the same values.
    let copy = shipped_copy("diff-one-date");
    let file = copy.join("bis/crime_control.vigil");
    let text = std::fs::read_to_string(&file).unwrap();
    let rule = text
        .find("rule cc_policy \"")
        .expect("the shipped library has the rule `cc_policy`");
    let date = rule
        + text[rule..]
            .find("effective 2020-10-06")
            .expect("`cc_policy` takes effect on 2020-10-06");
    let changed = format!(
        "{}effective 2021-01-01{}",
        &text[..date],
        &text[date + "effective 2020-10-06".len()..]
    );
    std::fs::write(&file, changed).unwrap();

    let corpus = "tests/regress/diff/shipped_corpus.jsonl";
    let copy_arg = copy.to_str().unwrap();
    let run = vigil(&[
        "diff", "policies", copy_arg, "--corpus", corpus, "--format", "json",
    ]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let expected: BTreeSet<String> = ["s-1", "s-2", "s-7"].map(String::from).into();
    assert_eq!(changed_ids(&run.stdout), expected);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules = report["rules"]["changed"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["rule"], "bis.crime_control.cc_policy");
    assert_eq!(rules[0]["changes"][0]["aspect"], "in force");
    for transaction in report["transactions"].as_array().unwrap() {
        let responsible: Vec<&str> = transaction["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["rule"].as_str().unwrap())
            .collect();
        assert_eq!(responsible, ["bis.crime_control.cc_policy"]);
    }
}

#[test]
fn diff_of_an_identical_copy_reports_nothing() {
    let copy = shipped_copy("diff-identical");
    let corpus = "tests/regress/diff/shipped_corpus.jsonl";
    let run = vigil(&[
        "diff",
        "policies",
        copy.to_str().unwrap(),
        "--corpus",
        corpus,
        "--format",
        "json",
    ]);
    assert_eq!(run.status, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(changed_ids(&run.stdout).is_empty());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["changed"], false);
    assert_eq!(report["corpus"]["evaluated"], 8);
}

#[test]
fn diff_reads_git_revisions() {
    let git = |dir: &Path, args: &[&str]| {
        Command::new("git")
            .args([
                "-c",
                "user.name=Vigil tests",
                "-c",
                "user.email=tests@vigil.invalid",
            ])
            .args(args)
            .current_dir(dir)
            .output()
    };
    let repo = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-git");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).unwrap();
    if git(&repo, &["init", "-q"]).is_err() {
        println!("skipped: git not found");
        return;
    }
    copy_tree(&root().join("tests/regress/library"), &repo.join("lib"));
    git(&repo, &["add", "lib"]).unwrap();
    git(&repo, &["commit", "-q", "-m", "first"]).unwrap();
    for file in ["controls.vigil", "review.vigil", "schema.vigil"] {
        std::fs::copy(
            root().join("tests/regress/library_v2").join(file),
            repo.join("lib").join(file),
        )
        .unwrap();
    }
    git(&repo, &["commit", "-q", "-a", "-m", "second"]).unwrap();
    let corpus = root().join("tests/regress/diff/corpus.jsonl");
    let corpus = corpus.to_str().unwrap();

    let same = vigil_in(&repo, &["diff", "git:HEAD:lib", "lib", "--corpus", corpus]);
    assert_eq!(same.status, 0, "{}\n{}", same.stdout, same.stderr);

    let run = vigil_in(
        &repo,
        &[
            "diff",
            "git:HEAD~1:lib",
            "git:HEAD:lib",
            "--corpus",
            corpus,
            "--format",
            "json",
        ],
    );
    assert_eq!(run.status, 1, "{}", run.stderr);
    let expected: BTreeSet<String> = ["d-2", "d-4", "d-6", "d-7", "d-8"].map(String::from).into();
    assert_eq!(changed_ids(&run.stdout), expected);
    // Locations name the revision, not the temporary copy.
    assert!(
        run.stdout.contains("\"HEAD:lib/controls.vigil:"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("vigil-diff-"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------
// vigil corpus
// ---------------------------------------------------------------------------------------

#[test]
fn corpus_is_the_same_for_the_same_seed() {
    let args = [
        "corpus",
        "tests/regress/library",
        "--count",
        "200",
        "--seed",
        "11",
    ];
    let first = vigil(&args);
    let second = vigil(&args);
    assert_eq!(first.status, 0, "{}", first.stderr);
    assert_eq!(first.stdout.lines().count(), 200);
    assert_eq!(first.stdout, second.stdout);
    let other = vigil(&[
        "corpus",
        "tests/regress/library",
        "--count",
        "200",
        "--seed",
        "12",
    ]);
    assert_ne!(first.stdout, other.stdout);
}

#[test]
fn corpus_fires_every_rule_of_the_fixture_and_evaluates_cleanly() {
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fixture-corpus.jsonl");
    let run = vigil(&[
        "corpus",
        "tests/regress/library",
        "--count",
        "300",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    // `old_control` ended in 2019; the corpus reaches it through the dates before 2020-01-01.
    assert!(
        run.stderr
            .starts_with("300 transactions; they fire 6 of the 6 rules"),
        "{}",
        run.stderr
    );
    let eval = vigil(&[
        "eval",
        "--policy",
        "tests/regress/library",
        "--format",
        "jsonl",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        eval.status, 0,
        "every generated transaction is valid: {}",
        eval.stderr
    );
}

// ---------------------------------------------------------------------------------------
// Coverage does not change results
// ---------------------------------------------------------------------------------------

/// The tests of a JSON report without its coverage.
fn tests_of(report: &str) -> serde_json::Value {
    let mut json: serde_json::Value = serde_json::from_str(report).unwrap();
    json.as_object_mut().unwrap().remove("coverage");
    json
}

#[test]
fn measuring_coverage_does_not_change_any_result() {
    for library in ["tests/regress/library", "policies"] {
        let plain = vigil(&["test", library, "--format", "json"]);
        let measured = vigil(&["test", library, "--format", "json", "--coverage"]);
        assert_eq!(plain.status, measured.status);
        assert_eq!(tests_of(&plain.stdout), tests_of(&measured.stdout));
        let report: serde_json::Value = serde_json::from_str(&measured.stdout).unwrap();
        assert!(report["coverage"]["total"]["rules"].as_u64().unwrap() > 0);
    }
}
