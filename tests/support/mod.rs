//! Helpers shared by the integration tests: the crate's files as a `Loader`, and the files of
//! the shipped policy library. (`mod support;` in each test file that needs them.)

#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use vigil::semantic::Loader;
use vigil::source::SourceFile;

/// Reads imported and data files relative to the crate root, where policy and fixture names
/// start. Run-time inputs (`--data`) are not given: the tables they fill stay empty.
pub struct CrateFiles;

impl CrateFiles {
    /// One file, by its path relative to the crate root.
    pub fn read(path: &str) -> Option<Result<SourceFile, String>> {
        let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        Some(
            std::fs::read_to_string(full)
                .map(|text| SourceFile::new(path, text))
                .map_err(|error| error.kind().to_string()),
        )
    }
}

impl Loader for CrateFiles {
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Self::read(path)
    }

    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Self::read(path)
    }

    fn input(&mut self, _name: &str) -> Option<Result<SourceFile, String>> {
        None
    }
}

/// Every `.vigil` file under `policies/`, named relative to the crate root, in path order.
pub fn policy_files() -> Vec<SourceFile> {
    fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "vigil") {
                found.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    walk(&root.join("policies"), &mut found);
    found.sort();
    found
        .iter()
        .map(|path| {
            let relative = path.strip_prefix(root).unwrap();
            let name: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            SourceFile::new(name.join("/"), std::fs::read_to_string(path).unwrap())
        })
        .collect()
}
