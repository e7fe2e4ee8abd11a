//! Value parsers: turn one cell of an export into a date, an amount, a currency, a flag or
//! payment terms, or say in plain words why it is not one. Pure functions, no I/O.
//!
//! Messages describe the value and the accepted forms only; the caller adds the file, sheet,
//! row and column. Money is parsed into [`Decimal`] and never passes through `f64`
//! arithmetic: a float read from a spreadsheet is converted through its shortest decimal
//! representation, and rounding to the currency's minor unit is left to the caller
//! ([`crate::model::round_money`]).

use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;

use crate::ingest::table::Cell;
use crate::model::{ClientKind, DateOrder, DocKind, Terms};

/// ISO 4217 codes in use (plus a few recently replaced ones still seen in old exports).
const ISO_CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP",
    "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF",
    "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK",
    "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK",
    "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU",
    "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR",
    "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR",
    "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC",
    "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX",
    "USD", "UYU", "UZS", "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF",
    "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// Reads a currency code or sign: `ILS`, `NIS`, `₪`, `ש"ח`, `USD`, `$`, `US$`, `EUR`, `€`,
/// `GBP`, `£`, or any ISO 4217 code in any letter case. Returns the ISO code.
///
/// Only real ISO codes are accepted, so that a stray word in an amount (`12 abc`, `12 Nov`) is
/// reported instead of being taken for a currency.
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
        other if ISO_CURRENCIES.contains(&other) => other,
        _ => return None,
    };
    Some(code.to_string())
}

/// Reads payment terms: `30`, `net 30`, `Net30`, `EOM+30`, `EOM 30`, `שוטף+30`, `שוטף + 30`,
/// `שוטף` (= `EOM+0`); a trailing `days` / `ימים` is allowed (`net 30 days`, `30 ימים`).
///
/// # Errors
/// A message naming the value and the accepted forms, for anything else (including a number of
/// days above 3650).
pub fn parse_terms(text: &str) -> Result<Terms, String> {
    let mut t: String = text
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for unit in ["days", "day", "ימים", "יום"] {
        if let Some(rest) = t.strip_suffix(unit) {
            if rest.ends_with(|c: char| c.is_ascii_digit()) {
                t = rest.to_string();
            }
            break;
        }
    }
    let days = |rest: &str| -> Option<u32> {
        let rest = rest.strip_prefix('+').unwrap_or(rest);
        if rest.is_empty() {
            Some(0)
        } else if rest.chars().all(|c| c.is_ascii_digit()) {
            rest.parse::<u32>().ok().filter(|d| *d <= 3650)
        } else {
            None
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
    } else if t.is_empty() {
        None
    } else {
        days(&t).map(Terms::Net)
    };
    parsed.ok_or_else(|| {
        format!(
            "\"{}\" is not payment terms; write \"net 30\", \"30\", \"EOM+30\" or \"שוטף+30\" (at most 3650 days)",
            text.trim()
        )
    })
}

// ---------------------------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------------------------

const DATE_FORMS: &str =
    "write it as 2026-11-30, 30/11/2026, 30.11.2026, 30 Nov 2026 or as a spreadsheet date";

/// Earliest and latest year accepted anywhere a date is read.
const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2200;

const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Reads a date cell.
///
/// - A spreadsheet date is taken as it is.
/// - A number is an Excel serial in the 1900 system (`46356` = 2026-11-30); its fractional part
///   is a time of day and is ignored. Excel counts a 29 February 1900 that never existed
///   (serial 60): serials below 60 are one day later than a plain count from 1899-12-30, and
///   serial 60 itself is rejected.
/// - Text may be ISO (`2026-11-30`, `2026/11/30`), numeric day and month in the given `order`
///   (`30/11/2026`, `30.11.2026`, `30-11-2026`, or `11/30/2026` month-first), with a two-digit
///   year (`30/11/26`; 00–69 are 20xx, 70–99 are 19xx), with English month names
///   (`30 Nov 2026`, `30-Nov-2026`, `Nov 30, 2026`, `November 30 2026`), compact `20261130`,
///   or a five-digit Excel serial written as text (`46356`). A time after the date
///   (`30/11/2026 00:00`, `2026-11-30T00:00:00`) is ignored.
///
/// Years outside 1900–2200 are rejected.
///
/// # Errors
/// A message naming the value and what is wrong with it (an impossible day or month, an
/// unreadable form, an empty cell, a spreadsheet error), with the accepted forms.
pub fn parse_date(cell: &Cell, order: DateOrder) -> Result<NaiveDate, String> {
    match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Number(n) => {
            serial_to_date(*n).map_err(|why| format!("\"{n}\" is not a date: {why}"))
        }
        Cell::Text(text) => parse_date_text(text, order),
        Cell::Empty => Err(format!("no date given; {DATE_FORMS}")),
        Cell::Bool(b) => Err(format!(
            "\"{}\" is a yes/no value, not a date; {DATE_FORMS}",
            if *b { "TRUE" } else { "FALSE" }
        )),
        Cell::Error(e) => Err(format!(
            "\"{e}\" is a spreadsheet error, not a date; fix the formula in the sheet"
        )),
    }
}

/// Converts an Excel 1900-system serial to a date. The error is the reason only.
fn serial_to_date(serial: f64) -> Result<NaiveDate, String> {
    if !serial.is_finite() {
        return Err("it is not a finite number".to_string());
    }
    if serial < 1.0 {
        return Err("spreadsheet date numbers start at 1 (1900-01-01)".to_string());
    }
    // 2200-12-31 is serial 110,940; anything far beyond is out of range, and checking first
    // keeps the conversion to an integer exact.
    if serial >= 200_000.0 {
        return Err(format!(
            "as a spreadsheet date number it falls after the year {MAX_YEAR}"
        ));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let day = serial.floor() as u64;
    if day == 60 {
        return Err(
            "spreadsheet date number 60 is 29 February 1900, a day that never existed".to_string(),
        );
    }
    // Serials after 60 count from 1899-12-30 because of Excel's phantom 1900-02-29; those
    // before it count from 1899-12-31.
    let base = if day > 60 {
        NaiveDate::from_ymd_opt(1899, 12, 30)
    } else {
        NaiveDate::from_ymd_opt(1899, 12, 31)
    };
    let date = base
        .and_then(|b| b.checked_add_days(Days::new(day)))
        .ok_or_else(|| "it is out of range".to_string())?;
    if date.year() > MAX_YEAR {
        return Err(format!(
            "as a spreadsheet date number it is {date}, after the year {MAX_YEAR}"
        ));
    }
    Ok(date)
}

/// The text with a trailing time of day removed (`T00:00:00`, ` 00:00`, ` 12:30 PM`).
fn strip_time(text: &str) -> &str {
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'T' | b't')
            && i > 0
            && i + 1 < bytes.len()
            && bytes[i - 1].is_ascii_digit()
            && bytes[i + 1].is_ascii_digit()
        {
            return text[..i].trim_end();
        }
    }
    let mut rest = text.trim_end();
    while let Some((head, last)) = rest.rsplit_once(char::is_whitespace) {
        if is_time_token(last) {
            rest = head.trim_end();
        } else {
            break;
        }
    }
    rest
}

fn is_time_token(token: &str) -> bool {
    let lower = token.to_ascii_lowercase();
    if matches!(lower.as_str(), "am" | "pm" | "a.m." | "p.m.") {
        return true;
    }
    token.starts_with(|c: char| c.is_ascii_digit())
        && token.contains(':')
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ':' | '.' | '+' | '-' | 'Z' | 'z'))
}

/// The three parts of a purely numeric date (`30/11/2026`, `2026-11-30`), all separated by
/// the same one of `/`, `-`, `.`.
fn numeric_parts(date: &str) -> Option<[&str; 3]> {
    let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    let mut parts = date.split(sep);
    let out = [parts.next()?, parts.next()?, parts.next()?];
    if parts.next().is_some() {
        return None;
    }
    out.iter()
        .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
        .then_some(out)
}

/// The day and month parts of a day/month/year or month/day/year text (not ISO): what
/// [`date_hint`] looks at.
fn day_month_parts(text: &str) -> Option<(u32, u32)> {
    let [a, b, c] = numeric_parts(strip_time(text.trim()))?;
    if a.len() > 2 || b.len() > 2 || !(c.len() == 2 || c.len() == 4) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

fn parse_date_text(raw: &str, order: DateOrder) -> Result<NaiveDate, String> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(format!("no date given; {DATE_FORMS}"));
    }
    let not_a_date = || format!("\"{text}\" is not a date; {DATE_FORMS}");
    let date = strip_time(text);

    if date.bytes().all(|b| b.is_ascii_digit()) {
        return match date.len() {
            5 if !date.starts_with('0') => {
                let serial: f64 = date.parse().map_err(|_| not_a_date())?;
                serial_to_date(serial).map_err(|why| format!("\"{text}\" is not a date: {why}"))
            }
            8 => {
                let n = |r: std::ops::Range<usize>| date[r].parse::<u32>().unwrap_or(0);
                let year = i32::try_from(n(0..4)).unwrap_or(0);
                build_date(text, year, n(4..6), n(6..8), "")
            }
            _ => Err(not_a_date()),
        };
    }

    if let Some([a, b, c]) = numeric_parts(date) {
        let num = |p: &str| p.parse::<u32>().unwrap_or(0);
        if a.len() == 4 && b.len() <= 2 && c.len() <= 2 {
            let year = i32::try_from(num(a)).unwrap_or(0);
            return build_date(text, year, num(b), num(c), "");
        }
        if a.len() <= 2 && b.len() <= 2 && (c.len() == 2 || c.len() == 4) {
            let (day, month) = match order {
                DateOrder::DayFirst => (num(a), num(b)),
                DateOrder::MonthFirst => (num(b), num(a)),
            };
            let note = format!(" (read {})", order.as_str());
            return build_date(text, full_year(c), month, day, &note);
        }
        return Err(not_a_date());
    }

    parse_named_month(text, date).ok_or_else(not_a_date)?
}

/// A two-digit year: 00–69 are 2000–2069, 70–99 are 1970–1999.
fn full_year(part: &str) -> i32 {
    let y: i32 = part.parse().unwrap_or(0);
    match (part.len(), y) {
        (2, 0..=69) => 2000 + y,
        (2, _) => 1900 + y,
        _ => y,
    }
}

fn month_number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    if w == "sept" {
        return Some(9);
    }
    MONTH_NAMES
        .iter()
        .position(|name| {
            let name = name.to_ascii_lowercase();
            w == name || (w.len() == 3 && name.starts_with(&w))
        })
        .and_then(|i| u32::try_from(i + 1).ok())
}

fn is_weekday(word: &str) -> bool {
    const DAYS: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let w = word.to_ascii_lowercase();
    DAYS.iter()
        .any(|d| w == *d || (w.len() >= 3 && d.starts_with(&w)))
}

/// Day, month name and year in any of the usual English orders. `None` when the text is not
/// of that shape; `Some(Err)` when it is but the date is impossible.
fn parse_named_month(text: &str, date: &str) -> Option<Result<NaiveDate, String>> {
    let mut tokens: Vec<&str> = date
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '/' | '.'))
        .filter(|t| !t.is_empty())
        .collect();
    if tokens.len() == 4 && is_weekday(tokens[0]) {
        tokens.remove(0);
    }
    if tokens.len() != 3 {
        return None;
    }
    let day_number = |t: &str| -> Option<u32> {
        let lower = t.to_ascii_lowercase();
        let digits = ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|s| lower.strip_suffix(s))
            .unwrap_or(&lower);
        (!digits.is_empty() && digits.len() <= 2 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse().ok())
            .flatten()
    };
    let year_number = |t: &str| -> Option<i32> {
        (matches!(t.len(), 2 | 4) && t.bytes().all(|b| b.is_ascii_digit())).then(|| full_year(t))
    };
    let (day, month, year) = match (
        month_number(tokens[0]),
        month_number(tokens[1]),
        tokens[0].len() == 4 && tokens[0].bytes().all(|b| b.is_ascii_digit()),
    ) {
        // Nov 30 2026
        (Some(m), None, _) => (day_number(tokens[1])?, m, year_number(tokens[2])?),
        // 2026 Nov 30
        (None, Some(m), true) => (day_number(tokens[2])?, m, year_number(tokens[0])?),
        // 30 Nov 2026
        (None, Some(m), false) => (day_number(tokens[0])?, m, year_number(tokens[2])?),
        _ => return None,
    };
    Some(build_date(text, year, month, day, ""))
}

/// A checked calendar date; the error names the original text and the impossible part.
fn build_date(
    text: &str,
    year: i32,
    month: u32,
    day: u32,
    note: &str,
) -> Result<NaiveDate, String> {
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return Err(format!(
            "\"{text}\" is not a date: the year {year} is outside {MIN_YEAR}–{MAX_YEAR}{note}"
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(format!(
            "\"{text}\" is not a date: there is no month {month}{note}"
        ));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        let name = MONTH_NAMES[(month - 1) as usize];
        if day == 0 {
            format!("\"{text}\" is not a date: there is no day 0{note}")
        } else {
            format!("\"{text}\" is not a date: {name} {year} has no day {day}{note}")
        }
    })
}

/// What one text date proves about the column's day/month order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DateHint {
    /// Nothing: not a day/month/year text, or both parts are 12 or less.
    NoHint,
    /// The first part is above 12 (`25/03/2026`), so it must be the day.
    DayFirst,
    /// The second part is above 12 (`03/25/2026`), so it must be the day.
    MonthFirst,
}

/// What a cell proves about the day/month order of its column. Only text of the
/// `a/b/yyyy` shape (separators `/`, `.` or `-`, two- or four-digit year, optional time)
/// can prove anything; ISO dates, spreadsheet dates, numbers and other text give
/// [`DateHint::NoHint`], as does text whose first two parts are both above 12 (it is not a
/// date in either order, and [`parse_date`] will say so).
#[must_use]
pub fn date_hint(cell: &Cell) -> DateHint {
    let Cell::Text(text) = cell else {
        return DateHint::NoHint;
    };
    match day_month_parts(text) {
        Some((a, b)) if a > 12 && b <= 12 => DateHint::DayFirst,
        Some((a, b)) if b > 12 && a <= 12 => DateHint::MonthFirst,
        _ => DateHint::NoHint,
    }
}

/// A date column whose values prove both day-first and month-first: no single reading is
/// right for it. Holds one example of each, as written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "dates in this column are both day-first (\"{day_first}\") and month-first (\"{month_first}\")"
)]
pub struct DateOrderConflict {
    /// A value whose first part is above 12, such as `25/03/2026`.
    pub day_first: String,
    /// A value whose second part is above 12, such as `03/25/2026`.
    pub month_first: String,
}

/// Decides the day/month order of one date column from its values (see [`date_hint`]).
/// Returns the order and whether the data decided it: `(order, true)` when some value proves
/// it, `(default, false)` when none proves anything.
///
/// # Errors
/// [`DateOrderConflict`] when some value proves day-first and another month-first.
pub fn decide_date_order<'a>(
    cells: impl IntoIterator<Item = &'a Cell>,
    default: DateOrder,
) -> Result<(DateOrder, bool), DateOrderConflict> {
    let mut day_first: Option<&Cell> = None;
    let mut month_first: Option<&Cell> = None;
    for cell in cells {
        match date_hint(cell) {
            DateHint::DayFirst if day_first.is_none() => day_first = Some(cell),
            DateHint::MonthFirst if month_first.is_none() => month_first = Some(cell),
            _ => {}
        }
        if day_first.is_some() && month_first.is_some() {
            break;
        }
    }
    match (day_first, month_first) {
        (Some(d), Some(m)) => Err(DateOrderConflict {
            day_first: d.display(),
            month_first: m.display(),
        }),
        (Some(_), None) => Ok((DateOrder::DayFirst, true)),
        (None, Some(_)) => Ok((DateOrder::MonthFirst, true)),
        (None, None) => Ok((default, false)),
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Flags, document and client kinds, languages, plain text
// ---------------------------------------------------------------------------------------------

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

/// Reads a yes/no cell. An empty cell is "no". Yes: `yes`, `y`, `true`, `1`, `x`, `✓`, `✔`,
/// `on`, `disputed`, `כן`, `נכון`; no: `no`, `n`, `false`, `0`, `off`, `לא`; any letter case.
/// Spreadsheet booleans and the numbers 1 and 0 are accepted too.
///
/// # Errors
/// A message naming the value and the accepted forms, for any other text or number, a date or
/// a spreadsheet error.
pub fn parse_bool(cell: &Cell) -> Result<bool, String> {
    const FORMS: &str = "write yes or no, true or false, 1 or 0, x, or כן / לא";
    match cell {
        Cell::Empty => Ok(false),
        Cell::Bool(b) => Ok(*b),
        Cell::Number(n) if *n == 1.0 => Ok(true),
        Cell::Number(n) if *n == 0.0 => Ok(false),
        Cell::Number(n) => Err(format!("\"{n}\" is not yes or no; {FORMS}")),
        Cell::Text(text) => {
            let t = text.trim().to_lowercase();
            match t.as_str() {
                "" | "no" | "n" | "false" | "0" | "off" | "לא" => Ok(false),
                "yes" | "y" | "true" | "1" | "x" | "✓" | "✔" | "on" | "disputed" | "כן"
                | "נכון" => Ok(true),
                _ => Err(format!("\"{}\" is not yes or no; {FORMS}", text.trim())),
            }
        }
        Cell::Date(d) => Err(format!(
            "\"{}\" is a date, not yes or no; {FORMS}",
            d.format("%Y-%m-%d")
        )),
        Cell::Error(e) => Err(format!(
            "\"{e}\" is a spreadsheet error, not yes or no; fix the formula in the sheet"
        )),
    }
}

/// Lowercase words separated by single spaces; every character that is not a letter or digit
/// (dots, dashes, slashes, quotes) separates words. `C/N` -> `c n`, `Tax-Invoice` ->
/// `tax invoice`, `בע"מ` -> `בע מ`.
fn words(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a document type: invoice (`invoice`, `tax invoice`, `inv`, `bill`, `חשבונית`,
/// `חשבונית מס`, `חשבונית מס קבלה`, `חשבונית עסקה`, ...) or credit note (`credit note`,
/// `credit`, `credit memo`, `CN`, `C/N`, `refund note`, `חשבונית זיכוי`, `זיכוי`,
/// `חשבונית מס זיכוי`, ...). Letter case, dots, dashes and slashes are ignored. `None` for
/// anything else; the caller decides whether that is an issue.
#[must_use]
pub fn parse_doc_kind(text: &str) -> Option<DocKind> {
    match words(text).as_str() {
        "invoice"
        | "tax invoice"
        | "inv"
        | "bill"
        | "invoice receipt"
        | "tax invoice receipt"
        | "חשבונית"
        | "חשבונית מס"
        | "חשבונית מס קבלה"
        | "חשבונית עסקה" => Some(DocKind::Invoice),
        "credit note"
        | "credit"
        | "credit memo"
        | "cn"
        | "c n"
        | "refund note"
        | "credit invoice"
        | "tax credit note"
        | "חשבונית זיכוי"
        | "זיכוי"
        | "חשבונית מס זיכוי" => Some(DocKind::CreditNote),
        _ => None,
    }
}

/// The cell as plain text, for ids, names, emails, memos: trimmed text; a whole number
/// without `.0` or exponent (`9888306012`, not `9.888306012e9`); other numbers in their
/// shortest form (`12.5`); a date as ISO `2026-11-30`; a boolean as `TRUE` / `FALSE`.
///
/// `None` for an empty or blank cell, a non-finite number, and a spreadsheet error such as
/// `#REF!`: a formula error is not text, and the caller decides whether a missing value is an
/// issue (check for [`Cell::Error`] first to report it as such).
#[must_use]
pub fn cell_text(cell: &Cell) -> Option<String> {
    match cell {
        Cell::Empty | Cell::Error(_) => None,
        Cell::Text(text) => {
            let t = text.trim();
            (!t.is_empty()).then(|| t.to_string())
        }
        // `Display` for floats is the shortest round-trip form, without exponent and without
        // `.0` on whole numbers.
        Cell::Number(n) if n.is_finite() => Some(if *n == 0.0 {
            "0".to_string()
        } else {
            format!("{n}")
        }),
        Cell::Number(_) => None,
        Cell::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
        Cell::Date(d) => Some(d.format("%Y-%m-%d").to_string()),
    }
}

/// Reads a client type: private (`private`, `individual`, `person`, `פרטי`, `לקוח פרטי`),
/// company (`company`, `business`, `corporation`, `ltd`, `בע"מ`, `חברה`, `עסק`, `תאגיד`) or
/// freelancer (`freelancer`, `self-employed`, `sole trader`, `עוסק מורשה`, `עוסק פטור`,
/// `עצמאי`, `פרילנסר`). `None` for anything else.
#[must_use]
pub fn parse_client_kind(text: &str) -> Option<ClientKind> {
    match words(text).as_str() {
        "private" | "individual" | "person" | "פרטי" | "לקוח פרטי" => {
            Some(ClientKind::Private)
        }
        "company" | "business" | "corporation" | "corp" | "ltd" | "בע מ" | "חברה" | "עסק"
        | "תאגיד" => Some(ClientKind::Company),
        "freelancer"
        | "freelance"
        | "self employed"
        | "sole trader"
        | "עוסק מורשה"
        | "עוסק פטור"
        | "עצמאי"
        | "פרילנסר" => Some(ClientKind::Freelancer),
        _ => None,
    }
}

/// Reads a letter language as a lowercase two-letter code: `he`/`heb`/`hebrew`/`iw`/`עברית`
/// -> `he`, `en`/`eng`/`english`/`אנגלית` -> `en`, `ar`/`arabic`/`ערבית` -> `ar`,
/// `ru`/`russian`/`רוסית` -> `ru`; any other two-letter code is lowercased, and a locale tag
/// keeps its language (`he-IL` -> `he`, `en_US` -> `en`). `None` for anything else.
#[must_use]
pub fn parse_language(text: &str) -> Option<String> {
    let lower = text.trim().to_lowercase();
    let code = match lower.as_str() {
        "he" | "heb" | "hebrew" | "iw" | "עברית" => "he",
        "en" | "eng" | "english" | "אנגלית" => "en",
        "ar" | "ara" | "arabic" | "ערבית" => "ar",
        "ru" | "rus" | "russian" | "רוסית" => "ru",
        other => {
            let primary = match other.split_once(['-', '_']) {
                Some((lang, region))
                    if !region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric()) =>
                {
                    lang
                }
                Some(_) => return None,
                None => other,
            };
            if primary.len() == 2 && primary.chars().all(|c| c.is_ascii_alphabetic()) {
                return Some(if primary == "iw" { "he" } else { primary }.to_string());
            }
            return None;
        }
    };
    Some(code.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn day_first(s: &str) -> Result<NaiveDate, String> {
        parse_date(&text(s), DateOrder::DayFirst)
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

    // --- currency and terms -------------------------------------------------------------

    #[test]
    fn currency_signs_and_codes() {
        for (input, code) in [
            ("₪", "ILS"),
            ("ILS", "ILS"),
            ("nis", "ILS"),
            ("NIS.", "ILS"),
            ("ש\"ח", "ILS"),
            ("ש״ח", "ILS"),
            ("$", "USD"),
            ("US$", "USD"),
            ("usd", "USD"),
            ("€", "EUR"),
            ("Euro", "EUR"),
            ("£", "GBP"),
            ("chf", "CHF"),
            (" JPY ", "JPY"),
        ] {
            assert_eq!(parse_currency(input).as_deref(), Some(code), "{input}");
        }
        for input in ["", "abc", "NOV", "XX", "DOLLARS", "12"] {
            assert_eq!(parse_currency(input), None, "{input}");
        }
    }

    #[test]
    fn terms_forms() {
        for (input, terms) in [
            ("30", Terms::Net(30)),
            ("net 30", Terms::Net(30)),
            ("Net30", Terms::Net(30)),
            ("NET 45 days", Terms::Net(45)),
            ("30 ימים", Terms::Net(30)),
            ("0", Terms::Net(0)),
            ("EOM+30", Terms::EndOfMonth(30)),
            ("eom 60", Terms::EndOfMonth(60)),
            ("EOM", Terms::EndOfMonth(0)),
            ("שוטף+30", Terms::EndOfMonth(30)),
            ("שוטף + 45", Terms::EndOfMonth(45)),
            ("שוטף", Terms::EndOfMonth(0)),
            ("נטו 30", Terms::Net(30)),
        ] {
            assert_eq!(parse_terms(input), Ok(terms), "{input}");
        }
    }

    #[test]
    fn terms_errors_name_the_value() {
        for input in [
            "", "net", "net -5", "thirty", "30 weeks", "9999", "EOM+x", "-30",
        ] {
            let err = parse_terms(input).unwrap_err();
            assert!(err.contains(&format!("\"{}\"", input.trim())), "{err}");
            assert!(err.contains("net 30"), "{err}");
        }
    }

    // --- dates ---------------------------------------------------------------------------

    #[test]
    fn spreadsheet_dates_pass_through() {
        let d = ymd(2026, 11, 30);
        assert_eq!(parse_date(&Cell::Date(d), DateOrder::MonthFirst), Ok(d));
    }

    #[test]
    fn excel_serials() {
        let serial = |n: f64| parse_date(&Cell::Number(n), DateOrder::DayFirst);
        assert_eq!(serial(46356.0), Ok(ymd(2026, 11, 30)));
        assert_eq!(
            serial(46356.75),
            Ok(ymd(2026, 11, 30)),
            "time of day ignored"
        );
        assert_eq!(serial(1.0), Ok(ymd(1900, 1, 1)));
        assert_eq!(serial(59.0), Ok(ymd(1900, 2, 28)));
        assert_eq!(serial(61.0), Ok(ymd(1900, 3, 1)));
        assert_eq!(serial(45658.0), Ok(ymd(2025, 1, 1)));
        let fake = serial(60.0).unwrap_err();
        assert!(
            fake.contains("\"60\"") && fake.contains("29 February 1900"),
            "{fake}"
        );
        for bad in [0.0, 0.5, -3.0, f64::NAN, f64::INFINITY, 1e12, 120_000.0] {
            assert!(serial(bad).is_err(), "{bad}");
        }
        assert!(serial(0.0).unwrap_err().contains("\"0\""));
    }

    #[test]
    fn serial_range_ends_with_2200() {
        let last = ymd(2200, 12, 31)
            .signed_duration_since(ymd(1899, 12, 30))
            .num_days();
        #[allow(clippy::cast_precision_loss)]
        let last = last as f64;
        assert_eq!(
            parse_date(&Cell::Number(last), DateOrder::DayFirst),
            Ok(ymd(2200, 12, 31))
        );
        let err = parse_date(&Cell::Number(last + 1.0), DateOrder::DayFirst).unwrap_err();
        assert!(err.contains("2201-01-01"), "{err}");
    }

    #[test]
    fn text_dates_in_every_spec_form() {
        let nov30 = ymd(2026, 11, 30);
        for input in [
            "2026-11-30",
            "2026/11/30",
            "30/11/2026",
            "30.11.2026",
            "30-11-2026",
            " 30/11/2026 ",
            "30/11/26",
            "30/11/2026 00:00",
            "30/11/2026 12:30:15",
            "30/11/2026 10:00 PM",
            "2026-11-30T00:00:00",
            "2026-11-30T08:15:00Z",
            "2026-11-30 00:00:00.000",
            "30 Nov 2026",
            "30-Nov-2026",
            "30-nov-26",
            "Nov 30, 2026",
            "November 30 2026",
            "30 November 2026",
            "30th November 2026",
            "Monday, 30 November 2026",
            "2026-Nov-30",
            "46356",
            "20261130",
        ] {
            assert_eq!(day_first(input), Ok(nov30), "{input}");
        }
        assert_eq!(
            parse_date(&text("11/30/2026"), DateOrder::MonthFirst),
            Ok(nov30)
        );
        assert_eq!(
            parse_date(&text("11/30/26"), DateOrder::MonthFirst),
            Ok(nov30)
        );
        assert_eq!(day_first("Sept 1 2026"), Ok(ymd(2026, 9, 1)));
    }

    #[test]
    fn order_decides_ambiguous_dates_but_not_iso() {
        assert_eq!(day_first("01/02/2026"), Ok(ymd(2026, 2, 1)));
        assert_eq!(
            parse_date(&text("01/02/2026"), DateOrder::MonthFirst),
            Ok(ymd(2026, 1, 2))
        );
        assert_eq!(
            parse_date(&text("2026-01-02"), DateOrder::MonthFirst),
            Ok(ymd(2026, 1, 2))
        );
    }

    #[test]
    fn two_digit_years_pivot_at_70() {
        assert_eq!(day_first("01/01/00"), Ok(ymd(2000, 1, 1)));
        assert_eq!(day_first("01/01/69"), Ok(ymd(2069, 1, 1)));
        assert_eq!(day_first("01/01/70"), Ok(ymd(1970, 1, 1)));
        assert_eq!(day_first("01/01/99"), Ok(ymd(1999, 1, 1)));
    }

    #[test]
    fn leap_days() {
        assert_eq!(day_first("29/02/2028"), Ok(ymd(2028, 2, 29)));
        let err = day_first("29/02/2026").unwrap_err();
        assert!(err.contains("February 2026 has no day 29"), "{err}");
    }

    #[test]
    fn impossible_dates_say_why() {
        assert_eq!(
            day_first("31/02/2026").unwrap_err(),
            "\"31/02/2026\" is not a date: February 2026 has no day 31 (read day-first)"
        );
        let err = day_first("11/30/2026").unwrap_err();
        assert!(
            err.contains("\"11/30/2026\"") && err.contains("no month 30"),
            "{err}"
        );
        assert!(err.contains("day-first"), "{err}");
        let err = day_first("2026-13-01").unwrap_err();
        assert!(err.contains("no month 13"), "{err}");
        let err = day_first("00/11/2026").unwrap_err();
        assert!(err.contains("no day 0"), "{err}");
        let err = day_first("31 Apr 2026").unwrap_err();
        assert!(err.contains("April 2026 has no day 31"), "{err}");
        let err = day_first("30/11/3026").unwrap_err();
        assert!(err.contains("3026") && err.contains("1900–2200"), "{err}");
    }

    #[test]
    fn garbage_dates_are_errors() {
        for input in [
            "tomorrow",
            "30/11",
            "30/11/2026/1",
            "30/11-2026",
            "2026",
            "123",
            "1234567",
            "3O/11/2026",
            "30 Foo 2026",
            "Nov 2026",
            "30/11/202",
            "2026-11-30X",
        ] {
            let err = day_first(input).unwrap_err();
            assert!(err.contains(&format!("\"{input}\"")), "{err}");
            assert!(
                err.contains("30/11/2026"),
                "names the accepted forms: {err}"
            );
        }
    }

    #[test]
    fn non_date_cells_are_errors() {
        let err = parse_date(&Cell::Empty, DateOrder::DayFirst).unwrap_err();
        assert!(err.contains("no date"), "{err}");
        assert!(day_first("   ").unwrap_err().contains("no date"));
        let err = parse_date(&Cell::Error("#REF!".into()), DateOrder::DayFirst).unwrap_err();
        assert!(err.contains("#REF!"), "{err}");
        let err = parse_date(&Cell::Bool(true), DateOrder::DayFirst).unwrap_err();
        assert!(err.contains("TRUE"), "{err}");
    }

    #[test]
    fn hints_come_only_from_day_month_text() {
        assert_eq!(date_hint(&text("25/03/2026")), DateHint::DayFirst);
        assert_eq!(date_hint(&text("25.03.26")), DateHint::DayFirst);
        assert_eq!(date_hint(&text("03/25/2026 10:00")), DateHint::MonthFirst);
        assert_eq!(date_hint(&text("03-25-2026")), DateHint::MonthFirst);
        assert_eq!(date_hint(&text("03/04/2026")), DateHint::NoHint);
        assert_eq!(date_hint(&text("12/12/2026")), DateHint::NoHint);
        assert_eq!(date_hint(&text("13/13/2026")), DateHint::NoHint);
        assert_eq!(date_hint(&text("2026-03-25")), DateHint::NoHint);
        assert_eq!(date_hint(&text("25 Mar 2026")), DateHint::NoHint);
        assert_eq!(date_hint(&Cell::Date(ymd(2026, 3, 25))), DateHint::NoHint);
        assert_eq!(date_hint(&Cell::Number(46356.0)), DateHint::NoHint);
    }

    #[test]
    fn column_order_decided_by_data() {
        let cells = [
            text("01/02/2026"),
            Cell::Empty,
            text("25/03/2026"),
            text("05/04/2026"),
        ];
        assert_eq!(
            decide_date_order(&cells, DateOrder::MonthFirst),
            Ok((DateOrder::DayFirst, true))
        );
        let cells = [text("01/02/2026"), text("03/25/2026")];
        assert_eq!(
            decide_date_order(&cells, DateOrder::DayFirst),
            Ok((DateOrder::MonthFirst, true))
        );
    }

    #[test]
    fn column_order_defaults_when_nothing_proves_it() {
        let cells = [
            text("01/02/2026"),
            text("2026-11-30"),
            Cell::Date(ymd(2026, 1, 1)),
        ];
        assert_eq!(
            decide_date_order(&cells, DateOrder::DayFirst),
            Ok((DateOrder::DayFirst, false))
        );
        assert_eq!(
            decide_date_order(&cells, DateOrder::MonthFirst),
            Ok((DateOrder::MonthFirst, false))
        );
        assert_eq!(
            decide_date_order(&[], DateOrder::MonthFirst),
            Ok((DateOrder::MonthFirst, false))
        );
    }

    #[test]
    fn column_order_conflict_names_both_examples() {
        let cells = [
            text("01/02/2026"),
            text(" 25/03/2026"),
            text("03/25/2026"),
            text("26/03/2026"),
        ];
        let conflict = decide_date_order(&cells, DateOrder::DayFirst).unwrap_err();
        assert_eq!(
            conflict,
            DateOrderConflict {
                day_first: "25/03/2026".into(),
                month_first: "03/25/2026".into()
            }
        );
        assert_eq!(
            conflict.to_string(),
            "dates in this column are both day-first (\"25/03/2026\") and month-first (\"03/25/2026\")"
        );
        let _: &dyn std::error::Error = &conflict;
    }

    // --- amounts ---------------------------------------------------------------------------

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

    // --- flags, kinds, text --------------------------------------------------------------

    #[test]
    fn booleans() {
        for input in [
            "yes", "Y", "TRUE", "true", "1", "x", "X", "✓", "✔", "on", "Disputed", "כן", "נכון",
            " yes ",
        ] {
            assert_eq!(parse_bool(&text(input)), Ok(true), "{input}");
        }
        for input in ["no", "N", "False", "0", "off", "לא", "", "  "] {
            assert_eq!(parse_bool(&text(input)), Ok(false), "{input}");
        }
        assert_eq!(parse_bool(&Cell::Empty), Ok(false));
        assert_eq!(parse_bool(&Cell::Bool(true)), Ok(true));
        assert_eq!(parse_bool(&Cell::Bool(false)), Ok(false));
        assert_eq!(parse_bool(&Cell::Number(1.0)), Ok(true));
        assert_eq!(parse_bool(&Cell::Number(0.0)), Ok(false));
        let err = parse_bool(&text("maybe")).unwrap_err();
        assert!(
            err.contains("\"maybe\"") && err.contains("yes or no"),
            "{err}"
        );
        assert!(parse_bool(&Cell::Number(2.0))
            .unwrap_err()
            .contains("\"2\""));
        assert!(parse_bool(&Cell::Error("#N/A".into()))
            .unwrap_err()
            .contains("#N/A"));
        assert!(parse_bool(&Cell::Date(ymd(2026, 1, 1)))
            .unwrap_err()
            .contains("2026-01-01"));
    }

    #[test]
    fn document_kinds() {
        for input in [
            "invoice",
            "Tax Invoice",
            "tax-invoice",
            "INV",
            "Inv.",
            "bill",
            "חשבונית",
            "חשבונית מס",
            "חשבונית מס קבלה",
            "חשבונית מס/קבלה",
            "חשבונית עסקה",
        ] {
            assert_eq!(parse_doc_kind(input), Some(DocKind::Invoice), "{input}");
        }
        for input in [
            "credit note",
            "Credit-Note",
            "credit",
            "Credit Memo",
            "CN",
            "C/N",
            "refund note",
            "חשבונית זיכוי",
            "זיכוי",
            "חשבונית מס זיכוי",
        ] {
            assert_eq!(parse_doc_kind(input), Some(DocKind::CreditNote), "{input}");
        }
        for input in ["", "receipt", "קבלה", "invoices", "debit note"] {
            assert_eq!(parse_doc_kind(input), None, "{input}");
        }
    }

    #[test]
    fn cell_text_forms() {
        assert_eq!(cell_text(&text("  ACME Ltd ")), Some("ACME Ltd".into()));
        assert_eq!(cell_text(&text("   ")), None);
        assert_eq!(cell_text(&Cell::Empty), None);
        assert_eq!(
            cell_text(&Cell::Number(9_888_306_012.0)),
            Some("9888306012".into())
        );
        assert_eq!(
            cell_text(&Cell::Number(1e20)),
            Some("100000000000000000000".into())
        );
        assert_eq!(cell_text(&Cell::Number(42.0)), Some("42".into()));
        assert_eq!(cell_text(&Cell::Number(-0.0)), Some("0".into()));
        assert_eq!(cell_text(&Cell::Number(12.5)), Some("12.5".into()));
        assert_eq!(cell_text(&Cell::Number(f64::NAN)), None);
        assert_eq!(
            cell_text(&Cell::Date(ymd(2026, 11, 30))),
            Some("2026-11-30".into())
        );
        assert_eq!(cell_text(&Cell::Bool(true)), Some("TRUE".into()));
        assert_eq!(cell_text(&Cell::Bool(false)), Some("FALSE".into()));
        assert_eq!(cell_text(&Cell::Error("#REF!".into())), None);
    }

    #[test]
    fn client_kinds() {
        for input in ["private", "Individual", "person", "פרטי", "לקוח פרטי"] {
            assert_eq!(
                parse_client_kind(input),
                Some(ClientKind::Private),
                "{input}"
            );
        }
        for input in [
            "company",
            "Business",
            "corporation",
            "Ltd.",
            "בע\"מ",
            "חברה",
            "עסק",
            "תאגיד",
        ] {
            assert_eq!(
                parse_client_kind(input),
                Some(ClientKind::Company),
                "{input}"
            );
        }
        for input in [
            "freelancer",
            "Self-Employed",
            "self employed",
            "sole trader",
            "עוסק מורשה",
            "עוסק פטור",
            "עצמאי",
            "פרילנסר",
        ] {
            assert_eq!(
                parse_client_kind(input),
                Some(ClientKind::Freelancer),
                "{input}"
            );
        }
        for input in ["", "government", "vip"] {
            assert_eq!(parse_client_kind(input), None, "{input}");
        }
    }

    #[test]
    fn languages() {
        for (input, code) in [
            ("he", "he"),
            ("HEB", "he"),
            ("Hebrew", "he"),
            ("iw", "he"),
            ("עברית", "he"),
            ("he-IL", "he"),
            ("en", "en"),
            ("eng", "en"),
            ("English", "en"),
            ("אנגלית", "en"),
            ("en_US", "en"),
            ("ar", "ar"),
            ("Arabic", "ar"),
            ("ערבית", "ar"),
            ("ru", "ru"),
            ("Russian", "ru"),
            ("רוסית", "ru"),
            ("FR", "fr"),
            (" de ", "de"),
        ] {
            assert_eq!(parse_language(input).as_deref(), Some(code), "{input}");
        }
        for input in ["", "f", "fre", "french", "12", "e1", "he-", "עב"] {
            assert_eq!(parse_language(input), None, "{input}");
        }
    }
}
