//! Canonical forms used to compare names and invoice numbers written by different people and
//! systems: a client name on an invoice, a payer name on a bank line, an invoice number in a
//! free-text memo.

use unicode_normalization::UnicodeNormalization;

/// Legal-form words dropped from the end of a name (after punctuation is removed).
const LEGAL_SUFFIXES: &[&str] = &[
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "gmbh",
    "co",
    "corp",
    "corporation",
    "company",
    "plc",
    "sa",
    "srl",
    "bv",
    "ag",
    "pty",
    "בעמ",
    "בע",
    "מ",
];

/// `char::is_alphanumeric`, answered without the Unicode tables for ASCII and the Hebrew
/// letters, which are almost all of the text of names and memos here: for a Hebrew letter the
/// standard library searches its tables, and a million bank memos made that search a tenth of
/// a run's time.
#[inline]
#[must_use]
pub fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        ('\u{05D0}'..='\u{05EA}').contains(&c) || c.is_alphanumeric()
    }
}

/// `char::is_alphabetic`, answered like [`is_alphanumeric`] without the tables for ASCII and
/// the Hebrew letters.
#[inline]
#[must_use]
pub fn is_alphabetic(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphabetic()
    } else {
        ('\u{05D0}'..='\u{05EA}').contains(&c) || c.is_alphabetic()
    }
}

/// `char::to_lowercase`, without the tables' search for the Hebrew block, which has no case.
#[inline]
pub fn to_lowercase(c: char) -> Lowercase {
    if ('\u{0590}'..='\u{05FF}').contains(&c) {
        Lowercase::Same(Some(c))
    } else {
        Lowercase::Mapped(c.to_lowercase())
    }
}

/// The characters of [`to_lowercase`].
pub enum Lowercase {
    Same(Option<char>),
    Mapped(std::char::ToLowercase),
}

impl Iterator for Lowercase {
    type Item = char;

    #[inline]
    fn next(&mut self) -> Option<char> {
        match self {
            Lowercase::Same(c) => c.take(),
            Lowercase::Mapped(chars) => chars.next(),
        }
    }
}

/// The comparable form of a person's or company's name: Unicode NFKC, lower case, punctuation
/// and Hebrew quote marks removed, runs of spaces folded, and legal suffixes such as `Ltd`,
/// `Inc`, `LLC`, `GmbH` and `בע"מ` dropped from the end.
#[must_use]
pub fn name_key(name: &str) -> String {
    // ASCII text is already in NFKC form; skipping the normaliser is the same result, faster.
    let chars: Box<dyn Iterator<Item = char>> = if name.is_ascii() {
        Box::new(name.chars())
    } else {
        Box::new(name.nfkc())
    };
    let folded: String = chars
        .flat_map(to_lowercase)
        .map(|c| {
            if is_alphanumeric(c) {
                c
            } else if matches!(
                c,
                '\'' | '"' | '\u{05F3}' | '\u{05F4}' | '`' | '\u{2019}' | '\u{201D}'
            ) {
                // Quote marks inside abbreviations (בע"מ, O'Neil) join the letters around them.
                '\u{0}'
            } else {
                ' '
            }
        })
        .filter(|c| *c != '\u{0}')
        .collect();
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

/// The comparable form of an invoice number: spaces, dashes, dots and slashes removed, upper
/// case, and leading zeros of every digit run removed (`INV-000123` -> `INV123`,
/// `0000611365` -> `611365`). A separator ends a digit run, so `2026/0012` -> `202612`.
#[must_use]
pub fn invoice_key(number: &str) -> String {
    // ASCII text is already in NFKC form.
    if number.is_ascii() {
        invoice_key_nfkc(number.chars())
    } else {
        invoice_key_nfkc(number.nfkc())
    }
}

/// [`invoice_key`] for text that is already in NFKC form (memo scanning normalises the whole
/// memo once instead of every candidate run of it).
pub(crate) fn invoice_key_nfkc(chars: impl Iterator<Item = char>) -> String {
    let mut out = String::new();
    invoice_key_nfkc_into(chars, &mut out);
    out
}

/// [`invoice_key_nfkc`] appended to `out`, so that memo scanning can try many candidate runs
/// with one buffer.
pub(crate) fn invoice_key_nfkc_into(chars: impl Iterator<Item = char>, out: &mut String) {
    let mut in_digits = false;
    let mut pending_zero = false;
    for c in chars {
        if is_number_separator(c) {
            // A separator ends the digit run: the next run's leading zeros are dropped too.
            if pending_zero {
                out.push('0');
                pending_zero = false;
            }
            in_digits = false;
            continue;
        }
        if c.is_ascii_digit() {
            if !in_digits && c == '0' {
                pending_zero = true;
                continue;
            }
            in_digits = true;
            pending_zero = false;
            out.push(c);
        } else {
            if pending_zero {
                out.push('0');
                pending_zero = false;
            }
            in_digits = false;
            out.extend(c.to_uppercase());
        }
    }
    if pending_zero {
        out.push('0');
    }
}

/// Characters [`invoice_key`] drops: white space, dashes, dots, slashes and underscores.
pub(crate) fn is_number_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '/' | '_' | '\u{2013}' | '\u{2014}')
}

/// The length of the longest common subsequence of `a` and `b`: textbook dynamic programming,
/// two rows.
#[must_use]
pub fn lcs_len(a: &[char], b: &[char]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for &ca in a {
        for (j, &cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb {
                prev[j] + 1
            } else {
                cur[j].max(prev[j + 1])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The normalised Indel similarity of SPEC section 3: 1 − (insertions + deletions) /
/// (len a + len b), from 0 (nothing shared) to 1 (equal); two empty texts are equal.
#[must_use]
#[allow(clippy::cast_precision_loss)] // lengths of names and headers, far below 2^52
pub fn indel_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    (2 * lcs_len(&a, &b)) as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_case_punctuation_and_legal_suffixes() {
        assert_eq!(name_key("  ACME   Widgets, Ltd. "), "acme widgets");
        assert_eq!(name_key("Acme Widgets Inc"), "acme widgets");
        assert_eq!(name_key("כהן ושות' בע\"מ"), "כהן ושות");
        assert_eq!(name_key("כהן ושות׳ בע״מ"), "כהן ושות");
        assert_eq!(name_key("O'Neil & Sons GmbH"), "oneil sons");
        assert_eq!(name_key("Ｆｕｌｌ Ｗｉｄｔｈ"), "full width");
        // A name that is only a suffix keeps it.
        assert_eq!(name_key("Limited"), "limited");
    }

    #[test]
    fn invoice_numbers_drop_separators_and_leading_zeros() {
        assert_eq!(invoice_key("INV-000123"), "INV123");
        assert_eq!(invoice_key("inv 123"), "INV123");
        assert_eq!(invoice_key("0000611365"), "611365");
        assert_eq!(invoice_key("2026/0012"), "202612");
        assert_eq!(invoice_key("A-0"), "A0");
        assert_eq!(invoice_key("000"), "0");
        assert_eq!(invoice_key("12.11"), "1211");
        assert_eq!(invoice_key("0-0-7"), "007");
        assert_eq!(invoice_key("INV 0012"), invoice_key("inv-12"));
    }
}

#[cfg(test)]
mod fast_path_tests {
    use super::*;

    #[test]
    fn the_fast_paths_answer_as_the_standard_library_does() {
        // Every character of the Basic Multilingual Plane.
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
            assert_eq!(is_alphabetic(c), c.is_alphabetic(), "{c:?}");
            assert!(to_lowercase(c).eq(c.to_lowercase()), "{c:?}");
        }
    }
}
