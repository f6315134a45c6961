//! The `vigil fmt` command line: what it writes and its exit codes, with and without `--check`.

// Test code may fail loudly, as clippy.toml allows inside #[test] functions; the helpers here
// are outside them, so the same allowance is spelled out for this file.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const FORMATTED: &str = "policy a.b\n  rule r\n    then x is y\n  end\nend\n";
const UNFORMATTED: &str = "policy a.b rule r then x is y end end\n";
const BROKEN: &str = "policy a.b\n  rule r\n    then\n  end\nend\n";

/// A fresh directory for one test, removed first if an earlier run left it behind.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vigil-fmt-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn vigil(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn check_passes_on_formatted_files_and_writes_nothing() {
    let dir = scratch("check-ok");
    std::fs::write(dir.join("a.vigil"), FORMATTED).unwrap();
    let output = vigil(&["fmt", "--check", "."], &dir);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        std::fs::read_to_string(dir.join("a.vigil")).unwrap(),
        FORMATTED
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_lists_unformatted_files_exits_1_and_writes_nothing() {
    let dir = scratch("check-unformatted");
    std::fs::write(dir.join("a.vigil"), FORMATTED).unwrap();
    std::fs::write(dir.join("b.vigil"), UNFORMATTED).unwrap();
    let output = vigil(&["fmt", "--check", "."], &dir);
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(
        out.contains("not formatted: ./b.vigil") && !out.contains("a.vigil"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("b.vigil")).unwrap(),
        UNFORMATTED
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fmt_rewrites_unformatted_files_and_then_check_passes() {
    let dir = scratch("rewrite");
    std::fs::write(dir.join("b.vigil"), UNFORMATTED).unwrap();
    let output = vigil(&["fmt", "b.vigil"], &dir);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        std::fs::read_to_string(dir.join("b.vigil")).unwrap(),
        FORMATTED
    );
    assert_eq!(
        vigil(&["fmt", "--check", "b.vigil"], &dir).status.code(),
        Some(0)
    );
    // No temporary file is left behind.
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["b.vigil"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn files_with_syntax_errors_are_reported_left_alone_and_fail() {
    let dir = scratch("broken");
    std::fs::write(dir.join("broken.vigil"), BROKEN).unwrap();
    std::fs::write(dir.join("b.vigil"), UNFORMATTED).unwrap();
    for args in [&["fmt", "."][..], &["fmt", "--check", "."][..]] {
        let output = vigil(args, &dir);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stdout(&output).contains("E0001"), "{}", stdout(&output));
        assert_eq!(
            std::fs::read_to_string(dir.join("broken.vigil")).unwrap(),
            BROKEN
        );
    }
    // The other file was still formatted by the run without `--check`.
    assert_eq!(
        std::fs::read_to_string(dir.join("b.vigil")).unwrap(),
        FORMATTED
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    let dir = scratch("usage");
    assert_eq!(
        vigil(&["fmt", "does-not-exist.vigil"], &dir).status.code(),
        Some(2)
    );
    assert_eq!(
        vigil(&["fmt", "--no-such-flag"], &dir).status.code(),
        Some(2)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
