//! How letters print money and dates, and the escaping of data for each output language.
//!
//! Money: the currency sign, thousands separators and exactly the currency's minor digits
//! (`₪1,234.50`, `$1,234.50`, `-€12.00`); a currency without a sign known here prints its code
//! (`CHF 1,234.50`). Dates: `30 November 2026` in English, `30/11/2026` in Hebrew and every
//! other language.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::model::{format_money, MONTH_NAMES};

/// The sign printed before an amount, or `None` when the code is printed instead.
fn currency_sign(currency: &str) -> Option<&'static str> {
    Some(match currency {
        "ILS" => "₪",
        "USD" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => return None,
    })
}

/// `₪1,234.50`: sign, thousands separators, the currency's minor digits.
#[must_use]
pub fn money(value: Decimal, currency: &str) -> String {
    let plain = format_money(value, currency);
    let (negative, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.as_str()),
    };
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 4);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if let Some(f) = fraction {
        grouped.push('.');
        grouped.push_str(f);
    }
    let sign = if negative { "-" } else { "" };
    match currency_sign(currency) {
        Some(symbol) => format!("{sign}{symbol}{grouped}"),
        None => format!("{sign}{currency} {grouped}"),
    }
}

/// A date as a letter in `language` writes it.
#[must_use]
pub fn date(value: NaiveDate, language: &str) -> String {
    if language == "en" {
        format!(
            "{} {} {}",
            value.day(),
            MONTH_NAMES[value.month0() as usize],
            value.year()
        )
    } else {
        value.format("%d/%m/%Y").to_string()
    }
}

/// A date as a letter's table writes it, where columns are narrow: `8 Sep 2026` in English,
/// as [`date`] otherwise.
#[must_use]
pub fn short_date(value: NaiveDate, language: &str) -> String {
    if language == "en" {
        let month = MONTH_NAMES[value.month0() as usize];
        format!("{} {} {}", value.day(), &month[..3], value.year())
    } else {
        date(value, language)
    }
}

/// Escapes text for Typst markup: every ASCII punctuation character gets a backslash (Typst
/// reads `\` + any character as that character), and line breaks become spaces. Data escaped
/// this way can never start code (`#`), math (`$`), a label, a reference, a comment or a raw
/// block, whatever it holds.
#[must_use]
pub fn typst_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for c in text.chars() {
        match c {
            '\r' | '\n' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, `"` and
/// `'` (Tera's own escaping also rewrites `/`, which makes every date unreadable in the source).
#[must_use]
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 (RFC 4648, with padding), for the logo's data URI.
#[must_use]
pub fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn money_has_sign_separators_and_minor_digits() {
        assert_eq!(money(d("1234.5"), "ILS"), "₪1,234.50");
        assert_eq!(money(d("1234.5"), "USD"), "$1,234.50");
        assert_eq!(money(d("999"), "EUR"), "€999.00");
        assert_eq!(money(d("1234567.891"), "GBP"), "£1,234,567.89");
        assert_eq!(money(d("-12"), "ILS"), "-₪12.00");
        assert_eq!(money(d("1500"), "JPY"), "¥1,500");
        assert_eq!(money(d("100000"), "CHF"), "CHF 100,000.00");
        assert_eq!(money(d("0"), "ILS"), "₪0.00");
    }

    #[test]
    fn dates_follow_the_language() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert_eq!(date(day, "en"), "30 November 2026");
        assert_eq!(date(day, "he"), "30/11/2026");
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert_eq!(date(day, "en"), "5 January 2026");
        assert_eq!(date(day, "he"), "05/01/2026");
    }

    #[test]
    fn typst_escape_neutralises_markup_and_code() {
        assert_eq!(
            typst_escape("#read(\"/etc/passwd\")"),
            "\\#read\\(\\\"\\/etc\\/passwd\\\"\\)"
        );
        assert_eq!(typst_escape("a*b_c$d@e<f>"), "a\\*b\\_c\\$d\\@e\\<f\\>");
        assert_eq!(typst_escape("line\nbreak"), "line break");
        assert_eq!(typst_escape("\\u{41}"), "\\\\u\\{41\\}");
        assert_eq!(typst_escape("כהן ובניו"), "כהן ובניו");
    }

    #[test]
    fn html_escape_covers_markup_and_attributes() {
        assert_eq!(
            html_escape("<a href=\"x\">'&'</a> 30/11"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; 30/11"
        );
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
