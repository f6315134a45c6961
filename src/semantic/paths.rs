//! File paths as the library sees them: plain strings joined and normalised without touching
//! the file system, so that `policies/bis/../schema.vigil` and `policies/schema.vigil` name the
//! same file.

/// Normalises a path: `.` parts and empty parts are dropped, `a/..` cancels, and backslashes
/// count as separators. A leading `/` is kept; leading `..` parts that cannot cancel are kept.
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// The directory part of a file's path: `policies/bis` for `policies/bis/x.vigil`, empty for a
/// bare file name.
pub fn directory(path: &str) -> &str {
    match path.rfind(['/', '\\']) {
        Some(index) => path.get(..index).unwrap_or(""),
        None => "",
    }
}

/// The path of `relative`, written in a file whose own path is `from`. An absolute `relative`
/// stands as it is.
pub fn resolve(from: &str, relative: &str) -> String {
    if relative.starts_with('/') {
        return normalize(relative);
    }
    let base = directory(from);
    if base.is_empty() {
        normalize(relative)
    } else {
        normalize(&format!("{base}/{relative}"))
    }
}

/// The relative path that leads from the file `from` to the file `to`, as an `import` in `from`
/// would write it. Both are normalised first.
pub fn relative(from: &str, to: &str) -> String {
    let from = normalize(from);
    let to = normalize(to);
    let from_dir: Vec<&str> = directory(&from)
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let to_parts: Vec<&str> = to.split('/').filter(|p| !p.is_empty()).collect();
    let shared = from_dir
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<&str> = vec![".."; from_dir.len() - shared];
    parts.extend(to_parts.iter().skip(shared));
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(
            normalize("policies/bis/../schema.vigil"),
            "policies/schema.vigil"
        );
        assert_eq!(normalize("./policies//x.vigil"), "policies/x.vigil");
        assert_eq!(normalize("../a/./b"), "../a/b");
        assert_eq!(normalize("/a/../../b"), "/b");
        assert_eq!(normalize("a\\b"), "a/b");
    }

    #[test]
    fn resolves_relative_to_the_importing_file() {
        assert_eq!(
            resolve("policies/bis/crime_control.vigil", "../schema.vigil"),
            "policies/schema.vigil"
        );
        assert_eq!(resolve("x.vigil", "schema.vigil"), "schema.vigil");
        assert_eq!(resolve("a/x.vigil", "/abs/s.vigil"), "/abs/s.vigil");
    }

    #[test]
    fn finds_the_relative_path_between_files() {
        assert_eq!(
            relative("policies/bis/crime_control.vigil", "policies/schema.vigil"),
            "../schema.vigil"
        );
        assert_eq!(
            relative("policies/schema.vigil", "policies/bis/x.vigil"),
            "bis/x.vigil"
        );
        assert_eq!(relative("a.vigil", "b.vigil"), "b.vigil");
    }
}
