//! Reading a document split at its entries, on all threads, a region at a time.
//!
//! A first pass on one thread walks what lies outside the entries (messages, statements,
//! accounts) with quick-xml, and of each entry (`Ntry`) only finds where it ends; the entries
//! of the region are then built and read on all threads, and their results applied in file
//! order, so positions, problems and entries come out exactly as the one-pass reader
//! ([`super::read_whole`]) gives them. Each entry keeps the account, currency and date of the
//! statement it stands in.
//!
//! The document is taken a region at a time, each ending right after an entry's closing tag:
//! a text in memory is cut into regions, and a large file is read from disk a region at a time
//! ([`read_stream`]: the next region is read and hashed while this one is parsed), so the file
//! is never copied whole into fresh memory.
//!
//! Anything this reading is not sure of (a syntax error, a `DOCTYPE`, deep nesting, an unknown
//! entity, a truncated file, no statement, an entry that does not end where the first pass
//! found its end, text that is not UTF-8) gives up with `None`: the one-pass reader then reads
//! the whole document and names the place of its error.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use memchr::memmem;
use quick_xml::events::Event;
use quick_xml::Reader;
use rayon::prelude::*;

use super::entry::{outcomes, start_of, Outcome, Shared};
use super::scan;
use super::tree::Tree;
use super::{resolve, Parser, Statement, MAX_DEPTH};
use crate::ingest::source::fill;

/// How much of a document a region holds, about: it ends after the last entry that ends
/// within this many bytes (more only when none does). Enough entries (about 11,000 of a usual
/// size) to share out among the threads, few enough that a region's bytes and results stay a
/// small part of the memory.
const REGION: usize = 8 << 20;

/// A statement-level entry the first pass found: its bytes (from its `<` to the end of its
/// closing tag), how deep it opens, and what it takes from the statement it stands in.
struct Job {
    start: usize,
    end: usize,
    depth: usize,
    shared: Arc<Shared>,
}

/// Reads a document in memory region by region; see the module's documentation.
pub(super) fn read_split(text: &str) -> Option<Statement> {
    read_split_by(text, REGION)
}

pub(super) fn read_split_by(text: &str, region: usize) -> Option<Statement> {
    let mut split = Split::default();
    let mut results = Applied::default();
    let mut jobs = Vec::new();
    let mut rest = text;
    loop {
        let mut window = region;
        let end = loop {
            if window >= rest.len() {
                break rest.len();
            }
            if let Some(end) = last_entry_end(rest.as_bytes().get(..window)?) {
                break end;
            }
            window = window.saturating_mul(2);
        };
        let last = end == rest.len();
        let text = rest.get(..end)?;
        jobs = split.walk(text, last, jobs)?;
        results.apply(text, &jobs)?;
        if last {
            return split.finish(results.results);
        }
        rest = rest.get(end..)?;
    }
}

/// Reads a CAMT document of `size` bytes (as far as known) from `source` a region at a time;
/// `seen` is given every byte read, in order (the file's hash is worked out from them). Three
/// regions are in hand at a time: while the entries of one are read on the worker threads, the
/// first pass walks the next and the one after is read from `source`.
///
/// `Ok(None)` for a document that is not UTF-8 or anything else this reading is not sure of
/// (see the module's documentation): read the whole file with [`super::read`] then.
///
/// # Errors
///
/// Reading `source` failed.
pub fn read_stream(
    source: &mut (dyn Read + Send),
    size: u64,
    seen: &mut (dyn FnMut(&[u8]) + Send),
) -> std::io::Result<Option<Statement>> {
    read_stream_by(source, size, seen, REGION)
}

pub(super) fn read_stream_by(
    source: &mut (dyn Read + Send),
    size: u64,
    seen: &mut (dyn FnMut(&[u8]) + Send),
    region: usize,
) -> std::io::Result<Option<Statement>> {
    let mut split = Split::default();
    let mut results = Applied::default();
    // The region whose entries are read next: its bytes, where it starts, and its entries.
    let mut walked: (Vec<u8>, usize, Vec<Job>) = (Vec::new(), 0, Vec::new());
    let mut spare_jobs = Vec::new();
    let mut held = Vec::with_capacity(2 * region);
    let mut next = Vec::with_capacity(2 * region);
    let mut eof = fill(source, &mut held, region)?;
    seen(&held);
    // A UTF-8 byte order mark is passed over; any other means the text is not UTF-8.
    let mut start = if held.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    loop {
        let end = if eof {
            held.len()
        } else if let Some(end) = last_entry_end(held.get(start..).unwrap_or_default()) {
            start + end
        } else {
            // No entry ends in what is held yet: hold more.
            let before = held.len();
            eof = fill(source, &mut held, region)?;
            seen(held.get(before..).unwrap_or_default());
            continue;
        };
        next.clear();
        next.extend_from_slice(held.get(end..).unwrap_or_default());
        let last = eof;
        let recycled = std::mem::take(&mut spare_jobs);
        let (read, (jobs, applied)) = rayon::join(
            || -> std::io::Result<bool> {
                if last {
                    return Ok(true);
                }
                let before = next.len();
                let eof = fill(source, &mut next, region)?;
                seen(next.get(before..).unwrap_or_default());
                Ok(eof)
            },
            || {
                rayon::join(
                    || split.walk(utf8(held.get(start..end)?)?, last, recycled),
                    || {
                        let (bytes, from, jobs) = &walked;
                        results.apply(utf8(bytes.get(*from..)?)?, jobs)
                    },
                )
            },
        );
        let (Some(jobs), Some(())) = (jobs, applied) else {
            return Ok(None);
        };
        let entries = &mut results.results.entries;
        if entries.capacity() == 0 && !jobs.is_empty() {
            // Room for the entries of the whole file at this region's rate, with an eighth to
            // spare, made once: growing a list of a million entries step by step copies it
            // into fresh memory each time. Room never used costs no memory.
            let per_byte = jobs.len() as f64 / (end - start).max(1) as f64;
            let expected = (size as f64 * per_byte * 1.125) as usize;
            entries.reserve(expected.min(1 << 26));
        }
        held.truncate(end);
        let done = std::mem::replace(&mut walked, (held, start, jobs));
        if last {
            let (bytes, from, jobs) = &walked;
            let text = utf8(bytes.get(*from..).unwrap_or_default()).unwrap_or_default();
            return Ok(results
                .apply(text, jobs)
                .and_then(|()| split.finish(results.results)));
        }
        eof = read?;
        // The bytes and the list of entries of the region just read serve again.
        held = std::mem::replace(&mut next, done.0);
        spare_jobs = done.2;
        start = 0;
    }
}

/// The bytes as text, when they are UTF-8.
fn utf8(bytes: &[u8]) -> Option<&str> {
    simdutf8::basic::from_utf8(bytes).ok()
}

/// The entries' results so far, and room kept from one region to the next.
#[derive(Default)]
struct Applied {
    /// Only the position, entries and problems are used.
    results: Parser<'static>,
    /// What each chunk of a region's entries gave. Kept from one region to the next, so a
    /// region's results reuse the memory of the last one's: memory given back and asked for
    /// again for each of a hundred regions is cleared by the system each time.
    chunks: Vec<Vec<Outcome>>,
}

/// Entries read one after another on a worker thread.
const CHUNK: usize = 256;

impl Applied {
    /// Reads the entries of a region on the worker threads and applies what they gave, in
    /// file order. `None` when the reading of an entry gave up.
    fn apply(&mut self, text: &str, jobs: &[Job]) -> Option<()> {
        let count = jobs.len().div_ceil(CHUNK);
        if self.chunks.len() < count {
            self.chunks.resize_with(count, Vec::new);
        }
        let chunks = self.chunks.get_mut(..count)?;
        let read = chunks
            .par_iter_mut()
            .zip(jobs.par_chunks(CHUNK))
            .map_init(
                || (Tree::default(), Vec::new()),
                |(tree, stack), (out, jobs)| {
                    out.clear();
                    for job in jobs {
                        let bytes = text.get(job.start..job.end)?;
                        tree.clear();
                        if scan::tree(tree, stack, bytes, job.depth).is_none() {
                            tree.clear();
                            entry_tree(tree, bytes, job.depth)?;
                        }
                        outcomes(tree.root()?, &job.shared, out);
                    }
                    Some(())
                },
            )
            .all(|read| read.is_some());
        if !read {
            return None;
        }
        for chunk in chunks {
            for outcome in chunk.drain(..) {
                self.results.apply(outcome);
            }
        }
        Some(())
    }
}

/// The end of the last closing tag of an entry (`</Ntry>`, any prefix) in `bytes`, where a
/// region may end. A region that ends elsewhere (the tag was inside a comment) makes the
/// reading give up, never read wrongly.
fn last_entry_end(bytes: &[u8]) -> Option<usize> {
    let finder = memmem::FinderRev::new(b"Ntry>");
    let mut end = bytes.len();
    loop {
        let at = finder.rfind(bytes.get(..end)?)?;
        let before = bytes.get(..at)?;
        let name = before
            .iter()
            .rposition(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.')))
            .map_or(0, |p| p + 1);
        let prefix = before.get(name..)?;
        if before.get(..name)?.ends_with(b"</") && (prefix.is_empty() || prefix.ends_with(b":")) {
            return Some(at + b"Ntry>".len());
        }
        end = at;
    }
}

/// The first pass's state between regions.
#[derive(Default)]
struct Split {
    /// Between regions no element is being built, so nothing borrows a region. Entries and
    /// problems are not applied here but to the results.
    parser: Parser<'static>,
    /// The qualified names of the open elements: readers start afresh after each entry,
    /// so the end tags are checked here rather than by quick-xml.
    open: Vec<String>,
    /// What the entries of the statement being read take from it.
    shared: Option<Arc<Shared>>,
    /// Finds `</` and the entries' qualified name (`</Ntry`, `</c:Ntry`).
    closing: Option<memmem::Finder<'static>>,
}

impl Split {
    /// Walks one region and finds its entries, into `jobs` (emptied first): `text` starts where
    /// the last one ended and ends right after an entry's closing tag, or is the rest of the
    /// document (`last`).
    fn walk(&mut self, text: &str, last: bool, mut jobs: Vec<Job>) -> Option<Vec<Job>> {
        let mut parser = std::mem::take(&mut self.parser).rebind()?;
        jobs.clear();
        let bytes = text.as_bytes();
        // Without comments, CDATA sections and processing instructions every `</` starts a
        // closing tag, and an entry ends at the first closing tag of its own name.
        let plain = memmem::find(bytes, b"<!").is_none() && memmem::find(bytes, b"<?").is_none();
        let mut base = 0;
        let mut reader = outside(text);
        loop {
            let before = base + usize::try_from(reader.buffer_position()).ok()?;
            let event = reader.read_event().ok()?;
            let after = base + usize::try_from(reader.buffer_position()).ok()?;
            let empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(start) | Event::Empty(start) if parser.entry_opens(&start) => {
                    if parser.path.len() >= MAX_DEPTH || bytes.get(before) != Some(&b'<') {
                        return None;
                    }
                    let statement = parser.statement.as_ref()?;
                    let same = self.shared.as_ref().is_some_and(|s| {
                        s.account.as_deref() == statement.account.as_deref()
                            && s.currency == statement.currency
                            && s.created == statement.created
                    });
                    if !same {
                        self.shared = Some(Arc::new(Shared {
                            account: statement.account.as_deref().map(Arc::from),
                            currency: statement.currency.clone(),
                            created: statement.created,
                        }));
                    }
                    let shared = Arc::clone(self.shared.as_ref()?);
                    let depth = parser.path.len();
                    let mut entry = (before, after, empty);
                    // Entries that follow one another, apart only by white space, are found
                    // without a reader: nothing outside them changes between them.
                    loop {
                        let (start, after, empty) = entry;
                        let end = if empty {
                            after
                        } else if plain {
                            self.closing_end(text, after, start)?
                        } else {
                            entry_end(text, after)?
                        };
                        jobs.push(Job {
                            start,
                            end,
                            depth,
                            shared: Arc::clone(&shared),
                        });
                        base = end;
                        match self.next_entry(text, end) {
                            Some(found) if plain => entry = found,
                            _ => break,
                        }
                    }
                    reader = outside(text.get(base..)?);
                }
                Event::Start(start) => {
                    parser.open(&start, text).ok()?;
                    self.open.push(start.name().as_ref().to_string());
                }
                Event::Empty(start) => {
                    parser.open(&start, text).ok()?;
                    parser.close();
                }
                Event::End(end) => {
                    if self.open.pop().as_deref() != Some(end.name().as_ref()) {
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
        // A region that is not the last ends where an entry ends, as the first pass saw it.
        if !last && base != text.len() {
            return None;
        }
        self.parser = parser.rebind()?;
        Some(jobs)
    }

    /// The reading, once the last region is walked and its entries applied to `results`.
    fn finish(self, results: Parser<'_>) -> Option<Statement> {
        if self.parser.path.last().is_some() || !self.open.is_empty() {
            return None;
        }
        let mut parser = self.parser;
        parser.position = results.position;
        parser.entries = results.entries;
        parser.problems = results.problems;
        parser.finish().ok()
    }

    /// The entry whose start tag begins right after white space at `from`, written `<Ntry>` with
    /// the name of the last entry: where its `<` is and its start tag ends.
    fn next_entry(&self, text: &str, from: usize) -> Option<(usize, usize, bool)> {
        let bytes = text.as_bytes();
        let lt = skip_space(bytes, from);
        let name = self.closing.as_ref()?.needle().get(2..)?;
        let rest = bytes.get(lt..)?.strip_prefix(b"<")?.strip_prefix(name)?;
        rest.starts_with(b">")
            .then_some((lt, lt + 1 + name.len() + 1, false))
    }

    /// Where the entry whose start tag begins at `start` and ends at `from` ends, in a region
    /// without comments, CDATA sections or processing instructions: the byte after its
    /// closing tag.
    fn closing_end(&mut self, text: &str, from: usize, start: usize) -> Option<usize> {
        let bytes = text.as_bytes();
        let name = bytes.get(start + 1..)?;
        let name = name.get(
            ..name
                .iter()
                .position(|&b| b == b'>' || b == b'/' || b.is_ascii_whitespace())?,
        )?;
        let same = self
            .closing
            .as_ref()
            .is_some_and(|f| f.needle().get(2..) == Some(name));
        if !same {
            let needle = [b"</".as_slice(), name].concat();
            self.closing = Some(memmem::Finder::new(&needle).into_owned());
        }
        let finder = self.closing.as_ref()?;
        let mut at = from;
        loop {
            let found = at + finder.find(bytes.get(at..)?)?;
            let after = found + finder.needle().len();
            match bytes.get(after)? {
                b'>' => return Some(after + 1),
                b if b.is_ascii_whitespace() => {
                    let close = bytes.get(after..)?.iter().position(|&b| b == b'>')?;
                    return Some(after + close + 1);
                }
                // A longer name (`</NtryDtls`).
                _ => at = after,
            }
        }
    }
}

/// `from` moved past the ASCII white space there.
fn skip_space(bytes: &[u8], from: usize) -> usize {
    from + bytes.get(from..).map_or(0, |rest| {
        rest.iter().take_while(|b| b.is_ascii_whitespace()).count()
    })
}

/// A reader for the document from some point on: end tags are checked by [`Split::region`].
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
/// `DOCTYPE` or other declaration, and for a text that ends first.
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
            let end = memmem::find(body, close)?;
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

/// Fills `tree` with one entry, read from its own bytes as the one-pass reader would build
/// it. `None` when the bytes are not exactly one well-formed element within the depth limit.
fn entry_tree<'a>(tree: &mut Tree<'a>, text: &'a str, depth: usize) -> Option<()> {
    let mut reader = Reader::from_str(text);
    let mut open: Vec<u32> = Vec::new();
    let mut done = false;
    loop {
        let event = reader.read_event().ok()?;
        let (opened, closed) = match &event {
            Event::Start(start) => (Some(start), false),
            Event::Empty(start) => (Some(start), true),
            Event::End(_) => (None, true),
            Event::Text(t) => {
                let at = *open.last()?;
                // The indentation between elements, which `append` would not keep: passed over
                // without normalising its line ends.
                if tree.has_text(at) || !t.bytes().all(|b| b.is_ascii_whitespace()) {
                    tree.append(at, t.xml10_content());
                }
                (None, false)
            }
            Event::CData(t) => {
                tree.append(*open.last()?, t.xml10_content());
                (None, false)
            }
            Event::GeneralRef(r) => {
                tree.append(*open.last()?, Cow::Owned(resolve(r).ok()?));
                (None, false)
            }
            Event::DocType(_) => return None,
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => (None, false),
        };
        if let Some(start) = opened {
            if done || depth + open.len() >= MAX_DEPTH {
                return None;
            }
            let (name, ccy) = start_of(start, text);
            let at = tree.open(open.last().copied(), name, ccy);
            open.push(at);
        }
        if closed {
            open.pop()?;
            done = open.is_empty();
        }
    }
    (done && open.is_empty()).then_some(())
}
