//! `vigil check` as a user runs it: the built binary on files in a scratch directory, its exit
//! status, its human and JSON output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CLEAN_POLICY: &str = r#"# Restraint devices, 15 CFR 742.7(a)(4).
schema transaction
  date: date
  destination: country
end

decision license
  values not_required, indeterminate, required
  combine by most restrictive
  default not_required
  unknown indeterminate
end

policy bis.restraints "Restraint devices"
  authority "Bureau of Industry and Security"
  cite "15 CFR 742.7(a)(4)"

  rule restraints_license
    cite "15 CFR 742.7(a)(4)"
    when destination is not "CA"
    then license is required
  end
end
"#;

const BROKEN_POLICY: &str = r#"policy bis.restraints_draft "Restraint devices (draft)"
  cite "15 CFR 742.7(a)(4)"

  rule restraints_license
    cite "15 CFR 742.7(a)(4)"
    when destination is
    then license is required
  end
end
"#;

/// A fresh, empty scratch directory for one test, under Cargo's temporary directory for
/// integration tests.
fn scratch(test: &str) -> std::io::Result<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_check")
        .join(test);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Writes `contents` to `dir/name`, creating parent directories.
fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, contents)?;
    Ok(path)
}

/// Runs `vigil` with the arguments, without colour, in `dir`.
fn vigil(dir: &Path, args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("COLUMNS")
        .output()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_clean_file_exits_zero() {
    let dir = scratch("clean").unwrap();
    write(&dir, "restraints.vigil", CLEAN_POLICY).unwrap();
    let output = vigil(&dir, &["check", "restraints.vigil"]).unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "checked 1 file: 0 errors, 0 warnings\n");
}

#[test]
fn a_file_with_errors_exits_one_and_shows_each_error() {
    let dir = scratch("broken").unwrap();
    write(&dir, "restraints.vigil", BROKEN_POLICY).unwrap();
    let output = vigil(&dir, &["check", "restraints.vigil"]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("vigil::E0001"), "{text}");
    assert!(
        text.contains("expected a value after `is`, found `then`"),
        "{text}"
    );
    assert!(text.contains("restraints.vigil:6:"), "{text}");
    assert!(
        text.ends_with("checked 1 file: 1 error, 0 warnings\n"),
        "{text}"
    );
    // Without a terminal and with `NO_COLOR`, the output has no escape sequences.
    assert!(!text.contains('\u{1b}'), "{text}");
}

#[test]
fn a_missing_path_is_a_usage_error() {
    let dir = scratch("missing").unwrap();
    let output = vigil(&dir, &["check", "no_such_policy.vigil"]).unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`no_such_policy.vigil` does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_unknown_option_is_a_usage_error() {
    let dir = scratch("unknown_option").unwrap();
    let output = vigil(&dir, &["check", "--no-such-option"]).unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn json_output_has_the_documented_fields() {
    let dir = scratch("json").unwrap();
    write(&dir, "restraints.vigil", BROKEN_POLICY).unwrap();
    write(&dir, "clean.vigil", CLEAN_POLICY).unwrap();
    let output = vigil(&dir, &["check", ".", "--format", "json"]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files"], 2);
    assert_eq!(report["errors"], 1);
    assert_eq!(report["warnings"], 0);
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1);
    let diagnostic = &diagnostics[0];
    assert_eq!(diagnostic["code"], "E0001");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(
        diagnostic["message"],
        "expected a value after `is`, found `then`"
    );
    assert!(diagnostic["file"]
        .as_str()
        .unwrap()
        .ends_with("restraints.vigil"));
    assert_eq!(diagnostic["line"], 6);
    assert_eq!(diagnostic["column"], 22);
    assert!(diagnostic["help"].is_null() || diagnostic["help"].is_string());
    let label = &diagnostic["labels"][0];
    for field in [
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
    ] {
        assert!(!label[field].is_null(), "label has no `{field}`: {label}");
    }
    assert_eq!(label["end_line"], 6);
    assert_eq!(label["end_column"], 24);
}

#[test]
fn json_output_of_a_clean_file_has_no_diagnostics() {
    let dir = scratch("json_clean").unwrap();
    write(&dir, "clean.vigil", CLEAN_POLICY).unwrap();
    let output = vigil(&dir, &["check", "clean.vigil", "--format", "json"]).unwrap();
    assert_eq!(output.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["files"], 1);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["diagnostics"], serde_json::json!([]));
}

#[test]
fn a_file_that_is_not_utf8_is_reported_with_e0005() {
    let dir = scratch("not_utf8").unwrap();
    let mut bytes =
        b"policy bis.restraints \"Restraint devices\"\n  cite \"15 CFR 742.7\"\n  # caf".to_vec();
    bytes.extend_from_slice(&[0xE9, 0xFF, b'\n']);
    bytes.extend_from_slice(b"end\n");
    write(&dir, "latin1.vigil", bytes).unwrap();
    let output = vigil(&dir, &["check", "latin1.vigil"]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(text.contains("vigil::E0005"), "{text}");
    assert!(
        text.contains("is not valid UTF-8 (first bad byte at line 3, column 8)"),
        "{text}"
    );
}

#[test]
fn a_directory_is_searched_recursively_for_vigil_files() {
    let dir = scratch("recursive").unwrap();
    write(
        &dir,
        "policies/notes.vigil",
        "# Notes for the policy authors; declarations live beside the rules.\n",
    )
    .unwrap();
    write(&dir, "policies/bis/restraints.vigil", CLEAN_POLICY).unwrap();
    write(&dir, "policies/bis/deep/er/broken.vigil", BROKEN_POLICY).unwrap();
    // Not policy files, or in places that are never searched.
    write(&dir, "policies/README.md", "rule broken").unwrap();
    write(&dir, "policies/.hidden/broken.vigil", BROKEN_POLICY).unwrap();
    write(&dir, "policies/target/broken.vigil", BROKEN_POLICY).unwrap();

    let output = vigil(&dir, &["check", "policies"]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.ends_with("checked 3 files: 1 error, 0 warnings\n"),
        "{text}"
    );
    assert!(text.contains("broken.vigil:6:"), "{text}");

    // With no path, `policies/` is checked when it exists.
    let output = vigil(&dir, &["check"]).unwrap();
    assert!(
        stdout(&output).ends_with("checked 3 files: 1 error, 0 warnings\n"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_directory_without_policy_files_is_an_error() {
    let dir = scratch("empty_dir").unwrap();
    write(&dir, "notes.txt", "nothing here").unwrap();
    let output = vigil(&dir, &["check", "."]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("vigil::E0012"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_with_e0004() {
    let dir = scratch("too_large").unwrap();
    let big = vec![b'#'; vigil::source::MAX_SOURCE_BYTES + 1];
    write(&dir, "big.vigil", big).unwrap();
    let output = vigil(&dir, &["check", "big.vigil"]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output).contains("vigil::E0004"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn deny_warnings_is_accepted_and_keeps_errors_fatal() {
    // No check emits warnings yet; the flag must be accepted, leave a clean run at 0 and an
    // erroneous one at 1.
    let dir = scratch("deny_warnings").unwrap();
    write(&dir, "clean.vigil", CLEAN_POLICY).unwrap();
    write(&dir, "broken.vigil", BROKEN_POLICY).unwrap();
    let clean = vigil(&dir, &["check", "--deny-warnings", "clean.vigil"]).unwrap();
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));
    let broken = vigil(&dir, &["check", "--deny-warnings", "broken.vigil"]).unwrap();
    assert_eq!(broken.status.code(), Some(1));
}

#[test]
fn every_file_is_reported_in_one_run() {
    let dir = scratch("several_files").unwrap();
    write(&dir, "a.vigil", BROKEN_POLICY).unwrap();
    write(
        &dir,
        "b.vigil",
        BROKEN_POLICY.replace("restraints_draft", "restraints_other"),
    )
    .unwrap();
    write(&dir, "c.vigil", CLEAN_POLICY).unwrap();
    let output = vigil(&dir, &["check", "a.vigil", "b.vigil", "c.vigil"]).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("a.vigil:6:") && text.contains("b.vigil:6:"),
        "{text}"
    );
    assert!(
        text.ends_with("checked 3 files: 2 errors, 0 warnings\n"),
        "{text}"
    );
}

#[test]
fn help_explains_the_command_with_examples() {
    let dir = scratch("help").unwrap();
    let output = vigil(&dir, &["check", "--help"]).unwrap();
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert!(text.contains("Examples:"), "{text}");
    assert!(text.contains("vigil check policies/"), "{text}");
    assert!(text.contains("--format"), "{text}");
    assert!(text.contains("--deny-warnings"), "{text}");
    assert!(text.contains("Exit status"), "{text}");
}
