//! ISO 20022 bank-to-customer messages as statement entries: CAMT.053 statements
//! (`BkToCstmrStmt/Stmt`), CAMT.054 debit/credit notifications (`BkToCstmrDbtCdtNtfctn/Ntfctn`)
//! and, tolerated, CAMT.052 account reports (`BkToCstmrAcctRpt/Rpt`), in every
//! `camt.05x.001.NN` version, namespaced, prefixed or not, with or without a business message
//! envelope around the `Document`.
//!
//! The document is read split at its entries, on all threads ([`split`]): a first pass on one
//! thread walks what lies outside the entries and finds where each entry (`Ntry`) ends, and the
//! entries are read on the worker threads, a region of the document at a time; a large file is
//! read from disk a region at a time ([`read_stream`]) and never held whole. What the split
//! reading is not sure of goes to a one-pass reader, which gives the same entries and names the
//! place of an error. Every statement (and every account) of the file is read.
//!
//! What comes out (SPEC section 10):
//! - one [`Entry`] per transaction: an entry with several `NtryDtls/TxDtls` (a batch booking)
//!   gives one per transaction with that transaction's own amount (`Amt`, else
//!   `AmtDtls/TxAmt/Amt`); a single transaction without an amount takes the entry's;
//! - the id is the bank's reference of the transaction (`Refs/AcctSvcrRef`; for an entry of one
//!   transaction the entry's own `AcctSvcrRef` is that reference), else the `EndToEndId` unless it
//!   is `NOTPROVIDED`, else the entry's reference (`NtryRef`, else its `AcctSvcrRef`) followed by
//!   `-k` for the k-th transaction of a batch;
//! - the date is the value date (`ValDt`), else the booking date (`BookgDt`), each `Dt` or
//!   `DtTm`; the payer is the debtor (`RltdPties/Dbtr/Nm`, `Dbtr/Pty/Nm` from version 08), else the
//!   ultimate debtor; the memo joins the unstructured remittance lines, the structured creditor
//!   references and the end-to-end id, or else the additional transaction / entry information;
//! - an entry's position is the transaction's ordinal over the whole file (1-based), and the
//!   column of a problem is the element concerned.
//!
//! Encoding: the bytes decide. Valid UTF-8 is UTF-8 whatever the declaration says; otherwise the
//! XML declaration's encoding (`windows-1255`, `ISO-8859-8` ...) is used; UTF-16 needs its byte
//! order mark. Text is kept as written (Hebrew stays Hebrew, in logical order).
//!
//! Hostile input: a `DOCTYPE` is refused (ISO 20022 messages have none, and refusing it rules
//! out entity expansion), nesting deeper than [`MAX_DEPTH`] is refused, and a file that ends
//! inside an element is reported as truncated, with the line and column.

use std::borrow::Cow;
use std::sync::Arc;

use chrono::NaiveDate;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

use super::statement::{Entry, Problem, Statement};
use crate::model::Severity;
use entry::{outcomes, start_of, Draft, Miss, Outcome, Shared};
pub use split::read_stream;
use tree::{Node, Tree};

mod entry;
mod scan;
mod split;
#[cfg(test)]
mod tests;
mod tree;

/// Deeper nesting than any ISO 20022 message has (about 15 levels): refused.
pub const MAX_DEPTH: usize = 64;

/// How much of the start of a file [`sniff`] looks at.
pub const SNIFF_BYTES: usize = 8 * 1024;

/// The containers of the three messages, and what each is called in messages.
const MESSAGES: [(&str, &str, &str); 3] = [
    ("BkToCstmrStmt", "Stmt", "CAMT.053"),
    ("BkToCstmrDbtCdtNtfctn", "Ntfctn", "CAMT.054"),
    ("BkToCstmrAcctRpt", "Rpt", "CAMT.052"),
];

/// The statement-level elements kept whole while the statement is read.
const KEPT: [&str; 3] = ["Ntry", "Acct", "CreDtTm"];

/// Whether the bytes look like a CAMT message: markup whose start names a CAMT namespace or
/// one of the message containers. Decides the format by content, never by extension.
#[must_use]
pub fn sniff(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let text: Cow<'_, str> = if let Some(rest) = head.strip_prefix(b"\xFF\xFE") {
        UTF_16LE.decode_without_bom_handling(rest).0
    } else if let Some(rest) = head.strip_prefix(b"\xFE\xFF") {
        UTF_16BE.decode_without_bom_handling(rest).0
    } else {
        String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head))
    };
    text.trim_start().starts_with('<')
        && (text.contains("xsd:camt.05") || text.contains("BkToCstmr"))
}

/// Reads a CAMT.052/053/054 file into its entries.
///
/// # Errors
///
/// What makes the whole file unreadable, with the line and column: malformed or truncated XML,
/// text in no known encoding, a `DOCTYPE`, nesting deeper than [`MAX_DEPTH`], or no statement,
/// notification or report element at all.
pub fn read(bytes: &[u8]) -> Result<Statement, String> {
    let text = decode(bytes)?;
    // The split reader gives up on anything it is not sure of; the whole reader then reads
    // the file again and names the place of its error.
    if let Some(statement) = split::read_split(&text) {
        return Ok(statement);
    }
    read_whole(&text)
}

/// Reads the document in one pass, on one thread: every entry is built and read where it
/// stands. The reference for what [`read_split`] returns, and the reader that reports errors.
fn read_whole(text: &str) -> Result<Statement, String> {
    let mut reader = Reader::from_str(text);
    let mut parser = Parser::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("{} ({e})", place(text, reader.error_position())))?;
        let at = reader.buffer_position();
        match event {
            Event::Start(start) => parser
                .open(&start, text)
                .map_err(|m| located(text, at, &m))?,
            Event::Empty(start) => {
                parser
                    .open(&start, text)
                    .map_err(|m| located(text, at, &m))?;
                parser.close();
            }
            Event::End(_) => parser.close(),
            Event::Text(t) => parser.text(t.xml10_content()),
            Event::CData(t) => parser.text(t.xml10_content()),
            Event::GeneralRef(r) => {
                let resolved = resolve(&r).map_err(|m| located(text, at, &m))?;
                parser.text(Cow::Owned(resolved));
            }
            Event::DocType(_) => return Err(located(text, at, DOCTYPE)),
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if let Some(open) = parser.path.last() {
        return Err(format!(
            "the file ends inside <{open}> ({}): it is truncated",
            place(text, reader.buffer_position())
        ));
    }
    parser.finish()
}

const DOCTYPE: &str = "a DOCTYPE declaration, which ISO 20022 messages never have (refused: it \
                       could expand entities without bound)";

/// A character or predefined entity reference as text.
fn resolve(r: &quick_xml::events::BytesRef<'_>) -> Result<String, String> {
    match r.resolve_char_ref() {
        Ok(Some(c)) => Ok(c.to_string()),
        Ok(None) => quick_xml::escape::resolve_predefined_entity(r)
            .map(str::to_string)
            .ok_or_else(|| format!("unknown entity '&{};'", &**r)),
        Err(e) => Err(e.to_string()),
    }
}

/// The document as text: the bytes decide (valid UTF-8 is UTF-8), the declaration is a hint.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, String> {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        let rest = bytes.get(bom..).unwrap_or_default();
        if encoding == UTF_8 {
            if let Ok(text) = std::str::from_utf8(rest) {
                return Ok(Cow::Borrowed(text));
            }
        } else {
            let (text, malformed) = encoding.decode_without_bom_handling(rest);
            if malformed {
                return Err(format!("the file is not valid {}", encoding.name()));
            }
            return Ok(text);
        }
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(Cow::Borrowed(text)),
        Err(e) => e,
    };
    let declared = declared_encoding(bytes).filter(|e| *e != UTF_8 && e.is_ascii_compatible());
    match declared {
        Some(encoding) => {
            let (text, malformed) = encoding.decode_without_bom_handling(bytes);
            if malformed {
                return Err(format!(
                    "the file is neither UTF-8 nor valid {} as it declares",
                    encoding.name()
                ));
            }
            Ok(text)
        }
        None => {
            let valid = &bytes[..utf8_error.valid_up_to()];
            let line = valid.iter().filter(|b| **b == b'\n').count() + 1;
            Err(format!(
                "line {line} is not UTF-8 and the XML declaration names no other encoding"
            ))
        }
    }
}

/// The encoding named in `<?xml ... encoding="..."?>`, if any and known.
fn declared_encoding(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(512)];
    let head = String::from_utf8_lossy(head);
    let decl = head.trim_start().strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next()?;
    let rest = rest.get(1..)?;
    let label = &rest[..rest.find(quote)?];
    Encoding::for_label(label.trim().as_bytes())
}

/// `line L, column C` of a byte offset in the decoded text.
fn place(text: &str, offset: u64) -> String {
    let offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    let before = text.as_bytes().get(..offset).unwrap_or_default();
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1);
    let column = String::from_utf8_lossy(&before[start..]).chars().count() + 1;
    format!("line {line}, column {column}")
}

fn located(text: &str, offset: u64, message: &str) -> String {
    format!("{}: {message}", place(text, offset))
}

/// The local names of the open elements, in one buffer (no allocation per element).
#[derive(Debug, Default)]
struct Path {
    names: String,
    ends: Vec<usize>,
}

impl Path {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn push(&mut self, name: &str) {
        self.names.push_str(name);
        self.ends.push(self.names.len());
    }

    fn pop(&mut self) {
        self.ends.pop();
        self.names.truncate(self.ends.last().copied().unwrap_or(0));
    }

    fn last(&self) -> Option<&str> {
        let end = *self.ends.last()?;
        let start = match self.ends.len() {
            0 | 1 => 0,
            n => self.ends[n - 2],
        };
        self.names.get(start..end)
    }
}

/// One statement, notification or report being read.
#[derive(Debug, Default)]
struct Context {
    /// Depth of the statement element in the document.
    depth: usize,
    account: Option<String>,
    currency: Option<String>,
    /// When the statement was made: the date of a pending entry that has none of its own.
    created: Option<NaiveDate>,
}

#[derive(Debug, Default)]
struct Parser<'a> {
    /// Local names of the open elements.
    path: Path,
    /// The messages met (`CAMT.053`), in order.
    kinds: Vec<&'static str>,
    /// The namespace version (`camt.053.001.08`) first met.
    version: Option<String>,
    statement: Option<Context>,
    /// The kept element being built.
    tree: Tree<'a>,
    /// Its open elements' positions in `tree`, innermost last.
    building: Vec<u32>,
    /// Transactions so far: the last position given.
    position: u32,
    entries: Vec<Entry>,
    problems: Vec<Problem>,
}

impl<'a> Parser<'a> {
    /// An element opens; `source` is the document, which the start tag borrows from.
    fn open(&mut self, start: &BytesStart<'_>, source: &'a str) -> Result<(), String> {
        let qname = start.name();
        let name = local(qname.as_ref());
        if self.path.len() >= MAX_DEPTH {
            return Err(format!(
                "elements nested more than {MAX_DEPTH} deep, which no bank statement is"
            ));
        }
        if self.version.is_none() && self.kinds.is_empty() {
            self.version = start.attributes().flatten().find_map(|a| {
                let value = a.normalized_value(XmlVersion::Implicit1_0).ok()?;
                let at = value.find("camt.05")?;
                Some(value[at..].trim().to_string())
            });
        }
        if !self.building.is_empty() || self.keeps(name) {
            let (name, ccy) = start_of(start, source);
            let at = self.tree.open(self.building.last().copied(), name, ccy);
            self.building.push(at);
        } else if let Some(parent) = self.path.last() {
            if let Some((_, _, kind)) = MESSAGES
                .iter()
                .find(|(container, child, _)| parent == *container && name == *child)
            {
                if !self.kinds.contains(kind) {
                    self.kinds.push(kind);
                }
                self.statement = Some(Context {
                    depth: self.path.len(),
                    ..Context::default()
                });
            }
        }
        self.path.push(name);
        Ok(())
    }

    /// Whether `start`, opening now, is a statement-level entry (`Ntry`).
    fn entry_opens(&self, start: &BytesStart<'_>) -> bool {
        let qname = start.name();
        let name = local(qname.as_ref());
        name == "Ntry" && self.building.is_empty() && self.keeps(name)
    }

    /// Whether `name`, opening now, is a statement-level element kept whole.
    fn keeps(&self, name: &str) -> bool {
        self.statement
            .as_ref()
            .is_some_and(|s| s.depth + 1 == self.path.len() && KEPT.contains(&name))
    }

    fn text(&mut self, text: Cow<'a, str>) {
        if let Some(&at) = self.building.last() {
            self.tree.append(at, text);
        }
    }

    fn close(&mut self) {
        self.path.pop();
        if self.building.pop().is_some() {
            if self.building.is_empty() {
                let tree = std::mem::take(&mut self.tree);
                if let Some(root) = tree.root() {
                    self.kept(root);
                }
                self.tree = tree;
                self.tree.clear();
            }
        } else if self
            .statement
            .as_ref()
            .is_some_and(|s| s.depth == self.path.len())
        {
            self.statement = None;
        }
    }

    /// A statement-level element, complete.
    fn kept(&mut self, node: Node<'_, '_>) {
        let Some(statement) = self.statement.as_mut() else {
            return;
        };
        match node.name() {
            "Acct" => {
                statement.account = node
                    .text_at(&["Id", "IBAN"])
                    .or_else(|| node.text_at(&["Id", "Othr", "Id"]))
                    .map(str::to_string);
                statement.currency = node.text_at(&["Ccy"]).map(str::to_string);
            }
            "CreDtTm" => statement.created = date(node.text()),
            _ => self.entry(node),
        }
    }

    /// The parser for another text: no element is being built, so nothing borrows the last.
    fn rebind<'b>(self) -> Option<Parser<'b>> {
        let Parser {
            path,
            kinds,
            version,
            statement,
            tree,
            building,
            position,
            entries,
            problems,
        } = self;
        (building.is_empty() && tree.is_empty()).then_some(Parser {
            path,
            kinds,
            version,
            statement,
            tree: Tree::default(),
            building,
            position,
            entries,
            problems,
        })
    }

    fn finish(self) -> Result<Statement, String> {
        if self.kinds.is_empty() {
            return Err("no BkToCstmrStmt/Stmt, BkToCstmrDbtCdtNtfctn/Ntfctn or \
                        BkToCstmrAcctRpt/Rpt element: this XML is not a CAMT bank statement"
                .to_string());
        }
        let mut format = self.kinds.join(" + ");
        if let Some(version) = &self.version {
            format = format!("{format} ({version})");
        }
        Ok(Statement {
            format,
            columns: ["AcctSvcrRef", "ValDt", "Amt", "Ccy", "Dbtr", "RmtInf"],
            entries: self.entries,
            problems: self.problems,
        })
    }

    /// One `Ntry`: an entry per transaction, or a problem at the transaction's position.
    fn entry(&mut self, ntry: Node<'_, '_>) {
        let statement = self.statement.as_ref();
        let shared = Shared {
            account: statement.and_then(|s| s.account.as_deref().map(Arc::from)),
            currency: statement.and_then(|s| s.currency.clone()),
            created: statement.and_then(|s| s.created),
        };
        let mut read = Vec::new();
        outcomes(ntry, &shared, &mut read);
        for outcome in read {
            self.apply(outcome);
        }
    }

    /// What an entry gave, at the next position.
    fn apply(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Transaction(result) => {
                self.position += 1;
                self.push(self.position, result);
            }
            Outcome::Unsplit(count) => self.problems.push(Problem {
                severity: Severity::Warning,
                position: self.position,
                column: Some("TxDtls".into()),
                value: Some(count.to_string()),
                message: format!(
                    "a batch booking of {count} transactions that gives no amount per \
                     transaction: read as one payment of the entry's amount"
                ),
            }),
        }
    }

    fn push(&mut self, position: u32, result: Result<Draft, Miss>) {
        match result {
            Ok(draft) => self.entries.push(draft.at(position)),
            Err(miss) => self.problems.push(Problem {
                severity: Severity::Error,
                position,
                column: Some(miss.column.to_string()),
                value: miss.value,
                message: miss.message,
            }),
        }
    }
}

/// `2026-11-05`, `2026-11-05+02:00` or `2026-11-05T10:30:00` as a date.
fn date(text: &str) -> Option<NaiveDate> {
    let day = text.trim().get(..10)?;
    // The usual form, `YYYY-MM-DD`, is read without the general date parser.
    if let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = *day.as_bytes() {
        let digits = [y1, y2, y3, y4, m1, m2, d1, d2];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |ds: &[u8]| ds.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'));
            let year = i32::try_from(n(&digits[..4])).ok()?;
            return NaiveDate::from_ymd_opt(year, n(&digits[4..6]), n(&digits[6..]));
        }
    }
    NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()
}

/// `part` as a slice of `source` with its lifetime, when `part` lies within `source` (a name the
/// parser borrowed from the document); `None` for text held elsewhere.
fn within<'a>(source: &'a str, part: &str) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(source.as_ptr() as usize)?;
    source.get(start..start.checked_add(part.len())?)
}

/// The part of an element or attribute name after its namespace prefix.
fn local(name: &str) -> &str {
    // Names are short: a plain loop is quicker than a vectorised search.
    match name.bytes().rposition(|b| b == b':') {
        Some(colon) => name.get(colon + 1..).unwrap_or(name),
        None => name,
    }
}
