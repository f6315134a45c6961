//! Tests of `vigil doc`.
//!
//! - Every `tests/doc/*.vigil` fixture is a small library; one snapshot holds the fixture's
//!   text and every Markdown page generated from it.
//! - The HTML sites of the fixtures and of the shipped library are well formed (tags balance,
//!   attributes are quoted, entities are complete, ids are unique) and every internal link
//!   (`href` and `src` to a file of the site, and `#anchor`) resolves.
//! - Every shipped rule appears on its policy's page with its citation linked.
//! - The command writes Markdown with its SVG files, and reports a path that does not exist.
//! - End to end: `vigil doc policies --out DIR`, then headless Chromium opens the index and a
//!   policy page and the rules are in the DOM after the scripts ran (skipped, with a message,
//!   when Chromium is not installed).

#![expect(
    clippy::unwrap_used,
    reason = "helpers of a test fail loudly, like the test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use vigil::doc::cite::{urls, CiteMode};
use vigil::doc::{generate, DocConfig, Format, OutputFile};
use vigil::semantic::ir::Program;
use vigil::source::SourceFile;

mod support;
use support::CrateFiles;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn markdown_snapshots() {
    insta::glob!("doc/*.vigil", |path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = relative(path);
        let program = compile(vec![SourceFile::new(name, text.as_str())]);
        let files = generate(
            &program,
            &DocConfig {
                format: Format::Markdown,
                title: "Test library".to_string(),
            },
        );
        insta::assert_snapshot!(render_markdown_fixture(&text, &files));
    });
}

#[test]
fn html_of_the_fixtures_is_well_formed_and_its_links_resolve() {
    for entry in std::fs::read_dir(Path::new(ROOT).join("tests/doc")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().map_or(true, |e| e != "vigil") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let program = compile(vec![SourceFile::new(relative(&path), text)]);
        let files = generate(&program, &DocConfig::default());
        check_site(&files).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn html_of_the_shipped_library_is_well_formed_and_every_rule_has_its_citation_linked() {
    let program = shipped_library();
    let files = generate(&program, &DocConfig::default());
    check_site(&files).unwrap();
    let pages: BTreeMap<&str, String> = files
        .iter()
        .map(|f| (f.path.as_str(), String::from_utf8(f.bytes.clone()).unwrap()))
        .collect();
    // Citations of documents that have no official address to link (see `cite.rs`).
    let without_address = [
        "ITA Global Markets Client Eligibility Policy",
        "State Department draft guidance of September 4, 2019",
    ];
    let mut rules = 0;
    for policy in &program.policies {
        let page = &pages[format!("policy-{}.html", policy.name).as_str()];
        for rule in policy.rules.iter().map(|id| &program.rules[id.index()]) {
            rules += 1;
            let start = page
                .find(&format!("<section id=\"rule-{}\"", rule.short_name))
                .unwrap_or_else(|| panic!("rule {} is not on its page", rule.name));
            let section = &page[start..start + page[start..].find("</section>").unwrap()];
            let title = escape(rule.title.as_deref().unwrap());
            assert!(section.contains(&title), "{}: title missing", rule.name);
            let cite = rule.cite.as_deref().unwrap();
            let links = urls(cite, CiteMode::Citation);
            if !without_address.iter().any(|d| cite.starts_with(d)) {
                assert!(!links.is_empty(), "{}: `{cite}` links nothing", rule.name);
            }
            for url in links {
                assert!(
                    section.contains(&format!("href=\"{}\" class=\"cite\"", escape(&url))),
                    "{}: {url} is not linked",
                    rule.name
                );
            }
        }
    }
    assert!(rules > 50, "only {rules} rules in the shipped library");
    let index = &pages["search-index.js"];
    for rule in &program.rules {
        assert!(
            index.contains(&format!("\"{}\"", rule.name)),
            "{}",
            rule.name
        );
    }
}

#[test]
fn markdown_links_resolve_and_exceptions_are_drawn() {
    let program = shipped_library();
    let files = generate(
        &program,
        &DocConfig {
            format: Format::Markdown,
            title: "Policy library".to_string(),
        },
    );
    let texts: BTreeMap<&str, &str> = files
        .iter()
        .map(|f| (f.path.as_str(), std::str::from_utf8(&f.bytes).unwrap()))
        .collect();
    for (path, text) in &texts {
        if !path.ends_with(".md") {
            continue;
        }
        for link in text.split("](").skip(1) {
            let target = &link[..link.find(')').unwrap()];
            if target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
            let page = texts
                .get(file)
                .unwrap_or_else(|| panic!("{path}: `{target}` names no file"));
            if !anchor.is_empty() {
                assert!(
                    page.contains(&format!("<a id=\"{anchor}\"></a>")),
                    "{path}: `{target}`: no anchor"
                );
            }
        }
    }
    // Each exception appears in the graph of its policy as a dashed edge to the rule it
    // overrides, and in the graph of the overridden rule's policy.
    for rule in program.rules.iter().filter(|r| !r.exception_to.is_empty()) {
        let policy = &program.policies[rule.policy.index()];
        let svg = texts[format!("policy-{}.svg", policy.name).as_str()];
        assert!(svg.contains("class=\"edge overrides\""), "{}", rule.name);
        for overridden in &rule.exception_to {
            let other = &program.policies[program.rules[overridden.index()].policy.index()];
            let svg = texts[format!("policy-{}.svg", other.name).as_str()];
            assert!(
                svg.contains(&format!("#rule-{}\"", rule.short_name)),
                "{} is not drawn in the graph of {}",
                rule.name,
                other.name
            );
        }
    }
}

#[test]
fn chromium_renders_the_index_and_a_policy_page() {
    let Some(chromium) = find_chromium() else {
        println!(
            "skipped: chromium not found (install Debian's `chromium` package to run this test)"
        );
        return;
    };
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("doc-site");
    let _ = std::fs::remove_dir_all(&out);
    let status = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(ROOT)
        .args(["doc", "policies", "--out"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "vigil doc failed");
    let program = shipped_library();

    // The index lists every rule, and the search script ran: a query in the address shows
    // its results.
    let index = dump_dom(
        &chromium,
        &out.join("index.html"),
        "?q=License%20Exception%20ACE",
    );
    for rule in &program.rules {
        let title = escape(rule.title.as_deref().unwrap());
        assert!(index.contains(&title), "index: {title} missing");
    }
    assert!(
        index.contains("<form class=\"search\" role=\"search\">"),
        "the search script did not show the search box"
    );
    assert!(
        index.contains("class=\"result\" href=\"policy-bis.surveillance.html#rule-ace_available\""),
        "the search script found no result for `License Exception ACE`"
    );

    // A policy page shows each of its rules with the condition in words.
    let page = dump_dom(&chromium, &out.join("policy-bis.crime_control.html"), "");
    let policy = program
        .policies
        .iter()
        .find(|p| &*p.name == "bis.crime_control")
        .unwrap();
    for rule in policy.rules.iter().map(|id| &program.rules[id.index()]) {
        let title = escape(rule.title.as_deref().unwrap());
        assert!(page.contains(&title), "policy page: {title} missing");
    }
    assert!(page.contains("has an X in CC Column 1"));
    assert!(page.contains("<svg"));

    // A screenshot, for people to look at: it must at least have been drawn.
    let screenshot = out.join("policy-bis.crime_control.png");
    let status = Command::new(&chromium)
        .args(chromium_flags())
        .arg(format!("--screenshot={}", screenshot.display()))
        .arg("--window-size=1280,2400")
        .arg(file_url(&out.join("policy-bis.crime_control.html"), ""))
        .output()
        .unwrap();
    assert!(status.status.success());
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000);
}

#[test]
fn the_command_writes_markdown_and_reports_a_missing_path() {
    let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("doc-markdown");
    let _ = std::fs::remove_dir_all(&out);
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(ROOT)
        .args([
            "doc",
            "tests/doc/export_controls.vigil",
            "--format",
            "markdown",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("start at"));
    assert!(out.join("index.md").is_file());
    assert!(out.join("policy-bis.crime_control.svg").is_file());

    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(ROOT)
        .args(["doc", "tests/doc/no_such_file.vigil", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not exist"));
}

fn find_chromium() -> Option<String> {
    ["chromium", "chromium-browser"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .map(str::to_string)
}

fn chromium_flags() -> Vec<String> {
    let profile = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("chromium-profile");
    vec![
        "--headless".into(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        format!("--user-data-dir={}", profile.display()),
    ]
}

fn file_url(path: &Path, query: &str) -> String {
    format!("file://{}{query}", path.display())
}

fn dump_dom(chromium: &str, path: &Path, query: &str) -> String {
    let output = Command::new(chromium)
        .args(chromium_flags())
        .arg("--dump-dom")
        .arg(file_url(path, query))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed on {}",
        path.display()
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Text as the DOM serialiser and the HTML writer write it.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Compiles the library under `policies/`.
fn shipped_library() -> Program {
    compile(support::policy_files())
}

fn compile(files: Vec<SourceFile>) -> Program {
    let (compiled, diagnostics) = vigil::compile(files, &mut CrateFiles);
    let errors: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.message.clone())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    compiled.unwrap().program
}

/// The path relative to the crate root, with forward slashes whatever the platform.
fn relative(path: &Path) -> String {
    let relative = path.strip_prefix(ROOT).unwrap();
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The snapshot of one fixture: its numbered lines, the files written, then each page.
fn render_markdown_fixture(text: &str, files: &[OutputFile]) -> String {
    let mut out = String::new();
    for (index, line) in text.lines().enumerate() {
        let numbered = format!("{:>4} | {}", index + 1, line);
        writeln!(out, "{}", numbered.trim_end()).unwrap();
    }
    writeln!(out, "\n════ files ════").unwrap();
    for file in files {
        writeln!(out, "{} ({} bytes)", file.path, file.bytes.len()).unwrap();
    }
    for file in files.iter().filter(|f| f.path.ends_with(".md")) {
        writeln!(out, "\n════ {} ════", file.path).unwrap();
        out.push_str(std::str::from_utf8(&file.bytes).unwrap());
    }
    out
}

/// Checks every HTML page of a site: well formed, and every internal link resolves.
fn check_site(files: &[OutputFile]) -> Result<(), String> {
    let mut ids: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    let mut links: Vec<(&str, String)> = Vec::new();
    for file in files {
        let text = std::str::from_utf8(&file.bytes).map_err(|e| e.to_string())?;
        if file.path.ends_with(".html") {
            let page = parse_html(text).map_err(|e| format!("{}: {e}", file.path))?;
            ids.insert(&file.path, page.ids);
            links.extend(page.links.into_iter().map(|l| (file.path.as_str(), l)));
        }
    }
    let names: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for (from, link) in links {
        if link.starts_with("https://") || link.starts_with("http://") {
            continue;
        }
        let (file, anchor) = match link.split_once('#') {
            Some((file, anchor)) => (file, Some(anchor)),
            None => (link.as_str(), None),
        };
        let file = if file.is_empty() { from } else { file };
        if !names.contains(file) {
            return Err(format!("{from}: `{link}` names no file of the site"));
        }
        if let Some(anchor) = anchor {
            let found = ids.get(file).is_some_and(|ids| ids.contains(anchor));
            if !found {
                return Err(format!(
                    "{from}: `{link}`: no element has the id `{anchor}`"
                ));
            }
        }
    }
    Ok(())
}

struct ParsedPage {
    ids: BTreeSet<String>,
    /// Every `href` and `src`, entities decoded.
    links: Vec<String>,
}

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// A strict reader of the HTML the writer produces: every element closes in order (void
/// elements excepted, `<x/>` closes itself in SVG), attribute values are quoted, `&` starts a
/// complete entity, ids are unique.
fn parse_html(text: &str) -> Result<ParsedPage, String> {
    let mut page = ParsedPage {
        ids: BTreeSet::new(),
        links: Vec::new(),
    };
    let mut stack: Vec<String> = Vec::new();
    let mut at = 0;
    let line = |at: usize| text[..at].lines().count();
    while let Some(offset) = text[at..].find(['<', '&']) {
        let start = at + offset;
        if text[start..].starts_with('&') {
            check_entity(&text[start..]).map_err(|e| format!("line {}: {e}", line(start)))?;
            at = start + 1;
            continue;
        }
        let rest = &text[start..];
        if rest.starts_with("<!--") {
            at = start + rest.find("-->").ok_or("unclosed comment")? + 3;
            continue;
        }
        if rest.starts_with("<!DOCTYPE") {
            at = start + rest.find('>').ok_or("unclosed doctype")? + 1;
            continue;
        }
        if let Some(closing) = rest.strip_prefix("</") {
            let end = closing.find('>').ok_or("unclosed end tag")?;
            let name = &closing[..end];
            match stack.pop() {
                Some(open) if open == name => {}
                Some(open) => {
                    return Err(format!(
                        "line {}: `</{name}>` closes `<{open}>`",
                        line(start)
                    ))
                }
                None => return Err(format!("line {}: `</{name}>` closes nothing", line(start))),
            }
            at = start + 2 + end + 1;
            continue;
        }
        let (name, attributes, self_closing, length) =
            read_tag(rest).map_err(|e| format!("line {}: {e}", line(start)))?;
        for (key, value) in &attributes {
            if key == "id" && !page.ids.insert(value.clone()) {
                return Err(format!(
                    "line {}: the id `{value}` is used twice",
                    line(start)
                ));
            }
            if key == "href" || key == "src" {
                page.links.push(value.replace("&amp;", "&"));
            }
        }
        at = start + length;
        if self_closing || VOID.contains(&name.as_str()) {
            continue;
        }
        if name == "script" || name == "style" {
            let close = format!("</{name}>");
            at += text[at..].find(&close).ok_or("unclosed script")? + close.len();
            continue;
        }
        stack.push(name);
    }
    match stack.pop() {
        Some(open) => Err(format!("`<{open}>` is never closed")),
        None => Ok(page),
    }
}

type Tag = (String, Vec<(String, String)>, bool, usize);

/// Reads `<name a="v" b>` or `<name .../>` at the start of `text`.
fn read_tag(text: &str) -> Result<Tag, String> {
    let bytes = text.as_bytes();
    let mut at = 1;
    let name_end = text[at..]
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .ok_or("unclosed tag")?
        + at;
    let name = text[at..name_end].to_string();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(format!(
            "`<` does not start a tag: `{}`",
            &text[..text.len().min(20)]
        ));
    }
    at = name_end;
    let mut attributes = Vec::new();
    loop {
        while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'>') => return Ok((name, attributes, false, at + 1)),
            Some(b'/') if bytes.get(at + 1) == Some(&b'>') => {
                return Ok((name, attributes, true, at + 2))
            }
            None => return Err(format!("`<{name}` is never closed")),
            _ => {}
        }
        let key_end = text[at..]
            .find(|c: char| c == '=' || c == '>' || c.is_whitespace())
            .ok_or("unclosed tag")?
            + at;
        let key = text[at..key_end].to_string();
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-:".contains(c))
        {
            return Err(format!("bad attribute name `{key}` in `<{name}>`"));
        }
        at = key_end;
        if bytes.get(at) == Some(&b'=') {
            let quote = *bytes.get(at + 1).ok_or("unclosed tag")?;
            if quote != b'"' {
                return Err(format!("the value of `{key}` in `<{name}>` is not quoted"));
            }
            let value_end = text[at + 2..].find('"').ok_or("unclosed attribute")? + at + 2;
            let value = &text[at + 2..value_end];
            if value.contains('<') {
                return Err(format!("`<` in the value of `{key}`"));
            }
            if let Some(amp) = value.find('&') {
                check_entity(&value[amp..])?;
            }
            attributes.push((key, value.to_string()));
            at = value_end + 1;
        } else {
            attributes.push((key, String::new()));
        }
    }
}

/// `&name;` or `&#123;` at the start of `text`.
fn check_entity(text: &str) -> Result<(), String> {
    let end = text
        .find(';')
        .filter(|&e| e <= 10)
        .ok_or_else(|| format!("`&` starts no entity: `{}`", &text[..text.len().min(12)]))?;
    let body = &text[1..end];
    let valid = match body.strip_prefix('#') {
        Some(digits) => !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()),
        None => ["amp", "lt", "gt", "quot", "nbsp"].contains(&body),
    };
    if valid {
        Ok(())
    } else {
        Err(format!("unknown entity `&{body};`"))
    }
}

#[test]
fn the_html_checker_rejects_what_it_should() {
    assert!(parse_html("<p><b>x</p></b>").is_err());
    assert!(parse_html("<p>a & b</p>").is_err());
    assert!(parse_html("<p id=x>a</p>").is_err());
    assert!(parse_html("<p id=\"a\"></p><p id=\"a\"></p>").is_err());
    assert!(parse_html("<div>").is_err());
    assert!(parse_html("<svg><path d=\"M 0 0\"/></svg><br><p>&amp; &#39;</p>").is_ok());
    let files = vec![OutputFile {
        path: "index.html".to_string(),
        bytes: b"<a href=\"other.html#x\">x</a>".to_vec(),
    }];
    assert!(check_site(&files).is_err());
}
