//! Delimited text files into raw tables: the encoding and delimiter decided from the bytes,
//! records split on all threads in pieces.

use super::*;

/// Decodes and splits a delimited text file. Returns the table and its `text_format`.
pub(super) fn read_text(
    bytes: &[u8],
    file: Arc<str>,
    forced: Option<&'static Encoding>,
) -> Result<(RawTable, String), SourceError> {
    let (text, label) = decode(bytes, &file, forced)?;
    let delimiter = detect_delimiter(&text);
    let rows = split_records(&text, delimiter, &file)?;
    Ok((
        RawTable {
            file,
            sheet: None,
            first_row: 1,
            rows,
        },
        text_format(&label, delimiter),
    ))
}

/// How a text file was read, for the report: `UTF-8, ','-separated`.
pub(super) fn text_format(encoding: &str, delimiter: u8) -> String {
    let delimiter_name = match delimiter {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", char::from(d)),
    };
    format!("{encoding}, {delimiter_name}-separated")
}

/// Decodes the bytes: a forced encoding, else a byte-order mark, else UTF-8 when valid, else
/// Windows-1255 or Windows-1252 by their byte statistics. Returns the text and a label.
pub(super) fn decode<'a>(
    bytes: &'a [u8],
    file: &str,
    forced: Option<&'static Encoding>,
) -> Result<(Cow<'a, str>, String), SourceError> {
    let not_text = || SourceError::NotText {
        file: file.to_string(),
    };
    if let Some(encoding) = forced {
        let is_utf16 = encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE;
        if !is_utf16 && looks_binary(bytes) {
            return Err(not_text());
        }
        let (text, _) = encoding.decode_with_bom_removal(bytes);
        return Ok((text, format!("{} (set in config)", encoding.name())));
    }
    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding == UTF_8 && looks_binary(body) {
            return Err(not_text());
        }
        let (text, _) = encoding.decode_without_bom_handling(body);
        if encoding != UTF_8 && text.contains('\0') {
            return Err(not_text());
        }
        return Ok((text, format!("{} with BOM", encoding.name())));
    }
    if looks_binary(bytes) {
        return Err(not_text());
    }
    // A vectorised check: a million-row export is hundreds of megabytes.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Ok((Cow::Borrowed(text), UTF_8.name().to_string()));
    }
    if let Some((utf8_line, other_line)) = mixed_encoding(bytes) {
        return Err(SourceError::MixedEncoding {
            file: file.to_string(),
            utf8_line,
            other_line,
        });
    }
    let encoding = guess_single_byte(bytes);
    let (text, _) = encoding.decode_without_bom_handling(bytes);
    Ok((text, encoding.name().to_string()))
}

/// [`decode`] for the readers of text formats that are not tables (an MT940 statement, an HTML
/// page): the bytes decide, and an error is a sentence about the file for the reader's own
/// message.
pub(in crate::ingest) fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, String), String> {
    decode(bytes, "", None).map_err(|e| match e {
        SourceError::MixedEncoding {
            utf8_line,
            other_line,
            ..
        } => {
            format!("it mixes text encodings (line {utf8_line} is UTF-8, line {other_line} is not)")
        }
        _ => "it holds binary data, not text".to_string(),
    })
}

/// A file that is not UTF-8 as a whole but has both a line of UTF-8 text beyond ASCII and a line
/// that is not UTF-8 (rows pasted together from two exports): decoding it either way would turn
/// one part into mojibake silently. Returns the first line number of each kind.
pub(super) fn mixed_encoding(bytes: &[u8]) -> Option<(usize, usize)> {
    let mut utf8_line = None;
    let mut other_line = None;
    for (index, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if line.is_ascii() {
            continue;
        }
        let slot = if std::str::from_utf8(line).is_ok() {
            &mut utf8_line
        } else {
            &mut other_line
        };
        slot.get_or_insert(index + 1);
        if let (Some(u), Some(o)) = (utf8_line, other_line) {
            return Some((u, o));
        }
    }
    None
}

/// Binary content: a NUL byte, or more than 5% control bytes other than tab, CR, LF and form
/// feed, within the sample.
pub(super) fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if sample.contains(&0) {
        return true;
    }
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C) || b == 0x7F)
        .count();
    controls * 20 > sample.len()
}

/// Hebrew words in Windows-1255 are runs of bytes 0xE0–0xFA; in Windows-1252 the same bytes are
/// accented Latin letters, which sit between ASCII letters. Count both patterns over the whole
/// file (one cheap pass) and pick the likelier.
pub(super) fn guess_single_byte(bytes: &[u8]) -> &'static Encoding {
    let hebrew = |b: u8| (0xE0..=0xFA).contains(&b);
    let mut hebrew_pairs = 0usize;
    let mut latin_pairs = 0usize;
    for pair in bytes.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if hebrew(a) && hebrew(b) {
            hebrew_pairs += 1;
        } else if (a >= 0xC0 && b.is_ascii_alphabetic()) || (b >= 0xC0 && a.is_ascii_alphabetic()) {
            latin_pairs += 1;
        }
    }
    if hebrew_pairs > latin_pairs {
        WINDOWS_1255
    } else {
        WINDOWS_1252
    }
}

/// The delimiter among `,` `;` tab `|` that splits the first records into the most records of
/// one same field count (at least two fields); ties go to the wider split, then to the order
/// above. A file with one column reads as comma-separated.
pub(super) fn detect_delimiter(text: &str) -> u8 {
    let mut end = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let truncated = end < text.len();
    let mut sample = &text[..end];
    if truncated {
        // Drop the partial last line so it does not count as a short record.
        if let Some(cut) = sample.rfind('\n') {
            sample = &sample[..cut];
        }
    }
    let mut best = (b',', 0usize, 0usize);
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .from_reader(sample.as_bytes());
        let mut counts: Vec<(usize, usize)> = Vec::new();
        let mut record = csv::ByteRecord::new();
        let mut seen = 0;
        while seen < SAMPLE_RECORDS && matches!(reader.read_byte_record(&mut record), Ok(true)) {
            seen += 1;
            let fields = record.len();
            if fields < 2 {
                continue;
            }
            match counts.iter_mut().find(|(n, _)| *n == fields) {
                Some((_, freq)) => *freq += 1,
                None => counts.push((fields, 1)),
            }
        }
        if let Some(&(fields, freq)) = counts.iter().max_by_key(|&&(n, f)| (f, n)) {
            if (freq, fields) > (best.1, best.2) {
                best = (delimiter, freq, fields);
            }
        }
    }
    best.0
}

/// Splits the text into rows of cells, one row per line as a text editor numbers them. A large
/// file is split at line ends into pieces read on all threads; the pieces are kept only when
/// each one started where reading the whole file in order would have started a record (a
/// quoted field with line breaks can span a split), else the file is read in order.
pub(super) fn split_records(
    text: &str,
    delimiter: u8,
    file: &str,
) -> Result<Vec<Vec<Cell>>, SourceError> {
    let pieces = (rayon::current_num_threads() * PIECES_PER_THREAD).min(text.len() / PIECE_MIN);
    split_records_in(text, delimiter, file, pieces)
}

/// Pieces per thread: a few, so that a slow piece does not leave a thread waiting.
pub(super) const PIECES_PER_THREAD: usize = 4;
/// The smallest piece worth a thread of its own (bytes).
pub(super) const PIECE_MIN: usize = 1 << 20;

/// [`split_records`] with the text split into (at most) `pieces` pieces.
pub(super) fn split_records_in(
    text: &str,
    delimiter: u8,
    file: &str,
    pieces: usize,
) -> Result<Vec<Vec<Cell>>, SourceError> {
    let mut rows = Vec::new();
    read_region(text, delimiter, file, pieces)?.place(&mut rows, 0, true);
    Ok(rows)
}

/// The records of a text that starts where a record starts, read as [`split_records`] reads
/// them, in at most `pieces` pieces; each piece starts just after a line feed near an equal
/// share of the text.
pub(super) fn read_region(
    text: &str,
    delimiter: u8,
    file: &str,
    pieces: usize,
) -> Result<Region, SourceError> {
    let bytes = text.as_bytes();
    let mut starts: Vec<usize> = vec![0];
    for k in 1..pieces {
        let near = text.len() / pieces * k;
        if let Some(lf) = memchr::memchr(b'\n', &bytes[near..]) {
            let start = near + lf + 1;
            if start < text.len() && starts.last().is_some_and(|&last| last < start) {
                starts.push(start);
            }
        }
    }
    if starts.len() > 1 {
        starts.push(text.len());
        let read: Vec<Result<Piece, SourceError>> = starts
            .par_windows(2)
            .map(|w| read_piece(text, w[0], w[1], delimiter, file))
            .collect();
        if let Ok(pieces) = read.into_iter().collect::<Result<Vec<Piece>, _>>() {
            // Piece i + 1 began at a record when piece i, read on past its end, found its next
            // record exactly where piece i + 1 found its first; when piece i read on to the end
            // of the text, piece i + 1 must have found no record at all.
            let agree = |w: &[Piece]| {
                w[0].next == w[1].first && (w[0].next.is_some() || w[1].next.is_none())
            };
            if pieces.windows(2).all(agree) {
                return Ok(Region { pieces });
            }
        }
    }
    Ok(Region {
        pieces: vec![read_piece(text, 0, text.len(), delimiter, file)?],
    })
}

/// A text's records, as its pieces read them.
pub(super) struct Region {
    pieces: Vec<Piece>,
}

impl Region {
    /// Where the last record begins (after any blank lines before it), if there is one.
    pub(super) fn last_start(&self) -> Option<usize> {
        self.pieces.iter().rev().find_map(|p| p.last)
    }

    /// Adds the records to `rows` (see [`place_row`]), the text beginning on the 0-based line
    /// `line`; without `keep_last`, the last record is left out.
    pub(super) fn place(mut self, rows: &mut Vec<Vec<Cell>>, line: usize, keep_last: bool) {
        if !keep_last {
            if let Some(piece) = self.pieces.iter_mut().rev().find(|p| p.last.is_some()) {
                piece.records.pop();
            }
        }
        let lines: usize = self.pieces.iter().map(|p| p.line_feeds).sum();
        rows.reserve((line + lines + 1).saturating_sub(rows.len()));
        let mut lines_before = line;
        for piece in self.pieces {
            for (index, cells) in piece.records {
                place_row(rows, lines_before.saturating_add(index), cells);
            }
            lines_before += piece.line_feeds;
        }
    }
}

/// Adds the record that begins on the 0-based line `index` to `rows`: blank lines and the
/// continuation lines of multi-line fields become empty rows, so that row index + 1 is the
/// editor's line number (records ended by a bare carriage return share a line and follow one
/// another).
pub(super) fn place_row(rows: &mut Vec<Vec<Cell>>, index: usize, cells: Vec<Cell>) {
    if rows.len() < index {
        rows.resize_with(index, Vec::new);
    }
    rows.push(cells);
}

/// The records of `text` that begin in `start..end`, read from `start` as if it began a record.
pub(super) struct Piece {
    /// Each record's cells, with the 0-based line it begins on, counted from `start`.
    records: Vec<(usize, Vec<Cell>)>,
    /// The line feeds in `start..end`.
    line_feeds: usize,
    /// Where the first record begins (after any blank lines).
    first: Option<usize>,
    /// Where the first record at or past `end` begins; `None` when the text ends first.
    next: Option<usize>,
    /// Where the last record in `start..end` begins.
    last: Option<usize>,
}

pub(super) fn read_piece(
    text: &str,
    start: usize,
    end: usize,
    delimiter: u8,
    file: &str,
) -> Result<Piece, SourceError> {
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(&bytes[start..]);
    let mut piece = Piece {
        records: Vec::new(),
        line_feeds: memchr::memchr_iter(b'\n', &bytes[start..end]).count(),
        first: None,
        next: None,
        last: None,
    };
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(SourceError::Corrupt {
                    file: file.to_string(),
                    format: "CSV",
                    detail: e.to_string(),
                })
            }
        }
        // The reported position is where the parser started, before the blank lines it
        // skipped; step over those.
        let (mut byte, mut line) = record.position().map_or((0, 1), |p| {
            (usize::try_from(p.byte()).unwrap_or(0), p.line())
        });
        byte += start;
        while let Some(&b @ (b'\n' | b'\r')) = bytes.get(byte) {
            line += u64::from(b == b'\n');
            byte += 1;
        }
        if byte >= end {
            piece.next = Some(byte);
            break;
        }
        piece.first.get_or_insert(byte);
        piece.last = Some(byte);
        let index = usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX);
        let mut cells = Vec::with_capacity(record.len());
        for field in &record {
            cells.push(if field.is_empty() {
                Cell::Empty
            } else {
                debug_assert!(std::str::from_utf8(field).is_ok());
                // SAFETY: `text` is a `str`, and the csv parser only splits it at ASCII bytes
                // (delimiter, quote, line end) and only drops ASCII bytes (the quotes around a
                // field, the first of a doubled quote). An ASCII byte of UTF-8 is always a
                // whole character, so every field is whole characters of `text`: valid UTF-8.
                // Checking each field again was about a sixth of reading the messy month's
                // payments file (Hebrew payers and memos), by perf.
                Cell::Text(unsafe { std::str::from_utf8_unchecked(field) }.into())
            });
        }
        while matches!(cells.last(), Some(Cell::Empty)) {
            cells.pop();
        }
        piece.records.push((index, cells));
    }
    Ok(piece)
}
