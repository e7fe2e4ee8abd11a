//! Date cells: ISO, day-first and month-first text (with numeric or English month names),
//! spreadsheet dates and Excel serials read into a [`NaiveDate`]; and the day/month order of a
//! date column decided from the values that prove it ([`decide_date_order`]).

use chrono::{Datelike, Days, NaiveDate};

use crate::ingest::table::Cell;
use crate::model::{DateOrder, MONTH_NAMES};

const DATE_FORMS: &str =
    "write it as 2026-11-30, 30/11/2026, 30.11.2026, 30 Nov 2026 or as a spreadsheet date";

/// Earliest and latest year accepted anywhere a date is read.
const MIN_YEAR: i32 = 1900;
const MAX_YEAR: i32 = 2200;

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
// A closure, not the `char`, is the faster pattern here (see below).
#[allow(clippy::manual_pattern_char_comparison)]
fn numeric_parts(date: &str) -> Option<[&str; 3]> {
    let sep = date.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    // Split by a test of each character: splitting by the `char` itself confirms every match
    // through a call to the C library's `memcmp` (0.2 CPU-s of a million-row month, by perf).
    let mut parts = date.split(|c: char| c == sep);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::value::tests::{text, ymd};

    fn day_first(s: &str) -> Result<NaiveDate, String> {
        parse_date(&text(s), DateOrder::DayFirst)
    }

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
}
