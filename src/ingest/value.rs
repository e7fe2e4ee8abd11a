//! Value parsers: turn one cell of an export into a date, an amount, a currency, a flag or
//! payment terms, or say in plain words why it is not one. Pure functions, no I/O.

use crate::model::Terms;

/// Reads a currency code or sign: `ILS`, `NIS`, `₪`, `ש"ח`, `USD`, `$`, `EUR`, `€`, `GBP`, `£`,
/// or any three-letter ISO code. Returns the ISO code.
#[must_use]
pub fn parse_currency(text: &str) -> Option<String> {
    let t = text.trim();
    let folded: String = t
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '\u{05F4}' | '\u{05F3}' | '.' | ' '))
        .collect::<String>()
        .to_uppercase();
    let code = match folded.as_str() {
        "₪" | "ILS" | "NIS" | "שח" | "שקל" | "שקלים" | "שחח" => "ILS",
        "$" | "USD" | "US$" | "דולר" => "USD",
        "€" | "EUR" | "EURO" | "יורו" => "EUR",
        "£" | "GBP" => "GBP",
        other if other.len() == 3 && other.chars().all(|c| c.is_ascii_uppercase()) => other,
        _ => return None,
    };
    Some(code.to_string())
}

/// Reads payment terms: `30`, `net 30`, `Net30`, `EOM+30`, `EOM 30`, `שוטף+30`, `שוטף + 30`,
/// `שוטף` (= `EOM+0`).
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_terms(text: &str) -> Result<Terms, String> {
    let t: String = text
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let days = |rest: &str| -> Option<u32> {
        let rest = rest.trim_start_matches('+');
        if rest.is_empty() {
            Some(0)
        } else {
            rest.parse::<u32>().ok().filter(|d| *d <= 3650)
        }
    };
    let parsed = if let Some(rest) = t.strip_prefix("שוטף") {
        days(rest).map(Terms::EndOfMonth)
    } else if let Some(rest) = t.strip_prefix("eom") {
        days(rest).map(Terms::EndOfMonth)
    } else if let Some(rest) = t.strip_prefix("net") {
        (!rest.is_empty())
            .then(|| days(rest))
            .flatten()
            .map(Terms::Net)
    } else if let Some(rest) = t.strip_prefix("נטו") {
        (!rest.is_empty())
            .then(|| days(rest))
            .flatten()
            .map(Terms::Net)
    } else {
        t.parse::<u32>().ok().filter(|d| *d <= 3650).map(Terms::Net)
    };
    parsed.ok_or_else(|| {
        format!(
            "\"{}\" is not payment terms; write \"net 30\", \"30\", \"EOM+30\" or \"שוטף+30\"",
            text.trim()
        )
    })
}
