//! The shipped policy library, embedded in the binary at build time by `build.rs`.

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/library.rs"));
}

/// Every file of the shipped library, as (path relative to the repository, contents): the
/// `.vigil` policy files and the data files they load.
pub fn files() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

/// The contents of one embedded file, by its path relative to the repository
/// (`policies/bis/ccl.vigil`).
pub fn file(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .iter()
        .find(|(name, _)| *name == path)
        .map(|(_, bytes)| *bytes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_library_is_embedded() {
        assert!(super::files()
            .iter()
            .any(|(path, _)| *path == "policies/schema.vigil"));
        assert!(super::file("policies/schema.vigil").is_some_and(|b| !b.is_empty()));
    }
}
