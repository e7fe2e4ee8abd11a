//! Workbooks (xlsx, xlsm, xlsb, ods, xls) into raw tables, through calamine: panics caught,
//! zip and compound-file structures checked before anything is inflated, sparse sheets refused.

use super::*;

thread_local! {
    /// Set while a calamine call runs on this thread, so the panic hook stays silent for a
    /// panic we are about to catch and report as an error.
    pub(super) static QUIET_PANICS: StdCell<bool> = const { StdCell::new(false) };
}

static INSTALL_HOOK: Once = Once::new();

/// Runs a workbook reader, turning a panic inside it into [`SourceError::ReaderCrashed`].
/// The process-wide panic hook is wrapped once: it stays silent only on a thread inside this
/// function and otherwise calls the previous hook unchanged. (With `panic = "abort"` nothing can
/// be caught; arrears does not build that way.)
pub(super) fn guarded<T>(
    file: &str,
    format: &'static str,
    read: impl FnOnce() -> Result<T, SourceError>,
) -> Result<T, SourceError> {
    INSTALL_HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(StdCell::get) {
                previous(info);
            }
        }));
    });
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(read));
    QUIET_PANICS.with(|q| q.set(was_quiet));
    result.unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "internal error".to_string());
        Err(SourceError::ReaderCrashed {
            file: file.to_string(),
            format,
            detail,
        })
    })
}

/// Builds the ragged rows of one sheet from cells arriving in any order, with the padding
/// bounded (see the module documentation).
pub(super) struct Grid {
    /// Indexed by absolute 0-based row and column; trimmed in [`Grid::finish`].
    rows: Vec<Vec<Cell>>,
    cells: usize,
    padding: usize,
    min_row: u32,
    min_col: u32,
    /// The row last written to, and the length of the one before it: a new row is given room
    /// for as many cells at once instead of growing cell by cell.
    last_row: usize,
    width: usize,
}

/// The most cells [`Grid`] makes room for in a new row at once (a row is usually as long as
/// the one above it).
pub(super) const ROW_ROOM: usize = 256;

impl Grid {
    pub(super) fn new() -> Self {
        Grid {
            rows: Vec::new(),
            cells: 0,
            padding: 0,
            min_row: u32::MAX,
            min_col: u32::MAX,
            last_row: 0,
            width: 0,
        }
    }

    /// Places a non-empty cell at an absolute 0-based position.
    pub(super) fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<(), (u32, u32)> {
        if row >= MAX_ROWS || col >= MAX_COLUMNS {
            return Err((row, col));
        }
        let (r, c) = (row as usize, col as usize);
        if self.rows.len() <= r {
            self.rows.resize_with(r + 1, Vec::new);
        }
        if r != self.last_row {
            self.width = self.rows.get(self.last_row).map_or(0, Vec::len);
            self.last_row = r;
        }
        let line = &mut self.rows[r];
        if line.capacity() == 0 {
            line.reserve_exact(self.width.min(ROW_ROOM).max(c + 1));
        }
        if line.len() <= c {
            self.padding += c - line.len();
            line.resize(c + 1, Cell::Empty);
        }
        line[c] = cell;
        self.cells += 1;
        self.min_row = self.min_row.min(row);
        self.min_col = self.min_col.min(col);
        if self.padding > PADDING_ALLOWANCE
            && self.padding > self.cells.saturating_mul(MAX_PADDING_PER_CELL)
        {
            return Err((row, col));
        }
        Ok(())
    }

    pub(super) fn finish(mut self, file: &Arc<str>, sheet: &str) -> RawTable {
        let (first_row, rows) = if self.cells == 0 {
            (1, Vec::new())
        } else {
            let min_col = self.min_col as usize;
            self.rows.drain(..self.min_row as usize);
            for row in &mut self.rows {
                if row.len() > min_col {
                    row.drain(..min_col);
                } else {
                    row.clear();
                }
            }
            (self.min_row + 1, self.rows)
        };
        RawTable {
            file: Arc::clone(file),
            sheet: Some(Arc::from(sheet)),
            first_row,
            rows,
        }
    }
}

/// `A1`-style reference of a 0-based position, for messages.
pub(super) fn cell_ref(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + u8::try_from(rem).unwrap_or(0));
        n = (n - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        String::from_utf8_lossy(&letters),
        u64::from(row) + 1
    )
}

pub(super) fn sparse_error(file: &str, sheet: &str, (row, col): (u32, u32)) -> SourceError {
    SourceError::SheetTooSparse {
        file: file.to_string(),
        sheet: sheet.to_string(),
        cell: cell_ref(row, col),
    }
}

pub(super) fn stopped(file: &str) -> SourceError {
    SourceError::Stopped {
        file: file.to_string(),
    }
}

pub(super) fn worksheet_names(sheets: &[calamine::Sheet]) -> Vec<String> {
    sheets
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect()
}

pub(super) fn workbook_error(
    file: &str,
    format: &'static str,
    detail: String,
    password: bool,
) -> SourceError {
    if password {
        SourceError::PasswordProtected {
            file: file.to_string(),
        }
    } else {
        SourceError::Corrupt {
            file: file.to_string(),
            format,
            detail,
        }
    }
}

/// One worksheet as calamine's streaming reader yields its cells (xlsx, xlsb), asking `stop`
/// every [`CELLS_BETWEEN_STOPS`] cells.
fn sheet_of_cells<'a>(
    file: &Arc<str>,
    name: &str,
    stop: Stop<'_>,
    mut next_cell: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, SourceError>,
) -> Result<RawTable, SourceError> {
    let mut grid = Grid::new();
    let mut until_stop = CELLS_BETWEEN_STOPS;
    while let Some(cell) = next_cell()? {
        until_stop -= 1;
        if until_stop == 0 {
            until_stop = CELLS_BETWEEN_STOPS;
            if stop() {
                return Err(stopped(file));
            }
        }
        let (row, col) = cell.get_position();
        if let Some(value) = from_data_ref(cell.get_value()) {
            grid.put(row, col, value)
                .map_err(|at| sparse_error(file, name, at))?;
        }
    }
    Ok(grid.finish(file, name))
}

pub(super) fn read_xlsx(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "Excel (xlsx)";
    let err = |e: calamine::XlsxError| {
        let password = matches!(e, calamine::XlsxError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let mut reader = book.worksheet_cells_reader(&name).map_err(err)?;
        tables.push(sheet_of_cells(file, &name, stop, || {
            reader.next_cell().map_err(err)
        })?);
    }
    Ok(tables)
}

pub(super) fn read_xlsb(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "Excel (xlsb)";
    let err = |e: calamine::XlsbError| {
        let password = matches!(e, calamine::XlsbError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    let mut book: Xlsb<_> = Xlsb::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let mut reader = book.worksheet_cells_reader(&name).map_err(err)?;
        tables.push(sheet_of_cells(file, &name, stop, || {
            reader.next_cell().map_err(err)
        })?);
    }
    Ok(tables)
}

pub(super) fn read_ods(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "OpenDocument (ods)";
    let err = |e: calamine::OdsError| {
        let password = matches!(e, calamine::OdsError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    check_ods_extent(bytes, file)?;
    let mut book: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let range = book.worksheet_range(&name).map_err(err)?;
        tables.push(dense_to_table(&range, file, &name, stop)?);
    }
    Ok(tables)
}

/// calamine builds every ods sheet as a dense grid when it opens the file, so a stray cell far
/// from the data would cost gigabytes before we see a single cell. Scan `content.xml` first
/// (streaming, repeats counted, nothing stored) and refuse a sheet whose dense extent would be
/// mostly padding, by the same rule as [`Grid::put`].
pub(super) fn check_ods_extent(bytes: &[u8], file: &Arc<str>) -> Result<(), SourceError> {
    use quick_xml::events::Event;

    let corrupt = |detail: String| SourceError::Corrupt {
        file: file.to_string(),
        format: "OpenDocument (ods)",
        detail,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| corrupt(e.to_string()))?;
    let content = archive
        .by_name("content.xml")
        .map_err(|e| corrupt(format!("content.xml: {e}")))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let repeat = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        e.try_get_attribute(name)
            .ok()
            .flatten()
            .and_then(|a| a.value.trim().parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };

    let mut sheet = String::new();
    let (mut row, mut col) = (0u64, 0u64);
    let mut row_repeat = 1u64;
    let mut row_cells = 0u64;
    let mut real = 0u64;
    let mut extent = (0u64, 0u64); // rows, columns holding content
    let mut far = (0u64, 0u64);
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| corrupt(format!("content.xml: {e}")))?;
        let (start, is_empty_tag) = match &event {
            Event::Start(e) => (Some(e), false),
            Event::Empty(e) => (Some(e), true),
            Event::End(e) => {
                match e.local_name().as_ref() {
                    "table-row" => {
                        real = real.saturating_add(row_cells.saturating_mul(row_repeat));
                        row = row.saturating_add(row_repeat);
                    }
                    "table" => {
                        let dense = extent.0.saturating_mul(extent.1);
                        let padding = dense.saturating_sub(real);
                        if padding > PADDING_ALLOWANCE as u64
                            && padding > real.saturating_mul(MAX_PADDING_PER_CELL as u64)
                        {
                            let clamp = |v: u64, max: u32| u32::try_from(v).unwrap_or(max);
                            return Err(SourceError::SheetTooSparse {
                                file: file.to_string(),
                                sheet,
                                cell: cell_ref(clamp(far.0, MAX_ROWS), clamp(far.1, MAX_COLUMNS)),
                            });
                        }
                    }
                    _ => {}
                }
                (None, false)
            }
            Event::Eof => return Ok(()),
            _ => (None, false),
        };
        let Some(e) = start else {
            buf.clear();
            continue;
        };
        match e.local_name().as_ref() {
            "table" => {
                sheet = e
                    .try_get_attribute("table:name")
                    .ok()
                    .flatten()
                    .and_then(|a| {
                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .ok()
                            .map(Cow::into_owned)
                    })
                    .unwrap_or_default();
                (row, real, extent) = (0, 0, (0, 0));
            }
            "table-row" => {
                row_repeat = repeat(e, "table:number-rows-repeated");
                (col, row_cells) = (0, 0);
                if is_empty_tag {
                    row = row.saturating_add(row_repeat);
                }
            }
            "table-cell" | "covered-table-cell" => {
                let cols = repeat(e, "table:number-columns-repeated");
                let has_value = !is_empty_tag
                    || e.try_get_attribute("office:value-type")
                        .ok()
                        .flatten()
                        .is_some();
                if has_value {
                    row_cells = row_cells.saturating_add(cols);
                    let last = (row.saturating_add(row_repeat), col.saturating_add(cols));
                    if last.0 > extent.0 || last.1 > extent.1 {
                        far = (last.0 - 1, last.1 - 1);
                        extent = (extent.0.max(last.0), extent.1.max(last.1));
                    }
                }
                col = col.saturating_add(cols);
            }
            _ => {}
        }
        buf.clear();
    }
}

pub(super) fn read_xls(
    bytes: &[u8],
    file: &Arc<str>,
    stop: Stop<'_>,
) -> Result<Vec<RawTable>, SourceError> {
    const FORMAT: &str = "Excel 97-2003 (xls)";
    let err = |e: calamine::XlsError| {
        let password = matches!(e, calamine::XlsError::Password);
        workbook_error(file, FORMAT, e.to_string(), password)
    };
    if let Err(detail) = check_xls(bytes) {
        return Err(SourceError::Corrupt {
            file: file.to_string(),
            format: FORMAT,
            detail,
        });
    }
    let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(err)?;
    let mut tables = Vec::new();
    for name in worksheet_names(book.sheets_metadata()) {
        let range = book.worksheet_range(&name).map_err(err)?;
        tables.push(dense_to_table(&range, file, &name, stop)?);
    }
    Ok(tables)
}

/// Checks an xls workbook's compound file before calamine reads it, and says what is damaged:
/// no sector chain may loop ([`Compound::check_chains`]) and no sheet may declare a size or hold
/// a cell an xls sheet cannot have ([`check_sheets`]). A file too damaged to get that far
/// passes: calamine then reports the damage itself.
pub(super) fn check_xls(bytes: &[u8]) -> Result<(), String> {
    let Some(compound) = Compound::load(bytes)? else {
        return Ok(());
    };
    compound.check_chains()?;
    match compound.workbook_stream() {
        Some(stream) => check_sheets(&stream),
        None => Ok(()),
    }
}

/// Sector ids from here up are markers (end of chain, free, FAT, DIFAT), not sectors.
const RESERVED_SECTORS: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
/// Far more FAT entries than any real xls needs (256 MiB of sectors at 512 bytes).
const MAX_FAT_ENTRIES: usize = 1 << 19;
/// calamine reads a stream shorter than this from the mini stream, in 64-byte mini sectors,
/// whatever cutoff the header names.
const MINI_STREAM_CUTOFF: usize = 4096;
const MINI_SECTOR: usize = 64;

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    let b = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(b.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes(b.try_into().ok()?))
}

fn u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// An OLE compound file (the container of an xls) loaded the way calamine loads it: the header,
/// the sectors after it and the sector table (FAT), whose entry for a sector names the next
/// sector of its chain.
pub(super) struct Compound<'a> {
    header: &'a [u8],
    /// Sector 0 onwards (sector ids start right after the header sector).
    body: &'a [u8],
    size: usize,
    fat: Vec<u32>,
}

impl<'a> Compound<'a> {
    /// `Ok(None)` for a file too short for a header or with an unknown sector size (calamine
    /// names those); `Err` for a FAT that could only be loaded without bound.
    fn load(bytes: &'a [u8]) -> Result<Option<Self>, String> {
        let Some(header) = bytes.get(..512) else {
            return Ok(None);
        };
        let size: usize = match u16_at(header, 30) {
            Some(9) => 512,
            Some(12) => 4096,
            _ => return Ok(None),
        };
        let mut compound = Compound {
            header,
            body: bytes.get(size..).unwrap_or(&[]),
            size,
            fat: Vec::new(),
        };
        let max_id = bytes.len() / size;
        let mut difat: Vec<u32> = u32s(&header[76..512]).collect();
        let mut id = u32_at(header, 68).unwrap_or(RESERVED_SECTORS);
        let mut steps = 0usize;
        while id < RESERVED_SECTORS {
            steps += 1;
            if steps > max_id + 1 {
                return Err("its list of FAT sectors loops".into());
            }
            difat.extend(u32s(compound.sector(id)));
            id = difat.pop().unwrap_or(RESERVED_SECTORS);
        }
        for id in difat.into_iter().filter(|&id| id < DIFSECT) {
            let sector = compound.sector(id);
            compound.fat.extend(u32s(sector));
            if compound.fat.len() > MAX_FAT_ENTRIES {
                return Err("its sector table is far larger than the file".into());
            }
        }
        Ok(Some(compound))
    }

    /// Sector `id`, shorter or empty where the file ends.
    fn sector(&self, id: u32) -> &'a [u8] {
        let start = (id as usize).saturating_mul(self.size);
        self.body
            .get(start..)
            .map_or(&[][..], |s| &s[..s.len().min(self.size)])
    }

    /// calamine follows the sector chains of a compound file until it meets ENDOFCHAIN, with no
    /// bound on the directory chain and only the declared length on the others: a FAT whose
    /// chain loops makes it allocate until memory runs out (found by fuzzing,
    /// `tests/fixtures/regressions/read_xls-fat-cycle.xls`). This refuses the file when any
    /// chain loops. Without a loop every chain visits each sector at most once, so what
    /// calamine reads (and [`Compound::workbook_stream`] after it) stays within the file's size.
    fn check_chains(&self) -> Result<(), String> {
        let fat = &self.fat;
        // Each entry points to the next sector of its chain; find a loop in that graph.
        // 0 = not seen, 1 = on the path being followed, 2 = known to end.
        let mut state = vec![0u8; fat.len()];
        let mut path = Vec::new();
        for start in 0..fat.len() {
            let mut at = start;
            while at < fat.len() && state[at] == 0 {
                state[at] = 1;
                path.push(at);
                at = fat[at] as usize;
            }
            if at < fat.len() && state[at] == 1 {
                return Err(format!("its sector chain loops at sector {at}"));
            }
            for p in path.drain(..) {
                state[p] = 2;
            }
        }
        Ok(())
    }

    /// The stream calamine reads the workbook from: the first directory entry named `Workbook`,
    /// else `Book` (Excel 5/95), in any case. Read as calamine reads it: from the mini stream
    /// when shorter than [`MINI_STREAM_CUTOFF`]. `None` when there is no such stream, or it lies
    /// in a mini stream the file does not have (calamine then reads other bytes; not followed).
    /// Only after [`Compound::check_chains`]: the chains through the FAT must not loop.
    fn workbook_stream(&self) -> Option<Vec<u8>> {
        let sector = |id| self.sector(id);
        let directory = read_chain(u32_at(self.header, 48)?, &self.fat, usize::MAX, sector);
        let entries: Vec<&[u8]> = directory.chunks_exact(128).collect();
        let named = |name: &str| {
            entries
                .iter()
                .find(|e| entry_name(e).eq_ignore_ascii_case(name))
        };
        let entry = named("Workbook").or_else(|| named("Book"))?;
        let (start, len) = (u32_at(entry, 116)?, self.entry_len(entry));
        if len >= MINI_STREAM_CUTOFF {
            return Some(read_chain(start, &self.fat, len, sector));
        }
        let mini_fat_sectors = u32_at(self.header, 64)? as usize;
        if mini_fat_sectors == 0 {
            return None;
        }
        let root = entries.first()?;
        let mini_stream = read_chain(u32_at(root, 116)?, &self.fat, self.entry_len(root), sector);
        let mini_fat: Vec<u32> = u32s(&read_chain(
            u32_at(self.header, 60)?,
            &self.fat,
            mini_fat_sectors.saturating_mul(self.size),
            sector,
        ))
        .collect();
        let mini_sector = |id: u32| {
            let start = (id as usize).saturating_mul(MINI_SECTOR);
            mini_stream
                .get(start..)
                .map_or(&[][..], |s| &s[..s.len().min(MINI_SECTOR)])
        };
        Some(read_chain(start, &mini_fat, len, mini_sector))
    }

    /// A directory entry's stream length: 32 bits in a file of 512-byte sectors (the upper half
    /// is undefined there), 64 bits otherwise.
    fn entry_len(&self, entry: &[u8]) -> usize {
        let len = if self.size == 512 {
            u32_at(entry, 120).map(u64::from)
        } else {
            entry
                .get(120..128)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_le_bytes)
        };
        len.map_or(0, |l| usize::try_from(l).unwrap_or(usize::MAX))
    }
}

/// A directory entry's name as calamine compares it: UTF-16 up to the first NUL.
fn entry_name(entry: &[u8]) -> String {
    let units: Vec<u16> = entry
        .get(..64)
        .unwrap_or(&[])
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

/// The bytes of the chain from sector `start`, at most `len` of them: each sector as `sector`
/// gives it, the next one named by `next` (the FAT, or the mini FAT in the mini stream). Ends
/// at a marker or an id outside `next`, and after as many sectors as `next` has entries, so a
/// loop cannot hold it.
fn read_chain<'s>(
    start: u32,
    next: &[u32],
    len: usize,
    sector: impl Fn(u32) -> &'s [u8],
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut id = start;
    for _ in 0..=next.len() {
        if out.len() >= len {
            break;
        }
        let bytes = sector(id);
        out.extend_from_slice(&bytes[..bytes.len().min(len - out.len())]);
        match next.get(id as usize) {
            Some(&following) => id = following,
            None => break,
        }
    }
    out
}

/// BIFF record types (MS-XLS 2.3).
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUND_SHEET: u16 = 0x0085;
const DIMENSIONS: u16 = 0x0200;
/// The records calamine takes a cell from, each starting with its row and column (16 bits each):
/// Formula, RString, LabelSst, Number, Label, BoolErr, RK.
const CELLS: [u16; 7] = [0x0006, 0x00D6, 0x00FD, 0x0203, 0x0204, 0x0205, 0x027E];
/// MulRk: a row, its first column, numbers, and its last column at the end.
const MUL_RK: u16 = 0x00BD;
/// The most rows and columns an xls sheet holds (Excel 97-2003).
const XLS_ROWS: u32 = 65_536;
const XLS_COLUMNS: u16 = 256;

/// The records of a BIFF stream, as (type, data); they end where a record would run past the
/// stream.
fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = stream;
    std::iter::from_fn(move || {
        let typ = u16_at(rest, 0)?;
        let end = 4 + usize::from(u16_at(rest, 2)?);
        let data = rest.get(4..end)?;
        rest = rest.get(end..)?;
        Some((typ, data))
    })
}

/// calamine 0.38 makes room for a sheet's cells from its DIMENSIONS record before reading them,
/// computing the row count by wrapping subtraction: a record whose last row is before its first
/// asks for some 4 billion rows (1.2 TB), which aborts a process on the system allocator (found
/// by fuzzing, `tests/fixtures/regressions/read_csv-xls-inverted-dimensions.xls`). This walks the
/// workbook stream as calamine does (the sheet list in the workbook globals, then each sheet's
/// records from its position, skipping embedded charts) and refuses a sheet whose DIMENSIONS is
/// inverted or beyond what an xls sheet can hold, before calamine reads it.
///
/// calamine then builds each sheet as a dense grid from its first to its last cell. A cell
/// record's column is 16 bits, but an xls sheet has 256 columns: one cell at row 65,536, column
/// 65,536 made a 7 KB file ask for a 137 GB grid (the binary was killed at 24 GB,
/// `tests/fixtures/regressions/xls-cell-beyond-column-256.xls`). A cell beyond column 256 is
/// refused too, so a sheet's grid stays within 65,536 × 256 cells.
fn check_sheets(stream: &[u8]) -> Result<(), String> {
    let mut biff8 = true;
    let mut sheets = Vec::new();
    for (typ, data) in records(stream) {
        match typ {
            // calamine's reading of the BIFF version: BIFF8 unless it says otherwise.
            BOF => {
                let version = u16_at(data, 0).unwrap_or(0);
                let kind = u16_at(data, 2).unwrap_or(0);
                let older = matches!(version, 0x0002 | 0x0007 | 0x0200 | 0x0300 | 0x0400 | 0x0500);
                biff8 = !(older || version == 0 && kind == 0x1000);
            }
            BOUND_SHEET => {
                if let Some(position) = u32_at(data, 0) {
                    let name = sheet_name(data, biff8)
                        .map_or_else(|| (sheets.len() + 1).to_string(), |n| format!("'{n}'"));
                    sheets.push((position as usize, name));
                }
            }
            EOF => break,
            _ => {}
        }
    }
    for (position, name) in sheets {
        let Some(sheet) = stream.get(position..) else {
            continue;
        };
        let (mut seen_bof, mut depth) = (false, 0usize);
        for (typ, data) in records(sheet) {
            if depth > 0 {
                match typ {
                    BOF => depth += 1,
                    EOF => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                BOF if seen_bof => depth += 1,
                BOF => seen_bof = true,
                DIMENSIONS => {
                    if let Some(fault) = dimensions_fault(data) {
                        return Err(format!(
                            "the size record (DIMENSIONS) of sheet {name} is damaged: {fault}"
                        ));
                    }
                }
                typ if typ == MUL_RK || CELLS.contains(&typ) => {
                    let last = if typ == MUL_RK {
                        data.len().checked_sub(2).and_then(|at| u16_at(data, at))
                    } else {
                        None
                    };
                    let far = [u16_at(data, 2), last]
                        .into_iter()
                        .flatten()
                        .find(|&col| col >= XLS_COLUMNS);
                    if let (Some(col), Some(row)) = (far, u16_at(data, 0)) {
                        return Err(format!(
                            "sheet {name} has a cell at row {}, column {}, beyond the \
                             {XLS_COLUMNS} columns an xls sheet holds",
                            u32::from(row) + 1,
                            u32::from(col) + 1
                        ));
                    }
                }
                EOF => break,
                _ => {}
            }
        }
    }
    Ok(())
}

/// A BIFF8 sheet's name from its BoundSheet8 record (Latin-1 or UTF-16); `None` in older
/// versions, whose names are in the workbook's code page.
fn sheet_name(data: &[u8], biff8: bool) -> Option<String> {
    if !biff8 {
        return None;
    }
    let chars = usize::from(*data.get(6)?);
    let text = data.get(8..).unwrap_or(&[]);
    Some(if data.get(7)? & 1 == 0 {
        text.iter().take(chars).map(|&b| char::from(b)).collect()
    } else {
        let units: Vec<u16> = text
            .chunks_exact(2)
            .take(chars)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    })
}

/// What is wrong with a DIMENSIONS record, read as calamine reads it: by its length, 10 bytes
/// with 16-bit rows (BIFF5/7) or 14 or 16 with 32-bit rows (BIFF8); calamine refuses other
/// lengths itself. Rows and columns are a first index and one past the last; a last of 0 means
/// no cell is used, whatever the first says (an empty sheet has 0 and 0).
fn dimensions_fault(data: &[u8]) -> Option<String> {
    let (first_row, after_row, columns) = match data.len() {
        10 => (u32::from(u16_at(data, 0)?), u32::from(u16_at(data, 2)?), 4),
        14 | 16 => (u32_at(data, 0)?, u32_at(data, 4)?, 8),
        _ => return None,
    };
    let (first_col, after_col) = (u16_at(data, columns)?, u16_at(data, columns + 2)?);
    if after_row > XLS_ROWS {
        return Some(format!(
            "it gives the sheet {after_row} rows, more than the {XLS_ROWS} an xls sheet holds"
        ));
    }
    if after_col > XLS_COLUMNS {
        return Some(format!(
            "it gives the sheet {after_col} columns, more than the {XLS_COLUMNS} an xls sheet holds"
        ));
    }
    if after_row == 0 || after_col == 0 {
        return None;
    }
    if after_row <= first_row {
        return Some(format!(
            "its last row ({after_row}) is before its first ({})",
            u64::from(first_row) + 1
        ));
    }
    if after_col <= first_col {
        return Some(format!(
            "its last column ({after_col}) is before its first ({})",
            u32::from(first_col) + 1
        ));
    }
    None
}

pub(super) fn dense_to_table(
    range: &calamine::Range<Data>,
    file: &Arc<str>,
    sheet: &str,
    stop: Stop<'_>,
) -> Result<RawTable, SourceError> {
    let mut grid = Grid::new();
    if let Some((row0, col0)) = range.start() {
        for (n, (r, c, value)) in range.used_cells().enumerate() {
            if n % CELLS_BETWEEN_STOPS as usize == 0 && stop() {
                return Err(stopped(file));
            }
            let (row, col) = (
                row0.saturating_add(u32::try_from(r).unwrap_or(u32::MAX)),
                col0.saturating_add(u32::try_from(c).unwrap_or(u32::MAX)),
            );
            if let Some(cell) = from_data(value) {
                grid.put(row, col, cell)
                    .map_err(|at| sparse_error(file, sheet, at))?;
            }
        }
    }
    Ok(grid.finish(file, sheet))
}

/// Maps a calamine value; `None` for an empty cell (so it does not extend its row).
pub(super) fn from_data(value: &Data) -> Option<Cell> {
    Some(match value {
        Data::Empty => return None,
        Data::String(s) if s.is_empty() => return None,
        Data::String(s) => Cell::Text(s.as_str().into()),
        Data::Int(i) => int_cell(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => date_cell(dt),
        Data::DateTimeIso(s) => iso_cell(s),
        Data::DurationIso(s) => Cell::Text(s.as_str().into()),
        Data::Error(e) => Cell::Error(e.to_string()),
    })
}

pub(super) fn from_data_ref(value: &DataRef<'_>) -> Option<Cell> {
    Some(match value {
        DataRef::Empty => return None,
        DataRef::String(s) if s.is_empty() => return None,
        DataRef::SharedString("") => return None,
        DataRef::String(s) => Cell::Text(s.as_str().into()),
        DataRef::SharedString(s) => Cell::Text((*s).into()),
        DataRef::Int(i) => int_cell(*i),
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Bool(b) => Cell::Bool(*b),
        DataRef::DateTime(dt) => date_cell(dt),
        DataRef::DateTimeIso(s) => iso_cell(s),
        DataRef::DurationIso(s) => Cell::Text(s.as_str().into()),
        DataRef::Error(e) => Cell::Error(e.to_string()),
    })
}

#[allow(clippy::cast_precision_loss)]
pub(super) fn int_cell(i: i64) -> Cell {
    // Integers beyond 2^53 lose precision as f64; keep them exact as text instead.
    if i.unsigned_abs() <= (1 << 53) {
        Cell::Number(i as f64)
    } else {
        Cell::Text(i.to_string().into())
    }
}

/// A date-formatted cell: its calendar date (the 1904 system is resolved by calamine). A value
/// formatted as a duration, or a pure time of day (serial below 1), is not a date: it is kept
/// as the number of days.
pub(super) fn date_cell(dt: &calamine::ExcelDateTime) -> Cell {
    if dt.is_duration() || (0.0..1.0).contains(&dt.as_f64()) {
        return Cell::Number(dt.as_f64());
    }
    match dt.as_datetime() {
        Some(datetime) => Cell::Date(datetime.date()),
        None => Cell::Number(dt.as_f64()),
    }
}

/// An ISO date (ods `office:date-value`), with or without a time part; other text stays text.
pub(super) fn iso_cell(text: &str) -> Cell {
    let date_part = text.split('T').next().unwrap_or(text);
    match NaiveDate::parse_from_str(date_part, "%Y-%m-%d") {
        Ok(date) => Cell::Date(date),
        Err(_) => Cell::Text(text.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVOICES: &[u8] = include_bytes!("../../../tests/fixtures/formats/invoices.xls");
    const INVERTED: &[u8] =
        include_bytes!("../../../tests/fixtures/regressions/read_csv-xls-inverted-dimensions.xls");

    /// A BIFF record.
    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend(u16::try_from(data.len()).unwrap().to_le_bytes());
        out.extend(data);
        out
    }

    /// A BIFF8 DIMENSIONS record's data: first row, row after the last, first column, column
    /// after the last.
    fn dims(rows: (u32, u32), cols: (u16, u16)) -> Vec<u8> {
        let mut out = rows.0.to_le_bytes().to_vec();
        out.extend(rows.1.to_le_bytes());
        out.extend(cols.0.to_le_bytes());
        out.extend(cols.1.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    #[test]
    fn the_fuzzed_xls_with_inverted_dimensions_is_refused_naming_file_and_sheet() {
        let err = check_xls(INVERTED).unwrap_err();
        assert_eq!(
            err,
            "the size record (DIMENSIONS) of sheet 'Invoices' is damaged: \
             its last row (11) is before its first (2555905)"
        );
        let err = read_bytes(INVERTED, "bank-2026-12.xls", None).unwrap_err();
        assert!(matches!(err, SourceError::Corrupt { .. }), "{err}");
        assert!(
            err.to_string().starts_with(
                "bank-2026-12.xls looks like an Excel 97-2003 (xls) workbook but cannot be read \
                 (the size record (DIMENSIONS) of sheet 'Invoices' is damaged"
            ),
            "{err}"
        );
    }

    #[test]
    fn xls_dimensions_are_checked_in_the_real_workbook_stream() {
        assert_eq!(check_xls(INVOICES), Ok(()));
        let rows = |bytes: &[u8]| {
            read_bytes(bytes, "invoices.xls", None).unwrap().tables[0]
                .rows
                .len()
        };
        let expected = rows(INVOICES);
        // The first sheet's DIMENSIONS (rows 0..11, columns 0..7), in the file's mini stream.
        let original = record(DIMENSIONS, &dims((0, 11), (0, 7)));
        let at = INVOICES
            .windows(original.len())
            .position(|w| w == original)
            .unwrap();
        let with = |rows: (u32, u32), cols: (u16, u16)| {
            let mut bytes = INVOICES.to_vec();
            bytes[at..at + original.len()].copy_from_slice(&record(DIMENSIONS, &dims(rows, cols)));
            bytes
        };
        let refused = |rows, cols| check_xls(&with(rows, cols)).unwrap_err();
        assert!(refused((12, 11), (0, 7)).ends_with("its last row (11) is before its first (13)"));
        assert!(refused((11, 11), (0, 7)).ends_with("its last row (11) is before its first (12)"));
        assert!(refused((0, 11), (7, 3)).ends_with("its last column (3) is before its first (8)"));
        assert!(refused((0, 70_000), (0, 7))
            .ends_with("it gives the sheet 70000 rows, more than the 65536 an xls sheet holds"));
        assert!(refused((0, u32::MAX), (0, 7)).contains("4294967295 rows"));
        assert!(refused((0, 11), (0, 300)).contains("300 columns, more than the 256"));
        // An empty sheet's record (0 and 0), a last row of 0 whatever the first, and a full
        // sheet are all valid; the cells are read as before.
        for (rows_, cols) in [((0, 0), (0, 0)), ((5, 0), (3, 0)), ((0, 65_536), (0, 256))] {
            let bytes = with(rows_, cols);
            assert_eq!(check_xls(&bytes), Ok(()), "{rows_:?} {cols:?}");
            assert_eq!(rows(&bytes), expected, "{rows_:?} {cols:?}");
        }
    }

    #[test]
    fn cells_beyond_column_256_are_refused() {
        let far =
            include_bytes!("../../../tests/fixtures/regressions/xls-cell-beyond-column-256.xls");
        assert_eq!(
            check_xls(far),
            Err(
                "sheet 'Invoices' has a cell at row 65536, column 65536, beyond the 256 columns \
                 an xls sheet holds"
                    .to_string()
            )
        );
        // The same cell (a LabelSst record at row 8, column B) moved to the last column, and
        // one beyond it: its column is bytes 6 and 7 of the record.
        let header = [0xFD, 0x00, 0x0A, 0x00, 7, 0, 1, 0];
        let at = INVOICES.windows(8).position(|w| w == header).unwrap() + 6;
        let with_column = |col: u16| {
            let mut bytes = INVOICES.to_vec();
            bytes[at..at + 2].copy_from_slice(&col.to_le_bytes());
            bytes
        };
        let last = with_column(255);
        assert_eq!(check_xls(&last), Ok(()));
        let table = &read_bytes(&last, "invoices.xls", None).unwrap().tables[0];
        assert_eq!(table.rows[7].len(), 256);
        assert!(check_xls(&with_column(256))
            .unwrap_err()
            .contains("row 8, column 257"));

        // A MulRk record's last column, in a sheet of a BIFF5 workbook (named by its number);
        // the same record in an embedded chart is not read.
        let stream = |mul_rk: &[u8], in_chart: bool| {
            let mut bound = vec![0, 0, 0, 0, 0, 0, 5];
            bound.extend(b"Sheet");
            let bof = record(BOF, &[0x00, 0x05, 0x05, 0x00]);
            let globals_len = bof.len() + record(BOUND_SHEET, &bound).len() + 4;
            bound[..4].copy_from_slice(&u32::try_from(globals_len).unwrap().to_le_bytes());
            let mut stream = bof.clone();
            stream.extend(record(BOUND_SHEET, &bound));
            stream.extend(record(EOF, &[]));
            stream.extend(record(BOF, &[0x00, 0x05, 0x10, 0x00]));
            if in_chart {
                stream.extend(record(BOF, &[0x00, 0x05, 0x20, 0x00]));
                stream.extend(record(MUL_RK, mul_rk));
                stream.extend(record(EOF, &[]));
            } else {
                stream.extend(record(MUL_RK, mul_rk));
            }
            stream.extend(record(EOF, &[]));
            stream
        };
        // Row 3, columns 254 to 300 (zeros for the numbers: only the columns are read).
        let mut wide = vec![2, 0, 253, 0];
        wide.extend(vec![0; 6 * 47]);
        wide.extend(299u16.to_le_bytes());
        assert_eq!(
            check_sheets(&stream(&wide, false)),
            Err(
                "sheet 1 has a cell at row 3, column 300, beyond the 256 columns \
                 an xls sheet holds"
                    .to_string()
            )
        );
        assert_eq!(check_sheets(&stream(&wide, true)), Ok(()));
        let mut narrow = vec![2, 0, 253, 0];
        narrow.extend(vec![0; 6 * 3]);
        narrow.extend(255u16.to_le_bytes());
        assert_eq!(check_sheets(&stream(&narrow, false)), Ok(()));
    }

    #[test]
    fn dimensions_are_read_where_calamine_reads_them() {
        // Workbook globals naming one sheet (a Hebrew name, UTF-16), then the sheet: a chart
        // embedded in it has its own DIMENSIONS, which calamine skips.
        let sheet = |inside: &[u8], own: &[u8]| {
            let name: Vec<u8> = "חשבוניות"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect();
            let mut bound = vec![0, 0, 0, 0, 0, 0, 8, 1];
            bound.extend(name);
            let bof = record(BOF, &[0x00, 0x06, 0x05, 0x00]);
            let globals_len = bof.len() + record(BOUND_SHEET, &bound).len() + 4;
            bound[..4].copy_from_slice(&u32::try_from(globals_len).unwrap().to_le_bytes());
            let mut stream = bof.clone();
            stream.extend(record(BOUND_SHEET, &bound));
            stream.extend(record(EOF, &[]));
            stream.extend(record(BOF, &[0x00, 0x06, 0x10, 0x00]));
            stream.extend(record(BOF, &[0x00, 0x06, 0x20, 0x00]));
            stream.extend(record(DIMENSIONS, inside));
            stream.extend(record(EOF, &[]));
            stream.extend(record(DIMENSIONS, own));
            stream.extend(record(EOF, &[]));
            stream
        };
        let inverted = dims((9, 2), (0, 1));
        let valid = dims((0, 3), (0, 2));
        assert_eq!(check_sheets(&sheet(&inverted, &valid)), Ok(()));
        assert_eq!(
            check_sheets(&sheet(&valid, &inverted)),
            Err(
                "the size record (DIMENSIONS) of sheet 'חשבוניות' is damaged: \
                 its last row (2) is before its first (10)"
                    .to_string()
            )
        );
        // BIFF5/7: 16-bit rows in a 10-byte record.
        assert_eq!(dimensions_fault(&[0, 0, 5, 0, 0, 0, 3, 0, 0, 0]), None);
        assert_eq!(
            dimensions_fault(&[9, 0, 5, 0, 0, 0, 3, 0, 0, 0]).as_deref(),
            Some("its last row (5) is before its first (10)")
        );
        // Other lengths are left to calamine, which refuses them.
        assert_eq!(dimensions_fault(&[9, 0, 5, 0]), None);
    }
}
