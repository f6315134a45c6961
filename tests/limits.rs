//! Hostile and extreme input: the front end must answer every file with diagnostics, never
//! with a crash, a stack overflow or unbounded work.
//!
//! These tests assert behaviour only; none measures time. A hang or an overflow fails them by
//! never finishing or by aborting the test binary.

use vigil::diagnostic::{Code, Diagnostic};
use vigil::source::{SourceError, SourceFile, MAX_SOURCE_BYTES};

/// Checks one file and returns the front end's diagnostics (codes `E00xx`). The inputs here
/// declare no schema, so the semantic checker has more to say about them; that is not what
/// these tests are about.
fn check(text: &str) -> Vec<Diagnostic> {
    let mut diagnostics = vigil::check(vec![SourceFile::new("limits.vigil", text)]).diagnostics;
    diagnostics.retain(|d| d.code.as_str().starts_with("E00"));
    diagnostics
}

/// The codes of the error diagnostics, in order.
fn error_codes(diagnostics: &[Diagnostic]) -> Vec<Code> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code)
        .collect()
}

/// A rule with the given condition, inside a policy.
fn policy_with_condition(condition: &str) -> String {
    format!(
        "policy bis.limits \"Limits\"\n  cite \"15 CFR 742.7\"\n  rule deep\n    cite \"15 CFR 742.7(a)\"\n    when {condition}\n    then license is required\n  end\nend\n"
    )
}

/// A pseudo-random byte generator with a fixed seed (xorshift64*), so that the "random"
/// input is the same on every run and every machine.
struct Xorshift(u64);

impl Xorshift {
    fn next_byte(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_byte()).collect()
    }
}

#[test]
fn ten_thousand_nested_parentheses_are_refused_as_too_deep() {
    let depth = 10_000;
    let condition = format!(
        "{}destination is \"CN\"{}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    let diagnostics = check(&policy_with_condition(&condition));
    assert_eq!(error_codes(&diagnostics), [Code::E0003]);
}

#[test]
fn ten_thousand_unclosed_brackets_are_refused_as_too_deep() {
    let diagnostics = check(&policy_with_condition(&"[".repeat(10_000)));
    assert_eq!(error_codes(&diagnostics), [Code::E0003]);
}

#[test]
fn deeply_nested_json_in_a_test_is_refused_as_too_deep() {
    let json = format!("{}{}", "{\"a\": ".repeat(10_000), "}".repeat(10_000));
    let text = format!("test \"deep\"\n  given {json}\n  expect rejected\nend\n");
    assert_eq!(error_codes(&check(&text)), [Code::E0003]);
}

#[test]
fn ten_thousand_nested_quantifiers_are_refused_as_too_deep() {
    let chain = "any x in xs where ".repeat(10_000);
    let diagnostics = check(&policy_with_condition(&format!("{chain}x is \"CN\"")));
    assert_eq!(error_codes(&diagnostics), [Code::E0003]);
}

#[test]
fn ten_thousand_nots_do_not_overflow_the_stack() {
    let condition = format!("{}destination is \"CN\"", "not ".repeat(10_000));
    // Each `not` nests the tree once more, so the chain is refused like deep parentheses.
    assert_eq!(
        error_codes(&check(&policy_with_condition(&condition))),
        [Code::E0003]
    );
    // A few are fine.
    let condition = format!("{}destination is \"CN\"", "not ".repeat(20));
    assert!(check(&policy_with_condition(&condition)).is_empty());
}

#[test]
fn ten_thousand_terms_of_arithmetic_are_refused_as_too_deep() {
    let condition = format!("{} > 5", vec!["quantity"; 10_000].join(" + "));
    assert_eq!(
        error_codes(&check(&policy_with_condition(&condition))),
        [Code::E0003]
    );
}

#[test]
fn a_fifty_megabyte_file_is_refused_before_it_is_parsed() {
    let rule = "  rule r\n    cite \"15 CFR 742.7\"\n    when destination is \"CN\"\n    then license is required\n  end\n";
    let mut bytes = b"policy bis.big\n".to_vec();
    while bytes.len() < 50 * 1024 * 1024 {
        bytes.extend_from_slice(rule.as_bytes());
    }
    let error = SourceFile::from_bytes("big.vigil", &bytes).unwrap_err();
    assert_eq!(error, SourceError::TooLarge { len: bytes.len() });
    let placeholder = SourceFile::new("big.vigil", "");
    let diagnostic = vigil::syntax::too_large(&placeholder, bytes.len());
    assert_eq!(diagnostic.code, Code::E0004);
    assert!(
        diagnostic.message.contains("big.vigil"),
        "{}",
        diagnostic.message
    );

    // Text that reaches the parser without going through `from_bytes` is refused there too.
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(error_codes(&check(&text)), [Code::E0004]);
}

#[test]
fn a_four_megabyte_policy_of_valid_rules_parses_without_errors() {
    let mut text = String::from(
        "policy bis.large \"Many rules\"\n  authority \"Bureau of Industry and Security\"\n  cite \"15 CFR 742.7\"\n\n",
    );
    let mut count = 0;
    while text.len() < 4 * 1024 * 1024 {
        text.push_str(&format!(
            "  rule cc1_license_{count} \"License for CC Column 1 items, copy {count}\"\n    cite \"15 CFR 742.7(a)(1)\"\n    when any item in items where item.eccn within [\"0A504\", \"3A981\"]\n     and destination in [\"CN\", \"RU\", \"VE\"]\n    then license is required and human_rights_review is true\n    because \"{{item.eccn}} is controlled for CC Column 1\"\n  end\n\n"
        ));
        count += 1;
    }
    text.push_str("end\n");
    assert!(text.len() < MAX_SOURCE_BYTES);
    let file = SourceFile::new("large.vigil", text.as_str());
    let (ast, diagnostics) = vigil::syntax::parse(&file);
    assert!(diagnostics.is_empty(), "{:?}", diagnostics.first());
    let Some(vigil::syntax::ast::Item::Policy(policy)) = ast.items.first() else {
        panic!("the policy was not parsed")
    };
    assert_eq!(policy.members.len(), count);
}

#[test]
fn a_table_of_ten_thousand_rows_parses_without_errors() {
    let mut text = String::from("table eccns\n  columns eccn: eccn, cc1: bool\n");
    for index in 0..10_000 {
        text.push_str(&format!(
            "  row \"{}A{:03}\", X\n",
            index % 10,
            index % 1000
        ));
    }
    text.push_str("end\n");
    assert!(check(&text).is_empty());
}

#[test]
fn random_text_gives_bounded_diagnostics_and_no_crash() {
    let mut random = Xorshift(0x5EED_2026_0723_0001);
    for _ in 0..20 {
        let bytes = random.bytes(64 * 1024);
        let text = String::from_utf8_lossy(&bytes);
        let diagnostics = check(&text);
        // Random bytes are never a valid policy, and the parser stops after 50 errors.
        assert!(!diagnostics.is_empty());
        assert!(diagnostics.len() <= 51, "{} diagnostics", diagnostics.len());
    }
}

#[test]
fn random_text_built_from_vigil_words_gives_no_crash() {
    // Words of the language in random order reach much deeper into the grammar than random
    // bytes, which fail on the first character.
    let words = [
        "policy",
        "rule",
        "when",
        "then",
        "because",
        "end",
        "any",
        "x",
        "in",
        "xs",
        "where",
        "not",
        "and",
        "or",
        "is",
        "(",
        ")",
        "[",
        "]",
        ",",
        "\"s\"",
        "\"\"\"",
        "2020-10-06",
        "12",
        "{",
        "}",
        "table",
        "row",
        "X",
        "-",
        "given",
        "expect",
        "test",
        "\n",
        "#",
        ":",
        "=",
        "decision",
        "values",
        "combine",
        "by",
        "most",
        "restrictive",
        "import",
        "schema",
        "record",
        "enum",
    ];
    let mut random = Xorshift(0x5EED_2026_0723_0002);
    for _ in 0..200 {
        let mut text = String::new();
        for _ in 0..400 {
            let index = usize::from(random.next_byte()) % words.len();
            text.push_str(words[index]);
            text.push(' ');
        }
        let diagnostics = check(&text);
        assert!(diagnostics.len() <= 51, "{} diagnostics", diagnostics.len());
    }
}

#[test]
fn invalid_utf8_is_refused_with_the_offset_of_the_first_bad_byte() {
    let mut random = Xorshift(0x5EED_2026_0723_0003);
    let mut bytes = b"policy bis.binary\n".to_vec();
    bytes.extend(random.bytes(4096));
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    let Err(SourceError::InvalidUtf8 { valid_up_to }) =
        SourceFile::from_bytes("binary.vigil", &bytes)
    else {
        panic!("invalid UTF-8 was accepted")
    };
    assert!(valid_up_to >= "policy bis.binary\n".len());
    assert!(std::str::from_utf8(&bytes[..valid_up_to]).is_ok());
}

#[test]
fn too_many_errors_stop_after_fifty() {
    let broken = "  rule broken\n    when destination is\n    then license is required\n  end\n";
    let text = format!("policy bis.broken\n{}end\n", broken.repeat(200));
    let diagnostics = check(&text);
    assert_eq!(diagnostics.len(), 51);
    let last = diagnostics.last().unwrap();
    assert!(
        last.message.starts_with("too many syntax errors"),
        "{}",
        last.message
    );
}

#[test]
fn a_one_megabyte_line_parses() {
    let long = "A".repeat(1024 * 1024);
    let text = format!("table t\n  columns name: string\n  row \"{long}\"\nend\n");
    assert!(check(&text).is_empty());
}

#[test]
fn an_empty_file_has_no_diagnostics() {
    assert!(check("").is_empty());
}

#[test]
fn a_file_of_only_comments_has_no_diagnostics() {
    let text = "# Crime control rules will go here.\n#\n# policy bis.crime_control\n#   rule r end\n# end\n";
    assert!(check(text).is_empty());
    assert!(check("# no line break at the end").is_empty());
}

#[test]
fn a_file_of_only_whitespace_has_no_diagnostics() {
    assert!(check(" \n\t\n\r\n    \n").is_empty());
}

#[test]
fn windows_line_endings_parse_like_unix_ones() {
    let text = "policy bis.crlf \"Crime control\"\r\n  cite \"15 CFR 742.7\"\r\n  rule r\r\n    cite \"15 CFR 742.7(a)\"\r\n    when destination is \"CN\"\r\n    then license is required\r\n  end\r\nend\r\n";
    assert!(check(text).is_empty());
}

#[test]
fn a_hundred_thousand_conditions_joined_by_and_do_not_overflow_the_stack() {
    // `and` and `or` chains are folded into balanced trees, so even these are only a few
    // levels deep and are accepted.
    let condition = vec!["destination is \"CN\""; 100_000].join(" and ");
    assert!(check(&policy_with_condition(&condition)).is_empty());
    let condition = vec!["destination is \"CN\""; 1_000].join("\n      or ");
    assert!(check(&policy_with_condition(&condition)).is_empty());
}

#[test]
fn diagnostics_on_very_long_lines_render_as_locations() {
    // The renderer cannot draw under a column past 65,535; such labels become locations.
    let cells = vec!["\"CN\""; 40_000].join(", ");
    let text = format!("table t\n  columns country: country\n  row {cells} \"RU\"\nend\n");
    let diagnostics = check(&text);
    assert_eq!(error_codes(&diagnostics), [Code::E0001]);
    let rendered =
        vigil::diagnostic::render_human(&diagnostics[0], vigil::diagnostic::RenderConfig::PLAIN);
    assert!(rendered.contains("at limits.vigil:3:"), "{rendered}");
    assert!(rendered.len() < 2_000, "{} bytes", rendered.len());
}

#[test]
fn a_declaration_past_the_parser_work_limit_is_refused_with_e0006() {
    // A list of over a million values in one condition fits in a file but takes the parser
    // more steps than it allows one declaration.
    let values = vec!["\"CN\""; 1_200_000].join(", ");
    let text = policy_with_condition(&format!("destination in [{values}]"));
    assert!(text.len() < MAX_SOURCE_BYTES);
    assert_eq!(error_codes(&check(&text)), [Code::E0006]);
}
