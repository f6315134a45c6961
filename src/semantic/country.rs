//! Country codes: ISO 3166-1 alpha-2, validated against the standard's list when a policy is
//! compiled and when a transaction is read.

use std::fmt;

/// A country of ISO 3166-1, by its alpha-2 code, stored as two ASCII capitals so that
/// comparisons, hashing and set membership are integer operations.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

/// Every officially assigned ISO 3166-1 alpha-2 code, plus `XK` (Kosovo): a user-assigned code
/// that the Commerce Country Chart, the European Commission and most trade systems use, so a
/// policy that writes `"XK"` means a real destination.
pub const CODES: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "XK", "YE", "YT", "ZA", "ZM", "ZW",
];

/// The position of a two-letter code in a 26 × 26 grid, or `None` for anything but two capitals.
const fn grid_index(bytes: [u8; 2]) -> Option<usize> {
    let [a, b] = bytes;
    if a.is_ascii_uppercase() && b.is_ascii_uppercase() {
        Some((a - b'A') as usize * 26 + (b - b'A') as usize)
    } else {
        None
    }
}

/// One bit per cell of the 26 × 26 grid of two-letter codes: set when the code is assigned.
/// Built at compile time so that validating a code is a shift and a mask.
#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation: an out-of-range index fails the build, never a run"
)]
const ASSIGNED: [u64; 11] = {
    let mut bits = [0u64; 11];
    let mut i = 0;
    while i < CODES.len() {
        let code = CODES[i].as_bytes();
        let index = (code[0] - b'A') as usize * 26 + (code[1] - b'A') as usize;
        bits[index / 64] |= 1 << (index % 64);
        i += 1;
    }
    bits
};

impl Country {
    /// The country for an assigned alpha-2 code, or `None`. Codes are upper case, as the
    /// standard writes them: `"cn"` is not accepted, so that a lower-case typo is reported.
    pub fn parse(text: &str) -> Option<Country> {
        let bytes: [u8; 2] = text.as_bytes().try_into().ok()?;
        let index = grid_index(bytes)?;
        let word = ASSIGNED.get(index / 64)?;
        (word & (1 << (index % 64)) != 0).then_some(Country(bytes))
    }

    /// The two ASCII capitals of the code.
    pub fn bytes(self) -> [u8; 2] {
        self.0
    }

    /// The code as text, `"CN"`.
    pub fn as_str(&self) -> &str {
        // The bytes are two ASCII capitals by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The position of the code in the 26 × 26 grid, for dense sets of countries.
    pub fn index(self) -> usize {
        grid_index(self.0).unwrap_or(0)
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.as_str())
    }
}

/// A set of countries as a bitmap of the 676 two-letter codes: membership is one load and a
/// mask, whatever the size of the set.
#[derive(Clone, Default, PartialEq, Eq, Hash, Debug)]
pub struct CountrySet([u64; 11]);

impl CountrySet {
    /// Adds a country.
    pub fn insert(&mut self, country: Country) {
        let index = country.index();
        if let Some(word) = self.0.get_mut(index / 64) {
            *word |= 1 << (index % 64);
        }
    }

    /// Whether the set holds the country.
    pub fn contains(&self, country: Country) -> bool {
        let index = country.index();
        self.0
            .get(index / 64)
            .is_some_and(|word| word & (1 << (index % 64)) != 0)
    }

    /// How many countries the set holds.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted_complete_and_unique() {
        // 249 officially assigned codes, plus Kosovo.
        assert_eq!(CODES.len(), 250);
        assert!(CODES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn parses_assigned_codes_only() {
        assert_eq!(Country::parse("CN").unwrap().as_str(), "CN");
        assert!(Country::parse("XK").is_some());
        for bad in ["XX", "cn", "C", "CHN", "", "ÇN", "UK", "EU"] {
            assert!(Country::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn sets_hold_what_was_inserted() {
        let mut set = CountrySet::default();
        set.insert(Country::parse("ZW").unwrap());
        set.insert(Country::parse("AD").unwrap());
        assert!(set.contains(Country::parse("ZW").unwrap()));
        assert!(!set.contains(Country::parse("CN").unwrap()));
        assert_eq!(set.len(), 2);
    }
}
