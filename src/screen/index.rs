//! The screening index: an inverted index from normalized tokens (and their single-deletion
//! variants, for typos) to listed names, IDF token weights, and the query path that scores only
//! the listed names sharing a token with the party.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use super::fuzzy::{
    char_ranges, equals_without, fuzzy_eligible, hash_str, hash_without, one_edit_apart,
    typo_similarity, PassThrough,
};
use super::normalize::{without_parentheses, Tokenizer};
use super::{ListEntry, Match, DEFAULT_THRESHOLD};

/// Slack for comparing a float upper bound against the threshold, so that rounding in the `f32`
/// accumulator can never drop a candidate whose exact score reaches the threshold.
const BOUND_SLACK: f32 = 1e-4;

/// A vocabulary token.
#[derive(Debug)]
struct Token {
    text: Box<str>,
    /// IDF weight: `ln(1 + N / df)` with `df` the number of entries using the token.
    weight: f32,
    /// Whether the token may be matched with one edit (see [`fuzzy_eligible`]).
    fuzzy: bool,
}

/// One indexed form of a listed name: the name itself, or the name without its parenthesized
/// parts.
#[derive(Debug)]
struct Form {
    entry: u32,
    listed_name: u32,
    /// Range into `ScreeningIndex::form_tokens`.
    tokens: (u32, u32),
    /// Sum of the weights of the form's (distinct) tokens.
    weight: f32,
}

/// A run of ids in `ScreeningIndex::bucket_ids`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    start: u32,
    len: u32,
}

/// An index over a restricted-party list, built once and then shared by any number of screenings.
#[derive(Debug)]
pub struct ScreeningIndex {
    entries: Vec<ListEntry>,
    threshold: f64,
    tokens: Vec<Token>,
    forms: Vec<Form>,
    /// `forms[i].weight`, kept apart so that the candidate loop reads a dense array.
    form_weights: Vec<f32>,
    /// Distinct token ids of every form, concatenated.
    form_tokens: Vec<u32>,
    /// Token id to the forms containing it: `postings[posting_starts[t]..posting_starts[t + 1]]`.
    posting_starts: Vec<u32>,
    postings: Vec<u32>,
    /// Token hash to token ids (a bucket almost always holds one id; collisions are verified).
    vocab: Buckets,
    /// Hash of a token with one character deleted to the ids of the tokens that give it.
    deletes: Buckets,
    bucket_ids: Vec<u32>,
    /// Weight of a query token that no listed name uses: rarer than any listed token.
    unknown_weight: f32,
    /// Per token, the other tokens within one edit of it and their similarity, in the order
    /// the typo search finds them: a query word that is itself a listed token (the common case)
    /// takes them from here instead of probing the maps with each of its one-letter variants.
    /// Filled on first use, so a list of a million tokens costs nothing for the ones never
    /// asked about.
    neighbours: Vec<OnceLock<Neighbours>>,
}

/// The tokens within one edit of a token, with their similarity to it.
type Neighbours = Box<[(u32, f32)]>;

/// A distinct token of the query name being screened.
#[derive(Debug, Clone, Copy)]
struct QueryToken {
    /// Byte range in the tokenizer's text.
    span: (usize, usize),
    weight: f32,
    /// Whether the token is too light to generate candidates (see `screen_one`).
    light: bool,
}

/// A vocabulary token that a query token matches, and how well.
#[derive(Debug, Clone, Copy)]
struct TokenMatch {
    query_token: usize,
    token: u32,
    similarity: f32,
}

/// Buffers reused across screenings on one thread, so the query path does not allocate once
/// they have grown to size.
#[derive(Debug, Default)]
struct Scratch {
    tokenizer: Tokenizer,
    query_tokens: Vec<QueryToken>,
    matches: Vec<TokenMatch>,
    /// Per form, an upper bound of the weighted overlap with the query; zero when untouched.
    overlap: Vec<f32>,
    touched: Vec<u32>,
    pairs: Vec<(f64, usize, usize)>,
    used_query: Vec<bool>,
    used_listed: Vec<bool>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

impl ScreeningIndex {
    /// Builds the index. Takes a few hundred milliseconds for the full CSL; do it once.
    pub fn new(entries: Vec<ListEntry>) -> Self {
        Builder::default().build(entries)
    }

    /// Makes the index report matches from `threshold` instead of [`DEFAULT_THRESHOLD`]
    /// (clamped to `0.0..=1.0`; NaN keeps the default). Even at 0 a listed name must share at
    /// least one token, exactly or within one edit, with the party to be reported.
    #[must_use]
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = if threshold.is_nan() {
            DEFAULT_THRESHOLD
        } else {
            threshold.clamp(0.0, 1.0)
        };
        self
    }

    /// The score from which a listed name counts as a match.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The list entries, in the order given to [`ScreeningIndex::new`].
    pub fn entries(&self) -> &[ListEntry] {
        &self.entries
    }

    /// Screens one party; pushes every entry scoring >= the threshold into `out` (cleared first),
    /// best first, at most one [`Match`] per entry (the best pair of the party's names and the
    /// entry's names). Ties are ordered by entry index.
    pub fn screen(&self, name: &str, aliases: &[&str], out: &mut Vec<Match>) {
        out.clear();
        if self.forms.is_empty() {
            // An empty list (the CSL table when no `--data csl=` was given) matches nothing.
            return;
        }
        let used_shared = SCRATCH
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut scratch) => {
                    self.screen_with(&mut scratch, name, aliases, out);
                    true
                }
                Err(_) => false,
            })
            .unwrap_or(false);
        if !used_shared {
            // Only reachable while the thread is shutting down; correctness over speed then.
            self.screen_with(&mut Scratch::default(), name, aliases, out);
        }
        // One match per entry: the best score, then the earliest party name and listed name.
        out.sort_unstable_by(|a, b| {
            a.entry
                .cmp(&b.entry)
                .then(b.score.total_cmp(&a.score))
                .then(a.query.cmp(&b.query))
                .then(a.listed_name.cmp(&b.listed_name))
        });
        out.dedup_by_key(|m| m.entry);
        out.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
    }

    fn screen_with(
        &self,
        scratch: &mut Scratch,
        name: &str,
        aliases: &[&str],
        out: &mut Vec<Match>,
    ) {
        if scratch.overlap.len() < self.forms.len() {
            scratch.overlap.resize(self.forms.len(), 0.0);
        }
        for (query, text) in std::iter::once(name)
            .chain(aliases.iter().copied())
            .enumerate()
        {
            self.screen_one(scratch, text, query, out);
        }
    }

    /// Screens one of the party's names, pushing every form that reaches the threshold.
    ///
    /// Candidates are generated only from the query's heavier tokens (prefix filtering): with
    /// `A` the weight of the query tokens a form matches, its score is at most
    /// `2A / (W_query + A)`, so reaching threshold `t` needs `A >= t * W_query / (2 - t)`. The
    /// lightest tokens whose weights add up to less than that cannot make a match on their own;
    /// their (long) posting lists only add to forms that a heavier token already found.
    fn screen_one(&self, scratch: &mut Scratch, name: &str, query: usize, out: &mut Vec<Match>) {
        self.match_tokens(scratch, name);
        if scratch.matches.is_empty() {
            return;
        }
        let query_weight: f32 = scratch.query_tokens.iter().map(|t| t.weight).sum();
        let threshold = self.threshold as f32;
        let needed = threshold * query_weight / (2.0 - threshold);
        mark_light_tokens(&mut scratch.query_tokens, needed * (1.0 - BOUND_SLACK));

        // Accumulate an upper bound of each form's weighted overlap. A form may collect several
        // contributions for one query token (an exact and a fuzzy hit); the exact alignment
        // below counts each token once, so the bound never underestimates.
        let Scratch {
            matches,
            query_tokens,
            overlap,
            touched,
            ..
        } = scratch;
        touched.clear();
        for light_pass in [false, true] {
            for m in matches.iter() {
                let (Some(q), Some(token)) = (
                    query_tokens.get(m.query_token),
                    self.tokens.get(m.token as usize),
                ) else {
                    continue;
                };
                if q.light != light_pass {
                    continue;
                }
                let contribution = pair_value(m.similarity, q.weight, token.weight) as f32;
                for &form in self.postings_of(m.token) {
                    if let Some(slot) = overlap.get_mut(form as usize) {
                        if *slot == 0.0 {
                            if light_pass {
                                continue;
                            }
                            touched.push(form);
                        }
                        *slot += contribution;
                    }
                }
            }
        }

        let cutoff = threshold - BOUND_SLACK;
        for i in 0..scratch.touched.len() {
            let Some(&form_id) = scratch.touched.get(i) else {
                break;
            };
            let bound = scratch
                .overlap
                .get_mut(form_id as usize)
                .map_or(0.0, std::mem::take);
            let form_weight = self
                .form_weights
                .get(form_id as usize)
                .copied()
                .unwrap_or(0.0);
            if bound < cutoff * (query_weight + form_weight) {
                continue;
            }
            let Some(form) = self.forms.get(form_id as usize) else {
                continue;
            };
            let score = self.align(scratch, form, f64::from(query_weight));
            if score >= self.threshold {
                out.push(Match {
                    entry: form.entry as usize,
                    listed_name: form.listed_name as usize,
                    query,
                    score,
                });
            }
        }
    }

    /// Tokenizes `name` into `scratch.query_tokens` and finds the vocabulary tokens each one
    /// matches exactly or within one edit, into `scratch.matches`.
    fn match_tokens(&self, scratch: &mut Scratch, name: &str) {
        scratch.tokenizer.tokenize(name);
        scratch.query_tokens.clear();
        scratch.matches.clear();
        let Scratch {
            tokenizer,
            query_tokens,
            matches,
            ..
        } = scratch;
        for &span in &tokenizer.kept {
            let Some(text) = tokenizer.text.get(span.0..span.1) else {
                continue;
            };
            let duplicate = query_tokens
                .iter()
                .any(|q| tokenizer.text.get(q.span.0..q.span.1) == Some(text));
            if duplicate {
                continue;
            }
            let query_token = query_tokens.len();
            let first_match = matches.len();
            let mut exact = None;
            for id in self.bucket(&self.vocab, hash_str(text)) {
                if let Some(token) = self.tokens.get(id as usize) {
                    if &*token.text == text {
                        exact = Some((id, token.weight));
                        matches.push(TokenMatch {
                            query_token,
                            token: id,
                            similarity: 1.0,
                        });
                    }
                }
            }
            let exact_weight = exact.map(|(_, weight)| weight);
            if fuzzy_eligible(text) {
                match exact {
                    // Without the table (only a test takes it away), the search itself.
                    Some((id, _)) if !self.neighbours.is_empty() => {
                        matches.extend(self.neighbours(id, text).iter().map(
                            |&(token, similarity)| TokenMatch {
                                query_token,
                                token,
                                similarity,
                            },
                        ));
                    }
                    _ => self.fuzzy_matches(text, query_token, first_match, matches),
                }
            }
            // A token the list does not know is the rarest there is. A misspelled token takes
            // the weight of the most common token it may stand for, so that a typo makes the
            // party neither more nor less distinctive than its intended spelling.
            let weight = exact_weight.unwrap_or_else(|| {
                matches
                    .get(first_match..)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| self.tokens.get(m.token as usize))
                    .map(|t| t.weight)
                    .reduce(f32::min)
                    .unwrap_or(self.unknown_weight)
            });
            query_tokens.push(QueryToken {
                span,
                weight,
                light: false,
            });
        }
    }

    /// The tokens within one edit of token `id`, whose text is `text`: what
    /// [`ScreeningIndex::fuzzy_matches`] finds for it after its exact match, computed once.
    fn neighbours(&self, id: u32, text: &str) -> &[(u32, f32)] {
        let Some(cell) = self.neighbours.get(id as usize) else {
            return &[];
        };
        cell.get_or_init(|| {
            let mut found = vec![TokenMatch {
                query_token: 0,
                token: id,
                similarity: 1.0,
            }];
            self.fuzzy_matches(text, 0, 0, &mut found);
            found
                .iter()
                .skip(1)
                .map(|m| (m.token, m.similarity))
                .collect()
        })
    }

    /// Pushes the vocabulary tokens one edit away from `text`. Both sides' single-deletion
    /// variants are indexed, so insertions, deletions, substitutions and transpositions are all
    /// found by hash lookups; every candidate is then confirmed with an exact edit check.
    fn fuzzy_matches(
        &self,
        text: &str,
        query_token: usize,
        first: usize,
        matches: &mut Vec<TokenMatch>,
    ) {
        let push = |id: u32, matches: &mut Vec<TokenMatch>| {
            let Some(token) = self.tokens.get(id as usize) else {
                return;
            };
            let seen = matches
                .get(first..)
                .unwrap_or_default()
                .iter()
                .any(|m| m.token == id);
            if token.fuzzy && !seen {
                matches.push(TokenMatch {
                    query_token,
                    token: id,
                    similarity: typo_similarity(text, &token.text),
                });
            }
        };
        // The query lacks a character: a listed token minus one character equals it.
        for id in self.bucket(&self.deletes, hash_str(text)) {
            if self.token_text(id).is_some_and(|t| one_edit_apart(text, t)) {
                push(id, matches);
            }
        }
        for range in char_ranges(text) {
            let hash = hash_without(text, range);
            // The query has an extra character: it minus one character is a listed token.
            for id in self.bucket(&self.vocab, hash) {
                if self
                    .token_text(id)
                    .is_some_and(|t| equals_without(text, range, t))
                {
                    push(id, matches);
                }
            }
            // A substitution or transposition: both minus one character agree.
            for id in self.bucket(&self.deletes, hash) {
                if self.token_text(id).is_some_and(|t| one_edit_apart(text, t)) {
                    push(id, matches);
                }
            }
        }
    }

    /// Scores a candidate form exactly: pairs query tokens with the form's tokens one to one,
    /// greedily by contribution, and returns the weighted Dice coefficient
    /// `sum(pair_value) / (W_query + W_listed)`, see [`pair_value`].
    fn align(&self, scratch: &mut Scratch, form: &Form, query_weight: f64) -> f64 {
        let listed = self.form_tokens_of(form);
        scratch.pairs.clear();
        for m in &scratch.matches {
            let Some(position) = listed.iter().position(|&t| t == m.token) else {
                continue;
            };
            let (Some(q), Some(token)) = (
                scratch.query_tokens.get(m.query_token),
                self.tokens.get(m.token as usize),
            ) else {
                continue;
            };
            let value = pair_value(m.similarity, q.weight, token.weight);
            scratch.pairs.push((value, m.query_token, position));
        }
        scratch
            .pairs
            .sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        scratch.used_query.clear();
        scratch.used_query.resize(scratch.query_tokens.len(), false);
        scratch.used_listed.clear();
        scratch.used_listed.resize(listed.len(), false);
        let mut overlap = 0.0;
        let mut all_exact = true;
        let mut paired = 0;
        for &(value, q, l) in &scratch.pairs {
            let (Some(used_q), Some(used_l)) =
                (scratch.used_query.get(q), scratch.used_listed.get(l))
            else {
                continue;
            };
            if *used_q || *used_l {
                continue;
            }
            if let Some(u) = scratch.used_query.get_mut(q) {
                *u = true;
            }
            if let Some(u) = scratch.used_listed.get_mut(l) {
                *u = true;
            }
            overlap += value;
            paired += 1;
            all_exact &= scratch.matches.iter().any(|m| {
                m.query_token == q && listed.get(l) == Some(&m.token) && m.similarity >= 1.0
            });
        }
        if all_exact && paired == scratch.query_tokens.len() && paired == listed.len() {
            // Identical token sets: report exactly 1.0 rather than a rounding of it.
            return 1.0;
        }
        let total = query_weight + f64::from(form.weight);
        if total <= 0.0 {
            return 0.0;
        }
        (overlap / total).clamp(0.0, 1.0)
    }

    fn bucket(&self, buckets: &Buckets, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let ids = buckets.get(hash).and_then(|b| {
            self.bucket_ids
                .get(b.start as usize..(b.start as usize + b.len as usize))
        });
        ids.unwrap_or_default().iter().copied()
    }

    fn token_text(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).map(|t| &*t.text)
    }

    fn postings_of(&self, token: u32) -> &[u32] {
        let t = token as usize;
        match (self.posting_starts.get(t), self.posting_starts.get(t + 1)) {
            (Some(&start), Some(&end)) => self
                .postings
                .get(start as usize..end as usize)
                .unwrap_or_default(),
            _ => &[],
        }
    }

    fn form_tokens_of(&self, form: &Form) -> &[u32] {
        self.form_tokens
            .get(form.tokens.0 as usize..form.tokens.1 as usize)
            .unwrap_or_default()
    }
}

/// State for building a [`ScreeningIndex`].
#[derive(Debug, Default)]
struct Builder {
    token_ids: HashMap<String, u32>,
    texts: Vec<Box<str>>,
    forms: Vec<Form>,
    form_tokens: Vec<u32>,
}

impl Builder {
    fn build(mut self, entries: Vec<ListEntry>) -> ScreeningIndex {
        let mut tokenizer = Tokenizer::default();
        let mut ids: Vec<u32> = Vec::new();
        for (entry_id, entry) in entries.iter().enumerate() {
            let first_form = self.forms.len();
            let names = std::iter::once(&entry.name).chain(entry.aliases.iter());
            for (listed_name, name) in names.enumerate() {
                let stripped = without_parentheses(name);
                for text in std::iter::once(name.as_str()).chain(stripped.as_deref()) {
                    tokenizer.tokenize(text);
                    ids.clear();
                    for token in tokenizer.tokens() {
                        let id = self.intern(token);
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                    ids.sort_unstable();
                    // A form with the same tokens as an earlier form of the entry adds nothing:
                    // the earlier one wins ties anyway.
                    let repeated =
                        self.forms
                            .get(first_form..)
                            .unwrap_or_default()
                            .iter()
                            .any(|f| {
                                self.form_tokens
                                    .get(f.tokens.0 as usize..f.tokens.1 as usize)
                                    == Some(ids.as_slice())
                            });
                    if ids.is_empty() || repeated {
                        continue;
                    }
                    let start = self.form_tokens.len() as u32;
                    self.form_tokens.extend_from_slice(&ids);
                    self.forms.push(Form {
                        entry: entry_id as u32,
                        listed_name: listed_name as u32,
                        tokens: (start, self.form_tokens.len() as u32),
                        weight: 0.0,
                    });
                }
            }
        }
        self.finish(entries)
    }

    fn intern(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.token_ids.get(token) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.texts.push(token.into());
        self.token_ids.insert(token.to_owned(), id);
        id
    }

    fn finish(mut self, entries: Vec<ListEntry>) -> ScreeningIndex {
        let token_count = self.texts.len();

        // Document frequency counts entries, not names, so that an entry listing ten spellings
        // of its name does not make that name look common.
        let mut df = vec![0u32; token_count];
        let mut last_entry = vec![u32::MAX; token_count];
        let mut posting_counts = vec![0u32; token_count];
        for form in &self.forms {
            for &t in self
                .form_tokens
                .get(form.tokens.0 as usize..form.tokens.1 as usize)
                .unwrap_or_default()
            {
                let t = t as usize;
                if let (Some(last), Some(d), Some(c)) = (
                    last_entry.get_mut(t),
                    df.get_mut(t),
                    posting_counts.get_mut(t),
                ) {
                    if *last != form.entry {
                        *last = form.entry;
                        *d += 1;
                    }
                    *c += 1;
                }
            }
        }
        let n = entries.len().max(1) as f32;
        let tokens: Vec<Token> = self
            .texts
            .into_iter()
            .zip(&df)
            .map(|(text, &d)| Token {
                weight: (1.0 + n / d.max(1) as f32).ln(),
                fuzzy: fuzzy_eligible(&text),
                text,
            })
            .collect();
        let unknown_weight = (1.0 + 2.0 * n).ln();

        for form in &mut self.forms {
            form.weight = self
                .form_tokens
                .get(form.tokens.0 as usize..form.tokens.1 as usize)
                .unwrap_or_default()
                .iter()
                .filter_map(|&t| tokens.get(t as usize))
                .map(|t| t.weight)
                .sum();
        }

        // Postings in compressed rows: count, prefix-sum, fill.
        let mut posting_starts = Vec::with_capacity(token_count + 1);
        let mut running = 0u32;
        posting_starts.push(0);
        for &c in &posting_counts {
            running += c;
            posting_starts.push(running);
        }
        let mut fill = posting_starts.clone();
        let mut postings = vec![0u32; running as usize];
        for (form_id, form) in self.forms.iter().enumerate() {
            for &t in self
                .form_tokens
                .get(form.tokens.0 as usize..form.tokens.1 as usize)
                .unwrap_or_default()
            {
                if let Some(next) = fill.get_mut(t as usize) {
                    if let Some(slot) = postings.get_mut(*next as usize) {
                        *slot = form_id as u32;
                    }
                    *next += 1;
                }
            }
        }

        let mut bucket_ids = Vec::new();
        let vocab_keys: Vec<(u64, u32)> = tokens
            .iter()
            .enumerate()
            .map(|(id, t)| (hash_str(&t.text), id as u32))
            .collect();
        let vocab = buckets(vocab_keys, &mut bucket_ids);
        let mut delete_keys = Vec::new();
        for (id, token) in tokens.iter().enumerate() {
            if token.fuzzy {
                for range in char_ranges(&token.text) {
                    delete_keys.push((hash_without(&token.text, range), id as u32));
                }
            }
        }
        let deletes = buckets(delete_keys, &mut bucket_ids);

        let form_weights = self.forms.iter().map(|f| f.weight).collect();
        let tokens_len = tokens.len();
        ScreeningIndex {
            entries,
            form_weights,
            threshold: DEFAULT_THRESHOLD,
            tokens,
            forms: self.forms,
            form_tokens: self.form_tokens,
            posting_starts,
            postings,
            vocab,
            deletes,
            neighbours: (0..tokens_len).map(|_| OnceLock::new()).collect(),
            bucket_ids,
            unknown_weight,
        }
    }
}

/// Marks as light the lightest query tokens whose weights add up to less than `needed`.
fn mark_light_tokens(tokens: &mut [QueryToken], needed: f32) {
    let mut light_weight = 0.0;
    loop {
        let lightest = tokens
            .iter_mut()
            .filter(|t| !t.light)
            .min_by(|a, b| a.weight.total_cmp(&b.weight));
        match lightest {
            Some(t) if light_weight + t.weight < needed => {
                light_weight += t.weight;
                t.light = true;
            }
            _ => break,
        }
    }
}

/// What a pair of matched tokens adds to the numerator of the weighted Dice coefficient.
///
/// An exact pair adds both (equal) weights. A pair one edit apart adds its similarity times twice
/// the smaller weight: a typo cannot make a party more distinctive than it is, so a common query
/// word one letter away from a rare listed word ("china" and "chino") counts as the common word.
fn pair_value(similarity: f32, query_weight: f32, listed_weight: f32) -> f64 {
    f64::from(similarity) * 2.0 * f64::from(query_weight.min(listed_weight))
}

/// Runs of token ids by hash, with a bit set in front of the map: most query keys (the
/// single-deletion variants of a query token, above all) are in no bucket, and one bit answers
/// that for them without probing the map.
#[derive(Debug)]
struct Buckets {
    map: HashMap<u64, Bucket, PassThrough>,
    /// Bit `(hash >> 7) & mask` is set for every key of the map (about eight bits per key).
    bits: Box<[u64]>,
    mask: u64,
}

impl Buckets {
    fn bit(&self, hash: u64) -> (usize, u64) {
        let bit = (hash >> 7) & self.mask;
        ((bit >> 6) as usize, 1 << (bit & 63))
    }

    fn get(&self, hash: u64) -> Option<&Bucket> {
        let (word, bit) = self.bit(hash);
        if self.bits.get(word).map_or(true, |w| w & bit == 0) {
            return None;
        }
        self.map.get(&hash)
    }
}

/// Groups `(hash, id)` keys into a hash map of runs in `bucket_ids`.
fn buckets(mut keys: Vec<(u64, u32)>, bucket_ids: &mut Vec<u32>) -> Buckets {
    keys.sort_unstable();
    keys.dedup();
    let mut map: HashMap<u64, Bucket, PassThrough> = HashMap::default();
    map.reserve(keys.len());
    for (hash, id) in keys {
        let bucket = map.entry(hash).or_insert(Bucket {
            start: bucket_ids.len() as u32,
            len: 0,
        });
        bucket_ids.push(id);
        bucket.len += 1;
    }
    let bits = (map.len() * 8).next_power_of_two().max(512);
    let mut buckets = Buckets {
        bits: vec![0; bits / 64].into_boxed_slice(),
        mask: bits as u64 - 1,
        map,
    };
    let keys: Vec<u64> = buckets.map.keys().copied().collect();
    for hash in keys {
        let (word, bit) = buckets.bit(hash);
        if let Some(w) = buckets.bits.get_mut(word) {
            *w |= bit;
        }
    }
    buckets
}

#[cfg(test)]
mod tests {
    use super::ScreeningIndex;
    use crate::screen::ListEntry;

    /// Screening with the neighbours table must give what screening by the typo search alone
    /// gives: the same hits, names and scores, for names spelled as listed and with typos.
    #[test]
    fn the_neighbours_table_screens_as_the_typo_search_does() {
        let names = [
            "Hangzhou Hikvision Digital Technology",
            "Hikvisoin Tecnology Trading",
            "Zhejiang Dahua Technology",
            "Dahau Technologies Group",
            "Technology Group",
            "Urumqi Public Security Bureau",
            "Urumchi Pubilc Security Bureau",
            "Kashgar Public Secuirty Bureau",
        ];
        let entries: Vec<ListEntry> = names
            .iter()
            .map(|name| ListEntry {
                name: (*name).to_owned(),
                ..ListEntry::default()
            })
            .collect();
        let with_table = ScreeningIndex::new(entries.clone()).with_threshold(0.5);
        let mut without_table = ScreeningIndex::new(entries).with_threshold(0.5);
        without_table.neighbours.clear();
        let queries = [
            "Hikvision Technology",
            "Hikvisoin",
            "Dahua Technologies Group",
            "Urumqi Public Security Bureau",
            "Public Security Bureau of Kashgar",
            "Technology Trading Group",
            "Tecnology",
        ];
        let (mut hits, mut typo_hits) = (0, 0);
        for query in queries {
            let (mut expected, mut found) = (Vec::new(), Vec::new());
            without_table.screen(query, &[], &mut expected);
            // Twice: the table fills on first use.
            for _ in 0..2 {
                with_table.screen(query, &[], &mut found);
                assert_eq!(found, expected, "{query}");
            }
            hits += expected.len();
            typo_hits += expected.iter().filter(|m| m.score < 1.0).count();
        }
        let filled = with_table
            .neighbours
            .iter()
            .filter(|n| n.get().is_some_and(|n| !n.is_empty()))
            .count();
        assert!(
            hits >= 10 && typo_hits >= 5,
            "{hits} hits, {typo_hits} by typo"
        );
        assert!(
            filled >= 4,
            "only {filled} tokens took their neighbours from the table"
        );
    }
}
