//! A fast hash for the small keys evaluation looks up (countries, enumeration values, ECCNs,
//! short strings): the multiply-and-rotate hash used by compilers for their symbol tables.
//!
//! It is not resistant to chosen collisions. That is fine for the sets and indexes it serves,
//! whose keys come from the policy library's own tables and constants; maps keyed by
//! transaction input use the standard library's hasher.

use std::hash::{BuildHasherDefault, Hasher};

/// The multiplier (a large odd constant with well-spread bits).
const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The hasher. See the module documentation for when to use it.
#[derive(Default, Clone, Copy, Debug)]
pub struct FxHasher(u64);

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            for (target, byte) in word.iter_mut().zip(rest) {
                *target = *byte;
            }
            self.add(u64::from_le_bytes(word));
        }
    }

    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u16(&mut self, n: u16) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }

    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Builds [`FxHasher`]s, for `HashMap::with_hasher` and `HashSet::default()`.
pub type FxBuild = BuildHasherDefault<FxHasher>;

/// A hash map with [`FxHasher`].
pub type FxHashMap<K, V> = std::collections::HashMap<K, V, FxBuild>;

/// A hash set with [`FxHasher`].
pub type FxHashSet<T> = std::collections::HashSet<T, FxBuild>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash_of(value: impl Hash) -> u64 {
        FxBuild::default().hash_one(value)
    }

    #[test]
    fn equal_keys_hash_equal_and_different_keys_mostly_differ() {
        assert_eq!(hash_of("5A001.j"), hash_of("5A001.j"));
        let hashes: std::collections::HashSet<u64> = [
            "CN",
            "FR",
            "RU",
            "5A001",
            "5A001.j",
            "5A001.a",
            "",
            "a longer string than eight",
        ]
        .iter()
        .map(hash_of)
        .collect();
        assert_eq!(hashes.len(), 8);
    }
}
