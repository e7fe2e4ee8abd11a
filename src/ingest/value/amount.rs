//! Amount cells: numbers from a spreadsheet and text in the usual written forms (thousands
//! separators, decimal comma or point, currency signs and codes, minus signs and parentheses)
//! read into an exact [`Decimal`] with the currency named beside it; and rates in percent.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::parse_currency;
use crate::ingest::table::Cell;

const AMOUNT_FORMS: &str = "write it as 1234.56, 1,234.56, 1.234,56, ₪1,234 or (120.00)";

/// An amount as written, before rounding: the signed value and the currency named beside it,
/// if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedAmount {
    pub value: Decimal,
    /// ISO code of a currency sign or code written in the cell (`₪`, `$`, `ILS`, `ש"ח`).
    pub currency: Option<String>,
}

/// Reads an amount cell into an exact decimal, not yet rounded (round with
/// [`crate::model::round_money`]).
///
/// A numeric cell is converted through the float's shortest decimal representation, so
/// `2.345` stays `2.345` and `0.1 + 0.2` becomes `0.30000000000000004`, never a binary
/// expansion. Text may carry:
/// - thousands separators `,` `.` space (also U+00A0 and U+202F) or `'`, in groups of three;
/// - a decimal separator `.` or `,`. When both `,` and `.` appear, the last one is the decimal
///   separator. When only one of them appears, once, followed by exactly three digits and
///   preceded by one to three digits (not a lone `0`), it is a **thousands** separator:
///   `1,234` and `1.234` are 1234, because money has two minor digits; otherwise it is the
///   decimal separator (`1,5` is 1.5, `0.125` is 0.125, `1234.567` is 1234.567). When a space
///   or `'` already groups the thousands, a `,` or `.` is always the decimal separator;
/// - a currency sign or code before or after the number (`₪1,234`, `$ 99`, `5000 ILS`,
///   `5,000 ש"ח`), returned as an ISO code; the same currency written twice (`$100 USD`) is
///   accepted;
/// - a sign: `-120`, `−120` (U+2212), `120.00-`, `(120.00)` are negative, `+100` positive.
///
/// # Errors
/// A message naming the value and what is wrong: empty, no digits, two numbers, a word that is
/// not a currency, two different currencies, digit groups not in threes (`1,23,4.5`), more than
/// one sign, unbalanced parentheses, too large; or a cell that is a yes/no value, a date or a
/// spreadsheet error (`#REF!`), not a number.
pub fn parse_amount(cell: &Cell) -> Result<ParsedAmount, String> {
    match cell {
        Cell::Number(f) => decimal_from_f64(*f)
            .map(|value| ParsedAmount {
                value,
                currency: None,
            })
            .ok_or_else(|| {
                format!("\"{f}\" is not an amount: it is not a finite number within range")
            }),
        Cell::Text(text) => parse_amount_text(text),
        Cell::Empty => Err(format!("no amount given; {AMOUNT_FORMS}")),
        Cell::Bool(b) => Err(format!(
            "\"{}\" is a yes/no value, not an amount; {AMOUNT_FORMS}",
            if *b { "TRUE" } else { "FALSE" }
        )),
        Cell::Date(d) => Err(format!(
            "\"{}\" is a date, not an amount; check that the column holds amounts",
            d.format("%Y-%m-%d")
        )),
        Cell::Error(e) => Err(format!(
            "\"{e}\" is a spreadsheet error, not an amount; fix the formula in the sheet"
        )),
    }
}

/// A float as the decimal it prints as (Rust's `Display` for floats is the shortest
/// round-trip form and never uses an exponent). `None` for NaN, infinities and magnitudes
/// beyond `Decimal`.
fn decimal_from_f64(f: f64) -> Option<Decimal> {
    if !f.is_finite() {
        return None;
    }
    let mut value = Decimal::from_str(&format!("{f}")).ok()?;
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    Some(value.normalize())
}

#[derive(Debug)]
enum Token {
    Number(String),
    Word(String),
    Minus,
    Plus,
    Open,
    Close,
}

/// Characters that may sit between digits of one number.
fn is_number_separator(c: char) -> bool {
    matches!(c, ',' | '.' | '\'' | ' ')
}

/// Splits an amount text into numbers, words, signs and parentheses. Whitespace is folded to
/// a plain space first; inside a number a single space is a thousands separator.
fn tokenize_amount(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{2212}' | '\u{2012}' | '\u{2013}' => '-',
            '\u{2019}' | '\u{02BC}' => '\'',
            c if c.is_whitespace() => ' ',
            c => c,
        })
        .collect();
    let digit_at = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit()
            || (matches!(c, '.' | ',') && digit_at(i + 1) && !word_ends_in_letter(&word));
        if starts_number {
            if !word.is_empty() {
                tokens.push(Token::Word(std::mem::take(&mut word)));
            }
            let mut number = String::from(c);
            i += 1;
            while i < chars.len() {
                let c = chars[i];
                if c.is_ascii_digit() || (is_number_separator(c) && digit_at(i + 1)) {
                    number.push(c);
                    i += 1;
                } else {
                    break;
                }
            }
            tokens.push(Token::Number(number));
            continue;
        }
        let token = match c {
            ' ' => None,
            '-' => Some(Token::Minus),
            '+' => Some(Token::Plus),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            _ => {
                word.push(c);
                i += 1;
                continue;
            }
        };
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(&mut word)));
        }
        tokens.extend(token);
        i += 1;
    }
    if !word.is_empty() {
        tokens.push(Token::Word(word));
    }
    tokens
}

/// `Rs.500` is the word `Rs.` and the number 500, but `$.50` is the sign `$` and 0.50.
fn word_ends_in_letter(word: &str) -> bool {
    word.chars().last().is_some_and(char::is_alphanumeric)
}

fn parse_amount_text(raw: &str) -> Result<ParsedAmount, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(format!("no amount given; {AMOUNT_FORMS}"));
    }
    if let Some(value) = plain_amount(text) {
        return Ok(ParsedAmount {
            value,
            currency: None,
        });
    }
    general_amount(text)
}

/// The amount of a text in one of the shapes bank and ledger exports write nearly every amount
/// in (`1234`, `-1234.5`, `21,830.00`), read as [`general_amount`] reads it but without its
/// tokens and their strings (at a million rows, allocating those was much of the amounts'
/// parsing).
/// `None` for any other text, and for the shapes whose reading needs the general rules
/// (`1.234` as a thousand and more, `1,234` or `12,5` without a decimal point).
// Splitting by a closure, not by the `char`: a `char` pattern confirms each match through a
// call to the C library's `memcmp`.
#[allow(clippy::manual_pattern_char_comparison)]
fn plain_amount(text: &str) -> Option<Decimal> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (int_part, fraction) = match body.bytes().position(|b| b == b'.') {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    if fraction.is_some_and(|f| !digits(f)) {
        return None;
    }
    let mut grouped = String::new();
    let canonical = if digits(int_part) {
        if fraction
            .is_some_and(|f| f.len() == 3 && (1..=3).contains(&int_part.len()) && int_part != "0")
        {
            return None;
        }
        body
    } else {
        // Thousands by commas, and a decimal point.
        let fraction = fraction?;
        let mut groups = int_part.split(|c: char| c == ',');
        let first = groups.next()?;
        if first.len() > 3 || !digits(first) {
            return None;
        }
        grouped.push_str(first);
        let mut more = false;
        for group in groups {
            if group.len() != 3 || !digits(group) {
                return None;
            }
            grouped.push_str(group);
            more = true;
        }
        if !more {
            return None;
        }
        grouped.push('.');
        grouped.push_str(fraction);
        &grouped
    };
    let mut value = Decimal::from_str(canonical).ok()?;
    if negative {
        value.set_sign_negative(true);
    }
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    Some(value)
}

/// The amount of any text, by its tokens (see the module's documentation).
fn general_amount(text: &str) -> Result<ParsedAmount, String> {
    let fail = |why: &str| format!("\"{text}\" is not an amount: {why}; {AMOUNT_FORMS}");
    let tokens = tokenize_amount(text);

    let numbers: Vec<(usize, &str)> = tokens
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::Number(n) => Some((i, n.as_str())),
            _ => None,
        })
        .collect();
    let mut currency: Option<String> = None;
    for token in &tokens {
        if let Token::Word(w) = token {
            let Some(code) = parse_currency(w) else {
                return Err(fail(&format!("\"{w}\" is not a currency sign or code")));
            };
            match &currency {
                Some(seen) if *seen != code => {
                    return Err(fail(&format!(
                        "it names two currencies ({seen} and {code})"
                    )));
                }
                _ => currency = Some(code),
            }
        }
    }
    let (at, body) = match numbers.as_slice() {
        [] => return Err(fail("it has no digits")),
        [one] => *one,
        [first, second, ..] => {
            return Err(fail(&format!(
                "it holds two numbers (\"{}\" and \"{}\")",
                first.1, second.1
            )))
        }
    };

    let count =
        |range: &[Token], want: fn(&Token) -> bool| range.iter().filter(|t| want(t)).count();
    let (before, after) = (&tokens[..at], &tokens[at + 1..]);
    let minus =
        count(before, |t| matches!(t, Token::Minus)) + count(after, |t| matches!(t, Token::Minus));
    let plus_before = count(before, |t| matches!(t, Token::Plus));
    let plus_after = count(after, |t| matches!(t, Token::Plus));
    let open = count(before, |t| matches!(t, Token::Open));
    let close = count(after, |t| matches!(t, Token::Close));
    let misplaced_parens =
        count(after, |t| matches!(t, Token::Open)) + count(before, |t| matches!(t, Token::Close));
    if open != close || open > 1 || misplaced_parens > 0 {
        return Err(fail("its parentheses do not enclose the number"));
    }
    if minus + open + plus_before > 1 || plus_after > 0 {
        return Err(fail(
            "it has more than one sign, or a sign in the wrong place",
        ));
    }

    let canonical = canonical_number(body).map_err(fail)?;
    let mut value = Decimal::from_str(&canonical).map_err(|_| fail("it is too large"))?;
    if minus + open > 0 {
        value.set_sign_negative(true);
    }
    if value.is_zero() {
        value.set_sign_positive(true);
    }
    Ok(ParsedAmount { value, currency })
}

/// The digits of one number with its separators resolved, as `1234.56`. The error is the
/// reason only.
fn canonical_number(body: &str) -> Result<String, &'static str> {
    const BAD_GROUPS: &str = "its digit groups are not in threes";
    let is_digit = |c: char| c.is_ascii_digit();
    let count_of = |ch: char| body.chars().filter(|c| *c == ch).count();
    let (commas, dots) = (count_of(','), count_of('.'));
    let other_grouping = body.contains([' ', '\'']);

    let decimal_at: Option<usize> = if commas > 0 && dots > 0 {
        let at = body.rfind([',', '.']).unwrap_or(0);
        let ch = if body[at..].starts_with(',') {
            ','
        } else {
            '.'
        };
        if count_of(ch) > 1 {
            return Err(BAD_GROUPS);
        }
        Some(at)
    } else if commas + dots == 1 {
        let at = body.find([',', '.']).unwrap_or(0);
        let (before, after) = (&body[..at], &body[at + 1..]);
        let thousands = !other_grouping
            && after.len() == 3
            && after.chars().all(is_digit)
            && (1..=3).contains(&before.len())
            && before.chars().all(is_digit)
            && before != "0";
        (!thousands).then_some(at)
    } else {
        None
    };

    let (int_part, fraction) = match decimal_at {
        Some(at) => (&body[..at], &body[at + 1..]),
        None => (body, ""),
    };
    if !fraction.chars().all(is_digit) {
        return Err("it has separators after the decimal point");
    }
    let mut group_chars = int_part.chars().filter(|c| !c.is_ascii_digit());
    let mut digits = String::with_capacity(body.len());
    if let Some(sep) = group_chars.next() {
        if group_chars.any(|c| c != sep) {
            return Err("it mixes different thousands separators");
        }
        let mut groups = int_part.split(sep);
        let first = groups.next().unwrap_or("");
        if first.is_empty() || first.len() > 3 {
            return Err(BAD_GROUPS);
        }
        digits.push_str(first);
        for group in groups {
            if group.len() != 3 {
                return Err(BAD_GROUPS);
            }
            digits.push_str(group);
        }
    } else {
        digits.push_str(int_part);
    }
    if digits.is_empty() {
        digits.push('0');
    }
    if !fraction.is_empty() {
        digits.push('.');
        digits.push_str(fraction);
    }
    Ok(digits)
}

/// A rate in percent from 0 to 100: `5`, `5%`, `7.5 %` as text or number. A number cell
/// between 0 and 1 is a spreadsheet percentage (a cell showing 5% holds 0.05).
///
/// # Errors
/// The cell is not a number, or the rate is negative or above 100.
pub fn parse_percent(cell: &Cell) -> Result<Decimal, String> {
    let (text, fraction) = match cell {
        Cell::Number(n) if *n > 0.0 && *n < 1.0 => (format!("{}", n * 100.0), true),
        Cell::Number(n) => (format!("{n}"), false),
        other => (other.display(), false),
    };
    let trimmed = text.trim().trim_end_matches('%').trim();
    let rate: Decimal = trimmed.parse().map_err(|_| {
        format!(
            "\"{}\" is not a rate in percent (write it as 5 or 5%)",
            cell.display()
        )
    })?;
    // A fraction read from a percentage cell keeps no float noise (0.07 * 100).
    let rate = if fraction {
        rate.round_dp(6).normalize()
    } else {
        rate.normalize()
    };
    if rate < Decimal::ZERO || rate > Decimal::ONE_HUNDRED {
        return Err(format!(
            "a rate of {rate}% is not possible: write a rate from 0 to 100 (percent)"
        ));
    }
    Ok(rate)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::ingest::value::tests::{text, ymd};

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn amount(s: &str) -> (Decimal, Option<String>) {
        let parsed = parse_amount(&text(s)).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        (parsed.value, parsed.currency)
    }

    fn amount_err(s: &str) -> String {
        match parse_amount(&text(s)) {
            Ok(p) => panic!("{s:?} parsed as {p:?}"),
            Err(e) => e,
        }
    }

    proptest! {
        /// The shapes read without tokens read as the general rules read them, to the
        /// decimal's scale; everything else is left to the general rules.
        #[test]
        fn plain_amounts_read_as_the_general_rules_read_them(
            text in "-?[0-9,.]{0,12}|-?[0-9]{1,4}(,[0-9]{2,4}){0,3}(\\.[0-9]{0,4})?",
        ) {
            if let Some(plain) = plain_amount(&text) {
                let general = general_amount(&text).map(|p| (p.value, p.currency));
                let plain = (plain, None);
                prop_assert_eq!(Ok(&plain), general.as_ref());
                prop_assert_eq!(plain.0.scale(), general.unwrap().0.scale());
            }
        }
    }

    #[test]
    fn plain_amounts_cover_the_common_shapes() {
        for (text, value) in [
            ("1234", "1234"),
            ("-1234.5", "-1234.5"),
            ("21,830.00", "21830.00"),
            ("1,234,567.89", "1234567.89"),
            ("0.123", "0.123"),
            ("-0", "0"),
            ("007.50", "7.50"),
        ] {
            assert_eq!(plain_amount(text), Some(dec(value)), "{text}");
            assert_eq!(amount(text), (dec(value), None), "{text}");
        }
        for text in [
            "1.234",
            "1,234",
            "12,5",
            "1,23.00",
            ".5",
            "5.",
            "+5",
            "1 234",
            "1,234,5.0",
        ] {
            assert_eq!(plain_amount(text), None, "{text}");
        }
    }

    #[test]
    fn amounts_from_spec_examples() {
        assert_eq!(amount("1,234.56"), (dec("1234.56"), None));
        assert_eq!(amount("1.234,56"), (dec("1234.56"), None));
        assert_eq!(amount("₪1,234"), (dec("1234"), Some("ILS".into())));
        assert_eq!(amount("$ 99"), (dec("99"), Some("USD".into())));
        assert_eq!(amount("(120.00)"), (dec("-120.00"), None));
        assert_eq!(amount("120.00-"), (dec("-120.00"), None));
        assert_eq!(amount("ILS 5000"), (dec("5000"), Some("ILS".into())));
    }

    #[test]
    fn amounts_in_other_written_forms() {
        let ils = Some("ILS".to_string());
        for (input, value, currency) in [
            ("1234.56", "1234.56", None),
            ("1 234,56", "1234.56", None),
            ("1\u{A0}234,56", "1234.56", None),
            ("1\u{202F}234,56", "1234.56", None),
            ("12 345 678.9", "12345678.9", None),
            ("1'234.50", "1234.50", None),
            ("1’234.50", "1234.50", None),
            ("1,234,567", "1234567", None),
            ("1.234.567,89", "1234567.89", None),
            ("99 $", "99", Some("USD".to_string())),
            ("$100 USD", "100", Some("USD".to_string())),
            ("€12,50", "12.50", Some("EUR".to_string())),
            ("5000 ILS", "5000", ils.clone()),
            ("5000ILS", "5000", ils.clone()),
            ("5,000.00 ש\"ח", "5000.00", ils.clone()),
            ("5,000 ש״ח", "5000", ils.clone()),
            ("NIS 10", "10", ils.clone()),
            ("-120", "-120", None),
            ("−120", "-120", None),
            ("- 120", "-120", None),
            ("-₪120", "-120", ils.clone()),
            ("₪-120", "-120", ils.clone()),
            ("(₪120)", "-120", ils.clone()),
            ("₪ (1,200.50)", "-1200.50", ils.clone()),
            ("120- ₪", "-120", ils.clone()),
            ("+100", "100", None),
            ("0", "0", None),
            ("-0", "0", None),
            ("0.00", "0.00", None),
            (".50", "0.50", None),
            ("$.50", "0.50", Some("USD".to_string())),
            ("2.3456", "2.3456", None),
        ] {
            assert_eq!(amount(input), (dec(value), currency), "{input}");
        }
        assert!(amount("-0").0.is_sign_positive(), "no negative zero");
    }

    #[test]
    fn single_separator_rule() {
        // One `,` or `.` followed by exactly three digits groups thousands.
        assert_eq!(amount("1,234").0, dec("1234"));
        assert_eq!(amount("1.234").0, dec("1234"));
        assert_eq!(amount("123,456").0, dec("123456"));
        assert_eq!(
            amount("2.345").0,
            dec("2345"),
            "text is read as money, not as a float"
        );
        // Otherwise it is the decimal separator.
        assert_eq!(amount("1,5").0, dec("1.5"));
        assert_eq!(amount("1,50").0, dec("1.50"));
        assert_eq!(amount("0.125").0, dec("0.125"));
        assert_eq!(amount("0,500").0, dec("0.5"));
        assert_eq!(amount("1234.567").0, dec("1234.567"));
        assert_eq!(amount("1,2345").0, dec("1.2345"));
        // With space or apostrophe groups, the `,` or `.` is the decimal separator.
        assert_eq!(amount("1 234,567").0, dec("1234.567"));
        assert_eq!(amount("1'234.500").0, dec("1234.5"));
        // With both, the last one is decimal.
        assert_eq!(amount("1.234,5").0, dec("1234.5"));
        assert_eq!(amount("1,234.5").0, dec("1234.5"));
    }

    #[test]
    fn amount_text_errors_name_value_and_reason() {
        for (input, reason) in [
            ("abc", "\"abc\" is not a currency"),
            ("12abc", "\"abc\" is not a currency"),
            ("12 Nov", "\"Nov\" is not a currency"),
            ("$", "no digits"),
            ("-", "no digits"),
            ("10 20", "not in threes"),
            ("10  20", "two numbers (\"10\" and \"20\")"),
            ("10 USD 20", "two numbers"),
            ("$10 €", "two currencies (USD and EUR)"),
            ("1,23,4.5", "not in threes"),
            ("12,34,567", "not in threes"),
            ("1,234.567.8", "not in threes"),
            ("1234,567.89", "not in threes"),
            ("1.234 567,8", "mixes different thousands separators"),
            ("1,234.56 7", "separators after the decimal point"),
            ("(120", "parentheses"),
            ("120)", "parentheses"),
            (")120(", "parentheses"),
            ("((120))", "parentheses"),
            ("-(120)", "more than one sign"),
            ("--120", "more than one sign"),
            ("-120-", "more than one sign"),
            ("+-120", "more than one sign"),
            ("120+", "sign in the wrong place"),
            ("1.5E+3", "\"E\" is not a currency"),
            ("99999999999999999999999999999999", "too large"),
            ("1,,234", "is not"),
        ] {
            let err = amount_err(input);
            assert!(
                err.starts_with(&format!("\"{input}\" is not an amount: ")),
                "{err}"
            );
            assert!(err.contains(reason), "{input}: {err}");
            assert!(err.contains("1,234.56"), "names the accepted forms: {err}");
        }
    }

    #[test]
    fn amount_cells_that_are_not_numbers() {
        assert!(amount_err("").contains("no amount"));
        assert!(amount_err("  ").contains("no amount"));
        assert!(parse_amount(&Cell::Empty)
            .unwrap_err()
            .contains("no amount"));
        let err = parse_amount(&Cell::Error("#REF!".into())).unwrap_err();
        assert!(
            err.contains("\"#REF!\"") && err.contains("spreadsheet error"),
            "{err}"
        );
        let err = parse_amount(&Cell::Bool(false)).unwrap_err();
        assert!(err.contains("\"FALSE\""), "{err}");
        let err = parse_amount(&Cell::Date(ymd(2026, 11, 30))).unwrap_err();
        assert!(err.contains("\"2026-11-30\" is a date"), "{err}");
    }

    #[test]
    fn amounts_from_float_cells_keep_their_decimal_form() {
        let num = |f: f64| parse_amount(&Cell::Number(f)).map(|p| p.value);
        assert_eq!(num(2.345), Ok(dec("2.345")));
        assert_eq!(num(1234.56), Ok(dec("1234.56")));
        assert_eq!(num(-120.0), Ok(dec("-120")));
        assert_eq!(num(0.1 + 0.2), Ok(dec("0.30000000000000004")));
        assert_eq!(num(1e21), Ok(dec("1000000000000000000000")));
        assert_eq!(num(1e-7), Ok(dec("0.0000001")));
        assert_eq!(num(-0.0), Ok(Decimal::ZERO));
        assert!(num(-0.0).unwrap().is_sign_positive());
        assert!(num(1e-40).is_ok_and(|d| d.abs() < dec("0.0000000001")));
        assert_eq!(parse_amount(&Cell::Number(5.0)).unwrap().currency, None);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e30] {
            let err = num(bad).unwrap_err();
            assert!(err.contains("is not an amount"), "{err}");
        }
        // The caller rounds half away from zero.
        assert_eq!(
            crate::model::round_money(num(2.345).unwrap(), "ILS"),
            dec("2.35")
        );
    }

    /// Groups the digits of a whole number in threes with `sep`.
    fn group(int: u64, sep: &str) -> String {
        let digits = int.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(c);
        }
        out
    }

    proptest! {
        #[test]
        fn formatted_amounts_parse_back_exactly(
            int in 0u64..1_000_000_000_000,
            cents in 0u64..100,
            decimals in 0usize..=2,
            style in 0usize..4,
            negative in any::<bool>(),
            sign_style in 0usize..3,
            currency in 0usize..4,
        ) {
            let (group_sep, decimal_sep) = [(",", "."), (".", ","), (" ", ","), ("'", ".")][style];
            let mut body = group(int, group_sep);
            let scaled = match decimals {
                0 => int * 100,
                1 => {
                    body.push_str(decimal_sep);
                    body.push_str(&(cents / 10).to_string());
                    int * 100 + cents / 10 * 10
                }
                _ => {
                    body.push_str(decimal_sep);
                    body.push_str(&format!("{cents:02}"));
                    int * 100 + cents
                }
            };
            let signed = if negative {
                match sign_style {
                    0 => format!("-{body}"),
                    1 => format!("({body})"),
                    _ => format!("{body}-"),
                }
            } else {
                body
            };
            let (written, code) = [
                (signed.clone(), None),
                (format!("₪{signed}"), Some("ILS")),
                (format!("{signed} EUR"), Some("EUR")),
                (format!("$ {signed}"), Some("USD")),
            ][currency].clone();
            let parsed = parse_amount(&Cell::Text(written.as_str().into()));
            let mut expected = Decimal::from_i128_with_scale(i128::from(scaled), 2);
            if negative && scaled != 0 {
                expected.set_sign_negative(true);
            }
            prop_assert_eq!(
                parsed,
                Ok(ParsedAmount { value: expected, currency: code.map(str::to_string) }),
                "{}", written
            );
        }
    }
}
