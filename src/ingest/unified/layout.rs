//! The record layout of the unified file, version 1.31 (the tax authority's "הוראות להפקת קבצים
//! במבנה אחיד", sections 3 and 4), for the fields arrears reads, and the parsing of its values.
//!
//! Positions are the specification's columns (1-based, inclusive), counted in characters; a
//! field beyond the end of a short line is blank. Values: numeric fields are zero-padded
//! digits, alphanumeric fields are space- (or `!`-) padded text, dates are `YYYYMMDD` (zeros
//! when empty), amounts are `X9(n)v99`: a sign character, then digits whose last two are the
//! decimals (`-12345.65` is `-000000001234565`).

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// One field of a record: its number and name in the specification, and where it stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub number: u16,
    pub name: &'static str,
    /// First column, 1-based.
    pub start: usize,
    pub len: usize,
}

impl Spec {
    /// The field as `issues.csv` names it: `1223 סכום המסמך כולל מע"מ`.
    #[must_use]
    pub fn label(self) -> String {
        format!("{} {}", self.number, self.name)
    }
}

const fn spec(number: u16, name: &'static str, start: usize, len: usize) -> Spec {
    Spec {
        number,
        name,
        start,
        len,
    }
}

// INI.TXT, the header record A000 (section 3.1).
pub const INI_PRIMARY_ID: Spec = spec(1004, "מזהה ראשי", 34, 15);
pub const INI_CONSTANT: Spec = spec(1005, "קבוע מערכת", 49, 8);
pub const INI_CHARSET: Spec = spec(1029, "סט תוים", 396, 1);
pub const INI_CURRENCY: Spec = spec(1032, "מטבע מוביל", 417, 3);
// INI.TXT, a summary record (section 3.2): record code, then how many such records.
pub const INI_SUMMARY_CODE: Spec = spec(1050, "קוד רשומה", 1, 4);
pub const INI_SUMMARY_COUNT: Spec = spec(1051, "סך רשומות", 5, 15);

// A100, the opening record (section 4.1).
pub const A_PRIMARY_ID: Spec = spec(1103, "מזהה ראשי", 23, 15);
pub const A_CONSTANT: Spec = spec(1104, "קבוע מערכת", 38, 8);

// Z900, the closing record (section 4.2).
pub const Z_TOTAL: Spec = spec(1155, "סך רשומות כולל בקובץ", 46, 15);

// C100, the document header (section 4.3).
pub const C_LENGTH: usize = 444;
pub const C_TYPE: Spec = spec(1203, "סוג מסמך", 23, 3);
pub const C_NUMBER: Spec = spec(1204, "מספר מסמך", 26, 20);
pub const C_ISSUED: Spec = spec(1205, "תאריך הפקת מסמך", 46, 8);
pub const C_NAME: Spec = spec(1207, "שם לקוח/ספק", 58, 50);
pub const C_STREET: Spec = spec(1208, "מען הלקוח/ספק - רחוב", 108, 50);
pub const C_CITY: Spec = spec(1210, "מען הלקוח/ספק - עיר", 168, 30);
pub const C_VAT_ID: Spec = spec(1215, "מס עוסק מורשה לקוח/ספק", 253, 9);
pub const C_FOREIGN_AMOUNT: Spec = spec(1217, "סכום סופי של המסמך במט\"ח", 270, 15);
pub const C_CURRENCY: Spec = spec(1218, "קוד מט\"ח", 285, 3);
pub const C_TOTAL: Spec = spec(1223, "סכום המסמך כולל מע\"מ", 348, 15);
pub const C_WITHHELD: Spec = spec(1224, "סכום הניכוי במקור", 363, 12);
pub const C_CUSTOMER: Spec = spec(1225, "מפתח הלקוח אצל המוכר", 375, 15);
pub const C_CANCELLED: Spec = spec(1228, "מסמך מבוטל", 400, 1);
pub const C_DATE: Spec = spec(1230, "תאריך המסמך", 401, 8);
pub const C_LINK: Spec = spec(1234, "שדה מקשר לשורה", 425, 7);

// D110, a line of a document (section 4.4).
pub const D110_TYPE: Spec = spec(1253, "סוג המסמך", 23, 3);
pub const D110_NUMBER: Spec = spec(1254, "מספר המסמך", 26, 20);
pub const D110_BASE_TYPE: Spec = spec(1256, "סוג מסמך בסיס", 50, 3);
pub const D110_BASE_NUMBER: Spec = spec(1257, "מספר מסמך בסיס", 53, 20);
pub const D110_DESCRIPTION: Spec = spec(1260, "תיאור הטובין/השירות", 94, 30);
pub const D110_LINK: Spec = spec(1273, "שדה מקשר לכותרת", 305, 7);

// D120, a payment line of a receipt (section 4.5).
pub const D120_TYPE: Spec = spec(1303, "סוג מסמך", 23, 3);
pub const D120_NUMBER: Spec = spec(1304, "מספר מסמך", 26, 20);
pub const D120_METHOD: Spec = spec(1306, "סוג אמצעי התשלום", 50, 1);
pub const D120_AMOUNT: Spec = spec(1312, "סכום השורה", 104, 15);
pub const D120_LINK: Spec = spec(1323, "שדה מקשר לכותרת", 156, 7);

/// The name of a payment method code of field 1306, as the specification writes it.
#[must_use]
pub fn method_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "מזומן",
        2 => "המחאה",
        3 => "כרטיס אשראי",
        4 => "העברה בנקאית",
        5 => "תווי קניה",
        6 => "תלוש החלפה",
        7 => "שטר",
        8 => "הוראת קבע",
        9 => "אחר",
        _ => return None,
    })
}

/// The name of a document type of appendix 1, for messages.
#[must_use]
pub fn document_name(code: u16) -> &'static str {
    match code {
        100 => "order",
        200 => "delivery note",
        205 => "agent delivery note",
        210 => "return note",
        300 => "invoice / transaction invoice",
        305 => "tax invoice",
        310 => "summary invoice",
        320 => "tax invoice-receipt",
        330 => "credit tax invoice",
        340 => "reservation invoice",
        345 => "agent invoice",
        400 => "receipt",
        405 => "donation receipt",
        410 => "cash withdrawal",
        420 => "bank deposit",
        500 => "purchase order",
        600 => "purchase delivery note",
        610 => "purchase return",
        700 => "purchase tax invoice",
        710 => "purchase credit",
        800 => "opening balance",
        810 => "stock entry",
        820 => "stock issue",
        830 => "warehouse transfer",
        840 => "stock-count update",
        900 => "production report (in)",
        910 => "production report (out)",
        _ => "unknown document type",
    }
}

/// A field that is empty: blanks, the specification's `!` filler, or nothing at all.
fn is_blank(text: &str) -> bool {
    text.chars().all(|c| c == ' ' || c == '!' || c == '\0')
}

/// Alphanumeric text: trimmed of its padding; `None` when blank.
#[must_use]
pub fn text(raw: &str) -> Option<String> {
    if is_blank(raw) {
        return None;
    }
    let trimmed = raw.trim_matches(|c: char| c == ' ' || c == '!' || c == '\0');
    Some(trimmed.to_string())
}

/// A numeric code (`9(n)`): `Ok(None)` when blank or all zeros.
///
/// # Errors
/// The text is not digits.
pub fn code(raw: &str) -> Result<Option<u32>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err("not a number (the field holds digits only)".to_string());
    }
    match t.parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err("number too large".to_string()),
    }
}

/// A date `YYYYMMDD`: `Ok(None)` when blank or zeros.
///
/// # Errors
/// Not eight digits, or not a calendar date.
pub fn date(raw: &str) -> Result<Option<NaiveDate>, String> {
    let t = raw.trim();
    if t.is_empty() || t.bytes().all(|b| b == b'0') {
        return Ok(None);
    }
    let bad = || format!("not a date: the field holds YYYYMMDD, here \"{t}\"");
    if t.len() != 8 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let part = |range: std::ops::Range<usize>| t.get(range).and_then(|p| p.parse::<u32>().ok());
    match (part(0..4), part(4..6), part(6..8)) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d))
            .map(Some)
            .ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// An amount `X9(n)v99`: a sign, then digits of which the last two are the decimals.
/// `Ok(None)` when blank. A value written with a decimal point (`+1234.50`, not what the
/// specification says but seen) is read as written; no sign is read as positive.
///
/// # Errors
/// Anything else: letters, two signs, no digits, spaces inside the digits.
pub fn amount(raw: &str) -> Result<Option<Decimal>, String> {
    let t = raw.trim_matches(|c: char| c == ' ' || c == '!' || c == '\0');
    if t.is_empty() {
        return Ok(None);
    }
    let bad = || {
        format!(
            "not an amount: the field holds a sign and digits, the last two of them decimals \
             (+000000000123450 is 1234.50), here \"{t}\""
        )
    };
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (whole, scale) = match digits.split_once('.') {
        Some((int, frac)) => (format!("{int}{frac}"), frac.len()),
        None => (digits.to_string(), 2),
    };
    if whole.is_empty() || whole.len() > 24 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let mantissa: i128 = whole.parse().map_err(|_| bad())?;
    let scale = u32::try_from(scale).map_err(|_| bad())?;
    let value = Decimal::try_from_i128_with_scale(mantissa, scale).map_err(|_| bad())?;
    Ok(Some(if negative { -value } else { value }))
}

/// A document number as one form: the specification allows `1234` or `00000000000000001234`,
/// and `AA123` or `AA000000000000000123` (a series of up to five characters, then digits), for
/// the same document. The series is kept, the leading zeros of the digits are not.
#[must_use]
pub fn document_number(raw: &str) -> Option<String> {
    let t = text(raw)?;
    let digits_from = t
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit())
        .map_or(t.len(), |(i, _)| i);
    let (series, digits) = t.split_at(digits_from);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Some(t);
    }
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    Some(format!("{series}{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_signed_fixed_point() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount("+00000000123450"), Ok(Some(d("1234.50"))));
        assert_eq!(amount("-00000000123456"), Ok(Some(d("-1234.56"))));
        assert_eq!(amount("+00000000000000"), Ok(Some(d("0"))));
        assert_eq!(amount("0000000000123450"), Ok(Some(d("1234.50"))));
        assert_eq!(amount("+1234.5"), Ok(Some(d("1234.5"))));
        assert_eq!(amount("               "), Ok(None));
        assert_eq!(amount("!!!!!!!!!!!!!!!"), Ok(None));
        assert!(amount("+0000000012A450").is_err());
        assert!(amount("+-00000012450").is_err());
        assert!(amount("-").is_err());
        assert!(amount("+0000 00012450").is_err());
    }

    proptest::proptest! {
        /// Every amount the specification can hold reads back exactly.
        #[test]
        fn signed_fixed_point_reads_exactly(cents in -99_999_999_999_999i64..=99_999_999_999_999) {
            let field = format!("{}{:014}", if cents < 0 { '-' } else { '+' }, cents.unsigned_abs());
            proptest::prop_assert_eq!(amount(&field), Ok(Some(Decimal::new(cents, 2))));
        }

        /// Any text in an amount, date or code field is a value or a message, never a panic.
        #[test]
        fn any_text_is_read_or_refused(text in "\\PC{0,20}") {
            let _ = amount(&text);
            let _ = date(&text);
            let _ = code(&text);
            let _ = document_number(&text);
        }
    }

    #[test]
    fn dates_are_yyyymmdd() {
        assert_eq!(date("20261105"), Ok(NaiveDate::from_ymd_opt(2026, 11, 5)));
        assert_eq!(date("00000000"), Ok(None));
        assert_eq!(date("        "), Ok(None));
        assert!(date("20261305").is_err());
        assert!(date("2026110").is_err());
        assert!(date("05/11/26").is_err());
    }

    #[test]
    fn codes_and_texts() {
        assert_eq!(code("305"), Ok(Some(305)));
        assert_eq!(code("000"), Ok(None));
        assert_eq!(code("   "), Ok(None));
        assert!(code("3O5").is_err());
        assert_eq!(text("  כהן ובניו   "), Some("כהן ובניו".to_string()));
        assert_eq!(text("!!!!!"), None);
    }

    #[test]
    fn document_numbers_drop_padding_zeros_not_series() {
        assert_eq!(document_number("00000000000000001234"), Some("1234".into()));
        assert_eq!(document_number("1234                "), Some("1234".into()));
        assert_eq!(
            document_number("AA000000000000000123"),
            Some("AA123".into())
        );
        assert_eq!(document_number("INV-2026/07"), Some("INV-2026/07".into()));
        assert_eq!(document_number("00000"), Some("0".into()));
        assert_eq!(document_number("     "), None);
    }
}
