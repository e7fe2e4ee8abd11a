//! Reading one input file into raw tables: every sheet of a workbook, or the one table of a
//! delimited text file.
//!
//! The format is decided by the file's content, never by its extension alone: a zip archive is
//! an xlsx/xlsm, xlsb or ods workbook according to its entries, an OLE compound file is an xls
//! workbook (or a password-protected OOXML package), and anything else must be text. The file is
//! read from disk once (a CAMT statement or a large CSV file a region at a time, and again whole
//! when that reading is not sure of it); its SHA-256 is computed from the same bytes. A bank
//! statement (CAMT, OFX) is told by its markup before other markup is refused, and its reader's
//! payments table goes to [`SourceFile::generated`].
//!
//! Invariants a caller can rely on:
//! - A row number shown to the user is `RawTable::row_number(index)`: for spreadsheets the row
//!   number Excel shows (leading empty rows and columns are trimmed, `first_row` says where the
//!   data starts), for text files the line number a text editor shows (a quoted field spanning
//!   several lines makes the following records start further down; the lines in between are
//!   empty rows).
//! - Rows are ragged and never end in an empty cell, so a stray cell far below the data costs
//!   a few bytes per empty row, not a dense grid. A stray cell far to the right is kept (it is
//!   data the user may need to see); only a sheet whose cells are so scattered that the padding
//!   would dwarf the data is refused with [`SourceError::SheetTooSparse`], naming one such cell.
//! - Hostile input never panics the caller and never allocates without bound: zip archives are
//!   checked against [`MAX_UNPACKED_BYTES`] and [`MAX_COMPRESSION_RATIO`] before any entry is
//!   inflated, and a panic inside calamine becomes [`SourceError::ReaderCrashed`].
//!
//! xls and ods workbooks have no streaming reader in calamine; their sheets are materialised
//! densely by calamine before we see them. An ods file's `content.xml` is therefore pre-scanned
//! for the extent of each sheet and refused by the same padding rule. An xls file's compound
//! container, each sheet's size record (DIMENSIONS) and its cells' columns are checked against
//! the format before calamine reads them (`check_xls`). Known limit: an xls sheet is not held to
//! the padding rule before calamine builds it; it is bounded by the format (65,536 × 256 cells,
//! about 0.5 GB dense).

use std::borrow::Cow;
use std::cell::Cell as StdCell;
use std::io::Cursor;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::sync::{Arc, Once};

use calamine::{Data, DataRef, Ods, Reader, SheetType, Xls, Xlsb, Xlsx};
use chrono::NaiveDate;
use encoding_rs::{Encoding, UTF_8, WINDOWS_1252, WINDOWS_1255};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::statement::{self, Generated};
use super::table::{Cell, RawTable};
use super::{camt, html, mt940, ofx, unified};

/// Refuse a zip archive whose entries declare more than this many bytes in total once unpacked.
pub const MAX_UNPACKED_BYTES: u64 = 1 << 30;
/// Refuse a zip entry that unpacks to more than this many times its packed size ...
pub const MAX_COMPRESSION_RATIO: u64 = 100;
/// ... when it is at least this large unpacked (small XML parts compress well legitimately).
pub const RATIO_CHECK_MIN_BYTES: u64 = 8 << 20;
/// Empty cells a sheet may need as padding between its cells before the padding must also stay
/// within [`MAX_PADDING_PER_CELL`] times the number of real cells.
pub const PADDING_ALLOWANCE: usize = 1 << 20;
/// See [`PADDING_ALLOWANCE`].
pub const MAX_PADDING_PER_CELL: usize = 4;
/// Excel's last row and column (1-based); a cell beyond them means a corrupt file.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;
/// How much of a text file the delimiter and encoding detection look at.
const SAMPLE_BYTES: usize = 64 * 1024;
/// How many records of the sample the delimiter detection compares.
const SAMPLE_RECORDS: usize = 50;

/// The extensions of the workbooks arrears reads. A file's format is decided by its content;
/// the name only says which files to look at and which to start reading first.
pub const SPREADSHEET_EXTENSIONS: [&str; 5] = ["xlsx", "xlsm", "xlsb", "xls", "ods"];
/// The extensions of the delimited text files arrears looks for in a folder.
pub const TEXT_EXTENSIONS: [&str; 3] = ["csv", "tsv", "txt"];

/// Whether `path`'s extension is one of `extensions`, in any case.
#[must_use]
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| {
            extensions
                .iter()
                .any(|known| extension.eq_ignore_ascii_case(known))
        })
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY_MAGIC: &[u8] = b"PK\x05\x06";
const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// One input file as read: its tables, its fingerprint, and how a text file was decoded.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// One table per worksheet (chart and macro sheets are skipped), or the one table of a text
    /// file. A workbook sheet with no cells is still listed, with no rows.
    pub tables: Vec<RawTable>,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    /// For text files, the encoding and delimiter used (`windows-1255, ';'-separated`); `None`
    /// for workbooks.
    pub text_format: Option<String>,
    /// The tables a reader of a structured format (a bank statement, the unified file) made,
    /// each for one kind of input with its header already known. Such a file has no `tables`.
    pub generated: Vec<Generated>,
}

/// Why a file could not be read. Every message names the file and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or read from disk.
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file has 0 bytes.
    #[error("{file} is empty (0 bytes): export it again from the source system")]
    Empty { file: String },
    /// The workbook is encrypted with a password.
    #[error(
        "{file} is password-protected: save an unprotected copy from Excel \
         (File > Info > Protect Workbook > Encrypt with Password, clear the password) and run again"
    )]
    PasswordProtected { file: String },
    /// A zip archive that would unpack to an unreasonable size (a "zip bomb" or a damaged file).
    #[error(
        "{file} would unpack to {detail}, which is more than arrears reads: \
         if it is a genuine workbook, split it or save it as CSV"
    )]
    TooLarge { file: String, detail: String },
    /// A workbook whose structure is damaged (truncated download, bad zip, bad XML ...).
    #[error(
        "{file} looks like an {format} workbook but cannot be read ({detail}): \
         open it in Excel or LibreOffice, save a new copy and run again"
    )]
    Corrupt {
        file: String,
        format: &'static str,
        detail: String,
    },
    /// The spreadsheet library crashed on the file; treated as a damaged file.
    #[error(
        "{file} could not be read: the {format} reader failed on it ({detail}); \
         open it in Excel or LibreOffice, save it as .xlsx and run again"
    )]
    ReaderCrashed {
        file: String,
        format: &'static str,
        detail: String,
    },
    /// A sheet whose cells are scattered so far apart that the grid would be mostly padding.
    #[error(
        "{file}, sheet '{sheet}': cells are scattered far outside the data (for example {cell}); \
         delete the stray cells (Ctrl+End in Excel shows the last used cell), save and run again"
    )]
    SheetTooSparse {
        file: String,
        sheet: String,
        cell: String,
    },
    /// A zip archive that is not a workbook (a .docx, a folder of exports ...).
    #[error(
        "{file} is a zip archive but not an Excel or OpenDocument workbook: \
         unpack it and give arrears the workbook or CSV files inside"
    )]
    NotAWorkbook { file: String },
    /// An XML document (Excel 2003's XML spreadsheet and others) under a spreadsheet name;
    /// HTML pages are read as tables.
    #[error(
        "{file} is an {what} document, not a real spreadsheet: open it in Excel, \
         save it as .xlsx (File > Save As) and run again"
    )]
    Markup { file: String, what: &'static str },
    /// A text file with lines in UTF-8 and lines in another encoding.
    #[error(
        "{file} mixes text encodings: line {utf8_line} is UTF-8 but line {other_line} is not \
         (probably Windows-1255 or Windows-1252); save the whole file again in one encoding \
         (CSV UTF-8), or set `encoding = \"...\"` under [inputs] in arrears.toml"
    )]
    MixedEncoding {
        file: String,
        utf8_line: usize,
        other_line: usize,
    },
    /// A bank statement or an HTML table export that cannot be read as a whole.
    #[error(
        "{file} looks like {format} but cannot be read: {detail}; download or export it again, \
         or give arrears the same data as CSV"
    )]
    Unreadable {
        file: String,
        format: &'static str,
        detail: String,
    },
    /// The summary file of the unified file given instead of the file it summarises.
    #[error(
        "{file} is the INI.TXT of an Israeli unified file (מבנה אחיד), which holds no documents: \
         give the BKMVDATA.TXT beside it instead (arrears reads this INI.TXT with it)"
    )]
    UnifiedIni { file: String },
    /// The reading was given up because another input already failed; the run reports that
    /// input's error, never this one.
    #[error("{file}: reading stopped because another input could not be read")]
    Stopped { file: String },
    /// Binary content that is neither a workbook nor text.
    #[error(
        "{file} is not a text or spreadsheet file (it contains binary data): \
         export the data again as .xlsx or .csv; if it is UTF-16 text without a byte-order mark, \
         set `encoding = \"utf-16le\"` under [inputs] in arrears.toml"
    )]
    NotText { file: String },
}

/// Reads one file into raw tables.
///
/// `display` is the name used in messages and as [`RawTable::file`]. `encoding` forces the
/// decoding of a text file (ignored for workbooks); `None` detects it.
///
/// # Errors
///
/// Any [`SourceError`]: the file cannot be read, is empty, damaged, encrypted, hostile or not a
/// spreadsheet or text file.
pub fn read_file(
    path: &Path,
    display: &str,
    encoding: Option<&'static Encoding>,
) -> Result<SourceFile, SourceError> {
    read_file_until(path, display, encoding, &|| false)
}

/// Asked every few thousand cells while a workbook's sheets are read: `true` gives the reading
/// up with [`SourceError::Stopped`] (another input failed, so this one is not needed).
pub type Stop<'a> = &'a (dyn Fn() -> bool + Sync);

/// How many cells a workbook reader reads between two questions to its [`Stop`].
const CELLS_BETWEEN_STOPS: u32 = 4096;

/// [`read_file`], given up when `stop` says so.
///
/// # Errors
///
/// As [`read_file`], and [`SourceError::Stopped`].
pub fn read_file_until(
    path: &Path,
    display: &str,
    encoding: Option<&'static Encoding>,
    stop: Stop<'_>,
) -> Result<SourceFile, SourceError> {
    if let Some(read) = read_streamed(path, display, encoding, stop)? {
        return Ok(read);
    }
    let bytes = read_whole(path).map_err(|source| SourceError::Io {
        file: display.to_string(),
        source,
    })?;
    // The unified file's INI.TXT, beside it, says how its text is written.
    let ini = if unified::is_unified(&bytes) {
        unified::find_ini(path)
    } else {
        unified::Ini::Missing
    };
    read_source(&bytes, display, encoding, &ini, stop)
}

/// A CAMT statement or a large delimited text file, read from disk a region at a time while
/// it is parsed, so the file is never copied whole into memory (a million entries are about
/// 700 MB of XML, a million rows of CSV about 250 MB). `None` for any other file, and for a
/// file the region reader is not sure of: the whole file is then read as any other, and an
/// error is named there.
fn read_streamed(
    path: &Path,
    display: &str,
    encoding: Option<&'static Encoding>,
    stop: Stop<'_>,
) -> Result<Option<SourceFile>, SourceError> {
    use std::io::{Read, Seek};
    let io = |source| SourceError::Io {
        file: display.to_string(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    let mut head = Vec::new();
    (&mut file)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let camt = match detect(&head, display) {
        Ok(Format::Camt) if camt::sniff(&head) => true,
        Ok(Format::Text) if encoding.is_none() && size >= regions::STREAM_FROM => false,
        _ => return Ok(None),
    };
    file.rewind().map_err(io)?;
    let mut hasher = Sha256::new();
    let mut seen = |bytes: &[u8]| hasher.update(bytes);
    let (tables, text_format, generated) = if camt {
        let mut source = Stoppable { file, stop };
        let read = guarded(display, "CAMT", || {
            camt::read_stream(&mut source, size, &mut seen).map_err(|e| {
                if stop() {
                    SourceError::Stopped {
                        file: display.to_string(),
                    }
                } else {
                    io(e)
                }
            })
        })?;
        let Some(statement) = read else {
            return Ok(None);
        };
        let table = statement::payments_table(statement, &Arc::from(display));
        (Vec::new(), None, vec![table])
    } else {
        let read = guarded(display, "CSV", || {
            regions::read_text_stream(&mut file, size, &Arc::from(display), &mut seen, stop)
        })?;
        let Some((table, format)) = read else {
            return Ok(None);
        };
        (vec![table], Some(format), Vec::new())
    };
    Ok(Some(SourceFile {
        tables,
        sha256: hex(&hasher.finalize()),
        text_format,
        generated,
    }))
}

/// A file whose reading fails once `stop` says so (asked before each read from disk).
struct Stoppable<'a> {
    file: std::fs::File,
    stop: Stop<'a>,
}

impl std::io::Read for Stoppable<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if (self.stop)() {
            return Err(std::io::Error::other("another input could not be read"));
        }
        self.file.read(buf)
    }
}

/// The file's bytes. A large file is read in parts on all threads: copying a hundred
/// megabytes into fresh memory is mostly the kernel's page faults, about half a second on
/// one thread.
fn read_whole(path: &Path) -> std::io::Result<Vec<u8>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        const PART: usize = 8 << 20;
        let file = std::fs::File::open(path)?;
        let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
        if len >= 2 * PART && len < isize::MAX as usize {
            let mut bytes = vec![0u8; len];
            let read: std::io::Result<()> = bytes
                .par_chunks_mut(PART)
                .enumerate()
                .try_for_each(|(i, part)| file.read_exact_at(part, (i * PART) as u64));
            // A file that changed while it was read is read again in one go.
            if read.is_ok() && file.metadata()?.len() == len as u64 {
                return Ok(bytes);
            }
        }
    }
    std::fs::read(path)
}

/// [`read_file`] for bytes already in memory.
///
/// # Errors
///
/// As [`read_file`], except [`SourceError::Io`].
pub fn read_bytes(
    bytes: &[u8],
    display: &str,
    encoding: Option<&'static Encoding>,
) -> Result<SourceFile, SourceError> {
    read_source(bytes, display, encoding, &unified::Ini::Missing, &|| false)
}

/// [`read_bytes`], with the `INI.TXT` found beside a unified file.
fn read_source(
    bytes: &[u8],
    display: &str,
    encoding: Option<&'static Encoding>,
    ini: &unified::Ini,
    stop: Stop<'_>,
) -> Result<SourceFile, SourceError> {
    if bytes.is_empty() {
        return Err(SourceError::Empty {
            file: display.to_string(),
        });
    }
    let hash = || hex(&Sha256::digest(bytes));
    let read = || read_tables(bytes, display, encoding, ini, stop);
    // Inside the thread pool the file's hash is worked out beside the reading. Outside it (a
    // workbook read on a thread of its own) both stay on the calling thread: a join would move
    // the reading into the pool, where it would hold a worker for the whole sheet.
    let (sha256, read) = if rayon::current_thread_index().is_some() {
        rayon::join(hash, read)
    } else {
        (hash(), read())
    };
    let (tables, text_format, generated) = read?;
    Ok(SourceFile {
        tables,
        sha256,
        text_format,
        generated,
    })
}

/// What one reading of a file yields: its raw tables, how a text file was decoded, and the
/// tables a structured format's reader made.
type Read = (Vec<RawTable>, Option<String>, Vec<Generated>);

/// The tables of a file and, for a text file, its encoding and delimiter.
fn read_tables(
    bytes: &[u8],
    display: &str,
    encoding: Option<&'static Encoding>,
    ini: &unified::Ini,
    stop: Stop<'_>,
) -> Result<Read, SourceError> {
    let file: Arc<str> = Arc::from(display);
    let format = guarded(display, "zip", || detect(bytes, display))?;
    let mut generated = Vec::new();
    let unreadable = |format, detail| SourceError::Unreadable {
        file: display.to_string(),
        format,
        detail,
    };
    let (tables, text_format) = match format {
        Format::Xlsx => (
            guarded(display, "Excel (xlsx)", || read_xlsx(bytes, &file, stop))?,
            None,
        ),
        Format::Xlsb => (
            guarded(display, "Excel (xlsb)", || read_xlsb(bytes, &file, stop))?,
            None,
        ),
        Format::Ods => (
            guarded(display, "OpenDocument (ods)", || {
                read_ods(bytes, &file, stop)
            })?,
            None,
        ),
        Format::Xls => (
            guarded(display, "Excel 97-2003 (xls)", || {
                read_xls(bytes, &file, stop)
            })?,
            None,
        ),
        Format::Text => {
            let (table, format) = read_text(bytes, file, encoding)?;
            (vec![table], Some(format))
        }
        Format::Html => guarded(display, "HTML", || {
            html::read_with_format(bytes, &file).map_err(|e| unreadable("an HTML table", e))
        })
        .map(|(tables, format)| (tables, Some(format)))?,
        Format::Mt940 => {
            let read = guarded(display, "MT940", || {
                mt940::read(bytes).map_err(|e| unreadable("an MT940 bank statement", e))
            })?;
            generated.push(statement::payments_table(read, &file));
            (Vec::new(), None)
        }
        Format::Camt | Format::Ofx => {
            let (read, what) = if format == Format::Camt {
                (camt::read(bytes), "a CAMT (ISO 20022) bank statement")
            } else {
                (ofx::read(bytes), "an OFX bank statement")
            };
            generated.push(statement::payments_table(
                read.map_err(|e| unreadable(what, e))?,
                &file,
            ));
            (Vec::new(), None)
        }
        Format::Unified => {
            generated = guarded(display, "unified file", || {
                Ok(unified::read(bytes, ini, &file))
            })?;
            (Vec::new(), None)
        }
    };
    Ok((tables, text_format, generated))
}

/// Lower-case hex of a digest.
#[must_use]
pub fn hex(digest: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Format detection

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Xlsx,
    Xlsb,
    Ods,
    Xls,
    /// The Israeli unified file's `BKMVDATA.TXT`.
    Unified,
    Camt,
    Ofx,
    Text,
    Html,
    Mt940,
}

fn detect(bytes: &[u8], file: &str) -> Result<Format, SourceError> {
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(ZIP_EMPTY_MAGIC) {
        return inspect_zip(bytes, file);
    }
    if bytes.starts_with(CFB_MAGIC) {
        // An encrypted xlsx is an OLE container holding an `EncryptedPackage` stream; directory
        // entry names are UTF-16LE.
        let marker: Vec<u8> = "EncryptedPackage"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        if bytes.windows(marker.len()).any(|w| w == marker.as_slice()) {
            return Err(SourceError::PasswordProtected {
                file: file.to_string(),
            });
        }
        return Ok(Format::Xls);
    }
    if unified::is_unified(bytes) {
        return Ok(Format::Unified);
    }
    if camt::sniff(bytes) {
        return Ok(Format::Camt);
    }
    if ofx::sniff(bytes) {
        return Ok(Format::Ofx);
    }
    if unified::is_ini(bytes) {
        return Err(SourceError::UnifiedIni {
            file: file.to_string(),
        });
    }
    if mt940::looks_like(bytes) {
        return Ok(Format::Mt940);
    }
    match markup_kind(bytes) {
        Some("HTML") => Ok(Format::Html),
        Some(what) => Err(SourceError::Markup {
            file: file.to_string(),
            what,
        }),
        None => Ok(Format::Text),
    }
}

/// Markup saved under a spreadsheet name: an HTML page of tables (a common bank and card export
/// that Excel opens) is read as tables; XML (Excel 2003's XML spreadsheet and others) would read
/// as nonsense, so it is refused with advice. An XHTML page starts like XML and is HTML.
fn markup_kind(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    if head[start] != b'<' {
        return None;
    }
    let lower = head[start..].to_ascii_lowercase();
    // A tag of that name (`<html>`, `<table border=1>`), not a longer one (`<html:Font>`).
    let has_tag = |name: &[u8]| {
        lower.windows(name.len() + 1).any(|w| {
            w.starts_with(name)
                && matches!(w[name.len()], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
        })
    };
    if has_tag(b"<html") || has_tag(b"<!doctype html") {
        Some("HTML")
    } else if has_tag(b"<?xml") {
        Some("XML")
    } else if has_tag(b"<table") || has_tag(b"<body") || has_tag(b"<head") {
        Some("HTML")
    } else {
        None
    }
}

/// Checks the archive's declared sizes before anything inflates it, then tells the workbook
/// kind from its entries.
fn inspect_zip(bytes: &[u8], file: &str) -> Result<Format, SourceError> {
    let corrupt = |detail: String| SourceError::Corrupt {
        file: file.to_string(),
        format: "Excel or OpenDocument",
        detail,
    };
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| corrupt(format!("damaged zip archive: {e}")))?;
    let mut total: u64 = 0;
    let mut format = None;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| corrupt(format!("damaged zip entry: {e}")))?;
        let name = entry.name().map(Cow::into_owned).unwrap_or_default();
        let size = entry.size();
        let packed = entry.compressed_size().max(1);
        total = total.saturating_add(size);
        if total > MAX_UNPACKED_BYTES {
            return Err(SourceError::TooLarge {
                file: file.to_string(),
                detail: format!("more than {} MiB", MAX_UNPACKED_BYTES >> 20),
            });
        }
        if size >= RATIO_CHECK_MIN_BYTES && size / packed > MAX_COMPRESSION_RATIO {
            return Err(SourceError::TooLarge {
                file: file.to_string(),
                detail: format!(
                    "{} MiB from a {} KiB part '{}' (compressed {}:1)",
                    size >> 20,
                    packed >> 10,
                    name,
                    size / packed
                ),
            });
        }
        match name.as_str() {
            "xl/workbook.bin" => format = Some(Format::Xlsb),
            "xl/workbook.xml" => format = Some(Format::Xlsx),
            "content.xml" if format.is_none() => format = Some(Format::Ods),
            _ => {}
        }
    }
    format.ok_or_else(|| SourceError::NotAWorkbook {
        file: file.to_string(),
    })
}

mod regions;
mod text;
mod workbook;

pub(in crate::ingest) use regions::fill;

pub(super) use text::decode_text;
use text::*;
use workbook::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(table: &RawTable) -> Vec<Vec<String>> {
        table
            .rows
            .iter()
            .map(|r| r.iter().map(Cell::display).collect())
            .collect()
    }

    #[test]
    fn delimiter_detection_prefers_consistent_splits() {
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n4,5,6\n"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1;\"1,234.56\";3\n4;5,5;6\n"), b';');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter("a|b|c\n1|2,5|3\n"), b'|');
        // A title line above the header does not confuse it.
        assert_eq!(
            detect_delimiter("Report for March\n\nNo;Client;Amount\n1;A;1,5\n2;B;2,5\n"),
            b';'
        );
        assert_eq!(detect_delimiter("one column\nonly\n"), b',');
    }

    #[test]
    fn quoted_delimiters_do_not_count() {
        let text = "\"a,x\";\"b,y\";c\n\"1,0\";\"2,0\";3\n";
        assert_eq!(detect_delimiter(text), b';');
    }

    #[test]
    fn encodings_are_detected() {
        let (text, label) = decode("שלום,a\n".as_bytes(), "f", None).unwrap();
        assert_eq!((text.as_ref(), label.as_str()), ("שלום,a\n", "UTF-8"));

        let (bytes, _, _) = WINDOWS_1255.encode("מספר חשבונית,סכום\n1,לקוח א\n");
        let (text, label) = decode(&bytes, "f", None).unwrap();
        assert_eq!(label, "windows-1255");
        assert!(text.contains("מספר חשבונית"));

        let (bytes, _, _) = WINDOWS_1252.encode("Café,Müller,Åsa Ñoño\n");
        let (text, label) = decode(&bytes, "f", None).unwrap();
        assert_eq!(label, "windows-1252");
        assert!(text.contains("Müller"));

        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("א,b\n".encode_utf16().flat_map(u16::to_le_bytes));
        let (text, label) = decode(&utf16, "f", None).unwrap();
        assert_eq!(
            (text.as_ref(), label.as_str()),
            ("א,b\n", "UTF-16LE with BOM")
        );

        let mut utf16be = vec![0xFE, 0xFF];
        utf16be.extend("x;y\n".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&utf16be, "f", None).unwrap().0, "x;y\n");

        let (text, label) = decode(b"\xEF\xBB\xBFa,b\n", "f", None).unwrap();
        assert_eq!((text.as_ref(), label.as_str()), ("a,b\n", "UTF-8 with BOM"));
    }

    #[test]
    fn forced_encoding_wins() {
        let (bytes, _, _) = WINDOWS_1252.encode("Café,x\n");
        let (text, label) = decode(&bytes, "f", Some(WINDOWS_1255)).unwrap();
        assert!(label.starts_with("windows-1255"));
        assert!(!text.contains("Café"));
    }

    #[test]
    fn mixed_encodings_are_refused() {
        let mut bytes = "No,Name\n1,לקוח א\n".as_bytes().to_vec();
        let (hebrew, _, _) = WINDOWS_1255.encode("2,לקוח ב\n");
        bytes.extend_from_slice(&hebrew);
        let err = read_bytes(&bytes, "mixed.csv", None).unwrap_err();
        assert!(
            matches!(
                err,
                SourceError::MixedEncoding {
                    utf8_line: 2,
                    other_line: 3,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err
            .to_string()
            .starts_with("mixed.csv mixes text encodings"));
        // The config's encoding decides instead.
        assert!(read_bytes(&bytes, "mixed.csv", Some(WINDOWS_1255)).is_ok());
    }

    #[test]
    fn looping_xls_sector_chains_are_refused() {
        // A minimal compound file: 512-byte sectors, one FAT sector (sector 0) whose entry 1
        // points back to itself; the directory chain starts at sector 1.
        let mut bytes = CFB_MAGIC.to_vec();
        bytes.resize(512 * 3, 0);
        bytes[26] = 3; // version
        bytes[30] = 9; // sector shift: 512
        bytes[32] = 6; // mini sector shift
        bytes[44] = 1; // one FAT sector
        bytes[48] = 1; // directory starts at sector 1
        bytes[68..72].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes()); // no DIFAT sectors
        bytes[76..80].copy_from_slice(&0u32.to_le_bytes()); // the FAT is sector 0
        for k in 1..109 {
            bytes[76 + 4 * k..80 + 4 * k].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        }
        let fat = 512; // sector 0
        bytes[fat..fat + 4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
        bytes[fat + 4..fat + 8].copy_from_slice(&1u32.to_le_bytes()); // 1 -> 1
        assert!(check_xls(&bytes).unwrap_err().contains("loops"));
        let err = read_bytes(&bytes, "loop.xls", None).unwrap_err();
        assert!(matches!(err, SourceError::Corrupt { .. }), "{err}");
        // Ending the chain makes the same file pass the check.
        bytes[fat + 4..fat + 8].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        assert!(check_xls(&bytes).is_ok());
    }

    #[test]
    fn binary_is_not_text() {
        let err = read_bytes(b"\x01\x02\x03\x00garbage", "x.csv", None).unwrap_err();
        assert!(matches!(err, SourceError::NotText { .. }));
        assert!(err
            .to_string()
            .starts_with("x.csv is not a text or spreadsheet file"));
    }

    #[test]
    fn empty_file_is_reported() {
        let err = read_bytes(b"", "bank.csv", None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "bank.csv is empty (0 bytes): export it again from the source system"
        );
    }

    #[test]
    fn line_numbers_follow_the_editor() {
        let text = "a,b\n\n1,\"two\nlines\"\n3,x\n";
        let file = read_bytes(text.as_bytes(), "t.csv", None).unwrap();
        let table = &file.tables[0];
        assert_eq!(table.first_row, 1);
        // Line 2 is blank, the record on line 3 spans lines 3-4, the next record is line 5.
        assert_eq!(texts(table)[4], vec!["3", "x"]);
        assert_eq!(table.row_number(4), 5);
        assert_eq!(texts(table)[2], vec!["1", "two\nlines"]);
        assert_eq!(file.text_format.as_deref(), Some("UTF-8, ','-separated"));
    }

    #[test]
    fn a_statement_read_a_region_at_a_time_stops_when_told() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/statements/camt053-v08-reversal.xml");
        let err = read_file_until(&path, "s.xml", None, &|| true).unwrap_err();
        assert!(matches!(err, SourceError::Stopped { .. }), "{err}");
        assert!(read_file_until(&path, "s.xml", None, &|| false).is_ok());
    }

    #[test]
    fn a_large_file_read_in_parts_is_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        // Three parts and a bit, with a different byte at each position modulo 251.
        let bytes: Vec<u8> = (0..(25usize << 20) + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_whole(&path).unwrap() == bytes);
    }

    #[test]
    fn a_text_read_in_pieces_reads_as_in_one() {
        // Pieces split inside the multi-line quoted field, at a blank line and at CRLF ends.
        let text = "a,b\r\n1,\"x\n\ny\n\"\r\n\n2,\"q\"\"q\"\n\n\n3,,\n4\r\n5,\"\n\"\n";
        let whole = split_records_in(text, b',', "t.csv", 1).unwrap();
        assert_eq!(
            whole[1],
            vec![Cell::Text("1".into()), Cell::Text("x\n\ny\n".into())]
        );
        for pieces in 2..=text.len() {
            assert_eq!(
                split_records_in(text, b',', "t.csv", pieces).unwrap(),
                whole,
                "{pieces} pieces"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn random_texts_read_in_pieces_read_as_in_one(
            text in "[a\",;\r\n\u{5d0}]{0,200}",
            pieces in 2usize..12,
        ) {
            let whole = split_records_in(&text, b',', "t.csv", 1).unwrap();
            proptest::prop_assert_eq!(split_records_in(&text, b',', "t.csv", pieces).unwrap(), whole);
        }
    }

    #[test]
    fn grid_trims_leading_space_and_keeps_far_cells() {
        let mut grid = Grid::new();
        grid.put(2, 1, Cell::Text("h".into())).unwrap();
        grid.put(3, 2, Cell::Number(1.0)).unwrap();
        grid.put(1_048_575, 16_383, Cell::Text("stray".into()))
            .unwrap();
        let table = grid.finish(&Arc::from("f"), "S");
        assert_eq!(table.first_row, 3);
        assert_eq!(table.rows[0], vec![Cell::Text("h".into())]);
        assert_eq!(table.rows[1], vec![Cell::Empty, Cell::Number(1.0)]);
        let last = table.rows.last().unwrap();
        assert_eq!(last.len(), 16_383);
        assert_eq!(table.row_number(table.rows.len() - 1), 1_048_576);
    }

    #[test]
    fn scattered_cells_are_refused() {
        let mut grid = Grid::new();
        let mut failed = None;
        for row in 0..1000 {
            if let Err(at) = grid.put(row, 16_383, Cell::Number(1.0)) {
                failed = Some(at);
                break;
            }
        }
        let at = failed.expect("padding limit");
        assert_eq!(cell_ref(at.0, at.1), format!("XFD{}", at.0 + 1));
        assert!(grid.put(MAX_ROWS, 0, Cell::Number(1.0)).is_err());
    }

    #[test]
    fn cell_refs() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(9, 25), "Z10");
        assert_eq!(cell_ref(0, 26), "AA1");
        assert_eq!(cell_ref(1_048_575, 16_383), "XFD1048576");
    }

    #[test]
    fn html_saved_as_xls_is_read_and_xml_is_refused() {
        let file = read_bytes(
            b"<html><table><tr><td>1</td></tr></table></html>",
            "a.xls",
            None,
        )
        .unwrap();
        assert_eq!(file.tables[0].rows, vec![vec![Cell::Text("1".into())]]);
        assert_eq!(file.text_format.as_deref(), Some("HTML tables, UTF-8"));
        // Excel 2003's XML spreadsheet has a `<Table>` and `<html:Font>` but is no HTML page.
        let xml = b"<?xml version=\"1.0\"?>\n<Workbook><Worksheet><Table><Row><Cell>\
                    <html:Font>1</html:Font></Cell></Row></Table></Worksheet></Workbook>";
        let err = read_bytes(xml, "a.xls", None).unwrap_err();
        assert!(
            matches!(err, SourceError::Markup { what: "XML", .. }),
            "{err}"
        );
        let xhtml = b"<?xml version=\"1.0\"?>\n<!DOCTYPE html>\n<html><body><table><tr><td>x";
        assert!(read_bytes(xhtml, "a.xls", None).is_ok());
    }

    #[test]
    fn mt940_is_known_by_its_content_whatever_its_name() {
        let text = "{1:F01LUMIILITAXXX0000000000}{2:O940}{4:\r\n:20:S1\r\n:25:IL62\r\n\
                    :60F:C261031ILS0,\r\n:61:261105C10,NTRFX//B1\r\n:86:/REMI/INV-1\r\n\
                    :62F:C261130ILS10,\r\n-}\r\n";
        let file = read_bytes(text.as_bytes(), "bank.csv", None).unwrap();
        assert!(file.tables.is_empty());
        assert_eq!(file.generated.len(), 1);
        assert_eq!(file.generated[0].format, "MT940");
        assert_eq!(file.generated[0].table.rows[5][0], Cell::Text("B1".into()));
        let err = read_bytes(b":20:S1\n:25:IL62\n\x00\x00", "bank.sta", None).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "bank.sta looks like an MT940 bank statement but cannot be read: it holds \
                 binary data"
            ),
            "{err}"
        );
    }

    #[test]
    fn reader_panics_become_errors() {
        let result: Result<(), SourceError> = guarded("a.xls", "test", || panic!("boom"));
        match result {
            Err(SourceError::ReaderCrashed { detail, .. }) => assert_eq!(detail, "boom"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(!QUIET_PANICS.with(StdCell::get));
    }

    #[test]
    fn iso_and_date_cells() {
        assert_eq!(
            iso_cell("2026-10-05T00:00:00"),
            Cell::Date(NaiveDate::from_ymd_opt(2026, 10, 5).unwrap())
        );
        assert_eq!(iso_cell("PT1H"), Cell::Text("PT1H".into()));
        let d1904 =
            calamine::ExcelDateTime::new(44_000.0, calamine::ExcelDateTimeType::DateTime, true);
        let d1900 =
            calamine::ExcelDateTime::new(45_462.0, calamine::ExcelDateTimeType::DateTime, false);
        assert_eq!(date_cell(&d1904), date_cell(&d1900));
    }
}
