//! RF creditor references (ISO 11649): `RF`, two check digits, and a body of up to 21 letters
//! and digits, checked modulo 97 like an IBAN (SPEC section 11).
//!
//! An invoice's reference is `RF` + check digits + its number's letters and digits as written
//! (upper case, leading zeros kept, dashes, dots, slashes and spaces dropped); letters print it
//! in groups of four. A number with other characters (Hebrew letters, say) or more than 21
//! letters and digits has no reference.
//!
//! In a memo, a reference may be written in groups of four or in one piece, in any case. A
//! reference whose check digits are wrong is found as a whole and ignored as a whole: its body
//! is never read as an invoice number.

use std::ops::Range;

/// The most letters and digits in a reference's body.
const MAX_BODY: usize = 21;

/// The body of the reference of invoice `number`: its ASCII letters and digits in upper case,
/// `None` when it has another letter or digit, none at all, or more than 21.
#[must_use]
pub fn body(number: &str) -> Option<String> {
    let mut out = String::with_capacity(number.len());
    for c in number.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if c.is_alphanumeric() {
            return None;
        }
    }
    (!out.is_empty() && out.len() <= MAX_BODY).then_some(out)
}

/// `text` (ASCII letters and digits) modulo 97, letters counting as 10 (`A`) to 35 (`Z`).
fn mod97(text: impl Iterator<Item = char>) -> u32 {
    let mut rest = 0u32;
    for c in text {
        let Some(v) = c.to_digit(36) else {
            continue;
        };
        rest = if v >= 10 {
            (rest * 100 + v) % 97
        } else {
            (rest * 10 + v) % 97
        };
    }
    rest
}

/// The RF reference of invoice `number`, without spaces (`RF18INV1043`), or `None` when the
/// number has none (see [`body`]).
#[must_use]
pub fn reference(number: &str) -> Option<String> {
    let body = body(number)?;
    let rest = mod97(body.chars().chain("RF00".chars()));
    Some(format!("RF{:02}{body}", 98 - rest))
}

/// `reference` in groups of four, as printed (`RF18 INV1 043`).
#[must_use]
pub fn grouped(reference: &str) -> String {
    let mut out = String::with_capacity(reference.len() + reference.len() / 4);
    for (i, c) in reference.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Whether `text` is a valid RF reference, spaces and case ignored.
#[must_use]
pub fn is_valid(text: &str) -> bool {
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    valid_compact(&compact)
}

fn valid_compact(compact: &str) -> bool {
    let b = compact.as_bytes();
    if b.len() < 5
        || b.len() > 4 + MAX_BODY
        || !compact.starts_with("RF")
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    mod97(compact[4..].chars().chain(compact[..4].chars())) == 1
}

/// An RF reference written in a memo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Where it stands in the memo (bytes).
    pub span: Range<usize>,
    /// The body when the check digits are right; `None` when they are wrong.
    pub body: Option<String>,
}

/// Whether `memo` may hold an RF reference at all (a cheap test before [`find`]).
#[must_use]
pub fn may_hold(memo: &str) -> bool {
    memo.as_bytes()
        .windows(2)
        .any(|w| w[0].eq_ignore_ascii_case(&b'r') && w[1].eq_ignore_ascii_case(&b'f'))
}

/// The RF references in `memo`, in memo order. A word that begins `RF` and two digits starts
/// one; while the words read so far are groups of exactly four, the next short group of
/// letters and digits may continue it. Of the possible lengths the longest with right check
/// digits wins; when none has them, the longest is returned as invalid.
#[must_use]
pub fn find(memo: &str) -> Vec<Found> {
    let mut found = Vec::new();
    if !may_hold(memo) {
        return found;
    }
    // Words with their byte ranges, trimmed of punctuation around them.
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (i, c) in memo
        .char_indices()
        .chain(std::iter::once((memo.len(), ' ')))
    {
        let inside = c.is_ascii_alphanumeric() || (!c.is_whitespace() && !c.is_ascii_punctuation());
        match (inside, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                words.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    let mut w = 0;
    while w < words.len() {
        let (s, e) = words[w];
        let first = &memo[s..e];
        let head = first.as_bytes();
        let starts = head.len() >= 4
            && head[0].eq_ignore_ascii_case(&b'r')
            && head[1].eq_ignore_ascii_case(&b'f')
            && head[2].is_ascii_digit()
            && head[3].is_ascii_digit()
            && head.iter().all(u8::is_ascii_alphanumeric);
        if !starts || (head.len() == 4 && w + 1 == words.len()) {
            w += 1;
            continue;
        }
        // The lengths it may have: words w..=k for each candidate k.
        let mut compact = first.to_ascii_uppercase();
        let mut candidates: Vec<(usize, String)> = vec![(w, compact.clone())];
        let mut last_len = head.len();
        let mut next = w + 1;
        while last_len == 4 && next < words.len() {
            let (ns, ne) = words[next];
            let word = &memo[ns..ne];
            // Only spaces between groups.
            if !memo[words[next - 1].1..ns].chars().all(char::is_whitespace)
                || word.len() > 4
                || !word.bytes().all(|b| b.is_ascii_alphanumeric())
                || compact.len() + word.len() > 4 + MAX_BODY
            {
                break;
            }
            compact.push_str(&word.to_ascii_uppercase());
            candidates.push((next, compact.clone()));
            last_len = word.len();
            next += 1;
        }
        let valid = candidates
            .iter()
            .rev()
            .find(|(_, text)| valid_compact(text));
        let (upto, body) = match valid {
            Some((upto, text)) => (*upto, Some(text[4..].to_string())),
            None => {
                let (upto, text) = candidates.last().map_or((w, ""), |(u, t)| (*u, t));
                if text.len() < 5 {
                    w += 1;
                    continue;
                }
                (upto, None)
            }
        };
        found.push(Found {
            span: s..words[upto].1,
            body,
        });
        w = upto + 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_is_valid() {
        // ISO 11649's own example.
        assert!(is_valid("RF18 5390 0754 7034"));
        assert!(is_valid("rf18539007547034"));
        assert!(!is_valid("RF19 5390 0754 7034"));
        assert!(!is_valid("RF18 5390 0754 7035"));
        assert_eq!(
            reference("539007547034").as_deref(),
            Some("RF18539007547034")
        );
    }

    #[test]
    fn invoice_numbers_keep_letters_digits_and_leading_zeros() {
        let rf = reference("INV-0007").expect("a reference");
        assert!(rf.starts_with("RF") && rf.ends_with("INV0007"));
        assert!(is_valid(&rf));
        assert!(is_valid(&grouped(&rf)));
        assert!(is_valid(&grouped(&rf).to_lowercase()));
        assert_eq!(grouped("RF18539007547034"), "RF18 5390 0754 7034");
        assert_eq!(reference("חשבונית 12"), None);
        assert_eq!(reference("--"), None);
        assert_eq!(reference(&"9".repeat(22)), None);
        assert!(reference(&"9".repeat(21)).is_some());
    }

    #[test]
    fn memos_hold_references_in_groups_or_in_one_piece() {
        let rf = grouped(&reference("2026-0045").expect("a reference"));
        let memo = format!("payment {rf}, thanks");
        let found = find(&memo);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].body.as_deref(), Some("20260045"));
        assert_eq!(&memo[found[0].span.clone()], rf);
        let lower = format!("ref:{}", rf.replace(' ', "").to_lowercase());
        assert_eq!(find(&lower)[0].body.as_deref(), Some("20260045"));
        // A following word is not swallowed.
        let memo = format!("{rf} 2026");
        assert_eq!(find(&memo)[0].body.as_deref(), Some("20260045"));
    }

    #[test]
    fn wrong_check_digits_are_found_and_marked_invalid() {
        let found = find("RF00 2026 0045, paid");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].body, None);
        assert_eq!(found[0].span, 0..14);
        assert!(find("surf 1043, rf").is_empty());
        assert!(find("RF12").is_empty());
    }
}
