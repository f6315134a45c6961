//! Finding and reading policy files: directories are searched for `*.vigil`, files are read as
//! given, and every unreadable file becomes a diagnostic rather than a crash.

use std::path::{Path, PathBuf};

use vigil::diagnostic::{Code, Diagnostic};
use vigil::source::{SourceError, SourceFile, MAX_SOURCE_BYTES};

/// The files found under the given paths, and the problems met on the way.
pub struct Loaded {
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A path on the command line that does not exist: a usage error.
pub struct MissingPath(pub PathBuf);

/// The paths a subcommand works on: those given, or else `policies/` when it exists, or else the
/// current directory.
pub fn paths_or_default(paths: &[PathBuf]) -> Vec<PathBuf> {
    if !paths.is_empty() {
        return paths.to_vec();
    }
    let library = PathBuf::from("policies");
    vec![if library.is_dir() {
        library
    } else {
        PathBuf::from(".")
    }]
}

/// Collects `*.vigil` files under `paths` (directories recursively, in sorted order, skipping
/// hidden directories and `target/`) and reads them.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, MissingPath> {
    let mut found = Vec::new();
    let mut diagnostics = Vec::new();
    for path in paths {
        if !path.exists() {
            return Err(MissingPath(path.clone()));
        }
        if path.is_dir() {
            walk(path, &mut found, &mut diagnostics);
        } else {
            found.push(path.clone());
        }
    }
    let mut files = Vec::new();
    for path in found {
        match read(&path) {
            Ok(file) => files.push(file),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    Ok(Loaded { files, diagnostics })
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, diagnostics: &mut Vec<Diagnostic>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            diagnostics.push(
                Diagnostic::error(
                    Code::E0011,
                    format!("cannot read directory `{}`: {error}", dir.display()),
                )
                .with_help("check that you may list the directory, or give its files one by one"),
            );
            return;
        }
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" {
                walk(&path, found, diagnostics);
            }
        } else if path.extension().is_some_and(|e| e == "vigil") {
            found.push(path);
        }
    }
}

/// Reads one file; a file that is too large or not UTF-8 becomes a diagnostic.
pub fn read(path: &Path) -> Result<SourceFile, Diagnostic> {
    let name = path.display().to_string();
    // Refuse oversized files before reading them into memory.
    if let Ok(metadata) = std::fs::metadata(path) {
        if metadata.len() > MAX_SOURCE_BYTES as u64 {
            let placeholder = SourceFile::new(name.as_str(), "");
            return Err(vigil::syntax::too_large(
                &placeholder,
                usize::try_from(metadata.len()).unwrap_or(usize::MAX),
            ));
        }
    }
    let bytes = std::fs::read(path).map_err(|error| {
        Diagnostic::error(Code::E0011, format!("cannot read `{name}`: {error}"))
            .with_help("check that the file exists and that you may read it")
    })?;
    match SourceFile::from_bytes(name.as_str(), &bytes) {
        Ok(file) => Ok(file),
        Err(SourceError::TooLarge { len }) => Err(vigil::syntax::too_large(
            &SourceFile::new(name.as_str(), ""),
            len,
        )),
        Err(SourceError::InvalidUtf8 { valid_up_to }) => {
            // Show the text around the bad byte, with the bad bytes replaced, so the author can
            // find it.
            let lossy =
                SourceFile::new(name.as_str(), String::from_utf8_lossy(&bytes).into_owned());
            let (line, column) = vigil::source::line_col(
                &String::from_utf8_lossy(bytes.get(..valid_up_to).unwrap_or(&[])),
                valid_up_to,
            );
            Err(Diagnostic::error(
                Code::E0005,
                format!(
                    "`{name}` is not valid UTF-8 (first bad byte at line {line}, column {column})"
                ),
            )
            .with_label(
                &lossy,
                vigil::source::Span::new(valid_up_to, valid_up_to + 1),
                "this byte is not UTF-8",
            )
            .with_help("save the file as UTF-8; policy files are text"))
        }
    }
}

/// The largest data file (CSV, JSON, screening list) Vigil reads. The full Consolidated
/// Screening List is about 10 MB; the limit leaves room for growth and refuses runaway files.
pub const MAX_DATA_BYTES: u64 = 512 * 1024 * 1024;

/// Reads the files policies name: imported policy files and data files from the file system,
/// and the data given with `--data NAME=PATH`.
#[derive(Debug, Default)]
pub struct FileLoader {
    /// Data supplied on the command line, by name.
    pub inputs: Vec<(String, PathBuf)>,
}

impl vigil::semantic::Loader for FileLoader {
    fn policy_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        let path = Path::new(path);
        if !path.is_file() {
            return Some(Err(missing(path)));
        }
        Some(read(path).map_err(|diagnostic| diagnostic.message))
    }

    fn data_file(&mut self, path: &str) -> Option<Result<SourceFile, String>> {
        Some(read_data(Path::new(path)))
    }

    fn input(&mut self, name: &str) -> Option<Result<SourceFile, String>> {
        let (_, path) = self.inputs.iter().find(|(n, _)| n == name)?;
        Some(read_data(path))
    }
}

/// Why a path named by a policy cannot be read, in words.
fn missing(path: &Path) -> String {
    if path.is_dir() {
        "it is a directory".to_string()
    } else {
        "there is no such file".to_string()
    }
}

/// Reads a data file as UTF-8 text.
pub fn read_data(path: &Path) -> Result<SourceFile, String> {
    if !path.is_file() {
        return Err(missing(path));
    }
    let metadata = std::fs::metadata(path).map_err(|error| error.to_string())?;
    if metadata.len() > MAX_DATA_BYTES {
        return Err(format!(
            "the file is larger than {} MB",
            MAX_DATA_BYTES / (1024 * 1024)
        ));
    }
    let bytes = std::fs::read(path).map_err(|error| error.to_string())?;
    let text = String::from_utf8(bytes).map_err(|error| {
        format!(
            "the file is not UTF-8 (first bad byte at offset {})",
            error.utf8_error().valid_up_to()
        )
    })?;
    Ok(SourceFile::new(path.display().to_string(), text))
}
