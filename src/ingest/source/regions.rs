//! A large delimited text file read from disk a region at a time (about 8 MB, ending at a line
//! end), so that the file is never copied whole into memory: half a gigabyte of fresh memory
//! costs more in the system's page clearing than reading it. The next region is read from disk
//! and hashed while this one's records are read on all threads ([`read_region`]).
//!
//! Every region starts where a record starts. The last record a region holds may go on in the
//! next one (a quoted field with line breaks), so it is left out and its bytes start the next
//! region; the rows come out exactly as reading the whole file gives them.
//!
//! What this reading is not sure of gives up with `None`, and the file is then read whole as
//! any other file, which names any error: a byte-order mark other than UTF-8's, binary data,
//! a region that is not UTF-8 (the encoding is then decided from the whole file), or a record
//! longer than two regions (an unclosed quote would otherwise be read again with each region).

use std::io::Read;
use std::sync::Arc;

use super::text::{
    detect_delimiter, looks_binary, read_region, text_format, PIECES_PER_THREAD, PIECE_MIN,
};
use super::{Cell, RawTable, SourceError, Stop, SAMPLE_BYTES};

/// How much of a file a region holds, about.
const REGION: usize = 8 << 20;
/// Files at least this large are read a region at a time; smaller ones whole.
pub(super) const STREAM_FROM: u64 = 4 * REGION as u64;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads a delimited text file from `source`, a region at a time. `seen` is given every byte
/// read, in order (for the file's hash); `size` is the file's size, for the room made for its
/// rows. Returns the table and its `text_format`, or `None` (see the module's documentation).
///
/// # Errors
///
/// The file cannot be read ([`SourceError::Io`]), or `stop` said so
/// ([`SourceError::Stopped`]).
pub(super) fn read_text_stream(
    source: &mut (dyn Read + Send),
    size: u64,
    file: &Arc<str>,
    seen: &mut (dyn FnMut(&[u8]) + Send),
    stop: Stop<'_>,
) -> Result<Option<(RawTable, String)>, SourceError> {
    let sizes = Sizes {
        region: REGION,
        pieces: rayon::current_num_threads() * PIECES_PER_THREAD,
        piece_min: PIECE_MIN,
        longest: 2 * REGION,
    };
    read_text_stream_by(source, size, file, seen, stop, sizes)
}

/// The sizes [`read_text_stream_by`] works with: bytes, and a count of pieces.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sizes {
    /// How much a region holds, about (more when a record is longer).
    pub region: usize,
    /// How many pieces a region is read in, at most ...
    pub pieces: usize,
    /// ... each of at least this many bytes.
    pub piece_min: usize,
    /// The longest record read this way; a longer one gives up.
    pub longest: usize,
}

/// [`read_text_stream`] with the given [`Sizes`].
pub(super) fn read_text_stream_by(
    source: &mut (dyn Read + Send),
    size: u64,
    file: &Arc<str>,
    seen: &mut (dyn FnMut(&[u8]) + Send),
    stop: Stop<'_>,
    sizes: Sizes,
) -> Result<Option<(RawTable, String)>, SourceError> {
    let io = |source| SourceError::Io {
        file: file.to_string(),
        source,
    };
    let mut held = Vec::with_capacity(2 * sizes.region);
    let mut next = Vec::with_capacity(2 * sizes.region);
    // The first bytes decide as reading the whole file would: its sample, and a character
    // more (see [`detect_delimiter`]).
    let mut eof = fill(source, &mut held, sizes.region.max(SAMPLE_BYTES + 4)).map_err(io)?;
    seen(&held);
    let (mut start, encoding) = if held.starts_with(UTF8_BOM) {
        (UTF8_BOM.len(), "UTF-8 with BOM")
    } else if encoding_rs::Encoding::for_bom(&held).is_some() {
        return Ok(None);
    } else {
        (0, "UTF-8")
    };
    if looks_binary(held.get(start..).unwrap_or_default()) {
        return Ok(None);
    }
    let sample = held.get(start..).unwrap_or_default();
    let sample = std::str::from_utf8(sample).unwrap_or_else(|e| {
        // Cut inside a character, or not UTF-8 (then a region says so below).
        std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or_default()
    });
    let delimiter = detect_delimiter(sample);
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    // The 0-based line the held region starts on, and the bytes of its first record that the
    // last region held too (its end must be found further on).
    let mut line = 0;
    let mut carried = 0usize;
    loop {
        if stop() {
            return Err(SourceError::Stopped {
                file: file.to_string(),
            });
        }
        let held_from = held.get(start..).unwrap_or_default();
        // The region ends at the last line end within reach, else at the first beyond it,
        // and past the bytes carried over (twice as far each time the same record is carried).
        let reach = sizes.region.max(carried.saturating_mul(2));
        let cut = if eof && held_from.len() <= reach {
            Some(held.len())
        } else {
            let after = held_from.get(carried..).unwrap_or_default();
            let within = after.get(..reach - carried).unwrap_or(after);
            memchr::memrchr(b'\n', within)
                .or_else(|| {
                    let beyond = after.get(within.len()..).unwrap_or_default();
                    memchr::memchr(b'\n', beyond).map(|lf| within.len() + lf)
                })
                .map(|lf| start + carried + lf + 1)
        };
        let end = match cut {
            Some(end) => end,
            None if eof => held.len(),
            None if held_from.len() > sizes.longest => return Ok(None),
            None => {
                // No line ends in what is held yet: hold more.
                let before = held.len();
                eof = fill(source, &mut held, sizes.region).map_err(io)?;
                seen(held.get(before..).unwrap_or_default());
                continue;
            }
        };
        let Some(text) = held
            .get(start..end)
            .and_then(|b| simdutf8::basic::from_utf8(b).ok())
        else {
            return Ok(None);
        };
        if rows.capacity() == 0 {
            // Room for the rows of the whole file at this region's rate, with an eighth to
            // spare, made once: a list of a million rows grown step by step is copied into
            // fresh memory each time.
            let lines = memchr::memchr_iter(b'\n', text.as_bytes()).count() + 1;
            let expected = size as f64 / text.len().max(1) as f64 * lines as f64 * 1.125;
            rows.reserve((expected as usize).min(1 << 26));
        }
        let last = eof && end == held.len();
        next.clear();
        next.extend_from_slice(held.get(end..).unwrap_or_default());
        let splits = sizes.pieces.min(text.len() / sizes.piece_min.max(1));
        let (read, records) = rayon::join(
            || -> std::io::Result<bool> {
                if eof {
                    return Ok(true);
                }
                let before = next.len();
                let ended = fill(source, &mut next, sizes.region)?;
                seen(next.get(before..).unwrap_or_default());
                Ok(ended)
            },
            || read_region(text, delimiter, file, splits),
        );
        let records = records?;
        if last {
            records.place(&mut rows, line, true);
            break;
        }
        eof = read.map_err(io)?;
        // The last record may go on past the region: its bytes start the next region.
        let carry = records.last_start().unwrap_or(text.len());
        carried = text.len() - carry;
        if carried > sizes.longest {
            return Ok(None);
        }
        records.place(&mut rows, line, false);
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[..carry]).count();
        next.splice(0..0, text.as_bytes()[carry..].iter().copied());
        std::mem::swap(&mut held, &mut next);
        start = 0;
    }
    let table = RawTable {
        file: Arc::clone(file),
        sheet: None,
        first_row: 1,
        rows,
    };
    Ok(Some((table, text_format(encoding, delimiter))))
}

/// Appends up to `wanted` more bytes of `source` to `into`; `true` when the source ended.
pub(in crate::ingest) fn fill(
    source: &mut (dyn Read + Send),
    into: &mut Vec<u8>,
    wanted: usize,
) -> std::io::Result<bool> {
    let wanted = wanted as u64;
    let got = source.take(wanted).read_to_end(into)?;
    Ok((got as u64) < wanted)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::Arc;

    use super::{read_text_stream_by, Sizes, STREAM_FROM};
    use crate::ingest::source::text::read_text;
    use crate::ingest::source::{read_bytes, read_file, RawTable, SourceError};

    /// Reads `bytes` a region at a time; also checks that every byte was seen once, in order.
    fn streamed(bytes: &[u8], sizes: Sizes) -> Result<Option<(RawTable, String)>, SourceError> {
        let mut seen = Vec::new();
        let read = read_text_stream_by(
            &mut Cursor::new(bytes),
            bytes.len() as u64,
            &Arc::from("t.csv"),
            &mut |b| seen.extend_from_slice(b),
            &|| false,
            sizes,
        );
        if !matches!(read, Ok(None)) {
            assert_eq!(seen, bytes, "{sizes:?}");
        }
        read
    }

    /// Regions of `region` bytes read in up to `pieces` pieces, any record allowed.
    fn sizes(region: usize, pieces: usize) -> Sizes {
        Sizes {
            region,
            pieces,
            piece_min: 1,
            longest: 1 << 20,
        }
    }

    fn whole(bytes: &[u8]) -> (RawTable, String) {
        read_text(bytes, Arc::from("t.csv"), None).unwrap()
    }

    #[test]
    fn a_text_read_a_region_at_a_time_reads_as_in_one() {
        // Regions end inside the multi-line quoted fields, at blank lines and at CRLF ends.
        let text =
            "\u{feff}a;b\r\n1;\"x\n\ny\n\"\r\n\n2;\"q\"\"q\"\n\n\n3;;\nא;\"ב\nג\"\r\n5;\"\n\"\n6";
        let bytes = text.as_bytes();
        let (table, format) = whole(bytes);
        assert_eq!(format, "UTF-8 with BOM, ';'-separated");
        for region in 1..=bytes.len() {
            for pieces in 1..4 {
                let (read, read_format) = streamed(bytes, sizes(region, pieces))
                    .unwrap()
                    .unwrap_or_else(|| panic!("region {region}: gave up"));
                assert_eq!(read.rows, table.rows, "region {region}, {pieces} pieces");
                assert_eq!(read_format, format);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn random_texts_read_a_region_at_a_time_read_as_in_one(
            text in "[a\",;\r\n\u{5d0}]{1,200}",
            region in 1usize..40,
            pieces in 1usize..5,
        ) {
            let (table, format) = whole(text.as_bytes());
            let (read, read_format) = streamed(text.as_bytes(), sizes(region, pieces))
                .unwrap()
                .unwrap();
            proptest::prop_assert_eq!(read.rows, table.rows);
            proptest::prop_assert_eq!(read_format, format);
        }
    }

    #[test]
    fn what_it_is_not_sure_of_is_left_to_the_whole_file() {
        let sizes = Sizes {
            longest: 64,
            ..sizes(16, 2)
        };
        // Windows-1255 Hebrew after a first region of ASCII: the encoding is decided whole.
        let mut bytes = b"a,b\n1,2\n3,4\n5,6\n7,8\n".to_vec();
        bytes.extend_from_slice(b"\xf9\xec\xe5\xed,9\n");
        assert!(streamed(&bytes, sizes).unwrap().is_none());
        // UTF-16 with its byte-order mark, and binary data.
        assert!(streamed(b"\xff\xfea\x00,\x00b\x00\n\x00", sizes)
            .unwrap()
            .is_none());
        assert!(streamed(b"a,b\n\x00\x01\x02\x03\n", sizes)
            .unwrap()
            .is_none());
        // A quote never closed: the rest of the file would be one record.
        let mut open = b"a,\"b\n".to_vec();
        open.extend(std::iter::repeat_n(b"c,d\n".as_slice(), 40).flatten());
        assert!(streamed(&open, sizes).unwrap().is_none());
    }

    #[test]
    fn a_stopped_reading_says_so() {
        let read = read_text_stream_by(
            &mut Cursor::new(b"a,b\n1,2\n"),
            8,
            &Arc::from("t.csv"),
            &mut |_| {},
            &|| true,
            sizes(4, 1),
        );
        assert!(matches!(read, Err(SourceError::Stopped { .. })));
    }

    /// A file large enough to be read a region at a time gives the table, hash and format that
    /// reading its bytes whole gives.
    #[test]
    fn a_large_file_is_read_a_region_at_a_time_as_a_whole() {
        let mut text = String::from("Invoice,Client,Amount,Memo\n");
        let mut n = 0;
        while (text.len() as u64) < STREAM_FROM + 1000 {
            n += 1;
            text.push_str(&format!(
                "INV-{n},לקוח {},{}.50,\"line one\nline \"\"two\"\"\"\n\n",
                n % 97,
                n % 1000
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, &text).unwrap();
        let read = read_file(&path, "big.csv", None).unwrap();
        let expected = read_bytes(text.as_bytes(), "big.csv", None).unwrap();
        assert_eq!(read.sha256, expected.sha256);
        assert_eq!(read.text_format, expected.text_format);
        assert_eq!(read.tables.len(), 1);
        assert_eq!(read.tables[0].rows, expected.tables[0].rows);
        // The header, then each record on a line of its own, its second line and a blank line.
        assert_eq!(read.tables[0].rows.len(), 3 * n - 1);
    }
}
