//! Following `import`s: every file a policy imports is found among the files given, or asked of
//! the [`Loader`], parsed, and checked with the rest.

use std::collections::HashMap;

use super::paths;
use super::Loader;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::SourceFile;
use crate::suggest;
use crate::syntax::{self, ast};

/// The files of a program and which file each import names.
#[derive(Debug, Default)]
pub struct FileSet {
    /// Every policy file with its syntax tree: those given first, then those loaded for imports.
    pub files: Vec<(SourceFile, ast::File)>,
    /// For each file (by position), the positions of the files it imports, in import order.
    pub imports: Vec<Vec<usize>>,
}

/// Finds the file every import names, loading and parsing files that were not given. Returns
/// the complete set and a diagnostic for every import that cannot be satisfied, plus the syntax
/// diagnostics of the files loaded.
pub fn follow(
    files: Vec<(SourceFile, ast::File)>,
    loader: &mut dyn Loader,
) -> (FileSet, Vec<Diagnostic>) {
    let mut set = FileSet {
        files,
        imports: Vec::new(),
    };
    let mut diagnostics = Vec::new();
    let mut by_path: HashMap<String, usize> = HashMap::new();
    for (index, (file, _)) in set.files.iter().enumerate() {
        by_path.entry(paths::normalize(&file.name)).or_insert(index);
    }
    let mut index = 0;
    while index < set.files.len() {
        let Some((file, ast)) = set.files.get(index) else {
            break;
        };
        let file = file.clone();
        let imports: Vec<ast::Import> = ast
            .items
            .iter()
            .filter_map(|item| {
                if let ast::Item::Import(import) = item {
                    Some(import.clone())
                } else {
                    None
                }
            })
            .collect();
        let mut targets = Vec::new();
        for import in imports {
            let path = paths::resolve(&file.name, &import.path.node);
            if let Some(&target) = by_path.get(&path) {
                if target == index {
                    diagnostics.push(
                        Diagnostic::error(Code::E0104, format!("`{}` imports itself", file.name))
                            .with_label(&file, import.path.span, "this is the file's own path")
                            .with_help("remove the import: a file's own declarations are always visible in it"),
                    );
                } else {
                    targets.push(target);
                }
                continue;
            }
            match loader.policy_file(&path) {
                Some(Ok(loaded)) => {
                    let (tree, syntax_diagnostics) = syntax::parse(&loaded);
                    diagnostics.extend(syntax_diagnostics);
                    let target = set.files.len();
                    set.files.push((loaded, tree));
                    by_path.insert(path, target);
                    targets.push(target);
                }
                Some(Err(reason)) => diagnostics.push(
                    Diagnostic::error(Code::E0104, format!("cannot read imported file `{path}`: {reason}"))
                        .with_label(&file, import.path.span, "imported here")
                        .with_help("the path is relative to the importing file; check that the file exists and is readable"),
                ),
                None => {
                    let known: Vec<String> = by_path.keys().map(|known| paths::relative(&file.name, known)).collect();
                    let mut diagnostic = Diagnostic::error(Code::E0104, format!("imported file `{path}` is not among the files checked"))
                        .with_label(&file, import.path.span, "no file at this path");
                    diagnostic = match suggest::closest(&import.path.node, known.iter().map(String::as_str)) {
                        Some(close) => diagnostic.with_help(format!("did you mean `\"{close}\"`?")),
                        None => diagnostic.with_help("the path is relative to the importing file; give the imported file too, or check the path"),
                    };
                    diagnostics.push(diagnostic);
                }
            }
        }
        set.imports.push(targets);
        index += 1;
    }
    (set, diagnostics)
}
