//! ISO 20022 bank-to-customer messages as statement entries: CAMT.053 statements
//! (`BkToCstmrStmt/Stmt`), CAMT.054 debit/credit notifications (`BkToCstmrDbtCdtNtfctn/Ntfctn`)
//! and, tolerated, CAMT.052 account reports (`BkToCstmrAcctRpt/Rpt`), in every
//! `camt.05x.001.NN` version, namespaced, prefixed or not, with or without a business message
//! envelope around the `Document`.
//!
//! The document is read in two passes over the decoded text (borrowed from the file's bytes
//! when they are UTF-8, never copied per entry). The first, on one thread, walks what lies
//! outside the entries (messages, statements, accounts) with quick-xml, and of each entry
//! (`Ntry`) only finds where it ends, passing over comments, `CDATA` and processing
//! instructions; each entry keeps the account, currency and date of the statement it stands in.
//! Each batch of [`BATCH`] entries it finds is built and read on the worker threads while the
//! first pass goes on, and the batches' results are applied in file order as they are done, so
//! positions and problems come out as a one-thread reading gives them. Anything the split reading is not sure of (any error, an entry that does
//! not end where the first pass found its end) sends the file to the one-pass reader, which
//! gives the same entries and names the place of an error. Every statement (and every account)
//! of the file is read.
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
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use encoding_rs::{Encoding, UTF_16BE, UTF_16LE, UTF_8};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use rayon::prelude::*;
use rust_decimal::Decimal;

use super::statement::{Direction, Entry, Problem, Statement, Status};
use crate::model::Severity;

/// Deeper nesting than any ISO 20022 message has (about 15 levels): refused.
pub const MAX_DEPTH: usize = 64;

/// How much of the start of a file [`sniff`] looks at.
const SNIFF_BYTES: usize = 8 * 1024;

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
    if let Some(statement) = read_split(&text) {
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

/// Entries read together on the worker threads: enough to share the work out, few enough
/// that their trees and results are a small part of the file's memory.
const BATCH: usize = 8 * 1024;

/// A statement-level entry the first pass found: its bytes (from its `<` to the end of its
/// closing tag), how deep it opens, and what it takes from the statement it stands in.
struct Job {
    start: usize,
    end: usize,
    depth: usize,
    shared: Arc<Shared>,
}

/// Reads the document in two passes: a first pass on this thread walks everything outside the
/// entries (messages, statements, accounts) and only finds where each entry ends; each batch
/// of [`BATCH`] entries it finds is built and read on the worker threads while it goes on,
/// and the batches' results are applied in file order as they are done, so positions,
/// problems and entries come out exactly as [`read_whole`] gives them.
///
/// `None` whenever anything is not as a well-formed statement has it (a syntax error, a
/// `DOCTYPE`, deep nesting, an unknown entity, a truncated file, no statement, an entry that
/// does not end where the first pass found its end): the whole reader then decides.
fn read_split(text: &str) -> Option<Statement> {
    let mut parser = Parser::default();
    // Each batch's results, in file order, as the worker threads finish them.
    let read: Mutex<Vec<Option<Batch>>> = Mutex::new(Vec::new());
    let mut applied = 0;
    let walked = rayon::scope(|scope| {
        let mut jobs: Vec<Job> = Vec::with_capacity(BATCH);
        let mut shared: Option<Arc<Shared>> = None;
        // The qualified names of the open elements: readers start afresh after each entry,
        // so the end tags are checked here rather than by quick-xml.
        let mut open: Vec<String> = Vec::new();
        let mut base = 0;
        let mut reader = outside(text);
        loop {
            let before = base + usize::try_from(reader.buffer_position()).ok()?;
            let event = reader.read_event().ok()?;
            let after = base + usize::try_from(reader.buffer_position()).ok()?;
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(start) | Event::Empty(start) if parser.entry_opens(&start) => {
                    if parser.path.len() >= MAX_DEPTH || text.as_bytes().get(before) != Some(&b'<')
                    {
                        return None;
                    }
                    let end = if empty {
                        after
                    } else {
                        entry_end(text, after)?
                    };
                    let statement = parser.statement.as_ref()?;
                    let same = shared.as_ref().is_some_and(|s| {
                        s.account == statement.account
                            && s.currency == statement.currency
                            && s.created == statement.created
                    });
                    if !same {
                        shared = Some(Arc::new(Shared {
                            account: statement.account.clone(),
                            currency: statement.currency.clone(),
                            created: statement.created,
                        }));
                    }
                    jobs.push(Job {
                        start: before,
                        end,
                        depth: parser.path.len(),
                        shared: Arc::clone(shared.as_ref()?),
                    });
                    if jobs.len() == BATCH {
                        let full = std::mem::replace(&mut jobs, Vec::with_capacity(BATCH));
                        spawn(scope, text, &read, full)?;
                        applied = apply_ready(&mut parser, &read, applied)?;
                    }
                    base = end;
                    reader = outside(text.get(end..)?);
                }
                Event::Start(start) => {
                    parser.open(&start, text).ok()?;
                    open.push(start.name().as_ref().to_string());
                }
                Event::Empty(start) => {
                    parser.open(&start, text).ok()?;
                    parser.close();
                }
                Event::End(end) => {
                    if open.pop().as_deref() != Some(end.name().as_ref()) {
                        return None;
                    }
                    parser.close();
                }
                Event::Text(t) => parser.text(t.xml10_content()),
                Event::CData(t) => parser.text(t.xml10_content()),
                Event::GeneralRef(r) => parser.text(Cow::Owned(resolve(&r).ok()?)),
                Event::DocType(_) => return None,
                Event::Eof => break,
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            }
        }
        if parser.path.last().is_some() || !open.is_empty() {
            return None;
        }
        spawn(scope, text, &read, jobs)
    });
    walked?;
    // Every batch is done once the scope has ended.
    applied = apply_ready(&mut parser, &read, applied)?;
    if applied != read.lock().ok()?.len() {
        return None;
    }
    parser.finish().ok()
}

/// What the entries of one batch gave, in order; `None` for an entry the split reading gave
/// up on.
type Batch = Vec<Option<Vec<Outcome>>>;

/// Reads a batch of entries on the worker threads, into the next slot of `read`.
fn spawn<'s>(
    scope: &rayon::Scope<'s>,
    text: &'s str,
    read: &'s Mutex<Vec<Option<Batch>>>,
    jobs: Vec<Job>,
) -> Option<()> {
    let slot = {
        let mut read = read.lock().ok()?;
        read.push(None);
        read.len() - 1
    };
    scope.spawn(move |_| {
        let batch: Batch = jobs
            .par_iter()
            .map(|job| Some(outcomes(&entry_tree(text, job)?, &job.shared)))
            .collect();
        if let Ok(mut read) = read.lock() {
            if let Some(place) = read.get_mut(slot) {
                *place = Some(batch);
            }
        }
    });
    Some(())
}

/// Applies the batches finished so far, from `applied` on and in file order, and frees them;
/// returns how many are applied. `None` when an entry of them was given up on.
fn apply_ready(
    parser: &mut Parser<'_>,
    read: &Mutex<Vec<Option<Batch>>>,
    mut applied: usize,
) -> Option<usize> {
    loop {
        let batch = {
            let mut read = read.lock().ok()?;
            match read.get_mut(applied) {
                Some(slot) if slot.is_some() => slot.take()?,
                _ => return Some(applied),
            }
        };
        for outcomes in batch {
            for outcome in outcomes? {
                parser.apply(outcome);
            }
        }
        applied += 1;
    }
}

/// A reader for the document from some point on: end tags are checked by [`read_split`].
fn outside(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    reader
}

/// Where the entry whose start tag ends at `from` ends: the byte after its closing tag
/// (`</Ntry>`, any prefix). Only the markup that can hide a closing tag is looked at:
/// comments, `CDATA` sections and processing instructions are passed over whole. `None` for a
/// `DOCTYPE` or other declaration, and for a file that ends first.
fn entry_end(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = from;
    loop {
        // `at` always follows an ASCII byte, so it is a character boundary; `find` of an
        // ASCII character searches a word at a time.
        let lt = at + text.get(at..)?.find('<')?;
        let rest = bytes.get(lt + 1..)?;
        let skip = |open: usize, close: &[u8]| {
            let body = rest.get(open..)?;
            let end = body.windows(close.len()).position(|w| w == close)?;
            Some(lt + 1 + open + end + close.len())
        };
        at = match rest.first()? {
            b'!' if rest.starts_with(b"!--") => skip(3, b"-->")?,
            b'!' if rest.starts_with(b"![CDATA[") => skip(8, b"]]>")?,
            b'!' => return None,
            b'?' => skip(1, b"?>")?,
            b'/' => {
                let name_len = rest
                    .iter()
                    .skip(1)
                    .position(|&b| b == b'>' || b.is_ascii_whitespace())?;
                let name = rest.get(1..=name_len)?;
                let local_name = name.rsplit(|&b| b == b':').next()?;
                if local_name == b"Ntry" {
                    let close = rest.iter().position(|&b| b == b'>')?;
                    return Some(lt + 1 + close + 1);
                }
                lt + 1 + name_len
            }
            _ => lt + 1,
        };
    }
}

/// The tree of one entry, read from its own bytes as [`read_whole`] would build it. `None`
/// when the bytes are not exactly one well-formed element within the depth limit.
fn entry_tree<'a>(text: &'a str, job: &Job) -> Option<Node<'a>> {
    let mut reader = Reader::from_str(text.get(job.start..job.end)?);
    let mut stack: Vec<Node<'a>> = Vec::new();
    let mut root = None;
    loop {
        let event = reader.read_event().ok()?;
        let (opened, closed) = match &event {
            Event::Start(start) => (Some(start), false),
            Event::Empty(start) => (Some(start), true),
            Event::End(_) => (None, true),
            Event::Text(t) => {
                let node = stack.last_mut()?;
                // The indentation between elements, which `append` would not keep: passed over
                // without normalising its line ends.
                if !(node.text.is_empty() && t.bytes().all(|b| b.is_ascii_whitespace())) {
                    append(node, t.xml10_content());
                }
                (None, false)
            }
            Event::CData(t) => {
                append(stack.last_mut()?, t.xml10_content());
                (None, false)
            }
            Event::GeneralRef(r) => {
                append(stack.last_mut()?, Cow::Owned(resolve(r).ok()?));
                (None, false)
            }
            Event::DocType(_) => return None,
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => (None, false),
        };
        if let Some(start) = opened {
            if root.is_some() || job.depth + stack.len() >= MAX_DEPTH {
                return None;
            }
            stack.push(node(start, text));
        }
        if closed {
            let done = stack.pop()?;
            match stack.last_mut() {
                Some(parent) => parent.children.push(done),
                None => root = Some(done),
            }
        }
    }
    if stack.is_empty() {
        root
    } else {
        None
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

/// One element kept whole: an entry, an account.
#[derive(Debug, Default)]
struct Node<'a> {
    /// Borrowed from the document when it can be, so an entry costs few allocations.
    name: Cow<'a, str>,
    /// The `Ccy` attribute of an amount.
    ccy: Option<String>,
    text: Cow<'a, str>,
    children: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.children.iter().find(|c| c.name == name)
    }

    fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Node<'a>> + 's {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn at(&self, path: &[&str]) -> Option<&Node<'a>> {
        path.iter().try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at `path`, when there is some.
    fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|n| n.text.trim())
            .filter(|t| !t.is_empty())
    }
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
    /// The kept element being built, innermost last.
    building: Vec<Node<'a>>,
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
            self.building.push(node(start, source));
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
        if let Some(node) = self.building.last_mut() {
            append(node, text);
        }
    }

    fn close(&mut self) {
        self.path.pop();
        if let Some(node) = self.building.pop() {
            match self.building.last_mut() {
                Some(parent) => parent.children.push(node),
                None => self.kept(&node),
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
    fn kept(&mut self, node: &Node<'_>) {
        let Some(statement) = self.statement.as_mut() else {
            return;
        };
        match node.name.as_ref() {
            "Acct" => {
                statement.account = node
                    .text_at(&["Id", "IBAN"])
                    .or_else(|| node.text_at(&["Id", "Othr", "Id"]))
                    .map(str::to_string);
                statement.currency = node.text_at(&["Ccy"]).map(str::to_string);
            }
            "CreDtTm" => statement.created = date(&node.text),
            _ => self.entry(node),
        }
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
    fn entry(&mut self, ntry: &Node<'_>) {
        let statement = self.statement.as_ref();
        let shared = Shared {
            account: statement.and_then(|s| s.account.clone()),
            currency: statement.and_then(|s| s.currency.clone()),
            created: statement.and_then(|s| s.created),
        };
        for outcome in outcomes(ntry, &shared) {
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

/// What reading one `Ntry` gave, in order: each transaction read (or not), and a warning
/// about the last one when a batch could not be split.
enum Outcome {
    Transaction(Result<Draft, Miss>),
    /// A batch of this many transactions without amounts of their own, read as one.
    Unsplit(usize),
}

/// An entry per transaction of `ntry` (or the problem with it), in order.
fn outcomes(ntry: &Node<'_>, shared: &Shared) -> Vec<Outcome> {
    let details: Vec<&Node<'_>> = ntry.all("NtryDtls").flat_map(|d| d.all("TxDtls")).collect();
    let own_amounts = details.iter().filter(|t| tx_amount(t).is_some()).count();
    if details.len() > 1 && own_amounts == 0 {
        // A batch that lists its transactions without their amounts: it cannot be split,
        // so it stays one payment of the entry's total, and the memo names them all.
        return vec![
            Outcome::Transaction(transaction(ntry, &details, None, shared)),
            Outcome::Unsplit(details.len()),
        ];
    }
    if details.is_empty() {
        return vec![Outcome::Transaction(transaction(ntry, &[], None, shared))];
    }
    details
        .iter()
        .enumerate()
        .map(|(k, tx)| {
            let batch = (details.len() > 1).then_some(k + 1);
            Outcome::Transaction(transaction(ntry, std::slice::from_ref(tx), batch, shared))
        })
        .collect()
}

/// A kept element as it opens: its local name (borrowed from the document when it can be)
/// and the `Ccy` attribute of an amount.
fn node<'a>(start: &BytesStart<'_>, source: &'a str) -> Node<'a> {
    let qname = start.name();
    let name = local(qname.as_ref());
    let ccy = start.attributes().flatten().find_map(|a| {
        (local(a.key.as_ref()) == "Ccy")
            .then(|| a.normalized_value(XmlVersion::Implicit1_0).ok())
            .flatten()
            .map(|v| v.trim().to_string())
    });
    Node {
        name: within(source, name).map_or_else(|| Cow::Owned(name.to_string()), Cow::Borrowed),
        ccy,
        ..Node::default()
    }
}

/// Text inside a kept element. The indentation between elements is not kept (values are
/// trimmed anyway).
fn append<'a>(node: &mut Node<'a>, text: Cow<'a, str>) {
    if node.text.is_empty() {
        if !text.trim().is_empty() {
            node.text = text;
        }
    } else {
        node.text.to_mut().push_str(&text);
    }
}

/// What a transaction takes from its statement.
struct Shared {
    account: Option<String>,
    currency: Option<String>,
    created: Option<NaiveDate>,
}

/// A transaction read, before it has its position.
struct Draft(Entry);

impl Draft {
    fn at(mut self, position: u32) -> Entry {
        self.0.position = position;
        self.0
    }
}

/// Why a transaction could not be read.
struct Miss {
    column: &'static str,
    value: Option<String>,
    message: String,
}

fn miss(column: &'static str, value: Option<&str>, message: impl Into<String>) -> Miss {
    Miss {
        column,
        value: value.map(str::to_string),
        message: message.into(),
    }
}

/// The amount a transaction of an entry states for itself.
fn tx_amount<'n, 'a>(tx: &'n Node<'a>) -> Option<&'n Node<'a>> {
    tx.child("Amt")
        .or_else(|| tx.at(&["AmtDtls", "TxAmt", "Amt"]))
}

/// One transaction of `ntry`: `txs` holds its `TxDtls` (none, one, or all of a batch that has
/// no amounts per transaction), `batch` its ordinal when the entry has several.
fn transaction(
    ntry: &Node<'_>,
    txs: &[&Node<'_>],
    batch: Option<usize>,
    shared: &Shared,
) -> Result<Draft, Miss> {
    let single = txs.first().filter(|_| txs.len() == 1).copied();
    let status = status(ntry)?;
    let indicator = single
        .and_then(|t| t.text_at(&["CdtDbtInd"]))
        .or_else(|| ntry.text_at(&["CdtDbtInd"]));
    let direction =
        match indicator {
            Some("CRDT") => Direction::Credit,
            Some("DBIT") => Direction::Debit,
            other => return Err(miss(
                "CdtDbtInd",
                other,
                "the entry does not say whether it is a credit (CRDT) or a debit (DBIT); left out",
            )),
        };
    let amount_node = match (single.and_then(tx_amount), batch) {
        (Some(node), _) => node,
        (None, Some(_)) => {
            return Err(miss(
                "Amt",
                None,
                "a transaction of a batch booking without its own amount; left out (the other \
                 transactions of the entry state theirs)",
            ))
        }
        (None, None) => ntry
            .child("Amt")
            .ok_or_else(|| miss("Amt", None, "the entry has no amount; left out"))?,
    };
    let shown = amount_node.text.trim();
    let amount: Decimal = shown
        .parse()
        .map_err(|_| miss("Amt", Some(shown), "not an amount; left out"))?;
    if amount.is_sign_negative() {
        return Err(miss(
            "Amt",
            Some(shown),
            "a negative amount, which CAMT never has (CdtDbtInd gives the direction); left out",
        ));
    }
    let currency = amount_node
        .ccy
        .clone()
        .filter(|c| !c.is_empty())
        .or_else(|| shared.currency.clone());
    let written = |element: &'static str| {
        ntry.child(element)
            .and_then(|d| d.text_at(&["Dt"]).or_else(|| d.text_at(&["DtTm"])))
            .map(|text| (element, text))
    };
    let date = match written("ValDt").or_else(|| written("BookgDt")) {
        Some((element, text)) => date(text).ok_or_else(|| {
            miss(
                element,
                Some(text),
                "not a date (YYYY-MM-DD expected); left out",
            )
        })?,
        None => match (status, shared.created) {
            (Status::Pending | Status::Info, Some(created)) => created,
            _ => {
                return Err(miss(
                    "BookgDt",
                    None,
                    "the entry has neither a value date nor a booking date; left out",
                ))
            }
        },
    };
    let reversal = ntry
        .text_at(&["RvslInd"])
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let end_to_end = single
        .and_then(|t| t.text_at(&["Refs", "EndToEndId"]))
        .filter(|v| !v.eq_ignore_ascii_case("NOTPROVIDED"));
    let bank_ref = single
        .and_then(|t| t.text_at(&["Refs", "AcctSvcrRef"]))
        .or_else(|| {
            batch
                .is_none()
                .then(|| ntry.text_at(&["AcctSvcrRef"]))
                .flatten()
        });
    let entry_ref = ntry
        .text_at(&["NtryRef"])
        .or_else(|| ntry.text_at(&["AcctSvcrRef"]));
    let id = bank_ref
        .or(end_to_end)
        .map(str::to_string)
        .or_else(|| match batch {
            Some(k) => entry_ref.map(|r| format!("{r}-{k}")),
            None => entry_ref.map(str::to_string),
        });
    let payer = payer(txs);
    let structured: Vec<&str> = txs
        .iter()
        .flat_map(|t| t.at(&["RmtInf"]).into_iter())
        .flat_map(|r| r.all("Strd"))
        .filter_map(|s| s.text_at(&["CdtrRefInf", "Ref"]))
        .collect();
    let mut parts: Vec<&str> = txs
        .iter()
        .flat_map(|t| t.at(&["RmtInf"]).into_iter())
        .flat_map(|r| r.all("Ustrd"))
        .map(|u| u.text.trim())
        .filter(|u| !u.is_empty())
        .collect();
    parts.extend(structured.iter().copied());
    parts.extend(
        txs.iter()
            .filter_map(|t| t.text_at(&["Refs", "EndToEndId"]))
            .filter(|v| !v.eq_ignore_ascii_case("NOTPROVIDED")),
    );
    if parts.is_empty() {
        parts.extend(txs.iter().filter_map(|t| t.text_at(&["AddtlTxInf"])));
    }
    if parts.is_empty() {
        parts.extend(ntry.text_at(&["AddtlNtryInf"]));
    }
    let mut seen = Vec::new();
    parts.retain(|p| {
        let fresh = !seen.contains(p);
        seen.push(*p);
        fresh
    });
    let memo = (!parts.is_empty()).then(|| parts.join(" "));
    let reference = end_to_end
        .or_else(|| structured.first().copied())
        .map(str::to_string)
        .or_else(|| memo.clone());
    Ok(Draft(Entry {
        position: 0,
        id,
        date,
        amount,
        currency,
        direction,
        status,
        reversal,
        payer,
        memo,
        account: shared.account.clone(),
        reference,
    }))
}

/// `BOOK`, `PDNG`, `INFO` (and `FUTR`), written plainly (up to version 06) or as `Sts/Cd`.
fn status(ntry: &Node<'_>) -> Result<Status, Miss> {
    let code = ntry
        .text_at(&["Sts", "Cd"])
        .or_else(|| ntry.text_at(&["Sts", "Prtry"]))
        .or_else(|| ntry.text_at(&["Sts"]));
    match code.map(str::to_ascii_uppercase).as_deref() {
        Some("BOOK") => Ok(Status::Booked),
        Some("PDNG" | "FUTR") => Ok(Status::Pending),
        Some("INFO") => Ok(Status::Info),
        _ => Err(miss(
            "Sts",
            code,
            "the entry's status is not BOOK, PDNG, FUTR or INFO, so it is not known to be \
             booked; left out",
        )),
    }
}

/// The debtor's name (`Dbtr/Nm`, `Dbtr/Pty/Nm`), else the ultimate debtor's; for several
/// transactions read as one, the name they all share.
fn payer(txs: &[&Node<'_>]) -> Option<String> {
    fn name_of<'n>(tx: &'n Node<'_>) -> Option<&'n str> {
        ["Dbtr", "UltmtDbtr"].iter().find_map(|party| {
            tx.text_at(&["RltdPties", party, "Nm"])
                .or_else(|| tx.text_at(&["RltdPties", party, "Pty", "Nm"]))
        })
    }
    let mut names = txs.iter().map(|t| name_of(t));
    let first = names.next()??;
    names.all(|n| n == Some(first)).then(|| first.to_string())
}

/// `2026-11-05`, `2026-11-05+02:00` or `2026-11-05T10:30:00` as a date.
fn date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()
}

/// `part` as a slice of `source` with its lifetime, when `part` lies within `source` (a name the
/// parser borrowed from the document); `None` for text held elsewhere.
fn within<'a>(source: &'a str, part: &str) -> Option<&'a str> {
    let start = (part.as_ptr() as usize).checked_sub(source.as_ptr() as usize)?;
    source.get(start..start.checked_add(part.len())?)
}

/// The part of an element or attribute name after its namespace prefix.
fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, local)| local)
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

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    const FIXTURES: [&str; 7] = [
        "camt053-v02-batch-entry.xml",
        "camt053-v08-reversal.xml",
        "camt054-hebrew-debtor.xml",
        "camt053-pending-and-info.xml",
        "camt053-two-statements-two-currencies.xml",
        "camt053-windows1255-declared.xml",
        "camt053-prefixed-in-envelope.xml",
    ];

    /// A minimal v08 statement around the given entries.
    fn v08(entries: &str) -> String {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-30T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><CreDtTm>2026-11-30T18:00:00</CreDtTm>
<Acct><Id><IBAN>IL620108000000099999999</IBAN></Id><Ccy>ILS</Ccy></Acct>
{entries}
</Stmt></BkToCstmrStmt></Document>"#
        )
    }

    #[test]
    fn batch_entry_is_one_payment_per_transaction() {
        let statement = read(&fixture("camt053-v02-batch-entry.xml")).unwrap();
        assert_eq!(statement.format, "CAMT.053 (camt.053.001.02)");
        assert!(statement.problems.is_empty(), "{:?}", statement.problems);
        let e = &statement.entries;
        assert_eq!(e.len(), 5);
        let positions: Vec<u32> = e.iter().map(|e| e.position).collect();
        assert_eq!(positions, [1, 2, 3, 4, 5]);
        // The single entry: the entry's own AcctSvcrRef, the value date over the booking date.
        assert_eq!(e[0].id.as_deref(), Some("2026110500123"));
        assert_eq!(e[0].date, day(6));
        assert_eq!(e[0].amount, "4100.00".parse().unwrap());
        assert_eq!(e[0].currency.as_deref(), Some("EUR"));
        assert_eq!(e[0].payer.as_deref(), Some("Brightside Design Ltd"));
        assert_eq!(
            e[0].memo.as_deref(),
            Some("Invoice INV-1001 E2E-BRIGHT-1001")
        );
        assert_eq!(e[0].reference.as_deref(), Some("E2E-BRIGHT-1001"));
        assert_eq!(
            e[0].account.as_deref(),
            Some("DE89370400440532013000"),
            "the statement's IBAN"
        );
        // The batch of three: each with its own amount, id and payer.
        let amounts: Vec<String> = e[1..4].iter().map(|e| e.amount.to_string()).collect();
        assert_eq!(amounts, ["1200.00", "800.50", "300.00"]);
        assert_eq!(e[1].id.as_deref(), Some("TX-7781-1"), "Refs/AcctSvcrRef");
        assert_eq!(e[2].id.as_deref(), Some("E2E-NORTH-77"), "EndToEndId");
        assert_eq!(
            e[3].id.as_deref(),
            Some("BATCH-20261107-3"),
            "NOTPROVIDED end-to-end: the entry reference and the ordinal"
        );
        assert_eq!(
            e[3].payer.as_deref(),
            Some("Orchard Lane Cafe"),
            "UltmtDbtr"
        );
        assert_eq!(
            e[3].memo.as_deref(),
            Some("RF18539007547034"),
            "structured ref"
        );
        assert_eq!(e[2].amount.to_string(), "800.50", "AmtDtls/TxAmt/Amt");
        // The debit.
        assert_eq!(e[4].direction, Direction::Debit);
        assert_eq!(e[4].memo.as_deref(), Some("Office rent November"));
    }

    #[test]
    fn reversal_is_marked_and_carries_the_reference_of_the_credit() {
        let statement = read(&fixture("camt053-v08-reversal.xml")).unwrap();
        assert_eq!(statement.format, "CAMT.053 (camt.053.001.08)");
        let e = &statement.entries;
        assert_eq!(e.len(), 3);
        assert!(!e[0].reversal && e[1].reversal && !e[2].reversal);
        assert_eq!(e[1].direction, Direction::Debit);
        assert_eq!(e[0].reference, e[1].reference);
        assert_eq!(e[0].amount, e[1].amount);
        assert_eq!(
            e[0].payer.as_deref(),
            Some("Keystone Builders"),
            "Dbtr/Pty/Nm"
        );
        assert_eq!(e[0].status, Status::Booked, "<Sts><Cd>BOOK</Cd></Sts>");
        assert_eq!(e[0].date, day(3), "ValDt/DtTm");
    }

    #[test]
    fn hebrew_debtor_comes_through_unchanged() {
        let statement = read(&fixture("camt054-hebrew-debtor.xml")).unwrap();
        assert!(statement.format.starts_with("CAMT.054 (camt.054.001.04)"));
        let e = &statement.entries;
        assert_eq!(e[0].payer.as_deref(), Some("מאפיית הגליל בע\"מ"));
        assert_eq!(
            e[0].memo.as_deref(),
            Some("תשלום חשבונית INV-202 עבור אוקטובר")
        );
        assert_eq!(e[0].currency.as_deref(), Some("ILS"));
        assert_eq!(
            e[1].payer.as_deref(),
            Some("סטודיו אורן & שות'"),
            "entities"
        );
    }

    #[test]
    fn declared_windows_1255_is_honoured_when_the_bytes_are_not_utf8() {
        let bytes = fixture("camt053-windows1255-declared.xml");
        assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is 1255");
        let statement = read(&bytes).unwrap();
        assert_eq!(
            statement.entries[0].payer.as_deref(),
            Some("נגרות עמית ובניו")
        );
        // The same text re-encoded as UTF-8 under the same declaration: the bytes decide.
        let (text, _, _) = encoding_rs::WINDOWS_1255.decode(&bytes);
        let again = read(text.as_bytes()).unwrap();
        assert_eq!(again.entries, statement.entries);
    }

    #[test]
    fn pending_and_information_entries_keep_their_status() {
        let statement = read(&fixture("camt053-pending-and-info.xml")).unwrap();
        let status: Vec<Status> = statement.entries.iter().map(|e| e.status).collect();
        assert_eq!(
            status,
            [
                Status::Booked,
                Status::Pending,
                Status::Info,
                Status::Pending
            ]
        );
        // A pending entry without dates takes the statement's creation date.
        assert_eq!(statement.entries[3].date, day(30));
    }

    #[test]
    fn every_statement_account_and_currency_is_read() {
        let statement = read(&fixture("camt053-two-statements-two-currencies.xml")).unwrap();
        let seen: Vec<(Option<&str>, Option<&str>, u32)> = statement
            .entries
            .iter()
            .map(|e| (e.account.as_deref(), e.currency.as_deref(), e.position))
            .collect();
        assert_eq!(
            seen,
            [
                (Some("IL620108000000099999999"), Some("ILS"), 1),
                (Some("IL620108000000099999999"), Some("ILS"), 2),
                (Some("1234567890"), Some("USD"), 3),
                (Some("1234567890"), Some("USD"), 4),
            ]
        );
    }

    #[test]
    fn prefixed_documents_in_an_envelope_read_like_plain_ones() {
        let statement = read(&fixture("camt053-prefixed-in-envelope.xml")).unwrap();
        assert_eq!(statement.format, "CAMT.053 (camt.053.001.10)");
        assert_eq!(statement.entries.len(), 1);
        assert_eq!(statement.entries[0].id.as_deref(), Some("ZKB-88120"));
        assert_eq!(
            statement.entries[0].payer.as_deref(),
            Some("Harbor Freight Co")
        );
    }

    #[test]
    fn a_batch_without_amounts_per_transaction_stays_one_payment() {
        let xml = v08(
            r"<Ntry><NtryRef>B7</NtryRef><Amt Ccy='ILS'>500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt>
            <NtryDtls><TxDtls><RmtInf><Ustrd>INV-1</Ustrd></RmtInf></TxDtls>
            <TxDtls><RmtInf><Ustrd>INV-2</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
        );
        let statement = read(xml.as_bytes()).unwrap();
        assert_eq!(statement.entries.len(), 1);
        assert_eq!(statement.entries[0].memo.as_deref(), Some("INV-1 INV-2"));
        assert_eq!(statement.entries[0].id.as_deref(), Some("B7"));
        assert_eq!(statement.problems.len(), 1);
        assert_eq!(statement.problems[0].severity, Severity::Warning);
    }

    #[test]
    fn a_bad_transaction_is_a_problem_at_its_position_and_the_rest_is_read() {
        let xml = v08(
            r"<Ntry><Amt Ccy='ILS'>12,x</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
              <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
            <Ntry><Amt Ccy='ILS'>10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>
            <Ntry><Amt Ccy='ILS'>10</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>WHAT</Sts>
              <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
            <Ntry><Amt Ccy='ILS'>-3</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
              <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
            <Ntry><Amt Ccy='ILS'>7</Amt><Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>
            <Ntry><Amt>9.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
              <BookgDt><Dt>10.11.2026</Dt></BookgDt></Ntry>
            <Ntry><Amt>9.5</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
              <BookgDt><Dt>2026-11-10</Dt></BookgDt></Ntry>",
        );
        let statement = read(xml.as_bytes()).unwrap();
        let problems: Vec<(u32, &str)> = statement
            .problems
            .iter()
            .map(|p| (p.position, p.column.as_deref().unwrap()))
            .collect();
        assert_eq!(
            problems,
            [
                (1, "Amt"),
                (2, "BookgDt"),
                (3, "Sts"),
                (4, "Amt"),
                (5, "CdtDbtInd"),
                (6, "BookgDt")
            ]
        );
        assert_eq!(statement.problems[0].value.as_deref(), Some("12,x"));
        assert_eq!(statement.entries.len(), 1);
        assert_eq!(statement.entries[0].position, 7);
        assert_eq!(
            statement.entries[0].currency.as_deref(),
            Some("ILS"),
            "the account's currency"
        );
        assert!(statement
            .problems
            .iter()
            .all(|p| p.severity == Severity::Error));
    }

    #[test]
    fn a_batch_transaction_without_an_amount_is_a_problem_the_others_are_read() {
        let xml = v08(
            r"<Ntry><NtryRef>B8</NtryRef><Amt Ccy='ILS'>500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
            <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt>
            <NtryDtls><TxDtls><Amt Ccy='ILS'>200</Amt></TxDtls>
            <TxDtls><RmtInf><Ustrd>INV-2</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>",
        );
        let statement = read(xml.as_bytes()).unwrap();
        assert_eq!(statement.entries.len(), 1);
        assert_eq!(statement.entries[0].id.as_deref(), Some("B8-1"));
        assert_eq!(statement.problems[0].position, 2);
        assert_eq!(statement.problems[0].column.as_deref(), Some("Amt"));
    }

    #[test]
    fn malformed_truncated_and_hostile_files_are_errors_with_a_place() {
        let good = fixture("camt053-v08-reversal.xml");
        let cut = &good[..good.len() / 2];
        let err = read(cut).unwrap_err();
        assert!(err.contains("truncated") || err.contains("line"), "{err}");
        let err = read(b"<Document><BkToCstmrStmt><Stmt></Ntry></Stmt>").unwrap_err();
        assert!(err.contains("line 1"), "{err}");
        let bomb =
            "<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY a \"aaaa\">]><Document>&a;</Document>";
        let err = read(bomb.as_bytes()).unwrap_err();
        assert!(err.contains("DOCTYPE"), "{err}");
        let deep = "<a>".repeat(10_000);
        let err = read(deep.as_bytes()).unwrap_err();
        assert!(err.contains("nested"), "{err}");
        let err = read(b"<Document><pain/></Document>").unwrap_err();
        assert!(err.contains("not a CAMT"), "{err}");
        let err =
            read(b"<Document>\n<BkToCstmrStmt>\xE0\xE1</BkToCstmrStmt></Document>").unwrap_err();
        assert!(err.contains("line 2 is not UTF-8"), "{err}");
    }

    #[test]
    fn no_truncation_of_any_fixture_panics() {
        for name in FIXTURES {
            let bytes = fixture(name);
            assert!(sniff(&bytes), "{name}");
            // Whatever the damage, the split reading gives what the one-pass reading gives
            // (the same entries, or the same error).
            let same = |bytes: &[u8]| {
                let whole = decode(bytes).and_then(|text| read_whole(&text));
                assert_eq!(read(bytes), whole, "{name}");
            };
            for end in (0..bytes.len()).step_by(7) {
                same(&bytes[..end]);
            }
            // Markup characters and a non-UTF-8 byte dropped in anywhere.
            for (at, byte) in (0..bytes.len())
                .step_by(13)
                .zip([b'<', b'>', b'&', b'/', 0xE9].iter().cycle())
            {
                let mut changed = bytes.clone();
                changed[at] = *byte;
                same(&changed);
            }
            let statement = read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!statement.entries.is_empty(), "{name}");
        }
    }

    fn escape(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        /// Any statement of booked entries, each of one to three transactions with any payer
        /// and remittance text, reads back transaction for transaction.
        #[test]
        fn written_entries_read_back(
            entries in proptest::collection::vec(
                (
                    proptest::bool::ANY,
                    proptest::collection::vec(
                        (1u64..10_000_000, "[a-zA-Z0-9א-ת&<>\"' .-]{1,16}", "[a-zA-Z0-9א-ת&<> -]{0,20}"),
                        1..4,
                    ),
                ),
                0..8,
            )
        ) {
            let mut xml = String::new();
            let mut expected = Vec::new();
            for (e, (credit, txs)) in entries.iter().enumerate() {
                let total: u64 = txs.iter().map(|t| t.0).sum();
                let indicator = if *credit { "CRDT" } else { "DBIT" };
                xml.push_str(&format!(
                    "<Ntry><NtryRef>N{e}</NtryRef><Amt Ccy='ILS'>{}.{:02}</Amt>\
                     <CdtDbtInd>{indicator}</CdtDbtInd><Sts>BOOK</Sts>\
                     <BookgDt><Dt>2026-11-05</Dt></BookgDt><NtryDtls>",
                    total / 100,
                    total % 100
                ));
                for (k, (cents, payer, memo)) in txs.iter().enumerate() {
                    let amount = if txs.len() > 1 {
                        format!("<Amt Ccy='ILS'>{}.{:02}</Amt>", cents / 100, cents % 100)
                    } else {
                        String::new()
                    };
                    xml.push_str(&format!(
                        "<TxDtls>{amount}<RltdPties><Dbtr><Nm>{}</Nm></Dbtr></RltdPties>\
                         <RmtInf><Ustrd>{}</Ustrd></RmtInf></TxDtls>",
                        escape(payer),
                        escape(memo)
                    ));
                    let memo = memo.trim();
                    expected.push((
                        if txs.len() > 1 { format!("N{e}-{}", k + 1) } else { format!("N{e}") },
                        Decimal::new(i64::try_from(*cents).unwrap(), 2),
                        *credit,
                        Some(payer.trim().to_string()).filter(|p| !p.is_empty()),
                        Some(memo.to_string()).filter(|m| !m.is_empty()),
                    ));
                }
                xml.push_str("</NtryDtls></Ntry>\n");
            }
            let statement = read(v08(&xml).as_bytes()).unwrap();
            proptest::prop_assert_eq!(&statement, &read_whole(&v08(&xml)).unwrap());
            proptest::prop_assert!(statement.problems.is_empty(), "{:?}", statement.problems);
            let got: Vec<_> = statement
                .entries
                .iter()
                .map(|e| {
                    (
                        e.id.clone().unwrap(),
                        e.amount,
                        e.direction == Direction::Credit,
                        e.payer.clone(),
                        e.memo.clone(),
                    )
                })
                .collect();
            proptest::prop_assert_eq!(got, expected);
            let positions: Vec<u32> = statement.entries.iter().map(|e| e.position).collect();
            let want: Vec<u32> = (1..=u32::try_from(positions.len()).unwrap()).collect();
            proptest::prop_assert_eq!(positions, want);
        }
    }

    /// The split reader gives what the one-pass reader gives, on every fixture.
    #[test]
    fn split_reading_equals_whole_reading() {
        for name in FIXTURES {
            let bytes = fixture(name);
            let text = decode(&bytes).unwrap();
            let split = read_split(&text).unwrap_or_else(|| panic!("{name} not split"));
            assert_eq!(split, read_whole(&text).unwrap(), "{name}");
        }
    }

    /// Over several batches (read while the first pass goes on), with batch bookings, bad
    /// entries and a second statement among them, the results stay in file order.
    #[test]
    fn many_batches_come_out_in_file_order() {
        let mut entries = String::new();
        for k in 0..(2 * BATCH + 700) {
            let entry = match k % 97 {
                0 => format!(
                    "<Ntry><NtryRef>B{k}</NtryRef><Amt Ccy='ILS'>30</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
                     <Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt><NtryDtls>\
                     <TxDtls><Amt Ccy='ILS'>10</Amt></TxDtls><TxDtls><Amt Ccy='ILS'>20</Amt>\
                     </TxDtls></NtryDtls></Ntry>\n"
                ),
                1 => format!("<Ntry><Amt>x{k}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>\n"),
                _ => format!(
                    "<Ntry><Amt Ccy='ILS'>{k}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>\
                     <BookgDt><Dt>2026-11-10</Dt></BookgDt><AcctSvcrRef>R{k}</AcctSvcrRef></Ntry>\n"
                ),
            };
            entries.push_str(&entry);
            if k == BATCH + 5 {
                entries.push_str(
                    "</Stmt><Stmt><Acct><Id><IBAN>IL2</IBAN></Id><Ccy>USD</Ccy></Acct>\n",
                );
            }
        }
        let xml = v08(&entries);
        let split = read_split(&xml).expect("read in two passes");
        assert_eq!(split, read_whole(&xml).unwrap());
        assert!(split.entries.len() > 2 * BATCH);
        assert_eq!(
            split.entries.last().unwrap().account.as_deref(),
            Some("IL2")
        );
        let positions: Vec<u32> = split.entries.iter().map(|e| e.position).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    /// A closing tag inside a comment, a `CDATA` section or a processing instruction does not
    /// end an entry; prefixed names and empty entries are found too.
    #[test]
    fn the_first_pass_finds_entry_ends_past_comments_and_cdata() {
        let xml = v08(
            r"<Ntry><!-- </Ntry> --><Amt Ccy='ILS'>10.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
              <Sts>BOOK</Sts><BookgDt><Dt>2026-11-10</Dt></BookgDt><?pi </Ntry> ?>
              <NtryDtls><TxDtls><RmtInf><Ustrd><![CDATA[a </Ntry> b]]> &amp; c</Ustrd></RmtInf>
              </TxDtls></NtryDtls></Ntry >
            <Ntry/>
            <Ntry><Amt Ccy='ILS'>5</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>
              <BookgDt><Dt>2026-11-11</Dt></BookgDt></Ntry>",
        );
        let text = decode(xml.as_bytes()).unwrap();
        let split = read_split(&text).expect("read in two passes");
        assert_eq!(split, read_whole(&text).unwrap());
        assert_eq!(split.entries.len(), 2);
        assert_eq!(split.entries[0].memo.as_deref(), Some("a </Ntry> b & c"));
        assert_eq!(split.entries[1].position, 3);
        assert_eq!(split.problems.len(), 1, "the empty entry");
        assert_eq!(split.problems[0].position, 2);
        let prefixed = xml
            .replace("<Ntry", "<c:Ntry")
            .replace("</Ntry", "</c:Ntry")
            .replace("<Document xmlns=", "<Document xmlns:c=\"urn:c\" xmlns=");
        let text = decode(prefixed.as_bytes()).unwrap();
        let again = read_split(&text).expect("prefixed, read in two passes");
        assert_eq!(again, read_whole(&text).unwrap());
        assert_eq!(again.entries.len(), 2);
        assert_eq!(again.entries[0].memo.as_deref(), Some("a </c:Ntry> b & c"));
    }

    /// What the split reader is not sure of goes to the one-pass reader, which says where the
    /// problem is: deep nesting or a DOCTYPE inside an entry, a mismatched or missing end tag.
    #[test]
    fn trouble_inside_an_entry_is_reported_as_before() {
        let deep = v08(&format!(
            "<Ntry>{}{}</Ntry>",
            "<a>".repeat(70),
            "</a>".repeat(70)
        ));
        assert!(read_split(&deep).is_none());
        assert!(read(deep.as_bytes()).unwrap_err().contains("nested"));
        let mismatched = v08("<Ntry><Amt>1</Amt></Ntry></Stmt></Stmt>");
        assert!(read_split(&mismatched).is_none());
        assert!(read(mismatched.as_bytes()).is_err());
        let swapped = v08("<Ntry><Amt>1</Sts></Ntry>");
        assert!(read(swapped.as_bytes()).unwrap_err().contains("line"));
        let open = v08("<Ntry><Amt>1</Amt>");
        let err = read(open.as_bytes()).unwrap_err();
        assert!(err.contains("line"), "{err}");
        let bomb = v08("<Ntry><!DOCTYPE d [<!ENTITY a \"aaaa\">]></Ntry>");
        assert!(read_split(&bomb).is_none());
        assert!(read(bomb.as_bytes()).is_err());
    }

    #[test]
    fn sniff_looks_at_content_only() {
        assert!(sniff(v08("").as_bytes()));
        assert!(!sniff(b"<html><table></table></html>"));
        assert!(!sniff(b"Date,Amount\n2026-11-05,BkToCstmr\n"));
        let utf16: Vec<u8> = b"\xFF\xFE"
            .iter()
            .copied()
            .chain(v08("").encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert!(sniff(&utf16));
        assert_eq!(read(&utf16).unwrap().entries.len(), 0);
    }
}
