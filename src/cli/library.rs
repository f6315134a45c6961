//! Loading the policy library for `vigil eval`: the library embedded in the binary, or the
//! directories given with `--policy`, plus the data given with `--data NAME=PATH`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use vigil::diagnostic;
use vigil::eval::Evaluator;
use vigil::semantic::Loader;
use vigil::source::SourceFile;

use super::files;

/// Serves the embedded library's files to the compiler; data named with `--data` comes from
/// the file system.
pub struct EmbeddedLoader {
    pub inputs: Vec<(String, PathBuf)>,
}

impl Loader for EmbeddedLoader {
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Some(embedded(path))
    }

    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Some(embedded(path))
    }

    fn input(&mut self, name: &str) -> Option<Result<SourceFile, String>> {
        let (_, path) = self.inputs.iter().find(|(n, _)| n == name)?;
        Some(files::read_data(path))
    }
}

fn embedded(path: &str) -> Result<SourceFile, String> {
    let bytes = vigil::library::file(path)
        .ok_or_else(|| format!("`{path}` is not part of the built-in policy library"))?;
    let text = std::str::from_utf8(bytes)
        .map_err(|_| format!("`{path}` in the built-in library is not UTF-8"))?;
    Ok(SourceFile::new(path, text))
}

/// The `.vigil` files of the embedded library.
pub fn embedded_policy_files() -> Vec<SourceFile> {
    vigil::library::files()
        .iter()
        .filter(|(path, _)| Path::new(path).extension().is_some_and(|e| e == "vigil"))
        .filter_map(|(path, bytes)| {
            std::str::from_utf8(bytes)
                .ok()
                .map(|text| SourceFile::new(*path, text))
        })
        .collect()
}

/// A content hash of every file a program was compiled from (policy files, data files and
/// `--data` inputs), for audit records: the same hash means the same law was applied.
pub fn content_hash(files: &[SourceFile]) -> String {
    let mut sorted: Vec<&SourceFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut hasher = Sha256::new();
    for file in sorted {
        hasher.update((file.name.len() as u64).to_le_bytes());
        hasher.update(file.name.as_bytes());
        hasher.update((file.text.len() as u64).to_le_bytes());
        hasher.update(file.text.as_bytes());
    }
    let digest = hasher.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// Compiles the policy files under `paths` with the data given as `inputs`, printing every
/// diagnostic on standard error when the library does not compile. `None` also when a path
/// does not exist.
pub fn compile_paths(paths: &[PathBuf], inputs: &[(String, PathBuf)]) -> Option<vigil::Compiled> {
    let loaded = match files::load(paths) {
        Ok(loaded) => loaded,
        Err(files::MissingPath(path)) => {
            eprintln!("error: `{}` does not exist", path.display());
            return None;
        }
    };
    let mut loader = files::FileLoader {
        inputs: inputs.to_vec(),
    };
    let (compiled, mut diagnostics) = vigil::compile(loaded.files, &mut loader);
    diagnostics.extend(loaded.diagnostics);
    let render = diagnostic::RenderConfig {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
    };
    let Some(compiled) = compiled.filter(|_| !diagnostics.iter().any(|d| d.is_error())) else {
        for d in &diagnostics {
            eprint!("{}", diagnostic::render_human(d, render));
        }
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "error: the policies in `{}` do not compile",
            shown.join("`, `")
        );
        return None;
    };
    Some(compiled)
}

/// Prepares a compiled program for evaluation, stamping records with its content hash.
pub fn evaluator(compiled: vigil::Compiled) -> Option<Evaluator> {
    let hash = content_hash(&compiled.program.files);
    match Evaluator::new(compiled, Arc::from(hash)) {
        Ok(evaluator) => Some(evaluator),
        Err(error) => {
            eprintln!("error: the policies cannot be evaluated: {error:?}");
            None
        }
    }
}
