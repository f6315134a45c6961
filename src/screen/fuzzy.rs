//! Typo tolerance for screening: single-deletion keys (the "symmetric delete" method) that find
//! every vocabulary token within one edit of a query token with a few hash lookups, plus the exact
//! edit check that confirms a candidate.

use std::hash::{BuildHasherDefault, Hasher};

/// Shortest token (in characters) for which one edit is tolerated. Shorter tokens ("avic", "ooo",
/// "mtk") are mostly acronyms, where one changed letter names a different organization.
pub(crate) const MIN_FUZZY_CHARS: usize = 5;

/// A hasher for keys that are already well-mixed 64-bit hashes: it passes them through, which keeps
/// lookups cheap on the query path.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by the maps in this module; fold anything else in so that the
        // hasher stays correct if it ever is.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// Builds [`PassThroughHasher`]s for `HashMap`.
pub(crate) type PassThrough = BuildHasherDefault<PassThroughHasher>;

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv_bytes(mut state: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        state ^= u64::from(b);
        state = state.wrapping_mul(FNV_PRIME);
    }
    state
}

/// Mixes the FNV state so that both the low and the high bits (which `HashMap` uses for buckets
/// and tags) depend on every input byte.
fn finish(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h
}

/// Hashes a token.
pub(crate) fn hash_str(s: &str) -> u64 {
    finish(fnv_bytes(FNV_OFFSET, s.as_bytes()))
}

/// Hashes `s` with the bytes in `skip` left out, equal to [`hash_str`] of the shortened string,
/// without building it.
pub(crate) fn hash_without(s: &str, skip: (usize, usize)) -> u64 {
    let bytes = s.as_bytes();
    let head = bytes.get(..skip.0).unwrap_or_default();
    let tail = bytes.get(skip.1..).unwrap_or_default();
    finish(fnv_bytes(fnv_bytes(FNV_OFFSET, head), tail))
}

/// Returns the byte range of every character of `s`, the ranges whose removal gives the
/// single-deletion variants of `s`.
pub(crate) fn char_ranges(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    s.char_indices().map(|(i, c)| (i, i + c.len_utf8()))
}

/// Tells whether `s` with the bytes in `skip` left out equals `token`.
pub(crate) fn equals_without(s: &str, skip: (usize, usize), token: &str) -> bool {
    let bytes = s.as_bytes();
    let head = bytes.get(..skip.0).unwrap_or_default();
    let tail = bytes.get(skip.1..).unwrap_or_default();
    let t = token.as_bytes();
    t.len() == head.len() + tail.len()
        && t.get(..head.len()) == Some(head)
        && t.get(head.len()..) == Some(tail)
}

/// Tells whether a token may take part in a fuzzy match: long enough, and without digits, since a
/// changed digit in "plant 15" or a registration number is a different thing, not a typo.
pub(crate) fn fuzzy_eligible(token: &str) -> bool {
    token.chars().count() >= MIN_FUZZY_CHARS && !token.chars().any(|c| c.is_ascii_digit())
}

/// Tells whether `a` and `b` are exactly one Damerau-Levenshtein edit apart (one insertion,
/// deletion, substitution, or transposition of adjacent characters). Equal strings are not.
pub(crate) fn one_edit_apart(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        one_edit_slices(a.as_bytes(), b.as_bytes())
    } else {
        // Non-ASCII tokens are rare in the lists; collecting them is simpler than walking UTF-8.
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        one_edit_slices(&a, &b)
    }
}

fn one_edit_slices<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let prefix = short
        .iter()
        .zip(long.iter())
        .take_while(|(x, y)| x == y)
        .count();
    if prefix == long.len() {
        return false;
    }
    let short_rest = short.get(prefix..).unwrap_or_default();
    if short.len() < long.len() {
        // One insertion: everything after the first difference must line up shifted by one.
        return long.get(prefix + 1..) == Some(short_rest);
    }
    let long_rest = long.get(prefix..).unwrap_or_default();
    // Same length: a substitution at `prefix`, or a transposition of `prefix` and `prefix + 1`.
    let substitution = short_rest.get(1..) == long_rest.get(1..);
    let transposition = short_rest.len() >= 2
        && short_rest.first() == long_rest.get(1)
        && short_rest.get(1) == long_rest.first()
        && short_rest.get(2..) == long_rest.get(2..);
    substitution || transposition
}

/// Similarity of two tokens one edit apart: the longer the tokens, the less one edit matters, so a
/// typo in a five-letter token counts 0.9 and in a ten-letter token 0.95. It stays high because
/// one edit in a long token is nearly always the same word; what keeps a common word from
/// matching a rare neighbour ("china" and "chino") is the pair weighting in the index.
pub(crate) fn typo_similarity(a: &str, b: &str) -> f32 {
    let len = a.chars().count().max(b.chars().count()).max(1);
    1.0 - 0.5 / len as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_edit_cases() {
        assert!(one_edit_apart("huawei", "huawai"));
        assert!(one_edit_apart("huawei", "huawe"));
        assert!(one_edit_apart("huawei", "hhuawei"));
        assert!(one_edit_apart("huawei", "hauwei"));
        assert!(one_edit_apart("huawei", "huaewi"));
        assert!(!one_edit_apart("huawei", "huawei"));
        assert!(!one_edit_apart("huawei", "hauwie"));
        assert!(!one_edit_apart("abcde", "bcdef"));
        assert!(!one_edit_apart("huawei", "huaweiii"));
        assert!(one_edit_apart("müller", "muller"));
        assert!(one_edit_apart("mohammad", "mohammed"));
        assert!(!one_edit_apart("mohammad", "muhammed"));
    }

    #[test]
    fn deletion_hashes_agree_with_plain_hashes() {
        let s = "kunlun";
        for range in char_ranges(s) {
            let mut shortened = String::from(s);
            shortened.replace_range(range.0..range.1, "");
            assert_eq!(hash_without(s, range), hash_str(&shortened));
            assert!(equals_without(s, range, &shortened));
            assert!(!equals_without(s, range, s));
        }
        assert_eq!(hash_without("é1", (0, 2)), hash_str("1"));
    }

    #[test]
    fn eligibility() {
        assert!(fuzzy_eligible("kunlun"));
        assert!(!fuzzy_eligible("avic"));
        assert!(!fuzzy_eligible("plant15"));
    }

    #[test]
    fn typo_similarity_grows_with_length() {
        assert!((typo_similarity("abcde", "abcdf") - 0.9).abs() < 1e-6);
        assert!((typo_similarity("abcdefghij", "abcdefghik") - 0.95).abs() < 1e-6);
    }
}
