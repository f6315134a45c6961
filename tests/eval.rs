//! Evaluation fixtures: each directory under `tests/eval/` holds a small policy library
//! (`policy.vigil`), one input (`input.json`, `input.jsonl` or `input.yaml`) and optionally
//! `args.txt` (extra `vigil eval` arguments). The snapshot shows the input, then what
//! `vigil eval` printed in human and JSON form, with its exit status.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::Path;
use std::process::Command;

fn run(dir: &Path, input: &Path, args: &[String]) -> (String, i32) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = |p: &Path| {
        p.strip_prefix(root)
            .unwrap_or(p)
            .to_string_lossy()
            .replace('\\', "/")
    };
    let output = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .current_dir(root)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .arg("eval")
        .arg("--policy")
        .arg(relative(dir))
        .args(args)
        .arg(relative(input))
        .output()
        .expect("vigil runs");
    let mut text = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !stderr.is_empty() {
        text.push_str("----- stderr\n");
        text.push_str(&stderr);
    }
    (text, output.status.code().unwrap_or(-1))
}

#[test]
fn eval_fixtures() {
    insta::glob!("eval/*/policy.vigil", |policy| {
        let dir = policy.parent().unwrap();
        let input = ["input.json", "input.jsonl", "input.yaml"]
            .iter()
            .map(|n| dir.join(n))
            .find(|p| p.exists())
            .expect("a fixture has an input file");
        let extra: Vec<String> = std::fs::read_to_string(dir.join("args.txt"))
            .map(|t| t.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        let mut snapshot = format!(
            "----- {}\n{}",
            input.file_name().unwrap().to_string_lossy(),
            std::fs::read_to_string(&input).unwrap()
        );
        let formats: Vec<Vec<String>> = if extra.iter().any(|a| a == "--format") {
            vec![extra.clone()]
        } else {
            ["human", "json"]
                .iter()
                .map(|f| {
                    extra
                        .iter()
                        .cloned()
                        .chain(["--format".to_string(), (*f).to_string()])
                        .collect()
                })
                .collect()
        };
        for args in formats {
            let (output, status) = run(dir, &input, &args);
            // The same input, library and date always give the same bytes.
            assert_eq!(
                run(dir, &input, &args),
                (output.clone(), status),
                "output is not deterministic"
            );
            snapshot.push_str(&format!(
                "----- vigil eval {} (exit {status})\n{output}",
                args.join(" ")
            ));
        }
        insta::assert_snapshot!(snapshot);
    });
}
