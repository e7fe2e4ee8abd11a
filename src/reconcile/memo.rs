//! Finding invoice numbers in the free text of a payment's reference/memo (SPEC section 3,
//! rule `reference`), in English and Hebrew, without mistaking amounts, dates or phone numbers
//! for invoice numbers.
//!
//! Tokenisation, in order:
//! 1. The memo is put in Unicode NFKC form (full-width digits, `№` -> `No`).
//! 2. **Tokens** are maximal runs of letters and digits, where a dash, dot, slash or underscore
//!    between two letters/digits stays inside the token (`INV-1043/INV-1044`, `2026/0012`),
//!    and a comma or apostrophe between two digits does too (`1,043.00`). Everything else
//!    (spaces, `#`, `:`, `(`, `,` after a letter, quotes, `₪`, ...) separates tokens.
//! 3. A token is split into **parts** at those inner separators. A part that is a Hebrew
//!    prefix letter or two (`ו ב ל מ ה ש כ`) glued to digits (`ו1045`) is split after the
//!    prefix.
//! 4. Purely numeric tokens are **left out** when they look like
//!    - an amount: `1,043` `1,043.00` `1.043,00` `1043.00` `12.5`; or a number right next to a
//!      currency sign or code (`₪`, `$`, `€`, `£`, `ILS`, `NIS`, `USD`, `EUR`, `ש"ח`, `שקל`) or
//!      followed by `%`;
//!    - a date: three groups `d.m.yyyy` / `yyyy-mm-dd` shapes (any of `.` `/` `-`, whether or
//!      not the date exists: `10.43.2026` too), or two groups `dd/mm`, `mm/yyyy`, `yyyy/mm`;
//!    - a phone number: a token right after `+`; a grouped number starting with `0` with 9–10
//!      digits in all (`050-123-1043`, `03-1234567`, `054 123 1043`); or the digit groups
//!      after `tel`, `phone`, `mobile`, `fax`, `טל`, `טלפון`, `נייד`, `פקס`.
//!
//!    Exception: a token left out by its own shape (amount, date, grouped phone) whose text is
//!    exactly an invoice number as written (case ignored) still counts — the writer evidently
//!    meant that number. Tokens left out by their neighbours (currency, `+`, phone words) never
//!    come back.
//! 5. **Candidates** are runs of consecutive parts of one token, plus one extra join: a
//!    letters-only word followed, across spaces, `#`, `:` or `.`, by a part starting with a
//!    digit (`inv 1043`, `No. 1043`, `Inv#1043`). A candidate's key is
//!    [`invoice_key`](crate::normalize::invoice_key) of its text; it must contain a digit and
//!    be at least 3 characters long. Runs never start or end inside a part, so `10430` never
//!    matches `1043` (a number is always a whole token or a whole part of one).
//! 6. Matching is leftmost-longest: at each part the longest run whose key is an invoice of the
//!    run wins, and scanning continues after it. Repeats are reported once, first position.

use std::ops::Range;

use crate::hash::HashMap;
use crate::keys::{Indices, KeyIndex};

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::normalize::invoice_key_nfkc_into;

/// Invoice numbers of this run, as keys and as written, for memo scanning, with the invoices
/// that carry each key.
#[derive(Debug, Default)]
pub(crate) struct NumberSet {
    /// Key -> the invoices (indices into the ledger) numbered so. A month of a million invoices
    /// holds a million keys, nearly all of one invoice each.
    keys: KeyIndex,
    /// Upper-case number as written -> its key, for numbers without letters: only a numeric
    /// token left out by its shape is looked up here, and no such token holds a letter. (A
    /// month's numbers are mostly like `INV-2026-0000001`; keeping them all doubled the set.)
    verbatim: HashMap<String, String>,
    /// Most letter/digit runs in any number: no candidate needs more parts than that.
    max_parts: usize,
}

/// What [`NumberSet::add`] needs of an invoice number, worked out on any thread.
pub(crate) struct Number {
    key: String,
    verbatim: Option<String>,
    parts: usize,
}

impl Number {
    /// The number's parts, or `None` when its key (see
    /// [`invoice_key`](crate::normalize::invoice_key)) is shorter than 3 characters or has no
    /// digit: such a number is never looked for.
    pub(crate) fn new(number: &str, key: String) -> Option<Number> {
        if !usable_key(&key) {
            return None;
        }
        let number = number.trim();
        let verbatim = if number.is_ascii() {
            // Already NFKC, and without letters already upper case: nearly every number of a
            // month has letters (`INV-...`), and is not copied only to be dropped.
            (!number.bytes().any(|b| b.is_ascii_alphabetic())).then(|| number.to_string())
        } else {
            let verbatim = number.nfkc().collect::<String>().to_uppercase();
            (!verbatim.chars().any(crate::normalize::is_alphabetic)).then_some(verbatim)
        };
        Some(Number {
            verbatim,
            parts: class_runs(number),
            key,
        })
    }
}

impl NumberSet {
    /// Adds invoice `invoice`, numbered `number`.
    pub(crate) fn add(&mut self, number: Number, invoice: usize) {
        if let Some(verbatim) = number.verbatim {
            self.verbatim.insert(verbatim, number.key.clone());
        }
        self.max_parts = self.max_parts.max(number.parts);
        self.keys.push(&number.key, invoice);
    }

    /// The set of `numbers`, the `i`-th being invoice `i`.
    pub(crate) fn of(numbers: &[&str]) -> NumberSet {
        let mut set = NumberSet::default();
        for (i, n) in numbers.iter().enumerate() {
            if let Some(number) = Number::new(n, crate::normalize::invoice_key(n)) {
                set.add(number, i);
            }
        }
        set
    }

    /// Room for `n` more keys.
    pub(crate) fn reserve(&mut self, n: usize) {
        self.keys.reserve(n);
    }

    /// The invoices whose key is `key`, in the order they were added.
    pub(crate) fn invoices(&self, key: &str) -> Indices<'_> {
        self.keys.get(key)
    }
}

/// Whether a key can be a reference at all.
pub(crate) fn usable_key(key: &str) -> bool {
    // At least 3 characters, one an ASCII digit (no other character's UTF-8 holds such a byte).
    key.chars().nth(2).is_some() && key.bytes().any(|b| b.is_ascii_digit())
}

/// Number of maximal runs of letters or of digits in `text`.
fn class_runs(text: &str) -> usize {
    let mut runs = 0;
    let mut last: Option<bool> = None;
    for c in text.chars() {
        if crate::normalize::is_alphanumeric(c) {
            let digit = c.is_ascii_digit();
            if last != Some(digit) {
                runs += 1;
            }
            last = Some(digit);
        } else {
            last = None;
        }
    }
    runs
}

const JOINERS: &[char] = &['-', '\u{2013}', '\u{2014}', '.', '/', '_'];
const HEBREW_PREFIXES: &[char] = &['ו', 'ב', 'ל', 'מ', 'ה', 'ש', 'כ'];
const CURRENCY_SIGNS: &[char] = &['₪', '$', '€', '£'];
const CURRENCY_WORDS: &[&str] = &[
    "ils",
    "nis",
    "usd",
    "eur",
    "gbp",
    "שח",
    "שקל",
    "שקלים",
    "דולר",
    "יורו",
];
const PHONE_WORDS: &[&str] = &[
    "tel",
    "phone",
    "ph",
    "mobile",
    "cell",
    "fax",
    "whatsapp",
    "טל",
    "טלפון",
    "נייד",
    "פקס",
];

#[derive(Debug)]
struct Part {
    start: usize,
    end: usize,
    /// The separator before this part inside its token (`None` for a token's first part or a
    /// split-off Hebrew prefix).
    sep: Option<char>,
    /// May this part extend a run that ends with the previous part?
    joins_prev: bool,
}

#[derive(Debug)]
struct Token {
    start: usize,
    end: usize,
    /// Its parts' places in the memo's list of parts (one list for all tokens: most memos
    /// are a dozen words or more, and a list each was an allocation each).
    parts: Range<usize>,
    left_out: bool,
    /// Left out by its own shape (amount, date, grouped phone), not by its neighbours: only
    /// then may a verbatim invoice number bring it back.
    by_shape: bool,
}

impl Token {
    /// The token's parts, out of the memo's list `all`.
    fn parts<'a>(&self, all: &'a [Part]) -> &'a [Part] {
        &all[self.parts.clone()]
    }
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// The memo's tokens and the parts they are made of, into `tokens` and `parts` (cleared first).
fn lex(chars: &[char], tokens: &mut Vec<Token>, parts: &mut Vec<Part>) {
    tokens.clear();
    parts.clear();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        if !crate::normalize::is_alphanumeric(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let first_part = parts.len();
        let mut part_start = i;
        let mut sep = None;
        let mut j = i;
        loop {
            while j < n && crate::normalize::is_alphanumeric(chars[j]) {
                j += 1;
            }
            push_part(chars, parts, part_start, j, sep);
            // An inner separator continues the token.
            if j + 1 < n && crate::normalize::is_alphanumeric(chars[j + 1]) {
                let c = chars[j];
                let inner = JOINERS.contains(&c)
                    || (matches!(c, ',' | '\'')
                        && is_digit(chars[j - 1])
                        && is_digit(chars[j + 1]));
                if inner {
                    sep = Some(c);
                    part_start = j + 1;
                    j += 1;
                    continue;
                }
            }
            break;
        }
        tokens.push(Token {
            start,
            end: j,
            parts: first_part..parts.len(),
            left_out: false,
            by_shape: false,
        });
        i = j;
    }
}

fn push_part(chars: &[char], parts: &mut Vec<Part>, start: usize, end: usize, sep: Option<char>) {
    // `,` and `'` separate list items or thousands; never join across them.
    let joins = sep.is_some_and(|c| JOINERS.contains(&c));
    let text = &chars[start..end];
    // A prefix is split off only before digits: a part that ends in a letter (nearly every
    // word) is not looked at further.
    let prefix = if text.last().is_some_and(|c| is_digit(*c)) {
        text.iter()
            .take(3)
            .take_while(|c| HEBREW_PREFIXES.contains(c))
            .count()
    } else {
        0
    };
    if (1..=2).contains(&prefix)
        && text.len() > prefix
        && text[prefix..].iter().all(|c| is_digit(*c))
    {
        parts.push(Part {
            start,
            end: start + prefix,
            sep,
            joins_prev: joins,
        });
        parts.push(Part {
            start: start + prefix,
            end,
            sep: None,
            joins_prev: true,
        });
    } else {
        parts.push(Part {
            start,
            end,
            sep,
            joins_prev: joins,
        });
    }
}

fn all_digits(chars: &[char]) -> bool {
    !chars.is_empty() && chars.iter().all(|c| is_digit(*c))
}

fn numeric(parts: &[Part], chars: &[char]) -> bool {
    parts.iter().all(|p| all_digits(&chars[p.start..p.end]))
}

/// Digit groups and the separators between them of a numeric token's parts, into `lens` and
/// `seps` (cleared first).
fn groups(parts: &[Part], lens: &mut Vec<usize>, seps: &mut Vec<char>) {
    lens.clear();
    lens.extend(parts.iter().map(|p| p.end - p.start));
    seps.clear();
    seps.extend(parts.iter().skip(1).filter_map(|p| p.sep));
}

fn looks_like_amount(lens: &[usize], seps: &[char]) -> bool {
    match (lens, seps) {
        // 1043.00, 12.5, 1043,50
        ([_, d], [s]) if matches!(s, '.' | ',') && (1..=2).contains(d) => true,
        _ => {
            // 1,043 / 1.043.000 / 1,043.00 / 1.043,00 / 1'043
            let Some(&thousands) = seps.first() else {
                return false;
            };
            if !matches!(thousands, ',' | '.' | '\'') || !(1..=3).contains(&lens[0]) {
                return false;
            }
            let mut k = 1;
            while k < lens.len() && seps[k - 1] == thousands && lens[k] == 3 {
                k += 1;
            }
            if k == lens.len() {
                return k > 1;
            }
            k > 1
                && k + 1 == lens.len()
                && matches!(seps[k - 1], '.' | ',')
                && seps[k - 1] != thousands
                && (1..=2).contains(&lens[k])
        }
    }
}

fn looks_like_date(lens: &[usize], seps: &[char], chars: &[char], parts: &[Part]) -> bool {
    let day = |l: usize| (1..=2).contains(&l);
    let year_at = |k: usize| {
        let p = &parts[k];
        let text = &chars[p.start..p.end];
        text.len() == 4 && matches!(text[..2], ['1', '9'] | ['2', '0'])
    };
    if !seps.iter().all(|s| matches!(s, '.' | '/' | '-')) || seps.windows(2).any(|w| w[0] != w[1]) {
        return false;
    }
    match lens {
        [a, b, c] => (day(*a) && day(*b) && matches!(c, 2 | 4)) || (*a == 4 && day(*b) && day(*c)),
        [a, b] => (day(*a) && day(*b)) || (day(*a) && year_at(1)) || (year_at(0) && day(*b)),
        _ => false,
    }
}

fn looks_like_grouped_phone(lens: &[usize], seps: &[char], first: char) -> bool {
    let digits: usize = lens.iter().sum();
    lens.len() >= 2
        && first == '0'
        && (9..=10).contains(&digits)
        && seps.iter().all(|s| matches!(s, '-' | '.'))
}

/// Text between two positions, for looking at what separates tokens.
fn gap(chars: &[char], from: usize, to: usize) -> &[char] {
    &chars[from.min(to)..to]
}

/// Whether `chars`, lower-cased, is one of `words` (without building the lower-case text).
fn lower_is_one_of(chars: &[char], words: &[&str]) -> bool {
    // A token of ASCII and Hebrew is as long lower-cased (Hebrew has no case): most tokens are
    // no word's length, and are passed over without being lower-cased.
    let plain = chars
        .iter()
        .all(|c| c.is_ascii() || ('\u{0590}'..='\u{05FF}').contains(c));
    words.iter().any(|word| {
        if plain {
            // Character by character, so that most tokens differ at the first; the word's
            // length in characters is never counted.
            let mut letters = word.chars();
            return chars.len() <= word.len()
                && chars
                    .iter()
                    .all(|c| letters.next() == Some(c.to_ascii_lowercase()))
                && letters.next().is_none();
        }
        chars
            .iter()
            .flat_map(|&c| crate::normalize::to_lowercase(c))
            .eq(word.chars())
    })
}

/// Marks amount-, date- and phone-shaped numeric tokens as left out. `lens` and `seps` are
/// room for each numeric token's groups.
fn classify(
    tokens: &mut [Token],
    all: &[Part],
    chars: &[char],
    (lens, seps): (&mut Vec<usize>, &mut Vec<char>),
) {
    let count = tokens.len();
    let mut phone_run_left = 0usize; // digits still allowed in a phone sequence being absorbed
    for t in 0..count {
        let is_numeric = numeric(tokens[t].parts(all), chars);
        let before = gap(
            chars,
            if t == 0 { 0 } else { tokens[t - 1].end },
            tokens[t].start,
        );
        let after_end = if t + 1 < count {
            tokens[t + 1].start
        } else {
            chars.len()
        };
        let after = gap(chars, tokens[t].end, after_end);
        if !is_numeric {
            // A phone keyword starts a phone sequence; anything else ends one.
            phone_run_left = if lower_is_one_of(&chars[tokens[t].start..tokens[t].end], PHONE_WORDS)
            {
                15
            } else {
                0
            };
            continue;
        }
        groups(tokens[t].parts(all), lens, seps);
        let (lens, seps) = (lens.as_slice(), seps.as_slice());
        let digits: usize = lens.iter().sum();
        let first = chars[tokens[t].start];
        let spaced = before
            .iter()
            .all(|c| c.is_whitespace() || matches!(c, '(' | ')' | '-'));
        let mut left_out = false;

        // Continuing a phone sequence (after a keyword, `+` or a leading 0 group).
        if phone_run_left > 0 && spaced && digits <= phone_run_left {
            left_out = true;
            phone_run_left -= digits;
        } else {
            phone_run_left = 0;
        }
        if before.last() == Some(&'+') {
            left_out = true;
            phone_run_left = 15usize.saturating_sub(digits);
        }
        let by_shape = looks_like_amount(lens, seps)
            || looks_like_date(lens, seps, chars, tokens[t].parts(all))
            || looks_like_grouped_phone(lens, seps, first);
        // `054 123 1043`: a 0-led short group followed by space-separated groups, 9-10 digits.
        if !left_out && !by_shape && lens.len() == 1 && first == '0' && (2..=4).contains(&digits) {
            let mut total = digits;
            let mut k = t + 1;
            while k < count
                && total < 10
                && numeric(tokens[k].parts(all), chars)
                && tokens[k].parts.len() == 1
                && gap(chars, tokens[k - 1].end, tokens[k].start)
                    .iter()
                    .all(|c| *c == ' ')
            {
                total += tokens[k].end - tokens[k].start;
                k += 1;
            }
            if k > t + 1 && (9..=10).contains(&total) {
                left_out = true;
                phone_run_left = total - digits;
            }
        }
        // Money: next to a currency sign or code, or a percentage.
        let prev_word = (t > 0).then(|| &chars[tokens[t - 1].start..tokens[t - 1].end]);
        let next_word = (t + 1 < count).then(|| &chars[tokens[t + 1].start..tokens[t + 1].end]);
        // The last character before the token and the first after it, white space skipped.
        let last_before = before.iter().rev().find(|c| !c.is_whitespace());
        let first_after = after.iter().find(|c| !c.is_whitespace());
        let sign_before = last_before.is_some_and(|c| CURRENCY_SIGNS.contains(c));
        let sign_after = first_after.is_some_and(|c| CURRENCY_SIGNS.contains(c) || *c == '%');
        let word_before =
            last_before.is_none() && prev_word.is_some_and(|w| lower_is_one_of(w, CURRENCY_WORDS));
        let word_after =
            first_after.is_none() && next_word.is_some_and(|w| lower_is_one_of(w, CURRENCY_WORDS));
        // ש"ח / ש״ח: the quote splits it into two tokens.
        let shekel_after = next_word.is_some_and(|w| lower_is_one_of(w, &["ש"]))
            && first_after.is_none()
            && t + 2 < count
            && lower_is_one_of(&chars[tokens[t + 2].start..tokens[t + 2].end], &["ח"])
            && gap(chars, tokens[t + 1].end, tokens[t + 2].start)
                .iter()
                .all(|c| matches!(c, '"' | '\u{05F4}' | '\''));
        if sign_before || sign_after || word_before || word_after || shekel_after {
            left_out = true;
        }
        tokens[t].left_out = left_out || by_shape;
        tokens[t].by_shape = by_shape && !left_out;
    }
}

/// Invoice keys named in `memo`, in memo order, each once. See the module documentation for
/// the rules.
pub(crate) fn scan_memo(memo: &str, numbers: &NumberSet) -> Vec<String> {
    let mut scratch = Scratch::default();
    scan_memo_with(memo, numbers, &mut scratch);
    scratch.found().map(str::to_string).collect()
}

/// The lists one memo's scan needs, kept from memo to memo by the thread that scans them: a
/// million memos each growing a dozen lists from nothing spent a quarter of the scan growing
/// them.
#[derive(Default)]
pub(crate) struct Scratch {
    chars: Vec<char>,
    tokens: Vec<Token>,
    all_parts: Vec<Part>,
    lens: Vec<usize>,
    seps: Vec<char>,
    parts: Vec<RunPart>,
    link: Vec<bool>,
    key: String,
    /// The keys found, one after another in `found_text`.
    found_text: String,
    found: Vec<Range<usize>>,
}

impl Scratch {
    /// The keys the last [`scan_memo_with`] found, in memo order, each once.
    pub(crate) fn found(&self) -> impl Iterator<Item = &str> + '_ {
        self.found.iter().map(|r| &self.found_text[r.clone()])
    }

    /// Adds `key` to the keys found unless it is there already.
    fn push_found(&mut self, key: &str) {
        add_found(&mut self.found_text, &mut self.found, key);
    }
}

/// Adds `key` to the keys in `text` at `found` unless it is there already.
fn add_found(text: &mut String, found: &mut Vec<Range<usize>>, key: &str) {
    if !found.iter().any(|r| &text[r.clone()] == key) {
        let start = text.len();
        text.push_str(key);
        found.push(start..text.len());
    }
}

/// [`scan_memo`] with the lists of `scratch`; the keys found are then [`Scratch::found`].
pub(crate) fn scan_memo_with(memo: &str, numbers: &NumberSet, scratch: &mut Scratch) {
    scratch.found.clear();
    scratch.found_text.clear();
    if numbers.keys.is_empty() || !memo.chars().any(|c| c.is_ascii_digit() || !c.is_ascii()) {
        return;
    }
    // Most memos are already in NFKC form (the quick check says so without normalising): then
    // a memo without an ASCII digit names no invoice, and its characters are used as they are.
    // ASCII and the Hebrew letters (U+05D0..U+05EA) are NFKC as they stand and combine with
    // nothing: a memo of only those is answered without the quick check's table look-ups.
    let normal = memo
        .chars()
        .all(|c| c.is_ascii() || ('\u{05D0}'..='\u{05EA}').contains(&c))
        || is_nfkc_quick(memo.chars()) == IsNormalized::Yes;
    if normal && !memo.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let mut chars = std::mem::take(&mut scratch.chars);
    chars.clear();
    if normal {
        chars.extend(memo.chars());
    } else {
        chars.extend(memo.nfkc());
    }
    if chars.iter().any(char::is_ascii_digit) {
        scan_chars(&chars, numbers, scratch);
    }
    scratch.chars = chars;
}

/// The scan of a memo's NFKC characters.
fn scan_chars(chars: &[char], numbers: &NumberSet, scratch: &mut Scratch) {
    let mut tokens = std::mem::take(&mut scratch.tokens);
    let mut all_parts = std::mem::take(&mut scratch.all_parts);
    lex(chars, &mut tokens, &mut all_parts);
    classify(
        &mut tokens,
        &all_parts,
        chars,
        (&mut scratch.lens, &mut scratch.seps),
    );

    // Flatten the usable parts; `link[i]` says whether part i may follow part i-1 in a run.
    scratch.parts.clear();
    scratch.link.clear();
    let mut prev_token: Option<usize> = None;
    for (t, token) in tokens.iter().enumerate() {
        if token.left_out {
            // Only a token left out by its shape may be a number as written (and no month
            // whose numbers all hold letters has any such number).
            let verbatim = (token.by_shape && !numbers.verbatim.is_empty())
                .then(|| {
                    let text: String = chars[token.start..token.end]
                        .iter()
                        .collect::<String>()
                        .to_uppercase();
                    numbers.verbatim.get(&text)
                })
                .flatten();
            if let Some(key) = verbatim {
                // Flush runs before it in order: scan what we have so far first.
                scan_parts(chars, numbers, scratch);
                scratch.parts.clear();
                scratch.link.clear();
                scratch.push_found(key);
            }
            prev_token = None;
            continue;
        }
        for (k, part) in token.parts(&all_parts).iter().enumerate() {
            let linked = if k == 0 {
                // Across tokens: `inv 1043`, `No. 1043`, `Inv#1043`.
                prev_token.is_some_and(|p| {
                    let prev = &tokens[p];
                    let last = prev.parts(&all_parts).last().expect("a token has a part");
                    p + 1 == t
                        && is_digit(chars[part.start])
                        && chars[last.start..last.end]
                            .iter()
                            .all(|&c| crate::normalize::is_alphabetic(c))
                        && gap(chars, prev.end, token.start)
                            .iter()
                            .all(|c| c.is_whitespace() || matches!(c, '#' | ':' | '.'))
                })
            } else {
                part.joins_prev
            };
            scratch.parts.push(RunPart {
                start: part.start,
                end: part.end,
                sep: if k == 0 { None } else { part.sep },
                digit: chars[part.start..part.end].iter().any(|c| is_digit(*c)),
            });
            scratch.link.push(linked);
        }
        prev_token = Some(t);
    }
    scan_parts(chars, numbers, scratch);
    scratch.tokens = tokens;
    scratch.all_parts = all_parts;
}

/// A part as [`scan_parts`] reads it.
struct RunPart {
    start: usize,
    end: usize,
    /// The separator kept before it in a run's text (`None`: a space, or nothing first).
    sep: Option<char>,
    /// Whether it holds a digit.
    digit: bool,
}

/// Leftmost-longest matching over the flat list of parts `scratch.parts` (`scratch.link[i]`:
/// whether part i may follow part i-1 in a run); what matches is added to the keys found.
fn scan_parts(chars: &[char], numbers: &NumberSet, scratch: &mut Scratch) {
    let max = numbers.max_parts.max(1);
    let Scratch {
        parts,
        link,
        key,
        found_text,
        found,
        ..
    } = scratch;
    let mut i = 0;
    while i < parts.len() {
        let mut end = i;
        while end + 1 < parts.len() && link[end + 1] && end + 1 - i < max {
            end += 1;
        }
        let mut matched = None;
        for j in (i..=end).rev() {
            if !parts[i..=j].iter().any(|p| p.digit) {
                continue;
            }
            // The run's text: inside a token keep the separator (it ends a digit run for the
            // key); across tokens a space does the same.
            let text = parts[i..=j].iter().enumerate().flat_map(|(k, p)| {
                let joint = (k > 0).then(|| p.sep.unwrap_or(' '));
                joint
                    .into_iter()
                    .chain(chars[p.start..p.end].iter().copied())
            });
            // One buffer for the key of every candidate run.
            key.clear();
            invoice_key_nfkc_into(text, key);
            if usable_key(key) && numbers.keys.contains(key) {
                matched = Some(j);
                break;
            }
        }
        match matched {
            Some(j) => {
                add_found(found_text, found, key);
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(memo: &str, numbers: &[&str]) -> Vec<String> {
        scan_memo(memo, &NumberSet::of(numbers))
    }

    #[test]
    fn finds_several_numbers_in_hebrew_and_english() {
        let n = ["1043", "1044", "1045"];
        assert_eq!(
            scan("תשלום עבור חשבוניות 1043, 1044 ו-1045", &n),
            ["1043", "1044", "1045"]
        );
        assert_eq!(scan("חשבונית 1045 ו1043", &n), ["1045", "1043"]);
        assert_eq!(scan("inv 1043", &n), ["1043"]);
        assert_eq!(scan("INV-1043/INV-1044", &n), ["1043", "1044"]);
        assert_eq!(scan("1043/1044", &n), ["1043", "1044"]);
        assert_eq!(scan("Inv#1044; #1043 (1045)", &n), ["1044", "1043", "1045"]);
        assert_eq!(scan("1043 1043 again", &n), ["1043"]);
    }

    #[test]
    fn prefixed_numbers_match_with_or_without_the_prefix() {
        let n = ["INV-1043", "INV-1044", "2026/0012"];
        assert_eq!(scan("INV-1043/INV-1044", &n), ["INV1043", "INV1044"]);
        assert_eq!(scan("inv 1043 and inv1044", &n), ["INV1043", "INV1044"]);
        assert_eq!(scan("No. INV 1043", &n), ["INV1043"]);
        assert_eq!(scan("ref 2026/12 and 2026-0012", &n), ["202612"]);
        // The bare number is not the invoice when invoices carry a prefix.
        assert!(scan("1043", &n).is_empty());
    }

    #[test]
    fn amounts_dates_and_phones_are_not_numbers() {
        let n = ["1043", "1044", "2026", "1104", "4300", "123"];
        assert!(scan("paid 1,043.00 on 10.43.2026", &n).is_empty());
        assert!(scan("2026-11-04", &n).is_empty());
        assert!(scan("1043.00", &n).is_empty());
        assert!(scan("1.043,00 EUR", &n).is_empty());
        assert!(scan("₪1043 and 1044 ₪ and 1043 ש\"ח and 1044 ILS and 1043%", &n).is_empty());
        assert!(scan("call 050-123-1043 or 054 123 1044", &n).is_empty());
        assert!(scan("tel 03 123 1043, +972 54 123 1044", &n).is_empty());
        assert!(scan("11/2026 and 04/11", &n).is_empty());
        assert!(scan("10430 and 21043 and A1043", &n).is_empty());
        // A real reference next to an amount still counts.
        assert_eq!(scan("invoice 1044, amount 1,043.00", &n), ["1044"]);
    }

    #[test]
    fn verbatim_numbers_beat_shape_rules() {
        assert_eq!(scan("payment for 12.115", &["12.115"]), ["12115"]);
        assert_eq!(scan("payment for 12.115", &["12115"]), Vec::<String>::new());
    }

    #[test]
    fn hebrew_and_ascii_memos_and_others_are_read_alike() {
        let n = ["1043", "1044"];
        // Only ASCII and Hebrew letters: taken as they stand.
        assert_eq!(scan("תשלום חשבונית 1043 ו1044", &n), ["1043", "1044"]);
        // Full-width digits and a Hebrew point: put in NFKC form first.
        assert_eq!(scan("תשלום חשבונית １０４３", &n), ["1043"]);
        assert_eq!(scan("חֶשְׁבּוֹן 1044", &n), ["1044"]);
    }

    #[test]
    fn one_scratch_scans_memo_after_memo_as_fresh_lists_do() {
        let numbers = NumberSet::of(&["1043", "INV-1044", "12.115", "2026/0012"]);
        let memos = [
            "תשלום עבור חשבוניות 1043 ו-INV 1044, amount 1,043.00",
            "",
            "payment for 12.115 and 1043",
            "no number here",
            "ref 2026/0012; tel 03 123 1043",
            "חשבונית １０４３",
            "INV-1044 INV-1044 1043",
        ];
        let mut scratch = Scratch::default();
        for memo in memos.iter().chain(memos.iter().rev()) {
            scan_memo_with(memo, &numbers, &mut scratch);
            let reused: Vec<&str> = scratch.found().collect();
            assert_eq!(reused, scan_memo(memo, &numbers), "{memo}");
        }
    }

    #[test]
    fn short_and_letter_only_keys_are_ignored() {
        assert!(scan("12 and AB", &["12", "AB"]).is_empty());
    }
}
