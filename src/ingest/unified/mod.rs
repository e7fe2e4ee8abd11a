//! The Israeli unified file (מבנה אחיד, `OPENFRMT`): `BKMVDATA.TXT` with its `INI.TXT`, as every
//! certified Israeli bookkeeping package writes it (the tax authority's specification, version
//! 1.31), read into an invoices table and a payments table (SPEC section 10).
//!
//! A document is one header record `C100`, with its lines `D110` and, for a receipt, its payment
//! lines `D120` (linked by document type and number, and by the link fields 1234/1273/1323 when
//! one number is used twice). Tax invoices (305), credit tax invoices (330) and the invoice part
//! of invoice-receipts (320) make the invoices table; receipts (400) and the payment part of
//! invoice-receipts make the payments table. Both tables are made at every reading; the ingest
//! takes the one of the kind the file was given as, so one file can be given as both.
//!
//! Invariants:
//! - Every `C100` of a kind a table holds is a row of it (at the index of its line number), an
//!   ignored row (a cancelled document, warning) or a rejected row (an unreadable field, error,
//!   the column named by the field's number and name). Every other record is counted in one
//!   info issue per table, by record code and document type; nothing is dropped unsaid.
//! - Amounts are read as exact decimals from the specification's signed fixed-point form.
//! - Hebrew comes out in logical order in its proper letters, whatever the character set
//!   (Windows-1255 / ISO-8859-8, CP-862, UTF-8) and order (logical, visual) of the file.
//! - No input panics the reader: every field of a short or damaged line reads as blank.

mod hebrew;
mod layout;
mod records;
mod tables;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::field::TableKind;
use super::statement::Generated;
use crate::model::{Issue, Severity};
pub use hebrew::Charset;
use hebrew::OrderVotes;
use layout::Spec;
use records::{attach_lines, read_header, Doc, Problem};
use tables::{invoices_table, payments_table, summary, Numbers};

/// `INI.TXT` is a few hundred bytes; anything read beyond this is not one.
const MAX_INI_BYTES: u64 = 1 << 20;

/// Document types read as invoices, in the order that keeps the plain number when two types
/// share one (see [`Numbers`]).
const INVOICE_TYPES: [u16; 3] = [305, 320, 330];
/// Document types read as payments.
const PAYMENT_TYPES: [u16; 2] = [400, 320];

/// The `INI.TXT` beside a `BKMVDATA.TXT`, as found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ini {
    Found { name: String, bytes: Vec<u8> },
    Missing,
    Unreadable { name: String, error: String },
}

/// Whether `bytes` are a `BKMVDATA.TXT`: its first record is the opening record `A100` (its
/// record number, or the specification's constant `&OF` where the layout puts it), or, when the
/// opening record was lost, its first two lines are numbered records of the file.
#[must_use]
pub fn is_unified(bytes: &[u8]) -> bool {
    let bytes = start_of(bytes);
    if first_record_is(bytes, b"A100", layout::A_CONSTANT.start) {
        return true;
    }
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(2);
    let numbered_record = |line: &[u8]| {
        RECORD_CODES.iter().any(|code| line.starts_with(code))
            && line.len() >= 22
            && line[4..22].iter().all(u8::is_ascii_digit)
    };
    matches!((lines.next(), lines.next()), (Some(a), Some(b)) if numbered_record(a) && numbered_record(b))
}

/// Whether `bytes` are an `INI.TXT` (its header record `A000`).
#[must_use]
pub fn is_ini(bytes: &[u8]) -> bool {
    first_record_is(start_of(bytes), b"A000", layout::INI_CONSTANT.start)
}

/// The record codes of `BKMVDATA.TXT` (section 2.5 ה).
const RECORD_CODES: [&[u8]; 8] = [
    b"A100", b"B100", b"B110", b"C100", b"D110", b"D120", b"M100", b"Z900",
];

/// The bytes from the first record on: past a byte-order mark and blank lines.
fn start_of(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[first..]
}

fn first_record_is(bytes: &[u8], code: &[u8], constant_at: usize) -> bool {
    let Some(rest) = bytes.strip_prefix(code) else {
        return false;
    };
    let numbered = rest.len() >= 9 && rest[..9].iter().all(u8::is_ascii_digit);
    let constant = bytes
        .get(constant_at - 1..constant_at + 2)
        .is_some_and(|c| c == b"&OF");
    numbered || constant
}

/// The `INI.TXT` in the folder of `path`, in any letter case.
#[must_use]
pub fn find_ini(path: &Path) -> Ini {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ini::Missing;
    };
    let mut found: Vec<std::path::PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.eq_ignore_ascii_case("INI.TXT"))
        })
        .collect();
    found.sort();
    let Some(ini) = found.into_iter().next() else {
        return Ini::Missing;
    };
    let name = ini.file_name().map_or_else(
        || "INI.TXT".to_string(),
        |n| n.to_string_lossy().to_string(),
    );
    let mut bytes = Vec::new();
    match std::fs::File::open(&ini).and_then(|f| f.take(MAX_INI_BYTES).read_to_end(&mut bytes)) {
        Ok(_) => Ini::Found { name, bytes },
        Err(e) => Ini::Unreadable {
            name,
            error: e.to_string(),
        },
    }
}

/// One line of the file: its number as a text editor shows it, and its bytes without the line
/// end.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: u32,
    bytes: &'a [u8],
}

impl Line<'_> {
    fn code(&self) -> &[u8] {
        &self.bytes[..self.bytes.len().min(4)]
    }
}

/// How the fields of the file are read: its character set and order.
struct Reading {
    charset: Charset,
    visual: bool,
}

impl Reading {
    /// The raw text of a field; blank beyond the end of the line.
    fn raw(&self, line: &[u8], spec: Spec) -> String {
        let start = spec.start - 1;
        if self.charset == Charset::Utf8 {
            return String::from_utf8_lossy(line)
                .chars()
                .skip(start)
                .take(spec.len)
                .collect();
        }
        let end = (start + spec.len).min(line.len());
        line.get(start..end)
            .map_or_else(String::new, |b| self.charset.decode(b))
    }

    /// The length of a line in characters.
    fn length(&self, line: &[u8]) -> usize {
        if self.charset == Charset::Utf8 {
            String::from_utf8_lossy(line).chars().count()
        } else {
            line.len()
        }
    }

    /// An alphanumeric field, trimmed and in logical order.
    fn text(&self, line: &[u8], spec: Spec) -> Option<String> {
        let text = layout::text(&self.raw(line, spec))?;
        Some(if self.visual {
            hebrew::to_logical(&text)
        } else {
            text
        })
    }
}

/// What `INI.TXT` says that the reading uses.
#[derive(Default)]
struct IniFacts {
    charset: Option<Charset>,
    currency: Option<String>,
    counts: BTreeMap<String, u64>,
}

/// Issues of one reading, per table, plus those about the whole file (given to both).
#[derive(Default)]
struct Notes {
    invoices: Vec<Issue>,
    payments: Vec<Issue>,
    file: Vec<FileNote>,
}

/// An issue about the file as a whole (or a line that belongs to no document), given to both
/// tables.
struct FileNote {
    severity: Severity,
    line: Option<u32>,
    column: Option<String>,
    value: Option<String>,
    message: String,
}

impl Notes {
    fn warn(
        &mut self,
        line: Option<u32>,
        column: Option<String>,
        value: Option<String>,
        message: String,
    ) {
        self.file.push(FileNote {
            severity: Severity::Warning,
            line,
            column,
            value,
            message,
        });
    }
}

/// Reads a `BKMVDATA.TXT` (the bytes [`is_unified`] accepted) and its `INI.TXT` into an invoices
/// and a payments table.
#[must_use]
pub fn read(bytes: &[u8], ini: &Ini, file: &Arc<str>) -> Vec<Generated> {
    let mut notes = Notes::default();
    let (bytes, bom) = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    let lines: Vec<Line<'_>> = bytes
        .split(|&b| b == b'\n')
        .zip(1u32..)
        .map(|(bytes, number)| Line {
            number,
            bytes: bytes.strip_suffix(b"\r").unwrap_or(bytes),
        })
        .filter(|line| !line.bytes.iter().all(u8::is_ascii_whitespace))
        .collect();
    let opening = match lines.first() {
        Some(first) if first.code() == b"A100" => first.bytes,
        _ => {
            notes.warn(
                lines.first().map(|l| l.number),
                None,
                None,
                "the file does not begin with its opening record A100: its start may be \
                 missing; the documents it holds are read, export it again to be sure"
                    .to_string(),
            );
            &[]
        }
    };

    let facts = read_ini(ini, opening, &mut notes);
    let from_bytes = if bom {
        Some(Charset::Utf8)
    } else {
        hebrew::charset_of(bytes)
    };
    let charset = match (facts.charset, from_bytes) {
        (Some(declared), Some(found)) if declared != found => {
            notes.warn(
                None,
                Some(layout::INI_CHARSET.label()),
                None,
                format!(
                    "INI.TXT declares the character set {} but the Hebrew letters of \
                     BKMVDATA.TXT are {}; read as {}",
                    declared.as_str(),
                    found.as_str(),
                    found.as_str()
                ),
            );
            found
        }
        (_, Some(found)) => found,
        (Some(declared), None) => declared,
        (None, None) => Charset::Windows1255,
    };
    let mut reading = Reading {
        charset,
        visual: false,
    };
    let mut votes = OrderVotes::default();
    for line in &lines {
        let specs: &[Spec] = match line.code() {
            b"C100" => &[layout::C_NAME, layout::C_STREET, layout::C_CITY],
            b"D110" => &[layout::D110_DESCRIPTION],
            _ => &[],
        };
        for spec in specs {
            votes.add(&reading.raw(line.bytes, *spec));
        }
    }
    reading.visual = votes.is_visual();

    let version = layout::text(&reading.raw(opening, layout::A_CONSTANT))
        .map(|c| c.trim_matches('&').trim_start_matches("OF").to_string())
        .unwrap_or_default();
    let format = format!(
        "the unified file (מבנה אחיד{}{}), {}{}",
        if version.is_empty() { "" } else { " " },
        version,
        charset.as_str(),
        if reading.visual {
            ", Hebrew in visual order turned to logical"
        } else {
            ""
        }
    );
    let leading = facts.currency.clone().unwrap_or_else(|| "ILS".to_string());

    let mut records: BTreeMap<String, usize> = BTreeMap::new();
    let mut docs: Vec<Doc> = Vec::new();
    let mut unreadable: Vec<(u32, Problem)> = Vec::new();
    for line in &lines {
        let code = String::from_utf8_lossy(line.code()).to_string();
        match line.code() {
            code if code != b"C100" && RECORD_CODES.contains(&code) => {}
            b"C100" => {
                let length = reading.length(line.bytes);
                if length < layout::C_DATE.start + layout::C_DATE.len - 1 {
                    notes.warn(
                        Some(line.number),
                        None,
                        None,
                        format!(
                            "the document header is {length} characters long where the \
                             specification's C100 has {}: the line is cut short and the fields \
                             beyond its end read as empty",
                            layout::C_LENGTH
                        ),
                    );
                }
                match read_header(&reading, line) {
                    Ok(doc) => docs.push(doc),
                    Err(problem) => unreadable.push((line.number, problem)),
                }
            }
            _ => {
                notes.warn(
                    Some(line.number),
                    None,
                    Some(code.chars().take(4).collect()),
                    "not a record of the unified file (no known record code at its start); \
                     the line is not read"
                        .to_string(),
                );
                *records.entry("?".to_string()).or_default() += 1;
                continue;
            }
        }
        *records.entry(code).or_default() += 1;
    }
    check_counts(&lines, &reading, &records, &facts, &mut notes);
    attach_lines(&lines, &reading, &mut docs, &mut notes, file);

    let numbers = Numbers::new(&docs);
    let invoices = invoices_table(&docs, &numbers, &leading, file, &mut notes);
    let payments = payments_table(&docs, &numbers, &leading, file, &mut notes);
    let mut tables = [invoices, payments];
    for table in &mut tables {
        let kind = table.kind;
        let own = match kind {
            TableKind::Payments => std::mem::take(&mut notes.payments),
            _ => std::mem::take(&mut notes.invoices),
        };
        table.issues.extend(own);
        for (line, problem) in &unreadable {
            table.rejected += 1;
            table.issues.push(issue(
                file,
                Severity::Error,
                Some(*line),
                Some(problem.spec.label()),
                Some(problem.value.clone()),
                format!(
                    "{}; the document is left out (its type decides whether it is an invoice \
                     or a payment)",
                    problem.message
                ),
            ));
        }
        for note in &notes.file {
            table.issues.push(issue(
                file,
                note.severity,
                note.line,
                note.column.clone(),
                note.value.clone(),
                format!("{} (while reading it for {kind})", note.message),
            ));
        }
        table.issues.push(summary(kind, &docs, &records, file));
        table.format.clone_from(&format);
    }
    tables.into()
}

fn issue(
    file: &Arc<str>,
    severity: Severity,
    row: Option<u32>,
    column: Option<String>,
    value: Option<String>,
    message: String,
) -> Issue {
    Issue {
        severity,
        file: file.to_string(),
        sheet: None,
        row,
        column,
        value,
        message,
    }
}

/// The facts of `INI.TXT`, with a warning when it is missing, unreadable or of another export.
fn read_ini(ini: &Ini, opening: &[u8], notes: &mut Notes) -> IniFacts {
    let assumed = "the character set was taken from the bytes of BKMVDATA.TXT and the leading \
                   currency assumed to be ILS";
    let mut warn = |message: String| notes.warn(None, None, None, message);
    let bytes = match ini {
        Ini::Found { bytes, .. } => bytes,
        Ini::Missing => {
            warn(format!(
                "no INI.TXT beside BKMVDATA.TXT: {assumed}; copy the INI.TXT of the same export \
                 (the same OPENFRMT folder) next to it"
            ));
            return IniFacts::default();
        }
        Ini::Unreadable { name, error } => {
            warn(format!(
                "{name} beside it cannot be read ({error}): {assumed}"
            ));
            return IniFacts::default();
        }
    };
    let name = match ini {
        Ini::Found { name, .. } => name.as_str(),
        _ => "INI.TXT",
    };
    let mut lines = bytes
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let header = lines.next().unwrap_or_default();
    let header = header.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(header);
    if !header.starts_with(b"A000") {
        warn(format!(
            "{name} beside it does not begin with its header record A000: {assumed}"
        ));
        return IniFacts::default();
    }
    let ascii = |line: &[u8], spec: Spec| -> String {
        let start = spec.start - 1;
        let end = (start + spec.len).min(line.len());
        line.get(start..end)
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
            .unwrap_or_default()
    };
    // The primary id (1004) is the same number as the opening record's (1103) in one export.
    let ini_id = ascii(header, layout::INI_PRIMARY_ID);
    let data_id = ascii(opening, layout::A_PRIMARY_ID);
    if !ini_id.is_empty() && !data_id.is_empty() && ini_id != data_id {
        warn(format!(
            "{name} beside it belongs to another export (its primary id, field 1004, is {ini_id}; \
             BKMVDATA.TXT's, field 1103, is {data_id}): it is not used, {assumed}"
        ));
        return IniFacts::default();
    }
    let charset = match ascii(header, layout::INI_CHARSET).as_str() {
        "1" => Some(Charset::Windows1255),
        "2" => Some(Charset::Cp862),
        _ => None,
    };
    let currency = super::value::parse_currency(&ascii(header, layout::INI_CURRENCY));
    let counts = lines
        .filter(|l| l.len() >= 5)
        .filter_map(|l| {
            let code = ascii(l, layout::INI_SUMMARY_CODE);
            let count = ascii(l, layout::INI_SUMMARY_COUNT).parse::<u64>().ok()?;
            Some((code, count))
        })
        .collect();
    IniFacts {
        charset,
        currency,
        counts,
    }
}

/// Warnings when the file is not whole: no closing record, or record counts that differ from
/// the closing record's total or from `INI.TXT`'s summary records.
fn check_counts(
    lines: &[Line<'_>],
    reading: &Reading,
    records: &BTreeMap<String, usize>,
    facts: &IniFacts,
    notes: &mut Notes,
) {
    let total: usize = records.values().sum();
    match lines.iter().rev().find(|l| l.code() == b"Z900") {
        None => notes.warn(
            None,
            None,
            None,
            "no closing record Z900: the file may be cut short (a copy or download that did not \
             finish); the documents it holds are read, export it again to be sure"
                .to_string(),
        ),
        Some(closing) => {
            let said = layout::code(&reading.raw(closing.bytes, layout::Z_TOTAL));
            if let Ok(Some(said)) = said {
                if usize::try_from(said).ok() != Some(total) {
                    notes.warn(
                        Some(closing.number),
                        Some(layout::Z_TOTAL.label()),
                        Some(said.to_string()),
                        format!(
                            "the closing record counts {said} records but the file holds \
                             {total}: records may be missing; export the file again"
                        ),
                    );
                }
            }
        }
    }
    for (code, said) in &facts.counts {
        let held = records.get(code).copied().unwrap_or(0);
        if usize::try_from(*said).ok() != Some(held) {
            notes.warn(
                None,
                Some(layout::INI_SUMMARY_COUNT.label()),
                Some(said.to_string()),
                format!(
                    "INI.TXT counts {said} {code} records but BKMVDATA.TXT holds {held}: the \
                     file may be cut short or from another export"
                ),
            );
        }
    }
}
