//! OFX bank and credit-card downloads as statement entries: OFX 1.x (SGML, header lines such
//! as `OFXHEADER:100`), OFX 2.x (XML, `<?OFX OFXHEADER="200" ...?>`) and QFX (OFX with Intuit's
//! extra tags, which are skipped like any tag that carries nothing arrears uses).
//!
//! One hand-written tokenizer reads both bodies. SGML OFX leaves the closing tag of a value
//! element out (`<TRNAMT>120.00`), so an element followed by text is a value and an element
//! followed by another tag is an aggregate; a closing tag closes its aggregate and any
//! aggregate left open inside it. A value is filed under the innermost aggregate arrears knows
//! (`STMTTRN`, `PAYEE`, `CURRENCY`, `BANKACCTFROM`, `STMTRS` ...), so a stray empty value
//! element never misplaces the values after it. A file that ends with an aggregate still open
//! is truncated: the whole file is an error, with the line of that aggregate.
//!
//! What comes out (SPEC section 10): one [`Entry`] per `STMTTRN` in the `BANKTRANLIST` of
//! every `STMTRS` (bank) and `CCSTMTRS` (credit card) of the file, at its ordinal over the whole
//! file. `TRNAMT`'s sign gives the direction (a positive amount is money in); `FITID` is the id;
//! `NAME` (else `PAYEE/NAME`) the payer; `MEMO` the memo; `CURRENCY/CURSYM` (else the
//! statement's `CURDEF`) the currency; `BANKACCTFROM/ACCTID` (or `CCACCTFROM/ACCTID`) the
//! account. Transactions in a pending list (`BANKTRANLISTP`, OFX 2.1) and `STMTTRNP`
//! elements are pending.
//!
//! The date is the value date, else the booking date. OFX names three dates: `DTPOSTED` (when
//! the bank booked the transaction, required), `DTUSER` (when the payer initiated it, e.g. the
//! day a card was used) and `DTAVAIL` (when the funds are available, which the OFX
//! specification itself calls the value date). So the date is `DTAVAIL`, else `DTPOSTED`;
//! `DTUSER` is the payer's date, not the bank's, and is only a last resort (and `DTTRAN` for a
//! pending `STMTTRNP`, which has no posting date).
//!
//! Encoding: the bytes decide. Valid UTF-8 is UTF-8; otherwise the header's `CHARSET` (a
//! Windows code page number such as `1255`, or a label such as `ISO-8859-8`) or the XML
//! declaration's encoding is used, and Windows-1252 when neither names one.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252};
use rust_decimal::Decimal;

use super::statement::{Direction, Entry, Problem, Statement, Status};
use super::table::Text;
use crate::model::Severity;

/// Deeper nesting than any OFX file has (about 10 levels): refused.
pub const MAX_DEPTH: usize = 64;

/// How much of the start of a file [`sniff`] and the header reading look at.
const HEAD_BYTES: usize = 4 * 1024;

/// The aggregates whose values arrears reads; a value is filed under the innermost of them.
const KNOWN: [&str; 13] = [
    "STMTRS",
    "CCSTMTRS",
    "BANKACCTFROM",
    "CCACCTFROM",
    "BANKACCTTO",
    "CCACCTTO",
    "BANKTRANLIST",
    "BANKTRANLISTP",
    "STMTTRN",
    "STMTTRNP",
    "PAYEE",
    "CURRENCY",
    "ORIGCURRENCY",
];

/// Value elements that may be written empty (`<MEMO>` with nothing after it): never an
/// aggregate.
const VALUES: [&str; 18] = [
    "TRNTYPE", "DTPOSTED", "DTUSER", "DTAVAIL", "DTTRAN", "TRNAMT", "FITID", "NAME", "MEMO",
    "CHECKNUM", "REFNUM", "SIC", "PAYEEID", "CURSYM", "CURRATE", "CURDEF", "ACCTID", "BANKID",
];

/// Whether the bytes look like an OFX or QFX file: OFX header lines, an `<?OFX ...?>`
/// instruction, or markup that opens with `<OFX>`. Decides the format by content.
#[must_use]
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(HEAD_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let text = String::from_utf8_lossy(head).to_ascii_uppercase();
    let text = text.trim_start();
    text.starts_with("OFXHEADER")
        || (text.starts_with('<') && (text.contains("<?OFX ") || text.contains("<OFX>")))
}

/// Reads an OFX 1.x, OFX 2.x or QFX file into its transactions.
///
/// # Errors
///
/// What makes the whole file unreadable, with the line: text in no known encoding, no `<OFX>`
/// element, a tag that never ends, an aggregate still open at the end (a truncated download),
/// nesting deeper than [`MAX_DEPTH`], or no bank or credit-card statement at all.
pub fn read(bytes: &[u8]) -> Result<Statement, String> {
    let text = decode(bytes)?;
    let upper_head: String = text
        .chars()
        .take(HEAD_BYTES)
        .collect::<String>()
        .to_ascii_uppercase();
    let xml = upper_head.contains("<?OFX ") || upper_head.trim_start().starts_with("<?XML");
    let start = find_ofx(&text).ok_or("no <OFX> element: this is not an OFX file")?;
    let mut parser = Parser::default();
    tokenize(&text, start, &mut parser)?;
    if let Some((open, at)) = parser.stack.last() {
        return Err(format!(
            "the file ends inside <{open}> opened at line {}: it is truncated",
            line_of(&text, *at)
        ));
    }
    if parser.statements == 0 {
        return Err(
            "no bank or credit-card statement (STMTRS or CCSTMTRS) in it: arrears reads \
                    the transactions of bank and card accounts only"
                .to_string(),
        );
    }
    let mut format = String::new();
    if text.contains("<INTU.BID>") || text.contains("<INTU.USERID>") {
        format.push_str("QFX, ");
    }
    format.push_str(if xml { "OFX 2.x XML" } else { "OFX 1.x SGML" });
    Ok(Statement {
        format,
        columns: ["FITID", "DTPOSTED", "TRNAMT", "CURDEF", "NAME", "MEMO"],
        entries: parser.entries,
        problems: parser.problems,
    })
}

/// The file as text: valid UTF-8 is UTF-8, else the declared character set.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok(Cow::Borrowed(text));
    }
    let declared = declared_charset(bytes).filter(|e| *e != UTF_8 && e.is_ascii_compatible());
    let encoding = declared.unwrap_or(WINDOWS_1252);
    let (text, malformed) = encoding.decode_without_bom_handling(bytes);
    if malformed {
        return Err(format!(
            "the file is neither UTF-8 nor valid {} ({})",
            encoding.name(),
            if declared.is_some() {
                "the character set its header declares"
            } else {
                "its header declares no character set"
            }
        ));
    }
    Ok(text)
}

/// The character set an OFX 1.x header (`CHARSET:1255`) or an XML declaration names. The
/// header is read up to `<OFX>`, whether its fields are on lines of their own or, as some banks
/// write them, run together on one line.
fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(HEAD_BYTES)]);
    let header = &head[..find_ofx(&head).unwrap_or(head.len())];
    let upper = header.to_ascii_uppercase();
    if let Some(at) = upper.find("CHARSET:") {
        let value = header[at + "CHARSET:".len()..].trim_start();
        let digits: String = value.chars().take_while(char::is_ascii_digit).collect();
        return if digits.is_empty() {
            let label: String = value
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                .collect();
            Encoding::for_label(label.as_bytes())
        } else {
            Encoding::for_label(format!("windows-{digits}").as_bytes())
        };
    }
    let at = header.find("encoding=")?;
    let label: String = header[at + "encoding=".len()..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| !matches!(c, '"' | '\'' | '?' | ' '))
        .collect();
    Encoding::for_label(label.as_bytes())
}

/// Where the `<OFX>` element starts, in any case.
fn find_ofx(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    bytes
        .windows(5)
        .position(|w| w.eq_ignore_ascii_case(b"<OFX>"))
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .get(..offset)
        .unwrap_or_default()
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Walks the tags and values of the body from `start`.
fn tokenize(text: &str, start: usize, parser: &mut Parser) -> Result<(), String> {
    let bytes = text.as_bytes();
    let mut at = start;
    // An element just opened whose content is not known yet: a value or an aggregate.
    let mut opened: Option<(String, usize)> = None;
    while at < bytes.len() {
        let Some(lt) = text[at..].find('<').map(|p| at + p) else {
            break;
        };
        let between = &text[at..lt];
        let next = &text[lt..];
        if let Some(rest) = next.strip_prefix("<!--") {
            let end = rest.find("-->").ok_or_else(|| {
                format!("a comment that never ends at line {}", line_of(text, lt))
            })?;
            at = lt + 4 + end + 3;
            continue;
        }
        let close = next.find('>').ok_or_else(|| {
            format!(
                "a tag that never ends at line {}: the file is truncated",
                line_of(text, lt)
            )
        })? + lt;
        let tag = text[lt + 1..close].trim();
        at = close + 1;
        if tag.starts_with('?') || tag.starts_with('!') {
            continue;
        }
        if let Some((name, name_at)) = opened.take() {
            let value = between.trim();
            let closes_it = tag
                .strip_prefix('/')
                .is_some_and(|n| n.trim().eq_ignore_ascii_case(&name));
            if !value.is_empty() || closes_it || VALUES.contains(&name.as_str()) {
                parser.value(&name, &unescape(value));
                if closes_it {
                    continue;
                }
            } else {
                parser.open(name, name_at)?;
            }
        }
        if let Some(name) = tag.strip_prefix('/') {
            parser.close(&name.trim().to_ascii_uppercase());
        } else if let Some(name) = tag.strip_suffix('/') {
            parser.value(&name.trim().to_ascii_uppercase(), "");
        } else {
            let name = tag.split_whitespace().next().unwrap_or_default();
            opened = Some((name.to_ascii_uppercase(), lt));
        }
    }
    if let Some((name, name_at)) = opened {
        let value = text[at..].trim();
        if value.is_empty() && !VALUES.contains(&name.as_str()) {
            parser.open(name, name_at)?;
        } else {
            parser.value(&name, &unescape(value));
        }
    }
    Ok(())
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references; anything else
/// stays as written.
fn unescape(value: &str) -> Cow<'_, str> {
    if !value.contains('&') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let entity = after
            .find(';')
            .filter(|end| *end <= 10)
            .map(|end| &after[..end]);
        let resolved = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => {
                let number = e.strip_prefix('#')?;
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(code).filter(|c| *c != '\0')
            }
        });
        match (entity, resolved) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &after[e.len() + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// One transaction being read: its values by element.
#[derive(Debug, Default)]
struct Transaction {
    /// Where its aggregate opened (a pending list, a `STMTTRNP`).
    pending: bool,
    values: Vec<(&'static str, String)>,
    payee: Option<String>,
    currency: Option<String>,
}

impl Transaction {
    fn get(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

#[derive(Debug, Default)]
struct Parser {
    /// Open aggregates and where each opened.
    stack: Vec<(String, usize)>,
    statements: usize,
    account: Option<String>,
    curdef: Option<String>,
    transaction: Option<Transaction>,
    position: u32,
    entries: Vec<Entry>,
    problems: Vec<Problem>,
}

impl Parser {
    fn open(&mut self, name: String, at: usize) -> Result<(), String> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(format!(
                "elements nested more than {MAX_DEPTH} deep, which no OFX file is"
            ));
        }
        match name.as_str() {
            "STMTRS" | "CCSTMTRS" => {
                self.statements += 1;
                self.account = None;
                self.curdef = None;
            }
            "STMTTRN" | "STMTTRNP" => {
                let pending = name == "STMTTRNP"
                    || self.stack.iter().any(|(open, _)| open == "BANKTRANLISTP");
                self.transaction = Some(Transaction {
                    pending,
                    ..Transaction::default()
                });
            }
            _ => {}
        }
        self.stack.push((name, at));
        Ok(())
    }

    /// The innermost open aggregate arrears knows.
    fn parent(&self) -> Option<&str> {
        self.stack
            .iter()
            .rev()
            .map(|(name, _)| name.as_str())
            .find(|name| KNOWN.contains(name))
    }

    fn value(&mut self, name: &str, value: &str) {
        let value = value.trim();
        match (self.parent(), name) {
            (Some("STMTRS" | "CCSTMTRS"), "CURDEF") => self.curdef = Some(value.to_string()),
            (Some("BANKACCTFROM" | "CCACCTFROM"), "ACCTID") => {
                self.account = Some(value.to_string());
            }
            (Some("PAYEE"), "NAME") => {
                if let Some(t) = self.transaction.as_mut() {
                    t.payee = Some(value.to_string());
                }
            }
            (Some("CURRENCY"), "CURSYM") => {
                if let Some(t) = self.transaction.as_mut() {
                    t.currency = Some(value.to_string());
                }
            }
            (Some("STMTTRN" | "STMTTRNP"), _) => {
                let known = [
                    "DTPOSTED", "DTUSER", "DTAVAIL", "DTTRAN", "TRNAMT", "FITID", "NAME", "MEMO",
                ];
                if let (Some(t), Some(field)) = (
                    self.transaction.as_mut(),
                    known.iter().find(|k| **k == name),
                ) {
                    t.values.push((field, value.to_string()));
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        let Some(depth) = self.stack.iter().rposition(|(open, _)| open == name) else {
            // The closing tag of a value element (XML), or a stray one: nothing to close.
            return;
        };
        while self.stack.len() > depth {
            let Some((open, _)) = self.stack.pop() else {
                break;
            };
            if open == "STMTTRN" || open == "STMTTRNP" {
                if let Some(transaction) = self.transaction.take() {
                    self.finish(&transaction);
                }
            }
        }
    }

    /// A transaction complete: an entry, or a problem at its position.
    fn finish(&mut self, t: &Transaction) {
        self.position += 1;
        let position = self.position;
        match self.entry(t, position) {
            Ok(entry) => self.entries.push(entry),
            Err((column, value, message)) => self.problems.push(Problem {
                severity: Severity::Error,
                position,
                column: Some(column.to_string()),
                value,
                message,
            }),
        }
    }

    fn entry(
        &self,
        t: &Transaction,
        position: u32,
    ) -> Result<Entry, (&'static str, Option<String>, String)> {
        let shown = t.get("TRNAMT").ok_or((
            "TRNAMT",
            None,
            "the transaction has no amount; left out".to_string(),
        ))?;
        let signed = amount(shown).ok_or_else(|| {
            (
                "TRNAMT",
                Some(shown.to_string()),
                "not an amount; left out".to_string(),
            )
        })?;
        let (column, written) = ["DTAVAIL", "DTPOSTED", "DTUSER", "DTTRAN"]
            .into_iter()
            .find_map(|c| t.get(c).map(|v| (c, v)))
            .ok_or((
                "DTPOSTED",
                None,
                "the transaction has no date; left out".to_string(),
            ))?;
        let date = date(written).ok_or_else(|| {
            (
                column,
                Some(written.to_string()),
                "not a date (YYYYMMDD expected); left out".to_string(),
            )
        })?;
        let memo = t.get("MEMO").map(Text::from);
        Ok(Entry {
            position,
            id: t.get("FITID").map(Text::from),
            date,
            amount: signed.abs(),
            currency: t
                .currency
                .as_deref()
                .or(self.curdef.as_deref())
                .filter(|c| !c.is_empty())
                .map(Text::from),
            direction: if signed.is_sign_negative() {
                Direction::Debit
            } else {
                Direction::Credit
            },
            status: if t.pending {
                Status::Pending
            } else {
                Status::Booked
            },
            reversal: false,
            payer: t
                .get("NAME")
                .or(t.payee.as_deref().filter(|p| !p.is_empty()))
                .map(Text::from),
            reference: memo.clone(),
            memo,
            account: self.account.as_deref().map(Arc::from),
        })
    }
}

/// `120.00`, `-1234,56`, `+5`, `1,234.56`: the last `.` or `,` is the decimal point.
fn amount(text: &str) -> Option<Decimal> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let text = text.strip_prefix('+').unwrap_or(&text);
    let point = text.rfind(['.', ',']);
    let normal: String = text
        .char_indices()
        .filter_map(|(i, c)| match c {
            '.' | ',' if Some(i) == point => Some('.'),
            '.' | ',' => None,
            c => Some(c),
        })
        .collect();
    if normal.is_empty() || normal.contains(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
    {
        return None;
    }
    normal.parse().ok()
}

/// `20261105`, `20261105120000`, `20261105120000.000[-5:EST]`: the first eight digits.
fn date(text: &str) -> Option<NaiveDate> {
    let digits = text.trim().get(..8)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year = digits[..4].parse().ok()?;
    let month = digits[4..6].parse().ok()?;
    let day = digits[6..].parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/tests/fixtures/statements/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    const FIXTURES: [&str; 4] = [
        "ofx1-sgml-windows1255.ofx",
        "ofx2-xml.ofx",
        "qfx-credit-card.qfx",
        "ofx1-sgml-utf8-under-1252-header.ofx",
    ];

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn sgml_in_windows_1255_reads_hebrew_and_both_signs() {
        let bytes = fixture("ofx1-sgml-windows1255.ofx");
        assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is 1255");
        let statement = read(&bytes).unwrap();
        assert_eq!(statement.format, "OFX 1.x SGML");
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let e = &statement.entries;
        assert_eq!(e.len(), 4);
        assert_eq!(e[0].payer.as_deref(), Some("מאפיית הגליל בע\"מ"));
        assert_eq!(e[0].memo.as_deref(), Some("תשלום INV-202"));
        assert_eq!(e[0].id.as_deref(), Some("20261105-0001"));
        assert_eq!(e[0].amount.to_string(), "340.50");
        assert_eq!(e[0].direction, Direction::Credit);
        assert_eq!(e[0].currency.as_deref(), Some("ILS"), "CURDEF");
        assert_eq!(e[0].account.as_deref(), Some("284610"));
        assert_eq!(e[0].date, day(5), "DTPOSTED when there is no DTAVAIL");
        assert_eq!(
            e[1].amount.to_string(),
            "1200,00".replace(',', "."),
            "comma decimals"
        );
        assert_eq!(e[1].date, day(9), "DTAVAIL, the value date, over DTPOSTED");
        assert_eq!(
            e[1].payer.as_deref(),
            Some("סטודיו אורן & שות'"),
            "entities"
        );
        assert_eq!(e[2].direction, Direction::Debit);
        assert_eq!(e[2].amount.to_string(), "85.20");
        assert_eq!(e[2].memo, None, "an empty MEMO is no memo");
        assert_eq!(
            e[3].payer.as_deref(),
            Some("נגרות עמית ובניו"),
            "after an empty element arrears does not know"
        );
        assert_eq!(
            e.iter().map(|e| e.position).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn xml_ofx_reads_payee_currency_and_pending_list() {
        let statement = read(&fixture("ofx2-xml.ofx")).unwrap();
        assert_eq!(statement.format, "OFX 2.x XML");
        let e = &statement.entries;
        assert_eq!(e.len(), 4);
        assert_eq!(
            e[0].payer.as_deref(),
            Some("Northwind Traders"),
            "PAYEE/NAME"
        );
        assert_eq!(e[0].memo.as_deref(), Some("INV-102"));
        assert_eq!(e[0].date, day(5), "DTPOSTED, not DTUSER");
        assert_eq!(e[1].currency.as_deref(), Some("EUR"), "CURRENCY/CURSYM");
        assert_eq!(e[1].amount.to_string(), "150.00");
        assert_eq!(e[2].status, Status::Booked);
        assert_eq!(e[2].direction, Direction::Debit);
        assert_eq!(e[3].status, Status::Pending, "in BANKTRANLISTP");
        assert_eq!(e[3].date, day(30), "DTTRAN of a STMTTRNP");
        assert!(e
            .iter()
            .all(|e| e.account.as_deref() == Some("000123456789")));
    }

    #[test]
    fn qfx_credit_card_statement() {
        let statement = read(&fixture("qfx-credit-card.qfx")).unwrap();
        assert_eq!(statement.format, "QFX, OFX 1.x SGML");
        let e = &statement.entries;
        assert_eq!(e.len(), 3);
        assert_eq!(
            e[0].account.as_deref(),
            Some("4111222233334444"),
            "CCACCTFROM"
        );
        assert_eq!(e[0].direction, Direction::Debit);
        assert_eq!(e[2].direction, Direction::Credit);
        assert_eq!(e[2].payer.as_deref(), Some("Brightside Design Ltd"));
        assert_eq!(e[2].currency.as_deref(), Some("USD"));
    }

    #[test]
    fn a_header_on_one_line_still_names_its_charset() {
        let mut bytes = b"OFXHEADER:100DATA:OFXSGMLVERSION:102CHARSET:1255COMPRESSION:NONE<OFX>\
            <BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>ILS<BANKTRANLIST><STMTTRN><TRNTYPE>CREDIT\
            <DTPOSTED>20261105<TRNAMT>10<FITID>A1<NAME>"
            .to_vec();
        bytes.extend(encoding_rs::WINDOWS_1255.encode("מוסך הדרום").0.iter());
        bytes.extend(b"</STMTTRN></BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>");
        let statement = read(&bytes).unwrap();
        assert_eq!(statement.entries[0].payer.as_deref(), Some("מוסך הדרום"));
        assert_eq!(
            declared_charset(b"<?xml version=\"1.0\" encoding='ISO-8859-8'?><?OFX x?><OFX>"),
            Some(encoding_rs::ISO_8859_8)
        );
    }

    #[test]
    fn utf8_body_under_a_1252_header_stays_utf8() {
        let statement = read(&fixture("ofx1-sgml-utf8-under-1252-header.ofx")).unwrap();
        assert_eq!(statement.entries[0].payer.as_deref(), Some("מוסך הדרום"));
    }

    #[test]
    fn a_bad_transaction_is_a_problem_at_its_position() {
        let sgml = "OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS>\
            <CURDEF>ILS<BANKACCTFROM><ACCTID>1</BANKACCTFROM><BANKTRANLIST>\
            <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261105<TRNAMT>abc<FITID>1</STMTTRN>\
            <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>2026-11-05<TRNAMT>5<FITID>2</STMTTRN>\
            <STMTTRN><TRNTYPE>CREDIT<TRNAMT>5<FITID>3</STMTTRN>\
            <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261105<FITID>4</STMTTRN>\
            <STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261105<TRNAMT>5.5<FITID>5</STMTTRN>\
            </BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>";
        let statement = read(sgml.as_bytes()).unwrap();
        let problems: Vec<(u32, &str)> = statement
            .problems
            .iter()
            .map(|p| (p.position, p.column.as_deref().unwrap()))
            .collect();
        assert_eq!(
            problems,
            [
                (1, "TRNAMT"),
                (2, "DTPOSTED"),
                (3, "DTPOSTED"),
                (4, "TRNAMT")
            ]
        );
        assert_eq!(statement.entries.len(), 1);
        assert_eq!(statement.entries[0].position, 5);
        assert_eq!(statement.entries[0].id.as_deref(), Some("5"));
    }

    #[test]
    fn amounts_and_dates() {
        for (text, want) in [
            ("120.00", "120.00"),
            ("-1234,56", "-1234.56"),
            ("+5", "5"),
            ("1,234.56", "1234.56"),
            ("1.234,56", "1234.56"),
        ] {
            assert_eq!(amount(text).unwrap().to_string(), want, "{text}");
        }
        for bad in ["", "-", "12a", "1e5", "--3"] {
            assert!(amount(bad).is_none(), "{bad}");
        }
        assert_eq!(date("20261105120000.000[-5:EST]"), Some(day(5)));
        assert_eq!(date("20261105"), Some(day(5)));
        assert_eq!(date("20261131"), None);
        assert_eq!(date("2026110"), None);
        assert_eq!(date("2026-11-05"), None);
    }

    #[test]
    fn truncated_and_hostile_files_are_errors() {
        let good = fixture("ofx2-xml.ofx");
        let err = read(&good[..good.len() - 40]).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        let err =
            read(b"OFXHEADER:100\n\n<OFX><SIGNONMSGSRSV1></SIGNONMSGSRSV1></OFX>").unwrap_err();
        assert!(err.contains("no bank or credit-card statement"), "{err}");
        let err = read(b"OFXHEADER:100\n\nnothing").unwrap_err();
        assert!(err.contains("no <OFX>"), "{err}");
        let deep = format!("<OFX>{}", "<A>\n".repeat(1000));
        assert!(read(deep.as_bytes()).unwrap_err().contains("nested"));
        let err = read(b"OFXHEADER:100\nCHARSET:1255\n\n<OFX><STMTRS><NAME>\xFF</STMTRS></OFX>")
            .unwrap_err();
        assert!(err.contains("windows-1255"), "{err}");
    }

    #[test]
    fn no_truncation_of_any_fixture_panics() {
        for name in FIXTURES {
            let bytes = fixture(name);
            assert!(sniff(&bytes), "{name}");
            for end in (0..bytes.len()).step_by(5) {
                let _ = read(&bytes[..end]);
            }
            // Markup characters and a non-UTF-8 byte dropped in anywhere.
            for (at, byte) in (0..bytes.len())
                .step_by(13)
                .zip([b'<', b'>', b'&', b'/', 0xE9].iter().cycle())
            {
                let mut changed = bytes.clone();
                changed[at] = *byte;
                let _ = read(&changed);
            }
            let statement = read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!statement.entries.is_empty(), "{name}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any SGML statement of transactions with any amount (either decimal mark), name and
        /// memo reads back transaction for transaction.
        #[test]
        fn written_transactions_read_back(
            transactions in proptest::collection::vec(
                (
                    -10_000_000i64..10_000_000,
                    proptest::bool::ANY,
                    "[a-zA-Z0-9א-ת&<>\"' .-]{1,16}",
                    "[a-zA-Z0-9א-ת&<> -]{0,20}",
                ),
                0..10,
            )
        ) {
            let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
            let mut sgml = String::from(
                "OFXHEADER:100\nDATA:OFXSGML\nCHARSET:1255\n\n<OFX><BANKMSGSRSV1><STMTTRNRS>\
                 <STMTRS><CURDEF>ILS<BANKACCTFROM><ACCTID>7</BANKACCTFROM><BANKTRANLIST>\n",
            );
            for (i, (cents, comma, name, memo)) in transactions.iter().enumerate() {
                let sign = if *cents < 0 { "-" } else { "" };
                let mark = if *comma { ',' } else { '.' };
                let abs = cents.unsigned_abs();
                sgml.push_str(&format!(
                    "<STMTTRN>\n<TRNTYPE>OTHER\n<DTPOSTED>20261105\n\
                     <TRNAMT>{sign}{}{mark}{:02}\n<FITID>F{i}\n<NAME>{}\n<MEMO>{}\n</STMTTRN>\n",
                    abs / 100,
                    abs % 100,
                    escape(name),
                    escape(memo)
                ));
            }
            sgml.push_str("</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n");
            let statement = read(sgml.as_bytes()).unwrap();
            proptest::prop_assert!(statement.problems.is_empty(), "{:?}", statement.problems);
            let got: Vec<_> = statement
                .entries
                .iter()
                .map(|e| (e.id.as_deref().unwrap().to_string(), e.amount, e.direction, e.payer.as_deref().map(str::to_string), e.memo.as_deref().map(str::to_string)))
                .collect();
            let expected: Vec<_> = transactions
                .iter()
                .enumerate()
                .map(|(i, (cents, _, name, memo))| {
                    (
                        format!("F{i}"),
                        Decimal::new(cents.abs(), 2),
                        if *cents < 0 { Direction::Debit } else { Direction::Credit },
                        Some(name.trim().to_string()).filter(|n| !n.is_empty()),
                        Some(memo.trim().to_string()).filter(|m| !m.is_empty()),
                    )
                })
                .collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }

    #[test]
    fn sniff_looks_at_content_only() {
        assert!(!sniff(b"<html><body>OFX</body></html>"));
        assert!(!sniff(b"Date,Amount,Memo\n2026-11-05,5,<OFX>\n"));
        assert!(sniff(b"\xEF\xBB\xBF\r\nOFXHEADER:100\r\n"));
        assert!(sniff(
            b"<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?>\n<OFX>"
        ));
    }
}
