//! SWIFT MT940 customer statements (and MT942 interim transaction reports) as payments.
//!
//! Read by hand rather than with an MT940 crate: the crates at hand assume SWIFT's character
//! set and transliterate or refuse what lies beyond it, while Israeli and other banks write
//! names and purposes in their own script into `:86:`; and each bank's `:86:` dialect has to be
//! read by rules of our own anyway. The bytes decide the encoding (valid UTF-8, else
//! Windows-1255 when the high bytes look Hebrew, else Windows-1252), and text stays as written.
//!
//! A file holds one or more statements, each `:20:` … `-`, with or without a SWIFT envelope
//! (`{1:…}{2:…}{4:` … `-}`), with CRLF or LF line ends. Of each statement this reader takes the
//! account (`:25:`), the currency (`:60F:`/`:60M:`, else `:62F:`/`:62M:`, else MT942's `:34F:`)
//! and its entries: each `:61:` line (value date, optional entry date, mark `C`/`D`/`RC`/`RD`,
//! optional funds code, amount with a decimal comma, transaction type, the account owner's
//! reference, `//` the bank's reference, optional supplementary details on the next line) with
//! the `:86:` that follows it. `:86:` is read in the common dialects: structured subfields
//! (`?00`…`?63`, also with `~` or another separator: `?20`–`?29` and `?60`–`?63` are the
//! purpose, with the SEPA keywords `SVWZ+` and `EREF+` taken apart, `?32`/`?33` the name),
//! SWIFT-style codes (`/NAME/`, `/ORDP//NAME/`, `/CNTP/`, `/REMI/`, `/EREF/`), and plain free
//! text (no payer then; all the text is the memo).
//!
//! Invariants: every `:61:` line becomes an entry at its line number or an error-level problem
//! there, so the shared rules of [`super::statement`] account for each. The payment id is the
//! bank's reference after `//`, else the statement reference (`:20:`) and the line number.
//!
//! MT942 entries are taken as booked: an interim report lists what the bank has already
//! posted during the day, and the same transaction in the evening's MT940 carries the same
//! bank reference, so the payment-id rule counts it once (an entry without a bank reference
//! gets an id from its own file and line and is not recognised again).

use std::sync::Arc;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::source::decode_text;
use super::statement::{Direction, Entry, Problem, Statement, Status};
use super::table::Text;
use crate::model::Severity;

/// Where each payment field is read from (id, date, amount, currency, payer, memo), as shown in
/// messages and in `run.json`.
const COLUMNS: [&str; 6] = [
    ":61: bank reference",
    ":61: value date",
    ":61: amount",
    ":60F: currency",
    ":86: name",
    ":86: purpose",
];

/// How much of a file [`looks_like`] reads, and within how many lines of its start the first
/// `:20:` must be (some banks write a few header lines first).
const SNIFF_BYTES: usize = 4096;
const SNIFF_FIRST_TAG_LINE: usize = 12;

/// Whether the bytes start like an MT940 or MT942 file: a `:20:` line among the first lines
/// (after an optional SWIFT envelope or a bank's header lines) and an account line `:25:`.
#[must_use]
pub fn looks_like(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let mut statement = false;
    let mut account = false;
    for (index, line) in head.split(|&b| b == b'\n').enumerate().take(80) {
        let mut line = line.trim_ascii();
        if let Some(at) = body_start(line) {
            line = line.get(at..).unwrap_or_default().trim_ascii();
        }
        statement |= line.starts_with(b":20:") && index < SNIFF_FIRST_TAG_LINE;
        account |= line.starts_with(b":25:") || line.starts_with(b":25P:");
    }
    statement && account
}

/// Reads an MT940 or MT942 file into its entries and the problems found in them.
///
/// # Errors
///
/// When the file as a whole cannot be a statement: binary data, mixed text encodings, or no
/// `:20:` or `:61:` tag at all. A single unreadable entry is a [`Problem`] instead.
pub fn read(bytes: &[u8]) -> Result<Statement, String> {
    let (text, _) = decode_text(bytes)?;
    let mut reader = Reader::default();
    for (index, line) in text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        reader.line(number, line.trim_end_matches('\r'));
    }
    reader.finish()
}

/// Where the message text of a SWIFT envelope line starts (after its last `{4:`), or the line's
/// end when it holds only envelope blocks; `None` for a line that is no envelope.
fn body_start(line: &[u8]) -> Option<usize> {
    if !line.starts_with(b"{") {
        return None;
    }
    Some(
        line.windows(3)
            .rposition(|w| w == b"{4:")
            .map_or(line.len(), |at| at + 3),
    )
}

/// The tag and the rest of a line that starts with one (`:61:`, `:60F:`, `:NS:`).
fn tag(line: &str) -> Option<(&str, &str)> {
    let b = line.as_bytes();
    if b.len() < 4 || b[0] != b':' || !b[1].is_ascii_alphanumeric() {
        return None;
    }
    if !b[2].is_ascii_alphanumeric() {
        return None;
    }
    if b[3] == b':' {
        return Some((&line[1..3], &line[4..]));
    }
    if b.len() >= 5 && b[3].is_ascii_alphabetic() && b[4] == b':' {
        return Some((&line[1..4], &line[5..]));
    }
    None
}

/// One statement (`:20:` … `-`) as far as it has been read.
#[derive(Default)]
struct Block {
    /// The line of its `:20:` (or of whatever opened it).
    line: u32,
    reference: Option<String>,
    account: Option<String>,
    opening_currency: Option<String>,
    closing_currency: Option<String>,
    floor_currency: Option<String>,
    /// An MT942 (its envelope says so, or it has MT942's `:13D:` or `:34F:`).
    interim: bool,
    /// A closing balance (`:62F:`/`:62M:`) was read.
    closed: bool,
}

impl Block {
    fn currency(&self) -> Option<String> {
        self.opening_currency
            .clone()
            .or_else(|| self.closing_currency.clone())
            .or_else(|| self.floor_currency.clone())
    }
}

/// One `:61:` line with what belongs to it.
struct Draft {
    line: u32,
    block: usize,
    statement_line: String,
    /// Continuation lines of the `:61:` (supplementary details).
    details: Vec<String>,
    /// The lines of the `:86:` that follows, if one does.
    info: Option<Vec<String>>,
}

/// What a line without a tag continues.
#[derive(Clone, Copy, Default)]
enum Extends {
    #[default]
    Nothing,
    Line(usize),
    Info(usize),
}

#[derive(Default)]
struct Reader {
    blocks: Vec<Block>,
    /// Whether the last block is still open.
    open: bool,
    drafts: Vec<Draft>,
    extends: Extends,
    /// The current envelope says MT942.
    interim_envelope: bool,
    /// A `:20:` or `:61:` was seen.
    any_statement: bool,
    problems: Vec<Problem>,
}

impl Reader {
    fn line(&mut self, number: u32, line: &str) {
        let mut line = line;
        if let Some(at) = body_start(line.as_bytes()) {
            let header = &line[..at];
            self.interim_envelope = header.contains("{2:O942") || header.contains("{2:I942");
            self.extends = Extends::Nothing;
            line = &line[at..];
            if line.trim().is_empty() {
                return;
            }
        }
        let end = line.trim_end();
        if end == "-" || end.starts_with("-}") {
            self.close_block();
            self.extends = Extends::Nothing;
            return;
        }
        match tag(line) {
            Some((tag, rest)) => self.tagged(number, tag, rest),
            None => match self.extends {
                Extends::Line(i) => self.drafts[i].details.push(line.to_string()),
                Extends::Info(i) => {
                    if let Some(info) = &mut self.drafts[i].info {
                        info.push(line.to_string());
                    }
                }
                Extends::Nothing => {}
            },
        }
    }

    fn tagged(&mut self, number: u32, tag: &str, rest: &str) {
        let before = std::mem::take(&mut self.extends);
        match tag {
            "20" => {
                self.close_block();
                self.any_statement = true;
                let block = self.block(number);
                block.reference = text(rest);
            }
            "25" | "25P" => self.block(number).account = text(rest),
            "60F" | "60M" => self.block(number).opening_currency = balance_currency(rest),
            "62F" | "62M" => {
                let block = self.block(number);
                block.closing_currency = balance_currency(rest);
                block.closed = true;
            }
            "34F" => {
                let block = self.block(number);
                block.floor_currency = currency_code(rest.get(..3));
                block.interim = true;
            }
            "13" | "13D" => self.block(number).interim = true,
            "61" => {
                self.any_statement = true;
                self.block(number);
                let block = self.blocks.len() - 1;
                self.drafts.push(Draft {
                    line: number,
                    block,
                    statement_line: rest.to_string(),
                    details: Vec::new(),
                    info: None,
                });
                self.extends = Extends::Line(self.drafts.len() - 1);
            }
            "86" => {
                // Only an `:86:` right after an entry belongs to it; one after the balances
                // speaks of the whole statement.
                if let Extends::Line(i) | Extends::Info(i) = before {
                    self.drafts[i]
                        .info
                        .get_or_insert_with(Vec::new)
                        .push(rest.to_string());
                    self.extends = Extends::Info(i);
                }
            }
            _ => {}
        }
    }

    /// The open statement, opened at `number` when there is none (a file that starts without
    /// `:20:`).
    fn block(&mut self, number: u32) -> &mut Block {
        if !self.open || self.blocks.is_empty() {
            self.blocks.push(Block {
                line: number,
                interim: self.interim_envelope,
                ..Block::default()
            });
            self.open = true;
        }
        let last = self.blocks.len() - 1;
        &mut self.blocks[last]
    }

    fn close_block(&mut self) {
        if !self.open {
            return;
        }
        self.open = false;
        let Some(block) = self.blocks.last() else {
            return;
        };
        if !block.interim && !block.closed {
            let name = block
                .reference
                .as_deref()
                .map_or_else(String::new, |r| format!(" '{r}'"));
            self.problems.push(Problem {
                severity: Severity::Warning,
                position: block.line,
                column: Some(":62F:".to_string()),
                value: None,
                message: format!(
                    "the statement{name} starting here has no closing balance (:62F:); the \
                     file may be cut short: check that every entry of the statement is in it"
                ),
            });
        }
    }

    fn finish(mut self) -> Result<Statement, String> {
        self.close_block();
        if !self.any_statement {
            return Err("it has no statement in it (no line starts with :20: or :61:)".to_string());
        }
        let mut entries = Vec::with_capacity(self.drafts.len());
        for draft in &self.drafts {
            let Some(block) = self.blocks.get(draft.block) else {
                continue;
            };
            match statement_line(&draft.statement_line) {
                Ok(line) => entries.push(entry(draft, block, line)),
                Err(why) => self.problems.push(Problem {
                    severity: Severity::Error,
                    position: draft.line,
                    column: Some(":61:".to_string()),
                    value: Some(draft.statement_line.trim().to_string()),
                    message: format!(
                        "{why}; the entry is left out (a :61: line reads: value date YYMMDD, \
                         optional entry date MMDD, C/D/RC/RD, amount with a decimal comma, \
                         type, references)"
                    ),
                }),
            }
        }
        let interim = self.blocks.iter().filter(|b| b.interim).count();
        let format = match (interim, self.blocks.len() - interim) {
            (0, _) => "MT940",
            (_, 0) => "MT942",
            _ => "MT940 and MT942",
        };
        let mut columns = COLUMNS;
        if format == "MT942" {
            columns[3] = ":34F: currency";
        }
        Ok(Statement {
            format: format.to_string(),
            columns,
            entries,
            problems: self.problems,
        })
    }
}

/// The entry of a `:61:` line that could be read.
fn entry(draft: &Draft, block: &Block, line: StatementLine) -> Entry {
    let (payer, memo) = draft.info.as_deref().map_or((None, None), information);
    // Without a purpose in `:86:`, the supplementary details of `:61:` often hold the payer's
    // reference.
    let memo = memo.or_else(|| text(&draft.details.join(" ")));
    let id = line.bank_reference.or_else(|| {
        block
            .reference
            .as_ref()
            .map(|reference| format!("{reference}-{}", draft.line))
    });
    Entry {
        position: draft.line,
        id: id.map(Text::from),
        date: line.value_date,
        amount: line.amount,
        currency: block.currency().map(Text::from),
        direction: line.direction,
        status: Status::Booked,
        reversal: line.reversal,
        payer: payer.map(Text::from),
        memo: memo.map(Text::from),
        account: block.account.as_deref().map(Arc::from),
        reference: line.owner_reference.map(Text::from),
    }
}

/// The parts of a `:61:` line this reader uses.
#[derive(Debug, PartialEq)]
struct StatementLine {
    value_date: NaiveDate,
    direction: Direction,
    reversal: bool,
    amount: Decimal,
    owner_reference: Option<String>,
    bank_reference: Option<String>,
}

/// Reads `6!n[4!n]2a[1!a]15d1!a3!c16x[//16x]`, leniently: a missing transaction type is
/// passed over, a point is accepted for the decimal comma.
fn statement_line(line: &str) -> Result<StatementLine, String> {
    let line = line.trim();
    let b = line.as_bytes();
    let digits = |from: usize, n: usize| {
        b.get(from..from + n)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !digits(0, 6) {
        return Err("the line does not start with a value date (YYMMDD)".to_string());
    }
    let value_date = yymmdd(&line[..6])
        .ok_or_else(|| format!("the value date {} is not a date (YYMMDD)", &line[..6]))?;
    let mut at = if digits(6, 4) { 10 } else { 6 };
    let rest = &b[at..];
    let (direction, reversal, mark) = if rest.starts_with(b"RC") {
        (Direction::Debit, true, 2)
    } else if rest.starts_with(b"RD") {
        (Direction::Credit, true, 2)
    } else if rest.starts_with(b"C") {
        (Direction::Credit, false, 1)
    } else if rest.starts_with(b"D") {
        (Direction::Debit, false, 1)
    } else {
        return Err("the mark after the date is not C, D, RC or RD".to_string());
    };
    at += mark;
    // The funds code: the third letter of the currency code, when the bank gives it.
    if b.get(at).is_some_and(u8::is_ascii_alphabetic) {
        at += 1;
    }
    let length = b[at..]
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b',' | b'.'))
        .count();
    let written = &line[at..at + length];
    let amount = amount(written).ok_or_else(|| {
        if written.is_empty() {
            "no amount after the mark".to_string()
        } else {
            format!("the amount {written} is not an amount (digits with one decimal comma)")
        }
    })?;
    at += length;
    if matches!(b.get(at), Some(b'N' | b'F' | b'S'))
        && b.get(at + 1..at + 4)
            .is_some_and(|t| t.iter().all(u8::is_ascii_alphanumeric))
    {
        at += 4;
    }
    let references = &line[at..];
    let (owner, bank) = match references.find("//") {
        Some(split) => (&references[..split], Some(&references[split + 2..])),
        None => (references, None),
    };
    Ok(StatementLine {
        value_date,
        direction,
        reversal,
        amount,
        owner_reference: text(owner),
        bank_reference: bank
            .and_then(text)
            .filter(|r| !r.eq_ignore_ascii_case("NONREF")),
    })
}

/// `YYMMDD`, years 80–99 in the last century.
fn yymmdd(text: &str) -> Option<NaiveDate> {
    let number = |range: std::ops::Range<usize>| text.get(range)?.parse::<u32>().ok();
    let yy = i32::try_from(number(0..2)?).ok()?;
    let year = if yy < 80 { 2000 + yy } else { 1900 + yy };
    NaiveDate::from_ymd_opt(year, number(2..4)?, number(4..6)?)
}

/// An MT940 amount: digits with at most one decimal comma (or point), never negative.
fn amount(text: &str) -> Option<Decimal> {
    if !text.bytes().any(|b| b.is_ascii_digit())
        || text.bytes().filter(|b| matches!(b, b',' | b'.')).count() > 1
    {
        return None;
    }
    let text = text.replace(',', ".");
    let text = text.trim_end_matches('.');
    let text = if text.starts_with('.') {
        format!("0{text}")
    } else {
        text.to_string()
    };
    text.parse().ok()
}

/// The currency of a balance line (`C261130ILS12345,67`): the three letters after the date.
fn balance_currency(rest: &str) -> Option<String> {
    currency_code(rest.get(7..10))
}

fn currency_code(code: Option<&str>) -> Option<String> {
    code.filter(|c| c.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
}

/// Trimmed text, `None` when empty.
fn text(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Text with its runs of white space made one space, `None` when empty.
fn collapsed(text: &str) -> Option<String> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!text.is_empty()).then_some(text)
}

/// The payer and the purpose of an `:86:` field, in whichever dialect it is written.
fn information(lines: &[String]) -> (Option<String>, Option<String>) {
    // Structured and coded fields are cut into lines at a fixed width, wherever a word ends.
    let joined = lines.concat();
    if let Some(separator) = structured_separator(&joined) {
        return structured(&joined, separator);
    }
    if has_swift_codes(&joined) {
        return swift_codes(&joined);
    }
    (None, collapsed(&lines.join(" ")))
}

/// The separator of a structured `:86:` (`166?00GUTSCHRIFT?20…`, `020~00…~20…`): an optional
/// three-digit transaction code, then a separator and two digits, found at least twice (or
/// once after the code).
fn structured_separator(text: &str) -> Option<u8> {
    let b = text.trim_start().as_bytes();
    let code = b.iter().take(3).take_while(|c| c.is_ascii_digit()).count();
    if code != 0 && code != 3 {
        return None;
    }
    let separator = *b.get(code)?;
    if !matches!(separator, b'?' | b'~' | b'^' | b'<' | b'>' | b'|') {
        return None;
    }
    if !digits2(b, code + 1) {
        return None;
    }
    let count = (0..b.len())
        .filter(|&i| b[i] == separator && digits2(b, i + 1))
        .count();
    (count >= 2 || code == 3).then_some(separator)
}

fn digits2(b: &[u8], at: usize) -> bool {
    b.get(at..at + 2)
        .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
}

/// A structured `:86:`: the name from `?32`/`?33`, the purpose from `?20`–`?29` and
/// `?60`–`?63`.
fn structured(text: &str, separator: u8) -> (Option<String>, Option<String>) {
    let b = text.as_bytes();
    let starts: Vec<usize> = (0..b.len())
        .filter(|&i| b[i] == separator && digits2(b, i + 1))
        .collect();
    let mut purpose = String::new();
    let mut name = String::new();
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(b.len());
        let code = (b[start + 1] - b'0') * 10 + (b[start + 2] - b'0');
        // The separator and the digits are ASCII, so both ends fall on characters.
        let value = text.get(start + 3..end).unwrap_or_default();
        match code {
            20..=29 | 60..=63 => purpose.push_str(value),
            32 | 33 => name.push_str(value),
            _ => {}
        }
    }
    (collapsed(&name), sepa_purpose(&purpose))
}

/// The SEPA keywords German banks write into the purpose subfields.
const SEPA_KEYWORDS: [&str; 12] = [
    "EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "COAM+", "OAMT+", "SVWZ+", "ABWA+", "ABWE+",
    "IBAN+", "BIC+",
];

/// A purpose with SEPA keywords: the remittance text (`SVWZ+`, and any text before the first
/// keyword) and the end-to-end reference (`EREF+`, unless `NOTPROVIDED`); other purposes as
/// they are.
fn sepa_purpose(purpose: &str) -> Option<String> {
    let mut marks: Vec<(usize, &str)> = SEPA_KEYWORDS
        .iter()
        .flat_map(|key| purpose.match_indices(key))
        .collect();
    if marks.is_empty() {
        return collapsed(purpose);
    }
    marks.sort_unstable();
    let mut parts: Vec<&str> = vec![&purpose[..marks[0].0]];
    let mut reference = None;
    for (k, &(at, key)) in marks.iter().enumerate() {
        let end = marks.get(k + 1).map_or(purpose.len(), |m| m.0);
        let value = purpose.get(at + key.len()..end).unwrap_or_default();
        match key {
            "SVWZ+" => parts.push(value),
            "EREF+" if !value.trim().eq_ignore_ascii_case("NOTPROVIDED") => {
                reference = Some(value);
            }
            _ => {}
        }
    }
    parts.extend(reference);
    collapsed(&parts.join(" "))
}

/// The codes of the SWIFT-style `:86:` dialect (Dutch, Belgian and many other banks).
const SWIFT_CODES: [&str; 24] = [
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "REMI",
    "EREF",
    "ORDP",
    "BENM",
    "CNTP",
    "MARF",
    "CSID",
    "ULTD",
    "ULTC",
    "ULTB",
    "PURP",
    "RTRN",
    "ADDR",
    "ISDT",
    "PREF",
    "KREF",
    "SVCL",
    "CDTRREF",
    "CDTRREFTP",
    "BUSP",
];

/// Whether the text is written with SWIFT-style codes: it starts with one, or names the payer
/// or the remittance with one.
fn has_swift_codes(text: &str) -> bool {
    let start = text.trim_start();
    let starts_with_code = start
        .strip_prefix('/')
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(code, _)| SWIFT_CODES.contains(&code));
    starts_with_code
        || ["/NAME/", "/REMI/", "/ORDP/", "/EREF/", "/CNTP/"]
            .iter()
            .any(|code| text.contains(code))
}

/// The `/CODE/value` pairs of a coded `:86:`, in order.
fn swift_fields(text: &str) -> Vec<(&str, &str)> {
    let b = text.as_bytes();
    let mut marks: Vec<(usize, &str, usize)> = Vec::new();
    let mut at = 0;
    while at < b.len() {
        if b[at] == b'/' {
            let code_len = b[at + 1..]
                .iter()
                .take_while(|c| c.is_ascii_uppercase())
                .count();
            let code = &text[at + 1..at + 1 + code_len];
            if b.get(at + 1 + code_len) == Some(&b'/') && SWIFT_CODES.contains(&code) {
                let value = at + code_len + 2;
                marks.push((at, code, value));
                at = value;
                continue;
            }
        }
        at += 1;
    }
    marks
        .iter()
        .enumerate()
        .map(|(k, &(_, code, value))| {
            let end = marks.get(k + 1).map_or(text.len(), |m| m.0);
            (code, text.get(value..end).unwrap_or_default())
        })
        .collect()
}

/// A coded `:86:`: the payer from `/NAME/` (after `/ORDP/` or on its own), else `/ORDP/`, else
/// the name in `/CNTP/account/BIC/name/city`; the memo from `/REMI/` and `/EREF/`.
fn swift_codes(text: &str) -> (Option<String>, Option<String>) {
    let fields = swift_fields(text);
    let value = |code: &str| {
        fields
            .iter()
            .filter(|(c, _)| *c == code)
            .find_map(|(_, v)| collapsed(v.trim().trim_matches('/')))
    };
    let payer = value("NAME")
        .or_else(|| value("ORDP"))
        .or_else(|| value("CNTP").and_then(|cntp| cntp.split('/').nth(2).and_then(collapsed)));
    let remittance = value("REMI").map(|remi| {
        let unstructured = remi
            .strip_prefix("USTD//")
            .or_else(|| remi.strip_prefix("USTD/"));
        let structured = remi.strip_prefix("STRD/").map(|rest| {
            // `STRD/CUR/RF18…`: the reference type is not part of the reference.
            match rest.split_once('/') {
                Some((kind, reference))
                    if kind.len() <= 4 && kind.bytes().all(|b| b.is_ascii_uppercase()) =>
                {
                    reference
                }
                _ => rest,
            }
        });
        unstructured
            .or(structured)
            .unwrap_or(&remi)
            .trim_matches('/')
            .to_string()
    });
    let reference = value("EREF").filter(|r| !r.eq_ignore_ascii_case("NOTPROVIDED"));
    let memo = [remittance, reference]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    (payer, collapsed(&memo))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn fixture(name: &str) -> Vec<u8> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/statements")
            .join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    const FIXTURES: [&str; 7] = [
        "mt940-hebrew-86.sta",
        "mt940-german-structured-86.sta",
        "mt940-swift-codes-86.sta",
        "mt940-two-statements-envelope.sta",
        "mt940-reversal-rc.sta",
        "mt942-interim.sta",
        "mt940-bad-entries-cut-short.sta",
    ];

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    #[test]
    fn statement_lines_in_every_shape() {
        let line = statement_line("2611051105C1200,00NTRFNONREF//LE26110500001").unwrap();
        assert_eq!(
            line,
            StatementLine {
                value_date: date(2026, 11, 5),
                direction: Direction::Credit,
                reversal: false,
                amount: "1200.00".parse().unwrap(),
                owner_reference: Some("NONREF".into()),
                bank_reference: Some("LE26110500001".into()),
            }
        );
        // No entry date, a funds code, an amount without decimals, no bank reference.
        let line = statement_line("261105CR300,NMSCINV-1043").unwrap();
        assert_eq!(line.amount, Decimal::from(300));
        assert_eq!(line.owner_reference.as_deref(), Some("INV-1043"));
        assert_eq!(line.bank_reference, None);
        // Reversals: RC is booked as a debit, RD as a credit.
        let rc = statement_line("2611201120RC300,00NTRFPMT-77//BR1").unwrap();
        assert_eq!((rc.direction, rc.reversal), (Direction::Debit, true));
        let rd = statement_line("261120RD50,00S202X//NONREF").unwrap();
        assert_eq!((rd.direction, rd.reversal), (Direction::Credit, true));
        assert_eq!(rd.bank_reference, None);
        assert_eq!(rd.owner_reference.as_deref(), Some("X"));
        let debit = statement_line("991231D0,5FCHG").unwrap();
        assert_eq!(debit.value_date, date(1999, 12, 31));
        assert_eq!(debit.amount, "0.5".parse().unwrap());
        // What is not a :61: line says why.
        for (bad, why) in [
            ("", "value date"),
            ("261332C1,00NTRF", "not a date"),
            ("261105X1,00NTRF", "not C, D, RC or RD"),
            ("261105CNTRF", "no amount"),
            ("261105C1,000,00NTRF", "not an amount"),
            ("261105C,NTRF", "not an amount"),
            ("2611", "value date"),
        ] {
            let err = statement_line(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn german_structured_information() {
        let info = lines(
            "166?00SEPA-GUTSCHRIFT?109249?20EREF+RE-2026-0815?21SVWZ+Rechnung RE-2026-0815 v\n\
             ?22om 01.11.2026?30HELADEF1822?31DE02100100100006820101?32Müller Handels Gm\n\
             ?33bH?34997",
        );
        let (payer, memo) = information(&info);
        assert_eq!(payer.as_deref(), Some("Müller Handels GmbH"));
        assert_eq!(
            memo.as_deref(),
            Some("Rechnung RE-2026-0815 vom 01.11.2026 RE-2026-0815")
        );
        // Without SEPA keywords the purpose is all the purpose subfields; other separators.
        let (payer, memo) = information(&lines(
            "051~00PRZELEW~20Faktura FV/11/2026~21 zaplata~32JAN KOWALSKI",
        ));
        assert_eq!(payer.as_deref(), Some("JAN KOWALSKI"));
        assert_eq!(memo.as_deref(), Some("Faktura FV/11/2026 zaplata"));
        let (payer, memo) = information(&lines("835?00ENTGELT?20Kontofuehrung?2111/2026?60extra"));
        assert_eq!(payer, None);
        assert_eq!(memo.as_deref(), Some("Kontofuehrung11/2026extra"));
        // EREF NOTPROVIDED adds nothing.
        let (_, memo) = information(&lines("?20EREF+NOTPROVIDED?21SVWZ+INV 7"));
        assert_eq!(memo.as_deref(), Some("INV 7"));
    }

    #[test]
    fn swift_coded_information() {
        // ABN AMRO: codes cut across lines at 65 characters.
        let (payer, memo) = information(&lines(
            "/TRTP/SEPA OVERBOEKING/IBAN/NL46ABNA0499998748/BIC/ABNANL2A/NAME/\n\
             Jansen Installatietechniek BV/REMI/Factuur 2026-0412/EREF/E2E-88\n\
             12",
        ));
        assert_eq!(payer.as_deref(), Some("Jansen Installatietechniek BV"));
        assert_eq!(memo.as_deref(), Some("Factuur 2026-0412 E2E-8812"));
        // Rabobank: the ordering party's name after /ORDP//.
        let (payer, memo) = information(&lines(
            "/EREF/NOTPROVIDED/ORDP//NAME/De Vries Bakkerij/ADDR/Utrecht/REMI/USTD//INV 1043/",
        ));
        assert_eq!(payer.as_deref(), Some("De Vries Bakkerij"));
        assert_eq!(memo.as_deref(), Some("INV 1043"));
        // ING: the counterparty's account, BIC, name and city; a structured reference.
        let (payer, memo) = information(&lines(
            "/EREF/20261105-01//CNTP/NL08INGB0000000555/INGBNL2A/P. de Boer/Amsterd\n\
             am//REMI/STRD/CUR/RF18539007547034//",
        ));
        assert_eq!(payer.as_deref(), Some("P. de Boer"));
        assert_eq!(memo.as_deref(), Some("RF18539007547034 20261105-01"));
        let (payer, memo) = information(&lines("/ORDP/ACME LTD/REMI/INV-9"));
        assert_eq!(payer.as_deref(), Some("ACME LTD"));
        assert_eq!(memo.as_deref(), Some("INV-9"));
    }

    #[test]
    fn free_text_is_all_memo_and_hebrew_stays_hebrew() {
        let (payer, memo) = information(&lines("העברה בנקאית\nלוי הנדסה   חשבונית 1043"));
        assert_eq!(payer, None);
        assert_eq!(memo.as_deref(), Some("העברה בנקאית לוי הנדסה חשבונית 1043"));
        let (payer, memo) = information(&lines("/ORDP//NAME/כהן ובניו בע\"מ/REMI/תשלום INV-1041"));
        assert_eq!(payer.as_deref(), Some("כהן ובניו בע\"מ"));
        assert_eq!(memo.as_deref(), Some("תשלום INV-1041"));
        // A slash in free text is no code.
        let (payer, memo) = information(&lines("Payment 11/2026 for INV-3"));
        assert_eq!(
            (payer, memo.as_deref()),
            (None, Some("Payment 11/2026 for INV-3"))
        );
    }

    #[test]
    fn hebrew_fixture_in_windows_1255() {
        let bytes = fixture("mt940-hebrew-86.sta");
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "the fixture is windows-1255"
        );
        assert!(looks_like(&bytes));
        let statement = read(&bytes).unwrap();
        assert_eq!(statement.format, "MT940");
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let entries = &statement.entries;
        assert_eq!(entries.len(), 4);
        let first = &entries[0];
        assert_eq!(first.id.as_deref(), Some("LE26110500001"));
        assert_eq!(first.date, date(2026, 11, 5));
        assert_eq!(first.amount, "1200.00".parse().unwrap());
        assert_eq!(first.currency.as_deref(), Some("ILS"));
        assert_eq!(first.account.as_deref(), Some("LUMIILITXXX/0800123456"));
        assert_eq!(first.payer.as_deref(), Some("כהן ובניו בע\"מ"));
        assert_eq!(first.memo.as_deref(), Some("תשלום חשבונית INV-1041"));
        let second = &entries[1];
        assert_eq!(second.payer, None);
        assert_eq!(
            second.memo.as_deref(),
            Some("העברה בנקאית לוי הנדסה חשבונית INV-1043")
        );
        assert_eq!(entries[2].direction, Direction::Debit);
        assert_eq!(entries[2].memo.as_deref(), Some("עמלת העברה"));
        // Positions are the lines of the :61: tags.
        let positions: Vec<u32> = entries.iter().map(|e| e.position).collect();
        let decoded = encoding_rs::WINDOWS_1255.decode(&bytes).0;
        let expected: Vec<u32> = decoded
            .lines()
            .enumerate()
            .filter(|(_, l)| l.starts_with(":61:"))
            .map(|(i, _)| u32::try_from(i + 1).unwrap())
            .collect();
        assert_eq!(positions, expected);
    }

    #[test]
    fn german_fixture_in_windows_1252() {
        let statement = read(&fixture("mt940-german-structured-86.sta")).unwrap();
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let e = &statement.entries;
        assert_eq!(e.len(), 3);
        assert_eq!(e[0].payer.as_deref(), Some("Müller Handels GmbH"));
        assert_eq!(
            e[0].memo.as_deref(),
            Some("Rechnung RE-2026-0815 vom 01.11.2026 RE-2026-0815")
        );
        assert_eq!(e[0].currency.as_deref(), Some("EUR"));
        assert_eq!(e[0].account.as_deref(), Some("50050201/0123456789"));
        // No bank reference: the statement reference and the line.
        assert_eq!(e[1].id.as_deref(), Some("STARTUMSE-9"));
        assert_eq!((e[1].direction, e[1].reversal), (Direction::Debit, false));
        assert_eq!(e[2].payer.as_deref(), Some("Jörg Bäcker"));
        assert_eq!(e[2].memo.as_deref(), Some("RE-2026-0821 Jörg Bäcker"));
    }

    #[test]
    fn swift_codes_fixture_with_header_lines() {
        let bytes = fixture("mt940-swift-codes-86.sta");
        assert!(looks_like(&bytes));
        let statement = read(&bytes).unwrap();
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let got: Vec<(Option<&str>, Option<&str>, Option<&str>)> = statement
            .entries
            .iter()
            .map(|e| (e.id.as_deref(), e.payer.as_deref(), e.memo.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    Some("ABN AMRO BANK NV-8"),
                    Some("Jansen Installatietechniek BV"),
                    Some("Factuur 2026-0412 E2E-8812")
                ),
                (
                    Some("0104060012345"),
                    Some("De Vries Bakkerij"),
                    Some("INV 1043")
                ),
                (
                    Some("20261105-01"),
                    Some("P. de Boer"),
                    Some("RF18539007547034 20261105-01")
                ),
                (
                    Some("ABN AMRO BANK NV-18"),
                    Some("Energie BV"),
                    Some("Termijn november INC-2026-11")
                ),
            ]
        );
    }

    #[test]
    fn two_statements_in_envelopes() {
        let statement = read(&fixture("mt940-two-statements-envelope.sta")).unwrap();
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let e = &statement.entries;
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].account.as_deref(), e[0].currency.as_deref()),
            (Some("12-600-0345678"), Some("ILS"))
        );
        assert_eq!(
            (e[1].account.as_deref(), e[1].currency.as_deref()),
            (Some("12-600-0345679"), Some("USD"))
        );
        assert_eq!(e[0].reference.as_deref(), Some("INV-1008"));
        assert_eq!(e[1].position, 15);
        // The same text with LF ends, and with the message text on the envelope's line.
        let text = String::from_utf8(fixture("mt940-two-statements-envelope.sta"))
            .unwrap()
            .replace("\r\n", "\n")
            .replace("{4:\n", "{4:");
        let again = read(text.as_bytes()).unwrap();
        assert_eq!(again.entries.len(), 2);
        assert_eq!(again.entries[1].currency.as_deref(), Some("USD"));
        assert!(again.problems.is_empty());
    }

    #[test]
    fn reversals_are_marked() {
        let statement = read(&fixture("mt940-reversal-rc.sta")).unwrap();
        let marks: Vec<(Direction, bool, Option<&str>)> = statement
            .entries
            .iter()
            .map(|e| (e.direction, e.reversal, e.reference.as_deref()))
            .collect();
        assert_eq!(
            marks,
            vec![
                (Direction::Credit, false, Some("PMT-77")),
                (Direction::Debit, true, Some("PMT-77")),
                (Direction::Credit, true, Some("FEE-3")),
                (Direction::Credit, false, Some("NONREF")),
            ]
        );
        // Through the shared rules: the credit and its return cancel, the refund of a fee that
        // is not in the file changes nothing, the last credit is the one payment.
        let generated = super::super::statement::payments_table(statement, &"r.sta".into());
        assert_eq!((generated.ignored, generated.rejected), (3, 0));
        let rows: Vec<u32> = generated.issues.iter().filter_map(|i| i.row).collect();
        assert_eq!(rows, vec![5, 7, 9]);
        assert!(generated.issues[0]
            .message
            .contains("reversed by the entry at row 7"));
    }

    #[test]
    fn interim_reports_are_booked_entries() {
        let statement = read(&fixture("mt942-interim.sta")).unwrap();
        assert_eq!(statement.format, "MT942");
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let e = &statement.entries;
        assert_eq!(e.len(), 2);
        assert!(e.iter().all(|e| e.status == Status::Booked));
        assert_eq!(e[0].currency.as_deref(), Some("ILS"));
        // The same transaction as in the month's MT940: same id, date, amount, payer, memo.
        let month = read(&fixture("mt940-hebrew-86.sta")).unwrap();
        let booked = &month.entries[3];
        assert_eq!(
            (&e[0].id, e[0].date, e[0].amount, &e[0].payer, &e[0].memo),
            (
                &booked.id,
                booked.date,
                booked.amount,
                &booked.payer,
                &booked.memo
            )
        );
        // An MT942 without an envelope is known by its tags.
        let bare = ":20:X\n:25:A\n:13D:2611201200+0200\n:61:261120C1,NTRFX//Y\n-\n";
        assert_eq!(read(bare.as_bytes()).unwrap().format, "MT942");
    }

    #[test]
    fn a_bad_entry_is_a_problem_and_the_rest_is_read() {
        let statement = read(&fixture("mt940-bad-entries-cut-short.sta")).unwrap();
        let ids: Vec<Option<&str>> = statement.entries.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, vec![Some("X2"), Some("BAD-1-11")]);
        let problems: Vec<(Severity, u32, Option<&str>)> = statement
            .problems
            .iter()
            .map(|p| (p.severity, p.position, p.column.as_deref()))
            .collect();
        assert_eq!(
            problems,
            vec![
                (Severity::Warning, 1, Some(":62F:")),
                (Severity::Error, 5, Some(":61:")),
                (Severity::Error, 9, Some(":61:")),
            ]
        );
        assert!(statement.problems[0].message.contains("cut short"));
        assert!(statement.problems[1]
            .message
            .contains("261131 is not a date"));
        assert_eq!(
            statement.problems[2].value.as_deref(),
            Some("2611111111CNTRFNONREF//X3")
        );
    }

    #[test]
    fn what_is_and_is_not_an_mt940_file() {
        for name in FIXTURES {
            assert!(looks_like(&fixture(name)), "{name}");
        }
        assert!(looks_like(
            b"\xEF\xBB\xBF{1:F01X}{2:O940X}{4::20:R\r\n:25:A\r\n"
        ));
        assert!(!looks_like(
            b"Date,Memo\n01/11/2026, :20:ref\n02/11/2026, :25:acct\n"
        ));
        assert!(!looks_like(
            b"a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n:20:R\n:25:A\n"
        ));
        assert!(!looks_like(b":20:R\n:28C:1\n"));
        assert!(read(b"\x00\x01binary").unwrap_err().contains("binary"));
        assert!(read(b"hello\nworld\n")
            .unwrap_err()
            .contains("no statement"));
    }

    #[test]
    fn truncations_never_panic() {
        for name in FIXTURES {
            let bytes = fixture(name);
            for end in 0..=bytes.len() {
                if let Ok(statement) = read(&bytes[..end]) {
                    let generated =
                        super::super::statement::payments_table(statement, &"t.sta".into());
                    assert!(generated.table.rows.len() <= end + 1);
                }
            }
        }
    }

    proptest::proptest! {
        /// Entries written as an MT940 file read back as written, whatever the line ends.
        #[test]
        fn written_entries_read_back(
            entries in proptest::collection::vec(
                (
                    0u32..3650,
                    1u64..100_000_000,
                    0usize..4,
                    "[A-Z0-9]{1,16}",
                    "[A-Za-zא-ת][A-Za-zא-ת .'-]{0,30}[A-Za-zא-ת]",
                    "[A-Za-z0-9א-ת][A-Za-z0-9א-ת ./-]{0,60}[A-Za-z0-9א-ת]",
                ),
                1..8,
            ),
            crlf in proptest::bool::ANY,
        ) {
            let start = date(2020, 1, 1);
            let mut text = String::from(":20:PROP\n:25:IL620108000000099999999\n:28C:1/1\n:60F:C200101ILS0,\n");
            for (days, cents, mark, bank, name, remi) in &entries {
                let value = start + chrono::Days::new(u64::from(*days));
                let amount = format!("{},{:02}", cents / 100, cents % 100);
                let mark = ["C", "D", "RC", "RD"][*mark];
                text.push_str(&format!(
                    ":61:{}{}{mark}{amount}NTRFOWN//{bank}\n:86:/ORDP//NAME/{name}/REMI/{remi}\n",
                    value.format("%y%m%d"),
                    value.format("%m%d"),
                ));
            }
            text.push_str(":62F:C200101ILS0,\n-\n");
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            let statement = read(text.as_bytes()).unwrap();
            proptest::prop_assert!(statement.problems.is_empty(), "{:?}", statement.problems);
            proptest::prop_assert_eq!(statement.entries.len(), entries.len());
            for (entry, (days, cents, mark, bank, name, remi)) in statement.entries.iter().zip(&entries) {
                proptest::prop_assert_eq!(entry.date, start + chrono::Days::new(u64::from(*days)));
                proptest::prop_assert_eq!(entry.amount, Decimal::new(i64::try_from(*cents).unwrap(), 2));
                proptest::prop_assert_eq!(entry.reversal, *mark >= 2);
                let credit = matches!(mark, 0 | 3);
                proptest::prop_assert_eq!(entry.direction == Direction::Credit, credit);
                proptest::prop_assert_eq!(entry.id.as_deref(), Some(bank.as_str()));
                proptest::prop_assert_eq!(entry.payer.as_deref().map(str::to_string), collapsed(name));
                proptest::prop_assert_eq!(entry.memo.as_deref().map(str::to_string), collapsed(remi));
            }
        }

        #[test]
        fn any_text_reads_without_panic(text in "(:61:|:86:|:20:|:25:|:60F:|[0-9]{4,10}|[CDR]|,|//|\\?2[0-9]|/NAME/|/REMI/|\\{4:|-\\}|\n|\r|[a-zא-ת ])*") {
            let _ = read(text.as_bytes());
        }
    }
}
