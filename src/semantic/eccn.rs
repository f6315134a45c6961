//! Export Control Classification Numbers, parsed once into their segments so that "is this ECCN
//! within that one" is a comparison of small arrays.
//!
//! An ECCN is a category digit, a product group letter and a three-digit number (`5A001`),
//! optionally followed by paragraphs separated by dots (`5A001.j`, `5A002.a.1`). `EAR99` stands
//! for items subject to the EAR but on no ECCN. The hierarchy is the paragraph structure:
//! `5A001.j` lies within `5A001`.

use std::fmt;
use std::hash::{Hash, Hasher};

use super::value::Truth;

/// The deepest paragraph structure accepted (`3A001.b.2.c.1` has four paragraphs).
pub const MAX_PARAGRAPHS: usize = 8;
/// The longest paragraph segment accepted (`ii`, `10`, `xiii`).
pub const MAX_SEGMENT: usize = 4;

/// A parsed ECCN, or `EAR99`. It is `Copy` and holds no heap memory. Paragraphs beyond
/// `depth` are always zero, so equal ECCNs have equal bytes.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Eccn {
    /// `5A001` or `EAR99`.
    head: [u8; 5],
    /// How many paragraphs follow the head.
    depth: u8,
    /// The paragraph segments, each padded with zero bytes.
    paragraphs: [[u8; MAX_SEGMENT]; MAX_PARAGRAPHS],
}

/// Hashes the head and depth as one word and then only the paragraphs given: evaluation looks
/// ECCNs up in sets and indexes several times per item, and the derived hash wrote ten
/// separate pieces. Consistent with `Eq`, because paragraphs beyond `depth` are zero.
impl Hash for Eccn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let [a, b, c, d, e] = self.head;
        state.write_u64(u64::from_le_bytes([a, b, c, d, e, self.depth, 0, 0]));
        for segment in self.paragraphs.iter().take(usize::from(self.depth)) {
            state.write_u32(u32::from_le_bytes(*segment));
        }
    }
}

/// Why a string is not an ECCN, in words for a diagnostic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EccnError {
    /// The first five characters are not a category digit, a group letter and three digits.
    Head,
    /// A paragraph is empty, too long or holds something other than lower-case letters and digits.
    Paragraph,
    /// More paragraphs than any ECCN has.
    TooDeep,
}

impl EccnError {
    /// What is wrong, as a sentence fragment.
    pub fn describe(self) -> &'static str {
        match self {
            EccnError::Head => "an ECCN is a category digit, a group letter A to E and three digits, such as `5A001`, or else `EAR99`",
            EccnError::Paragraph => "paragraphs are lower-case letters or digits separated by dots, such as `5A001.j` or `5A002.a.1`",
            EccnError::TooDeep => "no ECCN has that many paragraphs",
        }
    }
}

impl Eccn {
    /// Parses `EAR99`, `5A001`, `5A001.j`, `5A002.a.1`.
    pub fn parse(text: &str) -> Result<Eccn, EccnError> {
        let bytes = text.as_bytes();
        let head: [u8; 5] = bytes
            .get(..5)
            .and_then(|h| h.try_into().ok())
            .ok_or(EccnError::Head)?;
        let rest = bytes.get(5..).unwrap_or(&[]);
        let mut eccn = Eccn {
            head,
            depth: 0,
            paragraphs: [[0; MAX_SEGMENT]; MAX_PARAGRAPHS],
        };
        if &head == b"EAR99" {
            return if rest.is_empty() {
                Ok(eccn)
            } else {
                Err(EccnError::Paragraph)
            };
        }
        let [category, group, d1, d2, d3] = head;
        // Group `Y` holds the temporary 0Y521 series; the others are the five product groups.
        let group_ok = matches!(group, b'A'..=b'E' | b'Y');
        if !(category.is_ascii_digit()
            && group_ok
            && d1.is_ascii_digit()
            && d2.is_ascii_digit()
            && d3.is_ascii_digit())
        {
            return Err(EccnError::Head);
        }
        if rest.is_empty() {
            return Ok(eccn);
        }
        let Some(paragraphs) = rest.strip_prefix(b".") else {
            return Err(EccnError::Paragraph);
        };
        for segment in paragraphs.split(|&b| b == b'.') {
            if segment.is_empty()
                || segment.len() > MAX_SEGMENT
                || !segment
                    .iter()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            {
                return Err(EccnError::Paragraph);
            }
            let slot = eccn
                .paragraphs
                .get_mut(usize::from(eccn.depth))
                .ok_or(EccnError::TooDeep)?;
            for (to, from) in slot.iter_mut().zip(segment) {
                *to = *from;
            }
            eccn.depth += 1;
        }
        Ok(eccn)
    }

    /// Whether this is `EAR99`.
    pub fn is_ear99(&self) -> bool {
        &self.head == b"EAR99"
    }

    /// The category digit (0 to 9), or `None` for `EAR99`.
    pub fn category(&self) -> Option<u8> {
        (!self.is_ear99()).then(|| self.head[0] - b'0')
    }

    /// The product group letter (`A` to `E`), or `None` for `EAR99`.
    pub fn group(&self) -> Option<char> {
        (!self.is_ear99()).then(|| char::from(self.head[1]))
    }

    /// The three-digit number (`001`, `992`), or `None` for `EAR99`.
    pub fn number(&self) -> Option<u16> {
        if self.is_ear99() {
            return None;
        }
        let [_, _, a, b, c] = self.head;
        Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
    }

    /// How many paragraphs are given: 0 for `5A001`, 1 for `5A001.j`.
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    /// The paragraph segments, outermost first.
    pub fn paragraphs(&self) -> impl Iterator<Item = &str> {
        self.paragraphs.iter().take(self.depth()).map(|segment| {
            let len = segment.iter().position(|&b| b == 0).unwrap_or(MAX_SEGMENT);
            std::str::from_utf8(segment.get(..len).unwrap_or(&[])).unwrap_or("")
        })
    }

    /// The five characters before the paragraphs (`5A001`, `EAR99`) as one number: every ECCN
    /// within another has the same.
    pub fn head_key(&self) -> u64 {
        let [a, b, c, d, e] = self.head;
        u64::from_le_bytes([a, b, c, d, e, 0, 0, 0])
    }

    /// The same ECCN cut to at most `depth` paragraphs: `5A002.a.1` cut to 1 is `5A002.a`.
    pub fn truncated(&self, depth: usize) -> Eccn {
        let mut cut = *self;
        let keep = depth.min(self.depth());
        for segment in cut.paragraphs.iter_mut().skip(keep) {
            *segment = [0; MAX_SEGMENT];
        }
        cut.depth = u8::try_from(keep).unwrap_or(0);
        cut
    }

    /// Whether this ECCN lies within `scope` in the Control List hierarchy.
    ///
    /// `5A001.j` is within `5A001` (true); `5A001` within `5A001.j` is unknown, because the
    /// paragraph that would decide it was not given; `5A001.j` within `5A002` is false.
    pub fn within(&self, scope: &Eccn) -> Truth {
        if self.head != scope.head {
            return Truth::False;
        }
        let shared = self.depth().min(scope.depth());
        if self.paragraphs.get(..shared) != scope.paragraphs.get(..shared) {
            return Truth::False;
        }
        if self.depth() >= scope.depth() {
            Truth::True
        } else {
            Truth::Unknown
        }
    }
}

impl Eccn {
    /// The ECCN as written (`5A002.a.1`, as `Display` writes it) in pieces — `5A002`, `.`,
    /// `a`, `.`, `1` — to append without the formatting machinery: `because` sentences and
    /// records quote ECCNs for every fired rule. No piece needs escaping in JSON.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        std::iter::once(std::str::from_utf8(&self.head).unwrap_or("?????"))
            .chain(self.paragraphs().flat_map(|paragraph| [".", paragraph]))
    }
}

impl fmt::Display for Eccn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.head).unwrap_or("?????"))?;
        for paragraph in self.paragraphs() {
            write!(f, ".{paragraph}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Eccn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Eccn({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eccn(text: &str) -> Eccn {
        Eccn::parse(text).unwrap()
    }

    #[test]
    fn its_pieces_are_what_it_displays() {
        for text in ["EAR99", "5A001", "5A002.a", "5A002.a.1", "0A502.c.2.b.1"] {
            let pieces: String = eccn(text).pieces().collect();
            assert_eq!(pieces, eccn(text).to_string());
        }
    }

    #[test]
    fn parses_and_prints_round_trip() {
        for text in [
            "EAR99",
            "5A001",
            "5A001.j",
            "5A002.a.1",
            "0Y521",
            "3A001.b.2.c.1",
            "9A610.x",
        ] {
            assert_eq!(eccn(text).to_string(), text);
        }
        let e = eccn("5A002.a.1");
        assert_eq!(
            (e.category(), e.group(), e.number(), e.depth()),
            (Some(5), Some('A'), Some(2), 2)
        );
        assert_eq!(e.paragraphs().collect::<Vec<_>>(), ["a", "1"]);
    }

    #[test]
    fn rejects_what_is_not_an_eccn() {
        assert_eq!(Eccn::parse("5A01"), Err(EccnError::Head));
        assert_eq!(Eccn::parse("5F001"), Err(EccnError::Head));
        assert_eq!(Eccn::parse("5a001"), Err(EccnError::Head));
        assert_eq!(Eccn::parse("5A001."), Err(EccnError::Paragraph));
        assert_eq!(Eccn::parse("5A001.J"), Err(EccnError::Paragraph));
        assert_eq!(Eccn::parse("5A001j"), Err(EccnError::Paragraph));
        assert_eq!(Eccn::parse("EAR99.a"), Err(EccnError::Paragraph));
        assert_eq!(
            Eccn::parse("5A001.a.b.c.d.e.f.g.h.i"),
            Err(EccnError::TooDeep)
        );
        assert_eq!(Eccn::parse("5A001.abcde"), Err(EccnError::Paragraph));
    }

    #[test]
    fn a_set_answers_within_as_its_entries_do() {
        let keys = [
            "5A001",
            "5A001.j",
            "5A001.j.1",
            "5A001.f",
            "5A002",
            "5A002.a",
            "5A002.a.1",
            "EAR99",
            "0A502",
            "0A502.c",
            "3A001.a",
            "3A001",
            "6A003.b.4",
            "9A001",
        ];
        let few = ["5A001.j", "5A002", "0A502.c"];
        let many = [
            "5A001.j",
            "5A002",
            "0A502.c",
            "1A004.c",
            "1A004.d",
            "1A995",
            "2A983",
            "3A001.a.1",
            "4A003",
            "4D001",
            "4E001",
            "6A002.c",
            "6A003.b",
        ];
        for entries in [&few[..], &many[..]] {
            let mut set = crate::semantic::ir::EccnSet::default();
            for entry in entries {
                set.insert(eccn(entry));
            }
            for key in keys {
                let expected =
                    Truth::any(entries.iter().map(|entry| eccn(key).within(&eccn(entry))));
                assert_eq!(set.within(&eccn(key)), expected, "{key} within {entries:?}");
            }
        }
    }

    #[test]
    fn within_follows_the_hierarchy() {
        assert_eq!(eccn("5A001.j").within(&eccn("5A001")), Truth::True);
        assert_eq!(eccn("5A001").within(&eccn("5A001")), Truth::True);
        assert_eq!(eccn("5A001").within(&eccn("5A001.j")), Truth::Unknown);
        assert_eq!(eccn("5A001.j").within(&eccn("5A002")), Truth::False);
        assert_eq!(eccn("5A001.j").within(&eccn("5A001.f")), Truth::False);
        assert_eq!(eccn("5A001.j.1").within(&eccn("5A001.f")), Truth::False);
        assert_eq!(eccn("EAR99").within(&eccn("5A001")), Truth::False);
        assert_eq!(eccn("5A002.a.1").truncated(1), eccn("5A002.a"));
    }
}
