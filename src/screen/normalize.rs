//! Name normalization for screening: folds case and diacritics, splits a name into tokens and drops
//! legal-form words and stopwords, so that spelling conventions do not decide whether names match.

use std::sync::OnceLock;

use crate::hash::FxHashMap;

use unicode_normalization::char::is_combining_mark;

use super::fuzzy::one_edit_apart;
use unicode_normalization::UnicodeNormalization;

/// Legal-form phrases removed wherever they occur, longest first so that e.g. "joint stock company"
/// is taken as one unit before "company" alone is considered. Single words are listed too: a phrase
/// is simply a sequence of tokens after folding.
///
/// Words such as "public", "open", "joint" or "stock" are only legal forms inside these phrases, so
/// they are listed only as parts of phrases: "Public Security Bureau" must keep its "public".
const LEGAL_PHRASES: &[&[&str]] = &[
    // Russian transliterations of LLC and (public, open, closed) joint-stock company.
    &["obshchestvo", "s", "ogranichennoi", "otvetstvennostyu"],
    &["obshchestvo", "s", "ogranichennoy", "otvetstvennostyu"],
    &["obshchestvo", "s", "organichennoi", "otvetstvennostyu"],
    &["obshestvo", "s", "ogranichennoi", "otvetstvennostyu"],
    &["obschestvo", "s", "ogranichennoi", "otvetstvennostyu"],
    &["tovarystvo", "z", "obmezhenoyu", "vidpovidalnistyu"],
    &["publichnoe", "aktsionernoe", "obshchestvo"],
    &["nepublichnoe", "aktsionernoe", "obshchestvo"],
    &["otkrytoe", "aktsionernoe", "obshchestvo"],
    &["zakrytoe", "aktsionernoe", "obshchestvo"],
    &["publichnoe", "aktsionernoe", "obschestvo"],
    &["aktsionernoe", "obshchestvo"],
    &["aktsionernoe", "obschestvo"],
    &["publichne", "aktsionerne", "tovarystvo"],
    &["aktsionerne", "tovarystvo"],
    // English long forms.
    &["public", "joint", "stock", "company"],
    &["open", "joint", "stock", "company"],
    &["closed", "joint", "stock", "company"],
    &["private", "joint", "stock", "company"],
    &["joint", "stock", "company"],
    &["public", "joint", "stock"],
    &["open", "joint", "stock"],
    &["closed", "joint", "stock"],
    &["joint", "stock"],
    &["limited", "liability", "company"],
    &["limited", "liability", "partnership"],
    &["limited", "liability"],
    &["public", "limited", "company"],
    &["public", "company", "limited"],
    &["private", "limited"],
    &["free", "zone", "establishment"],
    &["free", "zone", "company"],
    // Turkish, Spanish/Portuguese, French and other continental forms.
    &["anonim", "sirketi"],
    &["limited", "sirketi"],
    &["ltd", "sti"],
    &["sirketi"],
    &["sociedad", "anonima"],
    &["societe", "anonyme"],
    &["sociedad", "anonima", "de", "capital", "variable"],
    &["s", "de", "rl", "de", "cv"],
    &["s", "de", "rl"],
    &["sa", "de", "cv"],
    &["sapi", "de", "cv"],
    &["sab", "de", "cv"],
    &["de", "rl", "de", "cv"],
    &["sdn", "bhd"],
    &["zartkoruen", "mukodo", "reszvenytarsasag"],
    // Pinyin for "company limited" in romanized Chinese names.
    &["gufen", "youxian", "gongsi"],
    &["youxian", "zeren", "gongsi"],
    &["youxian", "gongsi"],
    // Single legal-form words.
    &["ltd"],
    &["limited"],
    &["co"],
    &["company"],
    &["corp"],
    &["corporation"],
    &["inc"],
    &["incorporated"],
    &["llc"],
    &["llp"],
    &["plc"],
    &["pte"],
    &["pvt"],
    &["pty"],
    &["gmbh"],
    &["mbh"],
    &["ag"],
    &["kg"],
    &["sa"],
    &["sas"],
    &["sasu"],
    &["sac"],
    &["sarl"],
    &["sprl"],
    &["srl"],
    &["sl"],
    &["sal"],
    &["ltda"],
    &["limitada"],
    &["cv"],
    &["bv"],
    &["nv"],
    &["ab"],
    &["oy"],
    &["as"],
    &["zrt"],
    &["kft"],
    &["nyrt"],
    &["ad"],
    &["ead"],
    &["ood"],
    &["eood"],
    &["doo"],
    &["ou"],
    &["osoo"],
    &["pjs"],
    &["jsc"],
    &["ojsc"],
    &["cjsc"],
    &["pjsc"],
    &["ooo"],
    &["oao"],
    &["zao"],
    &["pao"],
    &["ao"],
    &["tov"],
    &["fze"],
    &["fzco"],
    &["fzc"],
    &["fz"],
    &["fzllc"],
    &["wll"],
    &["kk"],
];

/// Long legal-form words that are also dropped when misspelled by one letter ("Compnay",
/// "Limted"): left in, a misspelled legal form would count as the rarest word of the name.
const LONG_LEGAL_WORDS: &[&str] = &[
    "company",
    "limited",
    "corporation",
    "incorporated",
    "limitada",
    "sirketi",
];

/// Words that carry no identity in a name: articles, conjunctions and prepositions in the languages
/// the CSL mostly uses. They are dropped so that "Bank of Kunlun" and "Kunlun Bank" compare equal.
fn is_stopword(token: &str) -> bool {
    matches!(
        token,
        "of" | "the"
            | "and"
            | "for"
            | "in"
            | "on"
            | "at"
            | "de"
            | "del"
            | "la"
            | "le"
            | "les"
            | "des"
            | "du"
            | "da"
            | "di"
            | "y"
            | "et"
            | "und"
    )
}

/// Reusable buffers for tokenizing one name; kept by the caller so the query path does not allocate.
#[derive(Debug, Default)]
pub(crate) struct Tokenizer {
    /// The folded text, with separators collapsed to single spaces and dots kept.
    folded: String,
    /// The token text, tokens separated by single spaces.
    pub(crate) text: String,
    /// Byte ranges of every token in `text` before legal forms and stopwords are dropped.
    raw: Vec<(usize, usize)>,
    /// Byte ranges in `text` of the tokens that survive normalization, in name order.
    pub(crate) kept: Vec<(usize, usize)>,
}

impl Tokenizer {
    /// Tokenizes `name`; afterwards `kept` holds the normalized tokens as ranges into `text`.
    pub(crate) fn tokenize(&mut self, name: &str) {
        self.fold(name);
        self.split();
        self.drop_noise();
    }

    /// Iterates over the kept tokens as string slices.
    pub(crate) fn tokens(&self) -> impl Iterator<Item = &str> + '_ {
        self.kept
            .iter()
            .filter_map(move |&(start, end)| self.text.get(start..end))
    }

    /// Lowercases, strips diacritics and turns punctuation into separators. Apostrophes join the
    /// letters around them ("O'Brien" becomes "obrien") because transliterations often drop them;
    /// dots are kept for [`Tokenizer::split`] to tell acronyms ("S.A.") from separators ("Co.Ltd").
    fn fold(&mut self, name: &str) {
        self.folded.clear();
        let mut last_space = true;
        if name.is_ascii() {
            // Most names are ASCII, which decomposition leaves as it is: fold byte by byte, as
            // `fold_char` would.
            for byte in name.bytes() {
                let byte = byte.to_ascii_lowercase();
                if byte.is_ascii_alphanumeric() || byte == b'.' {
                    self.folded.push(char::from(byte));
                    last_space = false;
                } else if byte != b'\'' && byte != b'`' && !last_space {
                    self.folded.push(' ');
                    last_space = true;
                }
            }
            return;
        }
        for decomposed in name.nfkd() {
            if is_combining_mark(decomposed) {
                continue;
            }
            for c in decomposed.to_lowercase() {
                self.fold_char(c, &mut last_space);
            }
        }
    }

    /// Appends one lower-case, decomposed character to the folded text.
    fn fold_char(&mut self, c: char, last_space: &mut bool) {
        match c {
            '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{02bc}' | '\u{00b4}' => {}
            '.' => {
                self.folded.push('.');
                *last_space = false;
            }
            'ß' => self.push_str("ss", last_space),
            'æ' => self.push_str("ae", last_space),
            'œ' => self.push_str("oe", last_space),
            'þ' => self.push_str("th", last_space),
            'ø' => self.push_str("o", last_space),
            'đ' | 'ð' => self.push_str("d", last_space),
            'ł' => self.push_str("l", last_space),
            'ı' => self.push_str("i", last_space),
            c if c.is_alphanumeric() => {
                self.folded.push(c);
                *last_space = false;
            }
            _ => {
                if !*last_space {
                    self.folded.push(' ');
                    *last_space = true;
                }
            }
        }
    }

    fn push_str(&mut self, s: &str, last_space: &mut bool) {
        self.folded.push_str(s);
        *last_space = false;
    }

    /// Splits the folded text into tokens. A space-separated chunk whose dot-separated parts are
    /// all single characters is an acronym and becomes one token ("s.a." becomes "sa", "j.s.c."
    /// becomes "jsc"); otherwise dots separate tokens ("pte.ltd" becomes "pte" and "ltd").
    fn split(&mut self) {
        let Self {
            folded, text, raw, ..
        } = self;
        text.clear();
        raw.clear();
        for chunk in folded.split(' ') {
            if !chunk.contains('.') {
                // The common case: one word.
                if !chunk.is_empty() {
                    let start = begin_token(text);
                    text.push_str(chunk);
                    raw.push((start, text.len()));
                }
                continue;
            }
            let parts = chunk.split('.').filter(|p| !p.is_empty());
            let acronym = chunk.contains('.')
                && parts.clone().count() > 1
                && parts.clone().all(|p| p.chars().nth(1).is_none());
            if acronym {
                let start = begin_token(text);
                parts.for_each(|part| text.push_str(part));
                raw.push((start, text.len()));
            } else {
                for part in parts {
                    let start = begin_token(text);
                    text.push_str(part);
                    raw.push((start, text.len()));
                }
            }
        }
    }

    /// Drops legal-form phrases and stopwords. A name made only of such words ("Trading Company"
    /// is not, but "Company Limited" is) keeps its tokens, so that it can still be matched exactly.
    fn drop_noise(&mut self) {
        self.kept.clear();
        let mut i = 0;
        while let Some(&(start, end)) = self.raw.get(i) {
            let token = self.text.get(start..end).unwrap_or_default();
            if let Some(len) = self.legal_phrase_at(i) {
                i += len;
                continue;
            }
            let misspelled_legal = token.len() >= 6 && {
                let ascii = token.is_ascii();
                LONG_LEGAL_WORDS.iter().any(|w| {
                    (!ascii || may_be_one_edit_apart(token.as_bytes(), w.as_bytes()))
                        && one_edit_apart(token, w)
                })
            };
            if !is_stopword(token) && !misspelled_legal {
                self.kept.push((start, end));
            }
            i += 1;
        }
        if self.kept.is_empty() {
            self.kept.extend_from_slice(&self.raw);
        }
    }

    /// Returns the length in tokens of the longest legal-form phrase starting at token `i`.
    fn legal_phrase_at(&self, i: usize) -> Option<usize> {
        let first = self.raw_token(i)?;
        legal_phrases_by_first_word()
            .get(first)?
            .iter()
            .filter(|phrase| {
                phrase
                    .iter()
                    .enumerate()
                    .skip(1)
                    .all(|(k, word)| self.raw_token(i + k) == Some(word))
            })
            .map(|phrase| phrase.len())
            .max()
    }

    fn raw_token(&self, i: usize) -> Option<&str> {
        let &(start, end) = self.raw.get(i)?;
        self.text.get(start..end)
    }
}

/// [`LEGAL_PHRASES`] by their first word, built once: every token of every name screened asks
/// whether a phrase starts there, and most tokens start none.
fn legal_phrases_by_first_word() -> &'static FxHashMap<&'static str, Vec<&'static [&'static str]>> {
    static BY_FIRST_WORD: OnceLock<FxHashMap<&'static str, Vec<&'static [&'static str]>>> =
        OnceLock::new();
    BY_FIRST_WORD.get_or_init(|| {
        let mut map: FxHashMap<&'static str, Vec<&'static [&'static str]>> = FxHashMap::default();
        for phrase in LEGAL_PHRASES {
            if let Some(first) = phrase.first() {
                map.entry(first).or_default().push(phrase);
            }
        }
        map
    })
}

/// A quick necessary condition for two ASCII words to be one edit apart: their lengths differ by
/// at most one, and unless the edit is at the first letter (then the first letters are equal),
/// the second letter of one is a letter of the other's first two.
fn may_be_one_edit_apart(a: &[u8], b: &[u8]) -> bool {
    let (Some(&a0), Some(&a1), Some(&b0), Some(&b1)) = (a.first(), a.get(1), b.first(), b.get(1))
    else {
        return true;
    };
    a.len().abs_diff(b.len()) <= 1 && (a0 == b0 || a1 == b1 || a1 == b0 || a0 == b1)
}

/// Starts a new token in `text`, separating it from the previous one, and returns its start.
fn begin_token(text: &mut String) -> usize {
    if !text.is_empty() {
        text.push(' ');
    }
    text.len()
}

/// Returns the normalized form of a name: lowercase, without diacritics, punctuation, legal-form
/// words or stopwords, tokens in their original order separated by single spaces.
///
/// This is the form the screening index compares (as a set of tokens), so it is what an
/// explanation of a match should show.
pub fn normalize_name(name: &str) -> String {
    let mut tokenizer = Tokenizer::default();
    tokenizer.tokenize(name);
    let mut out = String::with_capacity(tokenizer.text.len());
    for token in tokenizer.tokens() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(token);
    }
    out
}

/// Removes parenthesized parts of a name ("Huawei Technologies (Shanghai) Co" becomes "Huawei
/// Technologies  Co"), or returns `None` when there are none. Parentheses in listed names mostly
/// hold places or acronyms, which parties often leave out.
pub(crate) fn without_parentheses(name: &str) -> Option<String> {
    if !name.contains('(') {
        return None;
    }
    let mut out = String::with_capacity(name.len());
    let mut depth = 0usize;
    for c in name.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_diacritics_and_punctuation() {
        assert_eq!(
            normalize_name("Müller-Lüdenscheid GmbH"),
            "muller ludenscheid"
        );
        assert_eq!(normalize_name("ÉLECTRONIQUE  S.A.S."), "electronique");
        assert_eq!(normalize_name("O'Brien & Sons, Inc."), "obrien sons");
        assert_eq!(normalize_name("Straße Æther Łódź"), "strasse aether lodz");
    }

    #[test]
    fn drops_legal_forms_anywhere() {
        assert_eq!(normalize_name("CHINA TELECOM CO., LTD"), "china telecom");
        assert_eq!(
            normalize_name("Computer Focus Services Pte. Ltd."),
            "computer focus services"
        );
        assert_eq!(normalize_name("Pte.Ltd Acme"), "acme");
        assert_eq!(
            normalize_name("Joint-Stock Company Concern Almaz-Antey"),
            "concern almaz antey"
        );
        assert_eq!(
            normalize_name("Obshchestvo S Ogranichennoi Otvetstvennostyu Avia Grupp"),
            "avia grupp"
        );
        assert_eq!(normalize_name("CIENTEC, S.A. DE C.V."), "cientec");
        assert_eq!(
            normalize_name("G Y R ARQUITECTOS, S. DE R.L. DE C.V."),
            "g r arquitectos"
        );
        assert_eq!(
            normalize_name("Kimia Part Sivan Compnay"),
            "kimia part sivan"
        );
        assert_eq!(
            normalize_name("Megasan Elektronik Ticaret Ve Sanayi A.S."),
            "megasan elektronik ticaret ve sanayi"
        );
    }

    #[test]
    fn keeps_meaningful_words_that_only_look_like_legal_forms() {
        assert_eq!(
            normalize_name("Public Security Bureau"),
            "public security bureau"
        );
        assert_eq!(normalize_name("Bank of Kunlun"), "bank kunlun");
    }

    #[test]
    fn names_made_only_of_noise_keep_their_tokens() {
        assert_eq!(normalize_name("Company Limited"), "company limited");
        assert_eq!(normalize_name("  "), "");
    }

    #[test]
    fn the_quick_edit_filter_lets_every_one_edit_pair_through() {
        let word = b"company";
        let variants: [&[u8]; 6] = [
            b"ompany",   // deletion at the first letter
            b"xcompany", // insertion at the first letter
            b"xompany",  // substitution at the first letter
            b"ocmpany",  // transposition of the first two letters
            b"compnay",  // an edit further on
            b"compan",
        ];
        for variant in variants {
            assert!(may_be_one_edit_apart(variant, word), "{variant:?}");
        }
        assert!(!may_be_one_edit_apart(b"public", b"company"));
        assert!(!may_be_one_edit_apart(b"company", b"corporation"));
    }

    #[test]
    fn removes_parenthesized_parts() {
        assert_eq!(
            without_parentheses("China Unicom (Hong Kong) Limited").as_deref(),
            Some("China Unicom  Limited")
        );
        assert_eq!(without_parentheses("No parens"), None);
    }
}
